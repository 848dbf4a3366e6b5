//! The runbook as data: each phase's checklist, and per priority the deadlines,
//! status-update cadence, approvals and escalations; impacts and regulatory clocks.
//!
//! Defaults are built in ([`DEFAULT_TOML`], the runbook's own numbers). A team
//! overrides any part in a TOML file (`.cverun/runbook.toml` or `--runbook FILE`):
//! every key given replaces the default of that key, everything else keeps its
//! default. A checklist given for a phase replaces that phase's whole list; `impact`
//! entries are added to (or replace) the default ones by name; a `regulatory` list
//! replaces the default list.
//!
//! An incident records the runbook it was declared under in its first event, so its
//! deadlines, gates and checklists cannot change under it.
//!
//! Errors name the file and line (from the TOML parser's spans), and unknown keys are
//! errors, so a typo never silently falls back to a default.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::interval::Interval;
use crate::model::{ApprovalNeed, Phase, Priority};

/// The built-in runbook. `cverun incident runbook` prints the effective one.
pub const DEFAULT_TOML: &str = r#"# cverun runbook: what an incident goes through. Every key is optional; a key given
# replaces its default. Lengths of time: "30m", "2h", "1h 30m", "3d".

# Each phase's checklist. An item is checked with `cverun incident check ID ITEM`;
# a phase cannot be left with a required item open unless forced with a reason.
# Item ids are unique across all phases.
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
  { id = "rescan-clean", text = "Re-scan clean" },
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

# Per priority. Deadlines count from the declaration:
#   response: an incident commander must be assigned by then;
#   targets: each phase must be completed (left for the next one) by then.
# update-every: a status update is due this long after the previous one (or after
#   the declaration).
# approvals: what entering DEPLOYMENT needs, each from a different person:
#   "technical", "security" or "any" (either kind).
# declarer-may-approve: whether the person who declared the incident may approve.
# escalate: who is told when the incident is still open this long after declaration.
[priority.P0]
response = "2h"
update-every = "30m"
targets = { containment = "2h", remediation = "4h", validation = "6h", deployment = "8h", post-mortem = "24h" }
approvals = ["technical", "security"]
declarer-may-approve = false
escalate = [{ after = "2h", to = ["executive"] }]

[priority.P1]
response = "8h"
update-every = "1h"
targets = { containment = "8h", remediation = "24h", validation = "36h", deployment = "48h", post-mortem = "120h" }
approvals = ["any"]
declarer-may-approve = true
escalate = [{ after = "4h", to = ["management"] }]

[priority.P2]
response = "72h"
update-every = "4h"
targets = { containment = "72h", remediation = "120h", validation = "168h", deployment = "240h", post-mortem = "336h" }
approvals = []
declarer-may-approve = true
escalate = [{ after = "8h", to = ["team-lead"] }]

# Impacts recorded with `cverun incident impact ID NAME`: who is told at once, and
# the priority the incident is raised to (never lowered).
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
}

fn yes() -> bool {
    true
}

