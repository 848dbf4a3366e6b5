//! `cverun evidence collect | verify`: a host's state for an incident, in an
//! archive whose manifest hash is recorded in the incident's timeline.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use clap::{Args, Subcommand};
use cverun_incident::evidence::{self, CollectOptions};
use serde::Serialize;

use super::incident::{StoreArgs, incident_id, short_hash};
use super::now;
use crate::cli::Format;
use crate::output::{self, BOLD, DIM, GREEN, RED, paint};

#[derive(Debug, Args)]
pub struct EvidenceArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub command: EvidenceCommand,
}

#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Collect the dependency inventory, processes, listening sockets, host facts
    /// and logs into a .tar.gz (mode 0600) and record its manifest hash. Secrets in
    /// command lines, lockfiles and notes are masked by rule (logs are copied as
    /// they are); the manifest counts the rules that fired.
    Collect {
        /// The incident.
        #[arg(long, required = true)]
        incident: String,
        /// Logs to copy into the archive: regular files only; a symbolic link is
        /// archived as a link unless --follow-links.
        #[arg(long, value_name = "PATH", num_args = 1..)]
        logs: Vec<PathBuf>,
        /// Copy what a log that is a symbolic link points to (a regular file only).
        #[arg(long)]
        follow_links: bool,
        /// Largest log accepted, in MiB (a larger one stops the collection).
        #[arg(long, value_name = "MIB", default_value_t = evidence::DEFAULT_MAX_LOG_BYTES >> 20)]
        max_log_mib: u64,
        /// Where to look for lockfiles and manifests.
        #[arg(long, value_name = "DIR", default_value = ".")]
        root: PathBuf,
        /// A Python site-packages directory to list installed distributions of
        /// (repeatable).
        #[arg(long = "site-packages", value_name = "DIR")]
        site_packages: Vec<PathBuf>,
        /// The archive to create [default: <state>/evidence/<INCIDENT>-<time>.tar.gz]
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Check every member of an archive against its manifest, and with --incident
    /// that the manifest hash is the one recorded in the timeline (exit 1 when not).
    Verify {
        /// The archive.
        file: PathBuf,
        /// The incident whose timeline must record it.
        #[arg(long)]
        incident: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Serialize)]
struct CollectJson<'a> {
    schema: &'static str,
    incident: &'a str,
    file: String,
    manifest_sha256: &'a str,
    members: &'a [evidence::Member],
    bytes: u64,
    notes: &'a [String],
    redaction: &'a evidence::Redaction,
}

#[derive(Serialize)]
struct VerifyJson<'a> {
    schema: &'static str,
    file: String,
    valid: bool,
    manifest_sha256: Option<&'a str>,
    checked: u64,
    recorded: Option<bool>,
    problems: Vec<String>,
}

pub fn run(args: EvidenceArgs) -> anyhow::Result<ExitCode> {
    let s = &args.store;
    match args.command {
        EvidenceCommand::Collect {
            incident,
            logs,
            follow_links,
            max_log_mib,
            root,
            site_packages,
            output,
            format,
        } => {
            let id = incident_id(&incident);
            let now = now()?;
            // The incident must exist before anything is collected.
            let (mut store, _) = s.load(&id)?;
            let output = match output {
                Some(o) => o,
                None => {
                    let dir = s.state_dir().join("evidence");
                    create_private_dir(&dir)?;
                    dir.join(format!("{id}-{}.tar.gz", now.strftime("%Y%m%dT%H%M%SZ")))
                }
            };
            let opts = CollectOptions {
                incident: id.clone(),
                actor: s.acting()?,
                now,
                root,
                site_packages,
                logs,
                output,
                proc: PathBuf::from("/proc"),
                follow_links,
                max_log_bytes: max_log_mib.saturating_mul(1 << 20),
            };
            let c = evidence::collect_and_record(&mut store, &opts)?;
            if format == Format::Json {
                output::json(&CollectJson {
                    schema: "cverun.evidence/1",
                    incident: &id,
                    file: c.path.display().to_string(),
                    manifest_sha256: &c.manifest_sha256,
                    members: &c.manifest.members,
                    bytes: c.bytes,
                    notes: &c.manifest.notes,
                    redaction: &c.manifest.redaction,
                })?;
            } else {
                anstream::println!(
                    "{} {} ({} members, {} bytes) for {}",
                    paint(GREEN, "collected"),
                    paint(BOLD, c.path.display()),
                    c.manifest.members.len(),
                    c.bytes,
                    id
                );
                anstream::println!(
                    "  manifest sha256 {} (recorded in the timeline)",
                    c.manifest_sha256
                );
                for m in &c.manifest.members {
                    if let Some(target) = &m.link {
                        anstream::println!(
                            "  {} is a link to {target}, archived as a link",
                            m.path
                        );
                    }
                    if !m.redacted.is_empty() {
                        let rules: Vec<String> =
                            m.redacted.iter().map(|(r, n)| format!("{r} {n}")).collect();
                        anstream::println!("  {} redacted: {}", m.path, rules.join(", "));
                    }
                }
                for n in &c.manifest.notes {
                    anstream::println!("  {}", paint(DIM, n));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        EvidenceCommand::Verify {
            file,
            incident,
            format,
        } => {
            let check = evidence::verify(&file)?;
            let mut problems = check.problems.clone();
            let recorded = match incident.as_deref().map(incident_id) {
                None => None,
                Some(id) => {
                    let (_, loaded) = s.load(&id)?;
                    let inc = loaded.state.as_ref().map_err(|e| anyhow::anyhow!("{e}"))?;
                    if !loaded.problems.is_empty() {
                        problems.push(format!(
                            "the timeline of {id} fails verification (see `cverun incident verify {id}`)"
                        ));
                    }
                    let found = check
                        .manifest_sha256
                        .as_deref()
                        .is_some_and(|h| inc.evidence.iter().any(|e| e.manifest_sha256 == h));
                    if !found {
                        problems.push(format!(
                            "the manifest sha256 {} is not recorded in the timeline of {id}",
                            check.manifest_sha256.as_deref().unwrap_or("(none)")
                        ));
                    }
                    if let Some(m) = &check.manifest
                        && m.incident != id
                    {
                        problems.push(format!(
                            "the manifest names incident {}, not {id}",
                            m.incident
                        ));
                    }
                    Some(found)
                }
            };
            let valid = problems.is_empty();
            if format == Format::Json {
                output::json(&VerifyJson {
                    schema: "cverun.evidence-verify/1",
                    file: file.display().to_string(),
                    valid,
                    manifest_sha256: check.manifest_sha256.as_deref(),
                    checked: check.checked,
                    recorded,
                    problems,
                })?;
            } else if valid {
                anstream::println!(
                    "{} {}: {} members match the manifest (sha256 {}){}",
                    paint(GREEN, "ok"),
                    file.display(),
                    check.checked,
                    check
                        .manifest_sha256
                        .as_deref()
                        .map(short_hash)
                        .unwrap_or_default(),
                    if recorded == Some(true) {
                        ", recorded in the timeline"
                    } else {
                        ""
                    }
                );
            } else {
                anstream::println!("{} {}", paint(RED, "FAILED"), file.display());
                for p in &problems {
                    anstream::println!("  {p}");
                }
            }
            Ok(if valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// Creates `dir` (and parents) readable only by its owner when it is new.
fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    if let Err(e) = b.create(dir) {
        bail!("cannot create {}: {e}", dir.display());
    }
    Ok(())
}
