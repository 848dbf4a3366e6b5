//! The views from incidents built with the pure rules: the JSON documents (schema,
//! fields in their documented order) and the lines of text people read.

use jiff::Timestamp;
use serde_json::Value;

use cverun_scan::render::style::{RED, paint};

use crate::chain::{self, Anchor, GENESIS, Head, STORE_ANCHOR};
use crate::event::Event;
use crate::model::{AssignedPriority, Priority};
use crate::rules::{self, Action, Declaration};
use crate::state::{FoldError, Incident};
use crate::store::{Fired, Loaded, LogVerification, TickReport, Verification};

use super::{head, list, metrics, show, tick, timeline, verify};

const ID: &str = "INC-2026-11-23-1";

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// `minutes` after the declaration (2026-11-23T12:00:00Z).
fn at(minutes: i64) -> Timestamp {
    t("2026-11-23T12:00:00Z")
        .checked_add(jiff::SignedDuration::from_mins(minutes))
        .unwrap()
}

use cverun_scan::render::style::plain;

fn json(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap()
}

/// The fields of `v`'s JSON object in the order they are written.
fn keys(v: &impl serde::Serialize) -> Vec<String> {
    let text = serde_json::to_string_pretty(v).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("  \""))
        .map(|l| l.split('"').next().unwrap().to_owned())
        .collect()
}

/// An incident's events, built through the rules and hashed as the store does.
struct Timeline {
    events: Vec<Event>,
}

impl Timeline {
    /// A P0 incident for log4shell declared at `at(0)` by alice, its commander.
    fn declared() -> Timeline {
        let d = Declaration {
            advisory: "GHSA-jfh8-c2jp-5v3q".into(),
            priority: AssignedPriority::declared_by(Priority::P0, "alice"),
            title: Some("log4shell in checkout".into()),
            description: None,
            commander: Some("alice".into()),
            services: vec!["checkout".into()],
            published: None,
            detected: None,
            aliases: vec!["CVE-2021-44228".into()],
            scope: None,
            duplicate: None,
        };
        let bodies = rules::declare(&d, &crate::runbook::test_runbook(), at(0)).unwrap();
        let mut tl = Timeline { events: Vec::new() };
        tl.push("alice", at(0), bodies);
        tl
    }

    fn push(&mut self, actor: &str, when: Timestamp, bodies: Vec<crate::event::EventBody>) {
        for b in bodies {
            let prev = self
                .events
                .last()
                .map(|e| e.hash.clone())
                .unwrap_or_else(|| GENESIS.into());
            let seq = self.events.len() as u64 + 1;
            self.events
                .push(Event::new(ID, seq, when, actor, &b, &prev));
        }
    }

    fn state(&self) -> Incident {
        Incident::from_events(&self.events).unwrap()
    }

    fn act(mut self, actor: &str, minutes: i64, a: Action) -> Timeline {
        let bodies = rules::act(&self.state(), &a, actor, at(minutes)).unwrap();
        self.push(actor, at(minutes), bodies);
        self
    }

    /// As the store loads it: the chain checked against the last event.
    fn loaded(&self) -> Loaded {
        let last = self.events.last().unwrap();
        let head = Head {
            seq: last.seq,
            hash: last.hash.clone(),
        };
        Loaded {
            id: ID.into(),
            problems: chain::verify(&self.events, &head),
            head_seq: head.seq,
            head_hash: head.hash,
            state: Incident::from_events(&self.events),
            events: self.events.clone(),
        }
    }
}

fn note(text: &str) -> Action {
    Action::Note {
        text: text.into(),
        section: None,
    }
}

/// Events as stored, the third edited in place (its hash no longer matches).
fn tampered() -> Loaded {
    let tl = Timeline::declared()
        .act("alice", 1, note("first"))
        .act("alice", 2, note("second"));
    let mut l = tl.loaded();
    let last = l.events.len() - 1;
    assert!(l.events[last].details.contains("second"));
    l.events[last].details = l.events[last].details.replace("second", "forged");
    l.problems = chain::verify(
        &l.events,
        &Head {
            seq: l.head_seq,
            hash: l.head_hash.clone(),
        },
    );
    l.state = Incident::from_events(&l.events);
    l
}

