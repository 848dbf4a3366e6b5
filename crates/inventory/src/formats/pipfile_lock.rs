//! Pipenv's `Pipfile.lock` (JSON, `pipfile-spec` 6 and the earlier specs, which
//! share the same layout).
//!
//! The file is one JSON object: `_meta` (hash, sources, requirements) and one
//! object per package category, `default` ([`Scope::Runtime`]) and `develop`
//! ([`Scope::Development`]); newer Pipenv versions add a section for each custom
//! category of the Pipfile (installed only on request: [`Scope::Development`] when
//! its name is `dev`/`test`-like, [`Scope::Optional`] otherwise). Each section
//! maps a package name to `{"version": "==1.2.3", "hashes", "markers", "index"}`,
//! or, for a package not from an index, to `git` + `ref`, `path` or `file`
//! (`editable` is ignored).
//!
//! - Pins: `==X` or `===X` is exact; another specifier is kept as unpinned with
//!   it; no version is unpinned with an empty specifier (a registry package
//!   without a version is also a warning).
//! - Sources: `git` is [`Source::Git`] with `ref` as the revision, `path` is
//!   [`Source::Path`], `file` is [`Source::Url`] (or a path when it is not a URL);
//!   anything else is the registry (a named `index` from `_meta.sources` is
//!   treated as a PyPI mirror).
//! - A package in several sections is listed once per section, with that
//!   section's scope.
//! - Relations: the lockfile records neither the graph nor which packages the
//!   project asked for, so packages are [`Relation::Unknown`]. When a `Pipfile`
//!   sits beside the lockfile (read through [`crate::Files`]), every package named
//!   in one of its package sections is [`Relation::Direct`] and the others
//!   [`Relation::Transitive`]; an unreadable or invalid `Pipfile` is a warning and
//!   changes nothing.
//! - A package entry that is not an object, or whose `version` is not a string, is
//!   kept (unpinned) with a warning. Text that is not JSON, a top level that is
//!   not an object, an object with none of `_meta`/`default`/`develop`, or a
//!   `default`/`develop` that is not an object is an error.

use std::collections::HashSet;

use cverun_versions::Ecosystem;
use serde_json::Value;

use super::python::{is_dev_group, norm, pin_from_specifier};
use super::toml_doc::Doc;
use crate::text::{JsonLines, escape};
use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope, Source, Warning};

/// Pipfile tables that are not package categories.
const PIPFILE_NON_PACKAGE_TABLES: [&str; 4] = ["source", "requires", "scripts", "pipenv"];

/// Parses a `Pipfile.lock`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    if input.text.trim().is_empty() {
        return Ok(Parsed {
            warnings: vec![input.warning(None, "empty file")],
            ..Parsed::default()
        });
    }
    let value: Value = serde_json::from_str(input.text).map_err(|e| {
        let line = u32::try_from(e.line()).ok().filter(|&l| l > 0);
        let message = e.to_string();
        let message = message
            .split(" at line ")
            .next()
            .unwrap_or(&message)
            .to_owned();
        input.error(line, format!("not valid JSON: {message}"))
    })?;
    let start_line = first_token_line(input.text);
    let Value::Object(root) = value else {
        return Err(input.error(
            Some(start_line),
            format!(
                "a Pipfile.lock is a JSON object, found {}",
                json_type(&value)
            ),
        ));
    };
    if !["_meta", "default", "develop"]
        .iter()
        .any(|k| root.contains_key(*k))
    {
        return Err(input.error(
            Some(start_line),
            "not a Pipfile.lock: the object has none of \"_meta\", \"default\", \"develop\"",
        ));
    }
    let lines = JsonLines::new(input.text, 2);
    let mut warnings = Vec::new();
    let mut packages = Vec::new();
    for (section, entries) in &root {
        if section == "_meta" {
            continue;
        }
        let section_line = lines.line(&format!("/{}", escape(section)));
        let Value::Object(entries) = entries else {
            if section == "default" || section == "develop" {
                return Err(input.error(
                    section_line,
                    format!(
                        "\"{section}\" must be an object of packages, found {}",
                        json_type(entries)
                    ),
                ));
            }
            warnings.push(input.warning(
                section_line,
                format!(
                    "unexpected top-level \"{section}\" ({}); ignored",
                    json_type(entries)
                ),
            ));
            continue;
        };
        let scope = match section.as_str() {
            "default" => Scope::Runtime,
            "develop" => Scope::Development,
            other if is_dev_group(other) => Scope::Development,
            _ => Scope::Optional,
        };
        for (name, entry) in entries {
            let line = lines.line(&format!("/{}/{}", escape(section), escape(name)));
            packages.push(package(input, name, entry, scope, line, &mut warnings));
        }
    }
    packages.sort_by_key(|p| p.line);
    if let Some(direct) = pipfile_names(input, &mut warnings) {
        for p in &mut packages {
            p.relation = if direct.contains(&p.name) {
                Relation::Direct
            } else {
                Relation::Transitive
            };
        }
    }
    Ok(Parsed {
        packages,
        warnings,
        includes: Vec::new(),
    })
}

