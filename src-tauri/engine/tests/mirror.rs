//! The folder mirror on real temporary folders and a real store: export on
//! start, live imports of editor writes, store writes written out, conflicts
//! that keep both versions, deletions on either side, and the files it must
//! refuse (links out of the folder, odd names, binary and oversize files)
//! without writing anything outside the folder.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reverie_engine::Store;
use reverie_engine::mirror::{Mirror, MirrorEvent};
use reverie_engine::store::{AuthorKind, MirrorConflictKind, NewMemoryStore, VersionOp, WriteMeta};

struct Fixture {
    _data: tempfile::TempDir,
    folder: tempfile::TempDir,
    store: Arc<Store>,
    store_id: String,
}

fn fixture() -> Fixture {
    let data = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(data.path()).unwrap());
    let id = store
        .create_memory_store(&NewMemoryStore {
            name: "notes".into(),
            ..Default::default()
        })
        .unwrap()
        .id;
    Fixture {
        _data: data,
        folder: tempfile::tempdir().unwrap(),
        store,
        store_id: id,
    }
}

impl Fixture {
    fn dir(&self) -> &Path {
        self.folder.path()
    }
    fn file(&self, rel: &str) -> PathBuf {
        self.dir().join(rel)
    }
    fn write(&self, path: &str, content: &str) {
        self.store
            .write_document(&self.store_id, path, content, &WriteMeta::user("test"))
            .unwrap();
    }
    fn read(&self, path: &str) -> Option<String> {
        self.store
            .read_document(&self.store_id, path)
            .unwrap()
            .map(|(_, c)| c)
    }
    fn mirror(&self) -> Mirror {
        Mirror::new(self.store.clone(), &self.store_id, self.dir()).unwrap()
    }
    fn sync(&self, mirror: &mut Mirror) -> Vec<MirrorEvent> {
        mirror.sync_once().unwrap()
    }
}

