//! NuGet versions (`NuGet.Versioning.NuGetVersion`, compared with `VersionComparer.Default`).
//!
//! **Accepted spelling**, as `NuGetVersion.Parse` accepts it: one to four
//! `.`-separated numbers (`1`, `1.0`, `1.0.0`, `1.0.0.0`; missing parts are 0, leading
//! zeros are allowed, each number must fit in a non-negative `Int32`), then an optional
//! SemVer 2.0 pre-release after `-` (dot-separated labels of ASCII letters, digits and
//! `-`; no empty label; no leading zero in an all-digit label) and optional build
//! metadata after `+` (dot-separated, non-empty, same characters, leading zeros
//! allowed). Surrounding whitespace is trimmed, as NuGet does.
//!
//! Refused, deliberately: a leading `v` (`v1.0.0`; NuGet refuses it too), blanks
//! inside (`19.   19`; NuGet's parser tolerates blanks around the numbers, but no
//! package carries such a version, so it is reported instead of guessed),
//! empty parts (`1..2`, `1.`, `1.0.0-`), more than four numbers, numbers above
//! `Int32.MaxValue` (an error, never a wrap-around) and any other character.
//!
//! **Order** (`VersionComparer.Default`): major, minor, patch and revision numerically;
//! then a release sorts after every pre-release of the same numbers; pre-releases
//! compare label by label: labels that `Int32.TryParse` accepts compare as numbers and
//! sort before the other labels, which compare ordinally and **case-insensitively**;
//! when one label list is a prefix of the other, the shorter sorts first. Build
//! metadata is ignored. So `1.0 == 1.0.0 == 1.0.0.0`, `01.0 == 1.0` and
//! `1.0.0-BETA == 1.0.0-beta`. (A label such as `99999999999` does not fit an `Int32`,
//! so NuGet, and this module, compare it as text; a label such as `-1`, which NuGet
//! accepts, is the number −1.)
//!
//! **Why hand-written.** No crate on crates.io implements `NuGetVersion` parsing and
//! precedence (case-insensitive labels, four-part versions, `Int32` limits); the
//! SemVer crates are case-sensitive and three-part only. The rules above are taken
//! from NuGet.Client's `NuGetVersionFactory`, `SemanticVersionFactory` and
//! `VersionComparer`, and the table tests from its test suite and documentation.

use std::cmp::Ordering;
use std::fmt;

use crate::{Scheme, SchemeKind, VersionError, check_len};

/// The NuGet scheme.
#[derive(Debug, Clone, Copy)]
pub struct NuGet;

/// One pre-release label.
#[derive(Clone, Debug)]
struct Label {
    text: String,
    /// The label's value when `Int32.TryParse` accepts it.
    number: Option<i32>,
}

fn cmp_label(a: &Label, b: &Label) -> Ordering {
    match (a.number, b.number) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        // StringComparer.OrdinalIgnoreCase on ASCII letters, digits and `-`.
        (None, None) => a
            .text
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.text.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

/// A parsed NuGet version.
#[derive(Clone)]
pub struct NuGetVersion {
    /// Major, minor, patch and revision (each at most `i32::MAX`).
    numbers: [u32; 4],
    /// Pre-release labels; empty for a release.
    labels: Vec<Label>,
    /// Build metadata, kept for inspection but ignored by the order.
    metadata: Option<String>,
}

impl NuGetVersion {
    /// Whether this is a pre-release.
    pub fn is_prerelease(&self) -> bool {
        !self.labels.is_empty()
    }

    /// The build metadata after `+`, if any (ignored by the order).
    pub fn metadata(&self) -> Option<&str> {
        self.metadata.as_deref()
    }
}

/// NuGet's normalised form (`ToNormalizedString`): three numbers, the revision only
/// when it is not zero, the labels, and no build metadata.
impl fmt::Display for NuGetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch, revision] = self.numbers;
        write!(f, "{major}.{minor}.{patch}")?;
        if revision > 0 {
            write!(f, ".{revision}")?;
        }
        for (i, label) in self.labels.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            f.write_str(&label.text)?;
        }
        Ok(())
    }
}

