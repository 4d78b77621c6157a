//! The benchmark datasets, created by the server with `generate_series`: the client sends SQL, never rows.
//!
//! * `one-big-table`: schema `bench_big`, table `events` holding about `scale` GiB of COPY text in columns of mixed
//!   types (bigint, text, numeric, timestamptz, jsonb), a primary key and a second index.
//! * `many-tables`: schemas `bench_many_0` to `bench_many_3` with 200 tables of four shapes whose sizes fall off
//!   as 1/rank (a few large tables, many small ones, some empty) adding up to about `scale` GiB of COPY text,
//!   40 sequences, 10 views and 8 large objects (tagged with the comment `pgferry-bench`).
//!
//! Rows are a function of their number, so a dataset is the same on every run. Generating again replaces the
//! dataset's own schemas and large objects and leaves everything else alone.

use std::time::Instant;

use futures_util::{pin_mut, StreamExt};
use tokio_postgres::Client;

/// Rows per `INSERT ... SELECT` statement (progress is printed after each).
const BATCH_ROWS: u64 = 1_000_000;

/// Rows read (as COPY text) to estimate a shape's bytes per row.
const SAMPLE_ROWS: u64 = 20_000;

/// Tables of the `many-tables` dataset.
const MANY_TABLES: u64 = 200;

/// Schemas the `many-tables` tables are spread over.
const MANY_SCHEMAS: u64 = 4;

/// The comment that marks the large objects a dataset created.
const LO_TAG: &str = "pgferry-bench";

/// A dataset `pgferry-bench generate` can create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Dataset {
    /// One table of about SCALE GiB of COPY text, mixed column types, two indexes.
    OneBigTable,
    /// 200 tables of varied sizes (about SCALE GiB in all), sequences, views and large objects.
    ManyTables,
}

/// A table shape: its columns, and how row number `i` becomes a row.
struct Shape {
    /// The column list of `CREATE TABLE`, with constraints.
    columns: &'static str,
    /// The columns given values by `select` (the others have defaults).
    insert_columns: &'static str,
    /// A `SELECT` list over the bigint `i`, one expression per insert column, cast to the column types.
    select: &'static str,
    /// Statements after loading, with `{t}` for the qualified table name.
    after: &'static str,
}

const BIG_TABLE: Shape = Shape {
    columns: "id bigint NOT NULL, account_id bigint NOT NULL, kind text NOT NULL, amount numeric(14,2), \
              created_at timestamptz NOT NULL, note text, payload jsonb",
    insert_columns: "id, account_id, kind, amount, created_at, note, payload",
    select: "i, \
             (i * 2654435761) % 1000003, \
             (ARRAY['purchase','refund','login','logout','transfer','signup'])[1 + i % 6], \
             (((i * 37) % 10000000) / 100.0)::numeric(14,2), \
             timestamptz '2020-01-01 00:00:00+00' + (i * 7) * interval '1 second', \
             CASE WHEN i % 10 = 0 THEN NULL ELSE substr(repeat(md5(i::text), 3), 1, 20 + (i % 60)::int) END, \
             jsonb_build_object('v', i % 1000, 'tag', 'tag' || (i % 50), 'ok', i % 3 = 0, \
                                'score', ((i % 997) / 10.0)::numeric(6,1), \
                                'items', jsonb_build_array(i % 7, i % 11, i % 13))",
    after: "ALTER TABLE {t} ADD PRIMARY KEY (id); \
            CREATE INDEX events_account_created ON {t} (account_id, created_at);",
};

