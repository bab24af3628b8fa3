//! Tools an agent can call during a session. Each tool validates its input
//! before touching anything, returns errors as text the model can act on
//! (never a panic, never a host path), and reports what it read or wrote so
//! the runtime can log it as an event.
//!
//! Each tool owns its [`ToolHandler`]: its definition, including any
//! provider-native type and the API betas it needs (sent only by the wire
//! that understands them), so the runtime
//! runs tools without naming one or knowing which provider answers. A tool
//! never talks to a model API itself.

pub mod memory;
pub mod memory_view;
pub mod workspace;

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use crate::provider::Tool;
use crate::store::Agent;
use crate::{Error, Store};

/// The tools a session of an agent gets, from the names it lists.
pub struct AgentTools {
    pub handlers: Vec<Arc<dyn ToolHandler>>,
    /// The memory stores the agent sees, mounted under `/memories`.
    pub mounts: Vec<memory::Mount>,
    /// Whether the memory tool is among them.
    pub memory: bool,
}

/// Builds the tools `agent` lists for `session_id`; the workspace tool
/// works in `workspace` (created if missing).
pub fn for_agent(
    store: &Arc<Store>,
    agent: &Agent,
    session_id: &str,
    workspace: &Path,
    view: Option<Arc<crate::tools::memory_view::MemoryView>>,
) -> crate::Result<AgentTools> {
    let mounts = memory::mounts_for(agent);
    let has = |name: &str| agent.tools.iter().any(|t| t == name);
    let mut handlers: Vec<Arc<dyn ToolHandler>> = Vec::new();
    if has(memory::NAME) {
        handlers.push(Arc::new(
            memory::MemoryTool::new(store.clone(), mounts.clone(), &agent.id, session_id)
                .with_view(view),
        ));
    }
    if has(workspace::NAME) {
        let tool = workspace::WorkspaceTool::new(workspace.to_path_buf())
            .map_err(|e| Error::io(workspace.to_path_buf(), e))?;
        handlers.push(Arc::new(tool));
    }
    Ok(AgentTools {
        handlers,
        mounts,
        memory: has(memory::NAME),
    })
}

/// A tool a thread can call. Memory and workspace are quick and local; a
/// delegation tool runs whole subagent threads, hence async.
#[async_trait::async_trait]
pub trait ToolHandler: Send + Sync {
    fn name(&self) -> &str;
    /// The tool as offered to the model, with its native type if it has one.
    fn definition(&self) -> Tool;
    /// API feature flags the tool needs (they go in [`ModelRequest::betas`],
    /// sent by the wires that know them).
    ///
    /// [`ModelRequest::betas`]: crate::provider::ModelRequest::betas
    fn betas(&self) -> &[&'static str] {
        &[]
    }
    async fn call(&self, input: &Value, cancel: &CancellationToken) -> ToolOutput;
}

/// What a tool call produced, as the model will see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutput {
    pub content: String,
    pub is_error: bool,
    /// The memory the call read or wrote, for the session log.
    pub effect: Option<MemoryEffect>,
}

impl ToolOutput {
    pub fn ok(content: impl Into<String>) -> Self {
        ToolOutput {
            content: content.into(),
            is_error: false,
            effect: None,
        }
    }
    pub fn error(content: impl Into<String>) -> Self {
        ToolOutput {
            content: content.into(),
            is_error: true,
            effect: None,
        }
    }
    fn with_effect(mut self, effect: MemoryEffect) -> Self {
        self.effect = Some(effect);
        self
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MemoryEffect {
    /// `read` or `write`.
    pub kind: &'static str,
    pub store: String,
    pub path: String,
    /// The version written, or read.
    pub version: Option<i64>,
    /// The id of that stored version (the timeline's receipt); `None` for
    /// text only an evaluation run's memory view holds.
    pub version_id: Option<String>,
}
