//! The Slack bot channel against a stateful fake of Slack's Web API on
//! loopback: channels created and listed, messages stored with their metadata,
//! history and replies read back. Every request is checked against the Web
//! API's documented contract (method, path, bearer token, content type,
//! JSON shape and Block Kit limits, metadata, `thread_ts` of the incident's
//! kick-off for every later message); failures are answered on demand.

#[path = "common/api.rs"]
mod api;
mod common;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::{ApiServer, Reply, Req};
use cverun_notify::channel::slack_bot::{Conversation, SlackBotConfig};
use cverun_notify::channel::{Channel, Lookup, Outcome, OutgoingMessage, Secret};
use cverun_notify::template::{Target, context};
use serde_json::{Value, json};

const TOKEN: &str = "xoxb-1111-2222-testtoken";
const TIMEOUT: Duration = Duration::from_secs(5);
/// A short wait for the requests the fake never answers.
const HANG: Duration = Duration::from_millis(800);
/// Items per page the fake returns (fewer than asked, as Slack may).
const PAGE: usize = 3;
const INCIDENT: &str = "INC-2026-11-23-1";
const WAR_ROOM: &str = "inc-inc-2026-11-23-1";

fn message(template: &str) -> OutgoingMessage {
    let inc = common::hostile();
    let ctx = context(&inc, common::t("2026-11-23T13:00:00Z"), None);
    let key = format!("cverun-{INCIDENT}-7-war-room-{template}");
    OutgoingMessage::prepare(&key, template, None, &ctx).unwrap()
}

#[derive(Clone, Debug)]
struct Chan {
    id: String,
    name: String,
    private: bool,
    member: bool,
}

#[derive(Clone, Debug)]
struct Msg {
    channel: String,
    ts: String,
    thread_ts: Option<String>,
    metadata: Value,
    pinned: bool,
    /// Times edited with chat.update.
    updates: u32,
}

impl Msg {
    fn key(&self) -> &str {
        self.metadata["event_payload"]["key"].as_str().unwrap_or("")
    }

    fn board(&self) -> bool {
        self.metadata["event_payload"]["board"] == true
    }
}

/// What the fake does with the next call of a method.
#[derive(Clone, Debug)]
enum Script {
    /// `{"ok": false, "error": ...}`, with `Retry-After` when given.
    Error(&'static str, Option<u64>),
    /// This HTTP status, with `Retry-After` when given.
    Http(u16, Option<u64>),
    /// Act on the request, then never answer.
    ActAndHang,
    /// Never answer, and do nothing.
    Hang,
}

#[derive(Default)]
struct State {
    channels: Vec<Chan>,
    messages: Vec<Msg>,
    next_ts: u64,
    script: HashMap<String, VecDeque<Script>>,
}

/// The declaration time of the fixture (12:00:00Z) as Unix seconds.
fn declared() -> i64 {
    common::t("2026-11-23T12:00:00Z").as_second()
}

impl State {
    fn ts(&mut self) -> String {
        self.next_ts += 1;
        format!("{}.{:06}", declared() + 60 + self.next_ts as i64, 100)
    }

