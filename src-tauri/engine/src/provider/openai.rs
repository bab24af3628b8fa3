//! OpenAI-compatible chat completions (`POST {base}/chat/completions`), for
//! servers users already run: Ollama, LM Studio, llama.cpp server, vLLM.
//! Translates the Anthropic-shaped conversation (tool calls, tool results,
//! system prompt) to chat messages and the streamed chunks back to the same
//! [`StreamEvent`]s, so the runtime never knows which API answered.
//! `reasoning_content` deltas (llama.cpp, vLLM) become thinking. The key is
//! optional; it is sent as a bearer token and never logged.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::Url;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::retry::{self, Attempt, RetryPolicy};
use super::{
    ContentBlock, Message, ModelRequest, ModelResponse, PriceTable, Provider, ProviderConfig,
    ProviderError, ProviderKind, Role, StopReason, StreamEvent, ToolChoice, Usage, http,
};

const API: &str = "OpenAI";

pub struct OpenAiProvider {
    config: ProviderConfig,
    url: Url,
    prices: Arc<PriceTable>,
}

impl OpenAiProvider {
    pub fn new(config: ProviderConfig, prices: Arc<PriceTable>) -> Result<Self, ProviderError> {
        let url = http::endpoint(
            &config.base_url,
            "/chat/completions",
            ProviderKind::OpenAi.base_url_var(),
        )?;
        Ok(OpenAiProvider {
            config,
            url,
            prices,
        })
    }

    fn headers(&self, request: &ModelRequest) -> Result<HeaderMap, ProviderError> {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(
            ACCEPT,
            HeaderValue::from_static(if request.stream {
                "text/event-stream"
            } else {
                "application/json"
            }),
        );
        if let Some(key) = self
            .config
            .api_key
            .as_ref()
            .filter(|k| !k.expose_secret().trim().is_empty())
        {
            let mut value = HeaderValue::from_str(&format!(
                "Bearer {}",
                key.expose_secret().trim()
            ))
            .map_err(|_| {
                ProviderError::unauthorized("the key contains characters an API key never has")
            })?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        Ok(headers)
    }
}

/// The chat-completions body for `request`, exactly as sent.
pub fn request_body(request: &ModelRequest) -> Value {
    let mut messages = Vec::new();
    if let Some(system) = &request.system {
        messages.push(json!({"role": "system", "content": system}));
    }
    for message in &request.messages {
        push_message(&mut messages, message);
    }
    let mut body = json!({
        "model": request.model,
        "messages": messages,
        "max_tokens": request.max_tokens,
    });
    if !request.tools.is_empty() {
        body["tools"] = request
            .tools
            .iter()
            .map(|t| {
                let mut f = json!({"name": t.name, "parameters": t.input_schema});
                if let Some(d) = &t.description {
                    f["description"] = json!(d);
                }
                json!({"type": "function", "function": f})
            })
            .collect();
    }
    if let Some(choice) = &request.tool_choice {
        body["tool_choice"] = match choice {
            ToolChoice::Auto => json!("auto"),
            ToolChoice::Any => json!("required"),
            ToolChoice::None => json!("none"),
            ToolChoice::Tool { name } => json!({"type": "function", "function": {"name": name}}),
        };
    }
    if let Some(format) = &request.response_format {
        body["response_format"] = format.clone();
    }
    if let Some(t) = request.temperature {
        body["temperature"] = json!(t);
    }
    if !request.stop_sequences.is_empty() {
        body["stop"] = json!(request.stop_sequences);
    }
    if request.stream {
        body["stream"] = json!(true);
        body["stream_options"] = json!({"include_usage": true});
    }
    body
}

/// Tool results become `tool` messages, which must directly follow the
/// assistant message that called them; other user content follows them.
fn push_message(out: &mut Vec<Value>, message: &Message) {
    let mut text = String::new();
    let mut calls = Vec::new();
    for block in &message.content {
        match block {
            ContentBlock::Text { text: t } => {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(t);
            }
            ContentBlock::ToolUse { id, name, input } => {
                calls.push(json!({"id": id, "type": "function", "function": {"name": name, "arguments": input.to_string()}}))
            }
            ContentBlock::ToolResult { tool_use_id, content, is_error } => {
                let content = if *is_error { format!("Error: {content}") } else { content.clone() };
                out.push(json!({"role": "tool", "tool_call_id": tool_use_id, "content": content}));
            }
            // Thinking is the model's own; chat servers neither need nor accept it back.
            ContentBlock::Thinking { .. } | ContentBlock::RedactedThinking { .. } | ContentBlock::Image { .. } => {}
        }
    }
    match message.role {
        Role::User if !text.is_empty() => out.push(json!({"role": "user", "content": text})),
        Role::User => {}
        Role::Assistant => {
            let mut m = json!({"role": "assistant", "content": if text.is_empty() { Value::Null } else { json!(text) }});
            if !calls.is_empty() {
                m["tool_calls"] = Value::Array(calls);
            }
            out.push(m);
        }
    }
}

#[async_trait::async_trait]
impl Provider for OpenAiProvider {
    fn identity(&self) -> String {
        crate::redact::mask_url_credentials(&self.config.base_url).into_owned()
    }

