//! The OpenAI-compatible provider (Ollama, LM Studio, llama.cpp, vLLM)
//! against the fake model server over real HTTP: streaming text and
//! reasoning, a tool-call round trip, usage, non-streaming, errors.

mod provider_support;

use std::sync::Arc;

use provider_support::*;
use reverie_engine::provider::*;
use reverie_fake_model::{Block, FakeModelServer, Fault, Reply, Usage as FakeUsage};
use serde_json::json;

#[tokio::test]
async fn streams_text_and_reasoning_with_usage() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(
        Reply::text("Local models are fine.")
            .with_thinking("Consider the question.", "")
            .with_usage(FakeUsage {
                input_tokens: 30,
                output_tokens: 12,
                cache_creation_input_tokens: 0,
                cache_read_input_tokens: 8,
                ..FakeUsage::default()
            })
            .chunked(4, 0),
    );
    let mut req = ModelRequest::new("llama3.2", vec![Message::user("Are local models fine?")]);
    req.system = Some("Be brief.".into());
    req.stop_sequences = vec!["###".into()];
    req.temperature = Some(0.5);
    let (result, events) = turn(&openai(&server), &req).await;
    let response = result.unwrap();

    assert_eq!(
        response.message.content,
        vec![
            ContentBlock::Thinking {
                thinking: "Consider the question.".into(),
                signature: String::new()
            },
            ContentBlock::text("Local models are fine."),
        ]
    );
    assert_eq!(response.stop_reason, StopReason::EndTurn);
    assert_eq!(response.usage.input_tokens, 30);
    assert_eq!(response.usage.cache_read_input_tokens, 8);
    assert_eq!(response.usage.output_tokens, 12);
    assert_eq!(response.cost_usd, None, "a local model has no price");
    assert!(matches!(events[0], StreamEvent::MessageStart { .. }));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, StreamEvent::ThinkingDelta { index: 0, .. }))
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, StreamEvent::TextDelta { index: 1, .. }))
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::BlockStop { .. }))
            .count(),
        2
    );
    assert_eq!(events.last(), Some(&StreamEvent::MessageStop));
    assert_eq!(streamed_text(&events), "Local models are fine.");

    let sent = &server.requests()[0];
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert_eq!(
        sent.body["messages"][0],
        json!({"role": "system", "content": "Be brief."})
    );
    assert_eq!(
        sent.body["messages"][1],
        json!({"role": "user", "content": "Are local models fine?"})
    );
    assert_eq!(sent.body["stream"], true);
    assert_eq!(sent.body["stream_options"], json!({"include_usage": true}));
    assert_eq!(sent.body["stop"], json!(["###"]));
    assert_eq!(sent.body["temperature"], 0.5);
}

#[tokio::test]
async fn tool_call_round_trip() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(
        Reply::default()
            .with_block(Block::ToolUse {
                id: "call_1".into(),
                name: "lookup".into(),
                input: json!({"q": "rust"}),
            })
            .with_block(Block::ToolUse {
                id: "call_2".into(),
                name: "lookup".into(),
                input: json!({"q": "tokio"}),
            })
            .chunked(3, 0),
    );
    server.push_reply(Reply::text("Both found."));
    let provider = openai(&server);
    let mut req = ModelRequest::new("qwen2.5", vec![Message::user("look up rust and tokio")]);
    req.tools = vec![Tool {
        name: "lookup".into(),
        description: Some("Search".into()),
        input_schema: json!({"type": "object", "properties": {"q": {"type": "string"}}}),
        native_type: None,
    }];
    req.tool_choice = Some(ToolChoice::Any);

    let first = turn(&provider, &req).await.0.unwrap();
    assert_eq!(first.stop_reason, StopReason::ToolUse);
    let calls: Vec<_> = first
        .message
        .tool_uses()
        .map(|(id, _, input)| (id.to_string(), input.clone()))
        .collect();
    assert_eq!(
        calls,
        vec![
            ("call_1".into(), json!({"q": "rust"})),
            ("call_2".into(), json!({"q": "tokio"}))
        ]
    );

    req.messages.push(first.message.clone());
    req.messages.push(Message {
        role: Role::User,
        content: vec![
            ContentBlock::tool_result("call_1", "rust-lang.org", false),
            ContentBlock::tool_result("call_2", "timeout", true),
        ],
    });
    assert_eq!(
        turn(&provider, &req).await.0.unwrap().message.text(),
        "Both found."
    );

    let first_body = &server.requests()[0].body;
    assert_eq!(
        first_body["tools"][0],
        json!({"type": "function", "function": {"name": "lookup", "description": "Search", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}})
    );
    assert_eq!(first_body["tool_choice"], "required");
    let msgs = &server.requests()[1].body["messages"];
    assert_eq!(msgs[1]["role"], "assistant");
    assert_eq!(
        msgs[1]["tool_calls"][0]["function"]["arguments"],
        r#"{"q":"rust"}"#
    );
    assert_eq!(
        msgs[2],
        json!({"role": "tool", "tool_call_id": "call_1", "content": "rust-lang.org"})
    );
    assert_eq!(
        msgs[3],
        json!({"role": "tool", "tool_call_id": "call_2", "content": "Error: timeout"})
    );
}

