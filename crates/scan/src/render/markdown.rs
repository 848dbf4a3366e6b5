//! Markdown, for tickets, pull requests and incident channels.

use std::fmt::Write as _;

use crate::report::{FindingRecord, PackageRecord, Report};

/// Renders the report as Markdown.
pub fn render(r: &Report) -> String {
    let s = &r.summary;
    let mut out = String::new();
    let _ = writeln!(out, "# cverun scan report\n");
    let _ = writeln!(
        out,
        "Scanned {} at {} against advisory snapshot `{}`.\n",
        r.roots
            .iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", "),
        r.scanned_at,
        &r.database.id[..r.database.id.len().min(12)]
    );
    let _ = writeln!(out, "| | count |\n|---|---:|");
    for (label, n) in [
        ("services", s.services),
        ("manifests", s.manifests),
        ("packages", s.packages),
        ("matched against advisories", s.matched),
        ("vulnerable packages (locations)", s.vulnerabilities),
        ("distinct vulnerabilities", s.distinct_vulnerabilities),
        ("unverifiable", s.unverifiable),
        ("informational", s.informational),
        ("unpinned (not matched)", s.unpinned),
        ("not matchable", s.not_matchable),
        (
            "NOT CHECKED (no advisory data for the ecosystem)",
            s.not_checked,
        ),
        ("files recognised but not read", s.not_read),
        ("services with nothing checked", s.services_not_checked),
        ("unreadable files", s.errors),
        ("warnings", s.warnings),
    ] {
        let _ = writeln!(out, "| {label} | {n} |");
    }
    if s.errors > 0 {
        let _ = writeln!(
            out,
            "\n**This scan is incomplete: some files could not be read.**"
        );
    }
    if s.not_checked > 0 {
        let _ = writeln!(
            out,
            "\n**{} packages were NOT CHECKED: no advisory data for {} in this database.**",
            s.not_checked,
            s.ecosystems_not_checked.join(", ")
        );
    }
    if let Some(w) = r.freshness.as_ref().and_then(|f| f.warning()) {
        let _ = writeln!(out, "\n**{}**", cell(&w));
    }

    let vulns: Vec<&FindingRecord> = r.findings.iter().filter(|f| f.is_vulnerability()).collect();
    if !vulns.is_empty() {
        let _ = writeln!(out, "\n## Vulnerabilities\n");
        let _ = writeln!(
            out,
            "| Severity | Service | Package | Version | Advisory | Fixed in | Where |\n|---|---|---|---|---|---|---|"
        );
        for f in vulns {
            let sev = f
                .cvss
                .as_ref()
                .map(|c| format!("{:.1} {}", c.score, c.rating))
                .unwrap_or_else(|| "unknown".into());
            let _ = writeln!(
                out,
                "| {sev} | {} | {} | {} | {} | {} | {} |",
                cell(&f.service),
                cell(&f.package),
                cell(&f.version),
                advisory(f),
                if f.finding.fixed.is_empty() {
                    "no fix known".into()
                } else {
                    cell(&f.finding.fixed.join(", "))
                },
                at(f)
            );
        }
    }
    let unverifiable: Vec<&FindingRecord> = r
        .findings
        .iter()
        .filter(|f| f.finding.unverifiable.is_some())
        .collect();
    if !unverifiable.is_empty() {
        let _ = writeln!(out, "\n## Unverifiable (cannot be judged; not safe)\n");
        let _ = writeln!(
            out,
            "| Service | Package | Version | Advisory | Why | Where |\n|---|---|---|---|---|---|"
        );
        for f in unverifiable {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                cell(&f.service),
                cell(&f.package),
                cell(&f.version),
                advisory(f),
                cell(f.finding.unverifiable.as_deref().unwrap_or_default()),
                at(f)
            );
        }
    }
    let info: Vec<&FindingRecord> = r
        .findings
        .iter()
        .filter(|f| f.finding.informational.is_some() && f.finding.unverifiable.is_none())
        .collect();
    if !info.is_empty() {
        let _ = writeln!(out, "\n## Informational\n");
        let _ = writeln!(
            out,
            "| Kind | Service | Package | Version | Advisory | Where |\n|---|---|---|---|---|---|"
        );
        for f in info {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                f.finding.informational.as_deref().unwrap_or_default(),
                cell(&f.service),
                cell(&f.package),
                cell(&f.version),
                advisory(f),
                at(f)
            );
        }
    }
    packages(&mut out, "Unpinned (not matched)", &r.unpinned);
    packages(&mut out, "Not matchable", &r.not_matchable);
    packages(
        &mut out,
        "Not checked (no advisory data for the ecosystem)",
        &r.not_checked,
    );
    let not_read: Vec<(&str, &crate::report::Skipped)> = r
        .services
        .iter()
        .flat_map(|v| v.not_read.iter().map(move |n| (&*v.name, n)))
        .collect();
    if !not_read.is_empty() {
        let _ = writeln!(out, "\n## Files not read\n");
        let _ = writeln!(out, "| Service | File | Why |\n|---|---|---|");
        for (svc, n) in not_read {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                cell(svc),
                n.path,
                cell(&n.reason)
            );
        }
    }
    if !r.errors.is_empty() || !r.warnings.is_empty() {
        let _ = writeln!(out, "\n## Problems\n");
        for (kind, list) in [("error", &r.errors), ("warning", &r.warnings)] {
            for p in list {
                let line = p.line.map(|l| format!(":{l}")).unwrap_or_default();
                let _ = writeln!(out, "- {kind}: `{}{line}`: {}", p.file, cell(&p.message));
            }
        }
    }
    if let Some(f) = &r.freshness {
        let _ = writeln!(out, "\n## Advisory data\n");
        let _ = writeln!(
            out,
            "| Source | Fetched | Newest record | Age (days) |\n|---|---|---:|---:|"
        );
        for a in &f.sources {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&a.source),
                cverun_db::coverage::short_date(&a.fetched_at),
                a.newest_record
                    .as_deref()
                    .map(cverun_db::coverage::short_date)
                    .unwrap_or("no real date known"),
                a.age_days
                    .map_or_else(|| "unknown".to_owned(), |d| d.to_string())
            );
        }
    }
    let filtered = super::filtered::filtered_lines(r);
    if !filtered.is_empty() {
        let _ = writeln!(out, "\n{}", filtered.join("  \n"));
    }
    out
}

fn packages(out: &mut String, title: &str, list: &[PackageRecord]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n## {title}\n");
    let _ = writeln!(
        out,
        "| Service | Package | Version or specifier | Why | Where |\n|---|---|---|---|---|"
    );
    for p in list {
        let v = p
            .version
            .clone()
            .or_else(|| p.specifier.clone())
            .unwrap_or_default();
        let line = p.line.map(|l| format!(":{l}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | `{}{line}` |",
            cell(&p.service),
            cell(&p.package),
            cell(&v),
            cell(&p.reason),
            p.manifest
        );
    }
}

fn advisory(f: &FindingRecord) -> String {
    let id = &*f.finding.advisory;
    let mut s = format!("[{id}](https://osv.dev/vulnerability/{id})");
    if !f.finding.aliases.is_empty() {
        let _ = write!(
            s,
            " ({})",
            f.finding
                .aliases
                .iter()
                .map(|a| &**a)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    s
}

fn at(f: &FindingRecord) -> String {
    match f.line {
        Some(l) => format!("`{}:{l}`", f.manifest),
        None => format!("`{}`", f.manifest),
    }
}

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
