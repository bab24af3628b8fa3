//! Multiagent orchestration against the fake model server: a lead fans out
//! to subagents in parallel, follows up, shares the workspace; cancellation
//! cascades; the depth limit holds; a failing child is a tool error; the
//! shared budget stops every thread.

mod support {
    pub mod model;
}

use std::sync::Arc;
use std::time::{Duration, Instant};

use reverie_engine::Store;
use reverie_engine::provider::ProviderKind;
use reverie_engine::runtime::{Limits, ProgressSink, RunRequest, Runtime};
use reverie_engine::store::*;
use reverie_fake_model::{Conditions, FakeModelServer, Fault, Reply, Rule, Usage as FakeUsage};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const SPECIALISTS: [(&str, &str); 4] = [
    ("deploys", "You study deploy history."),
    ("logs", "You read error logs."),
    ("metrics", "You read metrics dashboards."),
    ("tickets", "You triage support tickets."),
];

async fn team() -> (tempfile::TempDir, FakeModelServer, Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let new = |name: &str, prompt: &str, tools: &[&str]| NewAgent {
        name: name.into(),
        provider: ProviderKind::Anthropic,
        model: "claude-haiku-4-5".into(),
        system_prompt: prompt.into(),
        tools: tools.iter().map(|t| t.to_string()).collect(),
    };
    store
        .create_agent(&new(
            "lead",
            "You coordinate incident reviews.",
            &["workspace"],
        ))
        .unwrap();
    for (name, prompt) in SPECIALISTS {
        store
            .create_agent(&new(name, prompt, &["workspace"]))
            .unwrap();
        store.roster_add("lead", name).unwrap();
    }
    let (server, runtime) = support::model::runtime_on_fake_server(store, 0).await;
    (dir, server, runtime)
}

fn rule(when: Conditions, times: Option<u32>, reply: Reply) -> Rule {
    Rule { when, times, reply }
}

fn system(s: &str) -> Conditions {
    Conditions {
        system_contains: Some(s.into()),
        ..Default::default()
    }
}

fn last_user(s: &str) -> Conditions {
    Conditions {
        last_user_contains: Some(s.into()),
        ..Default::default()
    }
}

fn fan_out(tasks: &[(&str, &str)]) -> Reply {
    let tasks: Vec<_> = tasks
        .iter()
        .map(|(agent, task)| json!({"agent": agent, "task": task}))
        .collect();
    Reply::tool_use("toolu_fan", "delegate", json!({"tasks": tasks}))
}

