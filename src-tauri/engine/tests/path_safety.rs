//! Memory paths that look alike (issue 18): the store refuses names a person
//! could not tell apart and paths that would be both a file and a folder,
//! keeps one Unicode form, and everything it accepts can be exported as a
//! folder, as a zip and mirrored, with nothing lost. Real SQLite files and
//! real folders.

use std::sync::Arc;

use reverie_engine::memory_export::export_store;
use reverie_engine::mirror::{Mirror, MirrorEvent};
use reverie_engine::store::*;
use reverie_engine::{Error, Store};

fn store_with_memory() -> (tempfile::TempDir, Arc<Store>, String) {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let memory = store
        .create_memory_store(&NewMemoryStore {
            name: "notes".into(),
            ..Default::default()
        })
        .unwrap();
    (dir, store, memory.id)
}

fn write(store: &Store, id: &str, path: &str) -> reverie_engine::Result<DocumentVersion> {
    store.write_document(
        id,
        path,
        &format!("text of {path}\n"),
        &WriteMeta::user("test"),
    )
}

#[test]
fn lookalike_and_hidden_names_are_refused_with_a_sentence() {
    let (_dir, store, id) = store_with_memory();
    write(&store, &id, "/memories/admin.md").unwrap();

    // Cyrillic а (U+0430) in place of Latin a.
    let err = write(&store, &id, "/memories/\u{0430}dmin.md").unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert!(err.to_string().contains("/memories/admin.md"), "{err}");
    // Only a change of case: two files on macOS or Windows would be one.
    let err = write(&store, &id, "/memories/Admin.md").unwrap_err();
    assert!(err.to_string().contains("/memories/admin.md"), "{err}");
    // A right-to-left override (U+202E) makes a name read backwards.
    let err = write(&store, &id, "/memories/evil\u{202E}dm.md").unwrap_err();
    assert!(err.to_string().contains("U+202E"), "{err}");
    // A 300-byte name.
    let err = write(&store, &id, &format!("/memories/{}.md", "n".repeat(300))).unwrap_err();
    assert!(err.to_string().contains("bytes"), "{err}");
    // A rename may not take a lookalike name either, but may change its own case.
    write(&store, &id, "/memories/other.md").unwrap();
    let err = store
        .rename_document(
            &id,
            "/memories/other.md",
            "/memories/ADMIN.md",
            &WriteMeta::user("t"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("/memories/admin.md"), "{err}");
    store
        .rename_document(
            &id,
            "/memories/other.md",
            "/memories/Other.md",
            &WriteMeta::user("t"),
        )
        .unwrap();
}

#[test]
fn one_name_in_two_unicode_forms_is_one_document() {
    let (_dir, store, id) = store_with_memory();
    write(&store, &id, "/memories/e\u{0301}.md").unwrap(); // e + combining acute
    store
        .write_document(
            &id,
            "/memories/\u{00E9}.md",
            "second\n",
            &WriteMeta::user("t"),
        )
        .unwrap();
    let docs = store.list_documents(&id, None).unwrap();
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert_eq!(docs[0].path, "/memories/\u{00E9}.md");
    let (_, text) = store
        .read_document(&id, "/memories/e\u{0301}.md")
        .unwrap()
        .unwrap();
    assert_eq!(text, "second\n");
}

#[test]
fn a_path_cannot_be_both_a_file_and_a_folder() {
    let (_dir, store, id) = store_with_memory();
    write(&store, &id, "/memories/projects").unwrap();
    let err = write(&store, &id, "/memories/projects/plan.md").unwrap_err();
    assert!(err.to_string().contains("/memories/projects"), "{err}");
    write(&store, &id, "/memories/people/ana.md").unwrap();
    let err = write(&store, &id, "/memories/people").unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert!(err.to_string().contains("/memories/people"), "{err}");
    // A folder that only looks like another one.
    let err = write(&store, &id, "/memories/P\u{0435}ople/bo.md").unwrap_err();
    assert!(err.to_string().contains("/memories/people/"), "{err}");
    // Once the document is gone, the folder is free.
    store
        .delete_document(&id, "/memories/projects", &WriteMeta::user("t"))
        .unwrap();
    write(&store, &id, "/memories/projects/plan.md").unwrap();
}

#[test]
fn whatever_the_store_accepts_exports_zips_and_mirrors_whole() {
    let (dir, store, id) = store_with_memory();
    // Every kind of name from the probe, as far as the store lets it in.
    let attempts = [
        "/memories/admin.md".to_string(),
        "/memories/\u{0430}dmin.md".to_string(),
        "/memories/e\u{0301}.md".to_string(),
        "/memories/\u{00E9}.md".to_string(),
        "/memories/evil\u{202E}dm.md".to_string(),
        format!("/memories/{}.md", "n".repeat(300)),
        format!("/memories/{}.md", "m".repeat(MAX_NAME)),
        "/memories/a".to_string(),
        "/memories/a/b.md".to_string(),
        "/memories/deep/er/still/notes.md".to_string(),
        "/memories/\u{65E5}\u{672C}\u{8A9E}/\u{30E1}\u{30E2}.md".to_string(),
        "/memories/with space/and-dash_underscore.md".to_string(),
    ];
    for path in &attempts {
        let _ = write(&store, &id, path);
    }
    let docs = store.list_documents(&id, None).unwrap();
    let accepted: Vec<String> = docs.iter().map(|d| d.path.clone()).collect();
    assert_eq!(accepted.len(), 7, "{accepted:?}");

    let folder = dir.path().join("export");
    let report = export_store(&store, &id, &folder, false).unwrap();
    assert_eq!(report.documents, accepted.len());
    for path in &accepted {
        let file = folder.join(path.trim_start_matches('/'));
        assert!(file.is_file(), "{path} missing from the folder export");
    }

    let zip_path = dir.path().join("export.zip");
    export_store(&store, &id, &zip_path, true).unwrap();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    for path in &accepted {
        assert!(
            archive.by_name(path.trim_start_matches('/')).is_ok(),
            "{path} missing from the zip"
        );
    }

    let mirror_dir = dir.path().join("mirror");
    std::fs::create_dir(&mirror_dir).unwrap();
    let mut mirror = Mirror::new(store.clone(), &id, &mirror_dir).unwrap();
    let events = mirror.sync_once().unwrap();
    let failures: Vec<_> = events
        .iter()
        .filter(|e| !matches!(e, MirrorEvent::Exported { .. }))
        .collect();
    assert!(failures.is_empty(), "{failures:?}");
    for path in &accepted {
        let file = mirror_dir.join(path.trim_start_matches("/memories/"));
        assert!(file.is_file(), "{path} missing from the mirror");
    }
}

const MAX_NAME: usize = reverie_engine::memory_path::MAX_SEGMENT_BYTES - 3;

#[test]
fn a_document_saved_before_these_rules_can_still_be_read_renamed_and_deleted() {
    let (dir, store, id) = store_with_memory();
    write(&store, &id, "/memories/legacy.md").unwrap();
    let old = "/memories/evil\u{202E}dm.md";
    {
        // As an older Reverie would have stored it.
        let conn = rusqlite::Connection::open(dir.path().join("reverie.db")).unwrap();
        conn.execute(
            "UPDATE documents SET path = ?1 WHERE path = '/memories/legacy.md'",
            [old],
        )
        .unwrap();
    }
    let (_, text) = store.read_document(&id, old).unwrap().unwrap();
    assert_eq!(text, "text of /memories/legacy.md\n");
    // It may not keep a name it could not be given today, but can leave it.
    let err = store
        .rename_document(
            &id,
            old,
            "/memories/also\u{202E}bad.md",
            &WriteMeta::user("t"),
        )
        .unwrap_err();
    assert!(err.to_string().contains("U+202E"), "{err}");
    store
        .rename_document(&id, old, "/memories/evil-dm.md", &WriteMeta::user("t"))
        .unwrap();
    store
        .delete_document(&id, "/memories/evil-dm.md", &WriteMeta::user("t"))
        .unwrap();
}
