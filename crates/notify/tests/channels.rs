//! Each channel against a real receiver on loopback (the testkit HTTP server,
//! an aiosmtpd SMTP server), each request checked against the provider's
//! documented contract, each answer classified.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cverun_notify::channel::pagerduty::PagerDutyConfig;
use cverun_notify::channel::slack::SlackConfig;
use cverun_notify::channel::teams::TeamsConfig;
use cverun_notify::channel::webhook::{WebhookConfig, decode_secret, sign};
use cverun_notify::channel::{Channel, Outcome, OutgoingMessage, Secret};
use cverun_notify::template::context;
use cverun_testkit::{Behaviour, HttpServer};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

const TIMEOUT: Duration = Duration::from_secs(5);

fn message(key: &str, template: &str) -> OutgoingMessage {
    let inc = common::hostile();
    let ctx = context(&inc, common::t("2026-11-23T13:00:00Z"), None);
    OutgoingMessage::prepare(key, template, None, &ctx).unwrap()
}

fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Behaviour {
    Behaviour::Reply {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

fn json_body(r: &cverun_testkit::Request) -> Value {
    assert_eq!(r.method, "POST");
    assert_eq!(r.headers["content-type"], "application/json");
    serde_json::from_slice(&r.body).unwrap()
}

/// A receiver's own Standard Webhooks check: HMAC-SHA256 over
/// `{id}.{timestamp}.{body}` with the key decoded from `whsec_`.
fn verifies(secret: &str, headers: &HashMap<String, String>, body: &[u8]) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let signed = format!(
        "{}.{}.{}",
        headers["webhook-id"],
        headers["webhook-timestamp"],
        String::from_utf8_lossy(body)
    );
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
    mac.update(signed.as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    headers["webhook-signature"]
        .split(' ')
        .any(|s| s == expected)
}

#[test]
fn standard_webhooks_reference_vector() {
    // The example of the Standard Webhooks reference libraries' tests
    // (standard-webhooks/standard-webhooks, libraries/*/ tests).
    let key = decode_secret(&Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).unwrap();
    assert_eq!(
        sign(
            &[key],
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#
        ),
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    );
}

#[test]
fn webhook_signed_with_every_secret_and_answers_classified() {
    let srv = HttpServer::start();
    let old = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let new = format!("whsec_{}", STANDARD.encode([7u8; 32]));
    let cfg = WebhookConfig::new(
        Secret::new(format!("{}/hook", srv.url())),
        &[Secret::new(new.clone()), Secret::new(old)],
    )
    .unwrap();
    assert!(!format!("{cfg} {cfg:?}").contains("/hook"));
    let msg = message("INC-2026-11-23-1.kickoff", "kickoff");

    srv.behave("/hook", reply(204, &[], ""));
    let o = cfg.send(&msg, TIMEOUT);
    assert!(matches!(o, Outcome::Delivered { status: 204, .. }), "{o:?}");
    let r = &srv.requests()[0];
    assert_eq!(r.headers["webhook-id"], "INC-2026-11-23-1.kickoff");
    let ts: i64 = r.headers["webhook-timestamp"].parse().unwrap();
    assert!((jiff::Timestamp::now().as_second() - ts).abs() < 60);
    assert_eq!(r.headers["webhook-signature"].split(' ').count(), 2);
    assert!(verifies(&new, &r.headers, &r.body));
    assert!(verifies(old, &r.headers, &r.body));
    let v = json_body(r);
    assert_eq!(v["type"], "incident.kickoff");
    assert_eq!(v["data"]["incident"], "INC-2026-11-23-1");
    assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));

    srv.behave("/hook", reply(429, &[("Retry-After", "30")], "slow down"));
    assert_eq!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Retry {
            after: Some(Duration::from_secs(30)),
            status: 429,
            reason: "HTTP 429: slow down".into()
        }
    );
    srv.behave("/hook", reply(503, &[], "down"));
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Retry {
            status: 503,
            after: None,
            ..
        }
    ));
    srv.behave("/hook", reply(408, &[], ""));
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Retry { status: 408, .. }
    ));
    srv.behave("/hook", reply(410, &[], "gone"));
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Permanent { status: 410, .. }
    ));
    // Sent, never answered: the receiver may have it.
    srv.behave("/hook", Behaviour::Silent);
    let o = cfg.send(&msg, Duration::from_millis(500));
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    // Nothing listening: nothing was sent.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let gone = WebhookConfig::new(
        Secret::new(format!("http://127.0.0.1:{port}/hook")),
        &[Secret::new(old)],
    )
    .unwrap();
    let o = gone.send(&msg, TIMEOUT);
    assert!(matches!(o, Outcome::Retry { status: 0, .. }), "{o:?}");
}

