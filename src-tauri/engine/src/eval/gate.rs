//! The regression gate: an agent's evaluation set replayed over two memory
//! versions and graded, before a dream's proposal is applied.
//!
//! Each task runs once per side, as a real session (stored, marked as an
//! evaluation session) with the same model and rubric, over a
//! [`MemoryView`]: the "before" side sees memory as it is, the "after" side
//! the proposal laid over it. The agent's own memory writes during a run
//! stay in that run's view. The real store is never written — a kill at any
//! point leaves it as it was.
//!
//! A gate is persisted (`eval_gates`, one `eval_runs` row per task and
//! side), so a gate whose process stopped is resumed where it left off
//! ([`run_gate`] skips finished runs) or failed cleanly
//! ([`recover_gates`]). It holds the lease `gate:<id>` while it runs.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::tools::memory_view::{Layer, MEMORY_VIEW, MemoryView};
use super::list_tasks;
use crate::dream::{apply_dream, needs_review};
use crate::runtime::{OutcomeOptions, Progress, ProgressSink, RunRequest, Runtime};
use crate::store::{DreamStatus, OutcomeResult, ReviewState};
use crate::{Error, Result, Store};

const LEASE_TTL: Duration = Duration::from_secs(60);
const LEASE_RENEWAL: Duration = Duration::from_secs(15);

pub fn gate_lease(gate_id: &str) -> String {
    format!("gate:{gate_id}")
}

pub use crate::store::evals::{Gate, GateTask, RunRecord};

/// A task's two sides side by side.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TaskComparison {
    pub task_id: String,
    pub name: String,
    pub task: String,
    pub before: Option<RunRecord>,
    pub after: Option<RunRecord>,
    /// Passed before, fails after.
    pub regression: bool,
    /// Failed before, passes after.
    pub improvement: bool,
    /// After's score minus before's.
    pub score_change: Option<f64>,
}

/// What a gate found: per task (regressions first) and overall.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GateReport {
    pub gate: Gate,
    pub tasks: Vec<TaskComparison>,
    pub passed_before: usize,
    pub passed_after: usize,
    pub mean_before: f64,
    pub mean_after: f64,
    /// One sentence per task that got worse.
    pub regressions: Vec<String>,
    pub runs_done: usize,
    pub runs_total: usize,
    pub tokens: i64,
    pub cost_usd: f64,
    pub ms: i64,
}

impl GateReport {
    /// Whether the gate applied the dream's proposal.
    pub fn applied(&self) -> bool {
        self.gate.decision.as_deref() == Some("applied")
    }
    /// Why the dream waits for the user, when it does.
    pub fn held_reason(&self) -> Option<String> {
        if self.gate.status == "passed" && !self.applied() && self.gate.kind == "gate" {
            return Some("the evaluation passed; apply it when you are ready".to_string());
        }
        self.hold_cause().map(|why| format!("held for review: {why}"))
    }

    /// What the gate found that keeps the dream from being applied, as a
    /// clause ("the evaluation got worse — …"); `None` when nothing does.
    pub fn hold_cause(&self) -> Option<String> {
        if self.applied() || self.gate.kind != "gate" {
            return None;
        }
        match self.gate.status.as_str() {
            "passed" => None,
            "regressed" if !self.regressions.is_empty() => Some(format!(
                "the evaluation got worse — {}",
                self.regressions.join("; ")
            )),
            "regressed" => Some(format!(
                "the mean score fell from {:.2} to {:.2}, more than the tolerance of {:.2}",
                self.mean_before, self.mean_after, self.gate.settings.tolerance
            )),
            _ => Some(format!(
                "the evaluation did not finish ({})",
                self.gate.error.as_deref().unwrap_or(&self.gate.status)
            )),
        }
    }
}

/// A step of a gate as it happens.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GateProgress {
    Started { gate_id: String, runs: usize, done: usize },
    RunStarted { gate_id: String, task_id: String, side: String, session_id: String },
    RunFinished { gate_id: String, task_id: String, side: String, passed: Option<bool>, score: Option<f64>, done: usize, runs: usize },
    Finished { gate_id: String, status: String, decision: Option<String> },
}