#[test]
fn show_is_the_documented_document_and_says_simulated() {
    let l = Timeline::declared().loaded();
    let v = show::view(&l, at(10), true).unwrap();
    let j = json(&v);
    assert_eq!(
        keys(&v),
        [
            "schema",
            "incident",
            "deadlines",
            "escalations",
            "checklist",
            "open_items",
            "approvals_needed",
            "phases",
            "gate",
            "outside_roster",
            "deployment_gate",
            "last_update",
            "verified",
            "problems",
            "overdue_actions",
            "notices",
            "simulated"
        ]
    );
    assert_eq!(j["notices"], serde_json::json!([]));
    assert_eq!(j["schema"], show::SCHEMA);
    assert_eq!(j["incident"]["id"], ID);
    assert_eq!(j["incident"]["priority"], "P0");
    assert_eq!(j["verified"], true);
    assert_eq!(j["simulated"], true);
    assert_eq!(j["gate"], "deployment");

    let text = plain(&show::text(&v));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], super::SIMULATED_BANNER);
    assert_eq!(lines[1], format!("{ID} log4shell in checkout"));
    assert!(
        text.contains("  priority   P0 (declared by alice)"),
        "{text}"
    );
    assert!(text.contains("Deadlines"), "{text}");
    assert!(
        text.contains(&format!(
            "timeline: {} events, chain verified, head {}",
            l.events.len(),
            &l.head_hash[..12]
        )),
        "{text}"
    );

    let real = show::view(&l, at(10), false).unwrap();
    assert!(!show::text(&real).contains(super::SIMULATED_BANNER));
    assert_eq!(json(&real)["simulated"], false);
}

#[test]
fn an_overdue_deadline_is_shown_overdue_in_show_and_list() {
    let l = Timeline::declared().loaded();
    // P0 containment is due within 2h of the declaration: 3h later it is overdue.
    let now = at(180);
    let v = show::view(&l, now, false).unwrap();
    let overdue: Vec<&str> = v
        .deadlines
        .iter()
        .filter(|d| d.state == crate::clocks::DeadlineState::Overdue)
        .map(|d| d.clock.as_str())
        .collect();
    assert!(overdue.contains(&"target:containment"), "{overdue:?}");
    let text = show::text(&v);
    let line = text
        .lines()
        .find(|l| l.contains("Containment completed"))
        .expect("the containment deadline");
    assert!(
        plain(line).contains(&format!(
            "due {} (overdue by 1h)",
            super::text::when(at(120))
        )),
        "{line}"
    );
    assert!(line.contains(&paint(
        RED,
        format!("due {} (overdue by 1h)", super::text::when(at(120)))
    )));

    let all = [l];
    let lv = list::view(&all, false, now, false);
    let item = &json(&lv)["incidents"][0];
    assert!(
        item["overdue"]
            .as_array()
            .unwrap()
            .contains(&Value::from("target:containment"))
    );
    assert_eq!(item["next_deadline"]["state"], "overdue");
    let row = plain(&list::text(&lv, "the store"));
    assert!(row.contains(" overdue "), "{row}");
}

#[test]
fn a_tampered_timeline_is_flagged_in_timeline_show_and_list() {
    let l = tampered();
    assert!(!l.problems.is_empty());
    let bad = l.problems[0].seq;

    let v = timeline::view(&l, false);
    let j = json(&v);
    assert_eq!(j["schema"], timeline::SCHEMA);
    assert_eq!(j["verified"], false);
    assert_eq!(j["events"].as_array().unwrap().len(), 4);
    assert_eq!(
        keys(&v.events[0]),
        [
            "seq",
            "at",
            "actor",
            "kind",
            "details",
            "prev_hash",
            "hash",
            "mac",
            "key_id"
        ]
    );
    let text = timeline::text(&v);
    let red = paint(RED, "x");
    let prefix = red.split('x').next().unwrap();
    for line in text.lines().skip(1) {
        let seq: u64 = plain(line)
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(line.starts_with(prefix), seq == bad, "{line:?}");
    }

    let s = show::view(&l, at(3), false).unwrap();
    assert!(!s.verified);
    assert!(!plain(&show::text(&s)).contains("chain verified"));

    let all = [l];
    let lv = list::view(&all, false, at(3), false);
    assert_eq!(json(&lv)["incidents"][0]["verified"], false);
    assert!(list::text(&lv, "x").contains("TIMELINE FAILS VERIFICATION"));
}

