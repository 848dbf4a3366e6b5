//! Where incidents live: an embedded SQLite file by default, PostgreSQL when a team
//! shares one store. Same migrations, same behaviour.
//!
//! Every write is one transaction that holds the incident's lock for its whole
//! duration (SQLite: `BEGIN IMMEDIATE`, which takes the database's write lock, with a
//! busy timeout; PostgreSQL: `SELECT ... FOR UPDATE` on the incident's row), reads
//! the timeline, checks its hash chain, derives the state, applies the runbook's
//! rules, appends the new events and moves the head recorded on the incident row.
//! So concurrent responders never lose an event or fork the chain, and a failure
//! leaves nothing half-written.
//!
//! Clock events (escalations, overdue deadlines) carry a clock key, unique per
//! incident in the schema (`UNIQUE (incident_id, clock)`); they are inserted with
//! `ON CONFLICT DO NOTHING` inside the same transaction, so each fires exactly once
//! however often and however concurrently `tick` runs.
//!
//! Incident ids `INC-YYYY-MM-DD-N` come from a per-day counter incremented by one
//! atomic upsert (`INSERT ... ON CONFLICT DO UPDATE ... RETURNING`), so concurrent
//! declarers get distinct numbers.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;
use serde::Serialize;

use crate::chain::{self, GENESIS, Head, Problem};
use crate::clocks;
use crate::error::{Error, Result};
use crate::event::{Event, EventBody};
use crate::model::{Phase, Priority};
use crate::rules::{self, Action, Declaration};
use crate::runbook::Runbook;
use crate::state::{FoldError, Incident};

mod postgres;
mod sqlite;

pub use postgres::redact;
pub use sqlite::BUSY_TIMEOUT;

/// The schema, as numbered migrations. Both dialects run the same text: only
/// `TEXT` and `BIGINT` columns, standard constraints and indexes. The applied
/// versions are recorded in `schema_version`.
pub const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    number BIGINT NOT NULL,
    declared_at TEXT NOT NULL,
    phase TEXT NOT NULL,
    priority TEXT NOT NULL,
    head_seq BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    UNIQUE (day, number)
);
CREATE TABLE day_counters (
    day TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);
CREATE TABLE events (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    clock TEXT,
    PRIMARY KEY (incident_id, seq)
);
CREATE UNIQUE INDEX events_clock ON events (incident_id, clock);
",
)];

/// The newest schema version this build knows.
pub fn schema_version() -> i64 {
    MIGRATIONS.last().map(|(v, _)| *v).unwrap_or(0)
}

/// One row of `incidents`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IncidentRow {
    pub id: String,
    pub phase: String,
    pub head: Head,
}

/// Storage operations inside one transaction.
pub(crate) trait Tx {
    /// The incident's head; with `lock`, locks the incident until the transaction
    /// ends (PostgreSQL: `FOR UPDATE`; SQLite already holds the write lock).
    fn head(&mut self, id: &str, lock: bool) -> Result<Option<Head>>;
    /// The incident's events in seq order.
    fn events(&mut self, id: &str) -> Result<Vec<Event>>;
    /// Every event of every incident, by incident then seq.
    fn all_events(&mut self) -> Result<Vec<Event>>;
    /// Inserts an event; `false` (and nothing inserted) when its clock already fired.
    fn insert_event(&mut self, e: &Event, clock: Option<&str>) -> Result<bool>;
    /// Moves the incident's head and updates its summary columns.
    fn set_head(&mut self, id: &str, head: &Head, phase: Phase, priority: Priority) -> Result<()>;
    /// The next incident number of `day` (from 1).
    fn next_number(&mut self, day: &str) -> Result<u64>;
    /// Inserts a new incident row (head: no events yet).
    fn insert_incident(
        &mut self,
        id: &str,
        day: &str,
        number: u64,
        declared_at: &str,
        priority: Priority,
    ) -> Result<()>;
    /// Every incident row, by id.
    fn incidents(&mut self) -> Result<Vec<IncidentRow>>;
}

