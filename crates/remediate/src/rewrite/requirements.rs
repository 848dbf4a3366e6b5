//! pip requirements files (`requirements*.txt`, `requirements*.in`).
//!
//! Read as pip reads them: a line ending in `\` continues on the next, a `#` at
//! the start of a line or after white space starts a comment, option lines (`-r`,
//! `-c`, `-e`, `-i`, `--hash` alone...) are left untouched. A requirement line is
//! `name[extras] specifiers ; markers` followed by per-requirement options; the
//! name matches the bump under PEP 503 (`Flask_SQLAlchemy` is
//! `flask-sqlalchemy`). Every declaration that allows the installed version is
//! raised (a package may be declared on several lines, under different markers).
//!
//! Refused: a requirement with `--hash=` options, since the hashes would no
//! longer match the new version. When the file says it was generated
//! (pip-compile's or uv's header), the manual step is the header's command with
//! `--upgrade-package NAME==TO`; [`requirements_compile_command`] gives that
//! command to the lockfile step, which runs it.
//!
//! URL and path requirements (`name @ https://...`, `git+...#egg=`) are not
//! versions: refused, with the reference to change by hand.

use std::ops::Range;

use cverun_versions::{Ecosystem, normalize_name};

use super::spec::Syntax;
use super::{Edit, File, Site, finish, raise_sites};
use crate::{Bump, Refusal};

/// The parts of a PEP 508 requirement, as byte ranges of its text.
#[derive(Clone, Debug)]
pub(crate) struct Pep508 {
    /// The distribution name.
    pub name: Range<usize>,
    /// The version specifiers, trimmed (empty when none), without parentheses.
    pub spec: Range<usize>,
    /// `name @ url`: a direct reference, no version.
    pub url: bool,
}

/// Reads a PEP 508 requirement (`name[extras] (specs) ; markers`); `None` when
/// it does not start with a name.
pub(crate) fn pep508(s: &str) -> Option<Pep508> {
    let bytes = s.as_bytes();
    let mut i = s.len() - s.trim_start().len();
    let name_start = i;
    while i < bytes.len()
        && (bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'.' | b'_' | b'-'))
    {
        i += 1;
    }
    if i == name_start {
        return None;
    }
    let name = name_start..i;
    let skip_ws = |mut j: usize| {
        while j < bytes.len() && bytes[j].is_ascii_whitespace() {
            j += 1;
        }
        j
    };
    i = skip_ws(i);
    if bytes.get(i) == Some(&b'[') {
        i += s[i..].find(']')? + 1;
        i = skip_ws(i);
    }
    if bytes.get(i) == Some(&b'@') {
        return Some(Pep508 {
            name,
            spec: i..i,
            url: true,
        });
    }
    let (start, end) = if bytes.get(i) == Some(&b'(') {
        let close = i + s[i..].find(')')?;
        (i + 1, close)
    } else {
        let end = s[i..].find(';').map_or(s.len(), |k| i + k);
        (i, end)
    };
    let raw = &s[start..end];
    let lead = raw.len() - raw.trim_start().len();
    let spec = start + lead..start + lead + raw.trim().len();
    Some(Pep508 {
        name,
        spec,
        url: false,
    })
}

/// One logical line: its text and, for every byte of it, the byte of the file.
struct Logical {
    text: String,
    offsets: Vec<usize>,
}

impl Logical {
    /// The file range of `r` (a range of the logical text), when contiguous there.
    fn file_range(&self, r: Range<usize>) -> Option<Range<usize>> {
        if r.is_empty() {
            let at = match self.offsets.get(r.start) {
                Some(&at) => at,
                None => self.offsets.last().map_or(0, |&last| last + 1),
            };
            return Some(at..at);
        }
        let start = self.offsets[r.start];
        let end = self.offsets[r.end - 1] + 1;
        (end - start == r.len()).then_some(start..end)
    }
}

