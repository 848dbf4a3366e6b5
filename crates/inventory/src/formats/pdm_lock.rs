//! PDM's `pdm.lock` (TOML; `[metadata] lock_version` 4.x, and the 3.x layout,
//! which has the same `[[package]]` tables).
//!
//! Each `[[package]]` has `name`, `version`, `groups` (since lock_version 4.4 with
//! the `inherit_metadata` strategy), `dependencies` (PEP 508 requirement strings),
//! `marker`, `files`, and for packages not from an index `git` + `revision` (or
//! `ref`), `path`, or `url` (`editable` is ignored).
//!
//! - Pins: `version` is exact; a package without one is unpinned (a warning unless
//!   it comes from git, a path or a URL).
//! - Extras: PDM locks a package with extras as a second entry with `extras = [..]`
//!   (older versions: a name like `requests[socks]`). Such an entry is merged into
//!   the plain entry of the same name and version (their groups and dependencies
//!   joined), so the package is listed once; without a plain entry it is listed on
//!   its own.
//! - Scope from `groups`: `default` is [`Scope::Runtime`]; a group named like
//!   `dev`/`test` (or declared as a development group in the `pyproject.toml`
//!   beside the lock: `[tool.pdm.dev-dependencies]`, `[dependency-groups]`) is
//!   [`Scope::Development`]; any other group is installed only on request (an
//!   optional-dependency group) and is [`Scope::Optional`]. A package in several
//!   groups takes the first of runtime, optional, development. Without `groups`:
//!   [`Scope::Unknown`].
//! - Source: `git` is [`Source::Git`] (at `revision`, else `ref`), `path` (and a
//!   `file:` URL) is [`Source::Path`], `url` is [`Source::Url`], else the registry.
//! - Graph: the distribution name of each requirement in `dependencies` (before
//!   any extra, specifier or marker) links to the locked packages of that name.
//!   Direct dependencies come from the `pyproject.toml` beside the lockfile
//!   (`[project]` dependencies and optional dependencies, `[dependency-groups]`,
//!   `[tool.pdm.dev-dependencies]`); without one, packages no other package
//!   depends on are direct and the others keep [`Relation::Unknown`] with their
//!   paths (see `python::relate`).
//! - A `[[package]]` without a name is a warning and not included. Invalid TOML, a
//!   `package` that is not an array of tables, or a document with neither
//!   `package` nor `metadata` is an error.
//!
//! [`Relation::Unknown`]: crate::Relation::Unknown

use cverun_versions::Ecosystem;
use toml::de::DeTable;

use super::python::{Manifest, finish, is_dev_group, norm, read_pyproject, requirement_name};
use super::toml_doc::{self, Doc, get_str};
use crate::{Input, Package, ParseError, Parsed, Pin, Scope, Source, Warning};

/// One `[[package]]`, read.
struct Entry {
    package: Package,
    has_extras: bool,
    groups: Vec<String>,
    deps: Vec<String>,
}

/// Parses a `pdm.lock`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    if toml_doc::is_blank(input.text) {
        return Ok(Parsed::empty_file(input));
    }
    let doc = Doc::parse(input)?;
    if doc.root.is_empty() {
        return Ok(Parsed::empty_file(input));
    }
    let Some(list) = toml_doc::get(&doc.root, "package") else {
        if doc.root.get("metadata").is_some() {
            return Ok(Parsed::default());
        }
        return Err(input.error(Some(1), "not a pdm.lock: no [[package]] and no [metadata]"));
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
    let mut warnings = Vec::new();
    let mut entries = Vec::new();
    for item in array.iter() {
        let line = doc.line_of(item);
        let Some(table) = item.get_ref().as_table() else {
            warnings
                .push(input.warning(Some(line), "[[package]] entry is not a table; not included"));
            continue;
        };
        if let Some(e) = entry(input, table, line, &mut warnings) {
            entries.push(e);
        }
    }
    let merged = merge_extras(entries);
    let manifest = read_pyproject(input, &mut warnings);
    let mut packages = Vec::with_capacity(merged.len());
    let mut deps = Vec::with_capacity(merged.len());
    for mut e in merged {
        if !e.groups.is_empty() {
            e.package.scope = scope_of(&e.groups, manifest.as_ref());
        }
        packages.push(e.package);
        deps.push(e.deps);
    }
    let by = super::python::by_name(&packages);
    let edges: Vec<Vec<usize>> = deps
        .iter()
        .map(|names| {
            names
                .iter()
                .flat_map(|n| by.get(n.as_str()).into_iter().flatten().copied())
                .collect()
        })
        .collect();
    let seeds = manifest
        .as_ref()
        .map(|m| m.direct_indices(&packages))
        .unwrap_or_default();
    Ok(finish(packages, &edges, &seeds, warnings))
}

