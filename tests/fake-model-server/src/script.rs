//! The script a test hands the fake model server: which reply each request
//! gets. Owns the script's JSON shape and the choice of reply; it must never
//! know how a reply is written on the wire (see `wire`).
//!
//! A request is answered by, in order: the first rule whose conditions all
//! match and that has uses left, else the next reply in the FIFO queue, else
//! the fallback reply, else a clear 400 saying nothing was scripted.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything the server answers with. Loadable from JSON (`--script FILE`,
/// `POST /_fake/script`) or built in Rust.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    /// Replies served in order, each once.
    #[serde(default)]
    pub queue: Vec<Reply>,
    /// Checked before the queue; the first matching rule with uses left wins.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Served when no rule matches and the queue is empty.
    #[serde(default)]
    pub fallback: Option<Reply>,
    /// When set, requests carrying another key get the API's 401.
    #[serde(default)]
    pub api_key: Option<String>,
    /// What `GET /v1/models` lists (both APIs), in this order.
    #[serde(default)]
    pub models: Vec<String>,
    /// How the OpenAI-compatible endpoint behaves like a real local server
    /// that lacks a feature.
    #[serde(default)]
    pub openai_limits: OpenAiLimits,
}

/// What a local OpenAI-compatible server cannot do, and how it says so, as
/// real servers do: an older vLLM or LM Studio refuses `response_format`
/// with `json_schema`; llama.cpp ignores a named `tool_choice` object and
/// drops `tools` when the model's chat template cannot call tools; some
/// servers refuse `tool_choice: "required"`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct OpenAiLimits {
    /// `response_format: {"type": "json_schema"}` gets HTTP 400.
    pub no_json_schema: bool,
    /// `tool_choice: "required"` gets HTTP 400.
    pub no_required_tool_choice: bool,
    /// `tools` are dropped: a reply that calls a tool answers in prose
    /// with the JSON inside instead.
    pub no_tools: bool,
    /// The context window `GET /props` reports, as llama.cpp's server does
    /// (`None`: no `/props`, like other servers).
    pub n_ctx: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub when: Conditions,
    pub reply: Reply,
    /// How many requests this rule may answer; absent means every one.
    #[serde(default)]
    pub times: Option<u32>,
}

/// Conditions of a rule; all given ones must hold. Substring tests are
/// case-sensitive.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    #[serde(default)]
    pub system_contains: Option<String>,
    /// Substring of the last user message's text, tool results included.
    #[serde(default)]
    pub last_user_contains: Option<String>,
    #[serde(default)]
    pub model: Option<String>,
    /// `anthropic` or `openai`: which wire format the request used.
    #[serde(default)]
    pub api: Option<String>,
}

/// One scripted answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reply {
    /// Shorthand for a single text block, placed after `content`.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub content: Vec<Block>,
    /// Defaults to `tool_use` when the reply has a tool call, else `end_turn`.
    #[serde(default)]
    pub stop_reason: Option<String>,
    #[serde(default)]
    pub usage: Usage,
    /// Characters per delta event.
    #[serde(default = "default_chunk_size")]
    pub chunk_size: usize,
    /// Pause before each delta event.
    #[serde(default)]
    pub chunk_delay_ms: u64,
    /// Pause before the response headers.
    #[serde(default)]
    pub first_byte_delay_ms: u64,
    #[serde(default)]
    pub fault: Option<Fault>,
    /// Add an event type and a content block type the client has never seen,
    /// as a newer API would.
    #[serde(default)]
    pub unknown_events: bool,
    /// The model named in the reply; defaults to the requested one.
    #[serde(default)]
    pub model: Option<String>,
}

fn default_chunk_size() -> usize {
    16
}

impl Default for Reply {
    fn default() -> Self {
        Reply {
            text: None,
            content: Vec::new(),
            stop_reason: None,
            usage: Usage::default(),
            chunk_size: default_chunk_size(),
            chunk_delay_ms: 0,
            first_byte_delay_ms: 0,
            fault: None,
            unknown_events: false,
            model: None,
        }
    }
}

