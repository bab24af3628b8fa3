//! `evals.*`: an agent's evaluation set (its checks) and the regression
//! gate that replays it before a dream's proposal is applied, or between
//! any two memory versions. A gate runs in the background; its state
//! reaches the window as `gate_progress` events carrying the whole gate.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{Api, ApiError, IdParam, NameParam, namespace};
use crate::eval::gate::{self, GateProgressSink, GateReport, RunRecord};
use crate::eval::{self, EvalTask, EvalTaskUpdate, NewEvalTask};

namespace! {
    "evals.list" => list(AgentParam),
    "evals.add" => add(AddParams),
    "evals.add_from_session" => add_from_session(FromSessionParams),
    "evals.update" => update(UpdateParams),
    "evals.remove" => remove(IdParam),
    "evals.move" => move_task(MoveParams),
    "evals.gate" => dream_gate(DreamParam),
    "evals.gate_get" => gate_get(IdParam),
    "evals.gate_start" => gate_start(DreamParam),
    "evals.gate_cancel" => gate_cancel(IdParam),
    "evals.compare" => compare(CompareParams),
    "evals.gates" => gates(NameParam),
}

#[derive(Deserialize, schemars::JsonSchema)]
struct AgentParam {
    agent: String,
}

/// A check as the window shows it: its rubric by name.
fn task_view(t: EvalTask) -> Value {
    json!({
        "id": t.id, "agent_id": t.agent_id, "position": t.position, "name": t.name,
        "task": t.task, "rubric": t.rubric_name, "source_session_id": t.source_session_id,
        "version": t.version, "created_at": t.created_at, "updated_at": t.updated_at,
    })
}

async fn list(api: &Arc<Api>, p: AgentParam) -> Result<Vec<Value>, ApiError> {
    Ok(eval::list_tasks(&api.store, &p.agent)?
        .into_iter()
        .map(task_view)
        .collect())
}

#[derive(Deserialize, schemars::JsonSchema)]
struct AddParams {
    agent: String,
    task: String,
    /// Rubric name or id.
    rubric: String,
    #[serde(default)]
    name: Option<String>,
}

