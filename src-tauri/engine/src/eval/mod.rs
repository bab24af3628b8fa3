//! Dreams that prove themselves.
//!
//! - An **evaluation set** per agent: ordered tasks, each graded by a
//!   rubric ([`add_task`], [`task_from_session`], [`list_tasks`],
//!   [`update_task`], [`remove_task`], [`move_task`]).
//! - The **regression gate** ([`gate`]): the set replayed with memory as it
//!   is and with a dream's proposal laid over it in a [`view::MemoryView`]
//!   (the real store is never written), both graded; auto-apply only when
//!   nothing got worse. The same replay compares any two memory versions.
//! - **Pass rates over time** ([`series`]), **memory receipts** and
//!   line-level blame, corrections and pins ([`blame`]), and **grader
//!   calibration** ([`calibrate`]).

pub mod calibrate;
pub mod gate;
/// Pass rates over time live with the other outcome figures in the store.
pub use crate::store::outcome_series as series;

/// A dreamer whose staged proposals pass the regression gate first: what
/// every process that dreams uses (the app, `serve`, the CLI, the daemon).
pub fn dreamer(runtime: std::sync::Arc<crate::runtime::Runtime>) -> crate::dream::Dreamer {
    crate::dream::Dreamer::new(runtime).with_gate(std::sync::Arc::new(gate::DreamGate))
}

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::store::Agent;
use crate::{Error, Result, Store};

pub use crate::store::evals::{DEFAULT_CONCURRENCY, DEFAULT_TOLERANCE, EvalTask, GateSettings};

/// A new task for the set.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewEvalTask {
    #[serde(default)]
    pub name: String,
    pub task: String,
    /// Rubric name or id.
    pub rubric: String,
}

/// Changes to a task; `None` keeps the field.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EvalTaskUpdate {
    pub name: Option<String>,
    pub task: Option<String>,
    pub rubric: Option<String>,
}

/// The agent's evaluation set, in order.
pub fn list_tasks(store: &Store, agent: &str) -> Result<Vec<EvalTask>> {
    let agent = store.agent(agent)?;
    store.eval_tasks(&agent.id)
}

pub fn task(store: &Store, id: &str) -> Result<EvalTask> {
    store.eval_task(id)
}

/// Adds a task written by the user at the end of the set.
pub fn add_task(store: &Store, agent: &str, new: &NewEvalTask) -> Result<EvalTask> {
    insert_task(store, agent, new, None)
}

/// "Use as a check": a past graded session's task and rubric become a task
/// of its agent's set.
pub fn task_from_session(store: &Store, session_id: &str, name: Option<&str>) -> Result<EvalTask> {
    let session = store.session(session_id)?;
    let rubric_id = store.graded_rubric_of(session_id)?;
    let rubric_id = rubric_id.ok_or_else(|| {
        Error::Invalid(format!(
            "session {session_id} was not graded against a rubric; give the task a rubric with `reverie eval add`"
        ))
    })?;
    let new = NewEvalTask {
        name: name.unwrap_or_default().to_string(),
        task: session.task.clone(),
        rubric: rubric_id,
    };
    insert_task(store, &session.agent_id, &new, Some(session_id))
}

fn insert_task(
    store: &Store,
    agent: &str,
    new: &NewEvalTask,
    source: Option<&str>,
) -> Result<EvalTask> {
    let agent = store.agent(agent)?;
    if new.task.trim().is_empty() {
        return Err(Error::Invalid(
            "the task is empty; describe what the agent should do".into(),
        ));
    }
    let rubric = store.rubric(&new.rubric)?;
    store.insert_eval_task(&agent.id, &new.name, &new.task, &rubric.id, source)
}

/// Edits a task; its version goes up.
pub fn update_task(store: &Store, id: &str, update: &EvalTaskUpdate) -> Result<EvalTask> {
    let current = task(store, id)?;
    let rubric_id = match &update.rubric {
        Some(r) => store.rubric(r)?.id,
        None => current.rubric_id.clone(),
    };
    let text = update.task.clone().unwrap_or(current.task.clone());
    if text.trim().is_empty() {
        return Err(Error::Invalid("the task is empty".into()));
    }
    let name = update.name.clone().unwrap_or(current.name.clone());
    store.update_eval_task(id, &name, &text, &rubric_id)
}

