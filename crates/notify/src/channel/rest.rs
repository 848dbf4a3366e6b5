//! The HTTP edge of the API channels (Slack Web API, GitHub, GitLab): one
//! request with a timeout per step, the answer's headers kept (rate-limit
//! headers decide when to retry), the body read up to a bound.
//!
//! A failed exchange is already an [`Outcome`] (see `http::failure`): nothing
//! sent (retry), or sent with no answer (unknown).

use std::time::{Duration, Instant};

use super::{Outcome, http};

/// The most of an answer to a send read (the API's acknowledgement, which
/// echoes the message: a GitLab note may be 1,000,000 characters).
pub(crate) const MAX_SEND_ANSWER: u64 = 8 * 1024 * 1024;
/// The most of one page of a lookup read (a page of history or comments).
pub(crate) const MAX_PAGE: u64 = 8 * 1024 * 1024;

/// An HTTP answer with its headers.
pub(crate) struct Answer {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased (the first value of each).
    pub headers: Vec<(String, String)>,
    /// The body, at most the bound given.
    pub body: Vec<u8>,
    /// From sending to the answer's head.
    pub latency_ms: u64,
}

impl Answer {
    /// The value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

fn answer(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    start: Instant,
    max: u64,
) -> Result<Answer, Outcome> {
    let mut resp = result.map_err(http::failure)?;
    let latency_ms = start.elapsed().as_millis() as u64;
    let status = resp.status().as_u16();
    let mut headers = Vec::new();
    for (k, v) in resp.headers() {
        if let Ok(v) = v.to_str()
            && !headers
                .iter()
                .any(|(h, _): &(String, String)| h == k.as_str())
        {
            headers.push((k.as_str().to_ascii_lowercase(), v.to_owned()));
        }
    }
    let body = resp
        .body_mut()
        .with_config()
        .limit(max)
        .read_to_vec()
        .map_err(|e| Outcome::Unknown {
            reason: format!("HTTP {status}, and the answer's body could not be read: {e}"),
        })?;
    Ok(Answer {
        status,
        headers,
        body,
        latency_ms,
    })
}

/// POSTs `body` to `url` with `headers`; reads at most `max` bytes of answer.
pub(crate) fn post(
    url: &str,
    headers: &[(&str, String)],
    body: &[u8],
    timeout: Duration,
    max: u64,
) -> Result<Answer, Outcome> {
    let mut req = http::agent(timeout).post(url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let start = Instant::now();
    answer(req.send(body), start, max)
}

/// GETs `url` with `headers`; reads at most `max` bytes of answer.
pub(crate) fn get(
    url: &str,
    headers: &[(&str, String)],
    timeout: Duration,
    max: u64,
) -> Result<Answer, Outcome> {
    let mut req = http::agent(timeout).get(url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let start = Instant::now();
    answer(req.call(), start, max)
}

/// `s` percent-encoded for a URL's path segment or query value: everything
/// but ASCII letters, digits and `-._~`.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Checks an API base URL: https, or http to 127.0.0.1 (tests); without a
/// trailing slash, query or fragment.
pub(crate) fn base_url(kind: &str, url: &str) -> Result<String, super::ConfigError> {
    let u = url.trim().trim_end_matches('/');
    let scheme_ok = u.starts_with("https://")
        || u.starts_with("http://127.0.0.1:")
        || u.starts_with("http://127.0.0.1/")
        || u == "http://127.0.0.1";
    let host = u.split_once("://").map(|(_, r)| r).unwrap_or("");
    if !scheme_ok
        || host.is_empty()
        || host.starts_with('/')
        || u.contains(['?', '#', ' '])
        || u.chars().any(char::is_control)
    {
        return Err(super::ConfigError::new(format!(
            "{kind}: API URL {url:?}: https://host[/path] (http only to 127.0.0.1), without query"
        )));
    }
    Ok(u.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_and_base_urls() {
        assert_eq!(encode("group/sub project"), "group%2Fsub%20project");
        assert_eq!(encode("a-b_c.d~"), "a-b_c.d~");
        assert_eq!(encode("é"), "%C3%A9");
        assert_eq!(
            base_url("github", "https://api.github.com/").unwrap(),
            "https://api.github.com"
        );
        assert!(base_url("github", "http://api.github.com").is_err());
        assert!(base_url("github", "http://127.0.0.1.evil.example").is_err());
        assert!(base_url("github", "https://x.example/?a=b").is_err());
        assert!(base_url("github", "https://").is_err());
        assert_eq!(
            base_url("slack", "http://127.0.0.1:9/api").unwrap(),
            "http://127.0.0.1:9/api"
        );
    }
}
