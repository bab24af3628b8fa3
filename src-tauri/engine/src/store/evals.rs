//! Evaluation sets, regression gates and their runs, evaluation sessions
//! and pinned lines as stored. What they mean (when a gate passes, what a
//! pin forbids) lives in `eval`; this module only keeps them.

use rusqlite::{OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Store;
use super::sessions::{NewSession, Session};
use crate::{Error, Result, ids};

/// One task of an agent's evaluation set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EvalTask {
    pub id: String,
    pub agent_id: String,
    /// 1-based order in the set.
    pub position: i64,
    pub name: String,
    pub task: String,
    pub rubric_id: String,
    pub rubric_name: String,
    pub source_session_id: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The gate's settings for an agent (see `eval::GateSettings::for_agent`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GateSettings {
    pub tolerance: f64,
    pub budget_tokens: Option<i64>,
    pub budget_usd: Option<f64>,
    pub budget_seconds: Option<u64>,
    pub concurrency: usize,
}

pub const DEFAULT_TOLERANCE: f64 = 0.02;
pub const DEFAULT_CONCURRENCY: usize = 2;

impl Default for GateSettings {
    fn default() -> Self {
        GateSettings {
            tolerance: DEFAULT_TOLERANCE,
            budget_tokens: None,
            budget_usd: None,
            budget_seconds: None,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

/// A task as the gate replays it, fixed when the gate starts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GateTask {
    pub id: String,
    pub version: i64,
    pub name: String,
    pub task: String,
    pub rubric_id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Gate {
    pub id: String,
    pub agent_id: String,
    pub dream_id: Option<String>,
    /// `gate` (a dream's proposal) or `compare` (any two memory versions).
    pub kind: String,
    pub before: String,
    pub after: String,
    /// `running`, `passed`, `regressed`, `failed` or `canceled`.
    pub status: String,
    pub auto_apply: bool,
    pub settings: GateSettings,
    pub tasks: Vec<GateTask>,
    pub summary: Value,
    /// `applied` or `held` for a dream's gate once decided.
    pub decision: Option<String>,
    pub error: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// A new gate row (status `running`).
pub struct NewGate<'a> {
    pub agent_id: &'a str,
    pub dream_id: Option<&'a str>,
    pub kind: &'a str,
    pub before: &'a str,
    pub after: &'a str,
    pub auto_apply: bool,
    pub settings: &'a GateSettings,
    pub tasks: &'a [GateTask],
}

/// One task on one side.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    pub task_id: String,
    pub side: String,
    pub status: String,
    pub session_id: Option<String>,
    pub outcome_id: Option<String>,
    pub result: Option<String>,
    pub passed: Option<bool>,
    pub score: Option<f64>,
    pub attempts: i64,
    pub tokens: i64,
    pub cost_usd: f64,
    pub ms: i64,
    pub error: Option<String>,
}

const TASK_COLUMNS: &str = "t.id, t.agent_id, t.position, t.name, t.task, t.rubric_id, r.name, \
    t.source_session_id, t.version, t.created_at, t.updated_at";

fn task_from_row(r: &Row<'_>) -> rusqlite::Result<EvalTask> {
    Ok(EvalTask {
        id: r.get(0)?,
        agent_id: r.get(1)?,
        position: r.get(2)?,
        name: r.get(3)?,
        task: r.get(4)?,
        rubric_id: r.get(5)?,
        rubric_name: r.get(6)?,
        source_session_id: r.get(7)?,
        version: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

const GATE_COLUMNS: &str = "id, agent_id, dream_id, kind, before_spec, after_spec, status, auto_apply, settings, tasks, summary, decision, error, created_at, finished_at";

fn gate_from_row(r: &Row<'_>) -> rusqlite::Result<Gate> {
    let json = |i: usize| -> rusqlite::Result<Value> {
        Ok(serde_json::from_str(&r.get::<_, String>(i)?).unwrap_or(Value::Null))
    };
    Ok(Gate {
        id: r.get(0)?,
        agent_id: r.get(1)?,
        dream_id: r.get(2)?,
        kind: r.get(3)?,
        before: r.get(4)?,
        after: r.get(5)?,
        status: r.get(6)?,
        auto_apply: r.get(7)?,
        settings: serde_json::from_value(json(8)?).unwrap_or_default(),
        tasks: serde_json::from_value(json(9)?).unwrap_or_default(),
        summary: json(10)?,
        decision: r.get(11)?,
        error: r.get(12)?,
        created_at: r.get(13)?,
        finished_at: r.get(14)?,
    })
}

fn run_from_row(r: &Row<'_>) -> rusqlite::Result<RunRecord> {
    Ok(RunRecord {
        task_id: r.get(0)?,
        side: r.get(1)?,
        status: r.get(2)?,
        session_id: r.get(3)?,
        outcome_id: r.get(4)?,
        result: r.get(5)?,
        passed: r.get(6)?,
        score: r.get(7)?,
        attempts: r.get(8)?,
        tokens: r.get(9)?,
        cost_usd: r.get(10)?,
        ms: r.get(11)?,
        error: r.get(12)?,
    })
}

impl Store {
    // --- Evaluation sets -------------------------------------------------------

    /// An agent's (by id) evaluation set, in order.
    pub fn eval_tasks(&self, agent_id: &str) -> Result<Vec<EvalTask>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM eval_tasks t JOIN rubrics r ON r.id = t.rubric_id
             WHERE t.agent_id = ?1 ORDER BY t.position, t.created_at"
        ))?;
        Ok(stmt
            .query_map([agent_id], task_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    pub fn eval_task(&self, id: &str) -> Result<EvalTask> {
        self.conn()
            .query_row(
                &format!(
                    "SELECT {TASK_COLUMNS} FROM eval_tasks t JOIN rubrics r ON r.id = t.rubric_id WHERE t.id = ?1"
                ),
                [id],
                task_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::not_found("evaluation task", id))
    }

    /// Adds a task at the end of the agent's set.
    pub fn insert_eval_task(
        &self,
        agent_id: &str,
        name: &str,
        task: &str,
        rubric_id: &str,
        source_session_id: Option<&str>,
    ) -> Result<EvalTask> {
        let id = ids::new_id();
        self.write(|tx| {
            let position: i64 = tx.query_row(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM eval_tasks WHERE agent_id = ?1",
                [agent_id],
                |r| r.get(0),
            )?;
            let now = ids::now();
            tx.execute(
                "INSERT INTO eval_tasks (id, agent_id, position, name, task, rubric_id, source_session_id, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                params![id, agent_id, position, name, task, rubric_id, source_session_id, now],
            )?;
            Ok(())
        })?;
        self.eval_task(&id)
    }

    /// Rewrites a task; its version goes up.
    pub fn update_eval_task(&self, id: &str, name: &str, task: &str, rubric_id: &str) -> Result<EvalTask> {
        self.write(|tx| {
            tx.execute(
                "UPDATE eval_tasks SET name = ?2, task = ?3, rubric_id = ?4, version = version + 1, updated_at = ?5 WHERE id = ?1",
                params![id, name, task, rubric_id, ids::now()],
            )?;
            Ok(())
        })?;
        self.eval_task(id)
    }

    /// Numbers the tasks 1, 2, … in the order given, in one transaction.
    pub fn order_eval_tasks(&self, ids_in_order: &[String]) -> Result<()> {
        self.write(|tx| {
            for (i, id) in ids_in_order.iter().enumerate() {
                tx.execute(
                    "UPDATE eval_tasks SET position = ?2 WHERE id = ?1",
                    params![id, i as i64 + 1],
                )?;
            }
            Ok(())
        })
    }

    pub fn delete_eval_task(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM eval_tasks WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    /// The rubric a session was last graded against.
    pub fn graded_rubric_of(&self, session_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT rubric_id FROM outcomes WHERE session_id = ?1 ORDER BY created_at DESC LIMIT 1",
                [session_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    // --- Evaluation sessions ---------------------------------------------------

    /// Marks a session as an evaluation session (of a gate, or none).
    pub fn mark_eval_session(&self, session_id: &str, gate_id: Option<&str>) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO eval_sessions (session_id, gate_id) VALUES (?1, ?2)",
                params![session_id, gate_id],
            )?;
            Ok(())
        })
    }

    /// Creates a session already marked as an evaluation session, in one
    /// transaction: a kill can never leave an unmarked gate session.
    pub fn create_eval_session(&self, new: &NewSession, gate_id: Option<&str>) -> Result<Session> {
        let id = ids::new_id();
        self.write(|tx| {
            super::sessions::insert_session_in(tx, &id, new)?;
            tx.execute(
                "INSERT OR IGNORE INTO eval_sessions (session_id, gate_id) VALUES (?1, ?2)",
                params![id, gate_id],
            )?;
            Ok(())
        })?;
        self.session(&id)
    }

    pub fn is_eval_session(&self, session_id: &str) -> Result<bool> {
        Ok(self
            .conn()
            .query_row(
                "SELECT 1 FROM eval_sessions WHERE session_id = ?1",
                [session_id],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    // --- Gates -----------------------------------------------------------------

    pub fn insert_gate(&self, new: &NewGate<'_>) -> Result<Gate> {
        let id = ids::new_id();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO eval_gates (id, agent_id, dream_id, kind, before_spec, after_spec, status, auto_apply, settings, tasks, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7, ?8, ?9, ?10)",
                params![
                    id, new.agent_id, new.dream_id, new.kind, new.before, new.after, new.auto_apply,
                    serde_json::to_string(new.settings).unwrap_or_default(),
                    serde_json::to_string(new.tasks).unwrap_or_default(), ids::now()
                ],
            )?;
            Ok(())
        })?;
        self.gate(&id)
    }

    pub fn gate(&self, id: &str) -> Result<Gate> {
        self.conn()
            .query_row(&format!("SELECT {GATE_COLUMNS} FROM eval_gates WHERE id = ?1"), [id], gate_from_row)
            .optional()?
            .ok_or_else(|| Error::not_found("gate", id))
    }

    /// Gates of an agent (by id; all without), newest first.
    pub fn gates(&self, agent_id: Option<&str>, limit: usize) -> Result<Vec<Gate>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {GATE_COLUMNS} FROM eval_gates WHERE (?1 IS NULL OR agent_id = ?1) ORDER BY created_at DESC, id DESC LIMIT ?2"
        ))?;
        Ok(stmt
            .query_map(params![agent_id, limit as i64], gate_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// The newest gate of a dream.
    pub fn newest_gate_of_dream(&self, dream_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT id FROM eval_gates WHERE dream_id = ?1 ORDER BY created_at DESC, id DESC LIMIT 1",
                [dream_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Ids of gates marked running.
    pub fn running_gate_ids(&self) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id FROM eval_gates WHERE status = 'running'")?;
        Ok(stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// A failed or canceled gate runs again (it resumes).
    pub fn reopen_gate(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE eval_gates SET status = 'running', error = NULL, finished_at = NULL WHERE id = ?1 AND status IN ('failed', 'canceled')",
                [id],
            )?;
            Ok(())
        })
    }

    pub fn set_gate_done_count(&self, id: &str, done: usize, runs: usize) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE eval_gates SET summary = json_set(summary, '$.done', ?2, '$.runs', ?3) WHERE id = ?1",
                params![id, done as i64, runs as i64],
            )?;
            Ok(())
        })
    }

