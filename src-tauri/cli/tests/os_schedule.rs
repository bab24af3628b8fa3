//! The command line keeps the OS schedule in step, as the app does: a
//! `--dream-schedule` on `agent create` or `agent update`, and `dream
//! schedule`, install or rewrite the per-user systemd timer that runs
//! `reverie dream --due` while the app is closed; turning the last schedule
//! off, or deleting the last scheduled agent, removes it. All in a folder of
//! the test's own (`XDG_CONFIG_HOME`), with a `systemctl` that only notes
//! what it was asked: never the user's own timers.

#![cfg(target_os = "linux")]

mod support {
    pub mod cli;
}

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use reverie_engine::os_schedule;

struct Folder {
    _dir: tempfile::TempDir,
    scratch: PathBuf,
    data: PathBuf,
}

impl Folder {
    fn new() -> Folder {
        let dir = tempfile::tempdir().unwrap();
        let scratch = dir.path().to_path_buf();
        // A space in the data folder's name must survive the unit's quoting.
        let data = scratch.join("My data");
        Folder {
            _dir: dir,
            scratch,
            data,
        }
    }

    fn reverie(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_reverie"))
            .arg("--data-dir")
            .arg(&self.data)
            .args(args)
            .env_remove("REVERIE_DATA_DIR")
            .env_remove("APPIMAGE")
            .envs(support::cli::isolated_os_schedule(&self.scratch))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.reverie(args);
        assert!(
            out.status.success(),
            "reverie {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    fn units(&self) -> PathBuf {
        self.scratch.join("xdg-config").join("systemd").join("user")
    }

    fn timer(&self) -> PathBuf {
        let name = os_schedule::schedule_name(&self.data);
        self.units().join(format!("{name}.timer"))
    }

    fn service(&self) -> PathBuf {
        self.timer().with_extension("service")
    }

    fn calendars(&self) -> Vec<String> {
        std::fs::read_to_string(self.timer())
            .unwrap()
            .lines()
            .filter_map(|l| l.strip_prefix("OnCalendar="))
            .map(str::to_string)
            .collect()
    }

    /// What `systemctl` was asked since the last look.
    fn systemctl_calls(&self) -> Vec<String> {
        let log = self.scratch.join("systemctl.log");
        let calls = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        calls.lines().map(str::to_string).collect()
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn dream_schedules_from_the_command_line_install_update_and_remove_the_timer() {
    let f = Folder::new();
    let name = os_schedule::schedule_name(&f.data);

    // No schedule: nothing is written and systemd is not bothered.
    f.ok(&["agent", "create", "Helper", "--model", "m"]);
    assert!(!f.units().exists());
    assert!(f.systemctl_calls().is_empty());

    // `agent create --dream-schedule` installs the timer at once.
    let said = f.ok(&[
        "agent",
        "create",
        "Night owl",
        "--model",
        "m",
        "--dream-schedule",
        "04:30",
    ]);
    assert!(said.contains("Dreams also run while Reverie is closed: a systemd user timer"), "{said}");
    assert_eq!(f.calendars(), ["*-*-* 04:30:00"]);
    let service = std::fs::read_to_string(f.service()).unwrap();
    let exec = service
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .unwrap();
    assert_eq!(
        exec,
        format!(
            "\"{}\" \"--data-dir\" \"{}\" \"dream\" \"--due\"",
            env!("CARGO_BIN_EXE_reverie"),
            f.data.display()
        ),
        "it runs this program on this data folder"
    );
    let wants = f.units().join("timers.target.wants").join(format!("{name}.timer"));
    assert_eq!(std::fs::read_link(&wants).unwrap(), f.timer(), "enabled");
    assert_eq!(
        f.systemctl_calls(),
        ["--user daemon-reload", &format!("--user restart {name}.timer")],
        "the running user manager is told"
    );
    if let Some(complaint) = systemd_verify(&[&f.timer(), &f.service()]) {
        panic!("systemd-analyze --user verify refused the units: {complaint}");
    }

    // `agent update --dream-schedule` rewrites it; other changes leave it be.
    f.ok(&["agent", "update", "Night owl", "--dream-schedule", "0 6 * * 1-5"]);
    assert_eq!(f.calendars(), ["Mon,Tue,Wed,Thu,Fri *-*-* 06:00:00"]);
    assert_eq!(f.systemctl_calls().len(), 2);
    f.ok(&["agent", "update", "Night owl", "--model", "m2"]);
    assert!(f.systemctl_calls().is_empty());
    // `dream schedule` too; two agents, two slots.
    f.ok(&["dream", "schedule", "--agent", "Helper", "03:00"]);
    assert_eq!(
        f.calendars(),
        ["*-*-* 03:00:00", "Mon,Tue,Wed,Thu,Fri *-*-* 06:00:00"]
    );

    // A schedule the scheduler cannot read is refused, and the timer stays.
    let bad = f.reverie(&["agent", "update", "Helper", "--dream-schedule", "every night"]);
    assert_eq!(bad.status.code(), Some(2));
    let bad = f.reverie(&["agent", "create", "Lark", "--model", "m", "--dream-schedule", "at dawn"]);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(f.reverie(&["agent", "show", "Lark"]).status.code(), Some(3), "no half-made agent");
    assert_eq!(f.calendars().len(), 2);
    f.systemctl_calls();

    // One schedule off: rewritten. The last one off: removed, and said so.
    f.ok(&["agent", "update", "Helper", "--dream-schedule", "none"]);
    assert_eq!(f.calendars(), ["Mon,Tue,Wed,Thu,Fri *-*-* 06:00:00"]);
    let said = f.ok(&["dream", "schedule", "--agent", "Night owl", "off"]);
    assert!(said.contains("removed a systemd user timer"), "{said}");
    assert!(files_under(&f.units()).is_empty(), "left behind: {:?}", files_under(&f.units()));
    let calls = f.systemctl_calls();
    assert!(calls.contains(&format!("--user stop {name}.timer")), "{calls:?}");

    // Deleting the last scheduled agent removes it too.
    f.ok(&["agent", "update", "Night owl", "--dream-schedule", "22:15"]);
    assert_eq!(f.calendars(), ["*-*-* 22:15:00"]);
    f.ok(&["agent", "delete", "Helper"]);
    assert!(f.timer().is_file(), "Night owl still dreams");
    f.ok(&["agent", "delete", "Night owl"]);
    assert!(files_under(&f.units()).is_empty(), "left behind: {:?}", files_under(&f.units()));
}

/// systemd's own checker where it is installed: `Some(complaint)` when it
/// refuses or warns, `None` when it is satisfied or not installed.
fn systemd_verify(files: &[&Path]) -> Option<String> {
    let runtime = tempfile::tempdir().unwrap();
    let out = Command::new("systemd-analyze")
        .args(["--user", "verify"])
        .args(files)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .ok()?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (!out.status.success() || !stderr.trim().is_empty()).then_some(stderr)
}
