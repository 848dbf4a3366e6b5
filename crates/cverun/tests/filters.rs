//! Filters on `scan`, `plan` and `blast` (docs/filters.md): every flag on the example
//! fleet, the counts of what was hidden, the exit status over what is shown, and
//! the standing excludes of the shared corpus.

mod common;

use common::{fleet_with, json, repo, run};
use cverun_testkit::{shared_data, test_name};

fn fleet() -> String {
    repo().join("examples/fleet").to_string_lossy().into_owned()
}

fn advisories() -> String {
    repo()
        .join("examples/advisories")
        .to_string_lossy()
        .into_owned()
}

/// `cverun COMMAND [SUBJECT] FLEET --advisories ... --format json EXTRA...`.
fn cmd(command: &[&str], root: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let adv = advisories();
    let mut a: Vec<&str> = command.to_vec();
    a.extend([root, "--advisories", &adv, "--format", "json"]);
    a.extend(extra);
    let r = run(&a, None);
    (r.code, json(&r))
}

fn scan(extra: &[&str]) -> (i32, serde_json::Value) {
    cmd(&["scan"], &fleet(), extra)
}

fn count(v: &serde_json::Value, key: &str) -> u64 {
    v["filtered"][key].as_u64().unwrap()
}

/// The example fleet has 11 findings: 9 vulnerabilities (P0 3, P1 3, P2 2,
/// routine 1), 1 unverifiable (P1), 1 informational.
#[test]
fn scan_without_filters_hides_nothing() {
    let (code, v) = scan(&[]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 11);
    assert_eq!(count(&v, "shown"), 11);
    assert_eq!(count(&v, "hidden"), 0);
    assert!(v["filtered"]["filters"].as_array().unwrap().is_empty());
    // Go stdlib names its source: payments/go.mod has only a `go` directive.
    let stdlib: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["package"] == "stdlib")
        .collect();
    assert_eq!(stdlib.len(), 1);
    assert_eq!(stdlib[0]["stdlib_source"], "go-directive");
}

#[test]
fn scan_min_priority_counts_what_it_hides_and_sets_the_exit_status() {
    let (code, v) = scan(&["--min-priority", "P0"]);
    assert_eq!(code, 1);
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 3);
    assert!(f.iter().all(|f| f["priority"]["level"] == "P0"));
    assert_eq!(count(&v, "by_priority"), 8);
    assert_eq!(v["summary"]["vulnerabilities"], 3);
    assert_eq!(v["filtered"]["filters"][0], "--min-priority P0");
    // Nothing at P0 in the services shown: exit 0 ("is there a P0?" "no").
    let (code, v) = scan(&["--min-priority", "P0", "--service", "storefront"]);
    assert_eq!(code, 0, "{}", v["filtered"]);
    assert_eq!(count(&v, "shown"), 0);
    let (code, v) = scan(&["--min-priority", "P1", "--service", "storefront"]);
    assert_eq!(code, 1);
    assert_eq!(count(&v, "shown"), 2);
    // A bad level is refused.
    let r = run(
        &[
            "scan",
            &fleet(),
            "--advisories",
            &advisories(),
            "--min-priority",
            "P7",
        ],
        None,
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--min-priority"), "{}", r.stderr);
}

