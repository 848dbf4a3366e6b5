//! Fleet scans: every service, every lockfile, one report.
//!
//! [`scan`] walks the roots ([`discover`]), groups manifests into services (by
//! directory, or as `cverun.toml` names them: [`config`]), parses every manifest with
//! `cverun-inventory` (in parallel), matches every exactly pinned registry package
//! against the advisory database in one batch, and builds the [`Report`]: findings
//! per location, unpinned and unmatchable packages listed (never dropped), unreadable
//! files as errors (a partial scan is never clean). [`render`] turns a report into a
//! table, Markdown or SARIF; JSON is the report serialised.
//!
//! The clock is passed in ([`ScanOptions::now`]); file access is limited to the walk
//! and the parsers' reads.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use cverun_db::{Database, Query};
use cverun_inventory::{ConfinedFiles, Confinement, Package, ParseError, Parsed, Pin, parse_file};
use cverun_versions::Ecosystem;

pub mod config;
pub mod discover;
pub mod explain;
pub mod filter;
pub mod plan;
pub mod render;
pub mod report;
pub mod triage;

pub use config::{Config, ConfigError, Exposure, ServiceConfig};
pub use report::{
    ByLevel, FailOn, FindingRecord, PackageGroup, PackageRecord, Problem, Report, ServiceReport,
    Summary,
};
pub use triage::{Triage, TriageError};

/// How to scan.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    /// The time the scan runs at (written into the report).
    pub now: jiff::Timestamp,
    /// Parser threads (at least 1).
    pub threads: usize,
    /// Include every package in the report ([`Report::packages`]).
    pub list_packages: bool,
    /// Policy and exceptions.
    pub triage: Triage,
    /// The oldest advisory data accepted, in days (`--max-db-age`). When neither
    /// this nor a root's cverun.toml sets it, data older than
    /// [`cverun_db::coverage::DEFAULT_MAX_AGE_DAYS`] is only warned about; a limit
    /// that is set makes older data fail the scan (exit 2).
    pub max_db_age: Option<i64>,
    /// Read includes, parent manifests and linked manifests outside the roots
    /// (`--allow-outside-roots`); by default they are refused (see
    /// [`cverun_inventory::read`]).
    pub allow_outside_roots: bool,
}

/// Receives progress while manifests are parsed (for a progress bar).
pub trait Progress: Sync {
    /// `total` manifests will be parsed.
    fn start(&self, _total: usize) {}
    /// One more manifest parsed.
    fn advance(&self) {}
    /// Parsing is over; matching and the report follow.
    fn finish(&self) {}
}

/// No progress display.
pub struct NoProgress;
impl Progress for NoProgress {}

/// Why a scan could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A cverun.toml is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The advisory database failed.
    #[error(transparent)]
    Database(#[from] cverun_db::Error),
}

impl From<TriageError> for ScanError {
    fn from(e: TriageError) -> ScanError {
        ScanError::Config(ConfigError {
            path: e.path,
            line: e.line,
            message: e.message,
        })
    }
}

/// A package to match, borrowed from the parse results.
struct Wanted<'a> {
    ecosystem: &'a Ecosystem,
    name: &'a str,
    version: &'a str,
}

impl Query for Wanted<'_> {
    fn ecosystem(&self) -> &Ecosystem {
        self.ecosystem
    }
    fn name(&self) -> &str {
        self.name
    }
    fn version(&self) -> &str {
        self.version
    }
}

/// A manifest to parse, with its service and root.
struct Item<'p> {
    service: usize,
    manifest: &'p discover::Manifest,
    root: &'p Path,
}

/// Names shared by the records of one scan.
struct Names<'a> {
    services: Vec<Arc<str>>,
    manifests: Vec<Arc<str>>,
    items: &'a [Item<'a>],
    several_roots: bool,
}

