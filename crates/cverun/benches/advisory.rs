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
use cverun_versions::Ecosystem;

const ADVISORIES: usize = 200_000;
const ENTRIES: usize = 1_000_000;
const NAMES: usize = 100_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1..]);
        return;
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-work");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let cverun = env!("CARGO_BIN_EXE_cverun");
    println!("cverun advisory-core benchmark ({} cores)", num_cpus());
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
    generate_advisories(&gen_zip);
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

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn row(what: &str, times: &[Duration], target: Option<Duration>) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let median = sorted[sorted.len() / 2];
    let verdict = match target {
        Some(t) if median <= t => format!("  target < {} ms: met", t.as_millis()),
        Some(t) => format!("  target < {} ms: NOT MET", t.as_millis()),
        None => String::new(),
    };
    println!(
        "{what:<58} median {:>8.1} ms  min {:>8.1} ms  (n={}){verdict}",
        median.as_secs_f64() * 1e3,
        sorted[0].as_secs_f64() * 1e3,
        times.len()
    );
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
            println!(
                "  {affected} entries affected, {hits} findings; peak RSS {rss:.0} MiB (target < 1024 MiB: {})",
                if rss < 1024.0 { "met" } else { "NOT MET" }
            );
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

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const ECOSYSTEMS: [&str; 4] = ["PyPI", "npm", "crates.io", "Go"];

fn name(i: usize) -> (&'static str, String) {
    let eco = ECOSYSTEMS[i % 4];
    let n = match eco {
        "Go" => format!("example.com/org{}/mod{i}", i % 97),
        _ => format!("pkg-{i}"),
    };
    (eco, n)
}

fn version(rng: &mut Rng) -> (u64, u64, u64) {
    (rng.below(6), rng.below(20), rng.below(30))
}

fn generate_advisories(path: &Path) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(BufWriter::new(f));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..ADVISORIES {
        // Advisories concern the first half of the names, 4 per name on average.
        let (eco, pkg) = name(rng.below(NAMES as u64 / 2) as usize);
        let (a, b, c) = version(&mut rng);
        let intro = if rng.below(3) == 0 {
            "0".to_owned()
        } else {
            format!("{a}.{b}.0")
        };
        let fixed = format!("{a}.{b}.{}", c + 1);
        let mut events = vec![format!(r#"{{"introduced":"{intro}"}}"#)];
        if rng.below(10) == 0 {
            events.push(format!(r#"{{"last_affected":"{a}.{b}.{c}"}}"#));
        } else {
            events.push(format!(r#"{{"fixed":"{fixed}"}}"#));
        }
        if rng.below(4) == 0 {
            let (a2, b2, c2) = version(&mut rng);
            events.push(format!(
                r#"{{"introduced":"{}.{b2}.0"}},{{"fixed":"{}.{b2}.{}"}}"#,
                a2 + 6,
                a2 + 6,
                c2 + 1
            ));
        }
        let versions = if rng.below(5) == 0 {
            let list: Vec<String> = (0..10).map(|k| format!(r#""{a}.{b}.{k}""#)).collect();
            list.join(",")
        } else {
            String::new()
        };
        let kind = if eco == "PyPI" || eco == "npm" {
            "ECOSYSTEM"
        } else {
            "SEMVER"
        };
        let withdrawn = if rng.below(20) == 0 {
            r#","withdrawn":"2024-02-01T00:00:00Z""#
        } else {
            ""
        };
        let id = format!("GEN-{:04}-{i}", 2000 + i % 25);
        let json = format!(
            r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","published":"2023-06-01T00:00:00Z"{withdrawn},"aliases":["CVE-{}-{i}"],"summary":"generated advisory {i}","details":"Generated for the benchmark. {}","severity":[{{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],"affected":[{{"package":{{"ecosystem":"{eco}","name":"{pkg}"}},"ranges":[{{"type":"{kind}","events":[{}]}}],"versions":[{versions}]}}]}}"#,
            2000 + i % 25,
            "Lorem ipsum dolor sit amet. ".repeat(8),
            events.join(",")
        );
        z.start_file(format!("{id}.json"), opts).unwrap();
        z.write_all(json.as_bytes()).unwrap();
    }
    z.finish().unwrap();
}

fn generate_entries(path: &Path) {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    for _ in 0..ENTRIES {
        // Popular names are drawn more often: the square of a uniform draw.
        let u = rng.below(1_000_000) as f64 / 1_000_000.0;
        let i = ((u * u) * NAMES as f64) as usize;
        let (eco, n) = name(i);
        let (a, b, c) = version(&mut rng);
        let v = if eco == "Go" {
            format!("v{a}.{b}.{c}")
        } else {
            format!("{a}.{b}.{c}")
        };
        writeln!(out, "{eco}\t{n}\t{v}").unwrap();
    }
}
