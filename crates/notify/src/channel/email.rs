//! Email over SMTP: a text part and an HTML part, threaded per incident.
//!
//! Transport security is never optional: STARTTLS is required (a server that
//! does not offer it is an error, never a plaintext fallback) or the connection
//! is TLS from the start (SMTPS, port 465). [`Tls::None`] exists for tests
//! against a local server and is refused for any host but `127.0.0.1`.
//!
//! Each message has a stable `Message-ID: <{key}@cverun>` (the same on every
//! retry, so a receiver can drop a duplicate) and `In-Reply-To` and
//! `References` naming `<{incident}@cverun>`, the id of the incident's first
//! message, so mail clients thread one incident's messages together. That
//! root is the kick-off: a `kickoff` message (or one whose key is the incident
//! id) is sent as `Message-ID: <{incident}@cverun>` without `In-Reply-To`,
//! whatever its delivery key (routed kick-offs have the router's key).
//!
//! SMTP replies: 2xx delivered; 4xx transient (retry); 5xx permanent; a
//! timeout after connecting unknown (the server may have taken the message).

use std::fmt;
use std::time::{Duration, Instant};

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls as SmtpTls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use super::{Channel, ConfigError, Outcome, OutgoingMessage, Secret, http};
use crate::template::Target;

/// How the SMTP connection is secured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    /// Plain connection upgraded with STARTTLS, which must succeed (port 587).
    StartTls,
    /// TLS from the first byte (SMTPS, port 465).
    Smtps,
    /// No TLS: only to 127.0.0.1, for tests with a local server.
    None,
}

impl std::str::FromStr for Tls {
    type Err = ConfigError;
    fn from_str(s: &str) -> Result<Tls, ConfigError> {
        match s {
            "starttls" => Ok(Tls::StartTls),
            "smtps" | "tls" => Ok(Tls::Smtps),
            "none" => Ok(Tls::None),
            _ => Err(ConfigError::new(format!(
                "tls = {s:?}: starttls, smtps or none (none: 127.0.0.1 only)"
            ))),
        }
    }
}

/// An SMTP server and the envelope.
#[derive(Clone)]
pub struct EmailConfig {
    /// Server host name.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Transport security.
    pub tls: Tls,
    /// User name for AUTH, with [`EmailConfig::password`].
    pub username: Option<String>,
    /// Password (a secret).
    pub password: Option<Secret>,
    /// From.
    pub from: Mailbox,
    /// Recipients.
    pub to: Vec<Mailbox>,
}

impl fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EmailConfig {{ host: {:?}, port: {}, tls: {:?}, username: {:?}, password: {}, from: {}, to: {} }}",
            self.host,
            self.port,
            self.tls,
            self.username,
            if self.password.is_some() {
                "<redacted>"
            } else {
                "none"
            },
            self.from,
            self.to.len()
        )
    }
}

impl fmt::Display for EmailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "smtp {}:{} ({:?})", self.host, self.port, self.tls)
    }
}

impl EmailConfig {
    /// A configuration, checked: addresses valid (recipients may also come from
    /// each message's audience), no TLS
    /// only to 127.0.0.1, a password only with a user name.
    pub fn new(
        host: &str,
        port: u16,
        tls: Tls,
        from: &str,
        to: &[&str],
    ) -> Result<EmailConfig, ConfigError> {
        if tls == Tls::None && host != "127.0.0.1" {
            return Err(ConfigError::new(format!(
                "tls = none is only for a test server on 127.0.0.1, not {host:?}: use starttls or smtps"
            )));
        }
        let mailbox = |s: &str| {
            s.parse::<Mailbox>()
                .map_err(|e| ConfigError::new(format!("address {s:?}: {e}")))
        };
        Ok(EmailConfig {
            host: host.to_owned(),
            port,
            tls,
            username: None,
            password: None,
            from: mailbox(from)?,
            to: to.iter().map(|t| mailbox(t)).collect::<Result<_, _>>()?,
        })
    }

    /// With AUTH credentials.
    pub fn with_credentials(mut self, username: &str, password: Secret) -> EmailConfig {
        self.username = Some(username.to_owned());
        self.password = Some(password);
        self
    }

    fn transport(&self, timeout: Duration) -> Result<SmtpTransport, String> {
        let params = || TlsParameters::new(self.host.clone()).map_err(|e| e.to_string());
        let tls = match self.tls {
            Tls::StartTls => SmtpTls::Required(params()?),
            Tls::Smtps => SmtpTls::Wrapper(params()?),
            Tls::None if self.host == "127.0.0.1" => SmtpTls::None,
            Tls::None => return Err("tls = none is only for 127.0.0.1".into()),
        };
        let mut b = SmtpTransport::builder_dangerous(self.host.clone())
            .port(self.port)
            .tls(tls)
            .timeout(Some(timeout));
        if let (Some(u), Some(p)) = (&self.username, &self.password) {
            b = b.credentials(Credentials::new(u.clone(), p.expose().to_owned()));
        }
        Ok(b.build())
    }
}

/// `<{key}@cverun>`.
pub fn message_id(key: &str) -> String {
    format!("<{key}@cverun>")
}

/// Whether `msg` starts the incident's thread: the kick-off, or a message
/// whose key is the incident id.
fn is_thread_root(msg: &OutgoingMessage) -> bool {
    msg.key == msg.incident || msg.template == "kickoff"
}

/// The `Message-ID` of `msg`: the thread root's (`<{incident}@cverun>`, the id
/// every other message of the incident replies to) for the kick-off, else
/// from its key.
pub fn own_message_id(msg: &OutgoingMessage) -> String {
    if is_thread_root(msg) {
        message_id(&msg.incident)
    } else {
        message_id(&msg.key)
    }
}

