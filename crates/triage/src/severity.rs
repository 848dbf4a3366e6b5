//! Severity: CVSS base scores computed from the vectors advisories publish.
//!
//! OSV `severity` items carry a type (`CVSS_V2`, `CVSS_V3`, `CVSS_V4`) and a vector.
//! The base score is computed with the `cvss` crate (RustSec's), never taken from a
//! database's own number. CVSS v3 vectors that also carry temporal or environmental
//! metrics are scored on their base metrics (those extra metrics are removed before
//! parsing) rather than rejected. CVSS v2 vectors are accepted with or without a
//! `(AV:...)` wrapper.
//!
//! When several vectors are known for one vulnerability (its own record, its aliases),
//! [`best`] chooses the one policies are written against: CVSS v3 (3.1 before 3.0),
//! then v4, then v2; among vectors of the same version, the highest score, so that a
//! disagreement between databases errs toward urgency.
//!
//! A qualitative severity (GHSA's `database_specific.severity`: LOW, MODERATE, HIGH,
//! CRITICAL) is the fallback when no vector can be scored; with neither, the severity
//! is unknown, and shown as unknown, never as low.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use cverun_osv::Severity as OsvSeverity;
use serde::Serialize;

/// A computed CVSS base score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Score {
    /// The base score, 0.0 to 10.0.
    pub score: f64,
    /// The rating of that score: `NONE`, `LOW`, `MEDIUM`, `HIGH`, `CRITICAL`.
    pub rating: Rating,
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: &'static str,
    /// The vector as published.
    pub vector: Arc<str>,
}

/// Qualitative severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Rating {
    /// 0.0.
    None,
    /// 0.1-3.9.
    Low,
    /// 4.0-6.9.
    Medium,
    /// 7.0-8.9.
    High,
    /// 9.0-10.0.
    Critical,
}

impl Rating {
    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Rating::None => "NONE",
            Rating::Low => "LOW",
            Rating::Medium => "MEDIUM",
            Rating::High => "HIGH",
            Rating::Critical => "CRITICAL",
        }
    }

    /// Reads a database's qualitative severity (`MODERATE` is GHSA's `MEDIUM`).
    pub fn from_label(s: &str) -> Option<Rating> {
        Some(match s.trim().to_ascii_uppercase().as_str() {
            "NONE" => Rating::None,
            "LOW" => Rating::Low,
            "MEDIUM" | "MODERATE" => Rating::Medium,
            "HIGH" | "IMPORTANT" => Rating::High,
            "CRITICAL" => Rating::Critical,
            _ => return None,
        })
    }

    fn of(c: cvss::Severity) -> Rating {
        match c {
            cvss::Severity::None => Rating::None,
            cvss::Severity::Low => Rating::Low,
            cvss::Severity::Medium => Rating::Medium,
            cvss::Severity::High => Rating::High,
            cvss::Severity::Critical => Rating::Critical,
        }
    }
}

