//! `pgferry check`.

use std::io::Write;

use clap::Args;
use pgferry::{CheckOptions, CheckReport};

use crate::conn_args::ConnArgs;
use crate::exit;

/// Arguments of `pgferry check`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    conn: ConnArgs,

    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    json: bool,

    /// Do not count a transaction-mode connection pooler as a reason a dump could not run.
    #[arg(long)]
    allow_pooler: bool,

    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
}

pub(crate) async fn run(args: CheckArgs) -> i32 {
    if let Some(message) = args.conn.usage_error() {
        return exit::Stop::Usage(message).report();
    }
    let config = match args.conn.resolve() {
        Ok(config) => config,
        Err(error) => return report_error(args.json, &error.to_string()),
    };
    let options = CheckOptions {
        allow_pooler: args.allow_pooler,
    };
    let report = match pgferry::check(&config, &options).await {
        Ok(report) => report,
        Err(error) => return report_error(args.json, &error.to_string()),
    };
    if args.json {
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        value["ok"] = serde_json::Value::Bool(report.ready);
        print_line(&value.to_string());
    } else {
        print_text(&report);
    }
    if report.ready {
        exit::SUCCESS
    } else {
        if !args.json {
            for problem in &report.problems {
                eprintln!("pgferry: error: {problem}");
            }
        }
        exit::FAILURE
    }
}

fn report_error(json: bool, message: &str) -> i32 {
    if json {
        print_line(&serde_json::json!({ "ok": false, "error": message }).to_string());
    }
    eprintln!("pgferry: error: {message}");
    exit::FAILURE
}

/// One line on stdout; a reader that went away (`| head`) is not an error worth a panic.
fn print_line(line: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

fn print_text(report: &CheckReport) {
    let mut out = std::io::stdout().lock();
    let verdict = if report.ready {
        "ready to dump"
    } else {
        "a dump could not run"
    };
    let superuser = if report.user.superuser {
        "superuser"
    } else {
        "not a superuser"
    };
    let tls = match &report.tls {
        Some(tls) => {
            let check = match tls.certificate_check {
                "full" => "certificate and host name verified",
                "chain" => "certificate verified, host name not checked",
                _ => "certificate not verified",
            };
            format!("{}, {} ({check})", tls.protocol, tls.cipher)
        }
        None => "not in use".to_owned(),
    };
    let pooler = match (&report.pooler.mode, report.pooler.detected) {
        (Some(mode), true) => {
            let mut text = format!("{mode} mode: {}", report.pooler.evidence.join("; "));
            if let Some(direct) = &report.pooler.direct_host {
                text.push_str(&format!("; direct host: {direct}"));
            }
            text
        }
        _ => "none (direct connection)".to_owned(),
    };
    let lines = [
        format!("pgferry check: {verdict}"),
        format!(
            "  server    PostgreSQL {} at {}, port {}",
            report.server.version, report.server.host, report.server.port
        ),
        format!(
            "  database  {} ({}, {} tables)",
            report.database.name,
            human_bytes(report.database.size_bytes),
            report.database.tables
        ),
        format!("  user      {} ({superuser})", report.user.name),
        format!("  TLS       {tls}"),
        format!("  pooler    {pooler}"),
    ];
    for line in &lines {
        let _ = writeln!(out, "{line}");
    }
    for warning in &report.warnings {
        let _ = writeln!(out, "  warning   {warning}");
    }
}

fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::human_bytes;

    #[test]
    fn sizes_read_like_pg_size_pretty() {
        assert_eq!(human_bytes(512), "512 bytes");
        assert_eq!(human_bytes(7_700_000), "7.3 MB");
        assert_eq!(human_bytes(3 * 1024 * 1024 * 1024), "3.0 GB");
    }
}
