//! A real SMTP server for the email tests: aiosmtpd (Python) on 127.0.0.1
//! writing into a maildir. [`python`] finds a Python that has it (the
//! system's, else a virtual environment made once per test process with pip),
//! or reports the test as skipped (a failure under `CVERUN_REQUIRE_TOOLS`).

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{required, skipped};

/// The variable that makes a missing aiosmtpd a failure.
pub const REQUIRE_TOOLS: &str = "CVERUN_REQUIRE_TOOLS";

fn has_aiosmtpd(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A Python with aiosmtpd: the system's, or a venv made once per test process.
pub fn python(test: &str) -> Option<PathBuf> {
    static FOUND: OnceLock<Option<(Option<tempfile::TempDir>, PathBuf)>> = OnceLock::new();
    let found = FOUND.get_or_init(find_python);
    if let Some((_, py)) = found {
        return Some(py.clone());
    }
    let why = "aiosmtpd is not importable and could not be installed in a venv";
    if required(REQUIRE_TOOLS) {
        panic!("{test}: {why}, and {REQUIRE_TOOLS} is set: nothing may be skipped");
    }
    skipped(test, why);
    None
}

fn find_python() -> Option<(Option<tempfile::TempDir>, PathBuf)> {
    let system = PathBuf::from("python3");
    if has_aiosmtpd(&system) {
        return Some((None, system));
    }
    let tmp = tempfile::tempdir().ok()?;
    let venv = tmp.path().join("venv");
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && Command::new(venv.join("bin/python"))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "aiosmtpd==1.4.6",
            ])
            .status()
            .is_ok_and(|s| s.success());
    let py = venv.join("bin/python");
    (made && has_aiosmtpd(&py)).then_some((Some(tmp), py))
}

/// A running aiosmtpd, stopped when dropped.
pub struct Smtpd(Child);

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// aiosmtpd on 127.0.0.1:`port` delivering into `maildir`.
pub fn smtpd(python: &Path, port: u16, maildir: &Path) -> Smtpd {
    let child = Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let s = Smtpd(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "aiosmtpd did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    s
}

/// A free TCP port of 127.0.0.1 (for the server to bind).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// The mails the server wrote into `maildir` (`new` and `cur`), as stored.
pub fn received(maildir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for d in ["new", "cur"] {
        if let Ok(rd) = std::fs::read_dir(maildir.join(d)) {
            for e in rd.flatten() {
                out.push(std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    out
}
