//! What one scan says, reduced to what a verification compares: per service, the
//! package versions declared, the vulnerabilities found (a vulnerability is the set
//! of its ids: advisory and aliases), and what could not be judged.
//!
//! A snapshot is built from a scan report in memory ([`Snapshot::from_report`]), from
//! a saved `cverun scan --format json` report ([`Snapshot::from_json`]), and, for an
//! installed Python environment, from its distributions and their findings
//! ([`Snapshot::add_environment`]). Both report paths fill the same fields the same
//! way, so that a baseline read from a file and one scanned from a git revision
//! compare alike.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use cverun_osv::Finding;
use cverun_scan::Report;
use serde::{Deserialize, Serialize};

use crate::site_packages::Environment;

/// The scan report schema a baseline file must carry.
pub const SCAN_SCHEMA: &str = cverun_scan::report::SCHEMA;

/// What one scan says, per service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Services by name.
    pub services: BTreeMap<String, ServiceState>,
    /// Problems with the scan as a whole (a file or directory that could not be
    /// read, advisory data older than the enforced limit): what it says cannot be
    /// taken as complete.
    pub errors: Vec<String>,
}

/// Where a service's packages come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServiceKind {
    /// Declared by manifests, lockfiles or SBOMs (a scanned service).
    #[default]
    Declared,
    /// Installed in a Python environment (`--site-packages`).
    Installed,
}

/// One service of a snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceState {
    /// Declared or installed.
    pub kind: ServiceKind,
    /// Every package version known (exact versions only).
    pub packages: BTreeSet<PackageVersion>,
    /// Whether `packages` is every package of the service (a report saved without
    /// `--list-packages` only names the packages it lists for other reasons:
    /// findings, packages not checked or not matchable).
    pub packages_listed: bool,
    /// The vulnerabilities found, one per package and vulnerability (the versions
    /// of the package it affects folded together).
    pub vulnerabilities: Vec<Vulnerability>,
    /// Packages and findings that could not be judged.
    pub unjudged: Vec<Unjudged>,
    /// Files of the service that could not be read, or that cverun does not read
    /// (`file: why`).
    pub unread: Vec<String>,
}

/// One package version.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageVersion {
    /// Ecosystem (OSV name).
    pub ecosystem: String,
    /// Name, as declared.
    pub name: String,
    /// Exact version.
    pub version: String,
}

/// A vulnerability found in one package of one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vulnerability {
    /// Ecosystem (OSV name).
    pub ecosystem: String,
    /// Package name, as declared.
    pub package: String,
    /// The versions of the package it affects.
    pub versions: BTreeSet<String>,
    /// The primary id the scan gave it.
    pub advisory: String,
    /// Every id: the advisory and its aliases, as written.
    pub ids: BTreeSet<String>,
    /// Where the package is declared (`manifest:line`).
    pub locations: BTreeSet<String>,
}

/// Why a package (or one of its findings) could not be judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnjudgedKind {
    /// Declared without an exact version: never matched.
    Unpinned,
    /// From git, a path, a URL or another registry: never matched.
    NotMatchable,
    /// Its ecosystem has no advisory data in the database.
    NotChecked,
    /// An advisory that cannot be decided for its version.
    Unverifiable,
}

/// A package, or one advisory for it, that could not be judged.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unjudged {
    /// Which kind.
    pub kind: UnjudgedKind,
    /// Ecosystem (OSV name).
    pub ecosystem: String,
    /// Package name, as declared.
    pub package: String,
    /// Version, when exact.
    pub version: Option<String>,
    /// The advisory's ids (unverifiable findings only).
    #[serde(skip_serializing_if = "BTreeSet::is_empty")]
    pub ids: BTreeSet<String>,
    /// Why, as the scan says it.
    pub reason: String,
}

/// Why a baseline report cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct BaselineError {
    /// The file.
    pub path: std::path::PathBuf,
    /// What is wrong.
    pub message: String,
}

/// A package name as compared: PyPI names normalised as PEP 503 says (case and
/// runs of `-`, `_`, `.` do not matter), other ecosystems' names as written.
pub fn package_key(ecosystem: &str, name: &str) -> String {
    if ecosystem != "PyPI" {
        return name.to_owned();
    }
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
            continue;
        }
        if separator && !out.is_empty() {
            out.push('-');
        }
        separator = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Whether two id sets name the same vulnerability: some id in common, ignoring
