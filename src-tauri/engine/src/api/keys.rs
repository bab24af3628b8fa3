//! `keys.*`: model API keys in the OS keychain (never returned, only a hint)
//! and the connection test.

use std::sync::Arc;

use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Api, ApiError, namespace};
use crate::provider::ProviderKind;

namespace! {
    "keys.status" => status(ProviderParam),
    "keys.set" => set(SetParams),
    "keys.delete" => delete(ProviderParam),
    "keys.test" => test(ProviderParam),
}

/// `{ "provider": "anthropic" | "openai" }`.
#[derive(Deserialize, schemars::JsonSchema)]
pub(super) struct ProviderParam {
    pub(super) provider: ProviderKind,
}

/// Where a key was found, never the key.
async fn status(api: &Arc<Api>, p: ProviderParam) -> Result<Value, ApiError> {
    let provider = p.provider;
    Ok(match api.keychain.resolve(provider.as_str()) {
        Ok(Some((key, source))) => {
            json!({"provider": provider, "available": true, "source": source, "hint": crate::keychain::hint(&key)})
        }
        Ok(None) => json!({"provider": provider, "available": false, "source": null}),
        Err(e) => {
            json!({"provider": provider, "available": false, "source": null, "error": e.to_string()})
        }
    })
}

#[derive(Deserialize, schemars::JsonSchema)]
struct SetParams {
    provider: ProviderKind,
    key: String,
}

async fn set(api: &Arc<Api>, p: SetParams) -> Result<Value, ApiError> {
    let s = &api.store;
    api.keychain
        .set(p.provider.as_str(), &SecretString::from(p.key))?;
    // A key goes to the address in force when it was saved.
    crate::provider::key_host::bind(s, p.provider, &crate::provider::key_host::url_in_force(s, p.provider))?;
    api.runtime.providers().reset();
    Ok(json!({"stored": true}))
}

async fn delete(api: &Arc<Api>, p: ProviderParam) -> Result<Value, ApiError> {
    let removed = api.keychain.delete(p.provider.as_str())?;
    api.runtime.providers().reset();
    Ok(json!({"removed": removed}))
}

/// Sends the smallest possible request with the configured key.
async fn test(
    api: &Arc<Api>,
    p: ProviderParam,
) -> Result<crate::provider::models::ConnectionTest, ApiError> {
    Ok(
        crate::provider::models::test_connection(api.runtime.providers(), &api.store, p.provider)
            .await?,
    )
}
