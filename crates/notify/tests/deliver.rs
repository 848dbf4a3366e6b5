//! The delivery worker against real receivers on loopback (the testkit HTTP
//! server), over a real SQLite store, and over PostgreSQL when
//! `CVERUN_TEST_POSTGRES_URL` names a server (else reported as skipped).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use cverun_incident::store::Clock;
use cverun_incident::{
    AssignedPriority, Declaration, Key, Keyring, MessageFilter, MessageId, MessageState,
    NewMessage, Priority, Runbook, Store,
};
use cverun_notify::channel::slack::SlackConfig;
use cverun_notify::channel::webhook::WebhookConfig;
use cverun_notify::channel::{Channel, Lookup, Outcome, OutgoingMessage, Secret};
use cverun_notify::config::BoxChannel;
use cverun_notify::deliver::{RetryPolicy, Worker};
use cverun_notify::template::context;
use cverun_testkit::{Behaviour, HttpServer};

const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Behaviour {
    Behaviour::Reply {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

fn keys() -> Keyring {
    Keyring::new(Some(Key::from_bytes(vec![0x42; 32]).unwrap()), vec![])
}

/// Declares an incident on the real clock; returns its id and the data its
/// messages are rendered from.
fn declare(store: &mut Store, title: &str) -> (String, serde_json::Value) {
    let d = Declaration {
        advisory: "GHSA-jfh8-c2jp-5v3q".into(),
        priority: AssignedPriority::declared_by(Priority::P1, "alice"),
        title: Some(title.into()),
        description: None,
        commander: None,
        services: vec!["checkout".into()],
        published: None,
        detected: None,
        aliases: Vec::new(),
        scope: None,
        duplicate: Some(cverun_incident::event::Duplicate::Allowed(
            "a test store".into(),
        )),
    };
    let inc = store
        .declare(&d, &Runbook::default(), "alice")
        .expect("declare")
        .incident;
    let ctx = context(&inc, jiff::Timestamp::now(), None);
    (inc.id, ctx)
}

fn queue(
    store: &mut Store,
    id: &str,
    ctx: &serde_json::Value,
    items: &[(&str, &str)],
) -> Vec<MessageId> {
    let messages = items
        .iter()
        .map(|(channel, key)| {
            let m = OutgoingMessage::prepare(key, "status", None, ctx).unwrap();
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
    store.enqueue(id, "alice", messages).expect("enqueue").1
}

fn webhook(server: &HttpServer, path: &str) -> BoxChannel {
    Box::new(
        WebhookConfig::new(
            Secret::new(format!("{}{path}", server.url())),
            &[Secret::new(WHSEC)],
        )
        .unwrap(),
    )
}

fn slack(server: &HttpServer, path: &str) -> BoxChannel {
    Box::new(SlackConfig::new(Secret::new(format!("{}{path}", server.url()))).unwrap())
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(50),
        max_attempts: 10,
        max_age: Duration::from_secs(600),
        max_retry_after: Duration::from_secs(5),
    }
}

fn worker(channels: BTreeMap<String, BoxChannel>) -> Worker {
    let mut w = Worker::new("test-worker", channels);
    w.policy = quick();
    w.timeout = Duration::from_millis(400);
    w.lease = Duration::from_secs(2);
    w.seed(7);
    w
}

fn state(store: &mut Store, id: &MessageId) -> (MessageState, Option<String>) {
    let m = store
        .messages(&MessageFilter::default())
        .unwrap()
        .into_iter()
        .find(|m| &m.id == id)
        .unwrap();
    (m.state, m.last_error)
}

/// Webhook ids received at `path`, in order of receipt.
fn received(server: &HttpServer, path: &str) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| {
            r.headers
                .get("webhook-id")
                .cloned()
                .unwrap_or_else(|| String::from_utf8_lossy(&r.body).into_owned())
        })
        .collect()
}

/// Delivered, retried until delivered, dead on a permanent refusal, order
/// kept per incident and channel, attempts recorded.
fn delivers_retries_and_dead_letters(store: &mut Store) {
    let server = HttpServer::start();
    server.behave("/ok", reply(200, &[], "ok"));
    server.behave("/flaky", reply(503, &[], "try later"));
    server.behave("/gone", reply(410, &[], "endpoint removed"));
    let (a, ctx) = declare(store, "first");
    let (b, ctx_b) = declare(store, "second");
    let ids = queue(
        store,
        &a,
        &ctx,
        &[
            ("hooks", "a-hook-1"),
            ("flaky", "a-flaky-1"),
            ("flaky", "a-flaky-2"),
            ("gone", "a-gone-1"),
            ("hooks", "a-hook-2"),
        ],
    );
    let ids_b = queue(store, &b, &ctx_b, &[("hooks", "b-hook-1")]);
    let mut channels = BTreeMap::new();
    channels.insert("hooks".to_owned(), webhook(&server, "/ok"));
    channels.insert("flaky".to_owned(), webhook(&server, "/flaky"));
    channels.insert("gone".to_owned(), webhook(&server, "/gone"));
    let w = worker(channels);

    // Two tries of the flaky one fail; then it answers.
    let first = w.run_once(store).unwrap();
    assert_eq!(first.leased, 4, "one per incident and channel: {first:?}");
    assert_eq!(state(store, &ids[0]).0, MessageState::Delivered);
    assert_eq!(state(store, &ids_b[0]).0, MessageState::Delivered);
    let (s, why) = state(store, &ids[1]);
    assert_eq!(s, MessageState::Retry);
    assert_eq!(why.as_deref(), Some("HTTP 503: try later"));
    let (s, why) = state(store, &ids[3]);
    assert_eq!(s, MessageState::Dead);
    assert!(why.unwrap().contains("HTTP 410"));
    assert!(first.failed());
    // The flaky pair holds its second message back.
    assert!(received(&server, "/flaky").iter().all(|k| k == "a-flaky-1"));

    std::thread::sleep(Duration::from_millis(60));
    w.run_until_idle(store).unwrap();
    server.behave("/flaky", reply(200, &[], "ok"));
    std::thread::sleep(Duration::from_millis(60));
    let last = w.run_until_idle(store).unwrap();
    assert!(!last.failed(), "{last:?}");
    for id in [&ids[0], &ids[1], &ids[2], &ids[4], &ids_b[0]] {
        assert_eq!(state(store, id).0, MessageState::Delivered, "{id}");
    }
    // Order of receipt within the pair: 1 (retried) then 2.
    let flaky = received(&server, "/flaky");
    let firsts: Vec<&String> = flaky.iter().fold(Vec::new(), |mut v: Vec<&String>, k| {
        if !v.contains(&k) {
            v.push(k);
        }
        v
    });
    assert_eq!(firsts, ["a-flaky-1", "a-flaky-2"]);
    assert!(flaky.len() >= 3, "{flaky:?}");
    assert_eq!(received(&server, "/ok").len(), 3);

    // Every attempt recorded: statuses, the response's hash, no secret.
    let attempts = store.attempts(&ids[1]).unwrap();
    assert_eq!(attempts.len(), flaky.len() - 1);
    assert_eq!(attempts[0].status, Some(503));
    assert_eq!(attempts[0].outcome, MessageState::Retry);
    let done = attempts.last().unwrap();
    assert_eq!(done.status, Some(200));
    assert_eq!(
        done.response_sha256.as_deref(),
        Some(cverun_testkit::sha256_hex(b"ok").as_str())
    );
    assert_eq!(done.worker, "test-worker");
    for a in store.attempts(&ids[3]).unwrap() {
        assert!(!format!("{a:?}").contains(WHSEC));
    }
}

#[test]
fn sqlite_delivers_retries_and_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let mut store =
        Store::sqlite(&dir.path().join("incidents.sqlite3"), Clock::System, keys()).unwrap();
    delivers_retries_and_dead_letters(&mut store);
}

