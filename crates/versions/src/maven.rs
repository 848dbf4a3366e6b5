//! Maven versions (`org.apache.maven.artifact.versioning.ComparableVersion`, Maven 3).
//!
//! **Order.** This module reproduces the item tree and the `compareTo` of Maven 3's
//! `ComparableVersion` (the 3.8.7 / 3.9 algorithm, which includes MNG-5568, MNG-6572,
//! MNG-6964, MNG-7559 and MNG-7644; Maven 4 later changed the rules again):
//!
//! * the version is lower-cased and split on `.`, on `-` and on every transition
//!   between digits and letters; `-` and every transition opens a nested *sub-list*,
//!   and so does a qualifier after a `.` (`1.0.RC1` reads as `1-rc-1`);
//! * numbers compare numerically (any size); qualifiers compare as
//!   `alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` < `""` = `ga` =
//!   `final` = `release` < `sp` < any other qualifier, the others lexically; `a1`,
//!   `b1`, `m1` (one letter directly followed by a digit) mean `alpha`, `beta`,
//!   `milestone`;
//! * "null" items (`0`, the release qualifier, an empty sub-list) are dropped from the
//!   end of every list, so `1 == 1.0 == 1-0 == 1.ga == 1-final == 1.0.0`;
//! * lists compare item by item, a missing item comparing like the null item;
//!   between different kinds of item a number is greater than a sub-list, which is
//!   greater than a qualifier: `1-foo < 1-1 < 1.1`, `1.foo == 1-foo`,
//!   `1-snapshot < 1 < 1-sp`, `1-foo2 < 1-foo10`.
//!
//! The rules in Maven's "Version Order Specification" (POM reference) are a summary of
//! this code and differ from it in one example: the page states
//! `1-sp-1 < 1-ga-1 = 1-1`, but `ComparableVersion` reads `1-ga-1` as `[1, [[1]]]` (the
//! `ga` is trimmed, its sub-list stays), which sorts *below* `1-1` = `[1, [1]]`, a
//! sub-list being below a number. The code is what Maven resolves with, so the code is
//! followed.
//!
//! **Accepted spelling.** ASCII letters, digits, `.`, `-`, `_` and `+` (the last two are
//! part of qualifiers, as in Maven), starting with a digit, with no empty component
//! (no leading, trailing or doubled separator) and at least one digit; surrounding
//! whitespace is trimmed (POM values are). Refused: other characters (including
//! whitespace inside), the meta-versions `LATEST` and `RELEASE` and other digit-less
//! strings, and a leading letter (`v1.0`, `r09`).
//!
//! **Refused because Maven orders them inconsistently.** `ComparableVersion` is not a
//! total order: it compares a missing item as "null", and a null item as a `0` number
//! while also ranking it as the release qualifier, so some spellings make cycles, for
//! example `1.ga.1 > 1 > 1-alpha > 1.ga.1` and `1-0.alpha < 1 < 1-foo < 1-0.alpha`.
//! Since a sort or an ordered map of versions relies on a total order, versions whose
//! item tree can close such a cycle are refused (reported unverifiable) instead of
//! being placed arbitrarily:
//!
//! * a qualifier that is `ga`/`final`/`release`, `sp` or unknown and is not the first
//!   item of its list (`1.sp.1`, `1.foo-1`, `1-alpha.foo.1`, `1.ga.1`);
//! * a `0` followed in its list by items that sort below the release
//!   (`1.0.rc.1`, `1.0.alpha-1`, `1-0.rc.1`);
//! * a sub-list that starts with a sub-list sorting below the release
//!   (`1-0.alpha`, `1-ga-alpha`, `1-0-rc1`);
//! * an all-zero number longer than nine digits that survives the trimming of nulls
//!   (Maven compares it by its width, not its value: `1.0000000000.1 > 1.5.1`).
//!
//! Everything else is compared exactly as Maven compares it, and on that set the order
//! is total (property-tested here, and checked pairwise against Maven 3.8.7's own
//! `ComparableVersion` on generated versions). Common real-world shapes (`1.2.3`,
//! `1.0-SNAPSHOT`, `2.0.0.RC1`, `1.0.0.Final`, `31.1-jre`, `9.4.43.v20210629`,
//! `1.0-sp1-redhat-1`, `1-sp.1`, `1-ga-1`) are all accepted.
//!
//! **Why hand-written.** The crates.io candidate (`mvn_version`) is a single,
//! unmaintained 0.1 release that models versions as flat segments rather than Maven's
//! nested item tree and does not guard against the cycles above. The algorithm is small
//! enough to reproduce and test here.

