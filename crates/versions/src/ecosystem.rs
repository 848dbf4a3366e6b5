//! Package ecosystems as OSV names them, and how each one compares package names.

use std::borrow::Cow;
use std::fmt;

use crate::SchemeKind;

/// A package ecosystem, spelled as in the OSV schema's ecosystem list.
///
/// Ecosystems cverun has no version scheme for are kept as [`Ecosystem::Other`]
/// with their exact OSV spelling (for example `Debian:12`): advisories for them are
/// stored and shown, and anything that would need their version order is reported
/// as unverifiable.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    /// `PyPI`
    PyPI,
    /// `crates.io`
    CratesIo,
    /// `Go`
    Go,
    /// `npm`
    Npm,
    /// `RubyGems`
    RubyGems,
    /// `Maven`
    Maven,
    /// `NuGet`
    NuGet,
    /// `Packagist`
    Packagist,
    /// `Hex`
    Hex,
    /// Any other OSV ecosystem string, kept verbatim.
    Other(String),
}

impl Ecosystem {
    /// Every ecosystem with a version scheme, in a stable order.
    pub const SUPPORTED: [Ecosystem; 9] = [
        Ecosystem::PyPI,
        Ecosystem::CratesIo,
        Ecosystem::Go,
        Ecosystem::Npm,
        Ecosystem::RubyGems,
        Ecosystem::Maven,
        Ecosystem::NuGet,
        Ecosystem::Packagist,
        Ecosystem::Hex,
    ];

    /// Reads an OSV `package.ecosystem` string exactly as the schema spells it.
    pub fn from_osv(s: &str) -> Ecosystem {
        match s {
            "PyPI" => Ecosystem::PyPI,
            "crates.io" => Ecosystem::CratesIo,
            "Go" => Ecosystem::Go,
            "npm" => Ecosystem::Npm,
            "RubyGems" => Ecosystem::RubyGems,
            "Maven" => Ecosystem::Maven,
            "NuGet" => Ecosystem::NuGet,
            "Packagist" => Ecosystem::Packagist,
            "Hex" => Ecosystem::Hex,
            other => Ecosystem::Other(other.to_owned()),
        }
    }

    /// Reads an ecosystem typed by a person: OSV spellings in any case, plus the
    /// usual tool names (`pip`, `cargo`, `golang`, `gem`, `composer`, ...).
    /// Returns `None` for anything else.
    pub fn from_user(s: &str) -> Option<Ecosystem> {
        let e = match s.to_ascii_lowercase().as_str() {
            "pypi" | "pip" | "python" => Ecosystem::PyPI,
            "crates.io" | "crates" | "cargo" | "rust" => Ecosystem::CratesIo,
            "go" | "golang" => Ecosystem::Go,
            "npm" | "node" | "javascript" | "js" => Ecosystem::Npm,
            "rubygems" | "gem" | "gems" | "ruby" => Ecosystem::RubyGems,
            "maven" | "java" => Ecosystem::Maven,
            "nuget" | "dotnet" | ".net" => Ecosystem::NuGet,
            "packagist" | "composer" | "php" => Ecosystem::Packagist,
            "hex" | "elixir" | "erlang" => Ecosystem::Hex,
            _ => return None,
        };
        Some(e)
    }

    /// The OSV spelling.
    pub fn osv_name(&self) -> &str {
        match self {
            Ecosystem::PyPI => "PyPI",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Go => "Go",
            Ecosystem::Npm => "npm",
            Ecosystem::RubyGems => "RubyGems",
            Ecosystem::Maven => "Maven",
            Ecosystem::NuGet => "NuGet",
            Ecosystem::Packagist => "Packagist",
            Ecosystem::Hex => "Hex",
            Ecosystem::Other(s) => s,
        }
    }

    /// The version scheme of this ecosystem, or `None` where cverun has none.
    pub fn scheme(&self) -> Option<SchemeKind> {
        Some(match self {
            Ecosystem::PyPI => SchemeKind::Pep440,
            Ecosystem::CratesIo | Ecosystem::Npm | Ecosystem::Hex => SchemeKind::SemVer,
            Ecosystem::Go => SchemeKind::Go,
            Ecosystem::RubyGems => SchemeKind::RubyGems,
            Ecosystem::Maven => SchemeKind::Maven,
            Ecosystem::NuGet => SchemeKind::NuGet,
            Ecosystem::Packagist => SchemeKind::Packagist,
            Ecosystem::Other(_) => return None,
        })
    }
}

