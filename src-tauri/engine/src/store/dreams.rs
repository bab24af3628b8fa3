//! Dreams and their proposals. A dream is one review pass over an agent's
//! sessions; its output is a proposal — ordered memory edits, each with a
//! reason and the sessions that justify it.
//!
//! This module owns every statement on `dreams` and `proposal_edits`:
//! recording a dream and its proposal, finding dreams left unfinished, and
//! the apply, reject and revert transactions (each one transaction, so
//! memory changes all at once or not at all). It never decides anything:
//! which edits to apply, what counts as a conflict worth asking about and
//! every sentence the user reads are the policy of `crate::dream`, which
//! calls in here. Like the rest of `store`, it never imports `dream` or
//! any module built on the store.

use super::CachedSql;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};

use super::Store;
use super::memory::{WriteMeta, delete_document_in, restore_content_in, write_document_in};
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

/// Where an applied proposal is written.
pub enum ProposalTarget<'a> {
    /// The dream's input store, in place.
    Input,
    /// A new store named `name`, first filled with a copy of the input
    /// (each copied document's version gives `reason`).
    Copy { name: &'a str, reason: String },
}

/// One version of a document, as a revert reads it.
#[derive(Debug, Clone)]
pub struct VersionRow {
    pub path: String,
    /// `None` when redacted or a deletion.
    pub content: Option<String>,
    pub deleted: bool,
}

/// What a dream wrote to one document and what happened around it: the
/// version before the dream, the dream's last version and the head now.
#[derive(Debug, Clone)]
pub struct DreamDocument {
    pub document_id: String,
    pub store_id: String,
    /// The version just before the dream's first (`None`: the dream created it).
    pub before: Option<VersionRow>,
    pub dream: VersionRow,
    pub head: VersionRow,
    /// Whether the document is deleted now.
    pub deleted_now: bool,
    /// A later version than the dream's exists.
    pub changed_since: bool,
}

/// One step of a revert, as the dream's policy chose it.
pub enum RevertStep<'a> {
    /// Restore `content` as the document's current version at `path`.
    Restore {
        store_id: &'a str,
        document_id: &'a str,
        path: &'a str,
        content: &'a str,
    },
    /// Delete the document at `path` (already normalised).
    Delete { store_id: &'a str, path: &'a str },
}

