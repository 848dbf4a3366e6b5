//! `cverun notify ...`: the outbox of incident messages. `run` delivers what is
//! due through the channels of the runbook file (`[notify.channel.*]`), once or
//! (`--follow`) until stopped; `list` and `attempts` show the outbox; `replay`
//! queues a dead or unknown message again with the same key. The worker lives
//! in `cverun-notify` (`deliver`); this module wires the store, the runbook
//! file and the options, and prints.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use cverun_incident::{MessageFilter, MessageId, MessageState, Store};
use cverun_notify::config::NotifyConfig;
use cverun_notify::deliver::{RetryPolicy, RunReport, Worker};
use cverun_notify::view;

use super::incident::{StoreArgs, incident_id};
use crate::output;

/// `cverun notify`.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The runbook file whose [notify.channel.*] tables configure the channels
    /// [default: <state>/runbook.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub runbook: Option<PathBuf>,
    #[command(subcommand)]
    pub command: NotifyCommand,
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Deliver the messages that are due, then exit (0: none ended dead or
    /// unknown in this run; 1: some did; 2: a configuration error). With
    /// --follow, keep delivering until interrupted.
    Run(RunArgs),
    /// List the outbox's messages: id, incident, channel, template, state,
    /// attempts, last error.
    List {
        /// Only messages in this state (pending, leased, retry, delivered,
        /// dead, unknown). Named --status: --state is the state directory.
        #[arg(long, value_name = "STATE", value_parser = parse_state)]
        status: Option<MessageState>,
        /// Only messages of this incident.
        #[arg(long, value_name = "ID")]
        incident: Option<String>,
        /// Print JSON (cverun.notify-list/1) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show a message's delivery attempts.
    Attempts {
        /// The message id (INCIDENT/SEQ, as `notify list` prints it).
        message: String,
        /// Print JSON (cverun.notify-attempts/1) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Queue a dead or unknown message again, with the same idempotency key
    /// (recorded in the incident's timeline).
    Replay {
        /// The message id (INCIDENT/SEQ).
        message: String,
    },
}

/// `cverun notify run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Keep running: deliver, wait --poll, again, until SIGINT or SIGTERM.
    #[arg(long)]
    pub follow: bool,
    /// This worker's name, recorded with each attempt [default: HOST-PID]
    #[arg(long, value_name = "NAME")]
    pub worker: Option<String>,
    /// Messages leased at a time.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub batch: usize,
    /// Threads sending at once (messages of different incidents or channels).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub threads: usize,
    /// How long a lease lasts, in seconds (at least three --timeout).
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_secs)]
    pub lease: Duration,
    /// The longest wait for each step of a send, in seconds.
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_secs)]
    pub timeout: Duration,
    /// With --follow: the wait between runs, in seconds.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = parse_secs)]
    pub poll: Duration,
    /// The first retry's longest wait, in seconds (it doubles per attempt;
    /// the wait is drawn at random below it).
    #[arg(long, value_name = "SECS", env = "CVERUN_NOTIFY_RETRY_BASE", default_value = "2", value_parser = parse_secs)]
    pub retry_base: Duration,
    /// The longest retry wait, in seconds.
    #[arg(long, value_name = "SECS", env = "CVERUN_NOTIFY_RETRY_CAP", default_value = "600", value_parser = parse_secs)]
    pub retry_cap: Duration,
    /// Attempts before a message is dead.
    #[arg(
        long,
        value_name = "N",
        env = "CVERUN_NOTIFY_MAX_ATTEMPTS",
        default_value_t = 12
    )]
    pub max_attempts: u64,
    /// Age, in seconds since queueing, after which a failing message is dead.
    #[arg(long, value_name = "SECS", env = "CVERUN_NOTIFY_MAX_AGE", default_value = "86400", value_parser = parse_secs)]
    pub max_age: Duration,
}

fn parse_secs(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number of seconds"))?;
    if !v.is_finite() || v <= 0.0 || v > 31.0 * 86_400.0 {
        return Err(format!(
            "{s:?}: a number of seconds above 0 and at most 31 days"
        ));
    }
    Ok(Duration::from_secs_f64(v))
}

fn parse_state(s: &str) -> Result<MessageState, String> {
    s.parse()
}

/// Runs `cverun notify`.
pub fn run(args: NotifyArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        NotifyCommand::Run(r) => deliver(&args, r),
        NotifyCommand::List {
            status,
            incident,
            json,
        } => list(&args.store, *status, incident.as_deref(), *json),
        NotifyCommand::Attempts { message, json } => attempts(&args.store, message, *json),
        NotifyCommand::Replay { message } => replay(&args.store, message),
    }
}

/// The store, or an error saying there is none (nothing is created).
fn store(s: &StoreArgs) -> anyhow::Result<Option<Store>> {
    s.open(false)
}

fn message_id(s: &str) -> anyhow::Result<MessageId> {
    let (inc, seq) = s.rsplit_once('/').unwrap_or((s, ""));
    format!("{}/{seq}", incident_id(inc))
        .parse::<MessageId>()
        .map_err(anyhow::Error::msg)
}

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

fn default_worker() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "worker".to_owned());
    format!("{host}-{}", std::process::id())
}

