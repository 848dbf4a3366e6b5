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
    /// The vulnerability findings of `findings` folded per service, package and
    /// version: one row per vulnerable package, most urgent first
    /// ([`group_packages`]).
    pub packages_affected: Vec<PackageGroup>,
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
    /// Vulnerable packages: rows of `packages_affected` (service, package, version).
    pub packages_affected: usize,
    /// Rows of `packages_affected` per priority (their most urgent advisory's).
    pub package_priorities: ByLevel,
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

/// One vulnerable package version in one service: the findings of its advisories
/// folded into one row (the human table's row, and `packages_affected` in JSON).
///
/// A row shares what its findings hold (service and manifest names, advisory ids,
/// the package's fix) instead of copying it: a large fleet has nearly as many rows
/// as findings.
#[derive(Clone, Debug, Serialize)]
pub struct PackageGroup {
    /// Service name.
    pub service: Arc<str>,
    /// Ecosystem (its OSV name in JSON).
    #[serde(serialize_with = "osv_name")]
    pub ecosystem: cverun_versions::Ecosystem,
    /// Package name.
    pub package: String,
    /// Installed version.
    pub version: String,
    /// Where it is declared (`manifest:line` in JSON), every location, in the
    /// order of its findings (most urgent first).
    pub locations: Vec<Location>,
    /// Its advisories (primary ids), most urgent first.
    pub advisories: Vec<Arc<str>>,
    /// The most urgent priority among them.
    pub priority: Level,
    /// That priority's deadline (RFC 3339).
    pub due: jiff::Timestamp,
    /// The best CVSS base score among the advisories, when any is known.
    pub cvss: Option<f64>,
    /// The fix of the finding that decides for the package (its most urgent one,
    /// or the one a partial upgrade names): JSON shows its `decision` only, as
    /// `decision` ([`PackageGroup::decision`]).
    #[serde(rename = "decision", serialize_with = "decision_only")]
    pub package_fix: Arc<Fix>,
    /// The own fix of that finding's advisory, for [`PackageGroup::label`] (not in
    /// JSON).
    #[serde(skip)]
    pub own_fix: Option<Arc<cverun_osv::OwnFix>>,
    /// The two ways out: fixing the most urgent advisory, or every known one.
    pub fix: GroupFix,
}

fn osv_name<S: serde::Serializer>(
    ecosystem: &cverun_versions::Ecosystem,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.serialize_str(ecosystem.osv_name())
}

fn decision_only<S: serde::Serializer>(fix: &Arc<Fix>, s: S) -> Result<S::Ok, S::Error> {
    fix.decision.serialize(s)
}

impl PackageGroup {
    /// The runbook's decision for the package (that of its deciding finding).
    pub fn decision(&self) -> &cverun_triage::decision::Decision {
        &self.package_fix.decision
    }

    /// The decision for people: `HOTFIX -> v0.52.0 (fixes 18 of 19)`, a
    /// contradictory record named (see `Fix::label_with`).
    pub fn label(&self) -> String {
        self.package_fix.label_with(self.own_fix.as_deref())
    }
}

/// A place a package is declared: `manifest:line` (or the manifest alone), as
/// text and in JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// The manifest (relative to the scan root).
    pub manifest: Arc<str>,
    /// The line of the declaration, when known.
    pub line: Option<u32>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{l}", self.manifest),
            None => f.write_str(&self.manifest),
        }
    }
}

impl Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The fixes of a [`PackageGroup`].
#[derive(Clone, Debug, Serialize)]
pub struct GroupFix {
    /// The smallest version that fixes the most urgent advisory.
    pub most_urgent: FixStep,
    /// The smallest version no known advisory affects (`minimal_safe`).
    pub safe_from_all: FixStep,
    /// Whether reaching `safe_from_all` crosses a major version (`null`: unknown).
    pub breaking: Option<bool>,
    /// The newest earlier version no known advisory affects.
    pub rollback: Option<String>,
}

/// One fix version and what it leaves unfixed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FixStep {
    /// The version (`null`: no known version fixes it).
    pub version: Option<String>,
    /// The package's advisories still affecting that version (all of them when
    /// `version` is `null`).
    pub leaves_unfixed: Vec<Arc<str>>,
}

/// The version that fixes this finding's own advisory: its `own_fix` (the smallest
/// known version above the installed one that the advisory does not affect, from
/// every record of it); for findings without one (informational), the smallest
/// version the finding's matched intervals name as fixed.
///
/// This is the one accessor the grouped rows read for the "fixes the most urgent
/// advisory" column.
pub fn own_fix(f: &FindingRecord) -> Option<String> {
    own_fix_text(f).map(std::borrow::Cow::into_owned)
}

