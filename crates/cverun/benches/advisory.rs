//! Advisory-core benchmark. Run: `cargo bench -p cverun --bench advisory`
//! (or `scripts/bench.sh`). Prints figures; asserts nothing (machines are shared and
//! noisy: read the ratios).
//!
//! 1. Import of the three shared OSV zips (`../shared/osv`), in a fresh `cverun` process.
//! 2. Matching every pinned package of the shared corpus: cold (a fresh process: open the
//!    database, parse the lockfiles, match) and warm (the same again in that process).
//! 3. One small project (a single requirements file) matched in a fresh process,
//!    start to exit.
//! 4. A generated database of 200,000 advisories (4 ecosystems, ranges, listed
//!    versions, aliases, some withdrawn), and 1,000,000 package entries (10,000
//!    services x 100 packages, drawn from 100,000 names, half of them with
//!    advisories), matched in a fresh process: wall time and peak RSS (VmHWM).
//!
//! Targets (issue: advisory core): generated case < 5 s and < 1 GiB RSS; a small
//! project in a fresh process < 100 ms.
//!
//! The measured phases run in child processes of this same executable
//! (`advisory --child ...`), so that "fresh process" and peak memory mean what they say.

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use cverun_db::{Database, PackageQuery};
use cverun_inventory::{DiskFiles, FileKind, Pin, Source, parse_file};
use cverun_testkit::generate::{Rng, advisories_zip, package};
use cverun_versions::Ecosystem;

mod common;
use common::{cpus, memory, row};

const ADVISORIES: usize = 200_000;
const ENTRIES: usize = 1_000_000;
const NAMES: usize = 100_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1..]);
        return;
    }
    let shared = common::shared();
    let work = common::work_dir("advisory");
    let cverun = env!("CARGO_BIN_EXE_cverun");
    println!("cverun advisory-core benchmark ({} cores)", cpus());
    println!();

    // 1. Import of the shared zips.
    let db = work.join("shared-db");
    let zips: Vec<PathBuf> = ["PyPI-all.zip", "crates.io-all.zip", "Go-all.zip"]
        .iter()
        .map(|z| shared.join("osv").join(z))
        .collect();
    let mut times = Vec::new();
    for _ in 0..3 {
        let _ = std::fs::remove_dir_all(&db);
        let t = Instant::now();
        let out = Command::new(cverun)
            .arg("--db")
            .arg(&db)
            .args(["db", "import"])
            .args(&zips)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        times.push(t.elapsed());
    }
    row(
        "import 3 shared zips (8,158 records), fresh process",
        &times,
        None,
    );

    // 2. Corpus cold and warm.
    let out = child_run(&[
        "corpus",
        db.to_str().unwrap(),
        shared.join("corpus").to_str().unwrap(),
    ]);
    println!("{out}");

    // 3. A small project in a fresh process.
    let small =
        shared.join("corpus/opentelemetry-demo@2022-10/src/recommendationservice/requirements.txt");
    let mut times = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let s = Command::new(std::env::current_exe().unwrap())
            .args([
                "--child",
                "files",
                db.to_str().unwrap(),
                small.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(s.status.success());
        times.push(t.elapsed());
    }
    row(
        "one requirements.txt (13 packages), fresh process",
        &times,
        Some(Duration::from_millis(100)),
    );

    // 4. Generated database and fleet.
    let gen_zip = work.join("generated-all.zip");
    let t = Instant::now();
    advisories_zip(&gen_zip, ADVISORIES, NAMES);
    println!(
        "  (generated {ADVISORIES} advisories in {:.1} s)",
        t.elapsed().as_secs_f64()
    );
    let gen_db = work.join("generated-db");
    let t = Instant::now();
    let out = Command::new(cverun)
        .arg("--db")
        .arg(&gen_db)
        .args(["db", "import"])
        .arg(&gen_zip)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    row(
        "import 200,000 generated advisories, fresh process",
        &[t.elapsed()],
        None,
    );
    let entries = work.join("entries.tsv");
    generate_entries(&entries);
    let out = child_run(&[
        "entries",
        gen_db.to_str().unwrap(),
        entries.to_str().unwrap(),
    ]);
    println!("{out}");
}

