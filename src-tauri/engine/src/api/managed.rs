//! `managed.*`: the Claude Managed Agents bridge (see
//! `docs/managed-agents.md` for each call).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;

use super::{Api, ApiError, namespace};
use crate::managed_agents::{self as managed, Bridge, BridgeSettings, DreamStart};
use crate::store::DreamTrigger;

namespace! {
    "managed.status" => status(StatusParams),
    "managed.enable" => enable(BridgeSettings),
    "managed.disable" => disable(super::NoParams),
    "managed.push" => push(SyncParams),
    "managed.pull" => pull(SyncParams),
    "managed.conflicts" => conflicts(ConflictsParams),
    "managed.resolve_conflict" => resolve_conflict(IdParam),
    "managed.upload_sessions" => upload_sessions(UploadParams),
    "managed.dream_start" => dream_start(DreamStart),
    "managed.dream_status" => dream_status(IdParam),
    "managed.dream_cancel" => dream_cancel(IdParam),
    "managed.dream_import" => dream_import(IdParam),
    "managed.dreams" => dreams(super::NoParams),
}

fn open(api: &Api) -> Result<Bridge, ApiError> {
    Ok(Bridge::open(api.store.clone(), &api.keychain)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct StatusParams {
    /// Also ask the service whether it answers.
    #[serde(default)]
    check: bool,
}

async fn status(api: &Arc<Api>, p: StatusParams) -> Result<Value, ApiError> {
    let mut status = managed::status(&api.store, &api.keychain)?;
    if p.check {
        let checked = match open(api) {
            Ok(bridge) => bridge.check().await.map_err(ApiError::from),
            Err(e) => Err(e),
        };
        status.reachable = Some(checked.is_ok());
        status.check_error = checked.err().map(|e| e.message);
    }
    super::ok(status)
}

async fn enable(api: &Arc<Api>, p: BridgeSettings) -> Result<Value, ApiError> {
    managed::enable(&api.store, &p)?;
    super::ok(managed::status(&api.store, &api.keychain)?)
}

async fn disable(api: &Arc<Api>, _: super::NoParams) -> Result<Value, ApiError> {
    managed::disable(&api.store)?;
    super::ok(managed::status(&api.store, &api.keychain)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct SyncParams {
    store: String,
    #[serde(default)]
    remote: Option<String>,
}

async fn push(api: &Arc<Api>, p: SyncParams) -> Result<Value, ApiError> {
    super::ok(open(api)?.push(&p.store, p.remote.as_deref()).await?)
}

async fn pull(api: &Arc<Api>, p: SyncParams) -> Result<Value, ApiError> {
    super::ok(open(api)?.pull(&p.store, p.remote.as_deref()).await?)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ConflictsParams {
    store: String,
    #[serde(default)]
    include_resolved: bool,
}

async fn conflicts(api: &Arc<Api>, p: ConflictsParams) -> Result<Value, ApiError> {
    super::ok(managed::conflicts(&api.store, &p.store, p.include_resolved)?)
}

/// `{ "id": ... }`, refusing other fields (as the bridge always has).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct IdParam {
    id: String,
}

async fn resolve_conflict(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    super::ok(managed::resolve_conflict(&api.store, &p.id)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct UploadParams {
    session_ids: Vec<String>,
    #[serde(default)]
    force: bool,
}

async fn upload_sessions(api: &Arc<Api>, p: UploadParams) -> Result<Value, ApiError> {
    super::ok(open(api)?.upload_sessions(&p.session_ids, p.force).await?)
}

async fn dream_start(api: &Arc<Api>, p: DreamStart) -> Result<Value, ApiError> {
    super::ok(open(api)?.dream_start(&p).await?)
}

async fn dream_status(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    super::ok(open(api)?.dream_status(&p.id).await?)
}

async fn dream_cancel(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    super::ok(open(api)?.dream_cancel(&p.id).await?)
}

async fn dream_import(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    super::ok(open(api)?.dream_import(&p.id, DreamTrigger::Ui).await?)
}

async fn dreams(api: &Arc<Api>, _: super::NoParams) -> Result<Value, ApiError> {
    super::ok(managed::links::dream_records(&api.store)?)
}
