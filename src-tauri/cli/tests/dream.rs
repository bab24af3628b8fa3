//! `reverie dream` and `reverie daemon` as processes against the fake model
//! server: a kill -9 mid-dream leaves memory untouched and the next start
//! marks the dream failed; the next dream then runs normally, and the
//! list/show/apply/revert forms work with --json and exit codes.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use reverie_engine::dream::review::PROPOSAL_TOOL;
use reverie_fake_model::{Conditions, FakeModelServer, Reply, Rule};
use serde_json::{Value, json};

mod support {
    pub mod cli;
}

use support::cli::against_model as reverie;

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn cli(data: &Path, url: &str, args: &[&str]) -> Output {
    let (d, u) = (data.to_path_buf(), url.to_string());
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    tokio::task::spawn_blocking(move || reverie(&d, &u).args(&args).output().unwrap())
        .await
        .unwrap()
}

fn edits(session_ids: &[String]) -> Value {
    json!({"edits": [
        {"op": "create", "path": "/memories/_index.md", "content": "- Always answer in metric units.\n",
         "reason": "The user corrected units every time.", "source_session_ids": session_ids}
    ]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_dream_leaves_memory_untouched_and_the_next_one_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let server = FakeModelServer::start().await.unwrap();
    let url = server.url();
    json_of(
        &cli(
            data,
            &url,
            &[
                "--json",
                "agent",
                "create",
                "helper",
                "--model",
                "claude-sonnet-4-5",
            ],
        )
        .await,
    );
    for task in ["Weather in Paris?", "Weather in Rome?"] {
        server.push_reply(Reply::text("It is 68 °F."));
        json_of(&cli(data, &url, &["--json", "run", "--agent", "helper", task]).await);
    }
    let sessions = json_of(&cli(data, &url, &["--json", "session", "list"]).await);
    let ids: Vec<String> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    let proposal_rule = |reply: Reply, times| Rule {
        when: Conditions {
            system_contains: Some(PROPOSAL_TOOL.into()),
            ..Conditions::default()
        },
        reply,
        times,
    };
    // The first dream's model call hangs; the kill lands while it waits.
    let mut slow = Reply::tool_use("toolu_1", PROPOSAL_TOOL, edits(&ids));
    slow.first_byte_delay_ms = 30_000;
    server.add_rule(proposal_rule(slow, Some(1)));
    server.add_rule(proposal_rule(
        Reply::tool_use("toolu_2", PROPOSAL_TOOL, edits(&ids)),
        None,
    ));
    let before = server.requests().len();

    let mut child = reverie(data, &url)
        .args(["dream", "--agent", "helper"])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.requests().len() == before {
        assert!(
            Instant::now() < deadline,
            "the dream never called the model"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();

    let list = json_of(&cli(data, &url, &["--json", "dream", "list"]).await);
    assert_eq!(list[0]["status"], "failed", "{list}");
    assert!(
        list[0]["error"]
            .as_str()
            .unwrap()
            .contains("memory was not changed")
    );
    let docs = json_of(&cli(data, &url, &["--json", "memory", "ls", "--agent", "helper"]).await);
    assert_eq!(
        docs.as_array().map(Vec::len),
        Some(0),
        "memory untouched: {docs}"
    );

    // The next dream runs normally over the same sessions, and applies.
    let report = json_of(
        &cli(
            data,
            &url,
            &["--json", "dream", "--agent", "helper", "--apply"],
        )
        .await,
    );
    assert_eq!(report["dream"]["status"], "completed", "{report}");
    assert_eq!(report["applied"], true);
    let dream_id = report["dream"]["id"].as_str().unwrap().to_string();
    let mut cited = report["edits"][0]["source_session_ids"]
        .as_array()
        .unwrap()
        .clone();
    cited.sort_by_key(|v| v.to_string());
    let mut expected: Vec<Value> = ids.iter().map(|i| json!(i)).collect();
    expected.sort_by_key(|v| v.to_string());
    assert_eq!(cited, expected);
    let cat = cli(
        data,
        &url,
        &["memory", "cat", "--agent", "helper", "/memories/_index.md"],
    )
    .await;
    assert!(String::from_utf8_lossy(&cat.stdout).contains("metric units"));

    let shown = json_of(&cli(data, &url, &["--json", "dream", "show", &dream_id]).await);
    assert_eq!(shown["dream"]["review"], "applied");
    assert_eq!(shown["edits"][0]["decision"], "applied");

    // Nothing new is no failure: a clear sentence, exit 0, and "skipped".
    let again = cli(data, &url, &["dream", "--agent", "helper"]).await;
    assert_eq!(again.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&again.stderr).contains("nothing to review"));
    let skipped = json_of(&cli(data, &url, &["--json", "dream", "--agent", "helper"]).await);
    assert_eq!(skipped["status"], "skipped", "{skipped}");

    let reverted = json_of(&cli(data, &url, &["--json", "dream", "revert", &dream_id]).await);
    assert_eq!(reverted["dream"]["review"], "reverted");
    let docs = json_of(&cli(data, &url, &["--json", "memory", "ls", "--agent", "helper"]).await);
    assert_eq!(docs.as_array().map(Vec::len), Some(0), "{docs}");
    let missing = cli(data, &url, &["dream", "show", "01NOTADREAM"]).await;
    assert_eq!(missing.status.code(), Some(3));

    // Schedules and policies from the command line; a bad schedule says why.
    let bad = cli(
        data,
        &url,
        &["dream", "schedule", "--agent", "helper", "every night"],
    )
    .await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a dream schedule"));
    assert!(
        cli(
            data,
            &url,
            &["dream", "schedule", "--agent", "helper", "03:30"]
        )
        .await
        .status
        .success()
    );
    assert!(
        cli(
            data,
            &url,
            &["dream", "policy", "--agent", "helper", "auto"]
        )
        .await
        .status
        .success()
    );
    let agent = json_of(&cli(data, &url, &["--json", "agent", "show", "helper"]).await);
    assert_eq!(agent["dream_schedule"], "03:30", "{agent}");
    assert_eq!(agent["dream_policy"], "auto");
}

/// kill -9 while `dream apply` writes a proposal of many documents: every
/// time, memory is either as it was or holds the whole proposal, never a
/// part, and the dream's state agrees with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_mid_apply_leaves_memory_untouched_or_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelServer::start().await.unwrap();
    let url = server.url();
    let template = dir.path().join("template");
    json_of(
        &cli(
            &template,
            &url,
            &[
                "--json",
                "agent",
                "create",
                "helper",
                "--model",
                "claude-sonnet-4-5",
            ],
        )
        .await,
    );
    server.push_reply(Reply::text("Noted."));
    json_of(
        &cli(
            &template,
            &url,
            &[
                "--json",
                "run",
                "--agent",
                "helper",
                "Keep notes on the project",
            ],
        )
        .await,
    );
    let sessions = json_of(&cli(&template, &url, &["--json", "session", "list"]).await);
    let id = sessions[0]["id"].as_str().unwrap().to_string();
    // A proposal of 60 documents, so applying it takes a moment.
    let mut proposed = Vec::new();
    let mut index = String::new();
    for n in 0..60 {
        let path = format!("/memories/topic-{n}.md");
        proposed.push(json!({"op": "create", "path": path, "content": format!("- Note {n}: {}\n", "keep it short. ".repeat(200)),
            "reason": "r", "source_session_ids": [id]}));
        index += &format!("- {path}: topic {n}\n");
    }
    proposed.push(json!({"op": "create", "path": "/memories/_index.md", "content": index, "reason": "index", "source_session_ids": [id]}));
    server.add_rule(Rule {
        when: Conditions {
            system_contains: Some(PROPOSAL_TOOL.into()),
            ..Conditions::default()
        },
        reply: Reply::tool_use("toolu_p", PROPOSAL_TOOL, json!({"edits": proposed})),
        times: None,
    });
    let staged = json_of(&cli(&template, &url, &["--json", "dream", "--agent", "helper"]).await);
    let dream_id = staged["dream"]["id"].as_str().unwrap().to_string();
    assert_eq!(staged["dream"]["review"], "staged", "{staged}");

    let (mut untouched, mut whole) = (0, 0);
    for round in 0..12u64 {
        let data = dir.path().join(format!("round-{round}"));
        copy_dir(&template, &data);
        let mut child = reverie(&data, &url)
            .args(["dream", "apply", &dream_id])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 + round * 7));
        unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
        child.wait().unwrap();
        let docs = json_of(
            &cli(
                &data,
                &url,
                &["--json", "memory", "ls", "--agent", "helper"],
            )
            .await,
        );
        let n = docs.as_array().unwrap().len();
        let shown = json_of(&cli(&data, &url, &["--json", "dream", "show", &dream_id]).await);
        match n {
            0 => {
                untouched += 1;
                assert_eq!(shown["dream"]["review"], "staged", "{shown}");
            }
            61 => {
                whole += 1;
                assert_eq!(shown["dream"]["review"], "applied", "{shown}");
            }
            _ => panic!("round {round}: a kill left {n} of 61 documents"),
        }
    }
    println!("kill -9 mid-apply: {untouched} rounds untouched, {whole} whole, none partial");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
