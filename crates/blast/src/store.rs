//! The inventory file: a fleet's services and every package they declare, saved
//! once (`cverun inventory save`) so that blast-radius questions are answered from an
//! index instead of re-reading every repository.
//!
//! The file is an SQLite database (format `cverun-inventory`, version 1):
//!
//! - `meta`: format, version, when and by which cverun it was saved, the roots;
//! - `services`: name, directory as reported, directory on disk at save time, owner,
//!   exposure, data, tier;
//! - `packages`: per service and declaring file (and line), the ecosystem, the name
//!   as declared and its lookup key (the ecosystem's normalised name), the exact
//!   version or the specifier, direct or transitive, scope, dependency paths, and why
//!   it cannot be matched when it cannot; indexed by (ecosystem, key);
//! - `problems`: files that could not be read (errors: the inventory is incomplete)
//!   and parser warnings.
//!
//! [`save`] writes a temporary file beside the destination and renames it over the
//! destination once complete: a failed or interrupted save leaves any previous file
//! whole. [`Inventory::open`] refuses files that are not inventories, or of another
//! version, with a message naming the file.

use std::path::{Path, PathBuf};

use cverun_inventory::{Relation, Scope};
use cverun_scan::config::Exposure;
use cverun_scan::report::{InventoryRecord, Problem, Report};
use cverun_versions::{Ecosystem, normalize_name};
use rusqlite::{Connection, OpenFlags, params};

/// The `format` value of an inventory file.
pub const FORMAT: &str = "cverun-inventory";
/// The version this cverun writes and reads.
pub const VERSION: i64 = 1;

/// An inventory file that cannot be written or read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct StoreError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

fn err(path: &Path, message: impl std::fmt::Display) -> StoreError {
    StoreError {
        path: path.to_owned(),
        message: message.to_string(),
    }
}

const SCHEMA: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    path TEXT NOT NULL,
    location TEXT NOT NULL,
    owner TEXT,
    exposure TEXT,
    data TEXT,
    tier TEXT
);
CREATE TABLE packages (
    service_id INTEGER NOT NULL,
    ecosystem TEXT NOT NULL,
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT,
    specifier TEXT,
    manifest TEXT NOT NULL,
    line INTEGER,
    relation TEXT NOT NULL,
    scope TEXT NOT NULL,
    paths TEXT,
    unmatched TEXT
);
CREATE TABLE problems (severity TEXT NOT NULL, file TEXT NOT NULL, line INTEGER, message TEXT NOT NULL);
";

/// What [`save`] wrote.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Saved {
    /// The file.
    pub path: String,
    /// Services.
    pub services: usize,
    /// Packages.
    pub packages: usize,
    /// Files that could not be read.
    pub errors: usize,
    /// Parser warnings.
    pub warnings: usize,
}

fn relation_text(r: Relation) -> &'static str {
    match r {
        Relation::Direct => "direct",
        Relation::Transitive => "transitive",
        Relation::Unknown => "unknown",
    }
}

fn scope_text(s: Scope) -> &'static str {
    match s {
        Scope::Runtime => "runtime",
        Scope::Development => "development",
        Scope::Optional => "optional",
        Scope::Unknown => "unknown",
    }
}

fn relation_of(s: &str) -> Relation {
    match s {
        "direct" => Relation::Direct,
        "transitive" => Relation::Transitive,
        _ => Relation::Unknown,
    }
}

fn scope_of(s: &str) -> Scope {
    match s {
        "runtime" => Scope::Runtime,
        "development" => Scope::Development,
        "optional" => Scope::Optional,
        _ => Scope::Unknown,
    }
}

/// Writes the services and packages of `report` (an inventory-only scan, see
/// `cverun_scan::inventory_only`) to `path`, atomically.
pub fn save(report: &Report, path: &Path) -> Result<Saved, StoreError> {
    let packages = report
        .packages
        .as_deref()
        .ok_or_else(|| err(path, "the scan did not list its packages"))?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| err(path, "needs a file name"))?;
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    let result = write(report, packages, &tmp).and_then(|saved| {
        std::fs::rename(&tmp, path).map_err(|e| err(path, format!("cannot write: {e}")))?;
        Ok(saved)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|mut s| {
        s.path = path.display().to_string();
        s
    })
}

