//! Filters shared by `scan`, `plan` and `blast`: which rows to show, and an account
//! of every row left out (docs/filters.md).
//!
//! A [`Filter`] is compiled once ([`Filter::compile`]) into a [`Compiled`] filter;
//! [`Compiled::judge`] says of one [`Row`] whether it is shown or which filter hides
//! it, and a [`Filtered`] tally counts what each filter hid. [`apply`] filters a
//! scan report in place (findings and suppressed findings); `plan` and `blast`
//! judge their own rows with the same [`Row`] view.
//!
//! What is never filtered (fail closed): files that could not be read, packages
//! not checked (no advisory data), unpinned and unmatchable packages, exception
//! problems. Filters choose what is shown, never whether the scan is complete.
//!
//! Each hidden row is counted once, under the first filter that hides it, in this
//! order: excluded paths, service, ecosystem, scope, stdlib source, priority,
//! severity; then `--top` (a display limit, applied last, which never changes the
//! exit status).
//!
//! Pure: no I/O.

use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::Serialize;

use cverun_inventory::{Scope, StdlibSource};
use cverun_triage::policy::Level;
use cverun_triage::severity::Rating;
use cverun_versions::Ecosystem;

use crate::report::{FindingRecord, Report};

/// A severity to select, from the CVSS rating (`unknown`: no CVSS score).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// CVSS 9.0-10.0.
    Critical,
    /// CVSS 7.0-8.9.
    High,
    /// CVSS 4.0-6.9.
    Medium,
    /// CVSS 0.0-3.9.
    Low,
    /// No CVSS score could be computed.
    Unknown,
}

impl Severity {
    /// Reads `critical`, `high`, `medium` (or `moderate`), `low`, `unknown`.
    pub fn parse(s: &str) -> Option<Severity> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" => Severity::Low,
            "unknown" => Severity::Unknown,
            _ => return None,
        })
    }

    /// The class of a CVSS rating (a 0.0 score, `NONE`, counts as low).
    pub fn of(rating: Option<Rating>) -> Severity {
        match rating {
            None => Severity::Unknown,
            Some(Rating::Critical) => Severity::Critical,
            Some(Rating::High) => Severity::High,
            Some(Rating::Medium) => Severity::Medium,
            Some(Rating::Low | Rating::None) => Severity::Low,
        }
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Unknown => "unknown",
        }
    }
}

/// `--scope`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScopeFilter {
    /// Everything (the default).
    #[default]
    All,
    /// Hide development/test dependencies (where the format says so); runtime,
    /// optional and unknown scopes are shown (unknown may ship).
    Runtime,
    /// Only development/test dependencies.
    Dev,
}

impl ScopeFilter {
    /// Whether a package of `scope` is shown.
    pub fn shows(self, scope: Scope) -> bool {
        match self {
            ScopeFilter::All => true,
            ScopeFilter::Runtime => scope != Scope::Development,
            ScopeFilter::Dev => scope == Scope::Development,
        }
    }
}

/// `--stdlib`: which Go standard-library (`stdlib`) rows to show, by where their
/// version comes from. Other packages are never affected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum StdlibFilter {
    /// Every stdlib row (the default).
    #[default]
    All,
    /// Only stdlib versions from a `toolchain` line (and those whose source is not
    /// known, as from an inventory: never hidden on a guess).
    Toolchain,
    /// Only stdlib versions from a `go` directive (and unknown sources).
    Directive,
    /// No stdlib row at all.
    None,
}

impl StdlibFilter {
    /// Whether a row of `package` in `ecosystem` whose stdlib version comes from
    /// `source` is shown.
    pub fn shows(self, ecosystem: &str, package: &str, source: Option<StdlibSource>) -> bool {
        if ecosystem != Ecosystem::Go.osv_name() || package != "stdlib" {
            return true;
        }
        match (self, source) {
            (StdlibFilter::All, _) => true,
            (StdlibFilter::None, _) => false,
            (_, None) => true,
            (StdlibFilter::Toolchain, Some(s)) => s == StdlibSource::Toolchain,
            (StdlibFilter::Directive, Some(s)) => s == StdlibSource::GoDirective,
        }
    }
}

