//! The engine the window talks to: the engine's API table
//! (`reverie_engine::api`) over the store of the data folder
//! (`REVERIE_DATA_DIR`, else the platform's app-data folder), opened once at
//! startup. It owns that handle, the one command `api_call` that forwards a
//! UI call to the table, and the relay of engine events to the window
//! (`api-event`). It must never answer a call itself: every answer comes
//! from the table, and when the data folder cannot be opened every call
//! gets that reason instead of data.

use std::sync::Arc;

use reverie_engine::api::{Api, ApiError};
use reverie_engine::runtime::Runtime;
use reverie_engine::data_dir;
use serde_json::Value;
use tauri::{AppHandle, Emitter, Manager, Runtime as TauriRuntime, State};
use tokio::sync::broadcast::error::RecvError;

/// The Tauri event name the UI listens on (`TAURI_EVENT` in `ui/src/api/index.ts`).
pub const EVENT: &str = "api-event";

/// The API table, or the one-sentence reason the data folder could not be opened.
pub struct Engine {
    api: Result<Arc<Api>, String>,
}

impl Engine {
    /// Opens the store of the data folder in use and builds the API over it.
    pub fn open() -> Engine {
        let api = open_api().map_err(|reason| {
            // Also on stderr, for whoever started the app from a terminal.
            eprintln!("Reverie could not open its data: {reason}");
            reason
        });
        Engine { api }
    }

    /// The API table, when the data folder opened.
    pub fn api(&self) -> Option<Arc<Api>> {
        self.api.clone().ok()
    }

    /// Forwards every engine event to the window as `api-event`.
    pub fn relay_events<R: TauriRuntime>(&self, app: AppHandle<R>) {
        let Ok(api) = &self.api else { return };
        let mut events = api.subscribe();
        tauri::async_runtime::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => {
                        let _ = app.emit(EVENT, event);
                    }
                    // A window that fell behind skips what it missed rather than stalling runs.
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                }
            }
        });
    }

    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ApiError> {
        match &self.api {
            Ok(api) => api.call(method, params).await,
            Err(reason) => Err(ApiError {
                kind: "data",
                message: reason.clone(),
            }),
        }
    }
}

fn open_api() -> Result<Arc<Api>, String> {
    let dir = data_dir::resolve(None).map_err(|e| e.to_string())?;
    // The engine's one start-up, as the CLI and `reverie serve` run it:
    // runs and dreams cut off by a crash or a quit are marked so, and a new
    // folder gets the starter rubrics.
    let opened = data_dir::open(&dir).map_err(|e| e.to_string())?;
    let runtime = Runtime::new(opened.store).map_err(|e| e.to_string())?;
    Ok(Arc::new(Api::new(Arc::new(runtime))))
}

/// The one command the UI calls: `invoke('api_call', { method, params })`.
/// Errors reach the UI as `{ kind, message }`.
#[tauri::command]
pub async fn api_call(
    app: AppHandle,
    engine: State<'_, Engine>,
    method: String,
    params: Value,
) -> Result<Value, ApiError> {
    let result = engine.call(&method, params).await;
    // The tray lists agents and the last dream's state; keep it current.
    if result.is_ok() && crate::tray::shows_result_of(&method) {
        crate::tray::refresh(&app);
    }
    // A schedule added, changed or dropped: keep the OS schedule in step.
    if result.is_ok()
        && matches!(
            method.as_str(),
            "agents.create" | "agents.update" | "agents.delete"
        )
    {
        if let Some(dreaming) = app.try_state::<std::sync::Arc<crate::dreaming::Dreaming>>() {
            let dreaming = dreaming.inner().clone();
            std::thread::spawn(move || dreaming.sync_os_schedule());
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::Engine;
    use serde_json::json;

    // One test owns REVERIE_DATA_DIR for its whole run, so no other test in
    // this binary races on the variable.
    #[tokio::test]
    async fn calls_reach_the_api_table_and_a_bad_data_folder_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        // SAFETY: no other test in this binary reads the environment.
        unsafe { std::env::set_var(reverie_engine::data_dir::ENV_VAR, &data) };
        let engine = Engine::open();
        let info = engine.call("app.info", json!({})).await.unwrap();
        assert_eq!(info["data_dir"], json!(data));
        assert!(data.join(reverie_engine::store::DATABASE_FILE).is_file());
        assert_eq!(
            engine.call("agents.list", json!(null)).await.unwrap(),
            json!([])
        );
        let unknown = engine.call("no.such", json!({})).await.unwrap_err();
        assert_eq!(unknown.kind, "unknown_method");

        // A data folder path that is a file cannot hold a database.
        let file = dir.path().join("not-a-folder");
        std::fs::write(&file, "x").unwrap();
        unsafe { std::env::set_var(reverie_engine::data_dir::ENV_VAR, &file) };
        let engine = Engine::open();
        let error = engine.call("app.info", json!({})).await.unwrap_err();
        assert_eq!(error.kind, "data");
        assert!(error.message.contains("not-a-folder"), "{}", error.message);
        unsafe { std::env::remove_var(reverie_engine::data_dir::ENV_VAR) };
    }
}
