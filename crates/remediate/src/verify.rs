//! Verification: proof that a fix did what it was meant to, by comparing a scan
//! after the change with a baseline scan from before it (docs/verify.md).
//!
//! [`compare`] is pure: two [`Snapshot`]s in, a [`Verification`] out (JSON schema
//! `cverun.verify/1`, [`SCHEMA`]). Per service it lists the vulnerabilities
//! *fixed* (in the baseline, gone now), *remaining* (still there), *unconfirmed*
//! (gone from the report, but the current scan could not check them: the package
//! is now unpinned, not checked, not matchable, its advisory unverifiable, or a file
//! could not be read), *introduced* (found now, not in the baseline), and the
//! package versions changed, added and removed. The *targeted* advisories (those
//! asked for, by any id or alias; by default every vulnerability of the baseline)
//! get one status each across the fleet.
//!
//! Choices made here:
//!
//! - A vulnerability is the set of its ids (advisory and aliases). Two findings are
//!   the same vulnerability when those sets meet, ignoring case, for the same
//!   service, ecosystem and package (PyPI names normalised): the baseline may come
//!   from a database that calls it `PYSEC-2023-74`, the current scan from one that
//!   calls it `GHSA-j8r2-6x86-q33q`.
//! - Fail closed: "fixed" is said only of what the current scan checked. Anything
//!   the current scan could not judge that the baseline could (a new unreadable
//!   file, a package newly unpinned or not checked, a new unverifiable finding), a
//!   baseline service absent now, or an incomplete scan on either side make the
//!   verification incomplete.
//! - Exit statuses ([`Verification::exit_code`]): 3 a vulnerability introduced
//!   (regression), else 1 a targeted advisory remains, else 2 the verification
//!   cannot conclude (incomplete, a targeted advisory unconfirmed or not in the
//!   baseline), else 0. A certain failure outranks an uncertain answer: what was
//!   checked already proves the regression (or the remaining advisory), and nothing
//!   the scan missed could undo it; 2 is the answer "0 cannot be proven".
//! - An installed environment (`--site-packages`) has no baseline of its own: its
//!   vulnerabilities are compared with the whole baseline fleet (same package and
//!   vulnerability anywhere: *remaining*); those the baseline does not show anywhere
//!   are listed as *not in baseline* and counted, but are not regressions of the
//!   change (an environment also holds pip, setuptools and what the manifests
//!   never named).
//! - The evidence hash `sha256` is the SHA-256 of the canonical JSON of the
//!   verification without that field ([`render::seal`]).
//!
//! The baseline comes from a saved report ([`Snapshot::from_json`]) or from a scan of
//! a git revision checked out in a temporary worktree ([`worktree`]), which leaves
//! the user's working tree and index alone.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub mod render;
mod snapshot;
pub mod worktree;

pub use snapshot::{
    BaselineError, PackageVersion, SCAN_SCHEMA, ServiceKind, ServiceState, Snapshot, Unjudged,
    UnjudgedKind, Vulnerability, package_key, same_vulnerability,
};

/// The JSON schema name of [`Verification`].
pub const SCHEMA: &str = "cverun.verify/1";

/// What a verification is asked, and about what (the parts of the document that do
/// not come from the comparison).
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// The advisories to verify, by any id or alias (`--advisory`); empty: every
    /// vulnerability of the baseline.
    pub advisories: Vec<String>,
    /// When the verification ran (RFC 3339).
    pub verified_at: String,
    /// Where the baseline comes from.
    pub baseline: Source,
    /// What was scanned now (the roots as given, and environments).
    pub current: Vec<String>,
    /// The advisory database snapshot id used now.
    pub database: String,
}

/// Where a snapshot comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Source {
    /// `report` (a saved scan report) or `git` (a revision scanned in a temporary
    /// worktree).
    pub kind: String,
    /// The report file, or the revision as given.
    pub label: String,
    /// The commit the revision resolved to (`git` only), per repository.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commits: Vec<String>,
}

