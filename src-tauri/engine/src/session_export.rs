//! A session tree exported as a file: Reverie's own JSON (the session, its
//! threads, outcomes with verdicts, and every event), Anthropic Messages
//! JSON (`{model, system, messages}` with `tool_use` / `tool_result`
//! blocks, which `reverie session import` reads back), or OpenTelemetry
//! spans in OTLP/JSON following the GenAI semantic conventions (`gen_ai.*`),
//! which Langfuse, Arize Phoenix and any OTLP collector import.
//!
//! The span tree: one `invoke_agent` span per thread (the lead's is the root,
//! a subagent's is a child of the thread that spawned it); under each, a
//! `chat` span per model call and an `execute_tool` span per tool call.
//! Memory reads and writes, grader verdicts, retries, errors and limits are
//! span events on their thread's span. The trace id is the root session's
//! ULID (both are 128 bits), so exporting twice gives the same trace.
//!
//! Read-only: it never writes a row, and never includes anything the session
//! did not record (keys are never in events).

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::store::{Event, EventKind, EventQuery, Session, SessionStatus, payload};
use crate::{Result, Store};

/// The version tag of Reverie's session export.
pub const SESSION_EXPORT_SCHEMA: &str = "reverie.session/1";

/// Events read per query while exporting.
const BATCH: usize = 5000;

/// Every event of a session tree, in order.
fn all_events(store: &Store, root_id: &str) -> Result<Vec<Event>> {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = store.events(
            root_id,
            &EventQuery {
                after_seq: Some(after),
                limit: Some(BATCH),
                ..Default::default()
            },
        )?;
        let done = page.len() < BATCH;
        if let Some(last) = page.last() {
            after = last.seq;
        }
        events.extend(page);
        if done {
            return Ok(events);
        }
    }
}

/// The whole tree of the session `session_id` belongs to, as one document.
pub fn to_json(store: &Store, session_id: &str) -> Result<Value> {
    let session = store.session(session_id)?;
    let root = store.session(&session.root_id)?;
    let threads = store.session_tree(&root.id)?;
    let mut outcomes = Vec::new();
    for o in store.outcomes_for_session(&root.id)? {
        let verdicts = store.verdicts(&o.id)?;
        outcomes.push(json!({"outcome": o, "verdicts": verdicts}));
    }
    let events = all_events(store, &root.id)?;
    Ok(json!({
        "schema": SESSION_EXPORT_SCHEMA,
        "exported_at": crate::ids::now(),
        "session": root,
        "threads": threads,
        "outcomes": outcomes,
        "events": events,
    }))
}

/// A file name for an export: `session-<id>.json` / `.otel.json`.
pub fn file_name(session_id: &str, otel: bool) -> String {
    if otel {
        format!("session-{session_id}.otel.json")
    } else {
        format!("session-{session_id}.json")
    }
}

/// The file formats a session exports to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Reverie's own JSON.
    #[default]
    Json,
    /// OpenTelemetry GenAI spans, OTLP/JSON.
    Otel,
    /// Anthropic Messages JSON.
    Anthropic,
}

/// A session tree as a document in `format`, with its file name.
pub fn export(store: &Store, session_id: &str, format: ExportFormat) -> Result<(String, Value)> {
    Ok(match format {
        ExportFormat::Json => (file_name(session_id, false), to_json(store, session_id)?),
        ExportFormat::Otel => (file_name(session_id, true), to_otel(store, session_id)?),
        ExportFormat::Anthropic => (
            format!("session-{session_id}.anthropic.json"),
            to_anthropic(store, session_id)?,
        ),
    })
}