impl Reply {
    /// The same answer as a server constrained to JSON (or a model without
    /// tools) gives it: the first tool call's input as text, with `prose`
    /// around it when the model chats.
    pub fn tool_input_as_text(&self, prose: bool) -> Reply {
        let input = self.content.iter().find_map(|b| match b {
            Block::ToolUse { input, .. } => Some(input.clone()),
            _ => None,
        });
        let Some(input) = input else {
            return self.clone();
        };
        let json = input.to_string();
        Reply {
            text: Some(if prose {
                format!(
                    "Sure! Here is my answer:\n```json\n{json}\n```\nLet me know if you need more."
                )
            } else {
                json
            }),
            content: Vec::new(),
            stop_reason: Some("end_turn".into()),
            ..self.clone()
        }
    }

    pub fn text(text: impl Into<String>) -> Self {
        Reply {
            text: Some(text.into()),
            ..Reply::default()
        }
    }

    pub fn tool_use(id: impl Into<String>, name: impl Into<String>, input: Value) -> Self {
        Reply::default().with_block(Block::ToolUse {
            id: id.into(),
            name: name.into(),
            input,
        })
    }

    pub fn fault(fault: Fault) -> Self {
        Reply {
            fault: Some(fault),
            ..Reply::default()
        }
    }

    pub fn with_block(mut self, block: Block) -> Self {
        self.content.push(block);
        self
    }

    pub fn with_thinking(self, thinking: impl Into<String>, signature: impl Into<String>) -> Self {
        self.with_block(Block::Thinking {
            thinking: thinking.into(),
            signature: signature.into(),
        })
    }

    pub fn with_usage(mut self, usage: Usage) -> Self {
        self.usage = usage;
        self
    }

    pub fn with_fault(mut self, fault: Fault) -> Self {
        self.fault = Some(fault);
        self
    }

    pub fn chunked(mut self, chunk_size: usize, chunk_delay_ms: u64) -> Self {
        self.chunk_size = chunk_size.max(1);
        self.chunk_delay_ms = chunk_delay_ms;
        self
    }

    pub fn first_byte_delay(mut self, ms: u64) -> Self {
        self.first_byte_delay_ms = ms;
        self
    }

    /// The blocks in wire order: `content`, then the `text` shorthand.
    pub fn blocks(&self) -> Vec<Block> {
        let mut blocks = self.content.clone();
        if let Some(text) = &self.text {
            blocks.push(Block::Text { text: text.clone() });
        }
        blocks
    }

    pub fn stop_reason(&self) -> String {
        if let Some(reason) = &self.stop_reason {
            return reason.clone();
        }
        if self
            .blocks()
            .iter()
            .any(|b| matches!(b, Block::ToolUse { .. }))
        {
            "tool_use".into()
        } else {
            "end_turn".into()
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    Text {
        text: String,
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
}

/// Token counts the reply reports, Anthropic-style. The OpenAI rendering
/// folds cache tokens into `prompt_tokens`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    /// The part of `cache_creation_input_tokens` written for one hour
    /// (reported in `usage.cache_creation`).
    pub cache_creation_1h_input_tokens: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Usage {
            input_tokens: 10,
            output_tokens: 5,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            cache_creation_1h_input_tokens: 0,
        }
    }
}

/// What goes wrong instead of (or in the middle of) a clean reply.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Fault {
    /// Any status with the API's error envelope and extra headers.
    HttpError {
        status: u16,
        error_type: String,
        message: String,
        #[serde(default)]
        headers: BTreeMap<String, String>,
    },
    /// 429 `rate_limit_error`; `retry_after` is the header's text (seconds),
    /// `reset_after_ms` sets `anthropic-ratelimit-requests-reset` that far ahead.
    RateLimited {
        #[serde(default)]
        retry_after: Option<String>,
        #[serde(default)]
        retry_after_ms: Option<u64>,
        #[serde(default)]
        reset_after_ms: Option<u64>,
    },
    /// 529 `overloaded_error`.
    Overloaded,
    /// 500 `api_error`.
    ServerError,
    /// 401 `authentication_error`.
    Unauthorized,
    /// 413 `request_too_large`.
    TooLarge,
    /// 404 `not_found_error` naming the requested model.
    NotFound,
    /// The connection is dropped after this many events (or body bytes for
    /// a non-streaming reply), mid-message.
    CutStream { after_events: usize },
    /// The body ends cleanly after this many events, before the message is
    /// complete.
    EndStream { after_events: usize },
    /// An event whose data is not JSON, after this many good events.
    MalformedEvent { after_events: usize },
    /// An SSE `error` event after this many good events, then the stream ends.
    StreamError {
        after_events: usize,
        #[serde(default = "overloaded_error")]
        error_type: String,
        #[serde(default = "overloaded_message")]
        message: String,
    },
    /// A raw response, e.g. an HTML page from a proxy.
    Raw {
        status: u16,
        content_type: String,
        body: String,
    },
}

