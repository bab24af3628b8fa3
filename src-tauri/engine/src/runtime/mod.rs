//! The agent runtime: runs an agent on a task as a session.
//!
//! A run creates the session (holding its lease, renewed while it runs),
//! records the task, builds the system prompt with the agent's attached
//! memory, and runs the agent loop ([`thread`]) with the agent's tools until
//! the model finishes, a limit is hit, it fails or it is cancelled. Progress
//! streams to the caller as [`Progress`] events (the CLI prints them, the
//! app forwards them to the window). Many runs can go at once on one
//! [`Runtime`]; they share one connection pool per provider.
//!
//! The runtime never names a provider or a specific tool: providers come
//! from [`crate::provider`] (their wire details stay there), tools from
//! [`crate::tools::for_agent`] (each declares its own native type and
//! betas), and what events carry from [`crate::store::payload`].

pub mod orchestra;
pub mod outcome_loop;
pub mod prompt;
pub mod thread;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::provider::Message;
use crate::store::{Agent, EventKind, EventQuery, NewEvent, NewSession, SessionStatus, Usage};
pub use crate::provider::ProviderRegistry;
pub use crate::tools::ToolHandler;
use crate::{Error, Result, Store};
pub use outcome_loop::OutcomeOptions;
pub use thread::ThreadEnd;

/// Limits of one run. Per-agent values live in the agent's settings
/// (`max_turns`, `max_tokens_per_turn`, `max_output_tokens`,
/// `max_wall_seconds`, `max_cost_usd`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Limits {
    pub max_turns: u32,
    pub max_tokens_per_turn: u32,
    /// Output tokens over the whole run (all threads).
    pub max_output_tokens: u64,
    pub max_wall_time: Duration,
    pub max_cost_usd: Option<f64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_turns: 30,
            max_tokens_per_turn: 8_192,
            max_output_tokens: 200_000,
            max_wall_time: Duration::from_secs(30 * 60),
            max_cost_usd: None,
        }
    }
}

impl Limits {
    /// The defaults, overridden by an agent's settings.
    pub fn for_agent(agent: &Agent) -> Self {
        let s = &agent.settings;
        let d = Limits::default();
        let num = |k: &str| s.get(k).and_then(Value::as_f64);
        Limits {
            max_turns: num("max_turns")
                .map(|v| v as u32)
                .unwrap_or(d.max_turns)
                .max(1),
            max_tokens_per_turn: num("max_tokens_per_turn")
                .map(|v| v as u32)
                .unwrap_or(d.max_tokens_per_turn)
                .max(1),
            max_output_tokens: num("max_output_tokens")
                .map(|v| v as u64)
                .unwrap_or(d.max_output_tokens),
            max_wall_time: num("max_wall_seconds")
                .map(Duration::from_secs_f64)
                .unwrap_or(d.max_wall_time),
            max_cost_usd: num("max_cost_usd").or(d.max_cost_usd),
        }
    }
}

/// Changes to an agent's limits, as the user gives them (`None` keeps a
/// limit; `max_cost_usd: Some(None)` removes the cost cap).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LimitChanges {
    pub max_turns: Option<u32>,
    pub max_minutes: Option<f64>,
    pub max_cost_usd: Option<Option<f64>>,
    pub max_output_tokens: Option<u64>,
    /// The model's context window when the server does not say (or says
    /// less than it was started with); `Some(None)` forgets it.
    #[serde(default)]
    pub context_tokens: Option<Option<u32>>,
}

