//! Matching the pinned Python, Go and Rust packages of `../shared/corpus` against the
//! OSV snapshots of `../shared/osv` gives exactly the OSV-spec answer.
//!
//! The expected answer, `data/corpus-expected.tsv`, is the output of
//! `scripts/reference/osv_reference.py ../shared`: an independent implementation of
//! the schema's evaluation (Python, `packaging` for PEP 440, SemVer precedence written
//! from the specification, its own lockfile parsers). It names the OSV snapshots of
//! `../shared/osv` (PyPI at pypa/advisory-database 3ccb612, crates.io and Go of
//! 2026-08-21); a new snapshot means regenerating it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cverun_db::{Database, PackageQuery, import::import_path};
use cverun_inventory::{DiskFiles, FileKind, Pin, Source, parse_file};
use cverun_testkit::{shared_data, test_name};

fn database(shared: &Path) -> Database {
    let mut db = Database::in_memory().unwrap();
    let now = "2026-11-23T12:00:00Z".parse().unwrap();
    for z in ["PyPI-all.zip", "crates.io-all.zip", "Go-all.zip"] {
        import_path(&mut db, &shared.join("osv").join(z), now).unwrap();
    }
    db
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The files the reference reads: requirements*.txt, go.mod, Cargo.lock.
fn wanted(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    if name.starts_with("requirements") && name.ends_with(".txt") {
        return Some(FileKind::Requirements);
    }
    match name {
        "go.mod" => Some(FileKind::GoMod),
        "Cargo.lock" => Some(FileKind::CargoLock),
        _ => None,
    }
}

/// Record-level verdicts, one line each as the reference writes them.
fn cverun_answer(db: &Database, shared: &Path, snapshot: &str) -> BTreeSet<String> {
    let root = shared.join("corpus").join(snapshot);
    let mut all = Vec::new();
    files(&root, &mut all);
    let mut lines = BTreeSet::new();
    for path in all {
        let Some(kind) = wanted(&path) else { continue };
        let parsed = parse_file(kind, &path, &DiskFiles).unwrap();
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
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
        let found = db.find(&queries).unwrap();
        for (q, findings) in queries.iter().zip(found) {
            for f in findings {
                let matched: BTreeSet<&str> = f.matched.iter().map(|m| &*m.record).collect();
                for r in &f.records {
                    let verdict = if matched.contains(&**r) {
                        "affected"
                    } else {
                        "unverifiable"
                    };
                    lines.insert(format!(
                        "{snapshot}\t{rel}\t{}\t{}\t{}\t{r}\t{verdict}",
                        q.ecosystem, q.name, q.version
                    ));
                }
            }
        }
    }
    lines
}

fn expected(snapshot: &str) -> BTreeSet<String> {
    include_str!("data/corpus-expected.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && l.starts_with(&format!("{snapshot}\t")))
        .map(str::to_owned)
        .collect()
}

/// cverun's answer for `snapshot` equals the reference's; skipped (visibly, for the
/// test named `test`) when `../shared` is absent.
fn check(test: &str, snapshot: &str) {
    let Some(shared) = shared_data(test) else {
        return;
    };
    let db = database(&shared);
    let ours = cverun_answer(&db, &shared, snapshot);
    let reference = expected(snapshot);
    let missing: Vec<_> = reference.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&reference).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{snapshot}: {} missing (reference only): {missing:#?}\n{} extra (cverun only): {extra:#?}",
        missing.len(),
        extra.len()
    );
    assert!(!reference.is_empty());
}

#[test]
fn opentelemetry_demo_2022_10() {
    check(test_name!(), "opentelemetry-demo@2022-10");
    // A few findings spelled out, from the same reference output.
    let e = expected("opentelemetry-demo@2022-10");
    for line in [
        "opentelemetry-demo@2022-10\tsrc/recommendationservice/requirements.txt\tPyPI\turllib3\t1.26.8\tPYSEC-2023-192\taffected",
        "opentelemetry-demo@2022-10\tsrc/checkoutservice/go.mod\tGo\tgolang.org/x/net\tv0.0.0-20220121210141-e204ce36a2ba\tGO-2022-0969\taffected",
        "opentelemetry-demo@2022-10\tsrc/shippingservice/Cargo.lock\tcrates.io\th2\t0.3.13\tRUSTSEC-2024-0003\taffected",
        "opentelemetry-demo@2022-10\tsrc/checkoutservice/go.mod\tGo\tstdlib\t1.17\tGO-2022-0969\taffected",
    ] {
        assert!(e.contains(line), "{line}");
    }
}

#[test]
fn opentelemetry_demo_2024_06() {
    check(test_name!(), "opentelemetry-demo@2024-06");
}

#[test]
fn microservices_demo_2019_06() {
    check(test_name!(), "microservices-demo@2019-06");
}

#[test]
fn microservices_demo_2021_06() {
    check(test_name!(), "microservices-demo@2021-06");
}
