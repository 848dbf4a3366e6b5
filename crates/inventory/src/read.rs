//! The one way cverun reads an input file: regular files only, bounded in size,
//! and (for scans) confined to the scanned roots.
//!
//! Scans run on trees cverun did not write, often in CI with secrets in the
//! environment. So every input file is read by [`read_bytes`]:
//!
//! - Only regular files are read. A directory, FIFO, socket or device is refused
//!   from its metadata, before it is opened; the file is then opened with
//!   `O_NONBLOCK` and checked again, so a FIFO swapped in between cannot block the
//!   read. Files of the kernel's virtual file systems (`/proc`, `/sys`, ...) are
//!   refused: they claim a size of 0 and hold the process's environment.
//! - Every read is bounded: [`Class::Data`] files (manifests, lockfiles, SBOMs,
//!   includes) at [`DEFAULT_DATA_MIB`] MiB, [`Class::Config`] files (`cverun.toml`,
//!   policy, exceptions, runbook) at [`DEFAULT_CONFIG_MIB`] MiB, overridable by
//!   [`DATA_ENV`] and [`CONFIG_ENV`]. The read stops at the limit plus one byte
//!   whatever size the metadata claims.
//! - [`Confinement`] keeps the paths a scan reads inside its roots: a path whose
//!   canonical form (every link resolved) leaves them is refused unless the scan
//!   allows it. [`ConfinedFiles`] is the [`Files`] of a scan.
//!
//! A refusal is an [`std::io::Error`] carrying a [`Refusal`] ([`refusal`] finds it),
//! so that callers report it like any unreadable file.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::Files;

/// The default limit for manifests, lockfiles, SBOMs and includes, in MiB.
pub const DEFAULT_DATA_MIB: u64 = 64;
/// The default limit for configuration files (`cverun.toml`, policy, exceptions,
/// runbook), in MiB.
pub const DEFAULT_CONFIG_MIB: u64 = 4;
/// Environment variable overriding [`DEFAULT_DATA_MIB`] (a whole number of MiB).
pub const DATA_ENV: &str = "CVERUN_MAX_FILE_MIB";
/// Environment variable overriding [`DEFAULT_CONFIG_MIB`] (a whole number of MiB).
pub const CONFIG_ENV: &str = "CVERUN_MAX_CONFIG_MIB";

const MIB: u64 = 1024 * 1024;

/// Which size limit applies to a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Manifests, lockfiles, SBOMs and the files they include.
    Data,
    /// Configuration: `cverun.toml`, policy, exceptions, runbook.
    Config,
}

impl Class {
    /// The environment variable that sets this class's limit.
    pub fn env(self) -> &'static str {
        match self {
            Class::Data => DATA_ENV,
            Class::Config => CONFIG_ENV,
        }
    }

    fn default_mib(self) -> u64 {
        match self {
            Class::Data => DEFAULT_DATA_MIB,
            Class::Config => DEFAULT_CONFIG_MIB,
        }
    }
}

/// Why a file was not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Not a regular file (the kind it is).
    #[error("not a regular file ({0}); not read")]
    NotRegular(&'static str),
    /// A file of a kernel virtual file system (`/proc`, `/sys`).
    #[error("a file of the kernel's virtual file system ({0}); not read")]
    Virtual(&'static str),
    /// A link that leads to no file.
    #[error("a symbolic link that leads to no file; not read")]
    Dangling,
    /// Larger than the limit for its class.
    #[error("larger than the {} MiB limit (set {} to raise it); not read", limit / MIB, class.env())]
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
        /// The limit's class.
        class: Class,
    },
    /// Outside the scanned roots (its canonical path).
    #[error(
        "resolves to {}, outside the scanned roots; not read (--allow-outside-roots reads it)", .0.display()
    )]
    OutsideRoots(PathBuf),
}

impl From<Refusal> for std::io::Error {
    fn from(r: Refusal) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, r)
    }
}

/// The refusal an I/O error carries, when it is one.
pub fn refusal(e: &std::io::Error) -> Option<&Refusal> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<Refusal>())
}

/// Parses a limit override: a whole number of MiB, at least 1.
fn parse_mib(name: &str, value: &str) -> Result<u64, String> {
    match value.trim().parse::<u64>() {
        Ok(n) if (1..=u64::MAX / MIB).contains(&n) => Ok(n),
        _ => Err(format!(
            "{name}={value:?}: expected a whole number of MiB, at least 1"
        )),
    }
}

/// The limits set by the environment, checked: an error names a variable that is
/// set to something other than a whole number of MiB (the CLI refuses to run then).
pub fn check_env() -> Result<(), String> {
    for class in [Class::Data, Class::Config] {
        if let Some(v) = std::env::var_os(class.env()) {
            parse_mib(class.env(), &v.to_string_lossy())?;
        }
    }
    Ok(())
}

