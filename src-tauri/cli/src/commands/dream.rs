//! `reverie dream`: run a dream for an agent, or list, show, apply, reject
//! and revert dreams, and accept or reject single edits of a proposal.

use std::collections::BTreeMap;
use std::sync::Arc;

use clap::{Args, Subcommand};
use reverie_engine::dream::schedule::{Schedule, Scheduler};
use reverie_engine::dream::{
    self, ConflictChoice, DreamProgress, DreamProgressSink, DreamRequest,
};
use reverie_engine::runtime::Runtime;
use reverie_engine::store::{AgentUpdate, DreamMode, DreamTrigger, EditDecision};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::Context;
use crate::output;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct DreamArgs {
    #[command(subcommand)]
    action: Option<DreamAction>,
    #[command(flatten)]
    run: DreamRunArgs,
    /// Run every scheduled dream whose time has come, then exit (what the
    /// OS schedule runs while the app is closed).
    #[arg(long, conflicts_with = "agent")]
    due: bool,
}

#[derive(Args)]
pub struct DreamRunArgs {
    /// The agent whose sessions to review.
    #[arg(long, required_unless_present = "due")]
    agent: Option<String>,
    /// Review these sessions (comma-separated ids) instead of those since the last dream.
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    sessions: Vec<String>,
    /// The most input tokens the whole dream may send, all calls together;
    /// sessions beyond it wait for the next dream.
    #[arg(long, value_name = "N")]
    budget_tokens: Option<i64>,
    /// The most input tokens one model call may carry; more history is reviewed in chunks.
    #[arg(long, value_name = "N")]
    call_tokens: Option<i64>,
    /// Apply the proposal at once (big deletions and pinned documents still wait for review).
    #[arg(long)]
    apply: bool,
    /// Extra instructions for this dream, in plain words.
    #[arg(long)]
    instructions: Option<String>,
    /// Write the result into a new memory store and leave the agent's store untouched.
    #[arg(long)]
    create_new: bool,
}

