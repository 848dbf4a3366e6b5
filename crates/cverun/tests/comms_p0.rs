//! A simulated P0 from declaration to resolution, with every message the
//! runbook's communication plan asks for, through the real `cverun` binary only:
//! the kick-off, the 30-minute status updates `incident tick` fires when none
//! came, the escalation pages, the executive brief, a customer notice and a
//! GDPR regulator notice held until the communications lead and legal approve
//! their exact bodies, the resolution and the post-incident summary; delivered
//! by `cverun notify run` to real receivers on loopback (a Slack incoming
//! webhook, the PagerDuty Events API, Standard Webhooks), and a post-mortem
//! whose timeline, action items and messages match the record. The Markdown
//! post-mortem is compared with a golden file.
//!
//! Reproducible: the clock is simulated (`CVERUN_NOW`; the delivery worker
//! decides, and stamps its attempts, with the simulated store's time), the
//! incident key is fixed, and the receivers' ports appear only in the runbook's
//! `[notify]` table, which the incident record does not hold. Nothing is
//! normalised before the comparison with the golden file; on PostgreSQL the
//! document must be byte-identical to the one a SQLite run gives.
//!
//! Email goes to aiosmtpd (Python) on 127.0.0.1, as in the notify crate's
//! email test: the system's, else one installed in a virtual environment with
//! pip. Without it the test says SKIPPED (a failure under
//! `CVERUN_REQUIRE_TOOLS`), since the golden file holds the email messages.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::store_env::{Backend, Env, both_backends};
use cverun_testkit::smtp::{Smtpd, free_port, python, smtpd};
use cverun_testkit::{Behaviour, HttpServer, Request};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// A fixed incident key (64 hex digits) so that MACs, heads and message hashes
/// are reproducible.
const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

const ID: &str = "INC-2026-11-23-1";

/// The webhook signing key's bytes; the runbook gets it as `whsec_<base64>`.
const HOOK_KEY: &[u8; 32] = b"cverun-p0-webhook-signing-key-32";

/// The PagerDuty routing key (32 characters).
const PD_KEY: &str = "R0UT1NGKEY0123456789abcdefABCDEF";

/// The runbook: roster with contacts, a P0 that escalates after an hour and
/// after two missed updates, the GDPR clock, channels and the communication
/// plan as routes. `{url}` is the receivers' base URL.
const RUNBOOK: &str = r#"
[[person]]
handle = "alice"
name = "Alice Martin"
roles = ["commander", "security-lead"]
contact = { email = "alice@example.com", slack = "@alice", pagerduty = "PALICE1" }

[[person]]
handle = "bob"
name = "Bob Stone"
roles = ["communications-lead", "devops"]
contact = { email = "bob@example.com", slack = "@bob" }

[[person]]
handle = "carol"
name = "Carol Chen"
roles = ["technical-lead"]
contact = { email = "carol@example.com", slack = "@carol", pagerduty = "PCAROL1" }

[[person]]
handle = "dave"
roles = ["security-lead"]

[[person]]
handle = "erin"
name = "Erin Exec"
roles = ["executive"]
contact = { email = "erin@example.com", pagerduty = "PERIN01" }

[[person]]
handle = "lena"
name = "Lena Novak"
roles = ["legal"]
contact = { email = "lena@example.com" }

[priority.P0]
missed-updates = { after = 2, to = ["commander"] }
escalate = [{ after = "1h", to = ["executive"] }]

[[regulatory]]
id = "gdpr"
label = "GDPR notification to the supervisory authority"
after = "72h"

[notify.channel.war-room]
kind = "slack"
url-env = "CVERUN_P0_SLACK_URL"

[notify.channel.pager]
kind = "pagerduty"
routing-key-env = "CVERUN_P0_PD_KEY"
url = "{url}/v2/enqueue"

[notify.channel.mail]
kind = "email"
host = "127.0.0.1"
port = {smtp}
tls = "none"
from = "cverun <incidents@example.com>"
to = ["security@example.com"]

[notify.channel.hooks]
kind = "webhook"
url = "{url}/hooks"
secret-env = "CVERUN_P0_WHSEC"

[notify.channel.status-page]
kind = "webhook"
url = "{url}/status-page"
secret-env = "CVERUN_P0_WHSEC"

[notify.audience.on-call]
roles = ["commander", "technical-lead"]
channels = ["pager", "mail"]
[notify.audience.escalation-targets]
channels = ["pager", "mail", "hooks"]
[notify.audience.executive-legal]
roles = ["executive", "legal"]
channels = ["mail", "hooks"]

[notify.approvals]
customer-notice = ["communications-lead"]
regulator-notice = ["communications-lead", "legal"]