/// The message for `msg` from `from` to `to`: text and HTML alternatives,
/// Message-ID from the key, threaded on the incident.
pub fn message(msg: &OutgoingMessage, from: &Mailbox, to: &[Mailbox]) -> Result<Message, String> {
    let text = msg.for_target(Target::Text);
    let html = msg.for_target(Target::Html);
    let mut b = Message::builder()
        .from(from.clone())
        .subject(text.subject.clone())
        .message_id(Some(own_message_id(msg)));
    for t in to {
        b = b.to(t.clone());
    }
    if !is_thread_root(msg) {
        let root = message_id(&msg.incident);
        b = b.in_reply_to(root.clone()).references(root);
    }
    b.multipart(MultiPart::alternative_plain_html(
        format!("{}\n", text.body),
        html_document(&html.subject, &html.body),
    ))
    .map_err(|e| e.to_string())
}

/// The HTML part: the rendered body (escaped fragment) in a document keeping
/// its line breaks.
pub fn html_document(subject: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head>\n<body><div style=\"white-space: pre-wrap; font-family: sans-serif\">{}</div></body></html>\n",
        crate::template::escape::html(subject),
        body
    )
}

impl Channel for EmailConfig {
    fn kind(&self) -> &'static str {
        "email"
    }

    /// Yes: the same `Message-ID` is recognisable as a duplicate by mail clients and archives.
    fn deduplicates(&self) -> bool {
        true
    }

    fn send(&self, msg: &OutgoingMessage, timeout: Duration) -> Outcome {
        let mut to = self.to.clone();
        for r in &msg.recipients {
            match r.parse::<Mailbox>() {
                Ok(m) if !to.contains(&m) => to.push(m),
                Ok(_) => {}
                Err(e) => {
                    return Outcome::Permanent {
                        status: 0,
                        reason: format!("recipient {r:?}: {e}"),
                    };
                }
            }
        }
        if to.is_empty() {
            return Outcome::Permanent {
                status: 0,
                reason: "no recipients: the channel names none and the audience resolved to nobody with an email contact".into(),
            };
        }
        let email = match message(msg, &self.from, &to) {
            Ok(m) => m,
            Err(reason) => return Outcome::Permanent { status: 0, reason },
        };
        let transport = match self.transport(timeout) {
            Ok(t) => t,
            Err(reason) => return Outcome::Permanent { status: 0, reason },
        };
        let start = Instant::now();
        match transport.send(&email) {
            Ok(resp) => {
                let text: Vec<&str> = resp.message().collect();
                Outcome::Delivered {
                    status: u16::from(resp.code()),
                    latency_ms: start.elapsed().as_millis() as u64,
                    response_sha256: http::sha256_hex(text.join("\n").as_bytes()),
                }
            }
            Err(e) => classify(&e),
        }
    }
}

/// An SMTP failure as an outcome.
fn classify(e: &lettre::transport::smtp::Error) -> Outcome {
    let status = e.status().map(u16::from).unwrap_or(0);
    let reason = e.to_string();
    if e.is_permanent() {
        Outcome::Permanent { status, reason }
    } else if e.is_transient() {
        Outcome::Retry {
            after: None,
            status,
            reason,
        }
    } else if e.is_timeout() {
        Outcome::Unknown { reason }
    } else if e.is_tls() || e.is_client() {
        // No STARTTLS offered, a certificate refused: configuration, not luck.
        Outcome::Permanent { status, reason }
    } else {
        Outcome::Retry {
            after: None,
            status,
            reason,
        }
    }
}

/// The message for people to read before it is sent: the headers this module
/// sets (From and To come from the configuration), the text part and the HTML
/// part.
pub fn preview(msg: &OutgoingMessage) -> String {
    let text = msg.for_target(Target::Text);
    let html = msg.for_target(Target::Html);
    let mut out = format!(
        "Subject: {}\nMessage-ID: {}\n",
        text.subject,
        own_message_id(msg)
    );
    if !is_thread_root(msg) {
        let root = message_id(&msg.incident);
        out.push_str(&format!("In-Reply-To: {root}\nReferences: {root}\n"));
    }
    out.push_str(&format!(
        "\n--- text/plain ---\n{}\n\n--- text/html ---\n{}",
        text.body,
        html_document(&html.subject, &html.body)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(key: &str, template: &str) -> OutgoingMessage {
        OutgoingMessage {
            key: key.into(),
            incident: "INC-2026-11-23-1".into(),
            template: template.into(),
            priority: "P0".into(),
            open: true,
            rendered: Default::default(),
            data: serde_json::Value::Null,
            recipients: Vec::new(),
        }
    }

    /// A routed kick-off (the router's key, not the incident id) is still the
    /// thread's root: the id every other message replies to.
    #[test]
    fn the_kickoff_is_the_thread_root_whatever_its_key() {
        let routed = msg("cverun-INC-2026-11-23-1-1-mail-kickoff", "kickoff");
        assert!(is_thread_root(&routed));
        assert_eq!(own_message_id(&routed), "<INC-2026-11-23-1@cverun>");
        let by_id = msg("INC-2026-11-23-1", "status");
        assert!(is_thread_root(&by_id));
        let status = msg("cverun-INC-2026-11-23-1-8-mail-status", "status");
        assert!(!is_thread_root(&status));
        assert_eq!(
            own_message_id(&status),
            "<cverun-INC-2026-11-23-1-8-mail-status@cverun>"
        );
    }
}