/// A path pattern to exclude: from `--exclude` or a standing exclude of cverun.toml.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exclude {
    /// The glob, matched against the manifest path relative to its scan root (and
    /// against each of its parent directories: `internal/tools` excludes what is
    /// below it).
    pub pattern: String,
    /// Why (required in cverun.toml; `null` for `--exclude`).
    pub reason: Option<String>,
    /// Where it comes from: `--exclude`, or `cverun.toml:LINE` of a root.
    pub from: String,
    /// The root (as given on the command line) whose manifests it applies to;
    /// `None`: every root.
    #[serde(skip)]
    pub root: Option<String>,
}

/// What to show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// `--min-priority`: rows at least this urgent.
    pub min_priority: Option<Level>,
    /// `--severity`: only these severities (empty: all).
    pub severities: Vec<Severity>,
    /// `--service`: globs of service names (empty: all).
    pub services: Vec<String>,
    /// `--ecosystem` (empty: all).
    pub ecosystems: Vec<Ecosystem>,
    /// `--exclude` and standing excludes.
    pub exclude: Vec<Exclude>,
    /// `--scope`.
    pub scope: ScopeFilter,
    /// `--stdlib`.
    pub stdlib: StdlibFilter,
    /// `--top`: at most this many rows, the most urgent.
    pub top: Option<usize>,
}

/// A pattern that is not a valid glob.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{from}: invalid pattern {pattern:?}: {message}")]
pub struct FilterError {
    /// `--service`, `--exclude` or `cverun.toml:LINE`.
    pub from: String,
    /// The pattern.
    pub pattern: String,
    /// What is wrong.
    pub message: String,
}

/// The kind of row being judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A vulnerability finding (or an affected blast entry).
    Vulnerability,
    /// A finding whose version cannot be judged.
    Unverifiable,
    /// An informational finding (no priority).
    Informational,
    /// A blast entry of a service shipping the package unaffected (no priority).
    NotAffected,
}

/// What the filters look at, borrowed from a finding, plan row or blast entry.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    /// Service name.
    pub service: &'a str,
    /// Manifest path as the report writes it (prefixed with its root when several
    /// roots are scanned).
    pub manifest: &'a str,
    /// Ecosystem (OSV name).
    pub ecosystem: &'a str,
    /// Package name.
    pub package: &'a str,
    /// Scope.
    pub scope: Scope,
    /// Where a Go stdlib version comes from.
    pub stdlib_source: Option<StdlibSource>,
    /// Kind.
    pub kind: Kind,
    /// Priority level (`None`: none computed).
    pub priority: Option<Level>,
    /// CVSS rating (`None`: unknown).
    pub rating: Option<Rating>,
}

impl<'a> Row<'a> {
    /// The view of a finding.
    pub fn of_finding(f: &'a FindingRecord) -> Row<'a> {
        Row {
            service: &f.service,
            manifest: &f.manifest,
            ecosystem: f.ecosystem.osv_name(),
            package: &f.package,
            scope: f.scope,
            stdlib_source: f.stdlib_source,
            kind: if f.finding.unverifiable.is_some() {
                Kind::Unverifiable
            } else if f.finding.informational.is_some() {
                Kind::Informational
            } else {
                Kind::Vulnerability
            },
            priority: f.priority.as_ref().map(|p| p.level),
            rating: f.cvss.as_ref().map(|s| s.rating),
        }
    }
}

/// Which filter hides a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hidden {
    /// The exclude at this index of [`Filter::exclude`].
    Path(usize),
    /// `--service`.
    Service,
    /// `--ecosystem`.
    Ecosystem,
    /// `--scope`.
    Scope,
    /// `--stdlib`.
    Stdlib,
    /// `--min-priority`.
    Priority,
    /// `--severity`.
    Severity,
}

/// One exclude and how many rows it hid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExcludedPath {
    /// The glob.
    pub pattern: String,
    /// Why (standing excludes).
    pub reason: Option<String>,
    /// `--exclude` or `cverun.toml:LINE`.
    pub from: String,
    /// Rows it hid.
    pub hidden: usize,
}

