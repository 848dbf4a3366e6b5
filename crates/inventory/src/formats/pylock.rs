//! PEP 751 lock files (`pylock.toml`, `pylock.<name>.toml`; `lock-version = "1.0"`),
//! as written by pip, PDM, uv and others.
//!
//! Each `[[packages]]` (the PEP's plural spelling, which every writer uses; a
//! singular `[[package]]` array is accepted with a warning) has `name`, an optional
//! `version`, `marker`, `requires-python`, `index`, `dependencies = [{ name, .. }]`
//! (optional), and at most one source: `vcs`, `directory`, `archive`, or
//! `sdist`/`wheels` (from an index).
//!
//! - Pins: `version` is exact. It is optional in the PEP (required only for index
//!   packages): a package without one is kept unpinned, never dropped (a warning
//!   when it has no `vcs`/`directory`/`archive` source).
//! - Source: `vcs = { type, url | path, requested-revision, commit-id }` is
//!   [`Source::Git`] (at `commit-id`, else `requested-revision`), `directory` is
//!   [`Source::Path`], `archive` is [`Source::Url`] (or a path), `sdist`/`wheels`
//!   or nothing is the registry. The project itself (often
//!   `directory = { path = "." }`) is listed like any other directory package: the
//!   format does not mark it.
//! - Graph: when any package records `dependencies`, each reference links to the
//!   locked packages of that name (of that version, when given); packages no
//!   other package depends on are direct and the rest keep [`Relation::Unknown`]
//!   with their paths (see `python::relate`). Without `dependencies` anywhere,
//!   every package is [`Relation::Unknown`].
//! - Scope from `marker` (not evaluated, only read for the PEP's group
//!   clauses): `"g" in dependency_groups` with `g` one of the lock's
//!   `default-groups` (or `default`) is [`Scope::Runtime`]; else `"x" in extras`
//!   is [`Scope::Optional`]; else other groups are [`Scope::Development`] when
//!   named like `dev`/`test`, [`Scope::Optional`] otherwise. A marker without such
//!   clauses, or none, is [`Scope::Unknown`] (a lock may be for any environment).
//! - A package without a name is a warning and not included; a `lock-version`
//!   whose major version is not 1 is a warning (the file is still read). Invalid
//!   TOML, `packages` that is not an array of tables, or a document with neither
//!   `lock-version` nor `packages` is an error.
//!
//! [`Relation::Unknown`]: crate::Relation::Unknown

use crate::text::excerpt;
use cverun_versions::Ecosystem;
use toml::de::DeTable;

use super::python::{by_name, is_dev_group, norm, relate};
use super::toml_doc::{self, Doc, get_str};
use crate::{Input, Package, ParseError, Parsed, Pin, Scope, Source, Warning};

/// References to other packages: normalised name and, when given, version.
type DepRefs = Vec<(String, Option<String>)>;

