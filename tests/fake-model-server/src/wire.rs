//! How a scripted reply is written on the wire: Anthropic Messages (SSE and
//! JSON) and OpenAI chat completions (SSE and JSON), plus each API's error
//! envelope. Owns byte layout only; it never chooses a reply or does I/O.

use bytes::Bytes;
use serde_json::{Value, json};

use crate::script::{Block, Fault, Reply};

/// One write to the socket, after a pause.
pub struct Frame {
    pub bytes: Bytes,
    pub delay_ms: u64,
    /// The first frame that carries model text (or thinking) to the client.
    pub first_delta: bool,
}

/// A response body as frames; `cut` drops the connection after the last one.
pub struct Rendered {
    pub frames: Vec<Frame>,
    pub cut: bool,
}

struct Ev {
    data: Value,
    name: Option<&'static str>,
    delta: bool,
}

fn chunks(s: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        return vec![String::new()];
    }
    chars
        .chunks(size.max(1))
        .map(|c| c.iter().collect())
        .collect()
}

/// Apply an in-stream fault to a list of events and lay them out as frames.
fn finish(
    events: Vec<Ev>,
    reply: &Reply,
    sse_line: impl Fn(&Ev) -> String,
    malformed: &str,
    error_event: impl Fn(&str, &str) -> String,
    done: Option<&str>,
) -> Rendered {
    let (keep, tail, cut) = match &reply.fault {
        Some(Fault::CutStream { after_events }) => (*after_events, None, true),
        Some(Fault::EndStream { after_events }) => (*after_events, None, false),
        Some(Fault::MalformedEvent { after_events }) => {
            (*after_events, Some(malformed.to_string()), false)
        }
        Some(Fault::StreamError {
            after_events,
            error_type,
            message,
        }) => (*after_events, Some(error_event(error_type, message)), false),
        _ => (usize::MAX, done.map(str::to_string), false),
    };
    let mut frames = Vec::new();
    let mut seen_first = false;
    for ev in events.iter().take(keep) {
        let first = ev.delta && !seen_first;
        seen_first |= ev.delta;
        frames.push(Frame {
            bytes: Bytes::from(sse_line(ev)),
            delay_ms: if ev.delta { reply.chunk_delay_ms } else { 0 },
            first_delta: first,
        });
    }
    if let Some(tail) = tail {
        frames.push(Frame {
            bytes: Bytes::from(tail),
            delay_ms: 0,
            first_delta: false,
        });
    }
    Rendered { frames, cut }
}

fn anthropic_usage(reply: &Reply, output_tokens: u64) -> Value {
    let u = &reply.usage;
    let one_hour = u
        .cache_creation_1h_input_tokens
        .min(u.cache_creation_input_tokens);
    json!({
        "input_tokens": u.input_tokens,
        "cache_creation_input_tokens": u.cache_creation_input_tokens,
        "cache_read_input_tokens": u.cache_read_input_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": u.cache_creation_input_tokens - one_hour,
            "ephemeral_1h_input_tokens": one_hour,
        },
        "output_tokens": output_tokens,
    })
}

fn anthropic_block(block: &Block) -> Value {
    serde_json::to_value(block).expect("a block is plain JSON")
}

/// The non-streaming Anthropic message.
pub fn anthropic_json(reply: &Reply, model: &str, id: &str) -> Value {
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": reply.blocks().iter().map(anthropic_block).collect::<Vec<_>>(),
        "stop_reason": reply.stop_reason(),
        "stop_sequence": null,
        "usage": anthropic_usage(reply, reply.usage.output_tokens),
    })
}

/// The Anthropic SSE stream: message_start, ping, each block's
/// start/deltas/stop, message_delta with cumulative usage, message_stop.
pub fn anthropic_stream(reply: &Reply, model: &str, id: &str) -> Rendered {
    let ev = |name: &'static str, data: Value, delta: bool| Ev {
        data,
        name: Some(name),
        delta,
    };
    let mut events = vec![
        ev(
            "message_start",
            json!({"type": "message_start", "message": {
                "id": id, "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": null, "stop_sequence": null,
                "usage": anthropic_usage(reply, 1),
            }}),
            false,
        ),
        ev("ping", json!({"type": "ping"}), false),
    ];
    if reply.unknown_events {
        events.push(ev(
            "reverie_future_event",
            json!({"type": "reverie_future_event", "detail": "a newer API"}),
            false,
        ));
    }
    let blocks = reply.blocks();
    for (index, block) in blocks.iter().enumerate() {
        let start = match block {
            Block::Text { .. } => json!({"type": "text", "text": ""}),
            Block::Thinking { .. } => json!({"type": "thinking", "thinking": "", "signature": ""}),
            Block::RedactedThinking { data } => json!({"type": "redacted_thinking", "data": data}),
            Block::ToolUse { id, name, .. } => {
                json!({"type": "tool_use", "id": id, "name": name, "input": {}})
            }
        };
        events.push(ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": start}),
            false,
        ));
        let delta = |d: Value| {
            ev(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": d}),
                true,
            )
        };
        match block {
            Block::Text { text } => {
                for c in chunks(text, reply.chunk_size) {
                    events.push(delta(json!({"type": "text_delta", "text": c})));
                }
            }
            Block::Thinking {
                thinking,
                signature,
            } => {
                for c in chunks(thinking, reply.chunk_size) {
                    events.push(delta(json!({"type": "thinking_delta", "thinking": c})));
                }
                events.push(delta(
                    json!({"type": "signature_delta", "signature": signature}),
                ));
            }
            Block::RedactedThinking { .. } => {}
            Block::ToolUse { input, .. } => {
                let raw = serde_json::to_string(input).expect("tool input is JSON");
                for c in chunks(&raw, reply.chunk_size) {
                    events.push(delta(
                        json!({"type": "input_json_delta", "partial_json": c}),
                    ));
                }
            }
        }
        events.push(ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
            false,
        ));
    }
    if reply.unknown_events {
        let index = blocks.len();
        events.push(ev("content_block_start", json!({"type": "content_block_start", "index": index, "content_block": {"type": "reverie_future_block", "payload": 1}}), false));
        events.push(ev("content_block_delta", json!({"type": "content_block_delta", "index": index, "delta": {"type": "reverie_future_delta", "payload": 2}}), false));
        events.push(ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
            false,
        ));
    }
    events.push(ev(
        "message_delta",
        json!({"type": "message_delta",
               "delta": {"stop_reason": reply.stop_reason(), "stop_sequence": null},
               "usage": anthropic_usage(reply, reply.usage.output_tokens)}),
        false,
    ));
    events.push(ev("message_stop", json!({"type": "message_stop"}), false));

    finish(
        events,
        reply,
        |e| {
            format!(
                "event: {}\ndata: {}\n\n",
                e.name.unwrap_or("message"),
                e.data
            )
        },
        "event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, \"delta\": {\"type\": \"text_del\n\n",
        |t, m| {
            format!(
                "event: error\ndata: {}\n\n",
                json!({"type": "error", "error": {"type": t, "message": m}})
            )
        },
        None,
    )
}

