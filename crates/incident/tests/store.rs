//! The store suite, written once and run against SQLite and PostgreSQL: ids,
//! a whole P0 on a simulated clock, exactly-once clocks under concurrent ticks,
//! parallel writers, tampering found by position, refusals that write nothing.

mod support;

use std::collections::BTreeMap;

use cverun_incident::chain::ProblemKind;
use cverun_incident::event::Duplicate;
use cverun_incident::{
    Action, ApprovalKind, AssignedPriority, BaseRef, Baseline, CheckedBy, Decision, Declaration,
    Error, EventBody, FixApplied, FixCommit, FixPlanned, FixTested, Phase, Priority, Rescan,
    RescanOutcome, Role, Runbook, ServiceRescan, Store,
};
use jiff::Timestamp;
use support::Backend;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// 2026-11-23 plus `minutes` after 12:00 UTC.
fn at(minutes: i64) -> Timestamp {
    t("2026-11-23T12:00:00Z")
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap()
}

fn declaration(level: Priority, actor: &str) -> Declaration {
    Declaration {
        advisory: "GHSA-jfh8-c2jp-5v3q".into(),
        priority: AssignedPriority::declared_by(level, actor),
        title: Some("log4shell in checkout".into()),
        description: None,
        commander: Some(actor.into()),
        services: vec!["checkout".into(), "cart".into()],
        published: Some(t("2026-11-22T09:00:00Z")),
        detected: None,
        aliases: Vec::new(),
        scope: None,
        // These tests declare one advisory many times in one store; the rule of one
        // open incident per vulnerability has its own tests.
        duplicate: Some(Duplicate::Allowed("a test store".into())),
    }
}

/// The built-in runbook with the team's roster (actions that change the gates
/// need a person of the roster).
fn runbook() -> Runbook {
    Runbook::from_toml(
        std::path::Path::new("team.toml"),
        r#"
[[person]]
handle = "alice"
roles = ["commander", "security-lead"]
[[person]]
handle = "bob"
roles = ["commander", "devops"]
[[person]]
handle = "carol"
roles = ["technical-lead"]
[[person]]
handle = "dave"
roles = ["security-lead"]
"#,
    )
    .expect("the test roster")
}

fn declare(store: &mut Store, level: Priority, now: Timestamp) -> String {
    store.set_now(now).unwrap();
    store
        .declare(&declaration(level, "alice"), &runbook(), "alice")
        .expect("declare")
        .incident
        .id
}

fn act(store: &mut Store, id: &str, actor: &str, now: Timestamp, a: Action) -> Result<(), Error> {
    store.set_now(now)?;
    store.act(id, &a, actor).map(|_| ())
}

fn ok(store: &mut Store, id: &str, actor: &str, now: Timestamp, a: Action) {
    let desc = format!("{a:?}");
    act(store, id, actor, now, a).unwrap_or_else(|e| panic!("{desc}: {e}"));
}

fn advance() -> Action {
    Action::Advance {
        to: None,
        force: false,
        reason: None,
    }
}

/// Checks by hand every item of `phase` that people check (not those the runbook
/// has checked by a command, `by = "verify"`).
fn check_phase(store: &mut Store, id: &str, phase: Phase, now: Timestamp) {
    for item in Runbook::default().items(phase) {
        if item.by.is_none() {
            ok(
                store,
                id,
                "bob",
                now,
                Action::Check {
                    item: item.id.clone(),
                },
            );
        }
    }
}

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

/// A re-scan compared with a saved report: in each of `services`, the ids still
/// found (`None`: not scanned).
fn rescan(services: &[(&str, Option<&[&str]>)]) -> Action {
    Action::Verify(Rescan {
        report_sha256: SHA.into(),
        baseline: Baseline::File {
            name: "baseline.json".into(),
            sha256: SHA.into(),
        },
        fixed: 1,
        remaining: 0,
        introduced: 0,
        services: services
            .iter()
            .map(|(s, ids)| ServiceRescan {
                service: (*s).into(),
                outcome: match ids {
                    Some(ids) => RescanOutcome::Scanned {
                        ids: ids.iter().map(|i| i.to_string()).collect(),
                    },
                    None => RescanOutcome::NotScanned {
                        reason: "the scan failed".into(),
                    },
                },
            })
            .collect(),
    })
}

