//! Remediation evidence: what `cverun fix` and `cverun verify --incident ID` record
//! in an incident's timeline, and the pure rules that judge it.
//!
//! Four steps, each an [`Action`](crate::Action) the CLI builds and an
//! [`EventBody`](crate::EventBody) the rules record:
//!
//! | action | event kind | payload |
//! | --- | --- | --- |
//! | `Action::FixPlanned` | `fix-planned` | [`FixPlanned`]: the plan's hash and counts, the proposed decision |
//! | `Action::FixApplied` | `fix-applied` | [`FixApplied`]: the hotfix branch, its base and commits |
//! | `Action::FixTested` | `fix-tested` | [`FixTested`]: one service's test run |
//! | `Action::Verify` | `verified` | [`Rescan`] in, [`Verified`] recorded |
//!
//! The caller states facts (hashes, counts, what the re-scan found in each
//! service); what follows from them is computed here, never taken from the
//! caller: the decision a plan proposes ([`propose_decision`]) and whether a
//! verification is clean ([`judge`]). A clean verification checks the runbook's
//! items marked `by = "verify"` (see [`crate::rules`]).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::Decision;

/// The decision a fix plan proposes, by the runbook's rule:
///
/// - `no_fix` (some vulnerable dependency has no fixed version: no upgrade
///   removes the vulnerability everywhere) -> [`Decision::Workaround`];
/// - else some change is breaking (`any_breaking`: a major version, or whatever
///   the planner judges breaking) or not every change could be made automatically
///   (`!all_fixed`: code changes are needed) -> [`Decision::HotfixCodeChanges`];
/// - else (every change non-breaking and complete) -> [`Decision::Hotfix`].
///
/// [`Decision::Rollback`] is never proposed: only people know whether an older
/// release without the vulnerable version exists and may be shipped.
pub fn propose_decision(any_breaking: bool, all_fixed: bool, no_fix: bool) -> Decision {
    if no_fix {
        Decision::Workaround
    } else if any_breaking || !all_fixed {
        Decision::HotfixCodeChanges
    } else {
        Decision::Hotfix
    }
}

/// A fix plan (`cverun fix`, before any change is made): event `fix-planned`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixPlanned {
    /// SHA-256 (hex) of the plan document, so the plan the timeline names can be
    /// told apart from any other.
    pub plan_sha256: String,
    /// Dependency changes the plan makes (one per package version changed in one
    /// manifest or lockfile).
    pub changes: u64,
    /// Of those, changes judged breaking (at most `changes`).
    #[serde(default)]
    pub breaking: u64,
    /// Of those, changes that could not be made automatically (at most
    /// `changes`): someone must make them by hand.
    pub incomplete: u64,
    /// Vulnerable dependencies the plan cannot change: no fixed version exists.
    #[serde(default)]
    pub unfixable: u64,
    /// The services the plan changes.
    pub services: Vec<String>,
    /// The decision the plan proposes, computed by the rules from the counts
    /// ([`FixPlanned::proposal`]); `None` when there is nothing to do. Callers may
    /// leave it `None`: the recorded event has it filled in; a value that
    /// contradicts the counts is refused.
    pub proposed: Option<Decision>,
    /// One line for people (`log4j-core 2.14.1 -> 2.17.1 in 3 services`).
    pub summary: String,
}

impl FixPlanned {
    /// The decision the counts call for ([`propose_decision`]); `None` when the
    /// plan changes nothing and nothing is unfixable.
    pub fn proposal(&self) -> Option<Decision> {
        if self.changes == 0 && self.unfixable == 0 {
            return None;
        }
        Some(propose_decision(
            self.breaking > 0,
            self.incomplete == 0,
            self.unfixable > 0,
        ))
    }
}

/// The commit the hotfix branch starts from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseRef {
    /// The ref as given (`main`, `origin/release-4.2`, a tag).
    pub reference: String,
    /// The commit it named (hex).
    pub commit: String,
}

/// One commit on the hotfix branch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixCommit {
    /// The service it changes, or `all` for one commit over every service.
    pub service: String,
    /// The commit (hex).
    pub commit: String,
}

