//! Triage through the real binary: priorities and their explanations, policy files,
//! `--fail-on P1`, exceptions (suppressed, expired, too long, invalid, in cverun.toml),
//! the decision matrix in `plan`, `explain`, `exceptions check`; and the salt advisory
//! on the shared OSV and KEV data. The clock is 2026-11-23T12:00:00Z (CVERUN_NOW).

mod common;

use std::path::Path;

use common::{fleet_with, json, repo, run};
use cverun_testkit::{shared_data, test_name};

fn advisories() -> String {
    repo()
        .join("examples/advisories")
        .to_string_lossy()
        .into_owned()
}

fn cmd(command: &str, dir: &Path, extra: &[&str]) -> common::Run {
    let d = dir.to_string_lossy().into_owned();
    let adv = advisories();
    let mut args = vec![command, d.as_str(), "--advisories", adv.as_str()];
    args.extend_from_slice(extra);
    run(&args, None)
}

fn scan_json(dir: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut e = vec!["--format", "json"];
    e.extend_from_slice(extra);
    let r = cmd("scan", dir, &e);
    (r.code, json(&r))
}

/// pyyaml 5.3.1 is affected by EXAMPLE-2020-0001 (CVE-2020-14343, CVSS 9.8, not in
/// KEV): P2 without service context.
const PYYAML: (&str, &str) = ("svc/requirements.txt", "pyyaml==5.3.1\n");

fn exception(id: &str, approved_on: &str, expires: &str) -> String {
    format!(
        "[[exception]]\nid = \"{id}\"\npackage = \"PyPI/PyYAML\"\njustification = \"only our own signed files are loaded\"\nmitigations = [\"files are signed\"]\nowner = \"team-web\"\napproved_by = \"security@example.com\"\napproved_on = {approved_on}\nexpires = {expires}\n"
    )
}

