//! "Dream now" outside the window: one agent or every agent at once, as the
//! tray asks for it, and the one-line summaries the tray menu and desktop
//! notifications show. It only sequences [`Dreamer::run`] over agents and
//! words the result; what a dream does lives in the rest of this module.

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{DreamProgressSink, DreamRequest, Dreamer, sessions_to_review};
use crate::Result;
use crate::store::{DreamStatus, DreamTrigger, EditDecision, ReviewState, Store};

/// What "Dream now" did for one agent.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DreamNowOutcome {
    pub agent: String,
    #[serde(flatten)]
    pub result: DreamNowResult,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum DreamNowResult {
    /// A dream ran; `waiting` edits wait for the user's review.
    Dreamed {
        dream_id: String,
        status: DreamStatus,
        edits: usize,
        waiting: usize,
        applied: bool,
        error: Option<String>,
    },
    /// No finished session since the agent's last dream.
    NothingNew,
    /// The dream could not start (e.g. one is already running, no key).
    Failed { error: String },
}

/// Dreams for `agent` (name or id), or for every agent with sessions to
/// review, one after the other. Agents with nothing new are reported, not
/// dreamed for, so a click never spends tokens on an empty review.
pub async fn dream_now(
    dreamer: &Dreamer,
    agent: Option<&str>,
    trigger: DreamTrigger,
    cancel: &CancellationToken,
    progress: DreamProgressSink,
) -> Result<Vec<DreamNowOutcome>> {
    let store = dreamer.store();
    let agents = match agent {
        Some(name) => vec![store.agent(name)?],
        None => store.list_agents()?,
    };
    let mut outcomes = Vec::with_capacity(agents.len());
    for agent in agents {
        if cancel.is_cancelled() {
            break;
        }
        let result = if sessions_to_review(store, &agent)?.is_empty() {
            DreamNowResult::NothingNew
        } else {
            let request = DreamRequest::new(agent.id.clone(), trigger);
            match dreamer
                .run(request, cancel.child_token(), progress.clone())
                .await
            {
                Ok(report) => DreamNowResult::Dreamed {
                    waiting: report
                        .edits
                        .iter()
                        .filter(|e| e.decision == EditDecision::Pending)
                        .count(),
                    edits: report.edits.len(),
                    applied: report.applied,
                    status: report.dream.status,
                    error: report.dream.error.clone(),
                    dream_id: report.dream.id,
                },
                Err(e) => DreamNowResult::Failed {
                    error: e.to_string(),
                },
            }
        };
        outcomes.push(DreamNowOutcome {
            agent: agent.name,
            result,
        });
    }
    Ok(outcomes)
}

/// One sentence about a "Dream now" for a notification, or `None` when
/// nothing happened worth telling.
pub fn summary(outcomes: &[DreamNowOutcome]) -> Option<String> {
    let mut parts = Vec::new();
    for o in outcomes {
        let part = match &o.result {
            DreamNowResult::NothingNew => continue,
            DreamNowResult::Dreamed { waiting, .. } if *waiting > 0 => format!(
                "{}: {waiting} {} to review",
                o.agent,
                plural(*waiting, "change", "changes")
            ),
            DreamNowResult::Dreamed {
                applied: true,
                edits,
                ..
            } => format!(
                "{}: memory updated ({edits} {})",
                o.agent,
                plural(*edits, "change", "changes")
            ),
            DreamNowResult::Dreamed {
                status: DreamStatus::Completed,
                ..
            } => format!("{}: nothing to change", o.agent),
            DreamNowResult::Dreamed { status, error, .. } => format!(
                "{}: dream {} ({})",
                o.agent,
                status.as_str(),
                error.as_deref().unwrap_or("no reason given")
            ),
            DreamNowResult::Failed { error } => format!("{}: {error}", o.agent),
        };
        parts.push(part);
    }
    if parts.is_empty() {
        return (!outcomes.is_empty())
            .then(|| "Nothing new to dream about since the last dream.".to_string());
    }
    Some(parts.join("; "))
}

/// The newest dream of any agent in a few words, for the tray menu:
/// "Last dream: helper, 3 changes to review". `None` before the first.
pub fn last_result(store: &Store) -> Result<Option<String>> {
    let Some(dream) = store.list_dreams(None, 1)?.into_iter().next() else {
        return Ok(None);
    };
    let agent = store
        .agent(&dream.agent_id)
        .map(|a| a.name)
        .unwrap_or_else(|_| "a deleted agent".into());
    let what = match dream.status {
        DreamStatus::Pending | DreamStatus::Running => "dreaming now".to_string(),
        DreamStatus::Failed => "failed".to_string(),
        DreamStatus::Canceled => "canceled".to_string(),
        DreamStatus::Completed => {
            let edits = store.proposal(&dream.id)?;
            let waiting = edits
                .iter()
                .filter(|e| e.decision == EditDecision::Pending)
                .count();
            match dream.review {
                _ if waiting > 0 => format!(
                    "{waiting} {} to review",
                    plural(waiting, "change", "changes")
                ),
                ReviewState::Reverted => "reverted".to_string(),
                ReviewState::Rejected => "rejected".to_string(),
                _ if edits.is_empty() => "nothing to change".to_string(),
                _ => "memory updated".to_string(),
            }
        }
    };
    Ok(Some(format!("Last dream: {agent}, {what}")))
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(agent: &str, result: DreamNowResult) -> DreamNowOutcome {
        DreamNowOutcome {
            agent: agent.into(),
            result,
        }
    }

    #[test]
    fn summaries_say_what_needs_the_user() {
        let dreamed = |waiting, applied, edits| DreamNowResult::Dreamed {
            dream_id: "d".into(),
            status: DreamStatus::Completed,
            edits,
            waiting,
            applied,
            error: None,
        };
        assert_eq!(summary(&[]), None);
        assert_eq!(
            summary(&[outcome("a", DreamNowResult::NothingNew)]).unwrap(),
            "Nothing new to dream about since the last dream."
        );
        assert_eq!(
            summary(&[
                outcome("helper", dreamed(3, false, 3)),
                outcome("idle", DreamNowResult::NothingNew),
                outcome("writer", dreamed(0, true, 1)),
                outcome("quiet", dreamed(0, false, 0)),
                outcome(
                    "broken",
                    DreamNowResult::Failed {
                        error: "no API key".into()
                    }
                ),
            ])
            .unwrap(),
            "helper: 3 changes to review; writer: memory updated (1 change); quiet: nothing to change; broken: no API key"
        );
    }
}
