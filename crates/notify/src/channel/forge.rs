//! Comments on a tracking issue: GitHub issue comments and GitLab issue notes.
//!
//! The body is the message's Markdown rendering: the subject (escaped) as a
//! heading, the body, and a hidden marker `<!-- cverun:{key} -->` at the end.
//! `@name` mentions in it are broken with a zero-width joiner after the `@`
//! (the Markdown escaping leaves `@` alone, and a mention notifies people), so
//! data can neither ping a user or team nor add a link (the template escaped
//! the rest).
//!
//! - GitHub: `POST {api}/repos/{owner}/{repo}/issues/{number}/comments` with
//!   `Authorization: Bearer`, `Accept: application/vnd.github+json`,
//!   `X-GitHub-Api-Version: 2022-11-28`, a `User-Agent`, JSON `{"body"}` of at
//!   most 65,536 characters (longer is refused here, permanent). 201 is
//!   delivered; 403 and 429 with `retry-after`, or with
//!   `x-ratelimit-remaining: 0` and `x-ratelimit-reset`, are retried then; a
//!   429, or a 403 saying "secondary rate limit", without them after a minute
//!   (GitHub's documented wait); 408 and 5xx retried; any other 4xx
//!   permanent.
//! - GitLab: `POST {api}/projects/{id or url-encoded path}/issues/{iid}/notes`
//!   with `PRIVATE-TOKEN`, JSON `{"body"}` of at most 1,000,000 characters.
//!   201 delivered; 429 retried after `Retry-After` (or `RateLimit-Reset`);
//!   408 and 5xx retried; other 4xx permanent.
//!
//! Another 2xx than 201 is unknown (something was accepted, not what the API
//! documents). [`Channel::find_sent`] lists the issue's comments (notes), at
//! most [`MAX_PAGES`] pages of [`PER_PAGE`], and looks for the marker; GitHub
//! is asked for comments since the incident's declaration (less ten
//! minutes), GitLab for the newest notes first. Running out of pages without
//! reaching the end is a failure, never "not found".

use std::fmt;
use std::time::Duration;

use serde_json::{Value, json};

use super::rest::{self, Answer};
use super::{Channel, ConfigError, ContractError, Lookup, Outcome, OutgoingMessage, Secret, http};
use crate::template::{Target, escape};

/// GitHub's REST API.
pub const GITHUB_API_URL: &str = "https://api.github.com";
/// GitLab.com's REST API (v4).
pub const GITLAB_API_URL: &str = "https://gitlab.com/api/v4";
/// The GitHub REST API version asked for.
pub const GITHUB_API_VERSION: &str = "2022-11-28";
/// The `User-Agent` sent (GitHub refuses requests without one).
pub const USER_AGENT: &str = concat!("cverun/", env!("CARGO_PKG_VERSION"));
/// The longest GitHub comment body, in characters.
pub const GITHUB_MAX_BODY: usize = 65_536;
/// The longest GitLab note body, in characters.
pub const GITLAB_MAX_BODY: usize = 1_000_000;
/// Comments asked per page of a lookup.
pub const PER_PAGE: usize = 100;
/// Pages read by a lookup.
pub const MAX_PAGES: usize = 30;
/// The wait GitHub documents for a secondary rate limit without headers.
pub const SECONDARY_LIMIT_WAIT: Duration = Duration::from_secs(60);
/// How long before the declaration a GitHub lookup starts (clock skew).
pub const DECLARED_SLACK_SECS: i64 = 600;

/// The hidden marker a comment for delivery key `key` ends with.
pub fn marker(key: &str) -> String {
    format!("<!-- cverun:{key} -->")
}

/// `@name` mentions broken with a zero-width joiner after the `@` (an `@`
/// after a letter or digit, as in an email address, is left alone).
pub fn neutralise_mentions(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut prev: Option<char> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '@'
            && !prev.is_some_and(|p| p.is_alphanumeric() || p == '_')
            && chars
                .peek()
                .is_some_and(|n| n.is_alphanumeric() || *n == '-' || *n == '_')
        {
            out.push(escape::ZWJ);
        }
        prev = Some(c);
    }
    out
}