#[test]
fn postgres_delivers_retries_and_dead_letters() {
    static N: AtomicU32 = AtomicU32::new(0);
    let Some(admin) =
        cverun_testkit::postgres_url("deliver::postgres_delivers_retries_and_dead_letters")
    else {
        return;
    };
    let schema = format!(
        "cverun_notify_test_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).expect("connect");
    c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let sep = if admin.contains('?') { '&' } else { '?' };
    let url = format!("{admin}{sep}options=-csearch_path%3D{schema}");
    let result = std::panic::catch_unwind(|| {
        let mut store = Store::postgres(&url, Clock::System, keys()).unwrap();
        delivers_retries_and_dead_letters(&mut store);
    });
    let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

fn sqlite() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store =
        Store::sqlite(&dir.path().join("incidents.sqlite3"), Clock::System, keys()).unwrap();
    (dir, store)
}

#[test]
fn unknown_outcomes_resend_only_where_duplicates_are_dropped() {
    let (_dir, mut store) = sqlite();
    let server = HttpServer::start();
    server.behave("/silent-hook", Behaviour::Silent);
    server.behave("/silent-slack", Behaviour::Silent);
    let (id, ctx) = declare(&mut store, "silence");
    let ids = queue(
        &mut store,
        &id,
        &ctx,
        &[("hooks", "u-hook-1"), ("chat", "u-chat-1")],
    );
    let mut channels = BTreeMap::new();
    channels.insert("hooks".to_owned(), webhook(&server, "/silent-hook"));
    channels.insert("chat".to_owned(), slack(&server, "/silent-slack"));
    let w = worker(channels);
    let r = w.run_once(&mut store).unwrap();
    assert_eq!(r.leased, 2);
    // The webhook receiver drops a second copy: retried.
    let (s, why) = state(&mut store, &ids[0]);
    assert_eq!(s, MessageState::Retry);
    assert!(why.unwrap().contains("sent again"));
    // A Slack incoming webhook cannot be asked: a person decides.
    let (s, why) = state(&mut store, &ids[1]);
    assert_eq!(s, MessageState::Unknown);
    assert!(
        why.unwrap().contains("notify replay"),
        "unknown, with what to do"
    );
    assert!(r.failed());
    // Unknown is never retried on its own.
    std::thread::sleep(Duration::from_millis(60));
    server.behave("/silent-slack", reply(200, &[], "ok"));
    server.behave("/silent-hook", reply(200, &[], "ok"));
    w.run_until_idle(&mut store).unwrap();
    assert_eq!(state(&mut store, &ids[1]).0, MessageState::Unknown);
    assert_eq!(state(&mut store, &ids[0]).0, MessageState::Delivered);
    // Replayed by a person: sent again with the same key, delivered.
    store.replay(&ids[1], "alice").unwrap();
    w.run_until_idle(&mut store).unwrap();
    assert_eq!(state(&mut store, &ids[1]).0, MessageState::Delivered);
}

/// A channel with a lookup: a receiver keeping what it got by key, asked
/// with `GET /ledger/<key>` (200 found, 404 not found).
struct Ledger {
    base: String,
}

impl Channel for Ledger {
    fn kind(&self) -> &'static str {
        "ledger"
    }

    fn send(&self, msg: &OutgoingMessage, timeout: Duration) -> Outcome {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build()
            .into();
        match agent
            .post(format!("{}/ledger", self.base))
            .send(msg.key.as_bytes())
        {
            Ok(r) if r.status().is_success() => Outcome::Delivered {
                status: r.status().as_u16(),
                latency_ms: 1,
                response_sha256: cverun_testkit::sha256_hex(b""),
            },
            Ok(r) => Outcome::Retry {
                after: None,
                status: r.status().as_u16(),
                reason: "refused".into(),
            },
            Err(e) => Outcome::Unknown {
                reason: e.to_string(),
            },
        }
    }

    fn find_sent(&self, msg: &OutgoingMessage, timeout: Duration) -> Lookup {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .build()
            .into();
        match agent
            .get(format!("{}/ledger/{}", self.base, msg.key))
            .call()
        {
            Ok(r) if r.status().as_u16() == 200 => Lookup::Found,
            Ok(r) if r.status().as_u16() == 404 => Lookup::NotFound,
            Ok(r) => Lookup::Failed {
                reason: format!("HTTP {}", r.status()),
            },
            Err(e) => Lookup::Failed {
                reason: e.to_string(),
            },
        }
    }
}

