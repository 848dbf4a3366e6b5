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
//!
//! Time comes from the store's [`Clock`], read inside the write transaction after
//! the lock is taken: the system clock for SQLite, the database server's
//! `clock_timestamp()` for PostgreSQL (one clock for every writer), or a simulated
//! time for a store marked simulated when it was created (`store_meta`). A
//! timeline only moves forward: an event earlier than the one before it by more
//! than [`SKEW_TOLERANCE`] is refused, and within it the event is recorded at the
//! previous event's time.
//!
//! Messages to people go through the outbox ([`crate::outbox`]): queued in the
//! transaction of the events causing them, leased to delivery workers.
//!
//! Every event is signed with the incident key ([`crate::key`]), every incident
//! gets a store-wide number in `store_log` (chained and signed), and a write
//! refuses a timeline or log that does not authenticate.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::chain::{self, Anchor, GENESIS, Head, LogEntry, Problem, ProblemKind};
use crate::clocks;
use crate::error::{Error, Result};
use crate::event::{Event, EventBody};
use crate::key::{Key, Keyring, MacCheck};
use crate::model::{Phase, Priority};
use crate::rules::{self, Action, Declaration};
use crate::runbook::Runbook;
use crate::state::{FoldError, Incident};

mod approval;
mod outbox;
mod postgres;
mod sqlite;
mod tls;

pub use approval::{ApprovalRecorded, StoredMessage};
pub(crate) use outbox::{AttemptRecord, OutboxRecord, OutboxTx};
pub use outbox::{MAX_LEASE, MAX_MESSAGE_BYTES, Route, TickRoute};
pub use postgres::redact;
pub use sqlite::BUSY_TIMEOUT;

/// The schema, as numbered migrations. Both dialects run the same text: only
/// `TEXT` and `BIGINT` columns, standard constraints and indexes. The applied
/// versions are recorded in `schema_version`.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (
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
    ),
    (
        2,
        "ALTER TABLE events ADD COLUMN mac TEXT;
ALTER TABLE events ADD COLUMN key_id TEXT;
CREATE TABLE store_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE store_log (
    seq BIGINT PRIMARY KEY,
    incident_id TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    declared_hash TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    mac TEXT NOT NULL,
    key_id TEXT NOT NULL
);
",
    ),
    (3, outbox::MIGRATION),
];

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

/// Storage operations inside one transaction (the outbox's included).
pub(crate) trait Tx: OutboxTx {
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
    /// The time now by the backend's clock (SQLite: the system's; PostgreSQL: the
    /// server's `clock_timestamp()`).
    fn now(&mut self) -> Result<Timestamp>;
    /// A `store_meta` value.
    fn meta(&mut self, key: &str) -> Result<Option<String>>;
    /// Sets a `store_meta` value unless one is set.
    fn set_meta_if_absent(&mut self, key: &str, value: &str) -> Result<()>;
    /// The last `store_log` entry; with `lock`, serialises store-log appends until
    /// the transaction ends (SQLite already holds the write lock).
    fn log_tail(&mut self, lock: bool) -> Result<Option<LogEntry>>;
    /// Appends a `store_log` entry.
    fn insert_log(&mut self, e: &LogEntry) -> Result<()>;
    /// The whole `store_log`, by seq.
    fn log(&mut self) -> Result<Vec<LogEntry>>;
    /// Every incident id with the hash of its first event (when it has one).
    fn first_hashes(&mut self) -> Result<Vec<(String, Option<String>)>>;
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

/// Where a store's time comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The real clock: the system's for SQLite, the database server's for
    /// PostgreSQL, read inside each write transaction.
    System,
    /// A simulated time (replaying an incident); only for stores created simulated.
    Simulated(Timestamp),
}

impl Clock {
    /// Whether the clock is simulated.
    pub fn is_simulated(&self) -> bool {
        matches!(self, Clock::Simulated(_))
    }
}

/// How far back of an incident's last event a new event may be (clocks of
/// different writers differ a little); such an event is recorded at the previous
/// event's time. Earlier than that, it is refused.
pub const SKEW_TOLERANCE: SignedDuration = SignedDuration::from_secs(5);

