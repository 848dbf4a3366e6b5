//! Email through a real SMTP server: aiosmtpd (Python) on 127.0.0.1 writing
//! into a maildir. The received MIME is checked: Message-ID, threading
//! headers, text and HTML parts. Without aiosmtpd (system Python, else a
//! virtual environment created for the test with pip) the test says SKIPPED,
//! or fails when `CVERUN_REQUIRE_TOOLS` is set.

mod common;

use cverun_notify::channel::email::{EmailConfig, Tls};
use cverun_notify::channel::{Channel, Outcome, OutgoingMessage, Secret};
use cverun_notify::template::context;
use std::time::Duration;

use cverun_testkit::smtp::{free_port, python, received, smtpd};

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