/// One package entry of a section.
fn package(
    input: &Input<'_>,
    name: &str,
    entry: &Value,
    scope: Scope,
    line: Option<u32>,
    warnings: &mut Vec<Warning>,
) -> Package {
    let mut p = Package::new(
        Ecosystem::PyPI,
        name,
        Pin::Unpinned {
            specifier: String::new(),
        },
    );
    p.scope = scope;
    p.line = line;
    let Value::Object(fields) = entry else {
        warnings.push(input.warning(
            line,
            format!(
                "entry for {name} is {}, not an object; kept without a version",
                json_type(entry)
            ),
        ));
        return p;
    };
    let text = |key: &str| fields.get(key).and_then(Value::as_str);
    p.source = if let Some(url) = text("git") {
        Source::Git {
            url: url.to_owned(),
            rev: text("ref").map(str::to_owned),
        }
    } else if let Some(path) = text("path") {
        Source::Path(path.to_owned())
    } else if let Some(file) = text("file") {
        if file.contains("://") && !file.starts_with("file:") {
            Source::Url(file.to_owned())
        } else {
            Source::Path(file.trim_start_matches("file://").to_owned())
        }
    } else {
        Source::Registry
    };
    match fields.get("version") {
        Some(Value::String(v)) => p.pin = pin_from_specifier(v),
        Some(other) => warnings.push(input.warning(
            line,
            format!(
                "version of {name} is {}, not a string; kept unpinned",
                json_type(other)
            ),
        )),
        None if p.source == Source::Registry => {
            warnings.push(input.warning(line, format!("{name} has no version; kept unpinned")));
        }
        None => {}
    }
    p
}

/// The normalised names the `Pipfile` beside the lockfile declares, when there is
/// one and it declares any.
fn pipfile_names(input: &Input<'_>, warnings: &mut Vec<Warning>) -> Option<HashSet<String>> {
    let (path, text) = input.sibling("Pipfile", "direct dependencies unknown", warnings)?;
    let sibling = Input {
        path: &path,
        text: &text,
        files: input.files,
    };
    let doc = match Doc::parse(&sibling) {
        Ok(doc) => doc,
        Err(e) => {
            warnings.push(input.warning(None, format!("{e}; direct dependencies unknown")));
            return None;
        }
    };
    let mut names = HashSet::new();
    for (section, value) in doc.root.iter() {
        if PIPFILE_NON_PACKAGE_TABLES.contains(&section.get_ref().as_ref()) {
            continue;
        }
        if let Some(table) = value.get_ref().as_table() {
            names.extend(table.iter().map(|(k, _)| norm(k.get_ref())));
        }
    }
    (!names.is_empty()).then_some(names)
}

