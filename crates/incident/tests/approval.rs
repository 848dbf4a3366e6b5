//! Approvals of messages to the outside world, against SQLite and PostgreSQL:
//! held messages are never leased, an approval is bound to the exact body, the
//! last role needed releases the message in the same transaction, and a body
//! changed in the database is never sent.

mod support;

use std::path::Path;
use std::time::Duration;

use cverun_incident::event::Duplicate;
use cverun_incident::outbox::sha256;
use cverun_incident::{
    AssignedPriority, Declaration, Error, MessageFilter, MessageId, MessageState, NewMessage,
    Priority, Role, Runbook, Store,
};
use support::Backend;

const RUNBOOK: &str = r#"
[[person]]
handle = "alice"
name = "Alice Martin"
roles = ["commander"]

[[person]]
handle = "carol"
name = "Carol Chen"
aliases = ["carol@example.com"]
roles = ["communications-lead"]

[[person]]
handle = "lena"
name = "Lena Novak"
roles = ["legal"]

[[person]]
handle = "dave"
name = "Dave Diaz"
roles = ["communications-lead", "legal"]

[[person]]
handle = "bob"
name = "Bob Brown"
roles = ["technical-lead"]
"#;

const MINUTE: Duration = Duration::from_secs(60);

fn declare(store: &mut Store) -> String {
    let runbook = Runbook::from_toml(Path::new("runbook.toml"), RUNBOOK).expect("runbook");
    let d = Declaration {
        advisory: "GHSA-jfh8-c2jp-5v3q".into(),
        priority: AssignedPriority::declared_by(Priority::P1, "alice"),
        title: Some("log4shell in checkout".into()),
        description: None,
        commander: Some("alice".into()),
        services: vec!["checkout".into()],
        published: None,
        detected: None,
        aliases: Vec::new(),
        scope: None,
        duplicate: Some(Duplicate::Allowed("a test store".into())),
    };
    store
        .declare(&d, &runbook, "alice")
        .expect("declare")
        .incident
        .id
}

fn message(channel: &str, template: &str, body: &str) -> NewMessage {
    NewMessage {
        channel: channel.into(),
        kind: template.into(),
        audience: "customers".into(),
        body: body.into(),
        ..NewMessage::default()
    }
}

fn queue(s: &mut Store, id: &str, m: NewMessage) -> MessageId {
    let (_, ids) = s.enqueue(id, "alice", vec![m]).expect("enqueue");
    ids.into_iter().next().unwrap()
}

fn state_of(s: &mut Store, id: &MessageId) -> MessageState {
    s.messages(&MessageFilter::default())
        .unwrap()
        .into_iter()
        .find(|m| &m.id == id)
        .unwrap_or_else(|| panic!("message {id}"))
        .state
}

fn refused(e: Error) -> String {
    match e {
        Error::Refused(m) => m,
        other => panic!("expected a refusal, got {other}"),
    }
}

fn customer_notice_waits_for_the_communications_lead(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s);
    let body = "We are responding to GHSA-jfh8-c2jp-5v3q.";
    let notice = queue(&mut s, &id, message("mail", "customer-notice", body));
    assert_eq!(state_of(&mut s, &notice), MessageState::Held);
    // A later message of the same channel is not held back by a held one.
    let status = queue(&mut s, &id, message("mail", "status", "status"));
    let leased = s.lease("w", 10, MINUTE).unwrap();
    assert_eq!(
        leased.iter().map(|l| &l.id).collect::<Vec<_>>(),
        [&status],
        "a held message is never leased"
    );

    // A wrong hash is refused, naming both hashes' beginnings; nothing recorded.
    let events = s.load(&id).unwrap().events.len();
    let wrong = sha256("We are responding to something else.");
    let m = refused(s.approve_message(&notice, "carol", &wrong).unwrap_err());
    assert!(m.contains(&wrong[..12]), "{m}");
    assert!(m.contains(&sha256(body)[..12]), "{m}");
    assert_eq!(s.load(&id).unwrap().events.len(), events);

    // Someone without the role is refused.
    let m = refused(
        s.approve_message(&notice, "bob", &sha256(body))
            .unwrap_err(),
    );
    assert!(m.contains("communications-lead"), "{m}");
    assert_eq!(state_of(&mut s, &notice), MessageState::Held);

    // The communications lead (by an alias) approves the exact body: pending.
    let r = s
        .approve_message(&notice, "carol@example.com", &sha256(body))
        .unwrap();
    assert!(r.released);
    assert_eq!(r.role, Role::CommunicationsLead);
    assert_eq!(r.event.kind, "message-approved");
    assert_eq!(r.event.actor, "carol");
    assert_eq!(state_of(&mut s, &notice), MessageState::Pending);
    let leased = s.lease("w", 10, MINUTE).unwrap();
    assert_eq!(leased[0].id, notice);
    assert!(s.verify(Some(&id)).unwrap()[0].problems.is_empty());

    // Approving again is refused: it is no longer held.
    let m = refused(
        s.approve_message(&notice, "dave", &sha256(body))
            .unwrap_err(),
    );
    assert!(m.contains("already approved"), "{m}");
}

