use super::*;
use crate::record::from_value;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Builds candidates from full OSV records (validated as on import) for one package.
fn candidates(eco: &Ecosystem, name: &str, records: &[Value]) -> Vec<Candidate> {
    records
        .iter()
        .map(|r| {
            let a = from_value(r.clone()).expect("valid record").advisory;
            Candidate {
                id: a.id.clone(),
                withdrawn: a.is_withdrawn(),
                entries: a
                    .affected
                    .into_iter()
                    .filter(|e| &e.ecosystem == eco && e.name == name)
                    .collect(),
            }
        })
        .collect()
}

fn record(id: &str, eco: &str, name: &str, ranges: Value, versions: Value) -> Value {
    json!({
        "id": id, "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": eco, "name": name}, "ranges": ranges, "versions": versions}]
    })
}

fn range(kind: &str, events: Value) -> Value {
    json!([{"type": kind, "events": events}])
}

/// `"affected"`, `"unverifiable"` or `"clean"` for one advisory and one version.
fn verdict(eco: &Ecosystem, name: &str, rec: Value, version: &str) -> &'static str {
    let c = candidates(eco, name, &[rec]);
    let hits = PackageMatcher::new(eco, &c).evaluate(version);
    match hits.first().map(|h| &h.verdict) {
        None => "clean",
        Some(Verdict::Affected(_)) => "affected",
        Some(Verdict::Unverifiable(_)) => "unverifiable",
    }
}

fn check(eco: Ecosystem, rec: Value, table: &[(&str, &str)]) {
    for (v, expected) in table {
        assert_eq!(
            verdict(&eco, "pkg", rec.clone(), v),
            *expected,
            "version {v}"
        );
    }
}

// The examples of the schema's "Examples" section, evaluated as written there.

#[test]
fn schema_example_unfixed() {
    let rec = record(
        "X-1",
        "crates.io",
        "pkg",
        range("SEMVER", json!([{"introduced": "0"}])),
        json!([]),
    );
    check(
        Ecosystem::CratesIo,
        rec,
        &[
            ("0.0.0", "affected"),
            ("0.0.1-alpha", "affected"),
            ("99.0.0", "affected"),
        ],
    );
}

#[test]
fn schema_example_fixed() {
    let rec = record(
        "X-2",
        "crates.io",
        "pkg",
        range("SEMVER", json!([{"introduced": "0"}, {"fixed": "1.0.2"}])),
        json!([]),
    );
    check(
        Ecosystem::CratesIo,
        rec,
        &[
            ("1.0.1", "affected"),
            ("1.0.2-rc.1", "affected"),
            ("1.0.2", "clean"),
            ("2.0.0", "clean"),
        ],
    );
}

#[test]
fn schema_example_multiple_ranges() {
    let rec = record(
        "X-3",
        "crates.io",
        "pkg",
        range(
            "SEMVER",
            json!([{"introduced": "1.0.0"}, {"fixed": "1.0.2"}, {"introduced": "3.0.0"}, {"fixed": "3.2.5"}]),
        ),
        json!([]),
    );
    check(
        Ecosystem::CratesIo,
        rec,
        &[
            ("0.9.0", "clean"),
            ("1.0.0", "affected"),
            ("1.0.1", "affected"),
            ("1.0.2", "clean"),
            ("2.5.0", "clean"),
            ("3.0.0", "affected"),
            ("3.2.4", "affected"),
            ("3.2.5", "clean"),
        ],
    );
}

#[test]
fn schema_example_last_affected_vs_fixed() {
    let last = record(
        "X-4",
        "PyPI",
        "pkg",
        range(
            "ECOSYSTEM",
            json!([{"introduced": "0"}, {"last_affected": "2.1.214"}]),
        ),
        json!([]),
    );
    check(
        Ecosystem::PyPI,
        last,
        &[
            ("2.1.214", "affected"),
            ("2.1.214.post1", "clean"),
            ("2.1.215", "clean"),
        ],
    );
    let fixed = record(
        "X-5",
        "PyPI",
        "pkg",
        range(
            "ECOSYSTEM",
            json!([{"introduced": "0"}, {"fixed": "2.1.214"}]),
        ),
        json!([]),
    );
    check(
        Ecosystem::PyPI,
        fixed,
        &[("2.1.213", "affected"), ("2.1.214", "clean")],
    );
}