#[test]
fn list_marks_actors_outside_the_roster() {
    let l = Timeline::declared()
        .act("mallory", 5, note("I am the commander now"))
        .loaded();
    let s = show::view(&l, at(6), false).unwrap();
    assert_eq!(s.outside_roster, ["mallory"]);
    let all = [l, Timeline::declared().loaded()];
    let lv = list::view(&all, false, at(6), true);
    let j = json(&lv);
    assert_eq!(j["schema"], list::SCHEMA);
    assert_eq!(j["simulated"], true);
    assert_eq!(
        j["incidents"][0]["outside_roster"],
        serde_json::json!(["mallory"])
    );
    assert_eq!(j["incidents"][1]["outside_roster"], serde_json::json!([]));
    let text = plain(&list::text(&lv, "x"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], super::SIMULATED_BANNER);
    assert!(lines[1].starts_with("INCIDENT "), "{text}");
    assert!(lines[2].ends_with("OUTSIDE ROSTER: mallory"), "{text}");
    assert!(!lines[3].contains("OUTSIDE ROSTER"), "{text}");
}

#[test]
fn list_hides_ended_incidents_unless_all_and_names_unreadable_ones() {
    let cancelled = Timeline::declared()
        .act(
            "alice",
            5,
            Action::Cancel {
                reason: "duplicate".into(),
            },
        )
        .loaded();
    let mut unreadable = Timeline::declared().loaded();
    unreadable.id = "INC-2026-11-23-2".into();
    unreadable.state = Err(FoldError {
        incident: unreadable.id.clone(),
        seq: 1,
        message: "unknown event kind".into(),
    });
    let all = [cancelled, unreadable];

    let open = list::view(&all, false, at(6), false);
    assert_eq!(open.incidents.len(), 1);
    assert_eq!(open.incidents[0].id, "INC-2026-11-23-2");
    assert!(open.incidents[0].error.is_some());
    assert!(plain(&list::text(&open, "x")).contains("INC-2026-11-23-2     unreadable: "));

    let every = list::view(&all, true, at(6), false);
    assert_eq!(every.incidents.len(), 2);
    assert!(show::view(&all[1], at(6), false).is_err());

    let none = list::view(&[], false, at(6), false);
    assert_eq!(
        plain(&list::text(&none, "the store")),
        "no open incidents in the store\n"
    );
    let none = list::view(&[], true, at(6), false);
    assert_eq!(
        plain(&list::text(&none, "the store")),
        "no incidents in the store\n"
    );
}

#[test]
fn tick_shows_what_fired_and_what_failed() {
    let tl = Timeline::declared();
    let inc = tl.state();
    let now = at(200);
    let due = crate::clocks::due(&inc, now);
    assert!(!due.is_empty());
    let mut fired = Timeline {
        events: tl.events.clone(),
    };
    fired.push("cverun", now, due);
    let report = TickReport {
        evaluated: 1,
        fired: fired.events[1..]
            .iter()
            .map(|e| Fired {
                incident: ID.into(),
                event: e.clone(),
            })
            .collect(),
        failed: vec![("INC-2026-11-23-2".into(), "it fails verification".into())],
    };
    let v = tick::view(&report, now, true);
    let j = json(&v);
    assert_eq!(
        keys(&v),
        ["schema", "now", "evaluated", "fired", "failed", "simulated"]
    );
    assert_eq!(j["schema"], tick::SCHEMA);
    assert_eq!(j["fired"][0]["incident"], ID);
    assert_eq!(j["fired"][0]["seq"], 2);
    assert!(j["fired"][0]["details"].is_object());
    assert_eq!(j["failed"][0]["incident"], "INC-2026-11-23-2");
    assert_eq!(j["failed"][0]["error"], "it fails verification");
    let text = plain(&tick::text(&v));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], super::SIMULATED_BANNER);
    assert!(lines[1].starts_with(&format!("{ID} #2: ")), "{text}");
    assert!(text.contains("OVERDUE: "), "{text}");
    assert_eq!(
        *lines.last().unwrap(),
        format!(
            "tick at {}: 1 incident evaluated, {} fired",
            super::text::when(now),
            report.fired.len()
        )
    );
}

