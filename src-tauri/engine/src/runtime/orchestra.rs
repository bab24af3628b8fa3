//! Multiagent orchestration: a lead agent with a roster fans work out to
//! specialist subagents that run in parallel, each in its own thread (a
//! child session with its own model, prompt, tools and memory access), and
//! gets back only their final messages.
//!
//! Limits hold for the whole tree: at most `max_parallel` threads at once
//! (default 8, at most 25), one level of delegation by default (never
//! unbounded), the run's shared token/cost budget and wall time. Cancelling
//! the lead cancels every child at once (child tokens); a child that fails
//! or times out comes back to the lead as a tool error.

use std::sync::Arc;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use super::thread;
use super::{Budget, Limits, Progress, ProgressSink, Runtime};
use crate::provider::{Message, Tool};
use crate::store::{Agent, EventKind, EventQuery, NewEvent, NewSession, SessionStatus};
use crate::tools::{ToolHandler, ToolOutput};

pub const DELEGATE: &str = "delegate";
pub const LIST_ROSTER: &str = "list_roster";
pub const MAX_PARALLEL: usize = 25;
pub const MAX_DEPTH: u32 = 3;

/// A coordinator's knobs, from its settings (`max_parallel`, `max_depth`).
#[derive(Debug, Clone)]
pub struct Settings {
    pub max_parallel: usize,
    pub max_depth: u32,
}

impl Settings {
    pub fn for_agent(agent: &Agent) -> Self {
        let get = |k: &str| agent.settings.get(k).and_then(Value::as_u64);
        Settings {
            max_parallel: get("max_parallel")
                .map(|v| v as usize)
                .unwrap_or(8)
                .clamp(1, MAX_PARALLEL),
            max_depth: get("max_depth")
                .map(|v| v as u32)
                .unwrap_or(1)
                .min(MAX_DEPTH),
        }
    }
}

/// What one lead thread can delegate to.
pub(crate) struct Team {
    inner: Arc<TeamInner>,
}

struct TeamInner {
    runtime: Runtime,
    lead: Agent,
    lead_session: String,
    depth: u32,
    roster: Vec<Agent>,
    budget: Arc<Budget>,
    progress: ProgressSink,
    slots: Semaphore,
}

#[derive(Debug, Deserialize)]
struct DelegateInput {
    tasks: Vec<Assignment>,
}

#[derive(Debug, Deserialize)]
struct Assignment {
    agent: String,
    task: String,
    /// Continue this earlier thread instead of starting a new one.
    thread_id: Option<String>,
}

impl Team {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        runtime: Runtime,
        lead: &Agent,
        lead_session: &str,
        depth: u32,
        roster: Vec<Agent>,
        settings: Settings,
        budget: Arc<Budget>,
        progress: ProgressSink,
    ) -> Self {
        Team {
            inner: Arc::new(TeamInner {
                runtime,
                lead: lead.clone(),
                lead_session: lead_session.into(),
                depth,
                roster,
                budget,
                progress,
                slots: Semaphore::new(settings.max_parallel),
            }),
        }
    }

    pub(crate) fn prompt(&self) -> String {
        let names: Vec<&str> = self.inner.roster.iter().map(|a| a.name.as_str()).collect();
        format!(
            "\n\nYou lead a team: {}. Split work that has independent parts and send the parts to teammates at once \
             with the {DELEGATE} tool (one call, several tasks: they run in parallel). Each teammate works in its own \
             context and sees only the task you write, so make each task self-contained. You get back each one's final \
             answer and a thread_id; pass the thread_id to ask the same teammate a follow-up. Files in the workspace are \
             shared. Combine their findings into your answer and say which teammate found what.",
            names.join(", ")
        )
    }

    pub(crate) fn tools(&self) -> Vec<Arc<dyn ToolHandler>> {
        vec![
            Arc::new(ListRoster(self.inner.clone())),
            Arc::new(Delegate(self.inner.clone())),
        ]
    }
}

struct ListRoster(Arc<TeamInner>);