use std::cmp::Ordering;
use std::fmt;

use crate::{Scheme, SchemeKind, VersionError, check_len};

/// The Maven scheme.
#[derive(Debug, Clone, Copy)]
pub struct Maven;

/// The well-known qualifiers, in order; index 5 is the release ("", `ga`, `final`,
/// `release`).
const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE: Qualifier = Qualifier::Known(5);

/// A qualifier as `StringItem.comparableQualifier` ranks it: known qualifiers by their
/// index, then unknown ones lexically.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Qualifier {
    Known(u8),
    Unknown(String),
}

impl Qualifier {
    /// `StringItem(value, followedByDigit)`: the `a1`/`b1`/`m1` shorthands and the
    /// aliases of Maven 3.
    fn new(value: &str, followed_by_digit: bool) -> Qualifier {
        let value = match value {
            "a" if followed_by_digit => "alpha",
            "b" if followed_by_digit => "beta",
            "m" if followed_by_digit => "milestone",
            "ga" | "final" | "release" => "",
            "cr" => "rc",
            v => v,
        };
        match QUALIFIERS.iter().position(|q| *q == value) {
            // `position` is below 7.
            Some(i) => Qualifier::Known(i as u8),
            None => Qualifier::Unknown(value.to_owned()),
        }
    }

    fn name(&self) -> &str {
        match self {
            Qualifier::Known(5) => "ga",
            Qualifier::Known(i) => QUALIFIERS.get(usize::from(*i)).copied().unwrap_or(""),
            Qualifier::Unknown(s) => s,
        }
    }
}

/// An item of `ComparableVersion`'s tree.
#[derive(Clone, Debug)]
enum Item {
    /// A number: its decimal digits without leading zeros (`"0"` for zero).
    Int(String),
    /// Zero written with more than nine digits: Maven types it as a `long` or
    /// `BigInteger` and then compares it with other numbers by width, not value.
    WideZero,
    Str(Qualifier),
    List(Vec<Item>),
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d == "0",
            Item::WideZero => true,
            Item::Str(q) => *q == RELEASE,
            Item::List(l) => l.is_empty(),
        }
    }
}

