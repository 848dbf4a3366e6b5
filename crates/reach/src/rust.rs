//! Rust: the lines that use a crate.
//!
//! **Crate names.** Code names a crate by its library name: the package name with
//! `-` as `_` (`serde-json` would be `serde_json`), except for the few crates whose
//! library is named otherwise ([`LIBRARY_NAMES`]). Guesses are added for the usual
//! spellings of such crates: without a `rust-` prefix or a `-rs` suffix
//! (`xml-rs` -> `xml`). A Cargo rename (`sv = { package = "smallvec" }`) is an alias
//! of the target ([`crate::Target::aliases`]), found by [`crate::reach`] in the
//! service's `Cargo.toml` files.
//!
//! **Uses** recognised (comments and strings never count):
//!
//! - `use x::...;`, `use x;`, `use x as y;`, `use ::x::...`, `pub use`, and the
//!   crate as a root of a grouped use (`use {x::A, y::B};`);
//! - `extern crate x;` (with or without `as`);
//! - any path starting with the crate: `x::f()`, `::x::T`, `#[x::attr]`,
//!   `x::mac!()`, `<x::T as Tr>`, `impl x::Trait`.
//!
//! A path segment after another (`crate::x::`, `self::x::`, `a::x::`, `<T>::x`) is
//! not the crate, nor is a method call (`.x::<T>()`). A module of the service with
//! the crate's name is indistinguishable from the crate and counts as a use.

use crate::Found;
use crate::lex::{Tok, Token};

/// Crates whose library name is not the package name with `-` as `_`:
/// (package, library), sorted by package.
pub const LIBRARY_NAMES: &[(&str, &str)] = &[
    ("md-5", "md5"),
    ("rust-argon2", "argon2"),
    ("rust-crypto", "crypto"),
    ("rust-ini", "ini"),
    ("rust-s3", "s3"),
    ("sha-1", "sha1"),
    ("xml-rs", "xml"),
];

/// The names code may use for crates.io package `package`.
pub fn crate_names_for(package: &str) -> Vec<String> {
    let lower = package.trim().to_ascii_lowercase().replace('_', "-");
    let mut out: Vec<String> = Vec::new();
    let mut add = |n: String| {
        if !n.is_empty() && !out.contains(&n) {
            out.push(n);
        }
    };
    if let Ok(i) = LIBRARY_NAMES.binary_search_by(|(p, _)| (*p).cmp(lower.as_str())) {
        add(LIBRARY_NAMES[i].1.to_owned());
    }
    add(lower.replace('-', "_"));
    if let Some(rest) = lower.strip_prefix("rust-") {
        add(rest.replace('-', "_"));
    }
    if let Some(rest) = lower.strip_suffix("-rs") {
        add(rest.replace('-', "_"));
    }
    out
}

fn word<'a>(tokens: &[Token<'a>], i: usize) -> Option<&'a str> {
    match tokens.get(i).map(|t| t.tok) {
        Some(Tok::Word(w)) => Some(w),
        _ => None,
    }
}

