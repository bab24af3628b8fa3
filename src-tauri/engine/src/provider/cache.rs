//! Prompt-cache breakpoints for the Anthropic API: where `cache_control`
//! goes in a request body. At most 4 per request (the API's limit): the
//! last tool, the system prompt, and the end of the history's stable
//! prefix (the last message, and the previous user turn so the prefix
//! written last time is read back). Never on thinking blocks, which the
//! API refuses to mark.

use serde_json::{Value, json};

use super::CachePolicy;

pub const MAX_BREAKPOINTS: usize = 4;

/// Mark `body` (an Anthropic request with `system` already an array of
/// text blocks) according to `policy`.
pub fn apply(body: &mut Value, policy: CachePolicy) {
    let marker = match policy {
        CachePolicy::Off => return,
        CachePolicy::Auto => json!({"type": "ephemeral"}),
        CachePolicy::AutoOneHour => json!({"type": "ephemeral", "ttl": "1h"}),
    };
    let mut budget = MAX_BREAKPOINTS;
    let mut mark = |target: Option<&mut Value>| {
        if budget == 0 {
            return;
        }
        if let Some(Value::Object(obj)) = target {
            obj.insert("cache_control".into(), marker.clone());
            budget -= 1;
        }
    };
    mark(
        body.get_mut("tools")
            .and_then(Value::as_array_mut)
            .and_then(|t| t.last_mut()),
    );
    mark(
        body.get_mut("system")
            .and_then(Value::as_array_mut)
            .and_then(|s| s.last_mut()),
    );

    let Some(messages) = body.get_mut("messages").and_then(Value::as_array_mut) else {
        return;
    };
    let last = messages.len().checked_sub(1);
    // The user turn before the last message: the end of last call's prefix.
    let previous_user =
        last.and_then(|last| messages[..last].iter().rposition(|m| m["role"] == "user"));
    for i in [last, previous_user].into_iter().flatten() {
        mark(markable_block(&mut messages[i]));
    }
}

fn markable_block(message: &mut Value) -> Option<&mut Value> {
    message
        .get_mut("content")
        .and_then(Value::as_array_mut)?
        .iter_mut()
        .rev()
        .find(|b| !matches!(b["type"].as_str(), Some("thinking" | "redacted_thinking")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(v: &Value) -> usize {
        match v {
            Value::Object(o) => o
                .iter()
                .map(|(k, v)| usize::from(k == "cache_control") + count(v))
                .sum(),
            Value::Array(a) => a.iter().map(count).sum(),
            _ => 0,
        }
    }

    #[test]
    fn marks_tools_system_and_history_within_the_limit() {
        let mut body = json!({
            "tools": [{"name": "a"}, {"name": "b"}],
            "system": [{"type": "text", "text": "s"}],
            "messages": [
                {"role": "user", "content": [{"type": "text", "text": "1"}]},
                {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "x"}, {"type": "tool_use", "id": "t1", "name": "a", "input": {}}]},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "ok"}]},
                {"role": "assistant", "content": [{"type": "text", "text": "2"}, {"type": "thinking", "thinking": "t", "signature": "x"}]},
            ],
        });
        apply(&mut body, CachePolicy::Auto);
        assert_eq!(count(&body), 4);
        assert!(body["tools"][1]["cache_control"].is_object());
        assert!(body["tools"][0].get("cache_control").is_none());
        assert!(body["system"][0]["cache_control"].is_object());
        assert!(
            body["messages"][3]["content"][0]["cache_control"].is_object(),
            "skips the thinking block"
        );
        assert!(body["messages"][2]["content"][0]["cache_control"].is_object());
    }

    #[test]
    fn off_marks_nothing_and_short_requests_mark_what_exists() {
        let mut body =
            json!({"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]});
        apply(&mut body.clone(), CachePolicy::Off);
        apply(&mut body, CachePolicy::AutoOneHour);
        assert_eq!(count(&body), 1);
        assert_eq!(
            body["messages"][0]["content"][0]["cache_control"]["ttl"],
            "1h"
        );
    }
}
