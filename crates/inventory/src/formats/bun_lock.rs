//! `bun.lock`: Bun's text lockfile (Bun 1.1.39+; the binary `bun.lockb` is not
//! read).
//!
//! The file is JSONC: JSON with `//` and `/* */` comments and trailing commas. A
//! small pre-pass blanks comments and trailing commas outside strings (replacing
//! them with spaces, so every line keeps its number) and serde_json reads the
//! rest. Shape (`lockfileVersion` 0 and 1):
//! `{"lockfileVersion": 1, "workspaces": {"": {"name", "dependencies",
//! "devDependencies", "optionalDependencies", "peerDependencies"}, "packages/a":
//! {…}}, "packages": {"key": ["name@version", "registry", {dependency info},
//! "sha512-…"]}}`. Package keys are install paths with `/` between package names
//! (`chalk/supports-color` is the `supports-color` that `chalk` sees).
//!
//! For cverun:
//! - One package per `packages` entry, named by the first tuple element's name
//!   (aliases are keyed by the alias and name the real package). The part after
//!   the name is the exact version for registry packages ([`Source::Registry`],
//!   whatever the registry, since mirrors are common). `github:`/`git+…` are
//!   [`Source::Git`] (commit after `#`), `file:`, `link:` and `workspace:` are
//!   [`Source::Path`], other URLs (tarballs) [`Source::Url`] (registry-layout
//!   tarballs stay the registry); these record no version and are unpinned with an
//!   empty specifier.
//! - Graph: the `dependencies`, `optionalDependencies` and `peerDependencies`
//!   (Bun installs peers) of the entry's info object; a dependency `N` of the
//!   package at key `a/b` resolves to `a/b/N`, else `a/N`, else `N`.
//! - Direct dependencies: the groups of every workspace (the root `""` and
//!   members, whose entries `name@workspace:path` are direct path packages too);
//!   `dependencies` and `peerDependencies` are runtime, `devDependencies`
//!   development, `optionalDependencies` optional. Scopes spread down the graph
//!   (runtime over optional over development); relations and up to three paths come
//!   from it.
//!
//! Errors and warnings: text that is not JSON(C), JSON that is not an object, or a
//! `packages` that is not an object is an error (with the line); an entry that is
//! not an array starting with a `name@…` string is a warning with its line and is
//! skipped. Whitespace only: an "empty file" warning.
//!
//! Structure: a non-empty object without `lockfileVersion` is not a bun.lock (an
//! error naming a misspelling of it); top-level keys that misspell bun's are
//! warnings; an empty object or a lockfile with no package says it declares no
//! dependency.
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::js_common::{
    add_direct, add_edge, finish, is_registry_tarball, looks_like_version, package, source_of,
    split_name_spec,
};
use super::package_json::GROUPS;
use crate::text::{JsonLines, escape};
use crate::{Input, ParseError, Parsed, Pin, Scope, Source};

