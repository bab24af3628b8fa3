//! The store: one SQLite database per data folder holding every core object.
//!
//! Opening is careful about data that is not ours to change: a file that is
//! not a SQLite database, or whose schema is newer than this build, is
//! refused with an error naming it and is never written. Once open, the
//! database runs in WAL mode with a busy timeout, so the app, `reverie
//! daemon` and CLI commands can share a data folder; every write is one short
//! transaction. Work that must happen once is claimed with a [`leases`] row.
//!
//! The typed API is split by object: [`agents`], [`memory`], [`sessions`],
//! [`dreams`], [`rubrics`], where imported sessions came from
//! [`imports`], and the folder mirror's sync state [`mirror_state`]. Each
//! is an `impl Store` block.
//!
//! `store` owns every SQL statement in the engine: no other module calls
//! `conn()` or `write()` (what to do — which dream edits to apply, how a
//! timeline is shaped, what a bridge link means — is decided by the
//! caller, and the statements are methods here). It never imports the
//! modules built on it (`dream`, `runtime`, `timeline`, `managed_agents`,
//! `api`…); only leaves such as `ids`, `secrets`, `redact`,
//! `schedule_spec` and the `provider` kind enum.

pub mod agents;
mod cached_sql;
pub mod dreams;
pub mod evals;
pub mod imports;
pub mod leases;
pub mod links;
pub mod memory;
pub mod mirror_state;
pub mod outcome_series;
pub mod outcome_stats;
pub mod payload;
pub mod rubrics;
pub mod sessions;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use rusqlite_migration::{M, Migrations};

use crate::{Error, Result};
pub(crate) use cached_sql::CachedSql;

pub use agents::*;
pub use dreams::*;
pub use imports::*;
pub use leases::*;
pub use links::*;
pub use memory::*;
pub use mirror_state::*;
pub use outcome_stats::*;
pub use rubrics::*;
pub use sessions::*;

pub const DATABASE_FILE: &str = "reverie.db";
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("migrations/0001_init.sql")),
        M::up(include_str!("migrations/0002_mirror.sql")),
        M::up(include_str!("migrations/0003_store_usage.sql")),
        M::up(include_str!("migrations/0004_imported_sessions.sql")),
        M::up(include_str!("migrations/0005_reviewed_sessions.sql")),
        // Rebuilds `agents`: every foreign key is checked before it commits.
        M::up(include_str!("migrations/0006_provider_text.sql")).foreign_key_check(),
        M::up(include_str!("migrations/0007_evals.sql")),
    ])
}

/// The schema version this build writes.
pub fn schema_version() -> i64 {
    7
}

/// A handle on one data folder's database. Cheap to share behind an `Arc`;
/// calls are serialised on one connection per handle (SQLite has one writer
/// anyway), and other processes see committed data at once through WAL.
pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database of a data folder.
    /// A new data folder is private to the user (0700 on Unix) and a new
    /// database file readable by them alone (0600; SQLite gives its `-wal`
    /// and `-shm` files the same mode).
    pub fn open(data_dir: &Path) -> Result<Store> {
        create_private_dir(data_dir).map_err(|e| Error::io(data_dir, e))?;
        let path = data_dir.join(DATABASE_FILE);
        if !path.exists() {
            // A folder made moments ago for a log file is still a new data
            // folder: private too. One that already holds a database keeps
            // the mode its owner gave it.
            make_private(data_dir).map_err(|e| Error::io(data_dir, e))?;
        }
        create_private_file(&path).map_err(|e| Error::io(&path, e))?;
        Self::open_file(&path)
    }

    /// Opens a database file, refusing files that are not ours to change.
    pub fn open_file(path: &Path) -> Result<Store> {
        check_header(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| corrupt(path, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        conn.set_prepared_statement_cache_capacity(cached_sql::CAPACITY);

        // Read-only look at the version before anything that writes (even
        // switching to WAL writes the header).
        let found: i64 = conn
            .pragma_query_value(None, "user_version", |row| row.get(0))
            .map_err(|e| corrupt(path, e))?;
        if found > schema_version() {
            return Err(Error::SchemaTooNew {
                path: path.to_path_buf(),
                found,
                supported: schema_version(),
            });
        }

        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| corrupt(path, e))?;
        // NORMAL under WAL: a commit survives a process kill; only a power cut
        // can lose the last transactions, never consistency.
        conn.pragma_update(None, "synchronous", "NORMAL")?;

        if found < schema_version() {
            // Migrations run with foreign keys off, as SQLite's procedure
            // for rebuilding a table requires (0006 rebuilds `agents`; with
            // them on, dropping the old table would cascade); such a
            // migration checks every foreign key before it commits.
            conn.pragma_update(None, "foreign_keys", "OFF")?;
            if let Err(e) = migrations().to_latest(&mut conn) {
                // Another process may have migrated the same file first.
                let now: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
                if now != schema_version() {
                    return Err(Error::Corrupt {
                        path: path.to_path_buf(),
                        reason: format!("schema upgrade failed: {e}"),
                    });
                }
            }
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(Store {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The data folder this database lives in.
    pub fn data_dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written
        // (transactions roll back on drop), so a poisoned lock is still usable.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` in one IMMEDIATE transaction: it takes the write lock up
    /// front, so it waits its turn (busy timeout) instead of failing halfway.
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// `PRAGMA integrity_check`, for tests and `reverie doctor`.
    pub fn integrity_check(&self) -> Result<String> {
        let conn = self.conn();
        let out: String = conn.pragma_query_value(None, "integrity_check", |row| row.get(0))?;
        Ok(out)
    }

    /// Reads a non-secret setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .query_row_cached("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    /// Writes a non-secret setting. API keys are refused: they belong in the keychain.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        if key.to_ascii_lowercase().contains("key") && key.to_ascii_lowercase().contains("api") {
            return Err(Error::Invalid(
                "API keys are kept in the OS keychain, never in the database; use `reverie key set`".into(),
            ));
        }
        self.write(|tx| {
            tx.execute_cached(
                "INSERT INTO settings(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )?;
            Ok(())
        })
    }
}

/// Creates `dir` (and missing parents) readable by the user alone; an
/// existing folder keeps its mode.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes an existing folder readable by the user alone.
fn make_private(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Creates an empty `path` readable by the user alone unless it exists (an
/// empty file is a valid empty SQLite database).
fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Refuses an existing non-empty file that does not start with SQLite's
/// header, before SQLite gets a chance to touch it.
fn check_header(path: &Path) -> Result<()> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut header = [0u8; 16];
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    if read == 0 {
        return Ok(()); // an empty file is a fresh database
    }
    if read < header.len() || &header != SQLITE_HEADER {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            reason: "it does not start with the SQLite header".into(),
        });
    }
    Ok(())
}

fn corrupt(path: &Path, e: rusqlite::Error) -> Error {
    use rusqlite::ffi::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => Error::Corrupt {
            path: path.to_path_buf(),
            reason: e.to_string(),
        },
        Some(ErrorCode::CannotOpen | ErrorCode::PermissionDenied | ErrorCode::ReadOnly) => {
            Error::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::PermissionDenied, e.to_string()),
            }
        }
        _ => Error::Sqlite(e),
    }
}