#[derive(Clone, Default)]
pub struct GateProgressSink(Option<Arc<dyn Fn(GateProgress) + Send + Sync>>);

impl GateProgressSink {
    pub fn new(f: impl Fn(GateProgress) + Send + Sync + 'static) -> Self {
        GateProgressSink(Some(Arc::new(f)))
    }
    pub fn none() -> Self {
        GateProgressSink(None)
    }
    fn emit(&self, p: GateProgress) {
        if let Some(f) = &self.0 {
            f(p)
        }
    }
}

// --- Memory versions ---------------------------------------------------------

/// A memory version, as `--before` / `--after` name it:
/// `current`; `proposal:DREAM` (memory with a staged dream's proposal laid
/// over it); `before:DREAM` / `after:DREAM` (memory just before / after an
/// applied dream); a bare dream id (its proposal when staged, else the
/// memory after it); a document version id (memory when it was written);
/// or an RFC 3339 time.
fn layers_for(store: &Arc<Store>, store_id: &str, spec: &str) -> Result<HashMap<String, Layer>> {
    let spec = spec.trim();
    let layers = HashMap::new();
    let (kind, arg) = match spec.split_once(':') {
        Some((k, a)) if ["proposal", "before", "after", "version", "at"].contains(&k) => (k, a),
        _ => ("", spec),
    };
    let point = |rowid: i64| -> Result<HashMap<String, Layer>> {
        let mut m = HashMap::new();
        m.insert(store_id.to_string(), snapshot_at(store, store_id, rowid)?);
        Ok(m)
    };
    match kind {
        "" if arg == "current" => Ok(layers),
        "proposal" => proposal_layers(store, store_id, arg),
        "before" | "after" => {
            let (first, last) = store.dream_version_span(arg)?;
            match (kind, first, last) {
                ("before", Some(f), _) => point(f - 1),
                ("after", _, Some(l)) => point(l),
                _ => Err(Error::Invalid(format!(
                    "dream {arg} wrote no memory (it was not applied); use proposal:{arg} for its proposal"
                ))),
            }
        }
        "version" => point(version_rowid(store, arg)?),
        "at" => point(time_rowid(store, arg)?),
        _ => {
            if let Ok(dream) = store.dream(arg) {
                if dream.review == ReviewState::Staged {
                    return proposal_layers(store, store_id, arg);
                }
                return layers_for(store, store_id, &format!("after:{arg}"));
            }
            if let Ok(rowid) = version_rowid(store, arg) {
                return point(rowid);
            }
            if time::OffsetDateTime::parse(arg, &time::format_description::well_known::Rfc3339).is_ok() {
                return point(time_rowid(store, arg)?);
            }
            Err(Error::Invalid(format!(
                "'{arg}' names no memory version; use current, a dream id, proposal:DREAM, before:DREAM, after:DREAM, a document version id or an RFC 3339 time"
            )))
        }
    }
}

fn version_rowid(store: &Store, id: &str) -> Result<i64> {
    store.version_rowid(id)
}

fn time_rowid(store: &Store, at: &str) -> Result<i64> {
    store.version_rowid_at(at)
}

/// The store as it was right after the version with this rowid.
fn snapshot_at(store: &Store, store_id: &str, rowid: i64) -> Result<Layer> {
    let rows = store.documents_at_rowid(store_id, rowid)?;
    let mut layer = Layer {
        replaces_base: true,
        docs: BTreeMap::new(),
    };
    for (path, content, op) in rows {
        if op != "delete" {
            if let Some(c) = content {
                layer.docs.insert(path, Some(c));
            }
        }
    }
    Ok(layer)
}

fn proposal_layers(store: &Arc<Store>, store_id: &str, dream_id: &str) -> Result<HashMap<String, Layer>> {
    let dream = store.dream(dream_id)?;
    let edits = crate::dream::pins::without_pinned_changes(store, &dream, store.proposal(dream_id)?)?.0;
    let view = MemoryView::new(store.clone());
    view.apply_proposal(store_id, &edits)?;
    Ok(view.snapshot())
}

// --- Records -------------------------------------------------------------------

