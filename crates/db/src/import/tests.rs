use std::io::Write;
use std::path::Path;

use cverun_versions::Ecosystem;
use serde_json::json;

use super::*;
use crate::{Database, PackageQuery};

fn now() -> Timestamp {
    "2026-11-23T12:00:00Z".parse().unwrap()
}

fn rec(id: &str, name: &str, fixed: &str, modified: &str) -> serde_json::Value {
    json!({
        "id": id, "modified": modified, "aliases": [format!("CVE-{id}")],
        "affected": [{"package": {"ecosystem": "PyPI", "name": name},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]
    })
}

fn write(path: &Path, value: &serde_json::Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

fn zip_with(path: &Path, entries: &[(&str, Vec<u8>)], stored: bool) {
    let f = std::fs::File::create(path).unwrap();
    let mut z = zip::ZipWriter::new(f);
    let method = if stored {
        zip::CompressionMethod::Stored
    } else {
        zip::CompressionMethod::Deflated
    };
    let opts = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, bytes) in entries {
        z.start_file(*name, opts).unwrap();
        z.write_all(bytes).unwrap();
    }
    z.finish().unwrap();
}

fn find(db: &Database, name: &str, version: &str) -> Vec<cverun_osv::Finding> {
    db.find(&[PackageQuery {
        ecosystem: Ecosystem::PyPI,
        name: name.into(),
        version: version.into(),
    }])
    .unwrap()
    .remove(0)
}

#[test]
fn reads_directories_single_files_arrays_and_vulns_objects() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("records");
    std::fs::create_dir_all(d.join("nested")).unwrap();
    write(
        &d.join("A-1.json"),
        &rec("A-1", "alpha", "1.0", "2024-01-01T00:00:00Z"),
    );
    write(
        &d.join("nested/A-2.json"),
        &rec("A-2", "beta", "2.0", "2024-02-01T00:00:00Z"),
    );
    std::fs::write(d.join("README.md"), "not a record").unwrap();
    let arr = dir.path().join("array.json");
    write(
        &arr,
        &json!([
            rec("B-1", "gamma", "1.0", "2024-01-01T00:00:00Z"),
            rec("B-2", "gamma", "3.0", "2024-01-01T00:00:00Z")
        ]),
    );
    let vulns = dir.path().join("api.json");
    write(
        &vulns,
        &json!({"vulns": [rec("C-1", "delta", "1.0", "2024-01-01T00:00:00Z")]}),
    );

    let mut db = Database::in_memory().unwrap();
    let r = import_path(&mut db, &d, now()).unwrap();
    assert_eq!(
        (r.source.records, r.source.skipped, r.ignored_files),
        (2, 0, 1)
    );
    assert_eq!(
        r.source.newest_modified.as_deref(),
        Some("2024-02-01T00:00:00Z")
    );
    assert_eq!(import_path(&mut db, &arr, now()).unwrap().source.records, 2);
    assert_eq!(
        import_path(&mut db, &vulns, now()).unwrap().source.records,
        1
    );
    assert_eq!(db.sources().unwrap().len(), 3);
    assert_eq!(find(&db, "gamma", "2.0").len(), 1);
    assert_eq!(find(&db, "Gamma", "0.5").len(), 2, "PEP 503 name folding");
    assert_eq!(find(&db, "delta", "1.0").len(), 0);
}

