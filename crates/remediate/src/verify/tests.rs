//! The comparison over small reports written as `cverun scan --format json` writes
//! them (only the fields a verification reads).

use std::path::Path;

use serde_json::{Value, json};

use super::*;

/// A finding record: (service, package, version, advisory, aliases).
fn finding(service: &str, package: &str, version: &str, advisory: &str, aliases: &[&str]) -> Value {
    json!({
        "service": service, "manifest": format!("{service}/requirements.txt"), "line": 1,
        "ecosystem": "PyPI", "package": package, "version": version,
        "advisory": advisory, "aliases": aliases,
        "informational": null, "unverifiable": null
    })
}

fn package(service: &str, name: &str, version: &str) -> Value {
    json!({"service": service, "ecosystem": "PyPI", "package": name, "version": version})
}

fn report(services: &[&str], findings: Vec<Value>, packages: Vec<Value>) -> Value {
    json!({
        "schema": "cverun.scan/1",
        "services": services.iter().map(|s| json!({"name": s, "manifests": [{"path": format!("{s}/requirements.txt"), "error": null}], "not_read": []})).collect::<Vec<_>>(),
        "findings": findings,
        "suppressed": [],
        "unpinned": [], "not_matchable": [], "not_checked": [],
        "packages": packages,
        "errors": [],
        "filtered": {"filters": [], "hidden": 0, "by_top": 0}
    })
}

fn snap(v: &Value) -> Snapshot {
    Snapshot::from_json(v.to_string().as_bytes(), Path::new("r.json")).unwrap()
}

fn run(before: &Value, after: &Value, advisories: &[&str]) -> Verification {
    compare(
        &snap(before),
        &snap(after),
        &Request {
            advisories: advisories.iter().map(|a| (*a).to_owned()).collect(),
            ..Request::default()
        },
    )
}

/// The recommendation service of the OpenTelemetry demo (2022-10): requests 2.27.1
/// affected by PYSEC-2023-74 (aliases as the PyPI snapshot of 2024-10-10 gives them).
fn baseline() -> Value {
    report(
        &["recommendationservice"],
        vec![finding(
            "recommendationservice",
            "requests",
            "2.27.1",
            "PYSEC-2023-74",
            &["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"],
        )],
        vec![
            package("recommendationservice", "requests", "2.27.1"),
            package("recommendationservice", "urllib3", "1.26.8"),
        ],
    )
}

#[test]
fn ids_meet_ignoring_case() {
    let a = BTreeSet::from(["PYSEC-2023-74".to_owned(), "CVE-2023-32681".to_owned()]);
    let b = BTreeSet::from([
        "ghsa-j8r2-6x86-q33q".to_owned(),
        "cve-2023-32681".to_owned(),
    ]);
    let c = BTreeSet::from(["GHSA-j8r2-6x86-q33q".to_owned()]);
    assert!(same_vulnerability(&a, &b));
    assert!(!same_vulnerability(&a, &c));
    assert!(same_vulnerability(&b, &c));
}

/// The baseline calls it PYSEC-2023-74 (the PyPI database); the current scan's
/// database knows only the GHSA record, which names the CVE: the same vulnerability,
/// so it remains (not fixed, and not introduced).
#[test]
fn a_pysec_id_and_its_ghsa_alias_are_one_vulnerability() {
    let after = report(
        &["recommendationservice"],
        vec![finding(
            "recommendationservice",
            "Requests",
            "2.28.0",
            "GHSA-J8R2-6X86-Q33Q",
            &["CVE-2023-32681"],
        )],
        vec![
            package("recommendationservice", "Requests", "2.28.0"),
            package("recommendationservice", "urllib3", "1.26.8"),
        ],
    );
    let v = run(&baseline(), &after, &["cve-2023-32681"]);
    let s = &v.services[0];
    assert!(s.introduced.is_empty(), "{:?}", s.introduced);
    assert!(s.fixed.is_empty());
    assert_eq!(s.remaining.len(), 1);
    assert_eq!(s.remaining[0].from, ["2.27.1"]);
    assert_eq!(s.remaining[0].to, ["2.28.0"]);
    assert_eq!(v.targeted.len(), 1);
    assert_eq!(v.targeted[0].advisory, "PYSEC-2023-74");
    assert_eq!(v.targeted[0].asked, ["cve-2023-32681"]);
    assert_eq!(v.targeted[0].status, TargetStatus::Remaining);
    assert_eq!(v.exit_code(), 1);
    // The version change is seen through the PyPI name normalisation.
    assert_eq!(s.versions.changed.len(), 1);
    assert!(s.versions.added.is_empty() && s.versions.removed.is_empty());
}

