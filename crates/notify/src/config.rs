//! The channels of the runbook file: its `[notify]` table read into
//! [`ChannelSpec`]s, each opened into a [`Channel`] when messages are sent.
//!
//! ```toml
//! [notify]
//! templates = "comms"              # relative to the runbook file
//!
//! [notify.channel.war-room]
//! kind = "slack"
//! url-env = "CVERUN_SLACK_URL"
//! ```
//!
//! Choices:
//!
//! - Secrets (webhook URLs of Slack and Teams, signing secrets, routing keys,
//!   SMTP passwords) are never written in the file: only `<key>-env` (an
//!   environment variable) or `<key>-file` (a file, relative to the runbook
//!   file). A secret written inline is an error naming the key, never its value.
//! - Reading the file checks its shape (kinds, keys, types, one source per
//!   secret); secrets are read only by [`ChannelSpec::open`], so listing the
//!   outbox needs none of them.
//! - Every error names the file, the line, the channel and the key.
//! - Other parts of `[notify]` (audiences, routes) are left to their readers;
//!   inside a channel table an unknown key is an error.

use cverun_incident::runbook::line_of;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use crate::channel::email::{EmailConfig, Tls};
use crate::channel::forge::{GitHubConfig, GitLabConfig};
use crate::channel::pagerduty::PagerDutyConfig;
use crate::channel::slack::SlackConfig;
use crate::channel::slack_bot::{Conversation, SlackBotConfig};
use crate::channel::teams::TeamsConfig;
use crate::channel::webhook::WebhookConfig;
use crate::channel::{Channel, ConfigError, Secret};

/// The largest runbook file read.
pub const MAX_RUNBOOK_BYTES: u64 = 4 << 20;

/// An opened channel, shareable between the worker's threads.
pub type BoxChannel = Box<dyn Channel + Send + Sync>;

/// A channel's kind: which provider, and so which keys its table takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChannelKind {
    /// Slack incoming webhook.
    Slack,
    /// Slack with a bot token (threads).
    SlackBot,
    /// Microsoft Teams Workflows webhook.
    Teams,
    /// Email over SMTP.
    Email,
    /// Standard Webhooks endpoint.
    Webhook,
    /// PagerDuty Events API v2.
    Pagerduty,
    /// Comments on a GitHub issue or pull request.
    Github,
    /// Comments on a GitLab issue or merge request.
    Gitlab,
}

impl ChannelKind {
    /// Every kind.
    pub const ALL: [ChannelKind; 8] = [
        ChannelKind::Slack,
        ChannelKind::SlackBot,
        ChannelKind::Teams,
        ChannelKind::Email,
        ChannelKind::Webhook,
        ChannelKind::Pagerduty,
        ChannelKind::Github,
        ChannelKind::Gitlab,
    ];

    /// The kind as written in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Slack => "slack",
            ChannelKind::SlackBot => "slack-bot",
            ChannelKind::Teams => "teams",
            ChannelKind::Email => "email",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Pagerduty => "pagerduty",
            ChannelKind::Github => "github",
            ChannelKind::Gitlab => "gitlab",
        }
    }

    /// Whether this build can open channels of this kind.
    pub fn supported(self) -> bool {
        self.keys().is_some()
    }

    /// The keys a table of this kind takes besides `kind` (a secret key `x`
    /// is written `x-env` or `x-file`); `None` for kinds this build cannot
    /// send to.
    fn keys(self) -> Option<&'static [Key]> {
        use Key::{Plain, Secret as S, SecretOrPlain as SP};
        Some(match self {
            ChannelKind::Slack | ChannelKind::Teams => &[S("url")],
            ChannelKind::Webhook => &[SP("url"), S("secret")],
            ChannelKind::Pagerduty => &[S("routing-key"), Plain("url"), Plain("source")],
            ChannelKind::Email => &[
                Plain("host"),
                Plain("port"),
                Plain("tls"),
                Plain("from"),
                Plain("to"),
                Plain("username"),
                S("password"),
            ],
            ChannelKind::SlackBot => &[
                S("token"),
                Plain("channel"),
                Plain("channel-pattern"),
                Plain("private"),
                Plain("pin-status"),
                Plain("api-url"),
            ],
            ChannelKind::Github => &[
                S("token"),
                Plain("repository"),
                Plain("issue"),
                Plain("api-url"),
            ],
            ChannelKind::Gitlab => &[
                S("token"),
                Plain("project"),
                Plain("issue"),
                Plain("api-url"),
            ],
        })
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ChannelKind {
    type Err = String;

    fn from_str(s: &str) -> Result<ChannelKind, String> {
        ChannelKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown kind {s:?} (expected one of {})",
                    ChannelKind::ALL.map(ChannelKind::as_str).join(", ")
                )
            })
    }
}

