//! `cverun comms ...`: incident communications. `render` prints a message of an
//! incident exactly as a channel would send it (the JSON payload, pretty; the
//! email's headers and parts; plain text). `draft` queues a message by hand
//! (held when its template needs approvals), `show` prints a queued message with
//! its hash and approvals, `approve` approves its exact body. Templates,
//! escaping and payloads live in `cverun-notify`, approvals in
//! `cverun-incident`; this module loads, records and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use cverun_incident::Role;
use cverun_incident::chain::Anchor;
use cverun_incident::outbox::witness::RecordHead;
use cverun_incident::outbox::{self, MessageId, NewMessage};
use cverun_incident::view;
use cverun_notify::channel::{OutgoingMessage, email, pagerduty, slack, teams, webhook};
use cverun_notify::template::{self, Target};

use super::incident::{StoreArgs, incident_id};
use crate::cli::Format;
use crate::output;

/// `cverun comms`.
#[derive(Debug, Args)]
pub struct CommsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(subcommand)]
    pub command: CommsCommand,
}

/// The channel a message is rendered for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ChannelKind {
    /// Slack incoming webhook: Block Kit JSON.
    Slack,
    /// Microsoft Teams Workflows webhook: an Adaptive Card message.
    Teams,
    /// Email: headers, text part, HTML part.
    Email,
    /// A Standard Webhooks JSON body.
    Webhook,
    /// A PagerDuty Events API v2 event.
    Pagerduty,
    /// Plain text.
    Text,
}

#[derive(Debug, Subcommand)]
pub enum CommsCommand {
    /// Print message TEMPLATE of incident ID as CHANNEL would send it (kickoff,
    /// status, escalation, resolution, customer-notice, regulator-notice,
    /// executive-brief, post-incident-summary, or a file of --templates).
    Render {
        /// The incident id.
        id: String,
        /// The template id.
        template: String,
        /// The channel.
        #[arg(long, value_enum, default_value = "text")]
        channel: ChannelKind,
        /// The team's template directory (TEMPLATE.j2 there overrides the
        /// built-in one).
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
    },
    /// Queue message TEMPLATE of incident ID for channel NAME by hand. A
    /// customer-notice waits for the communications lead's approval, a
    /// regulator-notice for the communications lead's and legal's (held until
    /// then); see `comms show` and `comms approve`.
    Draft {
        /// The incident id.
        id: String,
        /// The template id.
        template: String,
        /// The channel's name in the runbook's [notify] table.
        #[arg(long, value_name = "NAME")]
        channel: String,
        /// Who it is for (an audience of the runbook, a role, a list).
        #[arg(long, value_name = "AUDIENCE")]
        audience: String,
        /// The regulatory clock the message notifies (gdpr, nis2-notification...),
        /// shown with that clock's deadline.
        #[arg(long, value_name = "CLOCK")]
        clock: Option<String>,
        /// Roles that must approve it, instead of the template's default
        /// (repeat; `--needs none` for no approval).
        #[arg(long, value_name = "ROLE")]
        needs: Vec<String>,
        /// The team's template directory.
        #[arg(long, value_name = "DIR")]
        templates: Option<PathBuf>,
    },
    /// Print a queued message: its text as it will be sent, the SHA-256 of its
    /// body, the approvals given and those missing.
    Show {
        /// The message id (INCIDENT/SEQ).
        message: String,
    },
    /// Approve a held message's exact body, in a role it needs that you hold or
    /// may hold; the last approval needed releases it.
    Approve {
        /// The message id (INCIDENT/SEQ).
        message: String,
        /// The SHA-256 of the body approved, as `comms show` prints it.
        #[arg(long, value_name = "HEX")]
        sha256: String,
    },
}

/// Runs `cverun comms`.
pub fn run(args: CommsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        CommsCommand::Render {
            id,
            template,
            channel,
            templates,
        } => render(&args.store, &id, &template, channel, templates),
        CommsCommand::Draft {
            id,
            template,
            channel,
            audience,
            clock,
            needs,
            templates,
        } => draft(
            &args.store,
            &Draft {
                id: &id,
                template: &template,
                channel: &channel,
                audience: &audience,
                clock,
                needs,
                templates,
            },
        ),
        CommsCommand::Show { message } => show(&args.store, &message),
        CommsCommand::Approve { message, sha256 } => approve(&args.store, &message, &sha256),
    }
}

/// What `comms draft` was given.
struct Draft<'a> {
    id: &'a str,
    template: &'a str,
    channel: &'a str,
    audience: &'a str,
    clock: Option<String>,
    needs: Vec<String>,
    templates: Option<PathBuf>,
}

