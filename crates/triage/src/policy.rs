//! Runbook priority: P0, P1, P2 or routine, with a deadline and an explanation.
//!
//! The default policy follows the runbook (every number can be changed in a policy
//! file, see [`Policy::parse`]):
//!
//! | rule | level |
//! | --- | --- |
//! | active exploitation declared for the vulnerability | P0 |
//! | CVSS >= 9.0 and a known exploit (CISA KEV, or EPSS >= 0.5) | P0 |
//! | CVSS >= 7.0 and a known exploit | P1 |
//! | a known exploit and no severity at all | P1 |
//! | a known exploit below CVSS 7.0 | P2 |
//! | CVSS >= 7.0 | P2 |
//! | no severity known (neither a vector nor the advisory's own rating) | P2 |
//! | otherwise | routine |
//!
//! Where no CVSS vector can be scored, the advisory's own qualitative severity
//! (GHSA's `LOW`/`MODERATE`/`HIGH`/`CRITICAL`) stands in for it: CRITICAL as 9.0,
//! HIGH as 7.0, MODERATE as 4.0, LOW as 0.1, and the explanation says so. An unknown
//! severity is never treated as low.
//!
//! Service context raises the level of findings at P2 or above (and routine ones
//! when `raise_routine` is set): internet exposure, customer data at risk, and a
//! package on the critical list each count; the total raise is capped at
//! `max_raise` levels (default 1). Response times are the incident runbook's for P0
//! (default 2 h), P1 (8 h) and P2 (72 h), and `routine_response` (30 days). Every result names the rule that fired and its inputs.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::interval::Interval;
use crate::severity::{Rating, Score};

/// A runbook level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Level {
    /// Respond now (default: within 2 hours).
    P0,
    /// Respond today (default: within 8 hours).
    P1,
    /// Respond this week (default: within 72 hours).
    P2,
    /// The normal update cycle.
    #[serde(rename = "routine")]
    Routine,
}

impl Level {
    /// `P0`, `P1`, `P2`, `routine`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::P0 => "P0",
            Level::P1 => "P1",
            Level::P2 => "P2",
            Level::Routine => "routine",
        }
    }

    /// Reads `P0`/`p1`/`routine`.
    pub fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "p0" => Level::P0,
            "p1" => Level::P1,
            "p2" => Level::P2,
            "routine" => Level::Routine,
            _ => return None,
        })
    }

    /// One level more urgent (P0 stays P0).
    pub fn raised(self) -> Level {
        match self {
            Level::P0 | Level::P1 => Level::P0,
            Level::P2 => Level::P1,
            Level::Routine => Level::P2,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The priority policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// EPSS score at or above which a vulnerability counts as having a known exploit.
    pub epss_threshold: f64,
    /// CVSS at or above which a known-exploited vulnerability is P0.
    pub p0_cvss: f64,
    /// CVSS at or above which a known-exploited vulnerability is P1, and any other P2.
    pub high_cvss: f64,
    /// Level of a known-exploited vulnerability with no severity at all.
    pub known_exploited_unscored: Level,
    /// Level of a known-exploited vulnerability below `high_cvss`.
    pub known_exploited_low: Level,
    /// Level of a vulnerability whose severity is unknown (no known exploit).
    pub unknown_severity: Level,
    /// Ids (any alias) declared actively exploited: P0.
    pub active_exploitation: Vec<String>,
    /// Count the KEV and EPSS signals of the CVE ids a vulnerability's records list
    /// in OSV `related` (different vulnerabilities, never aliases) as exploit
    /// signals of the vulnerability, named as related in the explanation.
    pub related_signals: bool,
    /// Response time of the routine level (`routine_response = "30d"`). The response
    /// times of P0, P1 and P2 are the runbook's (`[priority.P0] response`), set
    /// with [`Policy::with_response`]; a policy file cannot set them.
    pub routine_response: Interval,
    /// Response times of P0, P1 and P2: the runbook's.
    #[serde(skip)]
    pub response: ResponseTimes,
    /// Service context.
    pub context: ContextRules,
    /// Longest exception per level, in days.
    pub exception_max_days: ExceptionDays,
}

/// Response times of P0, P1 and P2, as the incident runbook defines them (its
/// built-in values are the defaults here: 2 h, 8 h, 72 h).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseTimes {
    /// P0.
    pub p0: Interval,
    /// P1.
    pub p1: Interval,
    /// P2.
    pub p2: Interval,
}

