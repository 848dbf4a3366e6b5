//! What people and tools see of incidents: each view is a pure function from stored
//! values (a [`Loaded`](crate::Loaded) incident, all of them, a
//! [`TickReport`](crate::TickReport), [`Verification`](crate::Verification)s, a
//! head) and `now` to a serialisable document, next to its `SCHEMA`, and a
//! function from that document to the human text.
//!
//! The text is styled with the shared [`style`](cverun_scan::render::style) module:
//! `anstyle` escapes that the caller's output stream drops when the output is not
//! a terminal. Nothing here prints, reads a file or the clock: the CLI (and a
//! server) load the values, call a view and write the result. Warnings that name
//! a command to run next are the caller's: the documents carry what they need
//! (`verified`, `outside_roster`, `failed`).
//!
//! Fields the text needs but the JSON does not show are kept in the documents with
//! `#[serde(skip)]`, so one value serves both formats.
//!
//! | view | schema | command |
//! | --- | --- | --- |
//! | [`show`] | `cverun.incident/1` | `incident show`, `incident declare --format json` |
//! | [`list`] | `cverun.incident-list/1` | `incident list` |
//! | [`timeline`] | `cverun.timeline/1` | `incident timeline` |
//! | [`tick`] | `cverun.tick/1` | `incident tick` |
//! | [`verify`] | `cverun.verify/1` | `incident verify` |
//! | [`head`] | `cverun.head/1` | `incident head` |
//! | [`postmortem`] | `cverun.postmortem/1` | `incident postmortem` (Markdown and JSON) |
//! | [`actions`] | `cverun.actions/1` | `incident action list` |
//! | [`metrics`] | `cverun.metrics/1` | `report metrics` |
//!
//! [`text`] holds what the views share: the line describing one event, deadlines,
//! the SIMULATED banner, and the lines `incident declare` and every action print.

pub mod actions;
pub mod head;
pub mod list;
pub mod metrics;
pub mod postmortem;
pub mod show;
pub mod text;
pub mod tick;
pub mod timeline;
pub mod verify;

#[cfg(test)]
mod tests;

pub use text::{SIMULATED_BANNER, banner, declared, describe, recorded, short_hash};
