//! The engine's API table: every call the app's window can make, by name,
//! with JSON in and JSON out. The Tauri shell exposes it as one command
//! (`api_call`), `reverie serve` as an HTTP bridge on loopback for browser
//! tests; both are thin transports over [`Api::call`], so the UI sees the
//! same engine either way. Progress of long work (a run) is broadcast as
//! [`ApiEvent`]s.
//!
//! This module only maps names to engine calls and shapes errors; it holds
//! no product logic of its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::dream::schedule::{Schedule, Scheduler, SystemClock};
use crate::dream::{ConflictChoice, DreamProgress, DreamProgressSink, DreamRequest, Dreamer};
use crate::keychain::Keychain;
use crate::mirror::{Mirror, MirrorHandle};
use crate::outcome::Rubric;
use crate::provider::ProviderKind;
use crate::runtime::{OutcomeOptions, Progress, ProgressSink, RunRequest, Runtime};
use crate::store::*;
use crate::{Error, Store};

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

/// A rubric that does not parse: the message names line, column and field.
fn rubric_error(e: crate::outcome::RubricError) -> ApiError {
    invalid(e.to_string())
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError {
        kind: "invalid",
        message: message.into(),
    }
}

/// A notice pushed to every window (or bridge client).
pub type ApiEvent = Value;

pub struct Api {
    store: Arc<Store>,
    runtime: Arc<Runtime>,
    keychain: Keychain,
    events: broadcast::Sender<ApiEvent>,
    runs: Mutex<HashMap<String, CancellationToken>>,
    /// Dreams started from the window (memory editor and dream review).
    dreamer: Arc<Dreamer>,
    /// Memory stores mirrored to a folder by this process, by store id.
    mirrors: Mutex<HashMap<String, MirrorHandle>>,
}

#[derive(Deserialize)]
struct NameParam {
    name: String,
}

#[derive(Deserialize)]
struct IdParam {
    id: String,
}

#[derive(Deserialize)]
struct DocParams {
    store: String,
    path: String,
}

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