/// The answer (`cverun.verify/1`).
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    /// `cverun.verify/1`.
    pub schema: &'static str,
    /// The tool's version.
    pub tool_version: &'static str,
    /// When it ran.
    pub verified_at: String,
    /// Where the baseline comes from.
    pub baseline: Source,
    /// What was scanned now.
    pub current: Vec<String>,
    /// The advisory database snapshot id used now.
    pub database: String,
    /// The conclusion.
    pub outcome: Outcome,
    /// The advisories verified, each with its status across the fleet.
    pub targeted: Vec<Target>,
    /// Counts.
    pub totals: Totals,
    /// Per service, in name order.
    pub services: Vec<ServiceVerification>,
    /// What the scans could not check.
    pub completeness: Completeness,
    /// The evidence hash: SHA-256 (hex) of the canonical JSON of this document
    /// without this field ([`render::seal`]).
    pub sha256: String,
}

/// The conclusion and its exit status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// `verified` (0), `remaining` (1), `cannot_judge` (2) or `regression` (3).
    pub status: Status,
    /// The exit status.
    pub exit_code: u8,
    /// Why, a sentence each.
    pub reasons: Vec<String>,
}

/// The conclusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Every targeted advisory fixed, nothing introduced, the scans complete: 0.
    Verified,
    /// A targeted advisory remains: 1.
    Remaining,
    /// The verification cannot conclude: 2.
    CannotJudge,
    /// A vulnerability was introduced: 3.
    Regression,
}

impl Status {
    /// The exit status.
    pub fn exit_code(self) -> u8 {
        match self {
            Status::Verified => 0,
            Status::Remaining => 1,
            Status::CannotJudge => 2,
            Status::Regression => 3,
        }
    }
}

/// One targeted advisory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Target {
    /// The ids asked for that name it (empty: targeted by default).
    pub asked: Vec<String>,
    /// Its primary id (from the baseline when it is there).
    pub advisory: String,
    /// Its other ids.
    pub aliases: Vec<String>,
    /// Where it stands across the fleet.
    pub status: TargetStatus,
    /// The services where the baseline had it.
    pub baseline_services: Vec<String>,
    /// The services where it is found now.
    pub current_services: Vec<String>,
    /// Why it is not confirmed fixed, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Where a targeted advisory stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetStatus {
    /// Gone from every service, and every place it was is checked now.
    Fixed,
    /// Still found somewhere (or found now without being in the baseline).
    Remaining,
    /// Not found now, but some place it was could not be checked.
    Unconfirmed,
    /// Neither the baseline nor the current scan shows it: nothing to verify (is
    /// the id right?).
    NotInBaseline,
}

/// Counts over the whole verification.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Services compared (baseline and current together, environments included).
    pub services: usize,
    /// Vulnerabilities fixed (per service and package).
    pub fixed: usize,
    /// Vulnerabilities remaining.
    pub remaining: usize,
    /// Vulnerabilities not found now that could not be checked.
    pub unconfirmed: usize,
    /// Vulnerabilities introduced.
    pub introduced: usize,
    /// Vulnerabilities of installed environments the baseline does not show.
    pub not_in_baseline: usize,
    /// Packages whose versions changed.
    pub versions_changed: usize,
    /// Packages added.
    pub packages_added: usize,
    /// Packages removed.
    pub packages_removed: usize,
    /// Targeted advisories.
    pub targeted: usize,
    /// Of which fixed.
    pub targeted_fixed: usize,
    /// Of which remaining.
    pub targeted_remaining: usize,
    /// Of which unconfirmed or not in the baseline.
    pub targeted_unjudged: usize,
}

/// One service compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceVerification {
    /// Its name.
    pub name: String,
    /// `declared` (manifests) or `installed` (an environment).
    pub kind: ServiceKind,
    /// `compared` (in both), `missing` (in the baseline only), `new` (now only), or
    /// `installed` (an environment, compared with the whole baseline).
    pub presence: Presence,
    /// In the baseline, gone now.
    pub fixed: Vec<VulnerabilityChange>,
    /// In the baseline and now.
    pub remaining: Vec<VulnerabilityChange>,
    /// In the baseline, not found now, but not checked now.
    pub unconfirmed: Vec<VulnerabilityChange>,
    /// Now, not in the baseline.
    pub introduced: Vec<VulnerabilityChange>,
    /// Installed environments: now, and nowhere in the baseline.
    pub not_in_baseline: Vec<VulnerabilityChange>,
    /// Package versions changed, added, removed.
    pub versions: Versions,
}