/// Helpers shared by the object modules.
pub(crate) mod sql {
    use crate::{Error, Result};

    pub fn to_json<T: serde::Serialize>(value: &T) -> String {
        serde_json::to_string(value).expect("serialising plain data cannot fail")
    }

    pub fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
        serde_json::from_str(text).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
    }

    /// Maps a UNIQUE violation to a conflict the user can act on.
    pub fn unique_conflict(e: rusqlite::Error, message: impl FnOnce() -> String) -> Error {
        match e.sqlite_error_code() {
            Some(rusqlite::ffi::ErrorCode::ConstraintViolation)
                if e.to_string().contains("UNIQUE") =>
            {
                Error::Conflict(message())
            }
            _ => Error::Sqlite(e),
        }
    }

    /// Names are for people: any letters (not only English ones), digits,
    /// spaces and most punctuation, 1-64 characters. Refused: empty names,
    /// spaces at either end, a leading '.', line breaks and other control
    /// characters, and the characters no file system allows in a file name
    /// (`/ \ : * ? " < > |`), since names become folder and file names on
    /// export.
    pub fn check_name(what: &str, name: &str) -> Result<()> {
        const FORBIDDEN: &[char] = &['/', '\\', ':', '*', '?', '"', '<', '>', '|'];
        let why = if name.trim().is_empty() {
            Some("it is empty".to_string())
        } else if name.chars().count() > 64 {
            Some("it is longer than 64 characters".to_string())
        } else if name.trim() != name {
            Some("it starts or ends with a space".to_string())
        } else if name.starts_with('.') {
            Some("it starts with '.'".to_string())
        } else if name.chars().any(char::is_control) {
            Some("it holds a line break or another control character".to_string())
        } else if let Some(c) = name.chars().find(|c| FORBIDDEN.contains(c)) {
            Some(format!("it holds '{c}'"))
        } else {
            None
        };
        match why {
            None => Ok(()),
            Some(why) => Err(Error::Invalid(format!(
                "'{name}' is not a valid {what} name: {why}; use 1-64 letters, digits, spaces or punctuation other than / \\ : * ? \" < > |"
            ))),
        }
    }
}

/// The settings the provider layer reads and writes (see
/// [`crate::provider::Settings`]).
impl crate::provider::Settings for Store {
    fn setting(&self, key: &str) -> Result<Option<String>> {
        Store::setting(self, key)
    }
    fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        Store::set_setting(self, key, value)
    }
    fn models_in_use(&self, kind: crate::provider::ProviderKind) -> Result<Vec<String>> {
        Ok(self
            .list_agents()?
            .into_iter()
            .filter(|a| a.provider == kind)
            .map(|a| a.model)
            .collect())
    }
}