    /// A cancel asked of a gate running in another process.
    pub fn request_gate_cancel(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("UPDATE eval_gates SET error = 'cancel requested' WHERE id = ?1", [id])?;
            Ok(())
        })
    }

    pub fn finish_gate(
        &self,
        id: &str,
        status: &str,
        summary: &Value,
        decision: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE eval_gates SET status = ?2, summary = ?3, decision = ?4, error = ?5, finished_at = ?6 WHERE id = ?1",
                params![id, status, summary.to_string(), decision, error, ids::now()],
            )?;
            Ok(())
        })
    }

    // --- Gate runs -------------------------------------------------------------

    pub fn gate_runs(&self, gate_id: &str) -> Result<Vec<RunRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT task_id, side, status, session_id, outcome_id, result, passed, score, attempts, tokens, cost_usd, ms, error
             FROM eval_runs WHERE gate_id = ?1",
        )?;
        Ok(stmt
            .query_map([gate_id], run_from_row)?
            .collect::<rusqlite::Result<_>>()?)
    }

    pub fn set_gate_run(&self, gate_id: &str, r: &RunRecord) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO eval_runs (gate_id, task_id, side, status, session_id, outcome_id, result, passed, score, attempts, tokens, cost_usd, ms, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                 ON CONFLICT(gate_id, task_id, side) DO UPDATE SET status = excluded.status, session_id = excluded.session_id,
                   outcome_id = excluded.outcome_id, result = excluded.result, passed = excluded.passed, score = excluded.score,
                   attempts = excluded.attempts, tokens = excluded.tokens, cost_usd = excluded.cost_usd, ms = excluded.ms, error = excluded.error",
                params![gate_id, r.task_id, r.side, r.status, r.session_id, r.outcome_id, r.result, r.passed, r.score,
                        r.attempts, r.tokens, r.cost_usd, r.ms, r.error],
            )?;
            Ok(())
        })
    }

    pub fn set_gate_run_session(&self, gate_id: &str, task_id: &str, side: &str, session_id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE eval_runs SET session_id = ?4 WHERE gate_id = ?1 AND task_id = ?2 AND side = ?3",
                params![gate_id, task_id, side, session_id],
            )?;
            Ok(())
        })
    }

    // --- Memory versions for a gate --------------------------------------------

    /// The first and last version rowids a dream wrote.
    pub fn dream_version_span(&self, dream_id: &str) -> Result<(Option<i64>, Option<i64>)> {
        Ok(self.conn().query_row(
            "SELECT MIN(rowid), MAX(rowid) FROM document_versions WHERE dream_id = ?1",
            [dream_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    pub fn version_rowid(&self, id: &str) -> Result<i64> {
        self.conn()
            .query_row("SELECT rowid FROM document_versions WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| Error::not_found("document version", id))
    }

    /// The newest version rowid written at or before `at` (0: none).
    pub fn version_rowid_at(&self, at: &str) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT COALESCE(MAX(rowid), 0) FROM document_versions WHERE created_at <= ?1",
            [at],
            |r| r.get(0),
        )?)
    }

    /// Each document of a store as it was right after the version with
    /// this rowid: (path, content, op) of its newest version up to then.
    pub fn documents_at_rowid(&self, store_id: &str, rowid: i64) -> Result<Vec<(String, Option<String>, String)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT v.path, v.content, v.op FROM documents d JOIN document_versions v ON v.document_id = d.id
             WHERE d.store_id = ?1 AND v.rowid = (SELECT MAX(v2.rowid) FROM document_versions v2
                                                  WHERE v2.document_id = d.id AND v2.rowid <= ?2)",
        )?;
        Ok(stmt
            .query_map(params![store_id, rowid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    // --- Pinned lines ----------------------------------------------------------

    pub fn pinned_lines(&self, store_id: &str, path: &str) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT line FROM pinned_lines WHERE store_id = ?1 AND path = ?2")?;
        Ok(stmt
            .query_map(params![store_id, path], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    pub fn set_line_pinned(&self, store_id: &str, path: &str, line: &str, pinned: bool) -> Result<()> {
        self.write(|tx| {
            if pinned {
                tx.execute(
                    "INSERT OR IGNORE INTO pinned_lines (store_id, path, line, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![store_id, path, line, ids::now()],
                )?;
            } else {
                tx.execute(
                    "DELETE FROM pinned_lines WHERE store_id = ?1 AND path = ?2 AND line = ?3",
                    params![store_id, path, line],
                )?;
            }
            Ok(())
        })
    }

    /// A pin follows its line when the text is corrected (`Some`), and goes
    /// when the line is forgotten (`None`).
    pub fn move_line_pin(&self, store_id: &str, path: &str, old: &str, new: Option<&str>) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE OR IGNORE pinned_lines SET line = COALESCE(?4, line) WHERE store_id = ?1 AND path = ?2 AND line = ?3",
                params![store_id, path, old, new],
            )?;
            if new.is_none() {
                tx.execute(
                    "DELETE FROM pinned_lines WHERE store_id = ?1 AND path = ?2 AND line = ?3",
                    params![store_id, path, old],
                )?;
            }
            Ok(())
        })
    }
}
