//! An incident's current state, derived from its events (and only from them).

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Serialize;

use crate::event::{Event, EventBody};
use crate::model::{ApprovalKind, Decision, Phase, Priority, PrioritySource, Role};
use crate::postmortem::NoteSection;
use crate::remediation::{FixApplied, FixPlanned, FixTested, Verified};
use crate::runbook::{CheckedBy, Runbook};

/// Someone holding a role, and since when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// Who.
    pub name: String,
    /// Since when.
    pub since: Timestamp,
    /// Who assigned them.
    pub by: String,
}

/// A checked checklist item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Its phase.
    pub phase: Phase,
    /// Who checked it.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why it was checked before its phase, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ahead: Option<String>,
    /// The command whose evidence checked it (`verify`), when not a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<CheckedBy>,
    /// The seq of the event that is its evidence (the `verified` event), when
    /// checked by a command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<u64>,
    /// Why a person checked an item the runbook has checked by a command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forced: Option<String>,
}

/// A remediation step recorded in the timeline, with who recorded it, when, and
/// its event's seq.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step<T> {
    /// The step's fields.
    #[serde(flatten)]
    pub step: T,
    /// Its event's position in the timeline.
    pub seq: u64,
    /// Who recorded it.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// The remediation evidence recorded (`cverun fix`, `cverun verify`), oldest
/// first in each list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Remediation {
    /// Fix plans (`fix-planned`).
    pub planned: Vec<Step<FixPlanned>>,
    /// Fixes made on hotfix branches (`fix-applied`).
    pub applied: Vec<Step<FixApplied>>,
    /// Test runs (`fix-tested`).
    pub tested: Vec<Step<FixTested>>,
    /// Verifications (`verified`); the last one is the current verdict.
    pub verified: Vec<Step<Verified>>,
}

/// A recorded decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DecisionRecord {
    /// What.
    pub decision: Decision,
    /// Why.
    pub rationale: String,
    /// Who.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// A deployment approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Approval {
    /// Who approved.
    pub by: String,
    /// In which capacity.
    #[serde(rename = "as")]
    pub kind: ApprovalKind,
    /// When.
    pub at: Timestamp,
}

/// A status update.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusUpdate {
    /// The text.
    pub message: String,
    /// Expected resolution.
    pub eta: Option<Timestamp>,
    /// Who posted it.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// A priority and why, with when it was set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PriorityRecord {
    /// The priority.
    pub level: Priority,
    /// Why.
    pub explanation: String,
    /// Who or what set it.
    pub source: PrioritySource,
    /// When.
    pub at: Timestamp,
}

/// A recorded impact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImpactRecord {
    /// Its name.
    pub impact: String,
    /// Its label.
    pub label: String,
    /// Who recorded it.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// An escalation that happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EscalationRecord {
    /// The clock that fired it.
    pub clock: String,
    /// Who was told.
    pub to: Vec<String>,
    /// Why.
    pub reason: String,
    /// When.
    pub at: Timestamp,
}

/// An evidence archive recorded in the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EvidenceRecord {
    /// File name.
    pub file: String,
    /// SHA-256 of its manifest.
    pub manifest_sha256: String,
    /// Members.
    pub members: u64,
    /// Bytes.
    pub bytes: u64,
    /// Who collected it.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// A note for the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoteRecord {
    /// The text.
    pub text: String,
    /// The post-mortem section it belongs to, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<NoteSection>,
    /// Who.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// A follow-up action item (`incident action add`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionItem {
    /// Its number in the incident, from 1 (shown as `ACTION-<n>`).
    pub action: u64,
    /// What is to be done.
    pub text: String,
    /// Who owns it.
    pub owner: String,
    /// When it is due.
    pub due: Timestamp,
    /// Who added it.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// When it was done, by whom and how; `None` while open.
    pub done: Option<ActionDone>,
    /// When `tick` recorded it overdue (`action-overdue`), when it did.
    pub overdue_fired: Option<Timestamp>,
}

