//! Triage of a scan's findings: priority, fix options, decision, exceptions.
//!
//! [`Triage`] holds the policy and the exceptions of a scan; [`Triage::load`] reads
//! them from the scan roots (`cverun-policy.toml`, `cverun-exceptions.toml`, the
//! `[[exception]]` entries of `cverun.toml`) or from named files. [`Assessor`] gathers
//! what is known about one vulnerability across all its ids (severity vectors and
//! ratings of every record, KEV and EPSS of every CVE alias), once per vulnerability.
//! [`apply`] gives every finding of a report its priority (with the service's
//! context), the fix options of its package version and the runbook's decision, and
//! moves findings covered by an exception in force to the report's `suppressed`
//! list; exceptions that are expired, invalid or too long for the finding's priority
//! suppress nothing and are reported as problems.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use cverun_db::signals::Signals;
use cverun_db::{Database, FixQuery, PackageQuery, RecordSeverity};
use cverun_inventory::read::Class;
use cverun_osv::{Finding, FixGroup, FixOptions, OwnFix};
use cverun_triage::assess::{CveSignals, assess};
use cverun_triage::decision::{Action, Decision, Workaround, decide, decide_for, left_by_partial};
use cverun_triage::exceptions::{self, CheckProblem, Exception, Exceptions, Standing};
use cverun_triage::policy::{Assessment, Context, EpssScore, Kev, Level, Policy, prioritize};
use cverun_triage::severity::{Score, best};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::ScanError;
use crate::report::{FindingRecord, Report};

/// The name of the policy file looked for at each scan root.
pub const POLICY_FILE: &str = "cverun-policy.toml";

/// Policy and exceptions of a scan.
#[derive(Clone, Debug, Default)]
pub struct Triage {
    /// The priority policy.
    pub policy: Policy,
    /// Where it came from (`None`: the built-in defaults).
    pub policy_source: Option<PathBuf>,
    /// Every exception, from every file.
    pub exceptions: Exceptions,
}

/// A policy or exceptions file that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct TriageError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

/// Reads a policy or exceptions file named on the command line: a regular file of
/// at most the configuration size limit; `None` when there is none.
fn read(path: &Path) -> Result<Option<String>, TriageError> {
    read_with(path, cverun_inventory::read::read_text(path, Class::Config))
}

/// Reads a policy, exceptions or configuration file found in `root` (a link that
/// leads out of the root is refused).
fn read_found(root: &Path, path: &Path) -> Result<Option<String>, TriageError> {
    read_with(path, crate::config::read_in_root(root, path))
}

fn read_with(path: &Path, r: std::io::Result<String>) -> Result<Option<String>, TriageError> {
    match r {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(TriageError {
            path: path.to_owned(),
            line: None,
            message: format!("cannot read: {e}"),
        }),
    }
}

fn required(path: &Path) -> Result<String, TriageError> {
    read(path)?.ok_or_else(|| TriageError {
        path: path.to_owned(),
        line: None,
        message: "no such file".into(),
    })
}

impl Triage {
    /// Reads the policy (`policy`, else the first root holding `cverun-policy.toml`,
    /// else the defaults) and the exceptions: each root's `cverun-exceptions.toml`
    /// and `[[exception]]` entries of its `cverun.toml`, then every file of
    /// `exception_files`.
    pub fn load(
        roots: &[PathBuf],
        policy: Option<&Path>,
        exception_files: &[PathBuf],
    ) -> Result<Triage, TriageError> {
        let mut t = Triage::default();
        let dirs: Vec<&PathBuf> = roots.iter().filter(|r| r.is_dir()).collect();
        let policy_path = match policy {
            Some(p) => Some((p.to_owned(), required(p)?)),
            None => {
                let mut found = None;
                for d in &dirs {
                    let p = d.join(POLICY_FILE);
                    if let Some(text) = read_found(d, &p)? {
                        found = Some((p, text));
                        break;
                    }
                }
                found
            }
        };
        if let Some((path, text)) = policy_path {
            t.policy = Policy::parse(&path, &text).map_err(|e| TriageError {
                path: e.path,
                line: e.line,
                message: e.message,
            })?;
            t.policy_source = Some(path);
        }
        let convert = |e: exceptions::ExceptionsError| TriageError {
            path: e.path,
            line: e.line,
            message: e.message,
        };
        for d in &dirs {
            let config = d.join(crate::config::FILE_NAME);
            if let Some(text) = read_found(d, &config)? {
                t.exceptions
                    .merge(Exceptions::parse_section(&config, &text).map_err(convert)?);
            }
            let file = d.join(exceptions::FILE_NAME);
            if let Some(text) = read_found(d, &file)? {
                t.exceptions
                    .merge(Exceptions::parse(&file, &text).map_err(convert)?);
            }
        }
        for f in exception_files {
            let text = required(f)?;
            t.exceptions
                .merge(Exceptions::parse(f, &text).map_err(convert)?);
        }
        Ok(t)
    }
}

