use super::*;
use crate::severity::score;
use cverun_osv::Severity;

fn cvss(v: &str) -> Option<Score> {
    score(&Severity {
        kind: "CVSS_V3".into(),
        score: v.into(),
    })
    .unwrap()
}

const CRITICAL: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"; // 9.8
const HIGH: &str = "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"; // 8.1
const MEDIUM: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"; // 5.3

fn kev() -> Option<Kev> {
    Some(Kev {
        cve: "CVE-2020-11651".into(),
        date_added: Some("2021-11-03".into()),
        due_date: Some("2022-05-03".into()),
        ransomware: Some("Unknown".into()),
        related: false,
    })
}

fn epss(score: f64) -> Option<EpssScore> {
    Some(EpssScore {
        cve: "CVE-1".into(),
        score,
        percentile: 0.9,
        related: false,
    })
}

fn now() -> Timestamp {
    "2026-11-23T12:00:00Z".parse().unwrap()
}

fn level(a: Assessment) -> Priority {
    prioritize(&Policy::default(), &Arc::new(a), &Context::default(), now())
}

fn a(cvss_vector: Option<&str>, kev_: bool, epss_: Option<f64>) -> Assessment {
    Assessment {
        cvss: cvss_vector.and_then(cvss).map(Arc::new),
        rating: None,
        kev: if kev_ { kev() } else { None },
        epss: epss_.and_then(epss),
        ids: vec!["PYSEC-2020-102".into(), "CVE-2020-11651".into()],
        related: Vec::new(),
        unscored: Vec::new(),
    }
}

#[test]
fn the_runbook_rules() {
    let cases = [
        (a(Some(CRITICAL), true, None), Level::P0, "CVSS 9.8"),
        (a(Some(CRITICAL), false, Some(0.9)), Level::P0, "EPSS 0.900"),
        (
            a(Some(HIGH), true, None),
            Level::P1,
            "listed in CISA KEV (CVE-2020-11651, added 2021-11-03, due 2022-05-03)",
        ),
        (a(None, true, None), Level::P1, "severity unknown"),
        (
            a(Some(MEDIUM), true, None),
            Level::P2,
            "< 7 but listed in CISA KEV",
        ),
        (a(Some(HIGH), false, None), Level::P2, "no known exploit"),
        (
            a(Some(CRITICAL), false, Some(0.2)),
            Level::P2,
            "no known exploit",
        ),
        (a(None, false, None), Level::P2, "not treated as low"),
        (
            a(Some(MEDIUM), false, None),
            Level::Routine,
            "< 7, no known exploit",
        ),
    ];
    for (input, expected, words) in cases {
        let p = level(input);
        let e = p.explanation();
        assert_eq!(p.level, expected, "{e}");
        assert!(e.contains(words), "{e} should say {words:?}");
        assert!(e.starts_with(&format!("{expected}: ")), "{e}");
    }
}

#[test]
fn declared_active_exploitation_is_p0_through_any_alias() {
    let policy = Policy {
        active_exploitation: vec!["cve-2020-11651".into()],
        ..Policy::default()
    };
    let p = prioritize(
        &policy,
        &Arc::new(a(Some(MEDIUM), false, None)),
        &Context::default(),
        now(),
    );
    assert_eq!(p.level, Level::P0);
    assert_eq!(
        p.rule_text(),
        "active exploitation declared for CVE-2020-11651"
    );
}

#[test]
fn qualitative_rating_stands_in_for_a_missing_vector() {
    let mut input = a(None, true, None);
    input.rating = Some(Rating::High);
    let p = level(input);
    assert_eq!(p.level, Level::P1);
    assert!(
        p.explanation()
            .contains("the advisory rates it HIGH, taken as CVSS 7.0"),
        "{}",
        p.explanation()
    );
}

#[test]
fn deadlines_follow_the_level() {
    let p = level(a(Some(CRITICAL), true, None));
    assert_eq!(p.response, crate::interval::Interval::hours(2));
    assert_eq!(p.due.to_string(), "2026-11-23T14:00:00Z");
    assert_eq!(
        level(a(Some(HIGH), false, None)).due.to_string(),
        "2026-11-26T12:00:00Z"
    );
}

