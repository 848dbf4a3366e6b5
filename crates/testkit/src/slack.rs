//! A stateful fake of Slack's Web API on loopback (on [`ApiServer`]), for the
//! Slack bot channel's tests and the delivery fault-injection run.
//!
//! It keeps channels (with membership and privacy) and messages with their
//! metadata, and answers `chat.postMessage`, `chat.update`, `pins.add`,
//! `conversations.create`, `conversations.join`, `conversations.list`,
//! `conversations.history` and `conversations.replies` (by cursor, `c<offset>`,
//! a page of at most [`SlackFake::start`]'s `page` items). Every request is
//! checked against the Web API's documented contract (method, path, bearer
//! token, content type, JSON shape and Block Kit limits, metadata,
//! `thread_ts` of the incident's kick-off for every later message,
//! `include_all_metadata=true` on reads); a violation is answered 400 and
//! listed by [`ApiServer::violations`].
//!
//! Failures come two ways: scripted per method ([`SlackFake::script`], the
//! next call of that method), or drawn at random for every call from a seed
//! ([`SlackFake::inject`], [`Mix`]): a slow answer, HTTP 500, HTTP 429 with
//! `Retry-After: 1`, a hang after acting on the request (a post is stored and
//! never answered), or, for `chat.postMessage` only, a permanent
//! `channel_not_found`. Each call is logged ([`Call`]) with the fault it drew
//! and whether it stored a message, so a test can tell a message posted twice
//! from a request repeated.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::api::{ApiServer, Reply, Req};
use crate::generate::Rng;

/// A channel the fake knows.
#[derive(Clone, Debug)]
pub struct Chan {
    /// `C` and 8 digits.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Private (listed only to members).
    pub private: bool,
    /// Whether the bot is in it.
    pub member: bool,
}

/// A message the fake stored.
#[derive(Clone, Debug)]
pub struct Msg {
    /// The channel's id.
    pub channel: String,
    /// Its `ts`.
    pub ts: String,
    /// The thread it replies to.
    pub thread_ts: Option<String>,
    /// Its metadata as posted (or last updated).
    pub metadata: Value,
    /// Pinned with `pins.add`.
    pub pinned: bool,
    /// Times edited with chat.update.
    pub updates: u32,
}

impl Msg {
    /// The delivery key in its metadata (`""` without one).
    pub fn key(&self) -> &str {
        self.metadata["event_payload"]["key"].as_str().unwrap_or("")
    }

    /// Whether it is a pinned status board.
    pub fn board(&self) -> bool {
        self.metadata["event_payload"]["board"] == true
    }
}

/// What the fake does with the next call of a method.
#[derive(Clone, Debug)]
pub enum Script {
    /// `{"ok": false, "error": ...}`, with `Retry-After` when given.
    Error(&'static str, Option<u64>),
    /// This HTTP status, with `Retry-After` when given.
    Http(u16, Option<u64>),
    /// Act on the request, then never answer.
    ActAndHang,
    /// Never answer, and do nothing.
    Hang,
    /// Act on the request, and answer after this many milliseconds.
    Slow(u64),
}

/// The fault a call drew at random.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// Answered at once.
    Ok,
    /// Answered after this many milliseconds (acting on the request).
    Slow(u64),
    /// HTTP 500, nothing done.
    Error500,
    /// HTTP 429 with `Retry-After: 1`, nothing done.
    TooMany,
    /// Acted on (a post stored), never answered.
    Hang,
    /// `channel_not_found` (a permanent error), nothing done; drawn only for
    /// `chat.postMessage`.
    Refused,
}

/// Percentages of each random fault (the rest answer at once). `refused`
/// applies to `chat.postMessage` only (a draw of it elsewhere answers at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mix {
    /// Slow answers (50 to 300 ms).
    pub slow: u64,
    /// HTTP 500.
    pub error500: u64,
    /// HTTP 429.
    pub too_many: u64,
    /// Act, then never answer.
    pub hang: u64,
    /// `channel_not_found`.
    pub refused: u64,
}

struct Random {
    rng: Rng,
    mix: Mix,
}

