//! The post-mortem: what the record of an incident says once it is over, and the
//! follow-up action items that outlive it.
//!
//! - Notes may belong to a post-mortem section ([`NoteSection`]: summary, root
//!   cause, what went well, what went wrong, lessons), recorded with
//!   `incident note --section`. A note without a section is a plain note, and its
//!   event keeps the shape it always had.
//! - Action items (`action-added`, `action-done`) are numbered per incident
//!   (`ACTION-1`, ...), have an owner (a person of the roster when the roster has
//!   people) and a due time, and are accepted after the resolution too (unlike most
//!   actions): they are the post-incident follow-up. An open item past its due time
//!   is recorded once by `tick` as `action-overdue` (clock key `action:<n>`).
//! - [`build`] turns a loaded incident into a [`PostMortem`] document: header,
//!   summary, a UTC timeline of the recorded milestones, the sections, impacts,
//!   action items, MTTD and MTTR (from [`crate::metrics`]), every clock met or
//!   missed (from [`crate::clocks`]), approvals, evidence hashes and the signed
//!   chain head. It is a pure function of the stored events: the same store gives
//!   the same document. `now` is used only while the incident is not resolved,
//!   and the document then says so (`as_of`).
//!
//! The template is the runbook's post-mortem headings. Messages sent to people
//! come from the outbox ([`Delivery`]: each message queued for the incident, its
//! state and when it was first delivered); their queueing is in the signed
//! timeline, their delivery in the outbox tables, and the section says which is
//! which.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::chain::Anchor;
use crate::clocks::{self, DeadlineState};
use crate::event::{Event, EventBody};
use crate::model::{Phase, Priority, Role};
use crate::remediation::Baseline;
use crate::state::{ActionItem, FoldError, Incident, NoteRecord};
use crate::store::Loaded;

/// The JSON schema name of [`PostMortem`].
pub const SCHEMA: &str = "cverun.postmortem/1";

/// The post-mortem section a note belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteSection {
    /// The executive summary.
    Summary,
    /// The root cause.
    RootCause,
    /// What went well.
    WentWell,
    /// What went wrong.
    WentWrong,
    /// Lessons learned.
    Lessons,
}

impl NoteSection {
    /// Every section, in the document's order.
    pub const ALL: [NoteSection; 5] = [
        NoteSection::Summary,
        NoteSection::RootCause,
        NoteSection::WentWell,
        NoteSection::WentWrong,
        NoteSection::Lessons,
    ];

    /// The key people type (`root-cause`).
    pub fn key(self) -> &'static str {
        match self {
            NoteSection::Summary => "summary",
            NoteSection::RootCause => "root-cause",
            NoteSection::WentWell => "went-well",
            NoteSection::WentWrong => "went-wrong",
            NoteSection::Lessons => "lessons",
        }
    }

    /// The heading (`Root cause`).
    pub fn label(self) -> &'static str {
        match self {
            NoteSection::Summary => "Executive summary",
            NoteSection::RootCause => "Root cause",
            NoteSection::WentWell => "What went well",
            NoteSection::WentWrong => "What went wrong",
            NoteSection::Lessons => "Lessons learned",
        }
    }
}

impl std::fmt::Display for NoteSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

impl std::str::FromStr for NoteSection {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let k = s.trim().to_ascii_lowercase().replace('_', "-");
        NoteSection::ALL
            .into_iter()
            .find(|n| n.key() == k)
            .ok_or_else(|| {
                format!(
                    "unknown post-mortem section {s:?} (known: {})",
                    NoteSection::ALL.map(NoteSection::key).join(", ")
                )
            })
    }
}

/// The id people write for action item `n` (`ACTION-3`).
pub fn action_id(n: u64) -> String {
    format!("ACTION-{n}")
}

/// The clock key of action item `n`'s due time (`action:3`).
pub fn action_clock(n: u64) -> String {
    format!("action:{n}")
}

/// Reads an action item id: `ACTION-3`, `action-3` or `3`.
pub fn parse_action_id(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = match t.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("action-") => &t[7..],
        _ => t,
    };
    match digits.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "{s:?} is not an action item id (ACTION-1, ACTION-2...)"
        )),
    }
}

/// The `action-added` event for a new item of `inc` (its number is the next one),
/// or why not: the due time must not be in the past.
pub fn add_action(
    inc: &Incident,
    text: String,
    owner: String,
    due: Timestamp,
    now: Timestamp,
) -> Result<Vec<EventBody>, String> {
    if due < now {
        return Err(format!("--due {due} is in the past (now is {now})"));
    }
    Ok(vec![EventBody::ActionAdded {
        action: inc.action_items.len() as u64 + 1,
        text,
        owner,
        due,
    }])
}

