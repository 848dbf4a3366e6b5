//! The runbook's rules: what each action records, or why it is refused.
//!
//! Pure functions of (incident state, action, actor, now) returning the events to
//! append. The phase machine:
//!
//! ```text
//! CONTAINMENT -> REMEDIATION -> VALIDATION -> DEPLOYMENT -> POST-MORTEM -> RESOLVED
//!      \______________ any open phase: cancel ______________/      reopen: back to a phase
//! ```
//!
//! - `advance` moves to the next phase, or with `to` forward over several phases
//!   (each one left must have its required checklist items checked, unless forced
//!   with a reason, which is recorded with the open items) or back to an earlier
//!   open phase (with a reason; going back before DEPLOYMENT discards the approvals).
//! - Entering (or passing) DEPLOYMENT needs the approvals the priority requires, each
//!   from a different person; forcing does not bypass approvals.
//! - `cancel` ends an open incident; `reopen` brings a resolved or cancelled one back
//!   (by default to the phase it was cancelled from, or CONTAINMENT after
//!   resolution), clearing the checks of the phases to work again and the approvals.
//! - A resolved or cancelled incident accepts only `reopen`, evidence, notes, the
//!   regulatory records (`aware`, `notify`), whose obligations outlive it, and
//!   (resolved only) the resolution message (`update`).
//!
//! Phases are the runbook's, per priority (the default five above); the gate is
//! the phase the priority names (DEPLOYMENT by default) and approvals are
//! accepted from the phase before it on.
//!
//! Checklist items marked `by = "verify"` in the runbook are checked by evidence,
//! not by people: `check` refuses them unless forced with a reason (recorded in
//! the `checked` event as `forced`). `verify` (a re-scan, see
//! [`crate::remediation`]) records a `verified` event judged by the rules; when it
//! is clean, every such item still open is checked in the same transaction (a
//! `checked` event `by: verify`; an item of a later phase is checked ahead with
//! the reason "verified clean by cverun verify"). A verification that is not clean
//! leaves them open, and unchecks one that an earlier verification checked (a
//! regression) or that a person checked while the advisory is found again.
//! Remediation evidence (`fix-planned`, `fix-applied`, `fix-tested`, `verified`)
//! is accepted in any open phase, from anyone.
//!
//! People: actors and assignees are resolved through the incident's roster (any
//! case, handle or alias). Gate-changing actions (assign, advance, cancel, reopen,
//! decide, priority, approve, roster) need a person of the roster; the others are
//! accepted from anyone and the state marks such actors (`outside_roster`).

use std::collections::BTreeSet;

use jiff::Timestamp;

use crate::event::{Duplicate, EventBody, Forced};
use crate::model::{
    ApprovalKind, ApprovalNeed, AssignedPriority, Decision, Phase, Priority, PrioritySource, Role,
};
use crate::postmortem::NoteSection;
use crate::remediation::{self, FixApplied, FixPlanned, FixTested, Rescan, Verified};
use crate::roster::{Person, fold_name};
use crate::runbook::{CheckedBy, ChecklistItem, Runbook};
use crate::state::Incident;

/// What a declaration says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    /// The advisory (OSV, GHSA or CVE id).
    pub advisory: String,
    /// The priority with its explanation (from a person, or later from triage).
    pub priority: AssignedPriority,
    /// Title (default: the advisory id).
    pub title: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// The incident commander, when known at once.
    pub commander: Option<String>,
    /// Affected services.
    pub services: Vec<String>,
    /// When the advisory was published, when known (for MTTD).
    pub published: Option<Timestamp>,
    /// When the problem was detected (default: now).
    pub detected: Option<Timestamp>,
    /// The vulnerability's other ids (aliases), when the advisory database knows
    /// them: one open incident per vulnerability and scope.
    pub aliases: Vec<String>,
    /// The part of the organisation the incident covers, when incidents of one
    /// vulnerability are worked apart (`None`: the whole store).
    pub scope: Option<String>,
    /// Declared although an open incident covers the same vulnerability and scope.
    pub duplicate: Option<Duplicate>,
}

/// The first event of an open incident, as [`duplicates`] compares it.
#[derive(Clone, Debug)]
pub struct OpenIncident {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its phase (for messages).
    pub phase: String,
    /// Its advisory and aliases.
    pub ids: Vec<String>,
    /// Its scope.
    pub scope: Option<String>,
}

/// One id spelling for comparisons (ids are case-insensitive: `cve-2021-44228`).
fn id_key(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

/// Whether declaring `d` is allowed beside the `open` incidents: one open incident
/// per vulnerability (any shared id: the advisory or an alias) and scope, unless
/// the declaration says it is a duplicate of one of them (`Duplicate::Of`, which
/// must name one) or is declared anyway with a reason (`Duplicate::Allowed`).
pub fn duplicates(d: &Declaration, open: &[OpenIncident]) -> Result<(), String> {
    let mine: BTreeSet<String> = std::iter::once(d.advisory.as_str())
        .chain(d.aliases.iter().map(String::as_str))
        .map(id_key)
        .collect();
    let scope = d.scope.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let same: Vec<&OpenIncident> = open
        .iter()
        .filter(|o| o.scope.as_deref().map(str::trim).filter(|s| !s.is_empty()) == scope)
        .filter(|o| o.ids.iter().any(|i| mine.contains(&id_key(i))))
        .collect();
    let in_scope = scope
        .map(|s| format!(" in scope {s:?}"))
        .unwrap_or_default();
    match (&d.duplicate, same.first()) {
        (None, None) | (Some(Duplicate::Allowed(_)), _) => Ok(()),
        (None, Some(o)) => Err(format!(
            "{} already has an open incident{in_scope}: {} ({}, {}); work it there, or declare another only with --duplicate-of {} (a duplicate worked apart) or --allow-duplicate REASON",
            d.advisory, o.id, o.title, o.phase, o.id
        )),
        (Some(Duplicate::Of(id)), _) => {
            if same.iter().any(|o| o.id.eq_ignore_ascii_case(id)) {
                Ok(())
            } else {
                let open: Vec<&str> = same.iter().map(|o| o.id.as_str()).collect();
                Err(format!(
                    "--duplicate-of {id}: not an open incident of {}{in_scope} (open: {})",
                    d.advisory,
                    if open.is_empty() {
                        "none".to_owned()
                    } else {
                        open.join(", ")
                    }
                ))
            }
        }
    }
}

/// An action on an existing incident.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Hand a role to someone.
    Assign {
        /// The role.
        role: Role,
        /// Who.
        name: String,
    },
    /// Check a checklist item (by id) of the current or an earlier phase.
    Check {
        /// The item id.
        item: String,
    },
    /// Check an item of a later phase before the incident gets there, or an item
    /// the runbook has checked by a command (`by = "verify"`), by hand: recorded
    /// with the reason (`check --force --reason`).
    CheckAhead {
        /// The item id.
        item: String,
        /// Why.
        reason: String,
    },
    /// Uncheck a checked item (it no longer holds), with the reason.
    Uncheck {
        /// The item id.
        item: String,
        /// Why.
        reason: String,
    },
    /// Record a note (any time, also after the end).
    Note {
        /// The text.
        text: String,
        /// The post-mortem section it belongs to, when given.
        section: Option<NoteSection>,
    },
    /// Replace the incident's roster with `people` (the current runbook file's),
    /// by a person who may be the incident commander.
    Roster {
        /// The new roster.
        people: Vec<Person>,
    },
    /// Move to the next phase, or to `to`.
    Advance {
        /// Target phase (default: the next one).
        to: Option<Phase>,
        /// Leave phases with required items open.
        force: bool,
        /// Why (required when forcing or going back).
        reason: Option<String>,
    },
    /// Call the incident off.
    Cancel {
        /// Why.
        reason: String,
    },
    /// Bring a resolved or cancelled incident back.
    Reopen {
        /// Why.
        reason: String,
        /// The phase to go back to.
        to: Option<Phase>,
    },
    /// Decide what to do.
    Decide {
        /// The decision.
        decision: Decision,
        /// Why.
        rationale: String,
    },
    /// Approve deployment (as the actor).
    Approve {
        /// In which capacity.
        kind: ApprovalKind,
    },
    /// Post a status update (after the resolution: the resolution message).
    Update {
        /// The text.
        message: String,
        /// Expected resolution.
        eta: Option<Timestamp>,
    },
    /// Record an impact named in the runbook.
    Impact {
        /// Its name.
        impact: String,
    },
    /// Change the priority (with its explanation).
    SetPriority {
        /// The new priority.
        priority: AssignedPriority,
    },
    /// Record when the organisation became aware (starts regulatory clocks).
    Aware {
        /// When (default: now).
        at: Option<Timestamp>,
    },
    /// Record a regulatory notification.
    Notify {
        /// The regulatory clock id.
        clock: String,
        /// Reference or note.
        note: Option<String>,
    },
    /// Record an evidence archive.
    Evidence {
        /// File name.
        file: String,
        /// SHA-256 of its manifest.
        manifest_sha256: String,
        /// Members.
        members: u64,
        /// Bytes.
        bytes: u64,
    },
    /// Record a fix plan (`cverun fix --incident ID`). `proposed` may be left
    /// `None`: the rules compute it from the counts.
    FixPlanned(FixPlanned),
    /// Record a fix made on a hotfix branch.
    FixApplied(FixApplied),
    /// Record one service's test run against the fix.
    FixTested(FixTested),
    /// Record a verification (`cverun verify --incident ID`): the rules judge it
    /// against the incident ([`remediation::judge`]), record a `verified` event,
    /// and check (clean) or uncheck (regression) the runbook's `by = "verify"`
    /// items.
    Verify(Rescan),
    /// Add a follow-up action item (any time but after a cancellation, also
    /// after the resolution): see [`crate::postmortem::add_action`].
    AddActionItem {
        /// What is to be done.
        text: String,
        /// Who owns it (a person of the roster when the roster has people).
        owner: String,
        /// When it is due.
        due: Timestamp,
    },
    /// Mark action item `action` done, with how when said.
    CompleteActionItem {
        /// Its number (`ACTION-<n>`).
        action: u64,
        /// How it was done.
        note: Option<String>,
    },
}

