//! Refusals and crash safety of the store on real files and real processes:
//! a newer schema and a corrupt file are refused untouched; readers see only
//! whole transactions while another connection writes; a writer killed with
//! SIGKILL at random moments leaves an intact, consistent database.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::Rng;
use reverie_engine::store::*;
use reverie_engine::{Error, Store};
use serde_json::json;

const BATCH: usize = 25;

fn new_agent(store: &Store) -> Agent {
    store
        .create_agent(&NewAgent {
            name: "worker".into(),
            provider: ProviderKind::Anthropic,
            model: "claude-haiku-4-5".into(),
            system_prompt: String::new(),
            tools: vec![],
        })
        .unwrap()
}

#[test]
fn newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    drop(Store::open(dir.path()).unwrap());
    let db = dir.path().join("reverie.db");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap(); // fold the WAL in
    }
    let before = std::fs::read(&db).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::SchemaTooNew { found: 99, .. }),
        "{err}"
    );
    let message = err.to_string();
    assert!(
        message.contains("reverie.db") && message.contains("newer Reverie"),
        "{message}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "the file must not change"
    );
    assert!(
        !dir.path().join("reverie.db-wal").exists(),
        "not even a WAL was created"
    );
}

#[test]
fn corrupt_and_unreadable_files_are_refused_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("reverie.db");
    let garbage = b"these are my notes, not a database\n".repeat(100);
    std::fs::write(&db, &garbage).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::Corrupt { .. }), "{err}");
    assert!(
        err.to_string().contains(&db.display().to_string()),
        "names the file: {err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), garbage);

    // A real database whose pages were damaged after the header.
    let dir2 = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir2.path()).unwrap();
        let a = new_agent(&store);
        let s = store
            .create_session(&NewSession {
                agent_id: a.id,
                task: "t".into(),
                parent_id: None,
            })
            .unwrap();
        let events: Vec<_> = (0..2000)
            .map(|i| {
                NewEvent::new(
                    EventKind::AssistantText,
                    json!({"i": i, "pad": "x".repeat(100)}),
                )
            })
            .collect();
        store.append_events(&s.id, &events).unwrap();
        store
            .finish_session(&s.id, SessionStatus::Completed, None, None)
            .unwrap();
    }
    store_conn(dir2.path())
        .pragma_update(None, "journal_mode", "DELETE")
        .unwrap();
    let db2 = dir2.path().join("reverie.db");
    let mut bytes = std::fs::read(&db2).unwrap();
    for b in bytes.iter_mut().skip(100).take(8192) {
        *b = 0xA5;
    }
    std::fs::write(&db2, &bytes).unwrap();
    let result = Store::open(dir2.path())
        .and_then(|s| s.list_sessions(&SessionFilter::default()).map(|_| s));
    match result {
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("not a readable Reverie database")
                    || msg.contains("malformed")
                    || msg.contains("corrupt"),
                "{msg}"
            );
        }
        Ok(store) => assert_ne!(
            store.integrity_check().unwrap(),
            "ok",
            "damage must be reported"
        ),
    }
    assert_eq!(
        std::fs::read(&db2).unwrap(),
        bytes,
        "a damaged file is never rewritten"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if unsafe { libc::geteuid() } != 0 {
            let dir3 = tempfile::tempdir().unwrap();
            drop(Store::open(dir3.path()).unwrap());
            let db3 = dir3.path().join("reverie.db");
            std::fs::set_permissions(&db3, std::fs::Permissions::from_mode(0o000)).unwrap();
            let err = Store::open(dir3.path()).unwrap_err();
            assert!(err.to_string().contains("reverie.db"), "{err}");
        }
    }
}

fn store_conn(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("reverie.db")).unwrap()
}

