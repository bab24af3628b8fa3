//! Differential test: Reverie's memory tool against the official Python
//! SDK's reference handler (`BetaLocalFilesystemMemoryTool`, pip
//! `anthropic`), over seeded random command sequences.
//!
//! Each command goes to both; they must agree on success or failure, on the
//! documents that exist afterwards and their content, on what `view` shows
//! (a file exactly; a folder's entries, sizes aside) and on the success
//! messages. Every disagreement must be one of the intended differences
//! written down in `docs/memory-tool.md`; anything else fails the test. The
//! agreement rate and the intended differences met are printed.
//!
//! The reference runs in `tests/contract/memory_reference.py`, with the
//! Python named by `REVERIE_REFERENCE_PYTHON` (the contract check sets it
//! to its venv). Without it the test says so and passes, unless
//! `REVERIE_REQUIRE_REFERENCE=1` (CI) makes that a failure.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reverie_engine::Store;
use reverie_engine::store::*;
use reverie_engine::tools::memory::{MemoryTool, mounts_for};
use serde_json::{Value, json};

struct Reference {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Reference {
    fn start() -> Option<Reference> {
        let python = std::env::var("REVERIE_REFERENCE_PYTHON").ok()?;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/contract/memory_reference.py");
        let mut child = Command::new(python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the reference handler starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Some(Reference {
            _child: child,
            stdin,
            stdout,
        })
    }

    fn send(&mut self, v: &Value) -> Value {
        writeln!(self.stdin, "{v}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("reference said {line:?}: {e}"))
    }
}

struct Reverie {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    own: String,
    tool: MemoryTool,
}

fn reverie() -> Reverie {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let agent = store
        .create_agent(&NewAgent {
            name: "coder".into(),
            provider: ProviderKind::Anthropic,
            model: "m".into(),
            system_prompt: String::new(),
            tools: vec![],
        })
        .unwrap();
    let session = store
        .create_session(&NewSession {
            agent_id: agent.id.clone(),
            task: "keep notes".into(),
            parent_id: None,
        })
        .unwrap();
    let own = agent.default_store().unwrap().store_id.clone();
    let tool = MemoryTool::new(store.clone(), mounts_for(&agent), &agent.id, &session.id);
    Reverie {
        _dir: dir,
        store,
        own,
        tool,
    }
}

const FILES: &[&str] = &[
    "/memories/a.md",
    "/memories/b.md",
    "/memories/notes/x.md",
    "/memories/notes/y.md",
    "/memories/notes/deep/z.md",
    "/memories/notes/deep/more/w.md",
    "/memories/d/e.md",
    "/memories/new/f.md",
];
const DIRS: &[&str] = &[
    "/memories/notes",
    "/memories/notes/deep",
    "/memories/d",
    "/memories/new",
    "/memories/moved",
    "/memories/notes/deep/more",
];
const ODD: &[&str] = &[
    "rel.md",
    "~/t.md",
    "/etc/passwd",
    "/memories/../escape.md",
    "/memories/a.md/c.md",
    "/memories/notes/x.md/inner.md",
    "/memoriesX/a.md",
    "/memories",
];
const LINES: &[&str] = &[
    "Prefer short answers.",
    "Use metric units.",
    "Run the tests before committing.",
    "The build needs Node 20.",
    "",
    "Dates: day month year.",
];

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

fn path(rng: &mut StdRng) -> String {
    match rng.random_range(0..10) {
        0..=5 => pick(rng, FILES).into(),
        6..=8 => pick(rng, DIRS).into(),
        _ => pick(rng, ODD).into(),
    }
}

fn text(rng: &mut StdRng) -> String {
    let n = rng.random_range(0..4);
    let mut out: Vec<&str> = (0..n).map(|_| pick(rng, LINES)).collect();
    if rng.random_bool(0.7) {
        out.push("");
    }
    out.join("\n")
}

fn command(rng: &mut StdRng) -> Value {
    match rng.random_range(0..12) {
        0..=2 => json!({"command": "create", "path": path(rng), "file_text": text(rng)}),
        3..=4 => {
            if rng.random_bool(0.3) {
                let a = rng.random_range(1..4);
                let b = if rng.random_bool(0.5) {
                    -1
                } else {
                    a + rng.random_range(0..2)
                };
                json!({"command": "view", "path": path(rng), "view_range": [a, b]})
            } else {
                json!({"command": "view", "path": path(rng)})
            }
        }
        5..=6 => {
            let old = match rng.random_range(0..3) {
                0 => pick(rng, LINES).to_string(),
                1 => "units".to_string(),
                _ => "absent words".to_string(),
            };
            json!({"command": "str_replace", "path": path(rng), "old_str": old, "new_str": pick(rng, LINES)})
        }
        7 => {
            json!({"command": "insert", "path": path(rng), "insert_line": rng.random_range(0..5), "insert_text": pick(rng, LINES)})
        }
        8..=9 => json!({"command": "delete", "path": path(rng)}),
        _ => json!({"command": "rename", "old_path": path(rng), "new_path": path(rng)}),
    }
}

fn reverie_files(r: &Reverie) -> BTreeMap<String, String> {
    r.store
        .list_documents(&r.own, None)
        .unwrap()
        .into_iter()
        .map(|d| {
            let content = r.store.read_document(&r.own, &d.path).unwrap().unwrap().1;
            (d.path, content)
        })
        .collect()
}

/// A folder listing's entries, without sizes or the header.
fn entries(listing: &str) -> BTreeSet<String> {
    listing
        .lines()
        .skip(2)
        .filter_map(|l| l.split('\t').nth(1))
        .map(|p| p.trim_end_matches(" (read-only)").to_string())
        .collect()
}

/// Why a disagreement is one of the intended differences, or `None`.
/// `before` is the reference's state before the command, `after` after it.
fn intended(
    cmd: &Value,
    before: &Value,
    after: &Value,
    ours_ok: bool,
    ours_out: &str,
) -> Option<&'static str> {
    let paths: Vec<&str> = ["path", "old_path", "new_path"]
        .iter()
        .filter_map(|k| cmd.get(*k).and_then(Value::as_str))
        .collect();
    // An empty folder in the reference, before or after the command.
    let empty_dir = |p: &str| {
        [before, after].iter().any(|state| {
            let files: Vec<&String> = match state["files"].as_object() {
                Some(f) => f.keys().collect(),
                None => return false,
            };
            state["dirs"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .any(|d| {
                    (d == p || p.starts_with(&format!("{d}/")) || d.starts_with(&format!("{p}/")))
                        && !files.iter().any(|f| f.starts_with(&format!("{d}/")))
                })
        })
    };
    if paths.iter().any(|p| empty_dir(p)) {
        return Some(
            "empty folders do not exist in Reverie (a folder exists while it holds a document)",
        );
    }
    if paths
        .iter()
        .any(|p| p.starts_with("/memories") && !p.starts_with("/memories/") && *p != "/memories")
    {
        return Some(
            "paths that only begin with the letters /memories (\"/memoriesX\") are refused",
        );
    }
    if cmd.get("view_range").is_some() && !ours_ok && ours_out.contains("view_range") {
        return Some(
            "a view_range outside the file is refused with its line count, not cut silently",
        );
    }
    if cmd["command"] == "str_replace" && cmd["old_str"] == "" {
        return Some("an empty old_str is refused");
    }
    None
}

#[test]
fn the_memory_tool_agrees_with_the_reference_handler() {
    let Some(mut reference) = Reference::start() else {
        if std::env::var("REVERIE_REQUIRE_REFERENCE").as_deref() == Ok("1") {
            panic!("REVERIE_REFERENCE_PYTHON is not set; the contract check sets it to its venv");
        }
        eprintln!("skipped: set REVERIE_REFERENCE_PYTHON to a Python with the anthropic SDK");
        return;
    };
    let mut rng = StdRng::seed_from_u64(0x5EED_2026);
    let (mut compared, mut agreed) = (0usize, 0usize);
    let mut differences: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for sequence in 0..80 {
        reference.send(&json!({"reset": true}));
        let mut before = json!({"files": {}, "dirs": []});
        let ours = reverie();
        for step in 0..40 {
            let cmd = command(&mut rng);
            let theirs = reference.send(&cmd);
            let out = ours.tool.execute(&cmd);
            let (ours_ok, ours_out) = (!out.is_error, out.content.clone());
            let their_ok = theirs["ok"].as_bool().unwrap();
            let their_out = theirs["output"].as_str().unwrap().to_string();
            let their_files: BTreeMap<String, String> =
                serde_json::from_value(theirs["files"].clone()).unwrap();
            let our_files = reverie_files(&ours);
            let mut mismatch = None;
            if ours_ok != their_ok {
                mismatch = Some(format!(
                    "reference ok={their_ok} ({their_out}), Reverie ok={ours_ok} ({ours_out})"
                ));
            } else if our_files != their_files {
                mismatch = Some(format!(
                    "documents differ: reference {their_files:?}, Reverie {our_files:?}"
                ));
            } else if ours_ok {
                let same = if cmd["command"] == "view" && their_out.starts_with("Here're") {
                    entries(&their_out) == entries(&ours_out)
                        && their_out.lines().next() == ours_out.lines().next()
                } else {
                    their_out == ours_out
                };
                if !same {
                    mismatch = Some(format!(
                        "output differs:\n  reference: {their_out:?}\n  Reverie:   {ours_out:?}"
                    ));
                }
            }
            compared += 1;
            let theirs_state = theirs.clone();
            match mismatch {
                None => agreed += 1,
                Some(why) => match intended(&cmd, &before, &theirs, ours_ok, &ours_out) {
                    Some(reason) => {
                        *differences.entry(reason).or_default() += 1;
                        // The two stores may now differ: start a new sequence.
                        break;
                    }
                    None => {
                        failures.push(format!("sequence {sequence} step {step}: {cmd}\n  {why}"));
                        break;
                    }
                },
            }
            before = theirs_state;
        }
    }
    println!(
        "memory tool vs reference handler: {agreed}/{compared} commands agree ({:.1}%)",
        agreed as f64 * 100.0 / compared as f64
    );
    println!("intended differences met:");
    for (reason, n) in &differences {
        println!("  {n:>4}  {reason}");
    }
    assert!(
        failures.is_empty(),
        "unexplained differences:\n{}",
        failures.join("\n")
    );
}
