//! `cverun incident ...`: declare an incident, work it through the runbook, keep
//! its clocks, print and verify its timeline. The rules live in `cverun-incident`;
//! this module parses, wires and prints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use cverun_incident::EventBody;
use cverun_incident::chain::Anchor;
use cverun_incident::outbox::witness::RecordHead;
use cverun_incident::outbox::{MessageId, MessageQueued, NewMessage};
use cverun_incident::view;
use cverun_incident::{
    Action, ApprovalKind, AssignedPriority, Clock, Decision, Declaration, Interval, Keyring,
    Loaded, Phase, Priority, Role, Runbook, Store,
    event::Duplicate,
    postmortem::{NoteSection, parse_action_id},
};
use cverun_notify::channel::OutgoingMessage;
use cverun_notify::route::Routing;
use jiff::Timestamp;

use super::now;
use crate::cli::{Format, OutputFile};
use crate::output;

/// Where incidents are stored and who is acting (shared by `incident`,
/// `evidence` and `report`).
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Project state directory: the SQLite incident store, runbook.toml, evidence
    /// [default: .cverun in the current directory]
    #[arg(long, global = true, env = "CVERUN_STATE", value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// PostgreSQL store shared by a team (postgres://USER@HOST:PORT/DB) instead of
    /// the SQLite file
    #[arg(
        long,
        global = true,
        env = "CVERUN_DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database: Option<String>,
    /// Who is acting, as recorded in the timeline [default: $CVERUN_ACTOR, else
    /// $USER, else $LOGNAME; commands that record refuse to run without one]
    #[arg(long, global = true, value_name = "NAME")]
    pub actor: Option<String>,
}

/// The SQLite file in the state directory.
pub const STORE_FILE: &str = "incidents.sqlite3";

impl StoreArgs {
    /// The state directory.
    pub fn state_dir(&self) -> PathBuf {
        self.state
            .clone()
            .unwrap_or_else(|| PathBuf::from(".cverun"))
    }

    /// The acting person: `--actor`, else `$CVERUN_ACTOR`, else the login name
    /// (`$USER`, `$LOGNAME`); `None` when none is set.
    pub fn actor(&self) -> Option<String> {
        let from_env = |v: &str| std::env::var(v).ok().filter(|s| !s.trim().is_empty());
        self.actor
            .clone()
            .filter(|a| !a.trim().is_empty())
            .or_else(|| from_env("CVERUN_ACTOR"))
            .or_else(|| from_env("USER"))
            .or_else(|| from_env("LOGNAME"))
    }

    /// The acting person, for a command that records something: never a made-up
    /// name (an event by "unknown" would be no record at all).
    pub fn acting(&self) -> anyhow::Result<String> {
        self.actor().context(
            "who is acting? give --actor NAME or set CVERUN_ACTOR (recorded in the timeline; with a roster, a handle or alias of the roster)",
        )
    }

    /// The store's clock: simulated at `CVERUN_NOW` when it is set, else the real
    /// clock (the system's, or the PostgreSQL server's).
    pub fn clock(&self) -> anyhow::Result<Clock> {
        match std::env::var("CVERUN_NOW") {
            Ok(v) if !v.is_empty() => Ok(Clock::Simulated(super::now()?)),
            _ => Ok(Clock::System),
        }
    }

    /// Opens the store. For reads (`write` false) a missing SQLite file is `None`:
    /// there are no incidents yet, and nothing is created. The incident key is
    /// read (see [`Keyring::load`]); `write` creates `<state>/incident.key` when
    /// no key is given and there is none yet.
    pub fn open(&self, write: bool) -> anyhow::Result<Option<Store>> {
        let clock = self.clock()?;
        if let Some(url) = self.database.as_deref().filter(|u| !u.is_empty()) {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                bail!(
                    "unsupported --database URL {:?}: expected postgres://USER@HOST:PORT/DATABASE (without --database, incidents are stored in {})",
                    cverun_incident::store::redact(url),
                    self.state_dir().join(STORE_FILE).display()
                );
            }
            let keys = Keyring::load(&self.state_dir(), write)?;
            return Ok(Some(Store::postgres(url, clock, keys)?));
        }
        let path = self.state_dir().join(STORE_FILE);
        if !write && !path.exists() {
            return Ok(None);
        }
        let keys = Keyring::load(&self.state_dir(), write)?;
        Ok(Some(Store::sqlite(&path, clock, keys)?))
    }

    /// Whether views are of a simulated store: the store's mark, or (no store
    /// yet) whether the clock is simulated.
    pub fn simulated(&self, store: Option<&Store>) -> anyhow::Result<bool> {
        Ok(match store {
            Some(s) => s.simulated(),
            None => self.clock()?.is_simulated(),
        })
    }

    /// Opens the store for writing.
    pub fn open_for_write(&self) -> anyhow::Result<Store> {
        self.open(true)?
            .context("the incident store could not be opened")
    }

    /// Where the store is, for messages.
    pub fn label(&self) -> String {
        match self.database.as_deref().filter(|u| !u.is_empty()) {
            Some(u) => cverun_incident::store::redact(u),
            None => self.state_dir().join(STORE_FILE).display().to_string(),
        }
    }

    /// Opens the store holding incident `id`, with a clear error when there is no
    /// store yet (nothing is created).
    pub fn open_with(&self, id: &str) -> anyhow::Result<Store> {
        match self.open(false)? {
            Some(store) => Ok(store),
            None => bail!(
                "no incident {id}: there is no incident store at {} (declare one first, or give --state DIR or --database URL)",
                self.label()
            ),
        }
    }

    /// Loads incident `id`, with a clear error when there is no store or no such
    /// incident.
    pub fn load(&self, id: &str) -> anyhow::Result<(Store, Loaded)> {
        let mut store = self.open_with(id)?;
        let loaded = store.load(id)?;
        Ok((store, loaded))
    }
}

pub use cverun_incident::view::{SIMULATED_BANNER, short_hash};

/// Incident ids are upper case; accept any case.
pub fn incident_id(s: &str) -> String {
    s.trim().to_ascii_uppercase()
}