/// Reads one `[[package]]` table.
fn entry(
    input: &Input<'_>,
    t: &DeTable<'_>,
    line: u32,
    warnings: &mut Vec<Warning>,
) -> Option<Entry> {
    let Some(raw_name) = get_str(t, "name") else {
        warnings.push(input.warning(Some(line), "[[package]] without a name; not included"));
        return None;
    };
    // Older locks name extras entries `name[extra]`.
    let (name, bracket) = match raw_name.split_once('[') {
        Some((n, _)) => (n.trim(), true),
        None => (raw_name.trim(), false),
    };
    let source = if let Some(url) = get_str(t, "git") {
        Source::Git {
            url: url.to_owned(),
            rev: get_str(t, "revision")
                .or_else(|| get_str(t, "ref"))
                .map(str::to_owned),
        }
    } else if let Some(path) = get_str(t, "path") {
        Source::Path(path.to_owned())
    } else if let Some(url) = get_str(t, "url") {
        match url.strip_prefix("file://") {
            Some(path) => Source::Path(path.to_owned()),
            None => Source::Url(url.to_owned()),
        }
    } else {
        Source::Registry
    };
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
    let deps = toml_doc::get_strings(t, "dependencies")
        .into_iter()
        .filter_map(requirement_name)
        .map(norm)
        .collect();
    Some(Entry {
        package,
        has_extras: bracket || !toml_doc::get_strings(t, "extras").is_empty(),
        groups: toml_doc::get_strings(t, "groups")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        deps,
    })
}

/// Folds extras entries into the plain entry of the same package.
fn merge_extras(entries: Vec<Entry>) -> Vec<Entry> {
    let same =
        |a: &Package, b: &Package| a.name == b.name && a.pin == b.pin && a.source == b.source;
    let (extras, mut out): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| e.has_extras);
    let plain = out.len();
    for e in extras {
        match out
            .iter_mut()
            .take(plain)
            .find(|b| same(&b.package, &e.package))
        {
            Some(base) => {
                for g in e.groups {
                    if !base.groups.contains(&g) {
                        base.groups.push(g);
                    }
                }
                base.deps.extend(e.deps);
            }
            None => out.push(e),
        }
    }
    out.sort_by_key(|e| e.package.line);
    out
}

