//! `go.mod`: the version of a `require` directive, single (`require m v1.2.3`) or
//! in a block, edited in place; `// indirect` and other comments stay.
//!
//! A `require` names the minimum version (minimal version selection), so any
//! requirement below the fix is raised; the new version is written with Go's `v`
//! whether or not the bump spells it.
//!
//! Refused: a `replace` directive for the module (what is built is the
//! replacement, not the required version: change or drop the `replace` by hand).

use super::spec::Syntax;
use super::{Edit, File, Site, raise_and_finish};
use crate::{Bump, Refusal};

/// A token of a line: its text without quotes and its byte range in the file.
struct Token<'a> {
    text: &'a str,
    start: usize,
    end: usize,
}

/// The tokens of a line before its `//` comment (quoted strings are one token).
fn tokens(line: &str, offset: usize) -> Vec<Token<'_>> {
    let code = match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    };
    let bytes = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if bytes[i] == b'"' || bytes[i] == b'`' {
            let q = bytes[i];
            i += 1;
            while i < bytes.len() && bytes[i] != q {
                i += 1;
            }
            let end = i.min(bytes.len());
            out.push(Token {
                text: &code[start + 1..end],
                start: offset + start + 1,
                end: offset + end,
            });
            i = end + 1;
            continue;
        }
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        out.push(Token {
            text: &code[start..i],
            start: offset + start,
            end: offset + i,
        });
    }
    out
}

/// Rewrites a `go.mod`.
pub(crate) fn rewrite(file: &File<'_>, bump: &Bump) -> Result<Option<Edit>, Refusal> {
    let mut sites = Vec::new();
    let mut block: Option<String> = None;
    let mut offset = 0;
    for line in file.text.split_inclusive('\n') {
        let here = offset;
        offset += line.len();
        let toks = tokens(line, here);
        let Some(first) = toks.first() else { continue };
        let (directive, args) = match &block {
            Some(_) if first.text == ")" => {
                block = None;
                continue;
            }
            Some(d) => (d.clone(), &toks[..]),
            None => {
                if toks.get(1).is_some_and(|t| t.text == "(") {
                    block = Some(first.text.to_owned());
                    continue;
                }
                (first.text.to_owned(), &toks[1..])
            }
        };
        let line_no = file.line(here);
        match directive.as_str() {
            "require" => {
                if let [module, version, ..] = args {
                    if module.text == bump.name {
                        sites.push(Site {
                            span: version.start..version.end,
                            syntax: Syntax::Go,
                            label: module.text.to_owned(),
                        });
                    }
                }
            }
            "replace" if args.first().is_some_and(|m| m.text == bump.name) => {
                let target: Vec<&str> = args
                    .iter()
                    .skip_while(|t| t.text != "=>")
                    .skip(1)
                    .map(|t| t.text)
                    .collect();
                return Err(Refusal::with_manual(
                    format!(
                        "{}: {} is replaced by {}; the require version is not what is built",
                        file.at(line_no),
                        bump.name,
                        target.join(" ")
                    ),
                    format!(
                        "change or remove the replace directive at {}, then run `go get {}@{}`",
                        file.at(line_no),
                        bump.name,
                        go_version(&bump.to)
                    ),
                ));
            }
            _ => {}
        }
    }
    raise_and_finish(file, bump, &sites)
}

/// A version with Go's leading `v`.
fn go_version(v: &str) -> String {
    if v.starts_with('v') {
        v.to_owned()
    } else {
        format!("v{v}")
    }
}

#[cfg(test)]
mod tests;
