//! `cverun verify` through the real binary, on a real service: the recommendation
//! service of the OpenTelemetry demo as of 2022-10 (shared corpus), whose
//! requirements.txt pins requests==2.27.1 and urllib3==1.26.8, against the PyPI
//! OSV snapshot of 2024-10-10 (shared osv/PyPI-all.zip). In that snapshot (checked
//! with `cverun query`): requests 2.27.1 and 2.28.0 are affected by PYSEC-2023-74
//! (CVE-2023-32681, GHSA-j8r2-6x86-q33q), 2.31.0 by nothing; urllib3 1.26.8 by
//! PYSEC-2023-192 and PYSEC-2023-212, 1.26.4 by those and PYSEC-2021-108.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{json, run};
use cverun_testkit::{shared_data, test_name};
use serde_json::Value;

const SERVICE: &str = "corpus/opentelemetry-demo@2022-10/src/recommendationservice";

/// A copy of the service in a new directory, and the advisories zip.
struct Fixture {
    dir: tempfile::TempDir,
    advisories: String,
}

impl Fixture {
    fn new(shared: &Path) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let to = dir.path().join("recommendationservice");
        std::fs::create_dir(&to).unwrap();
        let text = std::fs::read_to_string(shared.join(SERVICE).join("requirements.txt")).unwrap();
        assert!(text.contains("requests==2.27.1") && text.contains("urllib3==1.26.8"));
        std::fs::write(to.join("requirements.txt"), text).unwrap();
        Fixture {
            dir,
            advisories: shared
                .join("osv/PyPI-all.zip")
                .to_string_lossy()
                .into_owned(),
        }
    }

    fn service(&self) -> PathBuf {
        self.dir.path().join("recommendationservice")
    }

    fn service_arg(&self) -> String {
        self.service().to_string_lossy().into_owned()
    }

    /// Replaces `from` with `to` in requirements.txt.
    fn edit(&self, from: &str, to: &str) {
        let p = self.service().join("requirements.txt");
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.contains(from));
        std::fs::write(&p, text.replace(from, to)).unwrap();
    }

    /// `cverun scan --format json -o baseline.json` of the service as it is now.
    fn save_baseline(&self) -> String {
        let out = self.dir.path().join("baseline.json");
        let out_arg = out.to_string_lossy().into_owned();
        let r = run(
            &[
                "scan",
                &self.service_arg(),
                "--advisories",
                &self.advisories,
                "--list-packages",
                "--format",
                "json",
                "-o",
                &out_arg,
            ],
            None,
        );
        assert_eq!(r.code, 1, "the baseline has findings: {}", r.stderr);
        out_arg
    }

    fn verify(&self, baseline: &[&str], extra: &[&str]) -> common::Run {
        let service = self.service_arg();
        let mut args = vec!["verify", service.as_str(), "--advisories", &self.advisories];
        args.extend_from_slice(baseline);
        args.extend_from_slice(extra);
        run(&args, None)
    }
}

