//! Errors of the advisory database.

use std::path::Path;

/// An error of the advisory database. Every variant names the file, URL or
/// database it is about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No database has been created at this directory yet.
    #[error(
        "no advisory database in {0} (run `cverun db update`, or `cverun db import PATH` with OSV records)"
    )]
    Missing(String),
    /// A file or directory given as input cannot be read or is not what it should be.
    #[error("{path}: {message}")]
    Input {
        /// The file or directory.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The SQLite database failed.
    #[error("advisory database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: String,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// The database file exists but was written by an incompatible cverun.
    #[error("advisory database {path}: {message}")]
    Incompatible {
        /// The database file.
        path: String,
        /// What is incompatible.
        message: String,
    },
    /// A download failed.
    #[error("{url}: {message}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
}

/// Result of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn input(path: &Path, message: impl Into<String>) -> Error {
        Error::Input {
            path: path.display().to_string(),
            message: message.into(),
        }
    }
}
