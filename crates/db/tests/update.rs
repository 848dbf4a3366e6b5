//! `db update` against a real HTTP server on loopback serving the shared OSV zips:
//! conditional requests, and every kind of failed download leaving the previous data
//! intact and in use.

use std::path::Path;

use cverun_db::update::{Outcome, UpdateOptions, update};
use cverun_db::{Database, PackageQuery};
use cverun_testkit::{Behaviour, HttpServer, LAST_MODIFIED, shared_data, test_name};
use cverun_versions::Ecosystem;

fn zip(shared: &Path, name: &str) -> Vec<u8> {
    std::fs::read(shared.join("osv").join(name)).unwrap()
}

/// A server of the three shared OSV zips.
fn server(shared: &Path) -> HttpServer {
    let s = HttpServer::start();
    s.serve("/PyPI/all.zip", zip(shared, "PyPI-all.zip"));
    s.serve("/crates.io/all.zip", zip(shared, "crates.io-all.zip"));
    s.serve("/Go/all.zip", zip(shared, "Go-all.zip"));
    s
}

fn t(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn opts(server: &HttpServer, ecosystems: &[Ecosystem]) -> UpdateOptions {
    let mut o = UpdateOptions::new(Some(server.url()), ecosystems.to_vec());
    o.read_timeout = std::time::Duration::from_secs(2);
    o
}

fn jinja(db: &Database) -> usize {
    let q = PackageQuery {
        ecosystem: Ecosystem::PyPI,
        name: "jinja2".into(),
        version: "2.10".into(),
    };
    db.find(&[q]).unwrap()[0].len()
}

#[test]
fn downloads_then_asks_conditionally() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let srv = server(&shared);
    let dir = tempfile::tempdir().unwrap();
    let mut db = Database::open(dir.path()).unwrap();
    let all = [Ecosystem::PyPI, Ecosystem::CratesIo, Ecosystem::Go];
    let r = update(&mut db, &opts(&srv, &all), t("2026-11-23T10:00:00Z")).unwrap();
    let counts: Vec<u64> = r
        .sources
        .iter()
        .map(|u| match &u.outcome {
            Outcome::Updated(rep) => rep.source.records,
            other => panic!("{}: {other:?}", u.label),
        })
        .collect();
    assert_eq!(counts, vec![2661, 1206, 4291]);
    let s = db.source("osv:PyPI").unwrap().unwrap();
    assert_eq!(s.origin, format!("{}/PyPI/all.zip", srv.url()));
    assert_eq!(
        s.etag.as_deref(),
        Some(HttpServer::etag(&zip(&shared, "PyPI-all.zip")).as_str())
    );
    assert_eq!(s.last_modified.as_deref(), Some(LAST_MODIFIED));
    assert_eq!(s.fetched_at, "2026-11-23T10:00:00Z");
    assert_eq!(jinja(&db), 2);
    let before = db.snapshot().unwrap();

    // Second run: the server answers 304 and nothing is downloaded again.
    let r = update(&mut db, &opts(&srv, &all), t("2026-11-23T11:00:00Z")).unwrap();
    assert!(
        r.sources
            .iter()
            .all(|u| matches!(u.outcome, Outcome::Unchanged(_))),
        "{r:?}"
    );
    let last = srv.requests().into_iter().rev().take(3).collect::<Vec<_>>();
    assert!(
        last.iter().all(|q| q.headers.contains_key("if-none-match")
            && q.headers.contains_key("if-modified-since"))
    );
    assert_eq!(db.snapshot().unwrap(), {
        // Only checked_at moved.
        let mut s = before.clone();
        for src in &mut s.sources {
            src.checked_at = "2026-11-23T11:00:00Z".into();
        }
        s
    });
}

