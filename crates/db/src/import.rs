//! Importing OSV records from files: `all.zip` archives, directories, single files.
//!
//! What counts as a record:
//! - in a zip archive: every entry whose name ends in `.json` (the OSV bucket's
//!   `<ID>.json` layout); other entries are counted and ignored;
//! - in a directory: every `*.json` file below it, in sorted order; other files are
//!   counted and ignored;
//! - in a JSON file: one record (an object with `id`), an array of records, or an
//!   object `{"vulns": [...]}` as the OSV API returns.
//!
//! Damage is handled by [`Damage`]: `db import` skips a damaged archive entry with a
//! warning and loads the rest; `db update` refuses the whole download, since a
//! damaged entry in a fresh download means the download is broken.
//!
//! Fail closed: an input that yields no valid record is an error and registers
//! nothing (a source imported before from the same path keeps its data). Archives are
//! read within [`Limits`] (size per entry, total size, compression ratio): an
//! archive beyond them is refused whole, never partly loaded.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use cverun_osv::{RecordError, from_value};
use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::{Database, SourceMeta, SourceStatus, SourceWriter, hex};

/// How to treat a damaged archive entry (unreadable, bad CRC, truncated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damage {
    /// Skip the entry with a warning; load the rest.
    Skip,
    /// Fail the whole source; nothing is written.
    Refuse,
}

/// What one import did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    /// The source as now stored.
    pub source: SourceStatus,
    /// Files or archive entries ignored because they are not `.json`.
    pub ignored_files: u64,
    /// Warnings recorded (the first ones; all are in `db status --warnings`).
    pub warnings: Vec<(String, String)>,
}

/// Limits on what is downloaded and what an archive may expand to, against broken
/// servers and zip bombs. The defaults leave a wide margin over the real OSV
/// archives (2024-2026 snapshots: the largest record of PyPI, crates.io and Go is
/// 25 KiB, their compression ratio at most 12:1, the largest `all.zip` in the OSV
/// bucket, npm's, a few hundred MiB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest download accepted, in bytes (default 512 MiB).
    pub max_download: u64,
    /// Largest uncompressed archive entry (one record file), in bytes (default 16 MiB).
    pub max_entry: u64,
    /// Largest uncompressed total of an archive or gzipped file (default 4 GiB).
    pub max_total: u64,
    /// Highest compression ratio (uncompressed to compressed) of an entry ...
    pub max_ratio: u64,
    /// ... of at least this many uncompressed bytes (default 1 MiB; smaller entries
    /// are not checked, since tiny repetitive files compress well legitimately).
    pub ratio_min_size: u64,
}

const MIB: u64 = 1 << 20;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_download: 512 * MIB,
            max_entry: 16 * MIB,
            max_total: 4096 * MIB,
            max_ratio: 100,
            ratio_min_size: MIB,
        }
    }
}

impl Limits {
    /// The most a gzipped file of `compressed` bytes may expand to.
    pub(crate) fn gzip_cap(&self, compressed: u64) -> u64 {
        self.max_total.min(
            self.ratio_min_size
                .max(compressed.saturating_mul(self.max_ratio)),
        )
    }
}

/// What a replacement of a source must satisfy besides holding valid records.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Guard<'a> {
    /// The data it replaces.
    pub previous: Option<&'a SourceStatus>,
    /// Accept fewer than half the previous records, or many skipped ones.
    pub allow_shrink: bool,
    /// Largest share of skipped records (0.0 to 1.0).
    pub max_skipped_share: f64,
}

impl Guard<'_> {
    /// Whether `records` valid and `skipped` invalid records may replace the
    /// previous data; the refusal says why.
    pub(crate) fn judge(&self, records: u64, skipped: u64) -> std::result::Result<(), String> {
        if self.allow_shrink {
            return Ok(());
        }
        let total = records + skipped;
        if total > 0 && skipped as f64 > self.max_skipped_share * total as f64 {
            return Err(format!(
                "refused: {skipped} of {total} records are invalid ({:.1}%, more than the {:.0}% allowed); the previous data is kept (`db update --allow-shrink` accepts it)",
                100.0 * skipped as f64 / total as f64,
                100.0 * self.max_skipped_share
            ));
        }
        if let Some(prev) = self.previous
            && records.saturating_mul(2) < prev.records
        {
            return Err(format!(
                "refused: {records} valid records ({skipped} skipped) would replace {} (fewer than half); the previous data is kept (`db update --allow-shrink` accepts it)",
                prev.records
            ));
        }
        Ok(())
    }
}