pub fn gate(store: &Store, id: &str) -> Result<Gate> {
    store.gate(id)
}

/// Gates of an agent (or all), newest first.
pub fn list_gates(store: &Store, agent: Option<&str>, limit: usize) -> Result<Vec<Gate>> {
    let agent_id = agent.map(|a| store.agent(a)).transpose()?.map(|a| a.id);
    store.gates(agent_id.as_deref(), limit)
}

/// The newest gate of a dream.
pub fn gate_for_dream(store: &Store, dream_id: &str) -> Result<Option<GateReport>> {
    let id = store.newest_gate_of_dream(dream_id)?;
    id.map(|id| gate_report(store, &id)).transpose()
}

pub fn gate_runs(store: &Store, gate_id: &str) -> Result<Vec<RunRecord>> {
    store.gate_runs(gate_id)
}

/// The gate's results as they stand (partial while it runs).
pub fn gate_report(store: &Store, gate_id: &str) -> Result<GateReport> {
    let gate = gate(store, gate_id)?;
    let runs = gate_runs(store, gate_id)?;
    Ok(report_of(gate, runs))
}

fn report_of(gate: Gate, runs: Vec<RunRecord>) -> GateReport {
    let find = |task: &str, side: &str| {
        runs.iter()
            .find(|r| r.task_id == task && r.side == side)
            .cloned()
    };
    let mut tasks = Vec::new();
    let (mut passed_before, mut passed_after, mut sum_before, mut sum_after) = (0, 0, 0.0, 0.0);
    let mut regressions = Vec::new();
    for (i, t) in gate.tasks.iter().enumerate() {
        let before = find(&t.id, "before");
        let after = find(&t.id, "after");
        let pb = before.as_ref().and_then(|r| r.passed).unwrap_or(false);
        let pa = after.as_ref().and_then(|r| r.passed).unwrap_or(false);
        let done = |r: &Option<RunRecord>| r.as_ref().is_some_and(|r| r.status == "done");
        passed_before += pb as usize;
        passed_after += pa as usize;
        let sb = before.as_ref().and_then(|r| r.score).unwrap_or(0.0);
        let sa = after.as_ref().and_then(|r| r.score).unwrap_or(0.0);
        sum_before += sb;
        sum_after += sa;
        let both = done(&before) && done(&after);
        let regression = both && pb && !pa;
        // A check without a name is known by its task (its first words).
        let name = if t.name.is_empty() { short_task(&t.task, i) } else { t.name.clone() };
        if regression {
            regressions.push(format!(
                "{name} passed before and fails after (score {sb:.2} → {sa:.2})"
            ));
        }
        tasks.push(TaskComparison {
            task_id: t.id.clone(),
            name,
            task: t.task.clone(),
            regression,
            improvement: both && !pb && pa,
            score_change: both.then_some(sa - sb),
            before,
            after,
        });
    }
    // Regressions first, then the rest in the set's order.
    tasks.sort_by_key(|t| !t.regression);
    let n = gate.tasks.len().max(1) as f64;
    GateReport {
        passed_before,
        passed_after,
        mean_before: sum_before / n,
        mean_after: sum_after / n,
        regressions,
        runs_done: runs.iter().filter(|r| r.status == "done").count(),
        runs_total: gate.tasks.len() * 2,
        tokens: runs.iter().map(|r| r.tokens).sum(),
        cost_usd: runs.iter().map(|r| r.cost_usd).sum(),
        ms: runs.iter().map(|r| r.ms).sum(),
        tasks,
        gate,
    }
}

fn create_gate(
    store: &Store,
    agent: &crate::store::Agent,
    dream_id: Option<&str>,
    kind: &str,
    before: &str,
    after: &str,
    auto_apply: bool,
) -> Result<Gate> {
    let tasks: Vec<GateTask> = list_tasks(store, &agent.id)?
        .into_iter()
        .map(|t| GateTask {
            id: t.id,
            version: t.version,
            name: t.name,
            task: t.task,
            rubric_id: t.rubric_id,
        })
        .collect();
    if tasks.is_empty() {
        return Err(Error::Invalid(format!(
            "'{}' has no evaluation set; add tasks with `reverie eval add` or \"Use as a check\" on a graded session",
            agent.name
        )));
    }
    let settings = super::GateSettings::for_agent(agent);
    store.insert_gate(&crate::store::evals::NewGate {
        agent_id: &agent.id,
        dream_id,
        kind,
        before,
        after,
        auto_apply,
        settings: &settings,
        tasks: &tasks,
    })
}

