//! `db update`: download each ecosystem's `all.zip` and swap it in atomically.
//!
//! For each ecosystem, from `<base>/<Ecosystem>/all.zip`:
//!
//! 1. A conditional GET (`If-None-Match` with the stored `ETag`, `If-Modified-Since`
//!    with the stored `Last-Modified`): `304 Not Modified` leaves the data as it is
//!    and only records the check.
//! 2. The body is streamed to `downloads/<Ecosystem>.<pid>.part` in the database
//!    directory. A short body (fewer bytes than
//!    `Content-Length`), a stalled connection, or any HTTP status other than 200/304
//!    fails this ecosystem.
//! 3. The file is opened as a zip archive and every entry read (a damaged entry
//!    fails the ecosystem) while the records are written into one SQLite
//!    transaction that replaces the ecosystem's previous data; the commit is the
//!    swap. Until then readers see the previous data; a failure rolls back.
//!
//! A download is accepted only if it is what it claims to be, within limits:
//!
//! - an ecosystem's body must be a zip archive (an HTML error page or any other
//!   body is refused, never parsed as a JSON document) holding at least one valid
//!   OSV record, and more than half its valid records must name that ecosystem;
//!   KEV must be a JSON catalog with `catalogVersion` and a `vulnerabilities` array,
//!   EPSS a CSV (maybe gzipped) with its `cve,epss,percentile` header;
//! - [`Limits`]: download size, uncompressed size per entry and in total, and the
//!   compression ratio of large entries (zip bombs);
//! - [`UpdateOptions::total_timeout`]: the whole download, not only each read, so a
//!   server sending one byte at a time cannot hold an update forever;
//! - the shrink guard: a snapshot with fewer than half the valid records of the data
//!   it replaces, or with more than [`UpdateOptions::max_skipped_share`] of its
//!   records invalid, is refused unless [`UpdateOptions::allow_shrink`] is set.
//!
//! Every failed or refused update is recorded (`refusals` table, the newest
//! [`crate::REFUSALS_KEPT`] per source) and shown by `db status`.
//!
//! A process killed during any step leaves the previous data intact (SQLite's
//! journal undoes an unfinished transaction) and at most a `.part` file, which the
//! next update removes and reports.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cverun_versions::Ecosystem;
use jiff::Timestamp;

use crate::error::{Error, Result};
pub use crate::import::Limits;
use crate::import::{Checks, Damage, Guard, ImportReport, import_as, import_signal};
use crate::signals::SignalKind;
use crate::store::{Database, SourceStatus};

/// Where the OSV project publishes its per-ecosystem archives.
pub const DEFAULT_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// Where CISA publishes the Known Exploited Vulnerabilities catalog.
pub const DEFAULT_KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
/// Where FIRST's EPSS scores are published (gzipped CSV).
pub const DEFAULT_EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";

/// What to update and from where.
#[derive(Clone, Debug)]
pub struct UpdateOptions {
    /// Base URL; each ecosystem is fetched from `<base>/<Ecosystem>/all.zip`.
    pub base_url: String,
    /// Ecosystems to fetch.
    pub ecosystems: Vec<Ecosystem>,
    /// The KEV catalog's URL, or `None` not to fetch it.
    pub kev_url: Option<String>,
    /// The EPSS file's URL, or `None` not to fetch it.
    pub epss_url: Option<String>,
    /// Longest wait for any read on the connection before giving up.
    pub read_timeout: Duration,
    /// Longest time for one whole download, from connecting to the last byte
    /// (default 10 minutes).
    pub total_timeout: Duration,
    /// Size limits of downloads and archives.
    pub limits: Limits,
    /// Accept a snapshot with fewer than half the previous records or too many
    /// skipped ones.
    pub allow_shrink: bool,
    /// Largest share of skipped (invalid) records in a snapshot (default 0.10).
    pub max_skipped_share: f64,
}

