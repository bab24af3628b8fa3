//! Per-criterion verdicts and the weighted score of a graded output.
//!
//! Verdicts come from the exact checks here and from the grader model for
//! judged criteria; both have this one shape so the store, the timeline and
//! the next iteration's feedback treat them alike. Never decides a verdict.

use serde::{Deserialize, Serialize};

use crate::outcome::rubric::Rubric;

/// The verdict on one criterion of a rubric for one output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionVerdict {
    /// Position of the criterion in `rubric.criteria`.
    pub criterion_index: usize,
    pub name: String,
    pub passed: bool,
    /// 0..=1; 1 when passed. Some checks give partial credit (2 of 3
    /// required headings: 0.67).
    pub score: f64,
    /// Short text quoted from the output (or a description of it) that the
    /// verdict rests on.
    pub evidence: String,
    /// When failed: one sentence saying exactly what to change. This is the
    /// feedback the agent gets on its next pass.
    pub gap: Option<String>,
}

/// The weighted result of a full set of verdicts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Σ weight × score / Σ weight over every criterion of the rubric; a
    /// criterion without a verdict counts as 0.
    pub weighted_score: f64,
    /// `weighted_score` reached the rubric's threshold.
    pub passed_threshold: bool,
    /// Indices of required criteria that failed or have no verdict; any one
    /// fails the outcome whatever the score.
    pub failed_required: Vec<usize>,
}

impl Score {
    /// The output satisfies the rubric.
    pub fn passed(&self) -> bool {
        self.passed_threshold && self.failed_required.is_empty()
    }
}

/// Weighs `verdicts` (exact and judged, any order) against `rubric`.
pub fn score(rubric: &Rubric, verdicts: &[CriterionVerdict]) -> Score {
    let verdict_for = |i: usize| verdicts.iter().find(|v| v.criterion_index == i);
    let mut total = 0.0;
    let mut earned = 0.0;
    let mut failed_required = Vec::new();
    for (i, criterion) in rubric.criteria.iter().enumerate() {
        total += criterion.weight;
        let verdict = verdict_for(i);
        earned += criterion.weight * verdict.map_or(0.0, |v| v.score.clamp(0.0, 1.0));
        if criterion.required && !verdict.is_some_and(|v| v.passed) {
            failed_required.push(i);
        }
    }
    let weighted_score = if total > 0.0 { earned / total } else { 0.0 };
    // Tolerance so that 0.7 earned against a 0.7 threshold passes despite
    // floating-point sums.
    let passed_threshold = weighted_score + 1e-9 >= rubric.threshold;
    Score {
        weighted_score,
        passed_threshold,
        failed_required,
    }
}
