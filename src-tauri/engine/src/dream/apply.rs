//! Applying, rejecting and reverting a dream's proposal. Apply is one
//! transaction that writes versions authored by the dream (every edit or
//! none); each edit carries the sha256 of the document the dream read, so a
//! document changed since fails the apply instead of being overwritten.
//! Revert undoes a whole dream in one transaction by restoring what each
//! document held before; when later edits touched the same document it
//! reports the conflict and lets the user choose, and since every version
//! stays in history neither side is ever dropped.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};

use crate::secrets;
use crate::store::memory::{delete_document_in, restore_content_in, write_document_in};
use crate::store::{
    Dream, DreamMode, DreamStatus, EditDecision, EditOp, ProposalEdit, ReviewState, WriteMeta,
};
use crate::{Error, Result, Store, ids, memory_path};

/// Why a proposal must wait for the user even under the `auto` policy: it
/// deletes more than a quarter of the memory, or touches a pinned document.
pub fn needs_review(
    store: &Store,
    dream: &Dream,
    edits: &[ProposalEdit],
) -> Result<Option<String>> {
    let docs = store.list_documents(&dream.input_store_id, None)?;
    let pinned: Vec<&str> = docs
        .iter()
        .filter(|d| d.pinned)
        .map(|d| d.path.as_str())
        .collect();
    let mut deleted = 0usize;
    for e in edits
        .iter()
        .filter(|e| e.decision != EditDecision::Rejected)
    {
        let gone: Vec<&str> = match e.op {
            EditOp::Delete => vec![e.path.as_str()],
            EditOp::Merge => e.merged_paths.iter().map(String::as_str).collect(),
            _ => vec![],
        };
        deleted += gone.len();
        if let Some(p) = std::iter::once(e.path.as_str())
            .chain(e.merged_paths.iter().map(String::as_str))
            .find(|p| pinned.contains(p))
        {
            return Ok(Some(format!("it changes {p}, which you pinned")));
        }
    }
    if !docs.is_empty() && deleted * 4 > docs.len() {
        return Ok(Some(format!(
            "it would delete {deleted} of {} documents (more than a quarter of the memory)",
            docs.len()
        )));
    }
    Ok(None)
}

fn staged(dream: &Dream) -> Result<()> {
    if dream.status != DreamStatus::Completed || dream.review != ReviewState::Staged {
        return Err(Error::Invalid(format!(
            "dream {} is {} ({}); only a completed dream whose proposal is staged can be applied or rejected",
            dream.id,
            dream.status.as_str(),
            dream.review.as_str()
        )));
    }
    Ok(())
}

