//! `cverun incident postmortem` and `incident action ...` through the real binary:
//! a simulated P0 from declaration to resolution, with notes per post-mortem
//! section, an impact, a decision, approvals and action items; the Markdown is
//! compared with a golden file, the JSON field by field, and two renders must be
//! byte-identical (on SQLite and, when `CVERUN_TEST_POSTGRES_URL` is set, on
//! PostgreSQL). The clock is simulated with `CVERUN_NOW`, and the incident key is
//! fixed so that the signed head (and so the golden file) is the same every run.

mod common;

use std::path::PathBuf;

use common::store_env::{Backend, Env, both_backends};
use serde_json::Value;

/// A fixed incident key (64 hex digits) so that MACs are reproducible.
const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

const ID: &str = "INC-2026-11-23-1";

/// The team's roster (as in tests/incident.rs).
const TEAM: &str = r#"
[[person]]
handle = "alice"
name = "Alice Martin"
roles = ["commander", "security-lead"]

[[person]]
handle = "bob"
roles = ["commander", "devops", "communications-lead"]

[[person]]
handle = "carol"
roles = ["commander", "technical-lead"]

[[person]]
handle = "dave"
roles = ["security-lead"]
"#;

/// The project every test starts with: the team's runbook, a fixed key.
fn team(env: Env) -> Env {
    let env = env.with_key(KEY);
    env.runbook(TEAM);
    env
}

/// 2026-11-23T12:00Z plus `m` minutes.
fn at(m: i64) -> String {
    let t: jiff::Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
    t.checked_add(jiff::SignedDuration::from_mins(m))
        .unwrap()
        .to_string()
}

fn check_all(env: &Env, items: &[&str], now: &str) {
    for item in items {
        env.ok(now, "bob", &["incident", "check", ID, item]);
    }
}

/// A P0 worked from declaration (12:00) to resolution (19:00), with every record
/// a post-mortem reads. Returns nothing: the store holds it.
fn p0(env: &Env) {
    env.ok(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2021-44228",
            "--priority",
            "P0",
            "--title",
            "Log4Shell in checkout",
            "--commander",
            "alice",
            "--published",
            "2026-11-22T18:00:00Z",
            "--detected",
            "2026-11-23T11:30:00Z",
        ],
    );
    env.ok(
        &at(10),
        "alice",
        &["incident", "assign", ID, "technical-lead", "carol"],
    );
    env.ok(
        &at(20),
        "alice",
        &["incident", "impact", ID, "customer-data"],
    );
    check_all(
        env,
        &["blast-radius", "code-path", "isolation", "code-freeze"],
        &at(40),
    );
    env.ok(&at(45), "alice", &["incident", "advance", ID]);
    env.ok(
        &at(55),
        "carol",
        &[
            "incident",
            "decide",
            ID,
            "hotfix",
            "--rationale",
            "log4j 2.17.1 is out",
        ],
    );
    check_all(
        env,
        &["fix-identified", "patch-prepared", "fix-reviewed"],
        &at(80),
    );
    env.ok(&at(90), "alice", &["incident", "advance", ID]);
    check_all(
        env,
        &[
            "tests-pass",
            "staging-healthy",
            "rollback-plan",
            "monitoring-ready",
        ],
        &at(130),
    );
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
    env.ok(
        &at(136),
        "carol",
        &["incident", "approve", ID, "--as", "technical"],
    );
    env.ok(
        &at(137),
        "dave",
        &["incident", "approve", ID, "--as", "security"],
    );
    env.ok(&at(142), "alice", &["incident", "advance", ID]);
    check_all(
        env,
        &[
            "canary-deployed",
            "production-deployed",
            "post-deploy-monitoring",
        ],
        &at(300),
    );
    env.ok(&at(310), "alice", &["incident", "advance", ID]);
    for (section, text) in [
        (
            "summary",
            "Log4Shell (CVE-2021-44228) reached checkout through log4j-core 2.14.1; patched to 2.17.1 within 7 hours, no exploitation seen.",
        ),
        (
            "root-cause",
            "log4j-core 2.14.1 came in transitively through the logging starter, pinned by an old BOM.",
        ),
        ("went-well", "The blast radius was known within 40 minutes."),
        (
            "went-wrong",
            "Status updates were late during the remediation.",
        ),
        (
            "lessons",
            "Pin the logging BOM and scan transitive dependencies on every build.",
        ),
    ] {
        env.ok(
            &at(320),
            "alice",
            &["incident", "note", ID, "--section", section, text],
        );
    }
    // A plain note is no part of any section.
    env.ok(
        &at(321),
        "bob",
        &["incident", "note", ID, "canary logs kept in the bucket"],
    );
    check_all(env, &["timeline-reviewed", "root-cause"], &at(330));
    env.ok(
        &at(335),
        "alice",
        &[
            "incident",
            "action",
            "add",
            ID,
            "--owner",
            "Carol",
            "--due",
            "7d",
            "Pin log4j through the BOM in every service",
        ],
    );
    env.ok(
        &at(336),
        "alice",
        &[
            "incident",
            "action",
            "add",
            ID,
            "--owner",
            "bob",
            "--due",
            "2026-11-24T12:00:00Z",
            "Alert on transitive critical findings",
        ],
    );
    check_all(env, &["actions-assigned"], &at(340));
    env.ok(&at(420), "alice", &["incident", "advance", ID]);
    // Action items outlive the resolution.
    env.ok(
        &at(425),
        "bob",
        &[
            "incident",
            "action",
            "add",
            ID,
            "--owner",
            "dave",
            "--due",
            "3d",
            "Review WAF rules for JNDI lookups",
        ],
    );
    env.ok(
        &at(430),
        "carol",
        &[
            "incident",
            "action",
            "done",
            ID,
            "ACTION-1",
            "--note",
            "merged in platform#42",
        ],
    );
}

