//! Parser benchmark. Run: `cargo bench -p cverun --bench parsers` (or
//! `scripts/bench.sh`). Prints figures; asserts only that every input parses with
//! every entry.
//!
//! Every file format cverun reads in bulk, and the configuration readers, on a
//! generated input of 80,000 entries (deterministic: `pkg-0` ... `pkg-79999`, a
//! dependency tree of fan-out 8 where the format has edges): parse time through the
//! library (`parse_file`, `config::parse`, `Exceptions::parse` and `exceptions::check`).
//! Then `cverun inventory save` of a directory holding one such pom.xml, in a fresh
//! process. Target: every case < 1 s on 2 cores, release build.
//! `CVERUN_PARSERS_ENTRIES=160000` runs the same with another count.
//!
//! Each case runs in a child process of this executable (`parsers --child CASE`),
//! stopped after 60 s, so that a slow parser is reported as "> 60 s" and the rest still
//! run. `parsers CASE...` runs only the named cases.

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cverun_inventory::{DiskFiles, FileKind, parse_file};

mod common;
use common::{cpus, row, work_dir};

/// Entries per file; `CVERUN_PARSERS_ENTRIES` sets another count (to see how the
/// time grows: doubling it should about double every figure).
fn entries() -> usize {
    std::env::var("CVERUN_PARSERS_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(80_000)
}
const LIMIT: Duration = Duration::from_secs(60);
const TARGET: Duration = Duration::from_secs(1);

/// Case name, file name written, generator.
type Case = (&'static str, &'static str, fn(usize) -> String);

const CASES: &[Case] = &[
    ("pom.xml", "pom.xml", pom_xml),
    ("build.gradle", "build.gradle", build_gradle),
    ("go.mod", "go.mod", go_mod),
    ("package-lock.json", "package-lock.json", package_lock),
    ("yarn.lock", "yarn.lock", yarn_lock),
    ("pnpm-lock.yaml", "pnpm-lock.yaml", pnpm_lock),
    ("Cargo.lock", "Cargo.lock", cargo_lock),
    ("requirements.txt", "requirements.txt", requirements),
    ("Gemfile.lock", "Gemfile.lock", gemfile_lock),
    ("poetry.lock", "poetry.lock", poetry_lock),
    ("uv.lock", "uv.lock", uv_lock),
    ("composer.lock", "composer.lock", composer_lock),
    ("packages.lock.json", "packages.lock.json", nuget_lock),
    (".csproj", "big.csproj", csproj),
    ("packages.config", "packages.config", packages_config),
    ("CycloneDX", "bom.cdx.json", cyclonedx),
    ("SPDX", "bom.spdx.json", spdx),
    ("cverun.toml (services)", "cverun.toml", cverun_toml),
    (
        "exceptions (parse + check)",
        "cverun-exceptions.toml",
        exceptions,
    ),
];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], Path::new(&args[i + 2]));
        return;
    }
    let only: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    let work = work_dir("parsers");
    println!(
        "cverun parser benchmark: {} entries per file ({} cores)",
        entries(),
        cpus()
    );
    println!();
    for (name, _, _) in CASES {
        if !only.is_empty() && !only.iter().any(|o| o == name) {
            continue;
        }
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--child", name]).arg(&work);
        match run_limited(&mut cmd) {
            Outcome::Failed => println!("parse {name:<56} FAILED (see above)"),
            Outcome::Done(out) => {
                let times: Vec<Duration> = out
                    .split_whitespace()
                    .map(|t| Duration::from_secs_f64(t.parse::<f64>().unwrap()))
                    .collect();
                row(&format!("parse {name}"), &times, Some(TARGET));
            }
            Outcome::TimedOut => println!(
                "parse {name:<56} > {} s  target < 1000 ms: NOT MET",
                LIMIT.as_secs()
            ),
        }
    }
    if only.is_empty() || only.iter().any(|o| *o == "scan") {
        fresh_process(&work);
    }
}

