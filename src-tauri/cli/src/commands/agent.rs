use clap::Subcommand;
use reverie_engine::dream::schedule::Schedule;
use reverie_engine::store::{AgentUpdate, NewAgent, ProviderKind};

use crate::Context;
use crate::output;

#[derive(Subcommand)]
pub enum AgentCommand {
    /// Create an agent (and its own memory store).
    Create {
        name: String,
        /// Model id, e.g. claude-sonnet-4-5 or llama3.1 on a local server.
        #[arg(long)]
        model: String,
        #[arg(long, default_value = "anthropic", value_parser = ["anthropic", "openai"])]
        provider: String,
        /// The system prompt.
        #[arg(long, default_value = "")]
        system: String,
        /// Comma-separated tools (memory, workspace).
        #[arg(long, value_delimiter = ',', default_value = "memory,workspace")]
        tools: Vec<String>,
        /// When dreams run on their own, e.g. 03:00 or a cron line.
        #[arg(long, value_name = "SCHEDULE")]
        dream_schedule: Option<String>,
    },
    List,
    Show {
        name: String,
    },
    /// Change an agent's model, prompt, tools, default rubric or dream policy.
    Update {
        name: String,
        #[arg(long)]
        model: Option<String>,
        #[arg(long, value_parser = ["anthropic", "openai"])]
        provider: Option<String>,
        /// The system prompt.
        #[arg(long)]
        system: Option<String>,
        /// Comma-separated tools (memory, workspace, delegate).
        #[arg(long, value_delimiter = ',')]
        tools: Option<Vec<String>>,
        /// The rubric every run is graded against unless told otherwise;
        /// `none` clears it.
        #[arg(long, value_name = "RUBRIC")]
        default_rubric: Option<String>,
        /// What a dream's proposal does: wait for review, or apply.
        #[arg(long, value_parser = ["review", "auto"])]
        dream_policy: Option<String>,
        /// When dreams run on their own, e.g. 03:00 or a cron line; `none`
        /// turns the schedule off.
        #[arg(long, value_name = "SCHEDULE")]
        dream_schedule: Option<String>,
        /// The most model turns one run may take (1-1000; default 30).
        #[arg(long, value_name = "N")]
        max_turns: Option<u32>,
        /// The longest one run may take, in minutes (default 30).
        #[arg(long, value_name = "N")]
        max_minutes: Option<f64>,
        /// The most one run may spend on the model, in US dollars; `none`
        /// removes the cap (the default).
        #[arg(long, value_name = "USD")]
        max_cost: Option<String>,
        /// The most output tokens one run may produce (default 200000).
        #[arg(long, value_name = "N")]
        max_output_tokens: Option<u64>,
        /// The model's context window in tokens, when the server does not
        /// report it (`auto` asks the server again).
        #[arg(long, value_name = "N|auto")]
        context_tokens: Option<String>,
    },
    /// Delete an agent with its sessions, dreams and own memory store.
    Delete {
        name: String,
    },
    /// A coordinator's roster: the agents it may delegate to.
    Roster {
        lead: String,
        #[command(subcommand)]
        action: RosterAction,
    },
}

#[derive(Subcommand)]
pub enum RosterAction {
    Add { agent: String },
    Remove { agent: String },
    List,
}

