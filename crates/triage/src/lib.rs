//! Triage: how bad is a finding, and how urgent.
//!
//! - [`severity`]: CVSS base scores computed from advisories' vectors (v2, v3.0, v3.1,
//!   v4.0), the best-known score across a vulnerability's records, qualitative
//!   fallbacks, and "unknown" when nothing is known (never "low").
//!
//! Pure functions: nothing here reads files, the network or the clock.

pub mod severity;
