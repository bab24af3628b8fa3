//! `reverie rubric`, `reverie run --rubric` and `reverie outcomes stats` as
//! processes against the fake model server: starters seeded into a new data
//! folder, import errors with line, column and field (exit 2), byte-exact
//! export, a graded run that passes on its second pass, grading a past
//! session, and a run killed mid-loop whose outcome shows as interrupted.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use reverie_fake_model::{Conditions, FakeModelServer, Reply, Rule};
use serde_json::{Value, json};

mod support {
    pub mod cli;
}

use support::cli::against_model as reverie;

fn run(data: &Path, url: &str, args: &[&str]) -> Output {
    reverie(data, url).args(args).output().unwrap()
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const RUBRIC: &str = r#"{
  "schema": "reverie.rubric/1",
  "name": "cited",
  "description": "Figures carry their source.",
  "threshold": 0.7,
  "max_iterations": 3,
  "criteria": [
    {"name": "Cites a source", "weight": 1, "required": true, "kind": {"type": "judged", "description": "Names the source of every figure."}}
  ]
}"#;

const GAP: &str = "Name the central bank as the source of the 4.5% rate.";

/// The `writer` agent and the `cited` rubric, as the run tests start.
fn writer_with_cited_rubric(d: &Path, url: &str) {
    json_of(&run(
        d,
        url,
        &[
            "--json",
            "agent",
            "create",
            "writer",
            "--model",
            "claude-haiku-4-5",
        ],
    ));
    let file = d.join("cited.json");
    std::fs::write(&file, RUBRIC).unwrap();
    json_of(&run(
        d,
        url,
        &["--json", "rubric", "import", file.to_str().unwrap()],
    ));
}

fn grader_rule(passed: bool, times: Option<u32>) -> Rule {
    Rule {
        when: Conditions {
            system_contains: Some("strict, fair grader".into()),
            ..Default::default()
        },
        reply: Reply::tool_use(
            "toolu_g",
            "record_verdicts",
            json!({"applies": true, "explanation": "Graded.", "verdicts": [
                {"criterion_index": 0, "passed": passed, "score": if passed {1.0} else {0.0},
                 "evidence": "Rates are 4.5%", "gap": if passed { Value::Null } else { json!(GAP) }}
            ]}),
        ),
        times,
    }
}

