//! The `[notify]` table of the runbook file, as routing reads it: the template
//! directory, the channels' names and kinds, the audiences and the routes.
//!
//! Other keys of `[notify]` and of each channel belong to the channels and are
//! left alone; inside an audience or a route, an unknown key is an error (a typo
//! never silently drops a message).

use cverun_incident::runbook::line_of;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use cverun_incident::{Interval, Phase, Runbook};
use serde::Deserialize;
use toml::Spanned;

use crate::template;

/// The audience meaning the roles and people an `escalated` event names.
pub const ESCALATION_TARGETS: &str = "escalation-targets";

/// The audience meaning the owner of an overdue action item.
pub const ACTION_OWNER: &str = "action-owner";

/// The channel kinds a runbook may name.
pub const CHANNEL_KINDS: &[&str] = &[
    "slack",
    "slack-bot",
    "teams",
    "email",
    "webhook",
    "pagerduty",
    "github",
    "gitlab",
];

/// What a route reacts to (see the module documentation of [`crate::route`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum On {
    /// The incident was declared.
    Declared,
    /// It moved to another phase (not the end).
    PhaseChanged,
    /// A status update was recorded.
    Updated,
    /// A status update was due and none came (an `update:` deadline passed).
    UpdateMissed,
    /// Another deadline passed.
    Overdue,
    /// People were told by an escalation (a clock or an impact).
    Escalated,
    /// An impact was recorded.
    Impact,
    /// A decision was recorded.
    Decided,
    /// The priority changed.
    PriorityChanged,
    /// An action item passed its due time.
    ActionOverdue,
    /// The incident reached its end (`resolved`).
    Resolved,
    /// It was called off.
    Cancelled,
    /// It was reopened.
    Reopened,
    /// A fix was made on a hotfix branch.
    FixApplied,
    /// A re-scan was judged.
    Verified,
}

impl On {
    /// Every value, in documentation order.
    pub const ALL: [On; 15] = [
        On::Declared,
        On::PhaseChanged,
        On::Updated,
        On::UpdateMissed,
        On::Overdue,
        On::Escalated,
        On::Impact,
        On::Decided,
        On::PriorityChanged,
        On::ActionOverdue,
        On::Resolved,
        On::Cancelled,
        On::Reopened,
        On::FixApplied,
        On::Verified,
    ];

    /// The spelling in the runbook file.
    pub fn key(self) -> &'static str {
        match self {
            On::Declared => "declared",
            On::PhaseChanged => "phase-changed",
            On::Updated => "updated",
            On::UpdateMissed => "update-missed",
            On::Overdue => "overdue",
            On::Escalated => "escalated",
            On::Impact => "impact",
            On::Decided => "decided",
            On::PriorityChanged => "priority-changed",
            On::ActionOverdue => "action-overdue",
            On::Resolved => "resolved",
            On::Cancelled => "cancelled",
            On::Reopened => "reopened",
            On::FixApplied => "fix-applied",
            On::Verified => "verified",
        }
    }

    /// The value spelled `s`.
    pub fn parse(s: &str) -> Option<On> {
        On::ALL.into_iter().find(|o| o.key() == s)
    }
}

impl fmt::Display for On {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// Who a message is for: people (by role or by handle) reached on channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Audience {
    /// Its name (`[notify.audience.<name>]`, or a channel's name used alone).
    pub name: String,
    /// The roles whose people it means: the current holder, or when nobody holds
    /// the role, everyone the roster says may hold it.
    pub roles: Vec<String>,
    /// People of the roster, by handle or alias.
    pub people: Vec<String>,
    /// The channels (names of `[notify.channel.*]`).
    pub channels: Vec<String>,
}

/// One `[[notify.route]]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    /// The event it reacts to.
    pub on: On,
    /// With `on = "phase-changed"`: only into this phase.
    pub phase: Option<Phase>,
    /// With `on = "impact"`: only this impact.
    pub impact: Option<String>,
    /// The template id.
    pub template: String,
    /// The audiences.
    pub to: Vec<String>,
    /// Not sent at the event: listed in a digest per this period (`tick`).
    pub digest: Option<Interval>,
    /// The regulatory clock the message notifies (`gdpr`): its deadline then
    /// shows when the notice was queued, approved and delivered.
    pub clock: Option<String>,
    /// Its line in the file.
    pub line: u32,
}

