//! One incident with everything derived from it at `now` (`incident show`, and
//! `incident declare --format json`): schema `cverun.incident/1`.

use std::fmt::Write as _;

use cverun_scan::render::style::{BOLD, DIM, GREEN, RED, YELLOW, paint};
use jiff::Timestamp;
use serde::Serialize;

use std::collections::BTreeMap;

use crate::chain::Problem;
use crate::clocks::{self, Deadline, Escalation};
use crate::interval::Interval;
use crate::model::{Phase, Role};
use crate::outbox::MessageId;
use crate::outbox::notices::{self, ClockNotice};
use crate::rules::{approval_gate, approvals_needed};
use crate::runbook::CheckedBy;
use crate::state::{FoldError, Incident, StatusUpdate};
use crate::store::Loaded;

use super::text::{self, banner, deadline, paint_priority, short_hash, span, when};

/// The JSON schema name of [`IncidentView`].
pub const SCHEMA: &str = "cverun.incident/1";

/// How many status updates the text shows (the latest).
const UPDATES_SHOWN: usize = 5;

/// An incident with everything derived from it at `now`.
#[derive(Debug, Serialize)]
pub struct IncidentView<'a> {
    /// `cverun.incident/1`.
    pub schema: &'static str,
    /// The state folded from the timeline.
    pub incident: &'a Incident,
    /// Every deadline at `now`.
    pub deadlines: Vec<Deadline>,
    /// The escalations of the priority, fired or not.
    pub escalations: Vec<Escalation>,
    /// The checklist of every phase of the priority.
    pub checklist: Vec<ItemView>,
    /// The required items of the current phase still open (none once ended).
    pub open_items: Vec<String>,
    /// The approval kinds the priority needs.
    pub approvals_needed: Vec<String>,
    /// The phases of the current priority, in order.
    pub phases: Vec<PhaseView>,
    /// The phase the approvals gate (`deployment_gate` is about entering it).
    pub gate: Phase,
    /// Actors of recorded events the roster does not know.
    pub outside_roster: Vec<String>,
    /// Whether the gate would open now.
    pub deployment_gate: GateView,
    /// The latest status update.
    pub last_update: Option<&'a StatusUpdate>,
    /// The timeline verifies.
    pub verified: bool,
    /// What is wrong with the timeline (empty: verified).
    pub problems: &'a [Problem],
    /// The ids of the open action items past their due time (`ACTION-<n>`).
    pub overdue_actions: Vec<String>,
    /// The messages notifying regulatory clocks: queued, approved, delivered,
    /// and whether in time ([`crate::outbox::notices`]).
    pub notices: Vec<ClockNotice>,
    /// The store is simulated (times from CVERUN_NOW, not a clock).
    pub simulated: bool,
    /// When the view was taken.
    #[serde(skip)]
    pub now: Timestamp,
    /// Events stored.
    #[serde(skip)]
    pub events: usize,
    /// The head hash the incident records.
    #[serde(skip)]
    pub head_hash: &'a str,
}

/// One checklist item.
#[derive(Debug, Serialize)]
pub struct ItemView {
    /// Its phase.
    pub phase: Phase,
    /// Its id.
    pub id: String,
    /// What it asks.
    pub text: String,
    /// Required to leave the phase.
    pub required: bool,
    /// The command that checks it (the runbook's `by`: `verify`), when not a
    /// person.
    pub command: Option<CheckedBy>,
    /// Who checked it.
    pub checked_by: Option<String>,
    /// When.
    pub checked_at: Option<Timestamp>,
    /// The seq of the event that is the evidence it was checked on (the
    /// `verified` event), when a command checked it.
    pub evidence: Option<u64>,
    /// Why a person checked it although a command checks it (forced by hand).
    pub forced: Option<String>,
}

/// One phase of the priority.
#[derive(Debug, Serialize)]
pub struct PhaseView {
    /// Its id.
    pub id: Phase,
    /// Its label.
    pub label: String,
    /// Its target duration, when the runbook sets one.
    pub target: Option<Interval>,
    /// Approvals gate entering it.
    pub gated: bool,
}

