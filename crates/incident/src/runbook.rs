//! The runbook as data: roles and the team's roster, the phases each priority
//! works through (with their targets and which one approvals gate), checklists per
//! phase (overridable per priority), approval kinds and when they are required,
//! escalations, the status-update cadence, impacts and regulatory clocks.
//!
//! Defaults are built in ([`DEFAULT_TOML`], the runbook's own numbers). A team
//! overrides any part in a TOML file (`.cverun/runbook.toml` or `--runbook FILE`):
//! every key given replaces the default of that key, everything else keeps its
//! default. A checklist given for a phase replaces that phase's whole list; `role`,
//! `phase`, `approval` and `impact` entries are added to (or replace) the default
//! ones by id; a `regulatory` list and a `person` list replace the default lists.
//!
//! An incident records the runbook it was declared under in its first event, so its
//! deadlines, gates and checklists cannot change under it (its roster can, by a
//! recorded `roster` event).
//!
//! Errors name the file and line (from the TOML parser's spans), and unknown keys are
//! errors, so a typo never silently falls back to a default.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::interval::Interval;
use crate::model::{ApprovalKind, ApprovalNeed, Phase, Priority, Role, valid_id};
use crate::roster::{self, Person, RoleDef, fold_name, valid_name};

/// The built-in runbook. `cverun incident runbook` prints the effective one.
pub const DEFAULT_TOML: &str = r#"# cverun runbook: what an incident goes through. Every key is optional; a key given
# replaces its default. Lengths of time: "30m", "2h", "1h 30m", "3d".

# Roles besides the five built-in ones (commander, security-lead, technical-lead,
# devops, communications-lead), by id: a label and other names for the command line.
# Escalations name roles (or people of the roster).
[role.executive]
label = "Executive"

[role.management]
label = "Management"

[role.team-lead]
label = "Team lead"

[role.legal]
label = "Legal"

# The team's roster (none built in): who may hold which role, by canonical handle,
# with aliases and contact addresses. Approvals, assignments and gate-changing
# actions need a person of the roster.
# [[person]]
# handle = "alice"
# name = "Alice Martin"
# aliases = ["alice@example.com", "@alice"]
# roles = ["commander", "security-lead"]
# contact = { email = "alice@example.com", slack = "@alice", phone = "+33 1 23 45 67 89" }

# The phases incidents work through, by id, with their labels. Each priority lists
# the ones it uses, in order (`phases` below); RESOLVED and CANCELLED are the fixed
# end states.
[phase.containment]
label = "Containment"

[phase.remediation]
label = "Remediation"

[phase.validation]
label = "Validation"

[phase.deployment]
label = "Deployment"

[phase.post-mortem]
label = "Post-mortem"

# Each phase's checklist (a priority may replace a phase's list with
# [priority.P1.checklist]). An item is checked with `cverun incident check ID ITEM`
# once the incident is in its phase; a phase cannot be left with a required item
# open unless forced with a reason. Item ids are unique across a priority's phases.
# `by = "verify"`: the item is checked by `cverun verify --incident ID` when the
# re-scan shows the incident's advisory gone from every affected service (by hand
# only with --force --reason, recorded).
[checklist]
containment = [
  { id = "blast-radius", text = "Blast radius assessed" },
  { id = "code-path", text = "Vulnerable code path checked" },
  { id = "isolation", text = "Isolation considered" },
  { id = "code-freeze", text = "Code freeze decided" },
]
remediation = [
  { id = "fix-identified", text = "Fix identified" },
  { id = "patch-prepared", text = "Patch prepared" },
  { id = "fix-reviewed", text = "Fix reviewed" },
]
validation = [
  { id = "rescan-clean", text = "Re-scan clean", by = "verify" },
  { id = "tests-pass", text = "Tests pass" },
  { id = "staging-healthy", text = "Staging healthy" },
  { id = "rollback-plan", text = "Rollback plan documented" },
  { id = "monitoring-ready", text = "Monitoring ready" },
]
deployment = [
  { id = "canary-deployed", text = "Canary deployed" },
  { id = "production-deployed", text = "Production deployed" },
  { id = "post-deploy-monitoring", text = "Monitored after deploy" },
]
post-mortem = [
  { id = "timeline-reviewed", text = "Timeline reviewed" },
  { id = "root-cause", text = "Root cause written" },
  { id = "actions-assigned", text = "Actions assigned" },
]

# Approval kinds, by id: who may give each (the roles; the approver must be a
# person of the roster who may hold one of them).
[approval.technical]
label = "Technical approval"
roles = ["technical-lead"]

[approval.security]
label = "Security approval"
roles = ["security-lead"]

# Per priority. Deadlines count from the declaration:
#   response: an incident commander must be assigned by then;
#   phases: the phases worked through, in order;
#   targets: each phase must be completed (left for the next one) by then.
# update-every: a status update is due this long after the previous one (or after
#   the declaration); every missed interval is recorded, and missed-updates
#   escalates after that many misses in a row.
# gate: the phase whose entry needs the approvals; approvals are accepted from the
#   phase before it on.
# approvals: what entering the gate needs, each from a different person:
#   an approval kind, or "any" (any kind).
# declarer-may-approve: whether the person who declared the incident may approve.
# escalate: who is told (roles or people) when the incident is still open this
#   long after declaration.
[priority.P0]
response = "2h"
update-every = "30m"
missed-updates = { after = 3, to = ["commander"] }
phases = ["containment", "remediation", "validation", "deployment", "post-mortem"]
targets = { containment = "2h", remediation = "4h", validation = "6h", deployment = "8h", post-mortem = "24h" }
gate = "deployment"
approvals = ["technical", "security"]
declarer-may-approve = false
escalate = [{ after = "2h", to = ["executive"] }]

[priority.P1]
response = "8h"
update-every = "1h"
missed-updates = { after = 3, to = ["commander"] }
phases = ["containment", "remediation", "validation", "deployment", "post-mortem"]
targets = { containment = "8h", remediation = "24h", validation = "36h", deployment = "48h", post-mortem = "120h" }
gate = "deployment"
approvals = ["any"]
declarer-may-approve = true
escalate = [{ after = "4h", to = ["management"] }]

[priority.P2]
response = "72h"
update-every = "4h"
missed-updates = { after = 3, to = ["commander"] }
phases = ["containment", "remediation", "validation", "deployment", "post-mortem"]
targets = { containment = "72h", remediation = "120h", validation = "168h", deployment = "240h", post-mortem = "336h" }
gate = "deployment"
approvals = []
declarer-may-approve = true
escalate = [{ after = "8h", to = ["team-lead"] }]

# Impacts recorded with `cverun incident impact ID NAME`: who is told at once, the
# priority the incident is raised to (never lowered), and approvals the gate then
# also requires (`requires = ["cto"]`).
[impact.customer-data]
label = "Customer data affected"
escalate = ["executive", "legal"]

[impact.active-exploitation]
label = "Active exploitation"
priority = "P0"

# Regulatory clocks start at the recorded "became aware" time
# (`cverun incident aware ID`) and stop when the notification is recorded
# (`cverun incident notify ID CLOCK`).
[[regulatory]]
id = "gdpr"
label = "GDPR notification to the supervisory authority"
after = "72h"

[[regulatory]]
id = "nis2-early-warning"
label = "NIS2 early warning to the CSIRT"
after = "24h"

[[regulatory]]
id = "nis2-notification"
label = "NIS2 incident notification"
after = "72h"
"#;

/// One checklist item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    /// Short id used on the command line (`blast-radius`).
    pub id: String,
    /// What it means.
    pub text: String,
    /// Whether the phase can be left without it (only by forcing when required).
    #[serde(default = "yes")]
    pub required: bool,
    /// The command whose recorded evidence checks the item (`by = "verify"`);
    /// `None`: people check it. Checking such an item by hand needs `--force
    /// --reason` and is recorded as forced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<CheckedBy>,
}