/// The routing of a runbook file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Routing {
    /// The file it was read from.
    pub file: PathBuf,
    /// The template directory (`templates`, relative to the file), when given.
    pub templates: Option<PathBuf>,
    /// The channels: name and kind.
    pub channels: BTreeMap<String, String>,
    /// The audiences by name.
    pub audiences: BTreeMap<String, Audience>,
    /// The routes, in file order.
    pub routes: Vec<Rule>,
    /// The approvals `[notify.approvals]` sets per template (else the
    /// built-in defaults: customer and regulator notices are held).
    pub approvals: Option<cverun_incident::outbox::approval::Configured>,
}

/// A `[notify]` table that cannot be used: the file, the line, the key and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {key}: {message}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct RoutingError {
    /// The runbook file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<u32>,
    /// The key (`notify.route[2].template`).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

// ---- the file's shape (only the keys routing owns) ----

#[derive(Deserialize, Default)]
struct RawFile {
    #[serde(default)]
    notify: Option<RawNotify>,
}

#[derive(Deserialize, Default)]
struct RawNotify {
    #[serde(default)]
    templates: Option<Spanned<String>>,
    #[serde(default)]
    channel: BTreeMap<Spanned<String>, RawChannel>,
    #[serde(default)]
    audience: BTreeMap<Spanned<String>, RawAudience>,
    #[serde(default)]
    route: Vec<Spanned<RawRoute>>,
}

#[derive(Deserialize)]
struct RawChannel {
    kind: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudience {
    #[serde(default)]
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    people: Vec<Spanned<String>>,
    channels: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    on: Spanned<String>,
    template: Spanned<String>,
    to: Spanned<Vec<Spanned<String>>>,
    phase: Option<Spanned<String>>,
    impact: Option<Spanned<String>>,
    digest: Option<Spanned<String>>,
    clock: Option<Spanned<String>>,
}

/// The errors of one parse, with the file and text at hand.
struct Ctx<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn err<T>(&self, s: &Spanned<T>, key: String, message: String) -> RoutingError {
        RoutingError {
            file: self.file.to_owned(),
            line: Some(line_of(self.text, s.span().start)),
            key,
            message,
        }
    }
}

impl Routing {
    /// Whether the file routes anything.
    pub fn has_routes(&self) -> bool {
        !self.routes.is_empty()
    }

