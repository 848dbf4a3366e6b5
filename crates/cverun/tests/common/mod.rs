//! Helpers for the CLI integration tests: run the real `cverun` binary.

#![allow(dead_code)]

pub mod store_env;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cverun"));
    c.env("NO_COLOR", "1")
        .env_remove("CVERUN_DB")
        .env_remove("CVERUN_STATE")
        .env("CVERUN_NOW", "2026-11-23T12:00:00Z")
        // Human tables are fitted to COLUMNS: wide enough here that no cell is cut
        // (tests of the fitting set their own); deadlines print in UTC.
        .env("COLUMNS", "400")
        .env("TZ", "UTC");
    c
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(args: &[&str], db: Option<&Path>) -> Run {
    let mut c = bin();
    if let Some(db) = db {
        c.arg("--db").arg(db);
    }
    c.args(args);
    let Output {
        status,
        stdout,
        stderr,
    } = c.output().expect("run cverun");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

pub fn json(r: &Run) -> serde_json::Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", r.stdout, r.stderr))
}

/// A temporary directory holding `files` (relative path, contents).
pub fn fleet_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (p, t) in files {
        let p = d.path().join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, t).unwrap();
    }
    d
}

/// A new advisory database holding `files` of the shared data (`osv/Go-all.zip`,
/// `kev/known_exploited_vulnerabilities.json`...), imported by `cverun db import`.
pub fn imported_db(shared: &Path, files: &[&str]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let paths: Vec<String> = files
        .iter()
        .map(|f| shared.join(f).to_string_lossy().into_owned())
        .collect();
    let mut args = vec!["db", "import"];
    args.extend(paths.iter().map(String::as_str));
    let r = run(&args, Some(d.path()));
    assert_eq!(r.code, 0, "db import {files:?}: {}", r.stderr);
    d
}
