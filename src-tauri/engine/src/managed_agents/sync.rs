//! Push and pull between a local memory store and a Managed Agents memory
//! store, document by document. Local `/memories/a/b.md` is remote `/a/b.md`.
//!
//! Like the folder mirror, each document is compared on three sides: the
//! local store, the remote store, and the `content_sha256` both held when
//! they last agreed (the sync base, kept in `mirror_entries` under the peer
//! key `managed-agents:<remote store id>`). A push carries local changes
//! over, a pull remote ones; each leaves the other side's changes for the
//! other direction. Every remote write carries a `content_sha256`
//! precondition and every local write the local equivalent, so a change
//! made meanwhile is never overwritten: a refused precondition (409/412)
//! is handled as a conflict.
//!
//! When both sides changed a document, nothing is lost and nothing is
//! overwritten: the local version stays at its path, the remote text is
//! kept as a local document of its own at a conflict path
//! (`/memories/a/b.conflict-<time>.md`) and the conflict is recorded in
//! `mirror_conflicts`. Until it is resolved (the copy deleted, or marked
//! resolved), a push leaves that path alone. A document deleted on one side
//! and changed on the other is kept (brought back locally, or written to
//! the remote store again), and recorded too.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::client::CallError;
use super::wire::{MAX_MEMORY_BYTES, Memory, MemoryStoreCreateParams};
use super::{Bridge, Claim, links, local_path, peer_key, remote_path};
use crate::store::{
    Document, MAX_DOCUMENT_BYTES, MemoryStore, MirrorConflict, MirrorConflictKind, NewMemoryStore,
    NewMirrorConflict, WriteMeta, sha256_hex,
};
use crate::{Error, Result, Store};

/// One sync of a store at a time, across processes.
const LEASE_TTL: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncDirection {
    Push,
    Pull,
}

/// What a sync did to one document, or why it did not.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum SyncEvent {
    /// A local change written to the Managed Agents store.
    Pushed { path: String, created: bool },
    /// A document deleted locally was deleted in the Managed Agents store.
    RemovedRemote { path: String },
    /// A remote change became a local version (authored `external`).
    Pulled { path: String, version: i64 },
    /// A document deleted remotely was deleted locally (the deletion is a
    /// version; earlier ones can be restored).
    DeletedLocal { path: String, version: i64 },
    /// Both sides changed; see the conflict for what was kept where.
    Conflict { conflict: MirrorConflict },
    /// Left as it is, and why.
    Skipped { path: String, reason: String },
    /// Could not be carried over this time; the next sync tries again.
    Failed { path: String, reason: String },
}

impl std::fmt::Display for SyncEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SyncEvent::Pushed { path, created } => write!(
                f,
                "pushed    {path}{}",
                if *created { " (new)" } else { "" }
            ),
            SyncEvent::RemovedRemote { path } => {
                write!(
                    f,
                    "removed   {path} from the Managed Agents store (deleted here)"
                )
            }
            SyncEvent::Pulled { path, version } => {
                write!(f, "pulled    {path} (version {version})")
            }
            SyncEvent::DeletedLocal { path, version } => write!(
                f,
                "deleted   {path} (deleted in the Managed Agents store; version {version} records it, earlier ones can be restored)"
            ),
            SyncEvent::Conflict { conflict } => match conflict.kind {
                MirrorConflictKind::BothChanged => write!(
                    f,
                    "conflict  {} changed on both sides: kept this store's version there and the Managed Agents version as {}",
                    conflict.path,
                    conflict.conflict_path.as_deref().unwrap_or("?")
                ),
                MirrorConflictKind::DeletedInStore => write!(
                    f,
                    "conflict  {} was deleted here but changed in the Managed Agents store: brought its version back",
                    conflict.path
                ),
                MirrorConflictKind::DeletedInFolder => write!(
                    f,
                    "conflict  {} was deleted in the Managed Agents store but changed here: kept this version",
                    conflict.path
                ),
            },
            SyncEvent::Skipped { path, reason } => write!(f, "skipped   {path}: {reason}"),
            SyncEvent::Failed { path, reason } => write!(f, "failed    {path}: {reason}"),
        }
    }
}

/// How a push or pull went.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub direction: SyncDirection,
    pub store: String,
    pub store_id: String,
    pub remote_store_id: String,
    /// The first push created the Managed Agents store.
    pub created_remote_store: bool,
    /// A pull created the local store.
    pub created_local_store: bool,
    pub events: Vec<SyncEvent>,
    /// Paths changed on the other side, left for the other direction.
    pub waiting: Vec<String>,
    /// This store's open conflicts with the Managed Agents store, after the sync.
    pub open_conflicts: Vec<MirrorConflict>,
}