/// The golden file. To regenerate it after a deliberate change, run
/// `CVERUN_BLESS=1 cargo test -p cverun --test postmortem`, then read the diff.
fn golden() -> PathBuf {
    common::repo().join("crates/cverun/tests/data/postmortem/p0.md")
}

fn postmortem_markdown(env: &Env) {
    p0(env);
    let now = "2026-12-01T00:00:00Z";
    let md = env
        .ok(
            now,
            "viewer",
            &["incident", "postmortem", ID, "--format", "markdown"],
        )
        .stdout;
    // Deterministic: another render, later, gives the same bytes (the incident is
    // resolved, so the clock plays no part).
    let again = env
        .ok(
            "2027-01-01T00:00:00Z",
            "viewer",
            &["incident", "postmortem", ID],
        )
        .stdout;
    assert_eq!(md, again, "two renders differ");
    if matches!(env.backend, Backend::Postgres { .. }) {
        // The same record on PostgreSQL gives the same document as on SQLite.
        let sqlite = team(Env::sqlite());
        p0(&sqlite);
        let other = sqlite
            .ok(now, "viewer", &["incident", "postmortem", ID])
            .stdout;
        assert_eq!(md, other, "PostgreSQL and SQLite documents differ");
        return;
    }
    if std::env::var_os("CVERUN_BLESS").is_some() {
        std::fs::create_dir_all(golden().parent().unwrap()).unwrap();
        std::fs::write(golden(), &md).unwrap();
    }
    let want = std::fs::read_to_string(golden()).expect("the golden file");
    assert_eq!(
        md,
        want,
        "the post-mortem differs from {}",
        golden().display()
    );
}

