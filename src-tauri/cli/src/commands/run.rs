use std::io::Write;
use std::sync::Arc;

use clap::Args;
use reverie_engine::runtime::{OutcomeOptions, Progress, ProgressSink, RunRequest, Runtime};
use reverie_engine::store::SessionStatus;
use reverie_engine::store::{Outcome, OutcomeResult};
use tokio_util::sync::CancellationToken;

use crate::Context;
use crate::output;

#[derive(Args)]
pub struct RunArgs {
    /// The agent to run.
    #[arg(long)]
    agent: String,
    /// The task, in plain words.
    #[arg(required_unless_present = "resume")]
    task: Option<String>,
    /// Continue an interrupted session instead of starting a new one.
    #[arg(long, value_name = "SESSION_ID", conflicts_with = "task")]
    resume: Option<String>,
    /// Grade the output against this rubric and send the agent back with
    /// the gaps until it passes or the attempts run out. Default: the
    /// agent's default rubric, if it has one.
    #[arg(long, value_name = "NAME", conflicts_with = "resume")]
    rubric: Option<String>,
    /// Do not grade, even if the agent has a default rubric.
    #[arg(long, conflicts_with = "rubric")]
    no_rubric: bool,
    /// Attempts (1..20); default: the rubric's.
    #[arg(long)]
    max_iterations: Option<u32>,
    /// The grader's model; default: the agent's.
    #[arg(long)]
    grader_model: Option<String>,
    /// The grader's provider (anthropic or openai); default: the agent's.
    #[arg(long)]
    grader_provider: Option<String>,
}

/// Runs the agent, streaming its answer; Ctrl-C cancels cleanly (the
/// session is recorded as canceled). Exits non-zero unless it completed
/// (with `--rubric`: unless the outcome is satisfied).
pub fn run(ctx: &Context, args: RunArgs) -> anyhow::Result<()> {
    let store = Arc::new(reverie_engine::Store::open(&ctx.data_dir)?);
    store.mark_interrupted_sessions()?;
    let runtime = Runtime::new(store.clone())?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let json = ctx.json;
    // A resumed session keeps going ungraded, as it started.
    let rubric = if args.resume.is_some() {
        None
    } else {
        reverie_engine::runtime::outcome_loop::rubric_for_run(
            &store,
            &args.agent,
            args.rubric,
            args.no_rubric,
        )?
    };
    if rubric.is_none()
        && (args.max_iterations.is_some()
            || args.grader_model.is_some()
            || args.grader_provider.is_some())
    {
        anyhow::bail!(
            "--max-iterations, --grader-model and --grader-provider grade the run, which needs a rubric: pass --rubric NAME or give the agent a default rubric"
        );
    }
    let options = match rubric {
        Some(rubric) => Some(OutcomeOptions {
            rubric,
            max_iterations: args.max_iterations,
            grader_model: args.grader_model,
            grader_provider: args.grader_provider.map(|p| p.parse()).transpose()?,
        }),
        None => None,
    };
    let (result, outcome): (_, Option<Outcome>) = tokio.block_on(async move {
        let cancel = CancellationToken::new();
        let on_ctrl_c = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nreverie: canceling…");
                on_ctrl_c.cancel();
            }
        });
        let sink = if json {
            ProgressSink::none()
        } else {
            ProgressSink::new(print_progress)
        };
        let task = args.task.unwrap_or_default();
        let request = RunRequest {
            agent: args.agent,
            task,
            limits: None,
        };
        match (args.resume, options) {
            (Some(id), _) => runtime.resume(&id, cancel, sink).await.map(|r| (r, None)),
            (None, Some(options)) => runtime
                .run_with_rubric(request, options, cancel, sink)
                .await
                .map(|(r, o)| (r, Some(o))),
            (None, None) => runtime.run(request, cancel, sink).await.map(|r| (r, None)),
        }
    })?;
    if ctx.json {
        match &outcome {
            Some(outcome) => {
                let verdicts = store.verdicts(&outcome.id)?;
                output::json(
                    &serde_json::json!({"run": result, "outcome": outcome, "verdicts": verdicts}),
                )?
            }
            None => output::json(&result)?,
        }
    } else {
        println!();
        eprintln!(
            "session {} · {} · {} turns · {} tokens in, {} out · ${:.4}",
            result.session_id,
            result.status.as_str(),
            result.turns,
            result.usage.input_tokens,
            result.usage.output_tokens,
            result.cost_usd
        );
        if let Some(o) = &outcome {
            eprintln!(
                "outcome {} · {} after {} of {} iterations · score {} · {}",
                o.id,
                o.result.map_or("undecided", |r| r.as_str()),
                o.iterations,
                o.max_iterations,
                o.score.map_or("-".into(), |s| format!("{s:.2}")),
                o.explanation
            );
        }
    }
    if let Some(o) = outcome {
        return match o.result {
            Some(OutcomeResult::Satisfied) => Ok(()),
            result => Err(anyhow::anyhow!(
                "the output did not satisfy the rubric ({}): {}",
                result.map_or("undecided", |r| r.as_str()),
                o.explanation
            )),
        };
    }
    match result.status {
        SessionStatus::Completed => Ok(()),
        status => Err(anyhow::anyhow!(
            "the session {} ({})",
            status.as_str(),
            result.error.unwrap_or_else(|| "no answer".into())
        )),
    }
}

/// The answer streams to stdout; tools and retries go to stderr, so
/// `reverie run ... > answer.md` captures just the answer.
fn print_progress(p: Progress) {
    match p {
        Progress::TextDelta { text, .. } => {
            print!("{text}");
            let _ = std::io::stdout().flush();
        }
        Progress::ToolCall { name, input, .. } => {
            let what = input.get("command").and_then(|c| c.as_str()).unwrap_or("");
            let path = input.get("path").and_then(|c| c.as_str()).unwrap_or("");
            eprintln!("\n· {name} {what} {path}");
        }
        Progress::ToolResult {
            is_error: true,
            content,
            ..
        } => eprintln!("  ! {}", content.lines().next().unwrap_or("")),
        Progress::Retrying {
            attempt,
            delay_ms,
            error,
            ..
        } => {
            eprintln!(
                "\n· retrying (attempt {attempt}) in {:.1}s: {error}",
                delay_ms as f64 / 1000.0
            )
        }
        Progress::Verdict {
            iteration,
            result,
            score,
            ..
        } => eprintln!(
            "\n· grader: iteration {iteration} {} (score {score:.2})",
            result.as_str()
        ),
        _ => {}
    }
}