/// case (a PYSEC record in one database and its GHSA alias in another).
pub fn same_vulnerability(a: &BTreeSet<String>, b: &BTreeSet<String>) -> bool {
    a.iter()
        .any(|x| b.iter().any(|y| x.eq_ignore_ascii_case(y)))
}

impl Vulnerability {
    /// Whether this is `other`'s package (ecosystem and normalised name).
    pub fn same_package(&self, ecosystem: &str, package: &str) -> bool {
        self.ecosystem == ecosystem
            && package_key(&self.ecosystem, &self.package) == package_key(ecosystem, package)
    }

    /// The ids other than the primary one, sorted.
    pub fn aliases(&self) -> Vec<String> {
        self.ids
            .iter()
            .filter(|i| **i != self.advisory)
            .cloned()
            .collect()
    }
}

/// Adds the unpinned, not matchable and not checked records of `$report` to
/// `$snap`: a scan report in memory or a saved one, whose records have the same
/// field names.
macro_rules! add_unjudged_records {
    ($snap:expr, $report:expr) => {
        for (kind, list) in [
            (UnjudgedKind::Unpinned, &$report.unpinned),
            (UnjudgedKind::NotMatchable, &$report.not_matchable),
            (UnjudgedKind::NotChecked, &$report.not_checked),
        ] {
            for r in list {
                $snap.add_record(
                    kind,
                    RecordIn {
                        service: &r.service,
                        ecosystem: &r.ecosystem,
                        package: &r.package,
                        version: r.version.as_deref(),
                        reason: &r.reason,
                    },
                );
            }
        }
    };
}

/// One finding as both report paths give it.
struct FindingIn<'a> {
    service: &'a str,
    ecosystem: &'a str,
    package: &'a str,
    version: &'a str,
    advisory: &'a str,
    aliases: Vec<&'a str>,
    location: String,
    unverifiable: Option<&'a str>,
    informational: bool,
}

/// One listed package record as both report paths give it.
struct RecordIn<'a> {
    service: &'a str,
    ecosystem: &'a str,
    package: &'a str,
    version: Option<&'a str>,
    reason: &'a str,
}

impl Snapshot {
    /// The service named `name`, created (declared, empty) when new.
    pub fn service(&mut self, name: &str) -> &mut ServiceState {
        self.services.entry(name.to_owned()).or_default()
    }

    /// Adds a vulnerability of `package` at `version` in `service`: folded into the
    /// one it shares an id with for the same package, if any.
    #[allow(clippy::too_many_arguments)]
    fn add_vulnerability(
        &mut self,
        service: &str,
        ecosystem: &str,
        package: &str,
        version: &str,
        advisory: &str,
        aliases: &[&str],
        location: String,
    ) {
        let ids: BTreeSet<String> = std::iter::once(advisory)
            .chain(aliases.iter().copied())
            .map(str::to_owned)
            .collect();
        let svc = self.service(service);
        svc.add_package(ecosystem, package, version);
        let known = svc
            .vulnerabilities
            .iter_mut()
            .find(|v| v.same_package(ecosystem, package) && same_vulnerability(&v.ids, &ids));
        match known {
            Some(v) => {
                v.versions.insert(version.to_owned());
                v.ids.extend(ids);
                v.locations.insert(location);
            }
            None => svc.vulnerabilities.push(Vulnerability {
                ecosystem: ecosystem.to_owned(),
                package: package.to_owned(),
                versions: BTreeSet::from([version.to_owned()]),
                advisory: advisory.to_owned(),
                ids,
                locations: BTreeSet::from([location]),
            }),
        }
    }

    fn add_finding(&mut self, f: FindingIn<'_>) {
        if f.informational && f.unverifiable.is_none() {
            return;
        }
        match f.unverifiable {
            None => self.add_vulnerability(
                f.service,
                f.ecosystem,
                f.package,
                f.version,
                f.advisory,
                &f.aliases,
                f.location,
            ),
            Some(why) => {
                let svc = self.service(f.service);
                svc.add_package(f.ecosystem, f.package, f.version);
                svc.unjudged.push(Unjudged {
                    kind: UnjudgedKind::Unverifiable,
                    ecosystem: f.ecosystem.to_owned(),
                    package: f.package.to_owned(),
                    version: Some(f.version.to_owned()),
                    ids: std::iter::once(f.advisory)
                        .chain(f.aliases)
                        .map(str::to_owned)
                        .collect(),
                    reason: why.to_owned(),
                });
            }
        }
    }