#[test]
fn a_lease_ended_without_a_record_is_looked_up_or_sent_again() {
    let (_dir, mut store) = sqlite();
    let server = HttpServer::start();
    server.behave("/ledger", reply(200, &[], "ok"));
    server.behave("/hook", reply(200, &[], "ok"));
    let (id, ctx) = declare(&mut store, "crash");
    let ids = queue(
        &mut store,
        &id,
        &ctx,
        &[("ledger", "l-1"), ("ledger", "l-2"), ("hooks", "h-1")],
    );
    // A worker leases all three, sends l-1 and h-1, and dies before recording.
    let dead_worker = store
        .lease("w-dead", 10, Duration::from_millis(150))
        .unwrap();
    assert_eq!(dead_worker.len(), 2);
    let ledger = Ledger {
        base: server.url().to_owned(),
    };
    let hook = WebhookConfig::new(
        Secret::new(format!("{}/hook", server.url())),
        &[Secret::new(WHSEC)],
    )
    .unwrap();
    for l in &dead_worker {
        let msg = OutgoingMessage::from_body(&l.body).unwrap();
        let o = if l.channel == "ledger" {
            ledger.send(&msg, Duration::from_secs(2))
        } else {
            hook.send(&msg, Duration::from_secs(2))
        };
        assert!(matches!(o, Outcome::Delivered { .. }), "{o:?}");
    }
    // The ledger received l-1.
    server.serve("/ledger/l-1", b"received".to_vec());
    std::thread::sleep(Duration::from_millis(200));

    let mut channels: BTreeMap<String, BoxChannel> = BTreeMap::new();
    channels.insert(
        "ledger".into(),
        Box::new(Ledger {
            base: server.url().to_owned(),
        }),
    );
    channels.insert("hooks".into(), webhook(&server, "/hook"));
    let w = worker(channels);
    let r = w.run_until_idle(&mut store).unwrap();
    assert!(!r.failed(), "{r:?}");
    for m in &ids {
        assert_eq!(state(&mut store, m).0, MessageState::Delivered, "{m}");
    }
    // l-1 found by the lookup: not sent twice; l-2 sent once.
    let posts: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/ledger" && r.method == "POST")
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect();
    assert_eq!(posts, ["l-1", "l-2"]);
    // The webhook (deduplicating, no lookup) was sent again with the same id.
    assert_eq!(received(&server, "/hook"), ["h-1", "h-1"]);
    // The lookup's success is recorded as the attempt (no status: nothing sent).
    let a = store.attempts(&ids[0]).unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!((a[0].outcome, a[0].status), (MessageState::Delivered, None));
}

