//! The blast radius of one subject over a triaged report.
//!
//! [`resolve`] turns a [`Target`] into a [`Subject`]: for an advisory, every id of
//! the vulnerability, the packages its records name, and the import paths and
//! function names they give (Go `ecosystem_specific.imports`, RustSec
//! `ecosystem_specific.affects.functions`). [`report_from_inventory`] builds the
//! report of only the subject's packages from a saved inventory (the index answers
//! without re-reading any repository). [`blast`] selects the subject's findings,
//! one entry per service, package version and declaration, with the most urgent
//! priority, the fix and decision, any exception, and whether the service's own
//! code imports the package (`cverun-reach`), and counts: N of M services affected,
//! by priority, reachable or not.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use cverun_db::Database;
use cverun_reach::{Reach, Target as ReachTarget, reach_all};
use cverun_scan::report::{
    ByLevel, FindingRecord, InventoryRecord, PackageRecord, Problem, Report, ServiceReport,
    Summary, Tool,
};
use cverun_scan::triage::{ExceptionUse, Fix, Triage, apply};
use cverun_triage::policy::{Level, Priority};
use cverun_versions::{Ecosystem, compare, normalize_name};
use serde::Serialize;

use crate::store::{Inventory, StoreError};
use crate::target::Target;

/// The JSON schema name of [`Blast`].
pub const SCHEMA: &str = "cverun.blast/1";

/// Why a blast query cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum BlastError {
    /// The advisory database does not know the id: cverun cannot judge it (which is
    /// not "nothing is affected").
    #[error(
        "the advisory database (snapshot {snapshot}) does not know {id}: cverun cannot judge it; update the database (`cverun db update`) or import the advisory"
    )]
    UnknownAdvisory {
        /// The id asked.
        id: String,
        /// The database snapshot id (short).
        snapshot: String,
    },
    /// Every record of the advisory is withdrawn.
    #[error("{id} is withdrawn ({records}): it affects nothing")]
    Withdrawn {
        /// The id asked.
        id: String,
        /// The withdrawn records.
        records: String,
    },
    /// The database failed.
    #[error(transparent)]
    Database(#[from] cverun_db::Error),
    /// The inventory file failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Triage failed.
    #[error(transparent)]
    Scan(#[from] cverun_scan::ScanError),
}

/// Names and hints of one package the subject concerns.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PackageHints {
    /// Go: the import paths the advisory names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub import_paths: Vec<String>,
    /// Functions or symbols the advisory names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub symbols: Vec<String>,
}

/// What a blast query is about, resolved against the advisory database.
#[derive(Clone, Debug, Serialize)]
pub struct Subject {
    /// The query as given (canonical spelling for ids).
    pub query: String,
    /// Every id of the vulnerability (empty for a package query).
    pub ids: Vec<String>,
    /// The advisory's summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The packages concerned, as `ecosystem/name`.
    pub packages: Vec<String>,
    /// The exact version asked about (package queries).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// When no record carries the id asked as its id or an alias but some list it
    /// in their OSV `related` field: those records' ids. The radius is then theirs
    /// (each a different vulnerability, never merged as an alias), and every entry
    /// came through one of them. Empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_via: Vec<String>,
    #[serde(skip)]
    keys: Vec<(Ecosystem, String, String)>,
    #[serde(skip)]
    hints: HashMap<(String, String), PackageHints>,
}

impl Subject {
    fn key(ecosystem: &Ecosystem, name: &str) -> (String, String) {
        (
            ecosystem.osv_name().to_owned(),
            normalize_name(ecosystem, name).into_owned(),
        )
    }

    /// The packages concerned: ecosystem and name as written.
    pub fn package_names(&self) -> impl Iterator<Item = (&Ecosystem, &str)> {
        self.keys.iter().map(|(e, n, _)| (e, n.as_str()))
    }

    fn concerns(&self, ecosystem: &Ecosystem, name: &str) -> bool {
        let key = normalize_name(ecosystem, name);
        self.keys
            .iter()
            .any(|(e, _, k)| e == ecosystem && *k == key.as_ref())
    }
}

