//! Honest time and the anchored chain, on SQLite and PostgreSQL: events take their
//! time from the store's clock and only move forward; simulated stores stay
//! simulated; rewrites by someone holding the database but not the key are caught
//! (a forged message rehashed to the end, P0 rewritten to P2, a deleted incident,
//! a truncated timeline against its head); wrong, missing and rotated keys.

mod support;

use cverun_incident::chain::{self, Anchor, ProblemKind};
use cverun_incident::event::Duplicate;
use cverun_incident::{
    Action, AssignedPriority, Clock, Declaration, Error, Event, Keyring, Priority, Runbook, Store,
};
use jiff::Timestamp;
use support::{Backend, other_key, test_key};

fn at(minutes: i64) -> Timestamp {
    support::start()
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap()
}

fn declaration(level: Priority) -> Declaration {
    Declaration {
        advisory: "GHSA-jfh8-c2jp-5v3q".into(),
        priority: AssignedPriority::declared_by(level, "alice"),
        title: Some("log4shell".into()),
        description: None,
        commander: Some("alice".into()),
        services: vec!["checkout".into()],
        published: None,
        detected: None,
        aliases: Vec::new(),
        scope: None,
        // These tests declare one advisory many times in one store; the rule of one
        // open incident per vulnerability has its own tests.
        duplicate: Some(Duplicate::Allowed("a test store".into())),
    }
}

/// The built-in runbook with a roster in which alice may be commander.
fn runbook() -> Runbook {
    Runbook::from_toml(
        std::path::Path::new("team.toml"),
        "[[person]]\nhandle = \"alice\"\nroles = [\"commander\"]\n",
    )
    .expect("the test roster")
}

fn update(n: usize) -> Action {
    Action::Update {
        message: format!("update {n}"),
        eta: None,
    }
}

/// A simulated incident declared at `at(0)` with `updates` updates, one a minute.
fn incident(s: &mut Store, level: Priority, updates: usize) -> String {
    s.set_now(at(0)).unwrap();
    let id = s
        .declare(&declaration(level), &runbook(), "alice")
        .unwrap()
        .incident
        .id;
    for n in 0..updates {
        s.set_now(at(n as i64 + 1)).unwrap();
        s.act(&id, &update(n), "bob").unwrap();
    }
    id
}

fn kinds(p: &[chain::Problem]) -> Vec<(ProblemKind, u64)> {
    p.iter().map(|p| (p.kind, p.position)).collect()
}

fn ring(current: Option<cverun_incident::Key>, old: Vec<cverun_incident::Key>) -> Keyring {
    Keyring::new(current, old)
}

/// Rewrites the stored events of `id` from `from` (a seq) to the end as `edit`
/// makes them, recomputing every hash with the public algorithm (no key), and
/// moves the head: what someone with write access to the database can do.
fn rehash(b: &dyn Backend, events: &[Event], from: u64, edit: impl Fn(&mut Event)) {
    let mut prev = events
        .iter()
        .find(|e| e.seq == from - 1)
        .map(|e| e.hash.clone())
        .unwrap_or_else(|| chain::GENESIS.to_owned());
    let mut sql = String::new();
    for e in events.iter().filter(|e| e.seq >= from) {
        let mut e = e.clone();
        edit(&mut e);
        e.prev_hash = prev.clone();
        e.hash = chain::event_hash(
            &e.incident,
            e.seq,
            &e.at,
            &e.actor,
            &e.kind,
            &e.details,
            &e.prev_hash,
        );
        sql.push_str(&format!(
            "UPDATE events SET details = '{}', prev_hash = '{}', hash = '{}' WHERE incident_id = '{}' AND seq = {};\n",
            e.details.replace('\'', "''"),
            e.prev_hash,
            e.hash,
            e.incident,
            e.seq
        ));
        prev = e.hash.clone();
    }
    let last = events.last().unwrap();
    sql.push_str(&format!(
        "UPDATE incidents SET head_hash = '{prev}' WHERE id = '{}';",
        last.incident
    ));
    b.sql(&sql);
}

