//! Keeping a mirror live: a background thread that syncs after each
//! debounced batch of file events (`notify`), whenever the store's revision
//! moves (the app and the CLI write from other processes, so the store is
//! polled), when told the store changed, and now and then as a safety net.
//! It holds the mirror's lease while it runs; dropping the handle stops it.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Instant;

use notify_debouncer_full::notify::{self, RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, Debouncer, RecommendedCache, new_debouncer_opt};

use super::{LEASE_TTL, Mirror, MirrorEvent, folder, lease_name};
use crate::store::{MemoryStore, MirrorConflict};
use crate::{Error, Result, Store};

enum Message {
    /// Something in the folder changed (hidden and temporary files aside).
    Folder,
    /// The watcher lost events or failed; a full look is needed.
    WatchError(String),
    StoreChanged,
    Stop,
}

/// A running mirror. Dropping it stops the mirror (waiting for a sync in
/// progress to finish) and frees the store for another mirror.
pub struct MirrorHandle {
    tx: Sender<Message>,
    thread: Option<JoinHandle<()>>,
    store: Arc<Store>,
    store_id: String,
    dir: std::path::PathBuf,
}

impl std::fmt::Debug for MirrorHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MirrorHandle")
            .field("store_id", &self.store_id)
            .field("dir", &self.dir)
            .finish()
    }
}

impl Mirror {
    /// Syncs once (reporting to `on_event`), then keeps syncing on a
    /// background thread until the returned handle is dropped. Fails when
    /// the folder cannot be watched or the first sync cannot run at all.
    pub fn spawn(
        mut self,
        mut on_event: impl FnMut(&MirrorEvent) + Send + 'static,
    ) -> Result<MirrorHandle> {
        let (tx, rx) = mpsc::channel();
        let watch_tx = tx.clone();
        let root = self.folder.root().to_path_buf();
        let watched = root.clone();
        let config = notify::Config::default().with_follow_symlinks(false);
        let mut debouncer = new_debouncer_opt::<_, RecommendedWatcher, RecommendedCache>(
            self.debounce,
            None,
            move |result: DebounceEventResult| {
                let message = match result {
                    Ok(events) => {
                        // Only names below the root count (the root's own
                        // path may well have a hidden folder in it).
                        let relevant = events.iter().flat_map(|e| e.paths.iter()).any(|p| {
                            let below = p.strip_prefix(&watched).unwrap_or(p);
                            !below.components().any(|c| {
                                c.as_os_str().to_str().is_some_and(folder::is_ignored_name)
                            })
                        });
                        if !relevant {
                            return;
                        }
                        Message::Folder
                    }
                    Err(errors) => Message::WatchError(
                        errors
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("; "),
                    ),
                };
                let _ = watch_tx.send(message);
            },
            RecommendedCache::new(),
            config,
        )
        .map_err(|e| watch_error(&root, e))?;
        debouncer
            .watch(&root, RecursiveMode::Recursive)
            .map_err(|e| watch_error(&root, e))?;

        // Watch first, then sync: an edit made during the first sync is
        // not missed.
        let revision = self.store.memory_store_revision(&self.store_id)?;
        for event in self.sync_once()? {
            on_event(&event);
        }
        let store = self.store.clone();
        let store_id = self.store_id.clone();
        let thread = std::thread::Builder::new()
            .name("reverie-mirror".into())
            .spawn(move || run(self, debouncer, rx, revision, &mut on_event))
            .map_err(|e| Error::io(&root, e))?;
        Ok(MirrorHandle {
            tx,
            thread: Some(thread),
            store,
            store_id,
            dir: root,
        })
    }
}

/// Starts a mirror for every memory store that has a `mirror_dir`, as the
/// app and `reverie daemon` do when they start. A store that cannot be
/// mirrored now (its folder is missing, another process mirrors it) comes
/// back with its error; the others run until their handles are dropped. A
/// configured folder that is missing is not recreated (it may be an
/// unplugged drive). Each first sync runs before this returns: call it off
/// the UI thread.
pub fn start_configured(
    store: &Arc<Store>,
    on_event: impl Fn(&MemoryStore, &MirrorEvent) + Send + Sync + 'static,
) -> Result<Vec<(MemoryStore, Result<MirrorHandle>)>> {
    let on_event = Arc::new(on_event);
    Ok(store
        .list_memory_stores()?
        .into_iter()
        .filter_map(|memory_store| {
            let dir = memory_store.mirror_dir.clone()?;
            let on_event = on_event.clone();
            let named = memory_store.clone();
            let path = std::path::Path::new(&dir);
            let handle = if path.is_dir() {
                Mirror::new(store.clone(), &memory_store.id, path)
                    .and_then(|mirror| mirror.spawn(move |event| on_event(&named, event)))
            } else {
                Err(Error::Invalid(format!(
                    "the folder {dir} that memory store '{}' mirrors to is missing; reconnect it or choose another folder",
                    memory_store.name
                )))
            };
            Some((memory_store, handle))
        })
        .collect())
}

