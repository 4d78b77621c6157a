//! Progress and summary output shared by the commands that move data (`dump`, `restore -d`, `copy`).
//!
//! The engines only count (see `pgferry::progress`); a reporter thread reads their counters and draws on
//! stderr: bars on a terminal, a plain line every few seconds otherwise, or JSON lines. Nothing goes to stdout,
//! which may be the dump itself. At the end comes the summary, on stderr and, with `--summary-json`, in a file.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use clap::{Args, ValueEnum};
use pgferry::progress::{Progress, Snapshot};
use serde::Serialize;

/// `--progress` and `--summary-json`.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct OutputArgs {
    /// Progress on stderr: auto (bars on a terminal, plain lines otherwise), bars, plain, json (one JSON object
    /// per line), or none (only the summary).
    #[arg(long = "progress", value_name = "MODE", value_enum, default_value_t = ProgressMode::Auto)]
    pub(crate) progress: ProgressMode,

    /// Write the end-of-run summary (objects, tables, rows, bytes, duration, throughput) as JSON to FILE.
    #[arg(long = "summary-json", value_name = "FILE")]
    pub(crate) summary_json: Option<PathBuf>,
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProgressMode {
    /// Bars on a terminal, plain periodic lines otherwise.
    #[default]
    Auto,
    /// Bars, redrawn in place (for a terminal).
    Bars,
    /// A plain line every few seconds.
    Plain,
    /// One JSON object per line: progress every second, then the summary.
    Json,
    /// Nothing but the summary.
    None,
}

/// How often each mode reports.
const BARS_EVERY: Duration = Duration::from_millis(200);
const PLAIN_EVERY: Duration = Duration::from_secs(10);
const JSON_EVERY: Duration = Duration::from_secs(1);
/// Tables shown under the overall bar at most.
const BARS_TABLES: usize = 8;

/// Draws progress while a run goes, and the summary at its end.
pub(crate) struct Reporter {
    progress: Arc<Progress>,
    mode: ProgressMode,
    silent: bool,
    summary_json: Option<PathBuf>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
    /// Lines the bars occupy now (to clear them).
    drawn: Arc<Mutex<usize>>,
}

/// The end-of-run summary, as `--summary-json` writes it and `--progress=json` prints it.
#[derive(Debug, Serialize)]
pub(crate) struct Summary {
    /// Always `"summary"` (JSON lines tell events apart by it).
    pub(crate) event: &'static str,
    /// Whether the run succeeded.
    pub(crate) ok: bool,
    pub(crate) objects: usize,
    pub(crate) tables: usize,
    pub(crate) rows: u64,
    /// Data bytes moved (COPY text, uncompressed).
    pub(crate) bytes: u64,
    /// Output bytes written (the archive or script as stored), when the run wrote one.
    pub(crate) written_bytes: Option<u64>,
    /// `bytes / written_bytes`.
    pub(crate) compression_ratio: Option<f64>,
    pub(crate) seconds: f64,
    /// Data bytes per second.
    pub(crate) bytes_per_second: f64,
}

impl Summary {
    fn from_snapshot(snapshot: &Snapshot, written_bytes: Option<u64>, ok: bool) -> Summary {
        let written_bytes = written_bytes.filter(|&w| w > 0);
        Summary {
            event: "summary",
            ok,
            objects: snapshot.objects_done,
            tables: snapshot.tables_done,
            rows: snapshot.rows,
            bytes: snapshot.bytes,
            written_bytes,
            compression_ratio: written_bytes.map(|w| round2(snapshot.bytes as f64 / w as f64)),
            seconds: round2(snapshot.seconds),
            bytes_per_second: snapshot.throughput().round(),
        }
    }

    /// One line for people.
    fn line(&self) -> String {
        let mut text = format!(
            "{} objects, {} tables, {} rows, {} of data",
            self.objects,
            self.tables,
            self.rows,
            human_bytes(self.bytes)
        );
        if let (Some(written), Some(ratio)) = (self.written_bytes, self.compression_ratio) {
            text.push_str(&format!(
                " ({} written, ratio {ratio:.2})",
                human_bytes(written)
            ));
        }
        text.push_str(&format!(
            " in {} ({}/s)",
            human_duration(self.seconds),
            human_bytes(self.bytes_per_second as u64)
        ));
        text
    }
}

