//! `cverun db import | update | status` through the real binary.

mod common;

use std::time::{Duration, Instant};

use common::{json, run};
use cverun_testkit::{Behaviour, HttpServer, shared_data, test_name};

fn pypi_zip(shared: &std::path::Path) -> Vec<u8> {
    std::fs::read(shared.join("osv/PyPI-all.zip")).unwrap()
}

#[test]
fn import_then_status() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let zip = shared.join("osv/crates.io-all.zip");
    let r = run(&["db", "import", zip.to_str().unwrap()], Some(&db));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("imported 1206 records from"),
        "{}",
        r.stdout
    );
    let s = json(&run(&["db", "status", "--format", "json"], Some(&db)));
    assert_eq!(s["schema"], "cverun.db-status/1");
    let src = &s["snapshot"]["sources"][0];
    assert_eq!(src["records"], 1206);
    assert_eq!(src["kind"], "import");
    assert_eq!(src["fetched_at"], "2026-11-23T12:00:00Z");
    assert_eq!(src["newest_modified"], "2026-08-21T06:28:40Z");
    assert_eq!(src["sha256"].as_str().unwrap().len(), 64);
    let table = run(&["db", "status"], Some(&db));
    assert!(
        table.stdout.contains("records         1206"),
        "{}",
        table.stdout
    );
}

#[test]
fn bad_inputs_are_named_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let recs = dir.path().join("recs");
    std::fs::create_dir_all(&recs).unwrap();
    std::fs::write(recs.join("good.json"), r#"{"id": "T-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "npm", "name": "left-pad"}, "versions": ["1.0.0"]}]}"#).unwrap();
    std::fs::write(recs.join("bad.json"), "{ not json").unwrap();
    let missing = dir.path().join("missing.zip");
    let r = run(
        &[
            "db",
            "import",
            recs.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
        Some(&db),
    );
    assert_eq!(
        r.code, 2,
        "a failed path fails the command: {}{}",
        r.stdout, r.stderr
    );
    assert!(r.stdout.contains("imported 1 records"), "{}", r.stdout);
    assert!(r.stderr.contains("1 records skipped"), "{}", r.stderr);
    assert!(
        r.stderr.contains("bad.json: record skipped: invalid JSON"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("missing.zip: no such file or directory"),
        "{}",
        r.stderr
    );
    let w = run(&["db", "status", "--warnings"], Some(&db));
    assert!(w.stdout.contains("bad.json"), "{}", w.stdout);
}

#[test]
fn status_without_a_database_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&["db", "status"], Some(&dir.path().join("none")));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no advisory database in"), "{}", r.stderr);
    assert!(r.stderr.contains("cverun db update"), "{}", r.stderr);
}

#[test]
fn update_failure_says_the_previous_data_is_kept() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let srv = HttpServer::start();
    srv.serve("/PyPI/all.zip", pypi_zip(&shared));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let args = [
        "db",
        "update",
        "--from",
        srv.url(),
        "--ecosystem",
        "pypi",
        "--no-kev",
        "--no-epss",
    ];
    let r = run(&args, Some(&db));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("PyPI       updated"), "{}", r.stdout);
    let r = run(&args, Some(&db));
    assert!(r.stdout.contains("unchanged"), "{}", r.stdout);
    srv.behave("/PyPI/all.zip", Behaviour::Status(500));
    let mut changed = pypi_zip(&shared);
    changed.push(b'\n');
    srv.serve("/PyPI/all.zip", changed);
    let r = run(&args, Some(&db));
    assert_eq!(r.code, 2);
    assert!(r.stdout.contains("FAILED"), "{}", r.stdout);
    assert!(r.stdout.contains("HTTP 500"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("the previous data is kept and in use (2661 records"),
        "{}",
        r.stdout
    );
}

fn source(db: &std::path::Path) -> serde_json::Value {
    let s = json(&run(&["db", "status", "--format", "json"], Some(db)));
    s["snapshot"]["sources"][0].clone()
}

