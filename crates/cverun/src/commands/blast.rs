//! `cverun blast <ADVISORY|ECOSYSTEM/PACKAGE[@VERSION]> [PATH...] [--inventory FILE]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use cverun_blast::radius::{Source, report_from_inventory};
use cverun_blast::{Inventory, Target, blast, resolve};

use super::scan::{load_inputs, scan_opened};
use super::{now, open_for_matching, threads};
use crate::cli::{BlastArgs, Format};
use crate::output;

pub fn run(db_flag: Option<&Path>, args: BlastArgs) -> anyhow::Result<ExitCode> {
    let mut r = radius(
        db_flag,
        &args.subject,
        &args.inputs,
        args.inventory.as_deref(),
        !args.no_reach,
    )?;
    // Standing excludes of the roots scanned, or of the inventory's roots on this
    // machine.
    let roots: Vec<PathBuf> = r.roots.iter().map(PathBuf::from).collect();
    let filter = super::filters::compile(&args.filters, &roots)?;
    cverun_blast::radius::filter(&mut r.blast, &filter, &r.roots);
    // The exit status counts the entries the filters show, `--top` aside.
    let code = r.blast.exit_code();
    cverun_blast::radius::top(&mut r.blast, &filter);
    if args.format == Format::Json {
        // The table names them; JSON holds them as data, stderr says them too.
        for p in &r.blast.incomplete {
            let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
            output::error(&format!("{}{at}: {}", p.file, p.message));
        }
    }
    output::report(args.output.output.as_deref(), |out| match args.format {
        Format::Json => out.json(&r.blast),
        Format::Table => out.text(&cverun_blast::render::render(&r.blast)),
    })?;
    Ok(ExitCode::from(code))
}

/// A blast radius and the services it was computed over.
pub struct Radius {
    /// The blast radius.
    pub blast: cverun_blast::Blast,
    /// Every service scanned or in the inventory, affected or not.
    pub services: Vec<String>,
    /// The roots the services' manifests are relative to.
    pub roots: Vec<String>,
}

/// The blast radius of `subject` (an advisory id or `ECOSYSTEM/PACKAGE[@VERSION]`)
/// over the roots of `inputs`, or over the saved `inventory`.
pub fn radius(
    db_flag: Option<&Path>,
    subject: &str,
    inputs: &crate::cli::ScanInputs,
    inventory: Option<&Path>,
    reach: bool,
) -> anyhow::Result<Radius> {
    let target = cverun_blast::target::parse(subject).map_err(anyhow::Error::msg)?;
    let threads = threads(inputs.threads);
    // The inventory read, when the question is asked of one (its names serve the
    // "did you mean" below).
    let mut saved: Option<Inventory> = None;
    let (report, subject, source, db) = match inventory {
        Some(file) => {
            let inv = Inventory::open(file)?;
            // Resolve first: an unknown advisory fails before any work.
            let db = open_for_matching(db_flag, &inputs.advisories)?;
            let subject = resolve(&db, &target)?;
            let roots: Vec<PathBuf> = inv
                .roots
                .iter()
                .map(PathBuf::from)
                .filter(|r| r.is_dir())
                .collect();
            let triage = super::load_triage(&roots, inputs.policy.as_deref(), &inputs.exceptions)?;
            let mut report = report_from_inventory(&inv, &db, &subject, &triage, now()?, threads)?;
            report.freshness = Some(super::freshness(&report.database, inputs.max_db_age)?);
            let source = Source {
                kind: "inventory",
                paths: vec![file.display().to_string()],
                saved_at: Some(inv.saved_at.clone()),
            };
            saved = Some(inv);
            (report, subject, source, db)
        }
        None => {
            let (roots, triage) = load_inputs(inputs)?;
            let db = open_for_matching(db_flag, &inputs.advisories)?;
            let subject = resolve(&db, &target)?;
            // Every package listed: who ships it at any version, affected or not.
            let report = scan_opened(&roots, &db, triage, inputs, true)
                .context("scanning for the blast radius")?;
            let source = Source {
                kind: "scan",
                paths: report.roots.clone(),
                saved_at: None,
            };
            (report, subject, source, db)
        }
    };
    let services = report.services.iter().map(|s| s.name.to_string()).collect();
    let roots = report.roots.clone();
    let mut b = blast(&report, subject, source, reach, threads);
    // For a package nobody ships: whether any advisory names it, and close names
    // (the advisories' and the fleet's) for a "did you mean" (looked up only then:
    // comparing every name costs more than the answer itself).
    let known = match &target {
        Target::Package {
            ecosystem, name, ..
        } if b.summary.ship == 0 => {
            let declared = match &saved {
                Some(inv) => inv.names(ecosystem)?,
                None => report
                    .packages
                    .iter()
                    .flatten()
                    .filter(|p| p.ecosystem == ecosystem.osv_name())
                    .map(|p| cverun_versions::normalize_name(ecosystem, &p.package).into_owned())
                    .collect(),
            };
            Some(names(&db, ecosystem, name, declared)?)
        }
        _ => None,
    };
    // A package that no service declares and no advisory names is most likely a
    // typo: never an empty, clean-looking answer.
    if let Some((named, close)) = known
        && !named
    {
        if let Target::Package {
            ecosystem, name, ..
        } = &target
        {
            b.cannot_judge = Some(format!(
                "no service declares {}/{name} and no advisory names it",
                ecosystem.osv_name()
            ));
        }
        b.did_you_mean = close;
    }
    Ok(Radius {
        blast: b,
        services,
        roots,
    })
}

/// Whether an advisory of `db` names the package, and up to three close names
/// from the advisories and the fleet's declarations.
fn names(
    db: &cverun_db::Database,
    ecosystem: &cverun_versions::Ecosystem,
    name: &str,
    declared: Vec<String>,
) -> anyhow::Result<(bool, Vec<String>)> {
    let named = db.names_package(ecosystem, name)?;
    let key = cverun_versions::normalize_name(ecosystem, name);
    let mut close = cverun_versions::similar::similar(&key, declared.iter().map(String::as_str), 3);
    for n in db.similar_packages(ecosystem, name, 3)? {
        if !close.contains(&n) {
            close.push(n);
        }
    }
    close.truncate(3);
    Ok((named, close))
}
