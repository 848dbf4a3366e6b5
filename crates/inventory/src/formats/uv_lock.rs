//! uv's `uv.lock` (TOML, `version = 1`, any `revision`).
//!
//! Each `[[package]]` has `name`, `version` (absent for source trees with a
//! dynamic version), `source` (an inline table: `registry`, `git`, `url`, `path`,
//! `directory`, `editable` or `virtual`), `dependencies = [{ name, version?,
//! source?, marker?, extra? }]`, `[package.optional-dependencies]` (extra → list)
//! and `[package.dev-dependencies]` (dependency group → list); the project's own
//! entry also carries `[package.metadata]` with `requires-dist` and `requires-dev`
//! (what the project asked for, by name and specifier).
//!
//! - The project is not a dependency: the entry whose source is
//!   `{ editable = "." }` or `{ virtual = "." }`, and every workspace member named
//!   in `[manifest] members`, are left out. Their `dependencies` are the direct
//!   runtime dependencies, their `optional-dependencies` direct optional ones,
//!   their `dev-dependencies` direct development ones (`requires-dist` and
//!   `requires-dev` add names the resolved lists lack). Other editable, virtual,
//!   directory and path packages (local path dependencies) are listed with
//!   [`Source::Path`]: they are not matchable, but they are installed.
//! - Graph: every listed package's `dependencies`, `optional-dependencies` and
//!   `dev-dependencies` link it to the locked packages of that name (of that
//!   version, when the reference gives one). Relations come from
//!   `graph::Graph::annotate`; a lock without a project entry falls back to "what
//!   nothing depends on is direct" (see `python::relate`).
//! - Scope: what a runtime dependency of the project reaches is
//!   [`Scope::Runtime`]; else what an optional one reaches [`Scope::Optional`];
//!   else what a development one reaches [`Scope::Development`]; the rest
//!   [`Scope::Unknown`].
//! - Source: `registry` is the registry (any index URL: uv only records the index
//!   it resolved from, usually PyPI or a mirror of it), `git = "url?rev#commit"` is
//!   [`Source::Git`] at the commit, `url` is [`Source::Url`], the local kinds are
//!   [`Source::Path`]. A missing or unknown source is treated as the registry with
//!   a warning (so the package is still matched).
//! - Pins: `version` is exact; without one the package is unpinned (a warning when
//!   it comes from a registry, where a version is required).
//! - A `[[package]]` without a name is a warning and not included; a dependency
//!   naming a package the lock lacks is a warning. Invalid TOML, a `package` that
//!   is not an array of tables, or a document without a `version = N` header is an
//!   error. Top-level keys that misspell uv's are warnings; a lock with no package
//!   besides the project says so.

use std::collections::HashSet;

use cverun_versions::Ecosystem;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::python::{by_name, finish, norm, requirement_name};
use super::toml_doc::{self, Doc, get_str};
use crate::{Input, Package, ParseError, Parsed, Pin, Scope, Source, Warning};

/// A reference from one entry to another.
struct DepRef {
    name: String,
    version: Option<String>,
    line: u32,
}

/// One `[[package]]`, read.
struct Entry {
    package: Package,
    is_project: bool,
    deps: Vec<DepRef>,
    optional: Vec<DepRef>,
    dev: Vec<DepRef>,
    /// Names from `[package.metadata]`: (name, scope).
    requested: Vec<(String, Scope)>,
}

