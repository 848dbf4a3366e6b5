//! The outbox's storage: the `outbox` and `attempts` tables, and the store
//! operations on them ([`crate::outbox`] holds the vocabulary).
//!
//! Queueing runs inside the write transaction of the events that cause it, under
//! the incident's lock: the `message-queued` events and the outbox rows commit
//! together with the action's events, or nothing does.
//!
//! Leasing runs in its own write transaction: PostgreSQL selects the due messages
//! with `FOR UPDATE SKIP LOCKED` (concurrent workers skip each other's rows instead
//! of waiting for them), SQLite under `BEGIN IMMEDIATE` (one writer at a time).
//! Either way a lease is a conditional `UPDATE`, and an attempt is recorded only by
//! the holder of the current lease token. A message is due when it is pending or
//! to retry (or leased with its lease ended), its `not_before` has come, and no
//! older message of its incident and channel is still undelivered and not dead.
//!
//! Times the outbox compares (`not_before`, lease ends) are stored as integer
//! microseconds since the epoch, so SQL compares them as numbers.

use std::time::Duration;

use jiff::Timestamp;

use super::{
    Recorded, Store, Tx, append, check_actor, event_time, locked_state, signing_key, time_of,
};
use crate::chain::Head;
use crate::error::{Error, Result};
use crate::event::{Event, EventBody};
use crate::key::Key;
use crate::model::Role;
use crate::outbox::approval;
use crate::outbox::{
    Attempt, AttemptRow, Leased, MessageFilter, MessageId, MessageQueued, MessageReplayed,
    MessageRow, MessageState, NewMessage, Outcome, default_key, sha256,
};
use crate::rules::{self, Action};
use crate::state::Incident;

/// The largest body (or subject) queued, in bytes: larger ones are refused rather
/// than stored (no channel takes them).
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// The longest lease, so a lease end always fits the store's integers.
pub const MAX_LEASE: Duration = Duration::from_secs(24 * 3600);

/// How messages are chosen for the events an action appended: given the incident
/// after them and the events, the messages to queue, or why they cannot be chosen
/// (then nothing is recorded).
pub type Route<'a> =
    dyn Fn(&Incident, &[Event]) -> std::result::Result<Vec<NewMessage>, String> + 'a;

/// How `tick` chooses messages for an incident: given the incident after the
/// events that fired (maybe none), those events, and the incident's whole
/// timeline including them, the messages to queue, or why they cannot be chosen
/// (then nothing is recorded for that incident).
pub type TickRoute<'a> =
    dyn Fn(&Incident, &[Event], &[Event]) -> std::result::Result<Vec<NewMessage>, String> + 'a;

/// The migration creating the outbox tables.
pub(crate) const MIGRATION: &str = "CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    seq BIGINT NOT NULL,
    channel TEXT NOT NULL,
    template TEXT NOT NULL,
    audience TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    body_sha256 TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    queued_us BIGINT NOT NULL,
    not_before_us BIGINT NOT NULL,
    lease_owner TEXT,
    lease_token TEXT,
    lease_until_us BIGINT,
    leases BIGINT NOT NULL,
    attempt_count BIGINT NOT NULL,
    last_error TEXT,
    UNIQUE (incident_id, seq)
);
CREATE INDEX outbox_due ON outbox (state, not_before_us);
CREATE INDEX outbox_order ON outbox (incident_id, channel, seq);
CREATE TABLE attempts (
    message_id TEXT NOT NULL REFERENCES outbox (id),
    n BIGINT NOT NULL,
    worker TEXT NOT NULL,
    channel TEXT NOT NULL,
    outcome TEXT NOT NULL,
    status BIGINT,
    latency_ms BIGINT NOT NULL,
    response_sha256 TEXT,
    reason TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (message_id, n)
);
";