    fn add_record(&mut self, kind: UnjudgedKind, r: RecordIn<'_>) {
        let svc = self.service(r.service);
        if let Some(v) = r.version {
            svc.add_package(r.ecosystem, r.package, v);
        }
        svc.unjudged.push(Unjudged {
            kind,
            ecosystem: r.ecosystem.to_owned(),
            package: r.package.to_owned(),
            version: r.version.map(str::to_owned),
            ids: BTreeSet::new(),
            reason: r.reason.to_owned(),
        });
    }

    /// Declares the service `name`: whether the report listed packages, and what
    /// it could not read (`(path, why)`, manifests first).
    fn add_service<'a>(
        &mut self,
        name: &str,
        listed: bool,
        unread: impl Iterator<Item = (&'a str, &'a str)>,
    ) {
        let svc = self.service(name);
        svc.packages_listed = listed;
        svc.unread
            .extend(unread.map(|(path, why)| format!("{path}: {why}")));
    }

    /// The report's errors (`(file, line, message)`), and whether its advisory
    /// data was older than an enforced `--max-db-age`.
    fn add_errors<'a>(
        &mut self,
        errors: impl Iterator<Item = (&'a str, Option<u32>, &'a str)>,
        too_old: bool,
    ) {
        self.errors
            .extend(errors.map(|(file, line, message)| problem(file, line, message)));
        if too_old {
            self.errors
                .push("the advisory data is older than the enforced --max-db-age".to_owned());
        }
    }

    /// The snapshot of a scan report (suppressed findings count: an exception
    /// accepts a vulnerability, it does not remove it).
    pub fn from_report(report: &Report) -> Snapshot {
        let mut snap = Snapshot::default();
        let listed = report.packages.is_some();
        for s in &report.services {
            let manifests = s
                .manifests
                .iter()
                .filter_map(|m| Some((&*m.path, m.error.as_deref()?)));
            let skipped = s.not_read.iter().map(|n| (&*n.path, &*n.reason));
            snap.add_service(&s.name, listed, manifests.chain(skipped));
        }
        for p in report.packages.iter().flatten() {
            if let Some(v) = &p.version {
                snap.service(&p.service)
                    .add_package(&p.ecosystem, &p.package, v);
            }
        }
        for f in report.findings.iter().chain(&report.suppressed) {
            snap.add_finding(FindingIn {
                service: &f.service,
                ecosystem: f.ecosystem.osv_name(),
                package: &f.package,
                version: &f.version,
                advisory: &f.finding.advisory,
                aliases: f.finding.aliases.iter().map(|a| &**a).collect(),
                location: location(&f.manifest, f.line),
                unverifiable: f.finding.unverifiable.as_deref(),
                informational: f.finding.informational.is_some(),
            });
        }
        add_unjudged_records!(snap, report);
        let errors = report.errors.iter();
        snap.add_errors(
            errors.map(|e| (&*e.file, e.line, &*e.message)),
            report.too_old(),
        );
        snap
    }

    /// The snapshot of a saved `cverun scan --format json` report (`path` names it
    /// in errors). Refuses another schema, a malformed document, and a report whose
    /// findings were filtered (`--min-priority`, `--exclude`, `--top`...): what a
    /// filter hid would look introduced.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<Snapshot, BaselineError> {
        let fail = |message: String| BaselineError {
            path: path.to_owned(),
            message,
        };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| fail(format!("not a JSON document: {e}")))?;
        match value.get("schema").and_then(|s| s.as_str()) {
            Some(SCAN_SCHEMA) => {}
            Some(other) => {
                return Err(fail(format!(
                    "schema {other:?}, expected {SCAN_SCHEMA:?} (a `cverun scan --format json` report)"
                )));
            }
            None => {
                return Err(fail(format!(
                    "no \"schema\" field: not a `cverun scan --format json` report ({SCAN_SCHEMA})"
                )));
            }
        }
        let raw: raw::Report = serde_json::from_value(value)
            .map_err(|e| fail(format!("malformed {SCAN_SCHEMA} report: {e}")))?;
        if let Some(f) = &raw.filtered {
            if f.hidden > 0 || f.by_top > 0 {
                return Err(fail(format!(
                    "saved with filters ({}): {} findings hidden; save the baseline without filters",
                    f.filters.join(" "),
                    f.hidden + f.by_top
                )));
            }
        }
        Ok(raw.into_snapshot())
    }

    /// Adds the installed environment `env` as the service `name`, with `findings`
    /// (one list per package of `env.packages`, in order, as the database's lookup
    /// returns them); `covered`: whether the database holds PyPI advisory data (if
    /// not, every package is not checked).
    pub fn add_environment(
        &mut self,
        name: &str,
        env: &Environment,
        findings: &[Vec<Finding>],
        covered: bool,
    ) {
        let svc = self.service(name);
        svc.kind = ServiceKind::Installed;
        svc.packages_listed = true;
        for p in &env.problems {
            svc.unread
                .push(format!("{}: {}", p.path.display(), p.message));
        }
        for (i, pkg) in env.packages.iter().enumerate() {
            let location = pkg.metadata.display().to_string();
            if !covered {
                self.add_record(
                    UnjudgedKind::NotChecked,
                    RecordIn {
                        service: name,
                        ecosystem: "PyPI",
                        package: &pkg.name,
                        version: Some(&pkg.version),
                        reason: "no PyPI advisory data in the database",
                    },
                );
                continue;
            }
            self.service(name)
                .add_package("PyPI", &pkg.name, &pkg.version);
            for f in findings.get(i).map(Vec::as_slice).unwrap_or_default() {
                self.add_finding(FindingIn {
                    service: name,
                    ecosystem: "PyPI",
                    package: &pkg.name,
                    version: &pkg.version,
                    advisory: &f.advisory,
                    aliases: f.aliases.iter().map(|a| &**a).collect(),
                    location: location.clone(),
                    unverifiable: f.unverifiable.as_deref(),
                    informational: f.informational.is_some(),
                });
            }
        }
    }

    /// Renames the services (and the locations) that start with the root label
    /// `from` to start with `to` instead: a scan of several roots names its services
    /// by the roots as given, and a baseline scanned in a temporary checkout must
    /// carry the names of the roots it stands for.
    pub fn relabel(&mut self, from: &str, to: &str) {
        let swap = |s: &str| -> Option<String> {
            let rest = s.strip_prefix(from)?;
            (rest.is_empty() || rest.starts_with('/')).then(|| format!("{to}{rest}"))
        };
        let services = std::mem::take(&mut self.services);
        for (name, mut svc) in services {
            for v in &mut svc.vulnerabilities {
                v.locations = v
                    .locations
                    .iter()
                    .map(|l| swap(l).unwrap_or_else(|| l.clone()))
                    .collect();
            }
            let name = swap(&name).unwrap_or(name);
            self.services.insert(name, svc);
        }
    }
}

