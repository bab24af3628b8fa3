//! `reverie eval`: an agent's evaluation set, the regression gate of a
//! dream, and comparisons of two memory versions.

use std::sync::Arc;

use clap::Subcommand;
use reverie_engine::eval::{self, NewEvalTask, gate};
use reverie_engine::runtime::Runtime;
use tokio_util::sync::CancellationToken;

use crate::Context;
use crate::output;

#[derive(Subcommand)]
pub enum EvalCommand {
    /// Add a task to an agent's evaluation set (or take one from a graded session).
    Add {
        #[arg(long)]
        agent: Option<String>,
        /// The rubric that grades it.
        #[arg(long)]
        rubric: Option<String>,
        /// "Use as a check": the task and rubric of this graded session.
        #[arg(long, value_name = "ID")]
        from_session: Option<String>,
        #[arg(long, default_value = "")]
        name: String,
        /// The task text.
        task: Option<String>,
    },
    /// The agent's evaluation set, in order.
    List {
        #[arg(long)]
        agent: String,
    },
    /// Remove a task by id or position.
    Remove {
        #[arg(long)]
        agent: String,
        task: String,
    },
    /// Change a task's name, text or rubric (its version goes up).
    Update {
        /// The task's id.
        task: String,
        #[arg(long)]
        name: Option<String>,
        /// The new task text.
        #[arg(long)]
        text: Option<String>,
        #[arg(long)]
        rubric: Option<String>,
    },
    /// Move a task to a position (1-based) in its set.
    Move { task: String, position: i64 },
    /// Show or change an agent's gate settings (a negative budget clears it).
    Settings {
        #[arg(long)]
        agent: String,
        /// How far the mean score may fall (0..1) and still pass.
        #[arg(long)]
        tolerance: Option<f64>,
        #[arg(long, allow_negative_numbers = true)]
        budget_usd: Option<f64>,
        #[arg(long, allow_negative_numbers = true)]
        budget_tokens: Option<i64>,
        #[arg(long, allow_negative_numbers = true)]
        budget_minutes: Option<i64>,
        /// Runs at once (1..16).
        #[arg(long)]
        concurrency: Option<u64>,
    },
    /// Run (or resume) the regression gate of a staged dream.
    Gate {
        dream: String,
        /// Apply the proposal when nothing got worse.
        #[arg(long)]
        apply: bool,
    },
    /// Resume a gate whose process stopped.
    Resume { gate: String },
    /// A gate's results: per task before and after, regressions first.
    Show { gate: String },
    /// Gates of an agent, newest first.
    Gates {
        #[arg(long)]
        agent: Option<String>,
    },
    /// Cancel a gate; memory is not changed.
    Cancel { gate: String },
    /// Replay the set over two memory versions (current, DREAM, before:DREAM,
    /// after:DREAM, proposal:DREAM, a version id or an RFC 3339 time).
    Compare {
        #[arg(long)]
        agent: String,
        #[arg(long)]
        before: String,
        #[arg(long)]
        after: String,
    },
}

fn runtime(ctx: &Context) -> anyhow::Result<Arc<Runtime>> {
    Ok(Arc::new(Runtime::new(ctx.store()?.clone())?))
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> anyhow::Result<T> {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    Ok(tokio.block_on(f))
}

fn drive(ctx: &Context, runtime: Arc<Runtime>, gate_id: String) -> anyhow::Result<()> {
    let json_out = ctx.json;
    let report = block_on(async move {
        let cancel = CancellationToken::new();
        let on_ctrl_c = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nreverie: canceling the gate…");
                on_ctrl_c.cancel();
            }
        });
        let sink = if json_out {
            gate::GateProgressSink::none()
        } else {
            gate::GateProgressSink::new(|p| {
                if let gate::GateProgress::RunFinished { task_id, side, passed, done, runs, .. } = p {
                    eprintln!("[{done}/{runs}] {task_id} {side}: {}", if passed == Some(true) { "passed" } else { "failed" });
                }
            })
        };
        gate::run_gate(&runtime, &gate_id, cancel, sink).await
    })??;
    print_report(ctx, &report)
}

fn print_report(ctx: &Context, r: &gate::GateReport) -> anyhow::Result<()> {
    if ctx.json {
        return output::json(r);
    }
    output::line(&format!(
        "gate {} {} ({}/{} runs): passed {} → {}, mean score {:.2} → {:.2}{}",
        r.gate.id,
        r.gate.status,
        r.runs_done,
        r.runs_total,
        r.passed_before,
        r.passed_after,
        r.mean_before,
        r.mean_after,
        r.gate.decision.as_deref().map(|d| format!(", {d}")).unwrap_or_default()
    ))?;
    let rows = r
        .tasks
        .iter()
        .map(|t| {
            let side = |s: &Option<gate::RunRecord>| {
                s.as_ref()
                    .map(|s| format!("{} {:.2} ×{} {}", if s.passed == Some(true) { "pass" } else { "fail" }, s.score.unwrap_or(0.0), s.attempts, s.session_id.as_deref().unwrap_or("-")))
                    .unwrap_or_else(|| "-".into())
            };
            vec![
                if t.regression { format!("REGRESSION {}", t.name) } else { t.name.clone() },
                side(&t.before),
                side(&t.after),
                t.score_change.map(|c| format!("{c:+.2}")).unwrap_or_default(),
            ]
        })
        .collect();
    output::table(&["TASK", "BEFORE", "AFTER", "CHANGE"], rows);
    if let Some(e) = &r.gate.error {
        output::line(e)?;
    }
    Ok(())
}

