//! The Claude Managed Agents bridge: for teams that outgrow one machine, a
//! local memory store can be pushed to a Managed Agents memory store and
//! pulled back, Reverie sessions uploaded as Managed Agents sessions, and a
//! dream run by the Dreams API brought back as a Reverie dream proposal to
//! review, apply and revert like any other.
//!
//! The bridge is off until the user turns it on (setting
//! `managed_agents.enabled`, see [`enable`]); every network call refuses
//! before sending anything while it is off or no Anthropic key is available.
//! It uses the Anthropic key from the OS keychain or `ANTHROPIC_API_KEY`
//! (never a file) and the base URL from `ANTHROPIC_BASE_URL`, else the
//! `managed_agents.base_url` or `provider.anthropic.base_url` settings.
//!
//! Parts: [`wire`] (the API's JSON), `client` (HTTP, retries, beta
//! headers), `sync` (push and pull with `content_sha256` preconditions and
//! conflicts), `sessions` (upload), `dreams` (start, poll, cancel, import as
//! a proposal) and `links` (what the bridge remembers between runs).

mod client;
mod dreams;
pub(crate) mod links;
mod sessions;
mod sync;
pub mod wire;

use std::sync::Arc;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

pub use client::CallError;
use client::Client;
pub use dreams::{DreamStart, DreamStarted, ImportedDream, RemoteDream};
pub use links::DreamRecord;
pub use sessions::{UploadReport, UploadedSession};
pub use sync::{SyncDirection, SyncEvent, SyncReport};

use crate::keychain::{KeySource, Keychain};
use crate::provider::{ProviderKind, RetryPolicy};
use crate::provider::configured::base_url_setting;
use crate::store::MirrorConflict;
use crate::{Error, Result, Store};

/// `true` when the user turned the bridge on.
pub const ENABLED_SETTING: &str = "managed_agents.enabled";
/// A base URL for Managed Agents only (else the Anthropic provider's).
pub const BASE_URL_SETTING: &str = "managed_agents.base_url";
/// The Managed Agents agent (`agent_...`) uploaded sessions belong to.
pub const AGENT_SETTING: &str = "managed_agents.agent_id";
/// The Managed Agents environment (`env_...`) uploaded sessions run in.
pub const ENVIRONMENT_SETTING: &str = "managed_agents.environment_id";
/// The model dreams run with (else the agent's model).
pub const DREAM_MODEL_SETTING: &str = "managed_agents.dream_model";
/// The sync state and conflicts of a Managed Agents store are kept in the
/// folder mirror's tables under `dir` = this prefix + the remote store id.
pub const PEER_PREFIX: &str = "managed-agents:";

/// The `dir` key of a remote store in `mirror_entries` / `mirror_conflicts`.
pub fn peer_key(remote_store_id: &str) -> String {
    format!("{PEER_PREFIX}{remote_store_id}")
}

fn setting(store: &Store, key: &str) -> Result<Option<String>> {
    Ok(store
        .setting(key)?
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty()))
}

pub fn is_enabled(store: &Store) -> Result<bool> {
    Ok(setting(store, ENABLED_SETTING)?.is_some_and(|v| v == "true"))
}

/// The base URL, as the Anthropic provider finds its own: the environment,
/// then Settings, then the public endpoint.
pub fn base_url(store: &Store) -> Result<String> {
    let env = std::env::var(ProviderKind::Anthropic.base_url_var())
        .ok()
        .filter(|v| !v.trim().is_empty());
    Ok(match env {
        Some(url) => url.trim().to_string(),
        None => match setting(store, BASE_URL_SETTING)? {
            Some(url) => url,
            None => setting(store, &base_url_setting(ProviderKind::Anthropic))?
                .unwrap_or_else(|| ProviderKind::Anthropic.default_base_url().to_string()),
        },
    })
}

/// What Settings changes when the bridge is turned on; `None` leaves a
/// setting as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BridgeSettings {
    #[serde(default)]
    pub agent_id: Option<String>,
    #[serde(default)]
    pub environment_id: Option<String>,
    #[serde(default)]
    pub dream_model: Option<String>,
    #[serde(default)]
    pub base_url: Option<String>,
}

