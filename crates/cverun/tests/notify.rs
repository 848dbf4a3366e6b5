//! `cverun notify` through the real binary: messages queued on the state
//! directory's SQLite store (as the router would, with `Store::enqueue`),
//! delivered by `cverun notify run` to real receivers on loopback, listed,
//! replayed.

mod common;

use std::path::Path;

use common::{Run, bin};
use cverun_incident::store::Clock;
use cverun_incident::{Keyring, MessageId, NewMessage, Store};
use cverun_notify::channel::OutgoingMessage;
use cverun_notify::template::context;
use cverun_testkit::{Behaviour, HttpServer};
use serde_json::Value;

const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn cverun(dir: &Path, args: &[&str]) -> Run {
    let out = bin()
        .current_dir(dir)
        .env_remove("CVERUN_NOW")
        .env("CVERUN_ACTOR", "alice")
        .env("CVERUN_TEST_NOTIFY_WHSEC", WHSEC)
        .env_remove("CVERUN_DATABASE_URL")
        .env_remove("CVERUN_INCIDENT_KEY")
        .env_remove("CVERUN_INCIDENT_KEY_FILE")
        .env_remove("CVERUN_NOTIFY_RETRY_BASE")
        .env_remove("CVERUN_NOTIFY_RETRY_CAP")
        .env_remove("CVERUN_NOTIFY_MAX_ATTEMPTS")
        .env_remove("CVERUN_NOTIFY_MAX_AGE")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(r: &Run) -> &Run {
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    r
}

fn reply(status: u16, body: &str) -> Behaviour {
    Behaviour::Reply {
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    }
}

/// A state directory with an incident declared on the real clock; its id.
fn declared(dir: &Path) -> String {
    let r = cverun(
        dir,
        &[
            "incident",
            "declare",
            "--advisory",
            "GHSA-9wx4-h78v-vm56",
            "--priority",
            "P1",
            "--title",
            "requests leaks credentials",
        ],
    );
    ok(&r);
    r.stdout
        .split_whitespace()
        .find(|w| w.starts_with("INC-"))
        .unwrap()
        .to_owned()
}

/// Queues a message per (channel, key) on the state directory's store.
fn enqueue(dir: &Path, id: &str, items: &[(&str, &str)]) -> Vec<MessageId> {
    let state = dir.join(".cverun");
    let keys = Keyring::load(&state, false).unwrap();
    let mut store = Store::sqlite(&state.join("incidents.sqlite3"), Clock::System, keys).unwrap();
    let inc = store.load(id).unwrap().state.unwrap();
    let ctx = context(&inc, jiff::Timestamp::now(), None);
    let messages = items
        .iter()
        .map(|(channel, key)| {
            let m = OutgoingMessage::prepare(key, "status", None, &ctx).unwrap();
            NewMessage {
                channel: (*channel).into(),
                kind: "status".into(),
                audience: "war-room".into(),
                subject: Some(m.subject().to_owned()),
                body: m.to_body(),
                key: Some((*key).into()),
                ..NewMessage::default()
            }
        })
        .collect();
    store.enqueue(id, "alice", messages).unwrap().1
}

fn runbook(dir: &Path, server: &HttpServer, extra: &str) {
    std::fs::write(
        dir.join(".cverun/runbook.toml"),
        format!(
            r#"
[notify.channel.hooks]
kind = "webhook"
url = "{url}/ok"
secret-env = "CVERUN_TEST_NOTIFY_WHSEC"

[notify.channel.gone]
kind = "webhook"
url = "{url}/gone"
secret-env = "CVERUN_TEST_NOTIFY_WHSEC"
{extra}"#,
            url = server.url()
        ),
    )
    .unwrap();
}

const QUICK: &[&str] = &[
    "--timeout",
    "1",
    "--lease",
    "5",
    "--retry-base",
    "0.05",
    "--retry-cap",
    "0.1",
    "--max-attempts",
    "3",
];

fn run(dir: &Path, more: &[&str]) -> Run {
    let mut a = vec!["notify", "run"];
    a.extend_from_slice(QUICK);
    a.extend_from_slice(more);
    cverun(dir, &a)
}

fn ids_received(server: &HttpServer, path: &str) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| r.headers["webhook-id"].clone())
        .collect()
}

