//! OSV advisories: the record model, range evaluation and alias grouping.
//!
//! This crate owns the question *is version V of package P affected by advisory A?*
//! and nothing that needs a disk or a network:
//!
//! - [`record`]: the OSV record model and its validation ([`parse_record`]); problems
//!   inside a record are kept beside the data so matching can fail closed.
//! - [`matcher`]: the OSV schema's evaluation algorithm ([`PackageMatcher`]): listed
//!   versions, `ECOSYSTEM`/`SEMVER` ranges walked over sorted events, `limit`, `GIT`
//!   skipped; anything it cannot read yields *unverifiable*, never *not affected*.
//! - [`finding`]: verdicts for one package version grouped by alias into
//!   [`Finding`]s that show every id of the vulnerability.
//! - [`fix`]: the minimal safe version above an installed one, whether reaching it
//!   is a breaking upgrade, and the newest safe version below it.
//!
//! Version schemes come from `cverun-versions`; storage from `cverun-db`.

pub mod finding;
pub mod fix;
pub mod matcher;
pub mod record;

pub use finding::{AdvisoryInfo, Finding, MatchedBy, Verdicted, group};
pub use fix::{
    Contradiction, FixFinder, FixGroup, FixOptions, FixPlan, OwnFix, PartialUpgrade,
    TargetedUpgrade, fix_options,
};
pub use matcher::{Candidate, Hit, Matched, PackageMatcher, Verdict};
pub use record::{
    Advisory, Affected, Event, ParsedRecord, Range, RangeKind, RecordError, Reference, Severity,
    from_value, parse_record,
};
