//! GitHub issue comments and GitLab issue notes against stateful fakes of
//! their REST APIs on loopback: every request checked against the documented
//! contract (method, path, authentication and version headers, JSON body and
//! its limit, the hidden marker), comments stored and listed by page, failures
//! answered on demand.

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cverun_notify::channel::forge::{GitHubConfig, GitLabConfig, marker};
use cverun_notify::channel::{Channel, Lookup, Outcome, OutgoingMessage, Secret};
use cverun_notify::template::escape::ZWJ;
use cverun_notify::template::{Target, context};
use cverun_testkit::api::{ApiServer, Reply, Req};
use serde_json::{Value, json};

const GH_TOKEN: &str = "ghp_testtoken0123456789";
const GL_TOKEN: &str = "glpat-testtoken0123";
const TIMEOUT: Duration = Duration::from_secs(5);
const HANG: Duration = Duration::from_millis(800);
const INCIDENT: &str = "INC-2026-11-23-1";

fn message(template: &str) -> OutgoingMessage {
    let inc = common::hostile();
    let ctx = context(&inc, common::t("2026-11-23T13:00:00Z"), None);
    let key = format!("cverun-{INCIDENT}-7-tracker-{template}");
    OutgoingMessage::prepare(&key, template, None, &ctx).unwrap()
}

