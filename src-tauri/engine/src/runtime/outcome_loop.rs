//! The outcome loop: run an agent on a task, grade what it produced against
//! a rubric, and on `needs_revision` send it back — in the same session,
//! with the failed criteria's gaps as a user message — until the output is
//! `satisfied`, the attempts run out (`max_iterations_reached`), the rubric
//! does not apply (`failed`) or the run stops (`interrupted`).
//!
//! Every iteration leaves a `grader_verdict` and an `outcome_iteration`
//! event on the session's timeline and its verdicts in the store. The
//! grader itself (`outcome::grader`) never sees the session: only the task,
//! the final answer and the workspace files.

use std::path::Path;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{Budget, Limits, Progress, ProgressSink, RunRequest, RunResult, Runtime, thread};
use crate::outcome::grader::{self, Grade, Grader};
use crate::outcome::{Output, OutputFile, Rubric};
use crate::provider::{Message, ProviderKind};
use crate::store::{
    Agent, EventKind, EventQuery, NewEvent, NewOutcome, NewSession, Outcome, OutcomeResult,
    SessionStatus, StoredRubric, StoredVerdict, Usage,
};
use crate::{Error, Result, Store};

/// How to grade a run.
#[derive(Debug, Clone, Default)]
pub struct OutcomeOptions {
    /// The rubric, by name or id.
    pub rubric: String,
    /// Overrides the rubric's `max_iterations` (1..=20).
    pub max_iterations: Option<u32>,
    /// The grader's model; default: the agent's `grader_model` setting, else
    /// the agent's own model.
    pub grader_model: Option<String>,
    /// The grader's provider; default: the agent's `grader_provider`
    /// setting, else the agent's own provider.
    pub grader_provider: Option<ProviderKind>,
}

impl OutcomeOptions {
    pub fn new(rubric: impl Into<String>) -> Self {
        OutcomeOptions {
            rubric: rubric.into(),
            ..Default::default()
        }
    }
}

/// Output tokens the grader may use for its verdict.
const GRADER_MAX_TOKENS: u32 = 4096;
/// Most workspace files handed to the grader.
const MAX_OUTPUT_FILES: usize = 200;
/// Marks the setting that says starters were seeded once, so a user who
/// deletes them does not get them back.
const STARTERS_SEEDED: &str = "rubrics.starters_seeded";

/// A stored rubric and its parsed document.
pub fn load_rubric(store: &Store, name_or_id: &str) -> Result<(StoredRubric, Rubric)> {
    let stored = store.rubric(name_or_id)?;
    let rubric = Rubric::from_json(&stored.document)?;
    Ok((stored, rubric))
}

/// The rubric a run is graded against: the one asked for, else the
/// agent's default rubric (unless `skip_default`), else none. The rubric is
/// loaded now so a bad one fails before the run starts.
pub fn rubric_for_run(
    store: &Store,
    agent: &str,
    asked: Option<String>,
    skip_default: bool,
) -> Result<Option<String>> {
    let chosen = match asked {
        Some(name) => Some(name),
        None if skip_default => None,
        None => store.agent(agent)?.default_rubric_id,
    };
    if let Some(name) = &chosen {
        load_rubric(store, name)?;
    }
    Ok(chosen)
}

/// The starter rubrics as they are stored: a short name from the shipped
/// file (`report`, `python-script`, `slide-deck`) and the document as is.
pub fn starter_documents() -> Vec<(String, &'static str)> {
    crate::outcome::rubric::STARTERS
        .iter()
        .map(|(file, text)| {
            let stem = file.strip_suffix(".json").unwrap_or(file);
            (stem.replace('_', "-"), *text)
        })
        .collect()
}

/// Saves the starter rubrics into a data folder that has none and never
/// had them; returns how many were saved.
pub fn seed_starter_rubrics(store: &Store) -> Result<usize> {
    if store.setting(STARTERS_SEEDED)?.is_some() || !store.list_rubrics()?.is_empty() {
        return Ok(0);
    }
    let starters = starter_documents();
    for (name, document) in &starters {
        store.save_rubric(name, document)?;
    }
    store.set_setting(STARTERS_SEEDED, "1")?;
    Ok(starters.len())
}

/// The result of one graded iteration.
pub fn iteration_result(grade: &Grade, iteration: u32, max_iterations: u32) -> OutcomeResult {
    if !grade.applies {
        OutcomeResult::Failed
    } else if grade.passed() {
        OutcomeResult::Satisfied
    } else if iteration >= max_iterations {
        OutcomeResult::MaxIterationsReached
    } else {
        OutcomeResult::NeedsRevision
    }
}

