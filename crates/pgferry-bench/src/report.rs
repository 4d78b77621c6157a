//! The figures of a benchmark run and their Markdown rendering.

use std::fmt::{self, Write as _};
use std::str::FromStr;
use std::time::Duration;

/// An archive format, as `-F` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `-Fp`: a plain SQL script.
    Plain,
    /// `-Fc`: the custom archive.
    Custom,
    /// `-Fd`: the directory archive.
    Directory,
    /// `-Ft`: the tar archive.
    Tar,
}

impl Format {
    /// The `-F` letter.
    pub(crate) fn letter(self) -> char {
        match self {
            Format::Plain => 'p',
            Format::Custom => 'c',
            Format::Directory => 'd',
            Format::Tar => 't',
        }
    }

    /// Whether pg_dump accepts `-j` for this format (only the directory format).
    pub(crate) fn pg_dump_parallel(self) -> bool {
        self == Format::Directory
    }

    /// Whether pgferry is asked for `-j` with this format (custom and directory).
    pub(crate) fn pgferry_parallel(self) -> bool {
        matches!(self, Format::Custom | Format::Directory)
    }

    /// Whether pg_restore can restore this format, and with `-j` (custom and directory; tar only serially).
    pub(crate) fn restore(self) -> Option<bool> {
        match self {
            Format::Plain => None,
            Format::Tar => Some(false),
            Format::Custom | Format::Directory => Some(true),
        }
    }

    /// Whether `pgferry restore` is asked for `-j` with this format (every archive read from a file: custom,
    /// directory and tar).
    pub(crate) fn pgferry_restore_parallel(self) -> bool {
        self.restore().is_some()
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.letter())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Format, String> {
        match s.trim() {
            "p" | "plain" => Ok(Format::Plain),
            "c" | "custom" => Ok(Format::Custom),
            "d" | "directory" => Ok(Format::Directory),
            "t" | "tar" => Ok(Format::Tar),
            other => Err(format!(
                "'{other}' is not a format: use p, c, d or t (plain, custom, directory, tar)"
            )),
        }
    }
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
pub(crate) fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(sorted[n / 2]),
        _ => Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0),
    }
}

/// The measurements of one tool on one format (a dump) or of one archive's restore.
#[derive(Debug, Clone, Default)]
pub(crate) struct Series {
    /// Who made the archive: `pgferry` or `pg_dump`, with a version.
    pub(crate) tool: String,
    /// The `-j` value the command ran with (1 when it was not given).
    pub(crate) jobs: u32,
    /// Wall times of the successful runs.
    pub(crate) runs: Vec<Duration>,
    /// The largest `ru_maxrss` over the runs, in KiB.
    pub(crate) max_rss_kib: u64,
    /// The largest sampled RSS sum of the process tree over the runs, in KiB.
    pub(crate) tree_rss_kib: u64,
    /// The archive's size, for dumps.
    pub(crate) archive_bytes: Option<u64>,
    /// Why the series stopped, when a run failed.
    pub(crate) failure: Option<String>,
}

impl Series {
    /// The median wall time in seconds; `None` without a successful run, and when a run failed (a failed run
    /// is an error in the report, not a figure: the runs before it are listed, not summarized).
    pub(crate) fn median_secs(&self) -> Option<f64> {
        if self.failure.is_some() {
            return None;
        }
        median(
            &self
                .runs
                .iter()
                .map(Duration::as_secs_f64)
                .collect::<Vec<_>>(),
        )
    }
}

/// pgferry's and the reference's series for one format.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    /// The archive format.
    pub(crate) format: Format,
    /// pgferry's series.
    pub(crate) pgferry: Series,
    /// The reference tool's series.
    pub(crate) reference: Series,
}

impl Pair {
    /// Reference median time over pgferry's (above 1: pgferry is faster).
    pub(crate) fn ratio(&self) -> Option<f64> {
        let (ours, theirs) = (self.pgferry.median_secs()?, self.reference.median_secs()?);
        (ours > 0.0).then(|| theirs / ours)
    }
}