#[test]
fn bad_records_are_skipped_and_named_and_the_rest_loads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        &d.join("good.json"),
        &rec("G-1", "alpha", "1.0", "2024-01-01T00:00:00Z"),
    );
    std::fs::write(d.join("broken.json"), b"{\"id\": \"X-1\", \"affected\": [").unwrap();
    write(
        &d.join("noid.json"),
        &json!({"modified": "2024-01-01T00:00:00Z"}),
    );
    write(
        &d.join("list.json"),
        &json!([rec("G-2", "beta", "1.0", "2024-01-01T00:00:00Z"), {"id": 5}]),
    );
    write(
        &d.join("absurd.json"),
        &json!({"id": "G-3", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": "alpha"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9".repeat(5000)}]}]}]}),
    );
    let mut db = Database::in_memory().unwrap();
    let r = import_path(&mut db, d, now()).unwrap();
    assert_eq!(r.source.records, 3);
    assert_eq!(r.source.skipped, 3);
    let warnings = db.warnings(None).unwrap();
    let text: Vec<String> = warnings
        .iter()
        .map(|w| format!("{}: {}", w.location, w.message))
        .collect();
    assert!(
        text.iter()
            .any(|t| t.starts_with("broken.json: record skipped: invalid JSON")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("noid.json: record skipped: missing required field `id`")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.starts_with("list.json[1]: record skipped: `id` must be a string")),
        "{text:#?}"
    );
    // The absurd event is kept: matching alpha is unverifiable for G-3 rather than silently clean.
    let f = find(&db, "alpha", "2.0");
    assert_eq!(f.len(), 1);
    assert_eq!(&*f[0].advisory, "G-3");
    assert!(
        f[0].unverifiable
            .as_ref()
            .unwrap()
            .contains("longer than 256 bytes"),
        "{:?}",
        f[0].unverifiable
    );
}

#[test]
fn unreadable_zip_is_refused_by_name_and_the_previous_data_stays() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("all.zip");
    let good = serde_json::to_vec(&rec("Z-1", "alpha", "1.0", "2024-01-01T00:00:00Z")).unwrap();
    zip_with(&z, &[("Z-1.json", good)], false);
    let mut db = Database::in_memory().unwrap();
    import_path(&mut db, &z, now()).unwrap();
    let before = db.snapshot().unwrap();

    // Truncate the archive: no central directory any more.
    let bytes = std::fs::read(&z).unwrap();
    std::fs::write(&z, &bytes[..bytes.len() / 2]).unwrap();
    let err = import_path(&mut db, &z, now()).unwrap_err().to_string();
    assert!(err.contains("all.zip"), "{err}");
    assert!(err.contains("not a readable zip archive"), "{err}");
    assert_eq!(db.snapshot().unwrap(), before, "nothing changed");
    assert_eq!(find(&db, "alpha", "0.5").len(), 1);

    std::fs::write(&z, b"PK\x03\x04 this is not really a zip").unwrap();
    assert!(import_path(&mut db, &z, now()).is_err());
    assert_eq!(db.snapshot().unwrap(), before);
}

#[test]
fn damaged_entry_is_skipped_on_import_and_refused_on_update() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("all.zip");
    let a = serde_json::to_vec(&rec("D-1", "alpha", "1.0", "2024-01-01T00:00:00Z")).unwrap();
    let b = serde_json::to_vec(&rec("D-2", "beta", "1.0", "2024-01-01T00:00:00Z")).unwrap();
    zip_with(&z, &[("D-1.json", a), ("D-2.json", b)], true);
    // Flip one byte inside the stored data of D-2: its CRC no longer matches.
    let mut bytes = std::fs::read(&z).unwrap();
    let at = bytes
        .windows(4)
        .rposition(|w| w == b"beta")
        .expect("entry data");
    bytes[at] = b'B';
    std::fs::write(&z, &bytes).unwrap();

    let mut db = Database::in_memory().unwrap();
    let r = import_path(&mut db, &z, now()).unwrap();
    assert_eq!((r.source.records, r.source.skipped), (1, 1));
    let w = db.warnings(None).unwrap();
    assert!(
        w[0].location.contains("D-2.json") && w[0].message.contains("damaged archive entry"),
        "{w:?}"
    );

    let mut db2 = Database::in_memory().unwrap();
    let err = import_as(
        &mut db2,
        &z,
        "osv:PyPI",
        "update",
        "test",
        &Checks {
            damage: Damage::Refuse,
            ..Checks::import()
        },
        now(),
        None,
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("damaged archive entry D-2.json"),
        "{err}"
    );
    assert!(db2.sources().unwrap().is_empty(), "nothing written");
}