#[test]
fn limit_events_bound_the_range() {
    let rec = record(
        "X-6",
        "crates.io",
        "pkg",
        range(
            "SEMVER",
            json!([{"introduced": "0"}, {"limit": "2.0.0"}, {"limit": "1.5.0"}]),
        ),
        json!([]),
    );
    // v < some limit: 1.9 is below the 2.0.0 limit.
    check(
        Ecosystem::CratesIo,
        rec,
        &[
            ("1.0.0", "affected"),
            ("1.9.0", "affected"),
            ("2.0.0", "clean"),
        ],
    );
    let star = record(
        "X-7",
        "crates.io",
        "pkg",
        range("SEMVER", json!([{"introduced": "1.0.0"}, {"limit": "*"}])),
        json!([]),
    );
    check(
        Ecosystem::CratesIo,
        star,
        &[("0.1.0", "clean"), ("7.0.0", "affected")],
    );
}

#[test]
fn git_ranges_do_not_stop_later_ranges() {
    let rec = json!({
        "id": "PYSEC-X", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "pkg"},
            "ranges": [
                {"type": "GIT", "repo": "https://example.invalid/r", "events": [{"introduced": "abc"}, {"fixed": "def"}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.5"}]}
            ]}]
    });
    check(
        Ecosystem::PyPI,
        rec,
        &[("1.4", "affected"), ("1.5", "clean")],
    );
}

#[test]
fn listed_versions_match_by_string_and_by_scheme_equality() {
    let rec = record("X-8", "PyPI", "pkg", json!([]), json!(["1.0", "2.0rc1"]));
    check(
        Ecosystem::PyPI,
        rec,
        &[
            ("1.0", "affected"),
            ("1.0.0", "affected"),
            ("2.0c1", "affected"),
            ("2.0", "clean"),
        ],
    );
}

#[test]
fn events_are_sorted_before_walking() {
    let rec = record(
        "X-9",
        "PyPI",
        "pkg",
        range(
            "ECOSYSTEM",
            json!([{"fixed": "1.5"}, {"introduced": "1.0"}]),
        ),
        json!([]),
    );
    check(
        Ecosystem::PyPI,
        rec,
        &[("0.9", "clean"), ("1.2", "affected"), ("1.5", "clean")],
    );
}

#[test]
fn equal_event_versions_keep_the_record_order() {
    // A timeline that reopens at 2.0: fixed 2.0 then introduced 2.0.
    let reopen = record(
        "X-10",
        "PyPI",
        "pkg",
        range(
            "ECOSYSTEM",
            json!([{"introduced": "0"}, {"fixed": "2.0"}, {"introduced": "2.0"}, {"fixed": "3.0"}]),
        ),
        json!([]),
    );
    check(
        Ecosystem::PyPI,
        reopen,
        &[
            ("1.0", "affected"),
            ("2.0", "affected"),
            ("2.5", "affected"),
            ("3.0", "clean"),
        ],
    );
    // An empty interval written introduced then fixed at the same version.
    let empty = record(
        "X-11",
        "PyPI",
        "pkg",
        range(
            "ECOSYSTEM",
            json!([{"introduced": "2.0"}, {"fixed": "2.0"}]),
        ),
        json!([]),
    );
    check(
        Ecosystem::PyPI,
        empty,
        &[("2.0", "clean"), ("2.5", "clean")],
    );
}