/// How an action item was done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActionDone {
    /// Who marked it done.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// How, when said.
    pub note: Option<String>,
}

impl ActionItem {
    /// Its id as people write it (`ACTION-3`).
    pub fn id(&self) -> String {
        crate::postmortem::action_id(self.action)
    }

    /// Whether it is open and past its due time at `now`.
    pub fn is_overdue(&self, now: Timestamp) -> bool {
        self.done.is_none() && now >= self.due
    }
}

/// An item checked and later unchecked, kept for the record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Uncheck {
    /// Its phase.
    pub phase: Phase,
    /// The item.
    pub item: String,
    /// Why.
    pub reason: String,
    /// Who.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// A phase change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// From.
    pub from: Phase,
    /// To.
    pub to: Phase,
    /// Who.
    pub by: String,
    /// When.
    pub at: Timestamp,
    /// Why (going back, cancelling, reopening, forcing).
    pub reason: Option<String>,
    /// Required items left open by forcing.
    pub forced_open: Vec<String>,
}

/// Everything known about an incident, folded from its events.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Incident {
    /// `INC-YYYY-MM-DD-N`.
    pub id: String,
    /// The advisory.
    pub advisory: String,
    /// The vulnerability's other ids, when known at declaration.
    pub aliases: Vec<String>,
    /// The part of the organisation it covers (`None`: the whole store).
    pub scope: Option<String>,
    /// Declared although an open incident covered the same vulnerability and scope.
    pub duplicate: Option<crate::event::Duplicate>,
    /// Title.
    pub title: String,
    /// Description.
    pub description: Option<String>,
    /// Current priority.
    pub priority: Priority,
    /// Every priority it had, first the declared one.
    pub priority_history: Vec<PriorityRecord>,
    /// Affected services.
    pub services: Vec<String>,
    /// When the advisory was published, when known.
    pub published: Option<Timestamp>,
    /// When the problem was detected.
    pub detected: Timestamp,
    /// When it was declared.
    pub declared_at: Timestamp,
    /// Who declared it.
    pub declared_by: String,
    /// Current phase.
    pub phase: Phase,
    /// Since when.
    pub phase_since: Timestamp,
    /// Phase changes, in order.
    pub transitions: Vec<Transition>,
    /// When each active phase was first completed (left forward).
    pub completed: BTreeMap<Phase, Timestamp>,
    /// Role holders, oldest first; the last one holds the role now.
    pub roles: BTreeMap<Role, Vec<Holder>>,
    /// Checked items by id (current round: reopening clears those of the phases
    /// worked again).
    pub checked: BTreeMap<String, Check>,
    /// Decisions, oldest first; the last one stands.
    pub decisions: Vec<DecisionRecord>,
    /// Approvals of the current round (going back before DEPLOYMENT or reopening
    /// starts a new round).
    pub approvals: Vec<Approval>,
    /// Status updates, oldest first.
    pub updates: Vec<StatusUpdate>,
    /// Impacts.
    pub impacts: Vec<ImpactRecord>,
    /// When the organisation became aware.
    pub aware_at: Option<Timestamp>,
    /// Regulatory notifications made: clock -> when.
    pub notified: BTreeMap<String, Timestamp>,
    /// Clocks that fired: clock -> when.
    pub fired: BTreeMap<String, Timestamp>,
    /// Escalations.
    pub escalations: Vec<EscalationRecord>,
    /// Evidence archives.
    pub evidence: Vec<EvidenceRecord>,
    /// Remediation evidence: fixes planned, applied, tested; verifications.
    pub remediation: Remediation,
    /// When it was (last) resolved.
    pub resolved_at: Option<Timestamp>,
    /// Notes, oldest first.
    pub notes: Vec<NoteRecord>,
    /// Items unchecked, oldest first.
    pub unchecked: Vec<Uncheck>,
    /// Follow-up action items, by number.
    pub action_items: Vec<ActionItem>,
    /// Actors of recorded events (not clock events) who are not in the roster:
    /// their identity could not be matched to a person.
    pub outside_roster: BTreeSet<String>,
    /// When the roster was last replaced by a `roster` event, and by whom.
    pub roster_changed: Option<(Timestamp, String)>,
    /// The runbook it follows (its roster as last recorded).
    #[serde(skip)]
    pub runbook: Runbook,
    /// Number of events.
    pub events: u64,
    /// Time of the last event.
    pub last_event_at: Timestamp,
    /// The seq of the last event folded (the chain's head).
    #[serde(skip)]
    pub head_seq: u64,
    /// The hash of the last event folded (the chain's head), what messages
    /// carry as a witness of the record.
    #[serde(skip)]
    pub head_hash: String,
}

