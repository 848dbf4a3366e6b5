//! Reading what evidence copies without blocking and within limits.
//!
//! Every file is opened with `O_NONBLOCK`, so opening a FIFO returns at once
//! instead of waiting for a writer, and is judged by `fstat` of what was opened
//! (not by a look at the path that a rename could change in between). Only regular
//! files are read, and never more than a limit. Logs are judged more strictly:
//! a symbolic link is not followed unless asked, and files of the kernel's
//! generated file systems (proc, sysfs and their kin), whose sizes say nothing
//! about what reading them returns, are refused.

use std::fs::{File, FileType};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The default limit for each log: 256 MiB.
pub const DEFAULT_MAX_LOG_BYTES: u64 = 256 << 20;

/// What a bounded read returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounded {
    /// At most the limit's bytes.
    pub bytes: Vec<u8>,
    /// Whether there was more.
    pub truncated: bool,
}

/// What a file type is, in words.
pub fn kind(t: &FileType) -> &'static str {
    if t.is_symlink() {
        "a symbolic link"
    } else if t.is_file() {
        "a regular file"
    } else {
        // FIFOs, sockets, devices, directories: as the scan's reader names them.
        cverun_inventory::read::kind_of(*t)
    }
}

/// Opens `path` for reading without blocking; with `follow` false a final
/// symbolic link is not followed (the open fails).
fn open(path: &Path, follow: bool) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if follow { 0 } else { libc::O_NOFOLLOW };
        o.custom_flags(libc::O_NONBLOCK | nofollow);
    }
    #[cfg(not(unix))]
    let _ = follow;
    o.open(path)
}

/// Reads at most `limit` bytes of the regular file at `path` (following links).
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Bounded> {
    let file = open(path, true)?;
    let t = file.metadata()?.file_type();
    if !t.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} is {}, not a regular file", path.display(), kind(&t)),
        ));
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    let truncated = bytes.len() as u64 > limit;
    bytes.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(Bounded { bytes, truncated })
}

/// A log, ready to be archived.
#[derive(Debug)]
pub enum Log {
    /// A symbolic link, archived as a link to this target.
    Link(PathBuf),
    /// A regular file, open, of this size (at the time of opening).
    File(File, u64),
}

/// Opens the log at `path`: a link stays a link unless `follow_links`; anything but
/// a regular file, a file of a kernel file system, or a file over `limit` bytes is
/// refused with the reason.
pub fn open_log(path: &Path, follow_links: bool, limit: u64) -> Result<Log, String> {
    let shown = path.display();
    let cannot = |e: std::io::Error| format!("cannot read log {shown}: {e}");
    let lmeta = std::fs::symlink_metadata(path).map_err(cannot)?;
    if lmeta.file_type().is_symlink() && !follow_links {
        return std::fs::read_link(path).map(Log::Link).map_err(cannot);
    }
    let file = open(path, follow_links).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.file_type().is_file() {
        return Err(format!(
            "log {shown} is {}; only regular files are archived",
            kind(&meta.file_type())
        ));
    }
    if let Some(fs) = kernel_file_system(&file, path) {
        return Err(format!(
            "log {shown} is on {fs}, whose files the kernel generates; it is not archived"
        ));
    }
    if meta.len() > limit {
        return Err(format!(
            "log {shown} is {} bytes, over the limit of {limit} bytes per log",
            meta.len()
        ));
    }
    Ok(Log::File(file, meta.len()))
}

/// The kernel file system `file` is on, if it is one (Linux: by `fstatfs`; also
/// by the canonical path under `/proc` or `/sys`).
fn kernel_file_system(file: &File, path: &Path) -> Option<&'static str> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: `statfs` is plain data, zeroes are a valid value, and the
        // descriptor is open for the duration of the call.
        let mut s: libc::statfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstatfs(file.as_raw_fd(), &mut s) } == 0 {
            #[allow(clippy::unnecessary_cast)]
            let magic = s.f_type as i64;
            let name = match magic {
                0x9fa0 => Some("the proc file system"),
                0x6265_6572 => Some("sysfs"),
                0x6462_6720 => Some("debugfs"),
                0x7472_6163 => Some("tracefs"),
                0x7363_6673 => Some("securityfs"),
                0x0027_e0eb | 0x6367_7270 => Some("a cgroup file system"),
                0x6265_6570 => Some("configfs"),
                _ => None,
            };
            if name.is_some() {
                return name;
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
    let real = std::fs::canonicalize(path).ok()?;
    if real.starts_with("/proc") {
        Some("the proc file system")
    } else if real.starts_with("/sys") {
        Some("sysfs")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"0123456789").unwrap();
        assert_eq!(
            read_bounded(&p, 4).unwrap(),
            Bounded {
                bytes: b"0123".to_vec(),
                truncated: true
            }
        );
        assert_eq!(
            read_bounded(&p, 10).unwrap(),
            Bounded {
                bytes: b"0123456789".to_vec(),
                truncated: false
            }
        );
        let e = read_bounded(dir.path(), 10).unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn refuses_what_is_not_a_plain_log() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // Opening a FIFO without a writer would block without O_NONBLOCK.
        let e = open_log(&fifo, false, 100).unwrap_err();
        assert!(
            e.ends_with("is a FIFO; only regular files are archived"),
            "{e}"
        );
        let e = read_bounded(&fifo, 100).unwrap_err();
        assert!(e.to_string().contains("is a FIFO"), "{e}");

        let e = open_log(Path::new("/proc/self/status"), false, 1 << 20).unwrap_err();
        assert!(e.contains("on the proc file system"), "{e}");
        let e = open_log(Path::new("/dev/null"), false, 100).unwrap_err();
        assert!(e.contains("is a character device"), "{e}");

        let target = dir.path().join("real.log");
        std::fs::write(&target, b"0123456789").unwrap();
        let link = dir.path().join("link.log");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        match open_log(&link, false, 100).unwrap() {
            Log::Link(t) => assert_eq!(t, target),
            other => panic!("{other:?}"),
        }
        match open_log(&link, true, 100).unwrap() {
            Log::File(_, size) => assert_eq!(size, 10),
            other => panic!("{other:?}"),
        }
        let e = open_log(&target, false, 9).unwrap_err();
        assert!(
            e.ends_with("is 10 bytes, over the limit of 9 bytes per log"),
            "{e}"
        );
        // A followed link to the proc file system is refused too.
        let proc_link = dir.path().join("status");
        std::os::unix::fs::symlink("/proc/self/status", &proc_link).unwrap();
        assert!(open_log(&proc_link, true, 1 << 20).is_err());
    }
}