#[tokio::test]
async fn non_streaming_and_no_key() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(
        Reply::tool_use("c1", "f", json!({"a": 1})).with_block(Block::Text {
            text: "calling".into(),
        }),
    );
    let provider = OpenAiProvider::new(
        ProviderConfig::new(server.openai_url(), None),
        Arc::new(PriceTable::built_in()),
    )
    .unwrap();
    let mut req = ModelRequest::new("local", vec![Message::user("hi")]);
    req.stream = false;
    let response = turn(&provider, &req).await.0.unwrap();
    assert_eq!(response.message.text(), "calling");
    assert_eq!(response.message.tool_uses().count(), 1);
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    assert!(server.requests()[0].header("authorization").is_none());
}

#[tokio::test]
async fn errors_and_retries_follow_the_same_rules() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::fault(Fault::ServerError));
    server.push_reply(Reply::text("ok").with_fault(Fault::CutStream { after_events: 2 }));
    server.push_reply(
        Reply::text("a body that just stops")
            .chunked(2, 0)
            .with_fault(Fault::EndStream { after_events: 3 }),
    );
    server.push_reply(Reply::text("ok"));
    let response = turn(
        &openai(&server),
        &ModelRequest::new("m", vec![Message::user("hi")]),
    )
    .await
    .0
    .unwrap();
    assert_eq!(response.attempts, 4, "500, cut, ended early, then whole");
    assert_eq!(response.message.text(), "ok");
    let provider = openai(&server);
    for _ in 0..2 {
        server.push_reply(Reply::text("again"));
        turn(
            &provider,
            &ModelRequest::new("m", vec![Message::user("hi")]),
        )
        .await
        .0
        .unwrap();
    }
    let peers: Vec<_> = server
        .requests()
        .iter()
        .rev()
        .take(2)
        .map(|r| r.peer.clone())
        .collect();
    assert_eq!(
        peers[0], peers[1],
        "a finished stream leaves its connection in the pool"
    );

    server.require_api_key("right");
    server.push_reply(Reply::text("never"));
    let err = turn(
        &openai(&server),
        &ModelRequest::new("m", vec![Message::user("hi")]),
    )
    .await
    .0
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "API key rejected: update it in Settings (authentication_error: invalid x-api-key)"
    );

    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::text("broken").with_fault(Fault::MalformedEvent { after_events: 1 }));
    let err = turn(
        &openai(&server),
        &ModelRequest::new("m", vec![Message::user("hi")]),
    )
    .await
    .0
    .unwrap_err()
    .to_string();
    assert!(
        err.ends_with("check that the base URL points at an OpenAI-compatible server"),
        "{err}"
    );

    // Ollama's error shape for an unknown model.
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::fault(Fault::Raw {
        status: 404,
        content_type: "application/json".into(),
        body: r#"{"error":"model 'nope' not found"}"#.into(),
    }));
    let err = turn(
        &openai(&server),
        &ModelRequest::new("nope", vec![Message::user("hi")]),
    )
    .await
    .0
    .unwrap_err()
    .to_string();
    assert_eq!(
        err,
        "model or endpoint not found: check the model name in the agent's settings and the base URL (model 'nope' not found)"
    );
}
