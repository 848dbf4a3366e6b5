//! The durable outbox: messages to people, stored in the same transaction as the
//! timeline events that cause them, then handed to delivery workers.
//!
//! This module holds the outbox's vocabulary (what is queued, what a worker leases,
//! what an attempt recorded, the states a message goes through) and the
//! timeline events it adds ([`MessageQueued`], [`MessageReplayed`],
//! [`approval::MessageApproved`]). The storage
//! and the delivery operations are methods of [`crate::Store`]:
//! [`Store::act_notifying`](crate::Store::act_notifying),
//! [`Store::enqueue`](crate::Store::enqueue), [`Store::lease`](crate::Store::lease),
//! [`Store::record_attempt`](crate::Store::record_attempt),
//! [`Store::messages`](crate::Store::messages),
//! [`Store::attempts`](crate::Store::attempts) and
//! [`Store::replay`](crate::Store::replay).
//!
//! Choices the issue leaves open:
//!
//! - A message's id is its incident and the seq of its `message-queued` event
//!   (`INC-2026-11-23-1/7`): unique, and it points at the signed record of the
//!   queueing.
//! - The body (and subject) live only in the outbox row. The timeline records the
//!   body's SHA-256, so a rendered message can be checked against the signed
//!   record without the record holding what the message says.
//! - Delivery is at least once: a worker that sends and dies before recording the
//!   outcome leaves a lease that expires, and the message is sent again. Receivers
//!   deduplicate on the idempotency key, which never changes (not on retry, not on
//!   replay).
//! - Order holds per (incident, channel): only the oldest message of a pair not yet
//!   delivered or dead can be leased.
//! - Delivery states stay in the outbox tables (`outbox`, `attempts`), not in the
//!   timeline: recording them as events would take the incident's lock on every
//!   send. The timeline holds what people decided (queued, replayed).
//!
//! - Messages to the outside world wait for people ([`approval`]): a message
//!   that needs approvals is queued `held`, and only signed approvals of its
//!   exact body by every role it needs make it pending; a body changed in the
//!   database after queueing is never sent.
//! - Every message carries the incident's chain head ([`witness`]), and the
//!   messages notifying regulatory clocks are shown with them ([`notices`]).
//!
//! No crate was used: a job queue crate would bring its own schema and runtime,
//! and the point is that messages share the incident store's transactions.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::Role;

pub mod approval;
pub mod notices;
pub mod witness;

/// A message to queue: rendered, as it will be sent.
///
/// `Default` gives empty names and no options, for `..Default::default()`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewMessage {
    /// The channel's name in the runbook (`slack-war-room`, `email-executives`).
    pub channel: String,
    /// The template the message was rendered from (its id).
    pub kind: String,
    /// Who it is for (a role, a list, a person), as the routing names it.
    pub audience: String,
    /// The subject, for channels that have one.
    pub subject: Option<String>,
    /// The body, as it will be sent.
    pub body: String,
    /// The idempotency key the receiver deduplicates on; `None`: derived from the
    /// incident, the causing event's seq, the channel and the template
    /// ([`default_key`]).
    pub key: Option<String>,
    /// Not to be sent before this time; `None`: as soon as possible.
    pub not_before: Option<Timestamp>,
    /// The roles that must approve the body before it is sent, each by a
    /// different person ([`approval`]); `None`: the template's default
    /// ([`approval::default_needs`]: the communications lead for
    /// `customer-notice`, with legal for `regulator-notice`, none otherwise);
    /// `Some(vec![])`: none. A message needing approval is queued `held`.
    pub needs: Option<Vec<Role>>,
    /// The regulatory clock (`gdpr`, `nis2-notification`...) this message is the
    /// notification of, shown with that clock's deadline; it must be one of the
    /// incident's runbook.
    pub clock: Option<String>,
}

/// The idempotency key of a message queued without one:
/// `cverun-{incident}-{seq}-{channel}-{template}`, where `seq` is the event that
/// caused it (for [`crate::Store::enqueue`], its own `message-queued` event).
pub fn default_key(incident: &str, seq: u64, channel: &str, template: &str) -> String {
    format!("cverun-{incident}-{seq}-{channel}-{template}")
}

/// A message's id: its incident and the seq of its `message-queued` event.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub String);

