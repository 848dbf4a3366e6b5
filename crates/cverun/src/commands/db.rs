//! `cverun db import | update | status`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use cverun_db::import::{ImportReport, import_all};
use cverun_db::update::{Outcome, UpdateOptions, update};
use cverun_db::{Database, Refusal, Snapshot, SourceStatus};
use cverun_versions::Ecosystem;
use jiff::Timestamp;
use serde::Serialize;

use super::{db_dir, now, parse_ecosystem};
use crate::cli::{DbCommand, Format};
use crate::output::{self, BOLD, DIM, GREEN, RED, YELLOW, paint, short_hash};

pub fn run(db_flag: Option<&Path>, cmd: DbCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DbCommand::Import { paths } => import(db_flag, &paths),
        DbCommand::Update {
            from,
            ecosystem,
            kev_url,
            epss_url,
            no_kev,
            no_epss,
            allow_shrink,
            max_download_mib,
            timeout,
        } => {
            let kev = (!no_kev)
                .then(|| kev_url.unwrap_or_else(|| cverun_db::update::DEFAULT_KEV_URL.to_owned()));
            let epss = (!no_epss).then(|| {
                epss_url.unwrap_or_else(|| cverun_db::update::DEFAULT_EPSS_URL.to_owned())
            });
            let mut opts = UpdateOptions::new(from.as_deref(), Vec::new());
            opts.kev_url = kev;
            opts.epss_url = epss;
            opts.allow_shrink = allow_shrink;
            opts.limits.max_download = max_download_mib.saturating_mul(1 << 20);
            opts.total_timeout = std::time::Duration::from_secs(timeout.max(1));
            update_cmd(db_flag, &ecosystem, opts)
        }
        DbCommand::Status {
            warnings,
            format,
            output,
        } => status(db_flag, warnings, format, output.output.as_deref()),
    }
}

