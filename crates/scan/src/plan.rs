//! The remediation plan: one row per vulnerable package in each service.
//!
//! A scan reports one finding per advisory and location; a plan folds the findings
//! of one package version at one location into one row, because the fix is per
//! package: the minimal safe version clears every advisory of the package at once.
//! A row carries the most urgent priority among its advisories (and that one's
//! deadline), the fix options and the runbook's decision. A row whose advisories are
//! all suppressed by exceptions in force stays in the plan, marked suppressed, with
//! the decision the exception leads to (WORKAROUND + EXCEPTION when no patch
//! exists). Unverifiable findings are listed apart: they need a person to check the
//! version by hand.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use cverun_triage::decision::{Action, Decision};
use cverun_triage::policy::Level;
use jiff::Timestamp;
use serde::Serialize;

use crate::report::{ByLevel, FindingRecord, Report};

/// The JSON schema name of [`Plan`].
pub const SCHEMA: &str = "cverun.plan/1";

/// What to do, per service and package.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// `cverun.plan/1`.
    pub schema: &'static str,
    /// When the scan ran.
    pub scanned_at: String,
    /// The advisory database snapshot id.
    pub snapshot: String,
    /// Counts.
    pub summary: PlanSummary,
    /// One row per vulnerable package version per location, most urgent first.
    pub items: Vec<PlanItem>,
    /// Findings that cannot be judged: check these by hand.
    pub unverifiable: Vec<Unverifiable>,
    /// Files that could not be read (the plan is incomplete when not empty).
    pub errors: usize,
    /// Packages not checked (no advisory data for their ecosystem): what to do
    /// about them cannot be said.
    pub not_checked: Vec<crate::report::PackageRecord>,
    /// Services of which nothing could be checked.
    pub services_not_checked: usize,
    /// How current the advisory data is.
    pub freshness: Option<cverun_db::Freshness>,
    /// What the filters left out (docs/filters.md): counts of findings (advisory
    /// and location) hidden before rows were built, and `by_top` the rows left
    /// out by `--top`.
    pub filtered: crate::filter::Filtered,
}

impl Plan {
    /// 2 when the plan is incomplete or the advisory data older than an enforced
    /// maximum age; 1 when a row or an unverifiable finding is not covered by an
    /// exception, or something could not be checked; else 0.
    pub fn exit_code(&self) -> u8 {
        let too_old = self
            .freshness
            .as_ref()
            .is_some_and(|f| f.enforced && !f.stale.is_empty());
        if self.errors > 0 || too_old {
            return 2;
        }
        u8::from(
            self.items.iter().any(|i| !i.suppressed)
                || !self.unverifiable.is_empty()
                || !self.not_checked.is_empty()
                || self.services_not_checked > 0,
        )
    }
}

/// Counts of a plan.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PlanSummary {
    /// Rows.
    pub items: usize,
    /// Services with at least one row.
    pub services: usize,
    /// Rows per decision (suppressed rows included).
    pub decisions: BTreeMap<Action, usize>,
    /// Rows per priority (suppressed rows aside).
    pub priorities: ByLevel,
    /// Rows whose every advisory is suppressed by an exception in force.
    pub suppressed: usize,
}

/// One vulnerable package version at one location.
#[derive(Clone, Debug, Serialize)]
pub struct PlanItem {
    /// Service.
    pub service: Arc<str>,
    /// Its owner, from cverun.toml.
    pub owner: Option<String>,
    /// Ecosystem (OSV name).
    pub ecosystem: String,
    /// Package.
    pub package: String,
    /// Installed version.
    pub version: String,
    /// Manifest declaring it.
    pub manifest: Arc<str>,
    /// Line.
    pub line: Option<u32>,
    /// `direct` or `transitive`.
    pub relation: cverun_inventory::Relation,
    /// The first dependency path (from a direct dependency), when transitive.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// The most urgent priority of its advisories.
    pub priority: Level,
    /// That priority's deadline.
    pub due: Timestamp,
    /// Its advisories (primary ids), most urgent first.
    pub advisories: Vec<String>,
    /// The smallest version no known advisory affects.
    pub minimal_safe: Option<String>,
    /// Whether reaching it crosses a major version.
    pub breaking: Option<bool>,
    /// The newest earlier version no known advisory affects.
    pub rollback: Option<String>,
    /// The runbook's decision.
    pub decision: Decision,
    /// Every advisory is covered by an exception in force.
    pub suppressed: bool,
}