/// Creates the regression gate of a completed dream with a staged
/// proposal (status `running`; run it with [`run_gate`]). With
/// `auto_apply` the gate applies the proposal when nothing got worse.
pub fn start_gate(store: &Store, dream_id: &str, auto_apply: bool) -> Result<Gate> {
    let dream = store.dream(dream_id)?;
    if dream.status != DreamStatus::Completed || dream.review != ReviewState::Staged {
        return Err(Error::Invalid(format!(
            "dream {dream_id} is {} ({}); only a staged proposal can be gated",
            dream.status.as_str(),
            dream.review.as_str()
        )));
    }
    let agent = store.agent(&dream.agent_id)?;
    create_gate(store, &agent, Some(dream_id), "gate", "current", &format!("proposal:{dream_id}"), auto_apply)
}

/// Creates a comparison of two memory versions of the agent's own store
/// (see [`layers_for`] for how versions are named).
pub fn start_compare(store: &Arc<Store>, agent: &str, before: &str, after: &str) -> Result<Gate> {
    let agent = store.agent(agent)?;
    let store_id = own_store(&agent)?;
    // Fail now on a name that is no version.
    layers_for(store, &store_id, before)?;
    layers_for(store, &store_id, after)?;
    create_gate(store, &agent, None, "compare", before, after, false)
}

fn own_store(agent: &crate::store::Agent) -> Result<String> {
    agent
        .default_store()
        .map(|s| s.store_id.clone())
        .ok_or_else(|| Error::Invalid(format!("agent '{}' has no memory store", agent.name)))
}

fn set_run(store: &Store, gate_id: &str, r: &RunRecord) -> Result<()> {
    store.set_gate_run(gate_id, r)
}

fn finish_gate(store: &Store, id: &str, status: &str, summary: &Value, decision: Option<&str>, error: Option<&str>) -> Result<()> {
    store.finish_gate(id, status, summary, decision, error)
}

// --- Running --------------------------------------------------------------------

fn running() -> &'static Mutex<HashMap<String, CancellationToken>> {
    static RUNNING: std::sync::OnceLock<Mutex<HashMap<String, CancellationToken>>> =
        std::sync::OnceLock::new();
    RUNNING.get_or_init(Default::default)
}

/// Cancels a gate: at once when it runs in this process, else at its next
/// step (the request is stored). Memory is not changed either way.
pub fn cancel_gate(store: &Store, gate_id: &str) -> Result<Gate> {
    if let Some(t) = running().lock().unwrap_or_else(|p| p.into_inner()).get(gate_id) {
        t.cancel();
    }
    let g = gate(store, gate_id)?;
    if g.status == "running" && !store.lease_is_held(&gate_lease(gate_id))? {
        finish_gate(store, gate_id, "canceled", &g.summary, held(&g), Some("canceled; memory was not changed"))?;
    } else if g.status == "running" {
        store.request_gate_cancel(gate_id)?;
    }
    gate(store, gate_id)
}

fn held(g: &Gate) -> Option<&'static str> {
    (g.kind == "gate").then_some("held")
}

/// Gates whose process stopped (status `running`, lease free). With
/// `resume`, each is run again from where it left off (in the background,
/// for the app or daemon); without, each is marked failed — memory was
/// never changed — and can be run again with [`run_gate`]. Call at start-up.
pub fn recover_gates(runtime: &Runtime, resume: bool) -> Result<Vec<String>> {
    let store = runtime.store();
    let stuck = store.running_gate_ids()?;
    let mut found = Vec::new();
    for id in stuck {
        if store.lease_is_held(&gate_lease(&id))? {
            continue;
        }
        if resume {
            let rt = runtime.clone();
            let gid = id.clone();
            tokio::spawn(async move {
                if let Err(e) = run_gate(&rt, &gid, CancellationToken::new(), GateProgressSink::none()).await {
                    tracing::warn!(error = %e, gate = %gid, "resumed gate failed");
                }
            });
        } else {
            let g = gate(store, &id)?;
            finish_gate(
                store,
                &id,
                "failed",
                &g.summary,
                held(&g),
                Some("the process stopped mid-gate; memory was not changed — run the gate again to resume it"),
            )?;
        }
        found.push(id);
    }
    Ok(found)
}

