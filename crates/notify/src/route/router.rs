//! The router: the messages an incident's events cause under a [`Routing`]
//! (pure: the incident, its events and `now` in, rendered outbox messages out).

use std::collections::BTreeMap;

use cverun_incident::outbox::{NewMessage, default_key};
use cverun_incident::roster::{self, Person};
use cverun_incident::{Event, EventBody, Incident, Phase, Role};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::{Value, json};

use super::config::{ACTION_OWNER, Audience, ESCALATION_TARGETS, On, Routing, Rule};
use crate::channel::{OutgoingMessage, valid_key};
use crate::template;

/// The built-in template digests are rendered with (unless the digest routes of
/// a channel name another).
pub const DIGEST_TEMPLATE: &str = "digest";

/// Someone an audience means who cannot be reached on a channel.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unreachable {
    /// The person's handle, or the name that did not resolve (`role executive`).
    pub name: String,
    /// The channel.
    pub channel: String,
    /// Why (`no contact.email in the roster`).
    pub reason: String,
}

/// An audience resolved on one of its channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The channel.
    pub channel: String,
    /// The addresses of the people reached (the roster's contact for the
    /// channel's kind: `email` for email, `slack` for Slack...).
    pub recipients: Vec<String>,
    /// The people who cannot be reached on it.
    pub unreachable: Vec<Unreachable>,
}

/// Who an audience names, before channels: a person of the roster, or a name
/// that did not resolve to anyone.
enum Target {
    Person(Person),
    Nobody { name: String, reason: String },
}

/// The route's `on` for `body`, when routes can react to it.
pub fn event_on(body: &EventBody) -> Option<On> {
    Some(match body {
        EventBody::Declared { .. } => On::Declared,
        EventBody::Advanced { to, .. } if *to == Phase::Resolved => On::Resolved,
        EventBody::Advanced { .. } => On::PhaseChanged,
        EventBody::Updated { .. } => On::Updated,
        EventBody::Overdue { clock, .. } if clock.starts_with("update:") => On::UpdateMissed,
        EventBody::Overdue { .. } => On::Overdue,
        EventBody::Escalated { .. } => On::Escalated,
        EventBody::Impact { .. } => On::Impact,
        EventBody::Decided { .. } => On::Decided,
        EventBody::Priority { .. } => On::PriorityChanged,
        EventBody::ActionOverdue { .. } => On::ActionOverdue,
        EventBody::Cancelled { .. } => On::Cancelled,
        EventBody::Reopened { .. } => On::Reopened,
        EventBody::FixApplied(_) => On::FixApplied,
        EventBody::Verified(_) => On::Verified,
        _ => return None,
    })
}

/// Whether `rule` reacts to `body`.
fn matches(rule: &Rule, body: &EventBody) -> bool {
    if event_on(body) != Some(rule.on) {
        return false;
    }
    match body {
        EventBody::Advanced { to, .. } => rule.phase.is_none_or(|p| p == *to),
        EventBody::Impact { impact, .. } => rule.impact.as_ref().is_none_or(|i| i == impact),
        _ => true,
    }
}

/// The contact key the roster gives a person's address under for a channel
/// kind, and whether the channel needs it to reach the person (email does; a
/// chat room or a pager reaches its people without one).
fn contact_key(kind: &str) -> (Option<&'static str>, bool) {
    match kind {
        "email" => (Some("email"), true),
        "slack" | "slack-bot" => (Some("slack"), false),
        "teams" => (Some("teams"), false),
        "pagerduty" => (Some("pagerduty"), false),
        _ => (None, false),
    }
}

/// The person `name` means in the incident's roster.
fn person(inc: &Incident, name: &str) -> Target {
    match roster::find(&inc.runbook.people, name) {
        Some(p) => Target::Person(p.clone()),
        None => Target::Nobody {
            name: name.to_owned(),
            reason: "not a person of the incident's roster".into(),
        },
    }
}

