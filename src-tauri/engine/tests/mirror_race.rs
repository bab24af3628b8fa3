//! The folder mirror against a folder swapped for a symbolic link while it
//! writes (issue 18). A second thread exchanges the mirrored sub-folder with
//! a link to a folder outside the mirror, atomically and as fast as it can,
//! many thousands of times, while the mirror keeps exporting new versions
//! of documents inside that sub-folder. Nothing, not even a temporary file,
//! may ever appear outside the mirror.

#![cfg(target_os = "linux")]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use reverie_engine::Store;
use reverie_engine::mirror::Mirror;
use reverie_engine::store::{NewMemoryStore, WriteMeta};
use rustix::fs::{CWD, RenameFlags, renameat_with};

/// Swaps needed before the test ends (each one a chance to win the race).
const SWAPS: usize = 20_000;
/// Syncs needed too, so writes and swaps really overlap.
const SYNCS: usize = 300;

fn everything_under(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        found.push(entry.path().display().to_string());
        if entry.file_type().unwrap().is_dir() {
            found.extend(everything_under(&entry.path()));
        }
    }
    found
}

#[test]
fn a_folder_swapped_for_a_link_mid_write_never_lets_anything_out() {
    let tmp = tempfile::tempdir().unwrap();
    let outside = tmp.path().join("outside");
    let root = tmp.path().join("mirror");
    std::fs::create_dir(&outside).unwrap();
    std::fs::create_dir_all(root.join("sub")).unwrap();
    // `.swap` is hidden, so the mirror ignores it; it is what `sub` becomes.
    std::os::unix::fs::symlink(&outside, root.join(".swap")).unwrap();

    let store = Arc::new(Store::open(&tmp.path().join("data")).unwrap());
    let memory = store
        .create_memory_store(&NewMemoryStore {
            name: "notes".into(),
            ..Default::default()
        })
        .unwrap();
    let mut mirror = Mirror::new(store.clone(), &memory.id, &root).unwrap();
    mirror.sync_once().unwrap();

    let done = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicUsize::new(0));
    let swapper = {
        let (done, swaps, root) = (done.clone(), swaps.clone(), root.clone());
        std::thread::spawn(move || {
            let (a, b) = (root.join("sub"), root.join(".swap"));
            while !done.load(Ordering::Relaxed) {
                renameat_with(CWD, &a, CWD, &b, RenameFlags::EXCHANGE).unwrap();
                swaps.fetch_add(1, Ordering::Relaxed);
            }
        })
    };

    let mut syncs = 0;
    while syncs < SYNCS || swaps.load(Ordering::Relaxed) < SWAPS {
        for doc in ["a", "b"] {
            let path = format!("/memories/sub/{doc}.md");
            let text = format!("secret memory text, version {syncs}\n");
            // The mirror may have taken a vanished file for a deletion, or
            // imported one; the store's own rules decide, the test does not care.
            let _ = store.write_document(&memory.id, &path, &text, &WriteMeta::user("race"));
        }
        let _ = mirror.sync_once();
        syncs += 1;
        let leaked = everything_under(&outside);
        assert!(
            leaked.is_empty(),
            "after {syncs} syncs and {} swaps, found outside the mirror: {leaked:?}",
            swaps.load(Ordering::Relaxed)
        );
    }
    done.store(true, Ordering::Relaxed);
    swapper.join().unwrap();
    assert!(everything_under(&outside).is_empty());
    // No temporary file was left anywhere either.
    let temps: Vec<String> = everything_under(&root)
        .into_iter()
        .filter(|p| p.ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "{temps:?}");
}
