//! The floor under the app's memory figure: the same Tauri and WebKitGTK
//! stack with one window showing a one-line page, and nothing of Reverie
//! (no engine, tray, or UI). `tests/app/perf.sh` measures it beside the app
//! in the same run, so the app's own share is the difference.

use tauri::{WebviewUrl, WebviewWindowBuilder};

const PAGE: &str = "<!doctype html><title>Reverie</title><p>A blank window.</p>";

fn main() {
    // The renderer the app picks on Linux (see the app's `window.rs`), so the
    // two are measured on the same footing.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        // SAFETY: first thing in `main`, before any other thread exists.
        unsafe { std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1") };
    }
    let mut context = tauri::generate_context!("../../tauri.conf.json");
    // Not the app's window with its UI: one made here, with a blank page.
    context.config_mut().app.windows.clear();
    let result = tauri::Builder::default()
        // One line of text, so fonts and text painting count as in the app.
        .register_uri_scheme_protocol("blank", |_, _| {
            tauri::http::Response::builder()
                .header("content-type", "text/html")
                .body(PAGE.as_bytes().to_vec())
                .expect("a static response")
        })
        .setup(|app| {
            let url = WebviewUrl::CustomProtocol("blank://localhost/".parse()?);
            WebviewWindowBuilder::new(app, "main", url)
                .title("Reverie")
                .inner_size(1120.0, 740.0)
                .build()?;
            Ok(())
        })
        .run(context);
    if let Err(error) = result {
        eprintln!("The blank window could not start: {error}.");
        std::process::exit(1);
    }
}
