//! A package as a file declares it.

use cverun_versions::{Ecosystem, normalize_name};
use serde::{Deserialize, Serialize};

/// One package declared by a lockfile, manifest or SBOM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Its name: PEP 503-normalised for PyPI (as pip reports names), as declared
    /// elsewhere (crates.io, NuGet and Packagist names are folded only when compared,
    /// so reports show `remove_dir_all`, `Newtonsoft.Json` as their registries do).
    pub name: String,
    /// Exact version, or the specifier when the file does not pin one.
    pub pin: Pin,
    /// Direct dependency of the project, or pulled in by another package.
    pub relation: Relation,
    /// Runtime, development/test, or optional, where the format says.
    pub scope: Scope,
    /// Where it comes from; only registry packages can be matched against advisories.
    pub source: Source,
    /// Chains of packages (`name@version`) from a direct dependency down to this
    /// package, shortest first (at most three, through different direct
    /// dependencies); empty for a direct dependency and when the format records no
    /// graph.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<Vec<String>>,
    /// 1-based line of the declaration in its file, when known.
    pub line: Option<u32>,
    /// The file that declares it, when not the file that was parsed (a requirements
    /// file included with `-r`, say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<std::path::PathBuf>,
    /// Go's standard library (`stdlib`): which line of go.mod its version comes
    /// from (`None` for every other package, and where the format does not say).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdlib_source: Option<StdlibSource>,
}

/// Where the version of Go's standard library (`stdlib`) comes from.
///
/// A `toolchain` line names the Go release that builds the module; a `go`
/// directive only names the oldest language version the module accepts: the
/// binary may well be built with a newer, fixed Go, so findings from it say
/// "may be affected" more than "is".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StdlibSource {
    /// The `toolchain` line (`toolchain go1.22.3`).
    Toolchain,
    /// The `go` directive (`go 1.12`): the minimum language version.
    GoDirective,
}

impl StdlibSource {
    /// `toolchain` or `go-directive`, as in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            StdlibSource::Toolchain => "toolchain",
            StdlibSource::GoDirective => "go-directive",
        }
    }
}

impl Package {
    /// A registry package with an exact version, direct, runtime scope, no line:
    /// parsers adjust the fields they know.
    pub fn new(ecosystem: Ecosystem, name: &str, pin: Pin) -> Package {
        let name = match ecosystem {
            Ecosystem::PyPI => normalize_name(&ecosystem, name).into_owned(),
            _ => name.to_owned(),
        };
        Package {
            ecosystem,
            name,
            pin,
            relation: Relation::Unknown,
            scope: Scope::Unknown,
            source: Source::Registry,
            paths: Vec::new(),
            line: None,
            file: None,
            stdlib_source: None,
        }
    }

    /// Sets the line (builder style).
    pub fn at_line(mut self, line: u32) -> Package {
        self.line = Some(line);
        self
    }

    /// The exact version, when pinned.
    pub fn exact_version(&self) -> Option<&str> {
        match &self.pin {
            Pin::Exact(v) => Some(v),
            Pin::Unpinned { .. } => None,
        }
    }

    /// Why this package cannot be matched against advisories, or `None` when it can
    /// (an exact version from a registry).
    pub fn unmatchable_reason(&self) -> Option<String> {
        match (&self.pin, &self.source) {
            (Pin::Unpinned { specifier }, _) => Some(if specifier.is_empty() {
                "no version given".to_owned()
            } else {
                format!("not pinned to one version ({specifier})")
            }),
            (_, Source::Registry) => None,
            (_, Source::OtherRegistry(url)) => Some(format!("from another registry ({url})")),
            (_, Source::Git { url, rev }) => Some(match rev {
                Some(r) => format!("from git ({url} at {r})"),
                None => format!("from git ({url})"),
            }),
            (_, Source::Path(p)) => Some(format!("local path ({p})")),
            (_, Source::Url(u)) => Some(format!("direct URL ({u})")),
        }
    }
}

/// How precisely a file pins a package.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pin {
    /// One exact version, as written.
    Exact(String),
    /// A range or nothing: `>=2.0`, `^1.2`, `~> 3.1`, or empty for "any".
    Unpinned {
        /// The specifier as written (empty when none).
        specifier: String,
    },
}

/// Whether the project asks for the package itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Declared by the project.
    Direct,
    /// Pulled in by another package.
    Transitive,
    /// The format does not say.
    Unknown,
}

/// What the package is needed for, where the format says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Needed at run time.
    Runtime,
    /// Development or test only.
    Development,
    /// Optional (extras, optional features).
    Optional,
    /// The format does not say.
    Unknown,
}

impl Scope {
    /// How much this scope says "ships in production": runtime, then unknown (it
    /// may ship), then optional, then development.
    pub fn breadth(self) -> u8 {
        match self {
            Scope::Runtime => 3,
            Scope::Unknown => 2,
            Scope::Optional => 1,
            Scope::Development => 0,
        }
    }

    /// The broader of two scopes, for a package declared twice (runtime wins, an
    /// unknown scope wins over optional and development: it may ship).
    pub fn broader(self, other: Scope) -> Scope {
        if other.breadth() > self.breadth() {
            other
        } else {
            self
        }
    }

    /// Combines two pieces of information about one package's scope: an unknown
    /// scope (no information) yields to a known one; two known ones give the broader.
    pub fn combine(self, other: Scope) -> Scope {
        match (self, other) {
            (Scope::Unknown, s) | (s, Scope::Unknown) => s,
            (a, b) => a.broader(b),
        }
    }
}

/// Where a package comes from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The ecosystem's registry (or a mirror of it): matchable.
    Registry,
    /// A registry known to be a different one (a Cargo alternate registry, say):
    /// its packages are not the public ones of the same name.
    OtherRegistry(String),
    /// A git repository.
    Git {
        /// Repository URL.
        url: String,
        /// Commit, tag or branch, when recorded.
        rev: Option<String>,
    },
    /// A local directory.
    Path(String),
    /// A direct download URL (tarball, wheel).
    Url(String),
}
