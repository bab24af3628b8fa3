//! The Anthropic Messages API (`POST /v1/messages`) as a [`Wire`]: the
//! request body (system prompt, tools — as their native type when they
//! have one —, `tool_choice`, thinking, stop sequences, metadata, cache
//! breakpoints), the headers (`x-api-key`, `anthropic-version`,
//! `anthropic-beta`), and reading the reply, streamed (every SSE event
//! kind; unknown events and block types are skipped) or as one JSON body.
//! It never retries, sends or prices by itself (see `wire`) and never logs
//! the key.

use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::{Value, json};

use super::wire::{self, Gathered, Parser, Partial, Sink, Spec, Wire, WireProvider};
use super::{
    ContentBlock, ModelRequest, ProviderConfig, ProviderError, ProviderKind, StopReason,
    StreamEvent, Usage, cache,
};

pub const API_VERSION: &str = "2023-06-01";
const API: &str = "Anthropic";

/// The Anthropic Messages API.
#[derive(Debug, Default)]
pub struct Anthropic;

/// The Anthropic provider, as built by the registry.
pub type AnthropicProvider = WireProvider<Anthropic>;

#[async_trait::async_trait]
impl Wire for Anthropic {
    const KIND: ProviderKind = ProviderKind::Anthropic;
    const SPEC: Spec = Spec {
        name: "anthropic",
        api: API,
        base_url_var: "ANTHROPIC_BASE_URL",
        api_key_var: "ANTHROPIC_API_KEY",
        default_base_url: "https://api.anthropic.com",
        local: false,
        catalogue_prefix: Some("claude-"),
        test_model: "claude-haiku-4-5",
    };
    const TURN_PATH: &'static str = "/v1/messages";
    const MODELS_PATH: &'static str = "/v1/models?limit=1000";
    type Parser = Reply;

    fn headers(
        &self,
        config: &ProviderConfig,
        request: &ModelRequest,
        headers: &mut HeaderMap,
    ) -> Result<(), ProviderError> {
        let key = config.api_key.as_ref().ok_or(ProviderError::MissingKey {
            provider: API,
            env_var: Self::SPEC.api_key_var,
        })?;
        let mut key = HeaderValue::from_str(key.expose_secret().trim()).map_err(|_| {
            ProviderError::unauthorized("the key contains characters an API key never has")
        })?;
        key.set_sensitive(true);
        headers.insert("x-api-key", key);
        headers.insert("anthropic-version", HeaderValue::from_static(API_VERSION));
        let betas = &request.betas;
        if !betas.is_empty() {
            let betas = HeaderValue::from_str(&betas.join(",")).map_err(|_| {
                ProviderError::InvalidRequest {
                    status: 0,
                    message: "a beta flag contains characters a header cannot carry".into(),
                }
            })?;
            headers.insert("anthropic-beta", betas);
        }
        Ok(())
    }

    fn body(&self, request: &ModelRequest) -> Value {
        request_body(request)
    }

    /// Every current Claude model holds 200,000 tokens (the catalogue's figure).
    async fn context_tokens(&self, _server: &wire::Server<'_>, model: &str) -> Option<u32> {
        model.starts_with("claude").then_some(200_000)
    }
}

/// The JSON body for `request`, exactly as sent.
pub fn request_body(request: &ModelRequest) -> Value {
    let mut body = json!({
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": request.messages,
    });
    if let Some(system) = &request.system {
        body["system"] = json!([{"type": "text", "text": system}]);
    }
    if !request.tools.is_empty() {
        let tools: Vec<Value> = request
            .tools
            .iter()
            .map(|t| match &t.native_type {
                Some(kind) => json!({"type": kind, "name": t.name}),
                None => json!(t),
            })
            .collect();
        body["tools"] = Value::Array(tools);
    }
    if let Some(choice) = &request.tool_choice {
        body["tool_choice"] = json!(choice);
    }
    if !request.stop_sequences.is_empty() {
        body["stop_sequences"] = json!(request.stop_sequences);
    }
    if let Some(thinking) = &request.thinking {
        body["thinking"] = json!(thinking);
    }
    if let Some(metadata) = &request.metadata {
        if let Some(user_id) = &metadata.user_id {
            body["metadata"] = json!({"user_id": user_id});
        }
    }
    if request.stream {
        body["stream"] = json!(true);
    }
    cache::apply(&mut body, request.cache);
    body
}

#[derive(Debug, Default, Deserialize)]
struct WireUsage {
    input_tokens: Option<u64>,
    output_tokens: Option<u64>,
    cache_creation_input_tokens: Option<u64>,
    cache_read_input_tokens: Option<u64>,
    cache_creation: Option<WireCacheCreation>,
}

