//! Range evaluation: is this version of this package affected by these advisories?
//!
//! This is the "Evaluation" section of the OSV schema, and nothing else:
//!
//! - every `affected[]` entry for the package is considered;
//! - a version listed in the entry's `versions` is affected (compared as strings,
//!   and also by the ecosystem's version equality, so PEP 440's `1.0` matches a
//!   listed `1.0.0`);
//! - each `ECOSYSTEM` or `SEMVER` range is evaluated by walking its events sorted by
//!   version (`introduced: "0"` first): `introduced` at or below the version sets
//!   *vulnerable*, `fixed` at or below clears it, `last_affected` strictly below
//!   clears it; `limit` events bound the range (`v < limit` for some limit; `"*"` is
//!   no bound);
//! - `GIT` ranges are skipped without stopping later ranges from being evaluated.
//!
//! Two choices the schema leaves open, made in the safe direction:
//!
//! - Events with equal versions keep the record's own order (a stable sort), so a
//!   timeline written `fixed: 2.0, introduced: 2.0` reopens at 2.0 as written.
//! - `SEMVER` ranges are compared as SemVer 2.0 as the schema says; for Go, whose
//!   versions are SemVer, Go's spelling rules apply. `ECOSYSTEM` ranges use the
//!   ecosystem's own scheme.
//!
//! And the rule that makes the whole thing fail closed: whenever a verdict depends on
//! something that cannot be read (the installed version does not parse in the
//! scheme, an event version does not parse, the range is malformed, the ecosystem
//! has no known version order), the advisory is reported *unverifiable* with the
//! reason, never *not affected*. A definite match elsewhere in the same advisory
//! still makes it *affected*.
//!
//! Withdrawn advisories never match.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::sync::Arc;

use cverun_versions::{Ecosystem, SchemeKind, Version, VersionError};
use serde::Serialize;

use crate::record::{Affected, Event, RangeKind};

/// One advisory's `affected[]` entries for one package: what the matcher needs.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// The advisory id.
    pub id: String,
    /// Whether the advisory is withdrawn (then it never matches).
    pub withdrawn: bool,
    /// The advisory's entries for this package.
    pub entries: Vec<Affected>,
}

/// How a version was found affected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Matched {
    /// `versions` (listed explicitly), `SEMVER` or `ECOSYSTEM`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// For a listed version: the listed string that matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed: Option<Arc<str>>,
    /// The `introduced` event that opened the interval holding the version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub introduced: Option<Arc<str>>,
    /// The `fixed` event that closes that interval, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Arc<str>>,
    /// The `last_affected` event that closes that interval, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<Arc<str>>,
}

impl Matched {
    /// A short human description: `>=1.19.0-0, <1.19.1` or `listed: 1.0`.
    pub fn describe(&self) -> String {
        if let Some(l) = &self.listed {
            return format!("listed: {l}");
        }
        let mut parts = Vec::new();
        match self.introduced.as_deref() {
            Some("0") | None => parts.push(">=0".to_owned()),
            Some(i) => parts.push(format!(">={i}")),
        }
        if let Some(f) = &self.fixed {
            parts.push(format!("<{f}"));
        }
        if let Some(l) = &self.last_affected {
            parts.push(format!("<={l}"));
        }
        format!("{} {}", self.kind, parts.join(", "))
    }
}

/// The verdict for one advisory and one version, when it is not "not affected".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Affected; how (at least one item).
    Affected(Vec<Matched>),
    /// Cannot be decided; why (at least one reason).
    Unverifiable(Vec<String>),
}

/// A verdict for one candidate advisory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Index of the advisory in the candidates given to [`PackageMatcher::new`].
    pub candidate: usize,
    /// The verdict.
    pub verdict: Verdict,
    /// The informational class (`unmaintained`, `unsound`, `notice`) of the entries
    /// that produced the verdict, when all of them carry one.
    pub informational: Option<Arc<str>>,
}

/// Advisories for one package, compiled once (event versions parsed and sorted) and
/// then evaluated against any number of installed versions.
#[derive(Debug)]
pub struct PackageMatcher {
    ecosystem_scheme: Option<SchemeKind>,
    advisories: Vec<CompiledAdvisory>,
}

#[derive(Debug)]
struct CompiledAdvisory {
    candidate: usize,
    entries: Vec<CompiledEntry>,
}

#[derive(Debug)]
struct CompiledEntry {
    /// Listed versions, with their parse in the ecosystem's scheme when it parses.
    listed: Vec<(Arc<str>, Option<Version>)>,
    ranges: Vec<CompiledRange>,
    problem: Option<String>,
    informational: Option<Arc<str>>,
}

#[derive(Debug)]
enum CompiledRange {
    /// GIT: not evaluated against versions.
    Skip,
    /// Cannot be evaluated, for this reason.
    Broken(String),
    /// Ready to evaluate.
    Ready(ReadyRange),
}