/// The day `now` falls on, in UTC (exception dates are days).
pub fn today(now: Timestamp) -> Date {
    jiff::tz::Offset::UTC.to_datetime(now).date()
}

/// Gathers what is known about vulnerabilities, once per vulnerability. The
/// database is read in batches ([`Assessor::prefetch`]): the severity data of the
/// records reachable through the ids several records carry (any other id leads to
/// the finding's own record alone), the ids the records list as related, and the
/// KEV and EPSS signals of every CVE id, the related ones included unless the
/// policy turns them off ([`Assessor::related_signals`]).
pub struct Assessor<'a> {
    db: &'a Database,
    cache: HashMap<Vec<Arc<str>>, Arc<Assessment>>,
    /// The same, by the address of a finding's alias list, which the findings of a
    /// single-record vulnerability share (valid while those findings live).
    by_address: HashMap<*const [Arc<str>], Arc<Assessment>>,
    records: HashMap<String, Vec<Arc<RecordSeverity>>>,
    signals: HashMap<String, Signals>,
    fetched: HashSet<String>,
    /// Ids whose signals have been read.
    signals_read: HashSet<String>,
    /// The ids each record read so far lists as related (empty: none).
    related_of: HashMap<String, Vec<String>>,
    /// Whether the signals of related CVE ids count.
    related_signals: bool,
    /// Ids more than one record carries (read once).
    shared: Option<HashSet<String>>,
}

impl<'a> Assessor<'a> {
    /// An assessor reading `db`; related CVE ids' signals count, as the default
    /// policy says.
    pub fn new(db: &'a Database) -> Assessor<'a> {
        Assessor {
            db,
            cache: HashMap::new(),
            by_address: HashMap::new(),
            records: HashMap::new(),
            signals: HashMap::new(),
            fetched: HashSet::new(),
            signals_read: HashSet::new(),
            related_of: HashMap::new(),
            related_signals: Policy::default().related_signals,
            shared: None,
        }
    }

    /// Whether the KEV and EPSS signals of the CVE ids a vulnerability's records
    /// list in `related` count (policy `related_signals`).
    pub fn related_signals(mut self, on: bool) -> Assessor<'a> {
        self.related_signals = on;
        self
    }

