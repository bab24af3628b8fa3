//! Where a data folder lives: `--data-dir`, else `REVERIE_DATA_DIR`, else the
//! platform's app-data directory (`~/.local/share/reverie` on Linux); and
//! [`open`], the one way a process opens a data folder and makes it ready.
//!
//! Every process — the CLI, `reverie serve`, `reverie daemon`, the app —
//! opens a folder through [`open`], so the start-up steps run the same
//! everywhere and the database is opened once per process. This module
//! decides what starting up means; it runs no SQL of its own.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Error, Result, Store};

pub const ENV_VAR: &str = "REVERIE_DATA_DIR";

/// The data folder to use, in order of precedence: an explicit path, the
/// environment, the platform default.
pub fn resolve(explicit: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir);
    }
    if let Some(dir) = std::env::var_os(ENV_VAR).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "reverie")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or_else(|| {
            Error::Invalid(
                "cannot find a home directory for Reverie's data; pass --data-dir or set REVERIE_DATA_DIR"
                    .into(),
            )
        })
}

/// Logs live beside the database so the secret scan covers both.
pub fn logs_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("logs")
}

/// A data folder, open and ready, and what starting up repaired.
#[derive(Debug)]
pub struct Opened {
    /// The one handle on the folder's database for this process.
    pub store: Arc<Store>,
    /// Sessions whose process had stopped, now `interrupted` (their
    /// undecided outcomes too).
    pub interrupted_sessions: Vec<String>,
    /// Dreams whose process had stopped, now `failed` (memory only changes
    /// at apply, so it was not touched).
    pub failed_dreams: Vec<String>,
    /// Starter rubrics saved into a folder that never had any.
    pub seeded_rubrics: usize,
}

/// Opens the data folder `dir` (created if missing; refused, untouched,
/// when it holds something not ours or a newer schema) and runs the
/// start-up steps: sessions and outcomes whose process died are marked
/// interrupted, dreams whose process died are marked failed, and a new
/// folder gets the starter rubrics as examples. Running work of another
/// live process (its lease still held) is left alone.
pub fn open(dir: &Path) -> Result<Opened> {
    let store = Arc::new(Store::open(dir)?);
    let interrupted_sessions = store.mark_interrupted_sessions()?;
    let failed_dreams = crate::dream::recover(&store)?;
    // Examples only: a folder that cannot take them still opens.
    let seeded_rubrics = crate::runtime::outcome_loop::seed_starter_rubrics(&store)
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the starter rubrics were not saved");
            0
        });
    Ok(Opened {
        store,
        interrupted_sessions,
        failed_dreams,
        seeded_rubrics,
    })
}