/// `cverun inventory save` of a directory holding one generated pom.xml.
fn fresh_process(work: &Path) {
    let dir = work.join("tree/service");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pom.xml"), pom_xml(entries())).unwrap();
    let out = work.join("inventory.db");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cverun"));
    cmd.args(["inventory", "save"])
        .arg(work.join("tree"))
        .arg("--output")
        .arg(&out);
    let start = Instant::now();
    match run_limited(&mut cmd) {
        Outcome::Failed => println!("cverun inventory save, one pom.xml: FAILED"),
        Outcome::Done(_) => row(
            "cverun inventory save, one pom.xml, fresh process",
            &[start.elapsed()],
            Some(TARGET),
        ),
        Outcome::TimedOut => println!(
            "cverun inventory save, one pom.xml: > {} s",
            LIMIT.as_secs()
        ),
    }
}

enum Outcome {
    /// Ended successfully, with this standard output.
    Done(String),
    Failed,
    TimedOut,
}

/// Runs `cmd` to its end, or kills it after [`LIMIT`].
fn run_limited(cmd: &mut Command) -> Outcome {
    let dir = std::env::temp_dir();
    let out_path = dir.join(format!("cverun-parsers-{}.out", std::process::id()));
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = cmd
        .stdout(out)
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let s = std::fs::read_to_string(&out_path).unwrap();
            let _ = std::fs::remove_file(&out_path);
            return if status.success() {
                Outcome::Done(s)
            } else {
                Outcome::Failed
            };
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_file(&out_path);
            return Outcome::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Parses one case: once, and twice more when under the target; prints the seconds.
fn child(name: &str, work: &Path) {
    let (_, file, generate) = CASES.iter().find(|c| c.0 == name).expect("case");
    let dir = work.join(name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(file);
    let n = entries();
    let text = generate(n);
    std::fs::write(&path, &text).unwrap();
    let mut times = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let read = parse(name, &path, &text);
        let took = t.elapsed();
        assert_eq!(read, n, "{name}: entries read");
        times.push(took);
        if took > TARGET {
            break;
        }
    }
    let line: Vec<String> = times.iter().map(|t| t.as_secs_f64().to_string()).collect();
    println!("{}", line.join(" "));
}

/// Parses `path` as `name`'s format and returns the number of entries read.
fn parse(name: &str, path: &Path, text: &str) -> usize {
    match name {
        "cverun.toml (services)" => cverun_scan::config::parse(path, text)
            .unwrap()
            .services
            .len(),
        "exceptions (parse + check)" => {
            use cverun_triage::exceptions::{Exceptions, check};
            let ex = Exceptions::parse(path, text).unwrap();
            let today = jiff::civil::date(2026, 12, 2);
            let max = cverun_triage::policy::Policy::default().exception_max_days;
            let problems = check(&ex, today, &max);
            assert!(problems.is_empty(), "{:?}", problems.first());
            ex.entries.len()
        }
        _ => {
            let kind = FileKind::detect(path).expect("kind");
            let p = parse_file(kind, path, &DiskFiles).unwrap();
            assert!(p.warnings.is_empty(), "{name}: {:?}", p.warnings.first());
            // The lockfiles with a root project list it as a package too.
            // and go.mod the standard library.
            p.packages
                .iter()
                .filter(|p| p.name != "big" && p.name != "stdlib")
                .count()
        }
    }
}

/// The children of entry `i` in the generated tree (fan-out 8; 0..10 are direct).
fn children(i: usize, n: usize) -> std::ops::Range<usize> {
    (10 + 8 * i).min(n)..(18 + 8 * i).min(n)
}

fn version(i: usize) -> String {
    format!("1.{}.{}", i % 100, i % 7)
}

fn pom_xml(n: usize) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>com.example</groupId>\n  <artifactId>big</artifactId>\n  <version>1.0.0</version>\n  <dependencies>\n",
    );
    for i in 0..n {
        let _ = write!(
            s,
            "    <dependency>\n      <groupId>org.example.g{}</groupId>\n      <artifactId>pkg-{i}</artifactId>\n      <version>{}</version>\n    </dependency>\n",
            i % 100,
            version(i)
        );
    }
    s.push_str("  </dependencies>\n</project>\n");
    s
}

fn build_gradle(n: usize) -> String {
    let mut s = String::from("plugins {\n    id 'java'\n}\n\ndependencies {\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "    implementation 'org.example.g{}:pkg-{i}:{}'",
            i % 100,
            version(i)
        );
    }
    s.push_str("}\n");
    s
}

fn go_mod(n: usize) -> String {
    let mut s = String::from("module example.com/big\n\ngo 1.22\n\nrequire (\n");
    for i in 0..n {
        let _ = writeln!(s, "\texample.com/pkg-{i} v{}", version(i));
    }
    s.push_str(")\n");
    s
}

