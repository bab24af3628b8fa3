//! Dreams run by the Dreams API, brought back as Reverie dreams.
//!
//! Starting one pushes the local store (so the dream reads current memory),
//! uploads the sessions it should read, then creates the dream with one
//! `memory_store` input and one `sessions` input and `create_new` output,
//! so the remote input store is never changed. What the dream read (each
//! document's hash) is recorded. Once it is `completed`, its output store is
//! compared with what it read and every difference becomes an edit of a
//! staged Reverie proposal, based on the hash the dream read: applying it
//! later fails cleanly for a document changed here since, as for any dream.
//! A `failed` or `canceled` dream becomes a Reverie dream with that status
//! and the reason, and memory is not touched.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::sync::check_id;
use super::wire::{self, DreamCreateParams, DreamInputParam, DreamStatus, OutputBehaviorParam};
use super::{Bridge, Claim, DREAM_MODEL_SETTING, links, local_path, peer_key, setting};
use super::{DreamRecord, SyncReport, UploadReport};
use crate::dream::{BlockedEdit, dream_lease, sessions_to_review};
use crate::provider::PriceTable;
use crate::secrets;
use crate::store::{
    Agent, Dream, DreamMode, DreamTrigger, EditOp, MAX_DOCUMENT_BYTES, MemoryStore, NewDream,
    NewProposalEdit, ProposalEdit, Usage, sha256_hex,
};
use crate::{Error, Result, Store};

/// The most sessions one dream reads (the API's limit).
const MAX_SESSIONS: usize = 100;
/// How long an import may hold the agent's dream lease.
const IMPORT_TTL: Duration = Duration::from_secs(10 * 60);
/// The longest wait between two polls.
const MAX_POLL: Duration = Duration::from_secs(30);

/// What to dream about.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DreamStart {
    /// The local memory store (name or id).
    pub store: String,
    /// Reverie sessions to read; empty: the store's agent's sessions since
    /// its last completed dream (at most the newest 100).
    #[serde(default)]
    pub session_ids: Vec<String>,
    #[serde(default)]
    pub instructions: Option<String>,
    /// The model (else `managed_agents.dream_model`, else the agent's).
    #[serde(default)]
    pub model: Option<String>,
}

/// A dream just started, and what was sent first to make it possible.
#[derive(Debug, Clone, Serialize)]
pub struct DreamStarted {
    pub remote: wire::Dream,
    pub record: DreamRecord,
    pub push: SyncReport,
    pub upload: UploadReport,
}

/// A Managed Agents dream as it is now, with what Reverie recorded of it.
#[derive(Debug, Clone, Serialize)]
pub struct RemoteDream {
    pub remote: wire::Dream,
    pub record: Option<DreamRecord>,
}

/// A remote dream brought back as a Reverie dream.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedDream {
    pub dream: Dream,
    pub edits: Vec<ProposalEdit>,
    /// Differences that cannot become edits (secrets, paths or sizes
    /// Reverie cannot hold); they are not part of the proposal.
    pub blocked: Vec<BlockedEdit>,
    pub remote: wire::Dream,
}

fn not_found_or(e: super::CallError, id: &str, doing: &str) -> Error {
    if e.is_not_found() {
        Error::not_found("Managed Agents dream", id)
    } else {
        e.into_error(doing)
    }
}

/// The agent whose memory a store is: its owner, else the first agent
/// that mounts it.
fn agent_of(store: &Store, local: &MemoryStore) -> Result<Agent> {
    if let Some(owner) = &local.owner_agent_id {
        return store.agent(owner);
    }
    store
        .list_agents()?
        .into_iter()
        .find(|a| a.stores.iter().any(|s| s.store_id == local.id))
        .ok_or_else(|| {
            Error::Invalid(format!(
                "no agent uses the memory store '{}', so a dream's proposal would have no one to serve; attach it to an agent first",
                local.name
            ))
        })
}

