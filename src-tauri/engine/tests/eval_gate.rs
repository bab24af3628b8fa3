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
    let blame = reverie_engine::receipts::blame(store, &env.store_id(), "/memories/_index.md").unwrap();
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
    reverie_engine::receipts::pin_line(store, &env.store_id(), "/memories/_index.md", 1, true).unwrap();
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
    reverie_engine::receipts::correct_line(store, &sid, "/memories/_index.md", 2, "new fact").unwrap();
    reverie_engine::receipts::forget_line(store, &sid, "/memories/_index.md", 2).unwrap();
    assert_eq!(env.memory()["/memories/_index.md"], "keep me\n");
    let lines = reverie_engine::receipts::blame(store, &sid, "/memories/_index.md").unwrap();
    assert!(lines[0].pinned);
}

/// Under the manual policy a dream with a staged proposal is still gated;
/// the user's apply respects the result: `dreams.apply` answers
/// needs_confirmation with the regressions until sent with force.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_dream_is_gated_and_applying_a_regression_needs_force() {
    let env = setup().await;
    let store = env.store();
    let with_line = format!("- /memories/notes.md: facts\n- {LINE}\n");
    env.write("/memories/_index.md", &with_line);
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
    let ids = vec![session(store, &env.agent, "Fewer notes?", &[])];
    let base = sha256_hex(with_line.as_bytes());
    on_reduce(
        &env.server,
        proposal(index_edit("- /memories/notes.md: facts\n", &base, &ids)),
        Some(1),
    );
    let d = env.dream(DreamTrigger::Cli).await.unwrap();
    assert!(!d.applied);
    assert_eq!(d.dream.review, ReviewState::Staged);
    let g = gate::gate_for_dream(store, &d.dream.id).unwrap().expect("gated under the manual policy");
    assert_eq!(g.gate.status, "regressed", "{g:#?}");
    assert!(!g.gate.auto_apply);
    assert_eq!(g.gate.decision.as_deref(), Some("held"));
    assert_eq!(env.memory()["/memories/_index.md"], with_line);

    // The user's apply: refused without force, with the regressions.
    match gate::apply_check(store, &d.dream.id).unwrap() {
        gate::ApplyCheck::Regressed { message, .. } => {
            assert!(message.contains("vacation passed before and fails after"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    let err = gate::apply_reviewed(store, &d.dream.id, false).unwrap_err();
    assert!(err.to_string().contains("vacation passed before"), "{err}");
    let api = std::sync::Arc::new(reverie_engine::api::Api::new(env.runtime.clone()));
    let refused = api
        .call("dreams.apply", json!({"id": d.dream.id}))
        .await
        .unwrap_err();
    assert_eq!(refused.kind, "needs_confirmation", "{refused:?}");
    assert!(refused.message.contains("vacation passed before and fails after"), "{}", refused.message);
    assert_eq!(env.memory()["/memories/_index.md"], with_line, "nothing applied");
    let applied = api
        .call("dreams.apply", json!({"id": d.dream.id, "force": true}))
        .await
        .unwrap();
    assert_eq!(applied["review"], "applied", "{applied}");
    assert_eq!(env.memory()["/memories/_index.md"], "- /memories/notes.md: facts\n");
}

/// While the dream's gate runs, applying is refused with a sentence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applying_while_the_checks_run_is_refused() {
    let env = setup().await;
    let store = env.store();
    env.write("/memories/_index.md", "- /memories/notes.md: facts\n");
    // No checks yet when the dream runs: staged without a gate.
    let ids = vec![session(store, &env.agent, "Anything?", &[])];
    on_reduce(
        &env.server,
        proposal(json!([{"op": "create", "path": "/memories/other.md", "content": "x\n", "reason": "A note.", "source_session_ids": ids}])),
        Some(1),
    );
    let d = env.dream(DreamTrigger::Cli).await.unwrap();
    assert!(gate::gate_for_dream(store, &d.dream.id).unwrap().is_none(), "no checks, no gate");
    store.save_rubric("cites", RUBRIC).unwrap();
    eval::add_task(
        store,
        "helper",
        &NewEvalTask { name: "vacation".into(), task: TASK.into(), rubric: "cites".into() },
    )
    .unwrap();
    // A gate that holds its lease (as a running one does) blocks apply.
    let g = gate::start_gate(store, &d.dream.id, false).unwrap();
    assert!(store.try_acquire_lease(&gate::gate_lease(&g.id), std::time::Duration::from_secs(60)).unwrap());
    let err = gate::apply_reviewed(store, &d.dream.id, true).unwrap_err();
    assert_eq!(err.to_string(), gate::STILL_RUNNING);
    let api = std::sync::Arc::new(reverie_engine::api::Api::new(env.runtime.clone()));
    let refused = api.call("dreams.apply", json!({"id": d.dream.id, "force": true})).await.unwrap_err();
    assert_eq!(refused.kind, "conflict");
    assert_eq!(refused.message, "the checks are still running; wait for them or cancel them");
    assert!(!env.memory().contains_key("/memories/other.md"));
    // Once the gate's process is gone (lease free), it no longer blocks.
    store.release_lease(&gate::gate_lease(&g.id)).unwrap();
    gate::apply_reviewed(store, &d.dream.id, false).unwrap();
    assert_eq!(env.memory()["/memories/other.md"], "x\n");
}

/// A gate's token budget stops it cleanly: the runs not started are left
/// out, the gate fails with the budget named, the dream is held, and the
/// real store is unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_over_its_token_budget_stops_and_the_dream_is_held() {
    let env = setup().await;
    let store = env.store();
    env.write("/memories/_index.md", "- /memories/notes.md: facts\n");
    store
        .update_agent("helper", &AgentUpdate { dream_policy: Some(DreamPolicy::Auto), ..Default::default() })
        .unwrap();
    eval::set_gate_settings(
        store,
        "helper",
        &eval::GateSettingsChanges { budget_tokens: Some(1), concurrency: Some(1), ..Default::default() },
    )
    .unwrap();
    store.save_rubric("cites", RUBRIC).unwrap();
    for name in ["one", "two"] {
        eval::add_task(store, "helper", &NewEvalTask { name: name.into(), task: TASK.into(), rubric: "cites".into() }).unwrap();
    }
    script(&env);
    let ids = vec![session(store, &env.agent, "Which days off?", &[])];
    let with_line = format!("- /memories/notes.md: facts\n- {LINE}\n");
    on_reduce(&env.server, proposal(index_edit(&with_line, "", &ids)), Some(1));
    let before = env.memory();
    let d = env.dream(DreamTrigger::Cli).await.unwrap();
    assert!(!d.applied, "an unfinished gate never applies");
    let g = gate::gate_for_dream(store, &d.dream.id).unwrap().unwrap();
    assert_eq!(g.gate.status, "failed", "{g:#?}");
    let error = g.gate.error.clone().unwrap();
    assert!(error.contains("budget of 1 tokens") && error.contains("memory was not changed"), "{error}");
    assert_eq!(g.gate.decision.as_deref(), Some("held"));
    assert!(g.runs_done >= 1 && g.runs_done < g.runs_total, "{} of {}", g.runs_done, g.runs_total);
    assert!(g.tokens > 1);
    assert!(d.held_for_review.unwrap().contains("did not finish"));
    assert_eq!(env.memory(), before, "the real store is unchanged");
    assert_eq!(store.dream(&d.dream.id).unwrap().review, ReviewState::Staged);
    // A failed gate does not block the user's own apply.
    assert_eq!(gate::apply_check(store, &d.dream.id).unwrap(), gate::ApplyCheck::Clear);
}

/// A lead agent's teammates run inside the gate's memory view too: a
/// subagent's memory write during a gate run never reaches the real store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subagents_memory_write_in_a_gate_run_stays_in_the_view() {
    let env = setup().await;
    let store = env.store();
    let new = |name: &str, prompt: &str, tools: Vec<String>| NewAgent {
        name: name.into(),
        provider: reverie_engine::provider::ProviderKind::Anthropic,
        model: "claude-sonnet-4-5".into(),
        system_prompt: prompt.into(),
        tools,
    };
    store.create_agent(&new("desk", "You lead the desk.", vec![])).unwrap();
    let scribe = store.create_agent(&new("scribe", "You are the scribe.", vec!["memory".into()])).unwrap();
    store.roster_add("desk", "scribe").unwrap();
    store.save_rubric("cites", RUBRIC).unwrap();
    eval::add_task(store, "desk", &NewEvalTask { name: "note".into(), task: "TASK-D: note it".into(), rubric: "cites".into() }).unwrap();
    let s = &env.server;
    s.add_rule(rule(Some("strict, fair grader"), None, verdict(true)));
    s.add_rule(rule(
        Some("You lead the desk"),
        Some("TASK-D"),
        Reply::tool_use("toolu_d", "delegate", json!({"tasks": [{"agent": "scribe", "task": "Write it down: SUB-NOTE"}]})),
    ));
    s.add_rule(rule(
        Some("You are the scribe"),
        Some("Write it down"),
        Reply::tool_use(
            "toolu_s",
            "memory",
            json!({"command": "create", "path": "/memories/sub-note.md", "file_text": "written by a teammate during a gate\n"}),
        ),
    ));
    s.add_rule(rule(Some("You lead the desk"), None, Reply::text("CITED-ANSWER: noted.")));
    s.add_rule(rule(Some("You are the scribe"), None, Reply::text("Written down.")));

    let cmp = gate::start_compare(store, "desk", "current", "current").unwrap();
    let report = gate::run_gate(&env.runtime, &cmp.id, CancellationToken::new(), gate::GateProgressSink::none())
        .await
        .unwrap();
    assert_eq!(report.gate.status, "passed", "{report:#?}");
    // The scribe did write (its session shows the memory call) ...
    let wrote = s.requests().iter().any(|r| {
        let body = r.body.to_string();
        body.contains("You are the scribe") && body.contains("toolu_s") && body.contains("tool_result")
    });
    assert!(wrote, "the scribe's memory call ran");
    // ... but only in the view.
    let scribe_store = scribe.default_store().unwrap().store_id.clone();
    assert!(store.list_documents(&scribe_store, None).unwrap().is_empty());
    assert!(store.read_document(&env.store_id(), "/memories/sub-note.md").unwrap().is_none());
    // The teammate's session is an evaluation session too.
    let threads: Vec<_> = store
        .list_sessions(&SessionFilter::default())
        .unwrap()
        .into_iter()
        .filter(|x| x.agent_id == scribe.id)
        .collect();
    assert!(!threads.is_empty());
    for t in threads {
        assert!(eval::is_eval_session(store, &t.id).unwrap());
    }
}

