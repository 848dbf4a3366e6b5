//! `pnpm-lock.yaml`: pnpm's lockfile.
//!
//! Versions read:
//! - `lockfileVersion` 5.x (pnpm 5–7): package keys `/name/1.2.3`,
//!   `/@s/name/1.2.3_peer@1.0.0` (peer suffix after `_`), optionally prefixed by a
//!   registry host (`registry.npmjs.org/name/1.2.3`); top-level `specifiers`,
//!   `dependencies`, `devDependencies`, `optionalDependencies` (`name: version`),
//!   or `importers` for workspaces.
//! - 6.x (pnpm 8): keys `/name@1.2.3(peer@1.0.0)`; importer dependencies are
//!   `name: {specifier, version}`.
//! - 9.x (pnpm 9+): `packages` keyed `name@1.2.3` (metadata), `snapshots` keyed
//!   `name@1.2.3(peer@…)` (the installed instances and their dependencies),
//!   `importers` with `name: {specifier, version}`.
//!
//! For cverun:
//! - One package per name and version: peer suffixes (`(…)`, v5 `_…`) are stripped,
//!   and instances that differ only by peers are one package (the first key's line).
//!   The entry's own `name`/`version` fields win over the key (git, tarball and local
//!   entries carry them). A key whose name or version cannot be read, with no fields
//!   to make up for it, is a warning and is skipped.
//! - Source: `resolution.integrity` only is [`Source::Registry`]; `resolution.tarball`
//!   is the registry when it has the registry layout (any host), git for
//!   `codeload.github.com`/GitLab archives, a path for `file:`, else [`Source::Url`];
//!   `resolution.type: git` is [`Source::Git`] at `commit`; `type: directory` and
//!   `file:` keys are [`Source::Path`]; importer versions `link:…` are path packages
//!   (workspace members and linked directories, path relative to the project root).
//! - Direct dependencies: `importers` (every importer: the root `.` and workspace
//!   members) or, without them, the top-level dependency groups; `dependencies` are
//!   runtime, `devDependencies` development, `optionalDependencies` optional.
//! - Graph: each package's (v5, v6) or snapshot's (v9) `dependencies` and
//!   `optionalDependencies` (resolved versions, peers included). Relations and up to
//!   three paths come from the graph.
//! - Scope: v5/v6 record `dev: true` (development), `dev: false` (runtime, or optional
//!   with `optional: true`); v9 snapshots record only `optional: true`. Packages
//!   without flags take the scope spread from the direct dependencies (runtime over
//!   optional over development).
//! - A dependency (of an importer or a package) whose version has no entry in
//!   `packages` is still installed at that version: it is reported from the
//!   reference (with the reference's line) and a warning says so. A reference that is
//!   neither a version nor a known key is a warning.
//!
//! Errors: text that is not YAML, not a mapping, or a mapping without
//! `lockfileVersion` is an error with its line; `packages`,
//! `snapshots` or `importers` that is not a mapping is an error with its line.
//! Whitespace or comments only: an "empty file" warning. Structure: a top-level
//! `lockfileVersion` is required (an error naming a misspelling of it); top-level
//! keys that misspell a known one are warnings; a lockfile with no package says
//! so; an importer or package dependency with no version is a warning.

use std::collections::HashMap;

use saphyr::MarkedYaml;

use super::js_common::{
    ByName, YamlText, add_direct, add_edge, finish, join_path, load_yaml, looks_like_version,
    package, source_of, yaml_entries, yaml_line,
};
use crate::{Input, Package, ParseError, Parsed, Pin, Scope, Source, Warning};

/// How package keys separate name and version.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    /// v5: `/name/1.2.3_peer`.
    Slash,
    /// v6+: `/name@1.2.3(peer)`, `name@1.2.3(peer)`.
    At,
}

/// The dependency groups of an importer, with their scope.
const GROUPS: [(&str, Scope); 3] = [
    ("dependencies", Scope::Runtime),
    ("devDependencies", Scope::Development),
    ("optionalDependencies", Scope::Optional),
];

/// The top-level keys pnpm writes (5.x to 9.x).
const TOP_KEYS: &[&str] = &[
    "lockfileVersion",
    "settings",
    "importers",
    "packages",
    "snapshots",
    "specifiers",
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "overrides",
    "catalogs",
    "patchedDependencies",
    "packageExtensionsChecksum",
    "pnpmfileChecksum",
    "onlyBuiltDependencies",
    "neverBuiltDependencies",
    "ignoredOptionalDependencies",
    "time",
];

/// Keeps only the last one or two path segments of a name (drops registry hosts).
fn bare_name(name_part: &str) -> &str {
    let segs: Vec<&str> = name_part.split('/').collect();
    match segs.as_slice() {
        [.., scope, name] if scope.starts_with('@') => {
            let start = name_part.len() - scope.len() - name.len() - 1;
            &name_part[start..]
        }
        [.., name] => name,
        [] => name_part,
    }
}

/// Strips peer suffixes from a version: `1.2.3(react@18)` and (v5) `1.2.3_react@18`.
fn strip_peers(version: &str) -> &str {
    let v = version.split('(').next().unwrap_or(version);
    if v.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        v.split('_').next().unwrap_or(v)
    } else {
        v
    }
}