/// The people of `role`: its holder, or when nobody holds it everyone the
/// roster says may hold it.
fn role_people(inc: &Incident, role: Role, out: &mut Vec<Target>) {
    if let Some(h) = inc.holder(role) {
        out.push(match person(inc, &h.name) {
            Target::Nobody { name, .. } => Target::Nobody {
                reason: format!(
                    "holds role {} but is not a person of the incident's roster",
                    role.key()
                ),
                name,
            },
            t => t,
        });
        return;
    }
    let may: Vec<&Person> = inc
        .runbook
        .people
        .iter()
        .filter(|p| p.may_hold(role))
        .collect();
    if may.is_empty() {
        out.push(Target::Nobody {
            name: format!("role {}", role.key()),
            reason: "nobody holds it and nobody in the roster may".into(),
        });
    }
    out.extend(may.into_iter().map(|p| Target::Person(p.clone())));
}

/// Who `audience` names for `body`.
fn targets(audience: &Audience, inc: &Incident, body: &EventBody) -> Vec<Target> {
    let mut out = Vec::new();
    match (audience.name.as_str(), body) {
        (ESCALATION_TARGETS, EventBody::Escalated { to, .. }) => {
            for name in to {
                match inc.runbook.resolve_role(name) {
                    Some(role) => role_people(inc, role, &mut out),
                    None => out.push(match person(inc, name) {
                        Target::Nobody { name, .. } => Target::Nobody {
                            name,
                            reason: "not a role or a person of the incident's roster".into(),
                        },
                        t => t,
                    }),
                }
            }
        }
        (ACTION_OWNER, EventBody::ActionOverdue { owner, .. }) => out.push(person(inc, owner)),
        (ESCALATION_TARGETS | ACTION_OWNER, _) => {}
        _ => {
            for r in &audience.roles {
                let role = inc.runbook.resolve_role(r).or_else(|| Role::new(r).ok());
                match role {
                    Some(role) => role_people(inc, role, &mut out),
                    None => out.push(Target::Nobody {
                        name: format!("role {r}"),
                        reason: "not a role of the incident's runbook".into(),
                    }),
                }
            }
            for p in &audience.people {
                out.push(person(inc, p));
            }
        }
    }
    // One person named twice (a role and by handle) is one target.
    let mut seen = Vec::new();
    out.retain(|t| {
        let k = match t {
            Target::Person(p) => p.handle.clone(),
            Target::Nobody { name, .. } => name.clone(),
        };
        if seen.contains(&k) {
            false
        } else {
            seen.push(k);
            true
        }
    });
    out
}

/// `audience` resolved on each of its channels for the event `body` of `inc`:
/// the addresses of the people it means, and who cannot be reached. An error
/// when it names people and none of them is reachable on any of its channels.
pub fn resolve(
    routing: &Routing,
    audience: &Audience,
    inc: &Incident,
    body: &EventBody,
) -> Result<Vec<Resolved>, String> {
    let people = targets(audience, inc, body);
    let mut out = Vec::new();
    let mut reached = false;
    for channel in &audience.channels {
        let kind = routing
            .channels
            .get(channel)
            .ok_or_else(|| format!("audience {}: no channel {channel:?}", audience.name))?;
        let (key, needed) = contact_key(kind);
        let mut r = Resolved {
            channel: channel.clone(),
            recipients: Vec::new(),
            unreachable: Vec::new(),
        };
        for t in &people {
            match t {
                Target::Person(p) => match key.and_then(|k| p.contact.get(k)) {
                    Some(addr) if !addr.trim().is_empty() => {
                        let addr = addr.trim().to_owned();
                        if !r.recipients.contains(&addr) {
                            r.recipients.push(addr);
                        }
                    }
                    _ if needed => r.unreachable.push(Unreachable {
                        name: p.handle.clone(),
                        channel: channel.clone(),
                        reason: format!("no contact.{} in the roster", key.unwrap_or(kind)),
                    }),
                    _ => {}
                },
                Target::Nobody { name, reason } => r.unreachable.push(Unreachable {
                    name: name.clone(),
                    channel: channel.clone(),
                    reason: reason.clone(),
                }),
            }
        }
        // A room or a pager reaches the people the audience means; a personal
        // channel reaches those it has an address for.
        reached |= !needed || !r.recipients.is_empty();
        out.push(r);
    }
    if !people.is_empty() && !reached {
        let why: Vec<String> = out
            .iter()
            .flat_map(|r| &r.unreachable)
            .map(|u| format!("{} on {}: {}", u.name, u.channel, u.reason))
            .collect();
        return Err(format!(
            "audience {}: nobody it means can be reached on any of its channels ({})",
            audience.name,
            why.join("; ")
        ));
    }
    Ok(out)
}