/// What the filters left out (the report's, plan's and blast's `filtered`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Filtered {
    /// The filters in force, as flags (`--min-priority P1`, `--exclude internal/tools/**`
    /// ...); standing excludes are listed in `excluded_paths`.
    pub filters: Vec<String>,
    /// Rows shown.
    pub shown: usize,
    /// Rows hidden by the filters, in all (`by_path` + ... + `by_severity`;
    /// `--top` aside).
    pub hidden: usize,
    /// Hidden by excluded paths (each one in `excluded_paths`).
    pub by_path: usize,
    /// Hidden by `--service`.
    pub by_service: usize,
    /// Hidden by `--ecosystem`.
    pub by_ecosystem: usize,
    /// Hidden by `--scope`.
    pub by_scope: usize,
    /// Hidden by `--stdlib`.
    pub by_stdlib: usize,
    /// Hidden by `--min-priority`.
    pub by_priority: usize,
    /// Hidden by `--severity`.
    pub by_severity: usize,
    /// Rows left out by `--top` (not in `hidden`; counted in the exit status and
    /// the summary all the same).
    pub by_top: usize,
    /// Every exclude (flags and cverun.toml), with its reason and count, even
    /// when it hid nothing.
    pub excluded_paths: Vec<ExcludedPath>,
}

impl Filtered {
    /// Whether any filter is in force.
    pub fn active(&self) -> bool {
        !self.filters.is_empty() || !self.excluded_paths.is_empty()
    }

    /// Counts a row hidden by `why`.
    pub fn count(&mut self, why: Hidden) {
        self.hidden += 1;
        match why {
            Hidden::Path(i) => {
                self.by_path += 1;
                if let Some(e) = self.excluded_paths.get_mut(i) {
                    e.hidden += 1;
                }
            }
            Hidden::Service => self.by_service += 1,
            Hidden::Ecosystem => self.by_ecosystem += 1,
            Hidden::Scope => self.by_scope += 1,
            Hidden::Stdlib => self.by_stdlib += 1,
            Hidden::Priority => self.by_priority += 1,
            Hidden::Severity => self.by_severity += 1,
        }
    }

    /// Counts `n` rows left out by `--top`.
    pub fn count_top(&mut self, n: usize) {
        self.by_top += n;
    }

    /// Lines for people: what was hidden and by what, each exclude with its reason
    /// (empty when no filter is in force).
    pub fn lines(&self, rows: &str) -> Vec<String> {
        if !self.active() {
            return Vec::new();
        }
        let mut parts = Vec::new();
        for (n, what) in [
            (self.by_path, "excluded paths"),
            (self.by_service, "--service"),
            (self.by_ecosystem, "--ecosystem"),
            (self.by_scope, "--scope"),
            (self.by_stdlib, "--stdlib"),
            (self.by_priority, "--min-priority"),
            (self.by_severity, "--severity"),
        ] {
            if n > 0 {
                parts.push(format!("{n} by {what}"));
            }
        }
        let mut out = vec![format!(
            "Filtered: {} {rows} shown, {} hidden{}{}{}",
            self.shown,
            self.hidden,
            if parts.is_empty() {
                String::new()
            } else {
                format!(" ({})", parts.join(", "))
            },
            if self.by_top > 0 {
                format!(
                    "; {} more left out by --top (still counted in the exit status)",
                    self.by_top
                )
            } else {
                String::new()
            },
            if self.filters.is_empty() {
                String::new()
            } else {
                format!(" [{}]", self.filters.join(" "))
            }
        )];
        for e in &self.excluded_paths {
            out.push(format!(
                "  excluded {} ({}{}): {} hidden",
                e.pattern,
                e.from,
                e.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default(),
                e.hidden
            ));
        }
        out
    }
}

/// A filter ready to judge rows.
#[derive(Clone, Debug)]
pub struct Compiled {
    filter: Filter,
    services: Option<GlobSet>,
    exclude: Vec<GlobMatcher>,
}

impl Filter {
    /// Whether any filter is set.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// Compiles the globs; an invalid one names where it comes from.
    pub fn compile(self) -> Result<Compiled, FilterError> {
        let services = if self.services.is_empty() {
            None
        } else {
            let mut b = GlobSetBuilder::new();
            for s in &self.services {
                b.add(Glob::new(s).map_err(|e| FilterError {
                    from: "--service".into(),
                    pattern: s.clone(),
                    message: e.kind().to_string(),
                })?);
            }
            Some(b.build().map_err(|e| FilterError {
                from: "--service".into(),
                pattern: self.services.join(" "),
                message: e.to_string(),
            })?)
        };
        let mut exclude = Vec::with_capacity(self.exclude.len());
        for e in &self.exclude {
            let pattern = e.pattern.trim_start_matches("./").trim_end_matches('/');
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|err| FilterError {
                    from: e.from.clone(),
                    pattern: e.pattern.clone(),
                    message: err.kind().to_string(),
                })?;
            exclude.push(glob.compile_matcher());
        }
        Ok(Compiled {
            filter: self,
            services,
            exclude,
        })
    }
}