/// The columns of `outbox`, in [`OutboxRecord`]'s order.
pub(crate) const OUTBOX_COLUMNS: &str = "id, incident_id, seq, channel, template, audience, subject, body, body_sha256, idempotency_key, state, queued_us, not_before_us, lease_owner, lease_token, lease_until_us, leases, attempt_count, last_error";

/// The columns of `attempts`, in [`AttemptRecord`]'s order.
pub(crate) const ATTEMPT_COLUMNS: &str =
    "message_id, n, worker, channel, outcome, status, latency_ms, response_sha256, reason, at";

/// The condition making an outbox row `o` due at `now` (the first parameter of
/// the dialect, substituted by each backend), oldest undelivered of its pair.
pub(crate) const DUE: &str = "o.state IN ('pending', 'retry', 'leased')
  AND o.not_before_us <= {now}
  AND (o.state <> 'leased' OR o.lease_until_us IS NULL OR o.lease_until_us <= {now})
  AND NOT EXISTS (
    SELECT 1 FROM outbox p
    WHERE p.incident_id = o.incident_id AND p.channel = o.channel AND p.seq < o.seq
      AND p.state NOT IN ('delivered', 'dead', 'held'))";

/// One row of `outbox`, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OutboxRecord {
    pub id: String,
    pub incident: String,
    pub seq: i64,
    pub channel: String,
    pub template: String,
    pub audience: String,
    pub subject: Option<String>,
    pub body: String,
    pub body_sha256: String,
    pub key: String,
    pub state: String,
    pub queued_us: i64,
    pub not_before_us: i64,
    pub lease_owner: Option<String>,
    pub lease_token: Option<String>,
    pub lease_until_us: Option<i64>,
    pub leases: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
}

/// One row of `attempts`, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AttemptRecord {
    pub message: String,
    pub n: i64,
    pub worker: String,
    pub channel: String,
    pub outcome: String,
    pub status: Option<i64>,
    pub latency_ms: i64,
    pub response_sha256: Option<String>,
    pub reason: Option<String>,
    pub at: String,
}

/// The outbox's storage operations inside one transaction.
pub(crate) trait OutboxTx {
    /// Inserts a message row.
    fn insert_message(&mut self, m: &OutboxRecord) -> Result<()>;
    /// The id of the message holding idempotency key `key`.
    fn message_by_key(&mut self, key: &str) -> Result<Option<String>>;
    /// Message `id`; with `lock`, locked until the transaction ends (PostgreSQL:
    /// `FOR UPDATE`; SQLite already holds the write lock).
    fn message(&mut self, id: &str, lock: bool) -> Result<Option<OutboxRecord>>;
    /// Up to `limit` messages due at `now_us` ([`DUE`]), oldest first, locked
    /// (PostgreSQL: rows another transaction holds are skipped).
    fn leasable(&mut self, now_us: i64, limit: i64) -> Result<Vec<OutboxRecord>>;
    /// Leases message `id` to `owner` until `until_us`; `false` when it was not due.
    fn set_lease(
        &mut self,
        id: &str,
        owner: &str,
        token: &str,
        until_us: i64,
        now_us: i64,
    ) -> Result<bool>;
    /// Ends the lease `token` of message `id` in `state` (with a new `not_before`
    /// and an error when given), counting the attempt; `false` when the lease is
    /// not held.
    fn finish(
        &mut self,
        id: &str,
        token: &str,
        state: &str,
        not_before_us: Option<i64>,
        last_error: Option<&str>,
    ) -> Result<bool>;
    /// Records an attempt.
    fn insert_attempt(&mut self, a: &AttemptRecord) -> Result<()>;
    /// The messages (in a state, of an incident), by incident then seq.
    fn messages(
        &mut self,
        state: Option<&str>,
        incident: Option<&str>,
    ) -> Result<Vec<OutboxRecord>>;
    /// The attempts of message `id`, in order.
    fn attempts(&mut self, id: &str) -> Result<Vec<AttemptRecord>>;
    /// Puts a dead or unknown message back to pending, due at `now_us`; `false`
    /// when it was in another state.
    fn requeue(&mut self, id: &str, now_us: i64) -> Result<bool>;
    /// Moves message `id` from state `from` to `to` (with an error when given),
    /// clearing its lease; `false` when it was not in `from`.
    fn move_state(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        last_error: Option<&str>,
    ) -> Result<bool>;
}