/// A time on the command line: RFC 3339, or `<length> ago` (`2h ago`), relative
/// to `now`.
pub fn parse_time(flag: &str, s: &str, now: Timestamp) -> anyhow::Result<Timestamp> {
    let s = s.trim();
    if let Some(len) = s.strip_suffix("ago") {
        let i: Interval = len
            .trim()
            .parse()
            .map_err(|e: String| anyhow::anyhow!("{flag} {s:?}: {e}"))?;
        return now
            .checked_sub(i.duration())
            .with_context(|| format!("{flag} {s:?} is out of range"));
    }
    s.parse().map_err(|_| {
        anyhow::anyhow!(
            "{flag} {s:?} is not a time: give RFC 3339 (2026-11-23T09:30:00Z) or a length of time ago (\"3h ago\")"
        )
    })
}

#[derive(Debug, Args)]
pub struct IncidentArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Runbook file for new incidents, whose [notify] routes also choose the
    /// messages every recording command queues [default: <state>/runbook.toml
    /// when present, else the built-in runbook, which routes nothing]
    #[arg(long, global = true, value_name = "FILE")]
    pub runbook: Option<PathBuf>,
    /// The advisory database (read by `declare` only; also accepted after
    /// `declare`, as shown there).
    #[arg(long = "db", value_name = "DIR", hide = true)]
    pub db: Option<PathBuf>,
    #[command(subcommand)]
    pub command: IncidentCommand,
}

#[derive(Debug, Subcommand)]
pub enum IncidentCommand {
    /// Declare an incident for an advisory (status CONTAINMENT).
    Declare(Box<DeclareArgs>),
    /// List incidents: phase, next deadline, commander, last update.
    List {
        /// Also list resolved and cancelled incidents.
        #[arg(long)]
        all: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        output: OutputFile,
    },
    /// Show one incident: deadlines, roles, checklist, approvals, updates.
    Show {
        /// Incident id (INC-YYYY-MM-DD-N).
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        output: OutputFile,
    },
    /// Hand a role to someone (the previous holder stays in the history).
    Assign {
        /// Incident id.
        id: String,
        /// commander, security-lead, technical-lead, devops, communications-lead,
        /// or a role the runbook adds (dba...); aliases like ic, security work.
        role: String,
        /// Who: a person of the roster (handle or alias) who may hold the role.
        name: String,
    },
    /// Check a checklist item of the current (or an earlier) phase (see
    /// `incident show` for the ids).
    Check {
        /// Incident id.
        id: String,
        /// Item id (blast-radius, fix-reviewed...).
        item: String,
        /// Check an item of a later phase now, or one the runbook has checked by a
        /// command (`by = "verify"`: rescan-clean) by hand (needs --reason;
        /// recorded as forced).
        #[arg(long)]
        force: bool,
        /// Why (required with --force).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Uncheck a checked item that no longer holds (recorded with the reason).
    Uncheck {
        /// Incident id.
        id: String,
        /// Item id.
        item: String,
        /// Why.
        #[arg(long, required = true)]
        reason: String,
    },
    /// Record a note (also after the incident ended), for the record or for a
    /// post-mortem section.
    Note {
        /// Incident id.
        id: String,
        /// The note.
        text: String,
        /// The post-mortem section it belongs to: summary, root-cause, went-well,
        /// went-wrong or lessons [default: a plain note]
        #[arg(long, value_name = "SECTION")]
        section: Option<String>,
    },
    /// Record the current runbook's roster ([[person]] entries) on an incident,
    /// as a person who may be its commander.
    Roster {
        /// Incident id.
        id: String,
    },
    /// Move to the next phase (or --to PHASE).
    Advance {
        /// Incident id.
        id: String,
        /// Target phase: a later one, or an earlier one to go back (with --reason).
        #[arg(long, value_name = "PHASE")]
        to: Option<String>,
        /// Leave phases with required checklist items open (needs --reason).
        #[arg(long)]
        force: bool,
        /// Why (recorded; required with --force and when going back).
        #[arg(long)]
        reason: Option<String>,
    },
    /// Cancel an incident (a false alarm, a duplicate).
    Cancel {
        /// Incident id.
        id: String,
        /// Why.
        #[arg(long, required = true)]
        reason: String,
    },
    /// Reopen a resolved or cancelled incident.
    Reopen {
        /// Incident id.
        id: String,
        /// Why.
        #[arg(long, required = true)]
        reason: String,
        /// Phase to reopen into [default: where it was cancelled, or CONTAINMENT]
        #[arg(long, value_name = "PHASE")]
        to: Option<String>,
    },
    /// Record the decision: hotfix, hotfix-code-changes, workaround or rollback.
    Decide {
        /// Incident id.
        id: String,
        /// hotfix | hotfix-code-changes | workaround | rollback
        decision: String,
        /// Why.
        #[arg(long, required = true)]
        rationale: String,
    },
    /// Approve entering the gated phase (DEPLOYMENT by default) as the acting
    /// person (--actor), who must be in the roster with a role that may give it.
    Approve {
        /// Incident id.
        id: String,
        /// In which capacity: technical, security, or a kind the runbook adds.
        #[arg(long = "as", value_name = "KIND", required = true)]
        kind: String,
    },
    /// Post a status update; the next one is due per the priority's cadence.
    /// After the resolution: the resolution message (no further update due).
    Update {
        /// Incident id.
        id: String,
        /// The update.
        message: String,
        /// Expected resolution: a length of time from now (2h) or an RFC 3339 time.
        #[arg(long)]
        eta: Option<String>,
    },
    /// Record an impact: customer-data (escalates to executive and legal),
    /// active-exploitation (raises the priority to P0), or one the runbook defines.
    Impact {
        /// Incident id.
        id: String,
        /// Impact name.
        impact: String,
    },
    /// Change the priority (recorded with the reason).
    Priority {
        /// Incident id.
        id: String,
        /// P0, P1 or P2.
        priority: String,
        /// Why.
        #[arg(long, required = true)]
        reason: String,
    },
    /// Record when the organisation became aware (starts the GDPR and NIS2 clocks).
    Aware {
        /// Incident id.
        id: String,
        /// When: RFC 3339 or "3h ago" [default: now]
        #[arg(long)]
        at: Option<String>,
    },
    /// Record a regulatory notification (stops its clock).
    Notify {
        /// Incident id.
        id: String,
        /// Regulatory clock: gdpr, nis2-early-warning, nis2-notification.
        clock: String,
        /// Reference or note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Evaluate every clock: record each escalation and overdue deadline once.
    Tick {
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        output: OutputFile,
    },
    /// Print an incident's timeline.
    Timeline {
        /// Incident id.
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        output: OutputFile,
    },
    /// Recompute the hash chain and check the MACs of one incident's timeline, or
    /// of all and the store's signed numbering of incidents (exit 1 when tampering
    /// is found, or when no key is available to authenticate).
    Verify {
        /// Incident id [default: every incident]
        id: Option<String>,
        /// A head printed earlier by `cverun incident head` (ID:SEQ:HASH:MAC, or
        /// store:SEQ:HASH:MAC): exit 1 when the chain no longer reaches it.
        #[arg(long, value_name = "HEAD")]
        expect: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        output: OutputFile,
    },
    /// Print the signed head of an incident's timeline (or, without an id, of the
    /// store's log) as one line to keep outside the database (a ticket, the
    /// incident channel, git); `verify --expect HEAD` checks it later.
    Head {
        /// Incident id [default: the store's log]
        id: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        output: OutputFile,
    },
    /// Print the runbook new incidents follow (TOML; a starting point for
    /// <state>/runbook.toml).
    Runbook,
    /// Render an incident's post-mortem from its record (Markdown or JSON; the
    /// same record gives the same bytes).
    Postmortem {
        /// Incident id.
        id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = PostmortemFormat::Markdown)]
        format: PostmortemFormat,
        #[command(flatten)]
        output: OutputFile,
    },
    /// Follow-up action items: add, mark done, list (also after the resolution).
    #[command(subcommand)]
    Action(ActionCommand),
}