impl ServiceState {
    /// Records `package` at `version`.
    pub fn add_package(&mut self, ecosystem: &str, package: &str, version: &str) {
        self.packages.insert(PackageVersion {
            ecosystem: ecosystem.to_owned(),
            name: package.to_owned(),
            version: version.to_owned(),
        });
    }

    /// Whether anything about `package` could not be judged, or the advisory `ids`
    /// for it could not be decided: the reason, when so.
    pub fn unjudged_reason(
        &self,
        ecosystem: &str,
        package: &str,
        ids: &BTreeSet<String>,
    ) -> Option<String> {
        let key = package_key(ecosystem, package);
        self.unjudged
            .iter()
            .find(|u| {
                u.ecosystem == ecosystem
                    && package_key(&u.ecosystem, &u.package) == key
                    && (u.kind != UnjudgedKind::Unverifiable || same_vulnerability(&u.ids, ids))
            })
            .map(|u| {
                let version = u
                    .version
                    .as_deref()
                    .map(|v| format!(" {v}"))
                    .unwrap_or_default();
                format!("{}{version}: {}", u.package, u.reason)
            })
    }
}

/// `manifest:line`, or the manifest alone.
fn location(manifest: &str, line: Option<u32>) -> String {
    match line {
        Some(l) => format!("{manifest}:{l}"),
        None => manifest.to_owned(),
    }
}