#[test]
fn fixed_and_nothing_introduced_is_0() {
    let after = report(
        &["recommendationservice"],
        vec![],
        vec![
            package("recommendationservice", "requests", "2.31.0"),
            package("recommendationservice", "urllib3", "1.26.8"),
        ],
    );
    let v = run(&baseline(), &after, &[]);
    assert_eq!(v.outcome.status, Status::Verified);
    assert_eq!(v.exit_code(), 0);
    assert_eq!(v.totals.fixed, 1);
    assert_eq!(v.targeted[0].status, TargetStatus::Fixed);
    assert!(v.targeted[0].asked.is_empty());
    let changed = &v.services[0].versions.changed;
    assert_eq!(changed.len(), 1);
    assert_eq!(
        (changed[0].from.as_slice(), changed[0].to.as_slice()),
        (&["2.27.1".to_owned()][..], &["2.31.0".to_owned()][..])
    );
    assert!(v.completeness.complete);
    assert_eq!(v.sha256.len(), 64);
}

/// 3 wins over 1: a regression and a remaining advisory give 3.
#[test]
fn introduced_wins_over_remaining() {
    let after = report(
        &["recommendationservice"],
        vec![
            finding(
                "recommendationservice",
                "requests",
                "2.27.1",
                "PYSEC-2023-74",
                &["CVE-2023-32681"],
            ),
            finding(
                "recommendationservice",
                "urllib3",
                "1.26.4",
                "PYSEC-2021-108",
                &["CVE-2021-33503"],
            ),
        ],
        vec![
            package("recommendationservice", "requests", "2.27.1"),
            package("recommendationservice", "urllib3", "1.26.4"),
        ],
    );
    let v = run(&baseline(), &after, &["PYSEC-2023-74"]);
    assert_eq!(v.totals.introduced, 1);
    assert_eq!(v.services[0].introduced[0].advisory, "PYSEC-2021-108");
    assert_eq!(v.targeted[0].status, TargetStatus::Remaining);
    assert_eq!(v.outcome.status, Status::Regression);
    assert_eq!(v.exit_code(), 3);
}