const MANY_SHAPES: [Shape; 4] = [
    Shape {
        columns: "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, qty integer, \
                  price numeric(10,2), updated_at timestamptz",
        insert_columns: "name, qty, price, updated_at",
        select: "'item ' || i, (i % 1000)::int, ((i % 100000) / 100.0)::numeric(10,2), \
                 timestamptz '2021-06-01 00:00:00+00' + i * interval '1 minute'",
        after: "",
    },
    Shape {
        columns: "id serial PRIMARY KEY, doc jsonb, tags text[]",
        insert_columns: "doc, tags",
        select: "jsonb_build_object('n', i, 'name', 'user' || i, 'active', i % 2 = 0, \
                     'address', jsonb_build_object('city', 'city' || (i % 300), 'zip', lpad((i % 99999)::text, 5, '0'))), \
                 ARRAY['t' || (i % 10), 't' || (i % 7)]",
        after: "",
    },
    Shape {
        columns: "k bigint NOT NULL, v text, d date, flag boolean",
        insert_columns: "k, v, d, flag",
        select: "(i * 7) % 100000, repeat(chr(97 + (i % 26)::int), 1 + (i % 30)::int), \
                 date '2000-01-01' + (i % 9000)::int, i % 5 = 0",
        after: "CREATE INDEX ON {t} (k);",
    },
    Shape {
        columns: "id uuid PRIMARY KEY, body text, score double precision",
        insert_columns: "id, body, score",
        select: "md5(i::text)::uuid, repeat(md5(i::text), 2 + (i % 3)::int), (i % 1000)::float8 / 7",
        after: "",
    },
];

/// What was generated.
#[derive(Debug)]
pub(crate) struct Generated {
    /// Rows inserted over all tables.
    pub(crate) rows: u64,
    /// Estimated COPY text bytes of those rows.
    pub(crate) copy_bytes: u64,
    /// `pg_database_size` after `VACUUM ANALYZE`.
    pub(crate) database_bytes: u64,
}

fn sql_error(what: &str, error: &tokio_postgres::Error) -> String {
    format!("{what}: {}", pgferry_conn::describe_pg_error(error))
}

async fn exec(client: &Client, sql: &str) -> Result<(), String> {
    client.batch_execute(sql).await.map_err(|e| {
        let head: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        let head: String = head.chars().take(100).collect();
        sql_error(&format!("running `{head}`"), &e)
    })
}

/// The `SELECT` that makes rows `lo..=hi` (stepping by `step`) of `shape`.
fn rows_select(shape: &Shape, lo: u64, hi: u64, step: u64) -> String {
    format!(
        "SELECT {} FROM generate_series({lo}::bigint, {hi}::bigint, {step}::bigint) AS g(i)",
        shape.select
    )
}

/// The average COPY text bytes of one row of `shape` among the first `rows` rows: the server sends an evenly
/// spaced sample as COPY text and the client counts its bytes.
async fn bytes_per_row(client: &Client, shape: &Shape, rows: u64) -> Result<f64, String> {
    let rows = rows.max(SAMPLE_ROWS);
    let step = (rows / SAMPLE_ROWS).max(1);
    let copy = format!("COPY ({}) TO STDOUT", rows_select(shape, 1, rows, step));
    let stream = client
        .copy_out(copy.as_str())
        .await
        .map_err(|e| sql_error("sampling rows", &e))?;
    pin_mut!(stream);
    let (mut bytes, mut lines) = (0u64, 0u64);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| sql_error("sampling rows", &e))?;
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    if lines == 0 {
        return Err("the row sample came back empty".into());
    }
    Ok(bytes as f64 / lines as f64)
}

/// How many rows of `shape` make about `target_bytes` of COPY text, with the bytes per row: estimated from the
/// first rows, then again over the range that estimate gives (numbers get longer as rows go up).
async fn rows_for(client: &Client, shape: &Shape, target_bytes: f64) -> Result<(u64, f64), String> {
    let first = bytes_per_row(client, shape, 1_000_000).await?;
    let guess = (target_bytes / first).ceil() as u64;
    let per_row = bytes_per_row(client, shape, guess).await?;
    Ok(((target_bytes / per_row).round() as u64, per_row))
}

