//! The OSV record model and its validation.
//!
//! [`parse_record`] reads one OSV JSON document and returns an [`Advisory`] in the
//! shape cverun keeps, together with the non-fatal problems found in it. It is
//! deliberately lenient where leniency is safe and strict where it is not:
//!
//! - A document that is not a JSON object, or has no usable `id`, cannot be kept at
//!   all: [`RecordError`] (the caller counts and names it).
//! - A problem inside one `affected[]` entry or one range (an unknown range type, an
//!   event with two keys, a range with no `introduced`, a non-string version) does not
//!   drop the record: the entry or range keeps a `problem`, and matching a package
//!   against it reports *unverifiable* instead of silently *not affected*.
//! - `database_specific` fields are kept for display but never change matching.

use cverun_versions::Ecosystem;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An OSV advisory as cverun keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// `id`, e.g. `PYSEC-2021-59` or `GHSA-xxxx-xxxx-xxxx`.
    pub id: String,
    /// `modified` (RFC 3339), when present and valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// `published` (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// `withdrawn` (RFC 3339). A withdrawn advisory never matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<String>,
    /// `aliases`: other ids of the same vulnerability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `related`: ids of related but different vulnerabilities (never merged).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    /// `summary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// `details`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// Top-level `severity`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    /// `affected`, one entry per package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected: Vec<Affected>,
    /// `references`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Reference>,
    /// Top-level `database_specific`, verbatim (display only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_specific: Option<Value>,
}

impl Advisory {
    /// True when the advisory is withdrawn and must never match.
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }

    /// This advisory's id and aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A `severity` item: a scoring system and its vector or score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Severity {
    /// `type`: `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// `score`: the vector or value.
    pub score: String,
}

/// A `references` item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `type`: `ADVISORY`, `FIX`, `WEB`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// `url`.
    pub url: String,
}

/// One `affected[]` entry: a package and the versions of it that are affected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// `package.ecosystem`.
    pub ecosystem: Ecosystem,
    /// `package.name`, as written in the record.
    pub name: String,
    /// `package.purl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// `ranges`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// `versions`: an explicit list of affected versions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
    /// Per-package `severity`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<Severity>,
    /// RustSec's `database_specific.informational` (`unmaintained`, `unsound`,
    /// `notice`): a warning class, reported apart from vulnerabilities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
    /// `ecosystem_specific`, verbatim (affected functions, Go import symbols...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem_specific: Option<Value>,
    /// Why part of this entry could not be read (its `versions` list, say). Matching
    /// against an entry with a problem is unverifiable unless it matches otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// The type of a range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeKind {
    /// `SEMVER`
    #[serde(rename = "SEMVER")]
    Semver,
    /// `ECOSYSTEM`
    #[serde(rename = "ECOSYSTEM")]
    Ecosystem,
    /// `GIT` (commit ranges: not evaluated against package versions)
    #[serde(rename = "GIT")]
    Git,
    /// Any other type, kept verbatim; cannot be evaluated.
    #[serde(untagged)]
    Other(String),
}

impl RangeKind {
    fn from_osv(s: &str) -> RangeKind {
        match s {
            "SEMVER" => RangeKind::Semver,
            "ECOSYSTEM" => RangeKind::Ecosystem,
            "GIT" => RangeKind::Git,
            other => RangeKind::Other(other.to_owned()),
        }
    }

    /// The OSV spelling.
    pub fn as_str(&self) -> &str {
        match self {
            RangeKind::Semver => "SEMVER",
            RangeKind::Ecosystem => "ECOSYSTEM",
            RangeKind::Git => "GIT",
            RangeKind::Other(s) => s,
        }
    }
}

/// One range of an `affected[]` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// `type`.
    #[serde(rename = "type")]
    pub kind: RangeKind,
    /// `repo` (GIT ranges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// `events`, in the record's order.
    #[serde(default)]
    pub events: Vec<Event>,
    /// Why this range cannot be evaluated, when it cannot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

/// One event of a range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// `introduced`: the first affected version (`"0"`: before every version).
    Introduced(String),
    /// `fixed`: the first version no longer affected.
    Fixed(String),
    /// `last_affected`: the last affected version.
    LastAffected(String),
    /// `limit`: an upper limit on the range (`"*"`: none).
    Limit(String),
}

impl Event {
    /// The event's version string.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }

    /// The event's OSV key.
    pub fn key(&self) -> &'static str {
        match self {
            Event::Introduced(_) => "introduced",
            Event::Fixed(_) => "fixed",
            Event::LastAffected(_) => "last_affected",
            Event::Limit(_) => "limit",
        }
    }
}