pub(super) async fn run(
    bridge: &Bridge,
    direction: SyncDirection,
    store_name: &str,
    remote: Option<&str>,
) -> Result<SyncReport> {
    let store = bridge.store();
    let cancel = CancellationToken::new();
    if let Some(id) = remote {
        check_id("memory store", id)?;
    }
    let existing = match store.memory_store(store_name) {
        Ok(local) => Some(local),
        Err(Error::NotFound { .. }) if direction == SyncDirection::Pull && remote.is_some() => None,
        Err(e) => return Err(e),
    };
    let (remote_store, created_remote) = remote_store(
        bridge,
        direction,
        existing.as_ref(),
        store_name,
        remote,
        &cancel,
    )
    .await?;
    let (local, created_local) = match existing {
        Some(local) => (local, false),
        None => (
            store.create_memory_store(&NewMemoryStore {
                name: store_name.to_string(),
                description: if remote_store.description.is_empty() {
                    format!(
                        "Pulled from Claude Managed Agents store {}",
                        remote_store.id
                    )
                } else {
                    remote_store.description.clone()
                },
                ..NewMemoryStore::default()
            })?,
            true,
        ),
    };
    if links::linked_store(store, &local.id)?.as_deref() != Some(remote_store.id.as_str()) {
        links::link_store(store, &local.id, &remote_store.id)?;
    }
    let claim = Claim::take(
        store,
        format!("managed-agents-sync:{}", local.id),
        LEASE_TTL,
        || {
            Error::Conflict(format!(
                "a push or pull of '{}' is already running; wait for it to finish",
                local.name
            ))
        },
    )?;
    let sync = Sync {
        bridge,
        direction,
        peer: peer_key(&remote_store.id),
        remote_id: remote_store.id.clone(),
        local,
        cancel,
    };
    let result = sync.once().await;
    drop(claim);
    let (events, waiting) = result?;
    Ok(SyncReport {
        direction,
        store: sync.local.name.clone(),
        store_id: sync.local.id.clone(),
        remote_store_id: remote_store.id,
        created_remote_store: created_remote,
        created_local_store: created_local,
        events,
        waiting,
        open_conflicts: sync.open_conflicts()?,
    })
}

/// An id the API gave out: letters, digits, `_` and `-`.
pub(super) fn check_id(what: &str, id: &str) -> Result<()> {
    if id.is_empty()
        || id.len() > 128
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    {
        return Err(Error::Invalid(format!(
            "'{id}' is not a Managed Agents {what} id; copy it as the API or Console shows it"
        )));
    }
    Ok(())
}

/// The linked (or given) Managed Agents store; a first push creates one.
async fn remote_store(
    bridge: &Bridge,
    direction: SyncDirection,
    local: Option<&MemoryStore>,
    store_name: &str,
    remote: Option<&str>,
    cancel: &CancellationToken,
) -> Result<(super::wire::MemoryStore, bool)> {
    let store = bridge.store();
    let linked = match local {
        Some(l) => links::linked_store(store, &l.id)?,
        None => None,
    };
    let read = |e: CallError, id: &str| {
        if e.is_not_found() {
            Error::not_found("Managed Agents memory store", id)
        } else {
            e.into_error("reading the Managed Agents memory store")
        }
    };
    let push = direction == SyncDirection::Push;
    let (found, created) = match (remote, linked) {
        (Some(id), _) => (
            bridge
                .client
                .store(id, cancel)
                .await
                .map_err(|e| read(e, id))?,
            false,
        ),
        (None, Some(id)) => match bridge.client.store(&id, cancel).await {
            Ok(found) => (found, false),
            // The linked store was deleted in Managed Agents: a push makes a new one.
            Err(e) if e.is_not_found() && push => {
                tracing::info!(remote = %id, "the linked Managed Agents store is gone; pushing to a new one");
                (
                    create_remote(bridge, local.expect("a push has a local store"), cancel).await?,
                    true,
                )
            }
            Err(e) => return Err(read(e, &id)),
        },
        (None, None) if push => (
            create_remote(bridge, local.expect("a push has a local store"), cancel).await?,
            true,
        ),
        (None, None) => {
            return Err(Error::Invalid(format!(
                "the memory store '{store_name}' is not linked to a Managed Agents memory store yet: push it first, or pull with --remote memstore_…"
            )));
        }
    };
    if direction == SyncDirection::Push && found.archived_at.is_some() {
        return Err(Error::Invalid(format!(
            "the Managed Agents memory store {} is archived, so it can't be written; push to another one with --remote",
            found.id
        )));
    }
    Ok((found, created))
}

