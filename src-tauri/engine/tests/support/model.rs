//! A runtime over a test's store that talks to a fresh fake model server on
//! loopback, with retries short enough for tests.

use std::sync::Arc;
use std::time::Duration;

use reverie_engine::Store;
use reverie_engine::provider::{ProviderConfig, ProviderKind, RetryPolicy};
use reverie_engine::runtime::Runtime;
use reverie_fake_model::FakeModelServer;
use secrecy::SecretString;

pub async fn runtime_on_fake_server(
    store: Arc<Store>,
    max_retries: u32,
) -> (FakeModelServer, Runtime) {
    let server = FakeModelServer::start().await.unwrap();
    let runtime = Runtime::new(store).unwrap();
    let config = ProviderConfig::new(
        server.url(),
        Some(SecretString::from("sk-ant-test".to_string())),
    )
    .with_retry(RetryPolicy {
        max_retries,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(20),
        ..RetryPolicy::default()
    });
    runtime
        .providers()
        .configure(ProviderKind::Anthropic, config)
        .unwrap();
    (server, runtime)
}