fn verification(id: &str, problems: Vec<chain::Problem>) -> Verification {
    Verification {
        incident: id.into(),
        events: 3,
        head_seq: 3,
        head_hash: "ab".repeat(32),
        problems,
    }
}

#[test]
fn verify_reports_tampering_and_the_expected_head() {
    let l = tampered();
    let mut incidents = vec![
        verification(ID, l.problems.clone()),
        verification("INC-2026-11-23-2", Vec::new()),
    ];
    let mut log = LogVerification {
        entries: 2,
        head_seq: 2,
        head_hash: "cd".repeat(32),
        problems: Vec::new(),
    };
    let gone = Anchor {
        name: "INC-2026-11-23-9".into(),
        seq: 4,
        hash: "ef".repeat(32),
        mac: "00".repeat(32),
    };
    let problem = chain::Problem {
        kind: chain::ProblemKind::Deleted,
        position: 1,
        seq: 1,
        message: "incident INC-2026-11-23-9 of the expected head no longer exists".into(),
    };
    verify::add_expected(&mut incidents, Some(&mut log), &gone, vec![problem.clone()]);
    assert_eq!(incidents.len(), 3);
    assert_eq!(incidents[2].head_hash, GENESIS);
    assert_eq!(incidents[2].problems, std::slice::from_ref(&problem));
    let store_head = Anchor {
        name: STORE_ANCHOR.into(),
        ..gone.clone()
    };
    verify::add_expected(&mut incidents, Some(&mut log), &store_head, vec![problem]);
    assert_eq!(log.problems.len(), 1);

    let v = verify::view(&incidents, Some(&log), Some(&gone), false);
    assert!(!v.valid);
    let j = json(&v);
    assert_eq!(
        keys(&v),
        [
            "schema",
            "valid",
            "incidents",
            "store",
            "expected",
            "simulated"
        ]
    );
    assert_eq!(j["schema"], verify::SCHEMA);
    assert_eq!(j["expected"]["name"], "INC-2026-11-23-9");
    let text = plain(&verify::text(&v, "x"));
    assert!(
        text.contains(&format!(
            "TAMPERED {ID}: 3 events, {}",
            if l.problems.len() == 1 {
                "1 problem".to_owned()
            } else {
                format!("{} problems", l.problems.len())
            }
        )),
        "{text}"
    );
    assert!(
        text.contains("ok INC-2026-11-23-2: 3 events, chain valid and authenticated"),
        "{text}"
    );
    assert!(
        text.contains("TAMPERED INC-2026-11-23-9: 0 events, 1 problem"),
        "{text}"
    );
    assert!(
        text.contains("TAMPERED store log: 2 incidents numbered, 1 problem"),
        "{text}"
    );
    assert!(!text.contains("reaches the expected head"), "{text}");

    let fine = [verification(ID, Vec::new())];
    let v = verify::view(&fine, None, Some(&gone), true);
    assert!(v.valid);
    let text = plain(&verify::text(&v, "x"));
    assert!(text.starts_with(super::SIMULATED_BANNER), "{text}");
    assert!(
        text.ends_with("ok the chain reaches the expected head INC-2026-11-23-9:4\n"),
        "{text}"
    );
    let empty = verify::view(&[], None, None, false);
    assert!(empty.valid);
    assert_eq!(
        plain(&verify::text(&empty, "the store")),
        "no incidents in the store\n"
    );
}