impl Names<'_> {
    /// Where a package is declared: its manifest, or the file it includes.
    fn declared(&self, m: usize, p: &Package) -> Arc<str> {
        match &p.file {
            None => self.manifests[m].clone(),
            Some(f) => Arc::from(relative(self.items[m].root, f, self.several_roots).as_str()),
        }
    }
}

/// Scans `roots` against `db`.
pub fn scan(
    roots: &[PathBuf],
    db: &Database,
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Report, ScanError> {
    run(roots, Some(db), opts, progress)
}

/// Reads every service and manifest of `roots` without matching anything: the
/// report lists the services and every package (`packages`), and no findings; its
/// `database` is empty. What `cverun inventory save` records.
pub fn inventory_only(
    roots: &[PathBuf],
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Report, ScanError> {
    let opts = ScanOptions {
        list_packages: true,
        ..opts.clone()
    };
    run(roots, None, &opts, progress)
}

fn run(
    roots: &[PathBuf],
    db: Option<&Database>,
    opts: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Report, ScanError> {
    let mut configs = Vec::with_capacity(roots.len());
    for r in roots {
        configs.push(if r.is_dir() { config::load(r)? } else { None });
    }
    let plan_roots: Vec<discover::Root<'_>> = roots
        .iter()
        .zip(&configs)
        .map(|(path, c)| discover::Root {
            path,
            config: c.as_ref(),
        })
        .collect();
    let confinement = Confinement::new(roots, opts.allow_outside_roots);
    let plan = discover::plan_confined(&plan_roots, &confinement);
    let items = items(&plan, roots);
    let coverage = match db {
        Some(db) => db.coverage()?,
        None => cverun_db::Coverage::default(),
    };
    // Whether a package's ecosystem can be judged (always, when nothing is matched).
    let covered = |e: &Ecosystem| db.is_none() || coverage.covers(e);
    let names = Names {
        services: plan
            .services
            .iter()
            .map(|s| Arc::from(s.name.as_str()))
            .collect(),
        manifests: items
            .iter()
            .map(|i| Arc::from(i.manifest.display.as_str()))
            .collect(),
        items: &items,
        several_roots: roots.len() > 1,
    };

    progress.start(items.len());
    let mut parsed = parse_all(
        &items.iter().map(|i| i.manifest).collect::<Vec<_>>(),
        opts.threads,
        progress,
        &ConfinedFiles { confinement },
    );
    progress.finish();

    // A file included by two manifests of a service (`-r requirements.txt`) declares
    // its packages once: later copies are skipped.
    let service_of: Vec<usize> = items.iter().map(|i| i.service).collect();
    let duplicate = duplicates(&service_of, &parsed, &|m, p| names.declared(m, p));

    // Match every exactly pinned registry package, in one batch.
    // Sized up front: growing vectors of a million entries by doubling would hold
    // the old and the new buffer at once.
    let exact: usize = parsed
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|p| p.packages.len())
        .sum();
    let mut targets: Vec<(usize, usize)> = Vec::with_capacity(exact);
    let found = {
        let mut wanted: Vec<Wanted<'_>> = Vec::with_capacity(exact);
        for (m, result) in parsed.iter().enumerate() {
            let Ok(p) = result else { continue };
            for (k, pkg) in p.packages.iter().enumerate() {
                if duplicate[m][k] || pkg.unmatchable_reason().is_some() || !covered(&pkg.ecosystem)
                {
                    continue;
                }
                if let Pin::Exact(v) = &pkg.pin {
                    targets.push((m, k));
                    wanted.push(Wanted {
                        ecosystem: &pkg.ecosystem,
                        name: &pkg.name,
                        version: v,
                    });
                }
            }
        }
        match db {
            Some(db) => db.find_parallel(&wanted, opts.threads)?,
            None => {
                targets.clear();
                Vec::new()
            }
        }
    };

    let database = match db {
        Some(db) => db.snapshot()?,
        None => cverun_db::Snapshot {
            id: String::new(),
            location: "(not matched)".to_owned(),
            sources: Vec::new(),
        },
    };
    let mut report = Report {
        schema: report::SCHEMA,
        tool: report::Tool {
            name: "cverun",
            version: env!("CARGO_PKG_VERSION"),
        },
        scanned_at: opts.now.to_string(),
        roots: roots
            .iter()
            .map(|r| r.to_string_lossy().into_owned())
            .collect(),
        database: database.clone(),
        freshness: db.map(|_| {
            let configured = configs.iter().flatten().filter_map(|c| c.max_db_age).min();
            let (limit, enforced) = match opts.max_db_age.or(configured) {
                Some(days) => (days, true),
                None => (cverun_db::coverage::DEFAULT_MAX_AGE_DAYS, false),
            };
            cverun_db::coverage::freshness(&database, opts.now, limit, enforced)
        }),
        coverage: coverage.clone(),
        policy: None,
        summary: Summary {
            services: plan.services.len(),
            matched: targets.len(),
            ..Summary::default()
        },
        services: plan
            .services
            .iter()
            .zip(&names.services)
            .map(|(s, n)| service_report(s, n))
            .collect(),
        findings: Vec::new(),
        packages_affected: Vec::new(),
        suppressed: Vec::new(),
        vulnerabilities: Vec::new(),
        exception_problems: Vec::new(),
        unpinned: Vec::new(),
        not_matchable: Vec::new(),
        not_checked: Vec::new(),
        packages: opts.list_packages.then(Vec::new),
        errors: plan.errors.iter().map(walk_problem).collect(),
        warnings: plan.warnings.iter().map(walk_problem).collect(),
        filtered: filter::Filtered::default(),
    };
    nothing_found(&mut report, roots, &items, &plan);
    inventory(&mut report, &items, &names, &parsed, &duplicate, &covered);
    findings(&mut report, &items, &names, &mut parsed, targets, found);
    drop(parsed);
    if let Some(db) = db {
        triage::apply(&mut report, db, &opts.triage, opts.now, opts.threads)?;
    }
    report::regroup(&mut report);
    count(&mut report);
    Ok(report)
}

/// Finding counts, per service and in total (suppressed findings aside).
fn count(report: &mut Report) {
    let position: std::collections::HashMap<Arc<str>, usize> = report
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), i))
        .collect();
    let s = &mut report.summary;
    for f in &report.findings {
        let svc = position.get(&f.service).map(|&i| &mut report.services[i]);
        let (total, per) = if f.finding.unverifiable.is_some() {
            (&mut s.unverifiable, svc.map(|v| &mut v.unverifiable))
        } else if f.finding.informational.is_some() {
            (&mut s.informational, svc.map(|v| &mut v.informational))
        } else {
            (&mut s.vulnerabilities, svc.map(|v| &mut v.vulnerabilities))
        };
        *total += 1;
        if let Some(n) = per {
            *n += 1;
        }
    }
    let mut distinct: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.is_vulnerability())
        .map(|f| &*f.finding.advisory)
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    s.distinct_vulnerabilities = distinct.len();
    s.unpinned = report.unpinned.len();
    s.not_matchable = report.not_matchable.len();
    s.not_checked = report.not_checked.len();
    let mut ecosystems: Vec<String> = report
        .not_checked
        .iter()
        .map(|p| p.ecosystem.clone())
        .collect();
    ecosystems.sort_unstable();
    ecosystems.dedup();
    s.ecosystems_not_checked = ecosystems;
    s.not_read = report.services.iter().map(|v| v.not_read.len()).sum();
    for svc in &mut report.services {
        let read = svc.manifests.iter().filter(|m| m.error.is_none()).count();
        svc.fully_checked = read > 0
            && read == svc.manifests.len()
            && svc.not_read.is_empty()
            && svc.not_checked == 0;
    }
    // Nothing checked: nothing read, or every package of an ecosystem without data.
    s.services_not_checked = report
        .services
        .iter()
        .filter(|v| {
            let read = v.manifests.iter().any(|m| m.error.is_none());
            !read
                || (v.packages > 0
                    && v.not_checked + v.unpinned + v.not_matchable >= v.packages
                    && v.not_checked > 0)
        })
        .count();
    s.errors = report.errors.len();
    s.warnings = report.warnings.len();
}