pub(super) async fn start(bridge: &Bridge, request: &DreamStart) -> Result<DreamStarted> {
    let store = bridge.store();
    let local = store.memory_store(&request.store)?;
    let agent = agent_of(store, &local)?;
    if let Some(text) = &request.instructions {
        if text.trim().is_empty() || text.chars().count() > 4096 {
            return Err(Error::Invalid(
                "instructions for a dream are 1 to 4,096 characters".into(),
            ));
        }
    }
    let session_ids: Vec<String> = if request.session_ids.is_empty() {
        let mut found: Vec<String> = sessions_to_review(store, &agent)?
            .into_iter()
            .map(|s| s.id)
            .collect();
        let skip = found.len().saturating_sub(MAX_SESSIONS);
        found.drain(..skip);
        found
    } else {
        let unique: BTreeSet<&String> = request.session_ids.iter().collect();
        if unique.len() != request.session_ids.len() {
            return Err(Error::Invalid(
                "a session is listed twice; give each once".into(),
            ));
        }
        request.session_ids.clone()
    };
    if session_ids.is_empty() {
        return Err(Error::Invalid(format!(
            "'{}' has no finished sessions since its last dream; give the sessions to read",
            agent.name
        )));
    }
    if session_ids.len() > MAX_SESSIONS {
        return Err(Error::Invalid(format!(
            "a dream reads at most {MAX_SESSIONS} sessions; give fewer"
        )));
    }
    let model = match &request.model {
        Some(m) if !m.trim().is_empty() => m.trim().to_string(),
        _ => setting(store, DREAM_MODEL_SETTING)?.unwrap_or_else(|| agent.model.clone()),
    };

    let push = bridge.push(&local.id, None).await?;
    let upload = bridge.upload_sessions(&session_ids, false).await?;
    let remote_session_ids: Vec<String> = upload
        .sessions
        .iter()
        .map(|s| s.remote_session_id.clone())
        .collect();
    let cancel = CancellationToken::new();
    // What the dream reads: the remote store as the push left it.
    let input_sha256: BTreeMap<String, String> = bridge
        .client
        .all_memories(&push.remote_store_id, &cancel)
        .await
        .map_err(|e| e.into_error("listing the Managed Agents memory store"))?
        .into_iter()
        .filter_map(|m| Some((local_path(&m.path).ok()?, m.content_sha256)))
        .collect();
    let params = DreamCreateParams {
        inputs: vec![
            DreamInputParam::MemoryStore {
                memory_store_id: push.remote_store_id.clone(),
            },
            DreamInputParam::Sessions {
                session_ids: remote_session_ids.clone(),
            },
        ],
        model: model.clone(),
        // Everything sent to Managed Agents is masked, instructions too.
        instructions: request
            .instructions
            .as_deref()
            .map(|t| crate::secrets::mask(t).into_owned()),
        output_behavior: OutputBehaviorParam::CreateNew,
    };
    let remote = bridge
        .client
        .create_dream(&params, &cancel)
        .await
        .map_err(|e| e.into_error("starting the dream"))?;
    let record = DreamRecord {
        remote_dream_id: remote.id.clone(),
        local_store_id: local.id.clone(),
        remote_store_id: push.remote_store_id.clone(),
        agent_id: agent.id.clone(),
        session_ids,
        remote_session_ids,
        model,
        instructions: request.instructions.clone(),
        input_sha256,
        started_at: crate::ids::now(),
        imported_dream_id: None,
    };
    links::save_dream(store, &record)?;
    Ok(DreamStarted {
        remote,
        record,
        push,
        upload,
    })
}

pub(super) async fn status(bridge: &Bridge, id: &str) -> Result<RemoteDream> {
    check_id("dream", id)?;
    let remote = bridge
        .client
        .dream(id, &CancellationToken::new())
        .await
        .map_err(|e| not_found_or(e, id, "reading the dream"))?;
    Ok(RemoteDream {
        remote,
        record: links::dream_record(bridge.store(), id)?,
    })
}

pub(super) async fn cancel(bridge: &Bridge, id: &str) -> Result<RemoteDream> {
    check_id("dream", id)?;
    let remote = bridge
        .client
        .cancel_dream(id, &CancellationToken::new())
        .await
        .map_err(|e| match e.status() {
            Some(400) => Error::Invalid(format!(
                "dream {id} has already finished, so it can't be canceled; see `reverie managed dream status {id}`"
            )),
            _ => not_found_or(e, id, "canceling the dream"),
        })?;
    Ok(RemoteDream {
        remote,
        record: links::dream_record(bridge.store(), id)?,
    })
}

