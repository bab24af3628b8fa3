//! The Anthropic provider against the fake model server over real HTTP:
//! every SSE event kind, the request it sends, a tool-use round trip with
//! thinking, prompt-cache breakpoints, usage and cost.

mod provider_support;

use provider_support::*;
use reverie_engine::provider::*;
use reverie_fake_model::{Block, FakeModelServer, Reply, Usage as FakeUsage};
use serde_json::json;

#[tokio::test]
async fn streams_every_event_kind_and_assembles_the_message() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(
        Reply::default()
            .with_thinking("Let me think about the weather.", "sig-abc123")
            .with_block(Block::Text {
                text: "Checking the weather in Paris now.".into(),
            })
            .with_block(Block::ToolUse {
                id: "toolu_01".into(),
                name: "get_weather".into(),
                input: json!({"city": "Paris", "units": "c"}),
            })
            .with_usage(FakeUsage {
                input_tokens: 42,
                output_tokens: 17,
                ..FakeUsage::default()
            })
            .chunked(5, 0),
    );
    let provider = anthropic(&server);
    let (result, events) = turn(&provider, &request("weather?")).await;
    let response = result.unwrap();

    let has = |f: &dyn Fn(&StreamEvent) -> bool| events.iter().any(f);
    assert!(
        matches!(&events[0], StreamEvent::MessageStart { id, model, usage } if id == "msg_fake_000000" && model == "claude-haiku-4-5" && usage.input_tokens == 42)
    );
    assert!(has(&|e| matches!(e, StreamEvent::Ping)));
    assert!(has(&|e| matches!(
        e,
        StreamEvent::BlockStart {
            index: 0,
            block: ContentBlock::Thinking { .. }
        }
    )));
    assert!(has(&|e| matches!(
        e,
        StreamEvent::ThinkingDelta { index: 0, .. }
    )));
    assert!(has(
        &|e| matches!(e, StreamEvent::SignatureDelta { index: 0, signature } if signature == "sig-abc123")
    ));
    assert!(has(&|e| matches!(
        e,
        StreamEvent::TextDelta { index: 1, .. }
    )));
    assert!(has(
        &|e| matches!(e, StreamEvent::BlockStart { index: 2, block: ContentBlock::ToolUse { id, name, .. } } if id == "toolu_01" && name == "get_weather")
    ));
    assert!(has(&|e| matches!(
        e,
        StreamEvent::ToolInputDelta { index: 2, .. }
    )));
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, StreamEvent::BlockStop { .. }))
            .count(),
        3
    );
    assert!(has(
        &|e| matches!(e, StreamEvent::MessageDelta { stop_reason: Some(StopReason::ToolUse), usage } if usage.output_tokens == 17)
    ));
    assert_eq!(events.last(), Some(&StreamEvent::MessageStop));
    let text_deltas = events
        .iter()
        .filter(|e| matches!(e, StreamEvent::TextDelta { .. }))
        .count();
    assert_eq!(text_deltas, 7, "34 characters in chunks of 5");

    assert_eq!(
        response.message.content,
        vec![
            ContentBlock::Thinking {
                thinking: "Let me think about the weather.".into(),
                signature: "sig-abc123".into()
            },
            ContentBlock::text("Checking the weather in Paris now."),
            ContentBlock::ToolUse {
                id: "toolu_01".into(),
                name: "get_weather".into(),
                input: json!({"city": "Paris", "units": "c"})
            },
        ]
    );
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    assert_eq!(response.usage.input_tokens, 42);
    assert_eq!(response.usage.output_tokens, 17);
    assert_eq!(response.attempts, 1);
}

#[tokio::test]
async fn unknown_events_and_block_types_are_skipped() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply {
        unknown_events: true,
        ..Reply::text("still fine")
    });
    let (result, _) = turn(&anthropic(&server), &request("hi")).await;
    let response = result.unwrap();
    assert_eq!(
        response.message.content,
        vec![ContentBlock::text("still fine")]
    );
}