fn real_time_comes_from_the_stores_clock(b: &dyn Backend) {
    let keys = ring(Some(test_key()), vec![]);
    let mut s = b.open_with(Clock::System, keys.clone());
    assert!(!s.simulated());
    let before = Timestamp::now();
    let r = s
        .declare(&declaration(Priority::P1), &runbook(), "alice")
        .unwrap();
    let after = Timestamp::now();
    let t = r.events[0].time().unwrap();
    // SQLite: this machine's clock; PostgreSQL: the server's (same machine here,
    // a second of slack for its own clock).
    let slack = jiff::SignedDuration::from_secs(1);
    assert!(
        t >= before.checked_sub(slack).unwrap() && t <= after.checked_add(slack).unwrap(),
        "{before} <= {t} <= {after}"
    );
    let id = r.incident.id;
    let today = t.strftime("%Y-%m-%d").to_string();
    assert_eq!(id, format!("INC-{today}-1"));
    let e = s
        .act(&id, &update(1), "bob")
        .expect("an update at the real time");
    assert!(e.events[0].time().unwrap() >= t);
    // A real store never takes a caller's time.
    let e = s.set_now(at(0)).unwrap_err();
    assert!(e.to_string().contains("real incident store"), "{e}");
    let e = b
        .try_open_with(Clock::Simulated(at(0)), keys.clone())
        .err()
        .expect("a simulated clock on a real store is refused");
    assert!(
        e.to_string().contains("CVERUN_NOW is set, but")
            && e.to_string().contains("real incident store"),
        "{e}"
    );
    assert_eq!(s.load(&id).unwrap().problems, vec![]);
    assert_eq!(s.verify_log().unwrap().problems, vec![]);
}

