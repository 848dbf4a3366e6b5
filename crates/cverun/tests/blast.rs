//! `cverun blast` and `cverun inventory save` through the real binary: the example
//! fleet (advisory, alias, package and exact-version subjects, owners, dependency
//! paths, reachability), fail-closed answers (unknown advisory, unpinned
//! declarations, unreadable files), exceptions, saved inventories (same answer as a
//! scan, from any directory; bad files refused; atomic saves), and the shared corpus
//! against the independent OSV reference. The clock is 2026-11-23T12:00:00Z.

mod common;

use common::{bin, fleet_with, json, repo, run};
use cverun_testkit::{shared_data, test_name};
use serde_json::Value;
use std::collections::BTreeSet;

fn fleet() -> String {
    repo().join("examples/fleet").to_string_lossy().into_owned()
}

fn advisories() -> String {
    repo()
        .join("examples/advisories")
        .to_string_lossy()
        .into_owned()
}

/// `cverun blast SUBJECT ROOT --advisories examples/advisories --format json EXTRA...`.
fn blast(subject: &str, root: &str, extra: &[&str]) -> (i32, Value, String) {
    let adv = advisories();
    let mut args = vec![
        "blast",
        subject,
        root,
        "--advisories",
        adv.as_str(),
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let r = run(&args, None);
    let v = if r.stdout.trim().is_empty() {
        Value::Null
    } else {
        json(&r)
    };
    (r.code, v, r.stderr)
}

/// `cverun blast SUBJECT --inventory FILE --advisories examples/advisories --format json`.
fn blast_inv(subject: &str, file: &str) -> (i32, Value, String) {
    let adv = advisories();
    let r = run(
        &[
            "blast",
            subject,
            "--inventory",
            file,
            "--advisories",
            &adv,
            "--format",
            "json",
        ],
        None,
    );
    let v = if r.stdout.trim().is_empty() {
        Value::Null
    } else {
        json(&r)
    };
    (r.code, v, r.stderr)
}

fn entries(v: &Value) -> &Vec<Value> {
    v["entries"].as_array().expect("entries")
}

/// `service package version status` per entry.
fn rows(v: &Value) -> Vec<String> {
    entries(v)
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {}",
                e["service"].as_str().unwrap(),
                e["package"].as_str().unwrap(),
                e["version"].as_str().unwrap(),
                e["status"].as_str().unwrap()
            )
        })
        .collect()
}