/// Every clock key fired in the incident's timeline, with how often.
fn clock_counts(store: &mut Store, id: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for e in store.load(id).unwrap().events {
        if let Some(c) = e.clock() {
            *counts.entry(c).or_insert(0) += 1;
        }
    }
    counts
}

/// Runs `tick` at `now` several times in a row and from several threads at once
/// (each with its own connection).
fn tick_hard(b: &dyn Backend, now: Timestamp) -> usize {
    let fired = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for n in 0..4 {
            let fired = &fired;
            s.spawn(move || {
                let mut store = b.open();
                store.set_now(now).unwrap();
                for _ in 0..3 {
                    let r = store.tick(&format!("ticker{n}")).expect("tick");
                    assert!(r.failed.is_empty(), "{:?}", r.failed);
                    fired.fetch_add(r.fired.len(), std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    fired.into_inner()
}

fn assert_intact(store: &mut Store, id: &str) -> usize {
    let loaded = store.load(id).unwrap();
    assert_eq!(loaded.problems, vec![], "{id} must verify");
    for (i, e) in loaded.events.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "seqs are contiguous");
    }
    assert_eq!(loaded.head_seq, loaded.events.len() as u64);
    loaded.events.len()
}

fn ids_are_daily_counters(b: &dyn Backend) {
    let mut store = b.open();
    let a = declare(&mut store, Priority::P2, t("2026-11-23T00:00:01Z"));
    let c = declare(&mut store, Priority::P2, t("2026-11-23T23:59:59Z"));
    let d = declare(&mut store, Priority::P2, t("2026-11-24T00:00:00Z"));
    assert_eq!(
        [a.as_str(), c.as_str(), d.as_str()],
        ["INC-2026-11-23-1", "INC-2026-11-23-2", "INC-2026-11-24-1"]
    );
    let listed: Vec<String> = store
        .load_all()
        .unwrap()
        .into_iter()
        .map(|l| l.id)
        .collect();
    assert_eq!(listed, vec![a, c, d]);
}

fn concurrent_declarers_get_distinct_ids(b: &dyn Backend) {
    let ids = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| {
                let mut store = b.open();
                for _ in 0..4 {
                    let id = declare(&mut store, Priority::P1, at(0));
                    ids.lock().unwrap().push(id);
                }
            });
        }
    });
    let mut ids = ids.into_inner().unwrap();
    ids.sort_by_key(|id| id.rsplit('-').next().unwrap().parse::<u32>().unwrap());
    let expected: Vec<String> = (1..=24).map(|n| format!("INC-2026-11-23-{n}")).collect();
    assert_eq!(ids, expected);
}