#[test]
fn webhook_config_refuses_bad_secrets_and_plain_http() {
    assert!(WebhookConfig::new(Secret::new("https://x.example/h"), &[]).is_err());
    assert!(
        WebhookConfig::new(Secret::new("https://x.example/h"), &[Secret::new("nope")]).is_err()
    );
    assert!(
        WebhookConfig::new(
            Secret::new("http://x.example/h"),
            &[Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
        )
        .is_err()
    );
}

#[test]
fn slack_incoming_webhook() {
    let srv = HttpServer::start();
    let url = format!("{}/services/T000/B000/XXXX", srv.url());
    let cfg = SlackConfig::new(Secret::new(url)).unwrap();
    assert!(!format!("{cfg} {cfg:?}").contains("XXXX"));
    let msg = message("INC-2026-11-23-1.status.1", "status");
    srv.behave("/services/T000/B000/XXXX", reply(200, &[], "ok"));
    let o = cfg.send(&msg, TIMEOUT);
    assert!(matches!(o, Outcome::Delivered { status: 200, .. }), "{o:?}");
    let v = json_body(&srv.requests()[0]);
    assert!(
        v["text"]
            .as_str()
            .unwrap()
            .starts_with("[P1] INC-2026-11-23-1 status update")
    );
    let blocks = v["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert!(blocks[0]["text"]["text"].as_str().unwrap().chars().count() <= 150);
    for b in &blocks[1..] {
        assert_eq!(b["type"], "section");
        assert_eq!(b["text"]["type"], "mrkdwn");
        assert!(b["text"]["text"].as_str().unwrap().chars().count() <= 3000);
    }
    // Slack's documented error answers.
    srv.behave(
        "/services/T000/B000/XXXX",
        reply(404, &[], "channel_not_found"),
    );
    assert_eq!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Permanent {
            status: 404,
            reason: "HTTP 404: channel_not_found".into()
        }
    );
    srv.behave(
        "/services/T000/B000/XXXX",
        reply(400, &[], "invalid_payload"),
    );
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Permanent { status: 400, .. }
    ));
    srv.behave(
        "/services/T000/B000/XXXX",
        reply(429, &[("Retry-After", "1")], ""),
    );
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Retry { status: 429, after: Some(d), .. } if d == Duration::from_secs(1)
    ));
    srv.behave("/services/T000/B000/XXXX", reply(200, &[], "maybe"));
    assert!(matches!(cfg.send(&msg, TIMEOUT), Outcome::Unknown { .. }));
}

#[test]
fn teams_workflows_adaptive_card() {
    let srv = HttpServer::start();
    let cfg = TeamsConfig::new(Secret::new(format!("{}/workflows/abc", srv.url()))).unwrap();
    let msg = message("INC-2026-11-23-1.escalation.1", "escalation");
    srv.behave("/workflows/abc", reply(202, &[], ""));
    let o = cfg.send(&msg, TIMEOUT);
    assert!(matches!(o, Outcome::Delivered { status: 202, .. }), "{o:?}");
    let v = json_body(&srv.requests()[0]);
    assert_eq!(v["type"], "message");
    let att = &v["attachments"].as_array().unwrap()[0];
    assert_eq!(
        att["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(att["content"]["type"], "AdaptiveCard");
    assert_eq!(att["content"]["version"], "1.4");
    for b in att["content"]["body"].as_array().unwrap() {
        assert_eq!(b["type"], "TextBlock");
        assert_eq!(b["wrap"], true);
    }
    let e = TeamsConfig::new(Secret::new(
        "https://contoso.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d",
    ))
    .unwrap_err();
    assert!(e.to_string().contains("Workflows"), "{e}");
    assert!(!e.to_string().contains("IncomingWebhook/c/d"), "{e}");
}

#[test]
fn pagerduty_events_v2() {
    let srv = HttpServer::start();
    let key = "R0123456789abcdefghijklmnopqrstu";
    let mut cfg = PagerDutyConfig::new(Secret::new(key), "cverun").unwrap();
    assert!(!format!("{cfg} {cfg:?}").contains(key));
    cfg.url = format!("{}/v2/enqueue", srv.url());
    let msg = message("INC-2026-11-23-1.kickoff", "kickoff");
    srv.behave(
        "/v2/enqueue",
        reply(
            202,
            &[("Content-Type", "application/json")],
            r#"{"status":"success","message":"Event processed","dedup_key":"INC-2026-11-23-1"}"#,
        ),
    );
    let o = cfg.send(&msg, TIMEOUT);
    assert!(matches!(o, Outcome::Delivered { status: 202, .. }), "{o:?}");
    let v = json_body(&srv.requests()[0]);
    assert_eq!(v["routing_key"], key);
    assert_eq!(v["event_action"], "trigger");
    assert_eq!(v["dedup_key"], "INC-2026-11-23-1");
    let summary = v["payload"]["summary"].as_str().unwrap();
    assert!(!summary.is_empty() && summary.chars().count() <= 1024);
    assert_eq!(v["payload"]["source"], "cverun");
    assert_eq!(v["payload"]["severity"], "error", "P1 is error");
    srv.behave(
        "/v2/enqueue",
        reply(
            400,
            &[],
            r#"{"status":"invalid event","message":"Event object is invalid"}"#,
        ),
    );
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Permanent { status: 400, .. }
    ));
    srv.behave("/v2/enqueue", reply(429, &[], ""));
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Retry { status: 429, .. }
    ));
    assert!(PagerDutyConfig::new(Secret::new("short"), "cverun").is_err());
}
