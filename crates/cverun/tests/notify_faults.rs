//! Fault injection: messages over webhook, Slack (incoming webhook), Teams,
//! PagerDuty and Slack bot channels to loopback receivers that answer 500,
//! 429 with `Retry-After`, hang past the timeout, ack slowly, or (rarely)
//! refuse with a permanent error, chosen per request at random from a seed;
//! while `cverun notify run --follow` processes are killed with SIGKILL at
//! random points and restarted. The Slack bot channel talks to the stateful
//! Web API fake of `cverun_testkit::slack` (channels created per incident,
//! messages stored with their metadata, history read back), which draws the
//! same faults for every call (a post that hangs is stored first). An
//! operator replays what ends unknown (as a person would, after checking).
//! At the end:
//!
//! - every message was received at least once, under exactly as many
//!   distinct idempotency keys as messages; every delivered one was taken;
//! - the order of first receipt holds per incident and channel;
//! - a message is dead only where a receiver answered it a permanent 4xx
//!   (`channel_not_found` for the Slack bot);
//! - no Slack bot message was posted twice (an unknown outcome, a lost lease
//!   or a replay is looked up by its metadata before any resend);
//! - every duplicate (a copy the receiver took after a first) has a cause:
//!   a worker killed between sending and recording (a lease that ended with
//!   no attempt recorded), a resend of an unknown outcome on a channel that
//!   drops duplicates by key (webhook, PagerDuty), or an operator's replay of
//!   an unknown message; on Slack incoming webhooks and Teams, never an
//!   automatic resend.
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
use cverun_testkit::slack::{Fault as ApiFault, Mix, SlackFake};

