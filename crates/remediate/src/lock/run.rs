//! Running tool commands: in order, no standard input, bounded capture, a timeout.
//!
//! A command's stdout and stderr are read by two threads into one buffer that keeps
//! only the last [`CAPTURE_BYTES`] bytes, so a tool printing without end costs
//! bounded memory. On Unix the command runs in its own process group, so that a
//! timeout ends the tool and whatever it started (npm's and pip's children), not
//! only the first process. A program not found on `PATH` is not run at all: the
//! outcome is [`RunOutcome::Missing`] with the shell lines a person runs instead.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{ToolCommand, blocking_package};

/// Bytes of combined output kept per command (the end of it).
pub const CAPTURE_BYTES: usize = 256 * 1024;
/// Lines of output kept in [`RunOutcome::Failed::output_tail`].
pub const TAIL_LINES: usize = 40;
/// Bytes at most in [`RunOutcome::Failed::output_tail`].
pub const TAIL_BYTES: usize = 8 * 1024;

/// What became of one command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RunOutcome {
    /// It ran and exited 0.
    Done {
        /// Its shell line.
        command: String,
        /// How long it ran, in milliseconds.
        duration_ms: u64,
    },
    /// Its program is not on `PATH`: nothing was run, the change is incomplete.
    Missing {
        /// The program looked for.
        tool: String,
        /// The shell lines to run by hand, this command's and the ones after it, one
        /// per line.
        manual: String,
    },
    /// It could not start, exited non-zero, was killed, or timed out.
    Failed {
        /// Its shell line.
        command: String,
        /// Its exit status, `None` when it was killed, timed out or did not start.
        status: Option<i32>,
        /// The last [`TAIL_LINES`] lines of its output, at most [`TAIL_BYTES`]
        /// bytes, with a last line saying why when it timed out or did not start.
        output_tail: String,
        /// The package whose requirement prevents the version, when the tool
        /// names one ([`blocking_package`]).
        blocking: Option<String>,
    },
}

impl RunOutcome {
    /// True for [`RunOutcome::Done`].
    pub fn is_done(&self) -> bool {
        matches!(self, RunOutcome::Done { .. })
    }
}

/// Runs `commands` in order, each with at most `timeout`, and returns one outcome per
/// command run: all [`RunOutcome::Done`] when every command succeeded, else ending
/// with the first outcome that is not (the commands after it are not run; a
/// [`RunOutcome::Missing`] lists them in its `manual`). No command reads standard
/// input.
pub fn run(commands: &[ToolCommand], timeout: Duration) -> Vec<RunOutcome> {
    let mut outcomes = Vec::with_capacity(commands.len());
    for (index, command) in commands.iter().enumerate() {
        let path = command
            .env
            .iter()
            .rev()
            .find(|(name, _)| name == "PATH")
            .map(|(_, value)| std::ffi::OsString::from(value))
            .or_else(|| std::env::var_os("PATH"));
        let outcome = match find_program(&command.program, path.as_deref()) {
            None => RunOutcome::Missing {
                tool: command.program.clone(),
                manual: commands[index..]
                    .iter()
                    .map(ToolCommand::shell_line)
                    .collect::<Vec<_>>()
                    .join("\n"),
            },
            Some(program) => run_one(command, &program, timeout),
        };
        let done = outcome.is_done();
        outcomes.push(outcome);
        if !done {
            break;
        }
    }
    outcomes
}

/// The executable `program` names: a path as given when it holds a `/`, else the
/// first executable file of that name in a directory of `path` (the command's own
/// `PATH` when its environment sets one, as a shell looks it up, else the process's).
fn find_program(program: &str, path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    if program.contains('/') {
        let path = PathBuf::from(program);
        return is_executable(&path).then_some(path);
    }
    std::env::split_paths(path?)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if !meta.is_file() {
        return false;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        true
    }
}

/// The end of a stream of bytes, at most `limit` bytes.
struct Tail {
    bytes: Vec<u8>,
    limit: usize,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
        if self.bytes.len() > self.limit {
            let excess = self.bytes.len() - self.limit;
            self.bytes.drain(..excess);
        }
    }
}