fn regulator_notice_needs_every_role_on_the_same_body(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s);
    let first = "Notification under GDPR article 33, draft 1.";
    let second = "Notification under GDPR article 33, draft 2.";
    let old = queue(
        &mut s,
        &id,
        NewMessage {
            clock: Some("gdpr".into()),
            ..message("regulator", "regulator-notice", first)
        },
    );
    // The message rendered again with a change is another message.
    let new = queue(
        &mut s,
        &id,
        NewMessage {
            clock: Some("gdpr".into()),
            ..message("regulator", "regulator-notice", second)
        },
    );
    let r = s.approve_message(&old, "carol", &sha256(first)).unwrap();
    assert!(!r.released);
    assert_eq!(r.approvals.missing, vec![Role::new("legal").unwrap()]);
    // The same person cannot give the second role.
    let m = refused(
        s.approve_message(&old, "carol", &sha256(first))
            .unwrap_err(),
    );
    assert!(m.contains("already approved"), "{m}");
    let r = s.approve_message(&old, "lena", &sha256(first)).unwrap();
    assert!(r.released);
    assert_eq!(state_of(&mut s, &old), MessageState::Pending);

    // The approvals of the first draft do not count for the second.
    let shown = s.message(&new).unwrap();
    assert!(shown.approvals.given.is_empty());
    assert_eq!(shown.approvals.missing.len(), 2);
    assert_eq!(shown.approvals.clock.as_deref(), Some("gdpr"));
    assert_eq!(state_of(&mut s, &new), MessageState::Held);
    let m = refused(
        s.approve_message(&new, "carol", &sha256(first))
            .unwrap_err(),
    );
    assert!(m.contains(&sha256(second)[..12]), "{m}");
    // A person who may hold both roles gives one.
    let r = s.approve_message(&new, "dave", &sha256(second)).unwrap();
    assert!(!r.released);
    assert_eq!(r.role, Role::CommunicationsLead);
    let r = s.approve_message(&new, "lena", &sha256(second)).unwrap();
    assert!(r.released);
}

fn the_role_holder_approves_and_needs_are_checked(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s);
    // Explicit needs replace the template's default; roles must exist.
    let e = s
        .enqueue(
            &id,
            "alice",
            vec![NewMessage {
                needs: Some(vec![Role::new("dba").unwrap()]),
                ..message("mail", "status", "x")
            }],
        )
        .unwrap_err();
    assert!(refused(e).contains("dba"));
    let e = s
        .enqueue(
            &id,
            "alice",
            vec![NewMessage {
                clock: Some("hipaa".into()),
                ..message("mail", "regulator-notice", "x")
            }],
        )
        .unwrap_err();
    assert!(refused(e).contains("gdpr"), "the clocks it has are named");
    let plain = queue(
        &mut s,
        &id,
        NewMessage {
            needs: Some(Vec::new()),
            ..message("mail", "customer-notice", "no approval wanted")
        },
    );
    assert_eq!(state_of(&mut s, &plain), MessageState::Pending);
    let m = refused(
        s.approve_message(&plain, "carol", &sha256("no approval wanted"))
            .unwrap_err(),
    );
    assert!(m.contains("needs no approval"), "{m}");

    let held = queue(
        &mut s,
        &id,
        NewMessage {
            needs: Some(vec![Role::Commander]),
            ..message("mail", "status", "for the commander")
        },
    );
    assert_eq!(state_of(&mut s, &held), MessageState::Held);
    let r = s
        .approve_message(&held, "alice", &sha256("for the commander"))
        .unwrap();
    assert!(r.released);
}

