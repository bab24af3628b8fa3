//! `settings.*`: the app's settings (provider addresses, defaults, ...).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Api, ApiError, namespace};
use crate::provider::ProviderKind;

namespace! {
    "settings.get" => get(KeyParam),
    "settings.set" => set(SetParams),
}

#[derive(Deserialize, schemars::JsonSchema)]
struct KeyParam {
    key: String,
}

async fn get(api: &Arc<Api>, p: KeyParam) -> Result<Option<String>, ApiError> {
    Ok(api.store.setting(&p.key)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct SetParams {
    key: String,
    value: String,
    /// The person agreed that the saved key may go to the new address.
    #[serde(default)]
    confirm_key_host: bool,
}

async fn set(api: &Arc<Api>, p: SetParams) -> Result<Value, ApiError> {
    let s = &api.store;
    // A new provider address: the saved key follows only when confirmed.
    let kind = ProviderKind::ALL
        .iter()
        .copied()
        .find(|k| p.key == crate::provider::configured::base_url_setting(*k));
    if let Some(kind) = kind {
        let saved_key = matches!(api.keychain.get(kind.as_str()), Ok(Some(_)));
        if let Some(host) = crate::provider::key_host::needs_confirmation(s, kind, &p.value)
            && saved_key
        {
            if !p.confirm_key_host {
                return Err(ApiError {
                    kind: "needs_confirmation",
                    message: format!(
                        "Your API key will be sent to {host}. Only continue if you trust that server."
                    ),
                });
            }
            crate::provider::key_host::allow(s, kind, &p.value)?;
        }
    }
    s.set_setting(&p.key, &p.value)?;
    if p.key.starts_with("provider.") {
        api.runtime.providers().reset();
    }
    Ok(json!({"saved": true}))
}
