//! `app.*`, `files.*` and `demo.*`: what the window asks about the engine
//! itself, saving a download, and loading the demo data.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Api, ApiError, NoParams, import_event, namespace};

namespace! {
    "app.info" => info(NoParams),
    "files.save_download" => save_download(SaveDownload),
    "demo.load" => demo_load(NoParams),
}

async fn info(api: &Arc<Api>, _: NoParams) -> Result<Value, ApiError> {
    Ok(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "data_dir": api.store.data_dir(),
        "schema_version": crate::store::schema_version(),
    }))
}

/// A file for the user's Downloads folder (the app's webview cannot download).
#[derive(Deserialize, schemars::JsonSchema)]
struct SaveDownload {
    file_name: String,
    text: String,
}

async fn save_download(_: &Arc<Api>, p: SaveDownload) -> Result<Value, ApiError> {
    let path = crate::downloads::save(&crate::downloads::folder()?, &p.file_name, &p.text)?;
    Ok(json!({"path": path}))
}

async fn demo_load(api: &Arc<Api>, _: NoParams) -> Result<crate::demo::DemoLoad, ApiError> {
    let (store, events) = (api.store.clone(), api.events.clone());
    Api::blocking(move || {
        let mut progress = move |summary: &crate::import::ImportSummary| {
            let _ = events.send(import_event(summary));
        };
        Ok(crate::demo::load(&store, &mut progress)?)
    })
    .await
}
