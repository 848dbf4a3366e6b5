//! `cverun verify [PATH...] (--baseline REPORT.json | --baseline-ref REF)`: scans
//! now, builds the baseline (a saved report, or the same paths scanned at a git
//! revision in temporary worktrees), adds installed environments, and prints the
//! comparison of `cverun_remediate::verify`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use cverun_db::{Database, PackageQuery};
use cverun_inventory::read::{Class, read_bytes};
use cverun_remediate::site_packages::{Environment, read_environment};
use cverun_remediate::verify::worktree::{Worktree, repository_of, resolve};
use cverun_remediate::verify::{Request, Snapshot, Source, compare, render};
use cverun_scan::Triage;
use cverun_versions::Ecosystem;

use super::now;
use super::scan::{load_inputs, scan_opened};
use crate::cli::{Format, ScanInputs, VerifyArgs};
use crate::output;

pub fn run(db_flag: Option<&Path>, mut args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let mut incident = match &args.incident {
        Some(id) => Some(super::fix::Evidence::open(&args.store, id)?),
        None => None,
    };
    if let (Some(ev), true) = (&incident, args.advisory.is_empty()) {
        args.advisory = vec![ev.incident.advisory.clone()];
    }
    let (roots, triage) = load_inputs(&args.inputs)?;
    let environments = environments(&args.site_packages)?;
    let db = super::open_for_matching(db_flag, &args.inputs.advisories)?;
    let (baseline, source) = match (&args.baseline, &args.baseline_ref) {
        (Some(file), _) => (saved_baseline(file)?, report_source(file)),
        (None, Some(rev)) => git_baseline(&roots, rev, &db, &triage, &args.inputs)?,
        (None, None) => bail!("give the baseline: --baseline REPORT.json or --baseline-ref REF"),
    };
    let report = scan_opened(&roots, &db, triage, &args.inputs, true)?;
    super::scan::print_errors(&report);
    let mut current = Snapshot::from_report(&report);
    let mut scanned: Vec<String> = roots.iter().map(|r| label(r)).collect();
    add_environments(&mut current, &environments, &db)?;
    for (name, env) in &environments {
        scanned.push(format!("{name}={}", env.dir.display()));
    }
    let request = Request {
        advisories: args.advisory.clone(),
        verified_at: now()?.to_string(),
        baseline: source,
        current: scanned,
        database: report.database.id.clone(),
    };
    let verification = compare(&baseline, &current, &request);
    if let Some(ev) = incident.as_mut() {
        let baseline = match (&args.baseline, &args.baseline_ref) {
            (Some(file), _) => cverun_incident::Baseline::File {
                name: file.display().to_string(),
                sha256: super::fix::sha256_hex(&read_bytes(file, Class::Data)?),
            },
            _ => cverun_incident::Baseline::Git {
                reference: args.baseline_ref.clone().unwrap_or_default(),
                commit: verification
                    .baseline
                    .commits
                    .first()
                    .cloned()
                    .unwrap_or_default(),
            },
        };
        let t = &verification.totals;
        ev.record(cverun_incident::Action::Verify(cverun_incident::Rescan {
            report_sha256: verification.sha256.clone(),
            baseline,
            fixed: t.fixed as u64,
            remaining: t.remaining as u64,
            introduced: t.introduced as u64,
            services: ev.rescan_services(&[&report]),
        }))?;
    }
    output::report(args.output.output.as_deref(), |r| match args.format {
        Format::Json => r.json(&verification),
        Format::Table => r.text(&render::table(&verification, super::scan::table_width())),
    })?;
    Ok(ExitCode::from(verification.exit_code()))
}

