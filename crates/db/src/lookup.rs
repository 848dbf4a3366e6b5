//! Lookups: findings for many package versions at once.
//!
//! [`Database::find`] groups the queries by package, writes the distinct packages to a
//! temporary table, and reads every `affected` row for them in one statement driven by
//! that table (so the cost is one index probe per distinct package, and SQLite's
//! statement is prepared once whatever the batch size). Rows arrive grouped by package;
//! each package's advisories are decoded, compiled once into a
//! [`PackageMatcher`], and evaluated for every distinct version asked for.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

use cverun_osv::{
    AdvisoryInfo, Affected, Candidate, Finding, FixFinder, FixGroup, FixOptions, FixPlan,
    PackageMatcher, TargetedUpgrade, Verdicted, group,
};
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

/// Anything that names a package version to look up.
pub trait Query {
    /// Its ecosystem.
    fn ecosystem(&self) -> &Ecosystem;
    /// Its name, as written (normalised by the lookup).
    fn name(&self) -> &str;
    /// Its exact version, as written.
    fn version(&self) -> &str;
}

impl Query for PackageQuery {
    fn ecosystem(&self) -> &Ecosystem {
        &self.ecosystem
    }
    fn name(&self) -> &str {
        &self.name
    }
    fn version(&self) -> &str {
        &self.version
    }
}

impl<T: Query + ?Sized> Query for &T {
    fn ecosystem(&self) -> &Ecosystem {
        (**self).ecosystem()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
    fn version(&self) -> &str {
        (**self).version()
    }
}

/// One package version to plan the fix of, with its advisories as findings group
/// them (each gets its own fix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FixQuery {
    /// The package version.
    pub query: PackageQuery,
    /// Its advisories.
    pub groups: Vec<FixGroup>,
}

impl Query for FixQuery {
    fn ecosystem(&self) -> &Ecosystem {
        &self.query.ecosystem
    }
    fn name(&self) -> &str {
        &self.query.name
    }
    fn version(&self) -> &str {
        &self.query.version
    }
}

