//! One structured answer (a JSON object that fits a tool's schema) from any
//! server. Dreams, the grader and every other call that needs structured
//! data ask here.
//!
//! Anthropic forces the tool by name. OpenAI-compatible servers differ:
//! llama.cpp, vLLM, LM Studio and Ollama constrain output with
//! `response_format: {"type": "json_schema"}`; some refuse that but accept
//! `tool_choice: "required"` with the single tool; a model whose chat
//! template cannot call tools only answers in prose. So the forms are
//! tried in that order — JSON schema, required tool, a prompt asking for
//! JSON read tolerantly — and what worked is remembered per server and
//! model for the rest of the process. It never validates the answer
//! itself: callers do, and retry with the validation error.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::{
    ModelRequest, ModelResponse, Provider, ProviderError, ProviderKind, StreamEvent, ToolChoice,
};

/// How a structured answer was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// `tool_choice` naming the tool (Anthropic).
    NamedTool,
    /// `response_format` with the tool's JSON Schema.
    JsonSchema,
    /// `tool_choice: "required"` with the tool as the only one.
    RequiredTool,
    /// Instructions to answer with JSON only, read tolerantly.
    JsonPrompt,
}

impl Form {
    pub fn describe(self) -> &'static str {
        match self {
            Form::NamedTool => "a forced tool call",
            Form::JsonSchema => "JSON constrained by a schema",
            Form::RequiredTool => "a required tool call",
            Form::JsonPrompt => "JSON asked for in the prompt",
        }
    }
}

/// What the server answered.
pub struct StructuredReply {
    /// The tool's input (or the JSON object), when the answer held one.
    pub input: Option<Value>,
    /// Every response received on the way (for usage and cost), the one
    /// that answered last.
    pub responses: Vec<ModelResponse>,
    pub form: Form,
}

/// What each server and model was last answered in.
static LEARNED: LazyLock<Mutex<HashMap<String, Form>>> = LazyLock::new(Default::default);

fn key(provider: &dyn Provider, model: &str) -> String {
    format!(
        "{}\u{0}{}\u{0}{model}",
        provider.kind().as_str(),
        provider.identity()
    )
}

