//! `package-lock.json` and `npm-shrinkwrap.json`: npm's lockfile.
//!
//! Versions read:
//! - `lockfileVersion` 2 and 3 (npm 7+): the `packages` object, keyed by install
//!   path. `""` is the root project; `node_modules/a` and
//!   `node_modules/a/node_modules/@s/b` are installed packages, named by the part
//!   after the last `node_modules/` unless the entry's own `name` says otherwise
//!   (`npm:` aliases). Other keys (`packages/app`, `deps/etag`) are local
//!   directories (workspace members, `file:` dependencies), named by their `name`
//!   field or else the last segment of the path. Whenever `packages` is present it
//!   is read and the legacy `dependencies` tree beside it is ignored (unless
//!   `packages` holds only the root and the tree has entries).
//! - `lockfileVersion` 1 (npm 5 and 6), and any lockfile with only `dependencies`:
//!   a nested tree `name -> {version, resolved, dev, optional, requires,
//!   dependencies}` where a nested entry is installed under its parent's
//!   `node_modules`. Its `version` may be `npm:real@1.2.3` (an alias: the package is
//!   `real`), a git URL, `github:…` or `file:…` (then there is no version).
//!
//! For cverun:
//! - Each installed copy is its own package: the same name at two install paths
//!   (perhaps at two versions) is two packages, each with its own line (the line of
//!   its key). A missing `version` is kept as an unpinned package with an empty
//!   specifier.
//! - Source: `link: true` entries and local directories are [`Source::Path`] (a
//!   link and its target are one package: the target); a `resolved` (or, in v1, a
//!   `version`) of `git+…`/`github:…` is [`Source::Git`], `file:…` a path, a
//!   tarball with the registry layout (`…/-/a-1.0.0.tgz`, any host, since mirrors are
//!   common) [`Source::Registry`], any other URL [`Source::Url`]. No `resolved` at
//!   all (bundled dependencies) is the registry.
//! - Scope from npm's flags: `dev` (only needed for development, alone or with
//!   `optional`) is [`Scope::Development`]; `optional` (only needed by optional
//!   dependencies) and `devOptional` (a dev dependency that production installs too,
//!   as an optional one) are [`Scope::Optional`]; no flag is [`Scope::Runtime`].
//! - Graph: a dependency `N` (from `dependencies`, `optionalDependencies`,
//!   `peerDependencies` in v2/v3; `requires` in v1) of the package at path `P`
//!   resolves as Node does: to the nearest `<ancestor>/node_modules/N` walking up
//!   from `P` to the root. Dependencies that resolve to nothing (optional or peer
//!   dependencies not installed) add no edge. `devDependencies` of non-root entries
//!   are not installed and add no edge.
//! - Direct dependencies: in v2/v3, the root entry's `dependencies`,
//!   `devDependencies`, `optionalDependencies` and `peerDependencies` (resolved from
//!   the root; a `file:` specifier that resolves to no `node_modules` entry names the
//!   directory entry). When the root declares `workspaces`, every local directory
//!   entry is a workspace member: it and its own dependencies are direct too. In v1
//!   the lockfile does not name them: they come from the `package.json` beside the
//!   lockfile when there is one (a warning says so when it cannot be read); without
//!   it relations stay unknown and there are no paths. Relations and up to three
//!   shortest paths then come from the graph.
//!
//! Errors and warnings: text that is not JSON, JSON that is not an object, or a
//! `packages`/`dependencies` that is not an object is an error (with the line); an
//! entry that is not an object, or whose name cannot be told, is a warning with its
//! line and is skipped. Whitespace only: no packages and an "empty file" warning.
//! Structure: a `lockfileVersion` that is not a number, or a lockfile with no
//! `packages` or `dependencies` (allowed only in a version 1 lockfile, whose
//! project has no dependencies) is an error, naming a misspelled key if there is
//! one; top-level keys that misspell npm's are warnings; no package at all is an
//! "empty" warning.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::js_common::{
    NPM, add_direct, add_edge, finish, join_path, looks_like_version, package, pin_of, source_of,
    split_name_spec,
};
use super::package_json;
use crate::text::{JsonLines, escape};
use crate::{Input, Package, ParseError, Parsed, Pin, Scope, Source};

/// How deep (in JSON levels) lines are indexed; a v1 entry nested `k` levels down
/// sits at depth `2k`.
const LINE_DEPTH: usize = 64;

