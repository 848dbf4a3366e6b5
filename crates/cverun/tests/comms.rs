//! `cverun comms render` through the real binary, on an incident declared with
//! the simulated clock in a fresh state directory.

mod common;

use std::path::Path;

use common::{Run, bin};
use serde_json::Value;

const ID: &str = "INC-2026-11-23-1";
const TITLE: &str = "<script>alert(1)</script> <!channel> @here <@U024BE7LH>";

fn cverun(dir: &Path, args: &[&str]) -> Run {
    let out = bin()
        .current_dir(dir)
        .env("CVERUN_NOW", "2026-11-23T12:30:00Z")
        .env("CVERUN_ACTOR", "alice")
        .env_remove("CVERUN_DATABASE_URL")
        .env_remove("CVERUN_INCIDENT_KEY")
        .env_remove("CVERUN_INCIDENT_KEY_FILE")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn declared() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = cverun(
        dir.path(),
        &[
            "incident",
            "declare",
            "--advisory",
            "GHSA-9wx4-h78v-vm56",
            "--priority",
            "P1",
            "--title",
            TITLE,
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!("declared {ID} P1")),
        "{}",
        r.stdout
    );
    dir
}

fn render(dir: &Path, args: &[&str]) -> Run {
    let mut a = vec!["comms", "render", ID];
    a.extend_from_slice(args);
    let r = cverun(dir, &a);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    r
}

#[test]
fn renders_what_each_channel_would_send() {
    let dir = declared();
    let d = dir.path();

    let text = render(d, &["kickoff"]).stdout;
    assert!(
        text.starts_with(&format!(
            "[P1] {ID} declared: GHSA-9wx4-h78v-vm56 {TITLE}\n\n"
        )),
        "{text}"
    );

    let slack: Value =
        serde_json::from_str(&render(d, &["status", "--channel", "slack"]).stdout).unwrap();
    let all = slack.to_string();
    for active in ["<!channel>", "<@U024BE7LH>", "<script>"] {
        assert!(!all.contains(active), "{active} in {all}");
    }
    assert!(all.contains("&lt;!channel&gt;"), "{all}");
    assert_eq!(slack["blocks"][0]["type"], "header");

    let teams: Value =
        serde_json::from_str(&render(d, &["escalation", "--channel", "teams"]).stdout).unwrap();
    assert_eq!(
        teams["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );

    let pd: Value =
        serde_json::from_str(&render(d, &["kickoff", "--channel", "pagerduty"]).stdout).unwrap();
    assert_eq!(pd["dedup_key"], ID);
    assert_eq!(pd["event_action"], "trigger");
    assert_eq!(pd["payload"]["severity"], "error");
    assert_eq!(pd["routing_key"], "<routing key from the configuration>");

    let hook: Value =
        serde_json::from_str(&render(d, &["resolution", "--channel", "webhook"]).stdout).unwrap();
    assert_eq!(hook["type"], "incident.resolution");
    assert_eq!(hook["timestamp"], "2026-11-23T12:30:00Z");

    let mail = render(d, &["status", "--channel", "email"]).stdout;
    assert!(
        mail.contains(&format!("Message-ID: <{ID}.status@cverun>")),
        "{mail}"
    );
    assert!(
        mail.contains(&format!("In-Reply-To: <{ID}@cverun>")),
        "{mail}"
    );
    let (_, html) = mail.split_once("--- text/html ---").unwrap();
    assert!(
        html.contains("&lt;script&gt;") && !html.contains("<script>"),
        "{html}"
    );
}

#[test]
fn a_team_template_and_its_errors() {
    let dir = declared();
    let d = dir.path();
    let t = d.join("templates");
    std::fs::create_dir_all(&t).unwrap();
    std::fs::write(
        t.join("status.j2"),
        "{% block subject %}{{ incident.id }} {{ incident.phase }}{% endblock %}{% block body %}by {{ incident.owner }}{% endblock %}",
    )
    .unwrap();
    let r = cverun(
        d,
        &[
            "comms",
            "render",
            ID,
            "status",
            "--templates",
            t.to_str().unwrap(),
        ],
    );
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("undefined variable incident.owner") && r.stderr.contains("status.j2"),
        "{}",
        r.stderr
    );
    let r = cverun(d, &["comms", "render", ID, "nope"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("no template \"nope\""), "{}", r.stderr);
    let r = cverun(d, &["comms", "render", "INC-2026-11-23-9", "kickoff"]);
    assert_ne!(r.code, 0);
}
