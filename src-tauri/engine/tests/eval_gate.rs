//! The regression gate end to end against the fake model server over real
//! HTTP. The agent's answer passes the rubric only when its request carries
//! a given memory line: dream A adds that line and is applied after the
//! gate; dream B removes it and is held with the regression listed; the
//! real store is unchanged by both gate runs (the agent's own memory write
//! during each run stays in the run's view). Also: comparing two memory
//! versions, pinned lines, receipts and calibration.

mod dream_support;

use dream_support::*;
use reverie_engine::eval::{self, NewEvalTask, gate};
use reverie_engine::outcome::grader::TOOL_NAME;
use reverie_engine::store::*;
use reverie_fake_model::{Conditions, Reply, Rule};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const LINE: &str = "Always cite the handbook by section number.";
const TASK: &str = "TASK-Q: how many vacation days do new staff get?";

const RUBRIC: &str = r#"{
  "schema": "reverie.rubric/1",
  "name": "cites",
  "description": "Answers cite the handbook.",
  "threshold": 0.5,
  "max_iterations": 1,
  "criteria": [
    {"name": "Cites the handbook", "weight": 1, "required": true, "kind": {"type": "judged", "description": "Cites the handbook section the answer rests on."}}
  ]
}"#;

fn verdict(passed: bool) -> Reply {
    Reply::tool_use(
        "toolu_g",
        TOOL_NAME,
        json!({"applies": true, "explanation": "Graded.", "verdicts": [
            {"criterion_index": 0, "passed": passed, "score": if passed { 1.0 } else { 0.0 },
             "evidence": if passed { "CITED-ANSWER" } else { "plain" }, "gap": if passed { None } else { Some("Cite the section.") }}
        ]}),
    )
}

fn rule(system: Option<&str>, last_user: Option<&str>, reply: Reply) -> Rule {
    Rule {
        when: Conditions {
            system_contains: system.map(str::to_string),
            last_user_contains: last_user.map(str::to_string),
            ..Default::default()
        },
        reply,
        times: None,
    }
}

/// The model: the grader passes only a cited answer; the agent first
/// writes a note into memory, then cites only when its system prompt (the
/// memory index) carries the line.
fn script(env: &Env) {
    let s = &env.server;
    s.add_rule(rule(Some("strict, fair grader"), Some("CITED-ANSWER"), verdict(true)));
    s.add_rule(rule(Some("strict, fair grader"), None, verdict(false)));
    s.add_rule(rule(
        Some("careful assistant"),
        Some("TASK-Q"),
        Reply::tool_use(
            "toolu_m",
            "memory",
            json!({"command": "create", "path": "/memories/gate-scratch.md", "file_text": "noted during a run\n"}),
        ),
    ));
    s.add_rule(rule(Some(LINE), None, Reply::text("CITED-ANSWER: 25 days (handbook §4.2).")));
    s.add_rule(rule(Some("careful assistant"), None, Reply::text("25 days.")));
}

fn index_edit(content: &str, base: &str, ids: &[String]) -> serde_json::Value {
    let _ = base;
    json!([{"op": "rewrite", "path": "/memories/_index.md", "content": content,
            "reason": "The user asked for it.", "source_session_ids": ids}])
}