/// The `action-done` event for item `action` of `inc`, or why not (no such
/// item, or already done).
pub fn complete_action(
    inc: &Incident,
    action: u64,
    note: Option<String>,
) -> Result<Vec<EventBody>, String> {
    let Some(item) = action
        .checked_sub(1)
        .and_then(|i| inc.action_items.get(i as usize))
    else {
        return Err(format!(
            "{} has no action item {} ({})",
            inc.id,
            action_id(action),
            match inc.action_items.len() {
                0 => "it has none".to_owned(),
                n => format!("it has ACTION-1 to {}", action_id(n as u64)),
            }
        ));
    };
    if let Some(d) = &item.done {
        return Err(format!(
            "{} of {} was already done by {} at {}",
            item.id(),
            inc.id,
            d.by,
            d.at
        ));
    }
    Ok(vec![EventBody::ActionDone { action, note }])
}

/// A post-mortem document (`incident postmortem`): schema `cverun.postmortem/1`.
#[derive(Clone, Debug, Serialize)]
pub struct PostMortem {
    /// `cverun.postmortem/1`.
    pub schema: &'static str,
    /// The header.
    pub header: Header,
    /// The executive summary.
    pub summary: Summary,
    /// The milestones, in the order recorded (UTC).
    pub timeline: Vec<Milestone>,
    /// Root cause notes.
    pub root_cause: Vec<SectionNote>,
    /// Impacts recorded.
    pub impact: Vec<ImpactEntry>,
    /// What went well.
    pub went_well: Vec<SectionNote>,
    /// What went wrong.
    pub went_wrong: Vec<SectionNote>,
    /// Lessons learned.
    pub lessons: Vec<SectionNote>,
    /// Follow-up action items.
    pub action_items: Vec<ActionEntry>,
    /// MTTD and MTTR.
    pub metrics: Durations,
    /// Every clock of the incident, met or missed.
    pub clocks: Vec<ClockEntry>,
    /// Deployment approvals of the last round.
    pub approvals: Vec<ApprovalEntry>,
    /// Hashes of the evidence recorded.
    pub evidence: Vec<EvidenceEntry>,
    /// Messages queued for people and their delivery.
    pub messages: Messages,
    /// The signed chain head.
    pub chain: ChainEntry,
    /// The store is simulated (times from CVERUN_NOW, not a clock).
    pub simulated: bool,
}

/// The header.
#[derive(Clone, Debug, Serialize)]
pub struct Header {
    /// The incident id.
    pub incident: String,
    /// Title.
    pub title: String,
    /// The advisory.
    pub advisory: String,
    /// Its other ids.
    pub aliases: Vec<String>,
    /// The declaration date (UTC, `YYYY-MM-DD`).
    pub date: String,
    /// The priority now (at resolution when resolved).
    pub priority: Priority,
    /// The priority declared.
    pub declared_priority: Priority,
    /// The phase (`resolved`, or where it stands).
    pub status: Phase,
    /// The author: the incident commander (the last one to hold the role).
    pub author: Option<String>,
    /// Affected services.
    pub services: Vec<String>,
    /// When the problem was detected.
    pub detected: Timestamp,
    /// When it was declared.
    pub declared_at: Timestamp,
    /// When it was resolved.
    pub resolved_at: Option<Timestamp>,
    /// Detection to resolution (or to `as_of`), in seconds.
    pub duration_seconds: i64,
    /// The time the document was taken at, when the incident is not resolved
    /// (durations and clocks then run to it); `None` for a resolved incident,
    /// whose document depends on its record alone.
    pub as_of: Option<Timestamp>,
}

/// The executive summary.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// The text.
    pub text: String,
    /// `note` (the `summary` notes) or `generated` (from the title and decision).
    pub source: &'static str,
}

/// One milestone.
#[derive(Clone, Debug, Serialize)]
pub struct Milestone {
    /// When (UTC).
    pub at: Timestamp,
    /// Its event's seq (none for the publication and detection times).
    pub seq: Option<u64>,
    /// What kind (`detected`, `declared`, `advanced`, `resolved`...).
    pub kind: String,
    /// Who recorded it.
    pub by: Option<String>,
    /// What happened.
    pub text: String,
}

