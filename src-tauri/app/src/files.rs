//! The native "choose a file" dialog, for imports: the engine reads the
//! file from its path (streaming, so a 1 GB log never passes through the
//! web view). The UI asks through `choose_file`; it has no dialog
//! permissions of its own.

use serde::Deserialize;
use tauri::AppHandle;
use tauri_plugin_dialog::DialogExt;

/// One filter of the chooser: a label and the extensions it shows.
#[derive(Debug, Deserialize)]
pub struct FileFilter {
    pub name: String,
    pub extensions: Vec<String>,
}

/// The chosen file's path, or `None` when the user canceled.
#[tauri::command]
pub async fn choose_file(
    app: AppHandle,
    title: String,
    filters: Vec<FileFilter>,
) -> Result<Option<String>, String> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let mut dialog = app.dialog().file().set_title(title);
    for filter in &filters {
        let extensions: Vec<&str> = filter.extensions.iter().map(String::as_str).collect();
        dialog = dialog.add_filter(&filter.name, &extensions);
    }
    dialog.pick_file(move |path| {
        let _ = sender.send(path);
    });
    let chosen = receiver
        .await
        .map_err(|_| "the file chooser closed without an answer".to_string())?;
    match chosen {
        None => Ok(None),
        Some(path) => path
            .into_path()
            .map(|p| Some(p.to_string_lossy().into_owned()))
            .map_err(|e| format!("that file cannot be opened from here ({e})")),
    }
}
