//! # reverie-app
//!
//! Reverie's desktop shell: one window showing the web UI from `ui/dist`, a
//! tray icon, and the wiring from UI calls to `reverie-engine`'s API table
//! (`api_call`, plus `choose_file` for the native file chooser). It owns windows, the tray and that wiring; it must never
//! hold product logic, which lives in the engine so the CLI and the tests
//! reach the same behaviour without a window.

// Release builds on Windows must not open a console beside the window.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use tauri::Manager;

mod dreaming;
mod engine;
mod files;
mod tray;
mod window;

fn main() {
    window::choose_linux_renderer();
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let engine = engine::Engine::open();
            engine.relay_events(app.handle().clone());
            if let Some(api) = engine.api() {
                // Folder mirrors configured on stores resume with the app.
                let mirrors = api.clone();
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = mirrors.start_configured_mirrors().await {
                        eprintln!(
                            "Reverie could not restart its folder mirrors: {}",
                            e.message
                        );
                    }
                });
                let dreaming = dreaming::Dreaming::new(api);
                app.manage(dreaming.clone());
                // Dreams keep their schedule with the window closed.
                dreaming.start_schedule(app.handle().clone(), tray::refresh);
                dreaming.follow_window(app.handle().clone(), tray::refresh);
            }
            app.manage(engine);
            tray::create(app.handle())?;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            engine::api_call,
            files::choose_file
        ])
        .on_window_event(window::on_event)
        .run(tauri::generate_context!("../../tauri.conf.json"));
    if let Err(error) = app {
        eprintln!(
            "Reverie could not start its window: {error}. Check that a graphical session is available (DISPLAY or WAYLAND_DISPLAY)."
        );
        std::process::exit(1);
    }
}