/// Parses a `pylock.toml`.
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
    let version = toml_doc::get(&doc.root, "lock-version");
    if let Some(v) = version {
        let text = v.get_ref().as_str().unwrap_or_default();
        if text.split('.').next() != Some("1") {
            warnings.push(input.warning(
                Some(doc.line_of(v)),
                format!("lock-version {} is not 1.x; read as 1.0", excerpt(text)),
            ));
        }
    }
    let list = match (
        toml_doc::get(&doc.root, "packages"),
        toml_doc::get(&doc.root, "package"),
    ) {
        (Some(l), _) => Some(l),
        (None, Some(l)) => {
            warnings.push(input.warning(
                Some(doc.line_of(l)),
                "packages are listed as [[package]]; PEP 751 names them [[packages]]",
            ));
            Some(l)
        }
        (None, None) => None,
    };
    let Some(list) = list else {
        if version.is_some() {
            return Ok(Parsed {
                warnings,
                ..Parsed::default()
            });
        }
        return Err(input.error(
            Some(1),
            "not a pylock.toml: no `lock-version` and no [[packages]]",
        ));
    };
    let Some(array) = list.get_ref().as_array() else {
        return Err(input.error(
            Some(doc.line_of(list)),
            format!(
                "`packages` must be an array of tables, found {}",
                toml_doc::type_name(list.get_ref())
            ),
        ));
    };
    let mut default_groups: Vec<&str> = toml_doc::get_strings(&doc.root, "default-groups");
    if default_groups.is_empty() {
        default_groups.push("default");
    }
    let mut packages = Vec::new();
    let mut deps: Vec<Option<DepRefs>> = Vec::new();
    for item in array.iter() {
        let line = doc.line_of(item);
        let Some(t) = item.get_ref().as_table() else {
            warnings.push(input.warning(Some(line), "package entry is not a table; not included"));
            continue;
        };
        if let Some(mut p) = package(input, t, line, &mut warnings) {
            p.scope =
                get_str(t, "marker").map_or(Scope::Unknown, |m| marker_scope(m, &default_groups));
            packages.push(p);
            deps.push(toml_doc::get_array(t, "dependencies").map(|a| {
                a.iter()
                    .filter_map(|d| d.get_ref().as_table())
                    .filter_map(|d| {
                        Some((
                            norm(get_str(d, "name")?),
                            get_str(d, "version").map(str::to_owned),
                        ))
                    })
                    .collect()
            }));
        }
    }
    if deps.iter().any(Option::is_some) {
        let by = by_name(&packages);
        let edges: Vec<Vec<usize>> = deps
            .iter()
            .map(|refs| {
                refs.iter()
                    .flatten()
                    .flat_map(|(name, version)| {
                        let all: Vec<usize> = by.get(name.as_str()).cloned().unwrap_or_default();
                        let exact: Vec<usize> = all
                            .iter()
                            .copied()
                            .filter(|&i| {
                                version.is_some()
                                    && packages.get(i).and_then(Package::exact_version)
                                        == version.as_deref()
                            })
                            .collect();
                        if exact.is_empty() { all } else { exact }
                    })
                    .collect()
            })
            .collect();
        relate(&mut packages, &edges, &[]);
    }
    Ok(Parsed {
        packages,
        warnings,
        includes: Vec::new(),
    })
}

