//! Uploading Reverie sessions as Managed Agents sessions, so a dream run by
//! the Dreams API can read them.
//!
//! The public API creates a session only for a Managed Agents agent in an
//! environment (settings `managed_agents.agent_id` and
//! `managed_agents.environment_id`), and accepts only user-side events:
//! there is no way to post past `agent.message` or `agent.tool_use` events.
//! So a Reverie session travels as what the API allows: a new session whose
//! title and metadata name it, opened (`initial_events`, one atomic call)
//! with one `user.message` that carries the session's transcript as text —
//! the same compact rendering Reverie's own dreams read — introduced as a
//! record, not a request. The remote agent takes a short turn on it.

use std::collections::BTreeMap;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::wire::{SessionCreateParams, UserMessageEventParams};
use super::{AGENT_SETTING, Bridge, ENVIRONMENT_SETTING, links, setting};
use crate::transcript;
use crate::provenance::Evidence;
use crate::store::{Session, SessionStatus};
use crate::{Error, Result, Store};

/// The most transcript one upload carries (tokens, about 4 characters each).
const MAX_TRANSCRIPT_TOKENS: usize = 100_000;
/// Text per content block.
const BLOCK_CHARS: usize = 50_000;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UploadedSession {
    pub session_id: String,
    pub remote_session_id: String,
    /// False when it had been uploaded before and was left alone.
    pub uploaded: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UploadReport {
    pub sessions: Vec<UploadedSession>,
}

pub(super) async fn upload(
    bridge: &Bridge,
    session_ids: &[String],
    force: bool,
) -> Result<UploadReport> {
    let store = bridge.store();
    if session_ids.is_empty() {
        return Err(Error::Invalid(
            "give the ids of the sessions to upload".into(),
        ));
    }
    let needs = |key: &str, flag: &str| {
        Error::Invalid(format!(
            "set {key} first (`reverie managed enable {flag} …`): the Managed Agents API creates a session only for one of your agents in one of your environments"
        ))
    };
    let agent = setting(store, AGENT_SETTING)?.ok_or_else(|| needs(AGENT_SETTING, "--agent-id"))?;
    let environment = setting(store, ENVIRONMENT_SETTING)?
        .ok_or_else(|| needs(ENVIRONMENT_SETTING, "--environment-id"))?;
    // Every session is checked before anything is sent.
    let mut sessions = Vec::new();
    for id in session_ids {
        let session = store.session(id)?;
        if session.status == SessionStatus::Running {
            return Err(Error::Invalid(format!(
                "session {id} is still running; upload it once it has finished"
            )));
        }
        sessions.push(session);
    }
    let cancel = CancellationToken::new();
    let mut out = Vec::new();
    for session in sessions {
        if !force {
            if let Some(remote) = links::uploaded_session(store, &session.id)? {
                out.push(UploadedSession {
                    session_id: session.id,
                    remote_session_id: remote,
                    uploaded: false,
                });
                continue;
            }
        }
        let params = SessionCreateParams {
            agent: agent.clone(),
            environment_id: environment.clone(),
            title: title(&session),
            metadata: metadata(&session),
            initial_events: vec![UserMessageEventParams::text(record_blocks(
                store, &session,
            )?)],
        };
        let created = bridge
            .client
            .create_session(&params, &cancel)
            .await
            .map_err(|e| e.into_error(&format!("uploading session {}", session.id)))?;
        links::record_upload(store, &session.id, &created.id)?;
        out.push(UploadedSession {
            session_id: session.id,
            remote_session_id: created.id,
            uploaded: true,
        });
    }
    Ok(UploadReport { sessions: out })
}

fn clip(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

fn title(session: &Session) -> String {
    let first = session.task.lines().next().unwrap_or("").trim();
    format!("Reverie: {}", clip(first, 200))
}

fn metadata(session: &Session) -> BTreeMap<&'static str, String> {
    [
        ("reverie_session_id", session.id.clone()),
        ("reverie_agent", clip(&session.agent_name, 512)),
        ("reverie_status", session.status.as_str().to_string()),
        ("reverie_started_at", session.started_at.clone()),
    ]
    .into()
}

/// The text the session travels as: a short introduction, then the
/// transcript of the session and its subagent threads in blocks.
fn record_blocks(store: &Store, session: &Session) -> Result<Vec<String>> {
    let threads = if session.parent_id.is_none() {
        store.session_tree(&session.id)?
    } else {
        vec![session.clone()]
    };
    let rendered = transcript::render_sessions(store, &threads, &mut Evidence::new())?;
    let mut text = String::new();
    let mut room = MAX_TRANSCRIPT_TOKENS;
    for r in &rendered {
        let r = transcript::shorten(r, room.max(500));
        room = room.saturating_sub(r.tokens);
        text.push_str(&r.text);
    }
    let mut blocks = vec![format!(
        "This is the record of a session that agent '{}' ran in Reverie, started {} and {}. It was uploaded so that dreams can learn from it. It is history, not a request: there is nothing to do, so reply only with \"Noted.\"",
        session.agent_name,
        session.started_at,
        session.status.as_str()
    )];
    let mut block = String::new();
    for line in text.split_inclusive('\n') {
        if block.len() + line.len() > BLOCK_CHARS && !block.is_empty() {
            blocks.push(std::mem::take(&mut block));
        }
        block.push_str(line);
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    Ok(blocks)
}
