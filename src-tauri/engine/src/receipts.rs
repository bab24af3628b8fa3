//! Memory receipts: who wrote each line of a document (blame), and line
//! actions — correct a line, forget it, pin it (dreams never delete or
//! change a pinned line; `dream::pins` enforces it).
//!
//! Attribution walks a document's history ([`walk_introductions`]): a line
//! belongs to the latest version that introduced it (it was not in the
//! version before). The same walk tells provenance which lines the user
//! wrote ([`add_memory_evidence`]), so trust and receipts always agree.
//!
//! It reads and writes only through the store, and never calls a model.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::store::{AuthorKind, DocumentVersion, WriteMeta};
use crate::{Error, Result, Store, memory_path};

/// Calls `f(version_index, line)` for every line a version introduced
/// (absent from the version before it), oldest version first. Deleted and
/// redacted versions introduce nothing.
pub(crate) fn walk_introductions<'a>(
    history: &'a [DocumentVersion],
    mut f: impl FnMut(usize, &'a str),
) {
    let mut previous: HashSet<&str> = HashSet::new();
    for (i, version) in history.iter().enumerate() {
        let Some(content) = version.content.as_deref() else {
            continue;
        };
        for line in content.lines() {
            if !previous.contains(line) {
                f(i, line);
            }
        }
        previous = content.lines().collect();
    }
}

/// One line of a document and where it came from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BlameLine {
    /// 1-based.
    pub line: usize,
    pub text: String,
    /// The version that introduced it.
    pub version_id: Option<String>,
    pub seq: Option<i64>,
    /// `user`, `agent`, `dream` or `external`.
    pub author: Option<AuthorKind>,
    /// The agent's session, for an agent's write.
    pub session_id: Option<String>,
    /// The dream, for a dream's write.
    pub dream_id: Option<String>,
    pub reason: Option<String>,
    pub written_at: Option<String>,
    pub pinned: bool,
}

/// Each line of the document's current text with the version that
/// introduced it and who wrote it.
pub fn blame(store: &Store, store_id: &str, path: &str) -> Result<Vec<BlameLine>> {
    Ok(blame_at(store, store_id, path, None)?.1)
}

/// Each line of version `seq` of a document (its current text when `None`)
/// with the version that introduced it and who wrote it: the receipt of a
/// memory read. Returns the version's number with the lines.
pub fn blame_at(
    store: &Store,
    store_id: &str,
    path: &str,
    seq: Option<i64>,
) -> Result<(i64, Vec<BlameLine>)> {
    let mut history = store.document_history(store_id, path)?;
    let (shown, current) = match seq {
        None => {
            let (doc, content) = store
                .read_document(store_id, path)?
                .ok_or_else(|| Error::not_found("document", path))?;
            (doc.version, content)
        }
        Some(seq) => {
            history.retain(|v| v.seq <= seq);
            let version = history
                .last()
                .filter(|v| v.seq == seq)
                .ok_or_else(|| Error::not_found("version", format!("{path} version {seq}")))?;
            let content = version.content.clone().ok_or_else(|| {
                Error::Invalid(format!(
                    "version {seq} of {path} was deleted or its text was removed (redacted)"
                ))
            })?;
            (seq, content)
        }
    };
    let mut origin: HashMap<&str, usize> = HashMap::new();
    walk_introductions(&history, |i, line| {
        origin.insert(line, i);
    });
    let pins = pinned_lines(store, store_id, path)?;
    let lines = current
        .lines()
        .enumerate()
        .map(|(n, text)| {
            let v = origin.get(text).map(|&i| &history[i]);
            BlameLine {
                line: n + 1,
                text: text.to_string(),
                version_id: v.map(|v| v.id.clone()),
                seq: v.map(|v| v.seq),
                author: v.map(|v| v.author),
                session_id: v.and_then(|v| v.session_id.clone()),
                dream_id: v.and_then(|v| v.dream_id.clone()),
                reason: v.map(|v| v.reason.clone()),
                written_at: v.map(|v| v.created_at.clone()),
                pinned: pins.contains(text),
            }
        })
        .collect();
    Ok((shown, lines))
}

