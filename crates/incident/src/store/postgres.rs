//! The shared store: PostgreSQL, so several cverun processes (on several machines)
//! work on the same incidents.
//!
//! Writes run in READ COMMITTED transactions that first lock the incident's row
//! (`SELECT ... FOR UPDATE`): a second writer waits at that statement, then reads
//! the timeline as the first one committed it. Migrations run under a
//! transaction-scoped advisory lock, so processes starting together do not race.
//! Reads run in one REPEATABLE READ, read-only transaction (one snapshot).
//!
//! The tables live in the connection's search path: give
//! `?options=-csearch_path%3Dmyschema` in the URL to use a schema other than
//! `public`.

use std::str::FromStr;
use std::time::Duration;

use postgres::{Client, IsolationLevel};

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

/// Advisory lock key serialising migrations ("cverun" in ASCII, then 1).
const MIGRATION_LOCK: i64 = 0x6376_6572_756e_0001;

/// Advisory lock key serialising appends to the store log ("cverun", then 2).
const STORE_LOG_LOCK: i64 = 0x6376_6572_756e_0002;

/// How long connecting may take when the URL does not say.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub(crate) struct Postgres {
    client: Client,
    label: String,
}

/// `url` without its password (in the user info or a `password=` parameter), or
/// any other secret the redaction rules find ([`crate::redact`]).
pub fn redact(url: &str) -> String {
    crate::redact::text(url, &mut crate::redact::Tally::new())
}

/// The whole message of a PostgreSQL error: the server's message (with its detail
/// and hint) for database errors, else the error and its causes.
fn message(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut m = format!("{}: {}", db.severity(), db.message());
        if let Some(d) = db.detail() {
            m.push_str(&format!(" ({d})"));
        }
        if let Some(h) = db.hint() {
            m.push_str(&format!("; hint: {h}"));
        }
        return m;
    }
    let mut m = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let text = s.to_string();
        if !m.contains(&text) {
            m.push_str(&format!(": {text}"));
        }
        source = s.source();
    }
    m
}

fn err(label: &str, what: &str) -> impl Fn(postgres::Error) -> Error {
    let context = format!("incident store {label}: {what}");
    move |e| Error::db(context.clone(), message(&e))
}

impl Postgres {
    pub(crate) fn connect(url: &str) -> Result<Postgres> {
        let label = redact(url);
        let invalid = |m: String| Error::Database {
            context: format!("invalid PostgreSQL URL {label}"),
            message: crate::redact::text(&m, &mut crate::redact::Tally::new()),
        };
        // sslmode and sslrootcert are read here (the postgres crate knows neither
        // verify-ca/verify-full nor sslrootcert): see super::tls.
        let (rest, tls) = super::tls::Settings::take(url).map_err(invalid)?;
        let mut config = postgres::Config::from_str(&rest).map_err(|e| invalid(message(&e)))?;
        let mode = tls.mode(config.get_ssl_mode());
        config.ssl_mode(super::tls::Settings::postgres_mode(mode));
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("cverun");
        }
        let context = format!("cannot connect to the incident store {label}");
        let connector = tls.connector(mode).map_err(|m| Error::Database {
            context: context.clone(),
            message: m,
        })?;
        let client = config.connect(connector).map_err(|e| {
            let mut m = message(&e);
            if let Some(why) = tls.explain(mode, &e) {
                m.push_str(&format!(" ({why})"));
            }
            Error::Database {
                context,
                message: m,
            }
        })?;
        let mut p = Postgres { client, label };
        p.migrate()?;
        Ok(p)
    }

    fn migrate(&mut self) -> Result<()> {
        let label = self.label.clone();
        let mut tx = self
            .client
            .transaction()
            .map_err(err(&label, "cannot start the migration"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(err(&label, "cannot lock for the migration"))?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)",
        )
        .map_err(err(&label, "cannot create schema_version"))?;
        let current: i64 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
            .and_then(|r| r.try_get(0))
            .map_err(err(&label, "cannot read schema_version"))?;
        if current > super::schema_version() {
            return Err(too_new(current, &label));
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.batch_execute(sql)
                .map_err(err(&label, &format!("migration {version} failed")))?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
                &[version, &jiff::Timestamp::now().to_string()],
            )
            .map_err(err(&label, "cannot record the migration"))?;
        }
        tx.commit()
            .map_err(err(&label, "cannot commit the migration"))
    }
}

struct PgTx<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
    label: &'a str,
}

impl Backend for Postgres {
    fn label(&self) -> String {
        self.label.clone()
    }

