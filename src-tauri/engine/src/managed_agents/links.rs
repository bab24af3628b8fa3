//! What the bridge remembers between runs, kept in the settings table (no
//! schema of its own): which Managed Agents memory store each local store is
//! linked to, which Managed Agents session each uploaded Reverie session
//! became, and each dream started through the bridge (what it read, and the
//! Reverie dream it was imported as). Per-document sync state lives in the
//! folder mirror's tables instead (see `sync`). None of this is secret.
//!
//! It owns the keys and what they mean; the statements are the store's
//! (`store::links`). It runs no SQL.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Result, Store};

const STORE_LINK: &str = "managed_agents.store.";
const SESSION_LINK: &str = "managed_agents.session.";
const DREAM_RECORD: &str = "managed_agents.dream.";

/// A dream started through the bridge, as Reverie recorded it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DreamRecord {
    /// The Managed Agents dream (`drm_...`).
    pub remote_dream_id: String,
    pub local_store_id: String,
    pub remote_store_id: String,
    /// The agent whose memory the proposal is for.
    pub agent_id: String,
    /// The Reverie sessions it read, and the Managed Agents sessions they became.
    pub session_ids: Vec<String>,
    pub remote_session_ids: Vec<String>,
    pub model: String,
    #[serde(default)]
    pub instructions: Option<String>,
    /// What the dream read: local document path → content sha256 of the
    /// remote input store when the dream started. A proposal edit carries
    /// this as its base, so applying it never overwrites a later change.
    pub input_sha256: BTreeMap<String, String>,
    pub started_at: String,
    /// The Reverie dream it was imported as, once imported.
    #[serde(default)]
    pub imported_dream_id: Option<String>,
}

fn put(store: &Store, key: &str, value: &str) -> Result<()> {
    store.put_link(key, value)
}

fn with_prefix(store: &Store, prefix: &str) -> Result<Vec<(String, String)>> {
    store.links_with_prefix(prefix)
}

/// The Managed Agents store a local store is linked to.
pub fn linked_store(store: &Store, local_store_id: &str) -> Result<Option<String>> {
    store.setting(&format!("{STORE_LINK}{local_store_id}"))
}

pub fn link_store(store: &Store, local_store_id: &str, remote_store_id: &str) -> Result<()> {
    put(
        store,
        &format!("{STORE_LINK}{local_store_id}"),
        remote_store_id,
    )
}

/// Every link: local store id → remote store id.
pub fn store_links(store: &Store) -> Result<Vec<(String, String)>> {
    Ok(with_prefix(store, STORE_LINK)?
        .into_iter()
        .map(|(k, v)| (k[STORE_LINK.len()..].to_string(), v))
        .collect())
}

/// The Managed Agents session a Reverie session was uploaded as.
pub fn uploaded_session(store: &Store, session_id: &str) -> Result<Option<String>> {
    store.setting(&format!("{SESSION_LINK}{session_id}"))
}

pub fn record_upload(store: &Store, session_id: &str, remote_session_id: &str) -> Result<()> {
    put(
        store,
        &format!("{SESSION_LINK}{session_id}"),
        remote_session_id,
    )
}

/// Every upload: Reverie session id → Managed Agents session id.
pub fn uploads(store: &Store) -> Result<BTreeMap<String, String>> {
    Ok(with_prefix(store, SESSION_LINK)?
        .into_iter()
        .map(|(k, v)| (k[SESSION_LINK.len()..].to_string(), v))
        .collect())
}

pub fn dream_record(store: &Store, remote_dream_id: &str) -> Result<Option<DreamRecord>> {
    Ok(store
        .setting(&format!("{DREAM_RECORD}{remote_dream_id}"))?
        .and_then(|text| serde_json::from_str(&text).ok()))
}

pub fn save_dream(store: &Store, record: &DreamRecord) -> Result<()> {
    let text = serde_json::to_string(record).expect("a record serializes");
    put(
        store,
        &format!("{DREAM_RECORD}{}", record.remote_dream_id),
        &text,
    )
}

/// Every dream started through the bridge, newest first.
pub fn dream_records(store: &Store) -> Result<Vec<DreamRecord>> {
    let mut out: Vec<DreamRecord> = with_prefix(store, DREAM_RECORD)?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_str(&v).ok())
        .collect();
    out.sort_by(|a, b| b.started_at.cmp(&a.started_at));
    Ok(out)
}

/// The `dir` of a recorded mirror conflict, to tell the bridge's from a
/// folder mirror's.
pub fn conflict_dir(store: &Store, conflict_id: &str) -> Result<Option<String>> {
    store.mirror_conflict_dir(conflict_id)
}
