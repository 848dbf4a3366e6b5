//! The pieces of text every incident view shares: one line per event, a deadline's
//! state, the SIMULATED banner, and what `incident declare` and each action print.

use std::fmt::Write as _;

use cverun_scan::render::style::{BOLD, CYAN, DIM, GREEN, RED, YELLOW, paint};
use jiff::Timestamp;

use crate::clocks::{self, Deadline, DeadlineState};
use crate::event::{Event, EventBody};
use crate::interval::human_minutes;
use crate::model::Priority;
use crate::remediation::{AdvisoryState, FixApplied, FixPlanned, FixTested, Verified};
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
            by,
            forced,
        } => {
            let mut s = match (&ahead, by) {
                (Some(_), Some(by)) => format!(
                    "checked {}/{item} AHEAD of its phase by cverun {by}: {text}",
                    phase.key()
                ),
                (Some(r), None) => format!(
                    "checked {}/{item} AHEAD of its phase: {text} (reason: {r})",
                    phase.key()
                ),
                (None, Some(by)) => {
                    format!("checked {}/{item} by cverun {by}: {text}", phase.key())
                }
                (None, None) => format!("checked {}/{item}: {text}", phase.key()),
            };
            if let Some(r) = forced {
                if ahead.as_deref() == Some(r.as_str()) {
                    s.push_str(" FORCED by hand");
                } else {
                    let _ = write!(s, " FORCED by hand (reason: {r})");
                }
            }
            s
        }
        EventBody::Unchecked {
            phase,
            item,
            reason,
        } => format!("unchecked {}/{item}: {reason}", phase.key()),
        EventBody::Note {
            text,
            section: None,
        } => format!("note: {text}"),
        EventBody::Note {
            text,
            section: Some(s),
        } => format!("note ({s}): {text}"),
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
        EventBody::FixPlanned(p) => fix_planned(&p),
        EventBody::FixApplied(a) => fix_applied(&a),
        EventBody::FixTested(t) => fix_tested(&t),
        EventBody::Verified(v) => verified(&v),
        EventBody::MessageQueued(m) => format!(
            "message {} queued: {} to {} via {} (key {}, body sha256 {}){}",
            m.message,
            m.template,
            m.audience,
            m.channel,
            m.key,
            short_hash(&m.body_sha256),
            m.not_before
                .map(|t| format!(", not before {}", when(t)))
                .unwrap_or_default()
        ),
        EventBody::MessageReplayed(m) => format!(
            "message {} replayed ({} -> pending) via {}, same key {}",
            m.message, m.from, m.channel, m.key
        ),
        EventBody::MessageApproved(m) => format!(
            "message {} approved as {} (body sha256 {})",
            m.message,
            m.role.key(),
            short_hash(&m.body_sha256)
        ),
        EventBody::ActionAdded {
            action,
            text,
            owner,
            due,
        } => format!(
            "action item {} for {owner}, due {}: {text}",
            crate::postmortem::action_id(action),
            when(due)
        ),
        EventBody::ActionDone { action, note } => format!(
            "action item {} done{}",
            crate::postmortem::action_id(action),
            note.map(|n| format!(": {n}")).unwrap_or_default()
        ),
        EventBody::ActionOverdue {
            action,
            owner,
            due,
            text,
            ..
        } => format!(
            "ACTION OVERDUE: {} of {owner} (due {}): {text}",
            crate::postmortem::action_id(action),
            when(due)
        ),
    }
}

/// A `fix-planned` event for people.
pub(crate) fn fix_planned(p: &FixPlanned) -> String {
    let mut s = format!(
        "fix planned: {} ({}",
        p.summary,
        count(p.changes as usize, "change", "changes")
    );
    if p.breaking > 0 {
        let _ = write!(s, ", {} breaking", p.breaking);
    }
    if p.incomplete > 0 {
        let _ = write!(s, ", {} to make by hand", p.incomplete);
    }
    if p.unfixable > 0 {
        let _ = write!(s, ", {} with no fixed version", p.unfixable);
    }
    if !p.services.is_empty() {
        let _ = write!(s, " in {}", p.services.join(", "));
    }
    s.push(')');
    if let Some(d) = p.proposed {
        let _ = write!(s, ", proposes {d}");
    }
    let _ = write!(s, "; plan sha256 {}", short_hash(&p.plan_sha256));
    s
}

/// A `fix-applied` event for people.
pub(crate) fn fix_applied(a: &FixApplied) -> String {
    format!(
        "fix applied on {} of {} from {} at {}: {}, {} ({}){}",
        a.branch,
        a.repository,
        a.base.reference,
        short_hash(&a.base.commit),
        count(a.changes as usize, "change", "changes"),
        count(a.commits.len(), "commit", "commits"),
        a.commits
            .iter()
            .map(|c| format!("{} {}", c.service, short_hash(&c.commit)))
            .collect::<Vec<_>>()
            .join(", "),
        match &a.pushed {
            Some(r) => format!(", pushed to {r}"),
            None => ", not pushed".to_owned(),
        }
    )
}

/// A `fix-tested` event for people.
pub(crate) fn fix_tested(t: &FixTested) -> String {
    let status = match t.exit_status {
        Some(c) => format!("exit {c}"),
        None => "no exit status".to_owned(),
    };
    format!(
        "tests of {} {} ({}, {}, {}){}",
        t.service,
        if t.passed { "PASSED" } else { "FAILED" },
        t.command,
        status,
        span_ms(t.duration_ms),
        if t.kept { ", change kept" } else { "" }
    )
}

/// A length of time in milliseconds for people: `850ms`, `12.3s`, `4m05s`.
fn span_ms(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms}ms"),
        1_000..60_000 => format!("{}.{}s", ms / 1_000, ms % 1_000 / 100),
        _ => format!("{}m{:02}s", ms / 60_000, ms % 60_000 / 1_000),
    }
}

/// A `verified` event for people.
pub(crate) fn verified(v: &Verified) -> String {
    let mut s = format!(
        "verified against {}: {} fixed, {} remaining, {} introduced; ",
        v.baseline.describe(),
        v.fixed,
        v.remaining,
        v.introduced
    );
    let gone: Vec<&str> = v
        .services
        .iter()
        .filter(|s| s.state == AdvisoryState::Gone)
        .map(|s| s.service.as_str())
        .collect();
    let mut parts = Vec::new();
    if !gone.is_empty() {
        parts.push(format!("advisory gone from {}", gone.join(", ")));
    }
    for st in &v.services {
        match &st.state {
            AdvisoryState::Gone => {}
            AdvisoryState::Found { ids } => {
                parts.push(format!("FOUND in {} ({})", st.service, ids.join(", ")))
            }
            AdvisoryState::NotChecked { reason } => {
                parts.push(format!("{} not checked ({reason})", st.service))
            }
        }
    }
    if v.services.is_empty() {
        parts.push("no affected service to check".to_owned());
    }
    s.push_str(&parts.join(", "));
    let _ = write!(
        s,
        ": {}; report sha256 {}",
        if v.clean { "CLEAN" } else { "NOT CLEAN" },
        short_hash(&v.report_sha256)
    );
    s
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
