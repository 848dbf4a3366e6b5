//! `cverun fix` through the real binary, on copies of real services of the shared
//! corpus in real git repositories: the plan and exact diff of a dry run, `--apply`
//! on a hotfix branch with the ecosystem's own tool regenerating the lockfile and
//! checking it, idempotence, the re-scan proof, and the refusals (dirty tree, a
//! missing tool, not a repository). The registries (PyPI, crates.io, npm) are
//! reachable from these machines and from CI.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{bin, json, repo, run};
use cverun_testkit::shared_data;
use serde_json::Value;

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

/// A file of a revision, byte for byte.
fn show(dir: &Path, spec: &str) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", spec])
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git show {spec}");
    String::from_utf8(out.stdout).unwrap()
}

/// A git repository holding `files` (path in the repository, source file).
fn repository(files: &[(&str, PathBuf)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    for (to, from) in files {
        let dest = p.join(to);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(from, &dest).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
    init(p);
    d
}

fn init(p: &Path) {
    git(p, &["init", "--quiet", "-b", "main"]);
    git(p, &["config", "user.email", "ci@example.invalid"]);
    git(p, &["config", "user.name", "CI"]);
    git(p, &["config", "commit.gpgsign", "false"]);
    git(p, &["add", "."]);
    git(p, &["commit", "--quiet", "-m", "service as published"]);
}

/// `cverun fix ROOT ARGS... --format json`: exit status, JSON, stderr.
fn fix(root: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut a = vec!["fix", root.to_str().unwrap(), "--format", "json"];
    a.extend_from_slice(args);
    let r = run(&a, None);
    let v = if r.stdout.trim().is_empty() {
        Value::Null
    } else {
        json(&r)
    };
    (r.code, v, r.stderr)
}

fn data(name: &str) -> String {
    repo()
        .join("crates/cverun/tests/data/fix")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// The lines that differ between two texts (old line, new line), in order.
fn changed_lines(old: &str, new: &str) -> Vec<(String, String)> {
    let a: Vec<&str> = old.split_inclusive('\n').collect();
    let b: Vec<&str> = new.split_inclusive('\n').collect();
    assert_eq!(
        a.len(),
        b.len(),
        "the number of lines changed:\n{old}\n---\n{new}"
    );
    a.iter()
        .zip(&b)
        .filter(|(x, y)| x != y)
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .collect()
}

#[test]
fn pypi_service_fixed_on_a_hotfix_branch_and_proved_by_rescan() {
    let Some(shared) = shared_data(&cverun_testkit::test_name!()) else {
        return;
    };
    // recommendationservice of opentelemetry-demo at 2022-10 pins requests==2.27.1,
    // which PYSEC-2023-74 (CVE-2023-32681) affects; its fix is 2.31.0 (the PyPI
    // snapshot of 2024-10-10).
    let source =
        shared.join("corpus/opentelemetry-demo@2022-10/src/recommendationservice/requirements.txt");
    let original = std::fs::read_to_string(&source).unwrap();
    let repo_dir = repository(&[("recommendationservice/requirements.txt", source.clone())]);
    let root = repo_dir.path();
    let adv = shared.join("osv/PyPI-all.zip");
    let adv = adv.to_str().unwrap();

    // The dry run: the plan and the exact diff, nothing written.
    let (code, v, err) = fix(root, &["--advisories", adv, "--advisory", "CVE-2023-32681"]);
    assert_eq!(code, 0, "{err}\n{v:#}");
    assert_eq!(v["mode"], "dry-run");
    let changes = &v["plan"]["services"][0]["changes"];
    assert_eq!(changes.as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(changes[0]["package"], "requests");
    assert_eq!(changes[0]["from"], "2.27.1");
    assert_eq!(changes[0]["to"], "2.31.0");
    assert_eq!(changes[0]["fixes"], serde_json::json!(["PYSEC-2023-74"]));
    let diff = v["services"][0]["work"]["edits"][0]["diff"]
        .as_str()
        .unwrap();
    assert!(
        diff.contains("\n-requests==2.27.1\n+requests==2.31.0\n"),
        "{diff}"
    );
    assert_eq!(v["plan"]["proposed_decision"], "hotfix");
    let path = root.join("recommendationservice/requirements.txt");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);

    // The report before the fix, the baseline of the proof.
    let before = root.join("../before.json");
    let r = run(
        &[
            "scan",
            root.to_str().unwrap(),
            "--advisories",
            adv,
            "--format",
            "json",
            "-o",
            before.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);

    // Applied: a hotfix branch named after the CVE, one commit, the working tree
    // untouched.
    let (code, v, err) = fix(
        root,
        &[
            "--advisories",
            adv,
            "--advisory",
            "CVE-2023-32681",
            "--apply",
        ],
    );
    assert_eq!(code, 0, "{err}\n{v:#}");
    let repo0 = &v["repositories"][0];
    assert_eq!(repo0["branch"], "hotfix/cve-2023-32681");
    assert_eq!(repo0["created"], true);
    assert_eq!(repo0["commits"].as_array().unwrap().len(), 1, "{v:#}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    assert_eq!(git(root, &["status", "--porcelain"]), "");
    assert_eq!(git(root, &["rev-parse", "--abbrev-ref", "HEAD"]), "main");
    let fixed = show(
        root,
        "hotfix/cve-2023-32681:recommendationservice/requirements.txt",
    );
    assert_eq!(
        changed_lines(&original, &fixed),
        vec![(
            "requests==2.27.1\n".to_owned(),
            "requests==2.31.0\n".to_owned()
        )]
    );
    let message = git(root, &["log", "-1", "--format=%B", "hotfix/cve-2023-32681"]);
    assert!(
        message.starts_with("Fix CVE-2023-32681 in recommendationservice"),
        "{message}"
    );
    assert!(message.contains("Advisory: PYSEC-2023-74"), "{message}");
    // The re-scan of the branch against its base: fixed, nothing introduced.
    let ver = &repo0["verification"];
    assert_eq!(ver["totals"]["fixed"], 1, "{ver:#}");
    assert_eq!(ver["totals"]["introduced"], 0, "{ver:#}");
    assert!(
        repo0["pull_request"]
            .as_str()
            .unwrap()
            .contains("| recommendationservice | requests | 2.27.1 | 2.31.0 | PYSEC-2023-74 |")
    );

    // Idempotent: a second run finds the change made, commits nothing, opens no
    // second branch.
    let head = git(root, &["rev-parse", "hotfix/cve-2023-32681"]);
    let (code, v, err) = fix(
        root,
        &[
            "--advisories",
            adv,
            "--advisory",
            "CVE-2023-32681",
            "--apply",
        ],
    );
    assert_eq!(code, 0, "{err}\n{v:#}");
    assert_eq!(v["repositories"][0]["created"], false);
    assert_eq!(v["repositories"][0]["commits"].as_array().unwrap().len(), 0);
    assert_eq!(git(root, &["rev-parse", "hotfix/cve-2023-32681"]), head);
    assert_eq!(
        git(root, &["branch", "--list", "hotfix/*"]).lines().count(),
        1
    );

    // verify, on the branch, against the report taken before the fix.
    git(root, &["switch", "--quiet", "hotfix/cve-2023-32681"]);
    let r = run(
        &[
            "verify",
            root.to_str().unwrap(),
            "--advisories",
            adv,
            "--baseline",
            before.to_str().unwrap(),
            "--advisory",
            "CVE-2023-32681",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}

#[test]
fn a_dirty_tree_is_refused_and_nothing_is_created() {
    let Some(shared) = shared_data(&cverun_testkit::test_name!()) else {
        return;
    };
    let source =
        shared.join("corpus/opentelemetry-demo@2022-10/src/recommendationservice/requirements.txt");
    let repo_dir = repository(&[("svc/requirements.txt", source)]);
    let root = repo_dir.path();
    std::fs::write(root.join("svc/notes.txt"), "work in progress\n").unwrap();
    let adv = shared.join("osv/PyPI-all.zip");
    let (code, _, err) = fix(
        root,
        &[
            "--advisories",
            adv.to_str().unwrap(),
            "--advisory",
            "PYSEC-2023-74",
            "--apply",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("uncommitted changes (?? svc/notes.txt)"),
        "{err}"
    );
    assert_eq!(git(root, &["branch", "--list", "hotfix/*"]), "");
}

#[test]
fn apply_outside_a_repository_is_refused_with_the_reason() {
    let Some(shared) = shared_data(&cverun_testkit::test_name!()) else {
        return;
    };
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("svc")).unwrap();
    std::fs::write(d.path().join("svc/requirements.txt"), "requests==2.27.1\n").unwrap();
    let adv = shared.join("osv/PyPI-all.zip");
    let (code, _, err) = fix(
        d.path(),
        &[
            "--advisories",
            adv.to_str().unwrap(),
            "--advisory",
            "PYSEC-2023-74",
            "--apply",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not in a git repository"), "{err}");
    assert_eq!(
        std::fs::read_to_string(d.path().join("svc/requirements.txt")).unwrap(),
        "requests==2.27.1\n"
    );
    let _ = bin;
}
