//! The vocabulary of an incident: priorities, phases, roles, decisions, approvals.
//!
//! Every type here has one spelling in files, events and JSON (`serde`), one for
//! people (`Display`), and a forgiving parser for command-line input (`FromStr`:
//! any case, `-` or `_`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Lower-cases and maps `_` and spaces to `-`, for lenient parsing.
fn fold(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            '_' | ' ' => '-',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// How urgent an incident is. `P0` is the most urgent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    /// Drop everything.
    P0,
    /// Urgent, within the working day.
    P1,
    /// Planned, within days.
    P2,
}

impl Priority {
    /// All priorities, most urgent first.
    pub const ALL: [Priority; 3] = [Priority::P0, Priority::P1, Priority::P2];

    /// `P0`, `P1`, `P2`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P0 => "P0",
            Priority::P1 => "P1",
            Priority::P2 => "P2",
        }
    }

    /// Whether `self` is more urgent than `other`.
    pub fn more_urgent_than(self, other: Priority) -> bool {
        self < other
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = String;
    fn from_str(s: &str) -> Result<Priority, String> {
        match fold(s).as_str() {
            "p0" | "0" => Ok(Priority::P0),
            "p1" | "1" => Ok(Priority::P1),
            "p2" | "2" => Ok(Priority::P2),
            _ => Err(format!("unknown priority {s:?} (expected P0, P1 or P2)")),
        }
    }
}

/// Where a priority came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrioritySource {
    /// A person chose it when declaring or changing it.
    Declared,
    /// Computed by triage from the findings (its explanation says how).
    Triage,
    /// Raised by a recorded impact (active exploitation, say).
    Impact,
}

/// A priority with the reason it was given: what a caller (a person, or triage)
/// passes when declaring an incident.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignedPriority {
    /// The priority.
    pub level: Priority,
    /// Why: "declared by alice", or triage's reasoning.
    pub explanation: String,
    /// Who decided.
    pub source: PrioritySource,
}

impl AssignedPriority {
    /// A priority chosen by a person: the explanation is `declared by ACTOR`.
    pub fn declared_by(level: Priority, actor: &str) -> AssignedPriority {
        AssignedPriority {
            level,
            explanation: format!("declared by {actor}"),
            source: PrioritySource::Declared,
        }
    }

    /// A priority computed by triage, with its explanation.
    pub fn from_triage(level: Priority, explanation: impl Into<String>) -> AssignedPriority {
        AssignedPriority {
            level,
            explanation: explanation.into(),
            source: PrioritySource::Triage,
        }
    }
}

/// The runbook's phases, in order, plus the two ways an incident ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Stop the bleeding: blast radius, isolation, code freeze.
    Containment,
    /// Find and prepare the fix.
    Remediation,
    /// Prove the fix: re-scan, tests, staging.
    Validation,
    /// Ship it (gated by approvals).
    Deployment,
    /// Learn from it.
    PostMortem,
    /// Done.
    Resolved,
    /// Called off (a false alarm, a duplicate).
    Cancelled,
}

impl Phase {
    /// The phases an incident works through, in order (not the two end states).
    pub const ACTIVE: [Phase; 5] = [
        Phase::Containment,
        Phase::Remediation,
        Phase::Validation,
        Phase::Deployment,
        Phase::PostMortem,
    ];

    /// Every phase and end state.
    pub const ALL: [Phase; 7] = [
        Phase::Containment,
        Phase::Remediation,
        Phase::Validation,
        Phase::Deployment,
        Phase::PostMortem,
        Phase::Resolved,
        Phase::Cancelled,
    ];