pub fn run(ctx: &Context, cmd: AgentCommand) -> anyhow::Result<()> {
    let store = ctx.store()?;
    match cmd {
        AgentCommand::Create {
            name,
            model,
            provider,
            system,
            tools,
            dream_schedule,
        } => {
            let provider: ProviderKind = provider.parse()?;
            // A schedule the scheduler cannot read is refused before the
            // agent exists.
            let dream_schedule = dream_schedule
                .filter(|s| s.trim() != "none")
                .map(|s| Schedule::parse(&s).map(|s| s.text))
                .transpose()?;
            let mut agent = store.create_agent(&NewAgent {
                name,
                provider,
                model,
                system_prompt: system,
                tools,
            })?;
            if dream_schedule.is_some() {
                agent = store.update_agent(
                    &agent.id,
                    &AgentUpdate {
                        dream_schedule: Some(dream_schedule),
                        ..AgentUpdate::default()
                    },
                )?;
                super::os_schedule::follow_agents(ctx, store, true);
            }
            if ctx.json {
                output::json(&agent)?;
            } else {
                println!(
                    "Created agent '{}' ({} on {}).",
                    agent.name,
                    agent.model,
                    agent.provider.as_str()
                );
            }
        }
        AgentCommand::List => {
            let agents = store.list_agents()?;
            if ctx.json {
                output::json(&agents)?;
            } else if agents.is_empty() {
                println!(
                    "No agents yet. Create one: reverie agent create NAME --model claude-sonnet-4-5"
                );
            } else {
                output::table(
                    &["name", "provider", "model", "dreams"],
                    agents
                        .iter()
                        .map(|a| {
                            vec![
                                a.name.clone(),
                                a.provider.as_str().into(),
                                a.model.clone(),
                                format!("{:?}", a.dream_policy).to_lowercase(),
                            ]
                        })
                        .collect(),
                );
            }
        }
        AgentCommand::Show { name } => {
            let agent = store.agent(&name)?;
            if ctx.json {
                output::json(&agent)?;
            } else {
                println!(
                    "{}  ({} on {})",
                    agent.name,
                    agent.model,
                    agent.provider.as_str()
                );
                println!("id:       {}", agent.id);
                println!("tools:    {}", agent.tools.join(", "));
                let stores: Vec<String> = agent
                    .stores
                    .iter()
                    .map(|s| format!("{} ({})", s.store_name, s.access.as_str()))
                    .collect();
                println!("memory:   {}", stores.join(", "));
                println!(
                    "dreams:   {:?}{}",
                    agent.dream_policy,
                    agent
                        .dream_schedule
                        .as_ref()
                        .map(|s| format!(", {s}"))
                        .unwrap_or_default()
                );
                let limits = reverie_engine::runtime::Limits::for_agent(&agent);
                println!(
                    "limits:   {} turns, {}, {}, {} output tokens",
                    limits.max_turns,
                    reverie_engine::runtime::minutes_in_words(limits.max_wall_time),
                    limits
                        .max_cost_usd
                        .map(|c| format!("${c:.2} of model cost"))
                        .unwrap_or_else(|| "no cost cap".into()),
                    limits.max_output_tokens
                );
                if !agent.system_prompt.is_empty() {
                    println!("system prompt:\n{}", agent.system_prompt);
                }
            }
        }
        AgentCommand::Update {
            name,
            model,
            provider,
            system,
            tools,
            default_rubric,
            dream_policy,
            dream_schedule,
            max_turns,
            max_minutes,
            max_cost,
            max_output_tokens,
            context_tokens,
        } => {
            let context_tokens = match context_tokens.as_deref() {
                None => None,
                Some("auto") => Some(None),
                Some(text) => Some(Some(text.parse::<u32>().map_err(|_| {
                    reverie_engine::Error::Invalid(format!(
                        "'{text}' is not a number of tokens; use a whole number like 8192, or auto"
                    ))
                })?)),
            };
            let max_cost_usd = match max_cost.as_deref() {
                None => None,
                Some("none") => Some(None),
                Some(text) => Some(Some(text.trim_start_matches('$').parse::<f64>().map_err(
                    |_| {
                        reverie_engine::Error::Invalid(format!(
                            "'{text}' is not an amount in dollars; use a number like 0.50, or none"
                        ))
                    },
                )?)),
            };
            let changes = reverie_engine::runtime::LimitChanges {
                max_turns,
                max_minutes,
                max_cost_usd,
                max_output_tokens,
                context_tokens,
            };
            let settings = if changes.max_turns.is_some()
                || changes.max_minutes.is_some()
                || changes.max_cost_usd.is_some()
                || changes.max_output_tokens.is_some()
                || changes.context_tokens.is_some()
            {
                let current = store.agent(&name)?;
                Some(reverie_engine::runtime::with_limits(
                    &current.settings,
                    &changes,
                )?)
            } else {
                None
            };
            let none_clears = |v: Option<String>| v.map(|v| (v != "none").then_some(v));
            let schedule_given = dream_schedule.is_some();
            let default_rubric_id = match none_clears(default_rubric) {
                Some(Some(rubric)) => Some(Some(store.rubric(&rubric)?.id)),
                other => other,
            };
            let agent = store.update_agent(
                &name,
                &AgentUpdate {
                    provider: provider.map(|p| p.parse()).transpose()?,
                    model,
                    system_prompt: system,
                    tools,
                    default_rubric_id,
                    dream_policy: dream_policy.map(|p| p.parse()).transpose()?,
                    dream_schedule: none_clears(dream_schedule),
                    settings,
                },
            )?;
            if schedule_given {
                super::os_schedule::follow_agents(ctx, store, true);
            }
            if ctx.json {
                output::json(&agent)?;
            } else {
                println!("Updated agent '{}'.", agent.name);
            }
        }
        AgentCommand::Delete { name } => {
            let scheduled = store.agent(&name)?.dream_schedule.is_some();
            store.delete_agent(&name)?;
            if scheduled {
                super::os_schedule::follow_agents(ctx, store, false);
            }
            if ctx.json {
                output::json(&serde_json::json!({"deleted": name}))?;
            } else {
                println!("Deleted agent '{name}'.");
            }
        }
        AgentCommand::Roster { lead, action } => {
            let roster = match action {
                RosterAction::Add { agent } => store.roster_add(&lead, &agent)?,
                RosterAction::Remove { agent } => store.roster_remove(&lead, &agent)?,
                RosterAction::List => store.roster(&lead)?,
            };
            if ctx.json {
                output::json(&roster.iter().map(|a| &a.name).collect::<Vec<_>>())?;
            } else if roster.is_empty() {
                println!(
                    "'{lead}' has no roster yet. Add one: reverie agent roster {lead} add AGENT"
                );
            } else {
                for a in roster {
                    println!("{}  ({})", a.name, a.model);
                }
            }
        }
    }
    Ok(())
}
