//! `models.*`: the models a picker offers, what a model can do, its price.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::keys::ProviderParam;
use super::{Api, ApiError, invalid, namespace};
use crate::provider::ProviderKind;

namespace! {
    "models.list" => list(ProviderParam),
    "models.capabilities" => capabilities(CapabilitiesParams),
    "models.price" => price(PriceParams),
}

/// The models a picker offers. Anthropic's come from the price table (with
/// their prices) plus any newer ones the API lists; an OpenAI-compatible
/// server's are the ones it lists (local servers name their own), then
/// those agents and Settings already use. The server is asked briefly; when
/// it cannot answer the list still comes back, with the reason in
/// `live_error`.
async fn list(api: &Arc<Api>, p: ProviderParam) -> Result<Value, ApiError> {
    let provider = p.provider;
    let providers = api.runtime.providers();
    let live = match providers.get(provider, &api.store) {
        Err(e) => Err(e.to_string()),
        Ok(p) => match tokio::time::timeout(Duration::from_secs(3), p.list_models()).await {
            Err(_) => Err("the server did not list its models within 3 s".to_string()),
            Ok(Err(e)) => Err(e.to_string()),
            Ok(Ok(ids)) => Ok(ids),
        },
    };
    let mut ids: Vec<String> = Vec::new();
    let mut add = |id: String| {
        if !id.trim().is_empty() && !ids.contains(&id) {
            ids.push(id);
        }
    };
    match provider {
        ProviderKind::Anthropic => {
            for m in providers.prices().models() {
                if m.model.starts_with("claude-") && !is_snapshot(&m.model) {
                    add(m.model.clone());
                }
            }
            for id in live.iter().flatten() {
                if !is_snapshot(id) {
                    add(id.clone());
                }
            }
        }
        ProviderKind::OpenAi => {
            for id in live.iter().flatten() {
                add(id.clone());
            }
            let s = &api.store;
            for key in ["defaults.model.openai", "provider.openai.test_model"] {
                if let Some(m) = s.setting(key)? {
                    add(m);
                }
            }
            for a in s.list_agents()? {
                if a.provider == ProviderKind::OpenAi {
                    add(a.model);
                }
            }
        }
    }
    let models: Vec<Value> = ids
        .iter()
        .map(|id| {
            let price = providers.prices().price(id);
            json!({
                "id": id,
                "input_usd_per_mtok": price.map(|m| m.input),
                "output_usd_per_mtok": price.map(|m| m.output),
            })
        })
        .collect();
    Ok(json!({
        "provider": provider,
        "models": models,
        "live": live.is_ok(),
        "live_error": live.err(),
    }))
}

/// A dated snapshot id (`claude-sonnet-4-20250514`): listed under its alias.
fn is_snapshot(model: &str) -> bool {
    model
        .rsplit_once('-')
        .is_some_and(|(_, tail)| tail.len() == 8 && tail.bytes().all(|b| b.is_ascii_digit()))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct CapabilitiesParams {
    provider: ProviderKind,
    model: String,
}

/// What the agent editor warns about: a context window to size to, and a
/// chat template that cannot call tools.
async fn capabilities(api: &Arc<Api>, p: CapabilitiesParams) -> Result<Value, ApiError> {
    let client = api
        .runtime
        .providers()
        .get(p.provider, &api.store)
        .map_err(|e| invalid(e.to_string()))?;
    let context = crate::provider::learn_context(client.as_ref(), &p.model).await;
    let tools = crate::provider::learn_tool_support(client.as_ref(), &p.model).await;
    Ok(json!({"context_tokens": context, "supports_tools": tools}))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct PriceParams {
    model: String,
}

/// A model's price from the price table, without asking any server (money
/// beside tokens in budgets); null when unknown.
async fn price(api: &Arc<Api>, p: PriceParams) -> Result<Value, ApiError> {
    let price = api.runtime.providers().prices().price(&p.model);
    Ok(match price {
        Some(m) => {
            json!({"model": p.model, "input_usd_per_mtok": m.input, "output_usd_per_mtok": m.output})
        }
        None => Value::Null,
    })
}
