//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// cverun: which of our services ship a vulnerable dependency, and what to do now.
#[derive(Debug, Parser)]
#[command(
    name = "cverun",
    version,
    max_term_width = 100,
    after_help = MAIN_AFTER_HELP
)]
pub struct Cli {
    /// The advisory database directory, accepted before the command name as well
    /// (`cverun --db DIR scan`); commands that read the database also take it after
    /// their name, which wins.
    #[arg(long, value_name = "DIR", hide = true)]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

const MAIN_AFTER_HELP: &str = "\
Exit status: 0 when nothing calls for action, 1 when something does (findings, or \
packages that could not be checked), 2 for usage or input errors. Errors and \
warnings go to standard error; standard output holds only the report.

Examples:
  cverun scan examples/fleet --advisories examples/advisories
  cverun db update && cverun scan ~/src/monorepo
  cverun completions bash > ~/.local/share/bash-completion/completions/cverun
  cverun man > ~/.local/share/man/man1/cverun.1";

/// `--db DIR`: on the commands that read the advisory database.
#[derive(Debug, Args, Clone, Default)]
pub struct DbArg {
    /// Advisory database directory [env: CVERUN_DB] [default:
    /// $XDG_CACHE_HOME/cverun/db, else ~/.cache/cverun/db]
    #[arg(long = "db", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `-o FILE`: on the commands that print a report.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputFile {
    /// Write the report to FILE instead of standard output (atomically: a temporary
    /// file renamed over FILE, never a half-written report)
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the local advisory database (import, update, status).
    Db(DbArgs),
    /// Which advisories affect one exact package version?
    #[command(after_help = QUERY_EXAMPLES)]
    Query(QueryArgs),
    /// Scan a monorepo or a directory of repositories: every service, every lockfile.
    #[command(after_help = SCAN_EXAMPLES)]
    Scan(ScanArgs),
    /// Why a vulnerability has its priority: the rule that fired and its inputs.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainArgs),
    /// What to do, per service and vulnerable package: fix version, breaking or not,
    /// the runbook's decision.
    #[command(after_help = PLAN_EXAMPLES)]
    Plan(PlanArgs),
    /// Fix: the change that fixes an advisory (or every finding) per service, as a
    /// plan and exact diff; `--apply` makes it on a hotfix branch, regenerates
    /// lockfiles with their own tools, runs the tests and proves it by re-scan.
    #[command(after_help = FIX_EXAMPLES)]
    Fix(FixArgs),
    /// Blast radius: every service an advisory (or one package version) reaches, with
    /// owner, dependency path, priority, fix and whether its code imports the package.
    #[command(after_help = BLAST_EXAMPLES)]
    Blast(BlastArgs),
    /// Prove a fix: re-scan and compare with a baseline (a saved report or a git
    /// revision): fixed, remaining, introduced, versions changed.
    #[command(after_help = VERIFY_EXAMPLES)]
    Verify(VerifyArgs),
    /// Save every package of every service to one file, for instant blast queries.
    #[command(subcommand)]
    Inventory(InventoryCommand),
    /// Risk-acceptance exceptions.
    #[command(subcommand)]
    Exceptions(ExceptionsCommand),
    /// Incidents: declare, work through the runbook, keep the clocks, verify the timeline.
    #[command(after_help = INCIDENT_EXAMPLES)]
    Incident(crate::commands::incident::IncidentArgs),
    /// Collect and verify evidence archives for an incident.
    Evidence(crate::commands::evidence::EvidenceArgs),
    /// Reports over stored incidents (metrics).
    Report(crate::commands::metrics::ReportArgs),
    /// Incident communications: render a message exactly as a channel would send it.
    Comms(crate::commands::comms::CommsArgs),
    /// Incident messages: deliver the outbox through the runbook's channels, list
    /// it, show attempts, replay a dead or unknown message.
    Notify(crate::commands::notify::NotifyArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(after_help = COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page cverun(1) (roff), or write a page per command into a
    /// directory; generated from this command line.
    #[command(after_help = MAN_EXAMPLES)]
    Man {
        /// Write cverun.1 and a page per command (cverun-scan.1...) into DIR, and
        /// list them, instead of printing cverun.1.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

const FIX_EXAMPLES: &str = "\
Examples:
  cverun fix . --advisory CVE-2023-32681            # the plan and the exact diff
  cverun fix . --advisory CVE-2023-32681 --apply    # hotfix/cve-2023-32681, one commit per service
  cverun fix . --advisory GHSA-xxxx --apply --test 'make test' --keep-passing
  cverun fix . --target safe-from-all --format json

Exit status: 0 every change can be made (dry run) or was made and checked \
(--apply); 1 something asked is not done: no fix known, a change refused, a \
tool missing (the command to run is printed), a check or test failed; 2 \
errors: unreadable files, a dirty working tree, not a git repository.";

const SCAN_EXAMPLES: &str = "\
Examples:
  cverun scan examples/fleet --advisories examples/advisories   # no database needed
  cverun scan ~/src/monorepo ~/src/other-repo                  # the advisory database
  cverun scan . --fail-on P1                # exit 1 only for P0 and P1 findings
  cverun scan . --format sarif -o cverun.sarif
  cverun scan . --format json | jq .summary

Exit status: 0 nothing to act on, 1 findings (per --fail-on) or packages not \
checked, 2 errors (including a file that could not be read).";

const PLAN_EXAMPLES: &str = "\
Examples:
  cverun plan examples/fleet --advisories examples/advisories
  cverun plan . --format json -o plan.json

Exit status: 0 nothing to do, 1 a row or an unverifiable finding not covered by an \
exception, 2 errors.";

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  cverun explain CVE-2020-11651 examples/fleet --advisories examples/advisories
  cverun explain GHSA-jfh8-c2jp-5v3q . --service checkout --format json

Exit status: 0, or 2 when neither the database nor the scan knows the id.";

const BLAST_EXAMPLES: &str = "\
Examples:
  cverun blast CVE-2021-44228 examples/fleet --advisories examples/advisories
  cverun blast PyPI/pyyaml .                 # who ships it, at any version
  cverun blast npm/event-stream@3.3.6 .      # every service shipping that release
  cverun blast CVE-2023-44487 --inventory fleet.inventory

Exit status: 0 no service affected, 1 some are (or cannot be judged), 2 errors.";

const VERIFY_EXAMPLES: &str = "\
Examples:
  cverun scan . --format json -o before.json        # before the fix
  cverun verify . --baseline before.json --advisory CVE-2023-32681
  cverun verify . --baseline-ref origin/main        # the baseline scanned from git
  cverun verify . --baseline-ref HEAD --site-packages app=/srv/app/venv

Exit status: 0 every targeted advisory fixed and nothing introduced, 1 a targeted \
advisory remains, 2 cannot judge (a scan incomplete, the baseline unreadable, a \
baseline service missing now), 3 a vulnerability introduced (3 before 1 before 2).";

const QUERY_EXAMPLES: &str = "\
Examples:
  cverun query PyPI jinja2 2.10
  cverun query --advisories examples/advisories npm lodash 4.17.20
  cverun query crates.io smallvec 1.6.0 --format json

Exit status: 0 no advisory affects the version, 1 one does (or cannot be decided), \
2 errors.";

const INCIDENT_EXAMPLES: &str = "\
Examples:
  cverun incident declare --advisory CVE-2021-44228 --priority P0 --commander alice \\
      --from examples/fleet --advisories examples/advisories
  cverun incident list
  cverun incident show INC-2026-11-23-1
  cverun incident check INC-2026-11-23-1 triaged --actor alice
  cverun incident advance INC-2026-11-23-1 --actor alice
  cverun incident tick                      # from cron
  cverun incident verify";

const DB_UPDATE_EXAMPLES: &str = "\
Examples:
  cverun db update                          # every ecosystem already downloaded (or all)
  cverun db update --ecosystem PyPI,Go      # only some ecosystems
  cverun db update --no-kev --no-epss       # advisories only
  cverun db update --from https://mirror.example/osv

Exit status: 0 every source updated or unchanged, 2 when one failed or was refused \
(its previous data stays in use).";

const MAN_EXAMPLES: &str = "\\
Examples:
  cverun man > ~/.local/share/man/man1/cverun.1 && man cverun
  cverun man --dir ~/.local/share/man/man1      # cverun.1, cverun-scan.1, ...";

const COMPLETIONS_EXAMPLES: &str = "\
Examples:
  cverun completions bash > ~/.local/share/bash-completion/completions/cverun
  cverun completions zsh > ~/.zfunc/_cverun        # with fpath+=~/.zfunc in .zshrc
  cverun completions fish > ~/.config/fish/completions/cverun.fish";

/// `cverun db ...`: `--db DIR` before or after the subcommand.
#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(flatten)]
    pub db: DbGlobal,
    #[command(subcommand)]
    pub command: DbCommand,
}

/// `--db DIR` for every `db` subcommand.
#[derive(Debug, Args, Clone, Default)]
pub struct DbGlobal {
    /// Advisory database directory [env: CVERUN_DB] [default:
    /// $XDG_CACHE_HOME/cverun/db, else ~/.cache/cverun/db]
    #[arg(long = "db", value_name = "DIR", global = true)]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Import OSV records (all.zip archives, directories of .json files, single files),
    /// the CISA KEV catalog (JSON) or FIRST EPSS scores (CSV, maybe gzipped).
    Import {
        /// Files or directories to import. Each one is a source; importing the same
        /// path again replaces it.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Download each ecosystem's all.zip and swap it in atomically.
    #[command(after_help = DB_UPDATE_EXAMPLES)]
    Update {
        /// Base URL; each ecosystem is fetched from <URL>/<Ecosystem>/all.zip
        /// [default: https://osv-vulnerabilities.storage.googleapis.com]
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// Ecosystems to fetch (repeatable, or comma-separated) [default: those
        /// already downloaded, else every supported ecosystem]
        #[arg(long, value_name = "ECOSYSTEM", value_delimiter = ',')]
        ecosystem: Vec<String>,
        /// Where to fetch CISA's Known Exploited Vulnerabilities catalog
        /// [default: https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json]
        #[arg(long, value_name = "URL")]
        kev_url: Option<String>,
        /// Where to fetch FIRST's EPSS scores (CSV, maybe gzipped)
        /// [default: https://epss.empiricalsecurity.com/epss_scores-current.csv.gz]
        #[arg(long, value_name = "URL")]
        epss_url: Option<String>,
        /// Do not fetch the KEV catalog.
        #[arg(long)]
        no_kev: bool,
        /// Do not fetch EPSS scores.
        #[arg(long)]
        no_epss: bool,
        /// Accept a snapshot with fewer than half the records of the data it
        /// replaces, or with more than 10% of its records invalid (refused otherwise)
        #[arg(long)]
        allow_shrink: bool,
        /// Largest download accepted, in MiB
        #[arg(long, value_name = "MIB", default_value_t = 512)]
        max_download_mib: u64,
        /// Longest time for one whole download, in seconds
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        timeout: u64,
    },
    /// Show each source: origin, fetch time, record count, newest record, SHA-256.
    Status {
        /// Also list every warning recorded while loading.
        #[arg(long)]
        warnings: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        output: OutputFile,
    },
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Ecosystem: PyPI, crates.io, Go, npm, RubyGems, Maven, NuGet, Packagist, Hex
    /// (any case; also pip, cargo, golang, gem, composer...).
    pub ecosystem: String,
    /// Package name (Maven: group:artifact).
    pub package: String,
    /// Exact installed version.
    pub version: String,
    /// Match against these OSV records (zip, directory or file) in a temporary
    /// database instead of the advisory database (repeatable).
    #[arg(long, value_name = "PATH")]
    pub advisories: Vec<PathBuf>,
    /// The oldest advisory data accepted (7d, 36h, 2w): older data fails with exit
    /// status 2 [default: a warning past 7 days]
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub max_db_age: Option<i64>,
    #[command(flatten)]
    pub db: DbArg,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub output: OutputFile,
}

/// Output formats of commands that print data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON for machines (documented in docs/json-output.md).
    Json,
}

/// What to scan and how to judge it: shared by scan, plan, explain and blast.
#[derive(Debug, Args)]
pub struct ScanInputs {
    /// Directories (or single manifest files) to scan [default: .]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Match against these OSV records (zip, directory or file; KEV catalogs and EPSS
    /// files beside them are recognised) in a temporary database instead of the
    /// advisory database (repeatable).
    #[arg(long, value_name = "PATH")]
    pub advisories: Vec<PathBuf>,
    /// Priority policy file [default: cverun-policy.toml at the first root holding
    /// one, else the built-in runbook defaults]
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Exceptions file, in addition to each root's cverun-exceptions.toml and the
    /// [[exception]] entries of its cverun.toml (repeatable).
    #[arg(long, value_name = "FILE")]
    pub exceptions: Vec<PathBuf>,
    /// Parser threads [default: the number of CPUs]
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// The oldest advisory data accepted (7d, 36h, 2w): older data fails with exit
    /// status 2 [default: max_db_age of cverun.toml, else a warning past 7 days]
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub max_db_age: Option<i64>,
    /// Follow includes (`-r`, `-c`), parent manifests and linked manifests to files
    /// outside the scanned roots (refused by default; see docs/input-limits.md)
    #[arg(long)]
    pub allow_outside_roots: bool,
    #[command(flatten)]
    pub db: DbArg,
}

/// Which rows to show: shared by scan, plan and blast (docs/filters.md). What is
/// hidden is always counted in the output (`filtered`); unreadable files and
/// packages not checked are never hidden.
#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// Only rows at least this urgent: P0, P1, P2 or routine.
    #[arg(long, value_name = "LEVEL", help_heading = "Filters")]
    pub min_priority: Option<String>,
    /// Only these CVSS severities: critical, high, medium, low, unknown (no score)
    /// (repeatable, or comma-separated: `--severity critical,high`).
    #[arg(
        long,
        value_name = "SEVERITY",
        value_delimiter = ',',
        help_heading = "Filters"
    )]
    pub severity: Vec<String>,
    /// Only services whose name matches this glob (repeatable).
    #[arg(long = "service", value_name = "GLOB", help_heading = "Filters")]
    pub services: Vec<String>,
    /// Only this ecosystem (repeatable, or comma-separated).
    #[arg(
        long,
        value_name = "NAME",
        value_delimiter = ',',
        help_heading = "Filters"
    )]
    pub ecosystem: Vec<String>,
    /// Hide manifests matching this glob, relative to the scan root (a directory
    /// hides what is below it) (repeatable).
    #[arg(long, value_name = "PATH_GLOB", help_heading = "Filters")]
    pub exclude: Vec<String>,
    /// runtime: hide development/test dependencies (where the format says so);
    /// dev: only those; all.
    #[arg(
        long,
        value_name = "SCOPE",
        default_value = "all",
        help_heading = "Filters"
    )]
    pub scope: String,
    /// Go standard library rows by where their version comes from: all,
    /// toolchain (hide versions from `go` directives, which are only the minimum
    /// language version), directive, or none.
    #[arg(
        long,
        value_name = "SOURCE",
        default_value = "all",
        help_heading = "Filters"
    )]
    pub stdlib: String,
    /// Only the N most urgent rows (the exit status still counts the others).
    #[arg(long, value_name = "N", help_heading = "Filters")]
    pub top: Option<usize>,
}

