//! Declaring and ticking with messages, against SQLite and PostgreSQL: the
//! messages a route chooses are queued in the transaction of the events that
//! cause them, or nothing is recorded at all.

mod support;

use std::cell::RefCell;

use cverun_incident::event::Duplicate;
use cverun_incident::outbox::default_key;
use cverun_incident::{
    AssignedPriority, Declaration, Error, Event, EventBody, Incident, MessageFilter, NewMessage,
    Priority, Runbook, Store,
};
use jiff::{SignedDuration, Timestamp};
use support::Backend;

fn at(secs: i64) -> Timestamp {
    support::start()
        .checked_add(SignedDuration::from_secs(secs))
        .unwrap()
}

fn declaration() -> Declaration {
    Declaration {
        advisory: "GHSA-jfh8-c2jp-5v3q".into(),
        priority: AssignedPriority::declared_by(Priority::P1, "alice"),
        title: Some("log4shell in checkout".into()),
        description: None,
        commander: None,
        services: vec!["checkout".into()],
        published: None,
        detected: None,
        aliases: Vec::new(),
        scope: None,
        duplicate: Some(Duplicate::Allowed("a test store".into())),
    }
}

/// One message per event of `kind` among `events`, keyed by its seq.
fn per_event(kind: &str, events: &[Event], template: &str) -> Vec<NewMessage> {
    events
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| NewMessage {
            channel: "war-room".into(),
            kind: template.into(),
            audience: "war-room".into(),
            subject: Some(format!("{kind} {}", e.seq)),
            body: format!("{{\"seq\":{}}}", e.seq),
            key: Some(default_key(&e.incident, e.seq, "war-room", template)),
            ..NewMessage::default()
        })
        .collect()
}

fn kinds(store: &mut Store, id: &str) -> Vec<String> {
    store
        .load(id)
        .unwrap()
        .events
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

fn declaring_queues_with_the_declaration(b: &dyn Backend) {
    let mut s = b.open();
    let rb = Runbook::default();

    // A route that fails records nothing: no incident, no number, no log entry.
    let failing = |_: &Incident, _: &[Event]| -> Result<Vec<NewMessage>, String> {
        Err("template \"kickoff\" line 2: undefined variable incident.owner".into())
    };
    let e = s
        .declare_notifying(&declaration(), &rb, "alice", &failing)
        .unwrap_err();
    assert!(
        matches!(e, Error::Refused(ref m) if m.contains("undefined variable incident.owner") && m.contains("nothing was recorded")),
        "{e}"
    );
    assert!(s.load_all().unwrap().is_empty());
    assert_eq!(s.verify_log().unwrap().entries, 0);
    assert!(s.messages(&MessageFilter::default()).unwrap().is_empty());

    // The route sees the new incident and its events; its messages follow them.
    let seen = RefCell::new(Vec::new());
    let route = |inc: &Incident, events: &[Event]| {
        seen.borrow_mut().push((
            inc.id.clone(),
            events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        ));
        Ok(per_event("declared", events, "kickoff"))
    };
    let (r, ids) = s
        .declare_notifying(&declaration(), &rb, "alice", &route)
        .unwrap();
    let id = r.incident.id.clone();
    // The failed declaration used no number.
    assert!(id.ends_with("-1"), "{id}");
    let n = r.events.len() as u64;
    assert_eq!(seen.borrow()[0].0, id);
    assert_eq!(seen.borrow()[0].1, (1..n).collect::<Vec<_>>());
    assert_eq!(r.events.last().unwrap().kind, "message-queued");
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0].as_str(), format!("{id}/{n}"));
    let stored = kinds(&mut s, &id);
    assert_eq!(stored.first().map(String::as_str), Some("declared"));
    assert_eq!(stored.last().map(String::as_str), Some("message-queued"));
    let rows = s.messages(&MessageFilter::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].key, format!("cverun-{id}-1-war-room-kickoff"));
    assert_eq!(rows[0].template, "kickoff");
    assert!(s.verify(Some(&id)).unwrap()[0].problems.is_empty());
    assert!(s.verify_log().unwrap().problems.is_empty());
    assert_eq!(s.verify_log().unwrap().entries, 1);
}