async fn add(api: &Arc<Api>, p: AddParams) -> Result<Value, ApiError> {
    let new = NewEvalTask {
        name: p.name.unwrap_or_default(),
        task: p.task,
        rubric: p.rubric,
    };
    Ok(task_view(eval::add_task(&api.store, &p.agent, &new)?))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct FromSessionParams {
    session_id: String,
    /// Another rubric than the one the session was graded with.
    #[serde(default)]
    rubric: Option<String>,
}

/// "Use as a check": a graded session's task (and rubric) join its agent's set.
async fn add_from_session(api: &Arc<Api>, p: FromSessionParams) -> Result<Value, ApiError> {
    let s = &api.store;
    let task = eval::task_from_session(s, &p.session_id, None)?;
    let task = match p.rubric {
        Some(rubric) => eval::update_task(
            s,
            &task.id,
            &EvalTaskUpdate {
                rubric: Some(rubric),
                ..Default::default()
            },
        )?,
        None => task,
    };
    Ok(task_view(task))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct UpdateParams {
    id: String,
    #[serde(default)]
    task: Option<String>,
    #[serde(default)]
    rubric: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

async fn update(api: &Arc<Api>, p: UpdateParams) -> Result<Value, ApiError> {
    let update = EvalTaskUpdate {
        name: p.name,
        task: p.task,
        rubric: p.rubric,
    };
    Ok(task_view(eval::update_task(&api.store, &p.id, &update)?))
}

async fn remove(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    let task = eval::task(&api.store, &p.id)?;
    eval::remove_task(&api.store, &task.agent_id, &p.id)?;
    Ok(json!({"removed": true}))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct MoveParams {
    id: String,
    /// 1-based.
    position: i64,
}

async fn move_task(api: &Arc<Api>, p: MoveParams) -> Result<Vec<Value>, ApiError> {
    Ok(eval::move_task(&api.store, &p.id, p.position)?
        .into_iter()
        .map(task_view)
        .collect())
}

// ---- The gate ----

#[derive(Deserialize, schemars::JsonSchema)]
struct DreamParam {
    dream_id: String,
}

/// One side of a task: how it went with that memory.
fn side_view(r: &Option<RunRecord>) -> Value {
    match r {
        None => json!({"session_id": null, "passed": null, "score": null, "attempts": 0,
            "cost_usd": 0.0, "duration_ms": 0, "status": "pending", "error": null}),
        Some(r) => json!({
            "session_id": r.session_id, "passed": r.passed, "score": r.score,
            "attempts": r.attempts, "cost_usd": r.cost_usd, "duration_ms": r.ms,
            "status": match r.status.as_str() { "done" => "done", "running" => "running", _ => "failed" },
            "error": r.error,
        }),
    }
}

/// Names a memory version for people: "memory as it is", "with this dream's changes", ...
fn version_label(spec: &str) -> String {
    match spec.split_once(':') {
        _ if spec == "current" => "memory as it is".into(),
        Some(("proposal", _)) => "with this dream's changes".into(),
        Some(("before", _)) => "memory before the dream".into(),
        Some(("after", _)) => "memory after the dream".into(),
        _ => format!("memory at {spec}"),
    }
}

/// A gate as the window shows it: overall figures, each task's two sides
/// (regressions first) and one sentence saying what it means.
fn gate_view(api: &Api, r: GateReport) -> Result<Value, ApiError> {
    let s = &api.store;
    let agent = s.agent(&r.gate.agent_id)?.name;
    let mut rubric_names: HashMap<String, String> = HashMap::new();
    for t in &r.gate.tasks {
        if !rubric_names.contains_key(&t.rubric_id) {
            let name = s.rubric(&t.rubric_id).map(|r| r.name).unwrap_or_default();
            rubric_names.insert(t.rubric_id.clone(), name);
        }
    }
    let rubric_of = |task_id: &str| {
        r.gate
            .tasks
            .iter()
            .find(|t| t.id == task_id)
            .and_then(|t| rubric_names.get(&t.rubric_id).cloned())
            .unwrap_or_default()
    };
    let tasks: Vec<Value> = r
        .tasks
        .iter()
        .map(|t| {
            json!({
                "task_id": t.task_id, "name": t.name, "task": t.task, "rubric": rubric_of(&t.task_id),
                "before": side_view(&t.before), "after": side_view(&t.after),
                "score_change": t.score_change, "regression": t.regression, "improvement": t.improvement,
            })
        })
        .collect();
    let done = r.gate.status != "running";
    let verdict = verdict(&r);
    Ok(json!({
        "id": r.gate.id, "agent": agent, "dream_id": r.gate.dream_id, "kind": r.gate.kind,
        "before_label": version_label(&r.gate.before), "after_label": version_label(&r.gate.after),
        "status": r.gate.status, "decision": r.gate.decision,
        "done": r.runs_done, "total": r.runs_total, "tolerance": r.gate.settings.tolerance,
        "summary": {
            "passed_before": r.passed_before, "passed_after": r.passed_after,
            "mean_before": done.then_some(r.mean_before), "mean_after": done.then_some(r.mean_after),
            "regressions": r.regressions.len(), "cost_usd": r.cost_usd, "duration_ms": r.ms,
            "tokens": r.tokens,
        },
        "regressions": r.regressions,
        "tasks": tasks, "verdict": verdict,
        "started_at": r.gate.created_at, "finished_at": r.gate.finished_at, "error": r.gate.error,
    }))
}

/// One sentence for people on what the gate found.
fn verdict(r: &GateReport) -> String {
    let n = r.gate.tasks.len();
    match r.gate.status.as_str() {
        "running" => format!("Checking: {} of {} runs done.", r.runs_done, r.runs_total),
        "canceled" => "The check was stopped; memory was not changed.".into(),
        "failed" => format!(
            "The check could not finish: {}",
            r.gate.error.as_deref().unwrap_or("an error stopped it")
        ),
        _ if r.gate.kind != "gate" => format!(
            "{} of {n} checks passed before, {} of {n} after.",
            r.passed_before, r.passed_after
        ),
        _ if r.applied() => format!(
            "Nothing got worse ({} of {n} checks passed before, {} after), so the changes were applied.",
            r.passed_before, r.passed_after
        ),
        // The review shows "held for review" as a badge: the sentence says why.
        _ => match r.hold_cause() {
            Some(why) => {
                let mut chars = why.chars();
                let first: String = chars.next().into_iter().flat_map(char::to_uppercase).collect();
                format!("{first}{}.", chars.as_str())
            }
            None => "The checks passed; apply the changes when you are ready.".into(),
        },
    }
}

async fn dream_gate(api: &Arc<Api>, p: DreamParam) -> Result<Value, ApiError> {
    match gate::gate_for_dream(&api.store, &p.dream_id)? {
        Some(report) => gate_view(api, report),
        None => Ok(Value::Null),
    }
}

async fn gate_get(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    gate_view(api, gate::gate_report(&api.store, &p.id)?)
}

/// Runs a gate in the background, telling the window after each step.
fn spawn_gate(api: &Arc<Api>, gate_id: String) {
    let api = Arc::clone(api);
    tokio::spawn(async move {
        let (events, id) = (Arc::clone(&api), gate_id.clone());
        let sink = GateProgressSink::new(move |_| {
            if let Ok(report) = gate::gate_report(&events.store, &id)
                && let Ok(view) = gate_view(&events, report)
            {
                events.emit(json!({"type": "gate_progress", "gate": view}));
            }
        });
        if let Err(e) = gate::run_gate(&api.runtime, &gate_id, CancellationToken::new(), sink).await {
            api.emit(json!({"type": "gate_failed", "gate_id": gate_id, "error": e.to_string()}));
        }
    });
}

/// Checks a staged dream again (the user asked; it does not apply anything).
async fn gate_start(api: &Arc<Api>, p: DreamParam) -> Result<Value, ApiError> {
    let g = gate::start_gate(&api.store, &p.dream_id, false)?;
    spawn_gate(api, g.id.clone());
    gate_view(api, gate::gate_report(&api.store, &g.id)?)
}

async fn gate_cancel(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    gate::cancel_gate(&api.store, &p.id)?;
    gate_view(api, gate::gate_report(&api.store, &p.id)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct CompareParams {
    agent: String,
    /// A memory version: a dream id, `before:DREAM`, `after:DREAM`,
    /// `proposal:DREAM`, a document version id, a time, or `current`.
    before: String,
    after: String,
}

/// "What did last week's dream change?": the checks replayed over two
/// memory versions.
async fn compare(api: &Arc<Api>, p: CompareParams) -> Result<Value, ApiError> {
    let g = gate::start_compare(&api.store, &p.agent, &p.before, &p.after)?;
    spawn_gate(api, g.id.clone());
    gate_view(api, gate::gate_report(&api.store, &g.id)?)
}

/// An agent's recent gates and comparisons, newest first.
async fn gates(api: &Arc<Api>, p: NameParam) -> Result<Vec<Value>, ApiError> {
    let mut out = Vec::new();
    for g in gate::list_gates(&api.store, Some(&p.name), 20)? {
        out.push(gate_view(api, gate::gate_report(&api.store, &g.id)?)?);
    }
    Ok(out)
}
