//! Follow-up action items (`incident action list`, and the overdue ones in
//! `incident show` and `list`): schema `cverun.actions/1`.

use std::fmt::Write as _;

use cverun_scan::render::style::{BOLD, DIM, GREEN, RED, paint};
use jiff::Timestamp;
use serde::Serialize;

use crate::model::Phase;
use crate::state::{ActionItem, Incident};
use crate::store::Loaded;

use super::text::{banner, span, when};

/// The JSON schema name of [`ActionsView`].
pub const SCHEMA: &str = "cverun.actions/1";

/// Action items of one incident or of all, at `now`.
#[derive(Debug, Serialize)]
pub struct ActionsView<'a> {
    /// `cverun.actions/1`.
    pub schema: &'static str,
    /// When the view was taken.
    pub now: Timestamp,
    /// Only the overdue items are listed.
    pub overdue_only: bool,
    /// The items, by incident then number.
    pub items: Vec<ActionRow<'a>>,
    /// Incidents whose timeline cannot be read (their items are unknown).
    pub unreadable: Vec<&'a str>,
    /// The store is simulated (times from CVERUN_NOW, not a clock).
    pub simulated: bool,
}

/// One action item with its incident and status at `now`.
#[derive(Debug, Serialize)]
pub struct ActionRow<'a> {
    /// The incident.
    pub incident: &'a str,
    /// `ACTION-<n>`.
    pub id: String,
    /// `open`, `overdue` or `done`.
    pub status: &'static str,
    /// Seconds until due (negative: overdue by that much); `None` once done.
    pub seconds_left: Option<i64>,
    /// The item.
    #[serde(flatten)]
    pub item: &'a ActionItem,
}

/// The status of `item` at `now`.
pub fn status(item: &ActionItem, now: Timestamp) -> &'static str {
    match item.done {
        Some(_) => "done",
        None if item.is_overdue(now) => "overdue",
        None => "open",
    }
}

/// The rows of `inc`'s items at `now` (only the overdue ones with `overdue_only`;
/// none of a cancelled incident then: its clocks stopped).
pub fn rows(inc: &Incident, now: Timestamp, overdue_only: bool) -> Vec<ActionRow<'_>> {
    inc.action_items
        .iter()
        .filter(|a| !overdue_only || (a.is_overdue(now) && inc.phase != Phase::Cancelled))
        .map(|a| ActionRow {
            incident: &inc.id,
            id: a.id(),
            status: status(a, now),
            seconds_left: a
                .done
                .is_none()
                .then(|| a.due.duration_since(now).as_secs()),
            item: a,
        })
        .collect()
}

/// The view of the items of `loaded` (every incident given) at `now`.
pub fn view(
    loaded: &[Loaded],
    now: Timestamp,
    overdue_only: bool,
    simulated: bool,
) -> ActionsView<'_> {
    let mut items = Vec::new();
    let mut unreadable = Vec::new();
    for l in loaded {
        match &l.state {
            Ok(inc) => items.extend(rows(inc, now, overdue_only)),
            Err(_) => unreadable.push(l.id.as_str()),
        }
    }
    ActionsView {
        schema: SCHEMA,
        now,
        overdue_only,
        items,
        unreadable,
        simulated,
    }
}

/// One line for `row`: id, status, owner, due, text.
pub fn line(row: &ActionRow<'_>) -> String {
    let a = row.item;
    let state = match (&a.done, row.seconds_left) {
        (Some(d), _) => paint(GREEN, format!("done {} by {}", when(d.at), d.by)),
        (None, Some(left)) if left <= 0 => paint(
            RED,
            format!("OVERDUE by {} (due {})", span(-left), when(a.due)),
        ),
        (None, Some(left)) => format!("due {} ({} left)", when(a.due), span(left)),
        (None, None) => String::new(),
    };
    format!(
        "{} {} {}: {} [{}]",
        paint(BOLD, row.incident),
        row.id,
        a.owner,
        a.text,
        state
    )
}

/// The items, one a line.
pub fn text(v: &ActionsView<'_>) -> String {
    let mut out = banner(v.simulated);
    if v.items.is_empty() {
        let what = if v.overdue_only {
            "no overdue action items"
        } else {
            "no action items"
        };
        let _ = writeln!(out, "{}", paint(DIM, what));
    }
    for r in &v.items {
        let _ = writeln!(out, "{}", line(r));
    }
    out
}