/// The restores of one archive (one producer, one format): `pgferry restore` in `pair.pgferry`, pg_restore in
/// `pair.reference`, each series' `tool` naming the restorer.
#[derive(Debug, Clone)]
pub(crate) struct RestorePair {
    /// Who wrote the archive: `pgferry 0.1.0` or `pg_dump 18.6`.
    pub(crate) archive_from: String,
    /// The two restorers' series; `ratio()` is pg_restore's median over pgferry restore's.
    pub(crate) pair: Pair,
}

fn mib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1024.0 * 1024.0))
}

fn secs_list(runs: &[Duration]) -> String {
    runs.iter()
        .map(|d| format!("{:.2}", d.as_secs_f64()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn escape_cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// One table row for `series`: the `lead` cells (tool, format, ...), then jobs and the figures; `ratio` fills the
/// ratio column, `archive` adds the archive column.
fn row(out: &mut String, lead: &[&str], series: &Series, ratio: Option<f64>, archive: bool) {
    let median = series
        .median_secs()
        .map_or_else(|| "failed".to_owned(), |s| format!("{s:.2}"));
    let rss = |kib: u64| {
        if series.runs.is_empty() || series.failure.is_some() {
            "–".to_owned()
        } else {
            mib(kib * 1024)
        }
    };
    out.push('|');
    for cell in lead {
        let _ = write!(out, " {} |", escape_cell(cell));
    }
    let _ = write!(
        out,
        " {} | {} | {} | {} |",
        series.jobs,
        median,
        rss(series.max_rss_kib),
        rss(series.tree_rss_kib)
    );
    if archive {
        let size = series.archive_bytes.map_or_else(|| "–".to_owned(), mib);
        let _ = write!(out, " {size} |");
    }
    let ratio = ratio.map_or_else(|| "–".to_owned(), |r| format!("{r:.2}"));
    let mut runs = secs_list(&series.runs);
    if let Some(why) = &series.failure {
        if !runs.is_empty() {
            runs.push_str("; ");
        }
        let _ = write!(runs, "failed: {}", escape_cell(why));
    }
    let _ = writeln!(out, " {ratio} | {runs} |");
}

/// The dump table: one row per tool and format, with the ratio pg_dump/pgferry of the median times on pgferry's
/// row.
pub(crate) fn dump_table(pairs: &[Pair]) -> String {
    let mut out = String::from(
        "| tool | format | jobs | median s | peak RSS MiB | tree RSS MiB | archive MiB | pg_dump/pgferry | runs s |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---|\n",
    );
    for pair in pairs {
        let format = pair.format.to_string();
        for (series, ratio) in [(&pair.pgferry, pair.ratio()), (&pair.reference, None)] {
            row(&mut out, &[&series.tool, &format], series, ratio, true);
        }
    }
    out
}

/// The restore table: one row per restorer, archive producer and format, `pgferry restore` first, with the
/// ratio (pg_restore's median)/(pgferry restore's) of the same archive on pgferry restore's row.
pub(crate) fn restore_table(restores: &[RestorePair]) -> String {
    let mut out = String::from(
        "| restorer | archive from | format | jobs | median s | peak RSS MiB | tree RSS MiB | pg_restore/pgferry | runs s |\n\
         |---|---|---|---:|---:|---:|---:|---:|---|\n",
    );
    for restore in restores {
        let pair = &restore.pair;
        let format = pair.format.to_string();
        for (series, ratio) in [(&pair.pgferry, pair.ratio()), (&pair.reference, None)] {
            row(
                &mut out,
                &[&series.tool, &restore.archive_from, &format],
                series,
                ratio,
                false,
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse() {
        assert_eq!("c".parse::<Format>(), Ok(Format::Custom));
        assert_eq!("directory".parse::<Format>(), Ok(Format::Directory));
        assert_eq!(" t".parse::<Format>(), Ok(Format::Tar));
        assert!("x".parse::<Format>().unwrap_err().contains("'x'"));
        assert_eq!(Format::Plain.to_string(), "p");
        assert!(Format::Directory.pg_dump_parallel() && !Format::Custom.pg_dump_parallel());
        assert!(Format::Custom.pgferry_parallel() && !Format::Tar.pgferry_parallel());
        assert_eq!(Format::Plain.restore(), None);
        assert_eq!(Format::Tar.restore(), Some(false));
        assert!(
            Format::Tar.pgferry_restore_parallel() && Format::Custom.pgferry_restore_parallel()
        );
        assert!(!Format::Plain.pgferry_restore_parallel());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
    }

    fn series(tool: &str, jobs: u32, secs: &[f64]) -> Series {
        Series {
            tool: tool.to_owned(),
            jobs,
            runs: secs.iter().map(|s| Duration::from_secs_f64(*s)).collect(),
            max_rss_kib: 20 * 1024,
            tree_rss_kib: 21 * 1024,
            archive_bytes: Some(3 * 1024 * 1024 / 2),
            failure: None,
        }
    }

    #[test]
    fn tables_render() {
        let pairs = [
            Pair {
                format: Format::Directory,
                pgferry: series("pgferry 0.1.0", 4, &[2.0, 1.0, 3.0]),
                reference: series("pg_dump 18.6", 4, &[4.0, 4.5, 3.5]),
            },
            Pair {
                format: Format::Custom,
                pgferry: Series {
                    failure: Some("exit status 1: not | implemented".to_owned()),
                    archive_bytes: None,
                    ..series("pgferry 0.1.0", 4, &[])
                },
                reference: series("pg_dump 18.6", 1, &[5.0]),
            },
        ];
        let expected = "\
| tool | format | jobs | median s | peak RSS MiB | tree RSS MiB | archive MiB | pg_dump/pgferry | runs s |
|---|---|---:|---:|---:|---:|---:|---:|---|
| pgferry 0.1.0 | d | 4 | 2.00 | 20.0 | 21.0 | 1.5 | 2.00 | 2.00, 1.00, 3.00 |
| pg_dump 18.6 | d | 4 | 4.00 | 20.0 | 21.0 | 1.5 | – | 4.00, 4.50, 3.50 |
| pgferry 0.1.0 | c | 4 | failed | – | – | – | – | failed: exit status 1: not \\| implemented |
| pg_dump 18.6 | c | 1 | 5.00 | 20.0 | 21.0 | 1.5 | – | 5.00 |
";
        assert_eq!(dump_table(&pairs), expected);
    }

    #[test]
    fn restore_table_renders_restorer_producer_and_ratio() {
        let restores = [
            RestorePair {
                archive_from: "pgferry 0.1.0".to_owned(),
                pair: Pair {
                    format: Format::Tar,
                    pgferry: series("pgferry restore 0.1.0", 4, &[2.0, 2.5, 1.5]),
                    reference: series("pg_restore 18.6", 1, &[3.0, 3.0, 3.5]),
                },
            },
            RestorePair {
                archive_from: "pg_dump 18.6".to_owned(),
                pair: Pair {
                    format: Format::Tar,
                    pgferry: Series {
                        failure: Some(
                            "restored database differs: bench_big.events has 0 rows, the source 10"
                                .to_owned(),
                        ),
                        ..series("pgferry restore 0.1.0", 4, &[])
                    },
                    reference: Series {
                        failure: Some("exit status 1: errors ignored on restore: 2".to_owned()),
                        ..series("pg_restore 18.6", 1, &[4.0])
                    },
                },
            },
        ];
        let expected = "\
| restorer | archive from | format | jobs | median s | peak RSS MiB | tree RSS MiB | pg_restore/pgferry | runs s |
|---|---|---|---:|---:|---:|---:|---:|---|
| pgferry restore 0.1.0 | pgferry 0.1.0 | t | 4 | 2.00 | 20.0 | 21.0 | 1.50 | 2.00, 2.50, 1.50 |
| pg_restore 18.6 | pgferry 0.1.0 | t | 1 | 3.00 | 20.0 | 21.0 | – | 3.00, 3.00, 3.50 |
| pgferry restore 0.1.0 | pg_dump 18.6 | t | 4 | failed | – | – | – | failed: restored database differs: bench_big.events has 0 rows, the source 10 |
| pg_restore 18.6 | pg_dump 18.6 | t | 1 | failed | – | – | – | 4.00; failed: exit status 1: errors ignored on restore: 2 |
";
        assert_eq!(restore_table(&restores), expected);
    }
}
