//! Sessions and their append-only event logs. A session is one run of an
//! agent on a task; a subagent's thread is a child session with the same
//! root. Events are written under the root session (one timeline) with the
//! thread that wrote them, so the timeline can page through 100k events by
//! sequence, kind or thread on an index.
//!
//! A running session holds the lease `session:<id>`; when its process dies
//! the session is marked `interrupted` by the next process that opens the
//! folder, with every event that was committed before the kill.
//!
//! It owns every statement on `sessions` and `events`, including the one
//! builder of a filtered event view ([`EventView`]) that both the event
//! reader and `crate::timeline` page through, and the query for the
//! sessions a dream would review. It shapes nothing for a screen and
//! never imports the modules built on the store (`dream`, `timeline`,
//! `runtime`).

use super::CachedSql;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, Row, Transaction, params, params_from_iter};
use serde::{Deserialize, Serialize};

use super::Store;
use super::sql::to_json;
use crate::{Error, Result, ids};

/// How long a running session's lease lasts without renewal.
pub const SESSION_LEASE_TTL: Duration = Duration::from_secs(30);

pub fn session_lease(id: &str) -> String {
    format!("session:{id}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    Running,
    Completed,
    Failed,
    Interrupted,
    Canceled,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Running => "running",
            SessionStatus::Completed => "completed",
            SessionStatus::Failed => "failed",
            SessionStatus::Interrupted => "interrupted",
            SessionStatus::Canceled => "canceled",
        }
    }
}

impl std::str::FromStr for SessionStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "running" => SessionStatus::Running,
            "completed" => SessionStatus::Completed,
            "failed" => SessionStatus::Failed,
            "interrupted" => SessionStatus::Interrupted,
            "canceled" => SessionStatus::Canceled,
            other => {
                return Err(Error::Invalid(format!(
                    "unknown session status '{other}'; use running, completed, failed, interrupted or canceled"
                )));
            }
        })
    }
}

/// Token counts of one model call or a sum of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_creation_input_tokens: i64,
    pub cache_read_input_tokens: i64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, o: Usage) {
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.cache_creation_input_tokens += o.cache_creation_input_tokens;
        self.cache_read_input_tokens += o.cache_read_input_tokens;
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    pub id: String,
    pub agent_id: String,
    pub agent_name: String,
    pub parent_id: Option<String>,
    pub root_id: String,
    pub task: String,
    pub status: SessionStatus,
    pub final_answer: Option<String>,
    pub error: Option<String>,
    pub usage: Usage,
    pub cost_usd: f64,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// Where an imported session came from and how its source said it
    /// went; absent for sessions Reverie ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported: Option<super::ImportedFrom>,
    /// The completed dream that reviewed this session; `None` until one has.
    #[serde(default)]
    pub reviewed_by_dream_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewSession {
    pub agent_id: String,
    pub task: String,
    /// The delegating thread, for a subagent's session.
    pub parent_id: Option<String>,
}

/// What kind of step an event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    UserMessage,
    AssistantText,
    Thinking,
    ToolCall,
    ToolResult,
    MemoryRead,
    MemoryWrite,
    SubagentSpawned,
    SubagentFinished,
    GraderVerdict,
    OutcomeIteration,
    Retry,
    Error,
    LimitReached,
    FinalAnswer,
}

impl EventKind {
    pub const ALL: [EventKind; 15] = [
        EventKind::UserMessage,
        EventKind::AssistantText,
        EventKind::Thinking,
        EventKind::ToolCall,
        EventKind::ToolResult,
        EventKind::MemoryRead,
        EventKind::MemoryWrite,
        EventKind::SubagentSpawned,
        EventKind::SubagentFinished,
        EventKind::GraderVerdict,
        EventKind::OutcomeIteration,
        EventKind::Retry,
        EventKind::Error,
        EventKind::LimitReached,
        EventKind::FinalAnswer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::UserMessage => "user_message",
            EventKind::AssistantText => "assistant_text",
            EventKind::Thinking => "thinking",
            EventKind::ToolCall => "tool_call",
            EventKind::ToolResult => "tool_result",
            EventKind::MemoryRead => "memory_read",
            EventKind::MemoryWrite => "memory_write",
            EventKind::SubagentSpawned => "subagent_spawned",
            EventKind::SubagentFinished => "subagent_finished",
            EventKind::GraderVerdict => "grader_verdict",
            EventKind::OutcomeIteration => "outcome_iteration",
            EventKind::Retry => "retry",
            EventKind::Error => "error",
            EventKind::LimitReached => "limit_reached",
            EventKind::FinalAnswer => "final_answer",
        }
    }
}