pub(super) async fn wait(
    bridge: &Bridge,
    id: &str,
    interval: Duration,
    cancel: &CancellationToken,
    mut on_status: impl FnMut(&RemoteDream),
) -> Result<RemoteDream> {
    check_id("dream", id)?;
    let stopped = || {
        Error::Invalid(format!(
            "stopped waiting; dream {id} goes on in Claude Managed Agents: check it with `reverie managed dream status {id}` or cancel it with `reverie managed dream cancel {id}`"
        ))
    };
    let mut delay = interval.max(Duration::from_millis(10));
    let mut last: Option<DreamStatus> = None;
    loop {
        let remote = bridge.client.dream(id, cancel).await.map_err(|e| match e {
            super::CallError::Cancelled => stopped(),
            e => not_found_or(e, id, "reading the dream"),
        })?;
        let now = RemoteDream {
            record: links::dream_record(bridge.store(), id)?,
            remote,
        };
        if last != Some(now.remote.status) {
            on_status(&now);
            last = Some(now.remote.status);
        }
        if now.remote.status.is_final() {
            return Ok(now);
        }
        tokio::select! {
            biased;
            _ = cancel.cancelled() => return Err(stopped()),
            _ = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 3 / 2).min(MAX_POLL.max(interval));
    }
}

pub(super) async fn import(
    bridge: &Bridge,
    id: &str,
    trigger: DreamTrigger,
) -> Result<ImportedDream> {
    check_id("dream", id)?;
    let store = bridge.store();
    let cancel = CancellationToken::new();
    let remote = bridge
        .client
        .dream(id, &cancel)
        .await
        .map_err(|e| not_found_or(e, id, "reading the dream"))?;
    if !remote.status.is_final() {
        return Err(Error::Invalid(format!(
            "dream {id} is still {}; wait for it with `reverie managed dream wait {id}`",
            remote.status.as_str()
        )));
    }
    let mut record = match links::dream_record(store, id)? {
        Some(r) => r,
        None => record_for_foreign(store, &remote)?,
    };
    let agent = store.agent(&record.agent_id)?;
    // The agent's dream lease: one dream (or import) of an agent at a time.
    let claim = Claim::take(store, dream_lease(&agent.id), IMPORT_TTL, || {
        Error::Conflict(format!(
            "a dream of '{}' is running or being imported here; import {id} once it has finished",
            agent.name
        ))
    })?;
    if let Some(done) = links::dream_record(store, id)?.and_then(|r| r.imported_dream_id) {
        if let Ok(dream) = store.dream(&done) {
            return Ok(ImportedDream {
                edits: store.proposal(&dream.id)?,
                blocked: blocked_of(&dream),
                dream,
                remote,
            });
        }
    }
    let (edits, blocked) = match remote.status {
        DreamStatus::Completed => proposal(bridge, &record, &remote, &cancel).await?,
        _ => (Vec::new(), Vec::new()),
    };
    let dream = stage(store, &record, &remote, trigger, &edits, &blocked)?;
    record.imported_dream_id = Some(dream.id.clone());
    links::save_dream(store, &record)?;
    drop(claim);
    Ok(ImportedDream {
        edits: store.proposal(&dream.id)?,
        dream,
        blocked,
        remote,
    })
}