/// Polls until `check` holds, failing after a generous timeout.
fn wait_for(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn read_file(path: &Path) -> Option<String> {
    fs::read_to_string(path).ok()
}

#[test]
fn live_mirror_exports_imports_and_writes_out_without_echo() {
    let fx = fixture();
    fx.write("/memories/prefs.md", "tabs, not spaces\n");
    fx.write("/memories/projects/reverie.md", "a desktop app\n");

    let seen = Arc::new(Mutex::new(Vec::<MirrorEvent>::new()));
    let sink = seen.clone();
    let handle = fx
        .mirror()
        .debounce(Duration::from_millis(100))
        .poll_interval(Duration::from_millis(100))
        .spawn(move |e| sink.lock().unwrap().push(e.clone()))
        .unwrap();

    // The first sync runs before spawn returns: the store is in the folder.
    assert_eq!(
        read_file(&fx.file("prefs.md")).as_deref(),
        Some("tabs, not spaces\n")
    );
    assert_eq!(
        read_file(&fx.file("projects/reverie.md")).as_deref(),
        Some("a desktop app\n")
    );
    assert!(seen.lock().unwrap().contains(&MirrorEvent::Exported {
        path: "/memories/prefs.md".into(),
        file: "prefs.md".into()
    }));

    // An editor saves a change and a new file in a new folder.
    fs::write(fx.file("prefs.md"), "tabs, 4 wide\n").unwrap();
    fs::create_dir_all(fx.file("ideas")).unwrap();
    fs::write(fx.file("ideas/dreams.md"), "dream at 3am\n").unwrap();
    // Editor noise is never imported.
    fs::write(fx.file(".prefs.md.swp"), "swap").unwrap();
    fs::write(fx.file("prefs.md~"), "backup").unwrap();
    fs::write(fx.file("4913"), "").unwrap();
    wait_for("the edit to be imported", || {
        fx.read("/memories/prefs.md").as_deref() == Some("tabs, 4 wide\n")
            && fx.read("/memories/ideas/dreams.md").is_some()
    });
    let history = fx
        .store
        .document_history(&fx.store_id, "/memories/prefs.md")
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(last.author, AuthorKind::External);
    assert_eq!(last.reason, "edited in the mirrored folder");
    assert_eq!(history.len(), 2);
    let names: Vec<String> = fx
        .store
        .list_documents(&fx.store_id, None)
        .unwrap()
        .into_iter()
        .map(|d| d.path)
        .collect();
    assert_eq!(
        names,
        [
            "/memories/ideas/dreams.md",
            "/memories/prefs.md",
            "/memories/projects/reverie.md"
        ]
    );

    // A write in the store (here the same process; the app and CLI write
    // from others, which the poll notices) reaches the folder.
    fx.write(
        "/memories/projects/reverie.md",
        "a desktop app that dreams\n",
    );
    wait_for("the store write to reach the folder", || {
        read_file(&fx.file("projects/reverie.md")).as_deref() == Some("a desktop app that dreams\n")
    });

    // An editor that saves atomically (a temporary file renamed over the
    // document) gives exactly one new version.
    fs::write(fx.file(".reverie.md.tmp-save"), "saved atomically\n").unwrap();
    fs::rename(
        fx.file(".reverie.md.tmp-save"),
        fx.file("projects/reverie.md"),
    )
    .unwrap();
    wait_for("the atomic save to be imported", || {
        fx.read("/memories/projects/reverie.md").as_deref() == Some("saved atomically\n")
    });
    let history = fx
        .store
        .document_history(&fx.store_id, "/memories/projects/reverie.md")
        .unwrap();
    assert_eq!(history.len(), 3, "{history:#?}");
    assert_eq!(history[2].author, AuthorKind::External);

    // Its own write does not come back as an external version: after one
    // more round trip, the document still has exactly the user's versions.
    fs::write(fx.file("ideas/dreams.md"), "dream at 4am\n").unwrap();
    wait_for("a later edit to be imported", || {
        fx.read("/memories/ideas/dreams.md").as_deref() == Some("dream at 4am\n")
    });
    let history = fx
        .store
        .document_history(&fx.store_id, "/memories/projects/reverie.md")
        .unwrap();
    assert_eq!(history.len(), 3, "{history:#?}");
    assert_eq!(history[1].author, AuthorKind::User);
    assert!(
        seen.lock().unwrap().iter().all(|e| !matches!(
            e,
            MirrorEvent::Refused { .. } | MirrorEvent::Failed { .. } | MirrorEvent::Error { .. }
        )),
        "{:#?}",
        seen.lock().unwrap()
    );
    drop(handle);
}

#[test]
fn round_trip_with_a_conflict_keeps_both_versions_and_lists_it() {
    let fx = fixture();
    fx.write("/memories/prefs.md", "v1\n");
    let handle = fx
        .mirror()
        .debounce(Duration::from_millis(100))
        .poll_interval(Duration::from_millis(100))
        .start_quietly();
    assert_eq!(read_file(&fx.file("prefs.md")).as_deref(), Some("v1\n"));
    drop(handle);

    // While no mirror runs, both sides change the same document.
    fx.write("/memories/prefs.md", "v2 from the app\n");
    fs::write(fx.file("prefs.md"), "v2 from the editor\n").unwrap();

    let seen = Arc::new(Mutex::new(Vec::<MirrorEvent>::new()));
    let sink = seen.clone();
    let handle = fx
        .mirror()
        .debounce(Duration::from_millis(100))
        .poll_interval(Duration::from_millis(100))
        .spawn(move |e| sink.lock().unwrap().push(e.clone()))
        .unwrap();

    // The store keeps its version; the folder's is a document of its own.
    let conflicts = handle.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1, "{:#?}", seen.lock().unwrap());
    let conflict = &conflicts[0];
    assert_eq!(conflict.kind, MirrorConflictKind::BothChanged);
    assert_eq!(conflict.path, "/memories/prefs.md");
    let kept = conflict.conflict_path.clone().unwrap();
    assert!(
        kept.starts_with("/memories/prefs.conflict-") && kept.ends_with(".md"),
        "{kept}"
    );
    assert_eq!(
        fx.read("/memories/prefs.md").as_deref(),
        Some("v2 from the app\n")
    );
    assert_eq!(fx.read(&kept).as_deref(), Some("v2 from the editor\n"));
    let copy = fx.store.document_history(&fx.store_id, &kept).unwrap();
    assert_eq!(copy[0].author, AuthorKind::External);
    // The folder holds both files.
    let kept_file = fx.file(kept.trim_start_matches("/memories/"));
    assert_eq!(
        read_file(&fx.file("prefs.md")).as_deref(),
        Some("v2 from the app\n")
    );
    assert_eq!(
        read_file(&kept_file).as_deref(),
        Some("v2 from the editor\n")
    );
    // And every earlier version is still there.
    let history = fx
        .store
        .document_history(&fx.store_id, "/memories/prefs.md")
        .unwrap();
    let contents: Vec<_> = history
        .iter()
        .filter_map(|v| v.content.as_deref())
        .collect();
    assert_eq!(contents, ["v1\n", "v2 from the app\n"]);
    assert!(seen.lock().unwrap().iter().any(|e| matches!(
        e,
        MirrorEvent::Conflict { conflict } if conflict.path == "/memories/prefs.md"
    )));
    assert!(seen.lock().unwrap().iter().any(|e| {
        e.to_string()
            .starts_with("conflict  /memories/prefs.md changed in both")
    }));

    // The person merges in the editor and deletes the copy: the merge is
    // imported, the copy deleted in the store, the conflict resolved.
    fs::write(fx.file("prefs.md"), "v3 merged\n").unwrap();
    fs::remove_file(&kept_file).unwrap();
    wait_for("the merge to be imported and the conflict settled", || {
        fx.read("/memories/prefs.md").as_deref() == Some("v3 merged\n")
            && fx.read(&kept).is_none()
            && handle.conflicts().unwrap().is_empty()
    });
    let all = fx.store.mirror_conflicts(&fx.store_id, true).unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].resolved_at.is_some());
    // The deleted copy can still be restored.
    let copy = fx.store.document_history(&fx.store_id, &kept).unwrap();
    assert_eq!(copy.last().unwrap().op, VersionOp::Delete);
    assert_eq!(copy[0].content.as_deref(), Some("v2 from the editor\n"));
}

