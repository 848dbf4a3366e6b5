//! `yarn.lock`: Yarn's lockfile, classic and berry.
//!
//! Versions read:
//! - Classic (Yarn 1, `# yarn lockfile v1`): blocks headed by the descriptors they
//!   satisfy (`"a@^1.0.0", a@^1.1.0:`), then indented `version "1.2.3"`, `resolved
//!   "…"`, and `dependencies:`/`optionalDependencies:` sub-blocks of `name "range"`
//!   lines. Keys and values may be quoted or bare.
//! - Berry (Yarn 2+, a YAML document with `__metadata`): keys list descriptors
//!   (`"a@npm:^1.0.0, a@npm:^1.1.0"`), values hold `version`, `resolution`
//!   (`a@npm:1.2.3`), `dependencies`, `languageName`, `linkType`. Read with the
//!   YAML parser; a number-like scalar is read as written (`1.10` stays `1.10`).
//!
//! For cverun:
//! - One package per block, named by its real name: `alias@npm:real@^1` descriptors
//!   (classic) and the `resolution` (berry) name the package that is installed.
//!   `version` is the exact version (a `patch:` entry keeps its own `version`); a
//!   block without one is kept unpinned with its first range as specifier, and a
//!   warning.
//! - Source: `resolved` (classic) or `resolution` (berry) decides: registry tarball
//!   URLs (any host) and `npm:` are [`Source::Registry`]; git URLs, `github:`
//!   shorthands, `codeload.github.com` and GitLab archive tarballs are
//!   [`Source::Git`] (with the commit, or else the ref of the descriptor); `file:`,
//!   `link:`, `portal:`, `exec:` and `workspace:` are [`Source::Path`]; other URLs
//!   [`Source::Url`]. A `patch:` resolution has the source of the package it patches.
//!   A classic block without `resolved` takes its source from a non-registry
//!   descriptor (`file:`, git), else the registry.
//! - Berry workspaces: `name@workspace:.` is the project itself and is not a
//!   package; other `workspace:` entries are members (path packages; their
//!   placeholder version `0.0.0-use.local` is not reported). The dependencies of every
//!   workspace entry are direct dependencies.
//! - Direct dependencies and scope: yarn.lock does not record which dependencies
//!   are development ones, and classic lockfiles do not record the project's own
//!   dependencies at all. When a `package.json` sits beside the lockfile, its
//!   `dependencies`, `devDependencies`, `optionalDependencies` and
//!   `peerDependencies` name the direct dependencies and their scope, and scopes
//!   spread down the graph (runtime wins over optional over development). Without
//!   it, a classic lockfile gives every package [`Relation::Unknown`] and no paths
//!   (berry still names direct dependencies through its root workspace entry, with
//!   unknown scopes).
//! - Graph: each block's `dependencies` and `optionalDependencies` (not
//!   `peerDependencies`, which the parent provides) are matched to the block whose
//!   descriptor is `name@range` (berry also tries `name@npm:range`), or else to the
//!   only block of that name. Relations and up to three paths come from the graph.
//!
//! Errors and warnings: classic text whose top-level lines are not `…:` headers,
//! indented text before any header, or an unterminated quote in a header is an
//! error with its line; berry text that is not YAML or not a mapping is an error
//! with its line. A block that is not a mapping (berry), has no name, or a field line
//! that cannot be read, is a warning with its line. Whitespace only: an "empty
//! file" warning; comments only: no packages.
//!
//! [`Relation::Unknown`]: crate::Relation::Unknown

use std::collections::HashMap;

use saphyr::MarkedYaml;

use super::js_common::{
    ByName, Spec, YamlText, add_direct, add_edge, classify_spec, finish, is_registry_tarball,
    load_yaml, package, source_of, split_name_spec, yaml_entries, yaml_line,
};
use super::package_json;
use crate::{Input, Package, ParseError, Parsed, Pin, Scope, Source, Warning};

/// One lockfile block, in either flavour.
struct Entry {
    /// The descriptors it satisfies, as written (`a@^1.0.0`).
    descriptors: Vec<String>,
    /// The installed package.
    package: Package,
    /// Its dependencies (`name`, `range`).
    deps: Vec<(String, String)>,
    /// A berry workspace (the project itself when `root`).
    workspace: bool,
    /// The berry root workspace (`workspace:.`).
    root: bool,
}

