//! The product side of providers: the model list a picker shows and the
//! connection test Settings runs. What differs per provider comes from its
//! [`Spec`](super::Spec): a hosted catalogue lists the price table's models
//! and hides dated snapshots; a local server lists what it serves plus the
//! models the user named (Settings, agents).
//!
//! It reads Settings and the agents' models through [`Settings`], never writes anything,
//! and never names a provider.

use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{Message, ModelRequest, ProviderKind, ProviderRegistry};
use super::Settings;

/// One model of a list, with its price per million tokens when known.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ListedModel {
    pub id: String,
    pub input_usd_per_mtok: Option<f64>,
    pub output_usd_per_mtok: Option<f64>,
}

/// The models to offer for a provider. `live` says whether the server
/// answered; `live_error` why not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelList {
    pub provider: ProviderKind,
    pub models: Vec<ListedModel>,
    pub live: bool,
    pub live_error: Option<String>,
}

/// The result of a connection test, as Settings shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionTest {
    pub ok: bool,
    pub message: String,
}

/// Longest wait for a server to list its models.
const LIST_WAIT: Duration = Duration::from_secs(3);

/// A dated snapshot id (`claude-haiku-4-5-20251001`), hidden from pickers
/// in favour of its alias.
pub fn is_snapshot(model: &str) -> bool {
    model
        .rsplit_once('-')
        .is_some_and(|(_, tail)| tail.len() == 8 && tail.bytes().all(|b| b.is_ascii_digit()))
}

/// The models to offer for `kind`: the server's own list (asked for at
/// most 3 s) merged with the catalogue or the user's saved models, each
/// once, priced from the price table.
pub async fn list(
    providers: &ProviderRegistry,
    store: &dyn Settings,
    kind: ProviderKind,
) -> crate::Result<ModelList> {
    let spec = kind.spec();
    let live = match providers.get(kind, store) {
        Err(e) => Err(e.to_string()),
        Ok(p) => match tokio::time::timeout(LIST_WAIT, p.list_models()).await {
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
    if let Some(prefix) = spec.catalogue_prefix {
        for m in providers.prices().models() {
            if m.model.starts_with(prefix) && !is_snapshot(&m.model) {
                add(m.model.clone());
            }
        }
    }
    for id in live.iter().flatten() {
        if spec.catalogue_prefix.is_none() || !is_snapshot(id) {
            add(id.clone());
        }
    }
    if spec.local {
        for key in [
            format!("defaults.model.{}", spec.name),
            test_model_setting(kind),
        ] {
            if let Some(m) = store.setting(&key)? {
                add(m);
            }
        }
        for model in store.models_in_use(kind)? {
            add(model);
        }
    }
    let prices = providers.prices();
    let models = ids
        .into_iter()
        .map(|id| {
            let price = prices.price(&id);
            ListedModel {
                input_usd_per_mtok: price.map(|m| m.input),
                output_usd_per_mtok: price.map(|m| m.output),
                id,
            }
        })
        .collect();
    Ok(ModelList {
        provider: kind,
        live: live.is_ok(),
        live_error: live.err(),
        models,
    })
}

/// The setting naming a local server's test model.
pub fn test_model_setting(kind: ProviderKind) -> String {
    format!("provider.{}.test_model", kind.as_str())
}

/// Forgets built providers (Settings may have just changed), then asks the
/// provider's test model for a five-token reply.
pub async fn test_connection(
    providers: &ProviderRegistry,
    store: &dyn Settings,
    kind: ProviderKind,
) -> crate::Result<ConnectionTest> {
    providers.reset();
    let provider = match providers.get(kind, store) {
        Ok(p) => p,
        Err(e) => {
            return Ok(ConnectionTest {
                ok: false,
                message: e.to_string(),
            });
        }
    };
    let spec = kind.spec();
    let model = if spec.local {
        store
            .setting(&test_model_setting(kind))?
            .unwrap_or_else(|| spec.test_model.to_string())
    } else {
        spec.test_model.to_string()
    };
    let mut request = ModelRequest::new(model, vec![Message::user("Reply with OK.")]);
    request.max_tokens = 5;
    let cancel = CancellationToken::new();
    Ok(
        match provider.stream_turn(&request, &cancel, &mut |_| {}).await {
            Ok(_) => ConnectionTest {
                ok: true,
                message: "Connected.".into(),
            },
            Err(e) => ConnectionTest {
                ok: false,
                message: e.to_string(),
            },
        },
    )
}

#[cfg(test)]
mod tests {
    use super::is_snapshot;

    #[test]
    fn snapshots_are_dated_ids() {
        assert!(is_snapshot("claude-haiku-4-5-20251001"));
        assert!(!is_snapshot("claude-haiku-4-5"));
        assert!(!is_snapshot("llama3.2"));
    }
}