/// [`own_fix`], borrowed from the finding when it can be.
fn own_fix_text(f: &FindingRecord) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    if let Some(o) = &f.own_fix {
        return o.version.as_deref().map(Cow::Borrowed);
    }
    let scheme = f.ecosystem.scheme();
    let above = |v: &str| match scheme {
        Some(s) => cverun_versions::compare(s, v, &f.version)
            .map(|o| o.is_gt())
            .unwrap_or(false),
        None => true,
    };
    let mut best: Option<&str> = None;
    for v in f.finding.fixed.iter().map(|v| &**v).filter(|v| above(v)) {
        best = Some(match (best, scheme) {
            (Some(b), Some(s)) if cverun_versions::compare(s, b, v).is_ok_and(|o| o.is_le()) => b,
            (Some(b), None) => b,
            _ => v,
        });
    }
    // Go advisories write module versions without the `v` the go.mod has.
    best.map(|b| {
        if f.version.starts_with('v') && !b.starts_with('v') && f.ecosystem.osv_name() == "Go" {
            Cow::Owned(format!("v{b}"))
        } else {
            Cow::Borrowed(b)
        }
    })
}

/// Groups the report's findings per vulnerable package (`packages_affected`) and
/// counts the groups in the summary: after the scan, and again after filters.
pub fn regroup(report: &mut Report) {
    // The old rows go first: the new ones are built beside the findings alone.
    report.packages_affected = Vec::new();
    report.packages_affected = group_packages(&report.findings);
    let s = &mut report.summary;
    s.packages_affected = report.packages_affected.len();
    s.package_priorities = Default::default();
    for g in &report.packages_affected {
        s.package_priorities.add(g.priority);
    }
}

