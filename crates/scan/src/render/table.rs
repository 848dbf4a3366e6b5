//! The human report: one block per service with findings, then a summary.
//!
//! Styled with `anstyle`; the caller prints through a stream that drops the styles
//! when the output is not a terminal or `NO_COLOR` is set.

use std::fmt::Write as _;

use anstyle::Style;
use cverun_triage::policy::Level;

use crate::report::{FindingRecord, PackageRecord, Report, ServiceReport};

use super::style::{BOLD, CYAN, DIM, GREEN, RED, YELLOW, paint};

/// How many aliases are shown before `+N`.
const ALIASES_SHOWN: usize = 2;
/// How many unmatched packages are named per service before `+N more`.
const UNMATCHED_SHOWN: usize = 12;

/// Renders the report for people.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let findings = by_service(&report.findings, |f| &f.service);
    let unpinned = by_service(&report.unpinned, |p| &p.service);
    let unmatchable = by_service(&report.not_matchable, |p| &p.service);
    let not_checked = by_service(&report.not_checked, |p| &p.service);
    let suppressed = by_service(&report.suppressed, |f| &f.service);
    // The most urgent services first: by their most urgent vulnerability, then name.
    let urgency = |svc: &ServiceReport| {
        findings
            .get(&*svc.name)
            .into_iter()
            .flatten()
            .filter(|f| f.is_vulnerability())
            .filter_map(|f| f.priority.as_ref().map(|p| p.level))
            .min()
    };
    let mut services: Vec<&ServiceReport> = report.services.iter().collect();
    services.sort_by_key(|s| (urgency(s).is_none(), urgency(s)));
    for svc in services {
        let findings = findings
            .get(&*svc.name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let suppressed = suppressed
            .get(&*svc.name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let unpinned = unpinned
            .get(&*svc.name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let unmatchable = unmatchable
            .get(&*svc.name)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let not_checked = not_checked
            .get(&*svc.name)
            .map(Vec::as_slice)
            .unwrap_or_default();
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
        service_block(&mut out, svc, findings, unpinned, unmatchable);
        list(
            &mut out,
            "NOT CHECKED, no advisory data",
            not_checked,
            |p| {
                format!(
                    "{} {} ({})",
                    p.package,
                    p.version.as_deref().unwrap_or_default(),
                    p.ecosystem
                )
            },
        );
        for n in &svc.not_read {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                paint(YELLOW, "not read:"),
                n.path,
                n.reason
            );
        }
        suppressed_block(&mut out, suppressed);
    }
    summary(&mut out, report);
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

fn service_block<F: std::ops::Deref<Target = FindingRecord>>(
    out: &mut String,
    svc: &ServiceReport,
    findings: &[F],
    unpinned: &[&PackageRecord],
    unmatchable: &[&PackageRecord],
) {
    let mut meta = Vec::new();
    if svc.path != *svc.name {
        meta.push(svc.path.clone());
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
        format!("  {}", paint(DIM, meta.join(" · ")))
    };
    let _ = writeln!(out, "{}{meta}", paint(BOLD, &svc.name));
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
            m.error.as_deref().unwrap_or_default()
        );
    }

    let vulns: Vec<&FindingRecord> = findings
        .iter()
        .map(|f| &**f)
        .filter(|f| f.is_vulnerability())
        .collect();
    if !vulns.is_empty() {
        let rows: Vec<[String; 7]> = vulns
            .iter()
            .map(|f| {
                [
                    priority_label(f),
                    severity_label(f),
                    f.package.clone(),
                    f.version.clone(),
                    advisory_label(f),
                    fix_label(f),
                    location(f),
                ]
            })
            .collect();
        let headers = [
            "PRIORITY", "SEVERITY", "PACKAGE", "VERSION", "ADVISORY", "FIX", "WHERE",
        ];
        let mut width = headers.map(str::len);
        for r in &rows {
            for (w, c) in width.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let mut line = String::from("  ");
        for (h, w) in headers.iter().zip(width) {
            let _ = write!(line, "{h:<w$}  ");
        }
        let _ = writeln!(out, "{}", paint(DIM, line.trim_end()));
        for (r, f) in rows.iter().zip(&vulns) {
            let style = match f.priority.as_ref().map(|p| p.level) {
                Some(Level::P0 | Level::P1) => RED,
                Some(Level::P2) | None => YELLOW,
                Some(Level::Routine) => Style::new(),
            };
            let mut line = String::from("  ");
            for (i, (c, w)) in r.iter().zip(width).enumerate() {
                let cell = if i + 1 == r.len() {
                    c.clone()
                } else {
                    format!("{c:<w$}")
                };
                let cell = match i {
                    0 => paint(style, cell),
                    4 => paint(BOLD, cell),
                    6 => paint(DIM, cell),
                    _ => cell,
                };
                let _ = write!(line, "{cell}  ");
            }
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }
    for f in findings.iter().filter(|f| f.finding.unverifiable.is_some()) {
        let _ = writeln!(
            out,
            "  {} {} {} {} {}: {}  {}",
            paint(YELLOW, "UNVERIFIABLE"),
            priority_label(f),
            f.package,
            f.version,
            advisory_label(f),
            f.finding.unverifiable.as_deref().unwrap_or_default(),
            paint(DIM, location(f))
        );
    }
    for f in findings
        .iter()
        .filter(|f| f.finding.informational.is_some() && f.finding.unverifiable.is_none())
    {
        let _ = writeln!(
            out,
            "  {} {} {} {}{}  {}",
            paint(
                CYAN,
                f.finding
                    .informational
                    .as_deref()
                    .unwrap_or_default()
                    .to_uppercase()
            ),
            f.package,
            f.version,
            advisory_label(f),
            f.finding
                .summary
                .as_deref()
                .map(|s| format!(": {s}"))
                .unwrap_or_default(),
            paint(DIM, location(f))
        );
    }
    list(out, "unpinned, not matched", unpinned, |p| {
        match p.specifier.as_deref() {
            Some("") | None => p.package.clone(),
            Some(s) => format!("{} {s}", p.package),
        }
    });
    list(out, "not matchable", unmatchable, |p| {
        format!("{} ({})", p.package, p.reason)
    });
}

/// Findings an exception in force suppresses: still shown, with who and until when.
fn suppressed_block(out: &mut String, suppressed: &[&FindingRecord]) {
    for f in suppressed {
        let Some(e) = &f.exception else { continue };
        let until = e.expires.map(|d| format!("until {d}")).unwrap_or_default();
        let review = match &e.standing {
            cverun_triage::exceptions::Standing::ReviewDue { review } => {
                format!("; {}", paint(YELLOW, format!("review was due {review}")))
            }
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {} {} {} {} {} {until} (owner {}, approved by {}{review})  {}",
            paint(DIM, "SUPPRESSED"),
            priority_label(f),
            f.package,
            f.version,
            advisory_label(f),
            e.owner,
            e.approved_by,
            paint(DIM, format!("{} · exception {}", location(f), e.location))
        );
    }
    let _ = writeln!(out);
}

fn list(
    out: &mut String,
    what: &str,
    items: &[&PackageRecord],
    label: impl Fn(&PackageRecord) -> String,
) {
    if items.is_empty() {
        return;
    }
    let mut names: Vec<String> = items
        .iter()
        .take(UNMATCHED_SHOWN)
        .map(|p| label(p))
        .collect();
    if items.len() > UNMATCHED_SHOWN {
        names.push(format!("+{} more", items.len() - UNMATCHED_SHOWN));
    }
    let _ = writeln!(
        out,
        "  {} {}",
        paint(YELLOW, format!("{what} ({}):", items.len())),
        names.join(", ")
    );
}

/// `P1 (8 h)`, or `-` without a priority.
fn priority_label(f: &FindingRecord) -> String {
    match &f.priority {
        Some(p) => format!("{} ({})", p.level, p.response_text()),
        None => "-".to_owned(),
    }
}

/// The best-known score, else the advisory's own rating, else `unknown`.
fn severity_label(f: &FindingRecord) -> String {
    match (&f.cvss, f.priority.as_ref().and_then(|p| p.inputs.rating)) {
        (Some(s), _) => format!("{:.1} {}", s.score, s.rating),
        (None, Some(r)) => format!("{r} (rated)"),
        (None, None) => "unknown".to_owned(),
    }
}

/// The decision and where it leads: `HOTFIX -> 5.4`.
fn fix_label(f: &FindingRecord) -> String {
    f.fix
        .as_ref()
        .map_or_else(|| "-".to_owned(), |fix| fix.label())
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

fn summary(out: &mut String, r: &Report) {
    let s = &r.summary;
    for e in &r.errors {
        let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {}{at}: {}",
            paint(RED, "error:"),
            e.file,
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
                w.file,
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
    let affected_services = r.services.iter().filter(|s| s.vulnerabilities > 0).count();
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
                    "{} vulnerable package{} ({} distinct advisor{}) in {} service{}",
                    s.vulnerabilities,
                    plural(s.vulnerabilities),
                    s.distinct_vulnerabilities,
                    if s.distinct_vulnerabilities == 1 {
                        "y"
                    } else {
                        "ies"
                    },
                    affected_services,
                    plural(affected_services)
                ),
            ));
        }
        if s.vulnerabilities > 0 {
            let p = &s.priorities;
            parts.push(format!(
                "P0 {} · P1 {} · P2 {} · routine {}",
                p.p0, p.p1, p.p2, p.routine
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
    let _ = writeln!(
        out,
        "{} {} service{}, {} manifest{}, {} packages ({} matched, {} unpinned, {} not matchable, {} not checked): {verdict}{}",
        paint(BOLD, "Scanned"),
        s.services,
        plural(s.services),
        s.manifests,
        plural(s.manifests),
        s.packages,
        s.matched,
        s.unpinned,
        s.not_matchable,
        s.not_checked,
        if s.informational > 0 {
            format!(", {} informational", s.informational)
        } else {
            String::new()
        }
    );
    if s.errors > 0 {
        let _ = writeln!(
            out,
            "{}",
            paint(
                RED,
                format!(
                    "{} error{} (files or directories that could not be read or held nothing to check): this scan is incomplete",
                    s.errors,
                    plural(s.errors)
                )
            )
        );
    }
    if s.not_checked > 0 {
        let _ = writeln!(
            out,
            "{}",
            paint(
                RED,
                format!(
                    "{} package{} NOT CHECKED: no advisory data for {} in this database (cverun db update --ecosystem {})",
                    s.not_checked,
                    plural(s.not_checked),
                    s.ecosystems_not_checked.join(", "),
                    s.ecosystems_not_checked.join(",")
                )
            )
        );
    }
    if s.services_not_checked > 0 || s.not_read > 0 {
        let _ = writeln!(
            out,
            "{}",
            paint(
                YELLOW,
                format!(
                    "{} service{} with nothing checked, {} file{} not read",
                    s.services_not_checked,
                    plural(s.services_not_checked),
                    s.not_read,
                    plural(s.not_read)
                )
            )
        );
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
                plural(r.database.sources.len())
            )
        )
    );
    if let Some(f) = &r.freshness {
        write_freshness(out, f, true);
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

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