/// A delivery key from `raw`: characters other than letters, digits, `.`, `-`,
/// `_` become `_`; a key over 200 characters is cut and ends with a hash of the
/// whole, so it stays unique.
fn sanitise(raw: &str) -> String {
    let s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.len() <= 200 {
        return s;
    }
    let hash = cverun_incident::outbox::sha256(raw);
    format!("{}-{}", &s[..180], &hash[..16])
}

/// The data of an event for templates: `kind`, `seq`, `at`, `details`.
fn event_data(e: &Event, on: Option<On>) -> Value {
    json!({
        "kind": e.kind,
        "on": on.map(On::key),
        "seq": e.seq,
        "at": e.at,
        "actor": e.actor,
        "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::Null),
    })
}

/// One message being gathered: its audiences and recipients merged.
struct Gathered {
    seq: u64,
    channel: String,
    template: String,
    audiences: Vec<String>,
    recipients: Vec<String>,
    unreachable: Vec<Unreachable>,
    /// The regulatory clock the route names, if any.
    clock: Option<String>,
}

impl Gathered {
    fn add(&mut self, audience: &str, r: Resolved) {
        if !self.audiences.iter().any(|a| a == audience) {
            self.audiences.push(audience.to_owned());
        }
        for a in r.recipients {
            if !self.recipients.contains(&a) {
                self.recipients.push(a);
            }
        }
        for u in r.unreachable {
            if !self.unreachable.contains(&u) {
                self.unreachable.push(u);
            }
        }
    }
}

/// Gathers the messages of (`rule`, event `e`) into `out`, merged by (seq,
/// channel, template); `only` limits them to one channel.
fn gather(
    routing: &Routing,
    inc: &Incident,
    rule: &Rule,
    seq: u64,
    body: &EventBody,
    only: Option<&str>,
    out: &mut Vec<Gathered>,
) -> Result<(), String> {
    for name in &rule.to {
        let audience = routing.audiences.get(name).ok_or_else(|| {
            format!(
                "route on {} (line {}): no audience {name:?}",
                rule.on, rule.line
            )
        })?;
        for r in resolve(routing, audience, inc, body)? {
            if only.is_some_and(|c| c != r.channel) {
                continue;
            }
            let i = match out
                .iter()
                .position(|g| g.seq == seq && g.channel == r.channel && g.template == rule.template)
            {
                Some(i) => i,
                None => {
                    out.push(Gathered {
                        seq,
                        channel: r.channel.clone(),
                        template: rule.template.clone(),
                        audiences: Vec::new(),
                        recipients: Vec::new(),
                        unreachable: Vec::new(),
                        clock: rule.clock.clone(),
                    });
                    out.len() - 1
                }
            };
            out[i].add(name, r);
        }
    }
    Ok(())
}