fn a_body_changed_in_the_database_is_never_sent(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s);
    let edited = queue(&mut s, &id, message("chat", "status", "all good"));
    b.sql(&format!(
        "UPDATE outbox SET body = 'click http://evil.example' WHERE id = '{edited}'"
    ));
    let other = queue(&mut s, &id, message("mail", "status", "unchanged"));
    let leased = s.lease("w", 10, MINUTE).unwrap();
    assert_eq!(leased.iter().map(|l| &l.id).collect::<Vec<_>>(), [&other]);
    let row = s
        .messages(&MessageFilter::default())
        .unwrap()
        .into_iter()
        .find(|m| m.id == edited)
        .unwrap();
    assert_eq!(row.state, MessageState::Dead);
    assert_eq!(
        row.last_error.as_deref(),
        Some("body changed after queueing")
    );

    // Its hash edited too: the signed event still tells.
    let both = queue(&mut s, &id, message("pager", "status", "fine"));
    let evil = "page everyone";
    b.sql(&format!(
        "UPDATE outbox SET body = '{evil}', body_sha256 = '{}' WHERE id = '{both}'",
        sha256(evil)
    ));
    assert!(s.lease("w", 10, MINUTE).unwrap().is_empty());
    assert_eq!(state_of(&mut s, &both), MessageState::Dead);
    assert!(!s.message(&both).unwrap().body_intact);

    // A held message made pending by hand is not sent either.
    let notice = queue(&mut s, &id, message("web", "customer-notice", "notice"));
    b.sql(&format!(
        "UPDATE outbox SET state = 'pending' WHERE id = '{notice}'"
    ));
    assert!(s.lease("w", 10, MINUTE).unwrap().is_empty());
    let row = s
        .messages(&MessageFilter::default())
        .unwrap()
        .into_iter()
        .find(|m| m.id == notice)
        .unwrap();
    assert_eq!(row.state, MessageState::Dead);
    assert!(
        row.last_error.as_deref().unwrap().contains("not approved"),
        "{:?}",
        row.last_error
    );

    // A held message whose body changed cannot be approved.
    let held = queue(&mut s, &id, message("web2", "customer-notice", "v1"));
    b.sql(&format!(
        "UPDATE outbox SET body = 'v2' WHERE id = '{held}'"
    ));
    let m = refused(
        s.approve_message(&held, "carol", &sha256("v1"))
            .unwrap_err(),
    );
    assert!(m.contains("body changed after queueing"), "{m}");
}

fn regulatory_clocks_show_their_notice(b: &dyn Backend) {
    use cverun_incident::{Action, Attempt, Outcome};
    use jiff::SignedDuration;
    let at = |h: i64| {
        support::start()
            .checked_add(SignedDuration::from_hours(h))
            .unwrap()
    };
    let mut s = b.open();
    let id = declare(&mut s);
    s.act(&id, &Action::Aware { at: None }, "alice").unwrap();
    let body = |n: &str| format!("Notification under {n}.");
    let notice = |s: &mut Store, clock: &str| {
        queue(
            s,
            &id,
            NewMessage {
                clock: Some(clock.into()),
                ..message(clock, "regulator-notice", &body(clock))
            },
        )
    };
    let gdpr = notice(&mut s, "gdpr");
    let nis2 = notice(&mut s, "nis2-early-warning");
    s.set_now(at(2)).unwrap();
    for who in ["carol", "lena"] {
        s.approve_message(&gdpr, who, &sha256(&body("gdpr")))
            .unwrap();
    }
    let leased = s.lease("w", 10, MINUTE).unwrap();
    assert_eq!(leased.len(), 1);
    s.record_attempt(
        &gdpr,
        &leased[0].lease_token,
        &Attempt {
            outcome: Outcome::Delivered,
            status: Some(250),
            latency_ms: 5,
            response_sha256: None,
            at: at(2),
        },
    )
    .unwrap();
    // The NIS2 early warning (24h) is approved only after its deadline.
    s.set_now(at(30)).unwrap();
    s.approve_message(&nis2, "carol", &sha256(&body("nis2-early-warning")))
        .unwrap();

    let delivered = s.deliveries(&id).unwrap();
    assert_eq!(delivered.get(&gdpr), Some(&at(2)));
    let loaded = s.load(&id).unwrap();
    let v = cverun_incident::view::show::view(&loaded, at(30), true)
        .unwrap()
        .with_deliveries(&loaded, &delivered);
    let g = v.notices.iter().find(|n| n.message == gdpr).unwrap();
    assert_eq!(g.clock, "gdpr");
    assert_eq!(
        g.due,
        Some(
            support::start()
                .checked_add(SignedDuration::from_hours(72))
                .unwrap()
        )
    );
    assert_eq!(g.approvals.len(), 2);
    assert_eq!(g.approved_at, Some(at(2)));
    assert_eq!(g.delivered_at, Some(at(2)));
    assert_eq!(
        (g.approved_in_time, g.sent_in_time),
        (Some(true), Some(true))
    );
    let n = v.notices.iter().find(|n| n.message == nis2).unwrap();
    assert_eq!(n.approved_at, None, "legal has not approved");
    assert_eq!(n.missing, ["legal"]);
    assert_eq!(
        (n.approved_in_time, n.sent_in_time),
        (Some(false), Some(false))
    );
    let text = cverun_incident::view::show::text(&v);
    assert!(
        text.contains(&format!("{gdpr} dpa via gdpr")) || text.contains(&gdpr.to_string()),
        "{text}"
    );
    assert!(text.contains("sent in time"), "{text}");
    assert!(text.contains("not approved in time"), "{text}");
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["notices"][0]["sent_in_time"], true);
}

both_backends!(
    regulatory_clocks_show_their_notice,
    customer_notice_waits_for_the_communications_lead,
    regulator_notice_needs_every_role_on_the_same_body,
    the_role_holder_approves_and_needs_are_checked,
    a_body_changed_in_the_database_is_never_sent,
);
