//! Importing past sessions from other tools into a real store: each format
//! (Anthropic Messages, OpenAI chat, JSON Lines of either, Claude Managed
//! Agents event logs), malformed records skipped or stopping the import,
//! idempotent re-import, original timestamps and outcomes kept, the
//! export → import round trip of a session the runtime ran against the
//! fake model server, the τ-bench corpus (120 sessions, 84 failed) loaded
//! as demo data and dreamed over end to end, and memory store export.

mod dream_support;

use std::io::Read;
use std::sync::Arc;

use dream_support::*;
use reverie_engine::Store;
use reverie_engine::api::Api;
use reverie_engine::dream::{DreamProgressSink, DreamRequest};
use reverie_engine::import::{ImportOptions, ImportSummary, OnError, import_file, import_reader};
use reverie_engine::runtime::{ProgressSink, RunRequest};
use reverie_engine::store::*;
use reverie_engine::timeline::{TimelineFilter, page};
use reverie_fake_model::{Block, Reply};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

fn import(
    store: &Store,
    agent: &str,
    text: &str,
    format: Option<SourceFormat>,
    on_error: OnError,
) -> ImportSummary {
    import_reader(
        store,
        agent,
        text.as_bytes(),
        &ImportOptions {
            format,
            on_error,
            file_name: "history.json".into(),
        },
        &mut |_| {},
    )
    .unwrap()
}

/// (kind, data) of every event of a session, in order.
fn steps(store: &Store, session_id: &str) -> Vec<(EventKind, Value)> {
    store
        .events(session_id, &EventQuery::default())
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.data))
        .collect()
}

fn new_agent(store: &Store, name: &str, tools: &[&str]) -> Agent {
    store
        .create_agent(&NewAgent {
            name: name.into(),
            provider: ProviderKind::Anthropic,
            model: "claude-sonnet-4-5".into(),
            system_prompt: "You are a careful assistant.".into(),
            tools: tools.iter().map(|t| t.to_string()).collect(),
        })
        .unwrap()
}

fn corpus_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/tau-bench-airline/gpt-4o-airline-tasks-00-29.json")
}