#[test]
fn run_delivers_lists_dead_letters_and_replays() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let server = HttpServer::start();
    server.behave("/ok", reply(200, "ok"));
    server.behave("/gone", reply(410, "no such hook"));
    let id = declared(dir);
    runbook(dir, &server, "");
    let m = enqueue(
        dir,
        &id,
        &[("hooks", "cli-1"), ("gone", "cli-2"), ("hooks", "cli-3")],
    );

    // One dead: exit 1, said on stdout.
    let r = run(dir, &["--worker", "ci-worker"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains(&format!("{} via gone: dead (HTTP 410: no such hook)", m[1])),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("2 delivered, 0 to retry, 1 dead, 0 unknown"),
        "{}",
        r.stdout
    );
    assert_eq!(ids_received(&server, "/ok"), ["cli-1", "cli-3"]);

    // Nothing left: exit 0.
    let r = ok(&run(dir, &[])).stdout.clone();
    assert!(r.contains("0 sent"), "{r}");

    // list --state dead: the table, and JSON.
    let t = ok(&cverun(dir, &["notify", "list", "--status", "dead"]))
        .stdout
        .clone();
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 2, "{t}");
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("LAST ERROR"),
        "{t}"
    );
    assert!(
        lines[1].starts_with(m[1].as_str())
            && lines[1].contains("gone")
            && lines[1].contains("status")
            && lines[1].contains("dead")
            && lines[1].contains("HTTP 410"),
        "{t}"
    );
    let j: Value = serde_json::from_str(
        &ok(&cverun(
            dir,
            &["notify", "list", "--json", "--incident", &id.to_lowercase()],
        ))
        .stdout,
    )
    .unwrap();
    assert_eq!(j["schema"], "cverun.notify-list/1");
    let msgs = j["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[1]["state"], "dead");
    assert_eq!(msgs[1]["key"], "cli-2");
    assert_eq!(msgs[1]["attempts"], 1);
    assert_eq!(msgs[0]["state"], "delivered");

    // attempts: the worker's name, the status, the response's hash.
    let a: Value = serde_json::from_str(
        &ok(&cverun(
            dir,
            &["notify", "attempts", m[0].as_str(), "--json"],
        ))
        .stdout,
    )
    .unwrap();
    assert_eq!(a["schema"], "cverun.notify-attempts/1");
    assert_eq!(a["attempts"][0]["worker"], "ci-worker");
    assert_eq!(a["attempts"][0]["status"], 200);
    assert_eq!(a["attempts"][0]["outcome"], "delivered");
    assert_eq!(
        a["attempts"][0]["response_sha256"],
        cverun_testkit::sha256_hex(b"ok")
    );
    let t = ok(&cverun(dir, &["notify", "attempts", m[1].as_str()]))
        .stdout
        .clone();
    assert!(t.contains("dead") && t.contains("410"), "{t}");

    // The receiver is fixed; replay: same key, delivered.
    server.behave("/gone", reply(200, "ok"));
    let r = ok(&cverun(dir, &["notify", "replay", m[1].as_str()]))
        .stdout
        .clone();
    assert!(r.contains("same key cli-2"), "{r}");
    let r = ok(&run(dir, &[])).stdout.clone();
    assert!(r.contains("1 delivered"), "{r}");
    assert_eq!(ids_received(&server, "/gone"), ["cli-2", "cli-2"]);
    let t = ok(&cverun(dir, &["notify", "list", "--status", "dead"]))
        .stdout
        .clone();
    assert_eq!(t.trim(), "no messages");

    // A replay of a delivered message is refused.
    let r = cverun(dir, &["notify", "replay", m[1].as_str()]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
}

#[test]
fn configuration_errors_exit_2_and_keep_the_messages() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let server = HttpServer::start();
    server.behave("/ok", reply(200, "ok"));
    let id = declared(dir);

    // No runbook file.
    let r = run(dir, &[]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no runbook file"), "{}", r.stderr);

    // A secret written inline: the line and key named, the value never.
    std::fs::write(
        dir.join(".cverun/runbook.toml"),
        "[notify.channel.chat]\nkind = \"slack\"\nurl = \"https://hooks.slack.com/services/T0/B0/SUPERSECRET\"\n",
    )
    .unwrap();
    let r = run(dir, &[]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("runbook.toml line 3: channel \"chat\": key \"url\"")
            && r.stderr.contains("url-env"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("SUPERSECRET"));

    // A channel the messages name but the file does not; one whose secret is
    // not set; a GitHub channel naming no repository (owner/name).
    std::fs::write(dir.join(".cverun/gh-token"), "ghp_test\n").unwrap();
    runbook(
        dir,
        &server,
        "[notify.channel.chat]\nkind = \"slack\"\nurl-env = \"CVERUN_TEST_NOTIFY_UNSET\"\n[notify.channel.gh]\nkind = \"github\"\nrepository = \"payments\"\nissue = 42\ntoken-file = \"gh-token\"\n",
    );
    let m = enqueue(
        dir,
        &id,
        &[
            ("nowhere", "cfg-1"),
            ("chat", "cfg-2"),
            ("gh", "cfg-3"),
            ("hooks", "cfg-4"),
        ],
    );
    let r = run(dir, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("CVERUN_TEST_NOTIFY_UNSET is not set"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("channel \"gh\" (github): github: repository \"payments\" is owner/name"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("channel \"nowhere\" is not configured"),
        "{}",
        r.stderr
    );
    // The others are delivered; the three wait (retry), not dead.
    assert_eq!(ids_received(&server, "/ok"), ["cfg-4"]);
    let j: Value =
        serde_json::from_str(&ok(&cverun(dir, &["notify", "list", "--json"])).stdout).unwrap();
    for (i, want) in ["retry", "retry", "retry", "delivered"].iter().enumerate() {
        let row = j["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == m[i].as_str())
            .unwrap();
        assert_eq!(row["state"], *want, "{row}");
    }
    // A bad option is a configuration error too.
    let r = cverun(dir, &["notify", "run", "--timeout", "30", "--lease", "60"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("three send timeouts"), "{}", r.stderr);
}
