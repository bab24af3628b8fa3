//! Dreams and their proposals. A dream is one review pass over an agent's
//! sessions; its output is a proposal — ordered memory edits, each with a
//! reason and the sessions that justify it. This module records dreams and
//! proposals; reviewing sessions, applying and reverting live in `dream`.

use super::CachedSql;
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::Store;
use super::sessions::Usage;
use super::sql::{from_json, to_json};
use crate::{Error, Result, ids};

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }
        impl $name {
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $text),+ } }
        }
        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(Error::Invalid(format!(
                        concat!("unknown ", stringify!($name), " '{}'; use one of: ", $($text, " "),+), other
                    ))),
                }
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(DreamStatus { Pending = "pending", Running = "running", Completed = "completed", Failed = "failed", Canceled = "canceled" });
string_enum!(
    /// `create_new` writes the proposal into a new store and leaves the input
    /// untouched; `update_existing` edits the input store in place.
    DreamMode { CreateNew = "create_new", UpdateExisting = "update_existing" }
);
string_enum!(DreamTrigger { Schedule = "schedule", Tray = "tray", Ui = "ui", Cli = "cli" });
string_enum!(ReviewState { None = "none", Staged = "staged", Applied = "applied", PartiallyApplied = "partially_applied", Rejected = "rejected", Reverted = "reverted" });
string_enum!(EditOp { Create = "create", Rewrite = "rewrite", Merge = "merge", Delete = "delete" });
string_enum!(EditDecision { Pending = "pending", Accepted = "accepted", Rejected = "rejected", Applied = "applied", Reverted = "reverted" });

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Dream {
    pub id: String,
    pub agent_id: String,
    pub input_store_id: String,
    pub output_store_id: Option<String>,
    pub mode: DreamMode,
    pub status: DreamStatus,
    pub review: ReviewState,
    pub trigger: DreamTrigger,
    pub provider: String,
    pub model: String,
    pub instructions: String,
    pub budget_tokens: Option<i64>,
    pub session_ids: Vec<String>,
    pub progress: serde_json::Value,
    pub usage: Usage,
    pub cost_usd: f64,
    pub error: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub applied_at: Option<String>,
    pub reverted_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewDream {
    pub agent_id: String,
    pub input_store_id: String,
    pub mode: DreamMode,
    pub trigger: DreamTrigger,
    pub provider: String,
    pub model: String,
    #[serde(default)]
    pub instructions: String,
    pub budget_tokens: Option<i64>,
    pub session_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProposalEdit {
    pub id: String,
    pub dream_id: String,
    pub position: i64,
    pub op: EditOp,
    pub path: String,
    /// For a merge: the documents folded into `path` (and then deleted).
    pub merged_paths: Vec<String>,
    pub content: Option<String>,
    /// The document's sha256 when the dream read it (None: did not exist).
    pub base_sha256: Option<String>,
    pub reason: String,
    pub source_session_ids: Vec<String>,
    pub decision: EditDecision,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewProposalEdit {
    pub op: EditOp,
    pub path: String,
    #[serde(default)]
    pub merged_paths: Vec<String>,
    pub content: Option<String>,
    pub base_sha256: Option<String>,
    pub reason: String,
    pub source_session_ids: Vec<String>,
}

const DREAM_COLUMNS: &str = "id, agent_id, input_store_id, output_store_id, mode, status, review, trigger_kind, \
    provider, model, instructions, budget_tokens, session_ids, progress, input_tokens, output_tokens, \
    cache_creation_input_tokens, cache_read_input_tokens, cost_usd, error, created_at, started_at, finished_at, \
    applied_at, reverted_at";

fn parse<T: std::str::FromStr<Err = Error>>(r: &Row<'_>, i: usize) -> rusqlite::Result<T> {
    r.get::<_, String>(i)?.parse().map_err(|e: Error| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            e.to_string().into(),
        )
    })
}

fn dream_from_row(r: &Row<'_>) -> rusqlite::Result<Dream> {
    Ok(Dream {
        id: r.get(0)?,
        agent_id: r.get(1)?,
        input_store_id: r.get(2)?,
        output_store_id: r.get(3)?,
        mode: parse(r, 4)?,
        status: parse(r, 5)?,
        review: parse(r, 6)?,
        trigger: parse(r, 7)?,
        provider: r.get(8)?,
        model: r.get(9)?,
        instructions: r.get(10)?,
        budget_tokens: r.get(11)?,
        session_ids: from_json(&r.get::<_, String>(12)?)?,
        progress: from_json(&r.get::<_, String>(13)?)?,
        usage: Usage {
            input_tokens: r.get(14)?,
            output_tokens: r.get(15)?,
            cache_creation_input_tokens: r.get(16)?,
            cache_read_input_tokens: r.get(17)?,
        },
        cost_usd: r.get(18)?,
        error: r.get(19)?,
        created_at: r.get(20)?,
        started_at: r.get(21)?,
        finished_at: r.get(22)?,
        applied_at: r.get(23)?,
        reverted_at: r.get(24)?,
    })
}

const EDIT_COLUMNS: &str = "id, dream_id, position, op, path, merged_paths, content, base_sha256, reason, source_session_ids, decision";

fn edit_from_row(r: &Row<'_>) -> rusqlite::Result<ProposalEdit> {
    Ok(ProposalEdit {
        id: r.get(0)?,
        dream_id: r.get(1)?,
        position: r.get(2)?,
        op: parse(r, 3)?,
        path: r.get(4)?,
        merged_paths: from_json(&r.get::<_, String>(5)?)?,
        content: r.get(6)?,
        base_sha256: r.get(7)?,
        reason: r.get(8)?,
        source_session_ids: from_json(&r.get::<_, String>(9)?)?,
        decision: parse(r, 10)?,
    })
}

impl Store {
    pub fn create_dream(&self, new: &NewDream) -> Result<Dream> {
        let id = ids::new_id();
        self.write(|tx| {
            tx.execute_cached(
                "INSERT INTO dreams (id, agent_id, input_store_id, mode, status, trigger_kind, provider, model,
                   instructions, budget_tokens, session_ids, created_at)
                 VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    id, new.agent_id, new.input_store_id, new.mode.as_str(), new.trigger.as_str(), new.provider,
                    new.model, new.instructions, new.budget_tokens, to_json(&new.session_ids), ids::now()
                ],
            )?;
            Ok(())
        })?;
        self.dream(&id)
    }

    pub fn dream(&self, id: &str) -> Result<Dream> {
        self.conn()
            .query_row_cached(
                &format!("SELECT {DREAM_COLUMNS} FROM dreams WHERE id = ?1"),
                [id],
                dream_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::not_found("dream", id))
    }

    /// Dreams, newest first, optionally of one agent.
    pub fn list_dreams(&self, agent_id: Option<&str>, limit: usize) -> Result<Vec<Dream>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DREAM_COLUMNS} FROM dreams WHERE (?1 IS NULL OR agent_id = ?1) ORDER BY created_at DESC, id DESC LIMIT ?2"
        ))?;
        Ok(stmt
            .query_map(params![agent_id, limit as i64], dream_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Moves a dream to a new status. Only forward moves out of
    /// pending/running are allowed; finished dreams stay finished.
    pub fn set_dream_status(
        &self,
        id: &str,
        status: DreamStatus,
        error: Option<&str>,
    ) -> Result<Dream> {
        let changed = self.write(|tx| {
            Ok(tx.execute_cached(
                "UPDATE dreams SET status = ?2, error = ?3,
                   started_at = CASE WHEN ?2 = 'running' THEN COALESCE(started_at, ?4) ELSE started_at END,
                   finished_at = CASE WHEN ?2 IN ('completed', 'failed', 'canceled') THEN ?4 ELSE finished_at END
                 WHERE id = ?1 AND status IN ('pending', 'running')",
                params![id, status.as_str(), error, ids::now()],
            )?)
        })?;
        let dream = self.dream(id)?;
        if changed == 0 {
            return Err(Error::Invalid(format!(
                "dream {id} is already {}",
                dream.status.as_str()
            )));
        }
        Ok(dream)
    }

    pub fn set_dream_progress(&self, id: &str, progress: &serde_json::Value) -> Result<()> {
        self.write(|tx| {
            tx.execute_cached(
                "UPDATE dreams SET progress = ?2 WHERE id = ?1",
                params![id, to_json(progress)],
            )?;
            Ok(())
        })
    }

    pub fn add_dream_usage(&self, id: &str, usage: Usage, cost_usd: f64) -> Result<()> {
        self.write(|tx| {
            tx.execute_cached(
                "UPDATE dreams SET input_tokens = input_tokens + ?2, output_tokens = output_tokens + ?3,
                 cache_creation_input_tokens = cache_creation_input_tokens + ?4,
                 cache_read_input_tokens = cache_read_input_tokens + ?5, cost_usd = cost_usd + ?6 WHERE id = ?1",
                params![
                    id, usage.input_tokens, usage.output_tokens, usage.cache_creation_input_tokens,
                    usage.cache_read_input_tokens, cost_usd
                ],
            )?;
            Ok(())
        })
    }

    /// Stores a running dream's proposal and marks it completed and staged,
    /// in one transaction.
    pub fn complete_dream(&self, id: &str, edits: &[NewProposalEdit]) -> Result<Dream> {
        self.write(|tx| {
            let status: String = tx
                .query_row_cached("SELECT status FROM dreams WHERE id = ?1", [id], |r| r.get(0))
                .optional()?
                .ok_or_else(|| Error::not_found("dream", id))?;
            if status != "running" {
                return Err(Error::Invalid(format!("dream {id} is {status}; only a running dream can complete")));
            }
            for (position, edit) in edits.iter().enumerate() {
                tx.execute_cached(
                    &format!("INSERT INTO proposal_edits ({EDIT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending')"),
                    params![
                        ids::new_id(), id, position as i64, edit.op.as_str(), edit.path, to_json(&edit.merged_paths),
                        edit.content, edit.base_sha256, edit.reason, to_json(&edit.source_session_ids)
                    ],
                )?;
            }
            tx.execute_cached(
                "UPDATE dreams SET status = 'completed', review = 'staged', finished_at = ?2 WHERE id = ?1",
                params![id, ids::now()],
            )?;
            // The sessions it read are reviewed, in the same transaction.
            tx.execute_cached(
                "UPDATE sessions SET reviewed_by_dream_id = ?1
                 WHERE id IN (SELECT j.value FROM dreams d, json_each(d.session_ids) j WHERE d.id = ?1)",
                [id],
            )?;
            Ok(())
        })?;
        self.dream(id)
    }

    pub fn proposal(&self, dream_id: &str) -> Result<Vec<ProposalEdit>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {EDIT_COLUMNS} FROM proposal_edits WHERE dream_id = ?1 ORDER BY position"
        ))?;
        Ok(stmt
            .query_map([dream_id], edit_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Records the user's accept/reject of one edit before apply.
    pub fn decide_edit(&self, edit_id: &str, decision: EditDecision) -> Result<ProposalEdit> {
        if !matches!(
            decision,
            EditDecision::Accepted | EditDecision::Rejected | EditDecision::Pending
        ) {
            return Err(Error::Invalid("an edit can be accepted, rejected or left pending; applying happens with the dream".into()));
        }
        let changed = self.write(|tx| {
            Ok(tx.execute_cached(
                "UPDATE proposal_edits SET decision = ?2 WHERE id = ?1 AND decision IN ('pending', 'accepted', 'rejected')",
                params![edit_id, decision.as_str()],
            )?)
        })?;
        let edit = self
            .conn()
            .query_row_cached(
                &format!("SELECT {EDIT_COLUMNS} FROM proposal_edits WHERE id = ?1"),
                [edit_id],
                edit_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::not_found("proposal edit", edit_id))?;
        if changed == 0 {
            return Err(Error::Invalid(format!(
                "this edit was already {}",
                edit.decision.as_str()
            )));
        }
        Ok(edit)
    }

    /// The newest dream of an agent that completed (its sessions are the
    /// ones the next dream can skip).
    pub fn last_completed_dream(&self, agent_id: &str) -> Result<Option<Dream>> {
        Ok(self
            .conn()
            .query_row_cached(
                &format!("SELECT {DREAM_COLUMNS} FROM dreams WHERE agent_id = ?1 AND status = 'completed' ORDER BY created_at DESC, id DESC LIMIT 1"),
                [agent_id],
                dream_from_row,
            )
            .optional()?)
    }
}

impl Store {
    /// The finished sessions of an agent that no completed dream has
    /// reviewed yet, oldest first: its own sessions, the ones it ran as
    /// another agent's subagent, and imported ones, whatever their age.
    pub fn unreviewed_sessions(&self, agent_id: &str) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM sessions WHERE agent_id = ?1 AND status != 'running'
               AND reviewed_by_dream_id IS NULL
               AND id NOT IN (SELECT session_id FROM eval_sessions) ORDER BY started_at, id",
        )?;
        Ok(stmt
            .query_map([agent_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }
}