#[derive(Debug)]
struct ReadyRange {
    kind: &'static str,
    scheme: SchemeKind,
    /// Events sorted by version (stable), limits removed.
    events: Vec<ReadyEvent>,
    /// Limits; `None` is `"*"` (no bound).
    limits: Vec<Option<Version>>,
}

#[derive(Debug)]
struct ReadyEvent {
    kind: EventKind,
    /// `None` is `introduced: "0"`, before every version.
    at: Option<Version>,
    raw: Arc<str>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    Introduced,
    Fixed,
    LastAffected,
}

impl PackageMatcher {
    /// Compiles `candidates` (advisories for one package of `ecosystem`).
    pub fn new(ecosystem: &Ecosystem, candidates: &[Candidate]) -> PackageMatcher {
        let ecosystem_scheme = ecosystem.scheme();
        let advisories = candidates
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.withdrawn)
            .map(|(i, c)| CompiledAdvisory {
                candidate: i,
                entries: c
                    .entries
                    .iter()
                    .map(|e| compile_entry(ecosystem, ecosystem_scheme, e))
                    .collect(),
            })
            .collect();
        PackageMatcher {
            ecosystem_scheme,
            advisories,
        }
    }

    /// True when no (non-withdrawn) advisory concerns the package.
    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// Evaluates `version`; returns a hit for every advisory that affects it or
    /// cannot be decided, in candidate order.
    pub fn evaluate(&self, version: &str) -> Vec<Hit> {
        let parsed = ParseCache::new(version);
        let mut hits = Vec::new();
        for adv in &self.advisories {
            let mut matched = Vec::new();
            let mut problems = Vec::new();
            let mut informational: Vec<Option<&Arc<str>>> = Vec::new();
            for entry in &adv.entries {
                let before = (matched.len(), problems.len());
                self.evaluate_entry(entry, version, &parsed, &mut matched, &mut problems);
                if (matched.len(), problems.len()) != before {
                    informational.push(entry.informational.as_ref());
                }
            }
            let verdict = if !matched.is_empty() {
                Verdict::Affected(matched)
            } else if !problems.is_empty() {
                problems.dedup();
                Verdict::Unverifiable(problems)
            } else {
                continue;
            };
            let informational = if informational.iter().all(Option::is_some) {
                informational.first().copied().flatten().cloned()
            } else {
                None
            };
            hits.push(Hit {
                candidate: adv.candidate,
                verdict,
                informational,
            });
        }
        hits
    }

    fn evaluate_entry(
        &self,
        entry: &CompiledEntry,
        version: &str,
        parsed: &ParseCache,
        matched: &mut Vec<Matched>,
        problems: &mut Vec<String>,
    ) {
        if let Some(p) = &entry.problem {
            problems.push(format!(
                "the advisory's entry for this package is malformed: {p}"
            ));
        }
        if let Some((listed, _)) = entry.listed.iter().find(|(s, _)| &**s == version) {
            matched.push(listed_match(listed));
        } else if !entry.listed.is_empty() {
            match self.ecosystem_scheme {
                Some(scheme) => match parsed.get(scheme) {
                    Ok(v) => {
                        if let Some((listed, _)) = entry.listed.iter().find(|(_, p)| {
                            p.as_ref()
                                .is_some_and(|p| p.cmp_same(&v) == Some(Ordering::Equal))
                        }) {
                            matched.push(listed_match(listed));
                        }
                    }
                    Err(e) => problems.push(format!(
                        "cannot compare with the advisory's listed versions: {e}"
                    )),
                },
                None => {
                    // No scheme: only exact strings can be compared, which was done.
                }
            }
        }
        for range in &entry.ranges {
            match range {
                CompiledRange::Skip => {}
                CompiledRange::Broken(reason) => problems.push(reason.clone()),
                CompiledRange::Ready(r) => match parsed.get(r.scheme) {
                    Ok(v) => {
                        if let Some(m) = r.evaluate(&v) {
                            matched.push(m);
                        }
                    }
                    Err(e) => problems.push(format!(
                        "cannot evaluate the advisory's {} range: {e}",
                        r.kind
                    )),
                },
            }
        }
    }
}

fn listed_match(listed: &Arc<str>) -> Matched {
    Matched {
        kind: "versions",
        listed: Some(listed.clone()),
        introduced: None,
        fixed: None,
        last_affected: None,
    }
}

/// Parses the installed version at most once per scheme.
struct ParseCache<'a> {
    input: &'a str,
    done: RefCell<Vec<(SchemeKind, Result<Version, VersionError>)>>,
}

impl<'a> ParseCache<'a> {
    fn new(input: &'a str) -> Self {
        ParseCache {
            input,
            done: RefCell::new(Vec::new()),
        }
    }

    fn get(&self, scheme: SchemeKind) -> Result<Version, VersionError> {
        if let Some((_, r)) = self.done.borrow().iter().find(|(s, _)| *s == scheme) {
            return r.clone();
        }
        let r = Version::parse(scheme, self.input);
        self.done.borrow_mut().push((scheme, r.clone()));
        r
    }
}

