//! Sends one request of every shape the providers can produce through the
//! fake model server and writes what the server received to
//! `target/contract/{anthropic,openai}_requests.json` (or
//! `$REVERIE_CONTRACT_DIR`). `tests/contract/check.sh` then validates those
//! bodies against the official `anthropic` and `openai` Python packages'
//! request types, so neither the client nor the fake server can drift from
//! the public API.

mod provider_support;

use std::path::PathBuf;

use provider_support::*;
use reverie_engine::provider::*;
use reverie_fake_model::{Block, FakeModelServer, Reply, Rule};
use serde_json::{Value, json};

fn requests() -> Vec<ModelRequest> {
    let tool = Tool {
        name: "memory".into(),
        description: Some("View and edit memory documents".into()),
        input_schema: json!({"type": "object", "properties": {"command": {"type": "string", "enum": ["view", "create"]}, "path": {"type": "string"}}, "required": ["command", "path"]}),
        native_type: None,
    };
    let mut plain = ModelRequest::new("claude-haiku-4-5", vec![Message::user("Hello")]);
    plain.cache = CachePolicy::Off;

    let mut full = ModelRequest::new(
        "claude-sonnet-4-5",
        vec![
            Message::user("Remember that I like tea."),
            Message::assistant(vec![
                ContentBlock::Thinking {
                    thinking: "Store it.".into(),
                    signature: "sig-xyz".into(),
                },
                ContentBlock::text("Saving."),
                ContentBlock::ToolUse {
                    id: "toolu_1".into(),
                    name: "memory".into(),
                    input: json!({"command": "create", "path": "/memories/prefs.md"}),
                },
            ]),
            Message {
                role: Role::User,
                content: vec![
                    ContentBlock::tool_result("toolu_1", "created", false),
                    ContentBlock::tool_result("toolu_2", "no such file", true),
                    ContentBlock::text("Thanks"),
                ],
            },
            Message::assistant(vec![
                ContentBlock::RedactedThinking {
                    data: "opaque".into(),
                },
                ContentBlock::text("Done."),
            ]),
            Message::user("And coffee?"),
        ],
    );
    full.system = Some("You are a careful assistant.".into());
    full.tools = vec![tool.clone()];
    full.tool_choice = Some(ToolChoice::Tool {
        name: "memory".into(),
    });
    full.thinking = Some(Thinking::Enabled {
        budget_tokens: 1024,
    });
    full.stop_sequences = vec!["</done>".into()];
    full.metadata = Some(Metadata {
        user_id: Some("u-123".into()),
    });
    full.temperature = Some(1.0);
    let mut adaptive = ModelRequest::new("claude-opus-4-6", vec![Message::user("Think as needed")]);
    adaptive.thinking = Some(Thinking::Adaptive);
    full.max_tokens = 2048;
    full.cache = CachePolicy::AutoOneHour;

    let mut choices = Vec::new();
    for choice in [ToolChoice::Auto, ToolChoice::Any, ToolChoice::None] {
        let mut r = ModelRequest::new("claude-opus-4-5", vec![Message::user("Use a tool")]);
        r.tools = vec![tool.clone()];
        r.tool_choice = Some(choice);
        choices.push(r);
    }
    let mut whole = plain.clone();
    whole.stream = false;
    whole.thinking = Some(Thinking::Disabled);

    let mut all = vec![plain, full, whole, adaptive];
    all.extend(choices);
    all
}

fn out_dir() -> PathBuf {
    std::env::var_os("REVERIE_CONTRACT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/contract"))
}

fn write(name: &str, requests: Vec<reverie_fake_model::RecordedRequest>) {
    let dir = out_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let dump: Vec<Value> = requests
        .into_iter()
        .map(|r| {
            // The key is a test key, but keep the habit: never write one.
            let headers: serde_json::Map<String, Value> = r
                .headers
                .into_iter()
                .map(|(k, v)| {
                    let v = if k == "x-api-key" || k == "authorization" {
                        "<redacted>".into()
                    } else {
                        v
                    };
                    (k, Value::String(v))
                })
                .collect();
            json!({"path": r.path, "headers": headers, "body": r.body})
        })
        .collect();
    std::fs::write(dir.join(name), serde_json::to_string_pretty(&dump).unwrap()).unwrap();
}

#[tokio::test]
async fn every_request_shape_is_recorded_for_the_contract_check() {
    let server = FakeModelServer::start().await.unwrap();
    server.add_rule(Rule {
        when: Default::default(),
        reply: Reply::text("ok").with_block(Block::Text {
            text: "fine".into(),
        }),
        times: None,
    });
    let anthropic = anthropic(&server);
    for request in requests() {
        turn(&anthropic, &request).await.0.unwrap();
    }
    let sent = server.requests();
    assert_eq!(sent.len(), requests().len());
    for r in &sent {
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
        let marks = r.body.to_string().matches("cache_control").count();
        assert!(marks <= 4, "{marks} cache breakpoints");
    }
    write("anthropic_requests.json", sent);

    server.clear_requests();
    let openai = openai(&server);
    for request in requests() {
        turn(&openai, &request).await.0.unwrap();
    }
    write("openai_requests.json", server.requests());
}
