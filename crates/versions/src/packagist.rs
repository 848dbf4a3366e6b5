//! Composer versions (Packagist): `Composer\Semver\VersionParser::normalize`, ordered
//! by PHP's `version_compare` on the normalised strings, as `Composer\Semver\Comparator`
//! and Composer's solver order them.
//!
//! **Accepted spelling** (what `normalize` turns into a version, composer/semver 3.x):
//!
//! * classical versions: an optional `v`, one to five digits, then up to three
//!   `.number` parts (`1`, `1.2`, `v1.2.3`, `1.2.3.4`); missing parts become `.0`
//!   (`1.2` is `1.2.0.0`), leading zeros are kept as written (`00.01` is `00.01.0.0`,
//!   equal to `0.1.0.0` in order);
//! * date versions: four digits then one to six two-digit groups and up to two one- to
//!   three-digit groups, optionally separated by `.`, `:` or `-` (`20100102`,
//!   `2010-01-02`, `20100102-203040`), normalised by turning separators into dots
//!   (`2010.01.02` itself is a classical version, `2010.01.02.0`);
//! * then an optional stability: `[._-]?` followed by `alpha`/`a`, `beta`/`b`, `RC`,
//!   `patch`/`pl`/`p` or `stable` (any case), optional numbers (`-beta.2`, `RC1`,
//!   `-alpha-2.1`), and an optional `-dev` (`1.0.0-beta2-dev`, `1.0-dev`);
//!   normalised as Composer does (`1.0.0beta2` is `1.0.0.0-beta2`, `1.0.0-rc1` is
//!   `1.0.0.0-RC1`, `1.0.0-p1` is `1.0.0.0-patch1`, `1.0.0-stable` is `1.0.0.0`);
//! * optional build metadata after `+`, dropped (`1.0.0+build` is `1.0.0.0`).
//!
//! Surrounding blanks are trimmed as PHP's `trim` does.
//!
//! **Refused**, so that callers report the version as unverifiable:
//! * branches, which `version_compare` cannot order: `dev-main`, `master`, `trunk`,
//!   `default`, `1.x-dev`, `1.0.x-dev`, and the normalised branch aliases Composer
//!   derives from them (a `-dev` version with a `9999999` part, such as
//!   `1.9999999.9999999.9999999-dev` or `9999999-dev`); a plain numeric `-dev`
//!   (`1.0-dev`, `1.0.0-beta2-dev`) is a development pre-release and is accepted;
//! * constraint syntax (`^1.2`, `~1`, `1.*`, `1.0@dev`, `1.0 as 2.0`);
//! * `stable` in another case than lower case (`1.0-STABLE`), which Composer
//!   normalises to a `-stable` suffix that `version_compare` sorts below `dev`;
//! * numbers above `i64::MAX` (PHP's `version_compare` saturates them, so they would
//!   compare equal to each other);
//! * anything else `normalize` rejects (`1.0.0-meh`, `1.0.1-SNAPSHOT`, `1.0.0.0.0`).
//!
//! **Order** (`version_compare` on the normalised string): the string is split into
//! number and word parts; numbers compare numerically; words by their special form,
//! `dev` < `alpha` = `a` < `beta` = `b` < `RC` = `rc` < (a number) < `patch` = `pl` =
//! `p`; a number outranks `dev`..`RC` and is outranked by `patch`. When one version runs
//! out of parts, a remaining number makes the other side greater, a remaining word is
//! compared with the rank of a number: so `1.0.0.0-beta < 1.0.0.0 < 1.0.0.0-patch1`,
//! and `1.0.0.0-dev < 1.0.0.0-alpha`. This is a total order (the end of a version is
//! an element of its own, between `RC` and the numbers). Note that, exactly as in
//! Composer, a date version without a fourth part sorts below its classical
//! spelling (`2010-01-02` < `2010.01.02`, because `2010.01.02` < `2010.01.02.0` for
//! `version_compare`).
//!
//! **Why hand-written.** The crates.io ports of composer/semver are either young
//! single-maintainer releases (`semver-php` 0.1) or licensed under the EUPL and
//! requiring a newer Rust than this workspace (`composer-semver`); this module needs
//! only `normalize` and `version_compare`, written here from composer/semver's
//! `VersionParser` and PHP's `ext/standard/versioning.c`, with tables from their tests
//! and documentation.

