//! `Gemfile`: the requirement arguments of a `gem` line, edited inside their
//! quotes.
//!
//! `gem 'name', '~> 1.2', '>= 1.2.3', require: false` (or `gem("name", ...)`): the
//! quoted arguments after the name are the requirement, read together (all must
//! hold); options after them (`require:`, `platforms:`, `git:`) stay. With a
//! `>=` clause present, only it is raised (`'~> 1.2', '>= 1.2.5'`); a lone
//! `'~> 1.2'` keeps its component count when the fix allows it, else takes the
//! fix's and the summary says that the upper bound narrows.
//!
//! Refused: a gem from `git:`/`github:`/`path:` without a version (a reference to
//! change by hand). The scan is lexical: a `gem` call built in code (a variable
//! version) is not found, and one declared with a non-literal version is refused.

use super::spec::Syntax;
use super::{Edit, File, Site, raise_and_finish};
use crate::{Bump, Refusal};

/// A quoted literal at `at`: its content range and the offset after the closing quote.
fn literal(text: &str, at: usize) -> Option<(std::ops::Range<usize>, usize)> {
    let q = *text.as_bytes().get(at)?;
    if q != b'\'' && q != b'"' {
        return None;
    }
    let end = at + 1 + text[at + 1..].find(q as char)?;
    if text[at + 1..end].contains(['\n', '\\', '#']) && q == b'"' {
        return None;
    }
    Some((at + 1..end, end + 1))
}

fn skip_space(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    while at < bytes.len() && bytes[at].is_ascii_whitespace() {
        at += 1;
    }
    at
}

/// Rewrites a `Gemfile`.
pub(crate) fn rewrite(file: &File<'_>, bump: &Bump) -> Result<Option<Edit>, Refusal> {
    let text = file.text;
    let mut sites = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let here = offset;
        offset += line.len();
        let lead = line.len() - line.trim_start().len();
        let Some(rest) = line.trim_start().strip_prefix("gem") else {
            continue;
        };
        if !rest.starts_with([' ', '\t', '(']) {
            continue;
        }
        let mut at = here + lead + 3;
        at = skip_space(text, at);
        if text.as_bytes().get(at) == Some(&b'(') {
            at = skip_space(text, at + 1);
        }
        let Some((name, after_name)) = literal(text, at) else {
            continue;
        };
        if text[name] != *bump.name {
            continue;
        }
        let line_no = file.line(here);
        let mut first = None;
        let mut last = None;
        let mut cursor = after_name;
        loop {
            let comma = skip_space(text, cursor);
            if text.as_bytes().get(comma) != Some(&b',') {
                break;
            }
            let arg = skip_space(text, comma + 1);
            match literal(text, arg) {
                Some((_, after)) => {
                    first.get_or_insert(arg);
                    last = Some(after);
                    cursor = after;
                }
                None => {
                    // Options (`require: false`) or code.
                    let word: String = text[arg..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == ':')
                        .collect();
                    let is_option = word.ends_with(':') || text[arg..].starts_with(':');
                    if !is_option && first.is_none() && !word.is_empty() {
                        return Err(Refusal::with_manual(
                            format!(
                                "{}: the requirement of {} is code ({word}), not a literal",
                                file.at(line_no),
                                bump.name
                            ),
                            format!(
                                "set the requirement of {} to '>= {}' by hand",
                                bump.name, bump.to
                            ),
                        ));
                    }
                    if first.is_none()
                        && ["git:", "github:", "path:"]
                            .iter()
                            .any(|k| word.starts_with(k))
                    {
                        return Err(Refusal::with_manual(
                            format!(
                                "{}: {} comes from git or a path, not a version",
                                file.at(line_no),
                                bump.name
                            ),
                            format!(
                                "change the reference of {} at {} to {}",
                                bump.name,
                                file.at(line_no),
                                bump.to
                            ),
                        ));
                    }
                    break;
                }
            }
        }
        if let (Some(first), Some(last)) = (first, last) {
            sites.push(Site {
                span: first..last,
                syntax: Syntax::RubyGems,
                label: bump.name.clone(),
            });
        }
    }
    raise_and_finish(file, bump, &sites)
}

#[cfg(test)]
mod tests;