/// `manifest` split into its root (when several roots are scanned, the report
/// prefixes paths with theirs) and the path relative to it.
fn split_root<'m>(manifest: &'m str, roots: &'m [String]) -> (Option<&'m str>, &'m str) {
    if roots.len() > 1 {
        // The longest root that prefixes it: roots may nest.
        let mut best: Option<(&str, &str)> = None;
        for r in roots {
            let label = r.trim_end_matches('/');
            if let Some(rest) = manifest
                .strip_prefix(label)
                .and_then(|m| m.strip_prefix('/'))
                && best.is_none_or(|(b, _)| label.len() > b.len())
            {
                best = Some((r.as_str(), rest));
            }
        }
        if let Some((r, rest)) = best {
            return (Some(r), rest);
        }
    }
    (roots.first().map(String::as_str), manifest)
}

impl Compiled {
    /// The filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// An empty tally naming the filters in force and every exclude.
    pub fn tally(&self) -> Filtered {
        let f = &self.filter;
        let mut filters = Vec::new();
        if let Some(l) = f.min_priority {
            filters.push(format!("--min-priority {l}"));
        }
        if !f.severities.is_empty() {
            let s: Vec<&str> = f.severities.iter().map(|s| s.as_str()).collect();
            filters.push(format!("--severity {}", s.join(",")));
        }
        for s in &f.services {
            filters.push(format!("--service {s}"));
        }
        for e in &f.ecosystems {
            filters.push(format!("--ecosystem {}", e.osv_name()));
        }
        if f.scope != ScopeFilter::All {
            filters.push(format!(
                "--scope {}",
                match f.scope {
                    ScopeFilter::Runtime => "runtime",
                    _ => "dev",
                }
            ));
        }
        if f.stdlib != StdlibFilter::All {
            filters.push(format!(
                "--stdlib {}",
                match f.stdlib {
                    StdlibFilter::Toolchain => "toolchain",
                    StdlibFilter::Directive => "directive",
                    _ => "none",
                }
            ));
        }
        for e in f.exclude.iter().filter(|e| e.from == "--exclude") {
            filters.push(format!("--exclude {}", e.pattern));
        }
        if let Some(n) = f.top {
            filters.push(format!("--top {n}"));
        }
        Filtered {
            filters,
            excluded_paths: f
                .exclude
                .iter()
                .map(|e| ExcludedPath {
                    pattern: e.pattern.clone(),
                    reason: e.reason.clone(),
                    from: e.from.clone(),
                    hidden: 0,
                })
                .collect(),
            ..Filtered::default()
        }
    }

    /// The exclude hiding `manifest` (as the report writes it, over `roots`).
    pub fn excluded(&self, manifest: &str, roots: &[String]) -> Option<usize> {
        if self.exclude.is_empty() {
            return None;
        }
        let (root, rel) = split_root(manifest, roots);
        let rel = rel.trim_start_matches("./");
        self.filter
            .exclude
            .iter()
            .zip(&self.exclude)
            .position(|(e, m)| {
                let applies = match (&e.root, root) {
                    (None, _) => true,
                    (Some(r), Some(root)) => r == root,
                    (Some(_), None) => false,
                };
                // The file itself, or any directory above it.
                applies
                    && std::iter::successors(Some(rel), |p| p.rsplit_once('/').map(|(d, _)| d))
                        .any(|p| m.is_match(p))
            })
    }