impl Default for ResponseTimes {
    fn default() -> Self {
        ResponseTimes {
            p0: Interval::hours(2),
            p1: Interval::hours(8),
            p2: Interval::hours(72),
        }
    }
}

/// Longest exception per level, in days.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionDays {
    #[serde(rename = "P0")]
    /// P0.
    pub p0: u32,
    #[serde(rename = "P1")]
    /// P1.
    pub p1: u32,
    #[serde(rename = "P2")]
    /// P2.
    pub p2: u32,
    /// Routine.
    pub routine: u32,
}

impl ExceptionDays {
    /// The maximum for `level`.
    pub fn of(&self, level: Level) -> u32 {
        match level {
            Level::P0 => self.p0,
            Level::P1 => self.p1,
            Level::P2 => self.p2,
            Level::Routine => self.routine,
        }
    }
}

/// How service context raises priorities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContextRules {
    /// Raise for services with `exposure = "internet"`.
    pub raise_internet: bool,
    /// Raise for services whose `data` is one of `customer_data_values`.
    pub raise_customer_data: bool,
    /// The `data` values that mean customer data is at risk.
    pub customer_data_values: Vec<String>,
    /// Packages whose findings are raised: `name` or `ecosystem/name`.
    pub critical_packages: Vec<String>,
    /// At most this many levels of raise in total.
    pub max_raise: u8,
    /// Also raise routine findings.
    pub raise_routine: bool,
}

impl Default for ContextRules {
    fn default() -> Self {
        ContextRules {
            raise_internet: true,
            raise_customer_data: true,
            customer_data_values: ["customer-pii", "pii", "customer-data", "payment", "phi"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            critical_packages: Vec::new(),
            max_raise: 1,
            raise_routine: false,
        }
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            epss_threshold: 0.5,
            p0_cvss: 9.0,
            high_cvss: 7.0,
            known_exploited_unscored: Level::P1,
            known_exploited_low: Level::P2,
            unknown_severity: Level::P2,
            active_exploitation: Vec::new(),
            related_signals: true,
            routine_response: Interval::hours(720),
            response: ResponseTimes::default(),
            context: ContextRules::default(),
            exception_max_days: ExceptionDays {
                p0: 30,
                p1: 90,
                p2: 180,
                routine: 365,
            },
        }
    }
}

impl Policy {
    /// The policy with the runbook's response times for P0, P1 and P2.
    pub fn with_response(mut self, response: ResponseTimes) -> Policy {
        self.response = response;
        self
    }

    /// The response time of `level`.
    pub fn response_time(&self, level: Level) -> Interval {
        match level {
            Level::P0 => self.response.p0,
            Level::P1 => self.response.p1,
            Level::P2 => self.response.p2,
            Level::Routine => self.routine_response,
        }
    }
}

/// A policy file that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PolicyError {
    /// The file.
    pub path: std::path::PathBuf,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// What is wrong.
    pub message: String,
}

