//! A local OpenAI-compatible server with a 4,096-token context (llama.cpp
//! reports it in `/props`), played by the fake server: a dream over more
//! history than one call holds completes by chunking small and condensing,
//! every request fits the context with its answer, and the grader asks for
//! an answer that fits too.

mod dream_support;

use std::sync::Arc;
use std::time::Duration;

use dream_support::{findings, proposal, session};
use reverie_engine::Store;
use reverie_engine::dream::review::{FINDINGS_TOOL, PROPOSAL_TOOL};
use reverie_engine::dream::{DreamProgressSink, DreamRequest, Dreamer};
use reverie_engine::provider::{ProviderConfig, ProviderKind, RetryPolicy};
use reverie_engine::runtime::Runtime;
use reverie_engine::store::*;
use reverie_fake_model::{Conditions, FakeModelServer, OpenAiLimits, Rule};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_dream_on_a_4k_context_model_chunks_small_and_completes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let agent = store
        .create_agent(&NewAgent {
            name: "local".into(),
            provider: ProviderKind::OpenAi,
            model: "smollm2".into(),
            system_prompt: String::new(),
            tools: vec![],
        })
        .unwrap();
    let server = FakeModelServer::start().await.unwrap();
    server.set_openai_limits(OpenAiLimits {
        n_ctx: Some(4_096),
        ..OpenAiLimits::default()
    });
    let runtime = Runtime::new(store.clone()).unwrap();
    runtime
        .providers()
        .configure(
            ProviderKind::OpenAi,
            ProviderConfig::new(server.openai_url(), None).with_retry(RetryPolicy {
                max_retries: 0,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(5),
                ..RetryPolicy::default()
            }),
        )
        .unwrap();
    let dreamer = Dreamer::new(Arc::new(runtime));
    // About 12,000 tokens of history: three times the context.
    let ids: Vec<String> = (0..8)
        .map(|n| {
            let steps: Vec<(EventKind, Value)> = (0..4)
                .map(|k| (EventKind::ToolResult, json!({"name": "shell", "content": format!("run {n} step {k}: output line\n").repeat(60), "is_error": false})))
                .collect();
            session(&store, &agent, &format!("Build project {n}"), &steps)
        })
        .collect();
    for id in &ids {
        server.add_rule(Rule {
            when: Conditions {
                system_contains: Some(FINDINGS_TOOL.into()),
                last_user_contains: Some(id.clone()),
                ..Conditions::default()
            },
            reply: findings(json!([{"kind": "mistake", "summary": "The build forgets the cache.", "session_ids": [id]}])),
            times: None,
        });
    }
    server.add_rule(Rule {
        when: Conditions { system_contains: Some(PROPOSAL_TOOL.into()), ..Conditions::default() },
        reply: proposal(json!([
            {"op": "create", "path": "/memories/build.md", "content": "- Warm the cache before building.\n", "reason": "Recurring", "source_session_ids": [ids[0]]},
            {"op": "create", "path": "/memories/_index.md", "content": "- /memories/build.md: building\n", "reason": "Index", "source_session_ids": [ids[0]]}
        ])),
        times: None,
    });
    let report = dreamer
        .run(
            DreamRequest::new("local", DreamTrigger::Cli),
            CancellationToken::new(),
            DreamProgressSink::none(),
        )
        .await
        .unwrap();
    assert_eq!(
        report.dream.status,
        DreamStatus::Completed,
        "{:?}",
        report.dream.error
    );
    assert!(report.stats.chunks >= 3, "{:?}", report.stats);
    assert_eq!(
        report.dream.session_ids.len(),
        8,
        "none waits: {:?}",
        report.notes
    );
    let turns: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .collect();
    for r in &turns {
        let max_tokens = r.body["max_tokens"].as_u64().unwrap();
        let prompt = r.body["messages"].to_string().len() as u64 / 4;
        assert!(max_tokens <= 1_024, "answer {max_tokens}");
        assert!(
            prompt + max_tokens <= 4_096,
            "a request of ~{prompt} + {max_tokens} tokens overflows 4,096"
        );
        assert_eq!(r.body["response_format"]["type"], "json_schema");
    }
    println!(
        "4k-context dream: {} sessions in {} chunks, {} calls, {} tokens sent",
        report.stats.sessions, report.stats.chunks, report.stats.calls, report.stats.tokens_sent
    );
}

#[tokio::test]
async fn a_model_whose_template_cannot_call_tools_is_said_before_the_answer() {
    use reverie_engine::runtime::{Progress, ProgressSink, RunRequest};
    use reverie_fake_model::Reply;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    store
        .create_agent(&NewAgent {
            name: "keeper".into(),
            provider: ProviderKind::OpenAi,
            model: "smollm2".into(),
            system_prompt: String::new(),
            tools: vec!["memory".into()],
        })
        .unwrap();
    let server = FakeModelServer::start().await.unwrap();
    server.set_openai_limits(OpenAiLimits {
        no_tools: true,
        n_ctx: Some(8_192),
        ..OpenAiLimits::default()
    });
    server.push_reply(Reply::text("Noted."));
    let runtime = Runtime::new(store.clone()).unwrap();
    runtime
        .providers()
        .configure(
            ProviderKind::OpenAi,
            ProviderConfig::new(server.openai_url(), None),
        )
        .unwrap();
    let notices = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = notices.clone();
    let result = runtime
        .run(
            RunRequest {
                agent: "keeper".into(),
                task: "Remember that I like tea.".into(),
                limits: None,
            },
            CancellationToken::new(),
            ProgressSink::new(move |p| {
                if let Progress::Notice { message, .. } = p {
                    seen.lock().unwrap().push(message);
                }
            }),
        )
        .await
        .unwrap();
    assert_eq!(result.status, SessionStatus::Completed);
    let notices = notices.lock().unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].contains("cannot call tools") && notices[0].contains("memory"),
        "{}",
        notices[0]
    );
    // The turn's output was sized to the 8k context.
    let chat = server
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/chat/completions"))
        .unwrap();
    assert_eq!(chat.body["max_tokens"], 2_048);
}
