//! Version requirements: reading one as clauses with positions, judging whether a
//! version satisfies it, and raising its floor to a fixed version while keeping its
//! operators ("raise the floor, keep the operator").
//!
//! Every format declares a requirement as a short string in one of a few
//! syntaxes ([`Syntax`]): PEP 440 specifier sets, npm ranges, Cargo requirements,
//! Composer constraints, RubyGems requirements (one clause per argument), Go's
//! minimum versions, and Maven/NuGet versions and bracket ranges. A requirement is
//! read into clauses (an operator and a version literal, with their byte ranges in
//! the string), so that a rewrite replaces only the version literal of a clause.
//!
//! Raising a requirement from `from` (installed) to `to` (fixed):
//!
//! - the requirement must allow `from`, or it does not describe what is installed
//!   and is left to the caller ([`Raised::NotInstalled`]);
//! - clauses that only set a floor (`>=`, `>`, a Go or NuGet minimum, a Maven soft
//!   version) below `to` get `to`; `>` becomes `>=` (the only operator change);
//! - when the requirement has no such floor, the clauses that set a floor and a
//!   ceiling together (`==`, `~=`, `^`, `~`, `~>`, an exact version) below `to`
//!   get `to`; `~=`/`~>` and Composer's `~` keep their number of components when
//!   `to` allows it (`~=2.27` to `~=2.31` for 2.31.0), else take all of `to` and
//!   say that the upper bound narrows;
//! - the result must allow `to`: a ceiling (`<2.28`), an exclusion (`!=2.31.0`) or
//!   a wildcard (`==2.27.*`) that excludes it is a refusal naming the clause, since
//!   widening it is a decision for a person;
//! - no version at all (`*`, empty, `latest`) and a wildcard that allows `to`
//!   are [`Raised::NoFloor`]: the lockfile step moves such packages.
//!
//! Ceilings implied by `^`, `~`, `~=` and `~>` are computed from the numeric
//! components of the literal (`^1.2.3` is below `2.0.0`, `~1.2` below `1.3.0`);
//! pre-release subtleties of each tool (npm excluding pre-releases of other
//! versions from ranges) are not modelled: `to` is a released fix version.
//!
//! No crate covers all these syntaxes with byte positions (the `semver` crate
//! parses Cargo requirements without positions and normalises them on display;
//! `pep440_rs` does the same for PEP 440), so the reading here is hand-written
//! and comparison is left to `cverun_versions`.

use std::cmp::Ordering;
use std::ops::Range;

use cverun_versions::{SchemeKind, compare};

/// The requirement syntax of a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// PEP 440 specifier sets (`>=2.0,<3`, `==2.27.1`, `~=2.27`).
    Pep440,
    /// npm ranges (`^4.17.11`, `~1.2.3`, `>=1 <2 || 3.x`, `1.2.3 - 1.4`).
    Npm,
    /// Cargo requirements (`1.2`, `=1.2.3`, `>=1, <2`, `~1.2`).
    Cargo,
    /// Composer constraints (`^5.4`, `~1.2`, `>=1.0 <2.0 || ^3`).
    Composer,
    /// Poetry constraints (`^2.27`, `~2.27.1`, `>=2.0,<3`, `2.27.1`), PEP 440 versions.
    Poetry,
    /// RubyGems requirement arguments, quoted as in a Gemfile
    /// (`'~> 1.2', '>= 1.2.3'`).
    RubyGems,
    /// Go's minimum version (`v1.2.3`).
    Go,
    /// Maven versions: a soft version (`1.2`) or a bracket range (`[1.0,2.0)`).
    Maven,
    /// NuGet versions: a minimum (`1.2`) or a bracket range (`[1.2.3]`).
    NuGet,
}

/// What a clause says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// Exactly this version (`==`, `=`, an npm bare version, `[1.2]`).
    Eq,
    /// PEP 440 `===`: the same string.
    Arbitrary,
    /// `>=`, and minimums (Go, NuGet bare, Maven soft).
    Ge,
    /// `>`.
    Gt,
    /// `<=`.
    Le,
    /// `<`.
    Lt,
    /// `!=`.
    Ne,
    /// `~=`, `~>`, Composer's `~`: at least this, same release but the last component.
    Compatible,
    /// `^` (npm, Cargo, Composer) and Cargo's bare requirement.
    Caret,
    /// npm's and Cargo's `~`: at least this, same minor (same major with one component).
    Tilde,
    /// Versions starting with these numeric components (`==2.27.*`, `2.x`, `1.*`).
    Prefix,
    /// None of the versions starting with these components (`!=2.27.*`).
    NotPrefix,
}

