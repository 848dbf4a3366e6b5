//! The pull-request body of a hotfix branch, rendered from a template
//! (minijinja; the built-in one is `templates/pull-request.md.j2`, a team may
//! give its own): the advisories fixed, each change with its versions before and
//! after, the re-scan of the branch against its base, the tests, and what remains.
//!
//! Rendering is strict: a variable the template names that the context does not
//! hold is an error naming the template and the variable, never an empty string.

use std::path::Path;

use cverun_inventory::read::{Class, read_text};
use serde::Serialize;

use crate::change::FixPlan;
use crate::report::{RepositoryOutcome, ServiceOutcome};

/// The built-in template.
pub const BUILT_IN: &str = include_str!("../templates/pull-request.md.j2");

#[derive(Serialize)]
struct Row<'a> {
    service: &'a str,
    package: &'a str,
    from: &'a str,
    to: &'a str,
    fixes: &'a [String],
    leaves: &'a [String],
}

#[derive(Serialize)]
struct Test<'a> {
    service: &'a str,
    command: &'a str,
    change: &'a str,
    status: Option<i32>,
    passed: bool,
    kept: bool,
}

/// A Markdown table cell: `|` escaped, lines joined.
fn cell(v: String) -> String {
    v.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// The body for `repo`, from the template at `template` (built-in when `None`).
pub fn render(
    template: Option<&Path>,
    plan: &FixPlan,
    services: &[ServiceOutcome],
    repo: &RepositoryOutcome,
    incident: Option<&str>,
) -> Result<String, String> {
    let (name, source) = match template {
        Some(p) => (
            p.display().to_string(),
            read_text(p, Class::Config).map_err(|e| {
                format!(
                    "{}: cannot be read: {}",
                    p.display(),
                    cverun_inventory::io_message(&e)
                )
            })?,
        ),
        None => (
            "built-in pull-request template".to_owned(),
            BUILT_IN.to_owned(),
        ),
    };
    let mut env = minijinja::Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.add_filter("cell", cell);
    env.add_template("body", &source)
        .map_err(|e| format!("{name}: {e}"))?;
    let changes: Vec<Row> = plan
        .services
        .iter()
        .flat_map(|s| {
            s.changes.iter().map(move |c| Row {
                service: &s.service,
                package: &c.package,
                from: &c.from,
                to: &c.to,
                fixes: &c.fixes,
                leaves: &c.leaves,
            })
        })
        .collect();
    let tests: Vec<Test> = services
        .iter()
        .flat_map(|s| {
            s.tests.iter().map(move |t| Test {
                service: &s.service,
                command: &t.command,
                change: &t.change,
                status: t.status,
                passed: t.passed,
                kept: t.kept,
            })
        })
        .collect();
    let mut remaining: Vec<String> = Vec::new();
    for s in services {
        for r in &s.work.refused {
            remaining.push(format!(
                "{}: {} ({}): {}",
                s.service, r.change, r.file, r.refusal.reason
            ));
        }
        for run in s.runs.iter().filter(|r| r.outcome != "done") {
            remaining.push(format!("{}: `{}` {}", s.service, run.command, run.outcome));
        }
    }
    for n in plan.not_fixable.iter().chain(&plan.unverifiable) {
        remaining.push(format!(
            "{}: {} {} ({}): {}",
            n.service,
            n.package,
            n.version,
            n.advisories.join(", "),
            n.reason
        ));
    }
    let verification = repo.verification.as_ref().map(|v| {
        let n = |k: &str| {
            v.pointer(&format!("/totals/{k}"))
                .and_then(|x| x.as_u64())
                .unwrap_or(0)
        };
        format!(
            "{} fixed, {} remaining, {} introduced (verification sha256 {})",
            n("fixed"),
            n("remaining"),
            n("introduced"),
            v.get("sha256").and_then(|x| x.as_str()).unwrap_or("-")
        )
    });
    let title = match plan.advisories.as_slice() {
        [] => "Fix vulnerable dependencies".to_owned(),
        ids => format!("Fix {}", ids.join(", ")),
    };
    let ctx = minijinja::context! {
        title => title,
        advisories => plan.advisories,
        incident => incident,
        changes => changes,
        verification => verification,
        tests => tests,
        remaining => remaining,
        branch => repo.branch,
        start => repo.start,
        version => env!("CARGO_PKG_VERSION"),
    };
    env.get_template("body")
        .and_then(|t| t.render(ctx))
        .map_err(|e| format!("{name}: {e}"))
}