/// An open incident store.
pub struct Store {
    backend: Box<dyn Backend>,
    clock: Clock,
    keys: Keyring,
    simulated: bool,
}

/// The verification of the store's log (the signed numbering of incidents).
#[derive(Clone, Debug, Serialize)]
pub struct LogVerification {
    /// Entries stored.
    pub entries: u64,
    /// The last entry's number (0 when empty).
    pub head_seq: u64,
    /// The last entry's hash.
    pub head_hash: String,
    /// Problems found (empty: valid).
    pub problems: Vec<Problem>,
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
    /// Opens (creating it and its directory when missing: the file with mode 0600
    /// in a directory created 0700) the SQLite store at `path`, migrating it to the
    /// current schema. `clock` must match the store's mode (see [`Store::simulated`]);
    /// `keys` sign and verify.
    pub fn sqlite(path: &Path, clock: Clock, keys: Keyring) -> Result<Store> {
        Store::init(Box::new(sqlite::Sqlite::open(path, true)?), clock, keys)
    }

    /// Opens an existing SQLite store; an error naming the path when there is none.
    pub fn sqlite_existing(path: &Path, clock: Clock, keys: Keyring) -> Result<Store> {
        Store::init(Box::new(sqlite::Sqlite::open(path, false)?), clock, keys)
    }

    /// Connects to PostgreSQL (`postgres://user@host:port/db`) and migrates the
    /// schema in its search path to the current version.
    pub fn postgres(url: &str, clock: Clock, keys: Keyring) -> Result<Store> {
        Store::init(Box::new(postgres::Postgres::connect(url)?), clock, keys)
    }

    /// Reads (or, for a new store, records) whether the store is simulated and
    /// refuses a clock that does not match it.
    fn init(mut backend: Box<dyn Backend>, clock: Clock, keys: Keyring) -> Result<Store> {
        let mut mode = None;
        backend.read(&mut |tx| {
            mode = tx.meta(CLOCK_META)?;
            Ok(())
        })?;
        if mode.is_none() {
            backend.write(&mut |tx| {
                // A store holding incidents from before the mark existed is real.
                let value = if tx.incidents()?.is_empty() {
                    chain::mode(clock.is_simulated())
                } else {
                    chain::mode(false)
                };
                tx.set_meta_if_absent(CLOCK_META, value)?;
                mode = tx.meta(CLOCK_META)?;
                Ok(())
            })?;
        }
        let label = backend.label();
        let simulated = match mode.as_deref() {
            Some("simulated") => true,
            Some("system") => false,
            other => {
                return Err(Error::Corrupt(format!(
                    "incident store {label}: unknown clock mode {other:?} in store_meta"
                )));
            }
        };
        match (simulated, clock) {
            (true, Clock::System) => Err(Error::Refused(format!(
                "{label} is a simulated incident store (created with CVERUN_NOW set; its times are replayed, not real): set CVERUN_NOW to work with it, or use another state directory (--state DIR) or database for real incidents"
            ))),
            (false, Clock::Simulated(_)) => Err(Error::Refused(format!(
                "CVERUN_NOW is set, but {label} is a real incident store, whose times come from the clock: unset CVERUN_NOW (to replay an incident on a simulated clock, use a new state directory with --state DIR, or a new database)"
            ))),
            _ => Ok(Store {
                backend,
                clock,
                keys,
                simulated,
            }),
        }
    }

    /// Whether the store is simulated: created on a simulated clock, so its times
    /// are replayed, not real. Every view of it must say so.
    pub fn simulated(&self) -> bool {
        self.simulated
    }

    /// The store's clock.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The keys the store signs and verifies with.
    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// Moves a simulated store's clock to `now`; refused on a real store.
    pub fn set_now(&mut self, now: Timestamp) -> Result<()> {
        if !self.simulated {
            return Err(Error::Refused(format!(
                "{} is a real incident store: its time comes from the clock",
                self.label()
            )));
        }
        self.clock = Clock::Simulated(now);
        Ok(())
    }

