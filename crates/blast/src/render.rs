//! The blast radius for people: a header naming the subject, one row per service
//! and declaration (most urgent first), and the counts.

use std::fmt::Write as _;

use anstyle::Style;
use cverun_reach::Reach;
use cverun_scan::render::style::{BOLD, DIM, GREEN, RED, YELLOW, paint};
use cverun_triage::policy::Level;

use crate::radius::{Blast, Entry, Status, Subject};

/// Renders `blast` as a table.
pub fn render(blast: &Blast) -> String {
    let mut out = String::new();
    let s = &blast.subject;
    let mut head = paint(BOLD, &s.query);
    if s.ids.len() > 1 {
        let _ = write!(head, " ({})", s.ids[1..].join(", "));
    }
    if let Some(t) = &s.title {
        let _ = write!(head, ": {t}");
    }
    let _ = writeln!(out, "{head}");
    if let Some(line) = related_line(s) {
        let _ = writeln!(out, "{}", paint(YELLOW, line));
    }
    let _ = writeln!(
        out,
        "{}",
        paint(
            DIM,
            format!(
                "packages {} · {} {}{} · database {}",
                s.packages.join(", "),
                blast.source.kind,
                blast.source.paths.join(", "),
                blast
                    .source
                    .saved_at
                    .as_deref()
                    .map(|t| format!(" (saved {t})"))
                    .unwrap_or_default(),
                &blast.snapshot[..blast.snapshot.len().min(12)]
            )
        )
    );
    if !blast.entries.is_empty() {
        out.push('\n');
        table(&mut out, &blast.entries);
    }
    for e in blast.entries.iter().filter(|e| e.unverifiable.is_some()) {
        let _ = writeln!(
            out,
            "{} {} {} {}: {}",
            if e.status == Status::NotChecked {
                paint(RED, "not checked:")
            } else {
                paint(YELLOW, "unverifiable:")
            },
            e.service,
            e.package,
            e.version,
            e.unverifiable.as_deref().unwrap_or_default()
        );
    }
    for e in &blast.entries {
        if let Some(x) = &e.exception {
            let until = x.expires.map(|d| format!(" until {d}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{} {} {}: exception {} ({}, approved by {}{until})",
                paint(DIM, "suppressed:"),
                e.service,
                e.package,
                x.id,
                x.location,
                x.approved_by
            );
        }
    }
    for p in &blast.incomplete {
        let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {}{at}: {}",
            paint(RED, "error:"),
            p.file,
            p.message
        );
    }
    if let Some(why) = &blast.cannot_judge {
        let _ = writeln!(out, "{} {why}", paint(RED, "cannot judge:"));
        if !blast.did_you_mean.is_empty() {
            let _ = writeln!(out, "did you mean {}?", blast.did_you_mean.join(", "));
        }
    }
    out.push('\n');
    summary(&mut out, blast);
    if let Some(f) = &blast.freshness {
        cverun_scan::render::table::write_freshness(&mut out, f, true);
    }
    for line in blast.filtered.lines("entries") {
        let _ = writeln!(out, "{}", paint(DIM, line));
    }
    out
}

/// "CVE-2023-44487 is listed as related by GO-2023-2102, GO-2023-2153 (not an
/// alias)", when the subject was resolved through records listing it as related.
fn related_line(s: &Subject) -> Option<String> {
    (!s.related_via.is_empty()).then(|| {
        format!(
            "{} is listed as related by {} (not an alias)",
            s.query,
            s.related_via.join(", ")
        )
    })
}