/// Reads `(name, version)` from a package key, when it has the registry shape.
fn parse_key(key: &str, style: Option<Style>) -> Option<(&str, &str)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    let base = k.split('(').next().unwrap_or(k);
    let style = style.unwrap_or_else(|| {
        let last = base.rsplit('/').next().unwrap_or(base);
        if last.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            Style::Slash
        } else {
            Style::At
        }
    });
    let (name_part, version) = match style {
        Style::Slash => {
            let (name_part, version) = base.rsplit_once('/')?;
            (name_part, version)
        }
        Style::At => {
            let bytes = base.as_bytes();
            let at = (1..bytes.len()).find(|&i| bytes[i] == b'@' && bytes[i - 1] != b'/')?;
            (&base[..at], &base[at + 1..])
        }
    };
    let version = strip_peers(version);
    let name = bare_name(name_part);
    (!name.is_empty() && !name.starts_with('.') && looks_like_version(version))
        .then_some((name, version))
}

/// The source an entry's `resolution` (or key) gives.
fn entry_source(key: &str, entry: &MarkedYaml<'_>, yt: &YamlText<'_>) -> Source {
    let res = entry.data.as_mapping_get("resolution");
    let field = |k: &str| {
        res.and_then(|r| r.data.as_mapping_get(k))
            .and_then(|v| yt.str(v))
    };
    if let Some(tarball) = field("tarball") {
        return source_of(&tarball);
    }
    match field("type").as_deref() {
        Some("git") => {
            return Source::Git {
                url: field("repo").unwrap_or_default(),
                rev: field("commit"),
            };
        }
        Some("directory") => return Source::Path(field("directory").unwrap_or_default()),
        _ => {}
    }
    let k = key.strip_prefix('/').unwrap_or(key);
    if let Some(p) = k.strip_prefix("file:").or_else(|| k.strip_prefix("link:")) {
        return Source::Path(p.split('(').next().unwrap_or(p).to_owned());
    }
    Source::Registry
}

/// The packages being built, with their lookup tables.
struct Nodes<'a> {
    input: &'a Input<'a>,
    style: Option<Style>,
    packages: Vec<Package>,
    edges: Vec<Vec<usize>>,
    /// Keys as written, with and without the leading `/`.
    by_key: HashMap<String, usize>,
    /// `name@version` without peers.
    by_version: HashMap<String, usize>,
    by_name: ByName,
    warnings: Vec<Warning>,
}

impl Nodes<'_> {
    fn remember_key(&mut self, key: &str, i: usize) {
        let k = key.strip_prefix('/').unwrap_or(key);
        self.by_key.entry(k.to_owned()).or_insert(i);
        let base = k.split('(').next().unwrap_or(k);
        self.by_key.entry(base.to_owned()).or_insert(i);
    }

    fn push(&mut self, p: Package) -> usize {
        let i = self.packages.len();
        self.by_name.add(&p.name, i);
        if let Pin::Exact(v) = &p.pin {
            self.by_version
                .entry(format!("{}@{v}", p.name))
                .or_insert(i);
        }
        self.packages.push(p);
        self.edges.push(Vec::new());
        i
    }

    /// Adds a `packages` (or snapshot) entry, or finds the package it repeats.
    fn add_entry(
        &mut self,
        key: &str,
        entry: Option<&MarkedYaml<'_>>,
        line: Option<u32>,
        yt: &YamlText<'_>,
    ) -> Option<usize> {
        if let Some(&i) = self.by_key.get(key.strip_prefix('/').unwrap_or(key)) {
            return Some(i);
        }
        let field = |k: &str| {
            entry
                .and_then(|e| e.data.as_mapping_get(k))
                .and_then(|v| yt.str(v))
        };
        let parsed = parse_key(key, self.style);
        let name = field("name")
            .or_else(|| parsed.map(|(n, _)| n.to_owned()))
            .or_else(|| {
                // `name@<url>` keys (v9 git and tarball entries) carry the version as a field.
                let k = key.strip_prefix('/').unwrap_or(key);
                let at = k.get(1..)?.find('@')? + 1;
                field("version").map(|_| bare_name(&k[..at]).to_owned())
            });
        let version = field("version").or_else(|| parsed.map(|(_, v)| v.to_owned()));
        let (Some(name), Some(version)) = (name.filter(|n| !n.is_empty()), version) else {
            self.warnings.push(self.input.warning(
                line,
                format!("cannot read a package name and version from `{key}`; skipped"),
            ));
            return None;
        };
        let source = match entry {
            Some(e) => entry_source(key, e, yt),
            None => Source::Registry,
        };
        if let Some(&i) = self.by_version.get(&format!("{name}@{version}")) {
            if self.packages[i].source == source {
                self.remember_key(key, i);
                return Some(i);
            }
        }
        let i = self.push(package(&name, Pin::Exact(version), source, line));
        self.remember_key(key, i);
        Some(i)
    }

    /// Finds the package a dependency reference (`name: version`) points to.
    fn lookup(&self, name: &str, version: &str) -> Option<usize> {
        let v = version.strip_prefix('/').unwrap_or(version);
        let stripped = strip_peers(v);
        let found = [
            v.to_owned(),
            stripped.to_owned(),
            format!("{name}@{v}"),
            format!("{name}@{stripped}"),
            format!("{name}/{v}"),
        ]
        .iter()
        .find_map(|k| self.by_key.get(k.as_str()).copied())
        .or_else(|| {
            if looks_like_version(stripped) {
                self.by_version.get(&format!("{name}@{stripped}")).copied()
            } else {
                None
            }
        })
        .or_else(|| {
            let (n, ver) = parse_key(version, self.style).or_else(|| parse_key(version, None))?;
            self.by_version.get(&format!("{n}@{ver}")).copied()
        });
        found.or_else(|| {
            if looks_like_version(stripped) {
                None
            } else {
                self.by_name.unique(name)
            }
        })
    }

    /// Resolves a reference, reporting what has no entry: `link:` references become
    /// path packages (relative to `base`), plain versions packages of their own.
    fn resolve(
        &mut self,
        name: &str,
        version: &str,
        base: &str,
        line: Option<u32>,
    ) -> Option<usize> {
        if let Some(path) = version.strip_prefix("link:") {
            let path = join_path(base, path);
            let key = format!("link:{path}");
            if let Some(&i) = self.by_key.get(&key) {
                return Some(i);
            }
            let i = self.push(package(
                name,
                Pin::Unpinned {
                    specifier: String::new(),
                },
                Source::Path(path),
                line,
            ));
            self.by_key.insert(key, i);
            return Some(i);
        }
        if let Some(i) = self.lookup(name, version) {
            return Some(i);
        }
        let stripped = strip_peers(version);
        if looks_like_version(stripped) {
            self.warnings.push(self.input.warning(
                line,
                format!(
                    "`{name}@{stripped}` has no entry in `packages`; reported from this reference"
                ),
            ));
            return Some(self.push(package(
                name,
                Pin::Exact(stripped.to_owned()),
                Source::Registry,
                line,
            )));
        }
        self.warnings.push(self.input.warning(
            line,
            format!("cannot resolve the dependency `{name}: {version}`"),
        ));
        None
    }
}

