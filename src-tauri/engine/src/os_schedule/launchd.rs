//! macOS: a launchd agent (`~/Library/LaunchAgents/NAME.plist`) with one
//! `StartCalendarInterval` entry per slot. launchd runs a slot missed while
//! the Mac slept as soon as it wakes.

use std::path::{Path, PathBuf};

use super::{OsSchedule, Plan, Slot};
use crate::{Error, Result};

pub struct LaunchAgent {
    dir: PathBuf,
    label: String,
    tell_launchctl: bool,
}

impl LaunchAgent {
    pub fn for_user(name: &str) -> Option<LaunchAgent> {
        let home = directories::BaseDirs::new()?.home_dir().to_path_buf();
        Some(LaunchAgent {
            dir: home.join("Library").join("LaunchAgents"),
            label: format!("app.reverie.{name}"),
            tell_launchctl: true,
        })
    }

    pub fn in_dir(dir: &Path, name: &str) -> LaunchAgent {
        LaunchAgent {
            dir: dir.to_path_buf(),
            label: format!("app.reverie.{name}"),
            tell_launchctl: false,
        }
    }

    pub fn plist_path(&self) -> PathBuf {
        self.dir.join(format!("{}.plist", self.label))
    }

    fn launchctl(&self, verb: &str) {
        if !self.tell_launchctl {
            return;
        }
        let uid = std::process::Command::new("id")
            .arg("-u")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let _ = std::process::Command::new("launchctl")
            .args([verb, &format!("gui/{uid}")])
            .arg(self.plist_path())
            .status();
    }
}

impl OsSchedule for LaunchAgent {
    fn describe(&self) -> String {
        format!("a launchd agent ({})", self.plist_path().display())
    }

    fn install(&self, plan: &Plan) -> Result<()> {
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        if self.plist_path().exists() {
            self.launchctl("bootout");
        }
        std::fs::write(self.plist_path(), plist(&self.label, plan))
            .map_err(|e| Error::io(self.plist_path(), e))?;
        self.launchctl("bootstrap");
        Ok(())
    }

    fn remove(&self) -> Result<()> {
        if self.plist_path().exists() {
            self.launchctl("bootout");
            std::fs::remove_file(self.plist_path()).map_err(|e| Error::io(self.plist_path(), e))?;
        }
        Ok(())
    }

    fn is_installed(&self) -> bool {
        self.plist_path().exists()
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The property list: the program, its arguments and the calendar entries.
pub fn plist(label: &str, plan: &Plan) -> String {
    let mut args = format!(
        "    <string>{}</string>\n",
        xml(&plan.program.to_string_lossy())
    );
    for arg in plan.args() {
        args.push_str(&format!("    <string>{}</string>\n", xml(&arg)));
    }
    let mut intervals = String::new();
    for slot in &plan.slots {
        match slot {
            Slot::At { hour, minute, weekdays: None } => intervals.push_str(&format!(
                "    <dict><key>Hour</key><integer>{hour}</integer><key>Minute</key><integer>{minute}</integer></dict>\n"
            )),
            Slot::At { hour, minute, weekdays: Some(days) } => {
                for day in days {
                    intervals.push_str(&format!(
                        "    <dict><key>Weekday</key><integer>{day}</integer><key>Hour</key><integer>{hour}</integer><key>Minute</key><integer>{minute}</integer></dict>\n"
                    ));
                }
            }
            Slot::EveryQuarterHour => {
                for minute in [0, 15, 30, 45] {
                    intervals.push_str(&format!(
                        "    <dict><key>Minute</key><integer>{minute}</integer></dict>\n"
                    ));
                }
            }
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" \"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n\
         <plist version=\"1.0\">\n<dict>\n\
         <key>Label</key><string>{}</string>\n\
         <key>ProgramArguments</key>\n<array>\n{args}</array>\n\
         <key>StartCalendarInterval</key>\n<array>\n{intervals}</array>\n\
         <key>ProcessType</key><string>Background</string>\n\
         </dict>\n</plist>\n",
        xml(label)
    )
}