#[test]
fn deletions_on_either_side_and_their_conflicts() {
    let fx = fixture();
    for name in ["a", "b", "c", "d"] {
        fx.write(&format!("/memories/{name}.md"), &format!("{name} v1\n"));
    }
    fx.write("/memories/old/name.md", "moving\n");
    let mut mirror = fx.mirror();
    assert_eq!(fx.sync(&mut mirror).len(), 5);

    // Deleted in the folder: the document is deleted, restorably.
    fs::remove_file(fx.file("a.md")).unwrap();
    // Deleted in the store: the unchanged file goes too.
    fx.store
        .delete_document(&fx.store_id, "/memories/b.md", &WriteMeta::user("gone"))
        .unwrap();
    // Deleted in the store but edited in the folder: the edit comes back.
    fx.store
        .delete_document(&fx.store_id, "/memories/c.md", &WriteMeta::user("gone"))
        .unwrap();
    fs::write(fx.file("c.md"), "c edited\n").unwrap();
    // Deleted in the folder but changed in the store: the file comes back.
    fs::remove_file(fx.file("d.md")).unwrap();
    fx.write("/memories/d.md", "d v2\n");
    // Renamed in the store: the old file goes, the new one appears, and
    // the emptied folder is removed.
    fx.store
        .rename_document(
            &fx.store_id,
            "/memories/old/name.md",
            "/memories/new/name.md",
            &WriteMeta::user("tidy"),
        )
        .unwrap();

    let events = fx.sync(&mut mirror);
    let lines: Vec<String> = events.iter().map(ToString::to_string).collect();

    assert!(fx.read("/memories/a.md").is_none(), "{lines:#?}");
    let a = fx
        .store
        .document_history(&fx.store_id, "/memories/a.md")
        .unwrap();
    assert_eq!(a.last().unwrap().op, VersionOp::Delete);
    assert_eq!(a.last().unwrap().author, AuthorKind::External);
    fx.store
        .restore_document(&fx.store_id, "/memories/a.md", 1, &WriteMeta::user(""))
        .unwrap();

    assert!(!fx.file("b.md").exists(), "{lines:#?}");

    assert_eq!(fx.read("/memories/c.md").as_deref(), Some("c edited\n"));
    assert_eq!(read_file(&fx.file("d.md")).as_deref(), Some("d v2\n"));
    let kinds: Vec<_> = mirror
        .conflicts()
        .unwrap()
        .iter()
        .map(|c| (c.path.clone(), c.kind))
        .collect();
    assert!(
        kinds.contains(&("/memories/c.md".into(), MirrorConflictKind::DeletedInStore)),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&("/memories/d.md".into(), MirrorConflictKind::DeletedInFolder)),
        "{kinds:?}"
    );

    assert!(!fx.file("old").exists(), "{lines:#?}");
    assert_eq!(
        read_file(&fx.file("new/name.md")).as_deref(),
        Some("moving\n")
    );

    // The restored document is written out on the next sync; after that
    // both sides agree and a sync does nothing.
    let events = fx.sync(&mut mirror);
    assert_eq!(
        events,
        [MirrorEvent::Exported {
            path: "/memories/a.md".into(),
            file: "a.md".into()
        }]
    );
    assert_eq!(read_file(&fx.file("a.md")).as_deref(), Some("a v1\n"));
    assert!(fx.sync(&mut mirror).is_empty());
}

