//! The Slack bot channel against a stateful fake of Slack's Web API on
//! loopback: channels created and listed, messages stored with their metadata,
//! history and replies read back. Every request is checked against the Web
//! API's documented contract (method, path, bearer token, content type,
//! JSON shape and Block Kit limits, metadata, `thread_ts` of the incident's
//! kick-off for every later message); failures are answered on demand.

mod common;

use std::time::Duration;

use cverun_notify::channel::slack_bot::{Conversation, SlackBotConfig};
use cverun_notify::channel::{Channel, Lookup, Outcome, OutgoingMessage, Secret};
use cverun_notify::template::{Target, context};
use cverun_testkit::slack::{Msg, Script, SlackFake};
use serde_json::json;

const TOKEN: &str = "xoxb-1111-2222-testtoken";
const TIMEOUT: Duration = Duration::from_secs(5);
/// A short wait for the requests the fake never answers.
const HANG: Duration = Duration::from_millis(800);
/// Items per page the fake returns (fewer than asked, as Slack may).
const PAGE: usize = 3;
const INCIDENT: &str = "INC-2026-11-23-1";
const WAR_ROOM: &str = "inc-inc-2026-11-23-1";

fn message(template: &str) -> OutgoingMessage {
    let inc = common::hostile();
    let ctx = context(&inc, common::t("2026-11-23T13:00:00Z"), None);
    let key = format!("cverun-{INCIDENT}-7-war-room-{template}");
    OutgoingMessage::prepare(&key, template, None, &ctx).unwrap()
}

/// The declaration time of the fixture (12:00:00Z) as Unix seconds.
fn declared() -> i64 {
    common::t("2026-11-23T12:00:00Z").as_second()
}

/// The fake, its messages' `ts` a minute after the fixture's declaration.
fn start() -> SlackFake {
    SlackFake::start(TOKEN, declared(), PAGE)
}

fn pattern(fake: &SlackFake) -> SlackBotConfig {
    SlackBotConfig::new(
        Secret::new(TOKEN),
        Conversation::Pattern {
            pattern: "inc-{incident}".into(),
            private: false,
        },
        Some(&fake.api()),
    )
    .unwrap()
}

fn fixed(fake: &SlackFake, id: &str) -> SlackBotConfig {
    SlackBotConfig::new(
        Secret::new(TOKEN),
        Conversation::Id(id.into()),
        Some(&fake.api()),
    )
    .unwrap()
}

fn delivered(o: &Outcome) -> bool {
    matches!(o, Outcome::Delivered { status: 200, .. })
}

#[test]
fn kickoff_opens_the_war_room_and_later_messages_reply_in_its_thread() {
    let fake = start();
    for name in ["general", "random", "inc-inc-2026-11-22-9"] {
        fake.channel(name, true, false);
    }
    let kickoff = message("kickoff");
    let status = message("status");
    let escalation = message("escalation");

    let cfg = pattern(&fake);
    let o = cfg.send(&kickoff, TIMEOUT);
    assert!(delivered(&o), "{o:?}");
    let room = fake.channel_id(WAR_ROOM).expect("the war room was created");
    let create = fake.srv.calls("/conversations.create");
    assert_eq!(create.len(), 1);
    assert_eq!(create[0].json().unwrap()["name"], WAR_ROOM);
    let root = &fake.posted(&kickoff.key)[0];
    assert_eq!(root.channel, room);
    assert_eq!(root.thread_ts, None);
    assert_eq!(
        root.metadata,
        json!({"event_type": "cverun_message", "event_payload": {
            "key": kickoff.key, "incident": INCIDENT, "template": "kickoff"}})
    );
    let sent = fake.srv.calls("/chat.postMessage");
    let body = sent[0].json().unwrap();
    assert_eq!(body["blocks"][0]["type"], "header");
    // The data's mentions are shown, never parsed: escaped in mrkdwn (the
    // header block is plain text).
    assert!(!body["text"].as_str().unwrap().contains("<!channel>"));
    assert!(body["text"].as_str().unwrap().contains("&lt;!channel&gt;"));
    assert!(!body["blocks"][1].to_string().contains("<!channel>"));

    let o = cfg.send(&status, TIMEOUT);
    assert!(delivered(&o), "{o:?}");
    let reply = &fake.posted(&status.key)[0];
    // The worker that posted the kick-off remembers its ts: no history read.
    assert!(fake.srv.calls("/conversations.history").is_empty());
    assert_eq!(reply.channel, room);
    assert_eq!(reply.thread_ts.as_deref(), Some(root.ts.as_str()));

    // Another worker (nothing remembered): the channel exists (name_taken),
    // is found by listing every page, and the kick-off by its metadata.
    let other = pattern(&fake);
    let lists_before = fake.srv.calls("/conversations.list").len();
    let o = other.send(&escalation, TIMEOUT);
    assert!(delivered(&o), "{o:?}");
    assert_eq!(fake.srv.calls("/conversations.create").len(), 2);
    let lists = fake.srv.calls("/conversations.list");
    assert_eq!(
        lists.len() - lists_before,
        2,
        "the war room is on the second page"
    );
    assert_eq!(lists.last().unwrap().q("cursor"), Some("c3"));
    let e = &fake.posted(&escalation.key)[0];
    assert_eq!(e.thread_ts.as_deref(), Some(root.ts.as_str()));
    // History is read from the declaration (less ten minutes) on.
    let h = fake.srv.calls("/conversations.history");
    assert_eq!(
        h.last().unwrap().q("oldest"),
        Some((declared() - 600).to_string().as_str())
    );

    // Lookups, by a third worker: each message is found by its key, at the
    // top level or in the thread; one never sent is not.
    let third = pattern(&fake);
    for m in [&kickoff, &status, &escalation] {
        assert_eq!(third.find_sent(m, TIMEOUT), Lookup::Found, "{}", m.key);
    }
    assert!(
        !fake.srv.calls("/conversations.replies").is_empty(),
        "threaded messages are found among the replies"
    );
    let resolution = message("resolution");
    assert_eq!(third.find_sent(&resolution, TIMEOUT), Lookup::NotFound);
    // A lookup never creates a channel: another incident's does not exist.
    let mut elsewhere = message("status");
    elsewhere.incident = "INC-2026-11-24-2".into();
    assert_eq!(
        pattern(&fake).find_sent(&elsewhere, TIMEOUT),
        Lookup::NotFound
    );
    assert_eq!(fake.srv.calls("/conversations.create").len(), 2);
    assert_eq!(fake.messages().len(), 3);
    fake.no_violations();
}