#[test]
fn go_stdlib_record_go_2022_0969() {
    // GO-2022-0969 as published in the Go vulnerability database (stdlib part).
    let rec = record(
        "GO-2022-0969",
        "Go",
        "stdlib",
        range(
            "SEMVER",
            json!([{"introduced": "0"}, {"fixed": "1.18.6"}, {"introduced": "1.19.0-0"}, {"fixed": "1.19.1"}]),
        ),
        json!([]),
    );
    let table = [
        ("1.17", "affected"),
        ("go1.18.5", "affected"),
        ("1.18.6", "clean"),
        ("go1.19rc1", "affected"),
        ("1.19.0", "affected"),
        ("1.19.1", "clean"),
        ("1.20", "clean"),
    ];
    for (v, expected) in table {
        assert_eq!(
            verdict(&Ecosystem::Go, "stdlib", rec.clone(), v),
            expected,
            "{v}"
        );
    }
}

#[test]
fn rustsec_zero_prerelease_bounds() {
    let rec = record(
        "RUSTSEC-2016-0004",
        "crates.io",
        "pkg",
        range(
            "SEMVER",
            json!([{"introduced": "0.0.0-0"}, {"fixed": "0.3.1-0"}]),
        ),
        json!([]),
    );
    check(
        Ecosystem::CratesIo,
        rec,
        &[
            ("0.1.0", "affected"),
            ("0.3.0", "affected"),
            ("0.3.1", "clean"),
        ],
    );
}

#[test]
fn withdrawn_advisories_never_match() {
    let mut rec = record(
        "X-12",
        "PyPI",
        "pkg",
        range("ECOSYSTEM", json!([{"introduced": "0"}])),
        json!(["1.0"]),
    );
    rec["withdrawn"] = json!("2024-02-01T00:00:00Z");
    check(Ecosystem::PyPI, rec, &[("1.0", "clean"), ("0.1", "clean")]);
}

#[test]
fn unparseable_installed_version_is_unverifiable_not_clean() {
    let rec = record(
        "X-13",
        "PyPI",
        "pkg",
        range("ECOSYSTEM", json!([{"introduced": "0"}, {"fixed": "1.0"}])),
        json!([]),
    );
    let c = candidates(&Ecosystem::PyPI, "pkg", &[rec]);
    let hits = PackageMatcher::new(&Ecosystem::PyPI, &c).evaluate("1.0-weird");
    let Verdict::Unverifiable(reasons) = &hits[0].verdict else {
        panic!("{hits:?}")
    };
    assert!(
        reasons[0].contains("\"1.0-weird\" is not a valid PEP 440 version"),
        "{reasons:?}"
    );
}

#[test]
fn exact_listed_string_still_matches_when_unparseable() {
    let rec = record("X-14", "PyPI", "pkg", json!([]), json!(["0.1dev-r1234"]));
    check(
        Ecosystem::PyPI,
        rec.clone(),
        &[("0.1dev-r1234", "affected")],
    );
    // Another unparseable string cannot be compared with the list: fail closed.
    check(
        Ecosystem::PyPI,
        rec,
        &[("0.1dev-r9999", "unverifiable"), ("0.2", "clean")],
    );
}

#[test]
fn unparseable_event_is_unverifiable() {
    let rec = record(
        "X-15",
        "PyPI",
        "pkg",
        range(
            "ECOSYSTEM",
            json!([{"introduced": "0"}, {"fixed": "1.0-final-x"}]),
        ),
        json!([]),
    );
    check(
        Ecosystem::PyPI,
        rec,
        &[("0.5", "unverifiable"), ("2.0", "unverifiable")],
    );
}

#[test]
fn a_definite_match_wins_over_an_unreadable_range() {
    let rec = json!({
        "id": "X-16", "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "pkg"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "junk-junk"}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.2"}]}
            ]}]
    });
    check(
        Ecosystem::PyPI,
        rec,
        &[("1.1", "affected"), ("1.3", "unverifiable")],
    );
}

