//! Which change fixes what, per service: the plan `cverun fix` prints and applies.
//!
//! The input is a triaged scan report. The findings to fix are chosen by advisory
//! (any id or alias, any case) or are every vulnerability of the report. Their
//! package versions are grouped per service and location (one lockfile line, one
//! manifest line), and each group gets one change: the package, the version it
//! moves from and to, the advisories it fixes and the ones it leaves.
//!
//! The version chosen by default is the smallest known version that fixes every
//! advisory at hand ([`Target::Smallest`]): the least disruptive change during an
//! emergency, even when another advisory of the package remains (it is listed as
//! left). [`Target::SafeFromAll`] takes the smallest version no known advisory
//! affects. A change is never a downgrade: only versions above the installed one
//! are candidates. What cannot be fixed (no known version fixes the advisory, the
//! finding cannot be judged) is listed apart with the reason, and counts as
//! incomplete.
//!
//! The module is pure: [`needs`] says which upgrades the advisory database must
//! find (`cverun_db::Database::upgrades_fixing`), [`plan`] builds the plan from
//! the report and those answers.

use std::collections::BTreeMap;
use std::sync::Arc;

use cverun_inventory::Relation;
use cverun_osv::{FixGroup, TargetedUpgrade};
use cverun_scan::report::{FindingRecord, Problem, Report};
use cverun_versions::Ecosystem;
use serde::Serialize;

/// The JSON schema name of [`FixPlan`].
pub const SCHEMA: &str = "cverun.fix/1";

/// Which version a change moves to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// The smallest known version that fixes every advisory at hand (others of the
    /// package may remain; they are listed).
    #[default]
    Smallest,
    /// The smallest known version no known advisory of the package affects.
    SafeFromAll,
}

impl Target {
    /// The spelling on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Smallest => "smallest",
            Target::SafeFromAll => "safe-from-all",
        }
    }
}

/// Which findings to fix.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Advisory ids (any id or alias of the vulnerability, any case); empty: every
    /// vulnerability of the report.
    pub advisories: Vec<String>,
}

impl Selection {
    /// Whether `f` is to be fixed.
    pub fn wants(&self, f: &FindingRecord) -> bool {
        self.advisories.is_empty() || self.matching(f).is_some()
    }

    /// The asked id `f` answers to, if any.
    pub fn matching(&self, f: &FindingRecord) -> Option<&str> {
        self.advisories
            .iter()
            .find(|a| {
                f.finding.advisory.eq_ignore_ascii_case(a)
                    || f.finding.aliases.iter().any(|x| x.eq_ignore_ascii_case(a))
                    || f.finding.records.iter().any(|x| x.eq_ignore_ascii_case(a))
            })
            .map(String::as_str)
    }
}

/// One package version at one location with findings to fix: what the advisory
/// database is asked.
#[derive(Clone, Debug)]
pub struct Need {
    /// Service.
    pub service: Arc<str>,
    /// Manifest or lockfile declaring the version (relative to the scan root).
    pub manifest: Arc<str>,
    /// Line of the declaration.
    pub line: Option<u32>,
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Package.
    pub package: String,
    /// Installed version.
    pub version: String,
    /// Direct or transitive.
    pub relation: Relation,
    /// The first dependency path, when transitive.
    pub via: Vec<String>,
    /// Every vulnerability of this package version here (one group per finding's
    /// advisory).
    pub groups: Vec<FixGroup>,
    /// Which of `groups` are to be fixed.
    pub targeted: Vec<bool>,
    /// The package's smallest version safe from every advisory, from the report.
    pub minimal_safe: Option<String>,
    /// Whether reaching it is breaking, from the report.
    pub minimal_safe_breaking: Option<bool>,
    /// The partial upgrade fixing the most, when no version is safe from all.
    pub partial: Option<String>,
}

