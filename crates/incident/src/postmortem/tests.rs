//! The post-mortem document from a timeline built with the pure rules, with the
//! remediation evidence (`fix-planned`, `fix-applied`, `verified`) recorded as
//! `cverun fix` and `cverun verify` record it.

use super::*;
use crate::chain::{self, GENESIS, Head};
use crate::model::AssignedPriority;
use crate::remediation::{
    AdvisoryState, AdvisoryStatus, BaseRef, FixApplied, FixCommit, FixPlanned, Verified,
};
use crate::rules::{self, Action, Declaration};

const ID: &str = "INC-2026-11-23-1";

fn at(minutes: i64) -> Timestamp {
    "2026-11-23T12:00:00Z"
        .parse::<Timestamp>()
        .unwrap()
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap()
}

fn push(events: &mut Vec<Event>, actor: &str, when: Timestamp, bodies: Vec<EventBody>) {
    for b in bodies {
        let prev = events
            .last()
            .map(|e| e.hash.clone())
            .unwrap_or_else(|| GENESIS.into());
        let seq = events.len() as u64 + 1;
        events.push(Event::new(ID, seq, when, actor, &b, &prev));
    }
}

fn act(events: &mut Vec<Event>, actor: &str, minutes: i64, a: Action) -> Result<(), String> {
    let inc = Incident::from_events(events).unwrap();
    let bodies = rules::act(&inc, &a, actor, at(minutes))?;
    push(events, actor, at(minutes), bodies);
    Ok(())
}

fn loaded(events: &[Event]) -> Loaded {
    let last = events.last().unwrap();
    let head = Head {
        seq: last.seq,
        hash: last.hash.clone(),
    };
    Loaded {
        id: ID.into(),
        problems: chain::verify(events, &head),
        head_seq: head.seq,
        head_hash: head.hash,
        state: Incident::from_events(events),
        events: events.to_vec(),
    }
}

fn anchor(events: &[Event]) -> Anchor {
    let last = events.last().unwrap();
    Anchor {
        name: ID.into(),
        seq: last.seq,
        hash: last.hash.clone(),
        mac: "00".repeat(32),
    }
}

fn declared() -> Vec<Event> {
    let d = Declaration {
        advisory: "GHSA-jfh8-c2jp-5v3q".into(),
        priority: AssignedPriority::declared_by(Priority::P0, "alice"),
        title: Some("log4shell in checkout".into()),
        description: None,
        commander: None,
        services: vec!["checkout".into()],
        published: None,
        detected: None,
        aliases: vec![],
        scope: None,
        duplicate: None,
    };
    let mut events = Vec::new();
    let bodies = rules::declare(&d, &crate::runbook::test_runbook(), at(0)).unwrap();
    push(&mut events, "alice", at(0), bodies);
    events
}

