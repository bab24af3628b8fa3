//! What `reverie run` shows and keeps when the model API misbehaves
//! (issue 18), against the fake model server: a reply cut off and retried
//! replaces its partial text on a terminal and is written once to a file; a
//! rejected key says it came from the environment; an HTML error page becomes
//! a sentence with the status; a key written into the base URL is masked in
//! the database, the log and on screen.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use reverie_fake_model::{FakeModelServer, Fault, Reply};

const ANSWER: &str = "The flight leaves at nine from gate twelve, on time.";

mod support {
    pub mod cli;
}

use support::cli::against_model as reverie;

fn create_agent(data: &Path, url: &str) {
    let out = reverie(data, url)
        .args(["agent", "create", "helper", "--model", "claude-haiku-4-5"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A reply cut after a few chunks, then the same reply whole.
fn push_cut_then_whole(server: &FakeModelServer) {
    server.push_reply(
        Reply::text(ANSWER)
            .chunked(8, 20)
            .with_fault(Fault::CutStream { after_events: 8 }),
    );
    server.push_reply(Reply::text(ANSWER).chunked(8, 0));
}

/// Runs with stdout on a pseudo-terminal; returns what the terminal got.
fn run_on_a_terminal(data: &Path, url: &str) -> (String, String) {
    let (mut master, mut slave) = (0, 0);
    let ok = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(ok, 0, "no pseudo-terminal");
    let slave = unsafe { OwnedFd::from_raw_fd(slave) };
    let mut master = unsafe { std::fs::File::from_raw_fd(master) };
    let child = reverie(data, url)
        .args(["run", "--agent", "helper", "When is my flight?"])
        .stdout(Stdio::from(slave))
        .spawn()
        .unwrap();
    // The child holds the only other end now; reading ends (EIO) when it exits.
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        reader.join().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_reply_replaces_its_partial_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelServer::start().await.unwrap();
    let (d, url) = (dir.path().to_path_buf(), server.url());
    tokio::task::spawn_blocking(move || create_agent(&d, &url))
        .await
        .unwrap();

    // On a terminal: the partial text is shown, then erased, then the whole.
    push_cut_then_whole(&server);
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let (screen, stderr) = tokio::task::spawn_blocking(move || run_on_a_terminal(&d, &url))
        .await
        .unwrap();
    assert!(stderr.contains("retrying"), "{stderr}");
    let erase = screen
        .find("\x1b[J")
        .unwrap_or_else(|| panic!("the partial reply was never erased: {screen:?}"));
    let (before, after) = screen.split_at(erase);
    assert!(
        !before.is_empty() && ANSWER.starts_with(before.trim_end_matches('\r')),
        "the partial reply came first: {before:?}"
    );
    assert!(after.contains(ANSWER), "then the whole reply: {after:?}");
    assert_eq!(screen.matches(ANSWER).count(), 1, "{screen:?}");

    // Into a file or pipe: the answer once, nothing partial.
    push_cut_then_whole(&server);
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let out: Output = tokio::task::spawn_blocking(move || {
        reverie(&d, &url)
            .args(["run", "--agent", "helper", "When is my flight?"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("retrying"));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), ANSWER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_read_as_sentences_that_fit_the_setup() {
    let dir = tempfile::tempdir().unwrap();
    let server = FakeModelServer::start().await.unwrap();
    let (d, url) = (dir.path().to_path_buf(), server.url());
    tokio::task::spawn_blocking(move || create_agent(&d, &url))
        .await
        .unwrap();
    let run = |cmd: &mut Command| {
        cmd.args(["run", "--agent", "helper", "When is my flight?"])
            .output()
            .unwrap()
    };

    // The key came from ANTHROPIC_API_KEY: Settings would not help.
    server.push_reply(Reply::fault(Fault::Unauthorized));
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let out = tokio::task::spawn_blocking(move || run(&mut reverie(&d, &url)))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains(
            "API key rejected: the key comes from the ANTHROPIC_API_KEY environment variable"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("update it in Settings"), "{stderr}");

    // A proxy's HTML error page.
    server.push_reply(Reply::fault(Fault::Raw {
        status: 400,
        content_type: "text/html".into(),
        body: "<!DOCTYPE html><html><head><title>400 Bad Request</title></head><body><h1>Bad Request</h1><p>nginx</p></body></html>".into(),
    }));
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let out = tokio::task::spawn_blocking(move || run(&mut reverie(&d, &url)))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("HTTP 400 Bad Request; the server sent a web page instead of an API answer"),
        "{stderr}"
    );
    assert!(!stderr.contains('<'), "{stderr}");

    // A key inside the base URL is never stored, logged or shown.
    let secret = "sk-ant-inside-the-url-0123456789";
    let (d, bad_url) = (
        dir.path().to_path_buf(),
        format!("ftp://user:{secret}@127.0.0.1:1/v1"),
    );
    let out = tokio::task::spawn_blocking(move || run(&mut reverie(&d, &bad_url)))
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("ftp://***@127.0.0.1:1"), "{stderr}");
    assert!(!stderr.contains(secret), "{stderr}");
    let (d, url) = (dir.path().to_path_buf(), server.url());
    let sessions = tokio::task::spawn_blocking(move || {
        reverie(&d, &url)
            .args(["--json", "session", "list"])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let sessions: serde_json::Value = serde_json::from_slice(&sessions.stdout).unwrap();
    let error = sessions[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("***@127.0.0.1"), "{sessions}");
    for file in walk(dir.path()) {
        let bytes = std::fs::read(&file).unwrap();
        let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
        assert!(!found, "the key is in {}", file.display());
    }
    let log = std::fs::read_to_string(dir.path().join("logs/reverie.log")).unwrap();
    assert!(
        log.contains("***@127.0.0.1"),
        "the failure is logged, masked: {log}"
    );
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
