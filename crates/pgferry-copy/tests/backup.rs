//! The backup archive of a copy holds the whole source, also the data the destination did not take.

use std::io::Read;

use pgferry_archive::read::Archive;
use pgferry_conn::{ConnConfig, Overrides, ProcessEnv};
use pgferry_copy::{copy, CopyOptions};
use pgferry_restore::RestoreOptions;
use pgferry_testkit::Cluster;

fn config(cluster: &Cluster, db: &str) -> ConnConfig {
    ConnConfig::resolve(Some(&cluster.url(db)), &Overrides::default(), &ProcessEnv)
        .expect("connection string")
}

/// With `--no-data-for-failed-tables`, a table the destination could not create never has its data asked
/// for: the copy still reads it into the archive before completing it. The other table's rows go both ways.
#[tokio::test(flavor = "multi_thread")]
async fn data_the_destination_skips_still_goes_into_the_backup() {
    let Some(major) = pgferry_testkit::one_major() else {
        return;
    };
    let cluster = Cluster::start(major).await.expect("cluster starts");
    cluster.create_database("src").await.expect("src");
    cluster
        .execute_sql(
            "src",
            "CREATE TABLE public.kept (a int);
             INSERT INTO public.kept SELECT generate_series(1, 50000);
             CREATE TABLE public.clash (b text);
             INSERT INTO public.clash SELECT 'row ' || i FROM generate_series(1, 30000) AS i;",
        )
        .await
        .expect("source");
    let dir = tempfile::tempdir().expect("temp dir");
    for jobs in [1, 3] {
        let path = dir.path().join(format!("backup{jobs}.dump"));
        let file = std::fs::File::create(&path).expect("backup file");
        let options = CopyOptions {
            restore: RestoreOptions {
                no_data_for_failed_tables: true,
                ..RestoreOptions::default()
            },
            jobs,
            ..CopyOptions::default()
        };
        let dst = format!("dst{jobs}");
        cluster.create_database(&dst).await.expect("dst");
        cluster
            .execute_sql(&dst, "CREATE TABLE public.clash (b text)")
            .await
            .expect("the clashing table");
        let summary = copy(
            &config(&cluster, "src"),
            Some(&config(&cluster, &dst)),
            Some(file),
            &options,
        )
        .await
        .unwrap_or_else(|e| panic!("-j {jobs}: {e}"));
        assert_eq!(
            summary.errors().len(),
            1,
            "-j {jobs}: {:?}",
            summary.errors()
        );
        assert!(summary.errors()[0].entry.contains("TABLE public clash"));
        let client = cluster.connect(&dst).await.expect("connect");
        let count = |table: &'static str| {
            let client = &client;
            async move {
                let row = client
                    .query_one(&format!("SELECT count(*) FROM public.{table}"), &[])
                    .await
                    .expect("count");
                row.get::<_, i64>(0)
            }
        };
        assert_eq!((count("kept").await, count("clash").await), (50000, 0));

        let mut archive = Archive::open(&path).expect("the archive reads");
        let toc = archive.toc().clone();
        for (tag, rows) in [("kept", 50000), ("clash", 30000)] {
            let entry = toc
                .entries
                .iter()
                .find(|e| e.desc == "TABLE DATA" && e.tag == tag)
                .expect("data entry");
            let mut text = String::new();
            archive
                .data(entry.dump_id)
                .expect("data")
                .read_to_string(&mut text)
                .expect("read");
            assert_eq!(
                // The rows, the `\.` line and the two blank lines after it.
                text.lines().count(),
                rows + 3,
                "-j {jobs}: {tag} in the archive"
            );
            assert!(text.ends_with("\\.\n\n\n"), "-j {jobs}: {tag}");
        }
    }
}
