//! Dreaming: a review pass over an agent's recent sessions that proposes
//! edits to its long-term memory.
//!
//! A dream picks the finished sessions (the agent's and its subagents')
//! since the agent's last completed dream, or an explicit list; renders them
//! as compact transcripts ([`transcript`]); asks the model for a proposal in
//! one call when everything fits the token budget, else reviews chunks
//! separately and consolidates the findings against the current memory
//! ([`review`]); drops edits the guards refuse (any secret, by
//! [`crate::secrets`]; an instruction that did not come from the user, by
//! [`crate::provenance`]); and stores the proposal. Memory changes only when a
//! proposal is applied ([`apply`]), in one transaction, so a dream killed at
//! any point leaves memory untouched. The [`schedule`] runs dreams per agent.
//!
//! While it runs a dream holds the lease `dream:<agent_id>`: one dream per
//! agent at a time, and a dream whose process died is found by [`recover`].

pub mod apply;
pub mod now;
pub mod review;
pub mod schedule;
pub mod transcript;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::params;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::runtime::Runtime;
use crate::store::{
    Agent, Dream, DreamMode, DreamPolicy, DreamStatus, DreamTrigger, NewDream, NewProposalEdit,
    ProposalEdit, Session, SessionStatus, Usage,
};
use crate::{Error, Result, Store};
pub use apply::{
    ConflictChoice, RevertConflict, RevertOutcome, apply_dream, needs_review, reject_dream,
    revert_conflicts, revert_dream,
};
use crate::provenance::{Evidence, Origin, Source};
use crate::secrets;
use review::{CallError, CallStats, Finding, MemoryDoc, ProposalContext};
use transcript::{RenderedSession, estimate_tokens};

/// Input tokens one model call may carry when the user sets no budget.
pub const DEFAULT_BUDGET_TOKENS: i64 = 150_000;
/// The smallest budget that leaves room for a prompt and an answer.
pub const MIN_BUDGET_TOKENS: i64 = 4_000;
/// The settings key holding the user's default budget (input tokens per call).
pub const BUDGET_SETTING: &str = "dream.budget_tokens";

/// The request's budget, else the user's default from Settings (unset or
/// unreadable: the built-in default applies).
fn requested_budget(store: &Store, request: &DreamRequest) -> Option<i64> {
    request.budget_tokens.or_else(|| {
        store
            .setting(BUDGET_SETTING)
            .ok()
            .flatten()
            .and_then(|v| v.trim().parse().ok())
    })
}

/// Room kept in every call for instructions and the answer's framing.
const PROMPT_OVERHEAD: usize = 1_500;
const LEASE_TTL: Duration = Duration::from_secs(60);
const LEASE_RENEWAL: Duration = Duration::from_secs(15);

pub fn dream_lease(agent_id: &str) -> String {
    format!("dream:{agent_id}")
}

/// What to dream about.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DreamRequest {
    /// Agent name or id.
    pub agent: String,
    pub trigger: DreamTrigger,
    /// Review exactly these sessions instead of those since the last dream.
    #[serde(default)]
    pub session_ids: Option<Vec<String>>,
    /// The most input tokens one model call may carry (default 150,000);
    /// more history than that is reviewed in chunks, then consolidated.
    #[serde(default)]
    pub budget_tokens: Option<i64>,
    #[serde(default)]
    pub instructions: String,
    #[serde(default = "default_mode")]
    pub mode: DreamMode,
    /// Apply at once (`Some(true)`), stage (`Some(false)`), or follow the
    /// agent's policy (`None`). Big deletions and pinned documents always
    /// wait for review.
    #[serde(default)]
    pub apply: Option<bool>,
}

fn default_mode() -> DreamMode {
    DreamMode::UpdateExisting
}

impl DreamRequest {
    pub fn new(agent: impl Into<String>, trigger: DreamTrigger) -> Self {
        DreamRequest {
            agent: agent.into(),
            trigger,
            session_ids: None,
            budget_tokens: None,
            instructions: String::new(),
            mode: DreamMode::UpdateExisting,
            apply: None,
        }
    }
}

