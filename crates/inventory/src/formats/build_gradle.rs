//! Gradle build scripts (`build.gradle` in the Groovy DSL, `build.gradle.kts` in the
//! Kotlin DSL): the dependencies they declare.
//!
//! A build script is a program; cverun does not run it. It reads the literal forms
//! that nearly every script uses, with a small tokenizer that knows strings,
//! comments and brackets, so a dependency is found wherever a `dependencies { }`
//! block is (top level, `subprojects`, `allprojects`, Kotlin multiplatform source
//! sets, under `if`/`else`):
//!
//! - `conf "g:a:1.2"`, `conf 'g:a:1.2'`, `conf("g:a:1.2")`, `"conf"("g:a:1.2")`,
//!   `add("conf", "g:a:1.2")`, and several comma-separated notations after one
//!   configuration (`implementation "a:b:1", "c:d:2"`, over several lines);
//! - map notation `conf group: 'g', name: 'a', version: '1.2'` and Kotlin named
//!   arguments `conf(group = "g", name = "a", version = "1.2")`;
//! - `g:a:1.2:classifier` and `g:a:1.2@ext` (the classifier and extension do not
//!   change the package);
//! - `platform(...)`, `enforcedPlatform(...)` (BOMs: reported like any dependency,
//!   with the configuration's scope; a BOM is a `pom` artifact that only aligns
//!   versions) and `testFixtures(...)`;
//! - the Kotlin plugin's `kotlin("x")` = `org.jetbrains.kotlin:kotlin-x`, at the
//!   version given as second argument, else at the Kotlin plugin's version when the
//!   script applies it with a version (the plugin aligns these modules with itself),
//!   else unpinned; the standard library that the plugin adds on its own is not
//!   reported, as the script does not name it;
//! - version catalogs: `libs.some.alias` and `libs.bundles.name` are looked up in
//!   `gradle/libs.versions.toml` of the script's directory or the nearest parent
//!   directory that has one (versions given directly or by `version.ref`);
//! - `buildscript { dependencies { classpath ... } }`: build plugins, reported with
//!   the development scope.
//!
//! Variables: `"g:a:$v"` and `"g:a:${v}"` are resolved from string literals
//! assigned in the same script: `def v = '1.2'`, `val v = "1.2"`, `String v = ...`,
//! `ext.v = '1.2'`, `ext { v = '1.2' }`, `ext.set("v", ...)`, `extra["v"] = ...`,
//! `val v by extra("1.2")`, maps such as `ext.versions = [grpc: '1.2']` (for
//! `"$versions.grpc"`), and then from `gradle.properties` beside the script;
//! `${project.v}`, `${rootProject.ext.v}`, `${property("v")}` and
//! `${libs.versions.v.get()}` are understood. Single-quoted Groovy strings are not
//! interpolated, as in Groovy. A variable that is not defined, or is assigned
//! different values in different places, leaves the version unpinned with its raw
//! text and a warning.
//!
//! Pins: a literal version is [`Pin::Exact`] (`1.2!!`, Gradle's "strictly", too).
//! This is what the script asks for; Gradle's conflict resolution may pick a higher
//! version that another dependency requires, so the lockfile (`gradle.lockfile`),
//! when present, is authoritative. Dynamic versions (`1.+`, `+`, `latest.release`),
//! ranges (`[1.0,2.0)`), and dependencies without a version (aligned by a platform
//! or a plugin) are unpinned, the latter with an empty specifier.
//!
//! Scope from the configuration name: any name containing `test`
//! (`testImplementation`, `androidTestImplementation`, `testFixturesApi`), and
//! `annotationProcessor`, `kapt`, `ksp`, `developmentOnly`, `classpath`, are
//! development; `implementation`, `api`, `compile`, `runtime`, `runtimeOnly`,
//! `compileOnly` (and their variant-prefixed forms such as `releaseImplementation`)
//! are runtime; other (custom) configurations are unknown. Dependencies inside
//! `dependencies { constraints { } }` only constrain versions: they are reported
//! with an unknown relation; every other dependency is direct. A coordinate that
//! appears twice is reported once (with the broader scope).
//!
//! Skipped silently: `project(':x')` (another project of the build), `files(...)`,
//! `fileTree(...)`, `gradleApi()`, `localGroovy()`, `gradleTestKit()`, which are
//! local; plugins (`plugins { id ... version ... }`), which are build tools; and
//! strings outside `dependencies` blocks (such as a protobuf `artifact = "..."`).
//! Any other argument of a known configuration that is not a literal cverun can read
//! (a method call, a concatenation, an unknown variable) is a warning with its line.
//! Unbalanced braces are a warning; a build script is never an error.

use crate::text::excerpt;
use std::collections::HashMap;
use std::path::Path;

use cverun_versions::Ecosystem;

use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Scope};

/// How deep one variable may refer to another.
const MAX_VARIABLE_DEPTH: usize = 8;
/// How many references one string may expand in all.
const MAX_EXPANSIONS: usize = 1000;
/// How many parent directories are searched for `gradle/libs.versions.toml`.
const MAX_CATALOG_PARENTS: usize = 8;
/// Stands for an escaped `\$` inside a string until interpolation is done.
const ESCAPED_DOLLAR: char = '\u{1}';

// ---------------------------------------------------------------------------
// Tokens

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Str { value: String, interpolating: bool },
    Punct(char),
    Newline,
    Other,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    line: u32,
    start: usize,
    end: usize,
}

fn lex(text: &str) -> Vec<Token> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(text.len(), |&(o, _)| o);
    let mut out = Vec::new();
    let mut line: u32 = 1;
    let mut i = 0;
    while let Some(c) = at(i) {
        let start = i;
        let start_line = line;
        let tok = match c {
            '\n' => {
                line = line.saturating_add(1);
                i += 1;
                Tok::Newline
            }
            c if c.is_whitespace() || c == '\u{feff}' => {
                i += 1;
                continue;
            }
            '/' if at(i + 1) == Some('/') => {
                while at(i).is_some_and(|c| c != '\n') {
                    i += 1;
                }
                continue;
            }
            '/' if at(i + 1) == Some('*') => {
                i += 2;
                while let Some(c) = at(i) {
                    if c == '*' && at(i + 1) == Some('/') {
                        i += 2;
                        break;
                    }
                    if c == '\n' {
                        line = line.saturating_add(1);
                    }
                    i += 1;
                }
                continue;
            }
            '"' | '\'' => {
                let quote = c;
                let triple = at(i + 1) == Some(quote) && at(i + 2) == Some(quote);
                i += if triple { 3 } else { 1 };
                let mut value = String::new();
                while let Some(c) = at(i) {
                    if triple {
                        if c == quote && at(i + 1) == Some(quote) && at(i + 2) == Some(quote) {
                            i += 3;
                            break;
                        }
                    } else if c == quote {
                        i += 1;
                        break;
                    } else if c == '\n' {
                        // An unterminated string ends at the end of its line.
                        break;
                    }
                    if c == '\n' {
                        line = line.saturating_add(1);
                    }
                    if c == '\\' {
                        match at(i + 1) {
                            Some('$') => value.push(ESCAPED_DOLLAR),
                            Some('n') => value.push('\n'),
                            Some('t') => value.push('\t'),
                            Some(e) => value.push(e),
                            None => {}
                        }
                        i += 2;
                        continue;
                    }
                    if c == '$' && at(i + 1) == Some('{') && quote == '"' {
                        // Copy `${...}` whole, braces balanced.
                        let mut depth = 0usize;
                        while let Some(c) = at(i) {
                            value.push(c);
                            i += 1;
                            if c == '{' {
                                depth += 1;
                            } else if c == '}' {
                                depth = depth.saturating_sub(1);
                                if depth == 0 {
                                    break;
                                }
                            } else if c == '\n' {
                                line = line.saturating_add(1);
                            }
                        }
                        continue;
                    }
                    value.push(c);
                    i += 1;
                }
                Tok::Str {
                    value,
                    interpolating: quote == '"',
                }
            }
            '`' => {
                i += 1;
                let mut name = String::new();
                while let Some(c) = at(i) {
                    i += 1;
                    if c == '`' || c == '\n' {
                        break;
                    }
                    name.push(c);
                }
                Tok::Ident(name)
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut name = String::new();
                while let Some(c) = at(i).filter(|c| c.is_alphanumeric() || *c == '_') {
                    name.push(c);
                    i += 1;
                }
                Tok::Ident(name)
            }
            c if c.is_ascii_digit() => {
                while at(i).is_some_and(|c| c.is_alphanumeric() || c == '.' || c == '_') {
                    i += 1;
                }
                Tok::Other
            }
            c => {
                i += 1;
                Tok::Punct(c)
            }
        };
        out.push(Token {
            tok,
            line: start_line,
            start: offset(start),
            end: offset(i),
        });
    }
    out
}