/// Turns the bridge on, saving any settings given. Sends nothing.
pub fn enable(store: &Store, settings: &BridgeSettings) -> Result<()> {
    if let Some(url) = settings
        .base_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        crate::provider::http::endpoint(url, "/v1/dreams", "ANTHROPIC_BASE_URL")
            .map_err(|e| Error::Invalid(e.to_string()))?;
    }
    for (key, value) in [
        (AGENT_SETTING, &settings.agent_id),
        (ENVIRONMENT_SETTING, &settings.environment_id),
        (DREAM_MODEL_SETTING, &settings.dream_model),
        (BASE_URL_SETTING, &settings.base_url),
    ] {
        if let Some(value) = value {
            let value = value.trim();
            if value.chars().any(char::is_whitespace) {
                return Err(Error::Invalid(format!(
                    "{key} cannot contain spaces: give one id or URL"
                )));
            }
            store.set_setting(key, value)?;
        }
    }
    // Naming the bridge's address is the person's say-so that the saved
    // Anthropic key may go there (see `key_host`).
    if let Some(url) = settings
        .base_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        crate::provider::key_host::allow(store, ProviderKind::Anthropic, url)?;
    }
    store.set_setting(ENABLED_SETTING, "true")
}

/// Turns the bridge off; links, sync state and settings stay for later.
pub fn disable(store: &Store) -> Result<()> {
    store.set_setting(ENABLED_SETTING, "false")
}

/// Whether a key is there and where from (never the key).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct KeyStatus {
    pub available: bool,
    pub source: Option<KeySource>,
    /// The key's last four characters.
    pub hint: Option<String>,
    pub error: Option<String>,
}

/// A local store linked to a Managed Agents store.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LinkedStore {
    pub store: String,
    pub store_id: String,
    pub remote_store_id: String,
    pub open_conflicts: usize,
}

/// The bridge as Settings shows it. Built without any network call.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BridgeStatus {
    pub enabled: bool,
    pub key: KeyStatus,
    pub base_url: String,
    pub agent_id: Option<String>,
    pub environment_id: Option<String>,
    pub dream_model: Option<String>,
    pub stores: Vec<LinkedStore>,
    pub uploaded_sessions: usize,
    pub dreams: Vec<DreamRecord>,
    /// Set by a status check that called the API: whether it answered.
    pub reachable: Option<bool>,
    pub check_error: Option<String>,
}

pub fn status(store: &Store, keychain: &Keychain) -> Result<BridgeStatus> {
    let key = match keychain.resolve("anthropic") {
        Ok(Some((key, source))) => KeyStatus {
            available: true,
            source: Some(source),
            hint: Some(crate::keychain::hint(&key)),
            error: None,
        },
        Ok(None) => KeyStatus {
            available: false,
            source: None,
            hint: None,
            error: None,
        },
        Err(e) => KeyStatus {
            available: false,
            source: None,
            hint: None,
            error: Some(e.to_string()),
        },
    };
    let mut stores = Vec::new();
    for (local_id, remote_id) in links::store_links(store)? {
        let Ok(local) = store.memory_store(&local_id) else {
            continue;
        };
        let open_conflicts = conflicts_of(store, &local.id, false)?
            .into_iter()
            .filter(|c| c.dir == peer_key(&remote_id))
            .count();
        stores.push(LinkedStore {
            store: local.name,
            store_id: local.id,
            remote_store_id: remote_id,
            open_conflicts,
        });
    }
    Ok(BridgeStatus {
        enabled: is_enabled(store)?,
        key,
        base_url: base_url(store)?,
        agent_id: setting(store, AGENT_SETTING)?,
        environment_id: setting(store, ENVIRONMENT_SETTING)?,
        dream_model: setting(store, DREAM_MODEL_SETTING)?,
        stores,
        uploaded_sessions: links::uploads(store)?.len(),
        dreams: links::dream_records(store)?,
        reachable: None,
        check_error: None,
    })
}