/// The pinned lines of a document.
pub fn pinned_lines(store: &Store, store_id: &str, path: &str) -> Result<HashSet<String>> {
    let path = memory_path::normalize(path)?;
    Ok(store.pinned_lines(store_id, &path)?.into_iter().collect())
}

fn line_at(store: &Store, store_id: &str, path: &str, line: usize) -> Result<(String, String)> {
    let (doc, content) = store
        .read_document(store_id, path)?
        .ok_or_else(|| Error::not_found("document", path))?;
    let text = content
        .lines()
        .nth(line.wrapping_sub(1))
        .ok_or_else(|| {
            Error::Invalid(format!(
                "{path} has {} lines; there is no line {line}",
                content.lines().count()
            ))
        })?
        .to_string();
    let _ = doc;
    Ok((content, text))
}

/// Pins (or unpins) line `line` of a document: dreams never delete or
/// change it.
pub fn pin_line(store: &Store, store_id: &str, path: &str, line: usize, pinned: bool) -> Result<BlameLine> {
    let path = memory_path::normalize(path)?;
    let (_, text) = line_at(store, store_id, &path, line)?;
    if text.trim().is_empty() {
        return Err(Error::Invalid("an empty line cannot be pinned".into()));
    }
    store.set_line_pinned(store_id, &path, &text, pinned)?;
    Ok(blame(store, store_id, &path)?.swap_remove(line - 1))
}

fn replace_line(
    store: &Store,
    store_id: &str,
    path: &str,
    line: usize,
    with: Option<&str>,
    reason: String,
) -> Result<DocumentVersion> {
    let path = memory_path::normalize(path)?;
    let (content, old) = line_at(store, store_id, &path, line)?;
    let mut lines: Vec<&str> = content.lines().collect();
    match with {
        Some(t) => lines[line - 1] = t,
        None => {
            lines.remove(line - 1);
        }
    }
    let mut updated = lines.join("\n");
    if content.ends_with('\n') {
        updated.push('\n');
    }
    let sha = crate::store::sha256_hex(content.as_bytes());
    let v = store.write_document(store_id, &path, &updated, &WriteMeta::user(reason).expecting(sha))?;
    // A pin follows its line when the user corrects it, and goes when it is forgotten.
    store.move_line_pin(store_id, &path, &old, with)?;
    Ok(v)
}

/// Corrects line `line`: a new version by the user with the new text.
pub fn correct_line(store: &Store, store_id: &str, path: &str, line: usize, text: &str) -> Result<DocumentVersion> {
    if text.contains('\n') {
        return Err(Error::Invalid("a corrected line is one line".into()));
    }
    replace_line(store, store_id, path, line, Some(text), format!("corrected line {line}"))
}

/// Forgets line `line`: a new version by the user without it.
pub fn forget_line(store: &Store, store_id: &str, path: &str, line: usize) -> Result<DocumentVersion> {
    replace_line(store, store_id, path, line, None, format!("forgot line {line}"))
}

/// Indexes a memory document for provenance: each line is attributed to
/// the version that introduced it, and only lines the user wrote (in the
/// app or an editor on a mirror) count as their words.
pub(crate) fn add_memory_evidence(
    store: &Store,
    store_id: &str,
    path: &str,
    current: &str,
    evidence: &mut crate::provenance::Evidence,
) -> Result<()> {
    use crate::provenance::Source;
    let mut user_lines = String::new();
    let mut model_lines = String::new();
    let history = store.document_history(store_id, path)?;
    walk_introductions(&history, |i, line| {
        let into = match history[i].author {
            AuthorKind::User | AuthorKind::External => &mut user_lines,
            _ => &mut model_lines,
        };
        into.push_str(line);
        into.push('\n');
    });
    evidence.add(Source::UserMemory, None, None, &user_lines);
    evidence.add(Source::ModelMemory, None, None, &model_lines);
    evidence.mark_in_memory(current);
    Ok(())
}