    fn kind(&self) -> ProviderKind {
        ProviderKind::OpenAi
    }

    async fn stream_turn(
        &self,
        request: &ModelRequest,
        cancel: &CancellationToken,
        on_event: &mut (dyn FnMut(StreamEvent) + Send),
    ) -> Result<ModelResponse, ProviderError> {
        let turn = Turn {
            provider: self,
            request,
            headers: self.headers(request)?,
            body: Bytes::from(request_body(request).to_string()),
        };
        retry::run(&turn, cancel, on_event).await
    }

    /// Local servers say how much context they were started with:
    /// llama.cpp in `GET /props` (`default_generation_settings.n_ctx`) or
    /// its model list (`meta.n_ctx`), vLLM as `max_model_len`, LM Studio as
    /// `loaded_context_length` / `max_context_length`, Ollama in
    /// `/api/show`, others as `context_length`.
    async fn context_tokens(&self, model: &str) -> Option<u32> {
        let mut listing = ModelRequest::new(String::new(), Vec::new());
        listing.stream = false;
        let mut headers = self.headers(&listing).ok()?;
        headers.remove(CONTENT_TYPE);
        let base = self.config.base_url.trim().trim_end_matches('/');
        let root = base.strip_suffix("/v1").unwrap_or(base);
        let as_u32 = |v: &Value| {
            v.as_u64()
                .filter(|n| *n > 0 && *n < u64::from(u32::MAX))
                .map(|n| n as u32)
        };
        if let Ok(url) = http::endpoint(root, "/props", ProviderKind::OpenAi.base_url_var()) {
            if let Ok(props) = http::get_json(&url, headers.clone(), &self.config, API).await {
                let n = &props["default_generation_settings"];
                if let Some(n) = as_u32(&n["n_ctx"]).or_else(|| as_u32(&props["n_ctx"])) {
                    return Some(n);
                }
            }
        }
        // Ollama says it in its own `/api/show`: the `num_ctx` it runs the
        // model with; without one it serves 4,096 at most, whatever the
        // model could hold.
        if let Ok(url) = http::endpoint(root, "/api/show", ProviderKind::OpenAi.base_url_var()) {
            if let Ok(show) = http::post_json(
                &url,
                headers.clone(),
                &json!({"model": model}),
                &self.config,
                API,
            )
            .await
            {
                let num_ctx = show["parameters"].as_str().and_then(|p| {
                    p.lines()
                        .find_map(|l| l.trim().strip_prefix("num_ctx"))
                        .and_then(|v| v.trim().parse::<u32>().ok())
                });
                let trained = show["model_info"].as_object().and_then(|info| {
                    info.iter()
                        .find(|(k, _)| k.ends_with(".context_length"))
                        .and_then(|(_, v)| as_u32(v))
                });
                if let Some(n) = num_ctx.or_else(|| trained.map(|t| t.min(4_096))) {
                    return Some(n);
                }
            }
        }
        let url = http::endpoint(base, "/models", ProviderKind::OpenAi.base_url_var()).ok()?;
        let list = http::get_json(&url, headers, &self.config, API)
            .await
            .ok()?;
        let entry = list["data"]
            .as_array()?
            .iter()
            .find(|m| m["id"] == model)
            .or_else(|| list["data"].as_array()?.first())?;
        [
            "max_model_len",
            "loaded_context_length",
            "context_length",
            "max_context_length",
        ]
        .iter()
        .find_map(|k| as_u32(&entry[*k]))
        .or_else(|| as_u32(&entry["meta"]["n_ctx"]))
        .or_else(|| as_u32(&entry["meta"]["n_ctx_train"]))
    }

