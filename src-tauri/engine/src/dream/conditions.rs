//! When the machine is fit for a scheduled dream: on mains power and idle.
//! One [`Machine`] trait, one implementation per system: Linux reads
//! `/sys/class/power_supply` and asks logind for the session's idle hint
//! over D-Bus; macOS asks `pmset` and the HID system's idle time; Windows
//! asks for the power status and the last input. Whatever cannot be told
//! counts as fit, so a desktop without a battery or a headless server
//! still dreams. It reads; it never changes anything.

use std::time::Duration;

/// How long the user must have been away before a dream starts.
pub const IDLE_AFTER: Duration = Duration::from_secs(10 * 60);

/// What the system says about power and use; `None` where it cannot tell.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MachineState {
    pub on_battery: Option<bool>,
    pub idle_for: Option<Duration>,
}

impl MachineState {
    /// Why a dream should wait, or `None` when it may run.
    pub fn wait_reason(&self) -> Option<String> {
        if self.on_battery == Some(true) {
            return Some("the computer is on battery; the dream waits for mains power".into());
        }
        match self.idle_for {
            Some(idle) if idle < IDLE_AFTER => Some(format!(
                "the computer is in use; the dream waits until it has been idle for {} minutes",
                IDLE_AFTER.as_secs() / 60
            )),
            _ => None,
        }
    }
}

/// Where the scheduler learns about power and use (tests set it by hand).
pub trait Machine: Send + Sync {
    fn state(&self) -> MachineState;
}

/// The real machine.
pub struct SystemMachine;

impl Machine for SystemMachine {
    fn state(&self) -> MachineState {
        MachineState {
            on_battery: platform::on_battery(),
            idle_for: platform::idle_for(),
        }
    }
}

/// A machine whose state tests set.
pub struct FixedMachine(std::sync::Mutex<MachineState>);

impl FixedMachine {
    pub fn new(state: MachineState) -> Self {
        FixedMachine(std::sync::Mutex::new(state))
    }
    pub fn set(&self, state: MachineState) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = state;
    }
}

impl Machine for FixedMachine {
    fn state(&self) -> MachineState {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(target_os = "linux")]
mod platform {
    use std::path::Path;
    use std::time::Duration;

    /// On battery when no mains supply is online and a battery discharges.
    pub fn on_battery() -> Option<bool> {
        on_battery_in(Path::new("/sys/class/power_supply"))
    }

    pub(super) fn on_battery_in(root: &Path) -> Option<bool> {
        let read = |dir: &Path, file: &str| {
            std::fs::read_to_string(dir.join(file))
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let (mut mains, mut mains_online, mut discharging) = (false, false, false);
        for entry in std::fs::read_dir(root).ok()?.flatten() {
            let dir = entry.path();
            match read(&dir, "type").as_str() {
                "Mains" | "USB" => {
                    mains = true;
                    mains_online |= read(&dir, "online") == "1";
                }
                "Battery" => discharging |= read(&dir, "status") == "Discharging",
                _ => {}
            }
        }
        if mains_online {
            Some(false)
        } else if discharging || mains {
            Some(discharging)
        } else {
            None
        }
    }

    /// How long the user's login session has been idle, from logind's
    /// `IdleHint` over D-Bus; `None` without logind or a session.
    pub fn idle_for() -> Option<Duration> {
        use dbus::blocking::Connection;
        use dbus::blocking::stdintf::org_freedesktop_dbus::Properties;
        let conn = Connection::new_system().ok()?;
        let session = conn.with_proxy(
            "org.freedesktop.login1",
            "/org/freedesktop/login1/session/auto",
            Duration::from_millis(500),
        );
        let idle: bool = session
            .get("org.freedesktop.login1.Session", "IdleHint")
            .ok()?;
        if !idle {
            return Some(Duration::ZERO);
        }
        let since: u64 = session
            .get("org.freedesktop.login1.Session", "IdleSinceHintMonotonic")
            .ok()?;
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes into the timespec we pass.
        if unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) } != 0 {
            return None;
        }
        let now_us = now.tv_sec as u64 * 1_000_000 + now.tv_nsec as u64 / 1_000;
        Some(Duration::from_micros(now_us.saturating_sub(since)))
    }
}

