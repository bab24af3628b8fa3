//! Drives every request the Claude Managed Agents bridge makes (memory
//! stores and memories, sessions, dreams) through the fake model server and
//! writes what the server received to
//! `target/contract/managed_agents_requests.json` (or
//! `$REVERIE_CONTRACT_DIR`). `tests/contract/check.sh` then validates the
//! bodies and queries against the official `anthropic` package's param
//! types, strictly, and the beta headers against the ones it sends.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reverie_engine::Store;
use reverie_engine::managed_agents::{self as managed, Bridge, BridgeSettings, DreamStart};
use reverie_engine::provider::ProviderKind;
use reverie_engine::store::*;
use reverie_fake_model::{DreamScript, FakeModelServer};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

fn out_dir() -> PathBuf {
    std::env::var_os("REVERIE_CONTRACT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/contract"))
}

#[tokio::test]
async fn every_bridge_request_is_recorded_for_the_contract_check() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let agent = store
        .create_agent(&NewAgent {
            name: "helper".into(),
            provider: ProviderKind::Anthropic,
            model: "claude-sonnet-4-5".into(),
            system_prompt: String::new(),
            tools: vec![],
        })
        .unwrap();
    let store_id = agent.default_store().unwrap().store_id.clone();
    let server = FakeModelServer::start().await.unwrap();
    managed::enable(
        &store,
        &BridgeSettings {
            base_url: Some(server.url()),
            agent_id: Some("agent_contract".into()),
            environment_id: Some("env_contract".into()),
            dream_model: Some("claude-opus-4-7".into()),
        },
    )
    .unwrap();
    let write = |path: &str, content: &str| {
        store
            .write_document(&store_id, path, content, &WriteMeta::user("contract"))
            .unwrap();
    };
    let bridge = Bridge::open_with_key(
        store.clone(),
        SecretString::from("sk-ant-contract".to_string()),
    )
    .unwrap();

    write("/memories/a.md", "A\n");
    write("/memories/b.md", "B\n");
    let remote = bridge.push("helper", None).await.unwrap().remote_store_id;
    write("/memories/a.md", "A2\n");
    store
        .delete_document(&store_id, "/memories/b.md", &WriteMeta::user("contract"))
        .unwrap();
    bridge.push("helper", None).await.unwrap();
    server.managed_write(&remote, "/c.md", "C\n").unwrap();
    bridge.pull("helper", None).await.unwrap();

    let session = store
        .create_session(&NewSession {
            agent_id: agent.id.clone(),
            task: "A task".into(),
            parent_id: None,
        })
        .unwrap();
    store
        .append_events(
            &session.id,
            &[NewEvent::new(
                EventKind::UserMessage,
                json!({"turn": 0, "text": "A task"}),
            )],
        )
        .unwrap();
    store
        .finish_session(&session.id, SessionStatus::Completed, Some("ok"), None)
        .unwrap();

    server.script_dream(DreamScript::completed(&[("/d.md", "D\n")], &[]));
    let started = bridge
        .dream_start(&DreamStart {
            store: "helper".into(),
            session_ids: vec![session.id.clone()],
            instructions: Some("Keep it short.".into()),
            model: None,
        })
        .await
        .unwrap();
    let id = started.remote.id;
    bridge
        .dream_wait(
            &id,
            Duration::from_millis(5),
            &CancellationToken::new(),
            |_| {},
        )
        .await
        .unwrap();
    bridge.dream_import(&id, DreamTrigger::Cli).await.unwrap();
    server.script_dream(DreamScript::stuck());
    let stuck = bridge
        .dream_start(&DreamStart {
            store: "helper".into(),
            session_ids: vec![session.id.clone()],
            ..DreamStart::default()
        })
        .await
        .unwrap();
    bridge.dream_cancel(&stuck.remote.id).await.unwrap();
    bridge.dream_status(&stuck.remote.id).await.unwrap();

    let dump: Vec<Value> = server
        .requests()
        .into_iter()
        .map(|r| {
            // The key is a test key, but keep the habit: never write one.
            let headers: serde_json::Map<String, Value> = r
                .headers
                .into_iter()
                .map(|(k, v)| {
                    let v = if k == "x-api-key" { "<redacted>".into() } else { v };
                    (k, Value::String(v))
                })
                .collect();
            json!({"method": r.method, "path": r.path, "query": r.query, "headers": headers, "body": r.body})
        })
        .collect();
    let kinds: std::collections::BTreeSet<(String, String)> = dump
        .iter()
        .map(|r| {
            let path = r["path"].as_str().unwrap();
            let shape: Vec<&str> = path
                .split('/')
                .map(|s| if s.contains("_fake") { "{id}" } else { s })
                .collect();
            (r["method"].as_str().unwrap().to_string(), shape.join("/"))
        })
        .collect();
    // Every endpoint the bridge uses is in the dump.
    for (method, path) in [
        ("POST", "/v1/memory_stores"),
        ("GET", "/v1/memory_stores/{id}"),
        ("GET", "/v1/memory_stores/{id}/memories"),
        ("POST", "/v1/memory_stores/{id}/memories"),
        ("GET", "/v1/memory_stores/{id}/memories/{id}"),
        ("POST", "/v1/memory_stores/{id}/memories/{id}"),
        ("DELETE", "/v1/memory_stores/{id}/memories/{id}"),
        ("POST", "/v1/sessions"),
        ("POST", "/v1/dreams"),
        ("GET", "/v1/dreams/{id}"),
        ("POST", "/v1/dreams/{id}/cancel"),
    ] {
        assert!(
            kinds.contains(&(method.to_string(), path.to_string())),
            "no {method} {path} in {kinds:?}"
        );
    }
    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("managed_agents_requests.json"),
        serde_json::to_string_pretty(&dump).unwrap(),
    )
    .unwrap();
}
