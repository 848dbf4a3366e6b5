//! The local advisory database.
//!
//! This crate owns everything about advisories that touches a disk or a network:
//!
//! - [`Database`]: an SQLite file (`advisories.sqlite3` in the database directory)
//!   holding every imported OSV record once, validated, plus an index from
//!   `(ecosystem, normalised package name)` to the `affected[]` entries for that
//!   package. A scan decodes only the entries of the packages it scans, never the
//!   whole database.
//! - [`import`]: OSV records from the OSV bucket's `all.zip` layout, directories of
//!   `.json` files, and single files (one record, an array, or `{"vulns": [...]}`).
//!   Each imported path or downloaded ecosystem is a *source*; re-importing a source
//!   replaces it in one transaction.
//! - [`update`]: downloads each ecosystem's `all.zip` with conditional requests and
//!   swaps it in atomically: nothing is written to the database until the whole
//!   download has been received, checked and parsed, and the swap is one SQLite
//!   transaction, so an interrupted or failed update leaves the previous data intact.
//! - [`Snapshot`]: what the database holds (sources, their SHA-256, record counts),
//!   named in every report so that a result can be reproduced.
//! - [`coverage`]: which ecosystems the database can judge, and how old each
//!   source's data is.
//! - [`Database::find`]: findings for a batch of package versions, built on
//!   `cverun-osv`'s matcher and alias grouping.
//!
//! Time is passed in (`now`), never read here, so tests control it.

use std::path::PathBuf;

pub mod coverage;
mod error;
pub mod import;
mod lookup;
pub mod signals;
mod store;
pub mod update;

pub use coverage::{Coverage, Freshness};
pub use error::{Error, Result};
pub use lookup::{FixQuery, PackageQuery, Query, RecordSeverity};
pub use store::{
    Database, EARLIEST_REAL_DATE, REFUSALS_KEPT, Refusal, Snapshot, SourceStatus, Warning,
};

/// The default database directory: `$XDG_CACHE_HOME/cverun/db`, else
/// `$HOME/.cache/cverun/db` (the XDG base directory convention). `None` when neither
/// variable is set.
pub fn default_dir() -> Option<PathBuf> {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from("XDG_CACHE_HOME")
        .filter(|p| p.is_absolute())
        .or_else(|| from("HOME").map(|h| h.join(".cache")))
        .map(|base| base.join("cverun").join("db"))
}
