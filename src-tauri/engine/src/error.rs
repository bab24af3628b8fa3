//! The engine's error type. Every message is one sentence a person can act on.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{what} '{name}' not found")]
    NotFound { what: &'static str, name: String },

    /// The request clashes with the current state (a name taken, a document
    /// changed underneath a write); nothing was changed.
    #[error("{0}")]
    Conflict(String),

    /// Bad input from the caller; the message says what is accepted.
    #[error("{0}")]
    Invalid(String),

    /// The text holds a secret (a key, token, password or private key) and
    /// was refused on its way into memory; nothing was changed.
    #[error("{0}")]
    Secret(String),

    /// A model (the agent's, a dream's, the grader's) failed or could not
    /// give a usable answer; the request itself was fine.
    #[error("{0}")]
    Model(String),

    #[error(
        "the database {} was written by a newer Reverie (schema version {found}, this build knows up to {supported}); install the newer Reverie — the file was not touched",
        path.display()
    )]
    SchemaTooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    #[error(
        "{} is not a readable Reverie database ({reason}); it was left as it is — restore it from a backup or pick another data folder with --data-dir",
        path.display()
    )]
    Corrupt { path: PathBuf, reason: String },

    #[error("cannot use {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// No usable OS keychain; keys are never written anywhere else.
    #[error("{0}")]
    KeychainUnavailable(String),

    #[error("keychain error: {0}")]
    Keychain(String),

    /// A remote service (Claude Managed Agents) refused a request or could
    /// not be reached; the message says what to do.
    #[error("{0}")]
    Remote(String),
}

impl Error {
    pub fn not_found(what: &'static str, name: impl Into<String>) -> Self {
        Error::NotFound {
            what,
            name: name.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}
