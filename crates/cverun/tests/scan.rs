//! `cverun scan` through the real binary: the example fleet (README's main command),
//! the shared corpus against the shared OSV snapshots, report formats, exit statuses.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{json, repo, run};
use cverun_testkit::shared;

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
/// example fleet and advisories were written.
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
    assert_eq!(v["summary"]["vulnerabilities"], 8);
    assert_eq!(v["summary"]["unverifiable"], 1);
    assert_eq!(v["summary"]["informational"], 1);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
    assert_eq!(v["database"]["sources"][0]["records"], 9);
}

#[test]
fn table_output_groups_by_service() {
    let r = scan_examples(&[]);
    assert_eq!(r.code, 1);
    let out = &r.stdout;
    assert!(
        out.contains("reporting  owner team-data · internal · customer-pii · tier 2"),
        "{out}"
    );
    assert!(out.contains("10.0 CRITICAL  org.apache.logging.log4j:log4j-core  2.14.1   EXAMPLE-2021-0004 (CVE-2021-44228)  2.15.0    reporting/pom.xml:13"), "{out}");
    assert!(out.contains("UNVERIFIABLE legacy-feeds 2004d"), "{out}");
    assert!(out.contains("UNMAINTAINED ansi_term 0.12.1"), "{out}");
    assert!(
        out.contains("unpinned, not matched (1): pytest >=7.0"),
        "{out}"
    );
    assert!(out.contains("Scanned 6 services, 7 manifests"), "{out}");
    assert!(!out.contains('\u{1b}'), "no colour when not a terminal");
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
    assert_eq!(rules.len(), 9);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 10, "one result per location");
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels.iter().filter(|l| **l == "error").count(), 8);
    assert_eq!(levels.iter().filter(|l| **l == "warning").count(), 1);
    assert_eq!(levels.iter().filter(|l| **l == "note").count(), 1);
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
    assert!(md.contains("## Vulnerabilities"));
    assert!(
        md.contains(
            "[EXAMPLE-2021-0004](https://osv.dev/vulnerability/EXAMPLE-2021-0004) (CVE-2021-44228)"
        ),
        "{md}"
    );
    assert!(md.contains("## Unverifiable"));
    assert!(md.contains("## Unpinned (not matched)"));
}

fn fleet_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (p, t) in files {
        let p = d.path().join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
    d
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
    assert!(
        r.stdout.contains("error: b/package-lock.json:1:"),
        "{}",
        r.stdout
    );
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

fn corpus_db() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let mut args = vec!["db".to_owned(), "import".to_owned()];
    for z in ["PyPI-all.zip", "crates.io-all.zip", "Go-all.zip"] {
        args.push(shared().join("osv").join(z).to_string_lossy().into_owned());
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    assert_eq!(run(&a, Some(d.path())).code, 0);
    d
}

/// Per snapshot: the Python, Go and Rust findings equal the independent OSV-spec
/// reference (`crates/db/tests/data/corpus-expected.tsv`), and every package the
/// snapshot declares is listed, per ecosystem, as counted independently by
/// `scripts/reference/corpus_counts.py` (`data/corpus-counts.tsv`).
#[test]
fn corpus_snapshots() {
    let db = corpus_db();
    let expected_findings = include_str!("../../db/tests/data/corpus-expected.tsv");
    let expected_counts = include_str!("data/corpus-counts.tsv");
    for snapshot in [
        "microservices-demo@2019-06",
        "microservices-demo@2021-06",
        "opentelemetry-demo@2022-10",
        "opentelemetry-demo@2024-06",
    ] {
        let root = shared().join("corpus").join(snapshot);
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
