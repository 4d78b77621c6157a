//! Exit codes and how a command reports why it stopped. The table is in docs/compatibility.md ("Exit codes"):
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success; also a listing (`list`, `restore -l`) whose reader closed the pipe early |
//! | 1 | failure: connection, server, archive, a reason a dump could not run; also a dump or script whose reader closed the pipe (the output is incomplete; no message) |
//! | 2 | usage: the command line is wrong (clap's errors, and conflicting options, bad values and refused options pgferry finds itself) |
//! | 3 | `restore` finished, but some entries failed and were skipped ("errors ignored on restore: N") |

use std::error::Error;
use std::io;

/// Success.
pub(crate) const SUCCESS: i32 = 0;
/// The operation failed (connection, server, archive, or a reason a dump could not run).
pub(crate) const FAILURE: i32 = 1;
/// The command line was wrong (clap uses the same code).
pub(crate) const USAGE: i32 = 2;
/// A restore ran to its end, but some of its entries failed and were skipped (pg_restore's "errors ignored on
/// restore: N", for which pg_restore exits with 1).
pub(crate) const ERRORS_IGNORED: i32 = 3;

/// The end of a restore (or copy) that went on past failed entries: pg_restore's count, and [`ERRORS_IGNORED`];
/// [`SUCCESS`] when nothing failed.
pub(crate) fn errors_ignored(count: u64) -> i32 {
    if count == 0 {
        return SUCCESS;
    }
    eprintln!("pgferry: warning: errors ignored on restore: {count}");
    ERRORS_IGNORED
}

/// Why a command stopped early.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The command line is wrong, or asks for something pgferry does not do: one line, [`USAGE`].
    Usage(String),
    /// The operation failed: one line, [`FAILURE`].
    Failed(String),
    /// The reader of standard output went away (`| head`): no message, [`FAILURE`], since the output is
    /// incomplete.
    BrokenPipe,
}

impl Stop {
    /// A usage error.
    pub(crate) fn usage(message: impl Into<String>) -> Stop {
        Stop::Usage(message.into())
    }

    /// Prints the message (if any) and returns the exit code.
    pub(crate) fn report(self) -> i32 {
        match self {
            Stop::Usage(message) => {
                eprintln!("pgferry: error: {message}");
                USAGE
            }
            Stop::Failed(message) => {
                eprintln!("pgferry: error: {message}");
                FAILURE
            }
            Stop::BrokenPipe => FAILURE,
        }
    }

    /// A failure of `error`, or [`Stop::BrokenPipe`] when a broken pipe is what caused it.
    pub(crate) fn from_error(error: &(dyn Error + 'static)) -> Stop {
        if is_broken_pipe(error) {
            Stop::BrokenPipe
        } else {
            Stop::Failed(error.to_string())
        }
    }
}

impl From<String> for Stop {
    fn from(message: String) -> Stop {
        Stop::Failed(message)
    }
}

/// Whether `error`, or an error it was caused by, is a write to a pipe whose reader is gone.
pub(crate) fn is_broken_pipe(error: &(dyn Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(io) = error.downcast_ref::<io::Error>() {
            if io.kind() == io::ErrorKind::BrokenPipe {
                return true;
            }
            // An io::Error made from another error hides it behind get_ref, not source.
            if let Some(inner) = io.get_ref() {
                if is_broken_pipe(inner as &(dyn Error + 'static)) {
                    return true;
                }
            }
        }
        current = error.source();
    }
    false
}

/// Prints one line to stderr and exits with [`FAILURE`].
pub(crate) fn fail(message: &str) -> ! {
    eprintln!("pgferry: error: {message}");
    std::process::exit(FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broken_pipes_are_found_behind_other_errors() {
        let pipe = io::Error::from(io::ErrorKind::BrokenPipe);
        assert!(is_broken_pipe(&pipe));
        let wrapped = io::Error::other(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&wrapped));
        let other = io::Error::from(io::ErrorKind::PermissionDenied);
        assert!(!is_broken_pipe(&other));
    }
}
