//! `cverun incident ...` and `cverun report metrics` through the real binary, each
//! test run against the SQLite store and against the PostgreSQL server named by
//! `CVERUN_TEST_POSTGRES_URL` (in a schema created for the test and dropped after).
//! The clock is simulated with `CVERUN_NOW`.

mod common;

use std::collections::BTreeMap;
use std::process::Stdio;

use common::Run;
use common::store_env::{Backend, Env, both_backends};
use serde_json::Value;

/// 2026-11-23T12:00Z plus `m` minutes.
fn at(m: i64) -> String {
    let t: jiff::Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
    t.checked_add(jiff::SignedDuration::from_mins(m))
        .unwrap()
        .to_string()
}

/// Ticks three times in a row, then from four processes at once.
fn tick_hard(env: &Env, now: &str) {
    for _ in 0..3 {
        env.ok(now, "cron", &["incident", "tick"]);
    }
    for r in env.parallel(4, now, &["incident", "tick"]) {
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    }
}

fn clocks(env: &Env, id: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for e in env.events(id) {
        if let Some(c) = e["details"]["clock"].as_str() {
            *out.entry(c.to_owned()).or_insert(0) += 1;
        }
    }
    out
}

fn check_all(env: &Env, id: &str, items: &[&str], now: &str) {
    for item in items {
        env.ok(now, "bob", &["incident", "check", id, item]);
    }
}

const ID: &str = "INC-2026-11-23-1";

/// The team's roster: who may hold which role (approvals, assignments and
/// gate-changing actions need a person of it).
const TEAM: &str = r#"
[[person]]
handle = "alice"
name = "Alice Martin"
aliases = ["alice@example.com"]
roles = ["commander", "security-lead"]
contact = { email = "alice@example.com", slack = "@alice" }

[[person]]
handle = "bob"
roles = ["commander", "devops", "communications-lead"]

[[person]]
handle = "carol"
aliases = ["Carol.Lee@example.com"]
roles = ["commander", "technical-lead"]

[[person]]
handle = "dave"
roles = ["security-lead"]
"#;

/// Writes the state directory's runbook.toml: `extra` and the roster.
fn with_team(env: &Env, extra: &str) {
    std::fs::create_dir_all(env.state()).unwrap();
    std::fs::write(env.state().join("runbook.toml"), format!("{extra}\n{TEAM}")).unwrap();
}

fn examples() -> String {
    common::repo()
        .join("examples/advisories")
        .to_string_lossy()
        .into_owned()
}

/// `--priority auto` (the default): the advisory's priority under the triage policy
/// from the example advisories: Log4Shell (CVSS 10.0, in the example KEV excerpt) is
/// P0 with the rule and its inputs recorded; CVE-2020-28493 (5.3, no exploit) is
/// routine and refused, as is an advisory the database does not know.
fn auto_priority_from_triage(env: &Env) {
    let adv = examples();
    let r = env.ok(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "cve-2021-44228",
            "--advisories",
            &adv,
        ],
    );
    assert!(
        r.stdout.contains("declared INC-2026-11-23-1 P0"),
        "{}",
        r.stdout
    );
    let v = env.json(
        &at(1),
        &["incident", "show", "INC-2026-11-23-1", "--format", "json"],
    );
    let inc = &v["incident"];
    assert_eq!(inc["priority"], "P0", "{v}");
    assert_eq!(
        inc["title"],
        "Log4Shell: remote code execution through JNDI lookups in log4j-core"
    );
    let why = v.to_string();
    assert!(
        why.contains("rule exploited-critical") && why.contains("CISA KEV"),
        "{why}"
    );
    let e = env.refused(
        &at(2),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2020-28493",
            "--advisories",
            &adv,
        ],
    );
    assert!(e.contains("triage says routine"), "{e}");
    let list = env.json(&at(3), &["incident", "list", "--all", "--format", "json"]);
    assert_eq!(list["incidents"].as_array().unwrap().len(), 1);
}

