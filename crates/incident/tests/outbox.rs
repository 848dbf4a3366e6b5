//! The outbox suite, run against SQLite and PostgreSQL: queueing atomic with the
//! causing events, unique idempotency keys, exclusive leases under concurrent
//! workers, order per incident and channel, leases that end, stale leases
//! refused, retries not before their time, dead and unknown messages replayed
//! with their key.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

use cverun_incident::chain::ProblemKind;
use cverun_incident::event::Duplicate;
use cverun_incident::outbox::sha256;
use cverun_incident::{
    Action, AssignedPriority, Attempt, Declaration, Error, Event, EventBody, Incident, Leased,
    MessageFilter, MessageId, MessageState, NewMessage, Outcome, Priority, Store,
};
use jiff::{SignedDuration, Timestamp};
use support::Backend;

/// `support::start()` plus `secs` seconds.
fn at(secs: i64) -> Timestamp {
    support::start()
        .checked_add(SignedDuration::from_secs(secs))
        .unwrap()
}

fn declare(store: &mut Store) -> String {
    let d = Declaration {
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
    };
    store
        .declare(&d, &cverun_incident::Runbook::default(), "alice")
        .expect("declare")
        .incident
        .id
}

fn message(channel: &str, template: &str, body: &str) -> NewMessage {
    NewMessage {
        channel: channel.into(),
        kind: template.into(),
        audience: "war-room".into(),
        subject: None,
        body: body.into(),
        key: None,
        not_before: None,
        needs: None,
        clock: None,
    }
}

fn keyed(channel: &str, key: &str) -> NewMessage {
    NewMessage {
        key: Some(key.into()),
        ..message(channel, "status", &format!("update for {key}"))
    }
}

fn note(text: &str) -> Action {
    Action::Note {
        text: text.into(),
        section: None,
    }
}

fn attempt(outcome: Outcome, now: Timestamp) -> Attempt {
    Attempt {
        outcome,
        status: Some(200),
        latency_ms: 12,
        response_sha256: Some(sha256("ok")),
        at: now,
    }
}

fn delivered(now: Timestamp) -> Attempt {
    attempt(Outcome::Delivered, now)
}

fn events(store: &mut Store, id: &str) -> Vec<Event> {
    store.load(id).expect("load").events
}

fn state_of(store: &mut Store, id: &MessageId) -> MessageState {
    store
        .messages(&MessageFilter::default())
        .unwrap()
        .into_iter()
        .find(|m| &m.id == id)
        .unwrap_or_else(|| panic!("message {id}"))
        .state
}

fn ids(leased: &[Leased]) -> Vec<&str> {
    leased.iter().map(|l| l.id.as_str()).collect()
}

const MINUTE: Duration = Duration::from_secs(60);

