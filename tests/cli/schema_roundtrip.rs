//! `pgferry dump --schema-only` round trips: dump with pgferry, load into an empty database with psql, and
//! the reference pg_dump must see the same schema in both databases.

use pgferry_testkit::{
    assert_same_schema, diff_lines, fixtures_dir, pg_dump_schema, psql_file, reference_for_server,
    require_reference_or_skip, Cluster, RefVersion,
};

use crate::support::Env;

/// Loads `fixture` into `src` on a `major` server, dumps it with pgferry, loads the dump into `copy`, and
/// compares the two with the reference pg_dump.
pub(crate) async fn round_trip(major: u32, fixture: &str) {
    if pgferry_testkit::require_or_skip(major).is_none() {
        return;
    }
    let reference = reference_for_server(major);
    if require_reference_or_skip(reference).is_none() {
        return;
    }
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    cluster.create_database("copy").await.expect("copy");
    // "kitchen-sink" names the per-version fixture of the server (kitchen-sink-pg<major>.sql).
    let fixture_path = if fixture == "kitchen-sink" {
        pgferry_testkit::kitchen_sink_sql(major)
    } else {
        fixtures_dir().join("sql").join(fixture)
    };
    psql_file(&cluster, "src", &fixture_path, reference)
        .await
        .expect("fixture loads");

    let env = Env::new();
    let out = env.home().join("schema.sql");
    let run = env
        .run(&[
            "dump",
            "--schema-only",
            "-f",
            out.to_str().unwrap(),
            &cluster.url("src"),
        ])
        .await;
    run.success();
    if let Err(error) = psql_file(&cluster, "copy", &out, reference).await {
        let script = std::fs::read_to_string(&out).unwrap_or_default();
        panic!("pgferry's dump of {fixture} did not load on PostgreSQL {major}: {error}\n--- dump ---\n{script}");
    }
    assert_same_schema(&cluster, "src", "copy", reference).await;

    // The same objects as pg_dump 18 would write, with the same kind, schema, name and owner: compare the
    // entry headers of both scripts ("-- Name: ...; Type: ...; Schema: ...; Owner: ..."), in any order.
    if require_reference_or_skip(RefVersion::V18_6).is_some() {
        let reference_dump = pg_dump_schema(&cluster, "src", RefVersion::V18_6, &[])
            .await
            .expect("pg_dump 18");
        let ours = std::fs::read_to_string(&out).expect("dump file");
        let (expected, actual) = (entry_headers(&reference_dump), entry_headers(&ours));
        if let Some(diff) = diff_lines(&expected, &actual) {
            panic!("pgferry's entries differ from pg_dump 18.6's for {fixture} on PostgreSQL {major}:\n{diff}");
        }
        // And the scripts themselves are pg_dump 18.6's, but for what pgferry changes on purpose.
        let (expected, actual) = (comparable(&reference_dump, major), comparable(&ours, major));
        if let Some(diff) = diff_lines(&expected, &actual) {
            panic!("pgferry's script differs from pg_dump 18.6's for {fixture} on PostgreSQL {major}:\n{diff}");
        }
    }
}

/// A plain script without what differs between pg_dump 18.6 and pgferry on purpose: the version header and
/// `\restrict` key, and `SET transaction_timeout` (written by pgferry only for 17+ sources, which alone accept
/// it).
///
/// Subscriptions too: pg_dump 18 writes `streaming = off` and `run_as_owner = true` whatever the source, which
/// servers before 14 (streaming) and 16 (run_as_owner) reject; pgferry writes each only where the source
/// server has it, so that the script loads into a server of the source's version.
fn comparable(script: &str, major: u32) -> String {
    pgferry_testkit::normalize_dump(script)
        .lines()
        .filter(|l| major >= 17 || *l != "SET transaction_timeout = 0;")
        .map(|l| {
            let mut line = l.to_owned();
            if line.starts_with("CREATE SUBSCRIPTION ") {
                if major < 14 {
                    line = line.replace(", streaming = off", "");
                }
                if major < 16 {
                    line = line.replace(", run_as_owner = true", "");
                }
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The sorted "-- Name: ..." header lines of a plain dump.
fn entry_headers(script: &str) -> String {
    let mut lines: Vec<&str> = script
        .lines()
        .filter(|l| l.starts_with("-- Name: "))
        .collect();
    lines.sort_unstable();
    lines.join("\n")
}

/// One test per server version for a fixture file.
macro_rules! round_trips {
    ($fixture:expr => $($name:ident: $major:expr),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            round_trip($major, $fixture).await;
        }
    )*};
}

round_trips! { "core.sql" =>
    core_schema_round_trip_12: 12,
    core_schema_round_trip_13: 13,
    core_schema_round_trip_14: 14,
    core_schema_round_trip_15: 15,
    core_schema_round_trip_16: 16,
    core_schema_round_trip_17: 17,
    core_schema_round_trip_18: 18,
}

round_trips! { "types.sql" =>
    types_schema_round_trip_12: 12,
    types_schema_round_trip_13: 13,
    types_schema_round_trip_14: 14,
    types_schema_round_trip_15: 15,
    types_schema_round_trip_16: 16,
    types_schema_round_trip_17: 17,
    types_schema_round_trip_18: 18,
}

round_trips! { "functions.sql" =>
    functions_schema_round_trip_12: 12,
    functions_schema_round_trip_13: 13,
    functions_schema_round_trip_14: 14,
    functions_schema_round_trip_15: 15,
    functions_schema_round_trip_16: 16,
    functions_schema_round_trip_17: 17,
    functions_schema_round_trip_18: 18,
}

round_trips! { "rules.sql" =>
    rules_schema_round_trip_12: 12,
    rules_schema_round_trip_13: 13,
    rules_schema_round_trip_14: 14,
    rules_schema_round_trip_15: 15,
    rules_schema_round_trip_16: 16,
    rules_schema_round_trip_17: 17,
    rules_schema_round_trip_18: 18,
}

round_trips! { "foreign.sql" =>
    foreign_schema_round_trip_12: 12,
    foreign_schema_round_trip_13: 13,
    foreign_schema_round_trip_14: 14,
    foreign_schema_round_trip_15: 15,
    foreign_schema_round_trip_16: 16,
    foreign_schema_round_trip_17: 17,
    foreign_schema_round_trip_18: 18,
}

round_trips! { "kitchen-sink" =>
    kitchen_sink_schema_round_trip_12: 12,
    kitchen_sink_schema_round_trip_13: 13,
    kitchen_sink_schema_round_trip_14: 14,
    kitchen_sink_schema_round_trip_15: 15,
    kitchen_sink_schema_round_trip_16: 16,
    kitchen_sink_schema_round_trip_17: 17,
    kitchen_sink_schema_round_trip_18: 18,
}