/// Moves a task to `position` (1-based) in its set.
pub fn move_task(store: &Store, id: &str, position: i64) -> Result<Vec<EvalTask>> {
    let current = task(store, id)?;
    let mut all = list_tasks(store, &current.agent_id)?;
    let from = all.iter().position(|t| t.id == id).expect("the task is in its set");
    let t = all.remove(from);
    let to = (position.max(1) as usize - 1).min(all.len());
    all.insert(to, t);
    store.order_eval_tasks(&all.iter().map(|t| t.id.clone()).collect::<Vec<_>>())?;
    list_tasks(store, &current.agent_id)
}

/// Removes a task (by id, or by 1-based position in `agent`'s set).
pub fn remove_task(store: &Store, agent: &str, id_or_position: &str) -> Result<EvalTask> {
    let tasks = list_tasks(store, agent)?;
    let found = tasks
        .iter()
        .find(|t| t.id == id_or_position || t.position.to_string() == id_or_position)
        .cloned()
        .ok_or_else(|| Error::not_found("evaluation task", id_or_position))?;
    store.delete_eval_task(&found.id)?;
    Ok(found)
}

/// Marks a session as an evaluation session: dreams never review it and
/// normal stats leave it out.
pub fn mark_eval_session(store: &Store, session_id: &str, gate_id: Option<&str>) -> Result<()> {
    // A dream must never read it: it counts as reviewed already.
    store.mark_eval_session(session_id, gate_id)
}

pub fn is_eval_session(store: &Store, session_id: &str) -> Result<bool> {
    store.is_eval_session(session_id)
}

/// The gate's settings for an agent (agent `settings` keys, like
/// `context_tokens`): `gate_tolerance` (mean score may drop by at most
/// this, default 0.02), `gate_budget_tokens`, `gate_budget_usd`,
/// `gate_budget_seconds`, `gate_concurrency` (default 2).
impl GateSettings {
    pub fn for_agent(agent: &Agent) -> Self {
        let s = &agent.settings;
        GateSettings {
            tolerance: s
                .get("gate_tolerance")
                .and_then(Value::as_f64)
                .unwrap_or(DEFAULT_TOLERANCE)
                .max(0.0),
            budget_tokens: s.get("gate_budget_tokens").and_then(Value::as_i64),
            budget_usd: s.get("gate_budget_usd").and_then(Value::as_f64),
            budget_seconds: s.get("gate_budget_seconds").and_then(Value::as_u64),
            concurrency: s
                .get("gate_concurrency")
                .and_then(Value::as_u64)
                .map(|c| c.clamp(1, 16) as usize)
                .unwrap_or(DEFAULT_CONCURRENCY),
        }
    }
}

/// Changes to an agent's gate settings; `None` keeps a value, and a
/// negative number clears a budget.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GateSettingsChanges {
    pub tolerance: Option<f64>,
    pub budget_tokens: Option<i64>,
    pub budget_usd: Option<f64>,
    pub budget_seconds: Option<i64>,
    pub concurrency: Option<u64>,
}

/// Saves gate settings into the agent's `settings`.
pub fn set_gate_settings(
    store: &Store,
    agent: &str,
    changes: &GateSettingsChanges,
) -> Result<GateSettings> {
    let agent = store.agent(agent)?;
    let mut settings = match agent.settings.clone() {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    let mut put = |key: &str, v: Option<Value>, clear: bool| {
        if clear {
            settings.remove(key);
        } else if let Some(v) = v {
            settings.insert(key.to_string(), v);
        }
    };
    if let Some(t) = changes.tolerance {
        if !(0.0..=1.0).contains(&t) {
            return Err(Error::Invalid(
                "the tolerance is a score difference between 0 and 1".into(),
            ));
        }
    }
    put("gate_tolerance", changes.tolerance.map(Value::from), false);
    put(
        "gate_budget_tokens",
        changes.budget_tokens.map(Value::from),
        changes.budget_tokens.is_some_and(|v| v < 0),
    );
    put(
        "gate_budget_usd",
        changes.budget_usd.map(Value::from),
        changes.budget_usd.is_some_and(|v| v < 0.0),
    );
    put(
        "gate_budget_seconds",
        changes.budget_seconds.map(Value::from),
        changes.budget_seconds.is_some_and(|v| v < 0),
    );
    if let Some(c) = changes.concurrency {
        if !(1..=16).contains(&c) {
            return Err(Error::Invalid("concurrency is between 1 and 16".into()));
        }
    }
    put("gate_concurrency", changes.concurrency.map(Value::from), false);
    let updated = store.update_agent(
        &agent.id,
        &crate::store::AgentUpdate {
            settings: Some(Value::Object(settings)),
            ..Default::default()
        },
    )?;
    Ok(GateSettings::for_agent(&updated))
}
