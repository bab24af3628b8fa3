//! `memory.*`: memory stores, their documents and versions, search, export
//! and the folder mirrors.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Api, ApiError, DocParams, IdParam, NoParams, StoreParam, invalid, namespace};
use crate::Error;
use crate::mirror::Mirror;
use crate::store::{MemoryStoreUpdate, NewMemoryStore, WriteMeta};

namespace! {
    "memory.stores" => stores(NoParams),
    "memory.create_store" => create_store(NewMemoryStore),
    "memory.update_store" => update_store(UpdateStore),
    "memory.list" => list(ListParams),
    "memory.read" => read(DocParams),
    "memory.write" => write(WriteParams),
    "memory.delete" => delete(DocParams),
    "memory.rename" => rename(RenameParams),
    "memory.history" => history(DocParams),
    "memory.restore" => restore(RestoreParams),
    "memory.pin" => pin(PinParams),
    "memory.redact" => redact(IdParam),
    "memory.redact_secrets" => redact_secrets(DocParams),
    "memory.search" => search(SearchParams),
    "memory.blame" => blame(BlameParams),
    "memory.line" => line(LineParams),
    "memory.export" => export(ExportParams),
    "memory.mirror_status" => mirror_status(StoreParam),
    "memory.mirror_enable" => mirror_enable(MirrorParams),
    "memory.mirror_disable" => mirror_disable(StoreParam),
    "memory.mirror_resolve" => mirror_resolve(IdParam),
}

async fn stores(api: &Arc<Api>, _: NoParams) -> Result<Value, ApiError> {
    super::ok(api.store.list_memory_stores()?)
}

