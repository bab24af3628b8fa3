//! Session-event append throughput on a real SQLite file (WAL,
//! synchronous=NORMAL): batched in one commit per 1,000 events, and one
//! durable commit per event. Prints events/s against the targets.
//!
//! `cargo bench -p reverie-engine --bench event_append`

use std::time::Instant;

use reverie_engine::Store;
use reverie_engine::store::*;
use serde_json::json;

fn event(i: usize) -> NewEvent {
    let usage = Usage {
        input_tokens: 1200,
        output_tokens: 80,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 1000,
    };
    let e = NewEvent::new(
        if i % 3 == 0 {
            EventKind::ToolCall
        } else {
            EventKind::AssistantText
        },
        json!({"text": "The deploy at 14:02 introduced the regression in the billing worker.", "i": i}),
    );
    if i % 10 == 0 {
        e.with_usage(usage, 0.0042, 812)
    } else {
        e
    }
}

fn session(store: &Store, name: &str) -> String {
    let agent = store
        .create_agent(&NewAgent {
            name: name.into(),
            provider: ProviderKind::Anthropic,
            model: "claude-sonnet-4-5".into(),
            system_prompt: String::new(),
            tools: vec![],
        })
        .unwrap();
    store
        .create_session(&NewSession {
            agent_id: agent.id,
            task: "bench".into(),
            parent_id: None,
        })
        .unwrap()
        .id
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();

    // Batched: 100k events, 1,000 per transaction.
    let id = session(&store, "batched");
    let total = 100_000;
    let events: Vec<NewEvent> = (0..total).map(event).collect();
    let start = Instant::now();
    for chunk in events.chunks(1000) {
        store.append_events(&id, chunk).unwrap();
    }
    let batched = total as f64 / start.elapsed().as_secs_f64();

    // One durable commit per event, into a table that already holds 100k rows.
    let id = session(&store, "single");
    let singles = 20_000;
    let start = Instant::now();
    for i in 0..singles {
        store.append_event(&id, &event(i)).unwrap();
    }
    let single = singles as f64 / start.elapsed().as_secs_f64();

    // Paging a 100k-event timeline by kind and by position.
    let root = store
        .list_sessions(&SessionFilter {
            agent: Some("batched".into()),
            ..Default::default()
        })
        .unwrap()[0]
        .id
        .clone();
    let start = Instant::now();
    let page = store
        .events(
            &root,
            &EventQuery {
                after_seq: Some(90_000),
                limit: Some(200),
                kinds: vec![EventKind::ToolCall],
                ..Default::default()
            },
        )
        .unwrap();
    let page_ms = start.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(page.len(), 200);

    // Baseline on the same disk and CPU, same moment: bare SQLite inserts of
    // the same payload into an index-free table, one commit each. The ratio
    // shows the engine's own cost independent of how loaded the machine is.
    let raw = rusqlite::Connection::open(dir.path().join("baseline.db")).unwrap();
    raw.pragma_update(None, "journal_mode", "WAL").unwrap();
    raw.pragma_update(None, "synchronous", "NORMAL").unwrap();
    raw.execute_batch(
        "CREATE TABLE t (seq INTEGER PRIMARY KEY, session_id TEXT, kind TEXT, at TEXT, data TEXT)",
    )
    .unwrap();
    let start = Instant::now();
    for i in 0..singles {
        raw.execute_batch("BEGIN IMMEDIATE").unwrap();
        raw.execute(
            "INSERT INTO t VALUES (NULL, ?1, 'assistant_text', ?2, ?3)",
            (
                &id,
                reverie_engine::ids::now(),
                serde_json::to_string(&event(i).data).unwrap(),
            ),
        )
        .unwrap();
        raw.execute_batch("COMMIT").unwrap();
    }
    let baseline = singles as f64 / start.elapsed().as_secs_f64();

    println!(
        "event append, batched (1,000 per commit): {batched:>9.0} events/s   (target >= 50,000)"
    );
    println!(
        "event append, one durable commit each:    {single:>9.0} events/s   (target >=  5,000)"
    );
    println!(
        "baseline: bare SQLite insert, one commit each: {baseline:>9.0} rows/s (engine reaches {:.0}% of it)",
        100.0 * single / baseline
    );
    println!("timeline page of 200 tool calls at seq 90k:  {page_ms:.2} ms");
}