/// Renders `g` into an outbox message under `key`, with `extra` completed by
/// the audiences, recipients and unreachable people.
fn render(
    routing: &Routing,
    inc: &Incident,
    now: Timestamp,
    g: Gathered,
    key: String,
    mut extra: Value,
) -> Result<NewMessage, String> {
    if !valid_key(&key) {
        return Err(format!("delivery key {key:?} cannot be used"));
    }
    extra["audience"] = json!(g.audiences);
    extra["recipients"] = json!(g.recipients);
    extra["unreachable"] = json!(g.unreachable);
    extra["channel"] = json!(g.channel);
    let ctx = template::context(inc, now, Some(&extra));
    let mut msg = OutgoingMessage::prepare(&key, &g.template, routing.templates.as_deref(), &ctx)
        .map_err(|e| format!("{} to {}: {e}", g.template, g.channel))?;
    msg.recipients = g.recipients;
    let needs = match &routing.approvals {
        Some(a) => a.needs(&g.template, &inc.runbook)?,
        None => None,
    };
    Ok(NewMessage {
        channel: g.channel,
        kind: g.template,
        audience: g.audiences.join(","),
        subject: Some(msg.subject().to_owned()),
        body: msg.to_body(),
        key: Some(key),
        not_before: None,
        needs,
        clock: g.clock,
    })
}

/// The messages `events` (appended to `inc`, which is the incident after them)
/// cause under `routing` at `now`: one per (causing event, channel, template),
/// the recipients of every audience of the routes merged, keyed
/// `cverun-{incident}-{seq}-{channel}-{template}` (sanitised), rendered with
/// `extra` = `{event, audience, recipients, unreachable, channel}`. Routes with
/// a digest period queue nothing here (see [`digests`]). An error when a
/// template fails or an audience reaches nobody.
pub fn route(
    routing: &Routing,
    inc: &Incident,
    events: &[Event],
    now: Timestamp,
) -> Result<Vec<NewMessage>, String> {
    let mut out = Vec::new();
    let mut data = BTreeMap::new();
    // A tick catching up on a long silence records one `overdue` per missed
    // status update: people get one status message, for the last of them.
    let last_missed = events
        .iter()
        .rev()
        .find(|e| e.body().ok().and_then(|b| event_on(&b)) == Some(On::UpdateMissed))
        .map(|e| e.seq);
    for e in events {
        let body = e
            .body()
            .map_err(|m| format!("event {} of {}: {m}", e.seq, inc.id))?;
        let on = event_on(&body);
        if on == Some(On::UpdateMissed) && Some(e.seq) != last_missed {
            continue;
        }
        for rule in routing.routes.iter().filter(|r| r.digest.is_none()) {
            if matches(rule, &body) {
                gather(routing, inc, rule, e.seq, &body, None, &mut out)?;
                data.entry(e.seq).or_insert_with(|| event_data(e, on));
            }
        }
    }
    out.into_iter()
        .map(|g| {
            let key = sanitise(&default_key(&inc.id, g.seq, &g.channel, &g.template));
            let extra = json!({ "event": data.get(&g.seq).cloned().unwrap_or(Value::Null) });
            render(routing, inc, now, g, key, extra)
        })
        .collect()
}

