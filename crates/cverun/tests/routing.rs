//! Routing through the real binary: a runbook file with channels, audiences,
//! routes and a roster; declare, advance, record an impact, escalate through
//! `incident tick` on a simulated clock (`CVERUN_NOW`), and check the outbox rows
//! and the `message-queued` events of the timeline; the main case also against
//! the PostgreSQL server of `CVERUN_TEST_POSTGRES_URL` (skipped visibly without it).

mod common;

use common::{Run, bin};
use serde_json::Value;

const RUNBOOK: &str = r#"
[[person]]
handle = "alice"
name = "Alice Martin"
roles = ["commander", "security-lead"]
contact = { email = "alice@example.com", slack = "@alice" }

[[person]]
handle = "erin"
name = "Erin Exec"
roles = ["executive"]
contact = { email = "erin@example.com" }

[[person]]
handle = "lee"
name = "Lee Counsel"
roles = ["legal"]

[notify.channel.war-room]
kind = "slack"
url-env = "CVERUN_SLACK_URL"
[notify.channel.mail]
kind = "email"
host = "smtp.example.com"
port = 587
tls = "starttls"
from = "cverun <incidents@example.com>"
[notify.channel.pager]
kind = "pagerduty"
routing-key-env = "CVERUN_PD_KEY"

[notify.audience.on-call]
roles = ["commander", "technical-lead"]
channels = ["pager", "mail"]
[notify.audience.escalation-targets]
channels = ["mail"]
[notify.audience.executive-legal]
roles = ["executive", "legal"]
channels = ["mail"]

[[notify.route]]
on = "declared"
template = "kickoff"
to = ["war-room", "on-call"]

[[notify.route]]
on = "phase-changed"
template = "status"
to = ["war-room"]

[[notify.route]]
on = "escalated"
template = "escalation"
to = ["escalation-targets"]

[[notify.route]]
on = "impact"
impact = "customer-data"
template = "executive-brief"
to = ["executive-legal"]

[[notify.route]]
on = "resolved"
template = "resolution"
to = ["war-room"]
"#;

const ID: &str = "INC-2026-11-23-1";