/// Asks for `request`'s single tool (it must have exactly one) in the
/// first form the server supports.
pub async fn ask(
    provider: &dyn Provider,
    request: &ModelRequest,
    cancel: &CancellationToken,
) -> Result<StructuredReply, ProviderError> {
    let tool = request
        .tools
        .first()
        .expect("a structured request carries its tool");
    if provider.kind() == ProviderKind::Anthropic {
        let mut r = request.clone();
        r.tool_choice = Some(ToolChoice::Tool {
            name: tool.name.clone(),
        });
        let response = provider.stream_turn(&r, cancel, &mut ignore).await?;
        let input = tool_input(&response, &tool.name);
        return Ok(StructuredReply {
            input,
            responses: vec![response],
            form: Form::NamedTool,
        });
    }
    let k = key(provider, &request.model);
    let learned = *LEARNED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&k)
        .unwrap_or(&Form::JsonSchema);
    let order = [Form::JsonSchema, Form::RequiredTool, Form::JsonPrompt];
    let start = order.iter().position(|f| *f == learned).unwrap_or(0);
    let mut responses = Vec::new();
    let mut last_error = None;
    for &form in &order[start..] {
        let r = in_form(request, form);
        let response = match provider.stream_turn(&r, cancel, &mut ignore).await {
            Ok(response) => response,
            // The server refused this form: try the next one.
            Err(e) if refuses_form(&e) && form != Form::JsonPrompt => {
                last_error = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        let input = tool_input(&response, &tool.name).or_else(|| json_in_text(&response));
        responses.push(response);
        if input.is_some() || form == Form::JsonPrompt {
            if input.is_some() {
                LEARNED
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(k.clone(), form);
            }
            return Ok(StructuredReply {
                input,
                responses,
                form,
            });
        }
        // It answered, but not in the asked shape (tools dropped, format
        // ignored): the next form.
    }
    match (responses.is_empty(), last_error) {
        (true, Some(e)) => Err(e),
        _ => Ok(StructuredReply {
            input: None,
            responses,
            form: Form::JsonPrompt,
        }),
    }
}

fn ignore(_: StreamEvent) {}

/// `request` asked in `form`.
fn in_form(request: &ModelRequest, form: Form) -> ModelRequest {
    let tool = &request.tools[0];
    let mut r = request.clone();
    match form {
        Form::NamedTool => {
            r.tool_choice = Some(ToolChoice::Tool {
                name: tool.name.clone(),
            })
        }
        Form::RequiredTool => r.tool_choice = Some(ToolChoice::Any),
        Form::JsonSchema => {
            r.tools = Vec::new();
            r.tool_choice = None;
            r.response_format = Some(json!({
                "type": "json_schema",
                "json_schema": {"name": tool.name, "schema": tool.input_schema, "strict": true}
            }));
        }
        Form::JsonPrompt => {
            r.tools = Vec::new();
            r.tool_choice = None;
            let ask = format!(
                "Answer with one JSON object and nothing else (no prose, no code fence). It is the input of `{}` ({}) and must match this JSON Schema:\n{}",
                tool.name,
                tool.description.as_deref().unwrap_or(""),
                tool.input_schema
            );
            r.system = Some(match &r.system {
                Some(s) => format!("{s}\n\n{ask}"),
                None => ask,
            });
        }
    }
    r
}

/// Whether an error says the server does not take this way of asking.
fn refuses_form(e: &ProviderError) -> bool {
    let message = match e {
        ProviderError::InvalidRequest { message, .. } => message,
        ProviderError::NotFound { .. } => return false,
        ProviderError::GaveUp { last, .. } => return refuses_form(last),
        _ => return false,
    };
    let m = message.to_ascii_lowercase();
    [
        "response_format",
        "json_schema",
        "tool_choice",
        "tools",
        "not supported",
        "unsupported",
        "grammar",
    ]
    .iter()
    .any(|w| m.contains(w))
}

fn tool_input(response: &ModelResponse, name: &str) -> Option<Value> {
    response
        .message
        .tool_uses()
        .find(|(_, n, _)| *n == name)
        .map(|(_, _, input)| input.clone())
}

/// The first JSON object in the reply's text: bare, in a code fence, or
/// inside prose.
pub fn json_in_text(response: &ModelResponse) -> Option<Value> {
    let text: String = response
        .message
        .content
        .iter()
        .filter_map(|b| match b {
            super::ContentBlock::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    first_json_object(&text)
}

/// The first balanced `{…}` in `text` that parses as a JSON object.
pub fn first_json_object(text: &str) -> Option<Value> {
    let bytes = text.as_bytes();
    let mut start = 0;
    while let Some(open) = text[start..].find('{').map(|i| start + i) {
        let (mut depth, mut in_string, mut escaped) = (0i32, false, false);
        for (i, &b) in bytes.iter().enumerate().skip(open) {
            if in_string {
                match b {
                    _ if escaped => escaped = false,
                    b'\\' => escaped = true,
                    b'"' => in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        if let Ok(v @ Value::Object(_)) = serde_json::from_str(&text[open..=i]) {
                            return Some(v);
                        }
                        break;
                    }
                }
                _ => {}
            }
        }
        start = open + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_found_in_prose_and_fences() {
        for text in [
            r#"{"a": 1}"#,
            "Sure! Here it is:\n```json\n{\"a\": 1}\n```\nAnything else?",
            "The answer {not json} is {\"a\": 1} ok",
            "{\"a\": 1, \"s\": \"a } brace\"}",
        ] {
            let v = first_json_object(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(v["a"], 1, "{text}");
        }
        assert!(first_json_object("no json here").is_none());
    }
}
