//! Dream benchmark on a synthetic history of 1,000 sessions / 200,000
//! events, against the fake model server answering at once. Prints the
//! non-model time of a dream over the whole history (total minus time
//! inside model calls; target < 2 s), the tokens it sent, and the ratio of
//! tokens sent by the next dream after 10 new sessions to this one (target
//! ≈ 10/1000: dreams are incremental).
//!
//! Run: `cargo bench -p reverie-engine --bench dream`

use std::sync::Arc;
use std::time::Instant;

use reverie_engine::Store;
use reverie_engine::dream::review::{FINDINGS_TOOL, PROPOSAL_TOOL};
use reverie_engine::dream::{DreamProgressSink, DreamReport, DreamRequest, Dreamer};
use reverie_engine::provider::{ProviderConfig, ProviderKind};
use reverie_engine::runtime::Runtime;
use reverie_engine::store::*;
use reverie_fake_model::{Conditions, FakeModelServer, Reply, Rule};
use secrecy::SecretString;
use serde_json::json;
use tokio_util::sync::CancellationToken;

const SESSIONS: usize = 1_000;
const EVENTS_PER_SESSION: usize = 200;
const NEW_SESSIONS: usize = 10;

fn add_session(store: &Store, agent: &Agent, n: usize) {
    let s = store
        .create_session(&NewSession {
            agent_id: agent.id.clone(),
            task: format!("Task {n}: tidy the reports folder"),
            parent_id: None,
        })
        .unwrap();
    let mut events = Vec::with_capacity(EVENTS_PER_SESSION);
    events.push(NewEvent::new(
        EventKind::UserMessage,
        json!({"turn": 0, "text": format!("Task {n}: tidy the reports folder")}),
    ));
    for i in 1..EVENTS_PER_SESSION {
        let (kind, data) = match i % 5 {
            0 => (
                EventKind::Thinking,
                json!({"turn": i, "thinking": "Let me think about which file comes next. ".repeat(6), "signature": "sig"}),
            ),
            1 => (
                EventKind::ToolCall,
                json!({"turn": i, "id": format!("t{i}"), "name": "workspace", "input": {"command": "read", "path": format!("reports/{n}/{i}.md")}}),
            ),
            2 => (
                EventKind::ToolResult,
                json!({"turn": i, "tool_use_id": format!("t{i}"), "name": "workspace", "is_error": i % 40 == 2,
                       "content": if i % 20 == 2 { "row,value\n".repeat(600) } else { format!("# Report {i}\nTotals look fine; nothing to change in section {i}.\n") }}),
            ),
            3 => (
                EventKind::AssistantText,
                json!({"turn": i, "text": format!("Report {i} is tidy; moving on to the next one in folder {n}.")}),
            ),
            _ => (
                EventKind::MemoryRead,
                json!({"turn": i, "store": "bench", "path": "/memories/_index.md", "version": 1}),
            ),
        };
        events.push(NewEvent::new(kind, data));
    }
    store.append_events(&s.id, &events).unwrap();
    store
        .finish_session(&s.id, SessionStatus::Completed, Some("Tidied."), None)
        .unwrap();
}

fn line(label: &str, r: &DreamReport) {
    let s = &r.stats;
    println!(
        "{label}: {} sessions, {} chunk(s), {} model calls, {} tokens sent; total {} ms, in model calls {} ms, non-model {} ms",
        s.sessions,
        s.chunks,
        s.calls,
        s.tokens_sent,
        s.total_ms,
        s.model_ms,
        s.total_ms.saturating_sub(s.model_ms)
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let agent = store
            .create_agent(&NewAgent {
                name: "bench".into(),
                provider: ProviderKind::Anthropic,
                model: "claude-sonnet-4-5".into(),
                system_prompt: String::new(),
                tools: vec!["memory".into()],
            })
            .unwrap();
        let store_id = agent.default_store().unwrap().store_id.clone();
        store.write_document(&store_id, "/memories/_index.md", "- /memories/reports.md: how reports are kept\n", &WriteMeta::user("seed")).unwrap();
        store.write_document(&store_id, "/memories/reports.md", "Reports live in reports/<n>/; keep them tidy.\n", &WriteMeta::user("seed")).unwrap();

        let built = Instant::now();
        for n in 0..SESSIONS {
            add_session(&store, &agent, n);
        }
        println!(
            "built {SESSIONS} sessions / {} events in {:.1} s",
            SESSIONS * EVENTS_PER_SESSION,
            built.elapsed().as_secs_f64()
        );

        let server = FakeModelServer::start().await.unwrap();
        for (tool, input) in [(FINDINGS_TOOL, json!({"findings": []})), (PROPOSAL_TOOL, json!({"edits": []}))] {
            server.add_rule(Rule {
                when: Conditions { system_contains: Some(tool.into()), ..Conditions::default() },
                reply: Reply::tool_use("toolu_b", tool, input),
                times: None,
            });
        }
        let runtime = Arc::new(Runtime::new(store.clone()).unwrap());
        runtime
            .providers()
            .configure(ProviderKind::Anthropic, ProviderConfig::new(server.url(), Some(SecretString::from("sk-ant-bench".to_string()))))
            .unwrap();
        let dreamer = Dreamer::new(runtime);
        // A budget that covers the whole history, so the first dream reads
        // all of it and the second only what is new (a smaller budget leaves
        // the rest for later dreams, which is measured by dream_corpus).
        let request = || {
            let mut r = DreamRequest::new("bench", DreamTrigger::Cli);
            r.budget_tokens = Some(100_000_000);
            r
        };
        let dream = || dreamer.run(request(), CancellationToken::new(), DreamProgressSink::none());

        let k = dream().await.unwrap();
        line("dream k   (whole history)", &k);
        for n in SESSIONS..SESSIONS + NEW_SESSIONS {
            add_session(&store, &agent, n);
        }
        server.clear_requests();
        let k1 = dream().await.unwrap();
        line("dream k+1 (10 new sessions)", &k1);

        let non_model = k.stats.total_ms.saturating_sub(k.stats.model_ms) as f64 / 1000.0;
        println!("non-model time of a dream over {SESSIONS} sessions: {non_model:.2} s (target < 2 s)");
        println!(
            "tokens sent: dream k {} , dream k+1 {}; ratio {:.4} (target ≈ {:.4} = {NEW_SESSIONS}/{SESSIONS})",
            k.stats.tokens_sent,
            k1.stats.tokens_sent,
            k1.stats.tokens_sent as f64 / k.stats.tokens_sent as f64,
            NEW_SESSIONS as f64 / SESSIONS as f64
        );
    });
}
