//! `cverun db import | update | status`.

use std::path::Path;
use std::process::ExitCode;

use cverun_db::import::{ImportReport, import_all};
use cverun_db::update::{Outcome, UpdateOptions, update};
use cverun_db::{Database, Snapshot, SourceStatus};
use cverun_versions::Ecosystem;
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
        } => {
            let kev = (!no_kev)
                .then(|| kev_url.unwrap_or_else(|| cverun_db::update::DEFAULT_KEV_URL.to_owned()));
            let epss = (!no_epss).then(|| {
                epss_url.unwrap_or_else(|| cverun_db::update::DEFAULT_EPSS_URL.to_owned())
            });
            update_cmd(db_flag, from.as_deref(), &ecosystem, kev, epss)
        }
        DbCommand::Status { warnings, format } => status(db_flag, warnings, format),
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
    from: Option<&str>,
    ecosystems: &[String],
    kev_url: Option<String>,
    epss_url: Option<String>,
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
    let mut opts = UpdateOptions::new(from, ecosystems);
    opts.kev_url = kev_url;
    opts.epss_url = epss_url;
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
    #[serde(skip_serializing_if = "Option::is_none")]
    warnings: Option<Vec<cverun_db::Warning>>,
}

fn status(db_flag: Option<&Path>, warnings: bool, format: Format) -> anyhow::Result<ExitCode> {
    let dir = db_dir(db_flag)?;
    let db = Database::open_existing(&dir)?;
    let snapshot = db.snapshot()?;
    let list = if warnings {
        Some(db.warnings(None)?)
    } else {
        None
    };
    if format == Format::Json {
        output::json(&StatusJson {
            schema: "cverun.db-status/1",
            snapshot: &snapshot,
            warnings: list,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    anstream::println!("{} {}", paint(BOLD, "database:"), snapshot.location);
    anstream::println!("{} {}", paint(BOLD, "snapshot:"), snapshot.id);
    if snapshot.sources.is_empty() {
        anstream::println!("no sources yet: run `cverun db update` or `cverun db import PATH`");
    }
    for s in &snapshot.sources {
        anstream::println!();
        anstream::println!("{}", paint(BOLD, &s.name));
        anstream::println!("  from            {}", s.origin);
        anstream::println!("  fetched         {}", s.fetched_at);
        if s.checked_at != s.fetched_at {
            anstream::println!("  last checked    {} (unchanged)", s.checked_at);
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
        anstream::println!("  records         {counts}");
        anstream::println!(
            "  newest modified {}",
            s.newest_modified.as_deref().unwrap_or("-")
        );
        if !s.ecosystems.is_empty() {
            anstream::println!("  ecosystems      {}", s.ecosystems.join(", "));
        }
        for (k, v) in &s.details {
            anstream::println!("  {:<15} {v}", k.replace('_', " "));
        }
        anstream::println!("  sha256          {}", s.sha256);
    }
    if let Some(list) = list {
        anstream::println!();
        anstream::println!("{} ({})", paint(BOLD, "warnings"), list.len());
        for w in list {
            anstream::println!("  {} {}: {}", w.source, paint(DIM, &w.location), w.message);
        }
    }
    Ok(ExitCode::SUCCESS)
}
