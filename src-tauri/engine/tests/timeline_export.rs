//! The timeline's paging by position, its error marks and the session list
//! with outcomes; and the session export as JSON and as OTLP/JSON GenAI
//! spans. Real SQLite files; sessions written the way the runtime writes them.

use reverie_engine::provider::ProviderKind;
use reverie_engine::store::*;
use reverie_engine::timeline::{self, OutcomeFilter, OverviewFilter, TimelineFilter};
use reverie_engine::{Store, session_export};
use serde_json::{Value, json};

struct Tree {
    _dir: tempfile::TempDir,
    store: std::sync::Arc<Store>,
    root: String,
    child: String,
}

fn agent(store: &Store, name: &str, provider: ProviderKind, model: &str) -> Agent {
    store
        .create_agent(&NewAgent {
            name: name.into(),
            provider,
            model: model.into(),
            system_prompt: "You help.".into(),
            tools: vec!["workspace".into()],
        })
        .unwrap()
}

fn usage(i: i64, o: i64) -> Usage {
    Usage {
        input_tokens: i,
        output_tokens: o,
        ..Default::default()
    }
}

/// A lead that calls a tool, delegates to one subagent (which reads memory
/// and fails a tool call), gets an error and answers.
fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(Store::open(dir.path()).unwrap());
    let lead = agent(&store, "lead", ProviderKind::Anthropic, "claude-sonnet-4-5");
    let helper = agent(&store, "helper", ProviderKind::OpenAi, "llama3.2");
    let root = store
        .create_session(&NewSession {
            agent_id: lead.id.clone(),
            task: "Review the incident".into(),
            parent_id: None,
        })
        .unwrap()
        .id;
    let e = |kind, data| NewEvent::new(kind, data);
    store
        .append_events(
            &root,
            &[
                e(EventKind::UserMessage, json!({"turn": 0, "text": "Review the incident"})),
                e(EventKind::AssistantText, json!({"turn": 1, "text": "Let me look."})),
                e(EventKind::ToolCall, json!({"turn": 1, "id": "toolu_1", "name": "workspace", "input": {"command": "read", "path": "a.md"}}))
                    .with_usage(usage(100, 20), 0.001, 850),
                {
                    let mut r = e(EventKind::ToolResult, json!({"turn": 1, "tool_use_id": "toolu_1", "name": "workspace", "content": "notes", "is_error": false}));
                    r.latency_ms = Some(12);
                    r
                },
            ],
        )
        .unwrap();
    let child = store
        .create_session(&NewSession {
            agent_id: helper.id.clone(),
            task: "Check logs".into(),
            parent_id: Some(root.clone()),
        })
        .unwrap()
        .id;
    store
        .append_event(
            &root,
            &e(
                EventKind::SubagentSpawned,
                json!({"thread_id": child, "agent": "helper", "task": "Check logs"}),
            ),
        )
        .unwrap();
    store
        .append_events(
            &child,
            &[
                e(EventKind::UserMessage, json!({"turn": 0, "text": "Check logs"})).in_thread(&child, Some(&root)),
                e(EventKind::ToolCall, json!({"turn": 1, "id": "toolu_2", "name": "memory", "input": {"command": "view", "path": "/memories"}}))
                    .in_thread(&child, Some(&root))
                    .with_usage(usage(50, 5), 0.0, 300),
                e(EventKind::MemoryRead, json!({"turn": 1, "store": "helper", "path": "/memories/x.md", "version": 1})).in_thread(&child, Some(&root)),
                e(EventKind::ToolResult, json!({"turn": 1, "tool_use_id": "toolu_2", "name": "memory", "content": "no such file", "is_error": true})).in_thread(&child, Some(&root)),
                e(EventKind::FinalAnswer, json!({"text": "Logs show 500s."})).in_thread(&child, Some(&root)),
            ],
        )
        .unwrap();
    store
        .finish_session(
            &child,
            SessionStatus::Completed,
            Some("Logs show 500s."),
            None,
        )
        .unwrap();
    store
        .append_events(
            &root,
            &[
                e(
                    EventKind::SubagentFinished,
                    json!({"thread_id": child, "agent": "helper", "status": "completed"}),
                ),
                e(
                    EventKind::Retry,
                    json!({"attempt": 1, "delay_ms": 500, "error": "overloaded"}),
                ),
                e(
                    EventKind::Error,
                    json!({"message": "the model stopped", "source": "model"}),
                ),
                e(
                    EventKind::AssistantText,
                    json!({"turn": 2, "text": "Root cause: deploy."}),
                )
                .with_usage(usage(300, 40), 0.002, 1200),
                e(
                    EventKind::FinalAnswer,
                    json!({"text": "Root cause: deploy."}),
                ),
            ],
        )
        .unwrap();
    store
        .finish_session(
            &root,
            SessionStatus::Completed,
            Some("Root cause: deploy."),
            None,
        )
        .unwrap();
    Tree {
        _dir: dir,
        store,
        root,
        child,
    }
}