/// `file:line: message`.
fn problem(file: &str, line: Option<u32>, message: &str) -> String {
    format!("{}: {message}", location(file, line))
}

/// The parts of a saved scan report a verification reads.
mod raw {
    use super::*;

    #[derive(Deserialize)]
    pub(super) struct Report {
        services: Vec<Service>,
        #[serde(default)]
        findings: Vec<Finding>,
        #[serde(default)]
        suppressed: Vec<Finding>,
        #[serde(default)]
        unpinned: Vec<Record>,
        #[serde(default)]
        not_matchable: Vec<Record>,
        #[serde(default)]
        not_checked: Vec<Record>,
        #[serde(default)]
        packages: Option<Vec<Package>>,
        #[serde(default)]
        errors: Vec<Problem>,
        #[serde(default)]
        freshness: Option<Freshness>,
        #[serde(default)]
        pub(super) filtered: Option<Filtered>,
    }

    #[derive(Deserialize)]
    struct Service {
        name: String,
        #[serde(default)]
        manifests: Vec<Manifest>,
        #[serde(default)]
        not_read: Vec<Skipped>,
    }

    #[derive(Deserialize)]
    struct Manifest {
        path: String,
        #[serde(default)]
        error: Option<String>,
    }

    #[derive(Deserialize)]
    struct Skipped {
        path: String,
        reason: String,
    }

    #[derive(Deserialize)]
    struct Finding {
        service: String,
        manifest: String,
        line: Option<u32>,
        ecosystem: String,
        package: String,
        version: String,
        advisory: String,
        #[serde(default)]
        aliases: Vec<String>,
        #[serde(default)]
        informational: Option<String>,
        #[serde(default)]
        unverifiable: Option<String>,
    }

    #[derive(Deserialize)]
    struct Record {
        service: String,
        ecosystem: String,
        package: String,
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        reason: String,
    }

    #[derive(Deserialize)]
    struct Package {
        service: String,
        ecosystem: String,
        package: String,
        #[serde(default)]
        version: Option<String>,
    }

    #[derive(Deserialize)]
    struct Problem {
        file: String,
        line: Option<u32>,
        message: String,
    }

    #[derive(Deserialize)]
    struct Freshness {
        #[serde(default)]
        enforced: bool,
        #[serde(default)]
        stale: Vec<serde_json::Value>,
    }

    #[derive(Deserialize)]
    pub(super) struct Filtered {
        #[serde(default)]
        pub(super) filters: Vec<String>,
        #[serde(default)]
        pub(super) hidden: usize,
        #[serde(default)]
        pub(super) by_top: usize,
    }

    impl Report {
        pub(super) fn into_snapshot(self) -> Snapshot {
            let mut snap = Snapshot::default();
            let listed = self.packages.is_some();
            for s in &self.services {
                let manifests = s
                    .manifests
                    .iter()
                    .filter_map(|m| Some((m.path.as_str(), m.error.as_deref()?)));
                let skipped = s
                    .not_read
                    .iter()
                    .map(|n| (n.path.as_str(), n.reason.as_str()));
                snap.add_service(&s.name, listed, manifests.chain(skipped));
            }
            for p in self.packages.iter().flatten() {
                if let Some(v) = &p.version {
                    snap.service(&p.service)
                        .add_package(&p.ecosystem, &p.package, v);
                }
            }
            for f in self.findings.iter().chain(&self.suppressed) {
                snap.add_finding(FindingIn {
                    service: &f.service,
                    ecosystem: &f.ecosystem,
                    package: &f.package,
                    version: &f.version,
                    advisory: &f.advisory,
                    aliases: f.aliases.iter().map(String::as_str).collect(),
                    location: location(&f.manifest, f.line),
                    unverifiable: f.unverifiable.as_deref(),
                    informational: f.informational.is_some(),
                });
            }
            add_unjudged_records!(snap, self);
            let too_old = self
                .freshness
                .is_some_and(|f| f.enforced && !f.stale.is_empty());
            let errors = self.errors.iter();
            snap.add_errors(
                errors.map(|e| (e.file.as_str(), e.line, e.message.as_str())),
                too_old,
            );
            snap
        }
    }
}