#[tokio::test]
async fn sends_the_public_request_shape() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::text("ok"));
    let mut req = request("Summarise the notes.");
    req.system = Some("You are terse.".into());
    req.tools = vec![Tool {
        name: "memory".into(),
        description: Some("Read and write memories".into()),
        input_schema: json!({"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}),
        native_type: None,
    }];
    req.tool_choice = Some(ToolChoice::Auto);
    req.stop_sequences = vec!["END".into()];
    req.metadata = Some(Metadata {
        user_id: Some("user-7f3a".into()),
    });
    req.temperature = Some(0.2);
    req.betas = vec!["context-1m-2025-08-07".into()];
    let (result, _) = turn(&anthropic(&server), &req).await;
    result.unwrap();

    let sent = &server.requests()[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some(KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("anthropic-beta"), Some("context-1m-2025-08-07"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let b = &sent.body;
    assert_eq!(b["model"], "claude-haiku-4-5");
    assert_eq!(b["max_tokens"], 4096);
    assert_eq!(b["stream"], true);
    assert_eq!(b["system"][0]["text"], "You are terse.");
    assert_eq!(b["tools"][0]["input_schema"]["required"][0], "path");
    assert_eq!(b["tool_choice"], json!({"type": "auto"}));
    assert_eq!(b["stop_sequences"], json!(["END"]));
    assert_eq!(b["metadata"], json!({"user_id": "user-7f3a"}));
    assert!(
        b.get("temperature").is_none(),
        "the Messages API has no temperature"
    );
    assert_eq!(
        b["messages"][0],
        json!({"role": "user", "content": [{"type": "text", "text": "Summarise the notes.", "cache_control": {"type": "ephemeral"}}]})
    );
    assert!(sent.completed);
}

#[tokio::test]
async fn tool_use_round_trip_sends_thinking_and_results_back() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(
        Reply::default()
            .with_thinking("I need the file.", "sig-1")
            .with_block(Block::ToolUse {
                id: "toolu_9".into(),
                name: "read_file".into(),
                input: json!({"path": "/memories/a.md"}),
            }),
    );
    server.push_reply(Reply::text("The file says hello."));
    let provider = anthropic(&server);
    let mut req = request("What does a.md say?");
    req.thinking = Some(Thinking::Enabled {
        budget_tokens: 2048,
    });
    req.tools = vec![Tool {
        name: "read_file".into(),
        description: None,
        input_schema: json!({"type": "object"}),
        native_type: None,
    }];

    let (first, _) = turn(&provider, &req).await;
    let first = first.unwrap();
    assert_eq!(first.stop_reason, StopReason::ToolUse);
    let calls: Vec<_> = first
        .message
        .tool_uses()
        .map(|(id, name, input)| (id.to_string(), name.to_string(), input.clone()))
        .collect();
    assert_eq!(
        calls,
        vec![(
            "toolu_9".into(),
            "read_file".into(),
            json!({"path": "/memories/a.md"})
        )]
    );

    req.messages.push(first.message.clone());
    req.messages.push(Message {
        role: Role::User,
        content: vec![
            ContentBlock::tool_result("toolu_9", "hello", false),
            ContentBlock::tool_result("toolu_x", "no such tool", true),
        ],
    });
    let (second, _) = turn(&provider, &req).await;
    assert_eq!(second.unwrap().message.text(), "The file says hello.");

    let body = &server.requests()[1].body;
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 2048})
    );
    let assistant = &body["messages"][1];
    assert_eq!(assistant["role"], "assistant");
    assert_eq!(
        assistant["content"][0],
        json!({"type": "thinking", "thinking": "I need the file.", "signature": "sig-1"})
    );
    assert_eq!(assistant["content"][1]["type"], "tool_use");
    assert_eq!(
        assistant["content"][1]["input"],
        json!({"path": "/memories/a.md"})
    );
    let results = &body["messages"][2]["content"];
    assert_eq!(results[0]["tool_use_id"], "toolu_9");
    assert!(results[0].get("is_error").is_none());
    assert_eq!(results[1]["is_error"], true);
}

