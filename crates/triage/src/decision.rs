//! The runbook's decision matrix: what to do about one vulnerable package.
//!
//! | situation | decision |
//! | --- | --- |
//! | a safe version exists, reached without a breaking upgrade | HOTFIX |
//! | a safe version exists, but only through a breaking upgrade (or that is unknown) | HOTFIX + CODE CHANGES |
//! | no safe version above, but a partial upgrade fixes this advisory (the version fixing the most of the package's advisories) | HOTFIX or HOTFIX + CODE CHANGES to it, naming the advisories it leaves |
//! | an advisory the partial upgrade leaves, or no version above fixes anything; an approved, active exception with mitigations | WORKAROUND + EXCEPTION |
//! | the same; an earlier version no advisory affects | ROLLBACK |
//! | none of these | REMOVE / REPLACE |
//!
//! "Safe" means no known advisory of the package affects the version (see
//! `cverun_osv::fix`); "breaking" follows `cverun_versions::upgrade` (a major version,
//! SemVer's `0.y` caret rule, a Go toolchain upgrade across minors; calendar versions
//! are not majors). When it is unknown whether an upgrade is breaking, it is treated
//! as breaking: planning for code changes that turn out unneeded costs less than a
//! hotfix that breaks the build during an incident.
//!
//! [`decide`] decides for the package (a partial upgrade lists the advisories it
//! leaves in [`Decision::unfixed`], each with its own decision); [`decide_for`]
//! decides for one advisory of it (a finding), which differs only for an advisory the
//! partial upgrade leaves. REMOVE / REPLACE is the decision only when no known
//! version fixes any of the package's advisories and nothing else applies.

use std::fmt;

use cverun_osv::{FixOptions, OwnFix};
use serde::Serialize;

/// A decision of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Action {
    /// Upgrade to a compatible patched version.
    #[serde(rename = "HOTFIX")]
    Hotfix,
    /// Upgrade to a patched version that crosses a major version.
    #[serde(rename = "HOTFIX + CODE CHANGES")]
    HotfixCodeChanges,
    /// No patch: apply the approved exception's mitigations until it expires.
    #[serde(rename = "WORKAROUND + EXCEPTION")]
    WorkaroundException,
    /// No patch: go back to an earlier unaffected version.
    #[serde(rename = "ROLLBACK")]
    Rollback,
    /// No safe version at all: remove or replace the package.
    #[serde(rename = "REMOVE / REPLACE")]
    RemoveReplace,
}

impl Action {
    /// The runbook's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Hotfix => "HOTFIX",
            Action::HotfixCodeChanges => "HOTFIX + CODE CHANGES",
            Action::WorkaroundException => "WORKAROUND + EXCEPTION",
            Action::Rollback => "ROLLBACK",
            Action::RemoveReplace => "REMOVE / REPLACE",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An active exception's part in a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workaround<'a> {
    /// Its mitigations (a decision needs at least one).
    pub mitigations: &'a [String],
    /// Until when (YYYY-MM-DD).
    pub expires: String,
    /// Who approved it.
    pub approved_by: &'a str,
}

/// A decision with the version it leads to and a sentence saying why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// The action.
    pub action: Action,
    /// The version to move to (upgrade or rollback), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Why.
    pub explanation: String,
    /// For a partial upgrade: the advisories it leaves, each with its own decision
    /// (absent when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unfixed: Vec<Unfixed>,
}

/// An advisory a partial upgrade leaves, and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unfixed {
    /// The advisory (a finding's primary id).
    pub advisory: String,
    /// Its own decision (WORKAROUND + EXCEPTION, ROLLBACK or REMOVE / REPLACE).
    pub action: Action,
    /// The version to move to, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Why.
    pub explanation: String,
}

/// `breaking` as words for an explanation, with the upgrade's note.
fn crossing(breaking: Option<bool>, note: Option<&str>) -> String {
    let base = match breaking {
        Some(false) => "a compatible upgrade",
        Some(true) => "a breaking upgrade, so expect code changes",
        None => "whether it is a breaking upgrade is unknown, so plan for code changes",
    };
    match note {
        Some(n) => format!("{base} ({n})"),
        None => base.to_owned(),
    }
}

fn upgrade_action(breaking: Option<bool>) -> Action {
    if breaking == Some(false) {
        Action::Hotfix
    } else {
        Action::HotfixCodeChanges
    }
}

