//! The `pgferry` binary: argument parsing, output and exit codes over the `pgferry` library.
// The doc comments of the argument structs are clap's --help texts, which use pg_dump's `[:LEVEL]` notation.
#![allow(rustdoc::broken_intra_doc_links)]

mod check;
mod conn_args;
mod copy;
mod docs;
mod dump;
mod exit;
mod filter;
mod list;
mod output;
mod restore;
mod staged;

use clap::{CommandFactory, Parser, Subcommand};

/// Native PostgreSQL logical backups: pg_dump and pg_restore without the client tools.
#[derive(Debug, Parser)]
#[command(name = "pgferry", version, disable_help_subcommand = true)]
struct Cli {
    /// More log output on stderr (-v, -vv).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count, global = true)]
    verbose: u8,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Connect and report whether a dump could run: version, user, TLS, pooler, size.
    Check(check::CheckArgs),
    /// Dump a database, as pg_dump does.
    Dump(Box<dump::DumpArgs>),
    /// Print an archive's table of contents, as pg_restore -l does.
    List(list::ListArgs),
    /// Restore an archive into a database, or write it as a SQL script, as pg_restore does.
    Restore(Box<restore::RestoreArgs>),
    /// Copy a database into another: schema and data, in parallel, without an intermediate file.
    Copy(Box<copy::CopyArgs>),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    Completions(docs::CompletionsArgs),
    /// Write the man pages (pgferry.1, pgferry-dump.1, ...) into a directory, or pgferry.1 to stdout.
    Man(docs::ManArgs),
    /// Print docs/reference.md, the Markdown CLI reference generated from these definitions.
    #[command(hide = true)]
    Reference(docs::ReferenceArgs),
}

fn main() {
    let cli = Cli::parse();
    init_logging(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => exit::fail(&format!("could not start the async runtime: {error}")),
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Check(args) => check::run(args).await,
            Command::Dump(args) => dump::run(*args, cli.verbose).await,
            Command::List(args) => list::run(args),
            Command::Restore(args) => restore::run(*args).await,
            Command::Copy(args) => copy::run(*args).await,
            Command::Completions(args) => docs::completions(args, Cli::command()),
            Command::Man(args) => docs::man(args, Cli::command()),
            Command::Reference(args) => docs::reference(args, Cli::command()),
        }
    });
    // Connection tasks may still be winding down; they hold nothing worth waiting for.
    runtime.shutdown_background();
    std::process::exit(code);
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,pgferry=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PGFERRY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .init();
}
