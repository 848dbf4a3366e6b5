//! Poetry's `poetry.lock` (TOML; lock-version 1.x written by Poetry 1.0–1.4,
//! 2.0 by Poetry 1.5–1.8, 2.1 by Poetry 2.x).
//!
//! Each `[[package]]` has `name`, `version` (always exact), `optional`, and its
//! group: `category = "main" | "dev"` (lock-version 1.x), `groups = [...]`
//! (Poetry 2.x), or nothing (lock-version 2.0).
//!
//! - Scope: `optional = true` (only installed with an extra) is
//!   [`Scope::Optional`]; otherwise `category = "dev"` or groups without `main` is
//!   [`Scope::Development`] (Poetry groups other than `main` are never installed
//!   as the package's dependencies), `main` is [`Scope::Runtime`]. Locks without
//!   either get their scope from the `pyproject.toml` beside them, when there is
//!   one: what its main dependencies reach is runtime, what only its group/dev
//!   dependencies reach is development; otherwise [`Scope::Unknown`].
//! - Source (`[package.source]`): `git` is [`Source::Git`] (`resolved_reference`,
//!   else `reference`, as the revision), `directory` and `file` are
//!   [`Source::Path`], `url` is [`Source::Url`], `legacy` (a PyPI-compatible
//!   index, often a private mirror) is the registry. An unknown source type is
//!   treated as the registry with a warning (so the package is still matched).
//! - Graph: `[package.dependencies]` (name → specifier, table, or list of tables;
//!   optional dependencies included) links each package to every locked package
//!   of that name. Direct dependencies come from the `pyproject.toml` beside the
//!   lockfile (`[tool.poetry.dependencies]`, `[tool.poetry.group.*.dependencies]`,
//!   `[tool.poetry.dev-dependencies]`, PEP 621 `[project]` dependencies and
//!   optional dependencies, PEP 735 `[dependency-groups]`); without one, packages
//!   no other package depends on are direct and the rest keep
//!   [`Relation::Unknown`] with their paths (see `python::relate`).
//! - A `[[package]]` without a name is a warning and not included; one without a
//!   version is kept unpinned with a warning. Invalid TOML, a `package` that is not
//!   an array of tables, or a document with neither `package` nor `metadata` is an
//!   error.
//!
//! [`Relation::Unknown`]: crate::Relation::Unknown

use crate::text::excerpt;
use cverun_versions::Ecosystem;
use toml::de::DeTable;

use super::python::{finish, norm, read_pyproject};
use super::toml_doc::{self, Doc, get_str};
use crate::{Input, Package, ParseError, Parsed, Pin, Scope, Source, Warning};

/// Parses a `poetry.lock`.
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
        return Err(input.error(
            Some(1),
            "not a poetry.lock: no [[package]] and no [metadata]",
        ));
    };
    let Some(entries) = list.get_ref().as_array() else {
        return Err(input.error(
            Some(doc.line_of(list)),
            format!(
                "`package` must be an array of tables ([[package]]), found {}",
                toml_doc::type_name(list.get_ref())
            ),
        ));
    };
    let mut warnings = Vec::new();
    let mut packages = Vec::new();
    let mut deps: Vec<Vec<String>> = Vec::new();
    for entry in entries.iter() {
        let line = doc.line_of(entry);
        let Some(table) = entry.get_ref().as_table() else {
            warnings
                .push(input.warning(Some(line), "[[package]] entry is not a table; not included"));
            continue;
        };
        if let Some(p) = package(input, table, line, &mut warnings) {
            packages.push(p);
            deps.push(dependency_names(table));
        }
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
    let manifest = read_pyproject(input, &mut warnings);
    let seeds = manifest
        .as_ref()
        .map(|m| m.direct_indices(&packages))
        .unwrap_or_default();
    Ok(finish(packages, &edges, &seeds, warnings))
}

/// One `[[package]]` table.
fn package(
    input: &Input<'_>,
    t: &DeTable<'_>,
    line: u32,
    warnings: &mut Vec<Warning>,
) -> Option<Package> {
    let Some(name) = get_str(t, "name") else {
        warnings.push(input.warning(Some(line), "[[package]] without a name; not included"));
        return None;
    };
    let pin = match get_str(t, "version") {
        Some(v) if !v.trim().is_empty() => Pin::Exact(v.trim().to_owned()),
        _ => {
            warnings
                .push(input.warning(Some(line), format!("{name} has no version; kept unpinned")));
            Pin::Unpinned {
                specifier: String::new(),
            }
        }
    };
    let mut p = Package::new(Ecosystem::PyPI, name, pin).at_line(line);
    p.source = source(input, t, name, line, warnings);
    let groups = toml_doc::get_strings(t, "groups");
    p.scope = if toml_doc::get_bool(t, "optional") == Some(true) {
        Scope::Optional
    } else if let Some(category) = get_str(t, "category") {
        if category == "dev" {
            Scope::Development
        } else {
            Scope::Runtime
        }
    } else if !groups.is_empty() {
        if groups.contains(&"main") {
            Scope::Runtime
        } else {
            Scope::Development
        }
    } else {
        Scope::Unknown
    };
    Some(p)
}

