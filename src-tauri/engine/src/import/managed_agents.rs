//! Claude Managed Agents session event logs, as the Sessions API lists them
//! (`GET /v1/sessions/{id}/events`, shapes from the official `anthropic`
//! package's `types/beta/sessions`): a session is a list of events (a JSON
//! array, JSON Lines, a list page `{data: [...]}`, or `{session?, events}`).
//! Events given one per record belong to one session until their
//! `session_id` (added by some exporters) changes.
//!
//! Mapped: `user.message`, `agent.message`, `agent.thinking` (a progress
//! signal without text), `agent.tool_use` / `agent.mcp_tool_use` /
//! `agent.custom_tool_use`, their results (`agent.tool_result`,
//! `agent.mcp_tool_result`, `user.custom_tool_result`, `user.tool_result`),
//! denied `user.tool_confirmation`s, `user.interrupt`, `system.message`,
//! `session.error`, `session.status_idle` stop reasons (retries exhausted,
//! budget reached, refusal), `session.status_terminated`, model request
//! spans (their usage) and outcome evaluations (the grader's verdict and
//! the session's outcome). Status and thread bookkeeping events are skipped.

use serde_json::{Value, json};

use super::anthropic::{ENDED, STARTED};
use super::conversation::{Conversation, outcome_of, text_of, time_of};
use crate::store::{ImportedOutcome, ImportedSession, Usage};

/// True for one event (an object whose `type` names an event).
pub fn is_event(v: &Value) -> bool {
    v.get("type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains('.'))
}

/// The session an event belongs to, when the exporter says.
pub fn session_of(event: &Value) -> Option<String> {
    event
        .get("session_id")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// A whole session: `{session?, events}`, a list page `{data}`, or a bare
/// list of events.
pub fn session(record: Value) -> Result<ImportedSession, String> {
    match record {
        Value::Array(events) => events_to_session(events, None),
        Value::Object(mut o) => {
            let events = match o.remove("events").or_else(|| o.remove("data")) {
                Some(Value::Array(e)) => e,
                Some(_) => return Err("\"events\" must be a list of events".into()),
                None => return Err("a session log needs an \"events\" (or \"data\") list".into()),
            };
            events_to_session(events, Some(&Value::Object(o)))
        }
        _ => Err("expected a session log: an object with \"events\", or a list of events".into()),
    }
}

pub fn events(events: Vec<Value>) -> Result<ImportedSession, String> {
    events_to_session(events, None)
}

fn events_to_session(events: Vec<Value>, meta: Option<&Value>) -> Result<ImportedSession, String> {
    let mut conv = Conversation::new();
    if let Some(meta) = meta {
        // `{session: {...}, events}` or the session's own fields alongside.
        let session = meta.get("session").unwrap_or(meta);
        conv.original_id = super::original_id(session).or_else(|| super::original_id(meta));
        conv.started_at = super::conversation::time_in(session, STARTED);
        conv.ended_at = super::conversation::time_in(session, ENDED)
            .filter(|_| session.get("status").and_then(Value::as_str) == Some("terminated"));
        conv.outcome = outcome_of(meta);
    }
    let mut request_started: Option<String> = None;
    for (i, event) in events.iter().enumerate() {
        if conv.original_id.is_none() {
            conv.original_id = session_of(event);
        }
        read_event(&mut conv, &mut request_started, event)
            .map_err(|e| format!("event {}: {e}", i + 1))?;
    }
    conv.finish()
}

fn field<'a>(event: &'a Value, key: &str, kind: &str) -> Result<&'a str, String> {
    event
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("a {kind} event has no \"{key}\" string"))
}

fn content(event: &Value) -> Result<String, String> {
    text_of(event.get("content").unwrap_or(&Value::Null))
}