/// A note of a section.
#[derive(Clone, Debug, Serialize)]
pub struct SectionNote {
    /// The text.
    pub text: String,
    /// Who.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// An impact.
#[derive(Clone, Debug, Serialize)]
pub struct ImpactEntry {
    /// Its name in the runbook.
    pub impact: String,
    /// Its label.
    pub label: String,
    /// Who recorded it.
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// An action item.
#[derive(Clone, Debug, Serialize)]
pub struct ActionEntry {
    /// `ACTION-<n>`.
    pub id: String,
    /// What.
    pub text: String,
    /// Who owns it.
    pub owner: String,
    /// When due.
    pub due: Timestamp,
    /// `open`, `overdue` or `done`.
    pub status: &'static str,
    /// When it was done.
    pub done_at: Option<Timestamp>,
    /// How.
    pub note: Option<String>,
}

/// MTTD and MTTR of this incident (see [`crate::metrics`]).
#[derive(Clone, Debug, Serialize)]
pub struct Durations {
    /// Advisory published -> detected, in seconds, when the publication is known.
    pub mttd_seconds: Option<i64>,
    /// Detected -> resolved, in seconds, once resolved.
    pub mttr_seconds: Option<i64>,
}

/// A clock and whether it was met.
#[derive(Clone, Debug, Serialize)]
pub struct ClockEntry {
    /// The clock key.
    pub clock: String,
    /// What was due.
    pub label: String,
    /// When.
    pub due: Timestamp,
    /// `met`, `missed` (late, or never met) or `pending` (still running).
    pub outcome: &'static str,
    /// When it was met, when it was.
    pub met_at: Option<Timestamp>,
}

/// An approval.
#[derive(Clone, Debug, Serialize)]
pub struct ApprovalEntry {
    /// Who.
    pub by: String,
    /// In which capacity.
    #[serde(rename = "as")]
    pub kind: String,
    /// When.
    pub at: Timestamp,
}

/// The hash of a piece of evidence.
#[derive(Clone, Debug, Serialize)]
pub struct EvidenceEntry {
    /// Its event's seq.
    pub seq: u64,
    /// `evidence` (archive manifest), `fix-planned` (the plan), `verified` (the
    /// re-scan report) or `baseline` (the re-scan's baseline file).
    pub kind: &'static str,
    /// What it is.
    pub what: String,
    /// SHA-256 (hex).
    pub sha256: String,
}

/// Messages queued for people and their delivery.
#[derive(Clone, Debug, Serialize)]
pub struct Messages {
    /// Whether the store records messages (always, since the outbox; kept so
    /// that `cverun.postmortem/1` only gains fields).
    pub recorded: bool,
    /// What the section rests on.
    pub note: &'static str,
    /// Every message of the incident, in the order queued.
    pub sent: Vec<MessageEntry>,
}

/// What the messages section rests on.
pub const MESSAGES_NOTE: &str = "queueing is recorded in the signed timeline (with each body's SHA-256); delivery states and times come from the outbox, outside the hash chain";

/// One message of the incident, as the outbox has it: the input of [`build`].
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The outbox row.
    pub message: crate::outbox::MessageRow,
    /// When the first delivered attempt was recorded.
    pub delivered_at: Option<Timestamp>,
}

/// One message in the post-mortem.
#[derive(Clone, Debug, Serialize)]
pub struct MessageEntry {
    /// The message id (`INC/seq`).
    pub id: String,
    /// The template.
    pub template: String,
    /// The channel's name.
    pub channel: String,
    /// The audience.
    pub audience: String,
    /// When it was queued.
    pub queued_at: Timestamp,
    /// Its outbox state (`delivered`, `dead`...).
    pub state: String,
    /// Attempts made.
    pub attempts: u64,
    /// When it was first delivered.
    pub delivered_at: Option<Timestamp>,
    /// The idempotency key receivers saw.
    pub key: String,
    /// SHA-256 of the body (as in the `message-queued` event).
    pub body_sha256: String,
}

/// The signed chain head.
#[derive(Clone, Debug, Serialize)]
pub struct ChainEntry {
    /// Events in the timeline.
    pub events: u64,
    /// The head as `incident head` prints it (`ID:SEQ:HASH:MAC`).
    pub head: String,
    /// The last hash.
    pub hash: String,
    /// The timeline verifies (hashes and MACs).
    pub verified: bool,
}

/// The post-mortem of `loaded` whose signed head is `head`; `now` counts only
/// while the incident is not resolved. The fold error when the timeline cannot be
/// read.
pub fn build<'a>(
    loaded: &'a Loaded,
    head: &Anchor,
    now: Timestamp,
    simulated: bool,
    deliveries: &[Delivery],
) -> Result<PostMortem, &'a FoldError> {
    let inc = loaded.state.as_ref()?;
    let ended = match inc.phase {
        Phase::Resolved => inc.resolved_at,
        Phase::Cancelled => Some(inc.phase_since),
        _ => None,
    };
    let as_of = ended.is_none().then_some(now);
    let end = ended.unwrap_or(now);
    Ok(PostMortem {
        schema: SCHEMA,
        header: header(inc, as_of, end),
        summary: summary(inc),
        timeline: timeline(inc, &loaded.events),
        root_cause: section(inc, NoteSection::RootCause),
        impact: inc
            .impacts
            .iter()
            .map(|i| ImpactEntry {
                impact: i.impact.clone(),
                label: i.label.clone(),
                by: i.by.clone(),
                at: i.at,
            })
            .collect(),
        went_well: section(inc, NoteSection::WentWell),
        went_wrong: section(inc, NoteSection::WentWrong),
        lessons: section(inc, NoteSection::Lessons),
        action_items: inc.action_items.iter().map(|a| action(a, end)).collect(),
        metrics: durations(inc, end),
        clocks: clock_entries(inc, &loaded.events, end),
        approvals: inc
            .approvals
            .iter()
            .map(|a| ApprovalEntry {
                by: a.by.clone(),
                kind: a.kind.key().to_owned(),
                at: a.at,
            })
            .collect(),
        evidence: evidence(&loaded.events),
        messages: messages(deliveries),
        chain: ChainEntry {
            events: loaded.events.len() as u64,
            head: head.to_string(),
            hash: head.hash.clone(),
            verified: loaded.problems.is_empty(),
        },
        simulated,
    })
}

