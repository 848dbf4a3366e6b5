//! `cverun comms ...`: incident communications. `render` prints a message of an
//! incident exactly as a channel would send it (the JSON payload, pretty; the
//! email's headers and parts; plain text). Templates, escaping and payloads
//! live in `cverun-notify`; this module loads the incident and prints.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use cverun_notify::channel::{OutgoingMessage, email, pagerduty, slack, teams, webhook};
use cverun_notify::template::{self, Target};

use super::incident::{StoreArgs, incident_id};

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
    }
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
