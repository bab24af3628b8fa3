//! API keys through the real OS keychain (Secret Service on Linux), and proof
//! that a stored key leaves no trace in the data folder or the logs.
//!
//! These tests need an unlocked keychain. `scripts/test.sh` starts a D-Bus
//! session with gnome-keyring for them and sets REVERIE_REQUIRE_KEYCHAIN=1;
//! without it (a bare `cargo test` on a machine with no keyring) they say so
//! and skip, because there is nothing real to test against.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use reverie_engine::Error;
use reverie_engine::keychain::{KeySource, Keychain};
use secrecy::{ExposeSecret, SecretString};

fn keychain_or_skip(service: &str) -> Option<Keychain> {
    let keychain = Keychain::with_service(service);
    match keychain.get("anthropic") {
        Err(Error::KeychainUnavailable(why)) => {
            assert!(
                std::env::var("REVERIE_REQUIRE_KEYCHAIN").is_err(),
                "REVERIE_REQUIRE_KEYCHAIN is set but no keychain is available: {why}"
            );
            eprintln!("skipping: no OS keychain here ({why}); run scripts/test.sh");
            None
        }
        Err(e) => panic!("keychain error: {e}"),
        Ok(_) => Some(keychain),
    }
}

fn unique_key() -> String {
    format!(
        "sk-ant-api03-{}-reverie-test",
        reverie_engine::ids::new_id().to_lowercase()
    )
}

#[test]
fn stores_reads_and_deletes_through_the_secret_service() {
    let service = format!("reverie-test-{}", reverie_engine::ids::new_id());
    let Some(keychain) = keychain_or_skip(&service) else {
        return;
    };
    let key = unique_key();
    keychain
        .set("anthropic", &SecretString::from(key.clone()))
        .unwrap();
    assert_eq!(
        keychain.get("anthropic").unwrap().unwrap().expose_secret(),
        key
    );
    // A second handle (as another process would) sees the same entry.
    assert_eq!(
        Keychain::with_service(&service)
            .get("anthropic")
            .unwrap()
            .unwrap()
            .expose_secret(),
        key
    );
    assert!(keychain.delete("anthropic").unwrap());
    assert!(keychain.get("anthropic").unwrap().is_none());
    assert!(!keychain.delete("anthropic").unwrap());
    assert!(matches!(
        keychain.set("anthropic", &SecretString::from("  ".to_string())),
        Err(Error::Invalid(_))
    ));
}

#[test]
fn the_environment_overrides_the_keychain() {
    let service = format!("reverie-test-{}", reverie_engine::ids::new_id());
    let Some(keychain) = keychain_or_skip(&service) else {
        return;
    };
    keychain
        .set("openai", &SecretString::from("from-keychain".to_string()))
        .unwrap();
    // OPENAI_API_KEY is only read here in this test binary.
    unsafe { std::env::set_var("OPENAI_API_KEY", "from-env") };
    let (key, source) = keychain.resolve("openai").unwrap().unwrap();
    assert_eq!(
        (key.expose_secret(), source),
        ("from-env", KeySource::Environment)
    );
    unsafe { std::env::remove_var("OPENAI_API_KEY") };
    let (key, source) = keychain.resolve("openai").unwrap().unwrap();
    assert_eq!(
        (key.expose_secret(), source),
        ("from-keychain", KeySource::Keychain)
    );
    keychain.delete("openai").unwrap();
}

fn reverie(data: &Path, service: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reverie"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env("REVERIE_KEYCHAIN_SERVICE", service)
        .env("RUST_LOG", "trace")
        .env_remove("ANTHROPIC_API_KEY")
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

#[test]
fn a_stored_key_leaves_no_trace_in_the_data_folder_or_logs() {
    let service = format!("reverie-test-{}", reverie_engine::ids::new_id());
    let Some(keychain) = keychain_or_skip(&service) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key = unique_key();

    let out = reverie(
        dir.path(),
        &service,
        &["key", "set", "anthropic"],
        &format!("{key}\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = reverie(
        dir.path(),
        &service,
        &["--json", "key", "status", "anthropic"],
        "",
    );
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(status["source"], "keychain");
    assert_eq!(
        status["hint"].as_str().unwrap(),
        format!("…{}", &key[key.len() - 4..])
    );
    // Use the folder for ordinary work too, with trace logging on.
    for args in [
        &["agent", "create", "a", "--model", "m"][..],
        &["agent", "list"],
        &["memory", "ls", "--agent", "a"],
    ] {
        let out = reverie(dir.path(), &service, args, "");
        assert!(out.status.success());
        assert!(!String::from_utf8_lossy(&out.stdout).contains(&key));
        assert!(!String::from_utf8_lossy(&out.stderr).contains(&key));
    }
    assert_eq!(
        keychain.get("anthropic").unwrap().unwrap().expose_secret(),
        key
    );

    // Scan every byte under the data folder (database, WAL, logs) for the
    // key and for its distinctive middle part.
    let needle = &key[13..39];
    let mut scanned = 0;
    for entry in walk(dir.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        scanned += 1;
        for probe in [key.as_bytes(), needle.as_bytes()] {
            assert!(
                !bytes.windows(probe.len()).any(|w| w == probe),
                "the key leaked into {}",
                entry.display()
            );
        }
    }
    assert!(
        scanned >= 2,
        "expected the database and the log, scanned {scanned} files"
    );
    assert!(dir.path().join("logs/reverie.log").exists());
    keychain.delete("anthropic").unwrap();
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