fn read_event(
    conv: &mut Conversation,
    request_started: &mut Option<String>,
    e: &Value,
) -> Result<(), String> {
    if !e.is_object() {
        return Err("an event must be an object with a \"type\"".into());
    }
    let kind = e
        .get("type")
        .and_then(Value::as_str)
        .ok_or("it has no \"type\"")?;
    let at = time_of(e.get("processed_at")).or_else(|| time_of(e.get("created_at")));
    conv.seen(&at);
    match kind {
        "user.message" => conv.user_text(&content(e)?, at),
        "agent.message" => conv.assistant_text(&content(e)?, at),
        "agent.thinking" => conv.thinking("", None, at),
        "agent.tool_use" | "agent.mcp_tool_use" | "agent.custom_tool_use" => {
            let id = field(e, "id", kind)?;
            let name = field(e, "name", kind)?;
            let input = e.get("input").cloned().unwrap_or_else(|| json!({}));
            conv.tool_call(id, name, input, at);
        }
        "agent.tool_result" | "user.tool_result" => {
            tool_result(conv, e, field(e, "tool_use_id", kind)?, at)?
        }
        "agent.mcp_tool_result" => tool_result(conv, e, field(e, "mcp_tool_use_id", kind)?, at)?,
        "user.custom_tool_result" => {
            tool_result(conv, e, field(e, "custom_tool_use_id", kind)?, at)?
        }
        "user.tool_confirmation" => {
            if e.get("result").and_then(Value::as_str) == Some("deny") {
                let why = e.get("deny_message").and_then(Value::as_str).unwrap_or("");
                let text = if why.is_empty() {
                    "Denied the tool call.".to_string()
                } else {
                    format!("Denied the tool call: {why}")
                };
                conv.user_note(
                    &text,
                    at,
                    json!({"tool_confirmation": "deny", "tool_use_id": e.get("tool_use_id")}),
                );
            }
        }
        "user.interrupt" => conv.user_note("(interrupted)", at, json!({"interrupt": true})),
        "system.message" => conv.user_note(&content(e)?, at, json!({"system": true})),
        "session.error" => {
            let error = e.get("error").unwrap_or(&Value::Null);
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .or_else(|| error.get("type").and_then(Value::as_str))
                .unwrap_or("an error occurred in the session");
            conv.error(message, at);
            conv.error = Some(message.to_string());
        }
        "session.status_idle" => match e.pointer("/stop_reason/type").and_then(Value::as_str) {
            Some("retries_exhausted") => {
                conv.failed = true;
                if conv.error.is_none() {
                    conv.error = Some("the session's retries were exhausted".into());
                }
            }
            Some("budget_reached") => conv.limit_reached("the session's budget was reached", at),
            Some("refusal") => {
                conv.error("the model declined this task", at);
                conv.failed = true;
                conv.error = Some("the model declined this task".into());
            }
            _ => {}
        },
        "session.status_terminated" => conv.ended_at = at,
        "span.model_request_start" => {
            conv.end_reply();
            *request_started = at;
        }
        "span.model_request_end" => {
            let u = e.get("model_usage").unwrap_or(&Value::Null);
            let n = |k: &str| u.get(k).and_then(Value::as_i64).unwrap_or(0);
            let latency = match (request_started.take(), &at) {
                (Some(start), Some(end)) => {
                    let (s, e) = (crate::ids::parse_time(&start), crate::ids::parse_time(end));
                    s.zip(e).map(|(s, e)| (e - s).whole_milliseconds() as i64)
                }
                _ => None,
            };
            conv.usage(
                Usage {
                    input_tokens: n("input_tokens"),
                    output_tokens: n("output_tokens"),
                    cache_creation_input_tokens: n("cache_creation_input_tokens"),
                    cache_read_input_tokens: n("cache_read_input_tokens"),
                },
                latency,
            );
            conv.end_reply();
        }
        "span.outcome_evaluation_end" => {
            let result = e.get("result").and_then(Value::as_str).unwrap_or("");
            conv.grader_verdict(
                json!({
                    "outcome_id": e.get("outcome_id"),
                    "iteration": e.get("iteration"),
                    "result": result,
                    "explanation": e.get("explanation"),
                    "source": "managed_agents",
                }),
                at,
            );
            let passed = match result {
                "satisfied" => Some(true),
                "failed" | "max_iterations_reached" => Some(false),
                _ => None,
            };
            if passed.is_some() {
                conv.outcome = Some(ImportedOutcome {
                    passed,
                    reward: None,
                });
            }
        }
        // Status changes, threads, compaction, usage snapshots, workflows:
        // bookkeeping with no step of the agent's own.
        other if other.contains('.') => {}
        other => return Err(format!("\"{other}\" is not a Managed Agents event type")),
    }
    Ok(())
}

fn tool_result(
    conv: &mut Conversation,
    e: &Value,
    id: &str,
    at: Option<String>,
) -> Result<(), String> {
    let text = content(e).map_err(|err| format!("result of {id}: {err}"))?;
    let is_error = e.get("is_error").and_then(Value::as_bool).unwrap_or(false);
    conv.tool_result(id, None, &text, is_error, at);
    Ok(())
}