#[test]
fn readers_see_whole_transactions_while_another_connection_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let a = new_agent(&store);
    let session = store
        .create_session(&NewSession {
            agent_id: a.id,
            task: "t".into(),
            parent_id: None,
        })
        .unwrap();
    let path = dir.path().to_path_buf();
    let id = session.id.clone();
    let writer = std::thread::spawn(move || {
        let store = Store::open(&path).unwrap(); // its own connection
        for batch in 0..200 {
            let events: Vec<_> = (0..BATCH)
                .map(|n| NewEvent::new(EventKind::ToolCall, json!({"batch": batch, "n": n})))
                .collect();
            store.append_events(&id, &events).unwrap();
        }
    });
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let path = dir.path().to_path_buf();
            let id = session.id.clone();
            std::thread::spawn(move || {
                let store = Store::open(&path).unwrap();
                let mut last = 0;
                let mut reads = 0;
                while last < 200 * BATCH as i64 {
                    let count = store.event_count(&id).unwrap();
                    assert_eq!(count % BATCH as i64, 0, "a reader saw half a batch");
                    assert!(count >= last, "counts never go back");
                    last = count;
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    writer.join().unwrap();
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
}

/// The writer that the kill test starts in a child process (this same test
/// binary, run with `--ignored`). It loops forever until killed.
#[test]
#[ignore = "run as a child process by killed_writers_leave_a_consistent_database"]
fn kill_target_writer() {
    let dir = std::env::var("REVERIE_KILL_TEST_DIR").expect("started by the kill test");
    let store = Store::open(Path::new(&dir)).unwrap();
    store.mark_interrupted_sessions().unwrap();
    let agent = store.agent("worker").unwrap();
    let memory = agent.default_store().unwrap().store_id.clone();
    let session = store
        .create_session(&NewSession {
            agent_id: agent.id,
            task: "loop".into(),
            parent_id: None,
        })
        .unwrap();
    println!("\nKILL-TARGET-READY {}", session.id);
    let usage = Usage {
        input_tokens: 1,
        output_tokens: 2,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
    };
    for batch in 0u64.. {
        let events: Vec<_> = (0..BATCH)
            .map(|n| {
                NewEvent::new(
                    EventKind::AssistantText,
                    json!({"batch": batch, "n": n, "pad": "y".repeat(200)}),
                )
                .with_usage(usage, 0.001, 1)
            })
            .collect();
        store.append_events(&session.id, &events).unwrap();
        store
            .append_event(
                &session.id,
                &NewEvent::new(EventKind::MemoryWrite, json!({"batch": batch}))
                    .with_usage(usage, 0.001, 1),
            )
            .unwrap();
        store
            .write_document(
                &memory,
                "/memories/progress.md",
                &format!("batch {batch}\n{}", "z".repeat((batch % 50) as usize * 100)),
                &WriteMeta::user("progress"),
            )
            .unwrap();
    }
}

#[test]
fn killed_writers_leave_a_consistent_database() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        new_agent(&store);
    }
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rng();
    let mut interrupted_total = 0;
    for round in 0..20 {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "kill_target_writer",
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("REVERIE_KILL_TEST_DIR", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait until the child is writing, then kill it at a random moment.
        let started = Instant::now();
        let stdout = child.stdout.take().unwrap();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
        loop {
            let line = lines.next().expect("child printed nothing").unwrap();
            if line.contains("KILL-TARGET-READY") {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(1..120)));
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        child.wait().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "round {round} took too long"
        );

        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.integrity_check().unwrap(), "ok", "round {round}");
        interrupted_total += store.mark_interrupted_sessions().unwrap().len();
        check_consistency(&store, dir.path());
    }
    assert_eq!(
        interrupted_total, 20,
        "every killed session is marked interrupted once"
    );
    let store = Store::open(dir.path()).unwrap();
    let sessions = store.list_sessions(&SessionFilter::default()).unwrap();
    assert_eq!(sessions.len(), 20);
    assert!(
        sessions
            .iter()
            .all(|s| s.status == SessionStatus::Interrupted)
    );
}