#[test]
fn scan_severity_service_ecosystem_exclude_scope_stdlib() {
    let (_, v) = scan(&["--severity", "critical,unknown"]);
    // pyyaml, smallvec, log4j critical; salt, legacy-feeds unknown; the
    // informational ansi_term has no severity to select.
    assert_eq!(count(&v, "shown"), 5);
    assert_eq!(count(&v, "by_severity"), 6);

    let (_, v) = scan(&["--service", "pay*", "--service", "web"]);
    assert_eq!(count(&v, "shown"), 3);
    assert_eq!(count(&v, "by_service"), 8);
    assert_eq!(v["summary"]["vulnerabilities"], 3);

    // payments 2 (Go), storefront 3 and saltmaster 1 (PyPI).
    let (_, v) = scan(&["--ecosystem", "go,pypi"]);
    assert_eq!(count(&v, "shown"), 6);
    assert_eq!(count(&v, "by_ecosystem"), 5);

    let (_, v) = scan(&["--exclude", "storefront", "--exclude", "*/Cargo.lock"]);
    assert_eq!(count(&v, "by_path"), 5);
    let ex = v["filtered"]["excluded_paths"].as_array().unwrap();
    assert_eq!(
        (ex[0]["hidden"].as_u64(), ex[1]["hidden"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(ex[0]["from"], "--exclude");

    // No finding of the fleet is a development dependency.
    let (_, v) = scan(&["--scope", "runtime"]);
    assert_eq!(count(&v, "by_scope"), 0);
    let (_, v) = scan(&["--scope", "dev"]);
    assert_eq!(count(&v, "by_scope"), 11);

    let (_, v) = scan(&["--stdlib", "toolchain"]);
    assert_eq!(count(&v, "by_stdlib"), 1);
    let (_, v) = scan(&["--stdlib", "directive"]);
    assert_eq!(count(&v, "by_stdlib"), 0);
}

#[test]
fn scan_top_limits_the_list_not_the_exit_status() {
    let (code, v) = scan(&["--top", "2"]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 2);
    assert_eq!(count(&v, "by_top"), 9);
    assert_eq!(count(&v, "hidden"), 0);
    // The summary still counts every finding the other filters show.
    assert_eq!(v["summary"]["vulnerabilities"], 9);
    // --top 0 lists nothing; findings remain, so the exit status stays 1.
    let (code, v) = scan(&["--top", "0"]);
    assert_eq!(code, 1);
    assert!(v["findings"].as_array().unwrap().is_empty());
}

#[test]
fn human_formats_end_with_what_was_filtered() {
    let adv = advisories();
    for format in ["table", "markdown"] {
        let r = run(
            &[
                "scan",
                &fleet(),
                "--advisories",
                &adv,
                "--format",
                format,
                "--min-priority",
                "P0",
                "--exclude",
                "reporting/**",
            ],
            None,
        );
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stdout.contains(
                "Filtered: 2 findings shown, 9 hidden (1 by excluded paths, 8 by --min-priority)"
            ),
            "{format}: {}",
            r.stdout
        );
        assert!(
            r.stdout
                .contains("excluded reporting/** (--exclude): 1 hidden"),
            "{}",
            r.stdout
        );
    }
    let r = run(
        &[
            "scan",
            &fleet(),
            "--advisories",
            &adv,
            "--format",
            "sarif",
            "--top",
            "1",
        ],
        None,
    );
    let v = json(&r);
    assert_eq!(v["runs"][0]["properties"]["filtered"]["by_top"], 10);
}

/// Unreadable files and packages not checked are never filtered: a broken file
/// in an excluded directory still fails the scan.
#[test]
fn filters_never_hide_what_could_not_be_read() {
    let d = fleet_with(&[
        ("svc/requirements.txt", "pyyaml==5.3\n"),
        ("tools/Cargo.lock", "this is not a lockfile [[["),
    ]);
    let root = d.path().to_string_lossy().into_owned();
    let (code, v) = cmd(
        &["scan"],
        &root,
        &["--exclude", "tools/**", "--min-priority", "P0"],
    );
    assert_eq!(code, 2, "{}", v["errors"]);
    assert_eq!(v["errors"].as_array().unwrap().len(), 1);
}

#[test]
fn standing_excludes_from_cverun_toml_are_listed_with_their_reason() {
    let d = fleet_with(&[
        ("svc/requirements.txt", "pyyaml==5.3\n"),
        ("tools/requirements.txt", "jinja2==2.11.2\n"),
        (
            "cverun.toml",
            "[[scan.exclude]]\npath = \"tools/**\"\nreason = \"linters, never shipped\"\n",
        ),
    ]);
    let root = d.path().to_string_lossy().into_owned();
    let (_, v) = cmd(&["scan"], &root, &[]);
    let ex = &v["filtered"]["excluded_paths"][0];
    assert_eq!(ex["reason"], "linters, never shipped");
    assert!(
        ex["from"].as_str().unwrap().ends_with("cverun.toml:2"),
        "{ex}"
    );
    // jinja2 2.11.2 has one example advisory (as storefront's finding shows).
    let jinja = 1;
    assert_eq!(ex["hidden"].as_u64(), Some(jinja));
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["manifest"] != "tools/requirements.txt")
    );
    // The plan and the table say so too.
    let (_, p) = cmd(&["plan"], &root, &[]);
    assert_eq!(
        p["filtered"]["excluded_paths"][0]["hidden"].as_u64(),
        Some(jinja)
    );
    let r = run(&["scan", &root, "--advisories", &advisories()], None);
    assert!(r.stdout.contains("excluded tools/** ("), "{}", r.stdout);
    assert!(r.stdout.contains("linters, never shipped"), "{}", r.stdout);
    // A missing reason is an error naming the file and line.
    std::fs::write(
        d.path().join("cverun.toml"),
        "\n[[scan.exclude]]\npath = \"tools/**\"\n",
    )
    .unwrap();
    let r = run(&["scan", &root, "--advisories", &advisories()], None);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("cverun.toml:2"), "{}", r.stderr);
    assert!(r.stderr.contains("reason"), "{}", r.stderr);
}

