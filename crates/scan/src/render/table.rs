//! The human report: the summary first ([`super::headline`]), then one block per
//! service with something to say, one row per vulnerable package (its advisories
//! folded: [`crate::report::group_packages`]), fitted to the width given.
//!
//! Styled with `anstyle`; the caller prints through a stream that drops the styles
//! when the output is not a terminal or `NO_COLOR` is set.

use std::fmt::Write as _;

use anstyle::Style;
use cverun_triage::policy::Level;

use crate::report::{FindingRecord, PackageGroup, PackageRecord, Report, ServiceReport};

use super::headline::Headline;
use super::style::{
    BOLD, CYAN, DIM, GREEN, RED, YELLOW, count, elide, fit_list, fit_widths, paint, table_line,
};
use super::{Names, TextOptions};

/// How many aliases are shown before `+N`.
const ALIASES_SHOWN: usize = 2;

/// Renders the report for people, [`DEFAULT_WIDTH`](super::style::DEFAULT_WIDTH)
/// wide.
pub fn render(report: &Report) -> String {
    render_with(report, &TextOptions::default())
}

/// The summary a report starts with ([`super::headline`]).
pub fn headline(report: &Report, names: &Names) -> Headline {
    let s = &report.summary;
    let groups = &report.packages_affected;
    let mut deadlines: Vec<(Level, jiff::Timestamp)> = Vec::new();
    for g in groups {
        if !deadlines.iter().any(|(l, _)| *l == g.priority) {
            deadlines.push((g.priority, g.due));
        }
    }
    deadlines.sort();
    let next = groups
        .iter()
        .map(|g| (g.due, g.priority))
        .min()
        .map(|(due, level)| {
            let what: Vec<String> = groups
                .iter()
                .filter(|g| g.due == due)
                .map(|g| format!("{} {} in {}", g.package, g.version, names.show(&g.service)))
                .collect();
            (level, due, what)
        });
    let mut services_hit: Vec<String> = Vec::new();
    for g in groups {
        let n = names.show(&g.service).to_owned();
        if !services_hit.contains(&n) {
            services_hit.push(n);
        }
    }
    Headline {
        first: first_line(report, services_hit.len()),
        priorities: s.package_priorities.clone(),
        deadlines,
        next,
        now: report.scanned_at.parse().ok(),
        services_hit,
        errors: s.errors,
        not_checked: s.not_checked,
        ecosystems_not_checked: s.ecosystems_not_checked.clone(),
        update_hint: true,
        services_not_checked: s.services_not_checked,
        not_read: s.not_read,
        unverifiable: s.unverifiable,
        exception_problems: (report.exception_problems.len(), s.exception_errors),
        suppressed: s.suppressed,
        snapshot: (report.database.id.clone(), report.database.sources.len()),
        freshness: report.freshness.clone(),
        what: "scan",
    }
}