/// The `name: version` pairs of a dependency map (`version` or `{specifier,
/// version}`), with their lines.
fn dep_pairs(
    map: &MarkedYaml<'_>,
    yt: &YamlText<'_>,
    input: &Input<'_>,
    warnings: &mut Vec<Warning>,
) -> Vec<(String, String, Option<u32>)> {
    let mut out = Vec::new();
    for (k, v) in yaml_entries(map).unwrap_or_default() {
        let Some(name) = yt.str(k) else {
            warnings
                .push(input.warning(yaml_line(k), "a dependency name is not a string; skipped"));
            continue;
        };
        let version = match v.data.as_mapping_get("version") {
            Some(ver) => yt.str(ver),
            None => yt.str(v),
        };
        match version.filter(|v| !v.trim().is_empty()) {
            Some(version) => out.push((name, version, yaml_line(k))),
            None => warnings.push(input.warning(
                yaml_line(k),
                format!("dependency `{name}` has no version; not read"),
            )),
        }
    }
    out
}

/// The major of `lockfileVersion` (`5.3`, `'6.0'`, `'9.0'`).
fn major(doc: &MarkedYaml<'_>, yt: &YamlText<'_>) -> Option<u32> {
    let v = yt.str(doc.data.as_mapping_get("lockfileVersion")?)?;
    let digits: String = v.trim().chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Parses a pnpm-lock.yaml.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let text = super::js_common::lone_cr_as_space(input.text);
    let doc = load_yaml(&text).map_err(|(line, msg)| input.error(line, msg))?;
    let Some(doc) = doc else {
        return Ok(Parsed::empty_file(input));
    };
    let not_pnpm = || {
        input.error(
            yaml_line(&doc).or(Some(1)),
            "not a pnpm-lock.yaml: expected a YAML mapping with `lockfileVersion`",
        )
    };
    if yaml_entries(&doc).is_none() {
        return Err(not_pnpm());
    }
    let yt = YamlText::new(input.text);
    let top: Vec<(String, Option<u32>)> = yaml_entries(&doc)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, _)| yt.str(k).map(|s| (s, yaml_line(k))))
        .collect();
    if doc.data.as_mapping_get("lockfileVersion").is_none() {
        return Err(input.error(
            yaml_line(&doc).or(Some(1)),
            format!(
                "not a pnpm-lock.yaml: no `lockfileVersion`{}",
                super::structure::hint_for("lockfileVersion", top.iter().map(|(k, _)| k.as_str()))
            ),
        ));
    }
    let mut structure = Vec::new();
    super::structure::warn_misspelled(
        input,
        top.iter().map(|(k, l)| (k.as_str(), *l)),
        TOP_KEYS,
        &mut structure,
    );
    let major = major(&doc, &yt);
    let style = major.map(|m| if m < 6 { Style::Slash } else { Style::At });
    let section = |name: &str| -> Result<Vec<(&MarkedYaml<'_>, &MarkedYaml<'_>)>, ParseError> {
        match doc.data.as_mapping_get(name) {
            None => Ok(Vec::new()),
            Some(node) => yaml_entries(node)
                .ok_or_else(|| input.error(yaml_line(node), format!("`{name}` is not a mapping"))),
        }
    };
    let packages = section("packages")?;
    let snapshots = section("snapshots")?;
    let importers = section("importers")?;

    let mut nodes = Nodes {
        input,
        style,
        packages: Vec::new(),
        edges: Vec::new(),
        by_key: HashMap::new(),
        by_version: HashMap::new(),
        by_name: ByName::default(),
        warnings: Vec::new(),
    };
    let mut flags: HashMap<usize, Scope> = HashMap::new();
    let flag_scope = |entry: &MarkedYaml<'_>| -> Option<Scope> {
        let flag = |k: &str| entry.data.as_mapping_get(k).and_then(|v| yt.str(v));
        match (flag("dev").as_deref(), flag("optional").as_deref()) {
            (Some("true"), _) => Some(Scope::Development),
            (_, Some("true")) => Some(Scope::Optional),
            (Some("false"), _) => Some(Scope::Runtime),
            _ => None,
        }
    };
    // Packages (all versions), then the instances of v9.
    let mut with_deps: Vec<(usize, &MarkedYaml<'_>)> = Vec::new();
    for (k, v) in &packages {
        let line = yaml_line(k);
        let Some(key) = yt.str(k) else {
            nodes
                .warnings
                .push(input.warning(line, "a package key is not a string; skipped"));
            continue;
        };
        let entry = yaml_entries(v).map(|_| *v);
        if entry.is_none() {
            nodes
                .warnings
                .push(input.warning(line, format!("package `{key}` is not a mapping; skipped")));
            continue;
        }
        let Some(i) = nodes.add_entry(&key, entry, line, &yt) else {
            continue;
        };
        if let Some(e) = entry {
            if let Some(s) = flag_scope(e) {
                let merged = flags.get(&i).map_or(s, |old| old.combine(s));
                flags.insert(i, merged);
            }
            if snapshots.is_empty() {
                with_deps.push((i, e));
            }
        }
    }
    for (k, v) in &snapshots {
        let line = yaml_line(k);
        let Some(key) = yt.str(k) else { continue };
        let Some(i) = nodes.add_entry(&key, None, line, &yt) else {
            continue;
        };
        if yaml_entries(v).is_some() {
            if flag_scope(v) == Some(Scope::Optional) {
                flags.entry(i).or_insert(Scope::Optional);
            }
            with_deps.push((i, v));
        }
    }
    for (from, entry) in with_deps {
        for group in ["dependencies", "optionalDependencies"] {
            let Some(map) = entry.data.as_mapping_get(group) else {
                continue;
            };
            for (name, version, line) in dep_pairs(map, &yt, input, &mut nodes.warnings) {
                if let Some(to) = nodes.resolve(&name, &version, ".", line) {
                    add_edge(&mut nodes.edges, from, to);
                }
            }
        }
    }
    // Direct dependencies.
    let mut direct: Vec<(usize, Scope)> = Vec::new();
    let roots: Vec<(String, &MarkedYaml<'_>)> = if importers.is_empty() {
        vec![(".".to_owned(), &doc)]
    } else {
        importers
            .iter()
            .filter_map(|(k, v)| yt.str(k).map(|k| (k, *v)))
            .collect()
    };
    for (base, importer) in roots {
        for (group, scope) in GROUPS {
            let Some(map) = importer.data.as_mapping_get(group) else {
                continue;
            };
            for (name, version, line) in dep_pairs(map, &yt, input, &mut nodes.warnings) {
                if let Some(i) = nodes.resolve(&name, &version, &base, line) {
                    add_direct(&mut direct, i, scope);
                }
            }
        }
    }
    for (i, s) in flags {
        if let Some(p) = nodes.packages.get_mut(i) {
            p.scope = s;
        }
    }
    let Nodes {
        packages,
        edges,
        warnings,
        ..
    } = nodes;
    parsed.packages = finish(packages, &edges, &direct);
    parsed.warnings = warnings;
    parsed.warnings.extend(structure);
    if parsed.packages.is_empty() {
        let line = doc
            .data
            .as_mapping_get("lockfileVersion")
            .and_then(yaml_line);
        parsed
            .warnings
            .extend(Parsed::no_dependencies(input, line).warnings);
    }
    parsed.warnings.sort_by_key(|w| w.line.unwrap_or(u32::MAX));
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Relation;
    use crate::formats::js_common::test_support::{
        MemFiles, files_under, fixture_dir, no_panic_cuts, no_panic_flips, parse_with,
    };

    fn run(text: &str) -> Result<Parsed, ParseError> {
        parse_with(parse, "svc/pnpm-lock.yaml", text, &MemFiles::default())
    }

    fn find<'a>(p: &'a Parsed, name: &str, version: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|p| p.name == name && p.exact_version() == Some(version))
            .unwrap_or_else(|| panic!("{name}@{version} missing in {:#?}", p.packages))
    }

    #[test]
    fn keys() {
        let s = Some(Style::Slash);
        let a = Some(Style::At);
        assert_eq!(parse_key("/foo/1.0.0", s), Some(("foo", "1.0.0")));
        assert_eq!(
            parse_key("/@s/foo/1.0.0_bar@2.0.0", s),
            Some(("@s/foo", "1.0.0"))
        );
        assert_eq!(
            parse_key("registry.npmjs.org/@s/foo/1.1.0", s),
            Some(("@s/foo", "1.1.0"))
        );
        assert_eq!(parse_key("/foo/bar", s), None);
        assert_eq!(parse_key("invalid", s), None);
        assert_eq!(
            parse_key("/foo@1.0.0(react@18.0.0)", a),
            Some(("foo", "1.0.0"))
        );
        assert_eq!(parse_key("/@s/foo@1.0.0", a), Some(("@s/foo", "1.0.0")));
        assert_eq!(
            parse_key("@s/foo@1.0.0(@s/p@1.0.0(x@1.0.0))", a),
            Some(("@s/foo", "1.0.0"))
        );
        assert_eq!(parse_key("foo@https://x/y.tgz", a), None);
        assert_eq!(parse_key("foo@1.0.0", None), Some(("foo", "1.0.0")));
        assert_eq!(parse_key("/foo/1.0.0", None), Some(("foo", "1.0.0")));
        assert_eq!(
            strip_peers("5.13.0_33fffc354ccfa91fbe7d1677b9395a0a"),
            "5.13.0"
        );
    }

    const V9: &str = r#"lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      a:
        specifier: ^1.0.0
        version: 1.10.0(p@2.0.0)
      ws:
        specifier: workspace:*
        version: link:packages/ws
      cjs:
        specifier: npm:c@^1
        version: c@1.0.0
    devDependencies:
      d:
        specifier: ^1.0.0
        version: 1.0.0
    optionalDependencies:
      o:
        specifier: ^1.0.0
        version: 1.0.0

  packages/ws:
    dependencies:
      g:
        specifier: github:o/g
        version: https://codeload.github.com/o/g/tar.gz/cafe

