//! pip requirements files (`requirements*.txt`, `requirements*.in`, `-r` includes).
//!
//! Read as pip reads them:
//! - a line ending in `\` continues on the next line; a `#` at the start of a line or
//!   after white space starts a comment (`#egg=` inside a URL does not);
//! - requirement lines follow PEP 508: `name[extras] specifiers ; markers` or
//!   `name @ url ; markers`; per-requirement options (`--hash`, `--config-settings`,
//!   `--global-option`, `-C`) are dropped;
//! - URL and path lines (`https://.../pkg-1.0.whl`, `git+https://...#egg=name`,
//!   `./downloads/numpy-1.9.2-cp34-none-win32.whl`, `-e ...`) name the package by
//!   `#egg=` or by the wheel/sdist file name, and keep its source (URL, git, path);
//! - `-r`/`--requirement` and `-c`/`--constraint` include other files, resolved
//!   relative to the including file; a file that includes itself, directly or not, is
//!   reported once and not followed again;
//! - global options (`-i`, `--index-url`, `--extra-index-url`, `-f`, `--pre`, ...)
//!   are accepted and ignored.
//!
//! Pins: one `==X` (without `*`) or `===X` is an exact version; anything else
//! (`>=`, `~=`, `==1.*`, no specifier, a version in `${VARIABLE}`) is kept as
//! unpinned with its specifier. Constraint files do not add packages (pip installs
//! nothing because of them), but an exact constraint pins an unpinned requirement of
//! the same name (PEP 503 names), as it does for pip; an exact requirement that an
//! exact constraint contradicts is kept with a warning (pip refuses to install).
//! A constraints file is read only through the `-c` that names it: discovery does
//! not take `constraints*.txt` for a requirements file.
//!
//! Relations: pip-compile's `# via` annotations (both the one-line and the
//! multi-line style) give the graph: a package required `via -r file` (or with no
//! annotation in an annotated file) is direct, the others transitive with paths
//! through their parents. A file without annotations lists what the project asks
//! for, so its packages are direct; what those pull in is not in the file.
//!
//! Environment markers are not evaluated: a requirement limited to another platform
//! is still listed (the safe direction). Lines that cannot be read are warnings
//! naming the file and line.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};

use cverun_versions::{Ecosystem, normalize_name};

use crate::graph::Graph;
use crate::read::refusal;
use crate::text::excerpt;
use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Source, Warning, io_message};

/// How deep `-r` includes may nest before it is treated as a loop.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Parses a requirements file and the files it includes.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let mut state = State::default();
    let root = input.path.to_owned();
    state.file(input, &root, input.text, &mut vec![normalize(&root)], false);
    if let Some(e) = state.refused.take() {
        return Err(e);
    }
    Ok(state.finish(&root))
}

#[derive(Default)]
struct State {
    packages: Vec<Package>,
    /// pip-compile `# via` parents per package index.
    via: HashMap<usize, Vec<String>>,
    /// Packages annotated `via -r ...`.
    via_requirement_file: Vec<usize>,
    annotated: bool,
    constraints: BTreeMap<String, (String, PathBuf, u32)>,
    warnings: Vec<Warning>,
    includes: Vec<PathBuf>,
    /// The first include refused (outside the roots, not a regular file, too
    /// large): the file's requirements are then incomplete, an error.
    refused: Option<ParseError>,
}

/// One logical line: text and the 1-based number of its first physical line.
struct Logical {
    text: String,
    line: u32,
    /// The comment removed from it, if any (for `# via`).
    comment: Option<String>,
}

impl State {
    fn warn(&mut self, path: &Path, line: u32, message: impl Into<String>) {
        self.warnings.push(Warning {
            path: path.to_owned(),
            line: Some(line),
            message: message.into(),
        });
    }