/// Every manifest to read, with its service and root.
fn items<'p>(plan: &'p discover::Plan, roots: &'p [PathBuf]) -> Vec<Item<'p>> {
    let mut items = Vec::new();
    for (s, svc) in plan.services.iter().enumerate() {
        for m in &svc.manifests {
            let root = roots
                .iter()
                .filter(|r| m.path.starts_with(r))
                .max_by_key(|r| r.components().count())
                .map(PathBuf::as_path)
                .unwrap_or(Path::new(""));
            items.push(Item {
                service: s,
                manifest: m,
                root,
            });
        }
    }
    items
}

fn service_report(s: &discover::PlannedService, name: &Arc<str>) -> ServiceReport {
    let c = s.config.as_ref();
    ServiceReport {
        name: name.clone(),
        path: s.dir.clone(),
        location: s.location.clone(),
        configured: c.is_some(),
        owner: c.and_then(|c| c.owner.clone()),
        exposure: c.and_then(|c| c.exposure),
        data: c.and_then(|c| c.data.clone()),
        tier: c.and_then(|c| c.tier.clone()),
        manifests: Vec::new(),
        skipped_manifests: s
            .skipped
            .iter()
            .map(|(p, r)| report::Skipped {
                path: p.clone(),
                reason: r.clone(),
            })
            .collect(),
        not_read: s
            .not_read
            .iter()
            .map(|(p, r)| report::Skipped {
                path: p.clone(),
                reason: r.clone(),
            })
            .collect(),
        fully_checked: false,
        packages: 0,
        vulnerabilities: 0,
        unverifiable: 0,
        informational: 0,
        unpinned: 0,
        not_matchable: 0,
        not_checked: 0,
    }
}

