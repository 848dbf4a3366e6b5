//! The pieces of text every incident view shares: one line per event, a deadline's
//! state, the SIMULATED banner, and what `incident declare` and each action print.

use std::fmt::Write as _;

use cverun_scan::render::style::{BOLD, CYAN, DIM, GREEN, RED, YELLOW, paint};
use jiff::Timestamp;

use crate::clocks::{self, Deadline, DeadlineState};
use crate::event::{Event, EventBody};
use crate::interval::human_minutes;
use crate::model::Priority;
use crate::state::Incident;

/// The marker every table of a simulated store starts with.
pub const SIMULATED_BANNER: &str =
    "SIMULATED store: times come from CVERUN_NOW (a replay), not from a clock";

/// [`SIMULATED_BANNER`] as the first line of a table when `simulated`, else nothing.
pub fn banner(simulated: bool) -> String {
    if simulated {
        format!("{}\n", paint(YELLOW, SIMULATED_BANNER))
    } else {
        String::new()
    }
}

/// The first 12 characters of a hash, for tables (stored hashes may have been
/// tampered with, so this never slices bytes).
pub fn short_hash(h: &str) -> String {
    h.chars().take(12).collect()
}

/// `text` in the colour of priority `p` (P0 red, P1 yellow, P2 cyan).
pub fn paint_priority(p: Priority, text: impl std::fmt::Display) -> String {
    match p {
        Priority::P0 => paint(RED, text),
        Priority::P1 => paint(YELLOW, text),
        Priority::P2 => paint(CYAN, text),
    }
}

/// A length of time for people: `1h30m`.
pub(crate) fn span(seconds: i64) -> String {
    human_minutes(seconds)
}

pub(crate) use cverun_scan::render::style::{count, elide as truncate};

/// A clock key as a table shows it: `deployment` for `target:deployment`.
pub(crate) fn short_clock(clock: &str) -> String {
    match clock.split_once(':') {
        Some(("target", p)) => p.to_owned(),
        Some(("update", _)) => "update".to_owned(),
        Some(("regulatory", r)) => r.to_owned(),
        _ => clock.to_owned(),
    }
}

/// An event's details as JSON (the stored text as a string when it is not JSON,
/// as a tampered event's may be).
pub(crate) fn details(e: &Event) -> serde_json::Value {
    serde_json::from_str(&e.details).unwrap_or(serde_json::Value::String(e.details.clone()))
}

/// A time for people: the local time zone, to the minute (`2026-11-23 13:00 +01:00`);
/// JSON keeps RFC 3339.
pub fn when(t: jiff::Timestamp) -> String {
    cverun_scan::render::style::local_time(t)
}

/// A deadline's state for people: met (green), late (yellow), pending with the
/// time left, overdue (red) with by how much, stopped (dim).
pub fn deadline(d: &Deadline) -> String {
    match d.state {
        DeadlineState::Met { at } => paint(GREEN, format!("met at {}", when(at))),
        DeadlineState::Late { at } => paint(YELLOW, format!("met late at {}", when(at))),
        DeadlineState::Pending => format!("due {} ({} left)", when(d.due), span(d.seconds_left)),
        DeadlineState::Overdue => paint(
            RED,
            format!("due {} (overdue by {})", when(d.due), span(-d.seconds_left)),
        ),
        DeadlineState::Stopped => paint(DIM, format!("due {} (stopped)", when(d.due))),
    }
}