/// Blanks `//` and `/* */` comments and trailing commas outside strings, keeping
/// every newline (and so every line number) in place.
pub(crate) fn strip_jsonc(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            match c {
                b'\\' => i += 2,
                b'"' => {
                    in_str = false;
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        match (c, b.get(i + 1)) {
            (b'"', _) => {
                in_str = true;
                i += 1;
            }
            (b'/', Some(b'/')) => {
                while i < b.len() && b[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
            }
            (b'/', Some(b'*')) => {
                let end = text
                    .get(i + 2..)
                    .and_then(|rest| rest.find("*/"))
                    .map_or(b.len(), |j| i + 2 + j + 2);
                for o in out.iter_mut().take(end).skip(i) {
                    if *o != b'\n' {
                        *o = b' ';
                    }
                }
                i = end;
            }
            _ => i += 1,
        }
    }
    // Trailing commas: a comma whose next significant byte closes a container.
    let mut in_str = false;
    let mut i = 0;
    while i < out.len() {
        let c = out[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b',' {
            let next = out[i + 1..].iter().find(|b| !b.is_ascii_whitespace());
            if matches!(next, None | Some(b'}' | b']')) {
                out[i] = b' ';
            }
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Splits a package key into its package names (`@s/a/b` is `@s/a`, `b`).
fn key_names(key: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut parts = key
        .match_indices('/')
        .map(|(i, _)| i)
        .chain(std::iter::once(key.len()));
    while let Some(end) = parts.next() {
        let seg = &key[start..end];
        if seg.starts_with('@') {
            // A scope: the name runs to the next separator.
            let Some(end2) = parts.next() else {
                out.push(&key[start..]);
                break;
            };
            out.push(&key[start..end2]);
            start = end2 + 1;
        } else {
            out.push(seg);
            start = end + 1;
        }
        if start > key.len() {
            break;
        }
    }
    out
}

/// The key `dep` resolves to from the package at `from`: `from/dep`, then each
/// ancestor's, then the top level.
fn resolve(keys: &HashMap<&str, usize>, from: &str, dep: &str) -> Option<usize> {
    let names = key_names(from);
    for n in (0..=names.len()).rev() {
        let candidate = if n == 0 {
            dep.to_owned()
        } else {
            format!("{}/{dep}", names[..n].join("/"))
        };
        if let Some(&i) = keys.get(candidate.as_str()) {
            return Some(i);
        }
    }
    None
}

/// The dependency names an info object lists.
fn dep_names(info: &Map<String, Value>) -> Vec<&str> {
    ["dependencies", "optionalDependencies", "peerDependencies"]
        .iter()
        .filter_map(|g| info.get(*g).and_then(Value::as_object))
        .flat_map(|m| m.keys().map(String::as_str))
        .collect()
}

/// The top-level keys bun writes.
const TOP_KEYS: &[&str] = &[
    "lockfileVersion",
    "configVersion",
    "workspaces",
    "packages",
    "overrides",
    "patchedDependencies",
    "trustedDependencies",
    "catalog",
    "catalogs",
];

/// Parses a bun.lock.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let text = strip_jsonc(input.text);
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        input.error(
            u32::try_from(e.line()).ok().filter(|l| *l > 0),
            format!("not valid JSON: {e}"),
        )
    })?;
    let Some(root) = value.as_object() else {
        return Err(input.error(Some(1), "not a bun.lock: expected a JSON object"));
    };
    let lines = JsonLines::new(&text, 2);
    super::structure::warn_misspelled(
        input,
        root.keys()
            .map(|k| (k.as_str(), lines.line(&format!("/{}", escape(k))))),
        TOP_KEYS,
        &mut parsed.warnings,
    );
    if root.is_empty() {
        return Ok(Parsed::no_dependencies(input, Some(1)));
    }
    if !root.contains_key("lockfileVersion") {
        return Err(input.error(
            Some(1),
            format!(
                "not a bun.lock: no `lockfileVersion`{}",
                super::structure::hint_for("lockfileVersion", root.keys().map(String::as_str))
            ),
        ));
    }
    let empty = Map::new();
    let packages = match root.get("packages") {
        None => &empty,
        Some(p) => p
            .as_object()
            .ok_or_else(|| input.error(lines.line("/packages"), "`packages` is not an object"))?,
    };
    let mut out = Vec::new();
    let mut keys: HashMap<&str, usize> = HashMap::new();
    let mut infos: Vec<(&str, Option<&Map<String, Value>>)> = Vec::new();
    let mut workspace_keys: HashMap<&str, &str> = HashMap::new();
    for (key, value) in packages {
        let line = lines.line(&format!("/packages/{}", escape(key)));
        let first = value
            .as_array()
            .and_then(|a| a.first())
            .and_then(Value::as_str);
        let Some(first) = first else {
            parsed.warnings.push(input.warning(
                line,
                format!("entry `{key}` is not an array starting with `name@version`; skipped"),
            ));
            continue;
        };
        let (name, res) = split_name_spec(first);
        let (name, res) = match res.strip_prefix("npm:") {
            Some(alias) => split_name_spec(alias),
            None => (name, res),
        };
        if name.is_empty() {
            parsed.warnings.push(input.warning(
                line,
                format!("cannot tell the package name of `{first}`; skipped"),
            ));
            continue;
        }
        let (pin, source) = if looks_like_version(res) {
            (Pin::Exact(res.to_owned()), Source::Registry)
        } else if let Some(path) = res.strip_prefix("workspace:") {
            workspace_keys.insert(path, key);
            (
                Pin::Unpinned {
                    specifier: String::new(),
                },
                Source::Path(path.to_owned()),
            )
        } else if is_registry_tarball(res) {
            (
                Pin::Unpinned {
                    specifier: String::new(),
                },
                Source::Registry,
            )
        } else {
            (
                Pin::Unpinned {
                    specifier: String::new(),
                },
                source_of(res),
            )
        };
        let info = value
            .as_array()
            .and_then(|a| a.iter().skip(1).find_map(Value::as_object));
        keys.insert(key, out.len());
        infos.push((key, info));
        out.push(package(name, pin, source, line));
    }
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); out.len()];
    for (key, info) in &infos {
        let (Some(&from), Some(info)) = (keys.get(key), info) else {
            continue;
        };
        for dep in dep_names(info) {
            if let Some(to) = resolve(&keys, key, dep) {
                add_edge(&mut edges, from, to);
            }
        }
    }
    let mut direct: Vec<(usize, Scope)> = Vec::new();
    if let Some(workspaces) = root.get("workspaces").and_then(Value::as_object) {
        for (path, ws) in workspaces {
            let Some(ws) = ws.as_object() else { continue };
            let from = if path.is_empty() {
                ""
            } else {
                match workspace_keys.get(path.as_str()) {
                    Some(k) => {
                        if let Some(&i) = keys.get(k) {
                            add_direct(&mut direct, i, Scope::Runtime);
                        }
                        k
                    }
                    None => "",
                }
            };
            for (group, scope) in GROUPS {
                let Some(map) = ws.get(group).and_then(Value::as_object) else {
                    continue;
                };
                for name in map.keys() {
                    if let Some(i) = resolve(&keys, from, name) {
                        add_direct(&mut direct, i, scope);
                    }
                }
            }
        }
    }
    parsed.packages = finish(out, &edges, &direct);
    if parsed.packages.is_empty() {
        let line = lines.line("/lockfileVersion");
        parsed
            .warnings
            .extend(Parsed::no_dependencies(input, line).warnings);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::js_common::test_support::{
        MemFiles, files_under, fixture_dir, no_panic_cuts, no_panic_flips, parse_with,
    };
    use crate::{Package, Relation};

    fn run(text: &str) -> Result<Parsed, ParseError> {
        parse_with(parse, "svc/bun.lock", text, &MemFiles::default())
    }

    fn find<'a>(p: &'a Parsed, name: &str, version: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|p| p.name == name && p.exact_version() == Some(version))
            .unwrap_or_else(|| panic!("{name}@{version} missing in {:#?}", p.packages))
    }

    #[test]
    fn jsonc() {
        let t = "{\n  // c \"q\"\n  \"a\": \"x//y\", /* b\n c */ \"b\": [1, 2,],\n}\n";
        let s = strip_jsonc(t);
        assert_eq!(s.lines().count(), t.lines().count());
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["a"], "x//y");
        assert_eq!(v["b"], serde_json::json!([1, 2]));
        assert_eq!(strip_jsonc("{\"a\": \"\\\",\"}"), "{\"a\": \"\\\",\"}");
        assert_eq!(
            strip_jsonc("[1, /* x */ ]"),
            format!("[1{}]", " ".repeat(10))
        );
        for t in ["/*", "\"", "\\", ",", "/", "{\"a\\", "é/*é"] {
            let _ = strip_jsonc(t);
        }
    }

    #[test]
    fn key_segments() {
        assert_eq!(key_names("a"), vec!["a"]);
        assert_eq!(key_names("@s/a/b"), vec!["@s/a", "b"]);
        assert_eq!(key_names("a/@s/b/c"), vec!["a", "@s/b", "c"]);
        assert_eq!(key_names("@s"), vec!["@s"]);
    }

    const LOCK: &str = r#"{
  "lockfileVersion": 1,
  // comments are allowed
  "workspaces": {
    "": {
      "name": "app",
      "dependencies": { "a": "^1.0.0", "w": "workspace:*", },
      "devDependencies": { "d": "^1.0.0" },
    },
    "packages/w": {
      "name": "w",
      "dependencies": { "g": "github:o/g" },
    },
  },
  "packages": {
    "a": ["a@1.0.0", "", { "dependencies": { "b": "^2" } }, "sha512-x"],
    "a/b": ["b@2.0.0", "", {}, "sha512-x"],
    "b": ["b@3.0.0", "https://mirror.example/", {}, "sha512-x"],
    "d": ["d@1.0.0", "", { "dependencies": { "b": "^3" } }, "sha512-x"],
    "w": ["w@workspace:packages/w", {}],
    "g": ["g@github:o/g#cafe", {}, "o-g-cafe"],
    "t": ["t@https://example.com/t.tgz", {}],
    "bad": [1, 2],
  },
}"#;

    #[test]
    fn workspaces_graph_sources() {
        let p = run(LOCK).unwrap();
        assert_eq!(p.packages.len(), 7);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(23));
        let a = find(&p, "a", "1.0.0");
        assert_eq!(
            (a.relation, a.scope, a.line),
            (Relation::Direct, Scope::Runtime, Some(16))
        );
        let nested = find(&p, "b", "2.0.0");
        assert_eq!(nested.paths, vec![vec!["a@1.0.0", "b@2.0.0"]]);
        assert_eq!(nested.scope, Scope::Runtime);
        let top = find(&p, "b", "3.0.0");
        assert_eq!(
            (top.relation, top.scope),
            (Relation::Transitive, Scope::Development)
        );
        assert_eq!(top.source, Source::Registry);
        let w = p.packages.iter().find(|p| p.name == "w").unwrap();
        assert_eq!(
            (w.relation, &w.source),
            (Relation::Direct, &Source::Path("packages/w".into()))
        );
        let g = p.packages.iter().find(|p| p.name == "g").unwrap();
        assert_eq!(g.relation, Relation::Direct);
        assert_eq!(
            g.pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert_eq!(
            g.source,
            Source::Git {
                url: "https://github.com/o/g".into(),
                rev: Some("cafe".into())
            }
        );
        let t = p.packages.iter().find(|p| p.name == "t").unwrap();
        assert_eq!(
            (t.relation, &t.source),
            (
                Relation::Unknown,
                &Source::Url("https://example.com/t.tgz".into())
            )
        );
    }

    #[test]
    fn errors() {
        let e = run("this is not json!").unwrap_err();
        assert_eq!(e.line, Some(1));
        let e = run("[]").unwrap_err();
        assert!(e.message.contains("expected a JSON object"), "{e}");
        let e = run("{\n\"lockfileVersion\": 1,\n\"packages\": [],\n}").unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = run("{\n\"packages\": {\n\"a\": [\"a@1.0.0\"\n").unwrap_err();
        assert!(e.message.contains("not valid JSON"), "{e}");
        let p = run("\n").unwrap();
        assert_eq!(p.warnings[0].message, "empty file");
    }

    /// Malformations that used to parse to zero packages without a word.
    #[test]
    fn structure() {
        let e = run("{\n\"packages\": {}\n}").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("no `lockfileVersion`"), "{e}");
        let e = run("{\"lockfileVerison\": 1}").unwrap_err();
        assert!(
            e.message
                .ends_with("found \"lockfileVerison\" (did you mean \"lockfileVersion\"?)"),
            "{e}"
        );
        let p = run("{\n\"lockfileVersion\": 1,\n\"pakages\": {\"a\": [\"a@1.0.0\"]}\n}").unwrap();
        let w: Vec<(Option<u32>, &str)> = p
            .warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(
            w,
            [
                (
                    Some(3),
                    "unknown key \"pakages\" (did you mean \"packages\"?)"
                ),
                (Some(2), "empty: no dependencies declared"),
            ]
        );
        for text in [
            "{}",
            "{\"lockfileVersion\": 1, \"workspaces\": {\"\": {\"name\": \"x\"}}}",
        ] {
            let p = run(text).unwrap();
            assert!(p.packages.is_empty());
            let w: Vec<&str> = p.warnings.iter().map(|w| w.message.as_str()).collect();
            assert_eq!(w, ["empty: no dependencies declared"], "{text}");
        }
    }

    /// Every fixture: expected outcomes read from the files.
    #[test]
    fn fixtures() {
        type Row = (
            &'static str,
            Result<(usize, usize), &'static str>,
            &'static [(&'static str, &'static str)],
        );
        let rows: &[Row] = &[
            (
                "alias.json5",
                Ok((4, 0)),
                &[
                    ("supports-color", "7.2.0"),
                    ("supports-color", "6.1.0"),
                    ("has-flag", "3.0.0"),
                ],
            ),
            ("bad-tuple.json5", Ok((1, 2)), &[("wrappy", "1.0.2")]),
            ("blog-sample.json5", Ok((1, 0)), &[]),
            (
                "commits.json5",
                Ok((18, 0)),
                &[
                    ("@babel/parser", "7.26.5"),
                    ("jquery", "3.7.1"),
                    ("stopwords", "0.0.1"),
                ],
            ),
            ("empty.json5", Ok((0, 1)), &[]), // "empty: no dependencies declared"
            ("files.json5", Ok((2, 0)), &[("lodash", "1.3.1")]),
            (
                "nested-dependencies-dup.json5",
                Ok((7, 0)),
                &[("has-flag", "2.0.0"), ("has-flag", "4.0.0")],
            ),
            (
                "nested-dependencies.json5",
                Ok((9, 0)),
                &[
                    ("supports-color", "5.5.0"),
                    ("supports-color", "7.2.0"),
                    ("has-flag", "3.0.0"),
                ],
            ),
            ("no-packages.json5", Ok((0, 1)), &[]), // "empty: no dependencies declared"
            ("not-json.txt", Err("not valid JSON"), &[]),
            ("one-package-dev.json5", Ok((1, 0)), &[("wrappy", "1.0.2")]),
            ("one-package.json5", Ok((1, 0)), &[("wrappy", "1.0.2")]),
            (
                "optional-package.json5",
                Ok((3, 0)),
                &[
                    ("acorn", "8.14.0"),
                    ("fsevents", "0.3.8"),
                    ("nan", "2.22.0"),
                ],
            ),
            (
                "peer-dependencies-explicit.json5",
                Ok((2, 0)),
                &[("acorn", "8.14.0"), ("acorn-jsx", "5.3.2")],
            ),
            (
                "peer-dependencies-implicit.json5",
                Ok((2, 0)),
                &[("acorn", "8.14.0"), ("acorn-jsx", "5.3.2")],
            ),
            (
                "same-package-different-groups.json5",
                Ok((2, 0)),
                &[("has-flag", "3.0.0"), ("supports-color", "5.5.0")],
            ),
            (
                "scoped-packages-mixed.json5",
                Ok((5, 0)),
                &[("@babel/code-frame", "7.26.2"), ("wrappy", "1.0.2")],
            ),
            (
                "scoped-packages.json5",
                Ok((1, 0)),
                &[("@typescript-eslint/types", "5.62.0")],
            ),
            (
                "two-packages.json5",
                Ok((2, 0)),
                &[("has-flag", "4.0.0"), ("wrappy", "1.0.2")],
            ),
        ];
        let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "bunlock") else {
            return;
        };
        assert_eq!(files_under(&dir).len(), rows.len(), "fixture set changed");
        for (file, expected, pins) in rows {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            let got = parse_with(parse, &path.to_string_lossy(), &text, &crate::DiskFiles);
            match (expected, got) {
                (Ok((n, w)), Ok(p)) => {
                    assert_eq!(p.packages.len(), *n, "{file}: {:#?}", p.packages);
                    assert_eq!(p.warnings.len(), *w, "{file}: {:#?}", p.warnings);
                    for (name, v) in *pins {
                        assert!(
                            p.packages
                                .iter()
                                .any(|p| p.name == *name && p.exact_version() == Some(v)),
                            "{file}: {name}@{v}"
                        );
                    }
                    assert!(p.packages.iter().all(|p| p.line.is_some()), "{file}: lines");
                }
                (Err(msg), Err(e)) => {
                    assert!(e.message.contains(msg), "{file}: {e}");
                    assert_eq!(e.line, Some(1), "{file}");
                }
                (exp, got) => panic!("{file}: expected {exp:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn fixture_details() {
        let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "bunlock") else {
            return;
        };
        let load = |f: &str| {
            let path = dir.join(f);
            let text = std::fs::read_to_string(&path).unwrap();
            parse_with(parse, &path.to_string_lossy(), &text, &crate::DiskFiles).unwrap()
        };
        let p = load("bad-tuple.json5");
        assert_eq!(
            p.warnings.iter().map(|w| w.line).collect::<Vec<_>>(),
            vec![Some(12), Some(14)]
        );
        assert_eq!(find(&p, "wrappy", "1.0.2").relation, Relation::Direct);

        let p = load("alias.json5");
        let old = find(&p, "supports-color", "6.1.0");
        assert_eq!((old.relation, old.line), (Relation::Direct, Some(17)));
        assert_eq!(
            find(&p, "has-flag", "3.0.0").paths,
            vec![vec!["supports-color@6.1.0", "has-flag@3.0.0"]]
        );
        assert_eq!(
            find(&p, "has-flag", "4.0.0").paths,
            vec![vec!["supports-color@7.2.0", "has-flag@4.0.0"]]
        );

        let p = load("blog-sample.json5");
        let u = &p.packages[0];
        assert_eq!(
            (u.name.as_str(), u.relation),
            ("uWebSockets.js", Relation::Direct)
        );
        assert_eq!(
            u.source,
            Source::Git {
                url: "https://github.com/uNetworking/uWebSockets.js".into(),
                rev: Some("6609a88".into())
            }
        );

        let p = load("files.json5");
        let etag = p.packages.iter().find(|p| p.name == "etag").unwrap();
        assert_eq!(
            (etag.relation, etag.scope),
            (Relation::Direct, Scope::Development)
        );
        assert_eq!(etag.source, Source::Path("deps/etag".into()));

        let p = load("nested-dependencies.json5");
        assert_eq!(
            find(&p, "has-flag", "4.0.0").paths,
            vec![vec![
                "chalk@4.1.2",
                "supports-color@7.2.0",
                "has-flag@4.0.0"
            ]]
        );
        assert_eq!(find(&p, "has-flag", "4.0.0").scope, Scope::Development);
        assert_eq!(find(&p, "has-flag", "3.0.0").scope, Scope::Runtime);

        let p = load("optional-package.json5");
        assert_eq!(find(&p, "fsevents", "0.3.8").scope, Scope::Optional);
        assert_eq!(find(&p, "nan", "2.22.0").scope, Scope::Optional);
        assert_eq!(find(&p, "acorn", "8.14.0").scope, Scope::Runtime);

        let p = load("peer-dependencies-implicit.json5");
        assert_eq!(
            find(&p, "acorn", "8.14.0").relation,
            Relation::Transitive,
            "installed as a peer"
        );

        let p = load("same-package-different-groups.json5");
        let hf = find(&p, "has-flag", "3.0.0");
        assert_eq!(
            (hf.relation, hf.scope),
            (Relation::Direct, Scope::Runtime),
            "needed at run time too"
        );

        let p = load("commits.json5");
        let php = p
            .packages
            .iter()
            .find(|p| p.name == "babel-preset-php")
            .unwrap();
        assert!(
            matches!(&php.source, Source::Git { rev: Some(r), .. } if r.starts_with("1ae6dc12"))
        );
        assert_eq!(php.scope, Scope::Development);
        assert_eq!(
            find(&p, "php-parser", "2.2.0").paths,
            vec![vec!["babel-preset-php", "php-parser@2.2.0"]]
        );
    }

    #[test]
    fn no_panic_on_cuts() {
        if let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "bunlock") {
            no_panic_cuts(parse, &files_under(&dir));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn no_panic_on_flipped_bytes(file in 0usize..64, flips in proptest::collection::vec((0usize..100_000, proptest::num::u8::ANY), 1..8)) {
            let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "bunlock") else {
                return Ok(());
            };
            let files = files_under(&dir);
            no_panic_flips(parse, &files[file % files.len()], &flips);
        }
    }
}
