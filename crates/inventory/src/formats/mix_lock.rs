//! Mix lockfiles (`mix.lock`, Elixir; also written for Erlang projects by
//! `rebar3`-using Hex tooling).
//!
//! The file is one Elixir map literal from a dependency's app name to a tuple:
//! - `{:hex, :package, "version", "checksum", [:mix], [deps], "repo", "checksum"}`:
//!   the name is the second element (the map key is the app name, which can differ:
//!   `"chatterbox": {:hex, :ts_chatterbox, ...}`); the 6th element lists what it
//!   depends on as `{:app, "requirement", [hex: :package, repo: "hexpm", optional:
//!   false]}`. Older locks stop after 3, 6 or 7 elements; the repo then is `hexpm`.
//! - `{:git, "url", "commit", [branch: ..., tag: ..., ref: ...]}`;
//! - `{:path, "dir", ...}` (not written by current Mix, accepted).
//!
//! It is read by a small tokenizer and reader for the literal subset Mix writes
//! (maps, tuples, lists, keyword lists, atoms including `:"quoted"`, strings with
//! escapes, numbers), which is also what [`super::mix_exs`] uses to read `deps`. The
//! reader is tolerant: a run of code that is not a literal (a function call, an
//! operator) becomes an opaque expression instead of an error, so only unbalanced
//! brackets and unterminated strings stop it.
//!
//! For cverun:
//! - pin: a Hex package's version is exact; a git or path dependency has no version
//!   (unpinned, empty specifier) and its source says where it comes from;
//! - source: repo `hexpm` is the registry; another repo (`hexpm:org` for
//!   organisation packages, a self-hosted one) is [`Source::OtherRegistry`]; git is
//!   [`Source::Git`] at the locked commit; path is [`Source::Path`];
//! - graph: the dependency lists give the edges (optional dependencies included:
//!   when locked, they are there). Edges go by app name (the map key), falling back
//!   to the package name;
//! - relation and scope: the lockfile does not say which dependencies are direct.
//!   When the `mix.exs` beside it can be read, its `deps` are the direct ones, the
//!   graph makes the rest transitive, and scopes follow (a package reached from a
//!   runtime dependency is runtime, one reached only from `only: [:dev, :test]`
//!   dependencies development). Otherwise relation and scope are unknown.
//!
//! Problems: an entry that is not a readable tuple (say `{:hex, }`) is a warning with
//! its line. Text that is not a map literal, unbalanced brackets, unterminated
//! strings, text after the map, and git merge-conflict markers are errors.

use std::collections::HashMap;

use cverun_versions::Ecosystem;

use crate::graph::Graph;
use crate::{Input, Package, ParseError, Parsed, Pin, Source, Warning};

/// Parses a `mix.lock`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    check_conflict_markers(input)?;
    let tokens = tokenize(input.text).map_err(|(line, msg)| input.error(Some(line), msg))?;
    let not_a_lock = |line: u32| input.error(Some(line), "not a mix.lock: expected a map `%{...}`");
    match tokens.first() {
        Some(Token {
            tok: Tok::MapOpen, ..
        }) => {}
        Some(t) => return Err(not_a_lock(t.line)),
        None => return Err(not_a_lock(1)),
    }
    let mut reader = Reader::new(&tokens, input.text);
    let root = reader
        .primary()
        .map_err(|(line, msg)| input.error(Some(line), msg))?;
    if let Some(extra) = tokens.get(reader.pos) {
        return Err(input.error(Some(extra.line), "unexpected text after the map"));
    }
    let Some(Node {
        term: Term::Map(entries),
        ..
    }) = root
    else {
        return Err(not_a_lock(1));
    };

    let mut packages: Vec<Package> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    let mut deps: Vec<Vec<(String, Option<String>)>> = Vec::new();
    for (key, value) in &entries {
        let Some(app) = key.term.text() else {
            parsed
                .warnings
                .push(input.warning(Some(key.line), "entry key is not a name: skipped"));
            continue;
        };
        match entry(app, value) {
            Ok((package, edges)) => {
                packages.push(package.at_line(key.line));
                keys.push(app.to_owned());
                deps.push(edges);
            }
            Err(message) => parsed
                .warnings
                .push(input.warning(Some(key.line), format!("{app}: {message}: skipped"))),
        }
    }

    let mut by_key: HashMap<&str, usize> = HashMap::new();
    let mut by_name: HashMap<&str, usize> = HashMap::new();
    for (i, (k, p)) in keys.iter().zip(&packages).enumerate() {
        by_key.entry(k.as_str()).or_insert(i);
        by_name.entry(p.name.as_str()).or_insert(i);
    }
    let mut adjacency: Vec<Vec<usize>> = vec![Vec::new(); packages.len()];
    for (from, edges) in deps.iter().enumerate() {
        for (app, hex_name) in edges {
            let to = by_key
                .get(app.as_str())
                .or_else(|| hex_name.as_deref().and_then(|n| by_name.get(n)))
                .or_else(|| by_name.get(app.as_str()));
            if let Some(&to) = to {
                if to != from && !adjacency[from].contains(&to) {
                    adjacency[from].push(to);
                }
            }
        }
    }

    if let Some(declared) = manifest_deps(input, &mut parsed.warnings) {
        let mut graph = Graph::new(packages.len());
        for (from, targets) in adjacency.iter().enumerate() {
            for &to in targets {
                graph.add_edge(from, to);
            }
        }
        let mut direct = Vec::new();
        let mut roots = Vec::new();
        for dep in declared {
            if let Some(&i) = by_key.get(dep.app.as_str()) {
                if !direct.contains(&i) {
                    direct.push(i);
                }
                roots.push((i, dep.package.scope));
            }
        }
        graph.annotate(&direct, &mut packages);
        super::gemfile_lock::propagate_scopes(&adjacency, &roots, &mut packages);
    }
    parsed.packages = packages;
    Ok(parsed)
}