#[test]
fn head_is_one_line_and_its_parts() {
    let a = Anchor {
        name: ID.into(),
        seq: 7,
        hash: "ab".repeat(32),
        mac: "cd".repeat(32),
    };
    let v = head::view(&a, true);
    let j = json(&v);
    assert_eq!(
        keys(&v),
        ["schema", "head", "name", "seq", "hash", "mac", "simulated"]
    );
    assert_eq!(j["schema"], head::SCHEMA);
    assert_eq!(j["head"], a.to_string());
    assert_eq!(head::text(&v), format!("{a}\n"));
}

#[test]
fn metrics_count_readable_incidents_and_name_the_others() {
    let good = Timeline::declared().loaded();
    let mut bad = Timeline::declared().loaded();
    bad.id = "INC-2026-11-23-2".into();
    bad.state = Err(FoldError {
        incident: bad.id.clone(),
        seq: 0,
        message: "no events".into(),
    });
    let v = metrics::view(&[good, bad], None, at(300), true);
    let j = json(&v);
    assert_eq!(j["schema"], metrics::SCHEMA);
    assert_eq!(j["unreadable"], serde_json::json!(["INC-2026-11-23-2"]));
    assert_eq!(j["incidents"], 1);
    assert_eq!(j["open"], 1);
    assert_eq!(j["overdue"], 1);
    let text = plain(&metrics::text(&v));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], super::SIMULATED_BANNER);
    assert_eq!(lines[1], "Incidents (all): 1");
    assert!(
        text.contains(&format!("  open  1 (1 overdue: {ID})")),
        "{text}"
    );
}

#[test]
fn declared_and_recorded_lines() {
    let tl = Timeline::declared();
    let inc = tl.state();
    let text = plain(&super::declared(&inc, &tl.events, at(30), false));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        format!("declared {ID} P0 GHSA-jfh8-c2jp-5v3q: log4shell in checkout")
    );
    assert!(lines.contains(&"  incident commander: alice"), "{text}");
    assert!(
        lines
            .last()
            .unwrap()
            .ends_with(&format!("due {} (1h30m left)", super::text::when(at(120)))),
        "{text}"
    );

    let tl = tl.act("bob", 5, note("looking"));
    let inc = tl.state();
    let text = plain(&super::recorded(&inc, &tl.events[2..], true));
    assert_eq!(
        text,
        format!(
            "{}\nrecorded {ID} #3: note: looking\n  now CONTAINMENT, P0\n",
            super::SIMULATED_BANNER
        )
    );
}

mod remediation {
    use super::*;
    use crate::remediation::{
        BaseRef, Baseline, FixApplied, FixCommit, FixPlanned, FixTested, Rescan, RescanOutcome,
        ServiceRescan,
    };

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn verify(found: &[&str]) -> Action {
        Action::Verify(Rescan {
            report_sha256: SHA.into(),
            baseline: Baseline::Git {
                reference: "main".into(),
                commit: "e".repeat(40),
            },
            fixed: 4,
            remaining: 1,
            introduced: 0,
            services: vec![
                ServiceRescan {
                    service: "checkout".into(),
                    outcome: RescanOutcome::Scanned {
                        ids: found.iter().map(|s| s.to_string()).collect(),
                    },
                },
                ServiceRescan {
                    service: "search".into(),
                    outcome: RescanOutcome::NotScanned {
                        reason: "no lockfile".into(),
                    },
                },
            ],
        })
    }

