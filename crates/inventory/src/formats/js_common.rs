//! Helpers shared by the JavaScript (npm ecosystem) parsers: splitting `name@spec`,
//! telling where a resolved URL or a specifier points (registry, git, path, URL),
//! spreading scopes through a dependency graph, finishing a package list, and
//! reading YAML scalars with their text and line.
//!
//! Rules shared by every npm-ecosystem format:
//! - A tarball URL whose path has the npm registry shape (`…/-/name-1.2.3.tgz`) is
//!   [`Source::Registry`] whatever its host (mirrors, Artifactory, Verdaccio and
//!   GitLab package registries serve the same packages).
//! - `git+…`, `git://`, `git@…`, `ssh://`, `github:`/`gitlab:`/`bitbucket:`/`gist:`
//!   shorthands, `https://codeload.github.com/o/r/tar.gz/<sha>`, GitLab archive
//!   URLs and `https://` URLs of a repository (`….git`, or a GitHub/GitLab/Bitbucket
//!   repository page) are [`Source::Git`], with the commit (or ref) after `#`.
//! - `file:`, `link:`, `portal:`, `workspace:` and relative or absolute paths are
//!   [`Source::Path`]; any other URL is [`Source::Url`].
//! - User credentials in `https://user:token@host/…` URLs are dropped from sources.

use std::collections::HashMap;

use cverun_versions::Ecosystem;
use saphyr::{MarkedYaml, Scalar, YamlData};

use crate::graph::Graph;
use crate::{Package, Pin, Scope, Source};

/// The ecosystem of every package these parsers produce.
pub(crate) const NPM: Ecosystem = Ecosystem::Npm;

/// Splits `name@spec` (`@scope/name@spec` for scoped names) at the `@` that ends
/// the name; a string without one is a bare name with an empty spec.
pub(crate) fn split_name_spec(s: &str) -> (&str, &str) {
    let from = usize::from(s.starts_with('@'));
    match s.get(from..).and_then(|rest| rest.find('@')) {
        Some(i) => {
            let at = i + from;
            (&s[..at], &s[at + 1..])
        }
        None => (s, ""),
    }
}

/// True when `s` is one exact semver version (`1.2.3`, `1.0.0-rc.1`, `2.1.6+git`).
pub(crate) fn is_version(s: &str) -> bool {
    let (core, rest) = match s.find(['-', '+']) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    rest.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.'))
}

/// True when `s` starts like a version (a digit), which is what lockfiles record.
pub(crate) fn looks_like_version(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_digit()) && !s.contains(['/', ':', ' '])
}

/// The pin for a version a lockfile records: exact when present, "no version"
/// when absent.
pub(crate) fn pin_of(version: Option<&str>) -> Pin {
    match version {
        Some(v) if !v.is_empty() => Pin::Exact(v.to_owned()),
        _ => Pin::Unpinned {
            specifier: String::new(),
        },
    }
}

/// A new npm package.
pub(crate) fn package(name: &str, pin: Pin, source: Source, line: Option<u32>) -> Package {
    let mut p = Package::new(NPM, name, pin);
    p.source = source;
    p.line = line;
    p
}

/// Splits `url#fragment`.
fn split_fragment(s: &str) -> (&str, Option<&str>) {
    match s.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (s, None),
    }
}

/// The commit (or ref) named by a URL fragment: `sha`, `commit=sha`, `commit:sha`,
/// or the `commit=` parameter of `head=main&commit=sha`.
fn rev_of(fragment: Option<&str>) -> Option<String> {
    let f = fragment?.trim();
    if f.is_empty() {
        return None;
    }
    for part in f.split('&') {
        if let Some(c) = part
            .strip_prefix("commit=")
            .or_else(|| part.strip_prefix("commit:"))
        {
            return Some(c.to_owned());
        }
    }
    let f = f.split("::").next().unwrap_or(f);
    Some(f.to_owned())
}

/// Drops `user:password@` (or a lone token) from an `http(s)://` URL.
fn strip_credentials(url: &str) -> String {
    for scheme in ["https://", "http://"] {
        if let Some(rest) = url.strip_prefix(scheme) {
            let host_end = rest.find('/').unwrap_or(rest.len());
            if let Some(at) = rest[..host_end].rfind('@') {
                return format!("{scheme}{}", &rest[at + 1..]);
            }
        }
    }
    url.to_owned()
}