/// The comment body for `msg` (Markdown, marker last), refused over `max`
/// characters.
pub fn comment_body(
    msg: &OutgoingMessage,
    channel: &'static str,
    max: usize,
) -> Result<String, ContractError> {
    let r = msg.for_target(Target::Markdown);
    let subject = escape::escape(Target::Markdown, r.subject.trim());
    let text = neutralise_mentions(&format!("### {subject}\n\n{}", r.body.trim_end()));
    let body = format!("{text}\n\n{}", marker(&msg.key));
    let n = body.chars().count();
    if n > max {
        return Err(ContractError {
            channel,
            message: format!("comment of {n} characters: at most {max}"),
        });
    }
    Ok(body)
}

/// Whether a comment's body carries the marker of `key` (at its end).
fn has_marker(body: &str, key: &str) -> bool {
    body.trim_end().ends_with(&marker(key))
}

fn check_token(kind: &str, token: &Secret) -> Result<(), ConfigError> {
    let t = token.expose();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ConfigError::new(format!("{kind}: the token is one word")));
    }
    Ok(())
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Seconds until Unix time `reset` (none when past).
fn until(reset: &str, now: jiff::Timestamp) -> Option<Duration> {
    let at: i64 = reset.trim().parse().ok()?;
    Some(Duration::from_secs((at - now.as_second()).max(0) as u64))
}

fn delivered_or_unknown(status: u16, body: &[u8], latency_ms: u64) -> Outcome {
    if status == 201 {
        Outcome::Delivered {
            status,
            latency_ms,
            response_sha256: http::sha256_hex(body),
        }
    } else {
        Outcome::Unknown {
            reason: format!(
                "HTTP {status} where 201 was expected: {}",
                http::excerpt(body)
            ),
        }
    }
}

/// GitHub's answer to creating a comment as an outcome, `now` for
/// `x-ratelimit-reset` (`header` gives a header by lower-case name).
pub fn classify_github(
    status: u16,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    latency_ms: u64,
    now: jiff::Timestamp,
) -> Outcome {
    let retry = |after: Option<Duration>| Outcome::Retry {
        after,
        status,
        reason: format!("HTTP {status}: {}", http::excerpt(body)),
    };
    match status {
        200..=299 => delivered_or_unknown(status, body, latency_ms),
        403 | 429 => {
            if let Some(ra) = header("retry-after") {
                return retry(http::retry_after(&ra));
            }
            if header("x-ratelimit-remaining").as_deref().map(str::trim) == Some("0")
                && let Some(d) = header("x-ratelimit-reset").and_then(|r| until(&r, now))
            {
                return retry(Some(d));
            }
            let secondary = String::from_utf8_lossy(body)
                .to_ascii_lowercase()
                .contains("rate limit");
            if status == 429 || secondary {
                return retry(Some(SECONDARY_LIMIT_WAIT));
            }
            http::classify(status, None, body, latency_ms)
        }
        _ => http::classify(status, header("retry-after").as_deref(), body, latency_ms),
    }
}

/// GitLab's answer to creating a note as an outcome.
pub fn classify_gitlab(
    status: u16,
    header: &dyn Fn(&str) -> Option<String>,
    body: &[u8],
    latency_ms: u64,
    now: jiff::Timestamp,
) -> Outcome {
    match status {
        200..=299 => delivered_or_unknown(status, body, latency_ms),
        429 => Outcome::Retry {
            after: header("retry-after")
                .and_then(|v| http::retry_after(&v))
                .or_else(|| header("ratelimit-reset").and_then(|r| until(&r, now))),
            status,
            reason: format!("HTTP {status}: {}", http::excerpt(body)),
        },
        _ => http::classify(status, header("retry-after").as_deref(), body, latency_ms),
    }
}

/// A classification of a create answer (status, headers, body, latency, now).
type Classify = fn(u16, &dyn Fn(&str) -> Option<String>, &[u8], u64, jiff::Timestamp) -> Outcome;

