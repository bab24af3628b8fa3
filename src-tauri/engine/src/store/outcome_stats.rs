//! Outcome statistics: pass rate, mean iterations to pass and mean score
//! per criterion, per rubric and agent, by day — so a user can see whether
//! dreaming made an agent better. Also marks outcomes whose process died
//! as `interrupted`.
//!
//! Read-only over `outcomes` and `outcome_verdicts` (apart from that
//! repair), including each session's latest outcome for the timeline's
//! session list; never grades anything.

use super::CachedSql;
use std::collections::{BTreeMap, HashMap};

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::Store;
use crate::{Result, ids};

/// A session's latest outcome, as the session list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeSummary {
    pub result: Option<super::OutcomeResult>,
    pub score: Option<f64>,
    pub iterations: i64,
}

/// Which outcomes to count. Names or ids; `since` is a day (`2026-11-01`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OutcomeStatsFilter {
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub rubric: Option<String>,
    #[serde(default)]
    pub since: Option<String>,
}

/// Finished outcomes of one rubric and one agent on one day (or over all
/// days, `day` = `"all"`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutcomeStatsRow {
    pub day: String,
    pub rubric: String,
    pub agent: String,
    /// Finished outcomes, interrupted ones included.
    pub runs: i64,
    pub satisfied: i64,
    pub interrupted: i64,
    /// Satisfied over decided (finished and not interrupted) outcomes;
    /// `None` when none was decided.
    pub pass_rate: Option<f64>,
    /// Mean iterations the satisfied outcomes took.
    pub mean_iterations_to_pass: Option<f64>,
    /// Mean final weighted score of the graded outcomes.
    pub mean_score: Option<f64>,
    /// Per criterion, over each outcome's last graded iteration.
    pub criteria: Vec<CriterionStats>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CriterionStats {
    pub criterion_index: i64,
    pub name: String,
    pub mean_score: f64,
    pub pass_rate: f64,
}

/// Days, then all-time totals.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OutcomeStats {
    pub days: Vec<OutcomeStatsRow>,
    pub totals: Vec<OutcomeStatsRow>,
}

struct Finished {
    day: String,
    rubric: String,
    agent: String,
    result: String,
    iterations: i64,
    score: Option<f64>,
    /// (index, name, passed, score) of the last graded iteration.
    verdicts: Vec<(i64, String, bool, f64)>,
}

#[derive(Default)]
struct Acc {
    runs: i64,
    satisfied: i64,
    interrupted: i64,
    pass_iterations: i64,
    score_sum: f64,
    scored: i64,
    criteria: BTreeMap<i64, (String, f64, i64, i64)>,
}

impl Acc {
    fn add(&mut self, o: &Finished) {
        self.runs += 1;
        match o.result.as_str() {
            "satisfied" => {
                self.satisfied += 1;
                self.pass_iterations += o.iterations;
            }
            "interrupted" => self.interrupted += 1,
            _ => {}
        }
        if let Some(s) = o.score {
            self.score_sum += s;
            self.scored += 1;
        }
        for (index, name, passed, score) in &o.verdicts {
            let c = self
                .criteria
                .entry(*index)
                .or_insert_with(|| (name.clone(), 0.0, 0, 0));
            c.1 += score;
            c.2 += i64::from(*passed);
            c.3 += 1;
        }
    }

    fn row(self, day: String, rubric: String, agent: String) -> OutcomeStatsRow {
        let decided = self.runs - self.interrupted;
        OutcomeStatsRow {
            day,
            rubric,
            agent,
            runs: self.runs,
            satisfied: self.satisfied,
            interrupted: self.interrupted,
            pass_rate: (decided > 0).then(|| self.satisfied as f64 / decided as f64),
            mean_iterations_to_pass: (self.satisfied > 0)
                .then(|| self.pass_iterations as f64 / self.satisfied as f64),
            mean_score: (self.scored > 0).then(|| self.score_sum / self.scored as f64),
            criteria: self
                .criteria
                .into_iter()
                .map(|(index, (name, sum, passed, n))| CriterionStats {
                    criterion_index: index,
                    name,
                    mean_score: sum / n as f64,
                    pass_rate: passed as f64 / n as f64,
                })
                .collect(),
        }
    }
}