/// The logical lines of a requirements file (continuations joined, comments
/// removed).
fn logical_lines(text: &str) -> Vec<Logical> {
    let mut out = Vec::new();
    let mut cur = Logical {
        text: String::new(),
        offsets: Vec::new(),
    };
    let mut at = 0;
    for physical in text.split_inclusive('\n') {
        let content = physical.trim_end_matches(['\n', '\r']);
        let continues = content.ends_with('\\');
        let keep = if continues {
            &content[..content.len() - 1]
        } else {
            content
        };
        cur.text.push_str(keep);
        cur.offsets.extend(at..at + keep.len());
        at += physical.len();
        if !continues {
            strip_comment(&mut cur);
            out.push(std::mem::replace(
                &mut cur,
                Logical {
                    text: String::new(),
                    offsets: Vec::new(),
                },
            ));
        }
    }
    if !cur.text.is_empty() {
        strip_comment(&mut cur);
        out.push(cur);
    }
    out
}

fn strip_comment(l: &mut Logical) {
    let bytes = l.text.as_bytes();
    let cut = (0..bytes.len())
        .find(|&i| bytes[i] == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()));
    if let Some(cut) = cut {
        l.text.truncate(cut);
        l.offsets.truncate(cut);
    }
}

/// Where the per-requirement options (`--hash`, `-C`...) of a requirement line
/// start: the first white space followed by `-` outside quotes.
fn options_start(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut quote = None;
    for i in 0..bytes.len() {
        match (quote, bytes[i]) {
            (Some(q), b) if b == q => quote = None,
            (None, b'"' | b'\'') => quote = Some(bytes[i]),
            (None, b) if b.is_ascii_whitespace() && bytes.get(i + 1) == Some(&b'-') => {
                return i;
            }
            _ => {}
        }
    }
    s.len()
}

/// A declaration in a requirements file.
struct Declaration {
    site: Site,
    hashed: bool,
    line: u32,
}

/// Rewrites a requirements file.
pub(crate) fn rewrite(file: &File<'_>, bump: &Bump) -> Result<Option<Edit>, Refusal> {
    let want = normalize_name(&Ecosystem::PyPI, &bump.name).into_owned();
    let mut declarations = Vec::new();
    for logical in logical_lines(file.text) {
        let trimmed = logical.text.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('-') {
            continue;
        }
        let opts = options_start(&logical.text);
        let req_text = &logical.text[..opts];
        let Some(req) = pep508(req_text) else {
            continue;
        };
        if normalize_name(&Ecosystem::PyPI, &req_text[req.name.clone()]) != want {
            continue;
        }
        let line = file.line(logical.offsets.first().copied().unwrap_or(0));
        if req.url {
            return Err(Refusal::with_manual(
                format!(
                    "{}: {} is installed from a URL, not a version",
                    file.at(line),
                    bump.name
                ),
                format!(
                    "change the URL at {} to one of {} {}",
                    file.at(line),
                    bump.name,
                    bump.to
                ),
            ));
        }
        let Some(span) = logical.file_range(req.spec.clone()) else {
            return Err(Refusal::with_manual(
                format!(
                    "{}: the requirement of {} continues over several lines",
                    file.at(line),
                    bump.name
                ),
                format!(
                    "raise {} to {} at {} by hand",
                    bump.name,
                    bump.to,
                    file.at(line)
                ),
            ));
        };
        declarations.push(Declaration {
            site: Site {
                span,
                syntax: Syntax::Pep440,
                label: req_text[req.name].to_owned(),
            },
            hashed: logical.text[opts..].contains("--hash"),
            line,
        });
    }
    let sites: Vec<Site> = declarations.iter().map(|d| d.site.clone()).collect();
    let raising = raise_sites(file, bump, &sites)?;
    for d in declarations.iter().filter(|d| d.hashed) {
        let touched = raising
            .changes
            .iter()
            .any(|c| d.site.span.contains(&c.range.start));
        if touched {
            return Err(hash_refusal(file, bump, d.line));
        }
    }
    Ok(finish(file, raising))
}