fn a_p0_from_declaration_to_resolution(env: &Env) {
    with_team(env, "");
    let r = env.ok(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "GHSA-jfh8-c2jp-5v3q",
            "--priority",
            "P0",
            "--commander",
            "alice",
            "--title",
            "log4shell",
            "--published",
            "2026-11-22T12:00:00Z",
        ],
    );
    assert!(
        r.stdout.contains("declared INC-2026-11-23-1 P0"),
        "{}",
        r.stdout
    );
    tick_hard(env, &at(10));
    assert!(clocks(env, ID).is_empty());

    check_all(
        env,
        ID,
        &["blast-radius", "code-path", "isolation", "code-freeze"],
        &at(20),
    );
    tick_hard(env, &at(31));
    assert_eq!(clocks(env, ID).keys().collect::<Vec<_>>(), vec!["update:0"]);
    env.ok(
        &at(40),
        "alice",
        &[
            "incident",
            "update",
            ID,
            "contained, patching",
            "--eta",
            "6h",
        ],
    );
    env.ok(&at(45), "alice", &["incident", "advance", ID]);
    env.ok(
        &at(50),
        "alice",
        &["incident", "assign", ID, "technical-lead", "carol"],
    );
    env.ok(
        &at(51),
        "alice",
        &["incident", "assign", ID, "security-lead", "dave"],
    );
    env.ok(
        &at(55),
        "carol",
        &[
            "incident",
            "decide",
            ID,
            "hotfix",
            "--rationale",
            "2.17.1 is out",
        ],
    );
    check_all(
        env,
        ID,
        &["fix-identified", "patch-prepared", "fix-reviewed"],
        &at(80),
    );
    env.ok(&at(90), "alice", &["incident", "advance", ID]);
    tick_hard(env, &at(121));
    // Every missed update interval fires: due 70 and 100 after the update at 40.
    assert_eq!(
        clocks(env, ID).keys().collect::<Vec<_>>(),
        vec!["escalation:P0:2h", "update:0", "update:1", "update:1:2"]
    );
    check_all(
        env,
        ID,
        &[
            "tests-pass",
            "staging-healthy",
            "rollback-plan",
            "monitoring-ready",
        ],
        &at(130),
    );
    // rescan-clean is checked by `cverun verify --incident`; by hand only forced.
    env.ok(
        &at(130),
        "bob",
        &[
            "incident",
            "check",
            ID,
            "rescan-clean",
            "--force",
            "--reason",
            "re-scanned by the vendor scanner",
        ],
    );

    // The deployment gate.
    let e = env.refused(&at(135), "alice", &["incident", "advance", ID]);
    assert!(
        e.contains("cannot enter DEPLOYMENT") && e.contains("missing: technical, security"),
        "{e}"
    );
    let e = env.refused(
        &at(136),
        "alice",
        &["incident", "approve", ID, "--as", "technical"],
    );
    assert!(
        e.contains("declarer's own approval does not count for P0"),
        "{e}"
    );
    // Another spelling of the declarer is the same person.
    for alias in ["ALICE", "Alice@Example.com"] {
        let e = env.refused(
            &at(136),
            alias,
            &["incident", "approve", ID, "--as", "security"],
        );
        assert!(e.contains("declarer's own approval"), "{alias}: {e}");
    }
    // Someone without the role, and someone outside the roster.
    let e = env.refused(
        &at(136),
        "bob",
        &["incident", "approve", ID, "--as", "security"],
    );
    assert!(e.contains("bob may not give the security approval"), "{e}");
    let e = env.refused(
        &at(136),
        "mallory",
        &["incident", "approve", ID, "--as", "security"],
    );
    assert!(e.contains("\"mallory\" is not in the roster"), "{e}");
    env.ok(
        &at(137),
        "carol",
        &["incident", "approve", ID, "--as", "technical"],
    );
    let e = env.refused(
        &at(138),
        "carol",
        &["incident", "approve", ID, "--as", "security"],
    );
    assert!(e.contains("cannot approve twice"), "{e}");
    let e = env.refused(
        &at(139),
        "alice",
        &["incident", "advance", ID, "--force", "--reason", "hurry"],
    );
    assert!(e.contains("missing: security"), "{e}");
    env.ok(
        &at(140),
        "dave",
        &["incident", "approve", ID, "--as", "security"],
    );
    let show = env.json(&at(141), &["incident", "show", ID, "--format", "json"]);
    assert_eq!(show["deployment_gate"]["open"], true);
    env.ok(&at(142), "alice", &["incident", "advance", ID]);

    env.ok(&at(150), "alice", &["incident", "update", ID, "deploying"]);
    check_all(
        env,
        ID,
        &["canary-deployed", "production-deployed"],
        &at(200),
    );
    // Leaving a phase with an item open needs --force and a reason; both recorded.
    let e = env.refused(&at(205), "alice", &["incident", "advance", ID]);
    assert!(e.contains("deployment/post-deploy-monitoring"), "{e}");
    env.ok(
        &at(206),
        "alice",
        &[
            "incident",
            "advance",
            ID,
            "--force",
            "--reason",
            "dashboards are down",
        ],
    );
    tick_hard(env, &at(400));
    check_all(
        env,
        ID,
        &["timeline-reviewed", "root-cause", "actions-assigned"],
        &at(600),
    );
    let r = env.ok(&at(610), "alice", &["incident", "advance", ID]);
    assert!(r.stdout.contains("POST-MORTEM -> RESOLVED"), "{}", r.stdout);
    tick_hard(env, &at(3000));

    let c = clocks(env, ID);
    assert!(
        c.values().all(|n| *n == 1),
        "each clock fired exactly once: {c:?}"
    );
    // After the update at 150: misses at 180, 210, ... up to the tick at 400
    // (eight), escalated after three; nothing after the resolution.
    let mut expected: Vec<String> = [
        "escalation:P0:2h",
        "missed-updates:2",
        "update:0",
        "update:1",
        "update:1:2",
        "update:2",
    ]
    .map(String::from)
    .to_vec();
    expected.extend((2..=8).map(|k| format!("update:2:{k}")));
    expected.sort();
    assert_eq!(c.keys().cloned().collect::<Vec<_>>(), expected);
    let events = env.events(ID);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
    }
    let forced = events
        .iter()
        .find(|e| e["details"]["forced"].is_object())
        .expect("the forced advance is recorded");
    assert_eq!(forced["details"]["forced"]["reason"], "dashboards are down");
    assert_eq!(
        forced["details"]["forced"]["open"][0],
        "deployment/post-deploy-monitoring"
    );

    let show = env.json(&at(3000), &["incident", "show", ID, "--format", "json"]);
    assert_eq!(show["schema"], "cverun.incident/1");
    assert_eq!(show["incident"]["phase"], "resolved");
    assert_eq!(show["verified"], true);
    let v = env.ok(&at(3000), "auditor", &["incident", "verify", ID]);
    assert!(
        v.stdout
            .contains(&format!("ok {ID}: {} events, chain valid", events.len())),
        "{}",
        v.stdout
    );

    // Tamper with the database directly: verify names the event.
    let approval = events
        .iter()
        .find(|e| e["kind"] == "approved" && e["actor"] == "dave")
        .unwrap()["seq"]
        .as_u64()
        .unwrap();
    env.tamper(&format!(
        "UPDATE events SET actor = 'mallory' WHERE incident_id = '{ID}' AND seq = {approval}"
    ));
    let r = env.run(&at(3000), "auditor", &["incident", "verify", ID]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("TAMPERED"), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!(
            "event at position {approval}, seq {approval} (approved by mallory"
        )),
        "{}",
        r.stdout
    );
    let j = env.json_code(&at(3000), &["incident", "verify", "--format", "json"], 1);
    assert_eq!(j["valid"], false);
    assert_eq!(j["incidents"][0]["problems"][0]["kind"], "edited");
    assert_eq!(j["incidents"][0]["problems"][0]["position"], approval);
    let show = env.run(&at(3000), "viewer", &["incident", "show", ID]);
    assert!(
        show.stderr.contains("fails verification"),
        "{}",
        show.stderr
    );
}

fn parallel_processes_lose_nothing(env: &Env) {
    // Declarers racing for ids (and, on a new SQLite file, for creating the store).
    let rs = env.parallel(
        4,
        &at(0),
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-1",
            "--priority",
            "P1",
            "--allow-duplicate",
            "drill: four declarers at once",
            "--format",
            "json",
        ],
    );
    let mut ids: Vec<String> = rs
        .iter()
        .map(|r| {
            assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
            let v: Value = serde_json::from_str(&r.stdout).unwrap();
            v["incident"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        (1..=4)
            .map(|n| format!("INC-2026-11-23-{n}"))
            .collect::<Vec<_>>()
    );
    // Responders writing to one incident at once, with ticks racing them, all at
    // one simulated time (a timeline only moves forward: a writer at an earlier
    // simulated time than the tick would be refused).
    let mut children = Vec::new();
    for round in 0..3 {
        for w in 0..6 {
            let mut c = env.cmd(
                &at(24 * 60),
                &format!("writer{w}"),
                &[
                    "incident",
                    "update",
                    ID,
                    &format!("round {round} from writer {w}"),
                ],
            );
            children.push(
                c.stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap(),
            );
        }
        let mut t = env.cmd(&at(24 * 60), "cron", &["incident", "tick"]);
        children.push(
            t.stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let events = env.events(ID);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1, "seqs are contiguous");
    }
    for round in 0..3 {
        for w in 0..6 {
            let m = format!("round {round} from writer {w}");
            assert!(
                events.iter().any(|e| e["details"]["message"] == m.as_str()),
                "{m} was lost"
            );
        }
    }
    let c = clocks(env, ID);
    assert!(c.values().all(|n| *n == 1), "{c:?}");
    let v = env.json(&at(24 * 60), &["incident", "verify", "--format", "json"]);
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["incidents"].as_array().unwrap().len(), 4);
}