/// `--max-db-age`: whole days.
fn parse_age(s: &str) -> Result<i64, String> {
    cverun_db::coverage::parse_max_age(s)
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub inputs: ScanInputs,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Write the report to this file (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Which findings make the exit status 1: any (vulnerabilities and unverifiable
    /// findings), informational (also RustSec warnings), P0, P1, P2, routine
    /// (findings of at least that priority), low, medium, high, critical
    /// (vulnerabilities of at least that CVSS rating, unknown severities included,
    /// plus unverifiable findings), or never. Invalid or expired exceptions fail
    /// too, unless never.
    #[arg(long, value_name = "LEVEL", default_value = "any")]
    pub fail_on: String,
    /// Also list every package of every manifest (JSON: `packages`).
    #[arg(long)]
    pub list_packages: bool,
    /// Print only the summary the table and Markdown start with (at most 12 lines).
    #[arg(long)]
    pub summary: bool,
    /// Markdown: the most bytes to write; the most urgent rows are kept and the
    /// report says how many were left out [default: 60000, under a GitHub issue
    /// body's 65,536 characters].
    #[arg(long, value_name = "BYTES")]
    pub max_bytes: Option<usize>,
}

/// `cverun verify`: the scan inputs, the baseline, what to verify.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("baseline_source").required(true).args(["baseline", "baseline_ref"])))]
pub struct VerifyArgs {
    #[command(flatten)]
    pub inputs: ScanInputs,
    /// The baseline: a report saved by `cverun scan --format json` before the change
    /// (without filters; with --list-packages to see every version change).
    #[arg(long, value_name = "REPORT.json")]
    pub baseline: Option<PathBuf>,
    /// The baseline: this git revision of each PATH's repository, scanned in a
    /// temporary worktree (the working tree and index are not touched).
    #[arg(long, value_name = "REF")]
    pub baseline_ref: Option<String>,
    /// An advisory to verify, by any id or alias (repeatable) [default: every
    /// vulnerability of the baseline]
    #[arg(long = "advisory", value_name = "ID")]
    pub advisory: Vec<String>,
    /// Also check what an installed Python environment holds (a site-packages
    /// directory or a virtual environment), as a service named NAME (default: the
    /// directory's name) (repeatable).
    #[arg(long, value_name = "[NAME=]DIR")]
    pub site_packages: Vec<String>,
    /// Verify this incident's advisory (unless --advisory is given) and record the
    /// verification in its timeline; when the advisory is gone from every affected
    /// service, the runbook's `by = "verify"` items (rescan-clean) are checked.
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    #[command(flatten)]
    pub store: crate::commands::incident::StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub output: OutputFile,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The advisory: any of its ids (GHSA, CVE, PYSEC, RUSTSEC, GO...).
    #[arg(value_name = "ADVISORY")]
    pub advisory: String,
    /// Only this service.
    #[arg(long, value_name = "NAME")]
    pub service: Option<String>,
    #[command(flatten)]
    pub inputs: ScanInputs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub output: OutputFile,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub inputs: ScanInputs,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub output: OutputFile,
    /// Print only the summary the table starts with (at most 12 lines).
    #[arg(long)]
    pub summary: bool,
    /// Print each row's decision explanation under it (always in JSON).
    #[arg(long)]
    pub explain: bool,
}

/// How commits are made on the hotfix branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CommitMode {
    /// One commit per service.
    PerService,
    /// One commit for every service of a repository.
    Single,
}

/// Which version a change moves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FixTarget {
    /// The smallest known version fixing the advisories at hand.
    Smallest,
    /// The smallest known version no known advisory affects.
    SafeFromAll,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub inputs: ScanInputs,
    /// Fix this advisory (any id or alias: CVE, GHSA, PYSEC, RUSTSEC, GO...;
    /// repeatable) [default: every vulnerability found]
    #[arg(long, value_name = "ID")]
    pub advisory: Vec<String>,
    /// Which version to move to.
    #[arg(long, value_enum, default_value_t = FixTarget::Smallest)]
    pub target: FixTarget,
    /// Print the plan and the diff without changing anything (the default).
    #[arg(long, conflicts_with = "apply")]
    pub dry_run: bool,
    /// Make the change on the hotfix branch (a separate worktree; the working tree
    /// is never touched and must be clean).
    #[arg(long)]
    pub apply: bool,
    /// The branch [default: hotfix/<cve id>, else hotfix/<advisory id>]
    #[arg(long, value_name = "NAME", requires = "apply")]
    pub branch: Option<String>,
    /// Start a new hotfix branch from this commit or branch [default: HEAD]
    #[arg(long, value_name = "REF", requires = "apply")]
    pub base: Option<String>,
    /// One commit per service, or one for all.
    #[arg(long, value_enum, default_value_t = CommitMode::PerService)]
    pub commit: CommitMode,
    /// Push the branch to this remote (never without it).
    #[arg(long, value_name = "REMOTE", requires = "apply")]
    pub push: Option<String>,
    /// Run the service's tests with this shell command in the worktree holding the
    /// change (in the service's directory).
    #[arg(long, value_name = "CMD", requires = "apply")]
    pub test: Option<String>,
    /// With --test: try one package at a time and keep only the changes whose
    /// tests pass.
    #[arg(long, requires = "test")]
    pub keep_passing: bool,
    /// Seconds a test run may take [default: 1800]
    #[arg(long, value_name = "SECONDS")]
    pub test_timeout: Option<u64>,
    /// Write the pull-request body (Markdown) to FILE.
    #[arg(long, value_name = "FILE", requires = "apply")]
    pub pr_body: Option<PathBuf>,
    /// The pull-request body template (minijinja) [default: the built-in one]
    #[arg(long, value_name = "FILE")]
    pub pr_template: Option<PathBuf>,
    /// Fix this incident's advisory (unless --advisory is given) and record each
    /// step in its timeline: the plan, the branch and commits, the tests, the
    /// re-scan.
    #[arg(long, value_name = "ID")]
    pub incident: Option<String>,
    #[command(flatten)]
    pub store: crate::commands::incident::StoreArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub output: OutputFile,
}

