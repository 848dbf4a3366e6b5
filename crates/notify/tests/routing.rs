//! The router: which events produce which messages, recipients from the roster,
//! unreachable people reported, stable keys, digests, template errors.

use std::path::{Path, PathBuf};

use cverun_incident::chain::GENESIS;
use cverun_incident::outbox::{MessageId, MessageQueued, NewMessage, sha256};
use cverun_incident::rules::{act, declare};
use cverun_incident::{
    Action, AssignedPriority, Declaration, Event, EventBody, Incident, Phase, Priority, Runbook,
    clocks,
};
use cverun_notify::channel::OutgoingMessage;
use cverun_notify::route::{Routing, digests, route};
use jiff::Timestamp;

const ID: &str = "INC-2026-11-23-1";

const FILE: &str = r#"
[[person]]
handle = "alice"
name = "Alice Martin"
roles = ["commander"]
contact = { email = "alice@example.com", slack = "@alice" }

[[person]]
handle = "bob"
name = "Bob Stone"
roles = ["commander", "technical-lead"]
contact = { slack = "@bob" }

[[person]]
handle = "erin"
name = "Erin Exec"
roles = ["executive", "team-lead"]
contact = { email = "erin@example.com" }

[notify.channel.war-room]
kind = "slack"
url-env = "CVERUN_SLACK_URL"
[notify.channel.mail]
kind = "email"
host = "smtp.example.com"
[notify.channel.pager]
kind = "pagerduty"
routing-key-env = "CVERUN_PD_KEY"

[notify.audience.on-call]
roles = ["commander", "technical-lead"]
channels = ["mail"]
[notify.audience.leads]
people = ["erin"]
channels = ["mail"]
[notify.audience.escalation-targets]
channels = ["mail"]
[notify.audience.executive]
roles = ["executive", "legal"]
channels = ["mail"]

[[notify.route]]
on = "declared"
template = "kickoff"
to = ["war-room", "on-call", "leads"]

[[notify.route]]
on = "phase-changed"
template = "status"
to = ["war-room"]

[[notify.route]]
on = "phase-changed"
phase = "validation"
template = "status"
to = ["leads"]

[[notify.route]]
on = "escalated"
template = "escalation"
to = ["escalation-targets"]

[[notify.route]]
on = "impact"
impact = "customer-data"
template = "executive-brief"
to = ["executive"]

[[notify.route]]
on = "resolved"
template = "resolution"
to = ["war-room"]

[[notify.route]]
on = "resolved"
template = "post-incident-summary"
to = ["war-room"]

[[notify.route]]
on = "updated"
template = "digest"
to = ["war-room"]
digest = "1h"

[[notify.route]]
on = "decided"
template = "digest"
to = ["war-room"]
digest = "2h"
"#;

fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

struct Fixture {
    events: Vec<Event>,
    /// How many events the last step appended.
    appended: usize,
}

impl Fixture {
    /// A P2 incident declared at 12:00 by alice, its commander.
    fn new(file: &str) -> Fixture {
        let runbook = Runbook::from_toml(Path::new("runbook.toml"), file).unwrap();
        let d = Declaration {
            advisory: "GHSA-9wx4-h78v-vm56".into(),
            priority: AssignedPriority::declared_by(Priority::P2, "alice"),
            title: Some("requests leaks credentials".into()),
            description: None,
            commander: Some("alice".into()),
            services: vec!["checkout".into()],
            published: None,
            detected: None,
            aliases: Vec::new(),
            scope: None,
            duplicate: None,
        };
        let bodies = declare(&d, &runbook, t("2026-11-23T12:00:00Z")).unwrap();
        let mut f = Fixture {
            events: Vec::new(),
            appended: 0,
        };
        f.push("alice", "2026-11-23T12:00:00Z", bodies);
        f
    }

    fn push(&mut self, actor: &str, at: &str, bodies: Vec<EventBody>) {
        self.appended = bodies.len();
        for b in bodies {
            let prev = self
                .events
                .last()
                .map(|e| e.hash.clone())
                .unwrap_or_else(|| GENESIS.into());
            let seq = self.events.len() as u64 + 1;
            self.events
                .push(Event::new(ID, seq, t(at), actor, &b, &prev));
        }
    }

    fn state(&self) -> Incident {
        Incident::from_events(&self.events).unwrap()
    }

    fn act(&mut self, at: &str, a: Action) {
        let bodies = act(&self.state(), &a, "alice", t(at)).unwrap();
        self.push("alice", at, bodies);
    }