/// The size limit of `class`, in bytes: its environment variable when valid, else
/// the default.
pub fn limit(class: Class) -> u64 {
    static LIMITS: OnceLock<[u64; 2]> = OnceLock::new();
    let limits = LIMITS.get_or_init(|| {
        [Class::Data, Class::Config].map(|c| {
            std::env::var(c.env())
                .ok()
                .and_then(|v| parse_mib(c.env(), &v).ok())
                .unwrap_or(c.default_mib())
                * MIB
        })
    });
    match class {
        Class::Data => limits[0],
        Class::Config => limits[1],
    }
}

/// What a file that is not regular is ("a FIFO", "a directory", ...).
pub fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a file"
    }
}

/// Reads the regular file at `path`, at most `class`'s limit.
pub fn read_bytes(path: &Path, class: Class) -> std::io::Result<Vec<u8>> {
    read_bytes_within(path, limit(class), class)
}

/// Reads the regular file at `path` as UTF-8 text, at most `class`'s limit.
pub fn read_text(path: &Path, class: Class) -> std::io::Result<String> {
    let bytes = read_bytes(path, class)?;
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Reads the regular file at `path`, at most `limit` bytes (reported as `class`'s
/// limit when exceeded).
pub fn read_bytes_within(path: &Path, limit: u64, class: Class) -> std::io::Result<Vec<u8>> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && path.symlink_metadata().is_ok() => {
            return Err(Refusal::Dangling.into());
        }
        Err(e) => return Err(e),
    };
    if !meta.is_file() {
        return Err(Refusal::NotRegular(kind_of(meta.file_type())).into());
    }
    let file = open_nonblocking(path)?;
    // Checked again on the open file: what was looked at may have been replaced.
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(Refusal::NotRegular(kind_of(meta.file_type())).into());
    }
    if let Some(fs) = virtual_fs(&file) {
        return Err(Refusal::Virtual(fs).into());
    }
    if meta.len() > limit {
        return Err(Refusal::TooLarge { limit, class }.into());
    }
    let mut buf = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    file.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(Refusal::TooLarge { limit, class }.into());
    }
    Ok(buf)
}

/// Opens `path` for reading without blocking on a FIFO.
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// The name of the kernel virtual file system `file` is on, if it is on one.
#[cfg(target_os = "linux")]
fn virtual_fs(file: &std::fs::File) -> Option<&'static str> {
    use std::os::fd::AsRawFd;
    // Magic numbers from linux/magic.h.
    const KNOWN: [(u64, &str); 7] = [
        (0x9fa0, "/proc"),
        (0x6265_6572, "/sys"),
        (0x6462_6720, "debugfs"),
        (0x7472_6163, "tracefs"),
        (0x7363_6673, "securityfs"),
        (0x0027_e0eb, "cgroup"),
        (0x6367_7270, "cgroup2"),
    ];
    let mut st = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: the descriptor is open for the call's duration and `st` is a valid,
    // writable statfs buffer.
    let rc = unsafe { libc::fstatfs(file.as_raw_fd(), st.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: fstatfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    let magic = st.f_type as u64;
    KNOWN.iter().find(|(m, _)| *m == magic).map(|(_, n)| *n)
}

#[cfg(not(target_os = "linux"))]
fn virtual_fs(_file: &std::fs::File) -> Option<&'static str> {
    None
}

/// The directories a scan may read: its roots (a file root stands for its
/// directory), canonicalised, unless reading outside them is allowed.
#[derive(Clone, Debug, Default)]
pub struct Confinement {
    roots: Vec<PathBuf>,
    allow_outside: bool,
}

impl Confinement {
    /// Confinement to `roots` (those that exist), or none at all when
    /// `allow_outside`.
    pub fn new(roots: &[PathBuf], allow_outside: bool) -> Confinement {
        let roots = roots
            .iter()
            .filter_map(|r| {
                let c = r.canonicalize().ok()?;
                if c.is_file() {
                    c.parent().map(Path::to_owned)
                } else {
                    Some(c)
                }
            })
            .collect();
        Confinement {
            roots,
            allow_outside,
        }
    }

    /// No confinement: every path is allowed.
    pub fn unconfined() -> Confinement {
        Confinement {
            roots: Vec::new(),
            allow_outside: true,
        }
    }

    /// Whether paths outside the roots are allowed.
    pub fn allows_outside(&self) -> bool {
        self.allow_outside
    }

    /// Whether the canonical path `canonical` is inside a root.
    pub fn contains(&self, canonical: &Path) -> bool {
        self.roots.iter().any(|r| canonical.starts_with(r))
    }

    /// The canonical form of `path` when it may be read: a refusal when it
    /// resolves outside the roots, or leads nowhere; `NotFound` when there is
    /// nothing there.
    pub fn resolve(&self, path: &Path) -> std::io::Result<PathBuf> {
        match path.canonicalize() {
            Ok(c) if self.allow_outside || self.contains(&c) => Ok(c),
            Ok(c) => Err(Refusal::OutsideRoots(c).into()),
            Err(e) => match std::fs::metadata(path) {
                // A path that cannot be resolved but can be looked at: a magic
                // link such as /dev/stdin to a pipe.
                Ok(m) if !m.is_file() => Err(Refusal::NotRegular(kind_of(m.file_type())).into()),
                Ok(_) => Err(e),
                Err(_) if path.symlink_metadata().is_ok() => Err(Refusal::Dangling.into()),
                Err(_) => Err(e),
            },
        }
    }
}