#[test]
fn service_context_raises_once_by_default() {
    let ctx = Context {
        exposure: Some("internet"),
        data: Some("customer-pii"),
        ecosystem: "PyPI",
        package: "pyyaml",
    };
    let p = prioritize(
        &Policy::default(),
        &Arc::new(a(Some(HIGH), false, None)),
        &ctx,
        now(),
    );
    assert_eq!((p.base, p.level), (Level::P2, Level::P1));
    assert_eq!(p.raised_by, vec![Raise::Internet]);
    assert!(
        p.explanation()
            .contains("; raised to P1: the service is internet-facing"),
        "{}",
        p.explanation()
    );
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["level"], "P1");
    assert_eq!(json["base"], "P2");
    assert_eq!(json["raised_by"][0], "the service is internet-facing");
    assert_eq!(json["due"], "2026-11-23T20:00:00Z");
    assert_eq!(json["rule"], "high");
    assert_eq!(json["inputs"]["cvss"]["score"], 8.1);
    // Routine is not raised by default...
    let r = prioritize(
        &Policy::default(),
        &Arc::new(a(Some(MEDIUM), false, None)),
        &ctx,
        now(),
    );
    assert_eq!(r.level, Level::Routine);
    // ...unless the policy says so; and the cap can be lifted.
    let mut policy = Policy::default();
    policy.context.raise_routine = true;
    policy.context.max_raise = 2;
    policy.context.critical_packages = vec!["pyyaml".into()];
    let r = prioritize(
        &policy,
        &Arc::new(a(Some(MEDIUM), false, None)),
        &ctx,
        now(),
    );
    assert_eq!(r.level, Level::P1);
    assert_eq!(r.raised_by.len(), 2);
    // P0 stays P0.
    let top = prioritize(
        &policy,
        &Arc::new(a(Some(CRITICAL), true, None)),
        &ctx,
        now(),
    );
    assert_eq!(top.level, Level::P0);
    assert!(top.raised_by.is_empty());
}

#[test]
fn critical_packages_by_name_or_ecosystem_and_name() {
    let mut policy = Policy::default();
    let ctx = Context {
        ecosystem: "PyPI",
        package: "pyyaml",
        ..Context::default()
    };
    let high = Arc::new(a(Some(HIGH), false, None));
    for (list, raised) in [
        (vec!["PyYAML"], true),
        (vec!["pypi/pyyaml"], true),
        (vec!["npm/pyyaml"], false),
        (vec!["pyyaml2", "PyPI/yaml"], false),
        (vec![], false),
    ] {
        policy.context.critical_packages = list.iter().map(|s| s.to_string()).collect();
        let p = prioritize(&policy, &high, &ctx, now());
        assert_eq!(
            p.raised_by == vec![Raise::CriticalPackage],
            raised,
            "{list:?}"
        );
    }
}

#[test]
fn policy_files() {
    let p = Policy::parse(
        std::path::Path::new("cverun-policy.toml"),
        "epss_threshold = 0.2\nroutine_response = \"7d\"\n[context]\ncritical_packages = [\"openssl\"]\n",
    )
    .unwrap();
    assert_eq!(p.epss_threshold, 0.2);
    assert_eq!(p.routine_response, crate::interval::Interval::hours(168));
    assert_eq!(p.context.critical_packages, vec!["openssl"]);
    assert_eq!(p.context.max_raise, 1, "unset fields keep their defaults");
    assert_eq!(
        Policy::parse(std::path::Path::new("p.toml"), "").unwrap(),
        Policy::default()
    );
    let e = Policy::parse(
        std::path::Path::new("p.toml"),
        "p0_cvss = 9.0\nepss_treshold = 0.3\n",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.to_string().starts_with("p.toml:2: "), "{e}");
    let e = Policy::parse(std::path::Path::new("p.toml"), "epss_threshold = 3\n").unwrap_err();
    assert!(e.message.contains("between 0 and 1"), "{e}");
    let e = Policy::parse(
        std::path::Path::new("p.toml"),
        "unknown_severity = \"P7\"\n",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(1), "{e}");
}