/// The package versions with findings to fix, in a stable order (service,
/// manifest, line, package, version).
pub fn needs(report: &Report, selection: &Selection) -> Vec<Need> {
    type Key = (Arc<str>, Arc<str>, Option<u32>, String, String, String);
    let mut by: BTreeMap<Key, Vec<&FindingRecord>> = BTreeMap::new();
    for f in &report.findings {
        if !f.is_vulnerability() {
            continue;
        }
        by.entry((
            f.service.clone(),
            f.manifest.clone(),
            f.line,
            f.ecosystem.osv_name().to_owned(),
            f.package.clone(),
            f.version.clone(),
        ))
        .or_default()
        .push(f);
    }
    let mut out = Vec::new();
    for (_, members) in by {
        if !members.iter().any(|f| selection.wants(f)) {
            continue;
        }
        let lead = members[0];
        let mut groups: Vec<FixGroup> = Vec::new();
        let mut targeted: Vec<bool> = Vec::new();
        for f in &members {
            if groups.iter().any(|g| *g.id == *f.finding.advisory) {
                continue;
            }
            groups.push(FixGroup {
                id: f.finding.advisory.to_string(),
                records: f.finding.records.iter().map(|r| r.to_string()).collect(),
            });
            targeted.push(selection.wants(f));
        }
        let fix = members.iter().find_map(|f| f.fix.as_ref());
        out.push(Need {
            service: lead.service.clone(),
            manifest: lead.manifest.clone(),
            line: lead.line,
            ecosystem: lead.ecosystem.clone(),
            package: lead.package.clone(),
            version: lead.version.clone(),
            relation: lead.relation,
            via: lead.paths.first().cloned().unwrap_or_default(),
            groups,
            targeted,
            minimal_safe: fix.and_then(|x| x.options.minimal_safe.clone()),
            minimal_safe_breaking: fix.and_then(|x| x.options.breaking),
            partial: fix.and_then(|x| x.options.partial.as_ref().map(|p| p.version.clone())),
        });
    }
    out
}

/// What to change, per service.
#[derive(Clone, Debug, Serialize)]
pub struct FixPlan {
    /// `cverun.fix/1`.
    pub schema: &'static str,
    /// When the scan ran.
    pub scanned_at: String,
    /// The advisory database snapshot id.
    pub snapshot: String,
    /// Which version changes move to.
    pub target: Target,
    /// The advisories asked (empty: every vulnerability found).
    pub advisories: Vec<String>,
    /// Counts.
    pub summary: Summary,
    /// The changes, per service (services without a change are not listed).
    pub services: Vec<ServiceFix>,
    /// Findings to fix for which no change can be named, and why.
    pub not_fixable: Vec<NotFixable>,
    /// Findings of the advisories asked that cannot be judged (check by hand).
    pub unverifiable: Vec<NotFixable>,
    /// Advisories asked that no service was found to have (with a complete scan,
    /// nothing to fix for them; with errors, unknown).
    pub not_found: Vec<String>,
    /// Files that could not be read: the plan is incomplete when not empty.
    pub errors: Vec<Problem>,
    /// Packages of ecosystems without advisory data, per service: what they need
    /// cannot be said.
    pub not_checked: usize,
    /// The decision the plan points to: `hotfix` when every change is complete
    /// and non-breaking, `hotfix-code-changes` when a change crosses a major
    /// version, `workaround` when something has no fix; `None` without changes
    /// or findings.
    pub proposed_decision: Option<&'static str>,
}

/// Counts of a plan.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    /// Services with at least one change.
    pub services: usize,
    /// Changes.
    pub changes: usize,
    /// Changes that are breaking upgrades (or of unknown kind).
    pub breaking: usize,
    /// Findings without a fix.
    pub not_fixable: usize,
    /// Findings that cannot be judged.
    pub unverifiable: usize,
}

/// The changes of one service.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceFix {
    /// Service.
    pub service: Arc<str>,
    /// Its directory, relative to the scan root.
    pub path: String,
    /// Its directory on disk (not in JSON).
    #[serde(skip)]
    pub location: std::path::PathBuf,
    /// Its owner, from cverun.toml.
    pub owner: Option<String>,
    /// The changes.
    pub changes: Vec<Change>,
}

