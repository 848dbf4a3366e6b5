//! The command line itself: errors on stderr only, `-o FILE`, JSON layout, flags
//! shown only where they apply, examples in `--help`, completions and man pages.

mod common;

use common::{Run, bin, repo, run};

fn examples(p: &str) -> String {
    repo().join("examples").join(p).display().to_string()
}

fn run_in(dir: &std::path::Path, args: &[&str]) -> Run {
    let out = bin().current_dir(dir).args(args).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every command, made to fail: status 2, nothing on stdout, the error on stderr.
#[test]
fn failing_commands_print_nothing_on_stdout_and_the_error_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let empty_db = t.join("empty-db");
    let empty_db = empty_db.to_str().unwrap();
    let adv = examples("advisories");
    let missing = "/nonexistent/cverun-path";
    let cases: Vec<Vec<&str>> = vec![
        vec!["scan", missing, "--advisories", &adv],
        vec!["scan", missing, "--advisories", &adv, "--format", "json"],
        vec!["scan", missing, "--advisories", &adv, "--format", "sarif"],
        vec![
            "scan",
            missing,
            "--advisories",
            &adv,
            "--format",
            "markdown",
        ],
        vec!["scan", "--db", empty_db, "."],
        vec!["plan", missing, "--advisories", &adv],
        vec!["plan", missing, "--advisories", &adv, "--format", "json"],
        vec!["explain", "CVE-2021-44228", missing, "--advisories", &adv],
        vec!["blast", "CVE-2021-44228", missing, "--advisories", &adv],
        vec![
            "blast",
            "CVE-2021-44228",
            missing,
            "--advisories",
            &adv,
            "--format",
            "json",
        ],
        vec!["query", "nosuch-ecosystem", "x", "1"],
        vec![
            "query", "--db", empty_db, "PyPI", "jinja2", "2.10", "--format", "json",
        ],
        vec!["db", "status", "--db", empty_db],
        vec!["db", "status", "--db", empty_db, "--format", "json"],
        vec!["db", "import", "--db", empty_db, missing],
        vec!["inventory", "save", missing, "-o", "inv.sqlite"],
        vec!["exceptions", "check", ".", "--exceptions", missing],
        vec![
            "exceptions",
            "check",
            ".",
            "--exceptions",
            missing,
            "--format",
            "json",
        ],
        vec!["incident", "show", "INC-2026-11-23-1"],
        vec!["incident", "show", "INC-2026-11-23-1", "--format", "json"],
        vec!["incident", "timeline", "INC-2026-11-23-1"],
        vec![
            "incident",
            "check",
            "INC-2026-11-23-1",
            "triaged",
            "--actor",
            "alice",
        ],
        vec!["evidence", "verify", missing],
        vec!["report", "metrics", "--since", "not a time"],
        vec!["scan", "--no-such-flag"],
        vec!["completions", "no-such-shell"],
        vec!["man", "--dir", "/proc/cverun-cannot-be-here"],
    ];
    for args in &cases {
        let r = run_in(t, args);
        let expected = 2;
        assert_eq!(
            r.code, expected,
            "cverun {args:?}: status {}\n{}",
            r.code, r.stderr
        );
        // A scan of a path that does not exist still reports (an incomplete scan),
        // and so do an import and an inventory (what they left); every other failure prints
        // nothing on stdout.
        let reports = args.contains(&missing)
            && (["scan", "plan", "explain", "blast"].contains(&args[0])
                || ["import", "save"].contains(&args[1]));
        if reports {
            for line in r.stdout.lines() {
                assert!(
                    !line.starts_with("error") && !line.starts_with("warning"),
                    "cverun {args:?} printed a diagnostic on stdout:\n{}",
                    r.stdout
                );
            }
        } else {
            assert_eq!(
                r.stdout, "",
                "cverun {args:?} printed on stdout:\n{}",
                r.stdout
            );
        }
        assert!(
            r.stderr.contains("error"),
            "cverun {args:?}: no error on stderr: {:?}",
            r.stderr
        );
    }
}

/// A warning (here: the scan's, about an ecosystem not checked) never mixes into the
/// JSON report.
#[test]
fn warnings_stay_off_stdout_in_json() {
    let r = run(
        &[
            "scan",
            &examples("fleet"),
            "--advisories",
            &examples("advisories/EXAMPLE-2021-0004.json"),
            "--format",
            "json",
        ],
        None,
    );
    let v = common::json(&r);
    assert_eq!(v["schema"], "cverun.scan/1", "{}", r.stdout);
}

