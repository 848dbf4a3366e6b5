//! The SQLite store: schema, sources, writing one source in one transaction, status.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use cverun_osv::{Advisory, Affected, ParsedRecord};
use cverun_versions::normalize_name;
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// File name of the database inside its directory.
pub const FILE_NAME: &str = "advisories.sqlite3";

/// Version of the schema below; a database with another version is refused with a
/// message saying how to rebuild it (the data is a cache of public records).
const SCHEMA_VERSION: i64 = 6;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    origin TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    records INTEGER NOT NULL,
    skipped INTEGER NOT NULL,
    problems INTEGER NOT NULL,
    newest_modified TEXT,
    etag TEXT,
    last_modified TEXT,
    ecosystems TEXT NOT NULL,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS advisories (
    source_id INTEGER NOT NULL,
    id TEXT NOT NULL,
    modified TEXT,
    withdrawn TEXT,
    aliases TEXT NOT NULL,
    summary TEXT,
    severity TEXT NOT NULL,
    qualitative TEXT,
    body BLOB NOT NULL,
    PRIMARY KEY (source_id, id)
);
CREATE TABLE IF NOT EXISTS affected (
    ecosystem TEXT NOT NULL,
    name TEXT NOT NULL,
    advisory_id TEXT NOT NULL,
    source_id INTEGER NOT NULL,
    modified TEXT,
    aliases TEXT NOT NULL,
    summary TEXT,
    severity TEXT NOT NULL,
    entries TEXT NOT NULL,
    PRIMARY KEY (ecosystem, name, advisory_id, source_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS affected_source ON affected (source_id);
CREATE TABLE IF NOT EXISTS ids (
    id TEXT NOT NULL,
    source_id INTEGER NOT NULL,
    advisory_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ids_id ON ids (id);
CREATE INDEX IF NOT EXISTS ids_source ON ids (source_id);
CREATE TABLE IF NOT EXISTS related (
    id TEXT NOT NULL,
    source_id INTEGER NOT NULL,
    advisory_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS related_id ON related (id);
CREATE INDEX IF NOT EXISTS related_advisory ON related (advisory_id);
CREATE INDEX IF NOT EXISTS related_source ON related (source_id);
CREATE TABLE IF NOT EXISTS shared_ids (
    id TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kev (
    cve TEXT NOT NULL,
    source_id INTEGER NOT NULL,
    vendor TEXT,
    product TEXT,
    name TEXT,
    date_added TEXT,
    due_date TEXT,
    ransomware TEXT,
    PRIMARY KEY (cve, source_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS epss (
    cve TEXT NOT NULL,
    source_id INTEGER NOT NULL,
    score REAL NOT NULL,
    percentile REAL NOT NULL,
    PRIMARY KEY (cve, source_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS warnings (
    source_id INTEGER NOT NULL,
    location TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refusals (
    source TEXT NOT NULL,
    at TEXT NOT NULL,
    url TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS refusals_source ON refusals (source);
";

/// An open advisory database.
pub struct Database {
    pub(crate) conn: Connection,
    dir: Option<PathBuf>,
    label: String,
}

/// One source of advisories and what was loaded from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceStatus {
    /// `osv:<Ecosystem>` for downloaded ecosystems, `import:<path>` for imports.
    pub name: String,
    /// `update` or `import`.
    pub kind: String,
    /// Where from: a URL or an absolute path.
    pub origin: String,
    /// When the data now held was fetched or imported (RFC 3339).
    pub fetched_at: String,
    /// When the source was last checked (same as `fetched_at`, or later when an
    /// update found it unchanged).
    pub checked_at: String,
    /// SHA-256 of the source file (for a directory: of its sorted file list with
    /// each file's SHA-256).
    pub sha256: String,
    /// Records loaded.
    pub records: u64,
    /// Records that could not be loaded at all (each has a warning).
    pub skipped: u64,
    /// Records loaded with a problem in part of them (each has a warning).
    pub problems: u64,
    /// The newest `modified` among the records, ignoring placeholder dates before
    /// [`EARLIEST_REAL_DATE`]; `None` when no record has a real date.
    pub newest_modified: Option<String>,
    /// Ecosystems seen in the records.
    pub ecosystems: Vec<String>,
    /// `ETag` of the download, for conditional requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `Last-Modified` of the download, for conditional requests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// Facts about the source's content: the KEV `catalog_version` and
    /// `date_released`, the EPSS `model_version` and `score_date`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub details: BTreeMap<String, String>,
}

/// What a database holds, named in every report so that a result can be reproduced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    /// SHA-256 over the sources' names, hashes and record counts (hex); two
    /// databases with the same id hold the same advisories.
    pub id: String,
    /// The database location (`(in memory)` for a temporary one).
    pub location: String,
    /// The sources.
    pub sources: Vec<SourceStatus>,
}

/// How many refusals are kept per source (the newest).
pub const REFUSALS_KEPT: usize = 5;

/// `modified` dates before this are placeholders (the Go data carries
/// `0001-01-01T00:00:00Z`), not real dates: the newest record date ignores them.
pub const EARLIEST_REAL_DATE: &str = "1990-01-01T00:00:00Z";

/// An update of a source that was refused or failed; the source's previous data
/// (if any) stayed in use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    /// The source (`osv:<Ecosystem>`, `kev`, `epss`).
    pub source: String,
    /// When (RFC 3339).
    pub at: String,
    /// The URL fetched.
    pub url: String,
    /// Why, with what was received.
    pub reason: String,
}

/// A warning recorded while loading a source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// The source.
    pub source: String,
    /// File or archive entry (and record) it is about.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl Database {
    /// Opens the database in `dir`, creating the directory and the database if needed.
    pub fn open(dir: &Path) -> Result<Database> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::input(dir, format!("cannot create the database directory: {e}")))?;
        Self::open_file(dir, true)
    }

    /// Opens the database in `dir`; [`Error::Missing`] when there is none.
    pub fn open_existing(dir: &Path) -> Result<Database> {
        if !dir.join(FILE_NAME).is_file() {
            return Err(Error::Missing(dir.display().to_string()));
        }
        Self::open_file(dir, false)
    }

    /// A temporary database in memory (for `--advisories PATH` runs and tests).
    pub fn in_memory() -> Result<Database> {
        let conn = Connection::open_in_memory().map_err(|e| sqlite("(in memory)", e))?;
        let db = Database {
            conn,
            dir: None,
            label: "(in memory)".into(),
        };
        db.init()?;
        Ok(db)
    }

    fn open_file(dir: &Path, create: bool) -> Result<Database> {
        let path = dir.join(FILE_NAME);
        let label = path.display().to_string();
        let flags = if create {
            rusqlite::OpenFlags::default()
        } else {
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let conn = Connection::open_with_flags(&path, flags).map_err(|e| sqlite(&label, e))?;
        conn.busy_timeout(Duration::from_secs(60))
            .map_err(|e| sqlite(&label, e))?;
        let db = Database {
            conn,
            dir: Some(dir.to_owned()),
            label,
        };
        db.init()?;
        Ok(db)
    }

    fn init(&self) -> Result<()> {
        let l = &self.label;
        // WAL: readers keep reading the previous data while an update writes.
        // synchronous=NORMAL in WAL mode is durable across a killed process.
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| sqlite(l, e))?;
        self.conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| sqlite(l, e))?;
        // A 16 MiB page cache (the default is 2 MiB) for large scans.
        self.conn
            .pragma_update(None, "cache_size", -16384)
            .map_err(|e| sqlite(l, e))?;
        let existing: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'schema'", [], |r| {
                r.get(0)
            })
            .optional()
            .or_else(|e| match e {
                rusqlite::Error::SqliteFailure(_, Some(ref m))
                    if m.starts_with("no such table") =>
                {
                    Ok(None)
                }
                e => Err(e),
            })
            .map_err(|e| sqlite(l, e))?;
        match existing {
            Some(v) if v == SCHEMA_VERSION.to_string() => Ok(()),
            Some(v) => Err(Error::Incompatible {
                path: l.clone(),
                message: format!(
                    "schema version {v}, this cverun reads version {SCHEMA_VERSION}; delete the directory and run `cverun db update` or `cverun db import` again"
                ),
            }),
            None => {
                self.conn.execute_batch(SCHEMA).map_err(|e| sqlite(l, e))?;
                self.conn
                    .execute(
                        "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?1)",
                        params![SCHEMA_VERSION.to_string()],
                    )
                    .map_err(|e| sqlite(l, e))?;
                Ok(())
            }
        }
    }

    /// The directory of an on-disk database.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// The database file (or `(in memory)`), for messages.
    pub fn label(&self) -> &str {
        &self.label
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> Error {
        sqlite(&self.label, e)
    }

    /// Every source, by name.
    pub fn sources(&self) -> Result<Vec<SourceStatus>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT name, kind, origin, fetched_at, checked_at, sha256, records, skipped, problems,
                        newest_modified, ecosystems, etag, last_modified, details
                 FROM sources ORDER BY name",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                let ecosystems: String = r.get(10)?;
                Ok(SourceStatus {
                    name: r.get(0)?,
                    kind: r.get(1)?,
                    origin: r.get(2)?,
                    fetched_at: r.get(3)?,
                    checked_at: r.get(4)?,
                    sha256: r.get(5)?,
                    records: r.get::<_, i64>(6)? as u64,
                    skipped: r.get::<_, i64>(7)? as u64,
                    problems: r.get::<_, i64>(8)? as u64,
                    newest_modified: r.get(9)?,
                    ecosystems: serde_json::from_str(&ecosystems).unwrap_or_default(),
                    etag: r.get(11)?,
                    last_modified: r.get(12)?,
                    details: serde_json::from_str(&r.get::<_, String>(13)?).unwrap_or_default(),
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// One source by name.
    pub fn source(&self, name: &str) -> Result<Option<SourceStatus>> {
        Ok(self.sources()?.into_iter().find(|s| s.name == name))
    }

    /// The snapshot this database holds now.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let sources = self.sources()?;
        let mut h = Sha256::new();
        for s in &sources {
            h.update(format!("{}\t{}\t{}\n", s.name, s.sha256, s.records).as_bytes());
        }
        Ok(Snapshot {
            id: hex(&h.finalize()),
            location: self.label.clone(),
            sources,
        })
    }

    /// Warnings recorded for every source (or only `source`).
    pub fn warnings(&self, source: Option<&str>) -> Result<Vec<Warning>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT s.name, w.location, w.message FROM warnings w JOIN sources s ON s.id = w.source_id
                 WHERE ?1 IS NULL OR s.name = ?1 ORDER BY s.name, w.rowid",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![source], |r| {
                Ok(Warning {
                    source: r.get(0)?,
                    location: r.get(1)?,
                    message: r.get(2)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Records that an update of `source` from `url` was refused at `at`, keeping
    /// the newest [`REFUSALS_KEPT`] of that source.
    pub(crate) fn record_refusal(
        &self,
        source: &str,
        at: Timestamp,
        url: &str,
        reason: &str,
    ) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO refusals (source, at, url, reason) VALUES (?1, ?2, ?3, ?4)",
                params![source, at.to_string(), url, reason],
            )
            .map_err(|e| self.err(e))?;
        self.conn
            .execute(
                "DELETE FROM refusals WHERE source = ?1 AND rowid NOT IN
                 (SELECT rowid FROM refusals WHERE source = ?1 ORDER BY rowid DESC LIMIT ?2)",
                params![source, REFUSALS_KEPT as i64],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Refused updates kept for every source, by source then oldest first.
    pub fn refusals(&self) -> Result<Vec<Refusal>> {
        let mut stmt = self
            .conn
            .prepare("SELECT source, at, url, reason FROM refusals ORDER BY source, rowid")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Refusal {
                    source: r.get(0)?,
                    at: r.get(1)?,
                    url: r.get(2)?,
                    reason: r.get(3)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.err(e))
    }

    /// Marks `name` as checked at `now` (an update found it unchanged).
    pub(crate) fn touch_source(&self, name: &str, now: Timestamp) -> Result<()> {
        self.conn
            .execute(
                "UPDATE sources SET checked_at = ?1 WHERE name = ?2",
                params![now.to_string(), name],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// The ids worth a severity lookup: every id that more than one record carries
    /// (as its id or an alias), and the id of every record with a qualitative
    /// rating. Any other id leads to one record, whose vectors its findings carry.
    pub fn shared_ids(&self) -> Result<std::collections::HashSet<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM shared_ids")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    /// The full advisory with this id, or whose aliases include it; the newest
    /// `modified` wins when several sources hold it. Aliases can name several
    /// advisories (a CVE with a PYSEC and a GHSA record): all are returned.
    /// Records that only list the id in `related` are not returned (see
    /// [`Database::advisories_related_to`]).
    pub fn advisories_by_id(&self, id: &str) -> Result<Vec<Advisory>> {
        self.newest_records(
            "SELECT a.id, a.modified, a.body FROM ids i
             JOIN advisories a ON a.source_id = i.source_id AND a.id = i.advisory_id
             WHERE i.id = ?1 ORDER BY a.id, a.source_id",
            id,
        )
    }

    /// The live (not withdrawn) records that list `id` in their OSV `related`
    /// field: different vulnerabilities that their publisher relates to `id`
    /// (a GO record naming the CVE of the same attack in another package). The
    /// newest `modified` of each record wins, as for [`Database::advisories_by_id`];
    /// a record whose newest version is withdrawn is left out.
    pub fn advisories_related_to(&self, id: &str) -> Result<Vec<Advisory>> {
        let records = self.newest_records(
            "SELECT a.id, a.modified, a.body FROM related r
             JOIN advisories a ON a.source_id = r.source_id AND a.id = r.advisory_id
             WHERE r.id = ?1 ORDER BY a.id, a.source_id",
            id,
        )?;
        Ok(records.into_iter().filter(|r| !r.is_withdrawn()).collect())
    }

    /// For each of `records` (advisory ids), the ids it lists in `related`, sorted;
    /// read in one statement. A record held by several sources contributes the
    /// related ids of every live copy. Records listing none are absent.
    pub fn related_of(&self, records: &[&str]) -> Result<HashMap<String, Vec<String>>> {
        self.fill_ids(records)?;
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT l.id, r.id FROM temp.idlookup l
                 CROSS JOIN related r ON r.advisory_id = l.id
                 JOIN advisories a ON a.source_id = r.source_id AND a.id = r.advisory_id
                 WHERE a.withdrawn IS NULL
                 ORDER BY l.id, r.id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for row in rows {
            let (record, related) = row.map_err(|e| self.err(e))?;
            out.entry(record).or_default().push(related);
        }
        Ok(out)
    }

    /// The records `sql` selects for `id` (rows of id, modified, body, sorted by
    /// id), the newest `modified` of each id, decoded.
    fn newest_records(&self, sql: &str, id: &str) -> Result<Vec<Advisory>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut best: BTreeMap<String, (Option<Timestamp>, Vec<u8>)> = BTreeMap::new();
        for row in rows {
            let (aid, modified, body) = row.map_err(|e| self.err(e))?;
            let m = modified.and_then(|m| m.parse::<Timestamp>().ok());
            match best.get(&aid) {
                Some((old, _)) if *old > m => {}
                _ => {
                    best.insert(aid, (m, body));
                }
            }
        }
        best.into_values()
            .map(|(_, body)| {
                decode_body(&body).map_err(|m| Error::Incompatible {
                    path: self.label.clone(),
                    message: m,
                })
            })
            .collect()
    }

    /// Starts replacing (or creating) the source `name`. Nothing is visible to
    /// readers until [`SourceWriter::commit`]; dropping the writer rolls back.
    pub(crate) fn begin_source(
        &mut self,
        name: &str,
        kind: &str,
        origin: &str,
    ) -> Result<SourceWriter<'_>> {
        let label = self.label.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|e| sqlite(&label, e))?;
        let old: Option<i64> = tx
            .query_row(
                "SELECT id FROM sources WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sqlite(&label, e))?;
        if let Some(id) = old {
            for table in ["advisories", "affected", "ids", "related", "warnings"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE source_id = ?1"),
                    params![id],
                )
                .map_err(|e| sqlite(&label, e))?;
            }
            tx.execute("DELETE FROM sources WHERE id = ?1", params![id])
                .map_err(|e| sqlite(&label, e))?;
        }
        tx.execute(
            "INSERT INTO sources (name, kind, origin, fetched_at, checked_at, sha256, records, skipped, problems, ecosystems)
             VALUES (?1, ?2, ?3, '', '', '', 0, 0, 0, '[]')",
            params![name, kind, origin],
        )
        .map_err(|e| sqlite(&label, e))?;
        let source_id = tx.last_insert_rowid();
        Ok(SourceWriter {
            tx,
            label,
            source_id,
            name: name.to_owned(),
            records: 0,
            skipped: 0,
            problems: 0,
            newest: None,
            ecosystems: BTreeSet::new(),
            naming: BTreeMap::new(),
            seen: BTreeSet::new(),
            details: BTreeMap::new(),
        })
    }
}

/// Writes one source inside one transaction.
pub(crate) struct SourceWriter<'a> {
    tx: Transaction<'a>,
    label: String,
    source_id: i64,
    name: String,
    pub(crate) records: u64,
    pub(crate) skipped: u64,
    pub(crate) problems: u64,
    newest: Option<Timestamp>,
    ecosystems: BTreeSet<String>,
    /// Per ecosystem, how many records name it in `affected[]`.
    naming: BTreeMap<String, u64>,
    seen: BTreeSet<String>,
    details: BTreeMap<String, String>,
}

impl SourceWriter<'_> {
    fn err(&self, e: rusqlite::Error) -> Error {
        sqlite(&self.label, e)
    }

    /// Records a warning.
    pub(crate) fn warn(&mut self, location: &str, message: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO warnings (source_id, location, message) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![self.source_id, location, message]))
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Counts a record that could not be loaded, with its warning.
    pub(crate) fn skip(&mut self, location: &str, message: &str) -> Result<()> {
        self.skipped += 1;
        self.warn(location, &format!("record skipped: {message}"))
    }

    /// Adds one validated record.
    pub(crate) fn add(&mut self, location: &str, parsed: ParsedRecord) -> Result<()> {
        let ParsedRecord { advisory, problems } = parsed;
        let id = advisory.id.clone();
        let place = format!("{location} ({id})");
        if !self.seen.insert(id.clone()) {
            // The same id twice in one source: the later one replaces the earlier.
            self.warn(
                &place,
                "duplicate id in this source; the later record replaces the earlier",
            )?;
            for table in ["advisories", "affected"] {
                let col = if table == "advisories" {
                    "id"
                } else {
                    "advisory_id"
                };
                self.tx
                    .execute(
                        &format!("DELETE FROM {table} WHERE source_id = ?1 AND {col} = ?2"),
                        params![self.source_id, id],
                    )
                    .map_err(|e| self.err(e))?;
            }
            for table in ["ids", "related"] {
                self.tx
                    .execute(
                        &format!("DELETE FROM {table} WHERE source_id = ?1 AND advisory_id = ?2"),
                        params![self.source_id, id],
                    )
                    .map_err(|e| self.err(e))?;
            }
            self.records -= 1;
        }
        if !problems.is_empty() {
            self.problems += 1;
            for p in &problems {
                self.warn(&place, p)?;
            }
        }
        let earliest: Timestamp = EARLIEST_REAL_DATE.parse().expect("a valid constant");
        if let Some(m) = advisory
            .modified
            .as_deref()
            .and_then(|m| m.parse::<Timestamp>().ok())
            .filter(|m| *m >= earliest)
        {
            if self.newest.is_none_or(|n| m > n) {
                self.newest = Some(m);
            }
        }
        let qualitative = advisory
            .database_specific
            .as_ref()
            .and_then(|d| d.get("severity"))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let body = encode_body(&advisory);
        let aliases = serde_json::to_string(&advisory.aliases).unwrap_or_else(|_| "[]".into());
        let severity = serde_json::to_string(&advisory.severity).unwrap_or_else(|_| "[]".into());
        self.tx
            .prepare_cached(
                "INSERT INTO advisories (source_id, id, modified, withdrawn, aliases, summary, severity, qualitative, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    self.source_id,
                    id,
                    advisory.modified,
                    advisory.withdrawn,
                    aliases,
                    advisory.summary,
                    severity,
                    qualitative,
                    body
                ])
            })
            .map_err(|e| self.err(e))?;
        {
            let mut ids = self
                .tx
                .prepare_cached("INSERT INTO ids (id, source_id, advisory_id) VALUES (?1, ?2, ?3)")
                .map_err(|e| sqlite(&self.label, e))?;
            let mut all: BTreeSet<&str> = BTreeSet::new();
            all.extend(advisory.ids());
            for alias in &all {
                ids.execute(params![alias, self.source_id, id])
                    .map_err(|e| sqlite(&self.label, e))?;
            }
            // `related` ids name other vulnerabilities: indexed apart, never as
            // aliases (an id the record also carries as its id or alias is not
            // related to it).
            let mut related = self
                .tx
                .prepare_cached(
                    "INSERT INTO related (id, source_id, advisory_id) VALUES (?1, ?2, ?3)",
                )
                .map_err(|e| sqlite(&self.label, e))?;
            let others: BTreeSet<&str> = advisory
                .related
                .iter()
                .map(String::as_str)
                .filter(|r| !all.contains(r))
                .collect();
            for other in others {
                related
                    .execute(params![other, self.source_id, id])
                    .map_err(|e| sqlite(&self.label, e))?;
            }
        }
        let named: BTreeSet<&str> = advisory
            .affected
            .iter()
            .map(|a| a.ecosystem.osv_name())
            .collect();
        for eco in named {
            self.ecosystems.insert(eco.to_owned());
            *self.naming.entry(eco.to_owned()).or_default() += 1;
        }
        if !advisory.is_withdrawn() {
            // Group this advisory's entries by package.
            let mut by_package: BTreeMap<(String, String), Vec<&Affected>> = BTreeMap::new();
            for a in &advisory.affected {
                let key = (
                    a.ecosystem.osv_name().to_owned(),
                    normalize_name(&a.ecosystem, &a.name).into_owned(),
                );
                by_package.entry(key).or_default().push(a);
            }
            let mut stmt = self
                .tx
                .prepare_cached(
                    "INSERT INTO affected (ecosystem, name, advisory_id, source_id, modified, aliases, summary, severity, entries)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(|e| sqlite(&self.label, e))?;
            for ((eco, name), entries) in by_package {
                // The index keeps what matching needs: the ranges, listed versions and
                // classes; per-package severities join the row's severity; display-only
                // fields stay in the full record.
                let mut row_severity = advisory.severity.clone();
                let slim: Vec<Affected> = entries
                    .iter()
                    .map(|a| {
                        for s in &a.severity {
                            if !row_severity.contains(s) {
                                row_severity.push(s.clone());
                            }
                        }
                        Affected {
                            purl: None,
                            severity: Vec::new(),
                            ecosystem_specific: None,
                            ..(*a).clone()
                        }
                    })
                    .collect();
                let json = serde_json::to_string(&slim).map_err(|e| Error::Incompatible {
                    path: self.label.clone(),
                    message: format!("cannot encode {id}: {e}"),
                })?;
                let row_severity =
                    serde_json::to_string(&row_severity).unwrap_or_else(|_| "[]".into());
                stmt.execute(params![
                    eco,
                    name,
                    id,
                    self.source_id,
                    advisory.modified,
                    aliases,
                    advisory.summary,
                    row_severity,
                    json
                ])
                .map_err(|e| sqlite(&self.label, e))?;
            }
        }
        self.records += 1;
        Ok(())
    }

    /// How many records loaded so far name `ecosystem` (its OSV name) in
    /// `affected[]`. A duplicate id counts again; this is for a plausibility check.
    pub(crate) fn records_naming(&self, ecosystem: &str) -> u64 {
        self.naming.get(ecosystem).copied().unwrap_or(0)
    }

    /// Records a fact about the source's content (shown by `db status`).
    pub(crate) fn detail(&mut self, key: &str, value: &str) {
        self.details.insert(key.to_owned(), value.to_owned());
    }

    /// Adds one CISA KEV entry.
    pub(crate) fn add_kev(&mut self, e: &crate::signals::KevEntry) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO kev (cve, source_id, vendor, product, name, date_added, due_date, ransomware)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    e.cve,
                    self.source_id,
                    e.vendor,
                    e.product,
                    e.name,
                    e.date_added,
                    e.due_date,
                    e.ransomware
                ])
            })
            .map_err(|e| self.err(e))?;
        self.records += 1;
        Ok(())
    }

    /// Adds one EPSS score.
    pub(crate) fn add_epss(&mut self, cve: &str, score: f64, percentile: f64) -> Result<()> {
        self.tx
            .prepare_cached("INSERT OR REPLACE INTO epss (cve, source_id, score, percentile) VALUES (?1, ?2, ?3, ?4)")
            .and_then(|mut s| s.execute(params![cve, self.source_id, score, percentile]))
            .map_err(|e| self.err(e))?;
        self.records += 1;
        Ok(())
    }

    /// Finishes the source: its metadata, then one commit.
    pub(crate) fn commit(self, meta: SourceMeta) -> Result<SourceStatus> {
        let ecosystems: Vec<String> = self.ecosystems.iter().cloned().collect();
        let eco_json = serde_json::to_string(&ecosystems).unwrap_or_else(|_| "[]".into());
        let details_json = serde_json::to_string(&self.details).unwrap_or_else(|_| "{}".into());
        let newest = self.newest.map(|t| t.to_string());
        let now = meta.fetched_at.to_string();
        self.tx
            .execute(
                "UPDATE sources SET fetched_at = ?1, checked_at = ?1, sha256 = ?2, records = ?3, skipped = ?4,
                    problems = ?5, newest_modified = ?6, etag = ?7, last_modified = ?8, ecosystems = ?9,
                    details = ?11
                 WHERE id = ?10",
                params![
                    now,
                    meta.sha256,
                    self.records as i64,
                    self.skipped as i64,
                    self.problems as i64,
                    newest,
                    meta.etag,
                    meta.last_modified,
                    eco_json,
                    self.source_id,
                    details_json
                ],
            )
            .map_err(|e| sqlite(&self.label, e))?;
        let status = SourceStatus {
            name: self.name.clone(),
            kind: String::new(),
            origin: String::new(),
            fetched_at: now.clone(),
            checked_at: now,
            sha256: meta.sha256,
            records: self.records,
            skipped: self.skipped,
            problems: self.problems,
            newest_modified: newest,
            ecosystems,
            etag: meta.etag,
            last_modified: meta.last_modified,
            details: self.details.clone(),
        };
        // Ids that more than one record carries (the only ones through which a
        // vulnerability's records can reach records beyond their own), and the ids
        // of records with a qualitative rating (which a finding does not carry).
        self.tx
            .execute_batch(
                "DELETE FROM shared_ids;
                 INSERT INTO shared_ids (id)
                 SELECT id FROM ids GROUP BY id HAVING COUNT(DISTINCT advisory_id) > 1
                 UNION SELECT id FROM advisories WHERE qualitative IS NOT NULL;",
            )
            .map_err(|e| sqlite(&self.label, e))?;
        let label = self.label.clone();
        self.tx.commit().map_err(|e| sqlite(&label, e))?;
        Ok(status)
    }
}

/// Metadata of a source known once it has been read whole.
pub(crate) struct SourceMeta {
    pub fetched_at: Timestamp,
    pub sha256: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

pub(crate) fn sqlite(label: &str, e: rusqlite::Error) -> Error {
    Error::Sqlite {
        path: label.to_owned(),
        source: e,
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn encode_body(a: &Advisory) -> Vec<u8> {
    let json = serde_json::to_vec(a).unwrap_or_default();
    let mut enc = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(&json);
    enc.finish().unwrap_or_default()
}

fn decode_body(body: &[u8]) -> Result<Advisory, String> {
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(body)
        .read_to_end(&mut json)
        .map_err(|e| format!("stored advisory cannot be decompressed: {e}"))?;
    serde_json::from_slice(&json).map_err(|e| format!("stored advisory cannot be decoded: {e}"))
}