/// A database connection able to run transactions.
pub(crate) trait Backend: Send {
    /// Where the store is, for messages (no password).
    fn label(&self) -> String;
    /// Runs `f` in a write transaction: committed when `f` succeeds, rolled back
    /// otherwise.
    fn write(&mut self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;
    /// Runs `f` in a read-only transaction (one consistent snapshot).
    fn read(&mut self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;
    /// Runs raw SQL (tests tamper with the database this way).
    fn execute_batch(&mut self, sql: &str) -> Result<()>;
}

/// An open incident store.
pub struct Store {
    backend: Box<dyn Backend>,
}

/// What a write recorded.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// The incident after the write.
    pub incident: Incident,
    /// The events appended, in order.
    pub events: Vec<Event>,
}

/// An incident as loaded, with its chain checked.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Its id.
    pub id: String,
    /// Its events in seq order.
    pub events: Vec<Event>,
    /// The head its row records.
    pub head_seq: u64,
    /// The head hash its row records.
    pub head_hash: String,
    /// Chain problems (empty: the timeline verifies).
    pub problems: Vec<Problem>,
    /// The state folded from the events, or why they cannot be folded.
    pub state: Result<Incident, FoldError>,
}

/// The verification of one incident's timeline.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    /// The incident.
    pub incident: String,
    /// Events stored.
    pub events: u64,
    /// The head seq the incident records.
    pub head_seq: u64,
    /// The head hash the incident records.
    pub head_hash: String,
    /// Problems found (empty: valid).
    pub problems: Vec<Problem>,
}

/// One event fired by `tick`.
#[derive(Clone, Debug)]
pub struct Fired {
    /// The incident.
    pub incident: String,
    /// The event.
    pub event: Event,
}

/// What `tick` did.
#[derive(Clone, Debug, Default)]
pub struct TickReport {
    /// Incidents evaluated (not counting those in `failed`).
    pub evaluated: u64,
    /// Events fired, in order.
    pub fired: Vec<Fired>,
    /// Incidents that could not be evaluated (a timeline that fails verification),
    /// with the reason; the others were evaluated.
    pub failed: Vec<(String, String)>,
}

impl Store {
    /// Opens (creating it and its directory when missing) the SQLite store at
    /// `path`, migrating it to the current schema.
    pub fn sqlite(path: &Path) -> Result<Store> {
        Ok(Store {
            backend: Box::new(sqlite::Sqlite::open(path, true)?),
        })
    }

    /// Opens an existing SQLite store; an error naming the path when there is none.
    pub fn sqlite_existing(path: &Path) -> Result<Store> {
        Ok(Store {
            backend: Box::new(sqlite::Sqlite::open(path, false)?),
        })
    }

    /// Connects to PostgreSQL (`postgres://user@host:port/db`) and migrates the
    /// schema in its search path to the current version.
    pub fn postgres(url: &str) -> Result<Store> {
        Ok(Store {
            backend: Box::new(postgres::Postgres::connect(url)?),
        })
    }

    /// Where the store is, for messages (passwords removed).
    pub fn label(&self) -> String {
        self.backend.label()
    }

    /// Runs raw SQL against the store. For tests and repairs by hand: it bypasses
    /// every rule, so `verify` will report what it changes in timelines.
    pub fn execute_raw(&mut self, sql: &str) -> Result<()> {
        self.backend.execute_batch(sql)
    }

    /// Declares an incident at `now`; its id is allocated from `now`'s UTC day.
    pub fn declare(
        &mut self,
        d: &Declaration,
        runbook: &Runbook,
        actor: &str,
        now: Timestamp,
    ) -> Result<Recorded> {
        let actor = &rules::resolve_in(runbook, check_actor(actor)?);
        let bodies = rules::declare(d, runbook, now).map_err(Error::Refused)?;
        let day = now.strftime("%Y-%m-%d").to_string();
        let mut out = None;
        self.backend.write(&mut |tx| {
            let number = tx.next_number(&day)?;
            let id = format!("INC-{day}-{number}");
            let at = now.to_string();
            tx.insert_incident(&id, &day, number, &at, d.priority.level)?;
            let mut head = Head {
                seq: 0,
                hash: GENESIS.to_owned(),
            };
            let events = append(tx, &id, &mut head, actor, now, bodies.clone())?;
            let incident =
                Incident::from_events(&events).map_err(|e| Error::Corrupt(e.to_string()))?;
            tx.set_head(&id, &head, incident.phase, incident.priority)?;
            out = Some(Recorded { incident, events });
            Ok(())
        })?;
        out.ok_or_else(|| Error::Corrupt("the declaration recorded nothing".into()))
    }