    fn chan(&self, id: &str) -> Option<&Chan> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// The incident's kick-off in `channel`: its oldest top-level message
    /// whose metadata says so.
    fn root(&self, channel: &str, incident: &str) -> Option<String> {
        self.messages
            .iter()
            .filter(|m| m.channel == channel && m.thread_ts.is_none())
            .find(|m| {
                m.metadata["event_payload"]["incident"] == incident
                    && m.metadata["event_payload"]["template"] == "kickoff"
            })
            .map(|m| m.ts.clone())
    }
}

fn ok(v: Value) -> Reply {
    let mut v = v;
    v["ok"] = json!(true);
    Reply::json(200, v)
}

fn err(e: &str) -> Reply {
    Reply::json(200, json!({ "ok": false, "error": e }))
}

fn slack_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= 80
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A page of `items` from `cursor` (`c<offset>`).
fn page(req: &Req, items: Vec<Value>, field: &str) -> Result<Reply, String> {
    let limit: usize = req
        .q("limit")
        .ok_or("no limit")?
        .parse()
        .map_err(|_| "limit is not a number")?;
    if !(1..=1000).contains(&limit) {
        return Err(format!("limit {limit} outside 1..=1000"));
    }
    let from = match req.q("cursor") {
        None => 0,
        Some(c) => c
            .strip_prefix('c')
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| format!("cursor {c:?} was never given"))?,
    };
    let n = PAGE.min(limit);
    let chunk: Vec<Value> = items.iter().skip(from).take(n).cloned().collect();
    let next = if from + n < items.len() {
        format!("c{}", from + n)
    } else {
        String::new()
    };
    Ok(ok(json!({
        field: chunk,
        "has_more": !next.is_empty(),
        "response_metadata": { "next_cursor": next },
    })))
}

fn check_blocks(p: &Value) -> Result<(), String> {
    let text = p["text"].as_str().ok_or("no text fallback")?;
    if text.is_empty() || text.chars().count() > 40_000 {
        return Err(format!("text of {} characters", text.chars().count()));
    }
    let blocks = p["blocks"].as_array().ok_or("no blocks")?;
    if blocks.is_empty() || blocks.len() > 50 {
        return Err(format!("{} blocks", blocks.len()));
    }
    for b in blocks {
        let (kind, max) = match b["type"].as_str() {
            Some("header") => ("plain_text", 150),
            Some("section") => ("mrkdwn", 3000),
            other => return Err(format!("block type {other:?}")),
        };
        if b["text"]["type"] != kind {
            return Err(format!("block text type {}", b["text"]["type"]));
        }
        let n = b["text"]["text"]
            .as_str()
            .ok_or("block without text")?
            .chars()
            .count();
        if n == 0 || n > max {
            return Err(format!("block text of {n} characters (at most {max})"));
        }
    }
    Ok(())
}