[[notify.route]]
on = "declared"
template = "kickoff"
to = ["war-room", "on-call", "hooks"]

[[notify.route]]
on = "phase-changed"
template = "status"
to = ["war-room", "hooks"]

[[notify.route]]
on = "update-missed"
template = "status"
to = ["war-room", "hooks"]

[[notify.route]]
on = "escalated"
template = "escalation"
to = ["escalation-targets"]

[[notify.route]]
on = "impact"
impact = "customer-data"
template = "executive-brief"
to = ["executive-legal"]

[[notify.route]]
on = "resolved"
template = "resolution"
to = ["war-room", "pager", "mail", "hooks"]

[[notify.route]]
on = "resolved"
template = "post-incident-summary"
to = ["war-room", "hooks"]
"#;

/// The receivers: one HTTP server on loopback answering as each provider
/// documents (Slack `200 ok`, PagerDuty 202, webhooks 200).
struct Receivers {
    server: HttpServer,
    smtp_port: u16,
    maildir: tempfile::TempDir,
    _smtpd: Smtpd,
}

impl Receivers {
    fn start(python: &Path) -> Receivers {
        let smtp_port = free_port();
        let maildir = tempfile::tempdir().unwrap();
        // aiosmtpd's Mailbox makes the maildir (new, cur, tmp) itself.
        let smtpd = smtpd(python, smtp_port, &maildir.path().join("mail"));
        let server = HttpServer::start();
        let reply = |status: u16, body: &str| Behaviour::Reply {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        };
        server.behave("/slack", reply(200, "ok"));
        server.behave(
            "/v2/enqueue",
            reply(
                202,
                r#"{"status":"success","message":"Event processed","dedup_key":"INC-2026-11-23-1"}"#,
            ),
        );
        server.behave("/hooks", reply(200, ""));
        server.behave("/status-page", reply(200, ""));
        Receivers {
            server,
            smtp_port,
            maildir,
            _smtpd: smtpd,
        }
    }

    /// The mails aiosmtpd received (headers unfolded, quoted-printable soft
    /// line breaks and `=3D` undone).
    fn mails(&self) -> Vec<String> {
        let mut out = Vec::new();
        for d in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(self.maildir.path().join("mail").join(d)) {
                for e in rd.flatten() {
                    let m = std::fs::read_to_string(e.path()).unwrap();
                    out.push(
                        m.replace("\r\n", "\n")
                            .replace("\n ", " ")
                            .replace("\n\t", " ")
                            .replace("=\n", "")
                            .replace("=3D", "="),
                    );
                }
            }
        }
        out
    }

    fn at(&self, path: &str) -> Vec<(Request, Value)> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path == path)
            .map(|r| {
                let v: Value = serde_json::from_slice(&r.body)
                    .unwrap_or_else(|e| panic!("{path}: not JSON ({e})"));
                (r, v)
            })
            .collect()
    }
}

/// A project with the runbook pointing at `rx`, signing with the fixed key.
struct P0<'a> {
    env: &'a Env,
    rx: Receivers,
    vars: Vec<(&'static str, String)>,
}

impl P0<'_> {
    fn new<'a>(env: &'a Env, python: &Path) -> P0<'a> {
        let rx = Receivers::start(python);
        env.runbook(
            &RUNBOOK
                .replace("{url}", rx.server.url())
                .replace("{smtp}", &rx.smtp_port.to_string()),
        );
        let vars = vec![
            ("CVERUN_P0_SLACK_URL", format!("{}/slack", rx.server.url())),
            ("CVERUN_P0_PD_KEY", PD_KEY.to_owned()),
            ("CVERUN_P0_WHSEC", format!("whsec_{}", base64(HOOK_KEY))),
        ];
        P0 { env, rx, vars }
    }

    fn run(&self, m: i64, actor: &str, args: &[&str]) -> common::Run {
        let vars: Vec<(&str, &str)> = self.vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.env.run_env(Some(&at(m)), actor, args, &vars)
    }

    fn ok(&self, m: i64, actor: &str, args: &[&str]) -> String {
        let r = self.run(m, actor, args);
        assert_eq!(r.code, 0, "{args:?}\n{}\n{}", r.stdout, r.stderr);
        r.stdout
    }

    fn json(&self, m: i64, args: &[&str]) -> Value {
        let out = self.ok(m, "viewer", args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
    }

    /// `notify run` at minute `m` with a short retry policy; its output.
    fn deliver(&self, m: i64) -> String {
        self.ok(
            m,
            "worker",
            &[
                "notify",
                "run",
                "--worker",
                "p0-worker",
                "--timeout",
                "2",
                "--lease",
                "10",
                "--retry-base",
                "0.05",
                "--retry-cap",
                "0.2",
                "--max-attempts",
                "3",
            ],
        )
    }

    fn messages(&self, m: i64) -> Vec<Value> {
        self.json(m, &["notify", "list", "--incident", ID, "--json"])["messages"]
            .as_array()
            .unwrap()
            .clone()
    }

    fn check_all(&self, m: i64, items: &[&str]) {
        for item in items {
            self.ok(m, "bob", &["incident", "check", ID, item]);
        }
    }
}