fn child_run(args: &[&str]) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .arg("--child")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
}

/// Peak resident memory of this process (Linux `VmHWM`), in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

fn child(args: &[String]) {
    match args.first().map(String::as_str) {
        Some("corpus") => {
            let start = Instant::now();
            let db = Database::open_existing(Path::new(&args[1])).unwrap();
            let (n, hits) = match_corpus(&db, Path::new(&args[2]));
            let cold = start.elapsed();
            let mut warm = Vec::new();
            for _ in 0..5 {
                let t = Instant::now();
                match_corpus(&db, Path::new(&args[2]));
                warm.push(t.elapsed());
            }
            row(
                &format!("corpus ({n} pinned packages, {hits} findings), cold"),
                &[cold],
                None,
            );
            row("corpus, warm (same process)", &warm, None);
        }
        Some("files") => {
            let db = Database::open_existing(Path::new(&args[1])).unwrap();
            let p = parse_file(FileKind::Requirements, Path::new(&args[2]), &DiskFiles).unwrap();
            let found = db.find(&queries(&p.packages)).unwrap();
            assert!(found.iter().any(|f| !f.is_empty()));
        }
        Some("entries") => {
            let db = Database::open_existing(Path::new(&args[1])).unwrap();
            let file = std::io::BufReader::new(std::fs::File::open(&args[2]).unwrap());
            let mut qs = Vec::with_capacity(ENTRIES);
            for line in file.lines() {
                let line = line.unwrap();
                let mut f = line.split('\t');
                let (e, n, v) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
                qs.push(PackageQuery {
                    ecosystem: Ecosystem::from_osv(e),
                    name: n.to_owned(),
                    version: v.to_owned(),
                });
            }
            let t = Instant::now();
            let found = db.find(&qs).unwrap();
            let elapsed = t.elapsed();
            let hits: usize = found.iter().map(Vec::len).sum();
            let affected = found.iter().filter(|f| !f.is_empty()).count();
            let rss = peak_rss_mib();
            row(
                &format!("match {} entries vs {ADVISORIES} advisories", qs.len()),
                &[elapsed],
                Some(Duration::from_secs(5)),
            );
            memory(
                "  (same process: entries loaded, matched)",
                rss,
                Some(1024.0),
            );
            println!("  {affected} entries affected, {hits} findings");
        }
        other => panic!("unknown child mode {other:?}"),
    }
}

fn queries(packages: &[cverun_inventory::Package]) -> Vec<PackageQuery> {
    packages
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
        .collect()
}

fn match_corpus(db: &Database, corpus: &Path) -> (usize, usize) {
    let mut files = Vec::new();
    walk(corpus, &mut files);
    let mut n = 0;
    let mut hits = 0;
    for f in files {
        let Some(kind) = FileKind::detect(&f) else {
            continue;
        };
        if !matches!(
            kind,
            FileKind::Requirements | FileKind::GoMod | FileKind::CargoLock
        ) {
            continue;
        }
        let Ok(p) = parse_file(kind, &f, &DiskFiles) else {
            continue;
        };
        let qs = queries(&p.packages);
        n += qs.len();
        hits += db.find(&qs).unwrap().iter().map(Vec::len).sum::<usize>();
    }
    (n, hits)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn generate_entries(path: &Path) {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    for _ in 0..ENTRIES {
        // Popular names are drawn more often: the square of a uniform draw.
        let u = rng.below(1_000_000) as f64 / 1_000_000.0;
        let i = ((u * u) * NAMES as f64) as usize;
        let (eco, n) = package(i);
        let (a, b, c) = (rng.below(6), rng.below(20), rng.below(30));
        let v = if eco == "Go" {
            format!("v{a}.{b}.{c}")
        } else {
            format!("{a}.{b}.{c}")
        };
        writeln!(out, "{eco}\t{n}\t{v}").unwrap();
    }
}