/// Parses a yarn.lock (classic or berry).
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let berry = input.text.lines().any(|l| l.trim_end() == "__metadata:");
    let entries = if berry {
        parse_berry(input, &mut parsed.warnings)?
    } else {
        parse_classic(input, &mut parsed.warnings)?
    };
    parsed.packages = link(input, entries, berry, &mut parsed.warnings);
    Ok(parsed)
}

/// Builds the graph, names the direct dependencies and finishes the packages.
fn link(
    input: &Input<'_>,
    entries: Vec<Entry>,
    berry: bool,
    warnings: &mut Vec<Warning>,
) -> Vec<Package> {
    // Entry index -> package index (the root workspace has none).
    let mut index: Vec<Option<usize>> = Vec::with_capacity(entries.len());
    let mut packages = Vec::new();
    let mut by_descriptor: HashMap<&str, usize> = HashMap::new();
    let mut by_name = ByName::default();
    for (i, e) in entries.iter().enumerate() {
        for d in &e.descriptors {
            by_descriptor.entry(d.as_str()).or_insert(i);
            by_name.add(split_name_spec(d).0, i);
        }
        by_name.add(&e.package.name, i);
        if e.root {
            index.push(None);
        } else {
            index.push(Some(packages.len()));
            packages.push(e.package.clone());
        }
    }
    let resolve = |name: &str, range: &str| -> Option<usize> {
        let exact = format!("{name}@{range}");
        by_descriptor
            .get(exact.as_str())
            .copied()
            .or_else(|| {
                if berry && !range.contains(':') {
                    by_descriptor
                        .get(format!("{name}@npm:{range}").as_str())
                        .copied()
                } else {
                    None
                }
            })
            .or_else(|| by_name.unique(name))
    };
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); packages.len()];
    let mut direct: Vec<(usize, Scope)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        for (name, range) in &e.deps {
            let Some(to) = resolve(name, range).and_then(|j| index.get(j).copied().flatten())
            else {
                continue;
            };
            if e.workspace {
                add_direct(&mut direct, to, Scope::Unknown);
            }
            if let Some(from) = index[i] {
                add_edge(&mut edges, from, to);
            }
        }
    }
    match package_json::sibling(input) {
        Ok(Some(declared)) => {
            for d in declared {
                if let Some(to) =
                    resolve(&d.name, &d.spec).and_then(|j| index.get(j).copied().flatten())
                {
                    add_direct(&mut direct, to, d.scope);
                }
            }
        }
        Ok(None) => {}
        Err(msg) => {
            warnings.push(input.warning(None, format!("{msg}; direct dependencies unknown")))
        }
    }
    finish(packages, &edges, &direct)
}

/// Splits `s` into whitespace-separated tokens, unquoting `"…"` ones; `None` on
/// an unterminated quote.
fn tokens(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut tok = String::new();
        if c == '"' {
            chars.next();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '\\' => tok.push(chars.next()?),
                    '"' => {
                        closed = true;
                        break;
                    }
                    other => tok.push(other),
                }
            }
            if !closed {
                return None;
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                tok.push(c);
                chars.next();
            }
        }
        out.push(tok);
    }
    Some(out)
}

/// Splits a classic header (without its `:`) into descriptors; `None` on an
/// unterminated quote.
fn header_descriptors(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => cur.push(chars.next()?),
            ',' if !quoted => {
                out.push(std::mem::take(&mut cur).trim().to_owned());
            }
            other => cur.push(other),
        }
    }
    if quoted {
        return None;
    }
    out.push(cur.trim().to_owned());
    out.retain(|d| !d.is_empty());
    Some(out)
}

/// The real package name of a descriptor (`alias@npm:real@^1` names `real`).
fn real_name(descriptor: &str) -> &str {
    let (name, range) = split_name_spec(descriptor);
    match range.strip_prefix("npm:") {
        Some(alias) if alias.contains('@') && !alias.starts_with('@') || alias_scoped(alias) => {
            split_name_spec(alias).0
        }
        _ => name,
    }
}

/// `@s/real@^1` (a scoped alias target with a range).
fn alias_scoped(s: &str) -> bool {
    s.starts_with('@') && s.get(1..).is_some_and(|r| r.contains('@'))
}

/// A classic block being read.
struct Block {
    descriptors: Vec<String>,
    line: u32,
    version: Option<String>,
    resolved: Option<String>,
    deps: Vec<(String, String)>,
}