    fn file(
        &mut self,
        input: &Input<'_>,
        path: &Path,
        text: &str,
        stack: &mut Vec<PathBuf>,
        constraint: bool,
    ) {
        let is_root = stack.len() == 1;
        let lines = logical_lines(text);
        let mut last_package: Option<usize> = None;
        let mut in_via_block = false;
        for l in &lines {
            let trimmed = l.text.trim();
            // pip-compile annotations live in comments.
            if let Some(c) = &l.comment {
                let c = c.trim_start_matches('#').trim();
                if trimmed.is_empty() {
                    if let Some(rest) = c.strip_prefix("via") {
                        self.annotated = true;
                        in_via_block = true;
                        if let Some(i) = last_package {
                            self.add_via(i, rest);
                        }
                        continue;
                    }
                    if in_via_block {
                        if let Some(i) = last_package {
                            if !c.is_empty() {
                                self.add_via(i, c);
                                continue;
                            }
                        }
                    }
                    in_via_block = false;
                    continue;
                }
            }
            if trimmed.is_empty() {
                in_via_block = false;
                continue;
            }
            in_via_block = false;
            last_package = None;
            if trimmed.starts_with('-') {
                self.option(
                    input,
                    path,
                    l,
                    trimmed,
                    stack,
                    constraint,
                    &mut last_package,
                );
                continue;
            }
            match requirement(trimmed) {
                Ok(req) => {
                    if constraint {
                        if let Pin::Exact(v) = &req.pin {
                            let name = normalize_name(&Ecosystem::PyPI, &req.name).into_owned();
                            self.constraints
                                .insert(name, (v.clone(), path.to_owned(), l.line));
                        }
                        continue;
                    }
                    if let Some(note) = &req.note {
                        self.warn(path, l.line, note.clone());
                    }
                    let mut p = Package::new(Ecosystem::PyPI, &req.name, req.pin);
                    p.source = req.source;
                    p.line = Some(l.line);
                    if !is_root {
                        p.file = Some(path.to_owned());
                    }
                    self.packages.push(p);
                    let i = self.packages.len() - 1;
                    last_package = Some(i);
                    if let Some(c) = &l.comment {
                        let c = c.trim_start_matches('#').trim();
                        if let Some(rest) = c.strip_prefix("via") {
                            self.annotated = true;
                            self.add_via(i, rest);
                        }
                    }
                }
                Err(why) => {
                    if !constraint || !why.is_empty() {
                        self.warn(
                            path,
                            l.line,
                            format!(
                                "cannot read requirement {}: {why}; not included",
                                excerpt(trimmed)
                            ),
                        );
                    }
                }
            }
        }
    }