/// `[package.source]`.
fn source(
    input: &Input<'_>,
    t: &DeTable<'_>,
    name: &str,
    line: u32,
    warnings: &mut Vec<Warning>,
) -> Source {
    let Some(s) = toml_doc::get_table(t, "source") else {
        return Source::Registry;
    };
    let url = get_str(s, "url").unwrap_or_default().to_owned();
    match get_str(s, "type") {
        Some("git") => Source::Git {
            url,
            rev: get_str(s, "resolved_reference")
                .or_else(|| get_str(s, "reference"))
                .map(str::to_owned),
        },
        Some("directory" | "file") => Source::Path(url),
        Some("url") => Source::Url(url),
        Some("legacy") | None => Source::Registry,
        Some(other) => {
            warnings.push(input.warning(
                Some(line),
                format!(
                    "{name}: unknown source type {}; treated as the registry",
                    excerpt(other)
                ),
            ));
            Source::Registry
        }
    }
}

/// The normalised names of `[package.dependencies]`.
fn dependency_names(t: &DeTable<'_>) -> Vec<String> {
    toml_doc::get_table(t, "dependencies")
        .map(|d| d.iter().map(|(k, _)| norm(k.get_ref())).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileKind;
    use crate::Relation;
    use crate::formats::toml_doc::testing::{fixture_files, flipped, run};
    use crate::testutil::{Expect, MemFiles, check_fixtures, get, never_panics, parse_str};

    const KIND: FileKind = FileKind::PoetryLock;

    fn ok(text: &str) -> Parsed {
        parse_str(KIND, "poetry.lock", text).expect("parses")
    }

    const SAMPLE: &str = r#"[[package]]
name = "Flask"
version = "3.0.0"
category = "main"
optional = false

[package.dependencies]
Werkzeug = ">=3.0.0"
click = {version = ">=8.1.3", markers = "python_version >= \"3.8\""}

[[package]]
name = "werkzeug"
version = "3.0.1"
category = "main"
optional = false

[package.dependencies]
MarkupSafe = [
    {version = ">=2.1.1", markers = "python_version >= \"3.8\""},
]

[[package]]
name = "markupsafe"
version = "2.1.3"
category = "main"
optional = false

[[package]]
name = "click"
version = "8.1.7"
category = "main"
optional = false

[[package]]
name = "pytest"
version = "7.4.0"
category = "dev"
optional = false

[[package]]
name = "redis"
version = "5.0.0"
category = "main"
optional = true

[[package]]
name = "mylib"
version = "0.1.0"
category = "main"
optional = false

[package.source]
type = "directory"
url = "../mylib"

[[package]]
name = "wheel-dep"
version = "1.0"
category = "main"
optional = false

[package.source]
type = "url"
url = "https://example.com/wheel_dep-1.0-py3-none-any.whl"

[metadata]
lock-version = "1.1"
"#;

    #[test]
    fn packages_scopes_sources_and_graph() {
        let p = ok(SAMPLE);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.packages.len(), 8);
        let flask = get(&p, "flask");
        assert_eq!(flask.pin, Pin::Exact("3.0.0".into()));
        assert_eq!(flask.line, Some(1));
        assert_eq!(flask.relation, Relation::Direct, "nothing depends on it");
        assert_eq!(flask.scope, Scope::Runtime);
        let ms = get(&p, "markupsafe");
        assert_eq!(ms.line, Some(22));
        assert_eq!(
            ms.relation,
            Relation::Unknown,
            "could also be direct without a manifest"
        );
        assert_eq!(
            ms.paths,
            vec![vec!["flask@3.0.0", "werkzeug@3.0.1", "markupsafe@2.1.3"]]
        );
        assert_eq!(
            get(&p, "click").paths,
            vec![vec!["flask@3.0.0", "click@8.1.7"]]
        );
        assert_eq!(get(&p, "pytest").scope, Scope::Development);
        assert_eq!(get(&p, "redis").scope, Scope::Optional);
        assert_eq!(get(&p, "mylib").source, Source::Path("../mylib".into()));
        assert_eq!(
            get(&p, "wheel-dep").source,
            Source::Url("https://example.com/wheel_dep-1.0-py3-none-any.whl".into())
        );
    }

    #[test]
    fn pyproject_beside_names_direct_dependencies() {
        let pyproject = "[tool.poetry]\nname = \"svc\"\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\nflask = \"^3.0\"\nmarkupsafe = \"*\"\n\n[tool.poetry.group.test.dependencies]\npytest = \"^7\"\n";
        let files = MemFiles::with(&[("svc/pyproject.toml", pyproject)]);
        let p = run(KIND, "svc/poetry.lock", SAMPLE, &files).unwrap();
        assert_eq!(get(&p, "flask").relation, Relation::Direct);
        assert_eq!(get(&p, "markupsafe").relation, Relation::Direct);
        assert_eq!(get(&p, "pytest").relation, Relation::Direct);
        assert_eq!(get(&p, "werkzeug").relation, Relation::Transitive);
        assert_eq!(get(&p, "click").relation, Relation::Transitive);
        assert_eq!(
            get(&p, "redis").relation,
            Relation::Unknown,
            "not named, nothing reaches it"
        );
    }

    #[test]
    fn lock_v2_scopes_come_from_the_manifest() {
        let lock = "[[package]]\nname = \"a\"\nversion = \"1\"\noptional = false\n[package.dependencies]\nb = \"*\"\n\n[[package]]\nname = \"b\"\nversion = \"2\"\noptional = false\n\n[[package]]\nname = \"t\"\nversion = \"3\"\noptional = false\n[package.dependencies]\nb = \"*\"\nc = \"*\"\n\n[[package]]\nname = \"c\"\nversion = \"4\"\noptional = false\n\n[metadata]\nlock-version = \"2.0\"\n";
        let pyproject = "[project]\nname = \"svc\"\ndependencies = [\"a>=1\"]\n\n[tool.poetry.group.dev.dependencies]\nt = \"*\"\n";
        let files = MemFiles::with(&[("pyproject.toml", pyproject)]);
        let p = run(KIND, "poetry.lock", lock, &files).unwrap();
        let scopes: Vec<_> = p
            .packages
            .iter()
            .map(|x| (x.name.as_str(), x.scope))
            .collect();
        assert_eq!(
            scopes,
            [
                ("a", Scope::Runtime),
                ("b", Scope::Runtime),
                ("t", Scope::Development),
                ("c", Scope::Development)
            ]
        );
        // Without the manifest the lock does not say.
        let p = ok(lock);
        assert!(p.packages.iter().all(|x| x.scope == Scope::Unknown));
    }

    #[test]
    fn git_source_and_odd_entries() {
        let lock = "[[package]]\nname = \"ike\"\nversion = \"0.2.0\"\n[package.source]\ntype = \"git\"\nurl = \"https://github.com/dzshn/ike\"\nreference = \"main\"\n\n[[package]]\nversion = \"1.0\"\n\n[[package]]\nname = \"nover\"\n\n[[package]]\nname = \"hg\"\nversion = \"1\"\n[package.source]\ntype = \"hg\"\nurl = \"https://x\"\n";
        let p = ok(lock);
        assert_eq!(p.packages.len(), 3);
        assert_eq!(
            get(&p, "ike").source,
            Source::Git {
                url: "https://github.com/dzshn/ike".into(),
                rev: Some("main".into())
            }
        );
        assert_eq!(
            get(&p, "nover").pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert_eq!(get(&p, "hg").source, Source::Registry);
        let w: Vec<_> = p
            .warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(
            w,
            [
                (Some(9), "[[package]] without a name; not included"),
                (Some(12), "nover has no version; kept unpinned"),
                (
                    Some(15),
                    "hg: unknown source type \"hg\"; treated as the registry"
                ),
            ]
        );
    }

    #[test]
    fn errors() {
        let e = parse_str(KIND, "poetry.lock", "package = \"x\"\n").unwrap_err();
        assert!(e.message.contains("array of tables"), "{e}");
        assert_eq!(e.line, Some(1));
        let e = parse_str(KIND, "poetry.lock", "[tool]\nx = 1\n").unwrap_err();
        assert!(e.message.contains("not a poetry.lock"), "{e}");
        let e = parse_str(
            KIND,
            "poetry.lock",
            "[[package]]\nname = \"a\"\nversion = 1.0.0\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.starts_with("not valid TOML"), "{e}");
        let p = ok("# only a comment\n");
        assert_eq!(p.warnings[0].message, "empty file");
    }

    #[test]
    fn fixtures_parse_as_expected() {
        let table: &[(&str, Expect)] = &[
            ("empty-file.lock", Expect::Ok(0, &[])),
            ("empty.lock", Expect::Ok(0, &[])),
            // 11 [[package]] tables, proto-plus twice (1.22.0 and 1.23.0, by marker).
            (
                "multiple-packages.v2.lock",
                Expect::Ok(
                    11,
                    &[
                        ("proto-plus", "1.22.0"),
                        ("proto-plus", "1.23.0"),
                        ("python-dateutil", "2.9.0.post0"),
                        ("six", "1.17.0"),
                    ],
                ),
            ),
            // The `name` inside the description and [package.tool.poetry] are not packages.
            (
                "names-outside-package-block.lock",
                Expect::Ok(2, &[("first-pkg", "1.0.0"), ("second-pkg", "2.0.0")]),
            ),
            ("not-toml.txt", Expect::Err("not valid TOML", Some(1))),
            (
                "one-package-with-metadata.lock",
                Expect::Ok(1, &[("emoji", "2.0.0")]),
            ),
            ("one-package.lock", Expect::Ok(1, &[("numpy", "1.23.3")])),
            (
                "optional-package.lock",
                Expect::Ok(1, &[("numpy", "1.23.3")]),
            ),
            ("source-git.lock", Expect::Ok(1, &[("ike", "0.2.0")])),
            ("source-legacy.lock", Expect::Ok(1, &[("appdirs", "1.4.4")])),
            (
                "two-packages.lock",
                Expect::Ok(2, &[("proto-plus", "1.22.0"), ("protobuf", "4.21.5")]),
            ),
        ];
        check_fixtures(
            cverun_testkit::test_name!(),
            KIND,
            "python/poetrylock",
            table,
        );
    }

    #[test]
    fn fixture_details() {
        let Some(files) = fixture_files(cverun_testkit::test_name!(), "python/poetrylock") else {
            return;
        };
        let get_text = |n: &str| {
            files
                .iter()
                .find(|(f, _)| f == n)
                .map(|(_, t)| t.as_str())
                .unwrap()
        };
        let p = ok(get_text("multiple-packages.v2.lock"));
        assert_eq!(get(&p, "async-timeout").scope, Scope::Optional);
        assert_eq!(get(&p, "redis").scope, Scope::Optional);
        assert_eq!(get(&p, "factory-boy").scope, Scope::Development);
        assert_eq!(get(&p, "faker").scope, Scope::Development);
        assert_eq!(get(&p, "six").scope, Scope::Runtime);
        assert_eq!(get(&p, "factory-boy").relation, Relation::Direct);
        // faker's dependency six is reached through factory-boy -> faker -> python-dateutil.
        assert_eq!(
            get(&p, "six").paths,
            vec![vec![
                "factory-boy@3.3.1",
                "faker@33.3.0",
                "python-dateutil@2.9.0.post0",
                "six@1.17.0"
            ]]
        );
        // protobuf is needed by both proto-plus versions.
        assert_eq!(get(&p, "protobuf").paths.len(), 2);
        assert_eq!(get(&p, "urllib3").line, Some(169));
        let p = ok(get_text("source-git.lock"));
        assert_eq!(
            p.packages[0].source,
            Source::Git {
                url: "https://github.com/dzshn/ike".into(),
                rev: Some("cd66602cd29f61a2d2e7fb995fef1e61708c034d".into())
            }
        );
        assert_eq!(
            ok(get_text("source-legacy.lock")).packages[0].source,
            Source::Registry
        );
        assert_eq!(
            ok(get_text("optional-package.lock")).packages[0].scope,
            Scope::Optional
        );
        assert_eq!(
            ok(get_text("one-package.lock")).packages[0].scope,
            Scope::Runtime
        );
        let p = ok(get_text("names-outside-package-block.lock"));
        assert_eq!(p.packages[1].line, Some(15));
    }

    #[test]
    fn fixtures_never_panic_when_cut() {
        for (_, text) in
            fixture_files(cverun_testkit::test_name!(), "python/poetrylock").unwrap_or_default()
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
            let Some(files) = fixture_files(cverun_testkit::test_name!(), "python/poetrylock") else {
                return Ok(());
            };
            let (file, text) = &files[which % files.len()];
            let _ = parse_str(KIND, file, &flipped(text, &flips));
        }
    }
}