/// How a source is read and checked (see [`import_as`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Checks<'a> {
    /// Damaged archive entries.
    pub damage: Damage,
    /// Size limits.
    pub limits: Limits,
    /// Only a zip archive is accepted (a download of an `all.zip`).
    pub zip_only: bool,
    /// More than half the valid records must name this ecosystem (OSV name).
    pub ecosystem: Option<&'a str>,
    /// The shrink guard of updates.
    pub guard: Option<Guard<'a>>,
}

impl Checks<'_> {
    /// What `db import` applies: damaged entries skipped, default limits.
    pub(crate) fn import() -> Checks<'static> {
        Checks {
            damage: Damage::Skip,
            limits: Limits::default(),
            zip_only: false,
            ecosystem: None,
            guard: None,
        }
    }
}

/// How many warnings an [`ImportReport`] carries; the database keeps them all.
const REPORT_WARNINGS: usize = 20;

/// Imports `path` as the source `import:<absolute path>`, replacing an earlier
/// import of the same path.
pub fn import_path(db: &mut Database, path: &Path, now: Timestamp) -> Result<ImportReport> {
    let abs = std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_owned());
    if path.is_file() && !is_zip(path)? {
        let bytes = std::fs::read(path).map_err(|e| Error::input(path, io_message(&e)))?;
        if let Some(kind) = crate::signals::sniff(&bytes) {
            return import_signal(
                db,
                path,
                &bytes,
                kind,
                "import",
                &abs.display().to_string(),
                &Checks::import(),
                now,
                None,
                None,
            );
        }
    }
    let name = format!("import:{}", abs.display());
    import_as(
        db,
        path,
        &name,
        "import",
        &abs.display().to_string(),
        &Checks::import(),
        now,
        None,
        None,
    )
}

/// Imports `path` like [`import_path`]; a directory may also hold KEV catalogs
/// (`.json`) and EPSS files (`.csv`, `.csv.gz`), recognised by content and imported
/// as the `kev` and `epss` sources after its OSV records. The OSV report comes first;
/// a directory holding only signal files gives only their reports.
pub fn import_all(db: &mut Database, path: &Path, now: Timestamp) -> Result<Vec<ImportReport>> {
    if !path.is_dir() {
        return Ok(vec![import_path(db, path, now)?]);
    }
    let signals = signal_files(path)?;
    let mut out = Vec::new();
    let mut osv_files = Vec::new();
    let mut ignored = 0;
    collect_json(path, &mut osv_files, &mut ignored)?;
    if osv_files
        .iter()
        .any(|f| !signals.iter().any(|(s, _)| s == f))
        || signals.is_empty()
    {
        out.push(import_path(db, path, now)?);
    }
    for (file, _) in signals {
        // A single signal file is recognised and imported as its source.
        out.push(import_path(db, &file, now)?);
    }
    Ok(out)
}

