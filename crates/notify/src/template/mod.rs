//! Message templates: every runbook message rendered from incident data.
//!
//! A template is a [minijinja] source with two blocks, `subject` and `body`.
//! The built-in ones ([`BUILT_IN`]) are compiled in; a team overrides any of
//! them, or adds its own, with `<dir>/<id>.j2` in its template directory.
//!
//! Rendering is strict: a variable the data does not have is an error naming
//! the template, the line and the variable ([`TemplateError::Undefined`]),
//! never an empty string in a message sent to a regulator. Every value printed
//! by `{{ ... }}` is escaped for the [`Target`] (see [`escape`]); markup comes
//! only from the templates, through the `bold` filter. The subject is always
//! rendered as plain text (a mail header, a card title, a Slack header block).
//!
//! This module reads files (a team's template directory) and nothing else; the
//! data is [`context`], a pure function of the incident and `now`.

mod context;
pub mod escape;

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior};
use serde::{Deserialize, Serialize};

pub use context::{CONTEXT_SCHEMA, context};

/// The largest template file read from a team's directory.
pub const MAX_TEMPLATE_BYTES: u64 = 256 * 1024;

/// The built-in templates: id and source.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("kickoff", include_str!("../../templates/kickoff.j2")),
    ("status", include_str!("../../templates/status.j2")),
    ("escalation", include_str!("../../templates/escalation.j2")),
    ("resolution", include_str!("../../templates/resolution.j2")),
    (
        "customer-notice",
        include_str!("../../templates/customer-notice.j2"),
    ),
    (
        "regulator-notice",
        include_str!("../../templates/regulator-notice.j2"),
    ),
    (
        "executive-brief",
        include_str!("../../templates/executive-brief.j2"),
    ),
    (
        "post-incident-summary",
        include_str!("../../templates/post-incident-summary.j2"),
    ),
    ("digest", include_str!("../../templates/digest.j2")),
];

/// The format a message is rendered for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// Slack's mrkdwn (Block Kit section text, the `text` fallback).
    SlackMrkdwn,
    /// HTML, for the HTML part of an email.
    Html,
    /// The Markdown subset of Adaptive Card TextBlocks (Microsoft Teams).
    AdaptiveCard,
    /// Plain text (email text part, PagerDuty summary, terminals).
    Text,
    /// Markdown (webhook consumers, tickets).
    Markdown,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 5] = [
        Target::SlackMrkdwn,
        Target::Html,
        Target::AdaptiveCard,
        Target::Text,
        Target::Markdown,
    ];

    /// The spelling in JSON and messages.
    pub fn key(self) -> &'static str {
        match self {
            Target::SlackMrkdwn => "slack-mrkdwn",
            Target::Html => "html",
            Target::AdaptiveCard => "adaptive-card",
            Target::Text => "text",
            Target::Markdown => "markdown",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    /// The template id.
    pub template: String,
    /// Where the source came from: `built-in` or the override file.
    pub source: String,
    /// The target the body is escaped for.
    pub target: Target,
    /// The subject, plain text, one line.
    pub subject: String,
    /// The body, in the target's format.
    pub body: String,
}

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// No built-in template and no override file by that id.
    #[error(
        "no template {id:?} (built-in: {}; or {id}.j2 in the template directory)",
        known()
    )]
    Unknown {
        /// The id asked for.
        id: String,
    },
    /// The override file could not be read.
    #[error("{}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The override file is larger than [`MAX_TEMPLATE_BYTES`].
    #[error("{}: larger than {MAX_TEMPLATE_BYTES} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The template reads a variable the data does not have.
    #[error("template {template:?} ({source_name}) line {line}: undefined variable {variable}")]
    Undefined {
        /// The template id.
        template: String,
        /// `built-in` or the file.
        source_name: String,
        /// The line.
        line: usize,
        /// The variable(s), dotted (`incident.owner`).
        variable: String,
    },
    /// The template has no `subject` or `body` block.
    #[error("template {template:?} ({source_name}): no {{% block {block} %}}")]
    MissingBlock {
        /// The template id.
        template: String,
        /// `built-in` or the file.
        source_name: String,
        /// `subject` or `body`.
        block: &'static str,
    },
    /// Any other template error (syntax, a bad filter argument...).
    #[error("template {template:?} ({source_name}) line {line}: {message}")]
    Render {
        /// The template id.
        template: String,
        /// `built-in` or the file.
        source_name: String,
        /// The line (0 when unknown).
        line: usize,
        /// What minijinja says.
        message: String,
    },
}