#[test]
fn reports_are_written_atomically_with_o() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let fleet = examples("fleet");
    let adv = examples("advisories");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "plan",
                &fleet,
                "--advisories",
                &adv,
                "--format",
                "json",
                "-o",
                "plan.json",
            ],
            "plan.json",
        ),
        (
            vec!["plan", &fleet, "--advisories", &adv, "-o", "plan.txt"],
            "plan.txt",
        ),
        (
            vec![
                "explain",
                "CVE-2021-44228",
                &fleet,
                "--advisories",
                &adv,
                "--output",
                "explain.json",
                "--format",
                "json",
            ],
            "explain.json",
        ),
        (
            vec![
                "blast",
                "CVE-2021-44228",
                &fleet,
                "--advisories",
                &adv,
                "-o",
                "blast.json",
                "--format",
                "json",
            ],
            "blast.json",
        ),
        (
            vec![
                "query",
                "--advisories",
                &adv,
                "npm",
                "lodash",
                "4.17.20",
                "-o",
                "query.txt",
            ],
            "query.txt",
        ),
        (
            vec![
                "query",
                "--advisories",
                &adv,
                "npm",
                "lodash",
                "4.17.20",
                "-o",
                "query.json",
                "--format",
                "json",
            ],
            "query.json",
        ),
        (
            vec![
                "exceptions",
                "check",
                &fleet,
                "-o",
                "exceptions.json",
                "--format",
                "json",
            ],
            "exceptions.json",
        ),
        (
            vec!["incident", "list", "-o", "list.json", "--format", "json"],
            "list.json",
        ),
        (
            vec!["report", "metrics", "-o", "metrics.txt"],
            "metrics.txt",
        ),
        (
            vec![
                "incident",
                "verify",
                "-o",
                "verify.json",
                "--format",
                "json",
            ],
            "verify.json",
        ),
        (
            vec!["incident", "tick", "-o", "tick.json", "--format", "json"],
            "tick.json",
        ),
        (
            vec![
                "scan",
                &fleet,
                "--advisories",
                &adv,
                "-o",
                "scan.json",
                "--format",
                "json",
            ],
            "scan.json",
        ),
    ];
    for (args, file) in &cases {
        let r = run_in(t, args);
        assert!(
            r.code == 0 || r.code == 1,
            "cverun {args:?}: {}\n{}",
            r.code,
            r.stderr
        );
        assert_eq!(r.stdout, "", "cverun {args:?} printed on stdout with -o");
        let text = std::fs::read_to_string(t.join(file)).unwrap();
        assert!(!text.is_empty(), "{file} is empty");
        assert!(!text.contains('\u{1b}'), "{file} holds colour codes");
        if file.ends_with(".json") {
            let v: serde_json::Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{file}: not JSON ({e}): {text}"));
            assert!(v.is_object(), "{file}");
            assert_eq!(
                text.trim_end().lines().count(),
                1,
                "{file}: JSON in a file is compact"
            );
        }
    }
    // The same report on stdout is the same as in the file.
    let r = run_in(
        t,
        &["plan", &fleet, "--advisories", &adv, "--format", "json"],
    );
    assert_eq!(
        r.stdout,
        std::fs::read_to_string(t.join("plan.json")).unwrap()
    );

    // A file that cannot be written: status 2, nothing left behind, and an
    // existing report is kept whole.
    std::fs::write(t.join("keep.json"), "old").unwrap();
    let r = run_in(
        t,
        &[
            "plan",
            &fleet,
            "--advisories",
            &adv,
            "-o",
            "no-such-dir/plan.json",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("no-such-dir/plan.json"), "{}", r.stderr);
    let leftovers: Vec<_> = std::fs::read_dir(t)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert_eq!(std::fs::read_to_string(t.join("keep.json")).unwrap(), "old");
}

/// Piped JSON is compact (one line) for every command, scan included.
#[test]
fn piped_json_is_one_line_everywhere() {
    let fleet = examples("fleet");
    let adv = examples("advisories");
    for args in [
        vec!["scan", &fleet, "--advisories", &adv, "--format", "json"],
        vec!["plan", &fleet, "--advisories", &adv, "--format", "json"],
        vec![
            "blast",
            "CVE-2021-44228",
            &fleet,
            "--advisories",
            &adv,
            "--format",
            "json",
        ],
        vec![
            "query",
            "--advisories",
            &adv,
            "npm",
            "lodash",
            "4.17.20",
            "--format",
            "json",
        ],
        vec!["scan", &fleet, "--advisories", &adv, "--format", "sarif"],
    ] {
        let r = run(&args, None);
        common::json(&r);
        assert_eq!(r.stdout.lines().count(), 1, "cverun {args:?}");
        assert!(r.stdout.ends_with('\n'));
    }
}

fn help(args: &[&str]) -> String {
    let r = run(args, None);
    assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    r.stdout
}