/// A path as the scan labels its root.
fn label(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

fn report_source(file: &Path) -> Source {
    Source {
        kind: "report".to_owned(),
        label: file.display().to_string(),
        commits: Vec::new(),
    }
}

/// The baseline saved in `file` (bounded read; errors name the file).
fn saved_baseline(file: &Path) -> anyhow::Result<Snapshot> {
    let bytes = read_bytes(file, Class::Data)
        .with_context(|| format!("{}: cannot read the baseline", file.display()))?;
    Ok(Snapshot::from_json(&bytes, file)?)
}

/// The baseline scanned at `rev`: one temporary worktree per repository holding a
/// root, each root scanned at the same place in it, with the same options; the
/// worktrees are removed whatever happens (the guards' `Drop`).
fn git_baseline(
    roots: &[PathBuf],
    rev: &str,
    db: &Database,
    triage: &Triage,
    inputs: &ScanInputs,
) -> anyhow::Result<(Snapshot, Source)> {
    let mut trees: Vec<(PathBuf, Worktree)> = Vec::new();
    let mut commits = Vec::new();
    let mut mapped = Vec::with_capacity(roots.len());
    for root in roots {
        let top = repository_of(root)?;
        let index = match trees.iter().position(|(t, _)| *t == top) {
            Some(i) => i,
            None => {
                let commit = resolve(&top, rev)?;
                commits.push(commit.clone());
                trees.push((top.clone(), Worktree::add(&top, &commit)?));
                trees.len() - 1
            }
        };
        let at = trees[index].1.map(root).with_context(|| {
            format!(
                "{}: not inside the repository {}",
                root.display(),
                top.display()
            )
        })?;
        mapped.push(at);
    }
    let report = scan_opened(&mapped, db, triage.clone(), inputs, true)?;
    let mut snapshot = Snapshot::from_report(&report);
    // Several roots name services by the roots as given: the worktree's paths
    // become the user's again (and a manifest given as a root names its directory).
    for (original, at) in roots.iter().zip(&mapped) {
        snapshot.relabel(&label(at), &label(original));
        if let (Some(a), Some(o)) = (at.parent(), original.parent()) {
            if original.is_file() && !o.as_os_str().is_empty() {
                snapshot.relabel(&label(a), &label(o));
            }
        }
    }
    for (top, tree) in trees {
        if let Err(e) = tree.remove() {
            output::warn(&format!(
                "{e} (run `git -C {} worktree prune` to drop the temporary checkout)",
                top.display()
            ));
        }
    }
    Ok((
        snapshot,
        Source {
            kind: "git".to_owned(),
            label: rev.to_owned(),
            commits,
        },
    ))
}

/// The environments of `--site-packages [NAME=]DIR`, read.
fn environments(specs: &[String]) -> anyhow::Result<Vec<(String, Environment)>> {
    let mut out: Vec<(String, Environment)> = Vec::new();
    for spec in specs {
        let (name, dir) = match spec.split_once('=') {
            Some((n, d)) if !n.is_empty() && !n.contains('/') && !d.is_empty() => {
                (n.to_owned(), PathBuf::from(d))
            }
            _ => {
                let dir = PathBuf::from(spec);
                let name = std::fs::canonicalize(&dir)
                    .ok()
                    .and_then(|c| c.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_else(|| spec.clone());
                (name, dir)
            }
        };
        if out.iter().any(|(n, _)| *n == name) {
            bail!(
                "--site-packages {spec}: another environment is named {name:?}: name them with NAME=DIR"
            );
        }
        let env = read_environment(&dir).context("--site-packages")?;
        for p in &env.problems {
            output::warn(&format!("{}: {}", p.path.display(), p.message));
        }
        out.push((name, env));
    }
    Ok(out)
}

/// Matches each environment's distributions and adds it to `current`.
fn add_environments(
    current: &mut Snapshot,
    environments: &[(String, Environment)],
    db: &Database,
) -> anyhow::Result<()> {
    let covered = db.coverage()?.covers(&Ecosystem::PyPI);
    for (name, env) in environments {
        if current.services.contains_key(name) {
            bail!(
                "--site-packages: a scanned service is named {name:?} too: name the environment with NAME=DIR"
            );
        }
        let queries: Vec<PackageQuery> = env
            .packages
            .iter()
            .map(|p| PackageQuery {
                ecosystem: Ecosystem::PyPI,
                name: p.name.clone(),
                version: p.version.clone(),
            })
            .collect();
        let found = if covered {
            db.find(&queries)?
        } else {
            Vec::new()
        };
        current.add_environment(name, env, &found, covered);
    }
    Ok(())
}