fn is_punct(t: Option<&Token>, c: char) -> bool {
    matches!(t, Some(Token { tok: Tok::Punct(p), .. }) if *p == c)
}

fn ident(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token {
            tok: Tok::Ident(s), ..
        }) => Some(s),
        _ => None,
    }
}

fn string(t: Option<&Token>) -> Option<(&str, bool)> {
    match t {
        Some(Token {
            tok: Tok::Str {
                value,
                interpolating,
            },
            ..
        }) => Some((value, *interpolating)),
        _ => None,
    }
}

/// True at the end of a statement (or of the input).
fn ends_statement(t: Option<&Token>) -> bool {
    match t {
        None => true,
        Some(t) => matches!(t.tok, Tok::Newline | Tok::Punct(';') | Tok::Punct('}')),
    }
}

/// The index of the bracket closing the one at `open` (or the end).
fn matching(toks: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    let mut i = open;
    while let Some(t) = toks.get(i) {
        match t.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
        i += 1;
    }
    toks.len()
}

/// Splits `toks` at top-level commas, dropping newlines.
fn split_args(toks: &[Token]) -> Vec<Vec<Token>> {
    let mut out = vec![Vec::new()];
    let mut depth = 0usize;
    for t in toks {
        match t.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
            Tok::Punct(',') if depth == 0 => {
                out.push(Vec::new());
                continue;
            }
            Tok::Newline => continue,
            _ => {}
        }
        if let Some(last) = out.last_mut() {
            last.push(t.clone());
        }
    }
    out.retain(|a| !a.is_empty());
    out
}

// ---------------------------------------------------------------------------
// Variables

#[derive(Default)]
struct Vars {
    /// Name -> every (value, interpolating) assigned to it in the script.
    script: HashMap<String, Vec<(String, bool)>>,
    /// `gradle.properties` beside the script.
    properties: HashMap<String, String>,
    kotlin_dsl: bool,
}

const MODIFIERS: &[&str] = &[
    "def", "val", "var", "final", "const", "private", "public", "internal", "static", "String",
    "Object",
];
const SCOPE_PREFIXES: &[&str] = &["project", "rootProject", "ext", "extra", "properties"];

/// `project.ext.x` -> `x`.
fn strip_scope(name: &str) -> &str {
    let mut rest = name;
    while let Some((head, tail)) = rest.split_once('.') {
        if SCOPE_PREFIXES.contains(&head) {
            rest = tail;
        } else {
            break;
        }
    }
    rest
}

fn collect_vars(toks: &[Token], vars: &mut Vars) {
    let mut record = |name: &str, value: &str, interpolating: bool| {
        let name = strip_scope(name);
        if !name.is_empty() {
            vars.script
                .entry(name.to_owned())
                .or_default()
                .push((value.to_owned(), interpolating));
        }
    };
    let mut s = 0;
    while s < toks.len() {
        let statement_start = s == 0
            || toks
                .get(s - 1)
                .is_some_and(|t| matches!(t.tok, Tok::Newline | Tok::Punct(';' | '{' | '}')));
        if !statement_start {
            s += 1;
            continue;
        }
        let mut j = s;
        while ident(toks.get(j)).is_some_and(|m| MODIFIERS.contains(&m))
            && ident(toks.get(j + 1)).is_some()
        {
            j += 1;
        }
        // Dotted name.
        let mut name = String::new();
        while let Some(part) = ident(toks.get(j)) {
            if !name.is_empty() {
                name.push('.');
            }
            name.push_str(part);
            j += 1;
            if is_punct(toks.get(j), '.') && ident(toks.get(j + 1)).is_some() {
                j += 1;
            } else {
                break;
            }
        }
        if name.is_empty() {
            s += 1;
            continue;
        }
        // `set("v", "1.2")`
        if name == "set" || name.ends_with(".set") {
            if is_punct(toks.get(j), '(')
                && is_punct(toks.get(j + 2), ',')
                && is_punct(toks.get(j + 4), ')')
            {
                if let (Some((k, _)), Some((v, interp))) =
                    (string(toks.get(j + 1)), string(toks.get(j + 3)))
                {
                    record(k, v, interp);
                }
            }
            s += 1;
            continue;
        }
        // `extra["v"] = "1.2"`
        if is_punct(toks.get(j), '[')
            && is_punct(toks.get(j + 2), ']')
            && is_punct(toks.get(j + 3), '=')
        {
            if let (Some((k, _)), Some((v, interp))) =
                (string(toks.get(j + 1)), string(toks.get(j + 4)))
            {
                if ends_statement(toks.get(j + 5)) {
                    record(k, v, interp);
                }
            }
            s += 1;
            continue;
        }
        // `val v by extra("1.2")`
        if ident(toks.get(j)) == Some("by")
            && ident(toks.get(j + 1)) == Some("extra")
            && is_punct(toks.get(j + 2), '(')
        {
            if let Some((v, interp)) = string(toks.get(j + 3)) {
                if is_punct(toks.get(j + 4), ')') {
                    record(&name, v, interp);
                }
            }
            s += 1;
            continue;
        }
        // Optional Kotlin type.
        if is_punct(toks.get(j), ':') && ident(toks.get(j + 1)).is_some() {
            j += 2;
            if is_punct(toks.get(j), '?') {
                j += 1;
            }
        }
        if !is_punct(toks.get(j), '=') || is_punct(toks.get(j + 1), '=') {
            s += 1;
            continue;
        }
        j += 1;
        if let Some((v, interp)) = string(toks.get(j)) {
            if ends_statement(toks.get(j + 1)) {
                record(&name, v, interp);
            }
        } else if is_punct(toks.get(j), '[') {
            // A Groovy map literal of strings.
            let close = matching(toks, j);
            for entry in split_args(toks.get(j + 1..close).unwrap_or(&[])) {
                if let [key, colon, value] = entry.as_slice() {
                    let key = match &key.tok {
                        Tok::Ident(k) => Some(k.as_str()),
                        Tok::Str { value, .. } => Some(value.as_str()),
                        _ => None,
                    };
                    if let (Some(k), true, Some((v, interp))) = (
                        key,
                        matches!(colon.tok, Tok::Punct(':')),
                        string(Some(value)),
                    ) {
                        record(&format!("{name}.{k}"), v, interp);
                    }
                }
            }
        }
        s += 1;
    }
}

fn read_properties(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        if let Some(i) = line.find(['=', ':']) {
            let (k, v) = (line.get(..i).unwrap_or(""), line.get(i + 1..).unwrap_or(""));
            out.insert(k.trim().to_owned(), v.trim().to_owned());
        }
    }
    out
}

/// The first unresolved reference, and how many more expansions are allowed (so
/// that variables referring to each other many times cannot blow up).
struct Expansion {
    bad: Option<String>,
    budget: usize,
}

/// Interpolation context: variables and the version catalog.
struct Resolver<'a> {
    vars: &'a Vars,
    catalog: Option<&'a Catalog>,
}