/// `a.compareTo(b)` of `ComparableVersion`'s items, `None` being Java's `null` (a
/// missing item). Only called on trees without `WideZero` (refused at parse time).
fn cmp_item(a: &Item, b: Option<&Item>) -> Ordering {
    match (a, b) {
        (Item::Int(x), None) => {
            if x == "0" {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (Item::Int(x), Some(Item::Int(y))) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Item::Int(_), Some(_)) => Ordering::Greater,
        (Item::Str(q), None) => q.cmp(&RELEASE),
        (Item::Str(p), Some(Item::Str(q))) => p.cmp(q),
        (Item::Str(_), Some(_)) => Ordering::Less,
        (Item::List(l), None) => l
            .iter()
            .map(|i| cmp_item(i, None))
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal),
        (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
        (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
        (Item::List(l), Some(Item::List(m))) => cmp_lists(l, m),
        (Item::WideZero, _) | (_, Some(Item::WideZero)) => Ordering::Equal,
    }
}

fn cmp_lists(l: &[Item], m: &[Item]) -> Ordering {
    for i in 0..l.len().max(m.len()) {
        let o = match (l.get(i), m.get(i)) {
            (Some(a), b) => cmp_item(a, b),
            (None, Some(b)) => cmp_item(b, None).reverse(),
            (None, None) => Ordering::Equal,
        };
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

/// A parsed Maven version.
#[derive(Clone)]
pub struct MavenVersion {
    items: Vec<Item>,
}

impl MavenVersion {
    /// Whether the version carries `SNAPSHOT`.
    pub fn is_snapshot(&self) -> bool {
        fn has(items: &[Item]) -> bool {
            items.iter().any(|i| match i {
                Item::Str(q) => *q == Qualifier::Known(4),
                Item::List(l) => has(l),
                _ => false,
            })
        }
        has(&self.items)
    }
}

/// Writes a list so that it parses back to the same tree.
fn write_list(f: &mut fmt::Formatter<'_>, items: &[Item]) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        match item {
            Item::List(l) => {
                if i == 0 {
                    // A list that opens a list is what is left of a trimmed `0`.
                    f.write_str("0")?;
                }
                f.write_str("-")?;
                write_list(f, l)?;
            }
            Item::Int(d) => {
                if i > 0 {
                    f.write_str(".")?;
                }
                f.write_str(d)?;
            }
            Item::WideZero => {
                if i > 0 {
                    f.write_str(".")?;
                }
                f.write_str("0000000000")?;
            }
            Item::Str(q) => {
                if i > 0 {
                    f.write_str(".")?;
                }
                f.write_str(q.name())?;
                if i > 0 && i + 1 == items.len() {
                    // A final `.qualifier` would read as `-qualifier`; an empty `-0`
                    // list keeps it where it is.
                    f.write_str("-0")?;
                }
            }
        }
    }
    Ok(())
}

/// Prints a canonical form in the style of Maven's `getCanonical` (lower case, nulls
/// trimmed, aliases resolved, `ga` for the release qualifier) that parses back to an
/// equal version.
impl fmt::Display for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.items.is_empty() {
            return f.write_str("0");
        }
        write_list(f, &self.items)
    }
}

impl fmt::Debug for MavenVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl PartialEq for MavenVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for MavenVersion {}
impl PartialOrd for MavenVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for MavenVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_lists(&self.items, &other.items)
    }
}

impl Scheme for Maven {
    type Version = MavenVersion;
    const KIND: SchemeKind = SchemeKind::Maven;

    fn parse(input: &str) -> Result<Self::Version, VersionError> {
        check_len(SchemeKind::Maven, input)?;
        let err = |reason: &str| VersionError::new(SchemeKind::Maven, input, reason);
        let t = input.trim();
        check_spelling(t).map_err(err)?;
        let items = build_items(&t.to_ascii_lowercase());
        check_consistent(&items, true).map_err(err)?;
        Ok(MavenVersion { items })
    }
}

fn check_spelling(t: &str) -> Result<(), &'static str> {
    let b = t.as_bytes();
    if let Some(c) = b
        .iter()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'+')))
    {
        return Err(if c.is_ascii_whitespace() {
            "whitespace inside a version"
        } else {
            "only ASCII letters, digits, `.`, `-`, `_` and `+` are allowed"
        });
    }
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return Err("a Maven version must start with a digit");
    }
    let sep = |c: &u8| matches!(c, b'.' | b'-');
    if b.last().is_some_and(sep) || b.windows(2).any(|w| sep(&w[0]) && sep(&w[1])) {
        return Err("empty component (separator at the end or doubled)");
    }
    Ok(())
}

/// `ComparableVersion.parseItem` for a run of digits or of other characters.
fn parse_item(is_digit: bool, s: &str) -> Item {
    if !is_digit {
        return Item::Str(Qualifier::new(s, false));
    }
    let digits = s.trim_start_matches('0');
    if !digits.is_empty() {
        Item::Int(digits.to_owned())
    } else if s.len() > 9 {
        Item::WideZero
    } else {
        Item::Int("0".to_owned())
    }
}

