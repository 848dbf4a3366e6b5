//! `db update` against a real HTTP server on loopback serving the shared OSV zips:
//! conditional requests, and every kind of failed download leaving the previous data
//! intact and in use, and every download that is not what it claims (or would
//! shrink the data) refused, recorded, with the previous data kept.

use std::path::Path;

use cverun_db::update::{Outcome, UpdateOptions, update};
use cverun_db::{Database, PackageQuery};
use cverun_testkit::{
    Behaviour, HttpServer, LAST_MODIFIED, shared_data, test_name, zip_bytes, zip_entries,
};
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
    // Three rows, one malformed on purpose: above the default 10% share of skipped
    // rows, which `shrinking_snapshot_is_refused_unless_allowed` covers.
    o.max_skipped_share = 0.5;
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

/// Seeds PyPI (2,661 records) from the shared zip, lets `serve` change what the
/// server sends, runs an update with `tweak`ed options and checks that it failed
/// naming each of `expect`, that the previous data stays in use, that the refusal
/// is recorded, and that no partial file is left.
fn refused(
    shared: &Path,
    serve: impl FnOnce(&HttpServer),
    tweak: impl FnOnce(&mut UpdateOptions),
    expect: &[&str],
) {
    let srv = server(shared);
    let dir = tempfile::tempdir().unwrap();
    let mut db = Database::open(dir.path()).unwrap();
    update(
        &mut db,
        &opts(&srv, &[Ecosystem::PyPI]),
        t("2026-11-23T10:00:00Z"),
    )
    .unwrap();
    let before = db.snapshot().unwrap();
    serve(&srv);
    let mut o = opts(&srv, &[Ecosystem::PyPI]);
    tweak(&mut o);
    let r = update(&mut db, &o, t("2026-11-23T12:00:00Z")).unwrap();
    let url = format!("{}/PyPI/all.zip", srv.url());
    match &r.sources[0].outcome {
        Outcome::Failed { error, kept } => {
            let msg = error.to_string();
            assert!(msg.starts_with(&format!("{url}: ")), "names the URL: {msg}");
            for e in expect {
                assert!(msg.contains(e), "{e:?} not in {msg}");
            }
            assert_eq!(kept.as_ref().unwrap().records, 2661);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(db.snapshot().unwrap(), before, "previous data intact");
    assert_eq!(jinja(&db), 2, "and usable");
    let refusals = db.refusals().unwrap();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(refusals[0].source, "osv:PyPI");
    assert_eq!(refusals[0].at, "2026-11-23T12:00:00Z");
    assert_eq!(refusals[0].url, url);
    assert!(refusals[0].reason.contains(expect[0]), "{refusals:?}");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("downloads"))
        .unwrap()
        .collect();
    assert!(leftovers.is_empty(), "no partial file left: {leftovers:?}");
}

fn pypi_record(id: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id, "modified": "2025-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "jinja2"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9"}]}]}]
    }))
    .unwrap()
}

#[test]
fn html_page_with_200_is_refused() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    refused(
        &shared,
        |s| {
            s.serve_typed(
                "/PyPI/all.zip",
                b"<!DOCTYPE html><html><body>Service temporarily unavailable</body></html>"
                    .to_vec(),
                "text/html; charset=utf-8",
            )
        },
        |_| {},
        &[
            "refused: not a zip archive (starts with \"<!DOCTYPE html><\")",
            "received 72 bytes, content type text/html; charset=utf-8",
        ],
    );
}

#[test]
fn json_document_instead_of_a_zip_is_refused() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    // Valid records, but not an archive: a download is what it claims or nothing.
    let body = format!(
        "[{}]",
        String::from_utf8(pypi_record("PYSEC-0000-1")).unwrap()
    );
    refused(
        &shared,
        |s| s.serve("/PyPI/all.zip", body.into_bytes()),
        |_| {},
        &["refused: not a zip archive", "content type application/zip"],
    );
}