    fn add_via(&mut self, i: usize, text: &str) {
        for part in text.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            if part.starts_with("-r") || part.starts_with("-c") || part.starts_with("--requirement")
            {
                if !self.via_requirement_file.contains(&i) {
                    self.via_requirement_file.push(i);
                }
            } else {
                let name = part.split_whitespace().next().unwrap_or(part);
                let name = name.split('[').next().unwrap_or(name);
                self.via
                    .entry(i)
                    .or_default()
                    .push(normalize_name(&Ecosystem::PyPI, name).into_owned());
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn option(
        &mut self,
        input: &Input<'_>,
        path: &Path,
        l: &Logical,
        trimmed: &str,
        stack: &mut Vec<PathBuf>,
        constraint: bool,
        last_package: &mut Option<usize>,
    ) {
        let (opt, value) = split_option(trimmed);
        match opt {
            "-r" | "--requirement" | "-c" | "--constraint" => {
                let Some(target) = value else {
                    self.warn(path, l.line, format!("{opt} needs a file name"));
                    return;
                };
                let child_constraint = constraint || opt == "-c" || opt == "--constraint";
                self.include(input, path, l.line, target, stack, child_constraint);
            }
            "-e" | "--editable" => {
                let Some(target) = value else {
                    self.warn(path, l.line, "-e needs a path or URL");
                    return;
                };
                if constraint {
                    return;
                }
                match url_requirement(target) {
                    Some(mut p) => {
                        p.line = Some(l.line);
                        if stack.len() > 1 {
                            p.file = Some(path.to_owned());
                        }
                        self.packages.push(p);
                        *last_package = Some(self.packages.len() - 1);
                    }
                    None => self.warn(
                        path,
                        l.line,
                        format!("editable requirement {} does not name its package (add #egg=name); not included", excerpt(target)),
                    ),
                }
            }
            "-i" | "--index-url" | "--extra-index-url" | "-f" | "--find-links" | "--no-index"
            | "--pre" | "--trusted-host" | "--prefer-binary" | "--require-hashes"
            | "--only-binary" | "--no-binary" | "--use-feature" | "--no-deps"
            | "--progress-bar" | "--upgrade-strategy" | "-Z" => {}
            _ => self.warn(
                path,
                l.line,
                format!("unknown option {}; line ignored", excerpt(opt)),
            ),
        }
    }

    fn include(
        &mut self,
        input: &Input<'_>,
        path: &Path,
        line: u32,
        target: &str,
        stack: &mut Vec<PathBuf>,
        constraint: bool,
    ) {
        if target.contains("://") {
            self.warn(
                path,
                line,
                format!(
                    "included file {} is a URL; not fetched, its requirements are not included",
                    excerpt(target)
                ),
            );
            return;
        }
        let child = path.parent().unwrap_or(Path::new("")).join(target);
        let key = normalize(&child);
        if let Some(pos) = stack.iter().position(|p| *p == key) {
            let cycle: Vec<String> = stack[pos..]
                .iter()
                .chain(std::iter::once(&key))
                .map(|p| p.display().to_string())
                .collect();
            self.warn(
                path,
                line,
                format!("include loop: {}; not followed again", cycle.join(" -> ")),
            );
            return;
        }
        if stack.len() >= MAX_INCLUDE_DEPTH {
            self.warn(
                path,
                line,
                format!(
                    "includes nested deeper than {MAX_INCLUDE_DEPTH}; {} not followed",
                    excerpt(target)
                ),
            );
            return;
        }
        match input.files.read(&child) {
            Ok(text) => {
                if !self.includes.contains(&child) {
                    self.includes.push(child.clone());
                }
                stack.push(key);
                // An included file may start with a byte-order mark too.
                let text = crate::text::strip_bom(&text);
                self.file(input, &child, text, stack, constraint);
                stack.pop();
            }
            Err(e) if refusal(&e).is_some() => {
                if self.refused.is_none() {
                    // Located in this file, or through the include that failed.
                    let (at, nested) = if path == input.path {
                        (Some(line), String::new())
                    } else {
                        (None, format!(" (line {line} of {})", path.display()))
                    };
                    self.refused = Some(ParseError::at(
                        input.path,
                        at,
                        format!(
                            "included file {}{nested}: {e}; its requirements are missing",
                            excerpt(target)
                        ),
                    ));
                }
            }
            Err(e) => self.warn(
                path,
                line,
                format!(
                    "cannot read included file {}: {}; its requirements are missing",
                    child.display(),
                    io_message(&e)
                ),
            ),
        }
    }

    fn finish(mut self, root: &Path) -> Parsed {
        // Exact constraints pin unpinned requirements of the same name; an exact
        // requirement they contradict makes pip refuse to install: said.
        for p in &mut self.packages {
            if p.source != Source::Registry {
                continue;
            }
            let Some((v, cpath, cline)) = self.constraints.get(&p.name) else {
                continue;
            };
            match &p.pin {
                Pin::Unpinned { .. } => p.pin = Pin::Exact(v.clone()),
                Pin::Exact(own) if own != v => self.warnings.push(Warning {
                    path: p.file.clone().unwrap_or_else(|| root.to_owned()),
                    line: p.line,
                    message: format!(
                        "{}=={own} conflicts with the constraint {}=={v} ({}:{cline}): pip refuses to install; kept at {own}",
                        p.name,
                        p.name,
                        cpath.display()
                    ),
                }),
                Pin::Exact(_) => {}
            }
        }
        if self.annotated {
            let mut graph = Graph::new(self.packages.len());
            let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
            for (i, p) in self.packages.iter().enumerate() {
                by_name.entry(p.name.as_str()).or_default().push(i);
            }
            let mut direct = Vec::new();
            for i in 0..self.packages.len() {
                let parents = self.via.get(&i);
                if self.via_requirement_file.contains(&i) || parents.is_none() {
                    direct.push(i);
                }
                for parent in parents.into_iter().flatten() {
                    for &j in by_name.get(parent.as_str()).into_iter().flatten() {
                        graph.add_edge(j, i);
                    }
                }
            }
            graph.annotate(&direct, &mut self.packages);
        } else {
            for p in &mut self.packages {
                p.relation = Relation::Direct;
            }
        }
        Parsed {
            packages: self.packages,
            warnings: self.warnings,
            includes: self.includes,
        }
    }
}

/// Lexically normalises a path for loop detection (`a/./b/../c` -> `a/c`).
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Joins continuation lines and strips comments.
fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut current: Option<(String, u32)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let (code, comment) = split_comment(raw);
        let (code, continues) = match code.trim_end().strip_suffix('\\') {
            // A backslash inside a comment does not continue the line.
            Some(c) if comment.is_none() => (c.to_owned(), true),
            _ => (code.to_owned(), false),
        };
        let (mut text, first) = match current.take() {
            Some((mut acc, first)) => {
                acc.push(' ');
                acc.push_str(&code);
                (acc, first)
            }
            None => (code, n),
        };
        if continues {
            current = Some((std::mem::take(&mut text), first));
            continue;
        }
        out.push(Logical {
            text,
            line: first,
            comment: comment.map(str::to_owned),
        });
    }
    if let Some((text, first)) = current {
        out.push(Logical {
            text,
            line: first,
            comment: None,
        });
    }
    out
}