/// Whether a service is in both scans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// In the baseline and now.
    Compared,
    /// In the baseline, not now.
    Missing,
    /// Now, not in the baseline.
    New,
    /// An installed environment.
    Installed,
}

/// One vulnerability of one package, before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VulnerabilityChange {
    /// Ecosystem (OSV name).
    pub ecosystem: String,
    /// Package.
    pub package: String,
    /// Primary id.
    pub advisory: String,
    /// Every other id (from both scans).
    pub aliases: Vec<String>,
    /// The package's versions in the baseline (empty: absent).
    pub from: Vec<String>,
    /// The package's versions now (empty: absent).
    pub to: Vec<String>,
    /// Where it is declared now (or was, when gone).
    pub locations: Vec<String>,
    /// Why it is unconfirmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Package version changes of one service.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Versions {
    /// Whether every package of both scans is known (a baseline saved without
    /// `--list-packages` only names some: then additions are not known).
    pub complete: bool,
    /// Packages in both with other versions.
    pub changed: Vec<VersionChange>,
    /// Packages now only.
    pub added: Vec<VersionChange>,
    /// Packages in the baseline only.
    pub removed: Vec<VersionChange>,
}

/// One package's versions before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VersionChange {
    /// Ecosystem (OSV name).
    pub ecosystem: String,
    /// Package.
    pub package: String,
    /// Versions in the baseline.
    pub from: Vec<String>,
    /// Versions now.
    pub to: Vec<String>,
}

/// What could not be checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Completeness {
    /// Whether nothing stands in the way of a conclusion.
    pub complete: bool,
    /// Problems with the current scan as a whole (files that could not be read,
    /// data too old).
    pub errors: Vec<String>,
    /// Problems with the baseline scan as a whole.
    pub baseline_errors: Vec<String>,
    /// Services of the baseline that the current scan does not have.
    pub missing_services: Vec<String>,
    /// Files of a service that could not be read or are not read now.
    pub unread: Vec<UnreadFile>,
    /// Packages and findings the current scan could not judge.
    pub unjudged: Vec<UnjudgedItem>,
}

/// A file not read now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnreadFile {
    /// The service.
    pub service: String,
    /// `file: why`.
    pub file: String,
    /// Whether the baseline could not read it either (then it does not make the
    /// verification incomplete: the change cannot have hidden anything there that
    /// the baseline saw).
    pub in_baseline: bool,
}

/// A package or finding not judged now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnjudgedItem {
    /// The service.
    pub service: String,
    /// What and why.
    #[serde(flatten)]
    pub item: Unjudged,
    /// Whether the baseline had the same (same kind, package, version and
    /// advisory): then it does not make the verification incomplete.
    pub in_baseline: bool,
}

impl Verification {
    /// The exit status: 0 verified, 1 a targeted advisory remains, 2 cannot judge,
    /// 3 a vulnerability introduced.
    pub fn exit_code(&self) -> u8 {
        self.outcome.exit_code
    }
}

/// Compares `current` with `baseline` as `request` asks.
pub fn compare(baseline: &Snapshot, current: &Snapshot, request: &Request) -> Verification {
    let mut services = Vec::new();
    let names: BTreeSet<&String> = baseline
        .services
        .keys()
        .chain(current.services.keys())
        .collect();
    for name in names {
        let before = baseline.services.get(name);
        let after = current.services.get(name);
        services.push(match (before, after) {
            (_, Some(now)) if now.kind == ServiceKind::Installed => installed(name, now, baseline),
            (Some(b), now) => service(name, b, now, current),
            (None, Some(now)) => {
                // Everything of a new service is added.
                let none = ServiceState {
                    packages_listed: true,
                    ..ServiceState::default()
                };
                service(name, &none, Some(now), current).with_presence(Presence::New)
            }
            (None, None) => continue,
        });
    }
    let completeness = completeness(baseline, current);
    let targeted = targets(baseline, current, &services, &request.advisories);
    let totals = totals(&services, &targeted);
    let outcome = outcome(&totals, &targeted, &completeness);
    let mut v = Verification {
        schema: SCHEMA,
        tool_version: env!("CARGO_PKG_VERSION"),
        verified_at: request.verified_at.clone(),
        baseline: request.baseline.clone(),
        current: request.current.clone(),
        database: request.database.clone(),
        outcome,
        targeted,
        totals,
        services,
        completeness,
        sha256: String::new(),
    };
    v.sha256 = render::seal(&v);
    v
}

