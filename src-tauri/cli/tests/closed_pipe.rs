//! Every `reverie` command with its standard output already closed, as in
//! `reverie --json session list | head -1` after `head` has gone (issue 18):
//! none may panic; reads exit quietly with 0; a write that committed still
//! reports success; `session export`, whose output is its result, fails with
//! a sentence. The list of commands is read from `reverie help`, so a new
//! command without a case here fails the test.

use std::collections::BTreeSet;
use std::io::Write;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use reverie_fake_model::{FakeModelServer, Reply};

mod support {
    pub mod cli;
}
use support::cli;

/// A pipe whose reader is already closed: writing to it fails with EPIPE.
fn closed_pipe() -> Stdio {
    let mut fds = [0; 2];
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    unsafe { libc::close(fds[0]) };
    Stdio::from(unsafe { OwnedFd::from_raw_fd(fds[1]) })
}

fn command(data: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reverie"));
    cmd.arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("REVERIE_DATA_DIR")
        .env("ANTHROPIC_BASE_URL", url)
        .env("ANTHROPIC_API_KEY", "sk-ant-test-key")
        // `dream schedule` installs the OS timer: this test's own, never the user's.
        .envs(cli::isolated_os_schedule(&cli::shared_scratch()))
        .stdout(closed_pipe())
        .stderr(Stdio::piped());
    cmd
}

fn run_closed(data: &Path, url: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = command(data, url, args)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Exit 0, with no complaint about the pipe (a command's own notes on
    /// stderr, such as `run`'s summary, may stay).
    Quiet,
    /// A failure the command reports in a sentence (its own reason, such as
    /// a bridge that is off), never a panic.
    Sentence,
}

/// Leaf commands as `reverie help` lists them (`memory ls`, `agent roster add`).
fn leaf_commands(prefix: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_reverie"))
        .args(prefix)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let Some(section) = help.split("Commands:\n").nth(1) else {
        return vec![prefix.join(" ")];
    };
    let mut leaves = Vec::new();
    for line in section.lines() {
        if !line.starts_with("  ") || line.starts_with("   ") {
            if line.trim().is_empty() {
                break;
            }
            continue;
        }
        let name = line.split_whitespace().next().unwrap();
        if name == "help" {
            continue;
        }
        let mut next: Vec<&str> = prefix.to_vec();
        next.push(name);
        leaves.extend(leaf_commands(&next));
    }
    if leaves.is_empty() {
        leaves.push(prefix.join(" "));
    }
    leaves
}

fn check(label: &str, out: &Output, expect: Expect) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && out.status.code() != Some(101),
        "{label}: panicked on a closed pipe: {stderr}"
    );
    match expect {
        Expect::Quiet => assert!(
            out.status.success()
                && !stderr.contains("os error 32")
                && !stderr.contains("reverie: "),
            "{label}: expected a quiet exit 0, got {:?}: {stderr}",
            out.status
        ),
        Expect::Sentence => assert!(
            !out.status.success()
                && stderr
                    .trim()
                    .lines()
                    .last()
                    .is_some_and(|l| l.starts_with("reverie: ") && l.len() > 20),
            "{label}: expected a failure in a sentence, got {:?}: {stderr}",
            out.status
        ),
    }
}

