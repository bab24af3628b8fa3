//! Dreams while the app is closed: a per-user schedule kept by the operating
//! system (a systemd user timer on Linux, a launchd agent on macOS, a Task
//! Scheduler task on Windows) that runs `reverie dream --due` at each
//! agent's dream time and catches up after sleep. Every system sits behind
//! one trait, [`OsSchedule`]; [`plan`] turns the agents' schedules into
//! what to run and when, and [`sync`] installs it, or removes it when no
//! agent has a schedule. It owns those files and nothing else: which dreams
//! are due is decided by the dream scheduler when the command runs.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::dream::schedule::Schedule;
use crate::{Result, Store};

pub mod launchd;
pub mod systemd;
pub mod task_scheduler;

/// When the system should start the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slot {
    /// Daily at a local time, or only on some weekdays (0 = Sunday .. 6).
    At {
        hour: u8,
        minute: u8,
        weekdays: Option<Vec<u8>>,
    },
    /// Every quarter hour: for cron schedules no calendar line can express;
    /// `dream --due` then decides.
    EveryQuarterHour,
}

/// What to run, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The `reverie` command-line program.
    pub program: PathBuf,
    pub data_dir: PathBuf,
    pub slots: Vec<Slot>,
}

impl Plan {
    /// The arguments after the program: `--data-dir DIR dream --due`.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--data-dir".into(),
            self.data_dir.to_string_lossy().into_owned(),
            "dream".into(),
            "--due".into(),
        ]
    }
}

/// One operating system's per-user schedule.
pub trait OsSchedule: Send + Sync {
    /// In words, for Settings ("a systemd user timer").
    fn describe(&self) -> String;
    /// Writes (or rewrites) the schedule and asks the system to load it.
    fn install(&self, plan: &Plan) -> Result<()>;
    /// Removes everything `install` wrote; fine when nothing is installed.
    fn remove(&self) -> Result<()>;
    fn is_installed(&self) -> bool;
}

/// The schedule for this data folder on this system, writing where the
/// system looks for per-user schedules; `None` where Reverie has none.
pub fn for_this_system(data_dir: &Path) -> Option<Box<dyn OsSchedule>> {
    let name = schedule_name(data_dir);
    #[cfg(target_os = "linux")]
    {
        systemd::SystemdUserTimer::for_user(&name).map(|t| Box::new(t) as Box<dyn OsSchedule>)
    }
    #[cfg(target_os = "macos")]
    {
        launchd::LaunchAgent::for_user(&name).map(|t| Box::new(t) as Box<dyn OsSchedule>)
    }
    #[cfg(windows)]
    {
        Some(Box::new(task_scheduler::ScheduledTask::new(&name)))
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
    {
        let _ = name;
        None
    }
}

/// A name per data folder, so two data folders keep two schedules:
/// `reverie-dreams-` and 12 hex digits of the folder's hash.
pub fn schedule_name(data_dir: &Path) -> String {
    let folder = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let digest = Sha256::digest(folder.to_string_lossy().as_bytes());
    format!("reverie-dreams-{}", &hex::encode(digest)[..12])
}

/// The plan for the agents in `store`, or `None` when none has a schedule.
pub fn plan(store: &Store, program: &Path, data_dir: &Path) -> Result<Option<Plan>> {
    let mut slots = Vec::new();
    for agent in store.list_agents()? {
        let Some(text) = agent
            .dream_schedule
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        else {
            continue;
        };
        // A schedule the scheduler cannot read never runs; skip it here too.
        if Schedule::parse(text).is_err() {
            continue;
        }
        let slot = slot_for(text);
        if !slots.contains(&slot) {
            slots.push(slot);
        }
    }
    if slots.is_empty() {
        return Ok(None);
    }
    // With a quarter-hour check, the others add nothing.
    if slots.contains(&Slot::EveryQuarterHour) {
        slots = vec![Slot::EveryQuarterHour];
    }
    Ok(Some(Plan {
        program: program.to_path_buf(),
        data_dir: data_dir.to_path_buf(),
        slots,
    }))
}

/// Installs the plan, or removes the schedule when there is none.
pub fn sync(os: &dyn OsSchedule, plan: Option<&Plan>) -> Result<()> {
    match plan {
        Some(plan) => os.install(plan),
        None if os.is_installed() => os.remove(),
        None => Ok(()),
    }
}

/// What [`match_agents`] did, for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synced {
    /// Written or rewritten; says what (e.g. "a systemd user timer (PATH)").
    Installed(String),
    /// No agent has a dream schedule any more: removed; says what it was.
    Removed(String),
    /// No agent has a dream schedule, and nothing was installed.
    Nothing,
    /// This system has no per-user schedule Reverie can write.
    Unsupported,
}