#[tokio::test]
async fn anthropic_conversations_keep_their_blocks_times_outcome_and_system_prompt() {
    let env = setup().await;
    let store = env.store();
    let file = json!([
        {
            "id": "conv-1", "system": "You are terse.", "model": "claude-opus-4-1",
            "created_at": "2024-03-01T10:00:00Z", "metadata": {"passed": false},
            "messages": [
                {"role": "user", "content": "List the files", "created_at": "2024-03-01T10:00:00Z"},
                {"role": "assistant", "created_at": "2024-03-01T12:00:05+02:00", "content": [
                    {"type": "thinking", "thinking": "I should list them.", "signature": "sig1"},
                    {"type": "text", "text": "Listing."},
                    {"type": "tool_use", "id": "tu1", "name": "shell", "input": {"cmd": "ls"}}
                ]},
                {"role": "user", "created_at": "2024-03-01T10:00:07Z", "content": [
                    {"type": "tool_result", "tool_use_id": "tu1", "is_error": true,
                     "content": [{"type": "text", "text": "ls: permission denied"}]}
                ]},
                {"role": "assistant", "created_at": "2024-03-01T10:00:09Z",
                 "content": [{"type": "text", "text": "I could not list them."}]}
            ]
        },
        {"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"}], "reward": 1}
    ]);
    let text = serde_json::to_string_pretty(&file).unwrap();
    let summary = import(store, "helper", &text, None, OnError::Skip);
    assert_eq!(summary.format, Some(SourceFormat::Anthropic));
    assert_eq!(
        (summary.records, summary.imported, summary.malformed),
        (2, 2, 0),
        "{summary:?}"
    );
    let id = &summary.session_ids[0];
    let s = store.session(id).unwrap();
    assert_eq!(s.task, "List the files");
    assert_eq!(s.status, SessionStatus::Completed);
    assert_eq!(s.started_at, "2024-03-01T10:00:00.000Z");
    assert_eq!(s.ended_at.as_deref(), Some("2024-03-01T10:00:09.000Z"));
    assert_eq!(s.final_answer.as_deref(), Some("I could not list them."));
    let from = s.imported.clone().unwrap();
    assert_eq!(from.format, SourceFormat::Anthropic);
    assert_eq!(from.file_name, "history.json");
    assert_eq!(
        (from.record, from.original_id.as_deref()),
        (1, Some("conv-1"))
    );
    assert_eq!(
        from.outcome,
        Some(ImportedOutcome {
            passed: Some(false),
            reward: None
        })
    );
    assert_eq!(
        steps(store, id),
        vec![
            (
                EventKind::UserMessage,
                json!({"turn": 0, "text": "List the files"})
            ),
            (
                EventKind::Thinking,
                json!({"turn": 1, "thinking": "I should list them.", "signature": "sig1"})
            ),
            (
                EventKind::AssistantText,
                json!({"turn": 1, "text": "Listing."})
            ),
            (
                EventKind::ToolCall,
                json!({"turn": 1, "id": "tu1", "name": "shell", "input": {"cmd": "ls"}, "model": "claude-opus-4-1"})
            ),
            (
                EventKind::ToolResult,
                json!({"turn": 1, "tool_use_id": "tu1", "name": "shell", "content": "ls: permission denied", "is_error": true})
            ),
            (
                EventKind::AssistantText,
                json!({"turn": 2, "text": "I could not list them.", "model": "claude-opus-4-1"})
            ),
            (
                EventKind::FinalAnswer,
                json!({"text": "I could not list them."})
            ),
        ]
    );
    // Each event keeps its own time (offsets normalised to UTC).
    let times: Vec<String> = store
        .events(id, &EventQuery::default())
        .unwrap()
        .into_iter()
        .map(|e| e.at)
        .collect();
    assert_eq!(
        times,
        [
            "2024-03-01T10:00:00.000Z",
            "2024-03-01T10:00:05.000Z",
            "2024-03-01T10:00:05.000Z",
            "2024-03-01T10:00:05.000Z",
            "2024-03-01T10:00:07.000Z",
            "2024-03-01T10:00:09.000Z",
            "2024-03-01T10:00:09.000Z"
        ]
    );
    // Paging by position and by time works on old timestamps.
    let second_page = page(store, id, &TimelineFilter::default(), 4, 10).unwrap();
    assert_eq!((second_page.total, second_page.events.len()), (7, 3));
    assert_eq!(second_page.events[0].kind, EventKind::ToolResult);
    let from_time = store
        .events(
            id,
            &EventQuery {
                from_time: Some("2024-03-01T10:00:06.000Z".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(from_time[0].kind, EventKind::ToolResult);
    assert_eq!(from_time.len(), 3);
    // The error is marked for the timeline, and the system prompt is kept.
    let marks = reverie_engine::timeline::marks(store, id, &TimelineFilter::default()).unwrap();
    assert_eq!(marks.errors, vec![4]);
    assert_eq!(
        store.imported_system_prompt(id).unwrap().as_deref(),
        Some("You are terse.")
    );
    let second = store.session(&summary.session_ids[1]).unwrap();
    assert_eq!(
        second.imported.unwrap().outcome,
        Some(ImportedOutcome {
            passed: Some(true),
            reward: Some(1.0)
        })
    );
    assert_eq!(second.final_answer.as_deref(), Some("Hello!"));
    // The imported session is the oldest in the list, as its times say.
    let all = store.list_sessions(&SessionFilter::default()).unwrap();
    assert_eq!(all.last().unwrap().id, *id);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[tokio::test]
async fn openai_chat_in_every_shape_and_json_lines() {
    let env = setup().await;
    let store = env.store();
    let conversation = json!([
        {"role": "system", "content": "You book flights.", "created": 1_700_000_000},
        {"role": "user", "content": [{"type": "text", "text": "Book JFK to SEA"}], "created": 1_700_000_001},
        {"role": "assistant", "content": null, "created": 1_700_000_002, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "search", "arguments": "{\"from\":\"JFK\",\"to\":\"SEA\"}"}},
            {"id": "call_2", "type": "function", "function": {"name": "note", "arguments": "not json"}}
        ]},
        {"role": "tool", "tool_call_id": "call_1", "content": "HAT136", "created": 1_700_000_003},
        {"role": "tool", "tool_call_id": "call_2", "name": "note", "content": "ok"},
        {"role": "assistant", "content": "Booked HAT136.", "created": 1_700_000_004},
        {"role": "user", "content": "Thanks ###STOP###", "created": 1_700_000_005}
    ]);
    // One conversation as a bare messages array.
    let summary = import(
        store,
        "helper",
        &conversation.to_string(),
        None,
        OnError::Skip,
    );
    assert_eq!(summary.format, Some(SourceFormat::OpenAi));
    assert_eq!((summary.imported, summary.records), (1, 7), "{summary:?}");
    let id = &summary.session_ids[0];
    let s = store.session(id).unwrap();
    assert_eq!(s.task, "Book JFK to SEA");
    assert_eq!(s.started_at, "2023-11-14T22:13:20.000Z");
    assert_eq!(s.final_answer.as_deref(), Some("Booked HAT136."));
    assert_eq!(
        store.imported_system_prompt(id).unwrap().as_deref(),
        Some("You book flights.")
    );
    let got = steps(store, id);
    let kinds: Vec<EventKind> = got.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        kinds,
        [
            EventKind::UserMessage,
            EventKind::ToolCall,
            EventKind::ToolCall,
            EventKind::ToolResult,
            EventKind::ToolResult,
            EventKind::AssistantText,
            EventKind::FinalAnswer,
            EventKind::UserMessage
        ]
    );
    assert_eq!(got[1].1["input"], json!({"from": "JFK", "to": "SEA"}));
    assert_eq!(got[2].1["input"], json!("not json"));
    assert_eq!(
        got[3].1,
        json!({"turn": 1, "tool_use_id": "call_1", "name": "search", "content": "HAT136", "is_error": false})
    );
    assert_eq!(got[7].1, json!({"turn": 2, "text": "Thanks ###STOP###"}));

    // An object with messages, and a list of them, and JSON Lines of both.
    let object = json!({"messages": conversation, "id": "c-2", "success": true});
    let list = json!([
        {"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
        [{"role": "user", "content": "c"}, {"role": "assistant", "content": "d", "tool_calls": []}]
    ]);
    let lines = format!("{object}\n{}\n\n{}\n", list[0], list[1]);
    let agent = new_agent(store, "chat", &[]);
    let summary = import(
        store,
        &agent.name,
        &lines,
        Some(SourceFormat::OpenAi),
        OnError::Skip,
    );
    assert_eq!((summary.imported, summary.malformed), (3, 0), "{summary:?}");
    let first = store.session(&summary.session_ids[0]).unwrap();
    let from = first.imported.unwrap();
    assert_eq!((from.record, from.line), (1, Some(1)));
    assert_eq!(from.original_id.as_deref(), Some("c-2"));
    assert_eq!(from.outcome.unwrap().passed, Some(true));
    let third = store.session(&summary.session_ids[2]).unwrap();
    assert_eq!(third.task, "c");
    assert_eq!(third.imported.unwrap().line, Some(4));
    // The same conversations as one JSON list are found already there.
    let summary = import(store, &agent.name, &list.to_string(), None, OnError::Skip);
    assert_eq!((summary.imported, summary.skipped_duplicates), (0, 2));
}

