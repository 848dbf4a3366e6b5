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

/// The longest id a runbook may give a phase, role, approval kind or impact.
pub const MAX_ID_LEN: usize = 64;

/// Whether `id` is a usable short id: 1 to 64 lower-case letters, digits and `-`,
/// starting with a letter or digit.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.starts_with('-')
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// The one `&'static str` for `s`, so the runbook's ids can be `Copy` values.
///
/// Each distinct id is kept for the life of the process. Only valid ids (at most
/// [`MAX_ID_LEN`] bytes) are interned, so the memory is bounded by the distinct ids
/// runbooks and stored events name.
fn intern(s: &str) -> &'static str {
    use std::collections::BTreeSet;
    use std::sync::{Mutex, OnceLock};
    static IDS: OnceLock<Mutex<BTreeSet<&'static str>>> = OnceLock::new();
    let mut ids = IDS
        .get_or_init(|| Mutex::new(BTreeSet::new()))
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(found) = ids.get(s) {
        return found;
    }
    let leaked: &'static str = Box::leak(s.to_owned().into_boxed_str());
    ids.insert(leaked);
    leaked
}

/// An id checked with [`valid_id`] and interned.
fn checked_id(what: &str, s: &str) -> Result<&'static str, String> {
    if valid_id(s) {
        Ok(intern(s))
    } else {
        Err(format!(
            "{what} {s:?} must be 1 to {MAX_ID_LEN} lower-case letters, digits and '-'"
        ))
    }
}

/// Serde (one string, the id) and `Display` for the runbook's id types.
macro_rules! id_type {
    ($t:ident, $what:literal) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.0)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let s = String::deserialize(d)?;
                checked_id($what, &s)
                    .map($t)
                    .map_err(serde::de::Error::custom)
            }
        }

        impl $t {
            /// The id, validated (lower-case letters, digits, `-`).
            pub fn new(id: &str) -> Result<$t, String> {
                checked_id($what, id).map($t)
            }

            /// The spelling in files, events, JSON and on the command line.
            pub fn key(self) -> &'static str {
                self.0
            }
        }
    };
}

/// A phase of the runbook, or one of the two ways an incident ends.
///
/// Phases are data: the runbook lists, per priority, the phases an incident works
/// through, in order ([`crate::runbook::Runbook::phases`]). The built-in runbook's
/// five phases and the two end states have constants named like the variants of
/// the enum they replace (`Phase::Containment`...). The derived order compares
/// ids, not the runbook's order: ask the runbook for positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phase(&'static str);

id_type!(Phase, "phase id");

#[allow(non_upper_case_globals)]
impl Phase {
    /// Stop the bleeding: blast radius, isolation, code freeze.
    pub const Containment: Phase = Phase("containment");
    /// Find and prepare the fix.
    pub const Remediation: Phase = Phase("remediation");
    /// Prove the fix: re-scan, tests, staging.
    pub const Validation: Phase = Phase("validation");
    /// Ship it (gated by approvals).
    pub const Deployment: Phase = Phase("deployment");
    /// Learn from it.
    pub const PostMortem: Phase = Phase("post-mortem");
    /// Done (a fixed end state, in every runbook).
    pub const Resolved: Phase = Phase("resolved");
    /// Called off: a false alarm, a duplicate (a fixed end state).
    pub const Cancelled: Phase = Phase("cancelled");

    /// The built-in runbook's phases, in order (not the two end states).
    pub const ACTIVE: [Phase; 5] = [
        Phase::Containment,
        Phase::Remediation,
        Phase::Validation,
        Phase::Deployment,
        Phase::PostMortem,
    ];