#[derive(Clone, Debug)]
enum Script {
    Status(u16, Vec<(&'static str, String)>, &'static str),
    ActAndHang,
    Hang,
}

#[derive(Clone, Copy, PartialEq)]
enum Forge {
    GitHub,
    GitLab,
}

#[derive(Default)]
struct State {
    /// (created_at, body), oldest first.
    comments: Vec<(jiff::Timestamp, String)>,
    script: VecDeque<Script>,
}

fn valid_marker_end(body: &str) -> bool {
    let Some(rest) = body.strip_suffix(" -->") else {
        return false;
    };
    let Some(i) = rest.rfind("<!-- cverun:") else {
        return false;
    };
    let key = &rest[i + "<!-- cverun:".len()..];
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn handle(forge: Forge, st: &Mutex<State>, req: &Req) -> Result<Reply, String> {
    let (path, max) = match forge {
        Forge::GitHub => {
            req.expect_header("authorization", &format!("Bearer {GH_TOKEN}"))?;
            req.expect_header("accept", "application/vnd.github+json")?;
            req.expect_header("x-github-api-version", "2022-11-28")?;
            if !req.header("user-agent")?.starts_with("cverun/") {
                return Err("no cverun User-Agent".into());
            }
            ("/repos/acme/shop/issues/7/comments", 65_536)
        }
        Forge::GitLab => {
            req.expect_header("private-token", GL_TOKEN)?;
            if req.headers.contains_key("authorization") {
                return Err("GitLab: a token in Authorization as well".into());
            }
            ("/api/v4/projects/group%2Fapp/issues/3/notes", 1_000_000)
        }
    };
    if req.path != path {
        return Err(format!("{} {}: not {path}", req.method, req.path));
    }
    let mut s = st.lock().unwrap();
    match req.method.as_str() {
        "POST" => {
            if !req.header("content-type")?.starts_with("application/json") {
                return Err("POST without a JSON content type".into());
            }
            let v = req.json()?;
            let obj = v.as_object().unwrap();
            if obj.len() != 1 {
                return Err(format!(
                    "body has fields {:?}",
                    obj.keys().collect::<Vec<_>>()
                ));
            }
            let body = v["body"].as_str().ok_or("body is not a string")?.to_owned();
            let n = body.chars().count();
            if n > max {
                return Err(format!("body of {n} characters (at most {max})"));
            }
            if !valid_marker_end(&body) {
                return Err("body does not end with the cverun marker".into());
            }
            let script = s.script.pop_front();
            match script {
                Some(Script::Status(status, headers, text)) => {
                    let mut r = Reply::json(status, json!({ "message": text }));
                    for (k, v) in headers {
                        r = r.header(k, &v);
                    }
                    return Ok(r);
                }
                Some(Script::Hang) => return Ok(Reply::Hang),
                Some(Script::ActAndHang) | None => {}
            }
            s.comments.push((jiff::Timestamp::now(), body.clone()));
            let id = s.comments.len();
            if matches!(script, Some(Script::ActAndHang)) {
                return Ok(Reply::Hang);
            }
            Ok(Reply::json(201, json!({ "id": id, "body": body })))
        }
        "GET" => {
            if req.q("per_page") != Some("100") {
                return Err(format!("per_page {:?}", req.q("per_page")));
            }
            let page: usize = req
                .q("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 1)
                .ok_or("page missing or not >= 1")?;
            if let Some(Script::Status(status, _, text)) = s.script.front().cloned() {
                s.script.pop_front();
                return Ok(Reply::json(status, json!({ "message": text })));
            }
            let mut items: Vec<Value> = match forge {
                Forge::GitHub => {
                    let since: jiff::Timestamp = req
                        .q("since")
                        .ok_or("GitHub lookup without since")?
                        .parse()
                        .map_err(|_| "since is not ISO 8601")?;
                    s.comments
                        .iter()
                        .enumerate()
                        .filter(|(_, (at, _))| *at >= since)
                        .map(|(i, (_, b))| json!({ "id": i + 1, "body": b }))
                        .collect()
                }
                Forge::GitLab => {
                    if req.q("sort") != Some("desc") || req.q("order_by") != Some("created_at") {
                        return Err("GitLab lookup not newest first".into());
                    }
                    s.comments
                        .iter()
                        .enumerate()
                        .rev()
                        .map(|(i, (_, b))| json!({ "id": i + 1, "body": b, "system": false }))
                        .collect()
                }
            };
            let items: Vec<Value> = items.drain(..).skip((page - 1) * 100).take(100).collect();
            Ok(Reply::json(200, Value::Array(items)))
        }
        m => Err(format!("method {m}")),
    }
}

struct Fake {
    srv: ApiServer,
    state: Arc<Mutex<State>>,
}

impl Fake {
    fn start(forge: Forge) -> Fake {
        let state = Arc::new(Mutex::new(State::default()));
        let st = state.clone();
        let srv = ApiServer::start(move |req| handle(forge, &st, req));
        Fake { srv, state }
    }

    fn script(&self, s: Script) {
        self.state.lock().unwrap().script.push_back(s);
    }

    /// `n` comments by people, at `at`.
    fn chatter(&self, n: usize, at: &str) {
        let mut st = self.state.lock().unwrap();
        for i in 0..n {
            st.comments.push((common::t(at), format!("comment {i}")));
        }
    }

    fn with_marker(&self, key: &str) -> usize {
        let m = marker(key);
        let st = self.state.lock().unwrap();
        st.comments.iter().filter(|(_, b)| b.ends_with(&m)).count()
    }

    fn no_violations(&self) {
        assert_eq!(self.srv.violations(), Vec::<String>::new());
    }

    fn github(&self) -> GitHubConfig {
        GitHubConfig::new(Secret::new(GH_TOKEN), "acme/shop", 7, Some(self.srv.url())).unwrap()
    }

    fn gitlab(&self) -> GitLabConfig {
        let api = format!("{}/api/v4", self.srv.url());
        GitLabConfig::new(Secret::new(GL_TOKEN), "group/app", 3, Some(&api)).unwrap()
    }
}

#[test]
fn github_comment_carries_the_marker_and_is_found_by_it() {
    let fake = Fake::start(Forge::GitHub);
    // Before the declaration (not listed: `since`) and after it (two pages).
    fake.chatter(40, "2026-11-20T09:00:00Z");
    fake.chatter(150, "2026-11-23T12:05:00Z");
    let cfg = fake.github();
    assert!(!format!("{cfg} {cfg:?}").contains(GH_TOKEN));
    let kickoff = message("kickoff");
    let o = cfg.send(&kickoff, TIMEOUT);
    assert!(matches!(o, Outcome::Delivered { status: 201, .. }), "{o:?}");
    let post = &fake.srv.calls("/comments")[0];
    let body = post.json().unwrap()["body"].as_str().unwrap().to_owned();
    assert!(
        body.starts_with("### \\[P1\\] INC-2026-11-23-1 declared"),
        "{body}"
    );
    assert!(body.ends_with(&format!("\n\n<!-- cverun:{} -->", kickoff.key)));
    // Data cannot add markup, a link, or mention anyone.
    assert!(!body.contains("<script>") && body.contains("&lt;script&gt;"));
    assert!(body.contains(&format!("@{ZWJ}here")) && body.contains(&format!("@{ZWJ}everyone")));
    assert!(!body.contains("[x](https"));

    assert_eq!(cfg.find_sent(&kickoff, TIMEOUT), Lookup::Found);
    let lists: Vec<Req> = fake
        .srv
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(lists.len(), 2, "the comment is on the second page");
    assert_eq!(lists[0].q("since"), Some("2026-11-23T11:50:00Z"));
    assert_eq!(lists[1].q("page"), Some("2"));
    assert_eq!(cfg.find_sent(&message("status"), TIMEOUT), Lookup::NotFound);
    fake.no_violations();
}

#[test]
fn github_post_left_unanswered_is_unknown_then_found_and_never_posted_twice() {
    let fake = Fake::start(Forge::GitHub);
    let cfg = fake.github();
    let status = message("status");
    fake.script(Script::ActAndHang);
    let o = cfg.send(&status, HANG);
    assert!(matches!(o, Outcome::Unknown { .. }), "{o:?}");
    assert_eq!(cfg.find_sent(&status, TIMEOUT), Lookup::Found);
    assert_eq!(fake.with_marker(&status.key), 1);

    let escalation = message("escalation");
    fake.script(Script::Hang);
    assert!(matches!(
        cfg.send(&escalation, HANG),
        Outcome::Unknown { .. }
    ));
    assert_eq!(cfg.find_sent(&escalation, TIMEOUT), Lookup::NotFound);
    assert!(matches!(
        cfg.send(&escalation, TIMEOUT),
        Outcome::Delivered { .. }
    ));
    assert_eq!(fake.with_marker(&escalation.key), 1);
    assert_eq!(fake.with_marker(&status.key), 1);
    fake.no_violations();
}

#[test]
fn github_answers_are_classified() {
    let fake = Fake::start(Forge::GitHub);
    let cfg = fake.github();
    let msg = message("kickoff");
    let reset = jiff::Timestamp::now().as_second() + 120;
    fake.script(Script::Status(
        403,
        vec![
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", reset.to_string()),
        ],
        "API rate limit exceeded",
    ));
    let o = cfg.send(&msg, TIMEOUT);
    assert!(
        matches!(o, Outcome::Retry { after: Some(d), status: 403, .. } if (110..=120).contains(&d.as_secs())),
        "{o:?}"
    );
    fake.script(Script::Status(
        429,
        vec![("retry-after", "30".into())],
        "slow",
    ));
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Retry { after: Some(d), status: 429, .. } if d == Duration::from_secs(30)
    ));
    fake.script(Script::Status(
        403,
        vec![],
        "You have exceeded a secondary rate limit",
    ));
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Retry { after: Some(d), status: 403, .. } if d == Duration::from_secs(60)
    ));
    fake.script(Script::Status(
        403,
        vec![],
        "Resource not accessible by integration",
    ));
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Permanent { status: 403, .. }
    ));
    fake.script(Script::Status(502, vec![], "bad gateway"));
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Retry { status: 502, .. }
    ));
    for status in [401, 404, 410, 422] {
        fake.script(Script::Status(status, vec![], "no"));
        let o = cfg.send(&msg, TIMEOUT);
        assert!(
            matches!(o, Outcome::Permanent { status: s, .. } if s == status),
            "{o:?}"
        );
    }
    assert_eq!(fake.state.lock().unwrap().comments.len(), 0);

    // Over 65,536 characters: refused before any request.
    let mut huge = message("kickoff");
    huge.rendered.get_mut(&Target::Markdown).unwrap().body = "x".repeat(65_500);
    let calls = fake.srv.requests().len();
    let o = cfg.send(&huge, TIMEOUT);
    assert!(
        matches!(&o, Outcome::Permanent { status: 0, reason } if reason.contains("65536")),
        "{o:?}"
    );
    assert_eq!(fake.srv.requests().len(), calls);
    fake.no_violations();
}

