//! The README's tour runs as written: every command between the `<!-- tour -->`
//! and `<!-- /tour -->` markers is run, in order, in a temporary directory holding
//! a copy of `examples/`, with the exit status the README states for it (a
//! trailing `# exit N` comment). Commands marked `network` are skipped, each with a
//! visible line on stderr; `export NAME=VALUE` lines set the environment of the
//! commands after them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// One command of the tour.
#[derive(Debug)]
struct Step {
    /// The line in README.md where it starts.
    line: usize,
    /// The shell command, continuation lines joined, without its comment.
    command: String,
    /// The exit status the README states.
    exit: i32,
    /// Needs the network (skipped).
    network: bool,
}

/// The commands of every tour block of `readme`.
fn tour(readme: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut inside = false;
    let mut fenced = false;
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in readme.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line == "<!-- tour -->" {
            inside = true;
            continue;
        }
        if line == "<!-- /tour -->" {
            assert!(pending.is_none(), "README.md:{line_no}: unfinished command");
            inside = false;
            continue;
        }
        if !inside {
            continue;
        }
        if line.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced || (pending.is_none() && (line.is_empty() || line.starts_with('#'))) {
            continue;
        }
        let (start, mut text) = pending.take().unwrap_or((line_no, String::new()));
        if let Some(part) = line.strip_suffix('\\') {
            text.push_str(part.trim_end());
            text.push(' ');
            pending = Some((start, text));
            continue;
        }
        text.push_str(line);
        let (command, comment) = match text.find(" #") {
            Some(at) => (
                text[..at].trim().to_owned(),
                text[at + 2..].trim().to_owned(),
            ),
            None => (text.trim().to_owned(), String::new()),
        };
        if command.starts_with("export ") {
            steps.push(Step {
                line: start,
                command,
                exit: 0,
                network: false,
            });
            continue;
        }
        let exit = comment
            .split([';', ',', ':'])
            .map(str::trim)
            .find_map(|w| w.strip_prefix("exit "))
            .and_then(|n| n.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| {
                panic!("README.md:{start}: `{command}` states no exit status (`# exit N`)")
            });
        steps.push(Step {
            line: start,
            command,
            exit,
            network: comment.contains("network"),
        });
    }
    assert!(!fenced && !inside, "README.md: a tour block is not closed");
    steps
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn readme_tour_runs_as_written() {
    let readme = std::fs::read_to_string(common::repo().join("README.md")).unwrap();
    let steps = tour(&readme);
    assert!(
        steps.len() >= 20,
        "the tour has {} commands: are its <!-- tour --> markers there?",
        steps.len()
    );
    for needed in [
        "cverun scan",
        "cverun plan",
        "cverun blast",
        "cverun incident declare",
    ] {
        assert!(
            steps.iter().any(|s| s.command.starts_with(needed)),
            "the tour has no `{needed}`"
        );
    }

    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &common::repo().join("examples"),
        &dir.path().join("examples"),
    );
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_cverun"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut env: Vec<(String, String)> = Vec::new();
    let mut failures = Vec::new();
    for step in &steps {
        if step.network {
            eprintln!(
                "SKIPPED README.md:{} `{}`: needs the network",
                step.line, step.command
            );
            continue;
        }
        if let Some(assign) = step.command.strip_prefix("export ") {
            let (k, v) = assign.split_once('=').expect("export NAME=VALUE");
            env.push((k.to_owned(), v.to_owned()));
            continue;
        }
        let out = Command::new("sh")
            .arg("-c")
            .arg(&step.command)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", &path)
            .env("HOME", &home)
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("NO_COLOR", "1")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .output()
            .unwrap();
        let code = out.status.code().unwrap_or(-1);
        if code != step.exit {
            failures.push(format!(
                "README.md:{}: `{}` exited {code}, the README says {}\nstdout:\n{}\nstderr:\n{}",
                step.line,
                step.command,
                step.exit,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn tour_parser_reads_continuations_exits_and_network_marks() {
    let text = "intro\n<!-- tour -->\n```sh\n# a comment\ncverun scan a \\\n    --format json  # exit 1: findings\ncverun db update  # exit 0; network\n```\n<!-- /tour -->\n```sh\ncverun not-in-tour\n```\n";
    let steps = tour(text);
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(steps[0].command, "cverun scan a --format json");
    assert_eq!(
        (steps[0].exit, steps[0].network, steps[0].line),
        (1, false, 5)
    );
    assert_eq!((steps[1].exit, steps[1].network), (0, true));
}