impl Resolver<'_> {
    /// Interpolates `value`; returns the text and the first reference that could not
    /// be resolved.
    fn resolve(&self, value: &str, interpolating: bool) -> (String, Option<String>) {
        let mut state = Expansion {
            bad: None,
            budget: MAX_EXPANSIONS,
        };
        let out = if interpolating {
            self.resolve_depth(value, 0, &mut state)
        } else {
            if value.contains('$') {
                state.bad = Some(value.to_owned());
            }
            value.to_owned()
        };
        (out.replace(ESCAPED_DOLLAR, "$"), state.bad)
    }

    fn resolve_depth(&self, value: &str, depth: usize, state: &mut Expansion) -> String {
        let chars: Vec<char> = value.chars().collect();
        let mut out = String::new();
        let mut i = 0;
        while let Some(&c) = chars.get(i) {
            if c != '$' {
                out.push(c);
                i += 1;
                continue;
            }
            let (expr, reference, next) = if chars.get(i + 1) == Some(&'{') {
                let mut depth_b = 0usize;
                let mut j = i + 1;
                while let Some(&d) = chars.get(j) {
                    if d == '{' {
                        depth_b += 1;
                    } else if d == '}' {
                        depth_b = depth_b.saturating_sub(1);
                        if depth_b == 0 {
                            break;
                        }
                    }
                    j += 1;
                }
                let inner: String = chars
                    .get(i + 2..j.min(chars.len()))
                    .unwrap_or(&[])
                    .iter()
                    .collect();
                let reference: String = chars
                    .get(i..(j + 1).min(chars.len()))
                    .unwrap_or(&[])
                    .iter()
                    .collect();
                (inner, reference, j + 1)
            } else {
                let mut j = i + 1;
                loop {
                    while chars
                        .get(j)
                        .is_some_and(|c| c.is_alphanumeric() || *c == '_')
                    {
                        j += 1;
                    }
                    // Groovy reads `$a.b` as a property path; Kotlin stops at the dot.
                    let dotted = !self.vars.kotlin_dsl
                        && chars.get(j) == Some(&'.')
                        && chars
                            .get(j + 1)
                            .is_some_and(|c| c.is_alphabetic() || *c == '_');
                    if dotted {
                        j += 1;
                    } else {
                        break;
                    }
                }
                let inner: String = chars.get(i + 1..j).unwrap_or(&[]).iter().collect();
                if inner.is_empty() {
                    out.push('$');
                    i += 1;
                    continue;
                }
                (inner.clone(), format!("${inner}"), j)
            };
            match self.lookup(&expr) {
                Some((text, interp)) if depth < MAX_VARIABLE_DEPTH && state.budget > 0 => {
                    state.budget -= 1;
                    if interp {
                        out.push_str(&self.resolve_depth(&text, depth + 1, state));
                    } else {
                        out.push_str(&text);
                    }
                }
                _ => {
                    if state.bad.is_none() {
                        state.bad = Some(reference.clone());
                    }
                    out.push_str(&reference);
                }
            }
            i = next;
        }
        out
    }

    /// The value of a `${...}` expression or `$name`, when it is a known variable.
    fn lookup(&self, expr: &str) -> Option<(String, bool)> {
        let mut e = expr.trim();
        for suffix in ["!!", " as String", ".toString()", ".get()"] {
            e = e.strip_suffix(suffix).unwrap_or(e).trim();
        }
        if let Some(v) = e.strip_prefix("libs.versions.") {
            return self
                .catalog
                .and_then(|c| c.versions.get(&accessor(v)))
                .map(|v| (v.clone(), false));
        }
        let name = if let Some(q) = e.find(['"', '\'']) {
            let head = e.get(..q).unwrap_or("");
            let known = [
                "property(",
                "findProperty(",
                "extra[",
                "ext[",
                "properties[",
                "project.",
                "rootProject.",
            ]
            .iter()
            .any(|p| head.starts_with(p) || head.ends_with(p));
            if !known {
                return None;
            }
            let rest = e.get(q + 1..).unwrap_or("");
            rest.split(['"', '\'']).next().unwrap_or("")
        } else {
            if !e
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
            {
                return None;
            }
            strip_scope(e)
        };
        if let Some(values) = self.vars.script.get(name) {
            let first = values.first()?;
            if values.iter().all(|v| v == first) {
                return Some(first.clone());
            }
            return None;
        }
        self.vars.properties.get(name).map(|v| (v.clone(), false))
    }
}

// ---------------------------------------------------------------------------
// Version catalog (gradle/libs.versions.toml)

#[derive(Default)]
struct Catalog {
    /// Accessor (`grpc.netty`) -> (group, artifact, version text).
    libraries: HashMap<String, (String, String, Option<String>)>,
    bundles: HashMap<String, Vec<String>>,
    versions: HashMap<String, String>,
}

/// `grpc-netty_shaded` / `grpc.netty.shaded` -> `grpc.netty.shaded`.
fn accessor(alias: &str) -> String {
    alias.replace(['-', '_'], ".").to_ascii_lowercase()
}

fn catalog_version(v: &toml::Value, versions: &HashMap<String, String>) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Table(t) => {
            if let Some(r) = t.get("ref").and_then(toml::Value::as_str) {
                return versions.get(&accessor(r)).cloned();
            }
            ["strictly", "require", "prefer"]
                .iter()
                .find_map(|k| t.get(*k).and_then(toml::Value::as_str))
                .map(str::to_owned)
        }
        _ => None,
    }
}

fn load_catalog(input: &Input<'_>) -> Option<Result<Catalog, String>> {
    let dir = input.path.parent().unwrap_or(Path::new(""));
    let (path, text) = dir.ancestors().take(MAX_CATALOG_PARENTS).find_map(|d| {
        let p = d.join("gradle").join("libs.versions.toml");
        input.files.read(&p).ok().map(|t| (p, t))
    })?;
    let table: toml::Table = match crate::text::strip_bom(&text).parse() {
        Ok(t) => t,
        Err(e) => return Some(Err(format!("{}: {}", path.display(), e.message()))),
    };
    let mut cat = Catalog::default();
    if let Some(vs) = table.get("versions").and_then(toml::Value::as_table) {
        // Plain strings first, so that rich versions never refer to each other.
        for (k, v) in vs {
            if let Some(v) = catalog_version(v, &HashMap::new()) {
                cat.versions.insert(accessor(k), v);
            }
        }
    }
    if let Some(libs) = table.get("libraries").and_then(toml::Value::as_table) {
        for (alias, v) in libs {
            let entry = match v {
                toml::Value::String(s) => {
                    let mut parts = s.splitn(3, ':');
                    match (parts.next(), parts.next(), parts.next()) {
                        (Some(g), Some(a), v) => {
                            Some((g.to_owned(), a.to_owned(), v.map(str::to_owned)))
                        }
                        _ => None,
                    }
                }
                toml::Value::Table(t) => {
                    let (g, a) = match t.get("module").and_then(toml::Value::as_str) {
                        Some(m) => match m.split_once(':') {
                            Some((g, a)) => (Some(g.to_owned()), Some(a.to_owned())),
                            None => (None, None),
                        },
                        None => (
                            t.get("group")
                                .and_then(toml::Value::as_str)
                                .map(str::to_owned),
                            t.get("name")
                                .and_then(toml::Value::as_str)
                                .map(str::to_owned),
                        ),
                    };
                    let version = t
                        .get("version")
                        .and_then(|v| catalog_version(v, &cat.versions));
                    g.zip(a).map(|(g, a)| (g, a, version))
                }
                _ => None,
            };
            if let Some(e) = entry {
                cat.libraries.insert(accessor(alias), e);
            }
        }
    }
    if let Some(bundles) = table.get("bundles").and_then(toml::Value::as_table) {
        for (name, v) in bundles {
            let members = v
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(toml::Value::as_str)
                        .map(accessor)
                        .collect()
                })
                .unwrap_or_default();
            cat.bundles.insert(accessor(name), members);
        }
    }
    Some(Ok(cat))
}

// ---------------------------------------------------------------------------
// Dependencies

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Other,
    Buildscript,
    Deps {
        buildscript: bool,
        constraints: bool,
    },
    Transparent,
    Skip,
}

/// What the innermost meaningful block is.
fn effective(stack: &[Ctx]) -> Ctx {
    for c in stack.iter().rev() {
        match c {
            Ctx::Transparent => continue,
            other => return *other,
        }
    }
    Ctx::Other
}

const TRANSPARENT: &[&str] = &[
    "if", "else", "for", "while", "try", "catch", "finally", "when",
];
const LOCAL: &[&str] = &[
    "project",
    "files",
    "fileTree",
    "gradleApi",
    "localGroovy",
    "gradleTestKit",
];
const MAP_KEYS: &[&str] = &[
    "group",
    "name",
    "version",
    "classifier",
    "ext",
    "configuration",
];

/// The scope a configuration name implies, and whether it is a known dependency
/// configuration (so that an unreadable argument deserves a warning).
fn configuration_scope(conf: &str, buildscript: bool) -> (Scope, bool) {
    let lc = conf.to_ascii_lowercase();
    if buildscript || lc == "classpath" {
        return (Scope::Development, true);
    }
    let dev = ["annotationprocessor", "kapt", "ksp", "developmentonly"];
    let runtime = [
        "implementation",
        "api",
        "compile",
        "runtime",
        "runtimeonly",
        "compileonly",
        "compileonlyapi",
    ];
    let known = dev.iter().chain(&runtime).any(|s| lc.ends_with(s));
    if lc.contains("test") || dev.iter().any(|s| lc.ends_with(s)) {
        (Scope::Development, known || lc.contains("test"))
    } else if known {
        (Scope::Runtime, true)
    } else {
        (Scope::Unknown, false)
    }
}

