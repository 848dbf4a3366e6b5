//! The scan report: what `--format json` prints (schema `cverun.scan/1`, documented in
//! docs/json-output.md), and what the other formats render.

use std::sync::Arc;

use cverun_db::{Coverage, Freshness, Snapshot};
use cverun_inventory::{Relation, Scope, StdlibSource};
use cverun_osv::Finding;
use cverun_triage::exceptions::{CheckProblem, Severity};
use cverun_triage::policy::{Level, Priority};
use cverun_triage::severity::Score;
use serde::Serialize;

use crate::config::Exposure;
use crate::triage::{ExceptionUse, Fix};

/// The JSON schema name of [`Report`].
pub const SCHEMA: &str = "cverun.scan/1";

/// Everything a scan found.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// `cverun.scan/1`.
    pub schema: &'static str,
    /// The tool and its version.
    pub tool: Tool,
    /// When the scan ran (RFC 3339).
    pub scanned_at: String,
    /// The roots scanned, as given.
    pub roots: Vec<String>,
    /// The advisory database snapshot used.
    pub database: Snapshot,
    /// The ecosystems the database holds advisory data for: packages of any other
    /// ecosystem are not checked (`not_checked`).
    pub coverage: Coverage,
    /// How current each advisory source is, against `--max-db-age` (`null` when
    /// nothing was matched, as for `inventory save`).
    pub freshness: Option<Freshness>,
    /// The policy file used (`null`: the built-in defaults).
    pub policy: Option<String>,
    /// Counts.
    pub summary: Summary,
    /// Every service, in name order.
    pub services: Vec<ServiceReport>,
    /// Every finding at every location, most urgent first (vulnerabilities by
    /// priority and score, then unverifiable, then informational findings).
    pub findings: Vec<FindingRecord>,
    /// Findings covered by an exception in force: still listed, with the exception.
    pub suppressed: Vec<FindingRecord>,
    /// What is known about each vulnerability found (severity and exploit signals
    /// across all its ids): the inputs of its findings' priorities, listed once.
    pub vulnerabilities: Vec<crate::triage::Vulnerability>,
    /// Exceptions that are invalid, expired, too long for a finding's priority (errors:
    /// the scan fails), or need attention (warnings).
    pub exception_problems: Vec<CheckProblem>,
    /// Packages declared without an exact version: never matched, always listed.
    pub unpinned: Vec<PackageRecord>,
    /// Packages with an exact version that cannot be matched (git, path, URL,
    /// another registry).
    pub not_matchable: Vec<PackageRecord>,
    /// Packages with an exact version of an ecosystem the database holds no
    /// advisory data for: not checked, never counted as matched.
    pub not_checked: Vec<PackageRecord>,
    /// Every package of every manifest, when asked for (`--list-packages`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub packages: Option<Vec<InventoryRecord>>,
    /// Files or directories that could not be read: the scan is incomplete.
    pub errors: Vec<Problem>,
    /// Parts of files that could not be read, and other notes from the parsers.
    pub warnings: Vec<Problem>,
    /// What the filters (`--min-priority`, `--exclude`, standing excludes of
    /// cverun.toml...) left out of `findings` and `suppressed`: counts per filter
    /// and every exclude with its reason (docs/filters.md). Counts are zero and
    /// `filters` and `excluded_paths` empty when nothing is filtered.
    pub filtered: crate::filter::Filtered,
}

/// The tool.
#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    /// `cverun`.
    pub name: &'static str,
    /// Its version.
    pub version: &'static str,
}

/// Counts over the whole scan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Services.
    pub services: usize,
    /// Manifests read.
    pub manifests: usize,
    /// Packages declared (every occurrence).
    pub packages: usize,
    /// Packages matched against advisories.
    pub matched: usize,
    /// Packages without an exact version.
    pub unpinned: usize,
    /// Packages with a version that cannot be matched.
    pub not_matchable: usize,
    /// Packages not checked: no advisory data for their ecosystem.
    pub not_checked: usize,
    /// The ecosystems of the packages not checked.
    pub ecosystems_not_checked: Vec<String>,
    /// Files recognised as dependency declarations but not read.
    pub not_read: usize,
    /// Services of which nothing could be checked: every manifest unreadable or not
    /// read, or every package not checked.
    pub services_not_checked: usize,
    /// Vulnerability findings (locations).
    pub vulnerabilities: usize,
    /// Distinct vulnerabilities (primary ids).
    pub distinct_vulnerabilities: usize,
    /// Unverifiable findings (locations).
    pub unverifiable: usize,
    /// Informational findings (locations).
    pub informational: usize,
    /// Files that could not be read.
    pub errors: usize,
    /// Warnings.
    pub warnings: usize,
    /// Vulnerability findings (locations) per priority, suppressed ones aside.
    pub priorities: ByLevel,
    /// Findings suppressed by an exception in force.
    pub suppressed: usize,
    /// Exception problems that fail the scan.
    pub exception_errors: usize,
}