fn bad_input_is_refused_and_writes_nothing(env: &Env) {
    let e = env.refused(
        &at(0),
        "alice",
        &["incident", "advance", "INC-2026-01-01-7"],
    );
    assert!(e.contains("no incident INC-2026-01-01-7"), "{e}");
    let e = env.refused(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-2",
            "--advisories",
            &examples(),
        ],
    );
    assert!(
        e.contains("does not know CVE-2026-2") && e.contains("--priority"),
        "{e}"
    );
    let e = env.refused(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-2",
            "--priority",
            "P4",
        ],
    );
    assert!(e.contains("unknown priority \"P4\""), "{e}");
    let e = env.refused(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-2",
            "--priority",
            "P1",
            "--published",
            "yesterday",
        ],
    );
    assert!(e.contains("--published \"yesterday\" is not a time"), "{e}");
    if matches!(env.backend, Backend::Sqlite) {
        assert!(
            !env.state().exists(),
            "refusals before any incident create no state"
        );
    }
    with_team(env, "");

    env.ok(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-2",
            "--priority",
            "P1",
        ],
    );
    let before = env.events(ID).len();
    let refusals: &[(&[&str], &str)] = &[
        (
            &["incident", "reopen", ID, "--reason", "x"],
            "only a resolved or cancelled",
        ),
        (
            &["incident", "advance", ID, "--to", "resolved", "--force"],
            "--force needs --reason",
        ),
        (
            &["incident", "advance", ID, "--to", "cancelled"],
            "incident cancel",
        ),
        (
            &["incident", "advance", ID, "--to", "sideways"],
            "has no phase SIDEWAYS; its phases: CONTAINMENT, REMEDIATION",
        ),
        (&["incident", "advance", ID], "containment/blast-radius"),
        (
            &["incident", "assign", ID, "boss", "eve"],
            "unknown role \"boss\"",
        ),
        (
            &["incident", "assign", ID, "technical-lead", "eve"],
            "\"eve\" is not in the roster",
        ),
        (
            &["incident", "assign", ID, "security", "carol"],
            "carol may not hold the security lead role",
        ),
        (
            &["incident", "check", ID, "nope"],
            "no checklist item \"nope\"",
        ),
        (
            &["incident", "decide", ID, "pray", "--rationale", "x"],
            "unknown decision",
        ),
        (
            &["incident", "impact", ID, "meteor"],
            "unknown impact \"meteor\"",
        ),
        (
            &["incident", "notify", ID, "gdpr"],
            "no \"became aware\" time",
        ),
        (
            &["incident", "update", ID, "x", "--eta", "soon"],
            "--eta \"soon\"",
        ),
        (
            &["incident", "aware", ID, "--at", "2030-01-01T00:00:00Z"],
            "in the future",
        ),
        (
            &["incident", "priority", ID, "P1", "--reason", "x"],
            "already P1",
        ),
    ];
    for (args, needle) in refusals {
        let e = env.refused(&at(5), "bob", args);
        assert!(e.contains(needle), "{args:?}: {e}");
    }
    env.ok(
        &at(6),
        "bob",
        &[
            "incident",
            "cancel",
            ID,
            "--reason",
            "duplicate of INC-2026-11-22-3",
        ],
    );
    let e = env.refused(&at(7), "bob", &["incident", "advance", ID]);
    assert!(e.contains("is CANCELLED; reopen it first"), "{e}");
    assert_eq!(
        env.events(ID).len(),
        before + 1,
        "only the cancellation was recorded"
    );

    // A malformed runbook names its file and line; nothing is declared.
    std::fs::create_dir_all(env.state()).unwrap();
    std::fs::write(
        env.state().join("runbook.toml"),
        "[priority.P0]\nresponse = \"2h\"\nupdate-every = \"half an hour\"\n",
    )
    .unwrap();
    let e = env.refused(
        &at(8),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-3",
            "--priority",
            "P0",
        ],
    );
    assert!(
        e.contains("runbook.toml:3: invalid length of time \"half an hour\""),
        "{e}"
    );
    let missing = env.dir.path().join("missing.toml");
    let e = env.refused(
        &at(8),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-3",
            "--priority",
            "P0",
            "--runbook",
            missing.to_str().unwrap(),
        ],
    );
    assert!(e.contains("cannot read the runbook"), "{e}");
    let list = env.json(&at(9), &["incident", "list", "--all", "--format", "json"]);
    assert_eq!(list["incidents"].as_array().unwrap().len(), 1);

    // Unreachable and unsupported databases.
    let mut c = env.cmd(
        &at(9),
        "alice",
        &[
            "incident",
            "list",
            "--database",
            "postgres://root@127.0.0.1:1/nothing",
        ],
    );
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("cannot connect to the incident store postgres://root@127.0.0.1:1/nothing"),
        "{e}"
    );
    let mut c = env.cmd(
        &at(9),
        "alice",
        &["incident", "list", "--database", "mysql://u:secret@db/x"],
    );
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains("unsupported --database URL") && !e.contains("secret"),
        "{e}"
    );
}

