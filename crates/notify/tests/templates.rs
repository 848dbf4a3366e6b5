//! Templates rendered from incidents built through the incident rules: hostile
//! data stays data in every target, strict rendering names what is missing, a
//! team's directory overrides the built-ins.

mod common;

use common::{HOSTILE, hostile, t};
use cverun_notify::channel::{OutgoingMessage, slack, teams};
use cverun_notify::template::{BUILT_IN, Target, TemplateError, context, escape::ZWJ, render};

/// Active Slack syntax the data holds: none of it may survive in Slack text.
const SLACK_ACTIVE: &[&str] = &["<!channel>", "<!here>", "<@U024BE7LH>", "<script>"];

fn no_plain_broadcast(s: &str) {
    for name in ["@here", "@everyone", "@channel"] {
        assert!(!s.contains(name), "{name} left active in {s}");
    }
}

#[test]
fn hostile_data_stays_data_in_every_template_and_target() {
    let inc = hostile();
    let ctx = context(&inc, t("2026-11-23T13:00:00Z"), None);
    for (id, _) in BUILT_IN {
        for target in Target::ALL {
            let r = render(id, None, &ctx, target).unwrap();
            let body = &r.body;
            match target {
                Target::SlackMrkdwn => {
                    for a in SLACK_ACTIVE {
                        assert!(!body.contains(a), "{id}/{target}: {a} in {body}");
                    }
                    no_plain_broadcast(body);
                }
                Target::Html | Target::Markdown => {
                    assert!(
                        !body.contains('<')
                            || body.contains("<strong>")
                            || target == Target::Markdown,
                        "{id}/{target}"
                    );
                    assert!(!body.contains("<script"), "{id}/{target}: {body}");
                    assert!(!body.contains("<!channel"), "{id}/{target}: {body}");
                }
                Target::AdaptiveCard => {
                    // Markdown link syntax from data is escaped.
                    assert!(!body.contains("[x](https"), "{id}/{target}: {body}");
                }
                Target::Text => {}
            }
        }
    }
    // The title reaches every kick-off, escaped as each target needs.
    let slack = render("kickoff", None, &ctx, Target::SlackMrkdwn).unwrap();
    assert!(slack.body.contains(&format!(
        "&lt;script&gt;alert(1)&lt;/script&gt; *bold* &lt;!channel&gt; @{ZWJ}here &lt;@U024BE7LH&gt;"
    )));
    let html = render("kickoff", None, &ctx, Target::Html).unwrap();
    assert!(html.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.body.contains("<strong>Title</strong>"));
    let text = render("kickoff", None, &ctx, Target::Text).unwrap();
    assert!(
        text.body.contains(HOSTILE),
        "plain text carries the data as it is"
    );
}

#[test]
fn payloads_built_as_json_keep_hostile_text_inert() {
    let inc = hostile();
    let ctx = context(&inc, t("2026-11-23T13:00:00Z"), None);
    let msg = OutgoingMessage::prepare("INC-2026-11-23-1.status.1", "status", None, &ctx).unwrap();
    let s = slack::payload(&msg).unwrap();
    let all = s.to_string();
    for a in SLACK_ACTIVE {
        assert!(!all.contains(a), "{a} in the Slack payload");
    }
    no_plain_broadcast(s["text"].as_str().unwrap());
    for b in s["blocks"].as_array().unwrap() {
        if b["type"] == "section" {
            no_plain_broadcast(b["text"]["text"].as_str().unwrap());
            assert_eq!(b["text"]["verbatim"], true);
        }
    }
    // The card is JSON values: parsing its serialisation gives the same text.
    let card = teams::payload(&msg).unwrap();
    let again: serde_json::Value = serde_json::from_str(&card.to_string()).unwrap();
    assert_eq!(again, card);
    let texts: Vec<&str> = card["attachments"][0]["content"]["body"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect();
    assert!(
        texts
            .iter()
            .any(|x| x.contains("\\[x\\]\\(https://evil.example\\)")),
        "{texts:?}"
    );
}

#[test]
fn strict_rendering_names_the_template_and_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("kickoff.j2"),
        "{% block subject %}{{ incident.id }}{% endblock %}\n{% block body %}owner: {{ incident.owner }}{% endblock %}",
    )
    .unwrap();
    let inc = hostile();
    let ctx = context(&inc, t("2026-11-23T13:00:00Z"), None);
    let e = render("kickoff", Some(dir.path()), &ctx, Target::Text).unwrap_err();
    match &e {
        TemplateError::Undefined {
            template,
            variable,
            line,
            ..
        } => {
            assert_eq!(template, "kickoff");
            assert_eq!(variable, "incident.owner");
            assert_eq!(*line, 2);
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("kickoff.j2"), "{e}");
    // A top-level name.
    std::fs::write(
        dir.path().join("custom.j2"),
        "{% block subject %}x{% endblock %}{% block body %}{{ nobody }}{% endblock %}",
    )
    .unwrap();
    let e = render("custom", Some(dir.path()), &ctx, Target::Text).unwrap_err();
    assert!(e.to_string().contains("undefined variable nobody"), "{e}");
    // A template without a body block.
    std::fs::write(
        dir.path().join("nobody.j2"),
        "{% block subject %}x{% endblock %}",
    )
    .unwrap();
    let e = render("nobody", Some(dir.path()), &ctx, Target::Text).unwrap_err();
    assert!(
        matches!(e, TemplateError::MissingBlock { block: "body", .. }),
        "{e}"
    );
}