impl MessageId {
    /// The id of the message queued by event `seq` of `incident`.
    pub fn new(incident: &str, seq: u64) -> MessageId {
        MessageId(format!("{incident}/{seq}"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for MessageId {
    type Err = String;

    /// Reads `INCIDENT/SEQ`.
    fn from_str(s: &str) -> Result<MessageId, String> {
        match s.rsplit_once('/') {
            Some((incident, seq))
                if !incident.is_empty() && !seq.is_empty() && seq.parse::<u64>().is_ok() =>
            {
                Ok(MessageId(s.to_owned()))
            }
            _ => Err(format!(
                "{s:?} is not a message id (expected INCIDENT/SEQ, such as INC-2026-11-23-1/7)"
            )),
        }
    }
}

/// Where a message is in its delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageState {
    /// Queued, waiting for the approvals it needs; never leased. The last
    /// approval makes it pending.
    Held,
    /// Queued, never tried.
    Pending,
    /// Held by a worker until its lease ends.
    Leased,
    /// Failed; to be tried again from its `not_before`.
    Retry,
    /// Delivered (the channel accepted it).
    Delivered,
    /// Given up; only [`crate::Store::replay`] queues it again.
    Dead,
    /// Sent, but whether it arrived is not known (a timeout after sending): it is
    /// not retried until someone checks and replays it.
    Unknown,
}

impl MessageState {
    /// Every state, in delivery order.
    pub const ALL: [MessageState; 7] = [
        MessageState::Held,
        MessageState::Pending,
        MessageState::Leased,
        MessageState::Retry,
        MessageState::Delivered,
        MessageState::Dead,
        MessageState::Unknown,
    ];

    /// The state's name as stored (`pending`, `leased`...).
    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::Held => "held",
            MessageState::Pending => "pending",
            MessageState::Leased => "leased",
            MessageState::Retry => "retry",
            MessageState::Delivered => "delivered",
            MessageState::Dead => "dead",
            MessageState::Unknown => "unknown",
        }
    }

    /// Whether the message is done with (delivered or dead): a later message of
    /// the same incident and channel may then go.
    pub fn is_final(self) -> bool {
        matches!(self, MessageState::Delivered | MessageState::Dead)
    }
}

impl fmt::Display for MessageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MessageState {
    type Err = String;

    fn from_str(s: &str) -> Result<MessageState, String> {
        MessageState::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown message state {s:?} (expected one of {})",
                    MessageState::ALL.map(MessageState::as_str).join(", ")
                )
            })
    }
}

/// A message a worker holds: send it, then record the attempt with its
/// `lease_token` before `lease_until`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leased {
    /// The message.
    pub id: MessageId,
    /// Its incident.
    pub incident: String,
    /// The channel's name.
    pub channel: String,
    /// The template id.
    pub kind: String,
    /// Who it is for.
    pub audience: String,
    /// The subject.
    pub subject: Option<String>,
    /// The body, as it will be sent.
    pub body: String,
    /// The idempotency key to send with it.
    pub key: String,
    /// This attempt's number (1 for the first).
    pub attempt: u64,
    /// How many times the message was leased before this lease. More leases
    /// than recorded attempts (`leases >= attempt`) means a lease ended with
    /// no attempt recorded: a worker may have sent the message and stopped
    /// before recording it, so the receiver may already have it.
    pub leases: u64,
    /// When it was queued (a worker gives up on messages too old).
    pub queued_at: Timestamp,
    /// Proves the lease when the attempt is recorded.
    pub lease_token: String,
    /// When the lease ends (another worker may then take the message).
    pub lease_until: Timestamp,
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The channel accepted the message.
    Delivered,
    /// A failure worth trying again, not before this time.
    Retry {
        /// The earliest next try.
        not_before: Timestamp,
        /// Why (recorded with secrets taken out).
        reason: String,
    },
    /// A failure not worth trying again (a refused address, a bad request).
    Dead {
        /// Why (recorded with secrets taken out).
        reason: String,
    },
    /// Sent, but whether it arrived is not known.
    Unknown {
        /// Why (recorded with secrets taken out).
        reason: String,
    },
}

impl Outcome {
    /// The state the message moves to.
    pub fn state(&self) -> MessageState {
        match self {
            Outcome::Delivered => MessageState::Delivered,
            Outcome::Retry { .. } => MessageState::Retry,
            Outcome::Dead { .. } => MessageState::Dead,
            Outcome::Unknown { .. } => MessageState::Unknown,
        }
    }

    /// The reason, for outcomes that carry one.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Dead { reason }
            | Outcome::Unknown { reason }
            | Outcome::Retry { reason, .. } => Some(reason),
            Outcome::Delivered => None,
        }
    }
}

/// One delivery attempt, as a worker reports it. Nothing in it may be secret: the
/// response is recorded by its hash only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// How it ended.
    pub outcome: Outcome,
    /// The channel's status code (HTTP status), when it answered.
    pub status: Option<u16>,
    /// How long the send took, in milliseconds.
    pub latency_ms: u64,
    /// SHA-256 (hex) of the channel's response body, when there was one.
    pub response_sha256: Option<String>,
    /// When the attempt was made.
    pub at: Timestamp,
}

/// Which messages [`crate::Store::messages`] lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// Only messages in this state.
    pub state: Option<MessageState>,
    /// Only messages of this incident.
    pub incident: Option<String>,
}

