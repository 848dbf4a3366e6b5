//! `cverun exceptions check [PATH...]`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use cverun_scan::triage::today;
use cverun_triage::exceptions::{CheckProblem, Severity, check};
use serde::Serialize;

use super::now;
use crate::cli::{ExceptionsCommand, Format};
use crate::output::{self, DIM, GREEN, RED, YELLOW, paint};

#[derive(Serialize)]
struct CheckReport {
    schema: &'static str,
    today: String,
    files: Vec<String>,
    entries: Vec<Entry>,
    problems: Vec<CheckProblem>,
}

#[derive(Serialize)]
struct Entry {
    location: String,
    scope: String,
    owner: String,
    approved_by: String,
    expires: Option<String>,
    days_left: Option<i64>,
    valid: bool,
}

pub fn run(cmd: ExceptionsCommand) -> anyhow::Result<ExitCode> {
    let ExceptionsCommand::Check {
        paths,
        exceptions,
        policy,
        format,
        output: out,
    } = cmd;
    let roots: Vec<PathBuf> = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    };
    let t = super::load_triage(&roots, policy.as_deref(), &exceptions)?;
    let day = today(now()?);
    let problems = check(&t.exceptions, day, &t.policy.exception_max_days);
    let entries: Vec<Entry> = t
        .exceptions
        .entries
        .iter()
        .map(|e| Entry {
            location: e.location(),
            scope: e.scope_text(),
            owner: e.owner.clone(),
            approved_by: e.approved_by.clone(),
            expires: e.expires.map(|d| d.to_string()),
            days_left: e.expires.map(|x| i64::from((x - day).get_days())),
            valid: e.problems.is_empty(),
        })
        .collect();
    let errors = problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .count();
    let report = CheckReport {
        schema: "cverun.exceptions-check/1",
        today: day.to_string(),
        files: t
            .exceptions
            .sources
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        entries,
        problems,
    };
    match format {
        Format::Json => output::report(out.output.as_deref(), |r| r.json(&report))?,
        Format::Table => {
            let mut t = String::new();
            if report.files.is_empty() {
                writeln!(
                    t,
                    "No exceptions file found (looked for cverun-exceptions.toml and [[exception]] in cverun.toml)."
                )?;
            }
            for e in &report.entries {
                let left = match e.days_left {
                    Some(d) if d < 0 => paint(
                        RED,
                        format!("expired {} ago", output::count(-d as usize, "day", "days")),
                    ),
                    Some(d) => format!("{} left", output::count(d as usize, "day", "days")),
                    None => paint(RED, "no valid expiry"),
                };
                writeln!(
                    t,
                    "{}  {}  owner {}, approved by {}, expires {} ({left})",
                    paint(DIM, &e.location),
                    e.scope,
                    e.owner,
                    e.approved_by,
                    e.expires.as_deref().unwrap_or("-"),
                )?;
            }
            for p in &report.problems {
                let style = if p.severity == Severity::Error {
                    RED
                } else {
                    YELLOW
                };
                writeln!(t, "{}", paint(style, p))?;
            }
            let verdict = if errors == 0 {
                paint(GREEN, "valid")
            } else {
                paint(
                    RED,
                    format!("{errors} error(s): these entries suppress nothing"),
                )
            };
            writeln!(
                t,
                "{} exception(s) in {} file(s) on {}: {verdict}",
                report.entries.len(),
                report.files.len(),
                report.today
            )?;
            output::report(out.output.as_deref(), |r| r.text(&t))?;
        }
    }
    Ok(ExitCode::from(u8::from(errors > 0)))
}
