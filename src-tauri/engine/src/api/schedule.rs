//! `schedule.*`: checking a dream schedule as the user types it.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Api, ApiError, namespace};
use crate::dream::schedule::Schedule;

namespace! {
    "schedule.validate" => validate(ValidateParams),
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ValidateParams {
    schedule: String,
}

/// Whether the text is a schedule, and its next slot.
async fn validate(_: &Arc<Api>, p: ValidateParams) -> Result<Value, ApiError> {
    let schedule = Schedule::parse(&p.schedule)?;
    let next = schedule.next_slot(chrono::Utc::now());
    Ok(json!({"valid": true, "next": next.map(|t| t.to_rfc3339())}))
}
