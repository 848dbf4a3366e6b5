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
