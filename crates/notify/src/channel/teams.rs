//! Microsoft Teams through a Workflows webhook: a message with one Adaptive
//! Card attachment.
//!
//! The card is built as JSON values (never by pasting strings): a title
//! TextBlock (the subject) and one wrapping TextBlock per paragraph of the body,
//! rendered for the Adaptive Card target (Markdown punctuation in data
//! escaped). Card version 1.4. Teams refuses messages over about 28 KB, so a
//! larger payload is refused here.
//!
//! The retired Office 365 connector URLs (`*.webhook.office.com/webhookb2/...`,
//! `outlook.office.com/webhook/...`) are refused with a message saying to
//! create a Workflows webhook instead. Workflows answers 202 Accepted.

use std::fmt;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Channel, ConfigError, ContractError, Outcome, OutgoingMessage, Secret, http};
use crate::template::Target;

/// The largest payload sent (Teams' message size limit is about 28 KB).
pub const MAX_PAYLOAD: usize = 28 * 1024;

/// A Teams Workflows webhook.
#[derive(Clone)]
pub struct TeamsConfig {
    /// The Workflows URL (carries a signature: a secret).
    pub url: Secret,
}

impl fmt::Debug for TeamsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TeamsConfig { url: <redacted> }")
    }
}

impl fmt::Display for TeamsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("teams workflows webhook <redacted>")
    }
}

/// Whether `url` is a retired Office 365 connector URL.
pub fn is_legacy_connector(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host = host.to_ascii_lowercase();
    (host.ends_with(".webhook.office.com") && path.starts_with("webhookb2/"))
        || (host == "outlook.office.com" && path.starts_with("webhook/"))
}

impl TeamsConfig {
    /// A Workflows webhook URL; legacy connector URLs are refused.
    pub fn new(url: Secret) -> Result<TeamsConfig, ConfigError> {
        let u = url.expose();
        if is_legacy_connector(u) {
            return Err(ConfigError::new(
                "this is an Office 365 connector URL (webhook.office.com / outlook.office.com), which Microsoft retired: create a Workflows webhook (\"Post to a channel when a webhook request is received\") and use its URL".into(),
            ));
        }
        if !(u.starts_with("https://") || u.starts_with("http://127.0.0.1")) {
            return Err(ConfigError::new("a Teams Workflows URL is https://".into()));
        }
        Ok(TeamsConfig { url })
    }
}

/// The Adaptive Card of `msg`.
pub fn card(msg: &OutgoingMessage) -> Value {
    let r = msg.for_target(Target::AdaptiveCard);
    let mut body = vec![json!({
        "type": "TextBlock",
        "text": crate::template::escape::escape(Target::AdaptiveCard, &r.subject),
        "weight": "Bolder",
        "size": "Medium",
        "wrap": true,
    })];
    for para in r.body.split("\n\n").filter(|p| !p.trim().is_empty()) {
        // A TextBlock's Markdown needs a blank line for a line break.
        body.push(json!({ "type": "TextBlock", "text": para.replace('\n', "\n\n"), "wrap": true }));
    }
    json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    })
}

/// The message payload, checked against the size limit.
pub fn payload(msg: &OutgoingMessage) -> Result<Value, ContractError> {
    let v = json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card(msg),
        }],
    });
    let n = v.to_string().len();
    if n > MAX_PAYLOAD {
        return Err(ContractError {
            channel: "teams",
            message: format!("payload of {n} bytes: Teams takes at most about {MAX_PAYLOAD}"),
        });
    }
    Ok(v)
}

impl Channel for TeamsConfig {
    fn kind(&self) -> &'static str {
        "teams"
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
            Ok(a) => a.classify(),
            Err(o) => o,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_connectors_are_recognised() {
        assert!(is_legacy_connector(
            "https://contoso.webhook.office.com/webhookb2/abc@def/IncomingWebhook/x/y"
        ));
        assert!(is_legacy_connector(
            "https://outlook.office.com/webhook/abc"
        ));
        assert!(!is_legacy_connector(
            "https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke"
        ));
        assert!(TeamsConfig::new(Secret::new("https://outlook.office.com/webhook/abc")).is_err());
    }
}