impl Api {
    pub fn new(runtime: Arc<Runtime>) -> Self {
        let (events, _) = broadcast::channel(1024);
        // A new data folder shows the starter rubrics as examples; a
        // failure here only means no examples.
        let _ = crate::runtime::outcome_loop::seed_starter_rubrics(runtime.store());
        Api {
            store: runtime.store().clone(),
            dreamer: Arc::new(Dreamer::new(runtime.clone())),
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

    /// Runs one named call.
    pub async fn call(self: &Arc<Self>, method: &str, p: Value) -> Result<Value, ApiError> {
        let s = &self.store;
        match method {
            "files.save_download" => {
                #[derive(Deserialize)]
                struct P {
                    file_name: String,
                    text: String,
                }
                let P { file_name, text } = params(p)?;
                let path = crate::downloads::save(&crate::downloads::folder()?, &file_name, &text)?;
                ok(json!({"path": path}))
            }
            "app.info" => ok(json!({
                "version": env!("CARGO_PKG_VERSION"),
                "data_dir": s.data_dir(),
                "schema_version": crate::store::schema_version(),
            })),

            "agents.list" => ok(s.list_agents()?),
            "agents.get" => ok(s.agent(&params::<NameParam>(p)?.name)?),
            "agents.create" => ok(s.create_agent(&params::<NewAgent>(p)?)?),
            "agents.update" => {
                #[derive(Deserialize)]
                struct P {
                    name: String,
                    update: AgentUpdate,
                }
                let P { name, update } = params(p)?;
                ok(s.update_agent(&name, &update)?)
            }
            "agents.delete" => {
                s.delete_agent(&params::<NameParam>(p)?.name)?;
                ok(json!({"deleted": true}))
            }
            "agents.roster" => ok(s.roster(&params::<NameParam>(p)?.name)?),
            "agents.roster_add" | "agents.roster_remove" => {
                #[derive(Deserialize)]
                struct P {
                    lead: String,
                    member: String,
                }
                let P { lead, member } = params(p)?;
                ok(if method == "agents.roster_add" {
                    s.roster_add(&lead, &member)?
                } else {
                    s.roster_remove(&lead, &member)?
                })
            }
            "agents.attach_store" => {
                #[derive(Deserialize)]
                struct P {
                    agent: String,
                    store: String,
                    access: Access,
                }
                let P {
                    agent,
                    store,
                    access,
                } = params(p)?;
                ok(s.attach_store(&agent, &store, access)?)
            }

            "memory.stores" => ok(s.list_memory_stores()?),
            "memory.create_store" => ok(s.create_memory_store(&params::<NewMemoryStore>(p)?)?),
            "memory.update_store" => {
                #[derive(Deserialize)]
                struct P {
                    store: String,
                    update: MemoryStoreUpdate,
                }
                let P { store, update } = params(p)?;
                ok(s.update_memory_store(&store, &update)?)
            }
            "memory.list" => {
                #[derive(Deserialize)]
                struct P {
                    store: String,
                    under: Option<String>,
                }
                let P { store, under } = params(p)?;
                ok(s.list_documents(&s.memory_store(&store)?.id, under.as_deref())?)
            }
            "memory.read" => {
                let DocParams { store, path } = params(p)?;
                let (document, content) = s
                    .read_document(&s.memory_store(&store)?.id, &path)?
                    .ok_or_else(|| Error::not_found("document", path))?;
                ok(json!({"document": document, "content": content}))
            }
            "memory.write" => {
                #[derive(Deserialize)]
                struct P {
                    store: String,
                    path: String,
                    content: String,
                    #[serde(default)]
                    reason: String,
                    expected_sha256: Option<String>,
                    /// The user confirmed saving text that looks like a secret.
                    #[serde(default)]
                    allow_secret: bool,
                }
                let P {
                    store,
                    path,
                    content,
                    reason,
                    expected_sha256,
                    allow_secret,
                } = params(p)?;
                let mut meta = WriteMeta::user(if reason.is_empty() {
                    "edited in the app".into()
                } else {
                    reason
                });
                meta.expected_sha256 = expected_sha256;
                meta.allow_secrets = allow_secret;
                ok(s.write_document(&s.memory_store(&store)?.id, &path, &content, &meta)?)
            }
            "memory.delete" => {
                let DocParams { store, path } = params(p)?;
                ok(s.delete_document(
                    &s.memory_store(&store)?.id,
                    &path,
                    &WriteMeta::user("deleted in the app"),
                )?)
            }
            "memory.rename" => {
                #[derive(Deserialize)]
                struct P {
                    store: String,
                    from: String,
                    to: String,
                }
                let P { store, from, to } = params(p)?;
                ok(s.rename_document(
                    &s.memory_store(&store)?.id,
                    &from,
                    &to,
                    &WriteMeta::user("renamed in the app"),
                )?)
            }
            "memory.history" => {
                let DocParams { store, path } = params(p)?;
                ok(s.document_history(&s.memory_store(&store)?.id, &path)?)
            }
            "memory.restore" => {
                #[derive(Deserialize)]
                struct P {
                    store: String,
                    path: String,
                    version: i64,
                }
                let P {
                    store,
                    path,
                    version,
                } = params(p)?;
                ok(s.restore_document(
                    &s.memory_store(&store)?.id,
                    &path,
                    version,
                    &WriteMeta::user(""),
                )?)
            }
            "memory.pin" => {
                #[derive(Deserialize)]
                struct P {
                    store: String,
                    path: String,
                    pinned: bool,
                }
                let P {
                    store,
                    path,
                    pinned,
                } = params(p)?;
                ok(s.set_pinned(&s.memory_store(&store)?.id, &path, pinned)?)
            }
            "memory.redact" => ok(s.redact_version(&params::<IdParam>(p)?.id)?),
            "memory.redact_secrets" => {
                let DocParams { store, path } = params(p)?;
                ok(s.redact_secrets(
                    &s.memory_store(&store)?.id,
                    &path,
                    &WriteMeta::user("secrets removed"),
                )?)
            }
            "memory.search" => {
                #[derive(Deserialize)]
                struct P {
                    store: String,
                    query: String,
                }
                let P { store, query } = params(p)?;
                ok(self.search(&store, &query)?)
            }

            "sessions.list" => ok(s.list_sessions(&params::<SessionFilter>(p)?)?),
            "sessions.get" => {
                let id = params::<IdParam>(p)?.id;
                let session = s.session(&id)?;
                let threads = s.session_tree(&session.root_id)?;
                let outcomes = s.outcomes_for_session(&id)?;
                let event_count = s.event_count(&id)?;
                ok(
                    json!({"session": session, "threads": threads, "outcomes": outcomes, "event_count": event_count}),
                )
            }
            "sessions.events" => {
                #[derive(Deserialize)]
                struct P {
                    id: String,
                    #[serde(flatten)]
                    query: EventQuery,
                }
                let P { id, query } = params(p)?;
                ok(s.events(&id, &query)?)
            }

            // --- Session timeline and rubric builder (ui-timeline) ---
            "sessions.overview" => ok(crate::timeline::overview(
                s,
                &params::<crate::timeline::OverviewFilter>(p)?,
            )?),
            "sessions.page" => {
                #[derive(Deserialize)]
                struct P {
                    id: String,
                    #[serde(default)]
                    offset: i64,
                    #[serde(default = "default_page")]
                    limit: i64,
                    #[serde(flatten)]
                    filter: crate::timeline::TimelineFilter,
                }
                fn default_page() -> i64 {
                    200
                }
                let P {
                    id,
                    offset,
                    limit,
                    filter,
                } = params(p)?;
                ok(crate::timeline::page(s, &id, &filter, offset, limit)?)
            }
            "sessions.marks" => {
                #[derive(Deserialize)]
                struct P {
                    id: String,
                    #[serde(flatten)]
                    filter: crate::timeline::TimelineFilter,
                }
                let P { id, filter } = params(p)?;
                ok(crate::timeline::marks(s, &id, &filter)?)
            }
            "sessions.export" => {
                #[derive(Deserialize)]
                struct P {
                    id: String,
                    #[serde(default)]
                    format: crate::session_export::ExportFormat,
                }
                let P { id, format } = params(p)?;
                let (file_name, document) = crate::session_export::export(s, &id, format)?;
                ok(json!({"file_name": file_name, "document": document}))
            }
            // Importing sessions, exporting memory, the demo data (see `call_interop`).
            "sessions.import" | "memory.export" | "demo.load" => self.call_interop(method, p).await,
            "rubrics.canonical" => {
                #[derive(Deserialize)]
                struct P {
                    document: String,
                }
                let rubric = Rubric::from_json(&params::<P>(p)?.document).map_err(rubric_error)?;
                ok(json!({"text": rubric.to_json()}))
            }
            "rubrics.try_regex" => {
                #[derive(Deserialize)]
                struct P {
                    pattern: String,
                    #[serde(default)]
                    flags: Option<String>,
                    text: String,
                }
                let P {
                    pattern,
                    flags,
                    text,
                } = params(p)?;
                ok(
                    crate::rubric_tools::try_regex(&pattern, flags.as_deref(), &text)
                        .map_err(invalid)?,
                )
            }
            // --- end of session timeline and rubric builder ---
            "run.start" => {
                #[derive(Deserialize)]
                struct P {
                    agent: String,
                    task: String,
                    /// Grade the run against this rubric (name or id).
                    #[serde(default)]
                    rubric: Option<String>,
                    #[serde(default)]
                    max_iterations: Option<u32>,
                    #[serde(default)]
                    grader_model: Option<String>,
                    #[serde(default)]
                    grader_provider: Option<ProviderKind>,
                    /// Run ungraded even if the agent has a default rubric.
                    #[serde(default)]
                    no_rubric: bool,
                }
                let P {
                    agent,
                    task,
                    rubric,
                    max_iterations,
                    grader_model,
                    grader_provider,
                    no_rubric,
                } = params(p)?;
                if task.trim().is_empty() {
                    return Err(invalid(
                        "the task is empty; describe what the agent should do",
                    ));
                }
                // Fails now, not in the background, on a bad rubric.
                let outcome =
                    crate::runtime::outcome_loop::rubric_for_run(s, &agent, rubric, no_rubric)?
                        .map(|rubric| OutcomeOptions {
                            rubric,
                            max_iterations,
                            grader_model,
                            grader_provider,
                        });
                self.start_run(agent, task, outcome).await
            }
            "run.cancel" => {
                let id = params::<IdParam>(p)?.id;
                let token = self
                    .runs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&id)
                    .cloned();
                match token {
                    Some(token) => {
                        token.cancel();
                        ok(json!({"canceled": true}))
                    }
                    None => Err(invalid(format!(
                        "session {id} is not running in this window"
                    ))),
                }
            }

            "rubrics.list" => ok(s.list_rubrics()?),
            "rubrics.get" => ok(s.rubric(&params::<NameParam>(p)?.name)?),
            "rubrics.save" => {
                #[derive(Deserialize)]
                struct P {
                    /// Defaults to the document's own name.
                    name: Option<String>,
                    document: String,
                }
                let P { name, document } = params(p)?;
                let rubric = Rubric::from_json(&document).map_err(rubric_error)?;
                let name = name.unwrap_or_else(|| rubric.name.clone());
                ok(s.save_rubric(&name, &rubric.to_json())?)
            }
            "rubrics.validate" => {
                #[derive(Deserialize)]
                struct P {
                    document: String,
                }
                match Rubric::from_json(&params::<P>(p)?.document) {
                    Ok(rubric) => ok(json!({"valid": true, "rubric": rubric})),
                    Err(e) => ok(json!({"valid": false, "error": {
                        "line": e.line, "column": e.column, "field": e.field, "message": e.message,
                        "text": e.to_string()}})),
                }
            }
            "rubrics.starters" => ok(crate::outcome::starter_rubrics()),
            "rubrics.test" => {
                #[derive(Deserialize)]
                struct P {
                    session_id: String,
                    /// A saved rubric, by name or id ...
                    #[serde(default)]
                    rubric: Option<String>,
                    /// ... or a document not saved yet (the builder's draft).
                    #[serde(default)]
                    document: Option<String>,
                    #[serde(default)]
                    grader_model: Option<String>,
                    #[serde(default)]
                    grader_provider: Option<ProviderKind>,
                }
                let P {
                    session_id,
                    rubric,
                    document,
                    grader_model,
                    grader_provider,
                } = params(p)?;
                let rubric = match (document, rubric) {
                    (Some(document), _) => Rubric::from_json(&document).map_err(rubric_error)?,
                    (None, Some(name)) => crate::runtime::outcome_loop::load_rubric(s, &name)?.1,
                    (None, None) => {
                        return Err(invalid("give a rubric name or a rubric document to test"));
                    }
                };
                let options = OutcomeOptions {
                    grader_model,
                    grader_provider,
                    ..Default::default()
                };
                let grade = self
                    .runtime
                    .grade_session(&session_id, &rubric, &options, &CancellationToken::new())
                    .await?;
                ok(json!({"grade": grade, "passed": grade.passed()}))
            }
            "outcomes.stats" => ok(s.outcome_stats(&params::<OutcomeStatsFilter>(p)?)?),
            "outcomes.for_session" => {
                let id = params::<IdParam>(p)?.id;
                let outcomes = s.outcomes_for_session(&id)?;
                let mut out = Vec::new();
                for o in outcomes {
                    let verdicts = s.verdicts(&o.id)?;
                    out.push(json!({"outcome": o, "verdicts": verdicts}));
                }
                ok(out)
            }
            "rubrics.delete" => {
                s.delete_rubric(&params::<NameParam>(p)?.name)?;
                ok(json!({"deleted": true}))
            }

            "settings.get" => {
                #[derive(Deserialize)]
                struct P {
                    key: String,
                }
                ok(s.setting(&params::<P>(p)?.key)?)
            }
            "settings.set" => {
                #[derive(Deserialize)]
                struct P {
                    key: String,
                    value: String,
                    /// The person agreed that the saved key may go to the new address.
                    #[serde(default)]
                    confirm_key_host: bool,
                }
                let P {
                    key,
                    value,
                    confirm_key_host,
                } = params(p)?;
                // A new provider address: the saved key follows only when confirmed.
                let kind = [ProviderKind::Anthropic, ProviderKind::OpenAi]
                    .into_iter()
                    .find(|k| key == crate::runtime::providers::base_url_setting(*k));
                if let Some(kind) = kind {
                    let saved_key = matches!(self.keychain.get(kind.as_str()), Ok(Some(_)));
                    if let Some(host) = crate::key_host::needs_confirmation(s, kind, &value)
                        && saved_key
                    {
                        if !confirm_key_host {
                            return Err(ApiError {
                                kind: "needs_confirmation",
                                message: format!(
                                    "Your API key will be sent to {host}. Only continue if you trust that server."
                                ),
                            });
                        }
                        crate::key_host::allow(s, kind, &value)?;
                    }
                }
                s.set_setting(&key, &value)?;
                if key.starts_with("provider.") {
                    self.runtime.providers().reset();
                }
                ok(json!({"saved": true}))
            }

            "keys.status" => {
                let provider = params::<ProviderParam>(p)?.provider;
                let resolved = self.keychain.resolve(provider.as_str());
                ok(match resolved {
                    Ok(Some((key, source))) => {
                        json!({"provider": provider, "available": true, "source": source, "hint": crate::keychain::hint(&key)})
                    }
                    Ok(None) => json!({"provider": provider, "available": false, "source": null}),
                    Err(e) => {
                        json!({"provider": provider, "available": false, "source": null, "error": e.to_string()})
                    }
                })
            }
            "keys.set" => {
                #[derive(Deserialize)]
                struct P {
                    provider: ProviderKind,
                    key: String,
                }
                let P { provider, key } = params(p)?;
                self.keychain
                    .set(provider.as_str(), &SecretString::from(key))?;
                // A key goes to the address in force when it was saved.
                crate::key_host::bind(s, provider, &crate::key_host::url_in_force(s, provider))?;
                self.runtime.providers().reset();
                ok(json!({"stored": true}))
            }
            "keys.delete" => {
                let provider = params::<ProviderParam>(p)?.provider;
                let removed = self.keychain.delete(provider.as_str())?;
                self.runtime.providers().reset();
                ok(json!({"removed": removed}))
            }
            "keys.test" => {
                let provider = params::<ProviderParam>(p)?.provider;
                self.test_connection(provider).await
            }

            "models.list" => {
                let provider = params::<ProviderParam>(p)?.provider;
                self.models_list(provider).await
            }
            "models.capabilities" => {
                // What the agent editor warns about: a context window to
                // size to, and a chat template that cannot call tools.
                #[derive(Deserialize)]
                struct P {
                    provider: ProviderKind,
                    model: String,
                }
                let P { provider, model } = params(p)?;
                let client = self
                    .runtime
                    .providers()
                    .get(provider, &self.store)
                    .map_err(|e| invalid(e.to_string()))?;
                let context = crate::provider::learn_context(client.as_ref(), &model).await;
                let tools = crate::provider::learn_tool_support(client.as_ref(), &model).await;
                ok(json!({"context_tokens": context, "supports_tools": tools}))
            }
            // A model's price from the price table, without asking any
            // server (money beside tokens in budgets); null when unknown.
            "models.price" => {
                #[derive(Deserialize)]
                struct P {
                    model: String,
                }
                let model = params::<P>(p)?.model;
                let price = self.runtime.providers().prices().price(&model);
                ok(price.map(|m| {
                    json!({"model": model, "input_usd_per_mtok": m.input, "output_usd_per_mtok": m.output})
                }))
            }

            // Agent editor, onboarding and Settings (see `call_agent_editor`).
            "agents.detach_store"
            | "dreams.schedule_status"
            | "dreams.pause"
            | "dreams.resume"
            | "schedule.validate" => self.call_agent_editor(method, p),

            // The Claude Managed Agents bridge (see `managed_agents::api`).
            m if m.starts_with("managed.") => {
                crate::managed_agents::api::call(&self.store, &self.keychain, m, p).await
            }

            // Dream review and folder mirrors (see `call_dreams_and_mirrors`).
            m if m.starts_with("dreams.") || m.starts_with("memory.mirror_") => {
                self.call_dreams_and_mirrors(m, p).await
            }

            other => Err(ApiError {
                kind: "unknown_method",
                message: format!("the engine has no call named '{other}'"),
            }),
        }
    }

    async fn start_run(
        self: &Arc<Self>,
        agent: String,
        task: String,
        outcome: Option<OutcomeOptions>,
    ) -> Result<Value, ApiError> {
        let agent_row = self.store.agent(&agent)?;
        let cancel = CancellationToken::new();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel::<String>();
        let started_tx = Mutex::new(Some(started_tx));
        let api = Arc::clone(self);
        let sink_api = Arc::clone(self);
        let sink_cancel = cancel.clone();
        let sink = ProgressSink::new(move |p: Progress| {
            if let Progress::SessionStarted { session_id, .. } = &p {
                sink_api
                    .runs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(session_id.clone(), sink_cancel.clone());
                if let Some(tx) = started_tx.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    let _ = tx.send(session_id.clone());
                }
            }
            if let Progress::Finished { session_id, .. } = &p {
                sink_api
                    .runs
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(session_id);
            }
            sink_api.emit(serde_json::to_value(&p).unwrap_or(Value::Null));
        });
        tokio::spawn(async move {
            let request = RunRequest {
                agent: agent_row.name.clone(),
                task,
                limits: None,
            };
            let ran = match outcome {
                Some(options) => api
                    .runtime
                    .run_with_rubric(request, options, cancel, sink)
                    .await
                    .map(|_| ()),
                None => api.runtime.run(request, cancel, sink).await.map(|_| ()),
            };
            if let Err(e) = ran {
                api.emit(
                    json!({"type": "run_failed", "agent": agent_row.name, "error": e.to_string()}),
                );
            }
        });
        match started_rx.await {
            Ok(session_id) => ok(json!({"session_id": session_id})),
            Err(_) => Err(invalid(
                "the run could not start; see the session list for the error",
            )),
        }
    }

