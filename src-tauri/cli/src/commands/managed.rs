//! `reverie managed`: the Claude Managed Agents bridge — turn it on or off,
//! push and pull a memory store, upload sessions, and run a dream through
//! the Dreams API that comes back as a Reverie proposal to review.

use std::time::Duration;

use clap::Subcommand;
use reverie_engine::managed_agents::{
    self as managed, Bridge, BridgeSettings, BridgeStatus, DreamStart, ImportedDream, RemoteDream,
    SyncReport, wire::DreamStatus,
};
use reverie_engine::store::{DreamStatus as LocalStatus, DreamTrigger};
use reverie_engine::Error;
use tokio_util::sync::CancellationToken;

use crate::Context;
use crate::commands::key::keychain;
use crate::output;

#[derive(Subcommand)]
pub enum ManagedCommand {
    /// Turn the bridge on, optionally saving the Managed Agents agent and
    /// environment that uploaded sessions belong to.
    Enable {
        /// The Managed Agents agent (agent_…) uploaded sessions belong to.
        #[arg(long, value_name = "ID")]
        agent_id: Option<String>,
        /// The Managed Agents environment (env_…) uploaded sessions run in.
        #[arg(long, value_name = "ID")]
        environment_id: Option<String>,
        /// The model dreams run with (default: the agent's).
        #[arg(long, value_name = "MODEL")]
        dream_model: Option<String>,
        /// A base URL for Managed Agents only (ANTHROPIC_BASE_URL still wins).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
    /// Turn the bridge off (links, sync state and settings stay).
    Disable,
    /// Whether the bridge is on, the key (never printed), linked stores and dreams.
    Status {
        /// Also call the API once to check the key and base URL.
        #[arg(long)]
        check: bool,
    },
    /// Carry local memory changes to the linked Managed Agents store
    /// (created on the first push).
    Push {
        #[arg(long)]
        store: String,
        /// Push to this Managed Agents store (memstore_…) and link it.
        #[arg(long, value_name = "ID")]
        remote: Option<String>,
    },
    /// Bring a Managed Agents store's changes into a local store (created
    /// when it does not exist and --remote is given).
    Pull {
        #[arg(long)]
        store: String,
        /// Pull from this Managed Agents store (memstore_…) and link it.
        #[arg(long, value_name = "ID")]
        remote: Option<String>,
    },
    /// Conflicts between a store and its Managed Agents store.
    Conflicts {
        #[arg(long)]
        store: String,
        /// Resolved ones too.
        #[arg(long)]
        all: bool,
    },
    /// Mark a conflict dealt with, so the next push carries the local version.
    Resolve { id: String },
    /// Upload sessions as Managed Agents sessions.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Dreams run by the Dreams API.
    #[command(subcommand)]
    Dream(DreamCommand),
}

#[derive(Subcommand)]
pub enum SessionsCommand {
    /// Upload finished sessions (each once, unless --force).
    Upload {
        #[arg(required = true, value_name = "ID")]
        ids: Vec<String>,
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
pub enum DreamCommand {
    /// Push the store, upload the sessions and start a dream over them.
    Start {
        #[arg(long)]
        store: String,
        /// Sessions to read (default: the store's agent's since its last dream).
        #[arg(long, num_args = 1.., value_name = "ID")]
        sessions: Vec<String>,
        #[arg(long)]
        instructions: Option<String>,
        #[arg(long)]
        model: Option<String>,
    },
    /// A dream's status.
    Status { id: String },
    /// Cancel a pending or running dream.
    Cancel { id: String },
    /// Poll until the dream ends, then stage it as a Reverie dream and print its id.
    Wait {
        id: String,
        /// Wait this long between the first polls (it grows to 30 s).
        #[arg(long, default_value_t = 2000, value_name = "MS")]
        poll_ms: u64,
    },
    /// Stage a finished dream as a Reverie dream (again: the same one).
    Import { id: String },
}

fn tokio() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

fn open(ctx: &Context) -> anyhow::Result<Bridge> {
    Ok(Bridge::open(ctx.store()?.clone(), &keychain())?)
}

pub fn run(ctx: &Context, cmd: ManagedCommand) -> anyhow::Result<()> {
    match cmd {
        ManagedCommand::Enable {
            agent_id,
            environment_id,
            dream_model,
            base_url,
        } => {
            let store = ctx.store()?;
            managed::enable(
                store,
                &BridgeSettings {
                    agent_id,
                    environment_id,
                    dream_model,
                    base_url,
                },
            )?;
            print_status(ctx, &managed::status(store, &keychain())?)
        }
        ManagedCommand::Disable => {
            let store = ctx.store()?;
            managed::disable(store)?;
            print_status(ctx, &managed::status(store, &keychain())?)
        }
        ManagedCommand::Status { check } => {
            let mut status = managed::status(ctx.store()?, &keychain())?;
            if check {
                let checked = match open(ctx) {
                    Ok(bridge) => tokio()?.block_on(bridge.check()),
                    Err(e) => Err(e.downcast::<Error>()?),
                };
                status.reachable = Some(checked.is_ok());
                status.check_error = checked.err().map(|e| e.to_string());
            }
            print_status(ctx, &status)
        }
        ManagedCommand::Push { store, remote } => {
            let bridge = open(ctx)?;
            let report = tokio()?.block_on(bridge.push(&store, remote.as_deref()))?;
            print_sync(ctx, &report)
        }
        ManagedCommand::Pull { store, remote } => {
            let bridge = open(ctx)?;
            let report = tokio()?.block_on(bridge.pull(&store, remote.as_deref()))?;
            print_sync(ctx, &report)
        }
        ManagedCommand::Conflicts { store, all } => {
            let conflicts = managed::conflicts(ctx.store()?, &store, all)?;
            if ctx.json {
                return output::json(&conflicts);
            }
            if conflicts.is_empty() {
                println!("No open conflicts with Claude Managed Agents.");
            }
            for c in conflicts {
                println!(
                    "{}  {}  {:?}  kept as {}{}",
                    c.id,
                    c.path,
                    c.kind,
                    c.conflict_path.as_deref().unwrap_or("-"),
                    if c.resolved_at.is_some() {
                        "  (resolved)"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        ManagedCommand::Resolve { id } => {
            let conflict = managed::resolve_conflict(ctx.store()?, &id)?;
            if ctx.json {
                output::json(&conflict)
            } else {
                println!("Conflict on {} marked resolved.", conflict.path);
                Ok(())
            }
        }
        ManagedCommand::Sessions(SessionsCommand::Upload { ids, force }) => {
            let bridge = open(ctx)?;
            let report = tokio()?.block_on(bridge.upload_sessions(&ids, force))?;
            if ctx.json {
                return output::json(&report);
            }
            for s in report.sessions {
                println!(
                    "{} -> {}{}",
                    s.session_id,
                    s.remote_session_id,
                    if s.uploaded { "" } else { " (uploaded before)" }
                );
            }
            Ok(())
        }
        ManagedCommand::Dream(cmd) => dream(ctx, cmd),
    }
}

fn dream(ctx: &Context, cmd: DreamCommand) -> anyhow::Result<()> {
    let bridge = open(ctx)?;
    let tokio = tokio()?;
    match cmd {
        DreamCommand::Start {
            store,
            sessions,
            instructions,
            model,
        } => {
            let started = tokio.block_on(bridge.dream_start(&DreamStart {
                store,
                session_ids: sessions,
                instructions,
                model,
            }))?;
            if ctx.json {
                return output::json(&started);
            }
            for event in &started.push.events {
                eprintln!("{event}");
            }
            eprintln!(
                "Started dream {} over {} sessions ({}); wait for it with `reverie managed dream wait {}`.",
                started.remote.id,
                started.record.session_ids.len(),
                started.remote.status.as_str(),
                started.remote.id
            );
            println!("{}", started.remote.id);
            Ok(())
        }
        DreamCommand::Status { id } => {
            print_remote(ctx, &tokio.block_on(bridge.dream_status(&id))?)
        }
        DreamCommand::Cancel { id } => {
            print_remote(ctx, &tokio.block_on(bridge.dream_cancel(&id))?)
        }
        DreamCommand::Wait { id, poll_ms } => {
            let json = ctx.json;
            let imported = tokio.block_on(async {
                let cancel = CancellationToken::new();
                let on_ctrl_c = cancel.clone();
                tokio::spawn(async move {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        on_ctrl_c.cancel();
                    }
                });
                bridge
                    .dream_wait(&id, Duration::from_millis(poll_ms), &cancel, |d| {
                        if !json {
                            eprintln!("dream {}: {}", d.remote.id, d.remote.status.as_str());
                        }
                    })
                    .await?;
                bridge.dream_import(&id, DreamTrigger::Cli).await
            })?;
            print_imported(ctx, &imported)
        }
        DreamCommand::Import { id } => {
            let imported = tokio.block_on(bridge.dream_import(&id, DreamTrigger::Cli))?;
            print_imported(ctx, &imported)
        }
    }
}

fn print_status(ctx: &Context, s: &BridgeStatus) -> anyhow::Result<()> {
    if ctx.json {
        return output::json(s);
    }
    println!(
        "Claude Managed Agents bridge: {}",
        if s.enabled { "on" } else { "off" }
    );
    match (&s.key.source, &s.key.hint, &s.key.error) {
        (Some(source), Some(hint), _) => println!(
            "Key: the Anthropic key from {} ({hint})",
            match source {
                reverie_engine::keychain::KeySource::Environment => "ANTHROPIC_API_KEY",
                reverie_engine::keychain::KeySource::Keychain => "the OS keychain",
            }
        ),
        (_, _, Some(error)) => println!("Key: {error}"),
        _ => println!("Key: none; add one with `reverie key set anthropic`"),
    }
    println!("Base URL: {}", s.base_url);
    println!(
        "Uploads: agent {}, environment {}",
        s.agent_id.as_deref().unwrap_or("(not set)"),
        s.environment_id.as_deref().unwrap_or("(not set)")
    );
    if let Some(model) = &s.dream_model {
        println!("Dream model: {model}");
    }
    for l in &s.stores {
        println!(
            "Store {} -> {}{}",
            l.store,
            l.remote_store_id,
            match l.open_conflicts {
                0 => String::new(),
                1 => " (1 open conflict)".into(),
                n => format!(" ({n} open conflicts)"),
            }
        );
    }
    println!("Sessions uploaded: {}", s.uploaded_sessions);
    for d in &s.dreams {
        println!(
            "Dream {} started {}{}",
            d.remote_dream_id,
            output::short_time(&d.started_at),
            d.imported_dream_id
                .as_ref()
                .map(|id| format!(", imported as {id}"))
                .unwrap_or_default()
        );
    }
    match (s.reachable, &s.check_error) {
        (Some(true), _) => println!("Check: the API answered."),
        (Some(false), Some(e)) => println!("Check: {e}"),
        _ => {}
    }
    Ok(())
}

fn print_sync(ctx: &Context, r: &SyncReport) -> anyhow::Result<()> {
    if ctx.json {
        return output::json(r);
    }
    if r.created_remote_store {
        println!(
            "Created Managed Agents store {} for '{}'.",
            r.remote_store_id, r.store
        );
    }
    if r.created_local_store {
        println!("Created the local store '{}'.", r.store);
    }
    for event in &r.events {
        println!("{event}");
    }
    if r.events.is_empty() {
        println!("Nothing to carry over.");
    }
    if !r.waiting.is_empty() {
        let other = match r.direction {
            managed::SyncDirection::Push => "pull",
            managed::SyncDirection::Pull => "push",
        };
        println!(
            "{} changed on the other side; {other} to carry them over.",
            match r.waiting.len() {
                1 => "1 document".to_string(),
                n => format!("{n} documents"),
            }
        );
    }
    if !r.open_conflicts.is_empty() {
        println!(
            "{} open conflicts: see `reverie managed conflicts --store {}`.",
            r.open_conflicts.len(),
            r.store
        );
    }
    Ok(())
}

fn print_remote(ctx: &Context, d: &RemoteDream) -> anyhow::Result<()> {
    if ctx.json {
        return output::json(d);
    }
    let r = &d.remote;
    println!("dream {}: {}", r.id, r.status.as_str());
    if let Some(e) = &r.error {
        println!("error: {}: {}", e.kind, e.message);
    }
    if let Some(out) = r.output_store_id() {
        println!("output store: {out}");
    }
    println!(
        "usage: {} input, {} output, {} cache read tokens",
        r.usage.input_tokens, r.usage.output_tokens, r.usage.cache_read_input_tokens
    );
    if let Some(id) = d
        .record
        .as_ref()
        .and_then(|rec| rec.imported_dream_id.as_ref())
    {
        println!("imported as Reverie dream {id}");
    }
    Ok(())
}

/// The Reverie dream's id on standard output; what happened on standard
/// error. A failed or canceled remote dream is an error (exit 1).
fn print_imported(ctx: &Context, i: &ImportedDream) -> anyhow::Result<()> {
    if ctx.json {
        output::json(i)?;
    } else {
        println!("{}", i.dream.id);
    }
    match i.dream.status {
        LocalStatus::Completed => {
            if !ctx.json {
                eprintln!(
                    "Staged as Reverie dream {} with {} edits{}: review it with `reverie dream show {}`, then `reverie dream apply {}`.",
                    i.dream.id,
                    i.edits.len(),
                    match i.blocked.len() {
                        0 => String::new(),
                        n => format!(" ({n} left out)"),
                    },
                    i.dream.id,
                    i.dream.id
                );
            }
            Ok(())
        }
        _ => {
            let status = match i.remote.status {
                DreamStatus::Canceled => "canceled",
                _ => "failed",
            };
            Err(Error::Remote(format!(
                "{} (recorded as Reverie dream {}, {status})",
                i.dream
                    .error
                    .as_deref()
                    .unwrap_or("the dream did not complete"),
                i.dream.id
            ))
            .into())
        }
    }
}