/// The fix made the pin a range: nothing matches any more, but nothing proves the
/// fix either: unconfirmed, exit 2.
#[test]
fn a_package_now_unpinned_is_not_fixed() {
    let mut after = report(
        &["recommendationservice"],
        vec![],
        vec![package("recommendationservice", "urllib3", "1.26.8")],
    );
    after["unpinned"] = json!([{
        "service": "recommendationservice", "manifest": "recommendationservice/requirements.txt",
        "line": 1, "ecosystem": "PyPI", "package": "requests", "version": null,
        "specifier": ">=2.31", "reason": "no exact version"
    }]);
    let v = run(&baseline(), &after, &[]);
    let s = &v.services[0];
    assert!(s.fixed.is_empty());
    assert_eq!(s.unconfirmed.len(), 1);
    assert!(
        s.unconfirmed[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("no exact version")
    );
    assert_eq!(v.targeted[0].status, TargetStatus::Unconfirmed);
    assert!(!v.completeness.complete);
    assert_eq!(v.exit_code(), 2);
}

/// A service of the baseline not scanned now: cannot judge.
#[test]
fn a_missing_service_is_2() {
    let after = report(&["other"], vec![], vec![]);
    let v = run(&baseline(), &after, &[]);
    assert_eq!(v.completeness.missing_services, ["recommendationservice"]);
    let missing = v
        .services
        .iter()
        .find(|s| s.name == "recommendationservice")
        .unwrap();
    assert_eq!(missing.presence, Presence::Missing);
    assert_eq!(v.targeted[0].status, TargetStatus::Unconfirmed);
    assert_eq!(v.exit_code(), 2);
}

#[test]
fn an_id_nobody_shows_is_not_in_baseline() {
    let v = run(&baseline(), &baseline(), &["CVE-1999-0001"]);
    assert_eq!(v.targeted[0].status, TargetStatus::NotInBaseline);
    assert_eq!(v.exit_code(), 2);
}

/// The same vulnerability asked by two of its ids is one target.
#[test]
fn two_ids_of_one_advisory_are_one_target() {
    let after = report(
        &["recommendationservice"],
        vec![],
        vec![package("recommendationservice", "requests", "2.31.0")],
    );
    let v = run(
        &baseline(),
        &after,
        &["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"],
    );
    assert_eq!(v.targeted.len(), 1);
    assert_eq!(v.targeted[0].asked.len(), 2);
    assert_eq!(v.targeted[0].status, TargetStatus::Fixed);
    // urllib3 gone from the list: removed.
    assert_eq!(v.services[0].versions.removed.len(), 1);
}

#[test]
fn baselines_that_cannot_be_used_are_refused_naming_the_file() {
    let p = Path::new("saved/base.json");
    let e = Snapshot::from_json(b"{not json", p).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("saved/base.json: not a JSON document"),
        "{e}"
    );
    let e = Snapshot::from_json(br#"{"schema":"cverun.plan/1"}"#, p).unwrap_err();
    assert!(e.to_string().contains("schema \"cverun.plan/1\""), "{e}");
    let e = Snapshot::from_json(br#"{"schema":"cverun.scan/1","services":3}"#, p).unwrap_err();
    assert!(e.to_string().contains("malformed cverun.scan/1"), "{e}");
    let mut filtered = baseline();
    filtered["filtered"] = json!({"filters": ["--min-priority P1"], "hidden": 2, "by_top": 0});
    let e = Snapshot::from_json(filtered.to_string().as_bytes(), p).unwrap_err();
    assert!(e.to_string().contains("--min-priority P1"), "{e}");
}

/// The hash covers the document without itself: recomputing it over the
/// serialised document (its `sha256` removed) gives the same; any change changes it.
#[test]
fn the_evidence_hash_seals_the_document() {
    let v = run(&baseline(), &baseline(), &[]);
    let mut value = serde_json::to_value(&v).unwrap();
    let stated = value["sha256"].as_str().unwrap().to_owned();
    value.as_object_mut().unwrap().remove("sha256");
    let mut text = String::new();
    render::canonical(&value, &mut text);
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(digest, stated);
    // Keys are sorted: "baseline" comes before "completeness".
    assert!(text.find("\"baseline\"").unwrap() < text.find("\"completeness\"").unwrap());
    let mut other = v.clone();
    other.verified_at = "2026-11-23T12:00:01Z".to_owned();
    assert_ne!(render::seal(&other), stated);
}

/// An installed environment is compared with the whole fleet: requests 2.27.1 still
/// installed keeps PYSEC-2023-74 remaining even though the manifest is fixed; pip's
/// own advisory is listed, not a regression.
#[test]
fn an_environment_is_compared_with_the_whole_baseline() {
    let after = report(
        &["recommendationservice"],
        vec![],
        vec![package("recommendationservice", "requests", "2.31.0")],
    );
    let mut current = snap(&after);
    let env = crate::site_packages::Environment {
        dir: "venv/lib/python3.11/site-packages".into(),
        packages: vec![
            crate::site_packages::Installed {
                name: "pip".into(),
                version: "23.2.1".into(),
                metadata: "pip-23.2.1.dist-info/METADATA".into(),
            },
            crate::site_packages::Installed {
                name: "requests".into(),
                version: "2.27.1".into(),
                metadata: "requests-2.27.1.dist-info/METADATA".into(),
            },
        ],
        problems: vec![],
    };
    let finding = |id: &str, aliases: &[&str]| cverun_osv::Finding {
        advisory: id.into(),
        aliases: aliases.iter().map(|a| (*a).into()).collect(),
        records: vec![id.into()],
        summary: None,
        fixed: vec![],
        informational: None,
        unverifiable: None,
        matched: vec![],
        severity: Vec::new().into(),
    };
    current.add_environment(
        "venv",
        &env,
        &[
            vec![finding("PYSEC-2023-228", &["CVE-2023-5752"])],
            vec![finding("GHSA-j8r2-6x86-q33q", &["CVE-2023-32681"])],
        ],
        true,
    );
    let v = compare(&snap(&baseline()), &current, &Request::default());
    let venv = v.services.iter().find(|s| s.name == "venv").unwrap();
    assert_eq!(venv.presence, Presence::Installed);
    assert_eq!(venv.remaining.len(), 1);
    assert_eq!(venv.remaining[0].package, "requests");
    assert_eq!(venv.not_in_baseline.len(), 1);
    assert_eq!(venv.not_in_baseline[0].package, "pip");
    assert_eq!(v.targeted[0].status, TargetStatus::Remaining);
    assert_eq!(v.targeted[0].current_services, ["venv"]);
    assert_eq!(v.exit_code(), 1);
}

#[test]
fn the_table_says_the_outcome_and_each_row() {
    let after = report(
        &["recommendationservice"],
        vec![],
        vec![
            package("recommendationservice", "requests", "2.31.0"),
            package("recommendationservice", "urllib3", "1.26.8"),
        ],
    );
    let v = run(&baseline(), &after, &[]);
    let text = cverun_scan::render::style::plain(&render::table(&v, 100));
    assert!(
        text.starts_with("Verification: VERIFIED (exit 0)\n"),
        "{text}"
    );
    assert!(text.contains("  fixed  PyPI requests  2.27.1 -> 2.31.0  PYSEC-2023-74  CVE-2023-32681, GHSA-j8r2-6x86-q33q"), "{text}");
    assert!(
        text.contains("changed: requests 2.27.1 -> 2.31.0"),
        "{text}"
    );
    assert!(text.contains(&format!("sha256 {}", v.sha256)), "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with("error:") || l.starts_with("warning:"))
    );
}
