//! RubyGems versions (`Gem::Version`, as used by RubyGems, Bundler and rubygems.org).
//!
//! **Accepted spelling** is exactly `Gem::Version`'s pattern: digits first, then any
//! number of `.`-separated runs of ASCII letters and digits, then an optional `-` part
//! made of letters, digits and `-` (with further `.`-separated runs), e.g. `1.2.3`,
//! `1.0.a10`, `1.0a`, `2.0.0.rc1`, `1.0.0-alpha.1`. Surrounding ASCII whitespace is
//! removed, as `Gem::Version` does. Refused: the empty string (which `Gem::Version`
//! reads as `0`; an empty version is always a data error here), a leading letter or
//! `v` (`v1.0`, `junk`), empty runs (`1..2`, `1.`), whitespace inside and any other
//! character.
//!
//! **Meaning.** A `-` means `.pre.` (`Gem::Version` rewrites `1.0-1` to `1.0.pre.1`),
//! so every version with a `-` is a pre-release. The text is then split into segments
//! on dots and on every digit/letter transition (`1.0.a10` is `[1, 0, "a", 10]`); a
//! version with any letter is a pre-release.
//!
//! **Order** (`Gem::Version#<=>`): the *canonical segments* drop trailing zeros and
//! the zeros right before the first letter segment (`1.0.0.a` is `[1, "a"]`), so
//! `1 == 1.0 == 1.0.0` and `1.a == 1.0.a`. Canonical segments are compared one by
//! one, a missing segment counting as `0`: numbers numerically (of any size: digit
//! strings are compared by length, then lexically), letter runs by byte order (so
//! `B < a`), and any number is greater than any letter run, so `1.0.a < 1.0`.
//! Because the padding element `0` is itself an ordinary number, this is a genuine
//! total order and `==` is equality of canonical segments.
//!
//! **Why hand-written.** The `gem_version` crate on crates.io ports this logic, but
//! it is not exact: segments above `u32::MAX` are turned into *strings* (so they sort
//! below every number, a wrong "older"), and the empty string parses as `0`. It also
//! pulls in `regex`. The scheme is small, so it is implemented here with its own
//! table tests taken from RubyGems' test suite and documentation.

use std::cmp::Ordering;
use std::fmt;

use crate::{Scheme, SchemeKind, VersionError, check_len};

/// The RubyGems scheme.
#[derive(Debug, Clone, Copy)]
pub struct RubyGems;

/// One segment of a version: a run of digits or a run of letters.
#[derive(Clone, Debug)]
enum Segment {
    /// A number, kept as its decimal digits without leading zeros (`"0"` for zero),
    /// so any size compares exactly.
    Num(String),
    /// A run of ASCII letters, case preserved.
    Str(String),
}

impl Segment {
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Num(d) if d == "0")
    }
}

/// Compares two segments; `None` is a missing segment, which counts as `0`.
fn cmp_segment(a: Option<&Segment>, b: Option<&Segment>) -> Ordering {
    fn view(s: Option<&Segment>) -> Result<&str, &str> {
        match s {
            None => Ok("0"),
            Some(Segment::Num(d)) => Ok(d),
            Some(Segment::Str(s)) => Err(s),
        }
    }
    match (view(a), view(b)) {
        (Ok(x), Ok(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Err(x), Err(y)) => x.cmp(y),
        // A number is greater than a letter run: `1.0 > 1.0.a`.
        (Ok(_), Err(_)) => Ordering::Greater,
        (Err(_), Ok(_)) => Ordering::Less,
    }
}

/// A parsed RubyGems version.
#[derive(Clone)]
pub struct GemVersion {
    /// `Gem::Version#to_s`: the trimmed input with every `-` replaced by `.pre.`.
    text: String,
    /// `Gem::Version#canonical_segments`.
    canonical: Vec<Segment>,
    prerelease: bool,
}

impl GemVersion {
    /// Whether this is a pre-release (the version contains a letter, or a `-`).
    pub fn is_prerelease(&self) -> bool {
        self.prerelease
    }
}

impl fmt::Debug for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.text)
    }
}