#[derive(Debug, Default, Deserialize)]
struct WireCacheCreation {
    ephemeral_1h_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Later counts replace earlier ones: `message_delta` usage is cumulative.
    fn merge_into(self, usage: &mut Usage) {
        let set = |field: &mut u64, value: Option<u64>| {
            if let Some(v) = value {
                *field = v;
            }
        };
        set(&mut usage.input_tokens, self.input_tokens);
        set(&mut usage.output_tokens, self.output_tokens);
        set(
            &mut usage.cache_creation_input_tokens,
            self.cache_creation_input_tokens,
        );
        set(
            &mut usage.cache_read_input_tokens,
            self.cache_read_input_tokens,
        );
        set(
            &mut usage.cache_creation_1h_input_tokens,
            self.cache_creation
                .and_then(|c| c.ephemeral_1h_input_tokens),
        );
    }
}

#[derive(Debug, Deserialize)]
struct WireDelta {
    index: usize,
    delta: WireDeltaBody,
}

#[derive(Debug, Deserialize)]
struct WireDeltaBody {
    #[serde(rename = "type")]
    kind: String,
    text: Option<String>,
    thinking: Option<String>,
    signature: Option<String>,
    partial_json: Option<String>,
}

/// The reply gathered from events (or a whole body).
#[derive(Debug, Default)]
pub struct Reply {
    id: String,
    model: String,
    blocks: Vec<Option<Partial>>,
    stop_reason: Option<StopReason>,
    stop_sequence: Option<String>,
    usage: Usage,
    stopped: bool,
}

fn malformed(detail: impl Into<String>) -> ProviderError {
    wire::malformed(API, detail)
}

