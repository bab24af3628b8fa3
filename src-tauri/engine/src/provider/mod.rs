//! Model providers: one model turn, streamed as typed [`StreamEvent`]s and
//! returned as a final assistant [`Message`] with its [`Usage`] and cost.
//!
//! `provider/` owns providers. Each is one file implementing [`Wire`]
//! (headers, body, event parser, models path): the Anthropic Messages API
//! ([`anthropic`]) and OpenAI-compatible chat completions for local servers
//! ([`openai`]). [`registry`] maps a [`ProviderKind`] to its wire; [`wire`]
//! holds what they share, written once: one `reqwest` client, retries of
//! transient failures ([`retry`]), the streaming loop, usage and price of
//! every call ([`pricing`]), stopping at once when the turn is cancelled.
//! [`models`] is the product side: model lists and connection tests.
//!
//! Outside [`models`], this module never touches the store, the keychain or
//! a window: keys come in through [`ProviderConfig`], events go out through
//! a callback. Nothing outside it should name a provider's wire details.
//!
//! ```no_run
//! # async fn demo() -> Result<(), reverie_engine::provider::ProviderError> {
//! use std::sync::Arc;
//! use reverie_engine::provider::*;
//! let config = ProviderConfig::from_env_and_keychain(ProviderKind::Anthropic)?;
//! let provider: Arc<dyn Provider> = build(ProviderKind::Anthropic, config, Arc::new(PriceTable::built_in()))?;
//! let request = ModelRequest::new("claude-haiku-4-5", vec![Message::user("Hello")]);
//! let cancel = tokio_util::sync::CancellationToken::new();
//! let response = provider
//!     .stream_turn(&request, &cancel, &mut |event| {
//!         if let StreamEvent::TextDelta { text, .. } = event { print!("{text}") }
//!     })
//!     .await?;
//! println!("\n{} tokens out, ${:?}", response.usage.output_tokens, response.cost_usd);
//! # Ok(()) }
//! ```

pub mod anthropic;
pub mod key_host;
mod cache;
pub mod configured;
pub mod error;
pub(crate) mod http;
pub mod models;
pub mod openai;
pub mod pricing;
pub mod registry;
pub mod retry;
pub mod structured;
pub mod wire;

use std::time::Duration;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use anthropic::AnthropicProvider;
pub use configured::ProviderRegistry;
pub use error::{KeyFix, ProviderError};
pub use openai::OpenAiProvider;
pub use pricing::{ModelPrice, PriceTable};
pub use registry::{ProviderKind, build};
pub use retry::RetryPolicy;
pub use wire::{Spec, Wire, WireProvider};

/// Where and how to reach a model API. The key is a [`SecretString`]: it is
/// never printed by `Debug` and only exposed to build the request header.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    /// `https://api.anthropic.com`, or for OpenAI-compatible servers the URL
    /// up to and including `/v1` (e.g. `http://localhost:11434/v1`).
    pub base_url: String,
    pub api_key: Option<SecretString>,
    pub retry: RetryPolicy,
    /// Longest wait for the response headers.
    pub first_byte_timeout: Duration,
    /// Longest wait for a non-streamed reply, which arrives only once the
    /// model has finished.
    pub whole_reply_timeout: Duration,
    /// Longest silence between two pieces of a streamed reply (the
    /// Anthropic API pings well within this).
    pub idle_timeout: Duration,
    /// Where the key came from, so a rejected key gets advice that fits.
    pub key_fix: error::KeyFix,
}

impl ProviderConfig {
    pub fn new(base_url: impl Into<String>, api_key: Option<SecretString>) -> Self {
        ProviderConfig {
            base_url: base_url.into(),
            api_key,
            retry: RetryPolicy::default(),
            first_byte_timeout: Duration::from_secs(120),
            whole_reply_timeout: Duration::from_secs(600),
            idle_timeout: Duration::from_secs(90),
            key_fix: error::KeyFix::Settings,
        }
    }