impl Random {
    fn draw(&mut self, post: bool) -> Fault {
        let m = self.mix;
        let r = self.rng.below(100);
        let slow = 50 + self.rng.below(250);
        let mut edge = m.slow;
        if r < edge {
            return Fault::Slow(slow);
        }
        edge += m.error500;
        if r < edge {
            return Fault::Error500;
        }
        edge += m.too_many;
        if r < edge {
            return Fault::TooMany;
        }
        edge += m.hang;
        if r < edge {
            return Fault::Hang;
        }
        edge += m.refused;
        if r < edge && post {
            return Fault::Refused;
        }
        Fault::Ok
    }
}

/// One call the fake received.
#[derive(Clone, Debug)]
pub struct Call {
    /// The Web API method (`chat.postMessage`...).
    pub method: String,
    /// The delivery key in the request's metadata, if any.
    pub key: Option<String>,
    /// The fault drawn at random ([`Fault::Ok`] when scripted or not injecting).
    pub fault: Fault,
    /// Whether it stored a message (a `chat.postMessage` that was acted on).
    pub stored: bool,
}

/// The fake's state (the test may read and change it).
pub struct SlackState {
    /// The bot token every call must carry.
    pub token: String,
    /// Channels.
    pub channels: Vec<Chan>,
    /// Messages, in posting order.
    pub messages: Vec<Msg>,
    /// Every call, in order of arrival.
    pub calls: Vec<Call>,
    /// Unix seconds of the first `ts` less 61.
    pub ts_base: i64,
    /// Messages posted so far (the `ts` counter).
    pub next_ts: u64,
    /// Items per page at most.
    pub page: usize,
    /// Scripted answers per method.
    pub script: HashMap<String, VecDeque<Script>>,
    random: Option<Random>,
}

impl SlackState {
    /// The next message `ts`: `ts_base + 60 + n` seconds, `.000100`.
    pub fn ts(&mut self) -> String {
        self.next_ts += 1;
        format!("{}.{:06}", self.ts_base + 60 + self.next_ts as i64, 100)
    }

    /// Channel `id`.
    pub fn chan(&self, id: &str) -> Option<&Chan> {
        self.channels.iter().find(|c| c.id == id)
    }

    /// The incident's kick-off in `channel`: its oldest top-level message
    /// whose metadata says so.
    pub fn root(&self, channel: &str, incident: &str) -> Option<String> {
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
fn page(req: &Req, items: Vec<Value>, field: &str, size: usize) -> Result<Reply, String> {
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
    let n = size.clamp(1, limit);
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
fn handle(st: &Mutex<SlackState>, req: &Req) -> Result<Reply, String> {
    let method = req
        .path
        .strip_prefix("/api/")
        .ok_or_else(|| format!("path {} is not under /api/", req.path))?
        .to_owned();
    let token = st.lock().map_err(|_| "state poisoned")?.token.clone();
    req.expect_header("authorization", &format!("Bearer {token}"))?;
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
    let key = body["metadata"]["event_payload"]["key"]
        .as_str()
        .map(str::to_owned);
    let mut s = st.lock().map_err(|_| "state poisoned")?;
    let script = s.script.get_mut(&method).and_then(VecDeque::pop_front);
    let fault = match (&script, s.random.as_mut()) {
        (None, Some(r)) => r.draw(method == "chat.postMessage"),
        _ => Fault::Ok,
    };
    let at = s.calls.len();
    s.calls.push(Call {
        method: method.clone(),
        key,
        fault,
        stored: false,
    });
    let script = script.or(match fault {
        Fault::Ok => None,
        Fault::Slow(ms) => Some(Script::Slow(ms)),
        Fault::Error500 => Some(Script::Http(500, None)),
        Fault::TooMany => Some(Script::Http(429, Some(1))),
        Fault::Hang => Some(Script::ActAndHang),
        Fault::Refused => Some(Script::Error("channel_not_found", None)),
    });
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
        Some(Script::ActAndHang) | Some(Script::Slow(_)) | None => {}
    }
    let size = s.page;
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
                    s.calls[at].stored = true;
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
            return page(req, items, "channels", size);
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
                    .filter(|m| m.ts.parse::<f64>().unwrap_or(0.0) > oldest)
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
            return page(req, items, "messages", size);
        }
        other => return Err(format!("unexpected method {other}")),
    };
    drop(s);
    Ok(match script {
        Some(Script::ActAndHang) => Reply::Hang,
        Some(Script::Slow(ms)) => {
            std::thread::sleep(Duration::from_millis(ms));
            reply
        }
        _ => reply,
    })
}

