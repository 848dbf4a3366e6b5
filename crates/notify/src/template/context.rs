//! The data templates read: a JSON document built from an incident and `now`
//! (pure). Its shape is [`CONTEXT_SCHEMA`]; every key is always present (a
//! missing fact is `null` or an empty list), so strict templates fail only on
//! names that do not exist, never on facts not yet known.

use cverun_incident::Incident;
use cverun_incident::clocks::{self, DeadlineState};
use cverun_incident::outbox::witness::RecordHead;
use jiff::Timestamp;
use serde_json::{Value, json};

/// The top-level keys of the context, for documentation and tests.
pub const CONTEXT_SCHEMA: &[&str] = &[
    "incident",
    "now",
    "deadlines",
    "next_update",
    "roles",
    "commander",
    "checklist",
    "impacts",
    "decision",
    "remediation",
    "updates",
    "last_update",
    "escalation",
    "timeline",
    "chain",
    "extra",
];

/// `2026-11-23T09:30:00Z` as `2026-11-23 09:30 UTC`; anything else unchanged.
pub fn when(s: &str) -> String {
    match s.parse::<Timestamp>() {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => s.to_owned(),
    }
}

fn ts(t: Timestamp) -> Value {
    Value::String(t.to_string())
}

fn opt_ts(t: Option<Timestamp>) -> Value {
    t.map(ts).unwrap_or(Value::Null)
}

/// The data of `inc` at `now`, with `extra` (an object, e.g. the status
/// message being sent) under `extra`.
pub fn context(inc: &Incident, now: Timestamp, extra: Option<&Value>) -> Value {
    let deadlines = clocks::deadlines(inc, now);
    let next_update = deadlines
        .iter()
        .find(|d| d.clock.starts_with("update:"))
        .map(|d| ts(d.due))
        .unwrap_or(Value::Null);
    json!({
        "incident": incident(inc),
        "now": ts(now),
        "deadlines": deadlines.iter().map(|d| json!({
            "clock": d.clock,
            "label": d.label,
            "due": ts(d.due),
            "state": state_key(&d.state),
            "seconds_left": d.seconds_left,
        })).collect::<Vec<_>>(),
        "next_update": next_update,
        "roles": roles(inc),
        "commander": inc.holder(cverun_incident::Role::Commander).map(|h| h.name.clone()),
        "checklist": checklist(inc),
        "impacts": inc.impacts.iter().map(|i| json!({
            "impact": i.impact, "label": i.label, "by": i.by, "at": ts(i.at),
        })).collect::<Vec<_>>(),
        "decision": inc.decision().map(|d| json!({
            "decision": d.decision.key(),
            "label": d.decision.to_string(),
            "rationale": d.rationale,
            "by": d.by,
            "at": ts(d.at),
        })),
        "remediation": remediation(inc),
        "updates": inc.updates.iter().map(update).collect::<Vec<_>>(),
        "last_update": inc.updates.last().map(update),
        "escalation": inc.escalations.last().map(|e| json!({
            "clock": e.clock, "to": e.to, "reason": e.reason, "at": ts(e.at),
        })),
        "timeline": timeline(inc),
        "chain": chain(inc),
        "extra": extra.cloned().unwrap_or_else(|| json!({})),
    })
}

/// The incident's chain head as the data was taken: the seq and hash of its
/// last event, and the short form messages print in chat (`14:3f2a9c1b7d0e`).
/// `cverun incident verify ID --expect` takes either form. `null` fields for an
/// incident built without its events' hashes.
fn chain(inc: &Incident) -> Value {
    if inc.head_hash.is_empty() {
        return json!({ "seq": null, "head": null, "short": null });
    }
    json!({
        "seq": inc.head_seq,
        "head": inc.head_hash,
        "short": RecordHead::short(inc.head_seq, &inc.head_hash),
    })
}

fn state_key(s: &DeadlineState) -> &'static str {
    match s {
        DeadlineState::Met { .. } => "met",
        DeadlineState::Late { .. } => "late",
        DeadlineState::Pending => "pending",
        DeadlineState::Overdue => "overdue",
        DeadlineState::Stopped => "stopped",
    }
}

