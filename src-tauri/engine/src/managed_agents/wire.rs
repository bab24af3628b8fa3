//! The Claude Managed Agents JSON the bridge sends and reads, as the official
//! `anthropic` Python package types it (`anthropic.types.beta`): memory
//! stores and their memories, sessions with their initial events, dreams.
//! Request params carry only fields the API knows (`tests/contract` checks
//! them strictly); responses keep what the bridge uses and tolerate the rest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `anthropic-beta` for memory stores and memories (the SDK's default).
pub const MEMORY_BETA: &str = "agent-memory-2026-07-22";
/// `anthropic-beta` for sessions and their events.
pub const SESSIONS_BETA: &str = "managed-agents-2026-04-01";
/// `anthropic-beta` for dreams.
pub const DREAMS_BETA: &str = "dreaming-2026-04-21";

/// The largest memory a Managed Agents store holds (bytes).
pub const MAX_MEMORY_BYTES: usize = 102_400;

/// A cursor page (`SyncPageCursor`): items and the next page's token.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    #[serde(default)]
    pub next_page: Option<String>,
}

// ---- memory stores ----

/// `MemoryStoreCreateParams`.
#[derive(Debug, Serialize)]
pub struct MemoryStoreCreateParams<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub description: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<&'static str, String>,
}

/// `BetaManagedAgentsMemoryStore`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MemoryStore {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub archived_at: Option<String>,
}

// ---- memories ----

/// `MemoryCreateParams` (the body; `view` goes in the query).
#[derive(Debug, Serialize)]
pub struct MemoryCreateParams<'a> {
    pub content: &'a str,
    pub path: &'a str,
}

/// `MemoryUpdateParams`: new content, only if the memory still has the
/// content the bridge last saw.
#[derive(Debug, Serialize)]
pub struct MemoryUpdateParams<'a> {
    pub content: &'a str,
    pub precondition: Precondition<'a>,
}

/// `BetaManagedAgentsPreconditionParam`.
#[derive(Debug, Serialize)]
pub struct Precondition<'a> {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub content_sha256: &'a str,
}

impl<'a> Precondition<'a> {
    pub fn content_sha256(sha256: &'a str) -> Self {
        Precondition {
            kind: "content_sha256",
            content_sha256: sha256,
        }
    }
}

/// `BetaManagedAgentsMemory`; `content` is `None` in `view=basic` answers.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Memory {
    pub id: String,
    pub path: String,
    pub content_sha256: String,
    pub content_size_bytes: u64,
    pub memory_version_id: String,
    pub updated_at: String,
    #[serde(default)]
    pub content: Option<String>,
}

/// `BetaManagedAgentsMemoryListItem`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type")]
pub enum MemoryListItem {
    #[serde(rename = "memory")]
    Memory(Memory),
    #[serde(rename = "memory_prefix")]
    Prefix { path: String },
    #[serde(other)]
    Other,
}

// ---- sessions ----

/// `SessionCreateParams` as the bridge uses it: a session of the configured
/// agent in the configured environment, opened with the Reverie session's
/// record as its first user message.
#[derive(Debug, Serialize)]
pub struct SessionCreateParams {
    pub agent: String,
    pub environment_id: String,
    pub title: String,
    pub metadata: BTreeMap<&'static str, String>,
    pub initial_events: Vec<UserMessageEventParams>,
}

/// `BetaManagedAgentsUserMessageEventParams` with text blocks.
#[derive(Debug, Serialize)]
pub struct UserMessageEventParams {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub content: Vec<TextBlockParam>,
}

impl UserMessageEventParams {
    pub fn text(blocks: Vec<String>) -> Self {
        UserMessageEventParams {
            kind: "user.message",
            content: blocks
                .into_iter()
                .map(|text| TextBlockParam { kind: "text", text })
                .collect(),
        }
    }
}

/// `BetaManagedAgentsTextBlockParam`.
#[derive(Debug, Serialize)]
pub struct TextBlockParam {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: String,
}

/// `BetaManagedAgentsSession`, the parts the bridge reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Session {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub title: Option<String>,
    pub created_at: String,
}

// ---- dreams ----

/// `DreamCreateParams`.
#[derive(Debug, Serialize)]
pub struct DreamCreateParams {
    pub inputs: Vec<DreamInputParam>,
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    pub output_behavior: OutputBehaviorParam,
}

/// `BetaDreamInputParam`: the memory store and the sessions a dream reads.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DreamInputParam {
    MemoryStore { memory_store_id: String },
    Sessions { session_ids: Vec<String> },
}

/// `BetaOutputBehaviorParam`. The bridge always asks for a new store, so
/// the remote input store is never changed by a dream: the result comes
/// back to Reverie as a proposal to review.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OutputBehaviorParam {
    CreateNew,
}

/// `BetaDreamStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DreamStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Canceled,
    /// A status this build does not know yet; treated as still going.
    #[serde(other)]
    Unknown,
}

impl DreamStatus {
    /// `completed`, `failed` and `canceled` never change again.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            DreamStatus::Completed | DreamStatus::Failed | DreamStatus::Canceled
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DreamStatus::Pending => "pending",
            DreamStatus::Running => "running",
            DreamStatus::Completed => "completed",
            DreamStatus::Failed => "failed",
            DreamStatus::Canceled => "canceled",
            DreamStatus::Unknown => "unknown",
        }
    }
}

/// `BetaDream`, the parts the bridge reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Dream {
    pub id: String,
    pub status: DreamStatus,
    pub created_at: String,
    #[serde(default)]
    pub ended_at: Option<String>,
    #[serde(default)]
    pub error: Option<DreamError>,
    #[serde(default)]
    pub instructions: Option<String>,
    pub model: DreamModel,
    #[serde(default)]
    pub inputs: Vec<DreamInput>,
    #[serde(default)]
    pub outputs: Vec<DreamOutput>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub usage: DreamUsage,
}

impl Dream {
    /// The memory store holding the result (complete once `completed`).
    pub fn output_store_id(&self) -> Option<&str> {
        self.outputs.first().map(|o| o.memory_store_id.as_str())
    }

    pub fn input_store_id(&self) -> Option<&str> {
        self.inputs.iter().find_map(|i| match i {
            DreamInput::MemoryStore { memory_store_id } => Some(memory_store_id.as_str()),
            _ => None,
        })
    }

    pub fn input_session_ids(&self) -> Vec<String> {
        self.inputs
            .iter()
            .find_map(|i| match i {
                DreamInput::Sessions { session_ids } => Some(session_ids.clone()),
                _ => None,
            })
            .unwrap_or_default()
    }
}

/// `BetaDreamErrorObject`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DreamError {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
}

/// `BetaDreamModelConfig`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DreamModel {
    pub id: String,
    #[serde(default)]
    pub speed: Option<String>,
}

/// `BetaDreamInput`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DreamInput {
    MemoryStore {
        memory_store_id: String,
    },
    Sessions {
        session_ids: Vec<String>,
    },
    #[serde(other)]
    Other,
}

/// `BetaDreamOutput`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DreamOutput {
    pub memory_store_id: String,
}

/// `BetaDreamUsage`.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct DreamUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
}
