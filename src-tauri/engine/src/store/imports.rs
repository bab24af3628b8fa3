//! Sessions imported from other tools' logs. Each is written whole in one
//! transaction: the session row (with the source's start and end times),
//! its events in the source's order (stamped with the source's times,
//! never going backwards, so seq order stays time order within the
//! session), and a `session_imports` row saying where it came from. The
//! row's unique import key makes a second import of the same record a
//! no-op, so an import killed halfway is finished by running it again.

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::sessions::insert_event_at;
use super::{CachedSql, NewEvent, SessionStatus, Store};
use crate::{Error, Result, ids};

/// The log formats sessions are imported from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    /// Anthropic Messages JSON: `{system?, messages: [...]}` with content blocks.
    Anthropic,
    /// OpenAI chat JSON: `role` / `content` / `tool_calls` / `tool` messages.
    #[serde(rename = "openai")]
    OpenAi,
    /// Claude Managed Agents session event logs (`user.message`, `agent.tool_use`, ...).
    ManagedAgents,
}

impl SourceFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Anthropic => "anthropic",
            SourceFormat::OpenAi => "openai",
            SourceFormat::ManagedAgents => "managed_agents",
        }
    }
}

impl std::str::FromStr for SourceFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "anthropic" => Ok(SourceFormat::Anthropic),
            "openai" => Ok(SourceFormat::OpenAi),
            "managed_agents" | "managed-agents" => Ok(SourceFormat::ManagedAgents),
            other => Err(Error::Invalid(format!(
                "unknown import format '{other}'; use anthropic, openai or managed-agents"
            ))),
        }
    }
}

/// What the source said about how a session went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ImportedOutcome {
    /// Passed or failed, when the source says (or its reward decides it:
    /// a full reward of 1 passes, anything less fails).
    pub passed: Option<bool>,
    /// The source's reward or score, 0..1.
    pub reward: Option<f64>,
}

impl ImportedOutcome {
    /// "passed", "failed", or "unknown".
    pub fn verdict(&self) -> &'static str {
        match self.passed {
            Some(true) => "passed",
            Some(false) => "failed",
            None => "unknown",
        }
    }
}

/// Where an imported session came from (on [`super::Session::imported`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedFrom {
    pub format: SourceFormat,
    pub file_name: String,
    /// The record's 1-based number in the file.
    pub record: i64,
    /// Its line in a JSON Lines file (in a JSON array: the line it ends on).
    pub line: Option<i64>,
    /// The source's own id for the session, if it had one.
    pub original_id: Option<String>,
    pub imported_at: String,
    pub outcome: Option<ImportedOutcome>,
}

/// Reads the `session_imports` columns starting at `first` (NULLs for a
/// session Reverie ran).
pub(super) fn imported_from_row(
    r: &Row<'_>,
    first: usize,
) -> rusqlite::Result<Option<ImportedFrom>> {
    let format: Option<String> = r.get(first)?;
    let Some(format) = format else {
        return Ok(None);
    };
    let reward: Option<f64> = r.get(first + 6)?;
    let passed: Option<bool> = r.get(first + 7)?;
    Ok(Some(ImportedFrom {
        format: format.parse().map_err(|e: Error| {
            rusqlite::Error::FromSqlConversionFailure(
                first,
                rusqlite::types::Type::Text,
                e.to_string().into(),
            )
        })?,
        file_name: r.get(first + 1)?,
        record: r.get(first + 2)?,
        line: r.get(first + 3)?,
        original_id: r.get(first + 4)?,
        imported_at: r.get(first + 5)?,
        outcome: (reward.is_some() || passed.is_some())
            .then_some(ImportedOutcome { passed, reward }),
    }))
}

/// One event of an imported session, with the source's time if it had one.
#[derive(Debug, Clone)]
pub struct ImportedEvent {
    pub at: Option<String>,
    pub event: NewEvent,
}

