//! Memory stores: trees of small text documents addressed by `/memories/...`
//! paths. Every write is an immutable new version saying who wrote it (user,
//! agent, dream, external editor), when and why; any version can be read,
//! restored or redacted. A write may carry a `content_sha256` precondition
//! and fails cleanly when the document changed underneath.
//!
//! The `*_in` functions take an open transaction so that callers such as a
//! dream's apply can make many edits atomically.

use super::CachedSql;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Store;
use super::sql::{check_name, unique_conflict};
use crate::{Error, Result, ids, memory_path};

/// A document is at most this many bytes (Claude's memory stores: 100 kB).
pub const MAX_DOCUMENT_BYTES: usize = 100_000;
/// Default size limit for a new store.
pub const DEFAULT_STORE_SIZE_LIMIT: i64 = 2_000_000;

pub fn sha256_hex(content: &[u8]) -> String {
    hex::encode(Sha256::digest(content))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MemoryStore {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Shown to agents that mount the store, beside its index.
    pub instructions: String,
    pub size_limit_bytes: i64,
    pub owner_agent_id: Option<String>,
    pub mirror_dir: Option<String>,
    pub created_at: String,
    /// Bytes held by live documents' current versions.
    pub used_bytes: i64,
    pub document_count: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewMemoryStore {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub instructions: String,
    pub size_limit_bytes: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MemoryStoreUpdate {
    pub description: Option<String>,
    pub instructions: Option<String>,
    pub size_limit_bytes: Option<i64>,
    /// `Some(None)` stops mirroring.
    pub mirror_dir: Option<Option<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorKind {
    User,
    Agent,
    Dream,
    External,
}

impl AuthorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorKind::User => "user",
            AuthorKind::Agent => "agent",
            AuthorKind::Dream => "dream",
            AuthorKind::External => "external",
        }
    }
    fn parse(s: &str) -> AuthorKind {
        match s {
            "agent" => AuthorKind::Agent,
            "dream" => AuthorKind::Dream,
            "external" => AuthorKind::External,
            _ => AuthorKind::User,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VersionOp {
    Create,
    Update,
    Delete,
    Rename,
    Restore,
}

impl VersionOp {
    fn as_str(self) -> &'static str {
        match self {
            VersionOp::Create => "create",
            VersionOp::Update => "update",
            VersionOp::Delete => "delete",
            VersionOp::Rename => "rename",
            VersionOp::Restore => "restore",
        }
    }
    fn parse(s: &str) -> VersionOp {
        match s {
            "create" => VersionOp::Create,
            "delete" => VersionOp::Delete,
            "rename" => VersionOp::Rename,
            "restore" => VersionOp::Restore,
            _ => VersionOp::Update,
        }
    }
}

/// Who made a change, and in which session or dream.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WriteMeta {
    pub author: AuthorKind,
    /// The agent's id for agent writes.
    pub author_id: Option<String>,
    pub session_id: Option<String>,
    pub dream_id: Option<String>,
    pub reason: String,
    /// Fail unless the document's current content has this sha256 (an empty
    /// string means "must not exist yet").
    pub expected_sha256: Option<String>,
    /// Save even though the text looks like it holds a secret. Only the
    /// user sets this, after the app asked them to confirm.
    #[serde(default)]
    pub allow_secrets: bool,
}

impl WriteMeta {
    pub fn user(reason: impl Into<String>) -> Self {
        Self::new(AuthorKind::User, reason)
    }
    pub fn external(reason: impl Into<String>) -> Self {
        Self::new(AuthorKind::External, reason)
    }
    pub fn agent(agent_id: &str, session_id: &str, reason: impl Into<String>) -> Self {
        WriteMeta {
            author_id: Some(agent_id.into()),
            session_id: Some(session_id.into()),
            ..Self::new(AuthorKind::Agent, reason)
        }
    }
    pub fn dream(dream_id: &str, reason: impl Into<String>) -> Self {
        WriteMeta {
            dream_id: Some(dream_id.into()),
            ..Self::new(AuthorKind::Dream, reason)
        }
    }
    fn new(author: AuthorKind, reason: impl Into<String>) -> Self {
        WriteMeta {
            author,
            author_id: None,
            session_id: None,
            dream_id: None,
            reason: reason.into(),
            expected_sha256: None,
            allow_secrets: false,
        }
    }
    pub fn expecting(mut self, sha256: impl Into<String>) -> Self {
        self.expected_sha256 = Some(sha256.into());
        self
    }
    /// The user confirmed saving text that looks like a secret.
    pub fn allowing_secrets(mut self) -> Self {
        self.allow_secrets = true;
        self
    }
}

/// What [`Store::redact_secrets`] did.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Redaction {
    pub path: String,
    /// The new, masked version, when the current text held a secret.
    pub new_version: Option<i64>,
    /// Earlier versions whose content was removed for good.
    pub redacted_versions: Vec<i64>,
}

/// A live document and its current version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Document {
    pub id: String,
    pub store_id: String,
    pub path: String,
    pub pinned: bool,
    /// The current version's sequence number (1 for a new document).
    pub version: i64,
    pub sha256: String,
    pub size: i64,
    pub author: AuthorKind,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DocumentVersion {
    pub id: String,
    pub document_id: String,
    pub seq: i64,
    pub path: String,
    pub op: VersionOp,
    /// `None` for deletions and redacted versions.
    pub content: Option<String>,
    pub sha256: String,
    pub size: i64,
    pub author: AuthorKind,
    pub author_id: Option<String>,
    pub session_id: Option<String>,
    pub dream_id: Option<String>,
    pub reason: String,
    pub redacted_at: Option<String>,
    pub created_at: String,
}

impl DocumentVersion {
    /// A new version of `path` written now by `meta`'s author, with the
    /// content's hash and size (`None`: a deletion).
    pub fn new(
        id: String,
        document_id: String,
        seq: i64,
        path: &str,
        op: VersionOp,
        content: Option<&str>,
        meta: &WriteMeta,
    ) -> Self {
        let bytes = content.unwrap_or("").as_bytes();
        DocumentVersion {
            id,
            document_id,
            seq,
            path: path.to_string(),
            op,
            content: content.map(str::to_string),
            sha256: sha256_hex(bytes),
            size: bytes.len() as i64,
            author: meta.author,
            author_id: meta.author_id.clone(),
            session_id: meta.session_id.clone(),
            dream_id: meta.dream_id.clone(),
            reason: meta.reason.clone(),
            redacted_at: None,
            created_at: ids::now(),
        }
    }
}

const STORE_COLUMNS: &str = "s.id, s.name, s.description, s.instructions, s.size_limit_bytes, \
    s.owner_agent_id, s.mirror_dir, s.created_at, s.used_bytes, s.document_count";

fn store_from_row(r: &Row<'_>) -> rusqlite::Result<MemoryStore> {
    Ok(MemoryStore {
        id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        instructions: r.get(3)?,
        size_limit_bytes: r.get(4)?,
        owner_agent_id: r.get(5)?,
        mirror_dir: r.get(6)?,
        created_at: r.get(7)?,
        used_bytes: r.get(8)?,
        document_count: r.get(9)?,
    })
}

const DOC_COLUMNS: &str =
    "d.id, d.store_id, d.path, d.pinned, v.seq, v.sha256, v.size, v.author_kind, d.updated_at";

fn document_from_row(r: &Row<'_>) -> rusqlite::Result<Document> {
    Ok(Document {
        id: r.get(0)?,
        store_id: r.get(1)?,
        path: r.get(2)?,
        pinned: r.get(3)?,
        version: r.get(4)?,
        sha256: r.get(5)?,
        size: r.get(6)?,
        author: AuthorKind::parse(&r.get::<_, String>(7)?),
        updated_at: r.get(8)?,
    })
}

const VERSION_COLUMNS: &str = "id, document_id, seq, path, op, content, sha256, size, author_kind, \
    author_id, session_id, dream_id, reason, redacted_at, created_at";

fn version_from_row(r: &Row<'_>) -> rusqlite::Result<DocumentVersion> {
    Ok(DocumentVersion {
        id: r.get(0)?,
        document_id: r.get(1)?,
        seq: r.get(2)?,
        path: r.get(3)?,
        op: VersionOp::parse(&r.get::<_, String>(4)?),
        content: r.get(5)?,
        sha256: r.get(6)?,
        size: r.get(7)?,
        author: AuthorKind::parse(&r.get::<_, String>(8)?),
        author_id: r.get(9)?,
        session_id: r.get(10)?,
        dream_id: r.get(11)?,
        reason: r.get(12)?,
        redacted_at: r.get(13)?,
        created_at: r.get(14)?,
    })
}

impl Store {
    pub fn create_memory_store(&self, new: &NewMemoryStore) -> Result<MemoryStore> {
        check_name("memory store", &new.name)?;
        let limit = new.size_limit_bytes.unwrap_or(DEFAULT_STORE_SIZE_LIMIT);
        if limit <= 0 {
            return Err(Error::Invalid(
                "a store's size limit must be a positive number of bytes".into(),
            ));
        }
        let id = ids::new_id();
        self.write(|tx| {
            tx.execute_cached(
                "INSERT INTO memory_stores (id, name, description, instructions, size_limit_bytes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![id, new.name, new.description, new.instructions, limit, ids::now()],
            )
            .map_err(|e| unique_conflict(e, || format!("a memory store named '{}' already exists", new.name)))?;
            Ok(())
        })?;
        self.memory_store(&id)
    }

    /// A store by name or id.
    pub fn memory_store(&self, name_or_id: &str) -> Result<MemoryStore> {
        self.conn()
            .query_row_cached(
                &format!(
                    "SELECT {STORE_COLUMNS} FROM memory_stores s WHERE s.name = ?1 OR s.id = ?1"
                ),
                [name_or_id],
                store_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::not_found("memory store", name_or_id))
    }

    pub fn list_memory_stores(&self) -> Result<Vec<MemoryStore>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {STORE_COLUMNS} FROM memory_stores s ORDER BY s.name"
        ))?;
        Ok(stmt
            .query_map([], store_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    pub fn update_memory_store(
        &self,
        name_or_id: &str,
        update: &MemoryStoreUpdate,
    ) -> Result<MemoryStore> {
        let current = self.memory_store(name_or_id)?;
        if let Some(limit) = update.size_limit_bytes {
            if limit <= 0 {
                return Err(Error::Invalid(
                    "a store's size limit must be a positive number of bytes".into(),
                ));
            }
        }
        self.write(|tx| {
            tx.execute_cached(
                "UPDATE memory_stores SET description = ?2, instructions = ?3, size_limit_bytes = ?4, mirror_dir = ?5 WHERE id = ?1",
                params![
                    current.id,
                    update.description.as_ref().unwrap_or(&current.description),
                    update.instructions.as_ref().unwrap_or(&current.instructions),
                    update.size_limit_bytes.unwrap_or(current.size_limit_bytes),
                    update.mirror_dir.clone().unwrap_or(current.mirror_dir.clone()),
                ],
            )?;
            Ok(())
        })?;
        self.memory_store(&current.id)
    }

    /// Deletes a shared store and all its documents. An agent's own store
    /// goes with the agent.
    pub fn delete_memory_store(&self, name_or_id: &str) -> Result<()> {
        let store = self.memory_store(name_or_id)?;
        if store.owner_agent_id.is_some() {
            return Err(Error::Invalid(format!(
                "'{}' is an agent's own memory store; delete the agent instead",
                store.name
            )));
        }
        self.write(|tx| {
            tx.execute_cached("DELETE FROM memory_stores WHERE id = ?1", [&store.id])?;
            Ok(())
        })
    }

    /// Live documents, sorted by path; `under` limits to a directory.
    pub fn list_documents(&self, store_id: &str, under: Option<&str>) -> Result<Vec<Document>> {
        let dir = match under {
            Some(dir) => memory_path::normalize_dir(dir)?,
            None => memory_path::ROOT.to_string(),
        };
        // The directory itself and the paths below it, read by range on the
        // live-path index rather than all of the store.
        let (from, to) = below(&dir);
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DOC_COLUMNS} FROM documents d JOIN document_versions v ON v.id = d.head_version_id
             WHERE d.store_id = ?1 AND d.deleted = 0 AND (d.path = ?2 OR (d.path >= ?3 AND d.path < ?4))
             ORDER BY d.path"
        ))?;
        let docs = stmt.query_map(params![store_id, dir, from, to], document_from_row)?;
        Ok(docs.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Whether any live document lies below the directory `dir` (not `dir`
    /// itself): one indexed look, however large the store.
    pub fn any_document_under(&self, store_id: &str, dir: &str) -> Result<bool> {
        let (from, to) = below(&memory_path::normalize_dir(dir)?);
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT 1 FROM documents WHERE store_id = ?1 AND deleted = 0 AND path >= ?2 AND path < ?3 LIMIT 1",
        )?;
        Ok(stmt.exists(params![store_id, from, to])?)
    }

    /// The first `limit` live documents of a store in path order, for a
    /// listing that must stay cheap however large the store grows (the
    /// total is the store's `document_count`).
    pub fn first_documents(&self, store_id: &str, limit: usize) -> Result<Vec<Document>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DOC_COLUMNS} FROM documents d JOIN document_versions v ON v.id = d.head_version_id
             WHERE d.store_id = ?1 AND d.deleted = 0 ORDER BY d.path LIMIT ?2"
        ))?;
        let docs = stmt
            .query_map(params![store_id, limit as i64], document_from_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(docs)
    }

    /// A live document and its current content, or `None`.
    pub fn read_document(&self, store_id: &str, path: &str) -> Result<Option<(Document, String)>> {
        let path = memory_path::normalize(path)?;
        let conn = self.conn();
        let found = conn
            .query_row_cached(
                &format!(
                    "SELECT {DOC_COLUMNS}, v.content FROM documents d JOIN document_versions v ON v.id = d.head_version_id
                     WHERE d.store_id = ?1 AND d.path = ?2 AND d.deleted = 0"
                ),
                params![store_id, path],
                |r| Ok((document_from_row(r)?, r.get::<_, Option<String>>(9)?)),
            )
            .optional()?;
        match found {
            None => Ok(None),
            Some((doc, Some(content))) => Ok(Some((doc, content))),
            Some((doc, None)) => Err(Error::Invalid(format!(
                "the current version of {} was redacted; restore an earlier version or write it anew",
                doc.path
            ))),
        }
    }

    /// Creates or updates a document. Writing identical content is a no-op
    /// that returns the current version.
    pub fn write_document(
        &self,
        store_id: &str,
        path: &str,
        content: &str,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion> {
        self.write(|tx| write_document_in(tx, store_id, path, content, meta))
    }

    pub fn delete_document(
        &self,
        store_id: &str,
        path: &str,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion> {
        self.write(|tx| delete_document_in(tx, store_id, path, meta))
    }

    pub fn rename_document(
        &self,
        store_id: &str,
        from: &str,
        to: &str,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion> {
        self.write(|tx| rename_document_in(tx, store_id, from, to, meta))
    }

    /// Deletes every document under the directory `dir`, in one
    /// transaction: all of them or none. Returns how many were deleted.
    pub fn delete_tree(&self, store_id: &str, dir: &str, meta: &WriteMeta) -> Result<usize> {
        let dir = memory_path::normalize(dir)?;
        self.write(|tx| {
            let paths = live_paths_under(tx, store_id, &dir)?;
            if paths.is_empty() {
                return Err(Error::not_found("directory", dir.clone()));
            }
            for path in &paths {
                delete_document_in(tx, store_id, path, meta)?;
            }
            Ok(paths.len())
        })
    }

    /// Moves the directory `from` (every document under it) to `to`, in one
    /// transaction. Refuses, changing nothing, when `to` exists as a
    /// document or a directory (renames never merge) or lies inside `from`.
    pub fn rename_tree(
        &self,
        store_id: &str,
        from: &str,
        to: &str,
        meta: &WriteMeta,
    ) -> Result<usize> {
        let from = memory_path::normalize(from)?;
        let to = memory_path::normalize(to)?;
        if memory_path::is_within(&to, &from) {
            return Err(Error::Invalid(format!(
                "{from} cannot be moved into itself ({to})"
            )));
        }
        self.write(|tx| {
            let paths = live_paths_under(tx, store_id, &from)?;
            if paths.is_empty() {
                return Err(Error::not_found("directory", from.clone()));
            }
            if live_document(tx, store_id, &to)?.is_some()
                || !live_paths_under(tx, store_id, &to)?.is_empty()
            {
                return Err(Error::Conflict(format!(
                    "{to} already exists; pick another name or delete it first"
                )));
            }
            for path in &paths {
                let target = format!("{to}{}", &path[from.len()..]);
                rename_document_in(tx, store_id, path, &target, meta)?;
            }
            Ok(paths.len())
        })
    }

    /// Every version of the document at `path` (the live one, else the most
    /// recently deleted one), oldest first.
    pub fn document_history(&self, store_id: &str, path: &str) -> Result<Vec<DocumentVersion>> {
        let path = memory_path::normalize(path)?;
        let conn = self.conn();
        let doc_id: Option<String> = conn
            .query_row_cached(
                "SELECT d.id FROM documents d WHERE d.store_id = ?1 AND d.path = ?2
                 ORDER BY d.deleted ASC, d.updated_at DESC LIMIT 1",
                params![store_id, path],
                |r| r.get(0),
            )
            .optional()?;
        let Some(doc_id) = doc_id else {
            return Err(Error::not_found("document", path));
        };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM document_versions WHERE document_id = ?1 ORDER BY seq"
        ))?;
        Ok(stmt
            .query_map([doc_id], version_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    pub fn document_version(&self, version_id: &str) -> Result<DocumentVersion> {
        self.conn()
            .query_row_cached(
                &format!("SELECT {VERSION_COLUMNS} FROM document_versions WHERE id = ?1"),
                [version_id],
                version_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::not_found("document version", version_id))
    }

    /// Makes version `seq` of the document at `path` current again, as a new
    /// version (history is never rewritten). Works on deleted documents too.
    pub fn restore_document(
        &self,
        store_id: &str,
        path: &str,
        seq: i64,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion> {
        let history = self.document_history(store_id, path)?;
        let old = history
            .iter()
            .find(|v| v.seq == seq)
            .ok_or_else(|| Error::not_found("version", format!("{path} v{seq}")))?;
        let content = old.content.clone().ok_or_else(|| {
            Error::Invalid(format!(
                "version {seq} of {path} holds no content (it was a deletion or was redacted); pick another version"
            ))
        })?;
        let path = memory_path::normalize(path)?;
        let mut meta = meta.clone();
        if meta.reason.is_empty() {
            meta.reason = format!("restored version {seq}");
        }
        self.write(|tx| {
            if live_document(tx, store_id, &path)?.is_some() {
                return put_document(
                    tx,
                    store_id,
                    &path,
                    &content,
                    &meta,
                    Some(VersionOp::Restore),
                );
            }
            // A deleted document comes back as itself, keeping its history.
            check_no_secret(&path, &content, &meta)?;
            check_file_or_directory(tx, store_id, &path)?;
            refuse_clashing_path(tx, store_id, &path, Some(&old.document_id))?;
            check_capacity(tx, store_id, 0, content.len())?;
            insert_version(
                tx,
                &old.document_id,
                &path,
                VersionOp::Restore,
                Some(&content),
                &meta,
            )
        })
    }

    /// Removes a version's content for good (it held something sensitive);
    /// its hash, size and authorship stay. The current version cannot be
    /// redacted: write a clean version first.
    pub fn redact_version(&self, version_id: &str) -> Result<DocumentVersion> {
        let version = self.document_version(version_id)?;
        self.write(|tx| {
            let head: String = tx.query_row_cached(
                "SELECT head_version_id FROM documents WHERE id = ?1",
                [&version.document_id],
                |r| r.get(0),
            )?;
            let deleted: bool = tx.query_row_cached("SELECT deleted FROM documents WHERE id = ?1", [&version.document_id], |r| r.get(0))?;
            if head == version.id && !deleted {
                return Err(Error::Invalid(
                    "this is the document's current version; write a clean version first, then redact this one".into(),
                ));
            }
            tx.execute_cached(
                "UPDATE document_versions SET content = NULL, redacted_at = ?2 WHERE id = ?1",
                params![version.id, ids::now()],
            )?;
            Ok(())
        })?;
        self.document_version(version_id)
    }

    /// Takes every secret out of a document's history: the current text,
    /// when it holds one, gets a new version with each secret masked, and
    /// every earlier version that held one is redacted for good. One
    /// transaction; mirrors and exports then carry the masked text.
    pub fn redact_secrets(
        &self,
        store_id: &str,
        path: &str,
        meta: &WriteMeta,
    ) -> Result<Redaction> {
        let path = memory_path::normalize(path)?;
        let history = self.document_history(store_id, &path)?;
        if history.is_empty() {
            return Err(Error::not_found("document", path));
        }
        let current = self.read_document(store_id, &path)?;
        self.write(|tx| {
            let mut cleaned = None;
            if let Some((_, content)) = &current {
                if crate::secrets::contains_secret(content) {
                    let masked = crate::secrets::mask(content).into_owned();
                    cleaned = Some(put_document(tx, store_id, &path, &masked, meta, None)?.seq);
                }
            }
            let mut redacted = Vec::new();
            for v in &history {
                let Some(content) = &v.content else { continue };
                if crate::secrets::contains_secret(content) {
                    tx.execute_cached(
                        "UPDATE document_versions SET content = NULL, redacted_at = ?2 WHERE id = ?1",
                        params![v.id, ids::now()],
                    )?;
                    redacted.push(v.seq);
                }
            }
            Ok(Redaction {
                path: path.clone(),
                new_version: cleaned,
                redacted_versions: redacted,
            })
        })
    }

    /// Pinned documents are never deleted by a dream without review.
    pub fn set_pinned(&self, store_id: &str, path: &str, pinned: bool) -> Result<Document> {
        let path = memory_path::normalize(path)?;
        let changed = self.write(|tx| {
            Ok(tx.execute_cached(
                "UPDATE documents SET pinned = ?3 WHERE store_id = ?1 AND path = ?2 AND deleted = 0",
                params![store_id, path, pinned],
            )?)
        })?;
        if changed == 0 {
            return Err(Error::not_found("document", path));
        }
        Ok(self
            .read_document(store_id, &path)?
            .map(|(d, _)| d)
            .expect("document exists"))
    }

    /// The id of the live document's current version at `path`.
    pub fn head_version_id(&self, store_id: &str, path: &str) -> Result<Option<String>> {
        let path = memory_path::normalize(path)?;
        Ok(self
            .conn()
            .query_row(
                "SELECT head_version_id FROM documents WHERE store_id = ?1 AND path = ?2 AND deleted = 0",
                params![store_id, path],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Plain-text search across a store's current documents: each document
    /// whose path or lines hold `query` (any case), with its first five
    /// matching lines (cut at 200 characters).
    pub fn search_documents(&self, store_id: &str, query: &str) -> Result<Vec<SearchHit>> {
        let needle = query.to_lowercase();
        if needle.trim().is_empty() {
            return Ok(Vec::new());
        }
        let mut hits = Vec::new();
        for doc in self.list_documents(store_id, None)? {
            let Some((_, content)) = self.read_document(store_id, &doc.path)? else {
                continue;
            };
            let matches: Vec<SearchLine> = content
                .lines()
                .enumerate()
                .filter(|(_, l)| l.to_lowercase().contains(&needle))
                .take(5)
                .map(|(i, l)| SearchLine {
                    line: i + 1,
                    text: l.chars().take(200).collect(),
                })
                .collect();
            if doc.path.to_lowercase().contains(&needle) || !matches.is_empty() {
                hits.push(SearchHit {
                    path: doc.path,
                    matches,
                });
            }
        }
        Ok(hits)
    }
}

/// A document found by [`Store::search_documents`].
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    pub path: String,
    pub matches: Vec<SearchLine>,
}

/// One matching line (numbered from 1).
#[derive(Debug, Clone, Serialize)]
pub struct SearchLine {
    pub line: usize,
    pub text: String,
}

/// The live document at `path` with its head version's sha256 and size.
fn live_document(
    tx: &Transaction<'_>,
    store_id: &str,
    path: &str,
) -> Result<Option<(String, String, i64, String)>> {
    Ok(tx
        .query_row_cached(
            "SELECT d.id, v.sha256, v.size, v.path FROM documents d JOIN document_versions v ON v.id = d.head_version_id
             WHERE d.store_id = ?1 AND d.path = ?2 AND d.deleted = 0",
            params![store_id, path],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?)
}

/// What any new text of a memory document must be, wherever it is written
/// (the store, or an evaluation run's memory view): within the size limit
/// and free of secrets.
pub(crate) fn check_content(path: &str, content: &str, meta: &WriteMeta) -> Result<()> {
    if content.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::Invalid(format!(
            "{path} would be {} bytes; a memory document holds at most {MAX_DOCUMENT_BYTES} bytes — split it into several documents",
            content.len()
        )));
    }
    check_no_secret(path, content, meta)
}

/// Every path into memory passes here: the agent's memory tool, dreams,
/// the folder mirror, Managed Agents pulls, imports and the editor.
fn check_no_secret(path: &str, content: &str, meta: &WriteMeta) -> Result<()> {
    if meta.allow_secrets {
        return Ok(());
    }
    match crate::secrets::refusal(content) {
        None => Ok(()),
        Some(why) => Err(Error::Secret(format!(
            "{path} was not saved: {why}. Secrets never go into memory; keep keys and passwords in Settings, where the OS keychain holds them"
        ))),
    }
}

/// The bounds of the paths below `dir` in byte order: every path that
/// starts with `dir/` sorts from `dir/` up to, not including, `dir0` ('0'
/// follows '/').
fn below(dir: &str) -> (String, String) {
    (format!("{dir}/"), format!("{dir}0"))
}

/// Live document paths under the directory `dir` (not `dir` itself).
fn live_paths_under(tx: &Transaction<'_>, store_id: &str, dir: &str) -> Result<Vec<String>> {
    let (low, high) = below(dir);
    let mut stmt = tx.prepare_cached(
        "SELECT path FROM documents WHERE store_id = ?1 AND deleted = 0 AND path >= ?2 AND path < ?3 ORDER BY path",
    )?;
    Ok(stmt
        .query_map(params![store_id, low, high], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?)
}

/// A path is a document or a directory, never both: a new document may
/// not sit where a directory is, nor under another document.
fn check_file_or_directory(tx: &Transaction<'_>, store_id: &str, path: &str) -> Result<()> {
    if let Some(inside) = live_paths_under(tx, store_id, path)?.first() {
        return Err(Error::Conflict(format!(
            "{path} is a folder that holds {inside}; pick another name for the document"
        )));
    }
    let mut at = path.len();
    while let Some(i) = path[..at].rfind('/') {
        let ancestor = &path[..i];
        if ancestor == memory_path::ROOT || ancestor.is_empty() {
            break;
        }
        if live_document(tx, store_id, ancestor)?.is_some() {
            return Err(Error::Conflict(format!(
                "{ancestor} is a document, so nothing can be stored under it; pick another folder"
            )));
        }
        at = i;
    }
    Ok(())
}

/// Refuses a write made against a version that is no longer the current one.
pub(crate) fn check_expected(path: &str, current_sha: Option<&str>, meta: &WriteMeta) -> Result<()> {
    let Some(expected) = meta.expected_sha256.as_deref() else {
        return Ok(());
    };
    let matches = match current_sha {
        Some(sha) => sha == expected,
        None => expected.is_empty(),
    };
    if matches {
        Ok(())
    } else {
        Err(Error::Conflict(format!(
            "{path} changed since it was read; reload it and make the edit again"
        )))
    }
}

fn store_usage(tx: &Transaction<'_>, store_id: &str) -> Result<(i64, i64, String)> {
    tx.query_row_cached(
        "SELECT s.size_limit_bytes, s.name, s.used_bytes FROM memory_stores s WHERE s.id = ?1",
        [store_id],
        |r| Ok((r.get(0)?, r.get(2)?, r.get(1)?)),
    )
    .optional()?
    .ok_or_else(|| Error::not_found("memory store", store_id))
}

fn insert_version(
    tx: &Transaction<'_>,
    document_id: &str,
    path: &str,
    op: VersionOp,
    content: Option<&str>,
    meta: &WriteMeta,
) -> Result<DocumentVersion> {
    let seq: i64 = tx.query_row_cached(
        "SELECT COALESCE(MAX(seq), 0) + 1 FROM document_versions WHERE document_id = ?1",
        [document_id],
        |r| r.get(0),
    )?;
    let version = DocumentVersion::new(
        ids::new_id(),
        document_id.to_string(),
        seq,
        path,
        op,
        content,
        meta,
    );
    tx.execute_cached(
        &format!("INSERT INTO document_versions ({VERSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULL, ?14)"),
        params![
            version.id, version.document_id, version.seq, version.path, op.as_str(), version.content,
            version.sha256, version.size, meta.author.as_str(), version.author_id, version.session_id,
            version.dream_id, version.reason, version.created_at
        ],
    )?;
    tx.execute_cached(
        "UPDATE documents SET head_version_id = ?2, path = ?3, deleted = ?4, updated_at = ?5 WHERE id = ?1",
        params![document_id, version.id, path, op == VersionOp::Delete, version.created_at],
    )?;
    Ok(version)
}

pub(crate) fn write_document_in(
    tx: &Transaction<'_>,
    store_id: &str,
    path: &str,
    content: &str,
    meta: &WriteMeta,
) -> Result<DocumentVersion> {
    put_document(tx, store_id, path, content, meta, None)
}

/// Creates or updates; `op` overrides the recorded operation (a restore).
fn put_document(
    tx: &Transaction<'_>,
    store_id: &str,
    path: &str,
    content: &str,
    meta: &WriteMeta,
    op: Option<VersionOp>,
) -> Result<DocumentVersion> {
    let path = memory_path::normalize(path)?;
    check_content(&path, content, meta)?;
    let current = live_document(tx, store_id, &path)?;
    check_expected(&path, current.as_ref().map(|c| c.1.as_str()), meta)?;
    let new_sha = sha256_hex(content.as_bytes());
    if let Some((doc_id, sha, _, _)) = &current {
        if *sha == new_sha {
            let head: String = tx.query_row_cached(
                "SELECT head_version_id FROM documents WHERE id = ?1",
                [doc_id],
                |r| r.get(0),
            )?;
            return Ok(tx.query_row_cached(
                &format!("SELECT {VERSION_COLUMNS} FROM document_versions WHERE id = ?1"),
                [head],
                version_from_row,
            )?);
        }
    }
    check_capacity(
        tx,
        store_id,
        current.as_ref().map(|c| c.2).unwrap_or(0),
        content.len(),
    )?;
    match current {
        Some((doc_id, ..)) => insert_version(
            tx,
            &doc_id,
            &path,
            op.unwrap_or(VersionOp::Update),
            Some(content),
            meta,
        ),
        None => {
            check_file_or_directory(tx, store_id, &path)?;
            refuse_clashing_path(tx, store_id, &path, None)?;
            let doc_id = ids::new_id();
            let now = ids::now();
            // head_version_id is set by insert_version right after.
            tx.execute_cached(
                "INSERT INTO documents (id, store_id, path, head_version_id, created_at, updated_at) VALUES (?1, ?2, ?3, '', ?4, ?4)",
                params![doc_id, store_id, path, now],
            )
            .map_err(|e| unique_conflict(e, || format!("{path} already exists")))?;
            insert_version(
                tx,
                &doc_id,
                &path,
                op.unwrap_or(VersionOp::Create),
                Some(content),
                meta,
            )
        }
    }
}

/// Refuses a write that would grow the store past its limit (shrinking is
/// always allowed, so an over-full store can be cleaned up).
fn check_capacity(
    tx: &Transaction<'_>,
    store_id: &str,
    old_size: i64,
    new_len: usize,
) -> Result<()> {
    let (limit, used, name) = store_usage(tx, store_id)?;
    within_capacity(&name, limit, used, old_size, new_len)
}

/// The capacity rule itself, wherever the store's documents are held (the
/// store, or an evaluation run's memory view): a write that grows a store
/// past its limit is refused; shrinking is always allowed.
pub(crate) fn within_capacity(
    name: &str,
    limit: i64,
    used: i64,
    old_size: i64,
    new_len: usize,
) -> Result<()> {
    let new_total = used - old_size + new_len as i64;
    if new_total > limit && new_len as i64 > old_size {
        return Err(Error::Invalid(format!(
            "the memory store '{name}' would hold {new_total} bytes, over its limit of {limit}; shorten or delete documents, or raise the limit"
        )));
    }
    Ok(())
}

pub(crate) fn delete_document_in(
    tx: &Transaction<'_>,
    store_id: &str,
    path: &str,
    meta: &WriteMeta,
) -> Result<DocumentVersion> {
    let path = memory_path::normalize(path)?;
    let current = live_document(tx, store_id, &path)?;
    check_expected(&path, current.as_ref().map(|c| c.1.as_str()), meta)?;
    let Some((doc_id, ..)) = current else {
        return Err(Error::not_found("document", path));
    };
    insert_version(tx, &doc_id, &path, VersionOp::Delete, None, meta)
}

pub(crate) fn rename_document_in(
    tx: &Transaction<'_>,
    store_id: &str,
    from: &str,
    to: &str,
    meta: &WriteMeta,
) -> Result<DocumentVersion> {
    let from = memory_path::normalize(from)?;
    let to = memory_path::normalize(to)?;
    let current = live_document(tx, store_id, &from)?;
    check_expected(&from, current.as_ref().map(|c| c.1.as_str()), meta)?;
    let Some((doc_id, ..)) = current else {
        return Err(Error::not_found("document", from));
    };
    if from == to {
        return Err(Error::Invalid(format!("{from} already has that name")));
    }
    if live_document(tx, store_id, &to)?.is_some() {
        return Err(Error::Conflict(format!(
            "{to} already exists; pick another name or delete it first"
        )));
    }
    check_file_or_directory(tx, store_id, &to)?;
    refuse_clashing_path(tx, store_id, &to, Some(&doc_id))?;
    let content: Option<String> = tx.query_row_cached(
        "SELECT v.content FROM documents d JOIN document_versions v ON v.id = d.head_version_id WHERE d.id = ?1",
        [&doc_id],
        |r| r.get(0),
    )?;
    insert_version(
        tx,
        &doc_id,
        &to,
        VersionOp::Rename,
        content.as_deref(),
        meta,
    )
}

/// Makes `content` current again for the document `document_id` at `path`,
/// whether it is live or was deleted, as a `restore` version (history is
/// never rewritten). Used to revert a dream inside its transaction.
pub(crate) fn restore_content_in(
    tx: &Transaction<'_>,
    store_id: &str,
    document_id: &str,
    path: &str,
    content: &str,
    meta: &WriteMeta,
) -> Result<DocumentVersion> {
    let path = memory_path::normalize(path)?;
    if let Some((live_id, ..)) = live_document(tx, store_id, &path)? {
        if live_id == document_id {
            return put_document(tx, store_id, &path, content, meta, Some(VersionOp::Restore));
        }
        return Err(Error::Conflict(format!(
            "{path} is now held by another document; rename or delete it first"
        )));
    }
    check_file_or_directory(tx, store_id, &path)?;
    refuse_clashing_path(tx, store_id, &path, Some(document_id))?;
    check_capacity(tx, store_id, 0, content.len())?;
    insert_version(
        tx,
        document_id,
        &path,
        VersionOp::Restore,
        Some(content),
        meta,
    )
}

// --- Paths that could not sit beside each other (issue 18) -----------------

/// Refuses a new document path with a name no copy of the store could hold
/// safely ([`memory_path::check_new`]), one that would look the same as a
/// live one, or one that would make a document also a folder: such a store could not be mirrored,
/// exported or zipped without losing a document. The rule is
/// [`memory_path::clash`]; this only feeds it the store's live paths.
/// `moving` is the document taking the path (a rename or a restore), which
/// may clash with its own old name.
fn refuse_clashing_path(
    tx: &Transaction<'_>,
    store_id: &str,
    path: &str,
    moving: Option<&str>,
) -> Result<()> {
    memory_path::check_new(path)?;
    let mut stmt = tx.prepare_cached(
        "SELECT d.path FROM documents d WHERE d.store_id = ?1 AND d.deleted = 0 AND d.id <> ?2",
    )?;
    let mut rows = stmt.query(params![store_id, moving.unwrap_or("")])?;
    let new = memory_path::NewPath::new(path);
    while let Some(row) = rows.next()? {
        let existing = row.get_ref(0)?.as_str().map_err(rusqlite::Error::from)?;
        if let Some(why) = new.clash_with(existing) {
            return Err(Error::Conflict(why));
        }
    }
    Ok(())
}