fn queueing_is_atomic_with_the_action(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s);
    let before = events(&mut s, &id).len();

    // A route that fails records neither the action nor any message.
    let failing = |_: &Incident, _: &[Event]| -> Result<Vec<NewMessage>, String> {
        Err("no channel for P1".into())
    };
    let e = s
        .act_notifying(&id, &note("kickoff"), "alice", &failing)
        .unwrap_err();
    assert!(
        matches!(e, Error::Refused(ref m) if m.contains("no channel for P1")),
        "{e}"
    );
    assert_eq!(events(&mut s, &id).len(), before);
    assert!(s.messages(&MessageFilter::default()).unwrap().is_empty());

    // A refused action calls no route and records nothing.
    let e = s
        .act_notifying(
            &id,
            &Action::Advance {
                to: Some(cverun_incident::Phase::Resolved),
                force: false,
                reason: None,
            },
            "alice",
            &|_, _| panic!("the route of a refused action ran"),
        )
        .unwrap_err();
    assert!(matches!(e, Error::Refused(_)), "{e}");
    assert_eq!(events(&mut s, &id).len(), before);

    // A route sees the incident after the action and the events appended.
    let seen = Mutex::new(Vec::new());
    let route = |inc: &Incident, appended: &[Event]| -> Result<Vec<NewMessage>, String> {
        seen.lock()
            .unwrap()
            .extend(appended.iter().map(|e| (e.seq, e.kind.clone())));
        Ok(vec![
            NewMessage {
                subject: Some(format!("{} kickoff", inc.id)),
                ..message(
                    "slack-war-room",
                    "kickoff",
                    "secret-ish body: join the bridge",
                )
            },
            message("email-executives", "kickoff", "executive summary"),
        ])
    };
    let (recorded, queued) = s
        .act_notifying(&id, &note("kickoff"), "alice", &route)
        .unwrap();
    let note_seq = before as u64 + 1;
    assert_eq!(*seen.lock().unwrap(), vec![(note_seq, "note".to_owned())]);
    let kinds: Vec<&str> = recorded.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["note", "message-queued", "message-queued"]);
    assert_eq!(
        queued,
        vec![
            MessageId::new(&id, note_seq + 1),
            MessageId::new(&id, note_seq + 2)
        ]
    );

    // The timeline verifies with the queueing in it, and holds the body's hash,
    // never the body.
    let v = s.verify(Some(&id)).unwrap();
    assert!(v[0].problems.is_empty(), "{:?}", v[0].problems);
    let stored = events(&mut s, &id);
    let queued_event = &stored[note_seq as usize];
    assert_eq!(queued_event.kind, "message-queued");
    assert!(!queued_event.details.contains("join the bridge"));
    let Ok(EventBody::MessageQueued(q)) = queued_event.body() else {
        panic!("{queued_event:?}")
    };
    assert_eq!(q.body_sha256, sha256("secret-ish body: join the bridge"));
    assert_eq!(q.cause, Some(note_seq));
    // The default key: incident, causing event, channel, template.
    assert_eq!(
        q.key,
        format!("cverun-{id}-{note_seq}-slack-war-room-kickoff")
    );

    let rows = s.messages(&MessageFilter::default()).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|m| m.state == MessageState::Pending));
    assert_eq!(
        rows[1].key,
        format!("cverun-{id}-{note_seq}-email-executives-kickoff")
    );
    // The body is delivered as queued.
    let leased = s.lease("w1", 10, MINUTE).unwrap();
    assert_eq!(leased.len(), 2);
    assert_eq!(leased[0].body, "secret-ish body: join the bridge");
    assert_eq!(
        leased[0].subject.as_deref(),
        Some(format!("{id} kickoff").as_str())
    );
    assert_eq!(leased[0].attempt, 1);
    assert_eq!(leased[0].leases, 0);
    assert_eq!(leased[0].queued_at, rows[0].queued_at);
}

fn idempotency_keys_are_unique(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s);
    let (_, first) = s
        .enqueue(&id, "cverun", vec![keyed("slack", "update:1")])
        .unwrap();
    let before = events(&mut s, &id).len();

    // The same key again, alone or with others: refused, nothing written.
    for batch in [
        vec![keyed("slack", "update:1")],
        vec![keyed("email", "update:2"), keyed("pager", "update:1")],
        vec![keyed("email", "update:3"), keyed("pager", "update:3")],
    ] {
        let e = s.enqueue(&id, "cverun", batch).unwrap_err();
        assert!(
            matches!(e, Error::Refused(ref m) if m.contains("already used")),
            "{e}"
        );
    }
    assert_eq!(events(&mut s, &id).len(), before);
    let rows = s.messages(&MessageFilter::default()).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].id, first[0]);

    // Two default keys that collide (same causing event, channel and template).
    let e = s
        .act_notifying(&id, &note("twice"), "alice", &|_, _| {
            Ok(vec![
                message("slack", "kickoff", "a"),
                message("slack", "kickoff", "b"),
            ])
        })
        .unwrap_err();
    assert!(matches!(e, Error::Refused(_)), "{e}");
    assert_eq!(events(&mut s, &id).len(), before);

    // Invalid messages are refused, not stored.
    let e = s
        .enqueue(&id, "cverun", vec![message(" ", "kickoff", "x")])
        .unwrap_err();
    assert!(e.to_string().contains("no channel"), "{e}");
    let huge = "x".repeat(cverun_incident::store::MAX_MESSAGE_BYTES + 1);
    let e = s
        .enqueue(&id, "cverun", vec![message("slack", "kickoff", &huge)])
        .unwrap_err();
    assert!(e.to_string().contains("bytes"), "{e}");
    assert_eq!(events(&mut s, &id).len(), before);
}