    fn write(&mut self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let label = self.label.clone();
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::ReadCommitted)
            .start()
            .map_err(err(&label, "cannot start a write transaction"))?;
        f(&mut PgTx {
            tx: &mut tx,
            label: &label,
        })?;
        tx.commit().map_err(err(&label, "cannot commit"))
    }

    fn read(&mut self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let label = self.label.clone();
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(err(&label, "cannot start a read transaction"))?;
        f(&mut PgTx {
            tx: &mut tx,
            label: &label,
        })?;
        tx.commit()
            .map_err(err(&label, "cannot end the read transaction"))
    }

    fn execute_batch(&mut self, sql: &str) -> Result<()> {
        let label = self.label.clone();
        self.client
            .batch_execute(sql)
            .map_err(err(&label, "raw SQL failed"))
    }
}

const EVENT_COLUMNS: &str =
    "incident_id, seq, at, actor, kind, details, prev_hash, hash, mac, key_id";

fn event_row(r: &postgres::Row) -> std::result::Result<Event, postgres::Error> {
    Ok(event_from(
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?,
        r.try_get(3)?,
        r.try_get(4)?,
        r.try_get(5)?,
        r.try_get(6)?,
        r.try_get(7)?,
        r.try_get(8)?,
        r.try_get(9)?,
    ))
}

fn log_row(r: &postgres::Row) -> std::result::Result<LogEntry, postgres::Error> {
    Ok(log_from(
        r.try_get(0)?,
        r.try_get(1)?,
        r.try_get(2)?,
        r.try_get(3)?,
        r.try_get(4)?,
        r.try_get(5)?,
        r.try_get(6)?,
        r.try_get(7)?,
    ))
}

impl Tx for PgTx<'_, '_> {
    fn head(&mut self, id: &str, lock: bool) -> Result<Option<Head>> {
        let sql = if lock {
            "SELECT head_seq, head_hash FROM incidents WHERE id = $1 FOR UPDATE"
        } else {
            "SELECT head_seq, head_hash FROM incidents WHERE id = $1"
        };
        let row = self
            .tx
            .query_opt(sql, &[&id])
            .map_err(err(self.label, "cannot read the incident"))?;
        match row {
            None => Ok(None),
            Some(r) => {
                let seq: i64 = r
                    .try_get(0)
                    .map_err(err(self.label, "cannot read the incident"))?;
                let hash: String = r
                    .try_get(1)
                    .map_err(err(self.label, "cannot read the incident"))?;
                head_from(seq, hash).map(Some)
            }
        }
    }

    fn events(&mut self, id: &str) -> Result<Vec<Event>> {
        let rows = self
            .tx
            .query(
                &format!("SELECT {EVENT_COLUMNS} FROM events WHERE incident_id = $1 ORDER BY seq"),
                &[&id],
            )
            .map_err(err(self.label, "cannot read events"))?;
        rows.iter()
            .map(event_row)
            .collect::<std::result::Result<_, _>>()
            .map_err(err(self.label, "cannot read events"))
    }

    fn all_events(&mut self) -> Result<Vec<Event>> {
        let rows = self
            .tx
            .query(
                &format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY incident_id, seq"),
                &[],
            )
            .map_err(err(self.label, "cannot read events"))?;
        rows.iter()
            .map(event_row)
            .collect::<std::result::Result<_, _>>()
            .map_err(err(self.label, "cannot read events"))
    }

    fn insert_event(&mut self, e: &Event, clock: Option<&str>) -> Result<bool> {
        let seq = to_i64(e.seq)?;
        let n = self
            .tx
            .execute(
                &format!(
                    "INSERT INTO events ({EVENT_COLUMNS}, clock) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                     ON CONFLICT (incident_id, clock) DO NOTHING"
                ),
                &[
                    &e.incident,
                    &seq,
                    &e.at,
                    &e.actor,
                    &e.kind,
                    &e.details,
                    &e.prev_hash,
                    &e.hash,
                    &e.mac,
                    &e.key_id,
                    &clock,
                ],
            )
            .map_err(err(self.label, "cannot record an event"))?;
        Ok(n == 1)
    }

    fn set_head(&mut self, id: &str, head: &Head, phase: Phase, priority: Priority) -> Result<()> {
        let n = self
            .tx
            .execute(
                "UPDATE incidents SET head_seq = $1, head_hash = $2, phase = $3, priority = $4 WHERE id = $5",
                &[&to_i64(head.seq)?, &head.hash, &phase.key(), &priority.as_str(), &id],
            )
            .map_err(err(self.label, "cannot update the incident"))?;
        if n != 1 {
            return Err(Error::Corrupt(format!(
                "incident {id} vanished during the write"
            )));
        }
        Ok(())
    }

