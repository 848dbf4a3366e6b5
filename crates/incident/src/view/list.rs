//! Incidents at a glance (`incident list`): schema `cverun.incident-list/1`.

use std::fmt::Write as _;

use cverun_scan::render::style::{BOLD, DIM, RED, YELLOW, paint};
use jiff::Timestamp;
use serde::Serialize;

use crate::clocks::{self, Deadline, DeadlineState};
use crate::model::{Phase, Priority, Role};
use crate::state::{Incident, StatusUpdate};
use crate::store::Loaded;

use super::actions::ActionRow;
use super::text::{banner, paint_priority, short_clock, span, truncate};

/// The JSON schema name of [`ListView`].
pub const SCHEMA: &str = "cverun.incident-list/1";

/// Incidents, each with its next deadline, at `now`.
#[derive(Debug, Serialize)]
pub struct ListView<'a> {
    /// `cverun.incident-list/1`.
    pub schema: &'static str,
    /// When the view was taken.
    pub now: Timestamp,
    /// The incidents listed, in the order given.
    pub incidents: Vec<ListItem<'a>>,
    /// Open action items past their due time, of every incident (resolved ones
    /// too: action items are the follow-up), whether listed or not.
    pub overdue_actions: Vec<ActionRow<'a>>,
    /// The store is simulated (times from CVERUN_NOW, not a clock).
    pub simulated: bool,
    /// Ended incidents are listed too.
    #[serde(skip)]
    pub all: bool,
}

/// One incident of the list; every field but `id` and `error` is empty when its
/// timeline cannot be read.
#[derive(Debug, Serialize)]
pub struct ListItem<'a> {
    /// Its id.
    pub id: &'a str,
    /// Its title.
    pub title: Option<&'a str>,
    /// Its advisory.
    pub advisory: Option<&'a str>,
    /// Its priority.
    pub priority: Option<Priority>,
    /// Its phase.
    pub phase: Option<Phase>,
    /// The commander now.
    pub commander: Option<&'a str>,
    /// The earliest pending or overdue deadline.
    pub next_deadline: Option<Deadline>,
    /// The clock keys of the overdue deadlines.
    pub overdue: Vec<String>,
    /// The required items of the current phase still open.
    pub open_items: Vec<String>,
    /// Approvals given.
    pub approvals: usize,
    /// Approvals the priority needs.
    pub approvals_needed: usize,
    /// The latest status update.
    pub last_update: Option<&'a StatusUpdate>,
    /// The timeline verifies.
    pub verified: bool,
    /// Why the timeline cannot be read.
    pub error: Option<String>,
    /// Actors of recorded events the roster does not know (identity is
    /// self-asserted: someone should check them).
    pub outside_roster: Vec<String>,
}

/// The open incidents of `loaded` (all of them with `all`) at `now`.
pub fn view(loaded: &[Loaded], all: bool, now: Timestamp, simulated: bool) -> ListView<'_> {
    let incidents = loaded
        .iter()
        .filter_map(|l| match &l.state {
            Ok(inc) if !all && !inc.is_open() => None,
            Ok(inc) => Some(item(l, inc, now)),
            Err(e) => Some(unreadable(&l.id, e.to_string())),
        })
        .collect();
    let overdue_actions = loaded
        .iter()
        .filter_map(|l| l.state.as_ref().ok())
        .flat_map(|inc| super::actions::rows(inc, now, true))
        .collect();
    ListView {
        schema: SCHEMA,
        now,
        incidents,
        overdue_actions,
        simulated,
        all,
    }
}

fn item<'a>(l: &'a Loaded, inc: &'a Incident, now: Timestamp) -> ListItem<'a> {
    let ds = clocks::deadlines(inc, now);
    let overdue = ds
        .iter()
        .filter(|d| d.state == DeadlineState::Overdue)
        .map(|d| d.clock.clone())
        .collect();
    let next = ds
        .iter()
        .filter(|d| matches!(d.state, DeadlineState::Pending | DeadlineState::Overdue))
        .min_by_key(|d| d.due)
        .cloned();
    ListItem {
        id: &l.id,
        title: Some(&inc.title),
        advisory: Some(&inc.advisory),
        priority: Some(inc.priority),
        phase: Some(inc.phase),
        commander: inc.holder(Role::Commander).map(|h| h.name.as_str()),
        next_deadline: next,
        overdue,
        open_items: if inc.is_open() {
            inc.open_required(inc.phase)
        } else {
            Vec::new()
        },
        approvals: inc.approvals.len(),
        approvals_needed: inc.runbook.policy(inc.priority).approvals.len(),
        last_update: inc.updates.last(),
        verified: l.problems.is_empty(),
        error: None,
        outside_roster: inc.outside_roster.iter().cloned().collect(),
    }
}

