//! Channels: what each provider is sent, and how its answer is judged.
//!
//! Each channel module builds its provider's payload from an
//! [`OutgoingMessage`] (pure, checked against the provider's documented
//! limits) and sends it ([`Channel::send`]), classifying the answer as an
//! [`Outcome`]: delivered; retry (408, 429, 5xx, a connection that never got
//! the request; honouring `Retry-After`); permanent (any other 4xx, a payload
//! the provider would refuse); or unknown (the request went out and no answer
//! came: the receiver may have it, so the caller decides whether a duplicate
//! is acceptable: webhook ids and PagerDuty dedup keys make it harmless).
//!
//! Secrets (webhook URLs carrying tokens, signing secrets, routing keys, SMTP
//! passwords) are [`Secret`]s, read from the environment or a file and never
//! printed: `Display` and `Debug` of every configuration redact them.

pub mod email;
pub mod forge;
mod http;
pub mod pagerduty;
mod rest;
pub mod slack;
pub mod slack_bot;
pub mod teams;
pub mod webhook;

use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::template::{self, Rendered, Target, TemplateError};

pub use http::{classify, retry_after};

/// A secret value: shown as `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// The largest secret file read.
pub const MAX_SECRET_BYTES: u64 = 16 * 1024;

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value of environment variable `var`, trimmed; an error naming the
    /// variable (never its value) when unset or empty.
    pub fn from_env(var: &str) -> Result<Secret, ConfigError> {
        match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret(v.trim().to_owned())),
            _ => Err(ConfigError::new(format!(
                "environment variable {var} is not set (it holds a secret)"
            ))),
        }
    }

    /// The content of `path`, trimmed (at most [`MAX_SECRET_BYTES`]).
    pub fn from_file(path: &Path) -> Result<Secret, ConfigError> {
        let f = std::fs::File::open(path)
            .map_err(|e| ConfigError::new(format!("{}: {e}", path.display())))?;
        let mut s = String::new();
        f.take(MAX_SECRET_BYTES + 1)
            .read_to_string(&mut s)
            .map_err(|e| ConfigError::new(format!("{}: {e}", path.display())))?;
        if s.len() as u64 > MAX_SECRET_BYTES {
            return Err(ConfigError::new(format!(
                "{}: larger than {MAX_SECRET_BYTES} bytes: not a secret",
                path.display()
            )));
        }
        let s = s.trim();
        if s.is_empty() {
            return Err(ConfigError::new(format!("{}: empty", path.display())));
        }
        Ok(Secret(s.to_owned()))
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A channel configuration that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// What is wrong (never a secret's value).
    pub message: String,
}

impl ConfigError {
    fn new(message: String) -> ConfigError {
        ConfigError { message }
    }
}

/// A payload a provider would refuse (over a documented limit, say).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{channel}: {message}")]
pub struct ContractError {
    /// The channel.
    pub channel: &'static str,
    /// Which rule the payload breaks.
    pub message: String,
}

/// One message to send: rendered for every target, with the keys channels use.
///
/// In the outbox, a message's body is this, as JSON ([`OutgoingMessage::to_body`]):
/// the worker sends exactly what was rendered when the message was queued.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OutgoingMessage {
    /// The delivery key, stable across retries: the webhook id, the email
    /// Message-ID's left part. Letters, digits, `.`, `-`, `_` only.
    pub key: String,
    /// The incident id (PagerDuty dedup key, the email thread's root).
    pub incident: String,
    /// The template id.
    pub template: String,
    /// The incident's priority (`P0`...).
    pub priority: String,
    /// Whether the incident is open (PagerDuty: trigger, else resolve).
    pub open: bool,
    /// The rendering per target.
    pub rendered: BTreeMap<Target, Rendered>,
    /// The template data (the webhook payload's `data`).
    pub data: serde_json::Value,
    /// Addresses the routing resolved for this message from the roster (the
    /// audience's people's contact for the channel's kind: email addresses for
    /// email), besides those the channel itself names.
    #[serde(default)]
    pub recipients: Vec<String>,
}

/// Whether `key` may be a delivery key.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 200
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

/// Why a message could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// A template failed.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The key or the data is unusable.
    #[error("{0}")]
    Invalid(String),
}