fn strings(v: Option<&serde_json::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Import paths and symbols from an `affected[].ecosystem_specific`.
fn hints_of(spec: Option<&serde_json::Value>) -> PackageHints {
    let mut h = PackageHints::default();
    let Some(spec) = spec else { return h };
    if let Some(imports) = spec.get("imports").and_then(|i| i.as_array()) {
        for i in imports {
            if let Some(p) = i.get("path").and_then(|p| p.as_str()) {
                h.import_paths.push(p.to_owned());
            }
            h.symbols.extend(strings(i.get("symbols")));
        }
    }
    if let Some(affects) = spec.get("affects") {
        h.symbols.extend(strings(affects.get("functions")));
    }
    h.import_paths.sort();
    h.import_paths.dedup();
    h.symbols.sort();
    h.symbols.dedup();
    h
}

/// Resolves `target` against `db`.
pub fn resolve(db: &Database, target: &Target) -> Result<Subject, BlastError> {
    match target {
        Target::Package {
            ecosystem,
            name,
            version,
        } => Ok(Subject {
            query: match version {
                Some(v) => format!("{}/{name}@{v}", ecosystem.osv_name()),
                None => format!("{}/{name}", ecosystem.osv_name()),
            },
            ids: Vec::new(),
            title: None,
            packages: vec![format!("{}/{name}", ecosystem.osv_name())],
            version: version.clone(),
            related_via: Vec::new(),
            keys: vec![(
                ecosystem.clone(),
                name.clone(),
                normalize_name(ecosystem, name).into_owned(),
            )],
            hints: HashMap::new(),
        }),
        Target::Advisory(id) => {
            let records = db.advisories_by_id(id)?;
            if records.is_empty() {
                // No record carries it: records that list it as related stand in,
                // and the subject says so.
                let related = db.advisories_related_to(id)?;
                if related.is_empty() {
                    let s = db.snapshot()?.id;
                    return Err(BlastError::UnknownAdvisory {
                        id: id.clone(),
                        snapshot: s[..s.len().min(12)].to_owned(),
                    });
                }
                let via = related.iter().map(|r| r.id.clone()).collect();
                let live: Vec<&cverun_osv::Advisory> = related.iter().collect();
                return Ok(subject_of(id, vec![id.clone()], None, &live, via));
            }
            let live: Vec<_> = records.iter().filter(|r| !r.is_withdrawn()).collect();
            if live.is_empty() {
                return Err(BlastError::Withdrawn {
                    id: id.clone(),
                    records: records
                        .iter()
                        .map(|r| r.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            let mut ids = vec![id.clone()];
            for r in &live {
                for i in r.ids() {
                    if !ids.iter().any(|x| x.eq_ignore_ascii_case(i)) {
                        ids.push(i.to_owned());
                    }
                }
            }
            let title = live.iter().find_map(|r| r.summary.clone());
            Ok(subject_of(id, ids, title, &live, Vec::new()))
        }
    }
}

/// The subject of the advisory `query`: `ids`, `title`, and the packages and hints
/// of the `live` records (its own, or those listing it as related: `related_via`).
fn subject_of(
    query: &str,
    ids: Vec<String>,
    title: Option<String>,
    live: &[&cverun_osv::Advisory],
    related_via: Vec<String>,
) -> Subject {
    let mut keys: Vec<(Ecosystem, String, String)> = Vec::new();
    let mut hints: HashMap<(String, String), PackageHints> = HashMap::new();
    for r in live {
        for a in &r.affected {
            let key = Subject::key(&a.ecosystem, &a.name);
            if !keys
                .iter()
                .any(|(e, _, k)| e.osv_name() == key.0 && *k == key.1)
            {
                keys.push((a.ecosystem.clone(), a.name.clone(), key.1.clone()));
            }
            let h = hints_of(a.ecosystem_specific.as_ref());
            let entry = hints.entry(key).or_default();
            for p in h.import_paths {
                if !entry.import_paths.contains(&p) {
                    entry.import_paths.push(p);
                }
            }
            for s in h.symbols {
                if !entry.symbols.contains(&s) {
                    entry.symbols.push(s);
                }
            }
        }
    }
    Subject {
        query: query.to_owned(),
        ids,
        title,
        packages: keys
            .iter()
            .map(|(e, n, _)| format!("{}/{n}", e.osv_name()))
            .collect(),
        version: None,
        related_via,
        keys,
        hints,
    }
}

/// The report of the subject's packages only, from a saved inventory, matched
/// against `db` and triaged (priorities with each service's context, fixes,
/// exceptions).
pub fn report_from_inventory(
    inv: &Inventory,
    db: &Database,
    subject: &Subject,
    triage: &Triage,
    now: jiff::Timestamp,
    threads: usize,
) -> Result<Report, BlastError> {
    let mut records: Vec<InventoryRecord> = Vec::new();
    for (eco, name) in subject.package_names() {
        records.extend(inv.packages(eco, name)?.into_iter().map(|(_, r)| r));
    }
    let coverage = db.coverage()?;
    let covered = |r: &InventoryRecord| coverage.covers(&Ecosystem::from_osv(&r.ecosystem));
    let matchable: Vec<(&InventoryRecord, cverun_db::PackageQuery)> = records
        .iter()
        .filter(|r| r.unmatched.is_none() && covered(r))
        .filter_map(|r| {
            r.version.as_ref().map(|v| {
                let q = cverun_db::PackageQuery {
                    ecosystem: Ecosystem::from_osv(&r.ecosystem),
                    name: r.package.clone(),
                    version: v.clone(),
                };
                (r, q)
            })
        })
        .collect();
    let queries: Vec<cverun_db::PackageQuery> = matchable.iter().map(|(_, q)| q.clone()).collect();
    let found = db.find(&queries)?;
    let mut unpinned = Vec::new();
    let mut not_matchable = Vec::new();
    let not_checked: Vec<PackageRecord> = records
        .iter()
        .filter(|r| r.unmatched.is_none() && r.version.is_some() && !covered(r))
        .map(|r| PackageRecord {
            service: r.service.clone(),
            manifest: r.manifest.clone(),
            line: r.line,
            ecosystem: r.ecosystem.clone(),
            package: r.package.clone(),
            version: r.version.clone(),
            specifier: None,
            reason: coverage
                .gap(&Ecosystem::from_osv(&r.ecosystem))
                .unwrap_or_default(),
        })
        .collect();
    for r in records
        .iter()
        .filter(|r| r.unmatched.is_some() || r.version.is_none())
    {
        let record = PackageRecord {
            service: r.service.clone(),
            manifest: r.manifest.clone(),
            line: r.line,
            ecosystem: r.ecosystem.clone(),
            package: r.package.clone(),
            version: r.version.clone(),
            specifier: r.specifier.clone(),
            reason: r
                .unmatched
                .clone()
                .unwrap_or_else(|| "no exact version".to_owned()),
        };
        if r.version.is_none() {
            unpinned.push(record);
        } else {
            not_matchable.push(record);
        }
    }
    let mut findings = Vec::new();
    for ((r, q), fs) in matchable.iter().zip(found) {
        for f in fs {
            findings.push(FindingRecord {
                service: r.service.clone(),
                manifest: r.manifest.clone(),
                line: r.line,
                ecosystem: q.ecosystem.clone(),
                package: r.package.clone(),
                version: q.version.clone(),
                relation: r.relation,
                scope: r.scope,
                stdlib_source: r.stdlib_source,
                paths: r.paths.clone(),
                cvss: None,
                priority: None,
                fix: None,
                own_fix: None,
                exception: None,
                finding: f,
            });
        }
    }
    let services: Vec<ServiceReport> = inv
        .services
        .iter()
        .map(|s| ServiceReport {
            name: s.name.as_str().into(),
            path: s.path.clone(),
            location: s.location.clone(),
            configured: s.owner.is_some() || s.exposure.is_some(),
            owner: s.owner.clone(),
            exposure: s.exposure,
            data: s.data.clone(),
            tier: s.tier.clone(),
            manifests: Vec::new(),
            skipped_manifests: Vec::new(),
            not_read: Vec::new(),
            fully_checked: false,
            packages: 0,
            vulnerabilities: 0,
            unverifiable: 0,
            informational: 0,
            unpinned: 0,
            not_matchable: 0,
            not_checked: 0,
        })
        .collect();
    let mut report = Report {
        schema: cverun_scan::report::SCHEMA,
        tool: Tool {
            name: "cverun",
            version: env!("CARGO_PKG_VERSION"),
        },
        scanned_at: now.to_string(),
        roots: inv.roots.clone(),
        database: db.snapshot()?,
        coverage,
        freshness: None,
        policy: None,
        summary: Summary {
            services: services.len(),
            ..Summary::default()
        },
        services,
        findings,
        packages_affected: Vec::new(),
        suppressed: Vec::new(),
        vulnerabilities: Vec::new(),
        exception_problems: Vec::new(),
        unpinned,
        not_matchable,
        not_checked,
        packages: Some(records),
        errors: inv.errors.clone(),
        warnings: Vec::new(),
        filtered: Default::default(),
    };
    apply(&mut report, db, triage, now, threads)?;
    Ok(report)
}

/// How a service stands toward the subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A known advisory affects the version it ships.
    Affected,
    /// It ships the exact version asked about (no advisory needed).
    Named,
    /// Its version cannot be judged: check by hand.
    Unverifiable,
    /// Affected, but an exception in force covers it.
    Suppressed,
    /// Ships the package, at a version no known advisory of the subject affects
    /// (or, for an exact version asked about, at another version).
    NotAffected,
    /// Ships the package, but the database holds no advisory data for its
    /// ecosystem: cannot be judged.
    NotChecked,
}

impl Status {
    /// Order of rows: what needs attention first, then suppressed, then services
    /// that ship the package unaffected.
    fn rank(self) -> u8 {
        match self {
            Status::Affected | Status::Named | Status::Unverifiable | Status::NotChecked => 0,
            Status::Suppressed => 1,
            Status::NotAffected => 2,
        }
    }
}

/// One service, package version and declaration in the blast radius.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    /// Service.
    pub service: Arc<str>,
    /// Owner, from cverun.toml.
    pub owner: Option<String>,
    /// Exposure.
    pub exposure: Option<&'static str>,
    /// Data handled.
    pub data: Option<String>,
    /// Where its source is (read for reachability).
    pub dir: PathBuf,
    /// How it stands.
    pub status: Status,
    /// Ecosystem.
    pub ecosystem: String,
    /// Package.
    pub package: String,
    /// Installed version.
    pub version: String,
    /// The declaring file.
    pub manifest: Arc<str>,
    /// Line.
    pub line: Option<u32>,
    /// `direct`, `transitive` or `unknown`.
    pub relation: cverun_inventory::Relation,
    /// Runtime, development, optional or unknown.
    pub scope: cverun_inventory::Scope,
    /// Go `stdlib` only: `toolchain` or `go-directive` (absent when unknown, as
    /// from an inventory).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdlib_source: Option<cverun_inventory::StdlibSource>,
    /// The shortest dependency path from a direct dependency (transitive only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// The advisories (primary ids) concerned.
    pub advisories: Vec<String>,
    /// The most urgent priority among them.
    pub priority: Option<Box<Priority>>,
    /// Fix options and decision.
    pub fix: Option<Arc<Fix>>,
    /// For an advisory asked about: the smallest known version that fixes it
    /// (every record of it), whatever the package's other advisories say; `null`
    /// when none is known or the question is a package.
    pub subject_fix: Option<String>,
    /// Why it cannot be judged, when unverifiable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unverifiable: Option<String>,
    /// The exception covering it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<Arc<ExceptionUse>>,
    /// Whether the service's own code imports the package (`null` when not
    /// checked).
    pub reach: Option<Reach>,
}

/// Counts of a blast radius.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct BlastSummary {
    /// Services scanned or in the inventory.
    pub services: usize,
    /// Services that declare the package at any version (or any package of the
    /// advisory), whatever their standing: who ships it.
    pub ship: usize,
    /// Services that ship it, none of their declarations affected.
    pub not_affected: usize,
    /// Services that ship it in an ecosystem without advisory data: not judged.
    pub not_checked: usize,
    /// Services affected (or shipping the version asked about), suppressed aside.
    pub affected: usize,
    /// Affected services per priority (their most urgent entry).
    pub priorities: ByLevel,
    /// Services with only unverifiable entries.
    pub unverifiable: usize,
    /// Services whose every entry an exception covers.
    pub suppressed: usize,
    /// Affected services whose code imports the package.
    pub imported: usize,
    /// Affected services whose code does not import it (their dependencies may).
    pub not_imported: usize,
    /// Affected services where it could not be told.
    pub reach_unknown: usize,
}

/// Where the answer comes from.
#[derive(Clone, Debug, Serialize)]
pub struct Source {
    /// `scan` or `inventory`.
    pub kind: &'static str,
    /// The roots scanned, or the inventory file.
    pub paths: Vec<String>,
    /// When the inventory was saved (`null` for a scan).
    pub saved_at: Option<String>,
}

/// The blast radius of one subject.
#[derive(Clone, Debug, Serialize)]
pub struct Blast {
    /// `cverun.blast/1`.
    pub schema: &'static str,
    /// What was asked.
    pub subject: Subject,
    /// Where the services come from.
    pub source: Source,
    /// The advisory database snapshot id.
    pub snapshot: String,
    /// Counts.
    pub summary: BlastSummary,
    /// Every affected (named, unverifiable, suppressed) service and declaration, most
    /// urgent first.
    pub entries: Vec<Entry>,
    /// Files that could not be read: the answer is incomplete when not empty.
    pub incomplete: Vec<Problem>,
    /// Why the question cannot be judged at all (no advisory data for the
    /// package's ecosystem; a package that neither any service nor any advisory
    /// names), `null` when it can.
    pub cannot_judge: Option<String>,
    /// Close package names, when the package asked about is unknown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub did_you_mean: Vec<String>,
    /// How current the advisory data is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freshness: Option<cverun_db::Freshness>,
    /// What the filters left out of `entries` (docs/filters.md); not-checked
    /// entries are never hidden.
    pub filtered: cverun_scan::filter::Filtered,
}

impl Blast {
    /// 2 when incomplete, when it cannot be judged (no advisory data for a
    /// declaration's ecosystem, an unknown package) or the advisory data is older
    /// than an enforced maximum age; 1 when any service is affected, named or
    /// unverifiable (suppressed and unaffected ones aside); else 0.
    pub fn exit_code(&self) -> u8 {
        let too_old = self
            .freshness
            .as_ref()
            .is_some_and(|f| f.enforced && !f.stale.is_empty());
        if !self.incomplete.is_empty()
            || self.cannot_judge.is_some()
            || too_old
            || self.entries.iter().any(|e| e.status == Status::NotChecked)
        {
            2
        } else {
            u8::from(self.entries.iter().any(|e| {
                matches!(
                    e.status,
                    Status::Affected | Status::Named | Status::Unverifiable
                )
            }))
        }
    }
}

/// The version that fixes the advisory asked about at one declaration: the
/// largest of its records' own fixes (each record must be left behind); `None`
/// when one of them has no known fix, or a finding has none computed.
fn subject_fix(members: &[(&FindingRecord, bool)]) -> Option<String> {
    let mut best: Option<&str> = None;
    for (f, _) in members {
        let v = f.own_fix.as_ref()?.version.as_deref()?;
        best = Some(match (best, f.ecosystem.scheme()) {
            (Some(b), Some(s)) if compare(s, v, b).is_ok_and(|o| o.is_le()) => b,
            (Some(b), None) if b >= v => b,
            _ => v,
        });
    }
    best.map(str::to_owned)
}

/// Whether two version strings of `ecosystem` are the same version (by the
/// scheme's equality when both parse, else as written).
fn same_version(ecosystem: &Ecosystem, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    match ecosystem.scheme() {
        Some(s) => compare(s, a, b).is_ok_and(|o| o.is_eq()),
        None => false,
    }
}

/// The blast radius of `subject` over a triaged `report`; reachability is checked
/// on `threads` threads unless `reach` is false.
pub fn blast(
    report: &Report,
    subject: Subject,
    source: Source,
    reach: bool,
    threads: usize,
) -> Blast {
    let services: HashMap<&str, &ServiceReport> =
        report.services.iter().map(|s| (&*s.name, s)).collect();
    let carries = |f: &FindingRecord| {
        if !subject.concerns(&f.ecosystem, &f.package) {
            return false;
        }
        if let Some(v) = &subject.version {
            return same_version(&f.ecosystem, &f.version, v);
        }
        // An id known only as related: the findings of the records listing it.
        subject.ids.is_empty()
            || subject.ids.iter().chain(&subject.related_via).any(|id| {
                f.finding.advisory.eq_ignore_ascii_case(id)
                    || f.finding.aliases.iter().any(|a| a.eq_ignore_ascii_case(id))
            })
    };
    type Key = (Arc<str>, Arc<str>, Option<u32>, String, String, String);
    let mut groups: BTreeMap<Key, Vec<(&FindingRecord, bool)>> = BTreeMap::new();
    for (f, suppressed) in report
        .findings
        .iter()
        .map(|f| (f, false))
        .chain(report.suppressed.iter().map(|f| (f, true)))
    {
        if f.finding.informational.is_some() || !carries(f) {
            continue;
        }
        let key = (
            f.service.clone(),
            f.manifest.clone(),
            f.line,
            f.ecosystem.osv_name().to_owned(),
            f.package.clone(),
            f.version.clone(),
        );
        groups.entry(key).or_default().push((f, suppressed));
    }
    let mut entries: Vec<Entry> = Vec::new();
    let entry_base = |service: &Arc<str>,
                      eco: &str,
                      package: &str,
                      version: &str,
                      manifest: &Arc<str>,
                      line: Option<u32>,
                      relation,
                      path: Vec<String>| {
        let svc = services.get(&**service);
        Entry {
            service: service.clone(),
            owner: svc.and_then(|s| s.owner.clone()),
            exposure: svc.and_then(|s| s.exposure).map(|e| e.as_str()),
            data: svc.and_then(|s| s.data.clone()),
            dir: svc.map(|s| s.location.clone()).unwrap_or_default(),
            status: Status::Named,
            ecosystem: eco.to_owned(),
            package: package.to_owned(),
            version: version.to_owned(),
            manifest: manifest.clone(),
            line,
            relation,
            scope: cverun_inventory::Scope::Unknown,
            stdlib_source: None,
            path,
            advisories: Vec::new(),
            priority: None,
            fix: None,
            subject_fix: None,
            unverifiable: None,
            exception: None,
            reach: None,
        }
    };
    for ((service, manifest, line, eco, package, version), mut members) in groups {
        members.sort_by_key(|(f, s)| {
            (
                *s,
                f.finding.unverifiable.is_some(),
                f.priority.as_ref().map(|p| p.level),
            )
        });
        let (lead, lead_suppressed) = members[0];
        let mut e = entry_base(
            &service,
            &eco,
            &package,
            &version,
            &manifest,
            line,
            lead.relation,
            lead.paths.first().cloned().unwrap_or_default(),
        );
        e.scope = lead.scope;
        e.stdlib_source = lead.stdlib_source;
        e.status = if lead_suppressed {
            Status::Suppressed
        } else if lead.finding.unverifiable.is_some() {
            Status::Unverifiable
        } else {
            Status::Affected
        };
        for (f, _) in &members {
            let id = f.finding.advisory.to_string();
            if !e.advisories.contains(&id) {
                e.advisories.push(id);
            }
        }
        e.priority = lead.priority.clone();
        e.fix = members
            .iter()
            .find(|(f, s)| !*s && f.fix.is_some())
            .or(members.first())
            .and_then(|(f, _)| f.fix.clone());
        if subject.version.is_none() && !subject.ids.is_empty() {
            e.subject_fix = subject_fix(&members);
        }
        e.unverifiable = lead.finding.unverifiable.clone();
        e.exception = lead.exception.clone();
        entries.push(e);
    }
    // Every other declaration of the package with an exact version: for an exact
    // version asked about, each declaration of it, advisory or not (`named`); then
    // who ships it at any other version, not affected. Declarations not checked (no
    // advisory data) are listed below instead.
    if let Some(packages) = &report.packages {
        // Declarations already listed from findings: (service, manifest, line, package).
        type Declaration = (Arc<str>, Arc<str>, Option<u32>, String);
        let mut listed: std::collections::HashSet<Declaration> = entries
            .iter()
            .map(|e| {
                (
                    e.service.clone(),
                    e.manifest.clone(),
                    e.line,
                    e.package.clone(),
                )
            })
            .collect();
        for r in packages {
            let eco = Ecosystem::from_osv(&r.ecosystem);
            let Some(installed) = &r.version else {
                continue;
            };
            if !subject.concerns(&eco, &r.package) {
                continue;
            }
            let named = subject
                .version
                .as_ref()
                .is_some_and(|v| same_version(&eco, installed, v));
            if !named && (r.unmatched.is_some() || !report.coverage.covers(&eco)) {
                continue;
            }
            let key = (
                r.service.clone(),
                r.manifest.clone(),
                r.line,
                r.package.clone(),
            );
            if listed.insert(key) {
                let mut e = entry_base(
                    &r.service,
                    &r.ecosystem,
                    &r.package,
                    installed,
                    &r.manifest,
                    r.line,
                    r.relation,
                    r.paths.first().cloned().unwrap_or_default(),
                );
                e.scope = r.scope;
                e.stdlib_source = r.stdlib_source;
                if !named {
                    e.status = Status::NotAffected;
                }
                entries.push(e);
            }
        }
    }
    // Declarations that cannot be judged are listed, never left out as if safe:
    // in an ecosystem without advisory data (not checked), or without an exact
    // version, or not matchable (unverifiable).
    let unjudged = report
        .not_checked
        .iter()
        .map(|p| (p, Status::NotChecked))
        .chain(
            report
                .unpinned
                .iter()
                .chain(&report.not_matchable)
                .map(|p| (p, Status::Unverifiable)),
        );
    for (p, status) in unjudged {
        let eco = Ecosystem::from_osv(&p.ecosystem);
        if !subject.concerns(&eco, &p.package) {
            continue;
        }
        if let (Status::Unverifiable, Some(asked), Some(v)) = (status, &subject.version, &p.version)
        {
            if !same_version(&eco, v, asked) {
                continue;
            }
        }
        let mut e = entry_base(
            &p.service,
            &p.ecosystem,
            &p.package,
            p.version
                .as_deref()
                .or(p.specifier.as_deref())
                .unwrap_or("*"),
            &p.manifest,
            p.line,
            cverun_inventory::Relation::Unknown,
            Vec::new(),
        );
        e.status = status;
        e.unverifiable = Some(match status {
            Status::NotChecked => p.reason.clone(),
            _ => format!("{}: which version is installed cannot be told", p.reason),
        });
        entries.push(e);
    }
    if reach {
        check_reach(&mut entries, &subject, threads);
    }
    entries.sort_by(|a, b| {
        let key = |e: &Entry| {
            (
                e.status.rank(),
                e.priority
                    .as_ref()
                    .map(|p| p.level)
                    .unwrap_or(Level::Routine),
                e.status,
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.service.cmp(&b.service))
            .then_with(|| a.manifest.cmp(&b.manifest))
    });
    let summary = summarise(&entries, report.services.len());
    // A package of an ecosystem without advisory data: who ships it is known,
    // whether they are affected is not.
    let cannot_judge = if subject.ids.is_empty() {
        subject
            .package_names()
            .find_map(|(eco, _)| report.coverage.gap(eco))
            .map(|gap| format!("{gap}: cverun cannot tell which versions are affected"))
    } else {
        None
    };
    Blast {
        schema: SCHEMA,
        snapshot: report.database.id.clone(),
        subject,
        source,
        summary,
        entries,
        incomplete: report.errors.clone(),
        cannot_judge,
        did_you_mean: Vec::new(),
        freshness: report.freshness.clone(),
        filtered: Default::default(),
    }
}

/// The filters' view of an entry: an affected, named or suppressed entry is
/// judged as a vulnerability, an unaffected one has no priority to meet a bar.
fn row(e: &Entry) -> cverun_scan::filter::Row<'_> {
    use cverun_scan::filter::{Kind, Row};
    Row {
        service: &e.service,
        manifest: &e.manifest,
        ecosystem: &e.ecosystem,
        package: &e.package,
        scope: e.scope,
        stdlib_source: e.stdlib_source,
        kind: match e.status {
            Status::Unverifiable => Kind::Unverifiable,
            Status::NotAffected => Kind::NotAffected,
            _ => Kind::Vulnerability,
        },
        priority: e.priority.as_ref().map(|p| p.level),
        rating: e
            .priority
            .as_ref()
            .and_then(|p| p.inputs.cvss.as_ref())
            .map(|s| s.rating),
    }
}

/// Filters the entries of `b` (`roots`: the roots the manifests are relative to),
/// recounting its summary over `services` services, and records what was hidden.
/// Entries not checked (no advisory data) are never hidden. `--top` is applied
/// apart ([`top`]), after the exit status is known.
pub fn filter(b: &mut Blast, filter: &cverun_scan::filter::Compiled, roots: &[String]) {
    let mut tally = filter.tally();
    if !filter.filter().is_empty() {
        let mut kept = Vec::with_capacity(b.entries.len());
        for e in std::mem::take(&mut b.entries) {
            if e.status == Status::NotChecked {
                kept.push(e);
                continue;
            }
            match filter.judge(&row(&e), roots) {
                None => {
                    tally.shown += 1;
                    kept.push(e);
                }
                Some(why) => tally.count(why),
            }
        }
        b.entries = kept;
        b.summary = summarise(&b.entries, b.summary.services);
    } else {
        tally.shown = b.entries.len();
    }
    b.filtered = tally;
}

/// `--top`: the N most urgent entries (the summary keeps counting them all).
pub fn top(b: &mut Blast, filter: &cverun_scan::filter::Compiled) {
    let cut = filter.top(&mut b.entries, &mut b.filtered);
    b.filtered.shown -= cut.min(b.filtered.shown);
}

/// Reachability of every entry: one walk per service directory, services on
/// `threads` threads.
fn check_reach(entries: &mut [Entry], subject: &Subject, threads: usize) {
    let mut by_dir: BTreeMap<PathBuf, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        // Whether unaffected services import the package does not matter.
        if e.status != Status::NotAffected {
            by_dir.entry(e.dir.clone()).or_default().push(i);
        }
    }
    let jobs: Vec<(PathBuf, Vec<usize>, Vec<ReachTarget>)> = by_dir
        .into_iter()
        .map(|(dir, idx)| {
            let mut targets: Vec<ReachTarget> = Vec::new();
            for &i in &idx {
                let e = &entries[i];
                let eco = Ecosystem::from_osv(&e.ecosystem);
                if targets
                    .iter()
                    .any(|t| t.ecosystem == eco && t.package == e.package)
                {
                    continue;
                }
                let hints = subject
                    .hints
                    .get(&Subject::key(&eco, &e.package))
                    .cloned()
                    .unwrap_or_default();
                targets.push(
                    ReachTarget::new(eco, e.package.clone())
                        .with_import_paths(hints.import_paths)
                        .with_symbols(hints.symbols),
                );
            }
            (dir, idx, targets)
        })
        .collect();
    let answers = cverun_scan::parallel(jobs.len(), threads, |j| {
        let (dir, _, targets) = &jobs[j];
        if dir.as_os_str().is_empty() || !dir.is_dir() {
            let reason = format!(
                "the service's directory {} is not on this machine",
                dir.display()
            );
            targets
                .iter()
                .map(|_| Reach::Unknown {
                    reason: reason.clone(),
                })
                .collect()
        } else {
            reach_all(dir, targets)
        }
    });
    for (j, answer) in answers {
        let (_, idx, targets) = &jobs[j];
        for &i in idx {
            let e = &entries[i];
            let eco = Ecosystem::from_osv(&e.ecosystem);
            if let Some(t) = targets
                .iter()
                .position(|t| t.ecosystem == eco && t.package == e.package)
            {
                entries[i].reach = answer.get(t).cloned();
            }
        }
    }
}

fn summarise(entries: &[Entry], services: usize) -> BlastSummary {
    let mut s = BlastSummary {
        services,
        ..BlastSummary::default()
    };
    let mut by_service: BTreeMap<&str, Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        by_service.entry(&e.service).or_default().push(e);
    }
    for list in by_service.values() {
        s.ship += 1;
        if list.iter().all(|e| e.status == Status::NotAffected) {
            s.not_affected += 1;
            continue;
        }
        if list.iter().any(|e| e.status == Status::NotChecked) {
            s.not_checked += 1;
        }
        let hit: Vec<&&Entry> = list
            .iter()
            .filter(|e| matches!(e.status, Status::Affected | Status::Named))
            .collect();
        if hit.is_empty() {
            if list.iter().any(|e| e.status == Status::Unverifiable) {
                s.unverifiable += 1;
            } else if list.iter().any(|e| e.status == Status::Suppressed) {
                s.suppressed += 1;
            }
            continue;
        }
        s.affected += 1;
        if let Some(level) = hit
            .iter()
            .filter_map(|e| e.priority.as_ref().map(|p| p.level))
            .min()
        {
            s.priorities.add(level);
        }
        if hit
            .iter()
            .any(|e| e.reach.as_ref().is_some_and(Reach::is_imported))
        {
            s.imported += 1;
        } else if hit
            .iter()
            .all(|e| e.reach.as_ref().is_some_and(Reach::is_not_imported))
        {
            s.not_imported += 1;
        } else {
            s.reach_unknown += 1;
        }
    }
    s
}
