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
//! Structure: a file with neither `[[package]]` tables nor a `version = N` header
//! is not a Cargo.lock (an error naming a misspelled key if there is one), nor is
//! one whose header is not a number or whose package lacks `name` or `version`;
//! top-level keys that misspell Cargo's are warnings; a lockfile with no package
//! besides the project's own crates says so.
//!
//! cargo-lock (the RustSec crate) was considered; it does not report positions, and
//! cverun reports every package with its line, so this module reads the TOML with
//! `toml`'s spans instead.

use std::collections::HashMap;

use cverun_versions::Ecosystem;
use serde::Deserialize;
use toml::Spanned;

use super::toml_doc::{self, Doc};
use crate::graph::Graph;
use crate::text::LineIndex;
use crate::{Input, Package, ParseError, Parsed, Pin, Source, Warning};

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
    if toml_doc::is_blank(input.text) {
        return Ok(Parsed::empty_file(input));
    }
    let mut structure = Vec::new();
    let version_line = check_structure(input, &mut structure)?;
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
    parsed.warnings.extend(structure);
    if parsed.packages.is_empty() {
        let line = lock
            .package
            .first()
            .map(|p| lines.line(p.name.span().start))
            .or(version_line);
        parsed
            .warnings
            .extend(Parsed::no_dependencies(input, line).warnings);
    }
    Ok(parsed)
}

/// The top-level keys Cargo writes.
const TOP_KEYS: &[&str] = &["version", "package", "metadata", "patch"];

/// Checks the structure that makes a file a Cargo.lock: `[[package]]` tables or a
/// `version = N` header (formats 3 and 4; a lockfile of a crate without
/// dependencies has no other package than the crate itself, and format 1 and 2
/// files have no header). Misspelled top-level keys are warnings in `warnings`.
/// Returns the line of the header.
fn check_structure(
    input: &Input<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<Option<u32>, ParseError> {
    let doc = Doc::parse(input)?;
    let keys = || doc.root.iter().map(|(k, _)| k.get_ref().as_ref());
    super::structure::warn_misspelled(
        input,
        doc.root
            .iter()
            .map(|(k, _)| (k.get_ref().as_ref(), Some(doc.line(k.span())))),
        TOP_KEYS,
        warnings,
    );
    let version_line = match toml_doc::get(&doc.root, "version") {
        None => None,
        Some(v) if v.get_ref().as_integer().is_some() => Some(doc.line_of(v)),
        Some(v) => {
            return Err(input.error(
                Some(doc.line_of(v)),
                format!(
                    "not a Cargo.lock: `version` is a {}, not a number",
                    toml_doc::type_name(v.get_ref())
                ),
            ));
        }
    };
    if version_line.is_none() && toml_doc::get(&doc.root, "package").is_none() {
        return Err(input.error(
            Some(1),
            format!(
                "not a Cargo.lock: no [[package]] and no `version`{}",
                super::structure::hint_for("package", keys())
            ),
        ));
    }
    Ok(version_line)
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