/// Parses a package-lock.json or npm-shrinkwrap.json.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let value: Value = serde_json::from_str(input.text).map_err(|e| {
        input.error(
            u32::try_from(e.line()).ok().filter(|l| *l > 0),
            format!("not valid JSON: {e}"),
        )
    })?;
    let Some(root) = value.as_object() else {
        return Err(input.error(Some(1), "not a package-lock.json: expected a JSON object"));
    };
    let top = JsonLines::new(input.text, 1);
    check_structure(input, root, &top, &mut parsed.warnings)?;
    // `packages` wins unless it holds nothing but the root while the legacy tree
    // has entries (then the tree is all there is to read).
    let legacy_only = root
        .get("packages")
        .and_then(Value::as_object)
        .is_some_and(|p| p.keys().all(String::is_empty))
        && root
            .get("dependencies")
            .and_then(Value::as_object)
            .is_some_and(|d| !d.is_empty());
    if let Some(packages) = root.get("packages").filter(|_| !legacy_only) {
        let lines = JsonLines::new(input.text, 2);
        let Some(packages) = packages.as_object() else {
            return Err(input.error(lines.line("/packages"), "`packages` is not an object"));
        };
        parsed.packages = parse_packages(input, packages, &lines, &mut parsed.warnings);
    } else if let Some(deps) = root.get("dependencies") {
        let lines = JsonLines::new(input.text, LINE_DEPTH);
        let Some(deps) = deps.as_object() else {
            return Err(input.error(
                lines.line("/dependencies"),
                "`dependencies` is not an object",
            ));
        };
        parsed.packages = parse_tree(input, deps, &lines, &mut parsed.warnings);
    }
    if parsed.packages.is_empty() {
        let line = top.line("/packages").or(top.line("/dependencies"));
        let empty = Parsed::no_dependencies(input, line);
        parsed.warnings.extend(empty.warnings);
    }
    Ok(parsed)
}

/// The top-level keys npm writes.
const TOP_KEYS: &[&str] = &[
    "name",
    "version",
    "lockfileVersion",
    "requires",
    "packages",
    "dependencies",
];

