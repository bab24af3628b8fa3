use std::io::Read;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use reverie_engine::Store;
use reverie_engine::store::WriteMeta;

use crate::Context;
use crate::output;

/// Which store: an agent's own (`--agent`) or a named one (`--store`).
#[derive(Args, Clone)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// The agent whose own memory store to use.
    #[arg(long)]
    agent: Option<String>,
    /// A memory store by name.
    #[arg(long)]
    store: Option<String>,
}

impl Target {
    pub(crate) fn store_id(&self, store: &Store) -> anyhow::Result<String> {
        Ok(match (&self.agent, &self.store) {
            (Some(agent), _) => {
                let agent = store.agent(agent)?;
                let own = agent.default_store().ok_or_else(|| {
                    anyhow::anyhow!("agent '{}' has no memory store of its own", agent.name)
                })?;
                own.store_id.clone()
            }
            (None, Some(name)) => store.memory_store(name)?.id,
            (None, None) => unreachable!("clap requires one"),
        })
    }
}

#[derive(Subcommand)]
pub enum MemoryCommand {
    /// List documents (optionally under a directory).
    Ls {
        #[command(flatten)]
        target: Target,
        path: Option<String>,
    },
    /// Print a document (or an older version of it).
    Cat {
        #[command(flatten)]
        target: Target,
        path: String,
        #[arg(long)]
        version: Option<i64>,
    },
    /// Write a document from --file or standard input, as a new version.
    Write {
        #[command(flatten)]
        target: Target,
        path: String,
        #[arg(long)]
        file: Option<PathBuf>,
        /// Why this change (kept in the history).
        #[arg(long, default_value = "edited from the command line")]
        reason: String,
        /// Only write if the current content has this sha256.
        #[arg(long, value_name = "SHA256")]
        if_sha256: Option<String>,
        /// Save even though the text looks like it holds a secret.
        #[arg(long)]
        allow_secret: bool,
    },
    /// Take secrets out of a document's history: the current text gets a
    /// masked version, and every earlier version that held a secret loses
    /// its content for good (with --version, just that version).
    Redact {
        #[command(flatten)]
        target: Target,
        path: String,
        #[arg(long)]
        version: Option<i64>,
    },
    /// Each line of a document (at a version) with who wrote it and why.
    Blame {
        #[command(flatten)]
        target: Target,
        path: String,
        #[arg(long)]
        version: Option<i64>,
    },
    /// Act on one line (1-based) of a document: pin it (dreams never change
    /// it), unpin it, forget it, or correct its text.
    Line {
        #[command(flatten)]
        target: Target,
        path: String,
        line: usize,
        #[arg(long, group = "action")]
        pin: bool,
        #[arg(long, group = "action")]
        unpin: bool,
        #[arg(long, group = "action")]
        forget: bool,
        #[arg(long, group = "action", value_name = "TEXT")]
        correct: Option<String>,
    },
    /// Show every version of a document.
    History {
        #[command(flatten)]
        target: Target,
        path: String,
    },
    /// Make an old version current again (as a new version).
    Restore {
        #[command(flatten)]
        target: Target,
        path: String,
        #[arg(long)]
        version: i64,
    },
    /// Mirror the store to a folder of plain files, live: edits on either
    /// side are carried over, conflicts keep both versions.
    Mirror(super::mirror::MirrorArgs),
    /// List what a folder mirror found changed on both sides, or resolve one.
    Conflicts(super::mirror::ConflictsArgs),
    /// Export the store as files (`memories/...`) plus a manifest.json
    /// (path, sha256, size, version, updated_at), to a new folder or a zip.
    Export {
        #[command(flatten)]
        target: Target,
        /// A new (or empty) folder; with --zip, the zip file to write.
        dir: PathBuf,
        /// Write one zip file instead of a folder.
        #[arg(long)]
        zip: bool,
    },
}