/// A record that cannot be kept at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", id.as_ref().map(|i| format!("record {i}: ")).unwrap_or_default())]
pub struct RecordError {
    /// The record's id, when it could be read.
    pub id: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// A record read from JSON, with the non-fatal problems found in it.
#[derive(Clone, Debug)]
pub struct ParsedRecord {
    /// The advisory.
    pub advisory: Advisory,
    /// Problems that did not prevent keeping the record, each naming its place
    /// (`affected[1].ranges[0]: ...`).
    pub problems: Vec<String>,
}

/// Parses one OSV JSON document.
pub fn parse_record(bytes: &[u8]) -> Result<ParsedRecord, RecordError> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| RecordError {
        id: None,
        message: format!("invalid JSON: {e}"),
    })?;
    from_value(value)
}

/// Validates an already-decoded OSV JSON value.
pub fn from_value(value: Value) -> Result<ParsedRecord, RecordError> {
    let Value::Object(mut obj) = value else {
        return Err(RecordError {
            id: None,
            message: format!("expected a JSON object, found {}", kind_of(&value)),
        });
    };
    let id = match obj.remove("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::String(_)) => return Err(err(None, "`id` is empty")),
        Some(other) => {
            return Err(err(
                None,
                format!("`id` must be a string, found {}", kind_of(&other)),
            ));
        }
        None => return Err(err(None, "missing required field `id`")),
    };
    let mut problems = Vec::new();

    let modified = timestamp(&mut obj, "modified", &mut problems, true);
    let published = timestamp(&mut obj, "published", &mut problems, false);
    let withdrawn = match obj.remove("withdrawn") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            if jiff::Timestamp::strptime("%Y-%m-%dT%H:%M:%S%.fZ", &s).is_err()
                && s.parse::<jiff::Timestamp>().is_err()
            {
                problems.push(format!(
                    "`withdrawn` {s:?} is not an RFC 3339 time; treated as withdrawn"
                ));
            }
            Some(s)
        }
        Some(other) => {
            // Something is there: the safe reading is "withdrawn was meant", but a
            // withdrawn advisory never matches, which is the unsafe direction. Keep the
            // advisory active and say so.
            problems.push(format!(
                "`withdrawn` must be a string, found {}; advisory kept active",
                kind_of(&other)
            ));
            None
        }
    };
    let aliases = string_list(&mut obj, "aliases", &mut problems);
    let related = string_list(&mut obj, "related", &mut problems);
    let summary = opt_string(&mut obj, "summary", &mut problems);
    let details = opt_string(&mut obj, "details", &mut problems);
    let severity = severities(obj.remove("severity"), "severity", &mut problems);
    let references = references(obj.remove("references"), &mut problems);
    let database_specific = obj.remove("database_specific").filter(|v| !v.is_null());

    let affected = match obj.remove("affected") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                if let Some(a) = affected_entry(i, item, &mut problems) {
                    out.push(a);
                }
            }
            out
        }
        Some(other) => {
            return Err(err(
                Some(&id),
                format!("`affected` must be an array, found {}", kind_of(&other)),
            ));
        }
    };

    Ok(ParsedRecord {
        advisory: Advisory {
            id,
            modified,
            published,
            withdrawn,
            aliases,
            related,
            summary,
            details,
            severity,
            affected,
            references,
            database_specific,
        },
        problems,
    })
}

fn err(id: Option<&str>, message: impl Into<String>) -> RecordError {
    RecordError {
        id: id.map(str::to_owned),
        message: message.into(),
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn timestamp(
    obj: &mut Map<String, Value>,
    key: &str,
    problems: &mut Vec<String>,
    required: bool,
) -> Option<String> {
    match obj.remove(key) {
        None | Some(Value::Null) => {
            if required {
                problems.push(format!("missing required field `{key}`"));
            }
            None
        }
        Some(Value::String(s)) => {
            if s.parse::<jiff::Timestamp>().is_ok() {
                Some(s)
            } else {
                problems.push(format!("`{key}` {s:?} is not an RFC 3339 time; ignored"));
                None
            }
        }
        Some(other) => {
            problems.push(format!(
                "`{key}` must be a string, found {}; ignored",
                kind_of(&other)
            ));
            None
        }
    }
}

fn opt_string(
    obj: &mut Map<String, Value>,
    key: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    match obj.remove(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            problems.push(format!(
                "`{key}` must be a string, found {}; ignored",
                kind_of(&other)
            ));
            None
        }
    }
}

fn string_list(obj: &mut Map<String, Value>, key: &str, problems: &mut Vec<String>) -> Vec<String> {
    match obj.remove(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::String(s) => out.push(s),
                    other => problems.push(format!(
                        "`{key}[{i}]` must be a string, found {}; ignored",
                        kind_of(&other)
                    )),
                }
            }
            out
        }
        Some(other) => {
            problems.push(format!(
                "`{key}` must be an array, found {}; ignored",
                kind_of(&other)
            ));
            Vec::new()
        }
    }
}