    /// llama.cpp's `/props` says what the loaded chat template can do; a
    /// template without tools makes the server drop them silently.
    async fn supports_tools(&self, _model: &str) -> Option<bool> {
        let mut listing = ModelRequest::new(String::new(), Vec::new());
        listing.stream = false;
        let mut headers = self.headers(&listing).ok()?;
        headers.remove(CONTENT_TYPE);
        let base = self.config.base_url.trim().trim_end_matches('/');
        let root = base.strip_suffix("/v1").unwrap_or(base);
        let url = http::endpoint(root, "/props", ProviderKind::OpenAi.base_url_var()).ok()?;
        let props = http::get_json(&url, headers, &self.config, API)
            .await
            .ok()?;
        let caps = &props["chat_template_caps"];
        caps["supports_tool_calls"]
            .as_bool()
            .or_else(|| caps["supports_tools"].as_bool())
    }

    async fn list_models(&self) -> Result<Vec<String>, ProviderError> {
        let url = http::endpoint(
            &self.config.base_url,
            "/models",
            ProviderKind::OpenAi.base_url_var(),
        )?;
        let mut listing = ModelRequest::new(String::new(), Vec::new());
        listing.stream = false;
        let mut headers = self.headers(&listing)?;
        headers.remove(CONTENT_TYPE);
        Ok(http::model_ids(
            &http::get_json(&url, headers, &self.config, API).await?,
        ))
    }
}

struct Turn<'a> {
    provider: &'a OpenAiProvider,
    request: &'a ModelRequest,
    headers: HeaderMap,
    body: Bytes,
}

impl Attempt for Turn<'_> {
    fn retry_policy(&self) -> &RetryPolicy {
        &self.provider.config.retry
    }

    async fn attempt(
        &self,
        on_event: &mut (dyn FnMut(StreamEvent) + Send),
    ) -> Result<ModelResponse, ProviderError> {
        let p = self.provider;
        let (response, sse) = http::post_turn(
            &p.url,
            &self.headers,
            &self.body,
            self.request.stream,
            &p.config,
        )
        .await?;
        let mut reply = Reply::default();
        if sse {
            let mut events = http::events(response, &p.config, API);
            loop {
                match events.next().await? {
                    None => break,
                    Some(e) if e.data.trim() == "[DONE]" => {
                        reply.done = true;
                        events.drain().await;
                        break;
                    }
                    Some(e) => reply.chunk(&e.data, on_event)?,
                }
            }
            // Complete means a finish reason or the `[DONE]` marker; a body
            // that just stops is a cut, never a short answer.
            if reply.finish_reason.is_none() && !reply.done {
                return Err(ProviderError::Truncated);
            }
            reply.close_open(on_event);
            on_event(StreamEvent::MessageDelta {
                stop_reason: reply.finish_reason.clone(),
                usage: reply.usage,
            });
            on_event(StreamEvent::MessageStop);
        } else {
            let body = http::body(response, &p.config, &p.url).await?;
            reply.whole(&body)?;
        }
        reply.finish(self.request, &p.prices)
    }
}

#[derive(Debug)]
enum Partial {
    Text(String),
    Thinking(String),
    ToolUse {
        id: String,
        name: String,
        json: String,
    },
}

