//! `outcomes.*`: graded outcomes and their figures.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Api, ApiError, IdParam, namespace};
use crate::store::OutcomeStatsFilter;

namespace! {
    "outcomes.stats" => stats(OutcomeStatsFilter),
    "outcomes.for_session" => for_session(IdParam),
    "outcomes.series" => series(crate::eval::series::SeriesFilter),
}

async fn stats(api: &Arc<Api>, p: OutcomeStatsFilter) -> Result<Value, ApiError> {
    super::ok(api.store.outcome_stats(&p)?)
}

/// Each outcome of a session with its verdicts.
async fn for_session(api: &Arc<Api>, p: IdParam) -> Result<Vec<Value>, ApiError> {
    let s = &api.store;
    let mut out = Vec::new();
    for o in s.outcomes_for_session(&p.id)? {
        let verdicts = s.verdicts(&o.id)?;
        out.push(json!({"outcome": o, "verdicts": verdicts}));
    }
    Ok(out)
}

/// Pass rate, mean score and attempts over time per agent and rubric, each
/// point with its sessions, and a marker at each applied or reverted dream.
async fn series(
    api: &Arc<Api>,
    p: crate::eval::series::SeriesFilter,
) -> Result<Value, ApiError> {
    let series = crate::eval::series::outcome_series(&api.store, &p)?;
    let mut markers: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let points = |s: &crate::eval::series::Series| -> Vec<Value> {
        s.points
            .iter()
            .map(|p| {
                json!({"day": p.bucket, "runs": p.outcomes, "satisfied": p.satisfied,
                    "pass_rate": p.pass_rate, "mean_score": p.mean_score,
                    "mean_attempts": p.mean_attempts, "session_ids": p.session_ids})
            })
            .collect()
    };
    let mut out = Vec::new();
    for s in &series {
        for m in &s.markers {
            if seen.insert((m.dream_id.clone(), m.kind.clone())) {
                markers.push(json!({"at": m.at, "day": m.bucket, "agent": s.agent,
                    "dream_id": m.dream_id, "kind": m.kind}));
            }
        }
        out.push(json!({"agent": s.agent, "rubric": s.rubric, "points": points(s)}));
    }
    Ok(json!({"series": out, "markers": markers}))
}