/// Expands a hosted-git shorthand (`github:o/r`, `gitlab:o/r`, `bitbucket:o/r`,
/// `gist:id`, bare `o/r`) to the repository URL.
fn expand_shorthand(s: &str) -> Option<String> {
    let (host, rest) = if let Some(r) = s.strip_prefix("github:") {
        ("github.com", r)
    } else if let Some(r) = s.strip_prefix("gitlab:") {
        ("gitlab.com", r)
    } else if let Some(r) = s.strip_prefix("bitbucket:") {
        ("bitbucket.org", r)
    } else if let Some(r) = s.strip_prefix("gist:") {
        ("gist.github.com", r)
    } else if is_github_shorthand(s) {
        ("github.com", s)
    } else {
        return None;
    };
    Some(format!("https://{host}/{}", rest.trim_end_matches(".git")))
}

/// `owner/repo` (optionally `#ref`): npm's GitHub shorthand.
fn is_github_shorthand(s: &str) -> bool {
    let (path, _) = split_fragment(s);
    let mut parts = path.split('/');
    let (Some(owner), Some(repo), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let ok = |p: &str| {
        !p.is_empty()
            && !p.starts_with('.')
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    !owner.starts_with('@') && ok(owner) && ok(repo)
}

/// The git source of `s` when it names a git repository, else `None`. A bare
/// `owner/repo` counts only when `bare_shorthand` (in specifiers, not in resolved
/// locations where it would be a relative path).
pub(crate) fn git_source(s: &str, bare_shorthand: bool) -> Option<Source> {
    let s = s.trim();
    let shorthand = if bare_shorthand || s.contains(':') {
        expand_shorthand(split_fragment(s).0)
    } else {
        None
    };
    if let Some(url) = shorthand {
        return Some(Source::Git {
            url,
            rev: rev_of(split_fragment(s).1),
        });
    }
    let bare = s.strip_prefix("git+").unwrap_or(s);
    let (url, fragment) = split_fragment(bare);
    let gitlike = s.starts_with("git+")
        || s.starts_with("git://")
        || s.starts_with("git@")
        || s.starts_with("ssh://");
    if gitlike {
        return Some(Source::Git {
            url: strip_credentials(url),
            rev: rev_of(fragment),
        });
    }
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let path_only = path.split('?').next().unwrap_or(path);
    if host == "codeload.github.com" {
        // codeload.github.com/<owner>/<repo>/tar.gz/<sha>
        let parts: Vec<&str> = path_only.split('/').collect();
        if let [owner, repo, _kind, sha, ..] = parts.as_slice() {
            return Some(Source::Git {
                url: format!("https://github.com/{owner}/{repo}"),
                rev: Some((*sha).to_owned()),
            });
        }
    }
    if let Some((repo, _)) = path_only.split_once("/repository/archive") {
        // GitLab archive: <host>/<group>/<repo>/repository/archive.tar.gz?ref=<sha>
        let rev = path
            .split_once("?ref=")
            .or_else(|| path.split_once("&ref="))
            .map(|(_, r)| r.split('&').next().unwrap_or(r).to_owned());
        return Some(Source::Git {
            url: format!("https://{host}/{repo}"),
            rev,
        });
    }
    let tarball = [".tgz", ".tar.gz", ".tar", ".zip"]
        .iter()
        .any(|e| path_only.ends_with(e));
    let git_host = matches!(host, "github.com" | "gitlab.com" | "bitbucket.org");
    if !tarball && (path_only.ends_with(".git") || git_host) {
        return Some(Source::Git {
            url: strip_credentials(url),
            rev: rev_of(fragment),
        });
    }
    None
}

/// True for a tarball URL with the npm registry layout (`…/-/name-1.2.3.tgz`).
pub(crate) fn is_registry_tarball(url: &str) -> bool {
    let (u, _) = split_fragment(url);
    let u = u.split('?').next().unwrap_or(u);
    (u.starts_with("https://") || u.starts_with("http://"))
        && u.contains("/-/")
        && u.ends_with(".tgz")
}

/// Where a resolved location (a `resolved`/`tarball` URL, a protocol spec, a path)
/// points.
pub(crate) fn source_of(resolved: &str) -> Source {
    let r = resolved.trim();
    if r.is_empty() {
        return Source::Registry;
    }
    for proto in ["file:", "link:", "portal:", "workspace:"] {
        if let Some(p) = r.strip_prefix(proto) {
            return Source::Path(p.to_owned());
        }
    }
    if is_registry_tarball(r) {
        return Source::Registry;
    }
    if let Some(git) = git_source(r, false) {
        return git;
    }
    if r.contains("://") {
        return Source::Url(strip_credentials(r));
    }
    Source::Path(r.to_owned())
}

/// What a dependency specifier (as written in package.json) asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Spec {
    /// One exact version (the bare version, without `=` or `v`).
    Exact(String),
    /// A range, a tag, a wildcard or nothing.
    Range,
    /// Anything not from the registry.
    Other(Source),
}

/// Classifies a specifier. Aliases (`npm:name@spec`) are resolved by the caller.
pub(crate) fn classify_spec(spec: &str) -> Spec {
    let s = spec.trim();
    if let Some(v) = exact_version(s) {
        return Spec::Exact(v.to_owned());
    }
    if s.starts_with("workspace:") {
        return Spec::Other(Source::Path(s.to_owned()));
    }
    for proto in ["file:", "link:", "portal:"] {
        if let Some(p) = s.strip_prefix(proto) {
            return Spec::Other(Source::Path(p.to_owned()));
        }
    }
    if s.starts_with('.') || s.starts_with('/') || s.starts_with("~/") {
        return Spec::Other(Source::Path(s.to_owned()));
    }
    if let Some(git) = git_source(s, true) {
        return Spec::Other(git);
    }
    if s.starts_with("https://") || s.starts_with("http://") {
        return Spec::Other(Source::Url(strip_credentials(s)));
    }
    Spec::Range
}

/// The version of a specifier that names exactly one (`1.2.3`, `=1.2.3`, `v1.2.3`,
/// `=v1.2.3`).
pub(crate) fn exact_version(spec: &str) -> Option<&str> {
    let s = spec.trim();
    let s = s.strip_prefix('=').map_or(s, str::trim_start);
    let s = s.strip_prefix('v').unwrap_or(s);
    is_version(s).then_some(s)
}

/// Scopes spread from the direct dependencies: a package reachable from a
/// runtime direct dependency is runtime; otherwise from an optional one, optional;
/// otherwise from a development one, development; otherwise unknown.
pub(crate) fn propagate_scopes(edges: &[Vec<usize>], direct: &[(usize, Scope)]) -> Vec<Scope> {
    crate::graph::spread_scopes(edges, direct)
        .into_iter()
        .map(|s| s.unwrap_or(Scope::Unknown))
        .collect()
}

/// Merges a direct dependency into `direct`, combining what is known of its scope.
pub(crate) fn add_direct(direct: &mut Vec<(usize, Scope)>, index: usize, scope: Scope) {
    if let Some(d) = direct.iter_mut().find(|(i, _)| *i == index) {
        d.1 = d.1.combine(scope);
    } else {
        direct.push((index, scope));
    }
}

/// Finishes a package list: relations and paths from the graph when direct
/// dependencies are known, scopes spread from them for packages whose scope is
/// still unknown, then file order (by line).
pub(crate) fn finish(
    mut packages: Vec<Package>,
    edges: &[Vec<usize>],
    direct: &[(usize, Scope)],
) -> Vec<Package> {
    if !direct.is_empty() {
        let mut graph = Graph::new(packages.len());
        for (from, tos) in edges.iter().enumerate() {
            for &to in tos {
                graph.add_edge(from, to);
            }
        }
        let indices: Vec<usize> = direct.iter().map(|(i, _)| *i).collect();
        graph.annotate(&indices, &mut packages);
        let scopes = propagate_scopes(edges, direct);
        for (p, s) in packages.iter_mut().zip(scopes) {
            if p.scope == Scope::Unknown {
                p.scope = s;
            }
        }
    }
    packages.sort_by_key(|p| p.line.unwrap_or(u32::MAX));
    packages
}

/// Adds `to` to the edges of `from` (growing the list as needed).
pub(crate) fn add_edge(edges: &mut Vec<Vec<usize>>, from: usize, to: usize) {
    if edges.len() <= from.max(to) {
        edges.resize(from.max(to) + 1, Vec::new());
    }
    if from != to && !edges[from].contains(&to) {
        edges[from].push(to);
    }
}

/// Joins a relative path to a base directory (both with `/`), folding `.` and `..`.
pub(crate) fn join_path(base: &str, rel: &str) -> String {
    if rel.starts_with('/') {
        return rel.to_owned();
    }
    let mut parts: Vec<&str> = base
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    let mut ups = Vec::new();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    ups.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    ups.extend(parts);
    if ups.is_empty() {
        ".".to_owned()
    } else {
        ups.join("/")
    }
}

/// Reads YAML scalars as text: strings as they are, and other plain scalars
/// (`1.10`, `true`, `5.3`) as written in the file, since YAML would turn `1.10`
/// into the number 1.1.
pub(crate) struct YamlText<'a> {
    text: &'a str,
    /// Byte offset of every character, when the text is not ASCII.
    offsets: Option<Vec<usize>>,
}