fn overloaded_error() -> String {
    "overloaded_error".into()
}

fn overloaded_message() -> String {
    "Overloaded".into()
}

/// A fault answered before any reply body: status, error type, message, headers.
pub struct HttpFault {
    pub status: u16,
    pub error_type: String,
    pub message: String,
    pub headers: BTreeMap<String, String>,
}

impl Fault {
    /// The HTTP error this fault stands for, if it is one.
    pub fn as_http(&self, model: &str) -> Option<HttpFault> {
        let simple = |status: u16, error_type: &str, message: String| HttpFault {
            status,
            error_type: error_type.into(),
            message,
            headers: BTreeMap::new(),
        };
        Some(match self {
            Fault::HttpError {
                status,
                error_type,
                message,
                headers,
            } => HttpFault {
                status: *status,
                error_type: error_type.clone(),
                message: message.clone(),
                headers: headers.clone(),
            },
            Fault::RateLimited {
                retry_after,
                retry_after_ms,
                reset_after_ms,
            } => {
                let mut fault = simple(
                    429,
                    "rate_limit_error",
                    "Number of request tokens has exceeded your per-minute rate limit".into(),
                );
                if let Some(value) = retry_after {
                    fault.headers.insert("retry-after".into(), value.clone());
                }
                if let Some(ms) = retry_after_ms {
                    fault
                        .headers
                        .insert("retry-after-ms".into(), ms.to_string());
                }
                if let Some(ms) = reset_after_ms {
                    fault
                        .headers
                        .insert("anthropic-ratelimit-requests-reset".into(), rfc3339_in(*ms));
                }
                fault
            }
            Fault::Overloaded => simple(529, "overloaded_error", "Overloaded".into()),
            Fault::ServerError => simple(500, "api_error", "Internal server error".into()),
            Fault::Unauthorized => simple(401, "authentication_error", "invalid x-api-key".into()),
            Fault::TooLarge => simple(
                413,
                "request_too_large",
                "Request exceeds the maximum allowed number of bytes.".into(),
            ),
            Fault::NotFound => simple(404, "not_found_error", format!("model: {model}")),
            _ => return None,
        })
    }
}

/// An RFC 3339 UTC timestamp `ms` milliseconds from now, as the rate-limit
/// reset headers carry.
fn rfc3339_in(ms: u64) -> String {
    let at = std::time::SystemTime::now() + std::time::Duration::from_millis(ms);
    let since = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as i64;
    let millis = since.subsec_millis();
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm); keeps this test crate free of a date dependency.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// What the rules look at in a request, in either wire format.
#[derive(Debug, Default)]
pub struct RequestView {
    pub api: &'static str,
    pub model: String,
    pub system: String,
    pub last_user: String,
    pub stream: bool,
}

