//! `pgferry dump --schema-only` round trips: dump with pgferry, load into an empty database with psql, and
//! the reference pg_dump must see the same schema in both databases.

use pgferry_testkit::{
    assert_same_schema, fixtures_dir, psql_file, reference_for_server, require_reference_or_skip,
    Cluster,
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
    let fixture_path = fixtures_dir().join("sql").join(fixture);
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
}

macro_rules! core_round_trip {
    ($($name:ident: $major:expr),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            round_trip($major, "core.sql").await;
        }
    )*};
}

core_round_trip! {
    core_schema_round_trip_12: 12,
    core_schema_round_trip_13: 13,
    core_schema_round_trip_14: 14,
    core_schema_round_trip_15: 15,
    core_schema_round_trip_16: 16,
    core_schema_round_trip_17: 17,
    core_schema_round_trip_18: 18,
}
