//! Shared setup for the dream tests: a real store in a temp folder, the
//! fake model server on loopback, and helpers that record finished sessions
//! and script the model's structured answers.
#![allow(dead_code)]

#[path = "../support/model.rs"]
mod model;

use std::collections::BTreeMap;
use std::sync::Arc;

use reverie_engine::Store;
use reverie_engine::dream::Dreamer;
use reverie_engine::dream::review::{FINDINGS_TOOL, PROPOSAL_TOOL};
use reverie_engine::provider::ProviderKind;
use reverie_engine::runtime::Runtime;
use reverie_engine::store::*;
use reverie_fake_model::{Conditions, FakeModelServer, Reply, Rule};
use serde_json::{Value, json};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub server: FakeModelServer,
    pub runtime: Arc<Runtime>,
    pub dreamer: Arc<Dreamer>,
    pub agent: Agent,
}

impl Env {
    /// Runs a dream of `helper` over its new sessions to the end.
    pub async fn dream(
        &self,
        trigger: DreamTrigger,
    ) -> reverie_engine::Result<reverie_engine::dream::DreamReport> {
        self.dreamer
            .run(
                reverie_engine::dream::DreamRequest::new("helper", trigger),
                tokio_util::sync::CancellationToken::new(),
                reverie_engine::dream::DreamProgressSink::none(),
            )
            .await
    }

    pub fn store(&self) -> &Arc<Store> {
        self.runtime.store()
    }
    pub fn store_id(&self) -> String {
        self.agent.default_store().unwrap().store_id.clone()
    }
    /// Every live document and its exact content.
    pub fn memory(&self) -> BTreeMap<String, String> {
        let store = self.store();
        store
            .list_documents(&self.store_id(), None)
            .unwrap()
            .into_iter()
            .map(|d| {
                let (_, content) = store
                    .read_document(&self.store_id(), &d.path)
                    .unwrap()
                    .unwrap();
                (d.path, content)
            })
            .collect()
    }
    pub fn write(&self, path: &str, content: &str) {
        self.store()
            .write_document(&self.store_id(), path, content, &WriteMeta::user("test"))
            .unwrap();
    }
}

pub async fn setup() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let agent = store
        .create_agent(&NewAgent {
            name: "helper".into(),
            provider: ProviderKind::Anthropic,
            model: "claude-sonnet-4-5".into(),
            system_prompt: "You are a careful assistant.".into(),
            tools: vec!["memory".into()],
        })
        .unwrap();
    let (server, runtime) = model::runtime_on_fake_server(store, 1).await;
    let runtime = Arc::new(runtime);
    let dreamer = Arc::new(reverie_engine::eval::dreamer(runtime.clone()));
    Env {
        dir,
        server,
        runtime,
        dreamer,
        agent,
    }
}

/// Records a finished session: the task, then `steps` as (kind, data).
pub fn session(store: &Store, agent: &Agent, task: &str, steps: &[(EventKind, Value)]) -> String {
    let s = store
        .create_session(&NewSession {
            agent_id: agent.id.clone(),
            task: task.into(),
            parent_id: None,
        })
        .unwrap();
    let mut events = vec![NewEvent::new(
        EventKind::UserMessage,
        json!({"turn": 0, "text": task}),
    )];
    events.extend(steps.iter().map(|(k, d)| NewEvent::new(*k, d.clone())));
    store.append_events(&s.id, &events).unwrap();
    store
        .finish_session(&s.id, SessionStatus::Completed, Some("done"), None)
        .unwrap();
    s.id
}

/// A session in which `cargo test` fails the same way.
pub fn failing_test_session(store: &Store, agent: &Agent, n: usize) -> String {
    session(
        store,
        agent,
        &format!("Run the tests of crate number {n}"),
        &[
            (
                EventKind::ToolCall,
                json!({"name": "shell", "input": {"cmd": "cargo test"}}),
            ),
            (
                EventKind::ToolResult,
                json!({"name": "shell", "is_error": true, "content": "error: could not find `Cargo.toml` in `/repo/src` — run from the workspace root"}),
            ),
            (
                EventKind::AssistantText,
                json!({"text": "I ran cargo test from the wrong folder again; retrying from the root."}),
            ),
        ],
    )
}

pub fn proposal(edits: Value) -> Reply {
    Reply::tool_use("toolu_p", PROPOSAL_TOOL, json!({ "edits": edits }))
}

pub fn findings(findings: Value) -> Reply {
    Reply::tool_use("toolu_f", FINDINGS_TOOL, json!({ "findings": findings }))
}

/// Answers every reduce (proposal) request with `reply`.
pub fn on_reduce(server: &FakeModelServer, reply: Reply, times: Option<u32>) {
    server.add_rule(Rule {
        when: Conditions {
            system_contains: Some(PROPOSAL_TOOL.into()),
            ..Conditions::default()
        },
        reply,
        times,
    });
}

/// Answers every map (findings) request with `reply`.
pub fn on_map(server: &FakeModelServer, reply: Reply) {
    server.add_rule(Rule {
        when: Conditions {
            system_contains: Some(FINDINGS_TOOL.into()),
            ..Conditions::default()
        },
        reply,
        times: None,
    });
}
