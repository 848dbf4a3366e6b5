use std::path::Path;

use super::*;
use crate::chain::GENESIS;
use crate::event::Duplicate;
use crate::model::{AssignedPriority, Priority};
use crate::outbox::sha256;
use crate::rules::{self, Declaration};
use crate::runbook::Runbook;

const RUNBOOK: &str = r#"
[[person]]
handle = "alice"
name = "Alice"
roles = ["commander"]

[[person]]
handle = "carol"
name = "Carol"
roles = ["communications-lead"]

[[person]]
handle = "lena"
name = "Lena"
roles = ["legal"]
"#;

const ID: &str = "INC-2026-11-23-1";

/// A timeline: the declaration, then `bodies` by their actors.
fn timeline(bodies: Vec<(&str, EventBody)>) -> Vec<Event> {
    let runbook = Runbook::from_toml(Path::new("runbook.toml"), RUNBOOK).unwrap();
    let t0: Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
    let d = Declaration {
        advisory: "CVE-2021-44228".into(),
        priority: AssignedPriority::declared_by(Priority::P1, "alice"),
        title: Some("log4shell".into()),
        description: None,
        commander: Some("alice".into()),
        services: vec!["checkout".into()],
        published: None,
        detected: None,
        aliases: Vec::new(),
        scope: None,
        duplicate: Some(Duplicate::Allowed("test".into())),
    };
    let mut all: Vec<(&str, EventBody)> = rules::declare(&d, &runbook, t0)
        .unwrap()
        .into_iter()
        .map(|b| ("alice", b))
        .collect();
    all.extend(bodies);
    let mut prev = GENESIS.to_owned();
    let mut out = Vec::new();
    for (i, (actor, b)) in all.into_iter().enumerate() {
        let e = Event::new(ID, i as u64 + 1, t0, actor, &b, &prev);
        prev = e.hash.clone();
        out.push(e);
    }
    out
}

fn queued(seq: u64, body: &str) -> EventBody {
    EventBody::MessageQueued(MessageQueued {
        message: MessageId::new(ID, seq),
        channel: "regulator".into(),
        template: REGULATOR_NOTICE.into(),
        audience: "dpa".into(),
        key: format!("k{seq}"),
        body_sha256: sha256(body),
        not_before: None,
        cause: None,
        needs: default_needs(REGULATOR_NOTICE),
        clock: Some("gdpr".into()),
    })
}

fn approved(seq: u64, body: &str, role: &str) -> EventBody {
    EventBody::MessageApproved(MessageApproved {
        message: MessageId::new(ID, seq),
        body_sha256: sha256(body),
        role: role.parse().unwrap(),
    })
}

#[test]
fn defaults_name_existing_roles() {
    assert_eq!(
        default_needs(CUSTOMER_NOTICE),
        vec![Role::CommunicationsLead]
    );
    let r = default_needs(REGULATOR_NOTICE);
    assert_eq!(r.len(), 2);
    assert_eq!(r[1].key(), "legal");
    let rb = Runbook::default();
    assert!(r.iter().all(|r| rb.role(*r).is_some()));
    assert!(default_needs("status").is_empty());
}

#[test]
fn every_role_on_the_same_hash_completes_the_approvals() {
    let events = timeline(vec![("alice", queued(2, "draft"))]);
    let inc = Incident::from_events(&events).unwrap();
    let m = MessageId::new(ID, 2);
    let a = of(&events, &m).unwrap();
    assert!(!a.complete());
    assert_eq!(
        judge(&inc, &a, "carol", &sha256("draft")),
        Ok(Role::CommunicationsLead)
    );
    let events = timeline(vec![
        ("alice", queued(2, "draft")),
        ("carol", approved(2, "draft", "communications-lead")),
    ]);
    let a = of(&events, &m).unwrap();
    assert_eq!(a.missing, vec!["legal".parse::<Role>().unwrap()]);
    assert_eq!(a.approved_at(), None);
    let events = timeline(vec![
        ("alice", queued(2, "draft")),
        ("carol", approved(2, "draft", "communications-lead")),
        ("lena", approved(2, "draft", "legal")),
    ]);
    let a = of(&events, &m).unwrap();
    assert!(a.complete());
    assert!(a.approved_at().is_some());
    assert_eq!(a.given.len(), 2);
}