impl ServiceVerification {
    fn with_presence(mut self, presence: Presence) -> ServiceVerification {
        self.presence = presence;
        self
    }
}

/// The versions of `package` (ecosystem and normalised name) in `svc`.
fn versions_of(svc: &ServiceState, ecosystem: &str, package: &str) -> Vec<String> {
    let key = package_key(ecosystem, package);
    svc.packages
        .iter()
        .filter(|p| p.ecosystem == ecosystem && package_key(&p.ecosystem, &p.name) == key)
        .map(|p| p.version.clone())
        .collect()
}

/// The vulnerability of `list` that is `v` (same package, an id in common).
fn find<'a>(list: &'a [Vulnerability], v: &Vulnerability) -> Option<&'a Vulnerability> {
    list.iter()
        .find(|c| c.same_package(&v.ecosystem, &v.package) && same_vulnerability(&c.ids, &v.ids))
}

/// A row for `v`, with the package's versions before and after.
fn change(
    v: &Vulnerability,
    other: Option<&Vulnerability>,
    before: &ServiceState,
    after: Option<&ServiceState>,
    shown: &Vulnerability,
) -> VulnerabilityChange {
    let mut ids = v.ids.clone();
    if let Some(o) = other {
        ids.extend(o.ids.iter().cloned());
    }
    ids.remove(&v.advisory);
    VulnerabilityChange {
        ecosystem: v.ecosystem.clone(),
        package: v.package.clone(),
        advisory: v.advisory.clone(),
        aliases: ids.into_iter().collect(),
        from: versions_of(before, &v.ecosystem, &v.package),
        to: after
            .map(|a| versions_of(a, &v.ecosystem, &v.package))
            .unwrap_or_default(),
        locations: shown.locations.iter().cloned().collect(),
        reason: None,
    }
}

/// One declared service: its baseline `before`, and `after` when it is still there.
fn service(
    name: &str,
    before: &ServiceState,
    after: Option<&ServiceState>,
    current: &Snapshot,
) -> ServiceVerification {
    let mut out = ServiceVerification {
        name: name.to_owned(),
        kind: ServiceKind::Declared,
        presence: if after.is_some() {
            Presence::Compared
        } else {
            Presence::Missing
        },
        fixed: Vec::new(),
        remaining: Vec::new(),
        unconfirmed: Vec::new(),
        introduced: Vec::new(),
        not_in_baseline: Vec::new(),
        versions: Versions::default(),
    };
    let empty = ServiceState::default();
    let now = after.unwrap_or(&empty);
    for v in &before.vulnerabilities {
        match find(&now.vulnerabilities, v) {
            Some(c) => out.remaining.push(change(v, Some(c), before, after, c)),
            None => {
                let mut row = change(v, None, before, after, v);
                match unconfirmed(name, v, after, current) {
                    Some(reason) => {
                        row.reason = Some(reason);
                        out.unconfirmed.push(row);
                    }
                    None => out.fixed.push(row),
                }
            }
        }
    }
    for c in &now.vulnerabilities {
        if find(&before.vulnerabilities, c).is_none() {
            out.introduced.push(change(c, None, before, after, c));
        }
    }
    if let Some(after) = after {
        out.versions = versions(before, after);
    }
    out
}

/// Why `v`, not found now in service `name`, cannot be said fixed; `None` when it
/// can.
fn unconfirmed(
    name: &str,
    v: &Vulnerability,
    after: Option<&ServiceState>,
    current: &Snapshot,
) -> Option<String> {
    let Some(after) = after else {
        return Some(format!("service {name} is not in the current scan"));
    };
    if let Some(e) = current.errors.first() {
        return Some(format!("the current scan is incomplete ({e})"));
    }
    if let Some(u) = after.unread.first() {
        return Some(format!("a file of the service was not read now ({u})"));
    }
    after.unjudged_reason(&v.ecosystem, &v.package, &v.ids)
}