/// Runs (or resumes) a gate to its end: every task on both sides not yet
/// done, within the gate's budget and concurrency; then decides. A dream's
/// gate with `auto_apply` applies the proposal when no task went from
/// passed to failed and the mean score did not fall by more than the
/// tolerance; otherwise the dream is held for review with the regressions
/// listed first. A failed or canceled gate is held too.
pub async fn run_gate(
    runtime: &Runtime,
    gate_id: &str,
    cancel: CancellationToken,
    progress: GateProgressSink,
) -> Result<GateReport> {
    let store = runtime.store().clone();
    let lease = gate_lease(gate_id);
    if !store.try_acquire_lease(&lease, LEASE_TTL)? {
        return Err(Error::Conflict(format!("gate {gate_id} is already running")));
    }
    // A failed or canceled gate that is run again resumes.
    store.reopen_gate(gate_id)?;
    running()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(gate_id.to_string(), cancel.clone());
    let stop = CancellationToken::new();
    {
        let (store, lease, stop) = (store.clone(), lease.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(LEASE_RENEWAL) => { let _ = store.renew_lease(&lease, LEASE_TTL); }
                }
            }
        });
    }
    let result = gate_body(runtime, gate_id, &cancel, &progress).await;
    stop.cancel();
    running()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(gate_id);
    let _ = store.release_lease(&lease);
    result
}

struct Spent {
    tokens: i64,
    cost: f64,
}

