//! `cverun fix [PATH...]`: the change that fixes the advisories at hand, per
//! service; `--apply` makes it on a hotfix branch (a separate worktree: the
//! user's working tree is never touched), regenerates lockfiles with their own
//! tools, checks them, runs the tests, commits, and compares a re-scan of the
//! branch with its state before.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use cverun_db::{Database, FixQuery, PackageQuery};
use cverun_remediate::change::{self, Change, FixPlan, Selection, ServiceFix, Target};
use cverun_remediate::git::{self, Worktree};
use cverun_remediate::lock::{self, RunOutcome, ToolCommand};
use cverun_remediate::report::{
    self, CommandRun, Commit, FixReport, RepositoryOutcome, ServiceOutcome, TestRun,
};
use cverun_remediate::work::{self, ServiceWork};
use cverun_scan::report::Report;

use super::scan::{load_inputs, scan_opened};
use crate::cli::{CommitMode, FixArgs, FixTarget, Format};
use crate::output;

/// How long one tool command may run.
const TOOL_TIMEOUT: Duration = Duration::from_secs(600);

pub fn run(db_flag: Option<&Path>, mut args: FixArgs) -> anyhow::Result<ExitCode> {
    // The incident's vulnerability, unless advisories are named.
    let incident = match &args.incident {
        Some(id) => Some(Evidence::open(&args.store, id)?),
        None => None,
    };
    if let (Some(ev), true) = (&incident, args.advisory.is_empty()) {
        args.advisory = vec![ev.incident.advisory.clone()];
    }
    let selection = Selection {
        advisories: args.advisory.clone(),
    };
    let (roots, triage) = load_inputs(&args.inputs)?;
    let db = super::open_for_matching(db_flag, &args.inputs.advisories)?;
    let report = scan_opened(&roots, &db, triage.clone(), &args.inputs, false)?;
    super::scan::print_errors(&report);
    let plan = plan_for(&report, &db, &selection, target(args.target))?;

    let mut afters: Vec<Report> = Vec::new();
    let fix_report = if args.apply {
        apply(&args, &db, &triage, &report, plan, &mut afters)?
    } else {
        let bar = super::scan::Bar::new();
        bar.steps(plan.services.len(), "preparing changes");
        let services = plan
            .services
            .iter()
            .map(|s| {
                let changes: Vec<&Change> = s.changes.iter().collect();
                let work = work::prepare(s, &changes, &s.location);
                cverun_scan::Progress::advance(&bar);
                ServiceOutcome {
                    service: s.service.to_string(),
                    status: if work.complete() {
                        "planned"
                    } else {
                        "incomplete"
                    },
                    work,
                    runs: Vec::new(),
                    tests: Vec::new(),
                }
            })
            .collect::<Vec<_>>();
        bar.clear();
        let complete = plan.complete() && services.iter().all(|s| s.work.complete());
        FixReport {
            schema: report::SCHEMA,
            mode: "dry-run",
            plan,
            services,
            repositories: Vec::new(),
            complete,
        }
    };
    if let Some(mut ev) = incident {
        ev.record_fix(&fix_report, &args.base, &afters)?;
    }
    output::report(args.output.output.as_deref(), |r| match args.format {
        Format::Json => r.json(&fix_report),
        Format::Table => r.text(&report::render(&fix_report)),
    })?;
    Ok(ExitCode::from(exit_code(&fix_report)))
}

/// An incident whose timeline receives the evidence of `fix` and `verify`.
pub struct Evidence {
    store: cverun_incident::Store,
    pub incident: cverun_incident::Incident,
    actor: String,
    /// The routing of the runbook file in use, when it has routes: the events
    /// recorded queue what it routes (`fix-applied`, `verified`).
    routing: Option<cverun_notify::route::Routing>,
}

