//! Exit codes, documented in the README.

/// Success.
pub(crate) const SUCCESS: i32 = 0;
/// The operation failed (connection, server, or a reason a dump could not run).
pub(crate) const FAILURE: i32 = 1;
/// The command line was wrong (clap uses the same code).
#[allow(dead_code)]
pub(crate) const USAGE: i32 = 2;

/// Prints one line to stderr and exits with [`FAILURE`].
pub(crate) fn fail(message: &str) -> ! {
    eprintln!("pgferry: error: {message}");
    std::process::exit(FAILURE)
}