impl Op {
    /// A clause that sets only a floor.
    fn pure_floor(self) -> bool {
        matches!(self, Op::Ge | Op::Gt)
    }

    /// A clause that sets a floor and a ceiling with one literal.
    fn bounded_floor(self) -> bool {
        matches!(
            self,
            Op::Eq | Op::Arbitrary | Op::Compatible | Op::Caret | Op::Tilde
        )
    }
}

/// One clause: an operator and a version literal, with positions in the spec.
#[derive(Clone, Debug)]
struct Clause {
    op: Op,
    /// Byte range of the operator in the spec (empty for a bare version).
    op_span: Range<usize>,
    /// Byte range of the version literal in the spec.
    span: Range<usize>,
}

/// A requirement read as alternatives (`||`) of clause sets (all must hold).
#[derive(Debug)]
struct Requirement {
    alternatives: Vec<Vec<Clause>>,
}

/// What raising a requirement gives.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Raised {
    /// The requirement names no version, or only one that already allows `to`
    /// without a floor to raise (`*`, `2.x`): nothing to change here.
    NoFloor,
    /// Its floor is already `to` or above.
    AlreadyFixed,
    /// It does not allow the installed version: it is not what was installed.
    NotInstalled,
    /// The new requirement text, with a note when more than the version changed.
    Changed {
        /// The requirement with its floor raised.
        text: String,
        /// The replacements (byte ranges of the old requirement) that make it.
        splices: Vec<(Range<usize>, String)>,
        /// What else the change means (`>` became `>=`, an upper bound narrowed).
        note: Option<String>,
    },
}

/// Raises `spec` (of `syntax`, versions of `scheme`) from `from` to `to`. `Err`
/// says why it cannot be done, in words that fit after "the requirement ...".
pub(crate) fn raise(
    syntax: Syntax,
    scheme: SchemeKind,
    spec: &str,
    from: &str,
    to: &str,
) -> Result<Raised, String> {
    let req = read(syntax, spec)?;
    if req.alternatives.iter().all(Vec::is_empty) {
        return Ok(Raised::NoFloor);
    }
    let ctx = Ctx {
        syntax,
        scheme,
        spec,
    };
    let mut splices: Vec<(Range<usize>, String)> = Vec::new();
    let mut notes = Vec::new();
    let mut allowed_from = false;
    let mut changed_any = false;
    for clauses in &req.alternatives {
        if !ctx.allows_all(clauses, from)? {
            if req.alternatives.len() > 1 && ctx.floor_below(clauses, to)? {
                return Err(format!(
                    "{:?} has an alternative ({}) that still allows versions below {to}",
                    spec,
                    ctx.describe(clauses)
                ));
            }
            continue;
        }
        allowed_from = true;
        let (alt_splices, alt_notes) = ctx.raise_clauses(clauses, to)?;
        changed_any |= !alt_splices.is_empty();
        splices.extend(alt_splices);
        notes.extend(alt_notes);
    }
    if !allowed_from {
        // A requirement already raised by hand (`==2.31.0` while 2.27.1 is
        // installed) is fixed here; the lockfile step catches up.
        let ctx = Ctx {
            syntax,
            scheme,
            spec,
        };
        for clauses in &req.alternatives {
            if ctx.first_excluding(clauses, to)?.is_none() && !ctx.floor_below(clauses, to)? {
                return Ok(Raised::AlreadyFixed);
            }
        }
        return Ok(Raised::NotInstalled);
    }
    let text = splice(spec, &mut splices);
    // The result must allow `to`, read again from its own text.
    let again = read(syntax, &text)?;
    let ctx2 = Ctx {
        syntax,
        scheme,
        spec: &text,
    };
    let mut excluding = None;
    let mut allows = false;
    for clauses in &again.alternatives {
        match ctx2.first_excluding(clauses, to)? {
            None => allows = true,
            Some(c) => excluding = excluding.or(Some(c)),
        }
    }
    if !allows {
        let what = excluding.unwrap_or_else(|| text.clone());
        return Err(format!(
            "{spec:?} does not allow {to}: `{what}` excludes it"
        ));
    }
    if !changed_any {
        let has_floor = req
            .alternatives
            .iter()
            .flatten()
            .any(|c| c.op.pure_floor() || c.op.bounded_floor());
        return Ok(if has_floor {
            Raised::AlreadyFixed
        } else {
            Raised::NoFloor
        });
    }
    let note = (!notes.is_empty()).then(|| notes.join("; "));
    Ok(Raised::Changed {
        text,
        splices,
        note,
    })
}