/// One message of the outbox, without its body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MessageRow {
    /// The message.
    pub id: MessageId,
    /// Its incident.
    pub incident: String,
    /// The seq of its `message-queued` event.
    pub seq: u64,
    /// The channel's name.
    pub channel: String,
    /// The template id.
    pub template: String,
    /// Who it is for.
    pub audience: String,
    /// The idempotency key.
    pub key: String,
    /// SHA-256 (hex) of the body.
    pub body_sha256: String,
    /// Where it is.
    pub state: MessageState,
    /// When it was queued.
    pub queued_at: Timestamp,
    /// Not sent before.
    pub not_before: Timestamp,
    /// Attempts recorded.
    pub attempts: u64,
    /// The worker holding or last holding its lease.
    pub leased_by: Option<String>,
    /// When the current or last lease ends.
    pub lease_until: Option<Timestamp>,
    /// Why its last failed attempt failed (to retry, dead or unknown).
    pub last_error: Option<String>,
}

/// One recorded attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttemptRow {
    /// The message.
    pub message: MessageId,
    /// The attempt's number (from 1).
    pub n: u64,
    /// The worker that made it.
    pub worker: String,
    /// The channel's name.
    pub channel: String,
    /// The state it moved the message to.
    pub outcome: MessageState,
    /// The channel's status code.
    pub status: Option<u16>,
    /// How long it took, in milliseconds.
    pub latency_ms: u64,
    /// SHA-256 (hex) of the response body.
    pub response_sha256: Option<String>,
    /// Why (retry, dead or unknown), secrets taken out.
    pub reason: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// The details of a `message-queued` event: what was queued, without the body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageQueued {
    /// The message's id.
    pub message: MessageId,
    /// The channel's name.
    pub channel: String,
    /// The template id.
    pub template: String,
    /// Who it is for.
    pub audience: String,
    /// The idempotency key.
    pub key: String,
    /// SHA-256 (hex) of the body as queued.
    pub body_sha256: String,
    /// Not sent before, when later than the queueing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Timestamp>,
    /// The event that caused it, when an action did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<u64>,
    /// The roles that must approve this body before it is sent (empty: none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<Role>,
    /// The regulatory clock it notifies, when it is such a notification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
}

/// The details of a `message-replayed` event: a dead or unknown message queued
/// again, with the same idempotency key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageReplayed {
    /// The message's id.
    pub message: MessageId,
    /// The channel's name.
    pub channel: String,
    /// The idempotency key (unchanged).
    pub key: String,
    /// The state it left.
    pub from: MessageState,
}

/// SHA-256 (hex) of `text`.
pub fn sha256(text: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::chain::hex(&Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_states_read_back() {
        let id = MessageId::new("INC-2026-11-23-1", 7);
        assert_eq!(id.as_str(), "INC-2026-11-23-1/7");
        assert_eq!(id.as_str().parse::<MessageId>().unwrap(), id);
        assert!("INC-2026-11-23-1".parse::<MessageId>().is_err());
        assert!("INC/x".parse::<MessageId>().is_err());
        for s in MessageState::ALL {
            assert_eq!(s.as_str().parse::<MessageState>().unwrap(), s);
        }
        assert!("sent".parse::<MessageState>().is_err());
        assert_eq!(
            default_key("INC-2026-11-23-1", 7, "slack", "kickoff"),
            "cverun-INC-2026-11-23-1-7-slack-kickoff"
        );
        // The SHA-256 of "abc" (FIPS 180-2, appendix B.1).
        assert_eq!(
            sha256("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn queued_and_replayed_events_keep_their_kinds_and_hold_no_body() {
        use crate::event::{Event, EventBody};
        let id = MessageId::new("INC-2026-11-23-1", 7);
        let queued = EventBody::MessageQueued(MessageQueued {
            message: id.clone(),
            channel: "slack-war-room".into(),
            template: "kickoff".into(),
            audience: "war-room".into(),
            key: default_key("INC-2026-11-23-1", 6, "slack-war-room", "kickoff"),
            body_sha256: sha256("abc"),
            not_before: None,
            cause: Some(6),
            needs: Vec::new(),
            clock: None,
        });
        assert_eq!(queued.kind(), "message-queued");
        assert_eq!(
            queued.details_json(),
            r#"{"audience":"war-room","body_sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","cause":6,"channel":"slack-war-room","key":"cverun-INC-2026-11-23-1-6-slack-war-room-kickoff","message":"INC-2026-11-23-1/7","template":"kickoff"}"#
        );
        let replayed = EventBody::MessageReplayed(MessageReplayed {
            message: id,
            channel: "slack-war-room".into(),
            key: "k".into(),
            from: MessageState::Unknown,
        });
        assert_eq!(replayed.kind(), "message-replayed");
        for body in [queued, replayed] {
            assert_eq!(
                EventBody::parse(body.kind(), &body.details_json()).unwrap(),
                body
            );
        }
        let e = Event::new(
            "INC-2026-11-23-1",
            7,
            "2026-11-23T12:00:00Z".parse().unwrap(),
            "cverun",
            &EventBody::MessageReplayed(MessageReplayed {
                message: MessageId::new("INC-2026-11-23-1", 3),
                channel: "email".into(),
                key: "k".into(),
                from: MessageState::Dead,
            }),
            crate::chain::GENESIS,
        );
        assert_eq!(
            crate::view::text::describe(&e),
            "message INC-2026-11-23-1/3 replayed (dead -> pending) via email, same key k"
        );
    }
}