#[test]
fn empty_zip_is_refused() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let empty = zip_bytes::<&str, &[u8]>(&[]);
    assert_eq!(empty.len(), 22, "an end record only");
    refused(
        &shared,
        |s| s.serve("/PyPI/all.zip", empty),
        |_| {},
        &["no valid OSV record (0 skipped", "received 22 bytes"],
    );
}

#[test]
fn zip_of_invalid_records_is_refused() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let z = zip_bytes(&[
        ("A.json", b"{\"foo\": 1}".to_vec()),
        ("B.json", b"<html>".to_vec()),
    ]);
    refused(
        &shared,
        |s| s.serve("/PyPI/all.zip", z),
        |_| {},
        &["no valid OSV record (2 skipped, the first: A.json"],
    );
}

#[test]
fn archive_of_another_ecosystem_is_refused() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    refused(
        &shared,
        |s| s.serve("/PyPI/all.zip", zip(&shared, "crates.io-all.zip")),
        |_| {},
        &["refused: only 0 of 1206 records name the ecosystem PyPI"],
    );
}

#[test]
fn zip_bombs_are_refused() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    // 64 MiB of zeros after a valid record: beyond the 16 MiB per entry.
    let mut big = pypi_record("PYSEC-0000-2");
    big.resize(big.len() + (64 << 20), b' ');
    let bomb = zip_bytes(&[("PYSEC-0000-2.json", big)]);
    assert!(bomb.len() < 200_000, "{} bytes compressed", bomb.len());
    refused(
        &shared,
        |s| s.serve("/PyPI/all.zip", bomb),
        |_| {},
        &[
            "refused: archive entry PYSEC-0000-2.json expands beyond the limit of 16777216 bytes per entry",
        ],
    );
    // 8 MiB: within the entry limit, but a ratio of about 1000:1.
    let mut big = pypi_record("PYSEC-0000-3");
    big.resize(big.len() + (8 << 20), b' ');
    let bomb = zip_bytes(&[("PYSEC-0000-3.json", big)]);
    refused(
        &shared,
        |s| s.serve("/PyPI/all.zip", bomb),
        |_| {},
        &["a ratio above 100:1 (a zip bomb?)"],
    );
}

#[test]
fn oversized_body_is_refused() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let mut changed = zip(&shared, "PyPI-all.zip");
    changed.extend_from_slice(b"\n");
    let len = changed.len();
    refused(
        &shared,
        |s| s.serve("/PyPI/all.zip", changed),
        |o| o.limits.max_download = 1 << 20,
        &[&format!(
            "refused: the server announces {len} bytes, more than the limit of 1048576 bytes"
        )],
    );
}

#[test]
fn dribbling_server_hits_the_total_time_limit() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let start = std::time::Instant::now();
    refused(
        &shared,
        |s| {
            let mut changed = zip(&shared, "PyPI-all.zip");
            changed.extend_from_slice(b"\n");
            s.serve("/PyPI/all.zip", changed);
            // One byte every 20 ms: every read succeeds well within its timeout.
            s.behave(
                "/PyPI/all.zip",
                Behaviour::Dribble(std::time::Duration::from_millis(20)),
            );
        },
        |o| o.total_timeout = std::time::Duration::from_secs(2),
        &["refused: the download took longer than the time limit of 2 s"],
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn shrinking_snapshot_is_refused_unless_allowed() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let pypi = zip(&shared, "PyPI-all.zip");
    let small = zip_bytes(&zip_entries(&pypi, 100));
    refused(
        &shared,
        |s| s.serve("/PyPI/all.zip", small.clone()),
        |_| {},
        &[
            "refused: 100 valid records (0 skipped) would replace 2661 (fewer than half)",
            "--allow-shrink",
            &format!(
                "received {} bytes, content type application/zip",
                small.len()
            ),
        ],
    );
    // Too many invalid records: all 2,661 plus 400 broken ones (13.1%).
    let mut entries = zip_entries(&pypi, usize::MAX);
    entries.extend((0..400).map(|i| (format!("BROKEN-{i}.json"), b"{".to_vec())));
    let noisy = zip_bytes(&entries);
    refused(
        &shared,
        |s| s.serve("/PyPI/all.zip", noisy),
        |_| {},
        &["refused: 400 of 3061 records are invalid (13.1%, more than the 10% allowed)"],
    );

    // Allowed: the small snapshot replaces the data.
    let srv = server(&shared);
    let dir = tempfile::tempdir().unwrap();
    let mut db = Database::open(dir.path()).unwrap();
    let o = opts(&srv, &[Ecosystem::PyPI]);
    update(&mut db, &o, t("2026-11-23T10:00:00Z")).unwrap();
    srv.serve("/PyPI/all.zip", small);
    let mut o = opts(&srv, &[Ecosystem::PyPI]);
    o.allow_shrink = true;
    let r = update(&mut db, &o, t("2026-11-23T12:00:00Z")).unwrap();
    let Outcome::Updated(rep) = &r.sources[0].outcome else {
        panic!("{r:?}")
    };
    assert_eq!(rep.source.records, 100);
    assert!(db.refusals().unwrap().is_empty());
}

