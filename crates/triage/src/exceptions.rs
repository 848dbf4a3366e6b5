//! Exceptions: a team accepts the risk of one vulnerability, for a limited time.
//!
//! An exception names a vulnerability by its advisory id or any of its aliases (GHSA,
//! CVE, PYSEC, RUSTSEC, GO, ...), optionally only for one package and/or one
//! service, with a justification, mitigations, an owner, an approver, the day it was
//! approved and the last day it is valid. While it is in force, a matching finding is
//! moved to the "suppressed" list (still shown, with who accepted it and until when).
//!
//! Exceptions fail closed: an entry with any problem, an expired entry, one approved
//! for longer than the policy allows for the finding's level
//! ([`crate::policy::Policy::exception_max_days`]) or one not yet in force suppresses
//! nothing, and the reason is reported with the file and line of the entry.
//!
//! They are read from a standalone `cverun-exceptions.toml` ([`Exceptions::parse`]) or
//! from the `[[exception]]` entries of `cverun.toml` ([`Exceptions::parse_section`]):
//!
//! ```toml
//! [[exception]]
//! id = "GHSA-6757-jp84-gxfx"          # required: advisory id or any alias
//! package = "PyPI/pyyaml"              # optional: "<OSV ecosystem>/<name>" or a bare name
//! service = "storefront"               # optional: one service
//! justification = "Only loads our own signed config files"   # required
//! mitigations = ["config files are signed", "WAF rule 42"]    # optional
//! owner = "team-storefront"            # required
//! approved_by = "security@example.com" # required
//! approved_on = 2026-11-20             # required: a date, or "YYYY-MM-DD"
//! expires = 2026-12-20                 # required: last day it is valid
//! review = 2026-12-05                  # optional re-review date
//! ticket = "SEC-1234"                  # optional
//! ```
//!
//! Two levels of errors: a file that cannot be read as exceptions at all is an
//! [`ExceptionsError`]; a bad entry is kept with its [`Exception::problems`] (every
//! problem with its own line), never suppresses anything, and is reported by [`check`]
//! and by [`Exception::standing`].
//!
//! Pure: nothing here reads files or the clock; the current date is passed in.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use cverun_versions::{Ecosystem, normalize_name};
use jiff::civil::Date;
use serde::Serialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::policy::{ExceptionDays, Level};

/// The name of a standalone exceptions file.
pub const FILE_NAME: &str = "cverun-exceptions.toml";

/// The keys an `[[exception]]` entry may have.
pub const KEYS: [&str; 11] = [
    "id",
    "package",
    "service",
    "justification",
    "mitigations",
    "owner",
    "approved_by",
    "approved_on",
    "expires",
    "review",
    "ticket",
];

/// A file that cannot be read as exceptions at all (not TOML, `exception` not an
/// array of tables, an unknown top-level key in a standalone file).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ExceptionsError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

/// One thing wrong with an entry, at its line.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Problem {
    /// 1-based line of the key or value at fault (the entry's own line for a missing
    /// key or a conflict between two keys).
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Exceptions read from one or more files.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Exceptions {
    /// The files read, in order.
    pub sources: Vec<PathBuf>,
    /// Every entry, in file order (entries with problems included).
    pub entries: Vec<Exception>,
}

/// One `[[exception]]` entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exception {
    /// The file it comes from.
    pub path: PathBuf,
    /// 1-based line of its `[[exception]]` header (or of its opening `{` in an inline
    /// array).
    pub line: u32,
    /// The advisory id or alias (`""` when missing: see `problems`).
    pub id: String,
    /// Package scope: `<OSV ecosystem>/<name>` or a bare name.
    pub package: Option<String>,
    /// Service scope.
    pub service: Option<String>,
    /// Why the risk is accepted.
    pub justification: String,
    /// What reduces the risk meanwhile.
    pub mitigations: Vec<String>,
    /// Who answers for it.
    pub owner: String,
    /// Who approved it.
    pub approved_by: String,
    /// When it was approved (`None` only when missing or unreadable: see `problems`).
    pub approved_on: Option<Date>,
    /// The last day it is valid (`None` only when missing or unreadable).
    pub expires: Option<Date>,
    /// When it must be reviewed again.
    pub review: Option<Date>,
    /// A ticket or other reference.
    pub ticket: Option<String>,
    /// Everything wrong with it; an entry with problems never suppresses anything.
    pub problems: Vec<Problem>,
}

