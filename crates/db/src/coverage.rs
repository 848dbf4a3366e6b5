//! What the database can judge, and how current it is.
//!
//! - [`Coverage`]: the ecosystems the database holds advisory data for. A package of
//!   any other ecosystem is *not checked*: no advisory data is not "no advisory".
//!   An ecosystem is covered when a source's records name it, or when `db update`
//!   fetched it (`osv:<Ecosystem>`). Coverage says data exists, not that it is
//!   complete: importing three npm records covers npm.
//! - [`freshness`]: for each source, the date its data is known current as of and
//!   its age; the age of the oldest source is the database's age, which
//!   `--max-db-age` limits. Pure: the time is passed in.

use std::collections::BTreeSet;

use cverun_versions::Ecosystem;
use jiff::Timestamp;
use serde::Serialize;

use crate::error::Result;
use crate::store::{Database, Snapshot, SourceStatus};

pub use crate::store::EARLIEST_REAL_DATE;

/// The ecosystems a database holds advisory data for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Coverage {
    /// OSV ecosystem names, sorted.
    pub ecosystems: BTreeSet<String>,
    /// Sources holding OSV records (KEV and EPSS aside).
    pub advisory_sources: usize,
}

impl Coverage {
    /// The coverage of these sources.
    pub fn of(sources: &[SourceStatus]) -> Coverage {
        let mut c = Coverage::default();
        for s in sources.iter().filter(|s| is_advisory_source(s)) {
            c.advisory_sources += 1;
            if let Some(eco) = s.name.strip_prefix("osv:") {
                c.ecosystems
                    .insert(Ecosystem::from_osv(eco).osv_name().to_owned());
            }
            for e in &s.ecosystems {
                c.ecosystems
                    .insert(Ecosystem::from_osv(e).osv_name().to_owned());
            }
        }
        c
    }

    /// Whether the database holds any advisory data at all.
    pub fn is_empty(&self) -> bool {
        self.advisory_sources == 0 || self.ecosystems.is_empty()
    }

    /// Whether the database holds advisory data for `ecosystem`.
    pub fn covers(&self, ecosystem: &Ecosystem) -> bool {
        self.ecosystems.contains(ecosystem.osv_name())
    }

    /// Why a package of `ecosystem` is not checked (`None` when covered).
    pub fn gap(&self, ecosystem: &Ecosystem) -> Option<String> {
        (!self.covers(ecosystem)).then(|| {
            format!(
                "no advisory data for {} in this database",
                ecosystem.osv_name()
            )
        })
    }
}

/// Whether a source holds OSV records (not the KEV catalog or EPSS scores).
pub fn is_advisory_source(s: &SourceStatus) -> bool {
    s.name != "kev" && s.name != "epss"
}

/// The message for a database without any advisory data.
pub fn empty_message(location: &str) -> String {
    format!(
        "the advisory database {location} holds no advisory data: cverun cannot judge anything. \
         Fill it with `cverun db update` (or `--ecosystem PyPI,npm,...`), or `cverun db import PATH` \
         with OSV records (an all.zip, a directory of .json files), or pass `--advisories PATH`"
    )
}

impl Database {
    /// The ecosystems this database holds advisory data for.
    pub fn coverage(&self) -> Result<Coverage> {
        Ok(Coverage::of(&self.sources()?))
    }

    /// Whether any advisory (withdrawn ones aside) names this package.
    pub fn names_package(&self, ecosystem: &Ecosystem, name: &str) -> Result<bool> {
        let key = cverun_versions::normalize_name(ecosystem, name);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT 1 FROM affected WHERE ecosystem = ?1 AND name = ?2 LIMIT 1")
            .map_err(|e| self.err(e))?;
        stmt.exists(rusqlite::params![ecosystem.osv_name(), key.as_ref()])
            .map_err(|e| self.err(e))
    }

    /// Up to `limit` package names of `ecosystem` that advisories name and that are
    /// close to `name` (normalised names; see `cverun_versions::similar`).
    pub fn similar_packages(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
        limit: usize,
    ) -> Result<Vec<String>> {
        let key = cverun_versions::normalize_name(ecosystem, name);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT name FROM affected WHERE ecosystem = ?1")
            .map_err(|e| self.err(e))?;
        let names: Vec<String> = stmt
            .query_map(rusqlite::params![ecosystem.osv_name()], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))?;
        Ok(cverun_versions::similar::similar(
            &key,
            names.iter().map(String::as_str),
            limit,
        ))
    }
}

/// What a source's date rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The last time `db update` fetched it or found it unchanged on the server.
    Checked,
    /// The newest record it holds (an import: when the file was exported is unknown,
    /// its newest record is the best lower bound).
    NewestRecord,
    /// When it was imported (no record carries a real date).
    Imported,
}

/// How current one source is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceAge {
    /// The source (`osv:PyPI`, `import:/path`, `kev`, `epss`).
    pub source: String,
    /// When it was fetched or imported (RFC 3339).
    pub fetched_at: String,
    /// The newest real `modified` date of its records (`null`: none known; dates
    /// before 1990 are placeholders and ignored).
    pub newest_record: Option<String>,
    /// The date its data is known current as of.
    pub as_of: String,
    /// What `as_of` rests on.
    pub basis: Basis,
    /// Whole days from `as_of` to now (`null`: no readable date, never fresh).
    pub age_days: Option<i64>,
}

