//! What a tick fired (`incident tick`): schema `cverun.tick/1`.

use std::fmt::Write as _;

use cverun_scan::render::style::{BOLD, DIM, paint};
use jiff::Timestamp;
use serde::Serialize;

use crate::event::Event;
use crate::store::TickReport;

use super::text::{banner, count, describe, details};

/// The JSON schema name of [`TickView`].
pub const SCHEMA: &str = "cverun.tick/1";

/// One tick: incidents evaluated, events fired, incidents that could not be
/// evaluated.
#[derive(Debug, Serialize)]
pub struct TickView<'a> {
    /// `cverun.tick/1`.
    pub schema: &'static str,
    /// When the tick ran.
    pub now: Timestamp,
    /// Incidents evaluated.
    pub evaluated: u64,
    /// Events fired, in order.
    pub fired: Vec<FiredView<'a>>,
    /// Incidents not evaluated, and why.
    pub failed: Vec<FailedView<'a>>,
    /// The store is simulated (times from CVERUN_NOW, not a clock).
    pub simulated: bool,
}

/// One event a tick fired.
#[derive(Debug, Serialize)]
pub struct FiredView<'a> {
    /// The incident.
    pub incident: &'a str,
    /// The event's seq.
    pub seq: u64,
    /// Its kind (`escalated`, `overdue`).
    pub kind: &'a str,
    /// Its details.
    pub details: serde_json::Value,
    /// The event itself, for the text.
    #[serde(skip)]
    pub event: &'a Event,
}

/// An incident a tick could not evaluate.
#[derive(Debug, Serialize)]
pub struct FailedView<'a> {
    /// The incident.
    pub incident: &'a str,
    /// Why.
    pub error: &'a str,
}

/// The view of `report`, a tick at `now`.
pub fn view(report: &TickReport, now: Timestamp, simulated: bool) -> TickView<'_> {
    TickView {
        schema: SCHEMA,
        now,
        evaluated: report.evaluated,
        fired: report
            .fired
            .iter()
            .map(|f| FiredView {
                incident: &f.incident,
                seq: f.event.seq,
                kind: &f.event.kind,
                details: details(&f.event),
                event: &f.event,
            })
            .collect(),
        failed: report
            .failed
            .iter()
            .map(|(incident, error)| FailedView { incident, error })
            .collect(),
        simulated,
    }
}

/// One line per event fired, then a summary (the caller reports `failed` as
/// errors).
pub fn text(v: &TickView<'_>) -> String {
    let mut out = banner(v.simulated);
    for f in &v.fired {
        let _ = writeln!(
            out,
            "{} #{}: {}",
            paint(BOLD, f.incident),
            f.seq,
            describe(f.event)
        );
    }
    let _ = writeln!(
        out,
        "{}",
        paint(
            DIM,
            format!(
                "tick at {}: {} evaluated, {} fired",
                super::text::when(v.now),
                count(v.evaluated as usize, "incident", "incidents"),
                v.fired.len()
            )
        )
    );
    out
}
