//! Blast radius: every service one vulnerability (or one package version) reaches.
//!
//! This crate owns the answer to "who ships it?" during an emergency:
//!
//! - [`target`]: what is asked (an advisory by any id, `ecosystem/package`, or
//!   `ecosystem/package@version` for a compromised release without an advisory);
//! - [`radius`]: resolving the question against the advisory database, selecting
//!   the findings of a triaged scan, one entry per service and declaration, with
//!   owner, dependency path, priority, fix, exception and whether the service's own
//!   code imports the package, and the counts;
//! - [`store`]: a saved inventory (one SQLite file holding every package of every
//!   service) so that the question is answered in milliseconds without re-reading
//!   a fleet of repositories, and saved atomically;
//! - [`render`]: the table people read.
//!
//! It reads files only through `cverun-scan`, `cverun-reach` and [`store`]; the
//! selection and counting in [`radius::blast`] work on values.

pub mod radius;
pub mod render;
pub mod store;
pub mod target;

pub use radius::{Blast, BlastError, Entry, Status, Subject, blast, resolve};
pub use store::{Inventory, StoreError};
pub use target::Target;
