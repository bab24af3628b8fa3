//! kill -9 in the middle of a dream's regression gate: the real memory
//! store is untouched, the next start marks the gate failed cleanly (the
//! dream stays staged), and `reverie eval resume` finishes it from where
//! it stopped and applies the proposal.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use reverie_engine::Store;
use reverie_engine::dream::review::PROPOSAL_TOOL;
use reverie_engine::eval::{self, NewEvalTask};
use reverie_engine::outcome::grader::TOOL_NAME;
use reverie_engine::provider::ProviderKind;
use reverie_engine::store::*;
use reverie_fake_model::{Conditions, FakeModelServer, Reply, Rule};
use serde_json::{Value, json};

const RUBRIC: &str = r#"{"schema": "reverie.rubric/1", "name": "ok", "description": "d", "threshold": 0.5, "max_iterations": 1,
  "criteria": [{"name": "Answers", "weight": 1, "required": true, "kind": {"type": "judged", "description": "Answers the question."}}]}"#;

mod support {
    pub mod cli;
}

use support::cli::against_model as reverie;

async fn cli(data: &Path, url: &str, args: &[&str]) -> Output {
    let mut cmd = reverie(data, url);
    cmd.args(args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn rule(system: &str, reply: Reply, times: Option<u32>) -> Rule {
    Rule {
        when: Conditions {
            system_contains: Some(system.into()),
            ..Default::default()
        },
        reply,
        times,
    }
}

fn memory(data: &Path) -> (String, usize) {
    let store = Store::open(data).unwrap();
    let agent = store.agent("helper").unwrap();
    let sid = agent.default_store().unwrap().store_id.clone();
    let (_, content) = store.read_document(&sid, "/memories/_index.md").unwrap().unwrap();
    let docs = store.list_documents(&sid, None).unwrap().len();
    (content, docs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_mid_gate_leaves_memory_untouched_and_the_gate_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let server = FakeModelServer::start().await.unwrap();
    let url = server.url();
    {
        let store = Store::open(data).unwrap();
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
        store
            .write_document(&sid, "/memories/_index.md", "- facts\n", &WriteMeta::user("t"))
            .unwrap();
        store.save_rubric("ok", RUBRIC).unwrap();
        for n in 1..=2 {
            eval::add_task(&store, "helper", &NewEvalTask { name: format!("t{n}"), task: format!("Question {n}?"), rubric: "ok".into() }).unwrap();
        }
        let s = store
            .create_session(&NewSession { agent_id: agent.id.clone(), task: "Hello".into(), parent_id: None })
            .unwrap();
        store.finish_session(&s.id, SessionStatus::Completed, Some("hi"), None).unwrap();
    }
    let ids: Vec<String> = {
        let store = Store::open(data).unwrap();
        let agent = store.agent("helper").unwrap();
        store.unreviewed_sessions(&agent.id).unwrap()
    };
    server.add_rule(rule(
        PROPOSAL_TOOL,
        Reply::tool_use("toolu_p", PROPOSAL_TOOL, json!({"edits": [
            {"op": "rewrite", "path": "/memories/_index.md", "content": "- facts\n- Answer briefly.\n",
             "reason": "The user asked for brevity.", "source_session_ids": ids}]})),
        None,
    ));
    server.add_rule(rule(
        "strict, fair grader",
        Reply::tool_use("toolu_g", TOOL_NAME, json!({"applies": true, "explanation": "ok", "verdicts": [
            {"criterion_index": 0, "passed": true, "score": 1.0, "evidence": "Fine", "gap": null}]})),
        None,
    ));
    // The gate's first agent calls hang; the kill lands while they wait.
    let mut slow = Reply::text("Fine.");
    slow.first_byte_delay_ms = 30_000;
    server.add_rule(rule("careful assistant", slow, Some(2)));
    server.add_rule(rule("careful assistant", Reply::text("Fine."), None));

    let mut child = reverie(data, &url)
        .args(["dream", "--agent", "helper", "--apply"])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !server
        .requests()
        .iter()
        .any(|r| r.body.to_string().contains("careful assistant"))
    {
        assert!(Instant::now() < deadline, "the gate never ran the agent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();

    assert_eq!(memory(data), ("- facts\n".to_string(), 1), "the real store is untouched");
    // The next start finds the gate's process gone and fails it cleanly.
    let gates = json_of(&cli(data, &url, &["--json", "eval", "gates", "--agent", "helper"]).await);
    assert_eq!(gates[0]["status"], "failed", "{gates}");
    assert!(gates[0]["error"].as_str().unwrap().contains("memory was not changed"));
    let dreams = json_of(&cli(data, &url, &["--json", "dream", "list"]).await);
    assert_eq!(dreams[0]["status"], "completed");
    assert_eq!(dreams[0]["review"], "staged", "the dream waits, resumable: {dreams}");
    assert_eq!(memory(data), ("- facts\n".to_string(), 1));

    // Resumed, it finishes, passes and applies the proposal.
    let gate_id = gates[0]["id"].as_str().unwrap().to_string();
    let report = json_of(&cli(data, &url, &["--json", "eval", "resume", &gate_id]).await);
    assert_eq!(report["gate"]["status"], "passed", "{report}");
    assert_eq!(report["gate"]["decision"], "applied");
    assert_eq!(report["runs_done"], 4);
    assert_eq!(memory(data), ("- facts\n- Answer briefly.\n".to_string(), 1));
    let dreams = json_of(&cli(data, &url, &["--json", "dream", "list"]).await);
    assert_eq!(dreams[0]["review"], "applied");
}