/// `ComparableVersion.parseVersion` (Maven 3.8.7 / 3.9) on the lower-cased text. The
/// nesting is linear (a new sub-list is always the last item of the current list), so
/// the lists are kept as a stack of levels and folded at the end.
fn build_items(s: &str) -> Vec<Item> {
    let b = s.as_bytes();
    let mut levels: Vec<Vec<Item>> = vec![Vec::new()];
    fn cur(levels: &mut [Vec<Item>]) -> &mut Vec<Item> {
        let last = levels.len() - 1;
        &mut levels[last]
    }
    let mut is_digit = false;
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'.' || c == b'-' {
            let item = if i == start {
                Item::Int("0".to_owned())
            } else {
                parse_item(is_digit, &s[start..i])
            };
            cur(&mut levels).push(item);
            start = i + 1;
            if c == b'-' {
                levels.push(Vec::new());
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                // "1.0.0.X1 < 1.0.0-X2": a qualifier after a `.` opens a sub-list.
                if !cur(&mut levels).is_empty() {
                    levels.push(Vec::new());
                }
                cur(&mut levels).push(Item::Str(Qualifier::new(&s[start..i], true)));
                start = i;
                levels.push(Vec::new());
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                cur(&mut levels).push(parse_item(true, &s[start..i]));
                start = i;
                levels.push(Vec::new());
            }
            is_digit = false;
        }
    }
    if b.len() > start {
        if !is_digit && !cur(&mut levels).is_empty() {
            levels.push(Vec::new());
        }
        cur(&mut levels).push(parse_item(is_digit, &s[start..]));
    }
    // Normalise from the innermost list outwards, as Maven pops its stack.
    let mut list = levels.pop().unwrap_or_default();
    normalize(&mut list);
    while let Some(mut parent) = levels.pop() {
        parent.push(Item::List(list));
        normalize(&mut parent);
        list = parent;
    }
    list
}