/// Reads one lock entry: the package and its dependencies as (app, Hex name).
#[allow(clippy::type_complexity)]
fn entry(app: &str, value: &Node) -> Result<(Package, Vec<(String, Option<String>)>), String> {
    let Term::Tuple(items) = &value.term else {
        return Err("not a tuple".into());
    };
    let scm = match items.first().map(|n| &n.term) {
        Some(Term::Atom(a)) => a.as_str(),
        _ => return Err("does not start with :hex, :git or :path".into()),
    };
    let text_at = |i: usize| items.get(i).and_then(|n| n.term.text());
    match scm {
        "hex" => {
            let (Some(name), Some(version)) = (text_at(1), text_at(2)) else {
                return Err("hex entry without a package name and version".into());
            };
            if name.is_empty() || version.trim().is_empty() {
                return Err("hex entry without a package name and version".into());
            }
            let mut package =
                Package::new(Ecosystem::Hex, name, Pin::Exact(version.trim().to_owned()));
            package.source = match text_at(6) {
                None | Some("hexpm") => Source::Registry,
                Some(repo) => Source::OtherRegistry(repo.to_owned()),
            };
            let mut edges = Vec::new();
            if let Some(Term::List(list)) = items.get(5).map(|n| &n.term) {
                for dep in list {
                    let Term::Tuple(parts) = &dep.term else {
                        continue;
                    };
                    let Some(dep_app) = parts.first().and_then(|n| n.term.text()) else {
                        continue;
                    };
                    let hex_name = parts
                        .get(2)
                        .and_then(|opts| keyword(opts, "hex"))
                        .and_then(|n| n.term.text());
                    edges.push((dep_app.to_owned(), hex_name.map(str::to_owned)));
                }
            }
            Ok((package, edges))
        }
        "git" => {
            let Some(url) = text_at(1) else {
                return Err("git entry without a URL".into());
            };
            let mut package = Package::new(Ecosystem::Hex, app, unpinned());
            package.source = Source::Git {
                url: url.to_owned(),
                rev: text_at(2).map(str::to_owned),
            };
            Ok((package, Vec::new()))
        }
        "path" => {
            let mut package = Package::new(Ecosystem::Hex, app, unpinned());
            package.source = Source::Path(text_at(1).unwrap_or(app).to_owned());
            Ok((package, Vec::new()))
        }
        other => Err(format!("unknown dependency source :{other}")),
    }
}

fn unpinned() -> Pin {
    Pin::Unpinned {
        specifier: String::new(),
    }
}

/// The value of `key` in a keyword list node.
pub(crate) fn keyword<'a>(list: &'a Node, key: &str) -> Option<&'a Node> {
    let Term::List(items) = &list.term else {
        return None;
    };
    items.iter().find_map(|item| match &item.term {
        Term::Tuple(kv) if kv.len() == 2 && kv[0].term == Term::Atom(key.to_owned()) => kv.get(1),
        _ => None,
    })
}

/// The `deps` of the `mix.exs` beside the lockfile; `None` when there is none or it
/// cannot be read (then a warning).
fn manifest_deps(
    input: &Input<'_>,
    warnings: &mut Vec<Warning>,
) -> Option<Vec<super::mix_exs::Dep>> {
    let (path, text) = input.sibling("mix.exs", "direct dependencies unknown", warnings)?;
    let manifest = Input {
        path: &path,
        text: &text,
        files: input.files,
    };
    match super::mix_exs::dependencies(&manifest) {
        Ok((deps, _)) => Some(deps),
        Err(e) => {
            warnings.push(input.warning(None, format!("direct dependencies unknown: {e}")));
            None
        }
    }
}