#[test]
fn rubrics_are_seeded_created_imported_and_exported_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let url = "http://127.0.0.1:9";
    // A new data folder shows the three starters.
    let list = json_of(&run(d, url, &["--json", "rubric", "list"]));
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");

    // Deleting them does not bring them back on the next open.
    for r in list.as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        assert!(run(d, url, &["rubric", "delete", name]).status.success());
    }
    let list = json_of(&run(d, url, &["--json", "rubric", "list"]));
    assert_eq!(list, json!([]));
    // ...but `create --starter` does.
    json_of(&run(d, url, &["--json", "rubric", "create", "--starter"]));
    let list = json_of(&run(d, url, &["--json", "rubric", "list"]));
    assert_eq!(list.as_array().unwrap().len(), 3);

    // From a starter, under a new name.
    let made = json_of(&run(
        d,
        url,
        &["--json", "rubric", "create", "deck", "--from-starter", "3"],
    ));
    assert_eq!(made["name"], "deck");
    assert!(made["document"].as_str().unwrap().contains("pptx"));
    // From judged criteria.
    json_of(&run(
        d,
        url,
        &[
            "--json",
            "rubric",
            "create",
            "tone",
            "--judged",
            "Friendly: Warm, plain words.",
        ],
    ));
    let bad = run(d, url, &["rubric", "create", "empty"]);
    assert_eq!(bad.status.code(), Some(2));

    // Import keeps the bytes; export gives them back.
    let file = d.join("cited.json");
    std::fs::write(&file, RUBRIC).unwrap();
    json_of(&run(
        d,
        url,
        &["--json", "rubric", "import", file.to_str().unwrap()],
    ));
    let exported = run(d, url, &["rubric", "export", "cited"]);
    assert!(exported.status.success());
    assert_eq!(String::from_utf8(exported.stdout).unwrap(), RUBRIC);

    // A broken document: exit 2, one sentence with line, column and field.
    let broken = RUBRIC.replace("\"weight\": 1", "\"weight\": \"heavy\"");
    std::fs::write(&file, broken).unwrap();
    let out = run(d, url, &["rubric", "import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 8"), "{err}");
    assert!(err.contains("column"), "{err}");
    assert!(err.contains("criteria[0].weight"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graded_run_passes_on_its_second_pass_and_shows_in_stats() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelServer::start().await.unwrap();
    server.add_rule(grader_rule(false, Some(1)));
    server.add_rule(grader_rule(true, None));
    server.push_reply(Reply::text("Rates are 4.5%."));
    server.push_reply(Reply::text("Rates are 4.5%, says the central bank."));
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let (ran, stats, tested, session_id) = tokio::task::spawn_blocking(move || {
        writer_with_cited_rubric(&d, &url);
        let ran = json_of(&run(
            &d,
            &url,
            &[
                "--json",
                "run",
                "--agent",
                "writer",
                "--rubric",
                "cited",
                "Write a brief on rates.",
            ],
        ));
        let stats = json_of(&run(
            &d,
            &url,
            &["--json", "outcomes", "stats", "--agent", "writer"],
        ));
        let session_id = ran["run"]["session_id"].as_str().unwrap().to_string();
        let tested = json_of(&run(
            &d,
            &url,
            &[
                "--json",
                "rubric",
                "test",
                "cited",
                "--session",
                &session_id,
            ],
        ));
        (ran, stats, tested, session_id)
    })
    .await
    .unwrap();
    assert_eq!(ran["outcome"]["result"], "satisfied", "{ran}");
    assert_eq!(ran["outcome"]["iterations"], 2);
    let verdicts = ran["verdicts"].as_array().unwrap();
    assert_eq!(verdicts.len(), 2);
    assert_eq!(verdicts[0]["gap"], GAP);
    // The second agent request carried the gap.
    let requests = server.requests();
    let second_pass = requests[2].body.to_string();
    assert!(second_pass.contains(GAP), "{second_pass}");

    let total = &stats["totals"][0];
    assert_eq!(total["rubric"], "cited");
    assert_eq!(total["agent"], "writer");
    assert_eq!(total["pass_rate"], 1.0);
    assert_eq!(total["mean_iterations_to_pass"], 2.0);
    assert_eq!(stats["days"].as_array().unwrap().len(), 1);

    // `rubric test` grades the stored output again without a new outcome.
    assert_eq!(tested["score"]["passed_threshold"], true, "{tested}");
    assert_eq!(tested["verdicts"][0]["passed"], true, "{tested}");
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let outcomes = tokio::task::spawn_blocking(move || {
        json_of(&run(
            &d,
            &url,
            &["--json", "outcomes", "show", "--session", &session_id],
        ))
    })
    .await
    .unwrap();
    assert_eq!(outcomes.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_mid_loop_leaves_its_outcome_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelServer::start().await.unwrap();
    server.add_rule(grader_rule(false, None));
    server.push_reply(Reply::text("Rates are 4.5%."));
    // The second pass streams so slowly that the kill lands in it.
    server.push_reply(Reply::text("Rates are 4.5%, says the bank. ".repeat(40)).chunked(2, 200));
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let mut child = tokio::task::spawn_blocking(move || {
        writer_with_cited_rubric(&d, &url);
        reverie(&d, &url)
            .args([
                "run",
                "--agent",
                "writer",
                "--rubric",
                "cited",
                "Write a brief.",
            ])
            .spawn()
            .unwrap()
    })
    .await
    .unwrap();
    // Requests: agent (0), grader (1), agent again (2).
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.first_delta_sent(2).is_none() {
        assert!(Instant::now() < deadline, "the second pass never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap();

    let (d, url) = (dir.path().to_path_buf(), server.url());
    let (stats, sessions) = tokio::task::spawn_blocking(move || {
        (
            json_of(&run(&d, &url, &["--json", "outcomes", "stats"])),
            json_of(&run(&d, &url, &["--json", "session", "list"])),
        )
    })
    .await
    .unwrap();
    assert_eq!(sessions[0]["status"], "interrupted");
    let total = &stats["totals"][0];
    assert_eq!(total["runs"], 1, "{stats}");
    assert_eq!(total["interrupted"], 1);
    assert_eq!(total["pass_rate"], Value::Null);
}

/// An agent's default rubric grades every run unless told otherwise:
/// `agent update --default-rubric`, then a plain `run` is graded and
/// `run --no-rubric` is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_rubric_grades_plain_runs_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelServer::start().await.unwrap();
    server.add_rule(grader_rule(true, None));
    server.push_reply(Reply::text("Rates are 4.5%, says the central bank."));
    server.push_reply(Reply::text("Rates are 4.5%."));
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let (updated, bad_schedule, graded, plain) = tokio::task::spawn_blocking(move || {
        writer_with_cited_rubric(&d, &url);
        let updated = json_of(&run(
            &d,
            &url,
            &[
                "--json",
                "agent",
                "update",
                "writer",
                "--default-rubric",
                "cited",
                "--dream-policy",
                "auto",
            ],
        ));
        let bad_schedule = run(
            &d,
            &url,
            &[
                "agent",
                "update",
                "writer",
                "--dream-schedule",
                "every night",
            ],
        );
        let graded = json_of(&run(
            &d,
            &url,
            &[
                "--json",
                "run",
                "--agent",
                "writer",
                "Write a brief on rates.",
            ],
        ));
        let plain = json_of(&run(
            &d,
            &url,
            &[
                "--json",
                "run",
                "--agent",
                "writer",
                "--no-rubric",
                "Write a brief on rates.",
            ],
        ));
        (updated, bad_schedule, graded, plain)
    })
    .await
    .unwrap();
    assert!(updated["default_rubric_id"].is_string(), "{updated}");
    assert_eq!(updated["dream_policy"], "auto");
    assert!(!bad_schedule.status.success());
    let err = String::from_utf8_lossy(&bad_schedule.stderr);
    assert!(err.contains("not a dream schedule"), "{err}");
    assert_eq!(graded["outcome"]["result"], "satisfied", "{graded}");
    assert!(plain["outcome"].is_null(), "{plain}");
}
