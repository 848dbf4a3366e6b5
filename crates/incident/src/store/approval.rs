//! Approving held messages ([`crate::outbox::approval`]) and the checks a
//! message passes before it is leased: its body still hashes to what the
//! `message-queued` event signed, and every role it needs approved that body.

use std::collections::BTreeMap;

use super::{Store, Tx, append, check_actor, event_time, locked_state, signing_key, time_of};
use crate::error::{Error, Result};
use crate::event::{Event, EventBody};
use crate::model::Role;
use crate::outbox::approval::{self, Approvals, MessageApproved};
use crate::outbox::{MessageId, MessageRow, MessageState, sha256};
use crate::rules;

use super::outbox::{OutboxRecord, message_row, unknown_message};

/// What [`Store::approve_message`] recorded.
#[derive(Clone, Debug)]
pub struct ApprovalRecorded {
    /// The role approved for.
    pub role: Role,
    /// The message's approvals after this one.
    pub approvals: Approvals,
    /// Whether this approval completed them: the message is now pending.
    pub released: bool,
    /// The `message-approved` event.
    pub event: Event,
}

/// A queued message with its body, as it will be sent.
#[derive(Clone, Debug)]
pub struct StoredMessage {
    /// The outbox row.
    pub row: MessageRow,
    /// The subject.
    pub subject: Option<String>,
    /// The body, as stored.
    pub body: String,
    /// Whether the stored body still hashes to the hash the timeline signed.
    pub body_intact: bool,
    /// Its approvals, from the timeline.
    pub approvals: Approvals,
}

impl Store {
    /// Records `actor`'s approval of held message `id`, whose body must hash to
    /// `body_sha256` (the hash signed in its `message-queued` event): a signed
    /// `message-approved` event naming the role the actor approves for (one they
    /// hold in the incident, or may hold per its roster, among those still
    /// missing). When every role it needs has approved that body, the message
    /// becomes pending in the same transaction. Refused, with nothing recorded:
    /// another hash, a message not held, a stored body that no longer matches its
    /// signed hash, an actor who already approved it or may approve for none of
    /// the missing roles.
    pub fn approve_message(
        &mut self,
        id: &MessageId,
        actor: &str,
        body_sha256: &str,
    ) -> Result<ApprovalRecorded> {
        let actor = check_actor(actor)?;
        let label = self.label();
        let (clock, simulated) = (self.clock, self.simulated);
        let Store { backend, keys, .. } = self;
        let mut out = None;
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
            let events = tx.events(&incident_id)?;
            let mut status = approval::of(&events, id).map_err(Error::Corrupt)?;
            if let Some(problem) = body_problem(&r, &status) {
                return Err(Error::Refused(format!(
                    "message {id}: {problem}; it is not approved (and will not be sent)"
                )));
            }
            let actor = &rules::resolve_actor(&incident, actor);
            let role =
                approval::judge(&incident, &status, actor, body_sha256).map_err(Error::Refused)?;
            if r.state != MessageState::Held.as_str() {
                return Err(Error::Refused(format!(
                    "message {id} is {}: only a held message is approved",
                    r.state
                )));
            }
            let key = signing_key(keys)?;
            let now = event_time(&incident_id, time_of(clock, tx)?, last, simulated)?;
            let body = EventBody::MessageApproved(MessageApproved {
                message: id.clone(),
                body_sha256: status.body_sha256.clone(),
                role,
            });
            let mut appended = append(
                tx,
                &incident_id,
                &mut head,
                actor,
                now,
                vec![body],
                &key,
                simulated,
            )?;
            let event = appended
                .pop()
                .ok_or_else(|| Error::Corrupt(format!("message {id}: no approval recorded")))?;
            let mut all = events;
            all.push(event.clone());
            status = approval::of(&all, id).map_err(Error::Corrupt)?;
            let released = status.complete();
            if released && !tx.move_state(id.as_str(), "held", "pending", None)? {
                return Err(Error::Corrupt(format!(
                    "message {id} changed during its approval"
                )));
            }
            let b = event.body().map_err(Error::Corrupt)?;
            incident
                .apply(event.seq, actor, now, b)
                .map_err(Error::Corrupt)?;
            incident.set_head(&event);
            tx.set_head(&incident_id, &head, incident.phase, incident.priority)?;
            out = Some(ApprovalRecorded {
                role,
                approvals: status,
                released,
                event,
            });
            Ok(())
        })?;
        out.ok_or_else(|| Error::Corrupt(format!("message {id}: the approval recorded nothing")))
    }

    /// Message `id` with its body and approvals.
    pub fn message(&mut self, id: &MessageId) -> Result<StoredMessage> {
        let mut out = None;
        self.backend.read(&mut |tx| {
            let r = tx
                .message(id.as_str(), false)?
                .ok_or_else(|| unknown_message(id))?;
            let events = tx.events(&r.incident)?;
            let approvals = approval::of(&events, id).map_err(Error::Corrupt)?;
            let body_intact = body_problem(&r, &approvals).is_none();
            out = Some((r, approvals, body_intact));
            Ok(())
        })?;
        let (r, approvals, body_intact) =
            out.ok_or_else(|| Error::Corrupt(format!("message {id} could not be read")))?;
        Ok(StoredMessage {
            subject: r.subject.clone(),
            body: r.body.clone(),
            row: message_row(r)?,
            body_intact,
            approvals,
        })
    }
}

