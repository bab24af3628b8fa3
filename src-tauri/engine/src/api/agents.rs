//! `agents.*`: agents, their rosters and the memory stores they use.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Api, ApiError, NameParam, NoParams, invalid, namespace};
use crate::store::{Access, Agent, AgentUpdate, NewAgent};

namespace! {
    "agents.list" => list(NoParams),
    "agents.get" => get(NameParam),
    "agents.create" => create(NewAgent),
    "agents.update" => update(UpdateParams),
    "agents.delete" => delete(NameParam),
    "agents.roster" => roster(NameParam),
    "agents.roster_add" => roster_add(RosterParams),
    "agents.roster_remove" => roster_remove(RosterParams),
    "agents.attach_store" => attach_store(AttachParams),
    "agents.detach_store" => detach_store(DetachParams),
}

async fn list(api: &Arc<Api>, _: NoParams) -> Result<Vec<Agent>, ApiError> {
    Ok(api.store.list_agents()?)
}

async fn get(api: &Arc<Api>, p: NameParam) -> Result<Agent, ApiError> {
    Ok(api.store.agent(&p.name)?)
}

async fn create(api: &Arc<Api>, p: NewAgent) -> Result<Agent, ApiError> {
    Ok(api.store.create_agent(&p)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct UpdateParams {
    name: String,
    update: AgentUpdate,
}

async fn update(api: &Arc<Api>, p: UpdateParams) -> Result<Agent, ApiError> {
    Ok(api.store.update_agent(&p.name, &p.update)?)
}

async fn delete(api: &Arc<Api>, p: NameParam) -> Result<Value, ApiError> {
    api.store.delete_agent(&p.name)?;
    Ok(json!({"deleted": true}))
}

async fn roster(api: &Arc<Api>, p: NameParam) -> Result<Value, ApiError> {
    super::ok(api.store.roster(&p.name)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct RosterParams {
    lead: String,
    member: String,
}

async fn roster_add(api: &Arc<Api>, p: RosterParams) -> Result<Value, ApiError> {
    super::ok(api.store.roster_add(&p.lead, &p.member)?)
}

async fn roster_remove(api: &Arc<Api>, p: RosterParams) -> Result<Value, ApiError> {
    super::ok(api.store.roster_remove(&p.lead, &p.member)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct AttachParams {
    agent: String,
    store: String,
    access: Access,
}

async fn attach_store(api: &Arc<Api>, p: AttachParams) -> Result<Value, ApiError> {
    super::ok(api.store.attach_store(&p.agent, &p.store, p.access)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct DetachParams {
    agent: String,
    store: String,
}

/// Detaches a shared store; an agent's own memory stays attached.
async fn detach_store(api: &Arc<Api>, p: DetachParams) -> Result<Value, ApiError> {
    let s = &api.store;
    let a = s.agent(&p.agent)?;
    let target = s.memory_store(&p.store)?;
    if a.default_store().is_some_and(|d| d.store_id == target.id) {
        return Err(invalid(format!(
            "'{}' is {}'s own memory and stays attached; detach other stores only",
            target.name, a.name
        )));
    }
    if !a.stores.iter().any(|st| st.store_id == target.id) {
        return Err(invalid(format!(
            "'{}' is not attached to {}",
            target.name, a.name
        )));
    }
    super::ok(s.detach_store(&a.id, &target.id)?)
}
