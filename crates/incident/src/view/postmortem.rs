//! The post-mortem (`incident postmortem`): schema `cverun.postmortem/1` as JSON,
//! and the same document as Markdown.
//!
//! The Markdown is plain (no terminal styling) and deterministic: times are UTC
//! to the minute, lists keep the record's order, and nothing depends on the
//! local time zone or the clock, except the `as of` line of an incident that is
//! not over (see [`crate::postmortem::build`]).

use std::fmt::Write as _;

use jiff::Timestamp;

use crate::chain::Anchor;
use crate::interval::human;
use crate::postmortem::{self, NoteSection, PostMortem, SectionNote};
use crate::state::FoldError;
use crate::store::Loaded;

pub use crate::postmortem::SCHEMA;

/// The post-mortem of `loaded` (see [`postmortem::build`]).
pub fn view<'a>(
    loaded: &'a Loaded,
    head: &Anchor,
    now: Timestamp,
    simulated: bool,
    deliveries: &[postmortem::Delivery],
) -> Result<PostMortem, &'a FoldError> {
    postmortem::build(loaded, head, now, simulated, deliveries)
}

/// A time in the document: UTC to the minute.
fn utc(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M").to_string()
}

/// Text fit for one Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The document as Markdown.
pub fn markdown(p: &PostMortem) -> String {
    let mut out = String::new();
    header(&mut out, p);
    let _ = writeln!(
        out,
        "## {}\n\n{}\n",
        NoteSection::Summary.label(),
        p.summary.text
    );
    timeline(&mut out, p);
    notes(&mut out, NoteSection::RootCause, &p.root_cause);
    impact(&mut out, p);
    notes(&mut out, NoteSection::WentWell, &p.went_well);
    notes(&mut out, NoteSection::WentWrong, &p.went_wrong);
    notes(&mut out, NoteSection::Lessons, &p.lessons);
    actions(&mut out, p);
    metrics(&mut out, p);
    clocks(&mut out, p);
    approvals(&mut out, p);
    evidence(&mut out, p);
    messages(&mut out, p);
    chain(&mut out, p);
    out
}

fn messages(out: &mut String, p: &PostMortem) {
    let m = &p.messages;
    let _ = writeln!(out, "## Messages\n");
    if m.sent.is_empty() {
        let _ = writeln!(out, "No message was queued for this incident.\n");
    } else {
        let _ = writeln!(
            out,
            "| Message | Template | Channel | Audience | Queued (UTC) | State | Attempts | Delivered (UTC) | Body SHA-256 |\n|---|---|---|---|---|---|---|---|---|"
        );
        for e in &m.sent {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | `{}` |",
                cell(&e.id),
                cell(&e.template),
                cell(&e.channel),
                cell(&e.audience),
                utc(e.queued_at),
                e.state,
                e.attempts,
                e.delivered_at.map(utc).unwrap_or_else(|| "-".into()),
                e.body_sha256.get(..16).unwrap_or(&e.body_sha256)
            );
        }
        let delivered = m.sent.iter().filter(|e| e.state == "delivered").count();
        let _ = writeln!(out, "\n{delivered} of {} delivered.\n", m.sent.len());
    }
    let _ = writeln!(out, "_{}._\n", capitalised(m.note));
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn header(out: &mut String, p: &PostMortem) {
    let h = &p.header;
    let _ = writeln!(out, "# Post-mortem: {} {}\n", h.incident, h.title);
    if p.simulated {
        let _ = writeln!(out, "> {}\n", crate::view::SIMULATED_BANNER);
    }
    if let Some(at) = h.as_of {
        let _ = writeln!(
            out,
            "> The incident is not over ({}): this post-mortem is as of {} UTC, and durations and clocks run to then.\n",
            h.status,
            utc(at)
        );
    }
    let advisory = if h.aliases.is_empty() {
        h.advisory.clone()
    } else {
        format!("{} ({})", h.advisory, h.aliases.join(", "))
    };
    let severity = if h.priority == h.declared_priority {
        h.priority.to_string()
    } else {
        format!("{} (declared {})", h.priority, h.declared_priority)
    };
    let end = match (h.resolved_at, h.as_of) {
        (_, Some(at)) => format!("to {} UTC (as of)", utc(at)),
        (Some(r), None) => format!("to resolution {} UTC", utc(r)),
        (None, None) => "to its end".to_owned(),
    };
    let rows = [
        ("Date", h.date.clone()),
        ("Incident", h.incident.clone()),
        ("Advisory", advisory),
        ("Severity", severity),
        ("Status", h.status.to_string()),
        (
            "Duration",
            format!(
                "{} (from detection {} UTC {end})",
                human(h.duration_seconds),
                utc(h.detected)
            ),
        ),
        ("Declared", format!("{} UTC", utc(h.declared_at))),
        (
            "Author",
            match &h.author {
                Some(a) => format!("{a} (incident commander)"),
                None => "no incident commander recorded".to_owned(),
            },
        ),
        (
            "Services",
            if h.services.is_empty() {
                "none recorded".to_owned()
            } else {
                h.services.join(", ")
            },
        ),
    ];
    out.push_str("| | |\n| --- | --- |\n");
    for (k, v) in rows {
        let _ = writeln!(out, "| {k} | {} |", cell(&v));
    }
    out.push('\n');
}

