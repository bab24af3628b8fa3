//! The fake model server itself, over raw HTTP: reply selection (rules,
//! queue, fallback), recording, control routes, concurrency, and the
//! standalone binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use reverie_fake_model::{Conditions, FakeModelServer, Reply, Rule, Script};
use serde_json::{Value, json};

/// One client for every request: building one loads the TLS roots, slowly.
fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(reqwest::Client::new)
}

async fn ask(base: &str, system: &str, user: &str) -> (u16, Value) {
    let body = json!({"model": "claude-haiku-4-5", "max_tokens": 10, "system": system,
                      "messages": [{"role": "user", "content": user}]});
    let r = client()
        .post(format!("{base}/v1/messages"))
        .header("anthropic-version", "2023-06-01")
        .header("x-api-key", "k")
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn rules_then_queue_then_fallback() {
    let server = FakeModelServer::start_with(Script {
        queue: vec![Reply::text("queued 1"), Reply::text("queued 2")],
        rules: vec![
            Rule {
                when: Conditions {
                    system_contains: Some("grader".into()),
                    ..Default::default()
                },
                reply: Reply::text("graded"),
                times: None,
            },
            Rule {
                when: Conditions {
                    last_user_contains: Some("once".into()),
                    ..Default::default()
                },
                reply: Reply::text("only once"),
                times: Some(1),
            },
        ],
        fallback: Some(Reply::text("fallback")),
        api_key: None,
        models: Vec::new(),
        openai_limits: Default::default(),
    })
    .await
    .unwrap();
    let url = server.url();
    let text = |v: Value| v["content"][0]["text"].as_str().unwrap().to_string();
    assert_eq!(text(ask(&url, "you are the grader", "x").await.1), "graded");
    assert_eq!(
        text(ask(&url, "you are the grader", "x").await.1),
        "graded",
        "a rule without times repeats"
    );
    assert_eq!(text(ask(&url, "", "say it once").await.1), "only once");
    assert_eq!(
        text(ask(&url, "", "say it once").await.1),
        "queued 1",
        "a used-up rule falls through"
    );
    assert_eq!(text(ask(&url, "", "y").await.1), "queued 2");
    assert_eq!(text(ask(&url, "", "y").await.1), "fallback");

    let recorded = server.requests();
    assert_eq!(recorded.len(), 6);
    assert_eq!(recorded[0].body["system"], "you are the grader");
    assert_eq!(recorded[0].header("x-api-key"), Some("k"));
    assert!(recorded.iter().all(|r| r.completed && !r.disconnected));
}

#[tokio::test]
async fn nothing_scripted_and_bad_requests_get_clear_errors() {
    let server = FakeModelServer::start().await.unwrap();
    let (status, body) = ask(&server.url(), "", "hi").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no scripted reply")
    );

    let r = client()
        .post(format!("{}/v1/messages", server.url()))
        .header("anthropic-version", "2023-06-01")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(server.requests()[1].body, Value::String("not json".into()));

    let r = client()
        .post(format!("{}/v1/messages", server.url()))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        400,
        "anthropic-version is required, as by the real API"
    );
}

#[tokio::test]
async fn serves_requests_concurrently() {
    let server = FakeModelServer::start().await.unwrap();
    server.add_rule(Rule {
        when: Default::default(),
        reply: Reply::text("slow").first_byte_delay(2_000),
        times: None,
    });
    let url = server.url();
    let tasks: Vec<_> = (0..25)
        .map(|i| {
            tokio::spawn({
                let url = url.clone();
                async move { ask(&url, "", &format!("n{i}")).await }
            })
        })
        .collect();
    // All 25 arrive while the first is still waiting out its delay.
    for _ in 0..100 {
        if server.requests().len() == 25 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let recorded = server.requests();
    assert_eq!(recorded.len(), 25);
    assert!(recorded.iter().all(|r| !r.completed));
    for t in tasks {
        assert_eq!(t.await.unwrap().0, 200);
    }
}

#[test]
fn standalone_binary_is_driven_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("script.json");
    std::fs::write(&script, r#"{"queue": [{"text": "from the file"}]}"#).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_fake-model-server"))
        .args(["--port", "0", "--script"])
        .arg(&script)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("prints its URL")
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (_, body) = ask(&url, "", "hi").await;
        assert_eq!(body["content"][0]["text"], "from the file");

        let client = client();
        let r = client
            .post(format!("{url}/_fake/script"))
            .body(r#"{"fallback": {"text": "from POST", "fault": null}}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let (_, body) = ask(&url, "", "hi").await;
        assert_eq!(body["content"][0]["text"], "from POST");

        let r = client
            .post(format!("{url}/_fake/script"))
            .body(r#"{"queue": [{"txt": 1}]}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "a script with unknown fields is refused");

        let recorded: Vec<Value> = client
            .get(format!("{url}/_fake/requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(recorded.len(), 2);
        assert_eq!(recorded[1]["body"]["messages"][0]["content"], "hi");
        assert_eq!(
            client
                .delete(format!("{url}/_fake/requests"))
                .send()
                .await
                .unwrap()
                .status(),
            204
        );
        let recorded: Vec<Value> = client
            .get(format!("{url}/_fake/requests"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(recorded.is_empty());
    });
    child.kill().unwrap();
    child.wait().unwrap();

    let out = Command::new(env!("CARGO_BIN_EXE_fake-model-server"))
        .args(["--script", "/nonexistent.json"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("fake-model-server: cannot read the script /nonexistent.json")
    );
}
