//! Anthropic Messages JSON: a conversation is `{system?, model?, messages:
//! [...]}` (or a bare messages array), each message `{role: "user" |
//! "assistant", content}` with content a string or a list of blocks:
//! `text`, `thinking`, `redacted_thinking`, `tool_use` (and the server
//! tools' `server_tool_use` / `*_tool_result`), `tool_result` with
//! `is_error`, `image` and `document` (kept as a placeholder).

use serde_json::{Value, json};

use super::conversation::{Conversation, outcome_of, text_of, time_in};
use crate::store::ImportedSession;

const MESSAGE_TIMES: &[&str] = &["created_at", "timestamp", "at", "time"];
pub(super) const STARTED: &[&str] = &["started_at", "created_at", "start_time", "timestamp"];
pub(super) const ENDED: &[&str] = &["ended_at", "updated_at", "end_time", "finished_at"];

/// True for a record that is one message rather than a conversation.
pub fn is_message(v: &Value) -> bool {
    v.get("role").is_some() && v.get("messages").is_none()
}

/// A conversation object (or bare messages array).
pub fn conversation(record: Value) -> Result<ImportedSession, String> {
    match record {
        Value::Array(messages) => messages_to_session(messages, None),
        Value::Object(mut o) => {
            let messages = match o.remove("messages") {
                Some(Value::Array(m)) => m,
                Some(_) => return Err("\"messages\" must be a list of messages".into()),
                None => return Err("a conversation needs a \"messages\" list".into()),
            };
            messages_to_session(messages, Some(&Value::Object(o)))
        }
        _ => Err(
            "expected a conversation: an object with \"messages\", or a list of messages".into(),
        ),
    }
}

/// Messages given one per record, gathered into one conversation.
pub fn messages(messages: Vec<Value>) -> Result<ImportedSession, String> {
    messages_to_session(messages, None)
}

fn messages_to_session(
    messages: Vec<Value>,
    meta: Option<&Value>,
) -> Result<ImportedSession, String> {
    let mut conv = Conversation::new();
    if let Some(meta) = meta {
        if let Some(system) = meta.get("system") {
            let text = text_of(system).map_err(|e| format!("\"system\": {e}"))?;
            conv.system_prompt = Some(text).filter(|t| !t.is_empty());
        }
        conv.model = meta
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_string);
        conv.outcome = outcome_of(meta).or_else(|| meta.get("metadata").and_then(outcome_of));
        conv.original_id = super::original_id(meta);
        conv.started_at = time_in(meta, STARTED);
        conv.ended_at = time_in(meta, ENDED);
    }
    for (i, message) in messages.iter().enumerate() {
        read_message(&mut conv, message).map_err(|e| format!("message {}: {e}", i + 1))?;
    }
    conv.finish()
}

fn read_message(conv: &mut Conversation, m: &Value) -> Result<(), String> {
    if !m.is_object() {
        return Err("a message must be an object with \"role\" and \"content\"".into());
    }
    if m.get("tool_calls").is_some() || m.get("tool_call_id").is_some() {
        return Err(
            "it has OpenAI-style \"tool_calls\"; this looks like OpenAI chat JSON: import it with --format openai"
                .into(),
        );
    }
    let at = time_in(m, MESSAGE_TIMES);
    conv.seen(&at);
    let role = m.get("role").and_then(Value::as_str).unwrap_or("");
    let content = m.get("content").ok_or("it has no \"content\"")?;
    match role {
        "user" => match content {
            Value::String(text) => conv.user_text(text, at),
            Value::Array(blocks) => {
                for block in blocks {
                    user_block(conv, block, at.clone())?;
                }
            }
            _ => return Err("\"content\" must be a string or a list of blocks".into()),
        },
        "assistant" => {
            conv.assistant();
            match content {
                Value::String(text) => conv.assistant_text(text, at),
                Value::Array(blocks) => {
                    for block in blocks {
                        assistant_block(conv, block, at.clone())?;
                    }
                }
                _ => return Err("\"content\" must be a string or a list of blocks".into()),
            }
        }
        "system" | "tool" | "developer" | "function" => {
            return Err(format!(
                "role \"{role}\" is not in Anthropic Messages (the system prompt is the top-level \"system\"); this looks like OpenAI chat JSON: import it with --format openai"
            ));
        }
        "" => return Err("it has no \"role\"".into()),
        other => {
            return Err(format!(
                "unknown role \"{other}\"; Anthropic messages are \"user\" or \"assistant\""
            ));
        }
    }
    Ok(())
}

fn block_type(block: &Value) -> Result<&str, String> {
    block
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| "a content block has no \"type\"".to_string())
}

fn str_field<'a>(block: &'a Value, key: &str, kind: &str) -> Result<&'a str, String> {
    block
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("a {kind} block has no \"{key}\" string"))
}

fn user_block(conv: &mut Conversation, block: &Value, at: Option<String>) -> Result<(), String> {
    if let Value::String(text) = block {
        conv.user_text(text, at);
        return Ok(());
    }
    match block_type(block)? {
        "text" => conv.user_text(str_field(block, "text", "text")?, at),
        "tool_result" => {
            let id = str_field(block, "tool_use_id", "tool_result")?;
            let content = block
                .get("content")
                .map(text_of)
                .transpose()
                .map_err(|e| format!("tool_result {id}: {e}"))?
                .unwrap_or_default();
            let is_error = block
                .get("is_error")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            conv.tool_result(id, None, &content, is_error, at);
        }
        other => conv.user_text(&format!("[{other}]"), at),
    }
    Ok(())
}

fn assistant_block(
    conv: &mut Conversation,
    block: &Value,
    at: Option<String>,
) -> Result<(), String> {
    if let Value::String(text) = block {
        conv.assistant_text(text, at);
        return Ok(());
    }
    match block_type(block)? {
        "text" => conv.assistant_text(str_field(block, "text", "text")?, at),
        "thinking" => conv.thinking(
            str_field(block, "thinking", "thinking")?,
            block.get("signature").and_then(Value::as_str),
            at,
        ),
        "redacted_thinking" => {
            conv.redacted_thinking(str_field(block, "data", "redacted_thinking")?, at)
        }
        kind @ ("tool_use" | "server_tool_use" | "mcp_tool_use") => {
            let id = str_field(block, "id", kind)?;
            let name = str_field(block, "name", kind)?;
            let input = block.get("input").cloned().unwrap_or_else(|| json!({}));
            conv.tool_call(id, name, input, at);
        }
        kind if kind.ends_with("_tool_result") => {
            // A server tool's result arrives inside the assistant's message.
            let id = str_field(block, "tool_use_id", kind)?;
            let content = match block.get("content") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let is_error = block
                .get("is_error")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            conv.tool_result(id, None, &content, is_error, at);
        }
        // Citations, containers and newer block types carry no step of their own.
        _ => {}
    }
    Ok(())
}