#[async_trait::async_trait]
impl ToolHandler for ListRoster {
    fn name(&self) -> &str {
        LIST_ROSTER
    }
    fn definition(&self) -> Tool {
        Tool::new(
            LIST_ROSTER,
            "List the teammates you can delegate to: name, model and what each is for.",
            json!({"type": "object", "properties": {}}),
        )
    }
    async fn call(&self, _input: &Value, _cancel: &CancellationToken) -> ToolOutput {
        let rows: Vec<String> = self
            .0
            .roster
            .iter()
            .map(|a| {
                let about = a
                    .system_prompt
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(200)
                    .collect::<String>();
                format!(
                    "- {} ({} on {}): {}",
                    a.name,
                    a.model,
                    a.provider.as_str(),
                    if about.is_empty() {
                        "general assistant".into()
                    } else {
                        about
                    }
                )
            })
            .collect();
        ToolOutput::ok(rows.join("\n"))
    }
}

struct Delegate(Arc<TeamInner>);

#[async_trait::async_trait]
impl ToolHandler for Delegate {
    fn name(&self) -> &str {
        DELEGATE
    }
    fn definition(&self) -> Tool {
        let names: Vec<&str> = self.0.roster.iter().map(|a| a.name.as_str()).collect();
        Tool::new(
            DELEGATE,
            "Send tasks to teammates; all tasks in one call run in parallel. Returns each teammate's final answer with its thread_id.",
            json!({
                "type": "object",
                "properties": {
                    "tasks": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "properties": {
                                "agent": {"type": "string", "enum": names},
                                "task": {"type": "string", "description": "A self-contained task"},
                                "thread_id": {"type": "string", "description": "Continue an earlier thread with this teammate"}
                            },
                            "required": ["agent", "task"]
                        }
                    }
                },
                "required": ["tasks"]
            }),
        )
    }

    async fn call(&self, input: &Value, cancel: &CancellationToken) -> ToolOutput {
        let input: DelegateInput = match serde_json::from_value(input.clone()) {
            Ok(i) => i,
            Err(e) => {
                return ToolOutput::error(format!(
                    "Invalid delegate input: {e}. Give tasks: [{{agent, task}}]."
                ));
            }
        };
        if input.tasks.is_empty() {
            return ToolOutput::error("Give at least one task.");
        }
        let team = &self.0;
        // An evaluation run's memory view goes with each teammate's run.
        let view = crate::tools::memory_view::current_view();
        let runs = input.tasks.into_iter().map(|a| {
            let team = team.clone();
            let cancel = cancel.child_token();
            let view = view.clone();
            async move {
                let agent = a.agent.clone();
                (agent, crate::tools::memory_view::within(view, team.run_child(a, cancel)).await)
            }
        });
        let results = futures_util::future::join_all(runs).await;
        let failed = results.iter().filter(|(_, r)| r.is_err()).count();
        let mut text = String::new();
        for (agent, result) in &results {
            match result {
                Ok((thread_id, answer)) => {
                    text.push_str(&format!("<result agent=\"{agent}\" thread_id=\"{thread_id}\" status=\"completed\">\n{answer}\n</result>\n"))
                }
                Err(error) => text.push_str(&format!("<result agent=\"{agent}\" status=\"failed\">\n{error}\n</result>\n")),
            }
        }
        if failed > 0 {
            text.push_str(&format!(
                "{failed} of {} teammates failed; their tasks were not done.",
                results.len()
            ));
        }
        ToolOutput {
            content: text,
            is_error: failed > 0,
            effect: None,
        }
    }
}

