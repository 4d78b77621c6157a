//! A cheap check that a restore worked, so that a restore which silently restored nothing cannot look fast:
//! the restored database must have as many tables, indexes, sequences, views and large objects as the source,
//! and its largest table (by size in the source) exactly as many rows.

use pgferry_conn::Session;

/// Counts of the user objects of a database (schemas not starting with `pg_`, and not `information_schema`),
/// the qualified name of the largest table (by `pg_relation_size`, then name), and `count(*)` of that table.
const CATALOG_SQL: &str = "\
    WITH rel AS ( \
        SELECT c.oid, c.relkind, format('%I.%I', n.nspname, c.relname) AS name \
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
        WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema') \
    SELECT (SELECT count(*) FROM rel WHERE relkind IN ('r', 'p')), \
           (SELECT count(*) FROM rel WHERE relkind IN ('i', 'I')), \
           (SELECT count(*) FROM rel WHERE relkind = 'S'), \
           (SELECT count(*) FROM rel WHERE relkind IN ('v', 'm')), \
           (SELECT count(*) FROM pg_largeobject_metadata), \
           (SELECT name FROM rel WHERE relkind = 'r' ORDER BY pg_relation_size(oid) DESC, name LIMIT 1)";

/// What a restored database is compared on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Tables (plain and partitioned).
    pub(crate) tables: u64,
    /// Indexes (including those of constraints).
    pub(crate) indexes: u64,
    /// Sequences.
    pub(crate) sequences: u64,
    /// Views and materialized views.
    pub(crate) views: u64,
    /// Large objects.
    pub(crate) large_objects: u64,
    /// The source's largest table (quoted, qualified) and its row count (`count(*) FROM ONLY`).
    pub(crate) largest: Option<(String, u64)>,
}

impl Shape {
    /// The shape of the source database: counts, and the exact row count of its largest table.
    pub(crate) async fn of_source(session: &Session) -> Result<Shape, String> {
        let (mut shape, largest) = catalog(session).await?;
        if let Some(table) = largest {
            let rows = count_rows(session, &table)
                .await?
                .ok_or_else(|| format!("counting the rows of {table}: no answer"))?;
            shape.largest = Some((table, rows));
        }
        Ok(shape)
    }

    /// The shape of a restored database, with the rows of `expected`'s largest table (`None` when that table is
    /// missing).
    pub(crate) async fn of_restored(session: &Session, expected: &Shape) -> Result<Shape, String> {
        let (mut shape, _) = catalog(session).await?;
        if let Some((table, _)) = &expected.largest {
            if let Some(rows) = count_rows(session, table).await? {
                shape.largest = Some((table.clone(), rows));
            }
        }
        Ok(shape)
    }

    /// One line for the report's header: what each restore is checked against.
    pub(crate) fn describe(&self) -> String {
        let mut text = format!(
            "{} tables, {} indexes, {} sequences, {} views, {} large objects",
            self.tables, self.indexes, self.sequences, self.views, self.large_objects
        );
        if let Some((table, rows)) = &self.largest {
            text.push_str(&format!("; {table}: {rows} rows"));
        }
        text
    }
}

/// `Ok` when `restored` matches `source`, else what differs (`restored database differs: ...`).
pub(crate) fn compare(source: &Shape, restored: &Shape) -> Result<(), String> {
    let mut differences = Vec::new();
    for (what, want, got) in [
        ("tables", source.tables, restored.tables),
        ("indexes", source.indexes, restored.indexes),
        ("sequences", source.sequences, restored.sequences),
        ("views", source.views, restored.views),
        (
            "large objects",
            source.large_objects,
            restored.large_objects,
        ),
    ] {
        if want != got {
            differences.push(format!("{got} {what}, the source {want}"));
        }
    }
    if let Some((table, want)) = &source.largest {
        match &restored.largest {
            Some((_, got)) if got == want => {}
            Some((_, got)) => {
                differences.push(format!("{table} has {got} rows, the source {want}"))
            }
            None => differences.push(format!("no table {table}")),
        }
    }
    if differences.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "restored database differs: {}",
            differences.join("; ")
        ))
    }
}