/// A step of a dream as it happens, for a terminal, the tray or a window.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DreamProgress {
    Started {
        dream_id: String,
        agent: String,
        sessions: usize,
        estimated_tokens: usize,
        chunks: usize,
    },
    Reviewing {
        dream_id: String,
        chunk: usize,
        chunks: usize,
    },
    Consolidating {
        dream_id: String,
    },
    Retrying {
        dream_id: String,
        error: String,
    },
    Finished {
        dream_id: String,
        status: DreamStatus,
        edits: usize,
        blocked: usize,
        applied: bool,
        held_for_review: Option<String>,
        error: Option<String>,
    },
}

/// Where progress goes: any thread-safe callback (or nowhere).
#[derive(Clone, Default)]
pub struct DreamProgressSink(Option<Arc<dyn Fn(DreamProgress) + Send + Sync>>);

impl DreamProgressSink {
    pub fn new(f: impl Fn(DreamProgress) + Send + Sync + 'static) -> Self {
        DreamProgressSink(Some(Arc::new(f)))
    }
    pub fn none() -> Self {
        DreamProgressSink(None)
    }
    fn emit(&self, p: DreamProgress) {
        if let Some(f) = &self.0 {
            f(p)
        }
    }
}

/// An edit the guards refused; it is not part of the proposal.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BlockedEdit {
    pub path: String,
    pub reason: String,
    pub source_session_ids: Vec<String>,
    /// For an injected instruction: the span it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
}

/// Time and tokens of a dream, model time separated from ours.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DreamStats {
    pub sessions: usize,
    pub chunks: usize,
    pub calls: u32,
    /// Estimated input tokens of every request sent (retries included).
    pub tokens_sent: usize,
    pub total_ms: u64,
    pub model_ms: u64,
}

/// How a dream ended.
#[derive(Debug, Clone, Serialize)]
pub struct DreamReport {
    pub dream: Dream,
    pub edits: Vec<ProposalEdit>,
    pub blocked: Vec<BlockedEdit>,
    pub applied: bool,
    pub held_for_review: Option<String>,
    pub stats: DreamStats,
}

