//! `reverie rubric`: create, import, export, list, delete and try rubrics.

use std::path::PathBuf;

use clap::Subcommand;
use reverie_engine::Error;
use reverie_engine::outcome::{Criterion, CriterionKind, Rubric, starter_rubrics};
use reverie_engine::provider::ProviderKind;
use reverie_engine::runtime::outcome_loop::starter_documents;
use reverie_engine::runtime::{OutcomeOptions, Runtime};
use tokio_util::sync::CancellationToken;

use crate::Context;
use crate::output;

#[derive(Subcommand)]
pub enum RubricCommand {
    /// Create a rubric from a starter or from judged criteria; `--starter`
    /// alone saves all the starter rubrics.
    Create {
        /// The rubric's name.
        #[arg(required_unless_present = "starter")]
        name: Option<String>,
        /// Copy starter N (1, 2, 3) or the starter with this name
        /// (`report`, `python-script`, `slide-deck`).
        #[arg(long, value_name = "N")]
        from_starter: Option<String>,
        /// Save every starter rubric under its own name.
        #[arg(long, conflicts_with_all = ["name", "from_starter"])]
        starter: bool,
        /// A judged criterion, as "Name: what the grader checks" (repeatable).
        #[arg(long, value_name = "NAME: DESCRIPTION")]
        judged: Vec<String>,
        #[arg(long, default_value = "")]
        description: String,
        /// The weighted score (0..1) an output needs to pass.
        #[arg(long)]
        threshold: Option<f64>,
        /// Attempts the agent gets (1..20).
        #[arg(long)]
        max_iterations: Option<u32>,
    },
    /// Import a rubric JSON document (kept byte for byte).
    Import {
        file: PathBuf,
        /// Save under this name instead of the document's own.
        #[arg(long)]
        name: Option<String>,
    },
    /// Print a rubric's JSON document.
    Export {
        name: String,
        /// A version other than the current one.
        #[arg(long)]
        version: Option<i64>,
    },
    /// Rubrics, by name.
    List,
    /// The starter rubrics that ship with Reverie.
    Starters,
    Delete {
        name: String,
    },
    /// Grade a past session's output k times against a rubric and show
    /// which criteria the grader decides the same way every time.
    Calibrate {
        name: String,
        #[arg(long, value_name = "ID")]
        session: String,
        /// How many times to grade (2..50).
        #[arg(short = 'k', long, default_value_t = 5)]
        k: u32,
    },
    /// Grade a past session's output against a rubric, without running
    /// the agent again and without storing an outcome.
    Test {
        /// The rubric's name, or a rubric JSON file not saved yet.
        name: String,
        #[arg(long, value_name = "ID")]
        session: String,
        #[arg(long)]
        grader_model: Option<String>,
        #[arg(long)]
        grader_provider: Option<String>,
    },
}