/// The value of header `name` in a mail (unfolded).
fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    let head = mail.split("\n\n").next().unwrap();
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

/// 2026-11-23T12:00Z plus `m` minutes.
fn at(m: i64) -> String {
    let t: jiff::Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
    t.checked_add(jiff::SignedDuration::from_mins(m))
        .unwrap()
        .to_string()
}

/// The value after `prefix` in `text`, up to the next space or quote.
fn after<'a>(text: &'a str, prefix: &str) -> &'a str {
    let i = text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} not in {text}"));
    text[i + prefix.len()..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '\\' || c == '*' || c == '_')
        .next()
        .unwrap()
}

/// The template a subject was rendered from (subjects of the built-in
/// templates differ by their words).
fn template_of(subject: &str) -> &'static str {
    if subject.contains(" declared: ") {
        "kickoff"
    } else if subject.contains(" status update: ") {
        "status"
    } else if subject.ends_with(" escalated") {
        "escalation"
    } else if subject.contains(" resolved: ") {
        "resolution"
    } else if subject.starts_with("Executive brief ") {
        "executive-brief"
    } else if subject.starts_with("Post-incident summary ") {
        "post-incident-summary"
    } else if subject.starts_with("Security notice: ") {
        "customer-notice"
    } else if subject.starts_with("Incident notification ") {
        "regulator-notice"
    } else {
        panic!("no template has the subject {subject:?}")
    }
}

fn count<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeMap<&'a str, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i).or_default() += 1;
    }
    m
}

/// Standard base64 (with padding), for the webhook secret and signatures.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let (mut ipad, mut opad) = ([0x36u8; 64], [0x5cu8; 64]);
    for i in 0..64 {
        ipad[i] ^= k[i];
        opad[i] ^= k[i];
    }
    let inner = Sha256::new()
        .chain_update(ipad)
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(opad)
        .chain_update(inner)
        .finalize()
        .into()
}