impl Exceptions {
    /// Reads a standalone exceptions file (`cverun-exceptions.toml`): only
    /// `[[exception]]` entries are allowed at the top level.
    pub fn parse(path: &Path, text: &str) -> Result<Exceptions, ExceptionsError> {
        parse_text(path, text, true)
    }

    /// Reads the `[[exception]]` entries of a `cverun.toml` (the whole file's text);
    /// every other top-level key is ignored. No `exception` key: no exceptions.
    pub fn parse_section(path: &Path, text: &str) -> Result<Exceptions, ExceptionsError> {
        parse_text(path, text, false)
    }

    /// Adds the entries of `other` after these; every entry keeps its own path.
    pub fn merge(&mut self, other: Exceptions) {
        self.sources.extend(other.sources);
        self.entries.extend(other.entries);
    }

    /// True when there is no entry at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries that name one of `ids` (the finding's id and all its aliases) and
    /// whose package and service scopes, when given, cover the finding's `ecosystem`
    /// (OSV spelling), `package` and `service`. Ids match exactly, except CVE ids,
    /// which match in any case. Entries with problems are included (they will not
    /// suppress, but the caller reports them); in file order.
    pub fn matching<'a>(
        &'a self,
        ids: &[&str],
        ecosystem: &str,
        package: &str,
        service: &str,
    ) -> Vec<&'a Exception> {
        self.entries
            .iter()
            .filter(|e| e.covers(ids, ecosystem, package, service))
            .collect()
    }
}

impl Exception {
    /// `path:line`.
    pub fn location(&self) -> String {
        format!("{}:{}", self.path.display(), self.line)
    }

    /// The scope in words: `GHSA-... for PyPI/pyyaml in storefront`.
    pub fn scope_text(&self) -> String {
        let mut s = if self.id.is_empty() {
            "(no id)".to_owned()
        } else {
            self.id.clone()
        };
        if let Some(p) = &self.package {
            s.push_str(&format!(" for {p}"));
        }
        if let Some(svc) = &self.service {
            s.push_str(&format!(" in {svc}"));
        }
        s
    }

    /// Whole days from `approved_on` to `expires`, when both are known.
    pub fn duration_days(&self) -> Option<i64> {
        let (a, e) = (self.approved_on?, self.expires?);
        Some(i64::from((e - a).get_days()))
    }

    /// True when this entry names one of `ids` and its scopes cover the finding.
    pub fn covers(&self, ids: &[&str], ecosystem: &str, package: &str, service: &str) -> bool {
        if self.id.is_empty() || !ids.iter().any(|i| same_id(&self.id, i)) {
            return false;
        }
        if let Some(svc) = &self.service {
            if svc != service {
                return false;
            }
        }
        match &self.package {
            Some(spec) => package_matches(spec, ecosystem, package),
            None => true,
        }
    }

    /// Where this exception stands on `today` for a finding at `level`, under the
    /// policy's longest exceptions `max`. Checked in this order: problems, not yet
    /// approved, expired, too long for the level, review due.
    pub fn standing(&self, today: Date, level: Level, max: &ExceptionDays) -> Standing {
        if !self.problems.is_empty() {
            return Standing::Invalid {
                problems: self.problems.clone(),
            };
        }
        let (Some(approved_on), Some(expires)) = (self.approved_on, self.expires) else {
            return Standing::Invalid {
                problems: vec![Problem {
                    line: self.line,
                    message: "`approved_on` and `expires` are required".into(),
                }],
            };
        };
        if approved_on > today {
            return Standing::NotYetApproved { approved_on };
        }
        if today > expires {
            return Standing::Expired { expires };
        }
        let days = self.duration_days().unwrap_or(i64::MAX);
        let limit = max.of(level);
        if days > i64::from(limit) {
            return Standing::TooLong {
                days,
                max: limit,
                level,
            };
        }
        if let Some(review) = self.review {
            if today > review {
                return Standing::ReviewDue { review };
            }
        }
        Standing::Active
    }

    /// True when this exception suppresses a finding at `level` on `today`
    /// ([`Standing::Active`] or [`Standing::ReviewDue`]).
    pub fn suppresses(&self, today: Date, level: Level, max: &ExceptionDays) -> bool {
        self.standing(today, level, max).suppresses()
    }