impl Policy {
    /// Reads a policy file (TOML, every field optional, defaults as above):
    ///
    /// ```toml
    /// epss_threshold = 0.5
    /// p0_cvss = 9.0
    /// high_cvss = 7.0
    /// known_exploited_unscored = "P1"
    /// known_exploited_low = "P2"
    /// unknown_severity = "P2"
    /// active_exploitation = ["CVE-2021-44228"]
    /// related_signals = true
    /// routine_response = "30d"
    /// exception_max_days = { P0 = 30, P1 = 90, P2 = 180, routine = 365 }
    ///
    /// [context]
    /// raise_internet = true
    /// raise_customer_data = true
    /// customer_data_values = ["customer-pii", "pii", "customer-data", "payment", "phi"]
    /// critical_packages = ["openssl", "Maven/org.apache.logging.log4j:log4j-core"]
    /// max_raise = 1
    /// raise_routine = false
    /// ```
    ///
    /// The response times of P0, P1 and P2 are not set here: they are the
    /// runbook's, defined once there; `response_hours` is refused with a message
    /// saying so, naming its line.
    pub fn parse(path: &Path, text: &str) -> Result<Policy, PolicyError> {
        if let Some(line) = moved_key_line(text, "response_hours") {
            return Err(PolicyError {
                path: path.to_owned(),
                line: Some(line),
                message: "response_hours is no longer read here: the response times of P0, P1 and P2 are the runbook's ([priority.P0] response = \"2h\" in the runbook file, which incidents follow too), and routine's is routine_response = \"30d\"".to_owned(),
            });
        }
        let policy: Policy = toml::from_str(text).map_err(|e| PolicyError {
            path: path.to_owned(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().trim().to_owned(),
        })?;
        let bad = |m: String| PolicyError {
            path: path.to_owned(),
            line: None,
            message: m,
        };
        if !(0.0..=1.0).contains(&policy.epss_threshold) {
            return Err(bad(format!(
                "epss_threshold {} must be between 0 and 1",
                policy.epss_threshold
            )));
        }
        for (name, v) in [("p0_cvss", policy.p0_cvss), ("high_cvss", policy.high_cvss)] {
            if !(0.0..=10.0).contains(&v) {
                return Err(bad(format!("{name} {v} must be between 0 and 10")));
            }
        }
        Ok(policy)
    }
}

/// The line of a top-level `key = ...` in `text`, when there is one.
fn moved_key_line(text: &str, key: &str) -> Option<u32> {
    let table: toml::Table = toml::from_str(text).ok()?;
    table.get(key)?;
    text.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .and_then(|i| u32::try_from(i + 1).ok())
}

fn line_of(text: &str, offset: usize) -> u32 {
    let n = text[..offset.min(text.len())]
        .bytes()
        .filter(|b| *b == b'\n')
        .count()
        + 1;
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What is known about a vulnerability (all its ids together).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Assessment {
    /// The best CVSS base score, when a vector could be scored.
    pub cvss: Option<Arc<Score>>,
    /// The advisory's own qualitative severity, when it gives one.
    pub rating: Option<Rating>,
    /// Its CISA KEV entry, when listed.
    pub kev: Option<Kev>,
    /// Its highest EPSS score, when scored.
    pub epss: Option<EpssScore>,
    /// Its ids (primary first, then aliases).
    pub ids: Vec<String>,
    /// CVE ids its records list as related (other vulnerabilities) whose exploit
    /// signals were read (policy `related_signals`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// Vectors that could not be scored, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unscored: Vec<String>,
}

/// A KEV listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Kev {
    /// The CVE listed.
    pub cve: String,
    /// `dateAdded`.
    pub date_added: Option<String>,
    /// `dueDate`.
    pub due_date: Option<String>,
    /// `knownRansomwareCampaignUse`.
    pub ransomware: Option<String>,
    /// The CVE is not one of the vulnerability's ids but one its records list as
    /// related.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub related: bool,
}

/// An EPSS score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpssScore {
    /// The CVE scored.
    pub cve: String,
    /// Probability, 0 to 1.
    pub score: f64,
    /// Percentile, 0 to 1.
    pub percentile: f64,
    /// The CVE is not one of the vulnerability's ids but one its records list as
    /// related.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub related: bool,
}

