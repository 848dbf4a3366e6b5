//! Ecosystems, package names and version schemes.
//!
//! This crate owns the answer to two questions every other part of cverun asks:
//! *is this the same package?* ([`Ecosystem`], [`normalize_name`]) and *which of
//! these two versions comes first?* ([`Scheme`]). Each version scheme lives in its
//! own module with its own tests:
//!
//! | scheme | module | ecosystems | implementation |
//! | --- | --- | --- | --- |
//! | PEP 440 | [`pep440`] | PyPI | the `pep440_rs` crate |
//! | SemVer 2.0 | [`semver`] | crates.io, npm, Hex | the `semver` crate, compared by precedence |
//! | Go modules | [`go`] | Go (modules, `stdlib`, `toolchain`) | the `semver` crate behind Go's spelling rules |
//! | RubyGems | [`rubygems`] | RubyGems | hand-written (see module doc) |
//! | Maven | [`maven`] | Maven | hand-written (see module doc) |
//! | NuGet | [`nuget`] | NuGet | hand-written (see module doc) |
//! | Composer | [`packagist`] | Packagist | hand-written (see module doc) |
//!
//! Every scheme parses strictly: a string that is not a version of its scheme is an
//! error, never a guess. Callers treat such an error as *unverifiable*, not as
//! *not affected*.
//!
//! [`similar`] finds close package names for "did you mean" hints.
//!
//! [`upgrade`] says whether an upgrade is breaking, per scheme (calendar versions,
//! Go toolchain upgrades, SemVer's caret rule).
//!
//! Nothing here does I/O.

use std::fmt;

mod ecosystem;
pub mod go;
pub mod maven;
pub mod nuget;
pub mod packagist;
pub mod pep440;
pub mod rubygems;
pub mod semver;
pub mod similar;
pub mod upgrade;

/// The leading number of a version's text (after an optional `v`).
pub(crate) fn leading(s: &str) -> Option<u64> {
    let digits: String = s
        .trim_start_matches(['v', 'V'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod order_tests;

#[cfg(test)]
mod version_tests {
    use super::*;

    fn v(k: SchemeKind, s: &str) -> Version {
        Version::parse(k, s).unwrap()
    }

    #[test]
    fn breaking_lines() {
        use SchemeKind::*;
        let cases = [
            (SemVer, "1.2.3", "1.9.0", false),
            (SemVer, "1.2.3", "2.0.0", true),
            (SemVer, "0.2.3", "0.2.9", false),
            (SemVer, "0.2.3", "0.3.0", true),
            (SemVer, "0.0.3", "0.0.4", true),
            (Pep440, "5.3.1", "5.4", false),
            (Pep440, "2.11.2", "3.0.0", true),
            (Pep440, "1.0", "1!1.0", true),
            (Go, "v0.7.0", "v0.17.0", false),
            (Go, "v1.9.0", "v2.0.0", true),
            (Maven, "2.14.1", "2.15.0", false),
            (Maven, "1.2.17", "2.17.1", true),
            (RubyGems, "1.13.3", "1.13.4", false),
            (NuGet, "12.0.1", "13.0.1", true),
            (Packagist, "v5.4.0", "5.4.9", false),
        ];
        for (k, a, b, expected) in cases {
            assert_eq!(
                v(k, a).breaking_to(&v(k, b)),
                Some(expected),
                "{k} {a} -> {b}"
            );
        }
        assert_eq!(v(SemVer, "1.0.0").breaking_to(&v(Pep440, "1.0")), None);
    }

    #[test]
    fn prereleases() {
        use SchemeKind::*;
        for (k, s, pre) in [
            (SemVer, "0.3.1-0", true),
            (SemVer, "0.3.1", false),
            (Pep440, "2.0rc1", true),
            (Pep440, "2.0.dev3", true),
            (Pep440, "2.0.post1", false),
            (Go, "v0.0.0-20220906165146-f3363e06e74c", true),
            (Maven, "2.0-beta9", true),
            (Maven, "2.15.0", false),
            (Maven, "31.1-android", false),
            (Maven, "31.1-jre", false),
            (Maven, "1.0alpha1", true),
            (Maven, "5.3.0.RC1", true),
            (Maven, "1.0-M1", true),
            (RubyGems, "1.0.a1", true),
            (NuGet, "1.0.0-preview.1", true),
            (Packagist, "1.0.0-RC1", true),
            (Packagist, "1.0.0", false),
        ] {
            assert_eq!(v(k, s).is_prerelease(), pre, "{k} {s}");
        }
    }
}

pub use ecosystem::{Ecosystem, normalize_name};
pub use upgrade::{Upgrade, is_go_toolchain, upgrade};

/// Longest version string any scheme accepts. Real versions are far shorter; a longer
/// string is refused with a clear error instead of being fed to a parser.
pub const MAX_VERSION_LEN: usize = 256;

/// A version scheme: how one family of ecosystems spells and orders versions.
///
/// `Version`'s `Ord` is the scheme's precedence and its `Eq` the scheme's equality
/// (for example PEP 440's `1.0 == 1.0.0`, or SemVer ignoring build metadata).
pub trait Scheme: 'static {
    /// A parsed version of this scheme.
    type Version: Ord + Clone + fmt::Debug + Send + Sync;
    /// Which scheme this is, for messages.
    const KIND: SchemeKind;
    /// Parses `input` strictly; anything that is not a version of this scheme is an error.
    fn parse(input: &str) -> Result<Self::Version, VersionError>;
}

/// The version schemes cverun knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SchemeKind {
    /// PEP 440 (PyPI).
    Pep440,
    /// SemVer 2.0 (crates.io, npm, Hex).
    SemVer,
    /// Go module and toolchain versions.
    Go,
    /// RubyGems' `Gem::Version`.
    RubyGems,
    /// Maven's `ComparableVersion`.
    Maven,
    /// NuGet's `NuGetVersion`.
    NuGet,
    /// Composer's version normalisation and `version_compare` (Packagist).
    Packagist,
}

impl SchemeKind {
    /// Human name of the scheme, as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            SchemeKind::Pep440 => "PEP 440",
            SchemeKind::SemVer => "SemVer 2.0",
            SchemeKind::Go => "Go module",
            SchemeKind::RubyGems => "RubyGems",
            SchemeKind::Maven => "Maven",
            SchemeKind::NuGet => "NuGet",
            SchemeKind::Packagist => "Composer",
        }
    }
}