    /// The package scope read: the ecosystem when the text before the first `/` is an
    /// OSV ecosystem name (in any case), and the name.
    pub fn package_scope(&self) -> Option<(Option<Ecosystem>, &str)> {
        self.package.as_deref().map(split_package)
    }
}

/// Where an exception stands for one finding on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "standing", rename_all = "snake_case")]
pub enum Standing {
    /// In force: the finding is suppressed.
    Active,
    /// In force, but its review date has passed: suppressed, with a warning.
    ReviewDue {
        /// The review date that passed (not serialized: the entry's own `review`).
        #[serde(skip)]
        review: Date,
    },
    /// Past its last day: suppresses nothing; an error.
    Expired {
        /// The last day it was valid (not serialized: the entry's own `expires`).
        #[serde(skip)]
        expires: Date,
    },
    /// Approved for longer than the policy allows for the finding's level:
    /// suppresses nothing; an error.
    TooLong {
        /// Days from `approved_on` to `expires`.
        days: i64,
        /// The policy's limit for `level`.
        max: u32,
        /// The finding's level.
        level: Level,
    },
    /// `approved_on` is in the future: suppresses nothing; an error.
    NotYetApproved {
        /// The approval date.
        approved_on: Date,
    },
    /// The entry has problems: suppresses nothing; an error.
    Invalid {
        /// What is wrong with it.
        problems: Vec<Problem>,
    },
}

impl Standing {
    /// True for [`Standing::Active`] and [`Standing::ReviewDue`].
    pub fn suppresses(&self) -> bool {
        matches!(self, Standing::Active | Standing::ReviewDue { .. })
    }

    /// `None` when active, a warning when its review is due, otherwise an error.
    pub fn severity(&self) -> Option<Severity> {
        match self {
            Standing::Active => None,
            Standing::ReviewDue { .. } => Some(Severity::Warning),
            _ => Some(Severity::Error),
        }
    }
}

impl fmt::Display for Standing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Standing::Active => f.write_str("active"),
            Standing::ReviewDue { review } => {
                write!(f, "active, but its review was due on {review}")
            }
            Standing::Expired { expires } => {
                write!(f, "expired: it was valid through {expires}")
            }
            Standing::TooLong { days, max, level } => write!(
                f,
                "too long for a {level} finding: {days} days from approval to expiry, \
                 the policy allows at most {max}"
            ),
            Standing::NotYetApproved { approved_on } => write!(
                f,
                "not in force yet: approved_on {approved_on} is in the future"
            ),
            Standing::Invalid { problems } => {
                f.write_str("invalid: ")?;
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{p}")?;
                }
                Ok(())
            }
        }
    }
}

/// Of several exceptions matching one finding, the one that applies: a suppressing
/// one if any (the latest `expires` first, then active before review-due, then the
/// first in order), otherwise the first one with its standing, so that the error can
/// be reported. `None` when `matches` is empty.
pub fn best<'a>(
    matches: &[&'a Exception],
    today: Date,
    level: Level,
    max: &ExceptionDays,
) -> Option<(&'a Exception, Standing)> {
    let mut chosen: Option<(&'a Exception, Standing)> = None;
    let mut first: Option<(&'a Exception, Standing)> = None;
    for e in matches {
        let s = e.standing(today, level, max);
        if s.suppresses() {
            let better = match &chosen {
                None => true,
                Some((c, cs)) => {
                    e.expires > c.expires
                        || (e.expires == c.expires
                            && matches!(s, Standing::Active)
                            && !matches!(cs, Standing::Active))
                }
            };
            if better {
                chosen = Some((e, s));
            }
        } else if first.is_none() {
            first = Some((e, s));
        }
    }
    chosen.or(first)
}

/// How serious a [`CheckProblem`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The entry does not suppress anything (or not for some levels): fix it.
    Error,
    /// It still works, but needs attention.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One finding of [`check`], at a file and line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckProblem {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: u32,
    /// Error or warning.
    pub severity: Severity,
    /// The exception's id (`""` when it has none).
    pub id: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CheckProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = if self.id.is_empty() {
            "exception"
        } else {
            &self.id
        };
        write!(
            f,
            "{}:{}: {}: {id}: {}",
            self.path.display(),
            self.line,
            self.severity,
            self.message
        )
    }
}