/// A key a channel table takes.
#[derive(Clone, Copy, Debug)]
enum Key {
    /// A value written in the file.
    Plain(&'static str),
    /// A secret: `<key>-env` or `<key>-file` only.
    Secret(&'static str),
    /// Either in the file (`<key>`) or from the environment or a file (a
    /// webhook URL may or may not carry a token).
    SecretOrPlain(&'static str),
}

/// Where a secret is read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable.
    Env(String),
    /// A file (absolute, or relative to the runbook file's directory).
    File(PathBuf),
}

impl SecretSource {
    /// Reads the secret.
    pub fn read(&self) -> Result<Secret, ConfigError> {
        match self {
            SecretSource::Env(v) => Secret::from_env(v),
            SecretSource::File(p) => Secret::from_file(p),
        }
    }
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(v) => write!(f, "environment variable {v}"),
            SecretSource::File(p) => write!(f, "file {}", p.display()),
        }
    }
}

/// One value of a channel table and its line.
#[derive(Clone, PartialEq)]
struct Setting {
    line: u32,
    value: toml::Value,
}

/// One `[notify.channel.<name>]` table, checked, secrets not read yet.
#[derive(Clone, PartialEq)]
pub struct ChannelSpec {
    /// The channel's name (`war-room`).
    pub name: String,
    /// Its kind.
    pub kind: ChannelKind,
    /// The runbook file.
    pub file: PathBuf,
    /// The line of its table.
    pub line: u32,
    settings: BTreeMap<String, Setting>,
}

impl fmt::Debug for ChannelSpec {
    /// Names and sources only: no secret is held here, and none is printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ChannelSpec {{ name: {:?}, kind: {}, file: {:?}, line: {}, keys: {:?} }}",
            self.name,
            self.kind,
            self.file,
            self.line,
            self.settings.keys().collect::<Vec<_>>()
        )
    }
}

/// The `[notify]` table of a runbook file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NotifyConfig {
    /// The runbook file.
    pub file: PathBuf,
    /// The team's template directory (`templates`, resolved against the
    /// runbook file's directory).
    pub templates: Option<PathBuf>,
    /// The channels, by name.
    pub channels: BTreeMap<String, ChannelSpec>,
}

#[derive(Deserialize)]
struct RawDoc {
    #[serde(default)]
    notify: Option<RawNotify>,
}

type RawTable = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

#[derive(Deserialize)]
struct RawNotify {
    #[serde(default)]
    templates: Option<Spanned<String>>,
    #[serde(default)]
    channel: Option<BTreeMap<Spanned<String>, Spanned<RawTable>>>,
}

fn error(message: String) -> ConfigError {
    ConfigError { message }
}

impl NotifyConfig {
    /// Reads the `[notify]` table of runbook file `file` (at most
    /// [`MAX_RUNBOOK_BYTES`]). A file without one has no channels.
    pub fn load(file: &Path) -> Result<NotifyConfig, ConfigError> {
        let f = std::fs::File::open(file).map_err(|e| error(format!("{}: {e}", file.display())))?;
        let mut text = String::new();
        f.take(MAX_RUNBOOK_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|e| error(format!("{}: {e}", file.display())))?;
        if text.len() as u64 > MAX_RUNBOOK_BYTES {
            return Err(error(format!(
                "{}: larger than {MAX_RUNBOOK_BYTES} bytes: not a runbook file",
                file.display()
            )));
        }
        NotifyConfig::parse(file, &text)
    }