/// The approval gate now.
#[derive(Debug, Serialize)]
pub struct GateView {
    /// It would open.
    pub open: bool,
    /// Why not, when closed.
    pub message: Option<String>,
}

/// The view of `loaded` at `now`; its fold error when the timeline cannot be read.
pub fn view(
    loaded: &Loaded,
    now: Timestamp,
    simulated: bool,
) -> Result<IncidentView<'_>, &FoldError> {
    let inc = loaded.state.as_ref()?;
    let gate = approval_gate(inc);
    Ok(IncidentView {
        schema: SCHEMA,
        incident: inc,
        deadlines: clocks::deadlines(inc, now),
        escalations: clocks::escalations(inc),
        checklist: checklist(inc),
        open_items: if inc.is_open() {
            inc.open_required(inc.phase)
        } else {
            Vec::new()
        },
        approvals_needed: approvals_needed(inc)
            .iter()
            .map(|n| n.key().to_owned())
            .collect(),
        phases: inc
            .phases()
            .iter()
            .map(|p| PhaseView {
                id: *p,
                label: inc.phase_label(*p),
                target: inc.runbook.policy(inc.priority).targets.get(p).copied(),
                gated: *p == inc.gate(),
            })
            .collect(),
        gate: inc.gate(),
        outside_roster: inc.outside_roster.iter().cloned().collect(),
        deployment_gate: GateView {
            open: gate.is_ok(),
            message: gate.err(),
        },
        last_update: inc.updates.last(),
        verified: loaded.problems.is_empty(),
        problems: &loaded.problems,
        overdue_actions: inc
            .overdue_actions(now)
            .into_iter()
            .filter(|_| inc.phase != Phase::Cancelled)
            .map(|a| a.id())
            .collect(),
        notices: notices::regulatory(inc, &loaded.events, &BTreeMap::new(), now),
        simulated,
        now,
        events: loaded.events.len(),
        head_hash: &loaded.head_hash,
    })
}

impl IncidentView<'_> {
    /// Adds the first delivery of each message (from the outbox, which the
    /// timeline does not hold) to the regulatory notices.
    pub fn with_deliveries(
        mut self,
        loaded: &Loaded,
        delivered: &BTreeMap<MessageId, Timestamp>,
    ) -> Self {
        self.notices = notices::regulatory(self.incident, &loaded.events, delivered, self.now);
        self
    }
}

fn checklist(inc: &Incident) -> Vec<ItemView> {
    let mut items = Vec::new();
    for phase in inc.phases().iter().copied() {
        for item in inc.runbook.items_for(inc.priority, phase) {
            let c = inc.checked.get(&item.id);
            items.push(ItemView {
                phase,
                id: item.id.clone(),
                text: item.text.clone(),
                required: item.required,
                command: item.by,
                checked_by: c.map(|c| c.by.clone()),
                checked_at: c.map(|c| c.at),
                evidence: c.and_then(|c| c.evidence),
                forced: c.and_then(|c| c.forced.clone()),
            });
        }
    }
    items
}

/// The incident for people: its facts, deadlines, escalations, roles, the current
/// phase's checklist, approvals, notes, the latest updates, evidence, and the
/// chain's state when it verifies (the caller warns when it does not, and about
/// `outside_roster`).
pub fn text(v: &IncidentView<'_>) -> String {
    let mut out = banner(v.simulated);
    facts(&mut out, v);
    deadlines(&mut out, v);
    roles(&mut out, v.incident);
    checklist_text(&mut out, v);
    approvals(&mut out, v);
    remediation(&mut out, v.incident);
    action_items(&mut out, v);
    records(&mut out, v.incident);
    out.push('\n');
    if v.verified {
        let _ = writeln!(
            out,
            "{}",
            paint(
                DIM,
                format!(
                    "timeline: {} events, chain verified, head {}",
                    v.events,
                    short_hash(v.head_hash)
                )
            )
        );
    }
    out
}

