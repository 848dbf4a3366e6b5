//! Regulatory clocks and the messages that notify them: for each message that
//! names a regulatory clock (`NewMessage::clock`, recorded in its
//! `message-queued` event), when it was queued, approved (every approval) and
//! delivered, and whether it was approved and sent before the clock's due time.
//!
//! Pure: the timeline gives the queueing and the approvals, the caller the first
//! delivery of each message (from the outbox's attempts, which the timeline does
//! not hold).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::event::Event;
use crate::outbox::MessageId;
use crate::outbox::approval::{self, Given};
use crate::state::Incident;

/// A message notifying a regulatory clock, and whether it was in time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClockNotice {
    /// The regulatory clock's id (`gdpr`).
    pub clock: String,
    /// When the clock is due (`null` before the incident records awareness).
    pub due: Option<Timestamp>,
    /// The message.
    pub message: MessageId,
    /// Its channel.
    pub channel: String,
    /// Its audience.
    pub audience: String,
    /// When it was queued.
    pub queued_at: Timestamp,
    /// The approvals of its body given so far.
    pub approvals: Vec<Given>,
    /// The roles still to approve.
    pub missing: Vec<String>,
    /// When the last approval needed was given (or the queueing, when none
    /// was needed); `null` while some are missing.
    pub approved_at: Option<Timestamp>,
    /// When a channel first accepted it; `null` when not (yet) delivered.
    pub delivered_at: Option<Timestamp>,
    /// Approved before the due time: `true`/`false` once known, `null` while it
    /// still can be (or no due time yet).
    pub approved_in_time: Option<bool>,
    /// Delivered before the due time, likewise.
    pub sent_in_time: Option<bool>,
}

/// The messages of `events` that notify a regulatory clock of `inc`, in
/// queueing order, with their first delivery from `delivered` and judged at
/// `now`.
pub fn regulatory(
    inc: &Incident,
    events: &[Event],
    delivered: &BTreeMap<MessageId, Timestamp>,
    now: Timestamp,
) -> Vec<ClockNotice> {
    approval::all(events)
        .into_iter()
        .filter_map(|a| {
            let clock = a.clock.clone()?;
            let due = due(inc, &clock);
            let approved_at = if a.needs.is_empty() {
                Some(a.queued_at)
            } else {
                a.approved_at()
            };
            let delivered_at = delivered.get(&a.message).copied();
            Some(ClockNotice {
                due,
                approved_in_time: in_time(approved_at, due, now),
                sent_in_time: in_time(delivered_at, due, now),
                clock,
                message: a.message,
                channel: a.channel,
                audience: a.audience,
                queued_at: a.queued_at,
                missing: a.missing.iter().map(|r| r.key().to_owned()).collect(),
                approvals: a.given,
                approved_at,
                delivered_at,
            })
        })
        .collect()
}

/// When regulatory clock `id` of `inc` is due: awareness plus its length.
fn due(inc: &Incident, id: &str) -> Option<Timestamp> {
    let aware = inc.aware_at?;
    let c = inc.runbook.regulatory.iter().find(|c| c.id == id)?;
    Some(c.after.after(aware))
}

/// Whether `at` came by `due`: known once it happened, or once the due time
/// passed without it.
fn in_time(at: Option<Timestamp>, due: Option<Timestamp>, now: Timestamp) -> Option<bool> {
    let due = due?;
    match at {
        Some(t) => Some(t <= due),
        None if now > due => Some(false),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn in_time_is_known_when_done_or_when_too_late() {
        let due = Some(t("2026-11-26T12:00:00Z"));
        let before = t("2026-11-25T12:00:00Z");
        let after = t("2026-11-27T12:00:00Z");
        assert_eq!(in_time(Some(before), due, after), Some(true));
        assert_eq!(in_time(Some(after), due, after), Some(false));
        assert_eq!(in_time(None, due, before), None);
        assert_eq!(in_time(None, due, after), Some(false));
        assert_eq!(in_time(Some(before), None, after), None);
    }
}