/// An installed environment, compared with the whole baseline fleet.
fn installed(name: &str, now: &ServiceState, baseline: &Snapshot) -> ServiceVerification {
    let empty = ServiceState::default();
    let mut out = ServiceVerification {
        name: name.to_owned(),
        kind: ServiceKind::Installed,
        presence: Presence::Installed,
        fixed: Vec::new(),
        remaining: Vec::new(),
        unconfirmed: Vec::new(),
        introduced: Vec::new(),
        not_in_baseline: Vec::new(),
        versions: Versions {
            complete: true,
            ..Versions::default()
        },
    };
    for c in &now.vulnerabilities {
        let known = baseline
            .services
            .values()
            .find_map(|b| find(&b.vulnerabilities, c));
        let row = change(c, known, &empty, Some(now), c);
        if known.is_some() {
            out.remaining.push(row);
        } else {
            out.not_in_baseline.push(row);
        }
    }
    out
}

/// Package versions before and after, per package (ecosystem and normalised name).
fn versions(before: &ServiceState, after: &ServiceState) -> Versions {
    type Key = (String, String);
    let group = |s: &ServiceState| {
        let mut m: BTreeMap<Key, (String, Vec<String>)> = BTreeMap::new();
        for p in &s.packages {
            let e = m
                .entry((p.ecosystem.clone(), package_key(&p.ecosystem, &p.name)))
                .or_insert_with(|| (p.name.clone(), Vec::new()));
            e.1.push(p.version.clone());
        }
        m
    };
    let (b, a) = (group(before), group(after));
    let mut out = Versions {
        complete: before.packages_listed && after.packages_listed,
        ..Versions::default()
    };
    let keys: BTreeSet<&Key> = b.keys().chain(a.keys()).collect();
    for key in keys {
        let row = |name: &str, from: &[String], to: &[String]| VersionChange {
            ecosystem: key.0.clone(),
            package: name.to_owned(),
            from: from.to_vec(),
            to: to.to_vec(),
        };
        match (b.get(key), a.get(key)) {
            (Some((name, from)), Some((_, to))) if from != to => {
                out.changed.push(row(name, from, to))
            }
            (Some((name, from)), None) if after.packages_listed => {
                out.removed.push(row(name, from, &[]))
            }
            (None, Some((name, to))) if before.packages_listed => {
                out.added.push(row(name, &[], to))
            }
            _ => {}
        }
    }
    out
}

/// What stands in the way of a conclusion.
fn completeness(baseline: &Snapshot, current: &Snapshot) -> Completeness {
    let mut out = Completeness {
        errors: current.errors.clone(),
        baseline_errors: baseline.errors.clone(),
        ..Completeness::default()
    };
    for (name, b) in &baseline.services {
        if b.kind == ServiceKind::Declared && !current.services.contains_key(name) {
            out.missing_services.push(name.clone());
        }
    }
    let empty = ServiceState::default();
    for (name, now) in &current.services {
        let before = baseline.services.get(name).unwrap_or(&empty);
        for file in &now.unread {
            out.unread.push(UnreadFile {
                service: name.clone(),
                file: file.clone(),
                in_baseline: before.unread.contains(file),
            });
        }
        for u in &now.unjudged {
            let in_baseline = before.unjudged.iter().any(|b| {
                b.kind == u.kind
                    && b.ecosystem == u.ecosystem
                    && package_key(&b.ecosystem, &b.package)
                        == package_key(&u.ecosystem, &u.package)
                    && b.version == u.version
                    && (b.ids.is_empty() && u.ids.is_empty() || same_vulnerability(&b.ids, &u.ids))
            });
            out.unjudged.push(UnjudgedItem {
                service: name.clone(),
                item: u.clone(),
                in_baseline,
            });
        }
    }
    out.complete = out.errors.is_empty()
        && out.baseline_errors.is_empty()
        && out.missing_services.is_empty()
        && out.unread.iter().all(|u| u.in_baseline)
        && out.unjudged.iter().all(|u| u.in_baseline);
    out
}

/// A vulnerability across the fleet: its ids and where it is.
struct Group {
    ids: BTreeSet<String>,
    advisory: String,
    services: BTreeSet<String>,
}

