//! Approvals of messages to the outside world, bound to the exact body.
//!
//! A message may need approvals before it is sent: the roles listed in its
//! `message-queued` event (`needs`), each approved by a different person. Such a
//! message is queued `held`; [`crate::Store::approve_message`] records a signed
//! `message-approved` event ([`MessageApproved`]) when the hash the approver gives
//! is the SHA-256 of the queued body (the one signed in the `message-queued`
//! event), and the approval completing every role makes the message `pending` in
//! the same transaction.
//!
//! An approval is of one body: a message rendered again with any change is
//! another message with another hash, and approvals of the old one do not count
//! for it. Who may approve for a role: the person holding the role in the
//! incident, or a person the incident's roster allows to hold it.
//!
//! This module is pure: it judges from the incident's state and events.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::event::{Event, EventBody};
use crate::model::Role;
use crate::outbox::{MessageId, MessageQueued};
use crate::roster::fold_name;
use crate::state::Incident;

/// The template of a notice to customers.
pub const CUSTOMER_NOTICE: &str = "customer-notice";
/// The template of a notice to a regulator.
pub const REGULATOR_NOTICE: &str = "regulator-notice";

/// The details of a `message-approved` event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageApproved {
    /// The message approved.
    pub message: MessageId,
    /// SHA-256 (hex) of the body approved: the queued body's.
    pub body_sha256: String,
    /// The role the approver approved for.
    pub role: Role,
}

/// The roles a message of `template` needs by default: the communications lead
/// for `customer-notice`; the communications lead and legal for
/// `regulator-notice`; none for any other template.
pub fn default_needs(template: &str) -> Vec<Role> {
    match template {
        CUSTOMER_NOTICE => vec![Role::CommunicationsLead],
        // `legal` is a valid id, so `Role::new` gives it (a unit test holds it).
        REGULATOR_NOTICE => [Ok(Role::CommunicationsLead), Role::new(LEGAL)]
            .into_iter()
            .flatten()
            .collect(),
        _ => Vec::new(),
    }
}

/// The legal role of the built-in runbook.
pub const LEGAL: &str = "legal";

/// The approvals a team sets per template in the runbook file's `[notify]`
/// table, `[notify.approvals]`: `customer-notice = ["communications-lead"]`,
/// `regulator-notice = ["communications-lead", "legal-counsel"]`. A template
/// listed there needs those roles instead of [`default_needs`] (`[]`: none);
/// the others keep the default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Configured {
    path: std::path::PathBuf,
    /// Template -> (line, role names as written, each with its line).
    templates: std::collections::BTreeMap<String, Vec<(u32, String)>>,
}

#[derive(Deserialize, Default)]
struct RawFile {
    #[serde(default)]
    notify: Option<RawNotify>,
}

#[derive(Deserialize, Default)]
struct RawNotify {
    #[serde(default)]
    approvals:
        Option<std::collections::BTreeMap<String, toml::Spanned<Vec<toml::Spanned<String>>>>>,
}