/// Parses a `uv.lock`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    if toml_doc::is_blank(input.text) {
        return Ok(Parsed::empty_file(input));
    }
    let doc = Doc::parse(input)?;
    if doc.root.is_empty() {
        return Ok(Parsed::empty_file(input));
    }
    let mut warnings = Vec::new();
    let version_line = check_structure(input, &doc, &mut warnings)?;
    let Some(list) = toml_doc::get(&doc.root, "package") else {
        warnings.extend(Parsed::no_dependencies(input, Some(version_line)).warnings);
        return Ok(Parsed {
            warnings,
            ..Parsed::default()
        });
    };
    let Some(array) = list.get_ref().as_array() else {
        return Err(input.error(
            Some(doc.line_of(list)),
            format!(
                "`package` must be an array of tables ([[package]]), found {}",
                toml_doc::type_name(list.get_ref())
            ),
        ));
    };
    let members: HashSet<String> = toml_doc::get_table(&doc.root, "manifest")
        .map(|m| {
            toml_doc::get_strings(m, "members")
                .into_iter()
                .map(norm)
                .collect()
        })
        .unwrap_or_default();
    let mut entries = Vec::new();
    for item in array.iter() {
        let line = doc.line_of(item);
        let Some(table) = item.get_ref().as_table() else {
            warnings
                .push(input.warning(Some(line), "[[package]] entry is not a table; not included"));
            continue;
        };
        if let Some(e) = entry(input, &doc, table, line, &members, &mut warnings) {
            entries.push(e);
        }
    }
    // Listed packages: every entry but the project(s).
    let listed: Vec<&Entry> = entries.iter().filter(|e| !e.is_project).collect();
    let packages: Vec<Package> = listed.iter().map(|e| e.package.clone()).collect();
    let by = by_name(&packages);
    let resolve = |r: &DepRef, from: &str, warnings: &mut Vec<Warning>| -> Vec<usize> {
        let Some(candidates) = by.get(r.name.as_str()) else {
            if !entries
                .iter()
                .any(|e| e.is_project && e.package.name == r.name)
            {
                warnings.push(input.warning(
                    Some(r.line),
                    format!(
                        "{from} depends on {}, which the lockfile does not list",
                        r.name
                    ),
                ));
            }
            return Vec::new();
        };
        let exact: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| {
                r.version.is_some()
                    && packages.get(i).and_then(Package::exact_version) == r.version.as_deref()
            })
            .collect();
        if exact.is_empty() {
            candidates.clone()
        } else {
            exact
        }
    };
    let mut edges: Vec<Vec<usize>> = Vec::with_capacity(listed.len());
    for e in &listed {
        let mut out = Vec::new();
        for r in e.deps.iter().chain(&e.optional).chain(&e.dev) {
            out.extend(resolve(r, &e.package.name, &mut warnings));
        }
        edges.push(out);
    }
    let mut seeds: Vec<(usize, Scope)> = Vec::new();
    for e in entries.iter().filter(|e| e.is_project) {
        let groups = [
            (&e.deps, Scope::Runtime),
            (&e.optional, Scope::Optional),
            (&e.dev, Scope::Development),
        ];
        for (refs, scope) in groups {
            for r in refs {
                seeds.extend(
                    resolve(r, &e.package.name, &mut warnings)
                        .into_iter()
                        .map(|i| (i, scope)),
                );
            }
        }
        for (name, scope) in &e.requested {
            if !seeds
                .iter()
                .any(|(i, _)| packages.get(*i).is_some_and(|p| p.name == *name))
            {
                seeds.extend(
                    by.get(name.as_str())
                        .into_iter()
                        .flatten()
                        .map(|&i| (i, *scope)),
                );
            }
        }
    }
    let mut parsed = finish(packages, &edges, &seeds, warnings);
    if parsed.packages.is_empty() {
        let empty = Parsed::no_dependencies(input, Some(doc.line_of(list)));
        parsed.warnings.extend(empty.warnings);
    }
    Ok(parsed)
}

/// The top-level keys uv writes.
const TOP_KEYS: &[&str] = &[
    "version",
    "revision",
    "requires-python",
    "resolution-markers",
    "supported-markers",
    "required-markers",
    "conflicts",
    "options",
    "manifest",
    "package",
];