/// Classic (v1) lockfiles.
fn parse_classic(input: &Input<'_>, warnings: &mut Vec<Warning>) -> Result<Vec<Entry>, ParseError> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut field_indent: Option<usize> = None;
    let mut sub: Option<String> = None;
    for (i, raw) in input.text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let body = raw.trim();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let indent = raw.len() - raw.trim_start().len();
        if indent == 0 {
            let Some(header) = body.strip_suffix(':') else {
                return Err(input.error(
                    Some(line_no),
                    "not a yarn.lock: expected a package header like `name@range:`",
                ));
            };
            let Some(descriptors) = header_descriptors(header) else {
                return Err(input.error(Some(line_no), "unterminated quote in a package header"));
            };
            blocks.push(Block {
                descriptors,
                line: line_no,
                version: None,
                resolved: None,
                deps: Vec::new(),
            });
            field_indent = None;
            sub = None;
            continue;
        }
        let Some(block) = blocks.last_mut() else {
            return Err(input.error(
                Some(line_no),
                "not a yarn.lock: indented line before any package header",
            ));
        };
        let level = *field_indent.get_or_insert(indent);
        if indent <= level {
            if let Some(key) = body.strip_suffix(':') {
                sub = Some(key.trim_matches('"').to_owned());
                continue;
            }
            sub = None;
            match tokens(body).as_deref() {
                Some([key, value, ..]) => match key.as_str() {
                    "version" => block.version = Some(value.clone()),
                    "resolved" => block.resolved = Some(value.clone()),
                    _ => {}
                },
                Some([_]) => {}
                _ => warnings.push(input.warning(
                    Some(line_no),
                    format!("cannot read the line `{body}`; skipped"),
                )),
            }
        } else if matches!(
            sub.as_deref(),
            Some("dependencies" | "optionalDependencies")
        ) {
            match tokens(body).as_deref() {
                Some([name, range, ..]) => block.deps.push((name.clone(), range.clone())),
                _ => warnings.push(input.warning(
                    Some(line_no),
                    format!("cannot read the dependency `{body}`; skipped"),
                )),
            }
        }
    }
    let mut entries = Vec::new();
    for b in blocks {
        let Some(first) = b.descriptors.first() else {
            warnings
                .push(input.warning(Some(b.line), "package header without descriptors; skipped"));
            continue;
        };
        let name = real_name(first);
        if name.is_empty() {
            warnings.push(input.warning(
                Some(b.line),
                format!("cannot tell the package name of `{first}`; skipped"),
            ));
            continue;
        }
        let ranges: Vec<&str> = b.descriptors.iter().map(|d| split_name_spec(d).1).collect();
        let source = classic_source(b.resolved.as_deref(), &ranges);
        let pin = match b.version.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => Pin::Exact(v.to_owned()),
            None => {
                warnings.push(input.warning(
                    Some(b.line),
                    format!("`{first}` has no version; kept unpinned"),
                ));
                Pin::Unpinned {
                    specifier: ranges.first().copied().unwrap_or("").to_owned(),
                }
            }
        };
        entries.push(Entry {
            package: package(name, pin, source, Some(b.line)),
            descriptors: b.descriptors,
            deps: b.deps,
            workspace: false,
            root: false,
        });
    }
    Ok(entries)
}

/// The source of a classic block: from `resolved`, else from a non-registry range.
fn classic_source(resolved: Option<&str>, ranges: &[&str]) -> Source {
    let from_ranges = || {
        ranges.iter().find_map(
            |r| match classify_spec(r.strip_prefix("npm:").unwrap_or(r)) {
                Spec::Other(s) => Some(s),
                _ => None,
            },
        )
    };
    let source = match resolved.filter(|r| !r.is_empty()) {
        Some(r) => source_of(r),
        None => from_ranges().unwrap_or(Source::Registry),
    };
    with_descriptor_rev(source, ranges)
}

/// A git source without a commit takes the ref of a git descriptor.
fn with_descriptor_rev(source: Source, ranges: &[&str]) -> Source {
    match source {
        Source::Git { url, rev: None } => {
            let rev = ranges
                .iter()
                .find_map(|r| r.split_once('#').map(|(_, f)| f.to_owned()));
            Source::Git { url, rev }
        }
        other => other,
    }
}