/// [`Files`] for a scan: regular files inside the roots, bounded.
#[derive(Clone, Debug, Default)]
pub struct ConfinedFiles {
    /// Where reads may go.
    pub confinement: Confinement,
}

impl Files for ConfinedFiles {
    fn read(&self, path: &Path) -> std::io::Result<String> {
        let canonical = self.confinement.resolve(path)?;
        read_text(&canonical, Class::Data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(r: std::io::Result<Vec<u8>>) -> Refusal {
        let e = r.expect_err("refused");
        refusal(&e)
            .cloned()
            .unwrap_or_else(|| panic!("not a refusal: {e}"))
    }

    #[test]
    fn reads_a_regular_file_up_to_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, vec![b'x'; 1000]).unwrap();
        assert_eq!(
            read_bytes_within(&p, 1000, Class::Data).unwrap().len(),
            1000
        );
        assert_eq!(
            refused(read_bytes_within(&p, 999, Class::Data)),
            Refusal::TooLarge {
                limit: 999,
                class: Class::Data
            }
        );
    }

    #[test]
    fn refuses_directories_and_dangling_links() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            refused(read_bytes(dir.path(), Class::Config)),
            Refusal::NotRegular("a directory")
        );
        #[cfg(unix)]
        {
            let link = dir.path().join("l");
            std::os::unix::fs::symlink(dir.path().join("missing"), &link).unwrap();
            assert_eq!(refused(read_bytes(&link, Class::Data)), Refusal::Dangling);
            let missing = read_bytes(&dir.path().join("none"), Class::Data).unwrap_err();
            assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
            assert!(refusal(&missing).is_none());
        }
    }

    #[cfg(unix)]
    #[test]
    fn refuses_devices_and_fifos_without_blocking() {
        assert_eq!(
            refused(read_bytes(Path::new("/dev/zero"), Class::Data)),
            Refusal::NotRegular("a character device")
        );
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(
            refused(read_bytes(&fifo, Class::Data)),
            Refusal::NotRegular("a FIFO")
        );
        // Through a link, too.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        assert_eq!(
            refused(read_bytes(&link, Class::Config)),
            Refusal::NotRegular("a FIFO")
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn refuses_proc_files_that_claim_size_zero() {
        let p = Path::new("/proc/self/environ");
        assert_eq!(std::fs::metadata(p).unwrap().len(), 0);
        assert_eq!(
            refused(read_bytes(p, Class::Data)),
            Refusal::Virtual("/proc")
        );
    }

    #[cfg(unix)]
    #[test]
    fn confinement_follows_links_and_refuses_what_leaves_the_roots() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        std::fs::create_dir_all(root.join("svc")).unwrap();
        std::fs::write(root.join("base.txt"), "a==1\n").unwrap();
        std::fs::write(outer.path().join("secret.txt"), "x").unwrap();
        std::os::unix::fs::symlink(root.join("base.txt"), root.join("svc/in.txt")).unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret.txt"), root.join("svc/out.txt"))
            .unwrap();
        let files = ConfinedFiles {
            confinement: Confinement::new(std::slice::from_ref(&root), false),
        };
        assert_eq!(files.read(&root.join("svc/in.txt")).unwrap(), "a==1\n");
        assert_eq!(files.read(&root.join("svc/../base.txt")).unwrap(), "a==1\n");
        for p in [
            root.join("svc/out.txt"),
            root.join("../secret.txt"),
            PathBuf::from("/etc/passwd"),
        ] {
            let e = files.read(&p).unwrap_err();
            assert!(
                matches!(refusal(&e), Some(Refusal::OutsideRoots(_))),
                "{}: {e}",
                p.display()
            );
        }
        let open = ConfinedFiles {
            confinement: Confinement::new(std::slice::from_ref(&root), true),
        };
        assert_eq!(open.read(&root.join("svc/out.txt")).unwrap(), "x");
        // Allowed outside, /proc is still refused.
        #[cfg(target_os = "linux")]
        assert!(matches!(
            refusal(&open.read(Path::new("/proc/self/environ")).unwrap_err()),
            Some(Refusal::Virtual(_))
        ));
        // A file root stands for its directory.
        let by_file = Confinement::new(&[root.join("base.txt")], false);
        assert!(by_file.resolve(&root.join("svc/in.txt")).is_ok());
    }

    #[test]
    fn limit_overrides_are_whole_mib() {
        assert_eq!(parse_mib("V", "3"), Ok(3));
        assert!(parse_mib("V", "0").is_err());
        assert!(parse_mib("V", "1.5").is_err());
        assert!(parse_mib("V", "-1").is_err());
        assert!(parse_mib("V", &u64::MAX.to_string()).is_err());
    }
}
