//! `models.*`: the models a picker offers, what a model can do, its price.

use std::sync::Arc;

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

/// The models a picker offers, priced; the server is asked briefly and
/// the list still comes back when it cannot answer (see
/// [`crate::provider::models::list`]).
async fn list(
    api: &Arc<Api>,
    p: ProviderParam,
) -> Result<crate::provider::models::ModelList, ApiError> {
    Ok(crate::provider::models::list(api.runtime.providers(), &api.store, p.provider).await?)
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
