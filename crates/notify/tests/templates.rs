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
