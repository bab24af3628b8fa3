//! A memory view for evaluation runs: the real store's documents (or a past
//! state of them) with a proposal's edits laid on top, held in memory. The
//! agent's own memory writes during the run land in the view too, so an
//! evaluation run never writes the real memory store, and the next task
//! starts from the same memory again.
//!
//! [`MemoryAccess`] is what the memory tool and the system prompt read and
//! write through: the [`Store`] itself for normal sessions, a [`MemoryView`]
//! for evaluation sessions. The view is handed to the runtime as a
//! task-local ([`MEMORY_VIEW`]), so running a session on a view needs no
//! new parameters anywhere between the gate and the memory tool.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::store::{
    AuthorKind, Document, DocumentVersion, EditDecision, EditOp, MemoryStore, ProposalEdit,
    VersionOp, WriteMeta, sha256_hex,
};
use crate::{Error, Result, Store, ids, memory_path};

/// Reading and writing memory documents, whatever holds them.
pub trait MemoryAccess: Send + Sync {
    fn memory_store(&self, store_id: &str) -> Result<MemoryStore>;
    fn list_documents(&self, store_id: &str, under: Option<&str>) -> Result<Vec<Document>>;
    fn first_documents(&self, store_id: &str, limit: usize) -> Result<Vec<Document>> {
        let mut docs = self.list_documents(store_id, None)?;
        docs.truncate(limit);
        Ok(docs)
    }
    fn read_document(&self, store_id: &str, path: &str) -> Result<Option<(Document, String)>>;
    fn write_document(
        &self,
        store_id: &str,
        path: &str,
        content: &str,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion>;
    fn delete_document(&self, store_id: &str, path: &str, meta: &WriteMeta)
    -> Result<DocumentVersion>;
    fn rename_document(
        &self,
        store_id: &str,
        from: &str,
        to: &str,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion>;
    /// Whether any document lies below the directory `dir` (not `dir` itself).
    fn any_document_under(&self, store_id: &str, dir: &str) -> Result<bool> {
        let dir = memory_path::normalize_dir(dir)?;
        Ok(self.list_documents(store_id, Some(&dir))?.iter().any(|d| d.path != dir))
    }
    fn delete_tree(&self, store_id: &str, dir: &str, meta: &WriteMeta) -> Result<usize>;
    fn rename_tree(&self, store_id: &str, from: &str, to: &str, meta: &WriteMeta)
    -> Result<usize>;
    /// The id of the version a read returned (for the timeline's receipts);
    /// `None` for text that exists only in a view.
    fn version_id(&self, store_id: &str, path: &str) -> Option<String>;
}

impl MemoryAccess for Store {
    fn memory_store(&self, store_id: &str) -> Result<MemoryStore> {
        Store::memory_store(self, store_id)
    }
    fn list_documents(&self, store_id: &str, under: Option<&str>) -> Result<Vec<Document>> {
        Store::list_documents(self, store_id, under)
    }
    fn first_documents(&self, store_id: &str, limit: usize) -> Result<Vec<Document>> {
        Store::first_documents(self, store_id, limit)
    }
    fn read_document(&self, store_id: &str, path: &str) -> Result<Option<(Document, String)>> {
        Store::read_document(self, store_id, path)
    }
    fn any_document_under(&self, store_id: &str, dir: &str) -> Result<bool> {
        Store::any_document_under(self, store_id, dir)
    }
    fn write_document(
        &self,
        store_id: &str,
        path: &str,
        content: &str,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion> {
        Store::write_document(self, store_id, path, content, meta)
    }
    fn delete_document(
        &self,
        store_id: &str,
        path: &str,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion> {
        Store::delete_document(self, store_id, path, meta)
    }
    fn rename_document(
        &self,
        store_id: &str,
        from: &str,
        to: &str,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion> {
        Store::rename_document(self, store_id, from, to, meta)
    }
    fn delete_tree(&self, store_id: &str, dir: &str, meta: &WriteMeta) -> Result<usize> {
        Store::delete_tree(self, store_id, dir, meta)
    }
    fn rename_tree(
        &self,
        store_id: &str,
        from: &str,
        to: &str,
        meta: &WriteMeta,
    ) -> Result<usize> {
        Store::rename_tree(self, store_id, from, to, meta)
    }
    fn version_id(&self, store_id: &str, path: &str) -> Option<String> {
        Store::head_version_id(self, store_id, path).ok().flatten()
    }
}

tokio::task_local! {
    /// The memory view of the evaluation run in progress on this task: the
    /// runtime builds the memory tool and the system prompt over it.
    pub static MEMORY_VIEW: Arc<MemoryView>;
}

/// The view of the evaluation run in progress on this task, if any.
pub fn current_view() -> Option<Arc<MemoryView>> {
    MEMORY_VIEW.try_with(|v| v.clone()).ok()
}

/// `fut` run inside `view` (as is, without one). Work that may move to
/// another task (a subagent's run) takes the view along with this, since a
/// task-local does not follow `tokio::spawn`.
pub async fn within<F: std::future::Future>(view: Option<Arc<MemoryView>>, fut: F) -> F::Output {
    match view {
        Some(v) => MEMORY_VIEW.scope(v, fut).await,
        None => fut.await,
    }
}

/// One store's layer: paths written (`Some`) or deleted (`None`) in the
/// view. With `replaces_base` the layer is the whole store (a past state)
/// and the live documents are not read at all.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    pub replaces_base: bool,
    pub docs: BTreeMap<String, Option<String>>,
}

/// A store's documents as an evaluation run sees them.
pub struct MemoryView {
    store: Arc<Store>,
    layers: Mutex<HashMap<String, Layer>>,
    writes: std::sync::atomic::AtomicUsize,
    /// The gate whose run this is: sessions created in it are marked.
    gate: Option<String>,
}

impl MemoryView {
    /// The live memory, unchanged until the run writes.
    pub fn new(store: Arc<Store>) -> Self {
        MemoryView {
            store,
            layers: Mutex::new(HashMap::new()),
            writes: Default::default(),
            gate: None,
        }
    }

    /// A view whose layers start as given (cheap to clone per task).
    pub fn with_layers(store: Arc<Store>, layers: HashMap<String, Layer>) -> Self {
        MemoryView {
            store,
            layers: Mutex::new(layers),
            writes: Default::default(),
            gate: None,
        }
    }

    /// The view of a run of gate `gate_id`.
    pub fn for_gate(mut self, gate_id: &str) -> Self {
        self.gate = Some(gate_id.to_string());
        self
    }

    pub fn gate_id(&self) -> Option<&str> {
        self.gate.as_deref()
    }

    /// Writes the run made into the view (never into the store).
    pub fn writes(&self) -> usize {
        self.writes.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The documents of `store_id` in this view, path → content.
    pub fn documents(&self, store_id: &str) -> Result<BTreeMap<String, String>> {
        let layers = self.layers.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = BTreeMap::new();
        let layer = layers.get(store_id);
        if !layer.is_some_and(|l| l.replaces_base) {
            for d in self.store.list_documents(store_id, None)? {
                if let Some((_, content)) = self.store.read_document(store_id, &d.path)? {
                    out.insert(d.path, content);
                }
            }
        }
        if let Some(layer) = layer {
            for (path, content) in &layer.docs {
                match content {
                    Some(c) => {
                        out.insert(path.clone(), c.clone());
                    }
                    None => {
                        out.remove(path);
                    }
                }
            }
        }
        Ok(out)
    }

    fn layered(&self, store_id: &str, path: &str) -> Option<Option<String>> {
        let layers = self.layers.lock().unwrap_or_else(|p| p.into_inner());
        let layer = layers.get(store_id)?;
        match layer.docs.get(path) {
            Some(c) => Some(c.clone()),
            None if layer.replaces_base => Some(None),
            None => None,
        }
    }

    fn set(&self, store_id: &str, path: &str, content: Option<String>) {
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.layers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(store_id.to_string())
            .or_default()
            .docs
            .insert(path.to_string(), content);
    }

    fn version(&self, store_id: &str, path: &str, op: VersionOp, content: Option<&str>, meta: &WriteMeta) -> DocumentVersion {
        DocumentVersion::new(
            format!("view:{}", ids::new_id()),
            format!("view:{store_id}:{path}"),
            0,
            path,
            op,
            content,
            meta,
        )
    }

    /// A stale write is refused as the store refuses it.
    fn check_expected(path: &str, current: Option<&str>, meta: &WriteMeta) -> Result<()> {
        let sha = current.map(|c| sha256_hex(c.as_bytes()));
        crate::store::memory::check_expected(path, sha.as_deref(), meta)
    }

    /// A new path is refused as the store refuses it: a malformed name, or
    /// one that looks like (or is the folder of) a document already there
    /// (other than `moving`, the document taking the path).
    fn check_new_path(&self, store_id: &str, path: &str, moving: Option<&str>) -> Result<()> {
        memory_path::check_new(path)?;
        let new = memory_path::NewPath::new(path);
        for existing in self.documents(store_id)?.keys() {
            if Some(existing.as_str()) == moving {
                continue;
            }
            if let Some(why) = new.clash_with(existing) {
                return Err(Error::Conflict(why));
            }
        }
        Ok(())
    }

    /// Lays a dream's proposal (every edit not rejected) over the view, as
    /// apply would write it; an edit whose document changed since the dream
    /// read it, or that holds a secret, fails as apply would.
    pub fn apply_proposal(&self, store_id: &str, edits: &[ProposalEdit]) -> Result<()> {
        let chosen = || edits.iter().filter(|e| e.decision != EditDecision::Rejected);
        // What apply would refuse (a secret, an oversized document) never
        // reaches an evaluation run either; checked before any edit is laid.
        for e in chosen() {
            if let Some(content) = &e.content {
                let meta = WriteMeta::dream(&e.dream_id, "");
                crate::store::memory::check_content(&memory_path::normalize(&e.path)?, content, &meta)?;
            }
        }
        for e in chosen() {
            let path = memory_path::normalize(&e.path)?;
            let current = self.read_document(store_id, &path)?.map(|(_, c)| c);
            if let Some(base) = &e.base_sha256 {
                Self::check_expected(&path, current.as_deref(), &WriteMeta::user("").expecting(base.clone()))
                    .map_err(|_| Error::Conflict(format!("{path} changed since the dream read it; run a new dream")))?;
            }
            match e.op {
                EditOp::Create | EditOp::Rewrite | EditOp::Merge => {
                    self.set(store_id, &path, Some(e.content.clone().unwrap_or_default()));
                    for merged in &e.merged_paths {
                        self.set(store_id, &memory_path::normalize(merged)?, None);
                    }
                }
                EditOp::Delete => self.set(store_id, &path, None),
            }
        }
        self.writes.store(0, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }

    /// The layers as they stand, to seed a fresh view per task.
    pub fn snapshot(&self) -> HashMap<String, Layer> {
        self.layers.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn view_document(store_id: &str, path: &str, content: &str) -> Document {
    Document {
        id: format!("view:{store_id}:{path}"),
        store_id: store_id.to_string(),
        path: path.to_string(),
        pinned: false,
        version: 0,
        sha256: sha256_hex(content.as_bytes()),
        size: content.len() as i64,
        author: AuthorKind::Dream,
        updated_at: String::new(),
    }
}

impl MemoryAccess for MemoryView {
    fn memory_store(&self, store_id: &str) -> Result<MemoryStore> {
        let mut s = self.store.memory_store(store_id)?;
        let docs = self.documents(store_id)?;
        s.document_count = docs.len() as i64;
        s.used_bytes = docs.values().map(|c| c.len() as i64).sum();
        Ok(s)
    }

    fn list_documents(&self, store_id: &str, under: Option<&str>) -> Result<Vec<Document>> {
        let dir = under.map(memory_path::normalize_dir).transpose()?;
        let docs = self.documents(store_id)?;
        let live: HashMap<String, Document> = if self.layered_whole(store_id) {
            HashMap::new()
        } else {
            self.store
                .list_documents(store_id, None)?
                .into_iter()
                .map(|d| (d.path.clone(), d))
                .collect()
        };
        Ok(docs
            .into_iter()
            .filter(|(p, _)| dir.as_ref().is_none_or(|d| memory_path::is_within(p, d)))
            .map(|(p, c)| match live.get(&p) {
                Some(d) if d.sha256 == sha256_hex(c.as_bytes()) => d.clone(),
                _ => view_document(store_id, &p, &c),
            })
            .collect())
    }

    fn read_document(&self, store_id: &str, path: &str) -> Result<Option<(Document, String)>> {
        let path = memory_path::normalize(path)?;
        match self.layered(store_id, &path) {
            Some(Some(c)) => Ok(Some((view_document(store_id, &path, &c), c))),
            Some(None) => Ok(None),
            None => self.store.read_document(store_id, &path),
        }
    }

    fn write_document(
        &self,
        store_id: &str,
        path: &str,
        content: &str,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion> {
        let path = memory_path::normalize(path)?;
        crate::store::memory::check_content(&path, content, meta)?;
        let current = self.read_document(store_id, &path)?.map(|(_, c)| c);
        Self::check_expected(&path, current.as_deref(), meta)?;
        if current.is_none() {
            self.check_new_path(store_id, &path, None)?;
        }
        // The view holds the store to its size limit as the store does, so
        // an evaluation run cannot pass on memory the store would refuse.
        let store = self.memory_store(store_id)?;
        let old_size = current.as_deref().map_or(0, |c| c.len() as i64);
        crate::store::memory::within_capacity(
            &store.name,
            store.size_limit_bytes,
            store.used_bytes,
            old_size,
            content.len(),
        )?;
        let op = if current.is_some() { VersionOp::Update } else { VersionOp::Create };
        self.set(store_id, &path, Some(content.to_string()));
        Ok(self.version(store_id, &path, op, Some(content), meta))
    }

    fn delete_document(
        &self,
        store_id: &str,
        path: &str,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion> {
        let path = memory_path::normalize(path)?;
        let current = self.read_document(store_id, &path)?.map(|(_, c)| c);
        Self::check_expected(&path, current.as_deref(), meta)?;
        if current.is_none() {
            return Err(Error::not_found("document", path));
        }
        self.set(store_id, &path, None);
        Ok(self.version(store_id, &path, VersionOp::Delete, None, meta))
    }

    fn rename_document(
        &self,
        store_id: &str,
        from: &str,
        to: &str,
        meta: &WriteMeta,
    ) -> Result<DocumentVersion> {
        let from = memory_path::normalize(from)?;
        let to = memory_path::normalize(to)?;
        let Some((_, content)) = self.read_document(store_id, &from)? else {
            return Err(Error::not_found("document", from));
        };
        if self.read_document(store_id, &to)?.is_some() {
            return Err(Error::Conflict(format!(
                "{to} already exists; pick another name or delete it first"
            )));
        }
        self.check_new_path(store_id, &to, Some(&from))?;
        self.set(store_id, &from, None);
        self.set(store_id, &to, Some(content.clone()));
        Ok(self.version(store_id, &to, VersionOp::Rename, Some(&content), meta))
    }

    fn delete_tree(&self, store_id: &str, dir: &str, _meta: &WriteMeta) -> Result<usize> {
        let dir = memory_path::normalize(dir)?;
        let paths: Vec<String> = self
            .documents(store_id)?
            .into_keys()
            .filter(|p| memory_path::is_within(p, &dir) && *p != dir)
            .collect();
        if paths.is_empty() {
            return Err(Error::not_found("directory", dir));
        }
        for p in &paths {
            self.set(store_id, p, None);
        }
        Ok(paths.len())
    }

    fn rename_tree(&self, store_id: &str, from: &str, to: &str, _meta: &WriteMeta) -> Result<usize> {
        let from = memory_path::normalize(from)?;
        let to = memory_path::normalize(to)?;
        let docs = self.documents(store_id)?;
        let moving: Vec<(String, String)> = docs
            .iter()
            .filter(|(p, _)| memory_path::is_within(p, &from) && **p != from)
            .map(|(p, c)| (p.clone(), c.clone()))
            .collect();
        if moving.is_empty() {
            return Err(Error::not_found("directory", from));
        }
        if docs.keys().any(|p| *p == to || memory_path::is_within(p, &to)) {
            return Err(Error::Conflict(format!(
                "{to} already exists; pick another name or delete it first"
            )));
        }
        for (p, c) in &moving {
            self.set(store_id, p, None);
            self.set(store_id, &format!("{to}{}", &p[from.len()..]), Some(c.clone()));
        }
        Ok(moving.len())
    }

    fn version_id(&self, store_id: &str, path: &str) -> Option<String> {
        let path = memory_path::normalize(path).ok()?;
        match self.layered(store_id, &path) {
            Some(_) => None,
            None => MemoryAccess::version_id(self.store.as_ref(), store_id, &path),
        }
    }
}

impl MemoryView {
    fn layered_whole(&self, store_id: &str) -> bool {
        self.layers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(store_id)
            .is_some_and(|l| l.replaces_base)
    }
}

/// Creates a session for the runtime: inside a gate's run (a memory view
/// that names its gate) it is marked as an evaluation session in the same
/// transaction, so a kill never leaves an unmarked gate session.
pub fn create_session(store: &Store, new: &crate::store::NewSession) -> Result<crate::store::Session> {
    match current_view().and_then(|v| v.gate_id().map(str::to_string)) {
        Some(gate_id) => store.create_eval_session(new, Some(&gate_id)),
        None => store.create_session(new),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewMemoryStore;

    /// A store in a fresh folder with one memory store in it: (folder, store, memory store id).
    fn store_with(name: &str, size_limit_bytes: Option<i64>) -> (tempfile::TempDir, Arc<Store>, String) {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let new = NewMemoryStore {
            name: name.into(),
            description: String::new(),
            instructions: String::new(),
            size_limit_bytes,
        };
        let id = store.create_memory_store(&new).unwrap().id;
        (dir, store, id)
    }

    /// A view refuses what the store refuses, and the real store never
    /// sees what the view accepts.
    #[test]
    fn a_view_keeps_the_store_rules_and_never_writes_the_store() {
        let (_dir, store, id) = store_with("notes", None);
        let user = WriteMeta::user("test");
        store.write_document(&id, "/memories/admin.md", "x\n", &user).unwrap();
        let view = MemoryView::new(store.clone());
        // A lookalike of an existing name (Cyrillic "а"), a secret, and too much text.
        let lookalike = view.write_document(&id, "/memories/\u{0430}dmin.md", "y\n", &user);
        assert!(matches!(lookalike, Err(Error::Conflict(_))), "{lookalike:?}");
        let secret = view.write_document(&id, "/memories/k.md", "AWS key AKIAIOSFODNN7EXAMPLE\n", &user);
        assert!(matches!(secret, Err(Error::Secret(_))), "{secret:?}");
        let big = "a".repeat(crate::store::memory::MAX_DOCUMENT_BYTES + 1);
        assert!(matches!(view.write_document(&id, "/memories/big.md", &big, &user), Err(Error::Invalid(_))));
        // A stale write is refused; a fresh one lands in the view only.
        let stale = WriteMeta::user("test").expecting("0".repeat(64));
        assert!(matches!(view.write_document(&id, "/memories/admin.md", "z\n", &stale), Err(Error::Conflict(_))));
        view.write_document(&id, "/memories/new.md", "kept in the view\n", &user).unwrap();
        assert!(view.read_document(&id, "/memories/new.md").unwrap().is_some());
        assert!(store.read_document(&id, "/memories/new.md").unwrap().is_none());
        // Renaming a document to another case of its own name is allowed, as in the store.
        view.rename_document(&id, "/memories/new.md", "/memories/New.md", &user).unwrap();
    }

    /// A view full to its store's limit refuses what the store would refuse,
    /// counting the view's own writes, and still lets a document shrink.
    #[test]
    fn a_view_holds_the_store_to_its_size_limit() {
        let (_dir, store, id) = store_with("small", Some(100));
        let user = WriteMeta::user("test");
        store.write_document(&id, "/memories/a.md", &"a".repeat(60), &user).unwrap();
        let view = MemoryView::new(store.clone());
        // 60 in the store + 30 in the view fits; 20 more does not, in the view as in the store.
        view.write_document(&id, "/memories/b.md", &"b".repeat(30), &user).unwrap();
        let over = view.write_document(&id, "/memories/c.md", &"c".repeat(20), &user);
        assert!(
            matches!(&over, Err(Error::Invalid(why)) if why.contains("over its limit of 100")),
            "{over:?}"
        );
        let in_store = store.write_document(&id, "/memories/c.md", &"c".repeat(41), &user);
        assert!(matches!(in_store, Err(Error::Invalid(_))), "{in_store:?}");
        // Growing a document in the view past the limit is refused; shrinking one is not.
        assert!(view.write_document(&id, "/memories/a.md", &"a".repeat(71), &user).is_err());
        view.write_document(&id, "/memories/a.md", "short\n", &user).unwrap();
        view.write_document(&id, "/memories/c.md", &"c".repeat(20), &user).unwrap();
        assert_eq!(view.memory_store(&id).unwrap().used_bytes, 6 + 30 + 20);
        assert_eq!(store.memory_store(&id).unwrap().used_bytes, 60);
    }

    /// A proposal edit holding a secret (say, changed by hand after the
    /// dream's guards ran) is refused before any evaluation run reads it.
    #[test]
    fn a_proposal_with_a_secret_never_reaches_the_view() {
        let (_dir, store, id) = store_with("notes", None);
        let view = MemoryView::new(store.clone());
        let edit = |path: &str, content: &str| ProposalEdit {
            id: format!("e-{path}"),
            dream_id: "d".into(),
            position: 0,
            op: EditOp::Create,
            path: path.into(),
            merged_paths: Vec::new(),
            content: Some(content.into()),
            base_sha256: None,
            reason: String::new(),
            source_session_ids: Vec::new(),
            decision: EditDecision::Accepted,
        };
        let refused = view.apply_proposal(
            &id,
            &[edit("/memories/a.md", "fine\n"), edit("/memories/k.md", "AWS key AKIAIOSFODNN7EXAMPLE\n")],
        );
        assert!(matches!(refused, Err(Error::Secret(_))), "{refused:?}");
        // Nothing of it was laid, not even the harmless edit before it.
        assert!(view.read_document(&id, "/memories/k.md").unwrap().is_none());
        assert!(view.read_document(&id, "/memories/a.md").unwrap().is_none());
    }
}