impl TeamInner {
    /// Runs one assignment in its own thread; returns (thread id, final answer).
    async fn run_child(
        self: Arc<Self>,
        a: Assignment,
        cancel: CancellationToken,
    ) -> Result<(String, String), String> {
        let member = self
            .roster
            .iter()
            .find(|m| m.name == a.agent)
            .cloned()
            .ok_or_else(|| format!("'{}' is not on your team; use list_roster", a.agent))?;
        let store = self.runtime.store.clone();
        let _slot = tokio::select! {
            s = self.slots.acquire() => s.map_err(|_| "the team is shutting down".to_string())?,
            _ = cancel.cancelled() => return Err("canceled".into()),
        };
        // A new thread, or the earlier one continued with a follow-up.
        let (thread_id, messages, turns) = match &a.thread_id {
            Some(id) => {
                let session = store.session(id).map_err(|e| e.to_string())?;
                if session.parent_id.as_deref() != Some(self.lead_session.as_str()) {
                    return Err(format!("thread {id} is not one of your teammates' threads"));
                }
                store.reopen_thread(id).map_err(|e| e.to_string())?;
                let events = store
                    .events(
                        id,
                        &EventQuery {
                            thread_id: Some(id.clone()),
                            limit: Some(100_000),
                            ..Default::default()
                        },
                    )
                    .map_err(|e| e.to_string())?;
                let (mut messages, turns) = thread::history_from_events(&events);
                // history_from_events ends with a nudge to continue; replace it with the follow-up.
                if messages.last().is_some_and(|m| {
                    m.role == crate::provider::Role::User && m.tool_uses().next().is_none()
                }) {
                    messages.pop();
                }
                messages.push(Message::user(a.task.clone()));
                (id.clone(), messages, turns)
            }
            None => {
                let session = crate::tools::memory_view::create_session(&store, &NewSession {
                        agent_id: member.id.clone(),
                        task: a.task.clone(),
                        parent_id: Some(self.lead_session.clone()),
                    })
                    .map_err(|e| e.to_string())?;
                (session.id, vec![Message::user(a.task.clone())], 0)
            }
        };
        let spawned = NewEvent::new(
            EventKind::SubagentSpawned,
            json!({"thread_id": thread_id, "agent": member.name, "task": a.task}),
        );
        let _ = store.append_event(&self.lead_session, &spawned);
        let _ = store.append_event(
            &thread_id,
            &NewEvent::new(
                EventKind::UserMessage,
                json!({"turn": turns, "text": a.task, "from": self.lead.name}),
            )
            .in_thread(&thread_id, Some(&self.lead_session)),
        );
        self.progress.emit(Progress::SessionStarted {
            session_id: thread_id.clone(),
            agent: member.name.clone(),
            parent_id: Some(self.lead_session.clone()),
        });

        let started = Instant::now();
        let limits = Limits {
            max_turns: Limits::for_agent(&member).max_turns,
            ..self.budget_limits()
        };
        let env = self.runtime.thread_env(
            &member,
            &thread_id,
            self.depth + 1,
            limits,
            self.budget.clone(),
            cancel.clone(),
            self.progress.clone(),
        );
        let end = match env {
            Ok(env) => {
                let remaining = self.budget.remaining_time();
                match tokio::time::timeout(
                    remaining,
                    thread::run(&env, &thread_id, messages, turns),
                )
                .await
                {
                    Ok(Ok(end)) => end,
                    Ok(Err(e)) => thread::ThreadEnd {
                        status: SessionStatus::Failed,
                        final_answer: None,
                        error: Some(e.to_string()),
                        turns,
                    },
                    Err(_) => {
                        cancel.cancel();
                        thread::ThreadEnd {
                            status: SessionStatus::Failed,
                            final_answer: None,
                            error: Some(format!(
                                "timed out after {:.0} s (the session's wall-time limit)",
                                started.elapsed().as_secs_f64()
                            )),
                            turns,
                        }
                    }
                }
            }
            Err(e) => thread::ThreadEnd {
                status: SessionStatus::Failed,
                final_answer: None,
                error: Some(e.to_string()),
                turns,
            },
        };
        let _ = store.finish_session(
            &thread_id,
            end.status,
            end.final_answer.as_deref(),
            end.error.as_deref(),
        );
        let _ = store.append_event(
            &self.lead_session,
            &NewEvent::new(
                EventKind::SubagentFinished,
                json!({"thread_id": thread_id, "agent": member.name, "status": end.status, "error": end.error, "elapsed_ms": started.elapsed().as_millis() as u64}),
            ),
        );
        self.progress.emit(Progress::Finished {
            session_id: thread_id.clone(),
            status: end.status,
            final_answer: end.final_answer.clone(),
            error: end.error.clone(),
        });
        match (end.status, end.final_answer) {
            (SessionStatus::Completed, Some(answer)) => Ok((thread_id, answer)),
            (SessionStatus::Canceled, _) => Err(format!("{} was canceled", member.name)),
            (_, _) => Err(format!(
                "{} failed: {}",
                member.name,
                end.error.unwrap_or_else(|| "no answer".into())
            )),
        }
    }

    fn budget_limits(&self) -> Limits {
        Limits::for_agent(&self.lead)
    }
}