/// The rows of `list` of the service named `name`: (package, advisory).
fn rows(v: &Value, name: &str, list: &str) -> Vec<(String, String)> {
    let svc = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no service {name}: {v}"));
    let mut out: Vec<(String, String)> = svc[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["package"].as_str().unwrap().to_owned(),
                r["advisory"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pair(p: &str, a: &str) -> (String, String) {
    (p.to_owned(), a.to_owned())
}

#[test]
fn fixed_to_2_31_0_is_verified() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let f = Fixture::new(&shared);
    let baseline = f.save_baseline();
    f.edit("requests==2.27.1", "requests==2.31.0");
    let r = f.verify(
        &["--baseline", &baseline],
        &["--advisory", "PYSEC-2023-74", "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let v = json(&r);
    assert_eq!(v["schema"], "cverun.verify/1");
    assert_eq!(v["outcome"]["status"], "verified");
    assert_eq!(v["targeted"].as_array().unwrap().len(), 1);
    assert_eq!(v["targeted"][0]["advisory"], "PYSEC-2023-74");
    assert_eq!(v["targeted"][0]["status"], "fixed");
    assert_eq!(
        rows(&v, "recommendationservice", "fixed"),
        [pair("requests", "PYSEC-2023-74")]
    );
    assert!(rows(&v, "recommendationservice", "introduced").is_empty());
    // urllib3 was not touched: its two advisories remain (not targeted).
    assert_eq!(
        rows(&v, "recommendationservice", "remaining"),
        [
            pair("urllib3", "PYSEC-2023-192"),
            pair("urllib3", "PYSEC-2023-212")
        ]
    );
    let changed = &v["services"][0]["versions"]["changed"];
    assert_eq!(changed.as_array().unwrap().len(), 1, "{changed}");
    assert_eq!(changed[0]["package"], "requests");
    assert_eq!(changed[0]["from"][0], "2.27.1");
    assert_eq!(changed[0]["to"][0], "2.31.0");
    assert_eq!(v["completeness"]["complete"], true);
    assert_eq!(v["sha256"].as_str().unwrap().len(), 64);

    // Every baseline vulnerability by default: urllib3's remain, exit 1.
    let r = f.verify(&["--baseline", &baseline], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("Verification: REMAINING (exit 1)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("PYSEC-2023-192 remains in recommendationservice")
    );
}

#[test]
fn a_version_still_affected_remains() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let f = Fixture::new(&shared);
    let baseline = f.save_baseline();
    f.edit("requests==2.27.1", "requests==2.28.0");
    // Asked by its CVE alias.
    let r = f.verify(
        &["--baseline", &baseline],
        &["--advisory", "cve-2023-32681", "--format", "json"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["outcome"]["status"], "remaining");
    assert_eq!(v["targeted"][0]["status"], "remaining");
    assert_eq!(v["targeted"][0]["asked"][0], "cve-2023-32681");
    let svc = &v["services"][0];
    let remaining = svc["remaining"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["package"] == "requests")
        .unwrap();
    assert_eq!(remaining["from"][0], "2.27.1");
    assert_eq!(remaining["to"][0], "2.28.0");
    assert!(rows(&v, "recommendationservice", "introduced").is_empty());
}

#[test]
fn another_package_made_vulnerable_is_a_regression() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let f = Fixture::new(&shared);
    let baseline = f.save_baseline();
    f.edit("requests==2.27.1", "requests==2.31.0");
    f.edit("urllib3==1.26.8", "urllib3==1.26.4");
    let r = f.verify(
        &["--baseline", &baseline],
        &["--advisory", "PYSEC-2023-74", "--format", "json"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["outcome"]["status"], "regression");
    // The targeted advisory is fixed all the same.
    assert_eq!(v["targeted"][0]["status"], "fixed");
    assert_eq!(
        rows(&v, "recommendationservice", "introduced"),
        [pair("urllib3", "PYSEC-2021-108")]
    );
    assert_eq!(v["totals"]["introduced"], 1);
}

/// `git` in `dir`, which must succeed; its stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The parts of two verifications that must agree whatever the baseline's source.
fn answer(v: &Value) -> Value {
    serde_json::json!({
        "outcome": v["outcome"],
        "targeted": v["targeted"],
        "totals": v["totals"],
        "services": v["services"],
        "completeness": v["completeness"],
    })
}

#[test]
fn a_git_baseline_answers_as_a_saved_one_and_leaves_the_repository_alone() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let f = Fixture::new(&shared);
    let repo = f.dir.path();
    git(repo, &["init", "--quiet"]);
    git(repo, &["add", "recommendationservice"]);
    git(
        repo,
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "commit",
            "--quiet",
            "-m",
            "before the fix",
        ],
    );
    let baseline = f.save_baseline();
    f.edit("requests==2.27.1", "requests==2.28.0");
    let status = git(repo, &["status", "--porcelain"]);
    let worktrees = git(repo, &["worktree", "list", "--porcelain"]);
    assert!(
        status.contains("recommendationservice/requirements.txt"),
        "{status}"
    );

    let from_git = f.verify(&["--baseline-ref", "HEAD"], &["--format", "json"]);
    let from_file = f.verify(&["--baseline", &baseline], &["--format", "json"]);
    assert_eq!(from_git.code, 1, "{}", from_git.stderr);
    assert_eq!(from_file.code, 1, "{}", from_file.stderr);
    let (g, s) = (json(&from_git), json(&from_file));
    assert_eq!(answer(&g), answer(&s));
    assert_eq!(g["baseline"]["kind"], "git");
    let head = git(repo, &["rev-parse", "HEAD"]);
    assert_eq!(g["baseline"]["commits"][0], head.trim());
    // requests is still affected at 2.28.0; urllib3's advisories remain too.
    assert_eq!(
        rows(&g, "recommendationservice", "remaining"),
        [
            pair("requests", "PYSEC-2023-74"),
            pair("urllib3", "PYSEC-2023-192"),
            pair("urllib3", "PYSEC-2023-212")
        ]
    );
    // The working tree, index and worktree list are as they were.
    assert_eq!(git(repo, &["status", "--porcelain"]), status);
    assert_eq!(git(repo, &["worktree", "list", "--porcelain"]), worktrees);
    assert!(
        std::fs::read_to_string(f.service().join("requirements.txt"))
            .unwrap()
            .contains("requests==2.28.0")
    );
}

#[test]
fn a_path_outside_git_cannot_have_a_git_baseline() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let f = Fixture::new(&shared);
    let r = f.verify(&["--baseline-ref", "HEAD"], &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("not in a git repository"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn a_malformed_baseline_is_2_naming_the_file() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let f = Fixture::new(&shared);
    let bad = f.dir.path().join("broken.json");
    std::fs::write(&bad, "{\"schema\": \"cverun.scan/1\", \"services\": [").unwrap();
    let bad_arg = bad.to_string_lossy().into_owned();
    let r = f.verify(&["--baseline", &bad_arg], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&bad_arg), "{}", r.stderr);
    assert!(r.stderr.contains("not a JSON document"), "{}", r.stderr);
    // Another command's JSON: refused by its schema.
    std::fs::write(&bad, "{\"schema\": \"cverun.plan/1\"}").unwrap();
    let r = f.verify(&["--baseline", &bad_arg], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cverun.plan/1"), "{}", r.stderr);
    // Missing: named too.
    let missing = f.dir.path().join("absent.json");
    let missing_arg = missing.to_string_lossy().into_owned();
    let r = f.verify(&["--baseline", &missing_arg], &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&missing_arg), "{}", r.stderr);
}

/// The runbook's last check on a real environment: the manifest says 2.31.0, but
/// the virtual environment still has requests 2.27.1 installed (pip, from PyPI):
/// PYSEC-2023-74 remains, found in the environment.
#[test]
fn an_installed_environment_still_holding_the_old_version() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let f = Fixture::new(&shared);
    let baseline = f.save_baseline();
    f.edit("requests==2.27.1", "requests==2.31.0");
    let venv = f.dir.path().join("venv");
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 -m venv");
    assert!(made.success());
    let pip = Command::new(venv.join("bin/python"))
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "requests==2.27.1",
        ])
        .output()
        .expect("run pip");
    assert!(
        pip.status.success(),
        "{}",
        String::from_utf8_lossy(&pip.stderr)
    );
    let spec = format!("app={}", venv.display());
    let r = f.verify(
        &["--baseline", &baseline],
        &[
            "--advisory",
            "PYSEC-2023-74",
            "--site-packages",
            &spec,
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["targeted"][0]["status"], "remaining");
    assert_eq!(v["targeted"][0]["current_services"][0], "app");
    let app = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "app")
        .unwrap();
    assert_eq!(app["presence"], "installed");
    let requests = app["remaining"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["package"] == "requests")
        .unwrap();
    assert_eq!(requests["advisory"], "PYSEC-2023-74");
    assert_eq!(requests["to"][0], "2.27.1");
    assert!(
        requests["locations"][0]
            .as_str()
            .unwrap()
            .ends_with("requests-2.27.1.dist-info/METADATA")
    );
    // The manifest itself is fixed.
    assert_eq!(
        rows(&v, "recommendationservice", "fixed"),
        [pair("requests", "PYSEC-2023-74")]
    );

    // The table names the environment and the finding.
    let r = f.verify(
        &["--baseline", &baseline],
        &["--advisory", "PYSEC-2023-74", "--site-packages", &spec],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("app (installed environment)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("PYSEC-2023-74 remains in app"),
        "{}",
        r.stdout
    );
}
