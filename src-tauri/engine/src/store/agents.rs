//! Agents: name, model and provider, system prompt, tools, attached memory
//! stores (each `read_only` or `read_write`), default rubric, dream policy,
//! and a coordinator's roster. Every agent gets its own default memory store,
//! named after it, when it is created.
//!
//! It owns every statement on `agents` and `agent_stores`. It never
//! imports `dream` or another module built on the store: a schedule's text
//! is checked with the leaf [`crate::schedule_spec`].
//!
//! The provider is stored as its name, plain text since schema 6: which
//! names exist is the provider registry's business, and a name this build
//! does not know reads as an error that says so, never as a default.

use super::CachedSql;
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::sql::{check_name, from_json, to_json, unique_conflict};
use super::{Store, memory::DEFAULT_STORE_SIZE_LIMIT};
use crate::{Error, Result, ids};

/// An agent session mounts at most this many memory stores.
pub const MAX_ATTACHED_STORES: usize = 8;
/// A coordinator's roster holds at most this many agents.
pub const MAX_ROSTER: usize = 20;

/// The one provider enum, shared with the model providers.
pub use crate::provider::ProviderKind;

/// What happens to a dream's proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum DreamPolicy {
    /// Staged: the user reviews and applies it.
    #[default]
    Review,
    /// Applied at once (unless it deletes a lot or touches a pinned document).
    Auto,
}

impl DreamPolicy {
    fn as_str(self) -> &'static str {
        match self {
            DreamPolicy::Review => "review",
            DreamPolicy::Auto => "auto",
        }
    }
}

impl std::str::FromStr for DreamPolicy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "review" => Ok(DreamPolicy::Review),
            "auto" => Ok(DreamPolicy::Auto),
            other => Err(Error::Invalid(format!(
                "unknown dream policy '{other}'; use 'review' or 'auto'"
            ))),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    ReadOnly,
    ReadWrite,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::ReadOnly => "read_only",
            Access::ReadWrite => "read_write",
        }
    }
}

impl std::str::FromStr for Access {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "read_only" => Ok(Access::ReadOnly),
            "read_write" => Ok(Access::ReadWrite),
            other => Err(Error::Invalid(format!(
                "unknown access '{other}'; use 'read_only' or 'read_write'"
            ))),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttachedStore {
    pub store_id: String,
    pub store_name: String,
    pub access: Access,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub provider: ProviderKind,
    pub model: String,
    pub system_prompt: String,
    pub tools: Vec<String>,
    pub default_rubric_id: Option<String>,
    pub dream_policy: DreamPolicy,
    /// `daily HH:MM` (local time) or a cron expression; `None` = no schedule.
    pub dream_schedule: Option<String>,
    /// Limits and other per-agent knobs, as JSON (turns, budgets, ...).
    pub settings: serde_json::Value,
    pub stores: Vec<AttachedStore>,
    pub created_at: String,
    pub updated_at: String,
}

impl Agent {
    /// The agent's own store (created with it).
    pub fn default_store(&self) -> Option<&AttachedStore> {
        self.stores.iter().find(|s| s.store_name == self.name)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewAgent {
    pub name: String,
    pub provider: ProviderKind,
    pub model: String,
    #[serde(default)]
    pub system_prompt: String,
    #[serde(default)]
    pub tools: Vec<String>,
}

/// A partial update: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AgentUpdate {
    pub provider: Option<ProviderKind>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    pub tools: Option<Vec<String>>,
    /// `Some(None)` clears the default rubric.
    pub default_rubric_id: Option<Option<String>>,
    pub dream_policy: Option<DreamPolicy>,
    pub dream_schedule: Option<Option<String>>,
    pub settings: Option<serde_json::Value>,
}

const AGENT_COLUMNS: &str = "id, name, provider, model, system_prompt, tools, default_rubric_id, \
     dream_policy, dream_schedule, settings, created_at, updated_at";

fn agent_from_row(row: &Row<'_>) -> rusqlite::Result<Agent> {
    let provider: String = row.get(2)?;
    let policy: String = row.get(7)?;
    Ok(Agent {
        id: row.get(0)?,
        name: row.get(1)?,
        provider: provider.parse().map_err(|e: crate::Error| {
            rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(e))
        })?,
        model: row.get(3)?,
        system_prompt: row.get(4)?,
        tools: from_json(&row.get::<_, String>(5)?)?,
        default_rubric_id: row.get(6)?,
        dream_policy: policy.parse().unwrap_or_default(),
        dream_schedule: row.get(8)?,
        settings: from_json(&row.get::<_, String>(9)?)?,
        stores: Vec::new(),
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
    })
}

impl Store {
    /// Creates an agent and its default memory store (same name, read-write).
    pub fn create_agent(&self, new: &NewAgent) -> Result<Agent> {
        check_name("agent", &new.name)?;
        if new.model.trim().is_empty() {
            return Err(Error::Invalid(
                "an agent needs a model, e.g. --model claude-sonnet-4-5".into(),
            ));
        }
        let id = ids::new_id();
        let now = ids::now();
        self.write(|tx| {
            tx.execute_cached(
                &format!("INSERT INTO agents ({AGENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL, 'review', NULL, '{{}}', ?7, ?7)"),
                params![id, new.name, new.provider.as_str(), new.model.trim(), new.system_prompt, to_json(&new.tools), now],
            )
            .map_err(|e| unique_conflict(e, || format!("an agent named '{}' already exists; pick another name", new.name)))?;
            let store_id = ids::new_id();
            tx.execute_cached(
                "INSERT INTO memory_stores (id, name, description, instructions, size_limit_bytes, owner_agent_id, created_at)
                 VALUES (?1, ?2, ?3, '', ?4, ?5, ?6)",
                params![store_id, new.name, format!("{}'s own memory", new.name), DEFAULT_STORE_SIZE_LIMIT, id, now],
            )
            .map_err(|e| unique_conflict(e, || format!("a memory store named '{}' already exists; pick another agent name", new.name)))?;
            tx.execute_cached(
                "INSERT INTO agent_stores (agent_id, store_id, access, position) VALUES (?1, ?2, 'read_write', 0)",
                params![id, store_id],
            )?;
            Ok(())
        })?;
        self.agent(&id)
    }