impl OutgoingMessage {
    /// Renders template `id` (from `dir` or built in) with `ctx` (see
    /// [`template::context`]) for every target, under delivery key `key`.
    pub fn prepare(
        key: &str,
        id: &str,
        dir: Option<&Path>,
        ctx: &serde_json::Value,
    ) -> Result<OutgoingMessage, PrepareError> {
        if !valid_key(key) {
            return Err(PrepareError::Invalid(format!(
                "delivery key {key:?}: letters, digits, '.', '-', '_' only (at most 200)"
            )));
        }
        let field = |k: &str| ctx["incident"][k].clone();
        let incident = field("id")
            .as_str()
            .filter(|s| valid_key(s))
            .ok_or_else(|| PrepareError::Invalid("the data has no usable incident.id".into()))?
            .to_owned();
        let mut rendered = BTreeMap::new();
        for t in Target::ALL {
            rendered.insert(t, template::render(id, dir, ctx, t)?);
        }
        Ok(OutgoingMessage {
            key: key.to_owned(),
            incident,
            template: id.to_owned(),
            priority: field("priority").as_str().unwrap_or("P2").to_owned(),
            open: field("open").as_bool().unwrap_or(true),
            rendered,
            data: ctx.clone(),
            recipients: Vec::new(),
        })
    }

    /// The rendering for `target`.
    pub fn for_target(&self, target: Target) -> &Rendered {
        // `prepare` renders every target.
        &self.rendered[&target]
    }

    /// The subject (plain text).
    pub fn subject(&self) -> &str {
        &self.for_target(Target::Text).subject
    }

    /// The message as an outbox body: JSON, every rendering and the data.
    pub fn to_body(&self) -> String {
        // A map of strings and JSON values always serialises.
        serde_json::to_string(self).expect("an outgoing message serialises")
    }

    /// The message an outbox body holds; an error when the body is not one
    /// (written by another version, or changed by hand).
    pub fn from_body(body: &str) -> Result<OutgoingMessage, PrepareError> {
        let msg: OutgoingMessage = serde_json::from_str(body)
            .map_err(|e| PrepareError::Invalid(format!("not a queued message: {e}")))?;
        if !valid_key(&msg.key) || Target::ALL.iter().any(|t| !msg.rendered.contains_key(t)) {
            return Err(PrepareError::Invalid(
                "not a queued message: a key or a rendering is missing".into(),
            ));
        }
        Ok(msg)
    }
}

/// How a send ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// The provider accepted it.
    Delivered {
        /// HTTP status or SMTP reply code.
        status: u16,
        /// From sending to the answer.
        latency_ms: u64,
        /// SHA-256 (hex) of the answer's body or reply text, for the record.
        response_sha256: String,
    },
    /// Not delivered; may succeed later.
    Retry {
        /// When the provider said to retry (`Retry-After`).
        after: Option<Duration>,
        /// HTTP status or SMTP code (0: no answer, nothing sent).
        status: u16,
        /// Why.
        reason: String,
    },
    /// Not delivered, and sending it again will not help.
    Permanent {
        /// HTTP status or SMTP code (0: refused before sending).
        status: u16,
        /// Why.
        reason: String,
    },
    /// Sent, and no answer: the receiver may have it.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// Whether a message was already received, as far as a channel can tell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "found", rename_all = "kebab-case")]
pub enum Lookup {
    /// The channel cannot look a message up (incoming webhooks).
    Unsupported,
    /// The receiver has it (found by its key).
    Found,
    /// The receiver does not have it: sending is safe.
    NotFound,
    /// The lookup itself failed; try later.
    Failed {
        /// Why.
        reason: String,
    },
}

/// A channel able to send an [`OutgoingMessage`].
pub trait Channel {
    /// The channel kind (`slack`, `email`...).
    fn kind(&self) -> &'static str;
    /// Sends `msg`, waiting at most about `timeout` for each step.
    fn send(&self, msg: &OutgoingMessage, timeout: Duration) -> Outcome;
    /// Whether the receiver sees the message's key and drops a second copy
    /// (webhook-id, Message-ID, PagerDuty dedup key): then a send whose outcome
    /// is unknown may simply be repeated.
    fn deduplicates(&self) -> bool {
        false
    }
    /// Looks up whether `msg` was already received (by its key), for a send
    /// whose outcome is unknown; [`Lookup::Unsupported`] by default.
    fn find_sent(&self, _msg: &OutgoingMessage, _timeout: Duration) -> Lookup {
        Lookup::Unsupported
    }
}
