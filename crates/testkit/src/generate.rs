//! Deterministic generated data for benchmarks: an OSV advisory archive and a fleet
//! of services with lockfiles in four formats, drawing package names from the same
//! pool so that scans find plenty.

use std::io::{BufWriter, Write};
use std::path::Path;

/// A small deterministic generator (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// The ecosystems of generated packages; package `i` belongs to `ECOSYSTEMS[i % 4]`.
pub const ECOSYSTEMS: [&str; 4] = ["PyPI", "npm", "crates.io", "Go"];

/// Ecosystem and name of generated package `i`.
pub fn package(i: usize) -> (&'static str, String) {
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

/// Writes an OSV `all.zip` of `count` advisories about the first `names / 2` package
/// names (4 ecosystems; ranges with one or two intervals, some `last_affected`,
/// some listed versions, aliases, a CVSS vector, 5% withdrawn).
pub fn advisories_zip(path: &Path, count: usize, names: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let f = std::fs::File::create(path).expect("create zip");
    let mut z = zip::ZipWriter::new(BufWriter::new(f));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..count {
        let (eco, pkg) = package(rng.below(names as u64 / 2) as usize);
        let (a, b, c) = version(&mut rng);
        let intro = if rng.below(3) == 0 {
            "0".to_owned()
        } else {
            format!("{a}.{b}.0")
        };
        let mut events = vec![format!(r#"{{"introduced":"{intro}"}}"#)];
        if rng.below(10) == 0 {
            events.push(format!(r#"{{"last_affected":"{a}.{b}.{c}"}}"#));
        } else {
            events.push(format!(r#"{{"fixed":"{a}.{b}.{}"}}"#, c + 1));
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
            (0..10)
                .map(|k| format!(r#""{a}.{b}.{k}""#))
                .collect::<Vec<_>>()
                .join(",")
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
        let year = 2000 + i % 25;
        let id = format!("GEN-{year:04}-{i}");
        let json = format!(
            r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","published":"2023-06-01T00:00:00Z"{withdrawn},"aliases":["CVE-{year}-{i}"],"summary":"generated advisory {i}","details":"Generated for the benchmark. {}","severity":[{{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}}],"affected":[{{"package":{{"ecosystem":"{eco}","name":"{pkg}"}},"ranges":[{{"type":"{kind}","events":[{}]}}],"versions":[{versions}]}}]}}"#,
            "Lorem ipsum dolor sit amet. ".repeat(8),
            events.join(",")
        );
        z.start_file(format!("{id}.json"), opts).expect("zip entry");
        z.write_all(json.as_bytes()).expect("zip write");
    }
    z.finish().expect("zip finish");
}

/// A name index drawn from `names`, popular names more often (the square of a
/// uniform draw), in ecosystem `eco` (0..4).
fn draw(rng: &mut Rng, names: usize, eco: usize) -> usize {
    let u = rng.below(1_000_000) as f64 / 1_000_000.0;
    let i = ((u * u) * names as f64) as usize;
    i - i % 4 + eco
}

/// Writes `services` service directories under `dir`, each with one lockfile of
/// `per_service` packages, rotating requirements.txt, package-lock.json, Cargo.lock
/// and go.mod.
pub fn fleet(dir: &Path, services: usize, per_service: usize, names: usize) {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    for s in 0..services {
        let eco = s % 4;
        let svc = dir.join(format!("svc-{s:05}"));
        std::fs::create_dir_all(&svc).expect("service dir");
        let mut pkgs: Vec<(String, (u64, u64, u64))> = Vec::with_capacity(per_service);
        let mut seen = std::collections::HashSet::new();
        while pkgs.len() < per_service {
            let i = draw(&mut rng, names, eco);
            if seen.insert(i) {
                pkgs.push((package(i).1, version(&mut rng)));
            }
        }
        let (file, text) = match ECOSYSTEMS[eco] {
            "PyPI" => (
                "requirements.txt",
                pkgs.iter()
                    .map(|(n, (a, b, c))| format!("{n}=={a}.{b}.{c}\n"))
                    .collect::<String>(),
            ),
            "npm" => ("package-lock.json", package_lock(s, &pkgs)),
            "crates.io" => (
                "Cargo.lock",
                cargo_lock(
                    &format!("svc-{s}"),
                    pkgs.iter()
                        .map(|(n, (a, b, c))| (n.clone(), format!("{a}.{b}.{c}"))),
                ),
            ),
            _ => (
                "go.mod",
                format!(
                    "module example.com/svc{s}\n\ngo 1.21\n\nrequire (\n{})\n",
                    pkgs.iter()
                        .map(|(n, (a, b, c))| format!("\t{n} v{a}.{b}.{c}\n"))
                        .collect::<String>()
                ),
            ),
        };
        std::fs::write(svc.join(file), text).expect("lockfile");
    }
}

fn package_lock(s: usize, pkgs: &[(String, (u64, u64, u64))]) -> String {
    let deps: Vec<String> = pkgs
        .iter()
        .map(|(n, (a, b, c))| format!("        \"{n}\": \"^{a}.{b}.{c}\""))
        .collect();
    let mut out = format!(
        "{{\n  \"name\": \"svc{s}\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {{\n    \"\": {{\n      \"name\": \"svc{s}\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {{\n{}\n      }}\n    }}",
        deps.join(",\n")
    );
    for (n, (a, b, c)) in pkgs {
        out.push_str(&format!(
            ",\n    \"node_modules/{n}\": {{\n      \"version\": \"{a}.{b}.{c}\",\n      \"resolved\": \"https://registry.npmjs.org/{n}/-/{n}-{a}.{b}.{c}.tgz\"\n    }}"
        ));
    }
    out.push_str("\n  }\n}\n");
    out
}

/// A Cargo.lock (format 3) of a root crate `root` depending on every `(name, version)`.
pub fn cargo_lock(root: &str, crates: impl Iterator<Item = (String, String)>) -> String {
    let crates: Vec<(String, String)> = crates.collect();
    let mut out = String::from(
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 3\n",
    );
    out.push_str(&format!(
        "\n[[package]]\nname = \"{root}\"\nversion = \"0.1.0\"\ndependencies = [\n"
    ));
    for (n, v) in &crates {
        out.push_str(&format!(" \"{n} {v}\",\n"));
    }
    out.push_str("]\n");
    for (n, v) in &crates {
        out.push_str(&format!(
            "\n[[package]]\nname = \"{n}\"\nversion = \"{v}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ));
    }
    out
}