/// One package moved to another version at one location.
#[derive(Clone, Debug, Serialize)]
pub struct Change {
    /// Ecosystem (OSV name).
    pub ecosystem: Ecosystem,
    /// Package.
    pub package: String,
    /// The version installed now.
    pub from: String,
    /// The version to move to.
    pub to: String,
    /// Direct or transitive.
    pub relation: Relation,
    /// The dependency path, when transitive (`a@1 > b@2 > package@from`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub via: Vec<String>,
    /// Manifest or lockfile declaring the version (relative to the scan root).
    pub manifest: Arc<str>,
    /// Its line.
    pub line: Option<u32>,
    /// The advisories it fixes.
    pub fixes: Vec<String>,
    /// The advisories of this version it leaves (still affecting `to`).
    pub leaves: Vec<String>,
    /// Advisories affecting `to` that do not affect `from`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub introduces: Vec<String>,
    /// Whether it is a breaking upgrade (`None`: unknown).
    pub breaking: Option<bool>,
    /// What kind of upgrade it is, when the numbers alone mislead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Change {
    /// The change as a [`crate::Bump`].
    pub fn bump(&self) -> crate::Bump {
        crate::Bump {
            ecosystem: self.ecosystem.clone(),
            name: self.package.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            relation: self.relation,
        }
    }
}

/// A finding of the advisories asked that gets no change.
#[derive(Clone, Debug, Serialize)]
pub struct NotFixable {
    /// Service.
    pub service: Arc<str>,
    /// Ecosystem (OSV name).
    pub ecosystem: String,
    /// Package.
    pub package: String,
    /// Installed version.
    pub version: String,
    /// Manifest or lockfile.
    pub manifest: Arc<str>,
    /// Line.
    pub line: Option<u32>,
    /// The advisories concerned.
    pub advisories: Vec<String>,
    /// Why no change is named.
    pub reason: String,
}

