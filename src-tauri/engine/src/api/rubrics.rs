//! `rubrics.*`: saved rubrics, the builder's checks and trying a rubric on
//! a past output.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{Api, ApiError, NameParam, NoParams, invalid, namespace};
use crate::outcome::Rubric;
use crate::provider::ProviderKind;
use crate::runtime::OutcomeOptions;

namespace! {
    "rubrics.list" => list(NoParams),
    "rubrics.get" => get(NameParam),
    "rubrics.save" => save(SaveParams),
    "rubrics.delete" => delete(NameParam),
    "rubrics.validate" => validate(DocumentParam),
    "rubrics.canonical" => canonical(DocumentParam),
    "rubrics.starters" => starters(NoParams),
    "rubrics.try_regex" => try_regex(TryRegexParams),
    "rubrics.test" => test(TestParams),
    "rubrics.calibrate" => calibrate(CalibrateParams),
}

/// A rubric that does not parse: the message names line, column and field.
fn rubric_error(e: crate::outcome::RubricError) -> ApiError {
    invalid(e.to_string())
}

async fn list(api: &Arc<Api>, _: NoParams) -> Result<Value, ApiError> {
    super::ok(api.store.list_rubrics()?)
}

async fn get(api: &Arc<Api>, p: NameParam) -> Result<Value, ApiError> {
    super::ok(api.store.rubric(&p.name)?)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct SaveParams {
    /// Defaults to the document's own name.
    name: Option<String>,
    document: String,
}

async fn save(api: &Arc<Api>, p: SaveParams) -> Result<Value, ApiError> {
    let rubric = Rubric::from_json(&p.document).map_err(rubric_error)?;
    let name = p.name.unwrap_or_else(|| rubric.name.clone());
    super::ok(api.store.save_rubric(&name, &rubric.to_json())?)
}

async fn delete(api: &Arc<Api>, p: NameParam) -> Result<Value, ApiError> {
    api.store.delete_rubric(&p.name)?;
    Ok(json!({"deleted": true}))
}

/// A rubric document (JSON text) from the builder.
#[derive(Deserialize, schemars::JsonSchema)]
struct DocumentParam {
    document: String,
}

/// Whether a document is a valid rubric; when not, where and why.
async fn validate(_: &Arc<Api>, p: DocumentParam) -> Result<Value, ApiError> {
    Ok(match Rubric::from_json(&p.document) {
        Ok(rubric) => json!({"valid": true, "rubric": rubric}),
        Err(e) => json!({"valid": false, "error": {
            "line": e.line, "column": e.column, "field": e.field, "message": e.message,
            "text": e.to_string()}}),
    })
}

/// The document in the canonical form it is saved in.
async fn canonical(_: &Arc<Api>, p: DocumentParam) -> Result<Value, ApiError> {
    let rubric = Rubric::from_json(&p.document).map_err(rubric_error)?;
    Ok(json!({"text": rubric.to_json()}))
}

async fn starters(_: &Arc<Api>, _: NoParams) -> Result<Value, ApiError> {
    super::ok(crate::outcome::starter_rubrics())
}

#[derive(Deserialize, schemars::JsonSchema)]
struct TryRegexParams {
    pattern: String,
    #[serde(default)]
    flags: Option<String>,
    text: String,
}

async fn try_regex(_: &Arc<Api>, p: TryRegexParams) -> Result<Value, ApiError> {
    super::ok(
        crate::rubric_tools::try_regex(&p.pattern, p.flags.as_deref(), &p.text)
            .map_err(invalid)?,
    )
}

#[derive(Deserialize, schemars::JsonSchema)]
struct TestParams {
    session_id: String,
    /// A saved rubric, by name or id ...
    #[serde(default)]
    rubric: Option<String>,
    /// ... or a document not saved yet (the builder's draft).
    #[serde(default)]
    document: Option<String>,
    #[serde(default)]
    grader_model: Option<String>,
    #[serde(default)]
    grader_provider: Option<ProviderKind>,
}

/// Grades a past session's output with a rubric, without recording it.
async fn test(api: &Arc<Api>, p: TestParams) -> Result<Value, ApiError> {
    let rubric = match (p.document, p.rubric) {
        (Some(document), _) => Rubric::from_json(&document).map_err(rubric_error)?,
        (None, Some(name)) => crate::runtime::outcome_loop::load_rubric(&api.store, &name)?.1,
        (None, None) => {
            return Err(invalid("give a rubric name or a rubric document to test"));
        }
    };
    let options = OutcomeOptions {
        grader_model: p.grader_model,
        grader_provider: p.grader_provider,
        ..Default::default()
    };
    let grade = api
        .runtime
        .grade_session(&p.session_id, &rubric, &options, &CancellationToken::new())
        .await?;
    Ok(json!({"grade": grade, "passed": grade.passed()}))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct CalibrateParams {
    /// A saved rubric, by name or id.
    rubric: String,
    session_id: String,
    /// How many times to grade (default 5).
    #[serde(default)]
    k: Option<u32>,
}

/// "Check the grader": grades one past output k times; per judged
/// criterion, how often the verdicts agree and how far the scores spread,
/// with advice for the unsteady ones.
async fn calibrate(api: &Arc<Api>, p: CalibrateParams) -> Result<Value, ApiError> {
    use crate::eval::calibrate as c;
    let k = p.k.unwrap_or(c::DEFAULT_K);
    let report = c::calibrate(
        &api.runtime,
        &p.rubric,
        &p.session_id,
        k,
        None,
        &CancellationToken::new(),
    )
    .await?;
    let criteria: Vec<Value> = report
        .criteria
        .iter()
        .map(|c| {
            json!({"criterion_index": c.criterion_index, "name": c.name, "runs": c.passes + c.fails,
                "agreement": c.agreement, "passed": c.passes, "score_min": c.min_score,
                "score_max": c.max_score, "score_spread": c.std_dev, "mean_score": c.mean_score,
                "stable": c.stable, "advice": c.advice})
        })
        .collect();
    Ok(json!({"rubric": report.rubric, "session_id": report.session_id, "k": report.k,
        "graded": report.graded, "threshold": c::DEFAULT_STABILITY,
        "overall_agreement": report.overall_agreement, "criteria": criteria,
        "cost_usd": report.cost_usd}))
}
