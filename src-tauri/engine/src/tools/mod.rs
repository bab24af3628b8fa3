//! Tools an agent can call during a session. Each tool validates its input
//! before touching anything, returns errors as text the model can act on
//! (never a panic, never a host path), and reports what it read or wrote so
//! the runtime can log it as an event.

pub mod memory;
pub mod workspace;

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
