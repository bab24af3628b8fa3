//! One thread of work: the agent loop for one session (a user's session or
//! a subagent's). It asks the model, logs every step as an event — each one
//! durable before its effect is acted on — runs the tools the model calls,
//! and loops until the model ends its turn, a limit is hit, an error stops
//! it, or it is cancelled.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{Budget, Limits, Progress, ProgressSink};
use crate::provider::{
    ContentBlock, Message, ModelRequest, Provider, ProviderError, Role, StopReason, StreamEvent,
    Tool,
};
use crate::store::{EventKind, NewEvent, SessionStatus, Usage, payload};
use crate::tools::{ToolHandler, ToolOutput};
use crate::{Result, Store};

pub(crate) struct ThreadEnv {
    pub store: Arc<Store>,
    pub provider: Arc<dyn Provider>,
    pub model: String,
    pub system: String,
    pub tools: Vec<Arc<dyn ToolHandler>>,
    pub limits: Limits,
    pub budget: Arc<Budget>,
    pub cancel: CancellationToken,
    pub progress: ProgressSink,
}

/// How a thread ended.
#[derive(Debug, Clone)]
pub struct ThreadEnd {
    pub status: SessionStatus,
    pub final_answer: Option<String>,
    pub error: Option<String>,
    pub turns: u32,
}

impl ThreadEnd {
    fn failed(error: impl Into<String>, turns: u32) -> Self {
        ThreadEnd {
            status: SessionStatus::Failed,
            final_answer: None,
            error: Some(error.into()),
            turns,
        }
    }
}

pub fn store_usage(u: &crate::provider::Usage) -> Usage {
    Usage {
        input_tokens: u.input_tokens as i64,
        output_tokens: u.output_tokens as i64,
        cache_creation_input_tokens: u.cache_creation_input_tokens as i64,
        cache_read_input_tokens: u.cache_read_input_tokens as i64,
    }
}

