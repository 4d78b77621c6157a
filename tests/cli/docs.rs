//! The generated documentation: `docs/reference.md` must be what `pgferry reference` prints now, completions
//! and man pages must cover every command, and the example backup workflow must not install PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The command that regenerates `docs/reference.md` (the same string the binary names in the file's header).
const REGENERATE: &str = "cargo run -q -p pgferry-cli -- reference > docs/reference.md";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Runs `pgferry ARGS` (no server involved) and returns stdout, requiring exit 0 and a quiet stderr.
fn pgferry(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_pgferry"))
        .args(args)
        .env_remove("PGFERRY_LOG")
        .output()
        .expect("could not run pgferry");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "pgferry {args:?} failed ({}):\n{stderr}",
        output.status
    );
    assert!(
        stderr.trim().is_empty(),
        "pgferry {args:?} wrote to stderr:\n{stderr}"
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

/// The visible commands, as `pgferry --help` lists them.
fn commands() -> Vec<String> {
    let help = pgferry(&["--help"]);
    let mut lines = help.lines().skip_while(|l| l.trim() != "Commands:").skip(1);
    let mut names = Vec::new();
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
        // A command's line is indented by two spaces; wrapped about text by more.
        if let Some(rest) = line.strip_prefix("  ") {
            if !rest.starts_with(' ') {
                names.push(rest.split_whitespace().next().unwrap().to_owned());
            }
        }
    }
    for expected in [
        "check",
        "dump",
        "list",
        "restore",
        "copy",
        "completions",
        "man",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "`pgferry --help` does not list {expected}: {names:?}\n{help}"
        );
    }
    assert!(
        !names.iter().any(|n| n == "reference"),
        "the reference command should be hidden: {names:?}"
    );
    names
}

#[test]
fn reference_md_is_generated_from_the_cli() {
    let generated = pgferry(&["reference"]);
    assert!(
        generated.contains(REGENERATE),
        "the generated reference does not name the command that regenerates it ({REGENERATE})"
    );
    for command in commands() {
        assert!(
            generated.contains(&format!("## `pgferry {command}`")),
            "the generated reference has no section for {command}"
        );
    }
    let path = workspace_root().join("docs/reference.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let first_difference = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(generated.lines().count()));
        panic!(
            "docs/reference.md is out of date with the CLI definitions (first difference at line {}: \
             committed {:?}, generated {:?}); regenerate it from the workspace root with:\n\n    {REGENERATE}\n",
            first_difference + 1,
            committed.lines().nth(first_difference).unwrap_or("<end>"),
            generated.lines().nth(first_difference).unwrap_or("<end>"),
        );
    }
}

/// How each shell's script names a command of pgferry, and how it completes `--no-owner`.
fn command_pattern(shell: &str, command: &str) -> String {
    match shell {
        "bash" => format!("pgferry,{command})"),
        "zsh" => format!("'{command}:"),
        "fish" => format!("-a \"{command}\""),
        "elvish" => format!("cand {command} "),
        "powershell" => format!("'pgferry;{command}'"),
        _ => unreachable!("{shell}"),
    }
}

fn option_pattern(shell: &str, long: &str) -> String {
    match shell {
        "fish" => format!("-l {long}"),
        _ => format!("--{long}"),
    }
}

#[test]
fn completions_name_every_command() {
    let commands = commands();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = pgferry(&["completions", shell]);
        assert!(
            script.len() > 1000,
            "{shell} completions are too short:\n{script}"
        );
        for command in &commands {
            let pattern = command_pattern(shell, command);
            assert!(
                script.contains(&pattern),
                "{shell} completions do not offer {command} ({pattern:?} not found)"
            );
        }
        let hidden = command_pattern(shell, "reference");
        assert!(
            !script.contains(&hidden),
            "{shell} completions offer the hidden reference command"
        );
        // Options of the commands are completed too, not only their names.
        for long in ["no-owner", "use-list", "allow-pooler"] {
            assert!(
                script.contains(&option_pattern(shell, long)),
                "{shell} completions miss --{long}"
            );
        }
    }
}