/// A new Managed Agents store for `local`, linked at once so a failure
/// later never leaves it orphaned.
async fn create_remote(
    bridge: &Bridge,
    local: &MemoryStore,
    cancel: &CancellationToken,
) -> Result<super::wire::MemoryStore> {
    let description: String = local.description.chars().take(1024).collect();
    let params = MemoryStoreCreateParams {
        name: &local.name,
        description: &description,
        metadata: [
            ("reverie_store_id", local.id.clone()),
            ("created_by", "reverie".to_string()),
        ]
        .into(),
    };
    let made = bridge
        .client
        .create_store(&params, cancel)
        .await
        .map_err(|e| e.into_error("creating the Managed Agents memory store"))?;
    links::link_store(bridge.store(), &local.id, &made.id)?;
    Ok(made)
}

struct Sync<'a> {
    bridge: &'a Bridge,
    direction: SyncDirection,
    local: MemoryStore,
    remote_id: String,
    peer: String,
    cancel: CancellationToken,
}

/// Why one document was not carried over.
enum Step {
    /// This document only; the sync goes on.
    Failed(String),
    /// Nothing more can be done now (the key was refused, the API is down).
    Fatal(Error),
}

impl From<Error> for Step {
    /// A local error: a failed `content_sha256` precondition means the
    /// document changed here during the sync; bad input (a redacted head,
    /// a full store) concerns this document only.
    fn from(e: Error) -> Self {
        match e {
            Error::Conflict(_) => {
                Step::Failed("it changed here during the sync; sync again".into())
            }
            Error::Invalid(message) => Step::Failed(message),
            other => Step::Fatal(other),
        }
    }
}

/// The three sides of one document.
struct Sides<'a> {
    local: Option<&'a str>,
    remote: Option<&'a Memory>,
    base: Option<&'a str>,
}

