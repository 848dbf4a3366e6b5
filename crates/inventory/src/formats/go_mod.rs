//! Go `go.mod` files.
//!
//! Read: `module`, `go`, `toolchain`, `require` (one-line and block forms, `// indirect`
//! marks a transitive requirement), `replace` (with or without the old version),
//! `exclude` (read and ignored: an excluded version is never selected), and the
//! other directives Go knows (`retract`, `godebug`, `tool`, `ignore`), which do not
//! name dependencies. Module paths may be quoted.
//!
//! Packages:
//! - every required module, with the version written, direct unless `// indirect`;
//! - a `replace` swaps in what is actually built: `old => new v1.4.5` makes the
//!   package `new` at `v1.4.5`; `old => ./local/dir` keeps `old` at its version but
//!   with a local path source (not matchable); a replace of a module that is not
//!   required adds nothing;
//! - the Go standard library as the package `stdlib`, at the `toolchain` version
//!   when there is one (its `-suffix` removed), else at the `go` version, as the Go
//!   vulnerability database expects; [`Package::stdlib_source`] says which (a `go`
//!   directive is only the minimum language version, not the Go that builds it).
//!
//! Since Go 1.17 a module's `go.mod` lists every module it builds with; for older
//! `go` versions it lists only some, and a warning says so (the modules it omits are
//! not in this inventory).
//!
//! An unknown directive is a warning; a file in which no line is a go.mod directive
//! is an error. Structure: a file with nothing but blank lines and comments is an
//! "empty file"; a missing `module` line is a warning (the go command refuses the
//! file; fragments without one are still read); a go.mod with no `go` line and no
//! requirement says it declares no dependency.

use std::collections::{HashMap, HashSet};

use cverun_versions::Ecosystem;

use crate::{Input, Package, ParseError, Parsed, Pin, Relation, Source, StdlibSource};

struct Require {
    path: String,
    version: String,
    indirect: bool,
    line: u32,
}

struct Replace {
    old: String,
    old_version: Option<String>,
    new: String,
    new_version: Option<String>,
}

/// Parses a go.mod file.
pub fn parse(input: &Input<'_>) -> Result<Parsed, ParseError> {
    let input = &super::without_bom(input);
    let mut parsed = Parsed::default();
    let mut requires: Vec<Require> = Vec::new();
    let mut replaces: Vec<Replace> = Vec::new();
    let mut go: Option<(String, u32)> = None;
    let mut toolchain: Option<(String, u32)> = None;
    let mut known = 0usize;
    let mut module: Option<u32> = None;
    let mut first_unknown: Option<(String, u32)> = None;
    let mut block: Option<String> = None;

    for (i, raw) in input.text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let (code, comment) = match raw.find("//") {
            Some(c) => (&raw[..c], Some(raw[c + 2..].trim())),
            None => (raw, None),
        };
        let code = code.trim();
        if code.is_empty() {
            continue;
        }
        let indirect = comment.is_some_and(|c| c == "indirect" || c.starts_with("indirect;"));
        if let Some(directive) = block.clone() {
            if code == ")" {
                block = None;
                continue;
            }
            entry(
                input,
                &directive,
                code,
                n,
                indirect,
                &mut requires,
                &mut replaces,
                &mut parsed,
            );
            continue;
        }
        let (directive, rest) = match code.split_once(char::is_whitespace) {
            Some((d, r)) => (d, r.trim()),
            None => (code, ""),
        };
        match directive {
            "module" => {
                known += 1;
                module = module.or(Some(n));
            }
            "go" => {
                known += 1;
                go = Some((unquote(rest).to_owned(), n));
            }
            "toolchain" => {
                known += 1;
                toolchain = Some((unquote(rest).to_owned(), n));
            }
            "require" | "replace" | "exclude" | "retract" | "godebug" | "tool" | "ignore" => {
                known += 1;
                if rest == "(" {
                    block = Some(directive.to_owned());
                } else if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')'))
                {
                    if !inner.trim().is_empty() {
                        entry(
                            input,
                            directive,
                            inner.trim(),
                            n,
                            indirect,
                            &mut requires,
                            &mut replaces,
                            &mut parsed,
                        );
                    }
                } else {
                    entry(
                        input,
                        directive,
                        rest,
                        n,
                        indirect,
                        &mut requires,
                        &mut replaces,
                        &mut parsed,
                    );
                }
            }
            other => {
                if first_unknown.is_none() {
                    first_unknown = Some((other.to_owned(), n));
                }
                parsed.warnings.push(input.warning(
                    Some(n),
                    format!("unknown go.mod directive {other:?}; line ignored"),
                ));
            }
        }
    }
    if let Some(directive) = block {
        parsed
            .warnings
            .push(input.warning(None, format!("`{directive} (` block is not closed")));
    }
    if known == 0 {
        if let Some((word, line)) = first_unknown {
            return Err(input.error(
                Some(line),
                format!("not a go.mod file: unknown directive {word:?}"),
            ));
        }
        return Ok(Parsed::empty_file(input));
    }
    if module.is_none() {
        parsed.warnings.push(input.warning(
            None,
            "no `module` line: go refuses such a go.mod; its requirements are read as written",
        ));
    }

    // The standard library.
    let stdlib = toolchain
        .as_ref()
        .map(|(t, n)| {
            (
                t.trim_start_matches("go")
                    .split('-')
                    .next()
                    .unwrap_or(t)
                    .to_owned(),
                *n,
                StdlibSource::Toolchain,
            )
        })
        .or_else(|| go.clone().map(|(v, n)| (v, n, StdlibSource::GoDirective)));
    if let Some((version, line, source)) = stdlib {
        let mut p = Package::new(Ecosystem::Go, "stdlib", Pin::Exact(version));
        p.relation = Relation::Direct;
        p.line = Some(line);
        p.stdlib_source = Some(source);
        parsed.packages.push(p);
    }
    if let Some((v, line)) = &go {
        if older_than_117(v) && !requires.is_empty() {
            parsed.warnings.push(input.warning(
                Some(*line),
                format!("go {v}: before Go 1.17, go.mod does not list every module the build uses; modules it omits are not in this inventory"),
            ));
        }
    }

    // Replacements by old path, in file order; the last matching one applies.
    let mut replaced: HashMap<&str, Vec<&Replace>> = HashMap::new();
    for rep in &replaces {
        replaced.entry(rep.old.as_str()).or_default().push(rep);
    }
    let mut seen: HashSet<(String, Pin, Source)> = parsed
        .packages
        .iter()
        .map(|q| (q.name.clone(), q.pin.clone(), q.source.clone()))
        .collect();
    for r in requires {
        let replacement = replaced.get(r.path.as_str()).and_then(|reps| {
            reps.iter()
                .rev()
                .find(|rep| rep.old_version.as_ref().is_none_or(|v| *v == r.version))
                .copied()
        });
        let mut p = match replacement {
            Some(Replace {
                new,
                new_version: Some(nv),
                ..
            }) => Package::new(Ecosystem::Go, new, Pin::Exact(nv.clone())),
            Some(Replace {
                new,
                new_version: None,
                ..
            }) => {
                let mut p = Package::new(Ecosystem::Go, &r.path, Pin::Exact(r.version.clone()));
                p.source = Source::Path(new.clone());
                p
            }
            None => Package::new(Ecosystem::Go, &r.path, Pin::Exact(r.version.clone())),
        };
        p.relation = if r.indirect {
            Relation::Transitive
        } else {
            Relation::Direct
        };
        p.line = Some(r.line);
        if seen.insert((p.name.clone(), p.pin.clone(), p.source.clone())) {
            parsed.packages.push(p);
        }
    }
    if parsed.packages.is_empty() {
        let empty = Parsed::no_dependencies(input, module);
        parsed.warnings.extend(empty.warnings);
    }
    Ok(parsed)
}