/// kill -9 in the middle of a download: the previous database stays intact and
/// usable, and the next update cleans up and says so.
#[test]
fn killed_mid_download() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let srv = HttpServer::start();
    srv.serve("/PyPI/all.zip", pypi_zip(&shared));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let args = [
        "db",
        "update",
        "--from",
        srv.url(),
        "--ecosystem",
        "PyPI",
        "--no-kev",
        "--no-epss",
    ];
    assert_eq!(run(&args, Some(&db)).code, 0);
    let before = source(&db);

    let mut changed = pypi_zip(&shared);
    changed.push(b'\n');
    srv.serve("/PyPI/all.zip", changed);
    srv.behave("/PyPI/all.zip", Behaviour::Stall(500_000));
    let mut child = common::bin()
        .arg("--db")
        .arg(&db)
        .args(args)
        .spawn()
        .unwrap();
    let start = Instant::now();
    while srv.sent("/PyPI/all.zip") < 500_000 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "server never sent the partial body"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Loopback buffers can hold the whole partial body before the client reads it:
    // wait until the client has written part of it to its download file.
    let partial_written = || {
        std::fs::read_dir(db.join("downloads")).is_ok_and(|rd| {
            rd.flatten()
                .any(|e| e.metadata().is_ok_and(|m| m.len() > 0))
        })
    };
    while !partial_written() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the client never wrote its partial download"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    assert_eq!(source(&db), before, "previous data intact");
    let q = run(&["query", "PyPI", "jinja2", "2.10"], Some(&db));
    assert_eq!(q.code, 1, "and usable: {}{}", q.stdout, q.stderr);
    let parts: Vec<_> = std::fs::read_dir(db.join("downloads")).unwrap().collect();
    assert_eq!(parts.len(), 1, "the killed run left its partial file");

    srv.behave("/PyPI/all.zip", Behaviour::Normal);
    let r = run(&args, Some(&db));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("removed a partial download left by an interrupted update"),
        "{}",
        r.stderr
    );
    assert_ne!(source(&db)["sha256"], before["sha256"]);
    assert_eq!(std::fs::read_dir(db.join("downloads")).unwrap().count(), 0);
}

/// kill -9 at several moments of a full update (download, parse, write, commit):
/// every time the database holds either the old or the new data, whole.
#[test]
fn killed_at_any_moment_leaves_old_or_new() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    use std::os::unix::process::ExitStatusExt;
    let srv = HttpServer::start();
    let a = pypi_zip(&shared);
    srv.serve("/PyPI/all.zip", a.clone());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let args = [
        "db",
        "update",
        "--from",
        srv.url(),
        "--ecosystem",
        "PyPI",
        "--no-kev",
        "--no-epss",
    ];
    assert_eq!(run(&args, Some(&db)).code, 0);
    let sha_a = source(&db)["sha256"].as_str().unwrap().to_owned();
    // Each round serves new content (so no 304 short-cut) and kills the update
    // after a different delay.
    let mut shas = vec![sha_a];
    let mut killed = 0;
    for (i, delay) in [30u64, 120, 250, 400, 700, 1100, 1600].iter().enumerate() {
        let mut content = a.clone();
        content.extend(std::iter::repeat_n(b'\n', i + 1));
        shas.push(cverun_testkit::sha256_hex(&content));
        srv.serve("/PyPI/all.zip", content);
        let mut child = common::bin()
            .arg("--db")
            .arg(&db)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(*delay));
        let _ = child.kill();
        if child.wait().unwrap().signal() == Some(9) {
            killed += 1;
        }
        let s = source(&db);
        assert_eq!(s["records"], 2661, "after kill at {delay} ms: {s}");
        let sha = s["sha256"].as_str().unwrap();
        assert!(
            shas.iter().any(|x| x == sha),
            "after kill at {delay} ms the data is one of the served files, whole"
        );
        let q = run(&["query", "PyPI", "jinja2", "2.10"], Some(&db));
        assert_eq!(q.code, 1, "usable after kill at {delay} ms: {}", q.stderr);
    }
    assert!(killed >= 3, "the kills happened mid-update ({killed} of 7)");
}