/// Skipped (visibly, for the test named `test`) when `../shared` is absent.
fn failed_update_keeps_previous(test: &str, b: Behaviour, expect: &str) {
    let Some(shared) = shared_data(test) else {
        return;
    };
    let srv = server(&shared);
    let dir = tempfile::tempdir().unwrap();
    let mut db = Database::open(dir.path()).unwrap();
    update(
        &mut db,
        &opts(&srv, &[Ecosystem::PyPI]),
        t("2026-11-23T10:00:00Z"),
    )
    .unwrap();
    let before = db.snapshot().unwrap();
    // New content on the server, so the conditional request does not short-cut.
    let mut changed = zip(&shared, "PyPI-all.zip");
    changed.extend_from_slice(b"\n");
    srv.serve("/PyPI/all.zip", changed);
    srv.behave("/PyPI/all.zip", b);
    let r = update(
        &mut db,
        &opts(&srv, &[Ecosystem::PyPI]),
        t("2026-11-23T12:00:00Z"),
    )
    .unwrap();
    match &r.sources[0].outcome {
        Outcome::Failed { error, kept } => {
            let msg = error.to_string();
            assert!(msg.contains(expect), "{msg}");
            assert!(msg.contains("/PyPI/all.zip"), "names the URL: {msg}");
            assert_eq!(kept.as_ref().unwrap().records, 2661);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.snapshot().unwrap(), before, "previous data intact");
    assert_eq!(jinja(&db), 2, "and usable");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("downloads"))
        .unwrap()
        .collect();
    assert!(leftovers.is_empty(), "no partial file left: {leftovers:?}");
}

#[test]
fn http_error_keeps_previous() {
    failed_update_keeps_previous(test_name!(), Behaviour::Status(503), "HTTP 503");
}

#[test]
fn truncated_body_keeps_previous() {
    failed_update_keeps_previous(test_name!(), Behaviour::Truncate(100_000), "100000");
}

#[test]
fn stalled_body_keeps_previous() {
    failed_update_keeps_previous(
        test_name!(),
        Behaviour::Stall(200_000),
        "interrupted after 200000 bytes",
    );
}

#[test]
fn bad_zip_keeps_previous() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let srv = server(&shared);
    let dir = tempfile::tempdir().unwrap();
    let mut db = Database::open(dir.path()).unwrap();
    update(
        &mut db,
        &opts(&srv, &[Ecosystem::PyPI]),
        t("2026-11-23T10:00:00Z"),
    )
    .unwrap();
    let before = db.snapshot().unwrap();
    srv.serve(
        "/PyPI/all.zip",
        b"PK\x03\x04 this is not a zip archive at all".to_vec(),
    );
    let r = update(
        &mut db,
        &opts(&srv, &[Ecosystem::PyPI]),
        t("2026-11-23T12:00:00Z"),
    )
    .unwrap();
    let Outcome::Failed { error, .. } = &r.sources[0].outcome else {
        panic!("{r:?}")
    };
    assert!(
        error.to_string().contains("not a readable zip archive"),
        "{error}"
    );
    assert_eq!(db.snapshot().unwrap(), before);

    // A zip whose entry is damaged: refused whole, unlike a local import.
    let mut damaged = zip(&shared, "crates.io-all.zip");
    let mid = damaged.len() / 2;
    for b in &mut damaged[mid..mid + 64] {
        *b ^= 0x5a;
    }
    srv.serve("/PyPI/all.zip", damaged);
    let r = update(
        &mut db,
        &opts(&srv, &[Ecosystem::PyPI]),
        t("2026-11-23T12:00:00Z"),
    )
    .unwrap();
    let Outcome::Failed { error, .. } = &r.sources[0].outcome else {
        panic!("{r:?}")
    };
    assert!(
        error.to_string().contains("damaged archive entry"),
        "{error}"
    );
    assert_eq!(db.snapshot().unwrap(), before);
}

#[test]
fn one_failure_does_not_stop_the_others() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let srv = server(&shared);
    srv.behave("/crates.io/all.zip", Behaviour::Status(500));
    let dir = tempfile::tempdir().unwrap();
    let mut db = Database::open(dir.path()).unwrap();
    let r = update(
        &mut db,
        &opts(&srv, &[Ecosystem::PyPI, Ecosystem::CratesIo, Ecosystem::Go]),
        t("2026-11-23T10:00:00Z"),
    )
    .unwrap();
    assert!(matches!(r.sources[0].outcome, Outcome::Updated(_)));
    assert!(matches!(
        &r.sources[1].outcome,
        Outcome::Failed { kept: None, .. }
    ));
    assert!(matches!(r.sources[2].outcome, Outcome::Updated(_)));
    let names: Vec<String> = db.sources().unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, vec!["osv:Go", "osv:PyPI"]);
}