#[derive(Serialize)]
struct ProgressLine<'a> {
    event: &'static str,
    #[serde(flatten)]
    snapshot: &'a Snapshot,
    eta_seconds: Option<f64>,
    bytes_per_second: f64,
}

impl Reporter {
    /// Starts reporting `progress` on stderr as `args` say; `silent` turns everything off but errors.
    pub(crate) fn start(args: &OutputArgs, progress: Arc<Progress>, silent: bool) -> Reporter {
        let mode = match args.progress {
            ProgressMode::Auto if std::io::stderr().is_terminal() => ProgressMode::Bars,
            ProgressMode::Auto => ProgressMode::Plain,
            mode => mode,
        };
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let drawn = Arc::new(Mutex::new(0));
        let every = match mode {
            ProgressMode::Bars => Some(BARS_EVERY),
            ProgressMode::Plain => Some(PLAIN_EVERY),
            ProgressMode::Json => Some(JSON_EVERY),
            _ => None,
        };
        let thread = every.filter(|_| !silent).map(|every| {
            let (progress, stop, drawn) =
                (Arc::clone(&progress), Arc::clone(&stop), Arc::clone(&drawn));
            std::thread::spawn(move || report_until_stopped(&progress, mode, every, &stop, &drawn))
        });
        Reporter {
            progress,
            mode,
            silent,
            summary_json: args.summary_json.clone(),
            stop,
            thread,
            drawn,
        }
    }

    /// Something that prints a line on stderr without the bars drawing over it (they are redrawn below it).
    pub(crate) fn printer(&self) -> Printer {
        Printer {
            drawn: Arc::clone(&self.drawn),
        }
    }

    /// Stops the reports and writes the summary (`written_bytes`: the output's size, when there is one).
    pub(crate) fn finish(mut self, written_bytes: Option<u64>, ok: bool) -> Result<(), String> {
        self.stop_thread();
        let snapshot = self.progress.snapshot();
        let summary = Summary::from_snapshot(&snapshot, written_bytes, ok);
        if !self.silent {
            let mut err = std::io::stderr().lock();
            match self.mode {
                ProgressMode::Json => {
                    let _ = writeln!(err, "{}", progress_json(&snapshot));
                    let _ = writeln!(err, "{}", json(&summary));
                }
                _ if ok => {
                    let _ = writeln!(err, "pgferry: done: {}", summary.line());
                }
                // Ran to its end, with entries that failed (reported next).
                _ => {
                    let _ = writeln!(err, "pgferry: finished with errors: {}", summary.line());
                }
            }
        }
        if let Some(path) = &self.summary_json {
            let text = serde_json::to_string_pretty(&summary).unwrap_or_default() + "\n";
            std::fs::write(path, text)
                .map_err(|e| format!("could not write the summary to {}: {e}", path.display()))?;
        }
        Ok(())
    }