/// A regulatory notice: queued, approved, delivered, and whether in time.
fn notice(n: &ClockNotice) -> String {
    let approvals = n
        .approvals
        .iter()
        .map(|g| format!("{} {} {}", g.role.key(), g.by, when(g.at)))
        .collect::<Vec<_>>();
    let approved = match (n.approved_at, n.missing.is_empty()) {
        (Some(at), true) if approvals.is_empty() => format!("no approval needed ({})", when(at)),
        (Some(at), _) => format!("approved {} ({})", when(at), approvals.join(", ")),
        _ if approvals.is_empty() => format!("not approved (needs {})", n.missing.join(", ")),
        _ => format!(
            "not approved ({}; needs {})",
            approvals.join(", "),
            n.missing.join(", ")
        ),
    };
    let delivered = match n.delivered_at {
        Some(at) => format!("delivered {}", when(at)),
        None => "not delivered".to_owned(),
    };
    let verdict = match (n.approved_in_time, n.sent_in_time) {
        (_, Some(true)) => paint(GREEN, "sent in time"),
        (Some(false), _) => paint(RED, "not approved in time"),
        (_, Some(false)) => paint(RED, "not sent in time"),
        _ if n.due.is_none() => paint(DIM, "clock not started"),
        _ => paint(YELLOW, "pending"),
    };
    format!(
        "{} {} via {}: queued {}, {approved}, {delivered}: {verdict}",
        n.message,
        n.audience,
        n.channel,
        when(n.queued_at)
    )
}

/// The action items, overdue ones in red.
fn action_items(out: &mut String, v: &IncidentView<'_>) {
    let rows = super::actions::rows(v.incident, v.now, false);
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n{}{}",
        paint(BOLD, "action items"),
        if v.overdue_actions.is_empty() {
            String::new()
        } else {
            paint(RED, format!(" ({} overdue)", v.overdue_actions.len()))
        }
    );
    for r in &rows {
        let _ = writeln!(out, "  {}", super::actions::line(r));
    }
}

