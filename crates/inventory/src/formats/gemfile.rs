//! Bundler manifests (`Gemfile`, `gems.rb`), read when no lockfile is beside them.
//!
//! A Gemfile is Ruby. It is not evaluated: the common literal forms of Bundler's DSL
//! are read, and anything else that could declare a gem is reported.
//! - `gem "name"`, `gem 'name', '~> 1.0', '>= 1.0.1'`, `gem("name", ...)`, with
//!   requirements as string literals or an array of them, and options in either hash
//!   syntax (`git: "..."`, `:git => "..."`); a declaration may span lines (after a
//!   comma or an open bracket); a trailing `if`/`unless` modifier is ignored (the gem
//!   is listed: the safe direction);
//! - blocks: `group :development, :test do ... end` (nested groups add up, as in
//!   Bundler), `source "url" do`, `git "url" do`, `path "dir" do`, `github "org/repo"
//!   do`, and any other `... do`/`if`/`unless`/`case`/`begin` ... `end`, whose gems are
//!   read as if unconditional;
//! - `git_source(:name)` definitions make `name: "repo"` a git option.
//!
//! For cverun:
//! - pin: one exact requirement (`'1.2.3'` or `'= 1.2.3'`) is [`Pin::Exact`]; anything
//!   else is [`Pin::Unpinned`] with the requirements joined by `", "` (empty for none);
//! - source: `git:`, `github:`, `gitlab:`, `bitbucket:` or a custom git source is
//!   [`Source::Git`] (at `ref:`/`tag:`/`branch:` when given); `path:` is
//!   [`Source::Path`]; `source:` (or a `source` block) other than rubygems.org is
//!   [`Source::OtherRegistry`]; the rest is the registry;
//! - scope: a gem whose groups (from `group` blocks and `group:`/`groups:` options)
//!   are all `:development`/`:test` is development; one only in groups declared
//!   `optional: true` is optional; a gem in no group, or in another group, is runtime;
//!   groups that are not literals leave the scope unknown;
//! - relation: every gem is direct (a manifest names only what the project asks for).
//!
//! Problems (warnings, with the line): a statement starting with `gem` that is not a
//! literal declaration (a name in a variable, an interpolated string); a requirement
//! that is not a literal (the gem is kept, unpinned, with the expression as its
//! specifier); `gemspec` and `eval_gemfile`, whose gems are in files not read here; a
//! `gem` line inside an expression that is not read. Git merge-conflict markers, and
//! statements none of which is Bundler's, are errors.

use std::collections::HashSet;

use cverun_versions::Ecosystem;

use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope, Source, Warning};

/// Parses a `Gemfile`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    if input.text.trim().is_empty() {
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    for (i, line) in input.text.lines().enumerate() {
        if is_conflict_marker(line) {
            let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
            return Err(input.error(
                Some(line),
                "merge conflict marker: resolve the conflict first",
            ));
        }
    }
    let mut reader = Reader::default();
    let statements = statements(input.text);
    let mut recognised = statements.is_empty();
    for statement in &statements {
        recognised |= reader.statement(input, statement, &mut parsed);
    }
    if !recognised {
        return Err(input.error(
            Some(1),
            "not a Gemfile: no `source`, `gem`, `gemspec` or `group` statement",
        ));
    }
    Ok(parsed)
}

/// One Ruby statement: its text (comments removed, lines joined by `\n`) and the
/// line it starts on.
#[derive(Debug)]
struct Statement {
    text: String,
    line: u32,
}

/// A block the current statement is inside.
#[derive(Debug)]
enum Block {
    /// `group ... do`: its groups (`None` when not literals) and whether optional.
    Group(Option<Vec<String>>),
    /// `source`/`git`/`path`/`github ... do`.
    Source(Source),
    /// Any other block.
    Other,
}

#[derive(Default)]
struct Reader {
    blocks: Vec<Block>,
    optional_groups: HashSet<String>,
    /// Names defined with `git_source(:name)`.
    git_sources: Vec<String>,
}