/// Decodes the `%XX` escapes berry uses inside `patch:` locators.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The source of a berry resolution reference (the part after `name@`).
fn berry_source(reference: &str, depth: u8) -> Source {
    let r = reference.split("::").next().unwrap_or(reference);
    if r.starts_with("npm:") {
        return Source::Registry;
    }
    if let Some(inner) = r.strip_prefix("patch:") {
        let inner = percent_decode(inner.split('#').next().unwrap_or(inner));
        let (_, spec) = split_name_spec(&inner);
        return if depth == 0 {
            berry_source(spec, 1)
        } else {
            Source::Url(reference.to_owned())
        };
    }
    for proto in ["file:", "link:", "portal:", "exec:", "workspace:"] {
        if let Some(p) = r.strip_prefix(proto) {
            return Source::Path(p.split('#').next().unwrap_or(p).to_owned());
        }
    }
    if is_registry_tarball(r) {
        return Source::Registry;
    }
    source_of(r)
}

/// Berry (v2+) lockfiles.
fn parse_berry(input: &Input<'_>, warnings: &mut Vec<Warning>) -> Result<Vec<Entry>, ParseError> {
    let text = super::js_common::lone_cr_as_space(input.text);
    let doc = load_yaml(&text).map_err(|(line, msg)| input.error(line, msg))?;
    let Some(doc) = doc else {
        return Ok(Vec::new());
    };
    let Some(blocks) = yaml_entries(&doc) else {
        return Err(input.error(
            yaml_line(&doc).or(Some(1)),
            "not a yarn.lock: expected a YAML mapping",
        ));
    };
    let yt = YamlText::new(input.text);
    let get =
        |node: &MarkedYaml<'_>, key: &str| node.data.as_mapping_get(key).and_then(|v| yt.str(v));
    let mut entries = Vec::new();
    for (key, value) in blocks {
        let line = yaml_line(key);
        let Some(key) = yt.str(key) else {
            warnings.push(input.warning(line, "a block key is not a string; skipped"));
            continue;
        };
        if key == "__metadata" {
            continue;
        }
        if yaml_entries(value).is_none() {
            warnings.push(input.warning(line, format!("block `{key}` is not a mapping; skipped")));
            continue;
        }
        let descriptors: Vec<String> = key
            .split(',')
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .collect();
        let resolution = get(value, "resolution");
        let first = descriptors.first().map_or("", String::as_str);
        let (name, reference) = match resolution.as_deref() {
            Some(r) => split_name_spec(r),
            None => (real_name(first), ""),
        };
        let name = if name.is_empty() {
            real_name(first)
        } else {
            name
        };
        if name.is_empty() {
            warnings.push(input.warning(
                line,
                format!("cannot tell the package name of `{key}`; skipped"),
            ));
            continue;
        }
        let ranges: Vec<&str> = descriptors.iter().map(|d| split_name_spec(d).1).collect();
        let source = if reference.is_empty() {
            ranges
                .iter()
                .find(|r| r.contains(':') && !r.starts_with("npm:"))
                .map_or(Source::Registry, |r| berry_source(r, 0))
        } else {
            berry_source(reference, 0)
        };
        let source = with_descriptor_rev(source, &ranges);
        let workspace = reference.starts_with("workspace:");
        let root = workspace && matches!(reference, "workspace:." | "workspace:./");
        let version = get(value, "version").filter(|v| !v.is_empty());
        let pin = match version {
            Some(v) if workspace && v.starts_with("0.0.0-use.local") => Pin::Unpinned {
                specifier: String::new(),
            },
            Some(v) => Pin::Exact(v),
            None => {
                if !workspace {
                    warnings.push(
                        input.warning(line, format!("`{key}` has no version; kept unpinned")),
                    );
                }
                Pin::Unpinned {
                    specifier: ranges.first().copied().unwrap_or("").to_owned(),
                }
            }
        };
        let mut deps = Vec::new();
        for group in ["dependencies", "optionalDependencies"] {
            let Some(map) = value.data.as_mapping_get(group) else {
                continue;
            };
            match yaml_entries(map) {
                Some(items) => {
                    for (k, v) in items {
                        if let (Some(k), Some(v)) = (yt.str(k), yt.str(v)) {
                            deps.push((k, v));
                        }
                    }
                }
                None => warnings.push(input.warning(
                    yaml_line(map),
                    format!("`{group}` of `{key}` is not a mapping"),
                )),
            }
        }
        entries.push(Entry {
            package: package(name, pin, source, line),
            descriptors,
            deps,
            workspace,
            root,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Relation;
    use crate::formats::js_common::test_support::{
        MemFiles, files_under, fixture_dir, no_panic_cuts, no_panic_flips, parse_with,
    };

    fn run(text: &str, files: &MemFiles) -> Result<Parsed, ParseError> {
        parse_with(parse, "svc/yarn.lock", text, files)
    }

    fn find<'a>(p: &'a Parsed, name: &str, version: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|p| p.name == name && p.exact_version() == Some(version))
            .unwrap_or_else(|| panic!("{name}@{version} missing in {:#?}", p.packages))
    }

    const CLASSIC: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@s/a@^1.0.0", "@s/a@^1.1.0":
  version "1.2.0"
  resolved "https://registry.yarnpkg.com/@s/a/-/a-1.2.0.tgz#abc"
  dependencies:
    b "^2.0.0"
    "@s/c" "~3.0.0"

b@^2.0.0:
  version "2.1.0"
  resolved "https://mirror.example/b/-/b-2.1.0.tgz"
  optionalDependencies:
    d "1.0.0"

"@s/c@~3.0.0":
  version "3.0.4"

d@1.0.0:
  version "1.0.0"
  resolved "https://codeload.github.com/o/d/tar.gz/cafe"

dev@^1:
  version "1.0.0"

loc@file:./libs/loc:
  version "0.1.0"

cjs@npm:string-width@^4:
  version "4.2.3"

nov@^1:
  resolved "https://registry.yarnpkg.com/nov/-/nov-1.0.0.tgz"
"#;

    #[test]
    fn classic_without_manifest() {
        let p = run(CLASSIC, &MemFiles::default()).unwrap();
        assert_eq!(p.packages.len(), 8);
        assert!(
            p.packages
                .iter()
                .all(|p| p.relation == Relation::Unknown && p.paths.is_empty())
        );
        assert!(p.packages.iter().all(|p| p.scope == Scope::Unknown));
        let a = find(&p, "@s/a", "1.2.0");
        assert_eq!((a.line, &a.source), (Some(5), &Source::Registry));
        assert_eq!(find(&p, "b", "2.1.0").source, Source::Registry);
        assert_eq!(
            find(&p, "d", "1.0.0").source,
            Source::Git {
                url: "https://github.com/o/d".into(),
                rev: Some("cafe".into())
            }
        );
        assert_eq!(
            find(&p, "loc", "0.1.0").source,
            Source::Path("./libs/loc".into())
        );
        assert_eq!(find(&p, "string-width", "4.2.3").line, Some(31));
        let nov = p.packages.iter().find(|p| p.name == "nov").unwrap();
        assert_eq!(
            nov.pin,
            Pin::Unpinned {
                specifier: "^1".into()
            }
        );
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(34));
    }

    #[test]
    fn classic_with_manifest() {
        let files = MemFiles::with(&[(
            "svc/package.json",
            r#"{"dependencies": {"@s/a": "^1.1.0", "cjs": "npm:string-width@^4"}, "devDependencies": {"dev": "^1", "@s/c": "~3.0.0"}}"#,
        )]);
        let p = run(CLASSIC, &files).unwrap();
        let a = find(&p, "@s/a", "1.2.0");
        assert_eq!((a.relation, a.scope), (Relation::Direct, Scope::Runtime));
        let b = find(&p, "b", "2.1.0");
        assert_eq!(
            (b.relation, b.scope),
            (Relation::Transitive, Scope::Runtime)
        );
        assert_eq!(b.paths, vec![vec!["@s/a@1.2.0", "b@2.1.0"]]);
        let d = find(&p, "d", "1.0.0");
        assert_eq!(
            d.paths,
            vec![vec!["@s/a@1.2.0", "b@2.1.0", "d@1.0.0"]],
            "optional dependencies are edges"
        );
        let c = find(&p, "@s/c", "3.0.4");
        assert_eq!(
            (c.relation, c.scope),
            (Relation::Direct, Scope::Runtime),
            "runtime wins"
        );
        let dev = find(&p, "dev", "1.0.0");
        assert_eq!(
            (dev.relation, dev.scope),
            (Relation::Direct, Scope::Development)
        );
        assert_eq!(find(&p, "string-width", "4.2.3").relation, Relation::Direct);
        assert_eq!(find(&p, "loc", "0.1.0").relation, Relation::Unknown);
    }

    const BERRY: &str = r#"# This file is generated by running "yarn install" inside your project.

__metadata:
  version: 8
  cacheKey: 10c0

"a@npm:^1.0.0, a@npm:^1.1.0":
  version: 1.10.0
  resolution: "a@npm:1.10.0"
  dependencies:
    b: ^2.0.0
  languageName: node
  linkType: hard

"b@npm:^2.0.0":
  version: 2.0.1
  resolution: "b@npm:2.0.1"
  languageName: node
  linkType: hard

"resolve@patch:resolve@npm%3A^1.20.0#~builtin<compat/resolve>":
  version: 1.22.1
  resolution: "resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=07638b"
  languageName: node
  linkType: hard

"g@https://github.com/o/g.git#main":
  version: 0.3.0
  resolution: "g@https://github.com/o/g.git#commit=abc"
  languageName: node
  linkType: hard

"lib@workspace:packages/lib":
  version: 0.0.0-use.local
  resolution: "lib@workspace:packages/lib"
  dependencies:
    b: ^2.0.0
  languageName: unknown
  linkType: soft

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    a: ^1.1.0
    g: "https://github.com/o/g.git#main"
    lib: "workspace:packages/lib"
    resolve: "patch:resolve@npm%3A^1.20.0#~builtin<compat/resolve>"
  languageName: unknown
  linkType: soft

bad: 3
"#;

    #[test]
    fn berry() {
        let p = run(BERRY, &MemFiles::default()).unwrap();
        assert_eq!(p.packages.len(), 5, "{:#?}", p.packages);
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(52));
        let a = find(&p, "a", "1.10.0");
        assert_eq!((a.relation, a.line), (Relation::Direct, Some(7)));
        assert_eq!(a.scope, Scope::Unknown, "berry does not say dev or not");
        let b = find(&p, "b", "2.0.1");
        assert_eq!(b.relation, Relation::Direct, "through the member workspace");
        let r = find(&p, "resolve", "1.22.1");
        assert_eq!(
            (r.relation, &r.source),
            (Relation::Direct, &Source::Registry)
        );
        assert_eq!(
            find(&p, "g", "0.3.0").source,
            Source::Git {
                url: "https://github.com/o/g.git".into(),
                rev: Some("abc".into())
            }
        );
        let lib = p.packages.iter().find(|p| p.name == "lib").unwrap();
        assert_eq!(lib.source, Source::Path("packages/lib".into()));
        assert_eq!(
            lib.pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert!(
            !p.packages.iter().any(|p| p.name == "app"),
            "the project itself is not a package"
        );

        let files = MemFiles::with(&[(
            "svc/package.json",
            r#"{"devDependencies": {"a": "^1.1.0"}}"#,
        )]);
        let p = run(BERRY, &files).unwrap();
        assert_eq!(find(&p, "a", "1.10.0").scope, Scope::Development);
        assert_eq!(find(&p, "b", "2.0.1").scope, Scope::Development);
    }

    #[test]
    fn errors() {
        let none = MemFiles::default();
        let e = run("this is not a yarn lockfile", &none).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("not a yarn.lock"), "{e}");
        let e = run("# c\n  version \"1\"\n", &none).unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = run("\"a@^1:\n  version \"1.0.0\"\n", &none).unwrap_err();
        assert!(e.message.contains("unterminated quote"), "{e}");
        let e = run("__metadata:\n  version: 5\n\"a@npm:1\": [\n", &none).unwrap_err();
        assert!(e.message.contains("not valid YAML"), "{e}");
        assert!(e.line.is_some());
        let p = run("a@^1:\n  version \"1.0.0\n", &none).unwrap();
        assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
        let p = run("\n\t \n", &none).unwrap();
        assert_eq!(p.warnings[0].message, "empty file");
        let p = run("# yarn lockfile v1\n", &none).unwrap();
        assert!(p.packages.is_empty() && p.warnings.is_empty());
    }

    /// Found by the fuzz target `inv_yarn_lock` (docs/fuzzing.md): a YAML error at
    /// the end of a text without a final newline was placed on a line after the
    /// last one.
    #[test]
    fn yaml_error_at_the_end_names_the_last_line() {
        let none = MemFiles::default();
        let e = run("__metadata:\n  version: 5\n\"a@npm:1\": [", &none).unwrap_err();
        assert!(e.message.contains("not valid YAML"), "{e}");
        assert_eq!(e.line, Some(3));
    }

    /// Every fixture: expected outcomes read from the files.
    #[test]
    fn fixtures() {
        type Row = (
            &'static str,
            usize,
            usize,
            &'static [(&'static str, &'static str)],
        );
        // (file, packages, warnings, pinned name@version)
        let rows: &[Row] = &[
            (
                "commits.v1.lock",
                18,
                0,
                &[
                    ("mine1", "1.0.0-alpha.37"),
                    ("@bower_components/alertify", "0.0.0"),
                    ("is-number", "5.0.0"),
                ],
            ),
            (
                "commits.v2.lock",
                7,
                0,
                &[
                    ("@my-scope/my-first-package", "0.0.6"),
                    ("is-really-great", "1.0.0"),
                ],
            ),
            ("empty.v1.lock", 0, 0, &[]),
            ("empty.v2.lock", 0, 0, &[]),
            ("exclude-root.v2.lock", 2, 0, &[("ansi-regex", "6.1.0")]),
            (
                "files.v1.lock",
                6,
                0,
                &[
                    ("etag", "1.8.1"),
                    ("filedep", "1.2.0"),
                    ("sprintf-js", "0.0.0"),
                    ("etag", "1.8.0"),
                ],
            ),
            ("files.v2.lock", 1, 0, &[("my-package", "0.0.2")]),
            ("metadata-only.v2.lock", 0, 0, &[]),
            (
                "multiple-constraints.v1.lock",
                2,
                0,
                &[
                    ("domelementtype", "1.3.1"),
                    ("@babel/code-frame", "7.12.13"),
                ],
            ),
            (
                "multiple-versions.v1.lock",
                4,
                0,
                &[("define-property", "0.2.5"), ("define-property", "2.0.2")],
            ),
            (
                "multiple-versions.v2.lock",
                3,
                0,
                &[("debug", "4.3.3"), ("debug", "2.6.9"), ("debug", "3.2.7")],
            ),
            ("no-version.v1.lock", 1, 0, &[("balanced-match", "1.0.2")]),
            ("one-package.v1.lock", 1, 0, &[("balanced-match", "1.0.2")]),
            ("one-package.v2.lock", 1, 0, &[("balanced-match", "1.0.2")]),
            (
                "scoped-packages.v1.lock",
                2,
                0,
                &[
                    ("@babel/code-frame", "7.12.11"),
                    ("@babel/compat-data", "7.14.0"),
                ],
            ),
            (
                "scoped-packages.v2.lock",
                3,
                0,
                &[("@babel/cli", "7.16.8"), ("@babel/compat-data", "7.16.8")],
            ),
            (
                "two-packages.v1.lock",
                2,
                0,
                &[("concat-map", "0.0.1"), ("concat-stream", "1.6.2")],
            ),
            (
                "two-packages.v2.lock",
                2,
                0,
                &[("compare-func", "2.0.0"), ("concat-map", "0.0.1")],
            ),
            (
                "with-aliases.v1.lock",
                3,
                0,
                &[
                    ("ansi-regex", "5.0.1"),
                    ("ansi-regex", "6.0.1"),
                    ("@babel/helper-validator-identifier", "7.22.20"),
                ],
            ),
            (
                "with-aliases.v2.lock",
                3,
                0,
                &[
                    ("ansi-regex", "5.0.1"),
                    ("@babel/helper-validator-identifier", "7.22.20"),
                ],
            ),
            (
                "with-build-string.v1.lock",
                2,
                0,
                &[("domino", "2.1.6+git"), ("tslib", "2.6.2")],
            ),
            (
                "with-build-string.v2.lock",
                2,
                0,
                &[("domino", "2.1.6+git"), ("tslib", "2.6.2")],
            ),
            (
                "with-prerelease.v1.lock",
                5,
                0,
                &[("css-tree", "1.0.0-alpha.37"), ("resolve", "2.0.0-next.3")],
            ),
            (
                "with-prerelease.v2.lock",
                2,
                0,
                &[
                    ("@nicolo-ribaudo/chokidar-2", "2.1.8-no-fsevents.3"),
                    ("gensync", "1.0.0-beta.2"),
                ],
            ),
            (
                "with-quotes.v1.lock",
                2,
                0,
                &[("concat-map", "0.0.1"), ("concat-stream", "1.6.2")],
            ),
            (
                "with-quotes.v2.lock",
                2,
                0,
                &[("compare-func", "2.0.0"), ("concat-map", "0.0.1")],
            ),
        ];
        let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "yarnlock") else {
            return;
        };
        assert_eq!(files_under(&dir).len(), rows.len(), "fixture set changed");
        for (file, count, warns, pins) in rows {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path).unwrap();
            let p = parse_with(parse, &path.to_string_lossy(), &text, &crate::DiskFiles)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(p.packages.len(), *count, "{file}: {:#?}", p.packages);
            assert_eq!(p.warnings.len(), *warns, "{file}: {:?}", p.warnings);
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
    }

    #[test]
    fn fixture_details() {
        let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "yarnlock") else {
            return;
        };
        let load = |f: &str| {
            let path = dir.join(f);
            let text = std::fs::read_to_string(&path).unwrap();
            parse_with(parse, &path.to_string_lossy(), &text, &crate::DiskFiles).unwrap()
        };
        let p = load("commits.v1.lock");
        assert!(
            p.packages
                .iter()
                .all(|p| matches!(p.source, Source::Git { .. })),
            "{:#?}",
            p.packages
        );
        let php = find(&p, "babel-preset-php", "1.1.1");
        assert_eq!(
            php.source,
            Source::Git {
                url: "https://gitlab.com/kornelski/babel-preset-php".into(),
                rev: Some("c5a7ba5e0ad98b8db1cb8ce105403dd4b768cced".into())
            }
        );
        let token = find(&p, "is-number", "5.0.0");
        assert!(
            matches!(&token.source, Source::Git { url, .. } if !url.contains("dummy-token")),
            "credentials dropped"
        );
        assert_eq!(find(&p, "mine1", "1.0.0-alpha.37").line, Some(5));

        let p = load("files.v1.lock");
        assert_eq!(
            find(&p, "filedep", "1.2.0").source,
            Source::Path("../../correct/path/filedep".into())
        );
        assert_eq!(
            find(&p, "etag", "1.8.0").source,
            Source::Path("./deps/etag".into())
        );
        assert_eq!(find(&p, "etag", "1.8.1").source, Source::Registry);
        assert_eq!(
            find(&p, "sprintf-js", "0.0.0").source,
            Source::Path("./mocks/sprintf-js".into())
        );

        let p = load("files.v2.lock");
        assert_eq!(
            find(&p, "my-package", "0.0.2").source,
            Source::Path("../../deps/my-local-package".into())
        );

        let p = load("with-build-string.v1.lock");
        assert_eq!(
            find(&p, "domino", "2.1.6+git").source,
            Source::Git {
                url: "ssh://git@github.com/angular/domino.git".into(),
                rev: Some("f2435fe1f9f7c91ade0bd472c4723e5eacd7d19a".into())
            },
            "the descriptor names the commit"
        );
        let p = load("with-build-string.v2.lock");
        assert_eq!(find(&p, "domino", "2.1.6+git").relation, Relation::Direct);
        assert_eq!(find(&p, "tslib", "2.6.2").relation, Relation::Direct);

        let p = load("exclude-root.v2.lock");
        assert_eq!(p.packages.len(), 2);
        assert_eq!(find(&p, "ansi-regex", "6.1.0").relation, Relation::Direct);
        let ws = p
            .packages
            .iter()
            .find(|p| p.name == "@ws/ansi-regex")
            .unwrap();
        assert_eq!(
            (ws.relation, &ws.source),
            (Relation::Direct, &Source::Path("ansi-regex".into()))
        );

        let p = load("with-aliases.v2.lock");
        assert!(p.packages.iter().all(|p| p.relation == Relation::Direct));

        let p = load("multiple-versions.v2.lock");
        assert!(
            p.packages.iter().all(|p| p.relation == Relation::Unknown),
            "no workspace entry, no package.json"
        );

        let p = load("scoped-packages.v2.lock");
        assert_eq!(find(&p, "@babel/code-frame", "7.16.7").line, Some(35));
    }

    #[test]
    fn no_panic_on_cuts() {
        if let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "yarnlock") {
            no_panic_cuts(parse, &files_under(&dir));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn no_panic_on_flipped_bytes(file in 0usize..64, flips in proptest::collection::vec((0usize..100_000, proptest::num::u8::ANY), 1..8)) {
            let Some(dir) = fixture_dir(cverun_testkit::test_name!(), "yarnlock") else {
                return Ok(());
            };
            let files = files_under(&dir);
            no_panic_flips(parse, &files[file % files.len()], &flips);
        }
    }
}