#[tokio::test]
async fn cache_breakpoints_usage_and_cost() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::text("cached").with_usage(FakeUsage {
        input_tokens: 100,
        output_tokens: 200,
        cache_creation_input_tokens: 4_000,
        cache_read_input_tokens: 20_000,
        cache_creation_1h_input_tokens: 1_000,
    }));
    let mut req = ModelRequest::new(
        "claude-sonnet-4-5-20250929",
        vec![
            Message::user("first"),
            Message::assistant(vec![ContentBlock::text("answer")]),
            Message::user("second"),
            Message::assistant(vec![ContentBlock::text("answer 2")]),
            Message::user("third"),
        ],
    );
    req.system = Some("long stable system prompt".into());
    req.tools = vec![
        Tool {
            name: "a".into(),
            description: None,
            input_schema: json!({"type": "object"}),
            native_type: None,
        },
        Tool {
            name: "b".into(),
            description: None,
            input_schema: json!({"type": "object"}),
            native_type: None,
        },
    ];
    let (result, _) = turn(&anthropic(&server), &req).await;
    let response = result.unwrap();

    let body = &server.requests()[0].body;
    let marked = body.to_string().matches("cache_control").count();
    assert_eq!(marked, 4, "tools, system, last message, previous user turn");
    assert!(body["tools"][1]["cache_control"].is_object());
    assert!(body["system"][0]["cache_control"].is_object());
    assert!(body["messages"][4]["content"][0]["cache_control"].is_object());
    assert!(body["messages"][2]["content"][0]["cache_control"].is_object());

    assert_eq!(response.usage.cache_creation_input_tokens, 4_000);
    assert_eq!(response.usage.cache_read_input_tokens, 20_000);
    assert_eq!(response.usage.cache_creation_1h_input_tokens, 1_000);
    // Sonnet 4.5 per MTok: $3 in, $15 out, $3.75 5-min write, $6 1-hour write, $0.30 read.
    let expected =
        (100.0 * 3.0 + 200.0 * 15.0 + 3_000.0 * 3.75 + 1_000.0 * 6.0 + 20_000.0 * 0.30) / 1e6;
    let cost = response.cost_usd.unwrap();
    assert!((cost - expected).abs() < 1e-12, "{cost} vs {expected}");

    let mut off = req.clone();
    off.cache = CachePolicy::Off;
    server.push_reply(Reply::text("uncached"));
    turn(&anthropic(&server), &off).await.0.unwrap();
    assert!(
        !server.requests()[1]
            .body
            .to_string()
            .contains("cache_control")
    );
}

#[tokio::test]
async fn non_streaming_reply_is_read_whole() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::text("whole answer").with_thinking("hmm", "sig"));
    let mut req = request("hi");
    req.stream = false;
    let (result, events) = turn(&anthropic(&server), &req).await;
    let response = result.unwrap();
    assert!(events.is_empty());
    assert_eq!(response.message.text(), "whole answer");
    assert!(
        matches!(&response.message.content[0], ContentBlock::Thinking { signature, .. } if signature == "sig")
    );
    assert!(server.requests()[0].body.get("stream").is_none());
}

#[tokio::test]
async fn many_concurrent_turns_share_one_provider() {
    let server = FakeModelServer::start().await.unwrap();
    server.add_rule(reverie_fake_model::Rule {
        when: Default::default(),
        reply: Reply::text("parallel").first_byte_delay(100),
        times: None,
    });
    let provider: std::sync::Arc<dyn Provider> = std::sync::Arc::new(anthropic(&server));
    let turns = (0..25)
        .map(|i| {
            let provider = provider.clone();
            tokio::spawn(async move {
                turn(provider.as_ref(), &request(&format!("job {i}")))
                    .await
                    .0
            })
        })
        .collect::<Vec<_>>();
    for t in turns {
        assert_eq!(t.await.unwrap().unwrap().message.text(), "parallel");
    }
    assert_eq!(server.requests().len(), 25);
}

#[tokio::test]
async fn sequential_turns_reuse_the_connection() {
    let server = FakeModelServer::start().await.unwrap();
    for _ in 0..3 {
        server.push_reply(Reply::text("again").chunked(2, 0));
    }
    let provider = anthropic(&server);
    for _ in 0..3 {
        turn(&provider, &request("hi")).await.0.unwrap();
    }
    let peers: Vec<_> = server.requests().into_iter().map(|r| r.peer).collect();
    assert!(
        peers.iter().all(|p| *p == peers[0]),
        "one pooled connection: {peers:?}"
    );
}
