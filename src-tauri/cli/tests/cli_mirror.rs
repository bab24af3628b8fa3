//! `reverie memory mirror` on a real data folder and a real folder of files:
//! one-shot syncs (export, import, a conflict, JSON lines) and the live mode,
//! where writes from another `reverie` process reach the folder and an
//! editor's save reaches the store, until Ctrl-C.

mod support {
    pub mod cli;
}

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::cli::{ok, reverie};

fn setup() -> (tempfile::TempDir, tempfile::TempDir) {
    let data = tempfile::tempdir().unwrap();
    let folder = tempfile::tempdir().unwrap();
    ok(&reverie(
        data.path(),
        &["agent", "create", "scout", "--model", "claude-haiku-4-5"],
        None,
    ));
    ok(&reverie(
        data.path(),
        &["memory", "write", "--agent", "scout", "/memories/prefs.md"],
        Some("tabs\n"),
    ));
    (data, folder)
}

#[test]
fn mirror_once_exports_imports_and_reports_a_conflict() {
    let (data, folder) = setup();
    let d = data.path();
    let dir = folder.path().join("memory");
    let dir_arg = dir.to_str().unwrap();

    // Into an empty (here: missing) folder, the whole store is exported.
    let out = ok(&reverie(
        d,
        &["memory", "mirror", "--agent", "scout", dir_arg, "--once"],
        None,
    ));
    assert_eq!(out, "exported  /memories/prefs.md -> prefs.md\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("prefs.md")).unwrap(),
        "tabs\n"
    );

    // Nothing changed: nothing printed on stdout.
    let again = reverie(
        d,
        &["memory", "mirror", "--agent", "scout", dir_arg, "--once"],
        None,
    );
    assert_eq!(ok(&again), "");
    assert!(String::from_utf8_lossy(&again.stderr).contains("already in step"));

    // An editor adds a file; the app changes another document.
    std::fs::create_dir(dir.join("people")).unwrap();
    std::fs::write(dir.join("people/ana.md"), "likes short answers\n").unwrap();
    ok(&reverie(
        d,
        &["memory", "write", "--agent", "scout", "/memories/tools.md"],
        Some("ripgrep\n"),
    ));
    let out = ok(&reverie(
        d,
        &["memory", "mirror", "--agent", "scout", dir_arg, "--once"],
        None,
    ));
    let mut lines: Vec<&str> = out.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "exported  /memories/tools.md -> tools.md",
            "imported  /memories/people/ana.md (version 1, edited in the folder)",
        ]
    );
    let history = ok(&reverie(
        d,
        &[
            "memory",
            "history",
            "--agent",
            "scout",
            "/memories/people/ana.md",
        ],
        None,
    ));
    assert!(history.contains("external"), "{history}");

    // Both sides change prefs.md: a conflict, both versions kept.
    ok(&reverie(
        d,
        &["memory", "write", "--agent", "scout", "/memories/prefs.md"],
        Some("spaces\n"),
    ));
    std::fs::write(dir.join("prefs.md"), "tabs, 8 wide\n").unwrap();
    let out = reverie(
        d,
        &[
            "--json", "memory", "mirror", "--agent", "scout", dir_arg, "--once",
        ],
        None,
    );
    let events: Vec<serde_json::Value> = ok(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["event"], "conflict");
    assert_eq!(events[0]["conflict"]["kind"], "both_changed");
    assert_eq!(events[0]["conflict"]["path"], "/memories/prefs.md");
    let kept = events[0]["conflict"]["conflict_path"].as_str().unwrap();
    assert!(kept.starts_with("/memories/prefs.conflict-"), "{kept}");

    let cat = |path: &str| {
        ok(&reverie(
            d,
            &["memory", "cat", "--agent", "scout", path],
            None,
        ))
    };
    assert_eq!(cat("/memories/prefs.md"), "spaces\n");
    assert_eq!(cat(kept), "tabs, 8 wide\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("prefs.md")).unwrap(),
        "spaces\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(kept.trim_start_matches("/memories/"))).unwrap(),
        "tabs, 8 wide\n"
    );

    // A refused file is reported with its reason; --store works too.
    std::fs::write(dir.join("photo.md"), b"\x89PNG\r\n\x1a\n\xff").unwrap();
    let out = reverie(
        d,
        &["memory", "mirror", "--store", "scout", dir_arg, "--once"],
        None,
    );
    assert_eq!(
        ok(&out),
        "refused   photo.md: it is not UTF-8 text; memory documents are plain text\n"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 conflict(s) are open"));

    // The conflict is listed until the person deals with it.
    let listed = ok(&reverie(
        d,
        &["memory", "conflicts", "--agent", "scout"],
        None,
    ));
    assert!(listed.contains("changed on both sides"), "{listed}");
    assert!(listed.contains(kept), "{listed}");
    let open: Vec<serde_json::Value> = serde_json::from_str(&ok(&reverie(
        d,
        &["--json", "memory", "conflicts", "--agent", "scout"],
        None,
    )))
    .unwrap();
    assert_eq!(open.len(), 1);
    let id = open[0]["id"].as_str().unwrap();
    let resolved = ok(&reverie(
        d,
        &["memory", "conflicts", "--agent", "scout", "--resolve", id],
        None,
    ));
    assert_eq!(resolved, "Resolved the conflict on /memories/prefs.md.\n");
    let listed = ok(&reverie(
        d,
        &["memory", "conflicts", "--agent", "scout"],
        None,
    ));
    assert!(listed.starts_with("No open conflicts"), "{listed}");
    let missing = reverie(
        d,
        &[
            "memory",
            "conflicts",
            "--agent",
            "scout",
            "--resolve",
            "nope",
        ],
        None,
    );
    assert_eq!(missing.status.code(), Some(3));
}

