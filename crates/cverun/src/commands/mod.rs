//! One module per command; shared wiring here.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use cverun_db::Database;
use cverun_db::import::import_all;

use crate::cli::{Cli, Command};
use crate::output;

pub mod blast;
pub mod comms;
mod db;
pub mod evidence;
mod exceptions;
mod explain;
pub mod filters;
pub mod fix;
mod help;
pub mod incident;
mod inventory;
pub mod metrics;
pub mod notify;
mod plan;
mod query;
mod scan;
mod verify;

/// Runs the parsed command line; the exit code on success, an error otherwise.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // `--db` is accepted before the command name (`cverun --db DIR scan`, as in
    // earlier versions) and after it on the commands that read the database; the
    // later one wins. Commands that read no database say they ignore it.
    let top = cli.db;
    let pick = |own: &Option<PathBuf>| own.clone().or_else(|| top.clone());
    let ignored = |command: &str| {
        if top.is_some() {
            output::warn(&format!(
                "--db is ignored by `cverun {command}`: it reads no advisory database"
            ));
        }
    };
    match cli.command {
        Command::Db(a) => db::run(pick(&a.db.dir).as_deref(), a.command),
        Command::Query(args) => query::run(pick(&args.db.dir).as_deref(), args),
        Command::Scan(args) => scan::run(pick(&args.inputs.db.dir).as_deref(), args),
        Command::Explain(args) => explain::run(pick(&args.inputs.db.dir).as_deref(), args),
        Command::Plan(args) => plan::run(pick(&args.inputs.db.dir).as_deref(), args),
        Command::Fix(args) => fix::run(pick(&args.inputs.db.dir).as_deref(), args),
        Command::Blast(args) => blast::run(pick(&args.inputs.db.dir).as_deref(), args),
        Command::Verify(args) => verify::run(pick(&args.inputs.db.dir).as_deref(), args),
        Command::Inventory(cmd) => {
            ignored("inventory");
            inventory::run(cmd)
        }
        Command::Exceptions(cmd) => {
            ignored("exceptions");
            exceptions::run(cmd)
        }
        Command::Incident(args) => {
            let own = match &args.command {
                incident::IncidentCommand::Declare(d) => d.db.dir.clone().or(args.db.clone()),
                _ => {
                    ignored("incident");
                    None
                }
            };
            incident::run(pick(&own).as_deref(), args)
        }
        Command::Evidence(args) => {
            ignored("evidence");
            evidence::run(args)
        }
        Command::Comms(args) => {
            ignored("comms");
            comms::run(args)
        }
        Command::Notify(args) => {
            ignored("notify");
            notify::run(args)
        }
        Command::Report(args) => {
            ignored("report");
            metrics::run(args)
        }
        Command::Completions { shell } => {
            ignored("completions");
            help::completions(shell)
        }
        Command::Man { dir } => {
            ignored("man");
            help::man(dir.as_deref())
        }
    }
}

/// The current time, or `CVERUN_NOW` (RFC 3339) when set, so that runs can be
/// reproduced and tested.
pub fn now() -> anyhow::Result<jiff::Timestamp> {
    match std::env::var("CVERUN_NOW") {
        Ok(s) if !s.is_empty() => s
            .parse()
            .with_context(|| format!("CVERUN_NOW={s:?} is not an RFC 3339 time")),
        _ => Ok(jiff::Timestamp::now()),
    }
}

/// The runbook of the project state: `flag`, else `runbook.toml` in `$CVERUN_STATE`
/// (or `.cverun`) when present, else the built-in one; with where it comes from.
pub fn project_runbook(flag: Option<&Path>) -> anyhow::Result<(cverun_incident::Runbook, String)> {
    use cverun_incident::Runbook;
    if let Some(p) = flag {
        return Ok((Runbook::load(p)?, p.display().to_string()));
    }
    let state = std::env::var_os("CVERUN_STATE")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".cverun"));
    let p = state.join("runbook.toml");
    if p.exists() {
        return Ok((Runbook::load(&p)?, p.display().to_string()));
    }
    Ok((Runbook::default(), "built in".to_owned()))
}

/// The response times of P0, P1 and P2 that `runbook` defines (the triage policy
/// reads these, so a deadline in a scan and in an incident is the same).
pub fn response_times(runbook: &cverun_incident::Runbook) -> cverun_triage::policy::ResponseTimes {
    use cverun_incident::Priority;
    cverun_triage::policy::ResponseTimes {
        p0: runbook.policy(Priority::P0).response,
        p1: runbook.policy(Priority::P1).response,
        p2: runbook.policy(Priority::P2).response,
    }
}