/// The refusal for a hashed requirement, with the command to regenerate the file.
fn hash_refusal(file: &File<'_>, bump: &Bump, line: u32) -> Refusal {
    let reason = format!(
        "{}: {} has --hash options: hashes would be stale after the version changes",
        file.at(line),
        bump.name
    );
    match requirements_compile_command(file.text) {
        Some(mut argv) => {
            argv.push("--upgrade-package".to_owned());
            argv.push(format!("{}=={}", bump.name, bump.to));
            Refusal::with_manual(reason, shell_join(&argv))
        }
        None => Refusal::with_manual(
            reason,
            format!(
                "set {}=={} at {} and replace its hashes with those of the new files (`pip download {}=={} --no-deps -d DIR` then `pip hash DIR/*`)",
                bump.name,
                bump.to,
                file.at(line),
                bump.name,
                bump.to
            ),
        ),
    }
}

/// Which tool wrote a compiled requirements file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compiler {
    /// `pip-compile` (pip-tools).
    PipCompile,
    /// `uv pip compile`.
    Uv,
}

impl Compiler {
    /// The compiler whose command `words` is (`pip-compile ...`, `uv pip compile
    /// ...`).
    pub(crate) fn of(words: &[String]) -> Option<Compiler> {
        match words.first().map(String::as_str) {
            Some("pip-compile") => Some(Compiler::PipCompile),
            Some("uv") if words.get(1..3) == Some(&["pip".into(), "compile".into()]) => {
                Some(Compiler::Uv)
            }
            _ => None,
        }
    }
}

/// The command line of a compiled requirements file's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CompileHeader<'a> {
    /// Its 1-based line.
    pub(crate) line: usize,
    /// The compiler the header says wrote the file.
    pub(crate) compiler: Compiler,
    /// The comment's text: the command, unless a custom compile command replaced
    /// it (`make requirements`).
    pub(crate) command: &'a str,
}

/// The header pip-compile (`# This file is autogenerated by pip-compile ...`
/// then `#    pip-compile ...`) or uv (`# This file was autogenerated by uv via
/// the following command:` then `#    uv pip compile ...`) writes at the top of
/// a requirements file: the first comment after the `autogenerated by` line that
/// is not blank, `by the following command:` or `To update, run:`. `None` when
/// the leading comments (blank lines between them allowed) hold no such header.
pub(crate) fn compile_header(text: &str) -> Option<CompileHeader<'_>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut autogenerated = None;
    for (index, line) in text.lines().enumerate() {
        let Some(comment) = line.trim_start().strip_prefix('#') else {
            if line.trim().is_empty() {
                continue;
            }
            break;
        };
        let comment = comment.trim();
        let lower = comment.to_ascii_lowercase();
        if lower.contains("autogenerated by pip-compile") {
            autogenerated = Some(Compiler::PipCompile);
            continue;
        }
        if lower.contains("autogenerated by uv") {
            autogenerated = Some(Compiler::Uv);
            continue;
        }
        let Some(compiler) = autogenerated else {
            continue;
        };
        if comment.is_empty()
            || lower.starts_with("by the following command")
            || lower.starts_with("to update, run")
        {
            continue;
        }
        return Some(CompileHeader {
            line: index + 1,
            compiler,
            command: comment,
        });
    }
    None
}

/// The command that generated a requirements file, from the header pip-compile
/// (`# This file is autogenerated by pip-compile ...` then `#    pip-compile ...`)
/// or uv (`# This file was autogenerated by uv via the following command:` then
/// `#    uv pip compile ...`) writes; `None` when there is no such header, or when
/// it names another command.
pub fn requirements_compile_command(text: &str) -> Option<Vec<String>> {
    let words = shell_split(compile_header(text)?.command)?;
    Compiler::of(&words).map(|_| words)
}

/// Splits a command line as a POSIX shell would (quotes and backslashes; no
/// expansion). `None` for an unterminated quote.
pub(crate) fn shell_split(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        ch => cur.push(ch),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => cur.push(chars.next()?),
                        ch => cur.push(ch),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.push(chars.next()?);
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Some(out)
}

/// A command line from argv, quoting words a shell would split or expand.
pub(crate) fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=./:,+@%".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests;