fn a_timeline_only_moves_forward(b: &dyn Backend) {
    let mut s = b.open();
    assert!(s.simulated());
    let id = incident(&mut s, Priority::P0, 0);
    s.set_now(at(30)).unwrap();
    s.act(&id, &update(1), "bob").unwrap();
    let n = s.load(&id).unwrap().events.len();
    // Years before the last event: refused, nothing written.
    s.set_now("2020-01-01T00:00:00Z".parse().unwrap()).unwrap();
    let e = s.act(&id, &update(2), "bob").unwrap_err();
    assert!(matches!(e, Error::Refused(_)), "{e}");
    assert!(
        e.to_string().contains("before the incident's last event"),
        "{e}"
    );
    // A minute before: refused too.
    s.set_now(at(29)).unwrap();
    assert!(s.act(&id, &update(2), "bob").is_err());
    s.set_now(at(29)).unwrap();
    let t = s.tick("cron").unwrap();
    assert_eq!(
        t.failed.len(),
        1,
        "tick reports the incident it cannot stamp"
    );
    assert_eq!(s.load(&id).unwrap().events.len(), n);
    // Within the tolerance (skew between writers): recorded at the last time.
    s.set_now(
        at(30)
            .checked_sub(jiff::SignedDuration::from_secs(3))
            .unwrap(),
    )
    .unwrap();
    let r = s.act(&id, &update(3), "bob").unwrap();
    assert_eq!(r.events[0].time().unwrap(), at(30));
    // Six seconds back is beyond it.
    s.set_now(
        at(30)
            .checked_sub(jiff::SignedDuration::from_secs(6))
            .unwrap(),
    )
    .unwrap();
    assert!(s.act(&id, &update(4), "bob").is_err());
    s.set_now(at(31)).unwrap();
    s.act(&id, &update(5), "bob").unwrap();
    let times: Vec<Timestamp> = s
        .load(&id)
        .unwrap()
        .events
        .iter()
        .map(|e| e.time().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    // The system clock on a simulated store is refused.
    let e = b
        .try_open_with(Clock::System, ring(Some(test_key()), vec![]))
        .err()
        .expect("the system clock on a simulated store is refused");
    assert!(
        e.to_string().contains("is a simulated incident store"),
        "{e}"
    );
}

fn a_forged_message_rehashed_to_the_end_is_caught_by_its_mac(b: &dyn Backend) {
    let mut s = b.open();
    let id = incident(&mut s, Priority::P1, 5);
    let events = s.load(&id).unwrap().events;
    let n = events.len() as u64;
    // Update 1 is seq 4 (declared, commander, update 0, update 1...).
    rehash(b, &events, 4, |e| {
        if e.seq == 4 {
            e.details = e.details.replace("update 1", "all good, nothing to see");
        }
    });
    let l = s.load(&id).unwrap();
    assert!(
        l.state
            .unwrap()
            .updates
            .iter()
            .any(|u| u.message == "all good, nothing to see")
    );
    // The chain itself is consistent again: only the MACs tell.
    let head = chain::Head {
        seq: l.head_seq,
        hash: l.head_hash.clone(),
    };
    assert_eq!(chain::verify(&l.events, &head), vec![]);
    assert_eq!(
        kinds(&l.problems),
        (4..=n)
            .map(|p| (ProblemKind::ForgedMac, p))
            .collect::<Vec<_>>()
    );
    assert!(l.problems[0].message.contains("seq 4"), "{:?}", l.problems);
    let e = s.act(&id, &update(9), "bob").unwrap_err();
    assert!(matches!(e, Error::Tampered { .. }), "{e}");
}

fn p0_rewritten_to_p2_and_rehashed_is_caught(b: &dyn Backend) {
    let mut s = b.open();
    let id = incident(&mut s, Priority::P0, 2);
    let events = s.load(&id).unwrap().events;
    assert!(events[0].details.contains("\"priority\":\"P0\""));
    rehash(b, &events, 1, |e| {
        if e.seq == 1 {
            e.details = e
                .details
                .replace("\"priority\":\"P0\"", "\"priority\":\"P2\"");
        }
    });
    b.sql(&format!(
        "UPDATE incidents SET priority = 'P2' WHERE id = '{id}'"
    ));
    let l = s.load(&id).unwrap();
    assert_eq!(l.state.unwrap().priority, Priority::P2, "the rewrite took");
    assert_eq!(
        kinds(&l.problems),
        (1..=events.len() as u64)
            .map(|p| (ProblemKind::ForgedMac, p))
            .collect::<Vec<_>>()
    );
    // The store log recorded the original declaration.
    let log = s.verify_log().unwrap();
    assert_eq!(kinds(&log.problems), vec![(ProblemKind::Edited, 1)]);
    assert!(
        log.problems[0].message.contains("declaration of"),
        "{:?}",
        log.problems
    );
}

fn a_deleted_incident_leaves_a_gap_in_the_store_log(b: &dyn Backend) {
    let mut s = b.open();
    let ids: Vec<String> = (0..3).map(|_| incident(&mut s, Priority::P2, 1)).collect();
    let v = s.verify_log().unwrap();
    assert_eq!((v.entries, v.head_seq), (3, 3));
    assert_eq!(v.problems, vec![]);
    let store_head = s.store_head().unwrap();
    assert_eq!(store_head.name, "store");
    assert_eq!(s.check_head(&store_head).unwrap(), vec![]);

    let delete = |id: &str| {
        b.sql(&format!(
            "DELETE FROM events WHERE incident_id = '{id}';
             DELETE FROM incidents WHERE id = '{id}';
             DELETE FROM store_log WHERE incident_id = '{id}';"
        ))
    };
    // A middle one: the gap in the signed numbering names it.
    delete(&ids[1]);
    let v = s.verify_log().unwrap();
    assert_eq!(kinds(&v.problems), vec![(ProblemKind::Deleted, 2)]);
    assert_eq!(v.problems[0].seq, 2);
    assert!(
        v.problems[0].message.contains("store number 2 is missing"),
        "{}",
        v.problems[0].message
    );
    // The newest leaves no gap: the store head taken before catches it.
    delete(&ids[2]);
    let v = s.verify_log().unwrap();
    assert_eq!(v.problems, vec![], "the newest incident leaves no gap");
    let p = s.check_head(&store_head).unwrap();
    assert_eq!(kinds(&p), vec![(ProblemKind::Truncated, 2)]);
    assert!(
        p[0].message.contains("the store log ends at seq 1"),
        "{p:?}"
    );
    // An incident's own head, of an incident now gone.
    let p = s
        .check_head(&Anchor::new(&ids[2], 2, &"a".repeat(64), &test_key(), true))
        .unwrap();
    assert_eq!(p[0].kind, ProblemKind::Deleted);
}

fn a_truncated_timeline_is_caught_against_its_head(b: &dyn Backend) {
    let mut s = b.open();
    let id = incident(&mut s, Priority::P1, 6);
    let head = s.head(&id).unwrap();
    assert_eq!(head.seq, 8);
    let text = head.to_string();
    assert_eq!(text.split(':').count(), 4, "{text}");
    assert_eq!(Anchor::parse(&text).unwrap(), head);
    assert_eq!(s.check_head(&head).unwrap(), vec![]);
    let events = s.load(&id).unwrap().events;
    let keep = &events[4];
    b.sql(&format!(
        "DELETE FROM events WHERE incident_id = '{id}' AND seq > 5;
         UPDATE incidents SET head_seq = 5, head_hash = '{}' WHERE id = '{id}';",
        keep.hash
    ));
    // Consistent as stored...
    assert_eq!(s.load(&id).unwrap().problems, vec![]);
    // ...but it no longer reaches the head taken before.
    let p = s.check_head(&head).unwrap();
    assert_eq!(kinds(&p), vec![(ProblemKind::Truncated, 6)]);
    assert!(p[0].message.contains("ends at seq 5"), "{p:?}");
    // A head with a forged MAC, or of another chain at a seq it has.
    let mut forged = head.clone();
    forged.seq = 3;
    assert_eq!(
        kinds(&s.check_head(&forged).unwrap()),
        vec![(ProblemKind::ForgedMac, 0)]
    );
    let other = Anchor::new(&id, 3, &"b".repeat(64), &test_key(), true);
    assert_eq!(
        kinds(&s.check_head(&other).unwrap()),
        vec![(ProblemKind::Edited, 3)]
    );
    // A head made on a real store does not pass on a simulated one.
    let real = Anchor::new(&id, 5, &keep.hash, &test_key(), false);
    assert_eq!(s.check_head(&real).unwrap()[0].kind, ProblemKind::ForgedMac);
}

fn wrong_missing_and_rotated_keys(b: &dyn Backend) {
    let mut s = b.open();
    let id = incident(&mut s, Priority::P2, 2);
    let n = s.load(&id).unwrap().events.len() as u64;
    drop(s);
    // A wrong key: every event is reported.
    let mut wrong = b.open_with(Clock::Simulated(at(10)), ring(Some(other_key()), vec![]));
    let l = wrong.load(&id).unwrap();
    assert_eq!(
        kinds(&l.problems),
        (1..=n)
            .map(|p| (ProblemKind::Unauthenticated, p))
            .collect::<Vec<_>>()
    );
    assert!(
        l.problems[0].message.contains("not available"),
        "{:?}",
        l.problems
    );
    assert!(wrong.act(&id, &update(7), "bob").is_err(), "not written to");
    let e = wrong
        .declare(&declaration(Priority::P1), &runbook(), "alice")
        .unwrap_err();
    assert!(
        e.to_string().contains("store log fails verification"),
        "{e}"
    );
    assert!(!wrong.verify_log().unwrap().problems.is_empty());
    // No key: never valid, nothing written.
    let mut none = b.open_with(Clock::Simulated(at(10)), Keyring::none());
    let l = none.load(&id).unwrap();
    assert_eq!(kinds(&l.problems), vec![(ProblemKind::Unauthenticated, 1)]);
    assert!(
        l.problems[0].message.contains("no incident key"),
        "{:?}",
        l.problems
    );
    assert!(none.act(&id, &update(7), "bob").is_err());
    assert!(none.head(&id).is_err());
    // Rotation: the new key signs, the old one still verifies.
    let mut rotated = b.open_with(
        Clock::Simulated(at(10)),
        ring(Some(other_key()), vec![test_key()]),
    );
    assert_eq!(rotated.load(&id).unwrap().problems, vec![]);
    let r = rotated.act(&id, &update(8), "bob").unwrap();
    assert_eq!(r.events[0].key_id.as_deref(), Some(other_key().id()));
    rotated.set_now(at(11)).unwrap();
    rotated
        .declare(&declaration(Priority::P1), &runbook(), "alice")
        .unwrap();
    assert_eq!(rotated.load(&id).unwrap().problems, vec![]);
    assert_eq!(rotated.verify_log().unwrap().problems, vec![]);
    // Without the old key, the events it signed are named.
    let mut new_only = b.open_with(Clock::Simulated(at(12)), ring(Some(other_key()), vec![]));
    let p = new_only.load(&id).unwrap().problems;
    assert_eq!(p.len() as u64, n, "{p:?}");
    assert!(p.iter().all(|p| p.kind == ProblemKind::Unauthenticated));
    // A MAC copied from another event does not authenticate this one.
    let l = rotated.load(&id).unwrap();
    b.sql(&format!(
        "UPDATE events SET mac = '{}', key_id = '{}' WHERE incident_id = '{id}' AND seq = 2",
        l.events[0].mac.as_deref().unwrap(),
        l.events[0].key_id.as_deref().unwrap()
    ));
    assert_eq!(
        kinds(&rotated.load(&id).unwrap().problems),
        vec![(ProblemKind::ForgedMac, 2)]
    );
}

both_backends!(
    real_time_comes_from_the_stores_clock,
    a_timeline_only_moves_forward,
    a_forged_message_rehashed_to_the_end_is_caught_by_its_mac,
    p0_rewritten_to_p2_and_rehashed_is_caught,
    a_deleted_incident_leaves_a_gap_in_the_store_log,
    a_truncated_timeline_is_caught_against_its_head,
    wrong_missing_and_rotated_keys,
);

#[test]
fn the_store_and_the_key_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("a").join("state");
    let path = state.join("incidents.sqlite3");
    let mut s = Store::sqlite(&path, Clock::Simulated(at(0)), Keyring::none()).unwrap();
    s.execute_raw("SELECT 1").unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600, "the store file");
    assert_eq!(mode(&state), 0o700, "the state directory");
    assert_eq!(mode(&dir.path().join("a")), 0o700, "created parents");
    let wal = state.join("incidents.sqlite3-wal");
    if wal.exists() {
        assert_eq!(mode(&wal) & 0o077, 0, "the WAL file");
    }
    let key_dir = dir.path().join("keys");
    let k = cverun_incident::key::create_key_file(&key_dir.join("incident.key")).unwrap();
    assert_eq!(mode(&key_dir.join("incident.key")), 0o600, "the key file");
    assert_eq!(mode(&key_dir), 0o700);
    // Created once: a second call reads the same key.
    let again = cverun_incident::key::create_key_file(&key_dir.join("incident.key")).unwrap();
    assert_eq!(k.id(), again.id());
    let text = std::fs::read_to_string(key_dir.join("incident.key")).unwrap();
    assert_eq!(text.trim().len(), 64);
}