/// A finding that cannot be judged.
#[derive(Clone, Debug, Serialize)]
pub struct Unverifiable {
    /// Service.
    pub service: Arc<str>,
    /// Package.
    pub package: String,
    /// Version.
    pub version: String,
    /// Advisory.
    pub advisory: String,
    /// Its priority if affected.
    pub priority: Option<Level>,
    /// Why it cannot be judged.
    pub reason: String,
    /// Where.
    pub manifest: Arc<str>,
    /// Line.
    pub line: Option<u32>,
}

/// Builds the plan of a triaged report.
pub fn plan(report: &Report) -> Plan {
    type Key = (Arc<str>, Arc<str>, Option<u32>, String, String, String);
    let owners: BTreeMap<&str, Option<String>> = report
        .services
        .iter()
        .map(|s| (&*s.name, s.owner.clone()))
        .collect();
    let mut groups: BTreeMap<Key, Vec<(&FindingRecord, bool)>> = BTreeMap::new();
    let records = report
        .findings
        .iter()
        .map(|f| (f, false))
        .chain(report.suppressed.iter().map(|f| (f, true)));
    let mut unverifiable = Vec::new();
    for (f, suppressed) in records {
        if f.finding.unverifiable.is_some() {
            if !suppressed {
                unverifiable.push(Unverifiable {
                    service: f.service.clone(),
                    package: f.package.clone(),
                    version: f.version.clone(),
                    advisory: f.finding.advisory.to_string(),
                    priority: f.priority.as_ref().map(|p| p.level),
                    reason: f.finding.unverifiable.clone().unwrap_or_default(),
                    manifest: f.manifest.clone(),
                    line: f.line,
                });
            }
            continue;
        }
        if !f.is_vulnerability() || f.priority.is_none() || f.fix.is_none() {
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
    let mut items: Vec<PlanItem> = Vec::with_capacity(groups.len());
    for ((service, manifest, line, ecosystem, package, version), mut members) in groups {
        // Most urgent first; unsuppressed before suppressed at equal urgency.
        members.sort_by_key(|(f, s)| (f.priority.as_ref().map(|p| p.level), *s));
        let all_suppressed = members.iter().all(|(_, s)| *s);
        let (lead, _) = members[0];
        // The decision that holds for the package: the plain one unless every
        // advisory is covered by an exception in force.
        // A partial upgrade is the package's decision (it lists the advisories it
        // leaves), even when one of those is the most urgent.
        let decider = members
            .iter()
            .find(|(f, s)| {
                !*s && f
                    .fix
                    .as_ref()
                    .is_some_and(|x| !x.decision.unfixed.is_empty())
            })
            .or_else(|| members.iter().find(|(_, s)| !*s))
            .unwrap_or(&members[0])
            .0;
        let (Some(priority), Some(fix)) = (&lead.priority, &decider.fix) else {
            continue;
        };
        let mut advisories: Vec<String> = Vec::new();
        for (f, _) in &members {
            let id = f.finding.advisory.to_string();
            if !advisories.contains(&id) {
                advisories.push(id);
            }
        }
        items.push(PlanItem {
            owner: owners.get(&*service).cloned().flatten(),
            service,
            ecosystem,
            package,
            version,
            manifest,
            line,
            relation: lead.relation,
            path: lead.paths.first().cloned().unwrap_or_default(),
            priority: priority.level,
            due: priority.due,
            advisories,
            minimal_safe: fix.options.minimal_safe.clone(),
            breaking: fix.options.breaking,
            rollback: fix.options.rollback.clone(),
            decision: fix.decision.clone(),
            suppressed: all_suppressed,
        });
    }
    items.sort_by(|a, b| {
        (a.suppressed, a.priority, &a.service, &a.package).cmp(&(
            b.suppressed,
            b.priority,
            &b.service,
            &b.package,
        ))
    });
    let mut summary = PlanSummary {
        items: items.len(),
        ..PlanSummary::default()
    };
    let mut services: Vec<&str> = items.iter().map(|i| &*i.service).collect();
    services.sort_unstable();
    services.dedup();
    summary.services = services.len();
    for i in &items {
        *summary.decisions.entry(i.decision.action).or_default() += 1;
        if i.suppressed {
            summary.suppressed += 1;
        } else {
            summary.priorities.add(i.priority);
        }
    }
    Plan {
        schema: SCHEMA,
        scanned_at: report.scanned_at.clone(),
        snapshot: report.database.id.clone(),
        summary,
        items,
        unverifiable,
        errors: report.errors.len(),
        not_checked: report.not_checked.clone(),
        services_not_checked: report.summary.services_not_checked,
        freshness: report.freshness.clone(),
        filtered: report.filtered.clone(),
    }
}

/// `--top`: keeps the N most urgent rows (the exit status is taken before);
/// `filtered.by_top` counts rows, the other counts findings.
pub fn top(plan: &mut Plan, filter: &crate::filter::Compiled) {
    filter.top(&mut plan.items, &mut plan.filtered);
}

/// The plan as a table for people.
pub fn render(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.items.is_empty() && plan.unverifiable.is_empty() {
        if plan.exit_code() == 0 {
            let _ = writeln!(out, "Nothing to do: no vulnerable package found.");
        } else {
            let _ = writeln!(
                out,
                "No vulnerable package found in what could be checked (see below)."
            );
        }
    }
    if !plan.items.is_empty() {
        let headers = [
            "PRIORITY",
            "SERVICE",
            "PACKAGE",
            "INSTALLED",
            "DECISION",
            "TO",
            "ADVISORIES",
            "WHERE",
        ];
        let rows: Vec<[String; 8]> = plan
            .items
            .iter()
            .map(|i| {
                [
                    if i.suppressed {
                        format!("{} (excepted)", i.priority)
                    } else {
                        i.priority.to_string()
                    },
                    i.service.to_string(),
                    i.package.clone(),
                    i.version.clone(),
                    i.decision.action.to_string(),
                    i.decision.target.clone().unwrap_or_else(|| "-".into()),
                    i.advisories.join(", "),
                    match i.line {
                        Some(l) => format!("{}:{l}", i.manifest),
                        None => i.manifest.to_string(),
                    },
                ]
            })
            .collect();
        let mut width = headers.map(str::len);
        for r in &rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut l = String::new();
            for (c, w) in cells.iter().zip(width) {
                let _ = write!(l, "{c:<w$}  ");
            }
            l.trim_end().to_owned()
        };
        let _ = writeln!(out, "{}", line(&headers.map(str::to_owned)));
        for r in &rows {
            let _ = writeln!(out, "{}", line(r));
        }
        let _ = writeln!(out);
        for i in plan.items.iter().filter(|i| !i.suppressed) {
            let _ = writeln!(
                out,
                "{} {} {} {}: {}",
                i.priority, i.service, i.package, i.version, i.decision.explanation
            );
        }
    }
    if !plan.unverifiable.is_empty() {
        let _ = writeln!(out, "\nCheck by hand (the version cannot be judged):");
        for u in &plan.unverifiable {
            let _ = writeln!(
                out,
                "  {} {} {} {} {}: {}",
                u.priority.map(|l| l.as_str()).unwrap_or("-"),
                u.service,
                u.package,
                u.version,
                u.advisory,
                u.reason
            );
        }
    }
    let s = &plan.summary;
    let decisions: Vec<String> = s
        .decisions
        .iter()
        .map(|(a, n)| format!("{a} {n}"))
        .collect();
    let _ = writeln!(
        out,
        "\n{} package{} to act on in {} service{}: {}{}",
        s.items,
        if s.items == 1 { "" } else { "s" },
        s.services,
        if s.services == 1 { "" } else { "s" },
        if decisions.is_empty() {
            "none".to_owned()
        } else {
            decisions.join(" · ")
        },
        if s.suppressed > 0 {
            format!(" ({} covered by exceptions)", s.suppressed)
        } else {
            String::new()
        }
    );
    if plan.errors > 0 {
        let _ = writeln!(
            out,
            "{} error{} (files or directories that could not be read or held nothing to check): this plan is incomplete",
            plan.errors,
            if plan.errors == 1 { "" } else { "s" }
        );
    }
    if !plan.not_checked.is_empty() {
        let mut ecosystems: Vec<&str> = plan
            .not_checked
            .iter()
            .map(|p| p.ecosystem.as_str())
            .collect();
        ecosystems.sort_unstable();
        ecosystems.dedup();
        let _ = writeln!(
            out,
            "{} package{} NOT CHECKED: no advisory data for {} in this database",
            plan.not_checked.len(),
            if plan.not_checked.len() == 1 { "" } else { "s" },
            ecosystems.join(", ")
        );
    }
    if plan.services_not_checked > 0 {
        let _ = writeln!(
            out,
            "{} service{} with nothing checked",
            plan.services_not_checked,
            if plan.services_not_checked == 1 {
                ""
            } else {
                "s"
            }
        );
    }
    if let Some(f) = &plan.freshness {
        crate::render::table::write_freshness(&mut out, f, false);
    }
    for line in plan.filtered.lines("findings") {
        let _ = writeln!(out, "{line}");
    }
    out
}
