//! Fault injection: messages over webhook, Slack, Teams and PagerDuty
//! channels to loopback receivers that answer 500, 429 with `Retry-After`,
//! hang past the timeout, ack slowly, or (rarely) refuse with a permanent
//! 400, chosen per request at random from a seed; while `cverun notify run
//! --follow` processes are killed with SIGKILL at random points and
//! restarted. An operator replays what ends unknown (as a person would, after
//! checking). At the end:
//!
//! - every message was received at least once, under exactly as many
//!   distinct idempotency keys as messages;
//! - the order of first receipt holds per incident and channel;
//! - a message is dead only where a receiver answered it a permanent 4xx.
//!
//! Kept fast by default (`CVERUN_FAULT_MESSAGES`, 80); `scripts/notify-faults.sh`
//! runs 1,000 (`CVERUN_FAULT_SEED` picks the seed). The figures are printed.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::bin;
use cverun_incident::event::Duplicate;
use cverun_incident::store::Clock;
use cverun_incident::{
    AssignedPriority, Declaration, Keyring, MessageFilter, MessageState, NewMessage, Priority,
    Runbook, Store,
};
use cverun_notify::channel::OutgoingMessage;
use cverun_notify::template::context;
use cverun_testkit::generate::Rng;

const CHANNELS: [&str; 4] = ["webhook", "slack", "teams", "pagerduty"];
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PD_KEY: &str = "R0123456789abcdefghijklmnopqrstu";
/// The worker's timeout; a hanging receiver waits longer.
const TIMEOUT_MS: u64 = 500;

/// How a receiver answered one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    Ok,
    Slow,
    Error500,
    TooMany,
    Hang,
    Refused,
}

struct Receipt {
    channel: String,
    key: String,
    fault: Fault,
}

struct Receiver {
    url: String,
    log: Arc<Mutex<Vec<Receipt>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn pick(rng: &mut Rng) -> Fault {
    match rng.below(100) {
        0..=59 => Fault::Ok,
        60..=71 => Fault::Slow,
        72..=83 => Fault::Error500,
        84..=88 => Fault::TooMany,
        89..=97 => Fault::Hang,
        _ => Fault::Refused,
    }
}

/// The first `fk` + 6 digits in `body`: the message's key (also its subject).
fn key_in(body: &[u8]) -> Option<String> {
    body.windows(8)
        .find(|w| w.starts_with(b"fk") && w[2..].iter().all(u8::is_ascii_digit))
        .map(|w| String::from_utf8_lossy(w).into_owned())
}

fn start(seed: u64) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let rng = Arc::new(Mutex::new(Rng(seed | 1)));
    let (l, s) = (log.clone(), stop.clone());
    thread::spawn(move || {
        while !s.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((stream, _)) => {
                    let (l, rng) = (l.clone(), rng.clone());
                    thread::spawn(move || answer(stream, &l, &rng));
                }
                Err(_) => thread::sleep(Duration::from_millis(2)),
            }
        }
    });
    Receiver { url, log, stop }
}