    /// An agent by name or id.
    pub fn agent(&self, name_or_id: &str) -> Result<Agent> {
        let conn = self.conn();
        let mut agent = conn
            .query_row_cached(
                &format!("SELECT {AGENT_COLUMNS} FROM agents WHERE name = ?1 OR id = ?1"),
                [name_or_id],
                agent_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::not_found("agent", name_or_id))?;
        agent.stores = attached_stores(&conn, &agent.id)?;
        Ok(agent)
    }

    pub fn list_agents(&self) -> Result<Vec<Agent>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("SELECT {AGENT_COLUMNS} FROM agents ORDER BY name"))?;
        let mut agents = stmt
            .query_map([], agent_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        for agent in &mut agents {
            agent.stores = attached_stores(&conn, &agent.id)?;
        }
        Ok(agents)
    }

    pub fn update_agent(&self, name_or_id: &str, update: &AgentUpdate) -> Result<Agent> {
        let current = self.agent(name_or_id)?;
        if let Some(model) = &update.model {
            if model.trim().is_empty() {
                return Err(Error::Invalid("the model cannot be empty".into()));
            }
        }
        let provider = update.provider.unwrap_or(current.provider);
        let model = update.model.clone().unwrap_or(current.model);
        let system_prompt = update
            .system_prompt
            .clone()
            .unwrap_or(current.system_prompt);
        let tools = update.tools.clone().unwrap_or(current.tools);
        let rubric = update
            .default_rubric_id
            .clone()
            .unwrap_or(current.default_rubric_id);
        let policy = update.dream_policy.unwrap_or(current.dream_policy);
        // A schedule the scheduler could not read would silently never run.
        if let Some(Some(schedule)) = &update.dream_schedule {
            crate::schedule_spec::Schedule::parse(schedule)?;
        }
        let schedule = update
            .dream_schedule
            .clone()
            .unwrap_or(current.dream_schedule);
        let settings = update.settings.clone().unwrap_or(current.settings);
        self.write(|tx| {
            tx.execute_cached(
                "UPDATE agents SET provider = ?2, model = ?3, system_prompt = ?4, tools = ?5, default_rubric_id = ?6,
                 dream_policy = ?7, dream_schedule = ?8, settings = ?9, updated_at = ?10 WHERE id = ?1",
                params![current.id, provider.as_str(), model, system_prompt, to_json(&tools), rubric,
                        policy.as_str(), schedule, to_json(&settings), ids::now()],
            )?;
            Ok(())
        })?;
        self.agent(&current.id)
    }

    /// Deletes an agent with its sessions, dreams, outcomes and default store.
    /// Shared stores it had attached stay.
    pub fn delete_agent(&self, name_or_id: &str) -> Result<()> {
        let agent = self.agent(name_or_id)?;
        self.write(|tx| {
            tx.execute_cached("DELETE FROM agents WHERE id = ?1", [&agent.id])?;
            Ok(())
        })
    }

