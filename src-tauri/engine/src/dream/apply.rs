//! Applying, rejecting and reverting a dream's proposal. Apply is one
//! transaction that writes versions authored by the dream (every edit or
//! none); each edit carries the sha256 of the document the dream read, so a
//! document changed since fails the apply instead of being overwritten.
//! Revert undoes a whole dream in one transaction by restoring what each
//! document held before; when later edits touched the same document it
//! reports the conflict and lets the user choose, and since every version
//! stays in history neither side is ever dropped.
//!
//! This module is the policy: which edits apply, when a proposal waits for
//! the user, what a conflict is and what the user is told. It runs no SQL;
//! each transaction is a `Store` method in `store::dreams`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::secrets;
use crate::store::{
    Dream, DreamMode, DreamStatus, EditDecision, EditOp, ProposalEdit, ProposalTarget,
    RevertStep, ReviewState, WriteMeta,
};
use crate::{Error, Result, Store, memory_path};

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
    super::pins::drop_pinned_changes(store, dream_id)?;
    let dream = store.dream(dream_id)?;
    let edits = store.proposal(dream_id)?;
    apply_staged(store, &dream, &edits)
}

/// [`apply_dream`] on a dream and proposal already read.
pub(crate) fn apply_staged(store: &Store, dream: &Dream, edits: &[ProposalEdit]) -> Result<Dream> {
    staged(dream)?;
    let chosen: Vec<&ProposalEdit> = edits
        .iter()
        .filter(|e| e.decision != EditDecision::Rejected)
        .collect();
    if chosen.is_empty() {
        return reject_dream(store, &dream.id);
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
    let review = if chosen.len() == edits.len() {
        ReviewState::Applied
    } else {
        ReviewState::PartiallyApplied
    };
    let copy_name;
    let target = match dream.mode {
        DreamMode::UpdateExisting => ProposalTarget::Input,
        DreamMode::CreateNew => {
            // `create_new`: a new store holding a copy of the input, which
            // the edits then change; the input store is never written.
            let input = store.memory_store(&dream.input_store_id)?;
            let suffix = dream.id[dream.id.len().saturating_sub(6)..].to_ascii_lowercase();
            copy_name = format!(
                "{}-dream-{suffix}",
                &input.name[..input.name.len().min(50)]
            );
            ProposalTarget::Copy {
                name: &copy_name,
                reason: format!("copied from {}", input.name),
            }
        }
    };
    store.apply_proposal(dream, &chosen, review, target, |e| {
        Error::Conflict(format!(
            "{} changed since the dream read it; reject that edit, or run a new dream",
            e.path
        ))
    })?;
    store.dream(&dream.id)
}

/// Marks a staged proposal rejected; memory is not touched.
pub fn reject_dream(store: &Store, dream_id: &str) -> Result<Dream> {
    let dream = store.dream(dream_id)?;
    staged(&dream)?;
    store.reject_proposal(dream_id)?;
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
    let mut plans = Vec::new();
    for doc in store.dream_documents(&dream.id)? {
        let before = match doc.before {
            Some(v) if v.content.is_none() && !v.deleted => {
                return Err(Error::Invalid(format!(
                    "the version of {} before this dream was redacted, so it cannot be restored; restore another version by hand",
                    v.path
                )));
            }
            Some(v) => Some((v.path, if v.deleted { None } else { v.content })),
            None => None,
        };
        plans.push(DocPlan {
            document_id: doc.document_id,
            store_id: doc.store_id,
            path: before
                .as_ref()
                .map(|b| b.0.clone())
                .unwrap_or(doc.dream.path.clone()),
            before,
            dream_content: if doc.dream.deleted {
                None
            } else {
                doc.dream.content
            },
            current: if doc.deleted_now {
                None
            } else {
                doc.head.content
            },
            conflict: doc.changed_since,
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
    let mut paths = Vec::new();
    for p in &plans {
        if p.conflict && choices.get(&p.path) == Some(&ConflictChoice::KeepCurrent) {
            kept.push(p.path.clone());
            continue;
        }
        // The dream created it (or it was deleted before): remove it.
        if !matches!(&p.before, Some((_, Some(_)))) && p.current.is_some() {
            paths.push(Some(memory_path::normalize(&p.path)?));
        } else {
            paths.push(None);
        }
        restored.push(p.path.clone());
    }
    let mut steps = Vec::new();
    for (p, normalized) in plans
        .iter()
        .filter(|p| !(p.conflict && choices.get(&p.path) == Some(&ConflictChoice::KeepCurrent)))
        .zip(&paths)
    {
        match (&p.before, normalized) {
            (Some((path, Some(content))), _) => steps.push(RevertStep::Restore {
                store_id: &p.store_id,
                document_id: &p.document_id,
                path,
                content,
            }),
            (_, Some(path)) => steps.push(RevertStep::Delete {
                store_id: &p.store_id,
                path,
            }),
            _ => {}
        }
    }
    store.revert_proposal(dream_id, &steps, &meta)?;
    Ok(RevertOutcome {
        dream: store.dream(dream_id)?,
        restored,
        kept,
    })
}