/// Checks the structure that makes a file a uv.lock: a `version = N` header (uv
/// always writes one). Misspelled top-level keys are warnings. Returns the
/// header's line.
fn check_structure(
    input: &Input<'_>,
    doc: &Doc<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<u32, ParseError> {
    super::structure::warn_misspelled(
        input,
        doc.root
            .iter()
            .map(|(k, _)| (k.get_ref().as_ref(), Some(doc.line(k.span())))),
        TOP_KEYS,
        warnings,
    );
    match toml_doc::get(&doc.root, "version") {
        Some(v) if v.get_ref().as_integer().is_some() => Ok(doc.line_of(v)),
        Some(v) => Err(input.error(
            Some(doc.line_of(v)),
            format!(
                "not a uv.lock: `version` is a {}, not a number",
                toml_doc::type_name(v.get_ref())
            ),
        )),
        None => Err(input.error(
            Some(1),
            format!(
                "not a uv.lock: no `version = N` header{}",
                super::structure::hint_for(
                    "version",
                    doc.root.iter().map(|(k, _)| k.get_ref().as_ref())
                )
            ),
        )),
    }
}

/// Reads one `[[package]]` table.
fn entry(
    input: &Input<'_>,
    doc: &Doc<'_>,
    t: &DeTable<'_>,
    line: u32,
    members: &HashSet<String>,
    warnings: &mut Vec<Warning>,
) -> Option<Entry> {
    let Some(name) = get_str(t, "name") else {
        warnings.push(input.warning(Some(line), "[[package]] without a name; not included"));
        return None;
    };
    let (source, is_root) = source(input, t, name, line, warnings);
    let is_project = is_root || members.contains(&norm(name));
    let pin = match get_str(t, "version") {
        Some(v) if !v.trim().is_empty() => Pin::Exact(v.trim().to_owned()),
        _ => {
            if source == Source::Registry {
                warnings.push(
                    input.warning(Some(line), format!("{name} has no version; kept unpinned")),
                );
            }
            Pin::Unpinned {
                specifier: String::new(),
            }
        }
    };
    let mut package = Package::new(Ecosystem::PyPI, name, pin).at_line(line);
    package.source = source;
    let mut requested = Vec::new();
    if let Some(meta) = toml_doc::get_table(t, "metadata") {
        for item in toml_doc::get_array(meta, "requires-dist")
            .into_iter()
            .flat_map(|a| a.iter())
        {
            if let Some(r) = item.get_ref().as_table() {
                if let Some(n) = get_str(r, "name") {
                    let extra = get_str(r, "marker").is_some_and(|m| m.contains("extra"));
                    requested.push((
                        norm(n),
                        if extra {
                            Scope::Optional
                        } else {
                            Scope::Runtime
                        },
                    ));
                }
            }
        }
        if let Some(groups) = toml_doc::get_table(meta, "requires-dev") {
            for (_, list) in groups.iter() {
                for item in list.get_ref().as_array().into_iter().flat_map(|a| a.iter()) {
                    let n = match item.get_ref() {
                        DeValue::Table(r) => get_str(r, "name").map(norm),
                        DeValue::String(s) => requirement_name(s).map(norm),
                        _ => None,
                    };
                    requested.extend(n.map(|n| (n, Scope::Development)));
                }
            }
        }
    }
    let group_refs = |key: &str, warnings: &mut Vec<Warning>| -> Vec<DepRef> {
        toml_doc::get_table(t, key)
            .map(|g| {
                g.iter()
                    .flat_map(|(_, list)| refs(input, doc, list, name, warnings))
                    .collect()
            })
            .unwrap_or_default()
    };
    let optional = group_refs("optional-dependencies", warnings);
    let dev = group_refs("dev-dependencies", warnings);
    let deps = t
        .get("dependencies")
        .map(|list| refs(input, doc, list, name, warnings))
        .unwrap_or_default();
    Some(Entry {
        package,
        is_project,
        deps,
        optional,
        dev,
        requested,
    })
}

/// The references of a dependency list (`[{ name = "x" }, ...]`).
fn refs(
    input: &Input<'_>,
    doc: &Doc<'_>,
    list: &Spanned<DeValue<'_>>,
    from: &str,
    warnings: &mut Vec<Warning>,
) -> Vec<DepRef> {
    let Some(items) = list.get_ref().as_array() else {
        warnings.push(input.warning(
            Some(doc.line_of(list)),
            format!("dependencies of {from} are not a list; ignored"),
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items.iter() {
        match item
            .get_ref()
            .as_table()
            .and_then(|r| Some((r, get_str(r, "name")?)))
        {
            Some((r, name)) => out.push(DepRef {
                name: norm(name),
                version: get_str(r, "version").map(str::to_owned),
                line: doc.line_of(item),
            }),
            None => warnings.push(input.warning(
                Some(doc.line_of(item)),
                format!("a dependency of {from} has no name; ignored"),
            )),
        }
    }
    out
}

/// The source of a package, and whether it is the project at the lock's root.
fn source(
    input: &Input<'_>,
    t: &DeTable<'_>,
    name: &str,
    line: u32,
    warnings: &mut Vec<Warning>,
) -> (Source, bool) {
    let Some(s) = toml_doc::get_table(t, "source") else {
        warnings.push(input.warning(
            Some(line),
            format!("{name} has no source; treated as the registry"),
        ));
        return (Source::Registry, false);
    };
    if get_str(s, "registry").is_some() {
        return (Source::Registry, false);
    }
    if let Some(git) = get_str(s, "git") {
        return (git_source(git), false);
    }
    if let Some(url) = get_str(s, "url") {
        return (Source::Url(url.to_owned()), false);
    }
    for key in ["editable", "virtual"] {
        if let Some(path) = get_str(s, key) {
            let root = matches!(path.trim_end_matches('/'), "." | "");
            return (Source::Path(path.to_owned()), root);
        }
    }
    for key in ["directory", "path"] {
        if let Some(path) = get_str(s, key) {
            return (Source::Path(path.to_owned()), false);
        }
    }
    warnings.push(input.warning(
        Some(line),
        format!("{name} has an unknown source; treated as the registry"),
    ));
    (Source::Registry, false)
}

/// `https://host/repo?rev=main#<commit>` → URL and commit (or the requested revision).
fn git_source(spec: &str) -> Source {
    let (base, commit) = match spec.split_once('#') {
        Some((b, c)) => (b, Some(c).filter(|c| !c.is_empty())),
        None => (spec, None),
    };
    let (url, query) = match base.split_once('?') {
        Some((u, q)) => (u, Some(q)),
        None => (base, None),
    };
    let requested = query.and_then(|q| {
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            matches!(k, "rev" | "tag" | "branch").then_some(v)
        })
    });
    Source::Git {
        url: url.to_owned(),
        rev: commit.or(requested).map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileKind;
    use crate::Relation;
    use crate::formats::toml_doc::testing::{fixture_files, flipped};
    use crate::testutil::{Expect, check_fixtures, get, never_panics, parse_str};

    const KIND: FileKind = FileKind::UvLock;

    fn ok(text: &str) -> Parsed {
        parse_str(KIND, "uv.lock", text).expect("parses")
    }

    fn messages(p: &Parsed) -> Vec<(Option<u32>, String)> {
        p.warnings
            .iter()
            .map(|w| (w.line, w.message.clone()))
            .collect()
    }

    /// Malformations that used to parse to zero packages without a word.
    #[test]
    fn structure() {
        let err = |t: &str| parse_str(KIND, "uv.lock", t).unwrap_err();
        // `[[pakage]]`: not read, and the warnings say why.
        let p = ok("version = 1\nrevision = 2\n\n[[pakage]]\nname = \"a\"\nversion = \"1.0.0\"\n");
        assert!(p.packages.is_empty());
        assert_eq!(
            messages(&p),
            [
                (
                    Some(4),
                    "unknown key \"pakage\" (did you mean \"package\"?)".to_owned()
                ),
                (Some(1), "empty: no dependencies declared".to_owned()),
            ]
        );
        // A header only, and a project with no dependency: said so.
        assert_eq!(
            messages(&ok("version = 1\n")),
            [(Some(1), "empty: no dependencies declared".to_owned())]
        );
        let p = ok(
            "version = 1\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n",
        );
        assert_eq!(
            messages(&p),
            [(Some(3), "empty: no dependencies declared".to_owned())]
        );
        // No header, a misspelled one, one that is not a number.
        let e = err("[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n");
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("no `version = N` header"), "{e}");
        let e = err("verison = 1\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n");
        assert!(
            e.message
                .ends_with("found \"verison\" (did you mean \"version\"?)"),
            "{e}"
        );
        let e = err("\nversion = \"1\"\n");
        assert_eq!(e.line, Some(2));
        // A misspelled key beside readable packages: one warning at its line.
        let p = ok(
            "version = 1\nrequires-pyton = \">=3.8\"\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n",
        );
        assert_eq!(p.packages.len(), 1);
        assert_eq!(
            messages(&p),
            [(
                Some(2),
                "unknown key \"requires-pyton\" (did you mean \"requires-python\"?)".to_owned()
            )]
        );
    }

    const SAMPLE: &str = r#"version = 1
revision = 2
requires-python = ">=3.11"

[manifest]
members = ["app", "core"]

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "core" },
    { name = "flask" },
]

[package.optional-dependencies]
cache = [{ name = "redis" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[package.metadata]
requires-dist = [{ name = "flask", specifier = ">=3" }, { name = "redis", marker = "extra == 'cache'" }]

[package.metadata.requires-dev]
dev = [{ name = "pytest" }]

[[package]]
name = "core"
version = "0.1.0"
source = { editable = "packages/core" }
dependencies = [{ name = "numpy", version = "2.0.0" }]

[[package]]
name = "flask"
version = "3.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "werkzeug" }]

[[package]]
name = "werkzeug"
version = "3.0.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "redis"
version = "5.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.0.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "werkzeug" }, { name = "pluggy" }]

[[package]]
name = "pluggy"
version = "1.4.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "localdep"
source = { directory = "../localdep" }

[[package]]
name = "fromgit"
version = "0.2.0"
source = { git = "https://github.com/o/fromgit?rev=main#0123abcd" }

[[package]]
name = "fromurl"
version = "1.0"
source = { url = "https://example.com/fromurl-1.0.tar.gz" }
"#;

    #[test]
    fn project_members_relations_and_scopes() {
        let p = ok(SAMPLE);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let names: Vec<_> = p.packages.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "flask", "werkzeug", "numpy", "numpy", "redis", "pytest", "pluggy", "localdep",
                "fromgit", "fromurl"
            ],
            "the project and workspace members are not listed"
        );
        let flask = get(&p, "flask");
        assert_eq!(
            (flask.relation, flask.scope, flask.line),
            (Relation::Direct, Scope::Runtime, Some(35))
        );
        let wz = get(&p, "werkzeug");
        assert_eq!(
            (wz.relation, wz.scope),
            (Relation::Transitive, Scope::Runtime)
        );
        assert_eq!(wz.paths[0], vec!["flask@3.0.0", "werkzeug@3.0.1"]);
        // The member's dependency is direct; only the referenced numpy version.
        let numpys: Vec<_> = p.packages.iter().filter(|x| x.name == "numpy").collect();
        assert_eq!(numpys[0].relation, Relation::Unknown);
        assert_eq!(numpys[0].scope, Scope::Unknown);
        assert_eq!(
            (numpys[1].relation, numpys[1].scope),
            (Relation::Direct, Scope::Runtime)
        );
        assert_eq!(get(&p, "redis").scope, Scope::Optional);
        assert_eq!(get(&p, "redis").relation, Relation::Direct);
        let pytest = get(&p, "pytest");
        assert_eq!(
            (pytest.relation, pytest.scope),
            (Relation::Direct, Scope::Development)
        );
        let pluggy = get(&p, "pluggy");
        assert_eq!(
            (pluggy.relation, pluggy.scope),
            (Relation::Transitive, Scope::Development)
        );
        let local = get(&p, "localdep");
        assert_eq!(local.source, Source::Path("../localdep".into()));
        assert_eq!(
            local.pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert_eq!(
            get(&p, "fromgit").source,
            Source::Git {
                url: "https://github.com/o/fromgit".into(),
                rev: Some("0123abcd".into())
            }
        );
        assert_eq!(
            get(&p, "fromurl").source,
            Source::Url("https://example.com/fromurl-1.0.tar.gz".into())
        );
    }

    #[test]
    fn git_specs() {
        assert_eq!(
            git_source("https://h/r?tag=v1"),
            Source::Git {
                url: "https://h/r".into(),
                rev: Some("v1".into())
            }
        );
        assert_eq!(
            git_source("https://h/r"),
            Source::Git {
                url: "https://h/r".into(),
                rev: None
            }
        );
    }

    #[test]
    fn odd_entries_are_warnings() {
        let text = "version = 1\n\n[[package]]\nversion = \"1\"\n\n[[package]]\nname = \"a\"\nsource = { registry = \"https://pypi.org/simple\" }\ndependencies = [{ name = \"missing\" }, \"bad\"]\n\n[[package]]\nname = \"b\"\nversion = \"2\"\n";
        let p = ok(text);
        assert_eq!(p.packages.len(), 2);
        assert_eq!(
            get(&p, "a").pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        let w: Vec<_> = p
            .warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(
            w,
            [
                (Some(3), "[[package]] without a name; not included"),
                (Some(6), "a has no version; kept unpinned"),
                (Some(9), "a dependency of a has no name; ignored"),
                (Some(11), "b has no source; treated as the registry"),
                (
                    Some(9),
                    "a depends on missing, which the lockfile does not list"
                ),
            ]
        );
    }

    #[test]
    fn errors() {
        let e =
            parse_str(KIND, "uv.lock", "version = 1\npackage = { name = \"x\" }\n").unwrap_err();
        assert!(e.message.contains("array of tables"), "{e}");
        assert_eq!(e.line, Some(2));
        let e = parse_str(KIND, "uv.lock", "[tool]\nx = 1\n").unwrap_err();
        assert!(e.message.contains("not a uv.lock"), "{e}");
    }

    #[test]
    fn fixtures_parse_as_expected() {
        let table: &[(&str, Expect)] = &[
            ("empty.lock", Expect::Ok(0, &[])),
            // 15 [[package]] tables, one of them the project (virtual ".").
            (
                "grouped-packages.lock",
                Expect::Ok(
                    14,
                    &[
                        ("black", "24.10.0"),
                        ("emoji", "2.14.0"),
                        ("typing-extensions", "4.12.2"),
                    ],
                ),
            ),
            (
                "names-outside-package-block.lock",
                Expect::Ok(2, &[("first-pkg", "1.0.0"), ("second-pkg", "2.0.0")]),
            ),
            // Only the project itself.
            ("no-dependencies.lock", Expect::Ok(0, &[])),
            ("no-packages.lock", Expect::Ok(0, &[])),
            ("not-toml.txt", Expect::Err("not valid TOML", Some(1))),
            ("one-package.lock", Expect::Ok(1, &[("emoji", "2.14.0")])),
            ("source-git.lock", Expect::Ok(1, &[("ruff", "0.8.1")])),
            (
                "two-packages.lock",
                Expect::Ok(2, &[("emoji", "2.14.0"), ("protobuf", "4.25.5")]),
            ),
        ];
        check_fixtures(cverun_testkit::test_name!(), KIND, "python/uvlock", table);
    }

    #[test]
    fn fixture_details() {
        let Some(files) = fixture_files(cverun_testkit::test_name!(), "python/uvlock") else {
            return;
        };
        let text = |n: &str| {
            files
                .iter()
                .find(|(f, _)| f == n)
                .map(|(_, t)| t.as_str())
                .unwrap()
        };
        let p = ok(text("grouped-packages.lock"));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let rel = |n: &str| (get(&p, n).relation, get(&p, n).scope);
        assert_eq!(rel("emoji"), (Relation::Direct, Scope::Runtime));
        assert_eq!(rel("click"), (Relation::Direct, Scope::Optional));
        assert_eq!(rel("black"), (Relation::Direct, Scope::Optional));
        assert_eq!(rel("flake8"), (Relation::Direct, Scope::Optional));
        assert_eq!(rel("colorama"), (Relation::Transitive, Scope::Optional));
        assert_eq!(rel("pyflakes"), (Relation::Transitive, Scope::Optional));
        assert_eq!(
            get(&p, "colorama").paths[0],
            vec!["click@8.1.7", "colorama@0.4.6"]
        );
        let p = ok(text("source-git.lock"));
        assert_eq!(p.packages[0].relation, Relation::Direct);
        assert_eq!(
            p.packages[0].source,
            Source::Git {
                url: "https://github.com/astral-sh/ruff".into(),
                rev: Some("84748be16341b76e073d117329f7f5f4ee2941ad".into())
            }
        );
        let p = ok(text("two-packages.lock"));
        assert_eq!(get(&p, "protobuf").line, Some(13));
        assert!(
            p.packages
                .iter()
                .all(|x| x.relation == Relation::Direct && x.scope == Scope::Runtime)
        );
    }

    #[test]
    fn fixtures_never_panic_when_cut() {
        for (_, text) in
            fixture_files(cverun_testkit::test_name!(), "python/uvlock").unwrap_or_default()
        {
            never_panics(KIND, &text);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn fixtures_never_panic_when_flipped(
            which in 0usize..64,
            flips in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 1..8),
        ) {
            let Some(files) = fixture_files(cverun_testkit::test_name!(), "python/uvlock") else {
                return Ok(());
            };
            let (file, text) = &files[which % files.len()];
            let _ = parse_str(KIND, file, &flipped(text, &flips));
        }
    }
}