/// Checks the structure that makes a file a package-lock.json: a `lockfileVersion`
/// number, and a `packages` or `dependencies` member, except in a version 1
/// lockfile (that of a project without dependencies has neither) and in an empty
/// object (read as an empty lockfile). Misspelled top-level keys are
/// warnings.
fn check_structure(
    input: &Input<'_>,
    root: &Map<String, Value>,
    top: &JsonLines,
    warnings: &mut Vec<crate::Warning>,
) -> Result<(), ParseError> {
    let keys = || root.keys().map(String::as_str);
    super::structure::warn_misspelled(
        input,
        keys().map(|k| (k, top.line(&format!("/{}", escape(k))))),
        TOP_KEYS,
        warnings,
    );
    let version = match root.get("lockfileVersion") {
        None => None,
        Some(v) => Some(v.as_u64().ok_or_else(|| {
            input.error(
                top.line("/lockfileVersion"),
                format!("`lockfileVersion` is not a number: {v}"),
            )
        })?),
    };
    let has = |k: &str| root.contains_key(k);
    match version {
        Some(v) if v >= 2 && !has("packages") && !has("dependencies") => Err(input.error(
            top.line("/lockfileVersion"),
            format!(
                "not a package-lock.json: lockfileVersion {v} without a `packages` object{}",
                super::structure::hint_for("packages", keys())
            ),
        )),
        None if !root.is_empty() && !has("packages") && !has("dependencies") => {
            let hint = keys()
                .find_map(|k| super::structure::misspelling_of(k, TOP_KEYS).map(|w| (k, w)))
                .map(|(k, w)| format!("; found {k:?} (did you mean {w:?}?)"))
                .unwrap_or_default();
            Err(input.error(
                Some(1),
                format!(
                    "not a package-lock.json: no `lockfileVersion`, `packages` or `dependencies`{hint}"
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// The scope npm's flags give an entry.
fn scope_of(entry: &Map<String, Value>) -> Scope {
    let flag = |k: &str| entry.get(k).and_then(Value::as_bool).unwrap_or(false);
    if flag("dev") {
        Scope::Development
    } else if flag("optional") || flag("devOptional") {
        Scope::Optional
    } else {
        Scope::Runtime
    }
}

/// The install path `N` resolves to from the package at `from`, walking up the
/// `node_modules` directories as Node does.
fn resolve_from(keys: &HashMap<String, usize>, from: &str, dep: &str) -> Option<usize> {
    let mut cur: &str = from;
    loop {
        let candidate = if cur.is_empty() {
            format!("node_modules/{dep}")
        } else {
            format!("{cur}/node_modules/{dep}")
        };
        if let Some(&i) = keys.get(&candidate) {
            return Some(i);
        }
        if cur.is_empty() {
            return None;
        }
        cur = parent_of(cur);
    }
}

/// The install path whose `node_modules` holds `path` (`""` for top-level ones and
/// for local directories).
fn parent_of(path: &str) -> &str {
    match path.rfind("/node_modules/") {
        Some(i) => &path[..i],
        None => "",
    }
}

/// The package name an install path names (the part after the last
/// `node_modules/`).
fn name_from_path(path: &str) -> Option<&str> {
    let i = path.rfind("node_modules/")?;
    let name = &path[i + "node_modules/".len()..];
    (!name.is_empty()).then_some(name)
}

/// True for install paths under a `node_modules` directory.
fn in_node_modules(path: &str) -> bool {
    path.starts_with("node_modules/") || path.contains("/node_modules/")
}

/// The dependency names an entry lists in `groups`, with their specifiers.
fn deps_of<'a>(entry: &'a Map<String, Value>, groups: &[&str]) -> Vec<(&'a str, &'a str)> {
    let mut out = Vec::new();
    for g in groups {
        if let Some(map) = entry.get(*g).and_then(Value::as_object) {
            out.extend(
                map.iter()
                    .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or(""))),
            );
        }
    }
    out
}

/// Resolves a direct dependency declared by the entry at `from`: through
/// `node_modules`, or for `file:`/`link:` specifiers, to the directory entry.
fn resolve_direct(
    keys: &HashMap<String, usize>,
    from: &str,
    name: &str,
    spec: &str,
) -> Option<usize> {
    resolve_from(keys, from, name).or_else(|| {
        let path = spec
            .strip_prefix("file:")
            .or_else(|| spec.strip_prefix("link:"))?;
        keys.get(&join_path(from, path)).copied()
    })
}

/// Lockfile v2/v3: the `packages` object.
fn parse_packages(
    input: &Input<'_>,
    packages: &Map<String, Value>,
    lines: &JsonLines,
    warnings: &mut Vec<crate::Warning>,
) -> Vec<Package> {
    let line_of = |key: &str| lines.line(&format!("/packages/{}", escape(key)));
    let mut out: Vec<Package> = Vec::new();
    let mut keys: HashMap<String, usize> = HashMap::new();
    let mut nodes: Vec<(&str, &Map<String, Value>)> = Vec::new();
    let mut links: Vec<(&str, &Map<String, Value>)> = Vec::new();
    let mut root: Option<&Map<String, Value>> = None;
    for (key, value) in packages {
        let Some(entry) = value.as_object() else {
            warnings.push(input.warning(
                line_of(key),
                format!("entry `{key}` is not an object; skipped"),
            ));
            continue;
        };
        if key.is_empty() {
            root = Some(entry);
        } else if entry.get("link").and_then(Value::as_bool) == Some(true) {
            links.push((key, entry));
        } else {
            nodes.push((key, entry));
        }
    }
    for (key, entry) in &nodes {
        let local = !in_node_modules(key);
        let name = entry
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .or_else(|| {
                if local {
                    key.rsplit('/').next()
                } else {
                    name_from_path(key)
                }
            })
            .filter(|n| !n.is_empty() && *n != "." && *n != "..");
        let Some(name) = name else {
            warnings.push(input.warning(
                line_of(key),
                format!("cannot tell the package name of `{key}`; skipped"),
            ));
            continue;
        };
        let source = if local {
            Source::Path((*key).to_owned())
        } else {
            source_of(entry.get("resolved").and_then(Value::as_str).unwrap_or(""))
        };
        let mut p = package(
            name,
            pin_of(entry.get("version").and_then(Value::as_str)),
            source,
            line_of(key),
        );
        p.scope = scope_of(entry);
        keys.insert((*key).to_owned(), out.len());
        out.push(p);
    }
    for (key, entry) in &links {
        let target = entry
            .get("resolved")
            .and_then(Value::as_str)
            .map(|r| join_path("", r));
        if let Some(&i) = target.as_ref().and_then(|t| keys.get(t)) {
            keys.insert((*key).to_owned(), i);
            continue;
        }
        let Some(name) = entry
            .get("name")
            .and_then(Value::as_str)
            .or_else(|| name_from_path(key))
        else {
            warnings.push(input.warning(
                line_of(key),
                format!("cannot tell the package name of `{key}`; skipped"),
            ));
            continue;
        };
        let path = target.unwrap_or_else(|| (*key).to_owned());
        let mut p = package(
            name,
            pin_of(entry.get("version").and_then(Value::as_str)),
            Source::Path(path),
            line_of(key),
        );
        p.scope = scope_of(entry);
        keys.insert((*key).to_owned(), out.len());
        out.push(p);
    }
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); out.len()];
    for (key, entry) in &nodes {
        let Some(&from) = keys.get(*key) else {
            continue;
        };
        for (dep, _) in deps_of(
            entry,
            &["dependencies", "optionalDependencies", "peerDependencies"],
        ) {
            if let Some(to) = resolve_from(&keys, key, dep) {
                add_edge(&mut edges, from, to);
            }
        }
    }
    let mut direct: Vec<(usize, Scope)> = Vec::new();
    match root {
        Some(root) => {
            add_declared(&keys, "", root, &mut direct);
            if root.contains_key("workspaces") {
                for (key, entry) in &nodes {
                    if in_node_modules(key) {
                        continue;
                    }
                    if let Some(&i) = keys.get(*key) {
                        add_direct(&mut direct, i, out[i].scope);
                    }
                    add_declared(&keys, key, entry, &mut direct);
                }
            }
        }
        None => direct_from_sibling(input, &keys, &mut direct, warnings),
    }
    finish(out, &edges, &direct)
}

/// Adds the dependencies an entry declares (all four groups) as direct ones.
fn add_declared(
    keys: &HashMap<String, usize>,
    from: &str,
    entry: &Map<String, Value>,
    direct: &mut Vec<(usize, Scope)>,
) {
    for (group, scope) in package_json::GROUPS {
        for (name, spec) in deps_of(entry, &[group]) {
            if let Some(i) = resolve_direct(keys, from, name, spec) {
                add_direct(direct, i, scope);
            }
        }
    }
}

/// Direct dependencies from the package.json beside the lockfile.
fn direct_from_sibling(
    input: &Input<'_>,
    keys: &HashMap<String, usize>,
    direct: &mut Vec<(usize, Scope)>,
    warnings: &mut Vec<crate::Warning>,
) {
    match package_json::sibling(input) {
        Ok(Some(declared)) => {
            for d in declared {
                if let Some(i) = resolve_direct(keys, "", &d.name, &d.spec) {
                    add_direct(direct, i, d.scope);
                }
            }
        }
        Ok(None) => {}
        Err(msg) => {
            warnings.push(input.warning(None, format!("{msg}; direct dependencies unknown")))
        }
    }
}

/// Lockfile v1: the nested `dependencies` tree.
fn parse_tree(
    input: &Input<'_>,
    deps: &Map<String, Value>,
    lines: &JsonLines,
    warnings: &mut Vec<crate::Warning>,
) -> Vec<Package> {
    let mut out: Vec<Package> = Vec::new();
    let mut keys: HashMap<String, usize> = HashMap::new();
    // (install path, JSON pointer, entry), walked without recursion.
    let mut entries: Vec<(String, Option<u32>, &Map<String, Value>)> = Vec::new();
    let mut stack: Vec<(String, String, &Map<String, Value>)> =
        vec![(String::new(), "/dependencies".to_owned(), deps)];
    while let Some((parent, pointer, map)) = stack.pop() {
        for (name, value) in map {
            let ptr = format!("{pointer}/{}", escape(name));
            let line = lines.line(&ptr);
            let Some(entry) = value.as_object() else {
                warnings
                    .push(input.warning(line, format!("entry `{name}` is not an object; skipped")));
                continue;
            };
            if name.is_empty() {
                warnings.push(input.warning(line, "entry with an empty name; skipped"));
                continue;
            }
            let path = if parent.is_empty() {
                format!("node_modules/{name}")
            } else {
                format!("{parent}/node_modules/{name}")
            };
            let version = entry.get("version").and_then(Value::as_str).unwrap_or("");
            let resolved = entry.get("resolved").and_then(Value::as_str).unwrap_or("");
            let (real, pin, source) = if let Some(alias) = version.strip_prefix("npm:") {
                let (real, v) = split_name_spec(alias);
                (real, pin_of(Some(v)), source_of(resolved))
            } else if version.is_empty() || looks_like_version(version) {
                (name.as_str(), pin_of(Some(version)), source_of(resolved))
            } else {
                (
                    name.as_str(),
                    Pin::Unpinned {
                        specifier: String::new(),
                    },
                    source_of(version),
                )
            };
            let mut p = Package::new(NPM, if real.is_empty() { name } else { real }, pin);
            p.source = source;
            p.line = line;
            p.scope = scope_of(entry);
            keys.insert(path.clone(), out.len());
            out.push(p);
            entries.push((path.clone(), line, entry));
            if let Some(children) = entry.get("dependencies") {
                match children.as_object() {
                    Some(children) => stack.push((path, ptr.clone() + "/dependencies", children)),
                    None => warnings.push(input.warning(
                        line,
                        format!("`{name}.dependencies` is not an object; skipped"),
                    )),
                }
            }
        }
    }
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); out.len()];
    for (path, _, entry) in &entries {
        let Some(&from) = keys.get(path) else {
            continue;
        };
        for (dep, _) in deps_of(entry, &["requires"]) {
            if let Some(to) = resolve_from(&keys, path, dep) {
                add_edge(&mut edges, from, to);
            }
        }
    }
    let mut direct = Vec::new();
    direct_from_sibling(input, &keys, &mut direct, warnings);
    finish(out, &edges, &direct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Relation;
    use crate::formats::js_common::test_support::{
        MemFiles, corpus_files, files_under, fixture_dir, no_panic_cuts, no_panic_flips, parse_with,
    };

    fn run(text: &str) -> Result<Parsed, ParseError> {
        parse_with(parse, "svc/package-lock.json", text, &MemFiles::default())
    }

    fn find<'a>(p: &'a Parsed, name: &str, version: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|p| p.name == name && p.exact_version() == Some(version))
            .unwrap_or_else(|| panic!("{name}@{version} missing"))
    }

    const V3: &str = r#"{
  "name": "app",
  "lockfileVersion": 3,
  "packages": {
    "": {
      "name": "app",
      "dependencies": { "a": "^1.0.0", "cjs": "npm:c@^1.0.0", "loc": "file:libs/loc" },
      "devDependencies": { "d": "^1.0.0" }
    },
    "libs/loc": { "name": "loc", "version": "0.1.0" },
    "node_modules/loc": { "resolved": "libs/loc", "link": true },
    "node_modules/a": {
      "version": "1.2.0",
      "resolved": "https://mirror.example/npm/a/-/a-1.2.0.tgz",
      "dependencies": { "b": "^2.0.0" }
    },
    "node_modules/a/node_modules/b": {
      "version": "2.1.0",
      "resolved": "https://registry.npmjs.org/b/-/b-2.1.0.tgz"
    },
    "node_modules/b": { "version": "3.0.0", "dev": true },
    "node_modules/cjs": { "name": "c", "version": "1.5.0" },
    "node_modules/d": {
      "version": "1.0.0",
      "dev": true,
      "dependencies": { "b": "^3", "e": "*" }
    },
    "node_modules/e": {
      "version": "1.0.0",
      "resolved": "git+ssh://git@github.com/o/e.git#abc123",
      "dev": true,
      "optional": true
    },
    "node_modules/f": { "version": "1.0.0", "optional": true },
    "node_modules/g": { "version": "1.0.0", "devOptional": true, "resolved": "https://example.com/g.tgz" },
    "node_modules/h": "oops"
  }
}"#;

    #[test]
    fn v3_graph_scopes_sources() {
        let p = run(V3).unwrap();
        assert_eq!(p.packages.len(), 9, "{:#?}", p.packages);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(36));

        let a = find(&p, "a", "1.2.0");
        assert_eq!(
            (a.relation, a.scope, a.line),
            (Relation::Direct, Scope::Runtime, Some(12))
        );
        assert_eq!(a.source, Source::Registry, "any registry host");
        let nested_b = find(&p, "b", "2.1.0");
        assert_eq!(nested_b.relation, Relation::Transitive);
        assert_eq!(
            nested_b.paths,
            vec![vec!["a@1.2.0", "b@2.1.0"]],
            "nearest node_modules wins"
        );
        let top_b = find(&p, "b", "3.0.0");
        assert_eq!(top_b.paths, vec![vec!["d@1.0.0", "b@3.0.0"]]);
        assert_eq!(top_b.scope, Scope::Development);
        assert_eq!(
            find(&p, "c", "1.5.0").relation,
            Relation::Direct,
            "alias named by `name`"
        );
        let d = find(&p, "d", "1.0.0");
        assert_eq!(
            (d.relation, d.scope),
            (Relation::Direct, Scope::Development)
        );
        let e = find(&p, "e", "1.0.0");
        assert_eq!(e.scope, Scope::Development, "dev + optional");
        assert_eq!(
            e.source,
            Source::Git {
                url: "ssh://git@github.com/o/e.git".into(),
                rev: Some("abc123".into())
            }
        );
        assert_eq!(find(&p, "f", "1.0.0").scope, Scope::Optional);
        assert_eq!(
            find(&p, "f", "1.0.0").relation,
            Relation::Unknown,
            "nothing reaches it"
        );
        let g = find(&p, "g", "1.0.0");
        assert_eq!(g.scope, Scope::Optional);
        assert_eq!(g.source, Source::Url("https://example.com/g.tgz".into()));
        let loc = find(&p, "loc", "0.1.0");
        assert_eq!(loc.source, Source::Path("libs/loc".into()));
        assert_eq!(
            loc.relation,
            Relation::Direct,
            "the link resolves to its target"
        );
        // File order.
        let lines: Vec<_> = p.packages.iter().map(|p| p.line.unwrap()).collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn workspaces_are_direct() {
        let text = r#"{"lockfileVersion": 3, "packages": {
  "": {"workspaces": ["packages/*"]},
  "packages/w": {"name": "w", "version": "1.0.0", "dependencies": {"x": "^1"}},
  "node_modules/w": {"resolved": "packages/w", "link": true},
  "node_modules/x": {"version": "1.0.1"},
  "node_modules/y": {"version": "1.0.0", "dependencies": {"x": "^1"}}
}}"#;
        let p = run(text).unwrap();
        assert_eq!(p.packages.len(), 3);
        assert_eq!(find(&p, "w", "1.0.0").relation, Relation::Direct);
        assert_eq!(
            find(&p, "w", "1.0.0").source,
            Source::Path("packages/w".into())
        );
        assert_eq!(find(&p, "x", "1.0.1").relation, Relation::Direct);
        assert_eq!(find(&p, "y", "1.0.0").relation, Relation::Unknown);
    }

    #[test]
    fn v1_tree_with_and_without_manifest() {
        let text = r#"{
  "lockfileVersion": 1,
  "requires": true,
  "dependencies": {
    "a": {
      "version": "1.0.0",
      "requires": { "b": "^1.0.0" },
      "dependencies": {
        "b": { "version": "1.5.0", "requires": { "c": "^1" } }
      }
    },
    "b": { "version": "2.0.0", "dev": true },
    "c": { "version": "1.0.0" },
    "al": { "version": "npm:@s/real@3.0.0" },
    "g": { "version": "github:o/g#abc", "dev": true },
    "f": { "version": "file:libs/f" }
  }
}"#;
        let p = run(text).unwrap();
        assert_eq!(p.packages.len(), 7);
        assert!(
            p.packages
                .iter()
                .all(|p| p.relation == Relation::Unknown && p.paths.is_empty())
        );
        assert_eq!(find(&p, "b", "1.5.0").line, Some(9));
        assert_eq!(find(&p, "b", "2.0.0").scope, Scope::Development);
        assert_eq!(find(&p, "@s/real", "3.0.0").line, Some(14));
        let g = p.packages.iter().find(|p| p.name == "g").unwrap();
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
                rev: Some("abc".into())
            }
        );
        let f = p.packages.iter().find(|p| p.name == "f").unwrap();
        assert_eq!(f.source, Source::Path("libs/f".into()));

        let files = MemFiles::with(&[(
            "svc/package.json",
            r#"{"dependencies": {"a": "^1", "al": "npm:@s/real@3"}, "devDependencies": {"b": "^2"}}"#,
        )]);
        let p = parse_with(parse, "svc/package-lock.json", text, &files).unwrap();
        assert_eq!(find(&p, "a", "1.0.0").relation, Relation::Direct);
        assert_eq!(find(&p, "@s/real", "3.0.0").relation, Relation::Direct);
        assert_eq!(find(&p, "b", "2.0.0").relation, Relation::Direct);
        let nested = find(&p, "b", "1.5.0");
        assert_eq!(nested.paths, vec![vec!["a@1.0.0", "b@1.5.0"]]);
        let c = find(&p, "c", "1.0.0");
        assert_eq!(
            c.paths,
            vec![vec!["a@1.0.0", "b@1.5.0", "c@1.0.0"]],
            "walks up to the top level"
        );

        let bad = MemFiles::with(&[("svc/package.json", "{ nope")]);
        let p = parse_with(parse, "svc/package-lock.json", text, &bad).unwrap();
        assert!(
            p.warnings
                .iter()
                .any(|w| w.message.contains("direct dependencies unknown"))
        );
    }

    #[test]
    fn legacy_tree_when_packages_is_bare() {
        let text = r#"{"lockfileVersion": 2, "packages": {"": {}}, "dependencies": {"a": {"version": "1.0.0"}}}"#;
        let p = run(text).unwrap();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.packages[0].name, "a");
    }

    #[test]
    fn errors() {
        let e = run("this is not json").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.path.ends_with("package-lock.json"));
        let e = run("[]").unwrap_err();
        assert!(e.message.contains("expected a JSON object"));
        let e = run("{\n\"lockfileVersion\": 3,\n\"packages\": []\n}").unwrap_err();
        assert_eq!(e.line, Some(3));
        let e = run("{\n\"dependencies\": 1\n}").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = run("{\n\"packages\": {\n\"node_modules/a\": {\"version\": \"1.0.0\"\n}\n")
            .unwrap_err();
        assert!(e.message.contains("not valid JSON"));
        let p = run(" \n").unwrap();
        assert_eq!(p.warnings[0].message, "empty file");
        // An empty object: nothing to read, said so.
        let p = run("{}").unwrap();
        assert!(p.packages.is_empty());
        assert_eq!(p.warnings[0].message, "empty: no dependencies declared");
        let e = run("{\"name\": \"x\"}").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("no `lockfileVersion`"), "{e}");
    }

    /// Malformations that used to parse to zero packages without a word.
    #[test]
    fn structure() {
        // No `packages` at all, in a version 3 lockfile: an error at the version.
        let e = run("{\n\"name\": \"x\",\n\"lockfileVersion\": 3\n}").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.contains("without a `packages` object"), "{e}");
        // Misspelled: the error says what was meant.
        let e = run("{\n\"lockfileVersion\": 3,\n\"pakages\": {\"node_modules/a\": {\"version\": \"1.0.0\"}}\n}")
            .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(
            e.message
                .ends_with("found \"pakages\" (did you mean \"packages\"?)"),
            "{e}"
        );
        // No version and nothing to read.
        let e = run("{\"name\": \"x\", \"pakages\": {}}").unwrap_err();
        assert!(e.message.contains("did you mean \"packages\""), "{e}");
        // A misspelled key beside a readable lockfile: a warning at its line.
        let p = run("{\n\"lockfileVersion\": 3,\n\"packages\": {\"node_modules/a\": {\"version\": \"1.0.0\"}},\n\"lockfileVerison\": 2\n}")
            .unwrap();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(4));
        assert_eq!(
            p.warnings[0].message,
            "unknown key \"lockfileVerison\" (did you mean \"lockfileVersion\"?)"
        );
        // A version that is not a number.
        let e = run("{\n\"lockfileVersion\": \"3\",\n\"packages\": {}\n}").unwrap_err();
        assert_eq!(e.line, Some(2));
        // Valid but empty: a version 1 lockfile without dependencies, a version 3
        // one with only the root. Both say so.
        for text in [
            "{\n\"name\": \"x\",\n\"lockfileVersion\": 1,\n\"requires\": true\n}",
            "{\n\"lockfileVersion\": 3,\n\"packages\": {\n\"\": {\"name\": \"x\"}\n}\n}",
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
            Result<usize, &'static str>,
            &'static [(&'static str, &'static str)],
        );
        let rows: &[Row] = &[
            (
                "alias.v1.json",
                Ok(3),
                &[
                    ("@babel/code-frame", "7.0.0"),
                    ("string-width", "4.2.0"),
                    ("string-width", "5.1.2"),
                ],
            ),
            (
                "alias.v2.json",
                Ok(3),
                &[("@babel/code-frame", "7.0.0"), ("string-width", "4.2.0")],
            ),
            (
                "both/npm-shrinkwrap.json",
                Ok(2),
                &[("wrappy", "1.0.2"), ("supports-color", "5.5.0")],
            ),
            ("both/package-lock.json", Ok(2), &[("wrappy", "1.0.2")]),
            (
                "bundled-dependencies.v3.json",
                Ok(3),
                &[
                    ("ansi-regex", "6.2.2"),
                    ("semver", "7.7.2"),
                    ("strip-ansi", "7.1.2"),
                ],
            ),
            (
                "commits.v1.json",
                Ok(15),
                &[("ansi-styles", "1.0.0"), ("postcss-calc", "7.0.1")],
            ),
            (
                "commits.v2.json",
                Ok(14),
                &[("is-number-1", "3.0.0"), ("slick-carousel", "1.7.1")],
            ),
            ("empty.v1.json", Ok(0), &[]),
            ("empty.v2.json", Ok(0), &[]),
            ("files.v1.json", Ok(2), &[("lodash", "1.3.1")]),
            (
                "files.v2.json",
                Ok(3),
                &[("etag", "1.8.0"), ("abbrev", "1.0.9"), ("abbrev", "2.3.4")],
            ),
            (
                "nested-dependencies-dup.v1.json",
                Ok(73),
                &[("supports-color", "6.1.0"), ("supports-color", "2.0.0")],
            ),
            (
                "nested-dependencies-dup.v2.json",
                Ok(36),
                &[("supports-color", "2.0.0")],
            ),
            (
                "nested-dependencies.v1.json",
                Ok(5),
                &[("postcss", "6.0.23"), ("postcss", "7.0.16")],
            ),
            (
                "nested-dependencies.v2.json",
                Ok(5),
                &[("postcss", "6.0.23"), ("postcss", "7.0.16")],
            ),
            ("not-json.txt", Err("not valid JSON"), &[]),
            (
                "npm-shrinkwrap-only/npm-shrinkwrap.json",
                Ok(2),
                &[("wrappy", "1.0.2")],
            ),
            ("null.v2.jsontest", Err("expected a JSON object"), &[]),
            ("one-package-dev.v1.json", Ok(1), &[("wrappy", "1.0.2")]),
            ("one-package-dev.v2.json", Ok(1), &[("wrappy", "1.0.2")]),
            ("one-package.v1.json", Ok(1), &[("wrappy", "1.0.2")]),
            ("one-package.v2.json", Ok(1), &[("wrappy", "1.0.2")]),
            (
                "optional-package.v1.json",
                Ok(2),
                &[("wrappy", "1.0.2"), ("supports-color", "5.5.0")],
            ),
            (
                "optional-package.v2.json",
                Ok(2),
                &[("wrappy", "1.0.2"), ("supports-color", "5.5.0")],
            ),
            (
                "package-lock-only/package-lock.json",
                Ok(2),
                &[("supports-color", "5.5.0")],
            ),
            (
                "same-package-different-groups.v1.json",
                Ok(7),
                &[("ajv", "5.5.2"), ("eslint", "1.2.3"), ("table", "1.0.0")],
            ),
            (
                "same-package-different-groups.v2.json",
                Ok(7),
                &[("ajv", "5.5.2"), ("table", "1.0.0")],
            ),
            (
                "scoped-packages.v1.json",
                Ok(2),
                &[("@babel/code-frame", "7.0.0"), ("wrappy", "1.0.2")],
            ),
            (
                "scoped-packages.v2.json",
                Ok(2),
                &[("@babel/code-frame", "7.0.0")],
            ),
            (
                "two-packages.v1.json",
                Ok(2),
                &[("wrappy", "1.0.2"), ("supports-color", "5.5.0")],
            ),
            (
                "two-packages.v2.json",
                Ok(2),
                &[("wrappy", "1.0.2"), ("supports-color", "5.5.0")],
            ),
        ];
        let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "packagelockjson") else {
            return;
        };
        let all = files_under(&dir);
        assert_eq!(all.len(), rows.len(), "fixture set changed");
        for (file, expected, pins) in rows {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            let got = parse_with(parse, &path.to_string_lossy(), &text, &crate::DiskFiles);
            match (expected, got) {
                (Ok(n), Ok(p)) => {
                    assert_eq!(p.packages.len(), *n, "{file}");
                    let warnings: Vec<&str> =
                        p.warnings.iter().map(|w| w.message.as_str()).collect();
                    let expected: &[&str] = if *n == 0 {
                        &["empty: no dependencies declared"]
                    } else {
                        &[]
                    };
                    assert_eq!(warnings, expected, "{file}");
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
                    assert!(e.path.ends_with(file), "{file}");
                }
                (exp, got) => panic!("{file}: expected {exp:?}, got {got:?}"),
            }
        }
    }

    #[test]
    fn fixture_details() {
        let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "packagelockjson") else {
            return;
        };
        let load = |f: &str| {
            let path = dir.join(f);
            let text = std::fs::read_to_string(&path).unwrap();
            parse_with(parse, &path.to_string_lossy(), &text, &crate::DiskFiles).unwrap()
        };
        let p = load("commits.v2.json");
        let raven = p.packages.iter().find(|p| p.name == "raven-js").unwrap();
        assert_eq!(
            raven.pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert!(
            matches!(&raven.source, Source::Git { rev: Some(r), .. } if r.starts_with("c2b377e7"))
        );
        let php = find(&p, "babel-preset-php", "1.1.1");
        assert_eq!(
            (php.relation, php.scope),
            (Relation::Direct, Scope::Development)
        );
        let ansi = find(&p, "ansi-styles", "1.0.0");
        assert_eq!(ansi.scope, Scope::Runtime);

        let p = load("bundled-dependencies.v3.json");
        assert_eq!(
            find(&p, "ansi-regex", "6.2.2").paths,
            vec![vec!["strip-ansi@7.1.2", "ansi-regex@6.2.2"]]
        );
        assert_eq!(find(&p, "semver", "7.7.2").scope, Scope::Development);

        let p = load("files.v2.json");
        let etag = find(&p, "etag", "1.8.0");
        assert_eq!(etag.source, Source::Path("deps/etag".into()));
        assert_eq!(
            etag.relation,
            Relation::Direct,
            "file: specifier names the directory entry"
        );
        assert_eq!(find(&p, "abbrev", "2.3.4").scope, Scope::Development);

        let p = load("optional-package.v1.json");
        assert_eq!(find(&p, "wrappy", "1.0.2").scope, Scope::Development);
        assert_eq!(find(&p, "supports-color", "5.5.0").scope, Scope::Optional);
        let p = load("optional-package.v2.json");
        assert_eq!(find(&p, "wrappy", "1.0.2").scope, Scope::Optional);
        assert_eq!(find(&p, "supports-color", "5.5.0").scope, Scope::Optional);

        let p = load("alias.v2.json");
        let cjs = find(&p, "string-width", "4.2.0");
        assert_eq!(cjs.relation, Relation::Direct);
        assert_eq!(cjs.line, Some(32));

        let p = load("commits.v1.json");
        let slick = p
            .packages
            .iter()
            .find(|p| p.name == "slick-carousel")
            .unwrap();
        assert!(
            matches!(&slick.source, Source::Git { url, .. } if url == "git://github.com/brianfryer/slick.git")
        );
        assert!(
            p.packages.iter().all(|p| p.relation == Relation::Unknown),
            "v1 without package.json"
        );
    }

    /// Corpus lockfiles. Counts computed with:
    /// `python3 -c "import json,sys; d=json.load(open(sys.argv[1])); w=lambda m: sum(1+w(v.get('dependencies',{})) for v in m.values()); print(len(d['packages'])-1 if 'packages' in d else w(d['dependencies']))" FILE`
    #[test]
    fn corpus() {
        type Row = (&'static str, usize, &'static [(&'static str, &'static str)]);
        let rows: &[Row] = &[
            (
                "microservices-demo@2019-06/src/currencyservice/package-lock.json",
                281,
                &[
                    ("@google-cloud/debug-agent", "2.6.0"),
                    ("@google-cloud/profiler", "0.1.14"),
                ],
            ),
            (
                "microservices-demo@2019-06/src/paymentservice/package-lock.json",
                280,
                &[("@google-cloud/debug-agent", "2.6.0")],
            ),
            (
                "microservices-demo@2021-06/src/currencyservice/package-lock.json",
                453,
                &[
                    ("@google-cloud/debug-agent", "5.1.3"),
                    ("@google-cloud/profiler", "4.1.1"),
                ],
            ),
            (
                "microservices-demo@2021-06/src/paymentservice/package-lock.json",
                414,
                &[("@google-cloud/profiler", "4.1.1")],
            ),
            (
                "opentelemetry-demo@2022-10/src/frontend/package-lock.json",
                761,
                &[("@grpc/grpc-js", "1.6.7"), ("@types/node", "18.0.6")],
            ),
            (
                "opentelemetry-demo@2022-10/src/paymentservice/package-lock.json",
                305,
                &[("@grpc/grpc-js", "1.6.7")],
            ),
            (
                "opentelemetry-demo@2022-10/test/package-lock.json",
                195,
                &[("@grpc/grpc-js", "1.6.7"), ("ava", "4.3.0")],
            ),
            (
                "opentelemetry-demo@2024-06/package-lock.json",
                156,
                &[("@kt3k/license-checker", "3.2.2")],
            ),
            (
                "opentelemetry-demo@2024-06/src/frontend/package-lock.json",
                772,
                &[("@grpc/grpc-js", "1.9.13"), ("@types/node", "20.9.0")],
            ),
            (
                "opentelemetry-demo@2024-06/src/paymentservice/package-lock.json",
                254,
                &[("@grpc/grpc-js", "1.9.9")],
            ),
        ];
        let Some(files) = corpus_files(cverun_testkit::test_name!(), "package-lock.json") else {
            return;
        };
        assert_eq!(files.len(), rows.len(), "corpus lockfiles changed");
        for (rel, count, pins) in rows {
            let path = files
                .iter()
                .find(|f| f.ends_with(rel))
                .unwrap_or_else(|| panic!("{rel}"));
            let text = std::fs::read_to_string(path).unwrap();
            let p = parse_with(parse, &path.to_string_lossy(), &text, &crate::DiskFiles).unwrap();
            assert_eq!(p.packages.len(), *count, "{rel}");
            assert!(p.warnings.is_empty(), "{rel}: {:?}", p.warnings);
            for (n, v) in *pins {
                let pkg = find(&p, n, v);
                assert_eq!(pkg.relation, Relation::Direct, "{rel}: {n}@{v}");
            }
            assert!(
                p.packages.iter().any(|p| p.relation == Relation::Direct),
                "{rel}: direct deps"
            );
        }
    }

    #[test]
    fn no_panic_on_cuts() {
        let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "packagelockjson") else {
            return;
        };
        let mut files = files_under(&dir);
        files.extend(
            corpus_files(cverun_testkit::test_name!(), "package-lock.json").unwrap_or_default(),
        );
        no_panic_cuts(parse, &files);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn no_panic_on_flipped_bytes(file in 0usize..64, flips in proptest::collection::vec((0usize..100_000, proptest::num::u8::ANY), 1..8)) {
            let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "packagelockjson") else {
                return Ok(());
            };
            let files = files_under(&dir);
            no_panic_flips(parse, &files[file % files.len()], &flips);
        }
    }
}