    /// log4shell in checkout: planned, applied, tested, verified twice (the
    /// second time clean, which checks validation/rescan-clean ahead).
    fn worked() -> Timeline {
        Timeline::declared()
            .act(
                "carol",
                5,
                Action::FixPlanned(FixPlanned {
                    plan_sha256: SHA.into(),
                    changes: 2,
                    breaking: 0,
                    incomplete: 0,
                    unfixable: 0,
                    services: vec!["checkout".into()],
                    proposed: None,
                    summary: "log4j-core 2.14.1 -> 2.17.1".into(),
                }),
            )
            .act(
                "carol",
                10,
                Action::FixApplied(FixApplied {
                    repository: "../shop".into(),
                    branch: "hotfix/INC-2026-11-23-1".into(),
                    base: BaseRef {
                        reference: "main".into(),
                        commit: "e".repeat(40),
                    },
                    commits: vec![FixCommit {
                        service: "checkout".into(),
                        commit: "f".repeat(40),
                    }],
                    pushed: None,
                    changes: 2,
                }),
            )
            .act(
                "carol",
                15,
                Action::FixTested(FixTested {
                    service: "checkout".into(),
                    command: "mvn -q test".into(),
                    exit_status: Some(0),
                    duration_ms: 61_250,
                    passed: true,
                    kept: true,
                }),
            )
            .act("ci", 20, verify(&["CVE-2021-44228", "CVE-2020-9488"]))
            .act("ci", 25, verify(&["CVE-2020-9488"]))
    }

