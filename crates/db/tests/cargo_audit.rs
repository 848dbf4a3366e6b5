//! For each Cargo.lock of `../shared/corpus`, cverun reports the same RustSec
//! advisories as cargo-audit run on the same lockfile with the same RustSec data
//! (`../shared/rustsec-advisory-db`, cargo-audit's layout, the same 2026-08-21 state
//! as `../shared/osv/crates.io-all.zip`): vulnerabilities, and the informational
//! warnings (unmaintained, unsound, notice) apart.
//!
//! `data/cargo-audit-expected.tsv` is cargo-audit 0.22.2's output, written by
//! `scripts/reference/cargo_audit_expected.sh ../shared`. When `CVERUN_CARGO_AUDIT`
//! names a cargo-audit binary (CI installs one), the test also runs it live.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use cverun_db::{Database, PackageQuery, import::import_path};
use cverun_inventory::{DiskFiles, FileKind, Pin, Source, parse_file};
use cverun_testkit::{shared_data, skipped, test_name};

fn lockfiles(shared: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let corpus = shared.join("corpus");
    for snap in std::fs::read_dir(&corpus).unwrap() {
        let snap = snap.unwrap().path();
        let lock = snap.join("src/shippingservice/Cargo.lock");
        if lock.is_file() {
            out.push(
                lock.strip_prefix(&corpus)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
    out.sort();
    out
}

fn cverun_rows(db: &Database, shared: &Path, lock: &str) -> BTreeSet<String> {
    let parsed = parse_file(
        FileKind::CargoLock,
        &shared.join("corpus").join(lock),
        &DiskFiles,
    )
    .unwrap();
    let queries: Vec<PackageQuery> = parsed
        .packages
        .iter()
        .filter(|p| p.source == Source::Registry)
        .filter_map(|p| match &p.pin {
            Pin::Exact(v) => Some(PackageQuery {
                ecosystem: p.ecosystem.clone(),
                name: p.name.clone(),
                version: v.clone(),
            }),
            Pin::Unpinned { .. } => None,
        })
        .collect();
    let mut rows = BTreeSet::new();
    for (q, findings) in queries.iter().zip(db.find(&queries).unwrap()) {
        for f in findings {
            assert!(
                f.unverifiable.is_none(),
                "{lock}: {} {}: {:?}",
                q.name,
                q.version,
                f.unverifiable
            );
            let kind = f
                .informational
                .clone()
                .unwrap_or_else(|| "vulnerability".into());
            rows.insert(format!(
                "{lock}\t{kind}\t{}\t{}\t{}",
                f.advisory, q.name, q.version
            ));
        }
    }
    rows
}

fn pinned(lock: &str) -> BTreeSet<String> {
    include_str!("data/cargo-audit-expected.tsv")
        .lines()
        .filter(|l| l.starts_with(&format!("{lock}\t")))
        .map(str::to_owned)
        .collect()
}

fn live(audit: &str, shared: &Path, lock: &str) -> BTreeSet<String> {
    let out = Command::new(audit)
        .args(["audit", "--db"])
        .arg(shared.join("rustsec-advisory-db"))
        .args(["--no-fetch", "--stale", "--no-yanked", "--json", "-f"])
        .arg(shared.join("corpus").join(lock))
        .output()
        .expect("run cargo-audit");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("cargo-audit JSON");
    let mut rows = BTreeSet::new();
    let row = |kind: &str, item: &serde_json::Value| {
        format!(
            "{lock}\t{kind}\t{}\t{}\t{}",
            item["advisory"]["id"].as_str().unwrap(),
            item["package"]["name"].as_str().unwrap(),
            item["package"]["version"].as_str().unwrap()
        )
    };
    for item in v["vulnerabilities"]["list"].as_array().unwrap() {
        rows.insert(row("vulnerability", item));
    }
    for (kind, items) in v["warnings"].as_object().unwrap() {
        for item in items.as_array().unwrap() {
            if !item["advisory"].is_null() {
                rows.insert(row(kind, item));
            }
        }
    }
    rows
}

#[test]
fn same_advisories_as_cargo_audit() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let mut db = Database::in_memory().unwrap();
    import_path(
        &mut db,
        &shared.join("osv/crates.io-all.zip"),
        "2026-11-23T12:00:00Z".parse().unwrap(),
    )
    .unwrap();
    let locks = lockfiles(&shared);
    assert_eq!(locks.len(), 2, "{locks:?}");
    let audit = std::env::var("CVERUN_CARGO_AUDIT")
        .ok()
        .filter(|s| !s.is_empty());
    if audit.is_none() {
        skipped(
            &format!("{} (against cargo-audit run now)", test_name!()),
            "CVERUN_CARGO_AUDIT is not set (compared with the pinned cargo-audit output only; see README \"Development\")",
        );
    }
    for lock in &locks {
        let ours = cverun_rows(&db, &shared, lock);
        let expected = pinned(lock);
        assert!(
            expected.iter().any(|r| r.contains("\tvulnerability\t")),
            "{lock}: pinned data present"
        );
        assert_eq!(
            ours, expected,
            "{lock}: cverun vs pinned cargo-audit output"
        );
        if let Some(audit) = &audit {
            assert_eq!(
                ours,
                live(audit, &shared, lock),
                "{lock}: cverun vs cargo-audit run now"
            );
        }
    }
}
