//! Builds a Reverie session out of a conversation read from any format,
//! with the same event shapes the runtime writes: `user_message {turn,
//! text}`, `assistant_text {turn, text}`, `thinking {turn, thinking,
//! signature}`, `tool_call {turn, id, name, input}`, `tool_result {turn,
//! tool_use_id, name, content, is_error}`, and a `final_answer {text}` after
//! the agent's last reply when that reply called no tool. A turn is one
//! model call: it goes up with each assistant message.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::store::{
    EventKind, ImportedEvent, ImportedOutcome, ImportedSession, NewEvent, SessionStatus, Usage,
    payload,
};

/// A conversation being read, message by message.
#[derive(Default)]
pub struct Conversation {
    turn: u32,
    events: Vec<ImportedEvent>,
    /// Tool names by call id, so results carry the name like the runtime's.
    tool_names: HashMap<String, String>,
    /// The open assistant message: index of its first event, its text, and
    /// whether it called a tool.
    reply: Option<Reply>,
    /// The last finished assistant message.
    last_reply: Option<Reply>,
    task: Option<String>,
    pub system_prompt: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub outcome: Option<ImportedOutcome>,
    pub original_id: Option<String>,
    pub error: Option<String>,
    pub failed: bool,
    /// The model that answered, put on each reply's last event (as the
    /// runtime does).
    pub model: Option<String>,
    /// The first and last times the source gave, steps or not.
    first_seen: Option<String>,
    last_seen: Option<String>,
}

#[derive(Clone)]
struct Reply {
    first: usize,
    end: usize,
    text: String,
    called_tool: bool,
}

impl Conversation {
    pub fn new() -> Self {
        Self::default()
    }

    /// Notes a time the source gave (for a step or for bookkeeping), so the
    /// session starts and ends when the source says.
    pub fn seen(&mut self, at: &Option<String>) {
        if let Some(at) = at {
            if self.first_seen.as_ref().is_none_or(|f| at < f) {
                self.first_seen = Some(at.clone());
            }
            if self.last_seen.as_ref().is_none_or(|l| at > l) {
                self.last_seen = Some(at.clone());
            }
        }
    }

    fn push(&mut self, kind: EventKind, at: Option<String>, data: Value) {
        self.events.push(ImportedEvent {
            at,
            event: NewEvent::new(kind, data),
        });
    }

    /// Ends the open assistant message (one model call), if any.
    pub fn end_reply(&mut self) {
        if let Some(mut reply) = self.reply.take() {
            if self.events.len() == reply.first {
                // An empty reply is still a model call (the runtime logs it so).
                self.push(
                    EventKind::AssistantText,
                    None,
                    payload::to_data(&payload::AssistantText {
                        turn: self.turn,
                        text: String::new().into(),
                    }),
                );
            }
            reply.end = self.events.len();
            if reply.end > reply.first
                && let Some(model) = &self.model
                && let Some(Value::Object(map)) = self
                    .events
                    .get_mut(reply.end - 1)
                    .map(|e| &mut e.event.data)
            {
                map.insert("model".into(), json!(model));
            }
            self.last_reply = Some(reply);
        }
    }

    /// Starts an assistant message (one model call).
    pub fn assistant(&mut self) {
        self.end_reply();
        self.turn += 1;
        self.reply = Some(Reply {
            first: self.events.len(),
            end: self.events.len(),
            text: String::new(),
            called_tool: false,
        });
    }

    fn in_reply(&mut self) -> &mut Reply {
        if self.reply.is_none() {
            self.assistant();
        }
        self.reply.as_mut().expect("a reply is open")
    }

    pub fn user_text(&mut self, text: &str, at: Option<String>) {
        self.end_reply();
        if self.task.is_none() {
            self.task = Some(text.to_string());
        }
        self.push(
            EventKind::UserMessage,
            at,
            payload::to_data(&payload::UserMessage {
                turn: Some(self.turn),
                text: text.to_string().into(),
                resumed: None,
            }),
        );
    }