    fn next_number(&mut self, day: &str) -> Result<u64> {
        let row = self
            .tx
            .query_one(
                "INSERT INTO day_counters (day, last) VALUES ($1, 1)
                 ON CONFLICT (day) DO UPDATE SET last = day_counters.last + 1
                 RETURNING last",
                &[&day],
            )
            .map_err(err(self.label, "cannot allocate an incident number"))?;
        let n: i64 = row
            .try_get(0)
            .map_err(err(self.label, "cannot allocate an incident number"))?;
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
                 VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
                &[
                    &id,
                    &day,
                    &to_i64(number)?,
                    &declared_at,
                    &Phase::Containment.key(),
                    &priority.as_str(),
                    &GENESIS,
                ],
            )
            .map_err(err(self.label, "cannot record the incident"))?;
        Ok(())
    }

    fn incidents(&mut self) -> Result<Vec<IncidentRow>> {
        let rows = self
            .tx
            .query(
                "SELECT id, phase, head_seq, head_hash FROM incidents ORDER BY day, number, id",
                &[],
            )
            .map_err(err(self.label, "cannot list incidents"))?;
        rows.iter()
            .map(|r| {
                let id: String = r
                    .try_get(0)
                    .map_err(err(self.label, "cannot list incidents"))?;
                let phase: String = r
                    .try_get(1)
                    .map_err(err(self.label, "cannot list incidents"))?;
                let seq: i64 = r
                    .try_get(2)
                    .map_err(err(self.label, "cannot list incidents"))?;
                let hash: String = r
                    .try_get(3)
                    .map_err(err(self.label, "cannot list incidents"))?;
                Ok(IncidentRow {
                    id,
                    phase,
                    head: head_from(seq, hash)?,
                })
            })
            .collect()
    }

    fn now(&mut self) -> Result<jiff::Timestamp> {
        // The server's clock, one for every writer (microseconds since the epoch).
        let micros: i64 = self
            .tx
            .query_one(
                "SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT",
                &[],
            )
            .and_then(|r| r.try_get(0))
            .map_err(err(self.label, "cannot read the server's clock"))?;
        jiff::Timestamp::from_microsecond(micros)
            .map_err(|e| Error::Corrupt(format!("the server's clock is out of range: {e}")))
    }

    fn meta(&mut self, key: &str) -> Result<Option<String>> {
        let row = self
            .tx
            .query_opt("SELECT value FROM store_meta WHERE key = $1", &[&key])
            .map_err(err(self.label, "cannot read store_meta"))?;
        row.map(|r| r.try_get(0))
            .transpose()
            .map_err(err(self.label, "cannot read store_meta"))
    }

    fn set_meta_if_absent(&mut self, key: &str, value: &str) -> Result<()> {
        self.tx
            .execute(
                "INSERT INTO store_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                &[&key, &value],
            )
            .map_err(err(self.label, "cannot write store_meta"))?;
        Ok(())
    }

    fn log_tail(&mut self, lock: bool) -> Result<Option<LogEntry>> {
        if lock {
            // Held until the transaction ends; in READ COMMITTED the query below
            // then sees every entry committed before.
            self.tx
                .execute("SELECT pg_advisory_xact_lock($1)", &[&STORE_LOG_LOCK])
                .map_err(err(self.label, "cannot lock the store log"))?;
        }
        let row = self
            .tx
            .query_opt(
                &format!("SELECT {LOG_COLUMNS} FROM store_log ORDER BY seq DESC LIMIT 1"),
                &[],
            )
            .map_err(err(self.label, "cannot read the store log"))?;
        row.as_ref()
            .map(log_row)
            .transpose()
            .map_err(err(self.label, "cannot read the store log"))
    }

    fn insert_log(&mut self, e: &LogEntry) -> Result<()> {
        self.tx
            .execute(
                &format!(
                    "INSERT INTO store_log ({LOG_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                ),
                &[
                    &to_i64(e.seq)?,
                    &e.incident,
                    &e.at,
                    &e.declared_hash,
                    &e.prev_hash,
                    &e.hash,
                    &e.mac,
                    &e.key_id,
                ],
            )
            .map_err(err(self.label, "cannot record the store log"))?;
        Ok(())
    }

    fn log(&mut self) -> Result<Vec<LogEntry>> {
        let rows = self
            .tx
            .query(
                &format!("SELECT {LOG_COLUMNS} FROM store_log ORDER BY seq"),
                &[],
            )
            .map_err(err(self.label, "cannot read the store log"))?;
        rows.iter()
            .map(log_row)
            .collect::<std::result::Result<_, _>>()
            .map_err(err(self.label, "cannot read the store log"))
    }

    fn first_hashes(&mut self) -> Result<Vec<(String, Option<String>)>> {
        let rows = self
            .tx
            .query(FIRST_HASHES, &[])
            .map_err(err(self.label, "cannot list incidents"))?;
        rows.iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<std::result::Result<_, postgres::Error>>()
            .map_err(err(self.label, "cannot list incidents"))
    }
}