const CHANNELS: [&str; 5] = ["webhook", "slack", "teams", "pagerduty", "slack-bot"];
/// Channels whose receivers drop a second copy by key.
const DEDUP: [&str; 2] = ["webhook", "pagerduty"];
const BOT_TOKEN: &str = "xoxb-2026-1123-faultrun";
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
    /// Whether the receiver took the message: answered 2xx, or read it and
    /// hung (it has it); for the Slack bot, a post the fake stored.
    taken: bool,
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
        taken: matches!(fault, Fault::Ok | Fault::Slow | Fault::Hang),
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
        std::env::set_var("CVERUN_FAULT_SLACK_BOT", BOT_TOKEN);
    }
    // The Slack Web API fake: messages' ts from now on, pages as long as asked.
    let slack = SlackFake::start(
        BOT_TOKEN,
        jiff::Timestamp::now().as_second() - 60,
        usize::MAX,
    );
    slack.inject(
        seed ^ 0x5eed,
        Mix {
            slow: 12,
            error500: 12,
            too_many: 5,
            hang: 9,
            refused: 2,
        },
    );
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
[notify.channel.slack-bot]
kind = "slack-bot"
token-env = "CVERUN_FAULT_SLACK_BOT"
channel-pattern = "inc-{{incident}}"
api-url = "{api}"
"#,
            url = receiver.url,
            api = slack.api()
        ),
    )
    .unwrap();

    // Queue: message i goes to incident i % incidents, channel (i / incidents) % 5.
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
    let mut replayed: HashMap<String, usize> = HashMap::new();
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
                *replayed.entry(m.id.to_string()).or_default() += 1;
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

    // The receipts: the HTTP receivers' requests, then the Slack bot's posts.
    let mut log: Vec<Receipt> = std::mem::take(&mut *receiver.log.lock().unwrap());
    let calls = slack.calls();
    for c in calls.iter().filter(|c| c.method == "chat.postMessage") {
        let key = c
            .key
            .clone()
            .expect("every post carries its key in metadata");
        let fault = match c.fault {
            ApiFault::Ok => Fault::Ok,
            ApiFault::Slow(_) => Fault::Slow,
            ApiFault::Error500 => Fault::Error500,
            ApiFault::TooMany => Fault::TooMany,
            ApiFault::Hang => Fault::Hang,
            ApiFault::Refused => Fault::Refused,
        };
        log.push(Receipt {
            channel: "slack-bot".into(),
            key,
            fault,
            taken: c.stored,
        });
    }
    slack.no_violations();
    // Every message received at least once; exactly `total` distinct keys.
    let distinct: BTreeSet<&str> = log.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(distinct.len(), total, "distinct keys received");
    // First receipt (and first copy taken) in queueing order per incident and
    // channel.
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut first_taken: HashMap<&str, usize> = HashMap::new();
    for (n, r) in log.iter().enumerate() {
        first.entry(r.key.as_str()).or_insert(n);
        if r.taken {
            first_taken.entry(r.key.as_str()).or_insert(n);
        }
    }
    for ((inc, channel), keys) in &order {
        let at: Vec<usize> = keys.iter().map(|k| first[k.as_str()]).collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{inc} via {channel}: first receipts out of order"
        );
        let at: Vec<usize> = keys
            .iter()
            .filter_map(|k| first_taken.get(k.as_str()).copied())
            .collect();
        assert!(
            at.windows(2).all(|w| w[0] < w[1]),
            "{inc} via {channel}: first copies taken out of order"
        );
        for k in keys {
            assert!(
                log.iter().any(|r| &r.key == k && &r.channel == channel),
                "{k} received on {channel}"
            );
        }
    }
    // Dead only where a receiver answered a permanent 4xx; delivered only
    // where it took a copy.
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
        let why = if m.channel == "slack-bot" {
            "channel_not_found"
        } else {
            "HTTP 400"
        };
        assert!(
            m.last_error.as_deref().unwrap_or("").contains(why),
            "{:?}",
            m.last_error
        );
    }
    for m in rows.iter().filter(|m| m.state == MessageState::Delivered) {
        assert!(
            first_taken.contains_key(m.key.as_str()),
            "{} ({}) delivered, never taken",
            m.id,
            m.key
        );
    }
    assert_eq!(
        rows.iter()
            .filter(|m| m.state == MessageState::Delivered)
            .count()
            + dead.len(),
        total
    );

    // Leases that ended with no attempt recorded, per key: a worker killed
    // (or a lease lost) between leasing and recording.
    let lost: HashMap<String, u64> = {
        let db = rusqlite::Connection::open(state.join("incidents.sqlite3")).unwrap();
        let mut q = db
            .prepare("SELECT idempotency_key, leases, attempt_count FROM outbox")
            .unwrap();
        q.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)? - r.get::<_, i64>(2)?,
            ))
        })
        .unwrap()
        .map(|r| {
            let (k, n) = r.unwrap();
            (k, u64::try_from(n).expect("leases >= attempts"))
        })
        .collect()
    };

    // The figures, per channel. A duplicate is a copy the receiver took
    // after its first. Its cause, per message: each operator replay of an
    // unknown message (the unknown copy was taken: it hung), each resend of
    // an unknown outcome where the receiver drops duplicates (recorded as
    // such), and the rest must be leases that ended with nothing recorded
    // (a worker killed between sending and recording).
    #[derive(Default)]
    struct Fig {
        messages: usize,
        requests: usize,
        duplicates: usize,
        posted_twice: usize,
        killed: usize,
        resent_unknown: usize,
        replays: usize,
        dead: usize,
        replayed: usize,
    }
    let mut per: BTreeMap<&str, Fig> = BTreeMap::new();
    let mut copies: HashMap<(&str, &str), (usize, usize)> = HashMap::new();
    for r in &log {
        let e = copies
            .entry((r.channel.as_str(), r.key.as_str()))
            .or_default();
        e.0 += 1;
        e.1 += usize::from(r.taken);
    }
    for m in &rows {
        let f = per.entry(m.channel.as_str()).or_default();
        f.messages += 1;
        f.dead += usize::from(m.state == MessageState::Dead);
        let replays = replayed.get(&m.id.to_string()).copied().unwrap_or(0);
        f.replayed += replays;
        let (requests, taken) = copies
            .get(&(m.channel.as_str(), m.key.as_str()))
            .copied()
            .unwrap_or_default();
        f.requests += requests;
        let extra = taken.saturating_sub(1);
        if extra == 0 {
            continue;
        }
        f.duplicates += extra;
        f.posted_twice += 1;
        let by_replay = replays.min(extra);
        let resent = if DEDUP.contains(&m.channel.as_str()) {
            store
                .attempts(&m.id)
                .unwrap()
                .iter()
                .filter(|a| {
                    a.outcome == MessageState::Retry
                        && a.reason
                            .as_deref()
                            .is_some_and(|r| r.contains("drops a second copy"))
                })
                .count()
        } else {
            0
        };
        let by_resend = resent.min(extra - by_replay);
        let by_kill = extra - by_replay - by_resend;
        let kills = lost.get(&m.key).copied().unwrap_or(0) as usize;
        assert!(
            by_kill <= kills,
            "{} ({}) via {}: {extra} duplicates, {by_replay} from replays, {by_resend} from resends of unknown outcomes, {by_kill} left but only {kills} leases ended unrecorded: an automatic resend of a message the receiver had",
            m.id,
            m.key,
            m.channel
        );
        f.replays += by_replay;
        f.resent_unknown += by_resend;
        f.killed += by_kill;
    }
    // The Slack bot looks up before any resend: nothing posted twice.
    let bot = &per["slack-bot"];
    assert_eq!(
        bot.duplicates, 0,
        "Slack bot messages posted twice: {}",
        bot.posted_twice
    );
    for ch in ["slack", "teams"] {
        assert_eq!(per[ch].resent_unknown, 0, "{ch} resent an unknown outcome");
    }
    let mut faults: BTreeMap<String, usize> = BTreeMap::new();
    for r in &log {
        *faults.entry(format!("{:?}", r.fault)).or_default() += 1;
    }
    let mut methods: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &calls {
        *methods.entry(c.method.as_str()).or_default() += 1;
    }
    let mut out = format!(
        "fault run: {total} messages, {incidents} incidents x {} channels, seed {seed}, {:.1} s, {kills} workers killed (SIGKILL), {replays} unknown replayed, {} dead\n",
        CHANNELS.len(),
        elapsed.as_secs_f64(),
        dead.len()
    );
    out.push_str("| channel | messages | requests | repeats | duplicates | after a kill | unknown resent (dedup) | replays of unknown | dead | unknown replayed |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (channel, f) in &per {
        out.push_str(&format!(
            "| {channel} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            f.messages,
            f.requests,
            f.requests - f.messages,
            f.duplicates,
            f.killed,
            f.resent_unknown,
            f.replays,
            f.dead,
            f.replayed
        ));
    }
    out.push_str(&format!("answers to sends: {faults:?}\n"));
    out.push_str(&format!("slack-bot Web API calls: {methods:?}\n"));
    // Straight to stderr (the harness captures eprintln! of passing tests).
    let _ = std::io::stderr().write_all(out.as_bytes());
    assert!(kills > 0 || elapsed < Duration::from_millis(300));
}