/// A count per priority level.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ByLevel {
    /// P0.
    #[serde(rename = "P0")]
    pub p0: usize,
    /// P1.
    #[serde(rename = "P1")]
    pub p1: usize,
    /// P2.
    #[serde(rename = "P2")]
    pub p2: usize,
    /// Routine.
    pub routine: usize,
}

impl ByLevel {
    /// Counts one more at `level`.
    pub fn add(&mut self, level: Level) {
        *self.get_mut(level) += 1;
    }

    /// The count at `level`.
    pub fn get(&self, level: Level) -> usize {
        match level {
            Level::P0 => self.p0,
            Level::P1 => self.p1,
            Level::P2 => self.p2,
            Level::Routine => self.routine,
        }
    }

    fn get_mut(&mut self, level: Level) -> &mut usize {
        match level {
            Level::P0 => &mut self.p0,
            Level::P1 => &mut self.p1,
            Level::P2 => &mut self.p2,
            Level::Routine => &mut self.routine,
        }
    }
}

/// One service.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceReport {
    /// Name.
    pub name: Arc<str>,
    /// Directory (relative to the root).
    pub path: String,
    /// The directory on disk, as reached from the roots given (for reading the
    /// service's source).
    #[serde(skip)]
    pub location: std::path::PathBuf,
    /// Whether it is named in cverun.toml.
    pub configured: bool,
    /// Owner, from cverun.toml.
    pub owner: Option<String>,
    /// Exposure, from cverun.toml.
    pub exposure: Option<Exposure>,
    /// Data handled, from cverun.toml.
    pub data: Option<String>,
    /// Tier, from cverun.toml.
    pub tier: Option<String>,
    /// Manifests read.
    pub manifests: Vec<ManifestReport>,
    /// Manifests not read, and why.
    pub skipped_manifests: Vec<Skipped>,
    /// Files recognised as dependency declarations that cverun does not read, and
    /// why: the service is not fully checked.
    pub not_read: Vec<Skipped>,
    /// Whether everything the service declares was read and checked: no
    /// unreadable or unread file, no package of an ecosystem without advisory data.
    pub fully_checked: bool,
    /// Packages declared.
    pub packages: usize,
    /// Vulnerability findings.
    pub vulnerabilities: usize,
    /// Unverifiable findings.
    pub unverifiable: usize,
    /// Informational findings.
    pub informational: usize,
    /// Unpinned packages.
    pub unpinned: usize,
    /// Packages that cannot be matched.
    pub not_matchable: usize,
    /// Packages not checked (no advisory data for their ecosystem).
    pub not_checked: usize,
}

/// One manifest of a service.
#[derive(Clone, Debug, Serialize)]
pub struct ManifestReport {
    /// Path relative to the scan root.
    pub path: Arc<str>,
    /// Format.
    pub kind: &'static str,
    /// Packages declared.
    pub packages: usize,
    /// Why it could not be read, when it could not.
    pub error: Option<String>,
}

/// A manifest that was not read.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// Path.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// One finding at one location.
#[derive(Clone, Debug, Serialize)]
pub struct FindingRecord {
    /// Service name.
    pub service: Arc<str>,
    /// Manifest declaring the package (relative to the scan root).
    pub manifest: Arc<str>,
    /// Line of the declaration.
    pub line: Option<u32>,
    /// Ecosystem.
    pub ecosystem: cverun_versions::Ecosystem,
    /// Package name.
    pub package: String,
    /// Installed version.
    pub version: String,
    /// Direct or transitive.
    pub relation: Relation,
    /// Runtime, development, optional.
    pub scope: Scope,
    /// Go `stdlib` only: where its version comes from, `toolchain` (the Go that
    /// builds the module) or `go-directive` (the minimum language version: the
    /// binary may be built with a newer Go). Absent for other packages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdlib_source: Option<StdlibSource>,
    /// Dependency paths from a direct dependency.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<Vec<String>>,
    /// The CVSS base score, when known: the best score computed from the vectors of
    /// every record of the vulnerability (all its ids), as the priority uses it.
    pub cvss: Option<Arc<Score>>,
    /// The runbook priority with its explanation (`null` for informational
    /// findings); its inputs are in the report's `vulnerabilities`.
    #[serde(serialize_with = "compact_priority")]
    pub priority: Option<Box<Priority>>,
    /// Fix options and the decision (vulnerabilities only).
    pub fix: Option<Arc<Fix>>,
    /// This advisory's own fix (vulnerabilities only): the smallest known version
    /// above the installed one that it does not affect, whatever the package's other
    /// advisories say, and the records that contradict themselves.
    pub own_fix: Option<Arc<cverun_osv::OwnFix>>,
    /// The exception covering this finding, and where it stands.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Arc<ExceptionUse>>,
    /// The advisory verdict (advisory, aliases, fixed, informational, unverifiable,
    /// matched ranges, severity vectors...).
    #[serde(flatten)]
    pub finding: Finding,
}