/// Two incidents, ten channels each, ten messages per channel: 200 messages.
const INCIDENTS: usize = 2;
const CHANNELS: usize = 10;
const PER_CHANNEL: usize = 10;
const WORKERS: usize = 4;

fn leases_are_exclusive_under_concurrent_workers(b: &dyn Backend) {
    let mut s = b.open();
    let mut expected: BTreeMap<(String, String), Vec<MessageId>> = BTreeMap::new();
    for _ in 0..INCIDENTS {
        let id = declare(&mut s);
        for round in 0..PER_CHANNEL {
            let batch = (0..CHANNELS)
                .map(|c| message(&format!("channel-{c}"), &format!("update-{round}"), "body"))
                .collect();
            let (_, queued) = s.enqueue(&id, "cverun", batch).unwrap();
            for (c, m) in queued.into_iter().enumerate() {
                expected
                    .entry((id.clone(), format!("channel-{c}")))
                    .or_default()
                    .push(m);
            }
        }
    }
    let total = INCIDENTS * CHANNELS * PER_CHANNEL;
    assert_eq!(expected.values().map(Vec::len).sum::<usize>(), total);

    // What the workers saw: messages held now, and each pair's sends in order
    // (logged while the lease is held, before the outcome is recorded).
    let in_flight = Mutex::new(BTreeSet::new());
    let sent: Mutex<BTreeMap<(String, String), Vec<MessageId>>> = Mutex::new(BTreeMap::new());
    let done = Mutex::new(0usize);
    // Every worker holds leases at the same moment once (20 pairs have a message
    // to lease, 4 workers take at most 3 each), whatever the scheduler does.
    let together = std::sync::Barrier::new(WORKERS);
    std::thread::scope(|scope| {
        for w in 0..WORKERS {
            let (in_flight, sent, done, together) = (&in_flight, &sent, &done, &together);
            scope.spawn(move || {
                let worker = format!("worker-{w}");
                let mut s = b.open();
                s.set_now(at(60)).unwrap();
                let deadline = std::time::Instant::now() + Duration::from_secs(120);
                let mut first = Some(s.lease(&worker, 3, MINUTE).unwrap());
                assert!(
                    first.as_ref().is_some_and(|l| !l.is_empty()),
                    "{worker} leased nothing"
                );
                together.wait();
                while *done.lock().unwrap() < total {
                    assert!(std::time::Instant::now() < deadline, "{worker} timed out");
                    let leased = match first.take() {
                        Some(l) => l,
                        None => s.lease(&worker, 3, MINUTE).unwrap(),
                    };
                    if leased.is_empty() {
                        std::thread::yield_now();
                        continue;
                    }
                    for l in leased {
                        assert!(
                            in_flight.lock().unwrap().insert(l.id.clone()),
                            "{} leased by two workers at once",
                            l.id
                        );
                        sent.lock()
                            .unwrap()
                            .entry((l.incident.clone(), l.channel.clone()))
                            .or_default()
                            .push(l.id.clone());
                        s.record_attempt(&l.id, &l.lease_token, &delivered(at(60)))
                            .unwrap();
                        assert!(in_flight.lock().unwrap().remove(&l.id));
                        *done.lock().unwrap() += 1;
                    }
                }
            });
        }
    });
    // Each message sent once, in enqueue order per (incident, channel).
    assert_eq!(sent.into_inner().unwrap(), expected);
    let rows = s.messages(&MessageFilter::default()).unwrap();
    assert_eq!(rows.len(), total);
    assert!(
        rows.iter()
            .all(|m| m.state == MessageState::Delivered && m.attempts == 1)
    );
    // The work was shared: more than one worker delivered.
    let mut workers = BTreeSet::new();
    for m in &rows {
        workers.extend(s.attempts(&m.id).unwrap().into_iter().map(|a| a.worker));
    }
    assert!(workers.len() > 1, "{workers:?}");
    let first = &rows[0].id;
    let attempts = s.attempts(first).unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, MessageState::Delivered);
    assert_eq!(attempts[0].status, Some(200));
    assert_eq!(
        attempts[0].response_sha256.as_deref(),
        Some(sha256("ok").as_str())
    );
    for v in s.verify(None).unwrap() {
        assert!(v.problems.is_empty(), "{}: {:?}", v.incident, v.problems);
    }
}

