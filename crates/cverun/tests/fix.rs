//! `cverun fix` through the real binary, on copies of real services of the shared
//! corpus in real git repositories: the plan and exact diff of a dry run, `--apply`
//! on a hotfix branch with the ecosystem's own tool regenerating the lockfile and
//! checking it, idempotence, the re-scan proof, and the refusals (dirty tree, a
//! missing tool, not a repository). The registries (PyPI, crates.io, npm) are
//! reachable from these machines and from CI.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Run, bin, json, repo, run};
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
    let Some(shared) = shared_data(cverun_testkit::test_name!()) else {
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
    let Some(shared) = shared_data(cverun_testkit::test_name!()) else {
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
    let Some(shared) = shared_data(cverun_testkit::test_name!()) else {
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

/// `git show REV:PATH` lines that differ from `original` (same line count).
fn branch_diff(root: &Path, rev_path: &str, original: &str) -> Vec<(String, String)> {
    changed_lines(original, &show(root, rev_path))
}

#[test]
fn cargo_lock_service_fixed_by_cargo_update_precise() {
    let Some(shared) = shared_data(cverun_testkit::test_name!()) else {
        return;
    };
    // shippingservice of opentelemetry-demo at 2022-10 locks mio 0.8.3 (through
    // tokio 1.19.2), affected by RUSTSEC-2024-0019 (CVE-2024-27308), fixed in
    // 0.8.11 (crates.io OSV export of 2026-08-21).
    let src = shared.join("corpus/opentelemetry-demo@2022-10/src/shippingservice");
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    std::fs::create_dir_all(root.join("shippingservice/src")).unwrap();
    for f in ["Cargo.toml", "Cargo.lock"] {
        std::fs::copy(src.join(f), root.join("shippingservice").join(f)).unwrap();
    }
    std::fs::write(root.join("shippingservice/src/main.rs"), "fn main() {}\n").unwrap();
    init(root);
    let lock_before = std::fs::read_to_string(root.join("shippingservice/Cargo.lock")).unwrap();
    let adv = shared.join("osv/crates.io-all.zip");
    let (code, v, err) = fix(
        root,
        &[
            "--advisories",
            adv.to_str().unwrap(),
            "--advisory",
            "RUSTSEC-2024-0019",
            "--apply",
        ],
    );
    assert_eq!(code, 0, "{err}\n{v:#}");
    let c = &v["plan"]["services"][0]["changes"][0];
    assert_eq!(
        (c["package"].as_str(), c["from"].as_str(), c["to"].as_str()),
        (Some("mio"), Some("0.8.3"), Some("0.8.11"))
    );
    let runs: Vec<&str> = v["services"][0]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["command"].as_str().unwrap())
        .collect();
    assert!(
        runs[0].ends_with("cargo update --package mio@0.8.3 --precise 0.8.11"),
        "{runs:?}"
    );
    assert!(
        runs[1].ends_with("cargo metadata --locked --format-version 1"),
        "{runs:?}"
    );
    assert_eq!(v["repositories"][0]["branch"], "hotfix/cve-2024-27308");
    // Cargo.toml untouched; Cargo.lock moves mio alone.
    assert_eq!(
        git(
            root,
            &["diff", "--name-only", "main", "hotfix/cve-2024-27308"]
        ),
        "shippingservice/Cargo.lock"
    );
    let lock = show(root, "hotfix/cve-2024-27308:shippingservice/Cargo.lock");
    assert!(lock.contains("name = \"mio\"\nversion = \"0.8.11\""));
    assert!(!lock.contains("name = \"mio\"\nversion = \"0.8.3\""));
    assert_ne!(lock, lock_before);
    // cargo itself accepts the lockfile of the branch as it is.
    let wt = tempfile::tempdir().unwrap();
    let wt_path = wt.path().join("check");
    git(
        root,
        &[
            "worktree",
            "add",
            "--quiet",
            wt_path.to_str().unwrap(),
            "hotfix/cve-2024-27308",
        ],
    );
    let out = Command::new("cargo")
        .args(["metadata", "--locked", "--format-version", "1"])
        .current_dir(wt_path.join("shippingservice"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ver = &v["repositories"][0]["verification"];
    assert_eq!(ver["totals"]["introduced"], 0, "{ver:#}");
    assert!(ver["totals"]["fixed"].as_u64().unwrap() >= 1, "{ver:#}");
}

#[test]
fn npm_transitive_package_fixed_through_overrides() {
    let Some(shared) = shared_data(cverun_testkit::test_name!()) else {
        return;
    };
    // paymentservice of opentelemetry-demo at 2022-10 locks semver 7.3.7 (through
    // @opentelemetry/instrumentation) and 6.3.0 (through make-dir), both transitive
    // and affected by GHSA-c2qf-rxjj-qqgw (CVE-2022-25883; the record in
    // tests/data/fix carries the advisory's published ranges: fixed in 7.5.2, 6.3.1
    // and 5.7.2).
    let src = shared.join("corpus/opentelemetry-demo@2022-10/src/paymentservice");
    let repo_dir = repository(&[
        ("paymentservice/package.json", src.join("package.json")),
        (
            "paymentservice/package-lock.json",
            src.join("package-lock.json"),
        ),
    ]);
    let root = repo_dir.path();
    let manifest = std::fs::read_to_string(root.join("paymentservice/package.json")).unwrap();
    let adv = data("GHSA-c2qf-rxjj-qqgw.json");
    let (code, v, err) = fix(
        root,
        &[
            "--advisories",
            &adv,
            "--advisory",
            "CVE-2022-25883",
            "--apply",
        ],
    );
    assert_eq!(code, 0, "{err}\n{v:#}");
    let moves: Vec<(String, String)> = v["plan"]["services"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["from"].as_str().unwrap().to_owned(),
                c["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        moves,
        vec![
            ("6.3.0".into(), "6.3.1".into()),
            ("7.3.7".into(), "7.5.2".into())
        ]
    );
    let runs = v["services"][0]["runs"].as_array().unwrap();
    assert!(runs.iter().all(|r| r["outcome"] == "done"), "{runs:#?}");
    assert!(
        runs.last().unwrap()["command"]
            .as_str()
            .unwrap()
            .contains("npm ci --dry-run --ignore-scripts")
    );
    // package.json gains the overrides and nothing else changes in it.
    let after = show(root, "hotfix/cve-2022-25883:paymentservice/package.json");
    assert!(
        after.starts_with(manifest.trim_end_matches(['\n', '}']).trim_end()),
        "{after}"
    );
    assert!(after.contains("\"overrides\": {\n    \"semver@6.3.0\": \"6.3.1\",\n    \"semver@7.3.7\": \"7.5.2\"\n  }"), "{after}");
    // The lockfile regenerated by npm holds the fixed versions and no affected one.
    let lock: Value = serde_json::from_str(&show(
        root,
        "hotfix/cve-2022-25883:paymentservice/package-lock.json",
    ))
    .unwrap();
    let versions: std::collections::BTreeSet<&str> = lock["packages"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.ends_with("node_modules/semver"))
        .map(|(_, p)| p["version"].as_str().unwrap())
        .collect();
    assert!(
        versions.contains("7.5.2") && versions.contains("6.3.1"),
        "{versions:?}"
    );
    assert!(
        !versions.contains("7.3.7") && !versions.contains("6.3.0"),
        "{versions:?}"
    );
    let ver = &v["repositories"][0]["verification"];
    assert_eq!(ver["totals"]["introduced"], 0, "{ver:#}");
    assert_eq!(ver["outcome"]["status"], "verified", "{ver:#}");
}

#[test]
fn maven_property_rewritten_for_every_artifact_it_versions() {
    // The pom (written for this test: the shared corpus has none) takes Log4j's
    // version from a property; GHSA-jfh8-c2jp-5v3q (Log4Shell) affects 2.14.1 and is
    // fixed in 2.15.0 on that line (the published ranges, in tests/data/fix).
    let repo_dir = repository(&[(
        "orders/pom.xml",
        repo().join("crates/cverun/tests/data/fix/pom.xml"),
    )]);
    let root = repo_dir.path();
    let before = std::fs::read_to_string(root.join("orders/pom.xml")).unwrap();
    let adv = data("GHSA-jfh8-c2jp-5v3q.json");
    let (code, v, err) = fix(
        root,
        &[
            "--advisories",
            &adv,
            "--advisory",
            "CVE-2021-44228",
            "--apply",
        ],
    );
    assert_eq!(code, 0, "{err}\n{v:#}");
    let edit = &v["services"][0]["work"]["edits"][0];
    assert!(
        edit["summaries"][0].as_str().unwrap().contains("log4j-api"),
        "{edit:#}"
    );
    assert_eq!(
        branch_diff(root, "hotfix/cve-2021-44228:orders/pom.xml", &before),
        vec![(
            "    <log4j.version>2.14.1</log4j.version>\n".to_owned(),
            "    <log4j.version>2.15.0</log4j.version>\n".to_owned()
        )]
    );
    assert_eq!(
        v["repositories"][0]["verification"]["outcome"]["status"],
        "verified"
    );
}

#[test]
fn a_missing_tool_leaves_the_change_incomplete_with_the_command_to_run() {
    let Some(shared) = shared_data(cverun_testkit::test_name!()) else {
        return;
    };
    let src = shared.join("corpus/opentelemetry-demo@2022-10/src/paymentservice");
    let repo_dir = repository(&[
        ("paymentservice/package.json", src.join("package.json")),
        (
            "paymentservice/package-lock.json",
            src.join("package-lock.json"),
        ),
    ]);
    let root = repo_dir.path();
    // A PATH with git and sh but no npm.
    let bin_dir = tempfile::tempdir().unwrap();
    for tool in ["git", "sh"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        let path = String::from_utf8(found.stdout).unwrap();
        std::os::unix::fs::symlink(path.trim(), bin_dir.path().join(tool)).unwrap();
    }
    let adv = data("GHSA-c2qf-rxjj-qqgw.json");
    let out = bin()
        .env("PATH", bin_dir.path())
        .args([
            "fix",
            root.to_str().unwrap(),
            "--advisories",
            &adv,
            "--advisory",
            "CVE-2022-25883",
            "--apply",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{v:#}");
    let s = &v["services"][0];
    assert_eq!(s["status"], "incomplete");
    let run = &s["runs"][0];
    assert_eq!(run["outcome"], "missing");
    assert!(
        run["command"]
            .as_str()
            .unwrap()
            .contains("npm install --package-lock-only --ignore-scripts"),
        "{run:#}"
    );
    // Nothing half-made is committed: the branch holds no commit.
    assert_eq!(v["repositories"][0]["commits"].as_array().unwrap().len(), 0);
    assert_eq!(v["complete"], false);
    assert_eq!(
        git(root, &["rev-parse", "main"]),
        git(root, &["rev-parse", "hotfix/cve-2022-25883"])
    );
}

#[test]
fn incident_timeline_holds_the_plan_tests_branch_and_clean_rescan() {
    let Some(shared) = shared_data(cverun_testkit::test_name!()) else {
        return;
    };
    let source =
        shared.join("corpus/opentelemetry-demo@2022-10/src/recommendationservice/requirements.txt");
    let repo_dir = repository(&[("recommendationservice/requirements.txt", source)]);
    let root = repo_dir.path();
    let state = tempfile::tempdir().unwrap();
    let adv = shared.join("osv/PyPI-all.zip");
    let adv = adv.to_str().unwrap();
    let st = state.path().to_str().unwrap();
    let r = run(
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2023-32681",
            "--priority",
            "P1",
            "--advisories",
            adv,
            "--from",
            root.to_str().unwrap(),
            "--state",
            st,
            "--actor",
            "alice",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let id = ID;
    let (code, v, err) = fix(
        root,
        &[
            "--advisories",
            adv,
            "--incident",
            id,
            "--apply",
            "--test",
            "grep -q 'requests==2.31.0' requirements.txt",
            "--state",
            st,
            "--actor",
            "alice",
        ],
    );
    assert_eq!(code, 0, "{err}\n{v:#}");
    assert_eq!(v["services"][0]["tests"][0]["passed"], true);
    let t = run(
        &[
            "incident", "timeline", id, "--format", "json", "--state", st,
        ],
        None,
    );
    assert_eq!(t.code, 0, "{}", t.stderr);
    let tl = json(&t);
    let kinds: Vec<&str> = tl["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in ["fix-planned", "fix-tested", "fix-applied", "verified"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let checked = tl["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "checked" && e["details"]["item"] == "rescan-clean");
    assert!(
        checked.is_some(),
        "rescan-clean checked by the clean re-scan: {kinds:?}"
    );
    let commit = git(root, &["rev-parse", "hotfix/cve-2023-32681"]);
    assert!(
        tl.to_string().contains(&commit),
        "the commit is in the timeline"
    );
    let r = run(&["incident", "verify", id, "--state", st], None);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn keep_passing_keeps_only_the_changes_whose_tests_pass() {
    let Some(shared) = shared_data(cverun_testkit::test_name!()) else {
        return;
    };
    // Every finding of recommendationservice: requests (PYSEC-2023-74) and urllib3
    // (its advisories of the 2024-10-10 snapshot). The tests pass only while
    // urllib3 stays at 1.26.8: the urllib3 change is dropped, requests kept.
    let source =
        shared.join("corpus/opentelemetry-demo@2022-10/src/recommendationservice/requirements.txt");
    let original = std::fs::read_to_string(&source).unwrap();
    let repo_dir = repository(&[("recommendationservice/requirements.txt", source)]);
    let root = repo_dir.path();
    let adv = shared.join("osv/PyPI-all.zip");
    let (code, v, err) = fix(
        root,
        &[
            "--advisories",
            adv.to_str().unwrap(),
            "--apply",
            "--branch",
            "hotfix/fleet",
            "--test",
            "grep -q '^urllib3==1.26.8$' requirements.txt",
            "--keep-passing",
        ],
    );
    assert_eq!(code, 1, "{err}\n{v:#}");
    let tests = v["services"][0]["tests"].as_array().unwrap();
    let seen: Vec<(&str, bool)> = tests
        .iter()
        .map(|t| (t["change"].as_str().unwrap(), t["kept"].as_bool().unwrap()))
        .collect();
    assert_eq!(seen.len(), 2, "{tests:#?}");
    assert!(
        seen[0].0.starts_with("requests 2.27.1 -> ") && seen[0].1,
        "{seen:?}"
    );
    assert!(
        seen[1].0.starts_with("urllib3 1.26.8 -> ") && !seen[1].1,
        "{seen:?}"
    );
    assert_eq!(v["repositories"][0]["commits"].as_array().unwrap().len(), 1);
    let fixed = show(root, "hotfix/fleet:recommendationservice/requirements.txt");
    let diff = changed_lines(&original, &fixed);
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert_eq!(diff[0].0, "requests==2.27.1\n");
}

#[test]
fn hash_pinned_requirements_are_never_left_with_stale_hashes() {
    let Some(shared) = shared_data(cverun_testkit::test_name!()) else {
        return;
    };
    // A hash-pinned file that names no command that compiled it: rewriting the pin
    // would leave its hashes stale, so the change is refused with what to do.
    // (The digests are placeholders: the refusal comes before any is checked.)
    let text = "requests==2.27.1 \\\n    --hash=sha256:68d7c56fd5a8999887728ef304a6d12edc7be74f1cfa47714fc8b414525c9a61 \\\n    --hash=sha256:f22fa1e554c9ddfd16e6e41ac79759e17be9e492b3587efa038054674760e72d\n";
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("svc")).unwrap();
    std::fs::write(d.path().join("svc/requirements.txt"), text).unwrap();
    init(d.path());
    let adv = shared.join("osv/PyPI-all.zip");
    let (code, v, err) = fix(
        d.path(),
        &[
            "--advisories",
            adv.to_str().unwrap(),
            "--advisory",
            "PYSEC-2023-74",
        ],
    );
    assert_eq!(code, 1, "{err}\n{v:#}");
    let refused = &v["services"][0]["work"]["refused"][0];
    assert!(
        refused["reason"].as_str().unwrap().contains("hash"),
        "{refused:#}"
    );
    assert_eq!(v["services"][0]["status"], "incomplete");
    assert_eq!(
        std::fs::read_to_string(d.path().join("svc/requirements.txt")).unwrap(),
        text
    );
}

/// The incident the `verify --incident` tests work on: the opentelemetry demo's
/// recommendation service (requests 2.27.1, CVE-2023-32681) in a repository of
/// its own, declared as a P1 in a state directory of its own.
struct RecommendationIncident {
    repo: tempfile::TempDir,
    state: tempfile::TempDir,
    advisories: PathBuf,
    /// The service's requirements.txt as the corpus has it.
    original: String,
}

const ID: &str = "INC-2026-11-23-1";

impl RecommendationIncident {
    fn declare(shared: &Path) -> RecommendationIncident {
        let source = shared
            .join("corpus/opentelemetry-demo@2022-10/src/recommendationservice/requirements.txt");
        let original = std::fs::read_to_string(&source).unwrap();
        let case = RecommendationIncident {
            repo: repository(&[("recommendationservice/requirements.txt", source)]),
            state: tempfile::tempdir().unwrap(),
            advisories: shared.join("osv/PyPI-all.zip"),
            original,
        };
        let d = case.run(&[
            "incident",
            "declare",
            "--advisory",
            "CVE-2023-32681",
            "--priority",
            "P1",
            "--advisories",
            case.advisories.to_str().unwrap(),
            "--from",
            case.root().to_str().unwrap(),
            "--actor",
            "alice",
        ]);
        assert_eq!(d.code, 0, "{}{}", d.stdout, d.stderr);
        case
    }

    fn root(&self) -> &Path {
        self.repo.path()
    }

    /// `args` with this incident's state directory.
    fn run(&self, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.extend(["--state", self.state.path().to_str().unwrap()]);
        run(&all, None)
    }

    /// `cverun verify` of the repository against `baseline_ref`, recorded in the
    /// incident by bob.
    fn verify(&self, baseline_ref: &str) -> Run {
        self.run(&[
            "verify",
            self.root().to_str().unwrap(),
            "--advisories",
            self.advisories.to_str().unwrap(),
            "--baseline-ref",
            baseline_ref,
            "--incident",
            ID,
            "--actor",
            "bob",
        ])
    }

    /// The incident's events (`incident timeline --format json`).
    fn timeline(&self) -> Vec<Value> {
        let t = self.run(&["incident", "timeline", ID, "--format", "json"]);
        assert_eq!(t.code, 0, "{}", t.stderr);
        json(&t)["events"].as_array().unwrap().clone()
    }
}

#[test]
fn verify_records_its_verdict_in_the_incident_and_checks_rescan_clean_only_when_clean() {
    let Some(shared) = shared_data(cverun_testkit::test_name!()) else {
        return;
    };
    let case = RecommendationIncident::declare(&shared);
    let (root, original, id) = (case.root(), &case.original, ID);
    let timeline = || case.timeline();
    let rescan_clean = |events: &[Value]| {
        events
            .iter()
            .any(|e| e["kind"] == "checked" && e["details"]["item"] == "rescan-clean")
    };
    // Nothing changed yet: the advisory remains, recorded as not clean.
    let v = case.verify("HEAD");
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    let events = timeline();
    let verified: Vec<&Value> = events.iter().filter(|e| e["kind"] == "verified").collect();
    assert_eq!(verified.len(), 1);
    assert!(!rescan_clean(&events));
    // The fix committed: verified against the commit before it, clean, and the
    // runbook's rescan-clean item is checked by the verification.
    std::fs::write(
        root.join("recommendationservice/requirements.txt"),
        original.replace("requests==2.27.1", "requests==2.31.0"),
    )
    .unwrap();
    git(root, &["commit", "--quiet", "-am", "requests 2.31.0"]);
    let v = case.verify("HEAD~1");
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let events = timeline();
    assert_eq!(events.iter().filter(|e| e["kind"] == "verified").count(), 2);
    assert!(rescan_clean(&events), "{events:#?}");
    let r = case.run(&["incident", "verify", id]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn verify_never_calls_an_incident_clean_when_a_file_could_not_be_read() {
    let Some(shared) = shared_data(cverun_testkit::test_name!()) else {
        return;
    };
    let case = RecommendationIncident::declare(&shared);
    let (root, original) = (case.root(), &case.original);
    // The pin is fixed, but a lockfile of the service cannot be read: what it
    // holds is unknown, so the service is not judged clean.
    let dir = root.join("recommendationservice");
    std::fs::write(
        dir.join("requirements.txt"),
        original.replace("requests==2.27.1", "requests==2.31.0"),
    )
    .unwrap();
    std::fs::write(
        dir.join("package-lock.json"),
        "{\"lockfileVersion\": 3, \"packages\": {",
    )
    .unwrap();
    git(root, &["add", "."]);
    git(
        root,
        &["commit", "--quiet", "-m", "fix, and a broken lockfile"],
    );
    let v = case.verify("HEAD~1");
    assert_eq!(v.code, 2, "{}{}", v.stdout, v.stderr);
    let events = case.timeline();
    let verified: Vec<&Value> = events.iter().filter(|e| e["kind"] == "verified").collect();
    assert_eq!(verified.len(), 1, "{events:#?}");
    assert!(
        verified[0].to_string().contains("not fully checked"),
        "{:#}",
        verified[0]
    );
    assert!(
        !events
            .iter()
            .any(|e| e["kind"] == "checked" && e["details"]["item"] == "rescan-clean"),
        "{events:#?}"
    );
}