fn facts(out: &mut String, v: &IncidentView<'_>) {
    let inc = v.incident;
    let _ = writeln!(out, "{} {}", paint(BOLD, &inc.id), paint(BOLD, &inc.title));
    let mut p = |k: &str, v: String| {
        let _ = writeln!(out, "  {} {v}", paint(DIM, format!("{k:<10}")));
    };
    if inc.aliases.is_empty() {
        p("advisory", inc.advisory.clone());
    } else {
        p(
            "advisory",
            format!("{} (also {})", inc.advisory, inc.aliases.join(", ")),
        );
    }
    if let Some(scope) = &inc.scope {
        p("scope", scope.clone());
    }
    let pr = inc.priority_history.last();
    p(
        "priority",
        format!(
            "{} ({})",
            paint_priority(inc.priority, inc.priority),
            pr.map(|p| p.explanation.as_str()).unwrap_or("")
        ),
    );
    p(
        "phase",
        format!(
            "{} since {} ({}; phases: {})",
            paint(BOLD, inc.phase),
            when(inc.phase_since),
            span(v.now.duration_since(inc.phase_since).as_secs()),
            inc.phases()
                .iter()
                .map(|p| p.label())
                .collect::<Vec<_>>()
                .join(" -> ")
        ),
    );
    if !inc.services.is_empty() {
        p("services", inc.services.join(", "));
    }
    p(
        "declared",
        format!("{} by {}", when(inc.declared_at), inc.declared_by),
    );
    if let Some(d) = &inc.description {
        p("about", d.clone());
    }
    if let Some(d) = inc.decision() {
        p(
            "decision",
            format!("{}: {} ({})", d.decision, d.rationale, d.by),
        );
    }
    if !inc.impacts.is_empty() {
        p(
            "impacts",
            inc.impacts
                .iter()
                .map(|i| i.label.clone())
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
}

fn deadlines(out: &mut String, v: &IncidentView<'_>) {
    let inc = v.incident;
    let _ = writeln!(out, "\n{}", paint(BOLD, "Deadlines"));
    for d in &v.deadlines {
        let _ = writeln!(out, "  {:<58} {}", d.label, deadline(d));
        if let Some(clock) = d.clock.strip_prefix("regulatory:") {
            for n in v.notices.iter().filter(|n| n.clock == clock) {
                let _ = writeln!(out, "    {}", notice(n));
            }
        }
    }
    // Notices of a clock not running yet (no awareness recorded).
    for n in v.notices.iter().filter(|n| n.due.is_none()) {
        let _ = writeln!(out, "  {} {}", n.clock, notice(n));
    }
    if v.escalations.is_empty() && inc.escalations.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{}", paint(BOLD, "Escalations"));
    for e in &inc.escalations {
        let _ = writeln!(out, "  {} to {}: {}", when(e.at), e.to.join(", "), e.reason);
    }
    if !inc.is_open() {
        return;
    }
    for e in v.escalations.iter().filter(|e| e.fired_at.is_none()) {
        let left = e.due.duration_since(v.now).as_secs();
        let _ = writeln!(
            out,
            "  {} to {} if still open ({})",
            when(e.due),
            e.to.join(", "),
            if left > 0 {
                format!("{} left", span(left))
            } else {
                "due at the next tick".to_owned()
            }
        );
    }
}

fn roles(out: &mut String, inc: &Incident) {
    let _ = writeln!(out, "\n{}", paint(BOLD, "Roles"));
    for role in inc.runbook.roles.iter().map(|r| r.id) {
        if !Role::BUILT_IN.contains(&role) && !inc.roles.contains_key(&role) {
            continue;
        }
        let label = inc.runbook.role_label(role);
        match inc.roles.get(&role).and_then(|h| h.split_last()) {
            Some((cur, before)) => {
                let before: Vec<String> = before
                    .iter()
                    .map(|x| format!("{} (from {})", x.name, when(x.since)))
                    .collect();
                let _ = writeln!(
                    out,
                    "  {:<20} {} since {}{}",
                    label,
                    paint(BOLD, &cur.name),
                    when(cur.since),
                    if before.is_empty() {
                        String::new()
                    } else {
                        paint(DIM, format!("; before: {}", before.join(", ")))
                    }
                );
            }
            None => {
                let _ = writeln!(out, "  {:<20} {}", label, paint(DIM, "-"));
            }
        }
    }
}

fn checklist_text(out: &mut String, v: &IncidentView<'_>) {
    let inc = v.incident;
    if !inc.is_open() {
        return;
    }
    let _ = writeln!(out, "\n{} ({})", paint(BOLD, "Checklist"), inc.phase);
    for item in v.checklist.iter().filter(|i| i.phase == inc.phase) {
        let mark = if item.checked_by.is_some() {
            paint(GREEN, "[x]")
        } else if item.required {
            paint(RED, "[ ]")
        } else {
            "[ ]".to_owned()
        };
        let who = match (&item.checked_by, item.checked_at) {
            (Some(b), Some(a)) => {
                let how = match (&item.forced, item.evidence) {
                    (Some(r), _) => format!("; FORCED by hand: {r}"),
                    (None, Some(seq)) => format!(
                        "; by cverun {} #{seq}",
                        item.command.map(|c| c.key()).unwrap_or("verify")
                    ),
                    (None, None) => String::new(),
                };
                paint(DIM, format!(" ({b}, {}{how})", when(a)))
            }
            _ => {
                let mut notes = Vec::new();
                if !item.required {
                    notes.push("optional".to_owned());
                }
                if let Some(c) = item.command {
                    notes.push(format!("checked by {}", c.command(&inc.id)));
                }
                if notes.is_empty() {
                    String::new()
                } else {
                    paint(DIM, format!(" ({})", notes.join("; ")))
                }
            }
        };
        let _ = writeln!(out, "  {mark} {:<24} {}{who}", item.id, item.text);
    }
}

fn approvals(out: &mut String, v: &IncidentView<'_>) {
    let inc = v.incident;
    let _ = writeln!(
        out,
        "\n{} ({} needs: {})",
        paint(BOLD, "Approvals"),
        inc.priority,
        if v.approvals_needed.is_empty() {
            "none".to_owned()
        } else {
            v.approvals_needed.join(" + ")
        }
    );
    for a in &inc.approvals {
        let _ = writeln!(out, "  {} by {} at {}", a.kind, a.by, when(a.at));
    }
    let before_gate = match (inc.position(inc.phase), inc.position(inc.gate())) {
        (Some(here), Some(g)) => here < g,
        _ => false,
    };
    if before_gate {
        let gate = inc.phase_label(inc.gate()).to_lowercase();
        let line = match &v.deployment_gate.message {
            None => paint(GREEN, format!("{gate} gate: open")),
            Some(_) => paint(YELLOW, format!("{gate} gate: closed")),
        };
        let _ = writeln!(out, "  {line}");
    }
}

/// The remediation evidence: each step, one line, oldest first.
fn remediation(out: &mut String, inc: &Incident) {
    let r = &inc.remediation;
    let mut steps: Vec<(u64, String, &str, Timestamp)> = Vec::new();
    steps.extend(
        r.planned
            .iter()
            .map(|s| (s.seq, text::fix_planned(&s.step), s.by.as_str(), s.at)),
    );
    steps.extend(
        r.applied
            .iter()
            .map(|s| (s.seq, text::fix_applied(&s.step), s.by.as_str(), s.at)),
    );
    steps.extend(
        r.tested
            .iter()
            .map(|s| (s.seq, text::fix_tested(&s.step), s.by.as_str(), s.at)),
    );
    steps.extend(
        r.verified
            .iter()
            .map(|s| (s.seq, text::verified(&s.step), s.by.as_str(), s.at)),
    );
    if steps.is_empty() {
        return;
    }
    steps.sort_by_key(|s| s.0);
    let _ = writeln!(out, "\n{}", paint(BOLD, "Remediation"));
    for (seq, line, by, at) in steps {
        let _ = writeln!(out, "  #{seq} {line} ({by}, {})", when(at));
    }
    if let Some(v) = r.verified.last() {
        let verdict = match v.step.why_not_clean() {
            None => paint(GREEN, "latest verification: clean"),
            Some(why) => paint(YELLOW, format!("latest verification: not clean ({why})")),
        };
        let _ = writeln!(out, "  {verdict}");
    }
}

/// Notes, the latest status updates, awareness and evidence.
fn records(out: &mut String, inc: &Incident) {
    for n in &inc.notes {
        let _ = writeln!(out, "  note by {} at {}: {}", n.by, when(n.at), n.text);
    }
    if !inc.updates.is_empty() {
        let _ = writeln!(out, "\n{}", paint(BOLD, "Status updates"));
        let skip = inc.updates.len().saturating_sub(UPDATES_SHOWN);
        if skip > 0 {
            let _ = writeln!(
                out,
                "  {}",
                paint(
                    DIM,
                    format!("{skip} earlier: cverun incident timeline {}", inc.id)
                )
            );
        }
        for u in &inc.updates[skip..] {
            let _ = writeln!(
                out,
                "  {} by {}: {}{}",
                when(u.at),
                u.by,
                u.message,
                u.eta
                    .map(|e| format!(" [ETA {}]", when(e)))
                    .unwrap_or_default()
            );
        }
    }
    if let Some(a) = inc.aware_at {
        let _ = writeln!(out, "\n  became aware at {}", when(a));
    }
    for e in &inc.evidence {
        let _ = writeln!(
            out,
            "  evidence {} ({} members, manifest {}) by {} at {}",
            e.file,
            e.members,
            short_hash(&e.manifest_sha256),
            e.by,
            when(e.at)
        );
    }
}