#[test]
fn a_post_left_unanswered_is_unknown_then_found_and_never_posted_twice() {
    let fake = start();
    let cfg = pattern(&fake);
    let kickoff = message("kickoff");
    assert!(delivered(&cfg.send(&kickoff, TIMEOUT)));

    // The receiver stores the threaded status update and never answers.
    let status = message("status");
    fake.script("chat.postMessage", Script::ActAndHang);
    let o = cfg.send(&status, HANG);
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    // What a worker does with an unknown outcome: look it up before any retry.
    let lookup = pattern(&fake).find_sent(&status, TIMEOUT);
    assert_eq!(lookup, Lookup::Found);
    assert_eq!(fake.posted(&status.key).len(), 1);

    // The receiver drops the request and never answers: not found, so it is
    // sent again, once, in the thread.
    let escalation = message("escalation");
    fake.script("chat.postMessage", Script::Hang);
    let o = cfg.send(&escalation, HANG);
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    assert_eq!(cfg.find_sent(&escalation, TIMEOUT), Lookup::NotFound);
    assert!(delivered(&cfg.send(&escalation, TIMEOUT)));
    let e = fake.posted(&escalation.key);
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].thread_ts,
        Some(fake.posted(&kickoff.key)[0].ts.clone())
    );
    assert_eq!(cfg.find_sent(&escalation, TIMEOUT), Lookup::Found);

    // A kick-off (top level) in a fixed channel, the same way.
    let fixed_id = fake.channel("security-incidents", true, true);
    let fixed = fixed(&fake, &fixed_id);
    fake.script("chat.postMessage", Script::ActAndHang);
    assert!(matches!(
        fixed.send(&kickoff, HANG),
        Outcome::Unknown { .. }
    ));
    assert_eq!(fixed.find_sent(&kickoff, TIMEOUT), Lookup::Found);
    assert_eq!(
        fake.messages()
            .iter()
            .filter(|m| m.channel == fixed_id)
            .count(),
        1
    );
    fake.no_violations();
}

