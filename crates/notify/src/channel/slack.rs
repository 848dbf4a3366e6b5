//! Slack incoming webhooks: Block Kit blocks with a `text` fallback.
//!
//! Limits checked before sending (Slack's Block Kit reference): a header block's
//! plain text at most 150 characters, a section's text at most 3000, at most 50
//! blocks; the top-level `text` is cut by Slack beyond 40,000 characters, so a
//! longer one is refused here. Section text is mrkdwn with `verbatim` set, so
//! Slack does not turn names or URLs in it into links or mentions; the text was
//! escaped by the template ([`crate::template::escape`]).
//!
//! Answers: `200 ok` is delivered; 4xx with a reason (`invalid_payload`,
//! `channel_not_found`, `no_service`...) are permanent; 429 and 5xx are
//! retried after `Retry-After`.

use std::fmt;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Channel, ConfigError, ContractError, Outcome, OutgoingMessage, Secret, http};
use crate::template::Target;

/// Header block text limit.
pub const MAX_HEADER: usize = 150;
/// Section text limit.
pub const MAX_SECTION: usize = 3000;
/// Blocks per message.
pub const MAX_BLOCKS: usize = 50;
/// Top-level `text` limit.
pub const MAX_TEXT: usize = 40_000;

/// A Slack incoming webhook.
#[derive(Clone)]
pub struct SlackConfig {
    /// `https://hooks.slack.com/services/...`: the URL is the credential.
    pub url: Secret,
}

impl fmt::Debug for SlackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SlackConfig { url: <redacted> }")
    }
}

impl fmt::Display for SlackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("slack incoming webhook <redacted>")
    }
}

impl SlackConfig {
    /// A webhook URL: https (http only to 127.0.0.1, for tests).
    pub fn new(url: Secret) -> Result<SlackConfig, ConfigError> {
        let u = url.expose();
        if !(u.starts_with("https://") || u.starts_with("http://127.0.0.1")) {
            return Err(ConfigError::new(
                "a Slack webhook URL is https://hooks.slack.com/services/...".into(),
            ));
        }
        Ok(SlackConfig { url })
    }
}

/// Cuts `s` to at most `max` characters, marking the cut.
fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// Splits `body` into section texts of at most [`MAX_SECTION`] characters, at
/// line ends where possible.
fn sections(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in body.lines() {
        let needed = cur.chars().count() + line.chars().count() + 1;
        if needed > MAX_SECTION && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        let mut line = line.to_owned();
        while line.chars().count() > MAX_SECTION {
            let head: String = line.chars().take(MAX_SECTION).collect();
            line = line.chars().skip(MAX_SECTION).collect();
            out.push(head);
        }
        if !cur.is_empty() {
            cur.push('\n');
        }
        cur.push_str(&line);
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// The payload for `msg`, checked against Slack's limits.
pub fn payload(msg: &OutgoingMessage) -> Result<Value, ContractError> {
    let r = msg.for_target(Target::SlackMrkdwn);
    let fail = |message: String| ContractError {
        channel: "slack",
        message,
    };
    let mut blocks = vec![json!({
        "type": "header",
        "text": { "type": "plain_text", "text": cut(&r.subject, MAX_HEADER), "emoji": false },
    })];
    for s in sections(&r.body) {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": s, "verbatim": true },
        }));
    }
    if blocks.len() > MAX_BLOCKS {
        return Err(fail(format!(
            "{} blocks: Slack takes at most {MAX_BLOCKS} per message",
            blocks.len()
        )));
    }
    // The fallback: the subject and body, escaped for mrkdwn like the blocks.
    let text = format!("{}\n{}", crate::template::escape::slack(&r.subject), r.body);
    if text.chars().count() > MAX_TEXT {
        return Err(fail(format!(
            "text of {} characters: Slack truncates beyond {MAX_TEXT}",
            text.chars().count()
        )));
    }
    Ok(json!({ "text": text, "blocks": blocks, "unfurl_links": false, "unfurl_media": false }))
}

impl Channel for SlackConfig {
    fn kind(&self) -> &'static str {
        "slack"
    }

    fn send(&self, msg: &OutgoingMessage, timeout: Duration) -> Outcome {
        let body = match payload(msg) {
            Ok(v) => v.to_string().into_bytes(),
            Err(e) => {
                return Outcome::Permanent {
                    status: 0,
                    reason: e.to_string(),
                };
            }
        };
        let headers = [("content-type", "application/json".to_owned())];
        match http::post(self.url.expose(), &headers, &body, timeout) {
            Ok(a) if a.status == 200 && a.body.trim_ascii() != b"ok" => Outcome::Unknown {
                reason: format!("HTTP 200 without \"ok\": {}", http::excerpt(&a.body)),
            },
            Ok(a) => a.classify(),
            Err(o) => o,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_bodies_split_under_the_section_limit() {
        let body = "x".repeat(7000);
        let s = sections(&body);
        assert_eq!(s.len(), 3);
        assert!(s.iter().all(|p| p.chars().count() <= MAX_SECTION));
        assert_eq!(
            cut(&"y".repeat(200), MAX_HEADER).chars().count(),
            MAX_HEADER
        );
    }
}