/// One Web API call, checked and answered from `st`.
fn handle(st: &Mutex<State>, req: &Req) -> Result<Reply, String> {
    let method = req
        .path
        .strip_prefix("/api/")
        .ok_or_else(|| format!("path {} is not under /api/", req.path))?
        .to_owned();
    req.expect_header("authorization", &format!("Bearer {TOKEN}"))?;
    let posted = [
        "chat.postMessage",
        "chat.update",
        "pins.add",
        "conversations.create",
        "conversations.join",
    ];
    let read = [
        "conversations.list",
        "conversations.history",
        "conversations.replies",
    ];
    let body = if posted.contains(&method.as_str()) {
        if req.method != "POST" {
            return Err(format!("{method} with {}", req.method));
        }
        req.expect_header("content-type", "application/json; charset=utf-8")?;
        req.json()?
    } else if read.contains(&method.as_str()) {
        if req.method != "GET" || !req.body.is_empty() {
            return Err(format!("{method}: a GET without a body expected"));
        }
        Value::Null
    } else {
        return Err(format!("unexpected method {method}"));
    };
    let mut s = st.lock().unwrap();
    let script = s.script.get_mut(&method).and_then(VecDeque::pop_front);
    match script {
        Some(Script::Error(e, ra)) => {
            let r = err(e);
            return Ok(match ra {
                Some(n) => r.header("Retry-After", &n.to_string()),
                None => r,
            });
        }
        Some(Script::Http(status, ra)) => {
            let r = Reply::json(status, json!({ "ok": false }));
            return Ok(match ra {
                Some(n) => r.header("Retry-After", &n.to_string()),
                None => r,
            });
        }
        Some(Script::Hang) => return Ok(Reply::Hang),
        Some(Script::ActAndHang) | None => {}
    }
    let reply = match method.as_str() {
        "chat.postMessage" => {
            let channel = body["channel"].as_str().ok_or("no channel")?.to_owned();
            check_blocks(&body)?;
            let md = &body["metadata"];
            if md["event_type"] != "cverun_message" {
                return Err(format!("metadata event_type {}", md["event_type"]));
            }
            let p = &md["event_payload"];
            for k in ["key", "incident", "template"] {
                if !p[k].is_string() {
                    return Err(format!("metadata event_payload.{k} missing"));
                }
            }
            match s.chan(&channel) {
                None => err("channel_not_found"),
                Some(c) if !c.member => err("not_in_channel"),
                Some(_) => {
                    let incident = p["incident"].as_str().unwrap_or("");
                    let expected = if p["template"] == "kickoff" {
                        None
                    } else {
                        s.root(&channel, incident)
                    };
                    let thread = body["thread_ts"].as_str().map(str::to_owned);
                    if thread != expected {
                        return Err(format!(
                            "{} posted with thread_ts {thread:?}, the kick-off is {expected:?}",
                            p["template"]
                        ));
                    }
                    let ts = s.ts();
                    s.messages.push(Msg {
                        channel: channel.clone(),
                        ts: ts.clone(),
                        thread_ts: thread,
                        metadata: md.clone(),
                        pinned: false,
                        updates: 0,
                    });
                    ok(json!({ "channel": channel, "ts": ts }))
                }
            }
        }
        "chat.update" => {
            let channel = body["channel"].as_str().ok_or("no channel")?.to_owned();
            let ts = body["ts"]
                .as_str()
                .ok_or("chat.update without ts")?
                .to_owned();
            check_blocks(&body)?;
            if body.get("thread_ts").is_some() {
                return Err("chat.update with thread_ts".into());
            }
            let md = body["metadata"].clone();
            if md["event_type"] != "cverun_message" || !md["event_payload"]["key"].is_string() {
                return Err(format!("chat.update metadata {md}"));
            }
            match s.chan(&channel) {
                None => err("channel_not_found"),
                Some(c) if !c.member => err("not_in_channel"),
                Some(_) => match s
                    .messages
                    .iter_mut()
                    .find(|m| m.channel == channel && m.ts == ts)
                {
                    None => err("message_not_found"),
                    Some(m) => {
                        m.metadata = md;
                        m.updates += 1;
                        ok(json!({ "channel": channel, "ts": ts }))
                    }
                },
            }
        }
        "pins.add" => {
            let channel = body["channel"].as_str().ok_or("no channel")?.to_owned();
            let ts = body["timestamp"]
                .as_str()
                .ok_or("pins.add without timestamp")?;
            match s
                .messages
                .iter_mut()
                .find(|m| m.channel == channel && m.ts == ts)
            {
                None => err("message_not_found"),
                Some(m) if m.pinned => err("already_pinned"),
                Some(m) => {
                    m.pinned = true;
                    ok(json!({}))
                }
            }
        }
        "conversations.create" => {
            let name = body["name"].as_str().ok_or("no name")?.to_owned();
            if !slack_name(&name) {
                return Err(format!("channel name {name:?} breaks Slack's rules"));
            }
            let private = body["is_private"]
                .as_bool()
                .ok_or("is_private not a boolean")?;
            if s.channels.iter().any(|c| c.name == name) {
                err("name_taken")
            } else {
                let id = format!("C{:08}", s.channels.len() + 1);
                s.channels.push(Chan {
                    id: id.clone(),
                    name: name.clone(),
                    private,
                    member: true,
                });
                ok(json!({ "channel": { "id": id, "name": name, "is_private": private } }))
            }
        }
        "conversations.join" => {
            let id = body["channel"].as_str().ok_or("no channel")?;
            match s.channels.iter_mut().find(|c| c.id == id) {
                Some(c) if !c.private => {
                    c.member = true;
                    ok(json!({ "channel": { "id": id } }))
                }
                _ => err("channel_not_found"),
            }
        }
        "conversations.list" => {
            let types = req.q("types").unwrap_or("");
            if !(types.contains("public_channel") && types.contains("private_channel")) {
                return Err(format!("conversations.list types={types:?}"));
            }
            let items = s
                .channels
                .iter()
                .filter(|c| !c.private || c.member)
                .map(|c| {
                    json!({ "id": c.id, "name": c.name, "is_private": c.private, "is_member": c.member })
                })
                .collect();
            return page(req, items, "channels");
        }
        "conversations.history" | "conversations.replies" => {
            if req.q("include_all_metadata") != Some("true") {
                return Err(format!("{method} without include_all_metadata=true"));
            }
            let channel = req.q("channel").ok_or("no channel")?;
            match s.chan(channel) {
                None => return Ok(err("channel_not_found")),
                Some(c) if !c.member => return Ok(err("not_in_channel")),
                Some(_) => {}
            }
            let view =
                |m: &Msg| json!({ "ts": m.ts, "thread_ts": m.thread_ts, "metadata": m.metadata });
            let items: Vec<Value> = if method == "conversations.history" {
                let oldest: f64 = match req.q("oldest") {
                    Some(o) => o.parse().map_err(|_| format!("oldest {o:?}"))?,
                    None => 0.0,
                };
                s.messages
                    .iter()
                    .rev()
                    .filter(|m| m.channel == channel && m.thread_ts.is_none())
                    .filter(|m| m.ts.parse::<f64>().unwrap() > oldest)
                    .map(view)
                    .collect()
            } else {
                let ts = req.q("ts").ok_or("replies without ts")?;
                s.messages
                    .iter()
                    .filter(|m| {
                        m.channel == channel && (m.ts == ts || m.thread_ts.as_deref() == Some(ts))
                    })
                    .map(view)
                    .collect()
            };
            return page(req, items, "messages");
        }
        _ => unreachable!(),
    };
    Ok(match script {
        Some(Script::ActAndHang) => Reply::Hang,
        _ => reply,
    })
}