#[test]
fn flags_are_shown_only_where_they_apply() {
    for cmd in [
        vec!["scan", "--help"],
        vec!["plan", "--help"],
        vec!["explain", "--help"],
        vec!["blast", "--help"],
        vec!["query", "--help"],
        vec!["db", "status", "--help"],
        vec!["db", "update", "--help"],
    ] {
        let h = help(&cmd);
        assert!(h.contains("--db <DIR>"), "{cmd:?} does not show --db:\n{h}");
        for other in ["--state", "--actor", "--database"] {
            assert!(!h.contains(other), "{cmd:?} shows {other}:\n{h}");
        }
    }
    for cmd in [
        vec!["exceptions", "check", "--help"],
        vec!["inventory", "save", "--help"],
        vec!["incident", "list", "--help"],
        vec!["evidence", "--help"],
        vec!["report", "metrics", "--help"],
        vec!["completions", "--help"],
    ] {
        let h = help(&cmd);
        assert!(!h.contains("--db"), "{cmd:?} shows --db:\n{h}");
    }
    for cmd in [
        vec!["incident", "list", "--help"],
        vec!["report", "metrics", "--help"],
    ] {
        let h = help(&cmd);
        assert!(h.contains("--state"), "{cmd:?}:\n{h}");
    }
    // declare reads the database (--priority auto) and writes the store.
    let h = help(&["incident", "declare", "--help"]);
    assert!(
        h.contains("--db <DIR>") && h.contains("--state") && h.contains("--actor"),
        "{h}"
    );
}

#[test]
fn db_is_accepted_before_and_after_the_command_name() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let db = db.to_str().unwrap();
    let r = run(
        &["db", "import", &examples("advisories")],
        Some(tmp.path().join("db").as_path()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let args = ["npm", "lodash", "4.17.20", "--format", "json"];
    let before = run(&[&["--db", db, "query"][..], &args].concat(), None);
    let after = run(&[&["query"][..], &args, &["--db", db]].concat(), None);
    let env = bin()
        .env("CVERUN_DB", db)
        .args([&["query"][..], &args].concat())
        .output()
        .unwrap();
    assert_eq!(before.code, 1, "{}", before.stderr);
    assert_eq!(after.code, 1, "{}", after.stderr);
    assert_eq!(env.status.code(), Some(1));
    assert_eq!(before.stdout, after.stdout);
    assert_eq!(before.stdout, String::from_utf8_lossy(&env.stdout));
    // After the command name wins over before it, and over CVERUN_DB.
    let r = run(
        &["--db", "/nonexistent/db", "db", "status", "--db", db],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = bin()
        .env("CVERUN_DB", "/nonexistent/db")
        .args(["db", "status", "--db", db])
        .output()
        .unwrap();
    assert_eq!(r.status.code(), Some(0));
    // `db --db DIR status` too.
    let r = run(&["db", "--db", db, "status"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A command that reads no database says it ignores --db.
    let r = run(
        &["--db", db, "exceptions", "check", &examples("fleet")],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("--db is ignored by `cverun exceptions`"),
        "{}",
        r.stderr
    );
}

#[test]
fn main_commands_show_examples_in_help() {
    for cmd in [
        vec!["scan"],
        vec!["plan"],
        vec!["blast"],
        vec!["explain"],
        vec!["query"],
        vec!["incident"],
        vec!["db", "update"],
    ] {
        let h = help(&[&cmd[..], &["--help"]].concat());
        assert!(h.contains("Examples:"), "{cmd:?}:\n{h}");
        assert!(
            h.contains(&format!("cverun {}", cmd.join(" "))),
            "{cmd:?}:\n{h}"
        );
    }
    let h = help(&["--help"]);
    assert!(h.contains("Exit status: 0"), "{h}");
    assert!(h.contains("completions") && h.contains("man"), "{h}");
}

#[test]
fn completions_name_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = run(&["completions", shell], None);
        assert_eq!(r.code, 0, "{shell}: {}", r.stderr);
        for word in ["scan", "plan", "blast", "incident", "advisories"] {
            assert!(r.stdout.contains(word), "{shell} completions lack {word}");
        }
    }
    let r = run(&["completions", "bash"], None);
    assert!(r.stdout.contains("complete -F"), "{}", r.stdout);
}

#[test]
fn man_page_describes_commands_and_exit_status() {
    let r = run(&["man"], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = r.stdout;
    assert!(
        m.starts_with(".ie") || m.starts_with(".TH"),
        "{}",
        &m[..m.len().min(200)]
    );
    assert!(m.contains(".TH cverun 1"), "no title");
    for cmd in [
        "scan",
        "plan",
        "blast",
        "explain",
        "query",
        "incident",
        "completions",
    ] {
        assert!(m.contains(cmd), "the man page lacks {cmd}");
    }
    assert!(m.contains(".SH \"EXIT STATUS\""), "no exit status section");
    assert!(m.contains("CVERUN_DB"));

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("man1");
    let r = run(&["man", "--dir", dir.to_str().unwrap()], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for page in [
        "cverun.1",
        "cverun-scan.1",
        "cverun-incident-declare.1",
        "cverun-db-update.1",
    ] {
        assert!(dir.join(page).is_file(), "{page} not written: {}", r.stdout);
        assert!(r.stdout.contains(page));
    }
    let main = std::fs::read_to_string(dir.join("cverun.1")).unwrap();
    assert!(main.contains("EXIT STATUS"));
    let scan = std::fs::read_to_string(dir.join("cverun-scan.1")).unwrap();
    assert!(scan.contains("fail\\-on"), "{scan}");
}