/// Below this many queries, one thread does the whole batch.
const PARALLEL_MIN: usize = 20_000;

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
    /// [`Database::find`] on up to `threads` threads, each with its own connection to
    /// the database file, packages split between them so each package is compiled
    /// once. A temporary (in-memory) database, or a small batch, uses one thread.
    pub fn find_parallel<Q: Query + Sync>(
        &self,
        queries: &[Q],
        threads: usize,
    ) -> Result<Vec<Vec<Finding>>> {
        self.by_package(queries, threads, |db, qs| db.find(qs))
    }

    /// [`Database::fixes`] on up to `threads` threads, as [`Database::find_parallel`].
    pub fn fixes_parallel<Q: Query + Sync>(
        &self,
        queries: &[Q],
        threads: usize,
    ) -> Result<Vec<FixOptions>> {
        self.by_package(queries, threads, |db, qs| db.fixes(qs))
    }

    /// [`Database::fix_plans`] on up to `threads` threads, as [`Database::find_parallel`].
    pub fn fix_plans_parallel(&self, queries: &[FixQuery], threads: usize) -> Result<Vec<FixPlan>> {
        self.by_package(queries, threads, |db, qs| db.fix_plans(qs))
    }

    /// [`Database::fix_plans_parallel`], each plan handed to `keep` (with its query)
    /// on its thread as soon as it is made; the answers are what `keep` returns, in
    /// the order of `queries` (the default value for a package whose ecosystem has
    /// no version scheme). A large scan then holds one small value per query instead
    /// of every plan twice while the threads' parts are put in order.
    pub fn fix_plans_parallel_with<T: Default + Clone + Send>(
        &self,
        queries: &[FixQuery],
        threads: usize,
        keep: impl Fn(&FixQuery, FixPlan) -> T + Sync,
    ) -> Result<Vec<T>> {
        self.by_package(queries, threads, |db, qs| db.fix_plans_with(qs, &keep))
    }

    /// Runs `work` on parts of `queries` split by package, one connection per thread;
    /// the answers in the order of `queries`.
    fn by_package<Q: Query + Sync, R: Default + Clone + Send>(
        &self,
        queries: &[Q],
        threads: usize,
        work: impl Fn(&Database, &[&Q]) -> Result<Vec<R>> + Sync,
    ) -> Result<Vec<R>> {
        let (Some(dir), true) = (self.dir(), threads > 1 && queries.len() >= PARALLEL_MIN) else {
            let all: Vec<&Q> = queries.iter().collect();
            return work(self, &all);
        };
        use std::hash::{BuildHasher, Hash, Hasher};
        let state = foldhash::fast::FixedState::with_seed(0);
        let mut parts: Vec<Vec<usize>> = vec![Vec::new(); threads];
        for (i, q) in queries.iter().enumerate() {
            let mut h = state.build_hasher();
            q.ecosystem().osv_name().hash(&mut h);
            normalize_name(q.ecosystem(), q.name()).hash(&mut h);
            parts[(h.finish() % threads as u64) as usize].push(i);
        }
        let work = &work;
        let results: Vec<Result<Vec<R>>> = std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .iter()
                .map(|idx| {
                    s.spawn(move || {
                        let db = Database::open_existing(dir)?;
                        let qs: Vec<&Q> = idx.iter().map(|&i| &queries[i]).collect();
                        work(&db, &qs)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| match h.join() {
                    Ok(r) => r,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        });
        let mut out: Vec<R> = vec![R::default(); queries.len()];
        for (idx, r) in parts.iter().zip(results) {
            for (&i, f) in idx.iter().zip(r?) {
                out[i] = f;
            }
        }
        Ok(out)
    }

    /// Findings for each query, in the order given.
    pub fn find<Q: Query>(&self, queries: &[Q]) -> Result<Vec<Vec<Finding>>> {
        let mut out: Vec<Vec<Finding>> = vec![Vec::new(); queries.len()];
        let mut index: FastMap<(&Ecosystem, Cow<'_, str>), usize> = FastMap::default();
        let mut wanted: Vec<Wanted<'_>> = Vec::new();
        for (i, q) in queries.iter().enumerate() {
            let name = normalize_name(q.ecosystem(), q.name());
            let next = wanted.len();
            let k = *index.entry((q.ecosystem(), name.clone())).or_insert(next);
            if k == next {
                wanted.push(Wanted {
                    ecosystem: q.ecosystem(),
                    name,
                    versions: Vec::new(),
                });
            }
            wanted[k].versions.push((q.version(), i));
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
        // Packages are probed in key order, so the index is walked forward, not at
        // random: `rank` is the lookup id, `order[rank]` the package.
        let mut order: Vec<usize> = (0..wanted.len()).collect();
        order.sort_by(|&a, &b| {
            (wanted[a].ecosystem.osv_name(), wanted[a].name.as_ref())
                .cmp(&(wanted[b].ecosystem.osv_name(), wanted[b].name.as_ref()))
        });
        {
            let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
            {
                let mut ins = tx
                    .prepare_cached(
                        "INSERT INTO temp.lookup (id, ecosystem, name) VALUES (?1, ?2, ?3)",
                    )
                    .map_err(|e| self.err(e))?;
                for (rank, &k) in order.iter().enumerate() {
                    let w = &wanted[k];
                    ins.execute(params![
                        rank as i64,
                        w.ecosystem.osv_name(),
                        w.name.as_ref()
                    ])
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
                Some(r) => {
                    let rank = r.get::<_, i64>(0).map_err(|e| self.err(e))? as usize;
                    order.get(rank).copied()
                }
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

impl Database {
    /// Every (non-withdrawn) advisory row for one package, one per id.
    fn rows_for(&self, ecosystem: &Ecosystem, name: &str) -> Result<Vec<Row>> {
        let key = normalize_name(ecosystem, name);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT advisory_id, source_id, modified, entries, aliases, summary, severity FROM affected
                 WHERE ecosystem = ?1 AND name = ?2 ORDER BY advisory_id, source_id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![ecosystem.osv_name(), key.as_ref()], |r| {
                Ok(Row {
                    id: r.get(0)?,
                    source: r.get(1)?,
                    modified: r.get(2)?,
                    entries: r.get(3)?,
                    aliases: r.get(4)?,
                    summary: r.get(5)?,
                    severity: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let rows: Vec<Row> = rows
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))?;
        Ok(newest_per_id(rows))
    }

    /// Fix options for each (vulnerable) package version asked: candidates are every
    /// version the package's advisories name, each evaluated against all of the
    /// package's advisories (see `cverun_osv::fix`). Each package's advisories are
    /// read and decoded once, however many of its versions are asked.
    pub fn fixes<Q: Query>(&self, queries: &[Q]) -> Result<Vec<FixOptions>> {
        Ok(self
            .plan_each(queries, |finder, _, version| finder.options(version))?
            .into_iter()
            .collect())
    }

    /// The fix options of each package version asked and the own fix of each of its
    /// advisories (see `cverun_osv::fix`), read as [`Database::fixes`] reads them.
    pub fn fix_plans<Q: Query + std::borrow::Borrow<FixQuery>>(
        &self,
        queries: &[Q],
    ) -> Result<Vec<FixPlan>> {
        self.fix_plans_with(queries, |_, plan| plan)
    }

    /// [`Database::fix_plans`], each plan handed to `keep` with its query as soon as
    /// it is made (see [`Database::fix_plans_parallel_with`]).
    pub fn fix_plans_with<Q: Query + std::borrow::Borrow<FixQuery>, T: Default + Clone>(
        &self,
        queries: &[Q],
        keep: impl Fn(&FixQuery, FixPlan) -> T,
    ) -> Result<Vec<T>> {
        self.plan_each(queries, |finder, i, version| {
            let query = queries[i].borrow();
            keep(query, finder.plan(version, &query.groups))
        })
    }

    /// For each query, the smallest known upgrade that fixes the groups marked in
    /// `targeted` (one flag per group of the query), whatever the package's other
    /// advisories say (`cverun_osv::FixFinder::upgrade_fixing`); `None` when no
    /// known version does.
    pub fn upgrades_fixing(
        &self,
        queries: &[FixQuery],
        targeted: &[Vec<bool>],
    ) -> Result<Vec<Option<TargetedUpgrade>>> {
        self.plan_each(queries, |finder, i, version| {
            finder.upgrade_fixing(
                version,
                &queries[i].groups,
                targeted.get(i).map_or(&[][..], Vec::as_slice),
            )
        })
    }

    /// Runs `each` with the fix finder of each query's package (built once per
    /// package) on the query's index and version.
    fn plan_each<Q: Query, R: Default + Clone>(
        &self,
        queries: &[Q],
        each: impl Fn(&FixFinder, usize, &str) -> R,
    ) -> Result<Vec<R>> {
        let mut out = vec![R::default(); queries.len()];
        let mut order: Vec<usize> = (0..queries.len()).collect();
        let key = |i: &usize| {
            let q = &queries[*i];
            (
                q.ecosystem().osv_name(),
                normalize_name(q.ecosystem(), q.name()),
            )
        };
        order.sort_by(|a, b| key(a).cmp(&key(b)));
        let mut start = 0;
        while start < order.len() {
            let k = key(&order[start]);
            let end = start + order[start..].iter().take_while(|i| key(i) == k).count();
            let first = &queries[order[start]];
            if let Some(scheme) = first.ecosystem().scheme() {
                let candidates = self.candidates(first.ecosystem(), first.name())?;
                let finder = FixFinder::new(first.ecosystem(), scheme, &candidates)
                    .package(&normalize_name(first.ecosystem(), first.name()));
                for &i in &order[start..end] {
                    out[i] = each(&finder, i, queries[i].version());
                }
            }
            start = end;
        }
        Ok(out)
    }

    /// Every (non-withdrawn) advisory of one package, decoded for the matcher.
    fn candidates(&self, ecosystem: &Ecosystem, name: &str) -> Result<Vec<Candidate>> {
        let rows = self.rows_for(ecosystem, name)?;
        let mut candidates: Vec<Candidate> = Vec::with_capacity(rows.len());
        for row in rows {
            let entries: Vec<Affected> =
                serde_json::from_str(&row.entries).map_err(|e| Error::Incompatible {
                    path: self.label().to_owned(),
                    message: format!("stored entries of {} cannot be decoded: {e}", row.id),
                })?;
            candidates.push(Candidate {
                id: row.id,
                withdrawn: false,
                entries,
            });
        }
        Ok(candidates)
    }

    /// Severity vectors and qualitative severities of every record carrying any of
    /// `ids` (as its id or an alias): the best-known data of a vulnerability whose
    /// matching record has none (a PYSEC or GO record beside its scored GHSA twin).
    pub fn severity_of(&self, ids: &[&str]) -> Result<(Vec<cverun_osv::Severity>, Vec<String>)> {
        let by_id = self.severities(ids)?;
        let mut vectors: Vec<cverun_osv::Severity> = Vec::new();
        let mut labels: Vec<String> = Vec::new();
        for id in ids {
            for r in by_id.get(*id).into_iter().flatten() {
                for s in r.vectors.iter() {
                    if !vectors.contains(s) {
                        vectors.push(s.clone());
                    }
                }
                if let Some(q) = r.qualitative.as_ref().filter(|q| !labels.contains(q)) {
                    labels.push(q.clone());
                }
            }
        }
        Ok((vectors, labels))
    }

    /// For each of `ids`, the severity data of every record carrying it (as its id or
    /// an alias; withdrawn records aside), read in one statement driven by a temporary table of the ids; a
    /// record's data is decoded once and shared by all its ids. Ids no record
    /// carries are absent from the map.
    pub fn severities(&self, ids: &[&str]) -> Result<HashMap<String, Vec<Arc<RecordSeverity>>>> {
        self.fill_ids(ids)?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT l.id, a.source_id, a.id, a.severity, a.qualitative FROM temp.idlookup l
                 CROSS JOIN ids i ON i.id = l.id
                 JOIN advisories a ON a.source_id = i.source_id AND a.id = i.advisory_id
                 WHERE a.withdrawn IS NULL
                 ORDER BY l.id, a.id, a.source_id",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        let mut decoded: HashMap<(i64, String), Arc<RecordSeverity>> = HashMap::new();
        let mut out: HashMap<String, Vec<Arc<RecordSeverity>>> = HashMap::new();
        while let Some(r) = rows.next().map_err(|e| self.err(e))? {
            let id: String = r.get(0).map_err(|e| self.err(e))?;
            let source: i64 = r.get(1).map_err(|e| self.err(e))?;
            let record: String = r.get(2).map_err(|e| self.err(e))?;
            let rs = match decoded.get(&(source, record.clone())) {
                Some(rs) => rs.clone(),
                None => {
                    let sev: String = r.get(3).map_err(|e| self.err(e))?;
                    let vectors: Vec<cverun_osv::Severity> =
                        serde_json::from_str(&sev).map_err(|e| Error::Incompatible {
                            path: self.label().to_owned(),
                            message: format!("stored severity of {record} cannot be decoded: {e}"),
                        })?;
                    let rs = Arc::new(RecordSeverity {
                        record: record.clone(),
                        vectors,
                        qualitative: r.get(4).map_err(|e| self.err(e))?,
                    });
                    decoded.insert((source, record), rs.clone());
                    rs
                }
            };
            out.entry(id).or_default().push(rs);
        }
        Ok(out)
    }

    /// Fills `temp.idlookup` with the distinct `ids`, in sorted order.
    pub(crate) fn fill_ids(&self, ids: &[&str]) -> Result<()> {
        let mut sorted: Vec<&str> = ids.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        self.conn
            .execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS idlookup (id TEXT PRIMARY KEY) WITHOUT ROWID;
                 DELETE FROM temp.idlookup;",
            )
            .map_err(|e| self.err(e))?;
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        {
            let mut ins = tx
                .prepare_cached("INSERT INTO temp.idlookup (id) VALUES (?1)")
                .map_err(|e| self.err(e))?;
            for id in sorted {
                ins.execute(params![id]).map_err(|e| self.err(e))?;
            }
        }
        tx.commit().map_err(|e| self.err(e))
    }
}

/// The severity data of one stored record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordSeverity {
    /// The record's id.
    pub record: String,
    /// Its `severity` items.
    pub vectors: Vec<cverun_osv::Severity>,
    /// Its own qualitative rating (`database_specific.severity`), when it gives one.
    pub qualitative: Option<String>,
}
