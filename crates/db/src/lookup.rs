//! Lookups: the advisories for a package, and findings for many package versions.

use std::collections::{BTreeMap, HashMap};

use cverun_osv::{
    AdvisoryInfo, Affected, Candidate, Finding, PackageMatcher, Severity, Verdicted, group,
};
use cverun_versions::{Ecosystem, normalize_name};
use jiff::Timestamp;
use rusqlite::params;

use crate::error::Result;
use crate::store::Database;

/// One package version to look up.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackageQuery {
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Its name, as written (normalised here).
    pub name: String,
    /// Its exact version, as written.
    pub version: String,
}

/// An advisory's entries for one package, with what grouping needs.
struct PackageAdvisory {
    candidate: Candidate,
    info: AdvisoryInfo,
}

impl Database {
    /// The (non-withdrawn) advisories naming `name` in `ecosystem`, one per id: when
    /// several sources hold the same id, the newest `modified` wins (then the source
    /// imported last).
    fn package_advisories(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
    ) -> Result<Vec<PackageAdvisory>> {
        let key = normalize_name(ecosystem, name);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT f.advisory_id, f.entries, a.modified, a.aliases, a.summary, a.severity, f.source_id
                 FROM affected f JOIN advisories a ON a.source_id = f.source_id AND a.id = f.advisory_id
                 WHERE f.ecosystem = ?1 AND f.name = ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![ecosystem.osv_name(), key.as_ref()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut best: BTreeMap<String, (Option<Timestamp>, i64, PackageAdvisory)> = BTreeMap::new();
        for row in rows {
            let (id, entries, modified, aliases, summary, severity, source) =
                row.map_err(|e| self.err(e))?;
            let entries: Vec<Affected> =
                serde_json::from_str(&entries).map_err(|e| crate::Error::Incompatible {
                    path: self.label().to_owned(),
                    message: format!("stored entries of {id} cannot be decoded: {e}"),
                })?;
            let mut sev: Vec<Severity> = serde_json::from_str(&severity).unwrap_or_default();
            for e in &entries {
                for s in &e.severity {
                    if !sev.contains(s) {
                        sev.push(s.clone());
                    }
                }
            }
            let m = modified.and_then(|m| m.parse::<Timestamp>().ok());
            let pa = PackageAdvisory {
                candidate: Candidate {
                    id: id.clone(),
                    withdrawn: false,
                    entries,
                },
                info: AdvisoryInfo {
                    id: id.clone(),
                    aliases: serde_json::from_str(&aliases).unwrap_or_default(),
                    summary,
                    severity: sev,
                },
            };
            match best.get(&id) {
                Some((old_m, old_s, _)) if (*old_m, *old_s) > (m, source) => {}
                _ => {
                    best.insert(id, (m, source, pa));
                }
            }
        }
        Ok(best.into_values().map(|(_, _, pa)| pa).collect())
    }

    /// Findings for each query, in the order given. Queries for the same package are
    /// evaluated together: its advisories are read and compiled once.
    pub fn find(&self, queries: &[PackageQuery]) -> Result<Vec<Vec<Finding>>> {
        let mut out: Vec<Vec<Finding>> = vec![Vec::new(); queries.len()];
        // (ecosystem, normalised name) -> version -> query indices
        let mut packages: HashMap<(&Ecosystem, String), HashMap<&str, Vec<usize>>> = HashMap::new();
        for (i, q) in queries.iter().enumerate() {
            let key = (
                &q.ecosystem,
                normalize_name(&q.ecosystem, &q.name).into_owned(),
            );
            packages
                .entry(key)
                .or_default()
                .entry(q.version.as_str())
                .or_default()
                .push(i);
        }
        for ((ecosystem, name), versions) in packages {
            let advisories = self.package_advisories(ecosystem, &name)?;
            if advisories.is_empty() {
                continue;
            }
            let (candidates, infos): (Vec<Candidate>, Vec<AdvisoryInfo>) = advisories
                .into_iter()
                .map(|a| (a.candidate, a.info))
                .unzip();
            let matcher = PackageMatcher::new(ecosystem, &candidates);
            for (version, indices) in versions {
                let verdicts: Vec<Verdicted> = matcher
                    .evaluate(version)
                    .into_iter()
                    .map(|hit| Verdicted {
                        info: infos[hit.candidate].clone(),
                        verdict: hit.verdict,
                        informational: hit.informational,
                    })
                    .collect();
                if verdicts.is_empty() {
                    continue;
                }
                let findings = group(ecosystem, verdicts);
                for &i in &indices {
                    out[i] = findings.clone();
                }
            }
        }
        Ok(out)
    }
}