#[test]
fn reimporting_a_path_replaces_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("one.json");
    write(&f, &rec("R-1", "alpha", "1.0", "2024-01-01T00:00:00Z"));
    let mut db = Database::in_memory().unwrap();
    import_path(&mut db, &f, now()).unwrap();
    write(&f, &rec("R-1", "alpha", "2.0", "2024-03-01T00:00:00Z"));
    import_path(&mut db, &f, now()).unwrap();
    let s = db.sources().unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].records, 1);
    assert_eq!(&*find(&db, "alpha", "1.5")[0].fixed[0], "2.0");
}

#[test]
fn the_newest_record_wins_when_sources_overlap() {
    let dir = tempfile::tempdir().unwrap();
    let (old, new) = (dir.path().join("old.json"), dir.path().join("new.json"));
    write(&new, &rec("O-1", "alpha", "2.0", "2024-05-01T00:00:00Z"));
    write(&old, &rec("O-1", "alpha", "1.0", "2023-01-01T00:00:00Z"));
    let mut db = Database::in_memory().unwrap();
    import_path(&mut db, &new, now()).unwrap();
    import_path(&mut db, &old, now()).unwrap();
    let f = find(&db, "alpha", "1.5");
    assert_eq!(f.len(), 1, "one finding, not one per source");
    assert_eq!(f[0].fixed.len(), 1);
    assert_eq!(&*f[0].fixed[0], "2.0");
    assert_eq!(
        db.advisories_by_id("O-1").unwrap()[0].modified.as_deref(),
        Some("2024-05-01T00:00:00Z")
    );
}

#[test]
fn withdrawn_records_are_kept_for_lookup_but_never_match() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("w.json");
    let mut r = rec("W-1", "alpha", "1.0", "2024-01-01T00:00:00Z");
    r["withdrawn"] = json!("2024-02-01T00:00:00Z");
    write(&f, &r);
    let mut db = Database::in_memory().unwrap();
    import_path(&mut db, &f, now()).unwrap();
    assert!(find(&db, "alpha", "0.5").is_empty());
    let by_alias = db.advisories_by_id("CVE-W-1").unwrap();
    assert_eq!(by_alias.len(), 1);
    assert!(by_alias[0].is_withdrawn());
}

#[test]
fn an_empty_input_is_an_error_not_an_empty_source() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Database::in_memory().unwrap();
    let err = import_path(&mut db, dir.path(), now())
        .unwrap_err()
        .to_string();
    assert!(err.contains("no valid OSV record (0 skipped"), "{err}");
    let err = import_path(&mut db, &dir.path().join("missing.zip"), now())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("missing.zip: no such file or directory"),
        "{err}"
    );
    assert!(db.sources().unwrap().is_empty());
}

#[test]
fn snapshot_id_follows_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.json");
    write(&f, &rec("S-1", "alpha", "1.0", "2024-01-01T00:00:00Z"));
    let mut db = Database::in_memory().unwrap();
    import_path(&mut db, &f, now()).unwrap();
    let a = db.snapshot().unwrap().id;
    import_path(&mut db, &f, now()).unwrap();
    assert_eq!(db.snapshot().unwrap().id, a, "same data, same snapshot");
    write(&f, &rec("S-1", "alpha", "1.1", "2024-01-02T00:00:00Z"));
    import_path(&mut db, &f, now()).unwrap();
    assert_ne!(db.snapshot().unwrap().id, a);
}