/// KEV and EPSS files below `dir`, sorted, recognised by their first bytes.
fn signal_files(dir: &Path) -> Result<Vec<(PathBuf, crate::signals::SignalKind)>> {
    let mut files = Vec::new();
    files_below(dir, &mut files)?;
    let mut out = Vec::new();
    for p in files {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        if ![".json", ".csv", ".csv.gz"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            continue;
        }
        let mut head = Vec::with_capacity(4096);
        File::open(&p)
            .and_then(|f| f.take(4096).read_to_end(&mut head))
            .map_err(|e| Error::input(&p, io_message(&e)))?;
        if let Some(kind) = crate::signals::sniff(&head) {
            out.push((p, kind));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// Every file below `dir` (recursively), in directory order.
fn files_below(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::input(dir, io_message(&e)))?;
    for entry in rd {
        let entry = entry.map_err(|e| Error::input(dir, io_message(&e)))?;
        let p = entry.path();
        let ft = entry
            .file_type()
            .map_err(|e| Error::input(&p, io_message(&e)))?;
        if ft.is_dir() {
            files_below(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Imports `path` as source `name`. Used by `import_path` and by updates.
#[allow(clippy::too_many_arguments)]
pub(crate) fn import_as(
    db: &mut Database,
    path: &Path,
    name: &str,
    kind: &str,
    origin: &str,
    checks: &Checks<'_>,
    now: Timestamp,
    etag: Option<String>,
    last_modified: Option<String>,
) -> Result<ImportReport> {
    let meta = std::fs::metadata(path).map_err(|e| Error::input(path, io_message(&e)))?;
    let zip = !meta.is_dir() && is_zip(path)?;
    if checks.zip_only && !zip {
        return Err(Error::input(
            path,
            format!("refused: not a zip archive (starts with {})", head_of(path)),
        ));
    }
    let mut writer = db.begin_source(name, kind, origin)?;
    let mut warnings = Vec::new();
    let (sha256, ignored_files) = if meta.is_dir() {
        read_dir(path, &mut writer, &mut warnings)?
    } else if zip {
        read_zip(path, checks, &mut writer, &mut warnings)?
    } else {
        let bytes = std::fs::read(path).map_err(|e| Error::input(path, io_message(&e)))?;
        let sha = hex(&Sha256::digest(&bytes));
        let location = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        load_document(&location, &bytes, &mut writer, &mut warnings)?;
        (sha, 0)
    };
    if writer.records == 0 {
        let first = warnings
            .first()
            .map(|(l, m)| format!(", the first: {l}: {m}"))
            .unwrap_or_default();
        return Err(Error::input(
            path,
            format!(
                "no valid OSV record ({} skipped{first}; {ignored_files} files that are not .json ignored); nothing is imported (expected an all.zip archive, a directory of .json files, or a JSON file)",
                writer.skipped
            ),
        ));
    }
    if let Some(eco) = checks.ecosystem {
        let naming = writer.records_naming(eco);
        if naming.saturating_mul(2) <= writer.records {
            return Err(Error::input(
                path,
                format!(
                    "refused: only {naming} of {} records name the ecosystem {eco}; this is not its archive",
                    writer.records
                ),
            ));
        }
    }
    if let Some(guard) = &checks.guard {
        guard
            .judge(writer.records, writer.skipped)
            .map_err(|m| Error::input(path, m))?;
    }
    let mut source = writer.commit(SourceMeta {
        fetched_at: now,
        sha256,
        etag,
        last_modified,
    })?;
    source.kind = kind.to_owned();
    source.origin = origin.to_owned();
    Ok(ImportReport {
        source,
        ignored_files,
        warnings,
    })
}

/// Imports a KEV catalog or an EPSS file as the source `kev` or `epss` (replacing
/// the previous one in one transaction).
#[allow(clippy::too_many_arguments)]
pub(crate) fn import_signal(
    db: &mut Database,
    path: &Path,
    bytes: &[u8],
    kind: crate::signals::SignalKind,
    label: &str,
    origin: &str,
    checks: &Checks<'_>,
    now: Timestamp,
    etag: Option<String>,
    last_modified: Option<String>,
) -> Result<ImportReport> {
    let mut writer = db.begin_source(kind.source_name(), label, origin)?;
    let cap = checks.limits.gzip_cap(bytes.len() as u64);
    let mut warnings: Vec<(String, String)> = Vec::new();
    let mut notes: Vec<(String, String)> = Vec::new();
    let loaded = {
        let mut warn = |loc: &str, msg: &str| notes.push((loc.to_owned(), msg.to_owned()));
        match kind {
            crate::signals::SignalKind::Kev => {
                crate::signals::load_kev(bytes, &mut writer, &mut warn)
            }
            crate::signals::SignalKind::Epss => {
                crate::signals::load_epss(bytes, cap, &mut writer, &mut warn)
            }
        }
    };
    loaded.map_err(|m| Error::input(path, m))?;
    for (loc, msg) in &notes {
        writer.warn(loc, msg)?;
        note(&mut warnings, loc, msg);
    }
    if writer.records == 0 {
        return Err(Error::input(
            path,
            "contains no entries; the previous data is kept",
        ));
    }
    if let Some(guard) = &checks.guard {
        guard
            .judge(writer.records, writer.skipped)
            .map_err(|m| Error::input(path, m))?;
    }
    let mut source = writer.commit(SourceMeta {
        fetched_at: now,
        sha256: hex(&Sha256::digest(bytes)),
        etag,
        last_modified,
    })?;
    source.kind = label.to_owned();
    source.origin = origin.to_owned();
    Ok(ImportReport {
        source,
        ignored_files: 0,
        warnings,
    })
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => e.to_string(),
    }
}

fn is_zip(path: &Path) -> Result<bool> {
    let mut f = File::open(path).map_err(|e| Error::input(path, io_message(&e)))?;
    let mut magic = [0u8; 4];
    let n = f
        .read(&mut magic)
        .map_err(|e| Error::input(path, io_message(&e)))?;
    let by_name = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    // A local file header, or the end record of an empty archive.
    Ok(by_name || (n == 4 && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06")))
}

/// The first bytes of a file, printable, for a message.
fn head_of(path: &Path) -> String {
    let mut head = Vec::new();
    let _ = File::open(path).and_then(|f| f.take(16).read_to_end(&mut head));
    if head.is_empty() {
        return "nothing: it is empty".into();
    }
    format!("{:?}", String::from_utf8_lossy(&head))
}

fn note(warnings: &mut Vec<(String, String)>, location: &str, message: &str) {
    if warnings.len() < REPORT_WARNINGS {
        warnings.push((location.to_owned(), message.to_owned()));
    }
}

fn read_zip(
    path: &Path,
    checks: &Checks<'_>,
    writer: &mut SourceWriter<'_>,
    warnings: &mut Vec<(String, String)>,
) -> Result<(String, u64)> {
    let sha = {
        let mut f =
            BufReader::new(File::open(path).map_err(|e| Error::input(path, io_message(&e)))?);
        let mut h = Sha256::new();
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            let n = f
                .read(&mut chunk)
                .map_err(|e| Error::input(path, io_message(&e)))?;
            if n == 0 {
                break;
            }
            h.update(&chunk[..n]);
        }
        hex(&h.finalize())
    };
    let file = File::open(path).map_err(|e| Error::input(path, io_message(&e)))?;
    let mut archive = zip::ZipArchive::new(BufReader::new(file))
        .map_err(|e| Error::input(path, format!("not a readable zip archive: {e}")))?;
    let damage = checks.damage;
    let limits = &checks.limits;
    let mut ignored = 0;
    let mut total: u64 = 0;
    let mut buf = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index(i);
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let location = format!("{}#{i}", path.display());
                damaged(path, &location, &e.to_string(), damage, writer, warnings)?;
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let entry_name = match entry.name() {
            Ok(n) => n.into_owned(),
            Err(e) => {
                let m = e.to_string();
                drop(entry);
                damaged(
                    path,
                    &format!("{}#{i}", path.display()),
                    &m,
                    damage,
                    writer,
                    warnings,
                )?;
                continue;
            }
        };
        if !entry_name.to_ascii_lowercase().ends_with(".json") {
            ignored += 1;
            continue;
        }
        buf.clear();
        let compressed = entry.compressed_size();
        // Never more than the cap in memory, whatever the entry claims.
        let read = (&mut entry)
            .take(limits.max_entry + 1)
            .read_to_end(&mut buf);
        if buf.len() as u64 > limits.max_entry {
            return Err(Error::input(
                path,
                format!(
                    "refused: archive entry {entry_name} expands beyond the limit of {} bytes per entry",
                    limits.max_entry
                ),
            ));
        }
        if let Err(e) = read {
            drop(entry);
            damaged(path, &entry_name, &e.to_string(), damage, writer, warnings)?;
            continue;
        }
        drop(entry);
        let size = buf.len() as u64;
        if size >= limits.ratio_min_size && size > compressed.saturating_mul(limits.max_ratio) {
            return Err(Error::input(
                path,
                format!(
                    "refused: archive entry {entry_name} expands from {compressed} to {size} bytes, a ratio above {}:1 (a zip bomb?)",
                    limits.max_ratio
                ),
            ));
        }
        total += size;
        if total > limits.max_total {
            return Err(Error::input(
                path,
                format!(
                    "refused: the archive expands beyond the limit of {} bytes in total",
                    limits.max_total
                ),
            ));
        }
        load_document(&entry_name, &buf, writer, warnings)?;
    }
    Ok((sha, ignored))
}

fn damaged(
    path: &Path,
    location: &str,
    message: &str,
    damage: Damage,
    writer: &mut SourceWriter<'_>,
    warnings: &mut Vec<(String, String)>,
) -> Result<()> {
    match damage {
        Damage::Refuse => Err(Error::input(
            path,
            format!("damaged archive entry {location}: {message}"),
        )),
        Damage::Skip => {
            let m = format!("damaged archive entry: {message}");
            note(warnings, location, &format!("record skipped: {m}"));
            writer.skip(location, &m)
        }
    }
}

fn read_dir(
    root: &Path,
    writer: &mut SourceWriter<'_>,
    warnings: &mut Vec<(String, String)>,
) -> Result<(String, u64)> {
    let mut files = Vec::new();
    let mut ignored = 0;
    collect_json(root, &mut files, &mut ignored)?;
    // KEV catalogs beside the records are not records (`import_all` loads them).
    let signals = signal_files(root)?;
    files.retain(|f| !signals.iter().any(|(s, _)| s == f));
    files.sort();
    let mut listing = Sha256::new();
    for f in &files {
        let rel = f
            .strip_prefix(root)
            .unwrap_or(f)
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(f).map_err(|e| Error::input(f, io_message(&e)))?;
        listing.update(format!("{rel}\t{}\n", hex(&Sha256::digest(&bytes))).as_bytes());
        load_document(&rel, &bytes, writer, warnings)?;
    }
    Ok((hex(&listing.finalize()), ignored))
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>, ignored: &mut u64) -> Result<()> {
    let mut files = Vec::new();
    files_below(dir, &mut files)?;
    for p in files {
        if p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            out.push(p);
        } else {
            *ignored += 1;
        }
    }
    Ok(())
}

/// Loads one JSON document (one record, an array of records or `{"vulns": [...]}`).
fn load_document(
    location: &str,
    bytes: &[u8],
    writer: &mut SourceWriter<'_>,
    warnings: &mut Vec<(String, String)>,
) -> Result<()> {
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            let m = format!("invalid JSON: {e}");
            note(warnings, location, &format!("record skipped: {m}"));
            return writer.skip(location, &m);
        }
    };
    match value {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                load_value(&format!("{location}[{i}]"), item, writer, warnings)?;
            }
            Ok(())
        }
        Value::Object(mut obj)
            if !obj.contains_key("id") && obj.get("vulns").is_some_and(Value::is_array) =>
        {
            let items = match obj.remove("vulns") {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            };
            for (i, item) in items.into_iter().enumerate() {
                load_value(&format!("{location}:vulns[{i}]"), item, writer, warnings)?;
            }
            Ok(())
        }
        other => load_value(location, other, writer, warnings),
    }
}

fn load_value(
    location: &str,
    value: Value,
    writer: &mut SourceWriter<'_>,
    warnings: &mut Vec<(String, String)>,
) -> Result<()> {
    match from_value(value) {
        Ok(parsed) => {
            for p in &parsed.problems {
                note(warnings, &format!("{location} ({})", parsed.advisory.id), p);
            }
            writer.add(location, parsed)
        }
        Err(RecordError { id, message }) => {
            let place = match id {
                Some(id) => format!("{location} ({id})"),
                None => location.to_owned(),
            };
            note(warnings, &place, &format!("record skipped: {message}"));
            writer.skip(&place, &message)
        }
    }
}

#[cfg(test)]
mod tests;