/// Default of [`UpdateOptions::total_timeout`].
pub const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(600);
/// Default of [`UpdateOptions::max_skipped_share`].
pub const DEFAULT_MAX_SKIPPED_SHARE: f64 = 0.10;

impl UpdateOptions {
    /// The OSV archives of `ecosystems` from `base_url` (default: the OSV bucket),
    /// and no exploit signals (set `kev_url`/`epss_url` to fetch them).
    pub fn new(base_url: Option<&str>, ecosystems: Vec<Ecosystem>) -> UpdateOptions {
        UpdateOptions {
            base_url: base_url
                .unwrap_or(DEFAULT_BASE_URL)
                .trim_end_matches('/')
                .to_owned(),
            ecosystems,
            kev_url: None,
            epss_url: None,
            read_timeout: Duration::from_secs(60),
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
            limits: Limits::default(),
            allow_shrink: false,
            max_skipped_share: DEFAULT_MAX_SKIPPED_SHARE,
        }
    }
}

/// What happened to one source.
#[derive(Debug)]
pub enum Outcome {
    /// New data was downloaded and swapped in.
    Updated(ImportReport),
    /// The server said the data has not changed.
    Unchanged(SourceStatus),
    /// The update failed; `kept` is the data still in use (if any).
    Failed {
        /// Why.
        error: Error,
        /// The previous data, still in place.
        kept: Option<SourceStatus>,
    },
}

/// The result of updating one source.
#[derive(Debug)]
pub struct SourceUpdate {
    /// What it is: an ecosystem's OSV name, `KEV` or `EPSS`.
    pub label: String,
    /// The URL fetched.
    pub url: String,
    /// What happened.
    pub outcome: Outcome,
}

/// The result of `update`.
#[derive(Debug)]
pub struct UpdateReport {
    /// Partial downloads of interrupted earlier runs that were removed.
    pub removed_partial: Vec<PathBuf>,
    /// One entry per source, in order: the ecosystems asked, then KEV, then EPSS.
    pub sources: Vec<SourceUpdate>,
}

/// The source name under which an ecosystem's download is stored.
pub fn source_name(ecosystem: &Ecosystem) -> String {
    format!("osv:{}", ecosystem.osv_name())
}

/// Updates every source of `opts`; one failure does not stop the others.
pub fn update(db: &mut Database, opts: &UpdateOptions, now: Timestamp) -> Result<UpdateReport> {
    let Some(dir) = db.dir().map(Path::to_owned) else {
        return Err(Error::Input {
            path: db.label().to_owned(),
            message: "a temporary database cannot be updated".into(),
        });
    };
    let downloads = dir.join("downloads");
    std::fs::create_dir_all(&downloads)
        .map_err(|e| Error::input(&downloads, format!("cannot create: {e}")))?;
    let removed_partial = remove_stale_parts(&downloads);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(120)))
        .timeout_per_read(Some(opts.read_timeout))
        .timeout_global(Some(opts.total_timeout))
        .user_agent(concat!("cverun/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let fetcher = Fetcher {
        agent: &agent,
        downloads: &downloads,
        now,
        opts,
    };
    let mut sources = Vec::new();
    for eco in &opts.ecosystems {
        let url = format!("{}/{}/all.zip", opts.base_url, eco.osv_name());
        let name = source_name(eco);
        let outcome = fetcher.run(
            db,
            &name,
            eco.osv_name(),
            &url,
            |db, part, prev, etag, lm| {
                let checks = Checks {
                    damage: Damage::Refuse,
                    limits: opts.limits,
                    zip_only: true,
                    ecosystem: Some(eco.osv_name()),
                    guard: Some(fetcher.guard(prev)),
                };
                import_as(db, part, &name, "update", &url, &checks, now, etag, lm)
            },
        )?;
        sources.push(SourceUpdate {
            label: eco.osv_name().to_owned(),
            url,
            outcome,
        });
    }
    for (kind, url) in [
        (SignalKind::Kev, &opts.kev_url),
        (SignalKind::Epss, &opts.epss_url),
    ] {
        let Some(url) = url else { continue };
        let label = kind.source_name().to_ascii_uppercase();
        let outcome = fetcher.run(
            db,
            kind.source_name(),
            &label,
            url,
            |db, part, prev, etag, lm| {
                let bytes = std::fs::read(part)
                    .map_err(|e| Error::input(part, format!("cannot read the download: {e}")))?;
                if crate::signals::sniff(&bytes) != Some(kind) {
                    return Err(Error::input(part, format!("refused: not a {label} file")));
                }
                let checks = Checks {
                    damage: Damage::Refuse,
                    limits: opts.limits,
                    zip_only: false,
                    ecosystem: None,
                    guard: Some(fetcher.guard(prev)),
                };
                import_signal(
                    db, part, &bytes, kind, "update", url, &checks, now, etag, lm,
                )
            },
        )?;
        sources.push(SourceUpdate {
            label,
            url: url.clone(),
            outcome,
        });
    }
    Ok(UpdateReport {
        removed_partial,
        sources,
    })
}

