//! `outcomes.*`: graded outcomes and their figures.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Api, ApiError, IdParam, namespace};
use crate::store::OutcomeStatsFilter;

namespace! {
    "outcomes.stats" => stats(OutcomeStatsFilter),
    "outcomes.for_session" => for_session(IdParam),
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