/// What the service adds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Context<'a> {
    /// `internet`, `internal`, `offline`, when configured.
    pub exposure: Option<&'a str>,
    /// The data it handles, when configured.
    pub data: Option<&'a str>,
    /// The package's ecosystem (OSV name).
    pub ecosystem: &'a str,
    /// The package's name.
    pub package: &'a str,
}

/// The rule that set a base level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Active exploitation declared for this id.
    Declared(Arc<str>),
    /// CVSS >= `p0_cvss` and a known exploit.
    ExploitedCritical,
    /// CVSS >= `high_cvss` and a known exploit.
    ExploitedHigh,
    /// A known exploit, CVSS below `high_cvss`.
    ExploitedLow,
    /// A known exploit, no severity.
    ExploitedUnscored,
    /// CVSS >= `high_cvss`, no known exploit.
    High,
    /// CVSS below `high_cvss`, no known exploit.
    Low,
    /// No severity, no known exploit.
    Unknown,
}

/// A reason service context raised the level.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Raise {
    /// The service is internet-facing.
    Internet,
    /// The service handles this kind of customer data.
    CustomerData(Arc<str>),
    /// The package is on the critical packages list.
    CriticalPackage,
}

impl Rule {
    /// A stable name for machines: `declared`, `exploited-critical`,
    /// `exploited-high`, `exploited-low`, `exploited-unscored`, `high`, `low`,
    /// `unknown`.
    pub fn id(&self) -> &'static str {
        match self {
            Rule::Declared(_) => "declared",
            Rule::ExploitedCritical => "exploited-critical",
            Rule::ExploitedHigh => "exploited-high",
            Rule::ExploitedLow => "exploited-low",
            Rule::ExploitedUnscored => "exploited-unscored",
            Rule::High => "high",
            Rule::Low => "low",
            Rule::Unknown => "unknown",
        }
    }
}

impl fmt::Display for Raise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Raise::Internet => f.write_str("the service is internet-facing"),
            Raise::CustomerData(d) => write!(f, "the service handles {d}"),
            Raise::CriticalPackage => f.write_str("the package is on the critical packages list"),
        }
    }
}

/// The thresholds a priority was decided with (to explain it).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// `p0_cvss`.
    pub p0_cvss: f64,
    /// `high_cvss`.
    pub high_cvss: f64,
    /// `epss_threshold`.
    pub epss: f64,
}

/// A priority with everything that explains it. Serialised as `level`, `due`,
/// `response_hours` and `response_minutes`, `base`, `rule` (its [`Rule::id`]), `raised_by` and
/// `explanation` (sentences), and `inputs` (severity and exploit signals).
#[derive(Clone, Debug, PartialEq)]
pub struct Priority {
    /// The level.
    pub level: Level,
    /// The response deadline: when the assessment was made plus the level's response time.
    pub due: Timestamp,
    /// The response time.
    pub response: Interval,
    /// The level before service context.
    pub base: Level,
    /// The rule that set the base level.
    pub rule: Rule,
    /// Why the level was raised, each reason one raise (at most `max_raise`).
    pub raised_by: Vec<Raise>,
    /// The inputs: severity, exploit signals (shared by every finding of the
    /// vulnerability).
    pub inputs: Arc<Assessment>,
    /// The thresholds applied.
    pub thresholds: Thresholds,
}

