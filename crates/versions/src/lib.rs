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

#[cfg(test)]
mod order_tests;

pub use ecosystem::{Ecosystem, normalize_name};

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
