//! Documentation generated from the clap definitions: shell completions, man pages and the Markdown reference
//! in `docs/reference.md`. One source for `--help` and the docs: every text here comes from `Cli::command()`.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Arg, ArgAction, Args, Command};
use clap_complete::Shell;

use crate::exit;

/// The command that regenerates `docs/reference.md`, named in its first lines and by the test that compares it.
pub(crate) const REGENERATE: &str = "cargo run -q -p pgferry-cli -- reference > docs/reference.md";

/// Arguments of `pgferry completions`.
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_name = "SHELL", value_enum)]
    shell: Shell,
}

/// Arguments of `pgferry man`.
#[derive(Debug, Args)]
pub(crate) struct ManArgs {
    /// Write pgferry.1 and one page per command (pgferry-dump.1, ...) into DIR, which is created if needed.
    /// Without it, pgferry.1 goes to standard output.
    #[arg(long = "dir", value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Arguments of `pgferry reference` (hidden).
#[derive(Debug, Args)]
pub(crate) struct ReferenceArgs {}

/// `pgferry completions SHELL`: the completion script on stdout.
pub(crate) fn completions(args: CompletionsArgs, cmd: Command) -> i32 {
    let mut script = Vec::new();
    let mut cmd = without_hidden_commands(cmd);
    clap_complete::generate(args.shell, &mut cmd, "pgferry", &mut script);
    write_stdout(&script)
}

/// `pgferry man [--dir DIR]`.
pub(crate) fn man(args: ManArgs, cmd: Command) -> i32 {
    match args.dir {
        Some(dir) => {
            if let Err(error) = std::fs::create_dir_all(&dir) {
                exit::fail(&format!("could not create {}: {error}", dir.display()));
            }
            match clap_mangen::generate_to(cmd, &dir) {
                Ok(()) => exit::SUCCESS,
                Err(error) => exit::fail(&format!(
                    "could not write man pages into {}: {error}",
                    dir.display()
                )),
            }
        }
        None => {
            let mut page = Vec::new();
            let mut cmd = cmd;
            cmd.build();
            if let Err(error) = clap_mangen::Man::new(cmd).render(&mut page) {
                exit::fail(&format!("could not render the man page: {error}"));
            }
            write_stdout(&page)
        }
    }
}

/// `pgferry reference`: `docs/reference.md` on stdout.
pub(crate) fn reference(_args: ReferenceArgs, cmd: Command) -> i32 {
    write_stdout(render_reference(cmd).as_bytes())
}

/// The same command without its hidden subcommands, which some completion generators (bash's) would offer.
fn without_hidden_commands(cmd: Command) -> Command {
    let mut visible = Command::new(cmd.get_name().to_owned())
        .disable_help_subcommand(true)
        .subcommand_required(cmd.is_subcommand_required_set())
        .args(cmd.get_arguments().cloned())
        .subcommands(cmd.get_subcommands().filter(|c| !c.is_hide_set()).cloned());
    if let Some(version) = cmd.get_version() {
        visible = visible.version(version.to_owned());
    }
    if let Some(about) = cmd.get_about() {
        visible = visible.about(about.clone());
    }
    visible
}

fn write_stdout(bytes: &[u8]) -> i32 {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => exit::SUCCESS,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => exit::SUCCESS,
        Err(error) => exit::fail(&format!("could not write to standard output: {error}")),
    }
}

/// Renders the Markdown reference: the global options, then every visible command with its about text, usage,
/// arguments and options, in the order `pgferry --help` lists them.
fn render_reference(cmd: Command) -> String {
    // No wrapping: the output must not depend on the terminal it is generated in.
    let mut cmd = cmd.term_width(0).max_term_width(0);
    cmd.build();
    let name = cmd.get_name().to_owned();
    let mut md = String::new();
    md.push_str("# pgferry command reference\n\n");
    let _ = writeln!(
        md,
        "Generated from the CLI definitions by the hidden `{name} reference` command: do not edit. Regenerate \
         with `{REGENERATE}` (a test fails when this file is out of date).\n"
    );
    let _ = writeln!(
        md,
        "The same definitions give `{name} --help`, `{name} COMMAND --help`, the man pages (`{name} man`) and the \
         shell completions (`{name} completions`). The user guide is [README.md](README.md).\n"
    );
    if let Some(about) = cmd.get_long_about().or_else(|| cmd.get_about()) {
        let _ = writeln!(md, "{}\n", sentence(&escape(&about.to_string())));
    }
    let _ = writeln!(
        md,
        "```text\n{}\n```\n",
        cmd.render_usage().to_string().trim()
    );

    let commands: Vec<&Command> = cmd.get_subcommands().filter(|c| !c.is_hide_set()).collect();
    md.push_str("## Commands\n\n");
    for sub in &commands {
        let about = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        let _ = writeln!(
            md,
            "- [`{name} {sub}`](#{name}-{sub}): {about}",
            sub = sub.get_name(),
            about = sentence(&escape(&about))
        );
    }
    md.push('\n');

    let globals: Vec<&Arg> = visible_options(&cmd).collect();
    if !globals.is_empty() {
        md.push_str("## Global options\n\n");
        md.push_str("These go before or after the command (`pgferry -v dump ...`).\n\n");
        for arg in globals {
            render_arg(&mut md, arg);
        }
        md.push('\n');
    }

    for sub in commands {
        let full = format!("{name} {}", sub.get_name());
        let _ = writeln!(md, "## `{full}`\n");
        if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
            let _ = writeln!(md, "{}\n", sentence(&escape(&about.to_string())));
        }
        let usage = sub.clone().render_usage().to_string();
        let _ = writeln!(md, "```text\n{}\n```\n", usage.trim());
        let positionals: Vec<&Arg> = sub.get_positionals().filter(|a| !a.is_hide_set()).collect();
        if !positionals.is_empty() {
            md.push_str("Arguments:\n\n");
            for arg in positionals {
                render_arg(&mut md, arg);
            }
            md.push('\n');
        }
        let options: Vec<&Arg> = visible_options(sub)
            .filter(|a| !a.is_global_set())
            .collect();
        if !options.is_empty() {
            md.push_str("Options:\n\n");
            for arg in options {
                render_arg(&mut md, arg);
            }
            md.push('\n');
        }
    }
    // One trailing newline, as editors leave it.
    while md.ends_with("\n\n") {
        md.pop();
    }
    md
}