    /// A user-side note that is not the user's words (an interrupt, a
    /// denied tool call), kept so the timeline shows it.
    pub fn user_note(&mut self, text: &str, at: Option<String>, extra: Value) {
        self.end_reply();
        let mut data = json!({"turn": self.turn, "text": text});
        if let (Value::Object(map), Value::Object(more)) = (&mut data, extra) {
            map.extend(more);
        }
        self.push(EventKind::UserMessage, at, data);
    }

    pub fn assistant_text(&mut self, text: &str, at: Option<String>) {
        self.in_reply().text.push_str(text);
        let turn = self.turn;
        self.push(
            EventKind::AssistantText,
            at,
            payload::to_data(&payload::AssistantText {
                turn,
                text: text.to_string().into(),
            }),
        );
    }

    pub fn thinking(&mut self, thinking: &str, signature: Option<&str>, at: Option<String>) {
        self.in_reply();
        let turn = self.turn;
        let data = payload::to_data(&payload::Thinking {
            turn,
            thinking: Some(thinking.to_string()),
            signature: signature.map(str::to_string),
            redacted: None,
        });
        self.push(EventKind::Thinking, at, data);
    }

    pub fn redacted_thinking(&mut self, data: &str, at: Option<String>) {
        self.in_reply();
        let turn = self.turn;
        self.push(
            EventKind::Thinking,
            at,
            payload::to_data(&payload::Thinking {
                turn,
                redacted: Some(data.to_string()),
                ..Default::default()
            }),
        );
    }

    pub fn tool_call(&mut self, id: &str, name: &str, input: Value, at: Option<String>) {
        self.in_reply().called_tool = true;
        self.tool_names.insert(id.to_string(), name.to_string());
        let turn = self.turn;
        self.push(
            EventKind::ToolCall,
            at,
            payload::to_data(&payload::ToolCall {
                turn,
                id: id.to_string(),
                name: name.to_string(),
                input,
            }),
        );
    }

    pub fn tool_result(
        &mut self,
        tool_use_id: &str,
        name: Option<&str>,
        content: &str,
        is_error: bool,
        at: Option<String>,
    ) {
        self.end_reply();
        let name = name
            .map(str::to_string)
            .or_else(|| self.tool_names.get(tool_use_id).cloned())
            .unwrap_or_else(|| "tool".into());
        self.push(
            EventKind::ToolResult,
            at,
            payload::to_data(&payload::ToolResult {
                turn: self.turn,
                tool_use_id: tool_use_id.to_string(),
                name: name.into(),
                content: content.to_string().into(),
                is_error,
            }),
        );
    }

    pub fn error(&mut self, message: &str, at: Option<String>) {
        self.end_reply();
        self.push(
            EventKind::Error,
            at,
            payload::to_data(&payload::ErrorEvent {
                message: message.to_string().into(),
                source: "imported".into(),
            }),
        );
    }

    pub fn limit_reached(&mut self, limit: &str, at: Option<String>) {
        self.end_reply();
        self.push(
            EventKind::LimitReached,
            at,
            payload::to_data(&payload::LimitReached {
                limit: limit.to_string(),
            }),
        );
    }

    pub fn grader_verdict(&mut self, data: Value, at: Option<String>) {
        self.end_reply();
        self.push(EventKind::GraderVerdict, at, data);
    }