/// Decides for a package installed at `installed`, given its fix options and an
/// active exception covering it, if any.
pub fn decide(installed: &str, fix: &FixOptions, workaround: Option<&Workaround<'_>>) -> Decision {
    if let Some(to) = &fix.minimal_safe {
        let explanation = match (fix.breaking, &fix.note) {
            (Some(false), None) => format!(
                "upgrade {installed} -> {to}, the smallest version no known advisory affects, within the same major version"
            ),
            (Some(true), None) => format!(
                "upgrade {installed} -> {to}, the smallest version no known advisory affects; it crosses a major version, so expect code changes"
            ),
            (None, None) => format!(
                "upgrade {installed} -> {to}, the smallest version no known advisory affects; whether it is a breaking upgrade is unknown, so plan for code changes"
            ),
            (b, Some(n)) => format!(
                "upgrade {installed} -> {to}, the smallest version no known advisory affects; {}",
                crossing(b, Some(n))
            ),
        };
        return Decision {
            action: upgrade_action(fix.breaking),
            target: Some(to.clone()),
            explanation,
            unfixed: Vec::new(),
        };
    }
    if let Some(p) = &fix.partial {
        let total = p.fixes.len() + p.leaves.len();
        let unfixed: Vec<Unfixed> = p
            .leaves
            .iter()
            .map(|a| {
                let d = unfixed_decision(installed, fix, a, None, None);
                Unfixed {
                    advisory: a.clone(),
                    action: d.action,
                    target: d.target,
                    explanation: d.explanation,
                }
            })
            .collect();
        let left = if p.leaves.is_empty() {
            String::new()
        } else {
            format!(
                "; it leaves {}: handle {} separately",
                p.leaves.join(", "),
                if p.leaves.len() == 1 { "it" } else { "each" }
            )
        };
        let new = if p.introduces.is_empty() {
            String::new()
        } else {
            format!("; it is affected by {} too", p.introduces.join(", "))
        };
        return Decision {
            action: upgrade_action(p.breaking),
            target: Some(p.version.clone()),
            explanation: format!(
                "no known version is safe from every advisory; upgrade {installed} -> {} now, which fixes {} of the {total} known advisories ({}){left}{new}",
                p.version,
                p.fixes.len(),
                crossing(p.breaking, p.note.as_deref()),
            ),
            unfixed,
        };
    }
    nothing_above(installed, fix, workaround, None)
}

/// Decides for one advisory (`advisory`, a finding's primary id) of a package
/// installed at `installed`, given the package's fix options, the advisory's own fix
/// (for the explanation) and an active exception covering it, if any: the package's
/// decision, unless the partial upgrade leaves this advisory (then WORKAROUND +
/// EXCEPTION, ROLLBACK or REMOVE / REPLACE, saying what the upgrade still fixes).
pub fn decide_for(
    installed: &str,
    fix: &FixOptions,
    advisory: &str,
    own: Option<&OwnFix>,
    workaround: Option<&Workaround<'_>>,
) -> Decision {
    if left_by_partial(fix, advisory) {
        unfixed_decision(installed, fix, advisory, own, workaround)
    } else {
        decide(installed, fix, workaround)
    }
}

/// Whether `advisory` is one the package's partial upgrade leaves (no version is
/// safe from every advisory): only then does [`decide_for`] differ from [`decide`].
pub fn left_by_partial(fix: &FixOptions, advisory: &str) -> bool {
    match &fix.partial {
        Some(p) => fix.minimal_safe.is_none() && p.leaves.iter().any(|a| a == advisory),
        None => false,
    }
}

/// The decision for an advisory that no upgrade of the plan fixes.
fn unfixed_decision(
    installed: &str,
    fix: &FixOptions,
    advisory: &str,
    own: Option<&OwnFix>,
    workaround: Option<&Workaround<'_>>,
) -> Decision {
    let mut d = nothing_above(installed, fix, workaround, Some(advisory));
    if let Some(p) = &fix.partial {
        let own_fix = match own.and_then(|o| o.version.as_deref()) {
            Some(v) => format!(" ({v} fixes it, but is affected by others)"),
            None => String::new(),
        };
        d.explanation = format!(
            "{}; meanwhile upgrade {installed} -> {}, which fixes {} other advisories but not {advisory}{own_fix}",
            d.explanation,
            p.version,
            p.fixes.len()
        );
    }
    d
}