fn order_and_retry_times_are_kept(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s);
    let (_, m) = s
        .enqueue(
            &id,
            "cverun",
            vec![
                keyed("slack", "a1"),
                keyed("slack", "a2"),
                keyed("email", "b1"),
                NewMessage {
                    not_before: Some(at(600)),
                    ..keyed("pager", "c1")
                },
            ],
        )
        .unwrap();
    // Only the oldest of each pair, and nothing before its time.
    let leased = s.lease("w1", 10, MINUTE).unwrap();
    assert_eq!(ids(&leased), [m[0].as_str(), m[2].as_str()]);
    assert!(s.lease("w2", 10, MINUTE).unwrap().is_empty());

    // A retry waits for its time, and holds back the rest of its pair.
    let retry_at = at(300);
    let state = s
        .record_attempt(
            &m[0],
            &leased[0].lease_token,
            &attempt(
                Outcome::Retry {
                    not_before: retry_at,
                    reason: "HTTP 503".into(),
                },
                support::start(),
            ),
        )
        .unwrap();
    assert_eq!(state, MessageState::Retry);
    s.record_attempt(&m[2], &leased[1].lease_token, &delivered(support::start()))
        .unwrap();
    s.set_now(at(299)).unwrap();
    assert!(s.lease("w1", 10, MINUTE).unwrap().is_empty());
    s.set_now(at(300)).unwrap();
    let again = s.lease("w1", 10, MINUTE).unwrap();
    assert_eq!(ids(&again), [m[0].as_str()]);
    assert_eq!(again[0].attempt, 2);
    assert_eq!(again[0].leases, 1);
    assert_eq!(again[0].key, "a1");

    // Dead lets the next of the pair go.
    s.record_attempt(
        &m[0],
        &again[0].lease_token,
        &attempt(
            Outcome::Dead {
                reason: "channel refused: token xoxb-1234567890-abcdef".into(),
            },
            at(300),
        ),
    )
    .unwrap();
    let next = s.lease("w1", 10, MINUTE).unwrap();
    assert_eq!(ids(&next), [m[1].as_str()]);
    // The reason is stored without the secret in it.
    let dead = s.attempts(&m[0]).unwrap();
    assert_eq!(dead.len(), 2);
    // A retry's reason is recorded too.
    assert_eq!(dead[0].outcome, MessageState::Retry);
    assert_eq!(dead[0].reason.as_deref(), Some("HTTP 503"));
    let reason = dead[1].reason.as_deref().unwrap();
    assert!(
        reason.contains("xoxb-***") && !reason.contains("1234567890"),
        "{reason}"
    );

    s.record_attempt(&m[1], &next[0].lease_token, &delivered(at(300)))
        .unwrap();

    // The message not before 12:10 comes at 12:10.
    s.set_now(at(600)).unwrap();
    let later = s.lease("w1", 10, MINUTE).unwrap();
    assert_eq!(ids(&later), [m[3].as_str()]);
}