/// Applies the staged proposal: every edit not rejected, in one transaction.
pub fn apply_dream(store: &Store, dream_id: &str) -> Result<Dream> {
    staged(&store.dream(dream_id)?)?;
    // Edits that would change a line pinned since the dream are dropped, with a note.
    crate::eval::blame::drop_pinned_changes(store, dream_id)?;
    let dream = store.dream(dream_id)?;
    let edits = store.proposal(dream_id)?;
    let chosen: Vec<&ProposalEdit> = edits
        .iter()
        .filter(|e| e.decision != EditDecision::Rejected)
        .collect();
    if chosen.is_empty() {
        return reject_dream(store, dream_id);
    }
    for e in &chosen {
        if let Some(content) = &e.content {
            if let Some(why) = secrets::refusal(content) {
                return Err(Error::Secret(format!(
                    "the edit of {} was not applied: {why}; secrets never go into memory — reject that edit",
                    e.path
                )));
            }
        }
    }
    let input = store.memory_store(&dream.input_store_id)?;
    let review = if chosen.len() == edits.len() {
        ReviewState::Applied
    } else {
        ReviewState::PartiallyApplied
    };
    store.write(|tx| {
        let target = match dream.mode {
            DreamMode::UpdateExisting => input.id.clone(),
            DreamMode::CreateNew => copy_store(tx, store, &input.id, &input.name, &dream)?,
        };
        for e in &chosen {
            apply_edit(tx, &target, &dream, e).map_err(|err| match err {
                Error::Conflict(_) => Error::Conflict(format!(
                    "{} changed since the dream read it; reject that edit, or run a new dream",
                    e.path
                )),
                other => other,
            })?;
            tx.execute(
                "UPDATE proposal_edits SET decision = 'applied' WHERE id = ?1",
                [&e.id],
            )?;
        }
        tx.execute(
            "UPDATE dreams SET review = ?2, applied_at = ?3, output_store_id = ?4 WHERE id = ?1",
            params![dream.id, review.as_str(), ids::now(), target],
        )?;
        Ok(())
    })?;
    store.dream(dream_id)
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

/// `create_new`: a new store holding a copy of the input, which the edits
/// then change; the input store is never written.
fn copy_store(
    tx: &Transaction<'_>,
    store: &Store,
    input_id: &str,
    input_name: &str,
    dream: &Dream,
) -> Result<String> {
    let id = ids::new_id();
    let suffix = dream.id[dream.id.len().saturating_sub(6)..].to_ascii_lowercase();
    let name: String = format!("{}-dream-{suffix}", &input_name[..input_name.len().min(50)]);
    tx.execute(
        "INSERT INTO memory_stores (id, name, description, instructions, size_limit_bytes, created_at)
         SELECT ?1, ?2, description, instructions, size_limit_bytes, ?3 FROM memory_stores WHERE id = ?4",
        params![id, name, ids::now(), input_id],
    )?;
    let meta = WriteMeta::dream(&dream.id, format!("copied from {input_name}"));
    for (path, content) in documents_in(tx, store, input_id)? {
        write_document_in(tx, &id, &path, &content, &meta)?;
    }
    Ok(id)
}

fn documents_in(
    tx: &Transaction<'_>,
    _store: &Store,
    store_id: &str,
) -> Result<Vec<(String, String)>> {
    let mut stmt = tx.prepare(
        "SELECT d.path, v.content FROM documents d JOIN document_versions v ON v.id = d.head_version_id
         WHERE d.store_id = ?1 AND d.deleted = 0 AND v.content IS NOT NULL ORDER BY d.path",
    )?;
    Ok(stmt
        .query_map([store_id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?)
}

/// Marks a staged proposal rejected; memory is not touched.
pub fn reject_dream(store: &Store, dream_id: &str) -> Result<Dream> {
    let dream = store.dream(dream_id)?;
    staged(&dream)?;
    store.write(|tx| {
        tx.execute(
            "UPDATE proposal_edits SET decision = 'rejected' WHERE dream_id = ?1 AND decision IN ('pending', 'accepted', 'rejected')",
            [dream_id],
        )?;
        tx.execute("UPDATE dreams SET review = 'rejected' WHERE id = ?1", [dream_id])?;
        Ok(())
    })?;
    store.dream(dream_id)
}

/// A document a later edit changed after the dream did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RevertConflict {
    pub path: String,
    /// What the document held before the dream (`None`: the dream created it).
    pub before: Option<String>,
    /// What the dream wrote (`None`: the dream deleted it).
    pub dream: Option<String>,
    /// What it holds now (`None`: deleted since).
    pub current: Option<String>,
}

/// What to do with a conflicting document on revert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConflictChoice {
    /// Leave the later edit as the current version.
    KeepCurrent,
    /// Restore what was there before the dream (the later edit stays in history).
    RestoreBefore,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RevertOutcome {
    pub dream: Dream,
    pub restored: Vec<String>,
    pub kept: Vec<String>,
}

struct DocPlan {
    document_id: String,
    store_id: String,
    path: String,
    before: Option<(String, Option<String>)>,
    dream_content: Option<String>,
    current: Option<String>,
    conflict: bool,
}

fn revert_plan(store: &Store, dream: &Dream) -> Result<Vec<DocPlan>> {
    let conn = store.conn();
    let mut stmt = conn.prepare(
        "SELECT v.document_id, d.store_id, MIN(v.seq), MAX(v.seq), d.head_version_id,
                (SELECT seq FROM document_versions WHERE id = d.head_version_id), d.deleted
         FROM document_versions v JOIN documents d ON d.id = v.document_id
         WHERE v.dream_id = ?1 GROUP BY v.document_id ORDER BY MIN(v.path)",
    )?;
    let rows: Vec<(String, String, i64, i64, String, i64, bool)> = stmt
        .query_map([&dream.id], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let version = |doc: &str, seq: i64| -> Result<Option<(String, Option<String>, String)>> {
        Ok(conn
            .query_row(
                "SELECT path, content, op FROM document_versions WHERE document_id = ?1 AND seq = ?2",
                params![doc, seq],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    };
    let mut plans = Vec::new();
    for (doc, store_id, first, last, _head, head_seq, deleted) in rows {
        let before = match if first > 1 {
            version(&doc, first - 1)?
        } else {
            None
        } {
            Some((p, None, op)) if op != "delete" => {
                return Err(Error::Invalid(format!(
                    "the version of {p} before this dream was redacted, so it cannot be restored; restore another version by hand"
                )));
            }
            Some((p, c, op)) => Some((p, if op == "delete" { None } else { c })),
            None => None,
        };
        let dream_v = version(&doc, last)?.expect("the dream's version exists");
        let head_v = version(&doc, head_seq)?.expect("the head version exists");
        plans.push(DocPlan {
            document_id: doc,
            store_id,
            path: before
                .as_ref()
                .map(|b| b.0.clone())
                .unwrap_or(dream_v.0.clone()),
            before,
            dream_content: if dream_v.2 == "delete" {
                None
            } else {
                dream_v.1
            },
            current: if deleted { None } else { head_v.1 },
            conflict: head_seq != last,
        });
    }
    Ok(plans)
}

/// The documents later edits changed after this dream (empty: a clean revert).
pub fn revert_conflicts(store: &Store, dream_id: &str) -> Result<Vec<RevertConflict>> {
    let dream = store.dream(dream_id)?;
    Ok(revert_plan(store, &dream)?
        .into_iter()
        .filter(|p| p.conflict)
        .map(|p| RevertConflict {
            path: p.path,
            before: p.before.and_then(|b| b.1),
            dream: p.dream_content,
            current: p.current,
        })
        .collect())
}

/// Reverts an applied dream as a unit. With conflicts and no choice for
/// each conflicting path, nothing changes and the conflict is reported.
pub fn revert_dream(
    store: &Store,
    dream_id: &str,
    choices: &BTreeMap<String, ConflictChoice>,
) -> Result<RevertOutcome> {
    let dream = store.dream(dream_id)?;
    if !matches!(
        dream.review,
        ReviewState::Applied | ReviewState::PartiallyApplied
    ) {
        return Err(Error::Invalid(format!(
            "dream {dream_id} is {}; only an applied dream can be reverted",
            dream.review.as_str()
        )));
    }
    let plans = revert_plan(store, &dream)?;
    let undecided: Vec<&str> = plans
        .iter()
        .filter(|p| p.conflict && !choices.contains_key(&p.path))
        .map(|p| p.path.as_str())
        .collect();
    if !undecided.is_empty() {
        return Err(Error::Conflict(format!(
            "{} changed after the dream; choose for each whether to keep the current version or restore the one before the dream",
            undecided.join(", ")
        )));
    }
    // A revert puts back what memory held before the dream; it adds nothing new.
    let meta = WriteMeta::user(format!("revert of dream {dream_id}")).allowing_secrets();
    let (mut restored, mut kept) = (Vec::new(), Vec::new());
    store.write(|tx| {
        for p in &plans {
            if p.conflict && choices.get(&p.path) == Some(&ConflictChoice::KeepCurrent) {
                kept.push(p.path.clone());
                continue;
            }
            match &p.before {
                Some((path, Some(content))) => {
                    restore_content_in(tx, &p.store_id, &p.document_id, path, content, &meta)?;
                }
                // The dream created it (or it was deleted before): remove it.
                _ => {
                    if p.current.is_some() {
                        let path = memory_path::normalize(&p.path)?;
                        delete_document_in(tx, &p.store_id, &path, &meta)?;
                    }
                }
            }
            restored.push(p.path.clone());
        }
        tx.execute(
            "UPDATE proposal_edits SET decision = 'reverted' WHERE dream_id = ?1 AND decision = 'applied'",
            [dream_id],
        )?;
        tx.execute(
            "UPDATE dreams SET review = 'reverted', reverted_at = ?2 WHERE id = ?1",
            params![dream_id, ids::now()],
        )?;
        Ok(())
    })?;
    Ok(RevertOutcome {
        dream: store.dream(dream_id)?,
        restored,
        kept,
    })
}
