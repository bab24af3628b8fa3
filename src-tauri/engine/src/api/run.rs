//! `run.*`: starting a run from the window (graded or not) and canceling it.
//! The run's steps reach the window as events.

use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{Api, ApiError, IdParam, invalid, namespace};
use crate::provider::ProviderKind;
use crate::runtime::{OutcomeOptions, Progress, ProgressSink, RunRequest};

namespace! {
    "run.start" => start(StartParams),
    "run.cancel" => cancel(IdParam),
}

#[derive(Deserialize, schemars::JsonSchema)]
struct StartParams {
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

/// Starts the run in the background; answers with its session id once the
/// session exists.
async fn start(api: &Arc<Api>, p: StartParams) -> Result<Value, ApiError> {
    if p.task.trim().is_empty() {
        return Err(invalid(
            "the task is empty; describe what the agent should do",
        ));
    }
    // Fails now, not in the background, on a bad rubric.
    let outcome = crate::runtime::outcome_loop::rubric_for_run(
        &api.store,
        &p.agent,
        p.rubric,
        p.no_rubric,
    )?
    .map(|rubric| OutcomeOptions {
        rubric,
        max_iterations: p.max_iterations,
        grader_model: p.grader_model,
        grader_provider: p.grader_provider,
    });
    let agent_row = api.store.agent(&p.agent)?;
    let cancel = CancellationToken::new();
    let (started_tx, started_rx) = tokio::sync::oneshot::channel::<String>();
    let started_tx = Mutex::new(Some(started_tx));
    let sink_api = Arc::clone(api);
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
    let api = Arc::clone(api);
    let task = p.task;
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
            api.emit(json!({"type": "run_failed", "agent": agent_row.name, "error": e.to_string()}));
        }
    });
    match started_rx.await {
        Ok(session_id) => Ok(json!({"session_id": session_id})),
        Err(_) => Err(invalid(
            "the run could not start; see the session list for the error",
        )),
    }
}

async fn cancel(api: &Arc<Api>, p: IdParam) -> Result<Value, ApiError> {
    let token = api
        .runs
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&p.id)
        .cloned();
    match token {
        Some(token) => {
            token.cancel();
            Ok(json!({"canceled": true}))
        }
        None => Err(invalid(format!(
            "session {} is not running in this window",
            p.id
        ))),
    }
}