/// A session as a source file describes it, ready to store.
#[derive(Debug, Clone)]
pub struct ImportedSession {
    pub task: String,
    pub system_prompt: Option<String>,
    pub status: SessionStatus,
    pub final_answer: Option<String>,
    pub error: Option<String>,
    /// Times as Reverie writes them (see [`crate::ids::format_time`]).
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub outcome: Option<ImportedOutcome>,
    pub original_id: Option<String>,
    pub events: Vec<ImportedEvent>,
}

/// Where in which file a session was read.
#[derive(Debug, Clone)]
pub struct ImportOrigin {
    pub import_key: String,
    pub format: SourceFormat,
    pub file_name: String,
    pub record: i64,
    pub line: Option<i64>,
}

impl Store {
    /// Stores an imported session whole, in one transaction. Returns its
    /// id, or `None` when a session with the same import key exists.
    pub fn insert_imported_session(
        &self,
        agent_id: &str,
        origin: &ImportOrigin,
        session: &ImportedSession,
    ) -> Result<Option<String>> {
        if session.status == SessionStatus::Running {
            return Err(Error::Invalid(
                "an imported session must have finished".into(),
            ));
        }
        let id = ids::new_id();
        let now = ids::now();
        self.write(|tx| {
            let exists = tx
                .query_row_cached(
                    "SELECT 1 FROM session_imports WHERE import_key = ?1",
                    [&origin.import_key],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            if exists {
                return Ok(None);
            }
            // Times never go backwards within the session: an event without
            // a time of its own takes the one before it.
            let first_at = session.events.iter().find_map(|e| e.at.clone());
            let started = session
                .started_at
                .clone()
                .or_else(|| first_at.clone())
                .unwrap_or_else(|| now.clone());
            let mut last = match &first_at {
                Some(first) if *first < started => first.clone(),
                _ => started.clone(),
            };
            let times: Vec<String> = session
                .events
                .iter()
                .map(|e| {
                    if let Some(at) = &e.at
                        && *at > last
                    {
                        last = at.clone();
                    }
                    last.clone()
                })
                .collect();
            let ended = session
                .ended_at
                .clone()
                .filter(|end| *end >= last)
                .unwrap_or_else(|| last.clone());
            tx.execute_cached(
                "INSERT INTO sessions (id, agent_id, parent_id, root_id, task, status, final_answer, error, started_at, ended_at)
                 VALUES (?1, ?2, NULL, ?1, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    id,
                    agent_id,
                    session.task,
                    session.status.as_str(),
                    session.final_answer,
                    session.error,
                    started,
                    ended
                ],
            )
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ffi::ErrorCode::ConstraintViolation) => {
                    Error::not_found("agent", agent_id.to_string())
                }
                _ => Error::Sqlite(e),
            })?;
            let thread = (id.clone(), id.clone());
            for (event, at) in session.events.iter().zip(&times) {
                insert_event_at(tx, &thread, &event.event, at)?;
            }
            let outcome = session.outcome;
            tx.execute_cached(
                "INSERT INTO session_imports (session_id, import_key, format, file_name, record, line,
                   original_id, system_prompt, reward, passed, imported_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    id,
                    origin.import_key,
                    origin.format.as_str(),
                    origin.file_name,
                    origin.record,
                    origin.line,
                    session.original_id,
                    session.system_prompt,
                    outcome.and_then(|o| o.reward),
                    outcome.and_then(|o| o.passed),
                    now
                ],
            )?;
            Ok(Some(id.clone()))
        })
    }

    /// The system prompt an imported session ran with, if its source had one.
    pub fn imported_system_prompt(&self, session_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row_cached(
                "SELECT system_prompt FROM session_imports WHERE session_id = ?1",
                [session_id],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Whether a record with this import key was imported already.
    pub fn is_imported(&self, import_key: &str) -> Result<bool> {
        Ok(self
            .conn()
            .query_row_cached(
                "SELECT 1 FROM session_imports WHERE import_key = ?1",
                [import_key],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }
}