fn show_list_and_clocks_in_json(env: &Env) {
    with_team(env, "");
    env.ok(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "GHSA-1",
            "--priority",
            "P2",
        ],
    );
    let list = env.json(&at(60), &["incident", "list", "--format", "json"]);
    assert_eq!(list["schema"], "cverun.incident-list/1");
    let item = &list["incidents"][0];
    assert_eq!(item["id"], ID);
    assert_eq!(item["phase"], "containment");
    assert_eq!(item["commander"], Value::Null);
    assert_eq!(item["open_items"].as_array().unwrap().len(), 4);
    // The next deadline of a P2 without commander: the status update, 4h after
    // the declaration (3h left at 1h).
    assert_eq!(item["next_deadline"]["clock"], "update:0");
    assert_eq!(item["next_deadline"]["seconds_left"], 3 * 3600);

    env.ok(
        &at(61),
        "alice",
        &["incident", "impact", ID, "customer-data"],
    );
    env.ok(
        &at(62),
        "alice",
        &["incident", "aware", ID, "--at", "1h ago"],
    );
    env.ok(
        &at(63),
        "alice",
        &["incident", "update", ID, "lawyers engaged"],
    );
    env.ok(
        &at(64),
        "alice",
        &["incident", "assign", ID, "commander", "bob"],
    );
    env.ok(
        &at(65),
        "bob",
        &["incident", "assign", ID, "commander", "carol"],
    );
    env.ok(
        &at(66),
        "bob",
        &["incident", "impact", ID, "active-exploitation"],
    );
    let show = env.json(&at(70), &["incident", "show", ID, "--format", "json"]);
    let inc = &show["incident"];
    assert_eq!(
        inc["priority"], "P0",
        "active exploitation raises the priority"
    );
    assert!(
        inc["priority_history"][1]["explanation"]
            .as_str()
            .unwrap()
            .contains("Active exploitation"),
        "{inc}"
    );
    assert_eq!(inc["roles"]["commander"][0]["name"], "bob");
    assert_eq!(inc["roles"]["commander"][1]["name"], "carol");
    assert_eq!(
        inc["escalations"][0]["to"],
        serde_json::json!(["executive", "legal"])
    );
    assert_eq!(show["last_update"]["message"], "lawyers engaged");
    assert_eq!(
        show["approvals_needed"],
        serde_json::json!(["technical", "security"])
    );
    let deadlines: BTreeMap<String, Value> = show["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["clock"].as_str().unwrap().to_owned(), d.clone()))
        .collect();
    assert_eq!(deadlines["regulatory:gdpr"]["due"], "2026-11-26T12:02:00Z");
    assert_eq!(
        deadlines["regulatory:nis2-early-warning"]["due"],
        "2026-11-24T12:02:00Z"
    );
    assert_eq!(
        deadlines["response"]["state"], "met",
        "commander assigned within 2h"
    );
    assert_eq!(deadlines["response"]["at"], at(64));
    assert_eq!(deadlines["target:containment"]["state"], "pending");
    let r = env.ok(&at(70), "viewer", &["incident", "show", ID]);
    assert!(
        r.stdout.contains("Deadlines") && r.stdout.contains("GDPR notification"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("chain verified"), "{}", r.stdout);

    // tick: exit 0 whether or not something fired, the fired events in JSON.
    let t = env.json(&at(125), &["incident", "tick", "--format", "json"]);
    assert_eq!(t["schema"], "cverun.tick/1");
    let fired: Vec<&str> = t["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["details"]["clock"].as_str().unwrap())
        .collect();
    // The update posted at 1h03 was due again 30 minutes later (P0 cadence),
    // and missed again 30 minutes after that.
    assert_eq!(
        fired,
        vec![
            "target:containment",
            "update:1",
            "update:1:2",
            "escalation:P0:2h"
        ]
    );
    let t = env.json(&at(125), &["incident", "tick", "--format", "json"]);
    assert_eq!(t["fired"].as_array().unwrap().len(), 0);
    let tl = env.json(&at(125), &["incident", "timeline", ID, "--format", "json"]);
    assert_eq!(tl["schema"], "cverun.timeline/1");
    assert_eq!(tl["verified"], true);
    assert_eq!(tl["events"][0]["prev_hash"], "0".repeat(64));
    assert_eq!(tl["events"][1]["prev_hash"], tl["events"][0]["hash"]);
}

fn metrics_from_stored_events(env: &Env) {
    with_team(env, "");
    let declare = |now: &str, p: &str, published: Option<&str>| {
        let mut args = vec![
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-9",
            "--priority",
            p,
            "--commander",
            "alice",
            "--allow-duplicate",
            "metrics drill",
        ];
        if let Some(pb) = published {
            args.extend(["--published", pb]);
        }
        env.ok(now, "alice", &args);
    };
    declare("2026-11-01T00:00:00Z", "P2", Some("2026-10-31T00:00:00Z"));
    declare("2026-11-02T00:00:00Z", "P2", None);
    declare("2026-11-03T00:00:00Z", "P1", Some("2026-11-02T12:00:00Z"));
    let resolve = |id: &str, now: &str| {
        env.ok(
            now,
            "bob",
            &[
                "incident",
                "advance",
                id,
                "--to",
                "resolved",
                "--force",
                "--reason",
                "fixed upstream",
            ],
        );
    };
    resolve("INC-2026-11-01-1", "2026-11-01T10:00:00Z");
    resolve("INC-2026-11-02-1", "2026-11-09T00:00:00Z");
    let m = env.json(
        "2026-11-04T00:00:00Z",
        &["report", "metrics", "--format", "json"],
    );
    assert_eq!(m["schema"], "cverun.metrics/1");
    assert_eq!(m["incidents"], 3);
    assert_eq!(m["mttd"]["mean_seconds"], 18 * 3600);
    assert_eq!(m["mttd"]["excluded"], 1);
    assert_eq!(m["mttr"]["mean_seconds"], (10 + 7 * 24) * 3600 / 2);
    assert_eq!(m["sla"][2]["priority"], "P2");
    assert_eq!(m["sla"][2]["resolved"], 2);
    assert_eq!(m["sla"][2]["met"], 1);
    assert_eq!(m["sla"][2]["adherence"], 0.5);
    assert_eq!(m["open"], 1);
    // The P1's containment target (8h) passed.
    assert_eq!(m["overdue"], 1);
    assert_eq!(m["overdue_incidents"][0], "INC-2026-11-03-1");
    let m = env.json(
        "2026-11-04T00:00:00Z",
        &[
            "report",
            "metrics",
            "--since",
            "2026-11-02",
            "--format",
            "json",
        ],
    );
    assert_eq!(m["incidents"], 2);
    let t = env.ok("2026-11-04T00:00:00Z", "viewer", &["report", "metrics"]);
    assert!(t.stdout.contains("MTTD  mean 18h"), "{}", t.stdout);
    assert!(
        t.stdout.contains("P2  50% (1 of 2 resolved)"),
        "{}",
        t.stdout
    );
}

fn a_team_runbook_overrides_the_defaults(env: &Env) {
    with_team(
        env,
        r#"
[checklist]
containment = [{ id = "paged", text = "Owners paged" }]

[priority.P1]
approvals = []
update-every = "15m"
"#,
    );
    let r = env.ok(&at(0), "viewer", &["incident", "runbook"]);
    assert!(
        r.stdout
            .contains("{ id = \"paged\", text = \"Owners paged\" }"),
        "{}",
        r.stdout
    );
    env.ok(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-4",
            "--priority",
            "P1",
        ],
    );
    // The incident keeps the runbook it was declared under.
    std::fs::remove_file(env.state().join("runbook.toml")).unwrap();
    let show = env.json(&at(1), &["incident", "show", ID, "--format", "json"]);
    assert_eq!(show["open_items"], serde_json::json!(["containment/paged"]));
    assert_eq!(show["approvals_needed"], serde_json::json!([]));
    let next = show["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["clock"] == "update:0")
        .unwrap()
        .clone();
    assert_eq!(next["due"], at(15));
    env.ok(&at(2), "bob", &["incident", "check", ID, "paged"]);
    env.ok(
        &at(3),
        "bob",
        &[
            "incident",
            "advance",
            ID,
            "--to",
            "deployment",
            "--force",
            "--reason",
            "drill",
        ],
    );
    let show = env.json(&at(4), &["incident", "show", ID, "--format", "json"]);
    assert_eq!(show["incident"]["phase"], "deployment");
}

const SIMULATED: &str = "SIMULATED store";

fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

/// Without CVERUN_NOW the store is real: times come from the clock (the system's,
/// or the PostgreSQL server's), CVERUN_NOW is refused on it, nothing says
/// simulated, and the files are private.
fn backdating_a_real_store_is_refused(env: &Env) {
    let r = env.run_env(
        None,
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-5",
            "--priority",
            "P1",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["simulated"], false);
    let id = v["incident"]["id"].as_str().unwrap().to_owned();
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    assert!(id.starts_with(&format!("INC-{today}-")), "{id}");
    // The reproduction of the issue: an update years before the declaration.
    let r = env.run_env(
        Some("2020-01-01T00:00:00Z"),
        "mallory",
        &["incident", "update", &id, "all fine since 2020"],
        &[],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("CVERUN_NOW is set, but") && r.stderr.contains("real incident store"),
        "{}",
        r.stderr
    );
    let r = env.run_env(None, "bob", &["incident", "update", &id, "patching"], &[]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains(SIMULATED), "{}", r.stdout);
    let r = env.run_env(
        None,
        "viewer",
        &["incident", "timeline", &id, "--format", "json"],
        &[],
    );
    let t: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(t["simulated"], false);
    let events = t["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e["actor"] != "mallory"));
    let times: Vec<jiff::Timestamp> = events
        .iter()
        .map(|e| e["at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(times[0] <= times[1], "{times:?}");
    let age = jiff::Timestamp::now().duration_since(times[0]);
    assert!(
        age.as_secs().abs() < 120,
        "stamped now, not by the caller: {times:?}"
    );
    for args in [
        &["incident", "show", id.as_str()][..],
        &["incident", "list"],
        &["incident", "verify"],
        &["report", "metrics"],
    ] {
        let r = env.run_env(None, "viewer", args, &[]);
        assert_eq!(r.code, 0, "{args:?}{}{}", r.stdout, r.stderr);
        assert!(!r.stdout.contains(SIMULATED), "{args:?}: {}", r.stdout);
    }
    let r = env.run_env(None, "viewer", &["incident", "verify", &id], &[]);
    assert!(
        r.stdout.contains("chain valid and authenticated"),
        "{}",
        r.stdout
    );
    // The key (never printed) and, for SQLite, the store are private.
    let key = env.state().join("incident.key");
    assert_eq!(mode(&key), 0o600);
    let secret = std::fs::read_to_string(&key).unwrap();
    assert!(!r.stdout.contains(secret.trim()) && !r.stderr.contains(secret.trim()));
    if matches!(env.backend, Backend::Sqlite) {
        assert_eq!(mode(&env.state()), 0o700);
        assert_eq!(mode(&env.state().join("incidents.sqlite3")), 0o600);
    }
}

/// With CVERUN_NOW on a fresh state, the store is simulated and every view says
/// so; a simulated time going back is refused; the real clock is refused on it.
fn simulated_stores_say_so(env: &Env) {
    env.ok(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-6",
            "--priority",
            "P0",
        ],
    );
    env.ok(&at(10), "alice", &["incident", "update", ID, "contained"]);
    let e = env.refused(&at(5), "mallory", &["incident", "update", ID, "earlier"]);
    assert!(e.contains("before the incident's last event"), "{e}");
    let tables: [&[&str]; 6] = [
        &["incident", "show", ID],
        &["incident", "list"],
        &["incident", "timeline", ID],
        &["incident", "verify"],
        &["incident", "tick"],
        &["report", "metrics"],
    ];
    for args in tables {
        let r = env.ok(&at(200), "viewer", args);
        assert!(r.stdout.contains(SIMULATED), "{args:?}: {}", r.stdout);
    }
    for args in tables {
        let mut args = args.to_vec();
        args.extend(["--format", "json"]);
        let v = env.json(&at(200), &args);
        assert_eq!(v["simulated"], true, "{args:?}: {v}");
    }
    let r = env.run_env(None, "viewer", &["incident", "show", ID], &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("is a simulated incident store"),
        "{}",
        r.stderr
    );
}

fn verify_json(env: &Env, args: &[&str], vars: &[(&str, &str)], code: i32) -> Value {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let r = env.run_env(Some(&at(100)), "auditor", &a, vars);
    assert_eq!(r.code, code, "{a:?}\n{}\n{}", r.stdout, r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

/// Heads kept outside the database catch truncation; a deleted incident is a gap
/// in the store log; without the key nothing verifies; a wrong key fails every
/// event; an old key listed for rotation still verifies.
fn heads_keys_and_rewrites(env: &Env) {
    for n in 0..3 {
        env.ok(
            &at(n),
            "alice",
            &[
                "incident",
                "declare",
                "--advisory",
                "CVE-2026-7",
                "--priority",
                "P2",
                "--allow-duplicate",
                "three incidents to delete from",
            ],
        );
    }
    for n in 0..5 {
        env.ok(
            &at(10 + n),
            "bob",
            &["incident", "update", ID, &format!("u{n}")],
        );
    }
    let head = env.ok(&at(20), "bob", &["incident", "head", ID]).stdout;
    let head = head.trim();
    assert_eq!(head.lines().count(), 1, "{head}");
    assert!(head.starts_with(&format!("{ID}:6:")), "{head}");
    let j = env.json(&at(20), &["incident", "head", ID, "--format", "json"]);
    assert_eq!(j["head"], head);
    assert_eq!(j["seq"], 6);
    let store_head = env.ok(&at(20), "bob", &["incident", "head"]).stdout;
    assert!(store_head.starts_with("store:3:"), "{store_head}");
    env.ok(
        &at(21),
        "auditor",
        &["incident", "verify", ID, "--expect", head],
    );

    // Keys: none, wrong, rotated.
    let key = env.state().join("incident.key");
    let old = env.dir.path().join("old.key");
    std::fs::rename(&key, &old).unwrap();
    let v = verify_json(env, &["incident", "verify"], &[], 1);
    assert_eq!(v["valid"], false);
    assert_eq!(v["incidents"][0]["problems"][0]["kind"], "unauthenticated");
    let r = env.run_env(Some(&at(100)), "auditor", &["incident", "verify", ID], &[]);
    assert!(!r.stdout.contains("chain valid"), "{}", r.stdout);
    assert!(
        r.stdout.contains("no incident key is available"),
        "{}",
        r.stdout
    );
    let e = env.refused(&at(100), "bob", &["incident", "update", ID, "no key"]);
    assert!(e.contains("no incident key"), "{e}");
    let other = "5a".repeat(32);
    let wrong = [("CVERUN_INCIDENT_KEY", other.as_str())];
    let v = verify_json(env, &["incident", "verify", ID], &wrong, 1);
    let problems = v["incidents"][0]["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 6, "every event is reported: {v}");
    assert!(
        problems.iter().all(|p| p["kind"] == "unauthenticated"),
        "{v}"
    );
    let old_s = old.to_str().unwrap();
    let rotated = [
        ("CVERUN_INCIDENT_KEY", other.as_str()),
        ("CVERUN_INCIDENT_OLD_KEYS", old_s),
    ];
    let v = verify_json(env, &["incident", "verify"], &rotated, 0);
    assert_eq!(v["valid"], true, "{v}");
    let r = env.run_env(
        Some(&at(101)),
        "bob",
        &["incident", "update", ID, "rotated"],
        &rotated,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.run_env(
        Some(&at(101)),
        "auditor",
        &["incident", "verify", ID, "--expect", head],
        &rotated,
    );
    assert_eq!(
        r.code, 0,
        "an old head still verifies: {}{}",
        r.stdout, r.stderr
    );
    std::fs::rename(&old, &key).unwrap();
    let v = verify_json(env, &["incident", "verify", ID], &[], 1);
    assert_eq!(
        v["incidents"][0]["problems"][0]["position"], 7,
        "the event signed with the new key: {v}"
    );
    env.tamper(&format!("DELETE FROM events WHERE incident_id = '{ID}' AND seq = 7; UPDATE incidents SET head_seq = 6, head_hash = (SELECT hash FROM events WHERE incident_id = '{ID}' AND seq = 6) WHERE id = '{ID}';"));
    verify_json(env, &["incident", "verify", ID], &[], 0);

    // Truncation: the last events deleted and the head moved back consistently.
    env.tamper(&format!(
        "DELETE FROM events WHERE incident_id = '{ID}' AND seq > 4;
         UPDATE incidents SET head_seq = 4, head_hash = (SELECT hash FROM events WHERE incident_id = '{ID}' AND seq = 4) WHERE id = '{ID}';"
    ));
    let v = verify_json(env, &["incident", "verify", ID], &[], 0);
    assert_eq!(v["valid"], true, "consistent as stored: {v}");
    let v = verify_json(env, &["incident", "verify", ID, "--expect", head], &[], 1);
    assert_eq!(v["incidents"][0]["problems"][0]["kind"], "truncated", "{v}");
    let r = env.run_env(
        Some(&at(100)),
        "auditor",
        &["incident", "verify", ID, "--expect", head],
        &[],
    );
    assert!(
        r.stdout.contains("ends at seq 4") && r.stdout.contains("TAMPERED"),
        "{}",
        r.stdout
    );
    let e = env.refused(
        &at(100),
        "auditor",
        &["incident", "verify", ID, "--expect", "INC-1:2:3"],
    );
    assert!(e.contains("is not a head"), "{e}");

    // A deleted incident (not the newest): a gap in the store's numbering.
    env.tamper(
        "DELETE FROM events WHERE incident_id = 'INC-2026-11-23-2';
         DELETE FROM incidents WHERE id = 'INC-2026-11-23-2';
         DELETE FROM store_log WHERE incident_id = 'INC-2026-11-23-2';",
    );
    let v = verify_json(env, &["incident", "verify"], &[], 1);
    assert_eq!(v["store"]["problems"][0]["kind"], "deleted", "{v}");
    assert_eq!(v["store"]["problems"][0]["seq"], 2, "{v}");
    let r = env.run_env(Some(&at(100)), "auditor", &["incident", "verify"], &[]);
    assert!(
        r.stdout.contains("store number 2 is missing"),
        "{}",
        r.stdout
    );
    // The newest: caught by the store head taken before.
    env.tamper(
        "DELETE FROM events WHERE incident_id = 'INC-2026-11-23-3';
         DELETE FROM incidents WHERE id = 'INC-2026-11-23-3';
         DELETE FROM store_log WHERE incident_id = 'INC-2026-11-23-3';",
    );
    let v = verify_json(
        env,
        &["incident", "verify", "--expect", store_head.trim()],
        &[],
        1,
    );
    let p = v["store"]["problems"].as_array().unwrap();
    assert!(p.iter().any(|p| p["kind"] == "truncated"), "{v}");
}

/// The example runbook with three phases, its own roles and a CTO approval when
/// customer data is affected: a P0 from declaration to resolution.
fn a_p0_through_the_three_phase_runbook(env: &Env) {
    std::fs::create_dir_all(env.state()).unwrap();
    std::fs::copy(
        common::repo().join("examples/runbooks/three-phase.toml"),
        env.state().join("runbook.toml"),
    )
    .unwrap();
    env.ok(
        &at(0),
        "Alice@Example.com",
        &[
            "incident",
            "declare",
            "--advisory",
            "GHSA-jfh8-c2jp-5v3q",
            "--priority",
            "P0",
            "--commander",
            "alice",
        ],
    );
    let show = env.json(&at(1), &["incident", "show", ID, "--format", "json"]);
    assert_eq!(show["incident"]["phase"], "immediate");
    assert_eq!(
        show["incident"]["declared_by"], "alice",
        "the canonical handle"
    );
    let phases: Vec<&str> = show["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(phases, ["immediate", "short-term-mitigation", "resolution"]);
    assert_eq!(show["gate"], "resolution");
    let due: BTreeMap<String, Value> = show["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["clock"].as_str().unwrap().to_owned(), d["due"].clone()))
        .collect();
    assert_eq!(due["target:immediate"], at(15));
    assert_eq!(due["target:short-term-mitigation"], at(120));
    assert_eq!(due["target:resolution"], at(24 * 60));

    env.ok(
        &at(2),
        "alice",
        &["incident", "assign", ID, "technical-lead", "carol"],
    );
    env.ok(
        &at(2),
        "alice",
        &["incident", "assign", ID, "security", "dave@example.com"],
    );
    env.ok(
        &at(3),
        "alice",
        &["incident", "assign", ID, "db-admin", "carol"],
    );
    let e = env.refused(
        &at(3),
        "alice",
        &["incident", "assign", ID, "legal-counsel", "bob"],
    );
    assert!(e.contains("bob may not hold the Legal counsel role"), "{e}");
    env.ok(
        &at(3),
        "alice",
        &["incident", "assign", ID, "counsel", "frank"],
    );

    let e = env.refused(&at(4), "bob", &["incident", "check", ID, "fix-deployed"]);
    assert!(e.contains("belongs to RESOLUTION"), "{e}");
    let e = env.refused(
        &at(4),
        "carol",
        &["incident", "approve", ID, "--as", "technical"],
    );
    assert!(e.contains("accepted from SHORT-TERM-MITIGATION on"), "{e}");
    check_all(
        env,
        ID,
        &["triaged", "code-freeze", "stakeholders-paged"],
        &at(5),
    );
    env.ok(&at(10), "alice", &["incident", "advance", ID]);

    let r = env.ok(
        &at(20),
        "dave",
        &["incident", "impact", ID, "customer-data"],
    );
    assert!(
        r.stdout
            .contains("ESCALATED to legal-counsel, compliance-officer, executive-sponsor"),
        "{}",
        r.stdout
    );
    let show = env.json(&at(21), &["incident", "show", ID, "--format", "json"]);
    assert_eq!(
        show["approvals_needed"],
        serde_json::json!(["technical", "security", "cto"])
    );
    check_all(
        env,
        ID,
        &["mitigation-applied", "exposure-checked", "fix-prepared"],
        &at(60),
    );
    env.ok(
        &at(70),
        "carol",
        &["incident", "approve", ID, "--as", "technical"],
    );
    env.ok(
        &at(71),
        "dave",
        &["incident", "approve", ID, "--as", "security"],
    );
    let e = env.refused(&at(72), "alice", &["incident", "advance", ID]);
    assert!(
        e.contains("cannot enter RESOLUTION") && e.contains("missing: cto"),
        "{e}"
    );
    let e = env.refused(&at(73), "bob", &["incident", "approve", ID, "--as", "cto"]);
    assert!(e.contains("may not give the cto approval"), "{e}");
    env.ok(
        &at(74),
        "ERIN@example.com",
        &["incident", "approve", ID, "--as", "cto"],
    );
    env.ok(&at(75), "alice", &["incident", "advance", ID]);
    check_all(env, ID, &["fix-deployed", "post-mortem"], &at(300));
    let e = env.refused(&at(300), "bob", &["incident", "check", ID, "rescan-clean"]);
    assert!(
        e.contains(&format!("checked by `cverun verify --incident {ID}`")),
        "{e}"
    );
    env.ok(
        &at(300),
        "bob",
        &[
            "incident",
            "check",
            ID,
            "rescan-clean",
            "--force",
            "--reason",
            "re-scanned by the vendor scanner",
        ],
    );
    let r = env.ok(&at(310), "alice", &["incident", "advance", ID]);
    assert!(r.stdout.contains("RESOLUTION -> RESOLVED"), "{}", r.stdout);
    env.ok(
        &at(311),
        "frank",
        &[
            "incident",
            "update",
            ID,
            "resolved: patched, customers told",
        ],
    );

    let show = env.json(&at(320), &["incident", "show", ID, "--format", "json"]);
    let inc = &show["incident"];
    assert_eq!(inc["phase"], "resolved");
    assert_eq!(inc["roles"]["dba"][0]["name"], "carol");
    assert_eq!(inc["roles"]["legal-counsel"][0]["name"], "frank");
    assert_eq!(inc["roles"]["security-lead"][0]["name"], "dave");
    let approvers: Vec<&str> = inc["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["by"].as_str().unwrap())
        .collect();
    assert_eq!(approvers, ["carol", "dave", "erin"], "canonical handles");
    assert_eq!(show["outside_roster"], serde_json::json!([]));
    let deadlines: BTreeMap<String, Value> = show["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["clock"].as_str().unwrap().to_owned(), d["state"].clone()))
        .collect();
    assert_eq!(deadlines["target:immediate"], "met");
    assert_eq!(deadlines["target:short-term-mitigation"], "met");
    assert_eq!(deadlines["target:resolution"], "met");
    assert_eq!(
        show["last_update"]["message"],
        "resolved: patched, customers told"
    );
    let v = env.ok(&at(320), "auditor", &["incident", "verify", ID]);
    assert!(v.stdout.contains("chain valid"), "{}", v.stdout);
}

/// The reproductions of the issue, refused now: dates out of order, checking an
/// item of a later phase, approvals in CONTAINMENT; and what is recorded instead:
/// a forced check with its reason, an uncheck, notes and the resolution message
/// after RESOLVED, a roster recorded on an incident declared without one.
fn rules_that_hold(env: &Env) {
    with_team(env, "");
    let e = env.refused(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-5",
            "--priority",
            "P1",
            "--published",
            "2026-11-23T08:00:00Z",
            "--detected",
            "2026-11-23T07:00:00Z",
        ],
    );
    assert!(e.contains("is after --detected"), "{e}");
    env.ok(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-5",
            "--priority",
            "P0",
            "--commander",
            "alice",
        ],
    );
    let e = env.refused(&at(1), "bob", &["incident", "check", ID, "staging-healthy"]);
    assert!(
        e.contains("belongs to VALIDATION") && e.contains("--force --reason"),
        "{e}"
    );
    let e = env.refused(&at(1), "bob", &["incident", "check", ID, "rescan-clean"]);
    assert!(
        e.contains("is checked by `cverun verify --incident") && e.contains("--force --reason"),
        "{e}"
    );
    let e = env.refused(
        &at(1),
        "carol",
        &["incident", "approve", ID, "--as", "technical"],
    );
    assert!(e.contains("is in CONTAINMENT"), "{e}");
    let e = env.refused(
        &at(1),
        "mallory",
        &["incident", "approve", ID, "--as", "security"],
    );
    assert!(e.contains("not in the roster"), "{e}");
    env.ok(
        &at(2),
        "bob",
        &[
            "incident",
            "check",
            ID,
            "rescan-clean",
            "--force",
            "--reason",
            "rescanned with the hotfix branch",
        ],
    );
    let e = env.refused(
        &at(2),
        "bob",
        &["incident", "uncheck", ID, "tests-pass", "--reason", "x"],
    );
    assert!(e.contains("is not checked"), "{e}");
    env.ok(
        &at(3),
        "bob",
        &[
            "incident",
            "uncheck",
            ID,
            "rescan-clean",
            "--reason",
            "a new finding",
        ],
    );
    // Not in the roster: recorded, and flagged.
    env.ok(
        &at(4),
        "mallory",
        &["incident", "note", ID, "seen in our logs too"],
    );
    let events = env.events(ID);
    let ahead = events.iter().find(|e| e["kind"] == "checked").unwrap();
    assert_eq!(
        ahead["details"]["ahead"],
        "rescanned with the hotfix branch"
    );
    assert_eq!(
        ahead["details"]["forced"],
        "rescanned with the hotfix branch"
    );
    let un = events.iter().find(|e| e["kind"] == "unchecked").unwrap();
    assert_eq!(un["details"]["reason"], "a new finding");
    assert_eq!(un["details"]["phase"], "validation");
    let show = env.json(&at(5), &["incident", "show", ID, "--format", "json"]);
    assert_eq!(show["incident"]["checked"], serde_json::json!({}));
    assert_eq!(show["outside_roster"], serde_json::json!(["mallory"]));
    let r = env.ok(&at(5), "viewer", &["incident", "show", ID]);
    assert!(
        r.stderr.contains("not in its roster: mallory"),
        "{}",
        r.stderr
    );

    env.ok(
        &at(6),
        "alice",
        &[
            "incident",
            "advance",
            ID,
            "--to",
            "validation",
            "--force",
            "--reason",
            "drill",
        ],
    );
    env.ok(
        &at(7),
        "carol",
        &["incident", "approve", ID, "--as", "technical"],
    );
    env.ok(
        &at(7),
        "dave",
        &["incident", "approve", ID, "--as", "security"],
    );
    env.ok(
        &at(8),
        "alice",
        &[
            "incident", "advance", ID, "--to", "resolved", "--force", "--reason", "drill",
        ],
    );
    let r = env.ok(
        &at(9),
        "bob",
        &["incident", "update", ID, "resolved: all services patched"],
    );
    assert!(r.stdout.contains("no further update due"), "{}", r.stdout);
    env.ok(
        &at(10),
        "bob",
        &["incident", "note", ID, "customer notice sent"],
    );
    let e = env.refused(&at(10), "bob", &["incident", "check", ID, "tests-pass"]);
    assert!(e.contains("is RESOLVED; reopen it first"), "{e}");
    let show = env.json(&at(11), &["incident", "show", ID, "--format", "json"]);
    assert_eq!(show["incident"]["notes"][1]["text"], "customer notice sent");
    assert_eq!(
        show["last_update"]["message"],
        "resolved: all services patched"
    );
    assert!(
        show["deadlines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| !d["clock"].as_str().unwrap().starts_with("update:")),
        "no update is due after the resolution"
    );

    // An incident declared under a runbook without people: refusals say how to add
    // one; `roster` records the current file's on it.
    let empty = env.dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    env.ok(
        &at(12),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-6",
            "--priority",
            "P2",
            "--runbook",
            empty.to_str().unwrap(),
        ],
    );
    let id2 = "INC-2026-11-23-2";
    let e = env.refused(
        &at(13),
        "alice",
        &["incident", "assign", id2, "commander", "alice"],
    );
    assert!(
        e.contains("has no people") && e.contains("[[person]]"),
        "{e}"
    );
    let e = env.refused(&at(13), "dave", &["incident", "roster", id2]);
    assert!(e.contains("may not be the incident commander"), "{e}");
    env.ok(&at(14), "alice", &["incident", "roster", id2]);
    env.ok(
        &at(15),
        "ALICE",
        &["incident", "assign", id2, "ic", "carol"],
    );
    let show = env.json(&at(16), &["incident", "show", id2, "--format", "json"]);
    assert_eq!(show["incident"]["roles"]["commander"][0]["name"], "carol");
    assert_eq!(
        show["outside_roster"],
        serde_json::json!([]),
        "alice is in the new roster"
    );
}

/// One open incident per vulnerability and scope: four declarers racing for the
/// same advisory get one incident; any id of the vulnerability finds it; a
/// duplicate is declared only by naming it (or with a reason), both recorded; other
/// scopes and closed incidents do not count.
fn one_open_incident_per_vulnerability(env: &Env) {
    with_team(env, "");
    let declare = ["incident", "declare", "--priority", "P1", "--advisories"];
    let ex = examples();
    let args = |extra: &[&'static str], advisory: &'static str| -> Vec<String> {
        let mut a: Vec<String> = declare.iter().map(|s| s.to_string()).collect();
        a.push(ex.clone());
        a.extend(["--advisory".to_owned(), advisory.to_owned()]);
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let first = args(&["--format", "json"], "CVE-2021-44228");
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let rs = env.parallel(4, &at(0), &first);
    let won: Vec<&Run> = rs.iter().filter(|r| r.code == 0).collect();
    assert_eq!(
        won.len(),
        1,
        "{:?}",
        rs.iter().map(|r| &r.stderr).collect::<Vec<_>>()
    );
    for r in rs.iter().filter(|r| r.code != 0) {
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(
            r.stderr
                .contains(&format!("already has an open incident: {ID}")),
            "{}",
            r.stderr
        );
    }
    let v: Value = serde_json::from_str(&won[0].stdout).unwrap();
    // The aliases the advisory database knows are recorded.
    assert_eq!(
        v["incident"]["aliases"],
        serde_json::json!(["EXAMPLE-2021-0004"])
    );
    // Any id of the vulnerability, in any case, finds the open incident.
    let again = args(&[], "example-2021-0004");
    let again: Vec<&str> = again.iter().map(String::as_str).collect();
    let e = env.refused(&at(1), "bob", &again);
    assert!(e.contains(&format!("--duplicate-of {ID}")), "{e}");
    // Naming another incident is refused; naming the open one records the link.
    let wrong = args(&["--duplicate-of", "INC-2026-11-23-9"], "CVE-2021-44228");
    let wrong: Vec<&str> = wrong.iter().map(String::as_str).collect();
    let e = env.refused(&at(1), "bob", &wrong);
    assert!(e.contains("not an open incident of CVE-2021-44228"), "{e}");
    let dup = args(
        &["--duplicate-of", "inc-2026-11-23-1", "--format", "json"],
        "CVE-2021-44228",
    );
    let dup: Vec<&str> = dup.iter().map(String::as_str).collect();
    let v = env.json(&at(2), &dup);
    assert_eq!(v["incident"]["duplicate"], serde_json::json!({ "of": ID }));
    let dup_id = v["incident"]["id"].as_str().unwrap().to_owned();
    let t = env.ok(&at(2), "viewer", &["incident", "timeline", &dup_id]);
    assert!(
        t.stdout
            .contains(&format!("a duplicate of {ID} worked apart")),
        "{}",
        t.stdout
    );
    let show = env.ok(&at(2), "viewer", &["incident", "show", ID]);
    assert!(
        show.stdout
            .contains("CVE-2021-44228 (also EXAMPLE-2021-0004)"),
        "{}",
        show.stdout
    );
    let reason = args(
        &[
            "--allow-duplicate",
            "the EU entity works it apart",
            "--format",
            "json",
        ],
        "CVE-2021-44228",
    );
    let reason: Vec<&str> = reason.iter().map(String::as_str).collect();
    let v = env.json(&at(3), &reason);
    assert_eq!(
        v["incident"]["duplicate"],
        serde_json::json!({ "allowed": "the EU entity works it apart" })
    );
    // Another scope is another incident; the same scope again is refused.
    let scoped = args(
        &["--scope", "payments", "--format", "json"],
        "CVE-2021-44228",
    );
    let scoped: Vec<&str> = scoped.iter().map(String::as_str).collect();
    let v = env.json(&at(4), &scoped);
    let scoped_id = v["incident"]["id"].as_str().unwrap().to_owned();
    assert_eq!(v["incident"]["scope"], "payments");
    let e = env.refused(&at(5), "bob", &scoped[..scoped.len() - 2]);
    assert!(e.contains("in scope \"payments\""), "{e}");
    // Once closed, the vulnerability may be declared again in that scope.
    env.ok(
        &at(6),
        "alice",
        &[
            "incident",
            "cancel",
            &scoped_id,
            "--reason",
            "merged into the fleet-wide one",
        ],
    );
    env.ok(&at(7), "bob", &scoped[..scoped.len() - 2]);
}

/// `rescan-clean` (`by = "verify"` in the built-in runbook) is checked by `cverun
/// verify --incident ID`, not by hand: `incident check` refuses it in its own
/// phase, naming the command; `--force --reason` checks it, recorded as forced by
/// hand with the reason, and shown so in `show` and `timeline`.
fn rescan_clean_is_checked_by_verify(env: &Env) {
    with_team(env, "");
    env.ok(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2026-7",
            "--priority",
            "P1",
            "--commander",
            "alice",
        ],
    );
    env.ok(
        &at(1),
        "alice",
        &[
            "incident",
            "advance",
            ID,
            "--to",
            "validation",
            "--force",
            "--reason",
            "drill",
        ],
    );
    let before = env.events(ID).len();
    let e = env.refused(&at(2), "bob", &["incident", "check", ID, "rescan-clean"]);
    assert_eq!(
        e.trim_end(),
        format!(
            "error: validation/rescan-clean of {ID} is checked by `cverun verify --incident {ID}` (a clean verification records it); check it by hand only with --force --reason \"...\" (recorded as forced)"
        )
    );
    let e = env.refused(
        &at(2),
        "bob",
        &["incident", "check", ID, "rescan-clean", "--reason", "x"],
    );
    assert!(e.contains("--reason goes with --force"), "{e}");
    let e = env.refused(
        &at(2),
        "bob",
        &["incident", "check", ID, "rescan-clean", "--force"],
    );
    assert!(e.contains("--force needs --reason"), "{e}");
    let e = env.refused(
        &at(2),
        "bob",
        &[
            "incident",
            "check",
            ID,
            "rescan-clean",
            "--force",
            "--reason",
            " ",
        ],
    );
    assert!(e.contains("--reason must not be empty"), "{e}");
    assert_eq!(env.events(ID).len(), before, "refusals record nothing");

    let r = env.ok(
        &at(3),
        "bob",
        &[
            "incident",
            "check",
            ID,
            "rescan-clean",
            "--force",
            "--reason",
            "scanned by the vendor tool before cverun verify ran",
        ],
    );
    assert!(
        r.stdout.contains(
            "checked validation/rescan-clean: Re-scan clean FORCED by hand (reason: scanned by the vendor tool before cverun verify ran)"
        ),
        "{}",
        r.stdout
    );
    let events = env.events(ID);
    let last = events.last().unwrap();
    assert_eq!(last["kind"], "checked");
    assert_eq!(
        last["details"],
        serde_json::json!({
            "phase": "validation",
            "item": "rescan-clean",
            "text": "Re-scan clean",
            "forced": "scanned by the vendor tool before cverun verify ran"
        })
    );
    let show = env.json(&at(4), &["incident", "show", ID, "--format", "json"]);
    let item = show["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "rescan-clean")
        .unwrap();
    assert_eq!(item["command"], "verify");
    assert_eq!(item["checked_by"], "bob");
    assert_eq!(
        item["forced"],
        "scanned by the vendor tool before cverun verify ran"
    );
    assert_eq!(item["evidence"], Value::Null);
    let text = env.ok(&at(4), "viewer", &["incident", "show", ID]).stdout;
    assert!(
        text.contains("FORCED by hand: scanned by the vendor tool"),
        "{text}"
    );
    let v = env.ok(&at(4), "auditor", &["incident", "verify", ID]);
    assert!(v.stdout.contains("chain valid"), "{}", v.stdout);
    // The runbook says so.
    let r = env.ok(&at(5), "viewer", &["incident", "runbook"]);
    assert!(
        r.stdout
            .contains(r#"{ id = "rescan-clean", text = "Re-scan clean", by = "verify" },"#),
        "{}",
        r.stdout
    );
}

/// Tests start with an empty project.
fn plain(env: Env) -> Env {
    env
}

both_backends!(
    plain;
    rescan_clean_is_checked_by_verify,
    one_open_incident_per_vulnerability,
    backdating_a_real_store_is_refused,
    simulated_stores_say_so,
    heads_keys_and_rewrites,
    auto_priority_from_triage,
    a_p0_from_declaration_to_resolution,
    parallel_processes_lose_nothing,
    bad_input_is_refused_and_writes_nothing,
    show_list_and_clocks_in_json,
    metrics_from_stored_events,
    a_team_runbook_overrides_the_defaults,
    a_p0_through_the_three_phase_runbook,
    rules_that_hold,
);