fn draft(s: &StoreArgs, d: &Draft<'_>) -> anyhow::Result<ExitCode> {
    let actor = s.acting()?;
    let id = incident_id(d.id);
    let (mut store, loaded) = s.load(&id)?;
    let inc = loaded.state.as_ref().map_err(|e| {
        anyhow::anyhow!("{e}; the timeline cannot be read (see `cverun incident verify {id}`)")
    })?;
    let needs = match d.needs.as_slice() {
        [] => configured_needs(s, d.template, inc)?,
        [none] if none == "none" => Some(Vec::new()),
        names => Some(
            names
                .iter()
                .map(|n| {
                    inc.runbook
                        .resolve_role(n)
                        .ok_or_else(|| anyhow::anyhow!("--needs: {id}'s runbook has no role {n:?}"))
                })
                .collect::<anyhow::Result<Vec<Role>>>()?,
        ),
    };
    let now = super::now()?;
    let extra = serde_json::json!({ "clock": d.clock });
    let ctx = template::context(inc, now, Some(&extra));
    // The key of a message queued without a cause: its own message-queued seq.
    let key = outbox::default_key(&id, loaded.head_seq + 1, d.channel, d.template);
    let msg = OutgoingMessage::prepare(&key, d.template, d.templates.as_deref(), &ctx)?;
    let text = msg.for_target(Target::Text);
    let m = NewMessage {
        channel: d.channel.to_owned(),
        kind: d.template.to_owned(),
        audience: d.audience.to_owned(),
        subject: Some(text.subject.clone()),
        body: msg.to_body(),
        key: Some(key),
        not_before: None,
        needs,
        clock: d.clock.clone(),
    };
    let sha = outbox::sha256(&m.body);
    let (_, ids) = store.enqueue(&id, &actor, vec![m])?;
    let message = ids.first().context("the message was not queued")?.clone();
    let stored = store.message(&message)?;
    println!(
        "queued {message}: {} to {} via {}, {}",
        d.template, d.audience, d.channel, stored.row.state
    );
    println!("body sha256 {sha}");
    if !stored.approvals.missing.is_empty() {
        println!(
            "needs approval by: {} (cverun comms show {message}; cverun comms approve {message} --sha256 {sha})",
            roles(&stored.approvals.missing)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `incident verify ID --expect SEQ:HEX`: whether the timeline of `id`
/// verifies and holds the head a message carried (exactly that hash at that
/// seq). Exit status 1 when not.
pub fn verify_record(
    s: &StoreArgs,
    id: Option<&str>,
    record: &RecordHead,
    format: Format,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let Some(id) = id else {
        anyhow::bail!(
            "--expect {}: a head taken from a message names no incident; give its id (cverun incident verify ID --expect {})",
            record.text(),
            record.text()
        );
    };
    let mut store = s.open_with(id)?;
    let mut results = store.verify(Some(id))?;
    let loaded = store.load(id)?;
    let records: Vec<(u64, String)> = loaded
        .events
        .iter()
        .map(|e| (e.seq, e.hash.clone()))
        .collect();
    let problems = record.check(id, &records);
    // The head as given; a message's head is not signed (no MAC).
    let expected = Anchor {
        name: id.to_owned(),
        seq: record.seq,
        hash: record.hash.clone(),
        mac: String::new(),
    };
    view::verify::add_expected(&mut results, None, &expected, problems);
    let v = view::verify::view(&results, None, Some(&expected), store.simulated());
    output::report(out, |r| match format {
        Format::Json => r.json(&v),
        Format::Table => r.text(&view::verify::text(&v, &s.label())),
    })?;
    Ok(if v.valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The roles the runbook file's `[notify.approvals]` sets for `template`
/// (`<state>/runbook.toml`, when present); `None`: the built-in default.
fn configured_needs(
    s: &StoreArgs,
    template: &str,
    inc: &cverun_incident::Incident,
) -> anyhow::Result<Option<Vec<Role>>> {
    let path = s.state_dir().join("runbook.toml");
    if !path.exists() {
        return Ok(None);
    }
    let text = cverun_inventory::read::read_text(&path, cverun_inventory::read::Class::Config)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let c = outbox::approval::Configured::from_runbook_text(&path, &text)
        .map_err(|e| anyhow::anyhow!(e))?;
    c.needs(template, &inc.runbook)
        .map_err(|e| anyhow::anyhow!(e))
}

fn roles(r: &[Role]) -> String {
    r.iter().map(|r| r.key()).collect::<Vec<_>>().join(", ")
}

fn message_id(text: &str) -> anyhow::Result<MessageId> {
    let (incident, seq) = text.rsplit_once('/').ok_or_else(|| {
        anyhow::anyhow!("{text:?} is not a message id (INCIDENT/SEQ, such as INC-2026-11-23-1/7)")
    })?;
    format!("{}/{seq}", incident_id(incident))
        .parse::<MessageId>()
        .map_err(|e| anyhow::anyhow!(e))
}

fn show(s: &StoreArgs, text: &str) -> anyhow::Result<ExitCode> {
    let id = message_id(text)?;
    let incident = id.as_str().rsplit_once('/').map(|(i, _)| i).unwrap_or("");
    let mut store = s.open_with(incident)?;
    let m = store.message(&id)?;
    let a = &m.approvals;
    let r = &m.row;
    println!(
        "message {id}: {} to {} via {}, {}",
        r.template, r.audience, r.channel, r.state
    );
    println!(
        "queued {} (key {}){}",
        r.queued_at,
        r.key,
        a.clock
            .as_deref()
            .map(|c| format!(", notifies regulatory clock {c}"))
            .unwrap_or_default()
    );
    if m.body_intact {
        println!(
            "body sha256 {} (as the timeline recorded it)",
            a.body_sha256
        );
    } else {
        println!(
            "body sha256 {} in the timeline, but the stored body hashes to {}: CHANGED after queueing, it will not be sent",
            a.body_sha256,
            outbox::sha256(&m.body)
        );
    }
    if a.needs.is_empty() {
        println!("approvals: none needed");
    } else {
        for g in &a.given {
            println!("approved as {} by {} at {}", g.role.key(), g.by, g.at);
        }
        if a.missing.is_empty() {
            println!("approvals: complete");
        } else {
            println!("missing: {}", roles(&a.missing));
            if m.body_intact {
                println!(
                    "approve with: cverun comms approve {id} --sha256 {}",
                    a.body_sha256
                );
            }
        }
    }
    match cverun_notify::channel::OutgoingMessage::from_body(&m.body) {
        Ok(msg) => {
            let t = msg.for_target(Target::Text);
            println!("\nSubject: {}\n\n{}", t.subject, t.body);
        }
        Err(e) => println!("\nthe body is not a prepared message ({e}):\n\n{}", m.body),
    }
    Ok(ExitCode::SUCCESS)
}

fn approve(s: &StoreArgs, text: &str, sha: &str) -> anyhow::Result<ExitCode> {
    let actor = s.acting()?;
    let id = message_id(text)?;
    let incident = id.as_str().rsplit_once('/').map(|(i, _)| i).unwrap_or("");
    let mut store = s.open_with(incident)?;
    let r = store.approve_message(&id, &actor, sha)?;
    let a = &r.approvals;
    println!(
        "approved {id} ({} to {} via {}) as {} by {}: body sha256 {}",
        a.template,
        a.audience,
        a.channel,
        r.role.key(),
        r.event.actor,
        a.body_sha256
    );
    if r.released {
        println!("every approval given: the message is pending, to be sent");
    } else {
        println!("still held: missing {}", roles(&a.missing));
    }
    Ok(ExitCode::SUCCESS)
}

fn render(
    s: &StoreArgs,
    id: &str,
    template_id: &str,
    channel: ChannelKind,
    templates: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let id = incident_id(id);
    let (_store, loaded) = s.load(&id)?;
    let inc = loaded.state.as_ref().map_err(|e| {
        anyhow::anyhow!("{e}; the timeline cannot be read (see `cverun incident verify {id}`)")
    })?;
    let now = super::now()?;
    let ctx = template::context(inc, now, None);
    let key = if template_id == "kickoff" {
        inc.id.clone()
    } else {
        format!("{}.{template_id}", inc.id)
    };
    let msg = OutgoingMessage::prepare(&key, template_id, templates.as_deref(), &ctx)?;
    let pretty = |v: &serde_json::Value| -> anyhow::Result<String> {
        serde_json::to_string_pretty(v).context("printing the payload")
    };
    let out = match channel {
        ChannelKind::Text => {
            let r = msg.for_target(Target::Text);
            format!("{}\n\n{}", r.subject, r.body)
        }
        ChannelKind::Slack => pretty(&slack::payload(&msg)?)?,
        ChannelKind::Teams => pretty(&teams::payload(&msg)?)?,
        ChannelKind::Webhook => pretty(&webhook::payload(&msg, now.as_second()))?,
        ChannelKind::Pagerduty => pretty(&pagerduty::payload(
            &msg,
            "<routing key from the configuration>",
            "cverun",
            pagerduty::EventAction::for_message(&msg),
        ))?,
        ChannelKind::Email => email::preview(&msg),
    };
    println!("{out}");
    Ok(ExitCode::SUCCESS)
}