/// A problem of the walk, as the report lists it.
fn walk_problem(e: &discover::WalkError) -> Problem {
    Problem {
        file: e.path.clone(),
        line: None,
        message: e.message.clone(),
    }
}

/// A root under which no manifest was found is an error: a mistyped or empty path
/// is never a clean fleet.
fn nothing_found(
    report: &mut Report,
    roots: &[PathBuf],
    items: &[Item<'_>],
    plan: &discover::Plan,
) {
    for root in roots {
        let label = root.to_string_lossy().replace('\\', "/");
        if plan.errors.iter().any(|e| e.path == label) {
            continue; // Already reported (missing, or a file cverun does not read).
        }
        let found = items.iter().any(|i| i.root == root.as_path())
            || plan.services.iter().any(|s| {
                s.location.starts_with(root) && !(s.skipped.is_empty() && s.not_read.is_empty())
            });
        if !found {
            report.errors.push(Problem {
                file: label,
                line: None,
                message: "no lockfile, manifest or SBOM found here: nothing was checked (see docs/formats.md for the files cverun reads)".to_owned(),
            });
        }
    }
}

/// Manifests, counts, unreadable files, warnings, and the packages that are not
/// matched (and every package with `--list-packages`).
fn inventory(
    report: &mut Report,
    items: &[Item<'_>],
    names: &Names<'_>,
    parsed: &[Result<Parsed, ParseError>],
    duplicate: &[Vec<bool>],
    covered: &dyn Fn(&Ecosystem) -> bool,
) {
    for (m, result) in parsed.iter().enumerate() {
        let item = &items[m];
        let svc = &mut report.services[item.service];
        let p = match result {
            Err(e) => {
                report.errors.push(Problem {
                    file: names.manifests[m].to_string(),
                    line: e.line,
                    message: e.message.clone(),
                });
                svc.manifests.push(report::ManifestReport {
                    path: names.manifests[m].clone(),
                    kind: item.manifest.kind.name(),
                    packages: 0,
                    error: Some(e.to_string()),
                });
                continue;
            }
            Ok(p) => p,
        };
        let declared = duplicate[m].iter().filter(|d| !**d).count();
        report.summary.manifests += 1;
        report.summary.packages += declared;
        svc.packages += declared;
        svc.manifests.push(report::ManifestReport {
            path: names.manifests[m].clone(),
            kind: item.manifest.kind.name(),
            packages: declared,
            error: None,
        });
        for w in &p.warnings {
            report.warnings.push(Problem {
                file: relative(item.root, &w.path, names.several_roots),
                line: w.line,
                message: w.message.clone(),
            });
        }
        for (k, pkg) in p.packages.iter().enumerate() {
            if duplicate[m][k] {
                continue;
            }
            let specifier = match &pkg.pin {
                Pin::Unpinned { specifier } => Some(specifier.clone()),
                Pin::Exact(_) => None,
            };
            let reason = pkg.unmatchable_reason();
            if let Some(list) = &mut report.packages {
                list.push(report::InventoryRecord {
                    service: names.services[item.service].clone(),
                    manifest: names.declared(m, pkg),
                    line: pkg.line,
                    ecosystem: pkg.ecosystem.osv_name().to_owned(),
                    package: pkg.name.clone(),
                    version: pkg.exact_version().map(str::to_owned),
                    specifier: specifier.clone(),
                    relation: pkg.relation,
                    scope: pkg.scope,
                    stdlib_source: pkg.stdlib_source,
                    paths: pkg.paths.clone(),
                    unmatched: reason.clone(),
                });
            }
            if reason.is_none() && pkg.exact_version().is_some() && !covered(&pkg.ecosystem) {
                svc.not_checked += 1;
                report.not_checked.push(PackageRecord {
                    service: names.services[item.service].clone(),
                    manifest: names.declared(m, pkg),
                    line: pkg.line,
                    ecosystem: pkg.ecosystem.osv_name().to_owned(),
                    package: pkg.name.clone(),
                    version: pkg.exact_version().map(str::to_owned),
                    specifier: None,
                    reason: format!(
                        "no advisory data for {} in this database",
                        pkg.ecosystem.osv_name()
                    ),
                });
                continue;
            }
            let Some(reason) = reason else { continue };
            let record = PackageRecord {
                service: names.services[item.service].clone(),
                manifest: names.declared(m, pkg),
                line: pkg.line,
                ecosystem: pkg.ecosystem.osv_name().to_owned(),
                package: pkg.name.clone(),
                version: pkg.exact_version().map(str::to_owned),
                specifier,
                reason,
            };
            if record.version.is_none() {
                svc.unpinned += 1;
                report.unpinned.push(record);
            } else {
                svc.not_matchable += 1;
                report.not_matchable.push(record);
            }
        }
    }
}

/// One record per finding per location, most severe first. Package data is moved out
/// of `parsed`, not copied (the inventory is complete by now).
fn findings(
    report: &mut Report,
    items: &[Item<'_>],
    names: &Names<'_>,
    parsed: &mut [Result<Parsed, ParseError>],
    targets: Vec<(usize, usize)>,
    found: Vec<Vec<cverun_osv::Finding>>,
) {
    report
        .findings
        .reserve_exact(found.iter().map(Vec::len).sum::<usize>());
    for ((m, k), f) in targets.into_iter().zip(found) {
        if f.is_empty() {
            continue;
        }
        let item = &items[m];
        let Ok(p) = &mut parsed[m] else { continue };
        let pkg = &mut p.packages[k];
        let manifest = names.declared(m, pkg);
        let version = match &mut pkg.pin {
            Pin::Exact(v) => std::mem::take(v),
            Pin::Unpinned { .. } => continue,
        };
        // Moved into the last record of this package, cloned into the others.
        let mut name = Some(std::mem::take(&mut pkg.name));
        let mut version = Some(version);
        let mut paths = Some(std::mem::take(&mut pkg.paths));
        fn give<T: Clone + Default>(slot: &mut Option<T>, last: bool) -> T {
            if last {
                slot.take().unwrap_or_default()
            } else {
                slot.clone().unwrap_or_default()
            }
        }
        let last = f.len() - 1;
        for (i, finding) in f.into_iter().enumerate() {
            report.findings.push(FindingRecord {
                service: names.services[item.service].clone(),
                manifest: manifest.clone(),
                line: pkg.line,
                ecosystem: pkg.ecosystem.clone(),
                package: give(&mut name, i == last),
                version: give(&mut version, i == last),
                relation: pkg.relation,
                scope: pkg.scope,
                stdlib_source: pkg.stdlib_source,
                paths: give(&mut paths, i == last),
                // Set by triage, from every record of the vulnerability.
                cvss: None,
                priority: None,
                fix: None,
                own_fix: None,
                exception: None,
                finding,
            });
        }
    }
}

/// Marks packages already declared at the same place (file and line) in the same
/// service, which happens when two manifests include one file.
fn duplicates(
    service_of: &[usize],
    parsed: &[Result<Parsed, ParseError>],
    display: &dyn Fn(usize, &Package) -> Arc<str>,
) -> Vec<Vec<bool>> {
    use std::collections::HashSet;
    let mut out: Vec<Vec<bool>> = parsed
        .iter()
        .map(|r| vec![false; r.as_ref().map(|p| p.packages.len()).unwrap_or(0)])
        .collect();
    // Only services where a package comes from an included file can repeat one.
    let includes: HashSet<usize> = parsed
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            r.as_ref()
                .is_ok_and(|p| p.packages.iter().any(|x| x.file.is_some()))
        })
        .map(|(m, _)| service_of[m])
        .collect();
    /// Service, declaring file, line, name, pin.
    type Place = (usize, Arc<str>, Option<u32>, String, String);
    let mut seen: HashSet<Place> = HashSet::new();
    for (m, r) in parsed.iter().enumerate() {
        let (Ok(p), true) = (r, includes.contains(&service_of[m])) else {
            continue;
        };
        for (k, pkg) in p.packages.iter().enumerate() {
            let key = (
                service_of[m],
                display(m, pkg),
                pkg.line,
                pkg.name.clone(),
                format!("{:?}", pkg.pin),
            );
            if !seen.insert(key) {
                out[m][k] = true;
            }
        }
    }
    out
}

/// `path` relative to `root`, with `/` separators (prefixed by the root when several
/// roots are scanned).
fn relative(root: &Path, path: &Path, several: bool) -> String {
    let rel = path
        .strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    if several {
        format!("{}/{rel}", root.to_string_lossy().trim_end_matches('/'))
    } else {
        rel
    }
}

/// Runs `job(i)` for every `i` in `0..jobs` on up to `threads` scoped threads
/// (each taking the next index when done); the results, with their index, in
/// completion order. A panic in a job is resumed in the caller.
pub fn parallel<T: Send>(
    jobs: usize,
    threads: usize,
    job: impl Fn(usize) -> T + Sync,
) -> Vec<(usize, T)> {
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.clamp(1, jobs.max(1)))
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= jobs {
                            break;
                        }
                        out.push((i, job(i)));
                    }
                    out
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Parses manifests on `threads` threads; results in input order.
fn parse_all(
    manifests: &[&discover::Manifest],
    threads: usize,
    progress: &dyn Progress,
    files: &ConfinedFiles,
) -> Vec<Result<Parsed, ParseError>> {
    let mut results = parallel(manifests.len(), threads, |i| {
        let r = parse_file(manifests[i].kind, &manifests[i].path, files);
        progress.advance();
        r
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}