/// Whether `spec` allows `version` (some alternative does); `Err` when the
/// requirement cannot be read.
pub(crate) fn allows(
    syntax: Syntax,
    scheme: SchemeKind,
    spec: &str,
    version: &str,
) -> Result<bool, String> {
    let req = read(syntax, spec)?;
    let ctx = Ctx {
        syntax,
        scheme,
        spec,
    };
    for clauses in &req.alternatives {
        if ctx.allows_all(clauses, version)? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Applies byte-range replacements (non-overlapping) to `text`.
pub(crate) fn splice(text: &str, splices: &mut [(Range<usize>, String)]) -> String {
    splices.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len() + 16);
    let mut at = 0;
    for (range, with) in splices.iter() {
        out.push_str(&text[at..range.start]);
        out.push_str(with);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

struct Ctx<'a> {
    syntax: Syntax,
    scheme: SchemeKind,
    spec: &'a str,
}

impl Ctx<'_> {
    fn literal<'s>(&'s self, c: &Clause) -> &'s str {
        &self.spec[c.span.clone()]
    }

    fn describe(&self, clauses: &[Clause]) -> String {
        let start = clauses
            .first()
            .map_or(0, |c| c.op_span.start.min(c.span.start));
        let end = clauses.last().map_or(0, |c| c.span.end);
        self.spec[start..end].to_owned()
    }

    /// Whether every clause allows `version`.
    fn allows_all(&self, clauses: &[Clause], version: &str) -> Result<bool, String> {
        for c in clauses {
            if !self.allows(c, version)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The text of the first clause that does not allow `version`.
    fn first_excluding(&self, clauses: &[Clause], version: &str) -> Result<Option<String>, String> {
        for c in clauses {
            if !self.allows(c, version)? {
                let start = c.op_span.start.min(c.span.start);
                let end = c.span.end.max(c.op_span.end);
                let mut text = self.spec[start..end].to_owned();
                if matches!(c.op, Op::Prefix | Op::NotPrefix) && self.spec[end..].starts_with(".*")
                {
                    text.push_str(".*");
                }
                return Ok(Some(text));
            }
        }
        Ok(None)
    }

    /// Whether some floor of the clause set is below `to` (or it has none).
    fn floor_below(&self, clauses: &[Clause], to: &str) -> Result<bool, String> {
        let mut floor_ok = false;
        for c in clauses {
            if (c.op.pure_floor() || c.op.bounded_floor())
                && self.cmp(self.literal(c), to)? != Ordering::Less
            {
                floor_ok = true;
            }
        }
        Ok(!floor_ok)
    }

    fn cmp(&self, a: &str, b: &str) -> Result<Ordering, String> {
        let a = comparable(self.syntax, a);
        let b = comparable(self.syntax, b);
        compare(self.scheme, &a, &b).map_err(|e| e.to_string())
    }

    /// Whether clause `c` allows `v`.
    fn allows(&self, c: &Clause, v: &str) -> Result<bool, String> {
        let lit = self.literal(c);
        let ord = |s: &Self| s.cmp(v, lit);
        Ok(match c.op {
            Op::Eq => ord(self)? == Ordering::Equal,
            Op::Arbitrary => v.eq_ignore_ascii_case(lit),
            Op::Ge => ord(self)? != Ordering::Less,
            Op::Gt => ord(self)? == Ordering::Greater,
            Op::Lt => ord(self)? == Ordering::Less,
            Op::Le => {
                ord(self)? != Ordering::Greater
                    || (is_partial(self.syntax, lit) && prefix_match(lit, v))
            }
            Op::Ne => ord(self)? != Ordering::Equal,
            Op::Prefix => prefix_match(lit, v),
            Op::NotPrefix => !prefix_match(lit, v),
            Op::Compatible | Op::Caret | Op::Tilde => {
                let Some(upper) = ceiling(c.op, lit) else {
                    return Err(format!("cannot read the version {lit:?}"));
                };
                ord(self)? != Ordering::Less && self.cmp(v, &upper)? == Ordering::Less
            }
        })
    }

    /// The replacements that raise the floor of one clause set to `to`.
    #[allow(clippy::type_complexity)]
    fn raise_clauses(
        &self,
        clauses: &[Clause],
        to: &str,
    ) -> Result<(Vec<(Range<usize>, String)>, Vec<String>), String> {
        let mut splices = Vec::new();
        let mut notes = Vec::new();
        let has_pure_floor = clauses.iter().any(|c| c.op.pure_floor());
        for c in clauses {
            let lit = self.literal(c);
            let raise_it = if c.op.pure_floor() {
                self.cmp(lit, to)? == Ordering::Less
                    || (c.op == Op::Gt && self.cmp(lit, to)? == Ordering::Equal)
            } else if matches!(c.op, Op::Eq | Op::Arbitrary) {
                // An exact version other than `to` never allows it.
                self.cmp(lit, to)? == Ordering::Less
            } else if c.op.bounded_floor() {
                !has_pure_floor && self.cmp(lit, to)? == Ordering::Less
            } else {
                false
            };
            if !raise_it {
                continue;
            }
            let (literal, note) = self.new_literal(c.op, lit, to);
            if c.op == Op::Gt {
                let inclusive = match self.syntax {
                    Syntax::Maven | Syntax::NuGet => "[",
                    _ => ">=",
                };
                splices.push((c.op_span.clone(), inclusive.to_owned()));
                notes.push(format!(
                    "the exclusive floor {lit} became the inclusive {literal}, so that {to} is allowed"
                ));
            }
            if let Some(n) = note {
                notes.push(n);
            }
            splices.push((c.span.clone(), literal));
        }
        Ok((splices, notes))
    }

    /// The literal that replaces `old` for `to`, spelled as `old` is (a leading
    /// `v`, the component count of `~=`/`~>`/Composer `~`).
    fn new_literal(&self, op: Op, old: &str, to: &str) -> (String, Option<String>) {
        let bare_to = to.strip_prefix(['v', 'V']).unwrap_or(to);
        let v_prefix = match self.syntax {
            Syntax::Go => Some("v"),
            _ => old.starts_with(['v', 'V']).then(|| &old[..1]),
        };
        let mut note = None;
        let mut body = bare_to.to_owned();
        if op == Op::Compatible {
            let count = numeric_components(old).len();
            match keep_components(bare_to, count) {
                Some(kept) => body = kept,
                None => {
                    let upper = ceiling(Op::Compatible, bare_to).unwrap_or_default();
                    note = Some(format!(
                        "the upper bound narrows to below {upper}: {to} needs all its components"
                    ));
                }
            }
        }
        match v_prefix {
            Some(v) => (format!("{v}{body}"), note),
            None => (body, note),
        }
    }
}

/// `version` written with `count` numeric components when that loses nothing
/// (dropped components are zero, no suffix) or only pads with zeros.
fn keep_components(version: &str, count: usize) -> Option<String> {
    let comps = numeric_components(version);
    let release_len: usize =
        comps.iter().map(String::len).sum::<usize>() + comps.len().saturating_sub(1);
    if release_len != version.len() || count == 0 {
        return None;
    }
    if comps.len() <= count {
        let mut out = comps.clone();
        out.resize(count, "0".to_owned());
        return Some(out.join("."));
    }
    if comps[count..].iter().all(|c| c.chars().all(|ch| ch == '0')) {
        return Some(comps[..count].join("."));
    }
    None
}

/// The leading numeric components of a version (`v1.2.3-rc1` gives 1, 2, 3).
fn numeric_components(version: &str) -> Vec<String> {
    let v = version.strip_prefix(['v', 'V']).unwrap_or(version);
    let mut out = Vec::new();
    for part in v.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        if digits.is_empty() {
            break;
        }
        let whole = digits.len() == part.len();
        out.push(digits);
        if !whole {
            break;
        }
    }
    out
}

