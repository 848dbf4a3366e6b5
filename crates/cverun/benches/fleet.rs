//! Fleet-scan benchmark. Run: `cargo bench -p cverun --bench fleet` (or
//! `scripts/bench.sh`). Prints figures; asserts nothing.
//!
//! 1. A generated fleet of 10,000 services with 100 locked packages each (requirements.txt,
//!    package-lock.json, Cargo.lock and go.mod in turn), scanned in a fresh `cverun`
//!    process against a generated database of 200,000 advisories, JSON report written
//!    to a file: wall time and peak RSS. Target: < 10 s and < 1 GiB on 2 cores. Then
//!    `inventory save` of that fleet, and blast queries (two package names, one
//!    advisory id) answered from the inventory in fresh processes. Target: < 100 ms.
//! 2. cargo-audit beside cverun on the same Cargo.lock files with the same RustSec data:
//!    100 lockfiles of 100 real crates each (drawn from the corpus lockfiles), audited by
//!    `cargo audit --db ../shared/rustsec-advisory-db --no-fetch --stale --no-yanked`
//!    one file at a time, and by cverun (against the RustSec OSV export of the same day)
//!    both as one scan and one fresh process per file. cargo-audit is taken from
//!    `CVERUN_CARGO_AUDIT`, else `cargo-audit` on the PATH; without it that part is
//!    skipped, and says so.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use cverun_testkit::generate::{Rng, advisories_zip, cargo_lock, fleet};

mod common;
use common::{cpus, measure, memory, row, shared, work_dir};

const ADVISORIES: usize = 200_000;
const NAMES: usize = 100_000;
const SERVICES: usize = 10_000;
const PER_SERVICE: usize = 100;
const AUDIT_LOCKS: usize = 100;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let cverun = env!("CARGO_BIN_EXE_cverun");
    let work = work_dir("fleet");
    println!("cverun fleet-scan benchmark ({} cores)", cpus());
    println!();

    // 1. Generated fleet vs generated database.
    let zip = work.join("generated-all.zip");
    advisories_zip(&zip, ADVISORIES, NAMES);
    let db = work.join("generated-db");
    let m = measure(
        Command::new(cverun)
            .arg("--db")
            .arg(&db)
            .args(["db", "import"])
            .arg(&zip),
    );
    assert_eq!(m.code, 0, "import failed");
    row(
        &format!("import {ADVISORIES} generated advisories"),
        &[m.wall],
        None,
    );
    let fleet_dir = work.join("fleet");
    fleet(&fleet_dir, SERVICES, PER_SERVICE, NAMES);
    let report = work.join("report.json");
    let m = measure(
        Command::new(cverun)
            .arg("--db")
            .arg(&db)
            .arg("scan")
            .arg(&fleet_dir)
            .args(["--format", "json", "--output"])
            .arg(&report),
    );
    assert!(m.code == 0 || m.code == 1, "scan failed with {}", m.code);
    row(
        &format!("scan {SERVICES} services x {PER_SERVICE} packages, JSON report"),
        &[m.wall],
        Some(Duration::from_secs(10)),
    );
    memory("  (the scan process)", m.peak_mib, Some(1024.0));
    if let Some(s) = summary(&report) {
        println!("  {s}");
    }
    blast_queries(cverun, &db, &fleet_dir, &work);
    println!();

    // 2. Beside cargo-audit.
    let audit = std::env::var("CVERUN_CARGO_AUDIT")
        .ok()
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| which("cargo-audit"));
    let rust_dir = work.join("rust-fleet");
    let locks = rust_fleet(&rust_dir);
    let rustsec_db = work.join("rustsec-db");
    let m = measure(
        Command::new(cverun)
            .arg("--db")
            .arg(&rustsec_db)
            .args(["db", "import"])
            .arg(shared().join("osv/crates.io-all.zip")),
    );
    assert_eq!(m.code, 0);
    let one = measure(
        Command::new(cverun)
            .arg("--db")
            .arg(&rustsec_db)
            .arg("scan")
            .arg(&rust_dir)
            .args(["--format", "json", "--output"])
            .arg(work.join("rust-report.json")),
    );
    row(
        &format!("cverun: one scan of {AUDIT_LOCKS} Cargo.lock"),
        &[one.wall],
        None,
    );
    let mut each = Duration::ZERO;
    for lock in &locks {
        each += measure(
            Command::new(cverun)
                .arg("--db")
                .arg(&rustsec_db)
                .arg("scan")
                .arg(lock)
                .args(["--format", "json"]),
        )
        .wall;
    }
    row(
        &format!("cverun: {AUDIT_LOCKS} fresh processes, one Cargo.lock each"),
        &[each],
        None,
    );
    match audit {
        None => println!(
            "cargo-audit not found (set CVERUN_CARGO_AUDIT or put cargo-audit on the PATH): comparison skipped"
        ),
        Some(audit) => {
            let mut total = Duration::ZERO;
            for lock in &locks {
                let m = measure(
                    Command::new(&audit)
                        .args(["audit", "--db"])
                        .arg(shared().join("rustsec-advisory-db"))
                        .args(["--no-fetch", "--stale", "--no-yanked", "--json", "-f"])
                        .arg(lock),
                );
                assert!(
                    m.code == 0 || m.code == 1,
                    "cargo-audit failed on {}",
                    lock.display()
                );
                total += m.wall;
            }
            row(
                &format!("cargo-audit: {AUDIT_LOCKS} runs, one Cargo.lock each"),
                &[total],
                None,
            );
            println!(
                "  cverun is {:.0}x faster per file (fresh processes), {:.0}x as one scan",
                total.as_secs_f64() / each.as_secs_f64(),
                total.as_secs_f64() / one.wall.as_secs_f64()
            );
        }
    }
}

