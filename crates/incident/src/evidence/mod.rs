//! Evidence: a host's state at a moment, in one verifiable archive.
//!
//! [`collect`] writes a `.tar.gz` holding:
//!
//! | member | content |
//! | --- | --- |
//! | `MANIFEST.json` | every other member with its SHA-256, size and the redaction rules that fired in it (first in the archive) |
//! | `host.json` | hostname, kernel, os-release, uptime, who collected, when, for which incident |
//! | `processes.json` | every process: pid, command name, command line |
//! | `sockets.json` | listening TCP and UDP sockets (IPv4 and IPv6) and the pids holding them |
//! | `inventory.json` | the manifests found under the root with their packages, and installed Python distributions |
//! | `lockfiles/<path>` | a copy of each manifest found |
//! | `logs/<name>` | a copy of each log named, or a symbolic link to where its link pointed |
//!
//! Everything but the logs is redacted by the rules of [`crate::redact`] before it
//! is hashed: command lines as argument vectors, every string of the JSON members,
//! the lockfile copies and the manifest's notes. Logs are the record of what
//! happened and are copied byte for byte; the manifest lists them as verbatim.
//! What is read is bounded ([`files`]): a log is refused when it is not a regular
//! file, lives on a kernel file system, or is over its limit; a log that is a
//! symbolic link is archived as a link unless links are followed.
//!
//! The archive is written to a temporary file created with mode 0600 beside the
//! destination, synced, and renamed into place (never over an existing file), so it
//! is readable only by its owner and never seen half-written. The SHA-256 of
//! `MANIFEST.json` identifies the archive; [`collect_and_record`] records it in the
//! incident's timeline as an `evidence` event. [`verify`] re-hashes every member
//! against the manifest.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::chain::hex;
use crate::error::{Error, Result};
use crate::redact;
use crate::rules::Action;
use crate::store::Store;

pub mod files;
pub mod host;
pub mod inventory;

pub use files::DEFAULT_MAX_LOG_BYTES;

/// The most of one lockfile or manifest copied (64 MiB); a larger one is noted
/// and not copied.
pub const MAX_LOCKFILE_BYTES: u64 = 64 << 20;

/// The manifest's schema.
pub const SCHEMA: &str = "cverun.evidence-manifest/2";

/// Name of the manifest member.
pub const MANIFEST: &str = "MANIFEST.json";

/// What to collect.
#[derive(Clone, Debug)]
pub struct CollectOptions {
    /// The incident the evidence is for.
    pub incident: String,
    /// Who collects.
    pub actor: String,
    /// When.
    pub now: Timestamp,
    /// Where to look for lockfiles and manifests.
    pub root: PathBuf,
    /// site-packages directories to list.
    pub site_packages: Vec<PathBuf>,
    /// Logs to copy.
    pub logs: Vec<PathBuf>,
    /// The archive to create (must not exist).
    pub output: PathBuf,
    /// The proc file system (normally `/proc`).
    pub proc: PathBuf,
    /// Follow logs that are symbolic links (else they are archived as links).
    pub follow_links: bool,
    /// The most bytes of one log ([`DEFAULT_MAX_LOG_BYTES`] by default).
    pub max_log_bytes: u64,
}

/// One member of the archive, as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Path in the archive.
    pub path: String,
    /// SHA-256 of its content.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Where it was copied from, for copies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// For a log archived as a symbolic link: its target (then `sha256` is the
    /// SHA-256 of the target and `size` is 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The redaction rules that fired in this member, and how many times.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub redacted: BTreeMap<String, u64>,
}

/// What the manifest says about redaction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redaction {
    /// The ids of the rules applied to every member not listed as verbatim.
    pub rules: Vec<String>,
    /// Members copied byte for byte, without redaction (the logs).
    pub verbatim: Vec<String>,
    /// The rules that fired in the manifest's notes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub notes: BTreeMap<String, u64>,
}