#[tokio::test]
async fn malformed_json_lines_are_reported_by_line_and_skipped_or_stop_the_import() {
    let env = setup().await;
    let store = env.store();
    let good = |n: u32| json!({"messages": [{"role": "user", "content": format!("task {n}")}, {"role": "assistant", "content": "done"}]});
    let file = format!(
        "{}\n{{\"messages\": [\n{}\n42\n{}\n",
        good(1),
        json!({"messages": [{"role": "wizard", "content": "x"}]}),
        good(5)
    );

    // Stop: the first bad line ends it; what came before stays.
    let stopped = import(store, "helper", &file, None, OnError::Stop);
    assert_eq!((stopped.imported, stopped.malformed), (1, 1), "{stopped:?}");
    assert_eq!(stopped.malformed_records[0].position.line, Some(2));
    assert!(stopped.stopped.as_deref().unwrap().contains("line 2"));

    // Skip: every bad line is reported with its line, the rest imported;
    // the session stored before is found, not duplicated.
    let skipped = import(store, "helper", &file, None, OnError::Skip);
    assert_eq!(
        (
            skipped.imported,
            skipped.skipped_duplicates,
            skipped.malformed
        ),
        (1, 1, 3),
        "{skipped:?}"
    );
    assert!(skipped.stopped.is_none());
    let bad: Vec<(Option<u64>, &str)> = skipped
        .malformed_records
        .iter()
        .map(|m| (m.position.line, m.message.as_str()))
        .collect();
    assert_eq!(bad[0].0, Some(2));
    assert!(bad[0].1.contains("not valid JSON"), "{}", bad[0].1);
    assert_eq!(bad[1].0, Some(3));
    assert!(bad[1].1.contains("unknown role \"wizard\""), "{}", bad[1].1);
    assert_eq!(bad[2].0, Some(4));
    assert!(bad[2].1.contains("not a bare value"), "{}", bad[2].1);
    assert_eq!(skipped.malformed_records[1].at, "record 3 (line 3)");
    let sessions = store
        .list_sessions(&SessionFilter {
            agent: Some("helper".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(sessions.len(), 2);

    // A format mismatch says which format to use.
    let openai_file = json!({"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f", "arguments": "{}"}}]}]});
    let mismatch = import(
        store,
        "helper",
        &openai_file.to_string(),
        Some(SourceFormat::Anthropic),
        OnError::Skip,
    );
    assert_eq!(mismatch.malformed, 1);
    assert!(
        mismatch.malformed_records[0]
            .message
            .contains("--format openai"),
        "{:?}",
        mismatch.malformed_records
    );
}

#[tokio::test]
async fn a_syntax_error_inside_a_json_array_stops_with_its_line_and_says_why() {
    let env = setup().await;
    let store = env.store();
    let list: Vec<Value> = (1..=4)
        .map(|n| json!({"messages": [{"role": "user", "content": format!("task {n}")}, {"role": "assistant", "content": "done"}]}))
        .collect();
    let pretty = serde_json::to_string_pretty(&list).unwrap();
    // Break the third conversation.
    let broken = pretty.replacen("\"task 3\"", "\"task 3\" oops", 1);
    let line = broken
        .lines()
        .position(|l| l.contains("oops"))
        .map(|i| i as u64 + 1);
    for on_error in [OnError::Skip, OnError::Stop] {
        let summary = import(store, "helper", &broken, None, on_error);
        assert_eq!(summary.malformed, 1, "{summary:?}");
        let bad = &summary.malformed_records[0];
        assert_eq!(bad.position.line, line);
        assert!(bad.message.contains("cannot be skipped"), "{}", bad.message);
        assert!(summary.stopped.is_some());
        assert_eq!(summary.imported + summary.skipped_duplicates, 2);
    }
    // A semantic error in an array element is skipped like a bad line.
    let mut list = list;
    list[2] = json!({"messages": "not a list"});
    let summary = import(
        store,
        "helper",
        &serde_json::to_string_pretty(&list).unwrap(),
        None,
        OnError::Skip,
    );
    assert_eq!(
        (
            summary.imported,
            summary.skipped_duplicates,
            summary.malformed
        ),
        (1, 2, 1)
    );
    assert_eq!(summary.malformed_records[0].position.element, Some(3));
    assert!(
        summary.malformed_records[0]
            .at
            .starts_with("record 3 (array element 3")
    );
}