impl Reader {
    /// Reads one statement; true when it is a Bundler DSL statement.
    fn statement(&mut self, input: &Input<'_>, st: &Statement, parsed: &mut Parsed) -> bool {
        let text = st.text.trim();
        let word_len = text
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '?' || c == '!'))
            .unwrap_or(text.len());
        let (word, rest) = text.split_at(word_len);
        let opens = opens_block(text);
        let mut recognised = true;
        match word {
            "end" => {
                recognised = false;
                self.blocks.pop();
            }
            "gem" => self.gem(input, st, rest, &mut parsed.packages, &mut parsed.warnings),
            "gemspec" => parsed.warnings.push(input.warning(
                Some(st.line),
                "`gemspec`: the gems declared in the .gemspec are not read",
            )),
            "eval_gemfile" => parsed.warnings.push(input.warning(
                Some(st.line),
                "`eval_gemfile`: the gems of the evaluated file are not read",
            )),
            "git_source" => {
                let inner = rest.trim_start().trim_start_matches('(').trim_start();
                if let Some(name) = inner.strip_prefix(':') {
                    let end = name
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(name.len());
                    if end > 0 {
                        self.git_sources.push(name[..end].to_owned());
                    }
                }
            }
            "group" if opens => {
                let (groups, optional) =
                    group_args(&rest[..rest.len().saturating_sub(block_opener_len(rest))]);
                if optional {
                    self.optional_groups
                        .extend(groups.iter().flatten().cloned());
                }
                self.blocks.push(Block::Group(groups));
            }
            "source" | "git" | "path" | "github" if opens => {
                let head = &rest[..rest.len().saturating_sub(block_opener_len(rest))];
                let items = args(head);
                let first = items.first().map(|a| value(a));
                let options: Vec<(String, Value)> =
                    items.iter().skip(1).filter_map(|a| pair(a)).collect();
                let source = match (word, first) {
                    ("source", Some(Value::Str(url))) => registry(&url),
                    ("git", Some(Value::Str(url))) => Source::Git {
                        url,
                        rev: git_rev(&options),
                    },
                    ("github", Some(Value::Str(repo))) => Source::Git {
                        url: github_url(&repo),
                        rev: git_rev(&options),
                    },
                    ("path", Some(Value::Str(dir))) => Source::Path(dir),
                    (_, first) => {
                        let raw = first.map(|v| v.raw()).unwrap_or_default();
                        match word {
                            "source" => Source::OtherRegistry(raw),
                            "path" => Source::Path(raw),
                            _ => Source::Git {
                                url: raw,
                                rev: None,
                            },
                        }
                    }
                };
                self.blocks.push(Block::Source(source));
            }
            "source" | "ruby" | "plugin" | "platforms" | "platform" | "install_if" | "env"
            | "git" | "path" | "github" => {
                if opens {
                    self.blocks.push(Block::Other);
                }
            }
            "if" | "unless" | "case" | "while" | "until" | "begin" | "def" | "class" | "module"
            | "for" => {
                recognised = false;
                self.blocks.push(Block::Other);
            }
            _ => {
                recognised = false;
                if opens {
                    self.blocks.push(Block::Other);
                }
            }
        }
        if word != "gem" {
            // A `gem` line swallowed by a multi-line expression (a `{ }` block, say).
            for (k, line) in st.text.lines().enumerate().skip(1) {
                let line = line.trim_start();
                if line.starts_with("gem ") || line.starts_with("gem(") {
                    let at = st.line.saturating_add(u32::try_from(k).unwrap_or(u32::MAX));
                    parsed.warnings.push(input.warning(
                        Some(at),
                        format!(
                            "gem declaration inside an expression not read: `{}`",
                            shorten(line)
                        ),
                    ));
                }
            }
        }
        recognised
    }

    /// Reads `gem ...` (`rest` is what follows the word `gem`).
    fn gem(
        &self,
        input: &Input<'_>,
        st: &Statement,
        rest: &str,
        packages: &mut Vec<Package>,
        warnings: &mut Vec<Warning>,
    ) {
        let unreadable = |warnings: &mut Vec<Warning>| {
            warnings.push(input.warning(
                Some(st.line),
                format!(
                    "cannot read gem declaration `{}`: skipped",
                    shorten(st.text.trim())
                ),
            ));
        };
        let inner = match rest.strip_prefix('(') {
            Some(after) => match matching_paren(after) {
                Some(end) => &after[..end],
                None => return unreadable(warnings),
            },
            None if rest.is_empty() || rest.starts_with(char::is_whitespace) => rest,
            None => return unreadable(warnings),
        };
        let items = args(inner);
        let Some(Value::Str(name)) = items.first().map(|a| value(a)) else {
            return unreadable(warnings);
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            return unreadable(warnings);
        }
        let mut requirements: Vec<String> = Vec::new();
        let mut expressions: Vec<String> = Vec::new();
        let mut options: Vec<(String, Value)> = Vec::new();
        for item in items.iter().skip(1) {
            if let Some(p) = pair(item) {
                options.push(p);
                continue;
            }
            match value(item) {
                Value::Str(s) => requirements.push(s),
                Value::Array(list) if list.iter().all(|v| matches!(v, Value::Str(_))) => {
                    requirements.extend(list.into_iter().map(|v| v.raw()));
                }
                Value::Hash(pairs) => options.extend(pairs),
                other => expressions.push(other.raw()),
            }
        }
        let pin = if expressions.is_empty() {
            pin(&requirements)
        } else {
            warnings.push(input.warning(
                Some(st.line),
                format!(
                    "gem `{name}`: version requirement `{}` is not a literal; kept unpinned",
                    expressions.join(", ")
                ),
            ));
            requirements.extend(expressions);
            Pin::Unpinned {
                specifier: requirements.join(", "),
            }
        };
        let mut package = Package::new(Ecosystem::RubyGems, &name, pin);
        package.relation = Relation::Direct;
        package.line = Some(st.line);
        package.source = self.source(&options);
        package.scope = self.scope(&options);
        packages.push(package);
    }

    /// The source of a gem from its options and the blocks around it.
    fn source(&self, options: &[(String, Value)]) -> Source {
        for (key, v) in options {
            let repo = v.raw();
            let url = match key.as_str() {
                "git" => repo,
                "github" => github_url(&repo),
                "gitlab" => format!("https://gitlab.com/{repo}.git"),
                "bitbucket" => format!("https://bitbucket.org/{repo}.git"),
                k if self.git_sources.iter().any(|g| g == k) => format!("{k}:{repo}"),
                _ => continue,
            };
            return Source::Git {
                url,
                rev: git_rev(options),
            };
        }
        for (key, v) in options {
            match key.as_str() {
                "path" => return Source::Path(v.raw()),
                "source" => return registry(&v.raw()),
                _ => {}
            }
        }
        for block in self.blocks.iter().rev() {
            if let Block::Source(source) = block {
                return match source {
                    Source::Git { url, rev } => Source::Git {
                        url: url.clone(),
                        rev: git_rev(options).or_else(|| rev.clone()),
                    },
                    other => other.clone(),
                };
            }
        }
        Source::Registry
    }

    /// The scope of a gem from its `group:` options and the `group` blocks around it.
    fn scope(&self, options: &[(String, Value)]) -> Scope {
        let mut groups: Vec<String> = Vec::new();
        for block in &self.blocks {
            match block {
                Block::Group(Some(names)) => groups.extend(names.iter().cloned()),
                Block::Group(None) => return Scope::Unknown,
                _ => {}
            }
        }
        for (key, v) in options {
            if key == "group" || key == "groups" {
                match names(v) {
                    Some(names) => groups.extend(names),
                    None => return Scope::Unknown,
                }
            }
        }
        if groups.is_empty() {
            return Scope::Runtime;
        }
        let dev = |g: &String| g == "development" || g == "test";
        if groups.iter().all(dev) {
            Scope::Development
        } else if groups
            .iter()
            .all(|g| dev(g) || self.optional_groups.contains(g))
        {
            Scope::Optional
        } else {
            Scope::Runtime
        }
    }
}

