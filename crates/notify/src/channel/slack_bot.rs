//! Slack with a bot token (the Web API): a war-room channel per incident,
//! the kick-off as a thread's root, later messages in its thread, and a lookup
//! of a message by its key before any retry.
//!
//! - **Where.** A fixed channel id, or a channel-name pattern (`inc-{incident}`)
//!   giving one channel per incident, lower-cased and checked against Slack's
//!   channel-name rules (at most 80 characters: lowercase letters, digits,
//!   hyphens, underscores). The channel is created with `conversations.create`
//!   by the first message of the incident that reaches it; `name_taken` means
//!   it exists, and it is found with `conversations.list` (public and private
//!   channels, by cursor, at most [`MAX_LIST_PAGES`] pages), joined with
//!   `conversations.join` when public and the bot is not a member.
//! - **What.** `chat.postMessage` with the blocks and `text` fallback of
//!   [`super::slack::payload`] and `metadata`
//!   `{event_type: "cverun_message", event_payload: {key, incident, template}}`.
//!   The `kickoff` template is posted at the top level: it is the incident's
//!   thread root. Any other message is posted with `thread_ts` of the root,
//!   found in `conversations.history` by its metadata (no state kept: any
//!   worker finds it); with no kick-off in the channel, at the top level.
//! - **Pinned status.** Optionally ([`SlackBotConfig::with_pinned_status`]),
//!   the `status` template keeps one pinned message per incident and edits
//!   it in place (`chat.update`); its metadata lists the keys of the updates
//!   it showed, so each is still found by its key, and an update older than
//!   the one shown is posted as a message of its own instead.
//! - **Lookup.** [`Channel::find_sent`] looks for the key in the metadata of
//!   the channel's history since the incident was declared, then in the
//!   replies of the kick-off; a search that reaches its page bound without
//!   reaching the declaration is a failure, never "not found".
//! - **Answers.** `ok: true` is delivered; `ratelimited` and HTTP 429 are
//!   retried after `Retry-After`; `internal_error`, `fatal_error`,
//!   `service_unavailable` and 5xx are retried; any other error
//!   (`invalid_auth`, `not_authed`, `channel_not_found`, `is_archived`,
//!   `not_in_channel`, `msg_too_long`, `invalid_blocks`...) is permanent; a
//!   request sent with no answer is unknown. A failure before
//!   `chat.postMessage` (finding the channel or the root) posted nothing, so
//!   it is at worst a retry.
//!
//! Bot scopes used: `chat:write`, `channels:read`, `groups:read`,
//! `channels:history`, `groups:history`, and for a pattern `channels:manage`
//! (`groups:write` for private channels) and `channels:join`; for the pinned
//! status `pins:write`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::rest::{self, Answer};
use super::{Channel, ConfigError, ContractError, Lookup, Outcome, OutgoingMessage, Secret, http};

/// The Web API's base URL.
pub const DEFAULT_API_URL: &str = "https://slack.com/api";
/// The metadata `event_type` of every message this channel posts.
pub const EVENT_TYPE: &str = "cverun_message";
/// The template whose message is the incident's thread root.
pub const ROOT_TEMPLATE: &str = "kickoff";
/// The template that may update one pinned message in place
/// ([`SlackBotConfig::with_pinned_status`]).
pub const STATUS_TEMPLATE: &str = "status";
/// The delivery keys a pinned status message remembers (the newest).
pub const MAX_BOARD_KEYS: usize = 100;
/// Slack's longest channel name.
pub const MAX_CHANNEL_NAME: usize = 80;
/// Items asked per page (`limit`) of list, history and replies.
pub const PAGE_SIZE: usize = 200;
/// Pages of `conversations.list` read to find a channel by name.
pub const MAX_LIST_PAGES: usize = 50;
/// Pages of `conversations.history` (and of each thread's replies) read by a lookup.
pub const MAX_HISTORY_PAGES: usize = 10;
/// How long before the declaration a lookup starts (clock skew).
pub const DECLARED_SLACK_SECS: i64 = 600;
/// Errors after which the same call may succeed.
pub const RETRYABLE_ERRORS: [&str; 4] = [
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
];

/// Where messages go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Conversation {
    /// A fixed channel, by id (`C0123ABCD`, `G...` for older private channels).
    Id(String),
    /// One channel per incident: the name is `pattern` with `{incident}`
    /// replaced by the incident id, lower-cased.
    Pattern {
        /// e.g. `inc-{incident}`.
        pattern: String,
        /// Create it private (`is_private`); public by default.
        private: bool,
    },
}