    /// Puts a model call's usage on the last event the agent wrote.
    pub fn usage(&mut self, usage: Usage, latency_ms: Option<i64>) {
        let start = self
            .reply
            .as_ref()
            .or(self.last_reply.as_ref())
            .map(|r| r.first);
        let Some(start) = start else { return };
        if let Some(event) = self.events[start..]
            .iter_mut()
            .rev()
            .find(|e| {
                matches!(
                    e.event.kind,
                    EventKind::AssistantText | EventKind::Thinking | EventKind::ToolCall
                )
            })
            .filter(|e| e.event.usage.is_none())
        {
            event.event.usage = Some(usage);
            event.event.latency_ms = latency_ms;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The session, or why there is none.
    pub fn finish(mut self) -> Result<ImportedSession, String> {
        self.end_reply();
        if self.events.is_empty() {
            return Err("it holds no messages".into());
        }
        // The agent's last reply is its final answer when it called no tool.
        let mut final_answer = None;
        if !self.failed
            && let Some(reply) = &self.last_reply
            && !reply.called_tool
            && !reply.text.trim().is_empty()
        {
            let at = self.events[reply.end - 1].at.clone();
            self.events.insert(
                reply.end,
                ImportedEvent {
                    at,
                    event: NewEvent::new(
                        EventKind::FinalAnswer,
                        payload::to_data(&payload::FinalAnswer {
                            text: reply.text.clone().into(),
                        }),
                    ),
                },
            );
            final_answer = Some(reply.text.clone());
        }
        let task = self.task.unwrap_or_else(|| {
            self.events
                .iter()
                .find_map(|e| e.event.data.get("text").and_then(Value::as_str))
                .unwrap_or("(imported session)")
                .to_string()
        });
        Ok(ImportedSession {
            task,
            system_prompt: self.system_prompt,
            status: if self.failed {
                SessionStatus::Failed
            } else {
                SessionStatus::Completed
            },
            final_answer,
            error: self.error,
            started_at: self.started_at.or(self.first_seen),
            ended_at: self.ended_at.or(self.last_seen),
            outcome: self.outcome,
            original_id: self.original_id,
            events: self.events,
        })
    }
}

/// A source's time as Reverie writes it: RFC 3339 text (any offset) or
/// Unix seconds / milliseconds. `None` when absent or unreadable.
pub fn time_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => crate::ids::parse_time(s.trim()).map(crate::ids::format_time),
        Value::Number(n) => {
            let secs = n.as_f64()?;
            // Seconds until the year 5138, milliseconds after.
            let nanos = if secs > 1e11 { secs * 1e6 } else { secs * 1e9 };
            time::OffsetDateTime::from_unix_timestamp_nanos(nanos as i128)
                .ok()
                .map(crate::ids::format_time)
        }
        _ => None,
    }
}

/// The first readable time among `keys` of an object.
pub fn time_in(object: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| time_of(object.get(*k)))
}

/// What a record says about how its session went: a `reward` or `score`
/// (0..1) and/or a pass/fail (`passed`, `success`, `pass`, or `outcome` /
/// `result` as "pass(ed)", "success", "fail(ed)", ...).
pub fn outcome_of(record: &Value) -> Option<ImportedOutcome> {
    let reward = ["reward", "score"]
        .iter()
        .find_map(|k| record.get(*k).and_then(Value::as_f64))
        .filter(|r| r.is_finite());
    let passed = ["passed", "success", "pass"]
        .iter()
        .find_map(|k| record.get(*k).and_then(Value::as_bool))
        .or_else(|| {
            ["outcome", "result", "status"].iter().find_map(|k| {
                match record.get(*k)?.as_str()?.to_ascii_lowercase().as_str() {
                    "pass" | "passed" | "success" | "succeeded" | "satisfied" => Some(true),
                    "fail" | "failed" | "failure" => Some(false),
                    _ => None,
                }
            })
        })
        .or_else(|| reward.map(|r| r >= 1.0));
    (reward.is_some() || passed.is_some()).then_some(ImportedOutcome { passed, reward })
}

/// Text of a content value: a string, or the text parts of a list of
/// blocks (other parts are named in brackets, so nothing vanishes unseen).
pub fn text_of(content: &Value) -> Result<String, String> {
    match content {
        Value::Null => Ok(String::new()),
        Value::String(s) => Ok(s.clone()),
        Value::Array(parts) => {
            let mut out = String::new();
            for part in parts {
                let piece = match part {
                    Value::String(s) => s.clone(),
                    Value::Object(o) => match o.get("type").and_then(Value::as_str) {
                        Some("text") | Some("input_text") | Some("output_text") | None => o
                            .get("text")
                            .and_then(Value::as_str)
                            .ok_or("a text part has no \"text\" string")?
                            .to_string(),
                        Some(other) => format!("[{other}]"),
                    },
                    _ => return Err("a content part is neither text nor an object".into()),
                };
                if !out.is_empty() && !piece.is_empty() {
                    out.push('\n');
                }
                out.push_str(&piece);
            }
            Ok(out)
        }
        _ => Err("\"content\" must be a string or a list of parts".into()),
    }
}