/// Git merge-conflict markers at the start of a line are an error.
pub(crate) fn check_conflict_markers(input: &Input<'_>) -> Result<(), ParseError> {
    for (i, line) in input.text.lines().enumerate() {
        let marker = ["<<<<<<<", "|||||||", ">>>>>>>"]
            .iter()
            .any(|m| line.starts_with(m))
            || (line.starts_with("=======") && line.trim_end().bytes().all(|b| b == b'='));
        if marker {
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            return Err(input.error(
                Some(line),
                "merge conflict marker: resolve the conflict first",
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Tokenizer

/// A token of Elixir source, as far as literals go.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tok {
    /// `{`, `[` or `(`.
    Open(char),
    /// `%{`.
    MapOpen,
    /// `}`, `]` or `)`.
    Close(char),
    Comma,
    /// `=>`.
    Arrow,
    /// `:name`, `:"quoted"`.
    Atom(String),
    /// A string or charlist; `interpolated` when it holds `#{...}`.
    Str {
        text: String,
        interpolated: bool,
    },
    /// A keyword key: `name:` or `"name":`.
    Key(String),
    Num(String),
    /// An identifier or alias (`deps`, `Mix`, `do`, `true`).
    Ident(String),
    /// Anything else: operators, `.`, `@`, sigils.
    Op(String),
}

/// A token with its line and byte span.
#[derive(Clone, Debug)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) line: u32,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// Splits Elixir source into tokens; `Err((line, message))` for unterminated
/// strings, charlists and sigils.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, (u32, String)> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut line: u32 = 1;
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        let start = i;
        let start_line = line;
        let tok = match b {
            b'\n' => {
                line = line.saturating_add(1);
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' | b'\'' => {
                let (s, interpolated, next) = string(text, i, &mut line)?;
                i = next;
                if is_key_colon(bytes, i) {
                    i += 1;
                    Tok::Key(s)
                } else {
                    Tok::Str {
                        text: s,
                        interpolated,
                    }
                }
            }
            b':' => {
                let next = bytes.get(i + 1).copied();
                match next {
                    Some(b':') => {
                        i += 2;
                        Tok::Op("::".into())
                    }
                    Some(b'"') | Some(b'\'') => {
                        let (s, _, next) = string(text, i + 1, &mut line)?;
                        i = next;
                        Tok::Atom(s)
                    }
                    Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                        let end = ident_end(bytes, i + 1);
                        i = end;
                        Tok::Atom(text[start + 1..end].to_owned())
                    }
                    _ => {
                        i += 1;
                        Tok::Op(":".into())
                    }
                }
            }
            b'%' if bytes.get(i + 1) == Some(&b'{') => {
                i += 2;
                Tok::MapOpen
            }
            b'{' | b'[' | b'(' => {
                i += 1;
                Tok::Open(char::from(b))
            }
            b'}' | b']' | b')' => {
                i += 1;
                Tok::Close(char::from(b))
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            b'=' if bytes.get(i + 1) == Some(&b'>') => {
                i += 2;
                Tok::Arrow
            }
            b'~' if bytes.get(i + 1).is_some_and(u8::is_ascii_alphabetic) => {
                i = sigil(text, i, &mut line)?;
                Tok::Op(text[start..i].to_owned())
            }
            b'?' if i + 1 < bytes.len() => {
                // A character literal: `?a`, `?\n`.
                i += 1;
                if bytes[i] == b'\\' {
                    i += 1;
                }
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                Tok::Num(text.get(start..i).unwrap_or_default().to_owned())
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                i = ident_end(bytes, i);
                let word = text[start..i].to_owned();
                if is_key_colon(bytes, i) {
                    i += 1;
                    Tok::Key(word)
                } else {
                    Tok::Ident(word)
                }
            }
            c if c.is_ascii_digit() => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || bytes[i] == b'_'
                        || (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)))
                {
                    i += 1;
                }
                Tok::Num(text[start..i].to_owned())
            }
            c if c.is_ascii() => {
                const OPS: &[u8] = b"=<>+-*/|&!^\\.@;%~?";
                i += 1;
                while i < bytes.len() && OPS.contains(&bytes[i]) && OPS.contains(&c) {
                    if bytes[i] == b'=' && bytes.get(i + 1) == Some(&b'>') {
                        break;
                    }
                    i += 1;
                }
                Tok::Op(text[start..i].to_owned())
            }
            _ => {
                i += text[i..].chars().next().map_or(1, char::len_utf8);
                Tok::Op(text.get(start..i).unwrap_or_default().to_owned())
            }
        };
        tokens.push(Token {
            tok,
            line: start_line,
            start,
            end: i,
        });
    }
    Ok(tokens)
}

/// The end of an identifier starting at `i` (letters, digits, `_`, `@`, and one
/// trailing `?` or `!`).
fn ident_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'@')
    {
        i += 1;
    }
    if i < bytes.len() && (bytes[i] == b'?' || bytes[i] == b'!') {
        i += 1;
    }
    i
}

/// A keyword colon at `i`: `:` followed by white space or the end (not `::`).
fn is_key_colon(bytes: &[u8], i: usize) -> bool {
    bytes.get(i) == Some(&b':') && bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace())
}