/// The digests due at `now` for `inc`, whose whole timeline is `timeline`: for
/// each channel the digest routes reach, when its period (the shortest of those
/// routes') has passed since its last digest (or since the declaration) and
/// events those routes react to were recorded since, one message listing them
/// (`extra.digest`: `channel`, `period`, `since`, `events`), with the template
/// of those routes (`digest` unless they name another), keyed by the last event
/// it lists.
pub fn digests(
    routing: &Routing,
    inc: &Incident,
    timeline: &[Event],
    now: Timestamp,
) -> Result<Vec<NewMessage>, String> {
    // channel -> (period in seconds, template)
    let mut channels: BTreeMap<&str, (i64, &str)> = BTreeMap::new();
    for rule in &routing.routes {
        let Some(period) = rule.digest else { continue };
        for a in &rule.to {
            for c in routing
                .audiences
                .get(a)
                .map(|a| &a.channels[..])
                .unwrap_or(&[])
            {
                let e = channels
                    .entry(c.as_str())
                    .or_insert((period.as_seconds(), rule.template.as_str()));
                e.0 = e.0.min(period.as_seconds());
            }
        }
    }
    let mut out = Vec::new();
    for (channel, (period, template)) in channels {
        let last = timeline.iter().rev().find_map(|e| match e.body() {
            Ok(EventBody::MessageQueued(q)) if q.channel == channel && q.template == template => {
                Some((e.seq, e.time().ok()?))
            }
            _ => None,
        });
        let (since_seq, since) = last.unwrap_or((0, inc.declared_at));
        let due = since
            .checked_add(jiff::SignedDuration::from_secs(period))
            .map_err(|e| format!("digest period of {channel}: {e}"))?;
        if now < due {
            continue;
        }
        let mut gathered = Vec::new();
        let mut listed = Vec::new();
        for e in timeline.iter().filter(|e| e.seq > since_seq) {
            let Ok(body) = e.body() else { continue };
            let mut templates = Vec::new();
            for rule in routing.routes.iter().filter(|r| r.digest.is_some()) {
                if matches(rule, &body) {
                    let mut one = Vec::new();
                    gather(routing, inc, rule, 0, &body, Some(channel), &mut one)?;
                    if !one.is_empty() {
                        templates.push(rule.template.clone());
                        gathered.extend(one);
                    }
                }
            }
            if !templates.is_empty() {
                listed.push(event_data(e, event_on(&body)));
            }
        }
        let Some(last_seq) = listed.last().and_then(|v| v["seq"].as_u64()) else {
            continue;
        };
        let mut g = Gathered {
            seq: last_seq,
            channel: channel.to_owned(),
            template: template.to_owned(),
            audiences: Vec::new(),
            recipients: Vec::new(),
            unreachable: Vec::new(),
            clock: None,
        };
        for one in gathered {
            for a in &one.audiences {
                g.add(
                    a,
                    Resolved {
                        channel: one.channel.clone(),
                        recipients: one.recipients.clone(),
                        unreachable: one.unreachable.clone(),
                    },
                );
            }
        }
        let name = if template == DIGEST_TEMPLATE {
            DIGEST_TEMPLATE.to_owned()
        } else {
            format!("{DIGEST_TEMPLATE}-{template}")
        };
        let key = sanitise(&default_key(&inc.id, last_seq, channel, &name));
        let extra = json!({
            "event": listed.last().cloned().unwrap_or(Value::Null),
            "digest": {
                "channel": channel,
                "period": cverun_incident::interval::human(period),
                "since": since.to_string(),
                "events": listed,
            },
        });
        out.push(render(routing, inc, now, g, key, extra)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sanitised_and_stay_unique_when_cut() {
        assert_eq!(
            sanitise("cverun-INC-2026-11-23-1-3-war room/é-kickoff"),
            "cverun-INC-2026-11-23-1-3-war_room__-kickoff"
        );
        let long = format!("cverun-INC-1-3-{}-status", "c".repeat(300));
        let other = format!("cverun-INC-1-3-{}-statux", "c".repeat(300));
        let (a, b) = (sanitise(&long), sanitise(&other));
        assert!(valid_key(&a) && valid_key(&b), "{a}");
        assert!(a.len() <= 200);
        assert_ne!(a, b);
    }

    #[test]
    fn events_map_to_their_route_names() {
        let overdue = |clock: &str| EventBody::Overdue {
            clock: clock.into(),
            deadline: "2026-11-23T12:30:00Z".parse().unwrap(),
            what: "x".into(),
        };
        assert_eq!(event_on(&overdue("update:1")), Some(On::UpdateMissed));
        assert_eq!(event_on(&overdue("update:1:2")), Some(On::UpdateMissed));
        assert_eq!(event_on(&overdue("target:containment")), Some(On::Overdue));
        let advanced = |to: Phase| EventBody::Advanced {
            from: Phase::PostMortem,
            to,
            reason: None,
            forced: None,
        };
        assert_eq!(event_on(&advanced(Phase::Resolved)), Some(On::Resolved));
        assert_eq!(
            event_on(&advanced(Phase::Validation)),
            Some(On::PhaseChanged)
        );
        assert_eq!(
            event_on(&EventBody::Note {
                text: "n".into(),
                section: None
            }),
            None
        );
    }
}
