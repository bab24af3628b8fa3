//! Pass rates over time: per agent and per rubric, pass rate, mean score
//! and attempts per outcome in buckets (a day or a week), each point with
//! its sessions, and a marker at each applied or reverted dream.
//! Evaluation sessions (gates, calibration) are left out.

use std::collections::BTreeMap;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::Store;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Bucket {
    #[default]
    Day,
    Week,
}

impl std::str::FromStr for Bucket {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "day" => Ok(Bucket::Day),
            "week" => Ok(Bucket::Week),
            other => Err(Error::Invalid(format!("unknown bucket '{other}'; use day or week"))),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SeriesFilter {
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub rubric: Option<String>,
    /// A day (`2026-11-01`).
    #[serde(default)]
    pub since: Option<String>,
    #[serde(default)]
    pub bucket: Bucket,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeriesPoint {
    /// The bucket's first day.
    pub bucket: String,
    pub outcomes: i64,
    pub satisfied: i64,
    /// Over decided (not interrupted) outcomes; `None` when none was.
    pub pass_rate: Option<f64>,
    pub mean_score: Option<f64>,
    pub mean_attempts: f64,
    pub session_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DreamMarker {
    pub at: String,
    /// The bucket it falls in.
    pub bucket: String,
    pub dream_id: String,
    /// `applied` or `reverted`.
    pub kind: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Series {
    pub agent: String,
    pub rubric: String,
    pub points: Vec<SeriesPoint>,
    pub markers: Vec<DreamMarker>,
}

fn bucket_sql(b: Bucket) -> &'static str {
    match b {
        Bucket::Day => "substr(?, 1, 10)",
        // Weeks start on Monday.
        Bucket::Week => "date(substr(?, 1, 10), '-6 days', 'weekday 1')",
    }
}

/// The series for the chart and `reverie outcomes stats --series`.
pub fn outcome_series(store: &Store, filter: &SeriesFilter) -> Result<Vec<Series>> {
    let b = |col: &str| bucket_sql(filter.bucket).replace('?', col);
    let conn = store.conn();
    let mut stmt = conn.prepare(&format!(
        "SELECT a.name, r.name, {}, o.session_id, o.result, o.iterations, o.score
         FROM outcomes o JOIN rubrics r ON r.id = o.rubric_id JOIN agents a ON a.id = o.agent_id
         WHERE o.finished_at IS NOT NULL AND o.result IS NOT NULL
           AND o.session_id NOT IN (SELECT session_id FROM eval_sessions)
           AND (?1 IS NULL OR a.name = ?1 OR a.id = ?1)
           AND (?2 IS NULL OR r.name = ?2 OR r.id = ?2)
           AND (?3 IS NULL OR o.created_at >= ?3)
         ORDER BY o.created_at",
        b("o.created_at")
    ))?;
    type Row = (String, String, String, String, String, i64, Option<f64>);
    let rows: Vec<Row> = stmt
        .query_map(params![filter.agent, filter.rubric, filter.since], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut series: BTreeMap<(String, String), BTreeMap<String, Vec<Row>>> = BTreeMap::new();
    for row in rows {
        series
            .entry((row.0.clone(), row.1.clone()))
            .or_default()
            .entry(row.2.clone())
            .or_default()
            .push(row);
    }
    let mut markers_stmt = conn.prepare(&format!(
        "SELECT d.id, d.applied_at, {}, 'applied' FROM dreams d JOIN agents a ON a.id = d.agent_id
           WHERE d.applied_at IS NOT NULL AND a.name = ?1
         UNION ALL
         SELECT d.id, d.reverted_at, {}, 'reverted' FROM dreams d JOIN agents a ON a.id = d.agent_id
           WHERE d.reverted_at IS NOT NULL AND a.name = ?1
         ORDER BY 2",
        b("d.applied_at"),
        b("d.reverted_at")
    ))?;
    let mut out = Vec::new();
    for ((agent, rubric), buckets) in series {
        let markers = markers_stmt
            .query_map([&agent], |r| {
                Ok(DreamMarker {
                    dream_id: r.get(0)?,
                    at: r.get(1)?,
                    bucket: r.get(2)?,
                    kind: r.get(3)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let points = buckets
            .into_iter()
            .map(|(bucket, rows)| {
                let decided: Vec<&Row> = rows.iter().filter(|r| r.4 != "interrupted").collect();
                let satisfied = rows.iter().filter(|r| r.4 == "satisfied").count() as i64;
                let scores: Vec<f64> = rows.iter().filter_map(|r| r.6).collect();
                SeriesPoint {
                    bucket,
                    outcomes: rows.len() as i64,
                    satisfied,
                    pass_rate: (!decided.is_empty()).then(|| satisfied as f64 / decided.len() as f64),
                    mean_score: (!scores.is_empty())
                        .then(|| scores.iter().sum::<f64>() / scores.len() as f64),
                    mean_attempts: rows.iter().map(|r| r.5 as f64).sum::<f64>() / rows.len() as f64,
                    session_ids: rows.iter().map(|r| r.3.clone()).collect(),
                }
            })
            .collect();
        out.push(Series {
            agent,
            rubric,
            points,
            markers,
        });
    }
    Ok(out)
}
