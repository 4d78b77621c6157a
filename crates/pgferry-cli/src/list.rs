//! `pgferry list`: an archive's table of contents, as `pg_restore -l` prints it.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use pgferry::archive::{write_list, Archive, ReadError};

use crate::exit;

/// Arguments of `pgferry list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// The archive: a custom or tar file, a directory archive, or - for standard input.
    #[arg(value_name = "ARCHIVE")]
    archive: PathBuf,
}

pub(crate) fn run(args: ListArgs) -> i32 {
    let from_stdin = args.archive.as_os_str() == "-";
    let opened = if from_stdin {
        Archive::from_stream(io::stdin())
    } else {
        Archive::open(&args.archive)
    };
    let archive = match opened {
        Ok(archive) => archive,
        // An I/O error of opening names the path itself.
        Err(ReadError::Io { what, source }) if what == args.archive.display().to_string() => {
            exit::fail(&format!("could not read {what}: {source}"))
        }
        Err(error) if from_stdin => exit::fail(&format!("standard input: {error}")),
        Err(error) => exit::fail(&format!("{}: {error}", args.archive.display())),
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    let written = write_list(archive.header(), archive.toc(), &mut out).and_then(|()| out.flush());
    match written {
        Ok(()) => exit::SUCCESS,
        // A reader that stopped early (`pgferry list x | head`) is not a failure.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => exit::SUCCESS,
        Err(error) => {
            eprintln!("pgferry: error: could not write the listing: {error}");
            exit::FAILURE
        }
    }
}