struct Fake {
    srv: ApiServer,
    state: Arc<Mutex<State>>,
}

impl Fake {
    fn start() -> Fake {
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let srv = ApiServer::start(move |req| handle(&st, req));
        Fake { srv, state }
    }

    fn api(&self) -> String {
        format!("{}/api", self.srv.url())
    }

    fn script(&self, method: &str, s: Script) {
        let mut st = self.state.lock().unwrap();
        st.script.entry(method.into()).or_default().push_back(s);
    }

    fn channel(&self, name: &str, member: bool, private: bool) -> String {
        let mut st = self.state.lock().unwrap();
        let id = format!("C{:08}", st.channels.len() + 1);
        st.channels.push(Chan {
            id: id.clone(),
            name: name.into(),
            private,
            member,
        });
        id
    }

    fn messages(&self) -> Vec<Msg> {
        self.state.lock().unwrap().messages.clone()
    }

    fn posted(&self, key: &str) -> Vec<Msg> {
        self.messages()
            .into_iter()
            .filter(|m| m.key() == key)
            .collect()
    }

    fn boards(&self) -> Vec<Msg> {
        self.messages().into_iter().filter(Msg::board).collect()
    }

    fn channel_id(&self, name: &str) -> Option<String> {
        let st = self.state.lock().unwrap();
        st.channels
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.id.clone())
    }

    fn no_violations(&self) {
        assert_eq!(self.srv.violations(), Vec::<String>::new());
    }

    fn pattern(&self) -> SlackBotConfig {
        SlackBotConfig::new(
            Secret::new(TOKEN),
            Conversation::Pattern {
                pattern: "inc-{incident}".into(),
                private: false,
            },
            Some(&self.api()),
        )
        .unwrap()
    }

    fn fixed(&self, id: &str) -> SlackBotConfig {
        SlackBotConfig::new(
            Secret::new(TOKEN),
            Conversation::Id(id.into()),
            Some(&self.api()),
        )
        .unwrap()
    }
}

fn delivered(o: &Outcome) -> bool {
    matches!(o, Outcome::Delivered { status: 200, .. })
}

