//! `--min-priority`, `--severity`, `--service`, `--ecosystem`, `--exclude`, `--scope`,
//! `--stdlib`, `--top` (scan, plan, blast) and the standing excludes of cverun.toml,
//! compiled into one filter (docs/filters.md).

use std::path::PathBuf;

use anyhow::bail;
use cverun_scan::filter::{Compiled, Exclude, Filter, ScopeFilter, Severity, StdlibFilter};
use cverun_triage::policy::Level;

use crate::cli::FilterArgs;

/// The filter of `args` with the standing excludes of every root in `roots`.
pub fn compile(args: &FilterArgs, roots: &[PathBuf]) -> anyhow::Result<Compiled> {
    let min_priority = match &args.min_priority {
        None => None,
        Some(s) => Some(Level::parse(s).ok_or_else(|| {
            anyhow::anyhow!("--min-priority {s:?}: expected P0, P1, P2 or routine")
        })?),
    };
    let mut severities = Vec::new();
    for s in &args.severity {
        let Some(v) = Severity::parse(s) else {
            bail!("--severity {s:?}: expected critical, high, medium, low or unknown");
        };
        if !severities.contains(&v) {
            severities.push(v);
        }
    }
    severities.sort();
    let mut ecosystems = Vec::new();
    for e in &args.ecosystem {
        let e = super::parse_ecosystem(e)?;
        if !ecosystems.contains(&e) {
            ecosystems.push(e);
        }
    }
    let scope = match args.scope.to_ascii_lowercase().as_str() {
        "all" => ScopeFilter::All,
        "runtime" => ScopeFilter::Runtime,
        "dev" | "development" => ScopeFilter::Dev,
        other => bail!("--scope {other:?}: expected runtime, dev or all"),
    };
    let stdlib = match args.stdlib.to_ascii_lowercase().as_str() {
        "all" => StdlibFilter::All,
        "toolchain" => StdlibFilter::Toolchain,
        "directive" | "go-directive" => StdlibFilter::Directive,
        "none" => StdlibFilter::None,
        other => bail!("--stdlib {other:?}: expected all, toolchain, directive or none"),
    };
    let mut exclude = cverun_scan::config::standing_excludes(roots)?;
    exclude.extend(args.exclude.iter().map(|p| Exclude {
        pattern: p.clone(),
        reason: None,
        from: "--exclude".to_owned(),
        root: None,
    }));
    Ok(Filter {
        min_priority,
        severities,
        services: args.services.clone(),
        ecosystems,
        exclude,
        scope,
        stdlib,
        top: args.top,
    }
    .compile()?)
}
