//! Running one command and measuring it: wall time, peak RSS, and the peak of the summed RSS of the whole process
//! tree.
//!
//! The peak RSS comes from `wait4` (`ru_maxrss`), with one correction. Linux folds into a child's `ru_maxrss` the
//! memory of the process image it replaced at `exec`, and a child spawned by this program starts as (a `vfork` of)
//! this program: `ru_maxrss` is never below this program's own RSS at the spawn (about 7 MiB), whatever the
//! command. That floor is measured before each command (the `ru_maxrss` of `true` spawned the same way); when
//! `ru_maxrss` is not clearly above it (by 1 MiB), the figure is the command's own high-water mark instead (`VmHWM`
//! of `/proc/PID/status`, the largest over the command and its children), read every 20 ms while it runs.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// How often the process tree's RSS is sampled.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);

/// What one run of a command cost.
#[derive(Debug, Clone)]
pub(crate) struct Measured {
    /// From spawn to the end of `wait4`.
    pub(crate) wall: Duration,
    /// The peak resident set of the process, or of the largest of its descendants (not their sum), in KiB:
    /// `ru_maxrss` from `wait4`, or the sampled `VmHWM` when `ru_maxrss` is only the spawn floor (see the module
    /// documentation).
    pub(crate) max_rss_kib: u64,
    /// `ru_maxrss` from `wait4`, in KiB, as the kernel reported it.
    pub(crate) wait4_rss_kib: u64,
    /// The least `ru_maxrss` a command spawned by this program could report at that moment, in KiB (the
    /// `ru_maxrss` of `true`).
    pub(crate) floor_kib: u64,
    /// The largest sum of `VmRSS` over the process and all its descendants seen while it ran, in KiB (sampled every
    /// 20 ms, so it may miss short spikes). For a multi-process program such as `pg_dump -j` this is the figure
    /// to compare with a multi-threaded one.
    pub(crate) tree_rss_kib: u64,
    /// `None` when the command exited with status 0, else a description of how it ended and its last stderr
    /// lines.
    pub(crate) failure: Option<String>,
}

/// Run `cmd` to completion with stdin and stdout on `/dev/null` and stderr appended to `stderr_log`, and measure
/// it.
pub(crate) fn run_measured(cmd: &mut Command, stderr_log: &Path) -> io::Result<Measured> {
    let log = File::create(stderr_log)?;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log));
    let floor_kib = spawn_floor_kib();
    let started = Instant::now();
    let child = cmd.spawn()?;
    let pid = i32::try_from(child.id()).map_err(io::Error::other)?;

    let stop = Arc::new(AtomicBool::new(false));
    let peak_sum = Arc::new(AtomicU64::new(0));
    let peak_hwm = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (stop, peak_sum, peak_hwm) = (
            Arc::clone(&stop),
            Arc::clone(&peak_sum),
            Arc::clone(&peak_hwm),
        );
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let tree = sample_tree(pid);
                peak_sum.fetch_max(tree.rss_sum_kib, Ordering::Relaxed);
                peak_hwm.fetch_max(tree.max_hwm_kib, Ordering::Relaxed);
                thread::sleep(SAMPLE_EVERY);
            }
        })
    };

    let waited = wait4(pid);
    let wall = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    // The child was reaped by wait4: dropping the handle neither waits nor kills.
    drop(child);
    let (status, usage) = waited?;

    let failure = if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
        None
    } else {
        let how = if libc::WIFEXITED(status) {
            format!("exit status {}", libc::WEXITSTATUS(status))
        } else if libc::WIFSIGNALED(status) {
            format!("killed by signal {}", libc::WTERMSIG(status))
        } else {
            format!("wait status {status:#x}")
        };
        let stderr = fs::read_to_string(stderr_log).unwrap_or_default();
        Some(format!("{how}: {}", last_lines(&stderr, 3)))
    };
    let wait4_rss_kib = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    let max_rss_kib = if wait4_rss_kib > floor_kib + FLOOR_MARGIN_KIB {
        wait4_rss_kib
    } else {
        peak_hwm.load(Ordering::Relaxed)
    };
    Ok(Measured {
        wall,
        max_rss_kib,
        wait4_rss_kib,
        floor_kib,
        tree_rss_kib: peak_sum.load(Ordering::Relaxed),
        failure,
    })
}

/// `ru_maxrss` above the spawn floor by more than this is the command's own.
const FLOOR_MARGIN_KIB: u64 = 1024;