/// GO-2023-2102 as the Go snapshot of 2026-08-21 gives it: CVSS 7.5 (its GHSA
/// twin's vector), its own CVE-2023-39325 not in KEV, and CVE-2023-44487 (listed
/// in `related`) in KEV since 2023-10-10 (catalog 2025.08.25).
#[test]
fn a_related_kev_listing_is_an_exploit_named_as_related() {
    let mut go = a(
        Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),
        false,
        None,
    );
    go.ids = vec!["GO-2023-2102".into(), "CVE-2023-39325".into()];
    go.related = vec!["CVE-2023-44487".into()];
    go.kev = Some(Kev {
        cve: "CVE-2023-44487".into(),
        date_added: Some("2023-10-10".into()),
        due_date: Some("2023-10-31".into()),
        ransomware: Some("Unknown".into()),
        related: true,
    });
    let p = level(go);
    assert_eq!((p.level, p.rule.id()), (Level::P1, "exploited-high"));
    assert_eq!(
        p.explanation(),
        "P1: CVSS 7.5 (HIGH, CVSS 3.1 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H) >= 7 and \
         CVE-2023-44487, related, is in CISA KEV (added 2023-10-10, due 2023-10-31); respond within 8 h"
    );
    let json = serde_json::to_value(&p).unwrap();
    assert_eq!(json["inputs"]["kev"]["related"], true);
    assert_eq!(json["inputs"]["related"][0], "CVE-2023-44487");

    // A related EPSS score is named too; the vulnerability's own KEV listing reads
    // as before, without the flag.
    let mut b = level(a(None, false, None)).inputs.as_ref().clone();
    b.epss = Some(EpssScore {
        cve: "CVE-2023-44487".into(),
        score: 0.944,
        percentile: 0.999,
        related: true,
    });
    assert!(
        level(b)
            .explanation()
            .contains("EPSS 0.944 for related CVE-2023-44487 (percentile 0.999) >= 0.5"),
    );
    let own = level(a(Some(CRITICAL), true, None));
    assert!(
        own.explanation()
            .contains("listed in CISA KEV (CVE-2020-11651, added 2021-11-03, due 2022-05-03)"),
        "{}",
        own.explanation()
    );
    assert!(
        serde_json::to_value(&own).unwrap()["inputs"]["kev"]
            .get("related")
            .is_none()
    );
}

#[test]
fn related_signals_is_a_policy_switch_on_by_default() {
    assert!(Policy::default().related_signals);
    let p = Policy::parse(Path::new("p.toml"), "related_signals = false\n").unwrap();
    assert!(!p.related_signals);
    let err = Policy::parse(Path::new("p.toml"), "\nrelated_signals = \"yes\"\n").unwrap_err();
    assert_eq!(err.line, Some(2), "{err}");
}

#[test]
fn response_times_are_the_runbooks_and_may_be_minutes() {
    use crate::interval::Interval;
    let policy = Policy::default().with_response(ResponseTimes {
        p0: Interval::minutes(15),
        ..ResponseTimes::default()
    });
    let p = prioritize(
        &policy,
        &Arc::new(a(Some(CRITICAL), true, None)),
        &Context::default(),
        now(),
    );
    assert_eq!(p.level, Level::P0);
    assert_eq!(p.due.to_string(), "2026-11-23T12:15:00Z");
    assert!(
        p.explanation().ends_with("respond within 15 min"),
        "{}",
        p.explanation()
    );
    let mut out = Vec::new();
    p.serialize_compact(&mut serde_json::Serializer::new(&mut out))
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["response_hours"], 0.25);
    assert_eq!(v["response_minutes"], 15);
    // A policy file cannot set them: one definition, in the runbook.
    let e = Policy::parse(
        std::path::Path::new("cverun-policy.toml"),
        "epss_threshold = 0.2\nresponse_hours = { P0 = 1, P1 = 4, P2 = 24, routine = 168 }\n",
    )
    .unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.message.contains("runbook"), "{e}");
    // Routine's is the policy's own.
    let p = Policy::parse(
        std::path::Path::new("p.toml"),
        "routine_response = \"2w\"\n",
    );
    assert!(p.unwrap_err().message.contains("invalid length of time"));
}