/// A Gradle version string as a pin.
fn classify(v: &str) -> Pin {
    let v = v.trim();
    let unpinned = || Pin::Unpinned {
        specifier: v.to_owned(),
    };
    if let Some(strict) = v.strip_suffix("!!") {
        return match classify(strict) {
            Pin::Exact(e) => Pin::Exact(e),
            Pin::Unpinned { .. } => unpinned(),
        };
    }
    if v.is_empty()
        || v.contains(['+', ',', '[', ']', '(', ')', '$', ' '])
        || v.starts_with("latest.")
        || v.contains("!!")
    {
        return unpinned();
    }
    Pin::Exact(v.to_owned())
}

/// Splits on `:` outside `${...}`.
fn split_coordinates(s: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    let mut prev = ' ';
    for c in s.chars() {
        match c {
            '{' if prev == '$' || depth > 0 => depth += 1,
            '}' if depth > 0 => depth -= 1,
            ':' if depth == 0 => {
                parts.push(String::new());
                prev = c;
                continue;
            }
            _ => {}
        }
        if let Some(last) = parts.last_mut() {
            last.push(c);
        }
        prev = c;
    }
    parts
}

struct Found {
    name: String,
    pin: Pin,
    scope: Scope,
    relation: Relation,
    line: u32,
}

struct Walker<'a, 'i> {
    input: &'a Input<'i>,
    toks: &'a [Token],
    resolver: Resolver<'a>,
    catalog_error: Option<String>,
    kotlin_version: Option<String>,
    found: Vec<Found>,
    parsed: Parsed,
}

impl Walker<'_, '_> {
    fn text_of(&self, toks: &[Token]) -> String {
        match (toks.first(), toks.last()) {
            (Some(a), Some(b)) => self
                .input
                .text
                .get(a.start..b.end)
                .unwrap_or("")
                .trim()
                .to_owned(),
            _ => String::new(),
        }
    }

    fn warn(&mut self, line: u32, message: String) {
        self.parsed
            .warnings
            .push(self.input.warning(Some(line), message));
    }

    fn push(&mut self, name: String, pin: Pin, scope: Scope, ctx: Ctx, line: u32) {
        let relation = match ctx {
            Ctx::Deps {
                constraints: true, ..
            } => Relation::Unknown,
            _ => Relation::Direct,
        };
        self.found.push(Found {
            name,
            pin,
            scope,
            relation,
            line,
        });
    }

    /// A coordinate string `g:a[:v[:classifier]][@ext]`. Returns false when the
    /// string is not one.
    fn coordinate(
        &mut self,
        raw: &str,
        interpolating: bool,
        scope: Scope,
        ctx: Ctx,
        line: u32,
    ) -> bool {
        let (text, bad) = self.resolver.resolve(raw, interpolating);
        let mut parts = split_coordinates(&text);
        if let Some(last) = parts.last_mut() {
            if let Some(at) = last.rfind('@') {
                if !last.get(at..).unwrap_or("").contains('{') {
                    last.truncate(at);
                }
            }
        }
        if !(2..=4).contains(&parts.len()) {
            return false;
        }
        let valid = |s: &str| !s.trim().is_empty() && !s.contains(char::is_whitespace);
        let (Some(g), Some(a)) = (parts.first(), parts.get(1)) else {
            return false;
        };
        if !valid(g) || !valid(a) {
            return false;
        }
        let name = format!("{g}:{a}");
        let version = parts.get(2).map(|v| v.trim()).filter(|v| !v.is_empty());
        if let Some(bad) = &bad {
            let why = if interpolating {
                "is not defined as a string in this script or gradle.properties (or has several values)"
            } else {
                "is in a single-quoted string, which Groovy does not interpolate"
            };
            self.warn(
                line,
                format!("dependency {}: {bad} {why}; kept unpinned", excerpt(raw)),
            );
        }
        let pin = match version {
            None => Pin::Unpinned {
                specifier: String::new(),
            },
            Some(v) if bad.is_some() && (v.contains('$') || g.contains('$') || a.contains('$')) => {
                Pin::Unpinned {
                    specifier: v.to_owned(),
                }
            }
            Some(v) => classify(v),
        };
        self.push(name, pin, scope, ctx, line);
        true
    }

    /// A version catalog accessor (`libs.grpc.netty`, `libs.bundles.grpc`).
    fn catalog_dependency(&mut self, path: &str, scope: Scope, ctx: Ctx, line: u32) {
        let Some(cat) = self.resolver.catalog else {
            let why = self.catalog_error.clone().map_or_else(
                || "no gradle/libs.versions.toml found".to_owned(),
                |e| format!("catalog unreadable: {e}"),
            );
            self.warn(
                line,
                format!(
                    "version catalog dependency `libs.{path}` not resolved ({why}); not included"
                ),
            );
            return;
        };
        let key = accessor(path);
        let members: Vec<String> = match key.strip_prefix("bundles.") {
            Some(b) => match cat.bundles.get(b) {
                Some(m) => m.clone(),
                None => {
                    self.warn(
                        line,
                        format!("bundle `libs.{path}` is not in the version catalog; not included"),
                    );
                    return;
                }
            },
            None => vec![key],
        };
        for m in members {
            match cat.libraries.get(&m).cloned() {
                Some((g, a, v)) => {
                    let pin = v.as_deref().map_or(
                        Pin::Unpinned {
                            specifier: String::new(),
                        },
                        classify,
                    );
                    self.push(format!("{g}:{a}"), pin, scope, ctx, line);
                }
                None => self.warn(
                    line,
                    format!("`libs.{m}` is not in the version catalog; not included"),
                ),
            }
        }
    }

    /// One argument of a configuration call.
    fn argument(&mut self, arg: &[Token], conf_known: bool, scope: Scope, ctx: Ctx) {
        let Some(first) = arg.first() else { return };
        let line = first.line;
        // A string literal.
        if let [
            Token {
                tok:
                    Tok::Str {
                        value,
                        interpolating,
                    },
                ..
            },
        ] = arg
        {
            let (value, interpolating) = (value.clone(), *interpolating);
            if !self.coordinate(&value, interpolating, scope, ctx, line) && conf_known {
                self.warn(
                    line,
                    format!(
                        "cannot read dependency notation {}; not included",
                        excerpt(&value)
                    ),
                );
            }
            return;
        }
        // `f(...)`
        if let (Some(f), true) = (ident(arg.first()), is_punct(arg.get(1), '(')) {
            let close = matching(arg, 1);
            let inner = arg.get(2..close).unwrap_or(&[]);
            let trailing = arg.get(close + 1..).unwrap_or(&[]);
            if trailing.is_empty() {
                match f {
                    "platform" | "enforcedPlatform" | "testFixtures" => {
                        if let Some(a) = split_args(inner).first() {
                            self.argument(a, true, scope, ctx);
                        }
                        return;
                    }
                    "kotlin" => {
                        self.kotlin_module(inner, scope, ctx, line);
                        return;
                    }
                    f if LOCAL.contains(&f) => return,
                    _ => {}
                }
            }
        }
        // A dotted name: catalog accessor or variable.
        let mut path = Vec::new();
        let mut k = 0;
        while let Some(p) = ident(arg.get(k)) {
            path.push(p.to_owned());
            k += 1;
            if is_punct(arg.get(k), '.') {
                k += 1;
            } else {
                break;
            }
        }
        if k == arg.len()
            || (ident(arg.get(k.saturating_sub(1))) == Some("get") && is_punct(arg.get(k), '('))
        {
            if path.last().is_some_and(|p| p == "get" || p == "asProvider") {
                path.pop();
            }
            if let Some(rest) = path.first().filter(|p| *p == "libs").and(path.get(1..)) {
                if !rest.is_empty() {
                    let joined = rest.join(".");
                    self.catalog_dependency(&joined, scope, ctx, line);
                    return;
                }
            }
            let dotted = path.join(".");
            if let Some((value, interp)) = self.resolver.lookup(&dotted) {
                if self.coordinate(&value, interp, scope, ctx, line) {
                    return;
                }
            }
        }
        if conf_known {
            let text = self.text_of(arg);
            self.warn(
                line,
                format!(
                    "cannot read dependency {} (not a literal notation); not included",
                    excerpt(&text)
                ),
            );
        }
    }