async fn gate_body(
    runtime: &Runtime,
    gate_id: &str,
    cancel: &CancellationToken,
    progress: &GateProgressSink,
) -> Result<GateReport> {
    let store = runtime.store().clone();
    let g = gate(&store, gate_id)?;
    if g.status != "running" {
        return gate_report(&store, gate_id);
    }
    let agent = store.agent(&g.agent_id)?;
    let store_id = own_store(&agent)?;
    let started = Instant::now();
    let settings = g.settings.clone();

    // Both sides' memory, built once; each run gets a fresh copy.
    let sides = match (|| -> Result<_> {
        Ok([
            ("before", layers_for(&store, &store_id, &g.before)?),
            ("after", layers_for(&store, &store_id, &g.after)?),
        ])
    })() {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("{e}; memory was not changed");
            finish_gate(&store, gate_id, "failed", &g.summary, held(&g), Some(&msg))?;
            let report = gate_report(&store, gate_id)?;
            note_on_dream(&store, &report)?;
            return Ok(report);
        }
    };

    let previous = gate_runs(&store, gate_id)?;
    let spent = Arc::new(Mutex::new(Spent {
        tokens: previous.iter().map(|r| r.tokens).sum(),
        cost: previous.iter().map(|r| r.cost_usd).sum(),
    }));
    let mut todo = Vec::new();
    for t in &g.tasks {
        for (side, layers) in &sides {
            let done = previous
                .iter()
                .any(|r| r.task_id == t.id && r.side == *side && r.status == "done");
            if !done {
                todo.push((t.clone(), side.to_string(), layers.clone()));
            }
        }
    }
    let runs_total = g.tasks.len() * 2;
    let done_count = Arc::new(std::sync::atomic::AtomicUsize::new(runs_total - todo.len()));
    progress.emit(GateProgress::Started {
        gate_id: gate_id.into(),
        runs: runs_total,
        done: runs_total - todo.len(),
    });

    // The time budget cancels what runs when it is reached.
    let inner = cancel.child_token();
    let over_time = Arc::new(std::sync::atomic::AtomicBool::new(false));
    if let Some(secs) = settings.budget_seconds {
        let (inner, over_time) = (inner.clone(), over_time.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            over_time.store(true, std::sync::atomic::Ordering::SeqCst);
            inner.cancel();
        });
    }
    let budget_note: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    let runs = todo.into_iter().map(|(task, side, layers)| {
        let (store, spent, inner, budget_note, done_count) = (
            store.clone(),
            spent.clone(),
            inner.clone(),
            budget_note.clone(),
            done_count.clone(),
        );
        let settings = settings.clone();
        let agent_name = agent.name.clone();
        async move {
            if inner.is_cancelled() {
                return Ok(());
            }
            // Budgets: stop starting runs once spent.
            {
                let s = spent.lock().unwrap_or_else(|p| p.into_inner());
                let over = settings
                    .budget_tokens
                    .filter(|b| s.tokens >= *b)
                    .map(|b| format!("the gate reached its budget of {b} tokens"))
                    .or_else(|| {
                        settings
                            .budget_usd
                            .filter(|b| s.cost >= *b)
                            .map(|b| format!("the gate reached its budget of ${b:.2}"))
                    });
                if let Some(why) = over {
                    *budget_note.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
                    return Ok(());
                }
            }
            let record = run_one(runtime, gate_id, &agent_name, &task, &side, layers, &inner, progress).await?;
            {
                let mut s = spent.lock().unwrap_or_else(|p| p.into_inner());
                s.tokens += record.tokens;
                s.cost += record.cost_usd;
            }
            let done = done_count.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            progress.emit(GateProgress::RunFinished {
                gate_id: gate_id.into(),
                task_id: task.id.clone(),
                side: side.clone(),
                passed: record.passed,
                score: record.score,
                done,
                runs: runs_total,
            });
            store.set_gate_done_count(gate_id, done, runs_total)?;
            Ok::<(), Error>(())
        }
    });
    let mut stream = futures_util::stream::iter(runs).buffer_unordered(settings.concurrency.max(1));
    let mut failure: Option<Error> = None;
    while let Some(r) = stream.next().await {
        if let Err(e) = r {
            failure.get_or_insert(e);
            inner.cancel();
        }
    }
    drop(stream);

    let runs = gate_runs(&store, gate_id)?;
    let mut report = report_of(g.clone(), runs);
    let summary = json!({
        "done": report.runs_done, "runs": runs_total,
        "passed_before": report.passed_before, "passed_after": report.passed_after,
        "mean_before": report.mean_before, "mean_after": report.mean_after,
        "regressions": report.regressions, "wall_ms": started.elapsed().as_millis() as i64,
    });
    let cancel_requested = gate(&store, gate_id)?.error.as_deref() == Some("cancel requested");
    let unfinished = report.runs_done < runs_total;
    let (status, error): (&str, Option<String>) = if cancel.is_cancelled() || cancel_requested {
        ("canceled", Some("canceled; memory was not changed".into()))
    } else if let Some(e) = failure {
        ("failed", Some(format!("{e}; memory was not changed")))
    } else if over_time.load(std::sync::atomic::Ordering::SeqCst) && unfinished {
        ("failed", Some(format!("the gate reached its time budget of {} s; memory was not changed", settings.budget_seconds.unwrap_or(0))))
    } else if let Some(why) = budget_note.lock().unwrap_or_else(|p| p.into_inner()).clone().filter(|_| unfinished) {
        ("failed", Some(format!("{why}; memory was not changed")))
    } else if unfinished {
        ("failed", Some("some runs did not finish; memory was not changed".into()))
    } else if report.regressions.is_empty()
        && report.mean_after >= report.mean_before - settings.tolerance - 1e-9
    {
        ("passed", None)
    } else {
        ("regressed", None)
    };
    let mut decision = None;
    if g.kind == "gate" {
        decision = Some("held");
        if status == "passed" && g.auto_apply {
            if let Some(dream_id) = &g.dream_id {
                let dream = store.dream(dream_id)?;
                let edits = store.proposal(dream_id)?;
                if dream.review == ReviewState::Staged && needs_review(&store, &dream, &edits)?.is_none() {
                    crate::dream::pins::drop_pinned_changes(&store, dream_id)?;
                    apply_dream(&store, dream_id)?;
                    decision = Some("applied");
                }
            }
        }
    }
    finish_gate(&store, gate_id, status, &summary, decision, error.as_deref())?;
    report = gate_report(&store, gate_id)?;
    note_on_dream(&store, &report)?;
    progress.emit(GateProgress::Finished {
        gate_id: gate_id.into(),
        status: status.into(),
        decision: decision.map(str::to_string),
    });
    Ok(report)
}

