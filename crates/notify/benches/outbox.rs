//! The outbox's cost and the delivery worker's speed. Run: `cargo bench -p
//! cverun-notify --bench outbox`. Prints figures; asserts nothing but success.
//!
//! - Enqueue overhead: the same note recorded N times with `Store::act` (no
//!   message), then with `Store::act_notifying` queueing one and four messages
//!   per event (a rendered status message, about 10 KB as JSON), on SQLite and,
//!   when `CVERUN_TEST_POSTGRES_URL` is set, on PostgreSQL. Per event, and the
//!   ratio to `act` of the same run (the machines are shared: compare ratios).
//! - Rendering: one message rendered for every target (what a route does per
//!   message, inside the transaction).
//! - Delivery throughput: M messages queued over several incidents, delivered by
//!   one worker to a Standard Webhooks receiver on loopback (a real HTTP server
//!   that answers 200), until none is due; messages per second.

use std::collections::BTreeMap;
use std::time::Instant;

use cverun_incident::{
    Action, AssignedPriority, Clock, Declaration, Key, Keyring, NewMessage, Priority, Runbook,
    Store, event::Duplicate,
};
use cverun_notify::channel::webhook::WebhookConfig;
use cverun_notify::channel::{OutgoingMessage, Secret};
use cverun_notify::deliver::Worker;
use cverun_notify::template;
use cverun_testkit::{Behaviour, HttpServer};

const EVENTS: usize = 300;
const DELIVERIES: usize = 1_000;
const INCIDENTS: usize = 20;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!("cverun outbox benchmark");
    let dir = tempfile::tempdir().expect("temporary directory");
    let open_sqlite = |name: &str| {
        Store::sqlite(
            &dir.path().join(name).join("incidents.sqlite3"),
            Clock::System,
            keys(),
        )
        .expect("SQLite store")
    };
    enqueue("SQLite", &mut || {
        open_sqlite(&format!("enqueue-{}", next()))
    });
    match std::env::var("CVERUN_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            enqueue("PostgreSQL", &mut || postgres_store(&url));
        }
        _ => println!("PostgreSQL: skipped (CVERUN_TEST_POSTGRES_URL is not set)"),
    }
    rendering();
    delivery(&mut open_sqlite("deliver"));
}

fn next() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn keys() -> Keyring {
    Keyring::new(Some(Key::from_bytes(vec![0x42; 32]).expect("key")), vec![])
}

/// A store in a schema of its own on the server of `url` (left behind: the
/// benchmark's database is scratch).
fn postgres_store(url: &str) -> Store {
    let schema = format!("cverun_bench_{}_{}", std::process::id(), next());
    let mut c = postgres::Client::connect(url, postgres::NoTls).expect("PostgreSQL");
    c.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
    ))
    .expect("schema");
    let sep = if url.contains('?') { '&' } else { '?' };
    Store::postgres(
        &format!("{url}{sep}options=-csearch_path%3D{schema}"),
        Clock::System,
        keys(),
    )
    .expect("PostgreSQL store")
}

fn declare(store: &mut Store) -> String {
    let d = Declaration {
        advisory: "GHSA-jfh8-c2jp-5v3q".into(),
        priority: AssignedPriority::declared_by(Priority::P1, "alice"),
        title: Some("log4shell in checkout".into()),
        description: None,
        commander: None,
        services: vec!["checkout".into(), "cart".into()],
        published: None,
        detected: None,
        aliases: vec!["CVE-2021-44228".into()],
        scope: None,
        duplicate: Some(Duplicate::Allowed("a benchmark".into())),
    };
    store
        .declare(&d, &Runbook::default(), "alice")
        .expect("declare")
        .incident
        .id
}

fn note(i: usize) -> Action {
    Action::Note {
        text: format!("note {i}"),
        section: None,
    }
}

/// A status message of incident `id`, rendered for every target, as a route
/// would queue it.
fn status_message(store: &mut Store, id: &str, channel: &str, key: &str) -> NewMessage {
    let loaded = store.load(id).expect("load");
    let inc = loaded.state.as_ref().expect("incident");
    let ctx = template::context(inc, jiff::Timestamp::now(), None);
    let msg = OutgoingMessage::prepare(key, "status", None, &ctx).expect("render");
    NewMessage {
        channel: channel.into(),
        kind: "status".into(),
        audience: "war-room".into(),
        subject: Some(msg.subject().to_owned()),
        body: msg.to_body(),
        key: Some(key.into()),
        ..NewMessage::default()
    }
}

