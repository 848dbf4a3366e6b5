//! Clocks: deadlines and escalations as functions of (incident, now).
//!
//! Every clock has a key, unique within an incident, so that the event it fires
//! (an `overdue` or `escalated` event) is recorded at most once:
//!
//! | key | due | met by |
//! | --- | --- | --- |
//! | `response` | declaration + the priority's `response` | an incident commander assigned |
//! | `target:<phase>` | declaration + the priority's target for the phase | leaving the phase forward |
//! | `update:<n>` | previous update (or declaration) + `update-every` | the next status update |
//! | `update:<n>:<k>` | the same + (k-1) more intervals: the k-th missed interval (k >= 2) | the next status update |
//! | `missed-updates:<n>` | the `missed-updates.after`-th missed interval: escalates | the next status update |
//! | `escalation:<P>:<after>` | declaration + `after` | (fires while the incident is open) |
//! | `regulatory:<id>` | "became aware" + `after` | the notification recorded |
//! | `action:<n>` | the action item's due time (an `action-overdue` event) | the item marked done |
//!
//! Deadlines use the current priority (raising it can make a deadline overdue at
//! once). Clocks stop when the incident is cancelled; when it is resolved, only
//! the regulatory clocks and the action items (post-incident follow-up) keep
//! running.

use jiff::Timestamp;
use serde::Serialize;

use crate::event::EventBody;
use crate::model::Phase;
use crate::state::Incident;

/// Where a deadline stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state")]
pub enum DeadlineState {
    /// Met in time.
    Met {
        /// When.
        at: Timestamp,
    },
    /// Met after the deadline.
    Late {
        /// When.
        at: Timestamp,
    },
    /// Not met, not yet due.
    Pending,
    /// Not met and due.
    Overdue,
    /// No longer counts (the incident ended).
    Stopped,
}

/// One deadline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    /// The clock key.
    pub clock: String,
    /// What is due.
    pub label: String,
    /// When.
    pub due: Timestamp,
    /// Where it stands.
    #[serde(flatten)]
    pub state: DeadlineState,
    /// Seconds until due (negative: overdue by that much).
    pub seconds_left: i64,
}

/// A time-based escalation rule and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Escalation {
    /// The clock key.
    pub clock: String,
    /// Who is told.
    pub to: Vec<String>,
    /// When it is due.
    pub due: Timestamp,
    /// When it fired.
    pub fired_at: Option<Timestamp>,
}

fn state(
    inc: &Incident,
    due: Timestamp,
    met: Option<Timestamp>,
    runs_after_resolution: bool,
    now: Timestamp,
) -> DeadlineState {
    match met {
        Some(at) if at <= due => DeadlineState::Met { at },
        Some(at) => DeadlineState::Late { at },
        None if inc.phase == Phase::Cancelled => DeadlineState::Stopped,
        None if inc.phase == Phase::Resolved && !runs_after_resolution => DeadlineState::Stopped,
        None if now >= due => DeadlineState::Overdue,
        None => DeadlineState::Pending,
    }
}

/// Every deadline of `inc` at `now`: response, phase targets, the next status
/// update (while open), regulatory clocks (once aware).
pub fn deadlines(inc: &Incident, now: Timestamp) -> Vec<Deadline> {
    let policy = inc.runbook.policy(inc.priority);
    let mut out = Vec::new();
    let mut push = |clock: String, label: String, due: Timestamp, st: DeadlineState| {
        out.push(Deadline {
            clock,
            label,
            due,
            state: st,
            seconds_left: due.duration_since(now).as_secs(),
        });
    };
    let due = policy.response.after(inc.declared_at);
    push(
        "response".into(),
        format!(
            "response: incident commander assigned (within {})",
            policy.response
        ),
        due,
        state(inc, due, inc.first_commander_at(), false, now),
    );
    for phase in inc.phases().iter().copied() {
        let Some(target) = policy.targets.get(&phase) else {
            continue;
        };
        let due = target.after(inc.declared_at);
        push(
            format!("target:{}", phase.key()),
            format!("{} completed (within {target})", inc.phase_label(phase)),
            due,
            state(inc, due, inc.completed.get(&phase).copied(), false, now),
        );
    }
    if inc.is_open() {
        let n = inc.updates.len();
        let base = inc.updates.last().map(|u| u.at).unwrap_or(inc.declared_at);
        let due = policy.update_every.after(base);
        push(
            format!("update:{n}"),
            format!("status update #{} (every {})", n + 1, policy.update_every),
            due,
            state(inc, due, None, false, now),
        );
    }
    if let Some(aware) = inc.aware_at {
        for c in &inc.runbook.regulatory {
            let due = c.after.after(aware);
            push(
                format!("regulatory:{}", c.id),
                format!("{} (within {} of becoming aware)", c.label, c.after),
                due,
                state(inc, due, inc.notified.get(&c.id).copied(), true, now),
            );
        }
    }
    out
}