#[test]
fn github_lookups_fail_closed() {
    let fake = Fake::start(Forge::GitHub);
    let cfg = fake.github();
    let msg = message("status");
    fake.chatter(30 * 100, "2026-11-23T12:30:00Z");
    let o = cfg.find_sent(&msg, TIMEOUT);
    assert!(
        matches!(&o, Lookup::Failed { reason } if reason.contains("cannot tell")),
        "{o:?}"
    );
    fake.script(Script::Status(500, vec![], "oops"));
    assert!(matches!(
        cfg.find_sent(&msg, TIMEOUT),
        Lookup::Failed { .. }
    ));
    fake.no_violations();
}

#[test]
fn gitlab_note_with_marker_lookup_and_answers() {
    let fake = Fake::start(Forge::GitLab);
    fake.chatter(120, "2026-11-23T12:05:00Z");
    let cfg = fake.gitlab();
    assert!(!format!("{cfg} {cfg:?}").contains(GL_TOKEN));
    let kickoff = message("kickoff");
    let o = cfg.send(&kickoff, TIMEOUT);
    assert!(matches!(o, Outcome::Delivered { status: 201, .. }), "{o:?}");
    assert_eq!(cfg.find_sent(&kickoff, TIMEOUT), Lookup::Found);
    let gets = fake
        .srv
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .count();
    assert_eq!(gets, 1, "newest first: found on the first page");
    assert_eq!(cfg.find_sent(&message("status"), TIMEOUT), Lookup::NotFound);

    let status = message("status");
    fake.script(Script::ActAndHang);
    assert!(matches!(cfg.send(&status, HANG), Outcome::Unknown { .. }));
    assert_eq!(cfg.find_sent(&status, TIMEOUT), Lookup::Found);
    assert_eq!(fake.with_marker(&status.key), 1);

    let msg = message("escalation");
    fake.script(Script::Status(
        429,
        vec![("retry-after", "9".into())],
        "slow",
    ));
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Retry { after: Some(d), status: 429, .. } if d == Duration::from_secs(9)
    ));
    fake.script(Script::Status(503, vec![], "down"));
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Retry { status: 503, .. }
    ));
    fake.script(Script::Status(403, vec![], "forbidden"));
    assert!(matches!(
        cfg.send(&msg, TIMEOUT),
        Outcome::Permanent { status: 403, .. }
    ));
    let mut huge = message("escalation");
    huge.rendered.get_mut(&Target::Markdown).unwrap().body = "y".repeat(1_000_000);
    let calls = fake.srv.requests().len();
    assert!(matches!(
        cfg.send(&huge, TIMEOUT),
        Outcome::Permanent { status: 0, .. }
    ));
    assert_eq!(fake.srv.requests().len(), calls);
    assert_eq!(fake.with_marker(&msg.key), 0);
    fake.no_violations();
}