    /// The spelling in files and JSON: `containment`, `post-mortem`...
    pub fn key(self) -> &'static str {
        match self {
            Phase::Containment => "containment",
            Phase::Remediation => "remediation",
            Phase::Validation => "validation",
            Phase::Deployment => "deployment",
            Phase::PostMortem => "post-mortem",
            Phase::Resolved => "resolved",
            Phase::Cancelled => "cancelled",
        }
    }

    /// The spelling for people: `CONTAINMENT`, `POST-MORTEM`...
    pub fn label(self) -> &'static str {
        match self {
            Phase::Containment => "CONTAINMENT",
            Phase::Remediation => "REMEDIATION",
            Phase::Validation => "VALIDATION",
            Phase::Deployment => "DEPLOYMENT",
            Phase::PostMortem => "POST-MORTEM",
            Phase::Resolved => "RESOLVED",
            Phase::Cancelled => "CANCELLED",
        }
    }

    /// Still being worked on (not resolved, not cancelled).
    pub fn is_open(self) -> bool {
        !matches!(self, Phase::Resolved | Phase::Cancelled)
    }

    /// The phase after this one on the normal path; `None` at the end.
    pub fn next(self) -> Option<Phase> {
        match self {
            Phase::Containment => Some(Phase::Remediation),
            Phase::Remediation => Some(Phase::Validation),
            Phase::Validation => Some(Phase::Deployment),
            Phase::Deployment => Some(Phase::PostMortem),
            Phase::PostMortem => Some(Phase::Resolved),
            Phase::Resolved | Phase::Cancelled => None,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Phase {
    type Err = String;
    fn from_str(s: &str) -> Result<Phase, String> {
        let f = fold(s);
        let f = if f == "postmortem" { "post-mortem" } else { &f };
        Phase::ALL
            .into_iter()
            .find(|p| p.key() == f)
            .ok_or_else(|| {
                format!(
                    "unknown phase {s:?} (expected one of: {})",
                    Phase::ALL.map(Phase::label).join(", ")
                )
            })
    }
}

/// The people an incident needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Runs the incident.
    Commander,
    /// Owns the security judgement.
    SecurityLead,
    /// Owns the technical fix.
    TechnicalLead,
    /// Deploys and operates.
    Devops,
    /// Talks to stakeholders and customers.
    CommunicationsLead,
}

impl Role {
    /// Every role, in display order.
    pub const ALL: [Role; 5] = [
        Role::Commander,
        Role::SecurityLead,
        Role::TechnicalLead,
        Role::Devops,
        Role::CommunicationsLead,
    ];

    /// The spelling in files, JSON and on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Role::Commander => "commander",
            Role::SecurityLead => "security-lead",
            Role::TechnicalLead => "technical-lead",
            Role::Devops => "devops",
            Role::CommunicationsLead => "communications-lead",
        }
    }

    /// The spelling for people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Commander => "incident commander",
            Role::SecurityLead => "security lead",
            Role::TechnicalLead => "technical lead",
            Role::Devops => "devops",
            Role::CommunicationsLead => "communications lead",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        let f = fold(s);
        let f = match f.as_str() {
            "ic" | "incident-commander" => "commander",
            "security" => "security-lead",
            "technical" | "tech-lead" => "technical-lead",
            "communications" | "comms" | "comms-lead" => "communications-lead",
            other => other,
        };
        Role::ALL.into_iter().find(|r| r.key() == f).ok_or_else(|| {
            format!(
                "unknown role {s:?} (expected one of: {})",
                Role::ALL.map(Role::key).join(", ")
            )
        })
    }
}

/// What the incident will do about the vulnerability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Upgrade the dependency and ship.
    Hotfix,
    /// Upgrade the dependency with code changes it requires.
    HotfixCodeChanges,
    /// Mitigate without upgrading (configuration, WAF rule, feature flag).
    Workaround,
    /// Roll back to a release without the vulnerable version.
    Rollback,
}

impl Decision {
    /// Every decision.
    pub const ALL: [Decision; 4] = [
        Decision::Hotfix,
        Decision::HotfixCodeChanges,
        Decision::Workaround,
        Decision::Rollback,
    ];

    /// The spelling in files, JSON and on the command line.
    pub fn key(self) -> &'static str {
        match self {
            Decision::Hotfix => "hotfix",
            Decision::HotfixCodeChanges => "hotfix-code-changes",
            Decision::Workaround => "workaround",
            Decision::Rollback => "rollback",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> Result<Decision, String> {
        let f = fold(s);
        Decision::ALL
            .into_iter()
            .find(|d| d.key() == f)
            .ok_or_else(|| {
                format!(
                    "unknown decision {s:?} (expected one of: {})",
                    Decision::ALL.map(Decision::key).join(", ")
                )
            })
    }
}

/// In which capacity someone approves a deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalKind {
    /// The technical side (a technical lead).
    Technical,
    /// The security side.
    Security,
}