/// Splits a physical line at a comment: `#` at the start or after white space.
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return (&line[..i], Some(&line[i..]));
        }
    }
    (line, None)
}

/// `-r file`, `-rfile`, `--requirement=file`, `--requirement file`.
fn split_option(s: &str) -> (&str, Option<&str>) {
    let (head, rest) = match s
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || c == '=')
    {
        // The separator may be wider than a byte (U+3000, say).
        Some((i, c)) => (&s[..i], Some(s[i + c.len_utf8()..].trim())),
        None => (s, None),
    };
    // Short options may carry their value attached: -rother.txt (split only on a
    // character boundary: `-\u{e9}` is an unknown option).
    if !head.starts_with("--") && head.len() > 2 {
        if let Some((o, v)) = head.split_at_checked(2) {
            if matches!(o, "-r" | "-c" | "-e") {
                return (o, Some(v));
            }
        }
    }
    let value = rest.filter(|v| !v.is_empty()).map(|v| {
        // A value ends at the next white space (later options are dropped).
        v.split_whitespace().next().unwrap_or(v)
    });
    (head, value)
}

/// One requirement line, read.
pub(crate) struct Requirement {
    /// The distribution name, as written.
    pub name: String,
    /// `==X`/`===X` exact, anything else unpinned with its specifiers.
    pub pin: Pin,
    /// Registry, or the URL/path/git of `name @ url` and URL lines.
    pub source: Source,
    /// A problem worth a warning that did not stop the read.
    pub note: Option<String>,
}