impl Store {
    /// Dreams still `pending` or `running` (id, agent id): the ones whose
    /// process may have stopped.
    pub fn unfinished_dreams(&self) -> Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, agent_id FROM dreams WHERE status IN ('pending', 'running')",
        )?;
        Ok(stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Writes the chosen edits of a staged proposal in one transaction,
    /// marks them applied and the dream `review`; every edit or none. An
    /// edit whose document changed since the dream read it fails the
    /// whole apply with `conflict(edit)`. Returns the store written.
    pub fn apply_proposal(
        &self,
        dream: &Dream,
        chosen: &[&ProposalEdit],
        review: ReviewState,
        target: ProposalTarget<'_>,
        conflict: impl Fn(&ProposalEdit) -> Error,
    ) -> Result<String> {
        self.write(|tx| {
            let target = match &target {
                ProposalTarget::Input => dream.input_store_id.clone(),
                ProposalTarget::Copy { name, reason } => {
                    copy_store(tx, &dream.input_store_id, name, &WriteMeta::dream(&dream.id, reason.clone()))?
                }
            };
            for e in chosen {
                apply_edit(tx, &target, dream, e).map_err(|err| match err {
                    Error::Conflict(_) => conflict(e),
                    other => other,
                })?;
                tx.execute_cached(
                    "UPDATE proposal_edits SET decision = 'applied' WHERE id = ?1",
                    [&e.id],
                )?;
            }
            tx.execute_cached(
                "UPDATE dreams SET review = ?2, applied_at = ?3, output_store_id = ?4 WHERE id = ?1",
                params![dream.id, review.as_str(), ids::now(), target],
            )?;
            Ok(target)
        })
    }

    /// Marks every undecided edit of a proposal, and the dream, rejected;
    /// memory is not touched.
    pub fn reject_proposal(&self, dream_id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute_cached(
                "UPDATE proposal_edits SET decision = 'rejected' WHERE dream_id = ?1 AND decision IN ('pending', 'accepted', 'rejected')",
                [dream_id],
            )?;
            tx.execute_cached("UPDATE dreams SET review = 'rejected' WHERE id = ?1", [dream_id])?;
            Ok(())
        })
    }

    /// Every document a dream wrote, by path, with the versions a revert
    /// needs.
    pub fn dream_documents(&self, dream_id: &str) -> Result<Vec<DreamDocument>> {
        let conn = self.conn();
        let rows: Vec<(String, String, i64, i64, i64, bool)> = {
            let mut stmt = conn.prepare_cached(
                "SELECT v.document_id, d.store_id, MIN(v.seq), MAX(v.seq),
                        (SELECT seq FROM document_versions WHERE id = d.head_version_id), d.deleted
                 FROM document_versions v JOIN documents d ON d.id = v.document_id
                 WHERE v.dream_id = ?1 GROUP BY v.document_id ORDER BY MIN(v.path)",
            )?;
            stmt.query_map([dream_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })?
            .collect::<rusqlite::Result<_>>()?
        };
        let version = |doc: &str, seq: i64| -> Result<Option<VersionRow>> {
            Ok(conn
                .query_row_cached(
                    "SELECT path, content, op FROM document_versions WHERE document_id = ?1 AND seq = ?2",
                    params![doc, seq],
                    |r| {
                        let op: String = r.get(2)?;
                        Ok(VersionRow {
                            path: r.get(0)?,
                            content: r.get(1)?,
                            deleted: op == "delete",
                        })
                    },
                )
                .optional()?)
        };
        let mut out = Vec::with_capacity(rows.len());
        for (doc, store_id, first, last, head_seq, deleted) in rows {
            let before = if first > 1 { version(&doc, first - 1)? } else { None };
            let dream = version(&doc, last)?.expect("the dream's version exists");
            let head = version(&doc, head_seq)?.expect("the head version exists");
            out.push(DreamDocument {
                document_id: doc,
                store_id,
                before,
                dream,
                head,
                deleted_now: deleted,
                changed_since: head_seq != last,
            });
        }
        Ok(out)
    }

    /// Runs a revert's steps and marks the dream and its applied edits
    /// reverted, in one transaction.
    pub fn revert_proposal(
        &self,
        dream_id: &str,
        steps: &[RevertStep<'_>],
        meta: &WriteMeta,
    ) -> Result<()> {
        self.write(|tx| {
            for step in steps {
                match step {
                    RevertStep::Restore {
                        store_id,
                        document_id,
                        path,
                        content,
                    } => {
                        restore_content_in(tx, store_id, document_id, path, content, meta)?;
                    }
                    RevertStep::Delete { store_id, path } => {
                        delete_document_in(tx, store_id, path, meta)?;
                    }
                }
            }
            tx.execute_cached(
                "UPDATE proposal_edits SET decision = 'reverted' WHERE dream_id = ?1 AND decision = 'applied'",
                [dream_id],
            )?;
            tx.execute_cached(
                "UPDATE dreams SET review = 'reverted', reverted_at = ?2 WHERE id = ?1",
                params![dream_id, ids::now()],
            )?;
            Ok(())
        })
    }
}

fn apply_edit(tx: &Transaction<'_>, store_id: &str, dream: &Dream, e: &ProposalEdit) -> Result<()> {
    let meta = WriteMeta::dream(&dream.id, e.reason.clone());
    let expecting = |m: &WriteMeta| {
        m.clone()
            .expecting(e.base_sha256.clone().unwrap_or_default())
    };
    match e.op {
        EditOp::Create | EditOp::Rewrite | EditOp::Merge => {
            let content = e.content.as_deref().unwrap_or_default();
            write_document_in(tx, store_id, &e.path, content, &expecting(&meta))?;
            for merged in &e.merged_paths {
                delete_document_in(tx, store_id, merged, &meta)?;
            }
        }
        EditOp::Delete => {
            delete_document_in(tx, store_id, &e.path, &expecting(&meta))?;
        }
    }
    Ok(())
}

/// A new store `name` holding a copy of `input_id`'s current documents.
fn copy_store(tx: &Transaction<'_>, input_id: &str, name: &str, meta: &WriteMeta) -> Result<String> {
    let id = ids::new_id();
    tx.execute(
        "INSERT INTO memory_stores (id, name, description, instructions, size_limit_bytes, created_at)
         SELECT ?1, ?2, description, instructions, size_limit_bytes, ?3 FROM memory_stores WHERE id = ?4",
        params![id, name, ids::now(), input_id],
    )?;
    let documents: Vec<(String, String)> = {
        let mut stmt = tx.prepare(
            "SELECT d.path, v.content FROM documents d JOIN document_versions v ON v.id = d.head_version_id
             WHERE d.store_id = ?1 AND d.deleted = 0 AND v.content IS NOT NULL ORDER BY d.path",
        )?;
        stmt.query_map([input_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    for (path, content) in documents {
        write_document_in(tx, &id, &path, &content, meta)?;
    }
    Ok(id)
}
