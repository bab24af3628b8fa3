//! Rubrics and outcomes as stored. A rubric is a versioned JSON document
//! (kept byte for byte as given, so import → export is exact); an outcome is
//! one graded task with its iterations' per-criterion verdicts. Parsing and
//! checking rubrics lives in `outcome`; this module only keeps them.

use super::CachedSql;
use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::Store;
use super::dreams::string_enum;
use super::sql::{check_name, unique_conflict};
use crate::{Error, Result, ids};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredRubric {
    pub id: String,
    pub name: String,
    pub version: i64,
    /// The rubric JSON exactly as saved.
    pub document: String,
    pub created_at: String,
    pub updated_at: String,
}

string_enum!(OutcomeResult {
    NeedsRevision = "needs_revision",
    Satisfied = "satisfied",
    MaxIterationsReached = "max_iterations_reached",
    Failed = "failed",
    Interrupted = "interrupted",
});

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Outcome {
    pub id: String,
    pub session_id: String,
    pub agent_id: String,
    pub rubric_id: String,
    pub rubric_version: i64,
    pub task: String,
    pub max_iterations: i64,
    pub result: Option<OutcomeResult>,
    pub explanation: String,
    pub iterations: i64,
    pub score: Option<f64>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewOutcome {
    pub session_id: String,
    pub agent_id: String,
    pub rubric_id: String,
    pub rubric_version: i64,
    pub task: String,
    pub max_iterations: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredVerdict {
    pub iteration: i64,
    pub criterion_index: i64,
    pub criterion_name: String,
    pub passed: bool,
    pub score: f64,
    pub evidence: String,
    pub gap: String,
}

const RUBRIC_SELECT: &str =
    "SELECT r.id, r.name, r.current_version, v.document, r.created_at, r.updated_at
     FROM rubrics r JOIN rubric_versions v ON v.rubric_id = r.id AND v.version = r.current_version";

fn rubric_from_row(r: &Row<'_>) -> rusqlite::Result<StoredRubric> {
    Ok(StoredRubric {
        id: r.get(0)?,
        name: r.get(1)?,
        version: r.get(2)?,
        document: r.get(3)?,
        created_at: r.get(4)?,
        updated_at: r.get(5)?,
    })
}

const OUTCOME_COLUMNS: &str = "id, session_id, agent_id, rubric_id, rubric_version, task, max_iterations, result, \
    explanation, iterations, score, created_at, finished_at";

fn outcome_from_row(r: &Row<'_>) -> rusqlite::Result<Outcome> {
    let result: Option<String> = r.get(7)?;
    Ok(Outcome {
        id: r.get(0)?,
        session_id: r.get(1)?,
        agent_id: r.get(2)?,
        rubric_id: r.get(3)?,
        rubric_version: r.get(4)?,
        task: r.get(5)?,
        max_iterations: r.get(6)?,
        result: result.and_then(|s| s.parse().ok()),
        explanation: r.get(8)?,
        iterations: r.get(9)?,
        score: r.get(10)?,
        created_at: r.get(11)?,
        finished_at: r.get(12)?,
    })
}

impl Store {
    /// Saves a rubric document under `name`: a new rubric, or a new version
    /// when the text differs from the current one.
    pub fn save_rubric(&self, name: &str, document: &str) -> Result<StoredRubric> {
        check_name("rubric", name)?;
        let now = ids::now();
        self.write(|tx| {
            let current: Option<(String, i64, String)> = tx
                .query_row_cached(
                    "SELECT r.id, r.current_version, v.document FROM rubrics r
                     JOIN rubric_versions v ON v.rubric_id = r.id AND v.version = r.current_version WHERE r.name = ?1",
                    [name],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            match current {
                Some((_, _, text)) if text == document => Ok(()),
                Some((id, version, _)) => {
                    tx.execute_cached(
                        "INSERT INTO rubric_versions (rubric_id, version, document, created_at) VALUES (?1, ?2, ?3, ?4)",
                        params![id, version + 1, document, now],
                    )?;
                    tx.execute_cached(
                        "UPDATE rubrics SET current_version = ?2, updated_at = ?3 WHERE id = ?1",
                        params![id, version + 1, now],
                    )?;
                    Ok(())
                }
                None => {
                    let id = ids::new_id();
                    tx.execute_cached(
                        "INSERT INTO rubrics (id, name, current_version, created_at, updated_at) VALUES (?1, ?2, 1, ?3, ?3)",
                        params![id, name, now],
                    )
                    .map_err(|e| unique_conflict(e, || format!("a rubric named '{name}' already exists")))?;
                    tx.execute_cached(
                        "INSERT INTO rubric_versions (rubric_id, version, document, created_at) VALUES (?1, 1, ?2, ?3)",
                        params![id, document, now],
                    )?;
                    Ok(())
                }
            }
        })?;
        self.rubric(name)
    }

    /// The current version of a rubric, by name or id.
    pub fn rubric(&self, name_or_id: &str) -> Result<StoredRubric> {
        self.conn()
            .query_row_cached(
                &format!("{RUBRIC_SELECT} WHERE r.name = ?1 OR r.id = ?1"),
                [name_or_id],
                rubric_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::not_found("rubric", name_or_id))
    }

    pub fn rubric_version(&self, rubric_id: &str, version: i64) -> Result<String> {
        self.conn()
            .query_row_cached(
                "SELECT document FROM rubric_versions WHERE rubric_id = ?1 AND version = ?2",
                params![rubric_id, version],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| Error::not_found("rubric version", format!("{rubric_id} v{version}")))
    }

    pub fn list_rubrics(&self) -> Result<Vec<StoredRubric>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!("{RUBRIC_SELECT} ORDER BY r.name"))?;
        Ok(stmt
            .query_map([], rubric_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    pub fn delete_rubric(&self, name_or_id: &str) -> Result<()> {
        let rubric = self.rubric(name_or_id)?;
        self.write(|tx| {
            tx.execute_cached("DELETE FROM rubrics WHERE id = ?1", [&rubric.id])?;
            Ok(())
        })
    }

    pub fn create_outcome(&self, new: &NewOutcome) -> Result<Outcome> {
        if !(1..=20).contains(&new.max_iterations) {
            return Err(Error::Invalid(
                "max iterations must be between 1 and 20".into(),
            ));
        }
        let id = ids::new_id();
        self.write(|tx| {
            tx.execute_cached(
                &format!("INSERT INTO outcomes ({OUTCOME_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, '', 0, NULL, ?8, NULL)"),
                params![id, new.session_id, new.agent_id, new.rubric_id, new.rubric_version, new.task, new.max_iterations, ids::now()],
            )?;
            Ok(())
        })?;
        self.outcome(&id)
    }

    pub fn outcome(&self, id: &str) -> Result<Outcome> {
        self.conn()
            .query_row_cached(
                &format!("SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE id = ?1"),
                [id],
                outcome_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::not_found("outcome", id))
    }

    pub fn outcomes_for_session(&self, session_id: &str) -> Result<Vec<Outcome>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {OUTCOME_COLUMNS} FROM outcomes WHERE session_id = ?1 ORDER BY created_at"
        ))?;
        Ok(stmt
            .query_map([session_id], outcome_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Records one graded iteration: its verdicts and the running result.
    pub fn record_iteration(
        &self,
        outcome_id: &str,
        iteration: i64,
        verdicts: &[StoredVerdict],
        result: OutcomeResult,
        explanation: &str,
        score: f64,
    ) -> Result<Outcome> {
        let finished = result != OutcomeResult::NeedsRevision;
        self.write(|tx| {
            for v in verdicts {
                tx.execute_cached(
                    "INSERT INTO outcome_verdicts (outcome_id, iteration, criterion_index, criterion_name, passed, score, evidence, gap)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![outcome_id, iteration, v.criterion_index, v.criterion_name, v.passed, v.score, v.evidence, v.gap],
                )?;
            }
            tx.execute_cached(
                "UPDATE outcomes SET result = ?2, explanation = ?3, iterations = ?4, score = ?5,
                   finished_at = CASE WHEN ?6 THEN ?7 ELSE NULL END WHERE id = ?1",
                params![outcome_id, result.as_str(), explanation, iteration, score, finished, ids::now()],
            )?;
            Ok(())
        })?;
        self.outcome(outcome_id)
    }

    /// Ends an outcome without a new verdict (e.g. interrupted).
    pub fn finish_outcome(
        &self,
        outcome_id: &str,
        result: OutcomeResult,
        explanation: &str,
    ) -> Result<Outcome> {
        self.write(|tx| {
            tx.execute_cached(
                "UPDATE outcomes SET result = ?2, explanation = ?3, finished_at = ?4 WHERE id = ?1",
                params![outcome_id, result.as_str(), explanation, ids::now()],
            )?;
            Ok(())
        })?;
        self.outcome(outcome_id)
    }

    pub fn verdicts(&self, outcome_id: &str) -> Result<Vec<StoredVerdict>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT iteration, criterion_index, criterion_name, passed, score, evidence, gap FROM outcome_verdicts
             WHERE outcome_id = ?1 ORDER BY iteration, criterion_index",
        )?;
        Ok(stmt
            .query_map([outcome_id], |r| {
                Ok(StoredVerdict {
                    iteration: r.get(0)?,
                    criterion_index: r.get(1)?,
                    criterion_name: r.get(2)?,
                    passed: r.get(3)?,
                    score: r.get(4)?,
                    evidence: r.get(5)?,
                    gap: r.get(6)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?)
    }
}