#[derive(Debug, Default)]
struct Reply {
    id: String,
    model: String,
    blocks: Vec<Partial>,
    /// The block receiving deltas, which closes when another kind starts.
    open: Option<usize>,
    /// The server's tool-call index to our block index.
    calls: BTreeMap<u64, usize>,
    finish_reason: Option<StopReason>,
    usage: Usage,
    started: bool,
    /// `data: [DONE]` arrived.
    done: bool,
}

fn malformed(detail: impl Into<String>) -> ProviderError {
    ProviderError::Malformed {
        api: API,
        detail: detail.into(),
    }
}

fn stop_reason(finish: &str) -> StopReason {
    match finish {
        "stop" => StopReason::EndTurn,
        "length" => StopReason::MaxTokens,
        "tool_calls" | "function_call" => StopReason::ToolUse,
        "content_filter" => StopReason::Refusal,
        other => StopReason::Other(other.to_string()),
    }
}

fn usage_from(v: &Value) -> Usage {
    let n = |key: &str| v.get(key).and_then(Value::as_u64).unwrap_or(0);
    let cached = v
        .pointer("/prompt_tokens_details/cached_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Usage {
        input_tokens: n("prompt_tokens").saturating_sub(cached),
        output_tokens: n("completion_tokens"),
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: cached,
        cache_creation_1h_input_tokens: 0,
    }
}

impl Reply {
    fn close_open(&mut self, on_event: &mut (dyn FnMut(StreamEvent) + Send)) {
        if let Some(index) = self.open.take() {
            on_event(StreamEvent::BlockStop { index });
        }
    }

    /// Start a block unless the open one is of the same kind; returns its index.
    fn block(
        &mut self,
        same: fn(&Partial) -> bool,
        new: Partial,
        on_event: &mut (dyn FnMut(StreamEvent) + Send),
    ) -> usize {
        if let Some(i) = self.open.filter(|i| same(&self.blocks[*i])) {
            return i;
        }
        self.close_open(on_event);
        let index = self.blocks.len();
        let initial = match &new {
            Partial::Text(_) => ContentBlock::text(""),
            Partial::Thinking(_) => ContentBlock::Thinking {
                thinking: String::new(),
                signature: String::new(),
            },
            Partial::ToolUse { id, name, .. } => ContentBlock::ToolUse {
                id: id.clone(),
                name: name.clone(),
                input: json!({}),
            },
        };
        self.blocks.push(new);
        self.open = Some(index);
        on_event(StreamEvent::BlockStart {
            index,
            block: initial,
        });
        index
    }

