//! Lookups: findings for many package versions at once.
//!
//! [`Database::find`] groups the queries by package, writes the distinct packages to a
//! temporary table, and reads every `affected` row for them in one statement driven by
//! that table (so the cost is one index probe per distinct package, and SQLite's
//! statement is prepared once whatever the batch size). Rows arrive grouped by package;
//! each package's advisories are decoded, compiled once into a
//! [`PackageMatcher`], and evaluated for every distinct version asked for.

use std::borrow::Cow;

use cverun_osv::{AdvisoryInfo, Affected, Candidate, Finding, PackageMatcher, Verdicted, group};
use cverun_versions::{Ecosystem, normalize_name};
use jiff::Timestamp;
use rusqlite::params;

use crate::error::{Error, Result};
use crate::store::Database;

type FastMap<K, V> = foldhash::HashMap<K, V>;

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

/// The versions asked for one package, with the query asking each.
struct Wanted<'q> {
    ecosystem: &'q Ecosystem,
    name: Cow<'q, str>,
    versions: Vec<(&'q str, usize)>,
}

/// One advisory row for a package.
struct Row {
    id: String,
    source: i64,
    modified: Option<String>,
    entries: String,
    aliases: String,
    summary: Option<String>,
    severity: String,
}

impl Database {
    /// Findings for each query, in the order given.
    pub fn find(&self, queries: &[PackageQuery]) -> Result<Vec<Vec<Finding>>> {
        let mut out: Vec<Vec<Finding>> = vec![Vec::new(); queries.len()];
        let mut index: FastMap<(&Ecosystem, Cow<'_, str>), usize> = FastMap::default();
        let mut wanted: Vec<Wanted<'_>> = Vec::new();
        for (i, q) in queries.iter().enumerate() {
            let name = normalize_name(&q.ecosystem, &q.name);
            let next = wanted.len();
            let k = *index.entry((&q.ecosystem, name.clone())).or_insert(next);
            if k == next {
                wanted.push(Wanted {
                    ecosystem: &q.ecosystem,
                    name,
                    versions: Vec::new(),
                });
            }
            wanted[k].versions.push((q.version.as_str(), i));
        }
        if wanted.is_empty() {
            return Ok(out);
        }

        self.conn
            .execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS lookup (id INTEGER PRIMARY KEY, ecosystem TEXT NOT NULL, name TEXT NOT NULL);
                 DELETE FROM temp.lookup;",
            )
            .map_err(|e| self.err(e))?;
        {
            let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
            {
                let mut ins = tx
                    .prepare_cached(
                        "INSERT INTO temp.lookup (id, ecosystem, name) VALUES (?1, ?2, ?3)",
                    )
                    .map_err(|e| self.err(e))?;
                for (k, w) in wanted.iter().enumerate() {
                    ins.execute(params![k as i64, w.ecosystem.osv_name(), w.name.as_ref()])
                        .map_err(|e| self.err(e))?;
                }
            }
            tx.commit().map_err(|e| self.err(e))?;
        }

        // CROSS JOIN keeps `lookup` as the outer loop: one seek per package into
        // `affected`, which is clustered by (ecosystem, name, advisory id, source), so a
        // package's rows are contiguous and arrive sorted by advisory id.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT l.id, f.advisory_id, f.source_id, f.modified, f.entries, f.aliases, f.summary, f.severity
                 FROM temp.lookup l
                 CROSS JOIN affected f ON f.ecosystem = l.ecosystem AND f.name = l.name
                 ORDER BY l.id, f.advisory_id, f.source_id",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        let mut current: Option<usize> = None;
        let mut group_rows: Vec<Row> = Vec::new();
        loop {
            let row = rows.next().map_err(|e| self.err(e))?;
            let k = match row {
                Some(r) => Some(r.get::<_, i64>(0).map_err(|e| self.err(e))? as usize),
                None => None,
            };
            if k != current {
                if let Some(c) = current {
                    self.evaluate(&mut wanted[c], std::mem::take(&mut group_rows), &mut out)?;
                }
                current = k;
            }
            let Some(r) = row else { break };
            let get = |i: usize| -> rusqlite::Result<String> { r.get(i) };
            group_rows.push(Row {
                id: get(1).map_err(|e| self.err(e))?,
                source: r.get(2).map_err(|e| self.err(e))?,
                modified: r.get(3).map_err(|e| self.err(e))?,
                entries: get(4).map_err(|e| self.err(e))?,
                aliases: get(5).map_err(|e| self.err(e))?,
                summary: r.get(6).map_err(|e| self.err(e))?,
                severity: get(7).map_err(|e| self.err(e))?,
            });
        }
        Ok(out)
    }

    /// Evaluates one package's advisories for every version asked.
    fn evaluate(
        &self,
        wanted: &mut Wanted<'_>,
        rows: Vec<Row>,
        out: &mut [Vec<Finding>],
    ) -> Result<()> {
        let rows = newest_per_id(rows);
        let mut candidates = Vec::with_capacity(rows.len());
        let mut infos = Vec::with_capacity(rows.len());
        for row in rows {
            let entries: Vec<Affected> =
                serde_json::from_str(&row.entries).map_err(|e| Error::Incompatible {
                    path: self.label().to_owned(),
                    message: format!("stored entries of {} cannot be decoded: {e}", row.id),
                })?;
            infos.push(AdvisoryInfo::new(
                &row.id,
                serde_json::from_str(&row.aliases).unwrap_or_default(),
                row.summary,
                serde_json::from_str(&row.severity).unwrap_or_default(),
            ));
            candidates.push(Candidate {
                id: row.id,
                withdrawn: false,
                entries,
            });
        }
        let matcher = PackageMatcher::new(wanted.ecosystem, &candidates);
        wanted.versions.sort_unstable();
        for same in wanted.versions.chunk_by(|a, b| a.0 == b.0) {
            let verdicts: Vec<Verdicted<'_>> = matcher
                .evaluate(same[0].0)
                .into_iter()
                .map(|hit| Verdicted {
                    info: &infos[hit.candidate],
                    verdict: hit.verdict,
                    informational: hit.informational,
                })
                .collect();
            if verdicts.is_empty() {
                continue;
            }
            let findings = group(wanted.ecosystem, verdicts);
            if let Some(((_, last), rest)) = same.split_last() {
                for (_, i) in rest {
                    out[*i] = findings.clone();
                }
                out[*last] = findings;
            }
        }
        Ok(())
    }
}

/// Keeps one row per advisory id (rows arrive sorted by id): when several sources
/// hold it, the newest `modified` wins, then the source imported last.
fn newest_per_id(rows: Vec<Row>) -> Vec<Row> {
    let mut kept: Vec<Row> = Vec::with_capacity(rows.len());
    for row in rows {
        match kept.last_mut() {
            Some(last) if last.id == row.id => {
                let stamp = |r: &Row| {
                    r.modified
                        .as_deref()
                        .and_then(|m| m.parse::<Timestamp>().ok())
                };
                if (stamp(&row), row.source) > (stamp(last), last.source) {
                    *last = row;
                }
            }
            _ => kept.push(row),
        }
    }
    kept
}