/// `Exact` for one exact requirement (`1.2.3`, `= 1.2.3`), else `Unpinned`.
fn pin(requirements: &[String]) -> Pin {
    if let [only] = requirements {
        let t = only.trim();
        let version = match t.strip_prefix('=') {
            Some(rest) => rest.trim(),
            None if t.starts_with(|c: char| c.is_ascii_digit()) => t,
            None => "",
        };
        let plain = !version.is_empty()
            && !version.contains(char::is_whitespace)
            && !version.contains(',')
            && !version.starts_with(['=', '>', '<', '~', '!']);
        if plain {
            return Pin::Exact(version.to_owned());
        }
    }
    Pin::Unpinned {
        specifier: requirements.join(", "),
    }
}

/// The git revision named by `ref:`, `tag:` or `branch:`.
fn git_rev(options: &[(String, Value)]) -> Option<String> {
    ["ref", "tag", "branch"].iter().find_map(|k| {
        options
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.raw())
    })
}

/// Bundler's `github:` shorthand: `"rails"` is `rails/rails`.
fn github_url(repo: &str) -> String {
    if repo.contains('/') {
        format!("https://github.com/{repo}.git")
    } else {
        format!("https://github.com/{repo}/{repo}.git")
    }
}

/// The public registry for rubygems.org URLs, another registry otherwise.
fn registry(url: &str) -> Source {
    let host = url
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap_or_default();
    if matches!(host, "rubygems.org" | "www.rubygems.org") || url == "rubygems" {
        Source::Registry
    } else {
        Source::OtherRegistry(url.to_owned())
    }
}