/// Marks dreams whose process stopped (their lease is no longer held) as
/// failed. Memory only changes at apply, so it was not touched. Returns
/// the ids marked.
pub fn recover(store: &Store) -> Result<Vec<String>> {
    let stuck: Vec<(String, String)> = {
        let conn = store.conn();
        let mut stmt =
            conn.prepare("SELECT id, agent_id FROM dreams WHERE status IN ('pending', 'running')")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let mut marked = Vec::new();
    for (id, agent_id) in stuck {
        if store.lease_is_held(&dream_lease(&agent_id))? {
            continue;
        }
        if store
            .set_dream_status(
                &id,
                DreamStatus::Failed,
                Some("the process stopped mid-dream; memory was not changed"),
            )
            .is_ok()
        {
            marked.push(id);
        }
    }
    Ok(marked)
}

/// The finished sessions (the agent's own and its subagent threads) a new
/// dream would review: those that ended (or were imported, whatever their
/// own age) after the last completed dream began and that it did not read.
/// Running sessions are never included.
pub fn sessions_to_review(store: &Store, agent: &Agent) -> Result<Vec<Session>> {
    let last = store.last_completed_dream(&agent.id)?;
    let (cutoff, seen): (Option<String>, HashSet<String>) = match &last {
        Some(d) => (
            Some(d.created_at.clone()),
            d.session_ids.iter().cloned().collect(),
        ),
        None => (None, HashSet::new()),
    };
    let ids: Vec<String> = {
        let conn = store.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id FROM sessions WHERE agent_id = ?1 AND status != 'running'
               AND (?2 IS NULL OR COALESCE(ended_at, started_at) >= ?2
                    OR id IN (SELECT session_id FROM session_imports WHERE imported_at >= ?2))
               ORDER BY started_at, id",
        )?;
        stmt.query_map(params![agent.id, cutoff], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
    };
    ids.into_iter()
        .filter(|id| !seen.contains(id))
        .map(|id| store.session(&id))
        .collect()
}

/// Starts, runs and cancels dreams. Cheap to share behind an `Arc`.
pub struct Dreamer {
    runtime: Arc<Runtime>,
    running: Mutex<HashMap<String, CancellationToken>>,
}

impl Dreamer {
    pub fn new(runtime: Arc<Runtime>) -> Self {
        Dreamer {
            runtime,
            running: Mutex::new(HashMap::new()),
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        self.runtime.store()
    }

    /// Creates the dream (status `running`) after claiming the agent's
    /// dream lease and choosing its sessions. Fails when a dream of the
    /// agent is already running or there is nothing new to review.
    pub fn prepare(&self, request: &DreamRequest) -> Result<Dream> {
        let store = self.store();
        let agent = store.agent(&request.agent)?;
        let input = agent.default_store().ok_or_else(|| {
            Error::Invalid(format!(
                "agent '{}' has no memory store to dream into",
                agent.name
            ))
        })?;
        let budget = requested_budget(store, request).unwrap_or(DEFAULT_BUDGET_TOKENS);
        if budget < MIN_BUDGET_TOKENS {
            return Err(Error::Invalid(format!(
                "a budget of {budget} tokens is too small for a dream; give at least {MIN_BUDGET_TOKENS}"
            )));
        }
        let lease = dream_lease(&agent.id);
        recover(store)?;
        // A lease re-acquired by its own process is renewed, so a dream
        // already running in this process is checked for first.
        let mine = store.lease(&lease)?.is_some_and(|l| {
            l.owner == crate::store::process_owner() && l.expires_at > crate::ids::now()
        });
        if mine || !store.try_acquire_lease(&lease, LEASE_TTL)? {
            return Err(Error::Conflict(format!(
                "a dream of '{}' is already running; wait for it or cancel it",
                agent.name
            )));
        }
        let created = (|| {
            let sessions = match &request.session_ids {
                Some(ids) => explicit_sessions(store, &agent, ids)?,
                None => sessions_to_review(store, &agent)?,
            };
            if sessions.is_empty() {
                return Err(Error::Invalid(format!(
                    "'{}' has no finished sessions since its last dream; there is nothing to review",
                    agent.name
                )));
            }
            let dream = store.create_dream(&NewDream {
                agent_id: agent.id.clone(),
                input_store_id: input.store_id.clone(),
                mode: request.mode,
                trigger: request.trigger,
                provider: agent.provider.as_str().to_string(),
                model: agent.model.clone(),
                instructions: request.instructions.clone(),
                budget_tokens: Some(budget),
                session_ids: sessions.iter().map(|s| s.id.clone()).collect(),
            })?;
            store.set_dream_status(&dream.id, DreamStatus::Running, None)
        })();
        if created.is_err() {
            store.release_lease(&lease)?;
        }
        created
    }

    /// What a dream with `request` would review and roughly cost, without
    /// running it or calling the model.
    pub fn estimate(&self, request: &DreamRequest) -> Result<DreamEstimate> {
        let store = self.store();
        let agent = store.agent(&request.agent)?;
        let input = agent.default_store().ok_or_else(|| {
            Error::Invalid(format!(
                "agent '{}' has no memory store to dream into",
                agent.name
            ))
        })?;
        let input = store.memory_store(&input.store_id)?;
        let sessions = match &request.session_ids {
            Some(ids) => explicit_sessions(store, &agent, ids)?,
            None => sessions_to_review(store, &agent)?,
        };
        let plan = plan(
            store,
            &input,
            &sessions,
            &request.instructions,
            requested_budget(store, request),
        )?;
        let calls = plan.chunks.len() + 1;
        let usage = crate::provider::Usage {
            input_tokens: plan.estimated_tokens as u64,
            output_tokens: 2_000 * calls as u64,
            ..Default::default()
        };
        Ok(DreamEstimate {
            agent: agent.name.clone(),
            session_ids: sessions.iter().map(|s| s.id.clone()).collect(),
            estimated_input_tokens: plan.estimated_tokens,
            calls,
            estimated_cost_usd: self.runtime.providers().prices().cost(&agent.model, &usage),
        })
    }

    /// Prepares and runs a dream to the end.
    pub async fn run(
        &self,
        request: DreamRequest,
        cancel: CancellationToken,
        progress: DreamProgressSink,
    ) -> Result<DreamReport> {
        let dream = self.prepare(&request)?;
        self.execute(dream, request.apply, cancel, progress).await
    }

    /// Prepares a dream and runs it in the background; returns it at once
    /// (status `running`). Cancel it with [`Dreamer::cancel`].
    pub fn start(
        self: &Arc<Self>,
        request: DreamRequest,
        progress: DreamProgressSink,
    ) -> Result<Dream> {
        let dream = self.prepare(&request)?;
        let cancel = CancellationToken::new();
        let me = self.clone();
        let run = dream.clone();
        tokio::spawn(async move {
            if let Err(e) = me.execute(run, request.apply, cancel, progress).await {
                tracing::warn!(error = %e, "dream failed");
            }
        });
        Ok(dream)
    }

    /// Cancels a dream running in this process; false if it is not.
    pub fn cancel(&self, dream_id: &str) -> bool {
        match self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(dream_id)
        {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// Runs a prepared dream. It ends `completed` (with a proposal, applied
    /// when the policy says so), `failed` or `canceled`; the lease is
    /// released either way.
    pub async fn execute(
        &self,
        dream: Dream,
        apply: Option<bool>,
        cancel: CancellationToken,
        progress: DreamProgressSink,
    ) -> Result<DreamReport> {
        let store = self.store().clone();
        let lease = dream_lease(&dream.agent_id);
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(dream.id.clone(), cancel.clone());
        let stop_renewal = CancellationToken::new();
        {
            let (store, lease, stop) = (store.clone(), lease.clone(), stop_renewal.clone());
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        _ = tokio::time::sleep(LEASE_RENEWAL) => { let _ = store.renew_lease(&lease, LEASE_TTL); }
                    }
                }
            });
        }
        let result = self.dream_body(&dream, apply, &cancel, &progress).await;
        stop_renewal.cancel();
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&dream.id);
        let finished = match result {
            Ok(report) => Ok(report),
            Err(e) => {
                let (status, message) = match &e {
                    Failure::Canceled => (
                        DreamStatus::Canceled,
                        "canceled; memory was not changed".to_string(),
                    ),
                    Failure::Error(err) => (DreamStatus::Failed, err.to_string()),
                };
                let _ = store.set_dream_status(&dream.id, status, Some(&message));
                progress.emit(DreamProgress::Finished {
                    dream_id: dream.id.clone(),
                    status,
                    edits: 0,
                    blocked: 0,
                    applied: false,
                    held_for_review: None,
                    error: Some(message.clone()),
                });
                match e {
                    Failure::Canceled => {
                        Err(Error::Invalid(format!("dream {} was canceled", dream.id)))
                    }
                    Failure::Error(err) => Err(err),
                }
            }
        };
        store.release_lease(&lease)?;
        finished
    }

    async fn dream_body(
        &self,
        dream: &Dream,
        apply: Option<bool>,
        cancel: &CancellationToken,
        progress: &DreamProgressSink,
    ) -> std::result::Result<DreamReport, Failure> {
        let started = Instant::now();
        let store = self.store().clone();
        let agent = store.agent(&dream.agent_id)?;
        let provider = self
            .runtime
            .providers()
            .get(agent.provider, &store)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        let input = store.memory_store(&dream.input_store_id)?;

        // Read everything first: sessions, then the memory as it is now.
        let sessions: Vec<Session> = dream
            .session_ids
            .iter()
            .map(|id| store.session(id))
            .collect::<Result<_>>()?;
        let Plan {
            rendered,
            evidence: provenance,
            memory,
            memory_text,
            instructions,
            reduce_fixed,
            single,
            chunks,
            estimated_tokens,
        } = plan(
            &store,
            &input,
            &sessions,
            &dream.instructions,
            dream.budget_tokens,
        )?;
        let known: HashSet<String> = dream.session_ids.iter().cloned().collect();
        let budget = budget_of(dream.budget_tokens);
        progress.emit(DreamProgress::Started {
            dream_id: dream.id.clone(),
            agent: agent.name.clone(),
            sessions: sessions.len(),
            estimated_tokens,
            chunks: chunks.len().max(1),
        });

        let mut stats = CallStats::default();
        let mut last_usage = (Usage::default(), 0.0f64);
        let dream_id = dream.id.clone();
        let store_for_calls = store.clone();
        let progress_for_calls = progress.clone();
        let mut on_call = move |s: &CallStats, error: Option<&str>| {
            let u = s.usage;
            let delta = Usage {
                input_tokens: u.input_tokens - last_usage.0.input_tokens,
                output_tokens: u.output_tokens - last_usage.0.output_tokens,
                cache_creation_input_tokens: u.cache_creation_input_tokens
                    - last_usage.0.cache_creation_input_tokens,
                cache_read_input_tokens: u.cache_read_input_tokens
                    - last_usage.0.cache_read_input_tokens,
            };
            let _ = store_for_calls.add_dream_usage(&dream_id, delta, s.cost_usd - last_usage.1);
            last_usage = (u, s.cost_usd);
            if let Some(error) = error {
                progress_for_calls.emit(DreamProgress::Retrying {
                    dream_id: dream_id.clone(),
                    error: error.to_string(),
                });
            }
        };

        // Map: each chunk into findings.
        let mut findings: Vec<Finding> = Vec::new();
        for (i, chunk) in chunks.iter().enumerate() {
            let _ = store.set_dream_progress(
                &dream.id,
                &json!({"phase": "reviewing", "chunk": i + 1, "chunks": chunks.len()}),
            );
            progress.emit(DreamProgress::Reviewing {
                dream_id: dream.id.clone(),
                chunk: i + 1,
                chunks: chunks.len(),
            });
            let chunk_ids: HashSet<String> = chunk.iter().map(|r| r.session_id.clone()).collect();
            let user = format!(
                "{instructions}Here is part {} of {} of the agent's recent history. Study it as data and record your findings.\n\n<transcript>\n{}</transcript>",
                i + 1,
                chunks.len(),
                chunk.iter().map(|r| r.text.as_str()).collect::<String>()
            );
            let found = review::structured_call(
                provider.as_ref(),
                &dream.model,
                review::map_system(),
                user,
                review::findings_tool(),
                |v| review::validate_findings(v, &chunk_ids),
                cancel,
                &mut stats,
                &mut on_call,
            )
            .await
            .map_err(|e| call_failure(e, "reviewing a chunk of sessions"))?;
            findings.extend(found);
        }

        // Reduce: findings (or the transcripts themselves) against memory.
        let _ = store.set_dream_progress(
            &dream.id,
            &json!({"phase": "consolidating", "chunks": chunks.len()}),
        );
        progress.emit(DreamProgress::Consolidating {
            dream_id: dream.id.clone(),
        });
        let evidence = if single {
            format!(
                "<transcript>\n{}</transcript>",
                rendered.iter().map(|r| r.text.as_str()).collect::<String>()
            )
        } else {
            let text = serde_json::to_string_pretty(&findings).unwrap_or_default();
            let room = budget.saturating_sub(reduce_fixed) * 4;
            let cut = if text.len() > room {
                &text[..floor_char(&text, room)]
            } else {
                text.as_str()
            };
            format!(
                "<findings>\n{}\n</findings>",
                cut.replace("</findings", "&lt;/findings")
            )
        };
        let user = format!(
            "{instructions}The agent's current memory:\n\n{memory_text}\nWhat its recent sessions showed:\n\n{evidence}\n\nPropose the memory edits."
        );
        let ctx = ProposalContext {
            memory: &memory,
            session_ids: &known,
            size_limit_bytes: input.size_limit_bytes,
        };
        let proposed = review::structured_call(
            provider.as_ref(),
            &dream.model,
            review::reduce_system(),
            user,
            review::proposal_tool(),
            |v| review::validate_proposal(v, &ctx),
            cancel,
            &mut stats,
            &mut on_call,
        )
        .await
        .map_err(|e| call_failure(e, "consolidating the proposal"))?;

        // Guards: secrets and injected instructions never become memory.
        let (edits, blocked) = guard_edits(proposed, &provenance);
        if cancel.is_cancelled() {
            return Err(Failure::Canceled);
        }

        let dream_row = store.complete_dream(&dream.id, &edits)?;
        let mut report_stats = DreamStats {
            sessions: sessions.len(),
            chunks: chunks.len(),
            calls: stats.calls,
            tokens_sent: stats.tokens_sent,
            total_ms: 0,
            model_ms: stats.model_time.as_millis() as u64,
        };
        let proposal = store.proposal(&dream.id)?;
        let wants_apply =
            apply.unwrap_or(agent.dream_policy == DreamPolicy::Auto) && !proposal.is_empty();
        let mut held_for_review = None;
        let mut applied = false;
        if wants_apply {
            match needs_review(&store, &dream_row, &proposal)? {
                Some(reason) => held_for_review = Some(format!("waiting for review: {reason}")),
                None => {
                    apply_dream(&store, &dream.id)?;
                    applied = true;
                }
            }
        }
        report_stats.total_ms = started.elapsed().as_millis() as u64;
        store.set_dream_progress(
            &dream.id,
            &json!({"phase": "done", "blocked": blocked, "held_for_review": held_for_review, "stats": report_stats}),
        )?;
        let dream_row = store.dream(&dream.id)?;
        progress.emit(DreamProgress::Finished {
            dream_id: dream.id.clone(),
            status: dream_row.status,
            edits: proposal.len(),
            blocked: blocked.len(),
            applied,
            held_for_review: held_for_review.clone(),
            error: None,
        });
        Ok(DreamReport {
            dream: dream_row,
            edits: store.proposal(&dream.id)?,
            blocked,
            applied,
            held_for_review,
            stats: report_stats,
        })
    }
}