/// The options of `cmd` a user can give: not positional, not hidden, not `--help`/`--version`.
fn visible_options(cmd: &Command) -> impl Iterator<Item = &Arg> {
    cmd.get_arguments().filter(|arg| {
        !arg.is_positional()
            && !arg.is_hide_set()
            && !matches!(
                arg.get_action(),
                ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
            )
    })
}

/// One list item: the spelling in a code span, then the help text, possible values, default and environment.
fn render_arg(md: &mut String, arg: &Arg) {
    let mut spelling = String::new();
    if arg.is_positional() {
        let value = value_names(arg).join(" ");
        if arg.is_required_set() {
            let _ = write!(spelling, "<{value}>");
        } else {
            let _ = write!(spelling, "[{value}]");
        }
        if matches!(arg.get_action(), ArgAction::Append)
            || arg.get_num_args().is_some_and(|n| n.max_values() > 1)
        {
            spelling.push_str("...");
        }
    } else {
        let mut names = Vec::new();
        if let Some(short) = arg.get_short() {
            names.push(format!("-{short}"));
        }
        if let Some(long) = arg.get_long() {
            names.push(format!("--{long}"));
        }
        spelling = names.join(", ");
        if arg.get_action().takes_values() {
            for value in value_names(arg) {
                let _ = write!(spelling, " <{value}>");
            }
        }
    }
    let help = arg
        .get_long_help()
        .or_else(|| arg.get_help())
        .map(|h| h.to_string())
        .unwrap_or_default();
    let mut text = sentence(&escape(&help));
    let mut extras = Vec::new();
    let possible: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| match v.get_help() {
            Some(help) => format!(
                "`{}`: {}",
                v.get_name(),
                lowercase_first(&escape(&help.to_string()))
            ),
            None => format!("`{}`", v.get_name()),
        })
        .collect();
    // Flags have the possible values true/false; they say nothing.
    if !possible.is_empty() && arg.get_action().takes_values() {
        extras.push(format!("Values: {}.", possible.join("; ")));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| format!("`{}`", v.to_string_lossy()))
        .collect();
    if !defaults.is_empty() && arg.get_action().takes_values() {
        extras.push(format!("Default: {}.", defaults.join(", ")));
    }
    if let Some(env) = arg.get_env() {
        extras.push(format!("Environment: `{}`.", env.to_string_lossy()));
    }
    let aliases: Vec<String> = arg
        .get_visible_aliases()
        .unwrap_or_default()
        .iter()
        .map(|a| format!("`--{a}`"))
        .collect();
    if !aliases.is_empty() {
        extras.push(format!("Also spelled {}.", aliases.join(", ")));
    }
    for extra in extras {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&extra);
    }
    let _ = write!(md, "- `{spelling}`");
    if !text.is_empty() {
        md.push_str(": ");
        // Continuation lines (paragraphs of a long help) stay inside the list item.
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                md.push('\n');
                if !line.trim().is_empty() {
                    md.push_str("  ");
                }
            }
            md.push_str(line.trim_end());
        }
    }
    md.push('\n');
}

fn value_names(arg: &Arg) -> Vec<String> {
    match arg.get_value_names() {
        Some(names) if !names.is_empty() => names.iter().map(|n| n.to_string()).collect(),
        _ => vec![arg.get_id().as_str().to_uppercase()],
    }
}

fn lowercase_first(text: &str) -> String {
    let text = text.trim().trim_end_matches('.');
    let mut chars = text.chars();
    match chars.next() {
        // Keep acronyms and names (JSON, SQL) as written.
        Some(first) if chars.clone().next().is_some_and(|c| c.is_lowercase()) => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

/// The text, trimmed, ending with a full stop (clap drops the one of a one-sentence doc comment).
fn sentence(text: &str) -> String {
    let mut text = text.trim().to_owned();
    if !text.is_empty() && !text.ends_with(['.', '!', '?', ':']) {
        text.push('.');
    }
    text
}

/// Escapes `<` outside code spans, so that a help text's `<NAME>` is not taken for an HTML tag.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '<' if !in_code => out.push_str("&lt;"),
            _ => out.push(c),
        }
    }
    out
}