/// Reads the string or charlist opening at byte `i` (heredocs `"""` included):
/// its content, whether it interpolates, and the byte after it.
fn string(text: &str, i: usize, line: &mut u32) -> Result<(String, bool, usize), (u32, String)> {
    let start_line = *line;
    let bytes = text.as_bytes();
    let quote = bytes[i];
    let triple = bytes
        .get(i..i + 3)
        .is_some_and(|s| s.iter().all(|&b| b == quote));
    let mut j = if triple { i + 3 } else { i + 1 };
    let mut out = String::new();
    let mut interpolated = false;
    let unterminated = || (start_line, "unterminated string".to_owned());
    loop {
        let c = text[j..].chars().next().ok_or_else(unterminated)?;
        if c == '\n' {
            *line = line.saturating_add(1);
        }
        if triple {
            if bytes
                .get(j..j + 3)
                .is_some_and(|s| s.iter().all(|&b| b == quote))
            {
                return Ok((out, interpolated, j + 3));
            }
        } else if c == char::from(quote) {
            return Ok((out, interpolated, j + 1));
        }
        if c == '\\' {
            let n = text[j + 1..].chars().next().ok_or_else(unterminated)?;
            if n == '\n' {
                *line = line.saturating_add(1);
            }
            out.push(match n {
                'n' => '\n',
                't' => '\t',
                'r' => '\r',
                other => other,
            });
            j += 1 + n.len_utf8();
            continue;
        }
        if c == '#' && bytes.get(j + 1) == Some(&b'{') {
            interpolated = true;
            let mut depth = 0usize;
            j += 1;
            loop {
                let c = text[j..].chars().next().ok_or_else(unterminated)?;
                match c {
                    '{' => depth += 1,
                    '}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            j += 1;
                            break;
                        }
                    }
                    '\n' => *line = line.saturating_add(1),
                    _ => {}
                }
                j += c.len_utf8();
            }
            continue;
        }
        out.push(c);
        j += c.len_utf8();
    }
}

/// Skips the sigil (`~r/.../i`, `~w(a b)`, `~S"""..."""`) starting at byte `i`.
fn sigil(text: &str, i: usize, line: &mut u32) -> Result<usize, (u32, String)> {
    let bytes = text.as_bytes();
    let start_line = *line;
    let mut j = i + 1;
    while j < bytes.len() && bytes[j].is_ascii_alphabetic() {
        j += 1;
    }
    let Some(&open) = bytes.get(j) else {
        return Ok(j);
    };
    let close = match open {
        b'(' => b')',
        b'[' => b']',
        b'{' => b'}',
        b'<' => b'>',
        b'/' | b'|' | b'"' | b'\'' => open,
        _ => return Ok(j),
    };
    if (open == b'"' || open == b'\'')
        && bytes
            .get(j..j + 3)
            .is_some_and(|s| s.iter().all(|&b| b == open))
    {
        let (_, _, next) = string(text, j, line)?;
        j = next;
    } else {
        j += 1;
        loop {
            match bytes.get(j) {
                None => return Err((start_line, "unterminated sigil".into())),
                Some(b'\\') => j += 2,
                Some(&b) if b == close => {
                    j += 1;
                    break;
                }
                Some(b'\n') => {
                    *line = line.saturating_add(1);
                    j += 1;
                }
                Some(_) => j += 1,
            }
        }
    }
    while j < bytes.len() && bytes[j].is_ascii_alphabetic() {
        j += 1;
    }
    Ok(j.min(bytes.len()))
}

// ---------------------------------------------------------------------------
// Reader

/// A literal term (or an opaque expression) and the line it starts on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub(crate) term: Term,
    pub(crate) line: u32,
}

/// The literal subset of Elixir terms; keyword lists are lists of 2-tuples, as in
/// Elixir.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Term {
    /// `:name`, and the bare `true`, `false`, `nil`.
    Atom(String),
    Str(String),
    Num(String),
    Tuple(Vec<Node>),
    List(Vec<Node>),
    Map(Vec<(Node, Node)>),
    /// Code that is not a literal, as written.
    Expr(String),
}

impl Term {
    /// The text of a string or the name of an atom.
    pub(crate) fn text(&self) -> Option<&str> {
        match self {
            Term::Str(s) | Term::Atom(s) => Some(s),
            _ => None,
        }
    }
}

/// How deeply literals may nest before the input is refused.
const MAX_DEPTH: usize = 128;

/// Reads terms from tokens.
pub(crate) struct Reader<'a> {
    tokens: &'a [Token],
    src: &'a str,
    /// The next token.
    pub(crate) pos: usize,
    depth: usize,
}

type ReadResult<T> = Result<T, (u32, String)>;

