//! `pyproject.toml` and `Pipfile`: the requirement strings of a package, edited
//! inside their quotes.
//!
//! `pyproject.toml` tables rewritten:
//! - PEP 508 lists: `[project] dependencies`, `[project.optional-dependencies]`,
//!   `[dependency-groups]` (PEP 735), `[tool.uv] dev-dependencies`,
//!   `constraint-dependencies` and `override-dependencies`,
//!   `[tool.pdm.dev-dependencies]`: the specifier part of the string
//!   (`"requests[socks]>=2.0; python_version<'3.8'"` keeps its extras and markers);
//! - Poetry: `[tool.poetry.dependencies]`, `[tool.poetry.dev-dependencies]`,
//!   `[tool.poetry.group.<name>.dependencies]`, as a string (`"^2.27"`), a table's
//!   `version`, or each entry of an array of tables (constraints per Python
//!   version), read with Poetry's own syntax (`^`, `~`, bare exact versions).
//!
//! `Pipfile`: every package category (`[packages]`, `[dev-packages]`, others),
//! as a string (`"==1.2"`) or a table's `version`. `"*"` has no version to raise.
//!
//! Names match under PEP 503. Direct references (`name @ url`, Poetry and Pipfile
//! `git`/`path`/`url`/`file` tables) are refused: they are changed by hand.

use cverun_versions::{Ecosystem, normalize_name};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::requirements::pep508;
use super::spec::Syntax;
use super::toml_sites::{self, string_span, table};
use super::{Edit, File, Site, raise_and_finish};
use crate::{Bump, Refusal};

/// Rewrites a `pyproject.toml`.
pub(crate) fn rewrite(file: &File<'_>, bump: &Bump) -> Result<Option<Edit>, Refusal> {
    let (root, base) = toml_sites::parse(file)?;
    let want = normalize_name(&Ecosystem::PyPI, &bump.name).into_owned();
    let mut sites = Vec::new();
    let mut lists: Vec<&Spanned<DeValue<'_>>> = Vec::new();
    if let Some(project) = table(&root, "project") {
        lists.extend(project.get("dependencies"));
        if let Some(opt) = table(project, "optional-dependencies") {
            lists.extend(opt.values());
        }
    }
    if let Some(groups) = table(&root, "dependency-groups") {
        lists.extend(groups.values());
    }
    let tool = table(&root, "tool");
    if let Some(uv) = tool.and_then(|t| table(t, "uv")) {
        for key in [
            "dev-dependencies",
            "constraint-dependencies",
            "override-dependencies",
        ] {
            lists.extend(uv.get(key));
        }
    }
    if let Some(pdm_dev) = tool
        .and_then(|t| table(t, "pdm"))
        .and_then(|p| table(p, "dev-dependencies"))
    {
        lists.extend(pdm_dev.values());
    }
    for list in lists {
        let Some(items) = list.get_ref().as_array() else {
            continue;
        };
        for item in items.iter() {
            pep508_site(file, base, item, &want, bump, &mut sites)?;
        }
    }
    if let Some(poetry) = tool.and_then(|t| table(t, "poetry")) {
        let mut tables: Vec<&DeTable<'_>> = Vec::new();
        tables.extend(table(poetry, "dependencies"));
        tables.extend(table(poetry, "dev-dependencies"));
        if let Some(groups) = table(poetry, "group") {
            for group in groups.values() {
                if let Some(deps) = group
                    .get_ref()
                    .as_table()
                    .and_then(|g| table(g, "dependencies"))
                {
                    tables.push(deps);
                }
            }
        }
        for deps in tables {
            keyed_sites(file, base, deps, &want, bump, Syntax::Poetry, &mut sites)?;
        }
    }
    raise_and_finish(file, bump, &sites)
}

/// Rewrites a `Pipfile`.
pub(crate) fn rewrite_pipfile(file: &File<'_>, bump: &Bump) -> Result<Option<Edit>, Refusal> {
    let (root, base) = toml_sites::parse(file)?;
    let want = normalize_name(&Ecosystem::PyPI, &bump.name).into_owned();
    let mut sites = Vec::new();
    for (key, value) in root.iter() {
        if matches!(
            key.get_ref().as_ref(),
            "source" | "requires" | "scripts" | "pipenv"
        ) {
            continue;
        }
        if let Some(deps) = value.get_ref().as_table() {
            keyed_sites(file, base, deps, &want, bump, Syntax::Pep440, &mut sites)?;
        }
    }
    raise_and_finish(file, bump, &sites)
}

/// A PEP 508 string of a list, when it names the package.
fn pep508_site(
    file: &File<'_>,
    base: usize,
    item: &Spanned<DeValue<'_>>,
    want: &str,
    bump: &Bump,
    sites: &mut Vec<Site>,
) -> Result<(), Refusal> {
    let Some(text) = item.get_ref().as_str() else {
        return Ok(());
    };
    let Some(req) = pep508(text) else {
        return Ok(());
    };
    if normalize_name(&Ecosystem::PyPI, &text[req.name.clone()]) != want {
        return Ok(());
    }
    let line = toml_sites::line_of(file, base, item);
    if req.url {
        return Err(direct_reference(file, line, bump));
    }
    let Some(inner) = string_span(file, base, item)? else {
        return Ok(());
    };
    sites.push(Site {
        span: inner.start + req.spec.start..inner.start + req.spec.end,
        syntax: Syntax::Pep440,
        label: text[req.name].to_owned(),
    });
    Ok(())
}

/// Declarations keyed by name (Poetry, Pipfile): a string, a table's `version`,
/// or the tables of an array.
fn keyed_sites(
    file: &File<'_>,
    base: usize,
    deps: &DeTable<'_>,
    want: &str,
    bump: &Bump,
    syntax: Syntax,
    sites: &mut Vec<Site>,
) -> Result<(), Refusal> {
    for (key, value) in deps.iter() {
        let name = key.get_ref().as_ref();
        if normalize_name(&Ecosystem::PyPI, name) != want {
            continue;
        }
        let entries: Vec<&Spanned<DeValue<'_>>> = match value.get_ref() {
            DeValue::Array(items) => items.iter().collect(),
            _ => vec![value],
        };
        for entry in entries {
            let line = toml_sites::line_of(file, base, entry);
            let version = match entry.get_ref() {
                DeValue::String(_) => Some(entry),
                DeValue::Table(t) => {
                    let v = t.get("version");
                    if v.is_none()
                        && ["git", "path", "url", "file"]
                            .iter()
                            .any(|k| t.get(*k).is_some())
                    {
                        return Err(direct_reference(file, line, bump));
                    }
                    v
                }
                _ => None,
            };
            let Some(version) = version else { continue };
            if let Some(span) = string_span(file, base, version)? {
                sites.push(Site {
                    span,
                    syntax,
                    label: name.to_owned(),
                });
            }
        }
    }
    Ok(())
}

fn direct_reference(file: &File<'_>, line: u32, bump: &Bump) -> Refusal {
    Refusal::with_manual(
        format!(
            "{}: {} is declared from a URL, git or a path, not a version",
            file.at(line),
            bump.name
        ),
        format!(
            "change the reference at {} to one of {} {}",
            file.at(line),
            bump.name,
            bump.to
        ),
    )
}

#[cfg(test)]
mod tests;