fn write(report: &Report, packages: &[InventoryRecord], tmp: &Path) -> Result<Saved, StoreError> {
    let e = |m: rusqlite::Error| err(tmp, m);
    let mut conn = Connection::open(tmp).map_err(e)?;
    conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
        .map_err(e)?;
    let tx = conn.transaction().map_err(e)?;
    tx.execute_batch(SCHEMA).map_err(e)?;
    {
        let mut meta = tx
            .prepare("INSERT INTO meta (key, value) VALUES (?1, ?2)")
            .map_err(e)?;
        // Absolute, so that policy, exceptions and source code are found again from
        // any working directory.
        let roots: Vec<String> = report
            .roots
            .iter()
            .map(|r| match std::fs::canonicalize(r) {
                Ok(p) => p.to_string_lossy().into_owned(),
                Err(_) => r.clone(),
            })
            .collect();
        let roots = serde_json::to_string(&roots).unwrap_or_else(|_| "[]".into());
        for (k, v) in [
            ("format", FORMAT.to_owned()),
            ("version", VERSION.to_string()),
            ("saved_at", report.scanned_at.clone()),
            (
                "tool",
                format!("{} {}", report.tool.name, report.tool.version),
            ),
            ("roots", roots),
        ] {
            meta.execute(params![k, v]).map_err(e)?;
        }
        let mut svc = tx
            .prepare(
                "INSERT INTO services (id, name, path, location, owner, exposure, data, tier)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .map_err(e)?;
        let mut ids = std::collections::HashMap::new();
        for (i, s) in report.services.iter().enumerate() {
            let location =
                std::fs::canonicalize(&s.location).unwrap_or_else(|_| s.location.clone());
            svc.execute(params![
                i as i64,
                &*s.name,
                s.path,
                location.to_string_lossy(),
                s.owner,
                s.exposure.map(|x| x.as_str()),
                s.data,
                s.tier
            ])
            .map_err(e)?;
            ids.insert(s.name.clone(), i as i64);
        }
        let mut pkg = tx
            .prepare(
                "INSERT INTO packages (service_id, ecosystem, key, name, version, specifier, manifest, line, relation, scope, paths, unmatched)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .map_err(e)?;
        for p in packages {
            let Some(&service) = ids.get(&p.service) else {
                return Err(err(
                    tmp,
                    format!("package of unknown service {}", p.service),
                ));
            };
            let eco = Ecosystem::from_osv(&p.ecosystem);
            let key = normalize_name(&eco, &p.package);
            let paths =
                (!p.paths.is_empty()).then(|| serde_json::to_string(&p.paths).unwrap_or_default());
            pkg.execute(params![
                service,
                p.ecosystem,
                key.as_ref(),
                p.package,
                p.version,
                p.specifier,
                &*p.manifest,
                p.line,
                relation_text(p.relation),
                scope_text(p.scope),
                paths,
                p.unmatched
            ])
            .map_err(e)?;
        }
        let mut prob = tx
            .prepare("INSERT INTO problems (severity, file, line, message) VALUES (?1, ?2, ?3, ?4)")
            .map_err(e)?;
        for (severity, list) in [("error", &report.errors), ("warning", &report.warnings)] {
            for p in list {
                prob.execute(params![severity, p.file, p.line, p.message])
                    .map_err(e)?;
            }
        }
    }
    tx.execute_batch("CREATE INDEX packages_key ON packages (ecosystem, key);")
        .map_err(e)?;
    tx.commit().map_err(e)?;
    conn.close().map_err(|(_, x)| e(x))?;
    // The data reaches the disk before the rename makes it visible.
    std::fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|x| err(tmp, x))?;
    Ok(Saved {
        path: String::new(),
        services: report.services.len(),
        packages: packages.len(),
        errors: report.errors.len(),
        warnings: report.warnings.len(),
    })
}

/// A service of an inventory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredService {
    /// Name.
    pub name: String,
    /// Directory as reported at save time.
    pub path: String,
    /// Directory on disk at save time (absolute).
    pub location: PathBuf,
    /// Owner.
    pub owner: Option<String>,
    /// Exposure.
    pub exposure: Option<Exposure>,
    /// Data handled.
    pub data: Option<String>,
    /// Tier.
    pub tier: Option<String>,
}

