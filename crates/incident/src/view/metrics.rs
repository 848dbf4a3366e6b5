//! MTTD, MTTR, SLA adherence, open and overdue incidents (`report metrics`):
//! schema `cverun.metrics/1`. The numbers are [`crate::metrics`]'s; this is how
//! they are shown.

use std::fmt::Write as _;

use cverun_scan::render::style::{BOLD, DIM, RED, paint};
use jiff::Timestamp;
use serde::Serialize;

use crate::interval::human_minutes;
use crate::metrics::{self, Average, Metrics};
use crate::state::Incident;
use crate::store::Loaded;

use super::text::banner;

/// The JSON schema name of [`MetricsView`].
pub const SCHEMA: &str = "cverun.metrics/1";

/// The metrics of the readable incidents, and which could not be read.
#[derive(Debug, Serialize)]
pub struct MetricsView {
    /// `cverun.metrics/1`.
    pub schema: &'static str,
    /// The store is simulated (times from CVERUN_NOW, not a clock).
    pub simulated: bool,
    /// Incidents whose timeline could not be read (not counted).
    pub unreadable: Vec<String>,
    /// The metrics.
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// The metrics of the incidents of `loaded` declared since `since`, at `now`.
pub fn view(
    loaded: &[Loaded],
    since: Option<Timestamp>,
    now: Timestamp,
    simulated: bool,
) -> MetricsView {
    let mut incidents: Vec<Incident> = Vec::new();
    let mut unreadable = Vec::new();
    for l in loaded {
        match &l.state {
            Ok(i) => incidents.push(i.clone()),
            Err(_) => unreadable.push(l.id.clone()),
        }
    }
    MetricsView {
        schema: SCHEMA,
        simulated,
        unreadable,
        metrics: metrics::compute(&incidents, since, now),
    }
}

/// The metrics for people (the caller warns about `unreadable`).
pub fn text(v: &MetricsView) -> String {
    let m = &v.metrics;
    let mut out = banner(v.simulated);
    let since = match m.since {
        Some(s) => format!("declared since {s}"),
        None => "(all)".to_owned(),
    };
    let _ = writeln!(
        out,
        "{}",
        paint(BOLD, format!("Incidents {since}: {}", m.incidents))
    );
    let _ = writeln!(
        out,
        "  MTTD  {}",
        average(&m.mttd, "excluded: publication time unknown")
    );
    let _ = writeln!(out, "  MTTR  {}", average(&m.mttr, "not resolved"));
    let _ = writeln!(
        out,
        "  open  {} ({} overdue{})",
        m.open,
        if m.overdue > 0 {
            paint(RED, m.overdue)
        } else {
            m.overdue.to_string()
        },
        if m.overdue_incidents.is_empty() {
            String::new()
        } else {
            format!(": {}", m.overdue_incidents.join(", "))
        }
    );
    if m.cancelled > 0 {
        let _ = writeln!(out, "  cancelled {}", m.cancelled);
    }
    let _ = writeln!(
        out,
        "\n{}",
        paint(
            BOLD,
            "SLA adherence (resolved within the response and phase deadlines)"
        )
    );
    for s in &m.sla {
        let missed: Vec<String> = s.missed.iter().map(|(k, v)| format!("{k} x{v}")).collect();
        let _ = writeln!(
            out,
            "  {}  {}{}",
            s.priority,
            match s.adherence {
                Some(a) => format!("{:.0}% ({} of {} resolved)", a * 100.0, s.met, s.resolved),
                None => paint(DIM, "no resolved incidents"),
            },
            if missed.is_empty() {
                String::new()
            } else {
                paint(DIM, format!("; missed: {}", missed.join(", ")))
            }
        );
    }
    out
}

/// `mean 1h, median 45m over 3 incidents (1 excluded...)`.
fn average(a: &Average, excluded: &str) -> String {
    match (a.mean_seconds, a.median_seconds) {
        (Some(mean), Some(median)) => format!(
            "mean {}, median {} over {} incidents{}",
            human_minutes(mean),
            human_minutes(median),
            a.counted,
            if a.excluded > 0 {
                format!(" ({} {excluded})", a.excluded)
            } else {
                String::new()
            }
        ),
        _ => format!("no data ({} {excluded})", a.excluded),
    }
}