fn severities(v: Option<Value>, place: &str, problems: &mut Vec<String>) -> Vec<Severity> {
    let items = match v {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            problems.push(format!(
                "`{place}` must be an array, found {}; ignored",
                kind_of(&other)
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match serde_json::from_value::<Severity>(item) {
            Ok(s) => out.push(s),
            Err(e) => problems.push(format!("`{place}[{i}]`: {e}; ignored")),
        }
    }
    out
}

fn references(v: Option<Value>, problems: &mut Vec<String>) -> Vec<Reference> {
    let items = match v {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            problems.push(format!(
                "`references` must be an array, found {}; ignored",
                kind_of(&other)
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match serde_json::from_value::<Reference>(item) {
            Ok(r) => out.push(r),
            Err(e) => problems.push(format!("`references[{i}]`: {e}; ignored")),
        }
    }
    out
}

fn affected_entry(i: usize, item: Value, problems: &mut Vec<String>) -> Option<Affected> {
    let place = format!("affected[{i}]");
    let Value::Object(mut obj) = item else {
        problems.push(format!(
            "{place} must be an object, found {}; entry dropped",
            kind_of(&item)
        ));
        return None;
    };
    let ranges_value = obj.remove("ranges");
    let (ecosystem, name, purl) = match obj.remove("package") {
        Some(Value::Object(mut pkg)) => {
            let eco = pkg.remove("ecosystem");
            let name = pkg.remove("name");
            let purl = match pkg.remove("purl") {
                Some(Value::String(s)) => Some(s),
                _ => None,
            };
            match (eco, name) {
                (Some(Value::String(e)), Some(Value::String(n)))
                    if !e.is_empty() && !n.is_empty() =>
                {
                    (Ecosystem::from_osv(&e), n, purl)
                }
                _ => {
                    problems.push(format!(
                        "{place}.package needs a non-empty string `ecosystem` and `name`; entry dropped"
                    ));
                    return None;
                }
            }
        }
        None | Some(Value::Null) => {
            // The schema allows entries without a package only for GIT ranges, which
            // cverun does not evaluate against package versions.
            let git_only = matches!(&ranges_value, Some(Value::Array(rs)) if rs.iter().all(|r| r.get("type") == Some(&Value::String("GIT".into()))));
            if !git_only {
                problems.push(format!("{place} has no `package`; entry dropped"));
            }
            return None;
        }
        Some(other) => {
            problems.push(format!(
                "{place}.package must be an object, found {}; entry dropped",
                kind_of(&other)
            ));
            return None;
        }
    };

    let mut entry_problems: Vec<String> = Vec::new();
    let mut ranges = Vec::new();
    match ranges_value {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (j, r) in items.into_iter().enumerate() {
                let range = range(r);
                if let Some(p) = &range.problem {
                    problems.push(format!("{place}.ranges[{j}] ({name}): {p}"));
                }
                ranges.push(range);
            }
        }
        Some(other) => entry_problems.push(format!(
            "`ranges` must be an array, found {}",
            kind_of(&other)
        )),
    }
    let mut versions = Vec::new();
    match obj.remove("versions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (j, v) in items.into_iter().enumerate() {
                match v {
                    Value::String(s) => versions.push(s),
                    other => entry_problems.push(format!(
                        "`versions[{j}]` must be a string, found {}",
                        kind_of(&other)
                    )),
                }
            }
        }
        Some(other) => entry_problems.push(format!(
            "`versions` must be an array, found {}",
            kind_of(&other)
        )),
    }
    let severity = severities(
        obj.remove("severity"),
        &format!("{place}.severity"),
        problems,
    );
    let informational = match obj
        .get("database_specific")
        .and_then(|d| d.get("informational"))
    {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        _ => None,
    };
    let ecosystem_specific = obj.remove("ecosystem_specific").filter(|v| !v.is_null());

    for p in &entry_problems {
        problems.push(format!("{place} ({name}): {p}"));
    }
    let problem = (!entry_problems.is_empty()).then(|| entry_problems.join("; "));
    Some(Affected {
        ecosystem,
        name,
        purl,
        ranges,
        versions,
        severity,
        informational,
        ecosystem_specific,
        problem,
    })
}

fn range(value: Value) -> Range {
    let broken = |kind: RangeKind, p: String| Range {
        kind,
        repo: None,
        events: Vec::new(),
        problem: Some(p),
    };
    let Value::Object(mut obj) = value else {
        return broken(
            RangeKind::Other(String::new()),
            format!("range must be an object, found {}", kind_of(&value)),
        );
    };
    let kind = match obj.remove("type") {
        Some(Value::String(t)) => RangeKind::from_osv(&t),
        Some(other) => {
            return broken(
                RangeKind::Other(String::new()),
                format!("range `type` must be a string, found {}", kind_of(&other)),
            );
        }
        None => {
            return broken(
                RangeKind::Other(String::new()),
                "range has no `type`".into(),
            );
        }
    };
    let repo = match obj.remove("repo") {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let items = match obj.remove("events") {
        Some(Value::Array(items)) => items,
        Some(other) => {
            return broken(
                kind,
                format!("`events` must be an array, found {}", kind_of(&other)),
            );
        }
        None => return broken(kind, "range has no `events`".into()),
    };
    let mut events = Vec::with_capacity(items.len());
    let mut problem = None;
    for (k, e) in items.into_iter().enumerate() {
        match event(e) {
            Ok(ev) => events.push(ev),
            Err(p) => {
                problem.get_or_insert_with(|| format!("events[{k}]: {p}"));
            }
        }
    }
    if problem.is_none()
        && !matches!(kind, RangeKind::Git)
        && !events.iter().any(|e| matches!(e, Event::Introduced(_)))
    {
        problem = Some("range has no `introduced` event (the schema requires one)".into());
    }
    if let RangeKind::Other(t) = &kind {
        problem.get_or_insert_with(|| format!("range type {t:?} is not one cverun can evaluate"));
    }
    Range {
        kind,
        repo,
        events,
        problem,
    }
}

fn event(value: Value) -> Result<Event, String> {
    let Value::Object(obj) = value else {
        return Err(format!(
            "event must be an object, found {}",
            kind_of(&value)
        ));
    };
    let mut known = obj.iter().filter(|(k, _)| {
        matches!(
            k.as_str(),
            "introduced" | "fixed" | "last_affected" | "limit"
        )
    });
    let Some((key, v)) = known.next() else {
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        return Err(format!(
            "event has none of introduced/fixed/last_affected/limit (keys: {keys:?})"
        ));
    };
    if let Some((other, _)) = known.next() {
        return Err(format!(
            "event has more than one of introduced/fixed/last_affected/limit ({key}, {other})"
        ));
    }
    let Value::String(s) = v else {
        return Err(format!(
            "event `{key}` must be a string, found {}",
            kind_of(v)
        ));
    };
    if s.is_empty() {
        return Err(format!("event `{key}` is empty"));
    }
    let s = s.clone();
    Ok(match key.as_str() {
        "introduced" => Event::Introduced(s),
        "fixed" => Event::Fixed(s),
        "last_affected" => Event::LastAffected(s),
        _ => Event::Limit(s),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> ParsedRecord {
        from_value(v).expect("record should be kept")
    }

    #[test]
    fn reads_a_rustsec_record_with_informational() {
        let r = parse(json!({
            "id": "RUSTSEC-2016-0004", "modified": "2020-10-02T01:29:11Z",
            "published": "2016-09-10T12:00:00Z", "aliases": [], "summary": "libusb is unmaintained",
            "affected": [{
                "package": {"ecosystem": "crates.io", "name": "libusb", "purl": "pkg:cargo/libusb"},
                "database_specific": {"informational": "unmaintained", "cvss": null},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}, {"fixed": "0.3.1-0"}]}],
                "versions": []
            }]
        }));
        assert!(r.problems.is_empty(), "{:?}", r.problems);
        let a = &r.advisory.affected[0];
        assert_eq!(a.ecosystem, Ecosystem::CratesIo);
        assert_eq!(a.informational.as_deref(), Some("unmaintained"));
        assert_eq!(a.ranges[0].kind, RangeKind::Semver);
        assert_eq!(
            a.ranges[0].events,
            vec![
                Event::Introduced("0.0.0-0".into()),
                Event::Fixed("0.3.1-0".into())
            ]
        );
    }

    #[test]
    fn fatal_problems_name_the_record() {
        let e = from_value(json!({"modified": "2020-01-01T00:00:00Z"})).unwrap_err();
        assert_eq!(e.message, "missing required field `id`");
        let e = from_value(json!({"id": 7})).unwrap_err();
        assert!(e.message.contains("must be a string"), "{e}");
        let e = from_value(json!({"id": "X-1", "affected": {"a": 1}})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "record X-1: `affected` must be an array, found an object"
        );
        let e = from_value(json!([1, 2])).unwrap_err();
        assert!(e.message.contains("expected a JSON object"), "{e}");
        let e = parse_record(b"{\"id\": \"X-2\", ").unwrap_err();
        assert!(e.message.starts_with("invalid JSON"), "{e}");
    }

    #[test]
    fn broken_ranges_are_kept_with_their_problem() {
        let r = parse(json!({
            "id": "X-3", "modified": "2020-01-01T00:00:00Z",
            "affected": [{
                "package": {"ecosystem": "PyPI", "name": "demo"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0", "fixed": "1.0"}]},
                    {"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}]},
                    {"type": "WEIRD", "events": [{"introduced": "0"}]},
                    {"type": "ECOSYSTEM", "events": [{"introduced": 5}]},
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}
                ]
            }]
        }));
        let ranges = &r.advisory.affected[0].ranges;
        assert!(
            ranges[0]
                .problem
                .as_ref()
                .unwrap()
                .contains("more than one")
        );
        assert!(
            ranges[1]
                .problem
                .as_ref()
                .unwrap()
                .contains("no `introduced`")
        );
        assert!(ranges[2].problem.as_ref().unwrap().contains("WEIRD"));
        assert!(
            ranges[3]
                .problem
                .as_ref()
                .unwrap()
                .contains("must be a string")
        );
        assert_eq!(ranges[4].problem, None);
        assert_eq!(r.problems.len(), 4, "{:?}", r.problems);
        assert!(
            r.problems[0].starts_with("affected[0].ranges[0] (demo)"),
            "{:?}",
            r.problems
        );
    }

    #[test]
    fn entries_without_a_usable_package_are_dropped_and_named() {
        let r = parse(json!({
            "id": "X-4", "modified": "2020-01-01T00:00:00Z",
            "affected": [
                {"package": {"ecosystem": "PyPI"}, "versions": ["1.0"]},
                {"ranges": [{"type": "GIT", "repo": "r", "events": [{"introduced": "abc"}]}]},
                {"package": {"ecosystem": "PyPI", "name": "ok"}, "versions": ["1.0", 2]}
            ]
        }));
        assert_eq!(r.advisory.affected.len(), 1);
        assert_eq!(r.advisory.affected[0].versions, vec!["1.0"]);
        assert!(
            r.advisory.affected[0]
                .problem
                .as_ref()
                .unwrap()
                .contains("versions[1]")
        );
        // The GIT-only entry without a package is allowed by the schema: no problem.
        assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
    }

    #[test]
    fn non_string_withdrawn_keeps_the_advisory_active() {
        let r = parse(json!({"id": "X-5", "modified": "2020-01-01T00:00:00Z", "withdrawn": true}));
        assert!(!r.advisory.is_withdrawn());
        assert_eq!(r.problems.len(), 1);
        let r = parse(
            json!({"id": "X-6", "modified": "2020-01-01T00:00:00Z", "withdrawn": "2021-01-01T00:00:00Z"}),
        );
        assert!(r.advisory.is_withdrawn());
    }

    #[test]
    fn missing_modified_is_a_problem_not_a_drop() {
        let r = parse(json!({"id": "X-7"}));
        assert_eq!(r.advisory.id, "X-7");
        assert_eq!(
            r.problems,
            vec!["missing required field `modified`".to_string()]
        );
    }

    #[test]
    fn validated_form_round_trips_through_serde() {
        let r = parse(json!({
            "id": "GO-2022-0969", "modified": "0001-01-01T00:00:00Z", "aliases": ["CVE-2022-27664"],
            "affected": [{"package": {"name": "stdlib", "ecosystem": "Go"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.18.6"}, {"introduced": "1.19.0-0"}, {"fixed": "1.19.1"}]}],
              "ecosystem_specific": {"imports": [{"path": "net/http", "symbols": ["Serve"]}]}}]
        }));
        let text = serde_json::to_string(&r.advisory).unwrap();
        let back: Advisory = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r.advisory);
        assert!(
            text.contains(r#""events":[{"introduced":"0"},{"fixed":"1.18.6"}"#),
            "{text}"
        );
    }
}
