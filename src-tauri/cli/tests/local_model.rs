//! Reverie against a real local model server: llama.cpp's `llama-server`
//! running SmolLM2-135M-Instruct with a 4,096-token context, built and
//! unpacked by `tests/local-model/setup-llama-server.sh` (the test step in
//! `scripts/test.sh` runs it and sets `REVERIE_LLAMA_SERVER` and
//! `REVERIE_LLAMA_MODEL`). Without them the test says so and passes,
//! unless `REVERIE_REQUIRE_LOCAL_MODEL=1` makes that a failure.
//!
//! It asserts what a tiny model can guarantee: runs complete with usage
//! accounted, structured answers (the grader's, the dream's) are
//! schema-valid, a dream completes with a proposal, a graded run ends
//! with a grade or says plainly that none was given, and a server that
//! goes away is a sentence and exit code 1. It prints the server's speed
//! and the time of a structured call.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_server(bin: &str, model: &str, port: u16) -> Server {
    let child = Command::new(bin)
        .args([
            "-m",
            model,
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .args(["-c", "4096", "-np", "1", "-t", "2", "--jinja"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("llama-server starts");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let ready = Command::new("curl")
            .args(["-sf", &format!("http://127.0.0.1:{port}/health")])
            .output()
            .is_ok_and(|o| o.status.success());
        if ready {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "llama-server did not become ready"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn reverie(data: &Path, port: u16, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reverie"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("REVERIE_DATA_DIR")
        .env_remove("ANTHROPIC_BASE_URL")
        .env("OPENAI_BASE_URL", format!("http://127.0.0.1:{port}/v1"))
        .env("OPENAI_API_KEY", "local")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn json_ok(out: &Output, what: &str) -> Value {
    assert!(
        out.status.success(),
        "{what} failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{what}: not JSON ({e})"))
}

/// A model failure is exit 1 with a sentence; never bad usage, never a panic.
fn clean(out: &Output, what: &str) {
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "{what} exited {code:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{what}: {err}");
}

const RUBRIC: &str = r#"{
  "schema": "reverie.rubric/1",
  "name": "one line",
  "description": "A one-line answer.",
  "threshold": 0.5,
  "max_iterations": 2,
  "criteria": [
    {"name": "Short", "weight": 1, "required": false, "kind": {"type": "length", "unit": "words", "max": 60}},
    {"name": "On topic", "weight": 1, "required": false, "kind": {"type": "judged", "description": "The answer talks about the sea."}}
  ]
}"#;

#[test]
fn a_real_llama_cpp_server_runs_grades_and_dreams() {
    let (Ok(bin), Ok(model)) = (
        std::env::var("REVERIE_LLAMA_SERVER"),
        std::env::var("REVERIE_LLAMA_MODEL"),
    ) else {
        if std::env::var("REVERIE_REQUIRE_LOCAL_MODEL").as_deref() == Ok("1") {
            panic!(
                "REVERIE_LLAMA_SERVER and REVERIE_LLAMA_MODEL are not set; run tests/local-model/setup-llama-server.sh"
            );
        }
        eprintln!("skipped: no local llama-server (see tests/local-model/setup-llama-server.sh)");
        return;
    };
    let port = free_port();
    let server = start_server(&bin, &model, port);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    json_ok(
        &reverie(
            data,
            port,
            &[
                "--json",
                "agent",
                "create",
                "smol",
                "--model",
                "smollm2",
                "--provider",
                "openai",
                "--tools",
                "memory",
                "--system",
                "You are a helpful assistant. Answer in one short sentence.",
            ],
        ),
        "agent create",
    );

    // A plain task: it completes, and the usage is accounted.
    let started = Instant::now();
    let run = json_ok(
        &reverie(
            data,
            port,
            &[
                "--json",
                "run",
                "--agent",
                "smol",
                "--no-rubric",
                "Name three colours.",
            ],
        ),
        "run",
    );
    let run_ms = started.elapsed().as_millis();
    assert_eq!(run["status"], "completed", "{run}");
    let (input, output) = (
        run["usage"]["input_tokens"].as_u64().unwrap(),
        run["usage"]["output_tokens"].as_u64().unwrap(),
    );
    assert!(input > 0 && output > 0, "{run}");
    let session_id = run["session_id"].as_str().unwrap().to_string();
    let shown = json_ok(
        &reverie(data, port, &["--json", "session", "show", &session_id]),
        "session show",
    );
    let events = shown["events"].as_array().cloned().unwrap_or_default();
    let counted: u64 = events
        .iter()
        .filter_map(|e| e["usage"]["output_tokens"].as_u64())
        .sum();
    assert_eq!(counted, output, "the session's events add up to its usage");

    // A task that invites the memory tool: whatever the tiny model does,
    // the run ends cleanly and anything it saved passed the guards.
    let remember = reverie(
        data,
        port,
        &[
            "--json",
            "run",
            "--agent",
            "smol",
            "--no-rubric",
            "Remember for next time: my favourite colour is green. Save it in your memory.",
        ],
    );
    clean(&remember, "run with the memory tool");
    let memory = json_ok(
        &reverie(data, port, &["--json", "memory", "ls", "--agent", "smol"]),
        "memory ls",
    );
    println!(
        "memory tool: the model saved {} document(s)",
        memory.as_array().map_or(0, Vec::len)
    );

    // A graded run: a grade, or a plain "no grade was given".
    let rubric_file = dir.path().join("rubric.json");
    std::fs::write(&rubric_file, RUBRIC).unwrap();
    json_ok(
        &reverie(
            data,
            port,
            &["--json", "rubric", "import", rubric_file.to_str().unwrap()],
        ),
        "rubric import",
    );
    let graded = reverie(
        data,
        port,
        &[
            "--json",
            "run",
            "--agent",
            "smol",
            "--rubric",
            "one line",
            "Write one sentence about the sea.",
        ],
    );
    clean(&graded, "graded run");
    let graded_json: Value = serde_json::from_slice(&graded.stdout).unwrap_or(Value::Null);
    let result = graded_json["outcome"]["result"].as_str().unwrap_or("");
    if result == "interrupted" {
        assert!(String::from_utf8_lossy(&graded.stderr).contains("no grade was given"));
    }
    for v in graded_json["verdicts"].as_array().into_iter().flatten() {
        assert!(v["criterion_index"].as_u64().is_some_and(|i| i < 2), "{v}");
        assert!(v["passed"].is_boolean(), "{v}");
    }
    println!("graded run: {result}");

    // `rubric test` on the first session: a schema-valid grade or a sentence.
    let started = Instant::now();
    let tested = reverie(
        data,
        port,
        &[
            "--json",
            "rubric",
            "test",
            "one line",
            "--session",
            &session_id,
        ],
    );
    let grade_ms = started.elapsed().as_millis();
    clean(&tested, "rubric test");
    if tested.status.success() {
        let grade: Value = serde_json::from_slice(&tested.stdout).unwrap();
        let judged = grade["verdicts"]
            .as_array()
            .map(|v| v.iter().filter(|x| x["criterion_index"] == 1).count())
            .unwrap_or(0);
        assert_eq!(judged, 1, "one verdict for the judged criterion: {grade}");
    }

    // A dream over everything so far completes with a proposal.
    let started = Instant::now();
    let dream = json_ok(
        &reverie(data, port, &["--json", "dream", "--agent", "smol"]),
        "dream",
    );
    let dream_ms = started.elapsed().as_millis();
    assert_eq!(dream["dream"]["status"], "completed", "{dream}");
    assert!(dream["edits"].is_array(), "{dream}");
    let calls = dream["stats"]["calls"].as_u64().unwrap_or(1).max(1);
    println!(
        "llama.cpp, SmolLM2-135M, 4k context: a plain run {run_ms} ms ({output} tokens out); \
         rubric test {grade_ms} ms; dream {dream_ms} ms in {calls} calls ({} ms per structured call), {} edit(s) proposed",
        dream_ms as u64 / calls,
        dream["edits"].as_array().map_or(0, Vec::len)
    );

    // The server's own speed, from llama.cpp's timings on a short answer.
    let speed = Command::new("curl")
        .args(["-sf", &format!("http://127.0.0.1:{port}/v1/chat/completions"), "-H", "content-type: application/json", "-d",
            r#"{"model": "smollm2", "max_tokens": 64, "messages": [{"role": "user", "content": "Count from one to twenty."}]}"#])
        .output()
        .ok()
        .and_then(|o| serde_json::from_slice::<Value>(&o.stdout).ok())
        .map(|v| (v["timings"]["predicted_per_second"].as_f64().unwrap_or(0.0), v["timings"]["prompt_per_second"].as_f64().unwrap_or(0.0)))
        .unwrap_or_default();
    println!(
        "llama-server speed: {:.1} tokens/s generating, {:.1} tokens/s reading the prompt",
        speed.0, speed.1
    );

    // The server goes away: a sentence and exit 1.
    drop(server);
    let down = reverie(
        data,
        port,
        &["run", "--agent", "smol", "--no-rubric", "Hello?"],
    );
    assert_eq!(
        down.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    let err = String::from_utf8_lossy(&down.stderr);
    assert!(
        err.contains("cannot reach") || err.contains("did not answer"),
        "{err}"
    );
    assert!(!err.contains("os error"), "{err}");
}