fn ended_leases_pass_to_another_worker(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s);
    let (_, m) = s.enqueue(&id, "cverun", vec![keyed("slack", "k")]).unwrap();
    let mut other = b.open();

    // worker-1 leases for 30 s and dies without recording anything.
    let first = s.lease("worker-1", 1, Duration::from_secs(30)).unwrap();
    assert_eq!(ids(&first), [m[0].as_str()]);
    assert_eq!(first[0].lease_until, at(30));
    other.set_now(at(29)).unwrap();
    assert!(other.lease("worker-2", 1, MINUTE).unwrap().is_empty());
    assert_eq!(state_of(&mut other, &m[0]), MessageState::Leased);

    // At the lease's end, worker-2 takes it (same key: at least once).
    other.set_now(at(30)).unwrap();
    let second = other.lease("worker-2", 1, MINUTE).unwrap();
    assert_eq!(ids(&second), [m[0].as_str()]);
    assert_eq!(second[0].key, "k");
    assert_ne!(second[0].lease_token, first[0].lease_token);
    // One lease before this one and no attempt recorded: it may have been sent.
    assert_eq!((first[0].leases, first[0].attempt), (0, 1));
    assert_eq!((second[0].leases, second[0].attempt), (1, 1));

    // worker-1 comes back: its stale lease is refused and records nothing.
    let e = s
        .record_attempt(&m[0], &first[0].lease_token, &delivered(at(31)))
        .unwrap_err();
    assert!(
        matches!(e, Error::Refused(ref r) if r.contains("no longer held") && r.contains("worker-2")),
        "{e}"
    );
    assert!(s.attempts(&m[0]).unwrap().is_empty());

    // worker-2's outcome counts, once.
    other
        .record_attempt(&m[0], &second[0].lease_token, &delivered(at(31)))
        .unwrap();
    let e = other
        .record_attempt(&m[0], &second[0].lease_token, &delivered(at(31)))
        .unwrap_err();
    assert!(matches!(e, Error::Refused(_)), "{e}");
    let attempts = s.attempts(&m[0]).unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].worker, "worker-2");
    assert_eq!(state_of(&mut s, &m[0]), MessageState::Delivered);

    // A lease that ended but that nobody took still records its outcome.
    let (_, m2) = s
        .enqueue(&id, "cverun", vec![keyed("slack", "k2")])
        .unwrap();
    s.set_now(at(40)).unwrap();
    let l = s.lease("worker-1", 1, Duration::from_secs(5)).unwrap();
    s.set_now(at(100)).unwrap();
    s.record_attempt(&m2[0], &l[0].lease_token, &delivered(at(100)))
        .unwrap();

    // Leases of no time, or of more than a day, are refused.
    assert!(s.lease("w", 1, Duration::ZERO).is_err());
    assert!(s.lease("w", 1, Duration::from_secs(2 * 24 * 3600)).is_err());
}

fn dead_and_unknown_messages_replay_with_their_key(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s);
    let (_, m) = s
        .enqueue(
            &id,
            "cverun",
            vec![keyed("slack", "dead-1"), keyed("email", "unknown-1")],
        )
        .unwrap();
    let leased = s.lease("w", 10, MINUTE).unwrap();
    assert_eq!(leased.len(), 2);
    s.record_attempt(
        &m[0],
        &leased[0].lease_token,
        &attempt(
            Outcome::Dead {
                reason: "404 channel_not_found".into(),
            },
            at(1),
        ),
    )
    .unwrap();
    s.record_attempt(
        &m[1],
        &leased[1].lease_token,
        &attempt(
            Outcome::Unknown {
                reason: "timeout after sending".into(),
            },
            at(1),
        ),
    )
    .unwrap();
    // Neither is retried on its own.
    s.set_now(at(3600)).unwrap();
    assert!(s.lease("w", 10, MINUTE).unwrap().is_empty());
    let unknown = s
        .messages(&MessageFilter {
            state: Some(MessageState::Unknown),
            incident: Some(id.clone()),
        })
        .unwrap();
    assert_eq!(unknown.len(), 1);
    assert_eq!(
        unknown[0].last_error.as_deref(),
        Some("timeout after sending")
    );

    // A pending or delivered message is not replayed.
    let (_, fresh) = s.enqueue(&id, "cverun", vec![keyed("pager", "p")]).unwrap();
    let e = s.replay(&fresh[0], "alice").unwrap_err();
    assert!(
        matches!(e, Error::Refused(ref r) if r.contains("pending")),
        "{e}"
    );
    let e = s.replay(&MessageId::new(&id, 999), "alice").unwrap_err();
    assert!(e.to_string().contains("no message"), "{e}");

    let before = events(&mut s, &id).len();
    s.replay(&m[0], "alice").unwrap();
    s.replay(&m[1], "bob").unwrap();
    let stored = events(&mut s, &id);
    assert_eq!(stored.len(), before + 2);
    let replayed: Vec<(String, String)> = stored[before..]
        .iter()
        .map(|e| (e.kind.clone(), e.actor.clone()))
        .collect();
    assert_eq!(
        replayed,
        [
            ("message-replayed".to_owned(), "alice".to_owned()),
            ("message-replayed".to_owned(), "bob".to_owned())
        ]
    );
    let Ok(EventBody::MessageReplayed(r)) = stored[before].body() else {
        panic!()
    };
    assert_eq!((r.key.as_str(), r.from), ("dead-1", MessageState::Dead));
    assert!(s.verify(Some(&id)).unwrap()[0].problems.is_empty());

    // Both go again, with the same keys; attempts continue their count.
    let again = s.lease("w", 10, MINUTE).unwrap();
    let keys: BTreeSet<&str> = again.iter().map(|l| l.key.as_str()).collect();
    assert_eq!(keys, BTreeSet::from(["dead-1", "unknown-1", "p"]));
    let dead_again = again.iter().find(|l| l.id == m[0]).unwrap();
    assert_eq!(dead_again.attempt, 2);
}