#[test]
fn a_wrong_hash_is_refused_naming_both() {
    let events = timeline(vec![("alice", queued(2, "draft"))]);
    let inc = Incident::from_events(&events).unwrap();
    let a = of(&events, &MessageId::new(ID, 2)).unwrap();
    let e = judge(&inc, &a, "carol", &sha256("other")).unwrap_err();
    assert!(e.contains(&sha256("other")[..12]), "{e}");
    assert!(e.contains(&sha256("draft")[..12]), "{e}");
}

#[test]
fn another_body_s_approval_does_not_count() {
    // Message 2 is the first draft, message 3 the re-rendered one; approvals of
    // 2 (and an approval of 3 recorded with 2's hash) do not count for 3.
    let events = timeline(vec![
        ("alice", queued(2, "draft 1")),
        ("alice", queued(3, "draft 2")),
        ("carol", approved(2, "draft 1", "communications-lead")),
        ("lena", approved(2, "draft 1", "legal")),
        ("lena", approved(3, "draft 1", "legal")),
    ]);
    let all = all(&events);
    assert!(all[0].complete());
    assert!(all[1].given.is_empty());
    assert_eq!(all[1].missing.len(), 2);
    assert_eq!(of(&events, &MessageId::new(ID, 3)).unwrap(), all[1]);
}

#[test]
fn an_actor_without_the_role_or_twice_is_refused() {
    let events = timeline(vec![
        ("alice", queued(2, "draft")),
        ("carol", approved(2, "draft", "communications-lead")),
    ]);
    let inc = Incident::from_events(&events).unwrap();
    let a = of(&events, &MessageId::new(ID, 2)).unwrap();
    let e = judge(&inc, &a, "alice", &sha256("draft")).unwrap_err();
    assert!(e.contains("may not approve") && e.contains("legal"), "{e}");
    let e = judge(&inc, &a, "CAROL", &sha256("draft")).unwrap_err();
    assert!(e.contains("already approved"), "{e}");
    assert_eq!(
        judge(&inc, &a, "lena", &sha256("draft")).unwrap().key(),
        "legal"
    );
    assert!(may_approve(&inc, "alice", Role::Commander));
    assert!(!may_approve(&inc, "mallory", Role::Commander));
}

#[test]
fn the_runbook_s_notify_table_sets_approvals_per_template() {
    let text = r#"
[role.legal-counsel]
label = "Legal counsel"

[notify]
templates = "comms"

[notify.approvals]
customer-notice = []
regulator-notice = ["comms", "legal-counsel"]
status = ["nobody"]
"#;
    let path = Path::new("runbook.toml");
    let runbook = Runbook::from_toml(path, text).unwrap();
    let c = Configured::from_runbook_text(path, text).unwrap();
    assert_eq!(c.needs(CUSTOMER_NOTICE, &runbook), Ok(Some(Vec::new())));
    assert_eq!(
        c.needs(REGULATOR_NOTICE, &runbook)
            .unwrap()
            .unwrap()
            .iter()
            .map(|r| r.key())
            .collect::<Vec<_>>(),
        ["communications-lead", "legal-counsel"]
    );
    assert_eq!(c.needs("kickoff", &runbook), Ok(None));
    let e = c.needs("status", &runbook).unwrap_err();
    assert!(e.starts_with("runbook.toml:11: "), "{e}");
    let e = Configured::from_runbook_text(path, "[notify.approvals]\nstatus = \"legal\"\n")
        .unwrap_err();
    assert!(e.starts_with("runbook.toml:2"), "{e}");
    assert_eq!(
        Configured::from_runbook_text(path, RUNBOOK).unwrap(),
        Configured {
            path: path.to_owned(),
            templates: Default::default()
        }
    );
}
