//! Rust `Cargo.lock` files, format versions 1 to 4.
//!
//! Every `[[package]]` is a package of the build, with its exact version. Sources:
//! - `registry+https://github.com/rust-lang/crates.io-index` and
//!   `sparse+https://index.crates.io/`: crates.io, matchable;
//! - any other registry: [`Source::OtherRegistry`] (its crates are not crates.io's,
//!   so they are listed but not matched, as cargo-audit does);
//! - `git+url?branch=x#commit`: [`Source::Git`], listed, not matched;
//! - no source: a crate of the project (workspace member or path dependency).
//!
//! Crates of the project that nothing depends on are the project itself: they are
//! the roots, not packages. Their dependencies are the direct dependencies, and the
//! `dependencies` arrays give the graph and the paths. A path dependency that a root
//! depends on is listed with a [`Source::Path`] source.
//!
//! Dependency entries name a package as `name`, `name version` or
//! `name version (source)` (format 1 always writes all three); an entry naming no
//! package of the file is a warning.
//!
//! cargo-lock (the RustSec crate) was considered; it does not report positions, and
//! cverun reports every package with its line, so this module reads the TOML with
//! `toml`'s spans instead.

use std::collections::HashMap;

use cverun_versions::Ecosystem;
use serde::Deserialize;
use toml::Spanned;

use crate::graph::Graph;
use crate::text::LineIndex;
use crate::{Input, Package, ParseError, Parsed, Pin, Source};

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: Spanned<String>,
    version: String,
    source: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// Parses a Cargo.lock file.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let lines = LineIndex::new(input.text);
    let lock: Lock = toml::from_str(input.text).map_err(|e| {
        let line = e.span().map(|s| lines.line(s.start));
        input.error(
            line,
            format!("not a valid Cargo.lock: {}", e.message().trim()),
        )
    })?;
    let mut parsed = Parsed::default();

    // Index packages by name for resolving dependency entries.
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in lock.package.iter().enumerate() {
        by_name
            .entry(p.name.get_ref().as_str())
            .or_default()
            .push(i);
    }
    let mut graph = Graph::new(lock.package.len());
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); lock.package.len()];
    let mut depended_on = vec![false; lock.package.len()];
    for (i, p) in lock.package.iter().enumerate() {
        for dep in &p.dependencies {
            match resolve(&lock.package, &by_name, dep) {
                Some(j) => {
                    graph.add_edge(i, j);
                    deps[i].push(j);
                    depended_on[j] = true;
                }
                None => parsed.warnings.push(input.warning(
                    Some(lines.line(p.name.span().start)),
                    format!(
                        "dependency {dep:?} of {} names no package of this file",
                        p.name.get_ref()
                    ),
                )),
            }
        }
    }
    let roots: Vec<usize> = (0..lock.package.len())
        .filter(|&i| lock.package[i].source.is_none() && !depended_on[i])
        .collect();

    let mut packages: Vec<Package> = lock
        .package
        .iter()
        .map(|p| {
            let mut pkg = Package::new(
                Ecosystem::CratesIo,
                p.name.get_ref(),
                Pin::Exact(p.version.clone()),
            );
            pkg.source = source(p.source.as_deref());
            pkg.line = Some(lines.line(p.name.span().start));
            pkg
        })
        .collect();
    let mut direct: Vec<usize> = Vec::new();
    for &r in &roots {
        for &j in &deps[r] {
            if !direct.contains(&j) {
                direct.push(j);
            }
        }
    }
    graph.annotate(&direct, &mut packages);
    parsed.packages = packages
        .into_iter()
        .enumerate()
        .filter(|(i, _)| !roots.contains(i))
        .map(|(_, p)| p)
        .collect();
    Ok(parsed)
}

/// Resolves `name`, `name version` or `name version (source)` to a package index.
fn resolve(
    packages: &[LockPackage],
    by_name: &HashMap<&str, Vec<usize>>,
    entry: &str,
) -> Option<usize> {
    let mut words = entry.splitn(3, ' ');
    let name = words.next()?;
    let version = words.next();
    let source = words
        .next()
        .map(|s| s.trim_start_matches('(').trim_end_matches(')'));
    let candidates = by_name.get(name)?;
    let matching: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|&i| version.is_none_or(|v| packages[i].version == v))
        .filter(|&i| source.is_none_or(|s| packages[i].source.as_deref() == Some(s)))
        .collect();
    match matching.as_slice() {
        [one] => Some(*one),
        // Same name and version from several sources with no source given: take the
        // first (Cargo writes the source whenever it is ambiguous).
        [first, ..] => Some(*first),
        [] => None,
    }
}

fn source(s: Option<&str>) -> Source {
    let Some(s) = s else {
        return Source::Path(String::from("(project)"));
    };
    if s == "registry+https://github.com/rust-lang/crates.io-index"
        || s.starts_with("sparse+https://index.crates.io")
    {
        return Source::Registry;
    }
    if let Some(git) = s.strip_prefix("git+") {
        let (url, rev) = match git.split_once('#') {
            Some((u, r)) => (u, Some(r.to_owned())),
            None => (git, None),
        };
        return Source::Git {
            url: url.split('?').next().unwrap_or(url).to_owned(),
            rev,
        };
    }
    if let Some(p) = s.strip_prefix("path+") {
        return Source::Path(p.to_owned());
    }
    let url = s
        .strip_prefix("registry+")
        .or_else(|| s.strip_prefix("sparse+"))
        .unwrap_or(s);
    Source::OtherRegistry(url.to_owned())
}

#[cfg(test)]
mod tests;