    /// Plain-text search across a store's current documents.
    fn search(&self, store: &str, query: &str) -> Result<Vec<Value>, Error> {
        let store_id = self.store.memory_store(store)?.id;
        let needle = query.to_lowercase();
        if needle.trim().is_empty() {
            return Ok(Vec::new());
        }
        let mut hits = Vec::new();
        for doc in self.store.list_documents(&store_id, None)? {
            let Some((_, content)) = self.store.read_document(&store_id, &doc.path)? else {
                continue;
            };
            let in_path = doc.path.to_lowercase().contains(&needle);
            let lines: Vec<Value> = content
                .lines()
                .enumerate()
                .filter(|(_, l)| l.to_lowercase().contains(&needle))
                .take(5)
                .map(|(i, l)| json!({"line": i + 1, "text": l.chars().take(200).collect::<String>()}))
                .collect();
            if in_path || !lines.is_empty() {
                hits.push(json!({"path": doc.path, "matches": lines}));
            }
        }
        Ok(hits)
    }

    /// Sends the smallest possible request with the configured key.
    /// The models a picker offers. Anthropic's come from the price table
    /// (with their prices) plus any newer ones the API lists; an
    /// OpenAI-compatible server's are the ones it lists (local servers name
    /// their own), then those agents and Settings already use. The server is
    /// asked briefly; when it cannot answer the list still comes back, with
    /// the reason in `live_error`.
    async fn models_list(&self, provider: ProviderKind) -> Result<Value, ApiError> {
        let live = match self.runtime.providers().get(provider, &self.store) {
            Err(e) => Err(e.to_string()),
            Ok(p) => match tokio::time::timeout(Duration::from_secs(3), p.list_models()).await {
                Err(_) => Err("the server did not list its models within 3 s".to_string()),
                Ok(Err(e)) => Err(e.to_string()),
                Ok(Ok(ids)) => Ok(ids),
            },
        };
        let priced = |id: &str| {
            let price = self.runtime.providers().prices().price(id);
            json!({
                "id": id,
                "input_usd_per_mtok": price.map(|m| m.input),
                "output_usd_per_mtok": price.map(|m| m.output),
            })
        };
        let mut ids: Vec<String> = Vec::new();
        let mut add = |id: String| {
            if !id.trim().is_empty() && !ids.contains(&id) {
                ids.push(id);
            }
        };
        match provider {
            ProviderKind::Anthropic => {
                for m in self.runtime.providers().prices().models() {
                    if m.model.starts_with("claude-") && !is_snapshot(&m.model) {
                        add(m.model.clone());
                    }
                }
                for id in live.iter().flatten() {
                    if !is_snapshot(id) {
                        add(id.clone());
                    }
                }
            }
            ProviderKind::OpenAi => {
                for id in live.iter().flatten() {
                    add(id.clone());
                }
                let s = &self.store;
                for key in ["defaults.model.openai", "provider.openai.test_model"] {
                    if let Some(m) = s.setting(key)? {
                        add(m);
                    }
                }
                for a in s.list_agents()? {
                    if a.provider == ProviderKind::OpenAi {
                        add(a.model);
                    }
                }
            }
        }
        let models: Vec<Value> = ids.iter().map(|id| priced(id)).collect();
        ok(json!({
            "provider": provider,
            "models": models,
            "live": live.is_ok(),
            "live_error": live.err(),
        }))
    }

