//! The agent runtime against the fake model server over real HTTP: memory
//! carried from one session to the next, tool rounds, limits, failures,
//! cancellation and many sessions at once.

mod support {
    pub mod model;
}

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reverie_engine::Store;
use reverie_engine::provider::{ProviderConfig, ProviderKind};
use reverie_engine::runtime::{Limits, Progress, ProgressSink, RunRequest, Runtime};
use reverie_engine::store::*;
use reverie_fake_model::{Block, Conditions, FakeModelServer, Fault, Reply, Rule};
use serde_json::json;
use tokio_util::sync::CancellationToken;

async fn setup(tools: &[&str]) -> (tempfile::TempDir, FakeModelServer, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    store
        .create_agent(&NewAgent {
            name: "helper".into(),
            provider: ProviderKind::Anthropic,
            model: "claude-sonnet-4-5".into(),
            system_prompt: "You are a careful assistant.".into(),
            tools: tools.iter().map(|t| t.to_string()).collect(),
        })
        .unwrap();
    let (server, runtime) = support::model::runtime_on_fake_server(store, 1).await;
    (dir, server, runtime)
}

fn request(task: &str) -> RunRequest {
    RunRequest {
        agent: "helper".into(),
        task: task.into(),
        limits: None,
    }
}

#[tokio::test]
async fn memory_written_in_one_session_reaches_the_next() {
    let (_dir, server, runtime) = setup(&["memory", "workspace"]).await;
    server.push_reply(
        Reply::default().with_block(Block::Text { text: "I'll remember that.".into() }).with_block(Block::ToolUse {
            id: "toolu_1".into(),
            name: "memory".into(),
            input: json!({"command": "create", "path": "/memories/_index.md", "file_text": "- The user wants metric units.\n"}),
        }),
    );
    server.push_reply(Reply::text("Noted."));
    let first = runtime
        .run(
            request("Use metric units from now on."),
            CancellationToken::new(),
            ProgressSink::none(),
        )
        .await
        .unwrap();
    assert_eq!(first.status, SessionStatus::Completed, "{:?}", first.error);
    assert_eq!(first.turns, 2);

    server.push_reply(Reply::text("It is 20 °C."));
    let second = runtime
        .run(
            request("How warm is it?"),
            CancellationToken::new(),
            ProgressSink::none(),
        )
        .await
        .unwrap();
    assert_eq!(second.final_answer.as_deref(), Some("It is 20 °C."));

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    let third = &requests[2].body;
    let system = third["system"].to_string();
    assert!(
        system.contains("The user wants metric units."),
        "session 2 must see the memory: {system}"
    );
    assert!(system.contains("You are a careful assistant."));
    // The native memory tool for Anthropic, with its beta.
    let tools = third["tools"].as_array().unwrap();
    assert!(
        tools
            .iter()
            .any(|t| t == &json!({"type": "memory_20250818", "name": "memory"})),
        "{tools:?}"
    );
    assert!(
        requests[2]
            .header("anthropic-beta")
            .unwrap()
            .contains("context-management")
    );
    // The first session's second request carried the tool result.
    let results = requests[1].body["messages"][2]["content"][0].clone();
    assert_eq!(results["type"], "tool_result");
    assert_eq!(results["tool_use_id"], "toolu_1");

    // Every step is on the timeline, and the version is authored by the agent.
    let store = runtime.store();
    let kinds: Vec<EventKind> = store
        .events(&first.session_id, &EventQuery::default())
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::UserMessage,
            EventKind::AssistantText,
            EventKind::ToolCall,
            EventKind::MemoryWrite,
            EventKind::ToolResult,
            EventKind::AssistantText,
            EventKind::FinalAnswer
        ]
    );
    let agent = store.agent("helper").unwrap();
    let history = store
        .document_history(
            &agent.default_store().unwrap().store_id,
            "/memories/_index.md",
        )
        .unwrap();
    assert_eq!(history[0].author, AuthorKind::Agent);
    assert_eq!(
        history[0].session_id.as_deref(),
        Some(first.session_id.as_str())
    );
    assert!(
        first.usage.input_tokens > 0 && first.cost_usd > 0.0,
        "usage and cost recorded: {first:?}"
    );
}