/// A Slack bot (Web API) channel.
#[derive(Clone)]
pub struct SlackBotConfig {
    token: Secret,
    conversation: Conversation,
    api_url: String,
    /// Channel ids found by name (a channel's id never changes; dropped when
    /// Slack says the channel is gone or archived).
    ids: Arc<Mutex<BTreeMap<String, String>>>,
    /// Thread roots found or posted, by (channel id, incident): a root's ts
    /// never changes.
    roots: Arc<Mutex<BTreeMap<(String, String), String>>>,
    /// Status updates edit one pinned message per incident.
    pin_status: bool,
}

impl fmt::Debug for SlackBotConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlackBotConfig")
            .field("token", &self.token)
            .field("conversation", &self.conversation)
            .field("api_url", &self.api_url)
            .field("pin_status", &self.pin_status)
            .finish()
    }
}

impl fmt::Display for SlackBotConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let to = match &self.conversation {
            Conversation::Id(id) => id.clone(),
            Conversation::Pattern { pattern, .. } => pattern.clone(),
        };
        write!(f, "slack bot {to} via {} (token <redacted>)", self.api_url)
    }
}

/// Whether `id` looks like a Slack conversation id.
fn valid_id(id: &str) -> bool {
    id.len() >= 3
        && id.len() <= 32
        && id.starts_with(['C', 'G', 'D'])
        && id
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Whether `name` follows Slack's channel-name rules.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_CHANNEL_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The channel name for `incident` under `pattern`: `{incident}` replaced,
/// lower-cased, checked against Slack's rules (an error names the name).
pub fn channel_name(pattern: &str, incident: &str) -> Result<String, ContractError> {
    let name = pattern.replace("{incident}", incident).to_lowercase();
    if !valid_name(&name) {
        return Err(ContractError {
            channel: "slack-bot",
            message: format!(
                "channel name {name:?} (pattern {pattern:?}): Slack takes at most \
                 {MAX_CHANNEL_NAME} lowercase letters, digits, '-' and '_'"
            ),
        });
    }
    Ok(name)
}

impl SlackBotConfig {
    /// A bot token (`xoxb-...`), where to post, and the API base URL (`None`:
    /// [`DEFAULT_API_URL`]; https, or http to 127.0.0.1 for tests).
    pub fn new(
        token: Secret,
        conversation: Conversation,
        api_url: Option<&str>,
    ) -> Result<SlackBotConfig, ConfigError> {
        let t = token.expose();
        if !t.starts_with("xoxb-") || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ConfigError::new(
                "slack-bot: the token is a bot token (xoxb-...), one word".into(),
            ));
        }
        match &conversation {
            Conversation::Id(id) if !valid_id(id) => {
                return Err(ConfigError::new(format!(
                    "slack-bot: channel {id:?} is not a channel id (C0123ABCD); \
                     for a channel per incident use channel-pattern"
                )));
            }
            Conversation::Pattern { pattern, .. } => {
                let fixed = pattern.replace("{incident}", "");
                if !pattern.contains("{incident}")
                    || !(fixed.is_empty() || valid_name(&fixed.to_lowercase()))
                    || fixed.chars().count() >= MAX_CHANNEL_NAME
                {
                    return Err(ConfigError::new(format!(
                        "slack-bot: channel-pattern {pattern:?}: holds {{incident}}, and \
                         otherwise only letters, digits, '-' and '_' (at most {MAX_CHANNEL_NAME} in all)"
                    )));
                }
            }
            Conversation::Id(_) => {}
        }
        let api_url = rest::base_url("slack-bot", api_url.unwrap_or(DEFAULT_API_URL))?;
        Ok(SlackBotConfig {
            token,
            conversation,
            api_url,
            ids: Arc::new(Mutex::new(BTreeMap::new())),
            roots: Arc::new(Mutex::new(BTreeMap::new())),
            pin_status: false,
        })
    }

    /// With `yes`, the `status` template keeps one pinned message per
    /// incident (in its thread) and edits it in place (`chat.update`) instead
    /// of posting each update.
    pub fn with_pinned_status(mut self, yes: bool) -> SlackBotConfig {
        self.pin_status = yes;
        self
    }

    /// Where messages go.
    pub fn conversation(&self) -> &Conversation {
        &self.conversation
    }

    fn auth(&self) -> (&'static str, String) {
        ("authorization", format!("Bearer {}", self.token.expose()))
    }

    /// POSTs a JSON body to Web API `method`.
    fn post(&self, method: &str, body: &Value, timeout: Duration) -> Result<Answer, Outcome> {
        let headers = [
            self.auth(),
            ("content-type", "application/json; charset=utf-8".to_owned()),
        ];
        let url = format!("{}/{method}", self.api_url);
        rest::post(
            &url,
            &headers,
            body.to_string().as_bytes(),
            timeout,
            rest::MAX_SEND_ANSWER,
        )
    }

    /// Calls read method `method` with GET and `query`; the `ok` answer's JSON
    /// or why not (an outcome: retry, permanent, unknown).
    fn read(
        &self,
        method: &str,
        query: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<Value, Outcome> {
        let q: Vec<String> = query
            .iter()
            .map(|(k, v)| format!("{k}={}", rest::encode(v)))
            .collect();
        let url = format!("{}/{method}?{}", self.api_url, q.join("&"));
        let a = rest::get(&url, &[self.auth()], timeout, rest::MAX_PAGE)?;
        ok_json(&a)
    }

    fn cached(&self, name: &str) -> Option<String> {
        self.ids.lock().ok()?.get(name).cloned()
    }

    fn remember(&self, name: &str, id: &str) {
        if let Ok(mut m) = self.ids.lock() {
            m.insert(name.to_owned(), id.to_owned());
        }
    }

    fn forget(&self, id: &str) {
        if let Ok(mut m) = self.ids.lock() {
            m.retain(|_, v| v != id);
        }
        if let Ok(mut m) = self.roots.lock() {
            m.retain(|(c, _), _| c != id);
        }
    }

    fn cached_root(&self, channel: &str, incident: &str) -> Option<String> {
        let m = self.roots.lock().ok()?;
        m.get(&(channel.to_owned(), incident.to_owned())).cloned()
    }

    fn remember_root(&self, channel: &str, incident: &str, ts: &str) {
        if let Ok(mut m) = self.roots.lock() {
            m.entry((channel.to_owned(), incident.to_owned()))
                .or_insert_with(|| ts.to_owned());
        }
    }

    /// Finds channel `name` with `conversations.list`: its id and whether the
    /// bot must join it. `Ok(None)`: not among the channels the bot can see.
    fn list_find(&self, name: &str, timeout: Duration) -> Result<Option<(String, bool)>, Outcome> {
        let mut cursor = String::new();
        let limit = PAGE_SIZE.to_string();
        for _ in 0..MAX_LIST_PAGES {
            let mut q = vec![
                ("types", "public_channel,private_channel"),
                ("exclude_archived", "true"),
                ("limit", limit.as_str()),
            ];
            if !cursor.is_empty() {
                q.push(("cursor", cursor.as_str()));
            }
            let v = self.read("conversations.list", &q, timeout)?;
            for c in v["channels"].as_array().into_iter().flatten() {
                if c["name"].as_str() == Some(name)
                    && let Some(id) = c["id"].as_str()
                {
                    let join = c["is_member"].as_bool() != Some(true)
                        && c["is_private"].as_bool() != Some(true);
                    return Ok(Some((id.to_owned(), join)));
                }
            }
            cursor = next_cursor(&v);
            if cursor.is_empty() {
                return Ok(None);
            }
        }
        Err(Outcome::Retry {
            after: None,
            status: 0,
            reason: format!(
                "channel #{name} not found in the first {} conversations",
                MAX_LIST_PAGES * PAGE_SIZE
            ),
        })
    }

    /// The channel id for `msg`, creating the incident's channel when
    /// `create` (a send) and it does not exist. `Ok(None)`: it does not exist
    /// (a lookup).
    fn channel_id(
        &self,
        msg: &OutgoingMessage,
        create: bool,
        timeout: Duration,
    ) -> Result<Option<String>, Outcome> {
        let (pattern, private) = match &self.conversation {
            Conversation::Id(id) => return Ok(Some(id.clone())),
            Conversation::Pattern { pattern, private } => (pattern, *private),
        };
        let name = channel_name(pattern, &msg.incident).map_err(|e| Outcome::Permanent {
            status: 0,
            reason: e.to_string(),
        })?;
        if let Some(id) = self.cached(&name) {
            return Ok(Some(id));
        }
        if create {
            let a = self.post(
                "conversations.create",
                &json!({ "name": name, "is_private": private }),
                timeout,
            )?;
            match ok_json(&a) {
                Ok(v) => {
                    let id = v["channel"]["id"].as_str().ok_or_else(|| Outcome::Retry {
                        after: None,
                        status: a.status,
                        reason: "conversations.create: ok without a channel id".into(),
                    })?;
                    self.remember(&name, id);
                    return Ok(Some(id.to_owned()));
                }
                Err(_) if slack_error(&a).as_deref() == Some("name_taken") => {}
                Err(o) => return Err(o),
            }
        }
        match self.list_find(&name, timeout)? {
            Some((id, join)) => {
                if join {
                    let a = self.post("conversations.join", &json!({ "channel": id }), timeout)?;
                    ok_json(&a)?;
                }
                self.remember(&name, &id);
                Ok(Some(id))
            }
            None if create => Err(Outcome::Permanent {
                status: 200,
                reason: format!(
                    "channel #{name} exists (name_taken) but the bot cannot see it: \
                     archived, or private without the bot"
                ),
            }),
            None => Ok(None),
        }
    }

    /// Reads `method` (history or replies) page by page from the newest,
    /// calling `visit` on each message until it returns true. `Ok(true)`:
    /// stopped by `visit`; `Ok(false)`: every message read.
    fn scan(
        &self,
        method: &str,
        base: &[(&str, &str)],
        timeout: Duration,
        visit: &mut dyn FnMut(&Value) -> bool,
    ) -> Result<bool, String> {
        let limit = PAGE_SIZE.to_string();
        let mut cursor = String::new();
        for _ in 0..MAX_HISTORY_PAGES {
            let mut q = base.to_vec();
            q.push(("limit", limit.as_str()));
            q.push(("include_all_metadata", "true"));
            if !cursor.is_empty() {
                q.push(("cursor", cursor.as_str()));
            }
            let v = self
                .read(method, &q, timeout)
                .map_err(|o| format!("{method}: {}", reason(&o)))?;
            for m in v["messages"].as_array().into_iter().flatten() {
                if visit(m) {
                    return Ok(true);
                }
            }
            cursor = next_cursor(&v);
            if cursor.is_empty() {
                return Ok(false);
            }
        }
        Err(format!(
            "{method}: more than {} messages to read; cannot tell",
            MAX_HISTORY_PAGES * PAGE_SIZE
        ))
    }

    /// The channel's history since the incident's declaration (all of it
    /// when the data has no declaration time): the kick-off roots of the
    /// incident (oldest first), and whether `key` was seen at the top level.
    fn history(
        &self,
        channel: &str,
        msg: &OutgoingMessage,
        stop_at_key: bool,
        timeout: Duration,
    ) -> Result<(Vec<String>, bool), String> {
        let oldest = oldest(msg);
        let mut q = vec![("channel", channel)];
        if let Some(o) = oldest.as_deref() {
            q.push(("oldest", o));
        }
        let mut roots = Vec::new();
        let mut seen = false;
        self.scan("conversations.history", &q, timeout, &mut |m| {
            let Some(p) = payload_of(m) else {
                return false;
            };
            if carries(p, &msg.key) {
                seen = true;
                if stop_at_key {
                    return true;
                }
            }
            if p["incident"].as_str() == Some(msg.incident.as_str())
                && p["template"].as_str() == Some(ROOT_TEMPLATE)
                && let Some(ts) = m["ts"].as_str()
            {
                roots.push(ts.to_owned());
            }
            false
        })?;
        roots.reverse();
        Ok((roots, seen))
    }
}