fn budget_of(budget_tokens: Option<i64>) -> usize {
    budget_tokens
        .unwrap_or(DEFAULT_BUDGET_TOKENS)
        .max(MIN_BUDGET_TOKENS) as usize
}

/// Everything a dream reads and how it will split the work.
struct Plan {
    rendered: Vec<RenderedSession>,
    evidence: Evidence,
    memory: BTreeMap<String, MemoryDoc>,
    memory_text: String,
    instructions: String,
    reduce_fixed: usize,
    single: bool,
    chunks: Vec<Vec<RenderedSession>>,
    /// Input tokens of every call: the map calls' prompts on top of the
    /// transcripts, then the reduce call.
    estimated_tokens: usize,
}

fn plan(
    store: &Store,
    input: &crate::store::MemoryStore,
    sessions: &[Session],
    user_instructions: &str,
    budget_tokens: Option<i64>,
) -> Result<Plan> {
    let mut evidence = Evidence::new();
    evidence.add(Source::User, None, None, user_instructions);
    let rendered = transcript::render_sessions(store, sessions, &mut evidence)?;
    let mut memory = BTreeMap::new();
    for doc in store.list_documents(&input.id, None)? {
        if let Some((d, content)) = store.read_document(&input.id, &doc.path).ok().flatten() {
            add_memory_evidence(store, &input.id, &d.path, &content, &mut evidence)?;
            memory.insert(
                d.path.clone(),
                MemoryDoc {
                    content: secrets::mask(&content).into_owned(),
                    sha256: d.sha256,
                    pinned: d.pinned,
                },
            );
        }
    }
    let budget = budget_of(budget_tokens);
    let memory_text = review::render_memory(&input.name, &memory);
    let instructions = if user_instructions.trim().is_empty() {
        String::new()
    } else {
        format!(
            "<user_instructions>\n{}\n</user_instructions>\n\n",
            user_instructions.trim()
        )
    };
    let reduce_fixed = estimate_tokens(&review::reduce_system())
        + estimate_tokens(&memory_text)
        + estimate_tokens(&instructions)
        + PROMPT_OVERHEAD;
    let transcript_tokens: usize = rendered.iter().map(|r| r.tokens).sum();
    let single = reduce_fixed + transcript_tokens <= budget;
    let map_fixed = estimate_tokens(&review::map_system()) + PROMPT_OVERHEAD;
    let chunks = if single {
        Vec::new()
    } else {
        pack(&rendered, budget.saturating_sub(map_fixed).max(500))
    };
    Ok(Plan {
        estimated_tokens: transcript_tokens + reduce_fixed + chunks.len() * map_fixed,
        rendered,
        evidence,
        memory,
        memory_text,
        instructions,
        reduce_fixed,
        single,
        chunks,
    })
}

