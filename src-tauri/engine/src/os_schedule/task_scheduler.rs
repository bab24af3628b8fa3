//! Windows: a Task Scheduler task (`schtasks /Create /XML`) with one
//! calendar trigger per slot; `StartWhenAvailable` runs a slot missed while
//! the PC slept or was off as soon as it can.

use super::{OsSchedule, Plan, Slot};
use crate::{Error, Result};

pub struct ScheduledTask {
    name: String,
}

impl ScheduledTask {
    pub fn new(name: &str) -> ScheduledTask {
        ScheduledTask {
            name: format!("Reverie\\{name}"),
        }
    }

    fn schtasks(&self, args: &[&str]) -> Result<bool> {
        std::process::Command::new("schtasks")
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .map_err(|e| Error::Invalid(format!("Task Scheduler could not be reached: {e}")))
    }
}

impl OsSchedule for ScheduledTask {
    fn describe(&self) -> String {
        format!("a Task Scheduler task ({})", self.name)
    }

    fn install(&self, plan: &Plan) -> Result<()> {
        let file = std::env::temp_dir().join(format!("reverie-task-{}.xml", std::process::id()));
        std::fs::write(&file, task_xml(plan)).map_err(|e| Error::io(&file, e))?;
        let created = self.schtasks(&[
            "/Create",
            "/F",
            "/TN",
            &self.name,
            "/XML",
            &file.to_string_lossy(),
        ]);
        let _ = std::fs::remove_file(&file);
        if created? {
            Ok(())
        } else {
            Err(Error::Invalid(
                "Task Scheduler refused Reverie's dream schedule".into(),
            ))
        }
    }

    fn remove(&self) -> Result<()> {
        self.schtasks(&["/Delete", "/F", "/TN", &self.name])
            .map(|_| ())
    }

    fn is_installed(&self) -> bool {
        self.schtasks(&["/Query", "/TN", &self.name])
            .unwrap_or(false)
    }
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The task definition: calendar triggers, catch-up, and the command.
pub fn task_xml(plan: &Plan) -> String {
    const DAYS: [&str; 7] = [
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
    ];
    let mut triggers = String::new();
    for slot in &plan.slots {
        let (start, schedule) = match slot {
            Slot::At { hour, minute, weekdays: None } => (
                format!("2000-01-01T{hour:02}:{minute:02}:00"),
                "<ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay>".to_string(),
            ),
            Slot::At { hour, minute, weekdays: Some(days) } => {
                let names: String = days
                    .iter()
                    .map(|&d| format!("<{} />", DAYS[d as usize % 7]))
                    .collect();
                (
                    format!("2000-01-01T{hour:02}:{minute:02}:00"),
                    format!(
                        "<ScheduleByWeek><WeeksInterval>1</WeeksInterval><DaysOfWeek>{names}</DaysOfWeek></ScheduleByWeek>"
                    ),
                )
            }
            Slot::EveryQuarterHour => (
                "2000-01-01T00:00:00".to_string(),
                "<ScheduleByDay><DaysInterval>1</DaysInterval></ScheduleByDay><Repetition><Interval>PT15M</Interval></Repetition>".to_string(),
            ),
        };
        triggers.push_str(&format!(
            "<CalendarTrigger><StartBoundary>{start}</StartBoundary>{schedule}</CalendarTrigger>"
        ));
    }
    let args: Vec<String> = plan
        .args()
        .iter()
        .map(|a| format!("\"{}\"", a.replace('"', "\\\"")))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n\
         <Task version=\"1.2\" xmlns=\"http://schemas.microsoft.com/windows/2004/02/mit/task\">\n\
         <Triggers>{triggers}</Triggers>\n\
         <Settings><StartWhenAvailable>true</StartWhenAvailable><DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries><MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy></Settings>\n\
         <Actions><Exec><Command>{}</Command><Arguments>{}</Arguments></Exec></Actions>\n\
         </Task>\n",
        xml(&plan.program.to_string_lossy()),
        xml(&args.join(" "))
    )
}