    /// From the environment as the official SDKs do: the base URL from
    /// `ANTHROPIC_BASE_URL` / `OPENAI_BASE_URL`, the key from
    /// `ANTHROPIC_API_KEY` / `OPENAI_API_KEY` when set (it wins), else from
    /// `keychain` (e.g. `|| keychain::resolve_api_key("anthropic")`).
    pub fn from_env(
        kind: ProviderKind,
        keychain: impl FnOnce() -> crate::Result<Option<SecretString>>,
    ) -> Result<Self, ProviderError> {
        Self::from_lookup(kind, |name| std::env::var(name).ok(), keychain)
    }

    /// From the environment and the OS keychain (`crate::keychain`); the
    /// environment variables still win.
    pub fn from_env_and_keychain(kind: ProviderKind) -> Result<Self, ProviderError> {
        Self::from_env(kind, || crate::keychain::resolve_api_key(kind.as_str()))
    }

    /// [`ProviderConfig::from_env`] with the environment given as a lookup.
    pub fn from_lookup(
        kind: ProviderKind,
        env: impl Fn(&str) -> Option<String>,
        keychain: impl FnOnce() -> crate::Result<Option<SecretString>>,
    ) -> Result<Self, ProviderError> {
        let set = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let base_url =
            set(kind.base_url_var()).unwrap_or_else(|| kind.default_base_url().to_string());
        let (api_key, key_fix) = match set(kind.api_key_var()) {
            Some(key) => (
                Some(SecretString::from(key.trim().to_string())),
                error::KeyFix::Environment(kind.api_key_var()),
            ),
            None => (
                keychain().map_err(|e| ProviderError::Keychain {
                    detail: e.to_string(),
                })?,
                error::KeyFix::Keychain,
            ),
        };
        let mut config = ProviderConfig::new(base_url, api_key);
        config.key_fix = key_fix;
        Ok(config)
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

/// A model API. Object-safe: the runtime holds `Arc<dyn Provider>` and runs
/// many turns on it at once; they share one connection pool.
#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    fn kind(&self) -> ProviderKind;

    /// Which server this is (its base URL), so what a server can do is
    /// remembered per server. Never holds a key.
    fn identity(&self) -> String {
        String::new()
    }

    /// Run one model turn. Every event is handed to `on_event` as soon as
    /// it is read. Transient failures are retried; a retry is announced
    /// with [`StreamEvent::Retrying`], after which the caller must discard
    /// what it gathered from the failed attempt. When `cancel` fires (or
    /// the future is dropped) the request is abandoned at once and the
    /// connection closed.
    async fn stream_turn(
        &self,
        request: &ModelRequest,
        cancel: &CancellationToken,
        on_event: &mut (dyn FnMut(StreamEvent) + Send),
    ) -> Result<ModelResponse, ProviderError>;

    /// The model ids the server offers (`GET /v1/models`), in its order.
    /// A local server names its own models, so a picker asks it.
    async fn list_models(&self) -> Result<Vec<String>, ProviderError>;

    /// How many tokens `model`'s context window holds, as the server (or
    /// the model catalogue) says; `None` when it cannot tell.
    async fn context_tokens(&self, _model: &str) -> Option<u32> {
        None
    }

    /// Whether the server can give `model` tools at all (llama.cpp reports
    /// what the model's chat template can do); `None` when it cannot tell.
    async fn supports_tools(&self, _model: &str) -> Option<bool> {
        None
    }
}

/// What each server and model's context holds, once learned.
static CONTEXTS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, u32>>> =
    std::sync::LazyLock::new(Default::default);

fn context_key(provider: &dyn Provider, model: &str) -> String {
    format!(
        "{}\u{0}{}\u{0}{model}",
        provider.kind().as_str(),
        provider.identity()
    )
}

/// The model's context window, asked of the server once per process.
pub async fn learn_context(provider: &dyn Provider, model: &str) -> Option<u32> {
    if let Some(known) = known_context(provider, model) {
        return Some(known);
    }
    let tokens = provider.context_tokens(model).await?;
    CONTEXTS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(context_key(provider, model), tokens);
    Some(tokens)
}

/// Whether the server can give `model` tools, asked once per process.
pub async fn learn_tool_support(provider: &dyn Provider, model: &str) -> Option<bool> {
    static TOOLS: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, bool>>> =
        std::sync::LazyLock::new(Default::default);
    let key = context_key(provider, model);
    if let Some(known) = TOOLS.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Some(*known);
    }
    let answer = provider.supports_tools(model).await?;
    TOOLS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, answer);
    Some(answer)
}

