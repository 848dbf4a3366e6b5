//! Timeline events: what happened (a typed [`EventBody`]) and the record stored for
//! it ([`Event`]: sequence number, time, actor, kind, details as canonical JSON, and
//! the hash chain).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::chain;
use crate::model::{ApprovalKind, Decision, Phase, Priority, PrioritySource, Role};
use crate::outbox::approval::MessageApproved;
use crate::outbox::{MessageQueued, MessageReplayed};
use crate::postmortem::NoteSection;
use crate::remediation::{FixApplied, FixPlanned, FixTested, Verified};
use crate::roster::Person;
use crate::runbook::{CheckedBy, Runbook};

/// A phase left with required checklist items open, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forced {
    /// Why.
    pub reason: String,
    /// The open required items (`phase/item`).
    pub open: Vec<String>,
}

/// A declaration made although an open incident covers the same vulnerability and
/// scope, recorded in its `declared` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Duplicate {
    /// A duplicate of this open incident, declared to be worked apart (and linked).
    Of(String),
    /// Declared anyway, for this reason.
    Allowed(String),
}

/// What happened. Serialised as the event's `kind` and `details`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EventBody {
    /// The incident was declared (always event 1).
    Declared {
        /// The advisory (OSV, GHSA or CVE id).
        advisory: String,
        /// Title.
        title: String,
        /// Description.
        #[serde(default)]
        description: Option<String>,
        /// Priority.
        priority: Priority,
        /// Why this priority.
        explanation: String,
        /// Who chose the priority.
        priority_source: PrioritySource,
        /// Affected services.
        #[serde(default)]
        services: Vec<String>,
        /// When the advisory was published, when known.
        #[serde(default)]
        published: Option<Timestamp>,
        /// When the problem was first detected (the declaration time unless given).
        detected: Timestamp,
        /// The runbook the incident follows.
        runbook: Box<Runbook>,
        /// The vulnerability's other ids (aliases), when known: with `advisory`,
        /// what makes two incidents the same vulnerability.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        aliases: Vec<String>,
        /// The part of the organisation the incident covers, when incidents of one
        /// vulnerability are worked apart (`None`: the whole store).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
        /// Declared although another open incident covers the same vulnerability
        /// and scope: how, and why.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duplicate: Option<Duplicate>,
    },
    /// A role was handed to someone.
    Assigned {
        /// The role.
        role: Role,
        /// Who holds it now.
        name: String,
        /// Who held it before.
        #[serde(default)]
        previous: Option<String>,
    },
    /// A checklist item was checked.
    Checked {
        /// Its phase.
        phase: Phase,
        /// Its id.
        item: String,
        /// Its text.
        text: String,
        /// Why it was checked before the incident reached its phase (`--force
        /// --reason`, or "verified clean by cverun verify"); absent for an item
        /// of the current or an earlier phase.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ahead: Option<String>,
        /// The command whose evidence checked it (`verify`: the `verified` event
        /// just before); absent when checked by a person.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<CheckedBy>,
        /// Why a person checked an item the runbook has checked by a command
        /// (`--force --reason`): forced by hand.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        forced: Option<String>,
    },
    /// A checked item was unchecked (it no longer holds).
    Unchecked {
        /// Its phase.
        phase: Phase,
        /// Its id.
        item: String,
        /// Why.
        reason: String,
    },
    /// The incident moved to another phase (forward, or back with a reason).
    Advanced {
        /// From.
        from: Phase,
        /// To.
        to: Phase,
        /// Why (required when going back).
        #[serde(default)]
        reason: Option<String>,
        /// Required items left open, when forced.
        #[serde(default)]
        forced: Option<Forced>,
    },
    /// The incident was called off.
    Cancelled {
        /// The phase it was in.
        from: Phase,
        /// Why.
        reason: String,
    },
    /// A resolved or cancelled incident was reopened.
    Reopened {
        /// Its end state.
        from: Phase,
        /// The phase it is back in.
        to: Phase,
        /// Why.
        reason: String,
    },
    /// What will be done about the vulnerability.
    Decided {
        /// The decision.
        decision: Decision,
        /// Why.
        rationale: String,
        /// The decision it replaces.
        #[serde(default)]
        previous: Option<Decision>,
    },
    /// The actor approved deployment.
    Approved {
        /// In which capacity.
        #[serde(rename = "as")]
        kind: ApprovalKind,
    },
    /// A status update.
    Updated {
        /// The update.
        message: String,
        /// Expected resolution, when given.
        #[serde(default)]
        eta: Option<Timestamp>,
        /// When the next update is due (none after the resolution: the resolution
        /// message ends the cadence).
        #[serde(default)]
        next_due: Option<Timestamp>,
    },
    /// A note for the record (any time, also after the end).
    Note {
        /// The text.
        text: String,
        /// The post-mortem section it belongs to (`incident note --section`);
        /// absent for a plain note (whose details keep their older shape).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        section: Option<NoteSection>,
    },
    /// The roster the incident follows from now on (the runbook's people).
    Roster {
        /// Every person, as the runbook file had them.
        people: Vec<Person>,
    },
    /// An impact was recorded.
    Impact {
        /// Its name in the runbook.
        impact: String,
        /// Its label.
        label: String,
    },
    /// The priority changed.
    Priority {
        /// From.
        from: Priority,
        /// To.
        to: Priority,
        /// Why.
        explanation: String,
        /// Who or what changed it.
        source: PrioritySource,
    },
    /// The time the organisation became aware (starts the regulatory clocks).
    Aware {
        /// When.
        became_aware_at: Timestamp,
    },
    /// A regulatory notification was made.
    Notified {
        /// The regulatory clock.
        clock: String,
        /// What it is.
        label: String,
        /// Reference or note.
        #[serde(default)]
        note: Option<String>,
    },
    /// People were told (a clock or an impact).
    Escalated {
        /// The clock key, unique per incident (`escalation:P0:2h`, `impact:customer-data`).
        clock: String,
        /// Who.
        to: Vec<String>,
        /// Why.
        reason: String,
    },
    /// A deadline passed.
    Overdue {
        /// The clock key, unique per incident (`response`, `target:containment`,
        /// `update:3`, `regulatory:gdpr`).
        clock: String,
        /// The deadline.
        deadline: Timestamp,
        /// What is overdue.
        what: String,
    },
    /// An evidence archive was collected.
    Evidence {
        /// The archive's file name.
        file: String,
        /// SHA-256 of its MANIFEST.json.
        manifest_sha256: String,
        /// Number of members (besides the manifest).
        members: u64,
        /// Total size of the members in bytes.
        bytes: u64,
    },
    /// A fix was planned (`cverun fix --incident`).
    FixPlanned(FixPlanned),
    /// A fix was made on a hotfix branch.
    FixApplied(FixApplied),
    /// One service's tests ran against the fix.
    FixTested(FixTested),
    /// A re-scan was compared with a baseline (`cverun verify --incident`), and
    /// judged against the incident's advisory and affected services.
    Verified(Verified),
    /// A message was put in the outbox (its body is in the outbox row, not here).
    MessageQueued(MessageQueued),
    /// A dead or unknown message was queued again, with the same idempotency key.
    MessageReplayed(MessageReplayed),
    /// A held message's body was approved by a person in a role it needs.
    MessageApproved(MessageApproved),
    /// A follow-up action item was added (`incident action add`), also after the
    /// resolution.
    ActionAdded {
        /// Its number in the incident (`ACTION-<n>`), from 1.
        action: u64,
        /// What is to be done.
        text: String,
        /// Who owns it (a roster handle when the roster has people).
        owner: String,
        /// When it is due.
        due: Timestamp,
    },
    /// An action item was done (`incident action done`).
    ActionDone {
        /// Its number.
        action: u64,
        /// How it was done, when said.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// An action item passed its due time while still open (recorded once by
    /// `incident tick`, so that its owner can be told).
    ActionOverdue {
        /// The clock key, unique per incident (`action:<n>`).
        clock: String,
        /// Its number.
        action: u64,
        /// Who owns it.
        owner: String,
        /// When it was due.
        due: Timestamp,
        /// What is to be done.
        text: String,
    },
}