/// `ListItem.normalize`: drop null items from the end, looking past sub-lists.
fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Refuses the trees on which Maven's comparison is not a total order (see the module
/// documentation).
fn check_consistent(list: &[Item], is_main: bool) -> Result<(), &'static str> {
    for (i, item) in list.iter().enumerate() {
        match item {
            Item::WideZero => {
                return Err(
                    "an all-zero number longer than nine digits, which Maven orders by width",
                );
            }
            Item::Str(q) if i > 0 && *q >= RELEASE => {
                return Err(
                    "a release, `sp` or unknown qualifier after other items of its \
                            list, which Maven orders inconsistently",
                );
            }
            Item::Int(d) if d == "0" => {
                let rest = list[i + 1..]
                    .iter()
                    .map(|r| cmp_item(r, None))
                    .find(|o| o.is_ne());
                if rest == Some(Ordering::Less) {
                    return Err(
                        "a `0` followed by a pre-release qualifier in the same list, \
                                which Maven orders inconsistently",
                    );
                }
            }
            Item::List(l) => {
                if i == 0 && !is_main && cmp_item(item, None) == Ordering::Less {
                    return Err(
                        "a pre-release sub-list directly after `-0`, `-ga` or `--`, \
                                which Maven orders inconsistently",
                    );
                }
                check_consistent(l, false)?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order_tests::{assert_ascending, assert_equal, check_total_order};
    use proptest::prelude::*;

    fn v(s: &str) -> MavenVersion {
        Maven::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The examples of the "Version Order Specification" of Maven's POM reference
    /// (maven.apache.org/pom.html), except `1-ga-1 = 1-1` (see the module docs).
    #[test]
    fn pom_reference_examples() {
        assert_ascending::<Maven>(&["1", "1.1"]);
        assert_ascending::<Maven>(&["1-snapshot", "1", "1-sp"]);
        assert_ascending::<Maven>(&["1-foo2", "1-foo10"]);
        assert_equal::<Maven>("1.foo", "1-foo");
        assert_ascending::<Maven>(&["1-foo", "1-1", "1.1"]);
        for same in ["1.ga", "1-ga", "1-0", "1.0", "1"] {
            assert_equal::<Maven>(same, "1");
        }
        assert_ascending::<Maven>(&["1-ga", "1-sp"]);
        assert_ascending::<Maven>(&["1-ga.1", "1-sp.1"]);
        assert_ascending::<Maven>(&["1-sp-1", "1-ga-1"]);
        assert_equal::<Maven>("1-a1", "1-alpha-1");
        // ComparableVersion, unlike the page, puts `1-ga-1` ([1, [[1]]]) below `1-1`.
        assert_ascending::<Maven>(&["1-sp-1", "1-ga-1", "1-1"]);
    }

    /// maven-artifact ComparableVersionTest: `VERSIONS_QUALIFIER`.
    #[test]
    fn versions_qualifier() {
        assert_ascending::<Maven>(&[
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ]);
    }

    /// maven-artifact ComparableVersionTest: `VERSIONS_NUMBER` (the order since
    /// MNG-7644, where `2.0.a` == `2-a` sorts before `2-1`).
    #[test]
    fn versions_number() {
        assert_ascending::<Maven>(&[
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1",
            "2.1.0.1", "2.2", "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11",
            "11", "11.a", "11b", "11c", "11m",
        ]);
    }

    /// maven-artifact ComparableVersionTest: `testVersionsEqual` and `testMng7644`.
    #[test]
    fn versions_equal() {
        for (a, b) in [
            ("1", "1"),
            ("1", "1.0"),
            ("1", "1.0.0"),
            ("1.0", "1.0.0"),
            ("1", "1-0"),
            ("1", "1.0-0"),
            ("1.0", "1.0-0"),
            ("1a", "1-a"),
            ("1a", "1.0-a"),
            ("1a", "1.0.0-a"),
            ("1.0a", "1-a"),
            ("1.0.0a", "1-a"),
            ("1x", "1-x"),
            ("1x", "1.0-x"),
            ("1x", "1.0.0-x"),
            ("1.0x", "1-x"),
            ("1.0.0x", "1-x"),
            ("1ga", "1"),
            ("1release", "1"),
            ("1final", "1"),
            ("1cr", "1rc"),
            ("1a1", "1-alpha-1"),
            ("1b2", "1-beta-2"),
            ("1m3", "1-milestone-3"),
            ("1X", "1x"),
            ("1A", "1a"),
            ("1B", "1b"),
            ("1M", "1m"),
            ("1Ga", "1"),
            ("1GA", "1"),
            ("1RELEASE", "1"),
            ("1RELeaSE", "1"),
            ("1Final", "1"),
            ("1FinaL", "1"),
            ("1FINAL", "1"),
            ("1Cr", "1Rc"),
            ("1cR", "1rC"),
            ("1m3", "1Milestone3"),
            ("1m3", "1MileStone3"),
            ("1m3", "1MILESTONE3"),
            (
                "1-abcdefghijklmnopqrstuvwxyz",
                "1-ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            ),
        ] {
            assert_equal::<Maven>(a, b);
        }
        for x in [
            "abc",
            "alpha",
            "a",
            "beta",
            "b",
            "def",
            "milestone",
            "m",
            "RC",
        ] {
            assert_ascending::<Maven>(&[&format!("1.0.0.{x}1"), &format!("1.0.0-{x}2")]);
            assert_equal::<Maven>(&format!("2-{x}"), &format!("2.0.{x}"));
            assert_equal::<Maven>(&format!("2-{x}"), &format!("2.0.0.{x}"));
        }
    }

    /// maven-artifact ComparableVersionTest: `testVersionComparing`, `testMng5568`,
    /// `testMng6572`, `testVersionEqualWithLeadingZeroes` and
    /// `testVersionZeroEqualWithLeadingZeroes`.
    #[test]
    fn version_comparing() {
        for (a, b) in [
            ("1", "2"),
            ("1.5", "2"),
            ("1", "2.5"),
            ("1.0", "1.1"),
            ("1.1", "1.2"),
            ("1.0.0", "1.1"),
            ("1.0.1", "1.1"),
            ("1.1", "1.2.0"),
            ("1.0-alpha-1", "1.0"),
            ("1.0-alpha-1", "1.0-alpha-2"),
            ("1.0-alpha-1", "1.0-beta-1"),
            ("1.0-beta-1", "1.0-SNAPSHOT"),
            ("1.0-SNAPSHOT", "1.0"),
            ("1.0-alpha-1-SNAPSHOT", "1.0-alpha-1"),
            ("1.0", "1.0-1"),
            ("1.0-1", "1.0-2"),
            ("1.0.0", "1.0-1"),
            ("2.0-1", "2.0.1"),
            ("2.0.1-klm", "2.0.1-lmn"),
            ("2.0.1", "2.0.1-xyz"),
            ("2.0.1", "2.0.1-123"),
            ("2.0.1-xyz", "2.0.1-123"),
            ("0.7", "2"),
            ("0.2", "1.0.7"),
        ] {
            assert_ascending::<Maven>(&[a, b]);
        }
        assert_ascending::<Maven>(&["6.1.0rc3", "6.1.0", "6.1H.5-beta"]);
        assert_ascending::<Maven>(&[
            "20190126.230843",
            "1234567890.12345",
            "123456789012345.1H.5-beta",
            "12345678901234567890.1H.5-beta",
        ]);
        for n in 1..=19 {
            assert_equal::<Maven>(&format!("{}1", "0".repeat(n - 1)), "1");
            assert_equal::<Maven>(&"0".repeat(n), "0");
        }
    }

    /// Maven 3 keeps `final` an alias of the release, so `1.0.final-redhat` reads as
    /// `1-redhat`, above `1.0-sp1-redhat` (Maven 4 reversed this with MNG-7714).
    #[test]
    fn maven_3_aliases() {
        assert_equal::<Maven>("1.0.final-redhat", "1-redhat");
        assert_ascending::<Maven>(&["1.0-sp1-redhat", "1.0.final-redhat"]);
    }

    #[test]
    fn real_world_shapes() {
        assert_ascending::<Maven>(&[
            "2.0.0.M1",
            "2.0.0.RC1",
            "2.0.0.RC2",
            "2.0.0-SNAPSHOT",
            "2.0.0.RELEASE",
            "2.0.0.SP1",
            "2.0.1",
        ]);
        assert_equal::<Maven>("4.1.68.Final", "4.1.68");
        assert_ascending::<Maven>(&["31.1-android", "31.1-jre", "32.0.0-android"]);
        // `v` is an unknown qualifier, so Jetty's `.v<date>` sorts after the bare number.
        assert_ascending::<Maven>(&["9.4.43.v20210629", "9.4.44", "9.4.44.v20210927"]);
        assert_ascending::<Maven>(&["1.0-beta.2", "1.0-beta.10", "1.0"]);
        // `_` belongs to the qualifier: `rc_` is an unknown qualifier, above the release.
        assert_ascending::<Maven>(&["1.0.0-rc1", "1.0.0", "1.0.0-rc_1"]);
        assert!(v("1.0-SNAPSHOT").is_snapshot());
        assert!(!v("1.0").is_snapshot());
    }

    #[test]
    fn display_is_canonical() {
        for (input, canonical) in [
            ("1.0.0", "1"),
            ("1.0-SNAPSHOT", "1-snapshot"),
            ("1.0.RC1", "1-rc-1"),
            ("1-a1", "1-alpha-1"),
            ("1-ga.1", "1-ga.1"),
            ("1-ga-1", "1-0-1"),
            ("0-alpha", "0-alpha"),
            ("0", "0"),
            ("1.alpha-0", "1.alpha-0"),
            ("007.1", "7.1"),
        ] {
            assert_eq!(v(input).to_string(), canonical, "{input}");
            assert_equal::<Maven>(input, canonical);
        }
    }

    #[test]
    fn refuses_what_is_not_a_maven_version() {
        for bad in [
            "",
            "   ",
            "1.0 beta",
            "1.0\t1",
            "LATEST",
            "RELEASE",
            "alpha",
            "v1.0",
            "r09",
            ".1",
            "1.",
            "1..2",
            "1.-2",
            "1-",
            "1.0/2",
            "1.0~beta",
            "1,0",
            "1.0é",
            "[1.0,2.0)",
            // Cycles of ComparableVersion (module docs).
            "1.ga.1",
            "1.sp.1",
            "1.foo.1",
            "1.foo-1",
            "1-alpha.foo.1",
            "1.0.rc.1",
            "1.0.alpha-1",
            "0.rc.1",
            "1-0.rc.1",
            // maven-artifact testMng6964: `1-0.alpha < 1 < 1-foo < 1-0.alpha`.
            "1-0.alpha",
            "1-0.beta",
            "1-ga-alpha",
            "1-0-rc1",
            "1.0000000000.1",
        ] {
            let e = Maven::parse(bad).expect_err(bad);
            assert_eq!(e.scheme, SchemeKind::Maven);
            assert_eq!(e.input, bad);
        }
    }

    fn component() -> impl Strategy<Value = String> {
        prop_oneof![
            6 => (0u16..12).prop_map(|n| n.to_string()),
            1 => Just("00".to_owned()),
            1 => Just("12345678901234567890".to_owned()),
            4 => prop::sample::select(vec![
                "alpha", "a", "beta", "b", "m", "milestone", "rc", "cr", "snapshot", "SNAPSHOT",
                "ga", "final", "Final", "release", "sp", "foo", "jre", "x", "v", "_beta",
            ])
            .prop_map(String::from),
            3 => (prop::sample::select(vec!["a", "b", "m", "rc", "RC", "sp", "foo", "M"]), 0u8..12)
                .prop_map(|(q, n)| format!("{q}{n}")),
            1 => (0u8..12, prop::sample::select(vec!["a", "rc", "h", "foo"]))
                .prop_map(|(n, q)| format!("{n}{q}")),
        ]
    }

    /// Arbitrary spellings from Maven's alphabet: components joined by `.` and `-`,
    /// including shapes that this module refuses (filtered out by the callers that
    /// need accepted versions).
    fn arb_spelling() -> impl Strategy<Value = String> {
        (
            0u16..12,
            prop::collection::vec(
                (prop::sample::select(vec![".", "-", ""]), component()),
                0..6,
            ),
        )
            .prop_map(|(first, rest)| {
                let mut s = first.to_string();
                for (sep, c) in rest {
                    s.push_str(sep);
                    s.push_str(&c);
                }
                s
            })
    }

    /// Every accepted spelling the generator makes: common shapes and odd ones.
    fn arb_maven() -> impl Strategy<Value = String> {
        arb_spelling().prop_filter("refused by this module", |s| Maven::parse(s).is_ok())
    }

    proptest! {
        #[test]
        fn total_order(vs in prop::collection::vec(arb_maven(), 2..24)) {
            check_total_order::<Maven>(&vs);
        }

        #[test]
        fn display_reparses_to_an_equal_version(s in arb_maven()) {
            let parsed = v(&s);
            prop_assert_eq!(v(&parsed.to_string()), parsed);
        }

        #[test]
        fn case_and_trailing_zeros_do_not_matter(s in arb_maven()) {
            let parsed = v(&s);
            prop_assert_eq!(v(&s.to_ascii_uppercase()), parsed.clone());
            // After a number (not after a qualifier, whose place a suffix changes).
            if s.ends_with(|c: char| c.is_ascii_digit()) {
                prop_assert_eq!(v(&format!("{s}-0")), parsed.clone());
                prop_assert_eq!(v(&format!("{s}.0.0")), parsed);
            }
        }

        #[test]
        fn never_panics(s in arb_spelling()) {
            let _ = Maven::parse(&s);
        }

        #[test]
        fn never_panics_on_noise(s in "[0-9a-zA-Z._+ -]{0,30}") {
            let _ = Maven::parse(&s);
        }
    }
}
