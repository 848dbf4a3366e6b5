//! A small HTTP server on loopback answering each request with a function of
//! the request (and of the state the test keeps): a stateful fake of an API
//! (Slack's Web API, GitHub, GitLab) that checks every request against the
//! provider's documented contract.
//!
//! The handler returns `Err(why)` for a request breaking the contract: the
//! server answers 400 and records the violation; each test asserts there was
//! none. `Reply::Hang` reads the request (the handler may have acted on it)
//! and never answers, until the server is dropped.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

/// The largest request body read.
const MAX_BODY: usize = 4 << 20;

/// One request (an API fake's view of it).
#[derive(Clone, Debug)]
pub struct Req {
    /// The method (`GET`, `POST`...).
    pub method: String,
    /// The path as sent, without the query (percent-encoding kept).
    pub path: String,
    /// The query, decoded.
    pub query: BTreeMap<String, String>,
    /// Headers, names lower-cased.
    pub headers: HashMap<String, String>,
    /// The body (by `Content-Length`, at most 4 MiB).
    pub body: Vec<u8>,
}

impl Req {
    /// Header `name` (lower case), or a violation naming it.
    pub fn header(&self, name: &str) -> Result<&str, String> {
        self.headers
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("{} {}: no {name} header", self.method, self.path))
    }

    /// Requires header `name` to be exactly `value`.
    pub fn expect_header(&self, name: &str, value: &str) -> Result<(), String> {
        let got = self.header(name)?;
        if got != value {
            return Err(format!(
                "{} {}: {name} is {got:?}, not {value:?}",
                self.method, self.path
            ));
        }
        Ok(())
    }

    /// The body as a JSON object.
    pub fn json(&self) -> Result<Value, String> {
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(v) if v.is_object() => Ok(v),
            _ => Err(format!(
                "{} {}: body is not a JSON object",
                self.method, self.path
            )),
        }
    }

    /// Query parameter `name`.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }
}

/// An answer.
pub enum Reply {
    /// Answer this.
    Send {
        /// Status code.
        status: u16,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// Never answer.
    Hang,
}

impl Reply {
    /// A JSON answer with this status.
    pub fn json(status: u16, v: Value) -> Reply {
        Reply::Send {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: v.to_string().into_bytes(),
        }
    }

    /// The answer with one more header.
    pub fn header(mut self, k: &str, v: &str) -> Reply {
        if let Reply::Send { headers, .. } = &mut self {
            headers.push((k.into(), v.into()));
        }
        self
    }
}

type Handler = dyn Fn(&Req) -> Result<Reply, String> + Send + Sync;

/// The server, stopped when dropped.
pub struct ApiServer {
    url: String,
    stop: Arc<AtomicBool>,
    log: Arc<Mutex<Vec<Req>>>,
    violations: Arc<Mutex<Vec<String>>>,
}

impl ApiServer {
    /// Starts a server on 127.0.0.1 (a free port) answering with `handler`.
    pub fn start(
        handler: impl Fn(&Req) -> Result<Reply, String> + Send + Sync + 'static,
    ) -> ApiServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let log = Arc::new(Mutex::new(Vec::new()));
        let violations = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (st, lg, vi) = (stop.clone(), log.clone(), violations.clone());
        thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (st, lg, vi, h) = (st.clone(), lg.clone(), vi.clone(), handler.clone());
                        thread::spawn(move || serve(stream, &*h, &st, &lg, &vi));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        ApiServer {
            url,
            stop,
            log,
            violations,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Every request received, in order of arrival.
    pub fn requests(&self) -> Vec<Req> {
        self.log.lock().unwrap().clone()
    }

    /// Requests to a path ending with `suffix`.
    pub fn calls(&self, suffix: &str) -> Vec<Req> {
        self.requests()
            .into_iter()
            .filter(|r| r.path.ends_with(suffix))
            .collect()
    }

    /// The contract violations the handler reported.
    pub fn violations(&self) -> Vec<String> {
        self.violations.lock().unwrap().clone()
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Percent-decoding (`+` is a space in a query).
pub fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn serve(
    mut stream: TcpStream,
    handler: &Handler,
    stop: &AtomicBool,
    log: &Mutex<Vec<Req>>,
    violations: &Mutex<Vec<String>>,
) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let Ok(clone) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(clone);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("").to_owned();
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let query = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let length = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(MAX_BODY);
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let req = Req {
        method,
        path: path.to_owned(),
        query,
        headers,
        body,
    };
    log.lock().unwrap().push(req.clone());
    let reply = match handler(&req) {
        Ok(r) => r,
        Err(why) => {
            violations.lock().unwrap().push(why.clone());
            Reply::Send {
                status: 400,
                headers: Vec::new(),
                body: format!("contract violated: {why}").into_bytes(),
            }
        }
    };
    match reply {
        Reply::Hang => {
            while !stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(20));
            }
        }
        Reply::Send {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} Fake\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
            let _ = stream.flush();
        }
    }
}