#[test]
fn only_the_newest_refusals_are_kept() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let srv = server(&shared);
    srv.behave("/Go/all.zip", Behaviour::Status(502));
    let dir = tempfile::tempdir().unwrap();
    let mut db = Database::open(dir.path()).unwrap();
    for h in 0..7 {
        let now = t(&format!("2026-11-23T1{h}:00:00Z"));
        update(&mut db, &opts(&srv, &[Ecosystem::Go]), now).unwrap();
    }
    let r = db.refusals().unwrap();
    assert_eq!(r.len(), cverun_db::REFUSALS_KEPT);
    assert_eq!(r[0].at, "2026-11-23T12:00:00Z");
    assert_eq!(r[4].at, "2026-11-23T16:00:00Z");
    assert!(
        r[4].reason.ends_with("/Go/all.zip: HTTP 502 Bad Gateway"),
        "{r:?}"
    );
    assert!(
        db.sources().unwrap().is_empty(),
        "a failed first download registers nothing"
    );
}

#[test]
fn html_instead_of_kev_is_refused() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let srv = server(&shared);
    let kev = std::fs::read(shared.join("kev/known_exploited_vulnerabilities.json")).unwrap();
    srv.serve("/kev.json", kev);
    let dir = tempfile::tempdir().unwrap();
    let mut db = Database::open(dir.path()).unwrap();
    let mut o = opts(&srv, &[]);
    o.kev_url = Some(format!("{}/kev.json", srv.url()));
    update(&mut db, &o, t("2026-11-23T10:00:00Z")).unwrap();
    srv.serve_typed(
        "/kev.json",
        b"<html>maintenance</html>".to_vec(),
        "text/html",
    );
    let r = update(&mut db, &o, t("2026-11-23T11:00:00Z")).unwrap();
    let Outcome::Failed { error, kept } = &r.sources[0].outcome else {
        panic!("{r:?}")
    };
    assert!(
        error
            .to_string()
            .contains("refused: not a KEV file (received 24 bytes, content type text/html)"),
        "{error}"
    );
    assert_eq!(kept.as_ref().unwrap().records, 1404);
    // A catalog that lost half its entries is refused by the shrink guard.
    let half = format!(
        "{{\"catalogVersion\": \"2025.08.26\", \"vulnerabilities\": [{}]}}",
        (0..10)
            .map(|i| format!("{{\"cveID\": \"CVE-2025-{i:04}\"}}"))
            .collect::<Vec<_>>()
            .join(",")
    );
    srv.serve_typed("/kev.json", half.into_bytes(), "application/json");
    let r = update(&mut db, &o, t("2026-11-23T12:00:00Z")).unwrap();
    let Outcome::Failed { error, .. } = &r.sources[0].outcome else {
        panic!("{r:?}")
    };
    assert!(
        error
            .to_string()
            .contains("10 valid records (0 skipped) would replace 1404"),
        "{error}"
    );
    assert_eq!(db.refusals().unwrap().len(), 2);
    assert_eq!(db.source("kev").unwrap().unwrap().records, 1404);
}