/// A fix made on a hotfix branch (`cverun fix --apply`): event `fix-applied`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixApplied {
    /// The repository, as given on the command line.
    pub repository: String,
    /// The hotfix branch.
    pub branch: String,
    /// What the branch starts from.
    pub base: BaseRef,
    /// The commits made on the branch, in order (at least one).
    pub commits: Vec<FixCommit>,
    /// The remote the branch was pushed to; `None`: not pushed.
    #[serde(default)]
    pub pushed: Option<String>,
    /// Dependency changes committed.
    pub changes: u64,
}

/// One service's tests run against the fix (in a worktree): event `fix-tested`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixTested {
    /// The service.
    pub service: String,
    /// The command run, as run.
    pub command: String,
    /// Its exit status; `None` when it has none (killed by a signal, timed out,
    /// could not start).
    pub exit_status: Option<i32>,
    /// How long it ran, in milliseconds.
    pub duration_ms: u64,
    /// The tests passed (only with exit status 0).
    pub passed: bool,
    /// With keep-passing: whether the change was kept (only when `passed`).
    pub kept: bool,
}

/// What a re-scan is compared with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Baseline {
    /// A saved scan report.
    File {
        /// The file, as given.
        name: String,
        /// Its SHA-256 (hex).
        sha256: String,
    },
    /// The scan of a git ref.
    Git {
        /// The ref as given (`main`).
        reference: String,
        /// The commit it named (hex).
        commit: String,
    },
}

impl Baseline {
    /// For people: `file base.json (sha256 0123456789ab)`, `git main at 0123456789ab`.
    pub fn describe(&self) -> String {
        let short = |h: &str| h.chars().take(12).collect::<String>();
        match self {
            Baseline::File { name, sha256 } => format!("file {name} (sha256 {})", short(sha256)),
            Baseline::Git { reference, commit } => {
                format!("git {reference} at {}", short(commit))
            }
        }
    }
}

/// What a re-scan found in one service, as the caller reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RescanOutcome {
    /// Scanned: the ids of every finding still present (each finding's id and its
    /// aliases; the rules keep those of the incident's vulnerability).
    Scanned {
        /// Vulnerability ids still found.
        ids: Vec<String>,
    },
    /// Not scanned (no manifest, the scan failed...): the service cannot be
    /// judged clean.
    NotScanned {
        /// Why.
        reason: String,
    },
}

/// One service of a re-scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceRescan {
    /// The service, as the incident names it.
    pub service: String,
    /// What the re-scan found in it.
    pub outcome: RescanOutcome,
}

/// A verification (`cverun verify --incident ID`), as the caller reports it: the
/// input of `Action::Verify`. The rules judge it against the incident
/// ([`judge`]) and record a [`Verified`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rescan {
    /// SHA-256 (hex) of the verification document.
    pub report_sha256: String,
    /// What the re-scan was compared with.
    pub baseline: Baseline,
    /// Findings of the baseline gone now (every vulnerability, not only the
    /// incident's).
    pub fixed: u64,
    /// Findings of the baseline still present.
    pub remaining: u64,
    /// Findings not in the baseline.
    pub introduced: u64,
    /// What the re-scan found per service it covered. A service of the incident
    /// missing here was not checked.
    pub services: Vec<ServiceRescan>,
}

/// Where the incident's advisory stands in one affected service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum AdvisoryState {
    /// Scanned, and neither the advisory nor any alias is found.
    Gone,
    /// Scanned, and still found.
    Found {
        /// The incident's ids found (the advisory or its aliases).
        ids: Vec<String>,
    },
    /// Not checked by the verification.
    NotChecked {
        /// Why.
        reason: String,
    },
}

/// The advisory's state in one affected service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisoryStatus {
    /// The service (one of the incident's affected services).
    pub service: String,
    /// Its state: `status` `gone`, `found` (with `ids`) or `not-checked` (with
    /// `reason`).
    #[serde(flatten)]
    pub state: AdvisoryState,
}