async fn run(
    runtime: &Runtime,
    cancel: CancellationToken,
    limits: Option<Limits>,
) -> reverie_engine::runtime::RunResult {
    runtime
        .run(
            RunRequest {
                agent: "lead".into(),
                task: "Why did checkout fail last night?".into(),
                limits,
            },
            cancel,
            ProgressSink::none(),
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_fans_out_to_four_specialists_in_parallel_and_cites_them() {
    let (_dir, server, runtime) = team().await;
    // The lead's turns, matched on what it last received.
    server.add_rule(rule(last_user("deploy notes"), Some(1), Reply::text("Root cause: the 14:02 deploy (deploys), visible as 500s (logs), a latency spike (metrics) and 37 tickets (tickets).")));
    server.add_rule(rule(
        last_user("<result agent"),
        Some(1),
        Reply::tool_use(
            "toolu_read",
            "workspace",
            json!({"command": "read", "path": "notes/deploys.md"}),
        ),
    ));
    server.add_rule(rule(
        system("You coordinate incident reviews."),
        Some(1),
        fan_out(&[
            ("deploys", "Check deploys"),
            ("logs", "Check logs"),
            ("metrics", "Check metrics"),
            ("tickets", "Check tickets"),
        ]),
    ));
    // The deploys specialist writes a file into the shared workspace first.
    server.add_rule(rule(
        Conditions { system_contains: Some("deploy history".into()), last_user_contains: Some("Check deploys".into()), ..Default::default() },
        Some(1),
        Reply::tool_use("toolu_w", "workspace", json!({"command": "write", "path": "notes/deploys.md", "content": "deploy notes: 14:02 release"})).first_byte_delay(250),
    ));
    for (name, prompt) in SPECIALISTS {
        let delay = if name == "deploys" { 250 } else { 500 };
        server.add_rule(rule(
            system(prompt),
            None,
            Reply::text(format!("{name}: found it")).first_byte_delay(delay),
        ));
    }

    let started = Instant::now();
    let result = run(&runtime, CancellationToken::new(), None).await;
    let elapsed = started.elapsed();
    assert_eq!(
        result.status,
        SessionStatus::Completed,
        "{:?}",
        result.error
    );
    let answer = result.final_answer.unwrap();
    for (name, _) in SPECIALISTS {
        assert!(answer.contains(&format!("({name})")), "{answer}");
    }
    // Four 500 ms replies side by side, not one after another.
    assert!(
        elapsed < Duration::from_millis(1900),
        "fan-out took {elapsed:?}"
    );

    let requests = server.requests();
    let to_lead: Vec<_> = requests
        .iter()
        .filter(|r| r.body["system"].to_string().contains("coordinate"))
        .collect();
    assert_eq!(to_lead.len(), 3);
    let results = to_lead[1].body["messages"][2]["content"][0]["content"]
        .as_str()
        .unwrap()
        .to_string();
    for (name, _) in SPECIALISTS {
        assert!(
            results.contains(&format!("{name}: found it")),
            "all four results reach the lead: {results}"
        );
    }
    // The lead read the file a subagent wrote: one shared workspace.
    assert!(
        to_lead[2].body["messages"][4]["content"][0]["content"]
            .as_str()
            .unwrap()
            .contains("14:02 release")
    );
    // Subagents see only their task: not the lead's prompt or the user's words.
    let to_logs = requests
        .iter()
        .find(|r| r.body["system"].to_string().contains("error logs"))
        .unwrap();
    assert_eq!(to_logs.body["messages"].as_array().unwrap().len(), 1);
    assert!(!to_logs.body.to_string().contains("checkout fail"));
    assert!(
        !to_logs.body["tools"].to_string().contains("delegate"),
        "no nested delegation by default"
    );

    // The thread tree: four child sessions under the lead, events carry their thread.
    let store = runtime.store();
    let tree = store.session_tree(&result.session_id).unwrap();
    assert_eq!(tree.len(), 5);
    assert!(
        tree.iter()
            .filter(|s| s.parent_id.as_deref() == Some(result.session_id.as_str()))
            .all(|s| s.status == SessionStatus::Completed)
    );
    let events = store
        .events(&result.session_id, &EventQuery::default())
        .unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == EventKind::SubagentSpawned)
            .count(),
        4
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == EventKind::SubagentFinished)
            .count(),
        4
    );
    let lanes: std::collections::HashSet<_> = events.iter().map(|e| e.thread_id.clone()).collect();
    assert_eq!(lanes.len(), 5, "one lane per thread");
    let child = tree.iter().find(|s| s.agent_name == "logs").unwrap();
    let child_events = store.events(&child.id, &EventQuery::default()).unwrap();
    assert!(
        child_events
            .iter()
            .all(|e| e.thread_id == child.id && e.parent_thread_id.is_some()
                || e.kind != EventKind::UserMessage)
    );
    // Subagent threads are sessions of their own agent, so dreams see them.
    assert_eq!(
        store
            .list_sessions(&SessionFilter {
                agent: Some("logs".into()),
                ..Default::default()
            })
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lead_can_message_a_subagent_thread_again() {
    let (_dir, server, runtime) = team().await;
    let server = Arc::new(server);
    server.add_rule(rule(
        last_user("second answer"),
        Some(1),
        Reply::text("Both answers are in."),
    ));
    server.add_rule(rule(
        last_user("And before that?"),
        Some(1),
        Reply::text("second answer"),
    ));
    server.add_rule(rule(
        system("error logs"),
        Some(1),
        Reply::text("first answer").first_byte_delay(200),
    ));
    server.add_rule(rule(
        system("You coordinate"),
        Some(1),
        fan_out(&[("logs", "Look at the logs")]),
    ));
    // The follow-up names the thread, whose id exists only once the run
    // started it: add that reply as soon as the thread appears.
    let watcher = tokio::spawn({
        let (runtime, server) = (runtime.clone(), server.clone());
        async move {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let threads = runtime
                    .store()
                    .list_sessions(&SessionFilter {
                        agent: Some("logs".into()),
                        ..Default::default()
                    })
                    .unwrap();
                if let Some(thread) = threads.first() {
                    let again = json!({"tasks": [{"agent": "logs", "task": "And before that?", "thread_id": thread.id}]});
                    server.add_rule(rule(
                        last_user("first answer"),
                        Some(1),
                        Reply::tool_use("toolu_again", "delegate", again),
                    ));
                    return thread.id.clone();
                }
                assert!(Instant::now() < deadline, "the thread never started");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    let result = run(&runtime, CancellationToken::new(), None).await;
    let thread_id = watcher.await.unwrap();
    assert_eq!(
        result.status,
        SessionStatus::Completed,
        "{:?}",
        result.error
    );
    assert_eq!(result.final_answer.as_deref(), Some("Both answers are in."));
    let store = runtime.store();
    assert_eq!(
        store.session_tree(&result.session_id).unwrap().len(),
        2,
        "the follow-up reused the thread"
    );
    assert_eq!(
        store.session(&thread_id).unwrap().status,
        SessionStatus::Completed
    );
    let again = server
        .requests()
        .into_iter()
        .find(|r| {
            r.body["system"].to_string().contains("error logs")
                && r.body.to_string().contains("And before that?")
        })
        .unwrap();
    let messages = again.body["messages"].as_array().unwrap();
    assert_eq!(
        messages.len(),
        3,
        "the thread kept its context: task, answer, follow-up"
    );
    assert_eq!(messages[1]["content"][0]["text"], "first answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_lead_cancels_every_child_at_once() {
    let (_dir, server, runtime) = team().await;
    server.add_rule(rule(
        system("You coordinate"),
        Some(1),
        fan_out(&[("logs", "a"), ("metrics", "b"), ("tickets", "c")]),
    ));
    for (_, prompt) in SPECIALISTS {
        server.add_rule(rule(
            system(prompt),
            None,
            Reply::text("too late").first_byte_delay(30_000),
        ));
    }
    let cancel = CancellationToken::new();
    let handle = tokio::spawn({
        let runtime = runtime.clone();
        let cancel = cancel.clone();
        async move { run(&runtime, cancel, None).await }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.requests().len() < 4 {
        assert!(Instant::now() < deadline, "children never started");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let cancelled_at = Instant::now();
    cancel.cancel();
    let result = handle.await.unwrap();
    let took = cancelled_at.elapsed();
    println!("cancellation cascaded in {took:?}");
    assert!(took < Duration::from_millis(100), "cascade took {took:?}");
    assert_eq!(result.status, SessionStatus::Canceled);
    let tree = runtime.store().session_tree(&result.session_id).unwrap();
    assert_eq!(tree.len(), 4);
    assert!(
        tree.iter().all(|s| s.status == SessionStatus::Canceled),
        "{:?}",
        tree.iter().map(|s| s.status).collect::<Vec<_>>()
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        server.requests()[1..].iter().all(|r| !r.completed),
        "no child reply was waited for"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn depth_limit_and_failing_children_come_back_as_tool_errors() {
    let (_dir, server, runtime) = team().await;
    // 'logs' is itself a coordinator, but at depth 1 it may not delegate.
    runtime.store().roster_add("logs", "tickets").unwrap();
    server.add_rule(rule(
        last_user("failed"),
        Some(1),
        Reply::text("Partial answer: metrics failed, logs could not delegate."),
    ));
    server.add_rule(rule(
        system("You coordinate"),
        Some(1),
        fan_out(&[("logs", "Dig deeper"), ("metrics", "Check metrics")]),
    ));
    server.add_rule(rule(
        last_user("depth limit"),
        Some(1),
        Reply::text("I did it myself."),
    ));
    server.add_rule(rule(
        system("error logs"),
        Some(1),
        Reply::tool_use(
            "toolu_nested",
            "delegate",
            json!({"tasks": [{"agent": "tickets", "task": "x"}]}),
        ),
    ));
    server.add_rule(rule(
        system("metrics dashboards"),
        None,
        Reply::fault(Fault::ServerError),
    ));

    let result = run(&runtime, CancellationToken::new(), None).await;
    assert_eq!(
        result.status,
        SessionStatus::Completed,
        "a failing child never crashes the session: {:?}",
        result.error
    );
    let requests = server.requests();
    let to_logs = requests
        .iter()
        .find(|r| r.body["system"].to_string().contains("error logs"))
        .unwrap();
    assert!(
        !to_logs.body["tools"].to_string().contains("delegate"),
        "no delegate tool past the depth limit"
    );
    let store = runtime.store();
    let tree = store.session_tree(&result.session_id).unwrap();
    assert_eq!(tree.len(), 3, "nested delegation created no session");
    let logs = tree.iter().find(|s| s.agent_name == "logs").unwrap();
    let refused = store
        .events(
            &logs.id,
            &EventQuery {
                kinds: vec![EventKind::ToolResult],
                ..Default::default()
            },
        )
        .unwrap();
    assert!(refused[0].data["is_error"].as_bool().unwrap());
    assert!(
        refused[0].data["content"]
            .as_str()
            .unwrap()
            .contains("depth limit")
    );
    // The lead got the failure as a tool error naming the child.
    let lead_results = store
        .events(
            &result.session_id,
            &EventQuery {
                kinds: vec![EventKind::ToolResult],
                thread_id: Some(result.session_id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(lead_results[0].data["is_error"].as_bool().unwrap());
    let content = lead_results[0].data["content"].as_str().unwrap();
    assert!(
        content.contains("metrics failed") && content.contains("I did it myself."),
        "{content}"
    );
    assert_eq!(
        tree.iter()
            .find(|s| s.agent_name == "metrics")
            .unwrap()
            .status,
        SessionStatus::Failed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shared_budget_stops_every_thread() {
    let (_dir, server, runtime) = team().await;
    let usage = FakeUsage {
        input_tokens: 100,
        output_tokens: 60,
        ..Default::default()
    };
    server.add_rule(rule(
        system("You coordinate"),
        Some(1),
        fan_out(&[("logs", "a"), ("metrics", "b")]).with_usage(usage),
    ));
    // Each child keeps working: every turn is another tool call.
    for (_, prompt) in SPECIALISTS {
        server.add_rule(rule(
            system(prompt),
            None,
            Reply::tool_use("t", "workspace", json!({"command": "list"}))
                .with_usage(usage)
                .first_byte_delay(20),
        ));
    }
    server.add_rule(rule(
        Conditions::default(),
        None,
        Reply::text("never reached").with_usage(usage),
    ));
    let limits = Limits {
        max_output_tokens: 300,
        ..Limits::default()
    };
    let result = run(&runtime, CancellationToken::new(), Some(limits)).await;
    assert_eq!(result.status, SessionStatus::Failed);
    assert!(
        result
            .error
            .as_deref()
            .unwrap()
            .contains("300 output tokens"),
        "{:?}",
        result.error
    );
    let store = runtime.store();
    for session in store.session_tree(&result.session_id).unwrap() {
        let limited = store
            .events(
                &session.id,
                &EventQuery {
                    kinds: vec![EventKind::LimitReached],
                    thread_id: Some(session.id.clone()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(
            limited.len(),
            1,
            "{} stopped at the shared limit",
            session.agent_name
        );
    }
    let spent: i64 = store
        .session_tree(&result.session_id)
        .unwrap()
        .iter()
        .map(|s| s.usage.output_tokens)
        .sum();
    assert!(
        spent < 300 + 3 * 60,
        "spending stopped near the budget: {spent}"
    );
}