impl fmt::Display for Rating {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a vector could not be scored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VectorError(pub String);

/// Base metric keys of CVSS v3 (everything else is temporal or environmental).
const V3_BASE: [&str; 8] = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
/// Base metric keys of CVSS v4.
const V4_BASE: [&str; 11] = [
    "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
];
/// Base metric keys of CVSS v2.
const V2_BASE: [&str; 6] = ["AV", "AC", "Au", "C", "I", "A"];

/// Every base metric present exactly once (the `cvss` crate fills missing ones with
/// defaults, which would invent a score).
fn complete(metrics: &str, required: &[&str]) -> Result<(), String> {
    let keys: Vec<&str> = metrics
        .split('/')
        .filter_map(|m| m.split(':').next())
        .collect();
    let missing: Vec<&&str> = required.iter().filter(|k| !keys.contains(k)).collect();
    if !missing.is_empty() {
        return Err(format!("missing base metrics {missing:?}"));
    }
    if let Some(k) = required
        .iter()
        .find(|k| keys.iter().filter(|x| x == k).count() > 1)
    {
        return Err(format!("metric {k} given twice"));
    }
    Ok(())
}

/// Scores one OSV severity item. `Ok(None)` for types that are not CVSS (`Ubuntu`).
pub fn score(item: &OsvSeverity) -> Result<Option<Score>, VectorError> {
    let vector = item.score.trim();
    let err = |e: &dyn fmt::Display| VectorError(format!("{} vector {vector:?}: {e}", item.kind));
    match item.kind.as_str() {
        "CVSS_V3" => {
            let (prefix, rest) = vector.split_once('/').ok_or_else(|| {
                VectorError(format!("CVSS_V3 vector {vector:?} has no CVSS:3.x prefix"))
            })?;
            let version = match prefix {
                "CVSS:3.1" => "3.1",
                "CVSS:3.0" => "3.0",
                other => {
                    return Err(VectorError(format!(
                        "CVSS_V3 vector {vector:?}: unknown prefix {other:?}"
                    )));
                }
            };
            let base: Vec<&str> = rest
                .split('/')
                .filter(|m| m.split(':').next().is_some_and(|k| V3_BASE.contains(&k)))
                .collect();
            let text = format!("{prefix}/{}", base.join("/"));
            complete(&base.join("/"), &V3_BASE).map_err(|e| err(&e))?;
            let v = cvss::v3::Vector::from_str(&text).map_err(|e| err(&e))?;
            let s = v.base_score();
            Ok(Some(Score {
                score: s.value(),
                rating: Rating::of(s.severity()),
                version,
                vector: Arc::from(vector),
            }))
        }
        "CVSS_V4" => {
            complete(vector.trim_start_matches("CVSS:4.0/"), &V4_BASE).map_err(|e| err(&e))?;
            let v = cvss::v4::Vector::from_str(vector).map_err(|e| err(&e))?;
            let (value, severity) = (v.score().value(), v.score().severity());
            Ok(Some(Score {
                score: value,
                rating: Rating::of(severity),
                version: "4.0",
                vector: Arc::from(vector),
            }))
        }
        "CVSS_V2" => {
            let inner = vector.trim_start_matches('(').trim_end_matches(')');
            complete(inner, &V2_BASE).map_err(|e| err(&e))?;
            let v = cvss::v2::Vector::from_str(inner).map_err(|e| err(&e))?;
            let s = v.score();
            Ok(Some(Score {
                score: s.value(),
                rating: Rating::of(s.severity()),
                version: "2.0",
                vector: Arc::from(vector),
            }))
        }
        _ => Ok(None),
    }
}

fn preference(version: &str) -> u8 {
    match version {
        "3.1" => 0,
        "3.0" => 1,
        "4.0" => 2,
        _ => 3,
    }
}

/// The score policies use, from every vector known for a vulnerability (see the
/// module doc), with the vectors that could not be scored.
pub fn best<'a>(
    items: impl IntoIterator<Item = &'a OsvSeverity>,
) -> (Option<Score>, Vec<VectorError>) {
    let mut best: Option<Score> = None;
    let mut errors = Vec::new();
    for item in items {
        match score(item) {
            Ok(Some(s)) => {
                let better = match &best {
                    None => true,
                    Some(b) => {
                        (preference(s.version), -s.score) < (preference(b.version), -b.score)
                    }
                };
                if better {
                    best = Some(s);
                }
            }
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    (best, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sev(kind: &str, score: &str) -> OsvSeverity {
        OsvSeverity {
            kind: kind.into(),
            score: score.into(),
        }
    }

    /// Scores from the specifications' own examples (FIRST's CVSS v3.1 and v4.0
    /// calculators, NVD's v2 calculator).
    #[test]
    fn known_scores() {
        let cases = [
            (
                "CVSS_V3",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                9.8,
                Rating::Critical,
            ),
            (
                "CVSS_V3",
                "CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H",
                8.1,
                Rating::High,
            ),
            (
                "CVSS_V3",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
                10.0,
                Rating::Critical,
            ),
            (
                "CVSS_V3",
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L",
                5.3,
                Rating::Medium,
            ),
            ("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5, Rating::High),
            (
                "CVSS_V4",
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
                Rating::Critical,
            ),
        ];
        for (kind, v, expected, rating) in cases {
            let s = score(&sev(kind, v)).unwrap().unwrap();
            assert!((s.score - expected).abs() < 1e-9, "{v}: {}", s.score);
            assert_eq!(s.rating, rating, "{v}");
        }
    }

    #[test]
    fn temporal_and_environmental_metrics_are_scored_on_the_base() {
        let plain = score(&sev(
            "CVSS_V3",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        ))
        .unwrap()
        .unwrap();
        let extra = score(&sev(
            "CVSS_V3",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H/MAV:L",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(plain.score, extra.score);
        assert!(
            extra.vector.ends_with("MAV:L"),
            "the published vector is kept"
        );
    }

    #[test]
    fn bad_vectors_are_errors_not_zero() {
        for (k, v) in [
            ("CVSS_V3", "CVSS:3.1/AV:N"),
            ("CVSS_V3", "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            ("CVSS_V3", "CVSS:9.9/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            ("CVSS_V2", "nonsense"),
            ("CVSS_V4", "CVSS:4.0/AV:N"),
        ] {
            assert!(score(&sev(k, v)).is_err(), "{v}");
        }
        assert_eq!(score(&sev("Ubuntu", "high")).unwrap(), None);
    }

    #[test]
    fn best_prefers_v3_then_the_highest() {
        let items = [
            sev("CVSS_V2", "AV:N/AC:L/Au:N/C:C/I:C/A:C"),
            sev("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L"),
            sev("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
            sev("CVSS_V3", "garbage"),
        ];
        let (b, errors) = best(&items);
        let b = b.unwrap();
        assert_eq!(b.version, "3.1");
        assert!((b.score - 7.5).abs() < 1e-9, "{}", b.score);
        assert_eq!(errors.len(), 1);
        assert_eq!(best(&[]).0, None);
    }

    #[test]
    fn qualitative_labels() {
        assert_eq!(Rating::from_label("MODERATE"), Some(Rating::Medium));
        assert_eq!(Rating::from_label("critical"), Some(Rating::Critical));
        assert_eq!(Rating::from_label("severe"), None);
    }
}