/// Events that cannot be folded into an incident.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{incident}: {}{message}", if *seq > 0 { format!("event seq {seq}: ") } else { String::new() })]
pub struct FoldError {
    /// The incident.
    pub incident: String,
    /// The event (0 when not about one event).
    pub seq: u64,
    /// What is wrong.
    pub message: String,
}

impl Incident {
    /// The current holder of `role`.
    pub fn holder(&self, role: Role) -> Option<&Holder> {
        self.roles.get(&role).and_then(|h| h.last())
    }

    /// The decision that stands.
    pub fn decision(&self) -> Option<&DecisionRecord> {
        self.decisions.last()
    }

    /// Whether the incident is still being worked on.
    pub fn is_open(&self) -> bool {
        self.phase.is_open()
    }

    /// The first time an incident commander was assigned.
    pub fn first_commander_at(&self) -> Option<Timestamp> {
        self.roles
            .get(&Role::Commander)
            .and_then(|h| h.first())
            .map(|h| h.since)
    }

    /// The phases of the current priority, in order.
    pub fn phases(&self) -> &[Phase] {
        self.runbook.phases(self.priority)
    }

    /// Where `phase` stands in the current priority's order (see
    /// [`Runbook::position`]).
    pub fn position(&self, phase: Phase) -> Option<usize> {
        self.runbook.position(self.priority, phase)
    }

    /// The phase whose entry needs the approvals.
    pub fn gate(&self) -> Phase {
        self.runbook.policy(self.priority).gate
    }

    /// The phase after the current one (RESOLVED after the last).
    pub fn next_phase(&self) -> Option<Phase> {
        self.runbook.next(self.priority, self.phase)
    }

    /// The label of `phase` in the incident's runbook.
    pub fn phase_label(&self, phase: Phase) -> String {
        self.runbook.phase_label(phase)
    }

    /// Required items of `phase` not checked, as `phase/item`.
    pub fn open_required(&self, phase: Phase) -> Vec<String> {
        self.runbook
            .items_for(self.priority, phase)
            .iter()
            .filter(|i| i.required && !self.checked.contains_key(&i.id))
            .map(|i| format!("{}/{}", phase.key(), i.id))
            .collect()
    }

    /// Action item number `action`, or why there is none.
    fn action_item_mut(&mut self, action: u64) -> Result<&mut ActionItem, String> {
        let count = self.action_items.len();
        action
            .checked_sub(1)
            .and_then(|i| self.action_items.get_mut(i as usize))
            .ok_or_else(|| format!("no action item {action} (the incident has {count})"))
    }

    /// The open action items past their due time at `now`.
    pub fn overdue_actions(&self, now: Timestamp) -> Vec<&ActionItem> {
        self.action_items
            .iter()
            .filter(|a| a.is_overdue(now))
            .collect()
    }

    /// Notes `actor` when the roster does not know them.
    fn flag_actor(&mut self, actor: &str) {
        if self.runbook.person(actor).is_none() {
            self.outside_roster.insert(actor.to_owned());
        }
    }