/// How current a database is, against a limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Freshness {
    /// Every source.
    pub sources: Vec<SourceAge>,
    /// The oldest source's age in days (`null` without sources, or when a source
    /// has no readable date).
    pub age_days: Option<i64>,
    /// The limit in days.
    pub max_age_days: i64,
    /// Whether the limit was set (flag or cverun.toml): then an older database is an
    /// error; the default limit only warns.
    pub enforced: bool,
    /// Sources older than the limit.
    pub stale: Vec<String>,
}

impl Freshness {
    /// The sentence for reports when some source is older than the limit.
    pub fn warning(&self) -> Option<String> {
        if self.stale.is_empty() {
            return None;
        }
        let oldest = self
            .sources
            .iter()
            .max_by_key(|s| s.age_days.unwrap_or(i64::MAX))
            .map(|s| {
                format!(
                    "{} is {} old (as of {}, {})",
                    s.source,
                    match s.age_days {
                        Some(d) => format!("{d} days"),
                        None => "of unknown age".into(),
                    },
                    short_date(&s.as_of),
                    match s.basis {
                        Basis::Checked => "last fetched",
                        Basis::NewestRecord => "its newest record",
                        Basis::Imported => "imported",
                    }
                )
            })
            .unwrap_or_default();
        Some(format!(
            "advisory data older than {} days: {oldest}; {} of {} sources are stale. Run `cverun db update`",
            self.max_age_days,
            self.stale.len(),
            self.sources.len()
        ))
    }
}

/// The default limit: older data is warned about, not refused.
pub const DEFAULT_MAX_AGE_DAYS: i64 = 7;

/// `2026-11-30T08:00:00Z` -> `2026-11-30`.
pub fn short_date(ts: &str) -> &str {
    ts.get(..10).unwrap_or(ts)
}

/// The newest real date among `modified` values (placeholders before 1990 ignored).
pub fn newest_real(modified: Option<&str>) -> Option<Timestamp> {
    let floor: Timestamp = EARLIEST_REAL_DATE.parse().ok()?;
    modified
        .and_then(|m| m.parse::<Timestamp>().ok())
        .filter(|t| *t >= floor)
}

/// An RFC 3339 time, or a day (`2025-08-25`, read as its start in UTC).
fn parse_date(s: &str) -> Option<Timestamp> {
    let s = s.trim();
    s.parse::<Timestamp>().ok().or_else(|| {
        s.get(..10)
            .filter(|d| d.parse::<jiff::civil::Date>().is_ok())
            .and_then(|d| format!("{d}T00:00:00Z").parse().ok())
    })
}

/// How current each source of `snapshot` is at `now`, against `max_age_days`.
pub fn freshness(
    snapshot: &Snapshot,
    now: Timestamp,
    max_age_days: i64,
    enforced: bool,
) -> Freshness {
    let mut sources = Vec::new();
    for s in &snapshot.sources {
        let fetched = s.fetched_at.parse::<Timestamp>().ok();
        let checked = s.checked_at.parse::<Timestamp>().ok().or(fetched);
        // The KEV catalog and EPSS scores have no records with dates: their
        // release date is that of the data.
        let released = ["date_released", "score_date"]
            .iter()
            .find_map(|k| s.details.get(*k))
            .and_then(|d| parse_date(d));
        let newest = newest_real(s.newest_modified.as_deref()).or(released);
        let (as_of, basis) = match (s.kind.as_str(), checked, newest) {
            ("update", Some(c), _) => (Some(c), Basis::Checked),
            (_, _, Some(n)) => (Some(n), Basis::NewestRecord),
            (_, c, None) => (c, Basis::Imported),
        };
        // A source without any readable date is never fresh.
        let age_days = as_of.map(|t| (now.as_second() - t.as_second()).max(0) / 86_400);
        sources.push(SourceAge {
            source: s.name.clone(),
            fetched_at: s.fetched_at.clone(),
            newest_record: newest.map(|t| t.to_string()),
            as_of: as_of
                .map(|t| t.to_string())
                .unwrap_or_else(|| "unknown".into()),
            basis,
            age_days,
        });
    }
    let stale = sources
        .iter()
        .filter(|s| s.age_days.is_none_or(|d| d > max_age_days))
        .map(|s| s.source.clone())
        .collect();
    Freshness {
        age_days: if sources.iter().any(|s| s.age_days.is_none()) {
            None
        } else {
            sources.iter().filter_map(|s| s.age_days).max()
        },
        sources,
        max_age_days,
        enforced,
        stale,
    }
}

