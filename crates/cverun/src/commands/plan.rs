//! `cverun plan [PATH...]`.

use std::path::Path;
use std::process::ExitCode;

use cverun_scan::plan::{plan, render};

use super::scan::scan_inputs;
use crate::cli::{Format, PlanArgs};
use crate::output;

pub fn run(db_flag: Option<&Path>, args: PlanArgs) -> anyhow::Result<ExitCode> {
    let (report, _, _) = scan_inputs(db_flag, &args.inputs, false)?;
    super::scan::print_errors(&report);
    let p = plan(&report);
    output::report(args.output.output.as_deref(), |r| match args.format {
        Format::Json => r.json(&p),
        Format::Table => r.text(&render(&p)),
    })?;
    Ok(ExitCode::from(p.exit_code()))
}