/// The agent's settings with `changes` applied, or a sentence naming the
/// field that is out of range.
pub fn with_limits(settings: &Value, changes: &LimitChanges) -> Result<Value> {
    let mut out = match settings {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    if let Some(turns) = changes.max_turns {
        if !(1..=1000).contains(&turns) {
            return Err(Error::Invalid(format!(
                "The turn limit must be between 1 and 1000 (you gave {turns})."
            )));
        }
        out.insert("max_turns".into(), turns.into());
    }
    if let Some(minutes) = changes.max_minutes {
        if !(minutes.is_finite() && minutes > 0.0 && minutes <= 24.0 * 60.0) {
            return Err(Error::Invalid(format!(
                "The time limit must be more than 0 and at most 1440 minutes (a day); you gave {minutes}."
            )));
        }
        out.insert("max_wall_seconds".into(), (minutes * 60.0).round().into());
    }
    match changes.max_cost_usd {
        Some(Some(cost)) if !(cost.is_finite() && cost > 0.0) => {
            return Err(Error::Invalid(format!(
                "The cost limit must be more than $0 (you gave {cost}); to have no cost limit, clear it."
            )));
        }
        Some(Some(cost)) => {
            out.insert("max_cost_usd".into(), cost.into());
        }
        Some(None) => {
            out.remove("max_cost_usd");
        }
        None => {}
    }
    if let Some(tokens) = changes.max_output_tokens {
        if tokens < 100 {
            return Err(Error::Invalid(format!(
                "The output limit must be at least 100 tokens (you gave {tokens})."
            )));
        }
        out.insert("max_output_tokens".into(), tokens.into());
    }
    match changes.context_tokens {
        Some(Some(tokens)) if !(1_024..=10_000_000).contains(&tokens) => {
            return Err(Error::Invalid(format!(
                "The context size must be at least 1024 tokens (you gave {tokens}); it is how many tokens the model can read at once."
            )));
        }
        Some(Some(tokens)) => {
            out.insert("context_tokens".into(), tokens.into());
        }
        Some(None) => {
            out.remove("context_tokens");
        }
        None => {}
    }
    Ok(Value::Object(out))
}

/// "30 minutes", "90 seconds": a wall-time limit in words.
pub fn minutes_in_words(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 && secs % 60 == 0 {
        let m = secs / 60;
        format!(
            "{m} minute{} of running time",
            if m == 1 { "" } else { "s" }
        )
    } else {
        format!("{secs} seconds of running time")
    }
}

/// The sentence a run ends with when it reaches a limit: which limit, and
/// where the user changes it (the app and the command line).
pub fn limit_message(limit: &str, agent: Option<&str>, option: &str) -> String {
    match agent {
        Some(name) => format!(
            "stopped at the limit of {limit}; to let it go further, change the limit in Agents → {name} → Limits, or run: reverie agent update \"{name}\" {option} N"
        ),
        None => format!(
            "stopped at the limit of {limit}; to let it go further, change the agent's limit in Agents → Limits, or with reverie agent update {option}"
        ),
    }
}

/// What a whole run (a lead and all its subagents) may spend together.
#[derive(Debug)]
pub struct Budget {
    started: Instant,
    limits: Limits,
    spent: Mutex<(u64, f64)>,
}

impl Budget {
    pub fn new(limits: Limits) -> Self {
        Budget {
            started: Instant::now(),
            limits,
            spent: Mutex::new((0, 0.0)),
        }
    }

    pub fn spend(&self, output_tokens: u64, cost: f64) {
        let mut s = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        s.0 += output_tokens;
        s.1 += cost;
    }

    /// Which limit is used up, if any: the limit in words and the
    /// `reverie agent update` option that changes it.
    pub fn exceeded(&self) -> Option<(String, &'static str)> {
        let (tokens, cost) = *self.spent.lock().unwrap_or_else(|p| p.into_inner());
        if tokens >= self.limits.max_output_tokens {
            return Some((
                format!("{} output tokens", self.limits.max_output_tokens),
                "--max-output-tokens",
            ));
        }
        if let Some(max) = self.limits.max_cost_usd {
            if cost >= max {
                return Some((format!("${max:.2} of model cost"), "--max-cost"));
            }
        }
        if self.started.elapsed() >= self.limits.max_wall_time {
            return Some((minutes_in_words(self.limits.max_wall_time), "--max-minutes"));
        }
        None
    }

    pub fn remaining_time(&self) -> Duration {
        self.limits
            .max_wall_time
            .saturating_sub(self.started.elapsed())
    }
}

/// A step of a run as it happens, for a terminal or a window.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Progress {
    SessionStarted {
        session_id: String,
        agent: String,
        parent_id: Option<String>,
    },
    /// Something the person should know before the answer comes, such as
    /// a local model that cannot call the agent's tools.
    Notice {
        session_id: String,
        message: String,
    },
    TextDelta {
        session_id: String,
        text: String,
    },
    ThinkingDelta {
        session_id: String,
        text: String,
    },
    ToolCall {
        session_id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        session_id: String,
        name: String,
        is_error: bool,
        content: String,
    },
    Retrying {
        session_id: String,
        attempt: u32,
        delay_ms: u64,
        error: String,
    },
    /// A graded run starts attempt `iteration` of `max_iterations`; what
    /// streams next belongs to that attempt.
    AttemptStarted {
        session_id: String,
        iteration: u32,
        max_iterations: u32,
    },
    /// The grader's verdict on one iteration of an outcome.
    Verdict {
        session_id: String,
        outcome_id: String,
        iteration: u32,
        max_iterations: u32,
        result: crate::store::OutcomeResult,
        score: f64,
        /// The grader's explanation, in its words.
        explanation: String,
        /// One verdict per criterion, in rubric order.
        criteria: Vec<crate::outcome::verdict::CriterionVerdict>,
    },
    /// Grading itself failed (the grader model could not be reached or
    /// answered nonsense): the answer stands ungraded.
    GradingFailed {
        session_id: String,
        iteration: u32,
        error: String,
    },
    Finished {
        session_id: String,
        status: SessionStatus,
        final_answer: Option<String>,
        error: Option<String>,
    },
}