/// The policy and exceptions for `roots` (see `Triage::load`), with the response
/// times of the project's runbook.
pub fn load_triage(
    roots: &[PathBuf],
    policy: Option<&Path>,
    exceptions: &[PathBuf],
) -> anyhow::Result<cverun_scan::Triage> {
    let mut t = cverun_scan::Triage::load(roots, policy, exceptions)?;
    let (rb, _) = project_runbook(None)?;
    t.policy.response = response_times(&rb);
    Ok(t)
}

/// The database directory: `--db`, else `CVERUN_DB`, else the XDG cache default.
pub fn db_dir(flag: Option<&Path>) -> anyhow::Result<PathBuf> {
    let env = std::env::var_os("CVERUN_DB").filter(|v| !v.is_empty());
    match flag {
        Some(p) => Ok(p.to_owned()),
        None if env.is_some() => Ok(PathBuf::from(env.unwrap_or_default())),
        None => cverun_db::default_dir().context(
            "cannot find a place for the advisory database: set --db DIR, CVERUN_DB, XDG_CACHE_HOME or HOME",
        ),
    }
}

/// The database to match against: a temporary one holding `advisories` when any
/// are given, else the existing database.
pub fn open_for_matching(flag: Option<&Path>, advisories: &[PathBuf]) -> anyhow::Result<Database> {
    let db = if advisories.is_empty() {
        let dir = db_dir(flag)?;
        Database::open_existing(&dir)?
    } else {
        temporary(advisories)?
    };
    // No advisory data at all: cverun cannot judge anything (never "no advisory").
    if db.coverage()?.is_empty() {
        bail!(cverun_db::coverage::empty_message(db.label()));
    }
    Ok(db)
}

/// A database in memory holding `advisories`.
fn temporary(advisories: &[PathBuf]) -> anyhow::Result<Database> {
    let mut db = Database::in_memory()?;
    let now = now()?;
    for p in advisories {
        for report in import_all(&mut db, p, now)? {
            let s = &report.source;
            if s.skipped == 0 && s.problems == 0 {
                continue;
            }
            output::warn(&format!(
                "{}: {} records skipped, {} with problems (import it with `cverun db import` and see `cverun db status --warnings`)",
                p.display(),
                s.skipped,
                s.problems
            ));
        }
    }
    Ok(db)
}

/// `--threads`, else the number of CPUs; at least 1.
pub fn threads(flag: Option<usize>) -> usize {
    flag.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
    .max(1)
}

/// Refuses an empty or unknown ecosystem name with the list of known ones.
pub fn parse_ecosystem(s: &str) -> anyhow::Result<cverun_versions::Ecosystem> {
    match cverun_versions::Ecosystem::from_user(s) {
        Some(e) => Ok(e),
        None => {
            let known: Vec<&str> = cverun_versions::Ecosystem::SUPPORTED
                .iter()
                .map(|e| e.osv_name())
                .collect();
            bail!("unknown ecosystem {s:?} (known: {})", known.join(", "))
        }
    }
}

/// How current `snapshot` is now, against `--max-db-age` (enforced when given) or
/// the default (a warning).
pub fn freshness(
    snapshot: &cverun_db::Snapshot,
    max_db_age: Option<i64>,
) -> anyhow::Result<cverun_db::Freshness> {
    let (limit, enforced) = match max_db_age {
        Some(d) => (d, true),
        None => (cverun_db::coverage::DEFAULT_MAX_AGE_DAYS, false),
    };
    Ok(cverun_db::coverage::freshness(
        snapshot,
        now()?,
        limit,
        enforced,
    ))
}

/// Each source's age, a line each, for the end of a table.
pub fn freshness_text(f: &cverun_db::Freshness) -> String {
    let mut s = String::new();
    for a in &f.sources {
        s.push_str(&output::paint(
            output::DIM,
            format!("  {}", cverun_scan::render::table::source_age(a)),
        ));
        s.push('\n');
    }
    s
}

/// The warning (or error, when enforced) on stderr for data older than the limit.
pub fn warn_freshness(f: &cverun_db::Freshness) {
    if let Some(w) = f.warning() {
        if f.enforced {
            output::error(&w);
        } else {
            output::warn(&w);
        }
    }
}

/// "no advisory in this database names PyPI/reqeusts (did you mean requests?)".
pub fn no_advisory_names(ecosystem: &str, package: &str, close: &[String]) -> String {
    let mut s = format!("no advisory in this database names {ecosystem}/{package}");
    if !close.is_empty() {
        s.push_str(&format!(" (did you mean {}?)", close.join(", ")));
    }
    s
}