#[test]
fn a_live_mirror_survives_its_folder_vanishing_and_coming_back() {
    let fx = fixture();
    fx.write("/memories/keep.md", "keep me\n");
    let seen = Arc::new(Mutex::new(Vec::<MirrorEvent>::new()));
    let sink = seen.clone();
    let _handle = fx
        .mirror()
        .debounce(Duration::from_millis(100))
        .poll_interval(Duration::from_millis(50))
        .rescan_interval(Duration::from_millis(100))
        .spawn(move |e| sink.lock().unwrap().push(e.clone()))
        .unwrap();
    fs::remove_dir_all(fx.dir()).unwrap();
    wait_for("the missing folder to be reported", || {
        seen.lock()
            .unwrap()
            .iter()
            .any(|e| matches!(e, MirrorEvent::Error { message } if message.contains("paused")))
    });
    assert_eq!(fx.read("/memories/keep.md").as_deref(), Some("keep me\n"));

    fs::create_dir(fx.dir()).unwrap();
    wait_for("the store to be written out again", || {
        read_file(&fx.file("keep.md")).as_deref() == Some("keep me\n")
    });
    // The new folder is watched: an edit there is imported.
    fs::write(fx.file("keep.md"), "kept\n").unwrap();
    wait_for("the edit in the new folder to be imported", || {
        fx.read("/memories/keep.md").as_deref() == Some("kept\n")
    });
}

#[test]
fn a_file_moved_in_the_folder_renames_its_document() {
    let fx = fixture();
    fx.write("/memories/draft.md", "plan\n");
    fx.write("/memories/twin.md", "same\n");
    let mut mirror = fx.mirror();
    fx.sync(&mut mirror);

    fs::create_dir(fx.file("done")).unwrap();
    fs::rename(fx.file("draft.md"), fx.file("done/plan.md")).unwrap();
    // A copy is not a rename: the original stays.
    fs::write(fx.file("copy.md"), "same\n").unwrap();
    let events = fx.sync(&mut mirror);
    assert_eq!(
        events,
        [
            MirrorEvent::Renamed {
                from: "/memories/draft.md".into(),
                to: "/memories/done/plan.md".into(),
                version: 2
            },
            MirrorEvent::Imported {
                path: "/memories/copy.md".into(),
                version: 1
            }
        ]
    );
    assert_eq!(
        events[0].to_string(),
        "renamed   /memories/draft.md -> /memories/done/plan.md (version 2, renamed in the folder)"
    );
    let history = fx
        .store
        .document_history(&fx.store_id, "/memories/done/plan.md")
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].path, "/memories/draft.md");
    assert_eq!(history[1].op, VersionOp::Rename);
    assert_eq!(history[1].author, AuthorKind::External);
    assert!(fx.read("/memories/draft.md").is_none());
    assert_eq!(fx.read("/memories/twin.md").as_deref(), Some("same\n"));
    assert!(fx.sync(&mut mirror).is_empty());
}

#[test]
fn an_existing_v1_data_folder_upgrades_and_configured_mirrors_start() {
    let data = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    {
        // A database as the first release wrote it.
        let conn = rusqlite::Connection::open(data.path().join("reverie.db")).unwrap();
        conn.execute_batch(include_str!("../src/store/migrations/0001_init.sql"))
            .unwrap();
        conn.execute(
            "INSERT INTO memory_stores (id, name, size_limit_bytes, mirror_dir, created_at)
             VALUES ('S1', 'kept', 1000, ?1, '2026-01-01T00:00:00.000Z')",
            [folder.path().to_str().unwrap()],
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
    }
    let store = Arc::new(Store::open(data.path()).unwrap());
    assert_eq!(
        store.memory_store("kept").unwrap().mirror_dir.as_deref(),
        folder.path().to_str()
    );
    store
        .write_document("S1", "/memories/a.md", "a\n", &WriteMeta::user("t"))
        .unwrap();

    // The app starts every configured mirror; a missing folder is reported,
    // not recreated.
    let gone = data.path().join("unplugged");
    let other = store
        .create_memory_store(&NewMemoryStore {
            name: "elsewhere".into(),
            ..Default::default()
        })
        .unwrap();
    store
        .update_memory_store(
            &other.id,
            &reverie_engine::store::MemoryStoreUpdate {
                mirror_dir: Some(Some(gone.to_str().unwrap().into())),
                ..Default::default()
            },
        )
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let started = reverie_engine::mirror::start_configured(&store, move |s, e| {
        sink.lock().unwrap().push((s.name.clone(), e.clone()))
    })
    .unwrap();
    assert_eq!(started.len(), 2);
    let (running, failed): (Vec<_>, Vec<_>) = started.into_iter().partition(|(_, h)| h.is_ok());
    assert_eq!(running[0].0.name, "kept");
    assert!(running[0].1.as_ref().unwrap().is_running());
    let err = failed[0].1.as_ref().unwrap_err().to_string();
    assert!(err.contains("is missing"), "{err}");
    assert!(!gone.exists());
    assert_eq!(
        read_file(&folder.path().join("a.md")).as_deref(),
        Some("a\n")
    );
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        [(
            "kept".to_string(),
            MirrorEvent::Exported {
                path: "/memories/a.md".into(),
                file: "a.md".into()
            }
        )]
    );
}