    /// The routing in `text` (the content of runbook file `file`), checked
    /// against `runbook` (the same file's runbook: roles, people, phases,
    /// impacts), the channels and the templates (built in, or `<id>.j2` in the
    /// `templates` directory). A file without `[notify]` routes nothing.
    pub fn parse(file: &Path, text: &str, runbook: &Runbook) -> Result<Routing, RoutingError> {
        let cx = Ctx { file, text };
        let raw: RawFile = toml::from_str(text).map_err(|e| RoutingError {
            file: file.to_owned(),
            line: e.span().map(|s| line_of(text, s.start)),
            key: "notify".into(),
            message: e.message().trim().to_owned(),
        })?;
        let Some(n) = raw.notify else {
            return Ok(Routing {
                file: file.to_owned(),
                ..Routing::default()
            });
        };
        let approvals = cverun_incident::outbox::approval::Configured::from_runbook_text(
            file, text,
        )
        .map_err(|message| RoutingError {
            file: file.to_owned(),
            line: None,
            key: "notify.approvals".into(),
            message,
        })?;
        let mut out = Routing {
            file: file.to_owned(),
            approvals: Some(approvals),
            ..Routing::default()
        };
        if let Some(t) = &n.templates {
            let dir = file
                .parent()
                .unwrap_or(Path::new("."))
                .join(t.get_ref().as_str());
            if !dir.is_dir() {
                return Err(cx.err(
                    t,
                    "notify.templates".into(),
                    format!(
                        "template directory {} does not exist (relative to the runbook file)",
                        dir.display()
                    ),
                ));
            }
            out.templates = Some(dir);
        }
        for (name, ch) in &n.channel {
            let key = format!("notify.channel.{}", name.get_ref());
            let kind = ch.kind.as_ref().ok_or_else(|| {
                cx.err(
                    name,
                    format!("{key}.kind"),
                    format!("no kind (one of {})", CHANNEL_KINDS.join(", ")),
                )
            })?;
            if !CHANNEL_KINDS.contains(&kind.get_ref().as_str()) {
                return Err(cx.err(
                    kind,
                    format!("{key}.kind"),
                    format!(
                        "unknown channel kind {:?} (one of {})",
                        kind.get_ref(),
                        CHANNEL_KINDS.join(", ")
                    ),
                ));
            }
            out.channels
                .insert(name.get_ref().clone(), kind.get_ref().clone());
        }
        for (name, a) in &n.audience {
            let key = format!("notify.audience.{}", name.get_ref());
            let special = [ESCALATION_TARGETS, ACTION_OWNER].contains(&name.get_ref().as_str());
            if special && (!a.roles.is_empty() || !a.people.is_empty()) {
                return Err(cx.err(
                    name,
                    key,
                    format!(
                        "{} means the people the event names: give it channels only",
                        name.get_ref()
                    ),
                ));
            }
            let mut roles = Vec::new();
            for r in &a.roles {
                let role = runbook.resolve_role(r.get_ref()).ok_or_else(|| {
                    cx.err(
                        r,
                        format!("{key}.roles"),
                        format!(
                            "unknown role {:?} (the runbook's roles: {})",
                            r.get_ref(),
                            runbook
                                .roles
                                .iter()
                                .map(|d| d.id.key())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
                if !roles.iter().any(|k| k == role.key()) {
                    roles.push(role.key().to_owned());
                }
            }
            let mut people = Vec::new();
            for p in &a.people {
                let person = runbook.person(p.get_ref()).ok_or_else(|| {
                    cx.err(
                        p,
                        format!("{key}.people"),
                        format!(
                            "{:?} is not a person of the roster ([[person]])",
                            p.get_ref()
                        ),
                    )
                })?;
                people.push(person.handle.clone());
            }
            if a.channels.get_ref().is_empty() {
                return Err(cx.err(
                    &a.channels,
                    format!("{key}.channels"),
                    "no channel: an audience is reached on at least one channel".into(),
                ));
            }
            let mut channels = Vec::new();
            for c in a.channels.get_ref() {
                if !out.channels.contains_key(c.get_ref()) {
                    return Err(cx.err(
                        c,
                        format!("{key}.channels"),
                        unknown_channel(c.get_ref(), &out.channels),
                    ));
                }
                if !channels.contains(c.get_ref()) {
                    channels.push(c.get_ref().clone());
                }
            }
            out.audiences.insert(
                name.get_ref().clone(),
                Audience {
                    name: name.get_ref().clone(),
                    roles,
                    people,
                    channels,
                },
            );
        }
        // channel -> (template, route number) of its digests
        let mut digest_of: BTreeMap<String, (String, usize)> = BTreeMap::new();
        for (i, r) in n.route.iter().enumerate() {
            let rule = out.rule(&cx, i + 1, r, runbook)?;
            if rule.digest.is_some() {
                for a in &rule.to {
                    for c in out.audiences.get(a).map(|a| &a.channels[..]).unwrap_or(&[]) {
                        let (t, first) = digest_of
                            .entry(c.clone())
                            .or_insert((rule.template.clone(), i + 1));
                        if *t != rule.template {
                            return Err(cx.err(
                                &r.get_ref().template,
                                format!("notify.route[{}].template", i + 1),
                                format!(
                                    "the digests of channel {c} are rendered with {t:?} (route {first}): one digest per channel, one template"
                                ),
                            ));
                        }
                    }
                }
            }
            out.routes.push(rule);
        }
        Ok(out)
    }

    fn rule(
        &mut self,
        cx: &Ctx<'_>,
        n: usize,
        r: &Spanned<RawRoute>,
        runbook: &Runbook,
    ) -> Result<Rule, RoutingError> {
        let key = format!("notify.route[{n}]");
        let raw = r.get_ref();
        let on = On::parse(raw.on.get_ref()).ok_or_else(|| {
            cx.err(
                &raw.on,
                format!("{key}.on"),
                format!(
                    "unknown event {:?} (one of {})",
                    raw.on.get_ref(),
                    On::ALL.map(On::key).join(", ")
                ),
            )
        })?;
        let id = raw.template.get_ref();
        match template::source(id, self.templates.as_deref()) {
            Ok(_) => {}
            Err(e) => return Err(cx.err(&raw.template, format!("{key}.template"), e.to_string())),
        }
        let phase = match &raw.phase {
            None => None,
            Some(p) if on != On::PhaseChanged => {
                return Err(cx.err(
                    p,
                    format!("{key}.phase"),
                    format!("phase filters on = \"phase-changed\" only (this route is on {on})"),
                ));
            }
            Some(p) => {
                let known: Vec<&str> = runbook.phases.iter().map(|d| d.id.key()).collect();
                match p.get_ref().parse::<Phase>() {
                    Ok(ph) if known.contains(&ph.key()) => Some(ph),
                    _ => {
                        return Err(cx.err(
                            p,
                            format!("{key}.phase"),
                            format!(
                                "unknown phase {:?} (the runbook's phases: {}; the end is on = \"resolved\")",
                                p.get_ref(),
                                known.join(", ")
                            ),
                        ));
                    }
                }
            }
        };
        let impact = match &raw.impact {
            None => None,
            Some(i) if on != On::Impact => {
                return Err(cx.err(
                    i,
                    format!("{key}.impact"),
                    format!("impact filters on = \"impact\" only (this route is on {on})"),
                ));
            }
            Some(i) => {
                let known = runbook.impact_names();
                if !known.contains(i.get_ref().as_str()) {
                    return Err(cx.err(
                        i,
                        format!("{key}.impact"),
                        format!(
                            "unknown impact {:?} (the runbook's impacts: {})",
                            i.get_ref(),
                            known.into_iter().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
                Some(i.get_ref().clone())
            }
        };
        let digest = match &raw.digest {
            None => None,
            Some(d) => match d.get_ref().parse::<Interval>() {
                Ok(i) if i.as_seconds() >= 60 => Some(i),
                Ok(_) => {
                    return Err(cx.err(
                        d,
                        format!("{key}.digest"),
                        "a digest period is at least 1 minute".into(),
                    ));
                }
                Err(e) => return Err(cx.err(d, format!("{key}.digest"), e.to_string())),
            },
        };
        if raw.to.get_ref().is_empty() {
            return Err(cx.err(
                &raw.to,
                format!("{key}.to"),
                "no audience: a route goes to at least one".into(),
            ));
        }
        let mut to = Vec::new();
        for a in raw.to.get_ref() {
            let name = a.get_ref();
            let special = match name.as_str() {
                ESCALATION_TARGETS => Some(On::Escalated),
                ACTION_OWNER => Some(On::ActionOverdue),
                _ => None,
            };
            if let Some(needs) = special {
                if on != needs {
                    return Err(cx.err(
                        a,
                        format!("{key}.to"),
                        format!("{name} is the audience of on = \"{needs}\" only"),
                    ));
                }
                if !self.audiences.contains_key(name) {
                    return Err(cx.err(
                        a,
                        format!("{key}.to"),
                        format!(
                            "{name}: say on which channels with [notify.audience.{name}] channels = [...]"
                        ),
                    ));
                }
            } else if !self.audiences.contains_key(name) {
                // A channel's name alone is the audience of that channel.
                if self.channels.contains_key(name) {
                    self.audiences.insert(
                        name.clone(),
                        Audience {
                            name: name.clone(),
                            roles: Vec::new(),
                            people: Vec::new(),
                            channels: vec![name.clone()],
                        },
                    );
                } else {
                    return Err(cx.err(
                        a,
                        format!("{key}.to"),
                        format!(
                            "unknown audience {name:?} (audiences: {}; or a channel's name)",
                            names(self.audiences.keys())
                        ),
                    ));
                }
            }
            if !to.contains(name) {
                to.push(name.clone());
            }
        }
        let clock = match &raw.clock {
            None => None,
            Some(c) if !runbook.regulatory.iter().any(|r| r.id == *c.get_ref()) => {
                return Err(cx.err(
                    c,
                    format!("{key}.clock"),
                    format!(
                        "no regulatory clock {:?} (the runbook has: {})",
                        c.get_ref(),
                        names(runbook.regulatory.iter().map(|r| &r.id))
                    ),
                ));
            }
            Some(c) => Some(c.get_ref().clone()),
        };
        Ok(Rule {
            on,
            phase,
            impact,
            template: id.clone(),
            to,
            digest,
            clock,
            line: line_of(cx.text, r.span().start),
        })
    }
}

fn names<'a>(it: impl Iterator<Item = &'a String>) -> String {
    let v: Vec<&str> = it.map(String::as_str).collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

fn unknown_channel(name: &str, channels: &BTreeMap<String, String>) -> String {
    format!(
        "unknown channel {name:?} (channels: {})",
        names(channels.keys())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNBOOK: &str = r#"
[[person]]
handle = "alice"
name = "Alice"
roles = ["commander"]
contact = { email = "alice@example.com" }

[notify]
templates = "comms"

[notify.channel.war-room]
kind = "slack"
url-env = "X"
[notify.channel.mail]
kind = "email"
host = "smtp.example.com"

[notify.audience.on-call]
roles = ["commander", "ic"]
people = ["ALICE"]
channels = ["mail"]
[notify.audience.escalation-targets]
channels = ["mail"]

[[notify.route]]
on = "declared"
template = "kickoff"
to = ["war-room", "on-call"]

[[notify.route]]
on = "phase-changed"
phase = "validation"
template = "status"
to = ["on-call"]

[[notify.route]]
on = "impact"
impact = "customer-data"
template = "executive-brief"
to = ["on-call"]
digest = "1h"
"#;

    fn parse(text: &str) -> Result<Routing, RoutingError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("comms")).unwrap();
        std::fs::write(
            dir.path().join("comms").join("custom.j2"),
            "{% block subject %}s{% endblock %}{% block body %}b{% endblock %}",
        )
        .unwrap();
        let file = dir.path().join("runbook.toml");
        let rb = Runbook::from_toml(&file, text).expect("runbook");
        Routing::parse(&file, text, &rb)
    }

    /// `text` with `old` replaced by `new`, and the error it gives.
    fn error(old: &str, new: &str) -> RoutingError {
        assert!(RUNBOOK.contains(old), "{old}");
        parse(&RUNBOOK.replacen(old, new, 1)).expect_err(new)
    }

    fn line(text: &str, needle: &str) -> u32 {
        text.lines().position(|l| l.contains(needle)).unwrap() as u32 + 1
    }

    #[test]
    fn a_full_table_is_read() {
        let r = parse(RUNBOOK).unwrap();
        assert_eq!(r.channels["mail"], "email");
        assert_eq!(r.audiences["on-call"].roles, vec!["commander"]);
        assert_eq!(r.audiences["on-call"].people, vec!["alice"]);
        // A channel's name alone is an audience of that channel.
        assert_eq!(r.audiences["war-room"].channels, vec!["war-room"]);
        assert_eq!(r.routes.len(), 3);
        assert_eq!(r.routes[0].to, vec!["war-room", "on-call"]);
        assert_eq!(r.routes[1].phase, Some(Phase::Validation));
        assert_eq!(r.routes[2].impact.as_deref(), Some("customer-data"));
        assert_eq!(r.routes[2].digest.map(|d| d.as_seconds()), Some(3600));
        assert_eq!(
            r.routes[1].line,
            line(RUNBOOK, "on = \"phase-changed\"") - 1
        );
        assert!(r.templates.unwrap().ends_with("comms"));
    }

    #[test]
    fn a_file_without_notify_routes_nothing() {
        let r = parse("[role.dba]\nlabel = \"DBA\"\n").unwrap();
        assert!(!r.has_routes() && r.channels.is_empty());
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        let cases: &[(&str, &str, &str, &str)] = &[
            (
                "template = \"kickoff\"",
                "template = \"kickof\"",
                "notify.route[1].template",
                "no template \"kickof\"",
            ),
            (
                "roles = [\"commander\", \"ic\"]",
                "roles = [\"commander\", \"cfo\"]",
                "notify.audience.on-call.roles",
                "unknown role \"cfo\"",
            ),
            (
                "people = [\"ALICE\"]",
                "people = [\"mallory\"]",
                "notify.audience.on-call.people",
                "\"mallory\" is not a person",
            ),
            (
                "channels = [\"mail\"]\n[notify.audience.escalation",
                "channels = [\"sms\"]\n[notify.audience.escalation",
                "notify.audience.on-call.channels",
                "unknown channel \"sms\"",
            ),
            (
                "on = \"declared\"",
                "on = \"declare\"",
                "notify.route[1].on",
                "unknown event \"declare\"",
            ),
            (
                "phase = \"validation\"",
                "phase = \"qa\"",
                "notify.route[2].phase",
                "unknown phase \"qa\"",
            ),
            (
                "impact = \"customer-data\"",
                "impact = \"outage\"",
                "notify.route[3].impact",
                "unknown impact \"outage\"",
            ),
            (
                "digest = \"1h\"",
                "digest = \"soon\"",
                "notify.route[3].digest",
                "",
            ),
            (
                "to = [\"war-room\", \"on-call\"]",
                "to = [\"war-room\", \"everyone\"]",
                "notify.route[1].to",
                "unknown audience \"everyone\"",
            ),
            (
                "to = [\"war-room\", \"on-call\"]",
                "to = [\"escalation-targets\"]",
                "notify.route[1].to",
                "on = \"escalated\" only",
            ),
            (
                "kind = \"email\"",
                "kind = \"fax\"",
                "notify.channel.mail.kind",
                "unknown channel kind \"fax\"",
            ),
        ];
        for (old, new, key, message) in cases {
            let e = error(old, new);
            let text = RUNBOOK.replacen(old, new, 1);
            let first = new.lines().next().unwrap();
            assert_eq!(e.key, *key, "{e}");
            assert_eq!(e.line, Some(line(&text, first)), "{e}");
            assert!(e.message.contains(message), "{e}");
            assert!(e.to_string().contains("runbook.toml:"), "{e}");
        }
    }

    #[test]
    fn unknown_keys_of_routes_and_audiences_are_errors() {
        let e = error(
            "template = \"kickoff\"",
            "template = \"kickoff\"\nchanel = \"x\"",
        );
        assert!(e.message.contains("chanel"), "{e}");
        let text = RUNBOOK.replacen(
            "template = \"kickoff\"",
            "template = \"kickoff\"\nchanel = \"x\"",
            1,
        );
        assert_eq!(e.line, Some(line(&text, "chanel")));
        let e = error("people = [\"ALICE\"]", "peple = [\"alice\"]");
        assert!(e.message.contains("peple"), "{e}");
    }

    #[test]
    fn the_digests_of_a_channel_have_one_template() {
        let text = format!(
            "{RUNBOOK}\n[[notify.route]]\non = \"updated\"\ntemplate = \"status\"\nto = [\"on-call\"]\ndigest = \"2h\"\n"
        );
        let e = parse(&text).unwrap_err();
        assert_eq!(e.key, "notify.route[4].template");
        assert!(e.message.contains("\"executive-brief\" (route 3)"), "{e}");
        assert_eq!(e.line, Some(text.lines().count() as u32 - 2));
    }

    #[test]
    fn filters_belong_to_their_event_and_templates_may_be_the_teams() {
        let e = error(
            "on = \"declared\"",
            "on = \"declared\"\nphase = \"validation\"",
        );
        assert_eq!(e.key, "notify.route[1].phase");
        assert!(e.message.contains("phase-changed"), "{e}");
        let r =
            parse(&RUNBOOK.replacen("template = \"kickoff\"", "template = \"custom\"", 1)).unwrap();
        assert_eq!(r.routes[0].template, "custom");
        let e = error("templates = \"comms\"", "templates = \"nowhere\"");
        assert_eq!(e.key, "notify.templates");
    }
}
