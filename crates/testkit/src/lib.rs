//! Test support shared by the workspace's tests (a dev-dependency only).
//!
//! - [`HttpServer`]: a real HTTP/1.1 server on 127.0.0.1 serving files from memory,
//!   with `ETag`/`Last-Modified` and conditional requests, and scripted misbehaviour
//!   per path ([`Behaviour`]): error statuses, truncated bodies, stalls, bodies
//!   dribbled one byte at a time, scripted answers to POSTs (whose bodies it
//!   records) and receivers that never answer. Tests of
//!   anything that talks HTTP use it instead of mocks.
//! - [`shared_data`] and [`postgres_url`]: what a test needs from outside the
//!   repository (the public data in `../shared`, a PostgreSQL server), or a visible
//!   `SKIPPED` line on stderr when it is missing, or a panic when the matching
//!   `CVERUN_REQUIRE_*` variable says nothing may be skipped.
//! - [`generate`]: deterministic generated advisories and fleets for benchmarks.
//! - [`api`]: a loopback server answering each request with a function of it
//!   (and of the state a test keeps), for stateful fakes of APIs that check
//!   every request against the provider's contract; [`slack`]: such a fake of
//!   Slack's Web API, with scripted or random faults.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use sha2::{Digest, Sha256};

pub mod api;
pub mod generate;
pub mod slack;
pub mod smtp;

/// `../shared` beside the repository (public data for tests), whether or not it
/// exists. Tests call [`shared_data`], which skips visibly when it is absent.
pub fn shared() -> PathBuf {
    // crates/testkit -> crates -> the repository -> the directory holding it.
    let beside = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(3)
        .expect("crates/testkit sits two levels below the repository root");
    beside.join("shared")
}

/// The path of the function it is used in (`db::import_then_status`,
/// `cverun_inventory::formats::pylock::tests::fixtures`): the name a `SKIPPED` line
/// gives, without a hand-written copy that could drift from the test's name.
#[macro_export]
macro_rules! test_name {
    () => {{
        fn here() {}
        let mut name = ::std::any::type_name_of_val(&here);
        name = name.strip_suffix("::here").unwrap_or(name);
        // Inside a closure (a proptest body): the function holding it.
        while let Some(outer) = name.strip_suffix("::{{closure}}") {
            name = outer;
        }
        name
    }};
}

/// The variable that makes a missing `../shared` a failure instead of a skip.
pub const REQUIRE_SHARED: &str = "CVERUN_REQUIRE_SHARED";
/// The variable naming the PostgreSQL server of the store tests.
pub const POSTGRES_URL: &str = "CVERUN_TEST_POSTGRES_URL";
/// The variable that makes an unset [`POSTGRES_URL`] a failure instead of a skip.
pub const REQUIRE_POSTGRES: &str = "CVERUN_REQUIRE_POSTGRES";

/// `../shared` for the test named `test`, or `None` when it is absent: then the test
/// must return without asserting anything about that data, and this has written
/// `SKIPPED <test>: <path> is absent (...)` to the process's stderr (not through the
/// test harness's capture, so it shows in `cargo test` output). When
/// `CVERUN_REQUIRE_SHARED` is set (non-empty, not `0`) an absent `../shared` panics
/// instead, naming the path and the variable. A present but incomplete `../shared`
/// is not a skip: the test reads it and fails on what is missing.
pub fn shared_data(test: &str) -> Option<PathBuf> {
    settle(test, data_dir(test, shared(), required(REQUIRE_SHARED)))
}

/// Why something a test needs is missing.
#[derive(Debug, PartialEq, Eq)]
enum Missing {
    /// Skip the test, for this reason.
    Skip(String),
    /// Fail the test with this message.
    Fail(String),
}

/// Some(value), or None after reporting the skip, or a panic.
fn settle<T>(test: &str, r: Result<T, Missing>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(Missing::Skip(why)) => {
            skipped(test, &why);
            None
        }
        Err(Missing::Fail(msg)) => panic!("{msg}"),
    }
}

