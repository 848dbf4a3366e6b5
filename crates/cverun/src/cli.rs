//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// cverun: which of our services ship a vulnerable dependency, and what to do now.
#[derive(Debug, Parser)]
#[command(name = "cverun", version, max_term_width = 100)]
pub struct Cli {
    /// Advisory database directory [default: $XDG_CACHE_HOME/cverun/db, else ~/.cache/cverun/db]
    #[arg(long, global = true, env = "CVERUN_DB", value_name = "DIR")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the local advisory database (import, update, status).
    #[command(subcommand)]
    Db(DbCommand),
    /// Which advisories affect one exact package version?
    Query(QueryArgs),
    /// Scan a monorepo or a directory of repositories: every service, every lockfile.
    Scan(ScanArgs),
    /// Why a vulnerability has its priority: the rule that fired and its inputs.
    Explain(ExplainArgs),
    /// What to do, per service and vulnerable package: fix version, breaking or not,
    /// the runbook's decision.
    Plan(PlanArgs),
    /// Blast radius: every service an advisory (or one package version) reaches, with
    /// owner, dependency path, priority, fix and whether its code imports the package.
    Blast(BlastArgs),
    /// Save every package of every service to one file, for instant blast queries.
    #[command(subcommand)]
    Inventory(InventoryCommand),
    /// Risk-acceptance exceptions.
    #[command(subcommand)]
    Exceptions(ExceptionsCommand),
    /// Incidents: declare, work through the runbook, keep the clocks, verify the timeline.
    Incident(crate::commands::incident::IncidentArgs),
    /// Collect and verify evidence archives for an incident.
    Evidence(crate::commands::evidence::EvidenceArgs),
    /// Reports over stored incidents (metrics).
    Report(crate::commands::metrics::ReportArgs),
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
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
}

/// `--max-db-age`: whole days.
fn parse_age(s: &str) -> Result<i64, String> {
    cverun_db::coverage::parse_max_age(s)
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub inputs: ScanInputs,
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
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub inputs: ScanInputs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print only the summary the table starts with (at most 12 lines).
    #[arg(long)]
    pub summary: bool,
    /// Print each row's decision explanation under it (always in JSON).
    #[arg(long)]
    pub explain: bool,
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