/// The incident, worked from declaration (12:00) to resolution (16:10), with
/// deliveries along the way; returns the messages' ids of the two notices.
fn scenario(p: &P0) -> (String, String) {
    // 12:00 declared: the kick-off to the war room, paged and mailed to
    // on-call, and to the webhook log.
    let out = p.ok(
        0,
        "alice",
        &[
            "incident",
            "declare",
            "--advisory",
            "CVE-2021-44228",
            "--priority",
            "P0",
            "--title",
            "Log4Shell in checkout",
            "--commander",
            "alice",
            "--published",
            "2026-11-22T18:00:00Z",
            "--detected",
            "2026-11-23T11:30:00Z",
        ],
    );
    for channel in ["war-room", "pager", "mail", "hooks"] {
        assert!(
            queued(&out, "kickoff", channel),
            "kickoff via {channel}: {out}"
        );
    }
    let d = p.deliver(1);
    assert!(
        d.contains("4 delivered, 0 to retry, 0 dead, 0 unknown"),
        "{d}"
    );
    p.ok(
        10,
        "alice",
        &["incident", "assign", ID, "technical-lead", "carol"],
    );
    // 12:30 no update came: the tick records the miss and queues a status.
    let t = p.ok(30, "cron", &["incident", "tick"]);
    assert!(queued(&t, "status", "war-room"), "{t}");
    assert!(!t.contains("escalation"), "{t}");
    p.deliver(31);
    p.check_all(
        40,
        &["blast-radius", "code-path", "isolation", "code-freeze"],
    );
    p.ok(45, "alice", &["incident", "advance", ID]);
    // 13:00: a second miss (escalating to the commander after two) and the P0
    // still open after an hour (escalating to the executive): pages.
    let t = p.ok(60, "cron", &["incident", "tick"]);
    assert!(queued(&t, "escalation", "pager"), "{t}");
    p.deliver(61);
    // 13:05 customer data: escalates to executive and legal, and the brief.
    let out = p.ok(65, "alice", &["incident", "impact", ID, "customer-data"]);
    assert!(queued(&out, "executive-brief", "hooks"), "{out}");
    p.ok(65, "alice", &["incident", "aware", ID]);
    p.ok(
        66,
        "alice",
        &[
            "incident",
            "update",
            ID,
            "Contained; patching log4j-core to 2.17.1",
            "--eta",
            "4h",
        ],
    );
    // 13:10 the notices, drafted by the communications lead: held.
    let draft = |m: i64, template: &str, audience: &str, more: &[&str]| {
        let mut args = vec![
            "comms",
            "draft",
            ID,
            template,
            "--channel",
            "status-page",
            "--audience",
            audience,
        ];
        args.extend_from_slice(more);
        let out = p.ok(m, "bob", &args);
        assert!(out.contains(", held"), "{out}");
        let id = after(&out, "queued ").trim_end_matches(':').to_owned();
        let sha = after(&out, "body sha256 ").to_owned();
        assert_eq!(sha.len(), 64, "{out}");
        (id, sha)
    };
    let (customer, customer_sha) = draft(70, "customer-notice", "customers", &[]);
    let (regulator, regulator_sha) = draft(
        71,
        "regulator-notice",
        "supervisory-authority",
        &["--clock", "gdpr"],
    );
    let held: Vec<String> = p
        .messages(72)
        .iter()
        .filter(|m| m["state"] == "held")
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(held, [customer.clone(), regulator.clone()]);
    // A run now delivers what is due and leaves the held notices alone.
    p.deliver(73);
    assert!(p.rx.at("/status-page").is_empty());
    // 13:20 shown and approved by their hashes.
    for (id, sha) in [(&customer, &customer_sha), (&regulator, &regulator_sha)] {
        let shown = p.ok(75, "viewer", &["comms", "show", id]);
        assert!(
            shown.contains(&format!("body sha256 {sha} (as the timeline recorded it)")),
            "{shown}"
        );
    }
    let out = p.ok(
        80,
        "bob",
        &["comms", "approve", &customer, "--sha256", &customer_sha],
    );
    assert!(out.contains("the message is pending"), "{out}");
    let out = p.ok(
        81,
        "bob",
        &["comms", "approve", &regulator, "--sha256", &regulator_sha],
    );
    assert!(!out.contains("the message is pending"), "{out}");
    let state =
        |id: &str| p.messages(82).into_iter().find(|m| m["id"] == id).unwrap()["state"].clone();
    assert_eq!(state(&customer), "pending");
    assert_eq!(state(&regulator), "held", "legal has not approved yet");
    let out = p.ok(
        85,
        "lena",
        &["comms", "approve", &regulator, "--sha256", &regulator_sha],
    );
    assert!(out.contains("as legal by lena"), "{out}");
    assert!(out.contains("the message is pending"), "{out}");
    assert_eq!(state(&regulator), "pending");
    p.deliver(86);
    // The notice went out: legal records the notification, which stops the
    // clock (a delivery alone is not an accepted notification).
    p.ok(88, "lena", &["incident", "notify", ID, "gdpr"]);
    // Remediation, validation with the two approvals, deployment.
    p.ok(
        90,
        "carol",
        &[
            "incident",
            "decide",
            ID,
            "hotfix",
            "--rationale",
            "log4j 2.17.1 is out",
        ],
    );
    p.check_all(100, &["fix-identified", "patch-prepared", "fix-reviewed"]);
    p.ok(105, "alice", &["incident", "advance", ID]);
    p.check_all(
        130,
        &[
            "tests-pass",
            "staging-healthy",
            "rollback-plan",
            "monitoring-ready",
        ],
    );
    p.ok(
        130,
        "bob",
        &[
            "incident",
            "check",
            ID,
            "rescan-clean",
            "--force",
            "--reason",
            "re-scanned by the vendor scanner",
        ],
    );
    p.ok(
        136,
        "carol",
        &["incident", "approve", ID, "--as", "technical"],
    );
    p.ok(
        137,
        "dave",
        &["incident", "approve", ID, "--as", "security"],
    );
    p.ok(142, "alice", &["incident", "advance", ID]);
    p.deliver(143);
    p.check_all(
        200,
        &[
            "canary-deployed",
            "production-deployed",
            "post-deploy-monitoring",
        ],
    );
    p.ok(210, "alice", &["incident", "advance", ID]);
    // The post-mortem's sections, its checklist and action items.
    for (section, text) in [
        (
            "summary",
            "Log4Shell (CVE-2021-44228) reached checkout through log4j-core 2.14.1; patched to 2.17.1 within 4 hours, no exploitation seen.",
        ),
        (
            "root-cause",
            "log4j-core 2.14.1 came in transitively through the logging starter, pinned by an old BOM.",
        ),
        (
            "went-well",
            "Customers and the supervisory authority were told within 90 minutes.",
        ),
        (
            "went-wrong",
            "The first two status updates were missed and the tick paged for them.",
        ),
        (
            "lessons",
            "Post the first status update from the kick-off call.",
        ),
    ] {
        p.ok(
            220,
            "alice",
            &["incident", "note", ID, "--section", section, text],
        );
    }
    p.check_all(230, &["timeline-reviewed", "root-cause"]);
    p.ok(
        235,
        "alice",
        &[
            "incident",
            "action",
            "add",
            ID,
            "--owner",
            "carol",
            "--due",
            "7d",
            "Pin log4j through the BOM in every service",
        ],
    );
    p.ok(
        236,
        "alice",
        &[
            "incident",
            "action",
            "add",
            ID,
            "--owner",
            "bob",
            "--due",
            "2d",
            "Post the first status update from the kick-off template",
        ],
    );
    p.check_all(240, &["actions-assigned"]);
    // 16:10 resolved: the resolution (PagerDuty resolves) and the summary.
    let out = p.ok(250, "alice", &["incident", "advance", ID]);
    for (template, channel) in [
        ("resolution", "war-room"),
        ("resolution", "pager"),
        ("resolution", "hooks"),
        ("post-incident-summary", "war-room"),
        ("post-incident-summary", "hooks"),
    ] {
        assert!(
            queued(&out, template, channel),
            "{template} via {channel}: {out}"
        );
    }
    p.ok(
        255,
        "bob",
        &[
            "incident",
            "action",
            "add",
            ID,
            "--owner",
            "lena",
            "--due",
            "3d",
            "File the supervisory authority's follow-up",
        ],
    );
    p.ok(
        260,
        "carol",
        &[
            "incident",
            "action",
            "done",
            ID,
            "ACTION-1",
            "--note",
            "merged in platform#42",
        ],
    );
    let d = p.deliver(270);
    assert!(d.contains("0 dead, 0 unknown"), "{d}");
    (customer, regulator)
}

