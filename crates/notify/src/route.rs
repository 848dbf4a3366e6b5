//! Routing as data: which messages the events of an incident cause, for whom,
//! on which channels.
//!
//! The runbook file's `[notify]` table names the channels (`[notify.channel.*]`,
//! read here only for their names and kinds), the audiences
//! (`[notify.audience.<name>]`: roles and people of the roster, reached on some
//! channels) and the routes (`[[notify.route]]`: on an event, a template, to
//! audiences). [`Routing::parse`] reads them from the file's text, checking every
//! name against the runbook (roles, people, phases, impacts), the channels and the
//! templates, with errors naming the file, the line and the key.
//!
//! [`route`] is the router: a pure function of the routing, the incident (after
//! the events), the events appended and `now`, returning the outbox messages to
//! queue, rendered and keyed. [`digests`] chooses the digests a tick queues from
//! the incident's whole timeline.
//!
//! What a route's `on` means ([`On`]), from the incident's events:
//!
//! | `on` | event |
//! | --- | --- |
//! | `declared` | `declared` |
//! | `phase-changed` | `advanced` to a phase that is not the end (filter: `phase`) |
//! | `updated` | `updated` (a status update recorded) |
//! | `update-missed` | `overdue` of an `update:` clock (the status update was due) |
//! | `overdue` | `overdue` of any other deadline |
//! | `escalated` | `escalated` (audience `escalation-targets`: the event's `to`) |
//! | `impact` | `impact` (filter: `impact`) |
//! | `decided` | `decided` |
//! | `priority-changed` | `priority` |
//! | `action-overdue` | `action-overdue` (audience `action-owner`: its owner) |
//! | `resolved` | `advanced` to `resolved` |
//! | `cancelled` | `cancelled` |
//! | `reopened` | `reopened` |
//! | `fix-applied` | `fix-applied` |
//! | `verified` | `verified` |

mod config;
mod router;

pub use config::{
    ACTION_OWNER, Audience, CHANNEL_KINDS, ESCALATION_TARGETS, On, Routing, RoutingError, Rule,
};
pub use router::{DIGEST_TEMPLATE, Resolved, Unreachable, digests, event_on, resolve, route};