    /// `kotlin("x")`, `kotlin("x", "1.9.0")`, `kotlin("x", version = "1.9.0")`.
    fn kotlin_module(&mut self, inner: &[Token], scope: Scope, ctx: Ctx, line: u32) {
        let args = split_args(inner);
        let Some((module, _)) = args.first().and_then(|a| string(a.first())) else {
            return;
        };
        let name = format!("org.jetbrains.kotlin:kotlin-{module}");
        let explicit = args.get(1).and_then(|a| match a.as_slice() {
            [t] => string(Some(t)),
            [n, eq, t] if ident(Some(n)) == Some("version") && is_punct(Some(eq), '=') => {
                string(Some(t))
            }
            _ => None,
        });
        let pin = match explicit {
            Some((v, interp)) => {
                let (v, bad) = self.resolver.resolve(v, interp);
                if let Some(bad) = bad {
                    self.warn(
                        line,
                        format!(
                            "version of {name} uses {bad}, which is not defined; kept unpinned"
                        ),
                    );
                    Pin::Unpinned { specifier: v }
                } else {
                    classify(&v)
                }
            }
            None => match &self.kotlin_version {
                Some(v) => classify(v),
                None => Pin::Unpinned {
                    specifier: String::new(),
                },
            },
        };
        self.push(name, pin, scope, ctx, line);
    }

    /// Map notation / named arguments: `group: 'g', name: 'a', version: '1'`.
    fn map_notation(&mut self, args: &[Vec<Token>], scope: Scope, ctx: Ctx) {
        let mut fields: HashMap<&str, (String, Option<String>)> = HashMap::new();
        let line = args.first().and_then(|a| a.first()).map_or(0, |t| t.line);
        for a in args {
            if let [k, sep, v] = a.as_slice() {
                if let (Some(k), true, Some((value, interp))) = (
                    ident(Some(k)),
                    is_punct(Some(sep), ':') || is_punct(Some(sep), '='),
                    string(Some(v)),
                ) {
                    let (text, bad) = self.resolver.resolve(value, interp);
                    if let Some(key) = MAP_KEYS.iter().find(|m| **m == k) {
                        fields.insert(key, (text, bad));
                    }
                    continue;
                }
            }
            if let Some(k) = ident(a.first()).filter(|k| ["group", "name", "version"].contains(k)) {
                self.warn(
                    line,
                    format!("dependency field `{k}` is not a string literal; not read"),
                );
            }
        }
        let group = fields
            .get("group")
            .map(|(t, _)| t.clone())
            .unwrap_or_default();
        let Some((artifact, _)) = fields.get("name").cloned() else {
            self.warn(
                line,
                "dependency in map notation without a name; not included".to_owned(),
            );
            return;
        };
        let name = format!("{group}:{artifact}");
        let pin = match fields.get("version") {
            None => Pin::Unpinned {
                specifier: String::new(),
            },
            Some((v, Some(bad))) => {
                self.warn(
                    line,
                    format!("version of {name} uses {bad}, which is not defined; kept unpinned"),
                );
                Pin::Unpinned {
                    specifier: v.clone(),
                }
            }
            Some((v, None)) => classify(v),
        };
        self.push(name, pin, scope, ctx, line);
    }

    /// A statement inside a `dependencies` block starting at `i`; returns the index
    /// after it (a closure's `{` is left for the caller).
    fn statement(&mut self, i: usize, ctx: Ctx) -> usize {
        let toks = self.toks;
        let buildscript = matches!(
            ctx,
            Ctx::Deps {
                buildscript: true,
                ..
            }
        );
        let (conf, args_start, args_end, next) =
            match (toks.get(i).map(|t| &t.tok), toks.get(i + 1).map(|t| &t.tok)) {
                (Some(Tok::Ident(c)), Some(Tok::Punct('(')))
                | (Some(Tok::Str { value: c, .. }), Some(Tok::Punct('('))) => {
                    let close = matching(toks, i + 1);
                    (c.clone(), i + 2, close, close + 1)
                }
                (Some(Tok::Ident(_)), Some(Tok::Punct('.' | '=' | '{'))) => {
                    return self.skip_statement(i + 1);
                }
                (Some(Tok::Ident(c)), _) => {
                    let end = self.skip_statement(i + 1);
                    (c.clone(), i + 1, end, end)
                }
                _ => return self.skip_statement(i),
            };
        let args = split_args(toks.get(args_start..args_end).unwrap_or(&[]));
        let (conf, args) = if conf == "add" {
            match args.split_first() {
                Some((first, rest)) => match string(first.first()) {
                    Some((c, _)) => (c.to_owned(), rest.to_vec()),
                    None => return next,
                },
                None => return next,
            }
        } else {
            (conf, args)
        };
        if MODIFIERS.contains(&conf.as_str()) || TRANSPARENT.contains(&conf.as_str()) {
            return next;
        }
        let (scope, known) = configuration_scope(&conf, buildscript);
        let named = args.iter().any(|a| match a.as_slice() {
            [k, sep, _, ..] => {
                ident(Some(k)).is_some_and(|k| MAP_KEYS.contains(&k))
                    && (is_punct(Some(sep), ':') || is_punct(Some(sep), '='))
            }
            _ => false,
        });
        if named {
            self.map_notation(&args, scope, ctx);
        } else {
            for a in &args {
                self.argument(a, known, scope, ctx);
            }
        }
        next
    }

    /// The end of a Groovy command statement: a newline not after a comma, `;`, or a
    /// `{` / `}` at bracket depth 0.
    fn skip_statement(&self, from: usize) -> usize {
        let mut depth = 0usize;
        let mut i = from;
        let mut last_comma = false;
        while let Some(t) = self.toks.get(i) {
            match t.tok {
                Tok::Punct('(' | '[') => depth += 1,
                Tok::Punct(')' | ']') => depth = depth.saturating_sub(1),
                Tok::Punct('{' | '}' | ';') if depth == 0 => return i,
                Tok::Newline if depth == 0 && !last_comma => return i,
                _ => {}
            }
            if !matches!(t.tok, Tok::Newline) {
                last_comma = matches!(t.tok, Tok::Punct(','));
            }
            i += 1;
        }
        i
    }