impl serde::Serialize for Ecosystem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.osv_name())
    }
}

impl<'de> serde::Deserialize<'de> for Ecosystem {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Ok(Ecosystem::from_osv(&s))
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}

/// The key under which `name` is compared within `ecosystem`.
///
/// - PyPI: PEP 503 (lower case, every run of `-`, `_`, `.` becomes one `-`).
/// - crates.io: lower case, `_` as `-` (crates.io refuses two crates that differ only
///   so, so the folding can never merge two real crates).
/// - NuGet, Packagist: lower case (both registries treat ids case-insensitively).
/// - Everything else (Go module paths, npm, RubyGems, Maven `group:artifact`, Hex):
///   exact, as those registries are case-sensitive.
pub fn normalize_name<'a>(ecosystem: &Ecosystem, name: &'a str) -> Cow<'a, str> {
    match ecosystem {
        Ecosystem::PyPI => pep503(name),
        Ecosystem::CratesIo => {
            if name.bytes().any(|b| b.is_ascii_uppercase() || b == b'_') {
                Cow::Owned(name.to_ascii_lowercase().replace('_', "-"))
            } else {
                Cow::Borrowed(name)
            }
        }
        Ecosystem::NuGet | Ecosystem::Packagist => {
            if name.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(name.to_ascii_lowercase())
            } else {
                Cow::Borrowed(name)
            }
        }
        _ => Cow::Borrowed(name),
    }
}

fn pep503(name: &str) -> Cow<'_, str> {
    let already = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.contains("--");
    if already {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_sep = false;
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_examples_from_the_pep() {
        // PEP 503: "friendly-bard", "Friendly-Bard", "FRIENDLY-BARD", "friendly.bard",
        // "friendly_bard", "friendly--bard", "FrIeNdLy-._.-bArD" all normalise alike.
        for n in [
            "friendly-bard",
            "Friendly-Bard",
            "FRIENDLY-BARD",
            "friendly.bard",
            "friendly_bard",
            "friendly--bard",
            "FrIeNdLy-._.-bArD",
        ] {
            assert_eq!(normalize_name(&Ecosystem::PyPI, n), "friendly-bard", "{n}");
        }
        assert_eq!(
            normalize_name(&Ecosystem::PyPI, "zope.interface"),
            "zope-interface"
        );
        assert_eq!(normalize_name(&Ecosystem::PyPI, "PyYAML"), "pyyaml");
    }

    #[test]
    fn other_ecosystems() {
        assert_eq!(
            normalize_name(&Ecosystem::CratesIo, "Serde_JSON"),
            "serde-json"
        );
        assert_eq!(
            normalize_name(&Ecosystem::NuGet, "Newtonsoft.Json"),
            "newtonsoft.json"
        );
        assert_eq!(
            normalize_name(&Ecosystem::Packagist, "Symfony/HTTP-Kernel"),
            "symfony/http-kernel"
        );
        // Go module paths are case-sensitive.
        assert_eq!(
            normalize_name(&Ecosystem::Go, "github.com/Sirupsen/logrus"),
            "github.com/Sirupsen/logrus"
        );
        assert_eq!(normalize_name(&Ecosystem::Npm, "JSONStream"), "JSONStream");
    }

    #[test]
    fn osv_names_round_trip() {
        for e in Ecosystem::SUPPORTED {
            assert_eq!(Ecosystem::from_osv(e.osv_name()), e);
            assert_eq!(Ecosystem::from_user(e.osv_name()), Some(e.clone()));
            assert!(e.scheme().is_some());
        }
        assert_eq!(
            Ecosystem::from_osv("Debian:12"),
            Ecosystem::Other("Debian:12".into())
        );
        assert_eq!(Ecosystem::from_osv("pypi"), Ecosystem::Other("pypi".into()));
        assert_eq!(Ecosystem::Other("Debian:12".into()).scheme(), None);
        assert_eq!(Ecosystem::from_user("nonsense"), None);
    }
}