fn package_lock(n: usize) -> String {
    let deps = |i: Option<usize>| {
        let r = match i {
            None => 0..10.min(n),
            Some(i) => children(i, n),
        };
        r.map(|j| format!("\"pkg-{j}\": \"^{}\"", version(j)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!(
        "{{\n  \"name\": \"big\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {{\n    \"\": {{\n      \"name\": \"big\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {{{}}}\n    }}",
        deps(None)
    );
    for i in 0..n {
        let v = version(i);
        let _ = write!(
            s,
            ",\n    \"node_modules/pkg-{i}\": {{\n      \"version\": \"{v}\",\n      \"resolved\": \"https://registry.npmjs.org/pkg-{i}/-/pkg-{i}-{v}.tgz\",\n      \"integrity\": \"sha512-AAAA\",\n      \"dependencies\": {{{}}}\n    }}",
            deps(Some(i))
        );
    }
    s.push_str("\n  }\n}\n");
    s
}

fn yarn_lock(n: usize) -> String {
    let mut s = String::from(
        "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n",
    );
    for i in 0..n {
        let v = version(i);
        let _ = write!(
            s,
            "\npkg-{i}@^{v}:\n  version \"{v}\"\n  resolved \"https://registry.yarnpkg.com/pkg-{i}/-/pkg-{i}-{v}.tgz#0a\"\n  integrity sha512-AAAA\n"
        );
        let c = children(i, n);
        if !c.is_empty() {
            s.push_str("  dependencies:\n");
            for j in c {
                let _ = writeln!(s, "    pkg-{j} \"^{}\"", version(j));
            }
        }
    }
    s
}

fn pnpm_lock(n: usize) -> String {
    let mut s = String::from(
        "lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n  excludeLinksFromLockfile: false\n\nimporters:\n\n  .:\n    dependencies:\n",
    );
    for j in 0..10.min(n) {
        let v = version(j);
        let _ = write!(
            s,
            "      pkg-{j}:\n        specifier: ^{v}\n        version: {v}\n"
        );
    }
    s.push_str("\npackages:\n");
    for i in 0..n {
        let _ = write!(
            s,
            "\n  pkg-{i}@{}:\n    resolution: {{integrity: sha512-AAAA}}\n",
            version(i)
        );
    }
    s.push_str("\nsnapshots:\n");
    for i in 0..n {
        let _ = write!(s, "\n  pkg-{i}@{}:", version(i));
        let c = children(i, n);
        if c.is_empty() {
            s.push_str(" {}\n");
        } else {
            s.push_str("\n    dependencies:\n");
            for j in c {
                let _ = writeln!(s, "      pkg-{j}: {}", version(j));
            }
        }
    }
    s
}

fn toml_deps(s: &mut String, key: &str, names: impl Iterator<Item = String>) {
    let names: Vec<String> = names.collect();
    if names.is_empty() {
        return;
    }
    let _ = writeln!(s, "{key} = [");
    for name in names {
        let _ = writeln!(s, "    {name},");
    }
    s.push_str("]\n");
}

fn cargo_lock(n: usize) -> String {
    let mut s = String::from(
        "# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n\n[[package]]\nname = \"big\"\nversion = \"0.1.0\"\n",
    );
    toml_deps(
        &mut s,
        "dependencies",
        (0..10.min(n)).map(|j| format!("\"pkg-{j}\"")),
    );
    for i in 0..n {
        let _ = write!(
            s,
            "\n[[package]]\nname = \"pkg-{i}\"\nversion = \"{}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{:064x}\"\n",
            version(i),
            i
        );
        toml_deps(
            &mut s,
            "dependencies",
            children(i, n).map(|j| format!("\"pkg-{j}\"")),
        );
    }
    s
}

fn requirements(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let _ = writeln!(s, "pkg-{i}=={}", version(i));
    }
    s
}

fn gemfile_lock(n: usize) -> String {
    let mut s = String::from("GEM\n  remote: https://rubygems.org/\n  specs:\n");
    for i in 0..n {
        let _ = writeln!(s, "    pkg-{i} ({})", version(i));
        for j in children(i, n) {
            let _ = writeln!(s, "      pkg-{j} (>= 1.0)");
        }
    }
    s.push_str("\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n");
    for j in 0..10.min(n) {
        let _ = writeln!(s, "  pkg-{j}");
    }
    s.push_str("\nBUNDLED WITH\n   2.5.3\n");
    s
}

fn poetry_lock(n: usize) -> String {
    let mut s = String::from("# This file is automatically @generated by Poetry 1.8.3.\n");
    for i in 0..n {
        let _ = write!(
            s,
            "\n[[package]]\nname = \"pkg-{i}\"\nversion = \"{}\"\ndescription = \"\"\noptional = false\npython-versions = \"*\"\nfiles = []\n",
            version(i)
        );
        let c = children(i, n);
        if !c.is_empty() {
            s.push_str("\n[package.dependencies]\n");
            for j in c {
                let _ = writeln!(s, "pkg-{j} = \">=1.0\"");
            }
        }
    }
    s.push_str(
        "\n[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.9\"\ncontent-hash = \"00\"\n",
    );
    s
}

fn uv_lock(n: usize) -> String {
    let mut s = String::from(
        "version = 1\nrequires-python = \">=3.9\"\n\n[[package]]\nname = \"big\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\n",
    );
    toml_deps(
        &mut s,
        "dependencies",
        (0..10.min(n)).map(|j| format!("{{ name = \"pkg-{j}\" }}")),
    );
    for i in 0..n {
        let _ = write!(
            s,
            "\n[[package]]\nname = \"pkg-{i}\"\nversion = \"{}\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n",
            version(i)
        );
        toml_deps(
            &mut s,
            "dependencies",
            children(i, n).map(|j| format!("{{ name = \"pkg-{j}\" }}")),
        );
    }
    s
}

fn composer_lock(n: usize) -> String {
    let mut s = String::from(
        "{\n    \"_readme\": [\"This file locks the dependencies of your project to a known state\"],\n    \"content-hash\": \"00\",\n    \"packages\": [",
    );
    for i in 0..n {
        let req: Vec<String> = children(i, n)
            .map(|j| format!("\"vendor/pkg-{j}\": \"^1.0\""))
            .collect();
        let _ = write!(
            s,
            "{}\n        {{\n            \"name\": \"vendor/pkg-{i}\",\n            \"version\": \"{}\",\n            \"require\": {{{}}}\n        }}",
            if i == 0 { "" } else { "," },
            version(i),
            req.join(", ")
        );
    }
    s.push_str("\n    ],\n    \"packages-dev\": []\n}\n");
    s
}

fn nuget_lock(n: usize) -> String {
    let mut s = String::from("{\n  \"version\": 1,\n  \"dependencies\": {\n    \"net8.0\": {");
    for i in 0..n {
        let deps: Vec<String> = children(i, n)
            .map(|j| format!("\"Pkg.{j}\": \"{}\"", version(j)))
            .collect();
        let v = version(i);
        let (kind, requested) = if i < 10 {
            ("Direct", format!("\"requested\": \"[{v}, )\", "))
        } else {
            ("Transitive", String::new())
        };
        let _ = write!(
            s,
            "{}\n      \"Pkg.{i}\": {{\n        \"type\": \"{kind}\",\n        {requested}\"resolved\": \"{v}\",\n        \"contentHash\": \"AAAA\",\n        \"dependencies\": {{{}}}\n      }}",
            if i == 0 { "" } else { "," },
            deps.join(", ")
        );
    }
    s.push_str("\n    }\n  }\n}\n");
    s
}

fn csproj(n: usize) -> String {
    let mut s = String::from(
        "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>net8.0</TargetFramework>\n  </PropertyGroup>\n  <ItemGroup>\n",
    );
    for i in 0..n {
        let _ = writeln!(
            s,
            "    <PackageReference Include=\"Pkg.{i}\" Version=\"{}\" />",
            version(i)
        );
    }
    s.push_str("  </ItemGroup>\n</Project>\n");
    s
}

fn packages_config(n: usize) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<packages>\n");
    for i in 0..n {
        let _ = writeln!(
            s,
            "  <package id=\"Pkg.{i}\" version=\"{}\" targetFramework=\"net48\" />",
            version(i)
        );
    }
    s.push_str("</packages>\n");
    s
}

fn cyclonedx(n: usize) -> String {
    let purl = |i: usize| format!("pkg:npm/pkg-{i}@{}", version(i));
    let mut s = String::from(
        "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.5\",\n  \"version\": 1,\n  \"metadata\": {\n    \"component\": {\"type\": \"application\", \"bom-ref\": \"root\", \"name\": \"big\"}\n  },\n  \"components\": [",
    );
    for i in 0..n {
        let _ = write!(
            s,
            "{}\n    {{\"type\": \"library\", \"bom-ref\": \"{p}\", \"name\": \"pkg-{i}\", \"version\": \"{}\", \"purl\": \"{p}\"}}",
            if i == 0 { "" } else { "," },
            version(i),
            p = purl(i)
        );
    }
    s.push_str("\n  ],\n  \"dependencies\": [\n");
    let roots: Vec<String> = (0..10.min(n)).map(|j| format!("\"{}\"", purl(j))).collect();
    let _ = write!(
        s,
        "    {{\"ref\": \"root\", \"dependsOn\": [{}]}}",
        roots.join(", ")
    );
    for i in 0..n {
        let c: Vec<String> = children(i, n).map(|j| format!("\"{}\"", purl(j))).collect();
        let _ = write!(
            s,
            ",\n    {{\"ref\": \"{}\", \"dependsOn\": [{}]}}",
            purl(i),
            c.join(", ")
        );
    }
    s.push_str("\n  ]\n}\n");
    s
}

fn spdx(n: usize) -> String {
    let mut s = String::from(
        "{\n  \"spdxVersion\": \"SPDX-2.3\",\n  \"dataLicense\": \"CC0-1.0\",\n  \"SPDXID\": \"SPDXRef-DOCUMENT\",\n  \"name\": \"big\",\n  \"documentNamespace\": \"https://example.com/big\",\n  \"creationInfo\": {\"created\": \"2026-12-02T00:00:00Z\", \"creators\": [\"Tool: generator\"]},\n  \"documentDescribes\": [\"SPDXRef-root\"],\n  \"packages\": [\n    {\"SPDXID\": \"SPDXRef-root\", \"name\": \"big\", \"versionInfo\": \"1.0.0\", \"downloadLocation\": \"NOASSERTION\"}",
    );
    for i in 0..n {
        let v = version(i);
        let _ = write!(
            s,
            ",\n    {{\"SPDXID\": \"SPDXRef-p{i}\", \"name\": \"pkg-{i}\", \"versionInfo\": \"{v}\", \"downloadLocation\": \"NOASSERTION\", \"externalRefs\": [{{\"referenceCategory\": \"PACKAGE-MANAGER\", \"referenceType\": \"purl\", \"referenceLocator\": \"pkg:npm/pkg-{i}@{v}\"}}]}}"
        );
    }
    s.push_str("\n  ],\n  \"relationships\": [\n    {\"spdxElementId\": \"SPDXRef-DOCUMENT\", \"relationshipType\": \"DESCRIBES\", \"relatedSpdxElement\": \"SPDXRef-root\"}");
    let rel = |s: &mut String, a: &str, b: usize| {
        let _ = write!(
            s,
            ",\n    {{\"spdxElementId\": \"{a}\", \"relationshipType\": \"DEPENDS_ON\", \"relatedSpdxElement\": \"SPDXRef-p{b}\"}}"
        );
    };
    for j in 0..10.min(n) {
        rel(&mut s, "SPDXRef-root", j);
    }
    for i in 0..n {
        for j in children(i, n) {
            rel(&mut s, &format!("SPDXRef-p{i}"), j);
        }
    }
    s.push_str("\n  ]\n}\n");
    s
}

fn cverun_toml(n: usize) -> String {
    let mut s = String::from("max_db_age = \"7d\"\n");
    for i in 0..n {
        let _ = write!(
            s,
            "\n[[service]]\nname = \"svc-{i}\"\npath = \"services/svc-{i}\"\nowner = \"team-{}\"\nexposure = \"internal\"\n",
            i % 50
        );
    }
    s
}

fn exceptions(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let _ = write!(
            s,
            "[[exception]]\nid = \"CVE-2026-{i}\"\npackage = \"PyPI/pkg-{i}\"\njustification = \"Only reached from the batch job\"\nmitigations = [\"network policy\"]\nowner = \"team-{}\"\napproved_by = \"security@example.com\"\napproved_on = 2026-11-20\nexpires = 2026-12-20\n\n",
            i % 50
        );
    }
    s
}