#[test]
fn a_team_directory_overrides_and_extends() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("status.j2"),
        "{% block subject %}Ours {{ incident.id }}{% endblock %}{% block body %}{{ incident.title | bold }}{% endblock %}",
    )
    .unwrap();
    let inc = common::Fixture::new("Requests leaks <auth>").state();
    let ctx = context(&inc, t("2026-11-23T13:00:00Z"), None);
    let r = render("status", Some(dir.path()), &ctx, Target::SlackMrkdwn).unwrap();
    assert_eq!(r.subject, "Ours INC-2026-11-23-1");
    assert_eq!(r.body, "*Requests leaks &lt;auth&gt;*");
    assert!(r.source.ends_with("status.j2"));
    // Others stay built in.
    let k = render("kickoff", Some(dir.path()), &ctx, Target::Text).unwrap();
    assert_eq!(k.source, "built-in");
}

#[test]
fn the_kickoff_in_plain_text() {
    // The built-in runbook at P1 (crates/incident/src/runbook.rs): deadlines
    // from the declaration at 12:00, status updates every hour.
    let inc = common::Fixture::new("Requests: Session verify=False persists").state();
    let ctx = context(&inc, t("2026-11-23T12:05:00Z"), None);
    let r = render("kickoff", None, &ctx, Target::Text).unwrap();
    assert_eq!(
        r.subject,
        "[P1] INC-2026-11-23-1 declared: GHSA-9wx4-h78v-vm56 Requests: Session verify=False persists"
    );
    let first: Vec<&str> = r.body.lines().take(6).collect();
    assert_eq!(
        first,
        [
            "Incident declared: INC-2026-11-23-1 (P1), phase Containment",
            "Advisory: GHSA-9wx4-h78v-vm56 (CVE-2024-35195)",
            "Title: Requests: Session verify=False persists",
            "Services: checkout, cart",
            "Declared: 2026-11-23 12:00 UTC by alice",
            "Roles:",
        ]
    );
    assert!(r.body.contains("- incident commander: alice"), "{}", r.body);
    assert!(r.body.contains("Next update by "), "{}", r.body);
}

