//! `dreams.*`: starting, reviewing, applying and reverting dreams, and the
//! dream schedule's pause switch.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Api, ApiError, IdParam, NoParams, invalid, namespace};
use crate::Error;
use crate::dream::schedule::{Schedule, Scheduler, SystemClock};
use crate::dream::{ConflictChoice, DreamRequest};
use crate::store::{Dream, DreamMode, DreamTrigger, EditDecision, ProposalEdit, VersionOp};

namespace! {
    "dreams.list" => list(ListParams),
    "dreams.get" => get(IdParam),
    "dreams.estimate" => estimate(DreamParams),
    "dreams.start" => start(DreamParams),
    "dreams.cancel" => cancel(IdParam),
    "dreams.decide" => decide(DecideParams),
    "dreams.decide_all" => decide_all(DecideAllParams),
    "dreams.apply" => apply(ApplyParams),
    "dreams.reject" => reject(IdParam),
    "dreams.revert" => revert(RevertParams),
    "dreams.revert_conflicts" => revert_conflicts(IdParam),
    "dreams.schedule_status" => schedule_status(NoParams),
    "dreams.pause" => pause(NoParams),
    "dreams.resume" => resume(NoParams),
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ListParams {
    agent: Option<String>,
    limit: Option<usize>,
}

/// A proposal edit without its content, for lists and the diary.
fn edit_summary(e: &ProposalEdit) -> Value {
    json!({
        "id": e.id, "op": e.op, "path": e.path, "merged_paths": e.merged_paths,
        "reason": e.reason, "source_session_ids": e.source_session_ids, "decision": e.decision,
    })
}

async fn list(api: &Arc<Api>, p: ListParams) -> Result<Vec<Value>, ApiError> {
    let s = &api.store;
    crate::dream::recover(s)?;
    let agent_id = p.agent.map(|a| s.agent(&a)).transpose()?.map(|a| a.id);
    let names: HashMap<String, String> = s
        .list_agents()?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    let mut out = Vec::new();
    for d in s.list_dreams(agent_id.as_deref(), p.limit.unwrap_or(100))? {
        let edits: Vec<Value> = s.proposal(&d.id)?.iter().map(edit_summary).collect();
        let agent = names.get(&d.agent_id).cloned().unwrap_or_default();
        out.push(json!({"dream": d, "agent": agent, "edits": edits}));
    }
    Ok(out)
}

/// A dream with its edits and what each touched document held before it.
async fn get(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    let s = &api.store;
    let dream = s.dream(&p.id)?;
    let edits = s.proposal(&p.id)?;
    let agent = s.agent(&dream.agent_id)?.name;
    let mut before = serde_json::Map::new();
    for path in edits
        .iter()
        .flat_map(|e| std::iter::once(&e.path).chain(&e.merged_paths))
    {
        if !before.contains_key(path) {
            before.insert(path.clone(), before_dream(api, &dream, path)?);
        }
    }
    Ok(json!({"dream": dream, "agent": agent, "edits": edits, "before": before}))
}

/// What `path` held just before `dream` wrote it (its current text when
/// the dream has not been applied), with the current sha256 so a staged
/// edit whose document changed since can be flagged. Null: no document.
fn before_dream(api: &Api, dream: &Dream, path: &str) -> Result<Value, Error> {
    let s = &api.store;
    let current = s.read_document(&dream.input_store_id, path)?;
    let current_sha256 = current.as_ref().map(|(d, _)| d.sha256.clone());
    let history = match s.document_history(&dream.input_store_id, path) {
        Ok(h) => h,
        Err(Error::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    let content = match history
        .iter()
        .position(|v| v.dream_id.as_deref() == Some(dream.id.as_str()))
    {
        // Applied: the version before the dream's first one.
        Some(0) => None,
        Some(i) => match history[i - 1].op {
            VersionOp::Delete => None,
            _ => history[i - 1].content.clone(),
        },
        None => current.map(|(_, c)| c),
    };
    Ok(json!({"content": content, "current_sha256": current_sha256}))
}

/// A dream the window asks for (or asks the cost of).
#[derive(Deserialize, schemars::JsonSchema)]
struct DreamParams {
    agent: String,
    #[serde(default)]
    session_ids: Option<Vec<String>>,
    #[serde(default)]
    budget_tokens: Option<i64>,
    #[serde(default)]
    instructions: String,
    #[serde(default)]
    mode: Option<DreamMode>,
    #[serde(default)]
    apply: Option<bool>,
}

impl From<DreamParams> for DreamRequest {
    fn from(p: DreamParams) -> Self {
        DreamRequest {
            agent: p.agent,
            trigger: DreamTrigger::Ui,
            session_ids: p.session_ids.filter(|ids| !ids.is_empty()),
            budget_tokens: p.budget_tokens,
            call_tokens: None,
            context_tokens: None,
            instructions: p.instructions,
            mode: p.mode.unwrap_or(DreamMode::UpdateExisting),
            apply: p.apply,
        }
    }
}

async fn estimate(api: &Arc<Api>, p: DreamParams) -> Result<Value, ApiError> {
    super::ok(api.dreamer.estimate(&p.into())?)
}

async fn start(api: &Arc<Api>, p: DreamParams) -> Result<Value, ApiError> {
    super::ok(api.dreamer.start(p.into(), api.dream_progress_sink())?)
}

async fn cancel(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    if api.dreamer.cancel(&p.id) {
        Ok(json!({"canceled": true}))
    } else {
        Err(invalid(format!(
            "dream {} is not running in this window; it may have finished already",
            p.id
        )))
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
struct DecideParams {
    edit_id: String,
    decision: EditDecision,
}

async fn decide(api: &Arc<Api>, p: DecideParams) -> Result<Value, ApiError> {
    super::ok(api.store.decide_edit(&p.edit_id, p.decision)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct DecideAllParams {
    id: String,
    decision: EditDecision,
}

async fn decide_all(api: &Arc<Api>, p: DecideAllParams) -> Result<Vec<ProposalEdit>, ApiError> {
    let s = &api.store;
    let mut out = Vec::new();
    for e in s.proposal(&p.id)? {
        out.push(if e.decision == p.decision {
            e
        } else {
            s.decide_edit(&e.id, p.decision)?
        });
    }
    Ok(out)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ApplyParams {
    id: String,
    /// The person saw the gate's regressions and applies anyway.
    #[serde(default)]
    force: Option<bool>,
}

/// Applies a staged dream, respecting its regression gate: refused while
/// the checks run; when they regressed, `needs_confirmation` with the
/// regressions until sent again with `force`.
async fn apply(api: &Arc<Api>, p: ApplyParams) -> Result<Value, ApiError> {
    use crate::eval::gate::{ApplyCheck, apply_check};
    let force = p.force.unwrap_or(false);
    match apply_check(&api.store, &p.id)? {
        ApplyCheck::Regressed { message, .. } if !force => {
            return Err(ApiError {
                kind: "needs_confirmation",
                message,
            });
        }
        _ => {}
    }
    super::ok(crate::eval::gate::apply_reviewed(&api.store, &p.id, true)?)
}

async fn reject(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    super::ok(crate::dream::reject_dream(&api.store, &p.id)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct RevertParams {
    id: String,
    #[serde(default)]
    choices: BTreeMap<String, ConflictChoice>,
}

async fn revert(api: &Arc<Api>, p: RevertParams) -> Result<Value, ApiError> {
    super::ok(crate::dream::revert_dream(&api.store, &p.id, &p.choices)?)
}

async fn revert_conflicts(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    super::ok(crate::dream::revert_conflicts(&api.store, &p.id)?)
}

async fn schedule_status(api: &Arc<Api>, _: NoParams) -> Result<Value, ApiError> {
    status(api)
}

async fn pause(api: &Arc<Api>, _: NoParams) -> Result<Value, ApiError> {
    set_paused(api, true)
}

async fn resume(api: &Arc<Api>, _: NoParams) -> Result<Value, ApiError> {
    set_paused(api, false)
}

fn set_paused(api: &Api, paused: bool) -> Result<Value, ApiError> {
    Scheduler::set_paused(&api.store, paused)?;
    let status = status(api)?;
    api.emit(json!({"type": "dream_schedule", "paused": status["paused"]}));
    Ok(status)
}

/// Whether the schedule is paused, and when each scheduled agent dreams next.
fn status(api: &Api) -> Result<Value, ApiError> {
    let s = &api.store;
    let scheduler = Scheduler::new(api.dreamer.clone(), Arc::new(SystemClock));
    let next: HashMap<String, Option<String>> = scheduler
        .next_slots()?
        .into_iter()
        .map(|(agent, at)| (agent, at.map(|t| t.to_rfc3339())))
        .collect();
    let agents: Vec<Value> = s
        .list_agents()?
        .into_iter()
        .map(|a| {
            let schedule = a.dream_schedule.filter(|t| !t.trim().is_empty());
            let valid = schedule
                .as_deref()
                .is_some_and(|t| Schedule::parse(t).is_ok());
            json!({
                "agent": a.name,
                "schedule": schedule,
                "valid": schedule.is_none() || valid,
                "next": next.get(&a.name).cloned().flatten(),
            })
        })
        .collect();
    Ok(json!({
        "paused": Scheduler::is_paused(s)?,
        "agents": agents,
        "default_budget_tokens": crate::dream::DEFAULT_BUDGET_TOKENS,
        "min_budget_tokens": crate::dream::MIN_BUDGET_TOKENS,
    }))
}
