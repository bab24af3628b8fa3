//! Grader calibration: grade one past output k times against a rubric and
//! see, per judged criterion, how often the verdicts agree and how far the
//! scores spread. A criterion below the stability threshold is flagged with
//! advice. Nothing is stored; exact criteria are deterministic and skipped.

use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use crate::outcome::rubric::CriterionKind;
use crate::runtime::outcome_loop::load_rubric;
use crate::runtime::{OutcomeOptions, Runtime};
use crate::{Error, Result};

pub const DEFAULT_K: u32 = 5;
/// A criterion whose verdicts agree less often than this is flagged.
pub const DEFAULT_STABILITY: f64 = 0.8;
/// …as is one whose scores spread (max − min) more than this.
pub const MAX_SPREAD: f64 = 0.3;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CriterionCalibration {
    pub criterion_index: usize,
    pub name: String,
    pub passes: u32,
    pub fails: u32,
    /// Share of the k verdicts that agree with the majority (0.5..=1).
    pub agreement: f64,
    pub mean_score: f64,
    pub min_score: f64,
    pub max_score: f64,
    /// Standard deviation of the scores.
    pub std_dev: f64,
    pub stable: bool,
    /// What to do about an unstable criterion.
    pub advice: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CalibrationReport {
    pub rubric: String,
    pub session_id: String,
    pub k: u32,
    /// Grades that came back (a failed grading call is left out).
    pub graded: u32,
    pub overall_agreement: f64,
    pub criteria: Vec<CriterionCalibration>,
    pub unstable: Vec<String>,
    pub cost_usd: f64,
}

/// Grades session `session_id`'s output k times against `rubric`.
pub async fn calibrate(
    runtime: &Runtime,
    rubric: &str,
    session_id: &str,
    k: u32,
    stability: Option<f64>,
    cancel: &CancellationToken,
) -> Result<CalibrationReport> {
    if !(2..=50).contains(&k) {
        return Err(Error::Invalid("k is between 2 and 50".into()));
    }
    let threshold = stability.unwrap_or(DEFAULT_STABILITY);
    let (stored, parsed) = load_rubric(runtime.store(), rubric)?;
    let options = OutcomeOptions::new(stored.id.clone());
    let mut grades = Vec::new();
    let mut cost = 0.0;
    for _ in 0..k {
        if cancel.is_cancelled() {
            return Err(Error::Invalid("calibration was canceled".into()));
        }
        match runtime.grade_session(session_id, &parsed, &options, cancel).await {
            Ok(g) => {
                cost += g.cost_usd;
                grades.push(g);
            }
            Err(e) if grades.is_empty() && k == 1 => return Err(e),
            Err(e) => tracing::warn!(error = %e, "a calibration grade failed"),
        }
    }
    if grades.len() < 2 {
        return Err(Error::Model(
            "fewer than two grades came back; check the grader's model and key".into(),
        ));
    }
    let mut criteria = Vec::new();
    for (i, c) in parsed.criteria.iter().enumerate() {
        if !matches!(c.kind, CriterionKind::Judged { .. }) {
            continue;
        }
        let vs: Vec<_> = grades
            .iter()
            .filter_map(|g| g.verdicts.iter().find(|v| v.criterion_index == i))
            .collect();
        if vs.is_empty() {
            continue;
        }
        let n = vs.len() as f64;
        let passes = vs.iter().filter(|v| v.passed).count() as u32;
        let fails = vs.len() as u32 - passes;
        let agreement = passes.max(fails) as f64 / n;
        let scores: Vec<f64> = vs.iter().map(|v| v.score).collect();
        let mean = scores.iter().sum::<f64>() / n;
        let min = scores.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let std_dev = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
        let stable = agreement >= threshold && max - min <= MAX_SPREAD;
        let advice = (!stable).then(|| {
            let words = match &c.kind {
                CriterionKind::Judged { description } => description.split_whitespace().count(),
                _ => 0,
            };
            if words > 25 || description_has_and(&c.kind) {
                format!("\"{}\" is judged differently from one grading to the next: split it into criteria that each check one thing", c.name)
            } else if words < 8 {
                format!("\"{}\" is judged differently from one grading to the next: make it concrete — say what a passing output contains, with an example", c.name)
            } else {
                format!("\"{}\" is judged differently from one grading to the next: make it concrete, or turn it into an exact check (contains, headings, word count) if it can be one", c.name)
            }
        });
        criteria.push(CriterionCalibration {
            criterion_index: i,
            name: c.name.clone(),
            passes,
            fails,
            agreement,
            mean_score: mean,
            min_score: min,
            max_score: max,
            std_dev,
            stable,
            advice,
        });
    }
    let overall = if criteria.is_empty() {
        1.0
    } else {
        criteria.iter().map(|c| c.agreement).sum::<f64>() / criteria.len() as f64
    };
    Ok(CalibrationReport {
        rubric: stored.name.clone(),
        session_id: session_id.into(),
        k,
        graded: grades.len() as u32,
        overall_agreement: overall,
        unstable: criteria.iter().filter(|c| !c.stable).map(|c| c.name.clone()).collect(),
        criteria,
        cost_usd: cost,
    })
}

fn description_has_and(kind: &CriterionKind) -> bool {
    match kind {
        CriterionKind::Judged { description } => {
            let d = description.to_lowercase();
            d.matches(" and ").count() >= 2 || d.contains("; ")
        }
        _ => false,
    }
}
