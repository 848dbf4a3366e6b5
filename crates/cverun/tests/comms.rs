//! `cverun comms render` through the real binary, on an incident declared with
//! the simulated clock in a fresh state directory.

mod common;

use std::path::Path;

use common::{Run, bin};
use serde_json::Value;

const ID: &str = "INC-2026-11-23-1";
const TITLE: &str = "<script>alert(1)</script> <!channel> @here <@U024BE7LH>";

fn cverun(dir: &Path, args: &[&str]) -> Run {
    cverun_in(dir, None, args)
}

/// `cverun` on the SQLite store of `dir`, or on the PostgreSQL store `db`.
fn cverun_in(dir: &Path, db: Option<&str>, args: &[&str]) -> Run {
    let mut c = bin();
    c.current_dir(dir)
        .env("CVERUN_NOW", "2026-11-23T12:30:00Z")
        .env("CVERUN_ACTOR", "alice")
        .env_remove("CVERUN_DATABASE_URL")
        .env_remove("CVERUN_INCIDENT_KEY")
        .env_remove("CVERUN_INCIDENT_KEY_FILE");
    if let Some(url) = db {
        c.env("CVERUN_DATABASE_URL", url);
    }
    let out = c.args(args).output().unwrap();
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

const ROSTER: &str = r#"
[[person]]
handle = "alice"
name = "Alice Martin"
roles = ["commander"]

[[person]]
handle = "carol"
name = "Carol Chen"
roles = ["communications-lead"]

[[person]]
handle = "lena"
name = "Lena Novak"
roles = ["legal"]
"#;

/// An incident declared under a runbook whose roster has a communications
/// lead and a legal counsel.
fn declared_with_roster(db: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join(".cverun")).unwrap();
    std::fs::write(dir.path().join(".cverun/runbook.toml"), ROSTER).unwrap();
    let r = cverun_in(
        dir.path(),
        db,
        &[
            "incident",
            "declare",
            "--advisory",
            "GHSA-9wx4-h78v-vm56",
            "--priority",
            "P1",
            "--commander",
            "alice",
            "--title",
            TITLE,
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    dir
}

/// The value after `prefix` on the line holding it, up to the next space.
fn after<'a>(text: &'a str, prefix: &str) -> &'a str {
    let i = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} not in {text}"));
    text[i + prefix.len()..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '\\')
        .next()
        .unwrap()
}