/// Pass rates over time: graded runs count (evaluation runs do not), each
/// point lists its sessions, and an applied and a reverted dream are marked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_series_counts_graded_runs_and_marks_applied_and_reverted_dreams() {
    use reverie_engine::runtime::{OutcomeOptions, ProgressSink, RunRequest};
    use reverie_engine::store::outcome_series::{SeriesFilter, outcome_series};
    let env = setup().await;
    let store = env.store();
    store.save_rubric("cites", RUBRIC).unwrap();
    script(&env);
    let graded = |task: &str| {
        let request = RunRequest {
            agent: "helper".into(),
            task: task.into(),
            limits: None,
        };
        env.runtime.run_with_rubric(
            request,
            OutcomeOptions::new("cites"),
            CancellationToken::new(),
            ProgressSink::none(),
        )
    };
    // With the line in memory the answer cites and passes; without, it fails.
    env.write("/memories/_index.md", &format!("- {LINE}\n"));
    let passed = graded("Q1: days off?").await.unwrap();
    env.write("/memories/_index.md", "- /memories/notes.md: facts\n");
    let failed = graded("Q2: days off?").await.unwrap();

    // A dream applied, then reverted: both are marked.
    let ids = vec![session(store, &env.agent, "Anything?", &[])];
    store
        .update_agent("helper", &AgentUpdate { dream_policy: Some(DreamPolicy::Auto), ..Default::default() })
        .unwrap();
    on_reduce(
        &env.server,
        proposal(json!([{"op": "create", "path": "/memories/style.md", "content": "Be brief.\n",
            "reason": "Asked twice.", "source_session_ids": ids}])),
        Some(1),
    );
    let dream = env.dream(DreamTrigger::Cli).await.unwrap();
    assert!(dream.applied, "{:?}", dream.held_for_review);
    reverie_engine::dream::revert_dream(store, &dream.dream.id, &Default::default()).unwrap();

    // An evaluation run (a comparison) is left out of the series.
    eval::add_task(store, "helper", &NewEvalTask { name: "vacation".into(), task: TASK.into(), rubric: "cites".into() })
        .unwrap();
    let cmp = gate::start_compare(store, "helper", "current", "current").unwrap();
    gate::run_gate(&env.runtime, &cmp.id, CancellationToken::new(), gate::GateProgressSink::none())
        .await
        .unwrap();

    let series = outcome_series(store, &SeriesFilter::default()).unwrap();
    assert_eq!(series.len(), 1, "{series:#?}");
    let s = &series[0];
    assert_eq!((s.agent.as_str(), s.rubric.as_str()), ("helper", "cites"));
    assert_eq!(s.points.len(), 1, "one day: {:#?}", s.points);
    let point = &s.points[0];
    assert_eq!((point.outcomes, point.satisfied), (2, 1), "{point:#?}");
    assert_eq!(point.pass_rate, Some(0.5));
    assert_eq!(point.mean_attempts, 1.0);
    let mut sessions = point.session_ids.clone();
    sessions.sort();
    let mut expected = vec![passed.1.session_id.clone(), failed.1.session_id.clone()];
    expected.sort();
    assert_eq!(sessions, expected, "the point lists its sessions, and no evaluation session");
    let kinds: Vec<(&str, &str)> = s.markers.iter().map(|m| (m.dream_id.as_str(), m.kind.as_str())).collect();
    assert_eq!(kinds, [(dream.dream.id.as_str(), "applied"), (dream.dream.id.as_str(), "reverted")]);
    assert!(s.markers.iter().all(|m| m.bucket == point.bucket));
}

