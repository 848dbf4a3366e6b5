//! What an upgrade from one version to another means for compatibility, per scheme.
//!
//! [`upgrade`] is the one rule the fix options and the decisions use:
//!
//! | case | breaking | note |
//! | --- | --- | --- |
//! | Go `stdlib` / `toolchain`, same `1.N` | no | none |
//! | Go `stdlib` / `toolchain`, `1.N` to `1.M` | **yes** | `Go toolchain upgrade 1.N -> 1.M` |
//! | calendar versions (both first numbers a year, 1990 to 2999, or a `YYYYMMDD` date) | no | `calendar versions: YYYY -> YYYY is not a major version` when the year changes |
//! | anything else | [`Version::breaking_to`]: a different major version, SemVer's caret rule for `0.y` and `0.0.z`, Go modules' major version | none |
//!
//! A Go toolchain upgrade across minor releases is counted as breaking: the Go 1
//! compatibility promise covers most code, but the new toolchain has to reach every
//! build image and CI job, and the `go` directive changes language and module
//! semantics (module graph pruning at 1.17, per-iteration loop variables at 1.22,
//! GODEBUG defaults). Planning for that work costs less than a "compatible hotfix"
//! that is not one. A patch release of the same Go minor (1.22.0 to 1.22.5) is not.
//!
//! Calendar-versioned packages (certifi `2018.11.29`) put a date where a major
//! version would be: a new year is a new release, not an incompatible one. A
//! two-digit year (pip's `24.0`) cannot be told from a major version and stays one.

use crate::{Ecosystem, Version, leading};

/// Whether an upgrade is breaking, and what to know about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Upgrade {
    /// Whether it crosses the line the scheme treats as incompatible (`None`: the
    /// versions are of different schemes).
    pub breaking: Option<bool>,
    /// What kind of upgrade it is, when the version numbers alone mislead (a Go
    /// toolchain upgrade, calendar versions).
    pub note: Option<String>,
}

/// The smallest first number read as a year.
const FIRST_YEAR: u64 = 1990;
/// The largest first number read as a year.
const LAST_YEAR: u64 = 2999;

/// The year a date-like first number stands for: a year (1990 to 2999) or a
/// `YYYYMMDD` date of such a year with a valid month and day.
fn calendar_year(first: u64) -> Option<u64> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&first) {
        return Some(first);
    }
    let (year, month, day) = (first / 10_000, first / 100 % 100, first % 100);
    ((FIRST_YEAR..=LAST_YEAR).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day))
    .then_some(year)
}

/// The first release number of a version, as the scheme reads it.
fn first_number(v: &Version) -> Option<u64> {
    match v {
        Version::Pep440(p) => (p.epoch() == 0)
            .then(|| p.release().first().copied())
            .flatten(),
        Version::SemVer(s) | Version::Go(s) => Some(s.0.major),
        Version::RubyGems(x) => leading(&x.to_string()),
        Version::Maven(x) => leading(&x.to_string()),
        Version::NuGet(x) => leading(&x.to_string()),
        Version::Packagist(x) => leading(&x.to_string()),
    }
}

/// Whether package `name` of `ecosystem` is the Go standard library or toolchain,
/// versioned as Go releases (`1.21.3`).
pub fn is_go_toolchain(ecosystem: &Ecosystem, name: &str) -> bool {
    *ecosystem == Ecosystem::Go && matches!(name, "stdlib" | "toolchain")
}