    /// Reads the `[notify]` table of `text`, the content of runbook file
    /// `file` (relative paths in it are resolved against its directory).
    pub fn parse(file: &Path, text: &str) -> Result<NotifyConfig, ConfigError> {
        let f = file.display();
        let raw: RawDoc = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| format!(" line {}", line_of(text, s.start)))
                .unwrap_or_default();
            error(format!("{f}{line}: {}", e.message().trim()))
        })?;
        let dir = file.parent().unwrap_or(Path::new(""));
        let mut cfg = NotifyConfig {
            file: file.to_owned(),
            ..NotifyConfig::default()
        };
        let Some(notify) = raw.notify else {
            return Ok(cfg);
        };
        if let Some(t) = notify.templates {
            if t.get_ref().trim().is_empty() {
                return Err(error(format!(
                    "{f} line {}: [notify] templates is empty (a directory, relative to the runbook file)",
                    line_of(text, t.span().start)
                )));
            }
            cfg.templates = Some(dir.join(t.get_ref()));
        }
        for (name, table) in notify.channel.unwrap_or_default() {
            let line = line_of(text, name.span().start);
            let name = name.into_inner();
            let spec = ChannelSpec::check(file, dir, text, &name, line, table.into_inner())?;
            cfg.channels.insert(name, spec);
        }
        Ok(cfg)
    }

    /// Opens every channel (reading its secrets): the channels that opened,
    /// and for the others why not.
    pub fn open_all(&self) -> (BTreeMap<String, BoxChannel>, BTreeMap<String, ConfigError>) {
        let mut open = BTreeMap::new();
        let mut broken = BTreeMap::new();
        for (name, spec) in &self.channels {
            match spec.open() {
                Ok(c) => {
                    open.insert(name.clone(), c);
                }
                Err(e) => {
                    broken.insert(name.clone(), e);
                }
            }
        }
        (open, broken)
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl ChannelSpec {
    fn check(
        file: &Path,
        dir: &Path,
        text: &str,
        name: &str,
        line: u32,
        table: RawTable,
    ) -> Result<ChannelSpec, ConfigError> {
        let f = file.display();
        let at = |line: u32, key: &str, m: &str| {
            error(format!(
                "{f} line {line}: channel {name:?}: {}{m}",
                if key.is_empty() {
                    String::new()
                } else {
                    format!("key {key:?}: ")
                }
            ))
        };
        if !valid_name(name) {
            return Err(at(
                line,
                "",
                "a channel name is letters, digits, '-' and '_' (at most 64)",
            ));
        }
        let mut settings = BTreeMap::new();
        for (k, v) in table {
            let kline = line_of(text, k.span().start);
            settings.insert(
                k.into_inner(),
                Setting {
                    line: kline,
                    value: v.into_inner(),
                },
            );
        }
        let kind = match settings.remove("kind") {
            None => {
                return Err(at(
                    line,
                    "kind",
                    &format!(
                        "missing (one of {})",
                        ChannelKind::ALL.map(ChannelKind::as_str).join(", ")
                    ),
                ));
            }
            Some(Setting {
                line,
                value: toml::Value::String(s),
            }) => s.parse::<ChannelKind>().map_err(|m| at(line, "kind", &m))?,
            Some(s) => return Err(at(s.line, "kind", "a string")),
        };
        if let Some(keys) = kind.keys() {
            check_keys(kind, keys, &settings, &at)?;
        }
        let mut spec = ChannelSpec {
            name: name.to_owned(),
            kind,
            file: file.to_owned(),
            line,
            settings,
        };
        // File paths of secrets are relative to the runbook file.
        for s in spec.settings.iter_mut() {
            if s.0.ends_with("-file") {
                if let toml::Value::String(p) = &s.1.value {
                    s.1.value = toml::Value::String(dir.join(p).to_string_lossy().into_owned());
                }
            }
        }
        // Values checked now, so a wrong type or value is found before sending.
        if kind.supported() {
            spec.validate()?;
        }
        Ok(spec)
    }

    /// An error about `key` of this channel.
    pub fn error(&self, key: &str, message: &str) -> ConfigError {
        let line = self.settings.get(key).map(|s| s.line).unwrap_or(self.line);
        let key = if key.is_empty() {
            String::new()
        } else {
            format!("key {key:?}: ")
        };
        error(format!(
            "{} line {line}: channel {:?} ({}): {key}{message}",
            self.file.display(),
            self.name,
            self.kind
        ))
    }

    /// The string value of `key`, if set.
    pub fn string(&self, key: &str) -> Result<Option<String>, ConfigError> {
        match self.settings.get(key).map(|s| &s.value) {
            None => Ok(None),
            Some(toml::Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.clone())),
            Some(toml::Value::String(_)) => Err(self.error(key, "empty")),
            Some(_) => Err(self.error(key, "a string")),
        }
    }

    /// The string value of `key`, required.
    pub fn required(&self, key: &str) -> Result<String, ConfigError> {
        self.string(key)?.ok_or_else(|| self.error(key, "missing"))
    }

    /// The strings of `key` (an array of strings), empty when not set.
    pub fn strings(&self, key: &str) -> Result<Vec<String>, ConfigError> {
        match self.settings.get(key).map(|s| &s.value) {
            None => Ok(Vec::new()),
            Some(toml::Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    toml::Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
                    _ => Err(self.error(key, "an array of non-empty strings")),
                })
                .collect(),
            Some(_) => Err(self.error(key, "an array of strings")),
        }
    }

    /// The integer value of `key`, if set.
    pub fn integer(&self, key: &str) -> Result<Option<i64>, ConfigError> {
        match self.settings.get(key).map(|s| &s.value) {
            None => Ok(None),
            Some(toml::Value::Integer(i)) => Ok(Some(*i)),
            Some(_) => Err(self.error(key, "an integer")),
        }
    }

    /// The boolean value of `key`, if set.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        match self.settings.get(key).map(|s| &s.value) {
            None => Ok(None),
            Some(toml::Value::Boolean(b)) => Ok(Some(*b)),
            Some(_) => Err(self.error(key, "true or false")),
        }
    }

    /// The issue number (`issue`, a positive integer).
    fn issue(&self) -> Result<u64, ConfigError> {
        match self.integer("issue")? {
            Some(n) if n > 0 => Ok(n as u64),
            Some(_) => Err(self.error("issue", "a positive issue number")),
            None => Err(self.error("issue", "the issue number is missing")),
        }
    }

    /// Where secret `key` comes from (`<key>-env` or `<key>-file`), if set.
    pub fn secret_source(&self, key: &str) -> Result<Option<SecretSource>, ConfigError> {
        let env = self.string(&format!("{key}-env"))?;
        let file = self.string(&format!("{key}-file"))?;
        match (env, file) {
            (Some(_), Some(_)) => Err(self.error(
                &format!("{key}-file"),
                &format!("give {key}-env or {key}-file, not both"),
            )),
            (Some(v), None) => Ok(Some(SecretSource::Env(v))),
            (None, Some(p)) => Ok(Some(SecretSource::File(PathBuf::from(p)))),
            (None, None) => Ok(None),
        }
    }

    /// Reads secret `key`; the error names the channel and where it was read.
    fn secret(&self, key: &str) -> Result<Option<Secret>, ConfigError> {
        match self.secret_source(key)? {
            None => Ok(None),
            Some(src) => {
                let which = match src {
                    SecretSource::Env(_) => format!("{key}-env"),
                    SecretSource::File(_) => format!("{key}-file"),
                };
                src.read()
                    .map(Some)
                    .map_err(|e| self.error(&which, &e.message))
            }
        }
    }

    fn required_secret(&self, key: &str) -> Result<Secret, ConfigError> {
        self.secret(key)?.ok_or_else(|| {
            self.error(
                "",
                &format!("{key}-env or {key}-file is missing (where the secret {key} is read)"),
            )
        })
    }

    /// Checks the values (types, choices) without reading secrets.
    fn validate(&self) -> Result<(), ConfigError> {
        match self.kind {
            ChannelKind::Slack | ChannelKind::Teams => self.need_source("url"),
            ChannelKind::Webhook => {
                let plain = self.string("url")?;
                let src = self.secret_source("url")?;
                match (plain, src) {
                    (Some(_), Some(_)) => {
                        Err(self
                            .error("url", "give url, or url-env, or url-file: only one of them"))
                    }
                    (None, None) => Err(self.error("", "url (or url-env, url-file) is missing")),
                    _ => self.need_source("secret"),
                }
            }
            ChannelKind::Pagerduty => {
                self.string("url")?;
                self.string("source")?;
                self.need_source("routing-key")
            }
            ChannelKind::Email => {
                self.required("host")?;
                self.required("from")?;
                self.strings("to")?;
                self.email_port()?;
                let user = self.string("username")?;
                let pw = self.secret_source("password")?;
                if pw.is_some() && user.is_none() {
                    return Err(self.error("username", "a password needs a username"));
                }
                if user.is_some() && pw.is_none() {
                    return Err(
                        self.error("username", "a username needs password-env or password-file")
                    );
                }
                Ok(())
            }
            ChannelKind::SlackBot => {
                if self.string("channel")?.is_some() == self.string("channel-pattern")?.is_some() {
                    return Err(self.error(
                        "channel",
                        "one of channel (a channel id) or channel-pattern (\"inc-{incident}\")",
                    ));
                }
                self.boolean("private")?;
                self.boolean("pin-status")?;
                self.string("api-url")?;
                self.need_source("token")
            }
            ChannelKind::Github | ChannelKind::Gitlab => {
                let place = if self.kind == ChannelKind::Github {
                    "repository"
                } else {
                    "project"
                };
                self.required(place)?;
                self.issue()?;
                self.string("api-url")?;
                self.need_source("token")
            }
        }
    }

    fn need_source(&self, key: &str) -> Result<(), ConfigError> {
        self.secret_source(key)?.map(|_| ()).ok_or_else(|| {
            self.error(
                "",
                &format!("{key}-env or {key}-file is missing (where the secret {key} is read)"),
            )
        })
    }

    fn email_tls(&self) -> Result<Tls, ConfigError> {
        match self.string("tls")? {
            None => Ok(Tls::StartTls),
            Some(t) => t.parse::<Tls>().map_err(|e| self.error("tls", &e.message)),
        }
    }

    fn email_port(&self) -> Result<u16, ConfigError> {
        let tls = self.email_tls()?;
        match self.integer("port")? {
            None => Ok(match tls {
                Tls::Smtps => 465,
                Tls::StartTls => 587,
                Tls::None => 25,
            }),
            Some(p) => u16::try_from(p)
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| self.error("port", &format!("{p} is not a port (1 to 65535)"))),
        }
    }

    /// Builds the channel, reading its secrets now. Kinds this build cannot
    /// send to are an error naming the channel.
    pub fn open(&self) -> Result<BoxChannel, ConfigError> {
        let wrap = |e: ConfigError| self.error("", &e.message);
        Ok(match self.kind {
            ChannelKind::Slack => {
                Box::new(SlackConfig::new(self.required_secret("url")?).map_err(wrap)?)
            }
            ChannelKind::Teams => {
                Box::new(TeamsConfig::new(self.required_secret("url")?).map_err(wrap)?)
            }
            ChannelKind::Webhook => {
                let url = match self.string("url")? {
                    Some(u) => Secret::new(u),
                    None => self.required_secret("url")?,
                };
                let secrets: Vec<Secret> = self
                    .required_secret("secret")?
                    .expose()
                    .split_whitespace()
                    .map(Secret::new)
                    .collect();
                Box::new(WebhookConfig::new(url, &secrets).map_err(wrap)?)
            }
            ChannelKind::Pagerduty => {
                let source = self.string("source")?.unwrap_or_else(|| "cverun".into());
                let mut c = PagerDutyConfig::new(self.required_secret("routing-key")?, &source)
                    .map_err(wrap)?;
                if let Some(url) = self.string("url")? {
                    if !(url.starts_with("https://") || url.starts_with("http://127.0.0.1")) {
                        return Err(self.error("url", "https:// (http only to 127.0.0.1)"));
                    }
                    c.url = url;
                }
                Box::new(c)
            }
            ChannelKind::Email => {
                let to = self.strings("to")?;
                let to: Vec<&str> = to.iter().map(String::as_str).collect();
                let mut c = EmailConfig::new(
                    &self.required("host")?,
                    self.email_port()?,
                    self.email_tls()?,
                    &self.required("from")?,
                    &to,
                )
                .map_err(wrap)?;
                if let Some(user) = self.string("username")? {
                    let pw = self.required_secret("password")?;
                    c = c.with_credentials(&user, pw);
                }
                Box::new(c)
            }
            ChannelKind::SlackBot => {
                let conversation = match (self.string("channel")?, self.string("channel-pattern")?)
                {
                    (Some(id), None) => Conversation::Id(id),
                    (None, Some(pattern)) => Conversation::Pattern {
                        pattern,
                        private: self.boolean("private")?.unwrap_or(false),
                    },
                    _ => {
                        return Err(self.error(
                            "channel",
                            "one of channel (a channel id) or channel-pattern (\"inc-{incident}\")",
                        ));
                    }
                };
                let api = self.string("api-url")?;
                Box::new(
                    SlackBotConfig::new(
                        self.required_secret("token")?,
                        conversation,
                        api.as_deref(),
                    )
                    .map_err(wrap)?
                    .with_pinned_status(self.boolean("pin-status")?.unwrap_or(false)),
                )
            }
            ChannelKind::Github => {
                let api = self.string("api-url")?;
                Box::new(
                    GitHubConfig::new(
                        self.required_secret("token")?,
                        &self.required("repository")?,
                        self.issue()?,
                        api.as_deref(),
                    )
                    .map_err(wrap)?,
                )
            }
            ChannelKind::Gitlab => {
                let api = self.string("api-url")?;
                Box::new(
                    GitLabConfig::new(
                        self.required_secret("token")?,
                        &self.required("project")?,
                        self.issue()?,
                        api.as_deref(),
                    )
                    .map_err(wrap)?,
                )
            }
        })
    }
}