    fn stop_thread(&mut self) {
        {
            let (lock, wake) = &*self.stop;
            *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
            wake.notify_all();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        clear_bars(&self.drawn);
    }
}

impl Drop for Reporter {
    /// A run that ends early (an error returned before `finish`) still leaves a clean terminal.
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// Prints lines above the bars: see [`Reporter::printer`].
#[derive(Clone)]
pub(crate) struct Printer {
    drawn: Arc<Mutex<usize>>,
}

impl Printer {
    /// Clears the bars, prints `line`; the next report draws the bars again below it.
    pub(crate) fn line(&self, line: &str) {
        let mut drawn = self.drawn.lock().unwrap_or_else(|e| e.into_inner());
        let mut err = std::io::stderr().lock();
        if *drawn > 0 {
            let _ = write!(err, "\x1b[{}F\x1b[J", *drawn);
            *drawn = 0;
        }
        let _ = writeln!(err, "{line}");
    }
}

fn report_until_stopped(
    progress: &Progress,
    mode: ProgressMode,
    every: Duration,
    stop: &(Mutex<bool>, Condvar),
    drawn: &Mutex<usize>,
) {
    let (lock, wake) = stop;
    let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if mode == ProgressMode::Json {
            let _ = writeln!(std::io::stderr(), "{}", progress_json(&progress.snapshot()));
        }
        let (guard, _) = wake
            .wait_timeout(stopped, every)
            .unwrap_or_else(|e| e.into_inner());
        stopped = guard;
        if *stopped {
            return;
        }
        let snapshot = progress.snapshot();
        match mode {
            ProgressMode::Bars => draw_bars(&snapshot, drawn),
            ProgressMode::Plain => {
                let _ = writeln!(std::io::stderr(), "pgferry: {}", plain_line(&snapshot));
            }
            _ => {}
        }
    }
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn progress_json(snapshot: &Snapshot) -> String {
    json(&ProgressLine {
        event: "progress",
        snapshot,
        eta_seconds: snapshot.eta().map(|d| round2(d.as_secs_f64())),
        bytes_per_second: snapshot.throughput().round(),
    })
}

/// `3/10 tables, 1.2 GiB, 45.0 MiB/s, 120000 rows, ETA 1m20s`.
fn plain_line(snapshot: &Snapshot) -> String {
    // A dump counts objects only at its end; a restore as it goes.
    let objects = if snapshot.objects_done > 0 {
        format!(
            "{}/{} objects, ",
            snapshot.objects_done, snapshot.objects_total
        )
    } else {
        String::new()
    };
    let mut line = format!(
        "{} tables, {objects}{} rows, {}, {}/s",
        of_total(snapshot.tables_done, snapshot.tables_total),
        snapshot.rows,
        human_bytes(snapshot.bytes),
        human_bytes(snapshot.throughput() as u64)
    );
    if let Some(eta) = snapshot.eta() {
        line.push_str(&format!(", ETA {}", human_duration(eta.as_secs_f64())));
    }
    if !snapshot.running.is_empty() {
        let names: Vec<&str> = snapshot.running.iter().map(|t| t.name.as_str()).collect();
        line.push_str(&format!(" (running: {})", names.join(", ")));
    }
    line
}

/// `3/10`, or `3` when the total is not known in advance (a plain SQL script).
fn of_total(done: usize, total: usize) -> String {
    if total > 0 {
        format!("{done}/{total}")
    } else {
        done.to_string()
    }
}

/// The overall bar and one per running table.
fn bar_lines(snapshot: &Snapshot) -> Vec<String> {
    let overall_fraction = match snapshot.estimated_bytes {
        Some(total) if total > 0 => Some(snapshot.bytes as f64 / total as f64),
        _ if snapshot.objects_total > 0 => {
            Some(snapshot.objects_done as f64 / snapshot.objects_total as f64)
        }
        _ => None,
    };
    let mut overall = format!(
        "{} {} tables  {} rows  {}  {}/s",
        bar(overall_fraction, 24),
        of_total(snapshot.tables_done, snapshot.tables_total),
        snapshot.rows,
        human_bytes(snapshot.bytes),
        human_bytes(snapshot.throughput() as u64),
    );
    if let Some(eta) = snapshot.eta() {
        overall.push_str(&format!("  ETA {}", human_duration(eta.as_secs_f64())));
    }
    let mut lines = vec![overall];
    for table in snapshot.running.iter().take(BARS_TABLES) {
        let fraction = table
            .estimated_bytes
            .filter(|&e| e > 0)
            .map(|e| table.bytes as f64 / e as f64);
        let rate = if table.seconds > 0.0 {
            table.bytes as f64 / table.seconds
        } else {
            0.0
        };
        lines.push(format!(
            "  {} {}  {} rows  {}  {}/s",
            bar(fraction, 16),
            table.name,
            table.rows,
            human_bytes(table.bytes),
            human_bytes(rate as u64)
        ));
    }
    if snapshot.running.len() > BARS_TABLES {
        lines.push(format!(
            "  ... and {} more",
            snapshot.running.len() - BARS_TABLES
        ));
    }
    lines
}

/// `[#######---------]`, or a fixed marker when the fraction is unknown.
fn bar(fraction: Option<f64>, width: usize) -> String {
    match fraction {
        Some(f) => {
            let filled = ((f.clamp(0.0, 1.0)) * width as f64).round() as usize;
            format!("[{}{}]", "#".repeat(filled), "-".repeat(width - filled))
        }
        None => format!("[{}]", "~".repeat(width)),
    }
}

fn draw_bars(snapshot: &Snapshot, drawn: &Mutex<usize>) {
    let lines = bar_lines(snapshot);
    let mut drawn = drawn.lock().unwrap_or_else(|e| e.into_inner());
    let mut err = std::io::stderr().lock();
    let mut text = String::new();
    if *drawn > 0 {
        // Back to the first line drawn last time, and clear from there down.
        text.push_str(&format!("\x1b[{}F\x1b[J", *drawn));
    }
    for line in &lines {
        text.push_str(line);
        text.push('\n');
    }
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
    *drawn = lines.len();
}

fn clear_bars(drawn: &Mutex<usize>) {
    let mut drawn = drawn.lock().unwrap_or_else(|e| e.into_inner());
    if *drawn > 0 {
        let _ = write!(std::io::stderr(), "\x1b[{}F\x1b[J", *drawn);
        *drawn = 0;
    }
}

/// A writer that counts the bytes it passes on (what went to a pipe, for the summary).
pub(crate) struct Counting<W> {
    inner: W,
    count: Arc<AtomicU64>,
}

impl<W> Counting<W> {
    pub(crate) fn new(inner: W, count: &Arc<AtomicU64>) -> Counting<W> {
        Counting {
            inner,
            count: Arc::clone(count),
        }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `1.2 GiB`.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `3.2 s`, `4m05s`, `1h02m`.
pub(crate) fn human_duration(seconds: f64) -> String {
    if seconds < 60.0 {
        return format!("{seconds:.1} s");
    }
    let whole = seconds.round() as u64;
    if whole < 3600 {
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else {
        format!("{}h{:02}m", whole / 3600, (whole % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        let progress = Progress::new();
        progress.plan(10, 3, Some(4096));
        let table = progress.table("public.big", Some(4096));
        table.add(b"1\n2\n");
        let mut snapshot = progress.snapshot();
        snapshot.seconds = 2.0;
        drop(table);
        snapshot
    }

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GiB");
        assert_eq!(human_duration(3.21), "3.2 s");
        assert_eq!(human_duration(245.0), "4m05s");
        assert_eq!(human_duration(3720.0), "1h02m");
    }

    #[test]
    fn bars_show_the_overall_run_and_each_table() {
        let lines = bar_lines(&snapshot());
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[0].starts_with("[--------"), "{}", lines[0]);
        assert!(
            lines[0].contains("0/3 tables") && lines[0].contains("ETA"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains("public.big") && lines[1].contains("2 rows"),
            "{}",
            lines[1]
        );
        assert_eq!(bar(Some(0.5), 4), "[##--]");
        assert_eq!(bar(None, 3), "[~~~]");
    }

    #[test]
    fn progress_and_summary_are_json_objects() {
        let snapshot = snapshot();
        let line: serde_json::Value = serde_json::from_str(&progress_json(&snapshot)).unwrap();
        assert_eq!(line["event"], "progress");
        assert_eq!(line["running"][0]["name"], "public.big");
        assert_eq!(line["bytes_per_second"], 2.0);
        let summary = Summary::from_snapshot(&snapshot, Some(2), true);
        let value: serde_json::Value = serde_json::from_str(&json(&summary)).unwrap();
        assert_eq!(value["event"], "summary");
        assert_eq!(value["rows"], 2);
        assert_eq!(value["compression_ratio"], 2.0);
        assert!(summary.line().contains("2 rows"), "{}", summary.line());
        assert!(plain_line(&snapshot).contains("running: public.big"));
    }
}