/// Prints `Gem::Version#to_s`, the form RubyGems itself prints (`1.0-1` is shown as
/// `1.0.pre.1`). Equal versions may print differently (`1.0` and `1`).
impl fmt::Display for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for GemVersion {}
impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.canonical.len().max(other.canonical.len());
        (0..n)
            .map(|i| cmp_segment(self.canonical.get(i), other.canonical.get(i)))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl Scheme for RubyGems {
    type Version = GemVersion;
    const KIND: SchemeKind = SchemeKind::RubyGems;

    fn parse(input: &str) -> Result<Self::Version, VersionError> {
        check_len(SchemeKind::RubyGems, input)?;
        let err = |reason: &str| VersionError::new(SchemeKind::RubyGems, input, reason);
        // Ruby's `\s`: space, \t, \n, \v, \f, \r.
        let t = input.trim_matches([' ', '\t', '\n', '\x0B', '\x0C', '\r']);
        if t.is_empty() {
            return Err(err("empty version"));
        }
        check_pattern(t).map_err(err)?;

        let text = t.replace('-', ".pre.");
        let segments = split_segments(&text);
        let prerelease = segments.iter().any(|s| matches!(s, Segment::Str(_)));
        Ok(GemVersion {
            canonical: canonical_segments(segments),
            text,
            prerelease,
        })
    }
}

/// `Gem::Version`'s pattern:
/// `[0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`, anchored.
fn check_pattern(t: &str) -> Result<(), &'static str> {
    let b = t.as_bytes();
    let run = |mut i: usize, ok: fn(u8) -> bool| {
        let start = i;
        while i < b.len() && ok(b[i]) {
            i += 1;
        }
        (i > start).then_some(i)
    };
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    let alnum_dash = |c: u8| c.is_ascii_alphanumeric() || c == b'-';

    let mut i = run(0, |c| c.is_ascii_digit()).ok_or("a RubyGems version starts with a digit")?;
    while i < b.len() && b[i] == b'.' {
        i = run(i + 1, alnum)
            .ok_or("empty segment (a `.` must be followed by letters or digits)")?;
    }
    if i < b.len() && b[i] == b'-' {
        i = run(i + 1, alnum_dash).ok_or("nothing after `-`")?;
        while i < b.len() && b[i] == b'.' {
            i = run(i + 1, alnum_dash).ok_or("empty segment after `-`")?;
        }
    }
    if i != b.len() {
        return Err("only ASCII letters, digits, `.` and one `-` part are allowed");
    }
    Ok(())
}

/// `@version.scan(/[0-9]+|[a-z]+/i)`, numbers without leading zeros.
fn split_segments(text: &str) -> Vec<Segment> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let digit = b[i].is_ascii_digit();
        if !digit && !b[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len()
            && (if digit {
                b[i].is_ascii_digit()
            } else {
                b[i].is_ascii_alphabetic()
            })
        {
            i += 1;
        }
        let run = &text[start..i];
        out.push(if digit {
            let trimmed = run.trim_start_matches('0');
            Segment::Num(if trimmed.is_empty() { "0" } else { trimmed }.to_owned())
        } else {
            Segment::Str(run.to_owned())
        });
    }
    out
}

