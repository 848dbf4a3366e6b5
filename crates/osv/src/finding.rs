//! Findings: verdicts for one package version, grouped by vulnerability.
//!
//! Databases publish the same vulnerability under several ids (a PYSEC record and
//! its GHSA twin, both naming the same CVE). Advisories whose ids or aliases meet,
//! directly or through a chain, are one vulnerability and become one [`Finding`]
//! that shows every id. `related` ids are different vulnerabilities and are never
//! merged.
//!
//! The primary id of a finding is the id of one of its records, preferring the
//! ecosystem's own database (PYSEC for PyPI, RUSTSEC for crates.io, GO for Go), then
//! GHSA, then any other, then CVE; ties go to the smallest id.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cverun_versions::Ecosystem;
use serde::Serialize;

use crate::matcher::{Matched, Verdict};
use crate::record::Severity;

/// A shared, immutable string: findings for many package versions point at the same
/// advisory data instead of copying it.
pub type Text = Arc<str>;

/// What the grouping needs to know about each advisory that produced a verdict.
#[derive(Clone, Debug)]
pub struct AdvisoryInfo {
    /// The record id.
    pub id: Text,
    /// Its aliases, sorted, without duplicates or its own id.
    pub aliases: Arc<[Text]>,
    /// Its summary.
    pub summary: Option<Text>,
    /// Its severities (top-level and for this package).
    pub severity: Arc<[Severity]>,
}

impl AdvisoryInfo {
    /// Builds the info of advisory `id`, normalising its aliases.
    pub fn new(
        id: &str,
        aliases: Vec<String>,
        summary: Option<String>,
        severity: Vec<Severity>,
    ) -> AdvisoryInfo {
        let mut aliases: Vec<String> = aliases.into_iter().filter(|a| a != id).collect();
        aliases.sort();
        aliases.dedup();
        AdvisoryInfo {
            id: id.into(),
            aliases: aliases.into_iter().map(Text::from).collect(),
            summary: summary.map(Text::from),
            severity: severity.into(),
        }
    }
}

/// One vulnerability affecting (or possibly affecting) one package version.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// Primary id.
    pub advisory: Text,
    /// Every other id of the vulnerability (records and their aliases), sorted.
    pub aliases: Arc<[Text]>,
    /// The records that produced this finding, sorted.
    pub records: Vec<Text>,
    /// A summary (from the primary record when it has one).
    pub summary: Option<Text>,
    /// Fixed versions closing the matched intervals, sorted and deduplicated.
    pub fixed: Vec<Text>,
    /// `null`, or the informational class (`unmaintained`, `unsound`, `notice`)
    /// when every matching record is informational.
    pub informational: Option<Text>,
    /// `null`, or why the finding cannot be decided (then `matched` is empty).
    pub unverifiable: Option<String>,
    /// How each record matched.
    pub matched: Vec<MatchedBy>,
    /// Severities from all records, deduplicated.
    pub severity: Arc<[Severity]>,
}

impl Finding {
    /// True for a vulnerability (affected, not informational).
    pub fn is_vulnerability(&self) -> bool {
        self.unverifiable.is_none() && self.informational.is_none()
    }
}

/// A record's match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MatchedBy {
    /// The record id.
    pub record: Text,
    /// How it matched.
    #[serde(flatten)]
    pub how: Matched,
}

/// One advisory's verdict, ready to be grouped.
#[derive(Clone, Debug)]
pub struct Verdicted<'a> {
    /// The advisory.
    pub info: &'a AdvisoryInfo,
    /// Its verdict for the version.
    pub verdict: Verdict,
    /// Its informational class, if any.
    pub informational: Option<Text>,
}