fn run_one(command: &ToolCommand, program: &Path, timeout: Duration) -> RunOutcome {
    let line = command.shell_line();
    let failed = |status, output: &str, extra: Option<String>| {
        let mut output_tail = tail_lines(output);
        if let Some(extra) = extra {
            if !output_tail.is_empty() && !output_tail.ends_with('\n') {
                output_tail.push('\n');
            }
            output_tail.push_str(&extra);
        }
        RunOutcome::Failed {
            command: line.clone(),
            status,
            output_tail,
            blocking: blocking_package(output),
        }
    };
    if !command.dir.is_dir() {
        return failed(
            None,
            "",
            Some(format!("{}: no such directory", command.dir.display())),
        );
    }
    let mut process = Command::new(program);
    process
        .args(&command.args)
        .current_dir(&command.dir)
        .envs(command.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        process.process_group(0);
    }
    let started = Instant::now();
    let mut child = match process.spawn() {
        Ok(child) => child,
        Err(e) => {
            return failed(
                None,
                "",
                Some(format!("cannot start {}: {e}", program.display())),
            );
        }
    };
    let tail = Arc::new(Mutex::new(Tail {
        bytes: Vec::new(),
        limit: CAPTURE_BYTES,
    }));
    let (finished, readers_done) = mpsc::channel();
    let mut readers = 0;
    if let Some(out) = child.stdout.take() {
        spawn_reader(out, Arc::clone(&tail), finished.clone());
        readers += 1;
    }
    if let Some(err) = child.stderr.take() {
        spawn_reader(err, Arc::clone(&tail), finished.clone());
        readers += 1;
    }
    drop(finished);

    let (status, timed_out) = wait(&mut child, timeout);
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    // The readers end when every holder of the pipes has exited; a process that
    // left the group and kept them open is not waited for beyond a short grace.
    let grace = Instant::now() + Duration::from_secs(2);
    for _ in 0..readers {
        let left = grace.saturating_duration_since(Instant::now());
        if readers_done.recv_timeout(left).is_err() {
            break;
        }
    }
    let output = {
        let tail = tail.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&tail.bytes).into_owned()
    };
    if timed_out {
        return failed(
            None,
            &output,
            Some(format!(
                "timed out after {} s; the command and what it started were killed",
                timeout.as_secs()
            )),
        );
    }
    match status {
        Some(status) if status.success() => RunOutcome::Done {
            command: line,
            duration_ms,
        },
        Some(status) => failed(status.code(), &output, None),
        None => failed(
            None,
            &output,
            Some("cannot wait for the command".to_owned()),
        ),
    }
}

fn spawn_reader<R: Read + Send + 'static>(
    mut stream: R,
    tail: Arc<Mutex<Tail>>,
    finished: mpsc::Sender<()>,
) {
    thread::spawn(move || {
        let mut buffer = [0u8; 8192];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => tail
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(&buffer[..n]),
            }
        }
        let _ = finished.send(());
    });
}