/// Group names from a symbol, string or array of them; `None` when not literals.
fn names(v: &Value) -> Option<Vec<String>> {
    match v {
        Value::Sym(s) | Value::Str(s) => Some(vec![s.clone()]),
        Value::Array(items) => items
            .iter()
            .map(|i| match i {
                Value::Sym(s) | Value::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// The groups of `group :a, :b, optional: true` and whether they are optional.
fn group_args(head: &str) -> (Option<Vec<String>>, bool) {
    let mut groups = Some(Vec::new());
    let mut optional = false;
    for item in args(head) {
        if let Some((key, v)) = pair(&item) {
            if key == "optional" {
                optional = matches!(v, Value::Bool(true));
            }
            continue;
        }
        match (names(&value(&item)), groups.as_mut()) {
            (Some(n), Some(g)) => g.extend(n),
            _ => groups = None,
        }
    }
    (groups, optional)
}

/// True when the statement ends by opening a `do` block (`do` or `do |x|`).
fn opens_block(text: &str) -> bool {
    block_opener_len(text) > 0
}

/// The length of the trailing ` do` / ` do |x|` of a statement (0 when none).
fn block_opener_len(text: &str) -> usize {
    let t = text.trim_end();
    let mut body = t;
    if let Some(before) = t.strip_suffix('|') {
        match before.rfind('|') {
            Some(i) => body = before[..i].trim_end(),
            None => return 0,
        }
    }
    match body.strip_suffix("do") {
        Some(before)
            if before.is_empty() || before.ends_with(|c: char| c.is_whitespace() || c == ')') =>
        {
            text.len() - before.len()
        }
        _ => 0,
    }
}

/// The index of the `)` closing an already opened `(` in `s` (strings skipped).
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    let mut scan = Scanner::new(s);
    while let Some((i, c)) = scan.next_code() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return if c == ')' { Some(i) } else { None };
                }
            }
            _ => {}
        }
    }
    None
}

/// Splits call arguments at top-level commas, stopping at a top-level `if`/`unless`
/// modifier or a `do` block opener.
fn args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0usize;
    let mut end = s.len();
    let mut scan = Scanner::new(s);
    while let Some((i, c)) = scan.next_code() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(s[start..i].trim().to_owned());
                start = i + 1;
            }
            c if depth == 0 && c.is_whitespace() => {
                let after = &s[i + c.len_utf8()..];
                let word_end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                if matches!(&after[..word_end], "if" | "unless" | "do") {
                    end = i;
                    break;
                }
            }
            _ => {}
        }
    }
    let last = s.get(start..end).unwrap_or_default().trim();
    if !last.is_empty() || !out.is_empty() {
        out.push(last.to_owned());
    }
    out
}

/// A Ruby literal, as far as it is read here.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Str(String),
    Sym(String),
    Bool(bool),
    Array(Vec<Value>),
    Hash(Vec<(String, Value)>),
    /// Anything else, as written.
    Expr(String),
}