/// The session's own thread as Anthropic Messages JSON: `{model, system,
/// messages}`. User messages and tool results are `user` turns, the
/// agent's text, thinking and tool calls `assistant` turns; consecutive
/// blocks of one role share a message. What the Messages format has no
/// place for (memory reads and writes, retries, errors, grader verdicts,
/// usage, subagent threads) is left out; the final answer is the last
/// assistant text already. Importing the file gives the same events back.
pub fn to_anthropic(store: &Store, session_id: &str) -> Result<Value> {
    let session = store.session(session_id)?;
    let agent = store.agent(&session.agent_id)?;
    let system = match store.imported_system_prompt(&session.id)? {
        Some(system) => system,
        None if session.imported.is_some() => String::new(),
        None => agent.system_prompt.clone(),
    };
    let events = store.events(
        &session.id,
        &EventQuery {
            thread_id: Some(session.id.clone()),
            limit: Some(100_000),
            ..Default::default()
        },
    )?;
    let mut messages: Vec<Value> = Vec::new();
    let mut model: Option<String> = None;
    let mut push = |role: &str, block: Value| match messages.last_mut() {
        Some(last) if last["role"] == role => {
            if let Some(blocks) = last["content"].as_array_mut() {
                blocks.push(block);
            }
        }
        _ => messages.push(json!({"role": role, "content": [block]})),
    };
    for e in &events {
        let d = &e.data;
        match e.kind {
            EventKind::UserMessage => {
                let m: payload::UserMessage = payload::read_ref(d);
                if m.resumed.is_some() {
                    continue;
                }
                push("user", json!({"type": "text", "text": m.text}));
            }
            EventKind::AssistantText => {
                let t: payload::AssistantText = payload::read_ref(d);
                push("assistant", json!({"type": "text", "text": t.text}));
            }
            EventKind::Thinking => {
                let t: payload::Thinking = payload::read(d);
                match t.redacted {
                    Some(data) => push(
                        "assistant",
                        json!({"type": "redacted_thinking", "data": data}),
                    ),
                    None => {
                        let mut block =
                            json!({"type": "thinking", "thinking": t.thinking.unwrap_or_default()});
                        if let Some(signature) = t.signature {
                            block["signature"] = json!(signature);
                        }
                        push("assistant", block);
                    }
                }
            }
            EventKind::ToolCall => push(
                "assistant",
                json!({"type": "tool_use", "id": d.get("id"), "name": d.get("name"), "input": d.get("input").cloned().unwrap_or_else(|| json!({}))}),
            ),
            EventKind::ToolResult => push(
                "user",
                json!({"type": "tool_result", "tool_use_id": d.get("tool_use_id"), "content": d.get("content").and_then(Value::as_str).unwrap_or(""), "is_error": d.get("is_error").and_then(Value::as_bool).unwrap_or(false)}),
            ),
            _ => {}
        }
        if model.is_none()
            && let Some(m) = d.get("model").and_then(Value::as_str)
        {
            model = Some(m.to_string());
        }
    }
    let mut document = Map::new();
    // The model as recorded; a session whose source never said has none.
    if let Some(model) = model {
        document.insert("model".into(), json!(model));
    }
    if !system.is_empty() {
        document.insert("system".into(), json!(system));
    }
    document.insert("messages".into(), Value::Array(messages));
    Ok(Value::Object(document))
}

fn nanos(at: &str) -> i128 {
    crate::ids::parse_time(at)
        .map(|t| t.unix_timestamp_nanos())
        .unwrap_or(0)
}

fn ns_string(n: i128) -> Value {
    Value::String(n.max(0).to_string())
}

/// The 128 bits of a ULID as 32 hex digits (a trace id).
fn trace_id(ulid_text: &str) -> String {
    match ulid::Ulid::from_string(ulid_text) {
        Ok(u) => format!("{:032x}", u.0),
        Err(_) => format!("{:032x}", fnv(ulid_text) as u128 | 1),
    }
}

/// A thread's span id: the low 64 bits of its ULID (random bits).
fn thread_span_id(ulid_text: &str) -> String {
    let bits = ulid::Ulid::from_string(ulid_text)
        .map(|u| u.0 as u64)
        .unwrap_or_else(|_| fnv(ulid_text));
    format!("{:016x}", bits.max(1))
}

/// An event's span id: derived from the trace and the event's seq, so it is
/// stable across exports.
fn event_span_id(trace: &str, seq: i64, salt: &str) -> String {
    format!("{:016x}", fnv(&format!("{trace}/{seq}/{salt}")).max(1))
}

/// FNV-1a: a small stable hash (span ids need stability, not secrecy).
fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// OTLP/JSON attribute list builder.
#[derive(Default)]
struct Attrs(Vec<Value>);