#[test]
fn a_file_without_records_is_not_a_source() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let readme = common::repo().join("README.md");
    let r = run(&["db", "import", readme.to_str().unwrap()], Some(&db));
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("README.md: no valid OSV record (1 skipped"),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("imported"), "{}", r.stdout);
    let s = json(&run(&["db", "status", "--format", "json"], Some(&db)));
    assert_eq!(s["snapshot"]["sources"], serde_json::json!([]), "{s}");

    // The same file as the advisories of a scan: an error, not a clean fleet.
    let lock = common::repo().join("examples/fleet");
    let r = run(
        &[
            "scan",
            "--advisories",
            readme.to_str().unwrap(),
            lock.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("README.md: no valid OSV record"),
        "{}",
        r.stderr
    );
}

/// Every kind of broken download through the CLI: exit 2, the previous data kept,
/// and `db status` naming the refusal (table and JSON).
#[test]
fn broken_downloads_are_refused_and_listed() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let srv = HttpServer::start();
    let pypi = pypi_zip(&shared);
    srv.serve("/PyPI/all.zip", pypi.clone());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let base = [
        "db",
        "update",
        "--from",
        srv.url(),
        "--ecosystem",
        "PyPI",
        "--no-kev",
        "--no-epss",
    ];
    assert_eq!(run(&base, Some(&db)).code, 0);
    let before = source(&db);
    let record = br#"{"id": "PYSEC-0000-9", "modified": "2025-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"}, "versions": ["2.10"]}]}"#;
    let mut bomb = record.to_vec();
    bomb.resize(bomb.len() + (64 << 20), b' ');
    let mut changed = pypi.clone();
    changed.push(b'\n');
    let small = cverun_testkit::zip_bytes(&cverun_testkit::zip_entries(&pypi, 100));
    type Case<'a> = (&'a str, Vec<u8>, Behaviour, &'a [&'a str], &'a str);
    let cases: Vec<Case> = vec![
        (
            "html",
            b"<html><body>Quota exceeded</body></html>".to_vec(),
            Behaviour::Normal,
            &[],
            "refused: not a zip archive",
        ),
        (
            "empty zip",
            cverun_testkit::zip_bytes::<&str, &[u8]>(&[]),
            Behaviour::Normal,
            &[],
            "no valid OSV record (0 skipped",
        ),
        (
            "invalid records",
            cverun_testkit::zip_bytes(&[("X.json", b"{\"nope\": true}")]),
            Behaviour::Normal,
            &[],
            "no valid OSV record (1 skipped",
        ),
        (
            "non-zip stream",
            std::iter::repeat_n(b"garbage ".as_slice(), 1000)
                .flatten()
                .copied()
                .collect(),
            Behaviour::Normal,
            &[],
            "refused: not a zip archive (starts with \"garbage garbage \")",
        ),
        (
            "zip bomb",
            cverun_testkit::zip_bytes(&[("PYSEC-0000-9.json", bomb)]),
            Behaviour::Normal,
            &[],
            "expands beyond the limit of 16777216 bytes per entry",
        ),
        (
            "oversized",
            changed.clone(),
            Behaviour::Normal,
            &["--max-download-mib", "1"],
            "more than the limit of 1048576 bytes",
        ),
        (
            "dribbling",
            changed.clone(),
            Behaviour::Dribble(Duration::from_millis(20)),
            &["--timeout", "2"],
            "took longer than the time limit of 2 s",
        ),
        (
            "shrink",
            small.clone(),
            Behaviour::Normal,
            &[],
            "100 valid records (0 skipped) would replace 2661",
        ),
    ];
    for (what, body, behaviour, extra, expect) in cases {
        srv.serve("/PyPI/all.zip", body);
        srv.behave("/PyPI/all.zip", behaviour);
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        let r = run(&args, Some(&db));
        assert_eq!(r.code, 2, "{what}: {}{}", r.stdout, r.stderr);
        assert!(r.stdout.contains("FAILED"), "{what}: {}", r.stdout);
        assert!(r.stdout.contains(expect), "{what}: {}", r.stdout);
        assert!(
            r.stdout
                .contains("the previous data is kept and in use (2661 records"),
            "{what}: {}",
            r.stdout
        );
        assert_eq!(source(&db), before, "{what}: previous data intact");
        let s = json(&run(&["db", "status", "--format", "json"], Some(&db)));
        let last = s["refusals"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["source"], "osv:PyPI", "{what}");
        assert!(
            last["reason"].as_str().unwrap().contains(expect),
            "{what}: {last}"
        );
        let table = run(&["db", "status"], Some(&db));
        assert!(
            table.stdout.contains("refused updates ("),
            "{}",
            table.stdout
        );
        assert!(table.stdout.contains(expect), "{what}: {}", table.stdout);
    }
    let s = json(&run(&["db", "status", "--format", "json"], Some(&db)));
    assert_eq!(
        s["refusals"].as_array().unwrap().len(),
        5,
        "the newest five kept"
    );

    // --allow-shrink takes the small snapshot.
    srv.behave("/PyPI/all.zip", Behaviour::Normal);
    let mut args = base.to_vec();
    args.push("--allow-shrink");
    let r = run(&args, Some(&db));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("updated   100 records"), "{}", r.stdout);
}