impl Evidence {
    /// Opens the store holding incident `id` and loads it (refused when closed:
    /// reopen it first).
    pub fn open(store: &super::incident::StoreArgs, id: &str) -> anyhow::Result<Evidence> {
        let id = super::incident::incident_id(id);
        let actor = store.acting()?;
        // Read (and checked) before anything is recorded.
        let routing = super::incident::routing(store, None)?;
        let mut s = store.open_with(&id)?;
        let loaded = s.load(&id)?;
        let incident = cverun_incident::Incident::from_events(&loaded.events)
            .map_err(|e| anyhow::anyhow!("incident {id}: {e}"))?;
        if !incident.is_open() {
            bail!(
                "incident {id} is closed ({:?}): reopen it before recording fix evidence",
                incident.phase
            );
        }
        Ok(Evidence {
            store: s,
            incident,
            actor,
            routing,
        })
    }

    /// Records `action`, saying so on stderr.
    pub fn record(&mut self, action: cverun_incident::Action) -> anyhow::Result<()> {
        let r = match &self.routing {
            None => self.store.act(&self.incident.id, &action, &self.actor)?,
            Some(routing) => {
                let router = super::incident::Router::new(routing, super::now()?);
                let (r, ids) = self.store.act_notifying(
                    &self.incident.id,
                    &action,
                    &self.actor,
                    &|inc, ev| router.route(inc, ev),
                )?;
                router.report_stderr(&r.events, &ids);
                r
            }
        };
        for e in &r.events {
            crate::output::warn(&format!(
                "recorded in {}: event {} {}",
                self.incident.id, e.seq, e.kind
            ));
        }
        self.incident = r.incident;
        Ok(())
    }

    /// What a re-scan found in each of the incident's services: the ids of every
    /// finding still there (id, aliases, records), or not scanned.
    pub fn rescan_services(&self, reports: &[&Report]) -> Vec<cverun_incident::ServiceRescan> {
        self.incident
            .services
            .iter()
            .map(|name| {
                let found = reports.iter().find_map(|r| {
                    r.services
                        .iter()
                        .find(|s| *s.name == **name)
                        .map(|s| (r, s.fully_checked))
                });
                let outcome = if let Some((_, false)) = found {
                    // A file not read or packages not checked: the advisory may
                    // be there unseen.
                    cverun_incident::RescanOutcome::NotScanned {
                        reason: "not fully checked (a file could not be read or packages were not checked)".into(),
                    }
                } else if let Some((report, true)) = found {
                    let mut ids: Vec<String> = report
                        .findings
                        .iter()
                        .chain(&report.suppressed)
                        .filter(|f| *f.service == **name && f.finding.unverifiable.is_none())
                        .flat_map(|f| {
                            std::iter::once(f.finding.advisory.to_string())
                                .chain(f.finding.aliases.iter().map(|a| a.to_string()))
                                .chain(f.finding.records.iter().map(|a| a.to_string()))
                        })
                        .collect();
                    ids.sort();
                    ids.dedup();
                    // A finding of the service that cannot be judged may be the
                    // incident's: the service is then not judged clean.
                    let unjudged = report
                        .findings
                        .iter()
                        .any(|f| *f.service == **name && f.finding.unverifiable.is_some());
                    if unjudged {
                        cverun_incident::RescanOutcome::NotScanned {
                            reason: "a finding of the service cannot be judged".into(),
                        }
                    } else {
                        cverun_incident::RescanOutcome::Scanned { ids }
                    }
                } else {
                    cverun_incident::RescanOutcome::NotScanned {
                        reason: "not in the re-scan".into(),
                    }
                };
                cverun_incident::ServiceRescan {
                    service: name.clone(),
                    outcome,
                }
            })
            .collect()
    }