/// Where progress goes: any thread-safe callback (or nowhere).
#[derive(Clone)]
pub struct ProgressSink(Option<Arc<dyn Fn(Progress) + Send + Sync>>);

impl ProgressSink {
    pub fn new(f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        ProgressSink(Some(Arc::new(f)))
    }
    pub fn none() -> Self {
        ProgressSink(None)
    }
    pub fn emit(&self, p: Progress) {
        if let Some(f) = &self.0 {
            f(p)
        }
    }
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    pub agent: String,
    pub task: String,
    /// Overrides the agent's own limits.
    pub limits: Option<Limits>,
}

/// How a run ended.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    pub session_id: String,
    pub agent: String,
    pub status: SessionStatus,
    pub final_answer: Option<String>,
    pub error: Option<String>,
    pub turns: u32,
    pub usage: Usage,
    pub cost_usd: f64,
}

/// How often a running session renews its lease.
const LEASE_RENEWAL: Duration = Duration::from_secs(10);

/// A handle on the runtime; clones share everything (providers, store).
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

pub struct Inner {
    store: Arc<Store>,
    providers: ProviderRegistry,
    workspaces: PathBuf,
}

impl std::ops::Deref for Runtime {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl Runtime {
    pub fn new(store: Arc<Store>) -> Result<Self> {
        let data_dir = store.data_dir().to_path_buf();
        let providers =
            ProviderRegistry::new(&data_dir).map_err(|e| Error::Invalid(e.to_string()))?;
        let workspaces = data_dir.join("workspaces");
        Ok(Runtime {
            inner: Arc::new(Inner {
                store,
                providers,
                workspaces,
            }),
        })
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn providers(&self) -> &ProviderRegistry {
        &self.providers
    }

    /// The folder a session tree shares for the workspace tool.
    pub fn workspace_dir(&self, root_session_id: &str) -> PathBuf {
        self.workspaces.join(root_session_id)
    }

    /// Runs an agent on a task as a new session, to the end.
    pub async fn run(
        &self,
        request: RunRequest,
        cancel: CancellationToken,
        progress: ProgressSink,
    ) -> Result<RunResult> {
        let agent = self.store.agent(&request.agent)?;
        let session = crate::tools::memory_view::create_session(&self.store, &NewSession {
            agent_id: agent.id.clone(),
            task: request.task.clone(),
            parent_id: None,
        })?;
        self.store.append_event(
            &session.id,
            &NewEvent::new(
                EventKind::UserMessage,
                json!({"turn": 0, "text": request.task}),
            ),
        )?;
        let limits = request.limits.unwrap_or_else(|| Limits::for_agent(&agent));
        self.drive(
            &agent,
            &session.id,
            vec![Message::user(request.task)],
            0,
            limits,
            cancel,
            progress,
        )
        .await
    }

    /// Continues an interrupted (or failed) session from its last event.
    pub async fn resume(
        &self,
        session_id: &str,
        cancel: CancellationToken,
        progress: ProgressSink,
    ) -> Result<RunResult> {
        let session = self.store.resume_session(session_id)?;
        let agent = self.store.agent(&session.agent_id)?;
        let events = self.store.events(
            session_id,
            &EventQuery {
                thread_id: Some(session_id.into()),
                limit: Some(100_000),
                ..Default::default()
            },
        )?;
        let (messages, turns) = thread::history_from_events(&events);
        if messages.is_empty() {
            return Err(Error::Invalid(format!(
                "session {session_id} has no recorded task to resume"
            )));
        }
        self.store
            .append_event(
                session_id,
                &NewEvent::new(
                    EventKind::UserMessage,
                    json!({"turn": turns, "text": "(resumed)", "resumed": true}),
                ),
            )
            .ok();
        self.drive(
            &agent,
            session_id,
            messages,
            turns,
            Limits::for_agent(&agent),
            cancel,
            progress,
        )
        .await
    }

    /// `limits` with the output of one turn kept to a quarter of the model's
    /// context when it is known (the agent's `context_tokens` setting, else
    /// what the server says), so a small local model keeps room for the
    /// conversation instead of filling its context with one answer.
    pub(crate) async fn fit_to_context(&self, agent: &Agent, mut limits: Limits) -> Limits {
        let context = match agent.settings.get("context_tokens").and_then(Value::as_u64) {
            Some(c) => Some(c as u32),
            None => match self.providers.get(agent.provider, &self.store) {
                Ok(p) => crate::provider::learn_context(p.as_ref(), &agent.model).await,
                Err(_) => None,
            },
        };
        if let Some(c) = context {
            limits.max_tokens_per_turn = limits.max_tokens_per_turn.min((c / 4).max(256));
        }
        limits
    }

    /// A sentence when the server says the model's chat template cannot
    /// call tools and the agent has some (the server drops them silently).
    pub async fn tools_notice(&self, agent: &Agent) -> Option<String> {
        if agent.tools.is_empty() {
            return None;
        }
        let provider = self.providers.get(agent.provider, &self.store).ok()?;
        (crate::provider::learn_tool_support(provider.as_ref(), &agent.model).await == Some(false)).then(|| {
            format!(
                "{}'s chat template on this server cannot call tools, so {} works without its tools ({}) in this run.",
                agent.model,
                agent.name,
                agent.tools.join(", ")
            )
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn drive(
        &self,
        agent: &Agent,
        session_id: &str,
        messages: Vec<Message>,
        turns: u32,
        limits: Limits,
        cancel: CancellationToken,
        progress: ProgressSink,
    ) -> Result<RunResult> {
        progress.emit(Progress::SessionStarted {
            session_id: session_id.into(),
            agent: agent.name.clone(),
            parent_id: None,
        });
        let heartbeat = self.keep_lease(session_id);
        let limits = self.fit_to_context(agent, limits).await;
        if let Some(message) = self.tools_notice(agent).await {
            progress.emit(Progress::Notice {
                session_id: session_id.into(),
                message,
            });
        }
        let budget = Arc::new(Budget::new(limits.clone()));
        let end = match self.thread_env(
            agent,
            session_id,
            0,
            limits,
            budget,
            cancel,
            progress.clone(),
        ) {
            Ok(env) => thread::run(&env, session_id, messages, turns).await,
            Err(e) => {
                let message = e.to_string();
                self.store.append_event(
                    session_id,
                    &NewEvent::new(
                        EventKind::Error,
                        json!({"message": message, "source": "setup"}),
                    ),
                )?;
                Ok(ThreadEnd {
                    status: SessionStatus::Failed,
                    final_answer: None,
                    error: Some(message),
                    turns,
                })
            }
        };
        heartbeat.abort();
        let end = end?;
        let session = self.store.finish_session(
            session_id,
            end.status,
            end.final_answer.as_deref(),
            end.error.as_deref(),
        )?;
        progress.emit(Progress::Finished {
            session_id: session_id.into(),
            status: end.status,
            final_answer: end.final_answer.clone(),
            error: end.error.clone(),
        });
        Ok(RunResult {
            session_id: session_id.into(),
            agent: agent.name.clone(),
            status: end.status,
            final_answer: end.final_answer,
            error: end.error,
            turns: end.turns,
            usage: session.usage,
            cost_usd: session.cost_usd,
        })
    }

    /// Everything a thread of `agent` needs: provider, prompt, tools.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn thread_env(
        &self,
        agent: &Agent,
        session_id: &str,
        depth: u32,
        limits: Limits,
        budget: Arc<Budget>,
        cancel: CancellationToken,
        progress: ProgressSink,
    ) -> Result<thread::ThreadEnv> {
        let provider = self
            .providers
            .get(agent.provider, &self.store)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let session = self.store.session(session_id)?;
        let workspace = self.workspace_dir(&session.root_id);
        // An evaluation run (a dream's gate) reads and writes a memory view.
        let view = crate::tools::memory_view::current_view();
        let crate::tools::AgentTools {
            handlers: mut tools,
            mounts,
            memory,
        } = crate::tools::for_agent(&self.store, agent, session_id, &workspace, view.clone())?;
        let access: &dyn crate::tools::memory_view::MemoryAccess = match &view {
            Some(v) => v.as_ref(),
            None => self.store.as_ref(),
        };
        let mut system = prompt::system_prompt(access, &agent.system_prompt, &mounts, memory)?;
        let roster = self.store.roster(&agent.id)?;
        if !roster.is_empty() {
            let settings = orchestra::Settings::for_agent(agent);
            if depth < settings.max_depth {
                let team = orchestra::Team::new(
                    self.clone(),
                    agent,
                    session_id,
                    depth,
                    roster,
                    settings,
                    budget.clone(),
                    progress.clone(),
                );
                system.push_str(&team.prompt());
                tools.extend(team.tools());
            }
        }
        Ok(thread::ThreadEnv {
            store: self.store.clone(),
            provider,
            model: agent.model.clone(),
            system,
            tools,
            limits,
            budget,
            cancel,
            progress,
        })
    }

    /// Renews the session's lease while it runs, so other processes do not
    /// take it for interrupted.
    fn keep_lease(&self, session_id: &str) -> tokio::task::JoinHandle<()> {
        let store = self.store.clone();
        let id = session_id.to_string();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(LEASE_RENEWAL).await;
                let _ = store.renew_session_lease(&id);
            }
        })
    }
}
