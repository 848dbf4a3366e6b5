//! `cverun query` through the real binary, on the example advisories.

mod common;

use common::{json, repo, run};

fn examples() -> String {
    repo()
        .join("examples/advisories")
        .to_string_lossy()
        .into_owned()
}

fn query(args: &[&str]) -> common::Run {
    let ex = examples();
    let mut all = vec!["query", "--advisories", ex.as_str()];
    all.extend_from_slice(args);
    run(&all, None)
}

#[test]
fn affected_clean_and_exit_codes() {
    let r = query(&["PyPI", "PyYAML", "5.3.1"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("PyPI PyYAML 5.3.1: 1 vulnerability"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("VULNERABLE EXAMPLE-2020-0001 (CVE-2020-14343)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("matched ECOSYSTEM >=0, <5.4"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("fixed in: 5.4"), "{}", r.stdout);
    let r = query(&["pypi", "pyyaml", "5.4"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("no known advisory affects this version"),
        "{}",
        r.stdout
    );
}

#[test]
fn json_output() {
    let r = query(&[
        "maven",
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 1);
    let v = json(&r);
    assert_eq!(v["schema"], "cverun.query/1");
    assert_eq!(v["ecosystem"], "Maven");
    assert_eq!(v["summary"]["vulnerabilities"], 1);
    let f = &v["findings"][0];
    assert_eq!(f["advisory"], "EXAMPLE-2021-0004");
    assert_eq!(f["aliases"][0], "CVE-2021-44228");
    assert_eq!(f["fixed"][0], "2.15.0");
    assert_eq!(f["matched"][0]["introduced"], "2.13.0");
    assert!(f["unverifiable"].is_null());
    assert!(f["informational"].is_null());
    assert_eq!(v["database"]["sources"][0]["records"], 10);
    // The 2.12 line is fixed by 2.12.2, the 2.3 line by 2.3.1.
    assert_eq!(
        query(&["maven", "org.apache.logging.log4j:log4j-core", "2.12.2"]).code,
        0
    );
    assert_eq!(
        query(&["maven", "org.apache.logging.log4j:log4j-core", "2.12.1"]).code,
        1
    );
    assert_eq!(
        query(&["maven", "org.apache.logging.log4j:log4j-core", "2.0-beta8"]).code,
        0
    );
}

#[test]
fn unverifiable_is_not_clean() {
    let r = query(&["PyPI", "legacy-feeds", "2004d"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("UNVERIFIABLE EXAMPLE-2024-0009"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("\"2004d\" is not a valid PEP 440 version"),
        "{}",
        r.stdout
    );
}

#[test]
fn informational_does_not_fail() {
    let r = query(&["crates.io", "ansi_term", "0.12.1"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("1 informational"), "{}", r.stdout);
    assert!(
        r.stdout.contains("UNMAINTAINED EXAMPLE-2021-0007"),
        "{}",
        r.stdout
    );
}

#[test]
fn usage_errors() {
    let r = query(&["cobol", "x", "1.0"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown ecosystem \"cobol\""),
        "{}",
        r.stderr
    );
    let r = run(
        &[
            "query",
            "--advisories",
            "/nonexistent/dir",
            "npm",
            "x",
            "1.0.0",
        ],
        None,
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("/nonexistent/dir: no such file or directory"),
        "{}",
        r.stderr
    );
    let r = run(&["query", "npm"], None);
    assert_eq!(r.code, 2, "clap usage error");
}
