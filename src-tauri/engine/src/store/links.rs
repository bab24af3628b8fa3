//! The Managed Agents bridge's links, kept as rows of the settings table
//! under `managed_agents.` (no schema of their own): which remote store a
//! local store is linked to, which remote session an upload became, each
//! dream started through the bridge.
//!
//! This module owns those statements; the bridge
//! (`crate::managed_agents::links`) owns the keys and what the values
//! mean. It never imports the bridge or anything else built on the store.

use rusqlite::params;

use super::{CachedSql, Store};
use crate::{Error, Result};

/// Every link key starts with this.
pub const LINK_PREFIX: &str = "managed_agents.";

impl Store {
    /// Writes one link. Written here rather than through `set_setting`:
    /// the value holds remote ids, and that guard (against API keys in
    /// settings) matches on words.
    pub fn put_link(&self, key: &str, value: &str) -> Result<()> {
        if !key.starts_with(LINK_PREFIX) {
            return Err(Error::Invalid(format!(
                "'{key}' is not a Managed Agents link"
            )));
        }
        self.write(|tx| {
            tx.execute_cached(
                "INSERT INTO settings(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
    }

    /// Every link whose key starts with `prefix`, by key.
    pub fn links_with_prefix(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT key, value FROM settings WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
        )?;
        Ok(stmt
            .query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }
}