    fn tick(&mut self, at: &str) {
        let bodies = clocks::due(&self.state(), t(at));
        self.push("cverun-tick", at, bodies);
    }

    /// The events the last step appended.
    fn last(&self) -> &[Event] {
        &self.events[self.events.len() - self.appended..]
    }

    fn route(&self, routing: &Routing, at: &str) -> Result<Vec<NewMessage>, String> {
        route(routing, &self.state(), self.last(), t(at))
    }

    /// Records that `m` was queued (as the store does), so digests see it.
    fn queued(&mut self, at: &str, m: &NewMessage) {
        let seq = self.events.len() as u64 + 1;
        let body = EventBody::MessageQueued(MessageQueued {
            message: MessageId::new(ID, seq),
            channel: m.channel.clone(),
            template: m.kind.clone(),
            audience: m.audience.clone(),
            key: m.key.clone().unwrap(),
            body_sha256: sha256(&m.body),
            not_before: None,
            cause: None,
            needs: Vec::new(),
            clock: None,
        });
        self.push("cverun-tick", at, vec![body]);
    }
}

fn routing(file: &str) -> Routing {
    routing_in(file, Path::new("runbook.toml"))
}

fn routing_in(file: &str, path: &Path) -> Routing {
    let rb = Runbook::from_toml(path, file).unwrap();
    Routing::parse(path, file, &rb).unwrap()
}

fn outgoing(m: &NewMessage) -> OutgoingMessage {
    OutgoingMessage::from_body(&m.body).unwrap()
}