/// The scope of a package in `groups`.
fn scope_of(groups: &[String], manifest: Option<&Manifest>) -> Scope {
    let scope = |g: &str| {
        if g == "default" {
            Scope::Runtime
        } else if is_dev_group(g) || manifest.is_some_and(|m| m.dev_groups.contains(g)) {
            Scope::Development
        } else {
            Scope::Optional
        }
    };
    let scopes: Vec<Scope> = groups.iter().map(|g| scope(g)).collect();
    [Scope::Runtime, Scope::Optional, Scope::Development]
        .into_iter()
        .find(|s| scopes.contains(s))
        .unwrap_or(Scope::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileKind;
    use crate::Relation;
    use crate::formats::toml_doc::testing::{fixture_files, flipped, run};
    use crate::testutil::{Expect, MemFiles, check_fixtures, get, never_panics, parse_str};

    const KIND: FileKind = FileKind::PdmLock;

    fn ok(text: &str) -> Parsed {
        parse_str(KIND, "pdm.lock", text).expect("parses")
    }

    const SAMPLE: &str = r#"[metadata]
groups = ["default", "lint", "test", "socks"]
lock_version = "4.4.1"

[[package]]
name = "requests"
version = "2.31.0"
groups = ["default"]
dependencies = [
    "charset-normalizer<4,>=2",
    "urllib3<3,>=1.21.1",
]

[[package]]
name = "requests"
version = "2.31.0"
extras = ["socks"]
groups = ["socks"]
dependencies = [
    "PySocks!=1.5.7,>=1.5.6",
    "requests==2.31.0",
]

[[package]]
name = "charset-normalizer"
version = "3.3.2"
groups = ["default"]

[[package]]
name = "urllib3"
version = "2.2.0"
groups = ["default"]

[[package]]
name = "pysocks"
version = "1.7.1"
groups = ["socks"]

[[package]]
name = "ruff"
version = "0.3.0"
groups = ["lint"]

[[package]]
name = "pytest"
version = "8.0.0"
groups = ["test"]
dependencies = ["pluggy<2.0,>=1.3.0", "colorama; sys_platform == \"win32\""]

[[package]]
name = "pluggy"
version = "1.4.0"
groups = ["test"]

[[package]]
name = "colorama"
version = "0.4.6"
groups = ["test"]
marker = "sys_platform == \"win32\""

[[package]]
name = "mylib"
git = "https://github.com/o/mylib.git"
ref = "main"
revision = "0123abcd"
groups = ["default"]

[[package]]
name = "local"
path = "./libs/local"
groups = ["default"]
"#;

    #[test]
    fn packages_extras_scopes_and_graph() {
        let p = ok(SAMPLE);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let names: Vec<_> = p.packages.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "requests",
                "charset-normalizer",
                "urllib3",
                "pysocks",
                "ruff",
                "pytest",
                "pluggy",
                "colorama",
                "mylib",
                "local"
            ],
            "the extras entry is merged"
        );
        let req = get(&p, "requests");
        assert_eq!(
            (req.line, req.scope, req.relation),
            (Some(5), Scope::Runtime, Relation::Direct)
        );
        assert_eq!(
            get(&p, "urllib3").paths,
            vec![vec!["requests@2.31.0", "urllib3@2.2.0"]]
        );
        assert_eq!(get(&p, "urllib3").relation, Relation::Unknown);
        assert_eq!(
            get(&p, "pysocks").paths,
            vec![vec!["requests@2.31.0", "pysocks@1.7.1"]]
        );
        assert_eq!(get(&p, "pysocks").scope, Scope::Optional);
        assert_eq!(
            get(&p, "ruff").scope,
            Scope::Optional,
            "lint is not a dev/test name"
        );
        assert_eq!(get(&p, "pytest").scope, Scope::Development);
        assert_eq!(
            get(&p, "colorama").paths,
            vec![vec!["pytest@8.0.0", "colorama@0.4.6"]]
        );
        assert_eq!(
            get(&p, "mylib").source,
            Source::Git {
                url: "https://github.com/o/mylib.git".into(),
                rev: Some("0123abcd".into())
            }
        );
        assert_eq!(
            get(&p, "mylib").pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert_eq!(get(&p, "local").source, Source::Path("./libs/local".into()));
    }

    #[test]
    fn pyproject_beside_gives_direct_and_dev_groups() {
        let pyproject = "[project]\nname = \"svc\"\ndependencies = [\"requests[socks]>=2.31\", \"urllib3\"]\n\n[tool.pdm.dev-dependencies]\nlint = [\"ruff\"]\ntest = [\"pytest>=8\"]\n";
        let files = MemFiles::with(&[("app/pyproject.toml", pyproject)]);
        let p = run(KIND, "app/pdm.lock", SAMPLE, &files).unwrap();
        assert_eq!(get(&p, "ruff").scope, Scope::Development);
        assert_eq!(get(&p, "urllib3").relation, Relation::Direct);
        assert_eq!(get(&p, "charset-normalizer").relation, Relation::Transitive);
        assert_eq!(get(&p, "pytest").relation, Relation::Direct);
        assert_eq!(get(&p, "pluggy").relation, Relation::Transitive);
        assert_eq!(
            get(&p, "mylib").relation,
            Relation::Unknown,
            "not named in the manifest"
        );
    }

    #[test]
    fn old_bracket_names_and_missing_fields() {
        let text = "[metadata]\nlock_version = \"3.1\"\n\n[[package]]\nname = \"uvicorn[standard]\"\nversion = \"0.23.2\"\n\n[[package]]\nversion = \"1\"\n\n[[package]]\nname = \"nover\"\n";
        let p = ok(text);
        assert_eq!(p.packages.len(), 2);
        assert_eq!(p.packages[0].name, "uvicorn");
        assert_eq!(p.packages[0].scope, Scope::Unknown);
        let w: Vec<_> = p
            .warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(
            w,
            [
                (Some(8), "[[package]] without a name; not included"),
                (Some(11), "nover has no version; kept unpinned")
            ]
        );
    }

    #[test]
    fn errors() {
        let e = parse_str(
            KIND,
            "pdm.lock",
            "[metadata]\nx = 1\n\n[package]\nname = \"a\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("array of tables"), "{e}");
        assert_eq!(e.line, Some(4));
        let e = parse_str(KIND, "pdm.lock", "[tool]\nx = 1\n").unwrap_err();
        assert!(e.message.contains("not a pdm.lock"), "{e}");
    }

    #[test]
    fn fixtures_parse_as_expected() {
        let table: &[(&str, Expect)] = &[
            (
                "dev-dependency.toml",
                Expect::Ok(
                    3,
                    &[
                        ("pyroute2", "0.7.11"),
                        ("toml", "0.10.2"),
                        ("win-inet-pton", "1.1.0"),
                    ],
                ),
            ),
            ("empty-file.toml", Expect::Ok(0, &[])),
            ("empty.toml", Expect::Ok(0, &[])),
            // A git package: version 0.10.2 recorded beside the git source.
            ("git-dependency.toml", Expect::Ok(1, &[("toml", "0.10.2")])),
            (
                "names-outside-package-block.toml",
                Expect::Ok(2, &[("first-pkg", "1.0.0"), ("second-pkg", "2.0.0")]),
            ),
            ("not-toml.txt", Expect::Err("not valid TOML", Some(1))),
            (
                "optional-dependency.toml",
                Expect::Ok(
                    3,
                    &[
                        ("pyroute2", "0.7.11"),
                        ("toml", "0.10.2"),
                        ("win-inet-pton", "1.1.0"),
                    ],
                ),
            ),
            ("single-package.toml", Expect::Ok(1, &[("toml", "0.10.2")])),
            (
                "two-packages.toml",
                Expect::Ok(2, &[("six", "1.16.0"), ("toml", "0.10.2")]),
            ),
        ];
        check_fixtures(cverun_testkit::test_name!(), KIND, "python/pdmlock", table);
    }

    #[test]
    fn fixture_details() {
        let Some(files) = fixture_files(cverun_testkit::test_name!(), "python/pdmlock") else {
            return;
        };
        let text = |n: &str| {
            files
                .iter()
                .find(|(f, _)| f == n)
                .map(|(_, t)| t.as_str())
                .unwrap()
        };
        let p = ok(text("dev-dependency.toml"));
        assert_eq!(get(&p, "pyroute2").scope, Scope::Development);
        assert_eq!(get(&p, "win-inet-pton").scope, Scope::Development);
        assert_eq!(get(&p, "toml").scope, Scope::Runtime);
        assert_eq!(
            get(&p, "win-inet-pton").paths,
            vec![vec!["pyroute2@0.7.11", "win-inet-pton@1.1.0"]]
        );
        assert_eq!(get(&p, "toml").relation, Relation::Direct);
        assert_eq!(get(&p, "win-inet-pton").line, Some(33));
        let p = ok(text("optional-dependency.toml"));
        assert_eq!(get(&p, "pyroute2").scope, Scope::Optional);
        let p = ok(text("git-dependency.toml"));
        assert_eq!(
            p.packages[0].source,
            Source::Git {
                url: "https://github.com/uiri/toml.git".into(),
                rev: Some("65bab7582ce14c55cdeec2244c65ea23039c9e6f".into())
            }
        );
    }

    #[test]
    fn fixtures_never_panic_when_cut() {
        for (_, text) in
            fixture_files(cverun_testkit::test_name!(), "python/pdmlock").unwrap_or_default()
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
            let Some(files) = fixture_files(cverun_testkit::test_name!(), "python/pdmlock") else {
                return Ok(());
            };
            let (file, text) = &files[which % files.len()];
            let _ = parse_str(KIND, file, &flipped(text, &flips));
        }
    }
}
