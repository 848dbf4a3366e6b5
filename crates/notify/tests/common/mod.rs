//! An incident built through the rules of `cverun-incident` (as the store
//! does), with hostile text in every free-text field the data carries.

#![allow(dead_code)]

use cverun_incident::chain::GENESIS;
use cverun_incident::rules::{act, declare};
use cverun_incident::{
    Action, AssignedPriority, Declaration, Event, EventBody, Incident, Priority, Runbook,
};
use jiff::Timestamp;

/// Text that must never become markup, a mention or a link.
pub const HOSTILE: &str = "<script>alert(1)</script> *bold* <!channel> @here <@U024BE7LH> <!here> @everyone [x](https://evil.example)";

pub fn t(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// The built-in runbook with a roster of two.
pub fn runbook() -> Runbook {
    Runbook::from_toml(
        std::path::Path::new("runbook.toml"),
        r#"
[[person]]
handle = "alice"
name = "Alice Martin"
roles = ["commander", "security-lead"]
contact = { email = "alice@example.com", slack = "@alice" }

[[person]]
handle = "bob"
name = "Bob Stone"
roles = ["technical-lead", "devops"]
"#,
    )
    .unwrap()
}

pub struct Fixture {
    pub events: Vec<Event>,
}

impl Fixture {
    /// A P1 incident declared at 2026-11-23T12:00:00Z by alice (commander).
    pub fn new(title: &str) -> Fixture {
        let d = Declaration {
            advisory: "GHSA-9wx4-h78v-vm56".into(),
            priority: AssignedPriority::declared_by(Priority::P1, "alice"),
            title: Some(title.into()),
            description: None,
            commander: Some("alice".into()),
            services: vec!["checkout".into(), "cart".into()],
            published: None,
            detected: None,
            aliases: vec!["CVE-2024-35195".into()],
            scope: None,
            duplicate: None,
        };
        let bodies = declare(&d, &runbook(), t("2026-11-23T12:00:00Z")).unwrap();
        let mut f = Fixture { events: Vec::new() };
        f.push("alice", "2026-11-23T12:00:00Z", bodies);
        f
    }

    fn push(&mut self, actor: &str, at: &str, bodies: Vec<EventBody>) {
        for b in bodies {
            let prev = self
                .events
                .last()
                .map(|e| e.hash.clone())
                .unwrap_or_else(|| GENESIS.into());
            let seq = self.events.len() as u64 + 1;
            self.events
                .push(Event::new("INC-2026-11-23-1", seq, t(at), actor, &b, &prev));
        }
    }

    pub fn state(&self) -> Incident {
        Incident::from_events(&self.events).unwrap()
    }

    pub fn act(&mut self, actor: &str, at: &str, a: Action) {
        let bodies = act(&self.state(), &a, actor, t(at)).unwrap();
        self.push(actor, at, bodies);
    }
}

/// The hostile incident: title, a status update and a decision rationale
/// carrying [`HOSTILE`].
pub fn hostile() -> Incident {
    let mut f = Fixture::new(HOSTILE);
    f.act(
        "alice",
        "2026-11-23T12:20:00Z",
        Action::Update {
            message: format!("update: {HOSTILE}"),
            eta: None,
        },
    );
    f.act(
        "alice",
        "2026-11-23T12:25:00Z",
        Action::Note {
            text: HOSTILE.into(),
            section: None,
        },
    );
    f.state()
}