/// Saves the generated fleet's inventory, then times blast queries answered from
/// it (fresh processes, reachability on: the generated services have no source, so
/// each is "unknown" after a look at its directory).
fn blast_queries(cverun: &str, db: &Path, fleet_dir: &Path, work: &Path) {
    let inv = work.join("fleet.inventory");
    let m = measure(
        Command::new(cverun)
            .args(["inventory", "save", "-o"])
            .arg(&inv)
            .arg(fleet_dir),
    );
    assert_eq!(m.code, 0, "inventory save failed");
    row(
        &format!("inventory save of the {SERVICES} services"),
        &[m.wall],
        None,
    );
    memory("  (the save process)", m.peak_mib, None);
    let query = |subject: &str| {
        let out = Command::new(cverun)
            .arg("--db")
            .arg(db)
            .args(["blast", subject, "--format", "json", "--inventory"])
            .arg(&inv)
            .output()
            .expect("run blast");
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "blast {subject} failed"
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("blast JSON");
        let times: Vec<Duration> = (0..7)
            .map(|_| {
                measure(
                    Command::new(cverun)
                        .arg("--db")
                        .arg(db)
                        .args(["blast", subject, "--format", "json", "--inventory"])
                        .arg(&inv),
                )
                .wall
            })
            .collect();
        row(
            &format!(
                "blast {subject} from the inventory ({} services hit)",
                v["summary"]["affected"]
            ),
            &times,
            Some(Duration::from_millis(100)),
        );
        v
    };
    // The most popular generated names: PyPI pkg-0 and npm pkg-1.
    let v = query("PyPI/pkg-0");
    query("npm/pkg-1");
    if let Some(id) = v["entries"][0]["advisories"][0].as_str() {
        query(id);
    }
}

fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(bin))
            .find(|p| p.is_file())
    })
}

/// The report's summary line, read back from the JSON.
fn summary(report: &Path) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        summary: serde_json::Value,
    }
    let f = std::fs::File::open(report).ok()?;
    let h: Head = serde_json::from_reader(std::io::BufReader::new(f)).ok()?;
    let s = h.summary;
    Some(format!(
        "{} services, {} manifests, {} packages, {} vulnerable locations, {} unverifiable; report {:.0} MiB",
        s["services"],
        s["manifests"],
        s["packages"],
        s["vulnerabilities"],
        s["unverifiable"],
        std::fs::metadata(report)
            .map(|m| m.len() as f64 / 1048576.0)
            .unwrap_or(0.0)
    ))
}

/// `AUDIT_LOCKS` Cargo.lock files of 100 real crates each, drawn from the corpus
/// lockfiles (so the RustSec data has plenty to say).
fn rust_fleet(dir: &Path) -> Vec<PathBuf> {
    let mut pool: Vec<(String, String)> = Vec::new();
    for snap in ["opentelemetry-demo@2022-10", "opentelemetry-demo@2024-06"] {
        let text = std::fs::read_to_string(
            shared()
                .join("corpus")
                .join(snap)
                .join("src/shippingservice/Cargo.lock"),
        )
        .unwrap();
        let mut name = None;
        for line in text.lines() {
            if let Some(n) = line.strip_prefix("name = ") {
                name = Some(n.trim_matches('"').to_owned());
            } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
                if n != "shippingservice" {
                    pool.push((n, v.trim_matches('"').to_owned()));
                }
            }
        }
    }
    pool.sort();
    pool.dedup();
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let mut out = Vec::new();
    for i in 0..AUDIT_LOCKS {
        let mut picked: Vec<(String, String)> = Vec::new();
        while picked.len() < 100.min(pool.len()) {
            let p = &pool[rng.below(pool.len() as u64) as usize];
            if !picked.iter().any(|(n, _)| *n == p.0) {
                picked.push(p.clone());
            }
        }
        let svc = dir.join(format!("svc-{i:03}"));
        std::fs::create_dir_all(&svc).unwrap();
        let lock = svc.join("Cargo.lock");
        std::fs::write(&lock, cargo_lock(&format!("svc-{i}"), picked.into_iter())).unwrap();
        out.push(lock);
    }
    out
}