fn deliver(args: &NotifyArgs, r: &RunArgs) -> anyhow::Result<ExitCode> {
    let file = args
        .runbook
        .clone()
        .unwrap_or_else(|| args.store.state_dir().join("runbook.toml"));
    if !file.exists() {
        output::error(&format!(
            "{}: no runbook file: the channels are its [notify.channel.NAME] tables (give --runbook FILE, or create it; see docs/notify.md)",
            file.display()
        ));
        return Ok(ExitCode::from(2));
    }
    let cfg = match NotifyConfig::load(&file) {
        Ok(c) => c,
        Err(e) => {
            output::error(&e.message);
            return Ok(ExitCode::from(2));
        }
    };
    let (channels, broken) = cfg.open_all();
    for e in broken.values() {
        output::error(&format!(
            "{}; its messages wait until it is fixed",
            e.message
        ));
    }
    let Some(mut store) = store(&args.store)? else {
        output::error(&format!(
            "there is no incident store at {} (nothing to deliver; give --state DIR or --database URL)",
            args.store.label()
        ));
        return Ok(ExitCode::from(2));
    };
    let mut w = Worker::new(&r.worker.clone().unwrap_or_else(default_worker), channels);
    w.broken = broken.into_iter().map(|(k, v)| (k, v.message)).collect();
    w.source = file.display().to_string();
    w.batch = r.batch;
    w.threads = r.threads;
    w.lease = r.lease;
    w.timeout = r.timeout;
    w.policy = RetryPolicy {
        base: r.retry_base,
        cap: r.retry_cap.max(r.retry_base),
        max_attempts: r.max_attempts,
        max_age: r.max_age,
        ..RetryPolicy::default()
    };
    if let Err(e) = w.check() {
        output::error(&e.0);
        return Ok(ExitCode::from(2));
    }
    let config_broken = !w.broken.is_empty();
    if r.follow {
        // SAFETY: `on_signal` only stores to an atomic, which is async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
            libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
        }
        let mut said: Vec<String> = Vec::new();
        w.follow(
            &mut store,
            &STOP,
            r.poll,
            &mut |rep| {
                print_report(rep);
                for e in &rep.config_errors {
                    if !said.contains(e) {
                        output::error(e);
                        said.push(e.clone());
                    }
                }
            },
            &mut |e| output::error(&e.0),
        )
        .map_err(|e| anyhow::anyhow!(e.0))?;
        return Ok(if config_broken {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        });
    }
    let rep = w
        .run_until_idle(&mut store)
        .map_err(|e| anyhow::anyhow!(e.0))?;
    print_report(&rep);
    for e in &rep.config_errors {
        output::error(e);
    }
    Ok(if config_broken || !rep.config_errors.is_empty() {
        ExitCode::from(2)
    } else if rep.failed() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_report(rep: &RunReport) {
    for d in &rep.deliveries {
        let state = d.state.map(|s| s.as_str()).unwrap_or("not recorded");
        match &d.reason {
            Some(why) => println!("{} via {}: {state} ({why})", d.id, d.channel),
            None => println!("{} via {}: {state}", d.id, d.channel),
        }
    }
    println!(
        "{} sent: {} delivered, {} to retry, {} dead, {} unknown{}",
        rep.leased,
        rep.count(MessageState::Delivered),
        rep.count(MessageState::Retry),
        rep.count(MessageState::Dead),
        rep.count(MessageState::Unknown),
        if rep.lost > 0 {
            format!(", {} not recorded (lease lost)", rep.lost)
        } else {
            String::new()
        }
    );
}

fn list(
    s: &StoreArgs,
    state: Option<MessageState>,
    incident: Option<&str>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let rows = match store(s)? {
        Some(mut st) => st.messages(&MessageFilter {
            state,
            incident: incident.map(incident_id),
        })?,
        None => Vec::new(),
    };
    if json {
        output::json(&view::list(&rows))?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("no messages");
        return Ok(ExitCode::SUCCESS);
    }
    let table = view::list_rows(&rows);
    print_table(&table);
    Ok(ExitCode::SUCCESS)
}

fn print_table<const N: usize>(rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    for r in rows {
        let mut line = String::new();
        for (i, c) in r.iter().enumerate() {
            if i + 1 == N {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}  ", w = widths[i]));
            }
        }
        println!("{}", line.trim_end());
    }
}

fn attempts(s: &StoreArgs, message: &str, json: bool) -> anyhow::Result<ExitCode> {
    let id = message_id(message)?;
    let mut st = store(s)?.with_context(|| {
        format!(
            "no message {id}: there is no incident store at {}",
            s.label()
        )
    })?;
    let rows = st.attempts(&id)?;
    if json {
        output::json(&view::attempts(&id, &rows))?;
        return Ok(ExitCode::SUCCESS);
    }
    if rows.is_empty() {
        println!("{id}: no attempts yet");
        return Ok(ExitCode::SUCCESS);
    }
    let table = view::attempt_rows(&rows);
    print_table(&table);
    Ok(ExitCode::SUCCESS)
}

fn replay(s: &StoreArgs, message: &str) -> anyhow::Result<ExitCode> {
    let id = message_id(message)?;
    let actor = s.acting()?;
    let mut st = store(s)?.with_context(|| {
        format!(
            "no message {id}: there is no incident store at {}",
            s.label()
        )
    })?;
    st.replay(&id, &actor)?;
    let key = st
        .messages(&MessageFilter {
            state: None,
            incident: Some(
                id.as_str()
                    .rsplit_once('/')
                    .map(|p| p.0)
                    .unwrap_or("")
                    .to_owned(),
            ),
        })?
        .into_iter()
        .find(|m| m.id == id)
        .map(|m| m.key)
        .unwrap_or_default();
    println!("replayed {id}: pending again, same key {key}");
    Ok(ExitCode::SUCCESS)
}
