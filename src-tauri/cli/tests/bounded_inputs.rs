//! Inputs with limits (issue 18): a rubric from `/dev/zero`, a rubric too
//! big, with too many criteria or too long a pattern, a memory document from
//! an endless or oversized source — each refused with a sentence (exit 2),
//! without reading more than the limit.

use std::path::Path;

mod support {
    pub mod cli;
}
use support::cli::{ok, reverie};

fn refused(out: &std::process::Output, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
}

fn rubric(criteria: usize, pattern: &str) -> String {
    let criteria: Vec<String> = (0..criteria)
        .map(|i| {
            format!(
                r#"{{"name": "c{i}", "weight": 1, "kind": {{"type": "regex", "pattern": {}, "must_match": true}}}}"#,
                serde_json::to_string(pattern).unwrap()
            )
        })
        .collect();
    format!(
        r#"{{"schema": "reverie.rubric/1", "name": "big", "description": "", "threshold": 0.5, "max_iterations": 3, "criteria": [{}]}}"#,
        criteria.join(",")
    )
}

fn import(data: &Path, file: &Path) -> std::process::Output {
    reverie(data, &["rubric", "import", file.to_str().unwrap()], None)
}

#[test]
fn rubrics_are_bounded_in_size_criteria_and_pattern_length() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // An endless file: refused after reading just past the limit.
    refused(
        &import(&data, Path::new("/dev/zero")),
        "larger than 1024 kB",
    );

    let file = dir.path().join("rubric.json");
    std::fs::write(&file, rubric(1, "yes")).unwrap();
    ok(&import(&data, &file));

    std::fs::write(&file, rubric(101, "yes")).unwrap();
    refused(&import(&data, &file), "keep it to 100 or fewer");

    std::fs::write(&file, rubric(1, &"a".repeat(5000))).unwrap();
    refused(&import(&data, &file), "keep it under 4096");

    // A pattern short to write but huge once compiled.
    std::fs::write(&file, rubric(1, r"\w{500}\w{500}\w{500}")).unwrap();
    refused(&import(&data, &file), "not a valid regular expression");

    let mut padded = rubric(1, "yes");
    padded.insert_str(1, &" ".repeat(2 << 20));
    std::fs::write(&file, padded).unwrap();
    refused(&import(&data, &file), "larger than 1024 kB");
}

#[test]
fn a_memory_document_from_an_endless_source_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(&reverie(
        &data,
        &["agent", "create", "helper", "--model", "claude-haiku-4-5"],
        None,
    ));
    let out = reverie(
        &data,
        &[
            "memory",
            "write",
            "--agent",
            "helper",
            "--file",
            "/dev/zero",
            "/memories/z.md",
        ],
        None,
    );
    refused(&out, "holds more than 100000 bytes");
    // More than a document on standard input: reverie stops reading (and
    // may close the pipe before all of it was written; that is the point).
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_reverie"))
        .arg("--data-dir")
        .arg(&data)
        .args(["memory", "write", "--agent", "helper", "/memories/z.md"])
        .env_remove("REVERIE_DATA_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let _ = std::io::Write::write_all(&mut input, "x".repeat(150_000).as_bytes());
    drop(input);
    refused(
        &child.wait_with_output().unwrap(),
        "standard input holds more than",
    );
}
