//! OpenAI-compatible chat completions (`POST {base}/chat/completions`), for
//! servers users already run: Ollama, LM Studio, llama.cpp server, vLLM.
//! Translates the Anthropic-shaped conversation (tool calls, tool results,
//! system prompt) to chat messages and the streamed chunks back to the same
//! [`StreamEvent`]s, so the runtime never knows which API answered.
//! `reasoning_content` deltas (llama.cpp, vLLM) become thinking. The key is
//! optional; it is sent as a bearer token and never logged.

use std::collections::BTreeMap;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::wire::{self, Gathered, Parser, Partial, Server, Sink, Spec, Wire, WireProvider};
use super::{
    ContentBlock, Message, ModelRequest, ProviderConfig, ProviderError, ProviderKind, Role,
    StopReason, StreamEvent, ToolChoice, Usage,
};

const API: &str = "OpenAI";

/// OpenAI-compatible chat completions.
#[derive(Debug, Default)]
pub struct OpenAi;

/// The OpenAI-compatible provider, as built by the registry.
pub type OpenAiProvider = WireProvider<OpenAi>;

#[async_trait::async_trait]
impl Wire for OpenAi {
    const KIND: ProviderKind = ProviderKind::OpenAi;
    const SPEC: Spec = Spec {
        name: "openai",
        api: API,
        base_url_var: "OPENAI_BASE_URL",
        api_key_var: "OPENAI_API_KEY",
        default_base_url: "https://api.openai.com/v1",
        local: true,
        catalogue_prefix: None,
        test_model: "llama3.2",
    };
    const TURN_PATH: &'static str = "/chat/completions";
    const MODELS_PATH: &'static str = "/models";
    type Parser = Reply;

    fn headers(
        &self,
        config: &ProviderConfig,
        _request: &ModelRequest,
        headers: &mut HeaderMap,
    ) -> Result<(), ProviderError> {
        if let Some(key) = config
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
        Ok(())
    }

    fn body(&self, request: &ModelRequest) -> Value {
        request_body(request)
    }

    /// Local servers say how much context they were started with:
    /// llama.cpp in `GET /props` (`default_generation_settings.n_ctx`) or
    /// its model list (`meta.n_ctx`), vLLM as `max_model_len`, LM Studio as
    /// `loaded_context_length` / `max_context_length`, Ollama in
    /// `/api/show`, others as `context_length`.
    async fn context_tokens(&self, server: &Server<'_>, model: &str) -> Option<u32> {
        let (base, root) = (server.base(), server.root());
        let as_u32 = |v: &Value| {
            v.as_u64()
                .filter(|n| *n > 0 && *n < u64::from(u32::MAX))
                .map(|n| n as u32)
        };
        if let Ok(props) = server.get_json(root, "/props").await {
            let n = &props["default_generation_settings"];
            if let Some(n) = as_u32(&n["n_ctx"]).or_else(|| as_u32(&props["n_ctx"])) {
                return Some(n);
            }
        }
        // Ollama says it in its own `/api/show`: the `num_ctx` it runs the
        // model with; without one it serves 4,096 at most, whatever the
        // model could hold.
        if let Ok(show) = server
            .post_json(root, "/api/show", &json!({"model": model}))
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
        let list = server.get_json(base, "/models").await.ok()?;
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
    async fn supports_tools(&self, server: &Server<'_>, _model: &str) -> Option<bool> {
        let props = server.get_json(server.root(), "/props").await.ok()?;
        let caps = &props["chat_template_caps"];
        caps["supports_tool_calls"]
            .as_bool()
            .or_else(|| caps["supports_tools"].as_bool())
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

#[derive(Debug, Default)]
pub struct Reply {
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
    wire::malformed(API, detail)
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
        let initial = new.initial_block();
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
                |p| matches!(p, Partial::Thinking { .. }),
                Partial::Thinking {
                    thinking: String::new(),
                    signature: String::new(),
                },
                on_event,
            );
            if let Partial::Thinking { thinking: s, .. } = &mut self.blocks[i] {
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
            // Local servers do not sign their reasoning.
            self.blocks.push(Partial::Thinking {
                thinking: r.to_string(),
                signature: String::new(),
            });
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
}

impl Parser for Reply {
    fn event(
        &mut self,
        _name: &str,
        data: &str,
        on_event: Sink<'_>,
    ) -> Result<bool, ProviderError> {
        if data.trim() == "[DONE]" {
            self.done = true;
            return Ok(true);
        }
        self.chunk(data, on_event)?;
        Ok(false)
    }

    /// Complete means a finish reason or the `[DONE]` marker; a body that
    /// just stops is a cut, never a short answer.
    fn end(&mut self, on_event: Sink<'_>) -> Result<(), ProviderError> {
        if self.finish_reason.is_none() && !self.done {
            return Err(ProviderError::Truncated);
        }
        self.close_open(on_event);
        on_event(StreamEvent::MessageDelta {
            stop_reason: self.finish_reason.clone(),
            usage: self.usage,
        });
        on_event(StreamEvent::MessageStop);
        Ok(())
    }

    fn whole(&mut self, body: &[u8]) -> Result<(), ProviderError> {
        Reply::whole(self, body)
    }

    fn finish(self) -> Gathered {
        Gathered {
            id: self.id,
            model: self.model,
            blocks: self.blocks,
            stop_reason: self.finish_reason,
            stop_sequence: None,
            usage: self.usage,
            bad_input: Some(|name, e| {
                format!("the arguments of tool call {name} are not JSON: {e}")
            }),
        }
    }
}