packages:

  a@1.10.0:
    resolution: {integrity: sha512-x}

  p@2.0.0:
    resolution: {integrity: sha512-x}

  c@1.0.0:
    resolution: {integrity: sha512-x}

  d@1.0.0:
    resolution: {tarball: https://example.com/d-1.0.0.tgz}

  o@1.0.0:
    resolution: {integrity: sha512-x}

  s@1.0.0:
    resolution: {integrity: sha512-x}

  g@https://codeload.github.com/o/g/tar.gz/cafe:
    resolution: {tarball: https://codeload.github.com/o/g/tar.gz/cafe}
    version: 0.1.0

snapshots:

  a@1.10.0(p@2.0.0):
    dependencies:
      p: 2.0.0
      s: 1.0.0

  p@2.0.0: {}

  c@1.0.0: {}

  d@1.0.0:
    dependencies:
      s: 1.0.0
      missing: 3.0.0

  o@1.0.0:
    optional: true

  s@1.0.0: {}

  g@https://codeload.github.com/o/g/tar.gz/cafe: {}
"#;

    #[test]
    fn v9() {
        let p = run(V9).unwrap();
        assert_eq!(p.packages.len(), 9, "{:#?}", p.packages);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(69));
        let a = find(&p, "a", "1.10.0");
        assert_eq!(
            (a.relation, a.scope, a.line),
            (Relation::Direct, Scope::Runtime, Some(33))
        );
        let s = find(&p, "s", "1.0.0");
        assert_eq!(
            (s.relation, s.scope),
            (Relation::Transitive, Scope::Runtime)
        );
        assert_eq!(s.paths.len(), 2);
        assert_eq!(s.paths[0], vec!["a@1.10.0", "s@1.0.0"]);
        assert_eq!(find(&p, "c", "1.0.0").relation, Relation::Direct, "alias");
        let d = find(&p, "d", "1.0.0");
        assert_eq!(
            (d.relation, d.scope),
            (Relation::Direct, Scope::Development)
        );
        assert_eq!(
            d.source,
            Source::Url("https://example.com/d-1.0.0.tgz".into())
        );
        let o = find(&p, "o", "1.0.0");
        assert_eq!(o.scope, Scope::Optional);
        let m = find(&p, "missing", "3.0.0");
        assert_eq!(
            (m.relation, m.scope, m.line),
            (Relation::Transitive, Scope::Development, Some(69))
        );
        let ws = p.packages.iter().find(|p| p.name == "ws").unwrap();
        assert_eq!(
            (ws.relation, &ws.source),
            (Relation::Direct, &Source::Path("packages/ws".into()))
        );
        let g = find(&p, "g", "0.1.0");
        assert_eq!(
            g.relation,
            Relation::Direct,
            "direct dependency of a workspace member"
        );
        assert_eq!(
            g.source,
            Source::Git {
                url: "https://github.com/o/g".into(),
                rev: Some("cafe".into())
            }
        );
    }

    #[test]
    fn v5_and_v6() {
        let v5 = r#"lockfileVersion: 5.4

specifiers:
  a: ^1.0.0
  b: ^2.0.0

dependencies:
  a: 1.0.0_b@2.0.0

devDependencies:
  b: 2.0.0

packages:

  /a/1.0.0_b@2.0.0:
    resolution: {integrity: sha512-x}
    dependencies:
      c: 1.0.0
    dev: false

  /a/1.0.0_b@2.1.0:
    resolution: {integrity: sha512-x}
    dev: false

  /b/2.0.0:
    resolution: {integrity: sha512-x}
    dev: true

  /c/1.0.0:
    resolution: {integrity: sha512-x}
    dev: false
    optional: true

  github.com/o/r/abc:
    resolution: {commit: abc, repo: https://github.com/o/r.git, type: git}
    name: r
    version: 1.0.0
    dev: false
"#;
        let p = run(v5).unwrap();
        assert_eq!(
            p.packages.len(),
            4,
            "peer variants are one package: {:#?}",
            p.packages
        );
        let a = find(&p, "a", "1.0.0");
        assert_eq!(
            (a.relation, a.scope, a.line),
            (Relation::Direct, Scope::Runtime, Some(15))
        );
        assert_eq!(find(&p, "b", "2.0.0").scope, Scope::Development);
        let c = find(&p, "c", "1.0.0");
        assert_eq!(
            (c.relation, c.scope),
            (Relation::Transitive, Scope::Optional)
        );
        assert_eq!(
            find(&p, "r", "1.0.0").source,
            Source::Git {
                url: "https://github.com/o/r.git".into(),
                rev: Some("abc".into())
            }
        );

        let v6 = r#"lockfileVersion: '6.0'

dependencies:
  a:
    specifier: ^1.0.0
    version: 1.0.0(b@2.0.0)

packages:

  /a@1.0.0(b@2.0.0):
    resolution: {integrity: sha512-x}
    dependencies:
      b: 2.0.0
    dev: false

  /b@2.0.0:
    resolution: {integrity: sha512-x}
    dev: false
"#;
        let p = run(v6).unwrap();
        assert_eq!(p.packages.len(), 2);
        assert_eq!(
            find(&p, "b", "2.0.0").paths,
            vec![vec!["a@1.0.0", "b@2.0.0"]]
        );
    }

    #[test]
    fn errors() {
        let e = run("this is not valid yaml!").unwrap_err();
        assert!(e.message.contains("not a pnpm-lock.yaml"), "{e}");
        assert_eq!(e.line, Some(1));
        let e = run("- a\n- b\n").unwrap_err();
        assert!(e.message.contains("not a pnpm-lock.yaml"), "{e}");
        let e = run("lockfileVersion: '9.0'\npackages: [1]\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = run("lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {\n").unwrap_err();
        assert!(e.message.contains("not valid YAML"), "{e}");
        let p = run("lockfileVersion: '9.0'\npackages:\n  a@1.0.0: 3\n").unwrap();
        assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings); // the entry, and "empty"
        assert_eq!(p.warnings[0].line, Some(1));
        assert_eq!(p.warnings[1].line, Some(3));
        let p = run("\n  \n").unwrap();
        assert_eq!(p.warnings[0].message, "empty file");
        assert!(run("# only a comment\n").unwrap().packages.is_empty());
    }

    /// Malformations that used to parse to zero packages, or lose one, without a
    /// word.
    #[test]
    fn structure() {
        // No lockfileVersion, or a misspelled one: not a pnpm lockfile.
        let e = run("packages:\n  a@1.0.0:\n    resolution: {integrity: x}\n").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("no `lockfileVersion`"), "{e}");
        let e = run("lockfileVerison: '9.0'\npackages:\n  a@1.0.0: {}\n").unwrap_err();
        assert!(
            e.message
                .ends_with("found \"lockfileVerison\" (did you mean \"lockfileVersion\"?)"),
            "{e}"
        );
        // A misspelled section: its packages are not read, and the warnings say why.
        let p =
            run("lockfileVersion: '9.0'\n\npakages:\n  a@1.0.0:\n    resolution: {integrity: x}\n")
                .unwrap();
        assert!(p.packages.is_empty());
        let w: Vec<(Option<u32>, &str)> = p
            .warnings
            .iter()
            .map(|w| (w.line, w.message.as_str()))
            .collect();
        assert_eq!(
            w,
            [
                (Some(1), "empty: no dependencies declared"),
                (
                    Some(3),
                    "unknown key \"pakages\" (did you mean \"packages\"?)"
                ),
            ]
        );
        // An importer dependency with no version: a warning at its line.
        let p = run("lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      a:\n        specifier: ^1.0.0\n      b:\n        specifier: ^2.0.0\n        version: 2.0.0\n\npackages:\n  b@2.0.0:\n    resolution: {integrity: x}\n")
            .unwrap();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(6));
        assert_eq!(
            p.warnings[0].message,
            "dependency `a` has no version; not read"
        );
        // A package key with no version: a warning at its line.
        let p = run("lockfileVersion: '6.0'\npackages:\n  /a:\n    resolution: {integrity: x}\n  /b@1.0.0:\n    resolution: {integrity: x}\n")
            .unwrap();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.warnings.len(), 1, "{:?}", p.warnings);
        assert_eq!(p.warnings[0].line, Some(3));
    }

    /// Found by the fuzz target `inv_pnpm_lock` (docs/fuzzing.md): a YAML error at
    /// the end of a text without a final newline was placed on a line after the
    /// last one.
    #[test]
    fn yaml_error_at_the_end_names_the_last_line() {
        let e = run("lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {").unwrap_err();
        assert!(e.message.contains("not valid YAML"), "{e}");
        assert_eq!(e.line, Some(3));
    }

    /// Every fixture: expected outcomes read from the files.
    #[test]
    fn fixtures() {
        type Row = (
            &'static str,
            Result<(usize, usize), &'static str>,
            &'static [(&'static str, &'static str)],
        );
        // (file, Ok((packages, warnings)) or Err(message), pinned name@version)
        let rows: &[Row] = &[
            (
                "commits.v9.yaml",
                Ok((2, 0)),
                &[("ansi-regex", "6.0.1"), ("is-number", "7.0.0")],
            ),
            // `faker@5.5.3` has no entry.
            (
                "commits.yaml",
                Ok((6, 1)),
                &[
                    ("faker", "5.5.3"),
                    ("my-bitbucket-package", "1.0.0"),
                    ("@my-scope/my-package", "1.0.0"),
                    ("faker-parser", "0.0.1"),
                    ("mocks", "20.0.1"),
                ],
            ),
            ("empty.yaml", Ok((0, 1)), &[]), // "empty file" (comments only)
            // `github.com/kevva/is-positive` and `/foo/bar` have no version; the
            // direct dependency has no entry.
            (
                "exotic.yaml",
                Ok((8, 3)),
                &[
                    ("foo", "1.0.0"),
                    ("@foo/bar", "1.0.0"),
                    ("foo", "1.1.0"),
                    ("@foo/bar", "1.1.0"),
                    ("foo", "1.2.0"),
                    ("foo", "1.3.0"),
                    ("foo", "1.4.0"),
                    ("@typescript-eslint/types", "5.13.0"),
                ],
            ),
            // `file:../nameless-package` has no name.
            (
                "files.yaml",
                Ok((5, 1)),
                &[
                    ("my-file-package", "0.0.0"),
                    ("a-local-package", "1.0.0"),
                    ("a-nested-local-package", "1.0.0"),
                    ("one-up", "1.0.0"),
                    ("one-up-with-peer", "1.0.0"),
                ],
            ),
            // `invalidpath` is skipped; the direct `test` has no entry.
            (
                "invalid-path.yaml",
                Ok((2, 2)),
                &[("acorn", "8.7.0"), ("test", "1.2.3")],
            ),
            (
                "invalid-paths.yaml",
                Ok((2, 3)),
                &[("acorn", "8.7.0"), ("test", "1.2.3")],
            ),
            ("missing-packages.yaml", Ok((0, 1)), &[]),
            (
                "mixed-groups.v53.yaml",
                Ok((3, 0)),
                &[
                    ("ansi-regex", "5.0.1"),
                    ("is-number", "7.0.0"),
                    ("uuid", "8.3.2"),
                ],
            ),
            (
                "mixed-groups.v54.yaml",
                Ok((3, 0)),
                &[("ansi-regex", "5.0.1"), ("uuid", "8.3.2")],
            ),
            (
                "mixed-groups.v6.yaml",
                Ok((3, 0)),
                &[
                    ("ansi-regex", "5.0.0"),
                    ("is-number", "7.0.0"),
                    ("uuid", "8.0.0"),
                ],
            ),
            (
                "mixed-groups.v9.yaml",
                Ok((3, 0)),
                &[
                    ("ansi-regex", "5.0.1"),
                    ("is-number", "7.0.0"),
                    ("uuid", "8.3.2"),
                ],
            ),
            (
                "multiple-packages.yaml",
                Ok((14, 0)),
                &[
                    ("aws-sdk", "2.1087.0"),
                    ("xmlbuilder", "9.0.7"),
                    ("uuid", "3.3.2"),
                ],
            ),
            // The direct `aws-sdk` has no entry.
            (
                "multiple-versions.v9.yaml",
                Ok((4, 1)),
                &[
                    ("uuid", "8.0.0"),
                    ("uuid", "8.3.2"),
                    ("xmlbuilder", "11.0.1"),
                    ("aws-sdk", "2.1602.0"),
                ],
            ),
            (
                "multiple-versions.yaml",
                Ok((4, 1)),
                &[
                    ("uuid", "3.3.2"),
                    ("uuid", "8.3.2"),
                    ("xmlbuilder", "9.0.7"),
                    ("aws-sdk", "2.1087.0"),
                ],
            ),
            ("no-packages.v9.yaml", Ok((0, 1)), &[]),
            ("no-packages.yaml", Ok((0, 1)), &[]),
            ("not-yaml.txt", Err("not a pnpm-lock.yaml"), &[]),
            (
                "one-package-dev.v9.yaml",
                Ok((1, 0)),
                &[("acorn", "8.11.3")],
            ),
            ("one-package-dev.yaml", Ok((1, 0)), &[("acorn", "8.7.0")]),
            (
                "one-package-v6-lockfile.yaml",
                Ok((1, 0)),
                &[("acorn", "8.7.0")],
            ),
            ("one-package.v9.yaml", Ok((1, 0)), &[("acorn", "8.11.3")]),
            ("one-package.yaml", Ok((1, 0)), &[("acorn", "8.7.0")]),
            (
                "peer-dependencies-advanced-rc-v6.yaml",
                Ok((5, 0)),
                &[
                    ("react-dom", "18.0.0-rc.3"),
                    ("react", "18.2.0"),
                    ("scheduler", "0.21.0"),
                ],
            ),
            (
                "peer-dependencies-advanced-v6.yaml",
                Ok((5, 0)),
                &[
                    ("react-dom", "18.3.0-canary-ab31a9ed2-20230824"),
                    ("scheduler", "0.24.0-canary-ab31a9ed2-20230824"),
                ],
            ),
            // Truncated: 48 (v9) and 43 (v5) referenced name@versions have no entry.
            (
                "peer-dependencies-advanced.v9.yaml",
                Ok((61, 48)),
                &[
                    ("@typescript-eslint/eslint-plugin", "5.62.0"),
                    ("typescript", "4.9.5"),
                    ("ms", "2.1.2"),
                ],
            ),
            (
                "peer-dependencies-advanced.yaml",
                Ok((52, 43)),
                &[
                    ("@typescript-eslint/parser", "5.13.0"),
                    ("tsutils", "3.21.0"),
                    ("typescript", "4.6.2"),
                ],
            ),
            (
                "peer-dependencies-v6.yaml",
                Ok((5, 0)),
                &[("react-dom", "18.2.0"), ("js-tokens", "4.0.0")],
            ),
            (
                "peer-dependencies.v9.yaml",
                Ok((2, 0)),
                &[("acorn-jsx", "5.3.2"), ("acorn", "8.11.3")],
            ),
            (
                "peer-dependencies.yaml",
                Ok((2, 0)),
                &[("acorn-jsx", "5.3.2"), ("acorn", "8.7.0")],
            ),
            (
                "scoped-packages-v6-lockfile.yaml",
                Ok((1, 0)),
                &[("@typescript-eslint/types", "5.57.1")],
            ),
            (
                "scoped-packages.v9.yaml",
                Ok((1, 0)),
                &[("@typescript-eslint/types", "5.62.0")],
            ),
            (
                "scoped-packages.yaml",
                Ok((1, 0)),
                &[("@typescript-eslint/types", "5.13.0")],
            ),
            (
                "tarball.yaml",
                Ok((1, 0)),
                &[("@my-org/my-package", "3.2.3")],
            ),
        ];
        let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "pnpmlock") else {
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
        let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "pnpmlock") else {
            return;
        };
        let load = |f: &str| {
            let path = dir.join(f);
            let text = std::fs::read_to_string(&path).unwrap();
            parse_with(parse, &path.to_string_lossy(), &text, &crate::DiskFiles).unwrap()
        };
        for f in [
            "mixed-groups.v53.yaml",
            "mixed-groups.v6.yaml",
            "mixed-groups.v9.yaml",
        ] {
            let p = load(f);
            let scope = |n: &str| {
                p.packages
                    .iter()
                    .find(|p| p.name == n)
                    .map(|p| (p.relation, p.scope))
            };
            assert_eq!(
                scope("ansi-regex"),
                Some((Relation::Direct, Scope::Runtime)),
                "{f}"
            );
            assert_eq!(
                scope("is-number"),
                Some((Relation::Direct, Scope::Development)),
                "{f}"
            );
            assert_eq!(
                scope("uuid"),
                Some((Relation::Direct, Scope::Optional)),
                "{f}"
            );
        }
        let p = load("one-package-dev.v9.yaml");
        assert_eq!(find(&p, "acorn", "8.11.3").scope, Scope::Development);
        assert_eq!(find(&p, "acorn", "8.11.3").line, Some(17));

        let p = load("tarball.yaml");
        let t = find(&p, "@my-org/my-package", "3.2.3");
        assert_eq!(
            (t.relation, t.scope, &t.source),
            (Relation::Direct, Scope::Development, &Source::Registry)
        );

        let p = load("files.yaml");
        let f = find(&p, "my-file-package", "0.0.0");
        assert_eq!(
            (f.relation, &f.source),
            (
                Relation::Direct,
                &Source::Path("projects/package-a.tgz".into())
            )
        );
        assert_eq!(
            find(&p, "one-up-with-peer", "1.0.0").source,
            Source::Path("..".into())
        );
        assert_eq!(
            find(&p, "a-local-package", "1.0.0").source,
            Source::Path("../local-package".into())
        );
        assert_eq!(p.warnings[0].line, Some(44));

        let p = load("commits.v9.yaml");
        let a = find(&p, "ansi-regex", "6.0.1");
        assert_eq!(a.relation, Relation::Direct);
        assert!(
            matches!(&a.source, Source::Git { url, rev: Some(r) } if url == "https://github.com/chalk/ansi-regex" && r.starts_with("02fa893d"))
        );

        let p = load("commits.yaml");
        let other = find(&p, "@my-scope/my-other-package", "1.0.0");
        assert_eq!(
            other.paths,
            vec![vec![
                "@my-scope/my-package@1.0.0",
                "@my-scope/my-other-package@1.0.0"
            ]]
        );
        assert!(matches!(
            find(&p, "my-bitbucket-package", "1.0.0").source,
            Source::Git { .. }
        ));
        assert_eq!(
            find(&p, "my-bitbucket-package", "1.0.0").relation,
            Relation::Direct
        );

        let p = load("peer-dependencies-v6.yaml");
        assert_eq!(
            find(&p, "js-tokens", "4.0.0").paths,
            vec![vec![
                "react-dom@18.2.0",
                "loose-envify@1.4.0",
                "js-tokens@4.0.0"
            ]]
        );
        let p = load("exotic.yaml");
        assert_eq!(find(&p, "foo", "1.3.0").source, Source::Registry);
        assert_eq!(
            p.warnings.iter().filter_map(|w| w.line).collect::<Vec<_>>(),
            vec![7, 14, 18]
        );
    }

    #[test]
    fn no_panic_on_cuts() {
        if let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "pnpmlock") {
            no_panic_cuts(parse, &files_under(&dir));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn no_panic_on_flipped_bytes(file in 0usize..64, flips in proptest::collection::vec((0usize..100_000, proptest::num::u8::ANY), 1..8)) {
            let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "pnpmlock") else {
                return Ok(());
            };
            let files = files_under(&dir);
            no_panic_flips(parse, &files[file % files.len()], &flips);
        }
    }
}