impl Priority {
    fn exploit(&self) -> Option<String> {
        let a = &self.inputs;
        match (
            &a.kev,
            a.epss.as_ref().filter(|e| e.score >= self.thresholds.epss),
        ) {
            (Some(k), _) => {
                let dates = [
                    k.date_added.as_deref().map(|d| format!("added {d}")),
                    k.due_date.as_deref().map(|d| format!("due {d}")),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
                Some(if k.related {
                    let dates = if dates.is_empty() {
                        String::new()
                    } else {
                        format!(" ({dates})")
                    };
                    format!("{}, related, is in CISA KEV{dates}", k.cve)
                } else if dates.is_empty() {
                    format!("listed in CISA KEV ({})", k.cve)
                } else {
                    format!("listed in CISA KEV ({}, {dates})", k.cve)
                })
            }
            (None, Some(e)) => Some(format!(
                "EPSS {:.3} for {}{} (percentile {:.3}) >= {}",
                e.score,
                if e.related { "related " } else { "" },
                e.cve,
                e.percentile,
                self.thresholds.epss
            )),
            (None, None) => None,
        }
    }

    fn severity_text(&self) -> String {
        match (&self.inputs.cvss, self.inputs.rating) {
            (Some(s), _) => format!(
                "CVSS {:.1} ({}, CVSS {} {})",
                s.score, s.rating, s.version, s.vector
            ),
            (None, Some(r)) => format!(
                "no CVSS vector; the advisory rates it {r}, taken as CVSS {:.1}",
                rating_score(r)
            ),
            (None, None) if self.inputs.unscored.is_empty() => {
                "severity unknown (no CVSS vector, no rating)".to_owned()
            }
            (None, None) => format!(
                "severity unknown (no rating, and no vector could be scored: {})",
                self.inputs.unscored.join("; ")
            ),
        }
    }

    /// The rule that fired, with its inputs, as a sentence.
    pub fn rule_text(&self) -> String {
        let sev = self.severity_text();
        let x = self.exploit().unwrap_or_default();
        let t = self.thresholds;
        match &self.rule {
            Rule::Declared(id) => format!("active exploitation declared for {id}"),
            Rule::ExploitedCritical => format!("{sev} >= {} and {x}", t.p0_cvss),
            Rule::ExploitedHigh => format!("{sev} >= {} and {x}", t.high_cvss),
            Rule::ExploitedLow => format!("{sev} < {} but {x}", t.high_cvss),
            Rule::ExploitedUnscored => format!("{x}; {sev}"),
            Rule::High => format!("{sev} >= {}, no known exploit", t.high_cvss),
            Rule::Low => format!("{sev} < {}, no known exploit", t.high_cvss),
            Rule::Unknown => format!("{sev}, no known exploit: not treated as low"),
        }
    }

    /// The response time for people: `8 h`, or `90 min` when not whole hours.
    pub fn response_text(&self) -> String {
        let secs = self.response.as_seconds();
        if secs % 3600 == 0 {
            format!("{} h", secs / 3600)
        } else if secs % 60 == 0 {
            format!("{} min", secs / 60)
        } else {
            self.response.to_string()
        }
    }

    /// One sentence saying all of it.
    pub fn explanation(&self) -> String {
        let mut e = format!("{}: {}", self.base, self.rule_text());
        if !self.raised_by.is_empty() {
            let why: Vec<String> = self.raised_by.iter().map(ToString::to_string).collect();
            e.push_str(&format!("; raised to {}: {}", self.level, why.join(", ")));
        }
        e.push_str(&format!("; respond within {}", self.response_text()));
        e
    }
}

impl Priority {
    fn serialize_fields<S: serde::ser::SerializeStruct>(&self, st: &mut S) -> Result<(), S::Error> {
        st.serialize_field("level", &self.level)?;
        st.serialize_field("due", &self.due)?;
        // Whole hours stay integers (the field's type before minutes were allowed).
        let secs = self.response.as_seconds();
        if secs % 3600 == 0 {
            st.serialize_field("response_hours", &(secs / 3600))?;
        } else {
            st.serialize_field("response_hours", &(secs as f64 / 3600.0))?;
        }
        st.serialize_field("response_minutes", &(secs / 60))?;
        st.serialize_field("base", &self.base)?;
        st.serialize_field("rule", self.rule.id())?;
        let raised: Vec<String> = self.raised_by.iter().map(ToString::to_string).collect();
        st.serialize_field("raised_by", &raised)?;
        st.serialize_field("explanation", &self.explanation())
    }

