//! The regression gate's own cost per replayed task, against the fake model
//! server over loopback answering at once (so what is measured is ours:
//! memory view, prompt, sessions, events, grading bookkeeping, gate
//! records). Target: < 50 ms of non-model time per replayed task. Printed,
//! not asserted: the machine running benches is shared.
//!
//! Non-model time per task = the gate's wall time / runs, with a model that
//! answers instantly (loopback HTTP and the in-process fake server count
//! against us, so this is an upper bound). Also printed: the same tasks run
//! without a gate (plain graded runs), and peak resident memory.
//!
//! Run: `cargo bench -p reverie-engine --bench eval_gate`

use std::sync::Arc;
use std::time::{Duration, Instant};

use reverie_engine::Store;
use reverie_engine::eval::{self, NewEvalTask, gate};
use reverie_engine::outcome::grader::TOOL_NAME;
use reverie_engine::provider::{ProviderConfig, ProviderKind, RetryPolicy};
use reverie_engine::runtime::{OutcomeOptions, ProgressSink, RunRequest, Runtime};
use reverie_engine::store::*;
use reverie_fake_model::{Conditions, FakeModelServer, Reply, Rule};
use secrecy::SecretString;
use serde_json::json;
use tokio_util::sync::CancellationToken;

const TASKS: usize = 20;
const DOCS: usize = 200;
const TARGET: Duration = Duration::from_millis(50);

const RUBRIC: &str = r#"{"schema": "reverie.rubric/1", "name": "ok", "description": "d", "threshold": 0.5, "max_iterations": 1,
  "criteria": [{"name": "Answers", "weight": 1, "required": true, "kind": {"type": "judged", "description": "Answers the question."}}]}"#;

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
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
                name: "helper".into(),
                provider: ProviderKind::Anthropic,
                model: "claude-sonnet-4-5".into(),
                system_prompt: "You are a careful assistant.".into(),
                tools: vec!["memory".into()],
            })
            .unwrap();
        let sid = agent.default_store().unwrap().store_id.clone();
        let mut index = String::new();
        for i in 0..DOCS {
            let path = format!("/memories/notes/n{i:03}.md");
            store
                .write_document(&sid, &path, &format!("# Note {i}\n{}\n", "A fact worth keeping. ".repeat(40)), &WriteMeta::user("seed"))
                .unwrap();
            index.push_str(&format!("- {path}: note {i}\n"));
        }
        store.write_document(&sid, "/memories/_index.md", &index, &WriteMeta::user("seed")).unwrap();
        store.save_rubric("ok", RUBRIC).unwrap();
        for i in 0..TASKS {
            eval::add_task(&store, "helper", &NewEvalTask { name: format!("t{i}"), task: format!("Question {i}?"), rubric: "ok".into() }).unwrap();
        }
        eval::set_gate_settings(&store, "helper", &eval::GateSettingsChanges { concurrency: Some(1), ..Default::default() }).unwrap();
        // A staged dream whose proposal rewrites ten documents.
        let dream = store
            .create_dream(&NewDream {
                agent_id: agent.id.clone(),
                input_store_id: sid.clone(),
                mode: DreamMode::UpdateExisting,
                trigger: DreamTrigger::Cli,
                provider: "anthropic".into(),
                model: "claude-sonnet-4-5".into(),
                instructions: String::new(),
                budget_tokens: None,
                session_ids: vec![],
            })
            .unwrap();
        store.set_dream_status(&dream.id, DreamStatus::Running, None).unwrap();
        let edits: Vec<NewProposalEdit> = (0..10)
            .map(|i| NewProposalEdit {
                op: EditOp::Rewrite,
                path: format!("/memories/notes/n{i:03}.md"),
                merged_paths: vec![],
                content: Some(format!("# Note {i}\nRewritten.\n")),
                base_sha256: None,
                reason: "bench".into(),
                source_session_ids: vec![],
            })
            .collect();
        store.complete_dream(&dream.id, &edits).unwrap();

        let server = FakeModelServer::start().await.unwrap();
        server.add_rule(Rule {
            when: Conditions { system_contains: Some("strict, fair grader".into()), ..Default::default() },
            reply: Reply::tool_use("toolu_g", TOOL_NAME, json!({"applies": true, "explanation": "ok", "verdicts": [
                {"criterion_index": 0, "passed": true, "score": 1.0, "evidence": "Fine", "gap": null}]})),
            times: None,
        });
        server.add_rule(Rule { when: Conditions::default(), reply: Reply::text("Fine."), times: None });
        let runtime = Runtime::new(store.clone()).unwrap();
        runtime
            .providers()
            .configure(
                ProviderKind::Anthropic,
                ProviderConfig::new(server.url(), Some(SecretString::from("sk-ant-test".to_string())))
                    .with_retry(RetryPolicy { max_retries: 0, ..RetryPolicy::default() }),
            )
            .unwrap();

        // Baseline: the same tasks as plain graded runs, no gate, no view.
        let started = Instant::now();
        for i in 0..TASKS {
            runtime
                .run_with_rubric(
                    RunRequest { agent: "helper".into(), task: format!("Question {i}?"), limits: None },
                    OutcomeOptions::new("ok"),
                    CancellationToken::new(),
                    ProgressSink::none(),
                )
                .await
                .unwrap();
        }
        let plain = started.elapsed() / TASKS as u32;

        let rss_before = status_kib("VmRSS:");
        let g = gate::start_gate(&store, &dream.id, false).unwrap();
        let started = Instant::now();
        let report = gate::run_gate(&runtime, &g.id, CancellationToken::new(), gate::GateProgressSink::none())
            .await
            .unwrap();
        let wall = started.elapsed();
        assert_eq!(report.runs_done, TASKS * 2, "{report:?}");
        let per_task = wall / (TASKS * 2) as u32;
        println!(
            "gate over {TASKS} tasks × 2 sides, {DOCS} documents, a 10-edit proposal: {:.1} ms non-model time per replayed task (target < {} ms); a plain graded run of the same task: {:.1} ms; gate overhead per run: {:.1} ms",
            per_task.as_secs_f64() * 1e3,
            TARGET.as_millis(),
            plain.as_secs_f64() * 1e3,
            (per_task.as_secs_f64() - plain.as_secs_f64()) * 1e3,
        );
        println!(
            "peak resident memory: {:.1} MiB (VmHWM; {:.1} MiB before the gate)",
            status_kib("VmHWM:") as f64 / 1024.0,
            rss_before as f64 / 1024.0
        );
    });
}