fn versions(env: &Env) -> usize {
    env.store()
        .document_history(&env.store_id(), "/memories/_index.md")
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dream_a_passes_the_gate_and_applies_dream_b_regresses_and_is_held() {
    let env = setup().await;
    let store = env.store();
    env.write("/memories/_index.md", "- /memories/notes.md: facts\n");
    store
        .update_agent(
            "helper",
            &AgentUpdate {
                dream_policy: Some(DreamPolicy::Auto),
                ..Default::default()
            },
        )
        .unwrap();
    store.save_rubric("cites", RUBRIC).unwrap();
    eval::add_task(
        store,
        "helper",
        &NewEvalTask {
            name: "vacation".into(),
            task: TASK.into(),
            rubric: "cites".into(),
        },
    )
    .unwrap();
    script(&env);

    // Dream A adds the line: the gate sees the task pass after, not before.
    let ids = vec![session(store, &env.agent, "Which days off?", &[])];
    let before = env.memory();
    let base = sha256_hex(before["/memories/_index.md"].as_bytes());
    let with_line = format!("- /memories/notes.md: facts\n- {LINE}\n");
    on_reduce(&env.server, proposal(index_edit(&with_line, &base, &ids)), Some(1));
    let a = env.dream(DreamTrigger::Cli).await.unwrap();
    assert!(a.applied, "{:?}", a.held_for_review);
    let ga = gate::gate_for_dream(store, &a.dream.id).unwrap().unwrap();
    assert_eq!(ga.gate.status, "passed", "{ga:#?}");
    assert_eq!(ga.gate.decision.as_deref(), Some("applied"));
    assert_eq!((ga.passed_before, ga.passed_after), (0, 1));
    assert!(ga.tasks[0].improvement && ga.tasks[0].score_change == Some(1.0));
    let before_run = ga.tasks[0].before.as_ref().unwrap();
    let after_run = ga.tasks[0].after.as_ref().unwrap();
    assert_ne!(before_run.session_id, after_run.session_id);
    assert_eq!(after_run.attempts, 1);
    assert_eq!(env.memory()["/memories/_index.md"], with_line);
    assert!(
        !env.memory().contains_key("/memories/gate-scratch.md"),
        "the agent's write during the gate stayed in the run's view"
    );
    assert_eq!(versions(&env), 2, "the user's version and dream A's, nothing from the gate");
    // Gate sessions are evaluation sessions: no dream reviews them.
    for r in [before_run, after_run] {
        let sid = r.session_id.as_deref().unwrap();
        assert!(eval::is_eval_session(store, sid).unwrap());
        assert_eq!(store.session(sid).unwrap().status, SessionStatus::Completed);
    }
    let pending = reverie_engine::dream::sessions_to_review(store, &env.agent).unwrap();
    assert!(pending.is_empty(), "{pending:?}");
    // The run's memory read its receipts; the line is dream A's.
    let blame = eval::blame::blame(store, &env.store_id(), "/memories/_index.md").unwrap();
    assert_eq!(blame[1].text, format!("- {LINE}"));
    assert_eq!(blame[1].dream_id.as_deref(), Some(a.dream.id.as_str()));
    assert_eq!(blame[0].author, Some(AuthorKind::User));

    // Dream B removes the line: the task goes from passed to failed.
    let after_a = env.memory();
    let ids = vec![session(store, &env.agent, "More days off?", &[])];
    let base = sha256_hex(after_a["/memories/_index.md"].as_bytes());
    on_reduce(
        &env.server,
        proposal(index_edit("- /memories/notes.md: facts\n", &base, &ids)),
        Some(1),
    );
    let b = env.dream(DreamTrigger::Cli).await.unwrap();
    assert!(!b.applied);
    let held = b.held_for_review.clone().unwrap();
    assert!(held.contains("vacation passed before and fails after"), "{held}");
    assert_eq!(b.dream.review, ReviewState::Staged);
    let gb = gate::gate_for_dream(store, &b.dream.id).unwrap().unwrap();
    assert_eq!(gb.gate.status, "regressed");
    assert_eq!(gb.gate.decision.as_deref(), Some("held"));
    assert!(gb.tasks[0].regression, "regressions are listed first");
    assert_eq!(gb.regressions.len(), 1);
    assert_eq!(env.memory(), after_a, "a held dream and its gate change nothing");
    assert_eq!(versions(&env), 2);
    let shown = store.dream(&b.dream.id).unwrap().progress;
    assert_eq!(shown["gate"]["status"], "regressed", "{shown}");

    // The same replay compares any two memory versions.
    let cmp = gate::start_compare(store, "helper", &format!("before:{}", a.dream.id), &a.dream.id).unwrap();
    let report = gate::run_gate(&env.runtime, &cmp.id, CancellationToken::new(), gate::GateProgressSink::none())
        .await
        .unwrap();
    assert_eq!((report.passed_before, report.passed_after), (0, 1), "{report:#?}");
    assert_eq!(report.gate.decision, None);
    assert_eq!(env.memory(), after_a);

    // Normal stats leave evaluation sessions out.
    let stats = store.outcome_stats(&OutcomeStatsFilter::default()).unwrap();
    assert!(stats.totals.is_empty(), "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pinned_line_is_never_changed_by_a_dream() {
    let env = setup().await;
    let store = env.store();
    env.write("/memories/_index.md", "keep me\nold fact\n");
    eval::blame::pin_line(store, &env.store_id(), "/memories/_index.md", 1, true).unwrap();
    let ids = vec![session(store, &env.agent, "Anything?", &[])];
    on_reduce(
        &env.server,
        proposal(json!([
            {"op": "rewrite", "path": "/memories/_index.md", "content": "new fact\n",
             "reason": "The fact changed.", "source_session_ids": ids},
            {"op": "create", "path": "/memories/other.md", "content": "x\n", "reason": "A new note.", "source_session_ids": ids}
        ])),
        Some(1),
    );
    let report = env.dream(DreamTrigger::Cli).await.unwrap();
    assert_eq!(report.edits.len(), 1, "{:?}", report.edits);
    assert!(report.blocked[0].reason.contains("which you pinned"), "{:?}", report.blocked);
    // Line actions: correct and forget write user versions; the pin follows.
    let sid = env.store_id();
    eval::blame::correct_line(store, &sid, "/memories/_index.md", 2, "new fact").unwrap();
    eval::blame::forget_line(store, &sid, "/memories/_index.md", 2).unwrap();
    assert_eq!(env.memory()["/memories/_index.md"], "keep me\n");
    let lines = eval::blame::blame(store, &sid, "/memories/_index.md").unwrap();
    assert!(lines[0].pinned);
}
