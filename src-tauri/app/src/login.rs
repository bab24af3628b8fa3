//! "Start Reverie at login" (Settings): the system's own autostart entry,
//! written by tauri-plugin-autostart (an XDG autostart file on Linux, a
//! launchd agent on macOS, a Run key on Windows). It owns that one switch.

use tauri::AppHandle;
use tauri_plugin_autostart::ManagerExt;

/// Reads the switch, or sets it when `enabled` is given; returns the state
/// now in force.
#[tauri::command]
pub fn start_at_login(app: AppHandle, enabled: Option<bool>) -> Result<bool, String> {
    let launcher = app.autolaunch();
    let plain = |e: tauri_plugin_autostart::Error| {
        format!("Reverie could not change whether it starts at login: {e}.")
    };
    match enabled {
        Some(true) => launcher.enable().map_err(plain)?,
        Some(false) => launcher.disable().map_err(plain)?,
        None => {}
    }
    launcher
        .is_enabled()
        .map_err(|e| format!("Reverie could not tell whether it starts at login: {e}."))
}
