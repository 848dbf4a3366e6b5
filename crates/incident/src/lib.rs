//! Incidents: the vulnerability-emergency runbook's phases, deadlines, approvals and
//! records as data.
//!
//! This crate owns everything about an incident:
//!
//! - the vocabulary ([`model`]: priorities, phases, roles, decisions, approvals) and
//!   the [`runbook`] (checklists, deadlines, approvals, escalations, impacts and
//!   regulatory clocks; built-in defaults a team overrides in TOML);
//! - the rules ([`rules`]: the phase machine, checklists, the approval gate, what
//!   each action records) and the [`clocks`] (deadlines and escalations as functions
//!   of the state and `now`), both pure;
//! - the timeline ([`event`], [`chain`]): every change is an event in an
//!   append-only, hash-chained log per incident, and the current state
//!   ([`state::Incident`]) is folded from the events;
//! - the [`store`]: SQLite (embedded, the default) or PostgreSQL (shared), same
//!   migrations and behaviour, one transaction per action under the incident's
//!   lock, clock events recorded exactly once;
//! - [`remediation`]: the evidence `cverun fix` and `cverun verify` record (a fix
//!   planned, applied, tested; a re-scan verified), and the pure rules judging it
//!   (the decision a plan proposes, whether a verification is clean);
//! - the [`outbox`]: messages to people, queued in the same transaction as the
//!   events causing them and leased to delivery workers (at least once, in order
//!   per incident and channel);
//! - the [`postmortem`]: notes by post-mortem section, follow-up action items,
//!   and the post-mortem document built from the record;
//! - [`metrics`] (MTTD, MTTR, SLA adherence) computed from stored incidents;
//! - the [`view`]s: what `incident show`, `list`, `timeline`, `tick`, `verify`,
//!   `head` and `report metrics` display, as JSON documents (each next to its
//!   `SCHEMA`) and as styled text, pure functions of loaded incidents and `now`
//!   (the CLI prints them; a server can serve the same);
//! - [`evidence`]: the I/O edge that collects a host's dependency inventory,
//!   processes, sockets, host facts and logs into a verifiable archive, with
//!   secrets taken out by the rules of [`redact`].
//!
//! Time is always passed in (`now`), never read by the rules. The store takes it
//! from its [`Clock`]: the system clock (SQLite) or the database server's clock
//! (PostgreSQL) for real stores, a simulated time for stores marked simulated at
//! creation; each incident's timeline only moves forward.

pub mod chain;
pub mod clocks;
mod error;
pub mod event;
pub mod evidence;
pub mod interval;
pub mod key;
pub mod metrics;
pub mod model;
pub mod outbox;
pub mod postmortem;
pub mod redact;
pub mod remediation;
pub mod roster;
pub mod rules;
pub mod runbook;
pub mod state;
pub mod store;
pub mod view;

pub use error::{Error, Result};
pub use event::{Event, EventBody};
pub use interval::Interval;
pub use key::{Key, Keyring};
pub use model::{
    ApprovalKind, ApprovalNeed, AssignedPriority, Decision, Phase, Priority, PrioritySource, Role,
};
pub use outbox::{
    Attempt, AttemptRow, Leased, MessageFilter, MessageId, MessageRow, MessageState, NewMessage,
    Outcome,
};
pub use remediation::{
    BaseRef, Baseline, FixApplied, FixCommit, FixPlanned, FixTested, Rescan, RescanOutcome,
    ServiceRescan, Verified, propose_decision,
};
pub use rules::{Action, Declaration};
pub use runbook::{CheckedBy, Runbook, RunbookError};
pub use state::Incident;
pub use store::{
    Clock, Fired, Loaded, LogVerification, Recorded, Route, Store, TickReport, Verification,
};
