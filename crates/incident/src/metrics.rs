//! Metrics over stored incidents: how fast problems are found and fixed, and how
//! often the runbook's deadlines are kept.
//!
//! - MTTD (mean time to detect): advisory published -> detected. Only incidents
//!   declared with a publication time count; the others are excluded and counted.
//! - MTTR (mean time to resolve): detected -> resolved, over resolved incidents.
//! - SLA adherence per priority (the priority at resolution): a resolved incident
//!   met its SLA when its response and every phase target were met in time.
//! - Open incidents, and how many of them have an overdue deadline now.
//!
//! Cancelled incidents count in none of these but are counted apart.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::clocks::{self, DeadlineState};
use crate::model::Priority;
use crate::state::Incident;

/// A mean (and median) duration over some incidents.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Average {
    /// Mean in seconds (`None` when nothing counted).
    pub mean_seconds: Option<i64>,
    /// Median in seconds.
    pub median_seconds: Option<i64>,
    /// Incidents counted.
    pub counted: u64,
    /// Incidents excluded (unknown publication time, or one after the detection
    /// recorded before cverun checked it / not resolved).
    pub excluded: u64,
}

impl Average {
    fn of(mut values: Vec<i64>, excluded: u64) -> Average {
        values.sort_unstable();
        let n = values.len();
        let mean = (n > 0).then(|| {
            let sum: i128 = values.iter().map(|v| i128::from(*v)).sum();
            i64::try_from(sum / n as i128).unwrap_or(i64::MAX)
        });
        let median = (n > 0).then(|| {
            if n % 2 == 1 {
                values[n / 2]
            } else {
                let (a, b) = (i128::from(values[n / 2 - 1]), i128::from(values[n / 2]));
                i64::try_from((a + b) / 2).unwrap_or(i64::MAX)
            }
        });
        Average {
            mean_seconds: mean,
            median_seconds: median,
            counted: n as u64,
            excluded,
        }
    }
}

/// SLA adherence of one priority.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sla {
    /// The priority (at resolution).
    pub priority: Priority,
    /// Resolved incidents.
    pub resolved: u64,
    /// Of those, how many met every deadline.
    pub met: u64,
    /// `met / resolved` (`None` when none resolved).
    pub adherence: Option<f64>,
    /// How often each deadline was missed (clock key -> count).
    pub missed: BTreeMap<String, u64>,
}

/// Every metric.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Metrics {
    /// Only incidents declared at or after this time count.
    pub since: Option<Timestamp>,
    /// When computed.
    pub now: Timestamp,
    /// Incidents counted (declared since `since`).
    pub incidents: u64,
    /// Mean time to detect.
    pub mttd: Average,
    /// Mean time to resolve.
    pub mttr: Average,
    /// SLA adherence per priority, P0 first.
    pub sla: Vec<Sla>,
    /// Open incidents.
    pub open: u64,
    /// Open incidents with a deadline overdue now.
    pub overdue: u64,
    /// Their ids.
    pub overdue_incidents: Vec<String>,
    /// Cancelled incidents.
    pub cancelled: u64,
}