fn managed_agents_events(session: &str, minute: u32) -> Vec<Value> {
    let t = |s: u32| format!("2025-06-01T09:{minute:02}:{s:02}Z");
    vec![
        json!({"id": "sevt_1", "type": "session.status_running", "processed_at": t(0)}),
        json!({"id": "sevt_2", "type": "user.message", "content": [{"type": "text", "text": format!("Summarise report {session}")}], "processed_at": t(1)}),
        json!({"id": "sevt_3", "type": "span.model_request_start", "processed_at": t(2)}),
        json!({"id": "sevt_4", "type": "agent.thinking", "processed_at": t(3)}),
        json!({"id": "sevt_5", "type": "agent.tool_use", "name": "read", "input": {"path": "report.md"}, "processed_at": t(4)}),
        json!({"id": "sevt_6", "type": "span.model_request_end", "model_request_start_id": "sevt_3", "is_error": false,
               "model_usage": {"input_tokens": 100, "output_tokens": 20, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 50}, "processed_at": t(5)}),
        json!({"id": "sevt_7", "type": "agent.tool_result", "tool_use_id": "sevt_5", "is_error": true, "content": [{"type": "text", "text": "no such file"}], "processed_at": t(6)}),
        json!({"id": "sevt_8", "type": "agent.message", "content": [{"type": "text", "text": "The report is missing."}], "processed_at": t(8)}),
        json!({"id": "sevt_9", "type": "span.outcome_evaluation_end", "outcome_id": "outc_1", "iteration": 0, "result": "failed",
               "explanation": "No summary was written.", "outcome_evaluation_start_id": "sevt_x",
               "usage": {"input_tokens": 1, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}, "processed_at": t(9)}),
        json!({"id": "sevt_10", "type": "session.status_idle", "stop_reason": {"type": "end_turn"}, "processed_at": t(10)}),
        json!({"id": "sevt_11", "type": "session.status_terminated", "processed_at": t(11)}),
    ]
}

#[tokio::test]
async fn managed_agents_event_logs_become_sessions_with_usage_verdicts_and_times() {
    let env = setup().await;
    let store = env.store();
    // One session's events as a JSON array.
    let events = managed_agents_events("A", 0);
    let summary = import(
        store,
        "helper",
        &serde_json::to_string_pretty(&events).unwrap(),
        None,
        OnError::Skip,
    );
    assert_eq!(summary.format, Some(SourceFormat::ManagedAgents));
    assert_eq!((summary.records, summary.imported), (11, 1), "{summary:?}");
    let id = &summary.session_ids[0];
    let s = store.session(id).unwrap();
    assert_eq!(s.task, "Summarise report A");
    assert_eq!(s.started_at, "2025-06-01T09:00:00.000Z");
    assert_eq!(s.ended_at.as_deref(), Some("2025-06-01T09:00:11.000Z"));
    assert_eq!(s.usage.input_tokens, 100);
    assert_eq!(s.usage.cache_read_input_tokens, 50);
    assert_eq!(
        s.imported.unwrap().outcome.unwrap().passed,
        Some(false),
        "the outcome evaluation failed"
    );
    let events = store.events(id, &EventQuery::default()).unwrap();
    let kinds: Vec<EventKind> = events.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [
            EventKind::UserMessage,
            EventKind::Thinking,
            EventKind::ToolCall,
            EventKind::ToolResult,
            EventKind::AssistantText,
            EventKind::FinalAnswer,
            EventKind::GraderVerdict
        ]
    );
    let call = &events[2];
    assert_eq!(call.data["name"], "read");
    assert_eq!(call.data["id"], "sevt_5");
    assert_eq!(call.usage.unwrap().output_tokens, 20);
    assert_eq!(call.latency_ms, Some(3000));
    assert_eq!(call.at, "2025-06-01T09:00:04.000Z");
    assert_eq!(events[3].data["is_error"], true);
    assert_eq!(events[3].data["name"], "read");
    assert_eq!(events[6].data["result"], "failed");
    assert_eq!(events[1].data["turn"], events[2].data["turn"]);
    assert_ne!(events[4].data["turn"], events[2].data["turn"]);

    // JSON Lines of events of two sessions, told apart by session_id.
    let mut lines = String::new();
    for (session, minute) in [("sesn_B", 1), ("sesn_C", 2)] {
        for mut e in managed_agents_events(session, minute) {
            e["session_id"] = json!(session);
            lines += &format!("{e}\n");
        }
    }
    let summary = import(store, "helper", &lines, None, OnError::Skip);
    assert_eq!((summary.imported, summary.malformed), (2, 0), "{summary:?}");
    let b = store.session(&summary.session_ids[0]).unwrap();
    assert_eq!(b.imported.unwrap().original_id.as_deref(), Some("sesn_B"));
    assert_eq!(b.started_at, "2025-06-01T09:01:00.000Z");

    // A list page, and a session object with its events.
    let page_doc = json!({"data": managed_agents_events("D", 3), "next_page": null});
    let wrapped = json!({"session": {"id": "sesn_E", "type": "session", "status": "terminated",
        "created_at": "2025-06-01T08:00:00Z", "updated_at": "2025-06-01T10:00:00Z"},
        "events": managed_agents_events("E", 4)});
    let summary = import(
        store,
        "helper",
        &format!("{page_doc}\n{wrapped}\n"),
        None,
        OnError::Skip,
    );
    assert_eq!(summary.imported, 2, "{summary:?}");
    let e = store.session(&summary.session_ids[1]).unwrap();
    assert_eq!(e.imported.unwrap().original_id.as_deref(), Some("sesn_E"));
    assert_eq!(e.started_at, "2025-06-01T08:00:00.000Z");
    assert_eq!(e.ended_at.as_deref(), Some("2025-06-01T09:04:11.000Z"));

    // A broken event line drops the session it belongs to, said once.
    let mut lines: Vec<String> = managed_agents_events("F", 5)
        .iter()
        .map(|e| e.to_string())
        .collect();
    lines[4] = "{\"type\": \"agent.tool_use\", ".into();
    let summary = import(store, "helper", &lines.join("\n"), None, OnError::Skip);
    assert_eq!((summary.imported, summary.malformed), (0, 1), "{summary:?}");
    assert_eq!(summary.malformed_records[0].position.line, Some(5));
    assert!(
        summary.malformed_records[0]
            .message
            .contains("was not imported")
    );
}