use std::cmp::Ordering;
use std::fmt;

use crate::{Scheme, SchemeKind, VersionError, check_len};

/// The Packagist (Composer) scheme.
#[derive(Debug, Clone, Copy)]
pub struct Packagist;

/// One part of `version_compare`'s canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Num(u64),
    /// A word, by its special-form rank: dev 0, alpha 1, beta 2, RC 3, patch 5.
    Word(u8),
}

/// The special-form rank `version_compare` gives a number.
const NUMBER_RANK: u8 = 4;

fn cmp_part(a: Part, b: Part) -> Ordering {
    match (a, b) {
        (Part::Num(x), Part::Num(y)) => x.cmp(&y),
        (Part::Word(x), Part::Word(y)) => x.cmp(&y),
        (Part::Num(_), Part::Word(y)) => NUMBER_RANK.cmp(&y),
        (Part::Word(x), Part::Num(_)) => x.cmp(&NUMBER_RANK),
    }
}

/// `a` against the end of the other version.
fn cmp_part_with_end(a: Part) -> Ordering {
    match a {
        Part::Num(_) => Ordering::Greater,
        Part::Word(x) => x.cmp(&NUMBER_RANK),
    }
}

/// A Composer version, normalised.
#[derive(Clone)]
pub struct ComposerVersion {
    /// `VersionParser::normalize`'s result, e.g. `1.0.0.0-RC1`.
    normalized: String,
    parts: Vec<Part>,
}

impl ComposerVersion {
    /// The stability Composer derives from the version: `dev`, `alpha`, `beta`, `RC`
    /// or `stable` (`patch` versions are stable).
    pub fn stability(&self) -> &'static str {
        if self.parts.last() == Some(&Part::Word(0)) {
            return "dev";
        }
        match self.parts.iter().find_map(|p| match p {
            Part::Word(r) => Some(*r),
            Part::Num(_) => None,
        }) {
            Some(1) => "alpha",
            Some(2) => "beta",
            Some(3) => "RC",
            _ => "stable",
        }
    }
}

/// Prints the normalised form, as Composer stores it (`version_normalized`).
impl fmt::Display for ComposerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized)
    }
}

impl fmt::Debug for ComposerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized)
    }
}

impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for ComposerVersion {}
impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let mut a = self.parts.iter();
        let mut b = other.parts.iter();
        loop {
            let o = match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (Some(&x), None) => cmp_part_with_end(x),
                (None, Some(&y)) => cmp_part_with_end(y).reverse(),
                (Some(&x), Some(&y)) => cmp_part(x, y),
            };
            if o.is_ne() {
                return o;
            }
        }
    }
}

impl Scheme for Packagist {
    type Version = ComposerVersion;
    const KIND: SchemeKind = SchemeKind::Packagist;

    fn parse(input: &str) -> Result<Self::Version, VersionError> {
        check_len(SchemeKind::Packagist, input)?;
        normalize(input).map_err(|reason| VersionError::new(SchemeKind::Packagist, input, reason))
    }
}

/// The stability words of Composer's modifier pattern, in the pattern's order.
const STABILITY_WORDS: [&str; 9] = [
    "stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p",
];

/// The captures of Composer's modifier pattern
/// `[._-]?(?:(stable|beta|b|RC|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?$` (case
/// insensitive).
struct Modifier<'a> {
    word: Option<&'a str>,
    numbers: &'a str,
    dev: bool,
}