/// Checks exceptions on their own, without findings, on `today`:
///
/// - errors: every entry's problems; not yet approved; expired; approved for longer
///   than any level allows (the largest of `max`);
/// - warnings: longer than the limit of some levels (it will not suppress findings
///   at those levels, P0 first); review date passed; a package prefix that is a tool
///   name rather than an OSV ecosystem (`pip/...`: read as a bare name); a GHSA id
///   with upper-case letters after `GHSA-` (ids match exactly, GHSA ids are lower
///   case); the same id and scope as an earlier entry.
///
/// In entry order, each entry's problems by line.
pub fn check(ex: &Exceptions, today: Date, max: &ExceptionDays) -> Vec<CheckProblem> {
    let mut out = Vec::new();
    let longest = [
        (Level::P0, max.p0),
        (Level::P1, max.p1),
        (Level::P2, max.p2),
        (Level::Routine, max.routine),
    ]
    .into_iter()
    .max_by_key(|(_, d)| *d)
    .unwrap_or((Level::Routine, max.routine));
    // The first entry of each id and scope (see `same_scope`), for the duplicate check.
    let mut first: HashMap<ScopeKey<'_>, usize> = HashMap::new();
    for (i, e) in ex.entries.iter().enumerate() {
        let mut mine: Vec<CheckProblem> = Vec::new();
        let mut push = |line: u32, severity: Severity, message: String| {
            mine.push(CheckProblem {
                path: e.path.clone(),
                line,
                severity,
                id: e.id.clone(),
                message,
            })
        };
        for p in &e.problems {
            push(p.line, Severity::Error, p.message.clone());
        }
        if let Some(a) = e.approved_on {
            if a > today {
                push(
                    e.line,
                    Severity::Error,
                    Standing::NotYetApproved { approved_on: a }.to_string(),
                );
            }
        }
        let expired = e.expires.is_some_and(|x| today > x);
        if let Some(x) = e.expires.filter(|_| expired) {
            push(
                e.line,
                Severity::Error,
                Standing::Expired { expires: x }.to_string(),
            );
        }
        if let Some(days) = e.duration_days().filter(|d| *d >= 0 && !expired) {
            if days > i64::from(longest.1) {
                push(
                    e.line,
                    Severity::Error,
                    format!(
                        "{days} days from approval to expiry: longer than any level allows \
                         (at most {} days, for {} findings); it suppresses nothing",
                        longest.1, longest.0
                    ),
                );
            } else {
                let over: Vec<(Level, u32)> = [
                    (Level::P0, max.p0),
                    (Level::P1, max.p1),
                    (Level::P2, max.p2),
                    (Level::Routine, max.routine),
                ]
                .into_iter()
                .filter(|(_, d)| days > i64::from(*d))
                .collect();
                if !over.is_empty() {
                    let limits: Vec<String> =
                        over.iter().map(|(l, d)| format!("{l} {d} days")).collect();
                    let levels: Vec<&str> = over.iter().map(|(l, _)| l.as_str()).collect();
                    push(
                        e.line,
                        Severity::Warning,
                        format!(
                            "{days} days from approval to expiry: longer than the limit for \
                             {} ({}); it will not suppress {} findings",
                            levels.join(", "),
                            limits.join(", "),
                            levels.join(" or ")
                        ),
                    );
                }
            }
        }
        if let Some(r) = e.review {
            if today > r && !expired {
                push(
                    e.line,
                    Severity::Warning,
                    format!("its review was due on {r}"),
                );
            }
        }
        if let Some(spec) = &e.package {
            if let Some((prefix, rest)) = spec.split_once('/') {
                let alias = Ecosystem::from_user(prefix).filter(|eco| {
                    known_ecosystem(prefix).is_none() && *eco != Ecosystem::Packagist
                });
                if let Some(eco) = alias {
                    push(
                        e.line,
                        Severity::Warning,
                        format!(
                            "package {spec:?} is read as a bare name containing a slash, as \
                             {prefix:?} is not an OSV ecosystem name; for the {} package write \
                             \"{}/{rest}\"",
                            eco.osv_name(),
                            eco.osv_name()
                        ),
                    );
                }
            }
        }
        if let Some(rest) = e.id.strip_prefix("GHSA-") {
            if rest.bytes().any(|b| b.is_ascii_uppercase()) {
                push(
                    e.line,
                    Severity::Warning,
                    format!(
                        "GHSA ids are lower case after \"GHSA-\" and ids match exactly: \
                         write \"GHSA-{}\"",
                        rest.to_ascii_lowercase()
                    ),
                );
            }
        }
        if !e.id.is_empty() {
            let earlier = *first.entry(scope_key(e)).or_insert(i);
            if let Some(d) = (earlier < i).then(|| &ex.entries[earlier]) {
                push(
                    e.line,
                    Severity::Warning,
                    format!(
                        "same id and scope as the exception at {}; the one that expires \
                         last applies",
                        d.location()
                    ),
                );
            }
        }
        mine.sort_by_key(|p| p.line);
        out.extend(mine);
    }
    out
}

