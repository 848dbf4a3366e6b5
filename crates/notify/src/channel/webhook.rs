//! Generic webhooks signed as Standard Webhooks (standardwebhooks.com).
//!
//! The body is JSON `{"type": "incident.<template>", "timestamp": ..., "data":
//! {...}}`. Headers: `webhook-id` (the delivery key, the same on every retry so
//! the receiver can drop duplicates), `webhook-timestamp` (Unix seconds) and
//! `webhook-signature`: `v1,` + base64 of HMAC-SHA256 over
//! `{id}.{timestamp}.{body}` keyed with the secret (given as `whsec_` +
//! base64 of the key). With several secrets (during a rotation) the signatures
//! are space-separated, so a receiver holding either key verifies it.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

use super::{Channel, ConfigError, Outcome, OutgoingMessage, Secret, http};
use crate::template::Target;

/// A webhook endpoint.
#[derive(Clone)]
pub struct WebhookConfig {
    /// The URL (may carry a token: a secret).
    pub url: Secret,
    /// Signing keys, decoded from `whsec_...`; the first is the current one.
    keys: Vec<Vec<u8>>,
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "WebhookConfig {{ url: <redacted>, secrets: {} }}",
            self.keys.len()
        )
    }
}

impl fmt::Display for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "webhook <redacted> ({} signing secret(s))",
            self.keys.len()
        )
    }
}

/// Decodes a `whsec_` secret to its key.
pub fn decode_secret(secret: &Secret) -> Result<Vec<u8>, ConfigError> {
    let b64 = secret
        .expose()
        .strip_prefix("whsec_")
        .ok_or_else(|| ConfigError::new("a webhook signing secret starts with whsec_".into()))?;
    let key = STANDARD
        .decode(b64)
        .map_err(|_| ConfigError::new("a webhook signing secret is whsec_ + base64".into()))?;
    if key.len() < 16 {
        return Err(ConfigError::new(
            "a webhook signing key is at least 16 bytes (24 to 64 recommended)".into(),
        ));
    }
    Ok(key)
}

impl WebhookConfig {
    /// An endpoint signing with `secrets` (at least one).
    pub fn new(url: Secret, secrets: &[Secret]) -> Result<WebhookConfig, ConfigError> {
        if secrets.is_empty() {
            return Err(ConfigError::new("a webhook needs a signing secret".into()));
        }
        let u = url.expose();
        if !(u.starts_with("https://") || u.starts_with("http://127.0.0.1")) {
            return Err(ConfigError::new(
                "a webhook URL is https:// (http only to 127.0.0.1)".into(),
            ));
        }
        let keys = secrets
            .iter()
            .map(decode_secret)
            .collect::<Result<_, _>>()?;
        Ok(WebhookConfig { url, keys })
    }

    /// The `webhook-signature` value for `id`, `timestamp`, `body`.
    pub fn signature(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        sign(&self.keys, id, timestamp, body)
    }
}

/// Space-separated `v1,<base64>` signatures, one per key.
pub fn sign(keys: &[Vec<u8>], id: &str, timestamp: i64, body: &[u8]) -> String {
    keys.iter()
        .map(|k| {
            let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(k) {
                Ok(m) => m,
                // HMAC takes keys of any length.
                Err(_) => unreachable!("HMAC accepts any key length"),
            };
            mac.update(id.as_bytes());
            mac.update(b".");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The JSON body for `msg`, with the send time `timestamp` (Unix seconds).
pub fn payload(msg: &OutgoingMessage, timestamp: i64) -> serde_json::Value {
    let r = msg.for_target(Target::Markdown);
    let at = jiff::Timestamp::from_second(timestamp)
        .map(|t| t.to_string())
        .unwrap_or_default();
    json!({
        "type": format!("incident.{}", msg.template),
        "timestamp": at,
        "data": {
            "key": msg.key,
            "incident": msg.incident,
            "template": msg.template,
            "subject": r.subject,
            "markdown": r.body,
            "text": msg.for_target(Target::Text).body,
            "context": msg.data,
        },
    })
}

impl Channel for WebhookConfig {
    fn kind(&self) -> &'static str {
        "webhook"
    }

    /// Yes: the receiver drops a second delivery with the same `webhook-id`.
    fn deduplicates(&self) -> bool {
        true
    }

    fn send(&self, msg: &OutgoingMessage, timeout: Duration) -> Outcome {
        let now = jiff::Timestamp::now().as_second();
        let body = payload(msg, now).to_string().into_bytes();
        let headers = [
            ("content-type", "application/json".to_owned()),
            ("webhook-id", msg.key.clone()),
            ("webhook-timestamp", now.to_string()),
            ("webhook-signature", self.signature(&msg.key, now, &body)),
        ];
        match http::post(self.url.expose(), &headers, &body, timeout) {
            Ok(a) => a.classify(),
            Err(o) => o,
        }
    }
}
