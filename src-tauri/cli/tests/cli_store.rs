//! The `reverie` binary on a real data folder: agent and memory commands,
//! JSON output, exit codes, and the refusals a script can rely on.

mod support {
    pub mod cli;
}

use support::cli::{json, ok, reverie};

#[test]
fn agents_and_memory_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let agent = json(&reverie(
        d,
        &[
            "--json",
            "agent",
            "create",
            "scout",
            "--model",
            "claude-haiku-4-5",
            "--system",
            "Be brief.",
        ],
        None,
    ));
    assert_eq!(agent["name"], "scout");
    assert_eq!(agent["stores"][0]["access"], "read_write");
    assert_eq!(
        json(&reverie(d, &["--json", "agent", "list"], None))
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let v1 = json(&reverie(
        d,
        &[
            "--json",
            "memory",
            "write",
            "--agent",
            "scout",
            "/memories/prefs.md",
        ],
        Some("tabs\n"),
    ));
    let sha1 = v1["sha256"].as_str().unwrap().to_string();
    ok(&reverie(
        d,
        &[
            "memory",
            "write",
            "--agent",
            "scout",
            "/memories/prefs.md",
            "--if-sha256",
            &sha1,
            "--reason",
            "switch",
        ],
        Some("spaces\n"),
    ));
    // A stale precondition is a conflict (exit 4), and nothing changes.
    let stale = reverie(
        d,
        &[
            "memory",
            "write",
            "--agent",
            "scout",
            "/memories/prefs.md",
            "--if-sha256",
            &sha1,
        ],
        Some("x"),
    );
    assert_eq!(stale.status.code(), Some(4));
    assert_eq!(
        ok(&reverie(
            d,
            &["memory", "cat", "--agent", "scout", "/memories/prefs.md"],
            None
        )),
        "spaces\n"
    );

    let history = json(&reverie(
        d,
        &[
            "--json",
            "memory",
            "history",
            "--agent",
            "scout",
            "/memories/prefs.md",
        ],
        None,
    ));
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[1]["reason"], "switch");
    ok(&reverie(
        d,
        &[
            "memory",
            "restore",
            "--agent",
            "scout",
            "/memories/prefs.md",
            "--version",
            "1",
        ],
        None,
    ));
    assert_eq!(
        ok(&reverie(
            d,
            &["memory", "cat", "--agent", "scout", "/memories/prefs.md"],
            None
        )),
        "tabs\n"
    );
    assert_eq!(
        ok(&reverie(
            d,
            &[
                "memory",
                "cat",
                "--agent",
                "scout",
                "/memories/prefs.md",
                "--version",
                "2"
            ],
            None
        )),
        "spaces\n"
    );
    let docs = json(&reverie(
        d,
        &["--json", "memory", "ls", "--agent", "scout"],
        None,
    ));
    assert_eq!(docs[0]["version"], 3);

    ok(&reverie(
        d,
        &[
            "agent",
            "create",
            "helper",
            "--model",
            "llama3.1",
            "--provider",
            "openai",
        ],
        None,
    ));
    assert_eq!(
        json(&reverie(
            d,
            &["--json", "agent", "roster", "scout", "add", "helper"],
            None
        )),
        serde_json::json!(["helper"])
    );
    ok(&reverie(d, &["agent", "delete", "helper"], None));
    assert_eq!(
        reverie(d, &["agent", "show", "helper"], None).status.code(),
        Some(3)
    );
    assert_eq!(
        json(&reverie(d, &["--json", "session", "list"], None)),
        serde_json::json!([])
    );
}

#[test]
fn bad_input_gets_one_clear_sentence_and_a_stable_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&reverie(d, &["agent", "create", "a", "--model", "m"], None));
    let cases: &[(&[&str], i32, &str)] = &[
        (&["agent", "show", "ghost"], 3, "agent 'ghost' not found"),
        (
            &["agent", "create", "a", "--model", "m"],
            4,
            "already exists",
        ),
        (
            &["agent", "create", "bad/name", "--model", "m"],
            2,
            "not a valid agent name",
        ),
        (
            &["memory", "cat", "--agent", "a", "/memories/none.md"],
            3,
            "not found",
        ),
        (
            &["memory", "cat", "--agent", "a", "/etc/passwd"],
            2,
            "outside the memory store",
        ),
        (
            &["memory", "cat", "--agent", "a", "/memories/../x"],
            2,
            "may not step out",
        ),
        (&["memory", "ls"], 2, "--agent"),
        (
            &["session", "list", "--status", "sleeping"],
            2,
            "unknown session status",
        ),
    ];
    for (args, code, text) in cases {
        let out = reverie(d, args, None);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {stderr}");
        assert!(stderr.contains(text), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_folder_that_is_not_ours_is_refused_with_exit_5() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("reverie.db"), "my thesis, not a database").unwrap();
    let out = reverie(dir.path(), &["agent", "list"], None);
    assert_eq!(out.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("reverie.db") && stderr.contains("left as it is"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("reverie.db")).unwrap(),
        "my thesis, not a database"
    );
}

#[test]
fn the_app_daemon_and_cli_can_share_a_folder() {
    // Many CLI processes writing at once: WAL + busy timeout + short
    // transactions mean none fails and nothing is lost.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    ok(&reverie(
        &d,
        &["agent", "create", "shared", "--model", "m"],
        None,
    ));
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let d = d.clone();
            std::thread::spawn(move || {
                for j in 0..5 {
                    let path = format!("/memories/w{i}/{j}.md");
                    let out = reverie(
                        &d,
                        &["memory", "write", "--agent", "shared", &path],
                        Some(&format!("{i}-{j}")),
                    );
                    assert!(
                        out.status.success(),
                        "{}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let docs = json(&reverie(
        &d,
        &["--json", "memory", "ls", "--agent", "shared"],
        None,
    ));
    assert_eq!(docs.as_array().unwrap().len(), 40);
}