    /// The spelling for people: the id in capitals (`CONTAINMENT`, `POST-MORTEM`).
    pub fn label(self) -> &'static str {
        intern(&self.0.to_ascii_uppercase())
    }

    /// Still being worked on (not resolved, not cancelled).
    pub fn is_open(self) -> bool {
        !self.is_end()
    }

    /// One of the two fixed end states.
    pub fn is_end(self) -> bool {
        self == Phase::Resolved || self == Phase::Cancelled
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Phase {
    type Err = String;
    /// Any case, `_` or spaces for `-`; whether the runbook has the phase is for
    /// the rules to say.
    fn from_str(s: &str) -> Result<Phase, String> {
        let f = fold(s);
        let f = if f == "postmortem" { "post-mortem" } else { &f };
        checked_id("phase", f)
            .map(Phase)
            .map_err(|_| format!("unknown phase {s:?} (a phase id is lower-case letters, digits and '-', like containment or post-mortem)"))
    }
}

/// A role people hold in an incident.
///
/// Roles are data: the runbook lists them ([`crate::runbook::Runbook::roles`]),
/// always with the five built-in ones (constants named like the variants of the
/// enum they replace: `Role::Commander`...) and whatever a team adds (`dba`,
/// `legal-counsel`...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Role(&'static str);

id_type!(Role, "role id");

#[allow(non_upper_case_globals)]
impl Role {
    /// Runs the incident.
    pub const Commander: Role = Role("commander");
    /// Owns the security judgement.
    pub const SecurityLead: Role = Role("security-lead");
    /// Owns the technical fix.
    pub const TechnicalLead: Role = Role("technical-lead");
    /// Deploys and operates.
    pub const Devops: Role = Role("devops");
    /// Talks to stakeholders and customers.
    pub const CommunicationsLead: Role = Role("communications-lead");

    /// The built-in roles, in display order.
    pub const BUILT_IN: [Role; 5] = [
        Role::Commander,
        Role::SecurityLead,
        Role::TechnicalLead,
        Role::Devops,
        Role::CommunicationsLead,
    ];

    /// The built-in label (`incident commander`), or the id for a team's role
    /// (whose label is in the runbook).
    pub fn label(self) -> &'static str {
        match self.0 {
            "commander" => "incident commander",
            "security-lead" => "security lead",
            "technical-lead" => "technical lead",
            "communications-lead" => "communications lead",
            other => other,
        }
    }

    /// The built-in aliases of a built-in role (`ic`, `security`...).
    pub fn builtin_aliases(self) -> &'static [&'static str] {
        match self.0 {
            "commander" => &["ic", "incident-commander"],
            "security-lead" => &["security"],
            "technical-lead" => &["technical", "tech-lead"],
            "communications-lead" => &["communications", "comms", "comms-lead"],
            _ => &[],
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
    /// Any case, `_` for `-`, the built-in aliases (`ic`, `security`...); whether
    /// the runbook knows the role (and a team's aliases) is for the rules to say.
    fn from_str(s: &str) -> Result<Role, String> {
        let f = fold(s);
        if let Some(r) = Role::BUILT_IN
            .into_iter()
            .find(|r| r.0 == f || r.builtin_aliases().contains(&f.as_str()))
        {
            return Ok(r);
        }
        checked_id("role", &f).map(Role).map_err(|_| {
            format!(
                "unknown role {s:?} (expected one of: {}, or a role the runbook adds)",
                Role::BUILT_IN.map(Role::key).join(", ")
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

/// In which capacity someone approves: `technical`, `security`, or a kind the
/// runbook adds (`cto`). The runbook names the roles that may give each kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApprovalKind(&'static str);

id_type!(ApprovalKind, "approval kind");

#[allow(non_upper_case_globals)]
impl ApprovalKind {
    /// The technical side (a technical lead).
    pub const Technical: ApprovalKind = ApprovalKind("technical");
    /// The security side (a security lead).
    pub const Security: ApprovalKind = ApprovalKind("security");
}

impl fmt::Display for ApprovalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl FromStr for ApprovalKind {
    type Err = String;
    /// Any case, `tech`/`technical-lead`, `sec`/`security-lead`; whether the
    /// runbook knows the kind is for the rules to say.
    fn from_str(s: &str) -> Result<ApprovalKind, String> {
        match fold(s).as_str() {
            "technical" | "tech" | "technical-lead" => Ok(ApprovalKind::Technical),
            "security" | "sec" | "security-lead" => Ok(ApprovalKind::Security),
            "any" => Err("\"any\" is not an approval kind (give technical, security, or a kind the runbook defines)".into()),
            other => checked_id("approval kind", other)
                .map(ApprovalKind)
                .map_err(|_| format!("unknown approval {s:?} (expected technical, security, or a kind the runbook defines)")),
        }
    }
}

/// One approval a gate requires: of a given kind, or of any kind (`any`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ApprovalNeed(&'static str);

id_type!(ApprovalNeed, "approval");

#[allow(non_upper_case_globals)]
impl ApprovalNeed {
    /// A technical approval.
    pub const Technical: ApprovalNeed = ApprovalNeed("technical");
    /// A security approval.
    pub const Security: ApprovalNeed = ApprovalNeed("security");
    /// An approval of any kind.
    pub const Any: ApprovalNeed = ApprovalNeed("any");

    /// The need for an approval of `kind`.
    pub fn of(kind: ApprovalKind) -> ApprovalNeed {
        ApprovalNeed(kind.0)
    }

    /// The kind it needs (`None` for `any`).
    pub fn kind(self) -> Option<ApprovalKind> {
        (self != ApprovalNeed::Any).then_some(ApprovalKind(self.0))
    }

    /// Whether an approval of `kind` satisfies this need.
    pub fn accepts(self, kind: ApprovalKind) -> bool {
        self == ApprovalNeed::Any || self.0 == kind.0
    }
}

impl fmt::Display for ApprovalNeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            "any" => "any kind",
            other => other,
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
            "Boss!"
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
    fn ids_are_data_with_built_in_constants() {
        assert_eq!(
            "Short_Term Mitigation".parse::<Phase>().unwrap().key(),
            "short-term-mitigation"
        );
        assert_eq!(Phase::new("immediate").unwrap().label(), "IMMEDIATE");
        assert!(Phase::new("Not An Id").is_err());
        assert!(Phase::new(&"x".repeat(65)).is_err());
        assert!(!Phase::Cancelled.is_open() && !Phase::Resolved.is_open());
        assert!(Phase::Containment.is_open());
        // The same id is the same value, whichever way it was made.
        assert_eq!(Phase::new("containment").unwrap(), Phase::Containment);
        assert_eq!("dba".parse::<Role>().unwrap().key(), "dba");
        assert_eq!("Security".parse::<Role>(), Ok(Role::SecurityLead));
        assert_eq!("CTO".parse::<ApprovalKind>().unwrap().key(), "cto");
        assert!("any".parse::<ApprovalKind>().is_err());
        assert_eq!(
            serde_json::from_str::<Role>("\"legal-counsel\"")
                .unwrap()
                .key(),
            "legal-counsel"
        );
        assert!(serde_json::from_str::<Role>("\"Legal Counsel\"").is_err());
        assert_eq!(ApprovalNeed::Any.kind(), None);
        assert_eq!(
            ApprovalNeed::of(ApprovalKind::new("cto").unwrap()).to_string(),
            "cto"
        );
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
