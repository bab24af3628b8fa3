//! Where a data folder lives: `--data-dir`, else `REVERIE_DATA_DIR`, else the
//! platform's app-data directory (`~/.local/share/reverie` on Linux).

use std::path::PathBuf;

use crate::{Error, Result};

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