/// A verification as recorded: event `verified`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    /// SHA-256 (hex) of the verification document.
    pub report_sha256: String,
    /// What the re-scan was compared with.
    pub baseline: Baseline,
    /// Findings of the baseline gone now.
    pub fixed: u64,
    /// Findings of the baseline still present.
    pub remaining: u64,
    /// Findings not in the baseline.
    pub introduced: u64,
    /// The advisory's state in each affected service of the incident, in the
    /// incident's order.
    pub services: Vec<AdvisoryStatus>,
    /// The advisory is gone from every affected service (and the incident has
    /// at least one): computed by [`judge`].
    pub clean: bool,
}

impl Verified {
    /// The services where the advisory is still found.
    pub fn found_in(&self) -> Vec<&str> {
        self.services
            .iter()
            .filter(|s| matches!(s.state, AdvisoryState::Found { .. }))
            .map(|s| s.service.as_str())
            .collect()
    }

    /// The affected services the verification did not check.
    pub fn not_checked(&self) -> Vec<&str> {
        self.services
            .iter()
            .filter(|s| matches!(s.state, AdvisoryState::NotChecked { .. }))
            .map(|s| s.service.as_str())
            .collect()
    }

    /// Why it is not clean, for people (`None` when clean).
    pub fn why_not_clean(&self) -> Option<String> {
        if self.clean {
            return None;
        }
        if self.services.is_empty() {
            return Some("the incident names no affected service to check".into());
        }
        let mut parts = Vec::new();
        let found = self.found_in();
        if !found.is_empty() {
            parts.push(format!("still found in {}", found.join(", ")));
        }
        let unchecked = self.not_checked();
        if !unchecked.is_empty() {
            parts.push(format!("not checked: {}", unchecked.join(", ")));
        }
        Some(parts.join("; "))
    }
}

/// Text a caller gave, trimmed, or why it cannot be recorded.
fn text(what: &str, value: &str) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        Err(format!("{what} must not be empty"))
    } else {
        Ok(v.to_owned())
    }
}

/// A hash in hex of one of `lengths` (lower-cased), or why not.
fn hex(what: &str, value: &str, lengths: &[usize]) -> Result<String, String> {
    let v = value.trim();
    if lengths.contains(&v.len()) && v.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(v.to_ascii_lowercase())
    } else {
        Err(format!(
            "{what} {v:?} is not a hash ({} hex digits)",
            lengths
                .iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join(" or ")
        ))
    }
}

/// A SHA-256 in hex.
fn sha256(what: &str, value: &str) -> Result<String, String> {
    hex(what, value, &[64])
}

/// A git commit id (SHA-1 or SHA-256 repositories).
fn commit(what: &str, value: &str) -> Result<String, String> {
    hex(what, value, &[40, 64])
}