impl SlackBotConfig {
    /// The incident's pinned status message: in the replies of `root`, or
    /// at the top level without one. Its ts and payload.
    fn find_board(
        &self,
        channel: &str,
        root: Option<&str>,
        msg: &OutgoingMessage,
        timeout: Duration,
    ) -> Result<Option<(String, Value)>, String> {
        let mut board = None;
        let mut visit = |m: &Value| {
            let Some(p) = payload_of(m) else {
                return false;
            };
            if p["board"].as_bool() == Some(true)
                && p["incident"].as_str() == Some(msg.incident.as_str())
                && let Some(ts) = m["ts"].as_str()
            {
                board = Some((ts.to_owned(), p.clone()));
                return true;
            }
            false
        };
        match root {
            Some(root) => {
                let q = [("channel", channel), ("ts", root)];
                self.scan("conversations.replies", &q, timeout, &mut visit)?;
            }
            None => {
                let oldest = oldest(msg);
                let mut q = vec![("channel", channel)];
                if let Some(o) = oldest.as_deref() {
                    q.push(("oldest", o));
                }
                self.scan("conversations.history", &q, timeout, &mut visit)?;
            }
        }
        Ok(board)
    }

    /// Pins message `ts` (already pinned is fine).
    fn pin(&self, channel: &str, ts: &str, timeout: Duration) -> Outcome {
        let a = match self.post(
            "pins.add",
            &json!({ "channel": channel, "timestamp": ts }),
            timeout,
        ) {
            Ok(a) => a,
            Err(o) => return o,
        };
        match classify(a.status, a.header("retry-after"), &a.body, a.latency_ms) {
            Outcome::Permanent { status: 200, .. }
                if slack_error(&a).as_deref() == Some("already_pinned") =>
            {
                Outcome::Delivered {
                    status: 200,
                    latency_ms: a.latency_ms,
                    response_sha256: http::sha256_hex(&a.body),
                }
            }
            o => o,
        }
    }