#[test]
fn configuration_errors_keep_messages_and_bad_bodies_die() {
    let (_dir, mut store) = sqlite();
    let server = HttpServer::start();
    server.behave("/ok", reply(200, &[], "ok"));
    let (id, ctx) = declare(&mut store, "config");
    let ids = queue(
        &mut store,
        &id,
        &ctx,
        &[("missing", "c-1"), ("broken", "c-2")],
    );
    let bad = store
        .enqueue(
            &id,
            "alice",
            vec![NewMessage {
                channel: "hooks".into(),
                kind: "status".into(),
                audience: "war-room".into(),
                subject: None,
                body: "{\"not\": \"a message\"}".into(),
                key: Some("c-3".into()),
                ..NewMessage::default()
            }],
        )
        .unwrap()
        .1;
    let mut channels = BTreeMap::new();
    channels.insert("hooks".to_owned(), webhook(&server, "/ok"));
    let mut w = worker(channels);
    w.source = "ops/runbook.toml".into();
    w.broken
        .insert("broken".into(), "environment variable X is not set".into());
    let r = w.run_until_idle(&mut store).unwrap();
    assert_eq!(r.config_errors.len(), 2, "{r:?}");
    assert!(r.config_errors[0].contains("\"missing\" is not configured in ops/runbook.toml"));
    let (s, why) = state(&mut store, &ids[0]);
    assert_eq!(s, MessageState::Retry);
    assert!(why.unwrap().starts_with("configuration error"));
    let (s, why) = state(&mut store, &ids[1]);
    assert_eq!(s, MessageState::Retry);
    assert!(why.unwrap().contains("X is not set"));
    let (s, why) = state(&mut store, &bad[0]);
    assert_eq!(s, MessageState::Dead);
    assert!(why.unwrap().contains("cannot be sent"), "bad body");
    assert!(server.requests().is_empty());
    // Many runs later, a configuration error has still not killed anything.
    for _ in 0..6 {
        std::thread::sleep(Duration::from_millis(60));
        w.run_until_idle(&mut store).unwrap();
    }
    assert_eq!(state(&mut store, &ids[0]).0, MessageState::Retry);
}

#[test]
fn pairs_are_sent_concurrently() {
    let (_dir, mut store) = sqlite();
    let server = HttpServer::start();
    // Each answer takes about 0.5 s (10 bytes, 50 ms apart).
    for p in ["/a", "/b", "/c", "/d"] {
        server.serve(p, b"0123456789".to_vec());
        server.behave(p, Behaviour::Dribble(Duration::from_millis(50)));
    }
    let (id, ctx) = declare(&mut store, "slow");
    let ids = queue(
        &mut store,
        &id,
        &ctx,
        &[("a", "p-a"), ("b", "p-b"), ("c", "p-c"), ("d", "p-d")],
    );
    let mut channels = BTreeMap::new();
    for c in ["a", "b", "c", "d"] {
        channels.insert(c.to_owned(), webhook(&server, &format!("/{c}")));
    }
    let mut w = worker(channels);
    w.timeout = Duration::from_secs(3);
    w.lease = Duration::from_secs(10);
    w.threads = 4;
    let start = std::time::Instant::now();
    let r = w.run_once(&mut store).unwrap();
    let took = start.elapsed();
    assert_eq!(r.count(MessageState::Delivered), 4, "{r:?}");
    for m in &ids {
        assert_eq!(state(&mut store, m).0, MessageState::Delivered);
    }
    // Each answer was slow, and one after the other would take 2 s or more.
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_millis(1600), "{took:?}");
}