/// A command whose recorded evidence checks a checklist item (the item's `by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckedBy {
    /// `cverun verify --incident ID`: a `verified` event that is clean (the
    /// incident's advisory is gone from every affected service) checks the item;
    /// one that finds it again unchecks it (see [`crate::rules`]).
    Verify,
}

impl CheckedBy {
    /// Every command that checks items.
    pub const ALL: [CheckedBy; 1] = [CheckedBy::Verify];

    /// The spelling in runbook files, events and JSON (`verify`).
    pub fn key(self) -> &'static str {
        match self {
            CheckedBy::Verify => "verify",
        }
    }

    /// The command line that checks an item of incident `id`
    /// (`cverun verify --incident ID`).
    pub fn command(self, id: &str) -> String {
        match self {
            CheckedBy::Verify => format!("cverun verify --incident {id}"),
        }
    }
}

impl std::fmt::Display for CheckedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

fn yes() -> bool {
    true
}

/// An escalation rule: tell `to` when still open `after` the declaration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationRule {
    /// How long after the declaration.
    pub after: Interval,
    /// Who is told: roles or people of the roster.
    pub to: Vec<String>,
}

/// Escalation when status updates are missed `after` times in a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissedUpdates {
    /// How many missed intervals in a row.
    pub after: u32,
    /// Who is told: roles or people of the roster.
    pub to: Vec<String>,
}

/// A phase of the runbook's catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseDef {
    /// Its id.
    pub id: Phase,
    /// Its label (`Short-term mitigation`).
    pub label: String,
}

/// An approval kind: who may give it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalKindDef {
    /// How people call it.
    pub label: String,
    /// The roles that may give it.
    pub roles: Vec<Role>,
}

/// What one priority requires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct PriorityPolicy {
    /// An incident commander must be assigned by then.
    pub response: Interval,
    /// Status updates are due this often.
    pub update_every: Interval,
    /// Each phase must be completed this long after the declaration.
    pub targets: BTreeMap<Phase, Interval>,
    /// What entering the gated phase needs, each from a different person.
    pub approvals: Vec<ApprovalNeed>,
    /// Whether the declarer's own approval counts.
    pub declarer_may_approve: bool,
    /// Time-based escalations.
    pub escalate: Vec<EscalationRule>,
    /// The phases worked through, in order.
    #[serde(default = "builtin_phase_ids")]
    pub phases: Vec<Phase>,
    /// The phase whose entry needs the approvals.
    #[serde(default = "deployment")]
    pub gate: Phase,
    /// Checklists replacing the runbook's default list of a phase.
    #[serde(default)]
    pub checklist: BTreeMap<Phase, Vec<ChecklistItem>>,
    /// Escalation after missed status updates.
    #[serde(default)]
    pub missed_updates: Option<MissedUpdates>,
}

fn builtin_phase_ids() -> Vec<Phase> {
    Phase::ACTIVE.to_vec()
}

fn deployment() -> Phase {
    Phase::Deployment
}

fn builtin_phases() -> Vec<PhaseDef> {
    Phase::ACTIVE
        .iter()
        .map(|p| PhaseDef {
            id: *p,
            label: {
                let k = p.key();
                let mut l = k[..1].to_ascii_uppercase();
                l.push_str(&k[1..]);
                l
            },
        })
        .collect()
}

fn builtin_approval_kinds() -> BTreeMap<ApprovalKind, ApprovalKindDef> {
    BTreeMap::from([
        (
            ApprovalKind::Technical,
            ApprovalKindDef {
                label: "Technical approval".into(),
                roles: vec![Role::TechnicalLead],
            },
        ),
        (
            ApprovalKind::Security,
            ApprovalKindDef {
                label: "Security approval".into(),
                roles: vec![Role::SecurityLead],
            },
        ),
    ])
}

/// What recording an impact does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImpactPolicy {
    /// How people call it.
    pub label: String,
    /// Who is told at once.
    #[serde(default)]
    pub escalate: Vec<String>,
    /// The priority the incident is raised to, when more urgent than its own.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Approvals the gate also requires once the impact is recorded.
    #[serde(default)]
    pub requires: Vec<ApprovalKind>,
}

/// A regulatory deadline counted from the "became aware" time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatoryClock {
    /// Short id (`gdpr`).
    pub id: String,
    /// What is due.
    pub label: String,
    /// How long after becoming aware.
    pub after: Interval,
}

/// A complete runbook (every field resolved).
///
/// Incidents store it in their first event; fields added since are read back from
/// older events with the built-in values (the roles, phases and approval kinds the
/// built-in runbook had then).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runbook {
    /// The default checklist of each phase.
    pub checklist: BTreeMap<Phase, Vec<ChecklistItem>>,
    /// Policies of P0, P1, P2.
    pub priority: BTreeMap<Priority, PriorityPolicy>,
    /// Impacts by name.
    pub impact: BTreeMap<String, ImpactPolicy>,
    /// Regulatory clocks.
    pub regulatory: Vec<RegulatoryClock>,
    /// The phases priorities may use, with their labels.
    #[serde(default = "builtin_phases")]
    pub phases: Vec<PhaseDef>,
    /// The roles: the built-in ones first, then the team's.
    #[serde(default = "roster::builtin_roles")]
    pub roles: Vec<RoleDef>,
    /// The roster.
    #[serde(default)]
    pub people: Vec<Person>,
    /// Approval kinds by id.
    #[serde(default = "builtin_approval_kinds")]
    pub approval: BTreeMap<ApprovalKind, ApprovalKindDef>,
}

/// A runbook file that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct RunbookError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

