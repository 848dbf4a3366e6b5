//! The HTTP edge shared by the HTTP channels: one POST with a timeout per
//! step, and the classification of the answer.

use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use ureq::Timeout;

use super::Outcome;

/// The most of an answer's body read.
const MAX_ANSWER: u64 = 64 * 1024;

/// An HTTP answer.
pub(crate) struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: Vec<u8>,
    pub latency_ms: u64,
}

/// POSTs `body` to `url` with `headers`. `Err` is already an outcome: nothing
/// was sent (retry), or it was sent and no answer came (unknown).
pub(crate) fn post(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<Answer, Outcome> {
    let mut req = agent(timeout).post(url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let start = Instant::now();
    let mut resp = req.send(body).map_err(failure)?;
    let latency_ms = start.elapsed().as_millis() as u64;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_vec()
        .unwrap_or_default();
    Ok(Answer {
        status,
        retry_after,
        body,
        latency_ms,
    })
}

/// The HTTP client of every channel: each step bounded by `timeout`, statuses
/// read (not errors), no redirect followed (a webhook URL that redirects is a
/// misconfiguration to report, not to follow with the payload).
pub(crate) fn agent(timeout: Duration) -> ureq::Agent {
    let t = Some(timeout);
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_resolve(t)
        .timeout_connect(t)
        .timeout_send_request(t)
        .timeout_send_body(t)
        .timeout_recv_response(t)
        .timeout_recv_body(t)
        .max_redirects(0)
        .build()
        .into()
}

/// A failed exchange as an outcome. Timeouts and errors before the request
/// was written mean nothing arrived; after it, the receiver may have it.
pub(crate) fn failure(e: ureq::Error) -> Outcome {
    let before = |reason: String| Outcome::Retry {
        after: None,
        status: 0,
        reason,
    };
    match e {
        ureq::Error::Timeout(
            Timeout::Resolve | Timeout::Connect | Timeout::SendRequest | Timeout::SendBody,
        ) => before(format!("timed out before the request was sent: {e}")),
        ureq::Error::Timeout(_) => Outcome::Unknown {
            reason: format!("sent, and timed out waiting for the answer: {e}"),
        },
        ureq::Error::Io(ref io)
            if matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
            ) =>
        {
            before(format!("could not connect: {e}"))
        }
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => {
            before(format!("could not connect: {e}"))
        }
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::RequireHttpsOnly(_) => {
            Outcome::Permanent {
                status: 0,
                reason: format!("the request cannot be made: {e}"),
            }
        }
        other => Outcome::Unknown {
            reason: format!("the exchange failed after connecting: {other}"),
        },
    }
}

/// `Retry-After` as a wait: delay-seconds, or an HTTP date (wait until then,
/// none when past).
pub fn retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let left = at.duration_since(jiff::Timestamp::now());
    Some(Duration::from_secs(left.as_secs().max(0) as u64))
}

/// The hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The first 300 characters of an answer body, one line, for a reason.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    s.trim().to_owned()
}

/// The generic classification of an HTTP status: 2xx delivered; 408, 429 and
/// 5xx retry (after `Retry-After` when given); anything else permanent.
pub fn classify(
    status: u16,
    retry_after_header: Option<&str>,
    body: &[u8],
    latency_ms: u64,
) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered {
            status,
            latency_ms,
            response_sha256: sha256_hex(body),
        },
        408 | 429 | 500..=599 => Outcome::Retry {
            after: retry_after_header.and_then(retry_after),
            status,
            reason: format!("HTTP {status}: {}", excerpt(body)),
        },
        _ => Outcome::Permanent {
            status,
            reason: format!("HTTP {status}: {}", excerpt(body)),
        },
    }
}

impl Answer {
    /// [`classify`] of this answer.
    pub(crate) fn classify(&self) -> Outcome {
        classify(
            self.status,
            self.retry_after.as_deref(),
            &self.body,
            self.latency_ms,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert!(matches!(
            classify(202, None, b"", 1),
            Outcome::Delivered { .. }
        ));
        assert_eq!(
            classify(429, Some("7"), b"slow down", 1),
            Outcome::Retry {
                after: Some(Duration::from_secs(7)),
                status: 429,
                reason: "HTTP 429: slow down".into()
            }
        );
        assert!(matches!(classify(408, None, b"", 1), Outcome::Retry { .. }));
        assert!(matches!(classify(503, None, b"", 1), Outcome::Retry { .. }));
        assert!(matches!(
            classify(404, None, b"", 1),
            Outcome::Permanent { .. }
        ));
        assert!(matches!(
            classify(301, None, b"", 1),
            Outcome::Permanent { .. }
        ));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
    }
}