/// The least `ru_maxrss` a command spawned now can report: the `ru_maxrss` of `true` spawned now (its own RSS is
/// far below), else this program's own `VmHWM`.
fn spawn_floor_kib() -> u64 {
    let own = || {
        fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| status_kib(&status, "VmHWM:"))
            .unwrap_or(0)
    };
    let Ok(child) = Command::new("true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        return own();
    };
    let Ok(pid) = i32::try_from(child.id()) else {
        return own();
    };
    match wait4(pid) {
        Ok((_, usage)) => u64::try_from(usage.ru_maxrss).unwrap_or(0),
        Err(_) => own(),
    }
}

/// `wait4(pid)`, retried on `EINTR`: the raw wait status and the child's resource usage.
fn wait4(pid: i32) -> io::Result<(i32, libc::rusage)> {
    loop {
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value of this plain C struct.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are valid for writes for the duration of the call.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            return Ok((status, usage));
        }
        let error = io::Error::last_os_error();
        if error.kind() != io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// A look at a process tree in `/proc`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TreeSample {
    /// The sum of `VmRSS` over the processes, in KiB.
    pub(crate) rss_sum_kib: u64,
    /// The largest `VmHWM` (peak RSS since its `exec`) of one process, in KiB.
    pub(crate) max_hwm_kib: u64,
}

/// `root` and its descendants as `/proc` shows them now; zeros when `root` is gone.
pub(crate) fn sample_tree(root: i32) -> TreeSample {
    let mut sample = TreeSample::default();
    let mut seen = HashSet::new();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        if !seen.insert(pid) {
            continue;
        }
        if let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) {
            sample.rss_sum_kib += status_kib(&status, "VmRSS:").unwrap_or(0);
            sample.max_hwm_kib = sample
                .max_hwm_kib
                .max(status_kib(&status, "VmHWM:").unwrap_or(0));
        }
        // Children are listed per thread: a child forked by any thread of the process appears under that thread.
        let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            if let Ok(children) = fs::read_to_string(task.path().join("children")) {
                stack.extend(
                    children
                        .split_whitespace()
                        .filter_map(|c| c.parse::<i32>().ok()),
                );
            }
        }
    }
    sample
}

/// A `VmRSS:`-style value of a `/proc/PID/status` text, in KiB (a zombie has none).
fn status_kib(status: &str, field: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// The last `n` non-empty lines of `text`, joined with ` | `.
pub(crate) fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// Bytes on disk under `path`: a file's length, or the sum of the files' lengths in a directory tree.
pub(crate) fn size_on_disk(path: &Path) -> io::Result<u64> {
    let meta = fs::symlink_metadata(path)?;
    if !meta.is_dir() {
        return Ok(meta.len());
    }
    let mut total = 0;
    for entry in fs::read_dir(path)? {
        total += size_on_disk(&entry?.path())?;
    }
    Ok(total)
}

/// Remove a file or a directory tree at `path`; nothing there is fine.
pub(crate) fn remove_path(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_read_from_proc_status() {
        let status = "Name:\tcat\nVmPeak:\t  9000 kB\nVmHWM:\t    2000 kB\nVmRSS:\t    1234 kB\nThreads:\t1\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(1234));
        assert_eq!(status_kib(status, "VmHWM:"), Some(2000));
        assert_eq!(
            status_kib("Name:\tzombie\nState:\tZ (zombie)\n", "VmRSS:"),
            None
        );
    }

    #[test]
    fn a_command_is_measured_and_its_failure_described() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("stderr");
        let ok = run_measured(Command::new("true").arg("x"), &log).unwrap();
        assert!(ok.failure.is_none());
        assert!(ok.wait4_rss_kib > 0 && ok.floor_kib > 0);
        assert!(ok.max_rss_kib <= ok.wait4_rss_kib);

        let failed = run_measured(
            Command::new("sh").args(["-c", "echo one >&2; echo two >&2; exit 3"]),
            &log,
        )
        .unwrap();
        assert_eq!(failed.failure.as_deref(), Some("exit status 3: one | two"));
    }

    #[test]
    fn sizes_add_up_over_a_tree() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a"), [0u8; 10]).unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub").join("b"), [0u8; 5]).unwrap();
        assert_eq!(size_on_disk(dir.path()).unwrap(), 15);
        assert_eq!(size_on_disk(&dir.path().join("a")).unwrap(), 10);
        remove_path(&dir.path().join("sub")).unwrap();
        remove_path(&dir.path().join("missing")).unwrap();
        assert_eq!(size_on_disk(dir.path()).unwrap(), 10);
    }
}