/// Downloads with conditional requests into `downloads/`, then hands the complete
/// file to an importer.
struct Fetcher<'a> {
    agent: &'a ureq::Agent,
    downloads: &'a Path,
    now: Timestamp,
    opts: &'a UpdateOptions,
}

/// An importer of a complete download: database, file, the data it replaces,
/// `ETag`, `Last-Modified`.
type Importer<'i> = dyn FnOnce(
        &mut Database,
        &Path,
        Option<&SourceStatus>,
        Option<String>,
        Option<String>,
    ) -> Result<ImportReport>
    + 'i;

impl<'a> Fetcher<'a> {
    fn guard<'p>(&self, previous: Option<&'p SourceStatus>) -> Guard<'p> {
        Guard {
            previous,
            allow_shrink: self.opts.allow_shrink,
            max_skipped_share: self.opts.max_skipped_share,
        }
    }

    /// Fetches `url` for the stored source `name`; `Failed` (with the data kept and
    /// the failure recorded as a refusal) on any error; an early return only when
    /// the refusal cannot be recorded.
    fn run(
        &self,
        db: &mut Database,
        name: &str,
        label: &str,
        url: &str,
        import: impl FnOnce(
            &mut Database,
            &Path,
            Option<&SourceStatus>,
            Option<String>,
            Option<String>,
        ) -> Result<ImportReport>,
    ) -> Result<Outcome> {
        let previous = db.source(name)?;
        Ok(
            match self.fetch(db, name, label, url, previous.as_ref(), Box::new(import)) {
                Ok(o) => o,
                Err(error) => {
                    db.record_refusal(name, self.now, url, &error.to_string())?;
                    Outcome::Failed {
                        error,
                        kept: previous,
                    }
                }
            },
        )
    }

    fn fetch(
        &self,
        db: &mut Database,
        name: &str,
        label: &str,
        url: &str,
        previous: Option<&SourceStatus>,
        import: Box<Importer<'_>>,
    ) -> Result<Outcome> {
        let limits = &self.opts.limits;
        let limit = self.opts.total_timeout;
        let started = Instant::now();
        let dl_err = |message: String| Error::Download {
            url: url.to_owned(),
            message,
        };
        let mut req = self.agent.get(url);
        // Conditional headers only when the stored data came from this very URL.
        if let Some(prev) = previous.filter(|p| p.origin == url) {
            if let Some(etag) = &prev.etag {
                req = req.header("If-None-Match", etag);
            }
            if let Some(lm) = &prev.last_modified {
                req = req.header("If-Modified-Since", lm);
            }
        }
        let response = req.call().map_err(|e| {
            if started.elapsed() >= limit {
                dl_err(format!(
                    "no answer within the time limit of {} s",
                    limit.as_secs_f64()
                ))
            } else {
                dl_err(e.to_string())
            }
        })?;
        let status = response.status().as_u16();
        if status == 304 {
            if let Some(prev) = previous {
                db.touch_source(name, self.now)?;
                let mut p = prev.clone();
                p.checked_at = self.now.to_string();
                return Ok(Outcome::Unchanged(p));
            }
            return Err(dl_err(
                "server answered 304 Not Modified to an unconditional request".into(),
            ));
        }
        if status != 200 {
            let reason = response.status().canonical_reason().unwrap_or("");
            return Err(dl_err(
                format!("HTTP {status} {reason}").trim_end().to_owned(),
            ));
        }
        let header = |h: &str| {
            response
                .headers()
                .get(h)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header("etag");
        let last_modified = header("last-modified");
        let expected_len: Option<u64> = header("content-length").and_then(|v| v.parse().ok());
        let content_type = header("content-type");
        if let Some(len) = expected_len
            && len > limits.max_download
        {
            return Err(dl_err(format!(
                "refused: the server announces {len} bytes, more than the limit of {} bytes",
                limits.max_download
            )));
        }

        let too_slow = |received: u64| {
            dl_err(format!(
                "refused: the download took longer than the time limit of {} s ({received} bytes received)",
                limit.as_secs_f64()
            ))
        };
        let part = self
            .downloads
            .join(format!("{label}.{}.part", std::process::id()));
        let guard = PartFile(part.clone());
        let received = {
            let file = File::create(&part)
                .map_err(|e| Error::input(&part, format!("cannot create: {e}")))?;
            let mut out = BufWriter::new(file);
            let mut body = response.into_body().into_reader();
            let mut buf = vec![0u8; 1 << 16];
            let mut received: u64 = 0;
            loop {
                let n = match body.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) if started.elapsed() >= limit => {
                        return Err(too_slow(received));
                    }
                    Err(e) => {
                        return Err(dl_err(format!(
                            "download interrupted after {received} bytes: {e}"
                        )));
                    }
                };
                if started.elapsed() >= limit {
                    return Err(too_slow(received + n as u64));
                }
                if received + n as u64 > limits.max_download {
                    return Err(dl_err(format!(
                        "refused: the download exceeds the limit of {} bytes",
                        limits.max_download
                    )));
                }
                out.write_all(&buf[..n])
                    .map_err(|e| Error::input(&part, format!("cannot write: {e}")))?;
                received += n as u64;
            }
            out.flush()
                .map_err(|e| Error::input(&part, format!("cannot write: {e}")))?;
            received
        };
        if let Some(expected) = expected_len
            && received != expected
        {
            return Err(dl_err(format!(
                "truncated download: received {received} of {expected} bytes"
            )));
        }
        let report = import(db, &part, previous, etag, last_modified).map_err(|e| match e {
            Error::Input { message, .. } => dl_err(format!(
                "{message} (received {received} bytes{})",
                content_type
                    .as_deref()
                    .map(|c| format!(", content type {c}"))
                    .unwrap_or_default()
            )),
            other => other,
        })?;
        drop(guard);
        Ok(Outcome::Updated(report))
    }
}

/// Removes the `.part` file when the download is done or abandoned.
struct PartFile(PathBuf);

impl Drop for PartFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Removes partial downloads whose process is gone (it was killed mid-download).
fn remove_stale_parts(downloads: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(rd) = std::fs::read_dir(downloads) else {
        return removed;
    };
    for entry in rd.flatten() {
        let p = entry.path();
        let Some(name) = p.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let Some(stem) = name.strip_suffix(".part") else {
            continue;
        };
        let pid = stem.rsplit('.').next().and_then(|s| s.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| pid != std::process::id() && process_alive(pid));
        if !alive && std::fs::remove_file(&p).is_ok() {
            removed.push(p);
        }
    }
    removed
}

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new(&format!("/proc/{pid}")).exists()
    } else {
        // Without /proc, keep files that may belong to a running update.
        true
    }
}