fn postmortem_json(env: &Env) {
    p0(env);
    let v = env.json(
        "2026-12-01T00:00:00Z",
        &["incident", "postmortem", ID, "--format", "json"],
    );
    assert_eq!(v["schema"], "cverun.postmortem/1");
    let h = &v["header"];
    assert_eq!(h["incident"], ID);
    assert_eq!(h["date"], "2026-11-23");
    assert_eq!(h["priority"], "P0");
    assert_eq!(h["status"], "resolved");
    assert_eq!(h["author"], "alice");
    // Detected 11:30, resolved 19:00: 7h30m.
    assert_eq!(h["duration_seconds"], 7 * 3600 + 1800);
    assert_eq!(h["resolved_at"], "2026-11-23T19:00:00Z");
    assert_eq!(h["as_of"], Value::Null, "a resolved incident has no 'now'");
    assert_eq!(v["summary"]["source"], "note");
    assert!(
        v["summary"]["text"]
            .as_str()
            .unwrap()
            .starts_with("Log4Shell (CVE-2021-44228)")
    );
    let kinds: Vec<&str> = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "published",
            "detected",
            "declared",
            "assigned",
            "assigned",
            "impact",
            "escalated",
            "advanced",
            "decided",
            "advanced",
            "approved",
            "approved",
            "advanced",
            "advanced",
            "resolved"
        ],
        "{:#}",
        v["timeline"]
    );
    assert_eq!(v["root_cause"][0]["by"], "alice");
    assert_eq!(v["went_well"].as_array().unwrap().len(), 1);
    assert_eq!(v["went_wrong"].as_array().unwrap().len(), 1);
    assert_eq!(v["lessons"].as_array().unwrap().len(), 1);
    assert_eq!(v["impact"][0]["impact"], "customer-data");
    let items = v["action_items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["id"], "ACTION-1");
    assert_eq!(
        items[0]["owner"], "carol",
        "the roster's handle for \"Carol\""
    );
    assert_eq!(items[0]["status"], "done");
    assert_eq!(items[0]["note"], "merged in platform#42");
    // 12:00 + 335 min + 7 days.
    assert_eq!(items[0]["due"], "2026-11-30T17:35:00Z");
    // Due before the resolution's time is irrelevant: no tick ran, and a resolved
    // incident's document does not read the clock.
    assert_eq!(items[1]["status"], "open");
    assert_eq!(items[2]["owner"], "dave");
    // MTTD: published 18:00 the day before -> detected 11:30 = 17h30m; MTTR:
    // detected 11:30 -> resolved 19:00.
    assert_eq!(v["metrics"]["mttd_seconds"], 17 * 3600 + 1800);
    assert_eq!(v["metrics"]["mttr_seconds"], 7 * 3600 + 1800);
    let clocks = v["clocks"].as_array().unwrap();
    let outcome = |c: &str| {
        clocks
            .iter()
            .find(|x| x["clock"] == c)
            .unwrap_or_else(|| panic!("{c}: {clocks:#?}"))["outcome"]
            .clone()
    };
    // The commander was named at the declaration; CONTAINMENT was left at 12:45
    // (target 2h); DEPLOYMENT at 17:10 (target 8h from 12:00).
    assert_eq!(outcome("response"), "met");
    assert_eq!(outcome("target:containment"), "met");
    assert_eq!(outcome("target:deployment"), "met");
    let approvals: Vec<(&str, &str)> = v["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["by"].as_str().unwrap(), a["as"].as_str().unwrap()))
        .collect();
    assert_eq!(approvals, [("carol", "technical"), ("dave", "security")]);
    // No routing in this runbook: nothing was queued, and the section says so.
    assert_eq!(v["messages"]["sent"], serde_json::json!([]));
    assert_eq!(v["messages"]["recorded"], true);
    // The chain head is the one `incident head` prints.
    let head = env.ok(&at(500), "viewer", &["incident", "head", ID]).stdout;
    assert_eq!(v["chain"]["head"], head.trim());
    assert_eq!(v["chain"]["verified"], true);
}

/// A plain note keeps the details it always had; a section is refused when
/// unknown.
fn notes_with_and_without_sections(env: &Env) {
    env.ok(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2021-44228",
            "--priority",
            "P1",
        ],
    );
    env.ok(&at(1), "alice", &["incident", "note", ID, "plain"]);
    env.ok(
        &at(2),
        "alice",
        &["incident", "note", ID, "--section", "lessons", "learned"],
    );
    let e = env.refused(
        &at(3),
        "alice",
        &["incident", "note", ID, "--section", "gossip", "x"],
    );
    assert!(e.contains("unknown post-mortem section \"gossip\""), "{e}");
    let t = env.json(&at(4), &["incident", "timeline", ID, "--format", "json"]);
    let notes: Vec<&Value> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "note")
        .collect();
    assert_eq!(notes[0]["details"], serde_json::json!({"text": "plain"}));
    assert_eq!(
        notes[1]["details"],
        serde_json::json!({"text": "learned", "section": "lessons"})
    );
    // An open incident's post-mortem says it is not over, and takes the time
    // from CVERUN_NOW.
    let md = env
        .ok(&at(60), "viewer", &["incident", "postmortem", ID])
        .stdout;
    assert!(
        md.contains("> The incident is not over (CONTAINMENT): this post-mortem is as of 2026-11-23 13:00 UTC"),
        "{md}"
    );
    assert!(
        md.contains("- learned (alice, 2026-11-23 12:02 UTC)"),
        "{md}"
    );
    assert!(
        md.contains("_Nothing recorded (section `root-cause`)._"),
        "{md}"
    );
}