/// Checks that every key of a table is one its kind takes, and that no secret
/// is written inline.
fn check_keys(
    kind: ChannelKind,
    keys: &[Key],
    settings: &BTreeMap<String, Setting>,
    at: &dyn Fn(u32, &str, &str) -> ConfigError,
) -> Result<(), ConfigError> {
    let allowed = |k: &str| {
        keys.iter().any(|key| match *key {
            Key::Plain(n) => k == n,
            Key::Secret(n) => k == format!("{n}-env") || k == format!("{n}-file"),
            Key::SecretOrPlain(n) => k == n || k == format!("{n}-env") || k == format!("{n}-file"),
        })
    };
    for (k, s) in settings {
        if allowed(k) {
            continue;
        }
        if keys
            .iter()
            .any(|key| matches!(key, Key::Secret(n) if *n == k.as_str()))
        {
            return Err(at(
                s.line,
                k,
                &format!(
                    "a secret is not written in the runbook file: give {k}-env (an environment variable) or {k}-file (a file)"
                ),
            ));
        }
        let names: Vec<String> = keys
            .iter()
            .flat_map(|key| match *key {
                Key::Plain(n) => vec![n.to_owned()],
                Key::Secret(n) => vec![format!("{n}-env"), format!("{n}-file")],
                Key::SecretOrPlain(n) => {
                    vec![n.to_owned(), format!("{n}-env"), format!("{n}-file")]
                }
            })
            .collect();
        return Err(at(
            s.line,
            k,
            &format!(
                "unknown key for kind {kind} (it takes kind, {})",
                names.join(", ")
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<NotifyConfig, ConfigError> {
        NotifyConfig::parse(Path::new("ops/runbook.toml"), text)
    }

    fn err(text: &str) -> String {
        parse(text).unwrap_err().message
    }

    const FULL: &str = r#"
[roles]
whatever = 1

[notify]
templates = "comms"

[notify.channel.war-room]
kind = "slack"
url-env = "CVERUN_TEST_CONFIG_SLACK"

[notify.channel.mail]
kind = "email"
host = "127.0.0.1"
port = 2525
tls = "none"
from = "cverun <incidents@example.com>"
to = ["security@example.com"]

[notify.channel.pager]
kind = "pagerduty"
routing-key-file = "secrets/pd"
url = "http://127.0.0.1:9/v2/enqueue"

[notify.channel.hooks]
kind = "webhook"
url = "http://127.0.0.1:9/hook"
secret-env = "CVERUN_TEST_CONFIG_WHSEC"

[notify.channel.gh]
kind = "github"
repository = "acme/payments"
issue = 42
token-env = "CVERUN_TEST_CONFIG_UNSET_TOKEN"

[[notify.route]]
on = "declared"
"#;

    #[test]
    fn reads_channels_and_resolves_paths() {
        let c = parse(FULL).unwrap();
        assert_eq!(c.templates, Some(PathBuf::from("ops/comms")));
        assert_eq!(
            c.channels.keys().collect::<Vec<_>>(),
            ["gh", "hooks", "mail", "pager", "war-room"]
        );
        let pager = &c.channels["pager"];
        assert_eq!(pager.kind, ChannelKind::Pagerduty);
        assert_eq!(pager.line, 20);
        assert_eq!(
            pager.secret_source("routing-key").unwrap(),
            Some(SecretSource::File(PathBuf::from("ops/secrets/pd")))
        );
        assert_eq!(
            c.channels["war-room"].secret_source("url").unwrap(),
            Some(SecretSource::Env("CVERUN_TEST_CONFIG_SLACK".into()))
        );
        // The email channel opens without secrets (none configured).
        let mail = c.channels["mail"].open().unwrap();
        assert_eq!(mail.kind(), "email");
        assert!(mail.deduplicates());
        // A secret read only when the channel is opened: its absence is an
        // error naming the channel and the variable, never a value.
        let gh = c.channels["gh"].open().err().unwrap().message;
        assert!(
            gh.contains("line 34")
                && gh.contains("\"gh\"")
                && gh.contains("CVERUN_TEST_CONFIG_UNSET_TOKEN is not set"),
            "{gh}"
        );
        // No [notify] at all: no channels.
        assert!(parse("[roles]\n").unwrap().channels.is_empty());
    }

    #[test]
    fn errors_name_the_file_line_channel_and_key() {
        let e = err("[notify.channel.a]\nkind = \"slack\"\nurl-env = \"X\"\ncolour = \"red\"\n");
        assert!(
            e.starts_with("ops/runbook.toml line 4: channel \"a\": key \"colour\": unknown key"),
            "{e}"
        );
        let e = err("[notify.channel.a]\nurl-env = \"X\"\n");
        assert!(
            e.contains("line 1") && e.contains("key \"kind\": missing"),
            "{e}"
        );
        let e = err("[notify.channel.a]\nkind = \"carrier-pigeon\"\n");
        assert!(e.contains("line 2") && e.contains("unknown kind"), "{e}");
        let e = err("[notify.channel.a]\nkind = \"teams\"\n");
        assert!(e.contains("url-env or url-file is missing"), "{e}");
        let e = err(
            "[notify.channel.m]\nkind = \"email\"\nhost = \"h\"\nfrom = \"a@b.c\"\n\nport = 70000\n",
        );
        assert!(e.contains("line 6") && e.contains("key \"port\""), "{e}");
        let e = err(
            "[notify.channel.m]\nkind = \"email\"\nhost = \"h\"\nfrom = \"a@b.c\"\ntls = \"ssl3\"\n",
        );
        assert!(e.contains("line 5") && e.contains("key \"tls\""), "{e}");
        let e = err(
            "[notify.channel.w]\nkind = \"webhook\"\nurl = \"https://x\"\nurl-env = \"U\"\nsecret-env = \"S\"\n",
        );
        assert!(e.contains("only one"), "{e}");
        let e = err(
            "[notify.channel.p]\nkind = \"pagerduty\"\nrouting-key-env = \"A\"\nrouting-key-file = \"b\"\n",
        );
        assert!(e.contains("line 4") && e.contains("not both"), "{e}");
        // A syntax error names the line.
        let e = err("[notify]\ntemplates = \n");
        assert!(e.starts_with("ops/runbook.toml line 2"), "{e}");
        // Bad names.
        let e = err("[notify.channel.\"a b\"]\nkind = \"slack\"\n");
        assert!(e.contains("channel name"), "{e}");
    }

    #[test]
    fn secrets_are_never_inline_and_never_printed() {
        let secret = "https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX";
        for (kind, key) in [
            ("slack", "url"),
            ("teams", "url"),
            ("webhook", "secret"),
            ("pagerduty", "routing-key"),
            ("email", "password"),
        ] {
            let e = err(&format!(
                "[notify.channel.c]\nkind = \"{kind}\"\n{key} = \"{secret}\"\n"
            ));
            assert!(
                e.contains("line 3") && e.contains(&format!("{key}-env")),
                "{kind}: {e}"
            );
            assert!(!e.contains("XXXXSECRETXXXX"), "{e}");
        }
        // A secret read when opening: errors and Debug never hold it.
        let var = "CVERUN_TEST_CONFIG_BAD_PD_KEY";
        // SAFETY: this variable is used by this test only.
        unsafe { std::env::set_var(var, "short-XXXXSECRETXXXX") };
        let c = parse(&format!(
            "[notify.channel.p]\nkind = \"pagerduty\"\nrouting-key-env = \"{var}\"\n"
        ))
        .unwrap();
        let e = c.channels["p"].open().err().unwrap().message;
        assert!(
            e.contains("routing key") && !e.contains("XXXXSECRETXXXX"),
            "{e}"
        );
        assert!(!format!("{c:?}").contains("XXXXSECRETXXXX"));
        let missing =
            parse("[notify.channel.s]\nkind = \"slack\"\nurl-env = \"CVERUN_TEST_CONFIG_UNSET\"\n")
                .unwrap();
        let e = missing.channels["s"].open().err().unwrap().message;
        assert!(
            e.contains("channel \"s\"") && e.contains("CVERUN_TEST_CONFIG_UNSET is not set"),
            "{e}"
        );
        // A good secret: the opened channel's Debug redacts it.
        let var = "CVERUN_TEST_CONFIG_GOOD_SLACK";
        // SAFETY: this variable is used by this test only.
        unsafe { std::env::set_var(var, "http://127.0.0.1:9/XXXXSECRETXXXX") };
        let c = parse(&format!(
            "[notify.channel.s]\nkind = \"slack\"\nurl-env = \"{var}\"\n"
        ))
        .unwrap();
        let (open, broken) = c.open_all();
        assert!(broken.is_empty(), "{broken:?}");
        assert!(!open["s"].deduplicates());
        assert!(!format!("{:?}", c.channels["s"]).contains("XXXX"));
    }
}
