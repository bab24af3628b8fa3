//! `reverie daemon`: the dream scheduler without a window. Runs until
//! Ctrl-C (or SIGTERM) and prints one line per scheduled dream.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use reverie_engine::dream::schedule::{Scheduler, SlotResult, SystemClock};
use reverie_engine::runtime::Runtime;
use tokio_util::sync::CancellationToken;

use crate::Context;

#[derive(Args)]
pub struct DaemonArgs {
    /// How often to check the agents' schedules.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    interval_seconds: u64,
    /// Check once, run what is due, and exit.
    #[arg(long)]
    once: bool,
}

pub fn run(ctx: &Context, args: DaemonArgs) -> anyhow::Result<()> {
    let opened = ctx.opened()?;
    let store = opened.store.clone();
    for id in &opened.failed_dreams {
        println!("dream {id} failed: the process stopped mid-dream; memory was not changed");
    }
    // Folder mirrors configured on stores run as long as the daemon does.
    let _mirrors: Vec<_> =
        reverie_engine::mirror::start_configured(&store, |memory_store, event| {
            tracing::info!(store = %memory_store.name, ?event, "mirror");
        })?
        .into_iter()
        .filter_map(|(memory_store, handle)| match handle {
            Ok(handle) => Some(handle),
            Err(e) => {
                eprintln!("mirror of '{}' not running: {e}", memory_store.name);
                None
            }
        })
        .collect();
    let runtime = Arc::new(Runtime::new(store)?);
    let scheduler = Scheduler::new(Arc::new(reverie_engine::eval::dreamer(runtime)), Arc::new(SystemClock));
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let json = ctx.json;
    tokio.block_on(async move {
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.cancel();
        });
        #[cfg(unix)]
        {
            let stop = cancel.clone();
            if let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                tokio::spawn(async move {
                    term.recv().await;
                    stop.cancel();
                });
            }
        }
        let waiting_told = std::sync::Mutex::new(std::collections::HashSet::new());
        let print = move |o: &reverie_engine::dream::schedule::SlotOutcome| {
            // A slot that waits is told once, not at every look.
            if let SlotResult::Waiting { reason } = &o.result {
                let key = (o.agent.clone(), o.slot.clone(), reason.clone());
                if !waiting_told
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(key)
                {
                    return;
                }
            }
            if json {
                println!("{}", serde_json::to_string(o).unwrap_or_default());
                return;
            }
            let what = match &o.result {
                SlotResult::Dreamed { dream_id, status } => {
                    format!("dream {dream_id} {}", status.as_str())
                }
                SlotResult::Skipped { reason } => format!("skipped: {reason}"),
                SlotResult::Failed { error } => format!("failed: {error}"),
                SlotResult::Waiting { reason } => format!("waiting: {reason}"),
            };
            println!(
                "{} {} (slot {}): {what}",
                reverie_engine::ids::now(),
                o.agent,
                o.slot
            );
        };
        if args.once {
            scheduler
                .tick(&cancel)
                .await
                .map(|outcomes| outcomes.iter().for_each(print))
        } else {
            eprintln!("reverie daemon: dream scheduler running; Ctrl-C stops it");
            scheduler
                .run(
                    Duration::from_secs(args.interval_seconds.max(1)),
                    cancel,
                    print,
                )
                .await;
            Ok(())
        }
    })?;
    Ok(())
}

/// `reverie dream --due`: what the OS schedule runs while the app is
/// closed. Runs the dreams whose slot has come (and slots missed while the
/// machine slept, once), prints one line per dream, and exits.
pub fn run_due(ctx: &Context) -> anyhow::Result<()> {
    let store = ctx.store()?.clone();
    let runtime = Arc::new(Runtime::new(store)?);
    let scheduler = Scheduler::new(Arc::new(reverie_engine::eval::dreamer(runtime)), Arc::new(SystemClock));
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcomes = tokio.block_on(async {
        let cancel = CancellationToken::new();
        let stop = cancel.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.cancel();
        });
        scheduler.tick(&cancel).await
    })?;
    if ctx.json {
        println!("{}", serde_json::to_string(&outcomes)?);
        return Ok(());
    }
    if outcomes.is_empty() {
        println!("No dream is due.");
    }
    for o in &outcomes {
        let what = match &o.result {
            SlotResult::Dreamed { dream_id, status } => {
                format!("dream {dream_id} {}", status.as_str())
            }
            SlotResult::Skipped { reason } => format!("skipped: {reason}"),
            SlotResult::Failed { error } => format!("failed: {error}"),
            SlotResult::Waiting { reason } => format!("waiting: {reason}"),
        };
        println!("{}: {what}", o.agent);
    }
    Ok(())
}
