//! The session timeline as the app reads it: a session tree's events by
//! position (so a virtualised list can open at any row of a 100k-event
//! session), the positions of its errors (to jump between them), counts per
//! kind and thread (for the filters), and the session list with each
//! session's outcome.
//!
//! Read-only: it never writes a row. Positions are 0-based ranks among the
//! events that pass the same filter, in `seq` order.

use std::collections::{BTreeMap, HashMap};

use rusqlite::params_from_iter;
use rusqlite::types::Value as SqlValue;
use serde::{Deserialize, Serialize};

use crate::store::{Event, EventKind, OutcomeResult, Session, SessionFilter};
use crate::{Error, Result, Store};

/// Which of a session tree's events a view shows.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TimelineFilter {
    /// Only these kinds (all when empty).
    #[serde(default)]
    pub kinds: Vec<EventKind>,
    /// Only this thread (a subagent's session id, or the root's own id).
    #[serde(default)]
    pub thread_id: Option<String>,
}

/// A page of the timeline: `events` start at position `offset` of `total`.
#[derive(Debug, Clone, Serialize)]
pub struct TimelinePage {
    pub total: i64,
    pub offset: i64,
    pub events: Vec<Event>,
}

/// Where to look in a long timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineMarks {
    /// Positions (in the filtered view) of errors: error and limit events,
    /// and tool results that failed.
    pub errors: Vec<i64>,
    /// Events per kind in the whole tree (unfiltered), for the filter chips.
    pub kinds: BTreeMap<String, i64>,
    /// Events per thread in the whole tree (unfiltered).
    pub threads: BTreeMap<String, i64>,
}

/// A session in the list, with its latest outcome if it was graded.
#[derive(Debug, Clone, Serialize)]
pub struct SessionOverview {
    #[serde(flatten)]
    pub session: Session,
    /// Subagent threads under this session.
    pub thread_count: i64,
    pub outcome: Option<OutcomeSummary>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutcomeSummary {
    pub result: Option<OutcomeResult>,
    pub score: Option<f64>,
    pub iterations: i64,
}

/// What the outcome filter of the session list matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeFilter {
    /// Sessions never graded.
    Ungraded,
    /// Graded with any result.
    Graded,
    Satisfied,
    NeedsRevision,
    MaxIterationsReached,
    Failed,
    Interrupted,
}

impl OutcomeFilter {
    /// The stored result this filter matches, for the ones that name one.
    fn result(self) -> Option<&'static str> {
        Some(match self {
            OutcomeFilter::Ungraded | OutcomeFilter::Graded => return None,
            OutcomeFilter::Satisfied => "satisfied",
            OutcomeFilter::NeedsRevision => "needs_revision",
            OutcomeFilter::MaxIterationsReached => "max_iterations_reached",
            OutcomeFilter::Failed => "failed",
            OutcomeFilter::Interrupted => "interrupted",
        })
    }
}

#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
pub struct OverviewFilter {
    #[serde(flatten)]
    pub sessions: SessionFilter,
    pub outcome: Option<OutcomeFilter>,
}

/// The most rows one page may hold.
pub const MAX_PAGE: i64 = 2000;

/// `WHERE` clause and arguments selecting a filtered view of a tree.
fn view_sql(
    store: &Store,
    session_id: &str,
    filter: &TimelineFilter,
) -> Result<(String, Vec<SqlValue>)> {
    let session = store.session(session_id)?;
    let root = session.root_id.clone();
    // A subagent's session on its own shows its thread only.
    let thread = filter
        .thread_id
        .clone()
        .or_else(|| (root != session.id).then(|| session.id.clone()));
    let mut args: Vec<SqlValue> = vec![root.clone().into()];
    let mut sql = String::from("session_id = ?1");
    match thread {
        Some(t) if t == root => sql += " AND thread_id IS NULL",
        Some(t) => {
            args.push(t.into());
            sql += &format!(" AND thread_id = ?{}", args.len());
        }
        None => {}
    }
    if !filter.kinds.is_empty() {
        let marks: Vec<String> = filter
            .kinds
            .iter()
            .map(|k| {
                args.push(k.as_str().to_string().into());
                format!("?{}", args.len())
            })
            .collect();
        sql += &format!(" AND kind IN ({})", marks.join(", "));
    }
    Ok((sql, args))
}

/// Events at positions `offset..offset + limit` of a filtered view.
pub fn page(
    store: &Store,
    session_id: &str,
    filter: &TimelineFilter,
    offset: i64,
    limit: i64,
) -> Result<TimelinePage> {
    if offset < 0 || !(1..=MAX_PAGE).contains(&limit) {
        return Err(Error::Invalid(format!(
            "ask for 1 to {MAX_PAGE} events from an offset of 0 or more"
        )));
    }
    let (filter_sql, args) = view_sql(store, session_id, filter)?;
    let total: i64 = store.conn().query_row(
        &format!("SELECT COUNT(*) FROM events WHERE {filter_sql}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;
    // The events themselves come from the store's own reader, by seq: find
    // the seq just before the page on the index, then read forward.
    let after_seq: Option<i64> = if offset == 0 {
        Some(0)
    } else {
        let conn = store.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT seq FROM events WHERE {filter_sql} ORDER BY seq LIMIT 1 OFFSET {}",
            offset - 1
        ))?;
        let mut rows = stmt.query(params_from_iter(args.iter()))?;
        match rows.next()? {
            Some(row) => Some(row.get(0)?),
            None => None,
        }
    };
    let events = match after_seq {
        None => Vec::new(),
        Some(after_seq) => store.events(
            session_id,
            &crate::store::EventQuery {
                after_seq: Some(after_seq),
                from_time: None,
                limit: Some(limit as usize),
                kinds: filter.kinds.clone(),
                thread_id: filter.thread_id.clone(),
            },
        )?,
    };
    Ok(TimelinePage {
        total,
        offset,
        events,
    })
}