fn normalize(input: &str) -> Result<ComposerVersion, String> {
    // PHP's trim: space, \t, \n, \r, \0 and \x0B.
    let version = input.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0B']);
    if version.is_empty() {
        return Err("empty version".into());
    }
    if let Some(c) = version.chars().find(|c| !c.is_ascii_graphic()) {
        return Err(format!("unexpected character {c:?}"));
    }
    if version.contains('@') {
        return Err("a stability flag (`@dev`) belongs to a constraint, not a version".into());
    }
    if matches!(version, "master" | "trunk" | "default")
        || version
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("dev-"))
    {
        return Err("a branch is not an orderable version".into());
    }
    // Build metadata: `^([^,\s+]++)\+[^\s]++$`.
    let version = match version.split_once('+') {
        Some((v, meta)) if !v.is_empty() && !meta.is_empty() && !v.contains(',') => v,
        _ => version,
    };

    let (mut normalized, numbers, modifier) = if let Some(m) = classical(version) {
        m
    } else if let Some(m) = date(version) {
        m
    } else if version.len() >= 3 && version[version.len() - 3..].eq_ignore_ascii_case("dev") {
        return Err("a branch (`…-dev`) is not an orderable version".into());
    } else {
        return Err("not a Composer version".into());
    };
    let mut parts = numbers
        .iter()
        .map(|n| number(n).map(Part::Num))
        .collect::<Result<Vec<_>, _>>()?;

    if let Some(word) = modifier.word {
        if word == "stable" {
            // Composer drops everything after a lower-case `stable`.
            return finish(normalized, parts);
        }
        let (expanded, rank) = match word.to_ascii_lowercase().as_str() {
            "a" | "alpha" => ("alpha", 1),
            "b" | "beta" => ("beta", 2),
            "rc" => ("RC", 3),
            "p" | "pl" | "patch" => ("patch", 5),
            _ => {
                return Err(
                    "Composer normalises this `stable` spelling into a suffix it cannot order"
                        .into(),
                );
            }
        };
        let numbers = modifier.numbers.trim_start_matches(['.', '-']);
        normalized.push('-');
        normalized.push_str(expanded);
        normalized.push_str(numbers);
        parts.push(Part::Word(rank));
        for n in numbers.split(['.', '-']).filter(|n| !n.is_empty()) {
            parts.push(Part::Num(number(n)?));
        }
    }
    if modifier.dev {
        if parts.contains(&Part::Num(9_999_999)) {
            return Err(
                "a normalised branch alias (`…9999999…-dev`) is not an orderable version".into(),
            );
        }
        normalized.push_str("-dev");
        parts.push(Part::Word(0));
    }
    finish(normalized, parts)
}

fn finish(normalized: String, parts: Vec<Part>) -> Result<ComposerVersion, String> {
    Ok(ComposerVersion { normalized, parts })
}

/// A number as PHP's `strtol` reads it, refusing values it would saturate.
fn number(digits: &str) -> Result<u64, String> {
    digits
        .parse::<u64>()
        .ok()
        .filter(|n| i64::try_from(*n).is_ok())
        .ok_or_else(|| format!("{digits} is too large to compare"))
}

fn digits_at(b: &[u8], i: usize) -> usize {
    b[i.min(b.len())..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

fn strip_v(version: &str) -> &str {
    version.strip_prefix(['v', 'V']).unwrap_or(version)
}

/// The normalised release, its numbers (as written) and the modifier.
type Matched<'a> = (String, Vec<&'a str>, Modifier<'a>);

/// `^v?(\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)?<modifier>$`.
fn classical(version: &str) -> Option<Matched<'_>> {
    let s = strip_v(version);
    let b = s.as_bytes();
    let major = digits_at(b, 0);
    if major == 0 || major > 5 {
        return None;
    }
    let mut groups = vec![&s[..major]];
    let mut i = major;
    while groups.len() < 4 && i < b.len() && b[i] == b'.' {
        let n = digits_at(b, i + 1);
        if n == 0 {
            break;
        }
        groups.push(&s[i + 1..i + 1 + n]);
        i += 1 + n;
    }
    let modifier = modifier(&s[i..])?;
    let mut normalized = groups.join(".");
    for _ in groups.len()..4 {
        normalized.push_str(".0");
    }
    groups.resize(4, "0");
    Some((normalized, groups, modifier))
}

/// `^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})<modifier>$`.
fn date(version: &str) -> Option<Matched<'_>> {
    let s = strip_v(version);
    let b = s.as_bytes();
    // The date part can only end where the modifier can begin (the modifier never
    // starts with a digit or with a separator followed by a digit), so it is the
    // longest run of digits and single separators between digits.
    let mut end = digits_at(b, 0);
    while end + 1 < b.len() && matches!(b[end], b'.' | b':' | b'-') && b[end + 1].is_ascii_digit() {
        end += 1 + digits_at(b, end + 1);
    }
    let date = &b[..end];
    if !(date.len() >= 4 && date[..4].iter().all(u8::is_ascii_digit) && date_tail(date, 4, 0)) {
        return None;
    }
    let modifier = modifier(&s[end..])?;
    let date = &s[..end];
    Some((
        date.replace([':', '-'], "."),
        date.split(['.', ':', '-']).collect(),
        modifier,
    ))
}

