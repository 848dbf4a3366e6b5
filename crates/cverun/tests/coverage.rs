//! Never clean without knowing, through the real binary: packages of ecosystems the
//! database holds no advisory data for are *not checked* (every format, the exit
//! status, `query`, `blast`); an empty database or an empty tree is an error; every
//! report says how old the advisory data is and `--max-db-age` / `max_db_age`
//! enforce a limit; `blast ECOSYSTEM/PACKAGE` answers "who ships it" at any version,
//! and an unknown package gets "did you mean". The clock is 2026-11-23T12:00:00Z
//! unless a test sets another.

mod common;

use common::{bin, fleet_with, json, repo, run};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn shared_or_skip(test: &str) -> Option<PathBuf> {
    cverun_testkit::shared_data(test)
}

fn fleet() -> String {
    repo().join("examples/fleet").to_string_lossy().into_owned()
}

fn path(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A database holding the shared OSV zips named.
fn shared_db(shared: &Path, zips: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let files: Vec<String> = zips
        .iter()
        .map(|z| path(&shared.join("osv").join(z)))
        .collect();
    let mut args = vec!["db", "import"];
    args.extend(files.iter().map(String::as_str));
    let r = run(&args, Some(d.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    d
}

/// The example fleet against a database of the shared PyPI, Go and crates.io data
/// only: the Maven (reporting), npm (web) and RubyGems (mailer) packages are not
/// checked, in every format, and never counted as matched.
#[test]
fn ecosystems_without_data_are_not_checked() {
    let Some(shared) = shared_or_skip("coverage::ecosystems_without_data_are_not_checked") else {
        return;
    };
    let db = shared_db(
        &shared,
        &["PyPI-all.zip", "Go-all.zip", "crates.io-all.zip"],
    );
    let fleet = fleet();
    let r = run(&["scan", &fleet, "--format", "json"], Some(db.path()));
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let s = &v["summary"];
    assert_eq!(
        s["ecosystems_not_checked"],
        serde_json::json!(["Maven", "RubyGems", "npm"])
    );
    let not_checked: BTreeSet<String> = v["not_checked"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {}",
                p["service"].as_str().unwrap(),
                p["ecosystem"].as_str().unwrap(),
                p["package"].as_str().unwrap(),
                p["version"].as_str().unwrap()
            )
        })
        .collect();
    // The exact pins of examples/fleet's Maven, npm and RubyGems manifests.
    let want: BTreeSet<String> = [
        "mailer RubyGems mini_portile2 2.8.0",
        "mailer RubyGems nokogiri 1.13.3",
        "mailer RubyGems racc 1.6.0",
        "reporting Maven junit:junit 4.13.2",
        "reporting Maven org.apache.logging.log4j:log4j-core 2.14.1",
        "web npm async 2.6.4",
        "web npm left-pad 1.3.0",
        "web npm lodash 4.17.20",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(not_checked, want);
    assert_eq!(s["not_checked"], 8);
    for p in v["not_checked"].as_array().unwrap() {
        assert!(
            p["reason"]
                .as_str()
                .unwrap()
                .starts_with("no advisory data for "),
            "{p}"
        );
    }
    // Never counted as matched.
    let n = |k: &str| s[k].as_u64().unwrap();
    assert_eq!(
        n("matched"),
        n("packages") - n("unpinned") - n("not_matchable") - n("not_checked")
    );
    // Three services of which nothing could be checked.
    assert_eq!(s["services_not_checked"], 3);
    for svc in v["services"].as_array().unwrap() {
        let name = svc["name"].as_str().unwrap();
        let expect_full = !["mailer", "reporting", "web"].contains(&name);
        assert_eq!(svc["fully_checked"], expect_full, "{name}");
    }

    // The exit status: not checked fails like an unverifiable finding, whatever
    // --fail-on (no finding is P0 here), and only `never` ignores it.
    let r = run(&["scan", &fleet, "--fail-on", "P0"], Some(db.path()));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "8 packages NOT CHECKED: no advisory data for Maven, RubyGems, npm in this database"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("8 not checked)"), "{}", r.stdout);
    assert_eq!(
        run(&["scan", &fleet, "--fail-on", "never"], Some(db.path())).code,
        0
    );

    // Markdown and SARIF say it too.
    let r = run(&["scan", &fleet, "--format", "markdown"], Some(db.path()));
    assert!(
        r.stdout
            .contains("- 8 packages NOT CHECKED: no advisory data for Maven, RubyGems, npm"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("## Not checked (no advisory data for the ecosystem)")
    );
    let r = run(&["scan", &fleet, "--format", "sarif"], Some(db.path()));
    let sarif = json(&r);
    let inv = &sarif["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let notes: Vec<&str> = inv["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["message"]["text"].as_str())
        .collect();
    assert!(
        notes.iter().any(|t| t
            == &"Maven org.apache.logging.log4j:log4j-core 2.14.1: no advisory data for Maven in this database"),
        "{notes:?}"
    );
    assert_eq!(sarif["runs"][0]["properties"]["summary"]["not_checked"], 8);

    // plan: what to do about them cannot be said, and they are listed.
    let r = run(&["plan", &fleet, "--format", "json"], Some(db.path()));
    assert_eq!(r.code, 1);
    let p = json(&r);
    assert_eq!(p["not_checked"].as_array().unwrap().len(), 8);
    assert_eq!(p["services_not_checked"], 3);
    let r = run(&["plan", &fleet], Some(db.path()));
    assert!(
        r.stdout
            .contains("8 packages NOT CHECKED: no advisory data for Maven, RubyGems, npm"),
        "{}",
        r.stdout
    );

    // query: cannot judge.
    let r = run(
        &[
            "query",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
        ],
        Some(db.path()),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("cannot judge: no advisory data for Maven"),
        "{}",
        r.stderr
    );
    // blast by package: who ships it is known, whether it is affected is not.
    let r = run(
        &[
            "blast",
            "Maven/org.apache.logging.log4j:log4j-core",
            &fleet,
            "--format",
            "json",
        ],
        Some(db.path()),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let b = json(&r);
    assert_eq!(b["entries"][0]["service"], "reporting");
    assert_eq!(b["entries"][0]["status"], "not_checked");
    assert_eq!(b["summary"]["not_checked"], 1);
    assert!(
        b["cannot_judge"]
            .as_str()
            .unwrap()
            .contains("no advisory data for Maven")
    );
    // The same answer from a saved inventory.
    let inv = db.path().join("fleet.inventory");
    let inv = inv.to_string_lossy().into_owned();
    let r = run(&["inventory", "save", &fleet, "-o", &inv], None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(
        &[
            "blast",
            "Maven/org.apache.logging.log4j:log4j-core",
            "--inventory",
            &inv,
            "--format",
            "json",
        ],
        Some(db.path()),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    let i = json(&r);
    let key = |v: &Value| -> Vec<String> {
        v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                [
                    "service",
                    "status",
                    "package",
                    "version",
                    "manifest",
                    "line",
                    "unverifiable",
                ]
                .map(|k| e[k].to_string())
                .join(" ")
            })
            .collect()
    };
    assert_eq!(key(&i), key(&b));
    assert_eq!(i["cannot_judge"], b["cannot_judge"]);
    assert_eq!(i["summary"]["not_checked"], 1);
}

/// A database without any advisory source (only the KEV catalog), a missing
/// database, and `--advisories` of files holding no record: exit 2, saying how to
/// fill the database, never a clean answer.
#[test]
fn no_advisory_data_is_an_error() {
    let fleet = fleet();
    let d = tempfile::tempdir().unwrap();
    // A KEV catalog alone is no advisory data.
    let kev = fleet_with(&[(
        "kev.json",
        r#"{"title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2025.08.25",
            "dateReleased": "2025-08-25T13:00:00.000Z", "count": 1,
            "vulnerabilities": [{"cveID": "CVE-2021-44228", "vendorProject": "Apache", "product": "Log4j2",
              "vulnerabilityName": "Apache Log4j2 Remote Code Execution Vulnerability", "dateAdded": "2021-12-10",
              "dueDate": "2021-12-24", "knownRansomwareCampaignUse": "Known"}]}"#,
    )]);
    let r = run(
        &["db", "import", &path(&kev.path().join("kev.json"))],
        Some(d.path()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    for args in [
        vec!["scan", fleet.as_str()],
        vec!["query", "PyPI", "jinja2", "2.10"],
        vec!["blast", "PyPI/pyyaml", fleet.as_str()],
        vec!["plan", fleet.as_str()],
    ] {
        let r = run(&args, Some(d.path()));
        assert_eq!(r.code, 2, "{args:?}: {}", r.stdout);
        assert!(
            r.stderr.contains("holds no advisory data") && r.stderr.contains("cverun db update"),
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stdout.contains("no known"), "{}", r.stdout);
    }
    // No database at all.
    let none = d.path().join("nothing-here");
    let r = run(&["scan", &fleet], Some(&none));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no advisory database"), "{}", r.stderr);
    // --advisories of a directory with no OSV record.
    let empty = tempfile::tempdir().unwrap();
    let r = run(&["scan", &fleet, "--advisories", &path(empty.path())], None);
    assert_eq!(r.code, 2, "{}", r.stdout);
}

/// An empty directory, a mistyped path, or one root of two with nothing cverun
/// reads: exit 2, naming the path; never "Scanned 0 services ... no known
/// vulnerability".
#[test]
fn nothing_to_scan_is_not_clean() {
    let adv = path(&repo().join("examples/advisories"));
    let empty = tempfile::tempdir().unwrap();
    let e = path(empty.path());
    let r = run(&["scan", &e, "--advisories", &adv], None);
    assert_eq!(r.code, 2, "{}", r.stdout);
    // The error on stderr; the table on stdout says the scan is incomplete.
    assert!(
        r.stderr.contains(&format!(
            "error: {e}: no lockfile, manifest or SBOM found here"
        )),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("this scan is incomplete"), "{}", r.stdout);
    assert!(
        !r.stdout.contains("no known vulnerability\n"),
        "{}",
        r.stdout
    );
    // JSON carries it as an error.
    let v = json(&run(
        &["scan", &e, "--advisories", &adv, "--format", "json"],
        None,
    ));
    assert_eq!(v["errors"][0]["file"], e.as_str());
    // A mistyped path.
    let typo = format!("{e}/fleeet");
    let r = run(&["scan", &typo, "--advisories", &adv], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no such file or directory"),
        "{}",
        r.stderr
    );
    // Two roots, one of them empty: the scan of the other is incomplete.
    let fleet = fleet();
    let r = run(
        &[
            "scan",
            &fleet,
            &e,
            "--advisories",
            &adv,
            "--fail-on",
            "never",
        ],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
}

/// Every report names each source's fetch time, newest record and age; the default
/// limit (7 days) warns, a limit given by flag or cverun.toml fails with 2. The
/// records of examples/advisories are newest at 2024-06-01; the import is at the
/// test clock.
#[test]
fn advisory_data_age_is_reported_and_limited() {
    let d = tempfile::tempdir().unwrap();
    let adv = path(&repo().join("examples/advisories"));
    let r = run(&["db", "import", &adv], Some(d.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let fleet = fleet();
    let v = json(&run(&["scan", &fleet, "--format", "json"], Some(d.path())));
    let f = &v["freshness"];
    let src = &f["sources"][0];
    let newest = src["newest_record"].as_str().unwrap().to_owned();
    assert_eq!(src["basis"], "newest_record");
    assert_eq!(src["as_of"], newest.as_str());
    // Independently: whole days from the newest record to the test clock.
    let newest_t: jiff::Timestamp = newest.parse().unwrap();
    let clock: jiff::Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
    let days = (clock.as_second() - newest_t.as_second()) / 86_400;
    assert!(days > 7);
    assert_eq!(src["age_days"], days);
    assert_eq!(f["enforced"], false);
    assert_eq!(f["max_age_days"], 7);
    // The table gives the ages, stderr warns, and the exit status is that of the
    // findings.
    let r = run(&["scan", &fleet], Some(d.path()));
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(&format!(
            "warning: advisory data older than 7 days: {} is {days} days old",
            src["source"].as_str().unwrap()
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains(&format!("{days} days old")),
        "{}",
        r.stdout
    );
    // A limit that is given fails.
    let r = run(&["scan", &fleet, "--max-db-age", "7d"], Some(d.path()));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("error: advisory data older than 7 days"),
        "{}",
        r.stderr
    );
    let generous = format!("{}d", days + 1);
    let r = run(&["scan", &fleet, "--max-db-age", &generous], Some(d.path()));
    assert_eq!(r.code, 1);
    let r = run(
        &["query", "PyPI", "jinja2", "2.10", "--max-db-age", "1w"],
        Some(d.path()),
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("error: advisory data older than 7 days"),
        "{}",
        r.stderr
    );
    // cverun.toml: max_db_age.
    let tree = fleet_with(&[
        ("cverun.toml", "max_db_age = \"2w\"\n"),
        ("svc/requirements.txt", "jinja2==2.10\n"),
    ]);
    let r = run(&["scan", &path(tree.path())], Some(d.path()));
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stderr.contains("older than 14 days"), "{}", r.stderr);
    let bad = fleet_with(&[
        ("cverun.toml", "max_db_age = \"soon\"\n"),
        ("svc/requirements.txt", "jinja2==2.10\n"),
    ]);
    let r = run(&["scan", &path(bad.path())], Some(d.path()));
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cverun.toml:1: max_db_age"),
        "{}",
        r.stderr
    );
    // Two years later, the age follows the clock.
    let out = bin()
        .env("CVERUN_NOW", "2028-11-23T12:00:00Z")
        .args(["--db", &path(d.path()), "scan", &fleet, "--format", "json"])
        .output()
        .unwrap();
    let later: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(later["freshness"]["sources"][0]["age_days"], days + 731);
}

/// Who ships six, at any version: every service of the four corpus snapshots that
/// declares it, found independently by reading the requirements files for
/// `six==` pins (no advisory names six, so all are "not affected"), and the three on
/// 1.12.0 among them.
#[test]
fn who_ships_six_in_the_corpus() {
    let Some(shared) = shared_or_skip("coverage::who_ships_six_in_the_corpus") else {
        return;
    };
    let db = shared_db(&shared, &["PyPI-all.zip"]);
    let corpus = shared.join("corpus");
    let mut roots = Vec::new();
    let mut want = BTreeSet::new();
    for snap in std::fs::read_dir(&corpus).unwrap() {
        let snap = snap.unwrap().path();
        if !snap.is_dir() {
            continue;
        }
        roots.push(path(&snap));
        for entry in walk(&snap) {
            if !entry
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("requirements"))
            {
                continue;
            }
            let text = std::fs::read_to_string(&entry).unwrap();
            for (i, line) in text.lines().enumerate() {
                if let Some(rest) = line.strip_prefix("six==") {
                    let version = rest.split_whitespace().next().unwrap();
                    want.insert(format!("{}:{} {version}", path(&entry), i + 1));
                }
            }
        }
    }
    roots.sort();
    let mut args = vec!["blast", "PyPI/six", "--format", "json"];
    args.extend(roots.iter().map(String::as_str));
    let r = run(&args, Some(db.path()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    let got: BTreeSet<String> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["status"], "not_affected", "{e}");
            format!(
                "{}:{} {}",
                e["manifest"].as_str().unwrap(),
                e["line"],
                e["version"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(
        want.iter().filter(|w| w.ends_with(" 1.12.0")).count(),
        3,
        "{want:?}"
    );
    assert_eq!(v["summary"]["ship"], want.len());
    assert_eq!(v["summary"]["affected"], 0);
    assert_eq!(v["summary"]["not_affected"], want.len());
    let mut table = vec!["blast", "PyPI/six"];
    table.extend(roots.iter().map(String::as_str));
    let r = run(&table, Some(db.path()));
    assert!(
        r.stdout.contains(&format!(
            "{} services ship PyPI/six: 0 affected, {} not affected",
            want.len(),
            want.len()
        )),
        "{}",
        r.stdout
    );

    // A typo neither the fleet nor any advisory knows: exit 2, with close names.
    let mut typo = vec!["blast", "PyPI/reqeusts", "--format", "json"];
    typo.extend(roots.iter().map(String::as_str));
    let r = run(&typo, Some(db.path()));
    assert_eq!(r.code, 2);
    let v = json(&r);
    assert_eq!(v["did_you_mean"][0], "requests");
    assert!(
        v["cannot_judge"]
            .as_str()
            .unwrap()
            .contains("no service declares PyPI/reqeusts")
    );
    // query prints the same hint.
    let r = run(&["query", "PyPI", "reqeusts", "2.19.1"], Some(db.path()));
    assert!(
        r.stdout
            .contains("no advisory in this database names PyPI/reqeusts (did you mean requests?)"),
        "{}",
        r.stdout
    );
}

/// Every file below `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// Files cverun recognises but does not read are listed and counted; a service with
/// nothing else read is a service with nothing checked (exit 1), one with another
/// manifest read is checked by it, but not fully.
#[test]
fn files_not_read_are_listed() {
    let adv = path(&repo().join("examples/advisories"));
    let tree = fleet_with(&[
        (
            "only-setup/setup.py",
            "from setuptools import setup\nsetup(install_requires=['requests==2.19.1'])\n",
        ),
        ("both/setup.py", "from setuptools import setup\nsetup()\n"),
        ("both/requirements.txt", "idna==3.7\n"),
    ]);
    let root = path(tree.path());
    let r = run(
        &["scan", &root, "--advisories", &adv, "--format", "json"],
        None,
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["summary"]["not_read"], 2);
    assert_eq!(v["summary"]["services_not_checked"], 1);
    let svc = |name: &str| {
        v["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap()
            .clone()
    };
    let only = svc("only-setup");
    assert_eq!(only["not_read"][0]["path"], "only-setup/setup.py");
    assert!(
        only["not_read"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("does not run or read it")
    );
    assert_eq!(only["fully_checked"], false);
    let both = svc("both");
    assert_eq!(both["fully_checked"], false);
    assert_eq!(both["manifests"][0]["path"], "both/requirements.txt");
    // The service checked through its requirements file alone is clean: nothing
    // else calls for action.
    let alone = fleet_with(&[
        ("both/setup.py", "from setuptools import setup\nsetup()\n"),
        ("both/requirements.txt", "idna==3.7\n"),
    ]);
    let r = run(&["scan", &path(alone.path()), "--advisories", &adv], None);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // Files are named relative to their service's directory.
    assert!(r.stdout.contains("not read: setup.py"), "{}", r.stdout);
}