#[test]
fn fail_on_priority() {
    let d = fleet_with(&[PYYAML]);
    let (code, v) = scan_json(d.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"][0]["priority"]["level"], "P2");
    assert_eq!(cmd("scan", d.path(), &["--fail-on", "P1"]).code, 0);
    assert_eq!(cmd("scan", d.path(), &["--fail-on", "p2"]).code, 1);
    assert_eq!(cmd("scan", d.path(), &["--fail-on", "routine"]).code, 1);
    assert_eq!(cmd("scan", d.path(), &["--fail-on", "P0"]).code, 0);
}

/// The runbook's response times are the scan's: one definition, in minutes if need
/// be. pyyaml's finding is P2 (see PYYAML).
#[test]
fn response_times_come_from_the_runbook() {
    let d = fleet_with(&[
        PYYAML,
        (
            "state/runbook.toml",
            "[priority.P2]\nresponse = \"1h 30m\"\n",
        ),
    ]);
    let state = d.path().join("state");
    let dir = d.path().to_string_lossy().into_owned();
    let adv = advisories();
    let out = common::bin()
        .env("CVERUN_STATE", &state)
        .args(["scan", &dir, "--advisories", &adv, "--format", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &v["findings"][0]["priority"];
    assert_eq!(p["level"], "P2");
    assert_eq!(p["response_hours"], 1.5);
    assert_eq!(p["response_minutes"], 90);
    assert_eq!(p["due"], "2026-11-23T13:30:00Z", "CVERUN_NOW + 90 minutes");
    assert!(
        p["explanation"]
            .as_str()
            .unwrap()
            .ends_with("respond within 90 min"),
        "{p}"
    );
    // Without the runbook: the built-in 72 h.
    let (_, v) = scan_json(d.path(), &[]);
    assert_eq!(v["findings"][0]["priority"]["response_hours"], 72);
    // A runbook that cannot be read stops the scan, naming its line.
    std::fs::write(
        state.join("runbook.toml"),
        "[priority.P2]\nresponse = \"soon\"\n",
    )
    .unwrap();
    let out = common::bin()
        .env("CVERUN_STATE", &state)
        .args(["scan", &dir, "--advisories", &adv])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("runbook.toml:2"), "{err}");
}

#[test]
fn policy_file_changes_thresholds_and_is_named() {
    let d = fleet_with(&[
        PYYAML,
        (
            "cverun-policy.toml",
            "high_cvss = 9.9\nroutine_response = \"10d\"\n",
        ),
    ]);
    let (_, v) = scan_json(d.path(), &[]);
    let p = &v["findings"][0]["priority"];
    assert_eq!(p["level"], "routine", "9.8 is below the policy's 9.9");
    assert_eq!(p["response_hours"], 240);
    assert_eq!(p["response_minutes"], 240 * 60);
    assert!(
        p["explanation"]
            .as_str()
            .unwrap()
            .contains("< 9.9, no known exploit"),
        "{p}"
    );
    assert!(
        v["policy"]
            .as_str()
            .unwrap()
            .ends_with("cverun-policy.toml")
    );

    // Response times of P0-P2 are the runbook's: a policy that sets them is refused,
    // naming its line.
    let twice = fleet_with(&[
        PYYAML,
        (
            "cverun-policy.toml",
            "high_cvss = 9.9\nresponse_hours = { P0 = 1, P1 = 4, P2 = 48, routine = 240 }\n",
        ),
    ]);
    let r = cmd("scan", twice.path(), &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cverun-policy.toml:2:"), "{}", r.stderr);
    assert!(r.stderr.contains("the runbook's"), "{}", r.stderr);

    // A bad policy names its file and line, and nothing is scanned.
    let bad = fleet_with(&[
        PYYAML,
        ("cverun-policy.toml", "p0_cvss = 9\nhigh_cvs = 7\n"),
    ]);
    let r = cmd("scan", bad.path(), &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cverun-policy.toml:2:"), "{}", r.stderr);
    let r = cmd("scan", d.path(), &["--policy", "/nonexistent/policy.toml"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("/nonexistent/policy.toml"),
        "{}",
        r.stderr
    );
}

#[test]
fn an_exception_in_force_suppresses_but_shows_who_and_until_when() {
    let d = fleet_with(&[
        PYYAML,
        (
            "cverun-exceptions.toml",
            &exception("CVE-2020-14343", "2026-11-01", "2026-12-31"),
        ),
    ]);
    let (code, v) = scan_json(d.path(), &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["findings"].as_array().unwrap().len(), 0);
    let s = &v["suppressed"][0];
    assert_eq!(s["package"], "pyyaml");
    assert_eq!(s["exception"]["standing"], "active");
    assert_eq!(s["exception"]["owner"], "team-web");
    assert_eq!(s["exception"]["expires"], "2026-12-31");
    assert!(
        s["exception"]["location"]
            .as_str()
            .unwrap()
            .ends_with("cverun-exceptions.toml:1")
    );
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["summary"]["vulnerabilities"], 0);
    let table = cmd("scan", d.path(), &[]).stdout;
    assert!(
        table.contains("SUPPRESSED P2 (72 h) pyyaml 5.3.1 EXAMPLE-2020-0001 (CVE-2020-14343) until 2026-12-31 (owner team-web, approved by security@example.com)"),
        "{table}"
    );
    assert!(table.contains("1 suppressed by exceptions"), "{table}");
}

#[test]
fn an_expired_exception_restores_the_finding_and_fails() {
    let d = fleet_with(&[
        PYYAML,
        (
            "cverun-exceptions.toml",
            &exception("EXAMPLE-2020-0001", "2026-10-01", "2026-11-22"),
        ),
    ]);
    let (code, v) = scan_json(d.path(), &[]);
    assert_eq!(code, 1);
    let f = &v["findings"][0];
    assert_eq!(f["package"], "pyyaml");
    assert_eq!(f["exception"]["standing"], "expired");
    assert_eq!(f["exception"]["expires"], "2026-11-22");
    // Each key once: the standing does not repeat the entry's date.
    let raw = cmd("scan", d.path(), &["--format", "json"]).stdout;
    assert_eq!(raw.matches("\"expires\":").count(), 1, "{raw}");
    assert_eq!(v["suppressed"].as_array().unwrap().len(), 0);
    let p = &v["exception_problems"][0];
    assert_eq!(p["severity"], "error");
    assert_eq!(p["line"], 1);
    assert!(p["message"].as_str().unwrap().contains("2026-11-22"), "{p}");
    // Even a gate that would pass the finding fails on the expired exception...
    assert_eq!(cmd("scan", d.path(), &["--fail-on", "P1"]).code, 1);
    // ...unless told never to fail on findings.
    assert_eq!(cmd("scan", d.path(), &["--fail-on", "never"]).code, 0);
    let table = cmd("scan", d.path(), &[]).stdout;
    assert!(
        table.contains("cverun-exceptions.toml:1: error: EXAMPLE-2020-0001: expired"),
        "{table}"
    );
}

#[test]
fn an_exception_longer_than_the_priority_allows_does_not_suppress() {
    // Log4Shell is P0 (CVSS 10.0 and in KEV); P0 exceptions last 30 days at most.
    let pom = r#"<project><modelVersion>4.0.0</modelVersion><groupId>x</groupId><artifactId>y</artifactId><version>1</version>
<dependencies><dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.14.1</version></dependency></dependencies></project>
"#;
    let ex = "[[service]]\nname = \"svc\"\npath = \"svc\"\n\n".to_owned()
        + &exception("CVE-2021-44228", "2026-11-01", "2026-12-31")
            .replace("package = \"PyPI/PyYAML\"", "service = \"svc\"");
    let d = fleet_with(&[("svc/pom.xml", pom), ("cverun.toml", &ex)]);
    let (code, v) = scan_json(d.path(), &[]);
    assert_eq!(code, 1);
    let f = &v["findings"][0];
    assert_eq!(f["priority"]["level"], "P0");
    assert_eq!(f["exception"]["standing"], "too_long");
    assert_eq!(f["exception"]["max"], 30);
    assert_eq!(f["exception"]["days"], 60);
    let problems = v["exception_problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["severity"] == "error"
            && p["message"].as_str().unwrap().contains("does not suppress")
            && p["line"] == 5),
        "{problems:?}"
    );
    // The same exception for 20 days suppresses it (from cverun.toml).
    let ex = ex.replace("expires = 2026-12-31", "expires = 2026-11-21");
    std::fs::write(d.path().join("cverun.toml"), ex).unwrap();
    let (code, v) = scan_json(d.path(), &[]);
    // Expired on 2026-11-21 (today is 2026-11-23): still not suppressed.
    assert_eq!(code, 1);
    assert_eq!(v["findings"][0]["exception"]["standing"], "expired");
    let ex = std::fs::read_to_string(d.path().join("cverun.toml"))
        .unwrap()
        .replace("approved_on = 2026-11-01", "approved_on = 2026-11-20")
        .replace("expires = 2026-11-21", "expires = 2026-12-10");
    std::fs::write(d.path().join("cverun.toml"), ex).unwrap();
    let (code, v) = scan_json(d.path(), &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["suppressed"][0]["priority"]["level"], "P0");
}

#[test]
fn invalid_and_unused_exceptions_are_reported() {
    let d = fleet_with(&[
        PYYAML,
        (
            "cverun-exceptions.toml",
            "[[exception]]\nid = \"CVE-2020-14343\"\njustification = \"x\"\nowner = \"o\"\napproved_by = \"a\"\napproved_on = 2026-11-01\nexpiry = 2026-12-01\n\n[[exception]]\nid = \"CVE-1999-0001\"\njustification = \"x\"\nowner = \"o\"\napproved_by = \"a\"\napproved_on = 2026-11-01\nexpires = 2026-12-01\n",
        ),
    ]);
    let (code, v) = scan_json(d.path(), &[]);
    assert_eq!(
        code, 1,
        "the typo makes the first entry invalid: the finding stays"
    );
    assert_eq!(v["findings"][0]["exception"]["standing"], "invalid");
    let problems = v["exception_problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["severity"] == "error"
            && p["line"] == 7
            && p["message"].as_str().unwrap().contains("expiry")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p["severity"] == "warning"
            && p["line"] == 9
            && p["message"]
                .as_str()
                .unwrap()
                .contains("matches no finding")),
        "{problems:?}"
    );

    // `exceptions check` validates the file on its own: no scan, no database.
    let r = run(&["exceptions", "check", d.path().to_str().unwrap()], None);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout
            .contains("cverun-exceptions.toml:7: error: CVE-2020-14343: unknown key `expiry`"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("8 days left"), "{}", r.stdout);
    let ok = fleet_with(&[(
        "cverun-exceptions.toml",
        &exception("CVE-2020-14343", "2026-11-01", "2026-12-31"),
    )]);
    let r = run(
        &[
            "exceptions",
            "check",
            ok.path().to_str().unwrap(),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let v = json(&r);
    assert_eq!(v["entries"][0]["days_left"], 38);
    // 60 days is within the P1, P2 and routine limits, not P0's 30: a warning only.
    let problems = v["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0]["severity"], "warning");
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap()
            .contains("it will not suppress P0 findings")
    );
    // Not TOML at all: an error naming the file and line, exit 2.
    let broken = fleet_with(&[("cverun-exceptions.toml", "[[exception]\nid = 1\n")]);
    let r = run(
        &["exceptions", "check", broken.path().to_str().unwrap()],
        None,
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cverun-exceptions.toml:1"),
        "{}",
        r.stderr
    );
}

/// Writes OSV records for package `demo` (PyPI) and returns the directory.
fn demo_advisories(dir: &Path, records: &[(&str, &str)]) -> String {
    let adv = dir.join("advisories");
    std::fs::create_dir_all(&adv).unwrap();
    for (id, events) in records {
        std::fs::write(
            adv.join(format!("{id}.json")),
            format!(
                r#"{{"id": "{id}", "modified": "2024-01-01T00:00:00Z",
                "severity": [{{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],
                "affected": [{{"package": {{"ecosystem": "PyPI", "name": "demo"}},
                "ranges": [{{"type": "ECOSYSTEM", "events": {events}}}]}}]}}"#
            ),
        )
        .unwrap();
    }
    adv.to_string_lossy().into_owned()
}

fn plan_of(installed: &str, records: &[(&str, &str)], extra: &[(&str, &str)]) -> serde_json::Value {
    let req = format!("demo=={installed}\n");
    let mut files = vec![("svc/requirements.txt", req.as_str())];
    files.extend_from_slice(extra);
    let d = fleet_with(&files);
    let adv = demo_advisories(d.path(), records);
    let r = run(
        &[
            "plan",
            d.path().join("svc").to_str().unwrap(),
            "--advisories",
            &adv,
            "--format",
            "json",
            "--exceptions",
            d.path().join("ex.toml").to_str().unwrap(),
        ],
        None,
    );
    assert!(r.code == 1 || r.code == 0, "{}{}", r.stdout, r.stderr);
    json(&r)
}

#[test]
fn the_decision_matrix() {
    let no_ex = [("ex.toml", "")];
    // A compatible patch.
    let p = plan_of(
        "2.1",
        &[("D-1", r#"[{"introduced": "0"}, {"fixed": "2.2"}]"#)],
        &no_ex,
    );
    let i = &p["items"][0];
    assert_eq!(
        (
            i["decision"]["action"].as_str(),
            i["minimal_safe"].as_str(),
            i["breaking"].as_bool()
        ),
        (Some("HOTFIX"), Some("2.2"), Some(false))
    );
    // Only a new major version is safe: D-2 also affects 2.2.
    let p = plan_of(
        "2.1",
        &[
            ("D-1", r#"[{"introduced": "0"}, {"fixed": "2.2"}]"#),
            ("D-2", r#"[{"introduced": "2.2"}, {"fixed": "3.0"}]"#),
        ],
        &no_ex,
    );
    let i = &p["items"][0];
    assert_eq!(i["decision"]["action"], "HOTFIX + CODE CHANGES");
    assert_eq!(i["minimal_safe"], "3.0");
    assert_eq!(
        i["advisories"],
        serde_json::json!(["D-1"]),
        "only D-1 affects 2.1"
    );
    // No patch; an older release no advisory affects: roll back.
    let p = plan_of(
        "2.1",
        &[
            ("D-1", r#"[{"introduced": "2.0"}]"#),
            ("D-0", r#"[{"introduced": "0"}, {"fixed": "1.9"}]"#),
        ],
        &no_ex,
    );
    let i = &p["items"][0];
    assert_eq!(
        (i["decision"]["action"].as_str(), i["rollback"].as_str()),
        (Some("ROLLBACK"), Some("1.9"))
    );
    // No safe version at all.
    let p = plan_of("2.1", &[("D-1", r#"[{"introduced": "0"}]"#)], &no_ex);
    assert_eq!(p["items"][0]["decision"]["action"], "REMOVE / REPLACE");
    // No patch, but an approved exception with mitigations.
    let ex = "[[exception]]\nid = \"D-1\"\njustification = \"internal only\"\nmitigations = [\"disable the endpoint\"]\nowner = \"o\"\napproved_by = \"sec\"\napproved_on = 2026-11-20\nexpires = 2026-12-10\n";
    let p = plan_of(
        "2.1",
        &[("D-1", r#"[{"introduced": "0"}]"#)],
        &[("ex.toml", ex)],
    );
    let i = &p["items"][0];
    assert_eq!(i["decision"]["action"], "WORKAROUND + EXCEPTION");
    assert_eq!(i["suppressed"], true);
    assert!(
        i["decision"]["explanation"]
            .as_str()
            .unwrap()
            .ends_with("approved by sec until 2026-12-10: disable the endpoint"),
        "{i}"
    );
    assert_eq!(p["summary"]["suppressed"], 1);
}

#[test]
fn explain_names_the_rule_per_service() {
    let fleet = repo().join("examples/fleet");
    let r = run(
        &[
            "explain",
            "cve-2021-44228",
            fleet.to_str().unwrap(),
            "--advisories",
            &advisories(),
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["schema"], "cverun.explain/1");
    assert_eq!(
        v["ids"],
        serde_json::json!(["CVE-2021-44228", "EXAMPLE-2021-0004"])
    );
    assert_eq!(v["base"]["level"], "P0");
    assert_eq!(v["findings"].as_array().unwrap().len(), 1);
    assert_eq!(v["findings"][0]["service"], "reporting");
    assert_eq!(v["findings"][0]["status"], "affected");

    let r = run(
        &[
            "explain",
            "CVE-2021-44228",
            "--service",
            "nope",
            fleet.to_str().unwrap(),
            "--advisories",
            &advisories(),
        ],
        None,
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no service named \"nope\""),
        "{}",
        r.stderr
    );
    let r = run(
        &[
            "explain",
            "CVE-1999-0001",
            fleet.to_str().unwrap(),
            "--advisories",
            &advisories(),
        ],
        None,
    );
    assert_eq!(r.code, 2, "an unknown id is not 'not affected'");
    assert!(
        r.stdout.contains("does not know CVE-1999-0001"),
        "{}",
        r.stdout
    );
}

/// The issue's must-show on real data: `salt` 2019.2.0 is affected by PYSEC-2020-102
/// (alias CVE-2020-11651, no severity in the record, no scored alias in the PyPI
/// data) and CVE-2020-11651 is in the shared KEV catalog (added 2021-11-03, due
/// 2022-05-03): P1 by the known-exploited-unscored rule, said so.
#[test]
fn salt_is_known_exploited_through_its_cve_alias() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = tempfile::tempdir().unwrap();
    let zip = shared.join("osv/PyPI-all.zip");
    let kev = shared.join("kev/known_exploited_vulnerabilities.json");
    let r = run(
        &["db", "import", zip.to_str().unwrap(), kev.to_str().unwrap()],
        Some(db.path()),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let svc = repo().join("examples/fleet/saltmaster");
    let r = run(
        &["scan", svc.to_str().unwrap(), "--format", "json"],
        Some(db.path()),
    );
    let v = json(&r);
    let salt: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["records"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r == "PYSEC-2020-102")
        })
        .collect();
    assert_eq!(salt.len(), 1, "{}", v["findings"]);
    let p = &salt[0]["priority"];
    assert_eq!(p["level"], "P1");
    assert_eq!(p["base"], "P1");
    assert_eq!(p["rule"], "exploited-unscored");
    assert_eq!(
        p["explanation"],
        "P1: listed in CISA KEV (CVE-2020-11651, added 2021-11-03, due 2022-05-03); severity unknown (no CVSS vector, no rating); respond within 8 h"
    );
    let inputs = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["advisory"] == salt[0]["advisory"])
        .unwrap();
    assert!(inputs["cvss"].is_null());
    assert!(inputs["rating"].is_null());
    assert_eq!(inputs["kev"]["cve"], "CVE-2020-11651");
    let r = run(
        &["explain", "PYSEC-2020-102", svc.to_str().unwrap()],
        Some(db.path()),
    );
    assert_eq!(r.code, 0);
    assert!(
        r.stdout
            .contains("CISA KEV: CVE-2020-11651 listed on 2021-11-03"),
        "{}",
        r.stdout
    );
}

/// A lone advisory (no alias shared with another record) without a CVSS vector but
/// with its own rating (`database_specific.severity`, as GHSA records give it): the
/// rating is used, not "unknown". HIGH, not exploited: P2 by the default policy;
/// LOW: routine.
#[test]
fn a_lone_records_own_rating_is_used() {
    let record = |id: &str, rating: &str| {
        format!(
            r#"{{"id":"{id}","modified":"2026-01-01T00:00:00Z","summary":"rated only","database_specific":{{"severity":"{rating}"}},"affected":[{{"package":{{"ecosystem":"PyPI","name":"ratedpkg{rating}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"2.0"}}]}}]}}]}}"#
        )
    };
    let d = fleet_with(&[
        (
            "adv/GHSA-aaaa-bbbb-cccc.json",
            &record("GHSA-aaaa-bbbb-cccc", "HIGH"),
        ),
        (
            "adv/GHSA-dddd-eeee-ffff.json",
            &record("GHSA-dddd-eeee-ffff", "LOW"),
        ),
        (
            "fleet/svc/requirements.txt",
            "ratedpkgHIGH==1.0\nratedpkgLOW==1.0\n",
        ),
    ]);
    let adv = d.path().join("adv").to_string_lossy().into_owned();
    let fleet = d.path().join("fleet").to_string_lossy().into_owned();
    let r = run(
        &["scan", &fleet, "--advisories", &adv, "--format", "json"],
        None,
    );
    let v = json(&r);
    let level = |pkg: &str| {
        let f = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["package"] == pkg)
            .unwrap_or_else(|| panic!("{pkg}: {v}"));
        (
            f["priority"]["level"].as_str().unwrap().to_owned(),
            f["priority"]["explanation"].as_str().unwrap().to_owned(),
        )
    };
    let (high, why) = level("ratedpkghigh");
    assert_eq!(high, "P2", "{why}");
    assert!(why.contains("HIGH"), "{why}");
    let (low, why) = level("ratedpkglow");
    assert_eq!(low, "routine", "{why}");
}

/// `explain` names the fix of the advisory asked about when it is not the package
/// decision's target: GO-2023-2102 on microservices-demo@2021-06, where
/// golang.org/x/net's own fix is v0.17.0 and the package's safe version v0.56.0
/// (the figures `crates/db/tests/fix_plans.rs` pins from the Go snapshot).
#[test]
fn explain_names_the_advisorys_own_fix() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = common::imported_db(&shared, &["osv/Go-all.zip"]);
    let root = shared.join("corpus/microservices-demo@2021-06");
    let r = run(
        &["explain", "GO-2023-2102", root.to_str().unwrap()],
        Some(db.path()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let block: Vec<&str> = r
        .stdout
        .split("golang.org/x/net ")
        .skip(1)
        .map(|b| b.split("\nsrc/").next().unwrap())
        .collect();
    assert!(!block.is_empty(), "{}", r.stdout);
    for b in block {
        assert!(b.contains("-> v0.56.0"), "{b}");
        assert!(b.contains("this advisory alone is fixed in v0.17.0"), "{b}");
    }
}