impl Store {
    /// Applies `action` like [`Store::act`] and, in the same transaction, queues
    /// the messages `route` chooses for the incident after the action and the
    /// events it appended: each becomes an outbox row and a `message-queued`
    /// event after the action's events. A refused action, a route returning an
    /// error, an invalid message or an idempotency key already used records
    /// nothing at all. Returns every event appended (the action's, then the
    /// queueing) and the messages' ids.
    pub fn act_notifying(
        &mut self,
        id: &str,
        action: &Action,
        actor: &str,
        route: &Route<'_>,
    ) -> Result<(Recorded, Vec<MessageId>)> {
        self.write_notifying(id, actor, Some(action), route)
    }

    /// Queues `messages` for incident `id`, not caused by an action (a status
    /// update due, a digest): `message-queued` events and outbox rows in one
    /// transaction under the incident's lock. Default keys use each message's
    /// own `message-queued` seq.
    pub fn enqueue(
        &mut self,
        id: &str,
        actor: &str,
        messages: Vec<NewMessage>,
    ) -> Result<(Recorded, Vec<MessageId>)> {
        self.write_notifying(id, actor, None, &|_, _| Ok(messages.clone()))
    }

    fn write_notifying(
        &mut self,
        id: &str,
        actor: &str,
        action: Option<&Action>,
        route: &Route<'_>,
    ) -> Result<(Recorded, Vec<MessageId>)> {
        let actor = check_actor(actor)?;
        let label = self.label();
        let (clock, simulated) = (self.clock, self.simulated);
        let Store { backend, keys, .. } = self;
        let mut out = None;
        backend.write(&mut |tx| {
            let (mut head, mut incident, last) = locked_state(tx, id, &label, keys, simulated)?;
            let actor = &rules::resolve_actor(&incident, actor);
            let key = signing_key(keys)?;
            let now = event_time(id, time_of(clock, tx)?, last, simulated)?;
            let bodies = match action {
                Some(a) => rules::act(&incident, a, actor, now).map_err(Error::Refused)?,
                None => Vec::new(),
            };
            let mut events = append(tx, id, &mut head, actor, now, bodies, &key, simulated)?;
            fold(&mut incident, &events, actor, now)?;
            let messages = route(&incident, &events).map_err(|m| refused_route(id, &m))?;
            let q = Queue {
                id,
                actor,
                now,
                cause: events.last().map(|e| e.seq),
                first: events.first().map_or(head.seq + 1, |e| e.seq),
                key: &key,
                simulated,
            };
            let (queued, ids) = q.all(tx, &mut head, &mut incident, messages)?;
            events.extend(queued);
            if !events.is_empty() {
                tx.set_head(id, &head, incident.phase, incident.priority)?;
            }
            out = Some((
                Recorded {
                    incident: incident.clone(),
                    events,
                },
                ids,
            ));
            Ok(())
        })?;
        out.ok_or_else(|| Error::Corrupt("the write recorded nothing".into()))
    }