/// Folds the vulnerability findings of `findings` (unverifiable and informational
/// ones aside, and those without a priority or fix) into one [`PackageGroup`] per
/// service, ecosystem, package and version: most urgent first (priority, deadline,
/// best score), then by service and package, then in the order the packages first
/// appear in `findings`.
///
/// The findings are folded as indices (no copy), the rows ordered before they are
/// built, and each row shares its strings and fix with its findings.
pub fn group_packages(findings: &[FindingRecord]) -> Vec<PackageGroup> {
    let members = Members::of(findings);
    // Each group's findings, most urgent first (stable: report order on ties).
    let mut lists: Vec<&[u32]> = Vec::with_capacity(members.len());
    let mut flat = members.flat;
    {
        let mut rest: &mut [u32] = &mut flat;
        for &n in &members.sizes {
            let (list, tail) = rest.split_at_mut(n as usize);
            list.sort_by(|a, b| {
                urgency(&findings[*a as usize])
                    .partial_cmp(&urgency(&findings[*b as usize]))
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            rest = tail;
        }
    }
    {
        let mut rest: &[u32] = &flat;
        for &n in &members.sizes {
            let (list, tail) = rest.split_at(n as usize);
            lists.push(list);
            rest = tail;
        }
    }
    // The rows' order, from their leads and best scores (stable: first appearance
    // on ties), before any row is built.
    let cvss: Vec<Option<f64>> = lists
        .iter()
        .map(|list| {
            list.iter()
                .filter_map(|k| findings[*k as usize].cvss.as_ref().map(|s| s.score))
                .fold(None, |m: Option<f64>, s| Some(m.map_or(s, |m| m.max(s))))
        })
        .collect();
    let mut order: Vec<u32> = (0..lists.len() as u32).collect();
    order.sort_by(|a, b| {
        let (la, lb) = (
            &findings[lists[*a as usize][0] as usize],
            &findings[lists[*b as usize][0] as usize],
        );
        let due = |f: &FindingRecord| f.priority.as_ref().map(|p| (p.level, p.due));
        due(la)
            .cmp(&due(lb))
            .then_with(|| {
                cvss[*b as usize]
                    .unwrap_or(-1.0)
                    .partial_cmp(&cvss[*a as usize].unwrap_or(-1.0))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .then_with(|| (&la.service, &la.package).cmp(&(&lb.service, &lb.package)))
    });
    let mut fixes: Vec<(Arc<str>, Option<std::borrow::Cow<'_, str>>)> = Vec::new();
    // Sized up front: doubling a vector of rows would hold two buffers at once.
    let mut groups = Vec::with_capacity(order.len());
    for g in order {
        let list = lists[g as usize];
        groups.extend(package_group(findings, list, cvss[g as usize], &mut fixes));
    }
    groups
}

/// The vulnerability findings of a report per package version, as indices: the
/// groups in the order they first appear, each group's findings in report order.
struct Members {
    /// The size of each group.
    sizes: Vec<u32>,
    /// Every group's finding indices, one group after the other.
    flat: Vec<u32>,
}

impl Members {
    /// Sorts the indices of the vulnerability findings by package version (stable:
    /// report order within a group), then orders the groups by their first finding.
    /// No map of keys: a large report has nearly as many groups as findings.
    fn of(findings: &[FindingRecord]) -> Members {
        let key = |k: &u32| {
            let f = &findings[*k as usize];
            (
                &*f.service,
                f.ecosystem.osv_name(),
                f.package.as_str(),
                f.version.as_str(),
            )
        };
        let mut sorted: Vec<u32> = (0..findings.len() as u32)
            .filter(|k| {
                let f = &findings[*k as usize];
                f.is_vulnerability() && f.priority.is_some() && f.fix.is_some()
            })
            .collect();
        sorted.sort_by(|a, b| key(a).cmp(&key(b)));
        // Runs of one package version: (start in `sorted`, length).
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for (at, k) in sorted.iter().enumerate() {
            match runs.last_mut() {
                Some((start, n)) if key(&sorted[*start as usize]) == key(k) => *n += 1,
                _ => runs.push((at as u32, 1)),
            }
        }
        runs.sort_by_key(|(start, _)| sorted[*start as usize]);
        let mut flat: Vec<u32> = Vec::with_capacity(sorted.len());
        let mut sizes: Vec<u32> = Vec::with_capacity(runs.len());
        for (start, n) in runs {
            flat.extend_from_slice(&sorted[start as usize..(start + n) as usize]);
            sizes.push(n);
        }
        Members { sizes, flat }
    }

    fn len(&self) -> usize {
        self.sizes.len()
    }
}

/// One row from its findings (`list`, most urgent first, indices into
/// `findings`); `fixes` is a buffer reused between rows.
fn package_group<'f>(
    findings: &'f [FindingRecord],
    list: &[u32],
    cvss: Option<f64>,
    fixes: &mut Vec<(Arc<str>, Option<std::borrow::Cow<'f, str>>)>,
) -> Option<PackageGroup> {
    let at = |k: &u32| &findings[*k as usize];
    let lead = at(list.first()?);
    let (Some(priority), Some(lead_fix)) = (&lead.priority, &lead.fix) else {
        return None;
    };
    // The package's decision: a partial upgrade when there is one (it names the
    // advisories it leaves), even when one of those is the most urgent.
    let decider = list
        .iter()
        .map(at)
        .find(|f| {
            f.fix
                .as_ref()
                .is_some_and(|x| !x.decision.unfixed.is_empty())
        })
        .unwrap_or(lead);
    let fix = decider.fix.as_ref().unwrap_or(lead_fix);
    fixes.clear();
    let mut locations: Vec<Location> = Vec::new();
    for f in list.iter().map(at) {
        if !fixes.iter().any(|(id, _)| *id == f.finding.advisory) {
            fixes.push((f.finding.advisory.clone(), own_fix_text(f)));
        }
        let place = Location {
            manifest: f.manifest.clone(),
            line: f.line,
        };
        if !locations.contains(&place) {
            locations.push(place);
        }
    }
    let advisories: Vec<Arc<str>> = fixes.iter().map(|(id, _)| id.clone()).collect();
    let scheme = lead.ecosystem.scheme();
    // An advisory is fixed by `target` when its own fix is at or below it.
    let unfixed_by = |target: Option<&str>| -> Vec<Arc<str>> {
        fixes
            .iter()
            .filter(|(_, own)| match (own.as_deref(), target, scheme) {
                (Some(own), Some(t), Some(s)) => {
                    !cverun_versions::compare(s, own, t).is_ok_and(|o| o.is_le())
                }
                (Some(own), Some(t), None) => own != t,
                _ => true,
            })
            .map(|(id, _)| id.clone())
            .collect()
    };
    let most_urgent_version = fixes[0].1.as_deref();
    let most_urgent = FixStep {
        leaves_unfixed: unfixed_by(most_urgent_version),
        version: most_urgent_version.map(str::to_owned),
    };
    let safe = fix.options.minimal_safe.clone();
    let safe_from_all = FixStep {
        // Safe from every known advisory by construction; none without one.
        leaves_unfixed: if safe.is_some() {
            Vec::new()
        } else {
            advisories.clone()
        },
        version: safe,
    };
    Some(PackageGroup {
        service: lead.service.clone(),
        ecosystem: lead.ecosystem.clone(),
        package: lead.package.clone(),
        version: lead.version.clone(),
        locations,
        advisories,
        priority: priority.level,
        due: priority.due,
        cvss,
        package_fix: fix.clone(),
        own_fix: decider.own_fix.clone(),
        fix: GroupFix {
            most_urgent,
            safe_from_all,
            breaking: fix.options.breaking,
            rollback: fix.options.rollback.clone(),
        },
    })
}

/// Sort key of a finding's urgency: priority, deadline, then the higher score.
fn urgency(f: &FindingRecord) -> (Option<Level>, Option<jiff::Timestamp>, f64) {
    (
        f.priority.as_ref().map(|p| p.level),
        f.priority.as_ref().map(|p| p.due),
        -f.cvss.as_ref().map_or(-1.0, |s| s.score),
    )
}
