//! `cverun query <ecosystem> <package> <version>`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use cverun_db::{PackageQuery, Snapshot};
use cverun_osv::Finding;
use serde::Serialize;

use super::{open_for_matching, parse_ecosystem};
use crate::cli::{Format, QueryArgs};
use crate::output::{self, BOLD, CYAN, DIM, GREEN, RED, YELLOW, count, paint, short_hash};

#[derive(Serialize)]
struct QueryJson<'a> {
    schema: &'static str,
    database: &'a Snapshot,
    ecosystem: &'a str,
    package: &'a str,
    version: &'a str,
    summary: Counts,
    findings: &'a [Finding],
    freshness: &'a cverun_db::Freshness,
    /// Whether any advisory of the database names this package at all.
    advisories_name_package: bool,
    /// Close package names the advisories do name, when none names this one.
    did_you_mean: Vec<String>,
}

#[derive(Serialize, Default)]
pub struct Counts {
    pub vulnerabilities: usize,
    pub unverifiable: usize,
    pub informational: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            if f.unverifiable.is_some() {
                c.unverifiable += 1;
            } else if f.informational.is_some() {
                c.informational += 1;
            } else {
                c.vulnerabilities += 1;
            }
        }
        c
    }
}

pub fn run(db_flag: Option<&Path>, args: QueryArgs) -> anyhow::Result<ExitCode> {
    let ecosystem = parse_ecosystem(&args.ecosystem)?;
    let db = open_for_matching(db_flag, &args.advisories)?;
    // No data for the ecosystem: cannot judge, which is not "no advisory".
    if let Some(gap) = db.coverage()?.gap(&ecosystem) {
        bail!(
            "{} {} {}: cannot judge: {gap} (it holds {}); run `cverun db update --ecosystem {}` or import its advisories",
            ecosystem.osv_name(),
            args.package,
            args.version,
            db.coverage()?
                .ecosystems
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            ecosystem.osv_name()
        );
    }
    let query = PackageQuery {
        ecosystem: ecosystem.clone(),
        name: args.package.clone(),
        version: args.version.clone(),
    };
    let findings = db
        .find(std::slice::from_ref(&query))?
        .pop()
        .unwrap_or_default();
    let snapshot = db.snapshot()?;
    let freshness = super::freshness(&snapshot, args.max_db_age)?;
    let counts = Counts::of(&findings);
    // A package no advisory names may be a typo: say so, with close names.
    let unknown = if db.names_package(&ecosystem, &args.package)? {
        None
    } else {
        Some(db.similar_packages(&ecosystem, &args.package, 3)?)
    };
    let code = if freshness.enforced && !freshness.stale.is_empty() {
        ExitCode::from(2)
    } else if counts.vulnerabilities + counts.unverifiable > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    if args.format == Format::Json {
        output::report(args.output.output.as_deref(), |r| {
            r.json(&QueryJson {
                schema: "cverun.query/1",
                database: &snapshot,
                ecosystem: ecosystem.osv_name(),
                package: &args.package,
                version: &args.version,
                summary: counts,
                findings: &findings,
                freshness: &freshness,
                advisories_name_package: unknown.is_none(),
                did_you_mean: unknown.unwrap_or_default(),
            })
        })?;
        return Ok(code);
    }
    let mut t = String::new();

    let head = format!("{} {} {}", ecosystem.osv_name(), args.package, args.version);
    if findings.is_empty() {
        writeln!(
            t,
            "{}: {}",
            paint(BOLD, &head),
            paint(GREEN, "no known advisory affects this version")
        )?;
        if let Some(close) = &unknown {
            writeln!(
                t,
                "  {}",
                paint(
                    YELLOW,
                    super::no_advisory_names(ecosystem.osv_name(), &args.package, close)
                )
            )?;
        }
    } else {
        let mut parts = Vec::new();
        if counts.vulnerabilities > 0 {
            parts.push(paint(
                RED,
                count(counts.vulnerabilities, "vulnerability", "vulnerabilities"),
            ));
        }
        if counts.unverifiable > 0 {
            parts.push(paint(
                YELLOW,
                format!("{} unverifiable", counts.unverifiable),
            ));
        }
        if counts.informational > 0 {
            parts.push(paint(
                CYAN,
                format!("{} informational", counts.informational),
            ));
        }
        writeln!(t, "{}: {}", paint(BOLD, &head), parts.join(", "))?;
    }
    for f in &findings {
        print_finding(&mut t, f)?;
    }
    writeln!(
        t,
        "{}",
        paint(
            DIM,
            format!(
                "advisories: {} (snapshot {}, {} sources)",
                snapshot.location,
                short_hash(&snapshot.id),
                snapshot.sources.len()
            )
        )
    )?;
    t.push_str(&super::freshness_text(&freshness));
    output::report(args.output.output.as_deref(), |r| r.text(&t))?;
    super::warn_freshness(&freshness);
    Ok(code)
}

fn print_finding(t: &mut String, f: &Finding) -> std::fmt::Result {
    let tag = if f.unverifiable.is_some() {
        paint(YELLOW, "UNVERIFIABLE")
    } else if let Some(kind) = &f.informational {
        paint(CYAN, kind.to_uppercase())
    } else {
        paint(RED, "VULNERABLE")
    };
    let aliases = if f.aliases.is_empty() {
        String::new()
    } else {
        format!(" ({})", f.aliases.join(", "))
    };
    writeln!(t)?;
    writeln!(t, "  {tag} {}{aliases}", paint(BOLD, &f.advisory))?;
    if let Some(s) = &f.summary {
        writeln!(t, "    {s}")?;
    }
    for m in &f.matched {
        writeln!(t, "    matched {} ({})", m.how.describe(), m.record)?;
    }
    if let Some(reason) = &f.unverifiable {
        writeln!(t, "    cannot decide: {reason}")?;
    }
    if f.unverifiable.is_none() {
        if f.fixed.is_empty() {
            writeln!(
                t,
                "    fixed in: {}",
                paint(YELLOW, "no fixed version known")
            )?;
        } else {
            writeln!(t, "    fixed in: {}", f.fixed.join(", "))?;
        }
    }
    Ok(())
}
