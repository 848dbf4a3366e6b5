//! `cverun blast <ADVISORY|ECOSYSTEM/PACKAGE[@VERSION]> [PATH...] [--inventory FILE]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use cverun_blast::radius::{Source, report_from_inventory};
use cverun_blast::{Inventory, Target, blast, resolve};
use cverun_scan::Triage;

use super::scan::{load_inputs, scan_opened};
use super::{now, open_for_matching, threads};
use crate::cli::{BlastArgs, Format};
use crate::output;

pub fn run(db_flag: Option<&Path>, args: BlastArgs) -> anyhow::Result<ExitCode> {
    let target = cverun_blast::target::parse(&args.subject).map_err(anyhow::Error::msg)?;
    let exact = matches!(
        target,
        Target::Package {
            version: Some(_),
            ..
        }
    );
    let threads = threads(args.inputs.threads);
    let (report, subject, source) = match &args.inventory {
        Some(file) => {
            let inv = Inventory::open(file)?;
            // Resolve first: an unknown advisory fails before any work.
            let db = open_for_matching(db_flag, &args.inputs.advisories)?;
            let subject = resolve(&db, &target)?;
            let roots: Vec<PathBuf> = inv
                .roots
                .iter()
                .map(PathBuf::from)
                .filter(|r| r.is_dir())
                .collect();
            let triage = Triage::load(
                &roots,
                args.inputs.policy.as_deref(),
                &args.inputs.exceptions,
            )?;
            let report = report_from_inventory(&inv, &db, &subject, &triage, now()?, threads)?;
            let source = Source {
                kind: "inventory",
                paths: vec![file.display().to_string()],
                saved_at: Some(inv.saved_at.clone()),
            };
            (report, subject, source)
        }
        None => {
            let (roots, triage) = load_inputs(&args.inputs)?;
            let db = open_for_matching(db_flag, &args.inputs.advisories)?;
            let subject = resolve(&db, &target)?;
            let report = scan_opened(&roots, &db, triage, &args.inputs, exact)
                .context("scanning for the blast radius")?;
            let source = Source {
                kind: "scan",
                paths: report.roots.clone(),
                saved_at: None,
            };
            (report, subject, source)
        }
    };
    let b = blast(&report, subject, source, !args.no_reach, threads);
    match args.format {
        Format::Json => output::json(&b)?,
        Format::Table => anstream::print!("{}", cverun_blast::render::render(&b)),
    }
    Ok(ExitCode::from(b.exit_code()))
}