impl Store {
    /// Pass rates and scores of finished outcomes, by day and in total.
    pub fn outcome_stats(&self, filter: &OutcomeStatsFilter) -> Result<OutcomeStats> {
        let finished = self.finished_outcomes(filter)?;
        let mut days: BTreeMap<(String, String, String), Acc> = BTreeMap::new();
        let mut totals: BTreeMap<(String, String), Acc> = BTreeMap::new();
        for o in &finished {
            days.entry((o.day.clone(), o.rubric.clone(), o.agent.clone()))
                .or_default()
                .add(o);
            totals
                .entry((o.rubric.clone(), o.agent.clone()))
                .or_default()
                .add(o);
        }
        Ok(OutcomeStats {
            days: days
                .into_iter()
                .map(|((day, rubric, agent), acc)| acc.row(day, rubric, agent))
                .collect(),
            totals: totals
                .into_iter()
                .map(|((rubric, agent), acc)| acc.row("all".into(), rubric, agent))
                .collect(),
        })
    }

    fn finished_outcomes(&self, filter: &OutcomeStatsFilter) -> Result<Vec<Finished>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT o.id, substr(o.created_at, 1, 10), r.name, a.name, o.result, o.iterations, o.score
             FROM outcomes o JOIN rubrics r ON r.id = o.rubric_id JOIN agents a ON a.id = o.agent_id
             WHERE o.finished_at IS NOT NULL AND o.result IS NOT NULL
               AND o.session_id NOT IN (SELECT session_id FROM eval_sessions)
               AND (?1 IS NULL OR a.name = ?1 OR a.id = ?1)
               AND (?2 IS NULL OR r.name = ?2 OR r.id = ?2)
               AND (?3 IS NULL OR o.created_at >= ?3)
             ORDER BY o.created_at",
        )?;
        let mut rows: Vec<(String, Finished)> = stmt
            .query_map(params![filter.agent, filter.rubric, filter.since], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Finished {
                        day: r.get(1)?,
                        rubric: r.get(2)?,
                        agent: r.get(3)?,
                        result: r.get(4)?,
                        iterations: r.get(5)?,
                        score: r.get(6)?,
                        verdicts: Vec::new(),
                    },
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut verdicts = conn.prepare_cached(
            "SELECT v.criterion_index, v.criterion_name, v.passed, v.score
             FROM outcome_verdicts v JOIN outcomes o ON o.id = v.outcome_id
             WHERE v.outcome_id = ?1 AND v.iteration = o.iterations ORDER BY v.criterion_index",
        )?;
        for (id, o) in &mut rows {
            o.verdicts = verdicts
                .query_map([&*id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(rows.into_iter().map(|(_, o)| o).collect())
    }

    /// Marks outcomes left undecided by a process that died (their session
    /// is no longer running) as `interrupted`; returns their ids.
    /// Each graded session's latest outcome: session id → summary.
    pub fn latest_outcomes(&self) -> Result<HashMap<String, OutcomeSummary>> {
        let conn = self.conn();
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
        let mut outcomes = HashMap::new();
        for row in rows {
            let (session, summary) = row?;
            // Later rows are newer: the latest outcome wins.
            outcomes.insert(session, summary);
        }
        Ok(outcomes)
    }

    pub fn mark_interrupted_outcomes(&self) -> Result<Vec<String>> {
        self.write(|tx| {
            let stale: Vec<String> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT o.id FROM outcomes o JOIN sessions s ON s.id = o.session_id
                     WHERE o.finished_at IS NULL AND s.status != 'running'",
                )?;
                stmt.query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?
            };
            for id in &stale {
                tx.execute_cached(
                    "UPDATE outcomes SET result = 'interrupted', finished_at = ?2,
                     explanation = 'the process running this outcome stopped before it was decided'
                     WHERE id = ?1",
                    params![id, ids::now()],
                )?;
            }
            Ok(stale)
        })
    }
}