/// The exclusive ceiling a `~=`/`~>`, `^` or `~` literal implies.
fn ceiling(op: Op, literal: &str) -> Option<String> {
    let comps: Vec<u64> = numeric_components(literal)
        .iter()
        .map(|c| c.parse().ok())
        .collect::<Option<_>>()?;
    if comps.is_empty() {
        return None;
    }
    let mut upper: Vec<u64> = match op {
        Op::Compatible => {
            let keep = comps.len().saturating_sub(1).max(1);
            let mut u = comps[..keep].to_vec();
            *u.last_mut()? += 1;
            u
        }
        Op::Tilde => {
            if comps.len() >= 2 {
                vec![comps[0], comps[1] + 1]
            } else {
                vec![comps[0] + 1]
            }
        }
        Op::Caret => {
            let first = comps
                .iter()
                .position(|&c| c != 0)
                .unwrap_or(comps.len() - 1);
            let mut u = comps[..=first].to_vec();
            *u.last_mut()? += 1;
            u
        }
        _ => return None,
    };
    while upper.len() < 3 {
        upper.push(0);
    }
    Some(
        upper
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join("."),
    )
}

/// Whether `v` starts with the numeric components of `prefix` (`2.27` for `2.27.*`).
fn prefix_match(prefix: &str, v: &str) -> bool {
    let p = numeric_components(prefix);
    let c = numeric_components(v);
    c.len() >= p.len()
        && p.iter()
            .zip(&c)
            .all(|(a, b)| a.parse::<u64>().ok() == b.parse::<u64>().ok())
}