struct Env {
    dir: tempfile::TempDir,
    /// A PostgreSQL store: (admin URL, schema, URL in the schema).
    postgres: Option<(String, String, String)>,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some((admin, schema, _)) = &self.postgres {
            if let Ok(mut c) = ::postgres::Client::connect(admin, ::postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

impl Env {
    fn new(runbook: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join(".cverun");
        std::fs::create_dir_all(&state).unwrap();
        std::fs::write(state.join("runbook.toml"), runbook).unwrap();
        Env {
            dir,
            postgres: None,
        }
    }

    /// The same on a fresh schema of the server of `CVERUN_TEST_POSTGRES_URL`,
    /// or `None` (reported as skipped) when it is not set.
    fn postgres(test: &str, runbook: &str) -> Option<Env> {
        let admin = cverun_testkit::postgres_url(test)?;
        let schema = format!("cverun_routing_{}", std::process::id());
        let mut c = ::postgres::Client::connect(&admin, ::postgres::NoTls)
            .unwrap_or_else(|e| panic!("CVERUN_TEST_POSTGRES_URL={admin}: {e}"));
        c.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .unwrap();
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{sep}options=-csearch_path%3D{schema}");
        let mut env = Env::new(runbook);
        env.postgres = Some((admin, schema, url));
        Some(env)
    }

    fn state(&self) -> std::path::PathBuf {
        self.dir.path().join(".cverun")
    }

    fn run(&self, now: &str, args: &[&str]) -> Run {
        let mut c = bin();
        c.current_dir(self.dir.path())
            .env("CVERUN_NOW", now)
            .env("CVERUN_ACTOR", "alice")
            .env_remove("CVERUN_DATABASE_URL")
            .env_remove("CVERUN_INCIDENT_KEY")
            .env_remove("CVERUN_INCIDENT_KEY_FILE");
        if let Some((_, _, url)) = &self.postgres {
            c.env("CVERUN_DATABASE_URL", url);
        }
        let out = c.args(args).output().expect("run cverun");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn ok(&self, now: &str, args: &[&str]) -> Run {
        let r = self.run(now, args);
        assert_eq!(r.code, 0, "{args:?}\n{}\n{}", r.stdout, r.stderr);
        r
    }

    fn declare(&self) -> Run {
        self.declare_with(&["--commander", "alice"])
    }

    fn declare_with(&self, more: &[&str]) -> Run {
        let mut args = vec![
            "incident",
            "declare",
            "--advisory",
            "GHSA-jfh8-c2jp-5v3q",
            "--priority",
            "P0",
            "--title",
            "log4shell in checkout",
        ];
        args.extend_from_slice(more);
        self.ok("2026-11-23T12:00:00Z", &args)
    }

    /// The outbox rows: (id, channel, template, key, body as JSON).
    fn outbox(&self) -> Vec<(String, String, String, String, Value)> {
        if let Some((_, _, url)) = &self.postgres {
            let mut c = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
            return c
                .query(
                    "SELECT id, channel, template, idempotency_key, body FROM outbox ORDER BY seq",
                    &[],
                )
                .unwrap()
                .into_iter()
                .map(|r| {
                    let body: String = r.get(4);
                    (
                        r.get(0),
                        r.get(1),
                        r.get(2),
                        r.get(3),
                        serde_json::from_str(&body).unwrap(),
                    )
                })
                .collect();
        }
        let path = self.state().join("incidents.sqlite3");
        if !path.exists() {
            return Vec::new();
        }
        let c = rusqlite::Connection::open(&path).unwrap();
        let mut st = c
            .prepare("SELECT id, channel, template, idempotency_key, body FROM outbox ORDER BY seq")
            .unwrap();
        st.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .unwrap()
        .map(|r| {
            let (id, ch, t, k, body) = r.unwrap();
            (id, ch, t, k, serde_json::from_str(&body).unwrap())
        })
        .collect()
    }

    /// The `message-queued` events of the timeline: (seq, channel, template, key).
    fn queued_events(&self) -> Vec<(u64, String, String, String)> {
        let r = self.ok(
            "2026-11-23T23:00:00Z",
            &["incident", "timeline", ID, "--format", "json"],
        );
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let mut out = Vec::new();
        find_queued(&v, &mut out);
        out
    }
}

/// Every object of kind `message-queued` in `v`, wherever the timeline puts it.
fn find_queued(v: &Value, out: &mut Vec<(u64, String, String, String)>) {
    match v {
        Value::Object(m) => {
            if m.get("kind").and_then(Value::as_str) == Some("message-queued") {
                let d = &m["details"];
                out.push((
                    m["seq"].as_u64().unwrap(),
                    d["channel"].as_str().unwrap().to_owned(),
                    d["template"].as_str().unwrap().to_owned(),
                    d["key"].as_str().unwrap().to_owned(),
                ));
                return;
            }
            m.values().for_each(|x| find_queued(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| find_queued(x, out)),
        _ => {}
    }
}

/// The messages a command says it queued, one `queued ID TEMPLATE → CHANNEL`
/// per `message ID queued: TEMPLATE to AUDIENCE via CHANNEL (...)` event line.
fn queued_lines(r: &Run) -> Vec<String> {
    r.stdout
        .lines()
        .filter_map(|l| {
            let rest = l.split_once("message ")?.1;
            let (id, rest) = rest.split_once(" queued: ")?;
            let (template, rest) = rest.split_once(" to ")?;
            let channel = rest.split_once(" via ")?.1.split_once(" (")?.0;
            Some(format!("queued {id} {template} \u{2192} {channel}"))
        })
        .collect()
}

#[test]
fn declare_advance_impact_and_tick_queue_what_the_runbook_routes() {
    queue_what_the_runbook_routes(&Env::new(RUNBOOK));
}

#[test]
fn declare_advance_impact_and_tick_queue_what_the_runbook_routes_on_postgres() {
    let Some(env) = Env::postgres(cverun_testkit::test_name!(), RUNBOOK) else {
        return;
    };
    queue_what_the_runbook_routes(&env);
}

fn queue_what_the_runbook_routes(env: &Env) {
    let r = env.declare();
    let queued = queued_lines(&r);
    assert_eq!(queued.len(), 3, "{}", r.stdout);
    assert!(
        queued[0].ends_with("kickoff \u{2192} war-room"),
        "{queued:?}"
    );
    assert!(queued[1].ends_with("kickoff \u{2192} pager"), "{queued:?}");
    assert!(queued[2].ends_with("kickoff \u{2192} mail"), "{queued:?}");
    assert!(
        queued[0].starts_with(&format!("queued {ID}/")),
        "{queued:?}"
    );
    let rows = env.outbox();
    assert_eq!(rows.len(), 3);
    let mail = &rows[2];
    assert_eq!((mail.1.as_str(), mail.2.as_str()), ("mail", "kickoff"));
    assert_eq!(mail.3, format!("cverun-{ID}-1-mail-kickoff"));
    // The body is the prepared message: the key, the recipients from the roster
    // (alice holds commander; nobody holds or may hold technical-lead).
    assert_eq!(mail.4["key"], mail.3.as_str());
    assert_eq!(
        mail.4["recipients"],
        serde_json::json!(["alice@example.com"])
    );
    assert_eq!(mail.4["data"]["extra"]["event"]["kind"], "declared");
    assert_eq!(
        mail.4["data"]["extra"]["unreachable"][0]["name"],
        "role technical-lead"
    );
    assert!(
        r.stderr.contains("cannot reach: role technical-lead"),
        "{}",
        r.stderr
    );

    // A phase change: the status to the war room.
    let r = env.ok(
        "2026-11-23T12:10:00Z",
        &["incident", "advance", ID, "--force", "--reason", "drill"],
    );
    let queued = queued_lines(&r);
    assert_eq!(queued.len(), 1, "{}", r.stdout);
    assert!(
        queued[0].ends_with("status \u{2192} war-room"),
        "{queued:?}"
    );

    // Customer data: the brief to executive and legal; lee has no email.
    let r = env.ok(
        "2026-11-23T12:20:00Z",
        &["incident", "impact", ID, "customer-data"],
    );
    let queued = queued_lines(&r);
    assert!(
        queued
            .iter()
            .any(|l| l.ends_with("executive-brief \u{2192} mail")),
        "{queued:?}"
    );
    // The impact escalates too (to executive and legal).
    assert!(
        queued
            .iter()
            .any(|l| l.ends_with("escalation \u{2192} mail")),
        "{queued:?}"
    );
    assert!(
        r.stderr.contains("lee on mail: no contact.email"),
        "{}",
        r.stderr
    );
    let brief = env
        .outbox()
        .into_iter()
        .find(|r| r.2 == "executive-brief")
        .unwrap();
    assert_eq!(
        brief.4["recipients"],
        serde_json::json!(["erin@example.com"])
    );
    assert_eq!(brief.4["data"]["extra"]["unreachable"][0]["name"], "lee");

    // 2h after the declaration P0 escalates to executive: tick queues it.
    let before = env.outbox().len();
    let r = env.ok("2026-11-23T14:01:00Z", &["incident", "tick"]);
    assert!(r.stdout.contains("ESCALATED"), "{}", r.stdout);
    let queued = queued_lines(&r);
    assert!(
        queued
            .iter()
            .any(|l| l.ends_with("escalation \u{2192} mail")),
        "{}",
        r.stdout
    );
    let rows = env.outbox();
    assert_eq!(rows.len(), before + queued.len());
    // (Three missed updates escalate to the commander too.)
    let esc = rows[before..]
        .iter()
        .find(|r| {
            r.2 == "escalation"
                && r.4["data"]["extra"]["event"]["details"]["to"]
                    == serde_json::json!(["executive"])
        })
        .unwrap_or_else(|| panic!("{:?}", &rows[before..]));
    assert_eq!(esc.4["recipients"], serde_json::json!(["erin@example.com"]));
    assert_eq!(esc.4["data"]["extra"]["event"]["kind"], "escalated");
    // A second tick at the same time fires and queues nothing.
    let r = env.ok("2026-11-23T14:01:00Z", &["incident", "tick"]);
    assert!(queued_lines(&r).is_empty(), "{}", r.stdout);
    assert_eq!(env.outbox().len(), rows.len());

    // Every row has its signed message-queued event, with the same key.
    let events = env.queued_events();
    assert_eq!(events.len(), rows.len());
    for (row, ev) in rows.iter().zip(&events) {
        assert_eq!(row.0, format!("{ID}/{}", ev.0));
        assert_eq!((&row.1, &row.2, &row.3), (&ev.1, &ev.2, &ev.3));
    }
    let v = env.ok("2026-11-23T23:00:00Z", &["incident", "verify", ID]);
    assert_eq!(v.code, 0);
}

#[test]
fn a_routing_error_fails_the_command_before_anything_is_recorded() {
    let env = Env::new(RUNBOOK);
    env.declare();
    let n = env.outbox().len();
    let bad = RUNBOOK.replace("template = \"status\"", "template = \"statsu\"");
    std::fs::write(env.state().join("runbook.toml"), &bad).unwrap();
    let r = env.run(
        "2026-11-23T12:10:00Z",
        &["incident", "advance", ID, "--force", "--reason", "drill"],
    );
    assert_ne!(r.code, 0, "{}", r.stdout);
    let line = bad.lines().position(|l| l.contains("statsu")).unwrap() + 1;
    assert!(
        r.stderr
            .contains(&format!("runbook.toml:{line}: notify.route[2].template")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("no template \"statsu\""), "{}", r.stderr);
    // Nothing recorded: still in containment, no new message.
    let show = env.ok(
        "2026-11-23T12:11:00Z",
        &["incident", "show", ID, "--format", "json"],
    );
    let v: Value = serde_json::from_str(&show.stdout).unwrap();
    assert_eq!(v["incident"]["phase"], "containment", "{v}");
    assert_eq!(env.outbox().len(), n);
}

#[test]
fn without_routes_nothing_is_queued() {
    let no_routes = &RUNBOOK[..RUNBOOK.find("[[notify.route]]").unwrap()];
    let env = Env::new(no_routes);
    let r = env.declare();
    assert!(queued_lines(&r).is_empty(), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("has [notify] channels but no [[notify.route]]"),
        "{}",
        r.stderr
    );
    let r = env.ok("2026-11-23T14:01:00Z", &["incident", "tick"]);
    assert!(r.stdout.contains("ESCALATED"), "{}", r.stdout);
    assert!(env.outbox().is_empty());
    assert!(env.queued_events().is_empty());
    // And without a runbook file at all, the same.
    let plain = Env::new("");
    std::fs::remove_file(plain.state().join("runbook.toml")).unwrap();
    let r = plain.declare_with(&[]);
    assert!(queued_lines(&r).is_empty(), "{}", r.stdout);
    assert!(!r.stderr.contains("[notify]"), "{}", r.stderr);
    assert!(plain.outbox().is_empty());
}

#[test]
fn tick_queues_one_digest_per_period_listing_the_updates() {
    let with_digest = format!(
        "{RUNBOOK}\n[[notify.route]]\non = \"updated\"\ntemplate = \"digest\"\nto = [\"war-room\"]\ndigest = \"1h\"\n"
    );
    let env = Env::new(&with_digest);
    env.declare();
    for (at, m) in [
        ("2026-11-23T12:10:00Z", "looking"),
        ("2026-11-23T12:20:00Z", "found it"),
    ] {
        let r = env.ok(at, &["incident", "update", ID, m]);
        // A digest route queues nothing at the event.
        assert!(queued_lines(&r).is_empty(), "{}", r.stdout);
    }
    let r = env.ok("2026-11-23T12:30:00Z", &["incident", "tick"]);
    assert!(queued_lines(&r).is_empty(), "{}", r.stdout);
    let r = env.ok("2026-11-23T13:00:00Z", &["incident", "tick"]);
    let queued = queued_lines(&r);
    assert_eq!(queued.len(), 1, "{}", r.stdout);
    assert!(
        queued[0].ends_with("digest \u{2192} war-room"),
        "{queued:?}"
    );
    let digest = env.outbox().into_iter().find(|r| r.2 == "digest").unwrap();
    let events = digest.4["data"]["extra"]["digest"]["events"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["details"]["message"], "found it");
    // One per period: the next tick queues none.
    let r = env.ok("2026-11-23T13:01:00Z", &["incident", "tick"]);
    assert!(queued_lines(&r).is_empty(), "{}", r.stdout);
    // The digest's message-queued event is in the timeline.
    assert!(env.queued_events().iter().any(|e| e.2 == "digest"));
}