#[test]
fn kickoff_opens_the_war_room_and_later_messages_reply_in_its_thread() {
    let fake = Fake::start();
    for name in ["general", "random", "inc-inc-2026-11-22-9"] {
        fake.channel(name, true, false);
    }
    let kickoff = message("kickoff");
    let status = message("status");
    let escalation = message("escalation");

    let cfg = fake.pattern();
    let o = cfg.send(&kickoff, TIMEOUT);
    assert!(delivered(&o), "{o:?}");
    let room = fake.channel_id(WAR_ROOM).expect("the war room was created");
    let create = fake.srv.calls("/conversations.create");
    assert_eq!(create.len(), 1);
    assert_eq!(create[0].json().unwrap()["name"], WAR_ROOM);
    let root = &fake.posted(&kickoff.key)[0];
    assert_eq!(root.channel, room);
    assert_eq!(root.thread_ts, None);
    assert_eq!(
        root.metadata,
        json!({"event_type": "cverun_message", "event_payload": {
            "key": kickoff.key, "incident": INCIDENT, "template": "kickoff"}})
    );
    let sent = fake.srv.calls("/chat.postMessage");
    let body = sent[0].json().unwrap();
    assert_eq!(body["blocks"][0]["type"], "header");
    // The data's mentions are shown, never parsed: escaped in mrkdwn (the
    // header block is plain text).
    assert!(!body["text"].as_str().unwrap().contains("<!channel>"));
    assert!(body["text"].as_str().unwrap().contains("&lt;!channel&gt;"));
    assert!(!body["blocks"][1].to_string().contains("<!channel>"));

    let o = cfg.send(&status, TIMEOUT);
    assert!(delivered(&o), "{o:?}");
    let reply = &fake.posted(&status.key)[0];
    // The worker that posted the kick-off remembers its ts: no history read.
    assert!(fake.srv.calls("/conversations.history").is_empty());
    assert_eq!(reply.channel, room);
    assert_eq!(reply.thread_ts.as_deref(), Some(root.ts.as_str()));

    // Another worker (nothing remembered): the channel exists (name_taken),
    // is found by listing every page, and the kick-off by its metadata.
    let other = fake.pattern();
    let lists_before = fake.srv.calls("/conversations.list").len();
    let o = other.send(&escalation, TIMEOUT);
    assert!(delivered(&o), "{o:?}");
    assert_eq!(fake.srv.calls("/conversations.create").len(), 2);
    let lists = fake.srv.calls("/conversations.list");
    assert_eq!(
        lists.len() - lists_before,
        2,
        "the war room is on the second page"
    );
    assert_eq!(lists.last().unwrap().q("cursor"), Some("c3"));
    let e = &fake.posted(&escalation.key)[0];
    assert_eq!(e.thread_ts.as_deref(), Some(root.ts.as_str()));
    // History is read from the declaration (less ten minutes) on.
    let h = fake.srv.calls("/conversations.history");
    assert_eq!(
        h.last().unwrap().q("oldest"),
        Some((declared() - 600).to_string().as_str())
    );

    // Lookups, by a third worker: each message is found by its key, at the
    // top level or in the thread; one never sent is not.
    let third = fake.pattern();
    for m in [&kickoff, &status, &escalation] {
        assert_eq!(third.find_sent(m, TIMEOUT), Lookup::Found, "{}", m.key);
    }
    assert!(
        !fake.srv.calls("/conversations.replies").is_empty(),
        "threaded messages are found among the replies"
    );
    let resolution = message("resolution");
    assert_eq!(third.find_sent(&resolution, TIMEOUT), Lookup::NotFound);
    // A lookup never creates a channel: another incident's does not exist.
    let mut elsewhere = message("status");
    elsewhere.incident = "INC-2026-11-24-2".into();
    assert_eq!(
        fake.pattern().find_sent(&elsewhere, TIMEOUT),
        Lookup::NotFound
    );
    assert_eq!(fake.srv.calls("/conversations.create").len(), 2);
    assert_eq!(fake.messages().len(), 3);
    fake.no_violations();
}