/// Renders the report for people: the summary first, then one block per service
/// with something to say (most urgent first), one row per vulnerable package; then
/// the problems and the advisory data in detail.
pub fn render_with(report: &Report, opts: &TextOptions) -> String {
    let names = Names::new(&report.roots);
    let width = opts.width();
    let mut out = headline(report, &names).render(width, true);
    if opts.summary_only {
        return out;
    }
    let findings = by_service(&report.findings, |f| &f.service);
    let groups = by_service(&report.packages_affected, |g| &g.service);
    let unpinned = by_service(&report.unpinned, |p| &p.service);
    let unmatchable = by_service(&report.not_matchable, |p| &p.service);
    let not_checked = by_service(&report.not_checked, |p| &p.service);
    let suppressed = by_service(&report.suppressed, |f| &f.service);
    // The most urgent services first: by their most urgent vulnerability, then name.
    let urgency = |svc: &ServiceReport| {
        groups
            .get(&*svc.name)
            .into_iter()
            .flatten()
            .map(|g| g.priority)
            .min()
    };
    let mut services: Vec<&ServiceReport> = report.services.iter().collect();
    services.sort_by_key(|s| (urgency(s).is_none(), urgency(s)));
    for svc in services {
        let findings = findings.get(&*svc.name).cloned().unwrap_or_default();
        let suppressed = suppressed.get(&*svc.name).cloned().unwrap_or_default();
        let rows = groups.get(&*svc.name).cloned().unwrap_or_default();
        let unpinned = unpinned.get(&*svc.name).cloned().unwrap_or_default();
        let unmatchable = unmatchable.get(&*svc.name).cloned().unwrap_or_default();
        let not_checked = not_checked.get(&*svc.name).cloned().unwrap_or_default();
        let broken = svc.manifests.iter().any(|m| m.error.is_some());
        if findings.is_empty()
            && suppressed.is_empty()
            && unpinned.is_empty()
            && unmatchable.is_empty()
            && not_checked.is_empty()
            && svc.not_read.is_empty()
            && !broken
            && !svc.manifests.is_empty()
        {
            continue;
        }
        let _ = writeln!(out);
        let block = Block {
            svc,
            names: &names,
            width,
        };
        block.write(&mut out, &findings, &rows, &unpinned, &unmatchable);
        list(
            &mut out,
            "NOT CHECKED, no advisory data",
            &not_checked,
            |p| {
                format!(
                    "{} {} ({})",
                    p.package,
                    p.version.as_deref().unwrap_or_default(),
                    p.ecosystem
                )
            },
            width,
        );
        for n in &svc.not_read {
            let _ = writeln!(
                out,
                "  {} {}",
                paint(YELLOW, "not read:"),
                elide(
                    &format!("{}: {}", names.file(&n.path, &svc.path), n.reason),
                    width - 12
                )
            );
        }
        suppressed_block(&mut out, &suppressed, &names, width);
    }
    details(&mut out, report, &names);
    for line in super::filtered::filtered_lines(report) {
        let _ = writeln!(out, "{}", paint(DIM, line));
    }
    out
}

/// Groups records by service name, keeping their order.
pub(crate) fn by_service<T>(
    items: &[T],
    service: impl Fn(&T) -> &std::sync::Arc<str>,
) -> std::collections::HashMap<&str, Vec<&T>> {
    let mut map: std::collections::HashMap<&str, Vec<&T>> = std::collections::HashMap::new();
    for item in items {
        map.entry(&**service(item)).or_default().push(item);
    }
    map
}

/// One service's block.
struct Block<'a> {
    svc: &'a ServiceReport,
    names: &'a Names,
    width: usize,
}