fn enqueue(backend: &str, open: &mut dyn FnMut() -> Store) {
    let mut per_event = BTreeMap::new();
    for messages in [0usize, 1, 4] {
        let mut store = open();
        let id = declare(&mut store);
        // Rendered beforehand, each with its own key: the store's cost is measured.
        let prepared: Vec<Vec<NewMessage>> = (0..EVENTS)
            .map(|i| {
                (0..messages)
                    .map(|m| {
                        status_message(
                            &mut store,
                            &id,
                            &format!("hooks-{m}"),
                            &format!("bench-{i}-{m}"),
                        )
                    })
                    .collect()
            })
            .collect();
        let body_len = prepared
            .first()
            .and_then(|p| p.first())
            .map_or(0, |m| m.body.len());
        let start = Instant::now();
        for (i, batch) in prepared.into_iter().enumerate() {
            if messages == 0 {
                store.act(&id, &note(i), "alice").expect("act");
            } else {
                let route =
                    |_: &cverun_incident::Incident, _: &[cverun_incident::Event]| Ok(batch.clone());
                store
                    .act_notifying(&id, &note(i), "alice", &route)
                    .expect("act_notifying");
            }
        }
        let each = start.elapsed() / EVENTS as u32;
        per_event.insert(messages, each);
        if messages == 1 {
            println!("{backend}: message body {body_len} bytes (JSON of every rendering)");
        }
    }
    let base = per_event[&0].as_secs_f64();
    for (messages, each) in &per_event {
        println!(
            "{backend}: {EVENTS} events, {messages} message(s) each: {:.2} ms per event ({:.2}x act alone)",
            each.as_secs_f64() * 1e3,
            each.as_secs_f64() / base
        );
    }
}

fn rendering() {
    let mut store = Store::sqlite(
        &tempfile::tempdir()
            .expect("dir")
            .keep()
            .join("incidents.sqlite3"),
        Clock::System,
        keys(),
    )
    .expect("store");
    let id = declare(&mut store);
    let loaded = store.load(&id).expect("load");
    let inc = loaded.state.as_ref().expect("incident");
    let n = 200;
    let start = Instant::now();
    for i in 0..n {
        let ctx = template::context(inc, jiff::Timestamp::now(), None);
        OutgoingMessage::prepare(&format!("k{i}"), "status", None, &ctx).expect("render");
    }
    println!(
        "render: {:.2} ms per message (5 targets, status template)",
        start.elapsed().as_secs_f64() * 1e3 / n as f64
    );
}

fn delivery(store: &mut Store) {
    let server = HttpServer::start();
    server.behave(
        "/hooks",
        Behaviour::Reply {
            status: 200,
            headers: Vec::new(),
            body: b"ok".to_vec(),
        },
    );
    let hook = WebhookConfig::new(
        Secret::new(format!("{}/hooks", server.url())),
        &[Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")],
    )
    .expect("webhook");
    let ids: Vec<String> = (0..INCIDENTS).map(|_| declare(store)).collect();
    let per = DELIVERIES / INCIDENTS;
    for id in &ids {
        let messages: Vec<NewMessage> = (0..per)
            .map(|m| status_message(store, id, "hooks", &format!("bench-{id}-{m}")))
            .collect();
        store.enqueue(id, "alice", messages).expect("enqueue");
    }
    let mut channels: BTreeMap<String, cverun_notify::config::BoxChannel> = BTreeMap::new();
    channels.insert("hooks".into(), Box::new(hook));
    let worker = Worker::new("bench", channels);
    let start = Instant::now();
    let report = worker.run_until_idle(store).expect("deliver");
    let took = start.elapsed();
    let received = server.requests().len();
    if let Some(d) = report
        .deliveries
        .iter()
        .find(|d| d.state != Some(cverun_incident::MessageState::Delivered))
    {
        println!(
            "deliver: not delivered: {d:?}; configuration errors: {:?}",
            report.config_errors
        );
    }
    println!(
        "deliver: {DELIVERIES} messages over {INCIDENTS} incidents to a loopback webhook: {:.2} s, {:.0} messages/s ({} delivered, {received} requests received)",
        took.as_secs_f64(),
        DELIVERIES as f64 / took.as_secs_f64().max(f64::EPSILON),
        report.count(cverun_incident::MessageState::Delivered),
    );
}