// ---- raw TOML shape ----

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRunbook {
    role: Option<BTreeMap<Spanned<String>, RawRole>>,
    person: Option<Vec<RawPerson>>,
    phase: Option<BTreeMap<Spanned<String>, RawPhase>>,
    approval: Option<BTreeMap<Spanned<String>, RawApproval>>,
    checklist: Option<BTreeMap<Spanned<String>, Vec<RawItem>>>,
    priority: Option<RawPriorities>,
    impact: Option<BTreeMap<Spanned<String>, RawImpact>>,
    regulatory: Option<Vec<RawRegulatory>>,
    /// Channels, audiences and routing: read by `cverun-notify`, not here.
    #[allow(dead_code)]
    notify: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    label: Option<String>,
    aliases: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPerson {
    handle: Spanned<String>,
    name: Option<String>,
    aliases: Option<Vec<Spanned<String>>>,
    roles: Option<Vec<Spanned<String>>>,
    contact: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhase {
    label: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApproval {
    label: Option<String>,
    roles: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Spanned<String>,
    text: String,
    required: Option<bool>,
    by: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPriorities {
    #[serde(rename = "P0")]
    p0: Option<RawPriority>,
    #[serde(rename = "P1")]
    p1: Option<RawPriority>,
    #[serde(rename = "P2")]
    p2: Option<RawPriority>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPriority {
    response: Option<Interval>,
    update_every: Option<Interval>,
    missed_updates: Option<Spanned<RawMissed>>,
    phases: Option<Spanned<Vec<Spanned<String>>>>,
    targets: Option<Spanned<BTreeMap<Spanned<String>, Interval>>>,
    gate: Option<Spanned<String>>,
    approvals: Option<Vec<Spanned<String>>>,
    declarer_may_approve: Option<bool>,
    escalate: Option<Vec<RawEscalation>>,
    checklist: Option<BTreeMap<Spanned<String>, Vec<RawItem>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMissed {
    after: u32,
    to: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEscalation {
    after: Interval,
    to: Spanned<OneOrMany>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawImpact {
    label: Option<String>,
    escalate: Option<Spanned<Vec<String>>>,
    priority: Option<Priority>,
    requires: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegulatory {
    id: Spanned<String>,
    label: String,
    after: Interval,
}

/// The 1-based line of byte `offset` in `text` (a TOML span's start), for
/// errors naming the line of a runbook file (also of its `[notify]` table).
pub fn line_of(text: &str, offset: usize) -> u32 {
    let n = text
        .get(..offset.min(text.len()))
        .unwrap_or(text)
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1;
    u32::try_from(n).unwrap_or(u32::MAX)
}

type Failure = (Option<u32>, String);

/// The line of a spanned value.
fn at<T>(text: &str, s: &Spanned<T>) -> Option<u32> {
    Some(line_of(text, s.span().start))
}

/// An id from the file, checked.
fn id_at(text: &str, s: &Spanned<String>, what: &str) -> Result<String, Failure> {
    let id = s.get_ref().clone();
    if !valid_id(&id) {
        return Err((
            at(text, s),
            format!("{what} {id:?} must be lower-case letters, digits and '-'"),
        ));
    }
    Ok(id)
}

impl Default for Runbook {
    fn default() -> Runbook {
        static DEFAULT: std::sync::OnceLock<Runbook> = std::sync::OnceLock::new();
        DEFAULT
            .get_or_init(|| {
                // The built-in text is checked by the tests below; it cannot fail.
                match Runbook::parse_over(
                    Runbook::skeleton(),
                    Path::new("<built-in runbook>"),
                    DEFAULT_TOML,
                ) {
                    Ok(r) => r,
                    Err(e) => unreachable!("the built-in runbook is invalid: {e}"),
                }
            })
            .clone()
    }
}

impl Runbook {
    /// The runbook in `text` (the content of `path`), over the defaults.
    pub fn from_toml(path: &Path, text: &str) -> Result<Runbook, RunbookError> {
        Runbook::parse_over(Runbook::default(), path, text)
    }

    fn parse_over(mut rb: Runbook, path: &Path, text: &str) -> Result<Runbook, RunbookError> {
        let err = |line: Option<u32>, message: String| RunbookError {
            path: path.to_owned(),
            line,
            message,
        };
        let raw: RawRunbook = toml::from_str(text).map_err(|e| {
            err(
                e.span().map(|s| line_of(text, s.start)),
                e.message().trim().to_owned(),
            )
        })?;
        rb.apply(raw, text).map_err(|(line, m)| err(line, m))?;
        rb.validate().map_err(|m| err(None, m))?;
        Ok(rb)
    }

    /// Reads the runbook file at `path` (over the defaults).
    pub fn load(path: &Path) -> Result<Runbook, RunbookError> {
        let text = cverun_inventory::read::read_text(path, cverun_inventory::read::Class::Config)
            .map_err(|e| RunbookError {
            path: path.to_owned(),
            line: None,
            message: format!("cannot read the runbook: {e}"),
        })?;
        Runbook::from_toml(path, &text)
    }

    /// An incomplete runbook the built-in text fills in.
    fn skeleton() -> Runbook {
        let policy = PriorityPolicy {
            response: Interval::hours(1),
            update_every: Interval::hours(1),
            targets: BTreeMap::new(),
            approvals: Vec::new(),
            declarer_may_approve: true,
            escalate: Vec::new(),
            phases: Vec::new(),
            gate: Phase::Deployment,
            checklist: BTreeMap::new(),
            missed_updates: None,
        };
        Runbook {
            checklist: BTreeMap::new(),
            priority: Priority::ALL.iter().map(|p| (*p, policy.clone())).collect(),
            impact: BTreeMap::new(),
            regulatory: Vec::new(),
            phases: Vec::new(),
            roles: roster::builtin_roles(),
            people: Vec::new(),
            approval: BTreeMap::new(),
        }
    }

    /// The role `name` means (id or alias, any case).
    pub fn resolve_role(&self, name: &str) -> Option<Role> {
        let f = fold_name(name).replace(['_', ' '], "-");
        self.roles
            .iter()
            .find(|r| r.id.key() == f || r.aliases.iter().any(|a| fold_name(a) == f))
            .map(|r| r.id)
    }

    /// The definition of `role`.
    pub fn role(&self, role: Role) -> Option<&RoleDef> {
        self.roles.iter().find(|r| r.id == role)
    }

    /// The label of `role` (its id when the runbook does not know it).
    pub fn role_label(&self, role: Role) -> String {
        self.role(role)
            .map(|r| r.label.clone())
            .unwrap_or_else(|| role.key().to_owned())
    }

    /// The person `name` means (handle or alias, any case).
    pub fn person(&self, name: &str) -> Option<&Person> {
        roster::find(&self.people, name)
    }

    /// The label of `phase` (`Containment`; `Resolved`, `Cancelled` for the end
    /// states).
    pub fn phase_label(&self, phase: Phase) -> String {
        match self.phases.iter().find(|p| p.id == phase) {
            Some(p) => p.label.clone(),
            None => phase.label().to_owned(),
        }
    }

    /// The phases of `level`, in order.
    pub fn phases(&self, level: Priority) -> &[Phase] {
        &self.policy(level).phases
    }

    /// Where `phase` stands in `level`'s order: its index, the number of phases
    /// for RESOLVED, `None` for CANCELLED and phases `level` does not use.
    pub fn position(&self, level: Priority, phase: Phase) -> Option<usize> {
        let phases = self.phases(level);
        if phase == Phase::Resolved {
            return Some(phases.len());
        }
        phases.iter().position(|p| *p == phase)
    }

    /// The phase after `phase` for `level` (RESOLVED after the last).
    pub fn next(&self, level: Priority, phase: Phase) -> Option<Phase> {
        let phases = self.phases(level);
        let i = phases.iter().position(|p| *p == phase)?;
        Some(phases.get(i + 1).copied().unwrap_or(Phase::Resolved))
    }

    /// The checklist of `phase` for `level` (the priority's own list, else the
    /// default one; empty for the end states).
    pub fn items_for(&self, level: Priority, phase: Phase) -> &[ChecklistItem] {
        self.policy(level)
            .checklist
            .get(&phase)
            .or_else(|| self.checklist.get(&phase))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The item `id` of `level`'s checklists, with its phase.
    pub fn item_for(&self, level: Priority, id: &str) -> Option<(Phase, &ChecklistItem)> {
        self.phases(level).iter().find_map(|phase| {
            self.items_for(level, *phase)
                .iter()
                .find(|i| i.id == id)
                .map(|i| (*phase, i))
        })
    }

    /// Roles and people escalations may name.
    fn known_target(&self, name: &str) -> bool {
        self.resolve_role(name).is_some() || self.person(name).is_some()
    }

    fn apply(&mut self, raw: RawRunbook, text: &str) -> Result<(), Failure> {
        // Roles first: people, approval kinds and escalations name them.
        if let Some(roles) = raw.role {
            for (id, r) in roles {
                let key = id_at(text, &id, "role id")?;
                let role = Role::new(&key).map_err(|m| (at(text, &id), m))?;
                let mut aliases = Vec::new();
                for a in r.aliases.unwrap_or_default() {
                    let name = fold_name(a.get_ref());
                    if !valid_name(&name) {
                        return Err((at(text, &a), format!("role alias {name:?} is not a name")));
                    }
                    aliases.push(name);
                }
                match self.roles.iter_mut().find(|d| d.id == role) {
                    Some(d) => {
                        if let Some(l) = r.label {
                            d.label = l;
                        }
                        for a in aliases {
                            if !d.aliases.contains(&a) {
                                d.aliases.push(a);
                            }
                        }
                    }
                    None => self.roles.push(RoleDef {
                        id: role,
                        label: r.label.unwrap_or_else(|| key.clone()),
                        aliases,
                    }),
                }
            }
            let mut seen: BTreeMap<String, Role> = BTreeMap::new();
            for d in &self.roles {
                for n in std::iter::once(d.id.key().to_owned()).chain(d.aliases.iter().cloned()) {
                    if let Some(other) = seen.insert(n.clone(), d.id)
                        && other != d.id
                    {
                        let line = text.find(&format!("\"{n}\"")).map(|o| line_of(text, o));
                        return Err((
                            line,
                            format!("role name {n:?} means both {other} and {}", d.id.key()),
                        ));
                    }
                }
            }
        }
        if let Some(people) = raw.person {
            let mut out: Vec<Person> = Vec::new();
            let mut names: BTreeMap<String, String> = BTreeMap::new();
            for p in people {
                let handle = p.handle.get_ref().trim().to_owned();
                if !valid_name(&handle) {
                    return Err((
                        at(text, &p.handle),
                        format!(
                            "person handle {handle:?} must be 1 to {} characters without spaces",
                            roster::MAX_NAME_LEN
                        ),
                    ));
                }
                let mut aliases = Vec::new();
                for a in p.aliases.unwrap_or_default() {
                    let name = a.get_ref().trim().to_owned();
                    if !valid_name(&name) {
                        return Err((
                            at(text, &a),
                            format!(
                                "alias {name:?} of {handle} must be 1 to {} characters without spaces",
                                roster::MAX_NAME_LEN
                            ),
                        ));
                    }
                    aliases.push((name, at(text, &a)));
                }
                for (n, line) in std::iter::once((handle.clone(), at(text, &p.handle)))
                    .chain(aliases.iter().cloned())
                {
                    if let Some(other) = names.insert(fold_name(&n), handle.clone()) {
                        return Err((
                            line,
                            format!(
                                "the name {n:?} is used by both {other} and {handle}; handles and aliases are unique (in any case)"
                            ),
                        ));
                    }
                }
                let mut roles = Vec::new();
                for r in p.roles.unwrap_or_default() {
                    let Some(role) = self.resolve_role(r.get_ref()) else {
                        return Err((
                            at(text, &r),
                            format!(
                                "{handle}: unknown role {:?} (roles: {}; add one with [role.ID])",
                                r.get_ref(),
                                self.role_ids().join(", ")
                            ),
                        ));
                    };
                    if !roles.contains(&role) {
                        roles.push(role);
                    }
                }
                let mut contact = BTreeMap::new();
                for (k, v) in p.contact.unwrap_or_default() {
                    if v.trim().is_empty() {
                        return Err((
                            at(text, &p.handle),
                            format!("{handle}: contact {k:?} is empty"),
                        ));
                    }
                    contact.insert(k, v);
                }
                out.push(Person {
                    name: p
                        .name
                        .map(|n| n.trim().to_owned())
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| handle.clone()),
                    handle,
                    aliases: aliases.into_iter().map(|(n, _)| n).collect(),
                    roles,
                    contact,
                });
            }
            self.people = out;
        }
        if let Some(phases) = raw.phase {
            for (id, p) in phases {
                let key = id_at(text, &id, "phase id")?;
                let phase = Phase::new(&key).map_err(|m| (at(text, &id), m))?;
                if phase.is_end() {
                    return Err((
                        at(text, &id),
                        format!("{key} is a fixed end state, not a phase to define"),
                    ));
                }
                if p.label.trim().is_empty() {
                    return Err((at(text, &id), format!("phase {key} has an empty label")));
                }
                match self.phases.iter_mut().find(|d| d.id == phase) {
                    Some(d) => d.label = p.label,
                    None => self.phases.push(PhaseDef {
                        id: phase,
                        label: p.label,
                    }),
                }
            }
        }
        if let Some(kinds) = raw.approval {
            for (id, a) in kinds {
                let key = id_at(text, &id, "approval kind")?;
                if key == "any" {
                    return Err((
                        at(text, &id),
                        "\"any\" means an approval of any kind; it cannot be defined".into(),
                    ));
                }
                let kind = ApprovalKind::new(&key).map_err(|m| (at(text, &id), m))?;
                let mut roles = Vec::new();
                for r in a.roles.get_ref() {
                    let Some(role) = self.resolve_role(r.get_ref()) else {
                        return Err((
                            at(text, r),
                            format!(
                                "approval {key}: unknown role {:?} (roles: {})",
                                r.get_ref(),
                                self.role_ids().join(", ")
                            ),
                        ));
                    };
                    roles.push(role);
                }
                if roles.is_empty() {
                    return Err((
                        at(text, &a.roles),
                        format!("approval {key} names no role that may give it"),
                    ));
                }
                let label = a
                    .label
                    .or_else(|| self.approval.get(&kind).map(|d| d.label.clone()))
                    .unwrap_or_else(|| key.clone());
                self.approval.insert(kind, ApprovalKindDef { label, roles });
            }
        }
        if let Some(lists) = raw.checklist {
            for (phase, items) in lists {
                let phase = self.known_phase(text, &phase)?;
                let items = items_of(text, items)?;
                self.checklist.insert(phase, items);
            }
        }
        if let Some(p) = raw.priority {
            for (level, rp) in [
                (Priority::P0, p.p0),
                (Priority::P1, p.p1),
                (Priority::P2, p.p2),
            ] {
                let Some(rp) = rp else { continue };
                self.apply_priority(level, rp, text)?;
            }
        }
        if let Some(impacts) = raw.impact {
            for (name, ri) in impacts {
                let name = id_at(text, &name, "impact name")?;
                let base = self.impact.get(&name).cloned();
                let escalate = match ri.escalate {
                    Some(e) => {
                        let line = at(text, &e);
                        let e = e.into_inner();
                        if e.iter().any(|t| t.trim().is_empty()) {
                            return Err((line, "impact `escalate` has an empty name".to_owned()));
                        }
                        self.check_targets(&e, line)?;
                        e
                    }
                    None => base
                        .as_ref()
                        .map(|b| b.escalate.clone())
                        .unwrap_or_default(),
                };
                let requires = match ri.requires {
                    Some(r) => {
                        let mut out = Vec::new();
                        for k in r {
                            out.push(self.known_kind(text, &k)?);
                        }
                        out
                    }
                    None => base
                        .as_ref()
                        .map(|b| b.requires.clone())
                        .unwrap_or_default(),
                };
                let policy = ImpactPolicy {
                    label: ri
                        .label
                        .or_else(|| base.as_ref().map(|b| b.label.clone()))
                        .unwrap_or_else(|| name.clone()),
                    escalate,
                    priority: ri.priority.or(base.and_then(|b| b.priority)),
                    requires,
                };
                self.impact.insert(name, policy);
            }
        }
        if let Some(clocks) = raw.regulatory {
            let mut out: Vec<RegulatoryClock> = Vec::new();
            for c in clocks {
                let id = id_at(text, &c.id, "regulatory clock id")?;
                if out.iter().any(|o| o.id == id) {
                    return Err((
                        at(text, &c.id),
                        format!("regulatory clock {id:?} is defined twice"),
                    ));
                }
                out.push(RegulatoryClock {
                    id,
                    label: c.label,
                    after: c.after,
                });
            }
            self.regulatory = out;
        }
        for level in Priority::ALL {
            let mut seen: BTreeMap<&str, Phase> = BTreeMap::new();
            for phase in self.phases(level) {
                for item in self.items_for(level, *phase) {
                    if let Some(other) = seen.insert(&item.id, *phase) {
                        let line = text
                            .find(&format!("\"{}\"", item.id))
                            .map(|o| line_of(text, o));
                        return Err((
                            line,
                            format!(
                                "checklist item id {:?} is used in both {} and {} of {level}; ids must be unique",
                                item.id,
                                other.key(),
                                phase.key()
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    fn apply_priority(
        &mut self,
        level: Priority,
        rp: RawPriority,
        text: &str,
    ) -> Result<(), Failure> {
        let phases = match &rp.phases {
            Some(list) => {
                let mut out = Vec::new();
                for p in list.get_ref() {
                    let phase = self.known_phase(text, p)?;
                    if out.contains(&phase) {
                        return Err((at(text, p), format!("{level} lists {phase} twice")));
                    }
                    out.push(phase);
                }
                if out.is_empty() {
                    return Err((at(text, list), format!("{level} needs at least one phase")));
                }
                Some(out)
            }
            None => None,
        };
        let mut targets = BTreeMap::new();
        if let Some(t) = &rp.targets {
            for (phase, v) in t.get_ref() {
                targets.insert(self.known_phase(text, phase)?, *v);
            }
        }
        let gate = match &rp.gate {
            Some(g) => Some((self.known_phase(text, g)?, at(text, g))),
            None => None,
        };
        let mut approvals = Vec::new();
        for a in rp.approvals.iter().flatten() {
            if a.get_ref() == "any" {
                approvals.push(ApprovalNeed::Any);
            } else {
                approvals.push(ApprovalNeed::of(self.known_kind(text, a)?));
            }
        }
        let mut escalate = Vec::new();
        for r in rp.escalate.iter().flatten() {
            let line = at(text, &r.to);
            let to = match r.to.get_ref() {
                OneOrMany::One(s) => OneOrMany::One(s.clone()),
                OneOrMany::Many(v) => OneOrMany::Many(v.clone()),
            }
            .into_vec();
            if to.is_empty() || to.iter().any(|t| t.trim().is_empty()) {
                return Err((line, "escalation `to` must name who is told".to_owned()));
            }
            self.check_targets(&to, line)?;
            escalate.push(EscalationRule { after: r.after, to });
        }
        let missed = match &rp.missed_updates {
            Some(m) => {
                let line = at(text, m);
                let m = m.get_ref();
                if m.after == 0 {
                    return Err((line, "missed-updates `after` must be at least 1".into()));
                }
                let to: Vec<String> = m.to.iter().map(|t| t.get_ref().clone()).collect();
                if to.is_empty() {
                    return Err((line, "missed-updates `to` must name who is told".into()));
                }
                self.check_targets(&to, line)?;
                Some(MissedUpdates { after: m.after, to })
            }
            None => None,
        };
        let mut checklist = BTreeMap::new();
        if let Some(lists) = rp.checklist {
            for (phase, items) in lists {
                let phase = self.known_phase(text, &phase)?;
                checklist.insert(phase, items_of(text, items)?);
            }
        }
        let Some(policy) = self.priority.get_mut(&level) else {
            return Ok(());
        };
        if let Some(v) = rp.response {
            policy.response = v;
        }
        if let Some(v) = rp.update_every {
            policy.update_every = v;
        }
        if let Some(v) = missed {
            policy.missed_updates = Some(v);
        }
        let phases_given = phases.is_some();
        if let Some(p) = phases {
            policy.phases = p;
        }
        if rp.targets.is_some() {
            if phases_given {
                policy.targets = targets;
            } else {
                policy.targets.extend(targets);
            }
        } else if phases_given {
            let phases = policy.phases.clone();
            policy.targets.retain(|p, _| phases.contains(p));
        }
        if let Some((g, line)) = gate {
            if !policy.phases.contains(&g) {
                return Err((
                    line,
                    format!("{level}: the gate {g} is not one of its phases"),
                ));
            }
            policy.gate = g;
        }
        if rp.approvals.is_some() {
            policy.approvals = approvals;
        }
        if let Some(v) = rp.declarer_may_approve {
            policy.declarer_may_approve = v;
        }
        if rp.escalate.is_some() {
            policy.escalate = escalate;
        }
        for (phase, items) in checklist {
            policy.checklist.insert(phase, items);
        }
        let line = rp.targets.as_ref().map(|t| at(text, t)).unwrap_or(None);
        let line = line.or_else(|| rp.phases.as_ref().and_then(|p| at(text, p)));
        for (phase, _) in policy.targets.iter() {
            if !policy.phases.contains(phase) {
                return Err((
                    line,
                    format!(
                        "{level} has a target for {}, which is not one of its phases",
                        phase.key()
                    ),
                ));
            }
        }
        for phase in &policy.phases {
            if !policy.targets.contains_key(phase) {
                return Err((line, format!("{level} has no target for {}", phase.key())));
            }
        }
        if !policy.phases.contains(&policy.gate) {
            return Err((
                line,
                format!(
                    "{level}: its phases do not include the gate {}; give `gate` (the phase whose entry needs the approvals)",
                    policy.gate.key()
                ),
            ));
        }
        Ok(())
    }

    fn known_phase(&self, text: &str, s: &Spanned<String>) -> Result<Phase, Failure> {
        let key = id_at(text, s, "phase")?;
        self.phases
            .iter()
            .find(|p| p.id.key() == key)
            .map(|p| p.id)
            .ok_or_else(|| {
                (
                    at(text, s),
                    format!(
                        "unknown phase {key:?} (phases: {}; add one with [phase.ID])",
                        self.phases
                            .iter()
                            .map(|p| p.id.key())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }

    fn known_kind(&self, text: &str, s: &Spanned<String>) -> Result<ApprovalKind, Failure> {
        let kind = ApprovalKind::new(s.get_ref()).ok();
        kind.filter(|k| self.approval.contains_key(k)).ok_or_else(|| {
            (
                at(text, s),
                format!(
                    "unknown approval kind {:?} (kinds: {}, or \"any\" in approvals; add one with [approval.ID])",
                    s.get_ref(),
                    self.approval
                        .keys()
                        .map(|k| k.key())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }

    fn check_targets(&self, to: &[String], line: Option<u32>) -> Result<(), Failure> {
        for t in to {
            if !self.known_target(t) {
                return Err((
                    line,
                    format!(
                        "escalation to {t:?}: neither a role ({}) nor a person of the roster",
                        self.role_ids().join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    fn role_ids(&self) -> Vec<&'static str> {
        self.roles.iter().map(|r| r.id.key()).collect()
    }

    /// Checks what the TOML shape cannot, on the whole runbook: every priority has
    /// phases, a target for each and a gate among them; item ids are unique within
    /// a priority; approval kinds, roles and escalation targets exist.
    fn validate(&self) -> Result<(), String> {
        self.validate_structure()?;
        for (level, policy) in &self.priority {
            let targets = policy
                .escalate
                .iter()
                .flat_map(|r| r.to.iter())
                .chain(policy.missed_updates.iter().flat_map(|m| m.to.iter()));
            for t in targets {
                if !self.known_target(t) {
                    return Err(format!(
                        "priority {level}: escalation to {t:?} is neither a role nor a person of the roster"
                    ));
                }
            }
        }
        for (name, i) in &self.impact {
            for t in &i.escalate {
                if !self.known_target(t) {
                    return Err(format!(
                        "impact {name}: escalation to {t:?} is neither a role nor a person of the roster"
                    ));
                }
            }
        }
        for (k, d) in &self.approval {
            for r in &d.roles {
                if self.role(*r).is_none() {
                    return Err(format!("approval {k}: unknown role {r}"));
                }
            }
        }
        for p in &self.people {
            for r in &p.roles {
                if self.role(*r).is_none() {
                    return Err(format!("{}: unknown role {}", p.handle, r.key()));
                }
            }
        }
        Ok(())
    }

    /// What the rules need of a runbook to work an incident: phases, targets and a
    /// gate per priority, unique item ids, known approval kinds. Runbooks recorded
    /// in events are checked with this alone: those recorded before escalations
    /// named roles escalated to free-text audiences ("executive", "ceo"), which
    /// stay readable.
    fn validate_structure(&self) -> Result<(), String> {
        for (level, policy) in &self.priority {
            if policy.phases.is_empty() {
                return Err(format!("priority {level} has no phases"));
            }
            for phase in &policy.phases {
                if phase.is_end() || !self.phases.iter().any(|p| p.id == *phase) {
                    return Err(format!("priority {level}: unknown phase {}", phase.key()));
                }
                if !policy.targets.contains_key(phase) {
                    return Err(format!(
                        "priority {level} has no target for {}",
                        phase.key()
                    ));
                }
            }
            if !policy.phases.contains(&policy.gate) {
                return Err(format!(
                    "priority {level}: the gate {} is not one of its phases",
                    policy.gate.key()
                ));
            }
            if policy.phases.first() == Some(&policy.gate) && !policy.approvals.is_empty() {
                return Err(format!(
                    "priority {level}: the gate {} is the first phase; approvals must gate a later one",
                    policy.gate.key()
                ));
            }
            let mut seen: BTreeMap<&str, Phase> = BTreeMap::new();
            for phase in &policy.phases {
                for item in self.items_for(*level, *phase) {
                    if let Some(other) = seen.insert(&item.id, *phase) {
                        return Err(format!(
                            "checklist item id {:?} is used in both {} and {} of {level}; ids must be unique",
                            item.id,
                            other.key(),
                            phase.key()
                        ));
                    }
                }
            }
            for need in &policy.approvals {
                if let Some(k) = need.kind()
                    && !self.approval.contains_key(&k)
                {
                    return Err(format!("priority {level}: unknown approval kind {k}"));
                }
            }
        }
        for (name, i) in &self.impact {
            for k in &i.requires {
                if !self.approval.contains_key(k) {
                    return Err(format!("impact {name}: unknown approval kind {k}"));
                }
            }
        }
        Ok(())
    }

    /// The policy of `level`.
    pub fn policy(&self, level: Priority) -> &PriorityPolicy {
        // Every runbook built by this module has all three priorities; a runbook read
        // back from an event that lacks one is refused when the incident is loaded.
        &self.priority[&level]
    }

    /// Whether every priority has a policy with phases, targets and a gate (runbooks
    /// read back from stored events are checked with this).
    pub fn is_complete(&self) -> bool {
        Priority::ALL.iter().all(|p| self.priority.contains_key(p))
            && self.validate_structure().is_ok()
    }

    /// The item `id` of the default checklists and its phase.
    pub fn item(&self, id: &str) -> Option<(Phase, &ChecklistItem)> {
        self.checklist
            .iter()
            .find_map(|(phase, items)| items.iter().find(|i| i.id == id).map(|i| (*phase, i)))
    }

    /// The default checklist of `phase` (empty for the end states).
    pub fn items(&self, phase: Phase) -> &[ChecklistItem] {
        self.checklist.get(&phase).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The regulatory clock `id`.
    pub fn regulatory_clock(&self, id: &str) -> Option<&RegulatoryClock> {
        self.regulatory.iter().find(|c| c.id == id)
    }

    /// The runbook as a TOML file (the format [`Runbook::from_toml`] reads).
    pub fn to_toml(&self) -> String {
        let q = |s: &str| toml_string(s);
        let list = |v: &mut dyn Iterator<Item = String>| {
            format!(
                "[{}]",
                v.map(|s| toml_string(&s)).collect::<Vec<_>>().join(", ")
            )
        };
        let mut out = String::new();
        for r in &self.roles {
            let _ = writeln!(out, "[role.{}]", r.id.key());
            let _ = writeln!(out, "label = {}", q(&r.label));
            let _ = writeln!(out, "aliases = {}\n", list(&mut r.aliases.iter().cloned()));
        }
        for p in &self.people {
            out.push_str("[[person]]\n");
            let _ = writeln!(out, "handle = {}", q(&p.handle));
            let _ = writeln!(out, "name = {}", q(&p.name));
            let _ = writeln!(out, "aliases = {}", list(&mut p.aliases.iter().cloned()));
            let _ = writeln!(
                out,
                "roles = {}",
                list(&mut p.roles.iter().map(|r| r.key().to_owned()))
            );
            let contact: Vec<String> = p
                .contact
                .iter()
                .map(|(k, v)| format!("{} = {}", q(k), q(v)))
                .collect();
            let _ = writeln!(out, "contact = {{ {} }}\n", contact.join(", "));
        }
        for p in &self.phases {
            let _ = writeln!(out, "[phase.{}]\nlabel = {}\n", p.id.key(), q(&p.label));
        }
        let items = |out: &mut String, lists: &BTreeMap<Phase, Vec<ChecklistItem>>| {
            for (phase, items) in lists {
                let _ = writeln!(out, "{} = [", phase.key());
                for i in items {
                    let req = if i.required { "" } else { ", required = false" };
                    let by =
                        i.by.map(|b| format!(", by = {}", q(b.key())))
                            .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "  {{ id = {}, text = {}{req}{by} }},",
                        q(&i.id),
                        q(&i.text)
                    );
                }
                out.push_str("]\n");
            }
        };
        out.push_str("[checklist]\n");
        items(&mut out, &self.checklist);
        for (k, d) in &self.approval {
            let _ = writeln!(out, "\n[approval.{}]", k.key());
            let _ = writeln!(out, "label = {}", q(&d.label));
            let _ = writeln!(
                out,
                "roles = {}",
                list(&mut d.roles.iter().map(|r| r.key().to_owned()))
            );
        }
        for (level, p) in &self.priority {
            let _ = writeln!(out, "\n[priority.{level}]");
            let _ = writeln!(out, "response = {}", q(&p.response.to_string()));
            let _ = writeln!(out, "update-every = {}", q(&p.update_every.to_string()));
            if let Some(m) = &p.missed_updates {
                let _ = writeln!(
                    out,
                    "missed-updates = {{ after = {}, to = {} }}",
                    m.after,
                    list(&mut m.to.iter().cloned())
                );
            }
            let _ = writeln!(
                out,
                "phases = {}",
                list(&mut p.phases.iter().map(|p| p.key().to_owned()))
            );
            let targets: Vec<String> = p
                .targets
                .iter()
                .map(|(ph, v)| format!("{} = {}", ph.key(), q(&v.to_string())))
                .collect();
            let _ = writeln!(out, "targets = {{ {} }}", targets.join(", "));
            let _ = writeln!(out, "gate = {}", q(p.gate.key()));
            let _ = writeln!(
                out,
                "approvals = {}",
                list(&mut p.approvals.iter().map(|a| a.key().to_owned()))
            );
            let _ = writeln!(out, "declarer-may-approve = {}", p.declarer_may_approve);
            let rules: Vec<String> = p
                .escalate
                .iter()
                .map(|r| {
                    format!(
                        "{{ after = {}, to = {} }}",
                        q(&r.after.to_string()),
                        list(&mut r.to.iter().cloned())
                    )
                })
                .collect();
            let _ = writeln!(out, "escalate = [{}]", rules.join(", "));
            if !p.checklist.is_empty() {
                let _ = writeln!(out, "\n[priority.{level}.checklist]");
                items(&mut out, &p.checklist);
            }
        }
        for (name, i) in &self.impact {
            let _ = writeln!(out, "\n[impact.{name}]");
            let _ = writeln!(out, "label = {}", q(&i.label));
            let _ = writeln!(out, "escalate = {}", list(&mut i.escalate.iter().cloned()));
            if let Some(p) = i.priority {
                let _ = writeln!(out, "priority = \"{p}\"");
            }
            if !i.requires.is_empty() {
                let _ = writeln!(
                    out,
                    "requires = {}",
                    list(&mut i.requires.iter().map(|k| k.key().to_owned()))
                );
            }
        }
        for c in &self.regulatory {
            out.push_str("\n[[regulatory]]\n");
            let _ = writeln!(out, "id = {}", q(&c.id));
            let _ = writeln!(out, "label = {}", q(&c.label));
            let _ = writeln!(out, "after = {}", q(&c.after.to_string()));
        }
        out
    }

    /// The ids of the default checklist of `phase`, for messages.
    pub fn item_ids(&self, phase: Phase) -> Vec<&str> {
        self.items(phase).iter().map(|i| i.id.as_str()).collect()
    }

    /// The ids of `level`'s checklist of `phase`, for messages.
    pub fn item_ids_for(&self, level: Priority, phase: Phase) -> Vec<&str> {
        self.items_for(level, phase)
            .iter()
            .map(|i| i.id.as_str())
            .collect()
    }

    /// Impact names, for messages.
    pub fn impact_names(&self) -> BTreeSet<&str> {
        self.impact.keys().map(String::as_str).collect()
    }
}

/// Checklist items from the file, checked.
fn items_of(text: &str, items: Vec<RawItem>) -> Result<Vec<ChecklistItem>, Failure> {
    let mut out = Vec::new();
    for item in items {
        let line = at(text, &item.id);
        let id = item.id.into_inner();
        if !valid_id(&id) {
            return Err((
                line,
                format!("checklist item id {id:?} must be lower-case letters, digits and '-'"),
            ));
        }
        if item.text.trim().is_empty() {
            return Err((line, format!("checklist item {id:?} has an empty text")));
        }
        if out.iter().any(|i: &ChecklistItem| i.id == id) {
            return Err((
                line,
                format!("checklist item id {id:?} is used twice; ids must be unique"),
            ));
        }
        let by = match &item.by {
            Some(b) => Some(
                CheckedBy::ALL
                    .into_iter()
                    .find(|c| c.key() == b.get_ref())
                    .ok_or_else(|| {
                        (
                            at(text, b),
                            format!(
                                "checklist item {id:?}: unknown `by` {:?} (the commands that check items: {})",
                                b.get_ref(),
                                CheckedBy::ALL.map(CheckedBy::key).join(", ")
                            ),
                        )
                    })?,
            ),
            None => None,
        };
        out.push(ChecklistItem {
            id,
            text: item.text,
            required: item.required.unwrap_or(true),
            by,
        });
    }
    Ok(out)
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A roster for tests: alice (commander, security lead), bob (commander, devops),
/// carol (technical lead), dave (security lead).
#[cfg(test)]
pub(crate) const TEST_TEAM: &str = r#"
[[person]]
handle = "alice"
name = "Alice Martin"
aliases = ["alice@example.com"]
roles = ["commander", "security-lead"]
contact = { email = "alice@example.com" }

[[person]]
handle = "bob"
roles = ["commander", "devops"]

[[person]]
handle = "carol"
aliases = ["@carol"]
roles = ["technical-lead"]

[[person]]
handle = "dave"
roles = ["security-lead"]
"#;

/// The built-in runbook with [`TEST_TEAM`].
#[cfg(test)]
pub(crate) fn test_runbook() -> Runbook {
    match Runbook::from_toml(Path::new("team.toml"), TEST_TEAM) {
        Ok(r) => r,
        Err(e) => panic!("{e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Runbook, RunbookError> {
        Runbook::from_toml(Path::new("runbook.toml"), text)
    }

    #[test]
    fn defaults_are_the_runbooks_numbers() {
        let r = Runbook::default();
        assert_eq!(r.items(Phase::Containment).len(), 4);
        assert_eq!(r.items(Phase::Remediation).len(), 3);
        assert_eq!(r.items(Phase::Validation).len(), 5);
        assert_eq!(r.items(Phase::Deployment).len(), 3);
        assert_eq!(r.items(Phase::PostMortem).len(), 3);
        let p0 = r.policy(Priority::P0);
        assert_eq!(p0.response, Interval::hours(2));
        assert_eq!(p0.update_every, Interval::minutes(30));
        assert_eq!(
            Phase::ACTIVE.map(|ph| p0.targets[&ph].as_seconds() / 3600),
            [2, 4, 6, 8, 24]
        );
        assert_eq!(
            p0.approvals,
            vec![ApprovalNeed::Technical, ApprovalNeed::Security]
        );
        assert!(!p0.declarer_may_approve);
        assert_eq!(p0.escalate[0].to, vec!["executive"]);
        let p1 = r.policy(Priority::P1);
        assert_eq!(
            Phase::ACTIVE.map(|ph| p1.targets[&ph].as_seconds() / 3600),
            [8, 24, 36, 48, 120]
        );
        assert_eq!(p1.approvals, vec![ApprovalNeed::Any]);
        assert_eq!(p1.escalate[0].after, Interval::hours(4));
        let p2 = r.policy(Priority::P2);
        assert_eq!(p2.response, Interval::hours(72));
        assert_eq!(p2.update_every, Interval::hours(4));
        assert!(p2.approvals.is_empty());
        assert_eq!(p2.escalate[0].to, vec!["team-lead"]);
        assert_eq!(
            r.impact["customer-data"].escalate,
            vec!["executive", "legal"]
        );
        assert_eq!(r.impact["active-exploitation"].priority, Some(Priority::P0));
        assert_eq!(r.regulatory.len(), 3);
        assert_eq!(
            r.regulatory_clock("nis2-early-warning").unwrap().after,
            Interval::hours(24)
        );
        assert!(r.is_complete());
    }

    #[test]
    fn an_override_replaces_only_what_it_names() {
        let r = parse(
            r#"
[checklist]
containment = [{ id = "paged", text = "Owners paged" }, { id = "freeze", text = "Freeze", required = false }]

[priority.P0]
update-every = "15m"
approvals = ["security", "security", "any"]

[impact.outage]
label = "Service down"
escalate = "ops"
"#,
        );
        // `escalate = "ops"` is not a list.
        let e = r.unwrap_err();
        assert_eq!(e.line, Some(11), "{e}");
        let r = parse(
            r#"
[checklist]
containment = [{ id = "paged", text = "Owners paged" }, { id = "freeze", text = "Freeze", required = false }]

[priority.P0]
update-every = "15m"
approvals = ["security", "security", "any"]
escalate = [{ after = "1h", to = "cto" }, { after = "3h", to = ["ceo", "board"] }]

[impact.outage]
label = "Service down"
escalate = ["ops"]

[role.cto]
label = "CTO"
[role.ceo]
label = "CEO"
[role.board]
label = "Board"
[role.ops]
label = "Operations"
"#,
        )
        .unwrap();
        assert_eq!(r.item_ids(Phase::Containment), vec!["paged", "freeze"]);
        assert!(!r.items(Phase::Containment)[1].required);
        assert_eq!(
            r.items(Phase::Remediation).len(),
            3,
            "other phases keep defaults"
        );
        let p0 = r.policy(Priority::P0);
        assert_eq!(p0.update_every, Interval::minutes(15));
        assert_eq!(
            p0.response,
            Interval::hours(2),
            "unnamed keys keep defaults"
        );
        assert_eq!(p0.approvals.len(), 3);
        assert_eq!(p0.escalate[1].to, vec!["ceo", "board"]);
        assert_eq!(r.impact["outage"].escalate, vec!["ops"]);
        assert!(
            r.impact.contains_key("customer-data"),
            "default impacts stay"
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            (
                "[priority.P0]\nresponse = \"2 hours\"\n",
                2,
                "invalid length of time",
            ),
            ("[priority.P3]\nresponse = \"2h\"\n", 1, "unknown field"),
            (
                "\n\n[checklist]\ncontainment = [{ id = \"x\", text = \"X\", requird = true }]\n",
                4,
                "unknown field",
            ),
            (
                "[checklist]\ncontainment = [{ id = \"Blast Radius\", text = \"X\" }]\n",
                2,
                "lower-case",
            ),
            (
                "[checklist]\nremediation = [{ id = \"blast-radius\", text = \"X\" }]\n",
                2,
                "unique",
            ),
            (
                "[priority.P1]\napprovals = [\"ceo\"]\n",
                2,
                "unknown approval kind",
            ),
            (
                "[priority.P1]\nescalate = [{ after = \"1h\", to = [] }]\n",
                2,
                "who is told",
            ),
            (
                "[[regulatory]]\nid = \"a\"\nlabel = \"A\"\nafter = \"1h\"\n[[regulatory]]\nid = \"a\"\nlabel = \"B\"\nafter = \"2h\"\n",
                6,
                "twice",
            ),
            ("[priority.P0\n", 1, ""),
            ("[priority.P0]\nresponse = \"0m\"\n", 2, "more than zero"),
        ];
        for (text, line, needle) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert!(e.to_string().starts_with("runbook.toml:"), "{e}");
            assert!(e.message.contains(needle), "{text:?}: {e}");
        }
    }

    #[test]
    fn printed_runbooks_read_back_identically() {
        let r = Runbook::default();
        assert_eq!(parse(&r.to_toml()).unwrap(), r);
        let custom = parse(
            "[checklist]\ncontainment = [{ id = \"q\", text = \"say \\\"hi\\\"\\n\", required = false }]\n",
        )
        .unwrap();
        assert_eq!(parse(&custom.to_toml()).unwrap(), custom);
        let json = serde_json::to_string(&custom).unwrap();
        assert_eq!(serde_json::from_str::<Runbook>(&json).unwrap(), custom);
    }

    #[test]
    fn items_may_be_checked_by_a_command() {
        let r = Runbook::default();
        let (phase, item) = r.item("rescan-clean").unwrap();
        assert_eq!(
            (phase, item.by),
            (Phase::Validation, Some(CheckedBy::Verify))
        );
        let by: Vec<&str> = Phase::ACTIVE
            .iter()
            .flat_map(|p| r.items(*p))
            .filter(|i| i.by.is_some())
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(
            by,
            ["rescan-clean"],
            "the only built-in item checked by a command"
        );
        assert!(
            r.to_toml()
                .contains(r#"{ id = "rescan-clean", text = "Re-scan clean", by = "verify" },"#)
        );
        let custom = parse(
            "[checklist]\nvalidation = [\n  { id = \"clean\", text = \"Clean\", by = \"verify\", required = false },\n  { id = \"tests\", text = \"Tests\" },\n]\n",
        )
        .unwrap();
        assert_eq!(
            custom.items(Phase::Validation)[0].by,
            Some(CheckedBy::Verify)
        );
        assert_eq!(custom.items(Phase::Validation)[1].by, None);
        assert_eq!(parse(&custom.to_toml()).unwrap(), custom);
        let e = parse("[checklist]\nvalidation = [\n  { id = \"clean\", text = \"Clean\", by = \"scan\" },\n]\n")
            .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(
            e.message.contains("unknown `by` \"scan\"") && e.message.contains("verify"),
            "{e}"
        );
        // Runbooks recorded before the attribute existed read back without it.
        let mut v = serde_json::to_value(Runbook::default()).unwrap();
        let items = v["checklist"]["validation"].as_array_mut().unwrap();
        assert_eq!(items[0]["by"], "verify");
        items[0].as_object_mut().unwrap().remove("by");
        let older: Runbook = serde_json::from_value(v).unwrap();
        assert_eq!(older.item("rescan-clean").unwrap().1.by, None);
    }

    #[test]
    fn a_missing_file_is_a_clear_error() {
        let e = Runbook::load(Path::new("/nonexistent/runbook.toml")).unwrap_err();
        assert!(e.message.contains("cannot read the runbook"), "{e}");
    }

    #[test]
    fn the_three_phase_example_loads() {
        let text = include_str!("../../../examples/runbooks/three-phase.toml");
        let r = parse(text).unwrap();
        let ids = |ps: &[Phase]| ps.iter().map(|p| p.key()).collect::<Vec<_>>();
        assert_eq!(
            ids(r.phases(Priority::P0)),
            ["immediate", "short-term-mitigation", "resolution"]
        );
        let p0 = r.policy(Priority::P0);
        assert_eq!(
            p0.targets[&Phase::new("immediate").unwrap()],
            Interval::minutes(15)
        );
        assert_eq!(p0.gate.key(), "resolution");
        assert_eq!(r.phase_label(p0.phases[1]), "Short-term mitigation");
        for role in [
            "dba",
            "network-engineer",
            "compliance-officer",
            "legal-counsel",
            "executive-sponsor",
            "cto",
        ] {
            assert!(r.resolve_role(role).is_some(), "{role}");
        }
        assert_eq!(r.resolve_role("Counsel").unwrap().key(), "legal-counsel");
        // P1 has no immediate code freeze; P0 has.
        let immediate = Phase::new("immediate").unwrap();
        assert!(
            r.item_ids_for(Priority::P0, immediate)
                .contains(&"code-freeze")
        );
        assert!(
            !r.item_ids_for(Priority::P1, immediate)
                .contains(&"code-freeze")
        );
        assert_eq!(
            r.impact["customer-data"].requires,
            vec![ApprovalKind::new("cto").unwrap()]
        );
        let erin = r.person("ERIN@example.com").unwrap();
        assert_eq!(erin.handle, "erin");
        assert!(erin.may_hold(Role::new("cto").unwrap()));
        assert_eq!(erin.contact["phone"], "+33 1 98 76 54 32");
        assert_eq!(parse(&r.to_toml()).unwrap(), r, "prints and reads back");
        let resolution = Phase::new("resolution").unwrap();
        let rescan = r
            .items_for(Priority::P0, resolution)
            .iter()
            .find(|i| i.id == "rescan-clean")
            .unwrap();
        assert_eq!(rescan.by, Some(CheckedBy::Verify));
    }

    #[test]
    fn roster_errors_name_the_line() {
        let cases = [
            (
                "[[person]]\nhandle = \"a\"\nroles = [\"ceo\"]\n",
                3,
                "unknown role \"ceo\"",
            ),
            (
                "[[person]]\nhandle = \"a\"\n[[person]]\nhandle = \"A\"\n",
                4,
                "used by both a and A",
            ),
            (
                "[[person]]\nhandle = \"a\"\naliases = [\"x\"]\n[[person]]\nhandle = \"b\"\naliases = [\"X\"]\n",
                6,
                "used by both a and b",
            ),
            ("[[person]]\nhandle = \"a b\"\n", 2, "without spaces"),
            (
                "[[person]]\nhandle = \"a\"\nteam = \"x\"\n",
                3,
                "unknown field",
            ),
            (
                "[priority.P0]\nescalate = [{ after = \"1h\", to = [\"nobody\"] }]\n",
                2,
                "neither a role",
            ),
            (
                "[priority.P0]\nphases = [\"containment\", \"later\"]\n",
                2,
                "unknown phase \"later\"",
            ),
            (
                "[phase.fast]\nlabel = \"Fast\"\n[priority.P0]\nphases = [\"fast\"]\n",
                4,
                "no target for fast",
            ),
            ("[approval.cto]\nroles = [\"cto\"]\n", 2, "unknown role"),
            (
                "[impact.x]\nlabel = \"X\"\nrequires = [\"cto\"]\n",
                3,
                "unknown approval kind",
            ),
            ("[phase.resolved]\nlabel = \"R\"\n", 1, "fixed end state"),
        ];
        for (text, line, needle) in cases {
            let e = parse(text).unwrap_err();
            assert_eq!(e.line, Some(line), "{text:?}: {e}");
            assert!(e.message.contains(needle), "{text:?}: {e}");
        }
    }
}