/// One package table.
fn package(
    input: &Input<'_>,
    t: &DeTable<'_>,
    line: u32,
    warnings: &mut Vec<Warning>,
) -> Option<Package> {
    let Some(name) = get_str(t, "name") else {
        warnings.push(input.warning(Some(line), "package without a name; not included"));
        return None;
    };
    let source = if let Some(vcs) = toml_doc::get_table(t, "vcs") {
        Source::Git {
            url: get_str(vcs, "url")
                .or_else(|| get_str(vcs, "path"))
                .unwrap_or_default()
                .to_owned(),
            rev: get_str(vcs, "commit-id")
                .or_else(|| get_str(vcs, "requested-revision"))
                .map(str::to_owned),
        }
    } else if let Some(dir) = toml_doc::get_table(t, "directory") {
        Source::Path(get_str(dir, "path").unwrap_or_default().to_owned())
    } else if let Some(archive) = toml_doc::get_table(t, "archive") {
        match (get_str(archive, "url"), get_str(archive, "path")) {
            (Some(url), _) => Source::Url(url.to_owned()),
            (None, path) => Source::Path(path.unwrap_or_default().to_owned()),
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
    let mut p = Package::new(Ecosystem::PyPI, name, pin).at_line(line);
    p.source = source;
    Some(p)
}

/// The scope a marker's `"x" in extras` / `"g" in dependency_groups` clauses give.
fn marker_scope(marker: &str, default_groups: &[&str]) -> Scope {
    let (extras, groups) = group_clauses(marker);
    if groups.iter().any(|g| default_groups.contains(g)) {
        Scope::Runtime
    } else if !extras.is_empty() {
        Scope::Optional
    } else if groups.is_empty() {
        Scope::Unknown
    } else if groups.iter().all(|g| is_dev_group(g)) {
        Scope::Development
    } else {
        Scope::Optional
    }
}

/// The quoted names in `"name" in extras` and `"name" in dependency_groups`
/// clauses of a marker (`not in` clauses are skipped).
fn group_clauses(marker: &str) -> (Vec<&str>, Vec<&str>) {
    let mut extras = Vec::new();
    let mut groups = Vec::new();
    let mut rest = marker;
    while let Some(start) = rest.find(['"', '\'']) {
        let quote = rest.get(start..=start).unwrap_or("\"");
        let after = rest.get(start + 1..).unwrap_or_default();
        let Some(end) = after.find(quote) else { break };
        let literal = after.get(..end).unwrap_or_default();
        rest = after.get(end + 1..).unwrap_or_default();
        let Some(tail) = rest.trim_start().strip_prefix("in") else {
            continue;
        };
        if !tail.starts_with(char::is_whitespace) {
            continue;
        }
        let tail = tail.trim_start();
        let word_end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        match tail.get(..word_end) {
            Some("extras") => extras.push(literal),
            Some("dependency_groups") => groups.push(literal),
            _ => {}
        }
    }
    (extras, groups)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileKind;
    use crate::Relation;
    use crate::formats::toml_doc::testing::{fixture_files, flipped};
    use crate::testutil::{Expect, check_fixtures, get, never_panics, parse_str};

    const KIND: FileKind = FileKind::PyLock;

    fn ok(text: &str) -> Parsed {
        parse_str(KIND, "pylock.toml", text).expect("parses")
    }

    const SAMPLE: &str = r#"lock-version = "1.0"
created-by = "tool"
default-groups = ["main"]

[[packages]]
name = "app"
directory = { path = ".", editable = true }
dependencies = [{ name = "Requests" }, { name = "lib", version = "2.0" }]

[[packages]]
name = "requests"
version = "2.32.0"
index = "https://pypi.org/simple"
marker = "'main' in dependency_groups"
dependencies = [{ name = "urllib3" }]

[[packages]]
name = "urllib3"
version = "2.2.1"
marker = "\"socks\" in extras"

[[packages]]
name = "lib"
version = "1.0"
marker = "\"test\" in dependency_groups"

[[packages]]
name = "lib"
version = "2.0"
marker = "\"lint\" in dependency_groups and python_version >= '3.9'"

[[packages]]
name = "fromgit"
vcs = { type = "git", url = "https://github.com/o/fromgit.git", requested-revision = "main", commit-id = "0123abcd" }

[[packages]]
name = "tarball"
archive = { url = "https://example.com/tarball-1.0.tar.gz", hashes = { sha256 = "00" } }
"#;

    #[test]
    fn packages_sources_scopes_and_graph() {
        let p = ok(SAMPLE);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.packages.len(), 7);
        let app = get(&p, "app");
        assert_eq!(app.source, Source::Path(".".into()));
        assert_eq!(
            app.pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert_eq!(app.relation, Relation::Direct);
        let req = get(&p, "requests");
        assert_eq!((req.line, req.scope), (Some(10), Scope::Runtime));
        assert_eq!(req.paths, vec![vec!["app", "requests@2.32.0"]]);
        assert_eq!(get(&p, "urllib3").scope, Scope::Optional);
        assert_eq!(
            get(&p, "urllib3").paths,
            vec![vec!["app", "requests@2.32.0", "urllib3@2.2.1"]]
        );
        let libs: Vec<_> = p.packages.iter().filter(|x| x.name == "lib").collect();
        assert_eq!(
            (libs[0].scope, libs[0].relation),
            (Scope::Development, Relation::Direct),
            "1.0 is not referenced"
        );
        assert_eq!(
            (libs[1].scope, libs[1].relation),
            (Scope::Optional, Relation::Unknown)
        );
        assert_eq!(
            get(&p, "fromgit").source,
            Source::Git {
                url: "https://github.com/o/fromgit.git".into(),
                rev: Some("0123abcd".into())
            }
        );
        assert_eq!(
            get(&p, "tarball").source,
            Source::Url("https://example.com/tarball-1.0.tar.gz".into())
        );
    }

    #[test]
    fn markers() {
        assert_eq!(
            group_clauses("\"a\" in extras or 'b' in dependency_groups"),
            (vec!["a"], vec!["b"])
        );
        assert_eq!(group_clauses("\"a\" not in extras"), (vec![], vec![]));
        assert_eq!(group_clauses("\"x\" in extras_other"), (vec![], vec![]));
        assert_eq!(group_clauses("sys_platform == \"win32\""), (vec![], vec![]));
        assert_eq!(group_clauses("\"unterminated in extras"), (vec![], vec![]));
        assert_eq!(
            marker_scope("sys_platform == 'linux'", &["default"]),
            Scope::Unknown
        );
    }

    #[test]
    fn singular_tables_version_and_errors() {
        let p = ok("lock-version = \"2.0\"\n\n[[package]]\nname = \"a\"\nversion = \"1\"\n");
        assert_eq!(p.packages.len(), 1);
        let w: Vec<_> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(w, [Some(1), Some(3)]);
        let p = ok(
            "lock-version = \"1.0\"\n[[packages]]\nversion = \"1\"\n[[packages]]\nname = \"b\"\n",
        );
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.warnings.len(), 2);
        let e = parse_str(
            KIND,
            "pylock.toml",
            "lock-version = \"1.0\"\npackages = \"x\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse_str(KIND, "pylock.toml", "[project]\nname = \"x\"\n").unwrap_err();
        assert!(e.message.contains("not a pylock.toml"), "{e}");
    }

    #[test]
    fn fixtures_parse_as_expected() {
        let table: &[(&str, Expect)] = &[
            // 8 packages; net-inf-eval is the project (directory "."), mleroc from git.
            (
                "commits.toml",
                Expect::Ok(
                    8,
                    &[
                        ("click", "8.2.1"),
                        ("mleroc", "0.1.0"),
                        ("python-dateutil", "2.9.0.post0"),
                        ("tqdm", "4.67.1"),
                    ],
                ),
            ),
            ("empty.toml", Expect::Ok(0, &[])),
            (
                "example.toml",
                Expect::Ok(
                    3,
                    &[
                        ("attrs", "25.1.0"),
                        ("cattrs", "24.1.2"),
                        ("numpy", "2.2.3"),
                    ],
                ),
            ),
            (
                "names-outside-package-block.toml",
                Expect::Ok(2, &[("first-pkg", "1.0.0"), ("second-pkg", "2.0.0")]),
            ),
            ("not-toml.txt", Expect::Err("not valid TOML", Some(1))),
            (
                "pdm-full.toml",
                Expect::Ok(
                    10,
                    &[
                        ("certifi", "2025.1.31"),
                        ("chardet", "3.0.4"),
                        ("urllib3", "1.26.20"),
                    ],
                ),
            ),
            (
                "pip-full.toml",
                Expect::Ok(
                    5,
                    &[
                        ("annotated-types", "0.7.0"),
                        ("pyproject-toml", "0.1.0"),
                        ("wheel", "0.45.1"),
                    ],
                ),
            ),
            // Only the project itself, without a version.
            ("pip-just-self.toml", Expect::Ok(1, &[])),
        ];
        check_fixtures(cverun_testkit::test_name!(), KIND, "python/pylock", table);
    }

    #[test]
    fn fixture_details() {
        let Some(files) = fixture_files(cverun_testkit::test_name!(), "python/pylock") else {
            return;
        };
        let text = |n: &str| {
            files
                .iter()
                .find(|(f, _)| f == n)
                .map(|(_, t)| t.as_str())
                .unwrap()
        };
        let p = ok(text("commits.toml"));
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(
            get(&p, "mleroc").source,
            Source::Git {
                url: "https://github.com/Veggente/mleroc.git".into(),
                rev: Some("735093f03c4d8be70bfaaae44074ac92d7419b6d".into())
            }
        );
        let me = get(&p, "net-inf-eval");
        assert_eq!(
            (me.source.clone(), me.pin.clone()),
            (
                Source::Path(".".into()),
                Pin::Unpinned {
                    specifier: String::new()
                }
            )
        );
        assert!(
            p.packages.iter().all(|x| x.relation == Relation::Unknown),
            "no dependencies recorded"
        );
        let p = ok(text("example.toml"));
        assert_eq!(get(&p, "cattrs").relation, Relation::Direct);
        assert_eq!(get(&p, "numpy").relation, Relation::Direct);
        assert_eq!(
            get(&p, "attrs").paths,
            vec![vec!["cattrs@24.1.2", "attrs@25.1.0"]]
        );
        assert_eq!(get(&p, "cattrs").line, Some(19));
        let p = ok(text("pdm-full.toml"));
        assert_eq!(get(&p, "chardet").scope, Scope::Runtime);
        assert_eq!(get(&p, "idna").scope, Scope::Runtime);
        assert_eq!(get(&p, "certifi").scope, Scope::Optional);
        assert_eq!(get(&p, "pytest").scope, Scope::Optional);
        let p = ok(text("pip-just-self.toml"));
        assert_eq!(p.packages[0].name, "hspaans-github-io");
        assert_eq!(p.packages[0].line, Some(4));
    }

    #[test]
    fn fixtures_never_panic_when_cut() {
        for (_, text) in
            fixture_files(cverun_testkit::test_name!(), "python/pylock").unwrap_or_default()
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
            let Some(files) = fixture_files(cverun_testkit::test_name!(), "python/pylock") else {
                return Ok(());
            };
            let (file, text) = &files[which % files.len()];
            let _ = parse_str(KIND, file, &flipped(text, &flips));
        }
    }
}