#[test]
fn input_without_a_valid_record_registers_nothing_and_keeps_the_earlier_import() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("recs.json");
    write(&f, &rec("K-1", "alpha", "1.0", "2024-01-01T00:00:00Z"));
    let mut db = Database::in_memory().unwrap();
    import_path(&mut db, &f, now()).unwrap();
    let before = db.snapshot().unwrap();
    // Markdown, then JSON that is not a record: both refused, K-1 stays.
    for bad in ["# A README\n\nNot advisories.\n", r#"{"foo": 1}"#] {
        std::fs::write(&f, bad).unwrap();
        let err = import_path(&mut db, &f, now()).unwrap_err().to_string();
        assert!(
            err.contains("recs.json: no valid OSV record (1 skipped"),
            "{err}"
        );
        assert!(err.contains("nothing is imported"), "{err}");
        assert_eq!(db.snapshot().unwrap(), before);
    }
    let other = dir.path().join("README.md");
    std::fs::write(&other, "# Title\n").unwrap();
    assert!(import_path(&mut db, &other, now()).is_err());
    assert_eq!(db.sources().unwrap().len(), 1, "no source registered");
}

fn checks(limits: Limits) -> Checks<'static> {
    Checks {
        limits,
        ..Checks::import()
    }
}

#[test]
fn archives_beyond_the_limits_are_refused_whole() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("a.zip");
    let good = serde_json::to_vec(&rec("L-1", "alpha", "1.0", "2024-01-01T00:00:00Z")).unwrap();
    // 4 MiB of spaces after a valid record: valid JSON, compresses about 1000:1.
    let mut padded =
        serde_json::to_vec(&rec("L-2", "beta", "1.0", "2024-01-01T00:00:00Z")).unwrap();
    padded.extend(std::iter::repeat_n(b' ', 4 << 20));
    zip_with(
        &z,
        &[("L-1.json", good.clone()), ("L-2.json", padded)],
        false,
    );
    let run = |limits: Limits| {
        let mut db = Database::in_memory().unwrap();
        let r = import_as(
            &mut db,
            &z,
            "osv:PyPI",
            "update",
            "test",
            &checks(limits),
            now(),
            None,
            None,
        );
        let n = db.sources().unwrap().len();
        (r.map(|r| r.source.records).map_err(|e| e.to_string()), n)
    };
    let ratio = run(Limits::default()).0.unwrap_err();
    assert!(
        ratio.contains("L-2.json expands from") && ratio.contains("above 100:1"),
        "{ratio}"
    );
    let entry = run(Limits {
        max_entry: 1 << 20,
        ..Limits::default()
    });
    assert!(
        entry
            .0
            .as_ref()
            .unwrap_err()
            .contains("L-2.json expands beyond the limit of 1048576 bytes per entry"),
        "{entry:?}"
    );
    assert_eq!(entry.1, 0, "nothing written");
    let total = run(Limits {
        max_total: 2 << 20,
        max_ratio: 10_000,
        ..Limits::default()
    });
    assert!(
        total
            .0
            .as_ref()
            .unwrap_err()
            .contains("beyond the limit of 2097152 bytes in total"),
        "{total:?}"
    );
    // Within generous limits the same archive loads.
    let ok = run(Limits {
        max_ratio: 10_000,
        ..Limits::default()
    });
    assert_eq!(ok, (Ok(2), 1));
}

#[test]
fn the_shrink_guard_judges_counts() {
    let prev = SourceStatus {
        name: "osv:PyPI".into(),
        kind: "update".into(),
        origin: "u".into(),
        fetched_at: String::new(),
        checked_at: String::new(),
        sha256: String::new(),
        records: 1000,
        skipped: 0,
        problems: 0,
        newest_modified: None,
        ecosystems: vec![],
        etag: None,
        last_modified: None,
        details: Default::default(),
    };
    let g = Guard {
        previous: Some(&prev),
        allow_shrink: false,
        max_skipped_share: 0.10,
    };
    assert_eq!(g.judge(500, 0), Ok(()), "exactly half is accepted");
    assert!(
        g.judge(499, 0)
            .unwrap_err()
            .contains("499 valid records (0 skipped) would replace 1000")
    );
    assert_eq!(g.judge(900, 100), Ok(()), "10% skipped is accepted");
    assert!(
        g.judge(900, 101)
            .unwrap_err()
            .contains("101 of 1001 records are invalid (10.1%")
    );
    let first = Guard {
        previous: None,
        ..g
    };
    assert_eq!(first.judge(3, 0), Ok(()));
    assert!(
        first.judge(3, 1).is_err(),
        "the share applies to a first download too"
    );
    let allowed = Guard {
        allow_shrink: true,
        ..g
    };
    assert_eq!(allowed.judge(1, 9), Ok(()));
}