/// A dream started elsewhere (the Console, another client) on a store
/// linked here: what it read is taken to be the last agreed sync state.
fn record_for_foreign(store: &Store, remote: &wire::Dream) -> Result<DreamRecord> {
    let input = remote.input_store_id().unwrap_or_default().to_string();
    let local_id = links::store_links(store)?
        .into_iter()
        .find(|(_, r)| *r == input)
        .map(|(l, _)| l)
        .ok_or_else(|| {
            Error::Invalid(format!(
                "dream {} read the Managed Agents store {input}, which no local store is linked to; pull it first (`reverie managed pull --store NAME --remote {input}`)",
                remote.id
            ))
        })?;
    let local = store.memory_store(&local_id)?;
    let agent = agent_of(store, &local)?;
    let remote_session_ids = remote.input_session_ids();
    let uploads = links::uploads(store)?;
    let session_ids = remote_session_ids
        .iter()
        .filter_map(|r| {
            uploads
                .iter()
                .find(|(_, v)| *v == r)
                .map(|(k, _)| k.clone())
        })
        .collect();
    Ok(DreamRecord {
        remote_dream_id: remote.id.clone(),
        local_store_id: local.id.clone(),
        remote_store_id: input.clone(),
        agent_id: agent.id,
        session_ids,
        remote_session_ids,
        model: remote.model.id.clone(),
        instructions: remote.instructions.clone(),
        input_sha256: store
            .mirror_entries(&local.id, &peer_key(&input))?
            .into_iter()
            .collect(),
        started_at: remote.created_at.clone(),
        imported_dream_id: None,
    })
}

/// The output store's differences from what the dream read, as edits.
async fn proposal(
    bridge: &Bridge,
    record: &DreamRecord,
    remote: &wire::Dream,
    cancel: &CancellationToken,
) -> Result<(Vec<NewProposalEdit>, Vec<BlockedEdit>)> {
    let output = remote.output_store_id().ok_or_else(|| {
        Error::Remote(format!(
            "dream {} completed without an output memory store; nothing was staged",
            remote.id
        ))
    })?;
    let memories = bridge
        .client
        .all_memories(output, cancel)
        .await
        .map_err(|e| e.into_error("listing the dream's output store"))?;
    let reason = format!(
        "proposed by Claude Managed Agents dream {} ({})",
        remote.id, remote.model.id
    );
    let (mut edits, mut blocked) = (Vec::new(), Vec::new());
    let mut block = |path: String, why: String| {
        blocked.push(BlockedEdit {
            path,
            reason: why,
            source_session_ids: record.session_ids.clone(),
            origin: None,
        })
    };
    let mut seen = BTreeSet::new();
    for memory in memories {
        let path = match local_path(&memory.path) {
            Ok(p) => p,
            Err(e) => {
                block(memory.path.clone(), e.to_string());
                continue;
            }
        };
        seen.insert(path.clone());
        let base = record.input_sha256.get(&path);
        if base == Some(&memory.content_sha256) {
            continue;
        }
        let full = bridge
            .client
            .memory(output, &memory.id, cancel)
            .await
            .map_err(|e| {
                e.into_error(&format!("reading {} from the dream's output", memory.path))
            })?;
        let content = full.content.unwrap_or_default();
        if sha256_hex(content.as_bytes()) != full.content_sha256 {
            return Err(Error::Remote(format!(
                "{} in the dream's output does not match its content_sha256; import again",
                memory.path
            )));
        }
        if content.len() > MAX_DOCUMENT_BYTES {
            block(
                path,
                format!(
                    "it is {} bytes, more than the {MAX_DOCUMENT_BYTES} a Reverie document holds",
                    content.len()
                ),
            );
            continue;
        }
        if let Some(why) = secrets::refusal(&content) {
            block(path, format!("{why}; secrets never go into memory"));
            continue;
        }
        edits.push(NewProposalEdit {
            op: if base.is_some() {
                EditOp::Rewrite
            } else {
                EditOp::Create
            },
            path,
            merged_paths: Vec::new(),
            content: Some(content),
            base_sha256: base.cloned(),
            reason: reason.clone(),
            source_session_ids: record.session_ids.clone(),
        });
    }
    for (path, sha) in &record.input_sha256 {
        if !seen.contains(path) {
            edits.push(NewProposalEdit {
                op: EditOp::Delete,
                path: path.clone(),
                merged_paths: Vec::new(),
                content: None,
                base_sha256: Some(sha.clone()),
                reason: reason.clone(),
                source_session_ids: record.session_ids.clone(),
            });
        }
    }
    // The same provenance guard as a local dream: the remote dream read the
    // uploaded sessions and the memory as it was.
    let evidence = evidence_for(&bridge.store, record)?;
    let (edits, refused) = crate::dream::guard_edits(edits, &evidence);
    blocked.extend(refused);
    Ok((edits, blocked))
}