impl Value {
    /// The value as text (a string's content, a symbol's name, an expression as written).
    fn raw(&self) -> String {
        match self {
            Value::Str(s) | Value::Sym(s) | Value::Expr(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Array(items) => items.iter().map(Value::raw).collect::<Vec<_>>().join(", "),
            Value::Hash(pairs) => pairs
                .iter()
                .map(|(k, v)| format!("{k}: {}", v.raw()))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// How deeply array and hash literals are read; deeper ones are expressions.
const MAX_DEPTH: usize = 32;

/// Reads one argument as a literal, or `Expr` when it is something else.
fn value(s: &str) -> Value {
    value_at(s, 0)
}

/// [`value`] at a nesting depth.
fn value_at(s: &str, depth: usize) -> Value {
    let s = s.trim();
    if depth > MAX_DEPTH {
        return Value::Expr(s.to_owned());
    }
    let expr = || Value::Expr(s.to_owned());
    if let Some(body) = s.strip_prefix('\'') {
        return match quoted(body, '\'') {
            Some((text, rest)) if rest.trim().is_empty() => Value::Str(text),
            _ => expr(),
        };
    }
    if let Some(body) = s.strip_prefix('"') {
        return match quoted(body, '"') {
            Some((text, rest)) if rest.trim().is_empty() => Value::Str(text),
            _ => expr(),
        };
    }
    if let Some(body) = s.strip_prefix(':') {
        if let Some(q) = body.strip_prefix('"') {
            return match quoted(q, '"') {
                Some((text, rest)) if rest.trim().is_empty() => Value::Sym(text),
                _ => expr(),
            };
        }
        if !body.is_empty()
            && body
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '?' || c == '!')
        {
            return Value::Sym(body.to_owned());
        }
        return expr();
    }
    if let Some(v) = percent_literal(s) {
        return v;
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return Value::Array(args(inner).iter().map(|a| value_at(a, depth + 1)).collect());
    }
    if let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
        let items = args(inner);
        let pairs: Option<Vec<(String, Value)>> =
            items.iter().map(|i| pair_at(i, depth + 1)).collect();
        return pairs.map_or_else(expr, Value::Hash);
    }
    match s {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => expr(),
    }
}

/// `%w[a b]`, `%i[a b]`, `%q(text)`, `%Q(text)`, `%(text)`.
fn percent_literal(s: &str) -> Option<Value> {
    let body = s.strip_prefix('%')?;
    let (kind, rest) = match body.chars().next()? {
        k @ ('w' | 'W' | 'i' | 'I' | 'q' | 'Q') => (k, &body[1..]),
        _ => ('Q', body),
    };
    let open = rest.chars().next()?;
    let close = match open {
        '(' => ')',
        '[' => ']',
        '{' => '}',
        '<' => '>',
        c if c.is_ascii_punctuation() => c,
        _ => return None,
    };
    let inner = rest[open.len_utf8()..].strip_suffix(close)?;
    if inner.contains(close) || (kind != 'q' && inner.contains("#{")) {
        return None;
    }
    Some(match kind {
        'w' | 'W' => Value::Array(
            inner
                .split_whitespace()
                .map(|w| Value::Str(w.to_owned()))
                .collect(),
        ),
        'i' | 'I' => Value::Array(
            inner
                .split_whitespace()
                .map(|w| Value::Sym(w.to_owned()))
                .collect(),
        ),
        _ => Value::Str(inner.to_owned()),
    })
}

/// Reads a quoted string's content up to the unescaped `quote`; returns it and the
/// text after the quote. `None` when unterminated or (for `"`) interpolated.
fn quoted(body: &str, quote: char) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Some((out, &body[i + 1..]));
        }
        if c == '\\' {
            let (_, next) = chars.next()?;
            match (quote, next) {
                ('"', 'n') => out.push('\n'),
                ('"', 't') => out.push('\t'),
                ('\'', n) if n != '\'' && n != '\\' => {
                    out.push('\\');
                    out.push(n);
                }
                (_, n) => out.push(n),
            }
            continue;
        }
        if quote == '"' && c == '#' && body[i + 1..].starts_with('{') {
            return None;
        }
        out.push(c);
    }
    None
}

/// Reads `key: value`, `"key": value`, `:key => value` or `"key" => value`.
fn pair(s: &str) -> Option<(String, Value)> {
    pair_at(s, 0)
}

/// [`pair`] at a nesting depth.
fn pair_at(s: &str, depth: usize) -> Option<(String, Value)> {
    let s = s.trim();
    // `key: value`
    let ident_end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    if ident_end > 0 {
        let after = &s[ident_end..];
        if let Some(v) = after.strip_prefix(':') {
            if !v.starts_with(':') && (v.is_empty() || v.starts_with(char::is_whitespace)) {
                return Some((s[..ident_end].to_owned(), value_at(v, depth)));
            }
        }
    }
    // `"key": value`
    if let Some(body) = s.strip_prefix('"').or_else(|| s.strip_prefix('\'')) {
        let quote = if s.starts_with('"') { '"' } else { '\'' };
        if let Some((key, rest)) = quoted(body, quote) {
            if let Some(v) = rest.strip_prefix(':') {
                if v.is_empty() || v.starts_with(char::is_whitespace) {
                    return Some((key, value_at(v, depth)));
                }
            }
        }
    }
    // `key => value`
    let arrow = top_level_arrow(s)?;
    let key = match value_at(&s[..arrow], depth) {
        Value::Sym(k) | Value::Str(k) => k,
        _ => return None,
    };
    Some((key, value_at(&s[arrow + 2..], depth)))
}

/// The byte index of the first top-level `=>` in `s`.
fn top_level_arrow(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut scan = Scanner::new(s);
    while let Some((i, c)) = scan.next_code() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '=' if depth == 0 && s[i..].starts_with("=>") => return Some(i),
            _ => {}
        }
    }
    None
}

/// Walks Ruby source, yielding only the characters outside string literals.
struct Scanner<'a> {
    s: &'a str,
    chars: std::str::CharIndices<'a>,
}