/// The fake: a server on loopback and its state.
pub struct SlackFake {
    /// The server (requests, violations).
    pub srv: ApiServer,
    /// The state it answers from.
    pub state: Arc<Mutex<SlackState>>,
}

impl SlackFake {
    /// Starts a fake accepting `token`, whose message `ts` start at
    /// `ts_base + 61` (Unix seconds), answering at most `page` items a page.
    pub fn start(token: &str, ts_base: i64, page: usize) -> SlackFake {
        let state = Arc::new(Mutex::new(SlackState {
            token: token.to_owned(),
            channels: Vec::new(),
            messages: Vec::new(),
            calls: Vec::new(),
            ts_base,
            next_ts: 0,
            page: page.max(1),
            script: HashMap::new(),
            random: None,
        }));
        let st = state.clone();
        let srv = ApiServer::start(move |req| handle(&st, req));
        SlackFake { srv, state }
    }

    fn st(&self) -> std::sync::MutexGuard<'_, SlackState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The Web API's base URL (`http://127.0.0.1:PORT/api`).
    pub fn api(&self) -> String {
        format!("{}/api", self.srv.url())
    }

    /// Scripts the next unscripted call of `method`.
    pub fn script(&self, method: &str, s: Script) {
        self.st()
            .script
            .entry(method.into())
            .or_default()
            .push_back(s);
    }

    /// Draws a fault for every call not scripted, from `seed`, by `mix`.
    pub fn inject(&self, seed: u64, mix: Mix) {
        self.st().random = Some(Random {
            rng: Rng(seed | 1),
            mix,
        });
    }

    /// Adds a channel; returns its id.
    pub fn channel(&self, name: &str, member: bool, private: bool) -> String {
        let mut st = self.st();
        let id = format!("C{:08}", st.channels.len() + 1);
        st.channels.push(Chan {
            id: id.clone(),
            name: name.into(),
            private,
            member,
        });
        id
    }

    /// The messages stored.
    pub fn messages(&self) -> Vec<Msg> {
        self.st().messages.clone()
    }

    /// Every call received.
    pub fn calls(&self) -> Vec<Call> {
        self.st().calls.clone()
    }

    /// The messages carrying delivery key `key`.
    pub fn posted(&self, key: &str) -> Vec<Msg> {
        self.messages()
            .into_iter()
            .filter(|m| m.key() == key)
            .collect()
    }

    /// The pinned status boards.
    pub fn boards(&self) -> Vec<Msg> {
        self.messages().into_iter().filter(Msg::board).collect()
    }

    /// The id of the channel named `name`.
    pub fn channel_id(&self, name: &str) -> Option<String> {
        self.st()
            .channels
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.id.clone())
    }

    /// Panics listing the contract violations, if any.
    pub fn no_violations(&self) {
        assert_eq!(self.srv.violations(), Vec::<String>::new());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_faults_follow_the_mix_and_refusals_only_posts() {
        let mut r = Random {
            rng: Rng(7),
            mix: Mix {
                slow: 10,
                error500: 10,
                too_many: 10,
                hang: 10,
                refused: 10,
            },
        };
        let posts: Vec<Fault> = (0..2000).map(|_| r.draw(true)).collect();
        let refused = posts.iter().filter(|f| **f == Fault::Refused).count();
        assert!((100..300).contains(&refused), "{refused}");
        assert!(posts.iter().any(|f| matches!(f, Fault::Slow(50..=299))));
        let reads: Vec<Fault> = (0..2000).map(|_| r.draw(false)).collect();
        assert!(!reads.contains(&Fault::Refused));
        let ok = reads.iter().filter(|f| **f == Fault::Ok).count();
        assert!((1000..1400).contains(&ok), "{ok}");
    }
}