fn messages(deliveries: &[Delivery]) -> Messages {
    let mut sent: Vec<MessageEntry> = deliveries
        .iter()
        .map(|d| MessageEntry {
            id: d.message.id.as_str().to_owned(),
            template: d.message.template.clone(),
            channel: d.message.channel.clone(),
            audience: d.message.audience.clone(),
            queued_at: d.message.queued_at,
            state: d.message.state.as_str().to_owned(),
            attempts: d.message.attempts,
            delivered_at: d.delivered_at,
            key: d.message.key.clone(),
            body_sha256: d.message.body_sha256.clone(),
        })
        .collect();
    sent.sort_by_key(|m| (m.queued_at, m.id.clone()));
    Messages {
        recorded: true,
        note: MESSAGES_NOTE,
        sent,
    }
}

fn header(inc: &Incident, as_of: Option<Timestamp>, end: Timestamp) -> Header {
    Header {
        incident: inc.id.clone(),
        title: inc.title.clone(),
        advisory: inc.advisory.clone(),
        aliases: inc.aliases.clone(),
        date: inc.declared_at.strftime("%Y-%m-%d").to_string(),
        priority: inc.priority,
        declared_priority: inc
            .priority_history
            .first()
            .map(|p| p.level)
            .unwrap_or(inc.priority),
        status: inc.phase,
        author: inc.holder(Role::Commander).map(|h| h.name.clone()),
        services: inc.services.clone(),
        detected: inc.detected,
        declared_at: inc.declared_at,
        resolved_at: inc.resolved_at,
        duration_seconds: end.duration_since(inc.detected).as_secs(),
        as_of,
    }
}

fn notes(inc: &Incident, s: NoteSection) -> impl Iterator<Item = &NoteRecord> {
    inc.notes.iter().filter(move |n| n.section == Some(s))
}

fn section(inc: &Incident, s: NoteSection) -> Vec<SectionNote> {
    notes(inc, s)
        .map(|n| SectionNote {
            text: n.text.clone(),
            by: n.by.clone(),
            at: n.at,
        })
        .collect()
}

/// The `summary` notes, else a summary made of the title, the priority and the
/// decision that stands.
fn summary(inc: &Incident) -> Summary {
    let written: Vec<&str> = notes(inc, NoteSection::Summary)
        .map(|n| n.text.as_str())
        .collect();
    if !written.is_empty() {
        return Summary {
            text: written.join("\n\n"),
            source: "note",
        };
    }
    let mut text = format!("{} ({}), {}.", inc.title, inc.advisory, inc.priority);
    match inc.decision() {
        Some(d) => text.push_str(&format!(" Decision: {} ({}).", d.decision, d.rationale)),
        None => text.push_str(" No decision was recorded."),
    }
    Summary {
        text,
        source: "generated",
    }
}

/// Whether an event is a milestone of the post-mortem's timeline.
fn milestone(body: &EventBody) -> bool {
    matches!(
        body,
        EventBody::Declared { .. }
            | EventBody::Assigned { .. }
            | EventBody::Advanced { .. }
            | EventBody::Cancelled { .. }
            | EventBody::Reopened { .. }
            | EventBody::Decided { .. }
            | EventBody::Approved { .. }
            | EventBody::Impact { .. }
            | EventBody::Priority { .. }
            | EventBody::Notified { .. }
            | EventBody::MessageApproved(_)
            | EventBody::Escalated { .. }
            | EventBody::Evidence { .. }
            | EventBody::FixPlanned(_)
            | EventBody::FixApplied(_)
            | EventBody::Verified(_)
    )
}