impl std::str::FromStr for EventKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::Invalid(format!("unknown event kind '{s}'")))
    }
}

/// An event to append. `thread_id` defaults to the session itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewEvent {
    pub kind: EventKind,
    pub thread_id: Option<String>,
    pub parent_thread_id: Option<String>,
    pub latency_ms: Option<i64>,
    pub usage: Option<Usage>,
    pub cost_usd: Option<f64>,
    pub data: serde_json::Value,
}

impl NewEvent {
    pub fn new(kind: EventKind, data: serde_json::Value) -> Self {
        NewEvent {
            kind,
            thread_id: None,
            parent_thread_id: None,
            latency_ms: None,
            usage: None,
            cost_usd: None,
            data,
        }
    }
    pub fn in_thread(mut self, thread_id: &str, parent_thread_id: Option<&str>) -> Self {
        self.thread_id = Some(thread_id.into());
        self.parent_thread_id = parent_thread_id.map(str::to_string);
        self
    }
    pub fn with_usage(mut self, usage: Usage, cost_usd: f64, latency_ms: i64) -> Self {
        self.usage = Some(usage);
        self.cost_usd = Some(cost_usd);
        self.latency_ms = Some(latency_ms);
        self
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub session_id: String,
    pub thread_id: String,
    pub parent_thread_id: Option<String>,
    pub kind: EventKind,
    pub at: String,
    pub latency_ms: Option<i64>,
    pub usage: Option<Usage>,
    pub cost_usd: Option<f64>,
    pub data: serde_json::Value,
}

/// A page of a session's timeline: events after `after_seq`, optionally of
/// some kinds or one thread, at most `limit`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventQuery {
    pub after_seq: Option<i64>,
    /// Start at the first event at or after this RFC 3339 time.
    pub from_time: Option<String>,
    pub limit: Option<usize>,
    #[serde(default)]
    pub kinds: Vec<EventKind>,
    pub thread_id: Option<String>,
}

/// A filtered view of a session tree's events (see [`Store::event_view`]):
/// the one place the tree/thread/kind filter is built, shared by the event
/// reader and the timeline.
#[derive(Debug, Clone)]
pub struct EventView {
    root: String,
    sql: String,
    args: Vec<SqlValue>,
}

