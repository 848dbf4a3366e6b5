//! `cverun plan [PATH...]`.

use std::path::Path;
use std::process::ExitCode;

use cverun_scan::plan::{plan, render};

use super::scan::scan_inputs;
use crate::cli::{Format, PlanArgs};
use crate::output;

pub fn run(db_flag: Option<&Path>, args: PlanArgs) -> anyhow::Result<ExitCode> {
    let (report, _, _) = scan_inputs(db_flag, &args.inputs, false)?;
    let p = plan(&report);
    match args.format {
        Format::Json => output::json(&p)?,
        Format::Table => anstream::print!("{}", render(&p)),
    }
    Ok(ExitCode::from(p.exit_code()))
}