fn tampered_queueing_is_found(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s);
    let (_, m) = s.enqueue(&id, "cverun", vec![keyed("slack", "k")]).unwrap();
    let seq = m[0].as_str().rsplit_once('/').unwrap().1.to_owned();
    // Someone edits the queued event's key behind cverun's back.
    b.sql(&format!(
        "UPDATE events SET details = REPLACE(details, '\"key\":\"k\"', '\"key\":\"k2\"') WHERE incident_id = '{id}' AND seq = {seq}"
    ));
    let v = s.verify(Some(&id)).unwrap();
    assert_eq!(
        v[0].problems.first().map(|p| p.kind),
        Some(ProblemKind::Edited)
    );
    // And nothing more is queued on a timeline that fails verification.
    let e = s
        .enqueue(&id, "cverun", vec![keyed("slack", "k3")])
        .unwrap_err();
    assert!(matches!(e, Error::Tampered { .. }), "{e}");
}

both_backends!(
    queueing_is_atomic_with_the_action,
    idempotency_keys_are_unique,
    leases_are_exclusive_under_concurrent_workers,
    order_and_retry_times_are_kept,
    ended_leases_pass_to_another_worker,
    dead_and_unknown_messages_replay_with_their_key,
    tampered_queueing_is_found,
);

/// PostgreSQL: a key taken by another transaction between cverun's check and its
/// insert (keys of different incidents are not under one lock) is a refusal that
/// records nothing, as the check would have given; never a database error.
#[test]
fn postgres_a_key_taken_concurrently_is_refused() {
    let Some(pg) = support::Postgres::new(cverun_testkit::test_name!()) else {
        return;
    };
    let mut s = pg.open();
    let a = declare(&mut s);
    let b = declare(&mut s);
    let (_, m) = s
        .enqueue(&a, "cverun", vec![keyed("slack", "mine")])
        .unwrap();
    let before = events(&mut s, &b).len();
    // Another session takes key "taken" for incident a's message, uncommitted:
    // the unique index entry is held until it commits.
    let mut other = ::postgres::Client::connect(&pg.url, ::postgres::NoTls).unwrap();
    let mut tx = other.transaction().unwrap();
    tx.execute(
        "UPDATE outbox SET idempotency_key = 'taken' WHERE id = $1",
        &[&m[0].as_str()],
    )
    .unwrap();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let result = std::thread::scope(|scope| {
        let waiter = scope.spawn(|| {
            let mut s2 = pg.open();
            let r = s2.enqueue(&b, "cverun", vec![keyed("slack", "taken")]);
            done_tx.send(()).unwrap();
            r
        });
        // The enqueue waits on the uncommitted key, then fails once it commits.
        std::thread::sleep(Duration::from_millis(300));
        assert!(
            done_rx.try_recv().is_err(),
            "the insert must wait for the other session"
        );
        tx.commit().unwrap();
        waiter.join().unwrap()
    });
    let e = result.unwrap_err();
    assert!(
        matches!(e, Error::Refused(ref msg) if msg.contains("idempotency key taken is already used")),
        "{e}"
    );
    assert_eq!(events(&mut s, &b).len(), before);
}