impl EventBody {
    /// The event kind (`declared`, `assigned`...).
    pub fn kind(&self) -> &'static str {
        match self {
            EventBody::Declared { .. } => "declared",
            EventBody::Assigned { .. } => "assigned",
            EventBody::Checked { .. } => "checked",
            EventBody::Unchecked { .. } => "unchecked",
            EventBody::Note { .. } => "note",
            EventBody::Roster { .. } => "roster",
            EventBody::Advanced { .. } => "advanced",
            EventBody::Cancelled { .. } => "cancelled",
            EventBody::Reopened { .. } => "reopened",
            EventBody::Decided { .. } => "decided",
            EventBody::Approved { .. } => "approved",
            EventBody::Updated { .. } => "updated",
            EventBody::Impact { .. } => "impact",
            EventBody::Priority { .. } => "priority",
            EventBody::Aware { .. } => "aware",
            EventBody::Notified { .. } => "notified",
            EventBody::Escalated { .. } => "escalated",
            EventBody::Overdue { .. } => "overdue",
            EventBody::Evidence { .. } => "evidence",
            EventBody::FixPlanned(_) => "fix-planned",
            EventBody::FixApplied(_) => "fix-applied",
            EventBody::FixTested(_) => "fix-tested",
            EventBody::Verified(_) => "verified",
            EventBody::MessageQueued(_) => "message-queued",
            EventBody::MessageReplayed(_) => "message-replayed",
            EventBody::MessageApproved(_) => "message-approved",
            EventBody::ActionAdded { .. } => "action-added",
            EventBody::ActionDone { .. } => "action-done",
            EventBody::ActionOverdue { .. } => "action-overdue",
        }
    }

    /// The clock this event fires, for events that must happen at most once per
    /// incident (the store enforces it with a unique key).
    pub fn clock(&self) -> Option<&str> {
        match self {
            EventBody::Escalated { clock, .. }
            | EventBody::Overdue { clock, .. }
            | EventBody::ActionOverdue { clock, .. } => Some(clock),
            _ => None,
        }
    }

    /// The details as canonical JSON (sorted keys, no spaces), without the kind.
    pub fn details_json(&self) -> String {
        let mut v = match serde_json::to_value(self) {
            Ok(v) => v,
            // Every field is a string, number, list or map: serialising cannot fail.
            Err(e) => unreachable!("event details do not serialise: {e}"),
        };
        if let Some(map) = v.as_object_mut() {
            map.remove("kind");
        }
        chain::canonical_json(&v)
    }

    /// Reads the body back from a stored kind and details.
    pub fn parse(kind: &str, details: &str) -> Result<EventBody, String> {
        let mut v: serde_json::Value =
            serde_json::from_str(details).map_err(|e| format!("details are not JSON: {e}"))?;
        let map = v
            .as_object_mut()
            .ok_or_else(|| "details are not a JSON object".to_owned())?;
        map.insert("kind".into(), serde_json::Value::String(kind.to_owned()));
        serde_json::from_value(v).map_err(|e| format!("cannot read a {kind:?} event: {e}"))
    }
}