/// Whether a literal names fewer components than the scheme's full version.
fn is_partial(syntax: Syntax, literal: &str) -> bool {
    matches!(
        syntax,
        Syntax::Npm | Syntax::Cargo | Syntax::Composer | Syntax::Poetry
    ) && numeric_components(literal).len() < 3
}

/// A literal as the scheme parses it: SemVer-based syntaxes pad partial versions
/// (`1.2` is `1.2.0`); Go versions get their `v`.
fn comparable(syntax: Syntax, literal: &str) -> String {
    match syntax {
        Syntax::Npm | Syntax::Cargo => {
            let bare = literal.strip_prefix(['v', 'V']).unwrap_or(literal);
            let comps = numeric_components(bare);
            let release: usize =
                comps.iter().map(String::len).sum::<usize>() + comps.len().saturating_sub(1);
            let rest = &bare[release.min(bare.len())..];
            if comps.len() < 3 && !comps.is_empty() {
                let mut c = comps.clone();
                c.resize(3, "0".to_owned());
                format!("{}{rest}", c.join("."))
            } else {
                bare.to_owned()
            }
        }
        Syntax::Go if !literal.starts_with('v') => format!("v{literal}"),
        _ => literal.to_owned(),
    }
}

/// Reads `spec` in `syntax`. `Err` when it is not a version requirement at all
/// (a URL, a tag, a git reference) or cannot be read.
fn read(syntax: Syntax, spec: &str) -> Result<Requirement, String> {
    match syntax {
        Syntax::Pep440 => read_pep440(spec),
        Syntax::Npm => read_ranges(spec, Syntax::Npm),
        Syntax::Composer => read_ranges(spec, Syntax::Composer),
        Syntax::Poetry => read_ranges(spec, Syntax::Poetry),
        Syntax::Cargo => read_cargo(spec),
        Syntax::RubyGems => read_ruby(spec),
        Syntax::Go => read_go(spec),
        Syntax::Maven | Syntax::NuGet => read_bracket(spec, syntax),
    }
}

/// Splits `s` on `sep`, giving each part's byte range (untrimmed).
fn parts(s: &str, sep: &str, base: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = s[at..].find(sep) {
        out.push(base + at..base + at + i);
        at += i + sep.len();
    }
    out.push(base + at..base + s.len());
    out
}

/// The range of `r` in `s` without surrounding white space.
fn trim_range(s: &str, r: Range<usize>) -> Range<usize> {
    let part = &s[r.clone()];
    let start = r.start + (part.len() - part.trim_start().len());
    let end = r.end - (part.len() - part.trim_end().len());
    start..end.max(start)
}

/// Reads an operator from the start of `s[r]` among `ops` (longest first), then
/// the literal after optional white space.
fn op_and_literal(s: &str, r: Range<usize>, ops: &[&str]) -> (Range<usize>, Range<usize>) {
    let text = &s[r.clone()];
    let op = ops
        .iter()
        .find(|o| text.starts_with(**o))
        .copied()
        .unwrap_or("");
    let op_span = r.start..r.start + op.len();
    let lit = trim_range(s, op_span.end..r.end);
    (op_span, lit)
}

fn version_like(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
        || (s.starts_with(['v', 'V']) && s[1..].starts_with(|c: char| c.is_ascii_digit()))
}