#[test]
fn pages_by_position_match_the_whole_timeline() {
    let t = tree();
    let all = t.store.events(&t.root, &EventQuery::default()).unwrap();
    assert_eq!(all.len(), 15);
    let f = TimelineFilter::default();
    for (offset, limit) in [(0, 4), (4, 4), (8, 4), (12, 4), (3, 7)] {
        let page = timeline::page(&t.store, &t.root, &f, offset, limit).unwrap();
        assert_eq!(page.total, 15);
        let want: Vec<i64> = all
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|e| e.seq)
            .collect();
        let got: Vec<i64> = page.events.iter().map(|e| e.seq).collect();
        assert_eq!(got, want, "offset {offset}");
    }
    // Past the end: an empty page, the total still right.
    let past = timeline::page(&t.store, &t.root, &f, 40, 10).unwrap();
    assert!(past.events.is_empty());
    assert_eq!(past.total, 15);
    // Bad bounds get a sentence.
    let err = timeline::page(&t.store, &t.root, &f, -1, 10).unwrap_err();
    assert!(err.to_string().contains("offset"), "{err}");
    assert!(timeline::page(&t.store, &t.root, &f, 0, 0).is_err());
}

#[test]
fn filters_by_thread_and_kind_page_and_count_the_same_way() {
    let t = tree();
    let child = TimelineFilter {
        thread_id: Some(t.child.clone()),
        ..Default::default()
    };
    let page = timeline::page(&t.store, &t.root, &child, 1, 10).unwrap();
    assert_eq!(page.total, 5);
    assert!(page.events.iter().all(|e| e.thread_id == t.child));
    assert_eq!(page.events[0].kind, EventKind::ToolCall);
    let lead = TimelineFilter {
        thread_id: Some(t.root.clone()),
        ..Default::default()
    };
    assert_eq!(
        timeline::page(&t.store, &t.root, &lead, 0, 100)
            .unwrap()
            .total,
        10
    );
    let tools = TimelineFilter {
        kinds: vec![EventKind::ToolCall, EventKind::ToolResult],
        ..Default::default()
    };
    let page = timeline::page(&t.store, &t.root, &tools, 2, 2).unwrap();
    assert_eq!(page.total, 4);
    assert_eq!(
        page.events.iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![EventKind::ToolCall, EventKind::ToolResult]
    );
    assert_eq!(page.events[0].thread_id, t.child);
    // A subagent's own id shows its thread only.
    assert_eq!(
        timeline::page(&t.store, &t.child, &TimelineFilter::default(), 0, 100)
            .unwrap()
            .total,
        5
    );
    // An unknown session is named.
    let err = timeline::page(&t.store, "nope", &TimelineFilter::default(), 0, 10).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[test]
fn marks_give_error_positions_in_the_view_and_counts() {
    let t = tree();
    let marks = timeline::marks(&t.store, &t.root, &TimelineFilter::default()).unwrap();
    // The failed memory tool result (position 8) and the error (12).
    assert_eq!(marks.errors, vec![8, 12]);
    assert_eq!(marks.kinds["tool_call"], 2);
    assert_eq!(marks.kinds["error"], 1);
    assert_eq!(marks.threads[&t.root], 10);
    assert_eq!(marks.threads[&t.child], 5);
    let child = TimelineFilter {
        thread_id: Some(t.child.clone()),
        ..Default::default()
    };
    assert_eq!(
        timeline::marks(&t.store, &t.root, &child).unwrap().errors,
        vec![3]
    );
    let only_errors = TimelineFilter {
        kinds: vec![EventKind::Error],
        ..Default::default()
    };
    assert_eq!(
        timeline::marks(&t.store, &t.root, &only_errors)
            .unwrap()
            .errors,
        vec![0]
    );
}

#[test]
fn overview_lists_roots_with_thread_counts_and_filters_by_outcome() {
    let t = tree();
    let rubric = t
        .store
        .save_rubric(
            "r",
            &reverie_engine::outcome::starter_rubrics()[0].to_json(),
        )
        .unwrap();
    let lead = t.store.agent("lead").unwrap();
    let outcome = t
        .store
        .create_outcome(&NewOutcome {
            session_id: t.root.clone(),
            agent_id: lead.id.clone(),
            rubric_id: rubric.id.clone(),
            rubric_version: rubric.version,
            task: "Review the incident".into(),
            max_iterations: 3,
        })
        .unwrap();
    t.store
        .finish_outcome(&outcome.id, OutcomeResult::Satisfied, "good")
        .unwrap();
    let all = timeline::overview(&t.store, &OverviewFilter::default()).unwrap();
    assert_eq!(all.len(), 1, "subagent threads are not listed");
    assert_eq!(all[0].thread_count, 1);
    assert_eq!(
        all[0].outcome.as_ref().unwrap().result,
        Some(OutcomeResult::Satisfied)
    );
    let filter = |o| OverviewFilter {
        outcome: Some(o),
        ..Default::default()
    };
    assert_eq!(
        timeline::overview(&t.store, &filter(OutcomeFilter::Satisfied))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        timeline::overview(&t.store, &filter(OutcomeFilter::Graded))
            .unwrap()
            .len(),
        1
    );
    assert!(
        timeline::overview(&t.store, &filter(OutcomeFilter::Ungraded))
            .unwrap()
            .is_empty()
    );
    assert!(
        timeline::overview(&t.store, &filter(OutcomeFilter::Failed))
            .unwrap()
            .is_empty()
    );
    let json = serde_json::to_value(&all[0]).unwrap();
    assert_eq!(
        json["agent_name"], "lead",
        "the session's fields are flat: {json}"
    );
}

#[test]
fn json_export_holds_the_tree_and_every_event() {
    let t = tree();
    // Exporting from the subagent's id exports the whole tree.
    let doc = session_export::to_json(&t.store, &t.child).unwrap();
    assert_eq!(doc["schema"], "reverie.session/1");
    assert_eq!(doc["session"]["id"], t.root.as_str());
    assert_eq!(doc["threads"].as_array().unwrap().len(), 2);
    assert_eq!(doc["events"].as_array().unwrap().len(), 15);
    assert_eq!(session_export::file_name("X", true), "session-X.otel.json");
}

fn attr<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
}