/// Service names, trimmed, without duplicates, in order.
fn services(what: &str, names: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for s in names {
        let s = text(what, s)?;
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

/// `p` as recorded: checked and normalised, its proposal computed.
pub(crate) fn planned(p: &FixPlanned) -> Result<FixPlanned, String> {
    let summary = text("the plan's summary", &p.summary)?;
    if summary.contains(['\n', '\r']) {
        return Err("the plan's summary must be one line".into());
    }
    for (what, n) in [("breaking", p.breaking), ("incomplete", p.incomplete)] {
        if n > p.changes {
            return Err(format!(
                "the plan counts {n} {what} changes of {} changes",
                p.changes
            ));
        }
    }
    let mut out = FixPlanned {
        plan_sha256: sha256("the plan's sha256", &p.plan_sha256)?,
        changes: p.changes,
        breaking: p.breaking,
        incomplete: p.incomplete,
        unfixable: p.unfixable,
        services: services("a service of the plan", &p.services)?,
        proposed: None,
        summary,
    };
    out.proposed = out.proposal();
    if let Some(given) = p.proposed
        && Some(given) != out.proposed
    {
        return Err(format!(
            "the plan proposes {given}, but its counts ({} changes, {} breaking, {} incomplete, {} unfixable) call for {}",
            p.changes,
            p.breaking,
            p.incomplete,
            p.unfixable,
            out.proposed
                .map(|d| d.key().to_owned())
                .unwrap_or_else(|| "nothing (nothing to change)".into())
        ));
    }
    Ok(out)
}

/// `a` as recorded: checked and normalised.
pub(crate) fn applied(a: &FixApplied) -> Result<FixApplied, String> {
    if a.commits.is_empty() {
        return Err(
            "a fix applied needs the commits made on its branch (none given); record the plan alone with fix-planned"
                .into(),
        );
    }
    let mut commits = Vec::new();
    for c in &a.commits {
        commits.push(FixCommit {
            service: text("a commit's service", &c.service)?,
            commit: commit("a commit", &c.commit)?,
        });
    }
    Ok(FixApplied {
        repository: text("the repository", &a.repository)?,
        branch: text("the branch", &a.branch)?,
        base: BaseRef {
            reference: text("the base ref", &a.base.reference)?,
            commit: commit("the base commit", &a.base.commit)?,
        },
        commits,
        pushed: match &a.pushed {
            Some(r) => Some(text("the remote pushed to", r)?),
            None => None,
        },
        changes: a.changes,
    })
}

/// `t` as recorded: checked and normalised.
pub(crate) fn tested(t: &FixTested) -> Result<FixTested, String> {
    let service = text("the tested service", &t.service)?;
    if t.passed && t.exit_status != Some(0) {
        return Err(format!(
            "the tests of {service} cannot have passed with exit status {}",
            t.exit_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "none".into())
        ));
    }
    if t.kept && !t.passed {
        return Err(format!(
            "the change to {service} cannot be kept: its tests did not pass"
        ));
    }
    Ok(FixTested {
        service,
        command: text("the test command", &t.command)?,
        exit_status: t.exit_status,
        duration_ms: t.duration_ms,
        passed: t.passed,
        kept: t.kept,
    })
}

/// One id spelling for comparisons (ids are case-insensitive: `cve-2021-44228`).
fn id_key(id: &str) -> String {
    id.trim().to_ascii_uppercase()
}

/// Judges a re-scan against an incident: the advisory's state in each of the
/// incident's `affected` services, and whether it is clean.
///
/// `ids` are the incident's advisory and aliases (compared in any case). For each
/// affected service: `gone` when the re-scan scanned it and found none of `ids`,
/// `found` (with the ids) when it found one, `not-checked` when it was not scanned
/// or the re-scan does not name it. Clean means the incident has at least one
/// affected service and the advisory is `gone` from every one: an incident that
/// names no service cannot be judged clean (fail closed). Services the re-scan
/// covered beyond the affected ones do not count. A service named twice in the
/// re-scan, a blank name or id, or a malformed hash is refused.
pub fn judge(ids: &[String], affected: &[String], r: &Rescan) -> Result<Verified, String> {
    let wanted: BTreeSet<String> = ids.iter().map(|i| id_key(i)).collect();
    let mut given: Vec<(String, &RescanOutcome)> = Vec::new();
    for s in &r.services {
        let name = text("a service of the verification", &s.service)?;
        if given.iter().any(|(n, _)| *n == name) {
            return Err(format!("the verification names service {name:?} twice"));
        }
        given.push((name, &s.outcome));
    }
    let mut statuses = Vec::new();
    for service in affected {
        let state = match given.iter().find(|(n, _)| n == service.trim()) {
            None => AdvisoryState::NotChecked {
                reason: "not covered by the verification".into(),
            },
            Some((_, RescanOutcome::NotScanned { reason })) => AdvisoryState::NotChecked {
                reason: text("the reason a service was not scanned", reason)?,
            },
            Some((_, RescanOutcome::Scanned { ids })) => {
                let mut found: Vec<String> = Vec::new();
                for id in ids {
                    let id = text("a vulnerability id", id)?;
                    if wanted.contains(&id_key(&id))
                        && !found.iter().any(|f| id_key(f) == id_key(&id))
                    {
                        found.push(id);
                    }
                }
                if found.is_empty() {
                    AdvisoryState::Gone
                } else {
                    AdvisoryState::Found { ids: found }
                }
            }
        };
        statuses.push(AdvisoryStatus {
            service: service.clone(),
            state,
        });
    }
    let baseline = match &r.baseline {
        Baseline::File { name, sha256: h } => Baseline::File {
            name: text("the baseline file", name)?,
            sha256: sha256("the baseline's sha256", h)?,
        },
        Baseline::Git {
            reference,
            commit: c,
        } => Baseline::Git {
            reference: text("the baseline ref", reference)?,
            commit: commit("the baseline commit", c)?,
        },
    };
    let clean = !statuses.is_empty()
        && statuses
            .iter()
            .all(|s| matches!(s.state, AdvisoryState::Gone));
    Ok(Verified {
        report_sha256: sha256("the verification's sha256", &r.report_sha256)?,
        baseline,
        fixed: r.fixed,
        remaining: r.remaining,
        introduced: r.introduced,
        services: statuses,
        clean,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn rescan(services: Vec<ServiceRescan>) -> Rescan {
        Rescan {
            report_sha256: H.to_uppercase(),
            baseline: Baseline::Git {
                reference: "main".into(),
                commit: "a".repeat(40),
            },
            fixed: 3,
            remaining: 1,
            introduced: 0,
            services,
        }
    }

    fn scanned(service: &str, ids: &[&str]) -> ServiceRescan {
        ServiceRescan {
            service: service.into(),
            outcome: RescanOutcome::Scanned {
                ids: ids.iter().map(|s| s.to_string()).collect(),
            },
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_proposed_decision_follows_the_runbook_rule() {
        assert_eq!(propose_decision(false, true, false), Decision::Hotfix);
        assert_eq!(
            propose_decision(true, true, false),
            Decision::HotfixCodeChanges
        );
        assert_eq!(
            propose_decision(false, false, false),
            Decision::HotfixCodeChanges
        );
        // No fixed version anywhere wins over everything else.
        assert_eq!(propose_decision(true, false, true), Decision::Workaround);
        assert_eq!(propose_decision(false, true, true), Decision::Workaround);
    }

    #[test]
    fn a_plan_gets_its_proposal_from_its_counts() {
        let p = FixPlanned {
            plan_sha256: H.into(),
            changes: 4,
            breaking: 1,
            incomplete: 0,
            unfixable: 0,
            services: strings(&["checkout", " checkout ", "cart"]),
            proposed: None,
            summary: " log4j-core 2.14.1 -> 2.17.1 ".into(),
        };
        let r = planned(&p).unwrap();
        assert_eq!(r.proposed, Some(Decision::HotfixCodeChanges));
        assert_eq!(r.services, ["checkout", "cart"]);
        assert_eq!(r.summary, "log4j-core 2.14.1 -> 2.17.1");
        let wrong = FixPlanned {
            proposed: Some(Decision::Hotfix),
            ..p.clone()
        };
        let e = planned(&wrong).unwrap_err();
        assert!(e.contains("call for hotfix-code-changes"), "{e}");
        let nothing = FixPlanned {
            changes: 0,
            breaking: 0,
            ..p.clone()
        };
        assert_eq!(planned(&nothing).unwrap().proposed, None);
        for bad in [
            FixPlanned {
                incomplete: 5,
                ..p.clone()
            },
            FixPlanned {
                plan_sha256: "abc".into(),
                ..p.clone()
            },
            FixPlanned {
                summary: "two\nlines".into(),
                ..p.clone()
            },
            FixPlanned {
                services: strings(&[" "]),
                ..p
            },
        ] {
            assert!(planned(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn applied_and_tested_are_checked() {
        let a = FixApplied {
            repository: "../shop".into(),
            branch: "hotfix/INC-2026-11-23-1".into(),
            base: BaseRef {
                reference: "main".into(),
                commit: "B".repeat(40),
            },
            commits: vec![FixCommit {
                service: "all".into(),
                commit: "c".repeat(64),
            }],
            pushed: None,
            changes: 2,
        };
        assert_eq!(applied(&a).unwrap().base.commit, "b".repeat(40));
        let none = FixApplied {
            commits: vec![],
            ..a.clone()
        };
        assert!(applied(&none).unwrap_err().contains("commits"));
        let short = FixApplied {
            base: BaseRef {
                reference: "main".into(),
                commit: "abc1234".into(),
            },
            ..a
        };
        assert!(applied(&short).unwrap_err().contains("40 or 64"));

        let t = FixTested {
            service: "checkout".into(),
            command: "mvn test".into(),
            exit_status: Some(1),
            duration_ms: 5_000,
            passed: false,
            kept: false,
        };
        assert!(tested(&t).is_ok());
        let lie = FixTested {
            passed: true,
            ..t.clone()
        };
        assert!(tested(&lie).unwrap_err().contains("exit status 1"));
        let kept = FixTested { kept: true, ..t };
        assert!(tested(&kept).unwrap_err().contains("did not pass"));
    }

    #[test]
    fn clean_means_gone_from_every_affected_service() {
        let ids = strings(&["GHSA-jfh8-c2jp-5v3q", "CVE-2021-44228"]);
        let affected = strings(&["checkout", "cart"]);
        // Gone from both (other vulnerabilities may remain), and a service beyond
        // the affected ones does not count.
        let v = judge(
            &ids,
            &affected,
            &rescan(vec![
                scanned("checkout", &["CVE-2020-9488"]),
                scanned("cart", &[]),
                scanned("search", &["CVE-2021-44228"]),
            ]),
        )
        .unwrap();
        assert!(v.clean);
        assert_eq!(v.report_sha256, H, "lower-cased");
        assert_eq!(v.services.len(), 2);
        assert_eq!(v.why_not_clean(), None);
        // An alias, in another case, is the advisory.
        let v = judge(
            &ids,
            &affected,
            &rescan(vec![
                scanned("checkout", &["cve-2021-44228", "GHSA-JFH8-C2JP-5V3Q"]),
                scanned("cart", &[]),
            ]),
        )
        .unwrap();
        assert!(!v.clean);
        assert_eq!(
            v.services[0].state,
            AdvisoryState::Found {
                ids: strings(&["cve-2021-44228", "GHSA-JFH8-C2JP-5V3Q"])
            }
        );
        assert_eq!(v.found_in(), ["checkout"]);
        // A service not covered, or not scanned, is not clean.
        let v = judge(&ids, &affected, &rescan(vec![scanned("checkout", &[])])).unwrap();
        assert!(!v.clean);
        assert_eq!(v.not_checked(), ["cart"]);
        assert_eq!(v.why_not_clean().unwrap(), "not checked: cart");
        let v = judge(
            &ids,
            &affected,
            &rescan(vec![
                scanned("checkout", &[]),
                ServiceRescan {
                    service: "cart".into(),
                    outcome: RescanOutcome::NotScanned {
                        reason: "no lockfile".into(),
                    },
                },
            ]),
        )
        .unwrap();
        assert!(!v.clean);
        assert_eq!(
            v.services[1].state,
            AdvisoryState::NotChecked {
                reason: "no lockfile".into()
            }
        );
        // No affected service: cannot be judged clean.
        let v = judge(&ids, &[], &rescan(vec![scanned("checkout", &[])])).unwrap();
        assert!(!v.clean);
        assert!(v.why_not_clean().unwrap().contains("no affected service"));
        // A service named twice is refused.
        let e = judge(
            &ids,
            &affected,
            &rescan(vec![scanned("cart", &[]), scanned(" cart", &["x"])]),
        )
        .unwrap_err();
        assert!(e.contains("twice"), "{e}");
    }

    #[test]
    fn the_recorded_shape_is_flat_and_kebab_case() {
        let v = judge(
            &strings(&["CVE-2021-44228"]),
            &strings(&["checkout", "cart"]),
            &rescan(vec![
                scanned("checkout", &["CVE-2021-44228"]),
                ServiceRescan {
                    service: "cart".into(),
                    outcome: RescanOutcome::NotScanned {
                        reason: "scan failed".into(),
                    },
                },
            ]),
        )
        .unwrap();
        let j = serde_json::to_value(&v).unwrap();
        assert_eq!(
            j["services"],
            serde_json::json!([
                { "service": "checkout", "status": "found", "ids": ["CVE-2021-44228"] },
                { "service": "cart", "status": "not-checked", "reason": "scan failed" }
            ])
        );
        assert_eq!(j["baseline"]["type"], "git");
        assert_eq!(serde_json::from_value::<Verified>(j).unwrap(), v);
    }
}