fn str_of(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl Reply {
    fn slot(&mut self, index: usize) -> Option<&mut Partial> {
        self.blocks.get_mut(index).and_then(Option::as_mut)
    }

    fn delta(&mut self, d: WireDelta, on_event: &mut (dyn FnMut(StreamEvent) + Send)) {
        let index = d.index;
        let Some(slot) = self.slot(index) else { return };
        let piece = |p: Option<String>| p.unwrap_or_default();
        match (d.delta.kind.as_str(), slot) {
            ("text_delta", Partial::Text(text)) => {
                let t = piece(d.delta.text);
                text.push_str(&t);
                on_event(StreamEvent::TextDelta { index, text: t });
            }
            ("thinking_delta", Partial::Thinking { thinking, .. }) => {
                let t = piece(d.delta.thinking);
                thinking.push_str(&t);
                on_event(StreamEvent::ThinkingDelta { index, thinking: t });
            }
            ("signature_delta", Partial::Thinking { signature, .. }) => {
                let s = piece(d.delta.signature);
                signature.push_str(&s);
                on_event(StreamEvent::SignatureDelta {
                    index,
                    signature: s,
                });
            }
            ("input_json_delta", Partial::ToolUse { json, .. }) => {
                let j = piece(d.delta.partial_json);
                json.push_str(&j);
                on_event(StreamEvent::ToolInputDelta {
                    index,
                    partial_json: j,
                });
            }
            _ => {} // a delta type from a newer API: skipped
        }
    }

    /// Apply one SSE event; `Ok(true)` once the message is complete.
    fn apply(
        &mut self,
        name: &str,
        data: &str,
        on_event: &mut (dyn FnMut(StreamEvent) + Send),
    ) -> Result<bool, ProviderError> {
        // Deltas are most of a stream: read them straight into a struct.
        if name == "content_block_delta" {
            let delta: WireDelta = serde_json::from_str(data)
                .map_err(|e| malformed(format!("a '{name}' event is not JSON: {e}")))?;
            self.delta(delta, on_event);
            return Ok(false);
        }
        let v: Value = serde_json::from_str(data)
            .map_err(|e| malformed(format!("a '{name}' event is not JSON: {e}")))?;
        let kind = v.get("type").and_then(Value::as_str).unwrap_or(name);
        let index = || v.get("index").and_then(Value::as_u64).map(|i| i as usize);
        match kind {
            "message_start" => {
                let m = &v["message"];
                self.id = str_of(m, "id");
                self.model = str_of(m, "model");
                if let Ok(u) = WireUsage::deserialize(&m["usage"]) {
                    u.merge_into(&mut self.usage);
                }
                on_event(StreamEvent::MessageStart {
                    id: self.id.clone(),
                    model: self.model.clone(),
                    usage: self.usage,
                });
            }
            "content_block_start" => {
                let Some(i) = index() else {
                    return Err(malformed("a content_block_start has no index"));
                };
                let b = &v["content_block"];
                let partial = match b["type"].as_str() {
                    Some("text") => Some(Partial::Text(str_of(b, "text"))),
                    Some("thinking") => Some(Partial::Thinking {
                        thinking: str_of(b, "thinking"),
                        signature: str_of(b, "signature"),
                    }),
                    Some("redacted_thinking") => Some(Partial::Redacted(str_of(b, "data"))),
                    Some("tool_use") => Some(Partial::ToolUse {
                        id: str_of(b, "id"),
                        name: str_of(b, "name"),
                        json: String::new(),
                    }),
                    _ => None, // a block type from a newer API: skipped
                };
                if self.blocks.len() <= i {
                    self.blocks.resize_with(i + 1, || None);
                }
                if let Some(p) = &partial {
                    on_event(StreamEvent::BlockStart {
                        index: i,
                        block: p.initial_block(),
                    });
                }
                self.blocks[i] = partial;
            }
            "content_block_delta" => {
                let delta = WireDelta::deserialize(&v)
                    .map_err(|e| malformed(format!("a content_block_delta is not valid: {e}")))?;
                self.delta(delta, on_event);
            }
            "content_block_stop" => {
                if let Some(i) =
                    index().filter(|i| self.blocks.get(*i).is_some_and(Option::is_some))
                {
                    on_event(StreamEvent::BlockStop { index: i });
                }
            }
            "message_delta" => {
                if let Some(reason) = v["delta"].get("stop_reason").and_then(Value::as_str) {
                    self.stop_reason = Some(StopReason::parse(reason));
                }
                if let Some(seq) = v["delta"].get("stop_sequence").and_then(Value::as_str) {
                    self.stop_sequence = Some(seq.to_string());
                }
                if let Ok(u) = WireUsage::deserialize(&v["usage"]) {
                    u.merge_into(&mut self.usage);
                }
                on_event(StreamEvent::MessageDelta {
                    stop_reason: self.stop_reason.clone(),
                    usage: self.usage,
                });
            }
            "message_stop" => {
                self.stopped = true;
                on_event(StreamEvent::MessageStop);
                return Ok(true);
            }
            "ping" => on_event(StreamEvent::Ping),
            "error" => {
                return Err(ProviderError::StreamError {
                    error_type: str_of(&v["error"], "type"),
                    message: str_of(&v["error"], "message"),
                });
            }
            _ => {} // an event type from a newer API: skipped
        }
        Ok(false)
    }

    /// Read a non-streamed message body.
    fn whole(&mut self, body: &[u8]) -> Result<(), ProviderError> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| malformed(format!("the body is not JSON: {e}")))?;
        if v["type"] == "error" {
            return Err(ProviderError::StreamError {
                error_type: str_of(&v["error"], "type"),
                message: str_of(&v["error"], "message"),
            });
        }
        let content = v
            .get("content")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("the message has no content"))?;
        self.id = str_of(&v, "id");
        self.model = str_of(&v, "model");
        for b in content {
            let partial = match serde_json::from_value::<ContentBlock>(b.clone()) {
                Ok(ContentBlock::Text { text }) => Some(Partial::Text(text)),
                Ok(ContentBlock::Thinking {
                    thinking,
                    signature,
                }) => Some(Partial::Thinking {
                    thinking,
                    signature,
                }),
                Ok(ContentBlock::RedactedThinking { data }) => Some(Partial::Redacted(data)),
                Ok(ContentBlock::ToolUse { id, name, input }) => Some(Partial::ToolUse {
                    id,
                    name,
                    json: input.to_string(),
                }),
                _ => None,
            };
            self.blocks.push(partial);
        }
        self.stop_reason = v
            .get("stop_reason")
            .and_then(Value::as_str)
            .map(StopReason::parse);
        self.stop_sequence = v
            .get("stop_sequence")
            .and_then(Value::as_str)
            .map(str::to_string);
        if let Ok(u) = WireUsage::deserialize(&v["usage"]) {
            u.merge_into(&mut self.usage);
        }
        self.stopped = true;
        Ok(())
    }
}

impl Parser for Reply {
    fn event(&mut self, name: &str, data: &str, on_event: Sink<'_>) -> Result<bool, ProviderError> {
        self.apply(name, data, on_event)
    }

    fn end(&mut self, _on_event: Sink<'_>) -> Result<(), ProviderError> {
        if self.stopped {
            Ok(())
        } else {
            Err(ProviderError::Truncated)
        }
    }

    fn whole(&mut self, body: &[u8]) -> Result<(), ProviderError> {
        Reply::whole(self, body)
    }

    fn finish(self) -> Gathered {
        Gathered {
            id: self.id,
            model: self.model,
            blocks: self.blocks.into_iter().flatten().collect(),
            stop_reason: self.stop_reason,
            stop_sequence: self.stop_sequence,
            usage: self.usage,
            bad_input: None,
        }
    }
}