    /// Attaches a store to an agent (or changes its access).
    pub fn attach_store(&self, agent: &str, store: &str, access: Access) -> Result<Agent> {
        let agent = self.agent(agent)?;
        let store = self.memory_store(store)?;
        let already = agent.stores.iter().any(|s| s.store_id == store.id);
        if !already && agent.stores.len() >= MAX_ATTACHED_STORES {
            return Err(Error::Invalid(format!(
                "'{}' already has {MAX_ATTACHED_STORES} memory stores attached; detach one first",
                agent.name
            )));
        }
        self.write(|tx| {
            tx.execute_cached(
                "INSERT INTO agent_stores (agent_id, store_id, access, position)
                 VALUES (?1, ?2, ?3, (SELECT COALESCE(MAX(position) + 1, 0) FROM agent_stores WHERE agent_id = ?1))
                 ON CONFLICT(agent_id, store_id) DO UPDATE SET access = excluded.access",
                params![agent.id, store.id, access.as_str()],
            )?;
            Ok(())
        })?;
        self.agent(&agent.id)
    }

    pub fn detach_store(&self, agent: &str, store: &str) -> Result<Agent> {
        let agent = self.agent(agent)?;
        let store = self.memory_store(store)?;
        self.write(|tx| {
            tx.execute_cached(
                "DELETE FROM agent_stores WHERE agent_id = ?1 AND store_id = ?2",
                params![agent.id, store.id],
            )?;
            Ok(())
        })?;
        self.agent(&agent.id)
    }

    /// The agents a coordinator may delegate to, in roster order.
    pub fn roster(&self, lead: &str) -> Result<Vec<Agent>> {
        let lead = self.agent(lead)?;
        let ids: Vec<String> = {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT member_id FROM roster_entries WHERE lead_id = ?1 ORDER BY position",
            )?;
            stmt.query_map([&lead.id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        ids.iter().map(|id| self.agent(id)).collect()
    }

    pub fn roster_add(&self, lead: &str, member: &str) -> Result<Vec<Agent>> {
        let lead_agent = self.agent(lead)?;
        let member_agent = self.agent(member)?;
        self.write(|tx| {
            let count: i64 = tx.query_row_cached(
                "SELECT COUNT(*) FROM roster_entries WHERE lead_id = ?1",
                [&lead_agent.id],
                |r| r.get(0),
            )?;
            let present: bool = tx.query_row_cached(
                "SELECT EXISTS(SELECT 1 FROM roster_entries WHERE lead_id = ?1 AND member_id = ?2)",
                params![lead_agent.id, member_agent.id],
                |r| r.get(0),
            )?;
            if present {
                return Ok(());
            }
            if count as usize >= MAX_ROSTER {
                return Err(Error::Invalid(format!(
                    "'{}' already has {MAX_ROSTER} agents on its roster; remove one first",
                    lead_agent.name
                )));
            }
            tx.execute_cached(
                "INSERT INTO roster_entries (lead_id, member_id, position) VALUES (?1, ?2, ?3)",
                params![lead_agent.id, member_agent.id, count],
            )?;
            Ok(())
        })?;
        self.roster(&lead_agent.id)
    }

    pub fn roster_remove(&self, lead: &str, member: &str) -> Result<Vec<Agent>> {
        let lead_agent = self.agent(lead)?;
        let member_agent = self.agent(member)?;
        let removed = self.write(|tx| {
            Ok(tx.execute_cached(
                "DELETE FROM roster_entries WHERE lead_id = ?1 AND member_id = ?2",
                params![lead_agent.id, member_agent.id],
            )?)
        })?;
        if removed == 0 {
            return Err(Error::not_found(
                "roster entry",
                format!("{} → {}", lead_agent.name, member_agent.name),
            ));
        }
        self.roster(&lead_agent.id)
    }
}

fn attached_stores(conn: &rusqlite::Connection, agent_id: &str) -> Result<Vec<AttachedStore>> {
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.name, a.access FROM agent_stores a JOIN memory_stores s ON s.id = a.store_id
         WHERE a.agent_id = ?1 ORDER BY a.position",
    )?;
    let rows = stmt.query_map([agent_id], |r| {
        let access: String = r.get(2)?;
        Ok(AttachedStore {
            store_id: r.get(0)?,
            store_name: r.get(1)?,
            access: access.parse().unwrap_or(Access::ReadOnly),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