/// What `same_scope` compares, as a key: two entries have the same scope exactly
/// when their keys are equal.
type ScopeKey<'a> = (
    Cow<'a, str>,
    Option<&'a str>,
    Option<(Option<Ecosystem>, Cow<'a, str>)>,
);

fn scope_key(e: &Exception) -> ScopeKey<'_> {
    let id = if is_cve(&e.id) {
        Cow::Owned(e.id.to_ascii_uppercase())
    } else {
        Cow::Borrowed(e.id.as_str())
    };
    let package = e.package_scope().map(|(eco, name)| {
        let name = match &eco {
            Some(eco) => normalize_name(eco, name),
            None => Cow::Borrowed(name),
        };
        (eco, name)
    });
    (id, e.service.as_deref(), package)
}

#[cfg(test)]
fn same_scope(a: &Exception, b: &Exception) -> bool {
    same_id(&a.id, &b.id)
        && a.service == b.service
        && match (a.package_scope(), b.package_scope()) {
            (None, None) => true,
            (Some((ea, na)), Some((eb, nb))) => {
                ea == eb
                    && match &ea {
                        Some(eco) => normalize_name(eco, na) == normalize_name(eco, nb),
                        None => na == nb,
                    }
            }
            _ => false,
        }
}

/// Ids are compared exactly, except CVE ids, which compare in any case.
fn same_id(a: &str, b: &str) -> bool {
    if is_cve(a) && is_cve(b) {
        a.eq_ignore_ascii_case(b)
    } else {
        a == b
    }
}

/// A CVE id, in any case.
fn is_cve(s: &str) -> bool {
    s.len() > 4 && s.as_bytes()[..4].eq_ignore_ascii_case(b"CVE-")
}

/// An OSV ecosystem name cverun supports, in any case.
fn known_ecosystem(s: &str) -> Option<Ecosystem> {
    Ecosystem::SUPPORTED
        .into_iter()
        .find(|e| e.osv_name().eq_ignore_ascii_case(s))
}

fn split_package(spec: &str) -> (Option<Ecosystem>, &str) {
    if let Some((prefix, name)) = spec.split_once('/') {
        if let Some(eco) = known_ecosystem(prefix) {
            return (Some(eco), name);
        }
    }
    (None, spec)
}

fn package_matches(spec: &str, ecosystem: &str, package: &str) -> bool {
    let finding_eco = known_ecosystem(ecosystem).unwrap_or_else(|| Ecosystem::from_osv(ecosystem));
    let (eco, name) = split_package(spec);
    if eco.as_ref().is_some_and(|e| *e != finding_eco) {
        return false;
    }
    !name.is_empty() && normalize_name(&finding_eco, name) == normalize_name(&finding_eco, package)
}