/// Computes the metrics of `incidents` declared at or after `since`, at `now`.
pub fn compute(incidents: &[Incident], since: Option<Timestamp>, now: Timestamp) -> Metrics {
    let chosen: Vec<&Incident> = incidents
        .iter()
        .filter(|i| since.is_none_or(|s| i.declared_at >= s))
        .collect();
    let mut detect = Vec::new();
    let mut unknown_published = 0;
    let mut resolve = Vec::new();
    let mut unresolved = 0;
    let mut sla: BTreeMap<Priority, Sla> = Priority::ALL
        .iter()
        .map(|p| {
            (
                *p,
                Sla {
                    priority: *p,
                    resolved: 0,
                    met: 0,
                    adherence: None,
                    missed: BTreeMap::new(),
                },
            )
        })
        .collect();
    let (mut open, mut overdue, mut cancelled) = (0, 0, 0);
    let mut overdue_incidents = Vec::new();
    for inc in &chosen {
        if inc.phase == crate::model::Phase::Cancelled {
            cancelled += 1;
            continue;
        }
        match inc.published {
            // Declarations check published <= detected; an older incident that
            // claims otherwise is excluded rather than averaged as a negative time.
            Some(p) if p <= inc.detected => detect.push(inc.detected.duration_since(p).as_secs()),
            _ => unknown_published += 1,
        }
        match inc.resolved_at {
            Some(r) => {
                resolve.push(r.duration_since(inc.detected).as_secs());
                let row = sla.entry(inc.priority).or_insert_with(|| Sla {
                    priority: inc.priority,
                    resolved: 0,
                    met: 0,
                    adherence: None,
                    missed: BTreeMap::new(),
                });
                row.resolved += 1;
                let mut all_met = true;
                for d in clocks::deadlines(inc, r) {
                    if !(d.clock == "response" || d.clock.starts_with("target:")) {
                        continue;
                    }
                    if !matches!(d.state, DeadlineState::Met { .. }) {
                        all_met = false;
                        *row.missed.entry(d.clock).or_insert(0) += 1;
                    }
                }
                if all_met {
                    row.met += 1;
                }
            }
            None => unresolved += 1,
        }
        if inc.is_open() {
            open += 1;
            if clocks::deadlines(inc, now)
                .iter()
                .any(|d| d.state == DeadlineState::Overdue)
            {
                overdue += 1;
                overdue_incidents.push(inc.id.clone());
            }
        }
    }
    let sla = sla
        .into_values()
        .map(|mut s| {
            s.adherence = (s.resolved > 0).then(|| s.met as f64 / s.resolved as f64);
            s
        })
        .collect();
    Metrics {
        since,
        now,
        incidents: chosen.len() as u64,
        mttd: Average::of(detect, unknown_published),
        mttr: Average::of(resolve, unresolved),
        sla,
        open,
        overdue,
        overdue_incidents,
        cancelled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::GENESIS;
    use crate::event::{Event, EventBody};
    use crate::model::{AssignedPriority, Phase};
    use crate::rules::{Action, Declaration, act, declare};

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    struct Builder {
        events: Vec<Event>,
        id: String,
    }

    impl Builder {
        fn new(
            id: &str,
            level: Priority,
            at: &str,
            published: Option<&str>,
            commander: bool,
        ) -> Builder {
            let d = Declaration {
                advisory: "CVE-2026-1".into(),
                priority: AssignedPriority::declared_by(level, "alice"),
                title: None,
                description: None,
                commander: commander.then(|| "alice".to_owned()),
                services: vec![],
                published: published.map(t),
                detected: None,
                aliases: Vec::new(),
                scope: None,
                duplicate: None,
            };
            let mut b = Builder {
                events: Vec::new(),
                id: id.into(),
            };
            let bodies = declare(&d, &crate::runbook::test_runbook(), t(at)).unwrap();
            b.push(at, bodies);
            b
        }
        fn push(&mut self, at: &str, bodies: Vec<EventBody>) {
            for body in bodies {
                let prev = self
                    .events
                    .last()
                    .map(|e| e.hash.clone())
                    .unwrap_or_else(|| GENESIS.into());
                let seq = self.events.len() as u64 + 1;
                self.events
                    .push(Event::new(&self.id, seq, t(at), "alice", &body, &prev));
            }
        }
        fn act(mut self, at: &str, a: Action) -> Builder {
            let inc = Incident::from_events(&self.events).unwrap();
            let bodies = act(&inc, &a, "bob", t(at)).unwrap();
            self.push(at, bodies);
            self
        }
        /// Resolves a P1 at `at`: forced to VALIDATION, approved by carol, forced
        /// to the end.
        fn resolve_p1(self, at: &str) -> Builder {
            let b = self.act(
                at,
                Action::Advance {
                    to: Some(Phase::Validation),
                    force: true,
                    reason: Some("fixed".into()),
                },
            );
            let mut b = b;
            let inc = Incident::from_events(&b.events).unwrap();
            let kind = crate::model::ApprovalKind::Technical;
            let bodies = act(&inc, &Action::Approve { kind }, "carol", t(at)).unwrap();
            b.push(at, bodies);
            b.resolve_only(at)
        }
        fn resolve_only(self, at: &str) -> Builder {
            self.act(
                at,
                Action::Advance {
                    to: Some(Phase::Resolved),
                    force: true,
                    reason: Some("done".into()),
                },
            )
        }
        fn done(self) -> Incident {
            Incident::from_events(&self.events).unwrap()
        }
    }

    #[test]
    fn mttd_mttr_and_sla() {
        let fast = Builder::new(
            "A",
            Priority::P1,
            "2026-11-01T00:00:00Z",
            Some("2026-10-31T22:00:00Z"),
            true,
        )
        .resolve_p1("2026-11-01T06:00:00Z")
        .done();
        let slow = Builder::new("B", Priority::P1, "2026-11-02T00:00:00Z", None, false)
            .resolve_p1("2026-11-05T00:00:00Z")
            .done();
        let open = Builder::new(
            "C",
            Priority::P0,
            "2026-11-03T00:00:00Z",
            Some("2026-11-02T00:00:00Z"),
            true,
        )
        .done();
        let cancelled = Builder::new("D", Priority::P2, "2026-11-03T00:00:00Z", None, true)
            .act(
                "2026-11-03T01:00:00Z",
                Action::Cancel {
                    reason: "dup".into(),
                },
            )
            .done();
        let all = vec![fast, slow, open, cancelled];
        let m = compute(&all, None, t("2026-11-03T12:00:00Z"));
        assert_eq!(m.incidents, 4);
        assert_eq!(m.cancelled, 1);
        // MTTD: A 2h, C 24h -> mean 13h; B unknown.
        assert_eq!(m.mttd.mean_seconds, Some(13 * 3600));
        assert_eq!(m.mttd.median_seconds, Some(13 * 3600));
        assert_eq!((m.mttd.counted, m.mttd.excluded), (2, 1));
        // MTTR: A 6h, B 72h; C open.
        assert_eq!(m.mttr.mean_seconds, Some(39 * 3600));
        assert_eq!((m.mttr.counted, m.mttr.excluded), (2, 1));
        let p1 = &m.sla[1];
        assert_eq!(p1.priority, Priority::P1);
        assert_eq!((p1.resolved, p1.met), (2, 1));
        assert_eq!(p1.adherence, Some(0.5));
        // B: no commander (response missed), containment done after 8h.
        assert_eq!(p1.missed.get("response"), Some(&1));
        assert_eq!(p1.missed.get("target:remediation"), Some(&1));
        assert_eq!(m.sla[0].adherence, None);
        assert_eq!((m.open, m.overdue), (1, 1));
        assert_eq!(m.overdue_incidents, vec!["C"]);
        let later = compute(
            &all,
            Some(t("2026-11-02T00:00:00Z")),
            t("2026-11-03T12:00:00Z"),
        );
        assert_eq!(later.incidents, 3);
        assert_eq!(later.mttr.counted, 1);
    }
}
