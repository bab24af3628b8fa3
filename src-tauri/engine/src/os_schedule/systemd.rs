//! Linux: a systemd user timer (`~/.config/systemd/user/NAME.timer`) and the
//! service it starts (`NAME.service`, one `reverie dream --due`).
//! `Persistent=true` runs a slot missed while the machine slept or was off
//! as soon as it is back. Enabled by the same link `systemctl --user enable`
//! makes, so it holds from the next login even when no user manager is
//! running now; when one is, it is told at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{OsSchedule, Plan, Slot};
use crate::{Error, Result};

pub struct SystemdUserTimer {
    dir: PathBuf,
    name: String,
    /// Whether to call `systemctl --user` after writing (off in tests).
    tell_manager: bool,
}

impl SystemdUserTimer {
    /// In the user's unit folder (`$XDG_CONFIG_HOME/systemd/user`, else
    /// `~/.config/systemd/user`).
    pub fn for_user(name: &str) -> Option<SystemdUserTimer> {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|d| d.home_dir().join(".config")))?;
        Some(SystemdUserTimer {
            dir: config.join("systemd").join("user"),
            name: name.to_string(),
            tell_manager: true,
        })
    }

    /// In `dir`, without telling any running systemd (for tests).
    pub fn in_dir(dir: &Path, name: &str) -> SystemdUserTimer {
        SystemdUserTimer {
            dir: dir.to_path_buf(),
            name: name.to_string(),
            tell_manager: false,
        }
    }

    pub fn timer_path(&self) -> PathBuf {
        self.dir.join(format!("{}.timer", self.name))
    }

    pub fn service_path(&self) -> PathBuf {
        self.dir.join(format!("{}.service", self.name))
    }

    /// The link `systemctl --user enable` makes.
    pub fn wants_link(&self) -> PathBuf {
        self.dir
            .join("timers.target.wants")
            .join(format!("{}.timer", self.name))
    }

    fn systemctl(&self, args: &[&str]) {
        if !self.tell_manager {
            return;
        }
        // Best effort: without a user manager (a container, no login
        // session) the files still take effect at the next login.
        let _ = Command::new("systemctl")
            .arg("--user")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl OsSchedule for SystemdUserTimer {
    fn describe(&self) -> String {
        format!("a systemd user timer ({})", self.timer_path().display())
    }

    fn install(&self, plan: &Plan) -> Result<()> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |e| Error::io(path, e)
        };
        let wants = self.wants_link();
        let wants_dir = wants.parent().unwrap_or(&self.dir).to_path_buf();
        std::fs::create_dir_all(&wants_dir).map_err(io(&wants_dir))?;
        std::fs::write(self.service_path(), service_unit(plan)?)
            .map_err(io(&self.service_path()))?;
        std::fs::write(self.timer_path(), timer_unit(plan)).map_err(io(&self.timer_path()))?;
        if std::fs::symlink_metadata(&wants).is_err() {
            link(&self.timer_path(), &wants).map_err(io(&wants))?;
        }
        self.systemctl(&["daemon-reload"]);
        self.systemctl(&["restart", &format!("{}.timer", self.name)]);
        Ok(())
    }

    fn remove(&self) -> Result<()> {
        self.systemctl(&["stop", &format!("{}.timer", self.name)]);
        for path in [self.wants_link(), self.timer_path(), self.service_path()] {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        self.systemctl(&["daemon-reload"]);
        Ok(())
    }

    fn is_installed(&self) -> bool {
        self.timer_path().exists() || self.service_path().exists()
    }
}

#[cfg(unix)]
fn link(target: &Path, at: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

#[cfg(not(unix))]
fn link(target: &Path, at: &Path) -> std::io::Result<()> {
    std::fs::copy(target, at).map(|_| ())
}

/// The service: one `reverie --data-dir DIR dream --due`, at low priority.
pub fn service_unit(plan: &Plan) -> Result<String> {
    let mut command = vec![quote(&plan.program.to_string_lossy())?];
    for arg in plan.args() {
        command.push(quote(&arg)?);
    }
    Ok(format!(
        "# Written by Reverie; removed when no agent has a dream schedule.\n\
         [Unit]\n\
         Description=Reverie: scheduled dreams\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         ExecStart={}\n\
         Nice=10\n\
         IOSchedulingClass=idle\n",
        command.join(" ")
    ))
}

/// The timer: one `OnCalendar=` per slot, caught up after sleep, and a
/// look every half hour after each run, so a slot that had to wait (the
/// computer on battery or in use) runs once it may.
pub fn timer_unit(plan: &Plan) -> String {
    let calendars: String = plan
        .slots
        .iter()
        .map(|slot| format!("OnCalendar={}\n", on_calendar(slot)))
        .collect();
    format!(
        "# Written by Reverie; removed when no agent has a dream schedule.\n\
         [Unit]\n\
         Description=Reverie: when agents dream\n\
         \n\
         [Timer]\n\
         {calendars}\
         OnUnitInactiveSec=30min\n\
         Persistent=true\n\
         \n\
         [Install]\n\
         WantedBy=timers.target\n"
    )
}

/// systemd's calendar syntax for a slot (`Mon,Fri *-*-* 03:00:00`).
pub fn on_calendar(slot: &Slot) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    match slot {
        Slot::At {
            hour,
            minute,
            weekdays,
        } => {
            let days = weekdays
                .as_ref()
                .map(|d| {
                    let names: Vec<&str> = d.iter().map(|&d| DAYS[d as usize % 7]).collect();
                    format!("{} ", names.join(","))
                })
                .unwrap_or_default();
            format!("{days}*-*-* {hour:02}:{minute:02}:00")
        }
        Slot::EveryQuarterHour => "*-*-* *:00/15:00".into(),
    }
}

/// One argument in systemd's quoting: in double quotes, with `\` and `"`
/// escaped, `%` and `$` doubled (specifiers and variables stay literal).
fn quote(arg: &str) -> Result<String> {
    if arg.contains(['\n', '\r']) {
        return Err(Error::Invalid(format!(
            "'{arg}' cannot be used in a scheduled command: it holds a line break"
        )));
    }
    let escaped = arg
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('%', "%%")
        .replace('$', "$$");
    Ok(format!("\"{escaped}\""))
}