    /// Leases up to `limit` due messages to `worker` for `lease_for` (at most
    /// [`MAX_LEASE`]), oldest first, at most one per incident and channel. Until
    /// the lease ends no other worker gets them; after, another may.
    pub fn lease(
        &mut self,
        worker: &str,
        limit: usize,
        lease_for: Duration,
    ) -> Result<Vec<Leased>> {
        let worker = check_actor(worker)?;
        if lease_for.is_zero() || lease_for > MAX_LEASE {
            return Err(Error::Refused(format!(
                "a lease must last more than 0 s and at most {} s (asked: {} ms)",
                MAX_LEASE.as_secs(),
                lease_for.as_millis()
            )));
        }
        let lease_us = i64::try_from(lease_for.as_micros()).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let clock = self.clock;
        let mut out = Vec::new();
        self.backend.write(&mut |tx| {
            out.clear();
            let now_us = time_of(clock, tx)?.as_microsecond();
            let until_us = now_us.saturating_add(lease_us);
            let mut timelines = super::approval::Timelines::new();
            for r in tx.leasable(now_us, limit)? {
                // A body changed in the database, or a held message released
                // without its approvals, is never sent.
                if let Some(reason) = timelines.refusal(tx, &r)? {
                    tx.move_state(&r.id, &r.state, MessageState::Dead.as_str(), Some(&reason))?;
                    continue;
                }
                let token = format!("{}:{worker}", r.leases + 1);
                if !tx.set_lease(&r.id, worker, &token, until_us, now_us)? {
                    continue;
                }
                out.push(Leased {
                    id: MessageId(r.id),
                    incident: r.incident,
                    channel: r.channel,
                    kind: r.template,
                    audience: r.audience,
                    subject: r.subject,
                    body: r.body,
                    key: r.key,
                    attempt: count(r.attempts) + 1,
                    leases: count(r.leases),
                    queued_at: timestamp(r.queued_us)?,
                    lease_token: token,
                    lease_until: timestamp(until_us)?,
                });
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Records an attempt at message `id` by the holder of lease `lease_token`,
    /// moving the message to the outcome's state; returns that state. Refused
    /// (nothing recorded) when the lease is no longer held: another worker took
    /// the message after the lease ended, or the outcome was already recorded. A
    /// lease that ended but was not taken over still counts.
    pub fn record_attempt(
        &mut self,
        id: &MessageId,
        lease_token: &str,
        attempt: &Attempt,
    ) -> Result<MessageState> {
        if let Some(h) = &attempt.response_sha256 {
            if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::Refused(format!(
                    "message {id}: the response hash {h:?} is not a hex SHA-256"
                )));
            }
        }
        let state = attempt.outcome.state();
        let reason = attempt
            .outcome
            .reason()
            .map(|r| crate::redact::text(r, &mut crate::redact::Tally::new()));
        let not_before_us = match &attempt.outcome {
            Outcome::Retry { not_before, .. } => Some(not_before.as_microsecond()),
            _ => None,
        };
        let mut out = None;
        self.backend.write(&mut |tx| {
            let r = tx
                .message(id.as_str(), true)?
                .ok_or_else(|| unknown_message(id))?;
            let held = r.state == MessageState::Leased.as_str()
                && r.lease_token.as_deref() == Some(lease_token);
            if !held
                || !tx.finish(
                    &r.id,
                    lease_token,
                    state.as_str(),
                    not_before_us,
                    reason.as_deref(),
                )?
            {
                return Err(Error::Refused(format!(
                    "message {id}: lease {lease_token} is no longer held (the message is {}{}); the attempt was not recorded",
                    r.state,
                    r.lease_owner
                        .as_deref()
                        .map(|w| format!(", last leased by {w}"))
                        .unwrap_or_default()
                )));
            }
            tx.insert_attempt(&AttemptRecord {
                message: r.id.clone(),
                n: r.attempts + 1,
                worker: r.lease_owner.clone().unwrap_or_default(),
                channel: r.channel.clone(),
                outcome: state.as_str().to_owned(),
                status: attempt.status.map(i64::from),
                latency_ms: i64::try_from(attempt.latency_ms).unwrap_or(i64::MAX),
                response_sha256: attempt.response_sha256.clone(),
                reason: reason.clone(),
                at: attempt.at.to_string(),
            })?;
            out = Some(state);
            Ok(())
        })?;
        out.ok_or_else(|| Error::Corrupt(format!("message {id}: the attempt recorded nothing")))
    }

    /// The outbox's messages (in a state, of an incident), by incident then seq,
    /// without their bodies.
    pub fn messages(&mut self, filter: &MessageFilter) -> Result<Vec<MessageRow>> {
        let mut rows = Vec::new();
        self.backend.read(&mut |tx| {
            rows = tx.messages(
                filter.state.map(MessageState::as_str),
                filter.incident.as_deref(),
            )?;
            Ok(())
        })?;
        rows.into_iter().map(message_row).collect()
    }

    /// The attempts recorded for message `id`, in order.
    pub fn attempts(&mut self, id: &MessageId) -> Result<Vec<AttemptRow>> {
        let mut rows = Vec::new();
        self.backend.read(&mut |tx| {
            if tx.message(id.as_str(), false)?.is_none() {
                return Err(unknown_message(id));
            }
            rows = tx.attempts(id.as_str())?;
            Ok(())
        })?;
        rows.into_iter().map(attempt_row).collect()
    }

    /// Queues a dead or unknown message again (pending, due now, same idempotency
    /// key), recording a `message-replayed` event by `actor` in its incident's
    /// timeline. Refused for a message in any other state.
    pub fn replay(&mut self, id: &MessageId, actor: &str) -> Result<()> {
        let actor = check_actor(actor)?;
        let label = self.label();
        let (clock, simulated) = (self.clock, self.simulated);
        let Store { backend, keys, .. } = self;
        backend.write(&mut |tx| {
            let incident_id = tx
                .message(id.as_str(), false)?
                .ok_or_else(|| unknown_message(id))?
                .incident;
            // The incident first, then the message: the order every writer takes.
            let (mut head, mut incident, last) =
                locked_state(tx, &incident_id, &label, keys, simulated)?;
            let r = tx
                .message(id.as_str(), true)?
                .ok_or_else(|| unknown_message(id))?;
            let from: MessageState = r.state.parse().map_err(Error::Corrupt)?;
            if !matches!(from, MessageState::Dead | MessageState::Unknown) {
                return Err(Error::Refused(format!(
                    "message {id} is {from}: only a dead or unknown message is replayed"
                )));
            }
            let actor = &rules::resolve_actor(&incident, actor);
            let key = signing_key(keys)?;
            let now = event_time(&incident_id, time_of(clock, tx)?, last, simulated)?;
            let body = EventBody::MessageReplayed(MessageReplayed {
                message: id.clone(),
                channel: r.channel.clone(),
                key: r.key.clone(),
                from,
            });
            let events = append(
                tx,
                &incident_id,
                &mut head,
                actor,
                now,
                vec![body],
                &key,
                simulated,
            )?;
            fold(&mut incident, &events, actor, now)?;
            if !tx.requeue(id.as_str(), now.as_microsecond())? {
                return Err(Error::Corrupt(format!(
                    "message {id} changed during the replay"
                )));
            }
            tx.set_head(&incident_id, &head, incident.phase, incident.priority)
        })
    }
}

/// The refusal of a write whose messages could not be chosen.
pub(super) fn refused_route(id: &str, m: &str) -> Error {
    Error::Refused(format!(
        "{id}: the messages could not be chosen ({m}); nothing was recorded"
    ))
}

/// What one queueing needs besides the message.
pub(super) struct Queue<'a> {
    /// The incident.
    pub id: &'a str,
    /// Who queues.
    pub actor: &'a str,
    /// The time of the write.
    pub now: Timestamp,
    /// The seq of the event causing the messages (the last one appended).
    pub cause: Option<u64>,
    /// The seq of the first event the write appended (a message's key naming
    /// one of them makes it its cause).
    pub first: u64,
    /// The signing key.
    pub key: &'a Key,
    /// Whether the store is simulated.
    pub simulated: bool,
}

impl Queue<'_> {
    /// Queues every message of `messages` (a `message-queued` event and an
    /// outbox row each), folding the events into `incident`; returns the events
    /// and the messages' ids.
    pub(super) fn all(
        &self,
        tx: &mut dyn Tx,
        head: &mut Head,
        incident: &mut Incident,
        messages: Vec<NewMessage>,
    ) -> Result<(Vec<Event>, Vec<MessageId>)> {
        let mut ids = Vec::new();
        let mut queued = Vec::new();
        for m in messages {
            let (event, message) = self.one(tx, head, incident, m)?;
            queued.push(event);
            ids.push(message);
        }
        fold(incident, &queued, self.actor, self.now)?;
        Ok((queued, ids))
    }