    fn walk(&mut self) {
        let toks = self.toks;
        let mut stack: Vec<Ctx> = Vec::new();
        let mut at_start = true;
        let mut i = 0;
        let mut unbalanced: Option<u32> = None;
        while let Some(t) = toks.get(i) {
            match &t.tok {
                Tok::Newline | Tok::Punct(';') => {
                    at_start = true;
                    i += 1;
                    continue;
                }
                Tok::Punct('}') => {
                    if stack.pop().is_none() && unbalanced.is_none() {
                        unbalanced = Some(t.line);
                    }
                    at_start = true;
                    i += 1;
                    continue;
                }
                Tok::Punct('{') => {
                    let eff = effective(&stack);
                    stack.push(match eff {
                        Ctx::Deps { .. } | Ctx::Skip => Ctx::Skip,
                        _ => Ctx::Other,
                    });
                    at_start = true;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let eff = effective(&stack);
            if let Ctx::Deps { buildscript, .. } = eff {
                if at_start {
                    let word = ident(Some(t));
                    if word.is_some_and(|w| TRANSPARENT.contains(&w)) {
                        // Past the keywords and conditions (`else if (...)`) to the
                        // body: a block, or a single statement.
                        let skip_newlines = |mut j: usize| {
                            while matches!(toks.get(j).map(|t| &t.tok), Some(Tok::Newline)) {
                                j += 1;
                            }
                            j
                        };
                        let mut j = i + 1;
                        loop {
                            let k = skip_newlines(j);
                            if is_punct(toks.get(k), '(') {
                                j = matching(toks, k) + 1;
                            } else if ident(toks.get(k)).is_some_and(|w| TRANSPARENT.contains(&w)) {
                                j = k + 1;
                            } else {
                                break;
                            }
                        }
                        let k = skip_newlines(j);
                        if is_punct(toks.get(k), '{') {
                            stack.push(Ctx::Transparent);
                            i = k + 1;
                        } else {
                            i = j;
                        }
                        at_start = true;
                        continue;
                    }
                    if word == Some("constraints") && is_punct(toks.get(i + 1), '{') {
                        stack.push(Ctx::Deps {
                            buildscript,
                            constraints: true,
                        });
                        i += 2;
                        continue;
                    }
                    i = self.statement(i, eff).max(i + 1);
                    at_start = false;
                    continue;
                }
            } else if eff != Ctx::Skip {
                match ident(Some(t)) {
                    Some("dependencies") if is_punct(toks.get(i + 1), '{') => {
                        stack.push(Ctx::Deps {
                            buildscript: stack.contains(&Ctx::Buildscript),
                            constraints: false,
                        });
                        i += 2;
                        at_start = true;
                        continue;
                    }
                    Some("buildscript") if is_punct(toks.get(i + 1), '{') => {
                        stack.push(Ctx::Buildscript);
                        i += 2;
                        at_start = true;
                        continue;
                    }
                    _ => {}
                }
            }
            at_start = false;
            i += 1;
        }
        if let Some(line) = unbalanced {
            self.warn(
                line,
                "unbalanced `}`; the file may be read incompletely".to_owned(),
            );
        } else if !stack.is_empty() {
            self.parsed.warnings.push(
                self.input
                    .warning(None, "unclosed `{`; the file may be read incompletely"),
            );
        }
    }
}

/// The Kotlin Gradle plugin's version, when the script applies it with one.
fn kotlin_plugin_version(toks: &[Token], resolver: &Resolver<'_>) -> Option<String> {
    for (i, t) in toks.iter().enumerate() {
        let (arg_at, version_at) = match ident(Some(t)) {
            Some("kotlin") if is_punct(toks.get(i + 1), '(') && is_punct(toks.get(i + 3), ')') => {
                (i + 2, i + 4)
            }
            Some("id") if is_punct(toks.get(i + 1), '(') && is_punct(toks.get(i + 3), ')') => {
                match string(toks.get(i + 2)) {
                    Some((s, _)) if s.starts_with("org.jetbrains.kotlin.") => (i + 2, i + 4),
                    _ => continue,
                }
            }
            Some("id") => match string(toks.get(i + 1)) {
                Some((s, _)) if s.starts_with("org.jetbrains.kotlin.") => (i + 1, i + 2),
                _ => continue,
            },
            _ => continue,
        };
        if string(toks.get(arg_at)).is_none() || ident(toks.get(version_at)) != Some("version") {
            continue;
        }
        // `version "1.9.0"` or `version("1.9.0")`.
        let v = string(toks.get(version_at + 1)).or_else(|| {
            is_punct(toks.get(version_at + 1), '(')
                .then(|| string(toks.get(version_at + 2)))
                .flatten()
        });
        if let Some((v, interp)) = v {
            let (text, bad) = resolver.resolve(v, interp);
            if bad.is_none() {
                return Some(text);
            }
        }
    }
    None
}

/// Parses a `build.gradle` or `build.gradle.kts`.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    if input.text.trim().is_empty() {
        let mut parsed = Parsed::default();
        parsed.warnings.push(input.warning(None, "empty file"));
        return Ok(parsed);
    }
    let toks = lex(input.text);
    let mut vars = Vars {
        kotlin_dsl: input.path.extension().is_some_and(|e| e == "kts"),
        ..Vars::default()
    };
    collect_vars(&toks, &mut vars);
    let dir = input.path.parent().unwrap_or(Path::new(""));
    if let Ok(text) = input.files.read(&dir.join("gradle.properties")) {
        vars.properties = read_properties(crate::text::strip_bom(&text));
    }
    let (catalog, catalog_error) = match load_catalog(input) {
        Some(Ok(c)) => (Some(c), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    let resolver = Resolver {
        vars: &vars,
        catalog: catalog.as_ref(),
    };
    let kotlin_version = kotlin_plugin_version(&toks, &resolver);
    let mut walker = Walker {
        input,
        toks: &toks,
        resolver,
        catalog_error,
        kotlin_version,
        found: Vec::new(),
        parsed: Parsed::default(),
    };
    walker.walk();
    let mut parsed = std::mem::take(&mut walker.parsed);
    // (name, pin) -> index in `parsed.packages`: one entry per pair, linear in the file.
    let mut seen: HashMap<(String, Pin), usize> = HashMap::new();
    for f in std::mem::take(&mut walker.found) {
        let mut p = Package::new(Ecosystem::Maven, &f.name, f.pin);
        p.relation = f.relation;
        p.scope = f.scope;
        p.line = Some(f.line);
        match seen
            .get(&(p.name.clone(), p.pin.clone()))
            .map(|&i| &mut parsed.packages[i])
        {
            Some(q) => {
                if p.scope.breadth() > q.scope.breadth() {
                    q.scope = p.scope;
                }
                if p.relation == Relation::Direct {
                    q.relation = Relation::Direct;
                }
            }
            None => {
                seen.insert((p.name.clone(), p.pin.clone()), parsed.packages.len());
                parsed.packages.push(p);
            }
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DiskFiles, Files};
    use std::io;

    struct Mem(Vec<(&'static str, &'static str)>);

    impl Files for Mem {
        fn read(&self, path: &Path) -> io::Result<String> {
            self.0
                .iter()
                .find(|(p, _)| Path::new(p) == path)
                .map(|(_, t)| (*t).to_owned())
                .ok_or_else(|| io::ErrorKind::NotFound.into())
        }
    }

    fn run_in(path: &str, text: &str, files: &dyn Files) -> Result<Parsed, ParseError> {
        parse(&Input {
            path: Path::new(path),
            text,
            files,
        })
    }

    fn groovy(text: &str) -> Parsed {
        run_in("app/build.gradle", text, &Mem(Vec::new())).unwrap()
    }

    fn kts(text: &str) -> Parsed {
        run_in("app/build.gradle.kts", text, &Mem(Vec::new())).unwrap()
    }

    fn find<'a>(p: &'a Parsed, name: &str) -> &'a Package {
        p.packages
            .iter()
            .find(|x| x.name == name)
            .unwrap_or_else(|| panic!("{name} not found in {:?}", p.packages))
    }

    fn labels(p: &Parsed) -> Vec<String> {
        p.packages.iter().map(crate::graph::label).collect()
    }

    #[test]
    fn groovy_notations_and_lines() {
        let text = r#"
def grpcVersion = '1.59.0'
ext {
    jacksonVersion = "2.15.3"
    versions = [okhttp: '4.12.0', 'retrofit': "2.9.0"]
}
ext.slf4jVersion = '2.0.9'
dependencies {
    implementation "io.grpc:grpc-stub:$grpcVersion"
    implementation 'com.google.guava:guava:32.1.3-jre'
    implementation("org.apache.commons:commons-lang3:3.13.0")
    implementation group: 'org.yaml', name: 'snakeyaml', version: '2.2'
    api "com.fasterxml.jackson.core:jackson-databind:${jacksonVersion}",
            "org.slf4j:slf4j-api:${slf4jVersion}"
    runtimeOnly "com.squareup.okhttp3:okhttp:${versions.okhttp}", "com.squareup.retrofit2:retrofit:$versions.retrofit"
    compileOnly 'org.projectlombok:lombok:1.18.30'
    annotationProcessor 'org.projectlombok:lombok:1.18.30'
    testImplementation 'junit:junit:4.13.2'
    androidTestImplementation 'androidx.test:runner:1.5.2'
    implementation 'org.bouncycastle:bcprov-jdk18on:1.77:jdk8@jar'
    implementation project(':core')
    implementation files('libs/local.jar')
    implementation fileTree(dir: 'libs', include: '*.jar')
    implementation('org.hibernate:hibernate-core:6.4.0.Final') {
        exclude group: 'org.jboss', module: 'jandex'
        implementation 'not.a:dependency:1.0'
    }
}
"#;
        let p = groovy(text);
        assert_eq!(
            labels(&p),
            [
                "io.grpc:grpc-stub@1.59.0",
                "com.google.guava:guava@32.1.3-jre",
                "org.apache.commons:commons-lang3@3.13.0",
                "org.yaml:snakeyaml@2.2",
                "com.fasterxml.jackson.core:jackson-databind@2.15.3",
                "org.slf4j:slf4j-api@2.0.9",
                "com.squareup.okhttp3:okhttp@4.12.0",
                "com.squareup.retrofit2:retrofit@2.9.0",
                "org.projectlombok:lombok@1.18.30",
                "junit:junit@4.13.2",
                "androidx.test:runner@1.5.2",
                "org.bouncycastle:bcprov-jdk18on@1.77",
                "org.hibernate:hibernate-core@6.4.0.Final",
            ]
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(find(&p, "io.grpc:grpc-stub").line, Some(9));
        assert_eq!(find(&p, "io.grpc:grpc-stub").relation, Relation::Direct);
        assert_eq!(find(&p, "io.grpc:grpc-stub").scope, Scope::Runtime);
        assert_eq!(find(&p, "org.slf4j:slf4j-api").line, Some(14));
        assert_eq!(
            find(&p, "org.projectlombok:lombok").scope,
            Scope::Runtime,
            "compileOnly is the broader scope"
        );
        assert_eq!(find(&p, "junit:junit").scope, Scope::Development);
        assert_eq!(find(&p, "androidx.test:runner").scope, Scope::Development);
        assert_eq!(find(&p, "org.hibernate:hibernate-core").line, Some(24));
    }

    #[test]
    fn kotlin_dsl_notations() {
        let text = r#"
plugins {
    kotlin("jvm") version "1.9.20"
}
val grpcVersion = "1.59.0"
val protobufVersion: String = "3.25.0"
val ktorVersion by extra("2.3.6")
extra["coroutines"] = "1.7.3"
dependencies {
    implementation("io.grpc:grpc-netty:${grpcVersion}")
    implementation("com.google.protobuf:protobuf-java:$protobufVersion")
    implementation("io.ktor:ktor-server-core:$ktorVersion")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:${property("coroutines")}")
    implementation(group = "org.yaml", name = "snakeyaml", version = "2.2")
    testImplementation(kotlin("test"))
    implementation(kotlin("reflect", "1.9.0"))
    "implementation"("org.jsoup:jsoup:1.17.1")
    add("runtimeOnly", "org.postgresql:postgresql:42.7.0")
    implementation(platform("io.opentelemetry:opentelemetry-bom:1.34.1"))
    implementation(enforcedPlatform("org.springframework.boot:spring-boot-dependencies:3.2.0"))
    implementation("io.opentelemetry:opentelemetry-api")
    implementation(project(":shared"))
    constraints {
        implementation("org.apache.logging.log4j:log4j-core:2.21.1") {
            because("CVE-2021-44228")
        }
    }
}
"#;
        let p = kts(text);
        assert_eq!(
            labels(&p),
            [
                "io.grpc:grpc-netty@1.59.0",
                "com.google.protobuf:protobuf-java@3.25.0",
                "io.ktor:ktor-server-core@2.3.6",
                "org.jetbrains.kotlinx:kotlinx-coroutines-core@1.7.3",
                "org.yaml:snakeyaml@2.2",
                "org.jetbrains.kotlin:kotlin-test@1.9.20",
                "org.jetbrains.kotlin:kotlin-reflect@1.9.0",
                "org.jsoup:jsoup@1.17.1",
                "org.postgresql:postgresql@42.7.0",
                "io.opentelemetry:opentelemetry-bom@1.34.1",
                "org.springframework.boot:spring-boot-dependencies@3.2.0",
                "io.opentelemetry:opentelemetry-api",
                "org.apache.logging.log4j:log4j-core@2.21.1",
            ]
        );
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(
            find(&p, "org.jetbrains.kotlin:kotlin-test").scope,
            Scope::Development
        );
        assert_eq!(find(&p, "org.postgresql:postgresql").scope, Scope::Runtime);
        assert_eq!(
            find(&p, "io.opentelemetry:opentelemetry-api").pin,
            Pin::Unpinned {
                specifier: String::new()
            }
        );
        assert_eq!(
            find(&p, "org.apache.logging.log4j:log4j-core").relation,
            Relation::Unknown
        );
    }

    #[test]
    fn unpinned_and_unresolved() {
        let text = r#"
def twice = '1.0'
if (something) { twice = '2.0' }
dependencies {
    implementation 'a:dynamic:1.+'
    implementation 'a:latest:latest.release'
    implementation 'a:range:[1.0,2.0)'
    implementation 'a:strict:1.7.25!!'
    implementation "a:undefined:$nowhere"
    implementation 'a:single-quoted:$twice'
    implementation "a:ambiguous:${twice}"
    implementation 'a:none'
    implementation someHelper('x')
    implementation deps.unknown
    if (project.hasProperty('x')) {
        runtimeOnly 'b:inside-if:1.0'
    } else if (other)
    {
        runtimeOnly 'b:inside-else:2.0'
    }
    if (flag) runtimeOnly 'b:one-line-if:3.0'
    runtimeOnly 'b:after-if:4.0'
    implementation('b:closure:5.0') { transitive = false }
}
"#;
        let p = groovy(text);
        let pin = |n: &str| find(&p, n).pin.clone();
        let unpinned = |s: &str| Pin::Unpinned {
            specifier: s.to_owned(),
        };
        assert_eq!(pin("a:dynamic"), unpinned("1.+"));
        assert_eq!(pin("a:latest"), unpinned("latest.release"));
        assert_eq!(pin("a:range"), unpinned("[1.0,2.0)"));
        assert_eq!(pin("a:strict"), Pin::Exact("1.7.25".into()));
        assert_eq!(pin("a:undefined"), unpinned("$nowhere"));
        assert_eq!(pin("a:single-quoted"), unpinned("$twice"));
        assert_eq!(pin("a:ambiguous"), unpinned("${twice}"));
        assert_eq!(pin("a:none"), unpinned(""));
        assert_eq!(pin("b:inside-if"), Pin::Exact("1.0".into()));
        assert_eq!(pin("b:inside-else"), Pin::Exact("2.0".into()));
        assert_eq!(pin("b:one-line-if"), Pin::Exact("3.0".into()));
        assert_eq!(pin("b:after-if"), Pin::Exact("4.0".into()));
        assert_eq!(pin("b:closure"), Pin::Exact("5.0".into()));
        let lines: Vec<Option<u32>> = p.warnings.iter().map(|w| w.line).collect();
        assert_eq!(
            lines,
            [Some(9), Some(10), Some(11), Some(13), Some(14)],
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn buildscript_and_properties_file() {
        let text = r#"
buildscript {
    repositories { mavenCentral() }
    dependencies {
        classpath "org.jetbrains.kotlin:kotlin-gradle-plugin:$kotlin_version"
    }
}
dependencies {
    implementation "org.jetbrains.kotlin:kotlin-stdlib:$kotlin_version"
}
protobuf { protoc { artifact = 'com.google.protobuf:protoc:3.25.0' } }
"#;
        let files = Mem(vec![(
            "app/gradle.properties",
            "# props\nkotlin_version=1.9.22\norg.gradle.jvmargs=-Xmx2g\n",
        )]);
        let p = run_in("app/build.gradle", text, &files).unwrap();
        assert_eq!(
            labels(&p),
            [
                "org.jetbrains.kotlin:kotlin-gradle-plugin@1.9.22",
                "org.jetbrains.kotlin:kotlin-stdlib@1.9.22"
            ]
        );
        assert_eq!(p.packages[0].scope, Scope::Development);
        assert_eq!(p.packages[1].scope, Scope::Runtime);
    }

    #[test]
    fn version_catalog() {
        let catalog = r#"
[versions]
grpc = "1.59.0"
jackson = { strictly = "2.15.3" }

[libraries]
grpc-netty = { module = "io.grpc:grpc-netty", version.ref = "grpc" }
grpc_stub = { group = "io.grpc", name = "grpc-stub", version.ref = "grpc" }
guava = "com.google.guava:guava:32.1.3-jre"
jackson-databind = { module = "com.fasterxml.jackson.core:jackson-databind", version.ref = "jackson" }
otel-api = { module = "io.opentelemetry:opentelemetry-api" }

[bundles]
grpc = ["grpc-netty", "grpc-stub"]
"#;
        let text = r#"
dependencies {
    implementation(libs.guava)
    implementation(libs.bundles.grpc)
    implementation(libs.jackson.databind)
    implementation(libs.otel.api)
    implementation("io.grpc:grpc-services:${libs.versions.grpc.get()}")
    implementation(libs.not.there)
}
"#;
        let files = Mem(vec![("repo/gradle/libs.versions.toml", catalog)]);
        let p = run_in("repo/app/build.gradle.kts", text, &files).unwrap();
        assert_eq!(
            labels(&p),
            [
                "com.google.guava:guava@32.1.3-jre",
                "io.grpc:grpc-netty@1.59.0",
                "io.grpc:grpc-stub@1.59.0",
                "com.fasterxml.jackson.core:jackson-databind@2.15.3",
                "io.opentelemetry:opentelemetry-api",
                "io.grpc:grpc-services@1.59.0",
            ]
        );
        assert_eq!(find(&p, "io.grpc:grpc-stub").line, Some(4));
        assert_eq!(p.warnings.len(), 1);
        assert_eq!(p.warnings[0].line, Some(8));

        // Without a catalog, accessors are warnings.
        let p = run_in("repo/app/build.gradle.kts", text, &Mem(Vec::new())).unwrap();
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.warnings.len(), 6);
    }

    #[test]
    fn self_referring_variables_terminate() {
        let text = format!(
            "def a = \"{}\"\ndef b = \"{}\"\ndependencies {{\n implementation \"g:x:$a\"\n}}\n",
            "$b".repeat(10),
            "$a".repeat(10)
        );
        let p = groovy(&text);
        assert!(matches!(p.packages[0].pin, Pin::Unpinned { .. }));
        assert_eq!(p.warnings.len(), 1);
    }

    #[test]
    fn comments_strings_and_odd_text() {
        let text = "dependencies {\n  // implementation 'commented:out:1.0'\n  /* implementation 'block:comment:1.0' */\n  implementation 'real:one:1.0' // trailing\n}\n";
        assert_eq!(labels(&groovy(text)), ["real:one@1.0"]);
        let p = groovy("dependencies {\n implementation 'a:b:1'\n");
        assert_eq!(p.packages.len(), 1);
        assert_eq!(p.warnings.len(), 1, "unclosed brace");
        let p = groovy("}\n");
        assert_eq!(p.warnings[0].line, Some(1));
        assert_eq!(groovy("  \n").warnings[0].message, "empty file");
        assert!(groovy("this is not a build script").packages.is_empty());
    }

    /// `../shared/corpus` as text, or `None` (the test named `test` reported as
    /// skipped) when `../shared` is absent.
    fn corpus_dir(test: &str) -> Option<String> {
        crate::testutil::corpus(test).map(|d| d.display().to_string())
    }

    /// Expected counts: coordinate strings inside the `dependencies` blocks plus
    /// `kotlin("...")` modules outside `plugins`, counted with
    /// `python3 -c 'import re,sys;[print(f,len({m for m in re.findall(r"[\"\x27]([\w.-]+:[\w.-]+(?::[^\"\x27:]*)?)[\"\x27]",open(f).read()) if "protoc" not in m})+len(re.findall(r"\(kotlin\(\"",open(f).read()))) for f in sys.argv[1:]]' $(find corpus -name "build.gradle*")`
    /// (the protoc artifacts are outside `dependencies` blocks).
    #[test]
    fn corpus() {
        let Some(corpus) = corpus_dir(cverun_testkit::test_name!()) else {
            return;
        };
        type Row<'a> = (&'a str, usize, &'a [(&'a str, Option<&'a str>)]);
        let rows: &[Row] = &[
            (
                "opentelemetry-demo@2024-06/src/adservice/build.gradle",
                17,
                &[
                    ("io.opentelemetry:opentelemetry-bom", Some("1.34.1")),
                    ("io.grpc:grpc-netty", Some("1.59.0")),
                    ("io.opentelemetry:opentelemetry-api", None),
                    (
                        "com.fasterxml.jackson.core:jackson-databind",
                        Some("2.15.3"),
                    ),
                    ("dev.openfeature:sdk", Some("1.7.4")),
                ],
            ),
            (
                "opentelemetry-demo@2024-06/src/frauddetectionservice/build.gradle.kts",
                18,
                &[
                    ("com.google.protobuf:protobuf-kotlin", Some("3.25.0")),
                    ("org.jetbrains.kotlin:kotlin-test", Some("1.9.20")),
                    ("io.grpc:grpc-services", Some("1.59.0")),
                    ("javax.annotation:javax.annotation-api", Some("1.3.2")),
                ],
            ),
            (
                "opentelemetry-demo@2022-10/src/adservice/build.gradle",
                13,
                &[
                    (
                        "io.opentelemetry:opentelemetry-extension-annotations",
                        Some("1.12.0"),
                    ),
                    ("org.apache.logging.log4j:log4j-core", Some("2.17.2")),
                ],
            ),
            (
                "microservices-demo@2019-06/src/adservice/build.gradle",
                19,
                &[
                    ("com.google.protobuf:protobuf-gradle-plugin", Some("0.8.3")),
                    ("org.apache.logging.log4j:log4j-core", Some("2.11.1")),
                    ("io.opencensus:opencensus-impl", Some("0.18.0")),
                ],
            ),
            (
                "microservices-demo@2021-06/src/adservice/build.gradle",
                18,
                &[
                    ("io.grpc:grpc-stub", Some("1.32.1")),
                    (
                        "io.netty:netty-tcnative-boringssl-static",
                        Some("2.0.34.Final"),
                    ),
                ],
            ),
        ];
        for (file, count, pins) in rows {
            let path = format!("{corpus}/{file}");
            let text = std::fs::read_to_string(&path).unwrap();
            let p = run_in(&path, &text, &DiskFiles).unwrap();
            assert_eq!(p.packages.len(), *count, "{file}: {:#?}", labels(&p));
            assert!(p.warnings.is_empty(), "{file}: {:?}", p.warnings);
            for (name, version) in *pins {
                assert_eq!(find(&p, name).exact_version(), *version, "{file}: {name}");
            }
        }
        let path = format!("{corpus}/microservices-demo@2019-06/src/adservice/build.gradle");
        let p = run_in(&path, &std::fs::read_to_string(&path).unwrap(), &DiskFiles).unwrap();
        assert_eq!(
            find(&p, "com.google.protobuf:protobuf-gradle-plugin").scope,
            Scope::Development
        );
        assert_eq!(find(&p, "io.opencensus:opencensus-impl").line, Some(64));
    }

    /// The corpus samples when `../shared` is present, and an inline text.
    fn sample_texts(test: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(corpus) = corpus_dir(test) {
            for f in [
                "opentelemetry-demo@2024-06/src/adservice/build.gradle",
                "opentelemetry-demo@2024-06/src/frauddetectionservice/build.gradle.kts",
                "microservices-demo@2019-06/src/adservice/build.gradle",
            ] {
                out.push(std::fs::read_to_string(format!("{corpus}/{f}")).unwrap());
            }
        }
        out.push("def a = \"$a$a$a$a\"\ndependencies { implementation \"g:a:${a}\" }\n\"\"\"unterminated ${ {".into());
        out
    }

    #[test]
    fn truncated_files_never_panic() {
        for text in sample_texts(cverun_testkit::test_name!()) {
            let bytes = text.as_bytes();
            for k in 0..=10 {
                let t = String::from_utf8_lossy(&bytes[..bytes.len() * k / 10]).into_owned();
                let _ = run_in("x/build.gradle", &t, &Mem(Vec::new()));
                let _ = run_in("x/build.gradle.kts", &t, &Mem(Vec::new()));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn flipped_bytes_never_panic(
            which in 0usize..4,
            flips in proptest::collection::vec((0usize..10_000, proptest::num::u8::ANY), 1..10),
        ) {
            let texts = sample_texts(cverun_testkit::test_name!());
            let mut bytes = texts[which % texts.len()].clone().into_bytes();
            for (at, b) in flips {
                let i = at % bytes.len();
                bytes[i] = b;
            }
            let t = String::from_utf8_lossy(&bytes).into_owned();
            let _ = run_in("x/build.gradle", &t, &Mem(Vec::new()));
        }

        #[test]
        fn arbitrary_text_never_panics(t in "[a-z\"'${}()\\[\\]:=,.\n /*\\\\]{0,80}") {
            let _ = run_in("x/build.gradle", &t, &Mem(Vec::new()));
            let _ = run_in("x/build.gradle.kts", &t, &Mem(Vec::new()));
        }
    }

    /// 20,000 dependencies, the first declared again for tests: every one read once,
    /// with its own line.
    #[test]
    fn a_large_build_file_is_read_whole_with_its_lines() {
        let n = 20_000;
        let mut text = String::from("dependencies {\n");
        for i in 0..n {
            text.push_str(&format!("    implementation 'g:a-{i}:1.{i}'\n"));
        }
        text.push_str("    testImplementation 'g:a-0:1.0'\n}\n");
        let p = groovy(&text);
        assert!(p.warnings.is_empty(), "{:?}", p.warnings.first());
        assert_eq!(p.packages.len(), n);
        let (first, last) = (&p.packages[0], &p.packages[n - 1]);
        assert_eq!(
            (first.name.as_str(), first.exact_version(), first.line),
            ("g:a-0", Some("1.0"), Some(2))
        );
        assert_eq!(first.scope, Scope::Runtime);
        assert_eq!(
            (last.name.as_str(), last.exact_version(), last.line),
            ("g:a-19999", Some("1.19999"), Some(n as u32 + 1))
        );
    }
}
