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
//!
//! A dream's inputs — its budget (over the whole dream) and call sizes,
//! the sessions it reads and the memory store — are resolved once, in
//! [`Dreamer::prepare`], and carried by [`Prepared`] to the run; the
//! stored proposal is read once after it completes.
//!
//! `dream` owns the policy: what to review, how to split it, what the
//! guards refuse, when a proposal waits for the user and every sentence
//! about it. It runs no SQL: every statement (recovery, the sessions to
//! review, apply, reject and revert) is a `Store` method in `store`.

pub mod apply;
pub mod conditions;
pub mod now;
pub mod review;
pub mod pins;
pub mod schedule;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::provenance::{Evidence, Origin, Source};
use crate::runtime::Runtime;
use crate::secrets;
use crate::store::{
    Agent, Dream, DreamMode, DreamPolicy, DreamStatus, DreamTrigger, NewDream, NewProposalEdit,
    ProposalEdit, Session, SessionStatus,
};
use crate::{Error, Result, Store};
pub use apply::{
    ConflictChoice, RevertConflict, RevertOutcome, apply_dream, needs_review, reject_dream,
    revert_conflicts, revert_dream,
};
use review::{CallError, CallStats, Finding, MemoryDoc, ProposalContext};
use crate::transcript::{self, RenderedSession, estimate_tokens};

/// Input tokens a whole dream (all its model calls, retries included) may
/// send when the user sets no budget.
pub const DEFAULT_BUDGET_TOKENS: i64 = 500_000;
/// The smallest budget that leaves room for a prompt and an answer.
pub const MIN_BUDGET_TOKENS: i64 = 4_000;
/// Input tokens one model call may carry unless the request (or, later, the
/// model's context window) says less.
pub const DEFAULT_CALL_TOKENS: i64 = 150_000;
/// The settings key holding the user's default budget (input tokens per dream).
pub const BUDGET_SETTING: &str = "dream.budget_tokens";
/// Map calls in flight at once.
pub const MAP_CONCURRENCY: usize = 4;

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

/// Room kept in every call for instructions and the answer's framing (less
/// on a small model, where every token counts).
const PROMPT_OVERHEAD: usize = 1_500;

fn overhead(call: usize) -> usize {
    PROMPT_OVERHEAD.min(call / 8)
}
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
    /// The most input tokens the whole dream may send, over all its calls
    /// (default: Settings, else 500,000). History beyond it waits for the
    /// next dream; it is never skipped.
    #[serde(default)]
    pub budget_tokens: Option<i64>,
    /// The most input tokens one call may carry (default 150,000); more
    /// history than that is reviewed in chunks, then consolidated.
    #[serde(default)]
    pub call_tokens: Option<i64>,
    /// The model's context window, when known (the agent's
    /// `context_tokens` setting wins); calls and answers are sized to it.
    #[serde(default)]
    pub context_tokens: Option<i64>,
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
            call_tokens: None,
            context_tokens: None,
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
    /// Findings outgrew one consolidating call and are condensed first.
    Condensing {
        dream_id: String,
        level: usize,
        groups: usize,
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
    /// What the dream left out or shortened, one sentence each: sessions
    /// left for the next dream, transcripts cut to fit a call, findings
    /// dropped. Empty when it read everything whole.
    pub notes: Vec<String>,
    pub applied: bool,
    pub held_for_review: Option<String>,
    pub stats: DreamStats,
}

/// A dream [`Dreamer::prepare`] created (status `running`, lease held),
/// with the inputs it resolved once: the agent, the token limits (budget
/// over the whole dream, call and answer sizes), the sessions it reads in
/// order, and the memory store it reads. Reads as the [`Dream`].
pub struct Prepared {
    pub dream: Dream,
    agent: Agent,
    limits: Limits,
    sessions: Vec<Session>,
    memory: crate::store::MemoryStore,
    /// What planning left out or shortened (sessions deferred…).
    notes: Vec<String>,
}

impl std::ops::Deref for Prepared {
    type Target = Dream;
    fn deref(&self) -> &Dream {
        &self.dream
    }
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.dream.fmt(f)
    }
}