    /// Appends the `message-queued` event of `m` and inserts its outbox row.
    fn one(
        &self,
        tx: &mut dyn Tx,
        head: &mut Head,
        incident: &Incident,
        m: NewMessage,
    ) -> Result<(Event, MessageId)> {
        check_message(self.id, &m)?;
        let seq = head.seq + 1;
        let message = MessageId::new(self.id, seq);
        // The event a message names in its key (`default_key` of one of the
        // events the write appended) is its cause; else the write's last event.
        let cause = m
            .key
            .as_deref()
            .and_then(|k| {
                (self.first..seq).find(|s| k == default_key(self.id, *s, &m.channel, &m.kind))
            })
            .or(self.cause);
        let key = m.key.clone().unwrap_or_else(|| {
            default_key(self.id, self.cause.unwrap_or(seq), &m.channel, &m.kind)
        });
        if key.trim().is_empty() {
            return Err(Error::Refused(format!(
                "{}: a message's idempotency key must not be empty; nothing was recorded",
                self.id
            )));
        }
        if let Some(other) = tx.message_by_key(&key)? {
            return Err(Error::Refused(format!(
                "{}: idempotency key {key} is already used by message {other}; nothing was recorded",
                self.id
            )));
        }
        let body_sha256 = sha256(&m.body);
        let needs = m
            .needs
            .clone()
            .unwrap_or_else(|| approval::default_needs(&m.kind));
        check_needs_and_clock(incident, &m, &needs)?;
        let state = if needs.is_empty() {
            MessageState::Pending
        } else {
            MessageState::Held
        };
        let body = EventBody::MessageQueued(MessageQueued {
            message: message.clone(),
            channel: m.channel.clone(),
            template: m.kind.clone(),
            audience: m.audience.clone(),
            key: key.clone(),
            body_sha256: body_sha256.clone(),
            not_before: m.not_before.filter(|t| *t > self.now),
            cause,
            needs,
            clock: m.clock.clone(),
        });
        let mut events = append(
            tx,
            self.id,
            head,
            self.actor,
            self.now,
            vec![body],
            self.key,
            self.simulated,
        )?;
        let event = events.pop().filter(|e| e.seq == seq).ok_or_else(|| {
            Error::Corrupt(format!(
                "{}: a message-queued event was not recorded",
                self.id
            ))
        })?;
        let now_us = self.now.as_microsecond();
        tx.insert_message(&OutboxRecord {
            id: message.0.clone(),
            incident: self.id.to_owned(),
            seq: super::to_i64(seq)?,
            channel: m.channel,
            template: m.kind,
            audience: m.audience,
            subject: m.subject,
            body: m.body,
            body_sha256,
            key,
            state: state.as_str().to_owned(),
            queued_us: now_us,
            not_before_us: m
                .not_before
                .map(|t| t.as_microsecond())
                .unwrap_or(now_us)
                .max(now_us),
            lease_owner: None,
            lease_token: None,
            lease_until_us: None,
            leases: 0,
            attempts: 0,
            last_error: None,
        })?;
        Ok((event, message))
    }
}

