//! What `cverun fix` shows: the plan, the work on each service's files, and when
//! applied, what each command did, the tests, the branch and commits, and the
//! re-scan compared with the state before. JSON is [`FixReport`] serialised; the
//! text is [`render`]. Both are built here so every front end shows the same.

use std::fmt::Write as _;

use serde::Serialize;

use crate::change::{FixPlan, ServiceFix};
use crate::work::ServiceWork;

/// The JSON schema name of [`FixReport`].
pub const SCHEMA: &str = "cverun.fix/1";

/// The outcome of `cverun fix`.
#[derive(Clone, Debug, Serialize)]
pub struct FixReport {
    /// `cverun.fix/1`.
    pub schema: &'static str,
    /// `dry-run` or `apply`.
    pub mode: &'static str,
    /// The plan.
    pub plan: FixPlan,
    /// Per service with changes: the work on its files and, when applied, its
    /// outcome.
    pub services: Vec<ServiceOutcome>,
    /// Per repository, when applied: the branch, commits and the re-scan.
    pub repositories: Vec<RepositoryOutcome>,
    /// Whether everything asked was done (applied) or can be done (dry run):
    /// nothing refused, failed, missing or unfixable, no unreadable file.
    pub complete: bool,
}

/// One service's work and outcome.
#[derive(Clone, Debug, Serialize)]
pub struct ServiceOutcome {
    /// Service.
    pub service: String,
    /// `planned` (dry run), `applied`, `unchanged` (already fixed on the
    /// branch), `incomplete` (something refused or a tool missing), `failed` (a
    /// command or the check failed; nothing of it committed).
    pub status: &'static str,
    /// The files and commands.
    pub work: ServiceWork,
    /// Each command run, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub runs: Vec<CommandRun>,
    /// Test runs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tests: Vec<TestRun>,
}

/// One command run.
#[derive(Clone, Debug, Serialize)]
pub struct CommandRun {
    /// The command as a person would type it.
    pub command: String,
    /// `done`, `missing` (the tool is not installed: run it by hand), `failed`.
    pub outcome: &'static str,
    /// Exit status, when it ran.
    pub status: Option<i32>,
    /// How long it took.
    pub duration_ms: u64,
    /// The end of its output, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// The package the tool says prevents the version, when it names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocking: Option<String>,
}

/// One run of the service's tests on the change.
#[derive(Clone, Debug, Serialize)]
pub struct TestRun {
    /// The change tested (`package from -> to`, or `all`).
    pub change: String,
    /// The command.
    pub command: String,
    /// Exit status (`None`: killed or timed out).
    pub status: Option<i32>,
    /// How long it took.
    pub duration_ms: u64,
    /// Whether it passed.
    pub passed: bool,
    /// Whether the change was kept (`--keep-passing` drops failing ones).
    pub kept: bool,
}

/// One repository's branch.
#[derive(Clone, Debug, Serialize)]
pub struct RepositoryOutcome {
    /// The repository's top directory.
    pub repository: String,
    /// The hotfix branch.
    pub branch: String,
    /// The base asked.
    pub base: String,
    /// The commit the branch started from in this run.
    pub start: String,
    /// Whether the branch was created by this run.
    pub created: bool,
    /// Commits made by this run.
    pub commits: Vec<Commit>,
    /// The remote pushed to, when asked and done.
    pub pushed: Option<String>,
    /// The re-scan of the branch compared with its state before the change.
    pub verification: Option<serde_json::Value>,
    /// The pull-request body.
    pub pull_request: Option<String>,
}

/// One commit.
#[derive(Clone, Debug, Serialize)]
pub struct Commit {
    /// The service, or `all` for one commit of every service.
    pub service: String,
    /// Its id.
    pub commit: String,
    /// Its message's first line.
    pub subject: String,
}

fn change_line(c: &crate::change::Change) -> String {
    let mut s = format!("{} {} -> {}", c.package, c.from, c.to);
    match c.breaking {
        Some(true) => s.push_str(" (breaking)"),
        None => s.push_str(" (upgrade kind unknown)"),
        Some(false) => {}
    }
    if let Some(n) = &c.note {
        let _ = write!(s, " ({n})");
    }
    s
}