impl EventView {
    /// The root session of the tree.
    pub fn root(&self) -> &str {
        &self.root
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SessionFilter {
    pub agent: Option<String>,
    pub status: Option<SessionStatus>,
    /// Only sessions started by the user, not subagent threads.
    #[serde(default)]
    pub roots_only: bool,
    pub started_after: Option<String>,
    pub started_before: Option<String>,
    pub limit: Option<usize>,
}

const SESSION_COLUMNS: &str = "s.id, s.agent_id, a.name, s.parent_id, s.root_id, s.task, s.status, s.final_answer, \
    s.error, s.input_tokens, s.output_tokens, s.cache_creation_input_tokens, s.cache_read_input_tokens, \
    s.cost_usd, s.started_at, s.ended_at, i.format, i.file_name, i.record, i.line, i.original_id, \
    i.imported_at, i.reward, i.passed, s.reviewed_by_dream_id";

/// Sessions with their agent's name and, for imported ones, their source.
const SESSION_FROM: &str = "sessions s JOIN agents a ON a.id = s.agent_id \
    LEFT JOIN session_imports i ON i.session_id = s.id";

fn session_from_row(r: &Row<'_>) -> rusqlite::Result<Session> {
    let status: String = r.get(6)?;
    Ok(Session {
        id: r.get(0)?,
        agent_id: r.get(1)?,
        agent_name: r.get(2)?,
        parent_id: r.get(3)?,
        root_id: r.get(4)?,
        task: r.get(5)?,
        status: status.parse().unwrap_or(SessionStatus::Failed),
        final_answer: r.get(7)?,
        error: r.get(8)?,
        usage: Usage {
            input_tokens: r.get(9)?,
            output_tokens: r.get(10)?,
            cache_creation_input_tokens: r.get(11)?,
            cache_read_input_tokens: r.get(12)?,
        },
        cost_usd: r.get(13)?,
        started_at: r.get(14)?,
        ended_at: r.get(15)?,
        imported: super::imports::imported_from_row(r, 16)?,
        reviewed_by_dream_id: r.get(24)?,
    })
}

const EVENT_COLUMNS: &str = "seq, session_id, thread_id, parent_thread_id, kind, at, latency_ms, input_tokens, \
    output_tokens, cache_creation_input_tokens, cache_read_input_tokens, cost_usd, data";

/// Columns as read: a NULL thread means the root session's own thread.
const EVENT_SELECT: &str = "seq, session_id, COALESCE(thread_id, session_id), parent_thread_id, kind, at, latency_ms, \
    input_tokens, output_tokens, cache_creation_input_tokens, cache_read_input_tokens, cost_usd, data";

fn event_from_row(r: &Row<'_>) -> rusqlite::Result<Event> {
    let kind: String = r.get(4)?;
    let input: Option<i64> = r.get(7)?;
    // Parsed straight from SQLite's buffer: a timeline page or a dream
    // reads many thousands of events.
    let data = r.get_ref(12)?.as_str()?;
    Ok(Event {
        seq: r.get(0)?,
        session_id: r.get(1)?,
        thread_id: r.get(2)?,
        parent_thread_id: r.get(3)?,
        kind: kind.parse().map_err(|e: Error| {
            rusqlite::Error::FromSqlConversionFailure(
                4,
                rusqlite::types::Type::Text,
                e.to_string().into(),
            )
        })?,
        at: r.get(5)?,
        latency_ms: r.get(6)?,
        usage: match input {
            Some(input_tokens) => Some(Usage {
                input_tokens,
                output_tokens: r.get::<_, Option<i64>>(8)?.unwrap_or(0),
                cache_creation_input_tokens: r.get::<_, Option<i64>>(9)?.unwrap_or(0),
                cache_read_input_tokens: r.get::<_, Option<i64>>(10)?.unwrap_or(0),
            }),
            None => None,
        },
        cost_usd: r.get(11)?,
        data: super::sql::from_json(data)?,
    })
}

fn insert_event(tx: &Transaction<'_>, session: &(String, String), event: &NewEvent) -> Result<i64> {
    insert_event_at(tx, session, event, &ids::now())
}

/// Appends an event stamped `at` (now, or an imported event's own time).
pub(super) fn insert_event_at(
    tx: &Transaction<'_>,
    session: &(String, String),
    event: &NewEvent,
    at: &str,
) -> Result<i64> {
    let (thread_id, root_id) = session;
    let thread = event.thread_id.as_deref().unwrap_or(thread_id);
    let stored_thread = (thread != root_id).then_some(thread);
    let usage = event.usage;
    let mut stmt = tx.prepare_cached(&format!(
        "INSERT INTO events ({EVENT_COLUMNS}) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    ))?;
    stmt.execute(params![
        root_id,
        stored_thread,
        event.parent_thread_id,
        event.kind.as_str(),
        at,
        event.latency_ms,
        usage.map(|u| u.input_tokens),
        usage.map(|u| u.output_tokens),
        usage.map(|u| u.cache_creation_input_tokens),
        usage.map(|u| u.cache_read_input_tokens),
        event.cost_usd,
        // Errors and retries quote URLs; a key written into one is masked.
        match event.kind {
            EventKind::Error | EventKind::Retry => {
                crate::redact::mask_url_credentials(&to_json(&event.data)).into_owned()
            }
            _ => to_json(&event.data),
        },
    ])?;
    let seq = tx.last_insert_rowid();
    if usage.is_some() || event.cost_usd.is_some() {
        // Totals live on the thread's own session row, updated in the same
        // transaction as the event so they can never disagree.
        let u = usage.unwrap_or_default();
        tx.prepare_cached(
            "UPDATE sessions SET input_tokens = input_tokens + ?2, output_tokens = output_tokens + ?3,
             cache_creation_input_tokens = cache_creation_input_tokens + ?4,
             cache_read_input_tokens = cache_read_input_tokens + ?5, cost_usd = cost_usd + ?6 WHERE id = ?1",
        )?
        .execute(params![
            thread,
            u.input_tokens,
            u.output_tokens,
            u.cache_creation_input_tokens,
            u.cache_read_input_tokens,
            event.cost_usd.unwrap_or(0.0)
        ])?;
    }
    Ok(seq)
}

/// (id, root_id) of a running session, or an error saying why not.
fn running_session(tx: &Transaction<'_>, session_id: &str) -> Result<(String, String)> {
    let row: Option<(String, String)> = tx
        .prepare_cached("SELECT root_id, status FROM sessions WHERE id = ?1")?
        .query_row([session_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        None => Err(Error::not_found("session", session_id)),
        Some((root, status)) if status == "running" => Ok((session_id.to_string(), root)),
        Some((_, status)) => Err(Error::Invalid(format!(
            "session {session_id} is {status}; events can only be added to a running session (resume it first)"
        ))),
    }
}

impl Store {
    /// Starts a session (status `running`) and claims its lease for this process.
    pub fn create_session(&self, new: &NewSession) -> Result<Session> {
        let id = ids::new_id();
        self.write(|tx| insert_session_in(tx, &id, new))?;
        self.session(&id)
    }

    pub fn session(&self, id: &str) -> Result<Session> {
        self.conn()
            .query_row_cached(
                &format!("SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} WHERE s.id = ?1"),
                [id],
                session_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::not_found("session", id))
    }

    /// Sessions, newest first.
    pub fn list_sessions(&self, filter: &SessionFilter) -> Result<Vec<Session>> {
        let mut sql = format!("SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} WHERE 1=1");
        let mut args: Vec<String> = Vec::new();
        if let Some(agent) = &filter.agent {
            args.push(agent.clone());
            sql += &format!(" AND (a.name = ?{0} OR a.id = ?{0})", args.len());
        }
        if let Some(status) = filter.status {
            args.push(status.as_str().into());
            sql += &format!(" AND s.status = ?{}", args.len());
        }
        if filter.roots_only {
            sql += " AND s.parent_id IS NULL";
        }
        if let Some(after) = &filter.started_after {
            args.push(after.clone());
            sql += &format!(" AND s.started_at >= ?{}", args.len());
        }
        if let Some(before) = &filter.started_before {
            args.push(before.clone());
            sql += &format!(" AND s.started_at < ?{}", args.len());
        }
        sql += &format!(
            " ORDER BY s.started_at DESC, s.id DESC LIMIT {}",
            filter.limit.unwrap_or(1000)
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_map(params_from_iter(args), session_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Subagent threads of a session tree (every session with this root).
    pub fn session_tree(&self, root_id: &str) -> Result<Vec<Session>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} WHERE s.root_id = ?1 ORDER BY s.started_at, s.id"
        ))?;
        Ok(stmt
            .query_map([root_id], session_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Appends one event in its own durable commit; returns its sequence number.
    pub fn append_event(&self, session_id: &str, event: &NewEvent) -> Result<i64> {
        self.write(|tx| {
            let session = running_session(tx, session_id)?;
            insert_event(tx, &session, event)
        })
    }

    /// Appends many events in one commit (all or none).
    pub fn append_events(&self, session_id: &str, events: &[NewEvent]) -> Result<Vec<i64>> {
        self.write(|tx| {
            let session = running_session(tx, session_id)?;
            events
                .iter()
                .map(|e| insert_event(tx, &session, e))
                .collect()
        })
    }

    /// The filtered view of a session tree's events that both the event
    /// reader and the timeline use: the tree of `session_id` (a subagent's
    /// session on its own shows its thread only), one thread, some kinds.
    pub fn event_view(
        &self,
        session_id: &str,
        thread_id: Option<&str>,
        kinds: &[EventKind],
    ) -> Result<EventView> {
        let root: String = self
            .conn()
            .query_row_cached(
                "SELECT root_id FROM sessions WHERE id = ?1",
                [session_id],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::not_found("session", session_id))?;
        let mut args: Vec<SqlValue> = Vec::new();
        let thread = thread_id
            .map(str::to_string)
            .or_else(|| (root != session_id).then(|| session_id.to_string()));
        let mut sql = match thread {
            Some(thread) if thread == root => {
                args.push(root.clone().into());
                String::from("session_id = ?1 AND thread_id IS NULL")
            }
            Some(thread) => {
                args.push(thread.into());
                String::from("thread_id = ?1")
            }
            None => {
                args.push(root.clone().into());
                String::from("session_id = ?1")
            }
        };
        if !kinds.is_empty() {
            let marks: Vec<String> = kinds
                .iter()
                .map(|k| {
                    args.push(k.as_str().to_string().into());
                    format!("?{}", args.len())
                })
                .collect();
            sql += &format!(" AND kind IN ({})", marks.join(", "));
        }
        Ok(EventView { root, sql, args })
    }

    /// Events in a view, in `seq` order.
    pub fn view_count(&self, view: &EventView) -> Result<i64> {
        Ok(self.conn().query_row_cached(
            &format!("SELECT COUNT(*) FROM events WHERE {}", view.sql),
            params_from_iter(view.args.iter()),
            |r| r.get(0),
        )?)
    }

    /// The `seq` of the event at 0-based `position` of a view, if any.
    pub fn view_seq_at(&self, view: &EventView, position: i64) -> Result<Option<i64>> {
        Ok(self
            .conn()
            .query_row_cached(
                &format!(
                    "SELECT seq FROM events WHERE {} ORDER BY seq LIMIT 1 OFFSET {position}",
                    view.sql
                ),
                params_from_iter(view.args.iter()),
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every `seq` of a view, in order (read from an index).
    pub fn view_seqs(&self, view: &EventView) -> Result<Vec<i64>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("SELECT seq FROM events WHERE {} ORDER BY seq", view.sql))?;
        Ok(stmt
            .query_map(params_from_iter(view.args.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The `seq`s of a view's errors, sorted: error and limit events (on
    /// the kind index) and tool results that failed (only those have
    /// their data read).
    pub fn view_error_seqs(&self, view: &EventView) -> Result<Vec<i64>> {
        let conn = self.conn();
        let mut seqs: Vec<i64> = Vec::new();
        for extra in [
            "kind IN ('error', 'limit_reached')",
            "kind = 'tool_result' AND json_extract(data, '$.is_error') = 1",
        ] {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT seq FROM events WHERE {} AND {extra}",
                view.sql
            ))?;
            for seq in stmt.query_map(params_from_iter(view.args.iter()), |r| r.get(0))? {
                seqs.push(seq?);
            }
        }
        seqs.sort_unstable();
        Ok(seqs)
    }

    /// Events per kind and per thread of a whole session tree (the root's
    /// own thread under the root's id).
    pub fn event_counts(
        &self,
        root_id: &str,
    ) -> Result<(BTreeMap<String, i64>, BTreeMap<String, i64>)> {
        let conn = self.conn();
        let kinds: BTreeMap<String, i64> = {
            let mut stmt = conn.prepare_cached(
                "SELECT kind, COUNT(*) FROM events WHERE session_id = ?1 GROUP BY kind",
            )?;
            stmt.query_map([root_id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        // Per thread on the thread index; the root's own thread is the rest.
        let total: i64 = conn.query_row_cached(
            "SELECT COUNT(*) FROM events WHERE session_id = ?1",
            [root_id],
            |r| r.get(0),
        )?;
        let mut threads = BTreeMap::new();
        {
            let mut subs =
                conn.prepare_cached("SELECT id FROM sessions WHERE root_id = ?1 AND id != ?1")?;
            let ids: Vec<String> = subs
                .query_map([root_id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let mut one =
                conn.prepare_cached("SELECT COUNT(*) FROM events WHERE thread_id = ?1")?;
            for id in ids {
                let n: i64 = one.query_row([&id], |r| r.get(0))?;
                threads.insert(id, n);
            }
        }
        let others: i64 = threads.values().sum();
        threads.insert(root_id.to_string(), total - others);
        Ok((kinds, threads))
    }

    /// Subagent threads per session tree: root id → count.
    pub fn thread_counts(&self) -> Result<HashMap<String, i64>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT root_id, COUNT(*) - 1 FROM sessions GROUP BY root_id")?;
        Ok(stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The finished sessions of an agent that no completed dream has
    /// reviewed yet, oldest first: its own sessions, the ones it ran as
    /// another agent's subagent, and imported ones, whatever their age.
    pub fn unreviewed_sessions(&self, agent_id: &str) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM sessions WHERE agent_id = ?1 AND status != 'running'
               AND reviewed_by_dream_id IS NULL
               AND id NOT IN (SELECT session_id FROM eval_sessions) ORDER BY started_at, id",
        )?;
        Ok(stmt
            .query_map([agent_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// [`Store::unreviewed_sessions`], whole, in one query: what a new
    /// dream would review.
    pub fn sessions_to_review(&self, agent_id: &str) -> Result<Vec<Session>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} WHERE s.agent_id = ?1 AND s.status != 'running'
               AND s.reviewed_by_dream_id IS NULL
               AND s.id NOT IN (SELECT session_id FROM eval_sessions) ORDER BY s.started_at, s.id"
        ))?;
        Ok(stmt
            .query_map([agent_id], session_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// A page of the timeline of a session tree (pass the root session id).
    pub fn events(&self, session_id: &str, query: &EventQuery) -> Result<Vec<Event>> {
        let view = self.event_view(session_id, query.thread_id.as_deref(), &query.kinds)?;
        let EventView {
            root,
            sql: filter,
            mut args,
        } = view;
        let mut sql = format!("SELECT {EVENT_SELECT} FROM events WHERE {filter}");
        if let Some(from) = &query.from_time {
            // Times grow with seq, so the first event at or after `from`
            // bounds the page; found on the (session_id, seq) index.
            args.push(root.clone().into());
            args.push(from.clone().into());
            sql += &format!(
                " AND seq >= COALESCE((SELECT seq FROM events WHERE session_id = ?{} AND at >= ?{} ORDER BY seq LIMIT 1), 9223372036854775807)",
                args.len() - 1,
                args.len()
            );
        }
        args.push(query.after_seq.unwrap_or(0).into());
        sql += &format!(" AND seq > ?{}", args.len());
        sql += &format!(
            " ORDER BY seq LIMIT {}",
            query.limit.unwrap_or(1000).min(100_000)
        );
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&sql)?;
        Ok(stmt
            .query_map(params_from_iter(args), event_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Number of events in a session tree (or a subagent thread).
    pub fn event_count(&self, session_id: &str) -> Result<i64> {
        let session = self.session(session_id)?;
        let conn = self.conn();
        Ok(if session.root_id == session.id {
            conn.query_row_cached(
                "SELECT COUNT(*) FROM events WHERE session_id = ?1",
                [session_id],
                |r| r.get(0),
            )?
        } else {
            conn.query_row_cached(
                "SELECT COUNT(*) FROM events WHERE thread_id = ?1",
                [session_id],
                |r| r.get(0),
            )?
        })
    }

    /// Ends a running session.
    pub fn finish_session(
        &self,
        id: &str,
        status: SessionStatus,
        final_answer: Option<&str>,
        error: Option<&str>,
    ) -> Result<Session> {
        if status == SessionStatus::Running {
            return Err(Error::Invalid(
                "a session cannot finish as 'running'".into(),
            ));
        }
        let changed = self.write(|tx| {
            let changed = tx.execute_cached(
                "UPDATE sessions SET status = ?2, final_answer = COALESCE(?3, final_answer), error = ?4, ended_at = ?5
                 WHERE id = ?1 AND status = 'running'",
                params![
                    id,
                    status.as_str(),
                    final_answer,
                    error.map(|e| crate::redact::mask_url_credentials(e).into_owned()),
                    ids::now()
                ],
            )?;
            if changed > 0 {
                super::leases::release_lease_in(tx, &session_lease(id))?;
            }
            Ok(changed)
        })?;
        if changed == 0 {
            let current = self.session(id)?;
            return Err(Error::Invalid(format!(
                "session {id} is already {}",
                current.status.as_str()
            )));
        }
        self.session(id)
    }

    /// Puts an interrupted (or failed) session back to `running` under this
    /// process, so a runtime can continue it.
    pub fn resume_session(&self, id: &str) -> Result<Session> {
        if !self.try_acquire_lease(&session_lease(id), SESSION_LEASE_TTL)? {
            return Err(Error::Conflict(format!(
                "session {id} is still running in another Reverie process"
            )));
        }
        let changed = self.write(|tx| {
            Ok(tx.execute_cached(
                "UPDATE sessions SET status = 'running', ended_at = NULL, error = NULL
                 WHERE id = ?1 AND status IN ('interrupted', 'failed', 'running')",
                [id],
            )?)
        })?;
        if changed == 0 {
            let current = self.session(id)?;
            self.release_lease(&session_lease(id))?;
            return Err(Error::Invalid(format!(
                "session {id} is {}; only interrupted or failed sessions can be resumed",
                current.status.as_str()
            )));
        }
        self.session(id)
    }

    /// Reopens a subagent's finished thread so its lead can message it
    /// again within the same session.
    pub fn reopen_thread(&self, id: &str) -> Result<Session> {
        if !self.try_acquire_lease(&session_lease(id), SESSION_LEASE_TTL)? {
            return Err(Error::Conflict(format!(
                "thread {id} is busy in another Reverie process"
            )));
        }
        let changed = self.write(|tx| {
            Ok(tx.execute_cached(
                "UPDATE sessions SET status = 'running', ended_at = NULL, error = NULL
                 WHERE id = ?1 AND parent_id IS NOT NULL AND status != 'running'",
                [id],
            )?)
        })?;
        if changed == 0 {
            self.release_lease(&session_lease(id))?;
            return Err(Error::Invalid(format!(
                "{id} is not a finished subagent thread of this session"
            )));
        }
        self.session(id)
    }

    /// Marks every `running` session whose owner process is gone (or whose
    /// lease expired) as `interrupted`. Called when a process opens the
    /// folder; returns the ids it marked.
    pub fn mark_interrupted_sessions(&self) -> Result<Vec<String>> {
        let running: Vec<String> = {
            let conn = self.conn();
            let mut stmt =
                conn.prepare_cached("SELECT id FROM sessions WHERE status = 'running'")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut marked = Vec::new();
        for id in running {
            if self.lease_is_held(&session_lease(&id))? {
                continue;
            }
            let changed = self.write(|tx| {
                let n = tx.execute_cached(
                    "UPDATE sessions SET status = 'interrupted', ended_at = ?2,
                     error = 'the process running this session stopped before it finished'
                     WHERE id = ?1 AND status = 'running'",
                    params![id, ids::now()],
                )?;
                tx.execute_cached("DELETE FROM leases WHERE name = ?1", [session_lease(&id)])?;
                Ok(n)
            })?;
            if changed == 1 {
                marked.push(id);
            }
        }
        // Their outcomes can no longer be decided.
        self.mark_interrupted_outcomes()?;
        Ok(marked)
    }

    /// Keeps this process's session leases alive; call every few seconds
    /// while sessions run.
    pub fn renew_session_lease(&self, id: &str) -> Result<bool> {
        self.renew_lease(&session_lease(id), SESSION_LEASE_TTL)
    }
}

/// Inserts a running session (and takes its lease) inside `tx`.
pub(super) fn insert_session_in(tx: &rusqlite::Transaction<'_>, id: &str, new: &NewSession) -> Result<()> {
    let root: String = match &new.parent_id {
        Some(parent) => tx
            .query_row_cached(
                "SELECT root_id FROM sessions WHERE id = ?1",
                [parent],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::not_found("session", parent.clone()))?,
        None => id.to_string(),
    };
    tx.execute_cached(
        "INSERT INTO sessions (id, agent_id, parent_id, root_id, task, status, started_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6)",
        params![id, new.agent_id, new.parent_id, root, new.task, ids::now()],
    )
    .map_err(|e| match e.sqlite_error_code() {
        Some(rusqlite::ffi::ErrorCode::ConstraintViolation) => {
            Error::not_found("agent", new.agent_id.clone())
        }
        _ => Error::Sqlite(e),
    })?;
    super::leases::take_new_lease_in(tx, &session_lease(id), SESSION_LEASE_TTL)
}