    /// Records the plan, and when applied the branches, tests and re-scans.
    fn record_fix(
        &mut self,
        r: &FixReport,
        base: &Option<String>,
        afters: &[Report],
    ) -> anyhow::Result<()> {
        let plan_json = serde_json::to_vec(&r.plan)?;
        let changes: Vec<&Change> = r.plan.services.iter().flat_map(|s| &s.changes).collect();
        let summary = match changes.as_slice() {
            [] => "no change to make".to_owned(),
            [c] => format!("{} {} -> {}", c.package, c.from, c.to),
            many => format!(
                "{} changes in {}",
                many.len(),
                cverun_scan::render::style::count(r.plan.services.len(), "service", "services")
            ),
        };
        self.record(cverun_incident::Action::FixPlanned(
            cverun_incident::FixPlanned {
                plan_sha256: sha256_hex(&plan_json),
                changes: changes.len() as u64,
                breaking: r.plan.summary.breaking as u64,
                incomplete: r
                    .services
                    .iter()
                    .map(|s| s.work.refused.len() as u64)
                    .sum::<u64>()
                    .min(changes.len() as u64),
                unfixable: (r.plan.not_fixable.len() + r.plan.unverifiable.len()) as u64,
                services: r
                    .plan
                    .services
                    .iter()
                    .map(|s| s.service.to_string())
                    .collect(),
                proposed: None,
                summary,
            },
        ))?;
        for s in &r.services {
            for t in &s.tests {
                self.record(cverun_incident::Action::FixTested(
                    cverun_incident::FixTested {
                        service: s.service.clone(),
                        command: t.command.clone(),
                        exit_status: t.status,
                        duration_ms: t.duration_ms,
                        passed: t.passed,
                        kept: t.kept && t.passed,
                    },
                ))?;
            }
        }
        for repo in &r.repositories {
            if !repo.commits.is_empty() {
                self.record(cverun_incident::Action::FixApplied(
                    cverun_incident::FixApplied {
                        repository: repo.repository.clone(),
                        branch: repo.branch.clone(),
                        base: cverun_incident::BaseRef {
                            reference: base.clone().unwrap_or_else(|| "HEAD".into()),
                            commit: repo.start.clone(),
                        },
                        commits: repo
                            .commits
                            .iter()
                            .map(|c| cverun_incident::FixCommit {
                                service: c.service.clone(),
                                commit: c.commit.clone(),
                            })
                            .collect(),
                        pushed: repo.pushed.clone(),
                        changes: changes.len() as u64,
                    },
                ))?;
            }
        }
        // The re-scan of the branches against their state before the change.
        let docs: Vec<&serde_json::Value> = r
            .repositories
            .iter()
            .filter_map(|x| x.verification.as_ref())
            .collect();
        if let (false, Some(first)) = (afters.is_empty(), r.repositories.first()) {
            let total = |k: &str| {
                docs.iter()
                    .filter_map(|d| d.pointer(&format!("/totals/{k}")).and_then(|v| v.as_u64()))
                    .sum::<u64>()
            };
            let hashes: Vec<&str> = docs.iter().filter_map(|d| d["sha256"].as_str()).collect();
            let report_sha256 = match hashes.as_slice() {
                [one] => (*one).to_owned(),
                many => sha256_hex(many.join("\n").as_bytes()),
            };
            let refs: Vec<&Report> = afters.iter().collect();
            self.record(cverun_incident::Action::Verify(cverun_incident::Rescan {
                report_sha256,
                baseline: cverun_incident::Baseline::Git {
                    reference: format!("{} before the change", first.branch),
                    commit: first.start.clone(),
                },
                fixed: total("fixed"),
                remaining: total("remaining"),
                introduced: total("introduced"),
                services: self.rescan_services(&refs),
            }))?;
        }
        Ok(())
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    let d = sha2::Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn target(t: FixTarget) -> Target {
    match t {
        FixTarget::Smallest => Target::Smallest,
        FixTarget::SafeFromAll => Target::SafeFromAll,
    }
}

/// 2 when the scan behind the plan is incomplete (unreadable files); 1 when
/// something asked is not (or cannot be) done; 0 when everything is.
fn exit_code(r: &FixReport) -> u8 {
    if !r.plan.errors.is_empty() {
        2
    } else if r.complete {
        0
    } else {
        1
    }
}

/// The plan of a report: the database finds the smallest upgrade fixing the
/// advisories at hand for every package version concerned.
fn plan_for(
    report: &Report,
    db: &Database,
    selection: &Selection,
    target: Target,
) -> anyhow::Result<FixPlan> {
    let needs = change::needs(report, selection);
    let upgrades = if target == Target::Smallest {
        let queries: Vec<FixQuery> = needs
            .iter()
            .map(|n| FixQuery {
                query: PackageQuery {
                    ecosystem: n.ecosystem.clone(),
                    name: n.package.clone(),
                    version: n.version.clone(),
                },
                groups: n.groups.clone(),
            })
            .collect();
        let targeted: Vec<Vec<bool>> = needs.iter().map(|n| n.targeted.clone()).collect();
        db.upgrades_fixing(&queries, &targeted)?
    } else {
        Vec::new()
    };
    Ok(change::plan(report, selection, target, &needs, &upgrades))
}

/// The branch name: `--branch`, else from the first advisory asked (its CVE id
/// when it has one), else `hotfix/cverun-<date>` for every finding.
fn branch_name(args: &FixArgs, report: &Report) -> anyhow::Result<String> {
    if let Some(b) = &args.branch {
        return Ok(b.clone());
    }
    match args.advisory.first() {
        Some(a) => {
            let one = Selection {
                advisories: vec![a.clone()],
            };
            let aliases: Vec<String> = report
                .findings
                .iter()
                .chain(&report.suppressed)
                .find(|f| one.matching(f).is_some())
                .map(|f| {
                    std::iter::once(f.finding.advisory.to_string())
                        .chain(f.finding.aliases.iter().map(|x| x.to_string()))
                        .collect()
                })
                .unwrap_or_default();
            Ok(git::hotfix_branch(a, &aliases))
        }
        None => {
            let day = super::now()?.strftime("%Y-%m-%d").to_string();
            Ok(format!("hotfix/cverun-{day}"))
        }
    }
}

/// The service directories of a plan, grouped by repository top directory.
fn repositories(plan: &FixPlan) -> anyhow::Result<BTreeMap<PathBuf, Vec<PathBuf>>> {
    let mut by: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for s in &plan.services {
        let top = git::toplevel(&s.location).map_err(|e| {
            anyhow::anyhow!(
                "{}: not in a git repository ({}); `fix --apply` makes its change on a hotfix branch, so the service must be in one (run without --apply for the plan and the diff)",
                s.location.display(),
                e.message
            )
        })?;
        let top = std::fs::canonicalize(&top).unwrap_or(top);
        let loc = std::fs::canonicalize(&s.location).unwrap_or_else(|_| s.location.clone());
        let rel = loc.strip_prefix(&top).unwrap_or(Path::new("")).to_owned();
        by.entry(top).or_default().push(rel);
    }
    Ok(by)
}

fn apply(
    args: &FixArgs,
    db: &Database,
    triage: &cverun_scan::Triage,
    report: &Report,
    plan: FixPlan,
    afters: &mut Vec<Report>,
) -> anyhow::Result<FixReport> {
    if !plan.errors.is_empty() {
        bail!(
            "the scan could not read {} (listed above): a change made from an incomplete scan could miss what it must fix; fix the files or scan without them, then apply",
            cverun_scan::render::style::count(plan.errors.len(), "file", "files")
        );
    }
    let repos = repositories(&plan)?;
    // Refuse before doing anything: every repository's tree must be clean.
    for top in repos.keys() {
        let dirty = git::dirty(top)?;
        if !dirty.is_empty() {
            let shown: Vec<&str> = dirty.iter().take(10).map(String::as_str).collect();
            bail!(
                "{}: the working tree has uncommitted changes ({}{}); the plan was made from files that differ from the commit the hotfix branch starts from. Commit or stash them first",
                top.display(),
                shown.join(", "),
                if dirty.len() > 10 { ", ..." } else { "" }
            );
        }
    }
    let branch = branch_name(args, report)?;
    let base = args.base.clone().unwrap_or_else(|| "HEAD".to_owned());
    let mut services: Vec<ServiceOutcome> = Vec::new();
    let mut repositories: Vec<RepositoryOutcome> = Vec::new();
    let mut final_plan = plan.clone();
    final_plan.services.clear();
    for (top, rels) in &repos {
        let tmp = tempfile::Builder::new()
            .prefix("cverun-fix-")
            .tempdir()
            .context("creating a directory for the hotfix worktree")?;
        let name = top
            .file_name()
            .map(|n| n.to_owned())
            .unwrap_or_else(|| "repo".into());
        let wt_path = tmp.path().join(name);
        let wt = Worktree::open(top, &wt_path, &branch, &base)?;
        // The plan again, from the branch's own files: on a branch made by an
        // earlier run the change may already be there (nothing is done twice).
        let wt_roots: Vec<PathBuf> = rels.iter().map(|r| wt_path.join(r)).collect();
        let mut wt_roots_dedup = wt_roots.clone();
        wt_roots_dedup.sort();
        wt_roots_dedup.dedup();
        let before = scan_opened(&wt_roots_dedup, db, triage.clone(), &args.inputs, false)?;
        let wt_plan = plan_for(
            &before,
            db,
            &Selection {
                advisories: args.advisory.clone(),
            },
            target(args.target),
        )?;
        let mut commits: Vec<Commit> = Vec::new();
        let mut touched: Vec<PathBuf> = Vec::new();
        let bar = super::scan::Bar::new();
        bar.steps(
            wt_plan.services.len(),
            &format!("changing {}", top.display()),
        );
        for s in &wt_plan.services {
            let outcome = apply_service(args, &wt, s, &mut commits)?;
            cverun_scan::Progress::advance(&bar);
            touched.extend(outcome.1);
            services.push(outcome.0);
            final_plan.services.push(s.clone());
        }
        bar.clear();
        if args.commit == CommitMode::Single && !touched.is_empty() {
            let all: Vec<&Change> = wt_plan.services.iter().flat_map(|s| &s.changes).collect();
            let subject = subject(args, &all, "every service");
            let message = message(&subject, &wt_plan.services.iter().collect::<Vec<_>>(), args);
            let rel: Vec<PathBuf> = touched
                .iter()
                .filter_map(|p| p.strip_prefix(wt.path()).ok().map(Path::to_owned))
                .collect();
            commit(&wt, &rel, "all", subject, &message, &mut commits)?;
        }
        let after = scan_opened(&wt_roots_dedup, db, triage.clone(), &args.inputs, false)?;
        let verification = {
            use cverun_remediate::verify::{self as v, Snapshot};
            let doc = v::compare(
                &Snapshot::from_report(&before),
                &Snapshot::from_report(&after),
                &v::Request {
                    advisories: args.advisory.clone(),
                    verified_at: after.scanned_at.clone(),
                    baseline: v::Source {
                        kind: "git".into(),
                        label: format!("{branch} before the change"),
                        commits: vec![wt.start.clone()],
                    },
                    current: vec![format!("{branch} after the change")],
                    database: after.database.id.clone(),
                },
            );
            Some(serde_json::to_value(&doc)?)
        };
        afters.push(after);
        let pushed = match (&args.push, commits.is_empty()) {
            (Some(remote), false) => {
                git::push(top, remote, &branch)?;
                Some(remote.clone())
            }
            _ => None,
        };
        let mut repo = RepositoryOutcome {
            repository: top.display().to_string(),
            branch: branch.clone(),
            base: base.clone(),
            start: wt.start.clone(),
            created: wt.created,
            commits,
            pushed,
            verification,
            pull_request: None,
        };
        wt.remove()?;
        repo.pull_request = Some(
            cverun_remediate::pull_request::render(
                args.pr_template.as_deref(),
                &final_plan,
                &services,
                &repo,
                args.incident.as_deref(),
            )
            .map_err(anyhow::Error::msg)?,
        );
        repositories.push(repo);
    }
    if let (Some(path), Some(body)) = (
        &args.pr_body,
        repositories.first().and_then(|r| r.pull_request.as_ref()),
    ) {
        output::write_atomically(path, |w| {
            use std::io::Write as _;
            w.write_all(body.as_bytes())?;
            Ok(())
        })?;
    }
    final_plan.summary.services = final_plan.services.len();
    final_plan.summary.changes = final_plan.services.iter().map(|s| s.changes.len()).sum();
    let complete = final_plan.complete()
        && services
            .iter()
            .all(|s| matches!(s.status, "applied" | "unchanged"));
    Ok(FixReport {
        schema: report::SCHEMA,
        mode: "apply",
        plan: final_plan,
        services,
        repositories,
        complete,
    })
}

/// The first line of a commit message: the advisories asked, else those the
/// changes fix.
fn subject(args: &FixArgs, changes: &[&Change], what: &str) -> String {
    let ids = if args.advisory.is_empty() {
        let mut all: Vec<&str> = changes
            .iter()
            .flat_map(|c| c.fixes.iter().map(String::as_str))
            .collect();
        all.sort_unstable();
        all.dedup();
        match all.len() {
            0 => "vulnerabilities".to_owned(),
            1..=3 => all.join(", "),
            n => format!("{n} advisories"),
        }
    } else {
        args.advisory.join(", ")
    };
    format!("Fix {ids} in {what}")
}

/// A commit message: the subject, a line per change, the trailers.
fn message(subject: &str, services: &[&ServiceFix], args: &FixArgs) -> String {
    let mut m = format!("{subject}\n\n");
    for s in services {
        for c in &s.changes {
            m.push_str(&format!(
                "- {}: {} {} -> {} (fixes {}{})\n",
                s.service,
                c.package,
                c.from,
                c.to,
                c.fixes.join(", "),
                if c.leaves.is_empty() {
                    String::new()
                } else {
                    format!("; leaves {}", c.leaves.join(", "))
                }
            ));
        }
    }
    m.push('\n');
    let mut ids: Vec<String> = services
        .iter()
        .flat_map(|s| s.changes.iter().flat_map(|c| c.fixes.clone()))
        .collect();
    ids.sort();
    ids.dedup();
    if let Some(i) = &args.incident {
        m.push_str(&format!("Incident: {i}\n"));
    }
    if !ids.is_empty() {
        m.push_str(&format!("Advisory: {}\n", ids.join(", ")));
    }
    m
}

fn command_run(outcome: &RunOutcome) -> CommandRun {
    match outcome {
        RunOutcome::Done {
            command,
            duration_ms,
        } => CommandRun {
            command: command.clone(),
            outcome: "done",
            status: Some(0),
            duration_ms: *duration_ms,
            output: None,
            blocking: None,
        },
        RunOutcome::Missing { tool, manual } => CommandRun {
            command: manual.clone(),
            outcome: "missing",
            status: None,
            duration_ms: 0,
            output: Some(format!("{tool} is not installed: run the command by hand")),
            blocking: None,
        },
        RunOutcome::Failed {
            command,
            status,
            output_tail,
            blocking,
        } => CommandRun {
            command: command.clone(),
            outcome: "failed",
            status: *status,
            duration_ms: 0,
            output: Some(output_tail.clone()),
            blocking: blocking.clone(),
        },
    }
}

/// Commits `paths` (relative to the worktree) with `message`, adding the commit
/// to `commits`; false when there was nothing to commit.
fn commit(
    wt: &Worktree,
    paths: &[PathBuf],
    service: &str,
    subject: String,
    message: &str,
    commits: &mut Vec<Commit>,
) -> anyhow::Result<bool> {
    Ok(match wt.commit(paths, message)? {
        Some(id) => {
            commits.push(Commit {
                service: service.to_owned(),
                commit: id,
                subject,
            });
            true
        }
        None => false,
    })
}

/// Writes, regenerates and checks `work` in the worktree; the runs, and whether
/// all of it succeeded.
fn make(work: &ServiceWork) -> (Vec<CommandRun>, bool) {
    let mut runs = Vec::new();
    if let Err(e) = work::write_edits(&work.edits) {
        runs.push(CommandRun {
            command: "write the rewritten manifests".into(),
            outcome: "failed",
            status: None,
            duration_ms: 0,
            output: Some(e),
            blocking: None,
        });
        return (runs, false);
    }
    for l in &work.locks {
        let mut cmds = l.run.clone();
        cmds.extend(l.run_check.clone());
        let outcomes = lock::run(&cmds, TOOL_TIMEOUT);
        let ok = outcomes.len() == cmds.len() && outcomes.iter().all(RunOutcome::is_done);
        runs.extend(outcomes.iter().map(command_run));
        if !ok {
            return (runs, false);
        }
    }
    (runs, true)
}

/// Runs the service's tests in `dir` (in the worktree).
fn test(cmd: &str, dir: &Path, change: String, timeout: Duration) -> TestRun {
    let started = Instant::now();
    let tc = ToolCommand::new("sh", ["-c", cmd], dir);
    let o = lock::run(std::slice::from_ref(&tc), timeout);
    let (status, passed) = match o.first() {
        Some(RunOutcome::Done { .. }) => (Some(0), true),
        Some(RunOutcome::Failed { status, .. }) => (*status, false),
        _ => (None, false),
    };
    TestRun {
        change,
        command: cmd.to_owned(),
        status,
        duration_ms: started.elapsed().as_millis() as u64,
        passed,
        kept: true,
    }
}

/// Applies one service's changes in the worktree; its outcome and the files it
/// touched (uncommitted, for a single commit).
fn apply_service(
    args: &FixArgs,
    wt: &Worktree,
    s: &ServiceFix,
    commits: &mut Vec<Commit>,
) -> anyhow::Result<(ServiceOutcome, Vec<PathBuf>)> {
    let dir = &s.location;
    let timeout = Duration::from_secs(args.test_timeout.unwrap_or(1800));
    let rel = |paths: &[PathBuf]| -> Vec<PathBuf> {
        paths
            .iter()
            .filter_map(|p| p.strip_prefix(wt.path()).ok().map(Path::to_owned))
            .collect()
    };
    let mut runs = Vec::new();
    let mut tests = Vec::new();
    let mut touched = Vec::new();
    let all: Vec<&Change> = s.changes.iter().collect();
    let full = work::prepare(s, &all, dir);
    let mut status = "applied";
    if args.keep_passing && args.test.is_some() {
        // One package at a time: a change is kept only when the tests pass with it.
        let cmd = args.test.as_deref().unwrap_or_default();
        for c in &s.changes {
            let w = work::prepare(s, &[c], dir);
            if !w.complete() {
                status = "incomplete";
                continue;
            }
            let (r, ok) = make(&w);
            runs.extend(r);
            let label = format!("{} {} -> {}", c.package, c.from, c.to);
            if !ok {
                wt.discard(&rel(&w.paths()))?;
                status = "failed";
                continue;
            }
            let mut t = test(cmd, dir, label.clone(), timeout);
            if t.passed {
                let subject = subject(args, &[c], &s.service);
                let one = ServiceFix {
                    changes: vec![c.clone()],
                    ..s.clone()
                };
                let m = message(&subject, &[&one], args);
                commit(wt, &rel(&w.paths()), &s.service, subject, &m, commits)?;
            } else {
                t.kept = false;
                wt.discard(&rel(&w.paths()))?;
                status = "incomplete";
            }
            tests.push(t);
        }
        return Ok((
            ServiceOutcome {
                service: s.service.to_string(),
                status,
                work: full,
                runs,
                tests,
            },
            touched,
        ));
    }
    if !full.complete() {
        status = "incomplete";
    }
    let (r, ok) = make(&full);
    runs.extend(r);
    if !ok {
        wt.discard(&rel(&full.paths()))?;
        status = if runs.iter().any(|r| r.outcome == "missing") {
            "incomplete"
        } else {
            "failed"
        };
    } else {
        if let Some(cmd) = &args.test {
            let t = test(cmd, dir, "all".into(), timeout);
            if !t.passed {
                status = "failed";
            }
            tests.push(t);
        }
        match args.commit {
            CommitMode::PerService => {
                let subject = subject(args, &all, &s.service);
                let m = message(&subject, &[s], args);
                if !commit(wt, &rel(&full.paths()), &s.service, subject, &m, commits)?
                    && status == "applied"
                {
                    status = "unchanged";
                }
            }
            CommitMode::Single => touched.extend(full.paths()),
        }
    }
    Ok((
        ServiceOutcome {
            service: s.service.to_string(),
            status,
            work: full,
            runs,
            tests,
        },
        touched,
    ))
}