impl Sync<'_> {
    fn store(&self) -> &Store {
        self.bridge.store()
    }

    fn call_step(&self, e: CallError, doing: &str) -> Step {
        match e.status() {
            // This document only: refused as bad input, gone, or changed meanwhile.
            Some(400 | 404 | 409 | 412 | 413 | 422) => {
                Step::Failed(e.into_error(doing).to_string())
            }
            _ => Step::Fatal(e.into_error(doing)),
        }
    }

    async fn once(&self) -> Result<(Vec<SyncEvent>, Vec<String>)> {
        let store = self.store();
        self.settle()?;
        let base = store.mirror_entries(&self.local.id, &self.peer)?;
        let docs: BTreeMap<String, Document> = store
            .list_documents(&self.local.id, None)?
            .into_iter()
            .map(|d| (d.path.clone(), d))
            .collect();
        let listed = self
            .bridge
            .client
            .all_memories(&self.remote_id, &self.cancel)
            .await
            .map_err(|e| e.into_error("listing the Managed Agents memory store"))?;
        let mut events = Vec::new();
        let mut remote: BTreeMap<String, Memory> = BTreeMap::new();
        for memory in listed {
            match local_path(&memory.path) {
                Ok(path) => {
                    remote.insert(path, memory);
                }
                Err(e) => events.push(SyncEvent::Skipped {
                    path: memory.path,
                    reason: format!("{e}; it stays in the Managed Agents store only"),
                }),
            }
        }
        let mut taken: BTreeSet<String> = docs.keys().chain(remote.keys()).cloned().collect();
        let open: BTreeSet<String> = self
            .open_conflicts()?
            .into_iter()
            .filter(|c| c.kind == MirrorConflictKind::BothChanged)
            .map(|c| c.path)
            .collect();
        let paths: BTreeSet<String> = docs
            .keys()
            .chain(remote.keys())
            .chain(base.keys())
            .cloned()
            .collect();
        let mut waiting = Vec::new();
        for path in paths {
            let sides = Sides {
                local: docs.get(&path).map(|d| d.sha256.as_str()),
                remote: remote.get(&path),
                base: base.get(&path).map(String::as_str),
            };
            match self
                .reconcile(&path, sides, &open, &mut taken, &mut waiting)
                .await
            {
                Ok(Some(event)) => events.push(event),
                Ok(None) => {}
                Err(Step::Failed(reason)) => events.push(SyncEvent::Failed { path, reason }),
                Err(Step::Fatal(e)) => return Err(e),
            }
        }
        self.settle()?;
        Ok((events, waiting))
    }

    /// One document: which side changed since the last sync, and carrying
    /// that change over in this sync's direction.
    async fn reconcile(
        &self,
        path: &str,
        s: Sides<'_>,
        open: &BTreeSet<String>,
        taken: &mut BTreeSet<String>,
        waiting: &mut Vec<String>,
    ) -> Result<Option<SyncEvent>, Step> {
        let remote_sha = s.remote.map(|m| m.content_sha256.as_str());
        if s.local == remote_sha {
            if s.base != s.local {
                self.remember(path, s.local)?;
            }
            return Ok(None);
        }
        let local_changed = s.local != s.base;
        let remote_changed = remote_sha != s.base;
        match (local_changed, remote_changed, self.direction) {
            (true, false, SyncDirection::Push) => {
                if open.contains(path) {
                    return Ok(Some(SyncEvent::Skipped {
                        path: path.into(),
                        reason: "it has an open conflict with the Managed Agents version: merge the conflict copy into it, then delete the copy or mark the conflict resolved".into(),
                    }));
                }
                self.push_one(path, s.local, s.remote, taken).await
            }
            (false, true, SyncDirection::Pull) => self.pull_one(path, s.local, s.remote).await,
            (true, false, SyncDirection::Pull) | (false, true, SyncDirection::Push) => {
                waiting.push(path.to_string());
                Ok(None)
            }
            _ => self.both_changed(path, s.local, s.remote, taken).await,
        }
    }

    async fn push_one(
        &self,
        path: &str,
        local_sha: Option<&str>,
        remote: Option<&Memory>,
        taken: &mut BTreeSet<String>,
    ) -> Result<Option<SyncEvent>, Step> {
        let client = &self.bridge.client;
        let Some(_) = local_sha else {
            let memory = remote.expect("one side has the document");
            return match client
                .delete_memory(
                    &self.remote_id,
                    &memory.id,
                    &memory.content_sha256,
                    &self.cancel,
                )
                .await
            {
                Ok(()) => {
                    self.remember(path, None)?;
                    Ok(Some(SyncEvent::RemovedRemote { path: path.into() }))
                }
                Err(e) if e.is_not_found() => {
                    self.remember(path, None)?;
                    Ok(None)
                }
                Err(e) if e.is_precondition() => {
                    let fresh = self.fresh_remote(path).await?;
                    self.after_refusal(path, None, fresh.as_ref(), taken).await
                }
                Err(e) => Err(self.call_step(e, &format!("deleting {path} remotely"))),
            };
        };
        let Some((doc, content)) = self.store().read_document(&self.local.id, path)? else {
            return Err(Step::Failed(
                "it changed here during the push; push again".into(),
            ));
        };
        if content.len() > MAX_MEMORY_BYTES {
            return Ok(Some(SyncEvent::Skipped {
                path: path.into(),
                reason: format!(
                    "it is {} bytes, more than the 102,400 a Managed Agents memory holds",
                    content.len()
                ),
            }));
        }
        // A secret never leaves the machine: the user kept it on purpose
        // (memory refuses secrets otherwise) and must redact it first.
        if let Some(why) = crate::secrets::refusal(&content) {
            return Ok(Some(SyncEvent::Skipped {
                path: path.into(),
                reason: format!(
                    "{why}, which is never uploaded; take it out with `reverie memory redact` and push again"
                ),
            }));
        }
        let result = match remote {
            None => {
                client
                    .create_memory(&self.remote_id, &remote_path(path), &content, &self.cancel)
                    .await
            }
            Some(m) => {
                client
                    .update_memory(
                        &self.remote_id,
                        &m.id,
                        &content,
                        &m.content_sha256,
                        &self.cancel,
                    )
                    .await
            }
        };
        match result {
            Ok(_) => {
                self.remember(path, Some(&doc.sha256))?;
                Ok(Some(SyncEvent::Pushed {
                    path: path.into(),
                    created: remote.is_none(),
                }))
            }
            Err(e) if e.is_precondition() => {
                let fresh = self.fresh_remote(path).await?;
                self.after_refusal(path, Some(&doc.sha256), fresh.as_ref(), taken)
                    .await
            }
            Err(e) => Err(self.call_step(e, &format!("pushing {path}"))),
        }
    }

    /// The remote store refused a write because the document changed there
    /// meanwhile: that is a conflict unless it now holds what we have.
    async fn after_refusal(
        &self,
        path: &str,
        local_sha: Option<&str>,
        fresh: Option<&Memory>,
        taken: &mut BTreeSet<String>,
    ) -> Result<Option<SyncEvent>, Step> {
        if fresh.map(|m| m.content_sha256.as_str()) == local_sha {
            self.remember(path, local_sha)?;
            return Ok(None);
        }
        self.both_changed(path, local_sha, fresh, taken).await
    }

    /// The memory now at `path` in the remote store, if any.
    async fn fresh_remote(&self, path: &str) -> Result<Option<Memory>, Step> {
        let wanted = remote_path(path);
        let all = self
            .bridge
            .client
            .all_memories(&self.remote_id, &self.cancel)
            .await
            .map_err(|e| self.call_step(e, "listing the Managed Agents memory store"))?;
        Ok(all.into_iter().find(|m| m.path == wanted))
    }

    /// A memory's content, checked against its hash.
    async fn remote_content(&self, memory: &Memory) -> Result<(String, String), Step> {
        let full = self
            .bridge
            .client
            .memory(&self.remote_id, &memory.id, &self.cancel)
            .await
            .map_err(|e| {
                if e.is_not_found() {
                    Step::Failed(
                        "it was deleted in the Managed Agents store meanwhile; sync again".into(),
                    )
                } else {
                    self.call_step(e, &format!("reading {}", memory.path))
                }
            })?;
        let content = full.content.unwrap_or_default();
        if sha256_hex(content.as_bytes()) != full.content_sha256 {
            return Err(Step::Failed(
                "its content does not match its content_sha256; sync again".into(),
            ));
        }
        if content.len() > MAX_DOCUMENT_BYTES {
            return Err(Step::Failed(format!(
                "it is {} bytes, more than the {MAX_DOCUMENT_BYTES} a Reverie document holds; shorten it in the Managed Agents store",
                content.len()
            )));
        }
        Ok((content, full.content_sha256))
    }

    async fn pull_one(
        &self,
        path: &str,
        local_sha: Option<&str>,
        remote: Option<&Memory>,
    ) -> Result<Option<SyncEvent>, Step> {
        let store = self.store();
        let Some(memory) = remote else {
            let meta = WriteMeta::external(format!(
                "deleted in Claude Managed Agents store {}",
                self.remote_id
            ))
            .expecting(local_sha.expect("one side has the document"));
            let version = store.delete_document(&self.local.id, path, &meta)?;
            self.remember(path, None)?;
            return Ok(Some(SyncEvent::DeletedLocal {
                path: path.into(),
                version: version.seq,
            }));
        };
        let (content, sha) = self.remote_content(memory).await?;
        if Some(sha.as_str()) == local_sha {
            self.remember(path, Some(&sha))?;
            return Ok(None);
        }
        let meta = WriteMeta::external(format!(
            "pulled from Claude Managed Agents store {}",
            self.remote_id
        ))
        .expecting(local_sha.unwrap_or(""));
        let version = store.write_document(&self.local.id, path, &content, &meta)?;
        self.remember(path, Some(&sha))?;
        Ok(Some(SyncEvent::Pulled {
            path: path.into(),
            version: version.seq,
        }))
    }

    /// Both sides changed since the last sync: keep both, record it.
    async fn both_changed(
        &self,
        path: &str,
        local_sha: Option<&str>,
        remote: Option<&Memory>,
        taken: &mut BTreeSet<String>,
    ) -> Result<Option<SyncEvent>, Step> {
        let store = self.store();
        match (local_sha, remote) {
            (Some(local_sha), Some(memory)) => {
                // A sync cut short after keeping the copy finds the same
                // conflict again: reuse it instead of keeping a second copy.
                let earlier = self.open_conflicts()?.into_iter().find(|c| {
                    c.path == path
                        && c.folder_sha256.as_deref() == Some(memory.content_sha256.as_str())
                        && c.conflict_path.as_ref().is_some_and(|copy| {
                            store
                                .read_document(&self.local.id, copy)
                                .ok()
                                .flatten()
                                .is_some_and(|(d, _)| d.sha256 == memory.content_sha256)
                        })
                });
                let conflict = match earlier {
                    Some(c) => c,
                    None => {
                        let (content, sha) = self.remote_content(memory).await?;
                        let copy = free_conflict_path(path, taken)?;
                        let meta = WriteMeta::external(format!(
                            "kept from Claude Managed Agents store {}: both sides changed {path}",
                            self.remote_id
                        ))
                        .expecting("");
                        store.write_document(&self.local.id, &copy, &content, &meta)?;
                        taken.insert(copy.clone());
                        self.record(
                            path,
                            Some(&copy),
                            MirrorConflictKind::BothChanged,
                            Some(local_sha),
                            Some(&sha),
                        )?
                    }
                };
                // The remote change is taken in (as the copy); the local
                // version waits for the person to merge.
                self.remember(path, Some(&memory.content_sha256))?;
                Ok(Some(SyncEvent::Conflict { conflict }))
            }
            (None, Some(memory)) => {
                let (content, sha) = self.remote_content(memory).await?;
                let meta = WriteMeta::external(format!(
                    "changed in Claude Managed Agents store {} after it was deleted here",
                    self.remote_id
                ))
                .expecting("");
                store.write_document(&self.local.id, path, &content, &meta)?;
                let conflict = self.record(
                    path,
                    None,
                    MirrorConflictKind::DeletedInStore,
                    None,
                    Some(&sha),
                )?;
                self.remember(path, Some(&sha))?;
                Ok(Some(SyncEvent::Conflict { conflict }))
            }
            (Some(local_sha), None) => {
                let conflict = self.record(
                    path,
                    None,
                    MirrorConflictKind::DeletedInFolder,
                    Some(local_sha),
                    None,
                )?;
                match self.direction {
                    SyncDirection::Push => {
                        let Some((doc, content)) = store.read_document(&self.local.id, path)?
                        else {
                            return Err(Step::Failed(
                                "it changed here during the push; push again".into(),
                            ));
                        };
                        self.bridge
                            .client
                            .create_memory(
                                &self.remote_id,
                                &remote_path(path),
                                &content,
                                &self.cancel,
                            )
                            .await
                            .map_err(|e| {
                                self.call_step(e, &format!("writing {path} again remotely"))
                            })?;
                        self.remember(path, Some(&doc.sha256))?;
                    }
                    // The next push writes it to the remote store again.
                    SyncDirection::Pull => self.remember(path, None)?,
                }
                Ok(Some(SyncEvent::Conflict { conflict }))
            }
            (None, None) => Ok(None),
        }
    }

    fn remember(&self, path: &str, sha256: Option<&str>) -> Result<(), Step> {
        self.store()
            .set_mirror_entry(&self.local.id, &self.peer, path, sha256)?;
        Ok(())
    }

    fn record(
        &self,
        path: &str,
        conflict_path: Option<&str>,
        kind: MirrorConflictKind,
        local_sha: Option<&str>,
        remote_sha: Option<&str>,
    ) -> Result<MirrorConflict, Step> {
        Ok(self.store().record_mirror_conflict(&NewMirrorConflict {
            store_id: &self.local.id,
            dir: &self.peer,
            path,
            conflict_path,
            kind,
            store_sha256: local_sha,
            folder_sha256: remote_sha,
        })?)
    }

    fn open_conflicts(&self) -> Result<Vec<MirrorConflict>> {
        Ok(self
            .store()
            .mirror_conflicts(&self.local.id, false)?
            .into_iter()
            .filter(|c| c.dir == self.peer)
            .collect())
    }

    /// A conflict whose kept copy is gone (merged, then deleted) is resolved.
    fn settle(&self) -> Result<()> {
        for conflict in self.open_conflicts()? {
            let Some(copy) = &conflict.conflict_path else {
                continue;
            };
            if self.store().read_document(&self.local.id, copy)?.is_none() {
                self.store().resolve_mirror_conflict(&conflict.id)?;
            }
        }
        Ok(())
    }
}

/// `/memories/a/b.md` → `/memories/a/b.conflict-20261126T080715Z.md`, free
/// on both sides.
fn free_conflict_path(path: &str, taken: &BTreeSet<String>) -> Result<String, Step> {
    let (dir, name) = path.rsplit_once('/').expect("a document path has a '/'");
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
        _ => (name, String::new()),
    };
    let now = time::OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    for n in 1..100 {
        let suffix = if n == 1 {
            String::new()
        } else {
            format!("-{n}")
        };
        let candidate = format!("{dir}/{stem}.conflict-{stamp}{suffix}{ext}");
        if !taken.contains(&candidate) {
            return crate::memory_path::normalize(&candidate)
                .map_err(|e| Step::Failed(e.to_string()));
        }
    }
    Err(Step::Failed(format!(
        "no free name to keep the Managed Agents version of {path}; remove old conflict copies"
    )))
}