    /// Applies `action` by `actor` at `now` to incident `id`, in one transaction
    /// holding the incident's lock.
    pub fn act(
        &mut self,
        id: &str,
        action: &Action,
        actor: &str,
        now: Timestamp,
    ) -> Result<Recorded> {
        let actor = check_actor(actor)?;
        let label = self.label();
        let mut out = None;
        self.backend.write(&mut |tx| {
            let (mut head, mut incident) = locked_state(tx, id, &label)?;
            let actor = &rules::resolve_actor(&incident, actor);
            let bodies = rules::act(&incident, action, actor, now).map_err(Error::Refused)?;
            let appended = append(tx, id, &mut head, actor, now, bodies.clone())?;
            for e in &appended {
                let body = e.body().map_err(Error::Corrupt)?;
                incident.apply(actor, now, body).map_err(Error::Corrupt)?;
            }
            tx.set_head(id, &head, incident.phase, incident.priority)?;
            out = Some(Recorded {
                incident: incident.clone(),
                events: appended,
            });
            Ok(())
        })?;
        out.ok_or_else(|| Error::Corrupt("the action recorded nothing".into()))
    }

    /// Evaluates every clock of every incident (not cancelled) at `now` and records
    /// what fired. Each incident is its own transaction under its lock; a clock
    /// that already fired is never recorded again.
    pub fn tick(&mut self, actor: &str, now: Timestamp) -> Result<TickReport> {
        let actor = check_actor(actor)?;
        let label = self.label();
        let mut rows = Vec::new();
        self.backend.read(&mut |tx| {
            rows = tx.incidents()?;
            Ok(())
        })?;
        let mut report = TickReport::default();
        for row in rows {
            if row.phase == Phase::Cancelled.key() {
                continue;
            }
            let mut fired = Vec::new();
            let result = self.backend.write(&mut |tx| {
                fired.clear();
                let (mut head, mut incident) = locked_state(tx, &row.id, &label)?;
                let bodies = clocks::due(&incident, now);
                if bodies.is_empty() {
                    return Ok(());
                }
                let appended = append(tx, &row.id, &mut head, actor, now, bodies)?;
                for e in &appended {
                    let body = e.body().map_err(Error::Corrupt)?;
                    incident.apply(actor, now, body).map_err(Error::Corrupt)?;
                }
                tx.set_head(&row.id, &head, incident.phase, incident.priority)?;
                fired = appended;
                Ok(())
            });
            match result {
                Ok(()) => {
                    report.evaluated += 1;
                    report.fired.extend(fired.drain(..).map(|event| Fired {
                        incident: row.id.clone(),
                        event,
                    }));
                }
                Err(e @ (Error::Tampered { .. } | Error::Corrupt(_))) => {
                    report.failed.push((row.id.clone(), e.to_string()));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Loads incident `id` with its chain checked.
    pub fn load(&mut self, id: &str) -> Result<Loaded> {
        let label = self.label();
        let mut out = None;
        self.backend.read(&mut |tx| {
            let head = tx
                .head(id, false)?
                .ok_or_else(|| Error::UnknownIncident(id.to_owned(), label.clone()))?;
            let events = tx.events(id)?;
            out = Some(loaded(id.to_owned(), head, events));
            Ok(())
        })?;
        out.ok_or_else(|| Error::UnknownIncident(id.to_owned(), label))
    }

    /// Loads every incident (by id), each with its chain checked, in one snapshot.
    pub fn load_all(&mut self) -> Result<Vec<Loaded>> {
        let mut out = Vec::new();
        self.backend.read(&mut |tx| {
            out.clear();
            let rows = tx.incidents()?;
            let mut by_incident: BTreeMap<String, Vec<Event>> = BTreeMap::new();
            for e in tx.all_events()? {
                by_incident.entry(e.incident.clone()).or_default().push(e);
            }
            for row in rows {
                let events = by_incident.remove(&row.id).unwrap_or_default();
                out.push(loaded(row.id, row.head, events));
            }
            // Events of no incident: forged rows (the schema's foreign key keeps
            // them out unless written by hand).
            for (id, events) in by_incident {
                let problems = events
                    .iter()
                    .enumerate()
                    .map(|(i, e)| Problem {
                        kind: chain::ProblemKind::Inserted,
                        position: i as u64 + 1,
                        seq: e.seq,
                        message: format!(
                            "event seq {} ({} by {} at {}) belongs to no recorded incident (inserted)",
                            e.seq, e.kind, e.actor, e.at
                        ),
                    })
                    .collect();
                let state = Incident::from_events(&events);
                out.push(Loaded {
                    id,
                    events,
                    head_seq: 0,
                    head_hash: GENESIS.to_owned(),
                    problems,
                    state,
                });
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// Verifies the timeline of incident `id`, or of every incident.
    pub fn verify(&mut self, id: Option<&str>) -> Result<Vec<Verification>> {
        let loaded = match id {
            Some(id) => vec![self.load(id)?],
            None => self.load_all()?,
        };
        Ok(loaded
            .into_iter()
            .map(|l| Verification {
                incident: l.id,
                events: l.events.len() as u64,
                head_seq: l.head_seq,
                head_hash: l.head_hash,
                problems: l.problems,
            })
            .collect())
    }
}

fn check_actor(actor: &str) -> Result<&str> {
    let a = actor.trim();
    if a.is_empty() {
        return Err(Error::Refused("the actor name must not be empty".into()));
    }
    Ok(a)
}

fn loaded(id: String, head: Head, events: Vec<Event>) -> Loaded {
    let problems = chain::verify(&events, &head);
    let state = Incident::from_events(&events).map_err(|mut e| {
        if e.incident.is_empty() {
            e.incident = id.clone();
        }
        e
    });
    Loaded {
        id,
        events,
        head_seq: head.seq,
        head_hash: head.hash,
        problems,
        state,
    }
}

/// Locks incident `id`, reads its timeline, checks the chain, folds the state.
fn locked_state(tx: &mut dyn Tx, id: &str, label: &str) -> Result<(Head, Incident)> {
    let head = tx
        .head(id, true)?
        .ok_or_else(|| Error::UnknownIncident(id.to_owned(), label.to_owned()))?;
    let events = tx.events(id)?;
    if let Some(p) = chain::verify(&events, &head).first() {
        return Err(Error::Tampered {
            incident: id.to_owned(),
            first: p.message.clone(),
        });
    }
    let incident = Incident::from_events(&events).map_err(|e| Error::Corrupt(e.to_string()))?;
    Ok((head, incident))
}

/// Appends `bodies` after `head`, moving it; events whose clock already fired are
/// skipped (not inserted, no seq used).
fn append(
    tx: &mut dyn Tx,
    id: &str,
    head: &mut Head,
    actor: &str,
    now: Timestamp,
    bodies: Vec<EventBody>,
) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    for b in bodies {
        let e = Event::new(id, head.seq + 1, now, actor, &b, &head.hash);
        if tx.insert_event(&e, b.clock())? {
            head.seq = e.seq;
            head.hash = e.hash.clone();
            out.push(e);
        }
    }
    Ok(out)
}

/// Parses a stored head row. A negative seq (written by hand) becomes 0, which
/// verification then reports, rather than making every incident unreadable.
pub(crate) fn head_from(seq: i64, hash: String) -> Result<Head> {
    Ok(Head {
        seq: u64::try_from(seq).unwrap_or(0),
        hash,
    })
}

/// Parses a stored event row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn event_from(
    incident: String,
    seq: i64,
    at: String,
    actor: String,
    kind: String,
    details: String,
    prev_hash: String,
    hash: String,
) -> Event {
    Event {
        incident,
        // A negative seq (written by hand) becomes 0, which verification reports.
        seq: u64::try_from(seq).unwrap_or(0),
        at,
        actor,
        kind,
        details,
        prev_hash,
        hash,
    }
}

/// Converts a count to the database's integer.
pub(crate) fn to_i64(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| Error::Corrupt(format!("number {n} is out of range")))
}

/// The migration error for a database newer than this build.
pub(crate) fn too_new(found: i64, label: &str) -> Error {
    Error::Database {
        context: format!("incident store {label}"),
        message: format!(
            "its schema version is {found}, newer than this cverun understands ({}); upgrade cverun",
            schema_version()
        ),
    }
}
