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
