//! The human report: one block per service with findings, then a summary.
//!
//! Styled with `anstyle`; the caller prints through a stream that drops the styles
//! when the output is not a terminal or `NO_COLOR` is set.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Color, Style};

use crate::report::{FindingRecord, PackageRecord, Report, ServiceReport};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const RED: Style = Style::new()
    .fg_color(Some(Color::Ansi(AnsiColor::Red)))
    .bold();
const YELLOW: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Yellow)));
const CYAN: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Cyan)));
const GREEN: Style = Style::new().fg_color(Some(Color::Ansi(AnsiColor::Green)));

fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}

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
    for svc in &report.services {
        let findings = findings
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
        let broken = svc.manifests.iter().any(|m| m.error.is_some());
        if findings.is_empty()
            && unpinned.is_empty()
            && unmatchable.is_empty()
            && !broken
            && !svc.manifests.is_empty()
        {
            continue;
        }
        service_block(&mut out, svc, findings, unpinned, unmatchable);
    }
    summary(&mut out, report);
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
        let _ = writeln!(
            out,
            "  {}",
            paint(YELLOW, "no manifest found for this configured service")
        );
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
        let rows: Vec<[String; 6]> = vulns
            .iter()
            .map(|f| {
                let sev = match &f.cvss {
                    Some(s) => format!("{:.1} {}", s.score, s.rating),
                    None => "unknown".to_owned(),
                };
                [
                    sev,
                    f.package.clone(),
                    f.version.clone(),
                    advisory_label(f),
                    if f.finding.fixed.is_empty() {
                        "no fix known".to_owned()
                    } else {
                        f.finding.fixed.join(", ")
                    },
                    location(f),
                ]
            })
            .collect();
        let headers = [
            "SEVERITY", "PACKAGE", "VERSION", "ADVISORY", "FIXED IN", "WHERE",
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
            let style = match f.cvss.as_ref().map(|s| s.rating) {
                Some(
                    cverun_triage::severity::Rating::Critical
                    | cverun_triage::severity::Rating::High,
                ) => RED,
                Some(_) => YELLOW,
                None => YELLOW,
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
                    3 => paint(BOLD, cell),
                    5 => paint(DIM, cell),
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
            "  {} {} {} {}: {}  {}",
            paint(YELLOW, "UNVERIFIABLE"),
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
    let verdict = if s.vulnerabilities == 0 && s.unverifiable == 0 {
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
        if s.unverifiable > 0 {
            parts.push(paint(YELLOW, format!("{} unverifiable", s.unverifiable)));
        }
        parts.join(", ")
    };
    let _ = writeln!(
        out,
        "{} {} service{}, {} manifest{}, {} packages ({} matched, {} unpinned, {} not matchable): {verdict}{}",
        paint(BOLD, "Scanned"),
        s.services,
        plural(s.services),
        s.manifests,
        plural(s.manifests),
        s.packages,
        s.matched,
        s.unpinned,
        s.not_matchable,
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
                    "{} file{} could not be read: this scan is incomplete",
                    s.errors,
                    plural(s.errors)
                )
            )
        );
    }
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
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