async fn catalog(session: &Session) -> Result<(Shape, Option<String>), String> {
    let rows = session.query_rows(CATALOG_SQL).await.map_err(|e| {
        format!(
            "reading the catalog: {}",
            pgferry_conn::describe_pg_error(&e)
        )
    })?;
    parse_catalog_row(rows.first().map(Vec::as_slice).unwrap_or_default())
}

/// The catalog query's row: five counts, then the largest table's name (NULL without tables).
fn parse_catalog_row(row: &[Option<String>]) -> Result<(Shape, Option<String>), String> {
    let count = |i: usize| -> Result<u64, String> {
        row.get(i)
            .cloned()
            .flatten()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| {
                format!(
                    "reading the catalog: column {} of {row:?} is not a count",
                    i + 1
                )
            })
    };
    let shape = Shape {
        tables: count(0)?,
        indexes: count(1)?,
        sequences: count(2)?,
        views: count(3)?,
        large_objects: count(4)?,
        largest: None,
    };
    Ok((shape, row.get(5).cloned().flatten()))
}

/// `count(*)` of `table` (already quoted), `None` when it does not exist.
async fn count_rows(session: &Session, table: &str) -> Result<Option<u64>, String> {
    let exists = session
        .query_value(&format!(
            "SELECT to_regclass('{}') IS NOT NULL",
            table.replace('\'', "''")
        ))
        .await
        .map_err(|e| {
            format!(
                "looking up {table}: {}",
                pgferry_conn::describe_pg_error(&e)
            )
        })?;
    if exists.as_deref() != Some("t") {
        return Ok(None);
    }
    let rows = session
        .query_value(&format!("SELECT count(*) FROM ONLY {table}"))
        .await
        .map_err(|e| {
            format!(
                "counting the rows of {table}: {}",
                pgferry_conn::describe_pg_error(&e)
            )
        })?;
    rows.and_then(|v| v.parse().ok())
        .map(Some)
        .ok_or_else(|| format!("counting the rows of {table}: no count"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(rows: u64) -> Shape {
        Shape {
            tables: 2,
            indexes: 3,
            sequences: 1,
            views: 0,
            large_objects: 8,
            largest: Some(("bench_big.events".to_owned(), rows)),
        }
    }

    #[test]
    fn catalog_rows_parse() {
        let row: Vec<Option<String>> = ["1", "2", "0", "0", "0", "bench_big.events"]
            .iter()
            .map(|v| Some((*v).to_owned()))
            .collect();
        let (shape, largest) = parse_catalog_row(&row).unwrap();
        assert_eq!(
            (shape.tables, shape.indexes, shape.large_objects),
            (1, 2, 0)
        );
        assert_eq!(largest.as_deref(), Some("bench_big.events"));

        let mut empty = row.clone();
        empty[5] = None;
        assert_eq!(parse_catalog_row(&empty).unwrap().1, None);
        assert!(parse_catalog_row(&[]).is_err());
        let mut bad = row;
        bad[1] = Some("x".to_owned());
        assert!(parse_catalog_row(&bad).unwrap_err().contains("column 2"));
    }

    #[test]
    fn restored_databases_are_compared() {
        assert_eq!(compare(&shape(10), &shape(10)), Ok(()));
        assert_eq!(
            compare(&shape(10), &shape(0)),
            Err("restored database differs: bench_big.events has 0 rows, the source 10".to_owned())
        );
        let empty = Shape {
            tables: 0,
            indexes: 0,
            sequences: 0,
            views: 0,
            large_objects: 0,
            largest: None,
        };
        assert_eq!(
            compare(&shape(10), &empty),
            Err(
                "restored database differs: 0 tables, the source 2; 0 indexes, the source 3; 0 sequences, the \
                 source 1; 0 large objects, the source 8; no table bench_big.events"
                    .to_owned()
            )
        );
        assert_eq!(
            shape(10).describe(),
            "2 tables, 3 indexes, 1 sequences, 0 views, 8 large objects; bench_big.events: 10 rows"
        );
    }
}