impl ApprovalKind {
    /// The spelling in files, JSON and on the command line.
    pub fn key(self) -> &'static str {
        match self {
            ApprovalKind::Technical => "technical",
            ApprovalKind::Security => "security",
        }
    }
}

impl fmt::Display for ApprovalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl FromStr for ApprovalKind {
    type Err = String;
    fn from_str(s: &str) -> Result<ApprovalKind, String> {
        match fold(s).as_str() {
            "technical" | "tech" | "technical-lead" => Ok(ApprovalKind::Technical),
            "security" | "sec" | "security-lead" => Ok(ApprovalKind::Security),
            _ => Err(format!(
                "unknown approval {s:?} (expected technical or security)"
            )),
        }
    }
}

/// One approval a priority requires before DEPLOYMENT: of a given kind, or of
/// either kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalNeed {
    /// A technical approval.
    Technical,
    /// A security approval.
    Security,
    /// An approval of either kind.
    Any,
}

impl ApprovalNeed {
    /// Whether an approval of `kind` satisfies this need.
    pub fn accepts(self, kind: ApprovalKind) -> bool {
        matches!(
            (self, kind),
            (ApprovalNeed::Any, _)
                | (ApprovalNeed::Technical, ApprovalKind::Technical)
                | (ApprovalNeed::Security, ApprovalKind::Security)
        )
    }

    /// The spelling in files.
    pub fn key(self) -> &'static str {
        match self {
            ApprovalNeed::Technical => "technical",
            ApprovalNeed::Security => "security",
            ApprovalNeed::Any => "any",
        }
    }
}

impl fmt::Display for ApprovalNeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ApprovalNeed::Any => "technical or security",
            other => other.key(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_leniently_and_prints_one_spelling() {
        assert_eq!("p0".parse::<Priority>(), Ok(Priority::P0));
        assert!(
            "P3".parse::<Priority>()
                .unwrap_err()
                .contains("P0, P1 or P2")
        );
        assert_eq!("Post_Mortem".parse::<Phase>(), Ok(Phase::PostMortem));
        assert_eq!("postmortem".parse::<Phase>(), Ok(Phase::PostMortem));
        assert_eq!(Phase::PostMortem.to_string(), "POST-MORTEM");
        assert_eq!("technical_lead".parse::<Role>(), Ok(Role::TechnicalLead));
        assert_eq!("IC".parse::<Role>(), Ok(Role::Commander));
        assert!(
            "boss"
                .parse::<Role>()
                .unwrap_err()
                .contains("security-lead")
        );
        assert_eq!(
            "hotfix_code_changes".parse::<Decision>(),
            Ok(Decision::HotfixCodeChanges)
        );
        assert_eq!(
            "Security".parse::<ApprovalKind>(),
            Ok(ApprovalKind::Security)
        );
    }

    #[test]
    fn phases_follow_the_runbook_order() {
        let mut p = Phase::Containment;
        let mut seen = vec![p];
        while let Some(n) = p.next() {
            seen.push(n);
            p = n;
        }
        assert_eq!(seen.len(), 6);
        assert_eq!(seen.last(), Some(&Phase::Resolved));
        assert!(Phase::Containment < Phase::Deployment);
        assert!(!Phase::Cancelled.is_open() && !Phase::Resolved.is_open());
        assert_eq!(Phase::Cancelled.next(), None);
    }

    #[test]
    fn priority_order_and_needs() {
        assert!(Priority::P0.more_urgent_than(Priority::P1));
        assert!(!Priority::P2.more_urgent_than(Priority::P2));
        assert!(ApprovalNeed::Any.accepts(ApprovalKind::Security));
        assert!(!ApprovalNeed::Technical.accepts(ApprovalKind::Security));
        assert_eq!(
            serde_json::to_string(&Phase::PostMortem).unwrap(),
            "\"post-mortem\""
        );
        assert_eq!(
            AssignedPriority::declared_by(Priority::P1, "alice").explanation,
            "declared by alice"
        );
    }
}
