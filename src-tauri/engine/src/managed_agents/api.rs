//! The bridge's calls in the engine's API table (`managed.*`), so the app's
//! window and `reverie serve` reach it like everything else. Only names and
//! parameters are mapped here; see `docs/managed-agents.md` for each call.

use std::sync::Arc;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::{Bridge, BridgeSettings, DreamStart};
use crate::Store;
use crate::api::ApiError;
use crate::keychain::Keychain;
use crate::store::DreamTrigger;

fn params<T: DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    Ok(serde_json::from_value(if v.is_null() {
        json!({})
    } else {
        v
    })?)
}

fn ok<T: serde::Serialize>(v: T) -> Result<Value, ApiError> {
    Ok(serde_json::to_value(v)?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SyncParams {
    store: String,
    #[serde(default)]
    remote: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdParam {
    id: String,
}

/// Runs one `managed.*` call.
pub async fn call(
    store: &Arc<Store>,
    keychain: &Keychain,
    method: &str,
    p: Value,
) -> Result<Value, ApiError> {
    let open = || Bridge::open(store.clone(), keychain);
    match method {
        "managed.status" => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct P {
                #[serde(default)]
                check: bool,
            }
            let P { check } = params(p)?;
            let mut status = super::status(store, keychain)?;
            if check {
                let checked = match open() {
                    Ok(bridge) => bridge.check().await,
                    Err(e) => Err(e),
                };
                status.reachable = Some(checked.is_ok());
                status.check_error = checked.err().map(|e| e.to_string());
            }
            ok(status)
        }
        "managed.enable" => {
            super::enable(store, &params::<BridgeSettings>(p)?)?;
            ok(super::status(store, keychain)?)
        }
        "managed.disable" => {
            super::disable(store)?;
            ok(super::status(store, keychain)?)
        }
        "managed.push" => {
            let SyncParams {
                store: name,
                remote,
            } = params(p)?;
            ok(open()?.push(&name, remote.as_deref()).await?)
        }
        "managed.pull" => {
            let SyncParams {
                store: name,
                remote,
            } = params(p)?;
            ok(open()?.pull(&name, remote.as_deref()).await?)
        }
        "managed.conflicts" => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct P {
                store: String,
                #[serde(default)]
                include_resolved: bool,
            }
            let P {
                store: name,
                include_resolved,
            } = params(p)?;
            ok(super::conflicts(store, &name, include_resolved)?)
        }
        "managed.resolve_conflict" => {
            ok(super::resolve_conflict(store, &params::<IdParam>(p)?.id)?)
        }
        "managed.upload_sessions" => {
            #[derive(Deserialize)]
            #[serde(deny_unknown_fields)]
            struct P {
                session_ids: Vec<String>,
                #[serde(default)]
                force: bool,
            }
            let P { session_ids, force } = params(p)?;
            ok(open()?.upload_sessions(&session_ids, force).await?)
        }
        "managed.dream_start" => ok(open()?.dream_start(&params::<DreamStart>(p)?).await?),
        "managed.dream_status" => ok(open()?.dream_status(&params::<IdParam>(p)?.id).await?),
        "managed.dream_cancel" => ok(open()?.dream_cancel(&params::<IdParam>(p)?.id).await?),
        "managed.dream_import" => ok(open()?
            .dream_import(&params::<IdParam>(p)?.id, DreamTrigger::Ui)
            .await?),
        "managed.dreams" => ok(super::links::dream_records(store)?),
        other => Err(ApiError {
            kind: "unknown_method",
            message: format!("the engine has no call named '{other}'"),
        }),
    }
}