impl<'a> Reader<'a> {
    pub(crate) fn new(tokens: &'a [Token], src: &'a str) -> Reader<'a> {
        Reader {
            tokens,
            src,
            pos: 0,
            depth: 0,
        }
    }

    fn peek(&self) -> Option<&'a Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn line(&self) -> u32 {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .map_or(1, |t| t.line)
    }

    /// A literal starting at the current token (a whole tuple, list or map), or
    /// `None` (nothing consumed) when the token cannot start one.
    pub(crate) fn primary(&mut self) -> ReadResult<Option<Node>> {
        let Some(token) = self.tokens.get(self.pos) else {
            return Ok(None);
        };
        let line = token.line;
        let term = match &token.tok {
            Tok::Atom(a) => Term::Atom(a.clone()),
            Tok::Str {
                text,
                interpolated: false,
            } => Term::Str(text.clone()),
            Tok::Num(n) => Term::Num(n.clone()),
            Tok::Ident(w) if matches!(w.as_str(), "true" | "false" | "nil") => {
                Term::Atom(w.clone())
            }
            Tok::Open('{') => {
                self.pos += 1;
                return Ok(Some(Node {
                    term: Term::Tuple(self.sequence('}', line)?),
                    line,
                }));
            }
            Tok::Open('[') => {
                self.pos += 1;
                return Ok(Some(Node {
                    term: Term::List(self.sequence(']', line)?),
                    line,
                }));
            }
            Tok::MapOpen => {
                self.pos += 1;
                return Ok(Some(Node {
                    term: Term::Map(self.map(line)?),
                    line,
                }));
            }
            _ => return Ok(None),
        };
        self.pos += 1;
        Ok(Some(Node { term, line }))
    }

    /// One element of a container: a literal, or the code up to the next top-level
    /// `,`, `=>` or closing bracket as an expression.
    pub(crate) fn element(&mut self) -> ReadResult<Node> {
        let first = self.pos;
        let line = self.line();
        let node = self.primary()?;
        if let Some(node) = node {
            if matches!(
                self.peek(),
                None | Some(Tok::Comma | Tok::Close(_) | Tok::Arrow)
            ) {
                return Ok(node);
            }
        }
        let mut depth = 0usize;
        while let Some(tok) = self.peek() {
            match tok {
                Tok::Open(_) | Tok::MapOpen => depth += 1,
                Tok::Close(_) if depth == 0 => break,
                Tok::Close(_) => depth -= 1,
                Tok::Comma | Tok::Arrow if depth == 0 => break,
                _ => {}
            }
            self.pos += 1;
        }
        if depth > 0 {
            return Err((line, "unclosed bracket".into()));
        }
        let start = self.tokens.get(first).map_or(0, |t| t.start);
        let end = self
            .pos
            .checked_sub(1)
            .and_then(|p| self.tokens.get(p))
            .map_or(start, |t| t.end.max(start));
        Ok(Node {
            term: Term::Expr(self.src.get(start..end).unwrap_or_default().to_owned()),
            line,
        })
    }

    fn enter(&mut self, line: u32) -> ReadResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err((line, "nested too deeply".into()));
        }
        Ok(())
    }

    /// Expects the closing bracket of a container opened on `line`.
    fn close(&mut self, close: char, line: u32) -> ReadResult<bool> {
        match self.peek() {
            Some(Tok::Close(c)) if *c == close => {
                self.pos += 1;
                Ok(true)
            }
            Some(Tok::Close(c)) => Err((
                self.line(),
                format!("`{c}` where `{close}` was expected (to close the bracket of line {line})"),
            )),
            None => Err((
                line,
                format!("bracket opened here is never closed (`{close}` expected)"),
            )),
            Some(_) => Ok(false),
        }
    }

    /// The elements of a tuple or list, up to `close`; a trailing `key: value, ...`
    /// run becomes one keyword-list element.
    fn sequence(&mut self, close: char, line: u32) -> ReadResult<Vec<Node>> {
        self.enter(line)?;
        let mut items = Vec::new();
        loop {
            if self.close(close, line)? {
                break;
            }
            if let Some(Tok::Key(_)) = self.peek() {
                // `[a: 1]` is `[{:a, 1}]`; `{:x, a: 1}` is `{:x, [a: 1]}`.
                let kw_line = self.line();
                let pairs = self.keywords(close, line)?;
                if close == ']' {
                    items.extend(pairs);
                } else {
                    items.push(Node {
                        term: Term::List(pairs),
                        line: kw_line,
                    });
                }
                continue;
            }
            let item = self.element()?;
            if let Some(Tok::Arrow) = self.peek() {
                self.pos += 1;
                let value = self.element()?;
                let pair_line = item.line;
                items.push(Node {
                    term: Term::Tuple(vec![item, value]),
                    line: pair_line,
                });
            } else {
                items.push(item);
            }
            self.separator(close, line)?;
        }
        self.depth -= 1;
        Ok(items)
    }

    /// `key: value, key: value` up to (not including) `close`.
    fn keywords(&mut self, close: char, line: u32) -> ReadResult<Vec<Node>> {
        let mut pairs = Vec::new();
        while let Some(Tok::Key(k)) = self.peek() {
            let key_line = self.line();
            let key = Node {
                term: Term::Atom(k.clone()),
                line: key_line,
            };
            self.pos += 1;
            let value = self.element()?;
            pairs.push(Node {
                term: Term::Tuple(vec![key, value]),
                line: key_line,
            });
            self.separator(close, line)?;
        }
        Ok(pairs)
    }

    /// After an element: a `,` (consumed) or the closing bracket (left for the caller).
    fn separator(&mut self, close: char, line: u32) -> ReadResult<()> {
        match self.peek() {
            Some(Tok::Comma) => {
                self.pos += 1;
                Ok(())
            }
            // The caller's loop consumes the matching bracket.
            Some(Tok::Close(c)) if *c == close => Ok(()),
            Some(Tok::Close(c)) => Err((
                self.line(),
                format!("`{c}` where `{close}` was expected (to close the bracket of line {line})"),
            )),
            None => Err((
                line,
                format!("bracket opened here is never closed (`{close}` expected)"),
            )),
            Some(_) => Err((self.line(), "expected `,`".into())),
        }
    }

    /// The entries of a map, after `%{`.
    fn map(&mut self, line: u32) -> ReadResult<Vec<(Node, Node)>> {
        self.enter(line)?;
        let mut entries = Vec::new();
        loop {
            if self.close('}', line)? {
                break;
            }
            if let Some(Tok::Key(_)) = self.peek() {
                for pair in self.keywords('}', line)? {
                    if let Term::Tuple(mut kv) = pair.term {
                        if kv.len() == 2 {
                            let value = kv.pop();
                            let key = kv.pop();
                            if let (Some(k), Some(v)) = (key, value) {
                                entries.push((k, v));
                            }
                        }
                    }
                }
                continue;
            }
            let key = self.element()?;
            if let Some(Tok::Arrow) = self.peek() {
                self.pos += 1;
            } else {
                return Err((self.line(), "expected `=>` in map".into()));
            }
            let value = self.element()?;
            entries.push((key, value));
            self.separator('}', line)?;
        }
        self.depth -= 1;
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::MemFiles;
    use crate::{DiskFiles, Files, Relation, Scope};
    use std::path::Path;

    fn parse_with(text: &str, files: &dyn Files) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new("app/mix.lock"),
            text,
            files,
        })
    }

    fn parse_str(text: &str) -> Result<Parsed, ParseError> {
        parse_with(text, &MemFiles::default())
    }

    fn find<'a>(parsed: &'a Parsed, name: &str) -> &'a Package {
        parsed
            .packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no package {name}"))
    }

    const LOCK: &str = r#"%{
  "chatterbox": {:hex, :ts_chatterbox, "0.12.0", "4e54", [:rebar3], [{:hpack, "~>0.2.3", [hex: :hpack_erl, repo: "hexpm", optional: false]}], "hexpm", "6478"},
  "hpack": {:hex, :hpack_erl, "0.2.3", "1767", [:rebar3], [], "hexpm", "06f5"},
  "phoenix": {:hex, :phoenix, "1.6.9", "648e", [:mix], [{:jason, "~> 1.0", [hex: :jason, repo: "hexpm", optional: true]}, {:plug, "~> 1.10", [hex: :plug, repo: "hexpm", optional: false]}], "hexpm", "be2f"},
  "jason": {:hex, :jason, "1.3.0", "fa6b", [:mix], [], "hexpm", "53fc"},
  "plug": {:hex, :plug, "1.13.6", "187b", [:mix], [], "hexpm", "02b9"},
  "private": {:hex, :private_pkg, "0.1.0", "aaaa", [:mix], [], "hexpm:acme", "bbbb"},
  "old": {:hex, :old, "0.5.0"},
  "floki": {:hex, :floki, "0.32.1", "dfe3", [:mix], [], "hexpm", "d4b9"},
  "foo": {:git, "https://github.com/my-org/foo.git", "fc94cce7830fa4dc455024bc2a83720afe244531", [branch: "feat/my-improvement"]},
  "broken": {:hex, },
  "weird": :not_a_tuple,
  "quoted" => {:hex, :"quoted-atom", "1.0.0", "x", [:mix], [], "hexpm", "y"},
}
"#;

    #[test]
    fn entries_names_versions_sources() {
        let parsed = parse_str(LOCK).expect("parses");
        let names: Vec<&str> = parsed.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "ts_chatterbox",
                "hpack_erl",
                "phoenix",
                "jason",
                "plug",
                "private_pkg",
                "old",
                "floki",
                "foo",
                "quoted-atom"
            ]
        );
        assert_eq!(
            find(&parsed, "ts_chatterbox").pin,
            Pin::Exact("0.12.0".into())
        );
        assert_eq!(find(&parsed, "ts_chatterbox").line, Some(2));
        assert_eq!(find(&parsed, "plug").source, Source::Registry);
        assert_eq!(
            find(&parsed, "private_pkg").source,
            Source::OtherRegistry("hexpm:acme".into())
        );
        assert_eq!(find(&parsed, "old").source, Source::Registry);
        let foo = find(&parsed, "foo");
        assert_eq!(foo.pin, unpinned());
        assert_eq!(
            foo.source,
            Source::Git {
                url: "https://github.com/my-org/foo.git".into(),
                rev: Some("fc94cce7830fa4dc455024bc2a83720afe244531".into()),
            }
        );
        let lines: Vec<Option<u32>> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [Some(11), Some(12)], "{:?}", parsed.warnings);
        assert!(
            parsed
                .packages
                .iter()
                .all(|p| p.relation == Relation::Unknown)
        );
        assert!(parsed.packages.iter().all(|p| p.scope == Scope::Unknown));
    }

    #[test]
    fn mix_exs_beside_gives_direct_transitive_and_scopes() {
        let exs = r#"defmodule App.MixProject do
  use Mix.Project
  def project, do: [app: :app, deps: deps()]
  defp deps do
    [
      {:phoenix, "~> 1.6.9"},
      {:chatterbox, "~> 0.12", hex: :ts_chatterbox},
      {:floki, ">= 0.30.0", only: :test},
      {:foo, git: "https://github.com/my-org/foo.git", branch: "feat/my-improvement"}
    ]
  end
end
"#;
        let files = MemFiles::with(&[("app/mix.exs", exs)]);
        let parsed = parse_with(LOCK, &files).expect("parses");
        for direct in ["phoenix", "ts_chatterbox", "floki", "foo"] {
            assert_eq!(find(&parsed, direct).relation, Relation::Direct, "{direct}");
        }
        let jason = find(&parsed, "jason");
        assert_eq!(jason.relation, Relation::Transitive, "optional edges count");
        assert_eq!(jason.paths, vec![vec!["phoenix@1.6.9", "jason@1.3.0"]]);
        let hpack = find(&parsed, "hpack_erl");
        assert_eq!(
            hpack.relation,
            Relation::Transitive,
            "edge by app name `hpack`"
        );
        assert_eq!(hpack.scope, Scope::Runtime);
        assert_eq!(find(&parsed, "floki").scope, Scope::Development);
        assert_eq!(find(&parsed, "old").relation, Relation::Unknown);
        assert_eq!(find(&parsed, "old").scope, Scope::Unknown);
    }

    #[test]
    fn errors() {
        let err = parse_str("[1, 2]").expect_err("not a map");
        assert!(err.message.contains("expected a map"));
        let err = parse_str("%{\n  \"a\": {:hex, :a, \"1.0.0\"],\n}\n").expect_err("mismatch");
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.message.contains("`]` where `}` was expected"), "{err}");
        let err = parse_str("%{\n  \"a\": {:hex, :a, \"1.0.0}\n}\n").expect_err("unterminated");
        assert_eq!(err.line, Some(2), "{err}");
        assert!(err.message.contains("unterminated string"));
        let err = parse_str("%{\n  \"a\": {:hex, :a, \"1.0.0\"}\n").expect_err("unclosed");
        assert!(err.message.contains("never closed"), "{err}");
        let err = parse_str("%{}\n%{}\n").expect_err("trailing");
        assert_eq!(err.line, Some(2));
        let err = parse_str("%{\n<<<<<<< HEAD\n}\n").expect_err("conflict");
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("merge conflict"));
        let err = parse_str("this is not a lock").expect_err("words");
        assert!(err.message.contains("expected a map"));
        let deep = format!("%{{\"a\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse_str(&deep).expect_err("deep");
        assert!(err.message.contains("nested too deeply"));
        let empty = parse_str("\n \n").expect("empty");
        assert_eq!(empty.warnings[0].message, "empty file");
    }

    #[test]
    fn reader_handles_expressions_and_literals() {
        let src = r#"[a: 1, b: Mix.env() == :dev, c: "x#{y}", d: ~w(a b), e: %{"k" => [1, 2]}, f: 'cl', g: :"a-b", h: ?a]"#;
        let tokens = tokenize(src).expect("tokens");
        let mut reader = Reader::new(&tokens, src);
        let node = reader.element().expect("reads");
        let Term::List(pairs) = node.term else {
            panic!("list")
        };
        let value = |k: &str| {
            keyword(
                &Node {
                    term: Term::List(pairs.clone()),
                    line: 1,
                },
                k,
            )
            .map(|n| n.term.clone())
        };
        assert_eq!(value("a"), Some(Term::Num("1".into())));
        assert_eq!(value("b"), Some(Term::Expr("Mix.env() == :dev".into())));
        assert_eq!(value("c"), Some(Term::Expr("\"x#{y}\"".into())));
        assert_eq!(value("d"), Some(Term::Expr("~w(a b)".into())));
        assert!(matches!(value("e"), Some(Term::Map(_))));
        assert_eq!(value("f"), Some(Term::Str("cl".into())));
        assert_eq!(value("g"), Some(Term::Atom("a-b".into())));
        assert_eq!(value("h"), Some(Term::Num("?a".into())));
    }

    /// A fixture, its package count, some (name, version) pins and the lines of its
    /// warnings.
    type Row = (
        &'static str,
        usize,
        &'static [(&'static str, &'static str)],
        &'static [u32],
    );

    /// Expected outcome per fixture, read off the files.
    const FIXTURES: &[Row] = &[
        ("elixir/mixlock/empty", 0, &[], &[]),
        ("elixir/mixlock/invalid", 1, &[("bunt", "1.0.0")], &[3]),
        (
            "elixir/mixlock/valid",
            2,
            &[("bunt", "1.0.0"), ("certifi", "2.12.0")],
            &[],
        ),
        ("erlang/mixlock/empty.lock", 0, &[], &[]),
        ("erlang/mixlock/git.lock", 3, &[], &[]),
        (
            "erlang/mixlock/many.lock",
            21,
            &[
                ("backoff", "1.1.6"),
                ("pow", "1.0.15"),
                ("telemetry", "0.4.2"),
            ],
            &[],
        ),
        (
            "erlang/mixlock/one-package.lock",
            1,
            &[("plug", "1.11.1")],
            &[],
        ),
        (
            "erlang/mixlock/two-packages.lock",
            2,
            &[("plug", "1.11.1"), ("plug_crypto", "1.2.2")],
            &[],
        ),
    ];

    #[test]
    fn fixtures() {
        let Some(fixtures) = crate::testutil::fixtures(cverun_testkit::test_name!()) else {
            return;
        };
        let mut on_disk = Vec::new();
        for dir in ["elixir/mixlock", "erlang/mixlock"] {
            for e in std::fs::read_dir(fixtures.join(dir))
                .expect("fixture directory")
                .flatten()
            {
                on_disk.push(format!("{dir}/{}", e.file_name().to_string_lossy()));
            }
        }
        on_disk.sort();
        let mut listed: Vec<String> = FIXTURES.iter().map(|f| f.0.to_owned()).collect();
        listed.sort();
        assert_eq!(on_disk, listed, "every fixture has a row");
        for (name, count, pins, warning_lines) in FIXTURES {
            let parsed =
                crate::parse_file(crate::FileKind::MixLock, &fixtures.join(name), &DiskFiles)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(parsed.packages.len(), *count, "{name}");
            let lines: Vec<u32> = parsed.warnings.iter().filter_map(|w| w.line).collect();
            assert_eq!(lines, *warning_lines, "{name}: {:?}", parsed.warnings);
            for (n, v) in *pins {
                assert_eq!(find(&parsed, n).exact_version(), Some(*v), "{name}: {n}");
            }
        }
        let git = crate::parse_file(
            crate::FileKind::MixLock,
            &fixtures.join("erlang/mixlock/git.lock"),
            &DiskFiles,
        )
        .expect("git");
        assert_eq!(
            git.packages[2].source,
            Source::Git {
                url: "https://github.com/my-org/bar".into(),
                rev: Some("bef3ee1d3618017061498b96c75043e8449ef9b5".into())
            }
        );
        assert!(git.packages.iter().all(|p| p.pin == unpinned()));
    }

    /// The text of every fixture; none when `../shared` is absent.
    fn fixture_texts(test: &str) -> Vec<String> {
        let Some(fixtures) = crate::testutil::fixtures(test) else {
            return Vec::new();
        };
        FIXTURES
            .iter()
            .map(|f| std::fs::read_to_string(fixtures.join(f.0)).expect("fixture"))
            .collect()
    }

    #[test]
    fn truncations_never_panic() {
        let mut texts = fixture_texts(cverun_testkit::test_name!());
        texts.push(LOCK.to_owned());
        for text in texts {
            let bytes = text.as_bytes();
            for k in 0..=10 {
                let cut = bytes.len() * k / 10;
                let _ = parse_str(&String::from_utf8_lossy(&bytes[..cut]));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn byte_flips_never_panic(
            which in 0usize..9,
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 1..8),
        ) {
            let mut texts = fixture_texts(cverun_testkit::test_name!());
            texts.push(LOCK.to_owned());
            let mut bytes = texts[which % texts.len()].clone().into_bytes();
            if !bytes.is_empty() {
                for (at, b) in flips {
                    let i = at.index(bytes.len());
                    bytes[i] = b;
                }
            }
            let _ = parse_str(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "[ -~\n]{0,200}") {
            let _ = parse_str(&text);
            let _ = tokenize(&text);
        }
    }

    /// Count computed independently (one entry per line starting with a quoted key):
    /// python3 -c "import re,sys; print(len(re.findall(r'^  \"[^\"]+\": \{', open(sys.argv[1]).read(), re.M)))" mix.lock
    #[test]
    fn corpus_file() {
        let Some(corpus) = crate::testutil::corpus(cverun_testkit::test_name!()) else {
            return;
        };
        let path = corpus.join("opentelemetry-demo@2022-10/src/featureflagservice/mix.lock");
        let parsed =
            crate::parse_file(crate::FileKind::MixLock, &path, &DiskFiles).expect("parses");
        assert_eq!(parsed.packages.len(), 48);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(find(&parsed, "phoenix").exact_version(), Some("1.6.9"));
        assert_eq!(
            find(&parsed, "ts_chatterbox").exact_version(),
            Some("0.12.0")
        );
        assert_eq!(find(&parsed, "hpack_erl").exact_version(), Some("0.2.3"));
        // The mix.exs beside it names the direct dependencies.
        assert_eq!(find(&parsed, "phoenix").relation, Relation::Direct);
        assert_eq!(find(&parsed, "plug").relation, Relation::Transitive);
        assert_eq!(
            find(&parsed, "ts_chatterbox").relation,
            Relation::Transitive
        );
        assert_eq!(find(&parsed, "floki").scope, Scope::Development);
        assert_eq!(find(&parsed, "html_entities").scope, Scope::Development);
        assert_eq!(find(&parsed, "file_system").scope, Scope::Development);
        assert_eq!(find(&parsed, "plug").scope, Scope::Runtime);
    }
}