/// What upgrading package `name` of `ecosystem` from `from` to `to` means (see the
/// module doc for the rule of each scheme).
pub fn upgrade(ecosystem: &Ecosystem, name: &str, from: &Version, to: &Version) -> Upgrade {
    if let (true, Version::Go(a), Version::Go(b)) = (is_go_toolchain(ecosystem, name), from, to) {
        let (a, b) = (&a.0, &b.0);
        if (a.major, a.minor) == (b.major, b.minor) {
            return Upgrade {
                breaking: Some(false),
                note: None,
            };
        }
        return Upgrade {
            breaking: Some(true),
            note: Some(format!(
                "Go toolchain upgrade {}.{} -> {}.{}",
                a.major, a.minor, b.major, b.minor
            )),
        };
    }
    if !matches!(from, Version::Go(_)) {
        let years = first_number(from)
            .and_then(calendar_year)
            .zip(first_number(to).and_then(calendar_year));
        if let Some((a, b)) = years {
            return Upgrade {
                breaking: (from.scheme() == to.scheme()).then_some(false),
                note: (a != b).then(|| {
                    format!("calendar versions: {a} -> {b} is a newer release, not a major version")
                }),
            };
        }
    }
    Upgrade {
        breaking: from.breaking_to(to),
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SchemeKind::{self, *};

    fn up(eco: Ecosystem, name: &str, k: SchemeKind, a: &str, b: &str) -> Upgrade {
        upgrade(
            &eco,
            name,
            &Version::parse(k, a).unwrap(),
            &Version::parse(k, b).unwrap(),
        )
    }

    #[test]
    fn calendar_versions_are_not_majors() {
        let u = up(
            Ecosystem::PyPI,
            "certifi",
            Pep440,
            "2018.11.29",
            "2023.7.22",
        );
        assert_eq!(u.breaking, Some(false));
        assert_eq!(
            u.note.as_deref(),
            Some("calendar versions: 2018 -> 2023 is a newer release, not a major version")
        );
        // Same year: no note.
        let u = up(Ecosystem::PyPI, "certifi", Pep440, "2022.9.14", "2022.12.7");
        assert_eq!((u.breaking, u.note), (Some(false), None));
        // YYYYMMDD first numbers.
        let u = up(Ecosystem::PyPI, "tzdata", Pep440, "20180101", "20240315.1");
        assert_eq!(u.breaking, Some(false));
        // SemVer and Maven too.
        assert_eq!(
            up(Ecosystem::Npm, "x", SemVer, "2019.1.0", "2021.3.0").breaking,
            Some(false)
        );
        assert_eq!(
            up(Ecosystem::Maven, "x", Maven, "2020.1", "2022.2").breaking,
            Some(false)
        );
    }

    #[test]
    fn ordinary_majors_stay_breaking() {
        // Not a year: 24 -> 25, 1989 is below the first year, a date with month 13.
        assert_eq!(
            up(Ecosystem::PyPI, "pip", Pep440, "24.0", "25.0").breaking,
            Some(true)
        );
        assert_eq!(
            up(Ecosystem::PyPI, "x", Pep440, "1989.1", "1990.1").breaking,
            Some(true)
        );
        assert_eq!(
            up(Ecosystem::PyPI, "x", Pep440, "20181301", "20190101").breaking,
            Some(true)
        );
        // A switch from ordinary to calendar versions is breaking.
        assert_eq!(
            up(Ecosystem::PyPI, "x", Pep440, "0.9", "2020.1").breaking,
            Some(true)
        );
        // An epoch is a new line, whatever the numbers.
        assert_eq!(
            up(Ecosystem::PyPI, "x", Pep440, "2018.1", "1!2019.1").breaking,
            Some(true)
        );
        assert_eq!(
            up(Ecosystem::PyPI, "jinja2", Pep440, "2.11.2", "2.11.3"),
            Upgrade {
                breaking: Some(false),
                note: None
            }
        );
    }

    #[test]
    fn semver_zero_minor_is_breaking() {
        assert_eq!(
            up(Ecosystem::CratesIo, "x", SemVer, "0.2.9", "0.3.0").breaking,
            Some(true)
        );
        assert_eq!(
            up(Ecosystem::CratesIo, "x", SemVer, "0.2.3", "0.2.9").breaking,
            Some(false)
        );
        assert_eq!(
            up(Ecosystem::CratesIo, "x", SemVer, "0.0.3", "0.0.4").breaking,
            Some(true)
        );
    }

    #[test]
    fn go_toolchain_upgrades() {
        let u = up(Ecosystem::Go, "stdlib", Go, "1.15", "1.25.13");
        assert_eq!(u.breaking, Some(true));
        assert_eq!(u.note.as_deref(), Some("Go toolchain upgrade 1.15 -> 1.25"));
        let u = up(Ecosystem::Go, "toolchain", Go, "go1.22.0", "1.22.5");
        assert_eq!((u.breaking, u.note), (Some(false), None));
        // A module with the same numbers is judged by its major version only, and
        // a year-like Go module major is still a major (it is in the import path).
        let u = up(Ecosystem::Go, "golang.org/x/net", Go, "v0.7.0", "v0.17.0");
        assert_eq!((u.breaking, u.note), (Some(false), None));
        assert_eq!(
            up(Ecosystem::Go, "example.com/m", Go, "v2019.1.0", "v2020.1.0").breaking,
            Some(true)
        );
    }
}