fn ticking_queues_with_the_clocks(b: &dyn Backend) {
    let mut s = b.open();
    let rb = Runbook::default();
    let id = s.declare(&declaration(), &rb, "alice").unwrap().incident.id;
    let before = kinds(&mut s, &id).len();

    // P1 escalates to management 4h after the declaration.
    s.set_now(at(4 * 3600 + 60)).unwrap();
    let failing = |_: &Incident, _: &[Event], _: &[Event]| -> Result<Vec<NewMessage>, String> {
        Err("audience executive: nobody it means can be reached".into())
    };
    let (report, ids) = s.tick_notifying("cverun-tick", &failing).unwrap();
    assert!(ids.is_empty() && report.fired.is_empty());
    assert_eq!(report.failed.len(), 1);
    assert!(report.failed[0].1.contains("nobody it means"), "{report:?}");
    // Nothing recorded: the escalation has not fired.
    assert_eq!(kinds(&mut s, &id).len(), before);

    let timelines = RefCell::new(Vec::new());
    let route = |_: &Incident, appended: &[Event], timeline: &[Event]| {
        timelines
            .borrow_mut()
            .push((appended.len(), timeline.len()));
        Ok(per_event("escalated", appended, "escalation"))
    };
    let (report, ids) = s.tick_notifying("cverun-tick", &route).unwrap();
    assert!(report.failed.is_empty(), "{report:?}");
    // The escalation to management, and the one of three missed updates.
    assert_eq!(ids.len(), 2);
    let fired: Vec<&str> = report.fired.iter().map(|f| f.event.kind.as_str()).collect();
    assert!(fired.contains(&"escalated"), "{fired:?}");
    assert_eq!(fired.last(), Some(&"message-queued"));
    let stored = s.load(&id).unwrap().events;
    let escalated = stored
        .iter()
        .find(|e| matches!(e.body(), Ok(EventBody::Escalated { ref to, .. }) if to == &["management"]))
        .unwrap();
    let rows = s.messages(&MessageFilter::default()).unwrap();
    assert!(
        rows.iter()
            .any(|r| r.key == format!("cverun-{id}-{}-war-room-escalation", escalated.seq)),
        "{rows:?}"
    );
    // Each message-queued event names the event its message is for.
    for e in &stored {
        if let Ok(EventBody::MessageQueued(q)) = e.body() {
            let cause = q.cause.expect("a cause");
            assert_eq!(stored[cause as usize - 1].kind, "escalated");
            assert_eq!(q.key, format!("cverun-{id}-{cause}-war-room-escalation"));
        }
    }
    // The route saw the clock events and the whole timeline including them.
    let (appended, timeline) = timelines.borrow()[0];
    assert_eq!(timeline, before + appended);
    assert_eq!(stored.len(), before + appended + 2);

    // Nothing more fires: the route is still asked (a digest may be due), and
    // what it returns is queued alone.
    let (report, ids) = s
        .tick_notifying(
            "cverun-tick",
            &|inc: &Incident, appended: &[Event], _: &[Event]| {
                assert!(appended.is_empty());
                Ok(vec![NewMessage {
                    channel: "war-room".into(),
                    kind: "digest".into(),
                    audience: "war-room".into(),
                    subject: None,
                    body: "{}".into(),
                    key: Some(format!("digest-{}", inc.id)),
                    ..NewMessage::default()
                }])
            },
        )
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(report.fired.len(), 1);
    assert_eq!(report.fired[0].event.kind, "message-queued");
    // And a route returning nothing records nothing.
    let n = kinds(&mut s, &id).len();
    let (report, ids) = s
        .tick_notifying("cverun-tick", &|_: &Incident, _: &[Event], _: &[Event]| {
            Ok(Vec::new())
        })
        .unwrap();
    assert!(ids.is_empty() && report.fired.is_empty());
    assert_eq!(kinds(&mut s, &id).len(), n);
    assert!(s.verify(Some(&id)).unwrap()[0].problems.is_empty());
}

both_backends!(
    declaring_queues_with_the_declaration,
    ticking_queues_with_the_clocks,
);
