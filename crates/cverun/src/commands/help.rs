//! `cverun completions SHELL` and `cverun man [--dir DIR]`: generated from the
//! command-line definition, so that they never drift from `--help`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;

use crate::cli::Cli;

/// Prints the completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "cverun", &mut out);
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The sections of cverun(1) that clap does not describe, in roff.
const MAN_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
.B 0
Nothing calls for action: no finding selected by \fB\-\-fail\-on\fR, no affected service.
.TP
.B 1
Something does: a finding, an unverifiable finding, a package or service that could not
be checked (never reported as clean), an invalid or expired exception, tampering found
by \fBincident verify\fR.
.TP
.B 2
A usage or input error, including a run in which some file could not be read, advisory
data older than \fB\-\-max\-db\-age\fR, or a database without advisory data.
.SH OUTPUT
Standard output holds only the report; errors, warnings and progress go to standard
error. \fB\-o\fR \fIFILE\fR writes the report to a temporary file renamed over
\fIFILE\fR. JSON is indented when standard output is a terminal and compact (one line)
when it is piped or written to a file.
.SH ENVIRONMENT
.TP
.B CVERUN_DB
The advisory database directory (as \fB\-\-db\fR).
.TP
.B CVERUN_STATE
The project state directory: incident store, runbook.toml, evidence (as \fB\-\-state\fR).
.TP
.B CVERUN_DATABASE_URL
A PostgreSQL incident store shared by a team (as \fB\-\-database\fR).
.TP
.B CVERUN_ACTOR
Who is acting, recorded in incident timelines (as \fB\-\-actor\fR).
.TP
.B CVERUN_NOW
An RFC 3339 time used as the current time (reproducible runs; marks incidents as simulated).
.TP
.B NO_COLOR
No colours in tables.
.SH FILES
.TP
.I $XDG_CACHE_HOME/cverun/db
The advisory database (else \fI~/.cache/cverun/db\fR).
.TP
.I .cverun/
The incident store (incidents.sqlite3), runbook.toml and the incident key.
.TP
.I cverun.toml, cverun\-policy.toml, cverun\-exceptions.toml
Services, the triage policy and accepted risks, at the root of a scanned tree.
.SH EXAMPLES
.nf
cverun scan examples/fleet \-\-advisories examples/advisories
cverun db update && cverun scan ~/src/monorepo
cverun plan . \-\-format json \-o plan.json
cverun blast CVE\-2021\-44228 ~/src/fleet
cverun incident declare \-\-advisory CVE\-2021\-44228 \-\-priority P0 \-\-from ~/src/fleet
.fi
.SH "SEE ALSO"
\fBcverun\-scan\fR(1), \fBcverun\-plan\fR(1), \fBcverun\-blast\fR(1),
\fBcverun\-incident\fR(1): \fBcverun man \-\-dir DIR\fR writes a page per command.
"#;

/// cverun(1): synopsis, options, commands, then exit status, output, environment,
/// files and examples.
fn render_main(w: &mut dyn Write) -> anyhow::Result<()> {
    let man = clap_mangen::Man::new(Cli::command());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    man.render_subcommands_section(w)?;
    w.write_all(MAN_SECTIONS.as_bytes())?;
    man.render_version_section(w)?;
    Ok(())
}

/// Prints cverun(1) on stdout, or writes a page per command into `dir`.
pub fn man(dir: Option<&Path>) -> anyhow::Result<ExitCode> {
    match dir {
        None => {
            let mut out = Vec::new();
            render_main(&mut out)?;
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(&out)?;
            stdout.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(Cli::command(), dir)
                .with_context(|| format!("cannot write manual pages into {}", dir.display()))?;
            crate::output::write_atomically(&dir.join("cverun.1"), |w| render_main(w))?;
            let mut pages: Vec<String> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("cverun") && n.ends_with(".1"))
                .collect();
            pages.sort();
            for p in pages {
                println!("{}", dir.join(p).display());
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