/// Makes this system's per-user schedule for `data_dir` match the dream
/// schedules of the agents in `store`: installs or rewrites it when any
/// agent has one, removes it when none has. `program` is the `reverie`
/// command-line program it runs. The one call the app (at start, and when
/// the UI creates, changes or deletes an agent) and the command-line program
/// (`agent create|update|delete`, `dream schedule`) both make.
pub fn match_agents(store: &Store, program: &Path, data_dir: &Path) -> Result<Synced> {
    // The service runs from the user's home: a relative folder would point
    // somewhere else there.
    let data_dir = std::path::absolute(data_dir).map_err(|e| crate::Error::io(data_dir, e))?;
    let Some(os) = for_this_system(&data_dir) else {
        return Ok(Synced::Unsupported);
    };
    match_agents_with(os.as_ref(), store, program, &data_dir)
}

/// [`match_agents`] on a given schedule (for tests: one in a folder of their own).
pub fn match_agents_with(
    os: &dyn OsSchedule,
    store: &Store,
    program: &Path,
    data_dir: &Path,
) -> Result<Synced> {
    let plan = plan(store, program, data_dir)?;
    let was_installed = os.is_installed();
    sync(os, plan.as_ref())?;
    Ok(match plan {
        Some(_) => Synced::Installed(os.describe()),
        None if was_installed => Synced::Removed(os.describe()),
        None => Synced::Nothing,
    })
}

/// Whether `program` can be scheduled: not inside a mounted AppImage, whose
/// folder disappears when it quits (a schedule pointing there would fail
/// every night).
pub fn can_schedule(program: &Path) -> bool {
    program.is_file() && std::env::var_os("APPIMAGE").is_none()
}

/// The system slot for a schedule the dream scheduler accepts: `HH:MM`,
/// `daily HH:MM`, or a cron line with a fixed minute and hour (any weekday
/// list); anything else is checked every quarter hour.
pub fn slot_for(text: &str) -> Slot {
    let t = text.trim();
    let daily = t.strip_prefix("daily").map(str::trim).unwrap_or(t);
    if !daily.contains(' ') {
        if let Some((h, m)) = daily.split_once(':') {
            if let (Ok(hour), Ok(minute)) = (h.parse::<u8>(), m.parse::<u8>()) {
                if hour < 24 && minute < 60 {
                    return Slot::At {
                        hour,
                        minute,
                        weekdays: None,
                    };
                }
            }
        }
    }
    let cron = t.strip_prefix("cron").unwrap_or(t).trim();
    let fields: Vec<&str> = cron.split_whitespace().collect();
    if let [m, h, "*", "*", dow] = fields.as_slice() {
        if let (Ok(minute), Ok(hour)) = (m.parse::<u8>(), h.parse::<u8>()) {
            if hour < 24 && minute < 60 {
                if *dow == "*" {
                    return Slot::At {
                        hour,
                        minute,
                        weekdays: None,
                    };
                }
                if let Some(days) = weekdays(dow) {
                    return Slot::At {
                        hour,
                        minute,
                        weekdays: Some(days),
                    };
                }
            }
        }
    }
    Slot::EveryQuarterHour
}