fn required_text(what: &str, value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        Err(format!("{what} must not be empty"))
    } else {
        Ok(v.to_owned())
    }
}

/// The name events record for `actor` under `runbook`'s roster: the person's
/// canonical handle, or the name as given (trimmed) when the roster does not know
/// it.
pub fn resolve_in(runbook: &Runbook, actor: &str) -> String {
    match runbook.person(actor) {
        Some(p) => p.handle.clone(),
        None => actor.trim().to_owned(),
    }
}

/// The name events record for `actor` on `inc` (see [`resolve_in`]).
pub fn resolve_actor(inc: &Incident, actor: &str) -> String {
    resolve_in(&inc.runbook, actor)
}

/// How to add a roster, for refusals.
const ADD_ROSTER: &str = "add the team's roster to the runbook ([[person]] entries with handle, name, aliases and roles in .cverun/runbook.toml, see `cverun incident runbook`)";

/// The person of `runbook`'s roster `name` means, or why none.
fn person_in<'a>(
    runbook: &'a Runbook,
    id: &str,
    name: &str,
    what: &str,
) -> Result<&'a Person, String> {
    if let Some(p) = runbook.person(name) {
        return Ok(p);
    }
    if runbook.people.is_empty() {
        return Err(format!(
            "{what} needs a person of the roster, and the runbook of {id} has no people: {ADD_ROSTER}, then record it with `cverun incident roster {id}` (new incidents take it at once)"
        ));
    }
    Err(format!(
        "{name:?} is not in the roster of {id} (people: {}); {what} needs a person of the roster (names are matched by handle or alias in any case; identity given with --actor is self-asserted)",
        runbook
            .people
            .iter()
            .map(|p| p.handle.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The events declaring an incident (the `declared` event, and the commander's
/// assignment when given).
///
/// The times people give are claims, recorded beside the recording time and
/// checked: published <= detected <= now.
pub fn declare(
    d: &Declaration,
    runbook: &Runbook,
    now: Timestamp,
) -> Result<Vec<EventBody>, String> {
    if !runbook.is_complete() {
        return Err(
            "the runbook is incomplete: every priority needs phases, a target for each, and a gate among them"
                .into(),
        );
    }
    let advisory = required_text("the advisory id", &d.advisory)?;
    if advisory.chars().any(char::is_whitespace) {
        return Err(format!("advisory id {advisory:?} contains spaces"));
    }
    if d.priority.explanation.trim().is_empty() {
        return Err("the priority needs an explanation".into());
    }
    let title = match &d.title {
        Some(t) => required_text("--title", t)?,
        None => advisory.clone(),
    };
    let description = match &d.description {
        Some(t) => Some(required_text("--description", t)?),
        None => None,
    };
    if let Some(p) = d.published
        && p > now
    {
        return Err(format!("--published {p} is in the future (now is {now})"));
    }
    let detected = d.detected.unwrap_or(now);
    if detected > now {
        return Err(format!(
            "--detected {detected} is in the future (now is {now})"
        ));
    }
    if let Some(p) = d.published
        && p > detected
    {
        return Err(format!(
            "--published {p} is after --detected {detected}: a problem cannot be detected before its advisory is published (give the detection time, or leave --detected out to use now)"
        ));
    }
    let mut services: Vec<String> = Vec::new();
    for s in &d.services {
        let s = required_text("a --service name", s)?;
        if !services.contains(&s) {
            services.push(s);
        }
    }
    let mut out = vec![EventBody::Declared {
        advisory,
        title,
        description,
        priority: d.priority.level,
        explanation: d.priority.explanation.trim().to_owned(),
        priority_source: d.priority.source,
        services,
        published: d.published,
        detected,
        runbook: Box::new(runbook.clone()),
        aliases: {
            let mut seen = BTreeSet::from([id_key(&d.advisory)]);
            let mut out = Vec::new();
            for a in &d.aliases {
                let a = a.trim();
                if !a.is_empty() && seen.insert(id_key(a)) {
                    out.push(a.to_owned());
                }
            }
            out
        },
        scope: match &d.scope {
            Some(s) => Some(required_text("--scope", s)?),
            None => None,
        },
        duplicate: match &d.duplicate {
            Some(Duplicate::Of(id)) => Some(Duplicate::Of(required_text("--duplicate-of", id)?)),
            Some(Duplicate::Allowed(r)) => {
                Some(Duplicate::Allowed(required_text("--allow-duplicate", r)?))
            }
            None => None,
        },
    }];
    if let Some(c) = &d.commander {
        let c = required_text("--commander", c)?;
        let p = person_in(runbook, "the new incident", &c, "--commander")?;
        if !p.may_hold(Role::Commander) {
            return Err(format!(
                "{} may not be the incident commander (the roster gives them: {})",
                p.handle,
                roles_text(&p.roles)
            ));
        }
        out.push(EventBody::Assigned {
            role: Role::Commander,
            name: p.handle.clone(),
            previous: None,
        });
    }
    Ok(out)
}

fn roles_text(roles: &[Role]) -> String {
    if roles.is_empty() {
        "no role".to_owned()
    } else {
        roles.iter().map(|r| r.key()).collect::<Vec<_>>().join(", ")
    }
}

fn closed_refusal(inc: &Incident) -> String {
    format!(
        "{} is {}; reopen it first (cverun incident reopen {} --reason \"...\")",
        inc.id, inc.phase, inc.id
    )
}

fn phase_list(inc: &Incident) -> String {
    inc.phases()
        .iter()
        .map(|p| p.label())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `level`'s phases include `phase` (an end state always fits).
fn fits(inc: &Incident, level: Priority, phase: Phase) -> Result<(), String> {
    if phase.is_end() || inc.runbook.phases(level).contains(&phase) {
        return Ok(());
    }
    Err(format!(
        "{} is in {phase}, which {level} of its runbook does not have (its phases: {}); move it to one of those first",
        inc.id,
        inc.runbook
            .phases(level)
            .iter()
            .map(|p| p.label())
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// The events `action` by `actor` at `now` records on `inc`, or why it is refused.
pub fn act(
    inc: &Incident,
    action: &Action,
    actor: &str,
    now: Timestamp,
) -> Result<Vec<EventBody>, String> {
    let open_only = || {
        if inc.is_open() {
            Ok(())
        } else {
            Err(closed_refusal(inc))
        }
    };
    // Gate-changing actions need a person of the roster.
    let known = |what: &str| person_in(&inc.runbook, &inc.id, actor, what);
    match action {
        Action::Assign { role, name } => {
            open_only()?;
            known("assigning a role")?;
            let Some(role) = inc.runbook.resolve_role(role.key()) else {
                return Err(format!(
                    "unknown role {:?} (the runbook of {} knows: {})",
                    role.key(),
                    inc.id,
                    inc.runbook
                        .roles
                        .iter()
                        .map(|r| r.id.key())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            let name = required_text("the name", name)?;
            let person = person_in(&inc.runbook, &inc.id, &name, "the assignee")?;
            if !person.may_hold(role) {
                return Err(format!(
                    "{} may not hold the {} role (the roster gives them: {}); choose someone who may: {}",
                    person.handle,
                    inc.runbook.role_label(role),
                    roles_text(&person.roles),
                    holders(&inc.runbook, role)
                ));
            }
            let previous = inc.holder(role).map(|h| h.name.clone());
            if previous.as_deref().is_some_and(|p| person.answers_to(p)) {
                return Err(format!(
                    "{} already holds the {} role on {}",
                    person.handle,
                    inc.runbook.role_label(role),
                    inc.id
                ));
            }
            Ok(vec![EventBody::Assigned {
                role,
                name: person.handle.clone(),
                previous,
            }])
        }
        Action::Check { item } => check(inc, item, None),
        Action::CheckAhead { item, reason } => {
            check(inc, item, Some(required_text("--reason", reason)?))
        }
        Action::Uncheck { item, reason } => {
            open_only()?;
            let reason = required_text("--reason", reason)?;
            let item = item.trim();
            let Some(c) = inc.checked.get(item) else {
                return Err(format!(
                    "{item:?} is not checked on {} (checked: {})",
                    inc.id,
                    if inc.checked.is_empty() {
                        "none".to_owned()
                    } else {
                        inc.checked.keys().cloned().collect::<Vec<_>>().join(", ")
                    }
                ));
            };
            Ok(vec![EventBody::Unchecked {
                phase: c.phase,
                item: item.to_owned(),
                reason,
            }])
        }
        Action::Advance { to, force, reason } => {
            known("moving the incident to another phase")?;
            advance(inc, *to, *force, reason.as_deref())
        }
        Action::Cancel { reason } => {
            open_only()?;
            known("cancelling")?;
            Ok(vec![EventBody::Cancelled {
                from: inc.phase,
                reason: required_text("--reason", reason)?,
            }])
        }
        Action::Reopen { reason, to } => {
            if inc.is_open() {
                return Err(format!(
                    "{} is open ({}); only a resolved or cancelled incident can be reopened",
                    inc.id, inc.phase
                ));
            }
            known("reopening")?;
            let reason = required_text("--reason", reason)?;
            let first = inc.phases().first().copied().unwrap_or(Phase::Containment);
            let default = match inc.phase {
                Phase::Cancelled => inc
                    .transitions
                    .last()
                    .map(|t| t.from)
                    .filter(|p| inc.phases().contains(p))
                    .unwrap_or(first),
                _ => first,
            };
            let target = to.unwrap_or(default);
            if !inc.phases().contains(&target) {
                return Err(format!(
                    "cannot reopen {} into {target}; give one of its phases ({})",
                    inc.id,
                    phase_list(inc)
                ));
            }
            Ok(vec![EventBody::Reopened {
                from: inc.phase,
                to: target,
                reason,
            }])
        }
        Action::Decide {
            decision,
            rationale,
        } => {
            open_only()?;
            known("recording a decision")?;
            let rationale = required_text("--rationale", rationale)?;
            let previous = inc.decision().map(|d| d.decision);
            Ok(vec![EventBody::Decided {
                decision: *decision,
                rationale,
                previous,
            }])
        }
        Action::Approve { kind } => {
            open_only()?;
            let actor = required_text("the approver (--actor)", actor)?;
            let person = known("approving")?;
            let Some(def) = inc.runbook.approval.get(kind) else {
                return Err(format!(
                    "unknown approval {kind:?} (the runbook of {} knows: {})",
                    inc.id,
                    inc.runbook
                        .approval
                        .keys()
                        .map(|k| k.key())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            if let Some(a) = inc
                .approvals
                .iter()
                .find(|a| same_person(inc, &a.by, &person.handle))
            {
                return Err(format!(
                    "{actor} already approved {} (as {} at {}); an approver cannot approve twice",
                    inc.id, a.kind, a.at
                ));
            }
            let policy = inc.runbook.policy(inc.priority);
            if !policy.declarer_may_approve && same_person(inc, &inc.declared_by, &person.handle) {
                return Err(format!(
                    "{actor} declared {}; the declarer's own approval does not count for {} (another person must approve)",
                    inc.id, inc.priority
                ));
            }
            if !def.roles.iter().any(|r| person.may_hold(*r)) {
                return Err(format!(
                    "{} may not give the {kind} approval: it needs a person who may hold {} (the roster gives {}: {})",
                    person.handle,
                    def.roles
                        .iter()
                        .map(|r| r.key())
                        .collect::<Vec<_>>()
                        .join(" or "),
                    person.handle,
                    roles_text(&person.roles)
                ));
            }
            let gate = inc.gate();
            let (here, gate_at) = (inc.position(inc.phase), inc.position(gate));
            if let (Some(here), Some(g)) = (here, gate_at)
                && here + 1 < g
            {
                return Err(format!(
                    "{} is in {}; approvals to enter {gate} are accepted from {} on",
                    inc.id,
                    inc.phase,
                    inc.phases()[g - 1]
                ));
            }
            Ok(vec![EventBody::Approved { kind: *kind }])
        }
        Action::Update { message, eta } => {
            if inc.phase == Phase::Cancelled {
                return Err(closed_refusal(inc));
            }
            let message = required_text("the update", message)?;
            if let Some(e) = eta
                && *e < now
            {
                return Err(format!("--eta {e} is in the past (now is {now})"));
            }
            // After the resolution, the update is the resolution message: the
            // cadence ends with it.
            let next_due = inc
                .is_open()
                .then(|| inc.runbook.policy(inc.priority).update_every.after(now));
            Ok(vec![EventBody::Updated {
                message,
                eta: *eta,
                next_due,
            }])
        }
        Action::Note { text, section } => Ok(vec![EventBody::Note {
            text: required_text("the note", text)?,
            section: *section,
        }]),
        Action::Roster { people } => roster(inc, people, actor),
        Action::Impact { impact } => {
            open_only()?;
            let name = impact.trim();
            let Some(policy) = inc.runbook.impact.get(name) else {
                return Err(format!(
                    "unknown impact {name:?} (the runbook of {} knows: {})",
                    inc.id,
                    inc.runbook
                        .impact_names()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            if let Some(r) = inc.impacts.iter().find(|i| i.impact == name) {
                return Err(format!(
                    "impact {name:?} was already recorded on {} by {} at {}",
                    inc.id, r.by, r.at
                ));
            }
            let by = resolve_actor(inc, actor);
            let mut out = vec![EventBody::Impact {
                impact: name.to_owned(),
                label: policy.label.clone(),
            }];
            if !policy.escalate.is_empty() {
                out.push(EventBody::Escalated {
                    clock: format!("impact:{name}"),
                    to: policy.escalate.clone(),
                    reason: format!("{} (recorded by {by})", policy.label),
                });
            }
            if let Some(p) = policy.priority
                && p.more_urgent_than(inc.priority)
            {
                fits(inc, p, inc.phase)?;
                out.push(EventBody::Priority {
                    from: inc.priority,
                    to: p,
                    explanation: format!(
                        "raised from {} to {p}: {} (recorded by {by})",
                        inc.priority, policy.label
                    ),
                    source: PrioritySource::Impact,
                });
            }
            Ok(out)
        }
        Action::SetPriority { priority } => {
            open_only()?;
            known("changing the priority")?;
            if priority.level == inc.priority {
                return Err(format!("{} is already {}", inc.id, inc.priority));
            }
            fits(inc, priority.level, inc.phase)?;
            Ok(vec![EventBody::Priority {
                from: inc.priority,
                to: priority.level,
                explanation: required_text("the explanation", &priority.explanation)?,
                source: priority.source,
            }])
        }
        Action::Aware { at } => {
            if inc.phase == Phase::Cancelled {
                return Err(closed_refusal(inc));
            }
            if let Some(a) = inc.aware_at {
                return Err(format!(
                    "{} already records becoming aware at {a}; the regulatory clocks run from then",
                    inc.id
                ));
            }
            let at = at.unwrap_or(now);
            if at > now {
                return Err(format!("--at {at} is in the future (now is {now})"));
            }
            // Awareness may precede the declaration (teams often know before they
            // declare), not a detection time claimed at the declaration, nor the
            // advisory's publication.
            if inc.detected != inc.declared_at && at < inc.detected {
                return Err(format!(
                    "--at {at} is before the problem was detected ({}, as declared); becoming aware cannot come first",
                    inc.detected
                ));
            }
            if let Some(p) = inc.published
                && at < p
            {
                return Err(format!(
                    "--at {at} is before the advisory was published ({p}, as declared)"
                ));
            }
            Ok(vec![EventBody::Aware {
                became_aware_at: at,
            }])
        }
        Action::Notify { clock, note } => {
            if inc.phase == Phase::Cancelled {
                return Err(closed_refusal(inc));
            }
            let Some(c) = inc.runbook.regulatory_clock(clock.trim()) else {
                let known: Vec<&str> = inc
                    .runbook
                    .regulatory
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect();
                return Err(format!(
                    "unknown regulatory clock {clock:?} (the runbook of {} knows: {})",
                    inc.id,
                    known.join(", ")
                ));
            };
            if inc.aware_at.is_none() {
                return Err(format!(
                    "{} has no \"became aware\" time; record it first (cverun incident aware {})",
                    inc.id, inc.id
                ));
            }
            if let Some(at) = inc.notified.get(&c.id) {
                return Err(format!("{} was already recorded as notified at {at}", c.id));
            }
            let note = match note {
                Some(n) => Some(required_text("--note", n)?),
                None => None,
            };
            Ok(vec![EventBody::Notified {
                clock: c.id.clone(),
                label: c.label.clone(),
                note,
            }])
        }
        Action::Evidence {
            file,
            manifest_sha256,
            members,
            bytes,
        } => Ok(vec![EventBody::Evidence {
            file: file.clone(),
            manifest_sha256: manifest_sha256.clone(),
            members: *members,
            bytes: *bytes,
        }]),
        Action::FixPlanned(p) => {
            open_only()?;
            Ok(vec![EventBody::FixPlanned(remediation::planned(p)?)])
        }
        Action::FixApplied(a) => {
            open_only()?;
            Ok(vec![EventBody::FixApplied(remediation::applied(a)?)])
        }
        Action::FixTested(t) => {
            open_only()?;
            Ok(vec![EventBody::FixTested(remediation::tested(t)?)])
        }
        Action::Verify(r) => {
            open_only()?;
            verify(inc, r)
        }
        Action::AddActionItem { text, owner, due } => {
            if inc.phase == Phase::Cancelled {
                return Err(closed_refusal(inc));
            }
            let owner = required_text("--owner", owner)?;
            let owner = if inc.runbook.people.is_empty() {
                owner
            } else {
                person_in(&inc.runbook, &inc.id, &owner, "an action item's owner")?
                    .handle
                    .clone()
            };
            crate::postmortem::add_action(
                inc,
                required_text("the action item", text)?,
                owner,
                *due,
                now,
            )
        }
        Action::CompleteActionItem { action, note } => {
            let note = match note {
                Some(n) => Some(required_text("--note", n)?),
                None => None,
            };
            crate::postmortem::complete_action(inc, *action, note)
        }
    }
}

/// The reason a clean verification gives for checking an item of a later phase.
pub const VERIFIED_AHEAD: &str = "verified clean by cverun verify";

/// The checklist items of the incident's priority that `by` checks, with their
/// phases, in the runbook's order.
pub fn items_checked_by(inc: &Incident, by: CheckedBy) -> Vec<(Phase, &ChecklistItem)> {
    inc.phases()
        .iter()
        .flat_map(|p| {
            inc.runbook
                .items_for(inc.priority, *p)
                .iter()
                .map(move |i| (*p, i))
        })
        .filter(|(_, i)| i.by == Some(by))
        .collect()
}

/// Judges `r` against `inc` (its advisory and aliases, its affected services) and
/// returns what the incident's timeline must record: the `verified` event, then
/// for each `by = "verify"` item: `checked` (`by: verify`) when clean and still
/// open; `unchecked` when not clean and the item was checked by an earlier
/// verification, or by a person while the advisory is found in some service.
pub fn verify(inc: &Incident, r: &Rescan) -> Result<Vec<EventBody>, String> {
    let ids: Vec<String> = std::iter::once(inc.advisory.clone())
        .chain(inc.aliases.iter().cloned())
        .collect();
    let v: Verified = remediation::judge(&ids, &inc.services, r)?;
    let here = inc.position(inc.phase);
    let mut out = Vec::new();
    for (phase, item) in items_checked_by(inc, CheckedBy::Verify) {
        match (v.clean, inc.checked.get(&item.id)) {
            (true, None) => {
                let later = matches!((inc.position(phase), here), (Some(p), Some(h)) if p > h);
                out.push(EventBody::Checked {
                    phase,
                    item: item.id.clone(),
                    text: item.text.clone(),
                    ahead: later.then(|| VERIFIED_AHEAD.to_owned()),
                    by: Some(CheckedBy::Verify),
                    forced: None,
                });
            }
            (false, Some(c)) => {
                let by_verify = c.command == Some(CheckedBy::Verify);
                let found = v.found_in();
                if by_verify || !found.is_empty() {
                    let why = v.why_not_clean().unwrap_or_default();
                    out.push(EventBody::Unchecked {
                        phase,
                        item: item.id.clone(),
                        reason: format!(
                            "cverun verify is not clean ({why}; report sha256 {})",
                            v.report_sha256.chars().take(12).collect::<String>()
                        ),
                    });
                }
            }
            _ => {}
        }
    }
    out.insert(0, EventBody::Verified(v));
    Ok(out)
}

/// Whether two recorded names mean the same person (through the roster; the same
/// name in any case otherwise).
fn same_person(inc: &Incident, a: &str, b: &str) -> bool {
    match inc.runbook.person(a) {
        Some(p) => p.answers_to(b),
        None => fold_name(a) == fold_name(b),
    }
}

/// Who may hold `role`, for messages.
fn holders(runbook: &Runbook, role: Role) -> String {
    let who: Vec<&str> = runbook
        .people
        .iter()
        .filter(|p| p.may_hold(role))
        .map(|p| p.handle.as_str())
        .collect();
    if who.is_empty() {
        format!(
            "nobody in the roster may (add {} to someone's roles)",
            role.key()
        )
    } else {
        who.join(", ")
    }
}

fn check(inc: &Incident, item: &str, ahead: Option<String>) -> Result<Vec<EventBody>, String> {
    if !inc.is_open() {
        return Err(closed_refusal(inc));
    }
    let Some((phase, it)) = inc.runbook.item_for(inc.priority, item.trim()) else {
        return Err(format!(
            "{} has no checklist item {item:?}; items of {}: {}",
            inc.id,
            inc.phase,
            inc.runbook.item_ids_for(inc.priority, inc.phase).join(", ")
        ));
    };
    if let Some(c) = inc.checked.get(&it.id) {
        return Err(format!(
            "{}/{} of {} was already checked by {} at {}",
            phase.key(),
            it.id,
            inc.id,
            c.by,
            c.at
        ));
    }
    if let Some(by) = it.by
        && ahead.is_none()
    {
        return Err(format!(
            "{}/{} of {} is checked by `{}` (a clean verification records it); check it by hand only with --force --reason \"...\" (recorded as forced)",
            phase.key(),
            it.id,
            inc.id,
            by.command(&inc.id)
        ));
    }
    let later = match (inc.position(phase), inc.position(inc.phase)) {
        (Some(p), Some(here)) => p > here,
        _ => false,
    };
    if later && ahead.is_none() {
        return Err(format!(
            "{}/{} belongs to {phase}, and {} is in {}: check it once there, or now with --force --reason \"...\" (recorded)",
            phase.key(),
            it.id,
            inc.id,
            inc.phase
        ));
    }
    let forced = if it.by.is_some() { ahead.clone() } else { None };
    Ok(vec![EventBody::Checked {
        phase,
        item: it.id.clone(),
        text: it.text.clone(),
        ahead: if later { ahead } else { None },
        by: None,
        forced,
    }])
}

fn roster(inc: &Incident, people: &[Person], actor: &str) -> Result<Vec<EventBody>, String> {
    let who = if inc.runbook.people.is_empty() {
        // The first roster of an incident declared without one: the actor must be
        // in it.
        crate::roster::find(people, actor).ok_or_else(|| {
            format!(
                "{actor:?} is not in the new roster; the roster of {} is recorded by a person of it who may be the incident commander",
                inc.id
            )
        })?
    } else {
        person_in(&inc.runbook, &inc.id, actor, "recording a new roster")?
    };
    if !who.may_hold(Role::Commander) {
        return Err(format!(
            "{} may not be the incident commander, so cannot record the roster of {} (the roster gives them: {})",
            who.handle,
            inc.id,
            roles_text(&who.roles)
        ));
    }
    if people == inc.runbook.people.as_slice() {
        return Err(format!(
            "the roster of {} is already this one; nothing to record",
            inc.id
        ));
    }
    for p in people {
        for r in &p.roles {
            if inc.runbook.role(*r).is_none() {
                return Err(format!(
                    "{}: role {} is not in the runbook of {} (roles added to the runbook apply to new incidents)",
                    p.handle,
                    r.key(),
                    inc.id
                ));
            }
        }
    }
    Ok(vec![EventBody::Roster {
        people: people.to_vec(),
    }])
}

fn advance(
    inc: &Incident,
    to: Option<Phase>,
    force: bool,
    reason: Option<&str>,
) -> Result<Vec<EventBody>, String> {
    if !inc.is_open() {
        return Err(closed_refusal(inc));
    }
    let reason = match reason {
        Some(r) => Some(required_text("--reason", r)?),
        None => None,
    };
    let from = inc.phase;
    let target = match to {
        Some(t) => t,
        // An open phase always has a next one.
        None => inc.next_phase().unwrap_or(Phase::Resolved),
    };
    if target == Phase::Cancelled {
        return Err(format!(
            "use `cverun incident cancel {} --reason \"...\"` to cancel",
            inc.id
        ));
    }
    let (Some(f), Some(t)) = (inc.position(from), inc.position(target)) else {
        return Err(format!(
            "{} ({}) has no phase {target}; its phases: {}, then RESOLVED",
            inc.id,
            inc.priority,
            phase_list(inc)
        ));
    };
    if target == from {
        return Err(format!("{} is already in {from}", inc.id));
    }
    if t < f {
        let Some(reason) = reason else {
            return Err(format!(
                "going back from {from} to {target} needs --reason \"...\""
            ));
        };
        return Ok(vec![EventBody::Advanced {
            from,
            to: target,
            reason: Some(reason),
            forced: None,
        }]);
    }
    if force && reason.is_none() {
        return Err("--force needs --reason \"...\" (it is recorded)".into());
    }
    let left: Vec<Phase> = inc.phases()[f..t.min(inc.phases().len())].to_vec();
    let open: Vec<String> = left.iter().flat_map(|p| inc.open_required(*p)).collect();
    if !open.is_empty() && !force {
        return Err(format!(
            "cannot leave {} for {target}: required checklist items are open: {}; check them (cverun incident check {} ITEM) or force with a reason (--force --reason \"...\")",
            left.iter()
                .map(|p| p.label())
                .collect::<Vec<_>>()
                .join(", "),
            open.join(", "),
            inc.id
        ));
    }
    if let Some(g) = inc.position(inc.gate())
        && f < g
        && t >= g
    {
        approval_gate(inc)?;
    }
    let forced = if open.is_empty() {
        None
    } else {
        reason.clone().map(|r| Forced { reason: r, open })
    };
    Ok(vec![EventBody::Advanced {
        from,
        to: target,
        reason: if forced.is_some() { None } else { reason },
        forced,
    }])
}

/// What the gate requires now: the priority's approvals and those of the impacts
/// recorded (`requires`).
pub fn approvals_needed(inc: &Incident) -> Vec<ApprovalNeed> {
    let mut needs = inc.runbook.policy(inc.priority).approvals.clone();
    for i in &inc.impacts {
        if let Some(p) = inc.runbook.impact.get(&i.impact) {
            needs.extend(p.requires.iter().map(|k| ApprovalNeed::of(*k)));
        }
    }
    needs
}

/// Whether the approvals recorded satisfy what entering the gated phase requires:
/// each need met by a different person (not the declarer when the runbook says
/// so; people are told apart through the roster). `Err` says what is missing.
pub fn approval_gate(inc: &Incident) -> Result<(), String> {
    let policy = inc.runbook.policy(inc.priority);
    let needs = approvals_needed(inc);
    let canonical = |n: &str| resolve_actor(inc, n).to_lowercase();
    let declarer = canonical(&inc.declared_by);
    let people: Vec<(String, ApprovalKind)> = inc
        .approvals
        .iter()
        .filter(|a| policy.declarer_may_approve || canonical(&a.by) != declarer)
        .map(|a| (canonical(&a.by), a.kind))
        .collect();
    let eligible: Vec<(&str, ApprovalKind)> =
        people.iter().map(|(p, k)| (p.as_str(), *k)).collect();
    let (_, unmet) = match_approvals(&needs, &eligible);
    if unmet.is_empty() {
        return Ok(());
    }
    let have: Vec<String> = inc
        .approvals
        .iter()
        .map(|a| {
            let ignored = !policy.declarer_may_approve && canonical(&a.by) == declarer;
            format!(
                "{} by {}{}",
                a.kind,
                a.by,
                if ignored {
                    " (the declarer: does not count)"
                } else {
                    ""
                }
            )
        })
        .collect();
    let kinds: Vec<&str> = {
        let mut k: Vec<&str> = unmet
            .iter()
            .filter_map(|n| n.kind().map(|k| k.key()))
            .collect();
        if k.is_empty() {
            k = inc.runbook.approval.keys().map(|k| k.key()).collect();
        }
        k
    };
    Err(format!(
        "{} cannot enter {}: {} requires approvals {} from different people{}; recorded: {}; missing: {}. Record one with `cverun incident approve {} --as {}` (as the approving person, --actor NAME)",
        inc.id,
        inc.gate(),
        inc.priority,
        needs
            .iter()
            .map(|n| n.key())
            .collect::<Vec<_>>()
            .join(" + "),
        if policy.declarer_may_approve {
            String::new()
        } else {
            format!(", not the declarer ({})", inc.declared_by)
        },
        if have.is_empty() {
            "none".to_owned()
        } else {
            have.join(", ")
        },
        unmet
            .iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        inc.id,
        kinds.join("|")
    ))
}

/// A maximum matching of needs to approvals by distinct people (augmenting paths;
/// the sizes are tiny). Returns (need index -> approval index, unmet needs).
fn match_approvals(
    needs: &[ApprovalNeed],
    approvals: &[(&str, ApprovalKind)],
) -> (Vec<Option<usize>>, Vec<ApprovalNeed>) {
    // One candidate per person: the set of kinds they approved as.
    let mut people: Vec<(&str, Vec<ApprovalKind>)> = Vec::new();
    for (who, kind) in approvals {
        match people.iter_mut().find(|(p, _)| p == who) {
            Some((_, kinds)) => kinds.push(*kind),
            None => people.push((who, vec![*kind])),
        }
    }
    let fits = |n: usize, p: usize| people[p].1.iter().any(|k| needs[n].accepts(*k));
    let mut person_of_need: Vec<Option<usize>> = vec![None; needs.len()];
    let mut need_of_person: Vec<Option<usize>> = vec![None; people.len()];
    fn augment(
        n: usize,
        seen: &mut [bool],
        fits: &dyn Fn(usize, usize) -> bool,
        person_of_need: &mut [Option<usize>],
        need_of_person: &mut [Option<usize>],
    ) -> bool {
        for p in 0..need_of_person.len() {
            if seen[p] || !fits(n, p) {
                continue;
            }
            seen[p] = true;
            let free = match need_of_person[p] {
                None => true,
                Some(other) => augment(other, seen, fits, person_of_need, need_of_person),
            };
            if free {
                need_of_person[p] = Some(n);
                person_of_need[n] = Some(p);
                return true;
            }
        }
        false
    }
    for n in 0..needs.len() {
        let mut seen = vec![false; people.len()];
        augment(
            n,
            &mut seen,
            &fits,
            &mut person_of_need,
            &mut need_of_person,
        );
    }
    let unmet = needs
        .iter()
        .zip(&person_of_need)
        .filter(|(_, p)| p.is_none())
        .map(|(n, _)| *n)
        .collect();
    (person_of_need, unmet)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;
    use crate::model::Priority;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// An incident built through the rules, with its events hashed as the store does.
    struct Fixture {
        events: Vec<Event>,
    }

    impl Fixture {
        fn new(level: Priority) -> Fixture {
            let d = Declaration {
                advisory: "GHSA-xxxx-yyyy-zzzz".into(),
                priority: AssignedPriority::declared_by(level, "alice"),
                title: None,
                description: None,
                commander: Some("alice".into()),
                services: vec!["checkout".into(), "checkout".into(), "cart".into()],
                published: None,
                detected: None,
                aliases: Vec::new(),
                scope: None,
                duplicate: None,
            };
            let bodies = declare(
                &d,
                &crate::runbook::test_runbook(),
                t("2026-11-23T12:00:00Z"),
            )
            .unwrap();
            let mut f = Fixture { events: Vec::new() };
            f.push("alice", "2026-11-23T12:00:00Z", bodies);
            f
        }

        fn push(&mut self, actor: &str, at: &str, bodies: Vec<EventBody>) {
            for b in bodies {
                let prev = self
                    .events
                    .last()
                    .map(|e| e.hash.clone())
                    .unwrap_or_else(|| crate::chain::GENESIS.into());
                let seq = self.events.len() as u64 + 1;
                self.events
                    .push(Event::new("INC-2026-11-23-1", seq, t(at), actor, &b, &prev));
            }
        }

        fn state(&self) -> Incident {
            Incident::from_events(&self.events).unwrap()
        }

        fn act(&mut self, actor: &str, at: &str, a: Action) -> Result<(), String> {
            let bodies = act(&self.state(), &a, actor, t(at))?;
            self.push(actor, at, bodies);
            Ok(())
        }

        fn check_all(&mut self, phase: Phase) {
            let ids: Vec<String> = self
                .state()
                .runbook
                .items(phase)
                .iter()
                .map(|i| i.id.clone())
                .collect();
            for id in ids {
                let by = self.state().runbook.item(&id).and_then(|(_, i)| i.by);
                let a = match by {
                    // Checked by a clean verification, as the runbook says.
                    Some(CheckedBy::Verify) => {
                        Action::Verify(rescan(&[("checkout", Some(&[])), ("cart", Some(&[]))]))
                    }
                    None => Action::Check { item: id },
                };
                self.act("bob", "2026-11-23T12:10:00Z", a).unwrap();
            }
        }

        fn last(&self) -> &Event {
            self.events.last().unwrap()
        }
    }

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    /// A re-scan of `services`: `Some(ids)` scanned with those ids still found,
    /// `None` not scanned.
    fn rescan(services: &[(&str, Option<&[&str]>)]) -> Rescan {
        use crate::remediation::{Baseline, RescanOutcome, ServiceRescan};
        Rescan {
            report_sha256: SHA.into(),
            baseline: Baseline::File {
                name: "baseline.json".into(),
                sha256: SHA.into(),
            },
            fixed: 2,
            remaining: 0,
            introduced: 0,
            services: services
                .iter()
                .map(|(s, ids)| ServiceRescan {
                    service: (*s).into(),
                    outcome: match ids {
                        Some(ids) => RescanOutcome::Scanned {
                            ids: ids.iter().map(|i| i.to_string()).collect(),
                        },
                        None => RescanOutcome::NotScanned {
                            reason: "no lockfile".into(),
                        },
                    },
                })
                .collect(),
        }
    }

    fn adv() -> Action {
        Action::Advance {
            to: None,
            force: false,
            reason: None,
        }
    }

    #[test]
    fn declaring_records_priority_services_and_commander() {
        let f = Fixture::new(Priority::P1);
        let s = f.state();
        assert_eq!(s.phase, Phase::Containment);
        assert_eq!(s.priority, Priority::P1);
        assert_eq!(s.priority_history[0].explanation, "declared by alice");
        assert_eq!(s.services, vec!["checkout", "cart"]);
        assert_eq!(s.holder(Role::Commander).unwrap().name, "alice");
        assert_eq!(s.title, "GHSA-xxxx-yyyy-zzzz");
        let bad = Declaration {
            advisory: " ".into(),
            ..declaration()
        };
        assert!(
            declare(
                &bad,
                &crate::runbook::test_runbook(),
                t("2026-11-23T12:00:00Z")
            )
            .is_err()
        );
        let future = Declaration {
            published: Some(t("2027-01-01T00:00:00Z")),
            ..declaration()
        };
        assert!(
            declare(
                &future,
                &crate::runbook::test_runbook(),
                t("2026-11-23T12:00:00Z")
            )
            .unwrap_err()
            .contains("future")
        );
    }

    #[test]
    fn one_open_incident_per_vulnerability_and_scope() {
        let open = |id: &str, ids: &[&str], scope: Option<&str>| OpenIncident {
            id: id.into(),
            title: "t".into(),
            phase: "containment".into(),
            ids: ids.iter().map(|s| s.to_string()).collect(),
            scope: scope.map(str::to_owned),
        };
        let d = Declaration {
            advisory: "GHSA-jfh8-c2jp-5v3q".into(),
            aliases: vec!["CVE-2021-44228".into()],
            ..declaration()
        };
        // Another vulnerability, or the same in another scope: allowed.
        assert!(duplicates(&d, &[open("INC-1", &["CVE-2026-1"], None)]).is_ok());
        assert!(duplicates(&d, &[open("INC-1", &["cve-2021-44228"], Some("eu"))]).is_ok());
        // A shared alias, in any case: refused, naming the open incident.
        let both = [
            open("INC-1", &["CVE-2026-1"], None),
            open("INC-2", &["cve-2021-44228", "EXAMPLE-4"], None),
        ];
        let e = duplicates(&d, &both).unwrap_err();
        assert!(
            e.contains("open incident: INC-2") && e.contains("--duplicate-of INC-2"),
            "{e}"
        );
        // Named as its duplicate: allowed; naming another: refused.
        let of = |id: &str| Declaration {
            duplicate: Some(Duplicate::Of(id.into())),
            ..d.clone()
        };
        assert!(duplicates(&of("inc-2"), &both).is_ok());
        let e = duplicates(&of("INC-1"), &both).unwrap_err();
        assert!(e.contains("(open: INC-2)"), "{e}");
        assert!(
            duplicates(&of("INC-2"), &[])
                .unwrap_err()
                .contains("open: none")
        );
        let anyway = Declaration {
            duplicate: Some(Duplicate::Allowed("worked apart".into())),
            ..d.clone()
        };
        assert!(duplicates(&anyway, &both).is_ok());
        // Scopes compare trimmed; an empty scope is no scope.
        let scoped = Declaration {
            scope: Some(" eu ".into()),
            ..d.clone()
        };
        assert!(duplicates(&scoped, &[open("INC-3", &["CVE-2021-44228"], Some("eu"))]).is_err());
        let blank = Declaration {
            scope: Some(" ".into()),
            ..d
        };
        assert!(duplicates(&blank, &both).is_err());
    }

    fn declaration() -> Declaration {
        Declaration {
            advisory: "CVE-2026-1".into(),
            priority: AssignedPriority::declared_by(Priority::P2, "x"),
            title: None,
            description: None,
            commander: None,
            services: vec![],
            published: None,
            detected: None,
            aliases: Vec::new(),
            scope: None,
            duplicate: None,
        }
    }

    #[test]
    fn a_phase_is_not_left_with_required_items_open_unless_forced() {
        let mut f = Fixture::new(Priority::P2);
        let e = f.act("bob", "2026-11-23T12:05:00Z", adv()).unwrap_err();
        assert!(e.contains("containment/blast-radius"), "{e}");
        assert!(e.contains("--force"), "{e}");
        let e = f
            .act(
                "bob",
                "2026-11-23T12:05:00Z",
                Action::Advance {
                    to: None,
                    force: true,
                    reason: None,
                },
            )
            .unwrap_err();
        assert!(e.contains("--reason"), "{e}");
        f.act(
            "bob",
            "2026-11-23T12:06:00Z",
            Action::Check {
                item: "blast-radius".into(),
            },
        )
        .unwrap();
        let e = f
            .act(
                "bob",
                "2026-11-23T12:06:00Z",
                Action::Check {
                    item: "blast-radius".into(),
                },
            )
            .unwrap_err();
        assert!(e.contains("already checked by bob"), "{e}");
        let e = f
            .act(
                "bob",
                "2026-11-23T12:06:00Z",
                Action::Check {
                    item: "nope".into(),
                },
            )
            .unwrap_err();
        assert!(e.contains("code-path"), "{e}");
        f.act(
            "bob",
            "2026-11-23T12:07:00Z",
            Action::Advance {
                to: None,
                force: true,
                reason: Some("exploit in the wild".into()),
            },
        )
        .unwrap();
        let s = f.state();
        assert_eq!(s.phase, Phase::Remediation);
        let last = s.transitions.last().unwrap();
        assert_eq!(last.reason.as_deref(), Some("exploit in the wild"));
        assert_eq!(
            last.forced_open,
            vec![
                "containment/code-path",
                "containment/isolation",
                "containment/code-freeze"
            ]
        );
        assert_eq!(s.completed[&Phase::Containment], t("2026-11-23T12:07:00Z"));
    }

    #[test]
    fn the_deployment_gate_needs_distinct_qualifying_approvers() {
        let mut f = Fixture::new(Priority::P0);
        f.check_all(Phase::Containment);
        f.act("bob", "2026-11-23T12:20:00Z", adv()).unwrap();
        // No approvals before the phase preceding the gate.
        let e = f
            .act(
                "carol",
                "2026-11-23T12:20:30Z",
                Action::Approve {
                    kind: ApprovalKind::Technical,
                },
            )
            .unwrap_err();
        assert!(e.contains("accepted from VALIDATION on"), "{e}");
        f.check_all(Phase::Remediation);
        f.act("bob", "2026-11-23T12:21:00Z", adv()).unwrap();
        f.check_all(Phase::Validation);
        assert_eq!(f.state().phase, Phase::Validation);
        let e = f.act("bob", "2026-11-23T12:22:00Z", adv()).unwrap_err();
        assert!(e.contains("missing: technical, security"), "{e}");
        // The declarer's own approval is refused for P0, under any of her names.
        for alice in ["alice", "ALICE", " Alice@Example.com "] {
            let e = f
                .act(
                    alice,
                    "2026-11-23T12:23:00Z",
                    Action::Approve {
                        kind: ApprovalKind::Security,
                    },
                )
                .unwrap_err();
            assert!(e.contains("declarer"), "{alice}: {e}");
        }
        // Without the role: refused; outside the roster: refused.
        let e = f
            .act(
                "bob",
                "2026-11-23T12:23:30Z",
                Action::Approve {
                    kind: ApprovalKind::Security,
                },
            )
            .unwrap_err();
        assert!(e.contains("may not give the security approval"), "{e}");
        let e = f
            .act(
                "mallory",
                "2026-11-23T12:23:40Z",
                Action::Approve {
                    kind: ApprovalKind::Security,
                },
            )
            .unwrap_err();
        assert!(e.contains("\"mallory\" is not in the roster"), "{e}");
        f.act(
            "carol",
            "2026-11-23T12:24:00Z",
            Action::Approve {
                kind: ApprovalKind::Technical,
            },
        )
        .unwrap();
        // Twice by the same person: refused, whatever the capacity or spelling.
        let e = f
            .act(
                "@CAROL",
                "2026-11-23T12:25:00Z",
                Action::Approve {
                    kind: ApprovalKind::Security,
                },
            )
            .unwrap_err();
        assert!(e.contains("cannot approve twice"), "{e}");
        // Forcing does not bypass approvals.
        let e = f
            .act(
                "bob",
                "2026-11-23T12:26:00Z",
                Action::Advance {
                    to: None,
                    force: true,
                    reason: Some("hurry".into()),
                },
            )
            .unwrap_err();
        assert!(e.contains("missing: security"), "{e}");
        f.act(
            "dave",
            "2026-11-23T12:27:00Z",
            Action::Approve {
                kind: ApprovalKind::Security,
            },
        )
        .unwrap();
        f.act("bob", "2026-11-23T12:28:00Z", adv()).unwrap();
        assert_eq!(f.state().phase, Phase::Deployment);
    }

    #[test]
    fn matching_uses_each_person_once() {
        use ApprovalNeed as N;
        let (tech, sec) = (ApprovalKind::Technical, ApprovalKind::Security);
        let (_, unmet) = match_approvals(&[N::Technical, N::Security], &[("a", tech), ("a", sec)]);
        assert_eq!(unmet.len(), 1);
        let (_, unmet) = match_approvals(&[N::Any, N::Technical], &[("a", tech), ("b", sec)]);
        assert!(unmet.is_empty(), "b fills any, a fills technical");
        let (_, unmet) = match_approvals(&[N::Technical, N::Any], &[("a", tech)]);
        assert_eq!(unmet, vec![N::Any]);
        let (_, unmet) = match_approvals(&[], &[]);
        assert!(unmet.is_empty());
    }

    #[test]
    fn p1_and_p2_gates_follow_the_runbook() {
        let mut f = Fixture::new(Priority::P1);
        let to_deployment = Action::Advance {
            to: Some(Phase::Deployment),
            force: true,
            reason: Some("drill".into()),
        };
        f.act("bob", "2026-11-23T12:30:00Z", to_deployment.clone())
            .unwrap_err();
        // Approvals are refused during CONTAINMENT.
        let approve = Action::Approve {
            kind: ApprovalKind::Security,
        };
        let e = f
            .act("alice", "2026-11-23T12:30:30Z", approve.clone())
            .unwrap_err();
        assert!(e.contains("is in CONTAINMENT"), "{e}");
        f.act(
            "bob",
            "2026-11-23T12:30:40Z",
            Action::Advance {
                to: Some(Phase::Validation),
                force: true,
                reason: Some("drill".into()),
            },
        )
        .unwrap();
        // P1: the declarer may approve, one approval of either kind.
        f.act("alice", "2026-11-23T12:31:00Z", approve).unwrap();
        f.act("bob", "2026-11-23T12:32:00Z", to_deployment).unwrap();
        let s = f.state();
        assert_eq!(s.phase, Phase::Deployment);
        assert_eq!(s.completed.len(), 3);
        assert_eq!(s.transitions[0].forced_open.len(), 7);
        assert_eq!(s.transitions[1].forced_open.len(), 5);
        // P2 needs none.
        let mut g = Fixture::new(Priority::P2);
        g.act(
            "bob",
            "2026-11-23T12:32:00Z",
            Action::Advance {
                to: Some(Phase::PostMortem),
                force: true,
                reason: Some("patched upstream".into()),
            },
        )
        .unwrap();
        assert_eq!(g.state().phase, Phase::PostMortem);
    }

    #[test]
    fn going_back_cancelling_and_reopening() {
        let mut f = Fixture::new(Priority::P2);
        f.check_all(Phase::Containment);
        f.act("bob", "2026-11-23T13:00:00Z", adv()).unwrap();
        let e = f
            .act(
                "bob",
                "2026-11-23T13:01:00Z",
                Action::Advance {
                    to: Some(Phase::Containment),
                    force: false,
                    reason: None,
                },
            )
            .unwrap_err();
        assert!(e.contains("--reason"), "{e}");
        f.act(
            "bob",
            "2026-11-23T13:02:00Z",
            Action::Advance {
                to: Some(Phase::Containment),
                force: false,
                reason: Some("more services affected".into()),
            },
        )
        .unwrap();
        assert_eq!(f.state().phase, Phase::Containment);
        let e = f.act(
            "bob",
            "2026-11-23T13:03:00Z",
            Action::Reopen {
                reason: "x".into(),
                to: None,
            },
        );
        assert!(e.unwrap_err().contains("only a resolved or cancelled"));
        f.act(
            "bob",
            "2026-11-23T13:04:00Z",
            Action::Cancel {
                reason: "duplicate".into(),
            },
        )
        .unwrap();
        let s = f.state();
        assert_eq!(s.phase, Phase::Cancelled);
        for a in [
            adv(),
            Action::Check {
                item: "fix-identified".into(),
            },
            Action::Cancel {
                reason: "again".into(),
            },
            Action::Approve {
                kind: ApprovalKind::Security,
            },
        ] {
            let e = f.act("bob", "2026-11-23T13:05:00Z", a).unwrap_err();
            assert!(e.contains("is CANCELLED; reopen it first"), "{e}");
        }
        f.act(
            "bob",
            "2026-11-23T13:06:00Z",
            Action::Reopen {
                reason: "not a duplicate".into(),
                to: None,
            },
        )
        .unwrap();
        let s = f.state();
        assert_eq!(s.phase, Phase::Containment, "back where it was cancelled");
        assert!(
            s.checked.is_empty(),
            "checks of the phases worked again are cleared"
        );
    }

    #[test]
    fn impacts_escalate_and_raise_priority() {
        let mut f = Fixture::new(Priority::P2);
        f.act(
            "bob",
            "2026-11-23T12:40:00Z",
            Action::Impact {
                impact: "customer-data".into(),
            },
        )
        .unwrap();
        let s = f.state();
        assert_eq!(s.escalations[0].to, vec!["executive", "legal"]);
        assert!(s.fired.contains_key("impact:customer-data"));
        let e = f
            .act(
                "bob",
                "2026-11-23T12:41:00Z",
                Action::Impact {
                    impact: "customer-data".into(),
                },
            )
            .unwrap_err();
        assert!(e.contains("already recorded"), "{e}");
        let e = f
            .act(
                "bob",
                "2026-11-23T12:41:00Z",
                Action::Impact {
                    impact: "aliens".into(),
                },
            )
            .unwrap_err();
        assert!(e.contains("active-exploitation"), "{e}");
        f.act(
            "bob",
            "2026-11-23T12:42:00Z",
            Action::Impact {
                impact: "active-exploitation".into(),
            },
        )
        .unwrap();
        let s = f.state();
        assert_eq!(s.priority, Priority::P0);
        let last = s.priority_history.last().unwrap();
        assert_eq!(last.source, PrioritySource::Impact);
        assert!(
            last.explanation.contains("Active exploitation"),
            "{}",
            last.explanation
        );
    }

    #[test]
    fn regulatory_records() {
        let mut f = Fixture::new(Priority::P1);
        let e = f
            .act(
                "bob",
                "2026-11-23T12:00:00Z",
                Action::Notify {
                    clock: "gdpr".into(),
                    note: None,
                },
            )
            .unwrap_err();
        assert!(e.contains("aware"), "{e}");
        let e = f
            .act(
                "bob",
                "2026-11-23T12:00:00Z",
                Action::Aware {
                    at: Some(t("2026-11-24T00:00:00Z")),
                },
            )
            .unwrap_err();
        assert!(e.contains("future"), "{e}");
        f.act(
            "bob",
            "2026-11-23T12:50:00Z",
            Action::Aware {
                at: Some(t("2026-11-23T11:00:00Z")),
            },
        )
        .unwrap();
        assert!(
            f.act("bob", "2026-11-23T12:51:00Z", Action::Aware { at: None })
                .is_err()
        );
        f.act(
            "bob",
            "2026-11-23T12:52:00Z",
            Action::Notify {
                clock: "gdpr".into(),
                note: Some("ref 42".into()),
            },
        )
        .unwrap();
        let e = f
            .act(
                "bob",
                "2026-11-23T12:53:00Z",
                Action::Notify {
                    clock: "hipaa".into(),
                    note: None,
                },
            )
            .unwrap_err();
        assert!(e.contains("nis2-early-warning"), "{e}");
        let s = f.state();
        assert_eq!(s.aware_at, Some(t("2026-11-23T11:00:00Z")));
        assert!(s.notified.contains_key("gdpr"));
    }

    #[test]
    fn roles_keep_their_history() {
        let mut f = Fixture::new(Priority::P1);
        f.act(
            "bob",
            "2026-11-23T12:10:00Z",
            Action::Assign {
                role: Role::Commander,
                name: "bob".into(),
            },
        )
        .unwrap();
        let e = f
            .act(
                "bob",
                "2026-11-23T12:11:00Z",
                Action::Assign {
                    role: Role::Commander,
                    name: "bob".into(),
                },
            )
            .unwrap_err();
        assert!(e.contains("already holds"), "{e}");
        let s = f.state();
        let h = &s.roles[&Role::Commander];
        assert_eq!(
            h.iter().map(|h| h.name.as_str()).collect::<Vec<_>>(),
            vec!["alice", "bob"]
        );
        assert_eq!(s.holder(Role::Commander).unwrap().by, "bob");
    }

    #[test]
    fn an_item_checked_by_verify_is_refused_by_hand_unless_forced() {
        let mut f = Fixture::new(Priority::P0);
        let check = Action::Check {
            item: "rescan-clean".into(),
        };
        let e = f
            .act("bob", "2026-11-23T12:01:00Z", check.clone())
            .unwrap_err();
        assert!(
            e.contains("checked by `cverun verify --incident INC-2026-11-23-1`")
                && e.contains("--force --reason"),
            "{e}"
        );
        // In its own phase too.
        f.act(
            "bob",
            "2026-11-23T12:02:00Z",
            Action::Advance {
                to: Some(Phase::Validation),
                force: true,
                reason: Some("drill".into()),
            },
        )
        .unwrap();
        let e = f.act("bob", "2026-11-23T12:03:00Z", check).unwrap_err();
        assert!(e.contains("cverun verify --incident"), "{e}");
        f.act(
            "bob",
            "2026-11-23T12:04:00Z",
            Action::CheckAhead {
                item: "rescan-clean".into(),
                reason: "scanned by hand with the vendor tool".into(),
            },
        )
        .unwrap();
        let body = f.last().body().unwrap();
        assert_eq!(
            body,
            EventBody::Checked {
                phase: Phase::Validation,
                item: "rescan-clean".into(),
                text: "Re-scan clean".into(),
                ahead: None,
                by: None,
                forced: Some("scanned by hand with the vendor tool".into()),
            }
        );
        let c = &f.state().checked["rescan-clean"];
        assert_eq!(
            c.forced.as_deref(),
            Some("scanned by hand with the vendor tool")
        );
        assert_eq!((c.command, c.evidence), (None, None));
        // Other items are not affected by the attribute.
        f.act(
            "bob",
            "2026-11-23T12:05:00Z",
            Action::Check {
                item: "tests-pass".into(),
            },
        )
        .unwrap();
        assert_eq!(
            f.last().body().unwrap(),
            EventBody::Checked {
                phase: Phase::Validation,
                item: "tests-pass".into(),
                text: "Tests pass".into(),
                ahead: None,
                by: None,
                forced: None,
            }
        );
        // A hand check stays when a verification only misses a service; a
        // verification that finds the advisory unchecks it.
        f.act(
            "bob",
            "2026-11-23T12:06:00Z",
            Action::Verify(rescan(&[("checkout", Some(&[]))])),
        )
        .unwrap();
        assert!(f.state().checked.contains_key("rescan-clean"));
        f.act(
            "bob",
            "2026-11-23T12:07:00Z",
            Action::Verify(rescan(&[
                ("checkout", Some(&["ghsa-xxxx-yyyy-zzzz"])),
                ("cart", Some(&[])),
            ])),
        )
        .unwrap();
        let s = f.state();
        assert!(!s.checked.contains_key("rescan-clean"));
        let un = s.unchecked.last().unwrap();
        assert_eq!(un.item, "rescan-clean");
        assert!(
            un.reason.contains("still found in checkout"),
            "{}",
            un.reason
        );
    }

    #[test]
    fn a_clean_verification_checks_the_item_and_a_regression_unchecks_it() {
        let mut f = Fixture::new(Priority::P0);
        // Not clean: cart is not covered. Recorded, the item stays open.
        f.act(
            "ci",
            "2026-11-23T12:10:00Z",
            Action::Verify(rescan(&[("checkout", Some(&["CVE-2020-9488"]))])),
        )
        .unwrap();
        let s = f.state();
        assert_eq!(s.events, 3, "declared, assigned, verified");
        assert_eq!(s.remediation.verified.len(), 1);
        let v = &s.remediation.verified[0];
        assert!(!v.step.clean);
        assert_eq!((v.seq, v.by.as_str()), (3, "ci"));
        assert_eq!(v.step.not_checked(), ["cart"]);
        assert!(!s.checked.contains_key("rescan-clean"));

        // Clean during CONTAINMENT: the VALIDATION item is checked ahead, with
        // the verification as its evidence.
        f.act(
            "ci",
            "2026-11-23T12:20:00Z",
            Action::Verify(rescan(&[
                ("checkout", Some(&["CVE-2020-9488"])),
                ("cart", Some(&[])),
                ("search", None),
            ])),
        )
        .unwrap();
        let kinds: Vec<&str> = f.events[3..].iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["verified", "checked"]);
        assert_eq!(
            f.last().body().unwrap(),
            EventBody::Checked {
                phase: Phase::Validation,
                item: "rescan-clean".into(),
                text: "Re-scan clean".into(),
                ahead: Some(VERIFIED_AHEAD.into()),
                by: Some(CheckedBy::Verify),
                forced: None,
            }
        );
        let s = f.state();
        let c = &s.checked["rescan-clean"];
        assert_eq!(c.command, Some(CheckedBy::Verify));
        assert_eq!(c.evidence, Some(4), "the verified event");
        assert_eq!(c.by, "ci");
        // Clean again: recorded, nothing to check.
        f.act(
            "ci",
            "2026-11-23T12:25:00Z",
            Action::Verify(rescan(&[("checkout", Some(&[])), ("cart", Some(&[]))])),
        )
        .unwrap();
        assert_eq!(f.last().kind, "verified");
        assert_eq!(f.state().checked["rescan-clean"].evidence, Some(4));
        // A regression: found again in cart (the advisory id, in another case).
        f.act(
            "ci",
            "2026-11-23T12:30:00Z",
            Action::Verify(rescan(&[
                ("checkout", Some(&[])),
                ("cart", Some(&["GHSA-XXXX-YYYY-ZZZZ"])),
            ])),
        )
        .unwrap();
        let s = f.state();
        assert_eq!(f.last().kind, "unchecked");
        assert!(!s.checked.contains_key("rescan-clean"));
        let un = s.unchecked.last().unwrap();
        assert!(
            un.reason
                .starts_with("cverun verify is not clean (still found in cart;"),
            "{}",
            un.reason
        );
        // Not clean because a service was not scanned: an item checked by a
        // verification is unchecked too (the evidence no longer holds).
        f.act(
            "ci",
            "2026-11-23T12:35:00Z",
            Action::Verify(rescan(&[("checkout", Some(&[])), ("cart", Some(&[]))])),
        )
        .unwrap();
        assert!(f.state().checked.contains_key("rescan-clean"));
        f.act(
            "ci",
            "2026-11-23T12:40:00Z",
            Action::Verify(rescan(&[("checkout", Some(&[])), ("cart", None)])),
        )
        .unwrap();
        assert!(!f.state().checked.contains_key("rescan-clean"));

        // In its phase: checked without `ahead`, and the phase can be left.
        f.act(
            "bob",
            "2026-11-23T12:45:00Z",
            Action::Advance {
                to: Some(Phase::Validation),
                force: true,
                reason: Some("drill".into()),
            },
        )
        .unwrap();
        f.act(
            "ci",
            "2026-11-23T12:50:00Z",
            Action::Verify(rescan(&[("checkout", Some(&[])), ("cart", Some(&[]))])),
        )
        .unwrap();
        match f.last().body().unwrap() {
            EventBody::Checked { ahead, by, .. } => {
                assert_eq!((ahead, by), (None, Some(CheckedBy::Verify)))
            }
            other => panic!("{other:?}"),
        }
        assert!(
            !f.state()
                .open_required(Phase::Validation)
                .contains(&"validation/rescan-clean".to_owned())
        );

        // Refused on a closed incident, and with a malformed report.
        let e = f
            .act(
                "ci",
                "2026-11-23T12:55:00Z",
                Action::Verify(Rescan {
                    report_sha256: "nope".into(),
                    ..rescan(&[])
                }),
            )
            .unwrap_err();
        assert!(e.contains("not a hash"), "{e}");
        f.act(
            "bob",
            "2026-11-23T12:56:00Z",
            Action::Cancel {
                reason: "drill over".into(),
            },
        )
        .unwrap();
        let e = f
            .act("ci", "2026-11-23T12:57:00Z", Action::Verify(rescan(&[])))
            .unwrap_err();
        assert!(e.contains("reopen it first"), "{e}");
    }

    #[test]
    fn an_incident_without_services_is_never_verified_clean() {
        let d = Declaration {
            services: vec![],
            ..declaration()
        };
        let bodies = declare(
            &d,
            &crate::runbook::test_runbook(),
            t("2026-11-23T12:00:00Z"),
        )
        .unwrap();
        let mut f = Fixture { events: Vec::new() };
        f.push("alice", "2026-11-23T12:00:00Z", bodies);
        f.act(
            "ci",
            "2026-11-23T12:10:00Z",
            Action::Verify(rescan(&[("checkout", Some(&[]))])),
        )
        .unwrap();
        let s = f.state();
        assert!(!s.remediation.verified[0].step.clean);
        assert!(s.checked.is_empty());
    }

    #[test]
    fn fix_steps_are_recorded_with_their_proposal() {
        use crate::remediation::{BaseRef, FixCommit};
        let mut f = Fixture::new(Priority::P1);
        let plan = FixPlanned {
            plan_sha256: SHA.to_uppercase(),
            changes: 3,
            breaking: 0,
            incomplete: 1,
            unfixable: 0,
            services: vec!["checkout".into(), "cart".into()],
            proposed: None,
            summary: "log4j-core 2.14.1 -> 2.17.1".into(),
        };
        f.act(
            "carol",
            "2026-11-23T12:10:00Z",
            Action::FixPlanned(plan.clone()),
        )
        .unwrap();
        let EventBody::FixPlanned(recorded) = f.last().body().unwrap() else {
            panic!("{:?}", f.last());
        };
        assert_eq!(recorded.proposed, Some(Decision::HotfixCodeChanges));
        assert_eq!(recorded.plan_sha256, SHA);
        assert_eq!(f.last().kind, "fix-planned");
        let applied = FixApplied {
            repository: "../shop".into(),
            branch: "hotfix/INC-2026-11-23-1".into(),
            base: BaseRef {
                reference: "main".into(),
                commit: "a".repeat(40),
            },
            commits: vec![
                FixCommit {
                    service: "checkout".into(),
                    commit: "b".repeat(40),
                },
                FixCommit {
                    service: "cart".into(),
                    commit: "c".repeat(40),
                },
            ],
            pushed: Some("origin".into()),
            changes: 2,
        };
        f.act(
            "carol",
            "2026-11-23T12:20:00Z",
            Action::FixApplied(applied.clone()),
        )
        .unwrap();
        let tested = FixTested {
            service: "checkout".into(),
            command: "mvn -q test".into(),
            exit_status: Some(0),
            duration_ms: 61_250,
            passed: true,
            kept: true,
        };
        f.act(
            "carol",
            "2026-11-23T12:30:00Z",
            Action::FixTested(tested.clone()),
        )
        .unwrap();
        let s = f.state();
        let r = &s.remediation;
        assert_eq!(r.planned[0].step, recorded);
        assert_eq!((r.planned[0].seq, r.planned[0].by.as_str()), (3, "carol"));
        assert_eq!(r.applied[0].step, applied);
        assert_eq!(r.applied[0].seq, 4);
        assert_eq!(r.tested[0].step, tested);
        assert_eq!(r.tested[0].at, t("2026-11-23T12:30:00Z"));
        // The caller's proposal must agree with the counts.
        let e = f
            .act(
                "carol",
                "2026-11-23T12:31:00Z",
                Action::FixPlanned(FixPlanned {
                    proposed: Some(Decision::Hotfix),
                    ..plan
                }),
            )
            .unwrap_err();
        assert!(e.contains("call for hotfix-code-changes"), "{e}");
        let e = f
            .act(
                "carol",
                "2026-11-23T12:32:00Z",
                Action::FixTested(FixTested {
                    exit_status: None,
                    ..tested
                }),
            )
            .unwrap_err();
        assert!(e.contains("exit status none"), "{e}");
        assert_eq!(f.state().events, 5, "refusals record nothing");
    }
}