impl Attrs {
    fn str(mut self, key: &str, v: impl Into<String>) -> Self {
        self.0
            .push(json!({"key": key, "value": {"stringValue": v.into()}}));
        self
    }
    fn opt_str(self, key: &str, v: Option<&str>) -> Self {
        match v {
            Some(v) => self.str(key, v),
            None => self,
        }
    }
    fn int(mut self, key: &str, v: i64) -> Self {
        // OTLP/JSON carries 64-bit integers as strings.
        self.0
            .push(json!({"key": key, "value": {"intValue": v.to_string()}}));
        self
    }
    fn double(mut self, key: &str, v: f64) -> Self {
        self.0
            .push(json!({"key": key, "value": {"doubleValue": v}}));
        self
    }
    fn bool(mut self, key: &str, v: bool) -> Self {
        self.0.push(json!({"key": key, "value": {"boolValue": v}}));
        self
    }
    fn json(self, key: &str, v: &Value) -> Self {
        self.str(key, v.to_string())
    }
    fn done(self) -> Value {
        Value::Array(self.0)
    }
}

const SPAN_KIND_INTERNAL: i64 = 1;
const SPAN_KIND_CLIENT: i64 = 3;
const STATUS_OK: i64 = 1;
const STATUS_ERROR: i64 = 2;

fn status(ok: bool, message: Option<&str>) -> Value {
    if ok {
        json!({"code": STATUS_OK})
    } else {
        json!({"code": STATUS_ERROR, "message": message.unwrap_or("")})
    }
}

