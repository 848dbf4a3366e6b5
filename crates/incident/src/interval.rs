//! Lengths of time as people write them in runbooks (`30m`, `2h`, `1h 30m`, `3d`):
//! the type lives in `cverun-triage`, whose priority policy reads the same response
//! times as the runbook.

pub use cverun_triage::interval::{Interval, human, human_minutes};