/// An overdue action item is recorded once by tick (however often it runs),
/// shown by `show`, `list` and `action list --overdue`, and no longer overdue
/// once done.
fn overdue_action_fires_once(env: &Env) {
    env.ok(
        &at(0),
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2021-44228",
            "--priority",
            "P2",
            "--commander",
            "alice",
        ],
    );
    let e = env.refused(
        &at(1),
        "alice",
        &[
            "incident", "action", "add", ID, "--owner", "mallory", "--due", "1h", "x",
        ],
    );
    assert!(e.contains("\"mallory\" is not in the roster"), "{e}");
    let e = env.refused(
        &at(1),
        "alice",
        &[
            "incident",
            "action",
            "add",
            ID,
            "--owner",
            "bob",
            "--due",
            "2026-11-23T11:00:00Z",
            "x",
        ],
    );
    assert!(e.contains("is in the past"), "{e}");
    env.ok(
        &at(1),
        "alice",
        &[
            "incident",
            "action",
            "add",
            ID,
            "--owner",
            "bob",
            "--due",
            "1h",
            "Rotate the keys",
        ],
    );
    // Not due yet at 12:30.
    let t = env.json(&at(30), &["incident", "tick", "--format", "json"]);
    assert!(!t.to_string().contains("action-overdue"), "{t}");
    for _ in 0..3 {
        env.ok(&at(90), "cron", &["incident", "tick"]);
    }
    let t = env.json(&at(95), &["incident", "timeline", ID, "--format", "json"]);
    let fired: Vec<&Value> = t["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "action-overdue")
        .collect();
    assert_eq!(fired.len(), 1, "fired once: {t:#}");
    assert_eq!(fired[0]["details"]["clock"], "action:1");
    assert_eq!(fired[0]["details"]["owner"], "bob");
    assert_eq!(fired[0]["at"], "2026-11-23T13:30:00Z");
    let show = env.json(&at(95), &["incident", "show", ID, "--format", "json"]);
    assert_eq!(show["overdue_actions"], serde_json::json!(["ACTION-1"]));
    let text = env.ok(&at(95), "viewer", &["incident", "show", ID]).stdout;
    assert!(text.contains("OVERDUE by 34m"), "{text}");
    let list = env.json(&at(95), &["incident", "list", "--format", "json"]);
    assert_eq!(list["overdue_actions"][0]["id"], "ACTION-1");
    let l = env.json(
        &at(95),
        &[
            "incident",
            "action",
            "list",
            "--overdue",
            "--format",
            "json",
        ],
    );
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    env.ok(&at(100), "bob", &["incident", "action", "done", ID, "1"]);
    let e = env.refused(
        &at(101),
        "bob",
        &["incident", "action", "done", ID, "ACTION-1"],
    );
    assert!(e.contains("was already done by bob"), "{e}");
    let l = env.json(
        &at(102),
        &[
            "incident",
            "action",
            "list",
            "--overdue",
            "--format",
            "json",
        ],
    );
    assert_eq!(l["items"], serde_json::json!([]));
    let l = env.json(
        &at(102),
        &["incident", "action", "list", ID, "--format", "json"],
    );
    assert_eq!(l["items"][0]["status"], "done");
}

both_backends!(
    team;
    postmortem_markdown,
    postmortem_json,
    notes_with_and_without_sections,
    overdue_action_fires_once,
);