/// "Check the grader": one judged criterion is decided the same way every
/// time, the other flips between gradings and is flagged with advice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calibration_flags_the_criterion_the_grader_decides_both_ways() {
    let env = setup().await;
    let store = env.store();
    store
        .save_rubric(
            "two",
            r#"{"schema": "reverie.rubric/1", "name": "two", "description": "d", "threshold": 0.5, "max_iterations": 1,
              "criteria": [
                {"name": "Answers", "weight": 1, "required": true, "kind": {"type": "judged", "description": "Answers the question."}},
                {"name": "Is friendly", "weight": 1, "required": false, "kind": {"type": "judged", "description": "Sounds friendly."}}
              ]}"#,
        )
        .unwrap();
    let output = session(
        store,
        &env.agent,
        "How many days off?",
        &[(EventKind::FinalAnswer, json!({"text": "25 days."}))],
    );
    let grade = |friendly: bool| {
        Reply::tool_use(
            "toolu_g",
            TOOL_NAME,
            json!({"applies": true, "explanation": "Graded.", "verdicts": [
                {"criterion_index": 0, "passed": true, "score": 1.0, "evidence": "25 days", "gap": null},
                {"criterion_index": 1, "passed": friendly, "score": if friendly { 0.9 } else { 0.1 },
                 "evidence": "25 days", "gap": if friendly { None } else { Some("Say it warmly.") }}
            ]}),
        )
    };
    for friendly in [true, false, true, false] {
        env.server.add_rule(Rule {
            when: Conditions { system_contains: Some("strict, fair grader".into()), ..Default::default() },
            reply: grade(friendly),
            times: Some(1),
        });
    }
    let report = eval::calibrate::calibrate(&env.runtime, "two", &output, 4, None, &CancellationToken::new())
        .await
        .unwrap();
    assert_eq!((report.k, report.graded), (4, 4), "{report:#?}");
    let steady = &report.criteria[0];
    assert!(steady.stable && steady.agreement == 1.0 && steady.advice.is_none(), "{steady:#?}");
    let flipping = &report.criteria[1];
    assert!(!flipping.stable, "{flipping:#?}");
    assert_eq!((flipping.passes, flipping.fails), (2, 2));
    assert_eq!(flipping.agreement, 0.5);
    assert!(flipping.max_score - flipping.min_score > 0.7);
    assert!(flipping.advice.as_deref().is_some_and(|a| !a.is_empty()));
    assert_eq!(report.unstable, ["Is friendly"]);
}