/// `1-5`, `0,6`, `1-3,5` (0 or 7 = Sunday) as sorted weekday numbers.
fn weekdays(field: &str) -> Option<Vec<u8>> {
    let mut days = Vec::new();
    for part in field.split(',') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (a.parse::<u8>().ok()?, b.parse::<u8>().ok()?),
            None => {
                let d = part.parse::<u8>().ok()?;
                (d, d)
            }
        };
        if a > b || b > 7 {
            return None;
        }
        for d in a..=b {
            let d = d % 7;
            if !days.contains(&d) {
                days.push(d);
            }
        }
    }
    days.sort_unstable();
    Some(days)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_become_system_slots() {
        let at = |hour, minute| Slot::At {
            hour,
            minute,
            weekdays: None,
        };
        assert_eq!(slot_for("03:00"), at(3, 0));
        assert_eq!(slot_for("daily 23:45"), at(23, 45));
        assert_eq!(slot_for("30 2 * * *"), at(2, 30));
        assert_eq!(
            slot_for("cron 0 3 * * 1-5"),
            Slot::At {
                hour: 3,
                minute: 0,
                weekdays: Some(vec![1, 2, 3, 4, 5])
            }
        );
        assert_eq!(
            slot_for("0 4 * * 0,6"),
            Slot::At {
                hour: 4,
                minute: 0,
                weekdays: Some(vec![0, 6])
            }
        );
        assert_eq!(slot_for("*/20 * * * *"), Slot::EveryQuarterHour);
        assert_eq!(slot_for("0 3 1 * *"), Slot::EveryQuarterHour);
    }

    #[test]
    fn each_data_folder_has_its_own_name() {
        let a = schedule_name(Path::new("/home/ann/a"));
        assert!(a.starts_with("reverie-dreams-") && a.len() == "reverie-dreams-".len() + 12);
        assert_ne!(a, schedule_name(Path::new("/home/ann/b")));
    }
}

/// The morning-after sentence: what scheduled dreams did since `since` (an
/// RFC 3339 time, e.g. when the app last looked), or `None` when none ran.
/// "While Reverie was closed: Scout has 3 changes to review; Writer
/// updated its memory (2 changes)."
pub fn overnight_summary(store: &Store, since: &str) -> Result<Option<String>> {
    use crate::store::{DreamStatus, DreamTrigger, EditDecision, ReviewState};
    let mut parts = Vec::new();
    let mut dreams: Vec<_> = store
        .list_dreams(None, 200)?
        .into_iter()
        .filter(|d| d.trigger == DreamTrigger::Schedule && d.created_at.as_str() > since)
        .collect();
    dreams.reverse(); // oldest first reads naturally
    for dream in dreams {
        let agent = store
            .agent(&dream.agent_id)
            .map(|a| a.name)
            .unwrap_or_else(|_| "a deleted agent".into());
        let part = match dream.status {
            DreamStatus::Completed => {
                let edits = store.proposal(&dream.id)?;
                let waiting = edits
                    .iter()
                    .filter(|e| e.decision == EditDecision::Pending)
                    .count();
                let changes = |n: usize| format!("{n} change{}", if n == 1 { "" } else { "s" });
                match dream.review {
                    _ if waiting > 0 => format!("{agent} has {} to review", changes(waiting)),
                    ReviewState::Applied => {
                        format!("{agent} updated its memory ({})", changes(edits.len()))
                    }
                    _ if edits.is_empty() => format!("{agent} found nothing to change"),
                    _ => format!("{agent} dreamed"),
                }
            }
            DreamStatus::Failed => format!(
                "{agent}'s dream failed ({})",
                dream.error.as_deref().unwrap_or("no reason given")
            ),
            DreamStatus::Canceled => format!("{agent}'s dream was canceled"),
            DreamStatus::Pending | DreamStatus::Running => format!("{agent} is still dreaming"),
        };
        parts.push(part);
    }
    if parts.is_empty() {
        return Ok(None);
    }
    Ok(Some(format!(
        "While Reverie was closed: {}.",
        parts.join("; ")
    )))
}