    async fn test_connection(&self, kind: ProviderKind) -> Result<Value, ApiError> {
        self.runtime.providers().reset();
        let provider = match self.runtime.providers().get(kind, &self.store) {
            Ok(p) => p,
            Err(e) => return ok(json!({"ok": false, "message": e.to_string()})),
        };
        let model = match kind {
            ProviderKind::Anthropic => "claude-haiku-4-5".to_string(),
            ProviderKind::OpenAi => self
                .store
                .setting("provider.openai.test_model")?
                .unwrap_or_else(|| "llama3.2".into()),
        };
        let mut request = crate::provider::ModelRequest::new(
            model,
            vec![crate::provider::Message::user("Reply with OK.")],
        );
        request.max_tokens = 5;
        let cancel = CancellationToken::new();
        match provider.stream_turn(&request, &cancel, &mut |_| {}).await {
            Ok(_) => ok(json!({"ok": true, "message": "Connected."})),
            Err(e) => ok(json!({"ok": false, "message": e.to_string()})),
        }
    }
}

#[derive(Deserialize)]
struct ProviderParam {
    provider: ProviderKind,
}

// ---- Dream review and folder mirrors (the memory editor and Dreams screens) ----

/// A proposal edit without its content, for lists and the diary.
fn edit_summary(e: &ProposalEdit) -> Value {
    json!({
        "id": e.id, "op": e.op, "path": e.path, "merged_paths": e.merged_paths,
        "reason": e.reason, "source_session_ids": e.source_session_ids, "decision": e.decision,
    })
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

impl Api {
    async fn call_dreams_and_mirrors(
        self: &Arc<Self>,
        method: &str,
        p: Value,
    ) -> Result<Value, ApiError> {
        let s = &self.store;
        #[derive(Deserialize)]
        struct DreamParams {
            agent: String,
            #[serde(default)]
            session_ids: Option<Vec<String>>,
            #[serde(default)]
            budget_tokens: Option<i64>,
            #[serde(default)]
            instructions: String,
            #[serde(default)]
            mode: Option<DreamMode>,
            #[serde(default)]
            apply: Option<bool>,
        }
        let request = |p: DreamParams| DreamRequest {
            agent: p.agent,
            trigger: DreamTrigger::Ui,
            session_ids: p.session_ids.filter(|ids| !ids.is_empty()),
            budget_tokens: p.budget_tokens,
            call_tokens: None,
            context_tokens: None,
            instructions: p.instructions,
            mode: p.mode.unwrap_or(DreamMode::UpdateExisting),
            apply: p.apply,
        };
        match method {
            "dreams.list" => {
                #[derive(Deserialize)]
                struct P {
                    agent: Option<String>,
                    limit: Option<usize>,
                }
                let P { agent, limit } = params(p)?;
                crate::dream::recover(s)?;
                let agent_id = agent.map(|a| s.agent(&a)).transpose()?.map(|a| a.id);
                let names: HashMap<String, String> = s
                    .list_agents()?
                    .into_iter()
                    .map(|a| (a.id, a.name))
                    .collect();
                let mut out = Vec::new();
                for d in s.list_dreams(agent_id.as_deref(), limit.unwrap_or(100))? {
                    let edits: Vec<Value> = s.proposal(&d.id)?.iter().map(edit_summary).collect();
                    let agent = names.get(&d.agent_id).cloned().unwrap_or_default();
                    out.push(json!({"dream": d, "agent": agent, "edits": edits}));
                }
                ok(out)
            }
            "dreams.get" => {
                let id = params::<IdParam>(p)?.id;
                let dream = s.dream(&id)?;
                let edits = s.proposal(&id)?;
                let agent = s.agent(&dream.agent_id)?.name;
                // What each touched document held before the dream, to diff against.
                let mut before = serde_json::Map::new();
                for path in edits
                    .iter()
                    .flat_map(|e| std::iter::once(&e.path).chain(&e.merged_paths))
                {
                    if !before.contains_key(path) {
                        before.insert(path.clone(), self.before_dream(&dream, path)?);
                    }
                }
                ok(json!({"dream": dream, "agent": agent, "edits": edits, "before": before}))
            }
            "dreams.estimate" => ok(self.dreamer.estimate(&request(params(p)?))?),
            "dreams.start" => ok(self
                .dreamer
                .start(request(params(p)?), self.dream_progress_sink())?),
            "dreams.cancel" => {
                let id = params::<IdParam>(p)?.id;
                if self.dreamer.cancel(&id) {
                    ok(json!({"canceled": true}))
                } else {
                    Err(invalid(format!(
                        "dream {id} is not running in this window; it may have finished already"
                    )))
                }
            }
            "dreams.decide" => {
                #[derive(Deserialize)]
                struct P {
                    edit_id: String,
                    decision: EditDecision,
                }
                let P { edit_id, decision } = params(p)?;
                ok(s.decide_edit(&edit_id, decision)?)
            }
            "dreams.decide_all" => {
                #[derive(Deserialize)]
                struct P {
                    id: String,
                    decision: EditDecision,
                }
                let P { id, decision } = params(p)?;
                let mut out = Vec::new();
                for e in s.proposal(&id)? {
                    out.push(if e.decision == decision {
                        e
                    } else {
                        s.decide_edit(&e.id, decision)?
                    });
                }
                ok(out)
            }
            "dreams.apply" => ok(crate::dream::apply_dream(s, &params::<IdParam>(p)?.id)?),
            "dreams.reject" => ok(crate::dream::reject_dream(s, &params::<IdParam>(p)?.id)?),
            "dreams.revert_conflicts" => ok(crate::dream::revert_conflicts(
                s,
                &params::<IdParam>(p)?.id,
            )?),
            "dreams.revert" => {
                #[derive(Deserialize)]
                struct P {
                    id: String,
                    #[serde(default)]
                    choices: std::collections::BTreeMap<String, ConflictChoice>,
                }
                let P { id, choices } = params(p)?;
                ok(crate::dream::revert_dream(s, &id, &choices)?)
            }

            "memory.mirror_status" => {
                let store = s.memory_store(&params::<StoreParam>(p)?.store)?;
                let running = self
                    .mirrors
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&store.id)
                    .is_some_and(|h| h.is_running());
                // The Managed Agents bridge keeps its conflicts in the same table.
                let conflicts: Vec<_> = s
                    .mirror_conflicts(&store.id, false)?
                    .into_iter()
                    .filter(|c| !c.dir.starts_with(crate::managed_agents::PEER_PREFIX))
                    .collect();
                ok(json!({"dir": store.mirror_dir, "running": running, "conflicts": conflicts}))
            }
            "memory.mirror_enable" => {
                #[derive(Deserialize)]
                struct P {
                    store: String,
                    dir: String,
                }
                let P { store, dir } = params(p)?;
                if dir.trim().is_empty() || !std::path::Path::new(dir.trim()).is_absolute() {
                    return Err(invalid(
                        "give the full path of a folder, like /home/you/Notes/memory",
                    ));
                }
                let memory_store = s.memory_store(&store)?;
                // A mirror already running here is stopped first (another folder, or a restart).
                let old = self
                    .mirrors
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&memory_store.id);
                // The mirror holds the event channel, not the API, so dropping the API stops it.
                let (shared, events, store_id) =
                    (s.clone(), self.events.clone(), memory_store.id.clone());
                let dir = std::path::PathBuf::from(dir.trim());
                // The first sync runs before this returns; keep it off the async threads.
                let handle = tokio::task::spawn_blocking(move || {
                    drop(old);
                    let name = store_id.clone();
                    Mirror::new(shared, &store_id, &dir)?.spawn(move |event| {
                        let mut v = serde_json::to_value(event).unwrap_or(Value::Null);
                        v["type"] = json!("mirror");
                        v["store_id"] = json!(name);
                        let _ = events.send(v);
                    })
                })
                .await
                .map_err(|e| invalid(format!("the mirror could not start: {e}")))??;
                let folder = handle.dir().to_string_lossy().to_string();
                s.update_memory_store(
                    &memory_store.id,
                    &MemoryStoreUpdate {
                        mirror_dir: Some(Some(folder.clone())),
                        ..Default::default()
                    },
                )?;
                self.mirrors
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(memory_store.id.clone(), handle);
                ok(json!({"dir": folder, "running": true}))
            }
            "memory.mirror_disable" => {
                let store = s.memory_store(&params::<StoreParam>(p)?.store)?;
                let handle = self
                    .mirrors
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&store.id);
                // Stopping waits for a sync in progress.
                tokio::task::spawn_blocking(move || drop(handle))
                    .await
                    .map_err(|e| invalid(format!("the mirror could not stop: {e}")))?;
                s.update_memory_store(
                    &store.id,
                    &MemoryStoreUpdate {
                        mirror_dir: Some(None),
                        ..Default::default()
                    },
                )?;
                ok(json!({"dir": null, "running": false}))
            }
            "memory.mirror_resolve" => ok(s.resolve_mirror_conflict(&params::<IdParam>(p)?.id)?),

            other => Err(ApiError {
                kind: "unknown_method",
                message: format!("the engine has no call named '{other}'"),
            }),
        }
    }

    /// Starts the folder mirrors the stores are configured with (call once
    /// when the app or `reverie serve` starts). A mirror that cannot start
    /// (its folder is missing, another process mirrors it) is reported as a
    /// `mirror` event with `event: "error"`; the others run until the API is
    /// dropped. Returns how many started.
    pub async fn start_configured_mirrors(self: &Arc<Self>) -> Result<usize, ApiError> {
        let (store, events) = (self.store.clone(), self.events.clone());
        let started = tokio::task::spawn_blocking(move || {
            crate::mirror::start_configured(&store, move |memory_store, event| {
                let mut v = serde_json::to_value(event).unwrap_or(Value::Null);
                v["type"] = json!("mirror");
                v["store_id"] = json!(memory_store.id);
                let _ = events.send(v);
            })
        })
        .await
        .map_err(|e| invalid(format!("the mirrors could not start: {e}")))??;
        let mut count = 0;
        for (memory_store, handle) in started {
            match handle {
                Ok(handle) => {
                    count += 1;
                    self.mirrors
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(memory_store.id.clone(), handle);
                }
                Err(e) => self.emit(json!({"type": "mirror", "event": "error",
                    "store_id": memory_store.id, "message": e.to_string()})),
            }
        }
        Ok(count)
    }

    /// What `path` held just before `dream` wrote it (its current text when
    /// the dream has not been applied), with the current sha256 so a staged
    /// edit whose document changed since can be flagged. Null: no document.
    fn before_dream(&self, dream: &Dream, path: &str) -> Result<Value, Error> {
        let s = &self.store;
        let current = s.read_document(&dream.input_store_id, path)?;
        let current_sha256 = current.as_ref().map(|(d, _)| d.sha256.clone());
        let history = match s.document_history(&dream.input_store_id, path) {
            Ok(h) => h,
            Err(Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        let content = match history
            .iter()
            .position(|v| v.dream_id.as_deref() == Some(dream.id.as_str()))
        {
            // Applied: the version before the dream's first one.
            Some(0) => None,
            Some(i) => match history[i - 1].op {
                VersionOp::Delete => None,
                _ => history[i - 1].content.clone(),
            },
            None => current.map(|(_, c)| c),
        };
        Ok(match content {
            Some(content) => json!({"content": content, "current_sha256": current_sha256}),
            None => json!({"content": null, "current_sha256": current_sha256}),
        })
    }
}

#[derive(Deserialize)]
struct StoreParam {
    store: String,
}

// ---- Agent editor, first-run onboarding and Settings ----

/// A dated snapshot id (`claude-sonnet-4-20250514`): listed under its alias.
fn is_snapshot(model: &str) -> bool {
    model
        .rsplit_once('-')
        .is_some_and(|(_, tail)| tail.len() == 8 && tail.bytes().all(|b| b.is_ascii_digit()))
}

impl Api {
    fn call_agent_editor(self: &Arc<Self>, method: &str, p: Value) -> Result<Value, ApiError> {
        let s = &self.store;
        match method {
            "agents.detach_store" => {
                #[derive(Deserialize)]
                struct P {
                    agent: String,
                    store: String,
                }
                let P { agent, store } = params(p)?;
                let a = s.agent(&agent)?;
                let target = s.memory_store(&store)?;
                if a.default_store().is_some_and(|d| d.store_id == target.id) {
                    return Err(invalid(format!(
                        "'{}' is {}'s own memory and stays attached; detach other stores only",
                        target.name, a.name
                    )));
                }
                if !a.stores.iter().any(|st| st.store_id == target.id) {
                    return Err(invalid(format!(
                        "'{}' is not attached to {}",
                        target.name, a.name
                    )));
                }
                ok(s.detach_store(&a.id, &target.id)?)
            }
            "schedule.validate" => {
                #[derive(Deserialize)]
                struct P {
                    schedule: String,
                }
                let text = params::<P>(p)?.schedule;
                let schedule = Schedule::parse(&text)?;
                let next = schedule.next_slot(chrono::Utc::now());
                ok(json!({"valid": true, "next": next.map(|t| t.to_rfc3339())}))
            }
            "dreams.pause" | "dreams.resume" => {
                Scheduler::set_paused(s, method == "dreams.pause")?;
                let status = self.schedule_status()?;
                self.emit(json!({"type": "dream_schedule", "paused": status["paused"]}));
                ok(status)
            }
            "dreams.schedule_status" => ok(self.schedule_status()?),
            other => Err(ApiError {
                kind: "unknown_method",
                message: format!("the engine has no call named '{other}'"),
            }),
        }
    }

    /// Whether the schedule is paused, and when each scheduled agent dreams next.
    fn schedule_status(&self) -> Result<Value, ApiError> {
        let s = &self.store;
        let scheduler = Scheduler::new(self.dreamer.clone(), Arc::new(SystemClock));
        let next: HashMap<String, Option<String>> = scheduler
            .next_slots()?
            .into_iter()
            .map(|(agent, at)| (agent, at.map(|t| t.to_rfc3339())))
            .collect();
        let agents: Vec<Value> = s
            .list_agents()?
            .into_iter()
            .map(|a| {
                let schedule = a.dream_schedule.filter(|t| !t.trim().is_empty());
                let valid = schedule
                    .as_deref()
                    .is_some_and(|t| Schedule::parse(t).is_ok());
                json!({
                    "agent": a.name,
                    "schedule": schedule,
                    "valid": schedule.is_none() || valid,
                    "next": next.get(&a.name).cloned().flatten(),
                })
            })
            .collect();
        ok(json!({
            "paused": Scheduler::is_paused(s)?,
            "agents": agents,
            "default_budget_tokens": crate::dream::DEFAULT_BUDGET_TOKENS,
            "min_budget_tokens": crate::dream::MIN_BUDGET_TOKENS,
        }))
    }
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

impl Api {
    /// Importing sessions from other tools, exporting a memory store as
    /// files, loading the demo data. The work reads or writes files, so it
    /// runs off the async threads.
    async fn call_interop(self: &Arc<Self>, method: &str, p: Value) -> Result<Value, ApiError> {
        let store = self.store.clone();
        let events = self.events.clone();
        let mut progress = move |summary: &crate::import::ImportSummary| {
            let _ = events.send(import_event(summary));
        };
        let blocking = |work: Box<dyn FnOnce() -> Result<Value, ApiError> + Send>| async move {
            tokio::task::spawn_blocking(work)
                .await
                .map_err(|e| invalid(format!("the work stopped unexpectedly: {e}")))?
        };
        match method {
            "sessions.import" => {
                #[derive(Deserialize)]
                struct P {
                    agent: String,
                    path: String,
                    #[serde(default)]
                    format: Option<String>,
                    #[serde(default)]
                    on_error: Option<String>,
                }
                let P {
                    agent,
                    path,
                    format,
                    on_error,
                } = params(p)?;
                if path.trim().is_empty() {
                    return Err(invalid("give the path of the file to import"));
                }
                let format = crate::import::parse_format(format.as_deref())?;
                let on_error = match on_error.as_deref() {
                    None => crate::import::OnError::Skip,
                    Some(mode) => mode.parse()?,
                };
                blocking(Box::new(move || {
                    ok(crate::import::import_file(
                        &store,
                        &agent,
                        std::path::Path::new(path.trim()),
                        format,
                        on_error,
                        &mut progress,
                    )?)
                }))
                .await
            }
            "demo.load" => {
                blocking(Box::new(move || {
                    ok(crate::demo::load(&store, &mut progress)?)
                }))
                .await
            }
            "memory.export" => {
                #[derive(Deserialize)]
                struct P {
                    store: String,
                    #[serde(default)]
                    dir: String,
                    #[serde(default)]
                    zip: bool,
                    /// A zip in the Downloads folder, under a free name.
                    #[serde(default)]
                    to_downloads: bool,
                }
                let P {
                    store: name,
                    dir,
                    zip,
                    to_downloads,
                } = params(p)?;
                if to_downloads {
                    let downloads = crate::downloads::folder()?;
                    return blocking(Box::new(move || {
                        ok(crate::memory_export::export_zip_into(
                            &store, &name, &downloads,
                        )?)
                    }))
                    .await;
                }
                if dir.trim().is_empty() {
                    return Err(invalid("give the folder (or zip file) to export to"));
                }
                blocking(Box::new(move || {
                    ok(crate::memory_export::export_store(
                        &store,
                        &name,
                        std::path::Path::new(dir.trim()),
                        zip,
                    )?)
                }))
                .await
            }
            other => Err(ApiError {
                kind: "unknown_method",
                message: format!("the engine has no call named '{other}'"),
            }),
        }
    }
}
