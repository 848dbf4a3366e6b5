//! Fix plans on the real OSV snapshots of `../shared/osv` (PyPI and Go): each
//! advisory's own fix, the partial upgrade when no version is safe from all, the
//! upgrade rule per scheme, and records that contradict themselves.
//!
//! The expected figures were read from the records' JSON in the zips (the Go
//! snapshot of 2026-08-21, the PyPI one of 2024-10-10), independently of this code:
//! for each record naming the package, its `ranges` events and `versions` list.

use cverun_db::{Database, FixQuery, PackageQuery, import::import_path};
use cverun_osv::{FixGroup, FixPlan};
use cverun_testkit::{shared_data, test_name};
use cverun_versions::Ecosystem;

fn now() -> jiff::Timestamp {
    "2026-11-23T12:00:00Z".parse().unwrap()
}

fn db(shared: &std::path::Path, zip: &str) -> Database {
    let mut db = Database::in_memory().unwrap();
    import_path(&mut db, &shared.join("osv").join(zip), now()).unwrap();
    db
}

/// The plan of `name` at `version`, its advisories grouped as the scan groups them.
fn plan(db: &Database, ecosystem: Ecosystem, name: &str, version: &str) -> (Vec<String>, FixPlan) {
    let q = PackageQuery {
        ecosystem,
        name: name.into(),
        version: version.into(),
    };
    let findings = db.find(std::slice::from_ref(&q)).unwrap().remove(0);
    let groups: Vec<FixGroup> = findings
        .iter()
        .filter(|f| f.is_vulnerability())
        .map(|f| FixGroup {
            id: f.advisory.to_string(),
            records: f.records.iter().map(|r| r.to_string()).collect(),
        })
        .collect();
    let ids = groups.iter().map(|g| g.id.clone()).collect();
    let mut plans = db.fix_plans(&[FixQuery { query: q, groups }]).unwrap();
    (ids, plans.remove(0))
}

/// golang.org/x/net at the pseudo-version opentelemetry-demo@2022-10 pins: the
/// package's minimal safe version is far above the fix of GO-2023-2102 (HTTP/2
/// rapid reset), whose record gives `fixed: 0.17.0`.
#[test]
fn x_net_rapid_reset_has_its_own_fix() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = db(&shared, "Go-all.zip");
    let (ids, p) = plan(
        &db,
        Ecosystem::Go,
        "golang.org/x/net",
        "v0.0.0-20220121210141-e204ce36a2ba",
    );
    let i = ids
        .iter()
        .position(|a| a == "GO-2023-2102")
        .expect("GO-2023-2102 found");
    assert_eq!(p.own[i].version.as_deref(), Some("v0.17.0"));
    assert_eq!(p.own[i].breaking, Some(false));
    assert!(p.own[i].contradictions.is_empty());
    // Safe from every advisory: v0.56.0 (as the scan table showed before own
    // fixes existed).
    assert_eq!(p.options.minimal_safe.as_deref(), Some("v0.56.0"));
}

/// golang.org/x/crypto v0.22.0 (opentelemetry-demo@2024-06): 19 Go records affect
/// it (0.31.0: GO-2024-3321; 0.35.0: GO-2025-3487; 0.43.0: GO-2025-4116; 0.45.0:
/// GO-2025-4134, -4135; 0.52.0: GO-2026-5005, -5006, -5013 to -5021, -5023, -5033;
/// GO-2026-5932 has only `introduced: 0`), all introduced at 0, none sharing an id.
/// No version is safe from all; 0.52.0 fixes the 18 others and brings nothing new.
#[test]
fn x_crypto_partial_upgrade() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = db(&shared, "Go-all.zip");
    let (ids, p) = plan(&db, Ecosystem::Go, "golang.org/x/crypto", "v0.22.0");
    assert_eq!(ids.len(), 19, "{ids:?}");
    assert_eq!(p.options.minimal_safe, None);
    let partial = p.options.partial.as_ref().expect("a partial upgrade");
    assert_eq!(partial.version, "v0.52.0");
    assert_eq!(partial.fixes.len(), 18);
    assert_eq!(partial.leaves, ["GO-2026-5932"]);
    assert!(partial.introduces.is_empty());
    assert_eq!(partial.breaking, Some(false));
    let i = ids.iter().position(|a| a == "GO-2024-3321").unwrap();
    assert_eq!(p.own[i].version.as_deref(), Some("v0.31.0"));
    let i = ids.iter().position(|a| a == "GO-2026-5932").unwrap();
    assert_eq!(p.own[i].version, None);
    let d = cverun_triage::decision::decide("v0.22.0", &p.options, None);
    assert_eq!(d.action, cverun_triage::decision::Action::Hotfix);
    assert_eq!(d.target.as_deref(), Some("v0.52.0"));
    assert_eq!(d.unfixed.len(), 1);
    assert_eq!(d.unfixed[0].advisory, "GO-2026-5932");
    assert_eq!(
        d.unfixed[0].action,
        cverun_triage::decision::Action::RemoveReplace
    );
}

/// The Go standard library at `go 1.15` (microservices-demo@2021-06): the safe
/// version is a toolchain upgrade, said so and counted as breaking.
#[test]
fn go_stdlib_upgrade_is_a_toolchain_upgrade() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = db(&shared, "Go-all.zip");
    let (_, p) = plan(&db, Ecosystem::Go, "stdlib", "1.15");
    assert_eq!(p.options.minimal_safe.as_deref(), Some("1.25.13"));
    assert_eq!(p.options.breaking, Some(true));
    assert_eq!(
        p.options.note.as_deref(),
        Some("Go toolchain upgrade 1.15 -> 1.25")
    );
}

/// certifi 2018.11.29 (microservices-demo@2019-06): PYSEC-2022-42986 is fixed in
/// 2022.12.7 and PYSEC-2023-135 in 2023.7.22; calendar versions, not majors.
#[test]
fn certifi_calendar_upgrade_is_not_breaking() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = db(&shared, "PyPI-all.zip");
    let (ids, p) = plan(&db, Ecosystem::PyPI, "certifi", "2018.11.29");
    assert_eq!(ids, ["PYSEC-2022-42986", "PYSEC-2023-135"]);
    assert_eq!(p.options.minimal_safe.as_deref(), Some("2023.7.22"));
    assert_eq!(p.options.breaking, Some(false));
    assert_eq!(p.own[0].version.as_deref(), Some("2022.12.7"));
    assert_eq!(p.own[1].version.as_deref(), Some("2023.7.22"));
}

/// gevent 1.4.0 (microservices-demo@2019-06): PYSEC-2023-177 gives `fixed: 23.9.0`
/// in its ECOSYSTEM range and lists 23.9.0 (and 23.9.0.post1) among its affected
/// `versions`: no fixed version is known, and the record is named.
#[test]
fn gevent_record_contradicts_itself() {
    let Some(shared) = shared_data(test_name!()) else {
        return;
    };
    let db = db(&shared, "PyPI-all.zip");
    let (ids, p) = plan(&db, Ecosystem::PyPI, "gevent", "1.4.0");
    assert_eq!(ids, ["PYSEC-2023-177"]);
    assert_eq!(p.options.minimal_safe, None);
    assert_eq!(p.options.partial, None);
    assert_eq!(p.own[0].version, None);
    let c = &p.own[0].contradictions;
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(
        (c[0].record.as_str(), c[0].version.as_str()),
        ("PYSEC-2023-177", "23.9.0")
    );
    assert!(
        c[0].message
            .contains("lists it among its affected versions"),
        "{}",
        c[0].message
    );
}
