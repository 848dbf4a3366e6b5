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
//! - A resolved or cancelled incident accepts only `reopen`, evidence, and the
//!   regulatory records (`aware`, `notify`), whose obligations outlive it.

use jiff::Timestamp;

use crate::event::{EventBody, Forced};
use crate::model::{
    ApprovalKind, ApprovalNeed, AssignedPriority, Decision, Phase, PrioritySource, Role,
};
use crate::runbook::Runbook;
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
    /// Check a checklist item (by id).
    Check {
        /// The item id.
        item: String,
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
    /// Post a status update.
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
}

fn required_text(what: &str, value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        Err(format!("{what} must not be empty"))
    } else {
        Ok(v.to_owned())
    }
}

/// The events declaring an incident (the `declared` event, and the commander's
/// assignment when given).
pub fn declare(
    d: &Declaration,
    runbook: &Runbook,
    now: Timestamp,
) -> Result<Vec<EventBody>, String> {
    if !runbook.is_complete() {
        return Err(
            "the runbook is incomplete: every priority needs a policy with every phase target"
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
    }];
    if let Some(c) = &d.commander {
        out.push(EventBody::Assigned {
            role: Role::Commander,
            name: required_text("--commander", c)?,
            previous: None,
        });
    }
    Ok(out)
}

