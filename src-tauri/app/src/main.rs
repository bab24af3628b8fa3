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
mod login;
mod startup;
mod tray;
mod window;

fn main() {
    window::choose_linux_renderer();
    window::lighter_javascript();
    startup::install_panic_message();
    if let Err(sentence) = startup::check_display() {
        eprintln!("{sentence}");
        std::process::exit(1);
    }
    let context = tauri::generate_context!("../../tauri.conf.json");
    // One app per data folder: a second launch on the same folder shows the
    // first window and exits.
    let instance = match reverie_engine::data_dir::resolve(None) {
        Ok(dir) => startup::instance_id(&context.config().identifier, &dir),
        Err(_) => context.config().identifier.clone(),
    };
    let app = tauri::Builder::default()
        .plugin(
            tauri_plugin_single_instance::Builder::new()
                .dbus_id(instance)
                .callback(|app, _args, _cwd| window::show_main(app))
                .build(),
        )
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let engine = engine::Engine::open();
            engine.relay_events(app.handle().clone());
            if let Some(api) = engine.api() {
                // Folder mirrors configured on stores resume with the app.
                let mirrors = api.clone();
                tauri::async_runtime::spawn(async move {
                    // Checks of a dream that stopped with the app go on.
                    if let Err(e) = mirrors.resume_gates() {
                        eprintln!("Reverie could not resume its checks: {}", e.message);
                    }
                    if let Err(e) = mirrors.start_configured_mirrors().await {
                        eprintln!(
                            "Reverie could not restart its folder mirrors: {}",
                            e.message
                        );
                    }
                });
                let dreaming = dreaming::Dreaming::new(api);
                app.manage(dreaming.clone());
                // Dreams go on while the app is closed; the morning after,
                // say what they did.
                dreaming.announce_overnight(app.handle());
                let os = dreaming.clone();
                std::thread::spawn(move || os.sync_os_schedule());
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
            files::choose_file,
            login::start_at_login
        ])
        .on_window_event(window::on_event)
        .run(context);
    if let Err(error) = app {
        eprintln!(
            "Reverie could not start its window: {error}. Check that a graphical session is available (DISPLAY or WAYLAND_DISPLAY)."
        );
        std::process::exit(1);
    }
}