/// The files under a workspace folder as output files, named by their
/// path inside it (`slides/deck.pptx`), in name order.
pub fn workspace_files(dir: &Path) -> Vec<OutputFile> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<OutputFile>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            if out.len() >= MAX_OUTPUT_FILES {
                return;
            }
            let path = entry.path();
            // Symlinks are not followed: the grader reads only what the
            // agent wrote inside its workspace.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                walk(root, &path, out);
            } else if kind.is_file() {
                let name = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                out.push(OutputFile::from_path(name, path));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

/// Stores one graded iteration: the `grader_verdict` and
/// `outcome_iteration` events and the verdicts. Returns the outcome as now
/// stored.
pub fn record_grade(
    store: &Store,
    session_id: &str,
    outcome: &Outcome,
    iteration: u32,
    grade: &Grade,
    result: OutcomeResult,
) -> Result<Outcome> {
    let usage = Usage {
        input_tokens: grade.usage.input_tokens as i64,
        output_tokens: grade.usage.output_tokens as i64,
        cache_creation_input_tokens: grade.usage.cache_creation_input_tokens as i64,
        cache_read_input_tokens: grade.usage.cache_read_input_tokens as i64,
    };
    let verdict = NewEvent::new(
        EventKind::GraderVerdict,
        json!({
            "outcome_id": outcome.id,
            "iteration": iteration,
            "result": result.as_str(),
            "score": grade.score.weighted_score,
            "passed": grade.passed(),
            "applies": grade.applies,
            "explanation": grade.explanation,
            "failed_required": grade.score.failed_required,
            "verdicts": grade.verdicts,
            "unquoted_evidence": grade.unquoted_evidence,
            "grader": {"model": grade.model, "requests": grade.requests},
        }),
    )
    .with_usage(usage, grade.cost_usd, grade.model_ms as i64);
    let step = NewEvent::new(
        EventKind::OutcomeIteration,
        json!({
            "outcome_id": outcome.id,
            "iteration": iteration,
            "max_iterations": outcome.max_iterations,
            "result": result.as_str(),
            "score": grade.score.weighted_score,
        }),
    );
    store.append_events(session_id, &[verdict, step])?;
    let stored: Vec<StoredVerdict> = grade
        .verdicts
        .iter()
        .map(|v| StoredVerdict {
            iteration: iteration as i64,
            criterion_index: v.criterion_index as i64,
            criterion_name: v.name.clone(),
            passed: v.passed,
            score: v.score,
            evidence: v.evidence.clone(),
            gap: v.gap.clone().unwrap_or_default(),
        })
        .collect();
    store.record_iteration(
        &outcome.id,
        iteration as i64,
        &stored,
        result,
        &grade.explanation,
        grade.score.weighted_score,
    )
}

impl Runtime {
    /// The grader for `agent`'s runs: the options' model and provider, else
    /// the agent's `grader_model` / `grader_provider` settings, else the
    /// agent's own.
    pub fn grader_for(&self, agent: &Agent, options: &OutcomeOptions) -> Result<Grader> {
        let setting = |key: &str| {
            agent
                .settings
                .get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let kind = match (&options.grader_provider, setting("grader_provider")) {
            (Some(kind), _) => *kind,
            (None, Some(name)) => name.parse()?,
            (None, None) => agent.provider,
        };
        let model = options
            .grader_model
            .clone()
            .or_else(|| setting("grader_model"))
            .unwrap_or_else(|| agent.model.clone());
        let provider = self
            .providers
            .get(kind, &self.store)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        // Sized to the model's context when it is known (a 4k local model
        // cannot answer in 4,096 tokens and still read the output).
        let context = agent
            .settings
            .get("context_tokens")
            .and_then(Value::as_u64)
            .map(|c| c as u32)
            .or_else(|| crate::provider::known_context(provider.as_ref(), &model));
        let max_tokens = match context {
            Some(c) => GRADER_MAX_TOKENS.min((c / 4).max(256)),
            None => GRADER_MAX_TOKENS,
        };
        Ok(Grader {
            provider,
            model,
            max_tokens,
        })
    }

    /// The output of a finished session: its final answer and the files in
    /// its workspace.
    pub fn session_output(&self, session_id: &str) -> Result<Output> {
        let session = self.store.session(session_id)?;
        let text = session.final_answer.clone().ok_or_else(|| {
            Error::Invalid(format!(
                "session {session_id} has no final answer to grade; pick a session that completed"
            ))
        })?;
        Ok(Output {
            text,
            files: workspace_files(&self.workspace_dir(&session.root_id)),
        })
    }

    /// Grades a past session's output against a rubric without running the
    /// agent again and without storing an outcome (the rubric builder's
    /// "try it", `reverie rubric test`). `rubric` may be a stored rubric's
    /// name or id, or a rubric document not saved yet.
    pub async fn grade_session(
        &self,
        session_id: &str,
        rubric: &Rubric,
        options: &OutcomeOptions,
        cancel: &CancellationToken,
    ) -> Result<Grade> {
        let session = self.store.session(session_id)?;
        let agent = self.store.agent(&session.agent_id)?;
        let output = self.session_output(session_id)?;
        let grader = self.grader_for(&agent, options)?;
        grader
            .grade(&session.task, rubric, &output, cancel)
            .await
            .map_err(|e| Error::Model(format!("the grader could not grade this output: {e}")))
    }

    /// Runs an agent on a task as a new session and grades each pass
    /// against the rubric, sending it back with the gaps until the outcome
    /// is decided. The session ends when the loop does.
    pub async fn run_with_rubric(
        &self,
        request: RunRequest,
        options: OutcomeOptions,
        cancel: CancellationToken,
        progress: ProgressSink,
    ) -> Result<(RunResult, Outcome)> {
        let agent = self.store.agent(&request.agent)?;
        let (stored_rubric, rubric) = load_rubric(&self.store, &options.rubric)?;
        let max_iterations = options.max_iterations.unwrap_or(rubric.max_iterations);
        if !(1..=crate::outcome::MAX_ITERATIONS_LIMIT).contains(&max_iterations) {
            return Err(Error::Invalid(format!(
                "max iterations must be between 1 and {}",
                crate::outcome::MAX_ITERATIONS_LIMIT
            )));
        }
        if request.task.trim().is_empty() {
            return Err(Error::Invalid(
                "the task is empty; describe what the agent should do".into(),
            ));
        }
        let grader = self.grader_for(&agent, &options);
        let session = crate::tools::memory_view::create_session(&self.store, &NewSession {
            agent_id: agent.id.clone(),
            task: request.task.clone(),
            parent_id: None,
        })?;
        let session_id = session.id.clone();
        self.store.append_event(
            &session_id,
            &NewEvent::new(
                EventKind::UserMessage,
                json!({"turn": 0, "text": request.task}),
            ),
        )?;
        let mut outcome = self.store.create_outcome(&NewOutcome {
            session_id: session_id.clone(),
            agent_id: agent.id.clone(),
            rubric_id: stored_rubric.id.clone(),
            rubric_version: stored_rubric.version,
            task: request.task.clone(),
            max_iterations: max_iterations as i64,
        })?;
        progress.emit(Progress::SessionStarted {
            session_id: session_id.clone(),
            agent: agent.name.clone(),
            parent_id: None,
        });
        let heartbeat = self.keep_lease(&session_id);
        let limits = request.limits.unwrap_or_else(|| Limits::for_agent(&agent));
        let limits = self.fit_to_context(&agent, limits).await;
        let budget = Arc::new(Budget::new(limits.clone()));
        let env = self.thread_env(
            &agent,
            &session_id,
            0,
            limits.clone(),
            budget,
            cancel.clone(),
            progress.clone(),
        );
        let looped = match (env, grader) {
            (Ok(mut env), Ok(grader)) => {
                self.outcome_loop(
                    &mut env,
                    &grader,
                    &rubric,
                    &request.task,
                    &session.root_id,
                    &mut outcome,
                    max_iterations,
                    &progress,
                )
                .await
            }
            (Err(e), _) | (_, Err(e)) => {
                let message = e.to_string();
                self.store.append_event(
                    &session_id,
                    &NewEvent::new(
                        EventKind::Error,
                        json!({"message": message, "source": "setup"}),
                    ),
                )?;
                Ok(LoopEnd {
                    end: thread::ThreadEnd {
                        status: SessionStatus::Failed,
                        final_answer: None,
                        error: Some(message.clone()),
                        turns: 0,
                    },
                    interrupted: Some(message),
                })
            }
        };
        heartbeat.abort();
        let LoopEnd { end, interrupted } = match looped {
            Ok(end) => end,
            Err(e) => {
                // The store failed mid-loop: leave the outcome honest.
                let _ = self.store.finish_outcome(
                    &outcome.id,
                    OutcomeResult::Interrupted,
                    &e.to_string(),
                );
                let _ = self.store.finish_session(
                    &session_id,
                    SessionStatus::Failed,
                    None,
                    Some(&e.to_string()),
                );
                return Err(e);
            }
        };
        if let Some(why) = interrupted {
            outcome = self
                .store
                .finish_outcome(&outcome.id, OutcomeResult::Interrupted, &why)?;
        }
        let finished = self.store.finish_session(
            &session_id,
            end.status,
            end.final_answer.as_deref(),
            end.error.as_deref(),
        )?;
        progress.emit(Progress::Finished {
            session_id: session_id.clone(),
            status: end.status,
            final_answer: end.final_answer.clone(),
            error: end.error.clone(),
        });
        Ok((
            RunResult {
                session_id,
                agent: agent.name.clone(),
                status: end.status,
                final_answer: end.final_answer,
                error: end.error,
                turns: end.turns,
                usage: finished.usage,
                cost_usd: finished.cost_usd,
            },
            outcome,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    async fn outcome_loop(
        &self,
        env: &mut thread::ThreadEnv,
        grader: &Grader,
        rubric: &Rubric,
        task: &str,
        root_id: &str,
        outcome: &mut Outcome,
        max_iterations: u32,
        progress: &ProgressSink,
    ) -> Result<LoopEnd> {
        let session_id = outcome.session_id.clone();
        let turns_per_pass = env.limits.max_turns;
        let mut messages = vec![Message::user(task)];
        let mut turns = 0;
        for iteration in 1..=max_iterations {
            progress.emit(Progress::AttemptStarted {
                session_id: session_id.clone(),
                iteration,
                max_iterations,
            });
            // Each pass gets the agent's full turn limit.
            env.limits.max_turns = turns + turns_per_pass;
            let end = thread::run(env, &session_id, messages, turns).await?;
            turns = end.turns;
            if end.status != SessionStatus::Completed {
                let why = match end.status {
                    SessionStatus::Canceled => {
                        format!("the run was canceled during iteration {iteration}")
                    }
                    _ => format!(
                        "the agent's pass {iteration} stopped: {}",
                        end.error.as_deref().unwrap_or("no answer")
                    ),
                };
                self.log_interrupted(&session_id, outcome, iteration, &why)?;
                return Ok(LoopEnd {
                    end,
                    interrupted: Some(why),
                });
            }
            let output = Output {
                text: end.final_answer.clone().unwrap_or_default(),
                files: workspace_files(&self.workspace_dir(root_id)),
            };
            let grade = match grader.grade(task, rubric, &output, &env.cancel).await {
                Ok(grade) => grade,
                Err(e) => {
                    let (status, why) = if env.cancel.is_cancelled() {
                        (
                            SessionStatus::Canceled,
                            format!("the run was canceled while grading iteration {iteration}"),
                        )
                    } else {
                        (SessionStatus::Completed, e.to_string())
                    };
                    self.store.append_event(
                        &session_id,
                        &NewEvent::new(
                            EventKind::Error,
                            json!({"message": why, "source": "grader"}),
                        ),
                    )?;
                    if status != SessionStatus::Canceled {
                        progress.emit(Progress::GradingFailed {
                            session_id: session_id.clone(),
                            iteration,
                            error: why.clone(),
                        });
                    }
                    self.log_interrupted(&session_id, outcome, iteration, &why)?;
                    return Ok(LoopEnd {
                        end: thread::ThreadEnd { status, ..end },
                        interrupted: Some(why),
                    });
                }
            };
            let result = iteration_result(&grade, iteration, max_iterations);
            *outcome = record_grade(&self.store, &session_id, outcome, iteration, &grade, result)?;
            progress.emit(Progress::Verdict {
                session_id: session_id.clone(),
                outcome_id: outcome.id.clone(),
                iteration,
                max_iterations,
                result,
                score: grade.score.weighted_score,
                explanation: grade.explanation.clone(),
                criteria: grade.verdicts.clone(),
            });
            if result != OutcomeResult::NeedsRevision {
                return Ok(LoopEnd {
                    end,
                    interrupted: None,
                });
            }
            // Same session, same thread: the gaps as the next user message.
            let feedback = grader::feedback(rubric, &grade.verdicts);
            self.store.append_event(
                &session_id,
                &NewEvent::new(
                    EventKind::UserMessage,
                    json!({"turn": turns, "text": feedback, "feedback": true, "iteration": iteration}),
                ),
            )?;
            let events = self.store.events(
                &session_id,
                &EventQuery {
                    thread_id: Some(session_id.clone()),
                    limit: Some(100_000),
                    ..Default::default()
                },
            )?;
            messages = thread::history_from_events(&events).0;
        }
        unreachable!("the last iteration always decides the outcome")
    }

    fn log_interrupted(
        &self,
        session_id: &str,
        outcome: &Outcome,
        iteration: u32,
        why: &str,
    ) -> Result<()> {
        self.store.append_event(
            session_id,
            &NewEvent::new(
                EventKind::OutcomeIteration,
                json!({
                    "outcome_id": outcome.id,
                    "iteration": iteration,
                    "max_iterations": outcome.max_iterations,
                    "result": OutcomeResult::Interrupted.as_str(),
                    "explanation": why,
                }),
            ),
        )?;
        Ok(())
    }
}

struct LoopEnd {
    end: thread::ThreadEnd,
    /// Why the outcome was left undecided.
    interrupted: Option<String>,
}
