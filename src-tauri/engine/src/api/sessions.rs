//! `sessions.*`: the session list and timeline, export and import.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Api, ApiError, IdParam, import_event, invalid, namespace};
use crate::store::{EventQuery, SessionFilter};
use crate::timeline::{OverviewFilter, TimelineFilter};

namespace! {
    "sessions.list" => list(SessionFilter),
    "sessions.get" => get(IdParam),
    "sessions.events" => events(EventsParams),
    "sessions.overview" => overview(OverviewFilter),
    "sessions.page" => page(PageParams),
    "sessions.marks" => marks(MarksParams),
    "sessions.export" => export(ExportParams),
    "sessions.import" => import(ImportParams),
}

async fn list(api: &Arc<Api>, p: SessionFilter) -> Result<Value, ApiError> {
    super::ok(api.store.list_sessions(&p)?)
}

/// A session with its thread tree, outcomes and event count.
async fn get(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    let s = &api.store;
    let session = s.session(&p.id)?;
    let threads = s.session_tree(&session.root_id)?;
    let outcomes = s.outcomes_for_session(&p.id)?;
    let event_count = s.event_count(&p.id)?;
    Ok(json!({"session": session, "threads": threads, "outcomes": outcomes, "event_count": event_count}))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct EventsParams {
    id: String,
    #[serde(flatten)]
    query: EventQuery,
}

async fn events(api: &Arc<Api>, p: EventsParams) -> Result<Value, ApiError> {
    super::ok(api.store.events(&p.id, &p.query)?)
}

async fn overview(api: &Arc<Api>, p: OverviewFilter) -> Result<Value, ApiError> {
    super::ok(crate::timeline::overview(&api.store, &p)?)
}

fn default_page() -> i64 {
    200
}

#[derive(Deserialize, schemars::JsonSchema)]
struct PageParams {
    id: String,
    #[serde(default)]
    offset: i64,
    #[serde(default = "default_page")]
    limit: i64,
    #[serde(flatten)]
    filter: TimelineFilter,
}

async fn page(api: &Arc<Api>, p: PageParams) -> Result<Value, ApiError> {
    super::ok(crate::timeline::page(
        &api.store, &p.id, &p.filter, p.offset, p.limit,
    )?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct MarksParams {
    id: String,
    #[serde(flatten)]
    filter: TimelineFilter,
}

async fn marks(api: &Arc<Api>, p: MarksParams) -> Result<Value, ApiError> {
    super::ok(crate::timeline::marks(&api.store, &p.id, &p.filter)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ExportParams {
    id: String,
    #[serde(default)]
    format: crate::session_export::ExportFormat,
}

async fn export(api: &Arc<Api>, p: ExportParams) -> Result<Value, ApiError> {
    let (file_name, document) = crate::session_export::export(&api.store, &p.id, p.format)?;
    Ok(json!({"file_name": file_name, "document": document}))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ImportParams {
    agent: String,
    path: String,
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    on_error: Option<String>,
}

/// Imports sessions from another tool's file; off the async threads.
async fn import(api: &Arc<Api>, p: ImportParams) -> Result<Value, ApiError> {
    if p.path.trim().is_empty() {
        return Err(invalid("give the path of the file to import"));
    }
    let format = crate::import::parse_format(p.format.as_deref())?;
    let on_error = match p.on_error.as_deref() {
        None => crate::import::OnError::Skip,
        Some(mode) => mode.parse()?,
    };
    let (store, events) = (api.store.clone(), api.events.clone());
    Api::blocking(move || {
        let mut progress = move |summary: &crate::import::ImportSummary| {
            let _ = events.send(import_event(summary));
        };
        super::ok(crate::import::import_file(
            &store,
            &p.agent,
            std::path::Path::new(p.path.trim()),
            format,
            on_error,
            &mut progress,
        )?)
    })
    .await
}
