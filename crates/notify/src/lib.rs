//! updates, escalations, resolution, customer and regulator notices, the
//! post-incident summary) rendered from incident data by strict templates and
//! escaped for each target, and the channels that deliver them.
//!
//! - [`template`]: templates (built-in, or a team's directory), the data they
//!   read from an incident, strict rendering (a missing value is an error naming
//!   the template and the variable), escaping per target (Slack mrkdwn, HTML
//!   email, Adaptive Card JSON, plain text);
//! - [`channel`]: one module per channel, each checking its provider's
//!   documented contract (payload shape and limits, headers, signatures) and
//!   classifying the answer (delivered, retry after, permanent failure,
//!   unknown).

pub mod channel;
pub mod template;