/// Hostile text in the advisory title, a status update, a note and a person's
/// handle (the commander, shown in roles and messages): in every built-in
/// template, no channel payload carries an active mention or HTML.
#[test]
fn hostile_data_is_inert_in_every_channel_payload() {
    use cverun_incident::chain::GENESIS;
    use cverun_incident::rules::{act, declare};
    use cverun_incident::{
        Action, AssignedPriority, Declaration, Event, Incident, Priority, Runbook,
    };
    use cverun_notify::channel::{email, pagerduty, webhook};

    // A handle has no spaces; this one is all markup.
    const HANDLE: &str = "<!channel>*bold*@here<script>alert(2)</script>";
    let runbook = Runbook::from_toml(
        std::path::Path::new("runbook.toml"),
        &format!(
            "[[person]]\nhandle = {HANDLE:?}\nname = {HOSTILE:?}\nroles = [\"commander\", \"communications-lead\"]\n"
        ),
    )
    .unwrap();
    let d = Declaration {
        advisory: "GHSA-9wx4-h78v-vm56".into(),
        priority: AssignedPriority::declared_by(Priority::P1, HANDLE),
        title: Some(HOSTILE.into()),
        description: None,
        commander: Some(HANDLE.into()),
        services: vec!["checkout".into()],
        published: None,
        detected: None,
        aliases: Vec::new(),
        scope: None,
        duplicate: None,
    };
    let mut events: Vec<Event> = Vec::new();
    let push = |events: &mut Vec<Event>, bodies: Vec<cverun_incident::EventBody>| {
        for b in bodies {
            let prev = events
                .last()
                .map(|e| e.hash.clone())
                .unwrap_or_else(|| GENESIS.into());
            let seq = events.len() as u64 + 1;
            events.push(Event::new(
                "INC-2026-11-23-1",
                seq,
                t("2026-11-23T12:00:00Z"),
                HANDLE,
                &b,
                &prev,
            ));
        }
    };
    push(
        &mut events,
        declare(&d, &runbook, t("2026-11-23T12:00:00Z")).unwrap(),
    );
    for a in [
        Action::Update {
            message: format!("update: {HOSTILE}"),
            eta: None,
        },
        Action::Note {
            text: format!("note: {HOSTILE}"),
            section: None,
        },
    ] {
        let inc = Incident::from_events(&events).unwrap();
        let bodies = act(&inc, &a, HANDLE, t("2026-11-23T12:00:00Z")).unwrap();
        push(&mut events, bodies);
    }
    let inc = Incident::from_events(&events).unwrap();
    assert_eq!(
        inc.holder(cverun_incident::Role::Commander).unwrap().name,
        HANDLE
    );
    let ctx = context(&inc, t("2026-11-23T13:00:00Z"), None);

    // Slack parses `<...>` and plain broadcasts in mrkdwn (and the fallback text).
    let slack_inert = |what: &str, s: &str| {
        for a in [
            "<!channel>",
            "<!here>",
            "<@U024BE7LH>",
            "<script",
            "<!everyone>",
        ] {
            assert!(!s.contains(a), "{what}: {a} in {s}");
        }
        no_plain_broadcast(s);
    };
    for (id, _) in BUILT_IN {
        let msg =
            OutgoingMessage::prepare(&format!("INC-2026-11-23-1.{id}"), id, None, &ctx).unwrap();

        let s = slack::payload(&msg).unwrap();
        slack_inert(&format!("{id} slack text"), s["text"].as_str().unwrap());
        for b in s["blocks"].as_array().unwrap() {
            let text = b["text"]["text"].as_str().unwrap();
            match b["text"]["type"].as_str() {
                // Parsed by Slack: nothing active may remain.
                Some("mrkdwn") => slack_inert(&format!("{id} slack section"), text),
                // The header: plain text, shown as written (Slack parses neither
                // mentions nor formatting in it).
                Some("plain_text") => assert_eq!(b["type"], "header", "{id}: {b}"),
                other => panic!("{id}: a Slack text object of type {other:?}"),
            }
        }

        // Teams: a card is JSON values; TextBlocks render a Markdown subset and no
        // HTML. No mention entities, data's Markdown escaped.
        let card = teams::payload(&msg).unwrap();
        let all = card.to_string();
        assert!(
            !all.contains("msteams") && !all.contains("<at>"),
            "{id} teams: {all}"
        );
        for b in card["attachments"][0]["content"]["body"]
            .as_array()
            .unwrap()
        {
            let text = b["text"].as_str().unwrap_or_default();
            assert!(!text.contains("[x](https"), "{id} teams: {text}");
            assert!(!text.contains(" *bold* "), "{id} teams: {text}");
        }

        // Email: the HTML part has entities where the data had markup.
        let mail = email::preview(&msg);
        let (_, html) = mail.split_once("--- text/html ---").unwrap();
        for a in ["<script", "<!channel", "<@U024BE7LH"] {
            assert!(!html.contains(a), "{id} email html: {a} in {html}");
        }
        if html.contains("alert") {
            assert!(html.contains("&lt;script&gt;"), "{id} email html: {html}");
        }

        // Webhook: the Markdown rendering is escaped; the rest is JSON strings.
        let hook = webhook::payload(&msg, 1_795_000_000);
        let md = hook["data"]["markdown"].as_str().unwrap();
        for a in ["<script", "<!channel", " *bold* ", "[x](https"] {
            assert!(!md.contains(a), "{id} webhook markdown: {a} in {md}");
        }
        let again: serde_json::Value = serde_json::from_str(&hook.to_string()).unwrap();
        assert_eq!(again, hook, "{id}: the webhook body is JSON values");

        // PagerDuty: the summary is plain text (shown as text, never parsed),
        // the subject as rendered, within the API's limit; no markup added.
        let pd = pagerduty::payload(&msg, "k", "cverun", pagerduty::EventAction::Trigger);
        let summary = pd["payload"]["summary"].as_str().unwrap();
        assert_eq!(
            summary,
            msg.subject().chars().take(1024).collect::<String>()
        );
        assert!(
            !summary.contains("&lt;") && !summary.contains("**"),
            "{id}: {summary}"
        );
        let details = pd["payload"]["custom_details"]["message"].as_str().unwrap();
        assert!(
            !details.contains("<strong>") && !details.contains("&lt;"),
            "{id}: {details}"
        );
    }
    // The hostile handle and update do reach the messages, shown, not active.
    let kickoff = render("kickoff", None, &ctx, Target::SlackMrkdwn)
        .unwrap()
        .body;
    assert!(
        kickoff.contains(&format!("&lt;!channel&gt;*bold*@{ZWJ}here&lt;script&gt;")),
        "{kickoff}"
    );
    let status = render("status", None, &ctx, Target::Html).unwrap().body;
    assert!(
        status.contains("update: &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{status}"
    );
}