/// Parses one requirement (PEP 508, or a URL/path line), options removed. `Err`
/// says why it cannot be read.
pub(crate) fn requirement(line: &str) -> Result<Requirement, String> {
    let line = strip_options(line);
    if looks_like_url_or_path(line) {
        return url_requirement(line)
            .map(|p| Requirement {
                name: p.name.clone(),
                pin: p.pin,
                source: p.source,
                note: None,
            })
            .ok_or_else(|| {
                "a URL or path that does not name its package (add #egg=name)".to_owned()
            });
    }
    let bytes = line.as_bytes();
    let mut i = 0;
    // Name.
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'.' | b'_' | b'-'))
    {
        i += 1;
    }
    let name = &line[..i];
    if name.is_empty() || !bytes[0].is_ascii_alphanumeric() || !bytes[i - 1].is_ascii_alphanumeric()
    {
        return Err("a requirement starts with a package name".into());
    }
    let mut rest = line[i..].trim_start();
    // Extras.
    if let Some(r) = rest.strip_prefix('[') {
        let Some(end) = r.find(']') else {
            return Err("unclosed [extras]".into());
        };
        let extras = &r[..end];
        if !extras.split(',').map(str::trim).all(|e| {
            e.is_empty()
                || e.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        }) {
            return Err(format!("invalid extras {}", excerpt(extras)));
        }
        rest = r[end + 1..].trim_start();
    }
    // Markers are not evaluated.
    let (spec_part, _markers) = match rest.find(';') {
        Some(i) => (rest[..i].trim(), Some(rest[i + 1..].trim())),
        None => (rest.trim(), None),
    };
    if let Some(url) = spec_part.strip_prefix('@') {
        let url = url.trim();
        if url.is_empty() || url.contains(char::is_whitespace) {
            return Err("`@` must be followed by one URL".into());
        }
        return Ok(Requirement {
            name: name.to_owned(),
            pin: Pin::Unpinned {
                specifier: String::new(),
            },
            source: url_source(url),
            note: None,
        });
    }
    let spec_part = spec_part
        .strip_prefix('(')
        .map(|s| s.strip_suffix(')').unwrap_or(s))
        .unwrap_or(spec_part)
        .trim();
    let (pin, note) = specifiers(spec_part)?;
    Ok(Requirement {
        name: name.to_owned(),
        pin,
        source: Source::Registry,
        note,
    })
}

/// Removes per-requirement options (`--hash=...`, `-C x`, ...) and what follows them.
fn strip_options(line: &str) -> &str {
    let mut cut = line.len();
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i] == b'-' && bytes[i - 1].is_ascii_whitespace() {
            let rest = &line[i..];
            if rest.starts_with("--") || rest.starts_with("-C") {
                cut = i;
                break;
            }
        }
    }
    line[..cut].trim()
}

/// The version specifiers of a requirement.
fn specifiers(spec: &str) -> Result<(Pin, Option<String>), String> {
    if spec.is_empty() {
        return Ok((
            Pin::Unpinned {
                specifier: String::new(),
            },
            None,
        ));
    }
    let mut exact: Option<String> = None;
    let mut conflicting = false;
    let mut normalized = Vec::new();
    for clause in spec.split(',') {
        let clause = clause.trim();
        let op_len = ["===", "==", "!=", "<=", ">=", "~=", "<", ">"]
            .iter()
            .find(|op| clause.starts_with(*op))
            .map(|op| op.len())
            .ok_or_else(|| {
                format!(
                    "{} is not a version specifier (==, >=, ~=, ...)",
                    excerpt(clause)
                )
            })?;
        let (op, version) = clause.split_at(op_len);
        let version = version.trim();
        if version.is_empty() {
            return Err(format!("{op} without a version"));
        }
        if version.contains(char::is_whitespace) || version.contains(['(', ')', '@', '[', ']']) {
            return Err(format!("{} is not a version", excerpt(version)));
        }
        normalized.push(format!("{op}{version}"));
        if (op == "==" && !version.contains('*')) || op == "===" {
            match &exact {
                Some(v) if v != version => conflicting = true,
                _ => exact = Some(version.to_owned()),
            }
        }
    }
    let specifier = normalized.join(",");
    if conflicting {
        return Ok((
            Pin::Unpinned { specifier },
            Some("conflicting exact pins: kept as unpinned".into()),
        ));
    }
    match exact {
        Some(v) if v.contains("${") => Ok((
            Pin::Unpinned { specifier },
            Some(format!(
                "version {} comes from an environment variable, unknown here: kept as unpinned",
                excerpt(&v)
            )),
        )),
        Some(v) => Ok((Pin::Exact(v), None)),
        None => Ok((Pin::Unpinned { specifier }, None)),
    }
}

