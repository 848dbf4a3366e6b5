//! SemVer 2.0 versions (crates.io, npm, Hex).
//!
//! Parsing is the `semver` crate's strict SemVer 2.0 grammar (three numeric parts,
//! no leading zeros, dot-separated pre-release identifiers, build metadata). The one
//! leniency is npm's: a single leading `v` or `=` and surrounding blanks are removed,
//! as `npm` itself does, since the meaning is unambiguous.
//!
//! Ordering is SemVer 2.0 *precedence* (section 11): build metadata is ignored, so
//! `1.0.0+a == 1.0.0+b`. The `semver` crate's own `Ord` also orders build metadata,
//! which is why this module wraps its `Version` and compares with `cmp_precedence`.

use std::cmp::Ordering;
use std::fmt;

use crate::{Scheme, SchemeKind, VersionError, check_len};

/// The SemVer 2.0 scheme.
#[derive(Debug, Clone, Copy)]
pub struct SemVer;

/// A SemVer 2.0 version ordered by precedence.
#[derive(Clone)]
pub struct SemVersion(pub ::semver::Version);

impl SemVersion {
    /// The major version number.
    pub fn major(&self) -> u64 {
        self.0.major
    }
}

impl fmt::Debug for SemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for SemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl PartialEq for SemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for SemVersion {}
impl PartialOrd for SemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for SemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0)
    }
}

/// Parses strict SemVer 2.0 text (no prefix handling) for this crate's schemes.
pub(crate) fn parse_strict(
    scheme: SchemeKind,
    original: &str,
    text: &str,
) -> Result<::semver::Version, VersionError> {
    ::semver::Version::parse(text).map_err(|e| VersionError::new(scheme, original, e.to_string()))
}

impl Scheme for SemVer {
    type Version = SemVersion;
    const KIND: SchemeKind = SchemeKind::SemVer;

    fn parse(input: &str) -> Result<Self::Version, VersionError> {
        check_len(SchemeKind::SemVer, input)?;
        let t = input.trim();
        let t = t.strip_prefix(['v', '=']).unwrap_or(t);
        parse_strict(SchemeKind::SemVer, input, t).map(SemVersion)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::order_tests::{assert_ascending, assert_equal, check_total_order};
    use proptest::prelude::*;

    /// The precedence examples of SemVer 2.0, section 11.
    #[test]
    fn spec_section_11() {
        assert_ascending::<SemVer>(&["1.0.0", "2.0.0", "2.1.0", "2.1.1"]);
        assert_ascending::<SemVer>(&["1.0.0-alpha", "1.0.0"]);
        assert_ascending::<SemVer>(&[
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ]);
    }

    #[test]
    fn build_metadata_is_ignored() {
        assert_equal::<SemVer>("1.0.0+build.1", "1.0.0+build.2");
        assert_equal::<SemVer>("1.0.0-alpha+001", "1.0.0-alpha");
        assert_equal::<SemVer>("1.0.0", "v1.0.0");
        assert_equal::<SemVer>("1.0.0", "=1.0.0");
    }

    #[test]
    fn numeric_identifiers_compare_numerically_and_below_alphanumerics() {
        assert_ascending::<SemVer>(&["1.0.0-2", "1.0.0-10", "1.0.0-a", "1.0.0-a.0"]);
        // "0.0.0-0" is the smallest version with major 0: RustSec uses it for "any".
        assert_ascending::<SemVer>(&["0.0.0-0", "0.0.0", "0.0.1-0", "0.0.1"]);
    }

    #[test]
    fn refuses_non_semver() {
        for bad in [
            "",
            "1",
            "1.0",
            "1.0.0.0",
            "01.0.0",
            "1.0.0-",
            "1.0.0-01",
            "1.0.0+",
            "a.b.c",
            "1.0.0-alpha..1",
            "18446744073709551616.0.0",
            "vv1.0.0",
            "1.0.0 1",
        ] {
            let e = SemVer::parse(bad).expect_err(bad);
            assert_eq!(e.scheme, SchemeKind::SemVer);
        }
    }

    fn ident() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u16..30).prop_map(|n| n.to_string()),
            prop::sample::select(vec!["alpha", "beta", "rc", "a1", "x-y", "0a"])
                .prop_map(String::from),
        ]
    }

    pub(crate) fn arb_semver() -> impl Strategy<Value = String> {
        (
            0u8..4,
            0u8..4,
            0u8..4,
            prop::option::of(prop::collection::vec(ident(), 1..4)),
            prop::option::weighted(0.2, prop::sample::select(vec!["b1", "build.5", "sha.abc"])),
        )
            .prop_map(|(a, b, c, pre, build)| {
                let mut s = format!("{a}.{b}.{c}");
                if let Some(pre) = pre {
                    s.push('-');
                    s.push_str(&pre.join("."));
                }
                if let Some(b) = build {
                    s.push('+');
                    s.push_str(b);
                }
                s
            })
    }

    proptest! {
        #[test]
        fn total_order(vs in prop::collection::vec(arb_semver(), 2..24)) {
            check_total_order::<SemVer>(&vs);
        }

        #[test]
        fn prerelease_sorts_before_release(v in arb_semver()) {
            let parsed = SemVer::parse(&v).unwrap();
            let release = SemVer::parse(&format!("{}.{}.{}", parsed.0.major, parsed.0.minor, parsed.0.patch)).unwrap();
            if parsed.0.pre.is_empty() {
                prop_assert_eq!(parsed, release);
            } else {
                prop_assert!(parsed < release);
            }
        }
    }
}
