//! Test backends: a real SQLite file in a temporary directory, and a real
//! PostgreSQL server (`CVERUN_TEST_POSTGRES_URL`) in a schema created for the test
//! and dropped after it.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use cverun_incident::{Clock, Key, Keyring, Store};

/// The key the tests sign with.
pub fn test_key() -> Key {
    Key::from_bytes(vec![0x42; 32]).unwrap()
}

/// Another key (a wrong one, or the one after a rotation).
pub fn other_key() -> Key {
    Key::from_bytes(vec![0x17; 32]).unwrap()
}

/// The simulated time stores are opened at (2026-11-23T12:00Z).
pub fn start() -> jiff::Timestamp {
    "2026-11-23T12:00:00Z".parse().unwrap()
}

/// Where a test's store lives; every `open` is a new connection to it.
pub trait Backend: Sync {
    /// A new connection with this clock and these keys, or why not.
    fn try_open_with(&self, clock: Clock, keys: Keyring) -> cverun_incident::Result<Store>;
    /// A new connection, or why not: a simulated store signed with [`test_key`].
    fn try_open(&self) -> cverun_incident::Result<Store> {
        self.try_open_with(
            Clock::Simulated(start()),
            Keyring::new(Some(test_key()), vec![]),
        )
    }
    /// A new connection.
    fn open(&self) -> Store {
        self.try_open()
            .unwrap_or_else(|e| panic!("open the {} store: {e}", self.name()))
    }
    /// A new connection with this clock and these keys.
    fn open_with(&self, clock: Clock, keys: Keyring) -> Store {
        self.try_open_with(clock, keys)
            .unwrap_or_else(|e| panic!("open the {} store: {e}", self.name()))
    }
    /// "sqlite" or "postgres".
    fn name(&self) -> &'static str;
    /// Runs SQL against the store behind cverun's back.
    fn sql(&self, sql: &str);
}

pub struct Sqlite {
    _dir: tempfile::TempDir,
    pub path: PathBuf,
}

impl Sqlite {
    pub fn new() -> Sqlite {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("state").join("incidents.sqlite3");
        Sqlite { _dir: dir, path }
    }
}

impl Backend for Sqlite {
    fn try_open_with(&self, clock: Clock, keys: Keyring) -> cverun_incident::Result<Store> {
        Store::sqlite(&self.path, clock, keys)
    }
    fn name(&self) -> &'static str {
        "sqlite"
    }
    fn sql(&self, sql: &str) {
        let c = rusqlite::Connection::open(&self.path).expect("open the SQLite file");
        c.execute_batch(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// A PostgreSQL schema of its own, dropped on drop.
pub struct Postgres {
    admin: String,
    pub schema: String,
    pub url: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Postgres {
    /// A new schema on the server of `CVERUN_TEST_POSTGRES_URL`, or `None` when the
    /// variable is not set: the test named `test` is then reported as skipped on
    /// stderr (or fails, when `CVERUN_REQUIRE_POSTGRES` is set).
    pub fn new(test: &str) -> Option<Postgres> {
        let admin = cverun_testkit::postgres_url(test)?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let schema = format!(
            "cverun_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            nanos
        );
        let mut c = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| panic!("CVERUN_TEST_POSTGRES_URL={admin}: cannot connect: {e}"));
        c.batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create the test schema");
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{sep}options=-csearch_path%3D{schema}");
        Some(Postgres { admin, schema, url })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
        }
    }
}

impl Backend for Postgres {
    fn try_open_with(&self, clock: Clock, keys: Keyring) -> cverun_incident::Result<Store> {
        Store::postgres(&self.url, clock, keys)
    }
    fn name(&self) -> &'static str {
        "postgres"
    }
    /// Runs SQL in the test's schema (outside cverun).
    fn sql(&self, sql: &str) {
        let mut c = postgres::Client::connect(&self.url, postgres::NoTls).expect("connect");
        c.batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
}

/// Instantiates each listed test function (`fn(&dyn Backend)`) once per backend:
/// `<name>_sqlite` and `<name>_postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    let b = $crate::support::Sqlite::new();
                    super::$name(&b);
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    let Some(b) = $crate::support::Postgres::new(cverun_testkit::test_name!()) else { return };
                    super::$name(&b);
                }
            )*
        }
    };
}
