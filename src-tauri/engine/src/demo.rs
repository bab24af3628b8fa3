//! Demo data a new user can load with one click: an airline customer
//! service agent whose system prompt is the τ-bench airline policy, and the
//! 120 real τ-bench sessions of GPT-4o acting under it (84 of them failed),
//! imported as its history, so a dream has realistic mistakes to find.
//! The corpus is built into the binary (`data/tau-bench-airline`, MIT
//! licence, see its LICENSE and README there). Loading twice changes
//! nothing: the agent is reused and every session is found imported.

use serde::Serialize;
use serde_json::Value;

use crate::import::reader::{self, Flow, Piece};
use crate::import::{ImportOptions, ImportSummary, OnError, import_reader};
use crate::store::{NewAgent, ProviderKind, SourceFormat};
use crate::{Error, Result, Store};

/// The demo agent's name.
pub const DEMO_AGENT: &str = "airline-agent";
/// The corpus file's name (kept as the sessions' source).
pub const CORPUS_FILE: &str = "gpt-4o-airline-tasks-00-29.json";
/// The τ-bench airline trajectories: a JSON list of `{task_id, trial,
/// reward, info, traj}`.
pub const CORPUS: &[u8] =
    include_bytes!("../data/tau-bench-airline/gpt-4o-airline-tasks-00-29.json");
/// The corpus's licence, shipped with it.
pub const CORPUS_LICENSE: &str = include_str!("../data/tau-bench-airline/LICENSE");

const MODEL_SETTING: &str = "defaults.model.anthropic";
const FALLBACK_MODEL: &str = "claude-sonnet-4-5";

/// What loading the demo did.
#[derive(Debug, Clone, Serialize)]
pub struct DemoLoad {
    pub agent: String,
    /// False when the agent was there already (from an earlier load).
    pub created_agent: bool,
    pub summary: ImportSummary,
}

/// Creates the demo agent if it is missing and imports the corpus into it.
pub fn load(store: &Store, progress: &mut dyn FnMut(&ImportSummary)) -> Result<DemoLoad> {
    let created_agent = match store.agent(DEMO_AGENT) {
        Ok(_) => false,
        Err(Error::NotFound { .. }) => {
            let model = store
                .setting(MODEL_SETTING)?
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| FALLBACK_MODEL.to_string());
            store.create_agent(&NewAgent {
                name: DEMO_AGENT.into(),
                provider: ProviderKind::Anthropic,
                model,
                system_prompt: policy()?,
                tools: vec!["memory".into()],
            })?;
            true
        }
        Err(e) => return Err(e),
    };
    let summary = import_reader(
        store,
        DEMO_AGENT,
        CORPUS,
        &ImportOptions {
            format: Some(SourceFormat::OpenAi),
            on_error: OnError::Stop,
            file_name: CORPUS_FILE.into(),
        },
        progress,
    )?;
    Ok(DemoLoad {
        agent: DEMO_AGENT.into(),
        created_agent,
        summary,
    })
}

/// The airline policy: the system message the corpus's sessions ran with.
pub fn policy() -> Result<String> {
    let mut found = None;
    reader::read_pieces(CORPUS, &mut |piece| -> std::io::Result<Flow> {
        if let Piece::Record(record, _) = piece {
            found = record
                .pointer("/traj/0/content")
                .and_then(Value::as_str)
                .map(str::to_string);
            return Ok(Flow::Stop);
        }
        Ok(Flow::Continue)
    })
    .map_err(|e| Error::Invalid(format!("the built-in demo corpus is unreadable: {e}")))?;
    found.ok_or_else(|| {
        Error::Invalid("the built-in demo corpus has no system policy in its first session".into())
    })
}