/// Whether `date[pos..]` matches `(?:[.:-]?\d{2}){n,6}(?:[.:-]?\d{1,3}){0,2}$` with
/// `n = 1 - groups` (at least one two-digit group overall).
fn date_tail(date: &[u8], pos: usize, groups: usize) -> bool {
    let sep = |p: usize| p < date.len() && matches!(date[p], b'.' | b':' | b'-');
    let starts = [Some(pos), sep(pos).then_some(pos + 1)];
    if groups < 6 {
        for q in starts.into_iter().flatten() {
            if digits_at(date, q) >= 2 && date_tail(date, q + 2, groups + 1) {
                return true;
            }
        }
    }
    groups >= 1 && short_groups(date, pos, 0)
}

/// Whether `date[pos..]` matches `(?:[.:-]?\d{1,3}){k,2}$`, `k` groups being used.
fn short_groups(date: &[u8], pos: usize, used: usize) -> bool {
    if pos == date.len() {
        return true;
    }
    if used == 2 {
        return false;
    }
    let q = if matches!(date[pos], b'.' | b':' | b'-') {
        pos + 1
    } else {
        pos
    };
    let n = digits_at(date, q);
    (1..=n.min(3)).any(|len| short_groups(date, q + len, used + 1))
}

/// Composer's modifier pattern, anchored at both ends, with PCRE's match priority.
fn modifier(rest: &str) -> Option<Modifier<'_>> {
    let with_sep = rest
        .strip_prefix(['.', '_', '-'])
        .into_iter()
        .chain(std::iter::once(rest));
    for r in with_sep {
        for word in STABILITY_WORDS {
            let Some(head) = r.get(..word.len()) else {
                continue;
            };
            if !head.eq_ignore_ascii_case(word) {
                continue;
            }
            let after = &r[word.len()..];
            let n = numbers_len(after);
            if let Some(dev) = dev_suffix(&after[n..]) {
                return Some(Modifier {
                    word: Some(head),
                    numbers: &after[..n],
                    dev,
                });
            }
        }
        if let Some(dev) = dev_suffix(r) {
            return Some(Modifier {
                word: None,
                numbers: "",
                dev,
            });
        }
    }
    None
}

/// Length of the possessive `(?:[.-]?\d+)*+` at the start of `s`.
fn numbers_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        let start = if i < b.len() && matches!(b[i], b'.' | b'-') {
            i + 1
        } else {
            i
        };
        let n = digits_at(b, start);
        if n == 0 {
            return i;
        }
        i = start + n;
    }
}