/// [`shared_data`] for the directory `path`, `require` saying whether its absence is
/// a failure.
fn data_dir(test: &str, path: PathBuf, require: bool) -> Result<PathBuf, Missing> {
    if path.is_dir() {
        return Ok(path);
    }
    let what = format!(
        "{} is absent (public test data beside the repository; see README \"Development\")",
        path.display()
    );
    Err(if require {
        Missing::Fail(format!(
            "{test}: {what}, and {REQUIRE_SHARED} is set: nothing may be skipped"
        ))
    } else {
        Missing::Skip(what)
    })
}

/// The PostgreSQL URL (`CVERUN_TEST_POSTGRES_URL`) for the test named `test`, or
/// `None` when it is unset or empty, after writing `SKIPPED <test>: ...` to stderr as
/// [`shared_data`] does; panics instead when `CVERUN_REQUIRE_POSTGRES` is set
/// (non-empty, not `0`).
pub fn postgres_url(test: &str) -> Option<String> {
    let url = std::env::var(POSTGRES_URL).ok();
    settle(test, server_url(test, url, required(REQUIRE_POSTGRES)))
}

/// [`postgres_url`] for the variable's value `url`, `require` saying whether its
/// absence is a failure.
fn server_url(test: &str, url: Option<String>, require: bool) -> Result<String, Missing> {
    if let Some(url) = url.filter(|u| !u.is_empty()) {
        return Ok(url);
    }
    let what = format!(
        "{POSTGRES_URL} is not set (a PostgreSQL server for the store tests; see README \"Development\")"
    );
    Err(if require {
        Missing::Fail(format!(
            "{test}: {what}, and {REQUIRE_POSTGRES} is set: nothing may be skipped"
        ))
    } else {
        Missing::Skip(what)
    })
}

/// Whether the variable `name` is set to something other than empty or `0`.
pub fn required(name: &str) -> bool {
    is_set(std::env::var_os(name).as_deref())
}

/// Whether a variable's value asks for something: present, non-empty, not `0`.
fn is_set(value: Option<&std::ffi::OsStr>) -> bool {
    value.is_some_and(|v| !v.is_empty() && v != "0")
}