    /// Folds `events` (one incident's, in seq order) into its state.
    pub fn from_events(events: &[Event]) -> Result<Incident, FoldError> {
        let first = events.first().ok_or_else(|| FoldError {
            incident: String::new(),
            seq: 0,
            message: "the incident has no events".into(),
        })?;
        let err = |seq: u64, message: String| FoldError {
            incident: first.incident.clone(),
            seq,
            message,
        };
        let at = first.time().map_err(|m| err(first.seq, m))?;
        let body = first.body().map_err(|m| err(first.seq, m))?;
        let EventBody::Declared {
            advisory,
            title,
            description,
            priority,
            explanation,
            priority_source,
            services,
            published,
            detected,
            runbook,
            aliases,
            scope,
            duplicate,
        } = body
        else {
            return Err(err(
                first.seq,
                format!("the first event is {:?}, not \"declared\"", first.kind),
            ));
        };
        if !runbook.is_complete() {
            return Err(err(first.seq, "the recorded runbook is incomplete".into()));
        }
        let mut inc = Incident {
            id: first.incident.clone(),
            advisory,
            aliases,
            scope,
            duplicate,
            title,
            description,
            priority,
            priority_history: vec![PriorityRecord {
                level: priority,
                explanation,
                source: priority_source,
                at,
            }],
            services,
            published,
            detected,
            declared_at: at,
            declared_by: first.actor.clone(),
            // The first phase of the declared priority (the runbook is complete:
            // every priority has at least one).
            phase: runbook
                .phases(priority)
                .first()
                .copied()
                .unwrap_or(Phase::Containment),
            phase_since: at,
            transitions: Vec::new(),
            completed: BTreeMap::new(),
            roles: BTreeMap::new(),
            checked: BTreeMap::new(),
            decisions: Vec::new(),
            approvals: Vec::new(),
            updates: Vec::new(),
            impacts: Vec::new(),
            aware_at: None,
            notified: BTreeMap::new(),
            fired: BTreeMap::new(),
            escalations: Vec::new(),
            evidence: Vec::new(),
            remediation: Remediation::default(),
            resolved_at: None,
            notes: Vec::new(),
            unchecked: Vec::new(),
            action_items: Vec::new(),
            outside_roster: BTreeSet::new(),
            roster_changed: None,
            runbook: *runbook,
            events: 1,
            last_event_at: at,
            head_seq: first.seq,
            head_hash: first.hash.clone(),
        };
        inc.flag_actor(&first.actor);
        for e in &events[1..] {
            let at = e.time().map_err(|m| err(e.seq, m))?;
            let body = e.body().map_err(|m| err(e.seq, m))?;
            inc.apply(e.seq, &e.actor, at, body)
                .map_err(|m| err(e.seq, m))?;
            inc.set_head(e);
        }
        Ok(inc)
    }

    /// Records `e` as the chain's head (after folding it).
    pub fn set_head(&mut self, e: &Event) {
        self.head_seq = e.seq;
        self.head_hash = e.hash.clone();
    }

