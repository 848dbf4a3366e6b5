//! `cverun explain <ADVISORY> [--service S] [PATH...]`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use cverun_scan::explain::{canonical_id, explain, render};
use cverun_scan::triage::Assessor;
use cverun_triage::policy::{Context, prioritize};

use super::now;
use super::scan::scan_inputs;
use crate::cli::{ExplainArgs, Format};
use crate::output;

pub fn run(db_flag: Option<&Path>, args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let (report, db, policy) = scan_inputs(db_flag, &args.inputs, false)?;
    if let Some(s) = &args.service {
        if !report.services.iter().any(|x| &*x.name == s.as_str()) {
            let names: Vec<&str> = report.services.iter().map(|x| &*x.name).collect();
            bail!(
                "no service named {s:?} was scanned (services: {})",
                names.join(", ")
            );
        }
    }
    let query = canonical_id(&args.advisory);
    let records = db.advisories_by_id(&query)?;
    let known = if records.is_empty() {
        None
    } else {
        let mut ids: Vec<String> = vec![query.clone()];
        let mut own = Vec::new();
        let mut summary = None;
        for r in &records {
            for id in std::iter::once(&r.id).chain(r.aliases.iter()) {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
            for s in &r.severity {
                if !own.contains(s) {
                    own.push(s.clone());
                }
            }
            if summary.is_none() {
                summary = r.summary.clone();
            }
        }
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let a = Assessor::new(&db).assess_ids(&refs, &own)?;
        let base = prioritize(&policy, &a, &Context::default(), now()?);
        Some((ids, summary, base))
    };
    let unknown = known.is_none();
    let e = explain(&report, &query, args.service.as_deref(), known);
    match args.format {
        Format::Json => output::json(&e)?,
        Format::Table => anstream::print!("{}", render(&e)),
    }
    Ok(if unknown && e.findings.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