impl<'a> Scanner<'a> {
    fn new(s: &'a str) -> Scanner<'a> {
        Scanner {
            s,
            chars: s.char_indices(),
        }
    }

    /// The next character outside strings (a string's opening quote is skipped with it).
    fn next_code(&mut self) -> Option<(usize, char)> {
        loop {
            let (i, c) = self.chars.next()?;
            match c {
                '\'' | '"' => self.skip_string(c),
                ':' if self.s[i + 1..].starts_with('"') => {
                    self.chars.next();
                    self.skip_string('"');
                }
                _ => return Some((i, c)),
            }
        }
    }

    fn skip_string(&mut self, quote: char) {
        while let Some((_, c)) = self.chars.next() {
            if c == '\\' {
                self.chars.next();
            } else if c == quote {
                return;
            }
        }
    }
}

/// Splits the text into statements: comments (`#`, `=begin`/`=end`) removed, lines
/// joined while a bracket or string is open or a line ends with `,`, `\`, `=>`,
/// `||` or `&&`.
fn statements(text: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start_line = 1u32;
    let mut depth = 0usize;
    let mut in_string: Option<char> = None;
    let mut in_doc_comment = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if in_doc_comment {
            if raw.starts_with("=end") {
                in_doc_comment = false;
            }
            continue;
        }
        if in_string.is_none()
            && depth == 0
            && current.trim().is_empty()
            && raw.starts_with("=begin")
        {
            in_doc_comment = true;
            continue;
        }
        if current.trim().is_empty() {
            current.clear();
            start_line = line_no;
        } else {
            current.push('\n');
        }
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            if let Some(q) = in_string {
                current.push(c);
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        current.push(n);
                    }
                } else if c == q {
                    in_string = None;
                }
                continue;
            }
            match c {
                '#' => break,
                '\'' | '"' => in_string = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            current.push(c);
        }
        let trimmed = current.trim_end();
        let continues = in_string.is_some()
            || depth > 0
            || trimmed.ends_with(',')
            || trimmed.ends_with('\\')
            || trimmed.ends_with("=>")
            || trimmed.ends_with("||")
            || trimmed.ends_with("&&");
        if trimmed.ends_with('\\') {
            current.truncate(trimmed.len() - 1);
        }
        if !continues && !current.trim().is_empty() {
            out.push(Statement {
                text: std::mem::take(&mut current),
                line: start_line,
            });
        }
    }
    if !current.trim().is_empty() {
        out.push(Statement {
            text: current,
            line: start_line,
        });
    }
    out
}

/// Git merge-conflict markers at the start of a line.
fn is_conflict_marker(line: &str) -> bool {
    ["<<<<<<<", "|||||||", ">>>>>>>"]
        .iter()
        .any(|m| line.starts_with(m))
        || (line.starts_with("=======") && line.trim_end().bytes().all(|b| b == b'='))
}

/// At most 60 characters of `s` (one line), for messages.
fn shorten(s: &str) -> String {
    let s = s.lines().next().unwrap_or_default();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DiskFiles;
    use std::path::Path;

    fn parse_str(text: &str) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new("app/Gemfile"),
            text,
            files: &DiskFiles,
        })
    }

    fn find<'a>(parsed: &'a Parsed, name: &str) -> &'a Package {
        parsed
            .packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no package {name}"))
    }

    fn unpinned(s: &str) -> Pin {
        Pin::Unpinned {
            specifier: s.into(),
        }
    }

    const GEMFILE: &str = r#"# frozen_string_literal: true
source "https://rubygems.org"
git_source(:internal) { |repo| "https://git.example.com/#{repo}.git" }

ruby "3.2.2"

gem "rails", "~> 7.0.4", ">= 7.0.4.3"
gem 'pg', '1.5.3'
gem 'puma', '= 6.3.0' # exact
gem "bootsnap", require: false
gem "tzinfo-data", platforms: %i[ mingw mswin x64_mingw jruby ]
gem "sidekiq", :git => "https://github.com/sidekiq/sidekiq.git", :branch => "main"
gem "kaminari", github: "kaminari/kaminari", tag: "v1.2.2"
gem "rack", github: "rack"
gem "local_thing", path: "vendor/local_thing"
gem "secret", internal: "team/secret"
gem("paren", "~> 1.0")
gem "multi",
    "~> 2.0",
    require: false
gem "only_on_ci", "~> 1.0" if ENV["CI"]

group :development, :test do
  gem "rspec-rails", "~> 6.0"
  gem "debug", platforms: %i[ mri mingw x64_mingw ]