#[test]
fn plan_filters_rows_and_counts_them() {
    let (code, v) = cmd(&["plan"], &fleet(), &[]);
    assert_eq!(code, 1);
    let rows = v["items"].as_array().unwrap().len();
    assert_eq!(rows, 9);
    let (code, v) = cmd(
        &["plan"],
        &fleet(),
        &["--service", "storefront", "--min-priority", "P0"],
    );
    assert_eq!(code, 0, "{}", v["filtered"]);
    assert!(v["items"].as_array().unwrap().is_empty());
    assert_eq!(count(&v, "by_service"), 8);
    assert_eq!(count(&v, "by_priority"), 3);
    let (_, v) = cmd(
        &["plan"],
        &fleet(),
        &["--severity", "critical", "--ecosystem", "PyPI"],
    );
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["items"][0]["package"], "pyyaml");
    let (code, v) = cmd(&["plan"], &fleet(), &["--top", "1"]);
    assert_eq!(code, 1);
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(count(&v, "by_top"), 8);
    for (flag, value, key, n) in [
        ("--exclude", "payments", "by_path", 2),
        ("--scope", "dev", "by_scope", 11),
        ("--stdlib", "none", "by_stdlib", 1),
    ] {
        let (_, v) = cmd(&["plan"], &fleet(), &[flag, value]);
        assert_eq!(count(&v, key), n, "{flag} {value}: {}", v["filtered"]);
    }
    let adv = advisories();
    let r = run(
        &["plan", &fleet(), "--advisories", &adv, "--stdlib", "none"],
        None,
    );
    assert!(
        r.stdout
            .contains("Filtered: 10 findings shown, 1 hidden (1 by --stdlib)"),
        "{}",
        r.stdout
    );
}

#[test]
fn blast_filters_entries_and_recounts() {
    let subject = ["blast", "Go/stdlib"];
    let (code, v) = cmd(&subject, &fleet(), &["--no-reach"]);
    assert_eq!(code, 1);
    assert_eq!(v["summary"]["affected"], 1);
    assert_eq!(v["entries"][0]["stdlib_source"], "go-directive");
    let (code, v) = cmd(&subject, &fleet(), &["--no-reach", "--stdlib", "toolchain"]);
    assert_eq!(code, 0, "{}", v["filtered"]);
    assert_eq!(v["summary"]["affected"], 0);
    assert_eq!(count(&v, "by_stdlib"), 1);
    for (flag, value, key) in [
        ("--service", "web", "by_service"),
        ("--ecosystem", "npm", "by_ecosystem"),
        ("--exclude", "payments/**", "by_path"),
        ("--min-priority", "routine", "none"),
        ("--severity", "low", "by_severity"),
        ("--scope", "dev", "by_scope"),
    ] {
        let (code, v) = cmd(&subject, &fleet(), &["--no-reach", flag, value]);
        if key == "none" {
            assert_eq!((code, count(&v, "hidden")), (1, 0), "{flag}");
        } else {
            assert_eq!((code, count(&v, key)), (0, 1), "{flag}: {}", v["filtered"]);
        }
    }
    let (code, v) = cmd(&subject, &fleet(), &["--no-reach", "--top", "0"]);
    assert_eq!(code, 1);
    assert!(v["entries"].as_array().unwrap().is_empty());
    assert_eq!(count(&v, "by_top"), 1);
    let r = run(
        &[
            "blast",
            "Go/stdlib",
            &fleet(),
            "--advisories",
            &advisories(),
            "--no-reach",
            "--service",
            "web",
        ],
        None,
    );
    assert!(
        r.stdout
            .contains("Filtered: 0 entries shown, 1 hidden (1 by --service)"),
        "{}",
        r.stdout
    );
}

/// The shared corpus (4 snapshots, 50 services) with a standing exclude of the two
/// dev-tool modules (`internal/tools/go.mod` of both opentelemetry-demo
/// snapshots). The figures come from the independent reference
/// `data/corpus-priorities.tsv` (one line per finding): 1,668 lines, 282 of them in
/// `internal/tools/` (`grep -c $'\tinternal/tools/'`), and 18 at P0 or P1 outside it
/// (`grep -v $'\tinternal/tools/' | awk -F'\t' '$7=="P0"||$7=="P1"' | wc -l`).
#[test]
fn corpus_standing_exclude_and_min_priority() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    // cverun.toml goes at the root: the corpus is read from a copy (3 MB).
    let root = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(shared.join("corpus")).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_dir(&e.path(), &root.path().join(e.file_name()));
        }
    }
    std::fs::write(
        root.path().join("cverun.toml"),
        "[[scan.exclude]]\npath = \"*/internal/tools/**\"\nreason = \"the demo's build tools, not shipped\"\n",
    )
    .unwrap();
    let mut adv = Vec::new();
    for z in [
        "osv/PyPI-all.zip",
        "osv/crates.io-all.zip",
        "osv/Go-all.zip",
        "kev/known_exploited_vulnerabilities.json",
    ] {
        adv.push("--advisories".to_owned());
        adv.push(shared.join(z).to_string_lossy().into_owned());
    }
    let r = root.path().to_string_lossy().into_owned();
    let go = |extra: &[&str]| {
        let mut a: Vec<&str> = vec!["scan", &r, "--format", "json"];
        a.extend(adv.iter().map(String::as_str));
        a.extend(extra);
        let out = run(&a, None);
        (out.code, json(&out))
    };
    let (code, v) = go(&[]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1668 - 282);
    assert_eq!(count(&v, "by_path"), 282);
    assert_eq!(v["filtered"]["excluded_paths"][0]["hidden"], 282);
    let (code, v) = go(&["--min-priority", "P1"]);
    assert_eq!(code, 1);
    assert_eq!(v["findings"].as_array().unwrap().len(), 18);
    assert_eq!(count(&v, "hidden"), 1668 - 18);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), t).unwrap();
        }
    }
}
