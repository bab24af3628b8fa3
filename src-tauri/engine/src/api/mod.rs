//! The engine's API table: every call the app's window can make, by name,
//! with JSON in and JSON out. The Tauri shell exposes it as one command
//! (`api_call`), `reverie serve` as an HTTP bridge on loopback for browser
//! tests; both are thin transports over [`Api::call`], so the UI sees the
//! same engine either way. Progress of long work (a run, a dream, an
//! import) is broadcast as [`ApiEvent`]s.
//!
//! One module per namespace (the name before the dot: `agents.create` is
//! [`agents`]), each declaring its calls once with [`namespace!`]: the name,
//! the typed parameters and the handler. That one declaration both routes
//! the call and describes it ([`methods`]), so the UI's TypeScript twin
//! (`ui/src/api/`) is checked against it (`ui/src/api/engine-methods.json`,
//! see [`binding`]).
//!
//! These modules only map names to engine calls and shape answers; product
//! logic lives with its owner (the store, the dreamer, the provider layer).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::dream::{DreamProgress, DreamProgressSink, Dreamer};
use crate::keychain::Keychain;
use crate::mirror::MirrorHandle;
use crate::runtime::Runtime;
use crate::{Error, Store};

pub mod binding;

mod agents;
mod app;
mod dreams;
mod evals;
mod keys;
mod managed;
mod memory;
mod models;
mod outcomes;
mod rubrics;
mod run;
mod schedule;
mod sessions;
mod settings;

/// A failed call: a machine-readable kind and one sentence for people.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ApiError {
    pub kind: &'static str,
    pub message: String,
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        let kind = match &e {
            Error::NotFound { .. } => "not_found",
            Error::Conflict(_) => "conflict",
            Error::Invalid(_) => "invalid",
            Error::Secret(_) => "secret",
            Error::Model(_) => "model",
            Error::SchemaTooNew { .. } | Error::Corrupt { .. } | Error::Io { .. } => "data",
            Error::KeychainUnavailable(_) | Error::Keychain(_) => "keychain",
            Error::Remote(_) => "remote",
            Error::Sqlite(_) => "internal",
        };
        ApiError {
            kind,
            message: e.to_string(),
        }
    }
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> Self {
        ApiError {
            kind: "invalid",
            message: format!("bad parameters: {e}"),
        }
    }
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError {
        kind: "invalid",
        message: message.into(),
    }
}

fn unknown_method(name: &str) -> ApiError {
    ApiError {
        kind: "unknown_method",
        message: format!("the engine has no call named '{name}'"),
    }
}

/// A notice pushed to every window (or bridge client).
pub type ApiEvent = Value;

pub struct Api {
    store: Arc<Store>,
    runtime: Arc<Runtime>,
    keychain: Keychain,
    events: broadcast::Sender<ApiEvent>,
    /// Runs started from the window, by session id, so they can be canceled.
    runs: Mutex<HashMap<String, CancellationToken>>,
    /// Dreams started from the window (memory editor and dream review).
    dreamer: Arc<Dreamer>,
    /// Memory stores mirrored to a folder by this process, by store id.
    mirrors: Mutex<HashMap<String, MirrorHandle>>,
}

/// One call as the API declares it: its name and the JSON Schema of its
/// parameters (what the TypeScript twin is checked against).
#[derive(Clone, Copy)]
pub struct Method {
    pub name: &'static str,
    pub params: fn() -> schemars::Schema,
}

/// The schema of a parameter type, for [`Method::params`].
fn schema_of<T: schemars::JsonSchema>() -> schemars::Schema {
    schemars::SchemaGenerator::default().into_root_schema_for::<T>()
}

/// Every call the API answers, in namespace order.
pub fn methods() -> Vec<Method> {
    [
        app::METHODS,
        agents::METHODS,
        memory::METHODS,
        sessions::METHODS,
        run::METHODS,
        rubrics::METHODS,
        outcomes::METHODS,
        dreams::METHODS,
        evals::METHODS,
        schedule::METHODS,
        settings::METHODS,
        keys::METHODS,
        models::METHODS,
        managed::METHODS,
    ]
    .concat()
}

/// Parameters of a call; `null` reads as `{}`.
fn params<T: DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    Ok(serde_json::from_value(if v.is_null() {
        json!({})
    } else {
        v
    })?)
}

fn ok<T: serde::Serialize>(v: T) -> Result<Value, ApiError> {
    Ok(serde_json::to_value(v)?)
}

/// Declares a namespace's calls once: each line names the call, its
/// parameter type and its handler (`async fn(&Arc<Api>, Params) ->
/// Result<impl Serialize, ApiError>`). It defines the namespace's
/// `METHODS` and its `call`, so routing and description cannot drift.
macro_rules! namespace {
    ($($name:literal => $handler:ident($params:ty)),* $(,)?) => {
        pub(super) const METHODS: &[super::Method] = &[
            $(super::Method { name: $name, params: super::schema_of::<$params> }),*
        ];

        pub(super) async fn call(
            api: &std::sync::Arc<super::Api>,
            method: &str,
            p: serde_json::Value,
        ) -> Result<serde_json::Value, super::ApiError> {
            match method {
                $($name => super::ok($handler(api, super::params::<$params>(p)?).await?),)*
                other => Err(super::unknown_method(other)),
            }
        }
    };
}
use namespace;