fn punct(tokens: &[Token<'_>], i: usize, p: u8) -> bool {
    matches!(tokens.get(i).map(|t| t.tok), Some(Tok::Punct(c)) if c == p)
}

/// `::` at `i` (two adjacent colons).
fn path_sep(tokens: &[Token<'_>], i: usize) -> bool {
    punct(tokens, i, b':') && punct(tokens, i + 1, b':') && tokens[i].end == tokens[i + 1].start
}

/// Keywords after which `::x` starts a path at the crate root.
const ROOT_AFTER: [&str; 22] = [
    "use", "as", "in", "return", "pub", "dyn", "impl", "for", "where", "if", "match", "while",
    "else", "move", "mut", "ref", "let", "const", "static", "type", "break", "unsafe",
];

/// Whether the word at `i` starts a path (is not a segment after another).
fn path_root(tokens: &[Token<'_>], i: usize) -> bool {
    if i == 0 {
        return true;
    }
    if punct(tokens, i - 1, b'.') {
        return false;
    }
    if i >= 2 && path_sep(tokens, i - 2) {
        return match i.checked_sub(3).map(|k| tokens[k].tok) {
            Some(Tok::Word(w)) => ROOT_AFTER.contains(&w),
            Some(Tok::Punct(b'>' | b')' | b']')) => false,
            _ => true,
        };
    }
    true
}

/// Scans Rust tokens for uses of any of `crates`.
pub(crate) fn scan(tokens: &[Token<'_>], crates: &[String], found: &mut Found) {
    // Exact: `SmallVec::new()` is a type of `smallvec`, not the crate.
    let is_crate = |w: &str| crates.iter().any(|c| c == w);
    for i in 0..tokens.len() {
        match tokens[i].tok {
            Tok::Word("extern")
                if word(tokens, i + 1) == Some("crate")
                    && word(tokens, i + 2).is_some_and(is_crate) =>
            {
                found.imports.push(tokens[i].line);
            }
            Tok::Word("use") => use_roots(tokens, i + 1, &is_crate, found),
            Tok::Word(w) if is_crate(w) && path_sep(tokens, i + 1) && path_root(tokens, i) => {
                found.imports.push(tokens[i].line);
            }
            _ => {}
        }
    }
}

/// The root segments of the use tree starting at `i`: its first segment, or each
/// item's first segment in a group at the root (`use {a::X, b};`).
fn use_roots(
    tokens: &[Token<'_>],
    mut i: usize,
    is_crate: &dyn Fn(&str) -> bool,
    found: &mut Found,
) {
    if path_sep(tokens, i) {
        i += 2;
    }
    if let Some(w) = word(tokens, i) {
        if is_crate(w) {
            found.imports.push(tokens[i].line);
        }
        return;
    }
    if !punct(tokens, i, b'{') {
        return;
    }
    let mut depth = 1usize;
    let mut expect_root = true;
    i += 1;
    while let Some(t) = tokens.get(i) {
        match t.tok {
            Tok::Punct(b'{') => depth += 1,
            Tok::Punct(b'}') => {
                depth -= 1;
                if depth == 0 {
                    return;
                }
            }
            // `use` never nests: an unclosed group ends at the next `use`, which
            // also keeps the scan linear.
            Tok::Punct(b';') | Tok::Word("use") => return,
            Tok::Punct(b',') if depth == 1 => {
                expect_root = true;
                i += 1;
                continue;
            }
            Tok::Punct(b':') if depth == 1 && expect_root => {}
            Tok::Word(w) if depth == 1 && expect_root => {
                if is_crate(w) {
                    found.imports.push(t.line);
                }
                expect_root = false;
            }
            _ => {
                if depth == 1 {
                    expect_root = false;
                }
            }
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Lang, Target, scan_text};
    use cverun_versions::Ecosystem;
    use std::path::Path;

    fn lines(src: &str, krate: &str) -> Vec<u32> {
        let t = Target::new(Ecosystem::CratesIo, krate);
        scan_text(Lang::Rust, Path::new("m.rs"), src, &t)
            .imports
            .iter()
            .map(|e| e.line)
            .collect()
    }

    #[test]
    fn library_names() {
        for w in LIBRARY_NAMES.windows(2) {
            assert!(w[0].0 < w[1].0);
        }
        assert_eq!(crate_names_for("smallvec"), ["smallvec"]);
        assert_eq!(crate_names_for("tokio-util"), ["tokio_util"]);
        assert_eq!(crate_names_for("ansi_term"), ["ansi_term"]);
        assert_eq!(crate_names_for("md-5"), ["md5", "md_5"]);
        assert_eq!(crate_names_for("xml-rs"), ["xml", "xml_rs"]);
        assert_eq!(crate_names_for("rust-foo"), ["rust_foo", "foo"]);
        assert_eq!(crate_names_for("Inflector"), ["inflector"]);
    }

    #[test]
    fn use_forms() {
        assert_eq!(lines("use smallvec::SmallVec;", "smallvec"), [1]);
        assert_eq!(
            lines("use smallvec::{smallvec, SmallVec};", "smallvec"),
            [1]
        );
        assert_eq!(lines("use smallvec;", "smallvec"), [1]);
        assert_eq!(lines("use smallvec as sv;", "smallvec"), [1]);
        assert_eq!(lines("use ::smallvec::SmallVec;", "smallvec"), [1]);
        assert_eq!(lines("pub(crate) use smallvec::SmallVec;", "smallvec"), [1]);
        assert_eq!(
            lines("use {\n  std::fmt,\n  smallvec,\n};", "smallvec"),
            [3]
        );
        assert_eq!(lines("use tokio_util::codec;", "tokio-util"), [1]);
    }

    #[test]
    fn extern_crate_and_paths() {
        assert_eq!(
            lines("#[macro_use]\nextern crate smallvec;", "smallvec"),
            [2]
        );
        assert_eq!(lines("extern crate smallvec as sv;", "smallvec"), [1]);
        assert_eq!(
            lines(
                "fn f() {\n  let v: smallvec::SmallVec<[u8; 4]> = smallvec::smallvec![];\n}",
                "smallvec"
            ),
            [2]
        );
        assert_eq!(lines("let c = ansi_term::Colour::Green;", "ansi_term"), [1]);
        assert_eq!(
            lines("let v = ::smallvec::SmallVec::new();", "smallvec"),
            [1]
        );
        assert_eq!(lines("#[derive(serde::Serialize)]", "serde"), [1]);
        assert_eq!(lines("fn f(x: impl serde::Serialize) {}", "serde"), [1]);
        assert_eq!(
            lines("fn f() -> Vec<smallvec::SmallVec<[u8; 1]>> {}", "smallvec"),
            [1]
        );
        assert_eq!(lines("let x: <smallvec::A as T>::B;", "smallvec"), [1]);
    }

    #[test]
    fn not_uses() {
        // Comments and strings.
        assert!(lines("// use smallvec::SmallVec;", "smallvec").is_empty());
        assert!(lines("/* use smallvec::SmallVec; */", "smallvec").is_empty());
        assert!(lines("/// ```\n/// use smallvec::SmallVec;\n/// ```", "smallvec").is_empty());
        assert!(lines("let s = \"use smallvec::SmallVec;\";", "smallvec").is_empty());
        assert!(lines("let s = r#\"smallvec::x\"#;", "smallvec").is_empty());
        // Segments after another, methods, plain words.
        assert!(lines("use crate::smallvec::SmallVec;", "smallvec").is_empty());
        assert!(lines("use self::smallvec::X; use super::smallvec::Y;", "smallvec").is_empty());
        assert!(lines("let x = a::smallvec::f();", "smallvec").is_empty());
        assert!(lines("let x = v.smallvec::<u8>();", "smallvec").is_empty());
        assert!(lines("let smallvec = 1; f(smallvec);", "smallvec").is_empty());
        assert!(lines("let v: SmallVec<[u8; 4]> = SmallVec::new();", "smallvec").is_empty());
        assert!(lines("use std::{fmt, io::{smallvec}};", "smallvec").is_empty());
        // An unclosed group stops at the next `use`.
        assert_eq!(lines("use {a\nuse smallvec;", "smallvec"), [2]);
        // Similar names.
        assert!(lines("use smallvec2::SmallVec;", "smallvec").is_empty());
        assert!(lines("use small::vec;", "smallvec").is_empty());
        assert!(lines("extern crate smallvec_ext;", "smallvec").is_empty());
    }
}
