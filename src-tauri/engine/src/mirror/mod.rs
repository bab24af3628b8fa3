//! The folder mirror: a memory store kept in step with a folder of plain
//! files, so a person can read and edit memory in any editor. Document
//! `/memories/a/b.md` is the file `DIR/a/b.md`.
//!
//! A sync ([`Mirror::sync_once`]) compares each document on three sides:
//! the store, the folder, and what both held when they last agreed (kept in
//! the store, see [`crate::store::mirror_state`]). A side that changed wins
//! over one that did not: folder edits are imported as versions authored
//! `external`, store edits are written out. When both sides changed, the
//! store keeps its version and the folder's text becomes a document of its
//! own at a conflict path (`a/b.conflict-<time>.md`), on both sides, and
//! the conflict is recorded. Nothing is ever silently lost: a deletion is a
//! version too, so it can be restored.
//!
//! [`Mirror::spawn`] (or [`Mirror::start`]) runs syncs on a background
//! thread: after each debounced batch of file events, whenever the store
//! changes (polled, since the app and CLI write from other processes), and
//! now and then as a safety net. One mirror per store at a time, across
//! processes (a lease). A file moved in the folder renames its document;
//! an empty folder is a fresh start (the store is written out again), never
//! a request to delete everything.
//!
//! This module never reads or writes outside the folder and never follows
//! a symbolic link: every file access goes through the private `folder`
//! module, which refuses links, non-text and oversize files.

mod folder;
mod handle;
mod watch;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use serde::Serialize;

pub use folder::is_ignored_name;
use folder::{Folder, FolderError, FolderFile, Scan, relative};
pub use watch::{MirrorHandle, start_configured};

use crate::store::{Document, MirrorConflict, MirrorConflictKind, NewMirrorConflict, WriteMeta};
use crate::{Error, Result, Store};

/// How long a mirror's lease lasts without renewal (a crashed mirror's
/// lease is freed sooner: its process is gone).
const LEASE_TTL: Duration = Duration::from_secs(60);

/// What one sync did to one document (or refused to do), for people (via
/// `Display`) and for the UI (as JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum MirrorEvent {
    /// A file edited or created in the folder became a new version.
    Imported { path: String, version: i64 },
    /// A file deleted in the folder deleted its document (the deletion is
    /// a version; earlier ones can be restored).
    Deleted { path: String, version: i64 },
    /// A file renamed (or moved) in the folder renamed its document.
    Renamed {
        from: String,
        to: String,
        version: i64,
    },
    /// A document changed in the store was written to its file.
    Exported { path: String, file: String },
    /// A document deleted in the store had its unchanged file removed.
    Removed { path: String, file: String },
    /// Both sides changed; see the conflict for what was kept where.
    Conflict { conflict: MirrorConflict },
    /// A file or document that is not mirrored, and why.
    Refused { file: String, reason: String },
    /// A change that could not be carried over; it is retried on the next sync.
    Failed { path: String, reason: String },
    /// The whole sync failed (the folder is gone, the database is busy).
    Error { message: String },
}

impl std::fmt::Display for MirrorEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MirrorEvent::Imported { path, version } => {
                write!(
                    f,
                    "imported  {path} (version {version}, edited in the folder)"
                )
            }
            MirrorEvent::Deleted { path, version } => write!(
                f,
                "deleted   {path} (deleted in the folder; version {version} records it, earlier ones can be restored)"
            ),
            MirrorEvent::Renamed { from, to, version } => write!(
                f,
                "renamed   {from} -> {to} (version {version}, renamed in the folder)"
            ),
            MirrorEvent::Exported { path, file } => write!(f, "exported  {path} -> {file}"),
            MirrorEvent::Removed { path, file } => {
                write!(f, "removed   {file} ({path} was deleted in the store)")
            }
            MirrorEvent::Conflict { conflict } => match conflict.kind {
                MirrorConflictKind::BothChanged => write!(
                    f,
                    "conflict  {} changed in both the store and the folder; kept the store's version there and the folder's as {}",
                    conflict.path,
                    conflict.conflict_path.as_deref().unwrap_or("?")
                ),
                MirrorConflictKind::DeletedInStore => write!(
                    f,
                    "conflict  {} was deleted in the store but edited in the folder; imported the folder's version again",
                    conflict.path
                ),
                MirrorConflictKind::DeletedInFolder => write!(
                    f,
                    "conflict  {} was deleted in the folder but changed in the store; wrote the store's version out again",
                    conflict.path
                ),
            },
            MirrorEvent::Refused { file, reason } => write!(f, "refused   {file}: {reason}"),
            MirrorEvent::Failed { path, reason } => write!(f, "failed    {path}: {reason}"),
            MirrorEvent::Error { message } => write!(f, "error     {message}"),
        }
    }
}