fn outbox_row(r: &postgres::Row) -> std::result::Result<OutboxRecord, postgres::Error> {
    Ok(OutboxRecord {
        id: r.try_get(0)?,
        incident: r.try_get(1)?,
        seq: r.try_get(2)?,
        channel: r.try_get(3)?,
        template: r.try_get(4)?,
        audience: r.try_get(5)?,
        subject: r.try_get(6)?,
        body: r.try_get(7)?,
        body_sha256: r.try_get(8)?,
        key: r.try_get(9)?,
        state: r.try_get(10)?,
        queued_us: r.try_get(11)?,
        not_before_us: r.try_get(12)?,
        lease_owner: r.try_get(13)?,
        lease_token: r.try_get(14)?,
        lease_until_us: r.try_get(15)?,
        leases: r.try_get(16)?,
        attempts: r.try_get(17)?,
        last_error: r.try_get(18)?,
    })
}

fn attempt_row(r: &postgres::Row) -> std::result::Result<AttemptRecord, postgres::Error> {
    Ok(AttemptRecord {
        message: r.try_get(0)?,
        n: r.try_get(1)?,
        worker: r.try_get(2)?,
        channel: r.try_get(3)?,
        outcome: r.try_get(4)?,
        status: r.try_get(5)?,
        latency_ms: r.try_get(6)?,
        response_sha256: r.try_get(7)?,
        reason: r.try_get(8)?,
        at: r.try_get(9)?,
    })
}