impl RequestView {
    pub fn anthropic(body: &Value) -> Self {
        let system = match body.get("system") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(blocks)) => texts(blocks),
            _ => String::new(),
        };
        let last_user = body
            .get("messages")
            .and_then(Value::as_array)
            .and_then(|msgs| msgs.iter().rev().find(|m| m["role"] == "user"))
            .map(|m| content_text(&m["content"]))
            .unwrap_or_default();
        RequestView {
            api: "anthropic",
            model: body["model"].as_str().unwrap_or_default().to_string(),
            system,
            last_user,
            stream: body["stream"].as_bool().unwrap_or(false),
        }
    }

    pub fn openai(body: &Value) -> Self {
        let msgs = body
            .get("messages")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let system = msgs
            .iter()
            .filter(|m| m["role"] == "system" || m["role"] == "developer")
            .map(|m| content_text(&m["content"]))
            .collect::<Vec<_>>()
            .join("\n");
        let last_user = msgs
            .iter()
            .rev()
            .find(|m| m["role"] == "user" || m["role"] == "tool")
            .map(|m| content_text(&m["content"]))
            .unwrap_or_default();
        RequestView {
            api: "openai",
            model: body["model"].as_str().unwrap_or_default().to_string(),
            system,
            last_user,
            stream: body["stream"].as_bool().unwrap_or(false),
        }
    }
}

fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => texts(blocks),
        _ => String::new(),
    }
}

/// Text of text blocks and of tool results (whose content may itself be
/// a string or blocks).
fn texts(blocks: &[Value]) -> String {
    let mut out = Vec::new();
    for block in blocks {
        if let Some(text) = block.get("text").and_then(Value::as_str) {
            out.push(text.to_string());
        } else if block["type"] == "tool_result" {
            out.push(content_text(&block["content"]));
        }
    }
    out.join("\n")
}

impl Conditions {
    fn matches(&self, view: &RequestView) -> bool {
        let contains = |needle: &Option<String>, hay: &str| {
            needle.as_ref().is_none_or(|n| hay.contains(n.as_str()))
        };
        contains(&self.system_contains, &view.system)
            && contains(&self.last_user_contains, &view.last_user)
            && self.model.as_ref().is_none_or(|m| *m == view.model)
            && self.api.as_ref().is_none_or(|a| a == view.api)
    }
}

/// A script plus how far it has been consumed.
#[derive(Debug, Default)]
pub struct ScriptState {
    script: Script,
    rule_uses: Vec<u32>,
    next_in_queue: usize,
}

impl ScriptState {
    pub fn openai_limits(&self) -> OpenAiLimits {
        self.script.openai_limits.clone()
    }

    pub fn set_openai_limits(&mut self, limits: OpenAiLimits) {
        self.script.openai_limits = limits;
    }

    pub fn new(script: Script) -> Self {
        let rule_uses = vec![0; script.rules.len()];
        ScriptState {
            script,
            rule_uses,
            next_in_queue: 0,
        }
    }

    pub fn api_key(&self) -> Option<&str> {
        self.script.api_key.as_deref()
    }

    pub fn push_reply(&mut self, reply: Reply) {
        self.script.queue.push(reply);
    }

    pub fn add_rule(&mut self, rule: Rule) {
        self.script.rules.push(rule);
        self.rule_uses.push(0);
    }

    pub fn models(&self) -> &[String] {
        &self.script.models
    }

    pub fn set_models(&mut self, models: Vec<String>) {
        self.script.models = models;
    }

    pub fn set_api_key(&mut self, key: Option<String>) {
        self.script.api_key = key;
    }

    pub fn next_reply(&mut self, view: &RequestView) -> Option<Reply> {
        for (i, rule) in self.script.rules.iter().enumerate() {
            let used = self.rule_uses[i];
            if rule.times.is_some_and(|t| used >= t) || !rule.when.matches(view) {
                continue;
            }
            self.rule_uses[i] += 1;
            return Some(rule.reply.clone());
        }
        if let Some(reply) = self.script.queue.get(self.next_in_queue) {
            self.next_in_queue += 1;
            return Some(reply.clone());
        }
        self.script.fallback.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_script_is_valid() {
        let script: Script = serde_json::from_str(include_str!("../example-script.json")).unwrap();
        assert_eq!(script.rules.len(), 3);
        assert!(matches!(
            script.queue[1].fault,
            Some(Fault::CutStream { after_events: 5 })
        ));
    }

    #[test]
    fn rfc3339_dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(20_513), (2026, 3, 1));
    }
}