/// What differs between the two forges.
struct Api {
    kind: &'static str,
    /// The comments (notes) collection URL.
    url: String,
    headers: Vec<(&'static str, String)>,
    max: usize,
    classify: Classify,
    /// Extra query of a lookup.
    list_query: String,
}

impl Api {
    fn send(&self, msg: &OutgoingMessage, timeout: Duration) -> Outcome {
        let body = match comment_body(msg, self.kind, self.max) {
            Ok(b) => b,
            Err(e) => {
                return Outcome::Permanent {
                    status: 0,
                    reason: e.to_string(),
                };
            }
        };
        let mut headers = self.headers.clone();
        headers.push(("content-type", "application/json".to_owned()));
        let payload = json!({ "body": body }).to_string();
        match rest::post(
            &self.url,
            &headers,
            payload.as_bytes(),
            timeout,
            rest::MAX_SEND_ANSWER,
        ) {
            Ok(a) => {
                let h = |n: &str| a.header(n).map(str::to_owned);
                (self.classify)(a.status, &h, &a.body, a.latency_ms, jiff::Timestamp::now())
            }
            Err(o) => o,
        }
    }

    fn find_sent(&self, msg: &OutgoingMessage, timeout: Duration) -> Lookup {
        for page in 1..=MAX_PAGES {
            let url = format!(
                "{}?per_page={PER_PAGE}&page={page}{}",
                self.url, self.list_query
            );
            let a: Answer = match rest::get(&url, &self.headers, timeout, rest::MAX_PAGE) {
                Ok(a) => a,
                Err(Outcome::Retry { reason, .. })
                | Err(Outcome::Permanent { reason, .. })
                | Err(Outcome::Unknown { reason }) => {
                    return Lookup::Failed {
                        reason: format!("{}: listing comments: {reason}", self.kind),
                    };
                }
                Err(Outcome::Delivered { status, .. }) => {
                    return Lookup::Failed {
                        reason: format!("{}: listing comments: HTTP {status}", self.kind),
                    };
                }
            };
            if a.status != 200 {
                return Lookup::Failed {
                    reason: format!(
                        "{}: listing comments: HTTP {}: {}",
                        self.kind,
                        a.status,
                        http::excerpt(&a.body)
                    ),
                };
            }
            let Some(Value::Array(items)) = a.json() else {
                return Lookup::Failed {
                    reason: format!("{}: listing comments: not a JSON array", self.kind),
                };
            };
            if items
                .iter()
                .any(|c| c["body"].as_str().is_some_and(|b| has_marker(b, &msg.key)))
            {
                return Lookup::Found;
            }
            if items.len() < PER_PAGE {
                return Lookup::NotFound;
            }
        }
        Lookup::Failed {
            reason: format!(
                "{}: more than {} comments to read; cannot tell",
                self.kind,
                MAX_PAGES * PER_PAGE
            ),
        }
    }
}

/// A GitHub issue (or pull request) to comment on.
#[derive(Clone)]
pub struct GitHubConfig {
    token: Secret,
    owner: String,
    repo: String,
    issue: u64,
    api_url: String,
}

impl fmt::Debug for GitHubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GitHubConfig {{ repository: {}/{}, issue: {}, api_url: {}, token: <redacted> }}",
            self.owner, self.repo, self.issue, self.api_url
        )
    }
}

impl fmt::Display for GitHubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "github {}/{}#{} (token <redacted>)",
            self.owner, self.repo, self.issue
        )
    }
}

impl GitHubConfig {
    /// A token, `repository` (`owner/name`), the issue number, and the API
    /// base URL (`None`: [`GITHUB_API_URL`]; GitHub Enterprise:
    /// `https://HOST/api/v3`; http only to 127.0.0.1).
    pub fn new(
        token: Secret,
        repository: &str,
        issue: u64,
        api_url: Option<&str>,
    ) -> Result<GitHubConfig, ConfigError> {
        check_token("github", &token)?;
        let (owner, repo) = repository
            .split_once('/')
            .filter(|(o, r)| valid_segment(o) && valid_segment(r))
            .ok_or_else(|| {
                ConfigError::new(format!(
                    "github: repository {repository:?} is owner/name (letters, digits, '-', '_', '.')"
                ))
            })?;
        if issue == 0 {
            return Err(ConfigError::new("github: issue numbers start at 1".into()));
        }
        Ok(GitHubConfig {
            token,
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            issue,
            api_url: rest::base_url("github", api_url.unwrap_or(GITHUB_API_URL))?,
        })
    }