/// Stores mirrored by this process, so two mirrors never share one (the
/// lease alone cannot tell, it names the process).
fn running() -> &'static Mutex<HashSet<String>> {
    static RUNNING: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    RUNNING.get_or_init(Default::default)
}

fn lease_name(store_id: &str) -> String {
    format!("mirror:{store_id}")
}

/// One memory store mirrored to one folder.
pub struct Mirror {
    store: Arc<Store>,
    store_id: String,
    folder: Folder,
    /// The folder's canonical path, as recorded in the sync state.
    dir_key: String,
    /// Refusals and failures already reported, so each is said once while it lasts.
    reported: HashSet<String>,
    debounce: Duration,
    poll_interval: Duration,
    rescan_interval: Duration,
}

impl std::fmt::Debug for Mirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mirror")
            .field("store_id", &self.store_id)
            .field("dir", &self.dir_key)
            .finish()
    }
}

impl Mirror {
    /// Prepares to mirror a store (by name or id) to `dir`, creating the
    /// folder if needed and claiming the store: only one mirror per store
    /// runs at a time, in any process. Nothing is synced yet.
    pub fn new(store: Arc<Store>, store_name_or_id: &str, dir: &Path) -> Result<Mirror> {
        let memory_store = store.memory_store(store_name_or_id)?;
        let not_a_folder = || {
            Error::Invalid(format!(
                "{} is a file, not a folder; give a folder to mirror the memory store into",
                dir.display()
            ))
        };
        if dir.exists() && !dir.is_dir() {
            return Err(not_a_folder());
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let root = dir.canonicalize().map_err(|e| Error::io(dir, e))?;
        if !root.is_dir() {
            return Err(not_a_folder());
        }
        let dir_key = root
            .to_str()
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "{} has a name that is not valid UTF-8; pick another folder",
                    root.display()
                ))
            })?
            .to_string();
        let store_id = memory_store.id.clone();
        if !running()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(store_id.clone())
        {
            return Err(Error::Conflict(format!(
                "the memory store '{}' is already being mirrored by this program; stop that mirror first",
                memory_store.name
            )));
        }
        let claimed = store.try_acquire_lease(&lease_name(&store_id), LEASE_TTL);
        if !matches!(claimed, Ok(true)) {
            running()
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&store_id);
            claimed?;
            return Err(Error::Conflict(format!(
                "the memory store '{}' is already being mirrored by another Reverie process (the app or `reverie memory mirror`); stop it first",
                memory_store.name
            )));
        }
        Ok(Mirror {
            store,
            store_id,
            folder: Folder::new(root),
            dir_key,
            reported: HashSet::new(),
            debounce: Duration::from_millis(300),
            poll_interval: Duration::from_secs(1),
            rescan_interval: Duration::from_secs(30),
        })
    }

    /// Starts mirroring in the background (see [`Mirror::spawn`]).
    pub fn start(store: Arc<Store>, store_name_or_id: &str, dir: &Path) -> Result<MirrorHandle> {
        Mirror::new(store, store_name_or_id, dir)?.spawn(|_| {})
    }

    /// How long the folder must be quiet before its changes are imported
    /// (default 300 ms), so an editor's save is read once, complete.
    pub fn debounce(mut self, debounce: Duration) -> Self {
        self.debounce = debounce;
        self
    }

    /// How often the store is checked for changes made elsewhere (default 1 s).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// How often the whole folder is re-read even without file events
    /// (default 30 s), in case the OS dropped some.
    pub fn rescan_interval(mut self, interval: Duration) -> Self {
        self.rescan_interval = interval;
        self
    }

    pub fn store_id(&self) -> &str {
        &self.store_id
    }

    /// The mirrored folder (canonical).
    pub fn dir(&self) -> &Path {
        self.folder.root()
    }

    /// This store's open conflicts with this folder, newest first.
    pub fn conflicts(&self) -> Result<Vec<MirrorConflict>> {
        Ok(self
            .store
            .mirror_conflicts(&self.store_id, false)?
            .into_iter()
            .filter(|c| c.dir == self.dir_key)
            .collect())
    }

    /// Brings the store and the folder in step once, returning what it did.
    /// Errors only when nothing could be compared (the folder is gone, the
    /// database failed); a document that cannot be carried over is a
    /// `Failed` or `Refused` event and is retried next time.
    pub fn sync_once(&mut self) -> Result<Vec<MirrorEvent>> {
        let scan = self.folder.scan().map_err(Error::Invalid)?;
        let docs: HashMap<String, Document> = self
            .store
            .list_documents(&self.store_id, None)?
            .into_iter()
            .map(|d| (d.path.clone(), d))
            .collect();
        let mut base = self.store.mirror_entries(&self.store_id, &self.dir_key)?;
        if scan.files.is_empty() && scan.refused.is_empty() {
            // An empty folder is a fresh start (it was deleted and made
            // again, or a drive came back empty), never a request to delete
            // every document: the store is written out again.
            base.clear();
        }

        let mut events = Vec::new();
        let mut still_reported = HashSet::new();
        let mut report = |events: &mut Vec<MirrorEvent>, event: MirrorEvent| {
            let key = match &event {
                MirrorEvent::Refused { file, reason } => format!("refused\0{file}\0{reason}"),
                MirrorEvent::Failed { path, reason } => format!("failed\0{path}\0{reason}"),
                _ => {
                    events.push(event);
                    return;
                }
            };
            if !self.reported.contains(&key) {
                events.push(event);
            }
            still_reported.insert(key);
        };

        for refusal in &scan.refused {
            report(
                &mut events,
                MirrorEvent::Refused {
                    file: refusal.file.clone(),
                    reason: refusal.reason.clone(),
                },
            );
        }

        let paths: BTreeSet<&String> = docs
            .keys()
            .chain(scan.files.keys())
            .chain(base.keys())
            .collect();
        let renamed = self.folder_renames(&paths, &scan, &docs, &base);
        for (from, to) in &renamed {
            match self.import_rename(from, to, &docs[*from]) {
                Ok(event) => events.push(event),
                Err(SyncError::Changed) => {}
                Err(SyncError::Failed(reason)) => report(
                    &mut events,
                    MirrorEvent::Failed {
                        path: (*to).clone(),
                        reason,
                    },
                ),
            }
        }
        let handled: HashSet<&String> = renamed.iter().flat_map(|(a, b)| [*a, *b]).collect();
        for path in paths {
            if scan.is_blocked(path) || handled.contains(path) {
                continue;
            }
            if folder::is_ignored_document(path) {
                if docs.contains_key(path) {
                    report(
                        &mut events,
                        MirrorEvent::Refused {
                            file: relative(path).to_string(),
                            reason: "its name is hidden or looks like an editor's temporary file, so it stays in the store only".into(),
                        },
                    );
                }
                continue;
            }
            let sides = Sides {
                store: docs.get(path),
                folder: scan.files.get(path),
                base: base.get(path).map(String::as_str),
            };
            match self.reconcile(path, sides, &scan, &docs) {
                Ok(Some(event)) => report(&mut events, event),
                Ok(None) => {}
                // Changed under us: the next sync sees the new state.
                Err(SyncError::Changed) => {}
                Err(SyncError::Failed(reason)) => report(
                    &mut events,
                    MirrorEvent::Failed {
                        path: path.clone(),
                        reason,
                    },
                ),
            }
        }
        self.reported = still_reported;
        self.settle_conflicts()?;
        Ok(events)
    }

    /// One document: decide which side changed since the last sync and
    /// carry the change over.
    fn reconcile(
        &self,
        path: &str,
        sides: Sides<'_>,
        scan: &Scan,
        docs: &HashMap<String, Document>,
    ) -> Result<Option<MirrorEvent>, SyncError> {
        let store_sha = sides.store.map(|d| d.sha256.as_str());
        let folder_sha = sides.folder.map(|f| f.sha256.as_str());
        if store_sha == folder_sha {
            if sides.base != store_sha {
                self.remember(path, store_sha)?;
            }
            return Ok(None);
        }
        let store_changed = store_sha != sides.base;
        let folder_changed = folder_sha != sides.base;
        let file = relative(path).to_string();
        let event = match (store_changed, folder_changed, sides.store, sides.folder) {
            // The store changed: write it out.
            (true, false, Some(_), _) => {
                let (content, sha256) = self.store_content(path)?;
                self.folder.write(path, &content, folder_sha)?;
                self.remember(path, Some(&sha256))?;
                MirrorEvent::Exported {
                    path: path.into(),
                    file,
                }
            }
            (true, false, None, _) => {
                self.folder
                    .remove(path, folder_sha.expect("changed from a file"))?;
                self.remember(path, None)?;
                MirrorEvent::Removed {
                    path: path.into(),
                    file,
                }
            }
            // The folder changed: import it.
            (false, true, _, Some(found)) => {
                let meta = WriteMeta::external("edited in the mirrored folder")
                    .expecting(store_sha.unwrap_or(""));
                let version =
                    self.store
                        .write_document(&self.store_id, path, &found.content, &meta)?;
                self.remember(path, Some(&found.sha256))?;
                MirrorEvent::Imported {
                    path: path.into(),
                    version: version.seq,
                }
            }
            (false, true, _, None) => {
                let meta = WriteMeta::external("deleted in the mirrored folder")
                    .expecting(store_sha.expect("changed from a document"));
                let version = self.store.delete_document(&self.store_id, path, &meta)?;
                self.remember(path, None)?;
                MirrorEvent::Deleted {
                    path: path.into(),
                    version: version.seq,
                }
            }
            // Both changed.
            (_, _, Some(doc), Some(found)) => self.both_changed(path, doc, found, scan, docs)?,
            (_, _, None, Some(found)) => {
                let meta = WriteMeta::external(
                    "edited in the mirrored folder after it was deleted in the store",
                )
                .expecting("");
                self.store
                    .write_document(&self.store_id, path, &found.content, &meta)?;
                let conflict = self.record(
                    path,
                    None,
                    MirrorConflictKind::DeletedInStore,
                    None,
                    Some(&found.sha256),
                )?;
                self.remember(path, Some(&found.sha256))?;
                MirrorEvent::Conflict { conflict }
            }
            (_, _, Some(_), None) => {
                let (content, sha256) = self.store_content(path)?;
                self.folder.write(path, &content, None)?;
                let conflict = self.record(
                    path,
                    None,
                    MirrorConflictKind::DeletedInFolder,
                    Some(&sha256),
                    None,
                )?;
                self.remember(path, Some(&sha256))?;
                MirrorEvent::Conflict { conflict }
            }
            (_, _, None, None) => unreachable!("equal shas are handled above"),
        };
        Ok(Some(event))
    }

    /// Files renamed in the folder: a file gone from one path (unchanged in
    /// the store) whose exact text appeared at a new path. Renaming the
    /// document keeps its history in one piece.
    fn folder_renames<'a>(
        &self,
        paths: &BTreeSet<&'a String>,
        scan: &Scan,
        docs: &HashMap<String, Document>,
        base: &HashMap<String, String>,
    ) -> Vec<(&'a String, &'a String)> {
        let usable = |p: &String| !scan.is_blocked(p) && !folder::is_ignored_document(p);
        let mut gone: HashMap<&str, Vec<&'a String>> = HashMap::new();
        for &path in paths {
            let Some(doc) = docs.get(path) else { continue };
            if usable(path) && !scan.files.contains_key(path) && base.get(path) == Some(&doc.sha256)
            {
                gone.entry(doc.sha256.as_str()).or_default().push(path);
            }
        }
        let mut renames = Vec::new();
        for &path in paths {
            let Some(file) = scan.files.get(path) else {
                continue;
            };
            if !usable(path) || docs.contains_key(path) || base.contains_key(path) {
                continue;
            }
            if let Some(from) = gone.get_mut(file.sha256.as_str()).and_then(Vec::pop) {
                renames.push((from, path));
            }
        }
        renames
    }

    fn import_rename(
        &self,
        from: &str,
        to: &str,
        doc: &Document,
    ) -> Result<MirrorEvent, SyncError> {
        let meta = WriteMeta::external("renamed in the mirrored folder").expecting(&doc.sha256);
        let version = self
            .store
            .rename_document(&self.store_id, from, to, &meta)?;
        self.remember(from, None)?;
        self.remember(to, Some(&doc.sha256))?;
        Ok(MirrorEvent::Renamed {
            from: from.into(),
            to: to.into(),
            version: version.seq,
        })
    }

    /// The store keeps its version at `path`; the folder's text becomes a
    /// document of its own at a conflict path, on both sides.
    fn both_changed(
        &self,
        path: &str,
        doc: &Document,
        found: &FolderFile,
        scan: &Scan,
        docs: &HashMap<String, Document>,
    ) -> Result<MirrorEvent, SyncError> {
        // A sync interrupted after keeping the folder's text finds the same
        // conflict again: reuse what it kept instead of keeping it twice.
        let earlier = self
            .store
            .mirror_conflicts(&self.store_id, false)?
            .into_iter()
            .find(|c| {
                c.dir == self.dir_key
                    && c.path == path
                    && c.folder_sha256.as_deref() == Some(found.sha256.as_str())
                    && c.conflict_path
                        .as_ref()
                        .and_then(|cp| docs.get(cp))
                        .is_some_and(|d| d.sha256 == found.sha256)
            });
        let conflict = match earlier {
            Some(conflict) => conflict,
            None => {
                let conflict_path = self.free_conflict_path(path, scan, docs)?;
                let meta = WriteMeta::external(format!(
                    "kept from the mirrored folder: both the store and the folder changed {path}"
                ))
                .expecting("");
                self.store
                    .write_document(&self.store_id, &conflict_path, &found.content, &meta)?;
                self.record(
                    path,
                    Some(&conflict_path),
                    MirrorConflictKind::BothChanged,
                    Some(&doc.sha256),
                    Some(&found.sha256),
                )?
            }
        };
        let conflict_path = conflict
            .conflict_path
            .clone()
            .expect("kept at a conflict path");
        if !self.folder.occupied(&conflict_path) {
            self.folder.write(&conflict_path, &found.content, None)?;
        }
        self.remember(&conflict_path, Some(&found.sha256))?;
        let (content, sha256) = self.store_content(path)?;
        self.folder.write(path, &content, Some(&found.sha256))?;
        self.remember(path, Some(&sha256))?;
        Ok(MirrorEvent::Conflict { conflict })
    }

    /// `/memories/a/b.md` → `/memories/a/b.conflict-20261126T080715Z.md`,
    /// free on both sides.
    fn free_conflict_path(
        &self,
        path: &str,
        scan: &Scan,
        docs: &HashMap<String, Document>,
    ) -> Result<String, SyncError> {
        let (dir, name) = path.rsplit_once('/').expect("a document path has a '/'");
        let (stem, ext) = match name.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
            _ => (name, String::new()),
        };
        let stamp = conflict_stamp();
        for n in 1..100 {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            };
            let candidate = format!("{dir}/{stem}.conflict-{stamp}{suffix}{ext}");
            let candidate = crate::memory_path::normalize(&candidate)
                .map_err(|e| SyncError::Failed(e.to_string()))?;
            if !docs.contains_key(&candidate)
                && !scan.files.contains_key(&candidate)
                && !self.folder.occupied(&candidate)
            {
                return Ok(candidate);
            }
        }
        Err(SyncError::Failed(format!(
            "no free name to keep the folder's version of {path}; remove old conflict copies"
        )))
    }

    /// The document's current text and its sha256 (read now: it may be
    /// newer than the listing the sync started from).
    fn store_content(&self, path: &str) -> Result<(String, String), SyncError> {
        match self.store.read_document(&self.store_id, path)? {
            Some((doc, content)) => Ok((content, doc.sha256)),
            None => Err(SyncError::Changed),
        }
    }

    fn remember(&self, path: &str, sha256: Option<&str>) -> Result<(), SyncError> {
        self.store
            .set_mirror_entry(&self.store_id, &self.dir_key, path, sha256)?;
        Ok(())
    }

    fn record(
        &self,
        path: &str,
        conflict_path: Option<&str>,
        kind: MirrorConflictKind,
        store_sha256: Option<&str>,
        folder_sha256: Option<&str>,
    ) -> Result<MirrorConflict, SyncError> {
        Ok(self.store.record_mirror_conflict(&NewMirrorConflict {
            store_id: &self.store_id,
            dir: &self.dir_key,
            path,
            conflict_path,
            kind,
            store_sha256,
            folder_sha256,
        })?)
    }

    /// A conflict whose kept copy is gone (deleted in the folder or the
    /// store once the person merged it) is resolved.
    fn settle_conflicts(&self) -> Result<()> {
        for conflict in self.conflicts()? {
            let Some(kept) = &conflict.conflict_path else {
                continue;
            };
            if self.store.read_document(&self.store_id, kept)?.is_none()
                && !self.folder.occupied(kept)
            {
                self.store.resolve_mirror_conflict(&conflict.id)?;
            }
        }
        Ok(())
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = self.store.release_lease(&lease_name(&self.store_id));
        running()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.store_id);
    }
}

struct Sides<'a> {
    store: Option<&'a Document>,
    folder: Option<&'a FolderFile>,
    base: Option<&'a str>,
}

enum SyncError {
    /// One side changed while being synced; the next sync looks again.
    Changed,
    Failed(String),
}

impl From<FolderError> for SyncError {
    fn from(e: FolderError) -> Self {
        match e {
            FolderError::Changed => SyncError::Changed,
            FolderError::Refused(reason) => SyncError::Failed(reason),
        }
    }
}

impl From<Error> for SyncError {
    fn from(e: Error) -> Self {
        match e {
            // A `content_sha256` precondition failed: the store changed.
            Error::Conflict(_) => SyncError::Changed,
            e => SyncError::Failed(e.to_string()),
        }
    }
}

fn conflict_stamp() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}