/// The formats of `incident postmortem`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum PostmortemFormat {
    /// Markdown, for people and wikis.
    Markdown,
    /// JSON (`cverun.postmortem/1`).
    Json,
}

/// `incident action ...`.
#[derive(Debug, Subcommand)]
pub enum ActionCommand {
    /// Add an action item with an owner and a due time.
    Add {
        /// Incident id.
        id: String,
        /// What is to be done.
        text: String,
        /// Who owns it (a person of the roster when the runbook has people).
        #[arg(long, required = true, value_name = "NAME")]
        owner: String,
        /// When it is due: a length of time from now (7d, 2w) or an RFC 3339 time.
        #[arg(long, required = true, value_name = "TIME")]
        due: String,
    },
    /// Mark an action item done.
    Done {
        /// Incident id.
        id: String,
        /// The item (ACTION-1, or 1).
        action: String,
        /// How it was done.
        #[arg(long)]
        note: Option<String>,
    },
    /// List action items, of one incident or of all.
    List {
        /// Incident id [default: every incident]
        id: Option<String>,
        /// Only the open items past their due time.
        #[arg(long)]
        overdue: bool,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        #[command(flatten)]
        output: OutputFile,
    },
}

/// Who records clock events when `tick` runs without an actor (from cron).
pub const TICK_ACTOR: &str = "cverun-tick";

impl IncidentCommand {
    /// Whether the command records events (and so needs to know who is acting).
    fn records(&self) -> bool {
        !matches!(
            self,
            IncidentCommand::List { .. }
                | IncidentCommand::Show { .. }
                | IncidentCommand::Timeline { .. }
                | IncidentCommand::Verify { .. }
                | IncidentCommand::Head { .. }
                | IncidentCommand::Runbook
                | IncidentCommand::Postmortem { .. }
                | IncidentCommand::Action(ActionCommand::List { .. })
        )
    }
}