/// The baseline's (or a snapshot's) vulnerabilities folded across services and
/// packages by shared ids.
fn groups(snap: &Snapshot) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for (name, svc) in &snap.services {
        for v in &svc.vulnerabilities {
            let mut merged = Group {
                ids: v.ids.clone(),
                advisory: v.advisory.clone(),
                services: BTreeSet::from([name.clone()]),
            };
            // Fold every group it meets (it may join two).
            let mut i = 0;
            while i < out.len() {
                if same_vulnerability(&out[i].ids, &merged.ids) {
                    let g = out.swap_remove(i);
                    merged.ids.extend(g.ids);
                    merged.services.extend(g.services);
                    merged.advisory = merged.advisory.min(g.advisory);
                } else {
                    i += 1;
                }
            }
            out.push(merged);
        }
    }
    out.sort_by(|a, b| a.advisory.cmp(&b.advisory));
    out
}

/// Whether `ids` holds `id`, ignoring case.
fn names(ids: &BTreeSet<String>, id: &str) -> bool {
    ids.iter().any(|i| i.eq_ignore_ascii_case(id))
}

/// The targeted advisories and where each stands.
fn targets(
    baseline: &Snapshot,
    current: &Snapshot,
    services: &[ServiceVerification],
    asked: &[String],
) -> Vec<Target> {
    let before = groups(baseline);
    let now = groups(current);
    // (asked ids, group) pairs; a group asked twice once, with both ids.
    let mut chosen: Vec<(Vec<String>, Group)> = Vec::new();
    if asked.is_empty() {
        chosen = before.into_iter().map(|g| (Vec::new(), g)).collect();
    } else {
        let mut pool_before = before;
        for id in asked {
            if let Some((ids, _)) = chosen.iter_mut().find(|(_, g)| names(&g.ids, id)) {
                if !ids.iter().any(|a| a.eq_ignore_ascii_case(id)) {
                    ids.push(id.clone());
                }
                continue;
            }
            let group = match pool_before.iter().position(|g| names(&g.ids, id)) {
                Some(i) => pool_before.swap_remove(i),
                None => Group {
                    ids: BTreeSet::from([id.clone()]),
                    advisory: id.clone(),
                    services: BTreeSet::new(),
                },
            };
            chosen.push((vec![id.clone()], group));
        }
    }
    chosen
        .into_iter()
        .map(|(asked, g)| target(asked, g, &now, current, services))
        .collect()
}

/// One targeted advisory's status.
fn target(
    asked: Vec<String>,
    g: Group,
    now: &[Group],
    current: &Snapshot,
    services: &[ServiceVerification],
) -> Target {
    let found: Vec<&Group> = now
        .iter()
        .filter(|n| same_vulnerability(&n.ids, &g.ids))
        .collect();
    let mut ids = g.ids.clone();
    let mut current_services = BTreeSet::new();
    for n in &found {
        ids.extend(n.ids.iter().cloned());
        current_services.extend(n.services.iter().cloned());
    }
    let in_baseline = !g.services.is_empty();
    let advisory = if in_baseline {
        g.advisory.clone()
    } else {
        found
            .first()
            .map(|n| n.advisory.clone())
            .unwrap_or(g.advisory.clone())
    };
    let (status, reason) = if !found.is_empty() {
        (TargetStatus::Remaining, None)
    } else if !in_baseline {
        (
            TargetStatus::NotInBaseline,
            Some("neither the baseline nor the current scan shows it: nothing to verify (is the id right?)".to_owned()),
        )
    } else {
        match why_unconfirmed(&g, current, services) {
            Some(r) => (TargetStatus::Unconfirmed, Some(r)),
            None => (TargetStatus::Fixed, None),
        }
    };
    ids.remove(&advisory);
    Target {
        asked,
        advisory,
        aliases: ids.into_iter().collect(),
        status,
        baseline_services: g.services.into_iter().collect(),
        current_services: current_services.into_iter().collect(),
        reason,
    }
}

/// Why the targeted vulnerability `g`, not found now, is not confirmed fixed.
fn why_unconfirmed(
    g: &Group,
    current: &Snapshot,
    services: &[ServiceVerification],
) -> Option<String> {
    for s in services {
        if let Some(row) = s
            .unconfirmed
            .iter()
            .find(|r| names(&g.ids, &r.advisory) || r.aliases.iter().any(|a| names(&g.ids, a)))
        {
            return Some(format!(
                "{} {}: {}",
                s.name,
                row.package,
                row.reason.as_deref().unwrap_or("not checked")
            ));
        }
    }
    for (name, svc) in &current.services {
        if let Some(u) = svc
            .unjudged
            .iter()
            .find(|u| u.kind == UnjudgedKind::Unverifiable && same_vulnerability(&u.ids, &g.ids))
        {
            return Some(format!(
                "{name} {} {}: unverifiable: {}",
                u.package,
                u.version.as_deref().unwrap_or(""),
                u.reason
            ));
        }
    }
    None
}