/// A P0 from declaration to resolution on a simulated clock.
fn a_p0_from_declaration_to_resolution(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s, Priority::P0, at(0));
    assert_eq!(tick_hard(b, at(5)), 0, "nothing is due yet");

    check_phase(&mut s, &id, Phase::Containment, at(10));
    // The first status update was due 30 minutes after the declaration.
    assert_eq!(tick_hard(b, at(31)), 1);
    ok(
        &mut s,
        &id,
        "alice",
        at(35),
        Action::Update {
            message: "contained".into(),
            eta: None,
        },
    );
    ok(&mut s, &id, "alice", at(60), advance());
    ok(
        &mut s,
        &id,
        "carol",
        at(62),
        Action::Assign {
            role: Role::TechnicalLead,
            name: "carol".into(),
        },
    );
    ok(
        &mut s,
        &id,
        "alice",
        at(65),
        Action::Decide {
            decision: Decision::Hotfix,
            rationale: "patch exists".into(),
        },
    );
    check_phase(&mut s, &id, Phase::Remediation, at(90));
    ok(&mut s, &id, "alice", at(100), advance());
    // At 2 h: the P0 escalation to executives, the containment target (met: no
    // event) and each missed status-update interval (due every 30 minutes after
    // the last update at 35 minutes: 65 and 95).
    assert_eq!(tick_hard(b, at(120)), 3);
    let counts = clock_counts(&mut s, &id);
    assert_eq!(
        counts.keys().cloned().collect::<Vec<_>>(),
        vec!["escalation:P0:2h", "update:0", "update:1", "update:1:2"]
    );
    check_phase(&mut s, &id, Phase::Validation, at(130));
    // rescan-clean is the verification's to check.
    let e = act(&mut s, &id, "alice", at(135), advance()).unwrap_err();
    assert!(e.to_string().contains("validation/rescan-clean"), "{e}");
    ok(
        &mut s,
        &id,
        "ci",
        at(136),
        rescan(&[("checkout", Some(&[])), ("cart", Some(&[]))]),
    );

    // The deployment gate.
    let e = act(&mut s, &id, "alice", at(140), advance()).unwrap_err();
    assert!(
        e.to_string().contains("missing: technical, security"),
        "{e}"
    );
    let e = act(
        &mut s,
        &id,
        "alice",
        at(141),
        Action::Approve {
            kind: ApprovalKind::Security,
        },
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("declarer's own approval does not count for P0"),
        "{e}"
    );
    ok(
        &mut s,
        &id,
        "carol",
        at(142),
        Action::Approve {
            kind: ApprovalKind::Technical,
        },
    );
    let e = act(
        &mut s,
        &id,
        "carol",
        at(143),
        Action::Approve {
            kind: ApprovalKind::Technical,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("cannot approve twice"), "{e}");
    let e = act(
        &mut s,
        &id,
        "carol",
        at(143),
        Action::Approve {
            kind: ApprovalKind::Security,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("cannot approve twice"), "{e}");
    let e = act(&mut s, &id, "alice", at(144), advance()).unwrap_err();
    assert!(e.to_string().contains("missing: security"), "{e}");
    ok(
        &mut s,
        &id,
        "dave",
        at(145),
        Action::Approve {
            kind: ApprovalKind::Security,
        },
    );
    ok(&mut s, &id, "alice", at(150), advance());
    assert_eq!(s.load(&id).unwrap().state.unwrap().phase, Phase::Deployment);

    ok(
        &mut s,
        &id,
        "alice",
        at(155),
        Action::Update {
            message: "deploying".into(),
            eta: Some(at(300)),
        },
    );
    check_phase(&mut s, &id, Phase::Deployment, at(190));
    // The next update was due 30 minutes after the last one (at 2h35).
    assert_eq!(tick_hard(b, at(200)), 1);
    ok(&mut s, &id, "alice", at(210), advance());
    check_phase(&mut s, &id, Phase::PostMortem, at(600));
    ok(&mut s, &id, "alice", at(610), advance());
    let inc = s.load(&id).unwrap().state.unwrap();
    assert_eq!(inc.phase, Phase::Resolved);
    assert_eq!(inc.resolved_at, Some(at(610)));
    assert_eq!(inc.approvals.len(), 2);

    // Nothing fires after the resolution, however often tick runs.
    let before = clock_counts(&mut s, &id);
    assert_eq!(tick_hard(b, at(30 * 60)), 0);
    assert_eq!(tick_hard(b, at(30 * 60)), 0);
    let after = clock_counts(&mut s, &id);
    assert_eq!(before, after);
    assert!(
        after.values().all(|n| *n == 1),
        "each clock fired once: {after:?}"
    );
    assert_eq!(
        after.keys().cloned().collect::<Vec<_>>(),
        vec![
            "escalation:P0:2h",
            "update:0",
            "update:1",
            "update:1:2",
            "update:2"
        ],
        "every phase target was met"
    );
    let events = assert_intact(&mut s, &id);

    // A direct edit of the database is named by position.
    let loaded = s.load(&id).unwrap();
    let approval = loaded
        .events
        .iter()
        .find(|e| e.kind == "approved" && e.actor == "dave")
        .unwrap()
        .seq;
    s.execute_raw(&format!(
        "UPDATE events SET details = '{{\"as\":\"technical\"}}' WHERE incident_id = '{id}' AND seq = {approval}"
    ))
    .unwrap();
    let v = s.verify(Some(&id)).unwrap();
    assert_eq!(v[0].events, events as u64);
    assert_eq!(v[0].problems.len(), 1, "{:?}", v[0].problems);
    assert_eq!(v[0].problems[0].kind, ProblemKind::Edited);
    assert_eq!(v[0].problems[0].seq, approval);
    assert_eq!(v[0].problems[0].position, approval);
}

fn each_clock_fires_once_under_concurrent_ticks(b: &dyn Backend) {
    let mut s = b.open();
    let ids: Vec<String> = (0..3)
        .map(|_| declare(&mut s, Priority::P0, at(0)))
        .collect();
    let fired = tick_hard(b, at(24 * 60 + 1));
    // Per incident: each of the 48 missed status-update intervals (every 30
    // minutes), their escalation after three, the 2 h escalation, and the five
    // phase targets.
    assert_eq!(fired, 3 * 55);
    for id in &ids {
        let counts = clock_counts(&mut s, id);
        assert_eq!(counts.len(), 55, "{counts:?}");
        assert!(counts.contains_key("update:0:48") && counts.contains_key("missed-updates:0"));
        assert!(counts.values().all(|n| *n == 1), "{counts:?}");
        assert_intact(&mut s, id);
    }
    // The schema itself refuses a second event for a clock, whatever writes it.
    let insert = format!(
        "INSERT INTO events (incident_id, seq, at, actor, kind, details, prev_hash, hash, clock)
         VALUES ('{}', 999, 'x', 'x', 'escalated', '{{}}', 'x', 'x', 'escalation:P0:2h')",
        ids[0]
    );
    let e = s.execute_raw(&insert).unwrap_err();
    assert!(e.to_string().to_lowercase().contains("unique"), "{e}");
    s.execute_raw(&format!(
        "{insert} ON CONFLICT (incident_id, clock) DO NOTHING"
    ))
    .unwrap();
    assert_eq!(clock_counts(&mut s, &ids[0])["escalation:P0:2h"], 1);
    assert_intact(&mut s, &ids[0]);
}

/// Writers and ticks race at one simulated time (a timeline only moves forward,
/// so racing writers at different simulated times would be refused).
fn parallel_writers_lose_nothing(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s, Priority::P1, at(0));
    let writers = 6;
    let each = 12;
    std::thread::scope(|sc| {
        for w in 0..writers {
            let id = &id;
            sc.spawn(move || {
                let mut store = b.open();
                store.set_now(at(24 * 60)).unwrap();
                for n in 0..each {
                    store
                        .act(
                            id,
                            &Action::Update {
                                message: format!("writer {w} update {n}"),
                                eta: None,
                            },
                            &format!("writer{w}"),
                        )
                        .expect("update");
                }
            });
        }
        // Clocks race the writers too.
        sc.spawn(|| {
            let mut store = b.open();
            store.set_now(at(24 * 60)).unwrap();
            for _ in 0..10 {
                store.tick("ticker").expect("tick");
            }
        });
    });
    let n = assert_intact(&mut s, &id);
    let inc = s.load(&id).unwrap().state.unwrap();
    assert_eq!(inc.updates.len(), (writers * each) as usize);
    for w in 0..writers {
        for k in 0..each {
            let m = format!("writer {w} update {k}");
            assert!(inc.updates.iter().any(|u| u.message == m), "{m} lost");
        }
    }
    let clocks: usize = clock_counts(&mut s, &id).values().sum();
    // declared + commander assigned + the updates + the clock events.
    assert_eq!(n, 2 + (writers * each) as usize + clocks);
}

