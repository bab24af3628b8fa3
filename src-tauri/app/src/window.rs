//! The main window's lifecycle: closing it hides it to the tray (agents and
//! dreams keep running), and the tray brings it back. Quitting is the tray's
//! job; this module never ends the app.

use tauri::{AppHandle, Manager, Runtime, Window, WindowEvent};

/// The label of the one window declared in `tauri.conf.json`.
pub const MAIN: &str = "main";

/// Hides the window instead of closing it, so the app stays in the tray.
pub fn on_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if let WindowEvent::CloseRequested { api, .. } = event {
        api.prevent_close();
        if let Err(error) = window.hide() {
            eprintln!("Reverie could not hide its window: {error}.");
        }
    }
}

/// On Linux, uses WebKitGTK's older renderer unless the user chose one:
/// the DMA-BUF renderer (the default since WebKitGTK 2.42) paints a blank
/// window on many GPU stacks, and without a GPU (a VM, Xvfb) it is slower
/// and bigger: on a loaded 2-core VM here, first paint ~11 s instead of ~4 s
/// and ~320 MB instead of ~230 MB (PSS, whole app; `tests/app/perf.sh`).
/// `WEBKIT_DISABLE_DMABUF_RENDERER=0` opts back in. Must run before any
/// thread starts, so it is the first thing `main` does.
pub fn choose_linux_renderer() {
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        // SAFETY: called first thing in `main`, while no other thread exists
        // to read the environment concurrently.
        unsafe { std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1") };
    }
}

/// On Linux, runs the page's JavaScript in WebKit's interpreter, with no
/// compiler: the compilers and what they keep hold ~6 MB (PSS) of an idle
/// window (`tests/app/perf.sh`), and the UI's heaviest screens open as fast
/// without them (`tests/app/screens.sh` times them both ways). Should the
/// user turn the compilers back on (`JSC_useJIT=true`), the optimising tiers
/// and their worker thread stay off. A variable the user set wins. Must run
/// before any thread starts (the web process inherits the environment).
pub fn lighter_javascript() {
    #[cfg(target_os = "linux")]
    for name in ["JSC_useJIT", "JSC_useDFGJIT", "JSC_useConcurrentJIT"] {
        if std::env::var_os(name).is_none() {
            // SAFETY: called first thing in `main`, while no other thread
            // exists to read the environment concurrently.
            unsafe { std::env::set_var(name, "false") };
        }
    }
}

/// Shows, restores and focuses the main window.
pub fn show_main<R: Runtime>(app: &AppHandle<R>) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    // Each step is best effort: a window manager may refuse focus, and the
    // window is still shown.
    let _ = window.unminimize();
    let _ = window.show();
    let _ = window.set_focus();
}