#[test]
fn a_post_left_unanswered_is_unknown_then_found_and_never_posted_twice() {
    let fake = Fake::start();
    let cfg = fake.pattern();
    let kickoff = message("kickoff");
    assert!(delivered(&cfg.send(&kickoff, TIMEOUT)));

    // The receiver stores the threaded status update and never answers.
    let status = message("status");
    fake.script("chat.postMessage", Script::ActAndHang);
    let o = cfg.send(&status, HANG);
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    // What a worker does with an unknown outcome: look it up before any retry.
    let lookup = fake.pattern().find_sent(&status, TIMEOUT);
    assert_eq!(lookup, Lookup::Found);
    assert_eq!(fake.posted(&status.key).len(), 1);

    // The receiver drops the request and never answers: not found, so it is
    // sent again, once, in the thread.
    let escalation = message("escalation");
    fake.script("chat.postMessage", Script::Hang);
    let o = cfg.send(&escalation, HANG);
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    assert_eq!(cfg.find_sent(&escalation, TIMEOUT), Lookup::NotFound);
    assert!(delivered(&cfg.send(&escalation, TIMEOUT)));
    let e = fake.posted(&escalation.key);
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].thread_ts,
        Some(fake.posted(&kickoff.key)[0].ts.clone())
    );
    assert_eq!(cfg.find_sent(&escalation, TIMEOUT), Lookup::Found);

    // A kick-off (top level) in a fixed channel, the same way.
    let fixed_id = fake.channel("security-incidents", true, true);
    let fixed = fake.fixed(&fixed_id);
    fake.script("chat.postMessage", Script::ActAndHang);
    assert!(matches!(
        fixed.send(&kickoff, HANG),
        Outcome::Unknown { .. }
    ));
    assert_eq!(fixed.find_sent(&kickoff, TIMEOUT), Lookup::Found);
    assert_eq!(
        fake.messages()
            .iter()
            .filter(|m| m.channel == fixed_id)
            .count(),
        1
    );
    fake.no_violations();
}

#[test]
fn answers_are_classified_and_a_failure_posts_nothing() {
    let fake = Fake::start();
    let room = fake.channel("war-room", true, false);
    let cfg = fake.fixed(&room);
    let kickoff = message("kickoff");

    fake.script("chat.postMessage", Script::Http(429, Some(7)));
    assert!(matches!(
        cfg.send(&kickoff, TIMEOUT),
        Outcome::Retry { after: Some(d), status: 429, .. } if d == Duration::from_secs(7)
    ));
    fake.script("chat.postMessage", Script::Error("ratelimited", Some(3)));
    assert!(matches!(
        cfg.send(&kickoff, TIMEOUT),
        Outcome::Retry { after: Some(d), status: 200, .. } if d == Duration::from_secs(3)
    ));
    for e in ["internal_error", "fatal_error", "service_unavailable"] {
        fake.script("chat.postMessage", Script::Error(e, None));
        let o = cfg.send(&kickoff, TIMEOUT);
        assert!(
            matches!(&o, Outcome::Retry { reason, .. } if reason.contains(e)),
            "{o:?}"
        );
    }
    fake.script("chat.postMessage", Script::Http(503, None));
    assert!(matches!(
        cfg.send(&kickoff, TIMEOUT),
        Outcome::Retry { status: 503, .. }
    ));
    for e in [
        "invalid_auth",
        "not_authed",
        "is_archived",
        "msg_too_long",
        "invalid_blocks",
        "restricted_action",
    ] {
        fake.script("chat.postMessage", Script::Error(e, None));
        let o = cfg.send(&kickoff, TIMEOUT);
        assert!(
            matches!(&o, Outcome::Permanent { reason, status: 200 } if reason.contains(e)),
            "{o:?}"
        );
    }
    // The fake's own answers: no such channel; a channel without the bot.
    let o = fake.fixed("C99999999").send(&kickoff, TIMEOUT);
    assert!(
        matches!(&o, Outcome::Permanent { reason, .. } if reason.contains("channel_not_found"))
    );
    let outside = fake.channel("elsewhere", false, false);
    let o = fake.fixed(&outside).send(&kickoff, TIMEOUT);
    assert!(matches!(&o, Outcome::Permanent { reason, .. } if reason.contains("not_in_channel")));
    assert!(fake.messages().is_empty());

    // Failures before posting are retries at worst, and post nothing.
    let pattern = fake.pattern();
    fake.script("conversations.create", Script::Error("invalid_auth", None));
    assert!(matches!(
        pattern.send(&kickoff, TIMEOUT),
        Outcome::Permanent { .. }
    ));
    fake.script("conversations.create", Script::Hang);
    let o = pattern.send(&kickoff, HANG);
    assert!(matches!(o, Outcome::Retry { status: 0, .. }), "{o:?}");
    fake.script(
        "conversations.history",
        Script::Error("ratelimited", Some(1)),
    );
    let o = cfg.send(&message("status"), TIMEOUT);
    assert!(
        matches!(&o, Outcome::Retry { reason, .. } if reason.contains("ratelimited")),
        "{o:?}"
    );
    assert!(fake.messages().is_empty());

    // A message Slack would refuse (over 40,000 characters) is refused before
    // any call.
    let mut huge = message("kickoff");
    huge.rendered.get_mut(&Target::SlackMrkdwn).unwrap().body = "word ".repeat(9000);
    let calls = fake.srv.requests().len();
    assert!(matches!(
        pattern.send(&huge, TIMEOUT),
        Outcome::Permanent { status: 0, .. }
    ));
    assert_eq!(fake.srv.requests().len(), calls);

    assert!(delivered(&cfg.send(&kickoff, TIMEOUT)));
    assert_eq!(fake.messages().len(), 1);
    fake.no_violations();
}