fn read_pep440(spec: &str) -> Result<Requirement, String> {
    let mut clauses = Vec::new();
    if spec.trim().is_empty() || spec.trim() == "*" {
        return Ok(Requirement {
            alternatives: vec![clauses],
        });
    }
    for part in parts(spec, ",", 0) {
        let part = trim_range(spec, part);
        if part.is_empty() {
            return Err(format!("{spec:?} has an empty clause"));
        }
        let (op_span, span) =
            op_and_literal(spec, part, &["===", "==", "~=", "!=", "<=", ">=", "<", ">"]);
        let op_text = &spec[op_span.clone()];
        let lit = &spec[span.clone()];
        if op_text.is_empty() {
            return Err(format!("{spec:?} has a clause without an operator"));
        }
        let wildcard = lit.ends_with(".*");
        let op = match (op_text, wildcard) {
            ("===", _) => Op::Arbitrary,
            ("==", false) => Op::Eq,
            ("==", true) => Op::Prefix,
            ("!=", false) => Op::Ne,
            ("!=", true) => Op::NotPrefix,
            ("~=", _) => Op::Compatible,
            ("<=", _) => Op::Le,
            (">=", _) => Op::Ge,
            ("<", _) => Op::Lt,
            (">", _) => Op::Gt,
            _ => return Err(format!("{spec:?}: unknown operator {op_text:?}")),
        };
        let span = if wildcard {
            span.start..span.end - 2
        } else {
            span
        };
        if !version_like(&spec[span.clone()]) && op != Op::Arbitrary {
            return Err(format!("{spec:?}: {:?} is not a version", &spec[span]));
        }
        clauses.push(Clause { op, op_span, span });
    }
    Ok(Requirement {
        alternatives: vec![clauses],
    })
}

/// npm and Composer ranges: `||` alternatives (Composer also `|`), clauses
/// separated by white space (Composer also `,`), hyphen ranges.
fn read_ranges(spec: &str, syntax: Syntax) -> Result<Requirement, String> {
    let trimmed = spec.trim();
    if trimmed.is_empty() || trimmed == "*" || trimmed == "latest" || trimmed == "x" {
        return Ok(Requirement {
            alternatives: vec![Vec::new()],
        });
    }
    let mut alternatives = Vec::new();
    let alt_ranges = if syntax == Syntax::Composer && !spec.contains("||") {
        parts(spec, "|", 0)
    } else {
        parts(spec, "||", 0)
    };
    for alt in alt_ranges {
        let commas = matches!(syntax, Syntax::Composer | Syntax::Poetry);
        let mut tokens = tokens(spec, alt.clone(), commas);
        let mut clauses = Vec::new();
        // Operators written apart from their version (`>= 1.2.3`) join it.
        let mut i = 0;
        while i < tokens.len() {
            let t = &spec[tokens[i].clone()];
            if matches!(
                t,
                ">=" | "<=" | ">" | "<" | "=" | "==" | "^" | "~" | "~=" | "!="
            ) && i + 1 < tokens.len()
            {
                let next = tokens.remove(i + 1);
                tokens[i] = tokens[i].start..next.end;
            }
            i += 1;
        }
        let mut i = 0;
        while i < tokens.len() {
            if i + 2 < tokens.len() && &spec[tokens[i + 1].clone()] == "-" {
                // Hyphen range `a - b`: `>=a` and `<=b` (a partial `b` allows its prefix).
                let a = tokens[i].clone();
                let b = tokens[i + 2].clone();
                clauses.push(bare_clause(spec, a, Op::Ge)?);
                clauses.push(bare_clause(spec, b, Op::Le)?);
                i += 3;
                continue;
            }
            let tok = tokens[i].clone();
            if let Some(c) = range_clause(spec, tok, syntax)? {
                clauses.push(c);
            }
            i += 1;
        }
        alternatives.push(clauses);
    }
    Ok(Requirement { alternatives })
}