/// The manifest (`MANIFEST.json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `cverun.evidence-manifest/1`.
    pub schema: String,
    /// The incident.
    pub incident: String,
    /// When collected.
    pub collected_at: String,
    /// Who collected.
    pub collected_by: String,
    /// The host.
    pub hostname: Option<String>,
    /// Every member except the manifest, in archive order.
    pub members: Vec<Member>,
    /// What could not be collected (processes that exited, unreadable parts).
    pub notes: Vec<String>,
    /// The redaction applied.
    #[serde(default)]
    pub redaction: Redaction,
}

/// What was collected.
#[derive(Clone, Debug, Serialize)]
pub struct Collected {
    /// The archive.
    pub path: PathBuf,
    /// SHA-256 of its MANIFEST.json.
    pub manifest_sha256: String,
    /// The manifest.
    pub manifest: Manifest,
    /// Total size of the members (uncompressed).
    pub bytes: u64,
}

/// A member's content: in memory, or spooled to a temporary file.
enum Content {
    Memory(Vec<u8>),
    Spooled(tempfile::NamedTempFile),
    Link(PathBuf),
}

struct Staged {
    member: Member,
    content: Content,
}

fn io(what: String) -> impl Fn(std::io::Error) -> Error {
    move |e| Error::Io(format!("{what}: {e}"))
}

fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A JSON member, every string in it redacted.
fn json_member(path: &str, value: &impl Serialize) -> Result<Staged> {
    let cannot = |e: serde_json::Error| Error::Io(format!("cannot encode {path}: {e}"));
    let mut value = serde_json::to_value(value).map_err(cannot)?;
    let mut redacted = redact::Tally::new();
    redact::json(&mut value, &mut redacted);
    let mut bytes = serde_json::to_vec_pretty(&value).map_err(cannot)?;
    bytes.push(b'\n');
    Ok(Staged {
        member: Member {
            path: path.to_owned(),
            sha256: sha256(&bytes),
            size: bytes.len() as u64,
            source: None,
            link: None,
            redacted,
        },
        content: Content::Memory(bytes),
    })
}

/// `a/./b/../c` -> `a/c`, keeping only normal components (an archive path never
/// leaves its directory).
fn clean(rel: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
            Component::ParentDir => {
                parts.pop();
            }
            _ => {}
        }
    }
    parts.join("/")
}

/// Copies at most `limit` bytes of the open log `src` into a temporary file in
/// `dir`, hashing it on the way; a log that grew past the limit is refused.
fn spool(
    src: std::fs::File,
    path: &Path,
    limit: u64,
    dir: &Path,
) -> Result<(tempfile::NamedTempFile, String, u64)> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".cverun-evidence-")
        .tempfile_in(dir)
        .map_err(io(format!(
            "cannot create a temporary file in {}",
            dir.display()
        )))?;
    let mut src = src.take(limit.saturating_add(1));
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = src
            .read(&mut buf)
            .map_err(io(format!("cannot read log {}", path.display())))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        if size > limit {
            return Err(Error::Io(format!(
                "log {} grew past the limit of {limit} bytes per log while being read",
                path.display()
            )));
        }
        h.update(&buf[..n]);
        tmp.write_all(&buf[..n])
            .map_err(io("cannot write a temporary file".into()))?;
    }
    tmp.flush()
        .map_err(io("cannot write a temporary file".into()))?;
    Ok((tmp, hex(&h.finalize()), size))
}

/// The log at `path` as a member named `logs/<name>`.
fn log_member(log: &Path, name: String, opts: &CollectOptions, dir: &Path) -> Result<Staged> {
    let source = Some(log.display().to_string());
    let path = format!("logs/{name}");
    match files::open_log(log, opts.follow_links, opts.max_log_bytes).map_err(Error::Io)? {
        files::Log::Link(target) => {
            let shown = target.to_string_lossy().into_owned();
            Ok(Staged {
                member: Member {
                    path,
                    sha256: sha256(shown.as_bytes()),
                    size: 0,
                    source,
                    link: Some(shown),
                    redacted: BTreeMap::new(),
                },
                content: Content::Link(target),
            })
        }
        files::Log::File(file, _) => {
            let (tmp, hash, size) = spool(file, log, opts.max_log_bytes, dir)?;
            Ok(Staged {
                member: Member {
                    path,
                    sha256: hash,
                    size,
                    source,
                    link: None,
                    redacted: BTreeMap::new(),
                },
                content: Content::Spooled(tmp),
            })
        }
    }
}