/// Groups verdicts for one package version into findings, sorted by primary id.
pub fn group(ecosystem: &Ecosystem, verdicts: Vec<Verdicted<'_>>) -> Vec<Finding> {
    if verdicts.len() == 1 {
        return vec![build(ecosystem, &verdicts, &[0])];
    }
    // Union-find over verdict indices, joined through shared ids.
    let n = verdicts.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, v) in verdicts.iter().enumerate() {
        let ids = std::iter::once(&v.info.id).chain(v.info.aliases.iter());
        for id in ids {
            match owner.get(id.as_ref()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    parent[a] = b;
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(i);
    }

    let mut findings: Vec<Finding> = groups
        .into_values()
        .map(|members| build(ecosystem, &verdicts, &members))
        .collect();
    findings.sort_by(|a, b| a.advisory.cmp(&b.advisory));
    findings
}

fn build(ecosystem: &Ecosystem, verdicts: &[Verdicted<'_>], members: &[usize]) -> Finding {
    let infos: Vec<&AdvisoryInfo> = members.iter().map(|&i| verdicts[i].info).collect();
    let primary: &AdvisoryInfo = infos
        .iter()
        .copied()
        .min_by_key(|info| (rank(ecosystem, &info.id), info.id.clone()))
        .unwrap_or(infos[0]);
    let (aliases, records, severity) = if let [only] = infos.as_slice() {
        (
            only.aliases.clone(),
            vec![only.id.clone()],
            only.severity.clone(),
        )
    } else {
        let mut ids: BTreeSet<&Text> = BTreeSet::new();
        let mut records: BTreeSet<&Text> = BTreeSet::new();
        let mut severity: Vec<Severity> = Vec::new();
        for info in &infos {
            records.insert(&info.id);
            ids.insert(&info.id);
            ids.extend(info.aliases.iter());
            for s in info.severity.iter() {
                if !severity.contains(s) {
                    severity.push(s.clone());
                }
            }
        }
        ids.remove(&primary.id);
        (
            ids.into_iter().cloned().collect(),
            records.into_iter().cloned().collect(),
            severity.into(),
        )
    };

    let mut matched = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut informational: Vec<Option<&Text>> = Vec::new();
    for &i in members {
        let v = &verdicts[i];
        match &v.verdict {
            Verdict::Affected(ms) => {
                informational.push(v.informational.as_ref());
                matched.extend(ms.iter().map(|m| MatchedBy {
                    record: v.info.id.clone(),
                    how: m.clone(),
                }));
            }
            Verdict::Unverifiable(rs) => {
                // Name the record only when the finding groups several.
                if members.len() > 1 {
                    reasons.extend(rs.iter().map(|r| format!("{}: {r}", v.info.id)));
                } else {
                    reasons.extend(rs.iter().cloned());
                }
            }
        }
    }
    let affected = !matched.is_empty();
    let mut fixed: Vec<Text> = matched.iter().filter_map(|m| m.how.fixed.clone()).collect();
    fixed.sort();
    fixed.dedup();
    // Findings are many and long-lived: no spare capacity.
    fixed.shrink_to_fit();
    let informational = if affected && informational.iter().all(Option::is_some) {
        informational.first().copied().flatten().cloned()
    } else {
        None
    };
    let summary = primary.summary.clone().or_else(|| {
        infos
            .iter()
            .filter(|info| info.summary.is_some())
            .min_by_key(|info| (rank(ecosystem, &info.id), info.id.clone()))
            .and_then(|info| info.summary.clone())
    });
    Finding {
        advisory: primary.id.clone(),
        aliases,
        records,
        summary,
        fixed,
        informational,
        unverifiable: (!affected).then(|| reasons.join("; ")),
        matched,
        severity,
    }
}

fn rank(ecosystem: &Ecosystem, id: &str) -> u8 {
    let native = match ecosystem {
        Ecosystem::PyPI => "PYSEC-",
        Ecosystem::CratesIo => "RUSTSEC-",
        Ecosystem::Go => "GO-",
        _ => "\u{0}",
    };
    if id.starts_with(native) {
        0
    } else if id.starts_with("GHSA-") {
        1
    } else if id.starts_with("CVE-") {
        3
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[Text]) -> Vec<&str> {
        v.iter().map(|t| &**t).collect()
    }

    fn info(id: &str, aliases: &[&str]) -> AdvisoryInfo {
        AdvisoryInfo::new(
            id,
            aliases.iter().map(|s| s.to_string()).collect(),
            Some(format!("summary of {id}")),
            vec![],
        )
    }

    fn hit(info: AdvisoryInfo, fixed: &str) -> Verdicted<'static> {
        Verdicted {
            info: Box::leak(Box::new(info)),
            verdict: Verdict::Affected(vec![Matched {
                kind: "ECOSYSTEM",
                listed: None,
                introduced: Some("0".into()),
                fixed: Some(fixed.into()),
                last_affected: None,
            }]),
            informational: None,
        }
    }

    #[test]
    fn aliases_join_records_even_through_a_third_id() {
        let f = group(
            &Ecosystem::PyPI,
            vec![
                hit(info("GHSA-aaaa-bbbb-cccc", &["CVE-2022-1"]), "2.0"),
                hit(info("PYSEC-2022-5", &["CVE-2022-1"]), "2.0"),
                hit(info("PYSEC-2023-9", &["CVE-2023-7"]), "3.1"),
            ],
        );
        assert_eq!(f.len(), 2);
        assert_eq!(&*f[0].advisory, "PYSEC-2022-5");
        assert_eq!(
            strs(&f[0].aliases),
            vec!["CVE-2022-1", "GHSA-aaaa-bbbb-cccc"]
        );
        assert_eq!(
            strs(&f[0].records),
            vec!["GHSA-aaaa-bbbb-cccc", "PYSEC-2022-5"]
        );
        assert_eq!(strs(&f[0].fixed), vec!["2.0"]);
        assert_eq!(f[0].summary.as_deref(), Some("summary of PYSEC-2022-5"));
        assert_eq!(&*f[1].advisory, "PYSEC-2023-9");
    }

    #[test]
    fn primary_prefers_the_native_database_then_ghsa() {
        let f = group(
            &Ecosystem::Go,
            vec![
                hit(info("GHSA-x", &["GO-2022-1", "CVE-1"]), "1.0.0"),
                hit(info("GO-2022-1", &[]), "1.0.0"),
            ],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(&*f[0].advisory, "GO-2022-1");
        let f = group(
            &Ecosystem::Npm,
            vec![
                hit(info("CVE-9", &[]), "1.0.0"),
                hit(info("GHSA-y", &["CVE-9"]), "1.0.0"),
            ],
        );
        assert_eq!(&*f[0].advisory, "GHSA-y");
    }

    #[test]
    fn affected_wins_over_unverifiable_in_a_group() {
        let f = group(
            &Ecosystem::PyPI,
            vec![
                hit(info("PYSEC-1", &["CVE-1"]), "2.0"),
                Verdicted {
                    info: Box::leak(Box::new(info("GHSA-1", &["CVE-1"]))),
                    verdict: Verdict::Unverifiable(vec!["bad event".into()]),
                    informational: None,
                },
            ],
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].unverifiable, None);
        assert!(f[0].is_vulnerability());
        let f = group(
            &Ecosystem::PyPI,
            vec![Verdicted {
                info: Box::leak(Box::new(info("GHSA-2", &[]))),
                verdict: Verdict::Unverifiable(vec!["bad event".into()]),
                informational: None,
            }],
        );
        assert_eq!(f[0].unverifiable.as_deref(), Some("bad event"));
        assert!(!f[0].is_vulnerability());
    }

    #[test]
    fn related_ids_are_not_aliases() {
        // Related ids are not part of AdvisoryInfo at all: two records that only
        // relate to each other stay two findings.
        let f = group(
            &Ecosystem::CratesIo,
            vec![
                hit(info("RUSTSEC-1", &[]), "1.0.0"),
                hit(info("RUSTSEC-2", &[]), "1.0.0"),
            ],
        );
        assert_eq!(f.len(), 2);
    }

    #[test]
    fn informational_only_when_every_match_is() {
        let mut a = hit(info("RUSTSEC-3", &[]), "1.0.0");
        a.informational = Some("unmaintained".into());
        let f = group(&Ecosystem::CratesIo, vec![a.clone()]);
        assert_eq!(f[0].informational.as_deref(), Some("unmaintained"));
        assert!(!f[0].is_vulnerability());
        let mut b = hit(info("GHSA-z", &["RUSTSEC-3"]), "1.0.0");
        b.informational = None;
        let f = group(&Ecosystem::CratesIo, vec![a, b]);
        assert_eq!(f[0].informational, None);
    }
}
