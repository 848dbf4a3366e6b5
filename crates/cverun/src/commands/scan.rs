//! `cverun scan [PATH...]`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;
use cverun_db::Database;
use cverun_scan::render::{TextOptions, markdown, sarif, table};
use cverun_scan::{FailOn, Progress, Report, ScanOptions, Triage, scan};
use cverun_triage::policy::{Level, Policy};
use cverun_triage::severity::Rating;
use indicatif::{ProgressBar, ProgressStyle};

use super::{now, open_for_matching};
use crate::cli::{ScanArgs, ScanFormat, ScanInputs};
use crate::output;

/// A progress bar on stderr, only when stderr is a terminal.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar when stderr is a terminal, else nothing.
    pub fn new() -> Bar {
        Bar(std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::new(0);
            b.set_style(
                ProgressStyle::with_template("{spinner} {msg} {pos}/{len} [{bar:30}] {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b
        }))
    }

    /// Counts `total` steps of `what` (services changed by `fix`, say).
    pub fn steps(&self, total: usize, what: &str) {
        if let Some(b) = &self.0 {
            b.reset();
            b.set_length(total as u64);
            b.set_message(what.to_owned());
        }
    }

    /// Removes the bar.
    pub fn clear(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

impl Progress for Bar {
    fn start(&self, total: usize) {
        if let Some(b) = &self.0 {
            b.set_length(total as u64);
            b.set_message("reading manifests");
        }
    }
    fn advance(&self) {
        if let Some(b) = &self.0 {
            b.inc(1);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.set_message("matching");
        }
    }
}

fn parse_fail_on(s: &str) -> anyhow::Result<FailOn> {
    Ok(match s.to_ascii_lowercase().as_str() {
        "any" => FailOn::Any,
        "informational" => FailOn::Informational,
        "never" | "none" => FailOn::Never,
        other => match (Level::parse(other), Rating::from_label(other)) {
            (Some(l), _) => FailOn::Priority(l),
            (None, Some(r)) if r > Rating::None => FailOn::Rating(r),
            _ => bail!(
                "--fail-on {s:?}: expected any, informational, P0, P1, P2, routine, low, medium, high, critical or never"
            ),
        },
    })
}

/// Scans `inputs` with their policy and exceptions; also returns the database and
/// the policy used.
pub fn scan_inputs(
    db_flag: Option<&Path>,
    inputs: &ScanInputs,
    list_packages: bool,
) -> anyhow::Result<(Report, Database, Policy)> {
    let (roots, triage) = load_inputs(inputs)?;
    let db = open_for_matching(db_flag, &inputs.advisories)?;
    let policy = triage.policy.clone();
    let report = scan_opened(&roots, &db, triage, inputs, list_packages)?;
    Ok((report, db, policy))
}

/// The roots to scan (`.` by default) and their policy and exceptions.
pub fn load_inputs(inputs: &ScanInputs) -> anyhow::Result<(Vec<PathBuf>, Triage)> {
    let roots = roots(inputs);
    let triage = super::load_triage(&roots, inputs.policy.as_deref(), &inputs.exceptions)?;
    Ok((roots, triage))
}

/// The roots of `inputs`: its paths, `.` by default.
pub fn roots(inputs: &ScanInputs) -> Vec<PathBuf> {
    if inputs.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        inputs.paths.clone()
    }
}

/// Scans `roots` against an opened database, with a progress bar on a terminal.
pub fn scan_opened(
    roots: &[PathBuf],
    db: &Database,
    triage: Triage,
    inputs: &ScanInputs,
    list_packages: bool,
) -> anyhow::Result<Report> {
    let progress = Bar::new();
    let report = scan(
        roots,
        db,
        &ScanOptions {
            now: now()?,
            threads: super::threads(inputs.threads),
            list_packages,
            triage,
            max_db_age: inputs.max_db_age,
            allow_outside_roots: inputs.allow_outside_roots,
        },
        &progress,
    )?;
    progress.clear();
    Ok(report)
}

pub fn run(db_flag: Option<&Path>, args: ScanArgs) -> anyhow::Result<ExitCode> {
    let fail_on = parse_fail_on(&args.fail_on)?;
    let filter = super::filters::compile(&args.filters, &roots(&args.inputs))?;
    let (mut report, _, _) = scan_inputs(db_flag, &args.inputs, args.list_packages)?;
    // The exit status counts what the filters show, `--top` aside.
    cverun_scan::filter::apply(&mut report, &filter);
    let code = report.exit_code(fail_on);
    cverun_scan::filter::top(&mut report, &filter);
    let text = TextOptions {
        width: table_width(),
        summary_only: args.summary,
        explain: false,
    };
    let md = markdown::Options {
        max_bytes: args.max_bytes.unwrap_or(markdown::DEFAULT_MAX_BYTES),
        summary_only: args.summary,
    };
    output::report(args.output.as_deref(), |r| {
        match args.format {
            ScanFormat::Table => r.text(&table::render_with(&report, &text))?,
            ScanFormat::Markdown => r
                .writer()
                .write_all(markdown::render_with(&report, &md).as_bytes())?,
            // JSON is streamed, never built whole in memory (compact when piped,
            // see `output`).
            ScanFormat::Json => r.json(&report)?,
            ScanFormat::Sarif => {
                let bases = sarif_bases(&report.roots);
                r.json(&sarif::render_with(&report, &bases))?
            }
        }
        Ok(())
    })?;
    // The table sends its error lines to stderr; other formats hold the errors as
    // data, and stderr says them too.
    if args.format != ScanFormat::Table {
        print_errors(&report);
    }
    Ok(ExitCode::from(code))
}

/// The files that could not be read, on stderr.
pub fn print_errors(report: &Report) {
    for e in &report.errors {
        let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        output::error(&format!("{}{at}: {}", e.file, e.message));
    }
}

/// The width human tables are fitted to: `COLUMNS` when set, else the terminal's
/// when standard output is one, else 100.
pub fn table_width() -> usize {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return n;
    }
    if std::io::stdout().is_terminal() {
        if let Some((_, cols)) = console::Term::stdout().size_checked() {
            return usize::from(cols);
        }
    }
    cverun_scan::render::style::DEFAULT_WIDTH
}

/// Where each root's files are, for SARIF: the git repository holding every root
/// (paths relative to its top), else each root's absolute location.
fn sarif_bases(roots: &[String]) -> sarif::Bases {
    let absolute: Vec<Option<PathBuf>> = roots
        .iter()
        .map(|r| std::fs::canonicalize(r).ok())
        .collect();
    let top = |p: &Path| -> Option<PathBuf> {
        let start = if p.is_dir() { p } else { p.parent()? };
        start
            .ancestors()
            .find(|a| a.join(".git").exists())
            .map(Path::to_path_buf)
    };
    let tops: Vec<Option<PathBuf>> = absolute
        .iter()
        .map(|a| a.as_deref().and_then(top))
        .collect();
    let repo = match tops.first() {
        Some(Some(t)) if tops.iter().all(|x| x.as_ref() == Some(t)) => Some(t.clone()),
        _ => None,
    };
    sarif::Bases {
        roots: roots
            .iter()
            .zip(&absolute)
            .map(|(label, abs)| sarif::RootBase {
                label: label.clone(),
                in_repository: match (&repo, abs) {
                    (Some(t), Some(a)) => a
                        .strip_prefix(t)
                        .ok()
                        .map(|r| r.to_string_lossy().replace('\\', "/")),
                    _ => None,
                },
                absolute: abs.as_ref().map(|a| a.to_string_lossy().replace('\\', "/")),
            })
            .collect(),
        repository: repo.is_some(),
    }
}