#[tokio::test]
async fn importing_the_same_records_again_creates_nothing_even_reformatted() {
    let env = setup().await;
    let store = env.store();
    let conversations: Vec<Value> = (0..5)
        .map(|n| json!({"messages": [{"role": "user", "content": format!("task {n}")}, {"role": "assistant", "content": "ok"}]}))
        .collect();
    let compact = serde_json::to_string(&conversations).unwrap();
    let first = import(store, "helper", &compact, None, OnError::Skip);
    assert_eq!(first.imported, 5);
    // The same records as pretty JSON, and as JSON Lines with keys reordered.
    let pretty = serde_json::to_string_pretty(&conversations).unwrap();
    let again = import(store, "helper", &pretty, None, OnError::Skip);
    assert_eq!((again.imported, again.skipped_duplicates), (0, 5));
    let lines: String = (0..5)
        .map(|n| format!("{{\"messages\":[{{\"content\":\"task {n}\",\"role\":\"user\"}},{{\"content\":\"ok\",\"role\":\"assistant\"}}]}}\n"))
        .collect();
    let third = import(store, "helper", &lines, None, OnError::Skip);
    assert_eq!((third.imported, third.skipped_duplicates), (0, 5));
    // The same records into another agent are that agent's history.
    new_agent(store, "other", &[]);
    let other = import(store, "other", &compact, None, OnError::Skip);
    assert_eq!(other.imported, 5);
    assert_eq!(
        store
            .list_sessions(&SessionFilter::default())
            .unwrap()
            .len(),
        10
    );
}