fn check_consistency(store: &Store, dir: &Path) {
    let conn = store_conn(dir);
    // No partial batch: every batch of assistant_text events is whole.
    let mut stmt = conn
        .prepare("SELECT session_id, json_extract(data, '$.batch') AS b, COUNT(*) FROM events WHERE kind = 'assistant_text' GROUP BY session_id, b")
        .unwrap();
    let groups: Vec<(String, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (session, batch, count) in groups {
        assert_eq!(
            count, BATCH as i64,
            "session {session} batch {batch} is partial"
        );
    }
    // Session totals agree with their events.
    let mismatches: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sessions s WHERE s.input_tokens != (SELECT COALESCE(SUM(input_tokens), 0) FROM events e WHERE COALESCE(e.thread_id, e.session_id) = s.id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(mismatches, 0, "session usage disagrees with its events");
    // Every document points at a version it owns, and versions are gap-free.
    let dangling: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM documents d LEFT JOIN document_versions v ON v.id = d.head_version_id AND v.document_id = d.id WHERE v.id IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(dangling, 0);
    let gaps: i64 = conn
        .query_row("SELECT COUNT(*) FROM (SELECT document_id, MAX(seq) AS m, COUNT(*) AS c FROM document_versions GROUP BY document_id) WHERE m != c", [], |r| r.get(0))
        .unwrap();
    assert_eq!(gaps, 0);
    let fk: i64 = conn
        .query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk, 0);
    let _ = store;
}

/// A new data folder and its database are private to the user: 0700 and
/// 0600 (SQLite's -wal file takes the database's mode), whatever the umask.
#[cfg(unix)]
#[test]
fn a_new_data_folder_and_database_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let store = Store::open(&data).unwrap();
    new_agent(&store);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "data folder");
    assert_eq!(mode(&data.join(DATABASE_FILE)), 0o600, "database");
    let wal = data.join(format!("{DATABASE_FILE}-wal"));
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600, "write-ahead log");
    }
    // A folder someone made moments before (a log file's) is still a new
    // data folder; one that holds a database keeps its owner's mode.
    let early = dir.path().join("early");
    std::fs::create_dir(&early).unwrap();
    std::fs::set_permissions(&early, std::fs::Permissions::from_mode(0o755)).unwrap();
    Store::open(&early).unwrap();
    assert_eq!(mode(&early), 0o700);
    std::fs::set_permissions(&early, std::fs::Permissions::from_mode(0o750)).unwrap();
    Store::open(&early).unwrap();
    assert_eq!(mode(&early), 0o750);
    // Opening again changes nothing and keeps the data.
    drop(store);
    let store = Store::open(&data).unwrap();
    assert_eq!(store.list_agents().unwrap().len(), 1);
    assert_eq!(mode(&data.join(DATABASE_FILE)), 0o600);
}

/// Names are for people: spaces and any letters; only what no file system
/// allows, control characters and stray spaces are refused, with the reason.
#[test]
fn names_accept_spaces_and_any_letters() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    for name in ["Research helper", "Zoë's notes (2024)", "日本語の助手", "a"] {
        let agent = store
            .create_agent(&NewAgent {
                name: name.into(),
                provider: ProviderKind::Anthropic,
                model: "m".into(),
                system_prompt: String::new(),
                tools: vec![],
            })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(store.agent(name).unwrap().id, agent.id);
        // Its own memory store carries the same name.
        assert_eq!(agent.default_store().unwrap().store_name, name);
    }
    for (name, why) in [
        ("", "it is empty"),
        (" padded", "starts or ends with a space"),
        ("a/b", "it holds '/'"),
        ("two\nlines", "control character"),
        (".hidden", "starts with '.'"),
    ] {
        let e = store
            .create_agent(&NewAgent {
                name: name.into(),
                provider: ProviderKind::Anthropic,
                model: "m".into(),
                system_prompt: String::new(),
                tools: vec![],
            })
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("not a valid agent name") && e.contains(why),
            "{name:?}: {e}"
        );
    }
}