impl Block<'_> {
    fn write(
        &self,
        out: &mut String,
        findings: &[&FindingRecord],
        rows: &[&PackageGroup],
        unpinned: &[&PackageRecord],
        unmatchable: &[&PackageRecord],
    ) {
        let (svc, names, width) = (self.svc, self.names, self.width);
        let shown = names.show(&svc.name);
        let mut meta = Vec::new();
        if svc.path != *svc.name && !svc.path.is_empty() {
            meta.push(names.show(&svc.path).to_owned());
        }
        if let Some(o) = &svc.owner {
            meta.push(format!("owner {o}"));
        }
        if let Some(e) = svc.exposure {
            meta.push(e.as_str().to_owned());
        }
        if let Some(d) = &svc.data {
            meta.push(d.clone());
        }
        if let Some(t) = &svc.tier {
            meta.push(format!("tier {t}"));
        }
        let meta = if meta.is_empty() {
            String::new()
        } else {
            let room = width.saturating_sub(shown.chars().count() + 2).max(10);
            format!("  {}", paint(DIM, elide(&meta.join(" · "), room)))
        };
        let _ = writeln!(out, "{}{meta}", paint(BOLD, elide(shown, width)));
        if svc.manifests.is_empty() {
            let what = if svc.configured {
                "no manifest found for this configured service: nothing checked"
            } else {
                "no manifest cverun reads: nothing checked"
            };
            let _ = writeln!(out, "  {}", paint(YELLOW, what));
        }
        for m in svc.manifests.iter().filter(|m| m.error.is_some()) {
            let _ = writeln!(
                out,
                "  {} {}",
                paint(RED, "unreadable:"),
                elide(m.error.as_deref().unwrap_or_default(), width - 14)
            );
        }
        if !rows.is_empty() {
            self.rows(out, findings, rows);
        }
        for f in findings.iter().filter(|f| f.finding.unverifiable.is_some()) {
            let text = format!(
                "{} {} {} {}: {}  {}",
                priority_label(f),
                f.package,
                f.version,
                advisory_label(f),
                f.finding.unverifiable.as_deref().unwrap_or_default(),
                names.file(&location(f), &svc.path)
            );
            let _ = writeln!(
                out,
                "  {} {}",
                paint(YELLOW, "UNVERIFIABLE"),
                elide(&text, width - 15)
            );
        }
        for f in findings
            .iter()
            .filter(|f| f.finding.informational.is_some() && f.finding.unverifiable.is_none())
        {
            let kind = f
                .finding
                .informational
                .as_deref()
                .unwrap_or_default()
                .to_uppercase();
            let text = format!(
                "{} {} {}{}  {}",
                f.package,
                f.version,
                advisory_label(f),
                f.finding
                    .summary
                    .as_deref()
                    .map(|s| format!(": {s}"))
                    .unwrap_or_default(),
                names.file(&location(f), &svc.path)
            );
            let room = width.saturating_sub(kind.chars().count() + 3);
            let _ = writeln!(out, "  {} {}", paint(CYAN, kind), elide(&text, room));
        }
        list(
            out,
            "unpinned, not matched",
            unpinned,
            |p| match p.specifier.as_deref() {
                Some("") | None => p.package.clone(),
                Some(s) => format!("{} {s}", p.package),
            },
            width,
        );
        list(
            out,
            "not matchable",
            unmatchable,
            |p| format!("{} ({})", p.package, p.reason),
            width,
        );
    }

    /// One row per vulnerable package.
    fn rows(&self, out: &mut String, findings: &[&FindingRecord], rows: &[&PackageGroup]) {
        let lead = |g: &PackageGroup| {
            findings.iter().copied().find(|f| {
                f.package == g.package
                    && f.version == g.version
                    && g.advisories
                        .first()
                        .is_some_and(|a| **a == *f.finding.advisory)
            })
        };
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|g| {
                let f = lead(g);
                vec![
                    f.map_or_else(|| g.priority.to_string(), priority_label),
                    g.package.clone(),
                    g.version.clone(),
                    advisories_cell(g, f),
                    decision_cell(g),
                    urgent_fix_cell(g),
                    g.locations
                        .iter()
                        .map(|l| self.names.file(&l.to_string(), &self.svc.path).to_owned())
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect();
        let headers = [
            "PRIORITY",
            "PACKAGE",
            "VERSION",
            "ADVISORIES",
            "DECISION",
            "URGENT FIX",
            "WHERE",
        ];
        let widths = fit_widths(&headers, &cells, self.width, 2, &[0, 14, 10, 12, 18, 12, 8]);
        let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        let _ = writeln!(
            out,
            "{}",
            paint(DIM, table_line(2, &header, &widths, |_, c| c))
        );
        for (r, g) in cells.iter().zip(rows) {
            let style = match g.priority {
                Level::P0 | Level::P1 => RED,
                Level::P2 => YELLOW,
                Level::Routine => Style::new(),
            };
            let line = table_line(2, r, &widths, |i, c| match i {
                0 => paint(style, c),
                3 => paint(BOLD, c),
                6 => paint(DIM, c),
                _ => c,
            });
            let _ = writeln!(out, "{line}");
        }
    }
}

/// The most urgent advisory (with up to two aliases when alone), then `+N more`.
fn advisories_cell(g: &PackageGroup, lead: Option<&FindingRecord>) -> String {
    let first = match lead {
        Some(f) => advisory_label(f),
        None => g
            .advisories
            .first()
            .map(|a| a.to_string())
            .unwrap_or_default(),
    };
    if g.advisories.len() > 1 {
        format!("{first} +{} more", g.advisories.len() - 1)
    } else {
        first
    }
}

/// The decision and where it leads (the version safe from every known advisory,
/// or the rollback): `HOTFIX -> 5.4`.
fn decision_cell(g: &PackageGroup) -> String {
    g.label()
}

/// The version fixing the most urgent advisory, and how many advisories it leaves.
pub(crate) fn urgent_fix_cell(g: &PackageGroup) -> String {
    let step = &g.fix.most_urgent;
    match &step.version {
        None => "none known".to_owned(),
        Some(v) if step.leaves_unfixed.is_empty() => v.clone(),
        Some(v) => format!("{v} (leaves {})", step.leaves_unfixed.len()),
    }
}

/// Findings an exception in force suppresses: still shown, with who and until when.
fn suppressed_block(out: &mut String, suppressed: &[&FindingRecord], names: &Names, width: usize) {
    for f in suppressed {
        let Some(e) = &f.exception else { continue };
        let until = e.expires.map(|d| format!("until {d}")).unwrap_or_default();
        let review = match &e.standing {
            cverun_triage::exceptions::Standing::ReviewDue { review } => {
                format!("; review was due {review}")
            }
            _ => String::new(),
        };
        let text = format!(
            "{} {} {} {} {until} (owner {}, approved by {}{review})  {} · exception {}",
            priority_label(f),
            f.package,
            f.version,
            advisory_label(f),
            e.owner,
            e.approved_by,
            names.show(&location(f)),
            e.location
        );
        let _ = writeln!(
            out,
            "  {} {}",
            paint(DIM, "SUPPRESSED"),
            elide(&text, width.saturating_sub(13))
        );
    }
}

fn list(
    out: &mut String,
    what: &str,
    items: &[&PackageRecord],
    label: impl Fn(&PackageRecord) -> String,
    width: usize,
) {
    if items.is_empty() {
        return;
    }
    let names: Vec<String> = items.iter().map(|p| label(p)).collect();
    let head = format!("{what} ({}):", items.len());
    let room = width.saturating_sub(head.chars().count() + 3).max(20);
    let shown = fit_list(&names, room);
    let _ = writeln!(out, "  {} {shown}", paint(YELLOW, head));
}

/// `P1 (8 h)`, or `-` without a priority.
fn priority_label(f: &FindingRecord) -> String {
    match &f.priority {
        Some(p) => format!("{} ({})", p.level, p.response_text()),
        None => "-".to_owned(),
    }
}

fn advisory_label(f: &FindingRecord) -> String {
    let a = &f.finding.aliases;
    if a.is_empty() {
        return f.finding.advisory.to_string();
    }
    let shown: Vec<&str> = a.iter().take(ALIASES_SHOWN).map(|s| &**s).collect();
    let more = if a.len() > ALIASES_SHOWN {
        format!(", +{}", a.len() - ALIASES_SHOWN)
    } else {
        String::new()
    };
    format!("{} ({}{more})", f.finding.advisory, shown.join(", "))
}

fn location(f: &FindingRecord) -> String {
    match f.line {
        Some(l) => format!("{}:{l}", f.manifest),
        None => f.manifest.to_string(),
    }
}

/// The summary's first line: what was scanned and the verdict.
fn first_line(r: &Report, affected_services: usize) -> String {
    let s = &r.summary;
    let unjudged = s.not_checked > 0 || s.services_not_checked > 0 || s.errors > 0;
    let verdict = if s.vulnerabilities == 0 && s.unverifiable == 0 && unjudged {
        paint(YELLOW, "no known vulnerability in what could be checked")
    } else if s.vulnerabilities == 0 && s.unverifiable == 0 {
        paint(GREEN, "no known vulnerability")
    } else {
        let mut parts = Vec::new();
        if s.vulnerabilities > 0 {
            parts.push(paint(
                RED,
                format!(
                    "{} ({}, {}) in {}",
                    count(
                        s.packages_affected,
                        "vulnerable package",
                        "vulnerable packages"
                    ),
                    count(s.vulnerabilities, "finding", "findings"),
                    count(
                        s.distinct_vulnerabilities,
                        "distinct advisory",
                        "distinct advisories"
                    ),
                    count(affected_services, "service", "services"),
                ),
            ));
        }
        if s.unverifiable > 0 {
            parts.push(paint(YELLOW, format!("{} unverifiable", s.unverifiable)));
        }
        parts.join(", ")
    };
    let verdict = if s.suppressed > 0 {
        format!("{verdict}, {} suppressed by exceptions", s.suppressed)
    } else {
        verdict
    };
    format!(
        "{} {}, {}, {} ({} matched, {} unpinned, {} not matchable, {} not checked): {verdict}{}",
        paint(BOLD, "Scanned"),
        count(s.services, "service", "services"),
        count(s.manifests, "manifest", "manifests"),
        count(s.packages, "package", "packages"),
        s.matched,
        s.unpinned,
        s.not_matchable,
        s.not_checked,
        if s.informational > 0 {
            format!(", {} informational", s.informational)
        } else {
            String::new()
        }
    )
}

/// After the rows: every error, exception problem and (some) warnings, then the
/// advisory data in detail.
fn details(out: &mut String, r: &Report, names: &Names) {
    let _ = writeln!(out);
    for e in &r.errors {
        let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {}{at}: {}",
            paint(RED, "error:"),
            names.show(&e.file),
            e.message
        );
    }
    for p in &r.exception_problems {
        let style = match p.severity {
            cverun_triage::exceptions::Severity::Error => RED,
            cverun_triage::exceptions::Severity::Warning => YELLOW,
        };
        let _ = writeln!(out, "{}", paint(style, p));
    }
    if !r.warnings.is_empty() {
        const SHOWN: usize = 10;
        for w in r.warnings.iter().take(SHOWN) {
            let at = w.line.map(|l| format!(":{l}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{} {}{at}: {}",
                paint(YELLOW, "warning:"),
                names.show(&w.file),
                w.message
            );
        }
        if r.warnings.len() > SHOWN {
            let _ = writeln!(
                out,
                "{}",
                paint(
                    DIM,
                    format!(
                        "... and {} more warnings (--format json lists them all)",
                        r.warnings.len() - SHOWN
                    )
                )
            );
        }
    }
    database(out, r);
}

/// The advisory data used: where, which snapshot, and how current each source is.
fn database(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "{}",
        paint(
            DIM,
            format!(
                "advisories: {} (snapshot {}, {} source{})",
                r.database.location,
                &r.database.id[..r.database.id.len().min(12)],
                r.database.sources.len(),
                if r.database.sources.len() == 1 {
                    ""
                } else {
                    "s"
                }
            )
        )
    );
    if let Some(f) = &r.freshness {
        for a in &f.sources {
            let _ = writeln!(out, "{}", paint(DIM, format!("  {}", source_age(a))));
        }
    }
}