#[tokio::test]
async fn a_session_exported_as_anthropic_json_imports_into_a_fresh_folder_with_the_same_events() {
    let env = setup().await;
    let store = env.store();
    new_agent(store, "worker", &["workspace"]);
    env.server.push_reply(
        Reply::default()
            .with_thinking("I will write the notes first.", "sig-abc")
            .with_block(Block::Text {
                text: "Writing the notes.".into(),
            })
            .with_block(Block::ToolUse {
                id: "toolu_1".into(),
                name: "workspace".into(),
                input: json!({"command": "write", "path": "notes.txt", "content": "metric units"}),
            }),
    );
    env.server
        .push_reply(Reply::tool_use("toolu_2", "nonexistent", json!({"x": 1})));
    env.server
        .push_reply(Reply::text("Done: notes.txt holds it."));
    let run = env
        .runtime
        .run(
            RunRequest {
                agent: "worker".into(),
                task: "Keep a note that we use metric units.".into(),
                limits: None,
            },
            CancellationToken::new(),
            ProgressSink::none(),
        )
        .await
        .unwrap();
    assert_eq!(run.status, SessionStatus::Completed, "{:?}", run.error);
    let original = steps(store, &run.session_id);
    assert!(
        original
            .iter()
            .any(|(k, d)| *k == EventKind::ToolResult && d["is_error"] == true)
    );

    let document = reverie_engine::session_export::to_anthropic(store, &run.session_id).unwrap();
    assert_eq!(document["system"], "You are a careful assistant.");
    assert_eq!(document["messages"][1]["content"][0]["type"], "thinking");
    assert_eq!(document["messages"][1]["content"][2]["type"], "tool_use");
    assert_eq!(document["messages"][2]["content"][0]["type"], "tool_result");
    let file = env.dir.path().join("session.anthropic.json");
    std::fs::write(&file, serde_json::to_string_pretty(&document).unwrap()).unwrap();

    let fresh = tempfile::tempdir().unwrap();
    let other = Store::open(fresh.path()).unwrap();
    new_agent(&other, "worker", &["workspace"]);
    let summary = import_file(&other, "worker", &file, None, OnError::Stop, &mut |_| {}).unwrap();
    assert_eq!(summary.format, Some(SourceFormat::Anthropic));
    assert_eq!(summary.imported, 1);
    let copy = &summary.session_ids[0];
    assert_eq!(steps(&other, copy), original, "the same events, in order");
    let copied = other.session(copy).unwrap();
    let source = store.session(&run.session_id).unwrap();
    assert_eq!(copied.task, source.task);
    assert_eq!(copied.final_answer, source.final_answer);
    // Exporting the copy gives the same document back.
    assert_eq!(
        reverie_engine::session_export::to_anthropic(&other, copy).unwrap(),
        document
    );

    // The copy exports as OTel GenAI spans too: one chat span per model
    // call (its usage was not in the file), and the source on the agent span.
    let otel = reverie_engine::session_export::to_otel(&other, copy).unwrap();
    let spans = otel["resourceSpans"][0]["scopeSpans"][0]["spans"]
        .as_array()
        .unwrap();
    let attr = |span: &Value, key: &str| {
        span["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == key)
            .map(|a| a["value"].clone())
    };
    let chats: Vec<&Value> = spans
        .iter()
        .filter(|s| attr(s, "gen_ai.operation.name") == Some(json!({"stringValue": "chat"})))
        .collect();
    assert_eq!(chats.len(), 3);
    assert!(attr(chats[0], "gen_ai.usage.input_tokens").is_none());
    let agent_span = spans
        .iter()
        .find(|s| attr(s, "gen_ai.operation.name") == Some(json!({"stringValue": "invoke_agent"})))
        .unwrap();
    assert_eq!(
        attr(agent_span, "reverie.imported.format"),
        Some(json!({"stringValue": "anthropic"}))
    );
    let tools = spans
        .iter()
        .filter(|s| {
            attr(s, "gen_ai.operation.name") == Some(json!({"stringValue": "execute_tool"}))
        })
        .count();
    assert_eq!(tools, 2);
}

#[tokio::test]
async fn the_tau_bench_corpus_loads_as_demo_data_once_with_its_84_failures() {
    let env = setup().await;
    let api = Arc::new(Api::new(env.runtime.clone()));
    let mut notices = api.subscribe();
    let loaded = api.call("demo.load", json!({})).await.unwrap();
    assert_eq!(loaded["agent"], "airline-agent");
    assert_eq!(loaded["created_agent"], true);
    let summary = &loaded["summary"];
    assert_eq!(summary["imported"], 120, "{summary}");
    assert_eq!(summary["records"], 120);
    assert_eq!(summary["malformed"], 0);
    assert_eq!(summary["format"], "openai");
    let mut progress = 0;
    while let Ok(notice) = notices.try_recv() {
        if notice["type"] == "import_progress" {
            progress += 1;
        }
    }
    assert!(progress >= 2, "progress is reported while importing");

    let store = env.store();
    let agent = store.agent("airline-agent").unwrap();
    assert!(agent.system_prompt.starts_with("# Airline Agent Policy"));
    let sessions = store
        .list_sessions(&SessionFilter {
            agent: Some("airline-agent".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(sessions.len(), 120);
    let outcomes: Vec<ImportedOutcome> = sessions
        .iter()
        .map(|s| s.imported.as_ref().unwrap().outcome.unwrap())
        .collect();
    let failed = outcomes
        .iter()
        .filter(|o| o.passed == Some(false) && o.reward == Some(0.0))
        .count();
    let passed = outcomes
        .iter()
        .filter(|o| o.passed == Some(true) && o.reward == Some(1.0))
        .count();
    assert_eq!((failed, passed), (84, 36));
    let mut ids: Vec<String> = sessions
        .iter()
        .map(|s| s.imported.as_ref().unwrap().original_id.clone().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 120, "task and trial name each session");
    assert!(ids.contains(&"task 0, trial 0".to_string()));
    // Every session has its tool calls and results; the overview shows the outcome.
    let first = sessions.last().unwrap();
    let kinds: std::collections::HashSet<EventKind> = steps(store, &first.id)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(kinds.contains(&EventKind::ToolCall) && kinds.contains(&EventKind::ToolResult));
    let overview = api
        .call("sessions.overview", json!({"agent": "airline-agent"}))
        .await
        .unwrap();
    assert_eq!(overview.as_array().unwrap().len(), 120);
    assert!(overview[0]["imported"]["outcome"]["passed"].is_boolean());

    // Loading again changes nothing.
    let again = api.call("demo.load", json!({})).await.unwrap();
    assert_eq!(again["created_agent"], false);
    assert_eq!(again["summary"]["imported"], 0);
    assert_eq!(again["summary"]["skipped_duplicates"], 120);

    // The same file imported through the API into another agent.
    api.call(
        "agents.create",
        json!({"name": "copy", "provider": "anthropic", "model": "claude-sonnet-4-5"}),
    )
    .await
    .unwrap();
    let imported = api
        .call(
            "sessions.import",
            json!({"agent": "copy", "path": corpus_path(), "format": "auto", "on_error": "stop"}),
        )
        .await
        .unwrap();
    assert_eq!(imported["imported"], 120);
    let missing = api
        .call(
            "sessions.import",
            json!({"agent": "nobody", "path": corpus_path()}),
        )
        .await
        .unwrap_err();
    assert_eq!(missing.kind, "not_found");
    let bad_format = api
        .call(
            "sessions.import",
            json!({"agent": "copy", "path": corpus_path(), "format": "xml"}),
        )
        .await
        .unwrap_err();
    assert_eq!(bad_format.kind, "invalid");
    assert!(bad_format.message.contains("managed-agents"));
    // The anthropic export through the API.
    let exported = api
        .call(
            "sessions.export",
            json!({"id": first.id, "format": "anthropic"}),
        )
        .await
        .unwrap();
    assert!(
        exported["file_name"]
            .as_str()
            .unwrap()
            .ends_with(".anthropic.json")
    );
    assert!(
        exported["document"]["system"]
            .as_str()
            .unwrap()
            .starts_with("# Airline Agent Policy")
    );
}

#[tokio::test]
async fn a_dream_over_the_imported_corpus_maps_reduces_and_stages_a_proposal() {
    let env = setup().await;
    let api = Arc::new(Api::new(env.runtime.clone()));
    let loaded = api.call("demo.load", json!({})).await.unwrap();
    let ids: Vec<String> =
        serde_json::from_value(loaded["summary"]["session_ids"].clone()).unwrap();
    let store = env.store();
    let failed: Vec<String> = ids
        .iter()
        .filter(|id| {
            store
                .session(id)
                .unwrap()
                .imported
                .unwrap()
                .outcome
                .unwrap()
                .passed
                == Some(false)
        })
        .take(3)
        .cloned()
        .collect();
    on_map(&env.server, findings(json!([])));
    let lesson = "Before booking, confirm every detail with the user and get an explicit yes; failed sessions booked without it.";
    on_reduce(
        &env.server,
        proposal(json!([
            {"op": "create", "path": "/memories/policy-lessons.md", "content": format!("# Lessons\n\n- {lesson}\n"),
             "reason": "Failed sessions acted before confirming.", "source_session_ids": failed},
            {"op": "create", "path": "/memories/_index.md", "content": "- /memories/policy-lessons.md: mistakes to avoid under the airline policy\n",
             "reason": "List the new document.", "source_session_ids": failed}
        ])),
        None,
    );
    let mut request = DreamRequest::new("airline-agent", DreamTrigger::Cli);
    request.call_tokens = Some(40_000);
    let report = env
        .dreamer
        .run(request, CancellationToken::new(), DreamProgressSink::none())
        .await
        .unwrap();
    assert_eq!(report.dream.status, DreamStatus::Completed);
    assert_eq!(report.dream.review, ReviewState::Staged);
    assert_eq!(report.stats.sessions, 120);
    assert!(report.stats.chunks >= 3, "{:?}", report.stats);
    assert_eq!(report.stats.calls as usize, report.stats.chunks + 1);
    assert_eq!(report.edits.len(), 2);
    assert_eq!(report.edits[0].source_session_ids, failed);
    // The model read every session, each marked with its outcome.
    let requests = env.server.requests();
    let maps: String = requests[..report.stats.chunks]
        .iter()
        .map(|r| r.body["messages"][0]["content"].to_string())
        .collect();
    for id in &ids {
        assert!(
            maps.contains(&format!("<session id=\\\"{id}\\\"")),
            "{id} unread"
        );
    }
    assert_eq!(
        maps.matches("outcome=\\\"failed\\\" reward=\\\"0\\\"")
            .count(),
        84
    );
    assert_eq!(
        maps.matches("outcome=\\\"passed\\\" reward=\\\"1\\\"")
            .count(),
        36
    );
    assert!(
        requests[0].body["system"]
            .to_string()
            .contains("outcome=\\\"failed\\\"")
    );
    // Staged: memory is unchanged until the proposal is applied.
    let store_id = store
        .agent("airline-agent")
        .unwrap()
        .default_store()
        .unwrap()
        .store_id
        .clone();
    assert!(store.list_documents(&store_id, None).unwrap().is_empty());
}

#[tokio::test]
async fn a_memory_store_exports_as_files_with_a_manifest_or_as_a_zip() {
    let env = setup().await;
    env.write("/memories/_index.md", "- /memories/a/b.md: notes\n");
    env.write("/memories/a/b.md", "metric units é\n");
    env.write("/memories/manifest.json", "{\"not\": \"the manifest\"}\n");
    let api = Arc::new(Api::new(env.runtime.clone()));
    let out = env.dir.path().join("export");
    let report = api
        .call(
            "memory.export",
            json!({"store": "helper", "dir": out.to_string_lossy()}),
        )
        .await
        .unwrap();
    assert_eq!(report["documents"], 3);
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["schema"], "reverie.memory_export/1");
    assert_eq!(manifest["store"], "helper");
    let docs = manifest["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 3);
    for doc in docs {
        let bytes = std::fs::read(out.join(doc["file"].as_str().unwrap())).unwrap();
        assert_eq!(doc["sha256"], sha256_hex(&bytes));
        assert_eq!(doc["size"], bytes.len());
        assert_eq!(doc["version"], 1);
        assert!(doc["updated_at"].is_string());
    }
    assert_eq!(
        std::fs::read_to_string(out.join("memories/a/b.md")).unwrap(),
        "metric units é\n"
    );
    // Nothing is written over.
    let again = api
        .call(
            "memory.export",
            json!({"store": "helper", "dir": out.to_string_lossy()}),
        )
        .await
        .unwrap_err();
    assert_eq!(again.kind, "conflict");

    let zip_path = env.dir.path().join("memory.zip");
    let report = api
        .call(
            "memory.export",
            json!({"store": "helper", "dir": zip_path.to_string_lossy(), "zip": true}),
        )
        .await
        .unwrap();
    assert_eq!(report["zip"], true);
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut names: Vec<String> = archive.file_names().map(str::to_string).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "manifest.json",
            "memories/_index.md",
            "memories/a/b.md",
            "memories/manifest.json"
        ]
    );
    let mut text = String::new();
    archive
        .by_name("memories/a/b.md")
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "metric units é\n");

    // The app's one-click export: a zip in the Downloads folder, under a
    // name no file has yet.
    let downloads = env.dir.path().join("Downloads");
    let first =
        reverie_engine::memory_export::export_zip_into(env.store(), "helper", &downloads).unwrap();
    let second =
        reverie_engine::memory_export::export_zip_into(env.store(), "helper", &downloads).unwrap();
    assert_eq!(first.path, downloads.join("helper-memory.zip"));
    assert_eq!(second.path, downloads.join("helper-memory (2).zip"));
    assert_eq!(second.documents, 3);
    assert!(zip::ZipArchive::new(std::fs::File::open(&second.path).unwrap()).is_ok());
    // No leftovers from the staging.
    let leftovers: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".reverie-export")
        })
        .collect();
    assert!(leftovers.is_empty());
}

