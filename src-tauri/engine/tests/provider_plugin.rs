//! A new provider is one file implementing [`Wire`]: this test's `Echo`
//! is a complete one (headers, body, parser, models path) and gets the
//! shared HTTP client, retries with `retry-after`, the streaming loop,
//! truncation checks, model listing and usage/cost accounting for free.
//!
//! Registering it in the engine takes two more lines, no more:
//! 1. `pub mod echo;` in `engine/src/provider/mod.rs`;
//! 2. one row, `Echo => super::echo::Echo,`, in the `providers!` table of
//!    `engine/src/provider/registry.rs` (which generates the
//!    `ProviderKind::Echo` variant, its stored name from `Spec::name`, its
//!    parsing and `provider::build`). No migration: `agents.provider` is
//!    plain text since 0006.
//!
//! An integration test cannot add a variant to the crate's enum, so `Echo`
//! borrows an existing kind and is built with `WireProvider::with_wire`,
//! exactly as `provider::build` builds a registered one.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reverie_engine::provider::wire::{Gathered, Parser, Partial, Sink, Spec, Wire, WireProvider};
use reverie_engine::provider::{
    ContentBlock, Message, ModelRequest, PriceTable, Provider, ProviderConfig, ProviderError,
    ProviderKind, RetryPolicy, StopReason, StreamEvent, Usage,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The whole provider: the server echoes the last user message back, one
/// word per event, then `data: [END]`.
#[derive(Debug, Default)]
struct Echo;

impl Wire for Echo {
    const KIND: ProviderKind = ProviderKind::OpenAi;
    const SPEC: Spec = Spec {
        name: "echo",
        api: "Echo",
        base_url_var: "ECHO_BASE_URL",
        api_key_var: "ECHO_API_KEY",
        default_base_url: "http://127.0.0.1:1",
        local: true,
        catalogue_prefix: None,
        test_model: "echo-1",
    };
    const TURN_PATH: &'static str = "/echo";
    const MODELS_PATH: &'static str = "/models";
    type Parser = EchoParser;

    fn headers(
        &self,
        _config: &ProviderConfig,
        _request: &ModelRequest,
        headers: &mut HeaderMap,
    ) -> Result<(), ProviderError> {
        headers.insert("x-echo", HeaderValue::from_static("1"));
        Ok(())
    }

    fn body(&self, request: &ModelRequest) -> Value {
        let last = request
            .messages
            .last()
            .map(Message::text)
            .unwrap_or_default();
        json!({"model": request.model, "text": last, "stream": request.stream})
    }
}

#[derive(Debug, Default)]
struct EchoParser {
    text: String,
    started: bool,
    done: bool,
}

impl Parser for EchoParser {
    fn event(
        &mut self,
        _name: &str,
        data: &str,
        on_event: Sink<'_>,
    ) -> Result<bool, ProviderError> {
        if data == "[END]" {
            self.done = true;
            return Ok(true);
        }
        if !self.started {
            self.started = true;
            on_event(StreamEvent::BlockStart {
                index: 0,
                block: ContentBlock::text(""),
            });
        }
        self.text.push_str(data);
        on_event(StreamEvent::TextDelta {
            index: 0,
            text: data.to_string(),
        });
        Ok(false)
    }

    fn end(&mut self, on_event: Sink<'_>) -> Result<(), ProviderError> {
        if !self.done {
            return Err(ProviderError::Truncated);
        }
        on_event(StreamEvent::MessageStop);
        Ok(())
    }

    fn whole(&mut self, body: &[u8]) -> Result<(), ProviderError> {
        self.text = String::from_utf8_lossy(body).into_owned();
        self.done = true;
        Ok(())
    }

    fn finish(self) -> Gathered {
        let words = self.text.split_whitespace().count() as u64;
        Gathered {
            id: "echo".into(),
            blocks: vec![Partial::Text(self.text)],
            stop_reason: Some(StopReason::EndTurn),
            usage: Usage {
                input_tokens: words,
                output_tokens: words,
                ..Usage::default()
            },
            ..Gathered::default()
        }
    }
}

/// A loopback echo server. The first `fail_first` turns get a 503 with
/// `retry-after: 0`; every request is counted.
async fn echo_server(fail_first: usize) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                let (head, body) = loop {
                    let read = socket.read(&mut chunk).await.unwrap_or(0);
                    if read == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..read]);
                    if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
                        let len = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        while buf.len() < end + 4 + len {
                            let read = socket.read(&mut chunk).await.unwrap_or(0);
                            if read == 0 {
                                break;
                            }
                            buf.extend_from_slice(&chunk[..read]);
                        }
                        break (head, buf[end + 4..].to_vec());
                    }
                };
                let response = if head.starts_with("get /models") {
                    let list = r#"{"data":[{"id":"echo-1"},{"id":"echo-2"}]}"#;
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{list}",
                        list.len()
                    )
                } else if n < fail_first {
                    "HTTP/1.1 503 Service Unavailable\r\nretry-after: 0\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_string()
                } else {
                    assert!(head.contains("x-echo: 1"), "the wire's headers are sent");
                    let v: Value = serde_json::from_slice(&body).unwrap();
                    let mut events = String::new();
                    for word in v["text"].as_str().unwrap().split_inclusive(' ') {
                        events.push_str(&format!("data: {word}\n\n"));
                    }
                    events.push_str("data: [END]\n\n");
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{events}",
                        events.len()
                    )
                };
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (base, seen)
}

