//! The folder mirror's memory: for each mirrored document, the sha256 both
//! sides had when they last agreed, and the conflicts found when both sides
//! changed. The mirror itself (`crate::mirror`) decides what to do; this
//! module only keeps the rows. It never touches documents or files.

use super::CachedSql;
use std::collections::HashMap;

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::Store;
use crate::{Error, Result, ids};

/// How the two sides disagreed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MirrorConflictKind {
    /// Both sides changed the document; the folder's text was kept as a
    /// document of its own at the conflict path.
    BothChanged,
    /// Deleted in the store, edited in the folder: the folder's text was
    /// imported again.
    DeletedInStore,
    /// Deleted in the folder, changed in the store: the file was written
    /// out again.
    DeletedInFolder,
}

impl MirrorConflictKind {
    fn as_str(self) -> &'static str {
        match self {
            MirrorConflictKind::BothChanged => "both_changed",
            MirrorConflictKind::DeletedInStore => "deleted_in_store",
            MirrorConflictKind::DeletedInFolder => "deleted_in_folder",
        }
    }
    fn parse(s: &str) -> MirrorConflictKind {
        match s {
            "deleted_in_store" => MirrorConflictKind::DeletedInStore,
            "deleted_in_folder" => MirrorConflictKind::DeletedInFolder,
            _ => MirrorConflictKind::BothChanged,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MirrorConflict {
    pub id: String,
    pub store_id: String,
    /// The mirrored folder (absolute).
    pub dir: String,
    /// The document both sides changed; it holds the store's version.
    pub path: String,
    /// Where the folder's text was kept, when it could not stay at `path`.
    pub conflict_path: Option<String>,
    pub kind: MirrorConflictKind,
    pub store_sha256: Option<String>,
    pub folder_sha256: Option<String>,
    pub detected_at: String,
    pub resolved_at: Option<String>,
}

const CONFLICT_COLUMNS: &str = "id, store_id, dir, path, conflict_path, kind, store_sha256, \
    folder_sha256, detected_at, resolved_at";

fn conflict_from_row(r: &Row<'_>) -> rusqlite::Result<MirrorConflict> {
    Ok(MirrorConflict {
        id: r.get(0)?,
        store_id: r.get(1)?,
        dir: r.get(2)?,
        path: r.get(3)?,
        conflict_path: r.get(4)?,
        kind: MirrorConflictKind::parse(&r.get::<_, String>(5)?),
        store_sha256: r.get(6)?,
        folder_sha256: r.get(7)?,
        detected_at: r.get(8)?,
        resolved_at: r.get(9)?,
    })
}

/// A conflict as the mirror found it, before it is recorded.
#[derive(Debug, Clone)]
pub struct NewMirrorConflict<'a> {
    pub store_id: &'a str,
    pub dir: &'a str,
    pub path: &'a str,
    pub conflict_path: Option<&'a str>,
    pub kind: MirrorConflictKind,
    pub store_sha256: Option<&'a str>,
    pub folder_sha256: Option<&'a str>,
}

impl Store {
    /// A number that grows with every write to a memory store (versions are
    /// append-only), so a poller can tell cheaply whether anything changed.
    pub fn memory_store_revision(&self, store_id: &str) -> Result<i64> {
        Ok(self.conn().query_row_cached(
            "SELECT COUNT(*) FROM document_versions v JOIN documents d ON d.id = v.document_id
             WHERE d.store_id = ?1",
            [store_id],
            |r| r.get(0),
        )?)
    }

    /// Document path → sha256 both sides had at the last sync with `dir`.
    pub fn mirror_entries(&self, store_id: &str, dir: &str) -> Result<HashMap<String, String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT path, sha256 FROM mirror_entries WHERE store_id = ?1 AND dir = ?2",
        )?;
        Ok(stmt
            .query_map(params![store_id, dir], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Records that both sides hold `sha256` at `path`; `None` forgets the
    /// path (it exists on neither side).
    pub fn set_mirror_entry(
        &self,
        store_id: &str,
        dir: &str,
        path: &str,
        sha256: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| {
            match sha256 {
                Some(sha) => tx.execute_cached(
                    "INSERT INTO mirror_entries (store_id, dir, path, sha256, synced_at) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT(store_id, dir, path) DO UPDATE SET sha256 = excluded.sha256, synced_at = excluded.synced_at",
                    params![store_id, dir, path, sha, ids::now()],
                )?,
                None => tx.execute_cached(
                    "DELETE FROM mirror_entries WHERE store_id = ?1 AND dir = ?2 AND path = ?3",
                    params![store_id, dir, path],
                )?,
            };
            Ok(())
        })
    }

    pub fn record_mirror_conflict(&self, new: &NewMirrorConflict<'_>) -> Result<MirrorConflict> {
        let conflict = MirrorConflict {
            id: ids::new_id(),
            store_id: new.store_id.into(),
            dir: new.dir.into(),
            path: new.path.into(),
            conflict_path: new.conflict_path.map(Into::into),
            kind: new.kind,
            store_sha256: new.store_sha256.map(Into::into),
            folder_sha256: new.folder_sha256.map(Into::into),
            detected_at: ids::now(),
            resolved_at: None,
        };
        self.write(|tx| {
            tx.execute_cached(
                &format!("INSERT INTO mirror_conflicts ({CONFLICT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL)"),
                params![
                    conflict.id, conflict.store_id, conflict.dir, conflict.path, conflict.conflict_path,
                    conflict.kind.as_str(), conflict.store_sha256, conflict.folder_sha256, conflict.detected_at
                ],
            )?;
            Ok(())
        })?;
        Ok(conflict)
    }

    /// The `dir` of a recorded conflict (the bridge's own conflicts are
    /// told from a folder mirror's by it).
    pub fn mirror_conflict_dir(&self, conflict_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row_cached(
                "SELECT dir FROM mirror_conflicts WHERE id = ?1",
                [conflict_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// A store's mirror conflicts, newest first; resolved ones only when asked.
    pub fn mirror_conflicts(
        &self,
        store_id: &str,
        include_resolved: bool,
    ) -> Result<Vec<MirrorConflict>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {CONFLICT_COLUMNS} FROM mirror_conflicts
             WHERE store_id = ?1 AND (?2 OR resolved_at IS NULL) ORDER BY detected_at DESC, id DESC"
        ))?;
        Ok(stmt
            .query_map(params![store_id, include_resolved], conflict_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Marks a conflict as dealt with (its documents stay as they are).
    pub fn resolve_mirror_conflict(&self, id: &str) -> Result<MirrorConflict> {
        let changed = self.write(|tx| {
            Ok(tx.execute_cached(
                "UPDATE mirror_conflicts SET resolved_at = ?2 WHERE id = ?1 AND resolved_at IS NULL",
                params![id, ids::now()],
            )?)
        })?;
        let conflict = self
            .conn()
            .query_row_cached(
                &format!("SELECT {CONFLICT_COLUMNS} FROM mirror_conflicts WHERE id = ?1"),
                [id],
                conflict_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::not_found("mirror conflict", id))?;
        if changed == 0 && conflict.resolved_at.is_none() {
            return Err(Error::Conflict(format!(
                "conflict {id} could not be marked resolved; try again"
            )));
        }
        Ok(conflict)
    }
}
