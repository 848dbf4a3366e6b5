//! Errors of the incident library. Each message names what is wrong and, where
//! there is one, what to do about it.

use crate::runbook::RunbookError;

/// Anything that stops an incident operation. Nothing was recorded when one is
/// returned: every write is one transaction.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No incident with this id.
    #[error("no incident {0} in {1} (`cverun incident list` shows the incidents)")]
    UnknownIncident(String, String),
    /// The runbook's rules refuse the action (an illegal transition, a gate, a
    /// double approval...).
    #[error("{0}")]
    Refused(String),
    /// A runbook file that cannot be used.
    #[error(transparent)]
    Runbook(#[from] RunbookError),
    /// The timeline fails verification, so it is not written to.
    #[error(
        "{incident}: the timeline fails verification ({first}); nothing was recorded (see `cverun incident verify {incident}`)"
    )]
    Tampered {
        /// The incident.
        incident: String,
        /// The first problem found.
        first: String,
    },
    /// Stored data that cannot be read.
    #[error("{0}")]
    Corrupt(String),
    /// The database failed.
    #[error("{context}: {message}")]
    Database {
        /// What was being done (and where).
        context: String,
        /// The database's message.
        message: String,
    },
    /// A file could not be read or written.
    #[error("{0}")]
    Io(String),
}

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn db(context: impl Into<String>, e: impl std::fmt::Display) -> Error {
        Error::Database {
            context: context.into(),
            message: e.to_string(),
        }
    }
}