fn timeline(out: &mut String, p: &PostMortem) {
    out.push_str("## Timeline (UTC)\n\n| Time | Seq | Event | By |\n| --- | --- | --- | --- |\n");
    for m in &p.timeline {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            utc(m.at),
            m.seq.map(|s| s.to_string()).unwrap_or_default(),
            cell(&m.text),
            cell(m.by.as_deref().unwrap_or(""))
        );
    }
    out.push('\n');
}

fn nothing(out: &mut String, what: &str) {
    let _ = writeln!(out, "_Nothing recorded ({what})._\n");
}

fn notes(out: &mut String, section: NoteSection, notes: &[SectionNote]) {
    let _ = writeln!(out, "## {}\n", section.label());
    if notes.is_empty() {
        return nothing(out, &format!("section `{}`", section.key()));
    }
    for n in notes {
        let _ = writeln!(
            out,
            "- {} ({}, {} UTC)",
            n.text.replace('\n', "\n  "),
            n.by,
            utc(n.at)
        );
    }
    out.push('\n');
}

fn impact(out: &mut String, p: &PostMortem) {
    out.push_str("## Impact\n\n");
    if p.impact.is_empty() {
        return nothing(out, "no impact recorded");
    }
    for i in &p.impact {
        let _ = writeln!(
            out,
            "- {} (`{}`), recorded by {} at {} UTC",
            i.label,
            i.impact,
            i.by,
            utc(i.at)
        );
    }
    out.push('\n');
}

fn actions(out: &mut String, p: &PostMortem) {
    out.push_str("## Action items\n\n");
    if p.action_items.is_empty() {
        return nothing(out, "no action item");
    }
    out.push_str("| Id | Action | Owner | Due (UTC) | Status |\n| --- | --- | --- | --- | --- |\n");
    for a in &p.action_items {
        let status = match (a.done_at, &a.note) {
            (Some(at), Some(n)) => format!("done {} UTC: {n}", utc(at)),
            (Some(at), None) => format!("done {} UTC", utc(at)),
            _ => a.status.to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            a.id,
            cell(&a.text),
            cell(&a.owner),
            utc(a.due),
            cell(&status)
        );
    }
    out.push('\n');
}

fn metrics(out: &mut String, p: &PostMortem) {
    let m = &p.metrics;
    let _ = writeln!(
        out,
        "## Metrics\n\n- MTTD (advisory published to detected): {}\n- MTTR (detected to resolved): {}\n",
        m.mttd_seconds
            .map(human)
            .unwrap_or_else(|| "not known (no publication time recorded)".to_owned()),
        m.mttr_seconds
            .map(human)
            .unwrap_or_else(|| "not resolved".to_owned()),
    );
}

fn clocks(out: &mut String, p: &PostMortem) {
    out.push_str("## Clocks\n\n");
    if p.clocks.is_empty() {
        return nothing(out, "no clock");
    }
    out.push_str("| Clock | What | Due (UTC) | Outcome |\n| --- | --- | --- | --- |\n");
    for c in &p.clocks {
        let outcome = match (c.outcome, c.met_at) {
            ("met", Some(at)) => format!("met {}", utc(at)),
            ("missed", Some(at)) => format!("missed (met late {})", utc(at)),
            (o, _) => o.to_owned(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            c.clock,
            cell(&c.label),
            utc(c.due),
            outcome
        );
    }
    out.push('\n');
}

fn approvals(out: &mut String, p: &PostMortem) {
    out.push_str("## Approvals\n\n");
    if p.approvals.is_empty() {
        return nothing(out, "no approval");
    }
    for a in &p.approvals {
        let _ = writeln!(
            out,
            "- {} approved as {} at {} UTC",
            a.by,
            a.kind,
            utc(a.at)
        );
    }
    out.push('\n');
}

fn evidence(out: &mut String, p: &PostMortem) {
    out.push_str("## Evidence\n\n");
    if p.evidence.is_empty() {
        return nothing(out, "no evidence archive, fix plan or re-scan");
    }
    out.push_str("| Seq | Kind | What | SHA-256 |\n| --- | --- | --- | --- |\n");
    for e in &p.evidence {
        let _ = writeln!(
            out,
            "| {} | {} | {} | `{}` |",
            e.seq,
            e.kind,
            cell(&e.what),
            e.sha256
        );
    }
    out.push('\n');
}

fn chain(out: &mut String, p: &PostMortem) {
    let c = &p.chain;
    let _ = writeln!(
        out,
        "## Signed chain head\n\n```\n{}\n```\n\n{} events; {} Check with `cverun incident verify {} --expect HEAD`.",
        c.head,
        c.events,
        if c.verified {
            "the timeline verifies (hashes and MACs)."
        } else {
            "the timeline FAILS verification."
        },
        p.header.incident
    );
}