impl fmt::Display for SchemeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A string that is not a valid version of a scheme.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{:?} is not a valid {scheme} version: {reason}", shorten(input))]
pub struct VersionError {
    /// The scheme that refused the string.
    pub scheme: SchemeKind,
    /// The refused string (kept whole; shortened only when displayed).
    pub input: String,
    /// Why it was refused.
    pub reason: String,
}

impl VersionError {
    /// Builds an error for `input` refused by `scheme`.
    pub fn new(scheme: SchemeKind, input: &str, reason: impl Into<String>) -> Self {
        VersionError {
            scheme,
            input: input.to_owned(),
            reason: reason.into(),
        }
    }
}

/// Common guard every scheme runs first: empty or absurdly long input.
pub(crate) fn check_len(scheme: SchemeKind, input: &str) -> Result<(), VersionError> {
    if input.trim().is_empty() {
        return Err(VersionError::new(scheme, input, "empty version"));
    }
    if input.len() > MAX_VERSION_LEN {
        return Err(VersionError::new(
            scheme,
            input,
            format!(
                "longer than {MAX_VERSION_LEN} bytes ({} bytes)",
                input.len()
            ),
        ));
    }
    Ok(())
}

fn shorten(s: &str) -> String {
    const KEEP: usize = 60;
    if s.chars().count() <= KEEP {
        s.to_owned()
    } else {
        let head: String = s.chars().take(KEEP).collect();
        format!("{head}...")
    }
}

/// Calls `$body` with `$S` bound to the scheme type of `$kind`.
///
/// ```
/// use cverun_versions::{SchemeKind, Scheme, with_scheme};
/// let ok = with_scheme!(SchemeKind::Pep440, S => S::parse("1.0").is_ok());
/// assert!(ok);
/// ```
#[macro_export]
macro_rules! with_scheme {
    ($kind:expr, $S:ident => $body:expr) => {
        match $kind {
            $crate::SchemeKind::Pep440 => {
                type $S = $crate::pep440::Pep440;
                $body
            }
            $crate::SchemeKind::SemVer => {
                type $S = $crate::semver::SemVer;
                $body
            }
            $crate::SchemeKind::Go => {
                type $S = $crate::go::GoScheme;
                $body
            }
            $crate::SchemeKind::RubyGems => {
                type $S = $crate::rubygems::RubyGems;
                $body
            }
            $crate::SchemeKind::Maven => {
                type $S = $crate::maven::Maven;
                $body
            }
            $crate::SchemeKind::NuGet => {
                type $S = $crate::nuget::NuGet;
                $body
            }
            $crate::SchemeKind::Packagist => {
                type $S = $crate::packagist::Packagist;
                $body
            }
        }
    };
}

/// A parsed version of any scheme, for code that picks the scheme at run time.
///
/// Two `Version`s are only meaningfully compared when they come from the same
/// scheme; [`Version::cmp_same`] checks that, `Ord` orders by scheme first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// PEP 440.
    Pep440(<pep440::Pep440 as Scheme>::Version),
    /// SemVer 2.0.
    SemVer(<semver::SemVer as Scheme>::Version),
    /// Go.
    Go(<go::GoScheme as Scheme>::Version),
    /// RubyGems.
    RubyGems(<rubygems::RubyGems as Scheme>::Version),
    /// Maven.
    Maven(<maven::Maven as Scheme>::Version),
    /// NuGet.
    NuGet(<nuget::NuGet as Scheme>::Version),
    /// Composer.
    Packagist(<packagist::Packagist as Scheme>::Version),
}

