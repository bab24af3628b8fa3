//! `reverie session import` / `session export --format anthropic` /
//! `memory export` on a real data folder: human and JSON output, exit
//! codes, standard input, a kill -9 in the middle of an import leaving
//! whole sessions only (and the next run finishing the job).

mod support {
    pub mod cli;
}

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reverie_engine::Store;
use reverie_engine::store::{EventQuery, SessionFilter};
use serde_json::{Value, json};
use support::cli::{json, ok, reverie};

fn create_agent(d: &Path, name: &str) {
    ok(&reverie(
        d,
        &["agent", "create", name, "--model", "claude-sonnet-4-5"],
        None,
    ));
}

/// Conversation `n`: a task, then `n % 4` tool rounds, then an answer.
fn conversation(n: usize) -> Value {
    let mut messages =
        vec![json!({"role": "user", "content": format!("Task {n}: check the flight")})];
    for i in 0..n % 4 {
        messages.push(json!({"role": "assistant", "content": [
            {"type": "tool_use", "id": format!("t{i}"), "name": "lookup", "input": {"flight": format!("HAT{i:03}")}}]}));
        messages.push(json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": format!("t{i}"), "content": "on time"}]}));
    }
    messages.push(json!({"role": "assistant", "content": "All on time."}));
    json!({"messages": messages, "reward": (n % 2) as f64})
}

/// Events conversation `n` becomes: the task, two per tool round, the
/// answer and the final answer.
fn events_of(n: usize) -> usize {
    1 + 2 * (n % 4) + 2
}

#[test]
fn import_and_export_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    create_agent(d, "air");
    let file = d.join("history.jsonl");
    let mut text: String = (0..6).map(|n| format!("{}\n", conversation(n))).collect();
    text.push_str("{\"messages\": oops}\n");
    std::fs::write(&file, &text).unwrap();
    let file_arg = file.to_str().unwrap();

    let out = reverie(d, &["session", "import", "--agent", "air", file_arg], None);
    let stdout = ok(&out);
    assert!(
        stdout.contains("imported 6 session(s) into 'air' from history.jsonl (anthropic)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 malformed record(s) not imported"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("malformed record 7 (line 7): not valid JSON"),
        "{stderr}"
    );

    // Again, as JSON: all found imported.
    let again = json(&reverie(
        d,
        &["--json", "session", "import", "--agent", "air", file_arg],
        None,
    ));
    assert_eq!(again["imported"], 0);
    assert_eq!(again["skipped_duplicates"], 6);
    assert_eq!(again["malformed_records"][0]["position"]["line"], 7);
    let human = ok(&reverie(
        d,
        &["session", "import", "--agent", "air", file_arg],
        None,
    ));
    assert!(human.contains("skipped 6 already imported"), "{human}");

    // Stop at the malformed record: exit 1, the summary still printed.
    let stop = reverie(
        d,
        &[
            "--json",
            "session",
            "import",
            "--agent",
            "air",
            "--on-error",
            "stop",
            file_arg,
        ],
        None,
    );
    assert_eq!(stop.status.code(), Some(1));
    let summary: Value = serde_json::from_slice(&stop.stdout).unwrap();
    assert_eq!(summary["malformed"], 1);
    assert!(
        String::from_utf8_lossy(&stop.stderr).contains("import incomplete"),
        "{}",
        String::from_utf8_lossy(&stop.stderr)
    );

    // Exit codes: unknown agent 3, bad usage 2, missing file 2.
    let missing_agent = reverie(
        d,
        &["session", "import", "--agent", "nobody", file_arg],
        None,
    );
    assert_eq!(missing_agent.status.code(), Some(3));
    let bad_format = reverie(
        d,
        &[
            "session", "import", "--agent", "air", "--format", "xml", file_arg,
        ],
        None,
    );
    assert_eq!(bad_format.status.code(), Some(2));
    let no_file = reverie(
        d,
        &["session", "import", "--agent", "air", "/nonexistent/x.json"],
        None,
    );
    assert_eq!(no_file.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&no_file.stderr).contains("check the path"));

    // Standard input, with the format named.
    let piped = json(&reverie(
        d,
        &[
            "--json",
            "session",
            "import",
            "--agent",
            "air",
            "--format",
            "anthropic",
            "-",
        ],
        Some(&format!("{}\n", conversation(40))),
    ));
    assert_eq!(piped["imported"], 1);
    assert_eq!(piped["file_name"], "stdin");
    let id = piped["session_ids"][0].as_str().unwrap().to_string();

    // Export as Anthropic JSON, import into a fresh data folder: same events.
    let exported = d.join("one.json");
    ok(&reverie(
        d,
        &[
            "session",
            "export",
            &id,
            "--format",
            "anthropic",
            "-o",
            exported.to_str().unwrap(),
        ],
        None,
    ));
    let fresh = tempfile::tempdir().unwrap();
    create_agent(fresh.path(), "air");
    let copy = json(&reverie(
        fresh.path(),
        &[
            "--json",
            "session",
            "import",
            "--agent",
            "air",
            exported.to_str().unwrap(),
        ],
        None,
    ));
    assert_eq!(copy["imported"], 1);
    let events = |data: &Path, id: &str| -> Vec<(Value, Value)> {
        json(&reverie(data, &["--json", "session", "show", id], None))["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["kind"].clone(), e["data"].clone()))
            .collect()
    };
    let original = events(d, &id);
    assert_eq!(original.len(), events_of(40));
    assert_eq!(
        events(fresh.path(), copy["session_ids"][0].as_str().unwrap()),
        original
    );

    // The store exported as files, then as a zip; nothing overwritten.
    ok(&reverie(
        d,
        &["memory", "write", "--agent", "air", "/memories/_index.md"],
        Some("- nothing yet\n"),
    ));
    let folder = d.join("memory-export");
    let report = json(&reverie(
        d,
        &[
            "--json",
            "memory",
            "export",
            "--agent",
            "air",
            folder.to_str().unwrap(),
        ],
        None,
    ));
    assert_eq!(report["documents"], 1);
    assert_eq!(
        std::fs::read_to_string(folder.join("memories/_index.md")).unwrap(),
        "- nothing yet\n"
    );
    assert!(folder.join("manifest.json").is_file());
    let twice = reverie(
        d,
        &[
            "memory",
            "export",
            "--agent",
            "air",
            folder.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(twice.status.code(), Some(4));
    let zip = d.join("memory.zip");
    let zipped = ok(&reverie(
        d,
        &[
            "memory",
            "export",
            "--store",
            "air",
            zip.to_str().unwrap(),
            "--zip",
        ],
        None,
    ));
    assert!(zipped.contains("Exported 1 document(s)"), "{zipped}");
    assert!(zip.is_file());
}

#[test]
fn an_import_killed_mid_way_leaves_whole_sessions_and_the_next_run_finishes_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    create_agent(d, "air");
    const N: usize = 1500;
    let file = d.join("big.jsonl");
    let text: String = (0..N).map(|n| format!("{}\n", conversation(n))).collect();
    std::fs::write(&file, text).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_reverie"))
        .arg("--data-dir")
        .arg(d)
        .args(["session", "import", "--agent", "air"])
        .arg(&file)
        .env_remove("REVERIE_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let store = Store::open(d).unwrap();
    let count = |store: &Store| {
        store
            .list_sessions(&SessionFilter {
                limit: Some(N + 1),
                ..Default::default()
            })
            .unwrap()
            .len()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&store) < 50 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGKILL);
    }
    let _ = child.wait();

    let sessions = store
        .list_sessions(&SessionFilter {
            limit: Some(N + 1),
            ..Default::default()
        })
        .unwrap();
    let before = sessions.len();
    assert!(before >= 50, "the import ran before the kill");
    eprintln!("killed after {before} of {N} sessions");
    for s in &sessions {
        let n: usize = s
            .task
            .strip_prefix("Task ")
            .and_then(|t| t.split(':').next())
            .unwrap()
            .parse()
            .unwrap();
        let events = store.events(&s.id, &EventQuery::default()).unwrap();
        assert_eq!(events.len(), events_of(n), "session of task {n} is whole");
        assert!(s.imported.is_some());
    }
    assert_eq!(store.integrity_check().unwrap(), "ok");

    let rest = json(&reverie(
        d,
        &[
            "--json",
            "session",
            "import",
            "--agent",
            "air",
            file.to_str().unwrap(),
        ],
        None,
    ));
    assert_eq!(rest["skipped_duplicates"], before);
    assert_eq!(rest["imported"], N - before);
    assert_eq!(count(&store), N);
}