/// Refuses approvals by roles the incident's runbook does not know, and a clock
/// that is not one of its regulatory clocks.
fn check_needs_and_clock(inc: &Incident, m: &NewMessage, needs: &[Role]) -> Result<()> {
    for r in needs {
        if inc.runbook.role(*r).is_none() {
            return Err(Error::Refused(format!(
                "{}: message {} to {} needs the approval of role {}, which the incident's runbook does not have; nothing was recorded",
                inc.id,
                m.kind,
                m.channel,
                r.key()
            )));
        }
    }
    if let Some(c) = &m.clock
        && !inc.runbook.regulatory.iter().any(|r| r.id == *c)
    {
        return Err(Error::Refused(format!(
            "{}: message {} names clock {c:?}, which is not a regulatory clock of the incident's runbook ({}); nothing was recorded",
            inc.id,
            m.kind,
            inc.runbook
                .regulatory
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(())
}

/// Refuses a message that cannot be queued: an empty name, a body too large.
fn check_message(id: &str, m: &NewMessage) -> Result<()> {
    let refuse = |what: String| {
        Err(Error::Refused(format!(
            "{id}: a message {what}; nothing was recorded"
        )))
    };
    for (name, value) in [
        ("channel", &m.channel),
        ("template", &m.kind),
        ("audience", &m.audience),
    ] {
        if value.trim().is_empty() {
            return refuse(format!("has no {name}"));
        }
    }
    let size = m.body.len() + m.subject.as_ref().map_or(0, String::len);
    if size > MAX_MESSAGE_BYTES {
        return refuse(format!(
            "to {} is {size} bytes, more than the {MAX_MESSAGE_BYTES} allowed",
            m.channel
        ));
    }
    Ok(())
}

/// Folds appended events into `incident`.
pub(super) fn fold(
    incident: &mut Incident,
    events: &[Event],
    actor: &str,
    now: Timestamp,
) -> Result<()> {
    for e in events {
        let body = e.body().map_err(Error::Corrupt)?;
        incident
            .apply(e.seq, actor, now, body)
            .map_err(Error::Corrupt)?;
        incident.set_head(e);
    }
    Ok(())
}

pub(super) fn unknown_message(id: &MessageId) -> Error {
    Error::Refused(format!("no message {id} in the outbox"))
}

fn timestamp(us: i64) -> Result<Timestamp> {
    Timestamp::from_microsecond(us)
        .map_err(|e| Error::Corrupt(format!("outbox time {us} is out of range: {e}")))
}

/// A stored count (a negative one, written by hand, reads as 0).
fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

pub(super) fn message_row(r: OutboxRecord) -> Result<MessageRow> {
    Ok(MessageRow {
        state: r
            .state
            .parse()
            .map_err(|e| Error::Corrupt(format!("message {}: {e}", r.id)))?,
        id: MessageId(r.id),
        incident: r.incident,
        seq: count(r.seq),
        channel: r.channel,
        template: r.template,
        audience: r.audience,
        key: r.key,
        body_sha256: r.body_sha256,
        queued_at: timestamp(r.queued_us)?,
        not_before: timestamp(r.not_before_us)?,
        attempts: count(r.attempts),
        leased_by: r.lease_owner,
        lease_until: r.lease_until_us.map(timestamp).transpose()?,
        last_error: r.last_error,
    })
}

fn attempt_row(a: AttemptRecord) -> Result<AttemptRow> {
    Ok(AttemptRow {
        outcome: a.outcome.parse().map_err(|e| {
            Error::Corrupt(format!("attempt {} of message {}: {e}", a.n, a.message))
        })?,
        at: a.at.parse().map_err(|e| {
            Error::Corrupt(format!(
                "attempt {} of message {}: time {:?}: {e}",
                a.n, a.message, a.at
            ))
        })?,
        message: MessageId(a.message),
        n: count(a.n),
        worker: a.worker,
        channel: a.channel,
        status: a.status.and_then(|s| u16::try_from(s).ok()),
        latency_ms: count(a.latency_ms),
        response_sha256: a.response_sha256,
        reason: a.reason,
    })
}