/// The model's context window if it was learned already (no request).
pub fn known_context(provider: &dyn Provider, model: &str) -> Option<u32> {
    CONTEXTS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&context_key(provider, model))
        .copied()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Assistant,
}

/// One message of a conversation, in the Anthropic shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: Vec<ContentBlock>,
}

impl Message {
    pub fn user(text: impl Into<String>) -> Self {
        Message {
            role: Role::User,
            content: vec![ContentBlock::text(text)],
        }
    }

    pub fn assistant(content: Vec<ContentBlock>) -> Self {
        Message {
            role: Role::Assistant,
            content,
        }
    }

    /// The plain text of the message's text blocks.
    pub fn text(&self) -> String {
        self.content
            .iter()
            .filter_map(|b| match b {
                ContentBlock::Text { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    pub fn tool_uses(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        self.content.iter().filter_map(|b| match b {
            ContentBlock::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
    }
}

/// A content block. Thinking blocks keep their signature so they can be
/// sent back unchanged, as the API requires with tool use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        text: String,
    },
    Image {
        source: Value,
    },
    Thinking {
        thinking: String,
        signature: String,
    },
    RedactedThinking {
        data: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
    },
}

impl ContentBlock {
    pub fn text(text: impl Into<String>) -> Self {
        ContentBlock::Text { text: text.into() }
    }

    pub fn tool_result(
        tool_use_id: impl Into<String>,
        content: impl Into<String>,
        is_error: bool,
    ) -> Self {
        ContentBlock::ToolResult {
            tool_use_id: tool_use_id.into(),
            content: content.into(),
            is_error,
        }
    }
}

/// A tool the model may call; `input_schema` is a JSON Schema object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub input_schema: Value,
    /// An Anthropic-defined tool type (e.g. `memory_20250818`): sent to
    /// Anthropic as `{type, name}` only; other providers get the schema.
    #[serde(skip)]
    pub native_type: Option<String>,
}

impl Tool {
    pub fn new(
        name: impl Into<String>,
        description: impl Into<String>,
        input_schema: Value,
    ) -> Self {
        Tool {
            name: name.into(),
            description: Some(description.into()),
            input_schema,
            native_type: None,
        }
    }

    pub fn with_native_type(mut self, native_type: impl Into<String>) -> Self {
        self.native_type = Some(native_type.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToolChoice {
    Auto,
    Any,
    Tool { name: String },
    None,
}

/// Extended thinking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Thinking {
    /// A fixed budget (at least 1,024 tokens, counted in `max_tokens`).
    Enabled {
        budget_tokens: u32,
    },
    /// The model decides when and how much to think (current models).
    Adaptive,
    Disabled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// An opaque id for the end user (never a name or an email).
    pub user_id: Option<String>,
}

/// Where prompt-cache breakpoints go. `Auto` marks the tools, the system
/// prompt and the stable prefix of the history (at most 4 breakpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CachePolicy {
    Off,
    #[default]
    Auto,
    /// As `Auto`, cached for an hour instead of five minutes.
    AutoOneHour,
}

/// Everything one model turn needs.
#[derive(Debug, Clone)]
pub struct ModelRequest {
    pub model: String,
    pub system: Option<String>,
    pub messages: Vec<Message>,
    pub tools: Vec<Tool>,
    pub tool_choice: Option<ToolChoice>,
    pub max_tokens: u32,
    /// Sampling temperature for OpenAI-compatible servers. The current
    /// Anthropic Messages API has no such parameter, so it is not sent there.
    pub temperature: Option<f32>,
    pub stop_sequences: Vec<String>,
    pub thinking: Option<Thinking>,
    pub metadata: Option<Metadata>,
    pub cache: CachePolicy,
    /// API feature flags the request's features (or tools) need, sent by
    /// the wires that have them (Anthropic's `anthropic-beta`), ignored by
    /// the others.
    pub betas: Vec<String>,
    /// Stream the reply (the default); `false` asks for one JSON body.
    pub stream: bool,
    /// OpenAI-compatible servers only: `response_format` as sent (a JSON
    /// Schema the answer must follow). Anthropic ignores it.
    pub response_format: Option<serde_json::Value>,
}

impl ModelRequest {
    pub fn new(model: impl Into<String>, messages: Vec<Message>) -> Self {
        ModelRequest {
            model: model.into(),
            system: None,
            messages,
            tools: Vec::new(),
            tool_choice: None,
            max_tokens: 4096,
            temperature: None,
            stop_sequences: Vec::new(),
            thinking: None,
            metadata: None,
            cache: CachePolicy::Auto,
            betas: Vec::new(),
            stream: true,
            response_format: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    PauseTurn,
    Refusal,
    /// A reason this build does not know yet.
    #[serde(untagged)]
    Other(String),
}

impl StopReason {
    pub fn parse(s: &str) -> Self {
        serde_json::from_value(Value::String(s.to_string()))
            .unwrap_or_else(|_| StopReason::Other(s.to_string()))
    }
}

/// Token counts of one call. `cache_creation_1h_input_tokens` is the part
/// of `cache_creation_input_tokens` written with a one-hour lifetime.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    #[serde(default)]
    pub cache_creation_1h_input_tokens: u64,
}

/// One typed piece of a streamed turn, relayed as soon as it is read.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    MessageStart {
        id: String,
        model: String,
        usage: Usage,
    },
    /// A block begins; text and thinking start empty, a tool call with its
    /// id and name and an empty input.
    BlockStart {
        index: usize,
        block: ContentBlock,
    },
    TextDelta {
        index: usize,
        text: String,
    },
    ThinkingDelta {
        index: usize,
        thinking: String,
    },
    SignatureDelta {
        index: usize,
        signature: String,
    },
    /// A piece of a tool call's input JSON.
    ToolInputDelta {
        index: usize,
        partial_json: String,
    },
    BlockStop {
        index: usize,
    },
    /// The stop reason and the usage so far (cumulative).
    MessageDelta {
        stop_reason: Option<StopReason>,
        usage: Usage,
    },
    MessageStop,
    Ping,
    /// The attempt failed and another starts after `delay`; discard what
    /// was gathered from the failed attempt.
    Retrying {
        attempt: u32,
        delay: Duration,
        error: String,
    },
}

/// The result of a turn.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelResponse {
    pub id: String,
    /// The model that answered, as the API named it.
    pub model: String,
    /// The assistant message, ready to append to the history.
    pub message: Message,
    pub stop_reason: StopReason,
    pub stop_sequence: Option<String>,
    pub usage: Usage,
    /// USD, from the price table; `None` when the model has no price.
    pub cost_usd: Option<f64>,
    /// Attempts it took (1 when nothing was retried).
    pub attempts: u32,
}

/// What the provider layer reads from the app's settings (addresses, saved
/// models) and writes (where a saved key may go). The store implements it,
/// so providers sit below the store and never see its tables.
pub trait Settings: Send + Sync {
    fn setting(&self, key: &str) -> crate::Result<Option<String>>;
    fn set_setting(&self, key: &str, value: &str) -> crate::Result<()>;
    /// The models agents use with `kind`, for the model pickers.
    fn models_in_use(&self, kind: ProviderKind) -> crate::Result<Vec<String>>;
}

impl<T: Settings + ?Sized> Settings for std::sync::Arc<T> {
    fn setting(&self, key: &str) -> crate::Result<Option<String>> {
        (**self).setting(key)
    }
    fn set_setting(&self, key: &str, value: &str) -> crate::Result<()> {
        (**self).set_setting(key, value)
    }
    fn models_in_use(&self, kind: ProviderKind) -> crate::Result<Vec<String>> {
        (**self).models_in_use(kind)
    }
}