impl<'a> YamlText<'a> {
    /// Prepares `text` (the document the nodes were loaded from).
    pub(crate) fn new(text: &'a str) -> YamlText<'a> {
        let offsets = (!text.is_ascii()).then(|| {
            let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            v.push(text.len());
            v
        });
        YamlText { text, offsets }
    }

    fn byte(&self, char_index: usize) -> Option<usize> {
        match &self.offsets {
            None => (char_index <= self.text.len()).then_some(char_index),
            Some(v) => v.get(char_index).copied(),
        }
    }

    /// The node's text when it is a scalar (not null), else `None`.
    pub(crate) fn str(&self, node: &MarkedYaml<'_>) -> Option<String> {
        match &node.data {
            YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
            YamlData::Value(Scalar::Null) => None,
            YamlData::Value(other) => {
                let start = self.byte(node.span.start.index())?;
                let end = self.byte(node.span.end.index())?;
                let raw = self
                    .text
                    .get(start..end)
                    .map(str::trim)
                    .filter(|r| !r.is_empty());
                Some(match raw {
                    Some(r) => r.to_owned(),
                    None => match other {
                        Scalar::Boolean(b) => b.to_string(),
                        Scalar::Integer(i) => i.to_string(),
                        Scalar::FloatingPoint(f) => f.to_string(),
                        _ => String::new(),
                    },
                })
            }
            YamlData::Representation(s, _, _) => Some(s.to_string()),
            YamlData::Tagged(_, inner) => match &inner.data {
                YamlData::Value(Scalar::String(s)) => Some(s.to_string()),
                YamlData::Representation(s, _, _) => Some(s.to_string()),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The 1-based line where a YAML node starts.
pub(crate) fn yaml_line(node: &MarkedYaml<'_>) -> Option<u32> {
    u32::try_from(node.span.start.line())
        .ok()
        .filter(|l| *l > 0)
}

/// The mapping entries of a node (`None` when it is not a mapping; a null node
/// is an empty mapping).
pub(crate) fn yaml_entries<'n, 'i>(
    node: &'n MarkedYaml<'i>,
) -> Option<Vec<(&'n MarkedYaml<'i>, &'n MarkedYaml<'i>)>> {
    match &node.data {
        YamlData::Mapping(m) => Some(m.iter().collect()),
        YamlData::Value(Scalar::Null) => Some(Vec::new()),
        YamlData::Tagged(_, inner) => match &inner.data {
            YamlData::Mapping(m) => Some(m.iter().collect()),
            _ => None,
        },
        _ => None,
    }
}

/// The deepest nesting accepted in YAML input. The YAML loader recurses once per
/// level, so a crafted file nested thousands of levels deep would overflow the
/// stack; lockfiles nest fewer than twenty.
const MAX_YAML_NESTING: usize = 200;

/// The first line whose nesting (indentation and sequence markers, plus open flow
/// brackets) goes past [`MAX_YAML_NESTING`], if any. The count is an over-estimate
/// (brackets inside strings count), which only matters for absurd input.
fn too_deep(text: &str) -> Option<u32> {
    let mut flow: usize = 0;
    for (i, line) in text.lines().enumerate() {
        let indent = line
            .bytes()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'-' | b'?' | b':'))
            .count();
        for b in line.bytes() {
            match b {
                b'[' | b'{' => {
                    flow += 1;
                    if indent + flow > MAX_YAML_NESTING {
                        return Some(u32::try_from(i + 1).unwrap_or(u32::MAX));
                    }
                }
                b']' | b'}' => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
        if indent + flow > MAX_YAML_NESTING {
            return Some(u32::try_from(i + 1).unwrap_or(u32::MAX));
        }
    }
    None
}

/// Loads a YAML text as one document (`Ok(None)` when it has none), or the line
/// and message of the syntax error (or of nesting too deep to load safely).
/// `text` with every carriage return that is not followed by a line feed made a
/// space: YAML counts a lone `\r` as a line break, lines as people count them
/// (and as cverun reports them) do not. The length, and so every offset, stays.
pub(crate) fn lone_cr_as_space(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let lone = |i: usize| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n');
    if !(0..bytes.len()).any(lone) {
        return std::borrow::Cow::Borrowed(text);
    }
    let fixed: Vec<u8> = (0..bytes.len())
        .map(|i| if lone(i) { b' ' } else { bytes[i] })
        .collect();
    // Only ASCII bytes were replaced by ASCII bytes: still UTF-8.
    std::borrow::Cow::Owned(
        String::from_utf8(fixed)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

pub(crate) fn load_yaml(text: &str) -> Result<Option<MarkedYaml<'_>>, (Option<u32>, String)> {
    use saphyr::LoadableYamlNode;
    if let Some(line) = too_deep(text) {
        return Err((
            Some(line),
            format!("YAML nested more than {MAX_YAML_NESTING} levels deep"),
        ));
    }
    match MarkedYaml::load_from_str(text) {
        Ok(docs) => Ok(docs.into_iter().next()),
        Err(e) => {
            // An error found at the end of the text is marked on the line after
            // the last: name the last line instead.
            let last =
                u32::try_from(text.bytes().filter(|&b| b == b'\n').count() + 1).unwrap_or(u32::MAX);
            Err((
                u32::try_from(e.marker().line())
                    .ok()
                    .filter(|l| *l > 0)
                    .map(|l| l.min(last)),
                format!("not valid YAML: {}", e.info()),
            ))
        }
    }
}

/// An index from names to the entries that carry them, to resolve a dependency
/// by name when its exact key is not found and the name is unambiguous.
#[derive(Default)]
pub(crate) struct ByName {
    map: HashMap<String, Vec<usize>>,
}

impl ByName {
    /// Records that entry `index` is named `name`.
    pub(crate) fn add(&mut self, name: &str, index: usize) {
        let v = self.map.entry(name.to_owned()).or_default();
        if !v.contains(&index) {
            v.push(index);
        }
    }

    /// The only entry named `name`, if exactly one is.
    pub(crate) fn unique(&self, name: &str) -> Option<usize> {
        match self.map.get(name).map(Vec::as_slice) {
            Some([one]) => Some(*one),
            _ => None,
        }
    }
}

/// Helpers for the tests of the JavaScript parsers.
#[cfg(test)]
pub(crate) mod test_support {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    use crate::{Files, Input, ParseError, Parsed};

    /// The signature of every `parse`.
    pub(crate) type ParseFn = fn(&Input<'_>) -> Result<Parsed, ParseError>;

    /// Files held in memory.
    #[derive(Default)]
    pub(crate) struct MemFiles(HashMap<PathBuf, String>);

    impl MemFiles {
        /// Files from `(path, text)` pairs.
        pub(crate) fn with(files: &[(&str, &str)]) -> MemFiles {
            MemFiles(
                files
                    .iter()
                    .map(|(p, t)| (PathBuf::from(p), (*t).to_owned()))
                    .collect(),
            )
        }
    }

    impl Files for MemFiles {
        fn read(&self, path: &Path) -> std::io::Result<String> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"))
        }
    }

    /// Runs `parse` on `text` as the file `path`.
    pub(crate) fn parse_with(
        parse: ParseFn,
        path: &str,
        text: &str,
        files: &dyn Files,
    ) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new(path),
            text,
            files,
        })
    }

    /// The fixture directory of one JavaScript format in `../shared`, or `None` (the
    /// test named `test` reported as skipped) when it is absent.
    pub(crate) fn fixture_dir(test: &str, format: &str) -> Option<PathBuf> {
        crate::testutil::fixtures(test).map(|d| d.join("javascript").join(format))
    }

    /// Every file under `dir` (recursively), sorted; a directory that cannot be read
    /// fails the test.
    pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let entries = std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p);
                }
            }
        }
        out.sort();
        out
    }

    /// Every file named `name` of `../shared/corpus`, sorted, or `None` (the test
    /// named `test` reported as skipped) when `../shared` is absent.
    pub(crate) fn corpus_files(test: &str, name: &str) -> Option<Vec<PathBuf>> {
        let corpus = crate::testutil::corpus(test)?;
        Some(
            files_under(&corpus)
                .into_iter()
                .filter(|p| p.file_name().is_some_and(|n| n == name))
                .collect(),
        )
    }

    /// Parses each file cut at about ten offsets: any result but a panic is fine.
    pub(crate) fn no_panic_cuts(parse: ParseFn, files: &[PathBuf]) {
        for f in files {
            let bytes = std::fs::read(f).unwrap();
            let n = bytes.len();
            let mut cuts: Vec<usize> = (0..10).map(|i| i * n / 10).collect();
            cuts.extend([n.saturating_sub(1), n / 3 + 1, n / 7 + 3]);
            for cut in cuts {
                let text = String::from_utf8_lossy(&bytes[..cut.min(n)]);
                let _ = parse_with(parse, &f.to_string_lossy(), &text, &crate::DiskFiles);
            }
        }
    }

    /// Parses `file` with the bytes at `flips` (positions taken modulo the length)
    /// replaced: any result but a panic is fine.
    pub(crate) fn no_panic_flips(parse: ParseFn, file: &Path, flips: &[(usize, u8)]) {
        let mut bytes = std::fs::read(file).unwrap();
        if bytes.is_empty() {
            return;
        }
        let n = bytes.len();
        for (pos, b) in flips {
            bytes[pos % n] = *b;
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_with(parse, &file.to_string_lossy(), &text, &crate::DiskFiles);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_names() {
        assert_eq!(split_name_spec("a@^1"), ("a", "^1"));
        assert_eq!(split_name_spec("@s/a@^1"), ("@s/a", "^1"));
        assert_eq!(split_name_spec("@s/a"), ("@s/a", ""));
        assert_eq!(split_name_spec("a"), ("a", ""));
        assert_eq!(split_name_spec("a@npm:b@1"), ("a", "npm:b@1"));
        assert_eq!(split_name_spec("@"), ("@", ""));
        assert_eq!(split_name_spec(""), ("", ""));
    }

    #[test]
    fn versions() {
        for v in [
            "1.2.3",
            "0.0.0-use.local",
            "1.0.0-alpha.37",
            "2.1.6+git",
            "10.20.30",
        ] {
            assert!(is_version(v), "{v}");
        }
        for v in [
            "1.2",
            "^1.2.3",
            "1.2.x",
            "1.2.3 - 2",
            "",
            "a.b.c",
            "1.2.3.4",
            "1.2.3 ",
        ] {
            assert!(!is_version(v), "{v}");
        }
        assert_eq!(exact_version("=1.2.3"), Some("1.2.3"));
        assert_eq!(exact_version("v1.2.3"), Some("1.2.3"));
        assert_eq!(exact_version("= v1.2.3"), Some("1.2.3"));
        assert_eq!(exact_version(">=1.2.3"), None);
    }

    #[test]
    fn sources() {
        assert_eq!(
            source_of("https://registry.npmjs.org/a/-/a-1.0.0.tgz"),
            Source::Registry
        );
        assert_eq!(
            source_of("https://nexus.example/repository/npm/@s/a/-/a-1.0.0.tgz#sha1"),
            Source::Registry
        );
        assert_eq!(
            source_of("git+ssh://git@github.com/o/r.git#abc"),
            Source::Git {
                url: "ssh://git@github.com/o/r.git".into(),
                rev: Some("abc".into())
            }
        );
        assert_eq!(
            source_of("https://codeload.github.com/o/r/tar.gz/abc"),
            Source::Git {
                url: "https://github.com/o/r".into(),
                rev: Some("abc".into())
            }
        );
        assert_eq!(
            source_of("https://gitlab.com/k/b/repository/archive.tar.gz?ref=abc"),
            Source::Git {
                url: "https://gitlab.com/k/b".into(),
                rev: Some("abc".into())
            }
        );
        assert_eq!(
            source_of("https://tok@github.com/o/r.git#commit=abc"),
            Source::Git {
                url: "https://github.com/o/r.git".into(),
                rev: Some("abc".into())
            }
        );
        assert_eq!(
            source_of("github:o/r#abc"),
            Source::Git {
                url: "https://github.com/o/r".into(),
                rev: Some("abc".into())
            }
        );
        assert_eq!(source_of("file:deps/a"), Source::Path("deps/a".into()));
        assert_eq!(
            source_of("https://example.com/a.tgz"),
            Source::Url("https://example.com/a.tgz".into())
        );
        assert_eq!(source_of(""), Source::Registry);
    }

    #[test]
    fn specs() {
        assert_eq!(classify_spec("1.2.3"), Spec::Exact("1.2.3".into()));
        assert_eq!(classify_spec("^1.2.3"), Spec::Range);
        assert_eq!(classify_spec("latest"), Spec::Range);
        assert_eq!(classify_spec("1.2.3 - 2.0.0"), Spec::Range);
        assert!(matches!(
            classify_spec("user/repo#v1"),
            Spec::Other(Source::Git { .. })
        ));
        assert!(matches!(
            classify_spec("github:user/repo"),
            Spec::Other(Source::Git { .. })
        ));
        assert!(matches!(
            classify_spec("git+https://x/y.git"),
            Spec::Other(Source::Git { .. })
        ));
        assert_eq!(
            classify_spec("file:../a"),
            Spec::Other(Source::Path("../a".into()))
        );
        assert_eq!(
            classify_spec("./a"),
            Spec::Other(Source::Path("./a".into()))
        );
        assert_eq!(
            classify_spec("https://x.example/a.tgz"),
            Spec::Other(Source::Url("https://x.example/a.tgz".into()))
        );
    }

    #[test]
    fn yaml_scalars_as_written() {
        let text = "é: x\na: 1.10\nb: true\nc: '1.10'\nd: ~\ne: 7\n";
        let doc = load_yaml(text).unwrap().unwrap();
        let yt = YamlText::new(text);
        let get = |k: &str| doc.data.as_mapping_get(k).and_then(|v| yt.str(v));
        assert_eq!(get("a").as_deref(), Some("1.10"));
        assert_eq!(get("b").as_deref(), Some("true"));
        assert_eq!(get("c").as_deref(), Some("1.10"));
        assert_eq!(get("d"), None);
        assert_eq!(get("e").as_deref(), Some("7"));
        let entries = yaml_entries(&doc).unwrap();
        assert_eq!(yaml_line(entries[1].0), Some(2));
        assert!(load_yaml("a: [").is_err());
        for n in [120, 199, 250, 5000] {
            let cases = [
                format!("a: {}{}", "[".repeat(n), "]".repeat(n)),
                format!("a: {}{}", "{a: ".repeat(n), "}".repeat(n)),
                format!("{}a: 1", "- ".repeat(n)),
                (0..n).map(|i| format!("{}k:\n", " ".repeat(i))).collect(),
            ];
            for t in cases {
                let r = load_yaml(&t);
                if n > MAX_YAML_NESTING {
                    assert!(r.unwrap_err().1.contains("nested more than"));
                }
            }
        }
        assert!(load_yaml("# nothing\n").unwrap().is_none());
        // Found by the fuzz target `inv_yarn_lock` (docs/fuzzing.md): YAML counts a
        // lone carriage return as a line break; made a space, the lines reported are
        // those a person counts (CRLF stays one line break).
        let text = "a: 1\rb: [\r\nc: 2\n";
        let fixed = lone_cr_as_space(text);
        assert_eq!(fixed, "a: 1 b: [\r\nc: 2\n");
        assert_eq!(fixed.len(), text.len());
        let (line, _) = load_yaml(&fixed).unwrap_err();
        assert!(line.is_some_and(|l| l <= 3), "{line:?}");
        assert!(matches!(
            lone_cr_as_space("x\r\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn paths_join() {
        assert_eq!(join_path("packages/b", "../a"), "packages/a");
        assert_eq!(join_path(".", "../a"), "../a");
        assert_eq!(join_path("", "./a"), "a");
        assert_eq!(join_path("x", ".."), ".");
    }

    #[test]
    fn scopes_spread() {
        // 0 -> 2 -> 3 ; 1 -> 3 ; 4 alone
        let edges = vec![vec![2], vec![3], vec![3], vec![], vec![]];
        let s = propagate_scopes(&edges, &[(1, Scope::Development), (0, Scope::Runtime)]);
        assert_eq!(
            s,
            vec![
                Scope::Runtime,
                Scope::Development,
                Scope::Runtime,
                Scope::Runtime,
                Scope::Unknown
            ]
        );
    }
}
