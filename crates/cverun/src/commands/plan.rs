//! `cverun plan [PATH...]`.

use std::path::Path;
use std::process::ExitCode;

use cverun_scan::plan::{plan, render_with};
use cverun_scan::render::TextOptions;

use super::scan::scan_inputs;
use crate::cli::{Format, PlanArgs};
use crate::output;

pub fn run(db_flag: Option<&Path>, args: PlanArgs) -> anyhow::Result<ExitCode> {
    let filter = super::filters::compile(&args.filters, &super::scan::roots(&args.inputs))?;
    let (mut report, _, _) = scan_inputs(db_flag, &args.inputs, false)?;
    super::scan::print_errors(&report);
    // Rows are built from the findings the filters show; the exit status counts
    // them, `--top` aside.
    cverun_scan::filter::apply(&mut report, &filter);
    let mut p = plan(&report);
    let code = p.exit_code();
    cverun_scan::plan::top(&mut p, &filter);
    let opts = TextOptions {
        width: super::scan::table_width(),
        summary_only: args.summary,
        explain: args.explain,
    };
    output::report(args.output.output.as_deref(), |r| match args.format {
        Format::Json => r.json(&p),
        Format::Table => r.text(&render_with(&p, &opts)),
    })?;
    Ok(ExitCode::from(code))
}