/// The gate's verdict as the dream's progress shows it (`progress.gate`).
pub fn dream_note(report: &GateReport) -> Value {
    json!({
        "gate_id": report.gate.id, "status": report.gate.status, "decision": report.gate.decision,
        "regressions": report.regressions, "mean_before": report.mean_before, "mean_after": report.mean_after,
        "passed_before": report.passed_before, "passed_after": report.passed_after,
    })
}

/// Records the gate's verdict on its dream's progress (the review reads it).
fn note_on_dream(store: &Store, report: &GateReport) -> Result<()> {
    let Some(dream_id) = &report.gate.dream_id else {
        return Ok(());
    };
    let dream = store.dream(dream_id)?;
    let mut progress = dream.progress.clone();
    if !progress.is_object() {
        progress = json!({});
    }
    progress["gate"] = dream_note(report);
    if let Some(reason) = report.held_reason() {
        progress["held_for_review"] = json!(reason);
    }
    store.set_dream_progress(dream_id, &progress)
}

#[allow(clippy::too_many_arguments)]
async fn run_one(
    runtime: &Runtime,
    gate_id: &str,
    agent: &str,
    task: &GateTask,
    side: &str,
    layers: HashMap<String, Layer>,
    cancel: &CancellationToken,
    progress: &GateProgressSink,
) -> Result<RunRecord> {
    let store = runtime.store().clone();
    let mut record = RunRecord {
        task_id: task.id.clone(),
        side: side.into(),
        status: "running".into(),
        session_id: None,
        outcome_id: None,
        result: None,
        passed: None,
        score: None,
        attempts: 0,
        tokens: 0,
        cost_usd: 0.0,
        ms: 0,
        error: None,
    };
    set_run(&store, gate_id, &record)?;
    let view = Arc::new(MemoryView::with_layers(store.clone(), layers).for_gate(gate_id));
    let sink = {
        let (store, gate_id, task_id, side, progress) = (
            store.clone(),
            gate_id.to_string(),
            task.id.clone(),
            side.to_string(),
            progress.clone(),
        );
        ProgressSink::new(move |p| {
            if let Progress::SessionStarted { session_id, parent_id, .. } = p {
                // The session was created marked (tools::memory_view::create_session).
                if parent_id.is_none() {
                    let _ = store.set_gate_run_session(&gate_id, &task_id, &side, &session_id);
                    progress.emit(GateProgress::RunStarted {
                        gate_id: gate_id.clone(),
                        task_id: task_id.clone(),
                        side: side.clone(),
                        session_id,
                    });
                }
            }
        })
    };
    let started = Instant::now();
    let run = MEMORY_VIEW
        .scope(
            view,
            runtime.run_with_rubric(
                RunRequest {
                    agent: agent.into(),
                    task: task.task.clone(),
                    limits: None,
                },
                OutcomeOptions::new(task.rubric_id.clone()),
                cancel.clone(),
                sink,
            ),
        )
        .await;
    record.ms = started.elapsed().as_millis() as i64;
    match run {
        Ok((result, outcome)) => {
            record.session_id = Some(result.session_id.clone());
            record.outcome_id = Some(outcome.id.clone());
            record.result = outcome.result.map(|r| r.as_str().to_string());
            record.passed = Some(outcome.result == Some(OutcomeResult::Satisfied));
            record.score = outcome.score.or(Some(0.0));
            record.attempts = outcome.iterations;
            record.tokens = result.usage.input_tokens + result.usage.output_tokens;
            record.cost_usd = result.cost_usd;
            if cancel.is_cancelled() {
                record.status = "error".into();
                record.error = Some("canceled".into());
            } else {
                record.status = "done".into();
            }
        }
        Err(e) => {
            record.status = "error".into();
            record.error = Some(e.to_string());
        }
    }
    set_run(&store, gate_id, &record)?;
    Ok(record)
}