fn compact_priority<S: serde::Serializer>(
    p: &Option<Box<Priority>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match p {
        Some(p) => p.serialize_compact(s),
        None => s.serialize_none(),
    }
}

impl FindingRecord {
    /// Vulnerability (not informational, not unverifiable).
    pub fn is_vulnerability(&self) -> bool {
        self.finding.is_vulnerability()
    }
}

/// A package listed without being matched.
#[derive(Clone, Debug, Serialize)]
pub struct PackageRecord {
    /// Service name.
    pub service: Arc<str>,
    /// Manifest.
    pub manifest: Arc<str>,
    /// Line.
    pub line: Option<u32>,
    /// Ecosystem.
    pub ecosystem: String,
    /// Package.
    pub package: String,
    /// Exact version when there is one.
    pub version: Option<String>,
    /// Specifier when unpinned.
    pub specifier: Option<String>,
    /// Why it is not matched.
    pub reason: String,
}

/// A package as declared, for the full inventory listing.
#[derive(Clone, Debug, Serialize)]
pub struct InventoryRecord {
    /// Service name.
    pub service: Arc<str>,
    /// Manifest (or included file) declaring it.
    pub manifest: Arc<str>,
    /// Line.
    pub line: Option<u32>,
    /// Ecosystem.
    pub ecosystem: String,
    /// Package.
    pub package: String,
    /// Exact version, when pinned.
    pub version: Option<String>,
    /// Specifier, when not pinned.
    pub specifier: Option<String>,
    /// Direct or transitive.
    pub relation: Relation,
    /// Runtime, development, optional.
    pub scope: Scope,
    /// Go `stdlib` only: `toolchain` or `go-directive` (see [`FindingRecord`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdlib_source: Option<StdlibSource>,
    /// Dependency paths from a direct dependency.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<Vec<String>>,
    /// Why it is not matched, when it is not.
    pub unmatched: Option<String>,
}

/// A problem with a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The file or directory.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

/// Which findings make the exit status non-zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailOn {
    /// Any vulnerability or unverifiable finding (the default).
    Any,
    /// Vulnerabilities, unverifiable and informational findings.
    Informational,
    /// Vulnerabilities of at least this CVSS rating, and unverifiable findings; a
    /// vulnerability of unknown severity counts (unknown is not low).
    Rating(cverun_triage::severity::Rating),
    /// Vulnerabilities and unverifiable findings of at least this priority (`P1`
    /// fails on P0 and P1).
    Priority(Level),
    /// Nothing found fails (errors still do).
    Never,
}

impl Report {
    /// 0 clean, 1 findings at or above `fail_on` or an exception that is invalid,
    /// expired or too long (unless `never`), 2 when any file or directory could not
    /// be read (a partial scan is never clean). Suppressed findings do not count.
    ///
    /// Not being able to judge is never clean: a package not checked (no advisory
    /// data for its ecosystem) or a service of which nothing could be checked gives
    /// 1 like an unverifiable finding, whatever `fail_on` (only `never` ignores it);
    /// advisory data older than an enforced `--max-db-age` gives 2.
    pub fn exit_code(&self, fail_on: FailOn) -> u8 {
        if !self.errors.is_empty() || self.too_old() {
            return 2;
        }
        let failing = self.findings.iter().any(|f| match fail_on {
            FailOn::Never => false,
            FailOn::Informational => true,
            FailOn::Any => f.finding.informational.is_none(),
            FailOn::Rating(min) => {
                f.finding.unverifiable.is_some()
                    || (f.finding.informational.is_none()
                        && f.cvss.as_ref().is_none_or(|s| s.rating >= min))
            }
            FailOn::Priority(min) => {
                f.finding.informational.is_none()
                    && f.priority.as_ref().is_none_or(|p| p.level <= min)
            }
        });
        let bad_exceptions = fail_on != FailOn::Never
            && self
                .exception_problems
                .iter()
                .any(|p| p.severity == Severity::Error);
        let unjudged = fail_on != FailOn::Never
            && (self.summary.not_checked > 0 || self.summary.services_not_checked > 0);
        u8::from(failing || bad_exceptions || unjudged)
    }

    /// Whether the advisory data is older than an enforced maximum age.
    pub fn too_old(&self) -> bool {
        self.freshness
            .as_ref()
            .is_some_and(|f| f.enforced && !f.stale.is_empty())
    }
}