/// 1-based lines of byte offsets: the offsets where lines start, searched by
/// bisection (linear in the text to build, logarithmic per look-up).
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Lines(starts)
    }

    fn line(&self, offset: usize) -> u32 {
        let n = self.0.partition_point(|&start| start <= offset);
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

type Key<'i> = Spanned<Cow<'i, str>>;
type Val<'i> = Spanned<DeValue<'i>>;

fn sorted<'t, 'i>(table: &'t DeTable<'i>) -> Vec<(&'t Key<'i>, &'t Val<'i>)> {
    let mut v: Vec<_> = table.iter().collect();
    v.sort_by_key(|(k, _)| k.span().start);
    v
}

fn parse_text(path: &Path, text: &str, standalone: bool) -> Result<Exceptions, ExceptionsError> {
    let lines = Lines::new(text);
    let err = |offset: Option<usize>, message: String| ExceptionsError {
        path: path.to_owned(),
        line: offset.map(|o| lines.line(o)),
        message,
    };
    let root = DeTable::parse(text)
        .map_err(|e| err(e.span().map(|s| s.start), e.message().trim().to_owned()))?;
    let mut section = None;
    for (k, v) in sorted(root.get_ref()) {
        if k.get_ref() == "exception" {
            section = Some((k, v));
        } else if standalone {
            return Err(err(
                Some(k.span().start),
                format!(
                    "unknown key `{}`: an exceptions file holds only [[exception]] entries",
                    k.get_ref()
                ),
            ));
        }
    }
    let mut out = Exceptions {
        sources: vec![path.to_owned()],
        entries: Vec::new(),
    };
    let Some((key, value)) = section else {
        return Ok(out);
    };
    let DeValue::Array(items) = value.get_ref() else {
        return Err(err(
            Some(key.span().start),
            format!(
                "`exception` must be an array of tables (one [[exception]] header per \
                 entry), found {}",
                value.get_ref().type_str()
            ),
        ));
    };
    for item in items.iter() {
        let DeValue::Table(table) = item.get_ref() else {
            return Err(err(
                Some(item.span().start),
                format!(
                    "`exception` entries must be tables, found {}",
                    item.get_ref().type_str()
                ),
            ));
        };
        let line = lines.line(item.span().start);
        out.entries.push(parse_entry(path, &lines, line, table));
    }
    Ok(out)
}

fn parse_entry(path: &Path, lines: &Lines, line: u32, table: &DeTable<'_>) -> Exception {
    let mut e = Exception {
        path: path.to_owned(),
        line,
        id: String::new(),
        package: None,
        service: None,
        justification: String::new(),
        mitigations: Vec::new(),
        owner: String::new(),
        approved_by: String::new(),
        approved_on: None,
        expires: None,
        review: None,
        ticket: None,
        problems: Vec::new(),
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut problems = Vec::new();
    for (k, v) in sorted(table) {
        let key: &str = k.get_ref();
        seen.push(key);
        let at = |span: std::ops::Range<usize>, message: String| Problem {
            line: lines.line(span.start),
            message,
        };
        match key {
            "id" | "package" | "service" | "justification" | "owner" | "approved_by" | "ticket" => {
                let s = match string(key, v.get_ref()) {
                    Ok(s) => s,
                    Err(why) => {
                        problems.push(at(v.span(), why));
                        continue;
                    }
                };
                if key == "id" && s.contains(char::is_whitespace) {
                    problems.push(at(
                        v.span(),
                        format!("`id` {s:?} contains spaces: give one id per entry"),
                    ));
                    continue;
                }
                if key == "package" && split_package(&s).1.is_empty() {
                    problems.push(at(v.span(), format!("`package` {s:?} names no package")));
                    continue;
                }
                match key {
                    "id" => e.id = s,
                    "package" => e.package = Some(s),
                    "service" => e.service = Some(s),
                    "justification" => e.justification = s,
                    "owner" => e.owner = s,
                    "approved_by" => e.approved_by = s,
                    _ => e.ticket = Some(s),
                }
            }
            "mitigations" => match v.get_ref() {
                DeValue::Array(items) => {
                    for (n, item) in items.iter().enumerate() {
                        match item.get_ref() {
                            DeValue::String(s) if !s.trim().is_empty() => {
                                e.mitigations.push(s.trim().to_owned())
                            }
                            DeValue::String(_) => problems.push(at(
                                item.span(),
                                format!("`mitigations` item {} is empty", n + 1),
                            )),
                            other => problems.push(at(
                                item.span(),
                                format!(
                                    "`mitigations` item {} must be a string, found {}",
                                    n + 1,
                                    other.type_str()
                                ),
                            )),
                        }
                    }
                }
                other => problems.push(at(
                    v.span(),
                    format!(
                        "`mitigations` must be a list of strings, found {}",
                        other.type_str()
                    ),
                )),
            },
            "approved_on" | "expires" | "review" => match date(v.get_ref()) {
                Ok(d) => match key {
                    "approved_on" => e.approved_on = Some(d),
                    "expires" => e.expires = Some(d),
                    _ => e.review = Some(d),
                },
                Err(why) => problems.push(at(v.span(), format!("`{key}` {why}"))),
            },
            other => {
                let hint = suggest(other)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                problems.push(at(
                    k.span(),
                    format!(
                        "unknown key `{other}`{hint}; the keys are: {}",
                        KEYS.join(", ")
                    ),
                ));
            }
        }
    }
    for (key, what) in [
        ("id", "the advisory id or any alias"),
        ("justification", "why the risk is accepted"),
        ("owner", "who answers for it"),
        ("approved_by", "who approved it"),
        ("approved_on", "the day it was approved, YYYY-MM-DD"),
        ("expires", "the last day it is valid, YYYY-MM-DD"),
    ] {
        if !seen.contains(&key) {
            problems.push(Problem {
                line,
                message: format!("missing `{key}` ({what})"),
            });
        }
    }
    if let (Some(a), Some(x)) = (e.approved_on, e.expires) {
        if x < a {
            problems.push(Problem {
                line,
                message: format!("`expires` {x} is before `approved_on` {a}"),
            });
        }
    }
    if let (Some(r), Some(x)) = (e.review, e.expires) {
        if r > x {
            problems.push(Problem {
                line,
                message: format!("`review` {r} is after `expires` {x}"),
            });
        }
    }
    problems.sort_by_key(|p| p.line);
    e.problems = problems;
    e
}

/// A non-empty string, trimmed; otherwise what is wrong.
fn string(key: &str, v: &DeValue<'_>) -> Result<String, String> {
    match v {
        DeValue::String(s) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        DeValue::String(_) => Err(format!("`{key}` is empty")),
        other => Err(format!(
            "`{key}` must be a string, found {}",
            other.type_str()
        )),
    }
}

/// A TOML local date or a `"YYYY-MM-DD"` string.
fn date(v: &DeValue<'_>) -> Result<Date, String> {
    const WANT: &str = "must be a date (YYYY-MM-DD)";
    match v {
        DeValue::Datetime(dt) => match (dt.date, dt.time, dt.offset) {
            (Some(d), None, None) => {
                let (y, m, day) = (
                    i16::try_from(d.year).map_err(|_| format!("{WANT}, found {dt}"))?,
                    i8::try_from(d.month).map_err(|_| format!("{WANT}, found {dt}"))?,
                    i8::try_from(d.day).map_err(|_| format!("{WANT}, found {dt}"))?,
                );
                Date::new(y, m, day).map_err(|_| format!("{WANT}, found {dt}"))
            }
            _ => Err(format!("{WANT} without a time, found {dt}")),
        },
        DeValue::String(s) => {
            let b = s.as_bytes();
            let shaped = b.len() == 10
                && b.iter().enumerate().all(|(i, c)| match i {
                    4 | 7 => *c == b'-',
                    _ => c.is_ascii_digit(),
                });
            if !shaped {
                return Err(format!("{WANT}, found {s:?}"));
            }
            s.parse::<Date>()
                .map_err(|_| format!("{WANT}, found {s:?}, which is not a day of the calendar"))
        }
        other => Err(format!("{WANT}, found {}", other.type_str())),
    }
}

/// The known key an unknown one was probably meant to be.
fn suggest(key: &str) -> Option<&'static str> {
    let k = key.to_ascii_lowercase().replace('-', "_");
    let alias = match k.as_str() {
        "expiry" | "expires_on" | "expiration" | "expiry_date" | "expiration_date" | "until"
        | "valid_until" | "expire" | "expires_at" => Some("expires"),
        "approver" | "approvedby" | "approved" => Some("approved_by"),
        "approved_at" | "approval_date" | "approvedon" | "approved_date" => Some("approved_on"),
        "reason" | "rationale" | "justify" => Some("justification"),
        "mitigation" => Some("mitigations"),
        "team" => Some("owner"),
        "advisory" | "cve" | "ghsa" | "vuln" | "vulnerability" => Some("id"),
        "review_on" | "review_by" | "review_date" | "reviewed_by" => Some("review"),
        "pkg" | "packages" => Some("package"),
        "services" => Some("service"),
        _ => None,
    };
    alias.or_else(|| {
        KEYS.iter()
            .copied()
            .filter(|c| distance(&k, c) <= 2)
            .min_by_key(|c| distance(&k, c))
    })
}

fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests;
