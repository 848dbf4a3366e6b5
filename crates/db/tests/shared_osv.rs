//! Imports the real OSV snapshots of `../shared/osv` (see that directory's README):
//! every record loads, nothing is silently dropped, and lookups work on real data.

use cverun_db::{Database, PackageQuery, import::import_path};
use cverun_testkit::{shared_data, test_name};
use cverun_versions::Ecosystem;

fn now() -> jiff::Timestamp {
    "2026-11-23T12:00:00Z".parse().unwrap()
}

#[test]
fn imports_the_three_shared_zips() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let mut db = Database::in_memory().unwrap();
    for (zip, records) in [
        ("PyPI-all.zip", 2661),
        ("crates.io-all.zip", 1206),
        ("Go-all.zip", 4291),
    ] {
        let t = std::time::Instant::now();
        let r = import_path(&mut db, &shared.join("osv").join(zip), now()).unwrap();
        eprintln!(
            "{zip}: {:?} in {:?}; warnings {:?}",
            (r.source.records, r.source.skipped, r.source.problems),
            t.elapsed(),
            r.warnings
        );
        assert_eq!(r.source.records + r.source.skipped, records, "{zip}");
    }
    let q = PackageQuery {
        ecosystem: Ecosystem::PyPI,
        name: "Jinja2".into(),
        version: "2.10".into(),
    };
    let f = db.find(&[q]).unwrap();
    eprintln!(
        "{:#?}",
        f[0].iter()
            .map(|f| (&f.advisory, &f.aliases, &f.fixed))
            .collect::<Vec<_>>()
    );
}

/// CVE-2023-44487 (HTTP/2 rapid reset) is no Go record's id or alias in the Go
/// snapshot of 2026-08-21: GO-2023-2102 (stdlib, golang.org/x/net; alias
/// CVE-2023-39325) and GO-2023-2153 (google.golang.org/grpc) list it in `related`
/// (read from the records' JSON in `Go-all.zip`).
#[test]
fn related_ids_of_the_go_snapshot() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let zip = shared.join("osv").join("Go-all.zip");
    let mut db = Database::in_memory().unwrap();
    import_path(&mut db, &zip, now()).unwrap();
    assert!(db.advisories_by_id("CVE-2023-44487").unwrap().is_empty());
    let ids: Vec<String> = db
        .advisories_related_to("CVE-2023-44487")
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["GO-2023-2102", "GO-2023-2153"]);
    let by_record = db.related_of(&["GO-2023-2102", "GO-2023-2153"]).unwrap();
    assert_eq!(by_record["GO-2023-2102"], ["CVE-2023-44487"]);
    assert_eq!(by_record["GO-2023-2153"], ["CVE-2023-44487"]);
    // Its own alias stays an alias.
    let ids: Vec<String> = db
        .advisories_by_id("CVE-2023-39325")
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["GO-2023-2102"]);
}
