use clap::Subcommand;
use reverie_engine::store::{EventQuery, SessionFilter, SessionStatus};

use crate::Context;
use crate::output;

#[derive(Subcommand)]
pub enum SessionCommand {
    /// Sessions, newest first.
    List {
        #[arg(long)]
        agent: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One session: its thread tree and events.
    Show {
        id: String,
        /// At most this many events (0 = all).
        #[arg(long, default_value_t = 0)]
        limit: usize,
    },
    /// Import past sessions from another tool's log into an agent:
    /// Anthropic Messages JSON, OpenAI chat JSON (τ-bench trajectories too),
    /// Claude Managed Agents session event logs; one JSON document or JSON
    /// Lines (one conversation per line). Importing a file again skips what
    /// is already there.
    Import {
        /// The agent the sessions become history of.
        #[arg(long)]
        agent: String,
        /// The file (`-` reads standard input).
        file: std::path::PathBuf,
        /// The log's format; auto decides from the first record that tells.
        #[arg(long, value_enum, default_value_t = ImportFormat::Auto)]
        format: ImportFormat,
        /// A record that is not a conversation: report it and go on
        /// (skip), or report it and stop (stop).
        #[arg(long, value_enum, default_value_t = OnErrorArg::Skip)]
        on_error: OnErrorArg,
    },
    /// Export a session tree as a file: Reverie's JSON, Anthropic Messages
    /// JSON (which `session import` reads back), or OpenTelemetry GenAI
    /// spans (OTLP/JSON) for Langfuse, Phoenix or any OTLP collector.
    Export {
        id: String,
        #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
        format: ExportFormat,
        /// Write here instead of standard output.
        #[arg(long, short)]
        output: Option<std::path::PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    Json,
    Otel,
    Anthropic,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    Auto,
    Anthropic,
    Openai,
    ManagedAgents,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnErrorArg {
    Skip,
    Stop,
}

pub fn run(ctx: &Context, cmd: SessionCommand) -> anyhow::Result<()> {
    let store = ctx.store()?;
    match cmd {
        SessionCommand::List {
            agent,
            status,
            limit,
        } => {
            let status: Option<SessionStatus> = status.map(|s| s.parse()).transpose()?;
            let sessions = store.list_sessions(&SessionFilter {
                agent,
                status,
                roots_only: true,
                limit: Some(limit),
                ..Default::default()
            })?;
            if ctx.json {
                output::json(&sessions)?;
            } else if sessions.is_empty() {
                println!("No sessions yet. Start one: reverie run --agent NAME \"task\"");
            } else {
                output::table(
                    &["id", "agent", "status", "started", "cost", "task"],
                    sessions
                        .iter()
                        .map(|s| {
                            vec![
                                s.id.clone(),
                                s.agent_name.clone(),
                                s.status.as_str().into(),
                                output::short_time(&s.started_at),
                                format!("${:.4}", s.cost_usd),
                                s.task.chars().take(60).collect(),
                            ]
                        })
                        .collect(),
                );
            }
        }
        SessionCommand::Import {
            agent,
            file,
            format,
            on_error,
        } => return import(ctx, store, &agent, &file, format, on_error),
        SessionCommand::Export { id, format, output } => {
            use reverie_engine::session_export::{ExportFormat as Format, export};
            let format = match format {
                ExportFormat::Json => Format::Json,
                ExportFormat::Otel => Format::Otel,
                ExportFormat::Anthropic => Format::Anthropic,
            };
            let (_, document) = export(store, &id, format)?;
            let text = serde_json::to_string_pretty(&document)? + "\n";
            match output {
                Some(path) => std::fs::write(&path, text).map_err(|e| {
                    anyhow::anyhow!(
                        "could not write {}: {e}; check the folder exists",
                        path.display()
                    )
                })?,
                // The export is the result: a reader that leaves early is a failure.
                None => output::write_result("the export", text.as_bytes())?,
            }
        }
        SessionCommand::Show { id, limit } => {
            let session = store.session(&id)?;
            let tree = store.session_tree(&session.root_id)?;
            let events = store.events(
                &id,
                &EventQuery {
                    limit: Some(if limit == 0 { 100_000 } else { limit }),
                    ..Default::default()
                },
            )?;
            if ctx.json {
                output::json(
                    &serde_json::json!({"session": session, "threads": tree, "events": events}),
                )?;
                return Ok(());
            }
            println!(
                "{}  {}  ({})",
                session.id,
                session.agent_name,
                session.status.as_str()
            );
            println!("task: {}", session.task);
            println!(
                "tokens: {} in, {} out, {} cache write, {} cache read; cost ${:.4}",
                session.usage.input_tokens,
                session.usage.output_tokens,
                session.usage.cache_creation_input_tokens,
                session.usage.cache_read_input_tokens,
                session.cost_usd
            );
            if tree.len() > 1 {
                println!("threads:");
                print_tree(&tree, &session.root_id, 1);
            }
            for e in &events {
                let text = e
                    .data
                    .get("text")
                    .and_then(|t| t.as_str())
                    .map(|t| t.chars().take(100).collect::<String>())
                    .unwrap_or_else(|| e.data.to_string().chars().take(100).collect());
                println!(
                    "{:>6}  {}  {:<17} {}",
                    e.seq,
                    output::short_time(&e.at),
                    e.kind.as_str(),
                    text.replace('\n', " ")
                );
            }
            if let Some(answer) = &session.final_answer {
                println!("\nfinal answer:\n{answer}");
            }
            if let Some(error) = &session.error {
                println!("\nerror: {error}");
            }
        }
    }
    Ok(())
}

fn import(
    ctx: &Context,
    store: &reverie_engine::Store,
    agent: &str,
    file: &std::path::Path,
    format: ImportFormat,
    on_error: OnErrorArg,
) -> anyhow::Result<()> {
    use reverie_engine::import::{OnError, import_file};
    use reverie_engine::store::SourceFormat;
    let format = match format {
        ImportFormat::Auto => None,
        ImportFormat::Anthropic => Some(SourceFormat::Anthropic),
        ImportFormat::Openai => Some(SourceFormat::OpenAi),
        ImportFormat::ManagedAgents => Some(SourceFormat::ManagedAgents),
    };
    let on_error = match on_error {
        OnErrorArg::Skip => OnError::Skip,
        OnErrorArg::Stop => OnError::Stop,
    };
    let summary = match import_file(store, agent, file, format, on_error, &mut |_| {}) {
        Ok(summary) => summary,
        // A read failure of the input is a failed import, not a refused data folder.
        Err(reverie_engine::Error::Io { path, source }) => {
            anyhow::bail!(
                "reading {} failed: {source}; sessions imported before it stay, run the import again to continue",
                path.display()
            )
        }
        Err(e) => return Err(e.into()),
    };
    if ctx.json {
        output::json(&summary)?;
    } else {
        println!("{}", summary.describe());
        for bad in &summary.malformed_records {
            eprintln!("malformed {}: {}", bad.at, bad.message);
        }
        if summary.malformed as usize > summary.malformed_records.len() {
            eprintln!(
                "… and {} more malformed record(s)",
                summary.malformed as usize - summary.malformed_records.len()
            );
        }
    }
    if let Some(why) = &summary.stopped {
        // Sessions stored before the stop stay; running the import again
        // after fixing the file skips them.
        anyhow::bail!("import incomplete: {why}");
    }
    Ok(())
}

fn print_tree(tree: &[reverie_engine::store::Session], parent: &str, depth: usize) {
    for s in tree
        .iter()
        .filter(|s| s.parent_id.as_deref() == Some(parent))
    {
        println!(
            "{}└ {} {} ({}) {}",
            "  ".repeat(depth),
            s.id,
            s.agent_name,
            s.status.as_str(),
            s.task.chars().take(50).collect::<String>()
        );
        print_tree(tree, &s.id, depth + 1);
    }
}