    /// The key new records are signed with, or why there is none.
    fn signing_key(&self) -> Result<Key> {
        signing_key(&self.keys)
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

    /// Declares an incident at the store's time; its id is allocated from that
    /// time's UTC day, and its store-wide number from the store log.
    pub fn declare(&mut self, d: &Declaration, runbook: &Runbook, actor: &str) -> Result<Recorded> {
        self.declare_with(d, runbook, actor, None).map(|(r, _)| r)
    }

    /// Declares an incident like [`Store::declare`] and, in the same transaction,
    /// queues the messages `route` chooses for the new incident and its first
    /// events (see [`Store::act_notifying`]): a route returning an error, or a
    /// message that cannot be queued, records nothing (no incident, no number).
    pub fn declare_notifying(
        &mut self,
        d: &Declaration,
        runbook: &Runbook,
        actor: &str,
        route: &Route<'_>,
    ) -> Result<(Recorded, Vec<crate::outbox::MessageId>)> {
        self.declare_with(d, runbook, actor, Some(route))
    }

    fn declare_with(
        &mut self,
        d: &Declaration,
        runbook: &Runbook,
        actor: &str,
        route: Option<&Route<'_>>,
    ) -> Result<(Recorded, Vec<crate::outbox::MessageId>)> {
        let actor = &rules::resolve_in(runbook, check_actor(actor)?);
        let key = self.signing_key()?;
        let (clock, simulated) = (self.clock, self.simulated);
        let Store { backend, keys, .. } = self;
        let mut out = None;
        backend.write(&mut |tx| {
            let now = time_of(clock, tx)?;
            let bodies = rules::declare(d, runbook, now).map_err(Error::Refused)?;
            let day = now.strftime("%Y-%m-%d").to_string();
            let tail = tx.log_tail(true)?;
            if let Some(t) = &tail {
                check_log_tail(t, keys, simulated)?;
            }
            // Under the store log's lock, so two declarations of one vulnerability
            // cannot both pass.
            rules::duplicates(d, &open_incidents(tx)?).map_err(Error::Refused)?;
            let number = tx.next_number(&day)?;
            let id = format!("INC-{day}-{number}");
            let at = now.to_string();
            tx.insert_incident(&id, &day, number, &at, d.priority.level)?;
            let mut head = Head {
                seq: 0,
                hash: GENESIS.to_owned(),
            };
            let mut events = append(
                tx,
                &id,
                &mut head,
                actor,
                now,
                bodies.clone(),
                &key,
                simulated,
            )?;
            let mut incident =
                Incident::from_events(&events).map_err(|e| Error::Corrupt(e.to_string()))?;
            let mut ids = Vec::new();
            if let Some(route) = route {
                let messages =
                    route(&incident, &events).map_err(|m| outbox::refused_route(&id, &m))?;
                let q = outbox::Queue {
                    id: &id,
                    actor,
                    now,
                    cause: events.last().map(|e| e.seq),
                    first: events.first().map_or(head.seq + 1, |e| e.seq),
                    key: &key,
                    simulated,
                };
                let (queued, queued_ids) = q.all(tx, &mut head, &mut incident, messages)?;
                events.extend(queued);
                ids = queued_ids;
            }
            tx.set_head(&id, &head, incident.phase, incident.priority)?;
            let first = events
                .first()
                .ok_or_else(|| Error::Corrupt("the declaration recorded nothing".into()))?;
            let entry = LogEntry::new(
                tail.as_ref().map(|t| t.seq + 1).unwrap_or(1),
                &id,
                &at,
                &first.hash,
                tail.as_ref().map(|t| t.hash.as_str()).unwrap_or(GENESIS),
                &key,
                simulated,
            );
            tx.insert_log(&entry)?;
            out = Some((Recorded { incident, events }, ids.clone()));
            Ok(())
        })?;
        out.ok_or_else(|| Error::Corrupt("the declaration recorded nothing".into()))
    }

    /// Applies `action` by `actor` at the store's time to incident `id`, in one
    /// transaction holding the incident's lock.
    pub fn act(&mut self, id: &str, action: &Action, actor: &str) -> Result<Recorded> {
        let actor = check_actor(actor)?;
        let label = self.label();
        let (clock, simulated) = (self.clock, self.simulated);
        let Store { backend, keys, .. } = self;
        let mut out = None;
        backend.write(&mut |tx| {
            let (mut head, mut incident, last) = locked_state(tx, id, &label, keys, simulated)?;
            let actor = &rules::resolve_actor(&incident, actor);
            let key = signing_key(keys)?;
            let now = event_time(id, time_of(clock, tx)?, last, simulated)?;
            let bodies = rules::act(&incident, action, actor, now).map_err(Error::Refused)?;
            let appended = append(
                tx,
                id,
                &mut head,
                actor,
                now,
                bodies.clone(),
                &key,
                simulated,
            )?;
            for e in &appended {
                let body = e.body().map_err(Error::Corrupt)?;
                incident
                    .apply(e.seq, actor, now, body)
                    .map_err(Error::Corrupt)?;
                incident.set_head(e);
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

    /// Evaluates every clock of every incident (not cancelled) at the store's time
    /// and records what fired. Each incident is its own transaction under its
    /// lock; a clock that already fired is never recorded again.
    pub fn tick(&mut self, actor: &str) -> Result<TickReport> {
        self.tick_with(actor, None).map(|(r, _)| r)
    }

    /// Ticks like [`Store::tick`] and, in each incident's transaction, queues the
    /// messages `route` chooses: it is called for every incident evaluated, with
    /// the incident after the events that fired, those events (none, when no
    /// clock fired) and the incident's whole timeline including them, so that
    /// messages not caused by one event (a digest of what happened) are chosen
    /// under the incident's lock too. An incident whose route fails records
    /// nothing and is reported in [`TickReport::failed`], like one whose timeline
    /// fails verification; the others go on. The `message-queued` events are in
    /// [`TickReport::fired`] after the clock events of their incident.
    pub fn tick_notifying(
        &mut self,
        actor: &str,
        route: &TickRoute<'_>,
    ) -> Result<(TickReport, Vec<crate::outbox::MessageId>)> {
        self.tick_with(actor, Some(route))
    }

    fn tick_with(
        &mut self,
        actor: &str,
        route: Option<&TickRoute<'_>>,
    ) -> Result<(TickReport, Vec<crate::outbox::MessageId>)> {
        let actor = check_actor(actor)?;
        let label = self.label();
        let (clock, simulated) = (self.clock, self.simulated);
        let Store { backend, keys, .. } = self;
        let mut rows = Vec::new();
        backend.read(&mut |tx| {
            rows = tx.incidents()?;
            Ok(())
        })?;
        let mut report = TickReport::default();
        let mut all_ids = Vec::new();
        let mut key = None;
        for row in rows {
            if row.phase == Phase::Cancelled.key() {
                continue;
            }
            if key.is_none() {
                key = Some(keys.current().cloned().ok_or_else(|| {
                    Error::Refused(
                        "no incident key: clocks cannot be recorded without one; set CVERUN_INCIDENT_KEY or CVERUN_INCIDENT_KEY_FILE".into(),
                    )
                })?);
            }
            let Some(key) = key.as_ref() else { continue };
            let mut fired = Vec::new();
            let mut ids = Vec::new();
            let result = backend.write(&mut |tx| {
                fired.clear();
                ids.clear();
                let (mut head, mut incident, last, mut timeline) =
                    locked_timeline(tx, &row.id, &label, keys, simulated)?;
                let now = event_time(&row.id, time_of(clock, tx)?, last, simulated)?;
                let bodies = clocks::due(&incident, now);
                if bodies.is_empty() && route.is_none() {
                    return Ok(());
                }
                let mut appended =
                    append(tx, &row.id, &mut head, actor, now, bodies, key, simulated)?;
                outbox::fold(&mut incident, &appended, actor, now)?;
                if let Some(route) = route {
                    timeline.extend(appended.iter().cloned());
                    let messages = route(&incident, &appended, &timeline)
                        .map_err(|m| outbox::refused_route(&row.id, &m))?;
                    let q = outbox::Queue {
                        id: &row.id,
                        actor,
                        now,
                        cause: appended.last().map(|e| e.seq),
                        first: appended.first().map_or(head.seq + 1, |e| e.seq),
                        key,
                        simulated,
                    };
                    let (queued, queued_ids) = q.all(tx, &mut head, &mut incident, messages)?;
                    appended.extend(queued);
                    ids = queued_ids;
                }
                if appended.is_empty() {
                    return Ok(());
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
                    all_ids.append(&mut ids);
                }
                Err(e @ (Error::Tampered { .. } | Error::Corrupt(_) | Error::Refused(_))) => {
                    report.failed.push((row.id.clone(), e.to_string()));
                }
                Err(e) => return Err(e),
            }
        }
        Ok((report, all_ids))
    }

    /// Loads incident `id` with its chain checked.
    pub fn load(&mut self, id: &str) -> Result<Loaded> {
        let label = self.label();
        let simulated = self.simulated;
        let Store { backend, keys, .. } = self;
        let mut out = None;
        backend.read(&mut |tx| {
            let head = tx
                .head(id, false)?
                .ok_or_else(|| Error::UnknownIncident(id.to_owned(), label.clone()))?;
            let events = tx.events(id)?;
            out = Some(loaded(id.to_owned(), head, events, keys, simulated));
            Ok(())
        })?;
        out.ok_or_else(|| Error::UnknownIncident(id.to_owned(), label))
    }

    /// Loads every incident (by id), each with its chain checked, in one snapshot.
    pub fn load_all(&mut self) -> Result<Vec<Loaded>> {
        let simulated = self.simulated;
        let Store { backend, keys, .. } = self;
        let mut out = Vec::new();
        backend.read(&mut |tx| {
            out.clear();
            let rows = tx.incidents()?;
            let mut by_incident: BTreeMap<String, Vec<Event>> = BTreeMap::new();
            for e in tx.all_events()? {
                by_incident.entry(e.incident.clone()).or_default().push(e);
            }
            for row in rows {
                let events = by_incident.remove(&row.id).unwrap_or_default();
                out.push(loaded(row.id, row.head, events, keys, simulated));
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

    /// Verifies the store's log: the signed, store-wide numbering of incidents
    /// (a missing number is a deleted incident).
    pub fn verify_log(&mut self) -> Result<LogVerification> {
        let simulated = self.simulated;
        let Store { backend, keys, .. } = self;
        let mut out = None;
        backend.read(&mut |tx| {
            let entries = tx.log()?;
            let incidents = tx.first_hashes()?;
            let problems = chain::verify_log(&entries, &incidents, keys, simulated);
            let last = entries.last();
            out = Some(LogVerification {
                entries: entries.len() as u64,
                head_seq: last.map(|e| e.seq).unwrap_or(0),
                head_hash: last
                    .map(|e| e.hash.clone())
                    .unwrap_or_else(|| GENESIS.to_owned()),
                problems,
            });
            Ok(())
        })?;
        out.ok_or_else(|| Error::Corrupt("the store log could not be read".into()))
    }

    /// The signed head of incident `id` (its last seq and hash), to keep outside
    /// the database. Refused when the timeline fails verification.
    pub fn head(&mut self, id: &str) -> Result<Anchor> {
        let key = self.signing_key()?;
        let l = self.load(id)?;
        if let Some(p) = l.problems.first() {
            return Err(Error::Tampered {
                incident: id.to_owned(),
                first: p.message.clone(),
            });
        }
        Ok(Anchor::new(
            id,
            l.head_seq,
            &l.head_hash,
            &key,
            self.simulated,
        ))
    }

    /// The signed head of the store's log (its last number and hash): it covers
    /// the newest incident, whose deletion leaves no gap. Refused when the log
    /// fails verification.
    pub fn store_head(&mut self) -> Result<Anchor> {
        let key = self.signing_key()?;
        let v = self.verify_log()?;
        if let Some(p) = v.problems.first() {
            return Err(Error::Refused(format!(
                "the store log fails verification ({}); no head is signed (see `cverun incident verify`)",
                p.message
            )));
        }
        Ok(Anchor::new(
            chain::STORE_ANCHOR,
            v.head_seq,
            &v.head_hash,
            &key,
            self.simulated,
        ))
    }

    /// Whether the stored chain named by `anchor` (an incident's timeline, or the
    /// store log) still reaches it; the problems when not.
    pub fn check_head(&mut self, anchor: &Anchor) -> Result<Vec<Problem>> {
        let simulated = self.simulated;
        let name = anchor.name.clone();
        let Store { backend, keys, .. } = self;
        let mut out = Vec::new();
        backend.read(&mut |tx| {
            let records: Vec<(u64, String)> = if name == chain::STORE_ANCHOR {
                tx.log()?.into_iter().map(|e| (e.seq, e.hash)).collect()
            } else {
                if tx.head(&name, false)?.is_none() {
                    out = vec![Problem {
                        kind: ProblemKind::Deleted,
                        position: 0,
                        seq: anchor.seq,
                        message: format!(
                            "incident {name} of the expected head no longer exists (deleted)"
                        ),
                    }];
                    if !anchor.authentic(keys, simulated) {
                        out.extend(chain::check_anchor(&[], anchor, keys, simulated));
                    }
                    return Ok(());
                }
                tx.events(&name)?
                    .into_iter()
                    .map(|e| (e.seq, e.hash))
                    .collect()
            };
            out = chain::check_anchor(&records, anchor, keys, simulated);
            Ok(())
        })?;
        Ok(out)
    }
}

const CLOCK_META: &str = "clock";

/// The key new records are signed with, or why there is none.
fn signing_key(keys: &Keyring) -> Result<Key> {
    keys.current().cloned().ok_or_else(|| {
            Error::Refused(format!(
                "no incident key: nothing is recorded without one; set CVERUN_INCIDENT_KEY or CVERUN_INCIDENT_KEY_FILE to the key that signs this store's events{}",
                match keys.source() {
                    Some(s) if !s.starts_with("CVERUN_") => format!(" (expected at {s})"),
                    _ => String::new(),
                }
            ))
        })
}

/// Creates `dir` and its missing parents with mode 0700 (an existing directory is
/// left as it is).
pub fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| {
            Error::Io(format!(
                "cannot create the state directory {}: {e}",
                dir.display()
            ))
        })
}

/// The time of a write: the simulated time, or the backend's clock.
fn time_of(clock: Clock, tx: &mut dyn Tx) -> Result<Timestamp> {
    match clock {
        Clock::Simulated(t) => Ok(t),
        Clock::System => tx.now(),
    }
}

/// The time to record a new event of incident `id` at, given the clock's `now`
/// and the incident's last event: `now`, or the last event's time when `now` is
/// behind it by at most [`SKEW_TOLERANCE`]; refused when further behind.
pub fn event_time(
    id: &str,
    now: Timestamp,
    last: Option<Timestamp>,
    simulated: bool,
) -> Result<Timestamp> {
    match last {
        Some(last) if now < last => {
            let behind = last.duration_since(now);
            if behind <= SKEW_TOLERANCE {
                Ok(last)
            } else {
                Err(Error::Refused(format!(
                    "{id}: the time now, {now}, is {} before the incident's last event ({last}); a timeline only moves forward{}",
                    crate::interval::human_minutes(behind.as_secs()),
                    if simulated {
                        " (CVERUN_NOW must not go back)"
                    } else {
                        " (writers' clocks may differ by at most 5 s: check this machine's clock)"
                    }
                )))
            }
        }
        _ => Ok(now),
    }
}

/// Refuses to extend a store log whose last entry does not authenticate.
fn check_log_tail(t: &LogEntry, keys: &Keyring, simulated: bool) -> Result<()> {
    let problem = if t.computed_hash() != t.hash {
        Some("its last entry does not match its hash".to_owned())
    } else {
        match keys.check(
            Some(&t.key_id),
            Some(&t.mac),
            &chain::log_mac_parts(&t.hash, simulated),
        ) {
            MacCheck::Valid => None,
            MacCheck::Missing => Some("its last entry carries no MAC".to_owned()),
            MacCheck::UnknownKey(k) => Some(format!(
                "its last entry is signed with key {k}, which is not available here (use the store's key: CVERUN_INCIDENT_KEY or CVERUN_INCIDENT_KEY_FILE)"
            )),
            MacCheck::Forged => Some("its last entry does not carry a valid MAC".to_owned()),
        }
    };
    match problem {
        None => Ok(()),
        Some(p) => Err(Error::Refused(format!(
            "the store log fails verification ({p}); nothing was recorded (see `cverun incident verify`)"
        ))),
    }
}

fn check_actor(actor: &str) -> Result<&str> {
    let a = actor.trim();
    if a.is_empty() {
        return Err(Error::Refused("the actor name must not be empty".into()));
    }
    Ok(a)
}

fn loaded(id: String, head: Head, events: Vec<Event>, keys: &Keyring, simulated: bool) -> Loaded {
    let problems = chain::verify_with(&events, &head, keys, simulated);
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

/// The open incidents, as the duplicate rule compares them (from each one's
/// `declared` event). One whose first event cannot be read is left out: it cannot
/// be compared, and `verify` reports it.
fn open_incidents(tx: &mut dyn Tx) -> Result<Vec<rules::OpenIncident>> {
    let mut out = Vec::new();
    for row in tx.incidents()? {
        if row.phase == Phase::Resolved.key() || row.phase == Phase::Cancelled.key() {
            continue;
        }
        let events = tx.events(&row.id)?;
        if let Some(Ok(EventBody::Declared {
            advisory,
            aliases,
            scope,
            title,
            ..
        })) = events.first().map(Event::body)
        {
            let mut ids = aliases;
            ids.push(advisory);
            out.push(rules::OpenIncident {
                id: row.id,
                title,
                phase: row.phase,
                ids,
                scope,
            });
        }
    }
    Ok(out)
}

/// Locks incident `id`, reads its timeline, checks the chain and its MACs, folds
/// the state; also returns the last event's time.
fn locked_state(
    tx: &mut dyn Tx,
    id: &str,
    label: &str,
    keys: &Keyring,
    simulated: bool,
) -> Result<(Head, Incident, Option<Timestamp>)> {
    locked_timeline(tx, id, label, keys, simulated).map(|(h, i, l, _)| (h, i, l))
}

/// [`locked_state`], with the timeline read.
fn locked_timeline(
    tx: &mut dyn Tx,
    id: &str,
    label: &str,
    keys: &Keyring,
    simulated: bool,
) -> Result<(Head, Incident, Option<Timestamp>, Vec<Event>)> {
    let head = tx
        .head(id, true)?
        .ok_or_else(|| Error::UnknownIncident(id.to_owned(), label.to_owned()))?;
    let events = tx.events(id)?;
    if let Some(p) = chain::verify_with(&events, &head, keys, simulated).first() {
        return Err(Error::Tampered {
            incident: id.to_owned(),
            first: p.message.clone(),
        });
    }
    let incident = Incident::from_events(&events).map_err(|e| Error::Corrupt(e.to_string()))?;
    let last = events
        .last()
        .map(|e| e.time().map_err(Error::Corrupt))
        .transpose()?;
    Ok((head, incident, last, events))
}

/// Appends `bodies` after `head`, moving it; events whose clock already fired are
/// skipped (not inserted, no seq used).
#[allow(clippy::too_many_arguments)]
fn append(
    tx: &mut dyn Tx,
    id: &str,
    head: &mut Head,
    actor: &str,
    now: Timestamp,
    bodies: Vec<EventBody>,
    key: &Key,
    simulated: bool,
) -> Result<Vec<Event>> {
    let mut out = Vec::new();
    for b in bodies {
        let mut e = Event::new(id, head.seq + 1, now, actor, &b, &head.hash);
        e.sign(key, simulated);
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
    mac: Option<String>,
    key_id: Option<String>,
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
        mac,
        key_id,
    }
}

/// Parses a stored `store_log` row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn log_from(
    seq: i64,
    incident: String,
    at: String,
    declared_hash: String,
    prev_hash: String,
    hash: String,
    mac: String,
    key_id: String,
) -> LogEntry {
    LogEntry {
        // A negative number (written by hand) becomes 0, which verification reports.
        seq: u64::try_from(seq).unwrap_or(0),
        incident,
        at,
        declared_hash,
        prev_hash,
        hash,
        mac,
        key_id,
    }
}

/// The columns of `store_log`, in [`log_from`]'s order.
pub(crate) const LOG_COLUMNS: &str =
    "seq, incident_id, at, declared_hash, prev_hash, hash, mac, key_id";

/// The SQL listing every incident with its first event's hash.
pub(crate) const FIRST_HASHES: &str = "SELECT i.id, e.hash FROM incidents i LEFT JOIN events e ON e.incident_id = i.id AND e.seq = 1 ORDER BY i.id";

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