#[cfg(unix)]
#[test]
fn refuses_links_odd_names_binary_and_oversize_files_without_writing_outside() {
    use std::os::unix::ffi::OsStrExt;

    let fx = fixture();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.md"), "outside the folder\n").unwrap();

    // A link to a file outside, a link to a folder outside, a name that is
    // a traversal on other systems, a non-UTF-8 file, an oversize file, a
    // name that is not UTF-8, and a pipe (reading it would block).
    std::os::unix::fs::symlink(outside.path().join("secret.md"), fx.file("escape.md")).unwrap();
    std::os::unix::fs::symlink(outside.path(), fx.file("linked")).unwrap();
    fs::write(fx.file("a\\..\\..\\evil.md"), "traversal\n").unwrap();
    fs::write(fx.file("latin1.md"), b"caf\xe9\n").unwrap();
    fs::write(fx.file("big.md"), "x".repeat(100_001)).unwrap();
    fs::write(fx.file("nul.md"), "a\0b").unwrap();
    let odd = std::ffi::OsStr::from_bytes(b"odd\xff.md");
    fs::write(fx.dir().join(odd), "odd name\n").unwrap();
    let fifo = std::ffi::CString::new(fx.file("pipe.md").as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    fs::write(fx.file("fine.md"), "fine\n").unwrap();

    // The store holds documents whose files would land on the links.
    fx.write("/memories/escape.md", "must not reach the secret\n");
    fx.write("/memories/linked/planted.md", "must not land outside\n");

    let mut mirror = fx.mirror();
    let events = fx.sync(&mut mirror);
    let refused: Vec<(String, String)> = events
        .iter()
        .filter_map(|e| match e {
            MirrorEvent::Refused { file, reason } => Some((file.clone(), reason.clone())),
            _ => None,
        })
        .collect();
    let reason = |file: &str| {
        refused
            .iter()
            .find(|(f, _)| f == file)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("{file} not refused: {events:#?}"))
    };
    assert!(reason("escape.md").contains("symbolic link"));
    assert!(reason("linked").contains("symbolic link"));
    assert!(reason("a\\..\\..\\evil.md").contains("backslash"));
    assert!(reason("latin1.md").contains("not UTF-8"));
    assert!(reason("big.md").contains("at most 100000 bytes"));
    assert!(reason("nul.md").contains("binary"));
    assert!(reason("odd\u{fffd}.md").contains("not valid UTF-8"));
    assert!(reason("pipe.md").contains("not a regular file"));
    for (_, reason) in &refused {
        assert!(!reason.contains(fx.dir().to_str().unwrap()), "{reason}");
    }

    // Only the plain text file was imported; the store's documents stay
    // put and nothing was written outside the folder or through a link.
    let docs: Vec<String> = fx
        .store
        .list_documents(&fx.store_id, None)
        .unwrap()
        .into_iter()
        .map(|d| d.path)
        .collect();
    assert_eq!(
        docs,
        [
            "/memories/escape.md",
            "/memories/fine.md",
            "/memories/linked/planted.md"
        ]
    );
    assert_eq!(
        fs::read_to_string(outside.path().join("secret.md")).unwrap(),
        "outside the folder\n"
    );
    let outside_names: Vec<_> = fs::read_dir(outside.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(outside_names, ["secret.md"]);
    assert_eq!(
        fs::read_link(fx.file("escape.md")).unwrap(),
        outside.path().join("secret.md")
    );

    // Refusals are reported once while they last, and again if they return.
    let again = fx.sync(&mut mirror);
    assert!(again.is_empty(), "{again:#?}");
    fs::remove_file(fx.file("big.md")).unwrap();
    assert!(fx.sync(&mut mirror).is_empty());
    fs::write(fx.file("big.md"), "x".repeat(100_001)).unwrap();
    assert!(matches!(
        fx.sync(&mut mirror).as_slice(),
        [MirrorEvent::Refused { file, .. }] if file == "big.md"
    ));

    // Fixing a file imports it.
    fs::write(fx.file("latin1.md"), "café\n").unwrap();
    assert!(fx.sync(&mut mirror).contains(&MirrorEvent::Imported {
        path: "/memories/latin1.md".into(),
        version: 1
    }));
}

#[test]
fn a_store_refusal_is_reported_once_and_retried_and_hidden_documents_stay_put() {
    let data = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(data.path()).unwrap());
    let id = store
        .create_memory_store(&NewMemoryStore {
            name: "small".into(),
            size_limit_bytes: Some(10),
            ..Default::default()
        })
        .unwrap()
        .id;
    store
        .write_document(&id, "/memories/.private.md", "shh", &WriteMeta::user("t"))
        .unwrap();
    let mut mirror = Mirror::new(store.clone(), &id, folder.path()).unwrap();
    let events = mirror.sync_once().unwrap();
    assert_eq!(
        events,
        [MirrorEvent::Refused {
            file: ".private.md".into(),
            reason: "its name is hidden or looks like an editor's temporary file, so it stays in the store only".into()
        }]
    );
    assert!(!folder.path().join(".private.md").exists());

    // Over the store's limit: reported, not imported, and not lost.
    fs::write(folder.path().join("long.md"), "more than ten bytes\n").unwrap();
    let events = mirror.sync_once().unwrap();
    assert!(
        matches!(events.as_slice(), [MirrorEvent::Failed { path, reason }]
            if path == "/memories/long.md" && reason.contains("over its limit")),
        "{events:#?}"
    );
    assert!(mirror.sync_once().unwrap().is_empty());
    assert_eq!(
        fs::read_to_string(folder.path().join("long.md")).unwrap(),
        "more than ten bytes\n"
    );
    // Once there is room, the next sync imports it.
    store
        .update_memory_store(
            &id,
            &reverie_engine::store::MemoryStoreUpdate {
                size_limit_bytes: Some(1000),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        mirror.sync_once().unwrap(),
        [MirrorEvent::Imported {
            path: "/memories/long.md".into(),
            version: 1
        }]
    );
    // The hidden document is still there, untouched.
    assert!(
        store
            .read_document(&id, "/memories/.private.md")
            .unwrap()
            .is_some()
    );
}

#[test]
fn one_mirror_per_store_and_a_missing_folder_pauses_instead_of_deleting() {
    let fx = fixture();
    fx.write("/memories/keep.md", "keep me\n");
    let mut mirror = fx.mirror();
    fx.sync(&mut mirror);

    let second = Mirror::new(fx.store.clone(), "notes", &fx.dir().join("other"));
    let err = second.unwrap_err().to_string();
    assert!(err.contains("already being mirrored"), "{err}");

    // The folder vanishes (an unplugged drive): nothing is taken as deleted.
    let gone = fx.dir().to_path_buf();
    fs::remove_dir_all(&gone).unwrap();
    let err = mirror.sync_once().unwrap_err().to_string();
    assert!(err.contains("paused"), "{err}");
    assert_eq!(fx.read("/memories/keep.md").as_deref(), Some("keep me\n"));

    // It comes back empty: a fresh start, so the store is written out again
    // rather than every document being taken as deleted.
    fs::create_dir(&gone).unwrap();
    assert_eq!(
        mirror.sync_once().unwrap(),
        [MirrorEvent::Exported {
            path: "/memories/keep.md".into(),
            file: "keep.md".into()
        }]
    );
    assert_eq!(fx.read("/memories/keep.md").as_deref(), Some("keep me\n"));

    // Once this mirror is gone another may start.
    drop(mirror);
    Mirror::new(fx.store.clone(), "notes", &fx.dir().join("other")).unwrap();
}

trait StartQuietly {
    fn start_quietly(self) -> reverie_engine::mirror::MirrorHandle;
}

impl StartQuietly for Mirror {
    fn start_quietly(self) -> reverie_engine::mirror::MirrorHandle {
        self.spawn(|_| {}).unwrap()
    }
}