fn provider(base: &str) -> WireProvider<Echo> {
    let config = ProviderConfig::new(base, None).with_retry(RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        max_retry_after: Duration::from_millis(5),
    });
    WireProvider::with_wire(Echo, config, Arc::new(PriceTable::built_in())).unwrap()
}

#[tokio::test]
async fn an_echo_provider_streams_through_the_shared_loop() {
    let (base, seen) = echo_server(1).await;
    let echo: Arc<dyn Provider> = Arc::new(provider(&base));
    let request = ModelRequest::new("echo-1", vec![Message::user("hello from the loop")]);
    let mut text = String::new();
    let mut retries = 0;
    let response = echo
        .stream_turn(
            &request,
            &CancellationToken::new(),
            &mut |event| match event {
                StreamEvent::TextDelta { text: t, .. } => text.push_str(&t),
                StreamEvent::Retrying { .. } => retries += 1,
                _ => {}
            },
        )
        .await
        .unwrap();
    assert_eq!(text, "hello from the loop");
    assert_eq!(response.message.text(), "hello from the loop");
    assert_eq!(
        response.model, "echo-1",
        "the shared code fills in the model"
    );
    assert_eq!(response.usage.output_tokens, 4);
    assert_eq!(response.cost_usd, None, "no price for an echo model");
    assert_eq!((retries, response.attempts), (1, 2), "the 503 was retried");
    assert_eq!(seen.load(Ordering::SeqCst), 2);

    let models = echo.list_models().await.unwrap();
    assert_eq!(models, ["echo-1", "echo-2"]);
    assert_eq!(echo.identity(), base, "a local server is known by its URL");
}

#[tokio::test]
async fn a_cut_stream_is_truncated_for_every_provider() {
    let mut parser = EchoParser::default();
    let mut sink = |_: StreamEvent| {};
    parser.event("", "half", &mut sink).unwrap();
    assert!(matches!(
        parser.end(&mut sink),
        Err(ProviderError::Truncated)
    ));
}

#[test]
fn a_registered_provider_name_parses_and_an_unknown_one_says_why() {
    for kind in ProviderKind::ALL {
        assert_eq!(kind.as_str().parse::<ProviderKind>().unwrap(), *kind);
    }
    let err = "echo".parse::<ProviderKind>().unwrap_err().to_string();
    assert!(err.contains("unknown provider 'echo'"), "{err}");
    assert!(err.contains("anthropic or openai"), "{err}");
    let err = serde_json::from_value::<ProviderKind>(json!("echo")).unwrap_err();
    assert!(err.to_string().contains("unknown provider 'echo'"), "{err}");
}

/// A database from before 0006 upgrades with its agents' rows, and every
/// row that points at them, intact; afterwards a provider name is plain
/// text (a new provider needs no migration) and an unknown one reads as an
/// error that says so, never as Anthropic.
#[test]
fn the_provider_column_is_text_and_the_upgrade_keeps_every_reference() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(reverie_engine::store::DATABASE_FILE);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in [
            include_str!("../src/store/migrations/0001_init.sql"),
            include_str!("../src/store/migrations/0002_mirror.sql"),
            include_str!("../src/store/migrations/0003_store_usage.sql"),
            include_str!("../src/store/migrations/0004_imported_sessions.sql"),
            include_str!("../src/store/migrations/0005_reviewed_sessions.sql"),
        ] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 5).unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             INSERT INTO agents (id, name, provider, model, created_at, updated_at)
               VALUES ('a1', 'lead', 'anthropic', 'claude-haiku-4-5', 't', 't'),
                      ('a2', 'local', 'openai', 'llama3.2', 't', 't');
             INSERT INTO roster_entries (lead_id, member_id, position) VALUES ('a1', 'a2', 0);
             INSERT INTO memory_stores (id, name, size_limit_bytes, owner_agent_id, created_at)
               VALUES ('s1', 'lead-memory', 1000, 'a1', 't');
             INSERT INTO agent_stores (agent_id, store_id, access, position)
               VALUES ('a1', 's1', 'read_write', 0);",
        )
        .unwrap();
        let refused = conn.execute(
            "INSERT INTO agents (id, name, provider, model, created_at, updated_at)
             VALUES ('a3', 'echo', 'echo', 'echo-1', 't', 't')",
            [],
        );
        assert!(refused.is_err(), "before 0006 the CHECK refuses new names");
    }

    let store = reverie_engine::Store::open_file(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let lead = store.agent("lead").unwrap();
    assert_eq!(lead.provider, ProviderKind::Anthropic);
    assert_eq!(store.agent("local").unwrap().provider, ProviderKind::OpenAi);
    let roster: Vec<String> = store
        .roster("lead")
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(roster, ["local"]);
    assert_eq!(
        lead.stores.len(),
        1,
        "the attached store survives the rebuild"
    );

    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    let fk: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0);
    conn.execute(
        "INSERT INTO agents (id, name, provider, model, created_at, updated_at)
         VALUES ('a3', 'echo', 'echo', 'echo-1', 't', 't')",
        [],
    )
    .expect("a new provider's name needs no migration");
    // Deleting an agent still cascades to what points at it.
    conn.execute("DELETE FROM agents WHERE id = 'a2'", [])
        .unwrap();
    let left: i64 = conn
        .query_row("SELECT COUNT(*) FROM roster_entries", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
    drop(conn);

    let err = store.agent("echo").unwrap_err().to_string();
    assert!(err.contains("unknown provider 'echo'"), "{err}");
}
