//! Pinned lines in dreams: an edit that would delete or change a line the
//! user pinned is dropped where the proposal is built ([`guard_pins`]) and
//! again where it is applied ([`drop_pinned_changes`]), each time with a
//! note saying why. Which lines are pinned is the store's (see
//! `crate::receipts`).

use std::collections::HashSet;

use super::BlockedEdit;
use crate::receipts::pinned_lines;
use crate::store::{Dream, EditDecision, EditOp, NewProposalEdit, ProposalEdit};
use crate::{Result, Store, memory_path};

/// Why an edit of `path` to `content` (None: deleted) would change a
/// pinned line; `None` when it keeps every pinned line.
fn pin_violation(
    store: &Store,
    store_id: &str,
    op: EditOp,
    path: &str,
    merged: &[String],
    content: Option<&str>,
) -> Result<Option<String>> {
    let kept: HashSet<&str> = match op {
        EditOp::Delete => HashSet::new(),
        _ => content.unwrap_or("").lines().collect(),
    };
    for p in std::iter::once(path).chain(merged.iter().map(String::as_str)) {
        let Ok(p) = memory_path::normalize(p) else { continue };
        for line in pinned_lines(store, store_id, &p)? {
            if !kept.contains(line.as_str()) {
                return Ok(Some(format!(
                    "it would delete or change the line \"{line}\" of {p}, which you pinned; dreams never change pinned lines"
                )));
            }
        }
    }
    Ok(None)
}

/// Where a proposal is built: edits that would delete or change a pinned
/// line leave the proposal, each with a note why.
pub fn guard_pins(
    store: &Store,
    store_id: &str,
    edits: Vec<NewProposalEdit>,
) -> Result<(Vec<NewProposalEdit>, Vec<BlockedEdit>)> {
    let mut kept = Vec::new();
    let mut blocked = Vec::new();
    for e in edits {
        match pin_violation(store, store_id, e.op, &e.path, &e.merged_paths, e.content.as_deref())? {
            Some(reason) => blocked.push(BlockedEdit {
                path: e.path.clone(),
                reason,
                source_session_ids: e.source_session_ids.clone(),
                origin: None,
            }),
            None => kept.push(e),
        }
    }
    Ok((kept, blocked))
}

/// A stored proposal without the edits that would change a pinned line
/// (pinned since the dream ran), and a note for each dropped one.
pub fn without_pinned_changes(
    store: &Store,
    dream: &Dream,
    edits: Vec<ProposalEdit>,
) -> Result<(Vec<ProposalEdit>, Vec<String>)> {
    let mut kept = Vec::new();
    let mut notes = Vec::new();
    for e in edits {
        if e.decision == EditDecision::Rejected {
            kept.push(e);
            continue;
        }
        match pin_violation(store, &dream.input_store_id, e.op, &e.path, &e.merged_paths, e.content.as_deref())? {
            Some(reason) => notes.push(format!("the edit of {} was dropped: {reason}", e.path)),
            None => kept.push(e),
        }
    }
    Ok((kept, notes))
}

/// Where a proposal is applied: marks the edits that would change a
/// pinned line rejected and records why on the dream (`progress.pin_notes`).
/// Returns the notes.
pub fn drop_pinned_changes(store: &Store, dream_id: &str) -> Result<Vec<String>> {
    let dream = store.dream(dream_id)?;
    let edits = store.proposal(dream_id)?;
    let mut notes = Vec::new();
    let mut rejected = Vec::new();
    for e in edits.iter().filter(|e| e.decision != EditDecision::Rejected) {
        if let Some(reason) =
            pin_violation(store, &dream.input_store_id, e.op, &e.path, &e.merged_paths, e.content.as_deref())?
        {
            notes.push(format!("the edit of {} was dropped: {reason}", e.path));
            rejected.push(e.id.clone());
        }
    }
    if rejected.is_empty() {
        return Ok(notes);
    }
    for id in &rejected {
        store.decide_edit(id, EditDecision::Rejected)?;
    }
    let mut progress = dream.progress.clone();
    if !progress.is_object() {
        progress = serde_json::json!({});
    }
    progress["pin_notes"] = serde_json::json!(notes);
    store.set_dream_progress(dream_id, &progress)?;
    Ok(notes)
}