    /// Reads what the database knows of every id and record of `findings`, in
    /// batches: the related ids of every record (when they count), then the
    /// severity data and signals of every id.
    pub fn prefetch<'f>(
        &mut self,
        findings: impl IntoIterator<Item = &'f Finding>,
    ) -> Result<(), cverun_db::Error> {
        let mut ids: HashSet<&str> = HashSet::new();
        let mut records: HashSet<&str> = HashSet::new();
        for f in findings {
            ids.insert(&f.advisory);
            ids.extend(f.aliases.iter().map(|a| &**a));
            records.extend(f.records.iter().map(|r| &**r));
        }
        let ids: Vec<&str> = ids.into_iter().collect();
        self.fetch(&ids)?;
        if self.related_signals {
            let records: Vec<&str> = records.into_iter().collect();
            self.read_related(&records)?;
            let related: Vec<String> = self
                .related_of
                .values()
                .flatten()
                .filter(|r| is_cve(r))
                .cloned()
                .collect();
            let related: Vec<&str> = related.iter().map(String::as_str).collect();
            self.fetch_signals(&related)?;
        }
        Ok(())
    }

    /// Reads the records and signals of the `ids` not read yet.
    fn fetch(&mut self, ids: &[&str]) -> Result<(), cverun_db::Error> {
        if self.shared.is_none() {
            self.shared = Some(self.db.shared_ids()?);
        }
        let missing: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|i| !self.fetched.contains(*i))
            .collect();
        if !missing.is_empty() {
            let through: Vec<&str> = match &self.shared {
                Some(shared) => missing
                    .iter()
                    .copied()
                    .filter(|i| shared.contains(*i))
                    .collect(),
                None => missing.clone(),
            };
            if !through.is_empty() {
                self.records.extend(self.db.severities(&through)?);
            }
            self.fetched.extend(missing.into_iter().map(str::to_owned));
        }
        self.fetch_signals(ids)
    }

    /// Reads the KEV and EPSS signals of the `ids` not read yet.
    fn fetch_signals(&mut self, ids: &[&str]) -> Result<(), cverun_db::Error> {
        let missing: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|i| !self.signals_read.contains(*i))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        self.signals.extend(self.db.signals(&missing)?);
        self.signals_read
            .extend(missing.into_iter().map(str::to_owned));
        Ok(())
    }

    /// Reads the related ids of the `records` not read yet.
    fn read_related(&mut self, records: &[&str]) -> Result<(), cverun_db::Error> {
        let missing: Vec<&str> = records
            .iter()
            .copied()
            .filter(|r| !self.related_of.contains_key(*r))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let mut found = self.db.related_of(&missing)?;
        for r in missing {
            let related = found.remove(r).unwrap_or_default();
            self.related_of.insert(r.to_owned(), related);
        }
        Ok(())
    }

    /// The CVE ids `records` list as related that are none of `ids`, sorted; empty
    /// when related signals do not count.
    fn related_cves(
        &mut self,
        records: &[&str],
        ids: &[&str],
    ) -> Result<Vec<String>, cverun_db::Error> {
        if !self.related_signals {
            return Ok(Vec::new());
        }
        self.read_related(records)?;
        let mut out: Vec<String> = records
            .iter()
            .filter_map(|r| self.related_of.get(*r))
            .flatten()
            .filter(|r| is_cve(r) && !ids.iter().any(|i| i.eq_ignore_ascii_case(r)))
            .cloned()
            .collect();
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Every vulnerability assessed through [`Assessor::assess`], with the records
    /// of its findings.
    pub fn assessed(&self) -> impl Iterator<Item = (&[Arc<str>], &Arc<Assessment>)> {
        self.cache.iter().map(|(k, v)| (k.as_slice(), v))
    }

    /// The assessment of the vulnerability of `f`: its own vectors, those of every
    /// record carrying any of its ids, their qualitative ratings, and the KEV and
    /// EPSS signals of its CVE ids and of the CVE ids its records list as related.
    pub fn assess(&mut self, f: &Finding) -> Result<Arc<Assessment>, cverun_db::Error> {
        let address = Arc::as_ptr(&f.aliases);
        if let Some(a) = self.by_address.get(&address) {
            return Ok(a.clone());
        }
        if let Some(a) = self.cache.get(f.records.as_slice()) {
            let a = a.clone();
            self.by_address.insert(address, a.clone());
            return Ok(a);
        }
        let ids: Vec<&str> = std::iter::once(&*f.advisory)
            .chain(f.aliases.iter().map(|a| &**a))
            .collect();
        let records: Vec<&str> = f.records.iter().map(|r| &**r).collect();
        let a = self.assess_ids(&ids, &records, &f.severity)?;
        self.cache.insert(f.records.clone(), a.clone());
        self.by_address.insert(address, a.clone());
        Ok(a)
    }

    /// The assessment of a vulnerability known by `ids` (primary first) and made of
    /// `records`, with `own` vectors (those of the records the caller holds) in
    /// addition to those of every other record carrying one of the ids; the
    /// signals of the CVE ids the records list as related count, marked as such,
    /// unless turned off.
    pub fn assess_ids(
        &mut self,
        ids: &[&str],
        records: &[&str],
        own: &[cverun_osv::Severity],
    ) -> Result<Arc<Assessment>, cverun_db::Error> {
        self.fetch(ids)?;
        let related = self.related_cves(records, ids)?;
        {
            let refs: Vec<&str> = related.iter().map(String::as_str).collect();
            self.fetch_signals(&refs)?;
        }
        let mut vectors: Vec<cverun_osv::Severity> = own.to_vec();
        let mut labels: Vec<String> = Vec::new();
        let mut seen: HashSet<*const RecordSeverity> = HashSet::new();
        for id in ids {
            for r in self.records.get(*id).into_iter().flatten() {
                if !seen.insert(Arc::as_ptr(r)) {
                    continue;
                }
                for v in &r.vectors {
                    if !vectors.contains(v) {
                        vectors.push(v.clone());
                    }
                }
                if let Some(q) = r.qualitative.as_ref().filter(|q| !labels.contains(q)) {
                    labels.push(q.clone());
                }
            }
        }
        let mut cves: Vec<&str> = ids.iter().copied().filter(|i| is_cve(i)).collect();
        cves.sort_unstable();
        cves.dedup();
        let own_cves = cves.iter().map(|c| (*c, false));
        let related_cves = related.iter().map(|c| (c.as_str(), true));
        let per_cve: Vec<CveSignals> = own_cves
            .chain(related_cves)
            .filter_map(|(c, related)| {
                self.signals.get(c).map(|s| CveSignals {
                    kev: s.kev.as_ref().map(|k| Kev {
                        cve: k.cve.clone(),
                        date_added: k.date_added.clone(),
                        due_date: k.due_date.clone(),
                        ransomware: k.ransomware.clone(),
                        related,
                    }),
                    epss: s.epss.as_ref().map(|e| EpssScore {
                        cve: c.to_owned(),
                        score: e.score,
                        percentile: e.percentile,
                        related,
                    }),
                })
            })
            .collect();
        Ok(Arc::new(assess(
            ids.iter().map(|s| (*s).to_owned()).collect(),
            related,
            &vectors,
            &labels,
            per_cve,
        )))
    }
}