#[tokio::test]
async fn sessions_imported_after_a_dream_are_reviewed_by_the_next_whatever_their_age() {
    let env = setup().await;
    let store = env.store();
    failing_test_session(store, &env.agent, 1);
    on_reduce(&env.server, proposal(json!([])), None);
    let first = env.dream(DreamTrigger::Cli).await.unwrap();
    assert_eq!(first.dream.status, DreamStatus::Completed);
    assert!(
        reverie_engine::dream::sessions_to_review(store, &env.agent)
            .unwrap()
            .is_empty()
    );
    // Sessions from 2023, imported after the dream.
    let old = json!({"created_at": "2023-01-01T00:00:00Z", "messages": [
        {"role": "user", "content": "An old task"}, {"role": "assistant", "content": "Done long ago."}]});
    let summary = import(store, "helper", &old.to_string(), None, OnError::Skip);
    let next = reverie_engine::dream::sessions_to_review(store, &env.agent).unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].id, summary.session_ids[0]);
    assert_eq!(next[0].started_at, "2023-01-01T00:00:00.000Z");
}

#[tokio::test]
async fn a_jsonl_file_is_read_line_by_line_even_when_its_first_line_is_broken() {
    let env = setup().await;
    let store = env.store();
    let text = format!(
        "{{\"messages\": [\n{}\n",
        json!({"messages": [{"role": "user", "content": "second"}, {"role": "assistant", "content": "ok"}]})
    );
    let options = |name: &str| ImportOptions {
        format: None,
        on_error: OnError::Skip,
        file_name: name.into(),
    };
    let summary = import_reader(
        store,
        "helper",
        text.as_bytes(),
        &options("history.jsonl"),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!((summary.imported, summary.malformed), (1, 1), "{summary:?}");
    assert_eq!(summary.malformed_records[0].position.line, Some(1));
    // Without the extension the first line decides: not a whole value, so
    // a JSON document, which cannot be read past its syntax error.
    let summary = import_reader(
        store,
        "helper",
        text.as_bytes(),
        &options("history.txt"),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(summary.imported, 0);
    assert!(summary.stopped.is_some());
    assert!(summary.malformed_records[0].message.contains("JSON Lines"));
}