fn table(out: &mut String, entries: &[Entry]) {
    let headers = [
        "PRIORITY", "SERVICE", "OWNER", "PACKAGE", "VERSION", "FIX", "CODE", "PATH", "WHERE",
    ];
    let rows: Vec<[String; 9]> = entries
        .iter()
        .map(|e| {
            [
                priority_label(e),
                e.service.to_string(),
                e.owner.clone().unwrap_or_else(|| "-".to_owned()),
                e.package.clone(),
                e.version.clone(),
                fix_label(e),
                reach_label(e.reach.as_ref()).to_owned(),
                path_label(e),
                match e.line {
                    Some(l) => format!("{}:{l}", e.manifest),
                    None => e.manifest.to_string(),
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
    let mut line = String::new();
    for (h, w) in headers.iter().zip(width) {
        let _ = write!(line, "{h:<w$}  ");
    }
    let _ = writeln!(out, "{}", paint(DIM, line.trim_end()));
    for (r, e) in rows.iter().zip(entries) {
        let style = match (e.status, e.priority.as_ref().map(|p| p.level)) {
            (Status::Suppressed | Status::NotAffected, _) => DIM,
            (Status::NotChecked, _) => RED,
            (_, Some(Level::P0 | Level::P1)) => RED,
            (Status::Unverifiable, _) | (_, Some(Level::P2)) => YELLOW,
            _ => Style::new(),
        };
        let mut line = String::new();
        for (i, (c, w)) in r.iter().zip(width).enumerate() {
            let cell = if i + 1 == r.len() {
                c.clone()
            } else {
                format!("{c:<w$}")
            };
            let cell = match i {
                0 => paint(style, cell),
                1 => paint(BOLD, cell),
                6 if e.reach.as_ref().is_some_and(Reach::is_imported) => paint(RED, cell),
                6 if e.reach.as_ref().is_some_and(Reach::is_not_imported) => paint(GREEN, cell),
                8 => paint(DIM, cell),
                _ => cell,
            };
            let _ = write!(line, "{cell}  ");
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// `P1 (8 h)`; `VERSION` for an exact version asked about without an advisory;
/// `UNVERIFIABLE`; `SUPPRESSED`.
fn priority_label(e: &Entry) -> String {
    match (e.status, &e.priority) {
        (Status::Suppressed, _) => "SUPPRESSED".to_owned(),
        (Status::NotAffected, _) => "not affected".to_owned(),
        (Status::NotChecked, _) => "NOT CHECKED".to_owned(),
        (Status::Unverifiable, None) => "UNVERIFIABLE".to_owned(),
        (_, Some(p)) => format!("{} ({})", p.level, p.response_text()),
        (Status::Named, None) => "VERSION".to_owned(),
        (_, None) => "-".to_owned(),
    }
}

/// The package's decision, and the version that fixes the advisory asked about
/// when it differs from the decision's target: `HOTFIX -> v0.56.0 (it: v0.17.0)`.
fn fix_label(e: &Entry) -> String {
    let label = e
        .fix
        .as_ref()
        .map_or_else(|| "-".to_owned(), |fix| fix.label());
    match (
        &e.subject_fix,
        e.fix.as_ref().and_then(|f| f.decision.target.as_ref()),
    ) {
        (Some(own), Some(target)) if own == target => label,
        (Some(own), _) => format!("{label} (this advisory: {own})"),
        (None, _) => label,
    }
}

/// `imported`, `not imported`, `unknown`, or `-` when not checked.
fn reach_label(reach: Option<&Reach>) -> &'static str {
    match reach {
        Some(Reach::Imported { .. }) => "imported",
        Some(Reach::NotImported { .. }) => "not imported",
        Some(Reach::Unknown { .. }) => "unknown",
        None => "-",
    }
}

/// `direct`, or the chain from a direct dependency: `flask > jinja2`.
fn path_label(e: &Entry) -> String {
    if e.path.len() > 1 {
        e.path.join(" > ")
    } else {
        match e.relation {
            cverun_inventory::Relation::Direct => "direct".to_owned(),
            cverun_inventory::Relation::Transitive => "transitive".to_owned(),
            cverun_inventory::Relation::Unknown => "-".to_owned(),
        }
    }
}

fn summary(out: &mut String, blast: &Blast) {
    let s = &blast.summary;
    let mut levels = Vec::new();
    for level in [Level::P0, Level::P1, Level::P2, Level::Routine] {
        let n = s.priorities.get(level);
        if n > 0 {
            levels.push(format!("{level} {n}"));
        }
    }
    let what = if blast.subject.version.is_some() && blast.subject.ids.is_empty() {
        "ship it"
    } else {
        "affected"
    };
    let mut line = if blast.cannot_judge.is_some() && s.affected == 0 {
        format!("cannot tell how many of {} services are {what}", s.services)
    } else {
        format!("{} of {} services {what}", s.affected, s.services)
    };
    if !blast.subject.related_via.is_empty() {
        let _ = write!(
            line,
            " through related {}",
            blast.subject.related_via.join(", ")
        );
    }
    if !levels.is_empty() {
        let _ = write!(line, ": {}", levels.join(" · "));
    }
    let style = if s.affected > 0 {
        RED
    } else if blast.exit_code() != 0 {
        YELLOW
    } else {
        GREEN
    };
    let _ = writeln!(out, "{}", paint(style, line));
    let _ = writeln!(
        out,
        "{} service{} {}: {} affected, {} not affected, {} unverifiable, {} not checked",
        s.ship,
        if s.ship == 1 { " ships" } else { "s ship" },
        blast.subject.packages.join(", "),
        s.affected,
        s.not_affected,
        s.unverifiable,
        s.not_checked
    );
    if s.affected > 0 {
        let _ = writeln!(
            out,
            "code imports it in {}, not in {}, unknown in {}",
            s.imported, s.not_imported, s.reach_unknown
        );
    }
    if s.unverifiable > 0 {
        let _ = writeln!(
            out,
            "{}",
            paint(
                YELLOW,
                format!(
                    "{} service{} cannot be judged (unverifiable): check by hand",
                    s.unverifiable,
                    if s.unverifiable == 1 { "" } else { "s" }
                )
            )
        );
    }
    if s.suppressed > 0 {
        let _ = writeln!(out, "{} suppressed by exceptions in force", s.suppressed);
    }
    if !blast.incomplete.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            paint(
                RED,
                format!(
                    "incomplete: {} file{} could not be read, the radius may be larger",
                    blast.incomplete.len(),
                    if blast.incomplete.len() == 1 { "" } else { "s" }
                )
            )
        );
    }
}