pub fn run(ctx: &Context, cmd: RubricCommand) -> anyhow::Result<()> {
    let store = ctx.store()?;
    match cmd {
        RubricCommand::Create {
            name,
            from_starter,
            starter,
            judged,
            description,
            threshold,
            max_iterations,
        } => {
            if starter {
                let saved: Vec<_> = starter_documents()
                    .iter()
                    .map(|(name, document)| store.save_rubric(name, document))
                    .collect::<Result<_, _>>()?;
                if ctx.json {
                    return output::json(&saved);
                }
                for r in saved {
                    println!("Saved starter rubric '{}' (version {}).", r.name, r.version);
                }
                return Ok(());
            }
            let name = name.unwrap_or_default();
            if store.rubric(&name).is_ok() {
                return Err(Error::Conflict(format!(
                    "a rubric named '{name}' already exists; import a new version or pick another name"
                ))
                .into());
            }
            let mut rubric = match from_starter {
                Some(which) => find_starter(&which)?,
                None => Rubric {
                    name: name.clone(),
                    description: description.clone(),
                    threshold: 0.7,
                    max_iterations: reverie_engine::outcome::DEFAULT_MAX_ITERATIONS,
                    criteria: Vec::new(),
                },
            };
            rubric.name = name.clone();
            if !description.is_empty() {
                rubric.description = description;
            }
            for text in judged {
                let (cname, desc) = text.split_once(':').ok_or_else(|| {
                    Error::Invalid(format!(
                        "--judged \"{text}\" needs the form \"Name: what the grader checks\""
                    ))
                })?;
                rubric.criteria.push(Criterion {
                    name: cname.trim().to_string(),
                    weight: 1.0,
                    required: false,
                    kind: CriterionKind::Judged {
                        description: desc.trim().to_string(),
                    },
                });
            }
            if rubric.criteria.is_empty() {
                return Err(Error::Invalid(
                    "a rubric needs criteria: add --judged \"Name: description\" or use --from-starter N".into(),
                )
                .into());
            }
            if let Some(t) = threshold {
                rubric.threshold = t;
            }
            if let Some(m) = max_iterations {
                rubric.max_iterations = m;
            }
            rubric.validate().map_err(Error::from)?;
            let saved = store.save_rubric(&name, &rubric.to_json())?;
            if ctx.json {
                output::json(&saved)?;
            } else {
                println!(
                    "Created rubric '{}' with {} criteria.",
                    saved.name,
                    rubric.criteria.len()
                );
            }
        }
        RubricCommand::Import { file, name } => {
            let text = reverie_engine::outcome::read_rubric_file(&file)?;
            let rubric = Rubric::from_json(&text)
                .map_err(|e| Error::Invalid(format!("{}: {e}", file.display())))?;
            let name = name.unwrap_or(rubric.name.clone());
            let saved = store.save_rubric(&name, &text)?;
            if ctx.json {
                output::json(&saved)?;
            } else {
                println!(
                    "Imported rubric '{}' (version {}, {} criteria).",
                    saved.name,
                    saved.version,
                    rubric.criteria.len()
                );
            }
        }
        RubricCommand::Export { name, version } => {
            let stored = store.rubric(&name)?;
            let document = match version {
                Some(v) => store.rubric_version(&stored.id, v)?,
                None => stored.document,
            };
            // Byte for byte as saved: no extra newline.
            print!("{document}");
        }
        RubricCommand::List => {
            let rubrics = store.list_rubrics()?;
            if ctx.json {
                return output::json(&rubrics);
            }
            if rubrics.is_empty() {
                println!("No rubrics yet. Create one: reverie rubric create NAME --from-starter 1");
                return Ok(());
            }
            output::table(
                &["name", "version", "criteria", "threshold", "updated"],
                rubrics
                    .iter()
                    .map(|r| {
                        let parsed = Rubric::from_json(&r.document).ok();
                        vec![
                            r.name.clone(),
                            r.version.to_string(),
                            parsed
                                .as_ref()
                                .map_or("?".into(), |p| p.criteria.len().to_string()),
                            parsed
                                .as_ref()
                                .map_or("?".into(), |p| format!("{:.2}", p.threshold)),
                            output::short_time(&r.updated_at),
                        ]
                    })
                    .collect(),
            );
        }
        RubricCommand::Starters => {
            let starters = starter_rubrics();
            if ctx.json {
                return output::json(&starters);
            }
            for (i, (r, (name, _))) in starters.iter().zip(starter_documents()).enumerate() {
                println!("{}. {name} — {}: {}", i + 1, r.name, r.description);
            }
        }
        RubricCommand::Delete { name } => {
            store.delete_rubric(&name)?;
            if !ctx.json {
                println!("Deleted rubric '{name}'.");
            }
        }
        RubricCommand::Calibrate { name, session, k } => {
            let runtime = Runtime::new(ctx.store()?.clone())?;
            let tokio = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            let cancel = tokio_util::sync::CancellationToken::new();
            let r = tokio.block_on(reverie_engine::eval::calibrate::calibrate(&runtime, &name, &session, k, None, &cancel))?;
            if ctx.json {
                return output::json(&r);
            }
            println!(
                "{} graded {} of {} times · agreement {:.0}% · ${:.4}",
                r.rubric, r.graded, r.k, r.overall_agreement * 100.0, r.cost_usd
            );
            output::table(
                &["criterion", "pass", "fail", "agreement", "score", "spread", "stable"],
                r.criteria
                    .iter()
                    .map(|c| {
                        vec![
                            c.name.clone(),
                            c.passes.to_string(),
                            c.fails.to_string(),
                            format!("{:.0}%", c.agreement * 100.0),
                            format!("{:.2}", c.mean_score),
                            format!("{:.2}–{:.2}", c.min_score, c.max_score),
                            if c.stable { "yes".into() } else { "NO".into() },
                        ]
                    })
                    .collect(),
            );
            for c in r.criteria.iter().filter_map(|c| c.advice.as_ref().map(|a| (c, a))) {
                println!("{}: {}", c.0.name, c.1);
            }
        }
        RubricCommand::Test {
            name,
            session,
            grader_model,
            grader_provider,
        } => {
            let rubric = match store.rubric(&name) {
                Ok(stored) => Rubric::from_json(&stored.document)?,
                Err(_) if std::path::Path::new(&name).is_file() => {
                    let text =
                        reverie_engine::outcome::read_rubric_file(std::path::Path::new(&name))?;
                    Rubric::from_json(&text).map_err(|e| Error::Invalid(format!("{name}: {e}")))?
                }
                Err(e) => return Err(e.into()),
            };
            let options = OutcomeOptions {
                rubric: name,
                max_iterations: None,
                grader_model,
                grader_provider: grader_provider
                    .map(|p| p.parse::<ProviderKind>())
                    .transpose()?,
            };
            let runtime = Runtime::new(ctx.store()?.clone())?;
            let tokio = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let grade = tokio.block_on(runtime.grade_session(
                &session,
                &rubric,
                &options,
                &CancellationToken::new(),
            ))?;
            if ctx.json {
                return output::json(&grade);
            }
            for v in &grade.verdicts {
                let mark = if v.passed { "pass" } else { "FAIL" };
                println!("{mark}  {:.2}  {}", v.score, v.name);
                if !v.evidence.is_empty() {
                    println!("      evidence: {}", v.evidence);
                }
                if let Some(gap) = &v.gap {
                    println!("      gap: {gap}");
                }
            }
            println!(
                "\n{} · score {:.2} (threshold {:.2}) · {}",
                if !grade.applies {
                    "the rubric does not apply"
                } else if grade.passed() {
                    "passes"
                } else {
                    "does not pass"
                },
                grade.score.weighted_score,
                rubric.threshold,
                grade.explanation
            );
        }
    }
    Ok(())
}

fn find_starter(which: &str) -> anyhow::Result<Rubric> {
    let starters = starter_rubrics();
    let found = match which.parse::<usize>() {
        Ok(n) if (1..=starters.len()).contains(&n) => Some(starters[n - 1].clone()),
        Ok(_) => None,
        Err(_) => starters
            .iter()
            .zip(starter_documents())
            .find(|(r, (name, _))| name == which || r.name.eq_ignore_ascii_case(which))
            .map(|(r, _)| r.clone()),
    };
    found.ok_or_else(|| {
        Error::Invalid(format!(
            "there is no starter rubric '{which}'; use 1 to {} (see `reverie rubric starters`)",
            starters.len()
        ))
        .into()
    })
}
