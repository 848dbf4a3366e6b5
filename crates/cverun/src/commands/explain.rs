//! `cverun explain <ADVISORY> [--service S] [PATH...]`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::bail;
use cverun_scan::explain::{canonical_id, explain, known, render};

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
    super::scan::print_errors(&report);
    let query = canonical_id(&args.advisory);
    let known = known(&db, &policy, &query, now()?)?;
    let unknown = known.is_none();
    let e = explain(&report, &query, args.service.as_deref(), known);
    output::report(args.output.output.as_deref(), |r| match args.format {
        Format::Json => r.json(&e),
        Format::Table => r.text(&render(&e)),
    })?;
    let too_old = e
        .freshness
        .as_ref()
        .is_some_and(|f| f.enforced && !f.stale.is_empty());
    // An incomplete scan (a root or file that could not be read) cannot say who is
    // not affected: never a clean answer.
    let incomplete = !report.errors.is_empty();
    Ok(
        if (unknown && e.findings.is_empty()) || too_old || incomplete {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        },
    )
}