/// Builds the plan from the report, the needs of [`needs`] and the database's
/// answer to each (`upgrades[i]` for `needs[i]`; only read for
/// [`Target::Smallest`]).
pub fn plan(
    report: &Report,
    selection: &Selection,
    target: Target,
    needs: &[Need],
    upgrades: &[Option<TargetedUpgrade>],
) -> FixPlan {
    let mut services: BTreeMap<Arc<str>, Vec<Change>> = BTreeMap::new();
    let mut not_fixable = Vec::new();
    for (i, need) in needs.iter().enumerate() {
        let asked: Vec<String> = need
            .groups
            .iter()
            .zip(&need.targeted)
            .filter(|(_, t)| **t)
            .map(|(g, _)| g.id.clone())
            .collect();
        let unfixable = |reason: String| NotFixable {
            service: need.service.clone(),
            ecosystem: need.ecosystem.osv_name().to_owned(),
            package: need.package.clone(),
            version: need.version.clone(),
            manifest: need.manifest.clone(),
            line: need.line,
            advisories: asked.clone(),
            reason,
        };
        let change = match target {
            Target::Smallest => match upgrades.get(i).cloned().flatten() {
                Some(u) => Some(Change {
                    ecosystem: need.ecosystem.clone(),
                    package: need.package.clone(),
                    from: need.version.clone(),
                    to: u.version,
                    relation: need.relation,
                    via: need.via.clone(),
                    manifest: need.manifest.clone(),
                    line: need.line,
                    fixes: u.fixes,
                    leaves: u.leaves,
                    introduces: u.introduces,
                    breaking: u.breaking,
                    note: u.note,
                }),
                None => {
                    not_fixable.push(unfixable(
                        "no known version above the installed one fixes it".to_owned(),
                    ));
                    None
                }
            },
            Target::SafeFromAll => match &need.minimal_safe {
                Some(v) => Some(Change {
                    ecosystem: need.ecosystem.clone(),
                    package: need.package.clone(),
                    from: need.version.clone(),
                    to: v.clone(),
                    relation: need.relation,
                    via: need.via.clone(),
                    manifest: need.manifest.clone(),
                    line: need.line,
                    fixes: need.groups.iter().map(|g| g.id.clone()).collect(),
                    leaves: Vec::new(),
                    introduces: Vec::new(),
                    breaking: need.minimal_safe_breaking,
                    note: None,
                }),
                None => {
                    not_fixable.push(unfixable(match &need.partial {
                        Some(p) => format!(
                            "no known version is safe from every advisory of the package ({p} fixes some: try --target smallest)"
                        ),
                        None => "no known version is safe from every advisory of the package"
                            .to_owned(),
                    }));
                    None
                }
            },
        };
        if let Some(c) = change {
            // Never a downgrade: the database only names versions above the
            // installed one; a version equal to it would be no change at all.
            if c.to != c.from {
                services.entry(need.service.clone()).or_default().push(c);
            }
        }
    }

    let mut unverifiable = Vec::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.finding.unverifiable.is_some())
    {
        if selection.wants(f) {
            unverifiable.push(NotFixable {
                service: f.service.clone(),
                ecosystem: f.ecosystem.osv_name().to_owned(),
                package: f.package.clone(),
                version: f.version.clone(),
                manifest: f.manifest.clone(),
                line: f.line,
                advisories: vec![f.finding.advisory.to_string()],
                reason: f.finding.unverifiable.clone().unwrap_or_default(),
            });
        }
    }

    let not_found: Vec<String> = selection
        .advisories
        .iter()
        .filter(|a| {
            !report.findings.iter().chain(&report.suppressed).any(|f| {
                Selection {
                    advisories: vec![(*a).clone()],
                }
                .matching(f)
                .is_some()
            })
        })
        .cloned()
        .collect();

    let services: Vec<ServiceFix> = services
        .into_iter()
        .map(|(name, changes)| {
            let s = report.services.iter().find(|s| s.name == name);
            ServiceFix {
                path: s.map(|s| s.path.clone()).unwrap_or_default(),
                location: s.map(|s| s.location.clone()).unwrap_or_default(),
                owner: s.and_then(|s| s.owner.clone()),
                service: name,
                changes,
            }
        })
        .collect();
    let changes: Vec<&Change> = services.iter().flat_map(|s| &s.changes).collect();
    let summary = Summary {
        services: services.len(),
        changes: changes.len(),
        breaking: changes.iter().filter(|c| c.breaking != Some(false)).count(),
        not_fixable: not_fixable.len(),
        unverifiable: unverifiable.len(),
    };
    let proposed_decision = if !not_fixable.is_empty() {
        Some("workaround")
    } else if summary.breaking > 0 {
        Some("hotfix-code-changes")
    } else if summary.changes > 0 {
        Some("hotfix")
    } else {
        None
    };
    FixPlan {
        schema: SCHEMA,
        scanned_at: report.scanned_at.clone(),
        snapshot: report.database.id.clone(),
        target,
        advisories: selection.advisories.clone(),
        summary,
        services,
        not_fixable,
        unverifiable,
        not_found,
        errors: report.errors.clone(),
        not_checked: report.not_checked.len(),
        proposed_decision,
    }
}

impl FixPlan {
    /// Whether the plan names everything there is to do: no unreadable file, no
    /// finding without a fix or that cannot be judged, no package left unchecked.
    pub fn complete(&self) -> bool {
        self.errors.is_empty()
            && self.not_fixable.is_empty()
            && self.unverifiable.is_empty()
            && self.not_checked == 0
    }

    /// Every change, with its service.
    pub fn changes(&self) -> impl Iterator<Item = (&ServiceFix, &Change)> {
        self.services
            .iter()
            .flat_map(|s| s.changes.iter().map(move |c| (s, c)))
    }
}
