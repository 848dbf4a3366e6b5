//! Triage: how bad is a finding, how urgent, and what to do about it.
//!
//! - [`severity`]: CVSS base scores computed from advisories' vectors (v2, v3.0, v3.1,
//!   v4.0), the best-known score across a vulnerability's records, qualitative
//!   fallbacks, and "unknown" when nothing is known (never "low").
//! - [`policy`]: the runbook's priority (P0/P1/P2/routine) with its deadline and the
//!   rule that fired, from severity, exploit signals (CISA KEV, EPSS) and service
//!   context, under a policy that a team can override.
//! - [`assess`]: what all the records and CVE ids of one vulnerability say together.
//! - [`decision`]: the runbook's decision matrix (HOTFIX, HOTFIX + CODE CHANGES,
//!   WORKAROUND + EXCEPTION, ROLLBACK, REMOVE / REPLACE) from the fix options and an
//!   exception in force.
//! - [`interval`]: lengths of time as runbooks write them (`15m`, `2h`, `3d`), the
//!   unit of response times shared with the incident runbook.
//! - [`exceptions`]: risk-acceptance exceptions parsed from the text of
//!   `cverun-exceptions.toml` or of `cverun.toml`'s `[[exception]]` entries, every
//!   problem with its line; where an exception stands on a given day for a finding's
//!   level (active, review due, expired, too long, not yet approved, invalid), which
//!   of several applies, and the checks of `cverun exceptions check`.
//!
//! Pure functions: nothing here reads files, the network or the clock.

pub mod assess;
pub mod decision;
pub mod exceptions;
pub mod interval;
pub mod policy;
pub mod severity;
