//! Markdown, for tickets, pull requests and incident channels.
//!
//! The summary first ([`super::headline`], as a list), then one row per vulnerable
//! package with its priority, deadline, decision and both fixes, then what cannot be
//! judged and what was not checked. The whole document stays within a size budget
//! ([`Options::max_bytes`], by default [`DEFAULT_MAX_BYTES`], under the 65,536
//! characters of a GitHub issue body): rows are kept most urgent first, and the
//! report says how many were left out.

use std::collections::HashMap;
use std::fmt::Write as _;

use crate::report::{FindingRecord, PackageGroup, PackageRecord, Report};

use super::Names;
use super::style::local_time;

/// The default budget: a GitHub issue or comment body holds 65,536 characters;
/// this leaves room for a title line and edits.
pub const DEFAULT_MAX_BYTES: usize = 60_000;

/// Room kept for the notes saying what was left out.
const RESERVE: usize = 400;

/// How much advisories a row links before `+N more`.
const LINKED: usize = 3;

/// How to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The most bytes to write (at least enough for the summary).
    pub max_bytes: usize,
    /// Only the title and the summary.
    pub summary_only: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_bytes: DEFAULT_MAX_BYTES,
            summary_only: false,
        }
    }
}

/// Renders the report as Markdown within [`DEFAULT_MAX_BYTES`].
pub fn render(r: &Report) -> String {
    render_with(r, &Options::default())
}

/// A table section: title, header, rows (most important first).
struct Section {
    title: String,
    header: String,
    rows: Vec<String>,
}

/// Renders the report as Markdown within `opts.max_bytes`.
pub fn render_with(r: &Report, opts: &Options) -> String {
    let names = Names::new(&r.roots);
    let mut out = String::new();
    let _ = writeln!(out, "# cverun scan report\n");
    let _ = writeln!(
        out,
        "Scanned {} at {} against advisory snapshot `{}`.\n",
        r.roots
            .iter()
            .map(|x| format!("`{}`", cell(x)))
            .collect::<Vec<_>>()
            .join(", "),
        r.scanned_at
            .parse()
            .map_or_else(|_| r.scanned_at.clone(), local_time),
        &r.database.id[..r.database.id.len().min(12)]
    );
    let _ = writeln!(out, "## Summary\n");
    for l in super::table::headline(r, &names).lines(100, false) {
        let _ = writeln!(out, "- {}", cell(&super::style::plain(&l)));
    }
    if opts.summary_only {
        return out;
    }
    let dirs: HashMap<&str, &str> = r
        .services
        .iter()
        .map(|s| (&*s.name, s.path.as_str()))
        .collect();
    let mut sections = vec![vulnerable(r, &names, &dirs)];
    sections.push(Section {
        title: "Unverifiable (cannot be judged; not safe)".into(),
        header:
            "| Service | Package | Version | Advisory | Why | Where |\n|---|---|---|---|---|---|"
                .into(),
        rows: r
            .findings
            .iter()
            .filter(|f| f.finding.unverifiable.is_some())
            .map(|f| {
                format!(
                    "| {} | {} | {} | {} | {} | {} |",
                    cell(names.show(&f.service)),
                    cell(&f.package),
                    cell(&f.version),
                    advisory(f),
                    cell(f.finding.unverifiable.as_deref().unwrap_or_default()),
                    at(f, &names)
                )
            })
            .collect(),
    });
    sections.push(Section {
        title: "Informational".into(),
        header:
            "| Kind | Service | Package | Version | Advisory | Where |\n|---|---|---|---|---|---|"
                .into(),
        rows: r
            .findings
            .iter()
            .filter(|f| f.finding.informational.is_some() && f.finding.unverifiable.is_none())
            .map(|f| {
                format!(
                    "| {} | {} | {} | {} | {} | {} |",
                    f.finding.informational.as_deref().unwrap_or_default(),
                    cell(names.show(&f.service)),
                    cell(&f.package),
                    cell(&f.version),
                    advisory(f),
                    at(f, &names)
                )
            })
            .collect(),
    });
    sections.push(packages("Unpinned (not matched)", &r.unpinned, &names));
    sections.push(packages("Not matchable", &r.not_matchable, &names));
    sections.push(packages(
        "Not checked (no advisory data for the ecosystem)",
        &r.not_checked,
        &names,
    ));
    sections.push(Section {
        title: "Files not read".into(),
        header: "| Service | File | Why |\n|---|---|---|".into(),
        rows: r
            .services
            .iter()
            .flat_map(|v| {
                let names = &names;
                v.not_read.iter().map(move |n| {
                    format!(
                        "| {} | `{}` | {} |",
                        cell(names.show(&v.name)),
                        names.show(&n.path),
                        cell(&n.reason)
                    )
                })
            })
            .collect(),
    });
    sections.push(Section {
        title: "Problems".into(),
        header: String::new(),
        rows: [("error", &r.errors), ("warning", &r.warnings)]
            .into_iter()
            .flat_map(|(kind, list)| {
                list.iter().map(move |p| {
                    let line = p.line.map(|l| format!(":{l}")).unwrap_or_default();
                    format!("- {kind}: `{}{line}`: {}", p.file, cell(&p.message))
                })
            })
            .collect(),
    });
    if let Some(f) = &r.freshness {
        sections.push(Section {
            title: "Advisory data".into(),
            header: "| Source | Fetched | Newest record | Age (days) |\n|---|---|---:|---:|".into(),
            rows: f
                .sources
                .iter()
                .map(|a| {
                    format!(
                        "| {} | {} | {} | {} |",
                        cell(&a.source),
                        cverun_db::coverage::short_date(&a.fetched_at),
                        a.newest_record
                            .as_deref()
                            .map(cverun_db::coverage::short_date)
                            .unwrap_or("no real date known"),
                        a.age_days
                            .map_or_else(|| "unknown".to_owned(), |d| d.to_string())
                    )
                })
                .collect(),
        });
    }
    let budget = opts.max_bytes.saturating_sub(RESERVE);
    let mut left_out: Vec<String> = Vec::new();
    for s in sections {
        if s.rows.is_empty() {
            continue;
        }
        let head = if s.header.is_empty() {
            format!("\n## {}\n\n", s.title)
        } else {
            format!("\n## {}\n\n{}\n", s.title, s.header)
        };
        if out.len() + head.len() + s.rows[0].len() + 1 > budget {
            left_out.push(format!("{} ({})", s.title, s.rows.len()));
            continue;
        }
        out.push_str(&head);
        let total = s.rows.len();
        let mut kept = 0;
        for row in s.rows {
            if out.len() + row.len() + 1 > budget {
                break;
            }
            out.push_str(&row);
            out.push('\n');
            kept += 1;
        }
        if kept < total {
            let _ = writeln!(
                out,
                "\n_{} more rows left out to stay under {} bytes; `cverun scan --format json` lists them all._",
                total - kept,
                opts.max_bytes
            );
        }
    }
    if !left_out.is_empty() {
        let _ = writeln!(
            out,
            "\n_Left out to stay under {} bytes: {}; `cverun scan --format json` lists everything._",
            opts.max_bytes,
            cell(&left_out.join(", "))
        );
    }
    let filtered = super::filtered::filtered_lines(r);
    if !filtered.is_empty() {
        let _ = writeln!(out, "\n{}", filtered.join("  \n"));
    }
    out
}