/// An open inventory file.
pub struct Inventory {
    path: PathBuf,
    conn: Connection,
    /// When it was saved.
    pub saved_at: String,
    /// The roots it was saved from.
    pub roots: Vec<String>,
    /// Its services, by id.
    pub services: Vec<StoredService>,
    /// Files that could not be read when it was saved (it is incomplete when any).
    pub errors: Vec<Problem>,
}

impl Inventory {
    /// Opens `path` read-only.
    pub fn open(path: &Path) -> Result<Inventory, StoreError> {
        if !path.is_file() {
            return Err(err(path, "no such inventory file"));
        }
        let e = |m: rusqlite::Error| err(path, format!("not a cverun inventory: {m}"));
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(e)?;
        let meta = |k: &str| -> Result<Option<String>, StoreError> {
            match conn.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0)) {
                Ok(v) => Ok(Some(v)),
                Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
                Err(x) => Err(e(x)),
            }
        };
        if meta("format")?.as_deref() != Some(FORMAT) {
            return Err(err(path, "not a cverun inventory (no `format` entry)"));
        }
        let version = meta("version")?.unwrap_or_default();
        if version != VERSION.to_string() {
            return Err(err(
                path,
                format!(
                    "inventory version {version}, this cverun reads version {VERSION}: save it again with `cverun inventory save`"
                ),
            ));
        }
        let saved_at = meta("saved_at")?.unwrap_or_default();
        let roots: Vec<String> = match meta("roots")? {
            Some(r) => serde_json::from_str(&r)
                .map_err(|x| err(path, format!("damaged inventory: roots: {x}")))?,
            None => Vec::new(),
        };
        let mut services = Vec::new();
        {
            let mut stmt = conn
                .prepare("SELECT id, name, path, location, owner, exposure, data, tier FROM services ORDER BY id")
                .map_err(e)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        StoredService {
                            name: r.get(1)?,
                            path: r.get(2)?,
                            location: PathBuf::from(r.get::<_, String>(3)?),
                            owner: r.get(4)?,
                            exposure: match r.get::<_, Option<String>>(5)?.as_deref() {
                                Some("internet") => Some(Exposure::Internet),
                                Some("internal") => Some(Exposure::Internal),
                                Some("offline") => Some(Exposure::Offline),
                                _ => None,
                            },
                            data: r.get(6)?,
                            tier: r.get(7)?,
                        },
                    ))
                })
                .map_err(e)?;
            for (i, row) in rows.enumerate() {
                let (id, s) = row.map_err(e)?;
                if id != i as i64 {
                    return Err(err(
                        path,
                        "damaged inventory: service ids are not contiguous",
                    ));
                }
                services.push(s);
            }
        }
        let mut errors = Vec::new();
        {
            let mut stmt = conn
                .prepare("SELECT file, line, message FROM problems WHERE severity = 'error'")
                .map_err(e)?;
            let rows = stmt
                .query_map([], |r| {
                    Ok(Problem {
                        file: r.get(0)?,
                        line: r.get(1)?,
                        message: r.get(2)?,
                    })
                })
                .map_err(e)?;
            for row in rows {
                errors.push(row.map_err(e)?);
            }
        }
        Ok(Inventory {
            path: path.to_owned(),
            conn,
            saved_at,
            roots,
            services,
            errors,
        })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The distinct package names (normalised) of `ecosystem` the inventory holds,
    /// for "did you mean" hints.
    pub fn names(&self, ecosystem: &Ecosystem) -> Result<Vec<String>, StoreError> {
        let e = |m: rusqlite::Error| err(&self.path, m);
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT key FROM packages WHERE ecosystem = ?1")
            .map_err(e)?;
        let rows = stmt
            .query_map(params![ecosystem.osv_name()], |r| r.get::<_, String>(0))
            .map_err(e)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(e)
    }

    /// Every declaration of the package `name` of `ecosystem` (any version), by
    /// service id, through the (ecosystem, key) index.
    pub fn packages(
        &self,
        ecosystem: &Ecosystem,
        name: &str,
    ) -> Result<Vec<(usize, InventoryRecord)>, StoreError> {
        let e = |m: rusqlite::Error| err(&self.path, m);
        let key = normalize_name(ecosystem, name);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT service_id, ecosystem, name, version, specifier, manifest, line, relation, scope, paths, unmatched
                 FROM packages WHERE ecosystem = ?1 AND key = ?2 ORDER BY service_id, manifest, line",
            )
            .map_err(e)?;
        let rows = stmt
            .query_map(params![ecosystem.osv_name(), key.as_ref()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<u32>>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, Option<String>>(9)?,
                    r.get::<_, Option<String>>(10)?,
                ))
            })
            .map_err(e)?;
        let mut out = Vec::new();
        for row in rows {
            let (
                sid,
                eco,
                pname,
                version,
                specifier,
                manifest,
                line,
                relation,
                scope,
                paths,
                unmatched,
            ) = row.map_err(e)?;
            let service = usize::try_from(sid)
                .ok()
                .filter(|&i| i < self.services.len())
                .ok_or_else(|| {
                    err(
                        &self.path,
                        format!("damaged inventory: unknown service id {sid}"),
                    )
                })?;
            let paths: Vec<Vec<String>> = match paths {
                Some(p) => serde_json::from_str(&p).map_err(|x| {
                    err(
                        &self.path,
                        format!("damaged inventory: dependency paths: {x}"),
                    )
                })?,
                None => Vec::new(),
            };
            out.push((
                service,
                InventoryRecord {
                    service: self.services[service].name.as_str().into(),
                    manifest: manifest.into(),
                    line,
                    ecosystem: eco,
                    package: pname,
                    version,
                    specifier,
                    relation: relation_of(&relation),
                    scope: scope_of(&scope),
                    // Not saved in inventories: unknown (filters never hide on it).
                    stdlib_source: None,
                    paths,
                    unmatched,
                },
            ));
        }
        Ok(out)
    }

    /// How many packages the inventory holds.
    pub fn package_count(&self) -> Result<usize, StoreError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM packages", [], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(|m| err(&self.path, m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(sql: &str) -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("inv.sqlite");
        Connection::open(&p).unwrap().execute_batch(sql).unwrap();
        (d, p)
    }

    fn open_err(p: &Path) -> String {
        match Inventory::open(p) {
            Ok(_) => panic!("{} opened", p.display()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn refuses_other_versions_and_damage() {
        let meta = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";
        let (_d, p) = file_with(&format!(
            "{meta} INSERT INTO meta VALUES ('format', 'cverun-inventory'), ('version', '2');"
        ));
        let e = open_err(&p);
        assert!(
            e.contains("inventory version 2") && e.contains("inv.sqlite"),
            "{e}"
        );

        let (_d, p) = file_with(&format!(
            "{SCHEMA} INSERT INTO meta VALUES ('format', 'cverun-inventory'), ('version', '1'), ('roots', '[oops');"
        ));
        assert!(open_err(&p).contains("damaged inventory: roots"));

        let (_d, p) = file_with(&format!(
            "{SCHEMA} INSERT INTO meta VALUES ('format', 'cverun-inventory'), ('version', '1'), ('roots', '[]');
             INSERT INTO services (id, name, path, location) VALUES (5, 'a', 'a', '/a');"
        ));
        assert!(open_err(&p).contains("not contiguous"));

        let (_d, p) = file_with(&format!(
            "{SCHEMA} INSERT INTO meta VALUES ('format', 'cverun-inventory'), ('version', '1'), ('roots', '[]');
             INSERT INTO services (id, name, path, location) VALUES (0, 'a', 'a', '/a');"
        ));
        let inv = Inventory::open(&p).unwrap();
        assert_eq!(inv.services.len(), 1);
        assert_eq!(inv.package_count().unwrap(), 0);
        assert!(inv.packages(&Ecosystem::PyPI, "x").unwrap().is_empty());
    }
}