/// Parameters of a call that takes none.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NoParams {}

/// `{ "name": ... }`: an agent or rubric by name (or id).
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NameParam {
    name: String,
}

/// `{ "id": ... }`: a session, dream, version or conflict by id.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct IdParam {
    id: String,
}

/// `{ "store": ... }`: a memory store by name (or id).
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct StoreParam {
    store: String,
}

/// `{ "store", "path" }`: one memory document.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct DocParams {
    store: String,
    path: String,
}

impl Api {
    pub fn new(runtime: Arc<Runtime>) -> Self {
        // The start-up steps (starter rubrics among them) are
        // `data_dir::open`'s, run once by whoever opened the folder.
        let (events, _) = broadcast::channel(1024);
        Api {
            store: runtime.store().clone(),
            dreamer: Arc::new(crate::eval::dreamer(runtime.clone())),
            runtime,
            keychain: Keychain::default(),
            events,
            runs: Mutex::new(HashMap::new()),
            mirrors: Mutex::new(HashMap::new()),
        }
    }

    /// Uses another keychain service (tests).
    pub fn with_keychain(mut self, keychain: Keychain) -> Self {
        self.keychain = keychain;
        self
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ApiEvent> {
        self.events.subscribe()
    }

    pub fn emit(&self, event: ApiEvent) {
        let _ = self.events.send(event);
    }

    /// The dreamer behind `dreams.*`, so dreams started elsewhere in the
    /// process (the tray, the schedule) can be listed and canceled here.
    pub fn dreamer(&self) -> &Arc<Dreamer> {
        &self.dreamer
    }

    /// A progress sink that broadcasts a dream's steps as the window's
    /// `dream_*` events, wherever the dream was started.
    pub fn dream_progress_sink(&self) -> DreamProgressSink {
        let events = self.events.clone();
        DreamProgressSink::new(move |progress| {
            let _ = events.send(dream_event(&progress));
        })
    }

    /// Starts the folder mirrors the stores are configured with (call once
    /// when the app or `reverie serve` starts); see [`memory::start_configured_mirrors`].
    pub async fn start_configured_mirrors(self: &Arc<Self>) -> Result<usize, ApiError> {
        memory::start_configured_mirrors(self).await
    }

    /// Resumes, in the background, regression gates whose process stopped
    /// (call once when the app or `reverie serve` starts). Memory was never
    /// changed by them; each picks up after its finished runs. Returns
    /// their ids.
    pub fn resume_gates(self: &Arc<Self>) -> Result<Vec<String>, ApiError> {
        Ok(crate::eval::gate::recover_gates(&self.runtime, true)?)
    }

    /// Runs one named call: routed by the namespace before the dot.
    pub async fn call(self: &Arc<Self>, method: &str, p: Value) -> Result<Value, ApiError> {
        let namespace = method.split_once('.').map_or(method, |(ns, _)| ns);
        match namespace {
            "app" | "files" | "demo" => app::call(self, method, p).await,
            "agents" => agents::call(self, method, p).await,
            "memory" => memory::call(self, method, p).await,
            "sessions" => sessions::call(self, method, p).await,
            "run" => run::call(self, method, p).await,
            "rubrics" => rubrics::call(self, method, p).await,
            "outcomes" => outcomes::call(self, method, p).await,
            "dreams" => dreams::call(self, method, p).await,
            "evals" => evals::call(self, method, p).await,
            "schedule" => schedule::call(self, method, p).await,
            "settings" => settings::call(self, method, p).await,
            "keys" => keys::call(self, method, p).await,
            "models" => models::call(self, method, p).await,
            "managed" => managed::call(self, method, p).await,
            _ => Err(unknown_method(method)),
        }
    }

    /// Runs blocking work (files, big imports) off the async threads.
    async fn blocking<T: Send + 'static>(
        work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| invalid(format!("the work stopped unexpectedly: {e}")))?
    }
}

/// A dream's progress as an [`ApiEvent`]: its type prefixed `dream_` so it
/// never reads as a run's event (`dream_started`, `dream_finished`, ...).
fn dream_event(p: &DreamProgress) -> ApiEvent {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    if let Some(kind) = v.get("type").and_then(Value::as_str).map(str::to_string) {
        v["type"] = Value::String(format!("dream_{kind}"));
    }
    v
}

/// A progress notice of an import, for the window.
fn import_event(summary: &crate::import::ImportSummary) -> ApiEvent {
    json!({
        "type": "import_progress",
        "agent": summary.agent,
        "file_name": summary.file_name,
        "records": summary.records,
        "imported": summary.imported,
        "skipped_duplicates": summary.skipped_duplicates,
        "malformed": summary.malformed,
    })
}