/// One stored timeline event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// The incident.
    pub incident: String,
    /// Position in the incident's timeline, from 1.
    pub seq: u64,
    /// When (RFC 3339, as stored and hashed).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What kind of event.
    pub kind: String,
    /// Details (canonical JSON, as stored and hashed).
    pub details: String,
    /// The hash of the previous event (64 zeros for the first).
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
    /// HMAC-SHA256 (hex) of the hash under the incident key (see
    /// [`chain::event_mac_parts`]); `None` when written without a key.
    pub mac: Option<String>,
    /// The id of the key that made `mac`.
    pub key_id: Option<String>,
}

impl Event {
    /// The event after `prev_hash` at `seq`, with its hash computed.
    pub fn new(
        incident: &str,
        seq: u64,
        at: Timestamp,
        actor: &str,
        body: &EventBody,
        prev_hash: &str,
    ) -> Event {
        let mut e = Event {
            incident: incident.to_owned(),
            seq,
            at: at.to_string(),
            actor: actor.to_owned(),
            kind: body.kind().to_owned(),
            details: body.details_json(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
            mac: None,
            key_id: None,
        };
        e.hash = e.computed_hash();
        e
    }

    /// Authenticates the event with `key` (its MAC over the hash and the store's
    /// clock mode, and the key's id).
    pub fn sign(&mut self, key: &crate::key::Key, simulated: bool) {
        self.mac = Some(key.mac(&chain::event_mac_parts(&self.hash, simulated)));
        self.key_id = Some(key.id().to_owned());
    }

    /// The hash this event's content calls for.
    pub fn computed_hash(&self) -> String {
        chain::event_hash(
            &self.incident,
            self.seq,
            &self.at,
            &self.actor,
            &self.kind,
            &self.details,
            &self.prev_hash,
        )
    }

    /// The time, parsed.
    pub fn time(&self) -> Result<Timestamp, String> {
        self.at
            .parse()
            .map_err(|e| format!("time {:?} is not RFC 3339: {e}", self.at))
    }

    /// The body, parsed.
    pub fn body(&self) -> Result<EventBody, String> {
        EventBody::parse(&self.kind, &self.details)
    }

    /// The clock key (from the details), for events fired at most once.
    pub fn clock(&self) -> Option<String> {
        self.body().ok().and_then(|b| b.clock().map(str::to_owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_round_trip_through_kind_and_details() {
        let bodies = [
            EventBody::Approved {
                kind: ApprovalKind::Security,
            },
            EventBody::Advanced {
                from: Phase::Containment,
                to: Phase::Remediation,
                reason: None,
                forced: Some(Forced {
                    reason: "on fire".into(),
                    open: vec!["containment/code-freeze".into()],
                }),
            },
            EventBody::Overdue {
                clock: "target:containment".into(),
                deadline: "2026-11-23T14:00:00Z".parse().unwrap(),
                what: "containment".into(),
            },
        ];
        for b in bodies {
            let d = b.details_json();
            assert!(!d.contains("\"kind\""), "{d}");
            assert_eq!(EventBody::parse(b.kind(), &d).unwrap(), b);
        }
    }

    #[test]
    fn remediation_events_round_trip_with_their_kinds() {
        use crate::remediation::*;
        let h = "ab".repeat(32);
        let bodies = [
            EventBody::FixPlanned(FixPlanned {
                plan_sha256: h.clone(),
                changes: 2,
                breaking: 1,
                incomplete: 0,
                unfixable: 0,
                services: vec!["checkout".into()],
                proposed: Some(Decision::HotfixCodeChanges),
                summary: "log4j-core 2.14.1 -> 2.17.1".into(),
            }),
            EventBody::FixApplied(FixApplied {
                repository: ".".into(),
                branch: "hotfix/x".into(),
                base: BaseRef {
                    reference: "main".into(),
                    commit: "c".repeat(40),
                },
                commits: vec![FixCommit {
                    service: "all".into(),
                    commit: "d".repeat(40),
                }],
                pushed: None,
                changes: 2,
            }),
            EventBody::FixTested(FixTested {
                service: "checkout".into(),
                command: "npm test".into(),
                exit_status: None,
                duration_ms: 3,
                passed: false,
                kept: false,
            }),
            EventBody::Verified(Verified {
                report_sha256: h.clone(),
                baseline: Baseline::File {
                    name: "base.json".into(),
                    sha256: h,
                },
                fixed: 1,
                remaining: 0,
                introduced: 0,
                services: vec![AdvisoryStatus {
                    service: "checkout".into(),
                    state: AdvisoryState::Gone,
                }],
                clean: true,
            }),
            EventBody::Checked {
                phase: Phase::Validation,
                item: "rescan-clean".into(),
                text: "Re-scan clean".into(),
                ahead: None,
                by: Some(CheckedBy::Verify),
                forced: None,
            },
        ];
        let kinds: Vec<&str> = bodies.iter().map(EventBody::kind).collect();
        assert_eq!(
            kinds,
            [
                "fix-planned",
                "fix-applied",
                "fix-tested",
                "verified",
                "checked"
            ]
        );
        for b in bodies {
            let d = b.details_json();
            // The tag serde writes is the kind the store keeps.
            let tagged = serde_json::to_value(&b).unwrap();
            assert_eq!(tagged["kind"], b.kind());
            assert!(!d.contains("\"kind\""), "{d}");
            assert_eq!(EventBody::parse(b.kind(), &d).unwrap(), b);
        }
        let d = EventBody::Approved {
            kind: ApprovalKind::Technical,
        }
        .details_json();
        assert_eq!(d, r#"{"as":"technical"}"#);
        // A check by a person keeps the details it had before items could be
        // checked by a command (no new keys).
        let d = EventBody::Checked {
            phase: Phase::Containment,
            item: "blast-radius".into(),
            text: "Blast radius assessed".into(),
            ahead: None,
            by: None,
            forced: None,
        }
        .details_json();
        assert_eq!(
            d,
            r#"{"item":"blast-radius","phase":"containment","text":"Blast radius assessed"}"#
        );
    }

    #[test]
    fn unreadable_details_are_errors_not_panics() {
        assert!(
            EventBody::parse("approved", "{")
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(
            EventBody::parse("approved", "[]")
                .unwrap_err()
                .contains("object")
        );
        assert!(
            EventBody::parse("approved", r#"{"as":"C E O"}"#)
                .unwrap_err()
                .contains("approved")
        );
        assert!(EventBody::parse("exploded", "{}").is_err());
    }

    #[test]
    fn clocks_belong_to_escalations_and_overdue_events() {
        let e = EventBody::Escalated {
            clock: "escalation:P0:2h".into(),
            to: vec!["executive".into()],
            reason: "open".into(),
        };
        assert_eq!(e.clock(), Some("escalation:P0:2h"));
        assert_eq!(
            EventBody::Aware {
                became_aware_at: Timestamp::UNIX_EPOCH
            }
            .clock(),
            None
        );
    }
}