#[test]
fn unreachable_server_is_a_clear_failure() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Database::open(dir.path()).unwrap();
    // A port nothing listens on.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    let r = update(
        &mut db,
        &UpdateOptions::new(Some(&url), vec![Ecosystem::Go]),
        t("2026-11-23T10:00:00Z"),
    )
    .unwrap();
    let Outcome::Failed { error, kept } = &r.sources[0].outcome else {
        panic!("{r:?}")
    };
    assert!(
        error
            .to_string()
            .starts_with(&format!("{url}/Go/all.zip: ")),
        "{error}"
    );
    assert!(kept.is_none());
}

#[test]
fn fetches_kev_and_epss() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let srv = server(&shared);
    let kev = std::fs::read(shared.join("kev/known_exploited_vulnerabilities.json")).unwrap();
    srv.serve("/kev.json", kev);
    // An EPSS file in FIRST's layout, gzipped, with one malformed row.
    let csv = "#model_version:v2025.03.14,score_date:2025-08-25T12:55:00+0000\ncve,epss,percentile\nCVE-2020-11651,0.97432,0.99961\nCVE-2021-44228,0.94400,0.99950\nCVE-oops,x,y\n";
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, csv.as_bytes()).unwrap();
    srv.serve("/epss.csv.gz", gz.finish().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let mut db = Database::open(dir.path()).unwrap();
    let mut o = opts(&srv, &[]);
    o.kev_url = Some(format!("{}/kev.json", srv.url()));
    o.epss_url = Some(format!("{}/epss.csv.gz", srv.url()));
    let r = update(&mut db, &o, t("2026-11-23T10:00:00Z")).unwrap();
    let labels: Vec<&str> = r.sources.iter().map(|u| u.label.as_str()).collect();
    assert_eq!(labels, vec!["KEV", "EPSS"]);
    let Outcome::Updated(k) = &r.sources[0].outcome else {
        panic!("{r:?}")
    };
    assert_eq!(k.source.records, 1404);
    assert_eq!(k.source.details["catalog_version"], "2025.08.25");
    let Outcome::Updated(e) = &r.sources[1].outcome else {
        panic!("{r:?}")
    };
    assert_eq!((e.source.records, e.source.skipped), (2, 1));
    assert_eq!(e.source.details["model_version"], "v2025.03.14");
    assert_eq!(e.source.details["score_date"], "2025-08-25T12:55:00+0000");
    assert_eq!(e.warnings[0].0, "line 5");
    let s = db
        .signals(&["CVE-2020-11651", "GHSA-not-a-cve", "CVE-1999-0001"])
        .unwrap();
    let salt = &s["CVE-2020-11651"];
    assert_eq!(
        salt.kev.as_ref().unwrap().date_added.as_deref(),
        Some("2021-11-03")
    );
    assert_eq!(
        salt.kev.as_ref().unwrap().due_date.as_deref(),
        Some("2022-05-03")
    );
    assert_eq!(
        salt.kev.as_ref().unwrap().ransomware.as_deref(),
        Some("Unknown")
    );
    assert!((salt.epss.unwrap().score - 0.97432).abs() < 1e-12);
    assert_eq!(s["CVE-1999-0001"], cverun_db::signals::Signals::default());
    assert!(!s.contains_key("GHSA-not-a-cve"));

    // A broken feed keeps the previous catalog.
    srv.serve(
        "/kev.json",
        b"{\"catalogVersion\": \"x\", \"vulnerabilities\": 5}".to_vec(),
    );
    let r = update(&mut db, &o, t("2026-11-23T11:00:00Z")).unwrap();
    let Outcome::Failed { error, kept } = &r.sources[0].outcome else {
        panic!("{r:?}")
    };
    assert!(
        error.to_string().contains("no `vulnerabilities` array"),
        "{error}"
    );
    assert_eq!(kept.as_ref().unwrap().records, 1404);
    assert!(
        db.signals(&["CVE-2020-11651"]).unwrap()["CVE-2020-11651"]
            .kev
            .is_some()
    );
}
