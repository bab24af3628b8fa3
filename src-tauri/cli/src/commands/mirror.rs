//! `reverie memory mirror`: keeps a memory store and a folder of plain files
//! in step (the engine's `mirror` does the work), printing one line per
//! document carried over, conflicting or refused; `reverie memory conflicts`
//! lists what it found changed on both sides.

use std::path::PathBuf;

use clap::Args;
use reverie_engine::mirror::{Mirror, MirrorEvent};
use reverie_engine::store::MirrorConflictKind;

use super::memory::Target;
use crate::{Context, output};

#[derive(Args)]
pub struct MirrorArgs {
    #[command(flatten)]
    target: Target,
    /// The folder (created if missing; an empty one receives the whole store).
    dir: PathBuf,
    /// Sync once and exit instead of watching until Ctrl-C.
    #[arg(long)]
    once: bool,
}

pub fn run(ctx: &Context, args: MirrorArgs) -> anyhow::Result<()> {
    // The mirror runs on its own thread, so it needs a shared handle.
    let store = ctx.store()?.clone();
    let store_id = args.target.store_id(&store)?;
    let name = store.memory_store(&store_id)?.name;
    let mut mirror = Mirror::new(store, &store_id, &args.dir)?;
    let json = ctx.json;
    let print = move |event: &MirrorEvent| {
        if json {
            println!(
                "{}",
                serde_json::to_string(event).expect("events serialise")
            );
        } else {
            println!("{event}");
        }
    };

    if args.once {
        let events = mirror.sync_once()?;
        if events.is_empty() && !json {
            eprintln!(
                "Memory store '{name}' and {} were already in step.",
                mirror.dir().display()
            );
        }
        events.iter().for_each(print);
        if !json {
            hint_open_conflicts(mirror.conflicts()?.len());
        }
        // A sync that could not carry something over is not a success.
        let failed = events
            .iter()
            .filter(|e| matches!(e, MirrorEvent::Failed { .. } | MirrorEvent::Error { .. }))
            .count();
        if failed > 0 {
            anyhow::bail!(
                "{failed} change(s) could not be carried over (listed above); fix what they say and run the mirror again"
            );
        }
        return Ok(());
    }

    let (stop_tx, stop_rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .map_err(|e| anyhow::anyhow!("cannot listen for Ctrl-C: {e}"))?;
    let dir = mirror.dir().to_path_buf();
    if !json {
        eprintln!(
            "Mirroring memory store '{name}' to {}; edits on either side are carried over. Press Ctrl-C to stop.",
            dir.display()
        );
    }
    let handle = mirror.spawn(print)?;
    if !json {
        hint_open_conflicts(handle.conflicts()?.len());
    }
    let _ = stop_rx.recv();
    drop(handle);
    if !json {
        eprintln!("Stopped mirroring {}.", dir.display());
    }
    Ok(())
}

fn hint_open_conflicts(open: usize) {
    if open > 0 {
        eprintln!(
            "{open} conflict(s) are open; list them with `reverie memory conflicts` (same --agent or --store)."
        );
    }
}

#[derive(Args)]
pub struct ConflictsArgs {
    #[command(flatten)]
    target: Target,
    /// Include resolved conflicts.
    #[arg(long)]
    all: bool,
    /// Mark a conflict as dealt with (its documents stay as they are).
    #[arg(long, value_name = "ID")]
    resolve: Option<String>,
}

pub fn run_conflicts(ctx: &Context, args: ConflictsArgs) -> anyhow::Result<()> {
    let store = ctx.store()?;
    let store_id = args.target.store_id(store)?;
    if let Some(id) = args.resolve {
        // Only this store's conflicts: an id from another store is not found.
        if !store
            .mirror_conflicts(&store_id, true)?
            .iter()
            .any(|c| c.id == id)
        {
            return Err(reverie_engine::Error::not_found("mirror conflict", id).into());
        }
        let conflict = store.resolve_mirror_conflict(&id)?;
        if ctx.json {
            output::json(&conflict)?;
        } else {
            println!("Resolved the conflict on {}.", conflict.path);
        }
        return Ok(());
    }
    let conflicts = store.mirror_conflicts(&store_id, args.all)?;
    if ctx.json {
        return output::json(&conflicts);
    }
    if conflicts.is_empty() {
        println!("No open conflicts between this memory store and a mirrored folder.");
        return Ok(());
    }
    output::table(
        &[
            "id",
            "document",
            "what happened",
            "folder's version kept as",
            "found",
        ],
        conflicts
            .iter()
            .map(|c| {
                vec![
                    c.id.clone(),
                    c.path.clone(),
                    match c.kind {
                        MirrorConflictKind::BothChanged => "changed on both sides",
                        MirrorConflictKind::DeletedInStore => "deleted in store, edited in folder",
                        MirrorConflictKind::DeletedInFolder => {
                            "deleted in folder, changed in store"
                        }
                    }
                    .to_string(),
                    c.conflict_path.clone().unwrap_or_else(|| "-".into()),
                    format!(
                        "{}{}",
                        output::short_time(&c.detected_at),
                        if c.resolved_at.is_some() {
                            " (resolved)"
                        } else {
                            ""
                        }
                    ),
                ]
            })
            .collect(),
    );
    println!(
        "Merge each document with its kept copy, then delete the copy (the conflict resolves itself), or use --resolve ID."
    );
    Ok(())
}