/// The line of the first non-blank character (where the top-level value starts).
fn first_token_line(text: &str) -> u32 {
    let offset = text.find(|c: char| !c.is_whitespace()).unwrap_or(0);
    crate::text::LineIndex::new(text).line(offset)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FileKind;
    use crate::formats::toml_doc::testing::{fixture_files, flipped, run};
    use crate::testutil::{Expect, MemFiles, check_fixtures, never_panics, parse_str};

    const KIND: FileKind = FileKind::PipfileLock;

    fn ok(text: &str) -> Parsed {
        parse_str(KIND, "Pipfile.lock", text).expect("parses")
    }

    fn find<'a>(p: &'a Parsed, name: &str, scope: Scope) -> &'a Package {
        p.packages
            .iter()
            .find(|x| x.name == name && x.scope == scope)
            .unwrap_or_else(|| panic!("{name} {scope:?} in {:?}", p.packages))
    }

    const SAMPLE: &str = r#"{
    "_meta": {"pipfile-spec": 6, "sources": [{"name": "pypi", "url": "https://pypi.org/simple"}]},
    "default": {
        "Flask_Login": {"version": "==0.6.3", "index": "pypi"},
        "legacy": {"version": "===1.0-custom"},
        "ranged": {"version": ">=2.0"},
        "mylib": {"editable": true, "git": "https://github.com/x/mylib.git", "ref": "abc123"},
        "local": {"path": "./libs/local"},
        "remote": {"file": "https://example.com/remote-1.0.tar.gz"}
    },
    "develop": {
        "flask-login": {"version": "==0.6.3"},
        "pytest": {"version": "==8.0.0", "markers": "python_version >= '3.8'"}
    },
    "docs": {
        "sphinx": {"version": "==7.2.6"}
    }
}"#;

    #[test]
    fn sections_pins_sources_and_lines() {
        let p = ok(SAMPLE);
        assert_eq!(p.packages.len(), 9);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let login = find(&p, "flask-login", Scope::Runtime);
        assert_eq!(login.pin, Pin::Exact("0.6.3".into()));
        assert_eq!(login.line, Some(4));
        assert_eq!(login.relation, Relation::Unknown);
        assert_eq!(login.source, Source::Registry);
        let dev_login = find(&p, "flask-login", Scope::Development);
        assert_eq!(dev_login.line, Some(12), "kept once per section");
        assert_eq!(
            find(&p, "legacy", Scope::Runtime).pin,
            Pin::Exact("1.0-custom".into())
        );
        assert_eq!(
            find(&p, "ranged", Scope::Runtime).pin,
            Pin::Unpinned {
                specifier: ">=2.0".into()
            }
        );
        let git = find(&p, "mylib", Scope::Runtime);
        assert_eq!(
            git.pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert_eq!(
            git.source,
            Source::Git {
                url: "https://github.com/x/mylib.git".into(),
                rev: Some("abc123".into())
            }
        );
        assert_eq!(
            find(&p, "local", Scope::Runtime).source,
            Source::Path("./libs/local".into())
        );
        assert_eq!(
            find(&p, "remote", Scope::Runtime).source,
            Source::Url("https://example.com/remote-1.0.tar.gz".into())
        );
        assert_eq!(find(&p, "pytest", Scope::Development).line, Some(13));
        assert_eq!(find(&p, "sphinx", Scope::Optional).line, Some(16));
        // File order.
        let lines: Vec<_> = p.packages.iter().map(|x| x.line.unwrap()).collect();
        assert!(lines.windows(2).all(|w| w[0] < w[1]), "{lines:?}");
    }

    #[test]
    fn pipfile_beside_marks_direct() {
        let pipfile = "[[source]]\nname = \"pypi\"\nurl = \"https://pypi.org/simple\"\n\n[packages]\nflask-login = \"*\"\nmylib = {git = \"https://github.com/x/mylib.git\"}\n\n[dev-packages]\npytest = \"*\"\n";
        let files = MemFiles::with(&[("svc/Pipfile", pipfile)]);
        let p = run(KIND, "svc/Pipfile.lock", SAMPLE, &files).unwrap();
        assert_eq!(
            find(&p, "flask-login", Scope::Runtime).relation,
            Relation::Direct
        );
        assert_eq!(
            find(&p, "flask-login", Scope::Development).relation,
            Relation::Direct
        );
        assert_eq!(
            find(&p, "pytest", Scope::Development).relation,
            Relation::Direct
        );
        assert_eq!(find(&p, "mylib", Scope::Runtime).relation, Relation::Direct);
        assert_eq!(
            find(&p, "ranged", Scope::Runtime).relation,
            Relation::Transitive
        );

        let bad = MemFiles::with(&[("svc/Pipfile", "[packages\n")]);
        let p = run(KIND, "svc/Pipfile.lock", SAMPLE, &bad).unwrap();
        assert!(p.packages.iter().all(|x| x.relation == Relation::Unknown));
        assert_eq!(p.warnings.len(), 1);
        assert!(
            p.warnings[0].message.contains("Pipfile"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn odd_entries_are_kept_with_warnings() {
        let text = "{\n \"default\": {\n  \"a\": \"==1.0\",\n  \"b\": {\"version\": 2},\n  \"c\": {\"hashes\": []}\n },\n \"extra\": 5\n}";
        let p = ok(text);
        assert_eq!(p.packages.len(), 3);
        assert!(p.packages.iter().all(|x| x.pin
            == Pin::Unpinned {
                specifier: String::new()
            }));
        let lines: Vec<_> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [Some(3), Some(4), Some(5), Some(7)]);
    }

    #[test]
    fn errors() {
        let e = parse_str(KIND, "Pipfile.lock", "[1, 2]").unwrap_err();
        assert!(e.message.contains("JSON object"), "{e}");
        assert_eq!(e.line, Some(1));
        let e = parse_str(KIND, "Pipfile.lock", "{\"name\": \"x\"}").unwrap_err();
        assert!(e.message.contains("not a Pipfile.lock"), "{e}");
        let e = parse_str(
            KIND,
            "Pipfile.lock",
            "{\n\"_meta\": {},\n\"default\": []\n}",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = parse_str(
            KIND,
            "Pipfile.lock",
            "{\n\"_meta\": {},\n\"default\": {,}\n}",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.starts_with("not valid JSON"), "{e}");
        let p = ok("  \n");
        assert!(p.packages.is_empty());
        assert_eq!(p.warnings[0].message, "empty file");
    }

    /// Expected outcome of a fixture, read from the fixture itself.

    #[test]
    fn fixtures_parse_as_expected() {
        let table: &[(&str, Expect)] = &[
            ("empty-file", Expect::Ok(0, &[])),
            ("empty.json", Expect::Ok(0, &[])),
            ("minified.json", Expect::Ok(1, &[("markupsafe", "2.1.1")])),
            // itsdangerous, pluggy, markupsafe in default; itsdangerous, pluggy in develop.
            (
                "multiple-packages.json",
                Expect::Ok(
                    5,
                    &[
                        ("itsdangerous", "2.1.2"),
                        ("pluggy", "1.0.1"),
                        ("pluggy", "1.0.0"),
                        ("markupsafe", "2.1.1"),
                    ],
                ),
            ),
            // Two git packages without versions: kept, unpinned.
            ("no-version.json", Expect::Ok(2, &[])),
            ("not-json.txt", Expect::Err("not valid JSON", Some(1))),
            (
                "one-package-dev.json",
                Expect::Ok(1, &[("markupsafe", "2.1.1")]),
            ),
            (
                "one-package.json",
                Expect::Ok(1, &[("markupsafe", "2.1.1")]),
            ),
            (
                "two-packages-alt.json",
                Expect::Ok(2, &[("itsdangerous", "2.1.2"), ("markupsafe", "2.1.1")]),
            ),
            (
                "two-packages.json",
                Expect::Ok(2, &[("itsdangerous", "2.1.2"), ("markupsafe", "2.1.1")]),
            ),
        ];
        check_fixtures(
            cverun_testkit::test_name!(),
            KIND,
            "python/pipfilelock",
            table,
        );
    }

    #[test]
    fn fixture_details() {
        let Some(files) = fixture_files(cverun_testkit::test_name!(), "python/pipfilelock") else {
            return;
        };
        let get = |n: &str| {
            files
                .iter()
                .find(|(f, _)| f == n)
                .map(|(_, t)| t.as_str())
                .unwrap()
        };
        let p = ok(get("no-version.json"));
        let m = find(&p, "markupsafe", Scope::Runtime);
        assert_eq!(m.line, Some(19));
        assert!(
            matches!(&m.source, Source::Git { rev: Some(r), .. } if r == "b36054111bc1e8bbadb5d0d60158feb72926f467")
        );
        assert!(matches!(
            find(&p, "itsdangerous", Scope::Development).source,
            Source::Git { .. }
        ));
        let p = ok(get("one-package-dev.json"));
        assert_eq!(p.packages[0].scope, Scope::Development);
        let p = ok(get("multiple-packages.json"));
        assert_eq!(
            find(&p, "pluggy", Scope::Runtime).exact_version(),
            Some("1.0.1")
        );
        assert_eq!(
            find(&p, "pluggy", Scope::Development).exact_version(),
            Some("1.0.0")
        );
        assert_eq!(find(&p, "markupsafe", Scope::Runtime).line, Some(32));
    }

    #[test]
    fn fixtures_never_panic_when_cut() {
        for (_, text) in
            fixture_files(cverun_testkit::test_name!(), "python/pipfilelock").unwrap_or_default()
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
            let Some(files) = fixture_files(cverun_testkit::test_name!(), "python/pipfilelock") else {
                return Ok(());
            };
            let (file, text) = &files[which % files.len()];
            let _ = parse_str(KIND, file, &flipped(text, &flips));
        }
    }
}
