//! `reverie run` as a process against the fake model server: streaming to
//! the terminal, exit codes, and a kill -9 in the middle of a session, after
//! which the session shows as interrupted with every event before the kill
//! and can be resumed.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use reverie_fake_model::{Block, FakeModelServer, Fault, Reply};
use serde_json::{Value, json};

mod support {
    pub mod cli;
}

use support::cli::against_model as reverie;

fn output(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_streams_the_answer_and_reports_failures_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelServer::start().await.unwrap();
    let url = server.url();
    let d = dir.path().to_path_buf();
    let ok = tokio::task::spawn_blocking(move || {
        json_of(&output(reverie(&d, &url).args([
            "--json",
            "agent",
            "create",
            "writer",
            "--model",
            "claude-haiku-4-5",
        ])));
        output(reverie(&d, &url).args(["run", "--agent", "writer", "Say hello"]))
    });
    server.push_reply(Reply::text("Hello there, friend.").chunked(3, 5));
    let out = ok.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Hello there, friend."
    );

    server.push_reply(Reply::fault(Fault::Unauthorized));
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let out = tokio::task::spawn_blocking(move || {
        output(reverie(&d, &url).args(["--json", "run", "--agent", "writer", "Say hello"]))
    })
    .await
    .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "API key rejected: the key comes from the ANTHROPIC_API_KEY environment variable"
        ),
        "{stderr}"
    );
    assert!(
        !stderr.contains("sk-ant-test-key"),
        "the key must never be printed"
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["status"], "failed");

    // Unknown agent: exit 3, one sentence.
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let out = tokio::task::spawn_blocking(move || {
        output(reverie(&d, &url).args(["run", "--agent", "ghost", "x"]))
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_is_interrupted_with_its_events_and_can_resume() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelServer::start().await.unwrap();
    // Turn 1 writes memory; turn 2 streams so slowly that the kill lands mid-message.
    server.push_reply(
        Reply::default()
            .with_block(Block::Text { text: "Saving a note.".into() })
            .with_block(Block::ToolUse {
                id: "toolu_9".into(),
                name: "memory".into(),
                input: json!({"command": "create", "path": "/memories/notes.md", "file_text": "half done\n"}),
            }),
    );
    server.push_reply(Reply::text("This answer will never finish ".repeat(40)).chunked(2, 200));
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let mut child = tokio::task::spawn_blocking(move || {
        json_of(&output(reverie(&d, &url).args([
            "--json",
            "agent",
            "create",
            "worker",
            "--model",
            "claude-sonnet-4-5",
        ])));
        reverie(&d, &url)
            .args(["run", "--agent", "worker", "Write a note, then explain"])
            .spawn()
            .unwrap()
    })
    .await
    .unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    while server.first_delta_sent(1).is_none() {
        assert!(
            Instant::now() < deadline,
            "the second model call never started streaming"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();

    let (d, url) = (dir.path().to_path_buf(), server.url());
    let list = tokio::task::spawn_blocking(move || {
        json_of(&output(
            reverie(&d, &url).args(["--json", "session", "list"]),
        ))
    })
    .await
    .unwrap();
    assert_eq!(list[0]["status"], "interrupted", "{list}");
    let id = list[0]["id"].as_str().unwrap().to_string();
    let (d, url, sid) = (dir.path().to_path_buf(), server.url(), id.clone());
    let shown = tokio::task::spawn_blocking(move || {
        json_of(&output(
            reverie(&d, &url).args(["--json", "session", "show", &sid]),
        ))
    })
    .await
    .unwrap();
    let kinds: Vec<&str> = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "user_message",
            "assistant_text",
            "tool_call",
            "memory_write",
            "tool_result"
        ],
        "every event before the kill"
    );

    // Resume: the model sees the whole conversation and finishes.
    server.push_reply(Reply::text("Finished after the interruption."));
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let out = tokio::task::spawn_blocking(move || {
        output(reverie(&d, &url).args(["--json", "run", "--agent", "worker", "--resume", &id]))
    })
    .await
    .unwrap();
    let result = json_of(&out);
    assert_eq!(result["status"], "completed");
    let last = server.requests().last().unwrap().body.clone();
    let messages = last["messages"].as_array().unwrap();
    assert_eq!(
        messages[0]["content"][0]["text"],
        "Write a note, then explain"
    );
    assert_eq!(messages[2]["content"][0]["tool_use_id"], "toolu_9");
}
