//! Running the `reverie` binary on a data folder, for the CLI tests.

// Each test binary uses some of these, not all.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// `reverie --data-dir DATA` talking to the model server at `url` (the
/// fake's address) with a test key, its output captured, and the OS
/// schedule it may install kept in the tests' scratch folder.
pub fn against_model(data: &Path, url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_reverie"));
    cmd.arg("--data-dir")
        .arg(data)
        .env("ANTHROPIC_BASE_URL", url)
        .env("ANTHROPIC_API_KEY", "sk-ant-test-key")
        .env_remove("REVERIE_DATA_DIR")
        .envs(isolated_os_schedule(&shared_scratch()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Runs `reverie --data-dir DATA ARGS`, feeding `stdin` if given.
pub fn reverie(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_reverie"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("REVERIE_DATA_DIR")
        .envs(isolated_os_schedule(&shared_scratch()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// The environment that keeps the OS schedule a command may install (after
/// `--dream-schedule`, `agent delete`) inside `scratch`, away from the
/// user's own timers: `XDG_CONFIG_HOME` (where the systemd user timer is
/// written) and a `systemctl` first on `PATH` that only notes its arguments,
/// one call a line, in `scratch/systemctl.log`.
pub fn isolated_os_schedule(scratch: &Path) -> Vec<(&'static str, std::ffi::OsString)> {
    let bin = scratch.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let systemctl = bin.join("systemctl");
    if !systemctl.exists() {
        let log = scratch.join("systemctl.log");
        let script = format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\n",
            log.display().to_string().replace('\'', "'\\''")
        );
        let partial = bin.join(format!("systemctl.{:?}", std::thread::current().id()));
        std::fs::write(&partial, script).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::rename(&partial, &systemctl).unwrap();
    }
    let mut path = std::ffi::OsString::from(bin);
    if let Some(rest) = std::env::var_os("PATH") {
        path.push(":");
        path.push(rest);
    }
    vec![
        ("XDG_CONFIG_HOME", scratch.join("xdg-config").into_os_string()),
        ("PATH", path),
    ]
}

/// One scratch folder per test process for [`isolated_os_schedule`].
pub fn shared_scratch() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("reverie-cli-tests-{}", std::process::id()))
}

/// Its stdout, after checking it succeeded.
pub fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Its stdout as JSON, after checking it succeeded.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(out)).unwrap()
}