/// Whether `id` is a CVE id (the ids KEV and EPSS know).
fn is_cve(id: &str) -> bool {
    id.starts_with("CVE-")
}

/// The fix of one vulnerable package version: its options and the decision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Fix {
    /// Minimal safe version, breaking or not, rollback target.
    #[serde(flatten)]
    pub options: FixOptions,
    /// The runbook's decision.
    pub decision: Decision,
}

impl Fix {
    /// The decision and where it leads, for tables: `HOTFIX -> 5.4`, `ROLLBACK -> 1.2`,
    /// `REMOVE / REPLACE`; a partial upgrade says how much it fixes (`HOTFIX ->
    /// v0.52.0 (fixes 18 of 19)`), an advisory it leaves says so (`REMOVE / REPLACE
    /// (no fix; v0.52.0 fixes 18 others)`), and an upgrade needing code changes
    /// gives its note (`HOTFIX + CODE CHANGES -> 1.25.13 (Go toolchain upgrade 1.15
    /// -> 1.25)`).
    pub fn label(&self) -> String {
        let d = &self.decision;
        let mut out = match &d.target {
            Some(t) => format!("{} -> {t}", d.action),
            None => d.action.to_string(),
        };
        let upgrade = matches!(d.action, Action::Hotfix | Action::HotfixCodeChanges);
        let o = &self.options;
        match (&o.minimal_safe, &o.partial) {
            (None, Some(p)) if upgrade => {
                let total = p.fixes.len() + p.leaves.len();
                out.push_str(&format!(" (fixes {} of {total})", p.fixes.len()));
            }
            (None, Some(p)) => {
                out.push_str(&format!(
                    " (no fix; {} fixes {} others)",
                    p.version,
                    p.fixes.len()
                ));
            }
            (Some(_), _) if d.action == Action::HotfixCodeChanges => {
                if let Some(n) = &o.note {
                    out.push_str(&format!(" ({n})"));
                }
            }
            _ => {}
        }
        out
    }

    /// [`Fix::label`], and when the finding's advisory has no fix because a record
    /// contradicts itself, why (`REMOVE / REPLACE (PYSEC-2023-177: 23.9.0 is its fix
    /// and affected)`).
    pub fn label_with(&self, own: Option<&OwnFix>) -> String {
        let mut out = self.label();
        if let Some(own) = own.filter(|o| o.version.is_none() && !o.contradictions.is_empty()) {
            let why: Vec<String> = own
                .contradictions
                .iter()
                .map(|c| format!("{}: {} is its fix and affected", c.record, c.version))
                .collect();
            out.push_str(&format!(" ({})", why.join("; ")));
        }
        out
    }
}

