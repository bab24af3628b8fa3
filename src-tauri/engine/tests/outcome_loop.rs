//! The outcome loop against the fake model server over real HTTP: an
//! iteration that fails a criterion and the gap carried into the next pass,
//! the grader's isolation from the agent's context, a malformed verdict
//! retried once, the attempt limit, and cancellation mid-loop.

mod support {
    pub mod model;
}

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reverie_engine::Store;
use reverie_engine::outcome::grader::{SYSTEM_PROMPT, TOOL_NAME};
use reverie_engine::provider::ProviderKind;
use reverie_engine::runtime::{OutcomeOptions, Progress, ProgressSink, RunRequest, Runtime};
use reverie_engine::store::*;
use reverie_fake_model::{Block, Conditions, FakeModelServer, Reply, Rule};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// A rubric with one exact and two judged criteria (one required).
const BRIEF_RUBRIC: &str = r#"{
  "schema": "reverie.rubric/1",
  "name": "brief",
  "description": "A short market brief.",
  "threshold": 0.7,
  "max_iterations": 3,
  "criteria": [
    {"name": "Has a summary", "weight": 1, "required": false, "kind": {"type": "headings", "required": ["Summary"]}},
    {"name": "Cites a source", "weight": 2, "required": true, "kind": {"type": "judged", "description": "Names the source of every figure."}},
    {"name": "Plain words", "weight": 1, "required": false, "kind": {"type": "judged", "description": "No jargon a general reader would not know."}}
  ]
}"#;

const GAP: &str = "Name the central bank as the source of the 4.5% rate.";

async fn setup(system: &str, tools: &[&str]) -> (tempfile::TempDir, FakeModelServer, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    store
        .create_agent(&NewAgent {
            name: "writer".into(),
            provider: ProviderKind::Anthropic,
            model: "claude-sonnet-4-5".into(),
            system_prompt: system.into(),
            tools: tools.iter().map(|t| t.to_string()).collect(),
        })
        .unwrap();
    store.save_rubric("brief", BRIEF_RUBRIC).unwrap();
    let (server, runtime) = support::model::runtime_on_fake_server(store, 1).await;
    (dir, server, runtime)
}

/// Runs `task` graded against `rubric`, with no cancel and no progress.
async fn graded(
    runtime: &Runtime,
    task: &str,
    rubric: &str,
) -> reverie_engine::Result<(
    reverie_engine::runtime::RunResult,
    reverie_engine::store::Outcome,
)> {
    runtime
        .run_with_rubric(
            request(task),
            OutcomeOptions::new(rubric),
            CancellationToken::new(),
            ProgressSink::none(),
        )
        .await
}

fn request(task: &str) -> RunRequest {
    RunRequest {
        agent: "writer".into(),
        task: task.into(),
        limits: None,
    }
}

fn verdict(index: u64, passed: bool, evidence: &str, gap: Option<&str>) -> Value {
    json!({"criterion_index": index, "passed": passed, "score": if passed { 1.0 } else { 0.0 }, "evidence": evidence, "gap": gap})
}

fn grader_reply(verdicts: Vec<Value>) -> Reply {
    Reply::tool_use(
        "toolu_grade",
        TOOL_NAME,
        json!({"applies": true, "explanation": "Graded.", "verdicts": verdicts}),
    )
}

/// Answers every request whose system prompt is the grader's.
fn grader_rule(reply: Reply, times: Option<u32>) -> Rule {
    Rule {
        when: Conditions {
            system_contains: Some("strict, fair grader".into()),
            ..Default::default()
        },
        reply,
        times,
    }
}

fn is_grader(body: &Value) -> bool {
    body["system"].to_string().contains("strict, fair grader")
}

fn events_of(runtime: &Runtime, session_id: &str, kind: EventKind) -> Vec<Event> {
    runtime
        .store()
        .events(
            session_id,
            &EventQuery {
                kinds: vec![kind],
                ..Default::default()
            },
        )
        .unwrap()
}