/// Waits for `child` at most `timeout`; on timeout kills its process group. The exit
/// status (when it could be read) and whether it timed out.
fn wait(
    child: &mut std::process::Child,
    timeout: Duration,
) -> (Option<std::process::ExitStatus>, bool) {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(5);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return (Some(status), false),
            Ok(None) => {}
            Err(_) => return (None, false),
        }
        let now = Instant::now();
        if now >= deadline {
            kill_group(child);
            let _ = child.wait();
            return (None, true);
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        if let Ok(pid) = libc::pid_t::try_from(child.id()) {
            // SAFETY: kill(2) with a negative pid signals the process group the
            // child leads (it was started with process_group(0)); no memory is
            // shared with the callee.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
    let _ = child.kill();
}

/// The last [`TAIL_LINES`] lines of `output`, then cut to its last [`TAIL_BYTES`]
/// bytes at a character boundary.
fn tail_lines(output: &str) -> String {
    let lines: Vec<&str> = output.lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    let mut tail = lines[start..].join("\n");
    if tail.len() > TAIL_BYTES {
        let mut cut = tail.len() - TAIL_BYTES;
        while !tail.is_char_boundary(cut) {
            cut += 1;
        }
        tail.drain(..cut);
    }
    tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, dir: &Path) -> ToolCommand {
        ToolCommand::new("sh", ["-c", script], dir)
    }

    #[test]
    fn commands_run_in_order_until_the_first_failure() {
        let dir = tempfile::tempdir().unwrap();
        let outcomes = run(
            &[
                sh("echo one > order.txt", dir.path()),
                sh("echo failing >&2; exit 3", dir.path()),
                sh("echo three >> order.txt", dir.path()),
            ],
            Duration::from_secs(30),
        );
        assert_eq!(outcomes.len(), 2);
        assert!(outcomes[0].is_done());
        match &outcomes[1] {
            RunOutcome::Failed {
                status,
                output_tail,
                blocking,
                ..
            } => {
                assert_eq!(*status, Some(3));
                assert_eq!(output_tail, "failing");
                assert_eq!(*blocking, None);
            }
            other => panic!("expected Failed, got {other:?}"),
        }
        let written = std::fs::read_to_string(dir.path().join("order.txt")).unwrap();
        assert_eq!(written, "one\n", "the command after the failure ran");
    }

    #[test]
    fn the_environment_is_passed_and_stdin_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let command = sh(
            "printf '%s' \"$CVERUN_PROBE\" > env.txt; cat > stdin.txt",
            dir.path(),
        )
        .with_env("CVERUN_PROBE", "it's set");
        let outcomes = run(&[command], Duration::from_secs(30));
        assert!(outcomes[0].is_done(), "{outcomes:?}");
        let env = std::fs::read_to_string(dir.path().join("env.txt")).unwrap();
        assert_eq!(env, "it's set");
        let stdin = std::fs::read_to_string(dir.path().join("stdin.txt")).unwrap();
        assert_eq!(stdin, "");
    }

    #[test]
    fn a_timeout_kills_the_command_and_its_children() {
        let dir = tempfile::tempdir().unwrap();
        // The child `sleep` holds the pipes; killing only `sh` would leave it.
        let outcomes = run(
            &[sh("echo started; sleep 30 & sleep 30", dir.path())],
            Duration::from_millis(300),
        );
        match &outcomes[0] {
            RunOutcome::Failed {
                status,
                output_tail,
                ..
            } => {
                assert_eq!(*status, None);
                assert!(output_tail.starts_with("started\n"), "{output_tail}");
                assert!(output_tail.contains("timed out after 0 s"), "{output_tail}");
            }
            other => panic!("expected Failed, got {other:?}"),
        }
    }

    #[test]
    fn output_is_bounded_to_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        // 200,000 lines (about 1.3 MB), then a failure.
        let outcomes = run(
            &[sh("seq 1 200000; exit 1", dir.path())],
            Duration::from_secs(60),
        );
        match &outcomes[0] {
            RunOutcome::Failed { output_tail, .. } => {
                let lines: Vec<&str> = output_tail.lines().collect();
                assert_eq!(lines.len(), TAIL_LINES);
                assert_eq!(lines[0], "199961");
                assert_eq!(lines[TAIL_LINES - 1], "200000");
            }
            other => panic!("expected Failed, got {other:?}"),
        }
        assert_eq!(tail_lines(&"é".repeat(TAIL_BYTES)).len(), TAIL_BYTES);
    }

    #[test]
    fn a_missing_program_lists_what_to_run_by_hand() {
        let dir = Path::new("/nonexistent/service");
        let commands = [
            ToolCommand::new("cverun-no-such-tool", ["get", "a b"], dir),
            ToolCommand::new("cverun-no-such-tool", ["tidy"], dir),
        ];
        let outcomes = run(&commands, Duration::from_secs(5));
        assert_eq!(
            outcomes,
            [RunOutcome::Missing {
                tool: "cverun-no-such-tool".into(),
                manual: "cd /nonexistent/service && cverun-no-such-tool get 'a b'\n\
                         cd /nonexistent/service && cverun-no-such-tool tidy"
                    .into(),
            }]
        );
    }

    #[test]
    fn a_missing_directory_is_a_failure_not_a_missing_tool() {
        let outcomes = run(
            &[sh("true", Path::new("/nonexistent/service"))],
            Duration::from_secs(5),
        );
        match &outcomes[0] {
            RunOutcome::Failed { output_tail, .. } => {
                assert_eq!(output_tail, "/nonexistent/service: no such directory");
            }
            other => panic!("expected Failed, got {other:?}"),
        }
    }
}
