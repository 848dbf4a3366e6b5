//! `cverun plan [PATH...]`.

use std::path::Path;
use std::process::ExitCode;

use cverun_scan::plan::{plan, render_with};
use cverun_scan::render::TextOptions;

use super::scan::scan_inputs;
use crate::cli::{Format, PlanArgs};
use crate::output;

pub fn run(db_flag: Option<&Path>, args: PlanArgs) -> anyhow::Result<ExitCode> {
    let (report, _, _) = scan_inputs(db_flag, &args.inputs, false)?;
    let p = plan(&report);
    match args.format {
        Format::Json => output::json(&p)?,
        Format::Table => {
            let opts = TextOptions {
                width: super::scan::table_width(),
                summary_only: args.summary,
                explain: args.explain,
            };
            anstream::print!("{}", render_with(&p, &opts))
        }
    }
    Ok(ExitCode::from(p.exit_code()))
}