pub fn run(ctx: &Context, cmd: MemoryCommand) -> anyhow::Result<()> {
    let store = ctx.store()?;
    match cmd {
        MemoryCommand::Blame { target, path, version } => {
            let (shown, lines) =
                reverie_engine::receipts::blame_at(store, &target.store_id(store)?, &path, version)?;
            if ctx.json {
                return output::json(&serde_json::json!({"path": path, "version": shown, "lines": lines}));
            }
            output::table(
                &["#", "version", "by", "from", "pinned", "text"],
                lines
                    .iter()
                    .map(|l| {
                        vec![
                            l.line.to_string(),
                            l.seq.map_or("-".into(), |s| s.to_string()),
                            l.author.map_or("-".into(), |a| a.as_str().to_string()),
                            l.dream_id.clone().or(l.session_id.clone()).unwrap_or_default(),
                            if l.pinned { "pinned".into() } else { String::new() },
                            l.text.clone(),
                        ]
                    })
                    .collect(),
            );
            return Ok(());
        }
        MemoryCommand::Line { target, path, line, pin, unpin, forget, correct } => {
            use reverie_engine::receipts as b;
            let store_id = target.store_id(store)?;
            let done = if pin || unpin {
                b::pin_line(store, &store_id, &path, line, pin)?;
                if pin { "pinned" } else { "unpinned" }
            } else if forget {
                b::forget_line(store, &store_id, &path, line)?;
                "forgot"
            } else if let Some(text) = correct {
                b::correct_line(store, &store_id, &path, line, &text)?;
                "corrected"
            } else {
                anyhow::bail!("give one of --pin, --unpin, --forget or --correct TEXT");
            };
            let lines = b::blame(store, &store_id, &path)?;
            if ctx.json {
                return output::json(&lines);
            }
            return output::line(&format!("{done} line {line} of {path}"));
        }
        MemoryCommand::Ls { target, path } => {
            let docs = store.list_documents(&target.store_id(store)?, path.as_deref())?;
            if ctx.json {
                output::json(&docs)?;
            } else if docs.is_empty() {
                println!(
                    "No documents yet. Write one: reverie memory write --agent NAME /memories/notes.md < notes.md"
                );
            } else {
                output::table(
                    &["path", "version", "bytes", "by", "updated"],
                    docs.iter()
                        .map(|d| {
                            vec![
                                format!("{}{}", d.path, if d.pinned { " (pinned)" } else { "" }),
                                d.version.to_string(),
                                d.size.to_string(),
                                format!("{:?}", d.author).to_lowercase(),
                                output::short_time(&d.updated_at),
                            ]
                        })
                        .collect(),
                );
            }
        }
        MemoryCommand::Cat {
            target,
            path,
            version,
        } => {
            let store_id = target.store_id(store)?;
            let content = match version {
                None => store
                    .read_document(&store_id, &path)?
                    .map(|(_, content)| content)
                    .ok_or_else(|| reverie_engine::Error::not_found("document", path.clone()))?,
                Some(seq) => {
                    let history = store.document_history(&store_id, &path)?;
                    let v = history.into_iter().find(|v| v.seq == seq).ok_or_else(|| {
                        reverie_engine::Error::not_found("version", format!("{path} v{seq}"))
                    })?;
                    v.content.ok_or_else(|| {
                        reverie_engine::Error::Invalid(format!(
                            "version {seq} of {path} has no content (deleted or redacted)"
                        ))
                    })?
                }
            };
            if ctx.json {
                output::json(&serde_json::json!({"path": path, "content": content}))?;
            } else {
                print!("{content}");
            }
        }
        MemoryCommand::Write {
            target,
            path,
            file,
            reason,
            if_sha256,
            allow_secret,
        } => {
            // Never more than a document can hold, whatever the source.
            let limit = reverie_engine::store::MAX_DOCUMENT_BYTES;
            let (what, bytes) = match file {
                Some(file) => {
                    let opened = std::fs::File::open(&file)
                        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
                    (file.display().to_string(), read_at_most(opened, limit)?)
                }
                None => (
                    "standard input".into(),
                    read_at_most(std::io::stdin(), limit)?,
                ),
            };
            if bytes.len() > limit {
                return Err(reverie_engine::Error::Invalid(format!(
                    "{what} holds more than {limit} bytes; a memory document holds at most that — split it into several documents"
                ))
                .into());
            }
            let content = String::from_utf8(bytes)
                .map_err(|_| anyhow::anyhow!("cannot read {what} as text: it is not UTF-8"))?;
            let mut meta = WriteMeta::user(reason);
            if let Some(sha) = if_sha256 {
                meta = meta.expecting(sha);
            }
            if allow_secret {
                meta = meta.allowing_secrets();
            }
            let version = store.write_document(&target.store_id(store)?, &path, &content, &meta)?;
            if ctx.json {
                output::json(&version)?;
            } else {
                println!(
                    "Wrote {} (version {}, {} bytes).",
                    version.path, version.seq, version.size
                );
            }
        }
        MemoryCommand::Redact {
            target,
            path,
            version,
        } => {
            let store_id = target.store_id(store)?;
            match version {
                Some(seq) => {
                    let history = store.document_history(&store_id, &path)?;
                    let v = history.iter().find(|v| v.seq == seq).ok_or_else(|| {
                        reverie_engine::Error::not_found("version", format!("{path} v{seq}"))
                    })?;
                    let redacted = store.redact_version(&v.id)?;
                    if ctx.json {
                        output::json(&redacted)?;
                    } else {
                        println!(
                            "Redacted version {seq} of {}: its content is gone for good.",
                            redacted.path
                        );
                    }
                }
                None => {
                    let done = store.redact_secrets(
                        &store_id,
                        &path,
                        &WriteMeta::user("secrets removed"),
                    )?;
                    if ctx.json {
                        output::json(&done)?;
                    } else if done.new_version.is_none() && done.redacted_versions.is_empty() {
                        println!(
                            "{} holds no secret in any version; nothing changed.",
                            done.path
                        );
                    } else {
                        if let Some(v) = done.new_version {
                            println!("{}: version {v} has every secret masked.", done.path);
                        }
                        if !done.redacted_versions.is_empty() {
                            println!(
                                "{}: earlier versions {} held a secret; their content is gone for good.",
                                done.path,
                                done.redacted_versions
                                    .iter()
                                    .map(|v| v.to_string())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            );
                        }
                    }
                }
            }
        }
        MemoryCommand::History { target, path } => {
            let history = store.document_history(&target.store_id(store)?, &path)?;
            if ctx.json {
                output::json(&history)?;
            } else {
                output::table(
                    &["version", "op", "by", "when", "bytes", "reason"],
                    history
                        .iter()
                        .map(|v| {
                            vec![
                                v.seq.to_string(),
                                format!("{:?}", v.op).to_lowercase(),
                                format!("{:?}", v.author).to_lowercase(),
                                output::short_time(&v.created_at),
                                if v.redacted_at.is_some() {
                                    "redacted".into()
                                } else {
                                    v.size.to_string()
                                },
                                v.reason.clone(),
                            ]
                        })
                        .collect(),
                );
            }
        }
        MemoryCommand::Restore {
            target,
            path,
            version,
        } => {
            let restored = store.restore_document(
                &target.store_id(store)?,
                &path,
                version,
                &WriteMeta::user(""),
            )?;
            if ctx.json {
                output::json(&restored)?;
            } else {
                println!(
                    "Restored {} to version {version} (now version {}).",
                    restored.path, restored.seq
                );
            }
        }
        MemoryCommand::Mirror(args) => super::mirror::run(ctx, args)?,
        MemoryCommand::Conflicts(args) => super::mirror::run_conflicts(ctx, args)?,
        MemoryCommand::Export { target, dir, zip } => {
            let report = reverie_engine::memory_export::export_store(
                store,
                &target.store_id(store)?,
                &dir,
                zip,
            )?;
            if ctx.json {
                output::json(&report)?;
            } else {
                println!(
                    "Exported {} document(s), {} bytes, to {}{}.",
                    report.documents,
                    report.bytes,
                    report.path.display(),
                    if zip { " (zip)" } else { "" }
                );
            }
        }
    }
    Ok(())
}

/// Reads at most `limit + 1` bytes (one more tells "too big" from "full").
fn read_at_most(input: impl Read, limit: usize) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    input
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow::anyhow!("cannot read the text to write: {e}"))?;
    Ok(bytes)
}
