//! `cverun inventory save [PATH...] -o FILE`.

use std::path::PathBuf;
use std::process::ExitCode;

use cverun_scan::{ScanOptions, Triage, inventory_only};

use super::scan::Bar;
use super::{now, threads};
use crate::cli::{Format, InventoryCommand};
use crate::output::{self, BOLD, RED, paint};

pub fn run(cmd: InventoryCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        InventoryCommand::Save {
            paths,
            output: file,
            threads: n,
            format,
            allow_outside_roots,
        } => {
            let roots: Vec<PathBuf> = if paths.is_empty() {
                vec![PathBuf::from(".")]
            } else {
                paths
            };
            let progress = Bar::new();
            let report = inventory_only(
                &roots,
                &ScanOptions {
                    now: now()?,
                    threads: threads(n),
                    list_packages: true,
                    triage: Triage::default(),
                    max_db_age: None,
                    allow_outside_roots,
                },
                &progress,
            )?;
            progress.clear();
            let saved = cverun_blast::store::save(&report, &file)?;
            match format {
                Format::Json => output::json(&saved)?,
                Format::Table => {
                    for e in &report.errors {
                        let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                        anstream::eprintln!(
                            "{} {}{at}: {}",
                            paint(RED, "error:"),
                            e.file,
                            e.message
                        );
                    }
                    anstream::println!(
                        "{} {}: {} services, {} packages{}",
                        paint(BOLD, "saved"),
                        saved.path,
                        saved.services,
                        saved.packages,
                        if saved.errors > 0 {
                            format!(
                                "; {} file(s) could not be read: blast answers from it are marked incomplete",
                                saved.errors
                            )
                        } else {
                            String::new()
                        }
                    );
                }
            }
            Ok(ExitCode::from(if saved.errors > 0 { 2 } else { 0 }))
        }
    }
}
