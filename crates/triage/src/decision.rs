//! The runbook's decision matrix: what to do about one vulnerable package.
//!
//! | situation | decision |
//! | --- | --- |
//! | a safe version exists, reached without crossing a major version | HOTFIX |
//! | a safe version exists, but only across a major version (or that is unknown) | HOTFIX + CODE CHANGES |
//! | no safe version above; an approved, active exception with mitigations | WORKAROUND + EXCEPTION |
//! | no safe version above; an earlier version no advisory affects | ROLLBACK |
//! | none of these | REMOVE / REPLACE |
//!
//! "Safe" means no known advisory of the package affects the version (see
//! `cverun_osv::fix`). When it is unknown whether an upgrade is breaking, it is
//! treated as breaking: planning for code changes that turn out unneeded costs less
//! than a hotfix that breaks the build during an incident.

use std::fmt;

use cverun_osv::FixOptions;
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
}

/// Decides for a package installed at `installed`, given its fix options and an
/// active exception covering it, if any.
pub fn decide(installed: &str, fix: &FixOptions, workaround: Option<&Workaround<'_>>) -> Decision {
    if let Some(to) = &fix.minimal_safe {
        return match fix.breaking {
            Some(false) => Decision {
                action: Action::Hotfix,
                target: Some(to.clone()),
                explanation: format!(
                    "upgrade {installed} -> {to}, the smallest version no known advisory affects, within the same major version"
                ),
            },
            Some(true) => Decision {
                action: Action::HotfixCodeChanges,
                target: Some(to.clone()),
                explanation: format!(
                    "upgrade {installed} -> {to}, the smallest version no known advisory affects; it crosses a major version, so expect code changes"
                ),
            },
            None => Decision {
                action: Action::HotfixCodeChanges,
                target: Some(to.clone()),
                explanation: format!(
                    "upgrade {installed} -> {to}, the smallest version no known advisory affects; whether it is a breaking upgrade is unknown, so plan for code changes"
                ),
            },
        };
    }
    if let Some(w) = workaround.filter(|w| !w.mitigations.is_empty()) {
        return Decision {
            action: Action::WorkaroundException,
            target: None,
            explanation: format!(
                "no patched version is known; apply the mitigations of the exception approved by {} until {}: {}",
                w.approved_by,
                w.expires,
                w.mitigations.join("; ")
            ),
        };
    }
    if let Some(back) = &fix.rollback {
        return Decision {
            action: Action::Rollback,
            target: Some(back.clone()),
            explanation: format!(
                "no patched version is known; roll back {installed} -> {back}, the newest earlier version no known advisory affects"
            ),
        };
    }
    Decision {
        action: Action::RemoveReplace,
        target: None,
        explanation: format!(
            "no known version is safe (no patch above {installed}, no unaffected version below it){}: remove or replace the package",
            if workaround.is_some() {
                ", and the exception lists no mitigations"
            } else {
                ""
            }
        ),
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
}