    fn chunk(
        &mut self,
        data: &str,
        on_event: &mut (dyn FnMut(StreamEvent) + Send),
    ) -> Result<(), ProviderError> {
        let v: Value = serde_json::from_str(data)
            .map_err(|e| malformed(format!("a streamed chunk is not JSON: {e}")))?;
        if let Some(error) = v.get("error") {
            let message = error
                .get("message")
                .and_then(Value::as_str)
                .or(error.as_str())
                .unwrap_or("unknown error");
            let error_type = error
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("api_error");
            return Err(ProviderError::StreamError {
                error_type: error_type.into(),
                message: message.into(),
            });
        }
        if !self.started {
            self.started = true;
            self.id = v
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            self.model = v
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            on_event(StreamEvent::MessageStart {
                id: self.id.clone(),
                model: self.model.clone(),
                usage: Usage::default(),
            });
        }
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            self.usage = usage_from(u);
        }
        let Some(choice) = v
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|c| c.first())
        else {
            return Ok(());
        };
        let delta = &choice["delta"];
        let reasoning = delta
            .get("reasoning_content")
            .or_else(|| delta.get("reasoning"))
            .and_then(Value::as_str);
        if let Some(t) = reasoning.filter(|t| !t.is_empty()) {
            let i = self.block(
                |p| matches!(p, Partial::Thinking(_)),
                Partial::Thinking(String::new()),
                on_event,
            );
            if let Partial::Thinking(s) = &mut self.blocks[i] {
                s.push_str(t);
            }
            on_event(StreamEvent::ThinkingDelta {
                index: i,
                thinking: t.to_string(),
            });
        }
        if let Some(t) = delta
            .get("content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            let i = self.block(
                |p| matches!(p, Partial::Text(_)),
                Partial::Text(String::new()),
                on_event,
            );
            if let Partial::Text(s) = &mut self.blocks[i] {
                s.push_str(t);
            }
            on_event(StreamEvent::TextDelta {
                index: i,
                text: t.to_string(),
            });
        }
        for call in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = call.get("index").and_then(Value::as_u64).unwrap_or(0);
            let i = match self.calls.get(&key) {
                Some(i) => *i,
                None => {
                    let id = call
                        .get("id")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("call_{key}"));
                    let name = call
                        .pointer("/function/name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    self.open = None; // every call is its own block
                    let i = self.block(
                        |_| false,
                        Partial::ToolUse {
                            id,
                            name,
                            json: String::new(),
                        },
                        on_event,
                    );
                    self.calls.insert(key, i);
                    i
                }
            };
            if let Some(args) = call
                .pointer("/function/arguments")
                .and_then(Value::as_str)
                .filter(|a| !a.is_empty())
            {
                if let Partial::ToolUse { json, .. } = &mut self.blocks[i] {
                    json.push_str(args);
                }
                on_event(StreamEvent::ToolInputDelta {
                    index: i,
                    partial_json: args.to_string(),
                });
            }
        }
        if let Some(finish) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish_reason = Some(stop_reason(finish));
        }
        Ok(())
    }

    fn whole(&mut self, body: &[u8]) -> Result<(), ProviderError> {
        let v: Value = serde_json::from_slice(body)
            .map_err(|e| malformed(format!("the body is not JSON: {e}")))?;
        let choice = v
            .pointer("/choices/0")
            .ok_or_else(|| malformed("the reply has no choices"))?;
        let message = &choice["message"];
        self.id = v
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        self.model = v
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if let Some(r) = message
            .get("reasoning_content")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
        {
            self.blocks.push(Partial::Thinking(r.to_string()));
        }
        if let Some(t) = message
            .get("content")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
        {
            self.blocks.push(Partial::Text(t.to_string()));
        }
        for call in message
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.blocks.push(Partial::ToolUse {
                id: call
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                name: call
                    .pointer("/function/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                json: call
                    .pointer("/function/arguments")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            });
        }
        self.finish_reason = choice
            .get("finish_reason")
            .and_then(Value::as_str)
            .map(stop_reason);
        if let Some(u) = v.get("usage").filter(|u| u.is_object()) {
            self.usage = usage_from(u);
        }
        Ok(())
    }

    fn finish(
        self,
        request: &ModelRequest,
        prices: &PriceTable,
    ) -> Result<ModelResponse, ProviderError> {
        let mut content = Vec::with_capacity(self.blocks.len());
        for partial in self.blocks {
            content.push(match partial {
                Partial::Text(text) => ContentBlock::Text { text },
                // Local servers do not sign their reasoning.
                Partial::Thinking(thinking) => ContentBlock::Thinking {
                    thinking,
                    signature: String::new(),
                },
                Partial::ToolUse { id, name, json } => {
                    let input = if json.trim().is_empty() {
                        json!({})
                    } else {
                        serde_json::from_str(&json).map_err(|e| {
                            malformed(format!(
                                "the arguments of tool call {name} are not JSON: {e}"
                            ))
                        })?
                    };
                    ContentBlock::ToolUse { id, name, input }
                }
            });
        }
        let model = if self.model.is_empty() {
            request.model.clone()
        } else {
            self.model
        };
        let cost_usd = prices
            .cost(&model, &self.usage)
            .or_else(|| prices.cost(&request.model, &self.usage));
        Ok(ModelResponse {
            id: self.id,
            model,
            message: Message::assistant(content),
            stop_reason: self.finish_reason.unwrap_or(StopReason::EndTurn),
            stop_sequence: None,
            usage: self.usage,
            cost_usd,
            attempts: 1,
        })
    }
}