/// Each source's age, one line each, then the warning about old data (an error when
/// the limit is enforced); `styled` with colours for terminals.
pub fn write_freshness(out: &mut String, f: &cverun_db::Freshness, styled: bool) {
    let style = |s: Style, text: String| if styled { paint(s, text) } else { text };
    for a in &f.sources {
        let _ = writeln!(out, "{}", style(DIM, format!("  {}", source_age(a))));
    }
    if let Some(w) = f.warning() {
        let (s, label) = if f.enforced {
            (RED, "error:")
        } else {
            (YELLOW, "warning:")
        };
        let _ = writeln!(out, "{} {w}", style(s, label.to_owned()));
    }
}

/// `osv:PyPI fetched 2026-11-30, newest record 2026-11-29: 3 days old`.
pub fn source_age(a: &cverun_db::coverage::SourceAge) -> String {
    use cverun_db::coverage::short_date;
    let newest = match &a.newest_record {
        Some(n) => format!("newest record {}", short_date(n)),
        None => "no real record date known".to_owned(),
    };
    let age = match a.age_days {
        None => "age unknown".to_owned(),
        Some(d) => format!("{d} day{} old", if d == 1 { "" } else { "s" }),
    };
    format!(
        "{} fetched {}, {newest}: {age}",
        a.source,
        short_date(&a.fetched_at)
    )
}
