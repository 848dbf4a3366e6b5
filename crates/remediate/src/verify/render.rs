//! Views of a [`Verification`]: the table people read, and the evidence hash that
//! seals the JSON document (the JSON itself is the value serialised).
//!
//! The hash: the document is serialised to JSON without its `sha256` field, in a
//! canonical form (objects with their keys sorted by code point, no white space,
//! strings escaped as `serde_json` escapes them: only `"`, `\` and control
//! characters), and hashed with SHA-256. The document holds no floating-point
//! numbers, so the form is that of RFC 8785 for it. To check a saved document:
//! remove `sha256`, re-serialise canonically (`jq -jcS 'del(.sha256)'` prints the
//! same bytes; `-j` leaves out the final newline), hash.

use std::fmt::Write as _;

use cverun_scan::render::style::{self, BOLD, CYAN, DIM, GREEN, RED, YELLOW, paint};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Presence, Status, TargetStatus, Verification, VersionChange, VulnerabilityChange};

/// The evidence hash of `v`: SHA-256 (lower-case hex) of its canonical JSON without
/// the `sha256` field.
pub fn seal(v: &Verification) -> String {
    let mut value = serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
    if let Some(map) = value.as_object_mut() {
        map.remove("sha256");
    }
    let mut text = String::new();
    canonical(&value, &mut text);
    let digest = Sha256::digest(text.as_bytes());
    let mut hex = String::with_capacity(64);
    for b in digest {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

/// `value` as canonical JSON (keys sorted, no white space) appended to `out`.
pub fn canonical(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_string(k));
                out.push(':');
                canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// Writes `v` as JSON into `w` (what `--format json` prints).
pub fn json<W: std::io::Write>(v: &Verification, w: W) -> serde_json::Result<()> {
    v.serialize(&mut serde_json::Serializer::new(w))
}

/// The table for people, fitted to `width` characters.
pub fn table(v: &Verification, width: usize) -> String {
    let width = width.max(style::MIN_WIDTH);
    let mut out = String::new();
    headline(v, &mut out);
    targets(v, width, &mut out);
    for s in &v.services {
        service(s, width, &mut out);
    }
    if v.services
        .iter()
        .any(|s| s.presence == Presence::Compared && !s.versions.complete)
    {
        let _ = writeln!(
            out,
            "\n{}",
            paint(
                DIM,
                "The baseline lists only some packages: save it with `cverun scan --list-packages` to see every version change."
            )
        );
    }
    completeness(v, &mut out);
    let t = &v.totals;
    let _ = writeln!(
        out,
        "\n{} {} fixed, {} remaining, {} unconfirmed, {} introduced; {}, {} added, {} removed",
        paint(BOLD, "Totals:"),
        t.fixed,
        t.remaining,
        t.unconfirmed,
        t.introduced,
        style::count(t.versions_changed, "version changed", "versions changed"),
        t.packages_added,
        t.packages_removed,
    );
    if t.not_in_baseline > 0 {
        let _ = writeln!(
            out,
            "{}",
            paint(
                DIM,
                format!(
                    "{} in installed environments that the baseline does not show (listed, not counted as introduced)",
                    style::count(t.not_in_baseline, "vulnerability", "vulnerabilities")
                )
            )
        );
    }
    let _ = writeln!(out, "{}", paint(DIM, format!("sha256 {}", v.sha256)));
    out
}

fn headline(v: &Verification, out: &mut String) {
    let (label, colour) = match v.outcome.status {
        Status::Verified => ("VERIFIED", GREEN),
        Status::Remaining => ("REMAINING", RED),
        Status::CannotJudge => ("CANNOT JUDGE", YELLOW),
        Status::Regression => ("REGRESSION", RED),
    };
    let _ = writeln!(
        out,
        "{} {} (exit {})",
        paint(BOLD, "Verification:"),
        paint(colour, label),
        v.outcome.exit_code
    );
    for r in &v.outcome.reasons {
        let _ = writeln!(out, "  {r}");
    }
    let mut baseline = format!("{} {}", v.baseline.kind, v.baseline.label);
    if !v.baseline.commits.is_empty() {
        let short: Vec<&str> = v
            .baseline
            .commits
            .iter()
            .map(|c| &c[..c.len().min(12)])
            .collect();
        let _ = write!(baseline, " ({})", short.join(", "));
    }
    let _ = writeln!(out, "{}", paint(DIM, format!("  baseline: {baseline}")));
    let _ = writeln!(
        out,
        "{}",
        paint(DIM, format!("  current:  {}", v.current.join(", ")))
    );
    let _ = writeln!(
        out,
        "{}",
        paint(
            DIM,
            format!("  database: {}", &v.database[..v.database.len().min(12)])
        )
    );
}

fn targets(v: &Verification, width: usize, out: &mut String) {
    if v.targeted.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", paint(BOLD, "Targeted advisories"));
    let headers = ["STATUS", "ADVISORY", "ALIASES", "BASELINE", "NOW"];
    let rows: Vec<Vec<String>> = v
        .targeted
        .iter()
        .map(|t| {
            vec![
                target_status(t.status).to_owned(),
                t.advisory.clone(),
                t.aliases.join(", "),
                t.baseline_services.join(", "),
                t.current_services.join(", "),
            ]
        })
        .collect();
    let widths = style::fit_widths(&headers, &rows, width, 2, &[0, 0, 10, 10, 10]);
    let header: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
    let _ = writeln!(
        out,
        "{}",
        paint(DIM, style::table_line(2, &header, &widths, |_, c| c))
    );
    for (t, row) in v.targeted.iter().zip(&rows) {
        let _ = writeln!(
            out,
            "{}",
            style::table_line(2, row, &widths, |i, c| match i {
                0 => paint_status(t.status, c),
                1 => paint(CYAN, c),
                _ => c,
            })
        );
        if let Some(r) = &t.reason {
            let _ = writeln!(out, "    {}", paint(DIM, r));
        }
    }
}

fn target_status(s: TargetStatus) -> &'static str {
    match s {
        TargetStatus::Fixed => "fixed",
        TargetStatus::Remaining => "remaining",
        TargetStatus::Unconfirmed => "unconfirmed",
        TargetStatus::NotInBaseline => "not in baseline",
    }
}

fn paint_status(s: TargetStatus, text: String) -> String {
    match s {
        TargetStatus::Fixed => paint(GREEN, text),
        TargetStatus::Remaining => paint(RED, text),
        TargetStatus::Unconfirmed | TargetStatus::NotInBaseline => paint(YELLOW, text),
    }
}

fn service(s: &super::ServiceVerification, width: usize, out: &mut String) {
    let presence = match s.presence {
        Presence::Compared => "",
        Presence::Missing => " (missing now)",
        Presence::New => " (new)",
        Presence::Installed => " (installed environment)",
    };
    let _ = writeln!(out, "\n{}{}", paint(BOLD, &s.name), paint(DIM, presence));
    let mut rows: Vec<(&str, &VulnerabilityChange)> = Vec::new();
    for (label, list) in [
        ("introduced", &s.introduced),
        ("remaining", &s.remaining),
        ("unconfirmed", &s.unconfirmed),
        ("fixed", &s.fixed),
        ("not in baseline", &s.not_in_baseline),
    ] {
        rows.extend(list.iter().map(|r| (label, r)));
    }
    if rows.is_empty()
        && s.versions.changed.is_empty()
        && s.versions.added.is_empty()
        && s.versions.removed.is_empty()
    {
        let _ = writeln!(
            out,
            "  {}",
            paint(DIM, "no vulnerability before or now, no version changed")
        );
        return;
    }
    if !rows.is_empty() {
        let headers = ["", "PACKAGE", "VERSIONS", "ADVISORY", "ALIASES"];
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|(label, r)| {
                vec![
                    (*label).to_owned(),
                    format!("{} {}", r.ecosystem, r.package),
                    if s.presence == Presence::Installed {
                        r.to.join(",")
                    } else {
                        arrow(&r.from, &r.to)
                    },
                    r.advisory.clone(),
                    r.aliases.join(", "),
                ]
            })
            .collect();
        let widths = style::fit_widths(&headers, &cells, width, 2, &[0, 12, 12, 0, 10]);
        for ((label, r), row) in rows.iter().zip(&cells) {
            let _ = writeln!(
                out,
                "{}",
                style::table_line(2, row, &widths, |i, c| match i {
                    0 => match *label {
                        "introduced" | "remaining" => paint(RED, c),
                        "fixed" => paint(GREEN, c),
                        _ => paint(YELLOW, c),
                    },
                    3 => paint(CYAN, c),
                    _ => c,
                })
            );
            if let Some(reason) = &r.reason {
                let _ = writeln!(out, "    {}", paint(DIM, reason));
            }
        }
    }
    for (label, list) in [
        ("changed", &s.versions.changed),
        ("added", &s.versions.added),
        ("removed", &s.versions.removed),
    ] {
        if list.is_empty() {
            continue;
        }
        let shown: Vec<String> = list.iter().map(version_change).collect();
        let _ = writeln!(
            out,
            "  {} {}",
            paint(DIM, format!("{label}:")),
            style::fit_list(&shown, width.saturating_sub(label.len() + 4))
        );
    }
}