/// One line per event, for people.
pub fn describe(e: &Event) -> String {
    let body = match e.body() {
        Ok(b) => b,
        Err(m) => return format!("{} ({m})", e.kind),
    };
    match body {
        EventBody::Declared {
            advisory,
            priority,
            explanation,
            services,
            scope,
            duplicate,
            ..
        } => {
            let mut s = format!("declared for {advisory}, {priority} ({explanation})");
            if !services.is_empty() {
                s.push_str(&format!(", services: {}", services.join(", ")));
            }
            if let Some(scope) = scope {
                s.push_str(&format!(", scope {scope}"));
            }
            match duplicate {
                Some(crate::event::Duplicate::Of(id)) => {
                    s.push_str(&format!(", a duplicate of {id} worked apart"))
                }
                Some(crate::event::Duplicate::Allowed(why)) => {
                    s.push_str(&format!(", declared beside an open incident of it: {why}"))
                }
                None => {}
            }
            s
        }
        EventBody::Assigned {
            role,
            name,
            previous,
        } => match previous {
            Some(p) => format!("{role}: {name} (handed over from {p})"),
            None => format!("{role}: {name}"),
        },
        EventBody::Checked {
            phase,
            item,
            text,
            ahead,
        } => match ahead {
            Some(r) => format!(
                "checked {}/{item} AHEAD of its phase: {text} (reason: {r})",
                phase.key()
            ),
            None => format!("checked {}/{item}: {text}", phase.key()),
        },
        EventBody::Unchecked {
            phase,
            item,
            reason,
        } => format!("unchecked {}/{item}: {reason}", phase.key()),
        EventBody::Note { text } => format!("note: {text}"),
        EventBody::Roster { people } => format!(
            "roster recorded: {}",
            people
                .iter()
                .map(|p| p.handle.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        EventBody::Advanced {
            from,
            to,
            reason,
            forced,
        } => {
            let mut s = format!("{from} -> {to}");
            if let Some(f) = forced {
                let _ = write!(
                    s,
                    " FORCED with {} open ({}): {}",
                    f.open.len(),
                    f.open.join(", "),
                    f.reason
                );
            } else if let Some(r) = reason {
                let _ = write!(s, ": {r}");
            }
            s
        }
        EventBody::Cancelled { from, reason } => format!("cancelled in {from}: {reason}"),
        EventBody::Reopened { from, to, reason } => format!("reopened ({from} -> {to}): {reason}"),
        EventBody::Decided {
            decision,
            rationale,
            previous,
        } => match previous {
            Some(p) => format!("decision: {decision} (was {p}): {rationale}"),
            None => format!("decision: {decision}: {rationale}"),
        },
        EventBody::Approved { kind } => format!("approved deployment as {kind}"),
        EventBody::Updated {
            message,
            eta,
            next_due,
        } => format!(
            "update: {message}{}{}",
            eta.map(|e| format!(" [ETA {}]", when(e)))
                .unwrap_or_default(),
            match next_due {
                Some(d) => format!(" (next update due {})", when(d)),
                None => " (the resolution message: no further update due)".to_owned(),
            }
        ),
        EventBody::Impact { label, .. } => format!("impact: {label}"),
        EventBody::Priority {
            from,
            to,
            explanation,
            ..
        } => format!("priority {from} -> {to}: {explanation}"),
        EventBody::Aware { became_aware_at } => {
            format!(
                "became aware at {} (regulatory clocks start)",
                when(became_aware_at)
            )
        }
        EventBody::Notified { label, note, .. } => format!(
            "notified: {label}{}",
            note.map(|n| format!(" ({n})")).unwrap_or_default()
        ),
        EventBody::Escalated { to, reason, .. } => {
            format!("ESCALATED to {}: {reason}", to.join(", "))
        }
        EventBody::Overdue { what, deadline, .. } => {
            format!("OVERDUE: {what} (due {})", when(deadline))
        }
        EventBody::Evidence {
            file,
            manifest_sha256,
            members,
            ..
        } => format!(
            "evidence {file}: {members} members, manifest sha256 {}",
            short_hash(&manifest_sha256)
        ),
    }
}

/// What an action prints: one `recorded` line per event it appended, then the
/// incident's phase and priority after it.
pub fn recorded(inc: &Incident, events: &[Event], simulated: bool) -> String {
    let mut out = banner(simulated);
    for e in events {
        let _ = writeln!(
            out,
            "{} {} #{}: {}",
            paint(GREEN, "recorded"),
            paint(BOLD, &inc.id),
            e.seq,
            describe(e)
        );
    }
    let _ = writeln!(
        out,
        "  {} {}, {}",
        paint(DIM, "now"),
        inc.phase,
        paint_priority(inc.priority, inc.priority)
    );
    out
}

/// What `incident declare` prints: the incident, the events recorded with the
/// declaration after the first, and the current phase's target at `now`.
pub fn declared(inc: &Incident, events: &[Event], now: Timestamp, simulated: bool) -> String {
    let mut out = banner(simulated);
    let _ = writeln!(
        out,
        "{} {} {} {}: {}",
        paint(GREEN, "declared"),
        paint(BOLD, &inc.id),
        paint_priority(inc.priority, inc.priority),
        inc.advisory,
        inc.title
    );
    for e in events.iter().skip(1) {
        let _ = writeln!(out, "  {}", describe(e));
    }
    let ds = clocks::deadlines(inc, now);
    if let Some(d) = ds.iter().find(|d| d.clock.starts_with("target:")) {
        let _ = writeln!(out, "  {}: {}", d.label, deadline(d));
    }
    out
}
