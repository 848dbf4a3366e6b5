//! Test helpers shared by every scheme's tests: order laws and table assertions.

use std::cmp::Ordering;

use crate::Scheme;

fn parse<S: Scheme>(s: &str) -> S::Version {
    S::parse(s).unwrap_or_else(|e| panic!("{:?} should parse: {e}", s))
}

/// Asserts that the versions are given in strictly ascending order, pairwise.
pub(crate) fn assert_ascending<S: Scheme>(versions: &[&str]) {
    let parsed: Vec<S::Version> = versions.iter().map(|v| parse::<S>(v)).collect();
    for i in 0..parsed.len() {
        for j in 0..parsed.len() {
            let expected = i.cmp(&j);
            assert_eq!(
                parsed[i].cmp(&parsed[j]),
                expected,
                "{} vs {}: expected {:?}",
                versions[i],
                versions[j],
                expected
            );
        }
    }
}

/// Asserts that two spellings are the same version of the scheme.
pub(crate) fn assert_equal<S: Scheme>(a: &str, b: &str) {
    let (pa, pb) = (parse::<S>(a), parse::<S>(b));
    assert_eq!(pa.cmp(&pb), Ordering::Equal, "{a} should equal {b}");
    assert!(pa == pb, "{a} should == {b}");
}

/// Checks the laws of a total order on generated versions: reflexivity,
/// antisymmetry, consistency of `==` with `cmp`, and transitivity (every triple).
/// Strings the scheme refuses are skipped: generators should produce valid ones,
/// and the caller asserts that separately where it matters.
pub(crate) fn check_total_order<S: Scheme>(inputs: &[String]) {
    let vs: Vec<(&String, S::Version)> = inputs
        .iter()
        .map(|s| {
            (
                s,
                S::parse(s).unwrap_or_else(|e| panic!("generator made {s:?}: {e}")),
            )
        })
        .collect();
    for (sa, a) in &vs {
        assert_eq!(a.cmp(a), Ordering::Equal, "reflexive: {sa}");
        for (sb, b) in &vs {
            let ab = a.cmp(b);
            assert_eq!(ab, b.cmp(a).reverse(), "antisymmetric: {sa} vs {sb}");
            assert_eq!(ab == Ordering::Equal, a == b, "eq consistent: {sa} vs {sb}");
            for (sc, c) in &vs {
                if ab != Ordering::Greater && b.cmp(c) != Ordering::Greater {
                    assert_ne!(
                        a.cmp(c),
                        Ordering::Greater,
                        "transitive: {sa} <= {sb} <= {sc}"
                    );
                }
            }
        }
    }
}

mod no_panic {
    use crate::{SchemeKind, Version};
    use proptest::prelude::*;

    const ALL: [SchemeKind; 7] = [
        SchemeKind::Pep440,
        SchemeKind::SemVer,
        SchemeKind::Go,
        SchemeKind::RubyGems,
        SchemeKind::Maven,
        SchemeKind::NuGet,
        SchemeKind::Packagist,
    ];

    /// Version-like text: digits (some huge), separators, letters, unicode.
    fn versionish() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9a-zA-Z.+_~!*-]{0,40}",
            "[0-9]{15,40}(\\.[0-9]{1,30}){0,4}",
            "\\PC{0,30}",
            "(v|go|=)?[0-9]{1,3}(\\.[0-9]{1,3}){0,3}(-[a-z0-9.]{1,10})?(\\+[a-z0-9.]{1,10})?",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Any string in any scheme: a version or an error, never a panic; and two
        /// parsed versions of one scheme always compare.
        #[test]
        fn parse_and_compare_never_panic(a in versionish(), b in versionish()) {
            for scheme in ALL {
                let (pa, pb) = (Version::parse(scheme, &a), Version::parse(scheme, &b));
                if let (Ok(x), Ok(y)) = (pa, pb) {
                    prop_assert!(x.cmp_same(&y).is_some());
                }
            }
        }
    }
}