    /// Serialises without `inputs` (for reports that list each vulnerability's
    /// inputs once, beside its findings).
    pub fn serialize_compact<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Priority", 8)?;
        self.serialize_fields(&mut st)?;
        st.end()
    }
}

impl Serialize for Priority {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Priority", 9)?;
        self.serialize_fields(&mut st)?;
        st.serialize_field("inputs", &*self.inputs)?;
        st.end()
    }
}

/// A score standing in for a missing CVSS, from a qualitative rating.
fn rating_score(r: Rating) -> f64 {
    match r {
        Rating::Critical => 9.0,
        Rating::High => 7.0,
        Rating::Medium => 4.0,
        Rating::Low => 0.1,
        Rating::None => 0.0,
    }
}

/// Decides the priority of a vulnerability for one service at `now`.
pub fn prioritize(policy: &Policy, a: &Arc<Assessment>, ctx: &Context, now: Timestamp) -> Priority {
    let declared = a.ids.iter().find(|id| {
        policy
            .active_exploitation
            .iter()
            .any(|x| x.eq_ignore_ascii_case(id))
    });
    let exploit = a.kev.is_some()
        || a.epss
            .as_ref()
            .is_some_and(|e| e.score >= policy.epss_threshold);
    let score = a
        .cvss
        .as_ref()
        .map(|s| s.score)
        .or(a.rating.map(rating_score));
    let (base, rule) = if let Some(id) = declared {
        (Level::P0, Rule::Declared(Arc::from(id.as_str())))
    } else {
        match (score, exploit) {
            (Some(s), true) if s >= policy.p0_cvss => (Level::P0, Rule::ExploitedCritical),
            (Some(s), true) if s >= policy.high_cvss => (Level::P1, Rule::ExploitedHigh),
            (Some(_), true) => (policy.known_exploited_low, Rule::ExploitedLow),
            (None, true) => (policy.known_exploited_unscored, Rule::ExploitedUnscored),
            (Some(s), false) if s >= policy.high_cvss => (Level::P2, Rule::High),
            (Some(_), false) => (Level::Routine, Rule::Low),
            (None, false) => (policy.unknown_severity, Rule::Unknown),
        }
    };

    // Service context.
    let rules = &policy.context;
    let mut reasons = Vec::new();
    if rules.raise_internet && ctx.exposure == Some("internet") {
        reasons.push(Raise::Internet);
    }
    if let Some(d) = ctx.data.filter(|d| {
        rules.raise_customer_data
            && rules
                .customer_data_values
                .iter()
                .any(|v| v.eq_ignore_ascii_case(d))
    }) {
        reasons.push(Raise::CustomerData(Arc::from(d)));
    }
    // A critical package is named `ecosystem/name` or by its name alone.
    let critical = |c: &String| match c.split_once('/') {
        Some((eco, name))
            if eco.eq_ignore_ascii_case(ctx.ecosystem)
                && !ctx.ecosystem.is_empty()
                && name.eq_ignore_ascii_case(ctx.package) =>
        {
            true
        }
        _ => c.eq_ignore_ascii_case(ctx.package) && !ctx.package.is_empty(),
    };
    if rules.critical_packages.iter().any(critical) {
        reasons.push(Raise::CriticalPackage);
    }
    let mut level = base;
    let mut raised_by = Vec::new();
    if base != Level::Routine || rules.raise_routine {
        for r in reasons {
            if raised_by.len() >= usize::from(rules.max_raise) || level == Level::P0 {
                break;
            }
            level = level.raised();
            raised_by.push(r);
        }
    }
    let response = policy.response_time(level);
    let due = response.after(now);
    Priority {
        level,
        due,
        response,
        base,
        rule,
        raised_by,
        inputs: a.clone(),
        thresholds: Thresholds {
            p0_cvss: policy.p0_cvss,
            high_cvss: policy.high_cvss,
            epss: policy.epss_threshold,
        },
    }
}

#[cfg(test)]
mod tests;
