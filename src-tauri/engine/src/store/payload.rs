//! Typed payloads of session events: one serde struct per [`EventKind`]'s
//! `data`, shared by what writes events (the runtime, the importers) and
//! what reads them (resuming a thread, the exporters, the dream
//! transcript). Field names and order are exactly what the stored JSON has
//! always held, so existing databases read the same and new rows are
//! byte-identical; reading is lenient (a missing field is its default,
//! unknown fields are ignored) as the string-key reads it replaces were.
//!
//! This module never touches the database and never decides what to log:
//! it only says what each kind of event carries.
//!
//! [`EventKind`]: super::EventKind

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Reads an event's data as `T`; a payload that does not fit reads as
/// `T::default()` (fields are all optional or defaulted).
pub fn read<T: DeserializeOwned + Default>(data: &Value) -> T {
    T::deserialize(data).unwrap_or_default()
}

/// Reads an event's data as `T` borrowing its text from `data` (no copy of
/// a long message or tool result), leniently like [`read`]: what the
/// dream's transcript uses over hundreds of thousands of events.
pub fn read_ref<'a, T: Deserialize<'a> + Default>(data: &'a Value) -> T {
    T::deserialize(data).unwrap_or_default()
}

/// The stored JSON of a payload.
pub fn to_data<T: Serialize>(payload: &T) -> Value {
    serde_json::to_value(payload).unwrap_or(Value::Null)
}

/// `user_message`: what the user (or the engine on the user's side) said.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserMessage<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turn: Option<u32>,
    #[serde(borrow)]
    pub text: Cow<'a, str>,
    /// The run was resumed after an interruption (not the user's words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed: Option<bool>,
}

/// `assistant_text`: a text block of the model's reply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssistantText<'a> {
    pub turn: u32,
    #[serde(borrow)]
    pub text: Cow<'a, str>,
}

/// `thinking`: a thinking block, signed, or redacted by the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Thinking {
    pub turn: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thinking: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// The encrypted content of a redacted block.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redacted: Option<String>,
}

/// `tool_call`: the model called a tool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ToolCall {
    pub turn: u32,
    pub id: String,
    pub name: String,
    pub input: Value,
}

/// `tool_result`: what the tool answered.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ToolResult<'a> {
    pub turn: u32,
    pub tool_use_id: String,
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(borrow)]
    pub content: Cow<'a, str>,
    pub is_error: bool,
}

/// `memory_read` / `memory_write`: a tool call read or wrote memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryAccess {
    pub turn: u32,
    pub store: String,
    pub path: String,
    /// The version read or written (the memory receipt).
    pub version: Option<i64>,
    /// That version's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

/// `retry`: a model call is tried again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Retry {
    pub attempt: u32,
    pub delay_ms: u64,
    pub error: String,
}

/// `error`: what stopped the run, and which part (`model`, `setup`,
/// `imported`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorEvent<'a> {
    #[serde(borrow)]
    pub message: Cow<'a, str>,
    pub source: String,
}

/// `limit_reached`: which limit stopped the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LimitReached {
    pub limit: String,
}

/// `final_answer`: the answer the run ends with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FinalAnswer<'a> {
    #[serde(borrow)]
    pub text: Cow<'a, str>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The typed payloads write exactly what the `json!` literals did.
    #[test]
    fn payloads_are_byte_compatible() {
        let same = |typed: Value, literal: Value| {
            assert_eq!(typed.to_string(), literal.to_string());
        };
        same(
            to_data(&UserMessage {
                turn: Some(0),
                text: "hi".into(),
                resumed: None,
            }),
            json!({"turn": 0, "text": "hi"}),
        );
        same(
            to_data(&UserMessage {
                turn: Some(3),
                text: "(resumed)".into(),
                resumed: Some(true),
            }),
            json!({"turn": 3, "text": "(resumed)", "resumed": true}),
        );
        same(
            to_data(&Thinking {
                turn: 1,
                thinking: Some("t".into()),
                signature: Some("s".into()),
                redacted: None,
            }),
            json!({"turn": 1, "thinking": "t", "signature": "s"}),
        );
        same(
            to_data(&Thinking {
                turn: 1,
                redacted: Some("r".into()),
                ..Thinking::default()
            }),
            json!({"turn": 1, "redacted": "r"}),
        );
        same(
            to_data(&ToolCall {
                turn: 2,
                id: "a".into(),
                name: "memory".into(),
                input: json!({"command": "view"}),
            }),
            json!({"turn": 2, "id": "a", "name": "memory", "input": {"command": "view"}}),
        );
        same(
            to_data(&ToolResult {
                turn: 2,
                tool_use_id: "a".into(),
                name: "memory".into(),
                content: "ok".into(),
                is_error: false,
            }),
            json!({"turn": 2, "tool_use_id": "a", "name": "memory", "content": "ok", "is_error": false}),
        );
        same(
            to_data(&MemoryAccess {
                turn: 2,
                store: "s".into(),
                path: "/memories/a.md".into(),
                version: None,
                version_id: None,
            }),
            json!({"turn": 2, "store": "s", "path": "/memories/a.md", "version": null}),
        );
        same(
            to_data(&Retry {
                attempt: 1,
                delay_ms: 500,
                error: "busy".into(),
            }),
            json!({"attempt": 1, "delay_ms": 500, "error": "busy"}),
        );
        same(
            to_data(&ErrorEvent {
                message: "m".into(),
                source: "model".into(),
            }),
            json!({"message": "m", "source": "model"}),
        );
        same(
            to_data(&LimitReached {
                limit: "5 turns".into(),
            }),
            json!({"limit": "5 turns"}),
        );
        same(
            to_data(&FinalAnswer {
                text: "done".into(),
            }),
            json!({"text": "done"}),
        );
    }

    #[test]
    fn reading_is_lenient() {
        let data = json!({"tool_use_id": "x", "content": "long text", "extra": 1});
        let t: ToolResult = read_ref(&data);
        assert_eq!(t.tool_use_id, "x");
        assert!(!t.is_error);
        // Text is borrowed from the stored data, not copied.
        assert!(matches!(t.content, std::borrow::Cow::Borrowed("long text")));
        let odd = json!("not an object");
        let m: UserMessage = read_ref(&odd);
        assert_eq!(m, UserMessage::default());
        let r: Retry = read(&odd);
        assert_eq!(r, Retry::default());
    }
}
