//! The embedded store: one SQLite file in WAL mode.
//!
//! Writes run in `BEGIN IMMEDIATE` transactions: the write lock is taken before
//! anything is read, so two processes never both read the same head and append
//! after it. Waiting writers retry for up to [`BUSY_TIMEOUT`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior, params};

use super::outbox::{ATTEMPT_COLUMNS, DUE, OUTBOX_COLUMNS};
use super::{AttemptRecord, OutboxRecord, OutboxTx};
use super::{
    Backend, FIRST_HASHES, IncidentRow, LOG_COLUMNS, MIGRATIONS, Tx, event_from, head_from,
    log_from, to_i64, too_new,
};
use crate::chain::{GENESIS, Head, LogEntry};
use crate::error::{Error, Result};
use crate::event::Event;
use crate::model::{Phase, Priority};

/// How long a writer waits for another one before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

pub(crate) struct Sqlite {
    conn: Connection,
    path: PathBuf,
}

fn err(path: &Path, what: &str) -> impl Fn(rusqlite::Error) -> Error {
    let context = format!("incident store {}: {what}", path.display());
    move |e| Error::db(context.clone(), e)
}

impl Sqlite {
    pub(crate) fn open(path: &Path, create: bool) -> Result<Sqlite> {
        if !create && !path.exists() {
            return Err(Error::Io(format!(
                "no incident store at {} (declare an incident first, or give --state DIR or --database URL)",
                path.display()
            )));
        }
        if create {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                super::create_private_dir(dir)?;
            }
            // The file is created here, mode 0600, so SQLite never creates it with
            // the umask's mode (its WAL and shared-memory files take this mode).
            use std::os::unix::fs::OpenOptionsExt;
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
            {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => {
                    return Err(Error::Io(format!(
                        "cannot create the incident store {}: {e}",
                        path.display()
                    )));
                }
            }
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | if create {
                OpenFlags::SQLITE_OPEN_CREATE
            } else {
                OpenFlags::empty()
            };
        let conn = Connection::open_with_flags(path, flags).map_err(err(path, "cannot open"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(err(path, "cannot set the busy timeout"))?;
        // WAL: readers never block the writer; FULL: a committed event survives a
        // power loss.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err(path, "cannot switch to WAL mode"))?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err(path, "cannot set synchronous mode"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(err(path, "cannot enable foreign keys"))?;
        let mut s = Sqlite {
            conn,
            path: path.to_owned(),
        };
        s.migrate()?;
        Ok(s)
    }

    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        let label = self.label();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&path, "cannot start the migration"))?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .map_err(err(&path, "cannot create schema_version"))?;
        let current: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_version",
                [],
                |r| r.get(0),
            )
            .map_err(err(&path, "cannot read schema_version"))?;
        if current > super::schema_version() {
            return Err(too_new(current, &label));
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.execute_batch(sql)
                .map_err(err(&path, &format!("migration {version} failed")))?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
                params![version, jiff::Timestamp::now().to_string()],
            )
            .map_err(err(&path, "cannot record the migration"))?;
        }
        tx.commit()
            .map_err(err(&path, "cannot commit the migration"))
    }
}

struct SqliteTx<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    path: &'a Path,
}

impl Backend for Sqlite {
    fn label(&self) -> String {
        self.path.display().to_string()
    }

    fn write(&mut self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err(&path, "cannot start a write transaction"))?;
        f(&mut SqliteTx {
            tx: &tx,
            path: &path,
        })?;
        tx.commit().map_err(err(&path, "cannot commit"))
    }

    fn read(&mut self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Deferred)
            .map_err(err(&path, "cannot start a read transaction"))?;
        f(&mut SqliteTx {
            tx: &tx,
            path: &path,
        })?;
        tx.commit()
            .map_err(err(&path, "cannot end the read transaction"))
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        self.conn
            .execute_batch(sql)
            .map_err(err(&self.path, "raw SQL failed"))
    }
}