/// `Gem::Version#canonical_segments`: the numeric segments before the first letter
/// run and the segments from it on each lose their trailing zeros.
fn canonical_segments(mut segments: Vec<Segment>) -> Vec<Segment> {
    let first_str = segments
        .iter()
        .position(|s| matches!(s, Segment::Str(_)))
        .unwrap_or(segments.len());
    let mut tail = segments.split_off(first_str);
    while segments.last().is_some_and(Segment::is_zero) {
        segments.pop();
    }
    while tail.last().is_some_and(Segment::is_zero) {
        tail.pop();
    }
    segments.extend(tail);
    segments
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_tests::{assert_ascending, assert_equal, check_total_order};
    use proptest::prelude::*;

    fn v(s: &str) -> GemVersion {
        RubyGems::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The ordering example of the `Gem::Version` class documentation
    /// (lib/rubygems/version.rb: "Prereleases sort between real releases"), with the
    /// `1.0.a10 > 1.0.a9` example of the same text.
    #[test]
    fn documentation_ordering() {
        assert_ascending::<RubyGems>(&["0.9", "1.0.a.2", "1.0.b1", "1.0"]);
        assert_ascending::<RubyGems>(&["1.0.a9", "1.0.a10"]);
    }

    /// `test_spaceship` of RubyGems' test/rubygems/test_gem_version.rb.
    #[test]
    fn spaceship_from_rubygems_tests() {
        assert_equal::<RubyGems>("1.0", "1.0.0");
        assert_ascending::<RubyGems>(&["1.0.a", "1.0"]);
        assert_ascending::<RubyGems>(&["0.0.0", "1.8.2"]);
        assert_ascending::<RubyGems>(&["1.8.2.a", "1.8.2.b", "1.8.2"]);
        assert_ascending::<RubyGems>(&["1.8.2.a9", "1.8.2.a10"]);
        assert_equal::<RubyGems>("0.beta.1", "0.0.beta.1");
        assert_ascending::<RubyGems>(&["0.0.beta", "0.0.beta.1"]);
        assert_ascending::<RubyGems>(&["0.0.beta", "0.beta.1"]);
        assert_ascending::<RubyGems>(&["5.a", "5.0.0.rc2", "5.x"]);
        assert_equal::<RubyGems>("1.9.3", "1.9.3");
        assert_ascending::<RubyGems>(&["1.9.2.99", "1.9.3", "1.9.3.1"]);
    }

    /// `test_semver` of test_gem_version.rb: SemVer-style pre-releases through `-`.
    #[test]
    fn semver_style_from_rubygems_tests() {
        assert_ascending::<RubyGems>(&[
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ]);
        assert_ascending::<RubyGems>(&["1.0.0-rc1", "1.0.0"]);
        assert_ascending::<RubyGems>(&["1.0.0-1", "1"]);
        // `-rc1` and `-rc.1` are the same segments ("pre", "rc", 1).
        assert_equal::<RubyGems>("1.0.0-rc1", "1.0.0-rc.1");
        assert_equal::<RubyGems>("1.0-1", "1.0.pre.1");
    }

    /// The cases listed in the task description and the `canonical_segments` test.
    #[test]
    fn canonical_segments_and_prereleases() {
        assert_ascending::<RubyGems>(&["1.0.0.a.1", "1.0.0"]);
        assert_ascending::<RubyGems>(&["1.0.b1", "1.0.rc1"]);
        assert_ascending::<RubyGems>(&["5.0.0.rc1", "5.0.0"]);
        assert_equal::<RubyGems>("1.0", "1");
        assert_equal::<RubyGems>("1.0.0", "1");
        assert_equal::<RubyGems>("1.0.0.a.1.0", "1.a.1");
        assert_equal::<RubyGems>("1.0a", "1.0.a");
        assert_equal::<RubyGems>("1.0.a10", "1.0.a.10");
        assert_equal::<RubyGems>("1.01", "1.1");
        // Letter runs compare by byte order, so upper case sorts first.
        assert_ascending::<RubyGems>(&["1.B", "1.a"]);
    }

    /// `test_prerelease` of test_gem_version.rb.
    #[test]
    fn prerelease_flag() {
        for pre in [
            "1.2.0.a",
            "2.9.b",
            "22.1.50.0.d",
            "1.2.d.42",
            "1.A",
            "1-1",
            "1-a",
        ] {
            assert!(v(pre).is_prerelease(), "{pre}");
        }
        for rel in ["1.2.0", "2.9", "22.1.50.0"] {
            assert!(!v(rel).is_prerelease(), "{rel}");
        }
    }

    /// `test_initialize`: surrounding whitespace is ignored.
    #[test]
    fn surrounding_whitespace() {
        for good in ["1.0 ", " 1.0 ", "1.0\n", "\n1.0\n", "\t1.0\r\n"] {
            assert_equal::<RubyGems>("1.0", good);
        }
    }

    #[test]
    fn display_is_gem_version_to_s() {
        assert_eq!(v(" 1.0.0-alpha.1 ").to_string(), "1.0.0.pre.alpha.1");
        assert_eq!(v("1.0a").to_string(), "1.0a");
    }

    #[test]
    fn huge_numbers_compare_exactly() {
        assert_ascending::<RubyGems>(&[
            "1.4294967295",
            "1.4294967296",
            "1.99999999999999999999999",
            "1.100000000000000000000000",
        ]);
        assert_equal::<RubyGems>("1.000000000000000000000000000001", "1.1");
    }

    /// `test_initialize_invalid` of test_gem_version.rb, plus refusals of this module.
    #[test]
    fn refuses_what_is_not_a_gem_version() {
        for bad in [
            "",
            "   ",
            "junk",
            "1.0\n2.0",
            "1..2",
            "1.2 3.4",
            "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.",
            "v1.0",
            "1a",
            ".1",
            "1.",
            "1.0-",
            "1.0-a..b",
            "1.0_1",
            "1.0+1",
            "1,0",
            "1.0-é",
        ] {
            let e = RubyGems::parse(bad).expect_err(bad);
            assert_eq!(e.scheme, SchemeKind::RubyGems);
            assert_eq!(e.input, bad);
        }
    }

    fn segment() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (0u32..12).prop_map(|n| n.to_string()),
            1 => Just("0".to_owned()),
            1 => Just("00".to_owned()),
            1 => Just("18446744073709551616".to_owned()),
            2 => prop::sample::select(vec!["a", "b", "rc", "pre", "beta", "B", "x"]).prop_map(String::from),
            2 => (prop::sample::select(vec!["a", "b", "rc", "A"]), 0u8..12).prop_map(|(l, n)| format!("{l}{n}")),
        ]
    }

    /// Valid `Gem::Version` spellings: numeric releases, letter segments, glued
    /// letters (`1.0a`), trailing zeros, and `-` parts.
    fn arb_gem() -> impl Strategy<Value = String> {
        (
            0u16..12,
            prop::collection::vec(segment(), 0..5),
            prop::option::weighted(0.3, prop::collection::vec(segment(), 1..3)),
            prop::option::weighted(0.2, prop::sample::select(vec!["a", "rc1", "0"])),
            0u8..3,
        )
            .prop_map(|(first, rest, dash, glued, zeros)| {
                let mut s = first.to_string();
                let glue_onto_first = rest.is_empty();
                for seg in rest {
                    s.push('.');
                    s.push_str(&seg);
                }
                if let Some(g) = glued {
                    // Letters may only be glued onto a `.`-separated segment.
                    if glue_onto_first {
                        s.push_str(".0");
                    }
                    s.push_str(g);
                }
                for _ in 0..zeros {
                    s.push_str(".0");
                }
                if let Some(d) = dash {
                    s.push('-');
                    s.push_str(&d.join("."));
                }
                s
            })
    }

    proptest! {
        #[test]
        fn total_order(vs in prop::collection::vec(arb_gem(), 2..24)) {
            check_total_order::<RubyGems>(&vs);
        }

        #[test]
        fn display_reparses_to_an_equal_version(s in arb_gem()) {
            let parsed = v(&s);
            prop_assert_eq!(v(&parsed.to_string()), parsed);
        }

        #[test]
        fn trailing_zeros_do_not_matter(s in arb_gem()) {
            prop_assert_eq!(v(&format!("{s}.0.0")), v(&s));
        }

        #[test]
        fn letters_make_a_prerelease_of_the_release_before_them(n in prop::collection::vec(0u8..9, 1..4), l in "[a-z]{1,3}") {
            let release = n.iter().map(u8::to_string).collect::<Vec<_>>().join(".");
            let pre = v(&format!("{release}.{l}"));
            prop_assert!(pre.is_prerelease());
            prop_assert!(pre < v(&release));
        }
    }
}
