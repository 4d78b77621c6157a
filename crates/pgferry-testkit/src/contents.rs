//! Comparing what databases hold: the round-trip tests of dumps and restores compare a copy with its source.

use crate::{diff_lines, Cluster};

/// One query's rows as text, tab-separated, one line per row (`<NULL>` for NULL).
pub async fn query_rows(client: &tokio_postgres::Client, sql: &str) -> Vec<String> {
    client
        .simple_query(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .filter_map(|m| match m {
            tokio_postgres::SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).unwrap_or("<NULL>").to_owned())
                    .collect::<Vec<_>>()
                    .join("\t"),
            ),
            _ => None,
        })
        .collect()
}

/// What database `db` holds, as text to compare: each table's (and populated materialized view's) row count
/// and checksum, each sequence's value, each large object's owner, privileges, comment and contents.
///
/// Partitioned tables are compared as a whole, and their partitions one by one, except under hash
/// partitioning: a restore may place rows in other partitions there (enum hash codes depend on OIDs).
pub async fn database_contents(cluster: &Cluster, db: &str) -> String {
    let client = cluster.connect(db).await.expect("connect");
    let relations = query_rows(
        &client,
        "SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), c.relkind, c.relispopulated \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p', 'm', 'S') AND n.nspname <> 'information_schema' \
           AND n.nspname NOT LIKE 'pg\\_%' \
           AND NOT (c.relispartition AND EXISTS (SELECT FROM pg_catalog.pg_partition_ancestors(c.oid) a \
                JOIN pg_catalog.pg_partitioned_table p ON p.partrelid = a.relid WHERE p.partstrat = 'h')) \
         ORDER BY 1",
    )
    .await;
    let mut report = Vec::new();
    for line in relations {
        let mut columns = line.split('\t');
        let (name, kind) = (
            columns.next().expect("name"),
            columns.next().expect("relkind"),
        );
        if columns.next() == Some("f") {
            report.push(format!("{name}: not populated"));
            continue;
        }
        let only = if kind == "p" { "" } else { "ONLY" };
        let sql = if kind == "S" {
            format!("SELECT last_value, is_called FROM {name}")
        } else {
            format!(
                "SELECT count(*), md5(string_agg(t::text, ',' ORDER BY t::text)) FROM {only} {name} t"
            )
        };
        report.push(format!(
            "{name}: {}",
            query_rows(&client, &sql).await.join(" ")
        ));
    }
    report.extend(
        query_rows(
            &client,
            "SELECT l.oid, l.lomowner::pg_catalog.regrole, l.lomacl, \
                    pg_catalog.obj_description(l.oid, 'pg_largeobject'), \
                    pg_catalog.length(pg_catalog.lo_get(l.oid)), pg_catalog.md5(pg_catalog.lo_get(l.oid)) \
             FROM pg_catalog.pg_largeobject_metadata l ORDER BY l.oid",
        )
        .await
        .into_iter()
        .map(|l| format!("large object {l}")),
    );
    report.join("\n")
}

/// Panics with the differences when two [`database_contents`] reports differ; `what` names the comparison.
pub fn assert_same_contents(what: &str, expected: &str, actual: &str) {
    if let Some(diff) = diff_lines(expected, actual) {
        panic!("{what}: the data differs from the source's:\n{diff}");
    }
}

/// The server version for tests that need just one: the newest of those under test whose binaries are
/// here, else the newest under test (which then fails or skips as `require_or_skip` decides).
pub fn one_major() -> Option<u32> {
    let majors = crate::majors_under_test();
    for major in majors.iter().rev() {
        if crate::find_server_binaries(*major).is_ok() {
            return Some(*major);
        }
    }
    let newest = *majors.last().expect("at least one major under test");
    crate::require_or_skip(newest).map(|_| newest)
}