    /// Whether `row` is shown, or which filter hides it.
    pub fn judge(&self, row: &Row<'_>, roots: &[String]) -> Option<Hidden> {
        let f = &self.filter;
        if let Some(i) = self.excluded(row.manifest, roots) {
            return Some(Hidden::Path(i));
        }
        if let Some(set) = &self.services
            && !set.is_match(row.service)
        {
            return Some(Hidden::Service);
        }
        if !f.ecosystems.is_empty() && !f.ecosystems.iter().any(|e| e.osv_name() == row.ecosystem) {
            return Some(Hidden::Ecosystem);
        }
        if !f.scope.shows(row.scope) {
            return Some(Hidden::Scope);
        }
        if !f
            .stdlib
            .shows(row.ecosystem, row.package, row.stdlib_source)
        {
            return Some(Hidden::Stdlib);
        }
        let ranked = matches!(row.kind, Kind::Vulnerability | Kind::Unverifiable);
        if let Some(min) = f.min_priority {
            // No priority to meet the bar: informational and unaffected rows are
            // hidden; a vulnerability without a priority is shown (fail closed).
            let shown = ranked && row.priority.is_none_or(|l| l <= min);
            if !shown {
                return Some(Hidden::Priority);
            }
        }
        if !f.severities.is_empty() {
            let shown = ranked && f.severities.contains(&Severity::of(row.rating));
            if !shown {
                return Some(Hidden::Severity);
            }
        }
        None
    }

    /// Keeps the rows of `rows` that are shown, counting the others in `tally`.
    pub fn retain<T>(
        &self,
        rows: &mut Vec<T>,
        roots: &[String],
        tally: &mut Filtered,
        view: impl Fn(&T) -> Row<'_>,
    ) {
        rows.retain(|r| match self.judge(&view(r), roots) {
            None => {
                tally.shown += 1;
                true
            }
            Some(why) => {
                tally.count(why);
                false
            }
        });
    }

    /// `--top`: the rows past the first N are left out (the rows are most urgent
    /// first); returns how many.
    pub fn top<T>(&self, rows: &mut Vec<T>, tally: &mut Filtered) -> usize {
        let Some(n) = self.filter.top else { return 0 };
        let cut = rows.len().saturating_sub(n);
        rows.truncate(n);
        tally.count_top(cut);
        cut
    }
}

/// Filters the findings and suppressed findings of `report` (everything but
/// `--top`, which [`top`] applies once the exit status is known), recounts its
/// summary of findings, and records what was hidden in `report.filtered`.
pub fn apply(report: &mut Report, filter: &Compiled) {
    let mut tally = filter.tally();
    if !filter.filter().is_empty() {
        let roots = report.roots.clone();
        filter.retain(&mut report.findings, &roots, &mut tally, |f| {
            Row::of_finding(f)
        });
        let mut suppressed = filter.tally();
        filter.retain(&mut report.suppressed, &roots, &mut suppressed, |f| {
            Row::of_finding(f)
        });
        merge(&mut tally, &suppressed);
        recount(report);
        crate::report::regroup(report);
    } else {
        tally.shown = report.findings.len() + report.suppressed.len();
    }
    report.filtered = tally;
}

/// `--top` on the findings of a filtered report: the summary still counts every
/// finding the other filters show, as the exit status does.
pub fn top(report: &mut Report, filter: &Compiled) {
    let mut tally = std::mem::take(&mut report.filtered);
    let cut = filter.top(&mut report.findings, &mut tally);
    tally.shown -= cut.min(tally.shown);
    report.filtered = tally;
    if cut > 0 {
        // The rows left; the summary keeps counting what the other filters show.
        let summary = (
            report.summary.packages_affected,
            report.summary.package_priorities.clone(),
        );
        crate::report::regroup(report);
        (
            report.summary.packages_affected,
            report.summary.package_priorities,
        ) = summary;
    }
}

/// Adds the counts of `other` (same filter) to `tally`.
fn merge(tally: &mut Filtered, other: &Filtered) {
    tally.shown += other.shown;
    tally.hidden += other.hidden;
    tally.by_path += other.by_path;
    tally.by_service += other.by_service;
    tally.by_ecosystem += other.by_ecosystem;
    tally.by_scope += other.by_scope;
    tally.by_stdlib += other.by_stdlib;
    tally.by_priority += other.by_priority;
    tally.by_severity += other.by_severity;
    for (a, b) in tally.excluded_paths.iter_mut().zip(&other.excluded_paths) {
        a.hidden += b.hidden;
    }
}

