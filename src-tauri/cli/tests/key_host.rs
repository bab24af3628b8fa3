//! The keychain key goes only to the address it was saved for (issue 18):
//! saved while the provider pointed at one server, it is not sent to
//! another that the address was changed to without confirmation; that
//! server receives nothing at all. Real processes, the real keychain (a
//! service of the test's own) and two fake model servers; skipped with a
//! note when no keychain is available.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use reverie_engine::keychain::Keychain;
use reverie_fake_model::{FakeModelServer, Reply};

fn reverie(data: &Path, service: &str, url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reverie"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("REVERIE_KEYCHAIN_SERVICE", service)
        .env("ANTHROPIC_BASE_URL", url)
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("REVERIE_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_saved_key_never_reaches_an_unconfirmed_host() {
    let service = format!("reverie-test-{}", reverie_engine::ids::new_id());
    let keychain = Keychain::with_service(&service);
    match keychain.get("anthropic") {
        Err(reverie_engine::Error::KeychainUnavailable(why)) => {
            assert!(
                std::env::var("REVERIE_REQUIRE_KEYCHAIN").is_err(),
                "REVERIE_REQUIRE_KEYCHAIN is set but no keychain is available: {why}"
            );
            eprintln!("skipping: no OS keychain here ({why}); run scripts/test.sh");
            return;
        }
        other => {
            other.unwrap();
        }
    }
    let saved_for = FakeModelServer::start().await.unwrap();
    let elsewhere = FakeModelServer::start().await.unwrap();
    saved_for.push_reply(Reply::text("On time."));
    let key = format!(
        "sk-ant-{}-keyhost",
        reverie_engine::ids::new_id().to_lowercase()
    );
    let dir = tempfile::tempdir().unwrap();
    let (d, s, good, bad, k) = (
        dir.path().to_path_buf(),
        service.clone(),
        saved_for.url(),
        elsewhere.url(),
        key.clone(),
    );
    let (refused, worked) = tokio::task::spawn_blocking(move || {
        let ok = |out: Output| {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        // Saved while the provider points at the first server.
        ok(reverie(
            &d,
            &s,
            &good,
            &["key", "set", "anthropic"],
            &format!("{k}\n"),
        ));
        ok(reverie(
            &d,
            &s,
            &good,
            &["agent", "create", "a", "--model", "claude-haiku-4-5"],
            "",
        ));
        let task = ["run", "--agent", "a", "Is my flight on time?"];
        (
            reverie(&d, &s, &bad, &task, ""),
            reverie(&d, &s, &good, &task, ""),
        )
    })
    .await
    .unwrap();

    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains(&format!("may only go to {}", saved_for.url()))
            && stderr.contains(&format!("not sent to {}", elsewhere.url())),
        "{stderr}"
    );
    assert!(
        elsewhere.requests().is_empty(),
        "the other server heard from us"
    );

    assert!(
        worked.status.success(),
        "{}",
        String::from_utf8_lossy(&worked.stderr)
    );
    let requests = saved_for.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("x-api-key"), Some(key.as_str()));
    keychain.delete("anthropic").unwrap();
}