#[derive(Debug, Args)]
pub struct DeclareArgs {
    /// The advisory (OSV, GHSA or CVE id).
    #[arg(long, required = true)]
    pub advisory: String,
    /// P0, P1, P2, or auto: the advisory's priority under the triage policy, from
    /// the advisory database (CVSS across aliases, CISA KEV, EPSS), without service
    /// context; refused when the database does not know the advisory or triage says
    /// routine.
    #[arg(long, default_value = "auto")]
    pub priority: String,
    #[command(flatten)]
    pub db: crate::cli::DbArg,
    /// With --priority auto: judge against these OSV records (and KEV/EPSS files)
    /// instead of the advisory database (repeatable).
    #[arg(long, value_name = "PATH")]
    pub advisories: Vec<PathBuf>,
    /// With --priority auto: the policy file [default: cverun-policy.toml in the
    /// current directory, else the built-in runbook defaults]
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The incident commander.
    #[arg(long, value_name = "NAME")]
    pub commander: Option<String>,
    /// Title [default: the advisory's summary from the advisory database, else its
    /// id]
    #[arg(long)]
    pub title: Option<String>,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    /// An affected service (repeatable): a service of the fleet given with --from or
    /// --inventory [default: every service the advisory's blast radius affects]
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Scan these directories for the advisory's blast radius: services named with
    /// --service must exist there, and without --service the affected ones are taken
    /// (repeatable).
    #[arg(long = "from", value_name = "PATH")]
    pub from: Vec<PathBuf>,
    /// A saved inventory (`cverun inventory save`) instead of scanning with --from.
    #[arg(long, value_name = "FILE", conflicts_with = "from")]
    pub inventory: Option<PathBuf>,
    /// The part of the organisation this incident covers (a team, a fleet), when
    /// incidents of one vulnerability are worked apart: one open incident per
    /// vulnerability and scope [default: the whole store]
    #[arg(long, value_name = "NAME")]
    pub scope: Option<String>,
    /// Declare although incident ID, open, covers the same vulnerability and scope:
    /// a duplicate worked apart (recorded)
    #[arg(long, value_name = "ID", conflicts_with = "allow_duplicate")]
    pub duplicate_of: Option<String>,
    /// Declare although an open incident covers the same vulnerability and scope,
    /// for this reason (recorded)
    #[arg(long, value_name = "REASON")]
    pub allow_duplicate: Option<String>,
    /// When the advisory was published (RFC 3339), for MTTD.
    #[arg(long, value_name = "TIME")]
    pub published: Option<String>,
    /// When the problem was first detected [default: now]
    #[arg(long, value_name = "TIME")]
    pub detected: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

pub fn run(db_flag: Option<&Path>, args: IncidentArgs) -> anyhow::Result<ExitCode> {
    let s = &args.store;
    let actor = match &args.command {
        // Clock events are the clock's, when run from cron without a login name.
        IncidentCommand::Tick { .. } => s.actor().unwrap_or_else(|| TICK_ACTOR.to_owned()),
        c if c.records() => s.acting()?,
        _ => s.actor().unwrap_or_default(),
    };
    let now = now()?;
    // The routing of the runbook file, read (and checked) before anything is
    // recorded: a routing error fails the command with nothing written.
    let routing = if args.command.records() {
        routing(s, args.runbook.as_deref())?
    } else {
        None
    };
    let routing = routing.as_ref();
    let act = |id: &str, action: Action| -> anyhow::Result<ExitCode> {
        let id = incident_id(id);
        let mut store = s.open_with(&id)?;
        let Some(routing) = routing else {
            let r = store.act(&id, &action, &actor)?;
            anstream::print!(
                "{}",
                view::recorded(&r.incident, &r.events, store.simulated())
            );
            return Ok(ExitCode::SUCCESS);
        };
        let router = Router::new(routing, now);
        let (r, ids) = store.act_notifying(&id, &action, &actor, &|inc, events| {
            router.route(inc, events)
        })?;
        anstream::print!(
            "{}",
            view::recorded(&r.incident, &r.events, store.simulated())
        );
        router.report(&r.events, &ids);
        Ok(ExitCode::SUCCESS)
    };
    match args.command {
        IncidentCommand::Declare(d) => declare(
            s,
            args.runbook.as_deref(),
            db_flag,
            *d,
            &actor,
            now,
            routing,
        ),
        IncidentCommand::List {
            all,
            format,
            output,
        } => list(s, all, format, now, output.output.as_deref()),
        IncidentCommand::Show { id, format, output } => {
            let (mut store, loaded) = s.load(&incident_id(&id))?;
            let delivered = store.deliveries(&loaded.id)?;
            show(
                &loaded,
                &delivered,
                format,
                now,
                store.simulated(),
                output.output.as_deref(),
            )
        }
        IncidentCommand::Assign { id, role, name } => act(
            &id,
            Action::Assign {
                role: role.parse::<Role>().map_err(anyhow::Error::msg)?,
                name,
            },
        ),
        IncidentCommand::Check {
            id,
            item,
            force,
            reason,
        } => match (force, reason) {
            (false, None) => act(&id, Action::Check { item }),
            (true, Some(reason)) => act(&id, Action::CheckAhead { item, reason }),
            (true, None) => bail!("--force needs --reason \"...\" (it is recorded)"),
            (false, Some(_)) => {
                bail!(
                    "--reason goes with --force (checking an item of a later phase, or one a command checks)"
                )
            }
        },
        IncidentCommand::Uncheck { id, item, reason } => act(&id, Action::Uncheck { item, reason }),
        IncidentCommand::Note { id, text, section } => act(
            &id,
            Action::Note {
                text,
                section: section
                    .map(|s| s.parse::<NoteSection>())
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
            },
        ),
        IncidentCommand::Roster { id } => {
            let (rb, source) = runbook(s, args.runbook.as_deref())?;
            if rb.people.is_empty() {
                bail!(
                    "the runbook ({source}) has no people: add [[person]] entries (handle, name, aliases, roles, contact) to {}",
                    s.state_dir().join("runbook.toml").display()
                );
            }
            act(&id, Action::Roster { people: rb.people })
        }
        IncidentCommand::Advance {
            id,
            to,
            force,
            reason,
        } => act(
            &id,
            Action::Advance {
                to: to
                    .map(|t| t.parse::<Phase>())
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
                force,
                reason,
            },
        ),
        IncidentCommand::Cancel { id, reason } => act(&id, Action::Cancel { reason }),
        IncidentCommand::Reopen { id, reason, to } => act(
            &id,
            Action::Reopen {
                reason,
                to: to
                    .map(|t| t.parse::<Phase>())
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
            },
        ),
        IncidentCommand::Decide {
            id,
            decision,
            rationale,
        } => act(
            &id,
            Action::Decide {
                decision: decision.parse::<Decision>().map_err(anyhow::Error::msg)?,
                rationale,
            },
        ),
        IncidentCommand::Approve { id, kind } => act(
            &id,
            Action::Approve {
                kind: kind.parse::<ApprovalKind>().map_err(anyhow::Error::msg)?,
            },
        ),
        IncidentCommand::Update { id, message, eta } => {
            let eta = match eta {
                None => None,
                Some(e) => Some(match e.trim().parse::<Interval>() {
                    Ok(i) => i.after(now),
                    Err(_) => e.trim().parse::<Timestamp>().map_err(|_| {
                        anyhow::anyhow!(
                            "--eta {e:?} is neither a length of time (\"2h\", \"1h 30m\") nor an RFC 3339 time"
                        )
                    })?,
                }),
            };
            act(&id, Action::Update { message, eta })
        }
        IncidentCommand::Impact { id, impact } => act(&id, Action::Impact { impact }),
        IncidentCommand::Priority {
            id,
            priority,
            reason,
        } => {
            let level: Priority = priority.parse().map_err(anyhow::Error::msg)?;
            if reason.trim().is_empty() {
                bail!("--reason must not be empty");
            }
            let mut p = AssignedPriority::declared_by(level, &actor);
            p.explanation = format!("{} ({})", reason.trim(), p.explanation);
            act(&id, Action::SetPriority { priority: p })
        }
        IncidentCommand::Aware { id, at } => {
            let at = at.map(|a| parse_time("--at", &a, now)).transpose()?;
            act(&id, Action::Aware { at })
        }
        IncidentCommand::Notify { id, clock, note } => act(&id, Action::Notify { clock, note }),
        IncidentCommand::Tick { format, output } => {
            tick(s, &actor, now, format, output.output.as_deref(), routing)
        }
        IncidentCommand::Timeline { id, format, output } => {
            let (store, loaded) = s.load(&incident_id(&id))?;
            timeline(&loaded, format, store.simulated(), output.output.as_deref())
        }
        IncidentCommand::Verify {
            id,
            expect,
            format,
            output,
        } => verify(
            s,
            id.as_deref(),
            expect.as_deref(),
            format,
            output.output.as_deref(),
        ),
        IncidentCommand::Head { id, format, output } => {
            head(s, id.as_deref(), format, output.output.as_deref())
        }
        IncidentCommand::Runbook => {
            let (rb, source) = runbook(s, args.runbook.as_deref())?;
            println!("# The runbook new incidents follow ({source}).");
            print!("{}", rb.to_toml());
            Ok(ExitCode::SUCCESS)
        }
        IncidentCommand::Postmortem { id, format, output } => {
            postmortem(s, &incident_id(&id), now, format, output.output.as_deref())
        }
        IncidentCommand::Action(ActionCommand::Add {
            id,
            text,
            owner,
            due,
        }) => act(
            &id,
            Action::AddActionItem {
                text,
                owner,
                due: future_time("--due", &due, now)?,
            },
        ),
        IncidentCommand::Action(ActionCommand::Done { id, action, note }) => act(
            &id,
            Action::CompleteActionItem {
                action: parse_action_id(&action).map_err(anyhow::Error::msg)?,
                note,
            },
        ),
        IncidentCommand::Action(ActionCommand::List {
            id,
            overdue,
            format,
            output,
        }) => action_list(
            s,
            id.as_deref(),
            overdue,
            now,
            format,
            output.output.as_deref(),
        ),
    }
}

/// A time to come on the command line: a length of time from `now` (`7d`) or
/// RFC 3339.
fn future_time(flag: &str, s: &str, now: Timestamp) -> anyhow::Result<Timestamp> {
    match s.trim().parse::<Interval>() {
        Ok(i) => Ok(i.after(now)),
        Err(_) => s.trim().parse::<Timestamp>().map_err(|_| {
            anyhow::anyhow!(
                "{flag} {s:?} is neither a length of time (\"7d\", \"2w\") nor an RFC 3339 time"
            )
        }),
    }
}

/// `incident postmortem ID`: the document of the incident's record; `now` only
/// counts while it is not resolved.
fn postmortem(
    s: &StoreArgs,
    id: &str,
    now: Timestamp,
    format: PostmortemFormat,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let (mut store, loaded) = s.load(id)?;
    let head = store.head(id)?;
    let deliveries = deliveries(&mut store, id)?;
    let v = view::postmortem::view(&loaded, &head, now, store.simulated(), &deliveries).map_err(
        |e| anyhow::anyhow!("{e}; the timeline cannot be read (see `cverun incident verify {id}`)"),
    )?;
    match format {
        PostmortemFormat::Json => output::report(out, |r| r.json(&v))?,
        PostmortemFormat::Markdown => {
            let md = view::postmortem::markdown(&v);
            match out {
                Some(path) => output::write_atomically(path, |w| {
                    std::io::Write::write_all(w, md.as_bytes())?;
                    Ok(())
                })?,
                None => {
                    use std::io::Write as _;
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(md.as_bytes())?;
                    stdout.flush()?;
                }
            }
        }
    }
    if !v.chain.verified {
        output::warn(&format!(
            "the timeline of {id} fails verification: run `cverun incident verify {id}`"
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The messages queued for incident `id`, each with the time of its first
/// delivered attempt.
fn deliveries(
    store: &mut cverun_incident::Store,
    id: &str,
) -> anyhow::Result<Vec<cverun_incident::postmortem::Delivery>> {
    let rows = store.messages(&cverun_incident::MessageFilter {
        state: None,
        incident: Some(id.to_owned()),
    })?;
    let mut out = Vec::with_capacity(rows.len());
    for message in rows {
        let delivered_at = store
            .attempts(&message.id)?
            .into_iter()
            .find(|a| a.outcome == cverun_incident::MessageState::Delivered)
            .map(|a| a.at);
        out.push(cverun_incident::postmortem::Delivery {
            message,
            delivered_at,
        });
    }
    Ok(out)
}

/// `incident action list [ID]`.
fn action_list(
    s: &StoreArgs,
    id: Option<&str>,
    overdue: bool,
    now: Timestamp,
    format: Format,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let (loaded, simulated) = match id.map(incident_id) {
        Some(id) => {
            let (store, l) = s.load(&id)?;
            (vec![l], store.simulated())
        }
        None => {
            let store = s.open(false)?;
            let simulated = s.simulated(store.as_ref())?;
            match store {
                Some(mut store) => (store.load_all()?, simulated),
                None => (Vec::new(), simulated),
            }
        }
    };
    let v = view::actions::view(&loaded, now, overdue, simulated);
    output::report(out, |r| match format {
        Format::Json => r.json(&v),
        Format::Table => r.text(&view::actions::text(&v)),
    })?;
    for id in &v.unreadable {
        output::warn(&format!(
            "the timeline of {id} cannot be read: its action items are not listed (see `cverun incident verify {id}`)"
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// The runbook for new incidents and where it comes from.
fn runbook(s: &StoreArgs, flag: Option<&Path>) -> anyhow::Result<(Runbook, String)> {
    if let Some(p) = flag {
        return Ok((Runbook::load(p)?, p.display().to_string()));
    }
    let p = s.state_dir().join("runbook.toml");
    if p.exists() {
        return Ok((Runbook::load(&p)?, p.display().to_string()));
    }
    Ok((Runbook::default(), "built in".to_owned()))
}

/// The runbook file in use (`--runbook`, else `<state>/runbook.toml` when
/// present).
fn runbook_file(s: &StoreArgs, flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_owned());
    }
    let p = s.state_dir().join("runbook.toml");
    p.exists().then_some(p)
}

/// The routing of the runbook file in use, when it has `[[notify.route]]`
/// entries; `None` (nothing is queued) without a file or routes. An error
/// naming the file, line and key when the `[notify]` table cannot be used.
pub(crate) fn routing(s: &StoreArgs, flag: Option<&Path>) -> anyhow::Result<Option<Routing>> {
    let Some(path) = runbook_file(s, flag) else {
        return Ok(None);
    };
    let text = cverun_inventory::read::read_text(&path, cverun_inventory::read::Class::Config)
        .with_context(|| format!("cannot read the runbook {}", path.display()))?;
    let rb = Runbook::from_toml(&path, &text)?;
    let routing = Routing::parse(&path, &text, &rb)?;
    if routing.has_routes() {
        return Ok(Some(routing));
    }
    if !routing.channels.is_empty() {
        output::warn(&format!(
            "{} has [notify] channels but no [[notify.route]]: no message is queued (see docs/notify.md, \"Routing\")",
            path.display()
        ));
    }
    Ok(None)
}

/// The router of a runbook file's routing, as the store calls it, keeping who
/// could not be reached for the report.
pub(crate) struct Router<'a> {
    routing: &'a Routing,
    now: Timestamp,
    /// Message key -> the people it could not reach (`name on channel: why`).
    unreachable: std::cell::RefCell<std::collections::BTreeMap<String, Vec<String>>>,
}

impl<'a> Router<'a> {
    /// The router of `routing`, rendering at the events' time (else `now`).
    pub(crate) fn new(routing: &'a Routing, now: Timestamp) -> Router<'a> {
        Router {
            routing,
            now,
            unreachable: Default::default(),
        }
    }

    /// The time messages are rendered at: the events' (the store's clock), else
    /// the command's.
    fn time(&self, events: &[cverun_incident::Event]) -> Timestamp {
        events
            .last()
            .and_then(|e| e.time().ok())
            .unwrap_or(self.now)
    }

    /// The messages `events` cause (for the store's notifying calls).
    pub(crate) fn route(
        &self,
        inc: &cverun_incident::Incident,
        events: &[cverun_incident::Event],
    ) -> Result<Vec<NewMessage>, String> {
        let m = cverun_notify::route::route(self.routing, inc, events, self.time(events))?;
        self.keep(&m);
        Ok(m)
    }

    fn tick(
        &self,
        inc: &cverun_incident::Incident,
        appended: &[cverun_incident::Event],
        timeline: &[cverun_incident::Event],
    ) -> Result<Vec<NewMessage>, String> {
        let now = self.time(timeline).max(self.now);
        let mut m = cverun_notify::route::route(self.routing, inc, appended, now)?;
        m.extend(cverun_notify::route::digests(
            self.routing,
            inc,
            timeline,
            now,
        )?);
        self.keep(&m);
        Ok(m)
    }

    /// Keeps who each message could not reach.
    fn keep(&self, messages: &[NewMessage]) {
        let mut u = self.unreachable.borrow_mut();
        for m in messages {
            let (Some(key), Ok(o)) = (&m.key, OutgoingMessage::from_body(&m.body)) else {
                continue;
            };
            let who: Vec<String> = o.data["extra"]["unreachable"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| {
                            format!(
                                "{} on {}: {}",
                                x["name"].as_str().unwrap_or("?"),
                                x["channel"].as_str().unwrap_or("?"),
                                x["reason"].as_str().unwrap_or("?")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !who.is_empty() {
                u.insert(key.clone(), who);
            }
        }
    }

    /// The queued messages among `events`: (id, template, channel, key).
    fn queued(
        &self,
        events: &[cverun_incident::Event],
        ids: &[MessageId],
    ) -> Vec<(String, MessageQueued)> {
        events
            .iter()
            .filter_map(|e| match e.body() {
                Ok(EventBody::MessageQueued(q)) if ids.contains(&q.message) => {
                    Some((e.incident.clone(), q))
                }
                _ => None,
            })
            .collect()
    }

    /// Warns of people the queued messages do not reach (the messages themselves
    /// are shown with the command's events: `message ... queued`; stdout may be
    /// JSON, so nothing more is printed there).
    fn report(&self, events: &[cverun_incident::Event], ids: &[MessageId]) {
        self.warn_unreachable(events, ids);
    }

    /// Says on stderr what was queued (for commands whose stdout is a report),
    /// and warns of people not reached.
    pub(crate) fn report_stderr(&self, events: &[cverun_incident::Event], ids: &[MessageId]) {
        for line in self.lines(events, ids) {
            output::warn(&line);
        }
        self.warn_unreachable(events, ids);
    }

    /// One line per queued message: `queued ID TEMPLATE → KIND CHANNEL`.
    fn lines(&self, events: &[cverun_incident::Event], ids: &[MessageId]) -> Vec<String> {
        let mut out = Vec::new();
        for (_, q) in self.queued(events, ids) {
            let kind = self
                .routing
                .channels
                .get(&q.channel)
                .map(String::as_str)
                .unwrap_or("?");
            out.push(format!(
                "queued {} {} \u{2192} {kind} {}",
                q.message, q.template, q.channel
            ));
        }
        out
    }

    /// Warns of the people queued messages could not reach.
    fn warn_unreachable(&self, events: &[cverun_incident::Event], ids: &[MessageId]) {
        let u = self.unreachable.borrow();
        for (_, q) in self.queued(events, ids) {
            if let Some(who) = u.get(&q.key) {
                output::warn(&format!(
                    "message {} ({} via {}) cannot reach: {}",
                    q.message,
                    q.template,
                    q.channel,
                    who.join("; ")
                ));
            }
        }
    }
}

/// The advisory's priority under the triage policy, without service context.
fn auto_priority(
    db_flag: Option<&Path>,
    d: &DeclareArgs,
    rb: &Runbook,
    now: Timestamp,
) -> anyhow::Result<(AssignedPriority, Facts)> {
    use cverun_triage::policy::Level;
    let mut triage = cverun_scan::Triage::load(&[PathBuf::from(".")], d.policy.as_deref(), &[])?;
    triage.policy.response = super::response_times(rb);
    let db = super::open_for_matching(db_flag, &d.advisories)?;
    let id = cverun_scan::explain::canonical_id(&d.advisory);
    let Some(cverun_scan::explain::Known {
        summary,
        base: p,
        ids,
        ..
    }) = cverun_scan::explain::known(&db, &triage.policy, &id, now)?
    else {
        bail!(
            "--priority auto: the advisory database does not know {id}, so cverun cannot judge its priority; give --priority P0, P1 or P2, or import the advisory"
        )
    };
    let level = match p.level {
        Level::P0 => Priority::P0,
        Level::P1 => Priority::P1,
        Level::P2 => Priority::P2,
        Level::Routine => bail!(
            "--priority auto: triage says routine ({}); routine findings are handled without an incident; give --priority P0, P1 or P2 to declare one anyway",
            p.explanation()
        ),
    };
    let assigned = AssignedPriority::from_triage(
        level,
        format!(
            "triage (rule {}, advisory alone, without service context): {}",
            p.rule.id(),
            p.explanation()
        ),
    );
    Ok((assigned, Facts { summary, ids }))
}

/// What the advisory database says of the advisory declared.
#[derive(Default)]
struct Facts {
    /// Its summary (the default title).
    summary: Option<String>,
    /// Every id of the vulnerability (for the one-open-incident rule).
    ids: Vec<String>,
}

/// The advisory's summary and ids, when the advisory database (or --advisories)
/// knows it; nothing otherwise (the title is then the id, with a warning, and the
/// advisory id alone names the vulnerability).
fn advisory_facts(db_flag: Option<&Path>, d: &DeclareArgs, rb: &Runbook, now: Timestamp) -> Facts {
    let Ok(db) = super::open_for_matching(db_flag, &d.advisories) else {
        return Facts::default();
    };
    let policy = cverun_triage::policy::Policy::default().with_response(super::response_times(rb));
    let id = cverun_scan::explain::canonical_id(&d.advisory);
    match cverun_scan::explain::known(&db, &policy, &id, now) {
        Ok(Some(k)) => Facts {
            summary: k.summary,
            ids: k.ids,
        },
        _ => Facts::default(),
    }
}

/// The services an incident is declared for: those named with --service, each
/// checked against the fleet of --from or --inventory; without --service, every
/// service the advisory's blast radius affects there. Naming services without a
/// fleet to check them against is refused.
fn affected_services(
    db_flag: Option<&Path>,
    d: &DeclareArgs,
    warnings: &mut Vec<String>,
) -> anyhow::Result<Vec<String>> {
    if d.from.is_empty() && d.inventory.is_none() {
        if let Some(first) = d.services.first() {
            bail!(
                "--service {first:?} cannot be checked: give --from PATH (the fleet to scan) or --inventory FILE (a saved inventory), so that every service named exists"
            );
        }
        warnings.push(
            "no affected services recorded: give --from PATH or --inventory FILE to take them from the blast radius".into(),
        );
        return Ok(Vec::new());
    }
    let inputs = crate::cli::ScanInputs {
        paths: d.from.clone(),
        advisories: d.advisories.clone(),
        policy: d.policy.clone(),
        exceptions: Vec::new(),
        threads: None,
        max_db_age: None,
        allow_outside_roots: false,
        db: crate::cli::DbArg::default(),
    };
    let r = super::blast::radius(db_flag, &d.advisory, &inputs, d.inventory.as_deref(), false)?;
    if let Some(why) = &r.blast.cannot_judge {
        bail!("cannot judge the blast radius of {}: {why}", d.advisory);
    }
    for p in &r.blast.incomplete {
        let at = p.line.map(|l| format!(":{l}")).unwrap_or_default();
        warnings.push(format!(
            "the blast radius is incomplete, affected services may be missing: {}{at}: {}",
            p.file, p.message
        ));
    }
    use cverun_blast::radius::Status;
    let mut affected: Vec<String> = Vec::new();
    for e in &r.blast.entries {
        let counts = matches!(
            e.status,
            Status::Affected | Status::Named | Status::Unverifiable | Status::NotChecked
        );
        if counts && !affected.iter().any(|a| **a == *e.service) {
            affected.push(e.service.to_string());
        }
    }
    if d.services.is_empty() {
        if affected.is_empty() {
            warnings.push(format!(
                "no service of the fleet ({} scanned) ships a version {} affects",
                r.services.len(),
                d.advisory
            ));
        }
        return Ok(affected);
    }
    let mut out = Vec::new();
    for name in &d.services {
        let found = r
            .services
            .iter()
            .find(|s| *s == name)
            .or_else(|| r.services.iter().find(|s| s.eq_ignore_ascii_case(name)));
        let Some(found) = found else {
            let close =
                cverun_versions::similar::similar(name, r.services.iter().map(String::as_str), 3);
            let hint = if close.is_empty() {
                String::new()
            } else {
                format!(" (did you mean {}?)", close.join(", "))
            };
            bail!(
                "--service {name:?} is not a service of the fleet ({} services){hint}",
                r.services.len()
            );
        };
        if !affected.contains(found) {
            warnings.push(format!(
                "{found} does not ship a version {} affects (per the blast radius); recorded as named",
                d.advisory
            ));
        }
        if !out.contains(found) {
            out.push(found.clone());
        }
    }
    Ok(out)
}

fn declare(
    s: &StoreArgs,
    runbook_flag: Option<&Path>,
    db_flag: Option<&Path>,
    d: DeclareArgs,
    actor: &str,
    now: Timestamp,
    routing: Option<&Routing>,
) -> anyhow::Result<ExitCode> {
    // What the command line says is checked before anything is looked up.
    let published = d
        .published
        .as_deref()
        .map(|t| parse_time("--published", t, now))
        .transpose()?;
    let detected = d
        .detected
        .as_deref()
        .map(|t| parse_time("--detected", t, now))
        .transpose()?;
    let duplicate = match (&d.duplicate_of, &d.allow_duplicate) {
        (Some(id), _) => Some(Duplicate::Of(incident_id(id))),
        (None, Some(reason)) => Some(Duplicate::Allowed(reason.clone())),
        (None, None) => None,
    };
    let declared = match d.priority.trim() {
        p if p.eq_ignore_ascii_case("auto") => None,
        p => Some(p.parse::<Priority>().map_err(anyhow::Error::msg)?),
    };
    let (rb, _) = runbook(s, runbook_flag)?;
    // The runbook's rules too (claimed times in order, the commander in the
    // roster...), on what is known before the advisory and the fleet are looked up.
    let draft = Declaration {
        advisory: d.advisory.clone(),
        priority: AssignedPriority::declared_by(declared.unwrap_or(Priority::P2), actor),
        title: d.title.clone(),
        description: d.description.clone(),
        commander: d.commander.clone(),
        services: Vec::new(),
        published,
        detected,
        aliases: Vec::new(),
        scope: d.scope.clone(),
        duplicate: duplicate.clone(),
    };
    cverun_incident::rules::declare(&draft, &rb, now).map_err(anyhow::Error::msg)?;
    let (priority, facts) = match declared {
        None => auto_priority(db_flag, &d, &rb, now)?,
        Some(level) => (
            AssignedPriority::declared_by(level, actor),
            advisory_facts(db_flag, &d, &rb, now),
        ),
    };
    // Printed once the incident is recorded (a refusal comes alone).
    let mut warnings = Vec::new();
    let title = match (d.title.clone(), facts.summary) {
        (Some(t), _) | (None, Some(t)) => Some(t),
        (None, None) => {
            warnings.push(format!(
                "the advisory database has no summary of {}: the title is its id (give --title)",
                d.advisory
            ));
            None
        }
    };
    let services = affected_services(db_flag, &d, &mut warnings)?;
    let declaration = Declaration {
        advisory: d.advisory,
        priority,
        title,
        description: d.description,
        commander: d.commander,
        services,
        published,
        detected,
        aliases: facts.ids,
        scope: d.scope,
        duplicate,
    };
    let mut store = s.open_for_write()?;
    let (r, queued) = match routing {
        None => (store.declare(&declaration, &rb, actor)?, None),
        Some(routing) => {
            let router = Router::new(routing, now);
            let (r, ids) = store.declare_notifying(&declaration, &rb, actor, &|inc, events| {
                router.route(inc, events)
            })?;
            (r, Some((router, ids)))
        }
    };
    for w in &warnings {
        output::warn(w);
    }
    if let Some((router, ids)) = &queued {
        if d.format == Format::Json {
            router.warn_unreachable(&r.events, ids);
        }
    }
    if d.format == Format::Json {
        let loaded = store.load(&r.incident.id)?;
        return show(
            &loaded,
            &Default::default(),
            Format::Json,
            now,
            store.simulated(),
            None,
        );
    }
    let inc = &r.incident;
    anstream::print!("{}", view::declared(inc, &r.events, now, store.simulated()));
    if let Some((router, ids)) = &queued {
        router.report(&r.events, ids);
    }
    if inc.holder(Role::Commander).is_none() {
        output::warn(&format!(
            "no incident commander yet: cverun incident assign {} commander NAME",
            inc.id
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn show(
    loaded: &Loaded,
    delivered: &std::collections::BTreeMap<cverun_incident::MessageId, Timestamp>,
    format: Format,
    now: Timestamp,
    simulated: bool,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let v = view::show::view(loaded, now, simulated)
        .map_err(|e| {
            anyhow::anyhow!(
                "{e}; the timeline cannot be read (see `cverun incident verify {}`)",
                loaded.id
            )
        })?
        .with_deliveries(loaded, delivered);
    if format == Format::Json {
        output::report(out, |r| r.json(&v))?;
        return Ok(ExitCode::SUCCESS);
    }
    output::report(out, |r| r.text(&view::show::text(&v)))?;
    let inc = v.incident;
    if !v.outside_roster.is_empty() {
        output::warn(&format!(
            "events of {} were recorded by people not in its roster: {} (identity is self-asserted; check them)",
            inc.id,
            v.outside_roster.join(", ")
        ));
    }
    if !v.verified {
        output::warn(&format!(
            "the timeline of {} fails verification ({} problems): run `cverun incident verify {}`",
            inc.id,
            v.problems.len(),
            inc.id
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn list(
    s: &StoreArgs,
    all: bool,
    format: Format,
    now: Timestamp,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let store = s.open(false)?;
    let simulated = s.simulated(store.as_ref())?;
    let loaded = match store {
        Some(mut store) => store.load_all()?,
        None => Vec::new(),
    };
    let v = view::list::view(&loaded, all, now, simulated);
    output::report(out, |r| match format {
        Format::Json => r.json(&v),
        Format::Table => r.text(&view::list::text(&v, &s.label())),
    })?;
    Ok(ExitCode::SUCCESS)
}

fn tick(
    s: &StoreArgs,
    actor: &str,
    now: Timestamp,
    format: Format,
    out: Option<&Path>,
    routing: Option<&Routing>,
) -> anyhow::Result<ExitCode> {
    let store = s.open(false)?;
    let simulated = s.simulated(store.as_ref())?;
    let router = routing.map(|r| Router::new(r, now));
    let (report, ids) = match (store, &router) {
        (Some(mut store), None) => (store.tick(actor)?, Vec::new()),
        (Some(mut store), Some(router)) => store
            .tick_notifying(actor, &|inc, appended, timeline| {
                router.tick(inc, appended, timeline)
            })?,
        (None, _) => Default::default(),
    };
    let v = view::tick::view(&report, now, simulated);
    output::report(out, |r| match format {
        Format::Json => r.json(&v),
        Format::Table => r.text(&view::tick::text(&v)),
    })?;
    if let Some(router) = &router {
        let events: Vec<cverun_incident::Event> =
            report.fired.iter().map(|f| f.event.clone()).collect();
        if format == Format::Json || out.is_some() {
            router.warn_unreachable(&events, &ids);
        } else {
            router.report(&events, &ids);
        }
    }
    for f in &v.failed {
        output::error(&format!("{} was not evaluated: {}", f.incident, f.error));
    }
    Ok(if v.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

fn timeline(
    loaded: &Loaded,
    format: Format,
    simulated: bool,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let v = view::timeline::view(loaded, simulated);
    if format == Format::Json {
        output::report(out, |r| r.json(&v))?;
        return Ok(ExitCode::SUCCESS);
    }
    output::report(out, |r| r.text(&view::timeline::text(&v)))?;
    if !v.verified {
        output::warn(&format!(
            "the timeline fails verification: run `cverun incident verify {}`",
            loaded.id
        ));
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(
    s: &StoreArgs,
    id: Option<&str>,
    expect: Option<&str>,
    format: Format,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let id = id.map(incident_id);
    // A head taken from a message (`SEQ:HEX`, unsigned): see `comms`.
    if let Some(record) = expect
        .map(RecordHead::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--expect {e}"))?
        .flatten()
    {
        return super::comms::verify_record(s, id.as_deref(), &record, format, out);
    }
    let expect = expect
        .map(Anchor::parse)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--expect {e}"))?;
    if let (Some(id), Some(a)) = (&id, &expect)
        && a.name != *id
    {
        bail!(
            "--expect: the head is of {}, not of {id}",
            if a.name == cverun_incident::chain::STORE_ANCHOR {
                "the store log (verify without an incident id to check it)".to_owned()
            } else {
                a.name.clone()
            }
        );
    }
    let store = match &id {
        Some(id) => Some(s.open_with(id)?),
        None => s.open(false)?,
    };
    let simulated = s.simulated(store.as_ref())?;
    let (mut results, mut log) = (Vec::new(), None);
    if let Some(mut store) = store {
        match &id {
            Some(id) => results = store.verify(Some(id))?,
            None => {
                results = store.verify(None)?;
                log = Some(store.verify_log()?);
            }
        }
        if let Some(a) = &expect {
            let problems = store.check_head(a)?;
            view::verify::add_expected(&mut results, log.as_mut(), a, problems);
        }
    } else if expect.is_some() {
        bail!(
            "--expect: there is no incident store at {}, so nothing reaches the head",
            s.label()
        );
    }
    let v = view::verify::view(&results, log.as_ref(), expect.as_ref(), simulated);
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

fn head(
    s: &StoreArgs,
    id: Option<&str>,
    format: Format,
    out: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let (store, anchor) = match id.map(incident_id) {
        Some(id) => {
            let mut store = s.open_with(&id)?;
            let a = store.head(&id)?;
            (store, a)
        }
        None => {
            let Some(mut store) = s.open(false)? else {
                bail!(
                    "there is no incident store at {} (declare an incident first)",
                    s.label()
                );
            };
            let a = store.store_head()?;
            (store, a)
        }
    };
    let v = view::head::view(&anchor, store.simulated());
    if v.simulated && format != Format::Json {
        output::warn(SIMULATED_BANNER);
    }
    output::report(out, |r| match format {
        Format::Json => r.json(&v),
        Format::Table => r.text(&view::head::text(&v)),
    })?;
    Ok(ExitCode::SUCCESS)
}