    fn api(&self, msg: &OutgoingMessage) -> Api {
        let since = msg.data["incident"]["declared_at"]
            .as_str()
            .and_then(|s| s.parse::<jiff::Timestamp>().ok())
            .and_then(|t| {
                t.checked_sub(jiff::SignedDuration::from_secs(DECLARED_SLACK_SECS))
                    .ok()
            })
            .map(|t| {
                format!(
                    "&since={}",
                    rest::encode(&t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
                )
            })
            .unwrap_or_default();
        Api {
            kind: "github",
            url: format!(
                "{}/repos/{}/{}/issues/{}/comments",
                self.api_url, self.owner, self.repo, self.issue
            ),
            headers: vec![
                ("authorization", format!("Bearer {}", self.token.expose())),
                ("accept", "application/vnd.github+json".to_owned()),
                ("x-github-api-version", GITHUB_API_VERSION.to_owned()),
                ("user-agent", USER_AGENT.to_owned()),
            ],
            max: GITHUB_MAX_BODY,
            classify: classify_github,
            list_query: since,
        }
    }
}

impl Channel for GitHubConfig {
    fn kind(&self) -> &'static str {
        "github"
    }

    fn send(&self, msg: &OutgoingMessage, timeout: Duration) -> Outcome {
        self.api(msg).send(msg, timeout)
    }

    fn find_sent(&self, msg: &OutgoingMessage, timeout: Duration) -> Lookup {
        self.api(msg).find_sent(msg, timeout)
    }
}

/// A GitLab issue to add notes to.
#[derive(Clone)]
pub struct GitLabConfig {
    token: Secret,
    project: String,
    issue: u64,
    api_url: String,
}

impl fmt::Debug for GitLabConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GitLabConfig {{ project: {}, issue: {}, api_url: {}, token: <redacted> }}",
            self.project, self.issue, self.api_url
        )
    }
}

impl fmt::Display for GitLabConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "gitlab {}#{} (token <redacted>)",
            self.project, self.issue
        )
    }
}

impl GitLabConfig {
    /// A token (personal, project or group access token), `project` (its
    /// numeric id or its path `group/sub/name`), the issue's iid, and the API
    /// base URL (`None`: [`GITLAB_API_URL`]; self-managed:
    /// `https://HOST/api/v4`; http only to 127.0.0.1).
    pub fn new(
        token: Secret,
        project: &str,
        issue: u64,
        api_url: Option<&str>,
    ) -> Result<GitLabConfig, ConfigError> {
        check_token("gitlab", &token)?;
        if !project.split('/').all(valid_segment) {
            return Err(ConfigError::new(format!(
                "gitlab: project {project:?} is a numeric id or a path group/name"
            )));
        }
        if issue == 0 {
            return Err(ConfigError::new("gitlab: issue iids start at 1".into()));
        }
        Ok(GitLabConfig {
            token,
            project: project.to_owned(),
            issue,
            api_url: rest::base_url("gitlab", api_url.unwrap_or(GITLAB_API_URL))?,
        })
    }

    fn api(&self) -> Api {
        Api {
            kind: "gitlab",
            url: format!(
                "{}/projects/{}/issues/{}/notes",
                self.api_url,
                rest::encode(&self.project),
                self.issue
            ),
            headers: vec![("private-token", self.token.expose().to_owned())],
            max: GITLAB_MAX_BODY,
            classify: classify_gitlab,
            list_query: "&sort=desc&order_by=created_at".into(),
        }
    }
}