fn known() -> String {
    BUILT_IN
        .iter()
        .map(|(id, _)| *id)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `id` is a safe template id (a file name in the directory).
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The source of template `id`: `<dir>/<id>.j2` when it exists, else the
/// built-in one. Returns (source, where it came from).
pub fn source(id: &str, dir: Option<&Path>) -> Result<(String, String), TemplateError> {
    if !valid_id(id) {
        return Err(TemplateError::Unknown { id: id.to_owned() });
    }
    if let Some(dir) = dir {
        let path = dir.join(format!("{id}.j2"));
        match std::fs::File::open(&path) {
            Ok(f) => {
                let mut text = String::new();
                f.take(MAX_TEMPLATE_BYTES + 1)
                    .read_to_string(&mut text)
                    .map_err(|source| TemplateError::Read {
                        path: path.clone(),
                        source,
                    })?;
                if text.len() as u64 > MAX_TEMPLATE_BYTES {
                    return Err(TemplateError::TooLarge { path });
                }
                return Ok((text, path.display().to_string()));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(TemplateError::Read { path, source }),
        }
    }
    BUILT_IN
        .iter()
        .find(|(b, _)| *b == id)
        .map(|(_, s)| ((*s).to_owned(), "built-in".to_owned()))
        .ok_or_else(|| TemplateError::Unknown { id: id.to_owned() })
}

/// An environment escaping every printed value for `target`.
fn environment(target: Target) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::Custom("target"));
    env.set_formatter(move |out, _state, value| {
        if value.is_safe() {
            out.write_str(&value.to_string())?;
        } else if value.is_none() {
            // A fact not known yet prints as nothing (templates test for it).
        } else {
            out.write_str(&escape::escape(target, &value.to_string()))?;
        }
        Ok(())
    });
    env.add_filter("bold", move |s: String| {
        Value::from_safe_string(escape::bold(target, &s))
    });
    env.add_filter("when", |s: String| -> String { context::when(&s) });
    // The target's key, so a template can choose a form (the footer's record:
    // short in chat, full elsewhere).
    env.add_global("target", target.key());
    env
}

/// Renders template `id` (from `dir` when it has `<id>.j2`, else built in) with
/// `ctx` (see [`context`]) for `target`.
pub fn render(
    id: &str,
    dir: Option<&Path>,
    ctx: &serde_json::Value,
    target: Target,
) -> Result<Rendered, TemplateError> {
    let (text, source_name) = source(id, dir)?;
    let subject = render_block(id, &source_name, &text, ctx, Target::Text, "subject")?;
    let body = render_block(id, &source_name, &text, ctx, target, "body")?;
    Ok(Rendered {
        template: id.to_owned(),
        source: source_name,
        target,
        subject: one_line(&subject),
        body: body.trim().to_owned(),
    })
}

/// The subject on one line, whitespace runs folded.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn render_block(
    id: &str,
    source_name: &str,
    text: &str,
    ctx: &serde_json::Value,
    target: Target,
    block: &'static str,
) -> Result<String, TemplateError> {
    let mut env = environment(target);
    let fail = |e: minijinja::Error, missing: Option<String>| match (e.kind(), missing) {
        (ErrorKind::UndefinedError, Some(variable)) => TemplateError::Undefined {
            template: id.to_owned(),
            source_name: source_name.to_owned(),
            line: e.line().unwrap_or(0),
            variable,
        },
        (ErrorKind::UnknownBlock, _) => TemplateError::MissingBlock {
            template: id.to_owned(),
            source_name: source_name.to_owned(),
            block,
        },
        _ => TemplateError::Render {
            template: id.to_owned(),
            source_name: source_name.to_owned(),
            line: e.line().unwrap_or(0),
            message: e
                .detail()
                .map(str::to_owned)
                .unwrap_or_else(|| e.kind().to_string()),
        },
    };
    env.add_template_owned(id.to_owned(), text.to_owned())
        .map_err(|e| fail(e, None))?;
    let tmpl = env.get_template(id).map_err(|e| fail(e, None))?;
    let missing = || {
        let mut names: Vec<String> = tmpl
            .undeclared_variables(true)
            .into_iter()
            .filter(|v| !resolves(ctx, v))
            .collect();
        names.sort();
        Some(if names.is_empty() {
            "(an attribute of a value in the data)".to_owned()
        } else {
            names.join(", ")
        })
    };
    let mut captured = tmpl.render_captured(ctx).map_err(|e| {
        let m = (e.kind() == ErrorKind::UndefinedError)
            .then(missing)
            .flatten();
        fail(e, m)
    })?;
    captured
        .with_state_mut(|state| state.render_block(block))
        .map_err(|e| {
            let m = (e.kind() == ErrorKind::UndefinedError)
                .then(missing)
                .flatten();
            fail(e, m)
        })
}

/// Whether the dotted path `v` exists in `ctx`.
fn resolves(ctx: &serde_json::Value, v: &str) -> bool {
    let mut cur = ctx;
    for part in v.split('.') {
        match cur.get(part) {
            Some(next) => cur = next,
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_has_both_blocks() {
        for (id, text) in BUILT_IN {
            assert!(text.contains("{% block subject %}"), "{id}");
            assert!(text.contains("{% block body %}"), "{id}");
        }
    }

    #[test]
    fn unknown_and_unsafe_ids_are_refused() {
        assert!(matches!(
            source("../etc/passwd", None),
            Err(TemplateError::Unknown { .. })
        ));
        assert!(matches!(
            source("nope", None),
            Err(TemplateError::Unknown { .. })
        ));
    }
}