/// A store's conflicts with Managed Agents stores (not its folder mirror's),
/// newest first.
pub fn conflicts(
    store: &Store,
    store_name: &str,
    include_resolved: bool,
) -> Result<Vec<MirrorConflict>> {
    let local = store.memory_store(store_name)?;
    conflicts_of(store, &local.id, include_resolved)
}

fn conflicts_of(
    store: &Store,
    store_id: &str,
    include_resolved: bool,
) -> Result<Vec<MirrorConflict>> {
    Ok(store
        .mirror_conflicts(store_id, include_resolved)?
        .into_iter()
        .filter(|c| c.dir.starts_with(PEER_PREFIX))
        .collect())
}

/// Marks a Managed Agents conflict dealt with (documents stay as they are),
/// so the next push may carry the local version over.
pub fn resolve_conflict(store: &Store, conflict_id: &str) -> Result<MirrorConflict> {
    match links::conflict_dir(store, conflict_id)? {
        Some(dir) if dir.starts_with(PEER_PREFIX) => store.resolve_mirror_conflict(conflict_id),
        _ => Err(Error::not_found("Managed Agents conflict", conflict_id)),
    }
}

fn refuse_if_off(store: &Store) -> Result<()> {
    if is_enabled(store)? {
        return Ok(());
    }
    Err(Error::Invalid(
        "the Claude Managed Agents bridge is off; turn it on with `reverie managed enable` or in Settings (nothing was sent)".into(),
    ))
}

/// The bridge, on: a client for the configured base URL and key.
pub struct Bridge {
    store: Arc<Store>,
    client: Client,
}

impl std::fmt::Debug for Bridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bridge")
            .field("base_url", &self.client.base_url())
            .finish()
    }
}

impl Bridge {
    /// The bridge, if it is on and a key is available; otherwise a sentence
    /// that says what to do. Nothing is sent.
    pub fn open(store: Arc<Store>, keychain: &Keychain) -> Result<Bridge> {
        refuse_if_off(&store)?;
        let key: SecretString = match keychain.resolve("anthropic")? {
            Some((key, KeySource::Keychain)) => {
                // The saved key goes only where it was saved for or confirmed.
                crate::provider::key_host::check(&store, ProviderKind::Anthropic, &base_url(&store)?)
                    .map_err(|e| Error::Invalid(e.to_string()))?;
                key
            }
            Some((key, KeySource::Environment)) => key,
            None => {
                return Err(Error::Invalid(
                    "no Anthropic API key for Claude Managed Agents: add one with `reverie key set anthropic` or in Settings, or set ANTHROPIC_API_KEY (nothing was sent)".into(),
                ));
            }
        };
        Bridge::open_with_key(store, key)
    }

    /// [`Bridge::open`] with a key the caller already holds (tests; the app
    /// and the CLI go through the keychain). Still refuses while it is off.
    pub fn open_with_key(store: Arc<Store>, key: SecretString) -> Result<Bridge> {
        refuse_if_off(&store)?;
        let client = Client::new(base_url(&store)?, key)?;
        Ok(Bridge { store, client })
    }

    /// Retries as `retry` says (tests use short waits).
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.client = self.client.with_retry(retry);
        self
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn base_url(&self) -> &str {
        self.client.base_url()
    }

    /// Asks the API for one memory store, to prove the key and URL work.
    pub async fn check(&self) -> Result<()> {
        self.client
            .list_stores(1, &CancellationToken::new())
            .await
            .map(|_| ())
            .map_err(|e| e.into_error("checking the connection"))
    }

    /// Carries local changes to the linked Managed Agents store (created and
    /// linked on the first push, or `remote` given), document by document.
    pub async fn push(&self, store_name: &str, remote: Option<&str>) -> Result<SyncReport> {
        sync::run(self, SyncDirection::Push, store_name, remote).await
    }