fn compile_entry(
    ecosystem: &Ecosystem,
    scheme: Option<SchemeKind>,
    entry: &Affected,
) -> CompiledEntry {
    let listed = entry
        .versions
        .iter()
        .map(|s| {
            (
                Arc::from(s.as_str()),
                scheme.and_then(|k| Version::parse(k, s).ok()),
            )
        })
        .collect();
    let ranges = entry
        .ranges
        .iter()
        .map(|r| compile_range(ecosystem, scheme, r))
        .collect();
    CompiledEntry {
        listed,
        ranges,
        problem: entry.problem.clone(),
        informational: entry.informational.as_deref().map(Arc::from),
    }
}

fn compile_range(
    ecosystem: &Ecosystem,
    eco_scheme: Option<SchemeKind>,
    range: &crate::record::Range,
) -> CompiledRange {
    let what = range.kind.as_str();
    if range.kind == RangeKind::Git {
        return CompiledRange::Skip;
    }
    if let Some(p) = &range.problem {
        return CompiledRange::Broken(format!("the advisory's {what} range is malformed: {p}"));
    }
    let scheme = match (&range.kind, eco_scheme) {
        (RangeKind::Semver, Some(s @ (SchemeKind::SemVer | SchemeKind::Go))) => s,
        (RangeKind::Semver, _) => SchemeKind::SemVer,
        (RangeKind::Ecosystem, Some(s)) => s,
        (RangeKind::Ecosystem, None) => {
            return CompiledRange::Broken(format!(
                "cverun has no version order for ecosystem {ecosystem:?}",
                ecosystem = ecosystem.osv_name()
            ));
        }
        (RangeKind::Git | RangeKind::Other(_), _) => {
            return CompiledRange::Broken(format!("range type {what:?} cannot be evaluated"));
        }
    };
    let mut events = Vec::with_capacity(range.events.len());
    let mut limits = Vec::new();
    for e in &range.events {
        let raw = e.version();
        let kind = match e {
            Event::Limit(_) => {
                if raw.contains('*') {
                    limits.push(None);
                } else {
                    match Version::parse(scheme, raw) {
                        Ok(v) => limits.push(Some(v)),
                        Err(err) => return broken_event(what, e, &err),
                    }
                }
                continue;
            }
            Event::Introduced(_) => EventKind::Introduced,
            Event::Fixed(_) => EventKind::Fixed,
            Event::LastAffected(_) => EventKind::LastAffected,
        };
        let at = if kind == EventKind::Introduced && raw == "0" {
            None
        } else {
            match Version::parse(scheme, raw) {
                Ok(v) => Some(v),
                Err(err) => return broken_event(what, e, &err),
            }
        };
        events.push(ReadyEvent {
            kind,
            at,
            raw: Arc::from(raw),
        });
    }
    // Stable: events at equal versions keep the record's order.
    events.sort_by(|a, b| a.at.cmp(&b.at));
    let kind = if range.kind == RangeKind::Semver {
        "SEMVER"
    } else {
        "ECOSYSTEM"
    };
    CompiledRange::Ready(ReadyRange {
        kind,
        scheme,
        events,
        limits,
    })
}

fn broken_event(what: &str, e: &Event, err: &VersionError) -> CompiledRange {
    CompiledRange::Broken(format!(
        "the advisory's {what} range has an event `{}` that cannot be read: {err}",
        e.key()
    ))
}

impl ReadyRange {
    /// The OSV walk; on a match, also the interval that holds `v`.
    fn evaluate(&self, v: &Version) -> Option<Matched> {
        if !self.limits.is_empty() && !self.limits.iter().any(|l| l.as_ref().is_none_or(|l| v < l))
        {
            return None;
        }
        let mut vulnerable = false;
        let mut opened_by = None;
        for (i, e) in self.events.iter().enumerate() {
            match e.kind {
                EventKind::Introduced => {
                    if e.at.as_ref().is_none_or(|at| v >= at) {
                        vulnerable = true;
                        opened_by = Some(i);
                    }
                }
                EventKind::Fixed => {
                    if e.at.as_ref().is_some_and(|at| v >= at) {
                        vulnerable = false;
                    }
                }
                EventKind::LastAffected => {
                    if e.at.as_ref().is_some_and(|at| v > at) {
                        vulnerable = false;
                    }
                }
            }
        }
        if !vulnerable {
            return None;
        }
        let start = opened_by?;
        let close = self.events[start + 1..]
            .iter()
            .find(|e| e.kind != EventKind::Introduced);
        Some(Matched {
            kind: self.kind,
            listed: None,
            introduced: Some(self.events[start].raw.clone()),
            fixed: close
                .filter(|e| e.kind == EventKind::Fixed)
                .map(|e| e.raw.clone()),
            last_affected: close
                .filter(|e| e.kind == EventKind::LastAffected)
                .map(|e| e.raw.clone()),
        })
    }
}

#[cfg(test)]
mod tests;