impl Version {
    /// Parses `input` in `scheme`.
    pub fn parse(scheme: SchemeKind, input: &str) -> Result<Version, VersionError> {
        Ok(match scheme {
            SchemeKind::Pep440 => Version::Pep440(pep440::Pep440::parse(input)?),
            SchemeKind::SemVer => Version::SemVer(semver::SemVer::parse(input)?),
            SchemeKind::Go => Version::Go(go::GoScheme::parse(input)?),
            SchemeKind::RubyGems => Version::RubyGems(rubygems::RubyGems::parse(input)?),
            SchemeKind::Maven => Version::Maven(maven::Maven::parse(input)?),
            SchemeKind::NuGet => Version::NuGet(nuget::NuGet::parse(input)?),
            SchemeKind::Packagist => Version::Packagist(packagist::Packagist::parse(input)?),
        })
    }

    /// The scheme this version was parsed in.
    pub fn scheme(&self) -> SchemeKind {
        match self {
            Version::Pep440(_) => SchemeKind::Pep440,
            Version::SemVer(_) => SchemeKind::SemVer,
            Version::Go(_) => SchemeKind::Go,
            Version::RubyGems(_) => SchemeKind::RubyGems,
            Version::Maven(_) => SchemeKind::Maven,
            Version::NuGet(_) => SchemeKind::NuGet,
            Version::Packagist(_) => SchemeKind::Packagist,
        }
    }

    /// Whether this is a pre-release (PEP 440 pre- and dev-releases, SemVer/Go
    /// pre-release identifiers, RubyGems letters, Maven alpha/beta/milestone/RC/
    /// snapshot qualifiers, NuGet labels, Composer's non-stable stabilities).
    pub fn is_prerelease(&self) -> bool {
        match self {
            Version::Pep440(v) => v.is_pre() || v.is_dev(),
            Version::SemVer(v) | Version::Go(v) => !v.0.pre.is_empty(),
            Version::RubyGems(v) => v.is_prerelease(),
            Version::Maven(v) => {
                // Maven's pre-release qualifiers, as whole tokens: `alpha`, `beta`,
                // `milestone`, `rc`, `cr` and the short forms `a1`, `b2`, `m3`
                // (so `31.1-android` is not taken for an alpha).
                let t = v.to_string().to_ascii_lowercase();
                let bytes = t.as_bytes();
                let mut i = 0;
                let mut pre = v.is_snapshot();
                while i < bytes.len() && !pre {
                    if !bytes[i].is_ascii_alphabetic() {
                        i += 1;
                        continue;
                    }
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    let digit_follows = bytes.get(i).is_some_and(u8::is_ascii_digit);
                    pre = matches!(&t[start..i], "alpha" | "beta" | "milestone" | "rc" | "cr")
                        || (matches!(&t[start..i], "a" | "b" | "m") && digit_follows);
                }
                pre
            }
            Version::NuGet(v) => v.is_prerelease(),
            Version::Packagist(v) => v.stability() != "stable",
        }
    }

    /// Whether upgrading from `self` to `to` crosses the line the scheme treats as
    /// incompatible: a different major version (PEP 440 epoch or first release
    /// number; Go modules' major, which changes the import path; the first number of
    /// RubyGems, Maven, NuGet and Composer versions), and for SemVer (crates.io, npm,
    /// Hex) the caret rule: `0.y` changes are breaking, and `0.0.z` ones too.
    /// `None` when the two are not of the same scheme.
    pub fn breaking_to(&self, to: &Version) -> Option<bool> {
        Some(match (self, to) {
            (Version::Pep440(a), Version::Pep440(b)) => {
                a.epoch() != b.epoch() || a.release().first() != b.release().first()
            }
            (Version::SemVer(a), Version::SemVer(b)) => {
                let (a, b) = (&a.0, &b.0);
                a.major != b.major
                    || (a.major == 0
                        && (a.minor != b.minor || (a.minor == 0 && a.patch != b.patch)))
            }
            (Version::Go(a), Version::Go(b)) => a.0.major != b.0.major,
            (Version::RubyGems(a), Version::RubyGems(b)) => {
                leading(&a.to_string()) != leading(&b.to_string())
            }
            (Version::Maven(a), Version::Maven(b)) => {
                leading(&a.to_string()) != leading(&b.to_string())
            }
            (Version::NuGet(a), Version::NuGet(b)) => {
                leading(&a.to_string()) != leading(&b.to_string())
            }
            (Version::Packagist(a), Version::Packagist(b)) => {
                leading(&a.to_string()) != leading(&b.to_string())
            }
            _ => return None,
        })
    }

    /// Compares two versions of the same scheme; `None` when the schemes differ.
    pub fn cmp_same(&self, other: &Version) -> Option<std::cmp::Ordering> {
        (self.scheme() == other.scheme()).then(|| self.cmp(other))
    }
}

/// Compares two version strings in `scheme`; errors name the string that did not parse.
pub fn compare(scheme: SchemeKind, a: &str, b: &str) -> Result<std::cmp::Ordering, VersionError> {
    with_scheme!(scheme, S => {
        let a = S::parse(a)?;
        let b = S::parse(b)?;
        Ok(a.cmp(&b))
    })
}