/// Writes `SKIPPED <test>: <why>` straight to the process's stderr, once per test
/// name and process (a property test asking for each of its cases says it once).
/// `eprintln!` would go to the test harness's capture buffer, shown only for failing
/// tests; writing to the `Stderr` handle is not captured, so every skip is visible.
pub fn skipped(test: &str, why: &str) {
    static SAID: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if said.iter().any(|t| t == test) {
        return;
    }
    said.push(test.to_owned());
    let line = format!("SKIPPED {test}: {why}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// How the server answers a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Serve the file, honouring `If-None-Match` / `If-Modified-Since`.
    Normal,
    /// Answer with this status and a short body.
    Status(u16),
    /// Announce the full `Content-Length` but send only this many bytes, then close.
    Truncate(usize),
    /// Send the headers and this many bytes, then hold the connection open without
    /// sending more until the server is dropped.
    Stall(usize),
    /// Send the body one byte at a time with this pause between bytes (a server
    /// that never stalls long enough for a per-read timeout).
    Dribble(Duration),
    /// Answer any method at this path (no file needed) with this status, these
    /// headers and this body: a receiver of POSTed messages (webhooks, chat,
    /// paging) answering as its provider documents.
    Reply {
        /// Status code.
        status: u16,
        /// Extra headers (`Retry-After`...).
        headers: Vec<(String, String)>,
        /// Body.
        body: Vec<u8>,
    },
    /// Read the request, then never answer until the server is dropped (the
    /// receiver may have acted on it: the client cannot know).
    Silent,
}

/// One request the server received.
#[derive(Clone, Debug)]
pub struct Request {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Headers, names lower-cased.
    pub headers: HashMap<String, String>,
    /// The body as sent (by `Content-Length`, at most [`MAX_REQUEST_BODY`] bytes).
    pub body: Vec<u8>,
}

/// The largest request body the server reads.
pub const MAX_REQUEST_BODY: usize = 4 << 20;

#[derive(Default)]
struct State {
    files: HashMap<String, Vec<u8>>,
    content_types: HashMap<String, String>,
    behaviour: HashMap<String, Behaviour>,
    requests: Vec<Request>,
    /// Bytes of body sent per path (for tests that wait for a stall).
    sent: HashMap<String, usize>,
}

/// A real HTTP server on loopback, stopped when dropped.
pub struct HttpServer {
    addr: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

/// The fixed `Last-Modified` the server sends.
pub const LAST_MODIFIED: &str = "Thu, 21 Aug 2025 06:28:40 GMT";

impl HttpServer {
    /// Starts a server on an ephemeral port of 127.0.0.1.
    pub fn start() -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let addr = format!("http://{}", listener.local_addr().expect("local addr"));
        listener.set_nonblocking(true).expect("nonblocking");
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (state.clone(), stop.clone());
        thread::spawn(move || {
            while !st.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let (s, st) = (s.clone(), st.clone());
                        thread::spawn(move || handle(stream, &s, &st));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        HttpServer { addr, state, stop }
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.addr
    }

    /// Serves `bytes` at `path` (e.g. `/PyPI/all.zip`).
    pub fn serve(&self, path: &str, bytes: Vec<u8>) {
        let mut s = self.state.lock().unwrap();
        s.files.insert(path.to_owned(), bytes);
    }

    /// Serves `bytes` at `path` with this `Content-Type` (the default is
    /// `application/zip`).
    pub fn serve_typed(&self, path: &str, bytes: Vec<u8>, content_type: &str) {
        let mut s = self.state.lock().unwrap();
        s.files.insert(path.to_owned(), bytes);
        s.content_types
            .insert(path.to_owned(), content_type.to_owned());
    }

    /// Sets how `path` is answered.
    pub fn behave(&self, path: &str, b: Behaviour) {
        let mut s = self.state.lock().unwrap();
        s.behaviour.insert(path.to_owned(), b);
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Body bytes sent so far for `path`.
    pub fn sent(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .sent
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// The `ETag` the server sends for `bytes`.
    pub fn etag(bytes: &[u8]) -> String {
        let h = Sha256::digest(bytes);
        format!(
            "\"{}\"",
            h.iter()
                .take(16)
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        )
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn handle(mut stream: TcpStream, state: &Mutex<State>, stop: &AtomicBool) {
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
    let path = parts.next().unwrap_or("").to_owned();
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
        .min(MAX_REQUEST_BODY);
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let (file, behaviour, content_type) = {
        let mut s = state.lock().unwrap();
        s.requests.push(Request {
            method: method.clone(),
            path: path.clone(),
            headers: headers.clone(),
            body,
        });
        (
            s.files.get(&path).cloned(),
            s.behaviour.get(&path).cloned().unwrap_or(Behaviour::Normal),
            s.content_types
                .get(&path)
                .cloned()
                .unwrap_or_else(|| "application/zip".to_owned()),
        )
    };
    match &behaviour {
        Behaviour::Reply {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body);
            return;
        }
        Behaviour::Silent => {
            while !stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(20));
            }
            return;
        }
        _ => {}
    }
    let Some(body) = file else {
        let _ = stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
        );
        return;
    };
    if let Behaviour::Status(code) = behaviour {
        let text = format!("server says {code}");
        let _ = write!(
            stream,
            "HTTP/1.1 {code} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
            text.len()
        );
        return;
    }
    let etag = HttpServer::etag(&body);
    if headers.get("if-none-match") == Some(&etag) {
        let _ = write!(
            stream,
            "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n"
        );
        return;
    }
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nETag: {etag}\r\nLast-Modified: {LAST_MODIFIED}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if let Behaviour::Dribble(pause) = behaviour {
        for b in &body {
            if stop.load(Ordering::SeqCst) || stream.write_all(&[*b]).is_err() {
                return;
            }
            let _ = stream.flush();
            *state.lock().unwrap().sent.entry(path.clone()).or_default() += 1;
            thread::sleep(pause);
        }
        return;
    }
    let limit = match behaviour {
        Behaviour::Truncate(n) | Behaviour::Stall(n) => n.min(body.len()),
        _ => body.len(),
    };
    for chunk in body[..limit].chunks(64 * 1024) {
        if stream.write_all(chunk).is_err() {
            return;
        }
        let mut s = state.lock().unwrap();
        *s.sent.entry(path.clone()).or_default() += chunk.len();
    }
    let _ = stream.flush();
    if let Behaviour::Stall(_) = behaviour {
        while !stop.load(Ordering::SeqCst) {
            thread::sleep(Duration::from_millis(20));
            // Detect the client going away.
            let mut probe = [0u8; 1];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(1)));
            if let Ok(0) = stream.read(&mut probe) {
                return;
            }
        }
    }
}

/// A zip archive (deflated) holding `entries` (name, content), in memory.
pub fn zip_bytes<N: AsRef<str>, B: AsRef<[u8]>>(entries: &[(N, B)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    for (name, bytes) in entries {
        z.start_file(name.as_ref(), opts).expect("zip entry");
        z.write_all(bytes.as_ref()).expect("zip write");
    }
    z.finish().expect("zip finish").into_inner()
}

/// The first `n` entries of the zip archive `zip` (name, content), in order.
pub fn zip_entries(zip: &[u8], n: usize) -> Vec<(String, Vec<u8>)> {
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a zip archive");
    (0..a.len().min(n))
        .map(|i| {
            let mut e = a.by_index(i).expect("zip entry");
            let mut out = Vec::new();
            e.read_to_end(&mut out).expect("zip entry read");
            (e.name().expect("entry name").into_owned(), out)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn require_variables_count_when_non_empty_and_not_zero() {
        use std::ffi::OsStr;
        assert!(!is_set(None));
        assert!(!is_set(Some(OsStr::new(""))));
        assert!(!is_set(Some(OsStr::new("0"))));
        assert!(is_set(Some(OsStr::new("1"))));
        assert!(is_set(Some(OsStr::new("yes"))));
    }

    #[test]
    fn present_data_is_returned() {
        let dir = std::env::temp_dir();
        assert_eq!(data_dir("t", dir.clone(), true), Ok(dir.clone()));
        assert_eq!(data_dir("t", dir.clone(), false), Ok(dir));
    }

    #[test]
    fn absent_data_is_skipped_or_fails_naming_path_and_variable() {
        let gone = std::env::temp_dir().join("cverun-testkit-no-such-directory/shared");
        let why = format!(
            "{} is absent (public test data beside the repository; see README \"Development\")",
            gone.display()
        );
        assert_eq!(
            data_dir("t", gone.clone(), false),
            Err(Missing::Skip(why.clone()))
        );
        assert_eq!(
            data_dir("crate::a_test", gone, true),
            Err(Missing::Fail(format!(
                "crate::a_test: {why}, and CVERUN_REQUIRE_SHARED is set: nothing may be skipped"
            )))
        );
    }

    #[test]
    fn postgres_url_is_skipped_or_fails_naming_the_variable() {
        let url = "postgres://u@127.0.0.1:5432/db".to_owned();
        assert_eq!(server_url("t", Some(url.clone()), true), Ok(url));
        let why = "CVERUN_TEST_POSTGRES_URL is not set (a PostgreSQL server for the store \
                   tests; see README \"Development\")";
        assert_eq!(server_url("t", None, false), Err(Missing::Skip(why.into())));
        assert_eq!(
            server_url("t", Some(String::new()), false),
            Err(Missing::Skip(why.into()))
        );
        assert_eq!(
            server_url("crate::a_test", Some(String::new()), true),
            Err(Missing::Fail(format!(
                "crate::a_test: {why}, and CVERUN_REQUIRE_POSTGRES is set: nothing may be skipped"
            )))
        );
    }

    #[test]
    fn test_names_are_the_function_path() {
        assert_eq!(
            crate::test_name!(),
            "cverun_testkit::tests::test_names_are_the_function_path"
        );
        let in_closure = || crate::test_name!();
        assert_eq!(
            in_closure(),
            "cverun_testkit::tests::test_names_are_the_function_path"
        );
    }

    #[test]
    fn shared_is_beside_the_repository() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        assert!(repo.join("Cargo.lock").is_file());
        assert_eq!(shared().file_name(), Some(std::ffi::OsStr::new("shared")));
        assert_eq!(
            shared().parent().unwrap().canonicalize().unwrap(),
            repo.canonicalize().unwrap().parent().unwrap()
        );
    }
}