#[tokio::test]
async fn an_openai_compatible_agent_gets_the_memory_tool_as_a_function() {
    let (_dir, server, runtime) = setup(&["memory"]).await;
    runtime
        .store()
        .update_agent(
            "helper",
            &AgentUpdate {
                provider: Some(ProviderKind::OpenAi),
                model: Some("llama3.2".into()),
                ..Default::default()
            },
        )
        .unwrap();
    runtime
        .providers()
        .configure(
            ProviderKind::OpenAi,
            ProviderConfig::new(server.openai_url(), None),
        )
        .unwrap();
    server.push_reply(Reply::tool_use(
        "call_1",
        "memory",
        json!({"command": "view", "path": "/memories"}),
    ));
    server.push_reply(Reply::text("Nothing stored yet."));
    let result = runtime
        .run(
            request("What do you remember?"),
            CancellationToken::new(),
            ProgressSink::none(),
        )
        .await
        .unwrap();
    assert_eq!(
        result.status,
        SessionStatus::Completed,
        "{:?}",
        result.error
    );
    // (The model list is asked first, for the context window.)
    let requests = server.requests();
    let body = &requests
        .iter()
        .find(|r| r.path.ends_with("/chat/completions"))
        .expect("a chat request")
        .body;
    assert_eq!(body["tools"][0]["type"], "function");
    assert_eq!(body["tools"][0]["function"]["name"], "memory");
    assert!(body["tools"][0]["function"]["parameters"]["properties"]["command"].is_object());
}

#[tokio::test]
async fn limits_failures_and_missing_tools_end_the_session_cleanly() {
    let (_dir, server, runtime) = setup(&["memory"]).await;
    // A model that never stops calling tools hits the turn limit.
    server.add_rule(Rule {
        when: Conditions::default(),
        times: None,
        reply: Reply::tool_use("t", "nonexistent", json!({})),
    });
    let limits = Limits {
        max_turns: 3,
        ..Limits::default()
    };
    let result = runtime
        .run(
            RunRequest {
                agent: "helper".into(),
                task: "loop".into(),
                limits: Some(limits),
            },
            CancellationToken::new(),
            ProgressSink::none(),
        )
        .await
        .unwrap();
    assert_eq!(result.status, SessionStatus::Failed);
    assert!(
        result
            .error
            .as_deref()
            .unwrap()
            .contains("limit of 3 turns"),
        "{:?}",
        result.error
    );
    // The message says where the limit is changed: in the app and from the command line.
    let said = result.error.as_deref().unwrap();
    assert!(said.contains("Agents → helper → Limits"), "{said}");
    assert!(
        said.contains("reverie agent update \"helper\" --max-turns N"),
        "{said}"
    );
    let events = runtime
        .store()
        .events(&result.session_id, &EventQuery::default())
        .unwrap();
    assert!(events.iter().any(|e| e.kind == EventKind::LimitReached));
    let unknown = events
        .iter()
        .find(|e| e.kind == EventKind::ToolResult)
        .unwrap();
    assert!(
        unknown.data["content"]
            .as_str()
            .unwrap()
            .contains("no tool named 'nonexistent'")
    );

    // A rejected key fails the session with the provider's sentence.
    let (_dir2, server2, runtime2) = setup(&[]).await;
    server2.push_reply(Reply::fault(Fault::Unauthorized));
    let result = runtime2
        .run(
            request("hi"),
            CancellationToken::new(),
            ProgressSink::none(),
        )
        .await
        .unwrap();
    assert_eq!(result.status, SessionStatus::Failed);
    assert!(
        result
            .error
            .as_deref()
            .unwrap()
            .contains("API key rejected"),
        "{:?}",
        result.error
    );
    let session = runtime2.store().session(&result.session_id).unwrap();
    assert_eq!(session.status, SessionStatus::Failed);
    drop(server);
}

#[tokio::test]
async fn cancelling_stops_the_stream_at_once_and_records_it() {
    let (_dir, server, runtime) = setup(&[]).await;
    server.push_reply(Reply::text("a very slow answer ".repeat(50)).chunked(4, 100));
    let cancel = CancellationToken::new();
    let seen = Arc::new(Mutex::new(String::new()));
    let sink_seen = seen.clone();
    let trigger = cancel.clone();
    let sink = ProgressSink::new(move |p| {
        if let Progress::TextDelta { text, .. } = p {
            sink_seen.lock().unwrap().push_str(&text);
            trigger.cancel();
        }
    });
    let started = Instant::now();
    let result = runtime
        .run(request("talk slowly"), cancel, sink)
        .await
        .unwrap();
    assert_eq!(result.status, SessionStatus::Canceled);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert!(!seen.lock().unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        server.requests()[0].disconnected,
        "the request was abandoned"
    );
}

#[tokio::test]
async fn many_sessions_run_at_once() {
    let (_dir, server, runtime) = setup(&["memory"]).await;
    server.add_rule(Rule {
        when: Conditions::default(),
        times: None,
        reply: Reply::text("done").first_byte_delay(200),
    });
    let runtime = Arc::new(runtime);
    let started = Instant::now();
    let runs: Vec<_> = (0..20)
        .map(|i| {
            let runtime = runtime.clone();
            tokio::spawn(async move {
                runtime
                    .run(
                        request(&format!("task {i}")),
                        CancellationToken::new(),
                        ProgressSink::none(),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    for run in runs {
        assert_eq!(run.await.unwrap().status, SessionStatus::Completed);
    }
    // 20 × 200 ms of model latency in parallel, not in series.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(
        runtime
            .store()
            .list_sessions(&SessionFilter::default())
            .unwrap()
            .len(),
        20
    );
}
