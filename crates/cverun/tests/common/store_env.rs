//! A project directory with an incident store (SQLite, or a PostgreSQL schema of
//! its own) and the real `cverun` binary run in it at simulated times: the harness
//! of the incident, post-mortem and notification tests.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::Value;

use super::{Run, bin};

pub enum Backend {
    Sqlite,
    Postgres {
        admin: String,
        schema: String,
        url: String,
    },
}

/// A project directory and the store its commands use.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub backend: Backend,
    /// The incident key (`CVERUN_INCIDENT_KEY`) every command gets, if any.
    pub key: Option<String>,
}

impl Env {
    pub fn sqlite() -> Env {
        Env {
            dir: tempfile::tempdir().unwrap(),
            backend: Backend::Sqlite,
            key: None,
        }
    }

    /// A fresh schema on the server of `CVERUN_TEST_POSTGRES_URL`, or `None` when it
    /// is not set (the test named `test` is then reported as skipped, on stderr).
    pub fn postgres(test: &str) -> Option<Env> {
        let admin = cverun_testkit::postgres_url(test)?;
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let schema = format!(
            "cverun_cli_{}_{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut c = ::postgres::Client::connect(&admin, ::postgres::NoTls)
            .unwrap_or_else(|e| panic!("CVERUN_TEST_POSTGRES_URL={admin}: {e}"));
        c.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .unwrap();
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{sep}options=-csearch_path%3D{schema}");
        Some(Env {
            dir: tempfile::tempdir().unwrap(),
            backend: Backend::Postgres { admin, schema, url },
            key: None,
        })
    }

    /// The same, every command signing with `key` (64 hex digits).
    pub fn with_key(mut self, key: &str) -> Env {
        self.key = Some(key.to_owned());
        self
    }

    /// Writes `text` as the project's runbook (`.cverun/runbook.toml`).
    pub fn runbook(&self, text: &str) {
        std::fs::create_dir_all(self.state()).unwrap();
        std::fs::write(self.state().join("runbook.toml"), text).unwrap();
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join(".cverun")
    }

    /// The command, run in the project directory at `now` as `actor`.
    pub fn cmd(&self, now: &str, actor: &str, args: &[&str]) -> Command {
        let mut c = bin();
        c.current_dir(self.dir.path())
            .env("CVERUN_NOW", now)
            .env("CVERUN_ACTOR", actor)
            .env_remove("CVERUN_STATE")
            .env_remove("CVERUN_DATABASE_URL")
            .env_remove("CVERUN_INCIDENT_KEY")
            .env_remove("CVERUN_INCIDENT_KEY_FILE")
            .env_remove("CVERUN_INCIDENT_OLD_KEYS");
        if let Backend::Postgres { url, .. } = &self.backend {
            c.env("CVERUN_DATABASE_URL", url);
        }
        if let Some(key) = &self.key {
            c.env("CVERUN_INCIDENT_KEY", key);
        }
        c.args(args);
        c
    }

    pub fn run(&self, now: &str, actor: &str, args: &[&str]) -> Run {
        let out = self.cmd(now, actor, args).output().expect("run cverun");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The command at `now` (`None`: the real clock, no `CVERUN_NOW`) with more
    /// environment variables.
    pub fn run_env(
        &self,
        now: Option<&str>,
        actor: &str,
        args: &[&str],
        vars: &[(&str, &str)],
    ) -> Run {
        let mut c = self.cmd(now.unwrap_or(""), actor, args);
        if now.is_none() {
            c.env_remove("CVERUN_NOW");
        }
        for (k, v) in vars {
            c.env(k, v);
        }
        let out = c.output().expect("run cverun");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn ok(&self, now: &str, actor: &str, args: &[&str]) -> Run {
        let r = self.run(now, actor, args);
        assert_eq!(r.code, 0, "{args:?}\n{}\n{}", r.stdout, r.stderr);
        r
    }

    /// Runs the command expecting exit 2 and returns its stderr.
    pub fn refused(&self, now: &str, actor: &str, args: &[&str]) -> String {
        let r = self.run(now, actor, args);
        assert_eq!(
            r.code, 2,
            "{args:?} must be refused\n{}\n{}",
            r.stdout, r.stderr
        );
        assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
        r.stderr
    }

    pub fn json(&self, now: &str, args: &[&str]) -> Value {
        let r = self.ok(now, "viewer", args);
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
    }

    /// Runs the same command from `n` processes at once; returns their results.
    pub fn parallel(&self, n: usize, now: &str, args: &[&str]) -> Vec<Run> {
        let children: Vec<_> = (0..n)
            .map(|i| {
                self.cmd(now, &format!("proc{i}"), args)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn cverun")
            })
            .collect();
        children
            .into_iter()
            .map(|c| {
                let out = c.wait_with_output().unwrap();
                Run {
                    code: out.status.code().unwrap_or(-1),
                    stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                    stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                }
            })
            .collect()
    }

    /// Runs SQL directly against the store, behind cverun's back.
    pub fn tamper(&self, sql: &str) {
        match &self.backend {
            Backend::Sqlite => {
                let c = rusqlite::Connection::open(self.state().join("incidents.sqlite3")).unwrap();
                c.execute_batch(sql).unwrap();
            }
            Backend::Postgres { url, .. } => {
                let mut c = ::postgres::Client::connect(url, ::postgres::NoTls).unwrap();
                c.batch_execute(sql).unwrap();
            }
        }
    }

    pub fn events(&self, id: &str) -> Vec<Value> {
        let t = self.json(
            "2026-11-23T12:00:00Z",
            &["incident", "timeline", id, "--format", "json"],
        );
        t["events"].as_array().unwrap().clone()
    }
}

impl Env {
    pub fn json_code(&self, now: &str, args: &[&str], code: i32) -> Value {
        let r = self.run(now, "viewer", args);
        assert_eq!(r.code, code, "{args:?}\n{}\n{}", r.stdout, r.stderr);
        serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Backend::Postgres { admin, schema, .. } = &self.backend
            && let Ok(mut c) = ::postgres::Client::connect(admin, ::postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}

/// Defines each test `name` twice, `sqlite::name` and `postgres::name` (skipped
/// visibly without `CVERUN_TEST_POSTGRES_URL`), calling `name(&setup(env))`.
#[allow(unused_macros)]
macro_rules! both_backends {
    ($setup:ident; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[test]
                fn $name() {
                    super::$name(&super::$setup(super::Env::sqlite()));
                }
            )*
        }
        mod postgres {
            $(
                #[test]
                fn $name() {
                    if let Some(env) = super::Env::postgres(cverun_testkit::test_name!()) {
                        super::$name(&super::$setup(env));
                    }
                }
            )*
        }
    };
}
#[allow(unused_imports)]
pub(crate) use both_backends;