#[allow(clippy::too_many_arguments)]
fn entry(
    input: &Input<'_>,
    directive: &str,
    text: &str,
    line: u32,
    indirect: bool,
    requires: &mut Vec<Require>,
    replaces: &mut Vec<Replace>,
    parsed: &mut Parsed,
) {
    match directive {
        "require" => {
            let words = words(text);
            if words.len() == 2 {
                requires.push(Require {
                    path: words[0].clone(),
                    version: words[1].clone(),
                    indirect,
                    line,
                });
            } else {
                parsed.warnings.push(input.warning(
                    Some(line),
                    format!("cannot read requirement {text:?} (expected `module/path v1.2.3`); not included"),
                ));
            }
        }
        "replace" => {
            let Some((old, new)) = text.split_once("=>") else {
                parsed.warnings.push(input.warning(
                    Some(line),
                    format!("cannot read replace {text:?} (expected `old => new`)"),
                ));
                return;
            };
            let (old, new) = (words(old), words(new));
            match (old.first(), new.first()) {
                (Some(o), Some(n)) if old.len() <= 2 && new.len() <= 2 => replaces.push(Replace {
                    old: o.clone(),
                    old_version: old.get(1).cloned(),
                    new: n.clone(),
                    new_version: new.get(1).cloned(),
                }),
                _ => parsed
                    .warnings
                    .push(input.warning(Some(line), format!("cannot read replace {text:?}"))),
            }
        }
        // exclude, retract, godebug, tool, ignore: nothing to record.
        _ => {}
    }
}

/// Splits on white space, removing Go quotes ("..." or `...`) from each word.
fn words(s: &str) -> Vec<String> {
    s.split_whitespace()
        .map(|w| unquote(w).to_owned())
        .collect()
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| s.strip_prefix('`').and_then(|r| r.strip_suffix('`')))
        .unwrap_or(s)
}

/// True for `go 1.16` and older (`1.2`, `1.16.3`); false when unreadable.
fn older_than_117(v: &str) -> bool {
    let mut parts = v.split('.');
    let major = parts.next().and_then(|p| p.parse::<u32>().ok());
    let minor = parts.next().and_then(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse::<u32>()
            .ok()
    });
    matches!((major, minor), (Some(1), Some(m)) if m < 17)
}

#[cfg(test)]
mod tests;