fn incident(inc: &Incident) -> Value {
    json!({
        "id": inc.id,
        "advisory": inc.advisory,
        "aliases": inc.aliases,
        "title": inc.title,
        "description": inc.description,
        "priority": inc.priority.as_str(),
        "phase": inc.phase_label(inc.phase),
        "phase_key": inc.phase.key(),
        "phase_since": ts(inc.phase_since),
        "open": inc.is_open(),
        "services": inc.services,
        "published": opt_ts(inc.published),
        "detected": ts(inc.detected),
        "declared_at": ts(inc.declared_at),
        "declared_by": inc.declared_by,
        "aware_at": opt_ts(inc.aware_at),
        "resolved_at": opt_ts(inc.resolved_at),
    })
}

fn roles(inc: &Incident) -> Vec<Value> {
    inc.runbook
        .roles
        .iter()
        .map(|r| {
            let h = inc.holder(r.id);
            let contact = h
                .and_then(|h| inc.runbook.person(&h.name))
                .map(|p| json!(p.contact))
                .unwrap_or(Value::Null);
            json!({
                "id": r.id.key(),
                "label": r.label,
                "holder": h.map(|h| h.name.clone()),
                "since": h.map(|h| ts(h.since)),
                "contact": contact,
            })
        })
        .collect()
}

fn checklist(inc: &Incident) -> Value {
    let done: Vec<Value> = inc
        .checked
        .iter()
        .map(|(item, c)| {
            json!({
                "phase": c.phase.key(), "item": item, "by": c.by, "at": ts(c.at),
            })
        })
        .collect();
    let open: Vec<String> = inc
        .phases()
        .iter()
        .flat_map(|p| inc.open_required(*p))
        .collect();
    json!({ "done": done, "open": open })
}

fn remediation(inc: &Incident) -> Value {
    let r = &inc.remediation;
    let applied = r.applied.last().map(|s| &s.step);
    json!({
        "planned": r.planned.last().map(|s| json!({
            "summary": s.step.summary,
            "changes": s.step.changes,
            "breaking": s.step.breaking,
            "services": s.step.services,
        })),
        "branch": applied.map(|a| a.branch.clone()),
        "repository": applied.map(|a| a.repository.clone()),
        "pushed": applied.and_then(|a| a.pushed.clone()),
        "commits": applied.map(|a| a.commits.iter().map(|c| json!({
            "service": c.service, "commit": c.commit,
        })).collect::<Vec<_>>()).unwrap_or_default(),
        "tested": r.tested.iter().map(|s| json!({
            "service": s.step.service, "passed": s.step.passed,
        })).collect::<Vec<_>>(),
        "verified": r.verified.last().map(|s| json!({
            "clean": s.step.clean,
            "fixed": s.step.fixed,
            "remaining": s.step.remaining,
            "introduced": s.step.introduced,
        })),
    })
}

fn update(u: &cverun_incident::state::StatusUpdate) -> Value {
    json!({ "message": u.message, "eta": opt_ts(u.eta), "by": u.by, "at": ts(u.at) })
}

/// The milestones: declared, phase changes, decisions, escalations, resolved.
fn timeline(inc: &Incident) -> Vec<Value> {
    let mut m: Vec<(Timestamp, String)> = vec![(
        inc.declared_at,
        format!(
            "declared by {} ({})",
            inc.declared_by,
            inc.priority.as_str()
        ),
    )];
    for t in &inc.transitions {
        m.push((
            t.at,
            format!(
                "{} -> {} by {}",
                inc.phase_label(t.from),
                inc.phase_label(t.to),
                t.by
            ),
        ));
    }
    for d in &inc.decisions {
        m.push((d.at, format!("decision: {} by {}", d.decision, d.by)));
    }
    for e in &inc.escalations {
        m.push((e.at, format!("escalated to {}", e.to.join(", "))));
    }
    m.sort_by_key(|(t, _)| *t);
    m.into_iter()
        .map(|(at, what)| json!({ "at": ts(at), "what": what }))
        .collect()
}