#[test]
fn lookups_fail_closed() {
    let fake = Fake::start();
    let room = fake.channel("war-room", true, false);
    let cfg = fake.fixed(&room);
    let kickoff = message("kickoff");
    // 40 other messages since the declaration: more than the pages a lookup
    // reads (10 of 3 here), so it cannot tell.
    {
        let mut st = fake.state.lock().unwrap();
        for i in 0..40 {
            let ts = st.ts();
            st.messages.push(Msg {
                channel: room.clone(),
                ts,
                thread_ts: None,
                metadata: json!({"event_type": "other_app", "event_payload": {"n": i}}),
                pinned: false,
                updates: 0,
            });
        }
    }
    let o = cfg.find_sent(&kickoff, TIMEOUT);
    assert!(
        matches!(&o, Lookup::Failed { reason } if reason.contains("cannot tell")),
        "{o:?}"
    );
    assert_eq!(fake.srv.calls("/conversations.history").len(), 10);

    let quiet = fake.channel("quiet", true, false);
    fake.script(
        "conversations.history",
        Script::Error("ratelimited", Some(5)),
    );
    let o = fake.fixed(&quiet).find_sent(&kickoff, TIMEOUT);
    assert!(
        matches!(&o, Lookup::Failed { reason } if reason.contains("ratelimited")),
        "{o:?}"
    );
    fake.script("conversations.history", Script::Hang);
    assert!(matches!(
        fake.fixed(&quiet).find_sent(&kickoff, HANG),
        Lookup::Failed { .. }
    ));
    fake.script("conversations.list", Script::Http(500, None));
    assert!(matches!(
        fake.pattern().find_sent(&kickoff, TIMEOUT),
        Lookup::Failed { .. }
    ));
    assert_eq!(
        fake.fixed(&quiet).find_sent(&kickoff, TIMEOUT),
        Lookup::NotFound
    );
    fake.no_violations();
}

fn status_at(n: u32, at: &str) -> OutgoingMessage {
    let inc = common::hostile();
    let ctx = context(&inc, common::t(at), None);
    let key = format!("cverun-{INCIDENT}-{n}-war-room-status");
    OutgoingMessage::prepare(&key, "status", None, &ctx).unwrap()
}