/// Tokens of `spec[r]` separated by white space (and commas when `commas`).
fn tokens(spec: &str, r: Range<usize>, commas: bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, ch) in spec[r.clone()].char_indices() {
        let sep = ch.is_whitespace() || (commas && ch == ',');
        match (sep, start) {
            (true, Some(s)) => {
                out.push(r.start + s..r.start + i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(r.start + s..r.end);
    }
    out
}

fn bare_clause(spec: &str, r: Range<usize>, op: Op) -> Result<Clause, String> {
    let lit = &spec[r.clone()];
    if !version_like(lit) {
        return Err(format!("{spec:?}: {lit:?} is not a version"));
    }
    Ok(Clause {
        op,
        op_span: r.start..r.start,
        span: r,
    })
}

/// Is `lit` an x-range (`1.x`, `1.2.*`, `1`, `1.2` as a bare npm version)?
fn x_range(lit: &str) -> Option<usize> {
    let bare = lit.strip_prefix(['v', 'V']).unwrap_or(lit);
    let mut n = 0;
    for part in bare.split('.') {
        if matches!(part, "x" | "X" | "*") {
            return Some(n);
        }
        if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        n += 1;
    }
    (n < 3).then_some(n)
}

fn range_clause(spec: &str, tok: Range<usize>, syntax: Syntax) -> Result<Option<Clause>, String> {
    let text = &spec[tok.clone()];
    if matches!(text, "*" | "x" | "X") {
        return Ok(None);
    }
    // Composer stability flags (`@dev`, `@stable`) do not move the floor.
    let tok = match (syntax, text.find('@')) {
        (Syntax::Composer, Some(i)) if i > 0 => tok.start..tok.start + i,
        _ => tok,
    };
    let (op_span, span) = op_and_literal(
        spec,
        tok,
        &[">=", "<=", "!=", "==", "~=", ">", "<", "=", "^", "~"],
    );
    let op_text = &spec[op_span.clone()];
    let lit = &spec[span.clone()];
    if !version_like(lit) {
        return Err(format!("{spec:?} is not a version range ({lit:?})"));
    }
    if let Some(n) = x_range(lit) {
        let explicit_wildcard = lit.contains(['x', 'X', '*']);
        let prefix_end = span.start + numeric_prefix_len(lit, n);
        let prefix = span.start..prefix_end;
        let op = match op_text {
            "" | "=" | "==" if explicit_wildcard || syntax == Syntax::Npm => Op::Prefix,
            "" | "=" | "==" => Op::Eq,
            ">=" => Op::Ge,
            ">" if explicit_wildcard => {
                return Err(format!("{spec:?}: cannot read {text:?}"));
            }
            ">" => Op::Gt,
            "<" => Op::Lt,
            "<=" => Op::Le,
            "!=" => Op::Ne,
            "^" => Op::Caret,
            "~" if syntax == Syntax::Composer => Op::Compatible,
            "~" => Op::Tilde,
            "~=" => Op::Compatible,
            _ => return Err(format!("{spec:?}: cannot read {text:?}")),
        };
        if n == 0 {
            return Ok(None);
        }
        let span = if explicit_wildcard { prefix } else { span };
        return Ok(Some(Clause { op, op_span, span }));
    }
    let op = match op_text {
        "" | "=" | "==" => Op::Eq,
        ">=" => Op::Ge,
        ">" => Op::Gt,
        "<" => Op::Lt,
        "<=" => Op::Le,
        "!=" => Op::Ne,
        "^" => Op::Caret,
        "~" if syntax == Syntax::Composer => Op::Compatible,
        "~" => Op::Tilde,
        "~=" => Op::Compatible,
        _ => return Err(format!("{spec:?}: cannot read {text:?}")),
    };
    Ok(Some(Clause { op, op_span, span }))
}

/// Length of the text of the first `n` numeric components of `lit` (with its `v`).
fn numeric_prefix_len(lit: &str, n: usize) -> usize {
    let v = usize::from(lit.starts_with(['v', 'V']));
    let comps = numeric_components(lit);
    let len: usize = comps.iter().take(n).map(String::len).sum::<usize>() + n.saturating_sub(1);
    v + len
}

fn read_cargo(spec: &str) -> Result<Requirement, String> {
    let trimmed = spec.trim();
    if trimmed.is_empty() || trimmed == "*" {
        return Ok(Requirement {
            alternatives: vec![Vec::new()],
        });
    }
    let mut clauses = Vec::new();
    for part in parts(spec, ",", 0) {
        let part = trim_range(spec, part);
        let (op_span, span) = op_and_literal(spec, part, &[">=", "<=", ">", "<", "=", "^", "~"]);
        let op_text = &spec[op_span.clone()];
        let lit = &spec[span.clone()];
        if !version_like(lit) {
            return Err(format!("{spec:?} is not a Cargo version requirement"));
        }
        if lit.contains(['*', 'x', 'X']) {
            let n = x_range(lit).ok_or_else(|| format!("{spec:?}: cannot read {lit:?}"))?;
            if n > 0 {
                let prefix = span.start..span.start + numeric_prefix_len(lit, n);
                clauses.push(Clause {
                    op: Op::Prefix,
                    op_span,
                    span: prefix,
                });
            }
            continue;
        }
        let op = match op_text {
            "" | "^" => Op::Caret,
            "=" => Op::Eq,
            ">=" => Op::Ge,
            ">" => Op::Gt,
            "<" => Op::Lt,
            "<=" => Op::Le,
            "~" => Op::Tilde,
            _ => return Err(format!("{spec:?}: cannot read {op_text:?}")),
        };
        // `=1.2` is a prefix in Cargo (any 1.2.x).
        let op = if op == Op::Eq && numeric_components(lit).len() < 3 {
            Op::Prefix
        } else {
            op
        };
        clauses.push(Clause { op, op_span, span });
    }
    Ok(Requirement {
        alternatives: vec![clauses],
    })
}

fn read_ruby(spec: &str) -> Result<Requirement, String> {
    let mut clauses = Vec::new();
    for part in parts(spec, ",", 0) {
        let part = trim_range(spec, part);
        let text = &spec[part.clone()];
        let quoted = text.len() >= 2
            && ((text.starts_with('\'') && text.ends_with('\''))
                || (text.starts_with('"') && text.ends_with('"')));
        if !quoted {
            return Err(format!("{spec:?}: {text:?} is not a quoted requirement"));
        }
        let inner = trim_range(spec, part.start + 1..part.end - 1);
        let (op_span, span) = op_and_literal(spec, inner, &["~>", ">=", "<=", "!=", ">", "<", "="]);
        let lit = &spec[span.clone()];
        if !version_like(lit) {
            return Err(format!("{spec:?} is not a RubyGems requirement"));
        }
        let op = match &spec[op_span.clone()] {
            "" | "=" => Op::Eq,
            "~>" => Op::Compatible,
            ">=" => Op::Ge,
            ">" => Op::Gt,
            "<" => Op::Lt,
            "<=" => Op::Le,
            "!=" => Op::Ne,
            other => return Err(format!("{spec:?}: cannot read {other:?}")),
        };
        clauses.push(Clause { op, op_span, span });
    }
    Ok(Requirement {
        alternatives: vec![clauses],
    })
}

fn read_go(spec: &str) -> Result<Requirement, String> {
    let span = trim_range(spec, 0..spec.len());
    if !version_like(&spec[span.clone()]) {
        return Err(format!("{spec:?} is not a Go module version"));
    }
    Ok(Requirement {
        alternatives: vec![vec![Clause {
            op: Op::Ge,
            op_span: span.start..span.start,
            span,
        }]],
    })
}

/// Maven and NuGet: a bare version (Maven's soft requirement, NuGet's minimum:
/// both a floor) or one bracket range (`[1.2]`, `[1.0,2.0)`, `(,2.0]`).
fn read_bracket(spec: &str, syntax: Syntax) -> Result<Requirement, String> {
    let whole = trim_range(spec, 0..spec.len());
    let text = &spec[whole.clone()];
    if text.is_empty() {
        return Ok(Requirement {
            alternatives: vec![Vec::new()],
        });
    }
    let name = if syntax == Syntax::Maven {
        "Maven"
    } else {
        "NuGet"
    };
    if !text.starts_with(['[', '(']) {
        if !version_like(text) {
            return Err(format!("{spec:?} is not a {name} version"));
        }
        return Ok(Requirement {
            alternatives: vec![vec![Clause {
                op: Op::Ge,
                op_span: whole.start..whole.start,
                span: whole,
            }]],
        });
    }
    let open = text.as_bytes()[0];
    let close = *text.as_bytes().last().unwrap_or(&b' ');
    if !matches!(close, b']' | b')') || text[1..text.len() - 1].contains(['[', ']', '(', ')']) {
        return Err(format!(
            "{spec:?} is not one {name} version range (several ranges are not rewritten)"
        ));
    }
    let inner = whole.start + 1..whole.end - 1;
    let pieces = parts(&spec[inner.clone()], ",", inner.start);
    let mut clauses = Vec::new();
    match pieces.as_slice() {
        [one] => {
            let span = trim_range(spec, one.clone());
            if open != b'[' || close != b']' {
                return Err(format!("{spec:?} is not a {name} version range"));
            }
            clauses.push(Clause {
                op: Op::Eq,
                op_span: span.start..span.start,
                span,
            });
        }
        [low, high] => {
            let low = trim_range(spec, low.clone());
            let high = trim_range(spec, high.clone());
            if !low.is_empty() {
                clauses.push(Clause {
                    op: if open == b'[' { Op::Ge } else { Op::Gt },
                    op_span: whole.start..whole.start + 1,
                    span: low,
                });
            }
            if !high.is_empty() {
                clauses.push(Clause {
                    op: if close == b']' { Op::Le } else { Op::Lt },
                    op_span: whole.end - 1..whole.end,
                    span: high,
                });
            }
        }
        _ => return Err(format!("{spec:?} is not a {name} version range")),
    }
    for c in &clauses {
        if !version_like(&spec[c.span.clone()]) {
            return Err(format!("{spec:?} is not a {name} version range"));
        }
    }
    Ok(Requirement {
        alternatives: vec![clauses],
    })
}

#[cfg(test)]
mod tests;