fn unreadable(id: &str, error: String) -> ListItem<'_> {
    ListItem {
        id,
        title: None,
        advisory: None,
        priority: None,
        phase: None,
        commander: None,
        next_deadline: None,
        overdue: Vec::new(),
        open_items: Vec::new(),
        approvals: 0,
        approvals_needed: 0,
        last_update: None,
        verified: false,
        error: Some(error),
        outside_roster: Vec::new(),
    }
}

/// The list as a table, one incident a line; `store` names where the incidents
/// are, for the line printed when there are none.
pub fn text(v: &ListView<'_>, store: &str) -> String {
    let mut out = banner(v.simulated);
    if v.incidents.is_empty() {
        let open = if v.all { "" } else { "open " };
        let _ = writeln!(
            out,
            "{}",
            paint(DIM, format!("no {open}incidents in {store}"))
        );
        overdue_actions(&mut out, v);
        return out;
    }
    let _ = writeln!(
        out,
        "{}",
        paint(
            BOLD,
            format!(
                "{:<20} {:<3} {:<12} {:<24} {:<12} {:>4} {:>4} {:<30} {}",
                "INCIDENT",
                "PRI",
                "PHASE",
                "TITLE",
                "COMMANDER",
                "OPEN",
                "APPR",
                "NEXT DEADLINE",
                "LAST UPDATE"
            )
        )
    );
    for i in &v.incidents {
        row(&mut out, i, v.now);
    }
    overdue_actions(&mut out, v);
    out
}

/// The overdue action items, after the incidents.
fn overdue_actions(out: &mut String, v: &ListView<'_>) {
    if v.overdue_actions.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{}",
        paint(
            RED,
            format!("{} overdue action items:", v.overdue_actions.len())
        )
    );
    for r in &v.overdue_actions {
        let _ = writeln!(out, "  {}", super::actions::line(r));
    }
}

fn row(out: &mut String, i: &ListItem<'_>, now: Timestamp) {
    if let Some(e) = &i.error {
        let _ = writeln!(
            out,
            "{:<20} {}",
            i.id,
            paint(RED, format!("unreadable: {e}"))
        );
        return;
    }
    let pri = match i.priority {
        Some(p) => paint_priority(p, format!("{:<3}", p.to_string())),
        None => paint(DIM, format!("{:<3}", "")),
    };
    let last = i
        .last_update
        .map(|u| {
            format!(
                "{} ago by {}",
                span(now.duration_since(u.at).as_secs()),
                u.by
            )
        })
        .unwrap_or_else(|| "-".into());
    let mut marks = String::new();
    if !i.verified {
        marks.push_str(&paint(RED, "  TIMELINE FAILS VERIFICATION"));
    }
    if !i.outside_roster.is_empty() {
        marks.push_str(&paint(
            YELLOW,
            format!("  OUTSIDE ROSTER: {}", i.outside_roster.join(", ")),
        ));
    }
    let _ = writeln!(
        out,
        "{:<20} {} {:<12} {:<24} {:<12} {:>4} {:>4} {} {}{}",
        i.id,
        pri,
        i.phase.map(|p| p.label()).unwrap_or(""),
        truncate(i.title.unwrap_or(""), 24),
        truncate(i.commander.unwrap_or("-"), 12),
        i.open_items.len(),
        format!("{}/{}", i.approvals, i.approvals_needed),
        next_deadline(i),
        last,
        marks
    );
}

/// The next deadline, padded to its column: red when overdue, with how many more
/// are.
fn next_deadline(i: &ListItem<'_>) -> String {
    let more = if i.overdue.len() > 1 {
        format!(" (+{} overdue)", i.overdue.len() - 1)
    } else {
        String::new()
    };
    match &i.next_deadline {
        None => format!("{:<30}", "-"),
        Some(d) if d.state == DeadlineState::Overdue => {
            let text = format!(
                "{} overdue {}{more}",
                short_clock(&d.clock),
                span(-d.seconds_left)
            );
            paint(RED, format!("{:<30}", truncate(&text, 30)))
        }
        Some(d) => {
            let text = format!("{} in {}", short_clock(&d.clock), span(d.seconds_left));
            format!("{:<30}", truncate(&text, 30))
        }
    }
}