/// A URL or path line rather than a PEP 508 requirement (`name @ url` is PEP 508).
fn looks_like_url_or_path(s: &str) -> bool {
    let first = s.split_whitespace().next().unwrap_or(s);
    let archive = [".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"]
        .iter()
        .any(|e| first.split('#').next().unwrap_or(first).ends_with(e));
    first.contains("://")
        || [
            "./", "../", "/", "~", "file:", "git+", "hg+", "svn+", "bzr+",
        ]
        .iter()
        .any(|p| first.starts_with(p))
        || first == "."
        || (archive && !s.contains(char::is_whitespace) && !s.contains(['=', '<', '>', '!', '@']))
}

fn url_source(url: &str) -> Source {
    if let Some(rest) = ["git+", "hg+", "svn+", "bzr+"]
        .iter()
        .find_map(|p| url.strip_prefix(p))
    {
        let base = rest.split('#').next().unwrap_or(rest);
        let (repo, rev) = match base.rsplit_once('@') {
            Some((r, v)) if !v.contains('/') => (r.to_owned(), Some(v.to_owned())),
            _ => (base.to_owned(), None),
        };
        return Source::Git { url: repo, rev };
    }
    if url.contains("://") && !url.starts_with("file:") {
        return Source::Url(url.to_owned());
    }
    Source::Path(
        url.trim_start_matches("file://")
            .trim_start_matches("file:")
            .to_owned(),
    )
}

/// A URL or path requirement: name from `#egg=` or from a wheel/sdist file name.
fn url_requirement(target: &str) -> Option<Package> {
    let source = url_source(target);
    let (location, fragment) = match target.split_once('#') {
        Some((l, f)) => (l, Some(f)),
        None => (target, None),
    };
    let egg = fragment.and_then(|f| {
        f.split('&')
            .find_map(|kv| kv.strip_prefix("egg="))
            .filter(|n| !n.is_empty())
    });
    if let Some(egg) = egg {
        // `#egg=name-1.0` is allowed by old pip; the version part is not trusted.
        let name = egg.split(['[', '=']).next().unwrap_or(egg);
        return Some(with_source(
            Package::new(
                Ecosystem::PyPI,
                name,
                Pin::Unpinned {
                    specifier: String::new(),
                },
            ),
            source,
        ));
    }
    let file = location.rsplit('/').next().unwrap_or(location);
    if let Some(stem) = file.strip_suffix(".whl") {
        // name-version(-build)?-python-abi-platform.whl
        let mut parts = stem.split('-');
        let (name, version) = (parts.next()?, parts.next()?);
        if name.is_empty() || version.is_empty() {
            return None;
        }
        return Some(with_source(
            Package::new(Ecosystem::PyPI, name, Pin::Exact(version.to_owned())),
            source,
        ));
    }
    for ext in [".tar.gz", ".zip", ".tar.bz2", ".tgz"] {
        if let Some(stem) = file.strip_suffix(ext) {
            // name-version: the version starts after the last '-' followed by a digit.
            let split = stem
                .char_indices()
                .rev()
                .find(|(i, c)| *c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
                .map(|(i, _)| i)?;
            let (name, version) = (&stem[..split], &stem[split + 1..]);
            if name.is_empty() {
                return None;
            }
            return Some(with_source(
                Package::new(Ecosystem::PyPI, name, Pin::Exact(version.to_owned())),
                source,
            ));
        }
    }
    None
}

fn with_source(mut p: Package, source: Source) -> Package {
    p.source = source;
    p
}

#[cfg(test)]
mod tests;