    /// A status update with a pinned status message: edits it in place
    /// (posting and pinning it the first time). `None`: post it as any other
    /// message (it is older than what the pinned message shows).
    fn send_status(
        &self,
        msg: &OutgoingMessage,
        channel: &str,
        root: Option<&str>,
        timeout: Duration,
    ) -> Option<Outcome> {
        let board = match self.find_board(channel, root, msg, timeout) {
            Ok(b) => b,
            Err(reason) => {
                return Some(Outcome::Retry {
                    after: None,
                    status: 0,
                    reason: format!("nothing posted: finding the pinned status: {reason}"),
                });
            }
        };
        let permanent = |e: ContractError| Outcome::Permanent {
            status: 0,
            reason: e.to_string(),
        };
        let Some((ts, p)) = board else {
            // The first: post it, then pin it. A pin that fails is retried:
            // the retry finds the message carrying the key and pins it.
            let body = match board_body(msg, channel, root, std::slice::from_ref(&msg.key)) {
                Ok(b) => b,
                Err(e) => return Some(permanent(e)),
            };
            let a = match self.post("chat.postMessage", &body, timeout) {
                Ok(a) => a,
                Err(o) => return Some(o),
            };
            let o = classify(a.status, a.header("retry-after"), &a.body, a.latency_ms);
            let ts = a.json().and_then(|v| v["ts"].as_str().map(str::to_owned));
            return Some(match (o, ts) {
                (o @ Outcome::Delivered { .. }, Some(ts)) => {
                    match self.pin(channel, &ts, timeout) {
                        Outcome::Delivered { .. } => o,
                        failed => pin_failed(failed),
                    }
                }
                (Outcome::Delivered { status, .. }, None) => Outcome::Retry {
                    after: None,
                    status,
                    reason: "posted, not pinned: the answer has no ts".into(),
                },
                (o, _) => o,
            });
        };
        if carries(&p, &msg.key) {
            // Already shown (a replay, a retry after a failed pin).
            return Some(match self.pin(channel, &ts, timeout) {
                o @ Outcome::Delivered { .. } => o,
                failed => pin_failed(failed),
            });
        }
        if let (Some(shown), Some(this)) = (rendered_at(&p["at"]), rendered_at(&msg.data["now"]))
            && this < shown
        {
            return None;
        }
        let mut keys: Vec<String> = p["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect();
        keys.push(msg.key.clone());
        let mut body = match board_body(msg, channel, None, &keys) {
            Ok(b) => b,
            Err(e) => return Some(permanent(e)),
        };
        body["ts"] = json!(ts);
        for k in ["unfurl_links", "unfurl_media"] {
            if let Some(o) = body.as_object_mut() {
                o.remove(k);
            }
        }
        Some(match self.post("chat.update", &body, timeout) {
            Ok(a) => classify(a.status, a.header("retry-after"), &a.body, a.latency_ms),
            Err(o) => o,
        })
    }
}

/// A pin that failed after the message was posted: retried (the retry finds
/// the message and pins it), never unknown.
fn pin_failed(o: Outcome) -> Outcome {
    match o {
        Outcome::Permanent { status, reason } => Outcome::Permanent {
            status,
            reason: format!("posted, not pinned: {reason}"),
        },
        Outcome::Retry {
            after,
            status,
            reason,
        } => Outcome::Retry {
            after,
            status,
            reason: format!("posted, not pinned: {reason}"),
        },
        Outcome::Unknown { reason } => Outcome::Retry {
            after: None,
            status: 0,
            reason: format!("posted, pinning unanswered: {reason}"),
        },
        d @ Outcome::Delivered { .. } => d,
    }
}

/// The oldest time a lookup reads from: the declaration, less
/// [`DECLARED_SLACK_SECS`], as Slack's `oldest` (Unix seconds).
fn oldest(msg: &OutgoingMessage) -> Option<String> {
    let at: jiff::Timestamp = msg.data["incident"]["declared_at"].as_str()?.parse().ok()?;
    Some((at.as_second() - DECLARED_SLACK_SECS).max(0).to_string())
}

/// Whether a message's payload is that of delivery key `key`: its own, or one
/// of the updates a pinned status message shows.
fn carries(p: &Value, key: &str) -> bool {
    p["key"].as_str() == Some(key)
        || p["keys"]
            .as_array()
            .is_some_and(|ks| ks.iter().any(|k| k.as_str() == Some(key)))
}

/// The rendering time of a message (`now` of its data).
fn rendered_at(data: &Value) -> Option<jiff::Timestamp> {
    data.as_str()?.parse().ok()
}

/// The `event_payload` of a message posted by this channel.
fn payload_of(m: &Value) -> Option<&Value> {
    let md = &m["metadata"];
    (md["event_type"].as_str() == Some(EVENT_TYPE)).then_some(&md["event_payload"])
}

fn next_cursor(v: &Value) -> String {
    v["response_metadata"]["next_cursor"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn reason(o: &Outcome) -> String {
    match o {
        Outcome::Delivered { status, .. } => format!("HTTP {status}"),
        Outcome::Retry { reason, .. }
        | Outcome::Permanent { reason, .. }
        | Outcome::Unknown { reason } => reason.clone(),
    }
}

/// The `error` of a Slack answer.
fn slack_error(a: &Answer) -> Option<String> {
    a.json()?["error"].as_str().map(str::to_owned)
}

/// The JSON of an `ok: true` answer, or the answer's outcome.
fn ok_json(a: &Answer) -> Result<Value, Outcome> {
    match classify(a.status, a.header("retry-after"), &a.body, a.latency_ms) {
        Outcome::Delivered { .. } => a.json().ok_or_else(|| Outcome::Unknown {
            reason: "ok without JSON".into(),
        }),
        other => Err(other),
    }
}

/// Slack's answer as an outcome: HTTP 200 with `ok: true` delivered; `ok:
/// false` with `ratelimited`, `internal_error`, `fatal_error`,
/// `service_unavailable` retried (after `Retry-After`), any other error
/// permanent; 429 and 5xx retried; 200 without a Slack answer unknown; any
/// other status permanent.
pub fn classify(status: u16, retry_after: Option<&str>, body: &[u8], latency_ms: u64) -> Outcome {
    if status != 200 {
        return http::classify(status, retry_after, body, latency_ms);
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Outcome::Unknown {
            reason: format!("HTTP 200 without a JSON answer: {}", http::excerpt(body)),
        };
    };
    match (v["ok"].as_bool(), v["error"].as_str()) {
        (Some(true), _) => Outcome::Delivered {
            status,
            latency_ms,
            response_sha256: http::sha256_hex(body),
        },
        (Some(false), Some(e)) if RETRYABLE_ERRORS.contains(&e) => Outcome::Retry {
            after: retry_after.and_then(http::retry_after),
            status,
            reason: format!("Slack error {e}"),
        },
        (Some(false), e) => Outcome::Permanent {
            status,
            reason: format!("Slack error {}", http::excerpt(e.unwrap_or("?").as_bytes())),
        },
        (None, _) => Outcome::Unknown {
            reason: format!("HTTP 200 without \"ok\": {}", http::excerpt(body)),
        },
    }
}

/// The `chat.postMessage` body for `msg` in `channel` (in the thread of
/// `thread_ts` when given): the Slack blocks and fallback, checked against
/// Slack's limits, and the metadata that finds it again.
pub fn post_body(
    msg: &OutgoingMessage,
    channel: &str,
    thread_ts: Option<&str>,
) -> Result<Value, ContractError> {
    let mut p = super::slack::payload(msg).map_err(|e| ContractError {
        channel: "slack-bot",
        message: e.message,
    })?;
    p["channel"] = json!(channel);
    if let Some(ts) = thread_ts {
        p["thread_ts"] = json!(ts);
    }
    p["metadata"] = json!({
        "event_type": EVENT_TYPE,
        "event_payload": { "key": msg.key, "incident": msg.incident, "template": msg.template },
    });
    Ok(p)
}

/// [`post_body`] for the pinned status message, showing `msg` and
/// remembering `keys` (the updates it showed, the newest last) and the
/// rendering time.
pub fn board_body(
    msg: &OutgoingMessage,
    channel: &str,
    thread_ts: Option<&str>,
    keys: &[String],
) -> Result<Value, ContractError> {
    let mut p = post_body(msg, channel, thread_ts)?;
    let keys = &keys[keys.len().saturating_sub(MAX_BOARD_KEYS)..];
    let e = &mut p["metadata"]["event_payload"];
    e["board"] = json!(true);
    e["keys"] = json!(keys);
    e["at"] = msg.data["now"].clone();
    Ok(p)
}

/// A failure before posting: nothing was posted, so an unknown outcome of a
/// preparatory call (creating the channel) is a retry.
fn before_posting(o: Outcome) -> Outcome {
    match o {
        Outcome::Unknown { reason } => Outcome::Retry {
            after: None,
            status: 0,
            reason: format!("nothing posted: {reason}"),
        },
        other => other,
    }
}

impl Channel for SlackBotConfig {
    fn kind(&self) -> &'static str {
        "slack-bot"
    }

    fn send(&self, msg: &OutgoingMessage, timeout: Duration) -> Outcome {
        // Checked before any call: a message Slack would refuse creates nothing.
        if let Err(e) = post_body(msg, "C0", None) {
            return Outcome::Permanent {
                status: 0,
                reason: e.to_string(),
            };
        }
        let channel = match self.channel_id(msg, true, timeout) {
            Ok(Some(id)) => id,
            Ok(None) => {
                return Outcome::Retry {
                    after: None,
                    status: 0,
                    reason: "no channel".into(),
                };
            }
            Err(o) => return before_posting(o),
        };
        let root = if msg.template == ROOT_TEMPLATE {
            None
        } else if let Some(ts) = self.cached_root(&channel, &msg.incident) {
            Some(ts)
        } else {
            match self.history(&channel, msg, false, timeout) {
                Ok((roots, _)) => {
                    let root = roots.into_iter().next();
                    if let Some(ts) = &root {
                        self.remember_root(&channel, &msg.incident, ts);
                    }
                    root
                }
                Err(reason) => {
                    return Outcome::Retry {
                        after: None,
                        status: 0,
                        reason: format!("nothing posted: finding the thread root: {reason}"),
                    };
                }
            }
        };
        if self.pin_status
            && msg.template == STATUS_TEMPLATE
            && let Some(o) = self.send_status(msg, &channel, root.as_deref(), timeout)
        {
            return o;
        }
        let body = match post_body(msg, &channel, root.as_deref()) {
            Ok(b) => b,
            Err(e) => {
                return Outcome::Permanent {
                    status: 0,
                    reason: e.to_string(),
                };
            }
        };
        match self.post("chat.postMessage", &body, timeout) {
            Ok(a) => {
                let o = classify(a.status, a.header("retry-after"), &a.body, a.latency_ms);
                if msg.template == ROOT_TEMPLATE
                    && matches!(o, Outcome::Delivered { .. })
                    && let Some(ts) = a.json().and_then(|v| v["ts"].as_str().map(str::to_owned))
                {
                    self.remember_root(&channel, &msg.incident, &ts);
                }
                if matches!(
                    slack_error(&a).as_deref(),
                    Some("channel_not_found" | "is_archived" | "not_in_channel")
                ) {
                    self.forget(&channel);
                }
                o
            }
            Err(o) => o,
        }
    }

    fn find_sent(&self, msg: &OutgoingMessage, timeout: Duration) -> Lookup {
        let channel = match self.channel_id(msg, false, timeout) {
            Ok(Some(id)) => id,
            // No channel: nothing can have been posted.
            Ok(None) => return Lookup::NotFound,
            Err(o) => {
                return Lookup::Failed {
                    reason: format!("finding the channel: {}", reason(&o)),
                };
            }
        };
        let (roots, seen) = match self.history(&channel, msg, true, timeout) {
            Ok(r) => r,
            Err(reason) => return Lookup::Failed { reason },
        };
        if seen {
            return Lookup::Found;
        }
        if msg.template == ROOT_TEMPLATE {
            return Lookup::NotFound;
        }
        for root in &roots {
            let q = [("channel", channel.as_str()), ("ts", root.as_str())];
            let found = self.scan("conversations.replies", &q, timeout, &mut |m| {
                payload_of(m).is_some_and(|p| carries(p, &msg.key))
            });
            match found {
                Ok(true) => return Lookup::Found,
                Ok(false) => {}
                Err(reason) => return Lookup::Failed { reason },
            }
        }
        Lookup::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_follow_slack_rules() {
        assert_eq!(
            channel_name("inc-{incident}", "INC-2026-11-23-1").unwrap(),
            "inc-inc-2026-11-23-1"
        );
        assert!(channel_name("inc-{incident}", "INC.1").is_err());
        assert!(channel_name("{incident}", &"a".repeat(81)).is_err());
        assert_eq!(
            channel_name("{incident}", &"a".repeat(80)).unwrap().len(),
            80
        );
    }

    #[test]
    fn configuration_is_checked() {
        let tok = || Secret::new("xoxb-1-2-abc");
        let pat = |p: &str| Conversation::Pattern {
            pattern: p.into(),
            private: false,
        };
        assert!(SlackBotConfig::new(tok(), pat("inc-{incident}"), None).is_ok());
        assert!(SlackBotConfig::new(tok(), pat("inc"), None).is_err());
        assert!(SlackBotConfig::new(tok(), pat("inc #{incident}"), None).is_err());
        assert!(SlackBotConfig::new(tok(), Conversation::Id("C0123ABCD".into()), None).is_ok());
        assert!(SlackBotConfig::new(tok(), Conversation::Id("#general".into()), None).is_err());
        assert!(SlackBotConfig::new(Secret::new("xoxp-1"), pat("inc-{incident}"), None).is_err());
        assert!(
            SlackBotConfig::new(tok(), pat("inc-{incident}"), Some("http://slack.com/api"))
                .is_err()
        );
        let c = SlackBotConfig::new(tok(), pat("inc-{incident}"), None).unwrap();
        assert!(!format!("{c:?} {c}").contains("xoxb"));
    }

    #[test]
    fn answers() {
        let ok = classify(200, None, br#"{"ok":true,"ts":"1.2"}"#, 1);
        assert!(matches!(ok, Outcome::Delivered { status: 200, .. }));
        assert_eq!(
            classify(200, Some("30"), br#"{"ok":false,"error":"ratelimited"}"#, 1),
            Outcome::Retry {
                after: Some(Duration::from_secs(30)),
                status: 200,
                reason: "Slack error ratelimited".into()
            }
        );
        for e in ["internal_error", "fatal_error", "service_unavailable"] {
            let b = format!(r#"{{"ok":false,"error":"{e}"}}"#);
            assert!(matches!(
                classify(200, None, b.as_bytes(), 1),
                Outcome::Retry { .. }
            ));
        }
        for e in [
            "invalid_auth",
            "not_authed",
            "channel_not_found",
            "is_archived",
            "msg_too_long",
            "invalid_blocks",
            "something_new",
        ] {
            let b = format!(r#"{{"ok":false,"error":"{e}"}}"#);
            assert_eq!(
                classify(200, None, b.as_bytes(), 1),
                Outcome::Permanent {
                    status: 200,
                    reason: format!("Slack error {e}")
                }
            );
        }
        assert!(matches!(
            classify(429, Some("7"), b"", 1),
            Outcome::Retry { after: Some(d), status: 429, .. } if d == Duration::from_secs(7)
        ));
        assert!(matches!(classify(503, None, b"", 1), Outcome::Retry { .. }));
        assert!(matches!(
            classify(200, None, b"<html>", 1),
            Outcome::Unknown { .. }
        ));
        assert!(matches!(
            classify(404, None, b"", 1),
            Outcome::Permanent { .. }
        ));
    }
}
