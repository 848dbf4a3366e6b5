//! `cverun scan` through the real binary: the example fleet (README's main command),
//! the shared corpus against the shared OSV snapshots, report formats, exit statuses.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{fleet_with, json, repo, run};
use cverun_testkit::{shared_data, test_name};

fn examples() -> (String, String) {
    (
        repo().join("examples/fleet").to_string_lossy().into_owned(),
        repo()
            .join("examples/advisories")
            .to_string_lossy()
            .into_owned(),
    )
}

fn scan_examples(extra: &[&str]) -> common::Run {
    let (fleet, adv) = examples();
    let mut args = vec!["scan", fleet.as_str(), "--advisories", adv.as_str()];
    args.extend_from_slice(extra);
    run(&args, None)
}

/// The README's main command: findings in six ecosystems, each pinned by how the
/// example fleet and advisories were written, with priorities from the example KEV
/// excerpt (examples/advisories/kev.json) and the services' context.
#[test]
fn example_fleet() {
    let r = scan_examples(&["--format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["schema"], "cverun.scan/1");
    let found: BTreeSet<(String, String, String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let kind = if !f["unverifiable"].is_null() {
                "unverifiable".to_owned()
            } else if let Some(i) = f["informational"].as_str() {
                i.to_owned()
            } else {
                "vulnerability".to_owned()
            };
            (
                f["service"].as_str().unwrap().to_owned(),
                f["package"].as_str().unwrap().to_owned(),
                f["version"].as_str().unwrap().to_owned(),
                f["advisory"].as_str().unwrap().to_owned(),
                kind,
            )
        })
        .collect();
    let expected: BTreeSet<(String, String, String, String, String)> = [
        (
            "ledger",
            "smallvec",
            "1.6.0",
            "EXAMPLE-2021-0006",
            "vulnerability",
        ),
        (
            "ledger",
            "ansi_term",
            "0.12.1",
            "EXAMPLE-2021-0007",
            "unmaintained",
        ),
        (
            "mailer",
            "nokogiri",
            "1.13.3",
            "EXAMPLE-2022-0008",
            "vulnerability",
        ),
        (
            "payments",
            "golang.org/x/net",
            "v0.7.0",
            "EXAMPLE-2023-0005",
            "vulnerability",
        ),
        (
            "payments",
            "stdlib",
            "1.21.1",
            "EXAMPLE-2023-0005",
            "vulnerability",
        ),
        (
            "reporting",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "EXAMPLE-2021-0004",
            "vulnerability",
        ),
        (
            "saltmaster",
            "salt",
            "2019.2.0",
            "EXAMPLE-2020-0010",
            "vulnerability",
        ),
        (
            "storefront",
            "pyyaml",
            "5.3.1",
            "EXAMPLE-2020-0001",
            "vulnerability",
        ),
        (
            "storefront",
            "jinja2",
            "2.11.2",
            "EXAMPLE-2021-0002",
            "vulnerability",
        ),
        (
            "storefront",
            "legacy-feeds",
            "2004d",
            "EXAMPLE-2024-0009",
            "unverifiable",
        ),
        (
            "web",
            "lodash",
            "4.17.20",
            "EXAMPLE-2021-0003",
            "vulnerability",
        ),
    ]
    .iter()
    .map(|(a, b, c, d, e)| {
        (
            a.to_string(),
            b.to_string(),
            c.to_string(),
            d.to_string(),
            e.to_string(),
        )
    })
    .collect();
    assert_eq!(found, expected);
    let ecosystems: BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["ecosystem"].as_str().unwrap())
        .collect();
    assert!(ecosystems.len() >= 4, "{ecosystems:?}");

    // Every finding carries its location and the fields the JSON schema promises.
    let log4j = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["service"] == "reporting")
        .unwrap();
    assert_eq!(log4j["manifest"], "reporting/pom.xml");
    assert_eq!(log4j["line"], 13);
    assert_eq!(log4j["ecosystem"], "Maven");
    assert_eq!(log4j["aliases"][0], "CVE-2021-44228");
    assert_eq!(log4j["fixed"][0], "2.15.0");
    assert_eq!(log4j["cvss"]["score"], 10.0);
    assert_eq!(log4j["cvss"]["rating"], "CRITICAL");
    assert!(log4j["informational"].is_null() && log4j["unverifiable"].is_null());
    let lodash = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["package"] == "lodash")
        .unwrap();
    assert_eq!(lodash["relation"], "transitive");
    assert_eq!(
        lodash["paths"][0],
        serde_json::json!(["async@2.6.4", "lodash@4.17.20"])
    );
    // The service metadata from cverun.toml.
    let svc = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "storefront")
        .unwrap();
    assert_eq!(svc["owner"], "team-web");
    assert_eq!(svc["exposure"], "internet");
    assert_eq!(svc["unpinned"], 1);
    assert_eq!(v["unpinned"][0]["package"], "pytest");
    assert_eq!(v["unpinned"][0]["specifier"], ">=7.0");
    assert_eq!(v["summary"]["vulnerabilities"], 9);
    assert_eq!(v["summary"]["unverifiable"], 1);
    assert_eq!(v["summary"]["informational"], 1);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
    assert_eq!(v["database"]["sources"][0]["records"], 10);
    assert_eq!(v["database"]["sources"][1]["name"], "kev");
    assert!(v["policy"].is_null(), "built-in policy");

    // Priorities: every one explained, in the order the runbook reads them.
    let find = |pkg: &str| {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["package"] == pkg)
            .unwrap()
            .clone()
    };
    let level = |pkg: &str| find(pkg)["priority"]["level"].as_str().unwrap().to_owned();
    // Log4Shell: CVSS 10.0 and in KEV.
    assert_eq!(level("org.apache.logging.log4j:log4j-core"), "P0");
    let p = &log4j["priority"];
    assert_eq!(p["response_hours"], 2);
    assert!(
        p["explanation"]
            .as_str()
            .unwrap()
            .starts_with("P0: CVSS 10.0 (CRITICAL, CVSS 3.1 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H) >= 9 and listed in CISA KEV (CVE-2021-44228, added 2021-12-10, due 2021-12-24)"),
        "{p}"
    );
    assert_eq!(p["rule"], "exploited-critical");
    // The inputs, once per vulnerability.
    let inputs = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["advisory"] == "EXAMPLE-2021-0004")
        .unwrap();
    assert_eq!(inputs["kev"]["ransomware"], "Known");
    assert_eq!(inputs["cvss"]["score"], 10.0);
    assert_eq!(
        inputs["ids"],
        serde_json::json!(["EXAMPLE-2021-0004", "CVE-2021-44228"])
    );
    // One per vulnerability with a priority: 8 affecting, 1 unverifiable.
    assert_eq!(v["vulnerabilities"].as_array().unwrap().len(), 9);
    // HTTP/2 rapid reset: 7.5 and in KEV is P1, raised to P0 by internet exposure.
    let x = find("golang.org/x/net");
    assert_eq!(x["priority"]["base"], "P1");
    assert_eq!(x["priority"]["level"], "P0");
    assert_eq!(
        x["priority"]["raised_by"][0],
        "the service is internet-facing"
    );
    // Salt: no CVSS anywhere, but its CVE alias is in KEV: P1, not routine, and the
    // explanation says why.
    let salt = find("salt");
    assert_eq!(salt["priority"]["level"], "P1");
    assert!(salt["cvss"].is_null());
    assert_eq!(
        salt["priority"]["explanation"],
        "P1: listed in CISA KEV (CVE-2020-11651, added 2021-11-03, due 2022-05-03); severity unknown (no CVSS vector, no rating); respond within 8 h"
    );
    // No exploit known: 9.8 on an internet service handling customer data is P2
    // raised once to P1; 5.3 is routine and stays routine.
    assert_eq!(level("pyyaml"), "P1");
    assert_eq!(find("pyyaml")["priority"]["base"], "P2");
    assert_eq!(level("jinja2"), "routine");
    assert_eq!(level("smallvec"), "P2");
    let p = &v["summary"]["priorities"];
    assert_eq!(
        (
            p["P0"].as_u64(),
            p["P1"].as_u64(),
            p["P2"].as_u64(),
            p["routine"].as_u64()
        ),
        (Some(3), Some(3), Some(2), Some(1))
    );
    // Sorted by priority.
    let levels: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["unverifiable"].is_null() && f["informational"].is_null())
        .map(|f| f["priority"]["level"].as_str().unwrap())
        .collect();
    assert_eq!(
        levels,
        ["P0", "P0", "P0", "P1", "P1", "P1", "P2", "P2", "routine"]
    );

    // Fix options and decisions.
    assert_eq!(log4j["fix"]["minimal_safe"], "2.15.0");
    assert_eq!(log4j["fix"]["breaking"], false);
    assert_eq!(log4j["fix"]["decision"]["action"], "HOTFIX");
    assert_eq!(x["fix"]["minimal_safe"], "v0.17.0");
    assert_eq!(salt["fix"]["minimal_safe"], "2019.2.4");
    assert!(
        find("ansi_term")["fix"].is_null(),
        "informational: no fix plan"
    );
    assert!(find("ansi_term")["priority"].is_null());
}