    #[test]
    fn each_step_is_a_line_of_the_timeline_and_its_details_in_json() {
        let l = worked().loaded();
        assert!(l.problems.is_empty(), "the chain covers the new events");
        let v = timeline::view(&l, false);
        let j = json(&v);
        let events = j["events"].as_array().unwrap();
        let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
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
        assert_eq!(events[2]["details"]["proposed"], "hotfix");
        assert_eq!(events[2]["details"]["plan_sha256"], SHA);
        assert_eq!(events[3]["details"]["base"]["commit"], "e".repeat(40));
        assert_eq!(events[3]["details"]["pushed"], Value::Null);
        assert_eq!(events[4]["details"]["exit_status"], 0);
        assert_eq!(events[4]["details"]["kept"], true);
        // Only the incident's own affected service is judged; the alias found is
        // the advisory.
        assert_eq!(
            events[5]["details"]["services"],
            serde_json::json!([
                { "service": "checkout", "status": "found", "ids": ["CVE-2021-44228"] }
            ])
        );
        assert_eq!(events[5]["details"]["clean"], false);
        assert_eq!(events[6]["details"]["clean"], true);
        assert_eq!(events[6]["details"]["baseline"]["type"], "git");
        assert_eq!(events[7]["details"]["by"], "verify");
        assert_eq!(events[7]["details"]["ahead"], crate::rules::VERIFIED_AHEAD);

        let text = plain(&timeline::text(&v));
        let described: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| {
                // The event's description follows the 12-character hash column.
                let e = v.events.iter().find(|e| l.contains(&e.hash[..12])).unwrap();
                l.split_once(&e.hash[..12]).unwrap().1.trim_start()
            })
            .collect();
        assert_eq!(
            described[2..],
            [
                "fix planned: log4j-core 2.14.1 -> 2.17.1 (2 changes in checkout), proposes hotfix; plan sha256 9f86d081884c",
                "fix applied on hotfix/INC-2026-11-23-1 of ../shop from main at eeeeeeeeeeee: 2 changes, 1 commit (checkout ffffffffffff), not pushed",
                "tests of checkout PASSED (mvn -q test, exit 0, 1m01s), change kept",
                "verified against git main at eeeeeeeeeeee: 4 fixed, 1 remaining, 0 introduced; FOUND in checkout (CVE-2021-44228): NOT CLEAN; report sha256 9f86d081884c",
                "verified against git main at eeeeeeeeeeee: 4 fixed, 1 remaining, 0 introduced; advisory gone from checkout: CLEAN; report sha256 9f86d081884c",
                "checked validation/rescan-clean AHEAD of its phase by cverun verify: Re-scan clean",
            ]
        );
    }

    #[test]
    fn show_has_the_steps_and_the_item_checked_by_verify() {
        let l = worked().loaded();
        let v = show::view(&l, at(30), false).unwrap();
        let j = json(&v);
        let r = &j["incident"]["remediation"];
        let fields: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(fields, ["applied", "planned", "tested", "verified"]);
        assert_eq!(r["planned"][0]["seq"], 3);
        assert_eq!(r["planned"][0]["by"], "carol");
        assert_eq!(r["planned"][0]["proposed"], "hotfix");
        assert_eq!(r["applied"][0]["branch"], "hotfix/INC-2026-11-23-1");
        assert_eq!(r["tested"][0]["duration_ms"], 61_250);
        assert_eq!(r["verified"].as_array().unwrap().len(), 2);
        assert_eq!(r["verified"][1]["clean"], true);
        assert_eq!(r["verified"][1]["seq"], 7);
        let checked = &j["incident"]["checked"]["rescan-clean"];
        assert_eq!(checked["command"], "verify");
        assert_eq!(checked["evidence"], 7);
        assert_eq!(checked["by"], "ci");
        let item = j["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "rescan-clean")
            .unwrap();
        assert_eq!(item["command"], "verify");
        assert_eq!(item["evidence"], 7);
        assert_eq!(item["forced"], Value::Null);
        let other = j["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == "tests-pass")
            .unwrap();
        assert_eq!(other["command"], Value::Null);

        let text = plain(&show::text(&v));
        let section: Vec<&str> = text
            .lines()
            .skip_while(|l| *l != "Remediation")
            .take(7)
            .collect();
        assert_eq!(section.len(), 7, "{text}");
        assert!(
            section[1].starts_with("  #3 fix planned: log4j-core 2.14.1 -> 2.17.1")
                && section[1].ends_with(&format!("(carol, {})", super::super::text::when(at(5)))),
            "{text}"
        );
        assert!(
            section[4].starts_with("  #6 verified against git main"),
            "{text}"
        );
        assert!(section[5].contains("CLEAN; report sha256"), "{text}");
        assert_eq!(section[6], "  latest verification: clean");
    }

    #[test]
    fn the_checklist_says_which_items_a_command_checks() {
        // In VALIDATION, with rescan-clean open: the line names the command.
        let tl = Timeline::declared().act(
            "alice",
            5,
            Action::Advance {
                to: Some(crate::model::Phase::Validation),
                force: true,
                reason: Some("drill".into()),
            },
        );
        let text = plain(&show::text(
            &show::view(&tl.loaded(), at(6), false).unwrap(),
        ));
        assert!(
            text.contains(&format!(
                "  [ ] rescan-clean             Re-scan clean (checked by cverun verify --incident {ID})"
            )),
            "{text}"
        );
        // Checked by a clean verification: the line names it and its event.
        let verified = Timeline {
            events: tl.events.clone(),
        }
        .act("ci", 6, verify(&[]));
        let l = verified.loaded();
        let text = plain(&show::text(&show::view(&l, at(7), false).unwrap()));
        assert!(
            text.contains(&format!(
                "  [x] rescan-clean             Re-scan clean (ci, {}; by cverun verify #4)",
                super::super::text::when(at(6))
            )),
            "{text}"
        );
        // Forced by hand: the reason is shown.
        let tl = tl.act(
            "bob",
            7,
            Action::CheckAhead {
                item: "rescan-clean".into(),
                reason: "vendor scanner".into(),
            },
        );
        let l = tl.loaded();
        let v = show::view(&l, at(8), false).unwrap();
        let text = plain(&show::text(&v));
        assert!(
            text.contains(&format!(
                "  [x] rescan-clean             Re-scan clean (bob, {}; FORCED by hand: vendor scanner)",
                super::super::text::when(at(7))
            )),
            "{text}"
        );
        let line = plain(&crate::view::describe(tl.events.last().unwrap()));
        assert_eq!(
            line,
            "checked validation/rescan-clean: Re-scan clean FORCED by hand (reason: vendor scanner)"
        );
        // The built-in checklist: four containment and three remediation items,
        // then rescan-clean.
        assert_eq!(json(&v)["checklist"][7]["id"], "rescan-clean");
        assert_eq!(json(&v)["checklist"][7]["forced"], "vendor scanner");
    }
}