fn stop_with_ctrl_c(mut child: Child) -> Output {
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        std::io::Read::read_to_string(&mut e, &mut stderr).unwrap();
    }
    Output {
        status,
        stdout: vec![],
        stderr: stderr.into_bytes(),
    }
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..2000 {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("{what} never happened");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_survives_a_closed_output_pipe() {
    let server = FakeModelServer::start().await.unwrap();
    for _ in 0..4 {
        server.push_reply(Reply::text("All done: the flight is on time."));
    }
    let url = server.url();
    tokio::task::spawn_blocking(move || every_command(&url))
        .await
        .unwrap();
}

fn every_command(url: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let work = dir.path();
    // A little of everything, set up with a reader that stays.
    cli::ok(&cli::reverie(
        &d,
        &["agent", "create", "helper", "--model", "claude-haiku-4-5"],
        None,
    ));
    cli::ok(&cli::reverie(
        &d,
        &["agent", "create", "second", "--model", "claude-haiku-4-5"],
        None,
    ));
    cli::ok(&cli::reverie(
        &d,
        &["memory", "write", "--agent", "helper", "/memories/a.md"],
        Some("first\n"),
    ));
    let history = work.join("history.json");
    std::fs::write(
        &history,
        r#"{"messages":[{"role":"user","content":"Is my flight on time?"},{"role":"assistant","content":"Yes, it is."}]}"#,
    )
    .unwrap();
    cli::ok(&cli::reverie(
        &d,
        &[
            "session",
            "import",
            "--agent",
            "helper",
            history.to_str().unwrap(),
        ],
        None,
    ));
    let sessions = cli::json(&cli::reverie(&d, &["--json", "session", "list"], None));
    let session = sessions[0]["id"].as_str().unwrap().to_string();
    cli::ok(&cli::reverie(
        &d,
        &["memory", "write", "--agent", "helper", "/memories/a.md"],
        Some("second\n"),
    ));
    let rubric_file = work.join("rubric.json");
    std::fs::write(
        &rubric_file,
        r#"{"schema": "reverie.rubric/1", "name": "says-yes", "description": "", "threshold": 0.5, "max_iterations": 3,
            "criteria": [{"name": "Says yes", "weight": 1, "kind": {"type": "regex", "pattern": "(?i)yes", "must_match": true}}]}"#,
    )
    .unwrap();
    let mirror_once = work.join("mirror-once");
    let mirror_live = work.join("mirror-live");
    let export_dir = work.join("export");
    std::fs::create_dir(&mirror_once).unwrap();
    std::fs::create_dir(&mirror_live).unwrap();
    let p = |path: &Path| path.to_str().unwrap().to_string();

    use Expect::*;
    let bridge_off = Sentence; // the Managed Agents bridge is off until enabled
    let cases: Vec<(&str, Vec<String>, Option<&str>, Expect)> = vec![
        (
            "agent create",
            v(&["agent", "create", "third", "--model", "claude-haiku-4-5"]),
            None,
            Quiet,
        ),
        ("agent list", v(&["--json", "agent", "list"]), None, Quiet),
        ("agent show", v(&["agent", "show", "helper"]), None, Quiet),
        (
            "agent update",
            v(&["agent", "update", "helper", "--system", "Be brief."]),
            None,
            Quiet,
        ),
        (
            "agent roster add",
            v(&["agent", "roster", "helper", "add", "second"]),
            None,
            Quiet,
        ),
        (
            "agent roster list",
            v(&["agent", "roster", "helper", "list"]),
            None,
            Quiet,
        ),
        (
            "agent roster remove",
            v(&["agent", "roster", "helper", "remove", "second"]),
            None,
            Quiet,
        ),
        (
            "memory ls",
            v(&["memory", "ls", "--agent", "helper"]),
            None,
            Quiet,
        ),
        (
            "memory cat",
            v(&["memory", "cat", "--agent", "helper", "/memories/a.md"]),
            None,
            Quiet,
        ),
        (
            "memory write",
            v(&["memory", "write", "--agent", "helper", "/memories/b.md"]),
            Some("written into a closed pipe\n"),
            Quiet,
        ),
        (
            "memory blame",
            v(&["memory", "blame", "--agent", "helper", "/memories/a.md"]),
            None,
            Quiet,
        ),
        (
            "memory line",
            v(&["memory", "line", "--agent", "helper", "/memories/a.md", "999", "--pin"]),
            None,
            Sentence,
        ),
        (
            "memory history",
            v(&["memory", "history", "--agent", "helper", "/memories/a.md"]),
            None,
            Quiet,
        ),
        (
            "memory restore",
            v(&[
                "memory",
                "restore",
                "--agent",
                "helper",
                "--version",
                "1",
                "/memories/a.md",
            ]),
            None,
            Quiet,
        ),
        (
            "memory redact",
            v(&["memory", "redact", "--agent", "helper", "/memories/a.md"]),
            None,
            Quiet,
        ),
        (
            "memory mirror",
            v(&[
                "memory",
                "mirror",
                "--once",
                "--agent",
                "helper",
                &p(&mirror_once),
            ]),
            None,
            Quiet,
        ),
        (
            "memory conflicts",
            v(&["memory", "conflicts", "--agent", "helper"]),
            None,
            Quiet,
        ),
        (
            "memory export",
            v(&["memory", "export", "--agent", "helper", &p(&export_dir)]),
            None,
            Quiet,
        ),
        (
            "run",
            v(&["run", "--agent", "helper", "Is my flight on time?"]),
            None,
            Quiet,
        ),
        (
            "session list",
            v(&["--json", "session", "list"]),
            None,
            Quiet,
        ),
        (
            "session show",
            v(&["session", "show", &session]),
            None,
            Quiet,
        ),
        (
            "session import",
            v(&["session", "import", "--agent", "second", &p(&history)]),
            None,
            Quiet,
        ),
        (
            "session export",
            v(&["session", "export", &session]),
            None,
            Sentence,
        ),
        (
            "key status",
            v(&["key", "status", "anthropic"]),
            None,
            Quiet,
        ),
        ("dream list", v(&["dream", "list"]), None, Quiet),
        (
            "dream schedule",
            v(&["dream", "schedule", "--agent", "helper", "03:00"]),
            None,
            Quiet,
        ),
        (
            "dream policy",
            v(&["dream", "policy", "--agent", "helper", "review"]),
            None,
            Quiet,
        ),
        ("dream pause", v(&["dream", "pause"]), None, Quiet),
        ("dream resume", v(&["dream", "resume"]), None, Quiet),
        (
            "rubric create",
            v(&["rubric", "create", "--starter"]),
            None,
            Quiet,
        ),
        (
            "rubric import",
            v(&[
                "rubric",
                "import",
                "--name",
                "imported-copy",
                &p(&rubric_file),
            ]),
            None,
            Quiet,
        ),
        (
            "rubric export",
            v(&["rubric", "export", "report"]),
            None,
            Quiet,
        ),
        ("rubric list", v(&["rubric", "list"]), None, Quiet),
        ("rubric starters", v(&["rubric", "starters"]), None, Quiet),
        (
            "rubric test",
            v(&["rubric", "test", "imported-copy", "--session", &session]),
            None,
            Quiet,
        ),
        (
            "rubric delete",
            v(&["rubric", "delete", "imported-copy"]),
            None,
            Quiet,
        ),
        ("outcomes stats", v(&["outcomes", "stats"]), None, Quiet),
        (
            "outcomes stats --series",
            v(&["outcomes", "stats", "--series", "--bucket", "week"]),
            None,
            Quiet,
        ),
        (
            "rubric calibrate",
            v(&["rubric", "calibrate", "report", "--session", "nosuch", "-k", "2"]),
            None,
            Sentence,
        ),
        (
            "outcomes show",
            v(&["outcomes", "show", "--session", &session]),
            None,
            Quiet,
        ),
        (
            "eval add",
            v(&["eval", "add", "--agent", "helper", "--rubric", "report", "Write a report"]),
            None,
            Quiet,
        ),
        ("eval list", v(&["eval", "list", "--agent", "helper"]), None, Quiet),
        ("eval gates", v(&["eval", "gates"]), None, Quiet),
        ("eval show", v(&["eval", "show", "nosuch"]), None, Sentence),
        ("eval gate", v(&["eval", "gate", "nosuch"]), None, Sentence),
        ("eval resume", v(&["eval", "resume", "nosuch"]), None, Sentence),
        ("eval cancel", v(&["eval", "cancel", "nosuch"]), None, Sentence),
        (
            "eval compare",
            v(&["eval", "compare", "--agent", "helper", "--before", "nosuch", "--after", "current"]),
            None,
            Sentence,
        ),
        ("eval update", v(&["eval", "update", "nosuch", "--name", "x"]), None, Sentence),
        ("eval move", v(&["eval", "move", "nosuch", "1"]), None, Sentence),
        (
            "eval settings",
            v(&["eval", "settings", "--agent", "helper", "--tolerance", "0.05", "--budget-minutes", "10"]),
            None,
            Quiet,
        ),
        ("eval remove", v(&["eval", "remove", "--agent", "helper", "1"]), None, Quiet),
        ("daemon", v(&["daemon", "--once"]), None, Quiet),
        ("managed status", v(&["managed", "status"]), None, Quiet),
        ("managed disable", v(&["managed", "disable"]), None, Quiet),
        (
            "managed push",
            v(&["managed", "push", "--store", "helper"]),
            None,
            bridge_off,
        ),
        (
            "managed pull",
            v(&["managed", "pull", "--store", "helper"]),
            None,
            bridge_off,
        ),
        (
            "managed conflicts",
            v(&["managed", "conflicts", "--store", "helper"]),
            None,
            Quiet,
        ),
        (
            "managed resolve",
            v(&["managed", "resolve", "no-such-conflict"]),
            None,
            Sentence,
        ),
        (
            "managed sessions upload",
            v(&["managed", "sessions", "upload", &session]),
            None,
            bridge_off,
        ),
        (
            "managed dream start",
            v(&["managed", "dream", "start", "--store", "helper"]),
            None,
            bridge_off,
        ),
        (
            "managed dream status",
            v(&["managed", "dream", "status", "drm_none"]),
            None,
            bridge_off,
        ),
        (
            "managed dream cancel",
            v(&["managed", "dream", "cancel", "drm_none"]),
            None,
            bridge_off,
        ),
        (
            "managed dream wait",
            v(&["managed", "dream", "wait", "drm_none"]),
            None,
            bridge_off,
        ),
        (
            "managed dream import",
            v(&["managed", "dream", "import", "drm_none"]),
            None,
            bridge_off,
        ),
        // Whatever they find, these report it in a sentence rather than panic.
        ("dream", v(&["dream", "--agent", "helper"]), None, Sentence),
        (
            "dream show",
            v(&["dream", "show", "no-such-dream"]),
            None,
            Sentence,
        ),
        (
            "dream apply",
            v(&["dream", "apply", "no-such-dream"]),
            None,
            Sentence,
        ),
        (
            "dream reject",
            v(&["dream", "reject", "no-such-dream"]),
            None,
            Sentence,
        ),
        (
            "dream revert",
            v(&["dream", "revert", "no-such-dream"]),
            None,
            Sentence,
        ),
        (
            "dream decide",
            v(&["dream", "decide", "no-such-edit", "accept"]),
            None,
            Sentence,
        ),
        // A name no keychain entry may have: refused before the keychain is
        // touched, so a developer's real keys are never written or removed.
        (
            "key set",
            v(&["key", "set", "not a provider!"]),
            Some("sk-x\n"),
            Sentence,
        ),
        (
            "key delete",
            v(&["key", "delete", "not a provider!"]),
            None,
            Sentence,
        ),
        (
            "agent delete",
            v(&["agent", "delete", "third"]),
            None,
            Quiet,
        ),
        ("managed enable", v(&["managed", "enable"]), None, Quiet),
    ];

    let mut covered: BTreeSet<String> = cases.iter().map(|c| c.0.to_string()).collect();
    for (label, args, stdin, expect) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_closed(&d, url, &args, *stdin);
        check(label, &out, *expect);
    }

    // The committed write is there, though nobody read its report.
    let b = cli::ok(&cli::reverie(
        &d,
        &["memory", "cat", "--agent", "helper", "/memories/b.md"],
        None,
    ));
    assert_eq!(b, "written into a closed pipe\n");

    // Long-running ones: they print, keep going, and stop cleanly on Ctrl-C.
    let serve = command(&d, url, &["serve"]).spawn().unwrap();
    let token = d.join("serve-token");
    wait_for("the bridge's token file", || token.exists());
    check("serve", &stop_with_ctrl_c(serve), Quiet);
    assert!(!token.exists(), "the token dies with the bridge");
    covered.insert("serve".into());

    let live = command(
        &d,
        url,
        &["memory", "mirror", "--json", "--agent", "helper"],
    )
    .arg(&mirror_live)
    .spawn()
    .unwrap();
    wait_for("the live mirror's first file", || {
        mirror_live.join("a.md").exists()
    });
    check("memory mirror (live)", &stop_with_ctrl_c(live), Quiet);

    let all: BTreeSet<String> = leaf_commands(&[]).into_iter().collect();
    let missing: Vec<&String> = all.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "commands never run into a closed pipe: {missing:?}"
    );
}

fn v(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}