fn text_of(e: &Event, field: &str) -> Option<String> {
    e.data
        .get(field)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A thread's span being built: its events and child spans.
struct ThreadSpan {
    session: Session,
    span_id: String,
    parent_span_id: Option<String>,
    events: Vec<Value>,
    end_ns: i128,
}

/// The whole tree of the session `session_id` belongs to, as OTLP/JSON
/// (`{"resourceSpans": [...]}`).
pub fn to_otel(store: &Store, session_id: &str) -> Result<Value> {
    let session = store.session(session_id)?;
    let root = store.session(&session.root_id)?;
    let agent = store.agent(&root.agent_id)?;
    let threads = store.session_tree(&root.id)?;
    let events = all_events(store, &root.id)?;
    let trace = trace_id(&root.id);

    // Providers and models per agent (subagents may differ from the lead).
    let mut agent_info: HashMap<String, (String, String)> = HashMap::new();
    for t in &threads {
        if !agent_info.contains_key(&t.agent_id)
            && let Ok(a) = store.agent(&t.agent_id)
        {
            agent_info.insert(
                t.agent_id.clone(),
                (a.provider.as_str().to_string(), a.model),
            );
        }
    }
    agent_info
        .entry(agent.id.clone())
        .or_insert((agent.provider.as_str().to_string(), agent.model.clone()));

    let mut thread_spans: HashMap<String, ThreadSpan> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for t in &threads {
        let parent_span_id = t.parent_id.as_deref().map(thread_span_id);
        order.push(t.id.clone());
        thread_spans.insert(
            t.id.clone(),
            ThreadSpan {
                span_id: thread_span_id(&t.id),
                parent_span_id,
                events: Vec::new(),
                end_ns: t.ended_at.as_deref().map(nanos).unwrap_or(0),
                session: t.clone(),
            },
        );
    }

    let mut spans: Vec<Value> = Vec::new();
    // Per thread: the assistant blocks of the model call being read (its
    // usage rides on the last one), and the tool calls waiting for results.
    let mut turn_blocks: HashMap<String, Vec<&Event>> = HashMap::new();
    let mut pending_tools: HashMap<String, &Event> = HashMap::new();

    for e in &events {
        let Some(thread) = thread_spans.get_mut(&e.thread_id) else {
            continue;
        };
        let at = nanos(&e.at);
        thread.end_ns = thread.end_ns.max(at);
        let (provider, default_model) = agent_info
            .get(&thread.session.agent_id)
            .cloned()
            .unwrap_or_default();
        let start = at - e.latency_ms.unwrap_or(0) as i128 * 1_000_000;
        // A call recorded without usage (an imported session) ends where
        // its turn does: at the next turn's block or the next other event.
        let turn_of = |b: &Event| b.data.get("turn").and_then(Value::as_i64);
        let pending = turn_blocks.entry(e.thread_id.clone()).or_default();
        let is_block = matches!(
            e.kind,
            EventKind::AssistantText | EventKind::Thinking | EventKind::ToolCall
        );
        if pending
            .last()
            .is_some_and(|last| !is_block || turn_of(last) != turn_of(e))
        {
            let blocks = std::mem::take(pending);
            spans.push(chat_span(
                &trace,
                &thread.span_id,
                &root.id,
                &provider,
                &default_model,
                &blocks,
            ));
        }
        match e.kind {
            EventKind::AssistantText | EventKind::Thinking | EventKind::ToolCall => {
                if e.kind == EventKind::ToolCall
                    && let Some(id) = e.data.get("id").and_then(Value::as_str)
                {
                    pending_tools.insert(id.to_string(), e);
                }
                let blocks = turn_blocks.entry(e.thread_id.clone()).or_default();
                blocks.push(e);
                if e.usage.is_none() && e.cost_usd.is_none() {
                    continue;
                }
                // The model call ends here: one chat span for its blocks.
                let blocks = std::mem::take(blocks);
                spans.push(chat_span(
                    &trace,
                    &thread.span_id,
                    &root.id,
                    &provider,
                    &default_model,
                    &blocks,
                ));
            }
            EventKind::ToolResult => {
                let id = text_of(e, "tool_use_id").unwrap_or_default();
                let call = pending_tools.remove(&id);
                let name = text_of(e, "name").unwrap_or_else(|| "tool".into());
                let is_error = e
                    .data
                    .get("is_error")
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                let content = text_of(e, "content").unwrap_or_default();
                let mut attrs = Attrs::default()
                    .str("gen_ai.operation.name", "execute_tool")
                    .str("gen_ai.tool.name", name.clone())
                    .str("gen_ai.tool.type", "function")
                    .str("gen_ai.tool.call.id", id.clone())
                    .str("gen_ai.tool.call.result", content.clone());
                if let Some(call) = call
                    && let Some(input) = call.data.get("input")
                {
                    attrs = attrs.json("gen_ai.tool.call.arguments", input);
                }
                if is_error {
                    attrs = attrs.str("error.type", "tool_error");
                }
                let attrs = attrs.int("reverie.seq", e.seq).done();
                spans.push(json!({
                    "traceId": trace,
                    "spanId": event_span_id(&trace, e.seq, "tool"),
                    "parentSpanId": thread.span_id,
                    "name": format!("execute_tool {name}"),
                    "kind": SPAN_KIND_INTERNAL,
                    "startTimeUnixNano": ns_string(start),
                    "endTimeUnixNano": ns_string(at),
                    "attributes": attrs,
                    "status": status(!is_error, Some(&content.chars().take(200).collect::<String>())),
                }));
            }
            EventKind::GraderVerdict => {
                // The grader's own model call, as a chat span, plus a span
                // event carrying the verdict.
                let usage = e.usage.unwrap_or_default();
                let model = e
                    .data
                    .pointer("/grader/model")
                    .and_then(Value::as_str)
                    .unwrap_or(&default_model)
                    .to_string();
                if e.usage.is_some() && usage.input_tokens + usage.output_tokens > 0 {
                    let attrs = Attrs::default()
                        .str("gen_ai.operation.name", "chat")
                        .str("gen_ai.provider.name", provider.clone())
                        .str("gen_ai.system", provider.clone())
                        .str("gen_ai.request.model", model.clone())
                        .str("gen_ai.conversation.id", root.id.clone())
                        .int("gen_ai.usage.input_tokens", usage.input_tokens)
                        .int("gen_ai.usage.output_tokens", usage.output_tokens)
                        .str("reverie.role", "grader")
                        .double("reverie.cost_usd", e.cost_usd.unwrap_or(0.0))
                        .int("reverie.seq", e.seq)
                        .done();
                    spans.push(json!({
                        "traceId": trace,
                        "spanId": event_span_id(&trace, e.seq, "grader"),
                        "parentSpanId": thread.span_id,
                        "name": format!("chat {model}"),
                        "kind": SPAN_KIND_CLIENT,
                        "startTimeUnixNano": ns_string(start),
                        "endTimeUnixNano": ns_string(at),
                        "attributes": attrs,
                        "status": status(true, None),
                    }));
                }
                thread.events.push(span_event(e, at));
            }
            _ => thread.events.push(span_event(e, at)),
        }
    }

    // Calls still open at the end (recorded without usage).
    for (thread_id, blocks) in turn_blocks {
        if blocks.is_empty() {
            continue;
        }
        let Some(thread) = thread_spans.get(&thread_id) else {
            continue;
        };
        let (provider, default_model) = agent_info
            .get(&thread.session.agent_id)
            .cloned()
            .unwrap_or_default();
        spans.push(chat_span(
            &trace,
            &thread.span_id,
            &root.id,
            &provider,
            &default_model,
            &blocks,
        ));
    }

    for id in &order {
        let t = &thread_spans[id];
        let s = &t.session;
        let (provider, model) = agent_info.get(&s.agent_id).cloned().unwrap_or_default();
        let failed = matches!(
            s.status,
            SessionStatus::Failed | SessionStatus::Interrupted | SessionStatus::Canceled
        );
        let attrs = Attrs::default()
            .str("gen_ai.operation.name", "invoke_agent")
            .str("gen_ai.provider.name", provider.clone())
            .str("gen_ai.system", provider)
            .str("gen_ai.request.model", model)
            .str("gen_ai.agent.name", s.agent_name.clone())
            .str("gen_ai.agent.id", s.agent_id.clone())
            .str("gen_ai.conversation.id", root.id.clone())
            .int("gen_ai.usage.input_tokens", s.usage.input_tokens)
            .int("gen_ai.usage.output_tokens", s.usage.output_tokens)
            .str("reverie.session.id", s.id.clone())
            .str("reverie.session.status", s.status.as_str())
            .str("reverie.task", s.task.clone())
            .opt_str("reverie.final_answer", s.final_answer.as_deref())
            .double("reverie.cost_usd", s.cost_usd)
            .bool("reverie.subagent", s.parent_id.is_some());
        // An imported session says where from and how its source judged it.
        let attrs = match &s.imported {
            Some(from) => {
                let attrs = attrs
                    .str("reverie.imported.format", from.format.as_str())
                    .str("reverie.imported.file", from.file_name.clone())
                    .opt_str("reverie.imported.original_id", from.original_id.as_deref());
                match from.outcome {
                    Some(outcome) => {
                        let attrs = attrs.str("reverie.outcome", outcome.verdict());
                        match outcome.reward {
                            Some(reward) => attrs.double("reverie.outcome.reward", reward),
                            None => attrs,
                        }
                    }
                    None => attrs,
                }
            }
            None => attrs,
        }
        .done();
        let mut span = Map::new();
        span.insert("traceId".into(), json!(trace));
        span.insert("spanId".into(), json!(t.span_id));
        if let Some(parent) = &t.parent_span_id {
            span.insert("parentSpanId".into(), json!(parent));
        }
        span.insert(
            "name".into(),
            json!(format!("invoke_agent {}", s.agent_name)),
        );
        span.insert("kind".into(), json!(SPAN_KIND_INTERNAL));
        let start = nanos(&s.started_at);
        span.insert("startTimeUnixNano".into(), ns_string(start));
        span.insert("endTimeUnixNano".into(), ns_string(t.end_ns.max(start)));
        span.insert("attributes".into(), attrs);
        span.insert("events".into(), Value::Array(t.events.clone()));
        span.insert("status".into(), status(!failed, s.error.as_deref()));
        spans.push(Value::Object(span));
    }
    // Parents before children reads better in any viewer that lists spans.
    spans.sort_by(|a, b| {
        let key = |s: &Value| {
            (
                s["startTimeUnixNano"]
                    .as_str()
                    .and_then(|n| n.parse::<i128>().ok())
                    .unwrap_or(0),
                s.get("parentSpanId").is_some(),
            )
        };
        key(a).cmp(&key(b))
    });

    Ok(json!({
        "resourceSpans": [{
            "resource": {"attributes": Attrs::default()
                .str("service.name", "reverie")
                .str("service.version", env!("CARGO_PKG_VERSION"))
                .done()},
            "scopeSpans": [{
                "scope": {"name": "reverie.session_export", "version": env!("CARGO_PKG_VERSION")},
                "spans": spans,
            }],
        }],
    }))
}

/// One model call as a `chat` span: the assistant blocks it produced.
/// Usage, cost and latency ride on the last block when Reverie made the
/// call; an imported call may have none.
fn chat_span(
    trace: &str,
    parent_span_id: &str,
    conversation_id: &str,
    provider: &str,
    default_model: &str,
    blocks: &[&Event],
) -> Value {
    let last = blocks.last().expect("a call has at least one block");
    let at = nanos(&last.at);
    let start = at - last.latency_ms.unwrap_or(0) as i128 * 1_000_000;
    let model = text_of(last, "model").unwrap_or_else(|| default_model.to_string());
    let usage = last.usage.unwrap_or_default();
    let mut output = Vec::new();
    for b in blocks {
        match b.kind {
            EventKind::AssistantText => output.push(json!({"type": "text", "content": text_of(b, "text").unwrap_or_default()})),
            EventKind::ToolCall => output.push(json!({"type": "tool_call", "id": b.data.get("id"), "name": b.data.get("name"), "arguments": b.data.get("input")})),
            _ => {}
        }
    }
    let finish = if blocks.iter().any(|b| b.kind == EventKind::ToolCall) {
        "tool_call"
    } else {
        "stop"
    };
    let mut attrs = Attrs::default()
        .str("gen_ai.operation.name", "chat")
        .str("gen_ai.provider.name", provider)
        .str("gen_ai.system", provider)
        .str("gen_ai.request.model", model.clone())
        .str("gen_ai.response.model", model.clone())
        .str("gen_ai.conversation.id", conversation_id);
    if last.usage.is_some() {
        attrs = attrs
            .int("gen_ai.usage.input_tokens", usage.input_tokens)
            .int("gen_ai.usage.output_tokens", usage.output_tokens)
            .int(
                "gen_ai.usage.cache_creation.input_tokens",
                usage.cache_creation_input_tokens,
            )
            .int(
                "gen_ai.usage.cache_read.input_tokens",
                usage.cache_read_input_tokens,
            );
    }
    let attrs = attrs
        .json(
            "gen_ai.output.messages",
            &json!([{"role": "assistant", "parts": output, "finish_reason": finish}]),
        )
        .json("gen_ai.response.finish_reasons", &json!([finish]))
        .double("reverie.cost_usd", last.cost_usd.unwrap_or(0.0))
        .int("reverie.seq", last.seq)
        .done();
    let first_at = blocks.first().map(|b| nanos(&b.at)).unwrap_or(at);
    json!({
        "traceId": trace,
        "spanId": event_span_id(trace, last.seq, "chat"),
        "parentSpanId": parent_span_id,
        "name": format!("chat {model}"),
        "kind": SPAN_KIND_CLIENT,
        "startTimeUnixNano": ns_string(start.min(first_at)),
        "endTimeUnixNano": ns_string(at),
        "attributes": attrs,
        "status": status(true, None),
    })
}

/// A non-span event (memory, verdict, retry, error, ...) on its thread's span.
fn span_event(e: &Event, at: i128) -> Value {
    let mut attrs = Attrs::default()
        .str("reverie.event.kind", e.kind.as_str())
        .int("reverie.seq", e.seq);
    let data = e.data.as_object();
    for (key, value) in data.into_iter().flatten() {
        let key = format!("reverie.{key}");
        attrs = match value {
            Value::String(s) => attrs.str(&key, s.clone()),
            Value::Bool(b) => attrs.bool(&key, *b),
            Value::Number(n) if n.is_i64() => attrs.int(&key, n.as_i64().unwrap_or(0)),
            Value::Number(n) => attrs.double(&key, n.as_f64().unwrap_or(0.0)),
            Value::Null => attrs,
            other => attrs.json(&key, other),
        };
    }
    if e.kind == EventKind::Error {
        attrs = attrs.str("error.type", text_of(e, "source").unwrap_or("error".into()));
    }
    let name = match e.kind {
        // The semantic conventions' name for an exception event.
        EventKind::Error => "exception".to_string(),
        k => format!("reverie.{}", k.as_str()),
    };
    if e.kind == EventKind::Error {
        attrs = attrs.str(
            "exception.message",
            text_of(e, "message").unwrap_or_default(),
        );
    }
    json!({"timeUnixNano": ns_string(at), "name": name, "attributes": attrs.done()})
}
