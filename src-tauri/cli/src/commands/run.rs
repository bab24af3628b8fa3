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
    let store = ctx.store()?.clone();
    let runtime = Runtime::new(store.clone())?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let json = ctx.json;
    let agent_name = args.agent.clone();
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
    // The answer as it streams; see `AnswerPrinter`.
    let answer = Arc::new(std::sync::Mutex::new(AnswerPrinter::new()));
    let printer = answer.clone();
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
            ProgressSink::new(move |p| print_progress(&printer, p))
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
        lock(&answer).settle();
        println!();
        let model = store
            .agent(&agent_name)
            .map(|a| a.model)
            .unwrap_or_default();
        eprintln!(
            "session {} · {} · {} turns · {} tokens in, {} out · {}",
            result.session_id,
            result.status.as_str(),
            result.turns,
            result.usage.input_tokens,
            result.usage.output_tokens,
            output::money(&ctx.data_dir, &model, result.cost_usd)
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
            // Grading itself failed (or the run stopped first): no grade
            // was given, which is not the same as a failed one.
            Some(OutcomeResult::Interrupted) => {
                Err(anyhow::anyhow!("no grade was given: {}", o.explanation))
            }
            Some(OutcomeResult::Failed) => Err(anyhow::anyhow!(
                "the grader found that the rubric does not apply to this output: {}",
                o.explanation
            )),
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

/// The answer goes to stdout; tools and retries go to stderr, so
/// `reverie run ... > answer.md` captures just the answer.
fn print_progress(answer: &std::sync::Mutex<AnswerPrinter>, p: Progress) {
    let mut answer = lock(answer);
    match &p {
        Progress::TextDelta { text, .. } => return answer.text(text),
        // The reply shown so far is void: the call starts over.
        Progress::Retrying { .. } => answer.retract(),
        // Anything else comes after a whole reply.
        _ => answer.settle(),
    }
    match p {
        Progress::TextDelta { .. } => {}
        // A local server whose chat template cannot call tools drops them
        // silently: said before the answer, not after a puzzling one.
        Progress::Notice { message, .. } => eprintln!("note: {message}"),
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

fn lock(answer: &std::sync::Mutex<AnswerPrinter>) -> std::sync::MutexGuard<'_, AnswerPrinter> {
    answer.lock().unwrap_or_else(|p| p.into_inner())
}

/// The answer on stdout. On a terminal it streams as it comes, and when a
/// model call is retried after part of its reply was shown, that part is
/// erased so the full reply replaces it. Anywhere else (a file, a pipe)
/// each reply is written once it is whole, so a retried reply never
/// appears twice in `answer.md`.
struct AnswerPrinter {
    terminal: bool,
    /// The reply of the call in progress, as far as it came.
    current: String,
}

impl AnswerPrinter {
    fn new() -> Self {
        use std::io::IsTerminal;
        AnswerPrinter {
            terminal: std::io::stdout().is_terminal(),
            current: String::new(),
        }
    }

    fn text(&mut self, text: &str) {
        self.current.push_str(text);
        if self.terminal {
            print!("{text}");
        }
    }

    /// The reply so far is complete.
    fn settle(&mut self) {
        if !self.terminal && !self.current.is_empty() {
            print!("{}", self.current);
        }
        self.current.clear();
    }

    /// The reply so far will be sent again from the start: take it back.
    fn retract(&mut self) {
        if self.terminal && !self.current.is_empty() {
            let rows = rows_above(&self.current, terminal_columns());
            // Back to the first column of the reply's first row, then clear
            // everything from there down.
            let up = if rows > 0 {
                format!("\x1b[{rows}A")
            } else {
                String::new()
            };
            print!("\r{up}\x1b[J");
        }
        self.current.clear();
    }
}

/// How many rows above the cursor `text` began, printed from the first
/// column of a terminal `columns` wide.
fn rows_above(text: &str, columns: usize) -> usize {
    let columns = columns.max(1);
    let (mut row, mut column) = (0, 0);
    for c in text.chars() {
        if c == '\n' {
            row += 1;
            column = 0;
            continue;
        }
        if c.is_control() {
            continue;
        }
        if column == columns {
            row += 1;
            column = 0;
        }
        column += 1;
    }
    row
}

#[cfg(unix)]
fn terminal_columns() -> usize {
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ fills the winsize it is given; nothing else is touched.
    let ok = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    if ok && size.ws_col > 0 {
        size.ws_col as usize
    } else {
        80
    }
}

#[cfg(not(unix))]
fn terminal_columns() -> usize {
    80
}

#[cfg(test)]
mod tests {
    use super::rows_above;

    #[test]
    fn rows_of_a_partial_reply() {
        assert_eq!(rows_above("", 80), 0);
        assert_eq!(rows_above("hello", 80), 0);
        assert_eq!(rows_above("hello\nworld", 80), 1);
        assert_eq!(rows_above(&"x".repeat(80), 80), 0);
        assert_eq!(rows_above(&"x".repeat(81), 80), 1);
        assert_eq!(rows_above(&format!("{}\nab", "x".repeat(170)), 80), 3);
    }
}
