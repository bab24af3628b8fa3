//! OpenAI chat JSON: messages `{role, content}` with roles `system` /
//! `developer`, `user`, `assistant` (with `tool_calls`, or the older
//! `function_call`) and `tool` (or `function`) results. A conversation is a
//! messages array, an object with `messages`, or a τ-bench trajectory
//! record `{task_id, trial, reward, info, traj: [...]}` whose reward
//! becomes the session's outcome.

use serde_json::{Value, json};

use super::anthropic::{ENDED, STARTED};
use super::conversation::{Conversation, outcome_of, text_of, time_in};
use crate::store::ImportedSession;

const MESSAGE_TIMES: &[&str] = &["created_at", "timestamp", "created", "at", "time"];

pub fn is_message(v: &Value) -> bool {
    v.get("role").is_some() && v.get("messages").is_none() && v.get("traj").is_none()
}

pub fn conversation(record: Value) -> Result<ImportedSession, String> {
    match record {
        Value::Array(messages) => messages_to_session(messages, None),
        Value::Object(mut o) => {
            let messages = match o.remove("messages").or_else(|| o.remove("traj")) {
                Some(Value::Array(m)) => m,
                Some(_) => return Err("\"messages\" must be a list of messages".into()),
                None => {
                    return Err(
                        "a conversation needs a \"messages\" list (or a τ-bench \"traj\")".into(),
                    );
                }
            };
            messages_to_session(messages, Some(&Value::Object(o)))
        }
        _ => Err(
            "expected a conversation: an object with \"messages\", or a list of messages".into(),
        ),
    }
}

pub fn messages(messages: Vec<Value>) -> Result<ImportedSession, String> {
    messages_to_session(messages, None)
}

/// The τ-bench id of a record: "task 3, trial 1".
fn tau_bench_id(meta: &Value) -> Option<String> {
    let task = meta.get("task_id")?;
    let trial = meta.get("trial");
    Some(match trial {
        Some(trial) => format!("task {task}, trial {trial}"),
        None => format!("task {task}"),
    })
}

fn messages_to_session(
    messages: Vec<Value>,
    meta: Option<&Value>,
) -> Result<ImportedSession, String> {
    let mut conv = Conversation::new();
    if let Some(meta) = meta {
        conv.model = meta
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_string);
        conv.outcome = outcome_of(meta).or_else(|| meta.get("metadata").and_then(outcome_of));
        conv.original_id = tau_bench_id(meta).or_else(|| super::original_id(meta));
        conv.started_at = time_in(meta, STARTED);
        conv.ended_at = time_in(meta, ENDED);
    }
    let mut state = State::default();
    for (i, message) in messages.iter().enumerate() {
        read_message(&mut conv, &mut state, message)
            .map_err(|e| format!("message {}: {e}", i + 1))?;
    }
    conv.finish()
}

#[derive(Default)]
struct State {
    /// Ids given to legacy `function_call`s, for the `function` result after.
    last_function_call: Option<String>,
    calls: usize,
}

fn read_message(conv: &mut Conversation, state: &mut State, m: &Value) -> Result<(), String> {
    if !m.is_object() {
        return Err("a message must be an object with \"role\" and \"content\"".into());
    }
    if let Some(Value::Array(parts)) = m.get("content")
        && let Some(kind) = parts.iter().find_map(|p| {
            p.get("type")
                .and_then(Value::as_str)
                .filter(|t| matches!(*t, "tool_use" | "tool_result" | "thinking"))
        })
    {
        return Err(format!(
            "it has an Anthropic \"{kind}\" block; this looks like Anthropic Messages JSON: import it with --format anthropic"
        ));
    }
    let at = time_in(m, MESSAGE_TIMES);
    conv.seen(&at);
    let role = m.get("role").and_then(Value::as_str).unwrap_or("");
    let content = m.get("content").unwrap_or(&Value::Null);
    let text = text_of(content)?;
    match role {
        "system" | "developer" => {
            if conv.system_prompt.is_none() && conv.is_empty() {
                conv.system_prompt = Some(text);
            } else {
                conv.user_note(&text, at, json!({"system": true}));
            }
        }
        "user" => conv.user_text(&text, at),
        "assistant" => {
            conv.assistant();
            let reasoning = ["reasoning_content", "reasoning"]
                .iter()
                .find_map(|k| m.get(*k).and_then(Value::as_str));
            if let Some(reasoning) = reasoning {
                conv.thinking(reasoning, None, at.clone());
            }
            if !text.is_empty() {
                conv.assistant_text(&text, at.clone());
            }
            if let Some(refusal) = m.get("refusal").and_then(Value::as_str) {
                conv.assistant_text(refusal, at.clone());
            }
            match m.get("tool_calls") {
                None | Some(Value::Null) => {}
                Some(Value::Array(calls)) => {
                    for call in calls {
                        tool_call(conv, call, at.clone())?;
                    }
                }
                Some(_) => return Err("\"tool_calls\" must be a list".into()),
            }
            if let Some(call) = m.get("function_call").filter(|c| c.is_object()) {
                state.calls += 1;
                let id = format!("call_{}", state.calls);
                let (name, input) = function(call)?;
                conv.tool_call(&id, &name, input, at);
                state.last_function_call = Some(id);
            }
        }
        "tool" => {
            let id = m
                .get("tool_call_id")
                .and_then(Value::as_str)
                .ok_or("a \"tool\" message has no \"tool_call_id\"")?;
            let name = m.get("name").and_then(Value::as_str);
            conv.tool_result(id, name, &text, false, at);
        }
        "function" => {
            let id = state
                .last_function_call
                .clone()
                .unwrap_or_else(|| "call_0".into());
            let name = m.get("name").and_then(Value::as_str);
            conv.tool_result(&id, name, &text, false, at);
        }
        "" => return Err("it has no \"role\"".into()),
        other => {
            return Err(format!(
                "unknown role \"{other}\"; OpenAI chat messages are system, user, assistant or tool"
            ));
        }
    }
    Ok(())
}

fn tool_call(conv: &mut Conversation, call: &Value, at: Option<String>) -> Result<(), String> {
    let id = call
        .get("id")
        .and_then(Value::as_str)
        .ok_or("a tool call has no \"id\"")?;
    let f = call
        .get("function")
        .ok_or_else(|| format!("tool call {id} has no \"function\""))?;
    let (name, input) = function(f).map_err(|e| format!("tool call {id}: {e}"))?;
    conv.tool_call(id, &name, input, at);
    Ok(())
}

/// A function's name and its arguments, parsed when they are JSON (kept
/// as the text the model wrote when not).
fn function(f: &Value) -> Result<(String, Value), String> {
    let name = f
        .get("name")
        .and_then(Value::as_str)
        .ok_or("the function has no \"name\"")?;
    let input = match f.get("arguments") {
        None | Some(Value::Null) => json!({}),
        Some(Value::String(s)) => {
            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
        }
        Some(other) => other.clone(),
    };
    Ok((name.to_string(), input))
}