#[test]
fn status_shows_ages_and_ignores_placeholder_dates() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let pypi = shared.join("osv/PyPI-all.zip");
    let go = shared.join("osv/Go-all.zip");
    let r = run(
        &["db", "import", pypi.to_str().unwrap(), go.to_str().unwrap()],
        Some(&db),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let status = |now: &str, json: bool| {
        let mut c = common::bin();
        c.env("CVERUN_NOW", now)
            .arg("--db")
            .arg(&db)
            .args(["db", "status"]);
        if json {
            c.args(["--format", "json"]);
        }
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    // Imported at 2026-11-23T12:00:00Z (the tests' clock), looked at 2 days later.
    let table = status("2026-11-25T13:00:00Z", false);
    assert!(
        table.contains("fetched         2026-11-23T12:00:00Z (2 days ago)"),
        "{table}"
    );
    // Every Go record of the 2026-08-21 snapshot has `modified` 0001-01-01.
    assert!(
        table.contains("newest modified no real date known"),
        "{table}"
    );
    // PyPI's newest record (3ccb612): 2024-10-10T17:22:00.587279Z, 775 days before.
    assert!(
        table.contains("newest modified 2024-10-10T17:22:00.587279Z (775 days ago)"),
        "{table}"
    );
    let j: serde_json::Value = serde_json::from_str(&status("2026-11-25T13:00:00Z", true)).unwrap();
    assert_eq!(j["now"], "2026-11-25T13:00:00Z");
    let ages = j["ages"].as_array().unwrap();
    let go_age = ages
        .iter()
        .find(|a| a["source"].as_str().unwrap().ends_with("Go-all.zip"))
        .unwrap();
    assert_eq!(go_age["fetched_days_ago"], 2);
    assert_eq!(go_age["newest_modified_days_ago"], serde_json::Value::Null);
    let py_age = ages
        .iter()
        .find(|a| a["source"].as_str().unwrap().ends_with("PyPI-all.zip"))
        .unwrap();
    assert_eq!(py_age["newest_modified_days_ago"], 775);
    assert_eq!(j["refusals"], serde_json::json!([]));
}