const EVENT_COLUMNS: &str =
    "incident_id, seq, at, actor, kind, details, prev_hash, hash, mac, key_id";

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    Ok(event_from(
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

fn log_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<LogEntry> {
    Ok(log_from(
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

impl Tx for SqliteTx<'_> {
    fn head(&mut self, id: &str, _lock: bool) -> Result<Option<Head>> {
        let row: Option<(i64, String)> = self
            .tx
            .query_row(
                "SELECT head_seq, head_hash FROM incidents WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(err(self.path, "cannot read the incident"))?;
        row.map(|(s, h)| head_from(s, h)).transpose()
    }

    fn events(&mut self, id: &str) -> Result<Vec<Event>> {
        let mut st = self
            .tx
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE incident_id = ?1 ORDER BY seq"
            ))
            .map_err(err(self.path, "cannot read events"))?;
        let rows = st
            .query_map(params![id], event_row)
            .map_err(err(self.path, "cannot read events"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(err(self.path, "cannot read events"))
    }

    fn all_events(&mut self) -> Result<Vec<Event>> {
        let mut st = self
            .tx
            .prepare(&format!(
                "SELECT {EVENT_COLUMNS} FROM events ORDER BY incident_id, seq"
            ))
            .map_err(err(self.path, "cannot read events"))?;
        let rows = st
            .query_map([], event_row)
            .map_err(err(self.path, "cannot read events"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(err(self.path, "cannot read events"))
    }

    fn insert_event(&mut self, e: &Event, clock: Option<&str>) -> Result<bool> {
        let seq = to_i64(e.seq)?;
        let n = self
            .tx
            .prepare_cached(&format!(
                "INSERT INTO events ({EVENT_COLUMNS}, clock) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
                 ON CONFLICT (incident_id, clock) DO NOTHING"
            ))
            .and_then(|mut st| {
                st.execute(params![
                    e.incident,
                    seq,
                    e.at,
                    e.actor,
                    e.kind,
                    e.details,
                    e.prev_hash,
                    e.hash,
                    e.mac,
                    e.key_id,
                    clock
                ])
            })
            .map_err(err(self.path, "cannot record an event"))?;
        Ok(n == 1)
    }

    fn set_head(&mut self, id: &str, head: &Head, phase: Phase, priority: Priority) -> Result<()> {
        let n = self
            .tx
            .execute(
                "UPDATE incidents SET head_seq = ?1, head_hash = ?2, phase = ?3, priority = ?4 WHERE id = ?5",
                params![to_i64(head.seq)?, head.hash, phase.key(), priority.as_str(), id],
            )
            .map_err(err(self.path, "cannot update the incident"))?;
        if n != 1 {
            return Err(Error::Corrupt(format!(
                "incident {id} vanished during the write"
            )));
        }
        Ok(())
    }

    fn next_number(&mut self, day: &str) -> Result<u64> {
        let n: i64 = self
            .tx
            .query_row(
                "INSERT INTO day_counters (day, last) VALUES (?1, 1)
                 ON CONFLICT (day) DO UPDATE SET last = day_counters.last + 1
                 RETURNING last",
                params![day],
                |r| r.get(0),
            )
            .map_err(err(self.path, "cannot allocate an incident number"))?;
        u64::try_from(n).map_err(|_| Error::Corrupt(format!("incident counter of {day} is {n}")))
    }

    fn insert_incident(
        &mut self,
        id: &str,
        day: &str,
        number: u64,
        declared_at: &str,
        priority: Priority,
    ) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO incidents (id, day, number, declared_at, phase, priority, head_seq, head_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
                params![
                    id,
                    day,
                    to_i64(number)?,
                    declared_at,
                    Phase::Containment.key(),
                    priority.as_str(),
                    GENESIS
                ],
            )
            .map_err(err(self.path, "cannot record the incident"))?;
        Ok(())
    }

    fn incidents(&mut self) -> Result<Vec<IncidentRow>> {
        let mut st = self
            .tx
            .prepare(
                "SELECT id, phase, head_seq, head_hash FROM incidents ORDER BY day, number, id",
            )
            .map_err(err(self.path, "cannot list incidents"))?;
        let rows: Vec<(String, String, i64, String)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .and_then(|rows| rows.collect())
            .map_err(err(self.path, "cannot list incidents"))?;
        rows.into_iter()
            .map(|(id, phase, s, h)| {
                Ok(IncidentRow {
                    id,
                    phase,
                    head: head_from(s, h)?,
                })
            })
            .collect()
    }
    fn now(&mut self) -> Result<jiff::Timestamp> {
        Ok(jiff::Timestamp::now())
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>> {
        self.tx
            .query_row(
                "SELECT value FROM store_meta WHERE key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()
            .map_err(err(self.path, "cannot read store_meta"))
    }

    fn set_meta_if_absent(&mut self, key: &str, value: &str) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO store_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
                params![key, value],
            )
            .map_err(err(self.path, "cannot write store_meta"))?;
        Ok(())
    }

    fn log_tail(&mut self, _lock: bool) -> Result<Option<LogEntry>> {
        self.tx
            .query_row(
                &format!("SELECT {LOG_COLUMNS} FROM store_log ORDER BY seq DESC LIMIT 1"),
                [],
                log_row,
            )
            .optional()
            .map_err(err(self.path, "cannot read the store log"))
    }

    fn insert_log(&mut self, e: &LogEntry) -> Result<()> {
        self.tx
            .execute(
                &format!(
                    "INSERT INTO store_log ({LOG_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                params![
                    to_i64(e.seq)?,
                    e.incident,
                    e.at,
                    e.declared_hash,
                    e.prev_hash,
                    e.hash,
                    e.mac,
                    e.key_id
                ],
            )
            .map_err(err(self.path, "cannot record the store log"))?;
        Ok(())
    }

    fn log(&mut self) -> Result<Vec<LogEntry>> {
        let mut st = self
            .tx
            .prepare(&format!("SELECT {LOG_COLUMNS} FROM store_log ORDER BY seq"))
            .map_err(err(self.path, "cannot read the store log"))?;
        let rows = st
            .query_map([], log_row)
            .map_err(err(self.path, "cannot read the store log"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(err(self.path, "cannot read the store log"))
    }

    fn first_hashes(&mut self) -> Result<Vec<(String, Option<String>)>> {
        let mut st = self
            .tx
            .prepare(FIRST_HASHES)
            .map_err(err(self.path, "cannot list incidents"))?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(err(self.path, "cannot list incidents"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(err(self.path, "cannot list incidents"))
    }
}

fn outbox_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRecord> {
    Ok(OutboxRecord {
        id: r.get(0)?,
        incident: r.get(1)?,
        seq: r.get(2)?,
        channel: r.get(3)?,
        template: r.get(4)?,
        audience: r.get(5)?,
        subject: r.get(6)?,
        body: r.get(7)?,
        body_sha256: r.get(8)?,
        key: r.get(9)?,
        state: r.get(10)?,
        queued_us: r.get(11)?,
        not_before_us: r.get(12)?,
        lease_owner: r.get(13)?,
        lease_token: r.get(14)?,
        lease_until_us: r.get(15)?,
        leases: r.get(16)?,
        attempts: r.get(17)?,
        last_error: r.get(18)?,
    })
}

fn attempt_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AttemptRecord> {
    Ok(AttemptRecord {
        message: r.get(0)?,
        n: r.get(1)?,
        worker: r.get(2)?,
        channel: r.get(3)?,
        outcome: r.get(4)?,
        status: r.get(5)?,
        latency_ms: r.get(6)?,
        response_sha256: r.get(7)?,
        reason: r.get(8)?,
        at: r.get(9)?,
    })
}

impl OutboxTx for SqliteTx<'_> {
    fn insert_message(&mut self, m: &OutboxRecord) -> Result<()> {
        self.tx
            .execute(
                &format!(
                    "INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
                ),
                params![
                    m.id,
                    m.incident,
                    m.seq,
                    m.channel,
                    m.template,
                    m.audience,
                    m.subject,
                    m.body,
                    m.body_sha256,
                    m.key,
                    m.state,
                    m.queued_us,
                    m.not_before_us,
                    m.lease_owner,
                    m.lease_token,
                    m.lease_until_us,
                    m.leases,
                    m.attempts,
                    m.last_error
                ],
            )
            .map_err(err(self.path, "cannot queue a message"))?;
        Ok(())
    }

    fn message_by_key(&mut self, key: &str) -> Result<Option<String>> {
        self.tx
            .query_row(
                "SELECT id FROM outbox WHERE idempotency_key = ?1",
                params![key],
                |r| r.get(0),
            )
            .optional()
            .map_err(err(self.path, "cannot read the outbox"))
    }

    fn message(&mut self, id: &str, _lock: bool) -> Result<Option<OutboxRecord>> {
        self.tx
            .query_row(
                &format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?1"),
                params![id],
                outbox_row,
            )
            .optional()
            .map_err(err(self.path, "cannot read the outbox"))
    }

    fn leasable(&mut self, now_us: i64, limit: i64) -> Result<Vec<OutboxRecord>> {
        // The write lock of BEGIN IMMEDIATE is held: nobody leases in between.
        let columns = OUTBOX_COLUMNS
            .split(", ")
            .map(|c| format!("o.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM outbox o WHERE {} ORDER BY o.queued_us, o.incident_id, o.seq LIMIT ?2",
            DUE.replace("{now}", "?1")
        );
        let mut st = self
            .tx
            .prepare_cached(&sql)
            .map_err(err(self.path, "cannot read the outbox"))?;
        let rows = st
            .query_map(params![now_us, limit], outbox_row)
            .map_err(err(self.path, "cannot read the outbox"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(err(self.path, "cannot read the outbox"))
    }

    fn set_lease(
        &mut self,
        id: &str,
        owner: &str,
        token: &str,
        until_us: i64,
        now_us: i64,
    ) -> Result<bool> {
        let n = self
            .tx
            .execute(
                "UPDATE outbox SET state = 'leased', lease_owner = ?2, lease_token = ?3, lease_until_us = ?4, leases = leases + 1
                 WHERE id = ?1 AND (state IN ('pending', 'retry') OR (state = 'leased' AND lease_until_us <= ?5))",
                params![id, owner, token, until_us, now_us],
            )
            .map_err(err(self.path, "cannot lease a message"))?;
        Ok(n == 1)
    }

    fn finish(
        &mut self,
        id: &str,
        token: &str,
        state: &str,
        not_before_us: Option<i64>,
        last_error: Option<&str>,
    ) -> Result<bool> {
        let n = self
            .tx
            .execute(
                "UPDATE outbox SET state = ?3, attempt_count = attempt_count + 1,
                   not_before_us = COALESCE(?4, not_before_us), last_error = COALESCE(?5, last_error)
                 WHERE id = ?1 AND state = 'leased' AND lease_token = ?2",
                params![id, token, state, not_before_us, last_error],
            )
            .map_err(err(self.path, "cannot record a delivery attempt"))?;
        Ok(n == 1)
    }

    fn insert_attempt(&mut self, a: &AttemptRecord) -> Result<()> {
        self.tx
            .execute(
                &format!(
                    "INSERT INTO attempts ({ATTEMPT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
                ),
                params![
                    a.message,
                    a.n,
                    a.worker,
                    a.channel,
                    a.outcome,
                    a.status,
                    a.latency_ms,
                    a.response_sha256,
                    a.reason,
                    a.at
                ],
            )
            .map_err(err(self.path, "cannot record a delivery attempt"))?;
        Ok(())
    }

    fn messages(
        &mut self,
        state: Option<&str>,
        incident: Option<&str>,
    ) -> Result<Vec<OutboxRecord>> {
        let mut st = self
            .tx
            .prepare(&format!(
                "SELECT {OUTBOX_COLUMNS} FROM outbox
                 WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR incident_id = ?2)
                 ORDER BY incident_id, seq"
            ))
            .map_err(err(self.path, "cannot read the outbox"))?;
        let rows = st
            .query_map(params![state, incident], outbox_row)
            .map_err(err(self.path, "cannot read the outbox"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(err(self.path, "cannot read the outbox"))
    }

    fn attempts(&mut self, id: &str) -> Result<Vec<AttemptRecord>> {
        let mut st = self
            .tx
            .prepare(&format!(
                "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE message_id = ?1 ORDER BY n"
            ))
            .map_err(err(self.path, "cannot read delivery attempts"))?;
        let rows = st
            .query_map(params![id], attempt_row)
            .map_err(err(self.path, "cannot read delivery attempts"))?;
        rows.collect::<rusqlite::Result<_>>()
            .map_err(err(self.path, "cannot read delivery attempts"))
    }

    fn requeue(&mut self, id: &str, now_us: i64) -> Result<bool> {
        let n = self
            .tx
            .execute(
                "UPDATE outbox SET state = 'pending', not_before_us = ?2, lease_token = NULL, lease_until_us = NULL
                 WHERE id = ?1 AND state IN ('dead', 'unknown')",
                params![id, now_us],
            )
            .map_err(err(self.path, "cannot replay a message"))?;
        Ok(n == 1)
    }

    fn move_state(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        last_error: Option<&str>,
    ) -> Result<bool> {
        let n = self
            .tx
            .execute(
                "UPDATE outbox SET state = ?3, last_error = COALESCE(?4, last_error), lease_token = NULL, lease_until_us = NULL
                 WHERE id = ?1 AND state = ?2",
                params![id, from, to, last_error],
            )
            .map_err(err(self.path, "cannot change a message's state"))?;
        Ok(n == 1)
    }
}