pub fn run(ctx: &Context, cmd: EvalCommand) -> anyhow::Result<()> {
    match cmd {
        EvalCommand::Add { agent, rubric, from_session, name, task } => {
            let store = ctx.store()?;
            let t = match (from_session, task) {
                (Some(session), _) => eval::task_from_session(store, &session, Some(&name))?,
                (None, Some(task)) => eval::add_task(
                    store,
                    agent.as_deref().ok_or_else(|| anyhow::anyhow!("give --agent"))?,
                    &NewEvalTask {
                        name,
                        task,
                        rubric: rubric.ok_or_else(|| anyhow::anyhow!("give --rubric"))?,
                    },
                )?,
                (None, None) => anyhow::bail!("give the task text, or --from-session ID"),
            };
            if ctx.json {
                return output::json(&t);
            }
            output::line(&format!("added task {} ({}) at position {}", t.id, t.rubric_name, t.position))
        }
        EvalCommand::List { agent } => {
            let tasks = eval::list_tasks(ctx.store()?, &agent)?;
            if ctx.json {
                return output::json(&tasks);
            }
            output::table(
                &["#", "ID", "NAME", "RUBRIC", "TASK"],
                tasks
                    .iter()
                    .map(|t| vec![t.position.to_string(), t.id.clone(), t.name.clone(), t.rubric_name.clone(), t.task.chars().take(60).collect()])
                    .collect(),
            );
            Ok(())
        }
        EvalCommand::Remove { agent, task } => {
            let t = eval::remove_task(ctx.store()?, &agent, &task)?;
            if ctx.json {
                return output::json(&t);
            }
            output::line(&format!("removed task {}", t.id))
        }
        EvalCommand::Update { task, name, text, rubric } => {
            let t = eval::update_task(ctx.store()?, &task, &eval::EvalTaskUpdate { name, task: text, rubric })?;
            if ctx.json {
                return output::json(&t);
            }
            output::line(&format!("task {} is at version {}", t.id, t.version))
        }
        EvalCommand::Move { task, position } => {
            let tasks = eval::move_task(ctx.store()?, &task, position)?;
            if ctx.json {
                return output::json(&tasks);
            }
            for t in &tasks {
                output::line(&format!("{} {} {}", t.position, t.id, t.name))?;
            }
            Ok(())
        }
        EvalCommand::Settings { agent, tolerance, budget_usd, budget_tokens, budget_minutes, concurrency } => {
            let store = ctx.store()?;
            let changes = eval::GateSettingsChanges {
                tolerance,
                budget_tokens,
                budget_usd,
                budget_seconds: budget_minutes.map(|m| if m < 0 { -1 } else { m * 60 }),
                concurrency,
            };
            let s = eval::set_gate_settings(store, &agent, &changes)?;
            if ctx.json {
                return output::json(&s);
            }
            let or_none = |v: Option<String>| v.unwrap_or_else(|| "none".into());
            output::line(&format!(
                "tolerance {:.2} · budget {} / {} tokens / {} · {} at once",
                s.tolerance,
                or_none(s.budget_usd.map(|b| format!("${b:.2}"))),
                or_none(s.budget_tokens.map(|b| b.to_string())),
                or_none(s.budget_seconds.map(|b| format!("{} min", b / 60))),
                s.concurrency
            ))
        }
        EvalCommand::Gate { dream, apply } => {
            let runtime = runtime(ctx)?;
            gate::recover_gates(&runtime, false)?;
            // Resume this dream's unfinished gate, else start one.
            let existing = gate::gate_for_dream(runtime.store(), &dream)?
                .filter(|r| matches!(r.gate.status.as_str(), "running" | "failed" | "canceled"));
            let id = match existing {
                Some(r) => r.gate.id,
                None => gate::start_gate(runtime.store(), &dream, apply)?.id,
            };
            drive(ctx, runtime, id)
        }
        EvalCommand::Resume { gate: id } => {
            let runtime = runtime(ctx)?;
            gate::recover_gates(&runtime, false)?;
            drive(ctx, runtime, id)
        }
        EvalCommand::Show { gate: id } => {
            let runtime = runtime(ctx)?;
            gate::recover_gates(&runtime, false)?;
            print_report(ctx, &gate::gate_report(runtime.store(), &id)?)
        }
        EvalCommand::Gates { agent } => {
            let runtime = runtime(ctx)?;
            gate::recover_gates(&runtime, false)?;
            let gates = gate::list_gates(runtime.store(), agent.as_deref(), 50)?;
            if ctx.json {
                return output::json(&gates);
            }
            output::table(
                &["ID", "KIND", "STATUS", "DECISION", "DREAM", "CREATED"],
                gates
                    .iter()
                    .map(|g| vec![g.id.clone(), g.kind.clone(), g.status.clone(), g.decision.clone().unwrap_or_default(), g.dream_id.clone().unwrap_or_default(), output::short_time(&g.created_at)])
                    .collect(),
            );
            Ok(())
        }
        EvalCommand::Cancel { gate: id } => {
            let g = gate::cancel_gate(ctx.store()?, &id)?;
            if ctx.json {
                return output::json(&g);
            }
            output::line(&format!("gate {} {}", g.id, g.status))
        }
        EvalCommand::Compare { agent, before, after } => {
            let runtime = runtime(ctx)?;
            let g = gate::start_compare(runtime.store(), &agent, &before, &after)?;
            drive(ctx, runtime, g.id)
        }
    }
}