#[test]
fn mirror_refuses_a_second_mirror_and_a_file_as_folder() {
    let (data, folder) = setup();
    let file = folder.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let out = reverie(
        data.path(),
        &[
            "memory",
            "mirror",
            "--agent",
            "scout",
            file.to_str().unwrap(),
            "--once",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is a file, not a folder"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    let out = reverie(
        data.path(),
        &[
            "memory",
            "mirror",
            "--agent",
            "nobody",
            folder.path().to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(3));
}

/// Reads the child's stdout lines on a thread so the test can wait with a
/// timeout.
fn lines_of(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn expect_line(rx: &mpsc::Receiver<String>, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line == wanted => return,
            Ok(line) => seen.push(line),
            Err(_) => panic!("no line {wanted:?}; saw {seen:#?}"),
        }
    }
}

#[cfg(unix)]
#[test]
fn live_mirror_carries_edits_both_ways_until_ctrl_c() {
    let (data, folder) = setup();
    let d = data.path();
    let dir = folder.path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_reverie"))
        .arg("--data-dir")
        .arg(d)
        .args(["memory", "mirror", "--agent", "scout"])
        .arg(dir)
        .env_remove("REVERIE_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = lines_of(&mut child);
    expect_line(&rx, "exported  /memories/prefs.md -> prefs.md");

    // Another process writes to the store: the mirror notices by polling.
    ok(&reverie(
        d,
        &["memory", "write", "--agent", "scout", "/memories/prefs.md"],
        Some("tabs, 2 wide\n"),
    ));
    expect_line(&rx, "exported  /memories/prefs.md -> prefs.md");
    assert_eq!(
        std::fs::read_to_string(dir.join("prefs.md")).unwrap(),
        "tabs, 2 wide\n"
    );

    // An editor saves: imported live.
    std::fs::write(dir.join("prefs.md"), "tabs, 3 wide\n").unwrap();
    expect_line(
        &rx,
        "imported  /memories/prefs.md (version 3, edited in the folder)",
    );

    // While it runs, no second mirror may start on the same store.
    let second = reverie(
        d,
        &[
            "memory",
            "mirror",
            "--agent",
            "scout",
            dir.to_str().unwrap(),
            "--once",
        ],
        None,
    );
    assert_eq!(second.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&second.stderr).contains("already being mirrored"));

    // Ctrl-C stops it cleanly.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("Stopped mirroring"));

    // And the store is free again.
    ok(&reverie(
        d,
        &[
            "memory",
            "mirror",
            "--agent",
            "scout",
            dir.to_str().unwrap(),
            "--once",
        ],
        None,
    ));
}
