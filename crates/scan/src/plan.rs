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

use crate::render::headline::Headline;
use crate::render::style::{count, elide, fit_widths, table_line};
use crate::render::{Names, TextOptions};
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
    /// The roots scanned (for naming services in tables; not in JSON).
    #[serde(skip)]
    pub roots: Vec<String>,
    /// The advisory sources (for the summary; not in JSON).
    #[serde(skip)]
    pub sources: usize,
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
        roots: report.roots.clone(),
        sources: report.database.sources.len(),
    }
}

/// The summary a plan table starts with.
pub fn headline(plan: &Plan) -> Headline {
    let names = Names::new(&plan.roots);
    let s = &plan.summary;
    let live: Vec<&PlanItem> = plan.items.iter().filter(|i| !i.suppressed).collect();
    let mut deadlines: Vec<(Level, Timestamp)> = Vec::new();
    for i in &live {
        if !deadlines.iter().any(|(l, _)| *l == i.priority) {
            deadlines.push((i.priority, i.due));
        }
    }
    deadlines.sort();
    let next = live
        .iter()
        .map(|i| (i.due, i.priority))
        .min()
        .map(|(due, level)| {
            let what = live
                .iter()
                .filter(|i| i.due == due)
                .map(|i| format!("{} {} in {}", i.package, i.version, names.show(&i.service)))
                .collect();
            (level, due, what)
        });
    let mut services_hit: Vec<String> = Vec::new();
    for i in &live {
        let n = names.show(&i.service).to_owned();
        if !services_hit.contains(&n) {
            services_hit.push(n);
        }
    }
    let decisions: Vec<String> = s
        .decisions
        .iter()
        .map(|(a, n)| format!("{a} {n}"))
        .collect();
    let first = if plan.items.is_empty() && plan.unverifiable.is_empty() {
        if plan.exit_code() == 0 {
            "Nothing to do: no vulnerable package found.".to_owned()
        } else {
            "No vulnerable package found in what could be checked (see below).".to_owned()
        }
    } else {
        format!(
            "{} to act on in {}: {}{}",
            count(s.items, "package", "packages"),
            count(s.services, "service", "services"),
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
        )
    };
    let mut ecosystems: Vec<String> = plan
        .not_checked
        .iter()
        .map(|p| p.ecosystem.clone())
        .collect();
    ecosystems.sort_unstable();
    ecosystems.dedup();
    Headline {
        first,
        priorities: s.priorities.clone(),
        deadlines,
        next,
        now: plan.scanned_at.parse().ok(),
        services_hit,
        errors: plan.errors,
        not_checked: plan.not_checked.len(),
        ecosystems_not_checked: ecosystems,
        update_hint: false,
        services_not_checked: plan.services_not_checked,
        not_read: 0,
        unverifiable: plan.unverifiable.len(),
        exception_problems: (0, 0),
        suppressed: 0,
        snapshot: (plan.snapshot.clone(), plan.sources),
        freshness: plan.freshness.clone(),
        what: "plan",
    }
}

/// `--top`: keeps the N most urgent rows (the exit status is taken before);
/// `filtered.by_top` counts rows, the other counts findings.
pub fn top(plan: &mut Plan, filter: &crate::filter::Compiled) {
    filter.top(&mut plan.items, &mut plan.filtered);
}

/// The plan as a table for people, [`DEFAULT_WIDTH`](crate::render::style::DEFAULT_WIDTH)
/// wide.
pub fn render(plan: &Plan) -> String {
    render_with(plan, &TextOptions::default())
}

/// The plan as a table for people: the summary, then one row per package (its
/// decision's explanation under it with `explain`), fitted to the width given.
pub fn render_with(plan: &Plan, opts: &TextOptions) -> String {
    let names = Names::new(&plan.roots);
    let width = opts.width();
    let mut out = headline(plan).render(width, true);
    if opts.summary_only {
        return out;
    }
    if !plan.items.is_empty() {
        let _ = writeln!(out);
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
        let rows: Vec<Vec<String>> = plan
            .items
            .iter()
            .map(|i| {
                vec![
                    if i.suppressed {
                        format!("{} (excepted)", i.priority)
                    } else {
                        i.priority.to_string()
                    },
                    names.show(&i.service).to_owned(),
                    i.package.clone(),
                    i.version.clone(),
                    i.decision.action.to_string(),
                    i.decision.target.clone().unwrap_or_else(|| "-".into()),
                    match i.advisories.len() {
                        0 | 1 => i.advisories.join(""),
                        n => format!("{} +{} more", i.advisories[0], n - 1),
                    },
                    {
                        let file = names.file(&i.manifest, &i.service);
                        match i.line {
                            Some(l) => format!("{file}:{l}"),
                            None => file.to_owned(),
                        }
                    },
                ]
            })
            .collect();
        let widths = fit_widths(&headers, &rows, width, 0, &[0, 12, 12, 10, 14, 8, 10, 6]);
        let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        let _ = writeln!(out, "{}", table_line(0, &header, &widths, |_, c| c));
        for (r, i) in rows.iter().zip(&plan.items) {
            let _ = writeln!(out, "{}", table_line(0, r, &widths, |_, c| c));
            if opts.explain && !i.suppressed {
                let _ = writeln!(
                    out,
                    "    {}",
                    elide(&i.decision.explanation, width.saturating_sub(4))
                );
            }
        }
    }
    if !plan.unverifiable.is_empty() {
        let _ = writeln!(out, "\nCheck by hand (the version cannot be judged):");
        for u in &plan.unverifiable {
            let text = format!(
                "{} {} {} {} {}: {}",
                u.priority.map(|l| l.as_str()).unwrap_or("-"),
                names.show(&u.service),
                u.package,
                u.version,
                u.advisory,
                u.reason
            );
            let _ = writeln!(out, "  {}", elide(&text, width.saturating_sub(2)));
        }
    }
    if let Some(f) = &plan.freshness {
        let _ = writeln!(out);
        for a in &f.sources {
            let _ = writeln!(out, "  {}", crate::render::table::source_age(a));
        }
    }
    for line in plan.filtered.lines("findings") {
        let _ = writeln!(out, "{line}");
    }
    out
}