#[test]
fn placeholder_dates_do_not_count_as_newest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        &d.join("a.json"),
        &rec("P-1", "alpha", "1.0", "0001-01-01T00:00:00Z"),
    );
    let mut db = Database::in_memory().unwrap();
    let r = import_path(&mut db, d, now()).unwrap();
    assert_eq!(r.source.newest_modified, None, "no real date known");
    write(
        &d.join("b.json"),
        &rec("P-2", "beta", "1.0", "2023-05-06T07:08:09Z"),
    );
    let r = import_path(&mut db, d, now()).unwrap();
    assert_eq!(
        r.source.newest_modified.as_deref(),
        Some("2023-05-06T07:08:09Z")
    );
}

#[test]
fn related_ids_are_indexed_apart_from_aliases() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("r.json");
    let mut a = rec("R-1", "alpha", "1.0", "2024-01-01T00:00:00Z");
    a["related"] = json!(["CVE-X", "CVE-R-1", "CVE-X"]);
    let mut b = rec("R-2", "beta", "1.0", "2024-01-01T00:00:00Z");
    b["related"] = json!(["CVE-X"]);
    let mut gone = rec("R-3", "gamma", "1.0", "2024-01-01T00:00:00Z");
    gone["related"] = json!(["CVE-X"]);
    gone["withdrawn"] = json!("2024-02-01T00:00:00Z");
    write(&f, &json!([a, b, gone]));
    let mut db = Database::in_memory().unwrap();
    import_path(&mut db, &f, now()).unwrap();

    // Not an alias: the id lookup knows nothing of CVE-X, and R-1's own alias is
    // not "related" to it.
    assert!(db.advisories_by_id("CVE-X").unwrap().is_empty());
    let ids: Vec<String> = db
        .advisories_by_id("CVE-R-1")
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["R-1"]);
    // Listed as related by the live records only.
    let ids: Vec<String> = db
        .advisories_related_to("CVE-X")
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["R-1", "R-2"]);
    assert!(db.advisories_related_to("CVE-R-1").unwrap().is_empty());
    // By record: each related id once; withdrawn and unknown records list none.
    let by_record = db.related_of(&["R-1", "R-2", "R-3", "NOPE"]).unwrap();
    assert_eq!(by_record.len(), 2, "{by_record:?}");
    assert_eq!(by_record["R-1"], ["CVE-X"]);
    assert_eq!(by_record["R-2"], ["CVE-X"]);
    // Related ids do not make an id shared (it is nobody's alias).
    assert!(!db.shared_ids().unwrap().contains("CVE-X"));

    // Re-importing replaces the source's related rows, never doubles them.
    import_path(&mut db, &f, now()).unwrap();
    assert_eq!(db.advisories_related_to("CVE-X").unwrap().len(), 2);
    assert_eq!(db.related_of(&["R-1"]).unwrap()["R-1"], ["CVE-X"]);
}

#[test]
fn a_database_of_the_previous_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    {
        let db = Database::open(dir.path()).unwrap();
        db.conn
            .execute("UPDATE meta SET value = '5' WHERE key = 'schema'", [])
            .unwrap();
    }
    let err = Database::open_existing(dir.path())
        .err()
        .expect("refused")
        .to_string();
    assert!(
        err.contains("schema version 5, this cverun reads version 6; delete the directory"),
        "{err}"
    );
}