fn a_customer_notice_is_drafted_held_shown_and_approved_by_its_hash(db: Option<&str>) {
    let dir = declared_with_roster(db);
    let d = dir.path();
    let cverun = |d: &Path, args: &[&str]| cverun_in(d, db, args);
    let r = cverun(
        d,
        &[
            "comms",
            "draft",
            ID,
            "customer-notice",
            "--channel",
            "mail",
            "--audience",
            "customers",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let message = format!("{ID}/3");
    assert!(
        r.stdout.contains(&format!(
            "queued {message}: customer-notice to customers via mail, held"
        )),
        "{}",
        r.stdout
    );
    let sha = after(&r.stdout, "body sha256 ").to_owned();
    assert_eq!(sha.len(), 64);

    let shown = cverun(d, &["comms", "show", &message]);
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let out = &shown.stdout;
    assert!(
        out.contains(&format!("body sha256 {sha} (as the timeline recorded it)")),
        "{out}"
    );
    assert!(out.contains("missing: communications-lead"), "{out}");
    assert!(
        out.contains("Subject: Security notice: GHSA-9wx4-h78v-vm56"),
        "{out}"
    );
    assert!(
        out.contains("We are responding to a published vulnerability"),
        "{out}"
    );
    // The text rendering carries the full chain head of its time.
    let head = after(out, &format!("Record of {ID}: ")).to_owned();
    assert!(head.starts_with("2:") && head.len() == 2 + 64, "{head}");

    // A wrong hash is refused, naming both.
    let wrong = "ab".repeat(32);
    let r = cverun(
        d,
        &[
            "comms", "approve", &message, "--sha256", &wrong, "--actor", "carol",
        ],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&wrong[..12]) && r.stderr.contains(&sha[..12]),
        "{}",
        r.stderr
    );
    // Someone without the role is refused.
    let r = cverun(
        d,
        &[
            "comms", "approve", &message, "--sha256", &sha, "--actor", "lena",
        ],
    );
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("may not approve"), "{}", r.stderr);

    let r = cverun(
        d,
        &[
            "comms", "approve", &message, "--sha256", &sha, "--actor", "carol",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!("approved {message} (customer-notice to customers via mail) as communications-lead by carol: body sha256 {sha}")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("the message is pending"), "{}", r.stdout);
    let shown = cverun(d, &["comms", "show", &message]).stdout;
    assert!(shown.contains(", pending"), "{shown}");
    assert!(
        shown.contains("approved as communications-lead by carol"),
        "{shown}"
    );
    let timeline = cverun(d, &["incident", "timeline", ID]).stdout;
    assert!(
        timeline.contains(&format!(
            "message {message} approved as communications-lead"
        )),
        "{timeline}"
    );

    // The head the message carried still verifies, in full.
    let r = cverun(d, &["incident", "verify", ID, "--expect", &head]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("the chain reaches the expected head"),
        "{}",
        r.stdout
    );
}

fn verify_expect_takes_the_head_out_of_a_rendered_message(db: Option<&str>) {
    let dir = declared_with_roster(db);
    let d = dir.path();
    let cverun = |d: &Path, args: &[&str]| cverun_in(d, db, args);
    let slack = cverun(d, &["comms", "render", ID, "status", "--channel", "slack"]).stdout;
    let short = after(&slack, "record ").to_owned();
    assert!(short.starts_with("2:") && short.len() == 2 + 12, "{short}");
    let r = cverun(
        d,
        &[
            "incident",
            "verify",
            ID,
            "--expect",
            &format!("record {short}"),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let json = cverun(
        d,
        &[
            "incident", "verify", ID, "--expect", &short, "--format", "json",
        ],
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["expected"]["seq"], 2);

    // More events later: the old head still holds.
    let r = cverun(d, &["incident", "note", ID, "vendor confirms"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = cverun(d, &["incident", "verify", ID, "--expect", &short]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);

    // A wrong hash, or a seq the timeline does not reach, fails with exit 1.
    let r = cverun(d, &["incident", "verify", ID, "--expect", "2:000000000000"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("is not the one the message recorded"),
        "{}",
        r.stdout
    );
    let r = cverun(
        d,
        &["incident", "verify", ID, "--expect", &format!("9{short}")],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("ends at seq 3"), "{}", r.stdout);
    // Malformed, or without the incident: refused.
    let r = cverun(d, &["incident", "verify", ID, "--expect", "2:abc"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    let r = cverun(d, &["incident", "verify", "--expect", &short]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("give its id"), "{}", r.stderr);
}

#[test]
fn the_runbook_s_notify_table_sets_who_approves() {
    let dir = declared_with_roster(None);
    let d = dir.path();
    std::fs::write(
        d.join(".cverun/runbook.toml"),
        format!(
            "{ROSTER}\n[notify.approvals]\ncustomer-notice = [\"legal\"]\nstatus = [\"nobody\"]\n"
        ),
    )
    .unwrap();
    let draft = |template: &str| {
        cverun(
            d,
            &[
                "comms",
                "draft",
                ID,
                template,
                "--channel",
                "mail",
                "--audience",
                "customers",
            ],
        )
    };
    let r = draft("customer-notice");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("needs approval by: legal ("),
        "{}",
        r.stdout
    );
    let r = draft("status");
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("runbook.toml:19") && r.stderr.contains("unknown role \"nobody\""),
        "{}",
        r.stderr
    );
    // --needs overrides the table.
    let r = cverun(
        d,
        &[
            "comms",
            "draft",
            ID,
            "customer-notice",
            "--channel",
            "web",
            "--audience",
            "customers",
            "--needs",
            "none",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("via web, pending"), "{}", r.stdout);
}

/// A schema of its own on the server of `CVERUN_TEST_POSTGRES_URL` (dropped
/// after), or `None` (the test is then reported skipped).
struct Schema {
    admin: String,
    name: String,
    url: String,
}

impl Schema {
    fn new(test: &str) -> Option<Schema> {
        let admin = cverun_testkit::postgres_url(test)?;
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "cverun_comms_{}_{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let mut c = ::postgres::Client::connect(&admin, ::postgres::NoTls).unwrap();
        c.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
        ))
        .unwrap();
        let sep = if admin.contains('?') { '&' } else { '?' };
        let url = format!("{admin}{sep}options=-csearch_path%3D{name}");
        Some(Schema { admin, name, url })
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        if let Ok(mut c) = ::postgres::Client::connect(&self.admin, ::postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name));
        }
    }
}

#[test]
fn approval_by_hash_sqlite() {
    a_customer_notice_is_drafted_held_shown_and_approved_by_its_hash(None);
}

#[test]
fn approval_by_hash_postgres() {
    let Some(s) = Schema::new(cverun_testkit::test_name!()) else {
        return;
    };
    a_customer_notice_is_drafted_held_shown_and_approved_by_its_hash(Some(&s.url));
}

#[test]
fn verify_expect_sqlite() {
    verify_expect_takes_the_head_out_of_a_rendered_message(None);
}

#[test]
fn verify_expect_postgres() {
    let Some(s) = Schema::new(cverun_testkit::test_name!()) else {
        return;
    };
    verify_expect_takes_the_head_out_of_a_rendered_message(Some(&s.url));
}