#[test]
fn answers_are_classified_and_a_failure_posts_nothing() {
    let fake = start();
    let room = fake.channel("war-room", true, false);
    let cfg = fixed(&fake, &room);
    let kickoff = message("kickoff");

    fake.script("chat.postMessage", Script::Http(429, Some(7)));
    assert!(matches!(
        cfg.send(&kickoff, TIMEOUT),
        Outcome::Retry { after: Some(d), status: 429, .. } if d == Duration::from_secs(7)
    ));
    fake.script("chat.postMessage", Script::Error("ratelimited", Some(3)));
    assert!(matches!(
        cfg.send(&kickoff, TIMEOUT),
        Outcome::Retry { after: Some(d), status: 200, .. } if d == Duration::from_secs(3)
    ));
    for e in ["internal_error", "fatal_error", "service_unavailable"] {
        fake.script("chat.postMessage", Script::Error(e, None));
        let o = cfg.send(&kickoff, TIMEOUT);
        assert!(
            matches!(&o, Outcome::Retry { reason, .. } if reason.contains(e)),
            "{o:?}"
        );
    }
    fake.script("chat.postMessage", Script::Http(503, None));
    assert!(matches!(
        cfg.send(&kickoff, TIMEOUT),
        Outcome::Retry { status: 503, .. }
    ));
    for e in [
        "invalid_auth",
        "not_authed",
        "is_archived",
        "msg_too_long",
        "invalid_blocks",
        "restricted_action",
    ] {
        fake.script("chat.postMessage", Script::Error(e, None));
        let o = cfg.send(&kickoff, TIMEOUT);
        assert!(
            matches!(&o, Outcome::Permanent { reason, status: 200 } if reason.contains(e)),
            "{o:?}"
        );
    }
    // The fake's own answers: no such channel; a channel without the bot.
    let o = fixed(&fake, "C99999999").send(&kickoff, TIMEOUT);
    assert!(
        matches!(&o, Outcome::Permanent { reason, .. } if reason.contains("channel_not_found"))
    );
    let outside = fake.channel("elsewhere", false, false);
    let o = fixed(&fake, &outside).send(&kickoff, TIMEOUT);
    assert!(matches!(&o, Outcome::Permanent { reason, .. } if reason.contains("not_in_channel")));
    assert!(fake.messages().is_empty());

    // Failures before posting are retries at worst, and post nothing.
    let pattern = pattern(&fake);
    fake.script("conversations.create", Script::Error("invalid_auth", None));
    assert!(matches!(
        pattern.send(&kickoff, TIMEOUT),
        Outcome::Permanent { .. }
    ));
    fake.script("conversations.create", Script::Hang);
    let o = pattern.send(&kickoff, HANG);
    assert!(matches!(o, Outcome::Retry { status: 0, .. }), "{o:?}");
    fake.script(
        "conversations.history",
        Script::Error("ratelimited", Some(1)),
    );
    let o = cfg.send(&message("status"), TIMEOUT);
    assert!(
        matches!(&o, Outcome::Retry { reason, .. } if reason.contains("ratelimited")),
        "{o:?}"
    );
    assert!(fake.messages().is_empty());

    // A message Slack would refuse (over 40,000 characters) is refused before
    // any call.
    let mut huge = message("kickoff");
    huge.rendered.get_mut(&Target::SlackMrkdwn).unwrap().body = "word ".repeat(9000);
    let calls = fake.srv.requests().len();
    assert!(matches!(
        pattern.send(&huge, TIMEOUT),
        Outcome::Permanent { status: 0, .. }
    ));
    assert_eq!(fake.srv.requests().len(), calls);

    assert!(delivered(&cfg.send(&kickoff, TIMEOUT)));
    assert_eq!(fake.messages().len(), 1);
    fake.no_violations();
}

#[test]
fn lookups_fail_closed() {
    let fake = start();
    let room = fake.channel("war-room", true, false);
    let cfg = fixed(&fake, &room);
    let kickoff = message("kickoff");
    // 40 other messages since the declaration: more than the pages a lookup
    // reads (10 of 3 here), so it cannot tell.
    {
        let mut st = fake.state.lock().unwrap();
        for i in 0..40 {
            let ts = st.ts();
            st.messages.push(Msg {
                channel: room.clone(),
                ts,
                thread_ts: None,
                metadata: json!({"event_type": "other_app", "event_payload": {"n": i}}),
                pinned: false,
                updates: 0,
            });
        }
    }
    let o = cfg.find_sent(&kickoff, TIMEOUT);
    assert!(
        matches!(&o, Lookup::Failed { reason } if reason.contains("cannot tell")),
        "{o:?}"
    );
    assert_eq!(fake.srv.calls("/conversations.history").len(), 10);

    let quiet = fake.channel("quiet", true, false);
    fake.script(
        "conversations.history",
        Script::Error("ratelimited", Some(5)),
    );
    let o = fixed(&fake, &quiet).find_sent(&kickoff, TIMEOUT);
    assert!(
        matches!(&o, Lookup::Failed { reason } if reason.contains("ratelimited")),
        "{o:?}"
    );
    fake.script("conversations.history", Script::Hang);
    assert!(matches!(
        fixed(&fake, &quiet).find_sent(&kickoff, HANG),
        Lookup::Failed { .. }
    ));
    fake.script("conversations.list", Script::Http(500, None));
    assert!(matches!(
        pattern(&fake).find_sent(&kickoff, TIMEOUT),
        Lookup::Failed { .. }
    ));
    assert_eq!(
        fixed(&fake, &quiet).find_sent(&kickoff, TIMEOUT),
        Lookup::NotFound
    );
    fake.no_violations();
}