#[test]
fn hotfix_branch_verification_and_hashes_are_in_the_document() {
    let mut ev = declared();
    let h = |c: &str| c.repeat(64);
    push(
        &mut ev,
        "alice",
        at(30),
        vec![
            EventBody::FixPlanned(FixPlanned {
                plan_sha256: h("a"),
                changes: 1,
                breaking: 0,
                incomplete: 0,
                unfixable: 0,
                services: vec!["checkout".into()],
                proposed: None,
                summary: "log4j-core 2.14.1 -> 2.17.1".into(),
            }),
            EventBody::FixApplied(FixApplied {
                repository: ".".into(),
                branch: "hotfix/cve-2021-44228".into(),
                base: BaseRef {
                    reference: "main".into(),
                    commit: "c".repeat(40),
                },
                commits: vec![FixCommit {
                    service: "checkout".into(),
                    commit: "d".repeat(40),
                }],
                pushed: None,
                changes: 1,
            }),
            EventBody::Verified(Verified {
                report_sha256: h("b"),
                baseline: Baseline::File {
                    name: "base.json".into(),
                    sha256: h("e"),
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
        ],
    );
    let l = loaded(&ev);
    let p = build(&l, &anchor(&ev), at(60), false, &[]).unwrap();
    let kinds: Vec<&str> = p.timeline.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "detected",
            "declared",
            "fix-planned",
            "fix-applied",
            "verified"
        ]
    );
    assert!(
        p.timeline[3].text.contains("hotfix/cve-2021-44228"),
        "{}",
        p.timeline[3].text
    );
    let hashes: Vec<(&str, &str)> = p
        .evidence
        .iter()
        .map(|e| (e.kind, e.sha256.as_str()))
        .collect();
    assert_eq!(
        hashes,
        [
            ("fix-planned", h("a").as_str()),
            ("verified", h("b").as_str()),
            ("baseline", h("e").as_str())
        ]
    );
    // Open: the document is as of `now`, and says who is missing.
    assert_eq!(p.header.as_of, Some(at(60)));
    assert_eq!(p.header.author, None);
    assert_eq!(p.summary.source, "generated");
    assert_eq!(p.metrics.mttr_seconds, None);
    let md = crate::view::postmortem::markdown(&p);
    assert!(
        md.contains("| Author | no incident commander recorded |"),
        "{md}"
    );
    assert!(
        md.contains(&format!(
            "| {} | fix-planned | fix plan: log4j-core 2.14.1 -> 2.17.1 | `{}` |",
            3 - 1,
            h("a")
        )),
        "{md}"
    );
}

#[test]
fn action_items_follow_the_rules() {
    let mut ev = declared();
    let add = |text: &str, due: i64| Action::AddActionItem {
        text: text.into(),
        owner: "alice".into(),
        due: at(due),
    };
    let e = act(&mut ev, "alice", 10, add("late", 5)).unwrap_err();
    assert!(e.contains("is in the past"), "{e}");
    act(&mut ev, "alice", 10, add("first", 20)).unwrap();
    act(&mut ev, "alice", 11, add("second", 30)).unwrap();
    let e = act(
        &mut ev,
        "alice",
        12,
        Action::CompleteActionItem {
            action: 3,
            note: None,
        },
    )
    .unwrap_err();
    assert!(
        e.contains("has no action item ACTION-3 (it has ACTION-1 to ACTION-2)"),
        "{e}"
    );
    // Due at 12:20: tick at 12:25 fires ACTION-1 once, not ACTION-2.
    let inc = Incident::from_events(&ev).unwrap();
    let due = clocks::due(&inc, at(25));
    let fired: Vec<&str> = due
        .iter()
        .filter_map(|b| b.clock())
        .filter(|c| c.starts_with("action:"))
        .collect();
    assert_eq!(fired, ["action:1"]);
    push(&mut ev, "tick", at(25), due);
    let inc = Incident::from_events(&ev).unwrap();
    assert!(
        clocks::due(&inc, at(26))
            .iter()
            .all(|b| b.clock() != Some("action:1"))
    );
    assert_eq!(inc.action_items[0].overdue_fired, Some(at(25)));
    assert_eq!(parse_action_id("action-2"), Ok(2));
    assert!(parse_action_id("ACTION-0").is_err());
    assert_eq!(
        "Went_Well".parse::<NoteSection>(),
        Ok(NoteSection::WentWell)
    );
}

#[test]
fn messages_come_from_the_outbox_in_queueing_order() {
    use crate::outbox::{MessageId, MessageRow, MessageState};
    let ev = declared();
    let row = |seq: u64, template: &str, state: MessageState, queued: i64| MessageRow {
        id: MessageId::new(ID, seq),
        incident: ID.into(),
        seq,
        channel: "war-room".into(),
        template: template.into(),
        audience: "responders".into(),
        key: format!("cverun-{ID}-{seq}-war-room-{template}"),
        body_sha256: "ab".repeat(32),
        state,
        queued_at: at(queued),
        not_before: at(queued),
        attempts: 1,
        leased_by: None,
        lease_until: None,
        last_error: None,
    };
    // Given out of order: the document sorts by queueing time.
    let deliveries = [
        Delivery {
            message: row(9, "status", MessageState::Dead, 30),
            delivered_at: None,
        },
        Delivery {
            message: row(3, "kickoff", MessageState::Delivered, 1),
            delivered_at: Some(at(2)),
        },
    ];
    let p = build(&loaded(&ev), &anchor(&ev), at(60), false, &deliveries).unwrap();
    let sent: Vec<(&str, &str, Option<Timestamp>)> = p
        .messages
        .sent
        .iter()
        .map(|m| (m.template.as_str(), m.state.as_str(), m.delivered_at))
        .collect();
    assert_eq!(
        sent,
        [
            ("kickoff", "delivered", Some(at(2))),
            ("status", "dead", None)
        ]
    );
    let md = crate::view::postmortem::markdown(&p);
    assert!(
        md.contains(&format!(
            "| {ID}/3 | kickoff | war-room | responders | 2026-11-23 12:01 | delivered | 1 | 2026-11-23 12:02 | `abababababababab` |"
        )),
        "{md}"
    );
    assert!(md.contains("1 of 2 delivered."), "{md}");
}

/// A message approved (a customer or regulator notice released by the people
/// who must) is a milestone of the timeline: who let it go out, and when.
#[test]
fn message_approvals_are_milestones() {
    use crate::outbox::MessageId;
    use crate::outbox::approval::MessageApproved;
    let mut ev = declared();
    push(
        &mut ev,
        "lena",
        at(30),
        vec![EventBody::MessageApproved(MessageApproved {
            message: MessageId::new(ID, 2),
            body_sha256: "cd".repeat(32),
            role: Role::new("legal").unwrap(),
        })],
    );
    let p = build(&loaded(&ev), &anchor(&ev), at(60), false, &[]).unwrap();
    let m = p
        .timeline
        .iter()
        .find(|m| m.kind == "message-approved")
        .expect("the approval is in the timeline");
    assert_eq!(m.at, at(30));
    assert_eq!(m.by.as_deref(), Some("lena"));
    assert!(
        m.text
            .contains(&format!("message {ID}/2 approved as legal")),
        "{}",
        m.text
    );
}