fn timeline(inc: &Incident, events: &[Event]) -> Vec<Milestone> {
    let mut out = Vec::new();
    if let Some(p) = inc.published {
        out.push(Milestone {
            at: p,
            seq: None,
            kind: "published".into(),
            by: None,
            text: format!("advisory {} published", inc.advisory),
        });
    }
    out.push(Milestone {
        at: inc.detected,
        seq: None,
        kind: "detected".into(),
        by: None,
        text: "problem detected".into(),
    });
    for e in events {
        let (Ok(body), Ok(at)) = (e.body(), e.time()) else {
            continue;
        };
        if !milestone(&body) {
            continue;
        }
        let kind = match &body {
            EventBody::Advanced {
                to: Phase::Resolved,
                ..
            } => "resolved".to_owned(),
            _ => e.kind.clone(),
        };
        out.push(Milestone {
            at,
            seq: Some(e.seq),
            kind,
            by: Some(e.actor.clone()),
            text: crate::view::describe(e),
        });
    }
    out
}

fn action(a: &ActionItem, end: Timestamp) -> ActionEntry {
    ActionEntry {
        id: a.id(),
        text: a.text.clone(),
        owner: a.owner.clone(),
        due: a.due,
        status: match &a.done {
            Some(_) => "done",
            None if a.is_overdue(end) || a.overdue_fired.is_some() => "overdue",
            None => "open",
        },
        done_at: a.done.as_ref().map(|d| d.at),
        note: a.done.as_ref().and_then(|d| d.note.clone()),
    }
}

/// MTTD and MTTR as [`crate::metrics::compute`] counts them, over this incident
/// alone.
fn durations(inc: &Incident, end: Timestamp) -> Durations {
    let m = crate::metrics::compute(std::slice::from_ref(inc), None, end);
    Durations {
        mttd_seconds: m.mttd.mean_seconds,
        mttr_seconds: m.mttr.mean_seconds,
    }
}

/// The deadlines at the end (resolution, or `as_of`), then each missed status
/// update recorded by `tick`.
fn clock_entries(inc: &Incident, events: &[Event], end: Timestamp) -> Vec<ClockEntry> {
    let mut out: Vec<ClockEntry> = clocks::deadlines(inc, end)
        .into_iter()
        .map(|d| {
            let (outcome, met_at) = match d.state {
                DeadlineState::Met { at } => ("met", Some(at)),
                DeadlineState::Late { at } => ("missed", Some(at)),
                DeadlineState::Overdue | DeadlineState::Stopped => ("missed", None),
                DeadlineState::Pending => ("pending", None),
            };
            ClockEntry {
                clock: d.clock,
                label: d.label,
                due: d.due,
                outcome,
                met_at,
            }
        })
        .collect();
    for e in events {
        if let Ok(EventBody::Overdue {
            clock,
            deadline,
            what,
        }) = e.body()
            && clock.starts_with("update:")
        {
            out.push(ClockEntry {
                clock,
                label: what,
                due: deadline,
                outcome: "missed",
                met_at: None,
            });
        }
    }
    out
}

fn evidence(events: &[Event]) -> Vec<EvidenceEntry> {
    let mut out = Vec::new();
    for e in events {
        let Ok(body) = e.body() else { continue };
        match body {
            EventBody::Evidence {
                file,
                manifest_sha256,
                ..
            } => out.push(EvidenceEntry {
                seq: e.seq,
                kind: "evidence",
                what: format!("evidence archive {file} (MANIFEST.json)"),
                sha256: manifest_sha256,
            }),
            EventBody::FixPlanned(p) => out.push(EvidenceEntry {
                seq: e.seq,
                kind: "fix-planned",
                what: format!("fix plan: {}", p.summary),
                sha256: p.plan_sha256,
            }),
            EventBody::Verified(v) => {
                out.push(EvidenceEntry {
                    seq: e.seq,
                    kind: "verified",
                    what: format!(
                        "re-scan report ({})",
                        if v.clean { "clean" } else { "not clean" }
                    ),
                    sha256: v.report_sha256.clone(),
                });
                if let Baseline::File { name, sha256 } = v.baseline {
                    out.push(EvidenceEntry {
                        seq: e.seq,
                        kind: "baseline",
                        what: format!("re-scan baseline {name}"),
                        sha256,
                    });
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests;
