//! Telling the right people: the messages of the runbook (kick-off, status
//! updates, escalations, resolution, customer and regulator notices, the
//! post-incident summary) rendered from incident data by strict templates and
//! escaped for each target, and the channels that deliver them.
//!
//! - [`template`]: templates (built-in, or a team's directory), the data they
//!   read from an incident, strict rendering (a missing value is an error naming
//!   the template and the variable), escaping per target (Slack mrkdwn, HTML
//!   email, Adaptive Card, Markdown, plain text);
//! - [`channel`]: one module per channel, each checking its provider's
//!   documented contract (payload shape and limits, headers, signatures) and
//!   classifying the answer (delivered, retry after, permanent failure,
//!   unknown);
//! - [`config`]: the channels of the runbook file's `[notify]` table (secrets
//!   only from the environment or files), opened into channels;
//! - [`deliver`]: the delivery worker: leases due messages from the incident
//!   store's outbox, sends them, and records each attempt, with retries
//!   (exponential backoff, full jitter), dead letters, and the unknown state
//!   for sends whose outcome cannot be known.
//! - [`view`]: what `notify list` and `notify attempts` show (JSON documents
//!   and table rows);
//! - [`route`]: routing as data: the runbook file's `[notify]` audiences and
//!   routes, and the router choosing, for the events an incident records, which
//!   templates go to which channels and people (a pure function of the
//!   incident, its events and `now`).
//!
//! Templates and payloads are pure functions of the incident, `now` and the
//! template sources; files are read only by `template::source` (a team's
//! template directory, and `route::Routing::parse` checking template ids)
//! and `channel::Secret::from_file`; the network is used
//! only by each channel's `send`.

pub mod channel;
pub mod config;
pub mod deliver;
pub mod route;
pub mod template;
pub mod view;