fn closed_refusal(inc: &Incident) -> String {
    format!(
        "{} is {}; reopen it first (cverun incident reopen {} --reason \"...\")",
        inc.id, inc.phase, inc.id
    )
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
    match action {
        Action::Assign { role, name } => {
            open_only()?;
            let name = required_text("the name", name)?;
            let previous = inc.holder(*role).map(|h| h.name.clone());
            if previous.as_deref() == Some(name.as_str()) {
                return Err(format!(
                    "{name} already holds the {role} role on {}",
                    inc.id
                ));
            }
            Ok(vec![EventBody::Assigned {
                role: *role,
                name,
                previous,
            }])
        }
        Action::Check { item } => {
            open_only()?;
            let Some((phase, it)) = inc.runbook.item(item.trim()) else {
                return Err(format!(
                    "{} has no checklist item {item:?}; items of {}: {}",
                    inc.id,
                    inc.phase,
                    inc.runbook.item_ids(inc.phase).join(", ")
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
            Ok(vec![EventBody::Checked {
                phase,
                item: it.id.clone(),
                text: it.text.clone(),
            }])
        }
        Action::Advance { to, force, reason } => advance(inc, *to, *force, reason.as_deref()),
        Action::Cancel { reason } => {
            open_only()?;
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
            let reason = required_text("--reason", reason)?;
            let default = match inc.phase {
                Phase::Cancelled => inc
                    .transitions
                    .last()
                    .map(|t| t.from)
                    .filter(|p| p.is_open())
                    .unwrap_or(Phase::Containment),
                _ => Phase::Containment,
            };
            let target = to.unwrap_or(default);
            if !target.is_open() {
                return Err(format!(
                    "cannot reopen {} into {target}; give an open phase ({})",
                    inc.id,
                    Phase::ACTIVE.map(Phase::label).join(", ")
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
            if let Some(a) = inc.approvals.iter().find(|a| a.by == actor) {
                return Err(format!(
                    "{actor} already approved {} (as {} at {}); an approver cannot approve twice",
                    inc.id, a.kind, a.at
                ));
            }
            let policy = inc.runbook.policy(inc.priority);
            if !policy.declarer_may_approve && actor == inc.declared_by {
                return Err(format!(
                    "{actor} declared {}; the declarer's own approval does not count for {} (another person must approve)",
                    inc.id, inc.priority
                ));
            }
            Ok(vec![EventBody::Approved { kind: *kind }])
        }
        Action::Update { message, eta } => {
            open_only()?;
            let message = required_text("the update", message)?;
            if let Some(e) = eta
                && *e < now
            {
                return Err(format!("--eta {e} is in the past (now is {now})"));
            }
            let next_due = inc.runbook.policy(inc.priority).update_every.after(now);
            Ok(vec![EventBody::Updated {
                message,
                eta: *eta,
                next_due,
            }])
        }
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
            let mut out = vec![EventBody::Impact {
                impact: name.to_owned(),
                label: policy.label.clone(),
            }];
            if !policy.escalate.is_empty() {
                out.push(EventBody::Escalated {
                    clock: format!("impact:{name}"),
                    to: policy.escalate.clone(),
                    reason: format!("{} (recorded by {actor})", policy.label),
                });
            }
            if let Some(p) = policy.priority
                && p.more_urgent_than(inc.priority)
            {
                out.push(EventBody::Priority {
                    from: inc.priority,
                    to: p,
                    explanation: format!(
                        "raised from {} to {p}: {} (recorded by {actor})",
                        inc.priority, policy.label
                    ),
                    source: PrioritySource::Impact,
                });
            }
            Ok(out)
        }
        Action::SetPriority { priority } => {
            open_only()?;
            if priority.level == inc.priority {
                return Err(format!("{} is already {}", inc.id, inc.priority));
            }
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
    }
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
        None => from.next().unwrap_or(Phase::Resolved),
    };
    if target == Phase::Cancelled {
        return Err(format!(
            "use `cverun incident cancel {} --reason \"...\"` to cancel",
            inc.id
        ));
    }
    if target == from {
        return Err(format!("{} is already in {from}", inc.id));
    }
    if target < from {
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
    let left: Vec<Phase> = Phase::ACTIVE
        .into_iter()
        .filter(|p| *p >= from && *p < target)
        .collect();
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
    if from < Phase::Deployment && target >= Phase::Deployment {
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

/// Whether the approvals recorded satisfy what the priority requires to enter
/// DEPLOYMENT: each need met by a different person (not the declarer when the
/// runbook says so). `Err` says what is missing.
pub fn approval_gate(inc: &Incident) -> Result<(), String> {
    let policy = inc.runbook.policy(inc.priority);
    let needs = &policy.approvals;
    let eligible: Vec<(&str, ApprovalKind)> = inc
        .approvals
        .iter()
        .filter(|a| policy.declarer_may_approve || a.by != inc.declared_by)
        .map(|a| (a.by.as_str(), a.kind))
        .collect();
    let (assignment, unmet) = match_approvals(needs, &eligible);
    if unmet.is_empty() {
        return Ok(());
    }
    let have: Vec<String> = inc
        .approvals
        .iter()
        .map(|a| {
            let ignored = !policy.declarer_may_approve && a.by == inc.declared_by;
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
    let _ = assignment;
    Err(format!(
        "{} cannot enter DEPLOYMENT: {} requires approvals {} from different people{}; recorded: {}; missing: {}. Record one with `cverun incident approve {} --as technical|security` (as the approving person, --actor NAME)",
        inc.id,
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
        inc.id
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
            };
            let bodies = declare(&d, &Runbook::default(), t("2026-11-23T12:00:00Z")).unwrap();
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
                self.act("bob", "2026-11-23T12:10:00Z", Action::Check { item: id })
                    .unwrap();
            }
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
        assert!(declare(&bad, &Runbook::default(), t("2026-11-23T12:00:00Z")).is_err());
        let future = Declaration {
            published: Some(t("2027-01-01T00:00:00Z")),
            ..declaration()
        };
        assert!(
            declare(&future, &Runbook::default(), t("2026-11-23T12:00:00Z"))
                .unwrap_err()
                .contains("future")
        );
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
        for p in [Phase::Containment, Phase::Remediation, Phase::Validation] {
            f.check_all(p);
        }
        f.act("bob", "2026-11-23T12:20:00Z", adv()).unwrap();
        f.act("bob", "2026-11-23T12:21:00Z", adv()).unwrap();
        assert_eq!(f.state().phase, Phase::Validation);
        let e = f.act("bob", "2026-11-23T12:22:00Z", adv()).unwrap_err();
        assert!(e.contains("missing: technical, security"), "{e}");
        // The declarer's own approval is refused for P0.
        let e = f
            .act(
                "alice",
                "2026-11-23T12:23:00Z",
                Action::Approve {
                    kind: ApprovalKind::Technical,
                },
            )
            .unwrap_err();
        assert!(e.contains("declarer"), "{e}");
        f.act(
            "carol",
            "2026-11-23T12:24:00Z",
            Action::Approve {
                kind: ApprovalKind::Technical,
            },
        )
        .unwrap();
        // Twice by the same person: refused, whatever the capacity.
        let e = f
            .act(
                "carol",
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
        use ApprovalKind::*;
        use ApprovalNeed as N;
        let (_, unmet) = match_approvals(
            &[N::Technical, N::Security],
            &[("a", Technical), ("a", Security)],
        );
        assert_eq!(unmet.len(), 1);
        let (_, unmet) = match_approvals(
            &[N::Any, N::Technical],
            &[("a", Technical), ("b", Security)],
        );
        assert!(unmet.is_empty(), "b fills any, a fills technical");
        let (_, unmet) = match_approvals(&[N::Technical, N::Any], &[("a", Technical)]);
        assert_eq!(unmet, vec![N::Any]);
        let (_, unmet) = match_approvals(&[], &[]);
        assert!(unmet.is_empty());
    }

    #[test]
    fn p1_and_p2_gates_follow_the_runbook() {
        let mut f = Fixture::new(Priority::P1);
        f.act(
            "bob",
            "2026-11-23T12:30:00Z",
            Action::Advance {
                to: Some(Phase::Deployment),
                force: true,
                reason: Some("drill".into()),
            },
        )
        .unwrap_err();
        // P1: the declarer may approve, one approval of either kind.
        f.act(
            "alice",
            "2026-11-23T12:31:00Z",
            Action::Approve {
                kind: ApprovalKind::Security,
            },
        )
        .unwrap();
        f.act(
            "bob",
            "2026-11-23T12:32:00Z",
            Action::Advance {
                to: Some(Phase::Deployment),
                force: true,
                reason: Some("drill".into()),
            },
        )
        .unwrap();
        let s = f.state();
        assert_eq!(s.phase, Phase::Deployment);
        assert_eq!(s.completed.len(), 3);
        assert_eq!(s.transitions[0].forced_open.len(), 12);
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
}