#[derive(Subcommand)]
enum DreamAction {
    /// Dreams, newest first.
    List {
        #[arg(long)]
        agent: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// One dream with its proposal.
    Show { id: String },
    /// Apply a staged proposal (every edit not rejected) in one step.
    /// Refused while its checks run, and when they got worse unless --force.
    Apply {
        id: String,
        /// Apply even though the regression gate found the checks got worse.
        #[arg(long)]
        force: bool,
    },
    /// Reject a staged proposal; memory is not touched.
    Reject { id: String },
    /// Undo an applied dream. Documents edited since need --keep or --restore.
    Revert {
        id: String,
        /// Keep the later edit of this document (repeatable).
        #[arg(long, value_name = "PATH")]
        keep: Vec<String>,
        /// Restore this document to its state before the dream anyway (repeatable).
        #[arg(long, value_name = "PATH")]
        restore: Vec<String>,
    },
    /// Set when an agent dreams: a local time (03:00), a cron expression ('0 3 * * 1-5'), or 'off'.
    Schedule {
        #[arg(long)]
        agent: String,
        when: String,
    },
    /// Set what happens to an agent's proposals: 'review' (staged, the default) or 'auto' (applied).
    Policy {
        #[arg(long)]
        agent: String,
        #[arg(value_parser = ["review", "auto"])]
        policy: String,
    },
    /// Pause scheduled dreams (for the app and `reverie daemon` alike).
    Pause,
    /// Resume scheduled dreams; slots that passed while paused are not replayed.
    Resume,
    /// Accept or reject one edit of a staged proposal before applying it.
    Decide {
        edit_id: String,
        #[arg(value_parser = ["accept", "reject", "pending"])]
        decision: String,
    },
}

pub fn run(ctx: &Context, args: DreamArgs) -> anyhow::Result<()> {
    if args.due {
        return super::daemon::run_due(ctx);
    }
    let store = ctx.store()?;
    let Some(action) = args.action else {
        return run_dream(ctx, args.run);
    };
    match action {
        DreamAction::List { agent, limit } => {
            let agent_id = agent.map(|a| store.agent(&a)).transpose()?.map(|a| a.id);
            let dreams = store.list_dreams(agent_id.as_deref(), limit)?;
            if ctx.json {
                return output::json(&dreams);
            }
            let names: BTreeMap<String, String> = store
                .list_agents()?
                .into_iter()
                .map(|a| (a.id, a.name))
                .collect();
            output::table(
                &[
                    "id", "agent", "status", "review", "trigger", "sessions", "cost", "created",
                ],
                dreams
                    .iter()
                    .map(|d| {
                        vec![
                            d.id.clone(),
                            names.get(&d.agent_id).cloned().unwrap_or_default(),
                            d.status.as_str().into(),
                            d.review.as_str().into(),
                            d.trigger.as_str().into(),
                            d.session_ids.len().to_string(),
                            format!("${:.4}", d.cost_usd),
                            output::short_time(&d.created_at),
                        ]
                    })
                    .collect(),
            );
        }
        DreamAction::Show { id } => {
            let dream = store.dream(&id)?;
            let edits = store.proposal(&id)?;
            if ctx.json {
                return output::json(&json!({"dream": dream, "edits": edits}));
            }
            println!(
                "dream {} · {} · {} · {} sessions · {} tokens in, {} out · ${:.4}",
                dream.id,
                dream.status.as_str(),
                dream.review.as_str(),
                dream.session_ids.len(),
                dream.usage.input_tokens,
                dream.usage.output_tokens,
                dream.cost_usd
            );
            if let Some(error) = &dream.error {
                println!("error: {error}");
            }
            for b in dream.progress["blocked"].as_array().into_iter().flatten() {
                println!(
                    "blocked {}: {}",
                    b["path"].as_str().unwrap_or(""),
                    b["reason"].as_str().unwrap_or("")
                );
            }
            if let Some(held) = dream.progress["held_for_review"].as_str() {
                println!("{held}");
            }
            for e in &edits {
                println!(
                    "\n[{}] {} {}{} ({})\n  why: {}\n  from: {}",
                    e.id,
                    e.op.as_str(),
                    e.path,
                    if e.merged_paths.is_empty() {
                        String::new()
                    } else {
                        format!(" ← {}", e.merged_paths.join(", "))
                    },
                    e.decision.as_str(),
                    e.reason,
                    e.source_session_ids.join(", ")
                );
                if let Some(content) = &e.content {
                    for line in content.lines() {
                        println!("  + {line}");
                    }
                }
            }
        }
        DreamAction::Apply { id, force } => {
            use reverie_engine::eval::gate::{ApplyCheck, apply_check, apply_reviewed};
            if let (ApplyCheck::Regressed { message, .. }, false) = (apply_check(store, &id)?, force) {
                let message = message.trim_end_matches(" Apply it anyway?").trim_end_matches('.');
                return Err(reverie_engine::Error::Conflict(format!(
                    "{message}; the dream was not applied — run `reverie dream apply {id} --force` to apply it anyway"
                ))
                .into());
            }
            let dream = apply_reviewed(store, &id, force)?;
            print_dream(ctx, &dream, "applied")?;
        }
        DreamAction::Reject { id } => {
            let dream = dream::reject_dream(store, &id)?;
            print_dream(ctx, &dream, "rejected")?;
        }
        DreamAction::Revert { id, keep, restore } => {
            let mut choices = BTreeMap::new();
            for p in keep {
                choices.insert(
                    reverie_engine::memory_path::normalize(&p)?,
                    ConflictChoice::KeepCurrent,
                );
            }
            for p in restore {
                choices.insert(
                    reverie_engine::memory_path::normalize(&p)?,
                    ConflictChoice::RestoreBefore,
                );
            }
            match dream::revert_dream(store, &id, &choices) {
                Ok(outcome) if ctx.json => output::json(&outcome)?,
                Ok(outcome) => {
                    eprintln!(
                        "dream {} reverted: {} documents restored, {} kept",
                        id,
                        outcome.restored.len(),
                        outcome.kept.len()
                    )
                }
                Err(e @ reverie_engine::Error::Conflict(_)) => {
                    for c in dream::revert_conflicts(store, &id)? {
                        eprintln!(
                            "conflict {}:\n  before the dream: {}\n  the dream wrote: {}\n  now: {}",
                            c.path,
                            c.before.as_deref().unwrap_or("(did not exist)"),
                            c.dream.as_deref().unwrap_or("(deleted)"),
                            c.current.as_deref().unwrap_or("(deleted)")
                        );
                    }
                    return Err(anyhow::Error::new(e)
                        .context("pass --keep PATH or --restore PATH for each conflict"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        DreamAction::Schedule { agent, when } => {
            let schedule = match when.trim() {
                "off" | "none" | "" => None,
                text => Some(Schedule::parse(text)?.text),
            };
            let agent = store.update_agent(
                &agent,
                &AgentUpdate {
                    dream_schedule: Some(schedule),
                    ..AgentUpdate::default()
                },
            )?;
            match &agent.dream_schedule {
                Some(s) => eprintln!("{} dreams on schedule '{s}'", agent.name),
                None => eprintln!("{} has no dream schedule", agent.name),
            }
            super::os_schedule::follow_agents(ctx, store, true);
        }
        DreamAction::Policy { agent, policy } => {
            let agent = store.update_agent(
                &agent,
                &AgentUpdate {
                    dream_policy: Some(policy.parse()?),
                    ..AgentUpdate::default()
                },
            )?;
            eprintln!("{}'s dreams: {policy}", agent.name);
        }
        DreamAction::Pause => {
            Scheduler::set_paused(store, true)?;
            eprintln!("scheduled dreams paused");
        }
        DreamAction::Resume => {
            Scheduler::set_paused(store, false)?;
            eprintln!("scheduled dreams resumed");
        }
        DreamAction::Decide { edit_id, decision } => {
            let decision = match decision.as_str() {
                "accept" => EditDecision::Accepted,
                "reject" => EditDecision::Rejected,
                _ => EditDecision::Pending,
            };
            let edit = store.decide_edit(&edit_id, decision)?;
            if ctx.json {
                output::json(&edit)?;
            } else {
                eprintln!(
                    "{} {} is {}",
                    edit.op.as_str(),
                    edit.path,
                    edit.decision.as_str()
                );
            }
        }
    }
    Ok(())
}

fn print_dream(
    ctx: &Context,
    dream: &reverie_engine::store::Dream,
    what: &str,
) -> anyhow::Result<()> {
    if ctx.json {
        output::json(dream)
    } else {
        eprintln!("dream {} {what}", dream.id);
        Ok(())
    }
}

fn run_dream(ctx: &Context, args: DreamRunArgs) -> anyhow::Result<()> {
    let runtime = Arc::new(Runtime::new(ctx.store()?.clone())?);
    let agent_name = args.agent.unwrap_or_default();
    if args.sessions.is_empty() {
        // Nothing new is not a failure: say so and succeed.
        let agent = runtime.store().agent(&agent_name)?;
        if dream::sessions_to_review(runtime.store(), &agent)?.is_empty() {
            if ctx.json {
                return output::json(
                    &json!({"status": "skipped", "agent": agent.name, "reason": "nothing to review"}),
                );
            }
            eprintln!(
                "nothing to review: every finished session of '{}' has been reviewed by a dream",
                agent.name
            );
            return Ok(());
        }
    }
    let dreamer = reverie_engine::eval::dreamer(runtime);
    let request = DreamRequest {
        agent: agent_name,
        trigger: DreamTrigger::Cli,
        session_ids: (!args.sessions.is_empty()).then_some(args.sessions),
        budget_tokens: args.budget_tokens,
        call_tokens: args.call_tokens,
        context_tokens: None,
        instructions: args.instructions.unwrap_or_default(),
        mode: if args.create_new {
            DreamMode::CreateNew
        } else {
            DreamMode::UpdateExisting
        },
        apply: args.apply.then_some(true),
    };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let json_out = ctx.json;
    let report = tokio.block_on(async move {
        let cancel = CancellationToken::new();
        let on_ctrl_c = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nreverie: canceling the dream…");
                on_ctrl_c.cancel();
            }
        });
        let sink = if json_out {
            DreamProgressSink::none()
        } else {
            DreamProgressSink::new(print_progress)
        };
        dreamer.run(request, cancel, sink).await
    })?;
    if ctx.json {
        return output::json(&report);
    }
    for e in &report.edits {
        eprintln!(
            "  {} {} — {} (from {} sessions)",
            e.op.as_str(),
            e.path,
            e.reason,
            e.source_session_ids.len()
        );
    }
    for b in &report.blocked {
        eprintln!("  blocked {}: {}", b.path, b.reason);
    }
    for note in &report.notes {
        eprintln!("  note: {note}");
    }
    let d = &report.dream;
    let state = if report.applied {
        "applied".to_string()
    } else if let Some(held) = &report.held_for_review {
        held.clone()
    } else if report.edits.is_empty() {
        "nothing to change".to_string()
    } else {
        format!(
            "staged: review with `reverie dream show {}`, then `reverie dream apply {}`",
            d.id, d.id
        )
    };
    eprintln!(
        "dream {} · {} edits · {} · {} tokens in, {} out · {}",
        d.id,
        report.edits.len(),
        state,
        d.usage.input_tokens,
        d.usage.output_tokens,
        output::money(&ctx.data_dir, &d.model, d.cost_usd)
    );
    Ok(())
}

fn print_progress(p: DreamProgress) {
    match p {
        DreamProgress::Started {
            dream_id,
            agent,
            sessions,
            estimated_tokens,
            chunks,
        } => eprintln!(
            "dream {dream_id}: {agent}, {sessions} sessions, ~{estimated_tokens} tokens in {chunks} part(s)"
        ),
        DreamProgress::Reviewing { chunk, chunks, .. } => {
            eprintln!("reviewing part {chunk} of {chunks}…")
        }
        DreamProgress::Condensing { level, groups, .. } => {
            eprintln!("condensing the findings (round {level}, {groups} part(s))…")
        }
        DreamProgress::Consolidating { .. } => {
            eprintln!("consolidating against the current memory…")
        }
        DreamProgress::Retrying { error, .. } => {
            eprintln!("the answer was invalid ({error}); asking once more")
        }
        DreamProgress::Finished { .. } => {}
    }
}