/// (channel, template, recipients) of each message.
fn summary(ms: &[NewMessage]) -> Vec<(String, String, Vec<String>)> {
    ms.iter()
        .map(|m| (m.channel.clone(), m.kind.clone(), outgoing(m).recipients))
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn declaring_queues_the_kickoff_once_per_channel_with_the_rosters_addresses() {
    let r = routing(FILE);
    let f = Fixture::new(FILE);
    let ms = f.route(&r, "2026-11-23T12:00:00Z").unwrap();
    // war-room (the channel alone), and one email merging on-call and leads:
    // alice holds commander (bob may, but the holder is who is meant) and
    // nobody holds technical-lead, so everyone who may: bob, who has no email.
    assert_eq!(
        summary(&ms),
        vec![
            ("war-room".into(), "kickoff".into(), vec![]),
            (
                "mail".into(),
                "kickoff".into(),
                strings(&["alice@example.com", "erin@example.com"])
            ),
        ]
    );
    let mail = outgoing(&ms[1]);
    assert_eq!(ms[1].audience, "on-call,leads");
    assert_eq!(
        ms[1].key.as_deref(),
        Some("cverun-INC-2026-11-23-1-1-mail-kickoff")
    );
    assert_eq!(mail.key, "cverun-INC-2026-11-23-1-1-mail-kickoff");
    assert_eq!(ms[1].subject.as_deref(), Some(mail.subject()));
    let extra = &mail.data["extra"];
    assert_eq!(extra["event"]["kind"], "declared");
    assert_eq!(extra["event"]["seq"], 1);
    assert_eq!(extra["event"]["at"], "2026-11-23T12:00:00Z");
    assert_eq!(extra["event"]["details"]["advisory"], "GHSA-9wx4-h78v-vm56");
    // bob is meant and cannot be reached by email: listed, not dropped.
    assert_eq!(extra["unreachable"][0]["name"], "bob");
    assert_eq!(
        extra["unreachable"][0]["reason"],
        "no contact.email in the roster"
    );
    assert_eq!(extra["unreachable"].as_array().unwrap().len(), 1);
    // Slack recipients are the people's Slack handles; nobody is unreachable
    // in a room.
    assert!(
        outgoing(&ms[0]).data["extra"]["unreachable"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Keys and bodies are stable: the same events route to the same messages.
    assert_eq!(ms, f.route(&r, "2026-11-23T12:00:00Z").unwrap());
}

#[test]
fn phase_filters_resolution_and_events_no_route_names() {
    let r = routing(FILE);
    let mut f = Fixture::new(FILE);
    // A note routes nothing.
    f.act(
        "2026-11-23T12:05:00Z",
        Action::Note {
            text: "looking".into(),
            section: None,
        },
    );
    assert!(f.route(&r, "2026-11-23T12:05:00Z").unwrap().is_empty());
    // Into remediation: the war room only; into validation: also the leads.
    let to = |p: Phase| Action::Advance {
        to: Some(p),
        force: true,
        reason: Some("drill".into()),
    };
    f.act("2026-11-23T12:10:00Z", to(Phase::Remediation));
    let ms = f.route(&r, "2026-11-23T12:10:00Z").unwrap();
    assert_eq!(
        summary(&ms),
        vec![("war-room".into(), "status".into(), vec![])]
    );
    f.act("2026-11-23T12:20:00Z", to(Phase::Validation));
    let ms = f.route(&r, "2026-11-23T12:20:00Z").unwrap();
    assert_eq!(
        summary(&ms),
        vec![
            ("war-room".into(), "status".into(), vec![]),
            (
                "mail".into(),
                "status".into(),
                strings(&["erin@example.com"])
            ),
        ]
    );
    // Resolution: not a phase change; both templates, one message each.
    f.act("2026-11-23T12:30:00Z", to(Phase::PostMortem));
    f.act("2026-11-23T12:40:00Z", to(Phase::Resolved));
    assert_eq!(f.state().phase, Phase::Resolved);
    let ms = f.route(&r, "2026-11-23T12:40:00Z").unwrap();
    let seq = f.events.len();
    assert_eq!(
        ms.iter()
            .map(|m| m.key.clone().unwrap())
            .collect::<Vec<_>>(),
        vec![
            format!("cverun-{ID}-{seq}-war-room-resolution"),
            format!("cverun-{ID}-{seq}-war-room-post-incident-summary"),
        ]
    );
}

#[test]
fn escalations_reach_their_targets_and_report_who_cannot_be_reached() {
    let r = routing(FILE);
    let mut f = Fixture::new(FILE);
    // P2 escalates to team-lead 8h after the declaration: erin may hold it.
    f.tick("2026-11-23T20:01:00Z");
    let escalated = f.last().iter().filter(|e| e.kind == "escalated").count();
    assert_eq!(escalated, 1, "{:?}", f.last());
    let ms = f.route(&r, "2026-11-23T20:01:00Z").unwrap();
    let esc: Vec<_> = ms.iter().filter(|m| m.kind == "escalation").collect();
    assert_eq!(esc.len(), 1);
    assert_eq!(outgoing(esc[0]).recipients, strings(&["erin@example.com"]));
    assert_eq!(esc[0].audience, "escalation-targets");

    // customer-data: an impact event and an escalation to executive and legal.
    f.act(
        "2026-11-23T20:10:00Z",
        Action::Impact {
            impact: "customer-data".into(),
        },
    );
    let ms = f.route(&r, "2026-11-23T20:10:00Z").unwrap();
    let s = summary(&ms);
    assert!(
        s.contains(&(
            "mail".into(),
            "executive-brief".into(),
            strings(&["erin@example.com"])
        )),
        "{s:?}"
    );
    let brief = ms.iter().find(|m| m.kind == "executive-brief").unwrap();
    let data = outgoing(brief).data;
    // Nobody holds or may hold legal: reported in the message's data.
    assert_eq!(data["extra"]["unreachable"][0]["name"], "role legal");
    assert_eq!(data["extra"]["event"]["kind"], "impact");
    let esc = ms.iter().find(|m| m.kind == "escalation").unwrap();
    assert_eq!(outgoing(esc).recipients, strings(&["erin@example.com"]));
    assert_eq!(
        outgoing(esc).data["extra"]["unreachable"][0]["name"],
        "role legal"
    );
}

#[test]
fn an_audience_nobody_in_can_be_reached_is_an_error() {
    // Only legal (nobody) and bob (no email) on email.
    let file = FILE.replace(
        "roles = [\"executive\", \"legal\"]",
        "roles = [\"legal\"]\npeople = [\"bob\"]",
    );
    let r = routing(&file);
    let mut f = Fixture::new(&file);
    f.act(
        "2026-11-23T12:10:00Z",
        Action::Impact {
            impact: "customer-data".into(),
        },
    );
    let e = f.route(&r, "2026-11-23T12:10:00Z").unwrap_err();
    assert!(e.contains("audience executive: nobody"), "{e}");
    assert!(e.contains("bob on mail: no contact.email"), "{e}");
    assert!(e.contains("role legal on mail"), "{e}");
    // On a pager too, the audience is reached (the service is paged).
    let file = file.replace(
        "roles = [\"legal\"]\npeople = [\"bob\"]\nchannels = [\"mail\"]",
        "roles = [\"legal\"]\npeople = [\"bob\"]\nchannels = [\"mail\", \"pager\"]",
    );
    let r = routing(&file);
    let ms = f.route(&r, "2026-11-23T12:10:00Z").unwrap();
    assert!(ms.iter().any(|m| m.channel == "pager"));
}

#[test]
fn a_template_error_names_the_template_and_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("comms")).unwrap();
    std::fs::write(
        dir.path().join("comms").join("kickoff.j2"),
        "{% block subject %}{{ incident.id }}{% endblock %}{% block body %}{{ incident.owner }}{% endblock %}",
    )
    .unwrap();
    let file = FILE.replace(
        "[notify.channel.war-room]",
        "[notify]\ntemplates = \"comms\"\n\n[notify.channel.war-room]",
    );
    let path: PathBuf = dir.path().join("runbook.toml");
    let r = routing_in(&file, &path);
    let f = Fixture::new(&file);
    let e = f.route(&r, "2026-11-23T12:00:00Z").unwrap_err();
    assert!(e.contains("kickoff"), "{e}");
    assert!(e.contains("undefined variable incident.owner"), "{e}");
}

#[test]
fn digests_list_what_happened_once_per_period_and_channel() {
    let r = routing(FILE);
    let mut f = Fixture::new(FILE);
    let update = |m: &str| Action::Update {
        message: m.into(),
        eta: None,
    };
    f.act("2026-11-23T12:10:00Z", update("first"));
    // A digest route queues nothing at the event.
    assert!(f.route(&r, "2026-11-23T12:10:00Z").unwrap().is_empty());
    // Nothing before the period (the shortest of the channel's: 1h) has passed
    // since the declaration.
    assert!(
        digests(&r, &f.state(), &f.events, t("2026-11-23T12:59:00Z"))
            .unwrap()
            .is_empty()
    );
    f.act("2026-11-23T12:20:00Z", update("second"));
    let ds = digests(&r, &f.state(), &f.events, t("2026-11-23T13:00:00Z")).unwrap();
    assert_eq!(ds.len(), 1);
    let d = &ds[0];
    assert_eq!(
        (d.channel.as_str(), d.kind.as_str()),
        ("war-room", "digest")
    );
    let last = f.events.len();
    assert_eq!(
        d.key.clone().unwrap(),
        format!("cverun-{ID}-{last}-war-room-digest")
    );
    let data = outgoing(d).data;
    let listed: Vec<&str> = data["extra"]["digest"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["on"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["updated", "updated"]);
    assert!(
        outgoing(d).subject().contains("2 events"),
        "{}",
        outgoing(d).subject()
    );
    // Once queued, none until the next period, and only what came since.
    f.queued("2026-11-23T13:00:00Z", d);
    f.act(
        "2026-11-23T13:10:00Z",
        Action::Decide {
            decision: cverun_incident::Decision::Hotfix,
            rationale: "upgrade".into(),
        },
    );
    assert!(
        digests(&r, &f.state(), &f.events, t("2026-11-23T13:30:00Z"))
            .unwrap()
            .is_empty()
    );
    let ds = digests(&r, &f.state(), &f.events, t("2026-11-23T14:00:00Z")).unwrap();
    assert_eq!(ds.len(), 1);
    let listed = outgoing(&ds[0]).data["extra"]["digest"]["events"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["on"], "decided");
    // A period with nothing to list queues nothing.
    f.queued("2026-11-23T14:00:00Z", &ds[0]);
    assert!(
        digests(&r, &f.state(), &f.events, t("2026-11-23T18:00:00Z"))
            .unwrap()
            .is_empty()
    );
}

/// The example routing of docs/notify.md, as written there.
fn documented_example() -> String {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/notify.md"))
            .unwrap();
    let from = doc
        .find("### Example routing")
        .expect("the example section");
    let rest = &doc[from..];
    let start = rest.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + rest[start..].find("```").unwrap();
    rest[start..end].to_owned()
}

#[test]
fn the_documented_example_routing_is_valid_and_routes_as_described() {
    let file = format!(
        r#"
[[person]]
handle = "alice"
name = "Alice Martin"
roles = ["commander"]
contact = {{ email = "alice@example.com" }}

[[person]]
handle = "erin"
name = "Erin Exec"
roles = ["executive", "legal"]
contact = {{ email = "erin@example.com" }}

[notify.channel.war-room]
kind = "slack"
url-env = "CVERUN_SLACK_URL"
[notify.channel.mail]
kind = "email"
host = "smtp.example.com"
[notify.channel.pager]
kind = "pagerduty"
routing-key-env = "CVERUN_PD_KEY"
{}"#,
        documented_example()
    );
    let r = routing(&file);
    assert_eq!(r.routes.len(), 7);
    let mut f = Fixture::new(&file);
    let ms = f.route(&r, "2026-11-23T12:00:00Z").unwrap();
    assert_eq!(
        summary(&ms),
        vec![
            ("war-room".into(), "kickoff".into(), vec![]),
            ("pager".into(), "kickoff".into(), vec![]),
            (
                "mail".into(),
                "kickoff".into(),
                strings(&["alice@example.com"])
            ),
        ]
    );
    // Every update interval missed: a status to the war room.
    f.tick("2026-11-23T16:01:00Z");
    let ms = f.route(&r, "2026-11-23T16:01:00Z").unwrap();
    assert!(
        ms.iter()
            .any(|m| m.kind == "status" && m.channel == "war-room"),
        "{:?}",
        summary(&ms)
    );
    f.act(
        "2026-11-23T16:10:00Z",
        Action::Impact {
            impact: "customer-data".into(),
        },
    );
    let ms = f.route(&r, "2026-11-23T16:10:00Z").unwrap();
    let brief = ms.iter().find(|m| m.kind == "executive-brief").unwrap();
    assert_eq!(outgoing(brief).recipients, strings(&["erin@example.com"]));
    // The escalation to executive and legal: paged, and mailed to erin.
    let esc: Vec<_> = summary(&ms)
        .into_iter()
        .filter(|(_, t, _)| t == "escalation")
        .collect();
    assert_eq!(
        esc,
        vec![
            ("pager".into(), "escalation".into(), vec![]),
            (
                "mail".into(),
                "escalation".into(),
                strings(&["erin@example.com"])
            ),
        ]
    );
}

#[test]
fn an_overdue_action_item_goes_to_its_owner() {
    let file = FILE.replace(
        "[notify.audience.executive]",
        "[notify.audience.action-owner]\nchannels = [\"mail\"]\n\n[notify.audience.executive]",
    ) + "\n[[notify.route]]\non = \"action-overdue\"\ntemplate = \"status\"\nto = [\"action-owner\"]\n";
    let r = routing(&file);
    let mut f = Fixture::new(&file);
    f.act(
        "2026-11-23T12:05:00Z",
        Action::AddActionItem {
            text: "rotate the keys".into(),
            owner: "erin".into(),
            due: t("2026-11-24T12:00:00Z"),
        },
    );
    assert!(f.route(&r, "2026-11-23T12:05:00Z").unwrap().is_empty());
    f.tick("2026-11-24T12:01:00Z");
    let ms = f.route(&r, "2026-11-24T12:01:00Z").unwrap();
    let owner: Vec<_> = ms.iter().filter(|m| m.audience == "action-owner").collect();
    assert_eq!(owner.len(), 1, "{:?}", summary(&ms));
    assert_eq!(
        outgoing(owner[0]).recipients,
        strings(&["erin@example.com"])
    );
    assert_eq!(
        outgoing(owner[0]).data["extra"]["event"]["kind"],
        "action-overdue"
    );
    // action-owner belongs to on = "action-overdue" only.
    let bad = file.replace(
        "on = \"action-overdue\"\ntemplate = \"status\"",
        "on = \"overdue\"\ntemplate = \"status\"",
    );
    let rb = Runbook::from_toml(Path::new("runbook.toml"), &bad).unwrap();
    let e = Routing::parse(Path::new("runbook.toml"), &bad, &rb).unwrap_err();
    assert!(e.message.contains("on = \"action-overdue\" only"), "{e}");
}

#[test]
fn a_tick_catching_up_on_missed_updates_sends_one_status() {
    let file = format!(
        "{FILE}\n[[notify.route]]\non = \"update-missed\"\ntemplate = \"status\"\nto = [\"war-room\"]\n"
    );
    let r = routing(&file);
    let mut f = Fixture::new(&file);
    // A P2 of the built-in runbook updates every 4h: three days of silence,
    // 18 missed updates recorded by one tick.
    f.tick("2026-11-26T12:01:00Z");
    let missed: Vec<u64> = f
        .last()
        .iter()
        .filter(|e| e.kind == "overdue" && e.details.contains("update:"))
        .map(|e| e.seq)
        .collect();
    assert_eq!(missed.len(), 18);
    let ms = f.route(&r, "2026-11-26T12:01:00Z").unwrap();
    let status: Vec<&NewMessage> = ms.iter().filter(|m| m.kind == "status").collect();
    assert_eq!(status.len(), 1, "{:?}", summary(&ms));
    // Caused by the last of them.
    let last = missed[17];
    assert_eq!(
        status[0].key.as_deref(),
        Some(format!("cverun-{ID}-{last}-war-room-status").as_str())
    );
}
