//! `reverie managed` as processes against the fake model server: refused
//! while off and without a key, then enable, push, a change on both sides
//! pulled into a shown conflict, sessions uploaded, a dream through the
//! Dreams API waited for and staged as a Reverie dream, a failed dream
//! reported with exit 1 — and the key never written into the data folder.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use reverie_engine::Store;
use reverie_engine::store::{EventKind, NewEvent, NewSession, SessionStatus};
use reverie_fake_model::{DreamScript, FakeModelServer};
use serde_json::{Value, json};

const KEY: &str = "sk-ant-api03-cli-managed-bridge-key-7781";

fn reverie(
    data: &Path,
    url: &str,
    key: Option<&str>,
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reverie"));
    cmd.arg("--data-dir")
        .arg(data)
        .args(args)
        .env("ANTHROPIC_BASE_URL", url)
        .env_remove("REVERIE_DATA_DIR")
        .env_remove("ANTHROPIC_API_KEY")
        // A keychain service nobody stored a key under.
        .env(
            "REVERIE_KEYCHAIN_SERVICE",
            format!("reverie-test-{}", reverie_engine::ids::new_id()),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(key) = key {
        cmd.env("ANTHROPIC_API_KEY", key);
    }
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

async fn run(
    data: &Path,
    url: &str,
    key: Option<&str>,
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let (d, u) = (data.to_path_buf(), url.to_string());
    let key = key.map(str::to_string);
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let stdin = stdin.map(str::to_string);
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        reverie(&d, &u, key.as_deref(), &args, stdin.as_deref())
    })
    .await
    .unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn finished_session(data: &Path, task: &str) -> String {
    let store = Store::open(data).unwrap();
    let agent = store.agent("helper").unwrap();
    let s = store
        .create_session(&NewSession {
            agent_id: agent.id,
            task: task.into(),
            parent_id: None,
        })
        .unwrap();
    store
        .append_events(
            &s.id,
            &[NewEvent::new(
                EventKind::UserMessage,
                json!({"turn": 0, "text": task}),
            )],
        )
        .unwrap();
    store
        .finish_session(&s.id, SessionStatus::Completed, Some("done"), None)
        .unwrap();
    s.id
}

fn files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_managed_commands_push_pull_upload_and_dream() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let server = FakeModelServer::start().await.unwrap();
    server.require_api_key(KEY);
    let url = server.url();
    ok(&run(
        data,
        &url,
        None,
        &["agent", "create", "helper", "--model", "claude-sonnet-4-5"],
        None,
    )
    .await);
    ok(&run(
        data,
        &url,
        None,
        &["memory", "write", "--agent", "helper", "/memories/notes.md"],
        Some("Metric units.\n"),
    )
    .await);

    // Off: refused with a sentence that says what to do; nothing sent.
    let off = run(
        data,
        &url,
        Some(KEY),
        &["managed", "push", "--store", "helper"],
        None,
    )
    .await;
    assert_eq!(off.status.code(), Some(2), "{}", stderr(&off));
    assert!(
        stderr(&off).contains("bridge is off") && stderr(&off).contains("reverie managed enable")
    );

    let status = json_of(
        &run(
            data,
            &url,
            None,
            &[
                "--json",
                "managed",
                "enable",
                "--agent-id",
                "agent_cli",
                "--environment-id",
                "env_cli",
            ],
            None,
        )
        .await,
    );
    assert_eq!(status["enabled"], true);
    assert_eq!(status["agent_id"], "agent_cli");
    assert_eq!(status["base_url"], url.as_str());

    // No key in the environment or the keychain: refused, nothing sent.
    let keyless = run(
        data,
        &url,
        None,
        &["managed", "push", "--store", "helper"],
        None,
    )
    .await;
    assert!(!keyless.status.success());
    let why = stderr(&keyless);
    assert!(
        why.contains("no Anthropic API key") || why.contains("no OS keychain"),
        "{why}"
    );
    assert!(server.requests().is_empty(), "nothing reached the server");

    let push = json_of(
        &run(
            data,
            &url,
            Some(KEY),
            &["--json", "managed", "push", "--store", "helper"],
            None,
        )
        .await,
    );
    let remote = push["remote_store_id"].as_str().unwrap().to_string();
    assert_eq!(push["created_remote_store"], true);
    assert_eq!(
        server.managed_memories(&remote)["/notes.md"],
        "Metric units.\n"
    );

    // Both sides change the same document: the pull shows the conflict.
    ok(&run(
        data,
        &url,
        None,
        &["memory", "write", "--agent", "helper", "/memories/notes.md"],
        Some("Metric units, always.\n"),
    )
    .await);
    server
        .managed_write(&remote, "/notes.md", "Imperial units for US users.\n")
        .unwrap();
    let pull = run(
        data,
        &url,
        Some(KEY),
        &["managed", "pull", "--store", "helper"],
        None,
    )
    .await;
    let text = ok(&pull);
    assert!(
        text.contains("conflict  /memories/notes.md changed on both sides"),
        "{text}"
    );
    let conflicts = json_of(
        &run(
            data,
            &url,
            None,
            &["--json", "managed", "conflicts", "--store", "helper"],
            None,
        )
        .await,
    );
    assert_eq!(conflicts.as_array().unwrap().len(), 1);
    let copy = conflicts[0]["conflict_path"].as_str().unwrap().to_string();
    let kept = ok(&run(
        data,
        &url,
        None,
        &["memory", "cat", "--agent", "helper", &copy],
        None,
    )
    .await);
    assert_eq!(kept, "Imperial units for US users.\n");
    let mine = ok(&run(
        data,
        &url,
        None,
        &["memory", "cat", "--agent", "helper", "/memories/notes.md"],
        None,
    )
    .await);
    assert_eq!(mine, "Metric units, always.\n");

    // Sessions go up once.
    let one = finished_session(data, "Convert 5 miles");
    let up = json_of(
        &run(
            data,
            &url,
            Some(KEY),
            &["--json", "managed", "sessions", "upload", &one],
            None,
        )
        .await,
    );
    assert_eq!(up["sessions"][0]["uploaded"], true);
    let again = ok(&run(
        data,
        &url,
        Some(KEY),
        &["managed", "sessions", "upload", &one],
        None,
    )
    .await);
    assert!(again.contains("(uploaded before)"), "{again}");
    assert_eq!(server.managed_sessions().len(), 1);

    // A dream through the Dreams API, staged as a Reverie dream.
    let two = finished_session(data, "Convert 3 miles");
    server.script_dream(
        DreamScript::completed(&[("/mistakes.md", "Answer in km.\n")], &[])
            .with_steps(&["pending", "running"]),
    );
    let started = run(
        data,
        &url,
        Some(KEY),
        &[
            "managed",
            "dream",
            "start",
            "--store",
            "helper",
            "--sessions",
            &one,
            &two,
        ],
        None,
    )
    .await;
    let remote_dream = ok(&started).trim().to_string();
    assert!(remote_dream.starts_with("drm_"), "{remote_dream}");
    let status = json_of(
        &run(
            data,
            &url,
            Some(KEY),
            &["--json", "managed", "dream", "status", &remote_dream],
            None,
        )
        .await,
    );
    assert_eq!(status["remote"]["status"], "pending");
    let waited = run(
        data,
        &url,
        Some(KEY),
        &["managed", "dream", "wait", &remote_dream, "--poll-ms", "10"],
        None,
    )
    .await;
    let dream_id = ok(&waited).trim().to_string();
    assert!(stderr(&waited).contains("completed"), "{}", stderr(&waited));
    assert!(stderr(&waited).contains(&format!("reverie dream apply {dream_id}")));
    let shown = json_of(
        &run(
            data,
            &url,
            None,
            &["--json", "dream", "show", &dream_id],
            None,
        )
        .await,
    );
    assert_eq!(shown["dream"]["status"], "completed");
    assert_eq!(shown["dream"]["review"], "staged");
    assert_eq!(shown["dream"]["session_ids"], json!([one, two]));
    let paths: Vec<&str> = shown["edits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"/memories/mistakes.md"), "{paths:?}");
    ok(&run(data, &url, None, &["dream", "apply", &dream_id], None).await);
    let applied = ok(&run(
        data,
        &url,
        None,
        &[
            "memory",
            "cat",
            "--agent",
            "helper",
            "/memories/mistakes.md",
        ],
        None,
    )
    .await);
    assert_eq!(applied, "Answer in km.\n");

    // A failed dream: recorded, said, exit 1.
    server.script_dream(DreamScript::failed("timeout", "the dream ran out of time"));
    let started = run(
        data,
        &url,
        Some(KEY),
        &[
            "managed",
            "dream",
            "start",
            "--store",
            "helper",
            "--sessions",
            &one,
        ],
        None,
    )
    .await;
    let failed = ok(&started).trim().to_string();
    let waited = run(
        data,
        &url,
        Some(KEY),
        &["managed", "dream", "wait", &failed, "--poll-ms", "10"],
        None,
    )
    .await;
    assert_eq!(waited.status.code(), Some(1));
    let why = stderr(&waited);
    assert!(
        why.contains("failed (timeout: the dream ran out of time)")
            && why.contains("memory was not changed"),
        "{why}"
    );
    let cancel = run(
        data,
        &url,
        Some(KEY),
        &["managed", "dream", "cancel", &failed],
        None,
    )
    .await;
    assert!(
        stderr(&cancel).contains("already finished"),
        "{}",
        stderr(&cancel)
    );

    let status = json_of(&run(data, &url, None, &["--json", "managed", "status"], None).await);
    assert_eq!(status["stores"][0]["remote_store_id"], remote.as_str());
    assert_eq!(status["dreams"].as_array().unwrap().len(), 2);
    assert_eq!(status["key"]["available"], false, "no key in this process");

    // The key went over the wire and nowhere else.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("x-api-key") == Some(KEY))
    );
    for file in files(data) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "{} holds the API key",
            file.display()
        );
    }
}