/// The finding counts of the summary and of each service, from the findings left.
fn recount(report: &mut Report) {
    use std::collections::HashMap;
    let s = &mut report.summary;
    s.vulnerabilities = 0;
    s.unverifiable = 0;
    s.informational = 0;
    s.priorities = Default::default();
    s.suppressed = report.suppressed.len();
    let mut per: HashMap<&str, (usize, usize, usize)> = HashMap::new();
    let mut distinct: Vec<&str> = Vec::new();
    for f in &report.findings {
        let n = per.entry(&f.service).or_default();
        if f.finding.unverifiable.is_some() {
            s.unverifiable += 1;
            n.1 += 1;
        } else if f.finding.informational.is_some() {
            s.informational += 1;
            n.2 += 1;
        } else {
            s.vulnerabilities += 1;
            n.0 += 1;
            distinct.push(&f.finding.advisory);
            if let Some(p) = &f.priority {
                s.priorities.add(p.level);
            }
        }
    }
    distinct.sort_unstable();
    distinct.dedup();
    s.distinct_vulnerabilities = distinct.len();
    for svc in &mut report.services {
        let (v, u, i) = per.get(&*svc.name).copied().unwrap_or_default();
        svc.vulnerabilities = v;
        svc.unverifiable = u;
        svc.informational = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(service: &'a str, manifest: &'a str, level: Option<Level>) -> Row<'a> {
        Row {
            service,
            manifest,
            ecosystem: "PyPI",
            package: "pyyaml",
            scope: Scope::Unknown,
            stdlib_source: None,
            kind: Kind::Vulnerability,
            priority: level,
            rating: Some(Rating::High),
        }
    }

    fn flag(p: &str) -> Exclude {
        Exclude {
            pattern: p.into(),
            reason: None,
            from: "--exclude".into(),
            root: None,
        }
    }

    fn roots(r: &[&str]) -> Vec<String> {
        r.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn priority_keeps_rows_at_least_as_urgent_and_unranked_vulnerabilities() {
        let f = Filter {
            min_priority: Some(Level::P1),
            ..Filter::default()
        }
        .compile()
        .unwrap();
        let r = roots(&["."]);
        assert_eq!(f.judge(&row("a", "a/r.txt", Some(Level::P0)), &r), None);
        assert_eq!(f.judge(&row("a", "a/r.txt", Some(Level::P1)), &r), None);
        assert_eq!(
            f.judge(&row("a", "a/r.txt", Some(Level::P2)), &r),
            Some(Hidden::Priority)
        );
        // No priority computed: shown (fail closed); informational: hidden.
        assert_eq!(f.judge(&row("a", "a/r.txt", None), &r), None);
        let mut info = row("a", "a/r.txt", None);
        info.kind = Kind::Informational;
        assert_eq!(f.judge(&info, &r), Some(Hidden::Priority));
    }

    #[test]
    fn severity_is_a_set_with_unknown() {
        let f = Filter {
            severities: vec![Severity::Critical, Severity::Unknown],
            ..Filter::default()
        }
        .compile()
        .unwrap();
        let r = roots(&["."]);
        let mut x = row("a", "m", Some(Level::P0));
        assert_eq!(f.judge(&x, &r), Some(Hidden::Severity));
        x.rating = Some(Rating::Critical);
        assert_eq!(f.judge(&x, &r), None);
        x.rating = None;
        assert_eq!(f.judge(&x, &r), None);
        assert_eq!(Severity::of(Some(Rating::None)), Severity::Low);
        assert_eq!(Severity::parse("Moderate"), Some(Severity::Medium));
        assert_eq!(Severity::parse("severe"), None);
    }

    #[test]
    fn excludes_match_relative_paths_and_their_directories() {
        let f = Filter {
            exclude: vec![flag("internal/tools"), flag("*.lock")],
            ..Filter::default()
        }
        .compile()
        .unwrap();
        let one = roots(&["corpus/a"]);
        assert_eq!(f.excluded("internal/tools/go.mod", &one), Some(0));
        assert_eq!(f.excluded("src/internal/tools/go.mod", &one), None);
        // `*` does not cross directories.
        assert_eq!(f.excluded("Cargo.lock", &one), Some(1));
        assert_eq!(f.excluded("ledger/Cargo.lock", &one), None);
        // Several roots: the report prefixes paths with the root; globs see past it.
        let two = roots(&["corpus/a", "corpus/b/"]);
        assert_eq!(f.excluded("corpus/b/internal/tools/go.mod", &two), Some(0));
        // A standing exclude applies to its own root only.
        let standing = Filter {
            exclude: vec![Exclude {
                root: Some("corpus/a".into()),
                reason: Some("tools".into()),
                from: "corpus/a/cverun.toml:3".into(),
                ..flag("internal/tools/**")
            }],
            ..Filter::default()
        }
        .compile()
        .unwrap();
        assert_eq!(
            standing.excluded("corpus/a/internal/tools/go.mod", &two),
            Some(0)
        );
        assert_eq!(
            standing.excluded("corpus/b/internal/tools/go.mod", &two),
            None
        );
        let e = Filter {
            exclude: vec![flag("a/[z")],
            ..Filter::default()
        }
        .compile()
        .unwrap_err();
        assert!(
            e.to_string().starts_with("--exclude: invalid pattern"),
            "{e}"
        );
    }

    #[test]
    fn services_ecosystems_scope_and_stdlib() {
        let f = Filter {
            services: vec!["pay*".into(), "web".into()],
            ecosystems: vec![Ecosystem::Go],
            scope: ScopeFilter::Runtime,
            stdlib: StdlibFilter::Toolchain,
            ..Filter::default()
        }
        .compile()
        .unwrap();
        let r = roots(&["."]);
        let mut x = row("storefront", "m", Some(Level::P0));
        assert_eq!(f.judge(&x, &r), Some(Hidden::Service));
        x.service = "payments";
        assert_eq!(f.judge(&x, &r), Some(Hidden::Ecosystem));
        x.ecosystem = "Go";
        assert_eq!(f.judge(&x, &r), None);
        x.scope = Scope::Development;
        assert_eq!(f.judge(&x, &r), Some(Hidden::Scope));
        x.scope = Scope::Runtime;
        x.package = "stdlib";
        x.stdlib_source = Some(StdlibSource::GoDirective);
        assert_eq!(f.judge(&x, &r), Some(Hidden::Stdlib));
        x.stdlib_source = Some(StdlibSource::Toolchain);
        assert_eq!(f.judge(&x, &r), None);
        // Unknown source (an inventory): never hidden on a guess, except by `none`.
        x.stdlib_source = None;
        assert_eq!(f.judge(&x, &r), None);
        assert!(!StdlibFilter::None.shows("Go", "stdlib", None));
        assert!(StdlibFilter::None.shows("Go", "golang.org/x/net", None));
        assert!(ScopeFilter::Dev.shows(Scope::Development));
        assert!(!ScopeFilter::Dev.shows(Scope::Unknown));
    }

    #[test]
    fn the_tally_counts_each_row_once_under_the_first_filter_and_top_apart() {
        let f = Filter {
            min_priority: Some(Level::P0),
            exclude: vec![flag("b/**")],
            top: Some(1),
            ..Filter::default()
        }
        .compile()
        .unwrap();
        let r = roots(&["."]);
        let mut rows = vec![
            ("a", "a/x", Some(Level::P0)),
            ("b", "b/x", Some(Level::P2)),
            ("a", "a/y", Some(Level::P2)),
            ("c", "c/y", Some(Level::P0)),
        ];
        let mut t = f.tally();
        f.retain(&mut rows, &r, &mut t, |x| row(x.0, x.1, x.2));
        assert_eq!(rows.len(), 2);
        assert_eq!((t.shown, t.hidden, t.by_path, t.by_priority), (2, 2, 1, 1));
        assert_eq!(t.excluded_paths[0].hidden, 1);
        assert_eq!(f.top(&mut rows, &mut t), 1);
        assert_eq!((rows.len(), t.by_top, t.hidden), (1, 1, 2));
        assert_eq!(
            t.filters,
            ["--min-priority P0", "--exclude b/**", "--top 1"]
        );
        let lines = t.lines("findings");
        assert!(
            lines[0].contains("1 by excluded paths, 1 by --min-priority"),
            "{lines:?}"
        );
        assert!(lines[0].contains("1 more left out by --top"), "{lines:?}");
        assert_eq!(lines[1], "  excluded b/** (--exclude): 1 hidden");
        assert!(
            Filter::default()
                .compile()
                .unwrap()
                .tally()
                .lines("x")
                .is_empty()
        );
    }
}
