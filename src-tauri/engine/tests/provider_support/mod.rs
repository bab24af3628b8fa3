//! Shared set-up for the provider tests: providers pointed at a fake model
//! server over real HTTP, with quick retries so fault tests stay fast.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use reverie_engine::provider::*;
use reverie_fake_model::FakeModelServer;
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

pub const KEY: &str = "sk-ant-test-0123456789";

pub fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(40),
        max_retry_after: Duration::from_secs(5),
    }
}

pub fn config(base_url: String) -> ProviderConfig {
    ProviderConfig::new(base_url, Some(SecretString::from(KEY))).with_retry(quick_retries())
}

pub fn anthropic(server: &FakeModelServer) -> AnthropicProvider {
    AnthropicProvider::new(config(server.url()), Arc::new(PriceTable::built_in())).unwrap()
}

pub fn openai(server: &FakeModelServer) -> OpenAiProvider {
    OpenAiProvider::new(
        config(server.openai_url()),
        Arc::new(PriceTable::built_in()),
    )
    .unwrap()
}

/// Run a turn, collecting every event.
pub async fn turn(
    provider: &dyn Provider,
    request: &ModelRequest,
) -> (Result<ModelResponse, ProviderError>, Vec<StreamEvent>) {
    let mut events = Vec::new();
    let result = provider
        .stream_turn(request, &CancellationToken::new(), &mut |e| events.push(e))
        .await;
    (result, events)
}

pub fn request(text: &str) -> ModelRequest {
    ModelRequest::new("claude-haiku-4-5", vec![Message::user(text)])
}

/// Text relayed through deltas since the last `Retrying` event, as a caller
/// that discards a failed attempt would see it.
pub fn streamed_text(events: &[StreamEvent]) -> String {
    let start = events
        .iter()
        .rposition(|e| matches!(e, StreamEvent::Retrying { .. }))
        .map_or(0, |i| i + 1);
    events[start..]
        .iter()
        .filter_map(|e| match e {
            StreamEvent::TextDelta { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}