/// A copy of a lockfile or manifest, redacted; `Err` is a note.
fn lockfile_member(m: &inventory::ManifestRecord) -> std::result::Result<Staged, String> {
    let read = files::read_bounded(&m.disk_path, MAX_LOCKFILE_BYTES)
        .map_err(|e| format!("{}: cannot copy: {e}", m.path))?;
    if read.truncated {
        return Err(format!(
            "{}: not copied: over the limit of {MAX_LOCKFILE_BYTES} bytes",
            m.path
        ));
    }
    let mut redacted = redact::Tally::new();
    let bytes = redact::bytes(&read.bytes, &mut redacted);
    Ok(Staged {
        member: Member {
            path: format!("lockfiles/{}", clean(&m.path)),
            sha256: sha256(&bytes),
            size: bytes.len() as u64,
            source: Some(m.disk_path.display().to_string()),
            link: None,
            redacted,
        },
        content: Content::Memory(bytes),
    })
}

/// Collects the evidence into `opts.output`. Nothing is left behind on failure.
pub fn collect(opts: &CollectOptions) -> Result<Collected> {
    let out_dir = match opts.output.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    if opts.output.exists() {
        return Err(Error::Io(format!(
            "{} already exists; evidence is never overwritten",
            opts.output.display()
        )));
    }
    if !out_dir.is_dir() {
        return Err(Error::Io(format!(
            "directory {} does not exist",
            out_dir.display()
        )));
    }
    if !opts.root.is_dir() {
        return Err(Error::Io(format!(
            "--root {} is not a directory",
            opts.root.display()
        )));
    }
    let mut notes = Vec::new();
    let mut staged: Vec<Staged> = Vec::new();

    // Host, processes, sockets.
    let facts = host::host_facts(&opts.proc);
    #[derive(Serialize)]
    struct HostJson<'a> {
        incident: &'a str,
        collected_at: String,
        collected_by: &'a str,
        #[serde(flatten)]
        facts: &'a host::HostFacts,
    }
    staged.push(json_member(
        "host.json",
        &HostJson {
            incident: &opts.incident,
            collected_at: opts.now.to_string(),
            collected_by: &opts.actor,
            facts: &facts,
        },
    )?);
    match host::processes(&opts.proc) {
        Ok((ps, vanished)) => {
            if vanished > 0 {
                notes.push(format!("{vanished} processes exited while being read"));
            }
            let cut = ps.iter().filter(|p| p.truncated).count();
            if cut > 0 {
                notes.push(format!(
                    "{cut} command lines were longer than {} bytes; their last argument is left out",
                    host::MAX_CMDLINE_BYTES
                ));
            }
            staged.push(json_member("processes.json", &ps)?);
        }
        Err(e) => notes.push(format!(
            "processes: cannot read {}: {e}",
            opts.proc.display()
        )),
    }
    let (sockets, socket_notes) = host::listening_sockets(&opts.proc);
    notes.extend(socket_notes);
    staged.push(json_member("sockets.json", &sockets)?);

    // Inventory.
    let (manifests, walk_notes) = inventory::lockfiles(&opts.root);
    let mut python = Vec::new();
    for dir in &opts.site_packages {
        python.push(inventory::site_packages(dir).map_err(Error::Io)?);
    }
    let inv = inventory::Inventory {
        root: opts.root.display().to_string(),
        manifests,
        walk_errors: walk_notes.clone(),
        python,
    };
    notes.extend(walk_notes);
    staged.push(json_member("inventory.json", &inv)?);
    for m in &inv.manifests {
        match lockfile_member(m) {
            Ok(member) => staged.push(member),
            Err(note) => notes.push(note),
        }
    }

    // Logs: required, so an unreadable one stops the collection.
    let mut names: BTreeMap<String, u32> = BTreeMap::new();
    let mut verbatim = Vec::new();
    for log in &opts.logs {
        let base = log
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "log".into());
        let n = names.entry(base.clone()).or_insert(0);
        *n += 1;
        let name = if *n == 1 { base } else { format!("{base}.{n}") };
        let member = log_member(log, name, opts, &out_dir)?;
        verbatim.push(member.member.path.clone());
        staged.push(member);
    }

    let mut in_notes = redact::Tally::new();
    let notes = notes
        .iter()
        .map(|n| redact::text(n, &mut in_notes))
        .collect();

    let manifest = Manifest {
        schema: SCHEMA.into(),
        incident: opts.incident.clone(),
        collected_at: opts.now.to_string(),
        collected_by: opts.actor.clone(),
        hostname: facts.hostname.clone(),
        members: staged.iter().map(|s| s.member.clone()).collect(),
        notes,
        redaction: Redaction {
            rules: redact::RULES.iter().map(|r| r.id.to_owned()).collect(),
            verbatim,
            notes: in_notes,
        },
    };
    let mut manifest_bytes = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| Error::Io(format!("cannot encode the manifest: {e}")))?;
    manifest_bytes.push(b'\n');
    let manifest_sha256 = sha256(&manifest_bytes);
    let bytes = staged.iter().map(|s| s.member.size).sum();

    write_archive(opts, &out_dir, &manifest_bytes, staged)?;
    Ok(Collected {
        path: opts.output.clone(),
        manifest_sha256,
        manifest,
        bytes,
    })
}