/// An exception that covers a finding, and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExceptionUse {
    /// `file:line` of the entry.
    pub location: String,
    /// The id it names.
    pub id: String,
    /// Its owner.
    pub owner: String,
    /// Who approved it.
    pub approved_by: String,
    /// Its last valid day.
    pub expires: Option<Date>,
    /// Its re-review date.
    pub review: Option<Date>,
    /// Why the risk is accepted.
    pub justification: String,
    /// What reduces it meanwhile.
    pub mitigations: Vec<String>,
    /// Its ticket, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Where it stands (`active`, `review_due`, `expired`, `too_long`,
    /// `not_yet_approved`, `invalid`) and its details.
    #[serde(flatten)]
    pub standing: Standing,
}

impl ExceptionUse {
    fn new(e: &Exception, standing: Standing) -> ExceptionUse {
        ExceptionUse {
            location: e.location(),
            id: e.id.clone(),
            owner: e.owner.clone(),
            approved_by: e.approved_by.clone(),
            expires: e.expires,
            review: e.review,
            justification: e.justification.clone(),
            mitigations: e.mitigations.clone(),
            ticket: e.ticket.clone(),
            standing,
        }
    }
}

/// Triage of every finding of `report` (see the module doc); `now` sets deadlines
/// and the day exceptions are judged on; fix options are read on `threads` threads.
pub fn apply(
    report: &mut Report,
    db: &Database,
    triage: &Triage,
    now: Timestamp,
    threads: usize,
) -> Result<(), ScanError> {
    let today = today(now);
    let policy = &triage.policy;
    report.policy = triage
        .policy_source
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned());

    // Priorities, in place; every record shows the best-known score of its
    // vulnerability.
    let mut assessor = Assessor::new(db).related_signals(policy.related_signals);
    assessor.prefetch(
        report
            .findings
            .iter()
            .filter(|f| f.finding.informational.is_none())
            .map(|f| &f.finding),
    )?;
    {
        let services = &report.services;
        let context: HashMap<&str, (Option<&str>, Option<&str>)> = services
            .iter()
            .map(|s| {
                (
                    &*s.name,
                    (s.exposure.map(|e| e.as_str()), s.data.as_deref()),
                )
            })
            .collect();
        // Informational findings have no priority; their own vectors are scored
        // (once per record set).
        let mut own: HashMap<*const [cverun_osv::Severity], Option<Arc<Score>>> = HashMap::new();
        for f in report.findings.iter_mut() {
            if f.finding.informational.is_some() {
                f.cvss = own
                    .entry(Arc::as_ptr(&f.finding.severity))
                    .or_insert_with(|| best(f.finding.severity.iter()).0.map(Arc::new))
                    .clone();
                continue;
            }
            let a = assessor.assess(&f.finding)?;
            let (exposure, data) = context.get(&*f.service).copied().unwrap_or_default();
            let ctx = Context {
                exposure,
                data,
                ecosystem: f.ecosystem.osv_name(),
                package: &f.package,
            };
            let p = prioritize(policy, &a, &ctx, now);
            f.cvss = p.inputs.cvss.clone();
            f.priority = Some(Box::new(p));
        }
    }
    let mut vulnerabilities: Vec<Vulnerability> = assessor
        .assessed()
        .map(|(records, inputs)| Vulnerability {
            advisory: inputs.ids.first().cloned().unwrap_or_default(),
            records: records.to_vec(),
            inputs: inputs.clone(),
        })
        .collect();
    vulnerabilities.sort_by(|a, b| (&a.advisory, &a.records).cmp(&(&b.advisory, &b.records)));
    report.vulnerabilities = vulnerabilities;
    drop(assessor);

    // Fix options, once per vulnerable package version, with the own fix of each
    // of its advisories.
    let mut fix_of: Vec<Option<(usize, usize)>> = vec![None; report.findings.len()];
    let mut queries: Vec<FixQuery> = Vec::new();
    {
        let mut index: HashMap<(&str, &str, &str), usize> = HashMap::new();
        for (k, f) in report.findings.iter().enumerate() {
            if !f.is_vulnerability() {
                continue;
            }
            let key = (
                f.ecosystem.osv_name(),
                f.package.as_str(),
                f.version.as_str(),
            );
            let i = *index.entry(key).or_insert_with(|| {
                queries.push(FixQuery {
                    query: PackageQuery {
                        ecosystem: f.ecosystem.clone(),
                        name: f.package.clone(),
                        version: f.version.clone(),
                    },
                    groups: Vec::new(),
                });
                queries.len() - 1
            });
            let groups = &mut queries[i].groups;
            let g = match groups.iter().position(|g| *g.id == *f.finding.advisory) {
                Some(g) => g,
                None => {
                    groups.push(FixGroup {
                        id: f.finding.advisory.to_string(),
                        records: f.finding.records.iter().map(|r| r.to_string()).collect(),
                    });
                    groups.len() - 1
                }
            };
            fix_of[k] = Some((i, g));
        }
    }
    // The package's fix and the own fix of each of its advisories, made on the
    // threads that plan them (options moved, not copied) and shared by every
    // finding of that package version and advisory.
    let planned = db.fix_plans_parallel_with(&queries, threads, |q, plan| {
        let decision = decide(&q.query.version, &plan.options, None);
        let own: Vec<Arc<OwnFix>> = plan.own.into_iter().map(Arc::new).collect();
        Some((
            Arc::new(Fix {
                options: plan.options,
                decision,
            }),
            own,
        ))
    })?;
    // A package whose ecosystem has no version scheme gets no plan: no options.
    let (plain, own): (Vec<Arc<Fix>>, Vec<Vec<Arc<OwnFix>>>) = planned
        .into_iter()
        .zip(&queries)
        .map(|(p, q)| {
            p.unwrap_or_else(|| {
                let options = FixOptions::default();
                let decision = decide(&q.query.version, &options, None);
                (Arc::new(Fix { options, decision }), Vec::new())
            })
        })
        .unzip();
    let options = |i: usize| -> &FixOptions { &plain[i].options };
    // A fix of its own for each advisory a partial upgrade leaves; any other
    // advisory shares the package's.
    let plain_for = |i: usize, g: usize| -> Arc<Fix> {
        let q = &queries[i];
        let id = &q.groups[g].id;
        if !left_by_partial(options(i), id) {
            return plain[i].clone();
        }
        let d = decide_for(
            &q.query.version,
            options(i),
            id,
            own[i].get(g).map(|o| &**o),
            None,
        );
        if d == plain[i].decision {
            plain[i].clone()
        } else {
            Arc::new(Fix {
                options: options(i).clone(),
                decision: d,
            })
        }
    };

    // Exceptions, decisions.
    let mut problems: Vec<CheckProblem> =
        exceptions::check(&triage.exceptions, today, &policy.exception_max_days);
    let mut used = vec![false; triage.exceptions.entries.len()];
    let mut suppressed = vec![false; report.findings.len()];
    for ((f, fix_index), suppress) in report
        .findings
        .iter_mut()
        .zip(&fix_of)
        .zip(suppressed.iter_mut())
    {
        f.fix = fix_index.map(|(i, g)| plain_for(i, g));
        f.own_fix = fix_index.and_then(|(i, g)| own[i].get(g).cloned());
        let Some(level) = f.priority.as_ref().map(|p| p.level) else {
            continue;
        };
        if triage.exceptions.is_empty() {
            continue;
        }
        let ids: Vec<&str> = std::iter::once(&*f.finding.advisory)
            .chain(f.finding.aliases.iter().map(|a| &**a))
            .collect();
        let matches =
            triage
                .exceptions
                .matching(&ids, f.ecosystem.osv_name(), &f.package, &f.service);
        for m in &matches {
            if let Some(i) = triage
                .exceptions
                .entries
                .iter()
                .position(|e| std::ptr::eq(e, *m))
            {
                used[i] = true;
            }
        }
        let Some((e, standing)) =
            exceptions::best(&matches, today, level, &policy.exception_max_days)
        else {
            continue;
        };
        *suppress = standing.suppresses();
        if let Standing::TooLong { .. } = standing {
            let message = format!(
                "does not suppress {} in {} ({} {}): {standing}; the finding is reported",
                f.finding.advisory, f.service, f.package, f.version
            );
            if !problems
                .iter()
                .any(|p| p.line == e.line && p.path == e.path && p.message == message)
            {
                problems.push(CheckProblem {
                    path: e.path.clone(),
                    line: e.line,
                    severity: exceptions::Severity::Error,
                    id: e.id.clone(),
                    message,
                });
            }
        }
        if let (Some((i, g)), true) = (*fix_index, *suppress) {
            let expires = e.expires.map(|d| d.to_string()).unwrap_or_default();
            let w = Workaround {
                mitigations: &e.mitigations,
                expires,
                approved_by: &e.approved_by,
            };
            let d = decide_for(
                &f.version,
                options(i),
                &f.finding.advisory,
                own[i].get(g).map(|o| &**o),
                Some(&w),
            );
            if f.fix.as_ref().is_none_or(|x| x.decision != d) {
                f.fix = Some(Arc::new(Fix {
                    options: options(i).clone(),
                    decision: d,
                }));
            }
        }
        f.exception = Some(Arc::new(ExceptionUse::new(e, standing)));
    }
    // A partial upgrade's decision lists the advisories it leaves with their own
    // decisions: those of the findings at the same place (an exception covering
    // one turns it into a workaround there).
    {
        type Place<'r> = (&'r str, &'r str, Option<u32>, &'r str, &'r str, &'r str);
        fn place<'r>(f: &'r FindingRecord, advisory: &'r str) -> Place<'r> {
            (
                &f.service,
                &f.manifest,
                f.line,
                &f.package,
                &f.version,
                advisory,
            )
        }
        // Only the places of the advisories partial upgrades leave are looked up.
        let wanted: HashSet<Place<'_>> = report
            .findings
            .iter()
            .filter_map(|f| f.fix.as_ref().map(|fix| (f, fix)))
            .flat_map(|(f, fix)| {
                fix.decision
                    .unfixed
                    .iter()
                    .map(move |u| place(f, &u.advisory))
            })
            .collect();
        let mut own_decisions: HashMap<Place<'_>, &Decision> = HashMap::new();
        if !wanted.is_empty() {
            for f in &report.findings {
                if let Some(fix) = &f.fix {
                    let at = place(f, &f.finding.advisory);
                    if wanted.contains(&at) {
                        own_decisions.insert(at, &fix.decision);
                    }
                }
            }
        }
        let mut updated: Vec<(usize, Arc<Fix>)> = Vec::new();
        for (k, f) in report.findings.iter().enumerate() {
            let Some(fix) = f.fix.as_ref().filter(|x| !x.decision.unfixed.is_empty()) else {
                continue;
            };
            let mut d = fix.decision.clone();
            for u in &mut d.unfixed {
                let place = (
                    &*f.service,
                    &*f.manifest,
                    f.line,
                    f.package.as_str(),
                    f.version.as_str(),
                    u.advisory.as_str(),
                );
                if let Some(own) = own_decisions.get(&place) {
                    u.action = own.action;
                    u.target = own.target.clone();
                    u.explanation = own.explanation.clone();
                }
            }
            if d != fix.decision {
                updated.push((
                    k,
                    Arc::new(Fix {
                        options: fix.options.clone(),
                        decision: d,
                    }),
                ));
            }
        }
        for (k, fix) in updated {
            report.findings[k].fix = Some(fix);
        }
    }
    if suppressed.iter().any(|s| *s) {
        let all = std::mem::take(&mut report.findings);
        for (f, s) in all.into_iter().zip(suppressed) {
            if s {
                report.suppressed.push(f);
            } else {
                report.findings.push(f);
            }
        }
    }
    for (e, used) in triage.exceptions.entries.iter().zip(used) {
        if !used && e.problems.is_empty() {
            problems.push(CheckProblem {
                path: e.path.clone(),
                line: e.line,
                severity: exceptions::Severity::Warning,
                id: e.id.clone(),
                message: format!(
                    "{} matches no finding of this scan: remove it if the vulnerability is gone",
                    e.scope_text()
                ),
            });
        }
    }
    report.exception_problems = problems;

    // Most urgent first: vulnerabilities by priority then score, then unverifiable
    // (by priority), then informational. Keys are computed once; the sort is stable.
    let key = |f: &FindingRecord| {
        let class: u8 = if f.finding.unverifiable.is_some() {
            1
        } else if f.finding.informational.is_some() {
            2
        } else {
            0
        };
        let level = f
            .priority
            .as_ref()
            .map(|p| p.level)
            .unwrap_or(Level::Routine);
        // Tenths of a point, highest first; unknown after every known score.
        let score = f
            .cvss
            .as_ref()
            .map(|s| -((s.score * 10.0).round() as i32))
            .unwrap_or(1);
        (class, level, score)
    };
    report.findings.sort_by_cached_key(key);
    report.suppressed.sort_by_cached_key(key);
    let s = &mut report.summary;
    s.priorities = crate::report::ByLevel::default();
    for f in report.findings.iter().filter(|f| f.is_vulnerability()) {
        if let Some(p) = &f.priority {
            s.priorities.add(p.level);
        }
    }
    s.suppressed = report.suppressed.len();
    s.exception_errors = report
        .exception_problems
        .iter()
        .filter(|p| p.severity == exceptions::Severity::Error)
        .count();
    Ok(())
}