/// What the remote dream read, indexed by source: the sessions uploaded for
/// it and the local memory it started from.
fn evidence_for(store: &Store, record: &DreamRecord) -> Result<crate::provenance::Evidence> {
    let mut evidence = crate::provenance::Evidence::new();
    evidence.add(
        crate::provenance::Source::User,
        None,
        None,
        record.instructions.as_deref().unwrap_or(""),
    );
    let sessions: Vec<_> = record
        .session_ids
        .iter()
        .filter_map(|id| store.session(id).ok())
        .collect();
    crate::transcript::render_sessions(store, &sessions, &mut evidence)?;
    for doc in store.list_documents(&record.local_store_id, None)? {
        if let Some((d, content)) = store.read_document(&record.local_store_id, &doc.path)? {
            crate::receipts::add_memory_evidence(
                store,
                &record.local_store_id,
                &d.path,
                &content,
                &mut evidence,
            )?;
        }
    }
    Ok(evidence)
}

/// Records the Reverie dream: a staged proposal, or the failure.
fn stage(
    store: &Store,
    record: &DreamRecord,
    remote: &wire::Dream,
    trigger: DreamTrigger,
    edits: &[NewProposalEdit],
    blocked: &[BlockedEdit],
) -> Result<Dream> {
    let dream = store.create_dream(&NewDream {
        agent_id: record.agent_id.clone(),
        input_store_id: record.local_store_id.clone(),
        mode: DreamMode::UpdateExisting,
        trigger,
        provider: "managed-agents".into(),
        model: remote.model.id.clone(),
        instructions: remote.instructions.clone().unwrap_or_default(),
        budget_tokens: None,
        session_ids: record.session_ids.clone(),
    })?;
    store.set_dream_status(&dream.id, crate::store::DreamStatus::Running, None)?;
    let u = remote.usage;
    let usage = Usage {
        input_tokens: u.input_tokens as i64,
        output_tokens: u.output_tokens as i64,
        cache_creation_input_tokens: u.cache_creation_input_tokens as i64,
        cache_read_input_tokens: u.cache_read_input_tokens as i64,
    };
    let user_prices = store.data_dir().join("prices.json");
    let cost = PriceTable::load(user_prices.exists().then_some(user_prices.as_path()))
        .unwrap_or_else(|_| PriceTable::built_in())
        .cost(
            &remote.model.id,
            &crate::provider::Usage {
                input_tokens: u.input_tokens,
                output_tokens: u.output_tokens,
                cache_creation_input_tokens: u.cache_creation_input_tokens,
                cache_read_input_tokens: u.cache_read_input_tokens,
                cache_creation_1h_input_tokens: 0,
            },
        )
        .unwrap_or(0.0);
    store.add_dream_usage(&dream.id, usage, cost)?;
    store.set_dream_progress(
        &dream.id,
        &json!({
            "phase": "done",
            "blocked": blocked,
            "managed_agents": {
                "dream_id": remote.id,
                "status": remote.status,
                "input_store_id": record.remote_store_id,
                "output_store_id": remote.output_store_id(),
                "session_id": remote.session_id,
                "remote_session_ids": record.remote_session_ids,
            },
        }),
    )?;
    match remote.status {
        DreamStatus::Completed => store.complete_dream(&dream.id, edits),
        DreamStatus::Canceled => store.set_dream_status(
            &dream.id,
            crate::store::DreamStatus::Canceled,
            Some(&format!(
                "Claude Managed Agents dream {} was canceled; memory was not changed",
                remote.id
            )),
        ),
        _ => {
            let why = remote
                .error
                .as_ref()
                .map(|e| format!("{}: {}", e.kind, e.message))
                .unwrap_or_else(|| "no reason given".into());
            store.set_dream_status(
                &dream.id,
                crate::store::DreamStatus::Failed,
                Some(&format!(
                    "Claude Managed Agents dream {} failed ({why}); memory was not changed",
                    remote.id
                )),
            )
        }
    }
}

fn blocked_of(dream: &Dream) -> Vec<BlockedEdit> {
    dream
        .progress
        .get("blocked")
        .and_then(|b| serde_json::from_value(b.clone()).ok())
        .unwrap_or_default()
}