async fn create_store(api: &Arc<Api>, p: NewMemoryStore) -> Result<Value, ApiError> {
    super::ok(api.store.create_memory_store(&p)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct UpdateStore {
    store: String,
    update: MemoryStoreUpdate,
}

async fn update_store(api: &Arc<Api>, p: UpdateStore) -> Result<Value, ApiError> {
    super::ok(api.store.update_memory_store(&p.store, &p.update)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ListParams {
    store: String,
    under: Option<String>,
}

async fn list(api: &Arc<Api>, p: ListParams) -> Result<Value, ApiError> {
    let s = &api.store;
    super::ok(s.list_documents(&s.memory_store(&p.store)?.id, p.under.as_deref())?)
}

async fn read(api: &Arc<Api>, p: DocParams) -> Result<Value, ApiError> {
    let s = &api.store;
    let (document, content) = s
        .read_document(&s.memory_store(&p.store)?.id, &p.path)?
        .ok_or_else(|| Error::not_found("document", p.path))?;
    Ok(json!({"document": document, "content": content}))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct WriteParams {
    store: String,
    path: String,
    content: String,
    #[serde(default)]
    reason: String,
    expected_sha256: Option<String>,
    /// The user confirmed saving text that looks like a secret.
    #[serde(default)]
    allow_secret: bool,
}

async fn write(api: &Arc<Api>, p: WriteParams) -> Result<Value, ApiError> {
    let s = &api.store;
    let mut meta = WriteMeta::user(if p.reason.is_empty() {
        "edited in the app".into()
    } else {
        p.reason
    });
    meta.expected_sha256 = p.expected_sha256;
    meta.allow_secrets = p.allow_secret;
    super::ok(s.write_document(&s.memory_store(&p.store)?.id, &p.path, &p.content, &meta)?)
}

async fn delete(api: &Arc<Api>, p: DocParams) -> Result<Value, ApiError> {
    let s = &api.store;
    let meta = WriteMeta::user("deleted in the app");
    super::ok(s.delete_document(&s.memory_store(&p.store)?.id, &p.path, &meta)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct RenameParams {
    store: String,
    from: String,
    to: String,
}

async fn rename(api: &Arc<Api>, p: RenameParams) -> Result<Value, ApiError> {
    let s = &api.store;
    let meta = WriteMeta::user("renamed in the app");
    super::ok(s.rename_document(&s.memory_store(&p.store)?.id, &p.from, &p.to, &meta)?)
}

async fn history(api: &Arc<Api>, p: DocParams) -> Result<Value, ApiError> {
    let s = &api.store;
    super::ok(s.document_history(&s.memory_store(&p.store)?.id, &p.path)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct RestoreParams {
    store: String,
    path: String,
    version: i64,
}

async fn restore(api: &Arc<Api>, p: RestoreParams) -> Result<Value, ApiError> {
    let s = &api.store;
    let store_id = s.memory_store(&p.store)?.id;
    super::ok(s.restore_document(&store_id, &p.path, p.version, &WriteMeta::user(""))?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct PinParams {
    store: String,
    path: String,
    pinned: bool,
}

async fn pin(api: &Arc<Api>, p: PinParams) -> Result<Value, ApiError> {
    let s = &api.store;
    super::ok(s.set_pinned(&s.memory_store(&p.store)?.id, &p.path, p.pinned)?)
}

async fn redact(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    super::ok(api.store.redact_version(&p.id)?)
}

async fn redact_secrets(api: &Arc<Api>, p: DocParams) -> Result<Value, ApiError> {
    let s = &api.store;
    let meta = WriteMeta::user("secrets removed");
    super::ok(s.redact_secrets(&s.memory_store(&p.store)?.id, &p.path, &meta)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct SearchParams {
    store: String,
    query: String,
}

async fn search(api: &Arc<Api>, p: SearchParams) -> Result<Value, ApiError> {
    let s = &api.store;
    super::ok(s.search_documents(&s.memory_store(&p.store)?.id, &p.query)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ExportParams {
    store: String,
    /// The folder (or zip file) to write.
    #[serde(default)]
    dir: String,
    #[serde(default)]
    zip: bool,
    /// A zip in the Downloads folder, under a free name.
    #[serde(default)]
    to_downloads: bool,
}

/// Writes a store's current documents as files; off the async threads.
async fn export(api: &Arc<Api>, p: ExportParams) -> Result<Value, ApiError> {
    let store = api.store.clone();
    if p.to_downloads {
        let downloads = crate::downloads::folder()?;
        return Api::blocking(move || {
            super::ok(crate::memory_export::export_zip_into(
                &store, &p.store, &downloads,
            )?)
        })
        .await;
    }
    if p.dir.trim().is_empty() {
        return Err(invalid("give the folder (or zip file) to export to"));
    }
    Api::blocking(move || {
        let dir = std::path::Path::new(p.dir.trim());
        super::ok(crate::memory_export::export_store(
            &store, &p.store, dir, p.zip,
        )?)
    })
    .await
}

// ---- Folder mirrors ----

/// Turns a mirror's notice into the window's `mirror` event.
fn mirror_event(store_id: &str, event: impl serde::Serialize) -> Value {
    let mut v = serde_json::to_value(event).unwrap_or(Value::Null);
    v["type"] = json!("mirror");
    v["store_id"] = json!(store_id);
    v
}

async fn mirror_status(api: &Arc<Api>, p: StoreParam) -> Result<Value, ApiError> {
    let s = &api.store;
    let store = s.memory_store(&p.store)?;
    let running = api
        .mirrors
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&store.id)
        .is_some_and(|h| h.is_running());
    // The Managed Agents bridge keeps its conflicts in the same table.
    let conflicts: Vec<_> = s
        .mirror_conflicts(&store.id, false)?
        .into_iter()
        .filter(|c| !c.dir.starts_with(crate::managed_agents::PEER_PREFIX))
        .collect();
    Ok(json!({"dir": store.mirror_dir, "running": running, "conflicts": conflicts}))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct MirrorParams {
    store: String,
    dir: String,
}

async fn mirror_enable(api: &Arc<Api>, p: MirrorParams) -> Result<Value, ApiError> {
    let s = &api.store;
    if p.dir.trim().is_empty() || !std::path::Path::new(p.dir.trim()).is_absolute() {
        return Err(invalid(
            "give the full path of a folder, like /home/you/Notes/memory",
        ));
    }
    let memory_store = s.memory_store(&p.store)?;
    // A mirror already running here is stopped first (another folder, or a restart).
    let old = api
        .mirrors
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&memory_store.id);
    // The mirror holds the event channel, not the API, so dropping the API stops it.
    let (shared, events, store_id) = (s.clone(), api.events.clone(), memory_store.id.clone());
    let dir = std::path::PathBuf::from(p.dir.trim());
    // The first sync runs before this returns; keep it off the async threads.
    let handle = Api::blocking(move || {
        drop(old);
        let name = store_id.clone();
        Ok(Mirror::new(shared, &store_id, &dir)?.spawn(move |event| {
            let _ = events.send(mirror_event(&name, event));
        })?)
    })
    .await?;
    let folder = handle.dir().to_string_lossy().to_string();
    s.update_memory_store(
        &memory_store.id,
        &MemoryStoreUpdate {
            mirror_dir: Some(Some(folder.clone())),
            ..Default::default()
        },
    )?;
    api.mirrors
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(memory_store.id.clone(), handle);
    Ok(json!({"dir": folder, "running": true}))
}

async fn mirror_disable(api: &Arc<Api>, p: StoreParam) -> Result<Value, ApiError> {
    let s = &api.store;
    let store = s.memory_store(&p.store)?;
    let handle = api
        .mirrors
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&store.id);
    // Stopping waits for a sync in progress.
    Api::blocking(move || {
        drop(handle);
        Ok(())
    })
    .await?;
    s.update_memory_store(
        &store.id,
        &MemoryStoreUpdate {
            mirror_dir: Some(None),
            ..Default::default()
        },
    )?;
    Ok(json!({"dir": null, "running": false}))
}

async fn mirror_resolve(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    super::ok(api.store.resolve_mirror_conflict(&p.id)?)
}

/// Starts the folder mirrors the stores are configured with. A mirror that
/// cannot start (its folder is missing, another process mirrors it) is
/// reported as a `mirror` event with `event: "error"`; the others run until
/// the API is dropped. Returns how many started.
pub(super) async fn start_configured_mirrors(api: &Arc<Api>) -> Result<usize, ApiError> {
    let (store, events) = (api.store.clone(), api.events.clone());
    let started = Api::blocking(move || {
        Ok(crate::mirror::start_configured(&store, move |memory_store, event| {
            let _ = events.send(mirror_event(&memory_store.id, event));
        })?)
    })
    .await?;
    let mut count = 0;
    for (memory_store, handle) in started {
        match handle {
            Ok(handle) => {
                count += 1;
                api.mirrors
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(memory_store.id.clone(), handle);
            }
            Err(e) => api.emit(json!({"type": "mirror", "event": "error",
                "store_id": memory_store.id, "message": e.to_string()})),
        }
    }
    Ok(count)
}

// ---- Receipts: who wrote each line ----

#[derive(Deserialize, schemars::JsonSchema)]
struct BlameParams {
    store: String,
    path: String,
    /// A version number; the current text when left out.
    #[serde(default)]
    version: Option<i64>,
}

/// Each line of a document (at a version) with who wrote it.
fn blame_view(api: &Api, store_id: &str, path: &str, version: Option<i64>) -> Result<Value, ApiError> {
    let s = &api.store;
    let (shown, lines) = crate::receipts::blame_at(s, store_id, path, version)?;
    let mut agents: std::collections::HashMap<String, Option<String>> = Default::default();
    let lines: Vec<Value> = lines
        .into_iter()
        .map(|l| {
            // The agent that wrote the line: through its session, or the dream's agent.
            let agent = match (&l.session_id, &l.dream_id) {
                (Some(id), _) => agents
                    .entry(id.clone())
                    .or_insert_with(|| s.session(id).ok().map(|s| s.agent_name))
                    .clone(),
                (None, Some(id)) => agents
                    .entry(id.clone())
                    .or_insert_with(|| {
                        let dream = s.dream(id).ok()?;
                        s.agent(&dream.agent_id).ok().map(|a| a.name)
                    })
                    .clone(),
                _ => None,
            };
            json!({
                "line": l.line, "text": l.text, "version": l.seq, "version_id": l.version_id,
                "at": l.written_at, "reason": l.reason.unwrap_or_default(), "pinned": l.pinned,
                "author": {
                    "kind": l.author.map(|a| a.as_str()),
                    "session_id": l.session_id, "dream_id": l.dream_id, "agent": agent,
                },
            })
        })
        .collect();
    Ok(json!({"path": crate::memory_path::normalize(path)?, "version": shown, "lines": lines}))
}

async fn blame(api: &Arc<Api>, p: BlameParams) -> Result<Value, ApiError> {
    let store_id = api.store.memory_store(&p.store)?.id;
    blame_view(api, &store_id, &p.path, p.version)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
enum LineAction {
    Correct,
    Forget,
    Pin,
    Unpin,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct LineParams {
    store: String,
    path: String,
    /// 1-based.
    line: usize,
    /// The line's text as the person saw it: the action is refused when
    /// the line has changed since.
    expected: String,
    action: LineAction,
    /// The corrected text (for `correct`).
    #[serde(default)]
    text: Option<String>,
}

/// Correct, forget, pin or unpin one line; answers with the new blame.
async fn line(api: &Arc<Api>, p: LineParams) -> Result<Value, ApiError> {
    let s = &api.store;
    let store_id = s.memory_store(&p.store)?.id;
    let (_, content) = s
        .read_document(&store_id, &p.path)?
        .ok_or_else(|| Error::not_found("document", p.path.clone()))?;
    if content.lines().nth(p.line.wrapping_sub(1)) != Some(p.expected.as_str()) {
        return Err(Error::Conflict(format!(
            "line {} of {} has changed since you opened it; look again and retry",
            p.line, p.path
        ))
        .into());
    }
    use crate::receipts as b;
    match p.action {
        LineAction::Correct => {
            let text = p
                .text
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| invalid("write the corrected line (to remove it, forget it instead)"))?;
            b::correct_line(s, &store_id, &p.path, p.line, &text)?;
        }
        LineAction::Forget => {
            b::forget_line(s, &store_id, &p.path, p.line)?;
        }
        LineAction::Pin | LineAction::Unpin => {
            b::pin_line(s, &store_id, &p.path, p.line, matches!(p.action, LineAction::Pin))?;
        }
    }
    blame_view(api, &store_id, &p.path, None)
}