pub fn anthropic_error(error_type: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": error_type, "message": message}})
}

pub fn openai_error(error_type: &str, message: &str) -> Value {
    json!({"error": {"message": message, "type": error_type, "param": null, "code": null}})
}

fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "tool_use" => "tool_calls",
        "max_tokens" => "length",
        _ => "stop",
    }
}

fn openai_usage(reply: &Reply) -> Value {
    let u = &reply.usage;
    let prompt = u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens;
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": u.output_tokens,
        "total_tokens": prompt + u.output_tokens,
        "prompt_tokens_details": {"cached_tokens": u.cache_read_input_tokens},
    })
}

/// The non-streaming chat completion.
pub fn openai_json(reply: &Reply, model: &str, id: &str) -> Value {
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut calls = Vec::new();
    for block in reply.blocks() {
        match block {
            Block::Text { text: t } => text.push_str(&t),
            Block::Thinking { thinking, .. } => reasoning.push_str(&thinking),
            Block::RedactedThinking { .. } => {}
            Block::ToolUse { id, name, input } => calls.push(json!({
                "id": id, "type": "function",
                "function": {"name": name, "arguments": input.to_string()},
            })),
        }
    }
    let mut message = json!({"role": "assistant", "content": if text.is_empty() && !calls.is_empty() { Value::Null } else { Value::String(text) }});
    if !calls.is_empty() {
        message["tool_calls"] = Value::Array(calls);
    }
    if !reasoning.is_empty() {
        message["reasoning_content"] = Value::String(reasoning);
    }
    json!({
        "id": id, "object": "chat.completion", "created": 1_700_000_000, "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason(&reply.stop_reason())}],
        "usage": openai_usage(reply),
    })
}

/// The chat-completions SSE stream, ending with a usage chunk and `[DONE]`.
pub fn openai_stream(reply: &Reply, model: &str, id: &str) -> Rendered {
    let chunk = |delta: Value, finish: Option<&str>, is_delta: bool| Ev {
        data: json!({"id": id, "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}),
        name: None,
        delta: is_delta,
    };
    let mut events = vec![chunk(
        json!({"role": "assistant", "content": ""}),
        None,
        false,
    )];
    let mut call_index = 0;
    for block in reply.blocks() {
        match block {
            Block::Text { text } => {
                for c in chunks(&text, reply.chunk_size) {
                    events.push(chunk(json!({"content": c}), None, true));
                }
            }
            Block::Thinking { thinking, .. } => {
                for c in chunks(&thinking, reply.chunk_size) {
                    events.push(chunk(json!({"reasoning_content": c}), None, true));
                }
            }
            Block::RedactedThinking { .. } => {}
            Block::ToolUse {
                id: call_id,
                name,
                input,
            } => {
                events.push(chunk(
                    json!({"tool_calls": [{"index": call_index, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}]}),
                    None,
                    false,
                ));
                for c in chunks(&input.to_string(), reply.chunk_size) {
                    events.push(chunk(json!({"tool_calls": [{"index": call_index, "function": {"arguments": c}}]}), None, true));
                }
                call_index += 1;
            }
        }
    }
    events.push(chunk(
        json!({}),
        Some(finish_reason(&reply.stop_reason())),
        false,
    ));
    events.push(Ev {
        data: json!({"id": id, "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
                     "choices": [], "usage": openai_usage(reply)}),
        name: None,
        delta: false,
    });
    finish(
        events,
        reply,
        |e| format!("data: {}\n\n", e.data),
        "data: {\"id\": \"broken\", \"choices\": [{\"delta\": {\"content\n\n",
        |t, m| format!("data: {}\n\n", openai_error(t, m)),
        Some("data: [DONE]\n\n"),
    )
}