/// The text of the last user message of a request body.
fn last_user_text(body: &Value) -> String {
    let msgs = body["messages"].as_array().unwrap();
    let last = msgs.iter().rev().find(|m| m["role"] == "user").unwrap();
    match &last["content"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

#[tokio::test]
async fn a_failed_criterion_goes_back_as_its_gap_and_the_second_pass_is_satisfied() {
    let (_dir, server, runtime) = setup("You write briefs.", &[]).await;
    server.add_rule(grader_rule(
        grader_reply(vec![
            verdict(1, false, "Rates are 4.5%", Some(GAP)),
            verdict(2, true, "Rates are 4.5%", None),
        ]),
        Some(1),
    ));
    server.add_rule(grader_rule(
        grader_reply(vec![
            verdict(1, true, "says the central bank", None),
            verdict(2, true, "Rates are 4.5%", None),
        ]),
        None,
    ));
    server.push_reply(Reply::text("# Summary\nRates are 4.5%."));
    server.push_reply(Reply::text(
        "# Summary\nRates are 4.5%, says the central bank.",
    ));
    let verdicts_seen = Arc::new(Mutex::new(Vec::new()));
    let seen = verdicts_seen.clone();
    let sink = ProgressSink::new(move |p| {
        if let Progress::Verdict {
            iteration, result, ..
        } = p
        {
            seen.lock().unwrap().push((iteration, result));
        }
    });
    let (run, outcome) = runtime
        .run_with_rubric(
            request("Write a brief on interest rates."),
            OutcomeOptions::new("brief"),
            CancellationToken::new(),
            sink,
        )
        .await
        .unwrap();
    assert_eq!(run.status, SessionStatus::Completed, "{:?}", run.error);
    assert_eq!(outcome.result, Some(OutcomeResult::Satisfied));
    assert_eq!(outcome.iterations, 2);
    assert!(outcome.finished_at.is_some());
    assert_eq!(
        *verdicts_seen.lock().unwrap(),
        [
            (1, OutcomeResult::NeedsRevision),
            (2, OutcomeResult::Satisfied)
        ]
    );

    // agent, grader, agent, grader
    let requests = server.requests();
    let graders: Vec<bool> = requests.iter().map(|r| is_grader(&r.body)).collect();
    assert_eq!(graders, [false, true, false, true]);
    // The second pass continues the same conversation and ends with the
    // feedback: exactly the failed criterion's gap, nothing about the
    // criteria that passed.
    let second_pass = &requests[2].body;
    assert_eq!(second_pass["messages"].as_array().unwrap().len(), 3);
    let feedback = last_user_text(second_pass);
    let gaps: Vec<&str> = feedback.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(gaps, [format!("- Cites a source (required): {GAP}")]);
    assert!(!feedback.contains("Plain words"), "{feedback}");
    assert!(!feedback.contains("Has a summary"), "{feedback}");

    // Two verdicts on the timeline, each with its per-criterion verdicts.
    let verdict_events = events_of(&runtime, &run.session_id, EventKind::GraderVerdict);
    assert_eq!(verdict_events.len(), 2);
    assert_eq!(verdict_events[0].data["result"], "needs_revision");
    assert_eq!(verdict_events[1].data["result"], "satisfied");
    let first = verdict_events[0].data["verdicts"].as_array().unwrap();
    assert_eq!(first.len(), 3, "exact and judged verdicts: {first:?}");
    assert_eq!(first[0]["name"], "Has a summary");
    assert_eq!(first[0]["passed"], true);
    assert_eq!(first[1]["gap"], GAP);
    let iterations = events_of(&runtime, &run.session_id, EventKind::OutcomeIteration);
    assert_eq!(iterations.len(), 2);

    // Stored: the outcome and every verdict of both iterations.
    let store = runtime.store();
    let stored = store.verdicts(&outcome.id).unwrap();
    assert_eq!(stored.len(), 6);
    assert!(
        stored
            .iter()
            .any(|v| v.iteration == 1 && v.criterion_index == 1 && !v.passed && v.gap == GAP)
    );
    assert!(stored.iter().filter(|v| v.iteration == 2).all(|v| v.passed));
    assert_eq!(
        store.outcomes_for_session(&run.session_id).unwrap().len(),
        1
    );
    let session = store.session(&run.session_id).unwrap();
    assert_eq!(
        session.final_answer.as_deref(),
        Some("# Summary\nRates are 4.5%, says the central bank.")
    );

    // Stats see one satisfied outcome that took two iterations.
    let stats = store
        .outcome_stats(&OutcomeStatsFilter {
            agent: Some("writer".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(stats.days.len(), 1);
    let row = &stats.totals[0];
    assert_eq!((row.runs, row.satisfied), (1, 1));
    assert_eq!(row.pass_rate, Some(1.0));
    assert_eq!(row.mean_iterations_to_pass, Some(2.0));
    assert_eq!(row.criteria.len(), 3);
}

#[tokio::test]
async fn the_grader_sees_the_task_and_output_but_no_reasoning_tool_calls_or_system_prompt() {
    let (_dir, server, runtime) =
        setup("SECRET-SYSTEM-PROMPT: you write briefs.", &["workspace"]).await;
    server.add_rule(grader_rule(
        grader_reply(vec![
            verdict(1, true, "says the central bank", None),
            verdict(2, true, "Rates are 4.5%", None),
        ]),
        None,
    ));
    server.push_reply(
        Reply::default()
            .with_thinking("SECRET-THINKING about the brief", "sig-1")
            .with_block(Block::ToolUse {
                id: "toolu_SECRETCALL".into(),
                name: "workspace".into(),
                input: json!({"command": "write", "path": "notes/sources.md", "content": "Source: the central bank bulletin."}),
            }),
    );
    server.push_reply(Reply::text(
        "# Summary\nRates are 4.5%, says the central bank.",
    ));
    let (run, outcome) = graded(&runtime, "Write a brief on interest rates.", "brief")
        .await
        .unwrap();
    assert_eq!(
        outcome.result,
        Some(OutcomeResult::Satisfied),
        "{outcome:?}"
    );

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    // The agent did think and call a tool (its second request carries both).
    let agent_body = requests[1].body.to_string();
    assert!(agent_body.contains("SECRET-THINKING"));
    assert!(agent_body.contains("toolu_SECRETCALL"));

    let grader = &requests[2].body;
    assert!(is_grader(grader));
    let text = grader.to_string();
    for secret in [
        "SECRET-SYSTEM-PROMPT",
        "SECRET-THINKING",
        "toolu_SECRETCALL",
        "sig-1",
        "\"thinking\"",
        "\"tool_result\"",
    ] {
        assert!(
            !text.contains(secret),
            "the grader's request leaks {secret}: {text}"
        );
    }
    // The grader's own system prompt (sent as blocks, for caching), only.
    let system: String = match &grader["system"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks.iter().filter_map(|b| b["text"].as_str()).collect(),
        other => panic!("no system prompt: {other}"),
    };
    assert_eq!(system, SYSTEM_PROMPT);
    let messages = grader["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1, "one user message, its own context");
    let shown = last_user_text(grader);
    assert!(shown.contains("Write a brief on interest rates."));
    assert!(shown.contains("Rates are 4.5%, says the central bank."));
    // The files the agent wrote are part of the output.
    assert!(shown.contains("notes/sources.md"));
    assert!(shown.contains("Source: the central bank bulletin."));
    // Only judged criteria go to the model, and it must answer by tool.
    assert!(shown.contains("Names the source of every figure."));
    assert!(!shown.contains("Has a summary"));
    assert_eq!(
        grader["tool_choice"],
        json!({"type": "tool", "name": TOOL_NAME})
    );
    let tools = grader["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 1);
    assert_eq!(tools[0]["name"], TOOL_NAME);
    assert_eq!(
        events_of(&runtime, &run.session_id, EventKind::GraderVerdict).len(),
        1
    );
}

#[tokio::test]
async fn a_malformed_verdict_is_retried_once_with_the_mistake_named() {
    let (_dir, server, runtime) = setup("You write briefs.", &[]).await;
    // First answer forgets criterion 2; the retry is complete.
    server.add_rule(grader_rule(
        grader_reply(vec![verdict(1, true, "central bank", None)]),
        Some(1),
    ));
    server.add_rule(grader_rule(
        grader_reply(vec![
            verdict(1, true, "central bank", None),
            verdict(2, true, "not in the output at all", None),
        ]),
        None,
    ));
    server.push_reply(Reply::text(
        "# Summary\nRates are 4.5%, says the central bank.",
    ));
    let (run, outcome) = graded(&runtime, "Write a brief.", "brief").await.unwrap();
    assert_eq!(outcome.result, Some(OutcomeResult::Satisfied));
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    // The retry asks afresh with the mistake named, without the failed
    // answer (which would only fill a small model's context).
    let retry = &requests[2].body;
    let messages = retry["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    let text = messages[0]["content"].to_string();
    assert!(text.contains("no verdict for criteria 2"), "{text}");
    assert!(!text.contains("tool_use"), "{text}");
    let event = &events_of(&runtime, &run.session_id, EventKind::GraderVerdict)[0];
    assert_eq!(event.data["grader"]["requests"], 2);
    // Evidence not quoted from the output is flagged.
    assert_eq!(event.data["unquoted_evidence"], json!([2]));
}

#[tokio::test]
async fn a_verdict_malformed_twice_leaves_the_outcome_interrupted() {
    let (_dir, server, runtime) = setup("You write briefs.", &[]).await;
    server.add_rule(grader_rule(Reply::text("It looks fine to me."), None));
    server.push_reply(Reply::text("# Summary\nRates are 4.5%."));
    let (run, outcome) = graded(&runtime, "Write a brief.", "brief").await.unwrap();
    assert_eq!(outcome.result, Some(OutcomeResult::Interrupted));
    assert!(
        outcome.explanation.contains("malformed twice"),
        "{outcome:?}"
    );
    assert_eq!(
        server.requests().len(),
        3,
        "one agent pass, two grader tries"
    );
    assert_eq!(run.status, SessionStatus::Completed);
}

#[tokio::test]
async fn failing_every_pass_ends_at_max_iterations_reached() {
    let (_dir, server, runtime) = setup("You write briefs.", &[]).await;
    server.add_rule(grader_rule(
        grader_reply(vec![
            verdict(1, false, "Rates are 4.5%", Some(GAP)),
            verdict(2, true, "Rates are 4.5%", None),
        ]),
        None,
    ));
    server.add_rule(Rule {
        when: Conditions::default(),
        reply: Reply::text("# Summary\nRates are 4.5%."),
        times: None,
    });
    let mut options = OutcomeOptions::new("brief");
    options.max_iterations = Some(2);
    let (run, outcome) = runtime
        .run_with_rubric(
            request("Write a brief."),
            options,
            CancellationToken::new(),
            ProgressSink::none(),
        )
        .await
        .unwrap();
    assert_eq!(outcome.result, Some(OutcomeResult::MaxIterationsReached));
    assert_eq!(outcome.iterations, 2);
    assert_eq!(outcome.max_iterations, 2);
    assert_eq!(server.requests().len(), 4);
    let results: Vec<Value> = events_of(&runtime, &run.session_id, EventKind::GraderVerdict)
        .iter()
        .map(|e| e.data["result"].clone())
        .collect();
    assert_eq!(
        results,
        [json!("needs_revision"), json!("max_iterations_reached")]
    );
    let stats = runtime
        .store()
        .outcome_stats(&OutcomeStatsFilter::default())
        .unwrap();
    assert_eq!(stats.totals[0].pass_rate, Some(0.0));
    assert_eq!(stats.totals[0].mean_iterations_to_pass, None);
}

#[tokio::test]
async fn cancelling_mid_loop_stores_the_outcome_as_interrupted() {
    let (_dir, server, runtime) = setup("You write briefs.", &[]).await;
    server.add_rule(grader_rule(
        grader_reply(vec![
            verdict(1, false, "Rates are 4.5%", Some(GAP)),
            verdict(2, true, "Rates are 4.5%", None),
        ]),
        None,
    ));
    server.push_reply(Reply::text("# Summary\nRates are 4.5%."));
    // The second pass streams slowly; it is cancelled as it starts.
    server.push_reply(
        Reply::text("# Summary\nRates are 4.5%, says the central bank, as it happens.")
            .chunked(2, 100),
    );
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let graded = Arc::new(AtomicBool::new(false));
    let sink = ProgressSink::new(move |p| match p {
        Progress::Verdict { .. } => graded.store(true, Ordering::SeqCst),
        Progress::TextDelta { .. } if graded.load(Ordering::SeqCst) => trigger.cancel(),
        _ => {}
    });
    let (run, outcome) = runtime
        .run_with_rubric(
            request("Write a brief."),
            OutcomeOptions::new("brief"),
            cancel,
            sink,
        )
        .await
        .unwrap();
    assert_eq!(run.status, SessionStatus::Canceled);
    assert_eq!(outcome.result, Some(OutcomeResult::Interrupted));
    assert_eq!(outcome.iterations, 1, "the first iteration was graded");
    assert!(outcome.finished_at.is_some());
    let stored = runtime.store().outcome(&outcome.id).unwrap();
    assert_eq!(stored.result, Some(OutcomeResult::Interrupted));
    let steps = events_of(&runtime, &run.session_id, EventKind::OutcomeIteration);
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[1].data["result"], "interrupted");
    assert_eq!(
        events_of(&runtime, &run.session_id, EventKind::GraderVerdict).len(),
        1
    );
}

#[tokio::test]
async fn an_outcome_whose_process_died_is_marked_interrupted_on_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let session_id;
    let outcome_id;
    {
        let store = Store::open(dir.path()).unwrap();
        let agent = store
            .create_agent(&NewAgent {
                name: "writer".into(),
                provider: ProviderKind::Anthropic,
                model: "m".into(),
                system_prompt: String::new(),
                tools: vec![],
            })
            .unwrap();
        let rubric = store.save_rubric("brief", BRIEF_RUBRIC).unwrap();
        let session = store
            .create_session(&NewSession {
                agent_id: agent.id.clone(),
                task: "t".into(),
                parent_id: None,
            })
            .unwrap();
        session_id = session.id.clone();
        outcome_id = store
            .create_outcome(&NewOutcome {
                session_id: session.id,
                agent_id: agent.id,
                rubric_id: rubric.id,
                rubric_version: rubric.version,
                task: "t".into(),
                max_iterations: 3,
            })
            .unwrap()
            .id;
        // Dropped without finishing, as a killed process leaves it; its
        // session lease is then released as the process's would expire.
        store.release_lease(&session_lease(&session_id)).unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    store.mark_interrupted_sessions().unwrap();
    let outcome = store.outcome(&outcome_id).unwrap();
    assert_eq!(outcome.result, Some(OutcomeResult::Interrupted));
    assert!(outcome.finished_at.is_some());
    assert_eq!(
        store.session(&session_id).unwrap().status,
        SessionStatus::Interrupted
    );
}

#[tokio::test]
async fn grading_a_past_session_stores_nothing() {
    let (_dir, server, runtime) = setup("You write briefs.", &[]).await;
    server.push_reply(Reply::text("Rates are 4.5%."));
    let run = runtime
        .run(
            request("Write a brief."),
            CancellationToken::new(),
            ProgressSink::none(),
        )
        .await
        .unwrap();
    server.add_rule(grader_rule(
        grader_reply(vec![
            verdict(1, false, "Rates are 4.5%", Some(GAP)),
            verdict(2, true, "Rates are 4.5%", None),
        ]),
        None,
    ));
    let rubric = reverie_engine::outcome::Rubric::from_json(BRIEF_RUBRIC).unwrap();
    let grade = runtime
        .grade_session(
            &run.session_id,
            &rubric,
            &OutcomeOptions::default(),
            &CancellationToken::new(),
        )
        .await
        .unwrap();
    assert!(!grade.passed());
    assert_eq!(grade.verdicts.len(), 3);
    assert!(!grade.verdicts[0].passed, "no Summary heading");
    assert_eq!(grade.verdicts[1].gap.as_deref(), Some(GAP));
    assert!(
        runtime
            .store()
            .outcomes_for_session(&run.session_id)
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_api_saves_tests_and_runs_rubrics_and_reports_stats() {
    use reverie_engine::api::Api;
    let (_dir, server, runtime) = setup("You write briefs.", &[]).await;
    let api = Arc::new(Api::new(Arc::new(runtime.clone())));

    // A store that already has a rubric gets no starters seeded.
    let list = api.call("rubrics.list", json!({})).await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let starters = api.call("rubrics.starters", json!({})).await.unwrap();
    assert_eq!(starters.as_array().unwrap().len(), 3);

    // Bad documents are refused with line, column and field.
    let bad = BRIEF_RUBRIC.replace("\"threshold\": 0.7", "\"threshold\": 7");
    let err = api
        .call("rubrics.save", json!({"document": bad}))
        .await
        .unwrap_err();
    assert_eq!(err.kind, "invalid");
    assert!(err.message.contains("line 5"), "{}", err.message);
    assert!(err.message.contains("threshold"), "{}", err.message);
    // Saved canonical, under the given name.
    let saved = api
        .call(
            "rubrics.save",
            json!({"name": "brief-2", "document": BRIEF_RUBRIC}),
        )
        .await
        .unwrap();
    let canonical = reverie_engine::outcome::Rubric::from_json(BRIEF_RUBRIC)
        .unwrap()
        .to_json();
    assert_eq!(saved["document"], canonical);

    server.add_rule(grader_rule(
        grader_reply(vec![
            verdict(1, true, "central bank", None),
            verdict(2, true, "Rates are 4.5%", None),
        ]),
        None,
    ));
    server.push_reply(Reply::text(
        "# Summary\nRates are 4.5%, says the central bank.",
    ));
    let started = api
        .call(
            "run.start",
            json!({"agent": "writer", "task": "Write a brief.", "rubric": "brief"}),
        )
        .await
        .unwrap();
    let session_id = started["session_id"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let outcome = loop {
        let outcomes = api
            .call("outcomes.for_session", json!({"id": session_id}))
            .await
            .unwrap();
        if outcomes[0]["outcome"]["finished_at"].is_string() {
            break outcomes[0].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run never finished"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(outcome["outcome"]["result"], "satisfied");
    assert_eq!(outcome["verdicts"].as_array().unwrap().len(), 3);

    // "Try it" on the past output with a draft that was never saved.
    let tried = api
        .call(
            "rubrics.test",
            json!({"session_id": session_id, "document": BRIEF_RUBRIC}),
        )
        .await
        .unwrap();
    assert_eq!(tried["passed"], true, "{tried}");
    let outcomes = api
        .call("outcomes.for_session", json!({"id": session_id}))
        .await
        .unwrap();
    assert_eq!(
        outcomes.as_array().unwrap().len(),
        1,
        "testing stores nothing"
    );

    let stats = api
        .call("outcomes.stats", json!({"agent": "writer"}))
        .await
        .unwrap();
    assert_eq!(stats["totals"][0]["pass_rate"], 1.0);
    assert!(
        api.call(
            "run.start",
            json!({"agent": "writer", "task": "x", "rubric": "nope"})
        )
        .await
        .is_err()
    );
}

#[tokio::test]
async fn a_rubric_of_exact_checks_needs_no_grader_model() {
    let (_dir, server, runtime) = setup("You write briefs.", &[]).await;
    runtime
        .store()
        .save_rubric(
            "headed",
            r#"{"schema": "reverie.rubric/1", "name": "headed", "description": "", "threshold": 1, "max_iterations": 3,
              "criteria": [{"name": "Has a summary", "weight": 1, "required": true, "kind": {"type": "headings", "required": ["Summary"]}}]}"#,
        )
        .unwrap();
    server.push_reply(Reply::text("Rates are 4.5%."));
    server.push_reply(Reply::text("# Summary\nRates are 4.5%."));
    let (_run, outcome) = graded(&runtime, "Write a brief.", "headed").await.unwrap();
    assert_eq!(outcome.result, Some(OutcomeResult::Satisfied));
    assert_eq!(outcome.iterations, 2);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "only the agent's two passes");
    assert!(requests.iter().all(|r| !is_grader(&r.body)));
    // The exact check's gap went back as feedback.
    let feedback = last_user_text(&requests[1].body);
    assert!(
        feedback.contains("- Has a summary (required): "),
        "{feedback}"
    );
    assert!(feedback.contains("Summary"), "{feedback}");
}