#[test]
fn otel_export_is_otlp_json_with_gen_ai_spans() {
    let t = tree();
    let doc = session_export::to_otel(&t.store, &t.root).unwrap();
    let rs = &doc["resourceSpans"][0];
    assert_eq!(
        attr(&rs["resource"], "service.name").unwrap()["stringValue"],
        "reverie"
    );
    let spans = rs["scopeSpans"][0]["spans"].as_array().unwrap();
    let trace = spans[0]["traceId"].as_str().unwrap();
    assert_eq!(trace.len(), 32);
    assert!(trace.chars().all(|c| c.is_ascii_hexdigit()));
    for s in spans {
        assert_eq!(s["traceId"], trace);
        assert_eq!(s["spanId"].as_str().unwrap().len(), 16);
        let start: i128 = s["startTimeUnixNano"].as_str().unwrap().parse().unwrap();
        let end: i128 = s["endTimeUnixNano"].as_str().unwrap().parse().unwrap();
        assert!(start > 1_600_000_000_000_000_000 && end >= start, "{s}");
    }
    let named = |op: &str| -> Vec<&Value> {
        spans
            .iter()
            .filter(|s| {
                attr(s, "gen_ai.operation.name").and_then(|v| v["stringValue"].as_str()) == Some(op)
            })
            .collect()
    };
    // Two agents: the lead is the root, the helper its child.
    let agents = named("invoke_agent");
    assert_eq!(agents.len(), 2);
    let lead = agents
        .iter()
        .find(|s| s.get("parentSpanId").is_none())
        .unwrap();
    let helper = agents
        .iter()
        .find(|s| s.get("parentSpanId").is_some())
        .unwrap();
    assert_eq!(helper["parentSpanId"], lead["spanId"]);
    assert_eq!(
        attr(lead, "gen_ai.agent.name").unwrap()["stringValue"],
        "lead"
    );
    assert_eq!(
        attr(helper, "gen_ai.provider.name").unwrap()["stringValue"],
        "openai"
    );
    assert_eq!(
        attr(lead, "gen_ai.usage.input_tokens").unwrap()["intValue"],
        "400"
    );
    // Three model calls, each with its model and usage, under its thread.
    let chats = named("chat");
    assert_eq!(chats.len(), 3);
    let first = chats
        .iter()
        .find(|s| attr(s, "gen_ai.usage.input_tokens").unwrap()["intValue"] == "100")
        .unwrap();
    assert_eq!(
        attr(first, "gen_ai.request.model").unwrap()["stringValue"],
        "claude-sonnet-4-5"
    );
    assert_eq!(
        attr(first, "gen_ai.provider.name").unwrap()["stringValue"],
        "anthropic"
    );
    assert_eq!(
        attr(first, "gen_ai.system").unwrap()["stringValue"],
        "anthropic"
    );
    assert_eq!(
        attr(first, "gen_ai.usage.output_tokens").unwrap()["intValue"],
        "20"
    );
    assert_eq!(first["parentSpanId"], lead["spanId"]);
    assert_eq!(first["name"], "chat claude-sonnet-4-5");
    let out: Value = serde_json::from_str(
        attr(first, "gen_ai.output.messages").unwrap()["stringValue"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(out[0]["parts"][0]["content"], "Let me look.");
    assert_eq!(out[0]["parts"][1]["name"], "workspace");
    // The latency reaches back from the event's time.
    let start: i128 = first["startTimeUnixNano"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let end: i128 = first["endTimeUnixNano"].as_str().unwrap().parse().unwrap();
    assert!(end - start >= 850_000_000, "{first}");
    // Two tool spans; the helper's failed one has an error status.
    let tools = named("execute_tool");
    assert_eq!(tools.len(), 2);
    let failed = tools
        .iter()
        .find(|s| attr(s, "gen_ai.tool.name").unwrap()["stringValue"] == "memory")
        .unwrap();
    assert_eq!(failed["status"]["code"], 2);
    assert_eq!(failed["parentSpanId"], helper["spanId"]);
    assert_eq!(
        attr(failed, "gen_ai.tool.call.id").unwrap()["stringValue"],
        "toolu_2"
    );
    assert!(
        attr(failed, "gen_ai.tool.call.arguments").unwrap()["stringValue"]
            .as_str()
            .unwrap()
            .contains("/memories")
    );
    // Memory reads, retries and errors are span events on their thread.
    let names = |s: &Value| -> Vec<String> {
        s["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(names(helper).contains(&"reverie.memory_read".to_string()));
    let lead_events = names(lead);
    assert!(lead_events.contains(&"reverie.retry".to_string()));
    assert!(lead_events.contains(&"exception".to_string()));
    // Exporting twice gives the same ids (a re-import updates, not duplicates).
    let again = session_export::to_otel(&t.store, &t.root).unwrap();
    assert_eq!(
        again["resourceSpans"][0]["scopeSpans"][0]["spans"],
        rs["scopeSpans"][0]["spans"]
    );
}

#[tokio::test]
async fn the_api_serves_pages_marks_overview_exports_and_builder_helpers() {
    use reverie_engine::api::Api;
    use reverie_engine::runtime::Runtime;
    let t = tree();
    let api = std::sync::Arc::new(Api::new(std::sync::Arc::new(
        Runtime::new(t.store.clone()).unwrap(),
    )));
    let page = api
        .call(
            "sessions.page",
            json!({"id": t.root, "offset": 2, "limit": 3, "thread_id": t.root}),
        )
        .await
        .unwrap();
    assert_eq!(page["total"], 10);
    assert_eq!(page["offset"], 2);
    assert_eq!(page["events"].as_array().unwrap().len(), 3);
    let marks = api
        .call(
            "sessions.marks",
            json!({"id": t.root, "kinds": ["error", "tool_result"]}),
        )
        .await
        .unwrap();
    assert_eq!(marks["errors"], json!([1, 2]));
    let list = api
        .call(
            "sessions.overview",
            json!({"agent": "lead", "outcome": "ungraded"}),
        )
        .await
        .unwrap();
    assert_eq!(list[0]["id"], t.root.as_str());
    assert_eq!(list[0]["thread_count"], 1);
    let otel = api
        .call("sessions.export", json!({"id": t.root, "format": "otel"}))
        .await
        .unwrap();
    assert_eq!(otel["file_name"], format!("session-{}.otel.json", t.root));
    assert!(otel["document"]["resourceSpans"].is_array());
    let plain = api
        .call("sessions.export", json!({"id": t.root}))
        .await
        .unwrap();
    assert_eq!(plain["document"]["schema"], "reverie.session/1");
    let bad = api
        .call("sessions.export", json!({"id": t.root, "format": "csv"}))
        .await
        .unwrap_err();
    assert_eq!(bad.kind, "invalid");
    // The app's webview cannot download: the engine saves into Downloads,
    // never over an earlier file.
    let downloads = tempfile::tempdir().unwrap();
    // SAFETY: no other test in this binary reads this variable.
    unsafe { std::env::set_var(reverie_engine::downloads::ENV_VAR, downloads.path()) };
    let text = serde_json::to_string_pretty(&otel["document"]).unwrap();
    let name = otel["file_name"].as_str().unwrap();
    let mut saved = Vec::new();
    for _ in 0..2 {
        let r = api
            .call(
                "files.save_download",
                json!({"file_name": name, "text": text}),
            )
            .await
            .unwrap();
        saved.push(std::path::PathBuf::from(r["path"].as_str().unwrap()));
    }
    assert_eq!(saved[0], downloads.path().join(name));
    assert_ne!(saved[0], saved[1]);
    assert_eq!(std::fs::read_to_string(&saved[1]).unwrap(), text);
    let escape = api
        .call(
            "files.save_download",
            json!({"file_name": "../x.json", "text": "x"}),
        )
        .await
        .unwrap_err();
    assert_eq!(escape.kind, "invalid");
    let missing = api
        .call(
            "sessions.page",
            json!({"id": "nope", "offset": 0, "limit": 5}),
        )
        .await
        .unwrap_err();
    assert_eq!(missing.kind, "not_found");

    // The builder's helpers: canonical text and live regex matches.
    let starter = reverie_engine::outcome::starter_rubrics()[0].to_json();
    let squashed =
        serde_json::to_string(&serde_json::from_str::<Value>(&starter).unwrap()).unwrap();
    let canonical = api
        .call("rubrics.canonical", json!({"document": squashed}))
        .await
        .unwrap();
    assert_eq!(canonical["text"], starter);
    let invalid = api
        .call("rubrics.canonical", json!({"document": "{\"schema\": 1}"}))
        .await
        .unwrap_err();
    assert!(invalid.message.contains("line 1"), "{}", invalid.message);
    let matches = api
        .call(
            "rubrics.try_regex",
            json!({"pattern": "a+", "flags": "i", "text": "bAAb a"}),
        )
        .await
        .unwrap();
    assert_eq!(
        matches["matches"],
        json!([{"start": 1, "end": 3, "text": "AA"}, {"start": 5, "end": 6, "text": "a"}])
    );
    let bad = api
        .call("rubrics.try_regex", json!({"pattern": "(", "text": "x"}))
        .await
        .unwrap_err();
    assert_eq!(bad.kind, "invalid");
}