    /// Applies one event (after the first) at `seq`.
    pub(crate) fn apply(
        &mut self,
        seq: u64,
        actor: &str,
        at: Timestamp,
        body: EventBody,
    ) -> Result<(), String> {
        self.events += 1;
        self.last_event_at = at;
        let by = actor.to_owned();
        if body.clock().is_none() && !matches!(body, EventBody::Roster { .. }) {
            self.flag_actor(actor);
        }
        match body {
            EventBody::Declared { .. } => return Err("a second \"declared\" event".into()),
            EventBody::Assigned { role, name, .. } => {
                self.roles.entry(role).or_default().push(Holder {
                    name,
                    since: at,
                    by,
                });
            }
            EventBody::Checked {
                phase,
                item,
                ahead,
                by: command,
                forced,
                ..
            } => {
                let evidence = match command {
                    Some(CheckedBy::Verify) => self.remediation.verified.last().map(|v| v.seq),
                    None => None,
                };
                self.checked.insert(
                    item,
                    Check {
                        phase,
                        by,
                        at,
                        ahead,
                        command,
                        evidence,
                        forced,
                    },
                );
            }
            EventBody::Unchecked {
                phase,
                item,
                reason,
            } => {
                self.checked.remove(&item);
                self.unchecked.push(Uncheck {
                    phase,
                    item,
                    reason,
                    by,
                    at,
                });
            }
            EventBody::Note { text, section } => self.notes.push(NoteRecord {
                text,
                section,
                by,
                at,
            }),
            EventBody::Roster { people } => {
                self.runbook.people = people;
                self.roster_changed = Some((at, by.clone()));
                // Who was outside the old roster may be in the new one.
                let known: Vec<String> = self
                    .outside_roster
                    .iter()
                    .filter(|a| self.runbook.person(a).is_some())
                    .cloned()
                    .collect();
                for a in known {
                    self.outside_roster.remove(&a);
                }
                self.flag_actor(actor);
            }
            EventBody::Advanced {
                from,
                to,
                reason,
                forced,
            } => {
                let (pf, pt) = (self.position(from), self.position(to));
                let gate = self.position(self.gate());
                match (pf, pt) {
                    (Some(f), Some(t)) if t > f => {
                        let left: Vec<Phase> =
                            self.phases()[f..t.min(self.phases().len())].to_vec();
                        for p in left {
                            self.completed.entry(p).or_insert(at);
                        }
                    }
                    (_, Some(t)) if gate.is_some_and(|g| t < g) => self.approvals.clear(),
                    _ => {}
                }
                if to == Phase::Resolved {
                    self.resolved_at = Some(at);
                }
                self.transitions.push(Transition {
                    from,
                    to,
                    by,
                    at,
                    reason: forced.as_ref().map(|f| f.reason.clone()).or(reason),
                    forced_open: forced.map(|f| f.open).unwrap_or_default(),
                });
                self.phase = to;
                self.phase_since = at;
            }
            EventBody::Cancelled { from, reason } => {
                self.transitions.push(Transition {
                    from,
                    to: Phase::Cancelled,
                    by,
                    at,
                    reason: Some(reason),
                    forced_open: Vec::new(),
                });
                self.phase = Phase::Cancelled;
                self.phase_since = at;
            }
            EventBody::Reopened { from, to, reason } => {
                self.transitions.push(Transition {
                    from,
                    to,
                    by,
                    at,
                    reason: Some(reason),
                    forced_open: Vec::new(),
                });
                let to_pos = self.position(to);
                let positions: BTreeMap<Phase, usize> = self
                    .phases()
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (*p, i))
                    .collect();
                self.checked
                    .retain(|_, c| match (positions.get(&c.phase), to_pos) {
                        (Some(p), Some(t)) => *p < t,
                        _ => false,
                    });
                self.approvals.clear();
                self.resolved_at = None;
                self.phase = to;
                self.phase_since = at;
            }
            EventBody::Decided {
                decision,
                rationale,
                ..
            } => self.decisions.push(DecisionRecord {
                decision,
                rationale,
                by,
                at,
            }),
            EventBody::Approved { kind } => self.approvals.push(Approval { by, kind, at }),
            EventBody::Updated { message, eta, .. } => self.updates.push(StatusUpdate {
                message,
                eta,
                by,
                at,
            }),
            EventBody::Impact { impact, label } => self.impacts.push(ImpactRecord {
                impact,
                label,
                by,
                at,
            }),
            EventBody::Priority {
                to,
                explanation,
                source,
                ..
            } => {
                self.priority = to;
                self.priority_history.push(PriorityRecord {
                    level: to,
                    explanation,
                    source,
                    at,
                });
            }
            EventBody::Aware { became_aware_at } => self.aware_at = Some(became_aware_at),
            EventBody::Notified { clock, .. } => {
                self.notified.insert(clock, at);
            }
            EventBody::Escalated { clock, to, reason } => {
                self.fired.insert(clock.clone(), at);
                self.escalations.push(EscalationRecord {
                    clock,
                    to,
                    reason,
                    at,
                });
            }
            EventBody::Overdue { clock, .. } => {
                self.fired.insert(clock, at);
            }
            EventBody::Evidence {
                file,
                manifest_sha256,
                members,
                bytes,
            } => self.evidence.push(EvidenceRecord {
                file,
                manifest_sha256,
                members,
                bytes,
                by,
                at,
            }),
            EventBody::FixPlanned(step) => {
                self.remediation.planned.push(Step { step, seq, by, at })
            }
            EventBody::FixApplied(step) => {
                self.remediation.applied.push(Step { step, seq, by, at })
            }
            EventBody::FixTested(step) => self.remediation.tested.push(Step { step, seq, by, at }),
            EventBody::Verified(step) => self.remediation.verified.push(Step { step, seq, by, at }),
            // Messages live in the outbox; the incident's state does not depend on them.
            EventBody::MessageQueued(_)
            | EventBody::MessageReplayed(_)
            | EventBody::MessageApproved(_) => {}
            EventBody::ActionAdded {
                action,
                text,
                owner,
                due,
            } => {
                if action != self.action_items.len() as u64 + 1 {
                    return Err(format!(
                        "action item {action} added after {} items (numbers must follow)",
                        self.action_items.len()
                    ));
                }
                self.action_items.push(ActionItem {
                    action,
                    text,
                    owner,
                    due,
                    by,
                    at,
                    done: None,
                    overdue_fired: None,
                });
            }
            EventBody::ActionDone { action, note } => {
                let item = self.action_item_mut(action)?;
                item.done = Some(ActionDone { by, at, note });
            }
            EventBody::ActionOverdue { clock, action, .. } => {
                self.fired.insert(clock, at);
                self.action_item_mut(action)?.overdue_fired = Some(at);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Priority;
    use crate::runbook::Runbook;

    /// The runbook as events recorded before runbooks held roles, a roster, phases
    /// per priority and approval kinds: today's default as JSON without those keys
    /// (the older fields kept their names and shapes).
    fn older_runbook_json() -> serde_json::Value {
        let mut v = serde_json::to_value(Runbook::default()).unwrap();
        let rb = v.as_object_mut().unwrap();
        for k in ["phases", "roles", "people", "approval"] {
            assert!(rb.remove(k).is_some(), "{k}");
        }
        for (_, p) in rb["priority"].as_object_mut().unwrap() {
            let p = p.as_object_mut().unwrap();
            for k in ["phases", "gate", "checklist", "missed-updates"] {
                p.remove(k);
            }
        }
        for (_, i) in rb["impact"].as_object_mut().unwrap() {
            i.as_object_mut().unwrap().remove("requires");
        }
        v
    }

    #[test]
    fn incidents_recorded_before_runbooks_held_people_still_read() {
        let details = serde_json::json!({
            "advisory": "GHSA-jfh8-c2jp-5v3q",
            "title": "log4shell",
            "priority": "P0",
            "explanation": "declared by alice",
            "priority_source": "declared",
            "services": ["checkout"],
            "detected": "2026-11-23T12:00:00Z",
            "runbook": older_runbook_json(),
        });
        let declared = EventBody::parse("declared", &details.to_string()).unwrap();
        let e = Event::new(
            "INC-2026-11-23-1",
            1,
            "2026-11-23T12:00:00Z".parse().unwrap(),
            "alice",
            &declared,
            crate::chain::GENESIS,
        );
        let inc = Incident::from_events(&[e]).unwrap();
        assert_eq!(inc.priority, Priority::P0);
        assert_eq!(inc.phase, Phase::Containment);
        assert_eq!(inc.phases().len(), 5, "the built-in phases");
        assert_eq!(inc.gate(), Phase::Deployment);
        assert_eq!(inc.open_required(Phase::Containment).len(), 4);
        assert!(inc.aliases.is_empty() && inc.scope.is_none() && inc.duplicate.is_none());
    }
}
