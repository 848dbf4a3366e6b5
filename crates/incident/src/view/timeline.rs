//! One incident's timeline, every event with its chain fields (`incident
//! timeline`): schema `cverun.timeline/1`.

use std::fmt::Write as _;

use cverun_scan::render::style::{BOLD, RED, paint};
use jiff::Timestamp;
use serde::Serialize;

use crate::chain::Problem;
use crate::event::Event;
use crate::store::Loaded;

use super::text::{banner, describe, details, short_hash, truncate};

/// The JSON schema name of [`TimelineView`].
pub const SCHEMA: &str = "cverun.timeline/1";

/// An incident's stored events and what is wrong with them.
#[derive(Debug, Serialize)]
pub struct TimelineView<'a> {
    /// `cverun.timeline/1`.
    pub schema: &'static str,
    /// The incident.
    pub incident: &'a str,
    /// The chain verifies.
    pub verified: bool,
    /// What is wrong with it (empty: verified).
    pub problems: &'a [Problem],
    /// The events as stored, in seq order.
    pub events: Vec<EventView<'a>>,
    /// The store is simulated (times from CVERUN_NOW, not a clock).
    pub simulated: bool,
}

/// One stored event.
#[derive(Debug, Serialize)]
pub struct EventView<'a> {
    /// Its position in the timeline, from 1.
    pub seq: u64,
    /// When (RFC 3339, as stored).
    pub at: &'a str,
    /// Who.
    pub actor: &'a str,
    /// What kind of event.
    pub kind: &'a str,
    /// Its details (the stored text as a string when it is not JSON).
    pub details: serde_json::Value,
    /// The previous event's hash.
    pub prev_hash: &'a str,
    /// Its hash.
    pub hash: &'a str,
    /// Its MAC under the incident key.
    pub mac: Option<&'a str>,
    /// The key that made the MAC.
    pub key_id: Option<&'a str>,
    /// The event itself, for the text.
    #[serde(skip)]
    pub event: &'a Event,
}

/// The timeline of `loaded`, read or not (the events are shown as stored).
pub fn view(loaded: &Loaded, simulated: bool) -> TimelineView<'_> {
    TimelineView {
        schema: SCHEMA,
        incident: &loaded.id,
        verified: loaded.problems.is_empty(),
        problems: &loaded.problems,
        events: loaded.events.iter().map(event).collect(),
        simulated,
    }
}

fn event(e: &Event) -> EventView<'_> {
    EventView {
        seq: e.seq,
        at: &e.at,
        actor: &e.actor,
        kind: &e.kind,
        details: details(e),
        prev_hash: &e.prev_hash,
        hash: &e.hash,
        mac: e.mac.as_deref(),
        key_id: e.key_id.as_deref(),
        event: e,
    }
}

/// The timeline as a table, one event a line; the events a problem names in red
/// (the caller warns that the timeline fails verification).
pub fn text(v: &TimelineView<'_>) -> String {
    let mut out = banner(v.simulated);
    let _ = writeln!(
        out,
        "{}",
        paint(
            BOLD,
            format!(
                "{:>4} {:<26} {:<12} {:<12} {}",
                "SEQ", "AT", "ACTOR", "HASH", "EVENT"
            )
        )
    );
    for e in &v.events {
        // To the second, in the local time zone (the stored RFC 3339 time is in
        // JSON); a time that does not parse (tampered with) is shown as stored.
        let at = match e.at.parse::<Timestamp>() {
            Ok(t) => cverun_scan::render::style::local_time_seconds(t),
            Err(_) => e.at.to_owned(),
        };
        let line = format!(
            "{:>4} {:<26} {:<12} {:<12} {}",
            e.seq,
            at,
            truncate(e.actor, 12),
            short_hash(e.hash),
            describe(e.event)
        );
        if v.problems.iter().any(|p| p.seq == e.seq) {
            let _ = writeln!(out, "{}", paint(RED, line));
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    out
}