#[test]
fn malformed_ranges_and_entries_are_unverifiable() {
    let two_keys = record(
        "X-17",
        "PyPI",
        "pkg",
        range("ECOSYSTEM", json!([{"introduced": "0", "fixed": "1"}])),
        json!([]),
    );
    check(Ecosystem::PyPI, two_keys, &[("0.5", "unverifiable")]);
    let unknown_type = record(
        "X-18",
        "PyPI",
        "pkg",
        range("CALVER", json!([{"introduced": "0"}])),
        json!([]),
    );
    check(Ecosystem::PyPI, unknown_type, &[("0.5", "unverifiable")]);
    let bad_list = record("X-19", "PyPI", "pkg", json!([]), json!(["1.0", 7]));
    check(
        Ecosystem::PyPI,
        bad_list.clone(),
        &[("1.0", "affected"), ("0.5", "unverifiable")],
    );
}

#[test]
fn ecosystem_without_a_scheme() {
    let eco = Ecosystem::Other("Debian:12".into());
    let rec = record(
        "X-20",
        "Debian:12",
        "pkg",
        range(
            "ECOSYSTEM",
            json!([{"introduced": "0"}, {"fixed": "1.2-3"}]),
        ),
        json!(["1.0-1"]),
    );
    check(
        eco.clone(),
        rec.clone(),
        &[("1.0-1", "affected"), ("1.1-1", "unverifiable")],
    );
}

#[test]
fn semver_range_on_a_non_semver_ecosystem_is_strict_semver() {
    let rec = record(
        "X-21",
        "PyPI",
        "pkg",
        range("SEMVER", json!([{"introduced": "0"}, {"fixed": "2.0.0"}])),
        json!([]),
    );
    check(
        Ecosystem::PyPI,
        rec,
        &[
            ("1.0.0", "affected"),
            ("2.0.0", "clean"),
            ("1.0", "unverifiable"),
        ],
    );
}

#[test]
fn database_specific_never_changes_matching() {
    let plain = record(
        "X-22",
        "PyPI",
        "pkg",
        range("ECOSYSTEM", json!([{"introduced": "0"}, {"fixed": "1.0"}])),
        json!([]),
    );
    let mut noisy = plain.clone();
    noisy["database_specific"] = json!({"severity": "LOW", "affected": false});
    noisy["affected"][0]["database_specific"] = json!({"withdrawn": true, "ranges": []});
    noisy["affected"][0]["ranges"][0]["database_specific"] = json!({"fixed": "0.1"});
    for v in ["0.5", "1.0", "2.0"] {
        assert_eq!(
            verdict(&Ecosystem::PyPI, "pkg", plain.clone(), v),
            verdict(&Ecosystem::PyPI, "pkg", noisy.clone(), v),
            "{v}"
        );
    }
}

#[test]
fn reports_the_interval_that_matched() {
    let rec = record(
        "X-23",
        "Go",
        "stdlib",
        range(
            "SEMVER",
            json!([{"introduced": "0"}, {"fixed": "1.18.6"}, {"introduced": "1.19.0-0"}, {"fixed": "1.19.1"}]),
        ),
        json!([]),
    );
    let c = candidates(&Ecosystem::Go, "stdlib", &[rec]);
    let hits = PackageMatcher::new(&Ecosystem::Go, &c).evaluate("1.19.0");
    let Verdict::Affected(m) = &hits[0].verdict else {
        panic!()
    };
    assert_eq!(m[0].introduced.as_deref(), Some("1.19.0-0"));
    assert_eq!(m[0].fixed.as_deref(), Some("1.19.1"));
    assert_eq!(m[0].describe(), "SEMVER >=1.19.0-0, <1.19.1");
    let hits = PackageMatcher::new(&Ecosystem::Go, &c).evaluate("1.10.0");
    let Verdict::Affected(m) = &hits[0].verdict else {
        panic!()
    };
    assert_eq!(m[0].describe(), "SEMVER >=0, <1.18.6");
}

#[test]
fn informational_class_is_carried() {
    let mut rec = record(
        "RUSTSEC-X",
        "crates.io",
        "pkg",
        range("SEMVER", json!([{"introduced": "0"}])),
        json!([]),
    );
    rec["affected"][0]["database_specific"] = json!({"informational": "unsound"});
    let c = candidates(&Ecosystem::CratesIo, "pkg", &[rec]);
    let hits = PackageMatcher::new(&Ecosystem::CratesIo, &c).evaluate("1.0.0");
    assert_eq!(hits[0].informational.as_deref(), Some("unsound"));
}

