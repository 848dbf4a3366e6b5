//! `cverun fix --dry-run` across the generated fleet. Run: `cargo bench -p cverun
//! --bench fix`. Prints figures; asserts nothing but success.
//!
//! The fleet and database are those of the fleet benchmark (10,000 services with
//! 100 locked packages each, 200,000 generated advisories), generated again here.
//! Measured in fresh processes, JSON written to a file: the scan alone (the
//! reference of the same run: the machines are shared, compare ratios), the plan
//! of every finding (`fix` without `--advisory`: every change, its diff and its
//! lockfile commands), and the plan of the most widespread advisory. Wall time and
//! peak RSS of each.

use std::process::Command;

use cverun_testkit::generate::{advisories_zip, fleet};

mod common;
use common::{cpus, measure, memory, row, work_dir};

const ADVISORIES: usize = 200_000;
const NAMES: usize = 100_000;
const SERVICES: usize = 10_000;
const PER_SERVICE: usize = 100;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let cverun = env!("CARGO_BIN_EXE_cverun");
    let work = work_dir("fix");
    println!("cverun fix benchmark ({} cores)", cpus());
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
    let fleet_dir = work.join("fleet");
    fleet(&fleet_dir, SERVICES, PER_SERVICE, NAMES);

    let report = work.join("report.json");
    let scan = measure(
        Command::new(cverun)
            .arg("--db")
            .arg(&db)
            .arg("scan")
            .arg(&fleet_dir)
            .args(["--format", "json", "--output"])
            .arg(&report),
    );
    assert!(matches!(scan.code, 0 | 1), "scan failed with {}", scan.code);
    row(
        &format!("scan {SERVICES} services (reference)"),
        &[scan.wall],
        None,
    );
    memory("  (the scan process)", scan.peak_mib, None);

    let plan = work.join("fix.json");
    let all = measure(
        Command::new(cverun)
            .arg("--db")
            .arg(&db)
            .arg("fix")
            .arg(&fleet_dir)
            .args(["--format", "json", "--output"])
            .arg(&plan),
    );
    assert!(matches!(all.code, 0 | 1), "fix failed with {}", all.code);
    // Only what is needed is read: a parsed document of this size would make the
    // benchmark process large, and a child's peak RSS counts the memory of the
    // parent it was forked from.
    let v: FixDoc = serde_json::from_reader(std::io::BufReader::new(
        std::fs::File::open(&plan).expect("fix report"),
    ))
    .expect("fix JSON");
    row(
        &format!(
            "fix --dry-run, every finding ({} changes in {} services)",
            v.plan.summary.changes, v.plan.summary.services
        ),
        &[all.wall],
        None,
    );
    memory("  (the fix process)", all.peak_mib, None);
    println!(
        "  {:.2}x the scan's time, {:.2}x its memory",
        all.wall.as_secs_f64() / scan.wall.as_secs_f64(),
        all.peak_mib / scan.peak_mib
    );

    // The advisory found in the most services.
    let busiest = {
        let r: ReportDoc = serde_json::from_reader(std::io::BufReader::new(
            std::fs::File::open(&report).expect("report"),
        ))
        .expect("report JSON");
        let mut count: std::collections::HashMap<String, usize> = Default::default();
        for f in r.findings {
            *count.entry(f.advisory).or_default() += 1;
        }
        count
            .into_iter()
            .max_by_key(|(a, n)| (*n, std::cmp::Reverse(a.clone())))
    };
    if let Some((id, n)) = busiest {
        let id = id.as_str();
        let one = measure(
            Command::new(cverun)
                .arg("--db")
                .arg(&db)
                .arg("fix")
                .arg(&fleet_dir)
                .args(["--advisory", id, "--format", "json", "--output"])
                .arg(work.join("fix-one.json")),
        );
        assert!(
            matches!(one.code, 0 | 1),
            "fix --advisory failed with {}",
            one.code
        );
        row(
            &format!("fix --dry-run --advisory {id} ({n} findings)"),
            &[one.wall],
            None,
        );
        memory("  (the fix process)", one.peak_mib, None);
    }
}

#[derive(serde::Deserialize)]
struct FixDoc {
    plan: PlanDoc,
}

#[derive(serde::Deserialize)]
struct PlanDoc {
    summary: SummaryDoc,
}

#[derive(serde::Deserialize)]
struct SummaryDoc {
    changes: usize,
    services: usize,
}

#[derive(serde::Deserialize)]
struct ReportDoc {
    findings: Vec<FindingDoc>,
}

#[derive(serde::Deserialize)]
struct FindingDoc {
    advisory: String,
}