#[cfg(target_os = "macos")]
mod platform {
    use std::process::Command;
    use std::time::Duration;

    pub fn on_battery() -> Option<bool> {
        let out = Command::new("pmset").args(["-g", "batt"]).output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("'Battery Power'") {
            Some(true)
        } else if text.contains("'AC Power'") {
            Some(false)
        } else {
            None
        }
    }

    /// The HID system's idle time (nanoseconds since the last input).
    pub fn idle_for() -> Option<Duration> {
        let out = Command::new("ioreg")
            .args(["-c", "IOHIDSystem", "-d", "4"])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find(|l| l.contains("\"HIDIdleTime\""))?;
        let ns: u64 = line.rsplit('=').next()?.trim().parse().ok()?;
        Some(Duration::from_nanos(ns))
    }
}

#[cfg(target_os = "windows")]
mod platform {
    use std::time::Duration;
    use windows_sys::Win32::System::Power::{GetSystemPowerStatus, SYSTEM_POWER_STATUS};
    use windows_sys::Win32::System::SystemInformation::GetTickCount;
    use windows_sys::Win32::UI::Input::KeyboardAndMouse::{GetLastInputInfo, LASTINPUTINFO};

    pub fn on_battery() -> Option<bool> {
        // SAFETY: the status struct is plain data the call fills in.
        let mut status: SYSTEM_POWER_STATUS = unsafe { std::mem::zeroed() };
        if unsafe { GetSystemPowerStatus(&mut status) } == 0 {
            return None;
        }
        match status.ACLineStatus {
            0 => Some(true),
            1 => Some(false),
            _ => None,
        }
    }

    pub fn idle_for() -> Option<Duration> {
        let mut info = LASTINPUTINFO {
            cbSize: std::mem::size_of::<LASTINPUTINFO>() as u32,
            dwTime: 0,
        };
        // SAFETY: the struct is sized as the call requires.
        if unsafe { GetLastInputInfo(&mut info) } == 0 {
            return None;
        }
        let now = unsafe { GetTickCount() };
        Some(Duration::from_millis(now.wrapping_sub(info.dwTime) as u64))
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos", target_os = "windows")))]
mod platform {
    use std::time::Duration;
    pub fn on_battery() -> Option<bool> {
        None
    }
    pub fn idle_for() -> Option<Duration> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn battery_and_use_make_a_dream_wait() {
        let fit = MachineState {
            on_battery: Some(false),
            idle_for: Some(IDLE_AFTER * 2),
        };
        assert_eq!(fit.wait_reason(), None);
        let unknown = MachineState::default();
        assert_eq!(
            unknown.wait_reason(),
            None,
            "what cannot be told does not block"
        );
        let battery = MachineState {
            on_battery: Some(true),
            ..fit
        };
        assert!(battery.wait_reason().unwrap().contains("battery"));
        let busy = MachineState {
            idle_for: Some(Duration::from_secs(30)),
            ..fit
        };
        assert!(busy.wait_reason().unwrap().contains("in use"));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn power_supplies_are_read_from_sysfs() {
        let dir = tempfile::tempdir().unwrap();
        let supply = |name: &str, files: &[(&str, &str)]| {
            let d = dir.path().join(name);
            std::fs::create_dir_all(&d).unwrap();
            for (f, v) in files {
                std::fs::write(d.join(f), format!("{v}\n")).unwrap();
            }
        };
        assert_eq!(
            platform::on_battery_in(dir.path()),
            None,
            "no supplies: a desktop"
        );
        supply("BAT0", &[("type", "Battery"), ("status", "Discharging")]);
        supply("AC", &[("type", "Mains"), ("online", "0")]);
        assert_eq!(platform::on_battery_in(dir.path()), Some(true));
        supply("AC", &[("type", "Mains"), ("online", "1")]);
        assert_eq!(platform::on_battery_in(dir.path()), Some(false));
        // The real machine answers without panicking, whatever it has.
        let _ = SystemMachine.state();
    }
}