// Property: for a range made of disjoint intervals, the OSV walk agrees with plain
// interval membership, whatever order the events are written in.

fn intervals() -> impl Strategy<Value = (Vec<u32>, bool, bool)> {
    (
        prop::collection::btree_set(1u32..60, 0..8),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(pts, open_end, last_affected)| {
            (pts.into_iter().collect(), open_end, last_affected)
        })
}

proptest! {
    #[test]
    fn walk_equals_interval_membership(
        (points, open_end, use_last) in intervals(),
        zero_start in any::<bool>(),
        shuffle in any::<prop::sample::Index>(),
        probes in prop::collection::vec(0u32..62, 1..20),
    ) {
        // Pair the points into intervals [a, b) (or [a, b] with last_affected).
        let mut pts = points.clone();
        if zero_start { pts.insert(0, 0); }
        if pts.len() % 2 == 1 && !open_end { pts.pop(); }
        let mut events = Vec::new();
        let mut spans: Vec<(u32, Option<u32>)> = Vec::new();
        for pair in pts.chunks(2) {
            let start = pair[0];
            events.push(if start == 0 { json!({"introduced": "0"}) } else { json!({"introduced": format!("{start}.0.0")}) });
            match pair.get(1) {
                Some(&end) => {
                    let key = if use_last { "last_affected" } else { "fixed" };
                    events.push(json!({key: format!("{end}.0.0")}));
                    spans.push((start, Some(end)));
                }
                None => spans.push((start, None)),
            }
        }
        prop_assume!(!events.is_empty());
        let n = events.len();
        events.rotate_left(shuffle.index(n));
        let rec = record("P-1", "crates.io", "pkg", range("SEMVER", Value::Array(events)), json!([]));
        for p in probes {
            let expected = spans.iter().any(|&(a, b)| p >= a && match b {
                None => true,
                Some(b) if use_last => p <= b,
                Some(b) => p < b,
            });
            let got = verdict(&Ecosystem::CratesIo, "pkg", rec.clone(), &format!("{p}.0.0"));
            prop_assert_eq!(got, if expected { "affected" } else { "clean" }, "probe {}", p);
        }
    }
}

// Robustness: arbitrary documents and versions never panic, whatever they hold.

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        "[0-9a-zA-Z.:*-]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "0",
            "1.0",
            "introduced",
            "fixed",
            "limit",
            "SEMVER",
            "ECOSYSTEM",
            "GIT",
            "PyPI",
            "Go",
            "pkg",
            "*"
        ])
        .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop::sample::select(vec![
                        "id",
                        "affected",
                        "package",
                        "ecosystem",
                        "name",
                        "ranges",
                        "type",
                        "events",
                        "introduced",
                        "fixed",
                        "last_affected",
                        "limit",
                        "versions",
                        "withdrawn",
                        "aliases",
                        "severity",
                        "modified",
                        "database_specific",
                        "informational",
                    ]),
                    inner,
                ),
                0..6,
            )
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]
    #[test]
    fn arbitrary_records_never_panic(
        affected in json_value(),
        eco in prop::sample::select(vec!["PyPI", "Go", "crates.io", "npm", "Maven", "RubyGems", "NuGet", "Packagist", "Debian:12"]),
        version in "[0-9a-z.+-]{0,12}",
    ) {
        let doc = json!({"id": "FUZZ-1", "modified": "2024-01-01T00:00:00Z", "affected": [
            {"package": {"ecosystem": eco, "name": "pkg"}, "ranges": affected.clone(), "versions": affected}
        ]});
        let _ = crate::record::parse_record(doc.to_string().as_bytes());
        if let Ok(parsed) = from_value(doc) {
            let e = Ecosystem::from_osv(eco);
            let c = vec![Candidate { id: "FUZZ-1".into(), withdrawn: false, entries: parsed.advisory.affected }];
            let _ = PackageMatcher::new(&e, &c).evaluate(&version);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = crate::record::parse_record(&bytes);
    }
}