/// The dream's hook: when the agent has an evaluation set, gate the
/// staged proposal. With `auto_apply` the gate applies it when nothing got
/// worse; without, the gate's result waits for the user's review. `None`
/// when there is no evaluation set — the dream goes on as before.
pub async fn gate_dream(
    runtime: &Runtime,
    dream_id: &str,
    auto_apply: bool,
    cancel: &CancellationToken,
) -> Result<Option<GateReport>> {
    let dream = runtime.store().dream(dream_id)?;
    if list_tasks(runtime.store(), &dream.agent_id)?.is_empty() {
        return Ok(None);
    }
    let g = start_gate(runtime.store(), dream_id, auto_apply)?;
    run_gate(runtime, &g.id, cancel.child_token(), GateProgressSink::none())
        .await
        .map(Some)
}

/// A check's task cut to its first words, for sentences about it.
fn short_task(task: &str, index: usize) -> String {
    let line = task.lines().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    if line.is_empty() {
        return format!("check {}", index + 1);
    }
    let mut out: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        out.push('…');
    }
    format!("“{out}”")
}

/// Whether the user may apply a dream now, as its newest gate says.
#[derive(Debug, Clone, PartialEq)]
pub enum ApplyCheck {
    /// No gate, or one that passed, failed or was canceled.
    Clear,
    /// The gate still runs (in this or another process).
    Running { gate_id: String },
    /// The gate found the proposal makes things worse; `message` lists the
    /// regressions and asks for confirmation.
    Regressed { gate_id: String, message: String },
}

pub const STILL_RUNNING: &str = "the checks are still running; wait for them or cancel them";

/// What the dream's newest gate says about applying it. A gate marked
/// running whose process stopped (its lease is free) does not block.
pub fn apply_check(store: &Store, dream_id: &str) -> Result<ApplyCheck> {
    let Some(report) = gate_for_dream(store, dream_id)? else {
        return Ok(ApplyCheck::Clear);
    };
    let id = report.gate.id.clone();
    Ok(match report.gate.status.as_str() {
        "running" if store.lease_is_held(&gate_lease(&id))? || running_here(&id) => {
            ApplyCheck::Running { gate_id: id }
        }
        "regressed" => {
            let why = if report.regressions.is_empty() {
                format!(
                    "the mean score fell from {:.2} to {:.2}, more than the tolerance of {:.2}",
                    report.mean_before, report.mean_after, report.gate.settings.tolerance
                )
            } else {
                report.regressions.join("; ")
            };
            ApplyCheck::Regressed {
                gate_id: id,
                message: format!("The checks got worse with this dream: {why}. Apply it anyway?"),
            }
        }
        _ => ApplyCheck::Clear,
    })
}

fn running_here(gate_id: &str) -> bool {
    running()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains_key(gate_id)
}

/// Applies a dream the user chose, respecting its gate: refused while the
/// gate runs, and when it regressed unless `force`. The refusals are
/// [`Error::Conflict`]s whose message says what to do.
pub fn apply_reviewed(store: &Store, dream_id: &str, force: bool) -> Result<crate::store::Dream> {
    match apply_check(store, dream_id)? {
        ApplyCheck::Running { .. } => Err(Error::Conflict(STILL_RUNNING.into())),
        ApplyCheck::Regressed { message, .. } if !force => Err(Error::Conflict(message)),
        _ => apply_dream(store, dream_id),
    }
}

/// The regression gate as the dreamer's [`ProposalGate`](crate::dream::ProposalGate).
pub struct DreamGate;

#[async_trait::async_trait]
impl crate::dream::ProposalGate for DreamGate {
    async fn check(
        &self,
        runtime: &Runtime,
        dream_id: &str,
        auto_apply: bool,
        cancel: &CancellationToken,
    ) -> Result<Option<crate::dream::GateVerdict>> {
        Ok(gate_dream(runtime, dream_id, auto_apply, cancel)
            .await?
            .map(|report| crate::dream::GateVerdict {
                applied: report.applied(),
                held_reason: report.held_reason(),
                note: dream_note(&report),
            }))
    }
}
