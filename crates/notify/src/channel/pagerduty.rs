//! PagerDuty Events API v2 (`POST https://events.pagerduty.com/v2/enqueue`).
//!
//! An alert event: `routing_key`, `event_action` (`trigger` while the incident
//! is open, `resolve` once it is not; `acknowledge` on request), `dedup_key` =
//! the incident id (so every message of one incident is one alert), and for a
//! trigger a `payload` with `summary` (at most 1024 characters: longer ones are
//! cut), `source`, `severity` (P0 critical, P1 error, P2 warning). 202 is
//! accepted; 400 (invalid event) permanent; 429 and 5xx retried.

use std::fmt;
use std::time::Duration;

use serde_json::{Value, json};

use super::{Channel, ConfigError, Outcome, OutgoingMessage, Secret, http};
use crate::template::Target;

/// The Events API v2 endpoint.
pub const EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";
/// The longest summary.
pub const MAX_SUMMARY: usize = 1024;

/// What the event does to the alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventAction {
    /// Open (or update) the alert.
    Trigger,
    /// Acknowledge it.
    Acknowledge,
    /// Resolve it.
    Resolve,
}

impl EventAction {
    /// The API's spelling.
    pub fn key(self) -> &'static str {
        match self {
            EventAction::Trigger => "trigger",
            EventAction::Acknowledge => "acknowledge",
            EventAction::Resolve => "resolve",
        }
    }

    /// `trigger` for an open incident, `resolve` otherwise.
    pub fn for_message(msg: &OutgoingMessage) -> EventAction {
        if msg.open {
            EventAction::Trigger
        } else {
            EventAction::Resolve
        }
    }
}

/// A PagerDuty Events API v2 integration.
#[derive(Clone)]
pub struct PagerDutyConfig {
    /// The integration's routing key (a secret).
    pub routing_key: Secret,
    /// The endpoint ([`EVENTS_URL`]; another only for tests).
    pub url: String,
    /// The `source` of events (`cverun`, a host name...).
    pub source: String,
}

impl fmt::Debug for PagerDutyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PagerDutyConfig {{ routing_key: <redacted>, url: {:?}, source: {:?} }}",
            self.url, self.source
        )
    }
}

impl fmt::Display for PagerDutyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pagerduty {} (routing key <redacted>)", self.url)
    }
}

impl PagerDutyConfig {
    /// An integration sending to [`EVENTS_URL`].
    pub fn new(routing_key: Secret, source: &str) -> Result<PagerDutyConfig, ConfigError> {
        if routing_key.expose().len() != 32
            || !routing_key
                .expose()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
        {
            return Err(ConfigError::new(
                "a PagerDuty routing key is the 32-character integration key of an Events API v2 integration".into(),
            ));
        }
        if source.trim().is_empty() {
            return Err(ConfigError::new("a PagerDuty event needs a source".into()));
        }
        Ok(PagerDutyConfig {
            routing_key,
            url: EVENTS_URL.to_owned(),
            source: source.to_owned(),
        })
    }
}

/// The severity of a priority.
pub fn severity(priority: &str) -> &'static str {
    match priority {
        "P0" => "critical",
        "P1" => "error",
        "P2" => "warning",
        _ => "info",
    }
}

/// The event for `msg`, with `routing_key` (give a placeholder to show it).
pub fn payload(
    msg: &OutgoingMessage,
    routing_key: &str,
    source: &str,
    action: EventAction,
) -> Value {
    let mut v = json!({
        "routing_key": routing_key,
        "event_action": action.key(),
        "dedup_key": msg.incident,
    });
    if action == EventAction::Trigger {
        let r = msg.for_target(Target::Text);
        let summary: String = r.subject.chars().take(MAX_SUMMARY).collect();
        v["payload"] = json!({
            "summary": summary,
            "source": source,
            "severity": severity(&msg.priority),
            "component": msg.data["incident"]["advisory"],
            "group": msg.data["incident"]["services"].as_array().map(|s| s.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(",")).unwrap_or_default(),
            "class": msg.template,
            "custom_details": { "message": r.body, "key": msg.key },
        });
    }
    v
}

impl PagerDutyConfig {
    /// Sends `msg` with an explicit action.
    pub fn send_action(
        &self,
        msg: &OutgoingMessage,
        action: EventAction,
        timeout: Duration,
    ) -> Outcome {
        let body = payload(msg, self.routing_key.expose(), &self.source, action)
            .to_string()
            .into_bytes();
        let headers = [("content-type", "application/json".to_owned())];
        match http::post(&self.url, &headers, &body, timeout) {
            Ok(a) if a.status == 200 || a.status == 202 => a.classify(),
            Ok(a) if (200..300).contains(&a.status) => Outcome::Unknown {
                reason: format!("HTTP {} (the Events API answers 202)", a.status),
            },
            Ok(a) => a.classify(),
            Err(o) => o,
        }
    }
}

impl Channel for PagerDutyConfig {
    fn kind(&self) -> &'static str {
        "pagerduty"
    }

    /// Yes: PagerDuty merges events with the same `dedup_key` into one alert.
    fn deduplicates(&self) -> bool {
        true
    }

    fn send(&self, msg: &OutgoingMessage, timeout: Duration) -> Outcome {
        self.send_action(msg, EventAction::for_message(msg), timeout)
    }
}