/// The golden file. To regenerate it after a deliberate change, run
/// `CVERUN_BLESS=1 cargo test -p cverun --test comms_p0`, then read the diff.
fn golden() -> PathBuf {
    common::repo().join("crates/cverun/tests/data/postmortem/p0-comms.md")
}

fn setup(env: Env) -> Env {
    env.with_key(KEY)
}

fn p0_from_declaration_to_resolution(env: &Env) {
    let Some(python) = python(cverun_testkit::test_name!()) else {
        return;
    };
    let p = P0::new(env, &python);
    let (customer, regulator) = scenario(&p);
    let end = 300;

    // Every message queued is a `message-queued` event, and every one was
    // delivered.
    let timeline = p.json(end, &["incident", "timeline", ID, "--format", "json"]);
    let events = timeline["events"].as_array().unwrap();
    let queued: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "message-queued")
        .collect();
    let messages = p.messages(end);
    let pairs = |v: &[&Value], f: &dyn Fn(&Value) -> (String, String, String)| {
        let mut x: Vec<(String, String, String)> = v.iter().map(|m| f(m)).collect();
        x.sort();
        x
    };
    let recorded = pairs(&queued, &|e| {
        (
            e["details"]["message"].as_str().unwrap().to_owned(),
            e["details"]["template"].as_str().unwrap().to_owned(),
            e["details"]["channel"].as_str().unwrap().to_owned(),
        )
    });
    let listed = pairs(&messages.iter().collect::<Vec<_>>(), &|m| {
        (
            m["id"].as_str().unwrap().to_owned(),
            m["template"].as_str().unwrap().to_owned(),
            m["channel"].as_str().unwrap().to_owned(),
        )
    });
    assert_eq!(recorded, listed, "the outbox and the timeline differ");
    for m in &messages {
        assert_eq!(m["state"], "delivered", "{m:#}");
        assert_eq!(m["attempts"], 1, "{m:#}");
    }
    let by_channel = |channel: &str| {
        count(
            queued
                .iter()
                .filter(|e| e["details"]["channel"] == channel)
                .map(|e| e["details"]["template"].as_str().unwrap()),
        )
    };
    let expect = |items: &[(&'static str, usize)]| -> BTreeMap<&str, usize> {
        items.iter().copied().collect()
    };
    // Slack: the kick-off, six statuses (two missed updates, the changes into
    // REMEDIATION, VALIDATION, DEPLOYMENT and POST-MORTEM), the resolution and
    // the summary.
    assert_eq!(
        by_channel("war-room"),
        expect(&[
            ("kickoff", 1),
            ("post-incident-summary", 1),
            ("resolution", 1),
            ("status", 6),
        ])
    );
    // PagerDuty: the kick-off to on-call, three escalations (a second missed
    // update, an hour open, customer data), the resolution.
    assert_eq!(
        by_channel("pager"),
        expect(&[("escalation", 3), ("kickoff", 1), ("resolution", 1)])
    );
    assert_eq!(
        by_channel("hooks"),
        expect(&[
            ("escalation", 3),
            ("executive-brief", 1),
            ("kickoff", 1),
            ("post-incident-summary", 1),
            ("resolution", 1),
            ("status", 6),
        ])
    );
    // Email: the kick-off to on-call, the escalations, the brief, the
    // resolution.
    assert_eq!(
        by_channel("mail"),
        expect(&[
            ("escalation", 3),
            ("executive-brief", 1),
            ("kickoff", 1),
            ("resolution", 1),
        ])
    );
    assert_eq!(
        by_channel("status-page"),
        expect(&[("customer-notice", 1), ("regulator-notice", 1)])
    );

    // What each receiver got: one request per message, counted by template.
    let slack = p.rx.at("/slack");
    let got = count(
        slack
            .iter()
            .map(|(_, v)| template_of(v["blocks"][0]["text"]["text"].as_str().unwrap())),
    );
    assert_eq!(got, by_channel("war-room"), "Slack received");
    // In the order queued (order holds per incident and channel).
    let in_order = |channel: &str| -> Vec<&str> {
        queued
            .iter()
            .filter(|e| e["details"]["channel"] == channel)
            .map(|e| e["details"]["template"].as_str().unwrap())
            .collect()
    };
    let arrived: Vec<&str> = slack
        .iter()
        .map(|(_, v)| template_of(v["blocks"][0]["text"]["text"].as_str().unwrap()))
        .collect();
    assert_eq!(arrived, in_order("war-room"));
    let pd = p.rx.at("/v2/enqueue");
    // A resolve event carries no payload (the Events API needs none): only
    // the resolution is sent as one.
    let got = count(
        pd.iter()
            .map(|(_, v)| match v["payload"]["summary"].as_str() {
                Some(summary) => template_of(summary),
                None if v["event_action"] == "resolve" => "resolution",
                None => panic!("no summary: {v:#}"),
            }),
    );
    assert_eq!(got, by_channel("pager"), "PagerDuty received");
    for (i, (_, v)) in pd.iter().enumerate() {
        assert_eq!(v["routing_key"], PD_KEY);
        assert_eq!(v["dedup_key"], ID, "one alert for the incident");
        let last = i + 1 == pd.len();
        if !last {
            assert_eq!(v["payload"]["severity"], "critical", "P0: {v:#}");
        }
        assert_eq!(
            v["event_action"],
            if last { "resolve" } else { "trigger" },
            "in order: triggers, then the resolution resolves: {v:#}"
        );
    }
    // Each trigger carries its message's key and text (with the full head).
    let mut pd_keys: Vec<&str> = pd
        .iter()
        .filter_map(|(_, v)| v["payload"]["custom_details"]["key"].as_str())
        .collect();
    pd_keys.sort();
    let mut pager_keys: Vec<&str> = messages
        .iter()
        .filter(|m| m["channel"] == "pager" && m["template"] != "resolution")
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    pager_keys.sort();
    assert_eq!(pd_keys, pager_keys);
    // The escalation pages name their targets: the commander (missed
    // updates), the executive (an hour open), executive and legal (customer
    // data).
    let escalations: Vec<Value> =
        p.rx.at("/hooks")
            .iter()
            .filter(|(_, v)| v["type"] == "incident.escalation")
            .map(|(_, v)| v["data"]["context"]["extra"]["event"]["details"]["to"].clone())
            .collect();
    assert_eq!(
        escalations,
        [
            serde_json::json!(["commander"]),
            serde_json::json!(["executive"]),
            serde_json::json!(["executive", "legal"])
        ]
    );
    let mut keys_seen = Vec::new();
    for path in ["/hooks", "/status-page"] {
        let hooks = p.rx.at(path);
        let channel = &path[1..];
        let got = count(hooks.iter().map(|(_, v)| {
            v["type"]
                .as_str()
                .unwrap()
                .strip_prefix("incident.")
                .unwrap()
        }));
        assert_eq!(got, by_channel(channel), "{path} received");
        let arrived: Vec<&str> = hooks
            .iter()
            .map(|(_, v)| v["data"]["template"].as_str().unwrap())
            .collect();
        assert_eq!(arrived, in_order(channel), "{path} in the order queued");
        for (r, _) in &hooks {
            let (id, ts) = (&r.headers["webhook-id"], &r.headers["webhook-timestamp"]);
            let mut signed = format!("{id}.{ts}.").into_bytes();
            signed.extend_from_slice(&r.body);
            assert_eq!(
                r.headers["webhook-signature"],
                format!("v1,{}", base64(&hmac_sha256(HOOK_KEY, &signed))),
                "Standard Webhooks signature of {id}"
            );
            keys_seen.push(id.clone());
        }
    }
    // The webhook ids are the messages' keys, each once.
    let mut keys: Vec<String> = messages
        .iter()
        .filter(|m| m["channel"] == "hooks" || m["channel"] == "status-page")
        .map(|m| m["key"].as_str().unwrap().to_owned())
        .collect();
    keys.sort();
    keys_seen.sort();
    assert_eq!(keys_seen, keys);

    // Every message is a witness: Slack's short head, the webhooks' full one,
    // each verified against the record.
    let mut heads = Vec::new();
    for (_, v) in &slack {
        let text = v.to_string();
        heads.push(after(&text, "record ").to_owned());
    }
    for path in ["/hooks", "/status-page"] {
        for (_, v) in p.rx.at(path) {
            let text = v.to_string();
            let full = after(&text, &format!("Record of {ID}: ")).to_owned();
            let (_, hex) = full.split_once(':').unwrap();
            assert_eq!(hex.len(), 64, "{full}");
            heads.push(full);
        }
    }
    // Email: one mail per message, by subject; the kick-off is the thread's
    // root and every other mail replies to it; recipients are the channel's
    // own and the audience's people's `contact.email`.
    let mails = p.rx.mails();
    let subject = |m: &str| template_of(header(m, "Subject").unwrap_or_else(|| panic!("{m}")));
    let got = count(mails.iter().map(|m| subject(m)));
    assert_eq!(got, by_channel("mail"), "aiosmtpd received");
    let root = format!("<{ID}@cverun>");
    for m in &mails {
        let rcpt = header(m, "X-RcptTo").unwrap_or_else(|| panic!("{m}"));
        assert!(rcpt.contains("security@example.com"), "{rcpt}");
        match subject(m) {
            "kickoff" => {
                assert_eq!(header(m, "Message-ID"), Some(root.as_str()), "{m}");
                assert_eq!(header(m, "In-Reply-To"), None, "{m}");
                // The commander, and who may be technical lead (nobody held
                // it yet).
                for who in ["alice@example.com", "carol@example.com"] {
                    assert!(rcpt.contains(who), "{who}: {rcpt}");
                }
            }
            t => {
                assert_eq!(header(m, "In-Reply-To"), Some(root.as_str()), "{m}");
                if t == "executive-brief" {
                    for who in ["erin@example.com", "lena@example.com"] {
                        assert!(rcpt.contains(who), "{who}: {rcpt}");
                    }
                }
            }
        }
        let (text, _) = m.split_once("Content-Type: text/html").unwrap();
        heads.push(after(text, &format!("Record of {ID}: ")).to_owned());
    }
    for (_, v) in pd.iter().filter(|(_, v)| v["event_action"] == "trigger") {
        let text = v["payload"]["custom_details"]["message"].to_string();
        heads.push(after(&text, &format!("Record of {ID}: ")).to_owned());
    }
    heads.sort();
    heads.dedup();
    assert!(heads.len() > 10, "{heads:?}");
    for head in &heads {
        let r = p.run(end, "viewer", &["incident", "verify", ID, "--expect", head]);
        assert_eq!(r.code, 0, "--expect {head}\n{}\n{}", r.stdout, r.stderr);
    }
    // The regulator notice carried the head of the event before its queueing.
    let reg = p.rx.at("/status-page");
    let (_, reg_body) = reg
        .iter()
        .find(|(_, v)| v["type"] == "incident.regulator-notice")
        .unwrap();
    let reg_seq: u64 = regulator.rsplit('/').next().unwrap().parse().unwrap();
    let full = after(&reg_body.to_string(), &format!("Record of {ID}: ")).to_owned();
    assert_eq!(full.split_once(':').unwrap().0, (reg_seq - 1).to_string());

    // The GDPR notice: approved and sent in time.
    let show = p.json(end, &["incident", "show", ID, "--format", "json"]);
    let notices = show["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 1, "{notices:#?}");
    let n = &notices[0];
    assert_eq!(n["clock"], "gdpr");
    assert_eq!(n["message"], regulator.as_str());
    assert_eq!(n["due"], "2026-11-26T13:05:00Z", "aware 13:05 + 72h");
    assert_eq!(n["queued_at"], at(71));
    assert_eq!(n["approved_at"], at(85), "the last approval, legal's");
    assert_eq!(n["delivered_at"], at(86), "the worker's (simulated) time");
    assert_eq!(n["approved_in_time"], true);
    assert_eq!(n["sent_in_time"], true);
    let roles: Vec<(&str, &str)> = n["approvals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["by"].as_str().unwrap(), a["role"].as_str().unwrap()))
        .collect();
    assert_eq!(roles, [("bob", "communications-lead"), ("lena", "legal")]);

    // The post-mortem (JSON) matches the record.
    let pm = p.json(end, &["incident", "postmortem", ID, "--format", "json"]);
    assert_eq!(pm["header"]["status"], "resolved");
    assert_eq!(pm["header"]["resolved_at"], at(250));
    let kind_count = |k: &str| events.iter().filter(|e| e["kind"] == k).count();
    // Its timeline is the recorded milestones, in order, at their times: the
    // publication and detection given at the declaration, then the events
    // (the phase change into the end is the resolution).
    let pm_timeline: Vec<(String, String)> = pm["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().unwrap().to_owned(),
                m["at"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut want = vec![
        ("published".to_owned(), "2026-11-22T18:00:00Z".to_owned()),
        ("detected".to_owned(), "2026-11-23T11:30:00Z".to_owned()),
    ];
    for e in events {
        let kind = e["kind"].as_str().unwrap();
        if ![
            "declared",
            "assigned",
            "impact",
            "escalated",
            "advanced",
            "decided",
            "approved",
            "message-approved",
            "notified",
        ]
        .contains(&kind)
        {
            continue;
        }
        let kind = if kind == "advanced" && e["details"]["to"] == "resolved" {
            "resolved"
        } else {
            kind
        };
        want.push((kind.to_owned(), e["at"].as_str().unwrap().to_owned()));
    }
    assert_eq!(pm_timeline, want, "{:#}", pm["timeline"]);
    // The notices' approvals are milestones: who released what, and when.
    let approvals: Vec<&str> = pm["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "message-approved")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(approvals.len(), 3, "{approvals:?}");
    assert!(approvals[0].starts_with(&format!(
        "message {customer} approved as communications-lead"
    )));
    assert!(approvals[2].starts_with(&format!("message {regulator} approved as legal")));
    assert_eq!(kind_count("escalated"), 3);
    let items = pm["action_items"].as_array().unwrap();
    let added: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "action-added")
        .collect();
    assert_eq!(items.len(), added.len());
    assert_eq!(items.len(), 3);
    for (i, e) in items.iter().zip(&added) {
        assert_eq!(i["owner"], e["details"]["owner"], "{i:#} {e:#}");
        assert_eq!(i["title"], e["details"]["title"], "{i:#} {e:#}");
    }
    assert_eq!(items[0]["status"], "done");
    assert_eq!(items[0]["note"], "merged in platform#42");
    let sent = pm["messages"]["sent"].as_array().unwrap();
    assert_eq!(sent.len(), messages.len());
    for s in sent {
        assert_eq!(s["state"], "delivered", "{s:#}");
        let m = messages.iter().find(|m| m["id"] == s["id"]).unwrap();
        assert_eq!(s["key"], m["key"]);
        assert_eq!(s["body_sha256"], m["body_sha256"]);
        assert!(s["delivered_at"].is_string(), "{s:#}");
    }
    let head = p.ok(end, "viewer", &["incident", "head", ID]);
    assert_eq!(pm["chain"]["head"], head.trim());

    // The Markdown: deterministic, and the golden file.
    let md = p.ok(end, "viewer", &["incident", "postmortem", ID]);
    let again = p.ok(end + 10_000, "viewer", &["incident", "postmortem", ID]);
    assert_eq!(md, again, "two renders differ");
    for s in sent {
        assert!(
            md.contains(s["id"].as_str().unwrap()),
            "{} not in the post-mortem",
            s["id"]
        );
    }
    assert!(
        !md.contains("127.0.0.1"),
        "a receiver's address leaked: {md}"
    );
    if matches!(env.backend, Backend::Postgres { .. }) {
        // The same incident on SQLite (other receivers, other ports) gives the
        // same document.
        let sqlite = setup(Env::sqlite());
        let q = P0::new(&sqlite, &python);
        scenario(&q);
        let other = q.ok(end, "viewer", &["incident", "postmortem", ID]);
        assert_eq!(md, other, "PostgreSQL and SQLite documents differ");
        return;
    }
    if std::env::var_os("CVERUN_BLESS").is_some() {
        std::fs::create_dir_all(golden().parent().unwrap()).unwrap();
        std::fs::write(golden(), &md).unwrap();
    }
    let want = std::fs::read_to_string(golden()).expect("the golden file");
    assert_eq!(
        md,
        want,
        "the post-mortem differs from {} (CVERUN_BLESS=1 regenerates it)",
        golden().display()
    );
}

both_backends!(setup; p0_from_declaration_to_resolution);

/// Whether a command's output says it queued `template` on `channel`
/// (`message ID queued: TEMPLATE to AUDIENCE via CHANNEL (...)`).
fn queued(out: &str, template: &str, channel: &str) -> bool {
    out.lines().any(|l| {
        l.contains(&format!(" queued: {template} to ")) && l.contains(&format!(" via {channel} ("))
    })
}
