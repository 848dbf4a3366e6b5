//! Email through a real SMTP server: aiosmtpd (Python) on 127.0.0.1 writing
//! into a maildir. The received MIME is checked: Message-ID, threading
//! headers, text and HTML parts. Without aiosmtpd (system Python, else a
//! virtual environment created for the test with pip) the test says SKIPPED,
//! or fails when `CVERUN_REQUIRE_TOOLS` is set.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use cverun_notify::channel::email::{EmailConfig, Tls};
use cverun_notify::channel::{Channel, Outcome, OutgoingMessage, Secret};
use cverun_notify::template::context;
use cverun_testkit::{required, skipped};

const REQUIRE_TOOLS: &str = "CVERUN_REQUIRE_TOOLS";

fn has_aiosmtpd(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A Python with aiosmtpd: the system's, or a venv made once per test process.
fn python(test: &str) -> Option<PathBuf> {
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

struct Smtpd(Child);

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// aiosmtpd on 127.0.0.1:`port` delivering into `maildir`.
fn smtpd(python: &Path, port: u16, maildir: &Path) -> Smtpd {
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

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn received(maildir: &Path) -> Vec<String> {
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

#[test]
fn email_threads_and_carries_text_and_html() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(py) = python("email_threads_and_carries_text_and_html") else {
        return;
    };
    let port = free_port();
    let maildir = tmp.path().join("mail");
    let _srv = smtpd(&py, port, &maildir);
    let cfg = EmailConfig::new(
        "127.0.0.1",
        port,
        Tls::None,
        "cverun <incidents@example.com>",
        &["security@example.com"],
    )
    .unwrap();
    let inc = common::hostile();
    let ctx = context(&inc, common::t("2026-11-23T13:00:00Z"), None);

    // The kick-off is the thread's root; the status update replies to it.
    let kickoff = OutgoingMessage::prepare("INC-2026-11-23-1", "kickoff", None, &ctx).unwrap();
    let o = cfg.send(&kickoff, Duration::from_secs(10));
    assert!(matches!(o, Outcome::Delivered { status: 250, .. }), "{o:?}");
    let status =
        OutgoingMessage::prepare("INC-2026-11-23-1.status.1", "status", None, &ctx).unwrap();
    let o = cfg.send(&status, Duration::from_secs(10));
    assert!(matches!(o, Outcome::Delivered { status: 250, .. }), "{o:?}");

    let mails = received(&maildir);
    assert_eq!(mails.len(), 2);
    let root = mails
        .iter()
        .find(|m| m.contains("Message-ID: <INC-2026-11-23-1@cverun>"))
        .expect("the kick-off");
    assert!(!root.contains("In-Reply-To:"));
    let reply = mails
        .iter()
        .find(|m| m.contains("Message-ID: <INC-2026-11-23-1.status.1@cverun>"))
        .expect("the status update");
    assert!(
        reply.contains("In-Reply-To: <INC-2026-11-23-1@cverun>"),
        "{reply}"
    );
    assert!(
        reply.contains("References: <INC-2026-11-23-1@cverun>"),
        "{reply}"
    );
    assert!(reply.contains("multipart/alternative"), "{reply}");
    assert!(
        reply.contains("Content-Type: text/plain; charset=utf-8"),
        "{reply}"
    );
    assert!(
        reply.contains("Content-Type: text/html; charset=utf-8"),
        "{reply}"
    );
    // Quoted-printable undone (soft line breaks, `=3D`): the HTML part carries
    // the data escaped, no script element; the text part carries it as text.
    let decoded = reply
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let (text, html) = decoded.split_once("Content-Type: text/html").unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("<strong>Status update</strong>"), "{html}");
    assert!(text.contains("<script>alert(1)</script>"), "{text}");
    assert!(
        reply.contains("Subject: [P1] INC-2026-11-23-1 status update"),
        "{reply}"
    );
}

#[test]
fn starttls_is_never_skipped_and_none_is_loopback_only() {
    assert!(
        EmailConfig::new(
            "smtp.example.com",
            25,
            Tls::None,
            "a@example.com",
            &["b@example.com"]
        )
        .is_err()
    );
    let cfg = EmailConfig::new(
        "127.0.0.1",
        587,
        Tls::StartTls,
        "a@example.com",
        &["b@example.com"],
    )
    .unwrap()
    .with_credentials("a", Secret::new("hunter2"));
    assert!(!format!("{cfg:?} {cfg}").contains("hunter2"));

    let tmp = tempfile::tempdir().unwrap();
    let Some(py) = python("starttls_is_never_skipped_and_none_is_loopback_only") else {
        return;
    };
    let port = free_port();
    let maildir = tmp.path().join("mail");
    let _srv = smtpd(&py, port, &maildir);
    // This server offers no STARTTLS: required STARTTLS refuses to send.
    let cfg = EmailConfig::new(
        "127.0.0.1",
        port,
        Tls::StartTls,
        "a@example.com",
        &["b@example.com"],
    )
    .unwrap();
    let msg = OutgoingMessage::prepare(
        "INC-2026-11-23-1",
        "kickoff",
        None,
        &context(&common::hostile(), common::t("2026-11-23T13:00:00Z"), None),
    )
    .unwrap();
    let o = cfg.send(&msg, Duration::from_secs(10));
    assert!(matches!(o, Outcome::Permanent { .. }), "{o:?}");
    assert!(received(&maildir).is_empty(), "nothing sent in plaintext");
}