/// Why a stored message must not be approved or sent, if it must not: its body
/// no longer hashes to the hash its row or its signed `message-queued` event
/// recorded.
fn body_problem(r: &OutboxRecord, signed: &Approvals) -> Option<String> {
    let actual = sha256(&r.body);
    if actual != r.body_sha256 || actual != signed.body_sha256 {
        Some(format!(
            "body changed after queueing (it hashes to {}..., the timeline recorded {}...)",
            approval::short(&actual),
            approval::short(&signed.body_sha256)
        ))
    } else {
        None
    }
}

/// Events of each incident, read once per lease.
pub(crate) struct Timelines(BTreeMap<String, Vec<Event>>);

impl Timelines {
    pub(crate) fn new() -> Timelines {
        Timelines(BTreeMap::new())
    }

    /// Why `r` must not be sent, if it must not: its body changed after queueing
    /// (`body changed after queueing`), its signed record is missing, or roles it
    /// needs have not approved this body (a row made pending by hand).
    pub(crate) fn refusal(&mut self, tx: &mut dyn Tx, r: &OutboxRecord) -> Result<Option<String>> {
        if !self.0.contains_key(&r.incident) {
            let events = tx.events(&r.incident)?;
            self.0.insert(r.incident.clone(), events);
        }
        let events = self.0.get(&r.incident).map(Vec::as_slice).unwrap_or(&[]);
        let a = match approval::of(events, &MessageId(r.id.clone())) {
            Ok(a) => a,
            Err(e) => return Ok(Some(format!("{e}: not sent"))),
        };
        if sha256(&r.body) != r.body_sha256 || r.body_sha256 != a.body_sha256 {
            return Ok(Some("body changed after queueing".to_owned()));
        }
        if !a.complete() {
            return Ok(Some(format!(
                "not approved: still needs {} (the row left held without the approvals)",
                a.missing
                    .iter()
                    .map(|r| r.key())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(None)
    }
}

impl Store {
    /// When each delivered message of incident `id` was first delivered (its
    /// first `delivered` attempt), for the regulatory notices.
    pub fn deliveries(&mut self, id: &str) -> Result<BTreeMap<MessageId, jiff::Timestamp>> {
        let rows = self.messages(&crate::outbox::MessageFilter {
            state: Some(MessageState::Delivered),
            incident: Some(id.to_owned()),
        })?;
        let mut out = BTreeMap::new();
        for r in rows {
            if let Some(a) = self
                .attempts(&r.id)?
                .into_iter()
                .find(|a| a.outcome == MessageState::Delivered)
            {
                out.insert(r.id, a.at);
            }
        }
        Ok(out)
    }
}