/// Runs the loop on `messages` (the history so far, ending with a user
/// message) and records everything under `session_id`. Does not finish the
/// session: the caller does, with the returned end.
pub(crate) async fn run(
    env: &ThreadEnv,
    session_id: &str,
    mut messages: Vec<Message>,
    mut turn: u32,
) -> Result<ThreadEnd> {
    let tools: Vec<Tool> = env.tools.iter().map(|t| t.definition()).collect();
    let mut betas: Vec<String> = Vec::new();
    for beta in env.tools.iter().flat_map(|t| t.betas()) {
        if !betas.iter().any(|b| b == beta) {
            betas.push(beta.to_string());
        }
    }
    loop {
        if env.cancel.is_cancelled() {
            return Ok(ThreadEnd {
                status: SessionStatus::Canceled,
                final_answer: None,
                error: Some("canceled".into()),
                turns: turn,
            });
        }
        if let Some((limit, option)) = env.budget.exceeded().or_else(|| {
            (turn >= env.limits.max_turns)
                .then(|| (format!("{} turns", env.limits.max_turns), "--max-turns"))
        }) {
            env.store.append_event(
                session_id,
                &NewEvent::new(
                    EventKind::LimitReached,
                    payload::to_data(&payload::LimitReached {
                        limit: limit.clone(),
                    }),
                ),
            )?;
            // Names the agent, so the message says where to change the limit.
            let agent = env
                .store
                .session(session_id)
                .ok()
                .and_then(|s| env.store.agent(&s.agent_id).ok())
                .map(|a| a.name);
            return Ok(ThreadEnd::failed(
                super::limit_message(&limit, agent.as_deref(), option),
                turn,
            ));
        }

        // The history moves into the request and back after the call, so a
        // long conversation is not copied on every turn.
        let mut request = ModelRequest::new(env.model.clone(), std::mem::take(&mut messages));
        request.system = (!env.system.is_empty()).then(|| env.system.clone());
        request.tools = tools.clone();
        request.max_tokens = env.limits.max_tokens_per_turn;
        request.betas = betas.clone();

        let started = Instant::now();
        let store = env.store.clone();
        let progress = env.progress.clone();
        let sid = session_id.to_string();
        let mut on_event = |event: StreamEvent| match event {
            StreamEvent::TextDelta { text, .. } => progress.emit(Progress::TextDelta {
                session_id: sid.clone(),
                text,
            }),
            StreamEvent::ThinkingDelta { thinking, .. } => progress.emit(Progress::ThinkingDelta {
                session_id: sid.clone(),
                text: thinking,
            }),
            StreamEvent::Retrying {
                attempt,
                delay,
                error,
            } => {
                let _ = store.append_event(
                    &sid,
                    &NewEvent::new(
                        EventKind::Retry,
                        payload::to_data(&payload::Retry {
                            attempt,
                            delay_ms: delay.as_millis() as u64,
                            error: error.clone(),
                        }),
                    ),
                );
                progress.emit(Progress::Retrying {
                    session_id: sid.clone(),
                    attempt,
                    delay_ms: delay.as_millis() as u64,
                    error,
                });
            }
            _ => {}
        };
        let response = tokio::select! {
            r = env.provider.stream_turn(&request, &env.cancel, &mut on_event) => r,
            _ = env.cancel.cancelled() => Err(ProviderError::Cancelled),
        };
        messages = std::mem::take(&mut request.messages);
        let response = match response {
            Ok(r) => r,
            Err(_) if env.cancel.is_cancelled() => {
                return Ok(ThreadEnd {
                    status: SessionStatus::Canceled,
                    final_answer: None,
                    error: Some("canceled".into()),
                    turns: turn,
                });
            }
            Err(e) => {
                let message = e.to_string();
                env.store.append_event(
                    session_id,
                    &NewEvent::new(
                        EventKind::Error,
                        payload::to_data(&payload::ErrorEvent {
                            message: message.clone().into(),
                            source: "model".into(),
                        }),
                    ),
                )?;
                return Ok(ThreadEnd::failed(message, turn));
            }
        };
        turn += 1;
        let latency_ms = started.elapsed().as_millis() as i64;
        let usage = store_usage(&response.usage);
        let cost = response.cost_usd.unwrap_or(0.0);
        env.budget.spend(response.usage.output_tokens, cost);
        let ends = !matches!(
            response.stop_reason,
            StopReason::ToolUse
                | StopReason::PauseTurn
                | StopReason::MaxTokens
                | StopReason::Refusal
        );
        // A final answer is logged with the message that gives it: one commit.
        let final_event = ends.then(|| {
            NewEvent::new(
                EventKind::FinalAnswer,
                payload::to_data(&payload::FinalAnswer {
                    text: response.message.text().into(),
                }),
            )
        });
        log_assistant(
            &env.store,
            session_id,
            turn,
            &response.message,
            usage,
            cost,
            latency_ms,
            response.model.as_str(),
            final_event,
        )?;
        messages.push(response.message.clone());

        match response.stop_reason {
            StopReason::ToolUse => {
                let mut results = Vec::new();
                for (id, name, input) in response.message.tool_uses() {
                    let output = call_tool(env, session_id, turn, id, name, input).await?;
                    results.push(ContentBlock::tool_result(
                        id,
                        output.content,
                        output.is_error,
                    ));
                }
                messages.push(Message {
                    role: Role::User,
                    content: results,
                });
            }
            StopReason::PauseTurn => {}
            StopReason::MaxTokens => {
                // Stopped short of the tokens asked for: the model's context
                // filled up, not the per-turn output limit.
                let context_full =
                    response.usage.output_tokens < u64::from(env.limits.max_tokens_per_turn);
                let (limit, why) = if context_full {
                    (
                        "the model's context window".to_string(),
                        "the answer was cut off because the conversation filled the model's context window; start a new session with a shorter task, or use a model (or a local server setting) with a larger context".to_string(),
                    )
                } else {
                    (
                        format!("{} output tokens in one turn", env.limits.max_tokens_per_turn),
                        "the answer was cut off at the output limit of one turn; raise \"max tokens per turn\" in the agent's settings".to_string(),
                    )
                };
                env.store.append_event(
                    session_id,
                    &NewEvent::new(
                        EventKind::LimitReached,
                        payload::to_data(&payload::LimitReached {
                            limit: limit.clone(),
                        }),
                    ),
                )?;
                return Ok(ThreadEnd::failed(why, turn));
            }
            StopReason::Refusal => {
                env.store.append_event(
                    session_id,
                    &NewEvent::new(
                        EventKind::Error,
                        payload::to_data(&payload::ErrorEvent {
                            message: "the model declined this task".into(),
                            source: "model".into(),
                        }),
                    ),
                )?;
                return Ok(ThreadEnd::failed("the model declined this task", turn));
            }
            _ => {
                let answer = response.message.text();
                return Ok(ThreadEnd {
                    status: SessionStatus::Completed,
                    final_answer: Some(answer),
                    error: None,
                    turns: turn,
                });
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn log_assistant(
    store: &Store,
    session_id: &str,
    turn: u32,
    message: &Message,
    usage: Usage,
    cost: f64,
    latency_ms: i64,
    model: &str,
    final_answer: Option<NewEvent>,
) -> Result<()> {
    let mut events: Vec<NewEvent> = message
        .content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text { text } => Some(NewEvent::new(
                EventKind::AssistantText,
                payload::to_data(&payload::AssistantText {
                    turn,
                    text: text.clone().into(),
                }),
            )),
            ContentBlock::Thinking {
                thinking,
                signature,
            } => Some(NewEvent::new(
                EventKind::Thinking,
                payload::to_data(&payload::Thinking {
                    turn,
                    thinking: Some(thinking.clone()),
                    signature: Some(signature.clone()),
                    redacted: None,
                }),
            )),
            ContentBlock::RedactedThinking { data } => Some(NewEvent::new(
                EventKind::Thinking,
                payload::to_data(&payload::Thinking {
                    turn,
                    redacted: Some(data.clone()),
                    ..Default::default()
                }),
            )),
            ContentBlock::ToolUse { id, name, input } => Some(NewEvent::new(
                EventKind::ToolCall,
                payload::to_data(&payload::ToolCall {
                    turn,
                    id: id.clone(),
                    name: name.clone(),
                    input: input.clone(),
                }),
            )),
            _ => None,
        })
        .collect();
    if events.is_empty() {
        events.push(NewEvent::new(
            EventKind::AssistantText,
            payload::to_data(&payload::AssistantText {
                turn,
                text: String::new().into(),
            }),
        ));
    }
    // The call's usage and cost ride on its last event, counted once.
    let last = events.pop().expect("at least one event");
    let mut last = last.with_usage(usage, cost, latency_ms);
    if let Value::Object(map) = &mut last.data {
        map.insert("model".into(), json!(model));
    }
    events.push(last);
    events.extend(final_answer);
    store.append_events(session_id, &events)?;
    Ok(())
}

async fn call_tool(
    env: &ThreadEnv,
    session_id: &str,
    turn: u32,
    id: &str,
    name: &str,
    input: &Value,
) -> Result<ToolOutput> {
    env.progress.emit(Progress::ToolCall {
        session_id: session_id.into(),
        name: name.into(),
        input: input.clone(),
    });
    let started = Instant::now();
    let output = match env.tools.iter().find(|t| t.name() == name) {
        Some(tool) => tool.call(input, &env.cancel).await,
        None if name == super::orchestra::DELEGATE => ToolOutput::error(
            "Delegation is not available here: the session's delegation depth limit is reached, so do this part yourself.",
        ),
        None => ToolOutput::error(format!(
            "There is no tool named '{name}'. Available: {}.",
            env.tools
                .iter()
                .map(|t| t.name())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    };
    let mut events = Vec::new();
    if let Some(effect) = &output.effect {
        let kind = if effect.kind == "read" {
            EventKind::MemoryRead
        } else {
            EventKind::MemoryWrite
        };
        events.push(NewEvent::new(
            kind,
            payload::to_data(&payload::MemoryAccess {
                turn,
                store: effect.store.clone(),
                path: effect.path.clone(),
                version: effect.version,
                version_id: effect.version_id.clone(),
            }),
        ));
    }
    let mut result = NewEvent::new(
        EventKind::ToolResult,
        payload::to_data(&payload::ToolResult {
            turn,
            tool_use_id: id.to_string(),
            name: name.to_string().into(),
            content: output.content.clone().into(),
            is_error: output.is_error,
        }),
    );
    result.latency_ms = Some(started.elapsed().as_millis() as i64);
    events.push(result);
    env.store.append_events(session_id, &events)?;
    env.progress.emit(Progress::ToolResult {
        session_id: session_id.into(),
        name: name.into(),
        is_error: output.is_error,
        content: output.content.chars().take(2000).collect(),
    });
    Ok(output)
}

/// Rebuilds a thread's conversation from its events, to resume it. Tool
/// calls that never got a result (the process died while running them) get
/// an error result, so the model re-checks rather than assuming.
pub(crate) fn history_from_events(events: &[crate::store::Event]) -> (Vec<Message>, u32) {
    let mut messages: Vec<Message> = Vec::new();
    let mut turns = 0u32;
    let push =
        |role: Role, block: ContentBlock, messages: &mut Vec<Message>| match messages.last_mut() {
            Some(last) if last.role == role => last.content.push(block),
            _ => messages.push(Message {
                role,
                content: vec![block],
            }),
        };
    for e in events {
        let d = &e.data;
        if let Some(t) = d.get("turn").and_then(Value::as_u64) {
            turns = turns.max(t as u32);
        }
        match e.kind {
            EventKind::UserMessage => {
                let m: payload::UserMessage = payload::read_ref(d);
                push(Role::User, ContentBlock::text(m.text), &mut messages)
            }
            EventKind::AssistantText => {
                let t: payload::AssistantText = payload::read_ref(d);
                push(Role::Assistant, ContentBlock::text(t.text), &mut messages)
            }
            EventKind::Thinking => {
                let t: payload::Thinking = payload::read(d);
                let block = match t.redacted {
                    Some(data) => ContentBlock::RedactedThinking { data },
                    None => ContentBlock::Thinking {
                        thinking: t.thinking.unwrap_or_default(),
                        signature: t.signature.unwrap_or_default(),
                    },
                };
                push(Role::Assistant, block, &mut messages)
            }
            EventKind::ToolCall => {
                let c: payload::ToolCall = payload::read(d);
                let input = if c.input.is_null() {
                    json!({})
                } else {
                    c.input
                };
                push(
                    Role::Assistant,
                    ContentBlock::ToolUse {
                        id: c.id,
                        name: c.name,
                        input,
                    },
                    &mut messages,
                )
            }
            EventKind::ToolResult => {
                let r: payload::ToolResult = payload::read_ref(d);
                push(
                    Role::User,
                    ContentBlock::tool_result(r.tool_use_id, r.content, r.is_error),
                    &mut messages,
                )
            }
            _ => {}
        }
    }
    // Answer any tool call left without a result.
    if let Some(last) = messages.last() {
        if last.role == Role::Assistant {
            let missing: Vec<ContentBlock> = last
                .tool_uses()
                .map(|(id, _, _)| {
                    ContentBlock::tool_result(id, "The session was interrupted before this tool call finished; check the current state before relying on it.", true)
                })
                .collect();
            if !missing.is_empty() {
                messages.push(Message {
                    role: Role::User,
                    content: missing,
                });
            } else {
                // The model had answered; ask it to continue from there.
                messages.push(Message::user(
                    "The session was interrupted. Continue where you left off.",
                ));
            }
        }
    }
    (messages, turns)
}