/// Error positions of a filtered view, and counts of the whole tree.
pub fn marks(store: &Store, session_id: &str, filter: &TimelineFilter) -> Result<TimelineMarks> {
    let (filter_sql, args) = view_sql(store, session_id, filter)?;
    let conn = store.conn();
    // Positions by binary search in the view's seqs (read from an index),
    // not a window over every row: the view can hold 100k events.
    let seqs: Vec<i64> = {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT seq FROM events WHERE {filter_sql} ORDER BY seq"
        ))?;
        stmt.query_map(params_from_iter(args.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut error_seqs: Vec<i64> = Vec::new();
    // Errors and limits are found on the kind index; of the rest, only
    // tool results have their data read.
    for extra in [
        "kind IN ('error', 'limit_reached')",
        "kind = 'tool_result' AND json_extract(data, '$.is_error') = 1",
    ] {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT seq FROM events WHERE {filter_sql} AND {extra}"
        ))?;
        for seq in stmt.query_map(params_from_iter(args.iter()), |r| r.get(0))? {
            error_seqs.push(seq?);
        }
    }
    error_seqs.sort_unstable();
    let errors = error_seqs
        .iter()
        .filter_map(|s| seqs.binary_search(s).ok().map(|p| p as i64))
        .collect();
    let root: String = conn.query_row(
        "SELECT root_id FROM sessions WHERE id = ?1",
        [session_id],
        |r| r.get(0),
    )?;
    let count = |sql: &str| -> Result<BTreeMap<String, i64>> {
        let mut stmt = conn.prepare_cached(sql)?;
        Ok(stmt
            .query_map([&root], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    };
    let kinds = count("SELECT kind, COUNT(*) FROM events WHERE session_id = ?1 GROUP BY kind")?;
    // Per thread on the thread index; the root's own thread is the rest.
    let total: i64 = conn.query_row(
        "SELECT COUNT(*) FROM events WHERE session_id = ?1",
        [&root],
        |r| r.get(0),
    )?;
    let mut threads = BTreeMap::new();
    {
        let mut subs =
            conn.prepare_cached("SELECT id FROM sessions WHERE root_id = ?1 AND id != ?1")?;
        let ids: Vec<String> = subs
            .query_map([&root], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut one = conn.prepare_cached("SELECT COUNT(*) FROM events WHERE thread_id = ?1")?;
        for id in ids {
            let n: i64 = one.query_row([&id], |r| r.get(0))?;
            threads.insert(id, n);
        }
    }
    let others: i64 = threads.values().sum();
    threads.insert(root.clone(), total - others);
    Ok(TimelineMarks {
        errors,
        kinds,
        threads,
    })
}

/// The session list (roots only), newest first, each with its latest outcome.
pub fn overview(store: &Store, filter: &OverviewFilter) -> Result<Vec<SessionOverview>> {
    let mut sessions_filter = filter.sessions.clone();
    sessions_filter.roots_only = true;
    let sessions = store.list_sessions(&sessions_filter)?;
    let conn = store.conn();
    let mut outcomes: HashMap<String, OutcomeSummary> = HashMap::new();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT session_id, result, score, iterations FROM outcomes ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            let result: Option<String> = r.get(1)?;
            Ok((
                r.get::<_, String>(0)?,
                OutcomeSummary {
                    result: result.and_then(|s| s.parse().ok()),
                    score: r.get(2)?,
                    iterations: r.get(3)?,
                },
            ))
        })?;
        for row in rows {
            let (session, summary) = row?;
            // Later rows are newer: the latest outcome wins.
            outcomes.insert(session, summary);
        }
    }
    let mut threads: HashMap<String, i64> = HashMap::new();
    {
        let mut stmt =
            conn.prepare_cached("SELECT root_id, COUNT(*) - 1 FROM sessions GROUP BY root_id")?;
        for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
            let (root, n) = row?;
            threads.insert(root, n);
        }
    }
    Ok(sessions
        .into_iter()
        .map(|session| SessionOverview {
            thread_count: threads.get(&session.id).copied().unwrap_or(0),
            outcome: outcomes.remove(&session.id),
            session,
        })
        .filter(|o| match filter.outcome {
            None => true,
            Some(OutcomeFilter::Ungraded) => o.outcome.is_none(),
            Some(OutcomeFilter::Graded) => o.outcome.is_some(),
            Some(wanted) => o
                .outcome
                .as_ref()
                .and_then(|s| s.result)
                .is_some_and(|r| Some(r.as_str()) == wanted.result()),
        })
        .collect())
}