/// What is known about one vulnerability, listed once per scan beside its findings
/// (which name it by `advisory` and `records`).
#[derive(Clone, Debug, Serialize)]
pub struct Vulnerability {
    /// Its primary id.
    pub advisory: String,
    /// The records its findings were built from.
    pub records: Vec<Arc<str>>,
    /// Severity and exploit signals across all its ids.
    #[serde(flatten)]
    pub inputs: Arc<Assessment>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use cverun_osv::{Contradiction, PartialUpgrade};

    fn fix(options: FixOptions, advisory: Option<&str>, own: Option<&OwnFix>) -> Fix {
        let decision = match advisory {
            Some(a) => decide_for("v0.22.0", &options, a, own, None),
            None => decide("v0.22.0", &options, None),
        };
        Fix { options, decision }
    }

    #[test]
    fn labels() {
        let partial = FixOptions {
            partial: Some(PartialUpgrade {
                version: "v0.52.0".into(),
                breaking: Some(false),
                fixes: vec!["A".into(), "B".into()],
                leaves: vec!["C".into()],
                ..PartialUpgrade::default()
            }),
            ..FixOptions::default()
        };
        assert_eq!(
            fix(partial.clone(), None, None).label(),
            "HOTFIX -> v0.52.0 (fixes 2 of 3)"
        );
        assert_eq!(
            fix(partial.clone(), Some("A"), None).label(),
            "HOTFIX -> v0.52.0 (fixes 2 of 3)"
        );
        assert_eq!(
            fix(partial, Some("C"), None).label(),
            "REMOVE / REPLACE (no fix; v0.52.0 fixes 2 others)"
        );
        let toolchain = FixOptions {
            minimal_safe: Some("1.25.13".into()),
            breaking: Some(true),
            note: Some("Go toolchain upgrade 1.15 -> 1.25".into()),
            ..FixOptions::default()
        };
        assert_eq!(
            fix(toolchain, None, None).label(),
            "HOTFIX + CODE CHANGES -> 1.25.13 (Go toolchain upgrade 1.15 -> 1.25)"
        );
        let calver = FixOptions {
            minimal_safe: Some("2023.7.22".into()),
            breaking: Some(false),
            note: Some(
                "calendar versions: 2018 -> 2023 is a newer release, not a major version".into(),
            ),
            ..FixOptions::default()
        };
        assert_eq!(fix(calver, None, None).label(), "HOTFIX -> 2023.7.22");
        let own = OwnFix {
            contradictions: vec![Contradiction {
                record: "PYSEC-2023-177".into(),
                version: "23.9.0".into(),
                message: String::new(),
            }],
            ..OwnFix::default()
        };
        let none = fix(FixOptions::default(), Some("PYSEC-2023-177"), Some(&own));
        assert_eq!(none.label(), "REMOVE / REPLACE");
        assert_eq!(
            none.label_with(Some(&own)),
            "REMOVE / REPLACE (PYSEC-2023-177: 23.9.0 is its fix and affected)"
        );
    }
}