/// What a dream would read and send, before it runs (cost shown before).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DreamEstimate {
    pub agent: String,
    pub session_ids: Vec<String>,
    /// Estimated input tokens over all calls.
    pub estimated_input_tokens: usize,
    pub calls: usize,
    /// From the price table, assuming about 2,000 output tokens per call;
    /// `None` when the model has no price.
    pub estimated_cost_usd: Option<f64>,
}

fn floor_char(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Packs sessions into chunks of at most `room` tokens, in order; a
/// session bigger than a chunk is cut to fit.
fn pack(rendered: &[RenderedSession], room: usize) -> Vec<Vec<RenderedSession>> {
    let mut chunks: Vec<Vec<RenderedSession>> = Vec::new();
    let mut current: Vec<RenderedSession> = Vec::new();
    let mut used = 0;
    for r in rendered {
        let r = transcript::shorten(r, room);
        if used + r.tokens > room && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
            used = 0;
        }
        used += r.tokens;
        current.push(r);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

fn explicit_sessions(store: &Store, agent: &Agent, ids: &[String]) -> Result<Vec<Session>> {
    let mut out = Vec::new();
    for id in ids {
        let s = store.session(id)?;
        if s.agent_id != agent.id {
            return Err(Error::Invalid(format!(
                "session {id} belongs to '{}', not '{}'",
                s.agent_name, agent.name
            )));
        }
        if s.status == SessionStatus::Running {
            return Err(Error::Invalid(format!(
                "session {id} is still running; dream about it once it has finished"
            )));
        }
        out.push(s);
    }
    Ok(out)
}

enum Failure {
    Canceled,
    Error(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

fn call_failure(e: CallError, doing: &str) -> Failure {
    match e {
        CallError::Canceled => Failure::Canceled,
        CallError::Provider(p) => Failure::Error(Error::Invalid(format!(
            "the model call failed while {doing}: {p}"
        ))),
        CallError::Invalid(msg) => Failure::Error(Error::Invalid(format!(
            "the model's answer was invalid twice while {doing} ({msg}); the dream stopped and memory was not changed"
        ))),
    }
}

/// Indexes a memory document for provenance: each line is attributed to
/// the version that introduced it, and only lines the user wrote (in the
/// app or an editor on a mirror) count as their words.
pub(crate) fn add_memory_evidence(
    store: &Store,
    store_id: &str,
    path: &str,
    current: &str,
    evidence: &mut Evidence,
) -> Result<()> {
    use crate::store::AuthorKind;
    let mut user_lines = String::new();
    let mut model_lines = String::new();
    let mut previous: HashSet<String> = HashSet::new();
    for version in store.document_history(store_id, path)? {
        let Some(content) = version.content.as_deref() else {
            continue;
        };
        let lines: HashSet<String> = content.lines().map(str::to_string).collect();
        for line in content.lines() {
            if previous.contains(line) {
                continue;
            }
            let into = match version.author {
                AuthorKind::User | AuthorKind::External => &mut user_lines,
                _ => &mut model_lines,
            };
            into.push_str(line);
            into.push('\n');
        }
        previous = lines;
    }
    evidence.add(Source::UserMemory, None, None, &user_lines);
    evidence.add(Source::ModelMemory, None, None, &model_lines);
    evidence.mark_in_memory(current);
    Ok(())
}

/// Splits a proposal into the edits that may enter memory and those the
/// guards refuse: any secret, or an instruction whose words came from
/// somewhere other than the user.
pub(crate) fn guard_edits(
    proposed: Vec<NewProposalEdit>,
    evidence: &Evidence,
) -> (Vec<NewProposalEdit>, Vec<BlockedEdit>) {
    let mut edits = Vec::new();
    let mut blocked = Vec::new();
    for edit in proposed {
        let content = edit.content.as_deref().unwrap_or("");
        let refusal = match secrets::refusal(content) {
            Some(why) => Some((format!("{why}; secrets never go into memory"), None)),
            None => evidence
                .check(content)
                .map(|r| (r.sentence(), r.origin)),
        };
        match refusal {
            Some((reason, origin)) => blocked.push(BlockedEdit {
                path: edit.path.clone(),
                reason,
                source_session_ids: edit.source_session_ids.clone(),
                origin,
            }),
            None => edits.push(edit),
        }
    }
    (edits, blocked)
}