fn status_at(n: u32, at: &str) -> OutgoingMessage {
    let inc = common::hostile();
    let ctx = context(&inc, common::t(at), None);
    let key = format!("cverun-{INCIDENT}-{n}-war-room-status");
    OutgoingMessage::prepare(&key, "status", None, &ctx).unwrap()
}

#[test]
fn status_updates_edit_one_pinned_message_in_place() {
    let fake = start();
    let cfg = pattern(&fake).with_pinned_status(true);
    let kickoff = message("kickoff");
    assert!(delivered(&cfg.send(&kickoff, TIMEOUT)));
    let root = fake.posted(&kickoff.key)[0].ts.clone();

    let s1 = status_at(10, "2026-11-23T13:00:00Z");
    assert!(delivered(&cfg.send(&s1, TIMEOUT)));
    let b = fake.boards();
    assert_eq!(b.len(), 1);
    assert!(b[0].pinned);
    assert_eq!(b[0].thread_ts.as_deref(), Some(root.as_str()));
    assert_eq!(b[0].metadata["event_payload"]["keys"], json!([s1.key]));

    let s2 = status_at(11, "2026-11-23T14:00:00Z");
    assert!(delivered(&cfg.send(&s2, TIMEOUT)));
    assert_eq!(fake.messages().len(), 2, "edited, not posted");
    let b = &fake.boards()[0];
    assert_eq!(b.updates, 1);
    assert_eq!(b.key(), s2.key);
    assert_eq!(b.metadata["event_payload"]["keys"], json!([s1.key, s2.key]));
    assert_eq!(b.metadata["event_payload"]["at"], "2026-11-23T14:00:00Z");

    // Another worker finds both updates by their keys, and a replay of the
    // last changes nothing.
    let other = pattern(&fake).with_pinned_status(true);
    assert_eq!(other.find_sent(&s1, TIMEOUT), Lookup::Found);
    assert_eq!(other.find_sent(&s2, TIMEOUT), Lookup::Found);
    assert!(delivered(&other.send(&s2, TIMEOUT)));
    assert_eq!(fake.srv.calls("/chat.update").len(), 1);

    // A late update, older than what is pinned, never overwrites it: posted
    // in the thread as a message of its own.
    let s0 = status_at(9, "2026-11-23T12:30:00Z");
    assert!(delivered(&other.send(&s0, TIMEOUT)));
    let late = fake.posted(&s0.key);
    assert_eq!(late.len(), 1);
    assert!(!late[0].board());
    assert_eq!(late[0].thread_ts.as_deref(), Some(root.as_str()));
    assert_eq!(fake.boards()[0].key(), s2.key);

    // An edit left unanswered: found by its key before any retry.
    let s3 = status_at(12, "2026-11-23T15:00:00Z");
    fake.script("chat.update", Script::ActAndHang);
    assert!(matches!(cfg.send(&s3, HANG), Outcome::Unknown { .. }));
    assert_eq!(other.find_sent(&s3, TIMEOUT), Lookup::Found);
    assert_eq!(fake.boards().len(), 1);
    assert_eq!(fake.boards()[0].updates, 2);
    assert_eq!(fake.messages().len(), 3);
    fake.no_violations();
}

#[test]
fn a_pin_that_fails_is_retried_without_posting_twice() {
    let fake = start();
    let cfg = pattern(&fake).with_pinned_status(true);
    assert!(delivered(&cfg.send(&message("kickoff"), TIMEOUT)));
    let s1 = status_at(10, "2026-11-23T13:00:00Z");
    fake.script("pins.add", Script::Error("ratelimited", Some(2)));
    let o = cfg.send(&s1, TIMEOUT);
    assert!(
        matches!(&o, Outcome::Retry { reason, .. } if reason.contains("not pinned")),
        "{o:?}"
    );
    assert_eq!(fake.boards().len(), 1);
    assert!(!fake.boards()[0].pinned);
    assert!(delivered(&cfg.send(&s1, TIMEOUT)));
    assert_eq!(fake.boards().len(), 1);
    assert!(fake.boards()[0].pinned);
    assert_eq!(
        fake.srv.calls("/chat.postMessage").len(),
        2,
        "kick-off and status once each"
    );
    fake.no_violations();
}