impl fmt::Debug for NuGetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)?;
        if let Some(m) = &self.metadata {
            write!(f, "+{m}")?;
        }
        Ok(())
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for NuGetVersion {}
impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.labels.iter().zip(&other.labels) {
                        let o = cmp_label(a, b);
                        if o.is_ne() {
                            return o;
                        }
                    }
                    self.labels.len().cmp(&other.labels.len())
                }
            }
        })
    }
}

impl Scheme for NuGet {
    type Version = NuGetVersion;
    const KIND: SchemeKind = SchemeKind::NuGet;

    fn parse(input: &str) -> Result<Self::Version, VersionError> {
        check_len(SchemeKind::NuGet, input)?;
        let err = |reason: String| VersionError::new(SchemeKind::NuGet, input, reason);
        let t = input.trim();
        if t.starts_with(['v', 'V']) {
            return Err(err("NuGet versions have no `v` prefix".into()));
        }
        // As NuGet's ParseSections: the numbers end at the first `-` or `+`; the
        // labels run from that `-` to the next `+`; the metadata is the rest.
        let (core, rest) = match t.find(['-', '+']) {
            Some(i) => (&t[..i], Some(&t[i..])),
            None => (t, None),
        };
        let numbers = parse_numbers(core).map_err(err)?;
        let (labels, metadata) = match rest {
            None => (Vec::new(), None),
            Some(rest) => {
                let (labels, metadata) = match rest.strip_prefix('-') {
                    Some(after_dash) => match after_dash.split_once('+') {
                        Some((l, m)) => (Some(l), Some(m)),
                        None => (Some(after_dash), None),
                    },
                    None => (None, rest.strip_prefix('+')),
                };
                let labels = match labels {
                    Some(l) => parse_labels(l).map_err(err)?,
                    None => Vec::new(),
                };
                if let Some(m) = metadata {
                    check_metadata(m).map_err(err)?;
                }
                (labels, metadata.map(str::to_owned))
            }
        };
        Ok(NuGetVersion {
            numbers,
            labels,
            metadata,
        })
    }
}

fn parse_numbers(core: &str) -> Result<[u32; 4], String> {
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 4 {
        return Err(format!(
            "at most four numbers are allowed, found {}",
            parts.len()
        ));
    }
    let mut numbers = [0u32; 4];
    for (slot, part) in numbers.iter_mut().zip(&parts) {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "{part:?} is not a number (expected Major.Minor[.Patch[.Revision]])"
            ));
        }
        *slot = part
            .parse::<u32>()
            .ok()
            .filter(|n| i32::try_from(*n).is_ok())
            .ok_or_else(|| format!("{part} does not fit a 32-bit signed integer"))?;
    }
    Ok(numbers)
}

fn is_label_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-'
}

fn parse_labels(s: &str) -> Result<Vec<Label>, String> {
    s.split('.')
        .map(|part| {
            if part.is_empty() {
                return Err("empty pre-release label".to_owned());
            }
            if !part.bytes().all(is_label_char) {
                return Err(format!(
                    "pre-release label {part:?} may only hold ASCII letters, digits and `-`"
                ));
            }
            if part.len() > 1 && part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "numeric pre-release label {part:?} has a leading zero"
                ));
            }
            Ok(Label {
                text: part.to_owned(),
                // Int32.TryParse: an optional sign and digits, within i32 (a `+`
                // cannot occur in a label).
                number: part.parse::<i32>().ok(),
            })
        })
        .collect()
}