impl Channel for GitLabConfig {
    fn kind(&self) -> &'static str {
        "gitlab"
    }

    fn send(&self, msg: &OutgoingMessage, timeout: Duration) -> Outcome {
        self.api().send(msg, timeout)
    }

    fn find_sent(&self, msg: &OutgoingMessage, timeout: Duration) -> Lookup {
        self.api().find_sent(msg, timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
        "2026-11-23T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn mentions_are_broken_addresses_kept() {
        let z = escape::ZWJ;
        assert_eq!(
            neutralise_mentions("hi @octocat and @org/team, mail a@example.com"),
            format!("hi @{z}octocat and @{z}org/team, mail a@example.com")
        );
        assert_eq!(neutralise_mentions("@ alone"), "@ alone");
    }

    #[test]
    fn github_answers() {
        let none = |_: &str| None;
        assert!(matches!(
            classify_github(201, &none, b"{}", 1, now()),
            Outcome::Delivered { status: 201, .. }
        ));
        assert!(matches!(
            classify_github(200, &none, b"{}", 1, now()),
            Outcome::Unknown { .. }
        ));
        let reset = (now().as_second() + 90).to_string();
        let limited = move |n: &str| match n {
            "x-ratelimit-remaining" => Some("0".to_owned()),
            "x-ratelimit-reset" => Some(reset.clone()),
            _ => None,
        };
        assert!(matches!(
            classify_github(403, &limited, b"API rate limit exceeded", 1, now()),
            Outcome::Retry { after: Some(d), status: 403, .. } if d == Duration::from_secs(90)
        ));
        let ra = |n: &str| (n == "retry-after").then(|| "12".to_owned());
        assert!(matches!(
            classify_github(429, &ra, b"", 1, now()),
            Outcome::Retry { after: Some(d), .. } if d == Duration::from_secs(12)
        ));
        assert!(matches!(
            classify_github(403, &none, b"You have exceeded a secondary rate limit", 1, now()),
            Outcome::Retry { after: Some(d), .. } if d == SECONDARY_LIMIT_WAIT
        ));
        assert!(matches!(
            classify_github(
                403,
                &none,
                b"Resource not accessible by integration",
                1,
                now()
            ),
            Outcome::Permanent { status: 403, .. }
        ));
        assert!(matches!(
            classify_github(502, &none, b"", 1, now()),
            Outcome::Retry { .. }
        ));
        assert!(matches!(
            classify_github(422, &none, b"", 1, now()),
            Outcome::Permanent { .. }
        ));
    }

    #[test]
    fn gitlab_answers() {
        let none = |_: &str| None;
        assert!(matches!(
            classify_gitlab(201, &none, b"{}", 1, now()),
            Outcome::Delivered { .. }
        ));
        let reset = (now().as_second() + 30).to_string();
        let h = move |n: &str| (n == "ratelimit-reset").then(|| reset.clone());
        assert!(matches!(
            classify_gitlab(429, &h, b"", 1, now()),
            Outcome::Retry { after: Some(d), .. } if d == Duration::from_secs(30)
        ));
        assert!(matches!(
            classify_gitlab(403, &none, b"", 1, now()),
            Outcome::Permanent { .. }
        ));
    }

    #[test]
    fn configuration_is_checked() {
        let t = || Secret::new("ghp_x");
        assert!(GitHubConfig::new(t(), "acme/shop", 7, None).is_ok());
        assert!(GitHubConfig::new(t(), "acme", 7, None).is_err());
        assert!(GitHubConfig::new(t(), "acme/../x", 7, None).is_err());
        assert!(GitHubConfig::new(t(), "acme/shop", 0, None).is_err());
        assert!(GitHubConfig::new(Secret::new("a b"), "acme/shop", 1, None).is_err());
        assert!(GitLabConfig::new(t(), "group/sub/app", 3, None).is_ok());
        assert!(GitLabConfig::new(t(), "1234", 3, None).is_ok());
        assert!(GitLabConfig::new(t(), "group//app", 3, None).is_err());
        let c = GitLabConfig::new(Secret::new("glpat-secret"), "g/a", 3, None).unwrap();
        assert!(!format!("{c:?} {c}").contains("glpat"));
        assert_eq!(
            c.api().url,
            "https://gitlab.com/api/v4/projects/g%2Fa/issues/3/notes"
        );
    }
}