fn answer(mut stream: TcpStream, log: &Mutex<Vec<Receipt>>, rng: &Mutex<Rng>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length.min(1 << 20)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let channel = path.trim_start_matches('/').to_owned();
    let Some(key) = key_in(&body) else {
        let _ = stream
            .write_all(b"HTTP/1.1 400 Bad\r\nContent-Length: 6\r\nConnection: close\r\n\r\nno key");
        return;
    };
    let (fault, slow_ms) = {
        let mut r = rng.lock().unwrap();
        let f = pick(&mut r);
        (f, 50 + r.below(250))
    };
    log.lock().unwrap().push(Receipt {
        channel: channel.clone(),
        key,
        fault,
    });
    let ok: (u16, &str) = match channel.as_str() {
        "slack" => (200, "ok"),
        "teams" => (202, ""),
        "pagerduty" => (202, r#"{"status":"success","message":"Event processed"}"#),
        _ => (200, "ok"),
    };
    let (status, extra, text) = match fault {
        Fault::Ok => (ok.0, "", ok.1),
        Fault::Slow => {
            thread::sleep(Duration::from_millis(slow_ms));
            (ok.0, "", ok.1)
        }
        Fault::Error500 => (500, "", "internal error"),
        Fault::TooMany => (429, "Retry-After: 1\r\n", "rate limited"),
        Fault::Refused => (400, "", "invalid_payload"),
        Fault::Hang => {
            thread::sleep(Duration::from_millis(TIMEOUT_MS + 300));
            return;
        }
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{text}",
        text.len()
    );
}

fn worker(dir: &Path, n: usize) -> Child {
    let log = std::fs::File::create(dir.join(format!("worker-{n}.log"))).unwrap();
    bin()
        .current_dir(dir)
        .env_remove("CVERUN_NOW")
        .env_remove("CVERUN_DATABASE_URL")
        .env_remove("CVERUN_INCIDENT_KEY")
        .env_remove("CVERUN_INCIDENT_KEY_FILE")
        .env("CVERUN_FAULT_WHSEC", WHSEC)
        .env("CVERUN_FAULT_PD", PD_KEY)
        .env("CVERUN_NOTIFY_RETRY_BASE", "0.05")
        .env("CVERUN_NOTIFY_RETRY_CAP", "0.3")
        .env("CVERUN_NOTIFY_MAX_ATTEMPTS", "1000")
        .env("CVERUN_NOTIFY_MAX_AGE", "86400")
        .args([
            "notify",
            "run",
            "--follow",
            "--worker",
            &format!("w{n}"),
            "--timeout",
            &format!("{}", TIMEOUT_MS as f64 / 1000.0),
            "--lease",
            "1.5",
            "--poll",
            "0.1",
            "--threads",
            "8",
            "--batch",
            "64",
        ])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

#[test]
fn messages_survive_faulty_receivers_and_killed_workers() {
    let total: usize = std::env::var("CVERUN_FAULT_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(80);
    let seed: u64 = std::env::var("CVERUN_FAULT_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261123);
    let incidents = (total / 100).clamp(2, 10);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let state = dir.join(".cverun");
    std::fs::create_dir_all(state.join("templates")).unwrap();
    std::fs::write(
        state.join("templates/fault.j2"),
        "{% block subject %}{{ extra.key }} {{ incident.id }}{% endblock %}{% block body %}message {{ extra.key }}{% endblock %}",
    )
    .unwrap();
    let receiver = start(seed);
    // SAFETY: set before any worker starts; read by the children only.
    unsafe {
        std::env::set_var("CVERUN_FAULT_SLACK", format!("{}/slack", receiver.url));
        std::env::set_var("CVERUN_FAULT_TEAMS", format!("{}/teams", receiver.url));
    }
    std::fs::write(
        state.join("runbook.toml"),
        format!(
            r#"[notify]
templates = "templates"
[notify.channel.webhook]
kind = "webhook"
url = "{url}/webhook"
secret-env = "CVERUN_FAULT_WHSEC"
[notify.channel.slack]
kind = "slack"
url-env = "CVERUN_FAULT_SLACK"
[notify.channel.teams]
kind = "teams"
url-env = "CVERUN_FAULT_TEAMS"
[notify.channel.pagerduty]
kind = "pagerduty"
routing-key-env = "CVERUN_FAULT_PD"
url = "{url}/pagerduty"
"#,
            url = receiver.url
        ),
    )
    .unwrap();

    // Queue: message i goes to incident i % incidents, channel (i / incidents) % 4.
    let keys = Keyring::load(&state, true).unwrap();
    let mut store = Store::sqlite(&state.join("incidents.sqlite3"), Clock::System, keys).unwrap();
    let mut ids = Vec::new();
    let mut ctxs = Vec::new();
    for n in 0..incidents {
        let d = Declaration {
            advisory: format!("GHSA-jfh8-c2jp-{:04}", n),
            priority: AssignedPriority::declared_by(Priority::P1, "alice"),
            title: Some(format!("fault run {n}")),
            description: None,
            commander: None,
            services: vec!["checkout".into()],
            published: None,
            detected: None,
            aliases: Vec::new(),
            scope: None,
            duplicate: Some(Duplicate::Allowed("a fault-injection run".into())),
        };
        let inc = store
            .declare(&d, &Runbook::default(), "alice")
            .unwrap()
            .incident;
        ctxs.push(inc.clone());
        ids.push(inc.id);
    }
    // Per (incident, channel): the keys in queueing order.
    let mut order: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut batches: Vec<Vec<NewMessage>> = vec![Vec::new(); incidents];
    let now = jiff::Timestamp::now();
    for i in 0..total {
        let inc = i % incidents;
        let channel = CHANNELS[(i / incidents) % CHANNELS.len()];
        let key = format!("fk{i:06}");
        let ctx = context(&ctxs[inc], now, Some(&serde_json::json!({ "key": key })));
        let m =
            OutgoingMessage::prepare(&key, "fault", Some(&state.join("templates")), &ctx).unwrap();
        order
            .entry((ids[inc].clone(), channel.to_owned()))
            .or_default()
            .push(key.clone());
        batches[inc].push(NewMessage {
            channel: channel.into(),
            kind: "fault".into(),
            audience: "war-room".into(),
            subject: Some(m.subject().to_owned()),
            body: m.to_body(),
            key: Some(key),
            ..NewMessage::default()
        });
    }
    for (inc, batch) in batches.into_iter().enumerate() {
        for chunk in batch.chunks(100) {
            store.enqueue(&ids[inc], "alice", chunk.to_vec()).unwrap();
        }
    }

    // Two workers, killed at random and restarted; an operator replays
    // what ends unknown.
    let started = Instant::now();
    let limit = Duration::from_secs(60 + total as u64 / 2);
    let mut rng = Rng(seed.wrapping_mul(31) | 1);
    let mut workers: Vec<Child> = (0..2).map(|n| worker(dir, n)).collect();
    let mut spawned = 2;
    let mut kills = 0;
    let mut replays = 0;
    let mut next_kill = Instant::now() + Duration::from_millis(300 + rng.below(1200));
    let rows = loop {
        thread::sleep(Duration::from_millis(200));
        if Instant::now() >= next_kill {
            let victim = rng.below(workers.len() as u64) as usize;
            workers[victim].kill().unwrap();
            let _ = workers[victim].wait();
            kills += 1;
            workers[victim] = worker(dir, spawned);
            spawned += 1;
            next_kill = Instant::now() + Duration::from_millis(300 + rng.below(1200));
        }
        let rows = match store.messages(&MessageFilter::default()) {
            Ok(r) => r,
            Err(_) => continue,
        };
        for m in rows.iter().filter(|m| m.state == MessageState::Unknown) {
            if store.replay(&m.id, "operator").is_ok() {
                replays += 1;
            }
        }
        if rows.iter().all(|m| m.state.is_final()) {
            break rows;
        }
        if started.elapsed() > limit {
            for w in &mut workers {
                let _ = w.kill();
            }
            let mut states: BTreeMap<String, usize> = BTreeMap::new();
            for m in &rows {
                *states.entry(m.state.to_string()).or_default() += 1;
            }
            panic!(
                "not done after {:?}: {states:?}; worker logs in {}",
                limit,
                dir.display()
            );
        }
    };
    let elapsed = started.elapsed();
    // A worker just restarted may not have installed its handler yet.
    thread::sleep(Duration::from_secs(1));
    for w in &mut workers {
        // SAFETY: signalling a child process this test started, by its id.
        unsafe { libc::kill(w.id() as libc::pid_t, libc::SIGTERM) };
    }
    for w in &mut workers {
        let status = w.wait().unwrap();
        assert!(
            status.success(),
            "a worker stopped by SIGTERM exits 0: {status}"
        );
    }

    let log = receiver.log.lock().unwrap();
    // Every message received at least once; exactly `total` distinct keys.
    let distinct: BTreeSet<&str> = log.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(distinct.len(), total, "distinct keys received");
    // First receipt order per incident and channel.
    let mut first: HashMap<&str, usize> = HashMap::new();
    for (n, r) in log.iter().enumerate() {
        first.entry(r.key.as_str()).or_insert(n);
    }
    for ((inc, channel), keys) in &order {
        let at: Vec<usize> = keys.iter().map(|k| first[k.as_str()]).collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{inc} via {channel}: first receipts out of order"
        );
        for k in keys {
            assert!(
                log.iter().any(|r| &r.key == k && &r.channel == channel),
                "{k} received on {channel}"
            );
        }
    }
    // Dead only where a receiver answered a permanent 4xx.
    let refused: BTreeSet<&str> = log
        .iter()
        .filter(|r| r.fault == Fault::Refused)
        .map(|r| r.key.as_str())
        .collect();
    let dead: Vec<&cverun_incident::MessageRow> = rows
        .iter()
        .filter(|m| m.state == MessageState::Dead)
        .collect();
    for m in &dead {
        assert!(
            refused.contains(m.key.as_str()),
            "{} ({}) is dead without a permanent refusal: {:?}",
            m.id,
            m.key,
            m.last_error
        );
        assert!(
            m.last_error.as_deref().unwrap_or("").contains("HTTP 400"),
            "{:?}",
            m.last_error
        );
    }
    assert_eq!(
        rows.iter()
            .filter(|m| m.state == MessageState::Delivered)
            .count()
            + dead.len(),
        total
    );

    // The figures: per channel, messages, requests, requests after the first
    // (repeats), and duplicates: messages the receiver took (answered 2xx,
    // or hung after reading) more than once.
    let mut per: BTreeMap<&str, [usize; 4]> = BTreeMap::new();
    let mut seen: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
    for r in log.iter() {
        let e = seen
            .entry((r.channel.as_str(), r.key.as_str()))
            .or_default();
        e.0 += 1;
        if matches!(r.fault, Fault::Ok | Fault::Slow | Fault::Hang) {
            e.1 += 1;
        }
    }
    for ((channel, _), (requests, taken)) in &seen {
        let e = per.entry(channel).or_default();
        e[0] += 1;
        e[1] += requests;
        e[2] += requests - 1;
        e[3] += usize::from(*taken > 1);
    }
    let mut faults: BTreeMap<String, usize> = BTreeMap::new();
    for r in log.iter() {
        *faults.entry(format!("{:?}", r.fault)).or_default() += 1;
    }
    let mut out = format!(
        "fault run: {total} messages, {incidents} incidents x 4 channels, seed {seed}, {:.1} s, {kills} workers killed (SIGKILL), {replays} unknown replayed, {} dead\n",
        elapsed.as_secs_f64(),
        dead.len()
    );
    for (channel, [messages, requests, repeats, duplicates]) in &per {
        out.push_str(&format!(
            "  {channel:<10} {messages:>5} messages  {requests:>5} requests  {repeats:>4} repeats  {duplicates:>4} duplicates (taken more than once)\n"
        ));
    }
    out.push_str(&format!("  answers: {faults:?}\n"));
    // Straight to stderr (the harness captures eprintln! of passing tests).
    let _ = std::io::stderr().write_all(out.as_bytes());
    assert!(kills > 0 || elapsed < Duration::from_millis(300));
}
