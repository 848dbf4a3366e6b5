//! `cverun report metrics`: MTTD, MTTR, SLA adherence, open and overdue incidents,
//! computed from the stored timelines.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use cverun_incident::interval::human_minutes;
use cverun_incident::metrics::{self, Average, Metrics};
use serde::Serialize;

use super::incident::{StoreArgs, parse_time};
use super::now;
use crate::cli::Format;
use crate::output::{self, BOLD, DIM, RED, paint};

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
    },
}

#[derive(Serialize)]
struct MetricsJson<'a> {
    schema: &'static str,
    /// The store is simulated (times from CVERUN_NOW, not a clock).
    simulated: bool,
    /// Incidents whose timeline could not be read (not counted).
    unreadable: Vec<String>,
    #[serde(flatten)]
    metrics: &'a Metrics,
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let ReportCommand::Metrics { since, format } = args.command;
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
    let mut incidents = Vec::new();
    let mut unreadable = Vec::new();
    for l in loaded {
        match l.state {
            Ok(i) => incidents.push(i),
            Err(_) => unreadable.push(l.id),
        }
    }
    let m = metrics::compute(&incidents, since, now);
    if format == Format::Json {
        output::json(&MetricsJson {
            schema: "cverun.metrics/1",
            simulated,
            unreadable,
            metrics: &m,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    super::incident::simulated_banner(simulated);
    let avg = |a: &Average, excluded: &str| -> String {
        match (a.mean_seconds, a.median_seconds) {
            (Some(mean), Some(median)) => format!(
                "mean {}, median {} over {} incidents{}",
                human_minutes(mean),
                human_minutes(median),
                a.counted,
                if a.excluded > 0 {
                    format!(" ({} {excluded})", a.excluded)
                } else {
                    String::new()
                }
            ),
            _ => format!("no data ({} {excluded})", a.excluded),
        }
    };
    anstream::println!(
        "{}",
        paint(
            BOLD,
            format!(
                "Incidents {}: {}",
                match since {
                    Some(s) => format!("declared since {s}"),
                    None => "(all)".to_owned(),
                },
                m.incidents
            )
        )
    );
    anstream::println!(
        "  MTTD  {}",
        avg(&m.mttd, "excluded: publication time unknown")
    );
    anstream::println!("  MTTR  {}", avg(&m.mttr, "not resolved"));
    anstream::println!(
        "  open  {} ({} overdue{})",
        m.open,
        if m.overdue > 0 {
            paint(RED, m.overdue)
        } else {
            m.overdue.to_string()
        },
        if m.overdue_incidents.is_empty() {
            String::new()
        } else {
            format!(": {}", m.overdue_incidents.join(", "))
        }
    );
    if m.cancelled > 0 {
        anstream::println!("  cancelled {}", m.cancelled);
    }
    anstream::println!(
        "\n{}",
        paint(
            BOLD,
            "SLA adherence (resolved within the response and phase deadlines)"
        )
    );
    for s in &m.sla {
        let missed: Vec<String> = s.missed.iter().map(|(k, v)| format!("{k} x{v}")).collect();
        anstream::println!(
            "  {}  {}{}",
            s.priority,
            match s.adherence {
                Some(a) => format!("{:.0}% ({} of {} resolved)", a * 100.0, s.met, s.resolved),
                None => paint(DIM, "no resolved incidents"),
            },
            if missed.is_empty() {
                String::new()
            } else {
                paint(DIM, format!("; missed: {}", missed.join(", ")))
            }
        );
    }
    for u in &unreadable {
        output::warn(&format!(
            "{u}: timeline cannot be read; not counted (see `cverun incident verify {u}`)"
        ));
    }
    Ok(ExitCode::SUCCESS)
}