/// Create `table` with `shape` and load rows 1 to `rows` in batches, printing progress.
async fn load_table(
    client: &Client,
    table: &str,
    shape: &Shape,
    rows: u64,
    verbose: bool,
) -> Result<(), String> {
    exec(client, &format!("CREATE TABLE {table} ({})", shape.columns)).await?;
    let started = Instant::now();
    let mut lo = 1;
    while lo <= rows {
        let hi = (lo + BATCH_ROWS - 1).min(rows);
        let insert = format!(
            "INSERT INTO {table} ({}) {}",
            shape.insert_columns,
            rows_select(shape, lo, hi, 1)
        );
        exec(client, &insert).await?;
        if verbose {
            eprintln!(
                "  {table}: {hi}/{rows} rows ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
        lo = hi + 1;
    }
    if !shape.after.is_empty() {
        exec(client, &shape.after.replace("{t}", table)).await?;
    }
    Ok(())
}

/// Create `dataset` of about `scale` GiB of COPY text in the database `client` is connected to, then
/// `VACUUM ANALYZE` and `CHECKPOINT` (when allowed). Progress goes to stderr.
pub(crate) async fn generate(
    client: &Client,
    dataset: Dataset,
    scale: f64,
) -> Result<Generated, String> {
    let target = scale * 1024.0 * 1024.0 * 1024.0;
    let started = Instant::now();
    let (rows, copy_bytes) = match dataset {
        Dataset::OneBigTable => one_big_table(client, target).await?,
        Dataset::ManyTables => many_tables(client, target).await?,
    };
    eprintln!("VACUUM ANALYZE ...");
    exec(client, "VACUUM ANALYZE").await?;
    // Flush the dirty buffers now rather than in the middle of a timed run; needs superuser or pg_checkpoint.
    if let Err(e) = client.batch_execute("CHECKPOINT").await {
        eprintln!("(no CHECKPOINT: {})", pgferry_conn::describe_pg_error(&e));
    }
    let size = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await
        .map_err(|e| sql_error("reading the database size", &e))?;
    let database_bytes = u64::try_from(size.get::<_, i64>(0)).unwrap_or(0);
    eprintln!("generated in {:.0} s", started.elapsed().as_secs_f64());
    Ok(Generated {
        rows,
        copy_bytes,
        database_bytes,
    })
}

async fn one_big_table(client: &Client, target: f64) -> Result<(u64, u64), String> {
    exec(
        client,
        "DROP SCHEMA IF EXISTS bench_big CASCADE; CREATE SCHEMA bench_big",
    )
    .await?;
    let (rows, per_row) = rows_for(client, &BIG_TABLE, target).await?;
    eprintln!("bench_big.events: {rows} rows of about {per_row:.0} bytes of COPY text");
    load_table(client, "bench_big.events", &BIG_TABLE, rows, true).await?;
    exec(
        client,
        "COMMENT ON TABLE bench_big.events IS 'pgferry-bench one-big-table'",
    )
    .await?;
    Ok((rows, (rows as f64 * per_row) as u64))
}

/// The share of the data that table `k` (0-based) of the many-tables dataset gets: 1/(k+1), normalized; every
/// 25th table is empty.
fn many_share(k: u64) -> f64 {
    let weight = |k: u64| {
        if k % 25 == 24 {
            0.0
        } else {
            1.0 / (k + 1) as f64
        }
    };
    let total: f64 = (0..MANY_TABLES).map(weight).sum();
    weight(k) / total
}

async fn many_tables(client: &Client, target: f64) -> Result<(u64, u64), String> {
    exec(
        client,
        &format!(
            "SELECT lo_unlink(d.objoid) FROM pg_description d \
             WHERE d.classoid = 'pg_largeobject'::regclass AND d.description = '{LO_TAG}' \
             AND EXISTS (SELECT FROM pg_largeobject_metadata m WHERE m.oid = d.objoid)"
        ),
    )
    .await?;
    for s in 0..MANY_SCHEMAS {
        exec(
            client,
            &format!("DROP SCHEMA IF EXISTS bench_many_{s} CASCADE; CREATE SCHEMA bench_many_{s}"),
        )
        .await?;
    }
    let mut per_row = Vec::new();
    for shape in &MANY_SHAPES {
        per_row.push(bytes_per_row(client, shape, 100_000).await?);
    }
    let (mut rows, mut bytes) = (0u64, 0f64);
    let started = Instant::now();
    for k in 0..MANY_TABLES {
        let shape_index = (k % MANY_SHAPES.len() as u64) as usize;
        let table = format!("bench_many_{}.t{k:03}", k % MANY_SCHEMAS);
        let n = (target * many_share(k) / per_row[shape_index]).round() as u64;
        load_table(client, &table, &MANY_SHAPES[shape_index], n, n > BATCH_ROWS).await?;
        rows += n;
        bytes += n as f64 * per_row[shape_index];
        if k % 20 == 19 {
            eprintln!(
                "  {} of {MANY_TABLES} tables, {rows} rows ({:.0} s)",
                k + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }

    let mut extra = String::new();
    for k in 0..40u64 {
        extra.push_str(&format!(
            "CREATE SEQUENCE bench_many_0.seq_{k:02} INCREMENT BY {} START WITH {}; \
             SELECT setval('bench_many_0.seq_{k:02}', {}); ",
            k + 1,
            k + 1,
            1000 + k * 7919
        ));
    }
    for k in 0..10u64 {
        extra.push_str(&format!(
            "CREATE VIEW bench_many_{}.v{k:02} AS SELECT * FROM bench_many_{}.t{k:03} WHERE true; ",
            (k + 1) % MANY_SCHEMAS,
            k % MANY_SCHEMAS
        ));
    }
    exec(client, &extra).await?;

    // Large objects of 0 B to 8 MiB, their bytes md5 digests (incompressible), made by the server.
    const LO_SIZES: [u64; 8] = [
        0,
        100,
        4 << 10,
        64 << 10,
        512 << 10,
        1 << 20,
        2 << 20,
        8 << 20,
    ];
    for (k, size) in LO_SIZES.iter().enumerate() {
        let digests = size.div_ceil(16);
        exec(
            client,
            &format!(
                "DO $$ DECLARE o oid; BEGIN \
                   o := lo_from_bytea(0, substring(coalesce((SELECT string_agg(decode(md5(g::text || ':{k}'), 'hex'), \
                        ''::bytea ORDER BY g) FROM generate_series(1, {digests}) AS g), ''::bytea) FROM 1 FOR {size})); \
                   EXECUTE format('COMMENT ON LARGE OBJECT %s IS %L', o, '{LO_TAG}'); \
                 END $$"
            ),
        )
        .await?;
    }
    Ok((rows, bytes as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn many_table_shares_add_up_and_fall_off() {
        let total: f64 = (0..MANY_TABLES).map(many_share).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!(many_share(0) > many_share(1) && many_share(1) > many_share(199));
        assert_eq!(many_share(24), 0.0);
    }

    #[test]
    fn row_selects_cover_the_range() {
        let sql = rows_select(&BIG_TABLE, 5, 10, 1);
        assert!(sql.ends_with("FROM generate_series(5::bigint, 10::bigint, 1::bigint) AS g(i)"));
        for shape in MANY_SHAPES.iter().chain([&BIG_TABLE]) {
            // One select expression per insert column (commas inside parentheses do not count).
            let mut depth = 0i32;
            let mut top_level_commas = 0;
            for c in shape.select.chars() {
                match c {
                    '(' | '[' => depth += 1,
                    ')' | ']' => depth -= 1,
                    ',' if depth == 0 => top_level_commas += 1,
                    _ => {}
                }
            }
            assert_eq!(
                top_level_commas + 1,
                shape.insert_columns.split(',').count()
            );
        }
    }
}
