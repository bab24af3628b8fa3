//! `reverie outcomes`: how graded runs went, per rubric and agent, by day.

use clap::Subcommand;
use reverie_engine::store::{OutcomeStatsFilter, OutcomeStatsRow};

use crate::Context;
use crate::output;

#[derive(Subcommand)]
pub enum OutcomesCommand {
    /// Pass rate, mean iterations to pass and mean score per rubric and
    /// agent, by day and in total; per criterion with --criteria.
    Stats {
        #[arg(long)]
        agent: Option<String>,
        #[arg(long)]
        rubric: Option<String>,
        /// Only outcomes from this day on (YYYY-MM-DD).
        #[arg(long, value_name = "DAY")]
        since: Option<String>,
        /// Also print the mean score of every criterion.
        #[arg(long)]
        criteria: bool,
        /// Over time, as the chart shows it: per agent and rubric, each
        /// bucket's pass rate, mean score and attempts, with dream markers.
        /// Evaluation sessions are left out.
        #[arg(long)]
        series: bool,
        /// The bucket of --series: day or week.
        #[arg(long, default_value = "day", requires = "series")]
        bucket: String,
    },
    /// The outcomes of one session, with every iteration's verdicts.
    Show {
        #[arg(long, value_name = "ID")]
        session: String,
    },
}

pub fn run(ctx: &Context, cmd: OutcomesCommand) -> anyhow::Result<()> {
    let store = ctx.store()?;
    match cmd {
        OutcomesCommand::Stats {
            agent,
            rubric,
            since,
            criteria,
            series,
            bucket,
        } => {
            if let Some(agent) = &agent {
                store.agent(agent)?;
            }
            if series {
                let filter = reverie_engine::eval::series::SeriesFilter {
                    agent,
                    rubric,
                    since,
                    bucket: bucket.parse()?,
                };
                let all = reverie_engine::eval::series::outcome_series(store, &filter)?;
                if ctx.json {
                    return output::json(&all);
                }
                if all.is_empty() {
                    println!("No graded runs yet. Run one: reverie run --agent NAME --rubric RUBRIC \"task\"");
                }
                for (i, s) in all.iter().enumerate() {
                    if i > 0 {
                        println!();
                    }
                    println!("{} · {}", s.agent, s.rubric);
                    output::table(
                        &["bucket", "outcomes", "pass rate", "mean score", "mean attempts", "sessions"],
                        s.points
                            .iter()
                            .map(|p| {
                                vec![
                                    p.bucket.clone(),
                                    p.outcomes.to_string(),
                                    percent(p.pass_rate),
                                    p.mean_score.map_or("-".into(), |m| format!("{m:.2}")),
                                    format!("{:.1}", p.mean_attempts),
                                    p.session_ids.join(", "),
                                ]
                            })
                            .collect(),
                    );
                    for m in &s.markers {
                        println!("  dream {} {} {} (bucket {})", m.dream_id, m.kind, output::short_time(&m.at), m.bucket);
                    }
                }
                return Ok(());
            }
            let stats = store.outcome_stats(&OutcomeStatsFilter {
                agent,
                rubric,
                since,
            })?;
            if ctx.json {
                return output::json(&stats);
            }
            if stats.totals.is_empty() {
                println!(
                    "No graded runs yet. Run one: reverie run --agent NAME --rubric RUBRIC \"task\""
                );
                return Ok(());
            }
            print_rows(&stats.days, criteria);
            println!();
            print_rows(&stats.totals, criteria);
        }
        OutcomesCommand::Show { session } => {
            let outcomes = store.outcomes_for_session(&session)?;
            let with_verdicts: Vec<_> = outcomes
                .into_iter()
                .map(|o| {
                    let verdicts = store.verdicts(&o.id)?;
                    Ok(serde_json::json!({"outcome": o, "verdicts": verdicts}))
                })
                .collect::<Result<_, reverie_engine::Error>>()?;
            if ctx.json {
                return output::json(&with_verdicts);
            }
            if with_verdicts.is_empty() {
                println!("Session {session} was not graded.");
            }
            for o in &with_verdicts {
                let outcome = &o["outcome"];
                println!(
                    "{} · {} of {} iterations · score {}",
                    outcome["result"].as_str().unwrap_or("running"),
                    outcome["iterations"],
                    outcome["max_iterations"],
                    outcome["score"]
                        .as_f64()
                        .map_or("-".into(), |s| format!("{s:.2}"))
                );
                for v in o["verdicts"].as_array().into_iter().flatten() {
                    println!(
                        "  #{} {} {:.2} {}{}",
                        v["iteration"],
                        if v["passed"] == true { "pass" } else { "FAIL" },
                        v["score"].as_f64().unwrap_or(0.0),
                        v["criterion_name"].as_str().unwrap_or(""),
                        v["gap"]
                            .as_str()
                            .filter(|g| !g.is_empty())
                            .map(|g| format!(" — {g}"))
                            .unwrap_or_default()
                    );
                }
            }
        }
    }
    Ok(())
}

fn percent(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.0}%", v * 100.0))
}

fn print_rows(rows: &[OutcomeStatsRow], criteria: bool) {
    output::table(
        &[
            "day",
            "rubric",
            "agent",
            "runs",
            "pass rate",
            "iterations to pass",
            "mean score",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.day.clone(),
                    r.rubric.clone(),
                    r.agent.clone(),
                    r.runs.to_string(),
                    percent(r.pass_rate),
                    r.mean_iterations_to_pass
                        .map_or("-".into(), |v| format!("{v:.1}")),
                    r.mean_score.map_or("-".into(), |v| format!("{v:.2}")),
                ]
            })
            .collect(),
    );
    if criteria {
        for r in rows {
            for c in &r.criteria {
                println!(
                    "  {} {} {} · {}: mean score {:.2}, passed {}",
                    r.day,
                    r.rubric,
                    r.agent,
                    c.name,
                    c.mean_score,
                    percent(Some(c.pass_rate))
                );
            }
        }
    }
}