#[test]
fn status_updates_edit_one_pinned_message_in_place() {
    let fake = Fake::start();
    let cfg = fake.pattern().with_pinned_status(true);
    let kickoff = message("kickoff");
    assert!(delivered(&cfg.send(&kickoff, TIMEOUT)));
    let root = fake.posted(&kickoff.key)[0].ts.clone();

    let s1 = status_at(10, "2026-11-23T13:00:00Z");
    assert!(delivered(&cfg.send(&s1, TIMEOUT)));
    let b = fake.boards();
    assert_eq!(b.len(), 1);
    assert!(b[0].pinned);
    assert_eq!(b[0].thread_ts.as_deref(), Some(root.as_str()));
    assert_eq!(b[0].metadata["event_payload"]["keys"], json!([s1.key]));

    let s2 = status_at(11, "2026-11-23T14:00:00Z");
    assert!(delivered(&cfg.send(&s2, TIMEOUT)));
    assert_eq!(fake.messages().len(), 2, "edited, not posted");
    let b = &fake.boards()[0];
    assert_eq!(b.updates, 1);
    assert_eq!(b.key(), s2.key);
    assert_eq!(b.metadata["event_payload"]["keys"], json!([s1.key, s2.key]));
    assert_eq!(b.metadata["event_payload"]["at"], "2026-11-23T14:00:00Z");

    // Another worker finds both updates by their keys, and a replay of the
    // last changes nothing.
    let other = fake.pattern().with_pinned_status(true);
    assert_eq!(other.find_sent(&s1, TIMEOUT), Lookup::Found);
    assert_eq!(other.find_sent(&s2, TIMEOUT), Lookup::Found);
    assert!(delivered(&other.send(&s2, TIMEOUT)));
    assert_eq!(fake.srv.calls("/chat.update").len(), 1);

    // A late update, older than what is pinned, never overwrites it: posted
    // in the thread as a message of its own.
    let s0 = status_at(9, "2026-11-23T12:30:00Z");
    assert!(delivered(&other.send(&s0, TIMEOUT)));
    let late = fake.posted(&s0.key);
    assert_eq!(late.len(), 1);
    assert!(!late[0].board());
    assert_eq!(late[0].thread_ts.as_deref(), Some(root.as_str()));
    assert_eq!(fake.boards()[0].key(), s2.key);

    // An edit left unanswered: found by its key before any retry.
    let s3 = status_at(12, "2026-11-23T15:00:00Z");
    fake.script("chat.update", Script::ActAndHang);
    assert!(matches!(cfg.send(&s3, HANG), Outcome::Unknown { .. }));
    assert_eq!(other.find_sent(&s3, TIMEOUT), Lookup::Found);
    assert_eq!(fake.boards().len(), 1);
    assert_eq!(fake.boards()[0].updates, 2);
    assert_eq!(fake.messages().len(), 3);
    fake.no_violations();
}

#[test]
fn a_pin_that_fails_is_retried_without_posting_twice() {
    let fake = Fake::start();
    let cfg = fake.pattern().with_pinned_status(true);
    assert!(delivered(&cfg.send(&message("kickoff"), TIMEOUT)));
    let s1 = status_at(10, "2026-11-23T13:00:00Z");
    fake.script("pins.add", Script::Error("ratelimited", Some(2)));
    let o = cfg.send(&s1, TIMEOUT);
    assert!(
        matches!(&o, Outcome::Retry { reason, .. } if reason.contains("not pinned")),
        "{o:?}"
    );
    assert_eq!(fake.boards().len(), 1);
    assert!(!fake.boards()[0].pinned);
    assert!(delivered(&cfg.send(&s1, TIMEOUT)));
    assert_eq!(fake.boards().len(), 1);
    assert!(fake.boards()[0].pinned);
    assert_eq!(
        fake.srv.calls("/chat.postMessage").len(),
        2,
        "kick-off and status once each"
    );
    fake.no_violations();
}