end

group :development do
  group :test do
    gem "nested"
  end
end

group :production do
  gem "newrelic_rpm"
end

gem "capybara", group: :test
gem "yard", groups: [:docs]
gem "rubocop", group: [:development, "test"]

group :docs, optional: true do
  gem "redcarpet"
end

source "https://gems.contribsys.com/" do
  gem "sidekiq-pro"
end

git "https://github.com/rails/rails.git", branch: "7-0-stable" do
  gem "activesupport"
end

path "components" do
  gem "billing"
end

platforms :jruby do
  gem "jruby-openssl"
end

if ENV["EXTRA"]
  gem "extra", ">= 1"
end
=begin
gem "commented_out"
=end
"#;

    #[test]
    fn literal_forms() {
        let parsed = parse_str(GEMFILE).expect("parses");
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        assert_eq!(parsed.packages.len(), 26);
        assert!(
            parsed
                .packages
                .iter()
                .all(|p| p.relation == Relation::Direct)
        );
        assert_eq!(find(&parsed, "rails").pin, unpinned("~> 7.0.4, >= 7.0.4.3"));
        assert_eq!(find(&parsed, "rails").line, Some(7));
        assert_eq!(find(&parsed, "pg").pin, Pin::Exact("1.5.3".into()));
        assert_eq!(find(&parsed, "puma").pin, Pin::Exact("6.3.0".into()));
        assert_eq!(find(&parsed, "bootsnap").pin, unpinned(""));
        assert_eq!(find(&parsed, "paren").pin, unpinned("~> 1.0"));
        assert_eq!(find(&parsed, "multi").pin, unpinned("~> 2.0"));
        assert_eq!(find(&parsed, "multi").line, Some(18));
        assert_eq!(find(&parsed, "only_on_ci").pin, unpinned("~> 1.0"));
        assert!(parsed.packages.iter().all(|p| p.name != "commented_out"));
    }

    #[test]
    fn sources() {
        let parsed = parse_str(GEMFILE).expect("parses");
        let git = |url: &str, rev: Option<&str>| Source::Git {
            url: url.into(),
            rev: rev.map(Into::into),
        };
        assert_eq!(
            find(&parsed, "sidekiq").source,
            git("https://github.com/sidekiq/sidekiq.git", Some("main"))
        );
        assert_eq!(
            find(&parsed, "kaminari").source,
            git("https://github.com/kaminari/kaminari.git", Some("v1.2.2"))
        );
        assert_eq!(
            find(&parsed, "rack").source,
            git("https://github.com/rack/rack.git", None)
        );
        assert_eq!(
            find(&parsed, "secret").source,
            git("internal:team/secret", None)
        );
        assert_eq!(
            find(&parsed, "local_thing").source,
            Source::Path("vendor/local_thing".into())
        );
        assert_eq!(
            find(&parsed, "sidekiq-pro").source,
            Source::OtherRegistry("https://gems.contribsys.com/".into())
        );
        assert_eq!(
            find(&parsed, "activesupport").source,
            git("https://github.com/rails/rails.git", Some("7-0-stable"))
        );
        assert_eq!(
            find(&parsed, "billing").source,
            Source::Path("components".into())
        );
        assert_eq!(find(&parsed, "rails").source, Source::Registry);
        assert_eq!(find(&parsed, "jruby-openssl").source, Source::Registry);
    }

    #[test]
    fn scopes() {
        let parsed = parse_str(GEMFILE).expect("parses");
        for dev in ["rspec-rails", "debug", "nested", "capybara", "rubocop"] {
            assert_eq!(find(&parsed, dev).scope, Scope::Development, "{dev}");
        }
        for runtime in [
            "rails",
            "newrelic_rpm",
            "yard",
            "jruby-openssl",
            "extra",
            "sidekiq-pro",
        ] {
            assert_eq!(find(&parsed, runtime).scope, Scope::Runtime, "{runtime}");
        }
        assert_eq!(find(&parsed, "redcarpet").scope, Scope::Optional);
    }

    #[test]
    fn unreadable_declarations_are_warnings() {
        let text = r#"source "https://rubygems.org"
gem name_from_variable
gem "interp#{x}"
gem "rails", RAILS_VERSION
%w[a b].each do |g|
  gem g
end
gemspec
gems = [
  gem("hidden"),
]
gem "fine"
"#;
        let parsed = parse_str(text).expect("parses");
        let names: Vec<&str> = parsed.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["rails", "fine"]);
        assert_eq!(find(&parsed, "rails").pin, unpinned("RAILS_VERSION"));
        let lines: Vec<Option<u32>> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(
            lines,
            [Some(2), Some(3), Some(4), Some(6), Some(8), Some(10)],
            "{:?}",
            parsed.warnings
        );
    }

    #[test]
    fn errors_and_empty() {
        let err = parse_str("source 'x'\n<<<<<<< HEAD\ngem 'a'\n").expect_err("conflict");
        assert_eq!(err.line, Some(2));
        let err = parse_str("{\"not\": \"a gemfile\"}\n").expect_err("not a gemfile");
        assert!(err.message.contains("not a Gemfile"));
        let comments = parse_str("# nothing yet\n").expect("only comments");
        assert!(comments.packages.is_empty() && comments.warnings.is_empty());
        let empty = parse_str("\n").expect("empty");
        assert_eq!(empty.warnings[0].message, "empty file");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = format!("gem \"x\", {}{}\n", "[".repeat(50_000), "]".repeat(50_000));
        let parsed = parse_str(&deep).expect("parses");
        assert_eq!(parsed.packages.len(), 1);
        let hashes = format!(
            "gem \"x\", {}{}\n",
            "{a: ".repeat(20_000),
            "}".repeat(20_000)
        );
        let _ = parse_str(&hashes);
    }

    #[test]
    fn helpers() {
        assert_eq!(block_opener_len("group :a do"), 2);
        assert_eq!(block_opener_len("x.each do |g|"), 6);
        assert_eq!(block_opener_len("gem 'undo'"), 0);
        assert_eq!(args("'a', 'b' if x"), ["'a'", "'b'"]);
        assert_eq!(
            value("%w[a b]"),
            Value::Array(vec![Value::Str("a".into()), Value::Str("b".into())])
        );
        assert_eq!(
            pair(":git => 'u'"),
            Some(("git".into(), Value::Str("u".into())))
        );
        assert_eq!(
            pair("\"require\": false"),
            Some(("require".into(), Value::Bool(false)))
        );
        assert_eq!(value(r"'it\'s'"), Value::Str("it's".into()));
    }

    /// Counts computed independently:
    /// python3 -c "import re,sys; print(len(re.findall(r'^gem ', open(sys.argv[1]).read(), re.M)))" Gemfile
    #[test]
    fn corpus_files() {
        let Some(corpus) = crate::testutil::corpus(cverun_testkit::test_name!()) else {
            return;
        };
        for (path, count, pins) in [
            (
                "opentelemetry-demo@2022-10/src/emailservice/Gemfile",
                7,
                [
                    ("puma", "~> 5.6"),
                    ("opentelemetry-instrumentation-sinatra", "~> 0.19"),
                ],
            ),
            (
                "opentelemetry-demo@2024-06/src/emailservice/Gemfile",
                7,
                [
                    ("puma", "~> 6.3"),
                    ("opentelemetry-instrumentation-all", "~> 0.39"),
                ],
            ),
        ] {
            let parsed =
                crate::parse_file(crate::FileKind::Gemfile, &corpus.join(path), &DiskFiles)
                    .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert_eq!(parsed.packages.len(), count, "{path}");
            assert!(parsed.warnings.is_empty(), "{path}: {:?}", parsed.warnings);
            for (n, s) in pins {
                assert_eq!(find(&parsed, n).pin, unpinned(s), "{path}: {n}");
            }
        }
    }

    #[test]
    fn corpus_and_inline_texts_never_panic() {
        // The inline text always; the corpus files when `../shared` is present.
        let mut texts: Vec<String> = vec![GEMFILE.to_owned()];
        if let Some(corpus) = crate::testutil::corpus(cverun_testkit::test_name!()) {
            for p in [
                "opentelemetry-demo@2022-10/src/emailservice/Gemfile",
                "opentelemetry-demo@2024-06/src/emailservice/Gemfile",
            ] {
                texts.push(std::fs::read_to_string(corpus.join(p)).expect("corpus"));
            }
        }
        for text in texts {
            let bytes = text.as_bytes();
            for k in 0..=20 {
                let cut = bytes.len() * k / 20;
                let _ = parse_str(&String::from_utf8_lossy(&bytes[..cut]));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn byte_flips_never_panic(
            flips in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>()), 1..8),
        ) {
            let mut bytes = GEMFILE.as_bytes().to_vec();
            for (at, b) in flips {
                let i = at.index(bytes.len());
                bytes[i] = b;
            }
            let _ = parse_str(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn arbitrary_text_never_panics(text in "[ -~\n]{0,200}") {
            let _ = parse_str(&text);
        }
    }
}
