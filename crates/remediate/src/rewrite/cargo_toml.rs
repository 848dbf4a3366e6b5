//! `Cargo.toml`: the version requirement of a crate, edited inside its quotes.
//!
//! Tables: `[dependencies]`, `[dev-dependencies]`, `[build-dependencies]` (and
//! the legacy `_` spellings), the same under `[target.'<cfg>']`, and
//! `[workspace.dependencies]`. A dependency is `name = "1.2"`, or a table with
//! `version` (`name = { version = "1.2", features = [...] }`, `[dependencies.name]`),
//! or a renamed one (`alias = { package = "name", version = "1.2" }`); names
//! compare as crates.io does (`-` and `_` alike).
//!
//! Cargo's bare requirement is a caret requirement: `"1.2"` becomes `"1.2.4"`
//! (still `^`), `"=1.2.3"` becomes `"=1.2.4"`.
//!
//! Refused: `workspace = true` (the requirement lives in the workspace root's
//! `[workspace.dependencies]`, which is the file to rewrite), and `git` or `path`
//! dependencies without a version (a reference to change by hand).

use cverun_versions::{Ecosystem, normalize_name};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::spec::Syntax;
use super::toml_sites::{self, string_span, table};
use super::{Edit, File, Site, raise_and_finish};
use crate::{Bump, Refusal};

/// Dependency tables.
const SECTIONS: [&str; 5] = [
    "dependencies",
    "dev-dependencies",
    "dev_dependencies",
    "build-dependencies",
    "build_dependencies",
];

/// Rewrites a `Cargo.toml`.
pub(crate) fn rewrite(file: &File<'_>, bump: &Bump) -> Result<Option<Edit>, Refusal> {
    let (root, base) = toml_sites::parse(file)?;
    let want = normalize_name(&Ecosystem::CratesIo, &bump.name).into_owned();
    let mut tables: Vec<&DeTable<'_>> = Vec::new();
    add_sections(&root, &mut tables);
    if let Some(targets) = table(&root, "target") {
        for target in targets.values() {
            if let Some(t) = target.get_ref().as_table() {
                add_sections(t, &mut tables);
            }
        }
    }
    if let Some(deps) = table(&root, "workspace").and_then(|w| table(w, "dependencies")) {
        tables.push(deps);
    }
    let mut sites = Vec::new();
    for deps in tables {
        for (key, value) in deps.iter() {
            dependency(file, base, key.get_ref(), value, &want, bump, &mut sites)?;
        }
    }
    raise_and_finish(file, bump, &sites)
}

/// The dependency tables of `t`.
fn add_sections<'a, 'i>(t: &'a DeTable<'i>, tables: &mut Vec<&'a DeTable<'i>>) {
    for s in SECTIONS {
        if let Some(deps) = table(t, s) {
            tables.push(deps);
        }
    }
}

fn dependency(
    file: &File<'_>,
    base: usize,
    key: &str,
    value: &Spanned<DeValue<'_>>,
    want: &str,
    bump: &Bump,
    sites: &mut Vec<Site>,
) -> Result<(), Refusal> {
    let line = toml_sites::line_of(file, base, value);
    match value.get_ref() {
        DeValue::String(_) if normalize_name(&Ecosystem::CratesIo, key) == want => {
            if let Some(span) = string_span(file, base, value)? {
                sites.push(Site {
                    span,
                    syntax: Syntax::Cargo,
                    label: key.to_owned(),
                });
            }
        }
        DeValue::Table(t) => {
            let real = t
                .get("package")
                .and_then(|p| p.get_ref().as_str())
                .unwrap_or(key);
            if normalize_name(&Ecosystem::CratesIo, real) != want {
                return Ok(());
            }
            let label = if real == key {
                key.to_owned()
            } else {
                format!("{key} (package {real})")
            };
            if t.get("workspace").and_then(|w| w.get_ref().as_bool()) == Some(true) {
                return Err(Refusal::with_manual(
                    format!(
                        "{}: {label} is inherited from the workspace (workspace = true)",
                        file.at(line)
                    ),
                    format!(
                        "edit [workspace.dependencies] {real} in the workspace root's Cargo.toml so that it requires {}",
                        bump.to
                    ),
                ));
            }
            match t.get("version") {
                Some(v) => {
                    if let Some(span) = string_span(file, base, v)? {
                        sites.push(Site {
                            span,
                            syntax: Syntax::Cargo,
                            label,
                        });
                    }
                }
                None if t.get("git").is_some() || t.get("path").is_some() => {
                    return Err(Refusal::with_manual(
                        format!(
                            "{}: {label} comes from git or a path, not a version",
                            file.at(line)
                        ),
                        format!(
                            "change the git revision or path of {label} at {} to {} {}",
                            file.at(line),
                            real,
                            bump.to
                        ),
                    ));
                }
                None => {}
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests;