#[derive(Debug, Args)]
pub struct BlastArgs {
    /// An advisory by any id (GHSA, CVE, PYSEC, RUSTSEC, GO...), or
    /// ECOSYSTEM/PACKAGE (services a known advisory affects), or
    /// ECOSYSTEM/PACKAGE@VERSION (services shipping exactly that version, advisory or
    /// not: a compromised release, say).
    #[arg(value_name = "ADVISORY|ECOSYSTEM/PACKAGE[@VERSION]")]
    pub subject: String,
    #[command(flatten)]
    pub inputs: ScanInputs,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Answer from an inventory saved by `cverun inventory save` instead of scanning
    /// PATHs (policy and exceptions are read from its roots when they are on this
    /// machine, or from --policy/--exceptions).
    #[arg(long, value_name = "FILE", conflicts_with = "paths")]
    pub inventory: Option<PathBuf>,
    /// Do not read the services' source code for imports of the package.
    #[arg(long)]
    pub no_reach: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub output: OutputFile,
}

#[derive(Debug, Subcommand)]
pub enum InventoryCommand {
    /// Read every service and manifest of PATHs (as `scan` does, without matching)
    /// and save every package to FILE (SQLite, written atomically).
    Save {
        /// Directories (or single manifest files) to read [default: .]
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The inventory file to write.
        #[arg(long, short, value_name = "FILE")]
        output: PathBuf,
        /// Parser threads [default: the number of CPUs]
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// Output format of the summary.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Follow includes, parent manifests and linked manifests to files outside
        /// the roots (refused by default; see docs/input-limits.md)
        #[arg(long)]
        allow_outside_roots: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExceptionsCommand {
    /// Validate exceptions files on their own (no scan, no database): every entry's
    /// problems, expiry, review dates and durations, with file and line.
    Check {
        /// Roots whose cverun-exceptions.toml and cverun.toml to check [default: .]
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// More exceptions files (repeatable).
        #[arg(long, value_name = "FILE")]
        exceptions: Vec<PathBuf>,
        /// Policy file (for the longest exception allowed per priority).
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        output: OutputFile,
    },
}

/// Formats of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    /// A table per service for people.
    Table,
    /// JSON (schema cverun.scan/1, docs/json-output.md).
    Json,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
    /// Markdown for tickets and pull requests.
    Markdown,
}