impl OutboxTx for PgTx<'_, '_> {
    fn insert_message(&mut self, m: &OutboxRecord) -> Result<()> {
        self.tx
            .execute(
                &format!(
                    "INSERT INTO outbox ({OUTBOX_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
                ),
                &[
                    &m.id,
                    &m.incident,
                    &m.seq,
                    &m.channel,
                    &m.template,
                    &m.audience,
                    &m.subject,
                    &m.body,
                    &m.body_sha256,
                    &m.key,
                    &m.state,
                    &m.queued_us,
                    &m.not_before_us,
                    &m.lease_owner,
                    &m.lease_token,
                    &m.lease_until_us,
                    &m.leases,
                    &m.attempts,
                    &m.last_error,
                ],
            )
            .map_err(|e| {
                // Another writer queued the same key between the check and this
                // insert (keys of different incidents are not under one lock):
                // a refusal, as the check would have given.
                if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION)
                    && e.as_db_error()
                        .and_then(|d| d.constraint())
                        .is_some_and(|c| c.contains("idempotency_key"))
                {
                    Error::Refused(format!(
                        "{}: idempotency key {} is already used by another message; nothing was recorded",
                        m.incident, m.key
                    ))
                } else {
                    err(self.label, "cannot queue a message")(e)
                }
            })?;
        Ok(())
    }

    fn message_by_key(&mut self, key: &str) -> Result<Option<String>> {
        let row = self
            .tx
            .query_opt("SELECT id FROM outbox WHERE idempotency_key = $1", &[&key])
            .map_err(err(self.label, "cannot read the outbox"))?;
        row.map(|r| r.try_get(0))
            .transpose()
            .map_err(err(self.label, "cannot read the outbox"))
    }

    fn message(&mut self, id: &str, lock: bool) -> Result<Option<OutboxRecord>> {
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = $1{}",
            if lock { " FOR UPDATE" } else { "" }
        );
        let row = self
            .tx
            .query_opt(&sql, &[&id])
            .map_err(err(self.label, "cannot read the outbox"))?;
        row.as_ref()
            .map(outbox_row)
            .transpose()
            .map_err(err(self.label, "cannot read the outbox"))
    }

    fn leasable(&mut self, now_us: i64, limit: i64) -> Result<Vec<OutboxRecord>> {
        // Rows another worker is leasing right now are skipped, not waited for;
        // the row's own conditions are checked again on its newest version after
        // it is locked, so a message leased meanwhile is not returned.
        let columns = OUTBOX_COLUMNS
            .split(", ")
            .map(|c| format!("o.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM outbox o WHERE {} ORDER BY o.queued_us, o.incident_id, o.seq LIMIT $2 FOR UPDATE OF o SKIP LOCKED",
            DUE.replace("{now}", "$1")
        );
        let rows = self
            .tx
            .query(&sql, &[&now_us, &limit])
            .map_err(err(self.label, "cannot read the outbox"))?;
        rows.iter()
            .map(outbox_row)
            .collect::<std::result::Result<_, _>>()
            .map_err(err(self.label, "cannot read the outbox"))
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
                "UPDATE outbox SET state = 'leased', lease_owner = $2, lease_token = $3, lease_until_us = $4, leases = leases + 1
                 WHERE id = $1 AND (state IN ('pending', 'retry') OR (state = 'leased' AND lease_until_us <= $5))",
                &[&id, &owner, &token, &until_us, &now_us],
            )
            .map_err(err(self.label, "cannot lease a message"))?;
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
                "UPDATE outbox SET state = $3, attempt_count = attempt_count + 1,
                   not_before_us = COALESCE($4, not_before_us), last_error = COALESCE($5, last_error)
                 WHERE id = $1 AND state = 'leased' AND lease_token = $2",
                &[&id, &token, &state, &not_before_us, &last_error],
            )
            .map_err(err(self.label, "cannot record a delivery attempt"))?;
        Ok(n == 1)
    }

    fn insert_attempt(&mut self, a: &AttemptRecord) -> Result<()> {
        self.tx
            .execute(
                &format!(
                    "INSERT INTO attempts ({ATTEMPT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ),
                &[
                    &a.message,
                    &a.n,
                    &a.worker,
                    &a.channel,
                    &a.outcome,
                    &a.status,
                    &a.latency_ms,
                    &a.response_sha256,
                    &a.reason,
                    &a.at,
                ],
            )
            .map_err(err(self.label, "cannot record a delivery attempt"))?;
        Ok(())
    }

    fn messages(
        &mut self,
        state: Option<&str>,
        incident: Option<&str>,
    ) -> Result<Vec<OutboxRecord>> {
        let rows = self
            .tx
            .query(
                &format!(
                    "SELECT {OUTBOX_COLUMNS} FROM outbox
                     WHERE ($1::TEXT IS NULL OR state = $1) AND ($2::TEXT IS NULL OR incident_id = $2)
                     ORDER BY incident_id, seq"
                ),
                &[&state, &incident],
            )
            .map_err(err(self.label, "cannot read the outbox"))?;
        rows.iter()
            .map(outbox_row)
            .collect::<std::result::Result<_, _>>()
            .map_err(err(self.label, "cannot read the outbox"))
    }

    fn attempts(&mut self, id: &str) -> Result<Vec<AttemptRecord>> {
        let rows = self
            .tx
            .query(
                &format!("SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE message_id = $1 ORDER BY n"),
                &[&id],
            )
            .map_err(err(self.label, "cannot read delivery attempts"))?;
        rows.iter()
            .map(attempt_row)
            .collect::<std::result::Result<_, _>>()
            .map_err(err(self.label, "cannot read delivery attempts"))
    }

    fn requeue(&mut self, id: &str, now_us: i64) -> Result<bool> {
        let n = self
            .tx
            .execute(
                "UPDATE outbox SET state = 'pending', not_before_us = $2, lease_token = NULL, lease_until_us = NULL
                 WHERE id = $1 AND state IN ('dead', 'unknown')",
                &[&id, &now_us],
            )
            .map_err(err(self.label, "cannot replay a message"))?;
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
                "UPDATE outbox SET state = $3, last_error = COALESCE($4, last_error), lease_token = NULL, lease_until_us = NULL
                 WHERE id = $1 AND state = $2",
                &[&id, &from, &to, &last_error],
            )
            .map_err(err(self.label, "cannot change a message's state"))?;
        Ok(n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://bob:s3cret@db:5432/x"),
            "postgres://bob:***@db:5432/x"
        );
        assert_eq!(redact("postgres://bob@db/x"), "postgres://bob@db/x");
        assert_eq!(redact("postgres://db/x?user=a"), "postgres://db/x?user=a");
        assert_eq!(
            redact("postgres://db/x?user=a&password=hunter2"),
            "postgres://db/x?user=a&password=***"
        );
        assert_eq!(redact("not a url"), "not a url");
    }
}