fn tampering_is_named_by_position(b: &dyn Backend) {
    let mut s = b.open();
    let mut ids = Vec::new();
    for _ in 0..4 {
        let id = declare(&mut s, Priority::P2, at(0));
        for n in 0..4 {
            ok(
                &mut s,
                &id,
                "bob",
                at(n + 1),
                Action::Update {
                    message: format!("u{n}"),
                    eta: None,
                },
            );
        }
        assert_eq!(assert_intact(&mut s, &id), 6);
        ids.push(id);
    }
    // Edit, delete, insert (a forger who knows the hash), swap two seqs.
    s.execute_raw(&format!(
        "UPDATE events SET details = replace(details, 'u1', 'all good') WHERE incident_id = '{}' AND seq = 4",
        ids[0]
    ))
    .unwrap();
    s.execute_raw(&format!(
        "DELETE FROM events WHERE incident_id = '{}' AND seq = 3",
        ids[1]
    ))
    .unwrap();
    let head = s.load(&ids[2]).unwrap();
    let forged = cverun_incident::Event::new(
        &ids[2],
        7,
        at(30),
        "mallory",
        &cverun_incident::EventBody::Approved {
            kind: ApprovalKind::Security,
        },
        &head.head_hash,
    );
    s.execute_raw(&format!(
        "INSERT INTO events (incident_id, seq, at, actor, kind, details, prev_hash, hash) VALUES ('{}', 7, '{}', 'mallory', 'approved', '{}', '{}', '{}')",
        ids[2], forged.at, forged.details, forged.prev_hash, forged.hash
    ))
    .unwrap();
    s.execute_raw(&format!(
        "UPDATE events SET seq = 100 WHERE incident_id = '{0}' AND seq = 2;
         UPDATE events SET seq = 2 WHERE incident_id = '{0}' AND seq = 3;
         UPDATE events SET seq = 3 WHERE incident_id = '{0}' AND seq = 100;",
        ids[3]
    ))
    .unwrap();

    let all = s.verify(None).unwrap();
    let found: BTreeMap<&str, Vec<(ProblemKind, u64, u64)>> = all
        .iter()
        .map(|v| {
            (
                v.incident.as_str(),
                v.problems
                    .iter()
                    .map(|p| (p.kind, p.position, p.seq))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(found[ids[0].as_str()], vec![(ProblemKind::Edited, 4, 4)]);
    assert_eq!(found[ids[1].as_str()], vec![(ProblemKind::Deleted, 3, 3)]);
    assert_eq!(found[ids[2].as_str()], vec![(ProblemKind::Inserted, 7, 7)]);
    assert_eq!(
        found[ids[3].as_str()],
        vec![
            (ProblemKind::Reordered, 2, 2),
            (ProblemKind::Reordered, 3, 3)
        ]
    );

    // A tampered timeline is not written to: nothing is recorded, the error says why.
    for id in &ids {
        let before = s.load(id).unwrap().events.len();
        let e = act(
            &mut s,
            id,
            "bob",
            at(40),
            Action::Update {
                message: "more".into(),
                eta: None,
            },
        )
        .unwrap_err();
        assert!(matches!(e, Error::Tampered { .. }), "{e}");
        assert!(e.to_string().contains("fails verification"), "{e}");
        assert_eq!(s.load(id).unwrap().events.len(), before);
    }
    s.set_now(at(100 * 60)).unwrap();
    let r = s.tick("ticker").unwrap();
    assert_eq!(r.failed.len(), 4, "tick reports the tampered incidents");
    assert!(r.fired.is_empty());
}

fn refusals_write_nothing(b: &dyn Backend) {
    let mut s = b.open();
    let e = act(&mut s, "INC-2026-01-01-9", "bob", at(0), advance()).unwrap_err();
    assert!(matches!(e, Error::UnknownIncident(..)), "{e}");
    assert!(
        e.to_string().contains("no incident INC-2026-01-01-9"),
        "{e}"
    );
    let id = declare(&mut s, Priority::P1, at(0));
    let before = s.load(&id).unwrap().events.len();
    for a in [
        advance(),
        Action::Reopen {
            reason: "x".into(),
            to: None,
        },
        Action::Check {
            item: "no-such-item".into(),
        },
        Action::Impact {
            impact: "meteor".into(),
        },
        Action::Assign {
            role: Role::Commander,
            name: "alice".into(),
        },
        Action::Update {
            message: "  ".into(),
            eta: None,
        },
        Action::Advance {
            to: Some(Phase::Resolved),
            force: true,
            reason: Some("skip".into()),
        },
    ] {
        let d = format!("{a:?}");
        let e = act(&mut s, &id, "bob", at(1), a).unwrap_err();
        assert!(matches!(e, Error::Refused(_)), "{d}: {e}");
    }
    assert!(matches!(
        act(&mut s, &id, "  ", at(1), advance()).unwrap_err(),
        Error::Refused(_)
    ));
    assert_eq!(s.load(&id).unwrap().events.len(), before);
    // A refused declaration allocates no id.
    let mut bad = declaration(Priority::P0, "alice");
    bad.advisory = String::new();
    s.set_now(at(0)).unwrap();
    assert!(s.declare(&bad, &Runbook::default(), "alice").is_err());
    assert_eq!(declare(&mut s, Priority::P0, at(0)), "INC-2026-11-23-2");
}

fn evidence_and_regulatory_records(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s, Priority::P1, at(0));
    ok(
        &mut s,
        &id,
        "bob",
        at(5),
        Action::Aware { at: Some(at(-60)) },
    );
    ok(
        &mut s,
        &id,
        "bob",
        at(6),
        Action::Evidence {
            file: "e.tar.gz".into(),
            manifest_sha256: "ab".repeat(32),
            members: 3,
            bytes: 10,
        },
    );
    ok(
        &mut s,
        &id,
        "bob",
        at(7),
        Action::Cancel {
            reason: "false alarm".into(),
        },
    );
    // Evidence and regulatory records are taken on a cancelled incident too... but
    // regulatory clocks stop with cancellation.
    let e = act(
        &mut s,
        &id,
        "bob",
        at(8),
        Action::Notify {
            clock: "gdpr".into(),
            note: None,
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("CANCELLED"), "{e}");
    ok(
        &mut s,
        &id,
        "bob",
        at(9),
        Action::Evidence {
            file: "f.tar.gz".into(),
            manifest_sha256: "cd".repeat(32),
            members: 1,
            bytes: 1,
        },
    );
    let inc = s.load(&id).unwrap().state.unwrap();
    assert_eq!(inc.evidence.len(), 2);
    assert_eq!(inc.aware_at, Some(at(-60)));
    s.set_now(at(10_000)).unwrap();
    assert_eq!(
        s.tick("t").unwrap().evaluated,
        0,
        "cancelled incidents are not evaluated"
    );
}

fn reopening_and_migrations(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s, Priority::P2, at(0));
    ok(
        &mut s,
        &id,
        "bob",
        at(1),
        Action::Advance {
            to: Some(Phase::Resolved),
            force: true,
            reason: Some("upstream fixed it".into()),
        },
    );
    ok(
        &mut s,
        &id,
        "bob",
        at(2),
        Action::Reopen {
            reason: "regressed".into(),
            to: Some(Phase::Remediation),
        },
    );
    let inc = s.load(&id).unwrap().state.unwrap();
    assert_eq!(inc.phase, Phase::Remediation);
    assert_eq!(inc.resolved_at, None);
    drop(s);
    // Opening again migrates nothing and keeps everything.
    let mut s = b.open();
    assert_eq!(assert_intact(&mut s, &id), 4);
    // A store from a newer cverun is refused with a clear message.
    s.execute_raw("INSERT INTO schema_version (version, applied_at) VALUES (99, 'later')")
        .unwrap();
    drop(s);
    let e = b.try_open().err().expect("a newer schema must be refused");
    assert!(
        e.to_string().contains("newer than this cverun understands"),
        "{e}"
    );
}

/// Every remediation step through the store: recorded in one transaction each,
/// signed and chained like the others, read back identically by another
/// connection, and the item a clean verification checks shown checked by it.
fn remediation_evidence_round_trips(b: &dyn Backend) {
    let mut s = b.open();
    let id = declare(&mut s, Priority::P1, at(0));
    // By hand: refused, naming the command that checks it.
    let e = act(
        &mut s,
        &id,
        "bob",
        at(1),
        Action::Check {
            item: "rescan-clean".into(),
        },
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("checked by `cverun verify --incident {id}`")),
        "{e}"
    );
    ok(
        &mut s,
        &id,
        "carol",
        at(2),
        Action::FixPlanned(FixPlanned {
            plan_sha256: SHA.into(),
            changes: 2,
            breaking: 1,
            incomplete: 0,
            unfixable: 0,
            services: vec!["checkout".into(), "cart".into()],
            proposed: None,
            summary: "log4j-core 2.14.1 -> 2.17.1".into(),
        }),
    );
    ok(
        &mut s,
        &id,
        "carol",
        at(3),
        Action::FixApplied(FixApplied {
            repository: ".".into(),
            branch: format!("hotfix/{id}"),
            base: BaseRef {
                reference: "main".into(),
                commit: "a".repeat(40),
            },
            commits: vec![FixCommit {
                service: "all".into(),
                commit: "b".repeat(40),
            }],
            pushed: Some("origin".into()),
            changes: 2,
        }),
    );
    ok(
        &mut s,
        &id,
        "carol",
        at(4),
        Action::FixTested(FixTested {
            service: "cart".into(),
            command: "npm test".into(),
            exit_status: Some(1),
            duration_ms: 4_200,
            passed: false,
            kept: false,
        }),
    );
    ok(
        &mut s,
        &id,
        "ci",
        at(5),
        rescan(&[("checkout", Some(&[])), ("cart", None)]),
    );
    ok(
        &mut s,
        &id,
        "ci",
        at(6),
        rescan(&[("checkout", Some(&["CVE-2020-9488"])), ("cart", Some(&[]))]),
    );
    drop(s);

    let mut s = b.open();
    assert_eq!(assert_intact(&mut s, &id), 8);
    assert!(s.verify(Some(&id)).unwrap()[0].problems.is_empty());
    let loaded = s.load(&id).unwrap();
    let kinds: Vec<&str> = loaded.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "declared",
            "assigned",
            "fix-planned",
            "fix-applied",
            "fix-tested",
            "verified",
            "verified",
            "checked"
        ]
    );
    assert!(loaded.events.iter().all(|e| e.mac.is_some()), "signed");
    let inc = loaded.state.unwrap();
    let r = &inc.remediation;
    assert_eq!(
        r.planned[0].step.proposed,
        Some(Decision::HotfixCodeChanges)
    );
    assert_eq!(r.applied[0].step.pushed.as_deref(), Some("origin"));
    assert_eq!(r.tested[0].step.exit_status, Some(1));
    assert_eq!(
        r.verified.iter().map(|v| v.step.clean).collect::<Vec<_>>(),
        [false, true]
    );
    let c = &inc.checked["rescan-clean"];
    assert_eq!((c.command, c.evidence), (Some(CheckedBy::Verify), Some(7)));
    assert_eq!(c.ahead.as_deref(), Some("verified clean by cverun verify"));
    match loaded.events[7].body().unwrap() {
        EventBody::Checked { by, item, .. } => {
            assert_eq!(
                (by, item.as_str()),
                (Some(CheckedBy::Verify), "rescan-clean")
            )
        }
        other => panic!("{other:?}"),
    }
}

both_backends!(
    remediation_evidence_round_trips,
    ids_are_daily_counters,
    concurrent_declarers_get_distinct_ids,
    a_p0_from_declaration_to_resolution,
    each_clock_fires_once_under_concurrent_ticks,
    parallel_writers_lose_nothing,
    tampering_is_named_by_position,
    refusals_write_nothing,
    evidence_and_regulatory_records,
    reopening_and_migrations,
);