/// Marks dreams whose process stopped (their lease is no longer held) as
/// failed. Memory only changes at apply, so it was not touched. Returns
/// the ids marked.
pub fn recover(store: &Store) -> Result<Vec<String>> {
    let mut marked = Vec::new();
    for (id, agent_id) in store.unfinished_dreams()? {
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

/// The finished sessions a new dream would review: every session of the
/// agent (its own, those it ran as a subagent, imported ones) that no
/// completed dream has reviewed, whatever its age. Running sessions never.
pub fn sessions_to_review(store: &Store, agent: &Agent) -> Result<Vec<Session>> {
    store.sessions_to_review(&agent.id)
}

/// Starts, runs and cancels dreams. Cheap to share behind an `Arc`.
pub struct Dreamer {
    runtime: Arc<Runtime>,
    running: Mutex<HashMap<String, CancellationToken>>,
    /// What checks a staged proposal before it is applied, if anything.
    gate: Option<Arc<dyn ProposalGate>>,
}

/// Checks a staged proposal before it is applied. The regression gate
/// (`crate::eval::gate::DreamGate`) plugs in here, so dreaming does not
/// depend on evaluation; `crate::eval::dreamer` builds a dreamer with it.
#[async_trait::async_trait]
pub trait ProposalGate: Send + Sync {
    /// `None` when there is nothing to check the proposal against (the
    /// dream then applies as its policy says). With `auto_apply` the gate
    /// applies the proposal itself when nothing got worse.
    async fn check(
        &self,
        runtime: &Runtime,
        dream_id: &str,
        auto_apply: bool,
        cancel: &CancellationToken,
    ) -> Result<Option<GateVerdict>>;
}

/// What a [`ProposalGate`] decided.
#[derive(Debug, Clone)]
pub struct GateVerdict {
    pub applied: bool,
    /// Why the dream waits for the user, when it does.
    pub held_reason: Option<String>,
    /// Recorded on the dream's progress (`gate`).
    pub note: Value,
}

impl Dreamer {
    pub fn new(runtime: Arc<Runtime>) -> Self {
        Dreamer {
            runtime,
            running: Mutex::new(HashMap::new()),
            gate: None,
        }
    }

    /// Checks every staged proposal with `gate` before it is applied.
    pub fn with_gate(mut self, gate: Arc<dyn ProposalGate>) -> Self {
        self.gate = Some(gate);
        self
    }

    pub fn store(&self) -> &Arc<Store> {
        self.runtime.store()
    }

    /// Creates the dream (status `running`) after claiming the agent's
    /// dream lease and choosing its sessions: every unreviewed one (or the
    /// explicit list) that fits the budget, oldest first; the rest wait for
    /// the next dream, and the dream's record says so. Fails when a dream
    /// of the agent is already running or there is nothing to review.
    ///
    /// The dream's inputs are resolved here, once: its budget and call
    /// sizes, the sessions it reads and the memory store it reads; the
    /// returned [`Prepared`] carries them to [`Dreamer::execute`].
    pub fn prepare(&self, request: &DreamRequest) -> Result<Prepared> {
        let store = self.store();
        let agent = store.agent(&request.agent)?;
        let request = &self.sized(request, &agent);
        let input = agent.default_store().ok_or_else(|| {
            Error::Invalid(format!(
                "agent '{}' has no memory store to dream into",
                agent.name
            ))
        })?;
        let limits = limits_of(store, request)?;
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
                return Err(nothing_to_review(&agent.name));
            }
            let memory = store.memory_store(&input.store_id)?;
            let plan = plan(
                store,
                &memory,
                &sessions,
                &request.instructions,
                limits,
                false,
            )?;
            let chosen: HashSet<&str> = plan
                .rendered
                .iter()
                .map(|r| r.session_id.as_str())
                .collect();
            let dream = store.create_dream(&NewDream {
                agent_id: agent.id.clone(),
                input_store_id: input.store_id.clone(),
                mode: request.mode,
                trigger: request.trigger,
                provider: agent.provider.as_str().to_string(),
                model: agent.model.clone(),
                instructions: request.instructions.clone(),
                budget_tokens: Some(limits.budget as i64),
                session_ids: plan.rendered.iter().map(|r| r.session_id.clone()).collect(),
            })?;
            store.set_dream_progress(
                &dream.id,
                &json!({"phase": "starting", "plan": plan.record()}),
            )?;
            let dream = store.set_dream_status(&dream.id, DreamStatus::Running, None)?;
            // The sessions it reads, in the dream's order.
            let by_id: HashMap<&str, &Session> = sessions
                .iter()
                .filter(|s| chosen.contains(s.id.as_str()))
                .map(|s| (s.id.as_str(), s))
                .collect();
            let sessions = dream
                .session_ids
                .iter()
                .filter_map(|id| by_id.get(id.as_str()).map(|s| (*s).clone()))
                .collect();
            Ok(Prepared {
                dream,
                agent: agent.clone(),
                limits,
                sessions,
                memory,
                notes: plan.notes,
            })
        })();
        if created.is_err() {
            store.release_lease(&lease)?;
        }
        created
    }

    /// `request` with the model's context filled in: the agent's
    /// `context_tokens` setting, else what the server said (once learned).
    fn sized(&self, request: &DreamRequest, agent: &Agent) -> DreamRequest {
        let mut request = request.clone();
        if request.context_tokens.is_none() {
            request.context_tokens = agent
                .settings
                .get("context_tokens")
                .and_then(Value::as_i64)
                .or_else(|| {
                    let provider = self
                        .runtime
                        .providers()
                        .get(agent.provider, self.store())
                        .ok()?;
                    crate::provider::known_context(provider.as_ref(), &agent.model).map(i64::from)
                });
        }
        request
    }

    /// Asks the agent's server how much context its model holds (once per
    /// process), so the dream sizes its calls to it.
    pub async fn learn_context(&self, agent: &str) {
        let Ok(agent) = self.store().agent(agent) else {
            return;
        };
        if let Ok(provider) = self.runtime.providers().get(agent.provider, self.store()) {
            crate::provider::learn_context(provider.as_ref(), &agent.model).await;
        }
    }

    /// What a dream with `request` would review and roughly cost, without
    /// running it or calling the model.
    pub fn estimate(&self, request: &DreamRequest) -> Result<DreamEstimate> {
        let store = self.store();
        let agent = store.agent(&request.agent)?;
        let request = &self.sized(request, &agent);
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
        let limits = limits_of(store, request)?;
        let plan = plan(
            store,
            &input,
            &sessions,
            &request.instructions,
            limits,
            false,
        )?;
        let calls = plan.calls();
        let usage = crate::provider::Usage {
            input_tokens: plan.estimated_tokens as u64,
            output_tokens: 2_000 * calls as u64,
            ..Default::default()
        };
        Ok(DreamEstimate {
            agent: agent.name.clone(),
            session_ids: plan.rendered.iter().map(|r| r.session_id.clone()).collect(),
            deferred_session_ids: plan.deferred.clone(),
            estimated_input_tokens: plan.estimated_tokens,
            budget_tokens: limits.budget,
            calls,
            notes: plan.notes.clone(),
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
        self.learn_context(&request.agent).await;
        let prepared = self.prepare(&request)?;
        self.execute(prepared, request.apply, cancel, progress).await
    }

    /// Prepares a dream and runs it in the background; returns it at once
    /// (status `running`). Cancel it with [`Dreamer::cancel`].
    pub fn start(
        self: &Arc<Self>,
        request: DreamRequest,
        progress: DreamProgressSink,
    ) -> Result<Dream> {
        let prepared = self.prepare(&request)?;
        let dream = prepared.dream.clone();
        let cancel = CancellationToken::new();
        let me = self.clone();
        tokio::spawn(async move {
            if let Err(e) = me.execute(prepared, request.apply, cancel, progress).await {
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
        prepared: Prepared,
        apply: Option<bool>,
        cancel: CancellationToken,
        progress: DreamProgressSink,
    ) -> Result<DreamReport> {
        let dream = prepared.dream.clone();
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
        let result = self
            .dream_body(&prepared, apply, &cancel, &progress)
            .await;
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
        prepared: &Prepared,
        apply: Option<bool>,
        cancel: &CancellationToken,
        progress: &DreamProgressSink,
    ) -> std::result::Result<DreamReport, Failure> {
        let started = Instant::now();
        let store = self.store().clone();
        let Prepared {
            dream,
            agent,
            limits,
            sessions,
            memory: input,
            notes: planned,
        } = prepared;
        let limits = *limits;
        let provider = self
            .runtime
            .providers()
            .get(agent.provider, &store)
            .map_err(|e| Error::Invalid(e.to_string()))?;

        // Plan again over what prepare chose, with the guards' evidence;
        // the memory is read as it is now.
        let plan = plan(&store, input, sessions, &dream.instructions, limits, true)?;
        // Sessions prepare left for the next dream are part of the story.
        let mut notes: Vec<String> = planned.clone();
        for n in &plan.notes {
            if !notes.contains(n) {
                notes.push(n.clone());
            }
        }
        let known: HashSet<String> = dream.session_ids.iter().cloned().collect();
        progress.emit(DreamProgress::Started {
            dream_id: dream.id.clone(),
            agent: agent.name.clone(),
            sessions: sessions.len(),
            estimated_tokens: plan.estimated_tokens,
            chunks: plan.chunks.len().max(1),
        });
        let plan_record =
            json!({"call_tokens": limits.call, "answer_tokens": limits.answer, "notes": notes});

        let budget = review::Budget::new(limits.budget);
        let totals = Arc::new(Mutex::new(CallStats::default()));
        let on_attempt = {
            let (store, dream_id, progress, totals) = (
                store.clone(),
                dream.id.clone(),
                progress.clone(),
                totals.clone(),
            );
            move |a: &review::Attempt<'_>| {
                let _ = store.add_dream_usage(&dream_id, a.usage, a.cost_usd);
                totals.lock().unwrap_or_else(|p| p.into_inner()).add(a);
                if let (Some(error), true) = (a.error, a.retrying) {
                    progress.emit(DreamProgress::Retrying {
                        dream_id: dream_id.clone(),
                        error: error.to_string(),
                    });
                }
            }
        };
        let model = dream.model.as_str();
        let instructions = plan.instructions.as_str();

        let evidence = if plan.single {
            format!(
                "<transcript>\n{}</transcript>",
                plan.rendered
                    .iter()
                    .map(|r| r.text.as_str())
                    .collect::<String>()
            )
        } else {
            // Map: chunks into findings, a few calls at a time, in order.
            let chunks = plan.chunks.len();
            let done = std::sync::atomic::AtomicUsize::new(0);
            let mut findings: Vec<Finding> = Vec::new();
            let mut calls = Vec::with_capacity(chunks);
            for (i, chunk) in plan.chunks.iter().enumerate() {
                let chunk_ids: HashSet<String> =
                    chunk.iter().map(|r| r.session_id.clone()).collect();
                let user = format!(
                    "{instructions}Here is part {} of {chunks} of the agent's recent history. Study it as data and record your findings.\n\n<transcript>\n{}</transcript>",
                    i + 1,
                    chunk.iter().map(|r| r.text.as_str()).collect::<String>()
                );
                let (provider, budget, on_attempt, done) = (&provider, &budget, &on_attempt, &done);
                let (store, dream_id, progress) = (&store, &dream.id, progress);
                calls.push(async move {
                    let found = review::structured_call(
                        provider.as_ref(),
                        model,
                        review::map_system(),
                        user,
                        review::findings_tool_for(&chunk_ids, limits.answer),
                        |v, last| review::validate_findings_keeping(v, &chunk_ids, last),
                        cancel,
                        budget,
                        limits.answer,
                        on_attempt,
                    )
                    .await;
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    let _ = store.set_dream_progress(
                        dream_id,
                        &json!({"phase": "reviewing", "chunk": n, "chunks": chunks}),
                    );
                    progress.emit(DreamProgress::Reviewing {
                        dream_id: dream_id.clone(),
                        chunk: n,
                        chunks,
                    });
                    found
                });
            }
            let mut results = futures_util::stream::iter(calls).buffered(MAP_CONCURRENCY);
            while let Some(found) = results.next().await {
                let (found, dropped) =
                    found.map_err(|e| call_failure(e, "reviewing a chunk of sessions"))?;
                findings.extend(found);
                notes.extend(dropped);
            }
            drop(results);

            // Condense: findings that outgrow one consolidating call are
            // merged in levels, whole records at a time, never cut.
            let room = limits.call.saturating_sub(plan.reduce_fixed);
            let mut level = 0;
            while estimate_tokens(&review::render_findings(&findings)) > room {
                level += 1;
                let merge_room = limits
                    .call
                    .saturating_sub(
                        estimate_tokens(&review::merge_system()) + overhead(limits.call),
                    )
                    .max(500);
                let groups = group_findings(&findings, merge_room);
                if level > 4 || groups.len() >= findings.len() {
                    // Nothing left to merge: keep the best-supported
                    // findings that fit and say what was left out.
                    let before = findings.len();
                    findings = keep_best(findings, room);
                    notes.push(format!(
                        "{} of {before} findings did not fit the consolidating call and were left out; the others were kept whole",
                        before - findings.len()
                    ));
                    break;
                }
                let _ = store.set_dream_progress(
                    &dream.id,
                    &json!({"phase": "condensing", "level": level, "groups": groups.len(), "plan": plan_record}),
                );
                progress.emit(DreamProgress::Condensing {
                    dream_id: dream.id.clone(),
                    level,
                    groups: groups.len(),
                });
                let mut calls = Vec::new();
                for group in groups {
                    let user = format!(
                        "{instructions}Here are notes about the agent's recent work, one JSON record per line. Condense them.\n\n<findings>\n{}\n</findings>",
                        review::render_findings(&group)
                    );
                    let (provider, budget, on_attempt, known) =
                        (&provider, &budget, &on_attempt, &known);
                    calls.push(async move {
                        review::structured_call(
                            provider.as_ref(),
                            model,
                            review::merge_system(),
                            user,
                            review::findings_tool_for(known, limits.answer),
                            |v, last| review::validate_findings_keeping(v, known, last),
                            cancel,
                            budget,
                            limits.answer,
                            on_attempt,
                        )
                        .await
                    });
                }
                let mut merged = Vec::new();
                let mut results = futures_util::stream::iter(calls).buffered(MAP_CONCURRENCY);
                while let Some(found) = results.next().await {
                    let (found, dropped) =
                        found.map_err(|e| call_failure(e, "condensing findings"))?;
                    merged.extend(found);
                    notes.extend(dropped);
                }
                findings = merged;
            }
            format!(
                "<findings>\n{}\n</findings>",
                review::render_findings(&findings)
            )
        };

        // Reduce: findings (or the transcripts themselves) against memory.
        let _ = store.set_dream_progress(
            &dream.id,
            &json!({"phase": "consolidating", "chunks": plan.chunks.len(), "plan": plan_record}),
        );
        progress.emit(DreamProgress::Consolidating {
            dream_id: dream.id.clone(),
        });
        let user = format!(
            "{instructions}The agent's current memory:\n\n{}\nWhat its recent sessions showed:\n\n{evidence}\n\nPropose the memory edits.",
            plan.memory_text
        );
        let ctx = ProposalContext {
            memory: &plan.memory,
            session_ids: &known,
            size_limit_bytes: input.size_limit_bytes,
        };
        let proposed = review::structured_call(
            provider.as_ref(),
            model,
            review::reduce_system(),
            user,
            review::proposal_tool_for(&known, limits.answer),
            |v, last| review::validate_proposal_keeping(v, &ctx, last),
            cancel,
            &budget,
            limits.answer,
            &on_attempt,
        )
        .await
        .map_err(|e| call_failure(e, "consolidating the proposal"))?;

        // Guards: secrets and injected instructions never become memory.
        let (proposed, dropped) = proposed;
        notes.extend(dropped);
        let (edits, mut blocked) = guard_edits(proposed, &plan.provenance);
        // Pinned lines: dreams never delete or change them.
        let (edits, pinned) = pins::guard_pins(&store, &input.id, edits)?;
        blocked.extend(pinned);
        if cancel.is_cancelled() {
            return Err(Failure::Canceled);
        }

        let dream_row = store.complete_dream(&dream.id, &edits)?;
        // The proposal as stored, read once: the policy, the apply and the
        // report all use it.
        let mut proposal = store.proposal(&dream.id)?;
        let stats = totals.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut report_stats = DreamStats {
            sessions: sessions.len(),
            chunks: plan.chunks.len(),
            calls: stats.calls,
            tokens_sent: stats.tokens_sent,
            total_ms: 0,
            model_ms: stats.model_time.as_millis() as u64,
        };
        let wants_apply =
            apply.unwrap_or(agent.dream_policy == DreamPolicy::Auto) && !proposal.is_empty();
        let mut held_for_review = None;
        let mut applied = false;
        let mut gate_note = Value::Null;
        if !proposal.is_empty() {
            let review_reason = if wants_apply {
                needs_review(&store, &dream_row, &proposal)?
            } else {
                None
            };
            let auto = wants_apply && review_reason.is_none();
            // With an evaluation set, every staged proposal is gated; the
            // gate applies it only when auto-apply is wanted and nothing
            // got worse. Without one, nothing changes.
            let verdict = match &self.gate {
                Some(gate) => gate.check(&self.runtime, &dream.id, auto, cancel).await?,
                None => None,
            };
            match verdict {
                None if auto => {
                    apply::apply_staged(&store, &dream_row, &proposal)?;
                    // A fresh proposal has no rejected edit: all applied.
                    for e in &mut proposal {
                        if e.decision != crate::store::EditDecision::Rejected {
                            e.decision = crate::store::EditDecision::Applied;
                        }
                    }
                    applied = true;
                }
                None => {}
                Some(gate) => {
                    gate_note = gate.note;
                    applied = gate.applied;
                    if review_reason.is_none() {
                        held_for_review = gate.held_reason;
                        // The gate applied (or not) from the store: read back what it did.
                        proposal = store.proposal(&dream.id)?;
                    }
                }
            }
            if let Some(reason) = review_reason {
                held_for_review = Some(format!("waiting for review: {reason}"));
            }
        }
        report_stats.total_ms = started.elapsed().as_millis() as u64;
        store.set_dream_progress(
            &dream.id,
            &json!({"phase": "done", "blocked": blocked, "held_for_review": held_for_review, "stats": report_stats, "notes": notes, "plan": plan_record, "gate": gate_note}),
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
            edits: proposal,
            blocked,
            notes,
            applied,
            held_for_review,
            stats: report_stats,
        })
    }
}

fn nothing_to_review(agent: &str) -> Error {
    Error::Invalid(format!(
        "'{agent}' has no finished sessions that a dream has not reviewed; there is nothing to review"
    ))
}

/// The token limits of one dream.
#[derive(Debug, Clone, Copy)]
struct Limits {
    /// Input tokens of all calls together.
    budget: usize,
    /// Input tokens of one call.
    call: usize,
    /// Output tokens each call may answer with.
    answer: u32,
}

fn limits_of(store: &Store, request: &DreamRequest) -> Result<Limits> {
    let budget = requested_budget(store, request).unwrap_or(DEFAULT_BUDGET_TOKENS);
    if budget < MIN_BUDGET_TOKENS {
        return Err(Error::Invalid(format!(
            "a budget of {budget} tokens is too small for a dream; give at least {MIN_BUDGET_TOKENS}"
        )));
    }
    // The answer and the prompt share the model's context.
    let context = request.context_tokens.filter(|c| *c > 0);
    let answer = match context {
        Some(c) => (c / 4).clamp(MIN_ANSWER_TOKENS, MAX_ANSWER_TOKENS),
        None => MAX_ANSWER_TOKENS,
    };
    let mut call = request.call_tokens.unwrap_or(DEFAULT_CALL_TOKENS);
    if let Some(c) = context {
        call = call.min(c - answer);
    }
    if call < MIN_CALL_TOKENS {
        return Err(Error::Invalid(match context {
            Some(c) => format!(
                "the model's context of {c} tokens is too small for a dream, which needs at least {} for a call and its answer; use a model with a larger context",
                MIN_CALL_TOKENS + MIN_ANSWER_TOKENS
            ),
            None => format!(
                "{call} tokens per call is too small for a dream; give at least {MIN_CALL_TOKENS}"
            ),
        }));
    }
    Ok(Limits {
        budget: budget as usize,
        call: call.min(budget) as usize,
        answer: answer as u32,
    })
}

/// The smallest call a dream can make: its instructions and a little history.
pub const MIN_CALL_TOKENS: i64 = 1_500;
/// The answer tokens asked for on a structured call, and the floor on a
/// small model.
const MAX_ANSWER_TOKENS: i64 = 16_000;
const MIN_ANSWER_TOKENS: i64 = 512;

/// Everything a dream reads and how it will split the work.
struct Plan {
    /// The sessions it reads, rendered, in order.
    rendered: Vec<RenderedSession>,
    /// Sessions that did not fit the budget: left for the next dream.
    deferred: Vec<String>,
    provenance: Evidence,
    memory: BTreeMap<String, MemoryDoc>,
    memory_text: String,
    instructions: String,
    reduce_fixed: usize,
    single: bool,
    chunks: Vec<Vec<RenderedSession>>,
    /// Input tokens of every call: map calls, condensing, the reduce call.
    estimated_tokens: usize,
    /// What will be left out or shortened, one sentence each.
    notes: Vec<String>,
    call_tokens: usize,
    answer_tokens: u32,
}

impl Plan {
    fn calls(&self) -> usize {
        self.chunks.len() + 1
    }
    fn record(&self) -> Value {
        json!({"call_tokens": self.call_tokens, "answer_tokens": self.answer_tokens, "notes": self.notes, "deferred": self.deferred.len()})
    }
}

/// What the findings of a chunk are likely to cost in the reduce call.
fn findings_estimate(chunk_tokens: usize) -> usize {
    (chunk_tokens / 10).clamp(200, 1_500)
}

fn plan(
    store: &Store,
    input: &crate::store::MemoryStore,
    sessions: &[Session],
    user_instructions: &str,
    limits: Limits,
    guarded: bool,
) -> Result<Plan> {
    // Where each span came from matters only to the guards, after the
    // model answers; planning which sessions fit skips that work.
    let mut provenance = if guarded {
        Evidence::new()
    } else {
        Evidence::off()
    };
    provenance.add(Source::User, None, None, user_instructions);
    let all = transcript::render_sessions(store, sessions, &mut provenance)?;
    let mut memory = BTreeMap::new();
    for doc in store.list_documents(&input.id, None)? {
        if let Some((d, content)) = store.read_document(&input.id, &doc.path).ok().flatten() {
            if guarded {
                crate::receipts::add_memory_evidence(store, &input.id, &d.path, &content, &mut provenance)?;
            }
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
    let memory_text = review::render_memory(&input.name, &memory);
    let masked = secrets::mask(user_instructions.trim());
    let instructions = if masked.is_empty() {
        String::new()
    } else {
        format!("<user_instructions>\n{masked}\n</user_instructions>\n\n")
    };
    let reduce_fixed = estimate_tokens(&review::reduce_system())
        + estimate_tokens(&memory_text)
        + estimate_tokens(&instructions)
        + overhead(limits.call);
    let call = limits.call;
    // The reduce call must hold the memory and still have room for what the
    // sessions showed; otherwise nothing could be said about them.
    let min_evidence = (limits.call / 4).min(1_000);
    if reduce_fixed + min_evidence > call {
        return Err(Error::Invalid(format!(
            "the memory store '{}' is about {} tokens, too big for one call of {call} tokens with room for what the sessions showed; raise the tokens per call or the budget, or make the memory smaller",
            input.name,
            estimate_tokens(&memory_text)
        )));
    }
    // Keep a tenth of the budget for retries and answers longer than
    // estimated.
    let usable = limits.budget - limits.budget / 10;
    let map_fixed = estimate_tokens(&review::map_system())
        + estimate_tokens(&instructions)
        + overhead(limits.call);
    let room = call.saturating_sub(map_fixed).max(500);
    let mut notes = Vec::new();
    let total: usize = all.iter().map(|r| r.tokens).sum();

    // Everything in one call, when it fits.
    if reduce_fixed + total <= call && reduce_fixed + total <= usable {
        return Ok(Plan {
            estimated_tokens: reduce_fixed + total,
            rendered: all,
            deferred: Vec::new(),
            provenance,
            memory,
            memory_text,
            instructions,
            reduce_fixed,
            single: true,
            chunks: Vec::new(),
            notes,
            call_tokens: call,
            answer_tokens: limits.answer,
        });
    }

    // Map, then reduce: take sessions oldest first while the whole dream
    // (chunks, their findings and the reduce call) fits the budget.
    let mut read: Vec<RenderedSession> = Vec::new();
    let mut deferred = Vec::new();
    let mut estimated = reduce_fixed;
    let mut chunk_used = usize::MAX;
    for r in all {
        if !deferred.is_empty() {
            deferred.push(r.session_id);
            continue;
        }
        let shortened = transcript::shorten(&r, room);
        let opens_chunk = chunk_used.saturating_add(shortened.tokens) > room;
        let cost = shortened.tokens
            + findings_estimate(shortened.tokens)
            + if opens_chunk { map_fixed } else { 0 };
        if estimated + cost > usable && !read.is_empty() {
            deferred.push(r.session_id);
            continue;
        }
        if shortened.tokens < r.tokens {
            notes.push(format!(
                "session {} is about {} tokens, more than one call holds; the dream read its first {} tokens",
                r.session_id, r.tokens, shortened.tokens
            ));
        }
        chunk_used = if opens_chunk {
            shortened.tokens
        } else {
            chunk_used + shortened.tokens
        };
        estimated += cost;
        read.push(shortened);
    }
    if !deferred.is_empty() {
        notes.push(format!(
            "{} session{} did not fit the budget of {} tokens and wait for the next dream",
            deferred.len(),
            if deferred.len() == 1 { "" } else { "s" },
            limits.budget
        ));
    }
    let chunks = pack(&read, room);
    Ok(Plan {
        estimated_tokens: estimated,
        rendered: read,
        deferred,
        provenance,
        memory,
        memory_text,
        instructions,
        reduce_fixed,
        single: false,
        chunks,
        notes,
        call_tokens: call,
        answer_tokens: limits.answer,
    })
}

/// Splits findings into groups of whole records that fit `room` tokens.
fn group_findings(findings: &[Finding], room: usize) -> Vec<Vec<Finding>> {
    let mut groups: Vec<Vec<Finding>> = Vec::new();
    let mut current: Vec<Finding> = Vec::new();
    let mut used = 0;
    for f in findings {
        let t = estimate_tokens(&review::render_findings(std::slice::from_ref(f))) + 1;
        if used + t > room && !current.is_empty() {
            groups.push(std::mem::take(&mut current));
            used = 0;
        }
        used += t;
        current.push(f.clone());
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// The findings cited by the most sessions that fit `room` tokens, in
/// their original order.
fn keep_best(findings: Vec<Finding>, room: usize) -> Vec<Finding> {
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(findings[i].session_ids.len()));
    let mut keep = vec![false; findings.len()];
    let mut used = 0;
    for i in order {
        let t = estimate_tokens(&review::render_findings(std::slice::from_ref(&findings[i]))) + 1;
        if used + t <= room {
            used += t;
            keep[i] = true;
        }
    }
    findings
        .into_iter()
        .zip(keep)
        .filter_map(|(f, k)| k.then_some(f))
        .collect()
}

/// What a dream would read and send, before it runs (cost shown before).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DreamEstimate {
    pub agent: String,
    pub session_ids: Vec<String>,
    /// Sessions beyond the budget, left for the next dream.
    #[serde(default)]
    pub deferred_session_ids: Vec<String>,
    /// Estimated input tokens over all calls.
    pub estimated_input_tokens: usize,
    /// The budget it plans within.
    #[serde(default)]
    pub budget_tokens: usize,
    pub calls: usize,
    /// What it will leave out or shorten, one sentence each.
    #[serde(default)]
    pub notes: Vec<String>,
    /// From the price table, assuming about 2,000 output tokens per call;
    /// `None` when the model has no price.
    pub estimated_cost_usd: Option<f64>,
}

/// Packs sessions into chunks of at most `room` tokens, in order (each
/// already fits one chunk).
fn pack(rendered: &[RenderedSession], room: usize) -> Vec<Vec<RenderedSession>> {
    let mut chunks: Vec<Vec<RenderedSession>> = Vec::new();
    let mut current: Vec<RenderedSession> = Vec::new();
    let mut used = 0;
    for r in rendered {
        if used + r.tokens > room && !current.is_empty() {
            chunks.push(std::mem::take(&mut current));
            used = 0;
        }
        used += r.tokens;
        current.push(r.clone());
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
        CallError::OverBudget { limit, spent } => Failure::Error(Error::Model(format!(
            "the dream reached its budget of {limit} tokens ({spent} sent) while {doing}; memory was not changed — raise the budget or review fewer sessions"
        ))),
        CallError::Provider(p) => Failure::Error(Error::Model(format!(
            "the model call failed while {doing}: {p}; memory was not changed"
        ))),
        CallError::Invalid(msg) => Failure::Error(Error::Model(format!(
            "the model's answer was invalid twice while {doing} ({msg}); the dream stopped and memory was not changed"
        ))),
    }
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
            None => evidence.check(content).map(|r| (r.sentence(), r.origin)),
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