/// The time-based escalation rules of the current priority and where each stands.
pub fn escalations(inc: &Incident) -> Vec<Escalation> {
    inc.runbook
        .policy(inc.priority)
        .escalate
        .iter()
        .map(|r| {
            let clock = format!("escalation:{}:{}", inc.priority, r.after);
            Escalation {
                fired_at: inc.fired.get(&clock).copied(),
                clock,
                to: r.to.clone(),
                due: r.after.after(inc.declared_at),
            }
        })
        .collect()
}

/// At most this many missed status-update intervals are recorded per evaluation
/// (a tick after a long pause catches up over the following ticks).
pub const MAX_MISSES_PER_TICK: u64 = 100;

/// The clock key of the `k`-th missed interval (from 1) after update `n`.
pub fn update_clock(n: usize, k: u64) -> String {
    if k <= 1 {
        format!("update:{n}")
    } else {
        format!("update:{n}:{k}")
    }
}

/// The events due at `now` and not fired yet: one `overdue` event per overdue
/// deadline and per missed status-update interval, one `escalated` event per
/// escalation rule whose time has come while the incident is open (and when
/// status updates were missed the runbook's number of times in a row). Each
/// carries its clock key.
pub fn due(inc: &Incident, now: Timestamp) -> Vec<EventBody> {
    let mut out = Vec::new();
    for d in deadlines(inc, now) {
        if d.clock.starts_with("update:") {
            continue;
        }
        if d.state == DeadlineState::Overdue && !inc.fired.contains_key(&d.clock) {
            out.push(EventBody::Overdue {
                clock: d.clock,
                deadline: d.due,
                what: d.label,
            });
        }
    }
    if inc.is_open() {
        let policy = inc.runbook.policy(inc.priority);
        let n = inc.updates.len();
        let base = inc.updates.last().map(|u| u.at).unwrap_or(inc.declared_at);
        let every = policy.update_every.as_seconds().max(1);
        let silent = now.duration_since(base).as_secs();
        let misses = if silent >= every {
            (silent / every) as u64
        } else {
            0
        };
        let mut recorded = 0;
        for k in 1..=misses {
            let clock = update_clock(n, k);
            if inc.fired.contains_key(&clock) {
                continue;
            }
            if recorded == MAX_MISSES_PER_TICK {
                break;
            }
            recorded += 1;
            let deadline =
                crate::interval::Interval::seconds_saturating(every.saturating_mul(k as i64))
                    .after(base);
            out.push(EventBody::Overdue {
                clock,
                deadline,
                what: format!(
                    "status update #{} (every {}), missed {k} time{}",
                    n + 1,
                    policy.update_every,
                    if k == 1 { "" } else { "s" }
                ),
            });
        }
        if let Some(m) = &policy.missed_updates {
            let clock = format!("missed-updates:{n}");
            if misses >= u64::from(m.after) && !inc.fired.contains_key(&clock) {
                out.push(EventBody::Escalated {
                    clock,
                    to: m.to.clone(),
                    reason: format!(
                        "{} status updates missed in a row (every {}, last {})",
                        misses,
                        policy.update_every,
                        if n == 0 {
                            "none since the declaration".to_owned()
                        } else {
                            format!("at {base}")
                        }
                    ),
                });
            }
        }
    }
    for item in inc.overdue_actions(now) {
        let clock = crate::postmortem::action_clock(item.action);
        if inc.phase != Phase::Cancelled && !inc.fired.contains_key(&clock) {
            out.push(EventBody::ActionOverdue {
                clock,
                action: item.action,
                owner: item.owner.clone(),
                due: item.due,
                text: item.text.clone(),
            });
        }
    }
    if inc.is_open() {
        for e in escalations(inc) {
            if e.fired_at.is_none() && now >= e.due && !inc.fired.contains_key(&e.clock) {
                let after = e.due.duration_since(inc.declared_at).as_secs();
                out.push(EventBody::Escalated {
                    reason: format!(
                        "{} incident still open {} after declaration",
                        inc.priority,
                        crate::interval::human(after)
                    ),
                    clock: e.clock,
                    to: e.to,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::GENESIS;
    use crate::event::Event;
    use crate::model::{AssignedPriority, Priority};
    use crate::rules::{Action, Declaration, act, declare};

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn incident(level: Priority, commander: Option<&str>) -> Vec<Event> {
        let d = Declaration {
            advisory: "CVE-2026-0001".into(),
            priority: AssignedPriority::declared_by(level, "alice"),
            title: None,
            description: None,
            commander: commander.map(str::to_owned),
            services: vec![],
            published: None,
            detected: None,
            aliases: Vec::new(),
            scope: None,
            duplicate: None,
        };
        let mut events = Vec::new();
        append(
            &mut events,
            "alice",
            t("2026-11-23T12:00:00Z"),
            declare(
                &d,
                &crate::runbook::test_runbook(),
                t("2026-11-23T12:00:00Z"),
            )
            .unwrap(),
        );
        events
    }

    fn append(events: &mut Vec<Event>, actor: &str, at: Timestamp, bodies: Vec<EventBody>) {
        for b in bodies {
            let prev = events
                .last()
                .map(|e| e.hash.clone())
                .unwrap_or_else(|| GENESIS.into());
            let seq = events.len() as u64 + 1;
            events.push(Event::new("INC-2026-11-23-1", seq, at, actor, &b, &prev));
        }
    }

    fn tick(events: &mut Vec<Event>, now: &str) -> Vec<String> {
        let inc = Incident::from_events(events).unwrap();
        let fired = due(&inc, t(now));
        let keys = fired
            .iter()
            .filter_map(|b| b.clock().map(str::to_owned))
            .collect();
        append(events, "tick", t(now), fired);
        keys
    }

    #[test]
    fn a_p0_fires_each_clock_once() {
        let mut ev = incident(Priority::P0, None);
        assert_eq!(tick(&mut ev, "2026-11-23T12:10:00Z"), Vec::<String>::new());
        assert_eq!(tick(&mut ev, "2026-11-23T12:30:00Z"), vec!["update:0"]);
        assert_eq!(tick(&mut ev, "2026-11-23T12:45:00Z"), Vec::<String>::new());
        // Every missed status-update interval fires once (13:00, 13:30, 14:00
        // after 12:30), and three misses in a row escalate.
        assert_eq!(
            tick(&mut ev, "2026-11-23T14:00:00Z"),
            vec![
                "response",
                "target:containment",
                "update:0:2",
                "update:0:3",
                "update:0:4",
                "missed-updates:0",
                "escalation:P0:2h"
            ]
        );
        assert_eq!(tick(&mut ev, "2026-11-23T14:00:00Z"), Vec::<String>::new());
        let inc = Incident::from_events(&ev).unwrap();
        let b = act(
            &inc,
            &Action::Update {
                message: "working".into(),
                eta: None,
            },
            "bob",
            t("2026-11-23T14:05:00Z"),
        )
        .unwrap();
        append(&mut ev, "bob", t("2026-11-23T14:05:00Z"), b);
        assert_eq!(tick(&mut ev, "2026-11-23T14:34:59Z"), Vec::<String>::new());
        assert_eq!(tick(&mut ev, "2026-11-23T14:35:00Z"), vec!["update:1"]);
        let inc = Incident::from_events(&ev).unwrap();
        assert_eq!(inc.escalations[0].clock, "missed-updates:0");
        assert_eq!(inc.escalations[0].to, vec!["commander"]);
        assert!(
            inc.escalations[0]
                .reason
                .contains("4 status updates missed"),
            "{}",
            inc.escalations[0].reason
        );
        assert_eq!(inc.escalations[1].to, vec!["executive"]);
        assert!(
            inc.escalations[1].reason.contains("still open 2h"),
            "{}",
            inc.escalations[1].reason
        );
    }

    #[test]
    fn met_deadlines_and_stopped_clocks() {
        let mut ev = incident(Priority::P1, Some("alice"));
        let ds = deadlines(
            &Incident::from_events(&ev).unwrap(),
            t("2026-11-23T13:00:00Z"),
        );
        assert_eq!(ds[0].clock, "response");
        assert_eq!(
            ds[0].state,
            DeadlineState::Met {
                at: t("2026-11-23T12:00:00Z")
            }
        );
        assert_eq!(ds[1].clock, "target:containment");
        assert_eq!(ds[1].due, t("2026-11-23T20:00:00Z"));
        assert_eq!(ds[1].seconds_left, 7 * 3600);
        assert_eq!(ds.last().unwrap().clock, "update:0");
        let inc = Incident::from_events(&ev).unwrap();
        let b = act(
            &inc,
            &Action::Cancel {
                reason: "false alarm".into(),
            },
            "bob",
            t("2026-11-23T13:00:00Z"),
        )
        .unwrap();
        append(&mut ev, "bob", t("2026-11-23T13:00:00Z"), b);
        let inc = Incident::from_events(&ev).unwrap();
        assert!(
            due(&inc, t("2026-12-30T00:00:00Z")).is_empty(),
            "a cancelled incident fires nothing"
        );
        assert!(
            deadlines(&inc, t("2026-12-30T00:00:00Z"))
                .iter()
                .skip(1)
                .all(|d| d.state == DeadlineState::Stopped)
        );
    }

    #[test]
    fn raising_the_priority_switches_the_rules() {
        let mut ev = incident(Priority::P2, Some("alice"));
        assert_eq!(tick(&mut ev, "2026-11-23T15:00:00Z"), Vec::<String>::new());
        let inc = Incident::from_events(&ev).unwrap();
        let b = act(
            &inc,
            &Action::Impact {
                impact: "active-exploitation".into(),
            },
            "bob",
            t("2026-11-23T15:00:00Z"),
        )
        .unwrap();
        append(&mut ev, "bob", t("2026-11-23T15:00:00Z"), b);
        let fired = tick(&mut ev, "2026-11-23T15:00:00Z");
        // Three hours without an update at P0's 30-minute cadence: six misses.
        assert_eq!(
            fired,
            vec![
                "target:containment",
                "update:0",
                "update:0:2",
                "update:0:3",
                "update:0:4",
                "update:0:5",
                "update:0:6",
                "missed-updates:0",
                "escalation:P0:2h"
            ]
        );
    }

    #[test]
    fn regulatory_clocks_run_from_awareness_until_notified() {
        let mut ev = incident(Priority::P2, Some("alice"));
        let inc = Incident::from_events(&ev).unwrap();
        let b = act(
            &inc,
            &Action::Aware {
                at: Some(t("2026-11-23T10:00:00Z")),
            },
            "bob",
            t("2026-11-23T12:00:00Z"),
        )
        .unwrap();
        append(&mut ev, "bob", t("2026-11-23T12:00:00Z"), b);
        let inc = Incident::from_events(&ev).unwrap();
        let b = act(
            &inc,
            &Action::Notify {
                clock: "nis2-early-warning".into(),
                note: None,
            },
            "bob",
            t("2026-11-24T09:00:00Z"),
        )
        .unwrap();
        append(&mut ev, "bob", t("2026-11-24T09:00:00Z"), b);
        let inc = Incident::from_events(&ev).unwrap();
        let ds = deadlines(&inc, t("2026-11-26T10:00:00Z"));
        let gdpr = ds.iter().find(|d| d.clock == "regulatory:gdpr").unwrap();
        assert_eq!(gdpr.due, t("2026-11-26T10:00:00Z"));
        assert_eq!(gdpr.state, DeadlineState::Overdue);
        let nis2 = ds
            .iter()
            .find(|d| d.clock == "regulatory:nis2-early-warning")
            .unwrap();
        assert_eq!(
            nis2.state,
            DeadlineState::Met {
                at: t("2026-11-24T09:00:00Z")
            }
        );
        let fired = tick(&mut ev, "2026-11-26T10:00:00Z");
        assert!(fired.contains(&"regulatory:gdpr".to_owned()), "{fired:?}");
        assert!(
            fired.contains(&"regulatory:nis2-notification".to_owned()),
            "{fired:?}"
        );
        assert!(
            !fired.contains(&"regulatory:nis2-early-warning".to_owned()),
            "{fired:?}"
        );
    }
}