/// One row per vulnerable package, most urgent first.
fn vulnerable(r: &Report, names: &Names, dirs: &HashMap<&str, &str>) -> Section {
    let rows = r
        .packages_affected
        .iter()
        .map(|g| {
            let dir = dirs.get(&*g.service).copied().unwrap_or("");
            format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                g.priority,
                local_time(g.due),
                cell(names.show(&g.service)),
                cell(&g.package),
                cell(&g.version),
                advisories(g),
                cell(&decision(g)),
                cell(&fix(&g.fix.most_urgent)),
                cell(&fix(&g.fix.safe_from_all)),
                g.locations
                    .iter()
                    .map(|l| format!("`{}`", names.file(&l.to_string(), dir)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    Section {
        title: "Vulnerable packages".into(),
        header: "| Priority | Due | Service | Package | Version | Advisories | Decision | Fixes most urgent | Safe from all known | Where |\n|---|---|---|---|---|---|---|---|---|---|".into(),
        rows,
    }
}

fn decision(g: &PackageGroup) -> String {
    let decision = g.decision();
    match &decision.target {
        Some(t) => format!("{} -> {t}", decision.action),
        None => decision.action.to_string(),
    }
}

/// `1.2.3`, `1.2.3 (leaves 2: A, B)`, or `none known`.
fn fix(step: &crate::report::FixStep) -> String {
    match &step.version {
        None => "none known".to_owned(),
        Some(v) if step.leaves_unfixed.is_empty() => v.clone(),
        Some(v) => {
            let ids: Vec<&str> = step.leaves_unfixed.iter().take(2).map(|id| &**id).collect();
            let more = if step.leaves_unfixed.len() > 2 {
                ", ..."
            } else {
                ""
            };
            format!(
                "{v} (leaves {}: {}{more})",
                step.leaves_unfixed.len(),
                ids.join(", ")
            )
        }
    }
}

fn advisories(g: &PackageGroup) -> String {
    let mut s: Vec<String> = g
        .advisories
        .iter()
        .take(LINKED)
        .map(|id| format!("[{id}](https://osv.dev/vulnerability/{id})"))
        .collect();
    if g.advisories.len() > LINKED {
        s.push(format!("+{} more", g.advisories.len() - LINKED));
    }
    s.join(", ")
}

fn packages(title: &str, list: &[PackageRecord], names: &Names) -> Section {
    Section {
        title: title.into(),
        header: "| Service | Package | Version or specifier | Why | Where |\n|---|---|---|---|---|"
            .into(),
        rows: list
            .iter()
            .map(|p| {
                let v = p
                    .version
                    .clone()
                    .or_else(|| p.specifier.clone())
                    .unwrap_or_default();
                let line = p.line.map(|l| format!(":{l}")).unwrap_or_default();
                format!(
                    "| {} | {} | {} | {} | `{}{line}` |",
                    cell(names.show(&p.service)),
                    cell(&p.package),
                    cell(&v),
                    cell(&p.reason),
                    names.show(&p.manifest)
                )
            })
            .collect(),
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

fn at(f: &FindingRecord, names: &Names) -> String {
    match f.line {
        Some(l) => format!("`{}:{l}`", names.show(&f.manifest)),
        None => format!("`{}`", names.show(&f.manifest)),
    }
}

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