#[test]
fn man_pages_for_every_command() {
    let commands = commands();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("man1");
    let printed = pgferry(&["man", "--dir", out.to_str().unwrap()]);
    assert!(printed.is_empty(), "man --dir printed: {printed}");
    let main = std::fs::read_to_string(out.join("pgferry.1")).expect("pgferry.1");
    assert!(
        main.starts_with(".ie") || main.contains(".TH pgferry 1"),
        "{main}"
    );
    for command in &commands {
        assert!(
            main.contains(command.as_str()),
            "pgferry.1 does not name {command}"
        );
        let page = out.join(format!("pgferry-{command}.1"));
        let text =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(
            text.contains(&format!(".TH pgferry-{command} 1")),
            "{} has no title line:\n{text}",
            page.display()
        );
    }
    assert!(
        !out.join("pgferry-reference.1").exists(),
        "the hidden reference command got a man page"
    );
    // Without --dir, pgferry.1 goes to stdout.
    assert_eq!(pgferry(&["man"]), main);
    let dump = std::fs::read_to_string(out.join("pgferry-dump.1")).unwrap();
    assert!(
        dump.contains("no\\-owner"),
        "pgferry-dump.1 lacks --no-owner"
    );
}

#[test]
fn nightly_backup_example_needs_no_postgres() {
    let root = workspace_root();
    let path = root.join("docs/examples/nightly-backup.yml");
    let text = std::fs::read_to_string(&path).expect("docs/examples/nightly-backup.yml");
    assert!(
        !root.join(".github/workflows/nightly-backup.yml").exists(),
        "the example must stay out of .github/workflows"
    );
    let code: Vec<&str> = text
        .lines()
        .map(|l| l.split(" #").next().unwrap_or(""))
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    let code = code.join("\n");
    for needed in [
        "schedule:",
        "cron:",
        "secrets.DATABASE_URL",
        "cargo install --locked",
        "pgferry dump -Fc -j 4 -f backup.dump \"$DATABASE_URL\"",
        "pgferry list backup.dump",
        "actions/upload-artifact",
    ] {
        assert!(
            code.contains(needed),
            "the example workflow lacks {needed:?}"
        );
    }
    let lower = code.to_lowercase();
    for forbidden in [
        "services:",
        "apt-get",
        "apt install",
        "brew install",
        "postgresql-",
        "postgresql.org",
        "image: postgres",
        "setup-postgres",
        "pg_dump",
        "pg_restore",
    ] {
        assert!(
            !lower.contains(forbidden),
            "the example workflow must not install or call PostgreSQL ({forbidden:?} found)"
        );
    }
    // The options it passes exist.
    let dump_help = pgferry(&["dump", "--help"]);
    for option in ["-F, --format", "-j, --jobs", "-f, --file"] {
        assert!(dump_help.contains(option), "pgferry dump has no {option}");
    }
}

#[test]
fn relative_links_in_the_docs_resolve() {
    let root = workspace_root();
    let mut files = vec![root.join("README.md")];
    for dir in ["docs"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("docs/") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("markdown file");
        let base = file.parent().unwrap();
        for target in markdown_links(&text) {
            if target.contains("://") || target.starts_with('#') || target.starts_with("mailto:") {
                continue;
            }
            let (path, anchor) = match target.split_once('#') {
                Some((path, anchor)) => (path, Some(anchor)),
                None => (target.as_str(), None),
            };
            let resolved = base.join(path);
            if let (Some(anchor), true) = (anchor, resolved.is_file() && path.ends_with(".md")) {
                let linked = std::fs::read_to_string(&resolved).expect("linked file");
                if !heading_anchors(&linked).iter().any(|a| a == anchor) {
                    broken.push(format!(
                        "{}: {target} (no such heading)",
                        file.strip_prefix(&root).unwrap().display()
                    ));
                }
            }
            if !resolved.exists() {
                broken.push(format!(
                    "{}: {target}",
                    file.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links to missing files:\n{}",
        broken.join("\n")
    );
}

/// GitHub's anchors for the headings of a Markdown file: lowercase, spaces to hyphens, other punctuation dropped.
fn heading_anchors(text: &str) -> Vec<String> {
    let mut in_block = false;
    let mut anchors = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block || !line.starts_with('#') {
            continue;
        }
        let title = line.trim_start_matches('#').trim();
        let anchor: String = title
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
                _ => None,
            })
            .collect();
        anchors.push(anchor);
    }
    anchors
}

/// The targets of `[text](target)` links outside code blocks.
fn markdown_links(text: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut in_block = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if in_block {
            continue;
        }
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            links.push(after[..end].trim().to_owned());
            rest = &after[end..];
        }
    }
    links
}