fn totals(services: &[ServiceVerification], targeted: &[Target]) -> Totals {
    let mut t = Totals {
        services: services.len(),
        targeted: targeted.len(),
        ..Totals::default()
    };
    for s in services {
        t.fixed += s.fixed.len();
        t.remaining += s.remaining.len();
        t.unconfirmed += s.unconfirmed.len();
        t.introduced += s.introduced.len();
        t.not_in_baseline += s.not_in_baseline.len();
        t.versions_changed += s.versions.changed.len();
        t.packages_added += s.versions.added.len();
        t.packages_removed += s.versions.removed.len();
    }
    for x in targeted {
        match x.status {
            TargetStatus::Fixed => t.targeted_fixed += 1,
            TargetStatus::Remaining => t.targeted_remaining += 1,
            TargetStatus::Unconfirmed | TargetStatus::NotInBaseline => t.targeted_unjudged += 1,
        }
    }
    t
}

fn outcome(totals: &Totals, targeted: &[Target], c: &Completeness) -> Outcome {
    let mut reasons = Vec::new();
    if totals.introduced > 0 {
        reasons.push(format!(
            "{} introduced: found now, not in the baseline",
            count(totals.introduced, "vulnerability", "vulnerabilities")
        ));
    }
    for t in targeted {
        match t.status {
            TargetStatus::Remaining => reasons.push(format!(
                "{} remains in {}",
                t.advisory,
                t.current_services.join(", ")
            )),
            TargetStatus::Unconfirmed | TargetStatus::NotInBaseline => reasons.push(format!(
                "{} cannot be confirmed fixed: {}",
                t.advisory,
                t.reason.as_deref().unwrap_or("not checked")
            )),
            TargetStatus::Fixed => {}
        }
    }
    if !c.complete {
        reasons.push(incomplete(c));
    }
    let status = if totals.introduced > 0 {
        Status::Regression
    } else if totals.targeted_remaining > 0 {
        Status::Remaining
    } else if totals.targeted_unjudged > 0 || !c.complete {
        Status::CannotJudge
    } else {
        Status::Verified
    };
    if status == Status::Verified {
        reasons.push(if targeted.is_empty() {
            "the baseline has no vulnerability and none was introduced".to_owned()
        } else {
            format!(
                "{} fixed in every service, nothing introduced",
                count(targeted.len(), "targeted advisory", "targeted advisories")
            )
        });
    }
    Outcome {
        status,
        exit_code: status.exit_code(),
        reasons,
    }
}

/// The sentence saying why the verification is incomplete.
fn incomplete(c: &Completeness) -> String {
    let mut parts = Vec::new();
    if !c.errors.is_empty() {
        parts.push(count(
            c.errors.len(),
            "error in the current scan",
            "errors in the current scan",
        ));
    }
    if !c.baseline_errors.is_empty() {
        parts.push(count(
            c.baseline_errors.len(),
            "error in the baseline scan",
            "errors in the baseline scan",
        ));
    }
    if !c.missing_services.is_empty() {
        parts.push(format!(
            "baseline services missing now: {}",
            c.missing_services.join(", ")
        ));
    }
    let unread = c.unread.iter().filter(|u| !u.in_baseline).count();
    if unread > 0 {
        parts.push(count(unread, "file not read now", "files not read now"));
    }
    let unjudged = c.unjudged.iter().filter(|u| !u.in_baseline).count();
    if unjudged > 0 {
        parts.push(count(
            unjudged,
            "package or finding not judged now",
            "packages or findings not judged now",
        ));
    }
    format!("the verification is incomplete: {}", parts.join("; "))
}

fn count(n: usize, one: &str, many: &str) -> String {
    cverun_scan::render::style::count(n, one, many)
}

#[cfg(test)]
mod tests;