fn watch_error(root: &std::path::Path, e: notify::Error) -> Error {
    Error::Invalid(format!(
        "cannot watch {} for changes ({e}); check the folder exists and, on Linux, raise fs.inotify.max_user_watches if it is large",
        root.display()
    ))
}

/// The worker: owns the mirror and its watcher (dropping the watcher on
/// return stops it).
fn run(
    mut mirror: Mirror,
    mut watcher: Debouncer<RecommendedWatcher, RecommendedCache>,
    rx: Receiver<Message>,
    mut revision: i64,
    on_event: &mut dyn FnMut(&MirrorEvent),
) {
    let lease = lease_name(&mirror.store_id);
    let mut last_renewal = Instant::now();
    let mut last_sync = Instant::now();
    let mut last_error: Option<String> = None;
    loop {
        let mut due = false;
        match rx.recv_timeout(mirror.poll_interval) {
            Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => return,
            Ok(Message::Folder | Message::StoreChanged) => due = true,
            Ok(Message::WatchError(message)) => {
                on_event(&MirrorEvent::Error {
                    message: format!(
                        "the folder watcher reported: {message}; re-reading the folder"
                    ),
                });
                due = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
        }
        // Take in everything that arrived meanwhile: one sync serves all.
        loop {
            match rx.try_recv() {
                Ok(Message::Stop) => return,
                Ok(_) => due = true,
                Err(_) => break,
            }
        }

        let now_revision = mirror.store.memory_store_revision(&mirror.store_id);
        if now_revision.as_ref().is_ok_and(|r| *r != revision) {
            due = true;
        }
        if last_sync.elapsed() >= mirror.rescan_interval {
            due = true;
        }
        if due {
            // Read before syncing: writes made during the sync (ours
            // included) move it on, and the next look syncs once more.
            let before = now_revision.unwrap_or(revision);
            match mirror.sync_once() {
                Ok(events) => {
                    if last_error.take().is_some() {
                        // The folder may be back as a new directory, which
                        // the old watch does not see: watch it afresh.
                        let root = mirror.folder.root().to_path_buf();
                        let _ = watcher.unwatch(&root);
                        if let Err(e) = watcher.watch(&root, RecursiveMode::Recursive) {
                            on_event(&MirrorEvent::Error {
                                message: watch_error(&root, e).to_string(),
                            });
                        }
                    }
                    revision = before;
                    for event in &events {
                        on_event(event);
                    }
                }
                Err(e) => {
                    let message = e.to_string();
                    if last_error.as_ref() != Some(&message) {
                        on_event(&MirrorEvent::Error {
                            message: message.clone(),
                        });
                    }
                    last_error = Some(message);
                }
            }
            last_sync = Instant::now();
        }

        if last_renewal.elapsed() >= LEASE_TTL / 4 {
            last_renewal = Instant::now();
            // A database error is retried next time; only another owner stops us.
            if matches!(mirror.store.renew_lease(&lease, LEASE_TTL), Ok(false))
                && matches!(mirror.store.try_acquire_lease(&lease, LEASE_TTL), Ok(false))
            {
                on_event(&MirrorEvent::Error {
                    message:
                        "another Reverie process took over this store's mirror; this one stopped"
                            .into(),
                });
                return;
            }
        }
    }
}

impl MirrorHandle {
    /// Asks for a sync now (call after writing to the store in this
    /// process; other processes' writes are noticed by polling).
    pub fn notify_store_changed(&self) {
        let _ = self.tx.send(Message::StoreChanged);
    }

    pub fn store_id(&self) -> &str {
        &self.store_id
    }

    /// The mirrored folder (canonical).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// True while the background thread runs (it stops if another process
    /// takes the mirror over).
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Open conflicts between the store and this folder, newest first.
    pub fn conflicts(&self) -> Result<Vec<MirrorConflict>> {
        let key = self.dir.to_string_lossy();
        Ok(self
            .store
            .mirror_conflicts(&self.store_id, false)?
            .into_iter()
            .filter(|c| c.dir == key)
            .collect())
    }

    /// Stops the mirror and waits for it.
    pub fn stop(self) {}
}

impl Drop for MirrorHandle {
    fn drop(&mut self) {
        let _ = self.tx.send(Message::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