impl Configured {
    /// Reads `[notify.approvals]` from the runbook file's `text` (the content
    /// of `path`); none when the table is absent. Errors name the file and line.
    pub fn from_runbook_text(path: &std::path::Path, text: &str) -> Result<Configured, String> {
        let line = |offset: usize| {
            text.get(..offset.min(text.len()))
                .unwrap_or(text)
                .bytes()
                .filter(|b| *b == b'\n')
                .count() as u32
                + 1
        };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            format!(
                "{}{}: {}",
                path.display(),
                e.span()
                    .map(|s| format!(":{}", line(s.start)))
                    .unwrap_or_default(),
                e.message().trim()
            )
        })?;
        let mut templates = std::collections::BTreeMap::new();
        for (template, roles) in raw.notify.and_then(|n| n.approvals).unwrap_or_default() {
            let roles = roles
                .into_inner()
                .into_iter()
                .map(|r| (line(r.span().start), r.into_inner()))
                .collect();
            templates.insert(template, roles);
        }
        Ok(Configured {
            path: path.to_owned(),
            templates,
        })
    }

    /// The roles a message of `template` needs on an incident following
    /// `runbook`: `Some` when the table lists the template (roles resolved by id
    /// or alias), `None` for the default. A role the runbook does not have is an
    /// error naming the file and line.
    pub fn needs(
        &self,
        template: &str,
        runbook: &crate::runbook::Runbook,
    ) -> Result<Option<Vec<Role>>, String> {
        let Some(roles) = self.templates.get(template) else {
            return Ok(None);
        };
        roles
            .iter()
            .map(|(line, name)| {
                runbook.resolve_role(name).ok_or_else(|| {
                    format!(
                        "{}:{line}: [notify.approvals] {template}: unknown role {name:?} (the incident's runbook knows: {})",
                        self.path.display(),
                        runbook
                            .roles
                            .iter()
                            .map(|r| r.id.key())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

/// One approval given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Given {
    /// Who approved (as recorded).
    pub by: String,
    /// For which role.
    pub role: Role,
    /// When.
    pub at: Timestamp,
    /// The seq of the `message-approved` event.
    pub seq: u64,
}

/// Where a message's approvals stand, from the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Approvals {
    /// The message.
    pub message: MessageId,
    /// The template.
    pub template: String,
    /// The channel.
    pub channel: String,
    /// The audience.
    pub audience: String,
    /// SHA-256 (hex) of the body as queued (signed in `message-queued`).
    pub body_sha256: String,
    /// When it was queued.
    pub queued_at: Timestamp,
    /// The regulatory clock it notifies, when it does.
    pub clock: Option<String>,
    /// The roles it needs.
    pub needs: Vec<Role>,
    /// The approvals of this body, in order.
    pub given: Vec<Given>,
    /// The roles not approved yet.
    pub missing: Vec<Role>,
}

impl Approvals {
    /// Whether every role needed approved this body.
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// When the last approval completing them was given (`None` while some are
    /// missing, or when none were needed).
    pub fn approved_at(&self) -> Option<Timestamp> {
        if self.complete() {
            self.given.iter().map(|g| g.at).max()
        } else {
            None
        }
    }
}

/// The approvals of `message` from the incident's `events`: its `message-queued`
/// event (which must be in them) and the `message-approved` events of the same
/// message and body hash.
pub fn of(events: &[Event], message: &MessageId) -> Result<Approvals, String> {
    let queued = events
        .iter()
        .find_map(|e| match e.body() {
            Ok(EventBody::MessageQueued(q)) if q.message == *message => Some((e, q)),
            _ => None,
        })
        .ok_or_else(|| format!("no message-queued event records message {message}"))?;
    let (e, q) = queued;
    let mut a = from_queued(&q, e.time()?);
    for e in events.iter().filter(|x| x.seq > e.seq) {
        if let Ok(EventBody::MessageApproved(m)) = e.body() {
            add(&mut a, &m, &e.actor, e.time()?, e.seq);
        }
    }
    Ok(a)
}

/// The approvals of every message of `events` (in queueing order).
pub fn all(events: &[Event]) -> Vec<Approvals> {
    let mut out: Vec<Approvals> = Vec::new();
    for e in events {
        let (Ok(body), Ok(at)) = (e.body(), e.time()) else {
            continue;
        };
        match body {
            EventBody::MessageQueued(q) => out.push(from_queued(&q, at)),
            EventBody::MessageApproved(m) => {
                if let Some(a) = out.iter_mut().find(|a| a.message == m.message) {
                    add(a, &m, &e.actor, at, e.seq);
                }
            }
            _ => {}
        }
    }
    out
}

fn from_queued(q: &MessageQueued, at: Timestamp) -> Approvals {
    Approvals {
        message: q.message.clone(),
        template: q.template.clone(),
        channel: q.channel.clone(),
        audience: q.audience.clone(),
        body_sha256: q.body_sha256.clone(),
        queued_at: at,
        clock: q.clock.clone(),
        needs: q.needs.clone(),
        given: Vec::new(),
        missing: q.needs.clone(),
    }
}

/// Counts approval `m` when it is of this body and of a role still missing.
fn add(a: &mut Approvals, m: &MessageApproved, by: &str, at: Timestamp, seq: u64) {
    if m.body_sha256 != a.body_sha256 {
        return;
    }
    if let Some(i) = a.missing.iter().position(|r| *r == m.role) {
        a.missing.remove(i);
        a.given.push(Given {
            by: by.to_owned(),
            role: m.role,
            at,
            seq,
        });
    }
}

/// The first 12 hex digits of a hash, for messages.
pub fn short(h: &str) -> String {
    h.chars().take(12).collect()
}

/// Whether `name` may approve for `role` in `inc`: the current holder of the
/// role, or a person of the roster who may hold it.
pub fn may_approve(inc: &Incident, name: &str, role: Role) -> bool {
    holds(inc, name, role) || inc.runbook.person(name).is_some_and(|p| p.may_hold(role))
}

fn holds(inc: &Incident, name: &str, role: Role) -> bool {
    inc.holder(role).is_some_and(|h| same(inc, &h.name, name))
}

fn same(inc: &Incident, a: &str, b: &str) -> bool {
    match inc.runbook.person(a) {
        Some(p) => p.answers_to(b),
        None => fold_name(a) == fold_name(b),
    }
}

/// Judges an approval of `a` by `actor` (as the incident records names) of the
/// body with hash `body_sha256`: the role it approves for, or why it is refused.
/// The role is the first missing one the actor holds in the incident, else the
/// first the roster lets them hold.
pub fn judge(
    inc: &Incident,
    a: &Approvals,
    actor: &str,
    body_sha256: &str,
) -> Result<Role, String> {
    let given = body_sha256.trim().to_ascii_lowercase();
    if given != a.body_sha256 {
        return Err(format!(
            "message {}: the hash given ({}...) is not the queued body's ({}...): the approval is of another text; read the body with `cverun comms show {}` and approve its hash",
            a.message,
            short(&given),
            short(&a.body_sha256),
            a.message
        ));
    }
    if a.needs.is_empty() {
        return Err(format!("message {} needs no approval", a.message));
    }
    if a.complete() {
        return Err(format!(
            "message {} is already approved by every role it needs ({})",
            a.message,
            keys(&a.needs)
        ));
    }
    if let Some(g) = a.given.iter().find(|g| same(inc, &g.by, actor)) {
        return Err(format!(
            "{actor} already approved message {} (as {} at {}); each role needs a different person",
            a.message,
            g.role.key(),
            g.at
        ));
    }
    a.missing
        .iter()
        .copied()
        .find(|r| holds(inc, actor, *r))
        .or_else(|| {
            a.missing
                .iter()
                .copied()
                .find(|r| may_approve(inc, actor, *r))
        })
        .ok_or_else(|| {
            format!(
                "{actor} may not approve message {}: it still needs {}, and {actor} neither holds {} in {} nor may hold {} per its roster",
                a.message,
                keys(&a.missing),
                if a.missing.len() == 1 { "it" } else { "one of them" },
                inc.id,
                if a.missing.len() == 1 { "it" } else { "one" },
            )
        })
}

fn keys(roles: &[Role]) -> String {
    roles.iter().map(|r| r.key()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests;