/// Reads a maximum age: `7d`, `36h`, `2w` or a number of days; whole days, at
/// least 0 (hours are rounded up to days).
pub fn parse_max_age(s: &str) -> std::result::Result<i64, String> {
    let t = s.trim().to_ascii_lowercase();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&t[..i], t[i..].trim()),
        None => (t.as_str(), "d"),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("{s:?}: expected a duration such as 7d, 36h or 2w"))?;
    match unit {
        "d" | "day" | "days" => Ok(n),
        "w" | "week" | "weeks" => n.checked_mul(7).ok_or_else(|| format!("{s:?}: too large")),
        "h" | "hour" | "hours" => Ok((n + 23) / 24),
        _ => Err(format!(
            "{s:?}: unknown unit {unit:?} (expected d, h or w, as in 7d, 36h, 2w)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(
        name: &str,
        kind: &str,
        fetched: &str,
        newest: Option<&str>,
        ecos: &[&str],
    ) -> SourceStatus {
        SourceStatus {
            name: name.into(),
            kind: kind.into(),
            origin: String::new(),
            fetched_at: fetched.into(),
            checked_at: fetched.into(),
            sha256: String::new(),
            records: 1,
            skipped: 0,
            problems: 0,
            newest_modified: newest.map(str::to_owned),
            ecosystems: ecos.iter().map(|e| (*e).to_owned()).collect(),
            etag: None,
            last_modified: None,
            details: Default::default(),
        }
    }

    #[test]
    fn coverage_comes_from_records_and_updated_ecosystems() {
        let c = Coverage::of(&[
            source("osv:Maven", "update", "2026-12-01T00:00:00Z", None, &[]),
            source(
                "import:/x",
                "import",
                "2026-12-01T00:00:00Z",
                None,
                &["PyPI", "crates.io"],
            ),
            source("kev", "import", "2026-12-01T00:00:00Z", None, &[]),
        ]);
        assert!(c.covers(&Ecosystem::Maven));
        assert!(c.covers(&Ecosystem::PyPI));
        assert!(c.covers(&Ecosystem::CratesIo));
        assert!(!c.covers(&Ecosystem::Npm));
        assert_eq!(c.advisory_sources, 2);
        assert_eq!(
            c.gap(&Ecosystem::Npm).as_deref(),
            Some("no advisory data for npm in this database")
        );
        // KEV or EPSS alone is no advisory data.
        let only_kev = Coverage::of(&[source("kev", "import", "2026-12-01T00:00:00Z", None, &[])]);
        assert!(only_kev.is_empty());
        assert!(Coverage::of(&[]).is_empty());
    }

    #[test]
    fn ages_rest_on_checks_for_updates_and_on_records_for_imports() {
        let snap = Snapshot {
            id: String::new(),
            location: String::new(),
            sources: vec![
                source(
                    "osv:Go",
                    "update",
                    "2026-11-30T00:00:00Z",
                    Some("0001-01-01T00:00:00Z"),
                    &["Go"],
                ),
                source(
                    "import:/p",
                    "import",
                    "2026-12-01T00:00:00Z",
                    Some("2024-10-10T12:00:00Z"),
                    &["PyPI"],
                ),
                source("kev", "import", "2026-11-01T00:00:00Z", None, &[]),
                {
                    let mut epss = source("epss", "import", "2026-12-01T00:00:00Z", None, &[]);
                    epss.details
                        .insert("score_date".into(), "2026-11-20".into());
                    epss
                },
            ],
        };
        let now: Timestamp = "2026-12-02T12:00:00Z".parse().unwrap();
        let f = freshness(&snap, now, 7, false);
        let go = &f.sources[0];
        assert_eq!((go.basis, go.age_days), (Basis::Checked, Some(2)));
        // The placeholder date is no real date.
        assert_eq!(go.newest_record, None);
        let pypi = &f.sources[1];
        assert_eq!(pypi.basis, Basis::NewestRecord);
        assert_eq!(pypi.age_days, Some(783));
        let kev = &f.sources[2];
        assert_eq!((kev.basis, kev.age_days), (Basis::Imported, Some(31)));
        // EPSS scores are as old as their score date, whenever imported.
        let epss = &f.sources[3];
        assert_eq!((epss.basis, epss.age_days), (Basis::NewestRecord, Some(12)));
        assert_eq!(epss.newest_record.as_deref(), Some("2026-11-20T00:00:00Z"));
        assert_eq!(
            f.stale,
            vec!["import:/p".to_owned(), "kev".to_owned(), "epss".to_owned()]
        );
        assert_eq!(f.age_days, Some(783));
        let w = f.warning().unwrap();
        assert!(
            w.contains("import:/p is 783 days old (as of 2024-10-10, its newest record)"),
            "{w}"
        );
        // Two years later every source is stale.
        let later: Timestamp = "2028-12-02T12:00:00Z".parse().unwrap();
        assert_eq!(freshness(&snap, later, 7, true).stale.len(), 4);
    }

    #[test]
    fn max_age_spellings() {
        assert_eq!(parse_max_age("7d"), Ok(7));
        assert_eq!(parse_max_age("14"), Ok(14));
        assert_eq!(parse_max_age("2w"), Ok(14));
        assert_eq!(parse_max_age("36h"), Ok(2));
        assert_eq!(parse_max_age("0d"), Ok(0));
        assert!(parse_max_age("soon").is_err());
        assert!(parse_max_age("7 fortnights").is_err());
        assert!(parse_max_age("-3d").is_err());
    }
}