/// `text` with every run of spaces made one (table columns are padded).
fn squeeze(text: &str) -> String {
    text.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The table starts with the summary, then one row per vulnerable package with its
/// decision, the fix of its most urgent advisory, and the file relative to the
/// service. (Rows changed with the grouped table: no severity column, an URGENT FIX
/// column, WHERE relative to the service's directory; the summary comes first.)
#[test]
fn table_output_groups_by_service() {
    let r = scan_examples(&[]);
    assert_eq!(r.code, 1);
    let out = &r.stdout;
    assert!(out.starts_with("Scanned 7 services, 8 manifests"), "{out}");
    assert!(
        out.contains("reporting  owner team-data · internal · customer-pii · tier 2"),
        "{out}"
    );
    let flat = squeeze(out);
    assert!(flat.contains("P0 (2 h) org.apache.logging.log4j:log4j-core 2.14.1 EXAMPLE-2021-0004 (CVE-2021-44228) HOTFIX -> 2.15.0 2.15.0 pom.xml:13"), "{out}");
    assert!(flat.contains("P1 (8 h) salt 2019.2.0 EXAMPLE-2020-0010 (CVE-2020-11651) HOTFIX -> 2019.2.4 2019.2.4 requirements.txt:2"), "{out}");
    assert!(
        out.contains("UNVERIFIABLE P1 (8 h) legacy-feeds 2004d"),
        "{out}"
    );
    // The most urgent services first.
    let order: Vec<usize> = [
        "payments  owner",
        "reporting  owner",
        "saltmaster  owner",
        "mailer  owner",
    ]
    .iter()
    .map(|s| out.find(s).unwrap_or_else(|| panic!("{s} in {out}")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{out}");
    assert!(
        out.contains(
            "Act on: P0 3 · P1 3 · P2 2 · routine 1 (9 packages); due P0 by 2026-11-23 14:00 +00:00"
        ),
        "{out}"
    );
    assert!(
        out.contains("Next deadline: P0 2026-11-23 14:00 +00:00, in 2 h: org.apache.logging.log4j:log4j-core 2.14.1 in reporting, golang.org/x/net v0.7.0 in payments, stdlib 1.21.1 in payments\n"),
        "{out}"
    );
    assert!(out.contains("UNMAINTAINED ansi_term 0.12.1"), "{out}");
    assert!(
        out.contains("unpinned, not matched (1): pytest >=7.0"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'), "no colour when not a terminal");

    // --summary: the summary alone, the same lines.
    let head = scan_examples(&["--summary"]);
    assert_eq!(head.code, 1);
    assert!(out.starts_with(&head.stdout), "{}", head.stdout);
    assert!(head.stdout.lines().count() <= 12, "{}", head.stdout);

    // Local time, to the minute, in the zone TZ names.
    let (fleet, adv) = examples();
    let o = common::bin()
        .env("TZ", "Europe/Paris")
        .args(["scan", &fleet, "--advisories", &adv, "--summary"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("due P0 by 2026-11-23 15:00 +01:00"), "{text}");
}

/// The plan: the summary first, then one row per package, no explanation line
/// unless asked (`--explain`).
#[test]
fn plan_table_one_row_per_package() {
    let (fleet, adv) = examples();
    let r = run(&["plan", &fleet, "--advisories", &adv], None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("9 packages to act on in 7 services: HOTFIX 9"),
        "{}",
        r.stdout
    );
    let flat = squeeze(&r.stdout);
    assert!(
        flat.contains("P0 reporting org.apache.logging.log4j:log4j-core 2.14.1 HOTFIX 2.15.0 EXAMPLE-2021-0004 pom.xml:13"),
        "{}",
        r.stdout
    );
    assert_eq!(
        r.stdout.matches("log4j-core").count(),
        2,
        "the summary's next deadline and the row: {}",
        r.stdout
    );
    assert!(
        !r.stdout
            .contains("the smallest version no known advisory affects")
    );
    let r = run(&["plan", &fleet, "--advisories", &adv, "--explain"], None);
    assert!(
        r.stdout.contains(
            "    upgrade 2.14.1 -> 2.15.0, the smallest version no known advisory affects"
        ),
        "{}",
        r.stdout
    );
    let r = run(&["plan", &fleet, "--advisories", &adv, "--summary"], None);
    assert!(r.stdout.lines().count() <= 12, "{}", r.stdout);
    assert!(!r.stdout.contains("PRIORITY"), "{}", r.stdout);
}

#[test]
fn sarif_and_markdown() {
    let r = scan_examples(&["--format", "sarif"]);
    let v = json(&r);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let ids: BTreeSet<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), rules.len(), "one rule per vulnerability");
    assert_eq!(rules.len(), 10);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 11, "one result per location");
    // Levels from severity (they used to be `error` for every vulnerability): error
    // for P0/P1, CVSS >= 7.0 or unknown; warning for medium and unverifiable; note
    // for low and informational.
    let level = |pkg: &str| {
        results
            .iter()
            .find(|r| r["properties"]["package"] == pkg)
            .map(|r| r["level"].as_str().unwrap().to_owned())
            .unwrap()
    };
    assert_eq!(level("org.apache.logging.log4j:log4j-core"), "error");
    assert_eq!(level("jinja2"), "warning", "5.3 MEDIUM, routine");
    assert_eq!(level("legacy-feeds"), "warning");
    assert_eq!(level("ansi_term"), "note");
    assert_eq!(run["tool"]["driver"]["version"], env!("CARGO_PKG_VERSION"));
    let log4j = results
        .iter()
        .find(|r| r["properties"]["package"] == "org.apache.logging.log4j:log4j-core")
        .unwrap();
    assert_eq!(log4j["properties"]["priority"], "P0");
    assert_eq!(log4j["properties"]["due"], "2026-11-23T14:00:00Z");
    assert_eq!(log4j["properties"]["decision"]["action"], "HOTFIX");
    assert_eq!(log4j["properties"]["safeFromAll"]["version"], "2.15.0");
    github_code_scanning_fields(&v);
    for r in results {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .contains('/')
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    let md = scan_examples(&["--format", "markdown"]).stdout;
    assert!(md.starts_with("# cverun scan report"), "{md}");
    // The summary, then one row per package with priority, deadline, decision and
    // both fixes (the section used to be one row per advisory, "Vulnerabilities").
    assert!(md.contains("## Summary\n\n- Scanned 7 services"), "{md}");
    assert!(md.contains("## Vulnerable packages"));
    assert!(
        md.contains(
            "| P0 | 2026-11-23 14:00 +00:00 | reporting | org.apache.logging.log4j:log4j-core | 2.14.1 | [EXAMPLE-2021-0004](https://osv.dev/vulnerability/EXAMPLE-2021-0004) | HOTFIX -> 2.15.0 | 2.15.0 | 2.15.0 | `pom.xml:13` |"
        ),
        "{md}"
    );
    assert!(md.contains("## Unverifiable"));
    assert!(md.contains("## Unpinned (not matched)"));
}

/// What GitHub code scanning requires of an uploaded SARIF log.
fn github_code_scanning_fields(v: &serde_json::Value) {
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for rule in rules {
        assert!(rule["id"].is_string(), "{rule}");
        assert!(rule["shortDescription"]["text"].is_string(), "{rule}");
        assert!(rule["help"]["text"].is_string(), "{rule}");
    }
    for r in run["results"].as_array().unwrap() {
        let id = r["ruleId"].as_str().unwrap();
        assert!(rules.iter().any(|x| x["id"] == id), "{id} in rules");
        assert!(r["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/'), "relative uri: {uri}");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1, "{r}");
        let fp = r["partialFingerprints"].as_object().unwrap();
        assert!(!fp.is_empty() && fp.values().all(|f| f.is_string()));
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
    }
}

fn scan_dir(dir: &Path, extra: &[&str]) -> common::Run {
    let (_, adv) = examples();
    let d = dir.to_string_lossy().into_owned();
    let mut args = vec!["scan", d.as_str(), "--advisories", adv.as_str()];
    args.extend_from_slice(extra);
    run(&args, None)
}

#[test]
fn exit_statuses() {
    let clean = fleet_with(&[("svc/requirements.txt", "pyyaml==5.4\n")]);
    let r = scan_dir(clean.path(), &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("no known vulnerability"), "{}", r.stdout);

    // jinja2 2.11.2: 5.3 MEDIUM.
    let medium = fleet_with(&[("svc/requirements.txt", "jinja2==2.11.2\n")]);
    assert_eq!(scan_dir(medium.path(), &[]).code, 1);
    assert_eq!(scan_dir(medium.path(), &["--fail-on", "medium"]).code, 1);
    assert_eq!(scan_dir(medium.path(), &["--fail-on", "high"]).code, 0);
    assert_eq!(scan_dir(medium.path(), &["--fail-on", "never"]).code, 0);
    let bad = scan_dir(medium.path(), &["--fail-on", "P9"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("--fail-on"), "{}", bad.stderr);

    // Informational only: passes by default, fails with --fail-on informational.
    let info = fleet_with(&[(
        "svc/Cargo.lock",
        "[[package]]\nname = \"ansi_term\"\nversion = \"0.12.1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )]);
    assert_eq!(scan_dir(info.path(), &[]).code, 0);
    assert_eq!(
        scan_dir(info.path(), &["--fail-on", "informational"]).code,
        1
    );

    // Unverifiable fails even with --fail-on critical: it cannot be judged.
    let unv = fleet_with(&[("svc/requirements.txt", "legacy-feeds===2004d\n")]);
    assert_eq!(scan_dir(unv.path(), &["--fail-on", "critical"]).code, 1);

    // A partial scan is never clean, findings or not.
    let partial = fleet_with(&[
        ("a/requirements.txt", "pyyaml==5.4\n"),
        ("b/package-lock.json", "{ this is not json"),
    ]);
    let r = scan_dir(partial.path(), &[]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    // The error is on stderr, the table on stdout still says the scan is incomplete.
    assert!(
        r.stderr.contains("error: b/package-lock.json:1:"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("error:"), "{}", r.stdout);
    assert!(r.stdout.contains("this scan is incomplete"), "{}", r.stdout);
    let missing = run(
        &["scan", "/nonexistent/fleet", "--advisories", &examples().1],
        None,
    );
    assert_eq!(missing.code, 2);
}

#[test]
fn bad_config_names_file_and_line() {
    let d = fleet_with(&[
        (
            "cverun.toml",
            "[[service]]\nname = \"a\"\npath = \"a\"\nexposure = \"sometimes\"\n",
        ),
        ("a/requirements.txt", "pyyaml==5.4\n"),
    ]);
    let r = scan_dir(d.path(), &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cverun.toml:4:"), "{}", r.stderr);
}

#[test]
fn output_file_is_written_whole() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("report.sarif");
    let r = scan_examples(&["--format", "sarif", "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(
        std::fs::read_dir(d.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
    let r = scan_examples(&["--output", "/nonexistent/dir/report.txt"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("cannot write /nonexistent/dir/report.txt"),
        "{}",
        r.stderr
    );
}

// --- The shared corpus against the shared OSV snapshots ----------------------------

fn corpus_db(shared: &Path) -> tempfile::TempDir {
    common::imported_db(
        shared,
        &[
            "osv/PyPI-all.zip",
            "osv/crates.io-all.zip",
            "osv/Go-all.zip",
            "kev/known_exploited_vulnerabilities.json",
        ],
    )
}

/// Per snapshot: the Python, Go and Rust findings equal the independent OSV-spec
/// reference (`crates/db/tests/data/corpus-expected.tsv`); every finding has a
/// priority with its explanation, equal to the independent reference of
/// `scripts/reference/priority_reference.py` (`data/corpus-priorities.tsv`: level,
/// best score, KEV listing, with the shared KEV catalog); and every package the
/// snapshot declares is listed, per ecosystem, as counted independently by
/// `scripts/reference/corpus_counts.py` (`data/corpus-counts.tsv`).
#[test]
fn corpus_snapshots() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = corpus_db(&shared);
    let expected_findings = include_str!("../../db/tests/data/corpus-expected.tsv");
    let expected_counts = include_str!("data/corpus-counts.tsv");
    let expected_priorities = include_str!("data/corpus-priorities.tsv");
    for snapshot in [
        "microservices-demo@2019-06",
        "microservices-demo@2021-06",
        "opentelemetry-demo@2022-10",
        "opentelemetry-demo@2024-06",
    ] {
        let root = shared.join("corpus").join(snapshot);
        let r = run(
            &[
                "scan",
                root.to_str().unwrap(),
                "--format",
                "json",
                "--list-packages",
            ],
            Some(db.path()),
        );
        assert_eq!(r.code, 1, "{snapshot}: {}", r.stderr);
        let v = json(&r);
        assert!(
            v["errors"].as_array().unwrap().is_empty(),
            "{snapshot}: {}",
            v["errors"]
        );

        let mut ours = BTreeSet::new();
        for f in v["findings"].as_array().unwrap() {
            let matched: BTreeSet<&str> = f["matched"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["record"].as_str().unwrap())
                .collect();
            for rec in f["records"].as_array().unwrap() {
                let rec = rec.as_str().unwrap();
                let verdict = if matched.contains(rec) {
                    "affected"
                } else {
                    "unverifiable"
                };
                ours.insert(format!(
                    "{snapshot}\t{}\t{}\t{}\t{}\t{rec}\t{verdict}",
                    f["manifest"].as_str().unwrap(),
                    f["ecosystem"].as_str().unwrap(),
                    f["package"].as_str().unwrap(),
                    f["version"].as_str().unwrap()
                ));
            }
        }
        // Priorities: one line per finding record, as the reference writes them.
        let mut priorities = BTreeSet::new();
        for f in v["findings"].as_array().unwrap() {
            let inputs = v["vulnerabilities"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["advisory"] == f["advisory"] && x["records"] == f["records"]);
            let (level, score, kev) = if f["informational"].is_null() {
                let p = &f["priority"];
                let level = p["level"].as_str().unwrap();
                let explanation = p["explanation"].as_str().unwrap();
                assert!(
                    explanation.starts_with(&format!("{}: ", p["base"].as_str().unwrap()))
                        && explanation.ends_with(" h"),
                    "{snapshot}: {explanation}"
                );
                let i = inputs.expect("the inputs of every prioritised finding");
                let score = match (i["cvss"]["score"].as_f64(), i["rating"].as_str()) {
                    (Some(s), _) => format!("{s:.1}"),
                    (None, Some(r)) => format!("rating:{r}"),
                    (None, None) => "unknown".to_owned(),
                };
                let kev = match (i["kev"]["cve"].as_str(), i["kev"]["related"].as_bool()) {
                    (Some(cve), Some(true)) => format!("related:{cve}"),
                    (Some(cve), _) => cve.to_owned(),
                    (None, _) => "-".to_owned(),
                };
                (level.to_owned(), score, kev)
            } else {
                assert!(f["priority"].is_null());
                ("none".to_owned(), "-".to_owned(), "-".to_owned())
            };
            for rec in f["records"].as_array().unwrap() {
                priorities.insert(format!(
                    "{snapshot}\t{}\t{}\t{}\t{}\t{}\t{level}\t{score}\t{kev}",
                    f["manifest"].as_str().unwrap(),
                    f["ecosystem"].as_str().unwrap(),
                    f["package"].as_str().unwrap(),
                    f["version"].as_str().unwrap(),
                    rec.as_str().unwrap()
                ));
            }
        }
        let reference: BTreeSet<String> = expected_priorities
            .lines()
            .filter(|l| l.starts_with(&format!("{snapshot}\t")))
            .map(str::to_owned)
            .collect();
        assert_eq!(
            priorities, reference,
            "{snapshot}: priorities vs the independent reference"
        );

        let reference: BTreeSet<String> = expected_findings
            .lines()
            .filter(|l| l.starts_with(&format!("{snapshot}\t")))
            .map(str::to_owned)
            .collect();
        assert!(!reference.is_empty());
        assert_eq!(
            ours, reference,
            "{snapshot}: scan findings vs the OSV-spec reference"
        );

        let mut counts = std::collections::BTreeMap::new();
        for p in v["packages"].as_array().unwrap() {
            *counts
                .entry(p["ecosystem"].as_str().unwrap().to_owned())
                .or_insert(0usize) += 1;
        }
        let expected: std::collections::BTreeMap<String, usize> = expected_counts
            .lines()
            .filter(|l| l.starts_with(&format!("{snapshot}\t")))
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (f[1].to_owned(), f[2].parse().unwrap())
            })
            .collect();
        assert_eq!(counts, expected, "{snapshot}: packages per ecosystem");
        let total: usize = counts.values().sum();
        assert_eq!(v["summary"]["packages"], total);
    }
}

/// A reader that stops early (`cverun scan ... | head`) ends cverun quietly: no
/// panic message, no error. The fleet is generated (200 services of 40 packages):
/// its package list is far larger than a pipe's buffer.
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    let fleet = tempfile::tempdir().unwrap();
    cverun_testkit::generate::fleet(fleet.path(), 200, 40, 2_000);
    let root = fleet.path();
    let adv = repo().join("examples/advisories");
    let args = [
        "scan",
        "--list-packages",
        "--format",
        "json",
        "--advisories",
        adv.to_str().unwrap(),
        root.to_str().unwrap(),
    ];
    // Read whole, the report is many times a pipe's buffer (64 KiB on Linux).
    let whole = run(&args, None);
    assert!(whole.stdout.len() > 1 << 20, "{} bytes", whole.stdout.len());
    let mut child = common::bin()
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    // The read end is closed here, long before the end of the report.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(first.starts_with(b"{\"schema\""));
    assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
}

/// An OSV record written for these tests: the ECOSYSTEM range of PYSEC-2018-28
/// (requests before 2.20.0, CVE-2018-18074) as the PyPA advisory database
/// publishes it, and one made-up urllib3 record.
const REQUESTS_RECORD: &str = r#"{
  "schema_version": "1.6.0",
  "id": "PYSEC-2018-28",
  "modified": "2021-06-10T06:51:00Z",
  "aliases": ["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"],
  "affected": [{
    "package": {"ecosystem": "PyPI", "name": "requests"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.20.0"}]}]
  }]
}"#;

const URLLIB3_RECORD: &str = r#"{
  "schema_version": "1.6.0",
  "id": "TEST-URLLIB3-1",
  "modified": "2024-01-01T00:00:00Z",
  "affected": [{
    "package": {"ecosystem": "PyPI", "name": "urllib3"},
    "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.24.2"}]}]
  }]
}"#;

/// Scans `fleet` against the two records above, as JSON.
fn scan_with_records(fleet: &Path) -> (common::Run, serde_json::Value) {
    let adv = fleet_with(&[
        ("PYSEC-2018-28.json", REQUESTS_RECORD),
        ("TEST-URLLIB3-1.json", URLLIB3_RECORD),
    ]);
    let r = run(
        &[
            "scan",
            &fleet.to_string_lossy(),
            "--advisories",
            &adv.path().to_string_lossy(),
            "--format",
            "json",
        ],
        None,
    );
    let v = json(&r);
    (r, v)
}

/// (manifest, line, package, version, advisory) of every finding.
fn finding_places(v: &serde_json::Value) -> Vec<(String, u64, String, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["manifest"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["package"].as_str().unwrap().to_owned(),
                f["version"].as_str().unwrap().to_owned(),
                f["advisory"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A service holding only a pyproject.toml is read: its exact pin is matched and
/// reported with file and line; its range is counted as unpinned.
#[test]
fn pyproject_without_lockfile_is_read() {
    let fleet = fleet_with(&[(
        "svc/pyproject.toml",
        "[build-system]\nrequires = [\"setuptools\"]\n\n[project]\nname = \"svc\"\ndependencies = [\n    \"flask>=2\",\n    \"requests==2.19.1\",\n]\n",
    )]);
    let (r, v) = scan_with_records(fleet.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        finding_places(&v),
        vec![(
            "svc/pyproject.toml".to_owned(),
            8,
            "requests".to_owned(),
            "2.19.1".to_owned(),
            "PYSEC-2018-28".to_owned()
        )]
    );
    let svc = &v["services"][0];
    assert_eq!(svc["manifests"][0]["kind"], "pyproject.toml");
    assert_eq!(svc["packages"], 2);
    assert_eq!(svc["unpinned"], 1);
}

/// A constraints file installs nothing: only the requirement it pins is reported
/// (at the requirement's line), not the package it merely constrains, and it is no
/// service of its own.
#[test]
fn constraints_pin_requirements_but_are_not_manifests() {
    let fleet = fleet_with(&[
        (
            "svc/requirements.txt",
            "-c constraints.txt\nflask==2.3.2\nrequests\n",
        ),
        ("svc/constraints.txt", "requests==2.19.1\nurllib3==1.24.1\n"),
        ("pins/constraints.txt", "urllib3==1.24.1\n"),
    ]);
    let (r, v) = scan_with_records(fleet.path());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        finding_places(&v),
        vec![(
            "svc/requirements.txt".to_owned(),
            3,
            "requests".to_owned(),
            "2.19.1".to_owned(),
            "PYSEC-2018-28".to_owned()
        )]
    );
    let services: Vec<(&str, usize)> = v["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["manifests"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(services, vec![("pins", 0), ("svc", 1)]);
}

/// Fixes and decisions on the shared corpus (OSV snapshots: Go 2026-08-21, PyPI
/// 2024-10-10; figures read from the records, see `crates/db/tests/fix_plans.rs`):
/// - golang.org/x/net at microservices-demo@2021-06's pseudo-version: GO-2023-2102's
///   own fix is v0.17.0, the package's minimal safe version v0.56.0;
/// - `go 1.15` (stdlib): a Go toolchain upgrade to 1.25.13, HOTFIX + CODE CHANGES;
/// - certifi 2018.11.29 (microservices-demo@2019-06): 2023.7.22, calendar versions,
///   HOTFIX;
/// - gevent 1.4.0: PYSEC-2023-177 contradicts itself about 23.9.0;
/// - golang.org/x/crypto v0.22.0 (opentelemetry-demo@2024-06): 19 advisories, none
///   safe from all; v0.52.0 fixes 18, GO-2026-5932 is left with its own decision.
#[test]
fn corpus_fixes_and_decisions() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = corpus_db(&shared);
    let scan = |snapshot: &str| {
        let root = shared.join("corpus").join(snapshot);
        let r = run(
            &["scan", root.to_str().unwrap(), "--format", "json"],
            Some(db.path()),
        );
        assert_eq!(r.code, 1, "{snapshot}: {}", r.stderr);
        json(&r)
    };
    let findings =
        |v: &serde_json::Value, service: &str, package: &str| -> Vec<serde_json::Value> {
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| {
                    f["package"] == package && f["manifest"].as_str().unwrap().contains(service)
                })
                .cloned()
                .collect()
        };

    let v = scan("microservices-demo@2021-06");
    let net = findings(&v, "src/frontend/", "golang.org/x/net");
    let rapid = net
        .iter()
        .find(|f| f["advisory"] == "GO-2023-2102")
        .expect("GO-2023-2102 on x/net");
    assert_eq!(rapid["own_fix"]["version"], "v0.17.0");
    assert_eq!(rapid["fix"]["minimal_safe"], "v0.56.0");
    assert!(
        net.iter()
            .all(|f| f["own_fix"]["contradictions"] == serde_json::json!([]))
    );
    let go = findings(&v, "src/frontend/", "stdlib");
    assert!(!go.is_empty());
    for f in &go {
        assert_eq!(f["fix"]["minimal_safe"], "1.25.13");
        assert_eq!(f["fix"]["breaking"], true);
        assert_eq!(f["fix"]["note"], "Go toolchain upgrade 1.15 -> 1.25");
        assert_eq!(f["fix"]["decision"]["action"], "HOTFIX + CODE CHANGES");
    }

    let v = scan("microservices-demo@2019-06");
    let certifi = findings(&v, "src/emailservice/", "certifi");
    assert_eq!(certifi.len(), 2);
    for f in &certifi {
        assert_eq!(f["fix"]["minimal_safe"], "2023.7.22");
        assert_eq!(f["fix"]["breaking"], false);
        assert_eq!(f["fix"]["decision"]["action"], "HOTFIX");
    }
    let gevent = findings(&v, "src/loadgenerator/", "gevent");
    assert_eq!(gevent.len(), 1);
    assert_eq!(gevent[0]["own_fix"]["version"], serde_json::Value::Null);
    assert_eq!(
        gevent[0]["own_fix"]["contradictions"][0]["record"],
        "PYSEC-2023-177"
    );
    assert_eq!(
        gevent[0]["own_fix"]["contradictions"][0]["version"],
        "23.9.0"
    );
    assert_eq!(gevent[0]["fix"]["decision"]["action"], "REMOVE / REPLACE");

    let v = scan("opentelemetry-demo@2024-06");
    let crypto = findings(&v, "src/accountingservice/", "golang.org/x/crypto");
    assert_eq!(crypto.len(), 19);
    for f in &crypto {
        assert_eq!(f["fix"]["minimal_safe"], serde_json::Value::Null);
        assert_eq!(f["fix"]["partial"]["version"], "v0.52.0");
        assert_eq!(f["fix"]["partial"]["fixes"].as_array().unwrap().len(), 18);
        assert_eq!(
            f["fix"]["partial"]["leaves"],
            serde_json::json!(["GO-2026-5932"])
        );
        if f["advisory"] == "GO-2026-5932" {
            assert_eq!(f["fix"]["decision"]["action"], "REMOVE / REPLACE");
            assert_eq!(f["own_fix"]["version"], serde_json::Value::Null);
        } else {
            assert_eq!(f["fix"]["decision"]["action"], "HOTFIX");
            assert_eq!(f["fix"]["decision"]["target"], "v0.52.0");
            assert_eq!(
                f["fix"]["decision"]["unfixed"][0]["advisory"],
                "GO-2026-5932"
            );
            assert_eq!(
                f["fix"]["decision"]["unfixed"][0]["action"],
                "REMOVE / REPLACE"
            );
        }
    }
}

/// The shared corpus (4 snapshots, 50 services) as an on-call responder reads it.
///
/// Pinned figures, against the snapshots of `../shared` (PyPI 2024-10-10, crates.io
/// and Go 2026-08-21, KEV 2025.08.25) at CVERUN_NOW 2026-11-23T12:00:00Z: 1,668
/// findings (1,657 vulnerabilities, 11 informational); 135 vulnerable packages, as
/// counted by the distinct (service, ecosystem, package, version) of the
/// vulnerability findings in the JSON `findings` (the test recounts them the same
/// way), of which P1 20, P2 113, routine 2 (the most urgent advisory of each).
#[test]
fn corpus_report_you_can_act_on() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = corpus_db(&shared);
    let roots: Vec<String> = [
        "microservices-demo@2019-06",
        "microservices-demo@2021-06",
        "opentelemetry-demo@2022-10",
        "opentelemetry-demo@2024-06",
    ]
    .iter()
    .map(|s| shared.join("corpus").join(s).to_string_lossy().into_owned())
    .collect();
    let with = |extra: &[&str], cmd: &str| -> common::Run {
        let mut args = vec![cmd];
        args.extend(roots.iter().map(String::as_str));
        args.extend_from_slice(extra);
        let o = common::bin()
            .env_remove("COLUMNS")
            .arg("--db")
            .arg(db.path())
            .args(&args)
            .output()
            .unwrap();
        common::Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    };

    // JSON: one finding per advisory, and the grouping beside it.
    let v = json(&with(&["--format", "json"], "scan"));
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1668);
    let vulns: Vec<&serde_json::Value> = findings
        .iter()
        .filter(|f| f["unverifiable"].is_null() && f["informational"].is_null())
        .collect();
    assert_eq!(vulns.len(), 1657);
    let keys: BTreeSet<(String, String, String, String)> = vulns
        .iter()
        .map(|f| {
            (
                f["service"].as_str().unwrap().to_owned(),
                f["ecosystem"].as_str().unwrap().to_owned(),
                f["package"].as_str().unwrap().to_owned(),
                f["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let groups = v["packages_affected"].as_array().unwrap();
    assert_eq!(keys.len(), 135);
    assert_eq!(groups.len(), keys.len());
    assert_eq!(v["summary"]["packages_affected"], 135);
    assert_eq!(
        v["summary"]["package_priorities"],
        serde_json::json!({"P0": 0, "P1": 20, "P2": 113, "routine": 2})
    );
    let advisories: usize = groups
        .iter()
        .map(|g| g["advisories"].as_array().unwrap().len())
        .sum();
    assert_eq!(advisories, 1657, "every vulnerability finding in one row");
    // urllib3 1.24.1: one row per service, seven advisories, two fixes.
    let urllib3: Vec<&serde_json::Value> = groups
        .iter()
        .filter(|g| g["package"] == "urllib3" && g["version"] == "1.24.1")
        .collect();
    assert!(!urllib3.is_empty());
    for g in &urllib3 {
        assert_eq!(g["advisories"].as_array().unwrap().len(), 7, "{g}");
        assert!(g["fix"]["safe_from_all"]["version"].is_string(), "{g}");
        assert_eq!(
            g["fix"]["safe_from_all"]["leaves_unfixed"],
            serde_json::json!([])
        );
        assert!(g["due"].as_str().unwrap().ends_with('Z'), "RFC 3339: {g}");
    }

    // The table: the summary first, within MAX_LINES; nothing wider than 100 after it.
    let table = with(&[], "scan");
    let summary = with(&["--summary"], "scan").stdout;
    let n = summary.lines().count();
    assert!(n <= 12, "{n} lines: {summary}");
    assert!(table.stdout.starts_with(&summary));
    assert!(
        summary.contains("Act on: P0 0 · P1 20 · P2 113 · routine 2 (135 packages)"),
        "{summary}"
    );
    assert!(summary.contains("4153 packages NOT CHECKED"), "{summary}");
    assert!(summary.contains("Data: snapshot"), "{summary}");
    // Rows and service blocks fit; the problems and data sources listed at the end
    // (`warning: file: message`, `  source fetched ...`) are never cut, but no line is more than a few hundred characters.
    for l in table.stdout.lines().skip(n) {
        let wide = l.chars().count();
        let detail = l.starts_with("warning: ")
            || l.starts_with("error: ")
            || l.starts_with("advisories: ")
            || l.contains(" fetched 2026-");
        assert!(wide <= 100 || (detail && wide <= 300), "{wide} wide: {l}");
    }
    let corpus = shared.join("corpus").to_string_lossy().into_owned();
    assert!(
        !table.stdout.contains(&corpus),
        "nothing named by the roots' shared directories"
    );
    assert!(
        table
            .stdout
            .contains("\nmicroservices-demo@2021-06/src/checkoutservice\n"),
        "services named relative to the roots"
    );
    assert!(table.stdout.len() < 40_000, "{} bytes", table.stdout.len());

    // Markdown within the default budget, and a small budget keeps the most urgent.
    let md = with(&["--format", "markdown"], "scan").stdout;
    assert!(md.len() <= 60_000, "{} bytes", md.len());
    assert!(
        md.contains("| P1 | 2026-11-23 20:00 +00:00 |"),
        "most urgent rows kept"
    );
    let small = with(&["--format", "markdown", "--max-bytes", "8000"], "scan").stdout;
    assert!(small.len() <= 8000, "{} bytes", small.len());
    assert!(
        small.contains("more rows left out to stay under 8000 bytes"),
        "{small}"
    );
    assert!(
        small.contains("| P1 |") && !small.contains("| P2 |"),
        "{small}"
    );

    // The plan: one row per package, fitted.
    let plan = with(&[], "plan").stdout;
    let head = with(&["--summary"], "plan").stdout;
    assert!(head.lines().count() <= 12 && plan.starts_with(&head));
    assert!(
        head.starts_with("135 packages to act on in 22 services"),
        "{head}"
    );
    for l in plan.lines().skip(head.lines().count()) {
        let wide = l.chars().count();
        assert!(
            wide <= 100 || (l.contains(" fetched 2026-") && wide <= 300),
            "{wide} wide: {l}"
        );
    }

    // SARIF: several roots outside any repository: one base id per root.
    let sarif = json(&with(&["--format", "sarif"], "scan"));
    github_code_scanning_fields(&sarif);
    let bases = sarif["runs"][0]["originalUriBaseIds"].as_object().unwrap();
    assert_eq!(bases.len(), 4, "{bases:?}");
    for b in bases.values() {
        let uri = b["uri"].as_str().unwrap();
        assert!(uri.starts_with("file:///") && uri.ends_with('/'), "{uri}");
    }
    let r0 = &sarif["runs"][0]["results"][0];
    assert!(
        r0["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"]
            .as_str()
            .unwrap()
            .starts_with("ROOT")
    );
}

/// `errors` of validating `instance` against the schema file at `schema` (JSON
/// Schema draft-04, with the `boon` validator), one message each.
fn schema_errors(schema: &Path, instance: &serde_json::Value) -> Vec<String> {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    let index = compiler
        .compile(schema.to_str().unwrap(), &mut schemas)
        .unwrap_or_else(|e| panic!("{}: {e}", schema.display()));
    match schemas.validate(instance, index) {
        Ok(()) => Vec::new(),
        Err(e) => vec![format!("{e:#}")],
    }
}

/// The SARIF of the example fleet and of the shared corpus (4 snapshots) is valid
/// against the official SARIF 2.1.0 schema (`../shared/schemas`), and carries what
/// GitHub code scanning requires; a document missing a required property is
/// refused by the same check, so the check is real.
#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let schema = shared.join("schemas/sarif-schema-2.1.0.json");
    let fleet = repo().join("examples/fleet");
    let adv = repo().join("examples/advisories");
    let r = run(
        &[
            "scan",
            fleet.to_str().unwrap(),
            "--advisories",
            adv.to_str().unwrap(),
            "--format",
            "sarif",
        ],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(schema_errors(&schema, &v), Vec::<String>::new());
    github_code_scanning_fields(&v);
    let mut broken = v.clone();
    broken["runs"][0]["results"][0]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert!(
        !schema_errors(&schema, &broken).is_empty(),
        "the validator checks"
    );

    let db = corpus_db(&shared);
    let mut args = vec!["--db".to_owned(), db.path().to_string_lossy().into_owned()];
    args.push("scan".into());
    for s in [
        "microservices-demo@2019-06",
        "microservices-demo@2021-06",
        "opentelemetry-demo@2022-10",
        "opentelemetry-demo@2024-06",
    ] {
        args.push(shared.join("corpus").join(s).to_string_lossy().into_owned());
    }
    args.extend(["--format".into(), "sarif".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = run(&args, None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 1668);
    assert_eq!(schema_errors(&schema, &v), Vec::<String>::new());
    github_code_scanning_fields(&v);
}
