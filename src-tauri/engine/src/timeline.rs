//! The session timeline as the app reads it: a session tree's events by
//! position (so a virtualised list can open at any row of a 100k-event
//! session), the positions of its errors (to jump between them), counts per
//! kind and thread (for the filters), and the session list with each
//! session's outcome.
//!
//! Read-only: it never writes a row. Positions are 0-based ranks among the
//! events that pass the same filter, in `seq` order.
//!
//! It owns the shaping (pages, positions, the outcome filter); it runs no
//! SQL. The filtered view is the store's one builder
//! ([`Store::event_view`]), the same the event reader pages with, and
//! every count and read is a `Store` method.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::store::OutcomeSummary;
use crate::store::{Event, EventKind, EventView, Session, SessionFilter};
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

/// The store's filtered view of a tree for `filter`.
fn view(store: &Store, session_id: &str, filter: &TimelineFilter) -> Result<EventView> {
    store.event_view(session_id, filter.thread_id.as_deref(), &filter.kinds)
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
    let view = view(store, session_id, filter)?;
    let total = store.view_count(&view)?;
    // The events themselves come from the store's own reader, by seq: find
    // the seq just before the page on the index, then read forward.
    let after_seq: Option<i64> = if offset == 0 {
        Some(0)
    } else {
        store.view_seq_at(&view, offset - 1)?
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
    let view = view(store, session_id, filter)?;
    // Positions by binary search in the view's seqs (read from an index),
    // not a window over every row: the view can hold 100k events.
    let seqs = store.view_seqs(&view)?;
    let errors = store
        .view_error_seqs(&view)?
        .iter()
        .filter_map(|s| seqs.binary_search(s).ok().map(|p| p as i64))
        .collect();
    let (kinds, threads) = store.event_counts(view.root())?;
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
    let mut outcomes = store.latest_outcomes()?;
    let threads = store.thread_counts()?;
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