/// `([.-]?dev)?$`: `Some(true)` for a dev suffix, `Some(false)` for the end.
fn dev_suffix(s: &str) -> Option<bool> {
    let d = s.strip_prefix(['.', '-']).unwrap_or(s);
    if s.is_empty() {
        Some(false)
    } else if d.eq_ignore_ascii_case("dev") {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_tests::{assert_ascending, assert_equal, check_total_order};
    use proptest::prelude::*;

    fn v(s: &str) -> ComposerVersion {
        Packagist::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    /// composer/semver tests/VersionParserTest.php, `successfulNormalizedVersions`
    /// (every entry that is an orderable version; branches and stability flags are
    /// refused here, see `refuses_branches_and_constraints`).
    #[test]
    fn normalize_like_composer() {
        for (input, normalized) in [
            ("1.0.0", "1.0.0.0"),
            ("1.2.3.4", "1.2.3.4"),
            ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
            ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0-rc1", "1.0.0.0-RC1"),
            ("1.0.0.pl3-dev", "1.0.0.0-patch3-dev"),
            ("1.0-dev", "1.0.0.0-dev"),
            ("0", "0.0.0.0"),
            ("10.4.13-beta", "10.4.13.0-beta"),
            ("10.4.13beta2", "10.4.13.0-beta2"),
            ("10.4.13beta.2", "10.4.13.0-beta2"),
            ("v1.13.11-beta.0", "1.13.11.0-beta0"),
            ("1.13.11.0-beta0", "1.13.11.0-beta0"),
            ("10.4.13-b", "10.4.13.0-beta"),
            ("10.4.13-b5", "10.4.13.0-beta5"),
            ("v1.0.0", "1.0.0.0"),
            ("2010.01", "2010.01.0.0"),
            ("2010.01.02", "2010.01.02.0"),
            ("2010.1.555", "2010.1.555.0"),
            ("2010.10.200", "2010.10.200.0"),
            ("20230131.0.0", "20230131.0.0"),
            ("202301310000.0.0", "202301310000.0.0"),
            ("v20100102", "20100102"),
            ("20100102", "20100102"),
            ("20100102.0", "20100102.0"),
            ("20100102.1.0", "20100102.1.0"),
            ("20100102.0.3", "20100102.0.3"),
            ("2010-01-02-10-20-30.0.3", "2010.01.02.10.20.30.0.3"),
            ("2010-01-02-10-20-30.5", "2010.01.02.10.20.30.5"),
            ("2010-01-02", "2010.01.02"),
            ("2012.06.07", "2012.06.07.0"),
            ("2010-01-02.5", "2010.01.02.5"),
            ("20100102-203040", "20100102.203040"),
            ("20100102203040-10", "20100102203040.10"),
            ("20100102-203040-p1", "20100102.203040-patch1"),
            ("201903.0", "201903.0"),
            ("201903.0-p2", "201903.0-patch2"),
            ("1.0.0-beta.5+foo", "1.0.0.0-beta5"),
            ("1.0.0+foo", "1.0.0.0"),
            ("1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1"),
            ("1.0.0-alpha2.1+foo", "1.0.0.0-alpha2.1"),
            ("1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1-3"),
            ("00.01.03.04", "00.01.03.04"),
            ("000.001.003.004", "000.001.003.004"),
            ("0.000.103.204", "0.000.103.204"),
            ("0700", "0700.0.0.0"),
            (" 1.0.0", "1.0.0.0"),
            ("1.0.0 ", "1.0.0.0"),
            // Stability spellings of the modifier pattern.
            ("1.0.0-stable", "1.0.0.0"),
            ("1.0.0-patch1", "1.0.0.0-patch1"),
            ("1.0.0-p1", "1.0.0.0-patch1"),
            ("1.0.0-a1", "1.0.0.0-alpha1"),
            ("1.0.0_ALPHA-dev", "1.0.0.0-alpha-dev"),
            // Six leading digits cannot be a classical major, but match the date pattern.
            ("123456.1.2", "123456.1.2"),
            // The modifier pattern's separator may stand alone, as in Composer.
            ("1.0.0-", "1.0.0.0"),
        ] {
            assert_eq!(v(input).to_string(), normalized, "{input}");
        }
    }

    /// composer/semver tests/ComparatorTest.php (`compareProvider`, `lessThanProvider`)
    /// and SemverTest.php (`sortProvider`), for the entries that are versions.
    #[test]
    fn comparator_tests() {
        assert_ascending::<Packagist>(&["1.24.0", "1.25.0", "1.26.0"]);
        assert_ascending::<Packagist>(&["1.25.0-beta2.1", "1.25.0-b.3"]);
        assert_ascending::<Packagist>(&["1.25.0-b2.1", "1.25.0beta.3"]);
        assert_ascending::<Packagist>(&["1.25.0-b-2.1", "1.25.0-rc"]);
        assert_equal::<Packagist>("1.25.0-beta2.1", "1.25.0-b.2.1");
        assert_equal::<Packagist>("1.25.0beta2.1", "1.25.0-b2.1");
        assert_ascending::<Packagist>(&["1.0.0", "1.2-dev"]);
        assert_ascending::<Packagist>(&["0.1", "1.0", "2.4.0-alpha", "2.4.0", "3.2.1"]);
        assert_equal::<Packagist>("0.1", "0.1");
    }

    /// The special-form order of PHP's `version_compare` documentation ("dev < alpha =
    /// a < beta = b < RC = rc < # < pl = p"), as reached through Composer's
    /// normalisation, plus the task's examples.
    #[test]
    fn stability_order() {
        assert_ascending::<Packagist>(&[
            "1.0.0-dev",
            "1.0.0-alpha1",
            "1.0.0-beta1",
            "1.0.0-RC1",
            "1.0.0",
            "1.0.0-patch1",
            "1.0.1-dev",
        ]);
        assert_equal::<Packagist>("1.0.0-alpha1", "1.0.0-a1");
        assert_equal::<Packagist>("1.0.0-beta.2", "1.0.0-b2");
        assert_equal::<Packagist>("1.0.0-RC3", "1.0.0-rc.3");
        assert_equal::<Packagist>("1.0.0-p1", "1.0.0-pl1");
        assert_equal::<Packagist>("1.0.0-p1", "1.0.0-patch1");
        assert_equal::<Packagist>("1.2", "1.2.0.0");
        assert_equal::<Packagist>("v1.2.3", "1.2.3");
        assert_equal::<Packagist>("1.0.0-stable", "1.0.0");
        assert_equal::<Packagist>("1.02", "1.2");
        // A pre-release with more numbers, and `-dev` of a pre-release.
        assert_ascending::<Packagist>(&[
            "1.0.0-beta2-dev",
            "1.0.0-beta2",
            "1.0.0-beta2.1",
            "1.0.0-beta3",
        ]);
    }

    #[test]
    fn date_versions() {
        assert_ascending::<Packagist>(&["2010-01-02", "2010.01.02", "2010.01.03", "20100102"]);
        assert_ascending::<Packagist>(&["20100102-203040-p1", "20100102-203041"]);
        assert_eq!(v("20100102-dev").stability(), "dev");
    }

    #[test]
    fn stability_of_versions() {
        assert_eq!(v("1.0.0").stability(), "stable");
        assert_eq!(v("1.0.0-p1").stability(), "stable");
        assert_eq!(v("1.0.0-beta2").stability(), "beta");
        assert_eq!(v("1.0.0-RC1").stability(), "RC");
        assert_eq!(v("1.0.0-alpha-dev").stability(), "dev");
    }

    /// composer/semver tests/VersionParserTest.php `failingNormalizedVersions`, the
    /// branch and constraint entries of `successfulNormalizedVersions`, and this
    /// module's own refusals.
    #[test]
    fn refuses_branches_and_constraints() {
        for bad in [
            "",
            "a",
            "1.0.0-meh",
            "1.0.0.0.0",
            "feature-foo",
            "1.0.0+foo bar",
            "1.0.1-SNAPSHOT",
            "1.0.0<1.0.5-dev",
            "1.0.0-dev<1.0.5-dev",
            "foo bar-dev",
            "1.0 .2",
            " as ",
            " as 1.2",
            "^",
            "~1",
            "^1",
            "1.*",
            "20100102.0.3.4",
            // Branches.
            "dev-master",
            "master",
            "trunk",
            "default",
            "dev-main",
            "DEV-FOOBAR",
            "dev-feature/foo",
            "1.x-dev",
            "1.0.x-dev",
            "201903.x-dev",
            "041.x-dev",
            "1.9999999.9999999.9999999-dev",
            "9999999-dev",
            // Stability flags and aliases.
            "1.0.0+foo@dev",
            "1.0.0 as 2.0",
            // Spellings this module refuses.
            "1.0.0-STABLE",
            "1.99999999999999999999",
            "1.0.0_ALPHA_dev",
            "1.0.0+",
            "1.0.0-beta.",
            "1.0.0\u{a0}",
        ] {
            let e = Packagist::parse(bad).expect_err(bad);
            assert_eq!(e.scheme, SchemeKind::Packagist);
            assert_eq!(e.input, bad);
        }
    }

    fn stability() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["", "-", ".", "_"]),
            prop::sample::select(vec![
                "alpha", "a", "beta", "b", "RC", "rc", "patch", "pl", "p", "stable", "ALPHA",
            ]),
            prop::sample::select(vec!["", "1", "2", ".2", "-3", "10", ".1.2"]),
        )
            .prop_map(|(sep, w, n)| format!("{sep}{w}{n}"))
    }

    /// Composer spellings: classical versions with one to four numbers (leading zeros,
    /// `v`), date versions, stabilities, `-dev`, build metadata.
    fn arb_composer() -> impl Strategy<Value = String> {
        let classical = (
            any::<bool>(),
            prop::collection::vec(0u8..4, 1..5),
            any::<bool>(),
        )
            .prop_map(|(v, numbers, pad)| {
                let s = numbers
                    .iter()
                    .map(|n| if pad { format!("0{n}") } else { n.to_string() })
                    .collect::<Vec<_>>()
                    .join(".");
                if v { format!("v{s}") } else { s }
            });
        let date = (
            2009u16..2012,
            1u8..13,
            1u8..29,
            prop::sample::select(vec!["", "-", ".", ":"]),
            prop::option::of(0u8..24),
        )
            .prop_map(|(y, m, d, sep, h)| {
                let mut s = format!("{y}{sep}{m:02}{sep}{d:02}");
                if let Some(h) = h {
                    s.push_str(&format!("-{h:02}"));
                }
                s
            });
        (
            prop_oneof![4 => classical, 1 => date],
            prop::option::of(stability()),
            prop::option::weighted(
                0.2,
                prop::sample::select(vec!["-dev", ".dev", "dev", "-DEV"]),
            ),
            prop::option::weighted(0.1, Just("+build.5")),
        )
            .prop_map(|(core, stab, dev, meta)| {
                let mut s = core;
                if let Some(st) = stab {
                    s.push_str(&st);
                }
                if let Some(d) = dev {
                    s.push_str(d);
                }
                if let Some(m) = meta {
                    s.push_str(m);
                }
                s
            })
            .prop_filter("Composer refuses upper-case stable", |s| {
                !s.contains("STABLE")
            })
    }

    proptest! {
        #[test]
        fn total_order(vs in prop::collection::vec(arb_composer(), 2..24)) {
            check_total_order::<Packagist>(&vs);
        }

        /// Normalising is idempotent on Composer's own output, except that a date
        /// version's normalised form (`2010.01.02`) reads as a classical version
        /// (`2010.01.02.0`), as in Composer; from there it is a fixed point.
        #[test]
        fn normalised_form_is_a_fixed_point(s in arb_composer()) {
            let once = v(&s);
            let twice = v(&once.to_string());
            let thrice = v(&twice.to_string());
            prop_assert_eq!(thrice.to_string(), twice.to_string());
            if classical(s.split('+').next().unwrap_or_default()).is_some() {
                prop_assert_eq!(twice.to_string(), once.to_string());
                prop_assert_eq!(twice, once);
            }
        }

        #[test]
        fn never_panics(s in "[0-9vVdeabtlpRC.:_+@ -]{0,30}") {
            let _ = Packagist::parse(&s);
        }
    }
}