fn arrow(from: &[String], to: &[String]) -> String {
    let side = |v: &[String]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join(",")
        }
    };
    if from == to {
        side(from)
    } else {
        format!("{} -> {}", side(from), side(to))
    }
}

fn version_change(c: &VersionChange) -> String {
    format!("{} {}", c.package, arrow(&c.from, &c.to))
}

fn completeness(v: &Verification, out: &mut String) {
    let c = &v.completeness;
    let new_unread: Vec<_> = c.unread.iter().filter(|u| !u.in_baseline).collect();
    let new_unjudged: Vec<_> = c.unjudged.iter().filter(|u| !u.in_baseline).collect();
    let known = c.unread.len() - new_unread.len() + c.unjudged.len() - new_unjudged.len();
    if c.complete && known == 0 {
        return;
    }
    let _ = writeln!(out, "\n{}", paint(BOLD, "Not checked"));
    for e in &c.errors {
        let _ = writeln!(out, "  {} {e}", paint(YELLOW, "current scan:"));
    }
    for e in &c.baseline_errors {
        let _ = writeln!(out, "  {} {e}", paint(YELLOW, "baseline scan:"));
    }
    for m in &c.missing_services {
        let _ = writeln!(
            out,
            "  {} {m}",
            paint(YELLOW, "missing now (in the baseline):")
        );
    }
    for u in new_unread {
        let _ = writeln!(
            out,
            "  {} {}: {}",
            paint(YELLOW, "not read now:"),
            u.service,
            u.file
        );
    }
    for u in new_unjudged {
        let version = u.item.version.as_deref().unwrap_or("");
        let _ = writeln!(
            out,
            "  {} {}: {} {version}: {}",
            paint(YELLOW, "not judged now:"),
            u.service,
            u.item.package,
            u.item.reason
        );
    }
    if known > 0 {
        let _ = writeln!(
            out,
            "  {}",
            paint(
                DIM,
                format!(
                    "{} not checked in the baseline either (listed in JSON, `completeness`)",
                    style::count(known, "item", "items")
                )
            )
        );
    }
}