fn check_metadata(s: &str) -> Result<(), String> {
    for part in s.split('.') {
        if part.is_empty() || !part.bytes().all(is_label_char) {
            return Err(format!(
                "build metadata part {part:?} must be non-empty ASCII letters, digits or `-`"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_tests::{assert_ascending, assert_equal, check_total_order};
    use proptest::prelude::*;

    fn v(s: &str) -> NuGetVersion {
        NuGet::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The pre-release sort example of the NuGet documentation ("Package versioning",
    /// section "Pre-release versions"), there listed from highest to lowest.
    #[test]
    fn documentation_prerelease_order() {
        assert_ascending::<NuGet>(&[
            "1.0.1-aaa",
            "1.0.1-alpha10",
            "1.0.1-alpha2",
            "1.0.1-beta",
            "1.0.1-open",
            "1.0.1-rc.2",
            "1.0.1-rc.10",
            "1.0.1-zzz",
            "1.0.1",
        ]);
    }

    /// NuGet.Client test/NuGet.Core.Tests/NuGet.Versioning.Test/VersionComparerTests.cs
    /// (`VersionComparisonDefaultEqual`, `...EqualWithNuGetVersion`, `...Less`).
    #[test]
    fn version_comparer_tests() {
        for (a, b) in [
            ("1.0.0", "1.0.0"),
            ("1.0.0-BETA", "1.0.0-beta"),
            ("1.0.0-BETA+AA", "1.0.0-beta+aa"),
            ("1.0.0-BETA.X.y.5.77.0+AA", "1.0.0-beta.x.y.5.77.0+aa"),
            ("1.0.0", "1.0.0+beta"),
            ("1.0", "1.0.0.0"),
            ("1.0+test", "1.0.0.0"),
            ("1.0.0.1-1.2.A", "1.0.0.1-1.2.a+A"),
            ("1.0.01", "1.0.1.0"),
        ] {
            assert_equal::<NuGet>(a, b);
        }
        for (a, b) in [
            ("1.0", "1.0.0.1"),
            ("1.0+test", "1.0.0.1"),
            ("1.0.0.1-1.2.A", "1.0.0.1-1.2.a.A+A"),
            ("1.0.01", "1.0.1.2"),
            ("0.0.0", "1.0.0"),
            ("1.0.0", "1.1.0"),
            ("1.0.0", "1.0.1"),
            ("1.999.9999", "2.1.1"),
            ("1.0.0-BETA", "1.0.0-beta2"),
            ("1.0.0-beta+AA", "1.0.0+aa"),
            ("1.0.0-BETA", "1.0.0-beta.1+AA"),
            ("1.0.0-BETA.X.y.5.77.0+AA", "1.0.0-beta.x.y.5.79.0+aa"),
            ("1.0.0-BETA.X.y.5.79.0+AA", "1.0.0-beta.x.y.5.790.0+abc"),
        ] {
            assert_ascending::<NuGet>(&[a, b]);
        }
    }

    /// NuGet.Client NuGetVersionTest.cs (`SemVerLessThanAndGreaterThanOperatorsWorks`,
    /// `SemVerEqualsOperatorWorks`, `ParseReadsLegacyStyleVersionNumbers`) and
    /// VersionParsingTests.cs (`VersionLength`).
    #[test]
    fn nuget_version_tests() {
        for (a, b) in [
            ("1.0", "1.0.1"),
            ("1.23", "1.231"),
            ("1.4.5.6", "1.45.6"),
            ("1.4.5.6", "1.4.5.60"),
            ("1.01", "1.10"),
            ("1.01-alpha", "1.10-beta"),
            ("1.01.0-RC-1", "1.10.0-rc-2"),
            ("1.01-RC-1", "1.01"),
            ("1.01", "1.2-preview"),
        ] {
            assert_ascending::<NuGet>(&[a, b]);
        }
        for (a, b) in [
            ("1.0", "1.0.0.0"),
            ("1.23.01", "1.23.1"),
            ("1.45.6", "1.45.6.0"),
            ("1.45.6-Alpha", "1.45.6-Alpha"),
            ("1.6.2-BeTa", "1.6.02-beta"),
            ("22.3.07     ", "22.3.07"),
            ("1.0", "1.0.0.0+beta"),
            ("1.0.0.0+beta.2", "1.0.0.0+beta.1"),
            ("1.022", "1.22.0.0"),
            ("2", "2.0.0"),
            ("2.0.0.0", "2.0.0"),
            ("  1.022-Beta", "1.22-beta"),
        ] {
            assert_equal::<NuGet>(a, b);
        }
    }

    /// SemVer 2.0 section 11 example, which NuGet follows for pre-releases.
    #[test]
    fn semver_precedence_example() {
        assert_ascending::<NuGet>(&[
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
    fn int32_labels_are_numbers_others_are_text() {
        // `99999999999` does not fit Int32, so it is text and sorts after numbers.
        assert_ascending::<NuGet>(&["1.0.0-2147483647", "1.0.0-99999999999", "1.0.0-a"]);
        // `-1` is a label NuGet accepts and Int32.TryParse reads as −1.
        assert_ascending::<NuGet>(&["1.0.0--1", "1.0.0-0", "1.0.0-1"]);
        assert_equal::<NuGet>("1.0.0--0", "1.0.0-0");
    }

    #[test]
    fn display_is_the_normalised_form() {
        assert_eq!(v("1.0").to_string(), "1.0.0");
        assert_eq!(v("1.0.0009.01-1.1+A").to_string(), "1.0.9.1-1.1");
        assert_eq!(v("01.42.0-Alpha.1").to_string(), "1.42.0-Alpha.1");
        assert_eq!(v("1.0+A").metadata(), Some("A"));
        assert!(v("3.4.0.3-RC-3").is_prerelease());
    }

    /// NuGet.Client NuGetVersionTest.cs `ParseThrowsIfStringIsNotAValidSemVer` (the
    /// strings NuGet refuses), plus the refusals of this module.
    #[test]
    fn refuses_what_is_not_a_nuget_version() {
        for bad in [
            "",
            "         ",
            "1beta",
            "1.2Av^c",
            "1.2..",
            "1.2.3.4.5",
            "1.2.3.Beta",
            "1.2.3.4This version is full of awesomeness!!",
            "So.is.this",
            "1.34.2Alpha",
            "1.34.2Release Candidate",
            "1.4.7-",
            "1.4.7-*",
            "1.4.7+*",
            "1.4.7-AA.01^",
            "1.4.7-AA.0A^",
            "1.4.7-A^A",
            "1.4.7+AA.01^",
            "1.2147483648",
            "1.1.2147483648",
            "1.1.1.2147483648",
            "10000000000000000000",
            "1.10000000000000000000",
            "1..2",
            "....",
            "..1",
            "-1.1.1.1",
            "1.-1.1.1",
            "1.",
            "1.1.1.1.",
            "1     1.1.1.1",
            "2147483648.2.3.4",
            // Refused here although NuGet's parser tolerates it.
            "   19.   19",
            // Refused by this module and by NuGet.
            "v1.0.0",
            "1.0.0-01",
            "1.0.0-alpha..1",
            "1.0.0+",
            "1.0.0-alpha+",
            "1.0.0+a+b",
            "1.0.0-é",
        ] {
            let e = NuGet::parse(bad).expect_err(bad);
            assert_eq!(e.scheme, SchemeKind::NuGet);
            assert_eq!(e.input, bad);
        }
    }

    fn label() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u16..12).prop_map(|n| n.to_string()),
            prop::sample::select(vec![
                "alpha",
                "ALPHA",
                "Alpha",
                "beta",
                "rc",
                "RC",
                "rc-1",
                "a1",
                "0a",
                "-1",
                "zz",
                "99999999999",
            ])
            .prop_map(String::from),
        ]
    }

    /// NuGet spellings: one to four numbers (with leading zeros), labels in mixed
    /// case, build metadata.
    fn arb_nuget() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(0u8..4, 1..5),
            any::<bool>(),
            prop::option::of(prop::collection::vec(label(), 1..4)),
            prop::option::weighted(
                0.2,
                prop::sample::select(vec!["b1", "build.5", "sha-abc.01"]),
            ),
        )
            .prop_map(|(numbers, zero_pad, labels, meta)| {
                let mut s = numbers
                    .iter()
                    .map(|n| {
                        if zero_pad {
                            format!("0{n}")
                        } else {
                            n.to_string()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(".");
                if let Some(l) = labels {
                    s.push('-');
                    s.push_str(&l.join("."));
                }
                if let Some(m) = meta {
                    s.push('+');
                    s.push_str(m);
                }
                s
            })
    }

    proptest! {
        #[test]
        fn total_order(vs in prop::collection::vec(arb_nuget(), 2..24)) {
            check_total_order::<NuGet>(&vs);
        }

        #[test]
        fn display_reparses_to_an_equal_version(s in arb_nuget()) {
            let parsed = v(&s);
            prop_assert_eq!(v(&parsed.to_string()), parsed);
        }

        #[test]
        fn case_and_metadata_do_not_matter(s in arb_nuget()) {
            let parsed = v(&s);
            let core = s.split('+').next().unwrap_or_default();
            prop_assert_eq!(v(&core.to_ascii_uppercase()), parsed.clone());
            prop_assert_eq!(v(&format!("{core}+other.meta")), parsed);
        }

        #[test]
        fn never_panics(s in "[0-9v.+a-zA-Z-]{0,40}") {
            let _ = NuGet::parse(&s);
        }
    }
}
