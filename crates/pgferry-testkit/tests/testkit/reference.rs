//! The reference tools run, and the round-trip harness holds for the reference tools themselves: the kitchen sink
//! of every major under test, dumped with the reference pg_dump and loaded with the reference psql into an empty
//! database, has the same schema as the original. That round trip is the baseline pgferry must equal.
//!
//! Findings from running it on 12 to 18 (pg_dump 17.10 for 12 to 17 but 15, Debian's 15.18, 18.6 for 18):
//! * pg_dump 17 and 18 always write `SET transaction_timeout = 0;`, which servers before 17 reject, so the plain
//!   dump of a 12 to 16 server made by 17.10 does not load there as it is. `reference_schema_copy` drops that one
//!   line for such servers (`strip_newer_settings`); the dumps compared are both made by the same pg_dump and need
//!   no such change.
//! * With that, every fixture's schema dump is identical after the round trip: no difference needed normalizing
//!   beyond the version header and the random `\restrict` key.
//! * A schema-only dump holds no large objects, no sequence values, and (without `--create`) no database-level
//!   settings (`ALTER DATABASE .. SET`, `ALTER ROLE .. IN DATABASE .. SET`): the fixtures' lines for those are not
//!   compared by this harness.

use std::sync::Arc;
use std::time::Instant;

use pgferry_testkit::{
    assert_same_schema, load_kitchen_sink, majors_under_test, normalize_dump, pg_dump_schema,
    psql_script, reference_for_server, reference_schema_copy, reference_tool, require_or_skip,
    require_reference_or_skip, Cluster, RefTool, RefVersion, TestkitError,
};

#[test]
fn reference_tools_are_the_pinned_versions() {
    for version in RefVersion::ALL {
        if require_reference_or_skip(version).is_none() {
            continue;
        }
        for tool in RefTool::ALL {
            let path = reference_tool(tool, version).unwrap();
            let out = std::process::Command::new(&path)
                .arg("--version")
                .output()
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert!(out.status.success(), "{}: {out:?}", path.display());
            let text = String::from_utf8_lossy(&out.stdout);
            let expected = format!("{} (PostgreSQL) {}", tool.program(), version.label());
            assert!(
                text.starts_with(&expected),
                "{}: {text:?} should start with {expected:?}",
                path.display()
            );
        }
    }
}

/// The installed majors under test, each with the reference version for it, after SKIPPED lines for the rest.
fn majors_with_reference() -> Vec<(u32, RefVersion)> {
    majors_under_test()
        .into_iter()
        .filter(|&m| require_or_skip(m).is_some())
        .map(|m| (m, reference_for_server(m)))
        .filter(|&(_, v)| require_reference_or_skip(v).is_some())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn kitchen_sink_round_trips_through_the_reference_tools() {
    let t0 = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (major, reference) in majors_with_reference() {
        tasks.spawn(async move {
            let t = Instant::now();
            let cluster = Cluster::start(major)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL {major}: {e}"));
            for db in ["src", "again", "copy"] {
                cluster.create_database(db).await.unwrap();
            }
            // Twice at once into one cluster: the fixture must cope with roles that exist or are being created.
            let (a, b) = tokio::join!(
                load_kitchen_sink(&cluster, "src"),
                load_kitchen_sink(&cluster, "again")
            );
            a.unwrap_or_else(|e| panic!("loading the kitchen sink into PostgreSQL {major}: {e}"));
            b.unwrap_or_else(|e| panic!("loading the kitchen sink into PostgreSQL {major}: {e}"));

            reference_schema_copy(&cluster, "src", "copy", reference)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL {major}, reference {reference}: {e}"));
            assert_same_schema(&cluster, "src", "copy", reference).await;
            assert_same_schema(&cluster, "src", "again", reference).await;

            // Not a vacuous comparison: the dump holds the fixture's objects.
            let dump = pg_dump_schema(&cluster, "copy", reference, &[])
                .await
                .unwrap();
            for needle in [
                "CREATE TABLE s.parent (",
                "CREATE MATERIALIZED VIEW s.mv AS",
                "CREATE EVENT TRIGGER et ON ddl_command_end",
                "CREATE POLICY p1 ON s.parent AS RESTRICTIVE",
                "ALTER TABLE s.parent DISABLE TRIGGER t1;",
            ] {
                assert!(
                    dump.contains(needle),
                    "PostgreSQL {major}: {needle:?} not in the dump"
                );
            }
            (major, reference, dump.lines().count(), t.elapsed())
        });
    }
    while let Some(joined) = tasks.join_next().await {
        let (major, reference, lines, took) = joined.unwrap_or_else(|e| {
            std::panic::resume_unwind(e.try_into_panic().expect("task was cancelled"))
        });
        eprintln!("PostgreSQL {major}: reference {reference} round trip of {lines} dump lines identical in {took:?}");
    }
    eprintln!("whole test took {:?}", t0.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn differences_and_failures_are_reported() {
    let Some(&(major, reference)) = majors_with_reference().last() else {
        return;
    };
    let cluster = Arc::new(Cluster::start(major).await.unwrap());
    cluster.create_database("one").await.unwrap();
    cluster.create_database("two").await.unwrap();
    let ddl = "CREATE TABLE t (id int PRIMARY KEY, note text);";
    cluster.execute_sql("one", ddl).await.unwrap();
    cluster.execute_sql("two", ddl).await.unwrap();
    cluster
        .execute_sql("two", "ALTER TABLE t ADD COLUMN extra int")
        .await
        .unwrap();

    // The same objects: equal after normalization, though the raw dumps differ in their \restrict key (pg_dump
    // 18.6 and 17.10 write one; Debian's 15 does from 15.14 on).
    let one = pg_dump_schema(&cluster, "one", reference, &[])
        .await
        .unwrap();
    let one_again = pg_dump_schema(&cluster, "one", reference, &[])
        .await
        .unwrap();
    assert_eq!(normalize_dump(&one), normalize_dump(&one_again));
    if reference != RefVersion::V15 {
        assert!(one.contains("\\restrict "), "{one}");
        assert_ne!(one, one_again, "the \\restrict key should be random");
    }

    let c = Arc::clone(&cluster);
    let panicked =
        tokio::spawn(async move { assert_same_schema(&c, "one", "two", reference).await })
            .await
            .expect_err("different schemas must fail the assertion");
    let payload = panicked.into_panic();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        message.contains("--- one") && message.contains("+++ two"),
        "{message}"
    );
    assert!(
        message.contains("-    note text\n+    note text,\n+    extra integer\n"),
        "{message}"
    );

    let err = pg_dump_schema(&cluster, "no_such_db", reference, &[])
        .await
        .unwrap_err();
    assert!(matches!(err, TestkitError::CommandFailed { .. }), "{err}");
    assert!(
        err.to_string().contains("\"no_such_db\" does not exist"),
        "{err}"
    );

    let err = psql_script(
        &cluster,
        "one",
        "SELECT 1;\nSELECT * FROM missing_table;\nSELECT 2;\n",
        reference,
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("relation \"missing_table\" does not exist"),
        "{err}"
    );
    let out = psql_script(&cluster, "one", "SELECT 40 + 2 AS answer;\n", reference)
        .await
        .unwrap();
    assert!(out.contains("42"), "{out}");
}