    /// Brings the Managed Agents store's changes into the local store (made
    /// when it does not exist yet and `remote` is given).
    pub async fn pull(&self, store_name: &str, remote: Option<&str>) -> Result<SyncReport> {
        sync::run(self, SyncDirection::Pull, store_name, remote).await
    }

    /// Uploads finished Reverie sessions as Managed Agents sessions; a
    /// session uploaded before is skipped unless `force`.
    pub async fn upload_sessions(
        &self,
        session_ids: &[String],
        force: bool,
    ) -> Result<UploadReport> {
        sessions::upload(self, session_ids, force).await
    }

    /// Pushes the store, uploads the sessions and starts a dream over them.
    pub async fn dream_start(&self, request: &DreamStart) -> Result<DreamStarted> {
        dreams::start(self, request).await
    }

    pub async fn dream_status(&self, remote_dream_id: &str) -> Result<RemoteDream> {
        dreams::status(self, remote_dream_id).await
    }

    pub async fn dream_cancel(&self, remote_dream_id: &str) -> Result<RemoteDream> {
        dreams::cancel(self, remote_dream_id).await
    }

    /// Polls until the dream is `completed`, `failed` or `canceled`, waiting
    /// `interval` at first and longer as it goes on (a rate limit's
    /// `retry-after` is honoured). `cancel` stops the waiting, not the dream.
    pub async fn dream_wait(
        &self,
        remote_dream_id: &str,
        interval: std::time::Duration,
        cancel: &CancellationToken,
        on_status: impl FnMut(&RemoteDream),
    ) -> Result<RemoteDream> {
        dreams::wait(self, remote_dream_id, interval, cancel, on_status).await
    }

    /// Brings a finished dream back as a Reverie dream: a staged proposal
    /// when it completed, a failed or canceled dream otherwise. Importing
    /// again returns the same Reverie dream.
    pub async fn dream_import(
        &self,
        remote_dream_id: &str,
        trigger: crate::store::DreamTrigger,
    ) -> Result<ImportedDream> {
        dreams::import(self, remote_dream_id, trigger).await
    }
}

/// Work only one task may do at a time (a store's sync, an agent's dream),
/// held until dropped: the store's lease keeps other processes out, and a
/// set in this process keeps out its other tasks, which a lease cannot
/// tell apart (re-acquiring one's own lease only renews it).
pub(crate) struct Claim<'a> {
    store: &'a Store,
    name: String,
}

fn claimed() -> &'static std::sync::Mutex<std::collections::HashSet<String>> {
    static CLAIMED: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<String>>> =
        std::sync::OnceLock::new();
    CLAIMED.get_or_init(Default::default)
}

impl<'a> Claim<'a> {
    /// The claim, or `busy()` when someone holds it.
    pub(crate) fn take(
        store: &'a Store,
        name: String,
        ttl: std::time::Duration,
        busy: impl FnOnce() -> Error,
    ) -> Result<Claim<'a>> {
        let mut set = claimed().lock().unwrap_or_else(|p| p.into_inner());
        let mine = store.lease(&name)?.is_some_and(|l| {
            l.owner == crate::store::process_owner() && l.expires_at > crate::ids::now()
        });
        if set.contains(&name) || mine || !store.try_acquire_lease(&name, ttl)? {
            return Err(busy());
        }
        set.insert(name.clone());
        Ok(Claim { store, name })
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let _ = self.store.release_lease(&self.name);
        claimed()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.name);
    }
}

/// `/memories/a/b.md` → `/a/b.md`: the store's root is the Managed Agents
/// store's root.
pub fn remote_path(local: &str) -> String {
    local
        .strip_prefix(crate::memory_path::ROOT)
        .unwrap_or(local)
        .to_string()
}

/// `/a/b.md` → `/memories/a/b.md`, or why Reverie cannot hold that path.
pub fn local_path(remote: &str) -> Result<String> {
    let local = crate::memory_path::normalize(&format!("{}{remote}", crate::memory_path::ROOT))?;
    if remote_path(&local) != remote {
        return Err(Error::Invalid(format!(
            "'{remote}' is not a path Reverie can keep as it is"
        )));
    }
    Ok(local)
}