/// An escalation rule: tell `to` when still open `after` the declaration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationRule {
    /// How long after the declaration.
    pub after: Interval,
    /// Who is told.
    pub to: Vec<String>,
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
    /// What entering DEPLOYMENT needs, each from a different person.
    pub approvals: Vec<ApprovalNeed>,
    /// Whether the declarer's own approval counts.
    pub declarer_may_approve: bool,
    /// Time-based escalations.
    pub escalate: Vec<EscalationRule>,
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
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Runbook {
    /// Checklists of the five active phases.
    pub checklist: BTreeMap<Phase, Vec<ChecklistItem>>,
    /// Policies of P0, P1, P2.
    pub priority: BTreeMap<Priority, PriorityPolicy>,
    /// Impacts by name.
    pub impact: BTreeMap<String, ImpactPolicy>,
    /// Regulatory clocks.
    pub regulatory: Vec<RegulatoryClock>,
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
    checklist: Option<RawChecklists>,
    priority: Option<RawPriorities>,
    impact: Option<BTreeMap<String, RawImpact>>,
    regulatory: Option<Vec<RawRegulatory>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawChecklists {
    containment: Option<Vec<RawItem>>,
    remediation: Option<Vec<RawItem>>,
    validation: Option<Vec<RawItem>>,
    deployment: Option<Vec<RawItem>>,
    post_mortem: Option<Vec<RawItem>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Spanned<String>,
    text: String,
    required: Option<bool>,
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
    targets: Option<RawTargets>,
    approvals: Option<Vec<ApprovalNeed>>,
    declarer_may_approve: Option<bool>,
    escalate: Option<Vec<RawEscalation>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTargets {
    containment: Option<Interval>,
    remediation: Option<Interval>,
    validation: Option<Interval>,
    deployment: Option<Interval>,
    post_mortem: Option<Interval>,
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegulatory {
    id: Spanned<String>,
    label: String,
    after: Interval,
}

fn line_of(text: &str, offset: usize) -> u32 {
    let n = text
        .get(..offset.min(text.len()))
        .unwrap_or(text)
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1;
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Whether `id` is a usable short id: lower-case letters, digits and `-`.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
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
        };
        Runbook {
            checklist: Phase::ACTIVE.iter().map(|p| (*p, Vec::new())).collect(),
            priority: Priority::ALL.iter().map(|p| (*p, policy.clone())).collect(),
            impact: BTreeMap::new(),
            regulatory: Vec::new(),
        }
    }

    fn apply(&mut self, raw: RawRunbook, text: &str) -> Result<(), (Option<u32>, String)> {
        if let Some(c) = raw.checklist {
            let lists = [
                (Phase::Containment, c.containment),
                (Phase::Remediation, c.remediation),
                (Phase::Validation, c.validation),
                (Phase::Deployment, c.deployment),
                (Phase::PostMortem, c.post_mortem),
            ];
            for (phase, items) in lists {
                let Some(items) = items else { continue };
                let mut out = Vec::new();
                for item in items {
                    let line = Some(line_of(text, item.id.span().start));
                    let id = item.id.into_inner();
                    if !valid_id(&id) {
                        return Err((
                            line,
                            format!(
                                "checklist item id {id:?} must be lower-case letters, digits and '-'"
                            ),
                        ));
                    }
                    if item.text.trim().is_empty() {
                        return Err((line, format!("checklist item {id:?} has an empty text")));
                    }
                    out.push(ChecklistItem {
                        id,
                        text: item.text,
                        required: item.required.unwrap_or(true),
                    });
                }
                self.checklist.insert(phase, out);
            }
        }
        // Item ids are unique across phases (checked on the whole, merged runbook).
        let mut seen: BTreeMap<&str, Phase> = BTreeMap::new();
        for (phase, items) in &self.checklist {
            for item in items {
                if let Some(other) = seen.insert(&item.id, *phase) {
                    let line = text
                        .find(&format!("\"{}\"", item.id))
                        .map(|o| line_of(text, o));
                    return Err((
                        line,
                        format!(
                            "checklist item id {:?} is used in both {} and {}; ids must be unique",
                            item.id,
                            other.key(),
                            phase.key()
                        ),
                    ));
                }
            }
        }
        if let Some(p) = raw.priority {
            for (level, rp) in [
                (Priority::P0, p.p0),
                (Priority::P1, p.p1),
                (Priority::P2, p.p2),
            ] {
                let Some(rp) = rp else { continue };
                let Some(policy) = self.priority.get_mut(&level) else {
                    continue;
                };
                if let Some(v) = rp.response {
                    policy.response = v;
                }
                if let Some(v) = rp.update_every {
                    policy.update_every = v;
                }
                if let Some(t) = rp.targets {
                    for (phase, v) in [
                        (Phase::Containment, t.containment),
                        (Phase::Remediation, t.remediation),
                        (Phase::Validation, t.validation),
                        (Phase::Deployment, t.deployment),
                        (Phase::PostMortem, t.post_mortem),
                    ] {
                        if let Some(v) = v {
                            policy.targets.insert(phase, v);
                        }
                    }
                }
                if let Some(v) = rp.approvals {
                    policy.approvals = v;
                }
                if let Some(v) = rp.declarer_may_approve {
                    policy.declarer_may_approve = v;
                }
                if let Some(rules) = rp.escalate {
                    let mut out = Vec::new();
                    for r in rules {
                        let line = Some(line_of(text, r.to.span().start));
                        let to = r.to.into_inner().into_vec();
                        if to.is_empty() || to.iter().any(|t| t.trim().is_empty()) {
                            return Err((line, "escalation `to` must name who is told".to_owned()));
                        }
                        out.push(EscalationRule { after: r.after, to });
                    }
                    policy.escalate = out;
                }
            }
        }
        if let Some(impacts) = raw.impact {
            for (name, ri) in impacts {
                if !valid_id(&name) {
                    let line = text.find(&name).map(|o| line_of(text, o));
                    return Err((
                        line,
                        format!("impact name {name:?} must be lower-case letters, digits and '-'"),
                    ));
                }
                let base = self.impact.get(&name).cloned();
                let escalate = match ri.escalate {
                    Some(e) => {
                        let line = Some(line_of(text, e.span().start));
                        let e = e.into_inner();
                        if e.iter().any(|t| t.trim().is_empty()) {
                            return Err((line, "impact `escalate` has an empty name".to_owned()));
                        }
                        e
                    }
                    None => base
                        .as_ref()
                        .map(|b| b.escalate.clone())
                        .unwrap_or_default(),
                };
                let policy = ImpactPolicy {
                    label: ri
                        .label
                        .or_else(|| base.as_ref().map(|b| b.label.clone()))
                        .unwrap_or_else(|| name.clone()),
                    escalate,
                    priority: ri.priority.or(base.and_then(|b| b.priority)),
                };
                self.impact.insert(name, policy);
            }
        }
        if let Some(clocks) = raw.regulatory {
            let mut out: Vec<RegulatoryClock> = Vec::new();
            for c in clocks {
                let line = Some(line_of(text, c.id.span().start));
                let id = c.id.into_inner();
                if !valid_id(&id) {
                    return Err((
                        line,
                        format!(
                            "regulatory clock id {id:?} must be lower-case letters, digits and '-'"
                        ),
                    ));
                }
                if out.iter().any(|o| o.id == id) {
                    return Err((line, format!("regulatory clock {id:?} is defined twice")));
                }
                out.push(RegulatoryClock {
                    id,
                    label: c.label,
                    after: c.after,
                });
            }
            self.regulatory = out;
        }
        Ok(())
    }

    /// Checks what the TOML shape cannot: every priority has every phase target.
    fn validate(&self) -> Result<(), String> {
        for (level, policy) in &self.priority {
            for phase in Phase::ACTIVE {
                if !policy.targets.contains_key(&phase) {
                    return Err(format!(
                        "priority {level} has no target for {}",
                        phase.key()
                    ));
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

    /// Whether every priority has a policy with every target (runbooks read back
    /// from stored events are checked with this).
    pub fn is_complete(&self) -> bool {
        Priority::ALL.iter().all(|p| self.priority.contains_key(p)) && self.validate().is_ok()
    }

    /// The checklist item `id` and its phase.
    pub fn item(&self, id: &str) -> Option<(Phase, &ChecklistItem)> {
        self.checklist
            .iter()
            .find_map(|(phase, items)| items.iter().find(|i| i.id == id).map(|i| (*phase, i)))
    }

    /// The checklist of `phase` (empty for the end states).
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
        let mut out = String::new();
        out.push_str("[checklist]\n");
        for (phase, items) in &self.checklist {
            let _ = writeln!(out, "{} = [", phase.key());
            for i in items {
                let req = if i.required { "" } else { ", required = false" };
                let _ = writeln!(
                    out,
                    "  {{ id = {}, text = {}{req} }},",
                    q(&i.id),
                    q(&i.text)
                );
            }
            out.push_str("]\n");
        }
        for (level, p) in &self.priority {
            let _ = writeln!(out, "\n[priority.{level}]");
            let _ = writeln!(out, "response = {}", q(&p.response.to_string()));
            let _ = writeln!(out, "update-every = {}", q(&p.update_every.to_string()));
            let targets: Vec<String> = p
                .targets
                .iter()
                .map(|(ph, v)| format!("{} = {}", ph.key(), q(&v.to_string())))
                .collect();
            let _ = writeln!(out, "targets = {{ {} }}", targets.join(", "));
            let approvals: Vec<String> = p.approvals.iter().map(|a| q(a.key())).collect();
            let _ = writeln!(out, "approvals = [{}]", approvals.join(", "));
            let _ = writeln!(out, "declarer-may-approve = {}", p.declarer_may_approve);
            let rules: Vec<String> = p
                .escalate
                .iter()
                .map(|r| {
                    let to: Vec<String> = r.to.iter().map(|t| q(t)).collect();
                    format!(
                        "{{ after = {}, to = [{}] }}",
                        q(&r.after.to_string()),
                        to.join(", ")
                    )
                })
                .collect();
            let _ = writeln!(out, "escalate = [{}]", rules.join(", "));
        }
        for (name, i) in &self.impact {
            let _ = writeln!(out, "\n[impact.{name}]");
            let _ = writeln!(out, "label = {}", q(&i.label));
            let to: Vec<String> = i.escalate.iter().map(|t| q(t)).collect();
            let _ = writeln!(out, "escalate = [{}]", to.join(", "));
            if let Some(p) = i.priority {
                let _ = writeln!(out, "priority = \"{p}\"");
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

    /// Every checklist item id, for messages.
    pub fn item_ids(&self, phase: Phase) -> Vec<&str> {
        self.items(phase).iter().map(|i| i.id.as_str()).collect()
    }

    /// Impact names, for messages.
    pub fn impact_names(&self) -> BTreeSet<&str> {
        self.impact.keys().map(String::as_str).collect()
    }
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
                "unknown variant",
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
    fn a_missing_file_is_a_clear_error() {
        let e = Runbook::load(Path::new("/nonexistent/runbook.toml")).unwrap_err();
        assert!(e.message.contains("cannot read the runbook"), "{e}");
    }
}