fn import(db_flag: Option<&Path>, paths: &[std::path::PathBuf]) -> anyhow::Result<ExitCode> {
    let dir = db_dir(db_flag)?;
    let mut db = Database::open(&dir)?;
    let now = now()?;
    let mut failed = 0;
    for p in paths {
        match import_all(&mut db, p, now) {
            Ok(reports) => {
                for report in &reports {
                    print_import(p, report);
                }
            }
            Err(e) => {
                failed += 1;
                output::error(&format!(
                    "{e} (each source is imported whole or not at all: see `cverun db status`)"
                ));
            }
        }
    }
    anstream::println!("{}", paint(DIM, format!("database: {}", db.label())));
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_import(path: &Path, r: &ImportReport) {
    let s = &r.source;
    anstream::println!(
        "{} {} records from {} ({}; sha256 {})",
        paint(GREEN, "imported"),
        s.records,
        path.display(),
        if s.ecosystems.is_empty() {
            "no packages".to_owned()
        } else {
            s.ecosystems.join(", ")
        },
        short_hash(&s.sha256)
    );
    print_load_problems(s, r);
}

fn print_load_problems(s: &SourceStatus, r: &ImportReport) {
    if r.ignored_files > 0 {
        anstream::println!("  {} files that are not .json ignored", r.ignored_files);
    }
    if s.skipped > 0 || s.problems > 0 {
        output::warn(&format!(
            "{}: {} records skipped, {} loaded with problems; all are listed by `cverun db status --warnings`",
            s.name, s.skipped, s.problems
        ));
        for (location, message) in &r.warnings {
            anstream::eprintln!("  {}: {message}", paint(DIM, location));
        }
    }
}

fn update_cmd(
    db_flag: Option<&Path>,
    ecosystems: &[String],
    mut opts: UpdateOptions,
) -> anyhow::Result<ExitCode> {
    let dir = db_dir(db_flag)?;
    let mut db = Database::open(&dir)?;
    let ecosystems: Vec<Ecosystem> = if ecosystems.is_empty() {
        let downloaded: Vec<Ecosystem> = db
            .sources()?
            .iter()
            .filter_map(|s| s.name.strip_prefix("osv:"))
            .map(Ecosystem::from_osv)
            .collect();
        if downloaded.is_empty() {
            Ecosystem::SUPPORTED.to_vec()
        } else {
            downloaded
        }
    } else {
        ecosystems
            .iter()
            .map(|e| parse_ecosystem(e))
            .collect::<anyhow::Result<_>>()?
    };
    opts.ecosystems = ecosystems;
    let report = update(&mut db, &opts, now()?)?;
    for p in &report.removed_partial {
        output::warn(&format!(
            "removed a partial download left by an interrupted update: {}",
            p.display()
        ));
    }
    let mut failed = 0;
    for u in &report.sources {
        let eco = format!("{:<10}", u.label);
        match &u.outcome {
            Outcome::Updated(r) => {
                anstream::println!(
                    "{eco} {} {} records, sha256 {} (from {})",
                    paint(GREEN, "updated  "),
                    r.source.records,
                    short_hash(&r.source.sha256),
                    u.url
                );
                print_load_problems(&r.source, r);
            }
            Outcome::Unchanged(s) => anstream::println!(
                "{eco} {} {} records fetched {} (server: not modified)",
                paint(DIM, "unchanged"),
                s.records,
                s.fetched_at
            ),
            Outcome::Failed { error, kept } => {
                failed += 1;
                let kept = match kept {
                    Some(s) => format!(
                        "the previous data is kept and in use ({} records fetched {})",
                        s.records, s.fetched_at
                    ),
                    None => "there was no previous data for this ecosystem".to_owned(),
                };
                anstream::println!("{eco} {} {error}; {kept}", paint(RED, "FAILED   "));
            }
        }
    }
    anstream::println!("{}", paint(DIM, format!("database: {}", db.label())));
    Ok(if failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

#[derive(Serialize)]
struct StatusJson<'a> {
    schema: &'static str,
    snapshot: &'a Snapshot,
    /// When the ages were computed (`CVERUN_NOW` or the clock).
    now: String,
    ages: Vec<Age>,
    refusals: Vec<Refusal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<Vec<cverun_db::Warning>>,
}

/// How old a source is, in whole days before `now`.
#[derive(Serialize)]
struct Age {
    source: String,
    fetched_days_ago: Option<i64>,
    /// `None`: no record with a real date (see `EARLIEST_REAL_DATE`).
    newest_modified_days_ago: Option<i64>,
}

/// Whole days from `then` (RFC 3339) to `now`; `None` when `then` is not a time.
fn days_ago(then: &str, now: Timestamp) -> Option<i64> {
    let t: Timestamp = then.parse().ok()?;
    Some(now.duration_since(t).as_secs().div_euclid(86_400))
}

/// `2026-11-30T10:00:00Z (2 days ago)`.
fn with_age(then: &str, now: Timestamp) -> String {
    match days_ago(then, now) {
        Some(0) => format!("{then} (today)"),
        Some(1) => format!("{then} (1 day ago)"),
        Some(d) if d < 0 => format!("{then} (in the future)"),
        Some(d) => format!("{then} ({d} days ago)"),
        None => then.to_owned(),
    }
}

fn status(
    db_flag: Option<&Path>,
    warnings: bool,
    format: Format,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let dir = db_dir(db_flag)?;
    let db = Database::open_existing(&dir)?;
    let snapshot = db.snapshot()?;
    let refusals = db.refusals()?;
    let now = now()?;
    let list = if warnings {
        Some(db.warnings(None)?)
    } else {
        None
    };
    if format == Format::Json {
        let json = StatusJson {
            schema: "cverun.db-status/1",
            snapshot: &snapshot,
            now: now.to_string(),
            ages: snapshot
                .sources
                .iter()
                .map(|s| Age {
                    source: s.name.clone(),
                    fetched_days_ago: days_ago(&s.fetched_at, now),
                    newest_modified_days_ago: s
                        .newest_modified
                        .as_deref()
                        .and_then(|m| days_ago(m, now)),
                })
                .collect(),
            refusals,
            warnings: list,
        };
        output::report(out, |r| r.json(&json))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut t = String::new();
    writeln!(t, "{} {}", paint(BOLD, "database:"), snapshot.location)?;
    writeln!(t, "{} {}", paint(BOLD, "snapshot:"), snapshot.id)?;
    if snapshot.sources.is_empty() {
        writeln!(
            t,
            "no sources yet: run `cverun db update` or `cverun db import PATH`"
        )?;
    }
    for s in &snapshot.sources {
        writeln!(t)?;
        writeln!(t, "{}", paint(BOLD, &s.name))?;
        writeln!(t, "  from            {}", s.origin)?;
        writeln!(t, "  fetched         {}", with_age(&s.fetched_at, now))?;
        if s.checked_at != s.fetched_at {
            writeln!(
                t,
                "  last checked    {} (unchanged)",
                with_age(&s.checked_at, now)
            )?;
        }
        let mut counts = format!("{}", s.records);
        if s.skipped > 0 || s.problems > 0 {
            counts.push_str(&paint(
                YELLOW,
                format!(
                    " ({} skipped, {} with problems: --warnings lists them)",
                    s.skipped, s.problems
                ),
            ));
        }
        writeln!(t, "  records         {counts}")?;
        writeln!(
            t,
            "  newest modified {}",
            match s.newest_modified.as_deref() {
                Some(m) => with_age(m, now),
                None => "no real date known".to_owned(),
            }
        )?;
        if !s.ecosystems.is_empty() {
            writeln!(t, "  ecosystems      {}", s.ecosystems.join(", "))?;
        }
        for (k, v) in &s.details {
            writeln!(t, "  {:<15} {v}", k.replace('_', " "))?;
        }
        writeln!(t, "  sha256          {}", s.sha256)?;
    }
    if !refusals.is_empty() {
        writeln!(t)?;
        writeln!(
            t,
            "{} ({}; the previous data, if any, stayed in use)",
            paint(BOLD, "refused updates"),
            refusals.len()
        )?;
        for r in &refusals {
            writeln!(
                t,
                "  {} {} {}",
                r.source,
                paint(DIM, with_age(&r.at, now)),
                paint(RED, &r.reason)
            )?;
        }
    }
    if let Some(list) = list {
        writeln!(t)?;
        writeln!(t, "{} ({})", paint(BOLD, "warnings"), list.len())?;
        for w in list {
            writeln!(
                t,
                "  {} {}: {}",
                w.source,
                paint(DIM, &w.location),
                w.message
            )?;
        }
    }
    output::report(out, |r| r.text(&t))?;
    Ok(ExitCode::SUCCESS)
}