/// WORKAROUND + EXCEPTION, ROLLBACK or REMOVE / REPLACE, when no upgrade fixes
/// `advisory` (`None`: any of the package's advisories).
fn nothing_above(
    installed: &str,
    fix: &FixOptions,
    workaround: Option<&Workaround<'_>>,
    advisory: Option<&str>,
) -> Decision {
    let none = match advisory {
        Some(a) => format!("no known version above {installed} fixes {a}"),
        None => "no patched version is known".to_owned(),
    };
    if let Some(w) = workaround.filter(|w| !w.mitigations.is_empty()) {
        return Decision {
            action: Action::WorkaroundException,
            target: None,
            explanation: format!(
                "{none}; apply the mitigations of the exception approved by {} until {}: {}",
                w.approved_by,
                w.expires,
                w.mitigations.join("; ")
            ),
            unfixed: Vec::new(),
        };
    }
    if let Some(back) = &fix.rollback {
        return Decision {
            action: Action::Rollback,
            target: Some(back.clone()),
            explanation: format!(
                "{none}; roll back {installed} -> {back}, the newest earlier version no known advisory affects"
            ),
            unfixed: Vec::new(),
        };
    }
    let what = match advisory {
        Some(a) => format!(
            "no known version is safe from {a} (no fix above {installed}, no version below it that no advisory affects)"
        ),
        None => format!(
            "no known version is safe (no patch above {installed}, no unaffected version below it)"
        ),
    };
    Decision {
        action: Action::RemoveReplace,
        target: None,
        explanation: format!(
            "{what}{}: remove or replace the package",
            if workaround.is_some() {
                ", and the exception lists no mitigations"
            } else {
                ""
            }
        ),
        unfixed: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(safe: Option<&str>, breaking: Option<bool>, back: Option<&str>) -> FixOptions {
        FixOptions {
            minimal_safe: safe.map(Into::into),
            breaking,
            rollback: back.map(Into::into),
            ..FixOptions::default()
        }
    }

    #[test]
    fn the_matrix() {
        let m = vec!["WAF rule 42".to_owned()];
        let w = Workaround {
            mitigations: &m,
            expires: "2026-12-20".into(),
            approved_by: "security@example.com",
        };
        let none: Vec<String> = Vec::new();
        let bare = Workaround {
            mitigations: &none,
            ..w.clone()
        };
        let cases = [
            (
                fix(Some("5.4"), Some(false), None),
                None,
                Action::Hotfix,
                Some("5.4"),
            ),
            (
                fix(Some("6.0"), Some(true), Some("4.0")),
                None,
                Action::HotfixCodeChanges,
                Some("6.0"),
            ),
            (
                fix(Some("6.0"), None, None),
                None,
                Action::HotfixCodeChanges,
                Some("6.0"),
            ),
            (
                fix(Some("5.4"), Some(false), None),
                Some(&w),
                Action::Hotfix,
                Some("5.4"),
            ),
            (
                fix(None, None, Some("4.0")),
                Some(&w),
                Action::WorkaroundException,
                None,
            ),
            (
                fix(None, None, Some("4.0")),
                None,
                Action::Rollback,
                Some("4.0"),
            ),
            (
                fix(None, None, Some("4.0")),
                Some(&bare),
                Action::Rollback,
                Some("4.0"),
            ),
            (
                fix(None, None, None),
                Some(&bare),
                Action::RemoveReplace,
                None,
            ),
            (fix(None, None, None), None, Action::RemoveReplace, None),
        ];
        for (f, w, action, target) in cases {
            let d = decide("5.3.1", &f, w);
            assert_eq!(
                (d.action, d.target.as_deref()),
                (action, target),
                "{f:?} {w:?}"
            );
        }
    }

    #[test]
    fn explains() {
        let d = decide("5.3.1", &fix(Some("6.0"), Some(true), None), None);
        assert_eq!(
            d.explanation,
            "upgrade 5.3.1 -> 6.0, the smallest version no known advisory affects; it crosses a major version, so expect code changes"
        );
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["action"], "HOTFIX + CODE CHANGES");
        assert_eq!(json["target"], "6.0");
        let m = vec!["disable uploads".to_owned(), "WAF rule 42".to_owned()];
        let w = Workaround {
            mitigations: &m,
            expires: "2026-12-20".into(),
            approved_by: "sec",
        };
        let d = decide("1.0", &fix(None, None, None), Some(&w));
        assert!(
            d.explanation
                .ends_with("approved by sec until 2026-12-20: disable uploads; WAF rule 42"),
            "{}",
            d.explanation
        );
    }

    fn partial(back: Option<&str>) -> FixOptions {
        FixOptions {
            rollback: back.map(Into::into),
            partial: Some(cverun_osv::PartialUpgrade {
                version: "v0.52.0".into(),
                breaking: Some(false),
                note: None,
                fixes: vec!["GO-A".into(), "GO-B".into()],
                leaves: vec!["GO-C".into()],
                introduces: vec![],
            }),
            ..FixOptions::default()
        }
    }

    #[test]
    fn partial_upgrade_is_the_decision() {
        // The package: upgrade now, the advisory left has its own decision.
        let d = decide("v0.22.0", &partial(None), None);
        assert_eq!(
            (d.action, d.target.as_deref()),
            (Action::Hotfix, Some("v0.52.0"))
        );
        assert_eq!(
            d.explanation,
            "no known version is safe from every advisory; upgrade v0.22.0 -> v0.52.0 now, which fixes 2 of the 3 known advisories (a compatible upgrade); it leaves GO-C: handle it separately"
        );
        assert_eq!(d.unfixed.len(), 1);
        assert_eq!(
            (d.unfixed[0].advisory.as_str(), d.unfixed[0].action),
            ("GO-C", Action::RemoveReplace)
        );
        let json = serde_json::to_value(&d).unwrap();
        assert_eq!(json["unfixed"][0]["action"], "REMOVE / REPLACE");
        // An advisory it fixes: the same upgrade.
        let d = decide_for("v0.22.0", &partial(None), "GO-A", None, None);
        assert_eq!(
            (d.action, d.target.as_deref()),
            (Action::Hotfix, Some("v0.52.0"))
        );
        // A breaking partial upgrade asks for code changes.
        let mut f = partial(None);
        f.partial.as_mut().unwrap().breaking = None;
        assert_eq!(
            decide("v0.22.0", &f, None).action,
            Action::HotfixCodeChanges
        );
        // Without a partial upgrade and without anything else: remove (unchanged).
        let d = decide("v0.22.0", &FixOptions::default(), None);
        assert_eq!(d.action, Action::RemoveReplace);
        assert!(d.unfixed.is_empty());
        assert!(serde_json::to_value(&d).unwrap().get("unfixed").is_none());
    }

    #[test]
    fn the_advisory_left_gets_its_own_decision() {
        let m = vec!["WAF rule 42".to_owned()];
        let w = Workaround {
            mitigations: &m,
            expires: "2026-12-20".into(),
            approved_by: "sec",
        };
        let own = OwnFix::default();
        // An exception covering it: workaround.
        let d = decide_for("v0.22.0", &partial(None), "GO-C", Some(&own), Some(&w));
        assert_eq!(
            (d.action, d.target.as_deref()),
            (Action::WorkaroundException, None)
        );
        assert!(
            d.explanation
                .starts_with("no known version above v0.22.0 fixes GO-C; apply the mitigations"),
            "{}",
            d.explanation
        );
        assert!(
            d.explanation
                .ends_with("; meanwhile upgrade v0.22.0 -> v0.52.0, which fixes 2 other advisories but not GO-C"),
            "{}",
            d.explanation
        );
        // An earlier version no advisory affects: rollback.
        let d = decide_for("v0.22.0", &partial(Some("v0.1.0")), "GO-C", None, None);
        assert_eq!(
            (d.action, d.target.as_deref()),
            (Action::Rollback, Some("v0.1.0"))
        );
        // Neither: remove or replace, saying the upgrade still helps.
        let d = decide_for("v0.22.0", &partial(None), "GO-C", None, None);
        assert_eq!(d.action, Action::RemoveReplace);
        assert!(
            d.explanation.contains("no known version is safe from GO-C"),
            "{}",
            d.explanation
        );
        // Its own fix exists but is affected by others: said.
        let own = OwnFix {
            version: Some("v0.60.0".into()),
            ..OwnFix::default()
        };
        let d = decide_for("v0.22.0", &partial(None), "GO-C", Some(&own), None);
        assert!(
            d.explanation
                .ends_with("(v0.60.0 fixes it, but is affected by others)"),
            "{}",
            d.explanation
        );
        // The partial upgrade wins over an exception for an advisory it fixes.
        let d = decide_for("v0.22.0", &partial(None), "GO-A", None, Some(&w));
        assert_eq!(d.action, Action::Hotfix);
    }

    #[test]
    fn notes_reach_the_explanation() {
        let f = FixOptions {
            minimal_safe: Some("1.25.13".into()),
            breaking: Some(true),
            note: Some("Go toolchain upgrade 1.15 -> 1.25".into()),
            ..FixOptions::default()
        };
        let d = decide("1.15", &f, None);
        assert_eq!(d.action, Action::HotfixCodeChanges);
        assert_eq!(
            d.explanation,
            "upgrade 1.15 -> 1.25.13, the smallest version no known advisory affects; a breaking upgrade, so expect code changes (Go toolchain upgrade 1.15 -> 1.25)"
        );
    }
}
