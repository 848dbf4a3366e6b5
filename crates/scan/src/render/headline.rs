//! The answer every human report starts with, in at most [`MAX_LINES`] lines:
//!
//! 1. what was scanned and the verdict (scan), or what to do (plan);
//! 2. vulnerable packages by priority, and each priority's deadline;
//! 3. the next deadline and what is due then;
//! 4. the services hit;
//! 5. to 9. what was not judged: unreadable files, packages not checked, services
//!    with nothing checked and files not read, unverifiable findings, exception
//!    problems and suppressed findings (each line only when there is something);
//! 10. the advisory data snapshot and the age of its oldest source;
//! 11. the warning about old data, when there is one.

use std::fmt::Write as _;

use cverun_db::Freshness;
use cverun_triage::policy::Level;
use jiff::Timestamp;

use super::style::{DIM, RED, YELLOW, count, elide, fit_list, local_time, paint, until};
use crate::report::ByLevel;

/// The most lines a summary takes (`--summary` prints only these).
pub const MAX_LINES: usize = 12;

/// What the summary says; built from a scan report or a plan.
#[derive(Clone, Debug, Default)]
pub struct Headline {
    /// The first line (already styled).
    pub first: String,
    /// Vulnerable packages (rows) per priority, suppressed ones aside.
    pub priorities: ByLevel,
    /// The deadline of each priority present, most urgent first.
    pub deadlines: Vec<(Level, Timestamp)>,
    /// The next deadline: its level, and the rows due then (`package version in
    /// service`), most urgent first.
    pub next: Option<(Level, Timestamp, Vec<String>)>,
    /// When the report was made.
    pub now: Option<Timestamp>,
    /// Services with a vulnerable package, most urgent first.
    pub services_hit: Vec<String>,
    /// Files or roots that could not be read.
    pub errors: usize,
    /// Packages not checked, and their ecosystems.
    pub not_checked: usize,
    /// Their ecosystems.
    pub ecosystems_not_checked: Vec<String>,
    /// Whether to add the `db update` hint to the not-checked line.
    pub update_hint: bool,
    /// Services with nothing checked.
    pub services_not_checked: usize,
    /// Files recognised but not read.
    pub not_read: usize,
    /// Unverifiable findings.
    pub unverifiable: usize,
    /// Exception problems, and how many are errors.
    pub exception_problems: (usize, usize),
    /// Findings (or rows) suppressed by exceptions.
    pub suppressed: usize,
    /// The database snapshot id and number of sources.
    pub snapshot: (String, usize),
    /// How current the data is.
    pub freshness: Option<Freshness>,
    /// `scan` or `plan`, for the incomplete line.
    pub what: &'static str,
}

impl Headline {
    /// The summary lines, each fitted to `width` where it lists names; `styled`
    /// with colours.
    pub fn lines(&self, width: usize, styled: bool) -> Vec<String> {
        let style = |s: anstyle::Style, t: String| if styled { paint(s, t) } else { t };
        let mut out = vec![self.first.clone()];
        let p = &self.priorities;
        let total = p.p0 + p.p1 + p.p2 + p.routine;
        if total > 0 {
            let due: Vec<String> = self
                .deadlines
                .iter()
                .map(|(l, t)| format!("{l} by {}", local_time(*t)))
                .collect();
            let line = format!(
                "Act on: P0 {} · P1 {} · P2 {} · routine {} ({}); due {}",
                p.p0,
                p.p1,
                p.p2,
                p.routine,
                count(total, "package", "packages"),
                due.join(" · ")
            );
            out.push(line);
        }
        if let Some((level, due, what)) = &self.next {
            let when = match self.now {
                Some(now) => format!("{}, {}", local_time(*due), until(now, *due)),
                None => local_time(*due),
            };
            let head = format!("Next deadline: {level} {when}: ");
            let rest = width.saturating_sub(head.chars().count()).max(20);
            let line = format!("{head}{}", fit_list(what, rest));
            out.push(match level {
                Level::P0 | Level::P1 => style(RED, line),
                _ => line,
            });
        }
        if !self.services_hit.is_empty() {
            let head = format!("Services hit ({}): ", self.services_hit.len());
            let rest = width.saturating_sub(head.chars().count()).max(20);
            out.push(format!("{head}{}", fit_list(&self.services_hit, rest)));
        }
        if self.errors > 0 {
            out.push(style(
                RED,
                format!(
                    "{} (files or directories that could not be read or held nothing to check): this {} is incomplete",
                    count(self.errors, "error", "errors"),
                    self.what
                ),
            ));
        }
        if self.not_checked > 0 {
            let hint = if self.update_hint {
                format!(
                    " (cverun db update --ecosystem {})",
                    self.ecosystems_not_checked.join(",")
                )
            } else {
                String::new()
            };
            out.push(style(
                RED,
                format!(
                    "{} NOT CHECKED: no advisory data for {} in this database{hint}",
                    count(self.not_checked, "package", "packages"),
                    self.ecosystems_not_checked.join(", "),
                ),
            ));
        }
        if self.services_not_checked > 0 || self.not_read > 0 {
            out.push(style(
                YELLOW,
                format!(
                    "{} with nothing checked, {} not read",
                    count(self.services_not_checked, "service", "services"),
                    count(self.not_read, "file", "files")
                ),
            ));
        }
        if self.unverifiable > 0 {
            out.push(style(
                YELLOW,
                format!(
                    "{} cannot be judged: check by hand (listed below)",
                    count(
                        self.unverifiable,
                        "unverifiable finding",
                        "unverifiable findings"
                    )
                ),
            ));
        }
        let (problems, errors) = self.exception_problems;
        if problems > 0 || self.suppressed > 0 {
            let mut parts = Vec::new();
            if self.suppressed > 0 {
                parts.push(format!("{} suppressed by exceptions", self.suppressed));
            }
            if problems > 0 {
                parts.push(format!(
                    "{} ({} failing)",
                    count(problems, "exception problem", "exception problems"),
                    errors
                ));
            }
            let line = parts.join(", ");
            out.push(if errors > 0 { style(RED, line) } else { line });
        }
        let (id, sources) = &self.snapshot;
        let mut data = format!(
            "Data: snapshot {} ({})",
            &id[..id.len().min(12)],
            count(*sources, "source", "sources")
        );
        if let Some(f) = &self.freshness {
            let oldest = f
                .sources
                .iter()
                .filter(|a| a.age_days.is_some())
                .max_by_key(|a| a.age_days);
            match (oldest, f.sources.iter().any(|a| a.age_days.is_none())) {
                (_, true) => data.push_str(", a source of unknown age"),
                (Some(a), false) => {
                    let d = a.age_days.unwrap_or_default();
                    let _ = write!(
                        data,
                        ", oldest {}: {}",
                        a.source,
                        count(d as usize, "day old", "days old")
                    );
                }
                (None, false) => {}
            }
        }
        out.push(style(DIM, elide(&data, width)));
        if let Some(f) = &self.freshness {
            if let Some(w) = f.warning() {
                let (s, label) = if f.enforced {
                    (RED, "error:")
                } else {
                    (YELLOW, "warning:")
                };
                out.push(format!("{} {w}", style(s, label.to_owned())));
            }
        }
        out
    }

    /// The lines as text, one per line.
    pub fn render(&self, width: usize, styled: bool) -> String {
        let mut s = String::new();
        for l in self.lines(width, styled) {
            s.push_str(&l);
            s.push('\n');
        }
        s
    }
}
