//! The verification of timelines and of the store's log (`incident verify`):
//! schema `cverun.verify/1`.

use std::fmt::Write as _;

use cverun_scan::render::style::{BOLD, DIM, GREEN, RED, paint};
use serde::Serialize;

use crate::chain::{Anchor, GENESIS, Problem, STORE_ANCHOR};
use crate::store::{LogVerification, Verification};

use super::text::{banner, count};

/// The JSON schema name of [`VerifyView`].
pub const SCHEMA: &str = "cverun.verify/1";

/// What was verified and whether everything holds.
#[derive(Debug, Serialize)]
pub struct VerifyView<'a> {
    /// `cverun.verify/1`.
    pub schema: &'static str,
    /// No problem anywhere.
    pub valid: bool,
    /// Each incident verified.
    pub incidents: &'a [Verification],
    /// The store's log (every incident's signed number); null when one incident
    /// is verified.
    pub store: Option<&'a LogVerification>,
    /// The head given with --expect, when one was.
    pub expected: Option<&'a Anchor>,
    /// The store is simulated (times from CVERUN_NOW, not a clock).
    pub simulated: bool,
}

/// Files the `problems` found checking `anchor` with the verification they are
/// about: the store log's for a store head, else the incident's (added, with no
/// events, when that incident was not verified: it no longer exists).
pub fn add_expected(
    incidents: &mut Vec<Verification>,
    log: Option<&mut LogVerification>,
    anchor: &Anchor,
    problems: Vec<Problem>,
) {
    if anchor.name == STORE_ANCHOR {
        if let Some(l) = log {
            l.problems.extend(problems);
        }
        return;
    }
    match incidents.iter_mut().find(|v| v.incident == anchor.name) {
        Some(v) => v.problems.extend(problems),
        None => incidents.push(Verification {
            incident: anchor.name.clone(),
            events: 0,
            head_seq: 0,
            head_hash: GENESIS.to_owned(),
            problems,
        }),
    }
}

/// The view of these verifications.
pub fn view<'a>(
    incidents: &'a [Verification],
    store: Option<&'a LogVerification>,
    expected: Option<&'a Anchor>,
    simulated: bool,
) -> VerifyView<'a> {
    let valid = incidents.iter().all(|v| v.problems.is_empty())
        && store.is_none_or(|l| l.problems.is_empty());
    VerifyView {
        schema: SCHEMA,
        valid,
        incidents,
        store,
        expected,
        simulated,
    }
}

/// One line per incident (`ok` or `TAMPERED` with its problems), the store log's,
/// and whether the chain reaches the expected head; `store` names where the
/// incidents are, for the line printed when there are none.
pub fn text(v: &VerifyView<'_>, store: &str) -> String {
    let mut out = banner(v.simulated);
    for i in v.incidents {
        if i.problems.is_empty() {
            let _ = writeln!(
                out,
                "{} {}: {} events, chain valid and authenticated, head {}",
                paint(GREEN, "ok"),
                paint(BOLD, &i.incident),
                i.events,
                i.head_hash
            );
        } else {
            let _ = writeln!(
                out,
                "{} {}: {} events, {}",
                paint(RED, "TAMPERED"),
                paint(BOLD, &i.incident),
                i.events,
                count(i.problems.len(), "problem", "problems")
            );
            problems(&mut out, &i.problems);
        }
    }
    if let Some(l) = v.store {
        let numbered = count(l.entries as usize, "incident", "incidents");
        if l.problems.is_empty() {
            let _ = writeln!(
                out,
                "{} store log: {numbered} numbered, authenticated, head {}",
                paint(GREEN, "ok"),
                l.head_hash
            );
        } else {
            let _ = writeln!(
                out,
                "{} store log: {numbered} numbered, {}",
                paint(RED, "TAMPERED"),
                count(l.problems.len(), "problem", "problems")
            );
            problems(&mut out, &l.problems);
        }
    }
    if v.incidents.is_empty() && v.store.is_none() {
        let _ = writeln!(out, "{}", paint(DIM, format!("no incidents in {store}")));
    }
    if let (Some(a), true) = (v.expected, v.valid) {
        let _ = writeln!(
            out,
            "{} the chain reaches the expected head {}:{}",
            paint(GREEN, "ok"),
            a.name,
            a.seq
        );
    }
    out
}

fn problems(out: &mut String, problems: &[Problem]) {
    for p in problems {
        let _ = writeln!(out, "  {}", p.message);
    }
}