/// CVE-2023-44487 in the example advisories (EXAMPLE-2023-0005) affects Go's
/// stdlib 1.21.1 and golang.org/x/net v0.7.0, both in payments/go.mod; the record is
/// in the example KEV excerpt and scored 7.5, and payments is internet-facing with
/// customer data: P0.
#[test]
fn advisory_on_the_example_fleet() {
    let (code, v, err) = blast("CVE-2023-44487", &fleet(), &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(v["schema"], "cverun.blast/1");
    assert_eq!(v["subject"]["ids"][1], "EXAMPLE-2023-0005");
    assert_eq!(
        rows(&v),
        [
            "payments stdlib 1.21.1 affected",
            "payments golang.org/x/net v0.7.0 affected"
        ]
    );
    for e in entries(&v) {
        assert_eq!(e["owner"], "team-payments");
        assert_eq!(e["manifest"], "payments/go.mod");
        assert_eq!(e["priority"]["level"], "P0");
        assert_eq!(e["relation"], "direct");
        // payments/main.go imports net/http and golang.org/x/net/http2.
        assert_eq!(e["reach"]["reach"], "imported", "{e}");
    }
    assert_eq!(entries(&v)[1]["fix"]["decision"]["target"], "v0.17.0");
    let s = &v["summary"];
    assert_eq!(
        (s["services"].as_u64(), s["affected"].as_u64()),
        (Some(7), Some(1))
    );
    assert_eq!(s["priorities"]["P0"], 1);
    assert_eq!(s["imported"], 1);

    // Any id of the vulnerability, in any case, gives the same radius.
    for alias in ["cve-2023-39325", "EXAMPLE-2023-0005"] {
        let (code, w, _) = blast(alias, &fleet(), &[]);
        assert_eq!(code, 1);
        assert_eq!(rows(&w), rows(&v), "{alias}");
    }
}

#[test]
fn table_names_owner_path_and_counts() {
    let adv = advisories();
    let f = fleet();
    let r = run(&["blast", "npm/lodash", &f, "--advisories", &adv], None);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let header = r
        .stdout
        .lines()
        .find(|l| l.starts_with("PRIORITY"))
        .unwrap();
    for col in ["SERVICE", "OWNER", "FIX", "CODE", "PATH", "WHERE"] {
        assert!(header.contains(col), "{header}");
    }
    let row = r.stdout.lines().find(|l| l.contains("web ")).unwrap();
    for cell in [
        "P1 (8 h)",
        "team-web",
        "4.17.20",
        "HOTFIX -> 4.17.21",
        "not imported",
        "async@2.6.4 > lodash@4.17.20",
        "web/package-lock.json:31",
    ] {
        assert!(row.contains(cell), "{cell:?} in {row}");
    }
    assert!(
        r.stdout.contains("1 of 7 services affected: P1 1"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("code imports it in 0, not in 1, unknown in 0")
    );
}

/// Package subjects: names are normalised per ecosystem; with a version, exactly the
/// services shipping that version, whether or not an advisory names it.
#[test]
fn package_and_exact_version_subjects() {
    let (code, v, _) = blast("PyPI/PyYAML", &fleet(), &[]);
    assert_eq!(code, 1);
    assert_eq!(rows(&v), ["storefront pyyaml 5.3.1 affected"]);
    // storefront/app.py imports yaml (PyYAML's module).
    let reach = &entries(&v)[0]["reach"];
    assert_eq!(reach["reach"], "imported");
    assert!(
        reach["imports"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("app.py")
    );

    // Nobody ships 4.17.21: web ships lodash at another version, listed as not
    // affected (who ships the package), and the answer is clean.
    let (code, v, _) = blast("npm/lodash@4.17.21", &fleet(), &[]);
    assert_eq!(code, 0);
    assert_eq!(rows(&v), ["web lodash 4.17.20 not_affected"]);
    assert_eq!(
        (
            v["summary"]["affected"].as_u64(),
            v["summary"]["ship"].as_u64()
        ),
        (Some(0), Some(1))
    );

    let d = fleet_with(&[
        ("a/requirements.txt", "requests==2.31.0\n"),
        ("b/requirements.txt", "requests==2.31\n"),
        ("c/requirements.txt", "requests==2.32.0\n"),
        ("a/main.py", "import requests\n"),
        ("b/main.py", "import json\n"),
    ]);
    let root = d.path().to_string_lossy().into_owned();
    let (code, v, _) = blast("pypi/Requests@2.31.0", &root, &[]);
    assert_eq!(code, 1);
    // 2.31 == 2.31.0 in PEP 440; c ships another version (listed last, not
    // affected).
    assert_eq!(
        rows(&v),
        [
            "a requests 2.31.0 named",
            "b requests 2.31 named",
            "c requests 2.32.0 not_affected"
        ]
    );
    assert_eq!(entries(&v)[0]["reach"]["reach"], "imported");
    assert_eq!(entries(&v)[1]["reach"]["reach"], "not_imported");
    assert_eq!(v["summary"]["affected"], 2);
    // c has no Python source to read: cannot be told, not "not imported".
    let (_, v, _) = blast("PyPI/requests@2.32.0", &root, &[]);
    assert_eq!(entries(&v)[0]["reach"]["reach"], "unknown");
}

/// What cannot be judged is listed, never left out.
#[test]
fn unpinned_and_unparsable_versions_are_unverifiable() {
    let d = fleet_with(&[
        ("loose/requirements.txt", "pyyaml>=5.1\n"),
        ("odd/requirements.txt", "legacy-feeds==2004d\n"),
    ]);
    let root = d.path().to_string_lossy().into_owned();
    let (code, v, _) = blast("CVE-2020-14343", &root, &[]);
    assert_eq!(code, 1);
    assert_eq!(rows(&v), ["loose pyyaml >=5.1 unverifiable"]);
    assert!(
        entries(&v)[0]["unverifiable"]
            .as_str()
            .unwrap()
            .contains("which version is installed cannot be told")
    );
    assert_eq!(v["summary"]["affected"], 0);
    assert_eq!(v["summary"]["unverifiable"], 1);

    // EXAMPLE-2024-0009: "2004d" is not PEP 440.
    let (code, v, _) = blast("EXAMPLE-2024-0009", &root, &[]);
    assert_eq!(code, 1);
    assert_eq!(rows(&v), ["odd legacy-feeds 2004d unverifiable"]);
}

#[test]
fn unknown_advisory_and_bad_subjects_fail() {
    let (code, _, err) = blast("GHSA-zzzz-zzzz-zzzz", &fleet(), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("does not know GHSA-zzzz-zzzz-zzzz"), "{err}");
    for bad in ["PyPI/", "PyPI/x@", "cobol/x", "not an id"] {
        let (code, _, err) = blast(bad, &fleet(), &[]);
        assert_eq!(code, 2, "{bad}");
        assert!(!err.is_empty(), "{bad}");
    }
}

/// An exception in force: listed as suppressed, with the entry that covers it; not
/// counted as affected, exit 0.
#[test]
fn exceptions_suppress() {
    let d = fleet_with(&[
        ("svc/requirements.txt", "pyyaml==5.3.1\n"),
        (
            "cverun-exceptions.toml",
            "[[exception]]\nid = \"CVE-2020-14343\"\npackage = \"PyPI/pyyaml\"\njustification = \"only signed files\"\nmitigations = [\"files are signed\"]\nowner = \"team-web\"\napproved_by = \"security@example.com\"\napproved_on = 2026-11-01\nexpires = 2026-12-15\n",
        ),
    ]);
    let root = d.path().to_string_lossy().into_owned();
    let (code, v, err) = blast("CVE-2020-14343", &root, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(rows(&v), ["svc pyyaml 5.3.1 suppressed"]);
    assert_eq!(
        entries(&v)[0]["exception"]["approved_by"],
        "security@example.com"
    );
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["summary"]["affected"], 0);
}

/// A file that cannot be read makes the answer incomplete (exit 2), in a scan and
/// in a saved inventory.
#[test]
fn unreadable_files_make_it_incomplete() {
    let d = fleet_with(&[
        ("svc/requirements.txt", "pyyaml==5.3.1\n"),
        ("web/package-lock.json", "{ not json"),
    ]);
    let root = d.path().to_string_lossy().into_owned();
    let (code, v, _) = blast("CVE-2020-14343", &root, &[]);
    assert_eq!(code, 2);
    assert_eq!(rows(&v), ["svc pyyaml 5.3.1 affected"]);
    assert!(
        v["incomplete"][0]["file"]
            .as_str()
            .unwrap()
            .contains("package-lock.json")
    );

    let inv = d.path().join("inv.sqlite");
    let inv_s = inv.to_string_lossy().into_owned();
    let r = run(&["inventory", "save", &root, "-o", &inv_s], None);
    assert_eq!(r.code, 2, "saved, but incomplete: {}", r.stderr);
    assert!(inv.is_file());
    let (code, v, _) = blast_inv("CVE-2020-14343", &inv_s);
    assert_eq!(code, 2);
    assert_eq!(rows(&v), ["svc pyyaml 5.3.1 affected"]);
    assert_eq!(v["incomplete"].as_array().unwrap().len(), 1);
}

/// A saved inventory answers as a scan does (same entries, reachability from the
/// service directories recorded as absolute paths), from another directory.
#[test]
fn inventory_answers_like_a_scan() {
    let d = tempfile::tempdir().unwrap();
    let inv = d.path().join("fleet.inventory");
    let inv_s = inv.to_string_lossy().into_owned();
    let r = run(
        &[
            "inventory",
            "save",
            &fleet(),
            "-o",
            &inv_s,
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let saved = json(&r);
    assert_eq!(saved["services"], 7);
    assert_eq!(saved["packages"], 23);
    for subject in [
        "CVE-2023-44487",
        "CVE-2020-11651",
        "npm/lodash",
        "PyPI/jinja2@2.11.2",
        "PyPI/pytest",
    ] {
        let (code, from_scan, _) = blast(subject, &fleet(), &[]);
        let adv = advisories();
        let out = bin()
            .current_dir(d.path())
            .args([
                "blast",
                subject,
                "--inventory",
                "fleet.inventory",
                "--advisories",
                &adv,
                "--format",
                "json",
            ])
            .output()
            .unwrap();
        let from_inv: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(code), "{subject}");
        assert_eq!(from_inv["source"]["kind"], "inventory");
        let strip = |v: &Value| {
            let mut e = v["entries"].clone();
            for x in e.as_array_mut().unwrap() {
                x.as_object_mut().unwrap().remove("dir");
                // Saved inventories do not record where a Go stdlib version
                // comes from (docs/filters.md): a scan says, an inventory does not.
                x.as_object_mut().unwrap().remove("stdlib_source");
            }
            e
        };
        assert_eq!(strip(&from_inv), strip(&from_scan), "{subject}");
        assert_eq!(from_inv["summary"], from_scan["summary"], "{subject}");
    }
}

#[test]
fn inventory_files_are_checked_and_saved_atomically() {
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n).to_string_lossy().into_owned();
    std::fs::write(d.path().join("garbage"), "not a database").unwrap();
    for (file, says) in [
        (p("missing"), "no such inventory file"),
        (p("garbage"), "not a cverun inventory"),
    ] {
        let (code, _, err) = blast_inv("CVE-2023-44487", &file);
        assert_eq!(code, 2);
        assert!(err.contains(&file) && err.contains(says), "{err}");
    }
    // An SQLite file that is not an inventory.
    let other = d.path().join("other.sqlite");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let (code, _, err) = blast_inv("CVE-2023-44487", &p("other.sqlite"));
    assert_eq!(code, 2);
    assert!(err.contains("not a cverun inventory"), "{err}");

    // A save that cannot complete leaves what was there, and no temporary file.
    let target = d.path().join("dir-in-the-way");
    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("keep"), "x").unwrap();
    let r = run(
        &["inventory", "save", &fleet(), "-o", &p("dir-in-the-way")],
        None,
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("dir-in-the-way"), "{}", r.stderr);
    assert!(target.join("keep").is_file());
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Saving again replaces the file whole.
    let inv = p("fleet.inventory");
    assert_eq!(
        run(&["inventory", "save", &fleet(), "-o", &inv], None).code,
        0
    );
    let small = fleet_with(&[("only/requirements.txt", "pyyaml==5.3.1\n")]);
    let r = run(
        &[
            "inventory",
            "save",
            &small.path().to_string_lossy(),
            "-o",
            &inv,
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(json(&r)["services"], 1);
    let (_, v, _) = blast_inv("PyPI/pyyaml", &inv);
    assert_eq!(rows(&v), ["only pyyaml 5.3.1 affected"]);
}

// --- The shared corpus against the shared OSV snapshots ----------------------------

fn corpus_db(shared: &std::path::Path) -> tempfile::TempDir {
    common::imported_db(shared, &["osv/PyPI-all.zip", "osv/Go-all.zip"])
}

/// `manifest package version` of every declaration the independent OSV reference
/// (`crates/db/tests/data/corpus-expected.tsv`, from `scripts/reference/osv_reference.py`)
/// finds affected by `record`, over every corpus snapshot; manifests are named as a
/// scan of the snapshot roots names them (`<root>/<file>`).
fn expected(roots: &[String], record: &str) -> BTreeSet<String> {
    include_str!("../../db/tests/data/corpus-expected.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|c| c[5] == record && c[6] == "affected")
        .map(|c| {
            let root = roots.iter().find(|r| r.ends_with(c[0])).unwrap();
            format!("{root}/{} {} {}", c[1], c[3], c[4])
        })
        .collect()
}

/// `manifest package version` of every affected entry, with its service; the
/// others ship the package at a version the advisory does not affect.
fn declarations(v: &Value) -> BTreeSet<String> {
    entries(v)
        .iter()
        .filter(|e| e["status"] != "not_affected")
        .map(|e| {
            assert_eq!(e["status"], "affected", "{e}");
            let service = e["service"].as_str().unwrap();
            let manifest = e["manifest"].as_str().unwrap();
            assert!(manifest.starts_with(&format!("{service}/")), "{e}");
            format!(
                "{manifest} {} {}",
                e["package"].as_str().unwrap(),
                e["version"].as_str().unwrap()
            )
        })
        .collect()
}

/// GO-2023-2102 (HTTP/2 rapid reset: stdlib and golang.org/x/net) and
/// PYSEC-2024-60 (idna) across all four corpus snapshots at once: exactly the
/// declarations the reference finds affected (22 in all), each in its service, with
/// a reachability answer; the same from one inventory saved of the four snapshots.
#[test]
fn corpus_blast_equals_the_reference() {
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
    let inv = db.path().join("corpus.inventory");
    let inv_s = inv.to_string_lossy().into_owned();
    let mut save = vec!["inventory", "save", "-o", &inv_s];
    save.extend(roots.iter().map(String::as_str));
    assert_eq!(run(&save, None).code, 0);

    let mut total = 0;
    for record in ["GO-2023-2102", "PYSEC-2024-60"] {
        let want = expected(&roots, record);
        let mut args = vec!["blast", record, "--format", "json"];
        args.extend(roots.iter().map(String::as_str));
        let r = run(&args, Some(db.path()));
        assert_eq!(r.code, 1, "{record}: {}", r.stderr);
        let v = json(&r);
        assert_eq!(declarations(&v), want, "{record}");
        let affected: Vec<&Value> = entries(&v)
            .iter()
            .filter(|e| e["status"] == "affected")
            .collect();
        assert!(affected.iter().all(|e| !e["reach"].is_null()));
        let services: BTreeSet<&str> = affected
            .iter()
            .map(|e| e["service"].as_str().unwrap())
            .collect();
        assert_eq!(
            v["summary"]["affected"].as_u64(),
            Some(services.len() as u64)
        );
        assert_eq!(v["summary"]["services"], 50);
        total += want.len();

        let r = run(
            &[
                "blast",
                record,
                "--inventory",
                &inv_s,
                "--format",
                "json",
                "--no-reach",
            ],
            Some(db.path()),
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        let w = json(&r);
        assert_eq!(declarations(&w), want, "{record} from the inventory");
        assert!(entries(&w).iter().all(|e| e["reach"].is_null()));
        assert_eq!(w["summary"]["affected"], v["summary"]["affected"]);
        // Who ships the packages, affected or not, is the same answer from both.
        assert_eq!(w["summary"]["ship"], v["summary"]["ship"]);
    }
    assert_eq!(total, 22);
}

/// SBOMs produced by other tools are inventories too: a CycloneDX file saved into
/// an inventory answers blast queries, with the dependency path it records.
#[test]
fn sboms_from_elsewhere() {
    let bom = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "metadata": {"component": {"bom-ref": "app", "name": "billing", "type": "application"}},
  "components": [
    {"bom-ref": "a", "name": "awx-client", "version": "1.0.0", "purl": "pkg:pypi/awx-client@1.0.0"},
    {"bom-ref": "y", "name": "PyYAML", "version": "5.3.1", "purl": "pkg:pypi/pyyaml@5.3.1"}
  ],
  "dependencies": [
    {"ref": "app", "dependsOn": ["a"]},
    {"ref": "a", "dependsOn": ["y"]}
  ]
}"#;
    let d = fleet_with(&[("billing/bom.json", bom)]);
    let inv = d
        .path()
        .join("sbom.inventory")
        .to_string_lossy()
        .into_owned();
    let file = d.path().join("billing/bom.json");
    let r = run(
        &["inventory", "save", file.to_str().unwrap(), "-o", &inv],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (code, v, err) = blast_inv("CVE-2020-14343", &inv);
    assert_eq!(code, 1, "{err}");
    assert_eq!(entries(&v).len(), 1);
    let e = &entries(&v)[0];
    assert_eq!(
        (e["package"].as_str(), e["version"].as_str()),
        (Some("pyyaml"), Some("5.3.1"))
    );
    assert_eq!(e["relation"], "transitive");
    assert_eq!(e["path"][0], "awx-client@1.0.0");
    assert_eq!(e["fix"]["decision"]["target"], "5.4");
}

// Entries other than the services shipping a package unaffected.
fn affected(v: &Value) -> Vec<&Value> {
    entries(v)
        .iter()
        .filter(|e| e["status"] != "not_affected")
        .collect()
}

// --- An id known only as related (CVE-2023-44487 in the Go database) -------------

/// The Go snapshot and the CISA KEV catalog of `../shared` in a new database.
fn go_kev_db(shared: &std::path::Path) -> tempfile::TempDir {
    common::imported_db(
        shared,
        &["osv/Go-all.zip", "kev/known_exploited_vulnerabilities.json"],
    )
}

fn corpus_roots(shared: &std::path::Path) -> Vec<String> {
    [
        "microservices-demo@2019-06",
        "microservices-demo@2021-06",
        "opentelemetry-demo@2022-10",
        "opentelemetry-demo@2024-06",
    ]
    .iter()
    .map(|s| shared.join("corpus").join(s).to_string_lossy().into_owned())
    .collect()
}

/// `cverun blast CVE-2023-44487 <the four corpus snapshots> --format json EXTRA...`.
fn blast_rapid_reset(db: &std::path::Path, roots: &[String], extra: &[&str]) -> Value {
    let mut args = vec!["blast", "CVE-2023-44487", "--format", "json", "--no-reach"];
    args.extend(roots.iter().map(String::as_str));
    args.extend_from_slice(extra);
    let r = run(&args, Some(db));
    assert_eq!(r.code, 1, "{}", r.stderr);
    json(&r)
}

/// CVE-2023-44487 (HTTP/2 rapid reset, in CISA KEV since 2023-10-10) is no Go
/// record's id or alias: GO-2023-2102 (stdlib, golang.org/x/net; its own CVE is
/// CVE-2023-39325, not in KEV) and GO-2023-2153 (google.golang.org/grpc) list it in
/// `related`. `blast` answers through those two records, says so, and their
/// findings are triaged with the related KEV listing as an exploit signal.
///
/// Expected declarations: the independent OSV reference
/// (`crates/db/tests/data/corpus-expected.tsv`) rows for GO-2023-2102 (14) and
/// GO-2023-2153 (6), over the four corpus snapshots: 20 declarations in 8 services.
/// The Go records carry no CVSS vector and no rating, so with the related KEV
/// listing the rule is `exploited-unscored` (P1); without it, `unknown` (P2, no known
/// exploit). The corpus has no `cverun.toml`: no service context raises either.
#[test]
fn an_id_known_only_as_related() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = go_kev_db(&shared);
    let roots = corpus_roots(&shared);
    let v = blast_rapid_reset(db.path(), &roots, &[]);
    assert_eq!(v["subject"]["ids"], serde_json::json!(["CVE-2023-44487"]));
    assert_eq!(
        v["subject"]["related_via"],
        serde_json::json!(["GO-2023-2102", "GO-2023-2153"])
    );
    let mut want = expected(&roots, "GO-2023-2102");
    let via_grpc = expected(&roots, "GO-2023-2153");
    assert_eq!((want.len(), via_grpc.len()), (14, 6));
    want.extend(via_grpc);
    assert_eq!(declarations(&v), want);
    for e in affected(&v) {
        let record = match e["package"].as_str().unwrap() {
            "stdlib" | "golang.org/x/net" => "GO-2023-2102",
            "google.golang.org/grpc" => "GO-2023-2153",
            other => panic!("unexpected package {other}: {e}"),
        };
        assert_eq!(e["advisories"], serde_json::json!([record]), "{e}");
        let p = &e["priority"];
        assert_eq!(
            (p["level"].as_str(), p["rule"].as_str()),
            (Some("P1"), Some("exploited-unscored")),
            "{e}"
        );
        let why = p["explanation"].as_str().unwrap();
        assert!(
            why.contains(
                "CVE-2023-44487, related, is in CISA KEV (added 2023-10-10, due 2023-10-31)"
            ),
            "{why}"
        );
        assert!(!why.contains("no known exploit"), "{why}");
        assert_eq!(p["inputs"]["kev"]["related"], true, "{e}");
        assert_eq!(
            p["inputs"]["related"],
            serde_json::json!(["CVE-2023-44487"])
        );
    }
    let services: BTreeSet<&str> = affected(&v)
        .iter()
        .map(|e| e["service"].as_str().unwrap())
        .collect();
    assert_eq!(services.len(), 8);
    assert_eq!(v["summary"]["affected"], 8);
    assert_eq!(v["summary"]["priorities"]["P1"], 8);

    // The table says it in words.
    let mut args = vec!["blast", "CVE-2023-44487", "--no-reach"];
    args.extend(roots.iter().map(String::as_str));
    let r = run(&args, Some(db.path()));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "CVE-2023-44487 is listed as related by GO-2023-2102, GO-2023-2153 (not an alias)\n"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("8 of 50 services affected through related GO-2023-2102, GO-2023-2153: P1 8"),
        "{}",
        r.stdout
    );

    // `explain` resolves it the same way and names the record of each finding.
    let mut args = vec!["explain", "CVE-2023-44487", "--format", "json"];
    args.extend(roots.iter().map(String::as_str));
    let r = run(&args, Some(db.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let x = json(&r);
    assert_eq!(
        x["related_via"],
        serde_json::json!(["GO-2023-2102", "GO-2023-2153"])
    );
    assert_eq!(x["ids"], serde_json::json!(["CVE-2023-44487"]));
    // The CVE itself is in KEV; no record of it gives a severity.
    assert_eq!(x["base"]["rule"], "exploited-unscored");
    let found = x["findings"].as_array().unwrap();
    assert_eq!(found.len(), 20);
    assert!(
        found
            .iter()
            .all(|f| f["via"] == "GO-2023-2102" || f["via"] == "GO-2023-2153")
    );
    let mut args = vec!["explain", "CVE-2023-44487"];
    args.extend(roots.iter().map(String::as_str));
    let text = run(&args, Some(db.path())).stdout;
    assert!(
        text.contains(
            "  CVE-2023-44487 is listed as related by GO-2023-2102, GO-2023-2153 (not an alias)\n"
        ),
        "{text}"
    );
    assert!(text.contains("through related GO-2023-2153\n"), "{text}");

    // The alias lookup is unchanged: CVE-2023-39325 is GO-2023-2102's own id.
    let mut args = vec!["blast", "CVE-2023-39325", "--format", "json", "--no-reach"];
    args.extend(roots.iter().map(String::as_str));
    let w = json(&run(&args, Some(db.path())));
    assert!(
        w["subject"].get("related_via").is_none(),
        "{}",
        w["subject"]
    );
    assert_eq!(declarations(&w), expected(&roots, "GO-2023-2102"));
}

/// With `related_signals = false` the same findings (still found through the
/// related records) get the priority they had before related signals counted:
/// P2, severity unknown and no known exploit.
#[test]
fn related_signals_switched_off() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = go_kev_db(&shared);
    let roots = corpus_roots(&shared);
    let policy = db.path().join("policy.toml");
    std::fs::write(&policy, "related_signals = false\n").unwrap();
    let policy = policy.to_string_lossy().into_owned();
    let v = blast_rapid_reset(db.path(), &roots, &["--policy", &policy]);
    assert_eq!(affected(&v).len(), 20);
    for e in affected(&v) {
        let p = &e["priority"];
        assert_eq!(
            (p["level"].as_str(), p["rule"].as_str()),
            (Some("P2"), Some("unknown")),
            "{e}"
        );
        assert_eq!(
            p["explanation"],
            "P2: severity unknown (no CVSS vector, no rating), no known exploit: not treated as low; respond within 72 h"
        );
        assert!(p["inputs"]["kev"].is_null(), "{e}");
        assert!(p["inputs"].get("related").is_none(), "{e}");
    }
    assert_eq!(v["summary"]["priorities"]["P2"], 8);
}

/// The fix of the advisory asked about beside the package's: for GO-2023-2102
/// ("Rapid Reset") on microservices-demo@2021-06, golang.org/x/net's own fix is
/// v0.17.0 while the version safe from every known x/net advisory is v0.56.0 (the
/// figures `crates/db/tests/fix_plans.rs` pins from the Go snapshot's records).
#[test]
fn the_advisory_asked_about_has_its_own_fix() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = go_kev_db(&shared);
    let root = shared.join("corpus/microservices-demo@2021-06");
    let root = root.to_str().unwrap();
    let args = ["blast", "GO-2023-2102", root, "--no-reach"];
    let mut with_json = args.to_vec();
    with_json.extend(["--format", "json"]);
    let r = run(&with_json, Some(db.path()));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let net: Vec<&Value> = affected(&v)
        .into_iter()
        .filter(|e| e["package"] == "golang.org/x/net")
        .collect();
    assert!(!net.is_empty(), "{v}");
    for e in &net {
        assert_eq!(e["subject_fix"], "v0.17.0", "{e}");
        assert_eq!(e["fix"]["minimal_safe"], "v0.56.0", "{e}");
    }
    let r = run(&args, Some(db.path()));
    assert!(
        r.stdout.contains("(this advisory: v0.17.0)"),
        "{}",
        r.stdout
    );
    // A package asked about has no advisory of its own to fix.
    let r = run(
        &[
            "blast",
            "Go/golang.org/x/net",
            root,
            "--no-reach",
            "--format",
            "json",
        ],
        Some(db.path()),
    );
    let v = json(&r);
    assert!(
        affected(&v).iter().all(|e| e["subject_fix"].is_null()),
        "{v}"
    );
}