/// The text of a fix report: per service, the changes (what each fixes and
/// leaves), the diffs, the commands, and the outcome; then what cannot be done.
pub fn render(r: &FixReport) -> String {
    use cverun_scan::render::style::{BOLD as bold, GREEN as green, RED as red, count, paint};
    let p = &r.plan;
    let mut out = String::new();
    let asked = if p.advisories.is_empty() {
        "every vulnerability found".to_owned()
    } else {
        p.advisories.join(", ")
    };
    let _ = writeln!(
        out,
        "{} ({}, target {}): {}, {} in {}",
        paint(bold, "cverun fix"),
        r.mode,
        p.target.as_str(),
        asked,
        count(p.summary.changes, "change", "changes"),
        count(p.summary.services, "service", "services"),
    );
    if let Some(d) = p.proposed_decision {
        let _ = writeln!(out, "proposed decision: {d}");
    }
    for s in &r.services {
        let fix: Option<&ServiceFix> = p.services.iter().find(|x| *x.service == *s.service);
        let status = match s.status {
            "applied" | "unchanged" | "planned" => paint(green, s.status),
            other => paint(red, other),
        };
        let _ = writeln!(out, "\n{} [{status}]", paint(bold, &s.service));
        if let Some(f) = fix {
            for c in &f.changes {
                let _ = writeln!(out, "  {}", change_line(c));
                let _ = write!(out, "    fixes {}", c.fixes.join(", "));
                if !c.leaves.is_empty() {
                    let _ = write!(out, "; leaves {}", c.leaves.join(", "));
                }
                if !c.introduces.is_empty() {
                    let _ = write!(out, "; brings {}", c.introduces.join(", "));
                }
                let _ = writeln!(
                    out,
                    " [{}{}]",
                    c.manifest,
                    c.line.map(|l| format!(":{l}")).unwrap_or_default()
                );
                if !c.via.is_empty() {
                    let _ = writeln!(out, "    via {}", c.via.join(" > "));
                }
            }
        }
        for e in &s.work.edits {
            for line in e.diff.lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
        for l in &s.work.locks {
            if l.commands.is_empty() {
                let _ = writeln!(out, "  {} checked by:", l.file);
            } else {
                let _ = writeln!(out, "  {} regenerated by:", l.file);
                for c in &l.commands {
                    let _ = writeln!(out, "    $ {c}");
                }
                if l.check.is_some() {
                    let _ = writeln!(out, "  then checked by:");
                }
            }
            if let Some(c) = &l.check {
                let _ = writeln!(out, "    $ {c}");
            }
        }
        for run in &s.runs {
            let _ = writeln!(
                out,
                "  {} {} ({} ms){}",
                match run.outcome {
                    "done" => paint(green, "ran"),
                    o => paint(red, o),
                },
                run.command,
                run.duration_ms,
                run.blocking
                    .as_ref()
                    .map(|b| format!(": blocked by {b}"))
                    .unwrap_or_default()
            );
            if let Some(o) = &run.output {
                for line in o
                    .lines()
                    .rev()
                    .take(8)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                {
                    let _ = writeln!(out, "      | {line}");
                }
            }
        }
        for t in &s.tests {
            let _ = writeln!(
                out,
                "  tests {} on {}: {} ({} ms){}",
                t.command,
                t.change,
                if t.passed {
                    paint(green, "passed")
                } else {
                    paint(red, "failed")
                },
                t.duration_ms,
                if t.kept { "" } else { ", change dropped" }
            );
        }
        for x in &s.work.refused {
            let _ = writeln!(
                out,
                "  {} {}: {}",
                paint(red, "cannot:"),
                x.change,
                x.refusal.reason
            );
            if let Some(m) = &x.refusal.manual {
                let _ = writeln!(out, "    by hand: {m}");
            }
        }
    }
    for repo in &r.repositories {
        let _ = writeln!(
            out,
            "\n{} {} ({} from {})",
            paint(bold, "branch"),
            repo.branch,
            if repo.created { "created" } else { "existing" },
            short(&repo.start)
        );
        if repo.commits.is_empty() {
            let _ = writeln!(out, "  no commit: nothing left to change");
        }
        for c in &repo.commits {
            let _ = writeln!(out, "  {} {}", short(&c.commit), c.subject);
        }
        if let Some(remote) = &repo.pushed {
            let _ = writeln!(out, "  pushed to {remote}");
        }
    }
    if !p.not_fixable.is_empty() || !p.unverifiable.is_empty() {
        let _ = writeln!(out, "\n{}", paint(red, "not fixed"));
        for n in p.not_fixable.iter().chain(&p.unverifiable) {
            let _ = writeln!(
                out,
                "  {} {} {} ({}): {}",
                n.service,
                n.package,
                n.version,
                n.advisories.join(", "),
                n.reason
            );
        }
    }
    if !p.not_found.is_empty() {
        let _ = writeln!(
            out,
            "\nno service has {}{}",
            p.not_found.join(", "),
            if p.errors.is_empty() && p.not_checked == 0 {
                ""
            } else {
                " (but the scan is incomplete: see the errors and packages not checked)"
            }
        );
    }
    for e in &p.errors {
        let _ = writeln!(
            out,
            "{} {}{}: {}",
            paint(red, "error:"),
            e.file,
            e.line.map(|l| format!(":{l}")).unwrap_or_default(),
            e.message
        );
    }
    if p.not_checked > 0 {
        let _ = writeln!(
            out,
            "{} not checked (no advisory data for their ecosystem)",
            count(p.not_checked, "package", "packages")
        );
    }
    let _ = writeln!(
        out,
        "\n{}",
        if r.complete {
            paint(green, "complete")
        } else {
            paint(red, "INCOMPLETE: see above")
        }
    );
    out
}

fn short(c: &str) -> &str {
    &c[..c.len().min(12)]
}