fn write_archive(
    opts: &CollectOptions,
    out_dir: &Path,
    manifest: &[u8],
    staged: Vec<Staged>,
) -> Result<()> {
    let target = opts.output.display().to_string();
    let write_err = || io(format!("cannot write {target}"));
    let tmp = tempfile::Builder::new()
        .prefix(".cverun-evidence-")
        .suffix(".tar.gz.part")
        .tempfile_in(out_dir)
        .map_err(io(format!(
            "cannot create a temporary file in {}",
            out_dir.display()
        )))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(write_err())?;
    }
    let mtime = u64::try_from(opts.now.as_second()).unwrap_or(0);
    let gz = flate2::write::GzEncoder::new(tmp.as_file(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let header = |kind: tar::EntryType, size: u64, mode: u32| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(mode);
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        h
    };
    let regular = |size: u64| header(tar::EntryType::Regular, size, 0o600);
    tar.append_data(&mut regular(manifest.len() as u64), MANIFEST, manifest)
        .map_err(write_err())?;
    for s in staged {
        let path = &s.member.path;
        match s.content {
            Content::Memory(bytes) => {
                tar.append_data(&mut regular(s.member.size), path, &bytes[..])
            }
            Content::Spooled(f) => {
                let mut file = f.reopen().map_err(write_err())?;
                // Exactly the bytes hashed: the spool is private and complete.
                tar.append_data(
                    &mut regular(s.member.size),
                    path,
                    (&mut file).take(s.member.size),
                )
            }
            Content::Link(target) => tar.append_link(
                &mut header(tar::EntryType::Symlink, 0, 0o777),
                path,
                &target,
            ),
        }
        .map_err(write_err())?;
    }
    let gz = tar.into_inner().map_err(write_err())?;
    let file = gz.finish().map_err(write_err())?;
    file.sync_all().map_err(write_err())?;
    tmp.persist_noclobber(&opts.output).map_err(|e| {
        Error::Io(format!(
            "cannot move the archive into place at {target}: {}",
            e.error
        ))
    })?;
    if let Ok(d) = std::fs::File::open(out_dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Collects evidence for incident `opts.incident` and records the manifest's
/// SHA-256 in its timeline. The incident must exist before anything is collected;
/// if recording fails, the archive is removed, so an archive exists exactly when
/// its event does.
pub fn collect_and_record(store: &mut Store, opts: &CollectOptions) -> Result<Collected> {
    store.load(&opts.incident)?;
    let collected = collect(opts)?;
    let file = collected
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let action = Action::Evidence {
        file,
        manifest_sha256: collected.manifest_sha256.clone(),
        members: collected.manifest.members.len() as u64,
        bytes: collected.bytes,
    };
    if let Err(e) = store.act(&opts.incident, &action, &opts.actor) {
        let _ = std::fs::remove_file(&collected.path);
        return Err(e);
    }
    Ok(collected)
}

/// The result of checking an archive against its manifest.
#[derive(Clone, Debug, Serialize)]
pub struct ArchiveCheck {
    /// SHA-256 of MANIFEST.json (`None` when there is none).
    pub manifest_sha256: Option<String>,
    /// The manifest, when readable.
    pub manifest: Option<Manifest>,
    /// Members checked against the manifest.
    pub checked: u64,
    /// What is wrong (empty: every member matches).
    pub problems: Vec<String>,
}

/// Re-hashes every member of the archive at `path` against its manifest.
pub fn verify(path: &Path) -> Result<ArchiveCheck> {
    let file = std::fs::File::open(path).map_err(io(format!("cannot read {}", path.display())))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let unreadable = |e: std::io::Error| {
        Error::Io(format!(
            "{} is not a readable .tar.gz archive: {e}",
            path.display()
        ))
    };
    let mut found: Vec<(String, String, u64)> = Vec::new();
    let mut manifest_bytes: Option<Vec<u8>> = None;
    let mut problems = Vec::new();
    for entry in archive.entries().map_err(unreadable)? {
        let mut entry = entry.map_err(unreadable)?;
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .map_err(unreadable)?;
        if entry.header().entry_type().is_symlink() {
            // A log archived as a link: its hash is the hash of its target.
            let target = entry
                .link_name_bytes()
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .unwrap_or_default();
            found.push((name, sha256(target.as_bytes()), 0));
            continue;
        }
        if !entry.header().entry_type().is_file() {
            problems.push(format!("{name}: not a regular file"));
            continue;
        }
        if name == MANIFEST {
            if manifest_bytes.is_some() {
                problems.push(format!("{MANIFEST} appears twice"));
                continue;
            }
            let mut buf = Vec::new();
            entry
                .by_ref()
                .take(64 << 20)
                .read_to_end(&mut buf)
                .map_err(unreadable)?;
            manifest_bytes = Some(buf);
            continue;
        }
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut size = 0u64;
        loop {
            let n = entry.read(&mut buf).map_err(unreadable)?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            size += n as u64;
        }
        found.push((name, hex(&h.finalize()), size));
    }
    let Some(mbytes) = manifest_bytes else {
        problems.push(format!("no {MANIFEST} in the archive"));
        return Ok(ArchiveCheck {
            manifest_sha256: None,
            manifest: None,
            checked: 0,
            problems,
        });
    };
    let manifest_sha256 = sha256(&mbytes);
    let manifest: Manifest = match serde_json::from_slice(&mbytes) {
        Ok(m) => m,
        Err(e) => {
            problems.push(format!("{MANIFEST} cannot be read: {e}"));
            return Ok(ArchiveCheck {
                manifest_sha256: Some(manifest_sha256),
                manifest: None,
                checked: 0,
                problems,
            });
        }
    };
    let mut checked = 0;
    for m in &manifest.members {
        let matches: Vec<&(String, String, u64)> = found.iter().filter(|f| f.0 == m.path).collect();
        match matches.as_slice() {
            [] => problems.push(format!("{}: listed in the manifest but missing", m.path)),
            [(_, sha, size)] => {
                checked += 1;
                if *sha != m.sha256 || *size != m.size {
                    problems.push(format!(
                        "{}: content differs from the manifest (sha256 {} size {}, manifest says sha256 {} size {})",
                        m.path, sha, size, m.sha256, m.size
                    ));
                }
            }
            _ => problems.push(format!("{}: appears {} times", m.path, matches.len())),
        }
    }
    for (name, _, _) in &found {
        if !manifest.members.iter().any(|m| &m.path == name) {
            problems.push(format!("{name}: in the archive but not in the manifest"));
        }
    }
    Ok(ArchiveCheck {
        manifest_sha256: Some(manifest_sha256),
        manifest: Some(manifest),
        checked,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_paths_stay_inside() {
        assert_eq!(clean("a/./b/../c"), "a/c");
        assert_eq!(clean("../../etc/passwd"), "etc/passwd");
        assert_eq!(clean("/abs/x"), "abs/x");
    }
}
