//! `cverun report metrics`: MTTD, MTTR, SLA adherence, open and overdue incidents,
//! computed from the stored timelines (the view is `cverun_incident::view::metrics`).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use cverun_incident::view;

use super::incident::{StoreArgs, parse_time};
use super::now;
use crate::cli::Format;
use crate::output;

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// MTTD, MTTR, SLA adherence per priority, open and overdue incidents.
    Metrics {
        /// Only incidents declared since: a date (2026-11-01), an RFC 3339 time, or
        /// a length of time ago ("30d ago").
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        output: crate::cli::OutputFile,
    },
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let ReportCommand::Metrics {
        since,
        format,
        output: out,
    } = args.command;
    let now = now()?;
    let since = match since.as_deref().map(str::trim) {
        None => None,
        Some(s) => Some(match s.parse::<jiff::civil::Date>() {
            Ok(d) => d
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .map_err(|e| anyhow::anyhow!("--since {s:?}: {e}"))?
                .timestamp(),
            Err(_) => parse_time("--since", s, now)?,
        }),
    };
    let store = args.store.open(false)?;
    let simulated = args.store.simulated(store.as_ref())?;
    let loaded = match store {
        Some(mut store) => store.load_all()?,
        None => Vec::new(),
    };
    let v = view::metrics::view(&loaded, since, now, simulated);
    if format == Format::Json {
        output::report(out.output.as_deref(), |r| r.json(&v))?;
        return Ok(ExitCode::SUCCESS);
    }
    output::report(out.output.as_deref(), |r| r.text(&view::metrics::text(&v)))?;
    for u in &v.unreadable {
        output::warn(&format!(
            "{u}: timeline cannot be read; not counted (see `cverun incident verify {u}`)"
        ));
    }
    Ok(ExitCode::SUCCESS)
}
