//! Test backends: a real SQLite file in a temporary directory, and a real
//! PostgreSQL server (`CVERUN_TEST_POSTGRES_URL`) in a schema created for the test
//! and dropped after it.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use cverun_incident::Store;

/// Where a test's store lives; every `open` is a new connection to it.
pub trait Backend: Sync {
    /// A new connection, or why not.
    fn try_open(&self) -> cverun_incident::Result<Store>;
    /// A new connection.
    fn open(&self) -> Store {
        self.try_open()
            .unwrap_or_else(|e| panic!("open the {} store: {e}", self.name()))
    }
    /// "sqlite" or "postgres".
    fn name(&self) -> &'static str;
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
    fn try_open(&self) -> cverun_incident::Result<Store> {
        Store::sqlite(&self.path)
    }
    fn name(&self) -> &'static str {
        "sqlite"
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

    /// Runs SQL in the test's schema (outside cverun).
    pub fn sql(&self, sql: &str) {
        let mut c = postgres::Client::connect(&self.url, postgres::NoTls).expect("connect");
        c.batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
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
    fn try_open(&self) -> cverun_incident::Result<Store> {
        Store::postgres(&self.url)
    }
    fn name(&self) -> &'static str {
        "postgres"
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
