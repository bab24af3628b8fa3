//! What can go wrong when asking a model, each as one sentence that says what
//! to do. Owns the mapping from HTTP status and the API's error envelope to a
//! [`ProviderError`], and which errors are worth retrying. It never includes
//! an API key or a request body in a message.

use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("no API key for {provider}: add one in Settings or set {env_var}")]
    MissingKey {
        provider: &'static str,
        env_var: &'static str,
    },

    /// The keychain could not be read; its message says what to do.
    #[error("{detail}")]
    Keychain { detail: String },

    #[error("the base URL '{url}' is not a valid http(s) URL: fix it in Settings or {env_var}")]
    BadBaseUrl { url: String, env_var: &'static str },

    #[error("API key rejected: update it in Settings ({message})")]
    Unauthorized { message: String },

    #[error(
        "the API key is not allowed to do this: check its permissions in the provider's console ({message})"
    )]
    Forbidden { message: String },

    #[error(
        "model or endpoint not found: check the model name in the agent's settings and the base URL ({message})"
    )]
    NotFound { message: String },

    #[error("request too large: lower the history budget ({message})")]
    TooLarge { message: String },

    #[error("the model API refused the request (HTTP {status}): {message}")]
    InvalidRequest { status: u16, message: String },

    #[error("rate limited by the model API: wait a minute or run fewer agents at once ({message})")]
    RateLimited {
        message: String,
        retry_after: Option<Duration>,
    },

    #[error("the model API is overloaded: try again in a few minutes ({message})")]
    Overloaded {
        message: String,
        retry_after: Option<Duration>,
    },

    #[error("the model API failed with HTTP {status}: try again later ({message})")]
    Server {
        status: u16,
        message: String,
        retry_after: Option<Duration>,
    },

    #[error(
        "cannot reach the model API at {url}: check the base URL in Settings and that the server is running"
    )]
    Unreachable { url: String },

    #[error("the model API did not answer within {} s: check the connection, or raise the timeout", after.as_secs_f32())]
    Timeout { after: Duration },

    #[error("the connection to the model API dropped mid-reply ({detail}): try again")]
    Disconnected { detail: String },

    #[error("the model's reply stopped before it was complete: try again")]
    Truncated,

    #[error("the model API reported an error mid-reply: {message} ({error_type}); try again")]
    StreamError { error_type: String, message: String },

    #[error(
        "the model API sent a reply Reverie cannot read ({detail}): check that the base URL points at an {api}-compatible server"
    )]
    Malformed { api: &'static str, detail: String },

    #[error("the turn was cancelled")]
    Cancelled,

    #[error("{last} (gave up after {attempts} attempts)")]
    GaveUp {
        attempts: u32,
        last: Box<ProviderError>,
    },

    #[error(
        "the price table {path} is not valid ({detail}): fix it or delete it to use the built-in prices"
    )]
    Prices { path: String, detail: String },
}

impl ProviderError {
    /// Worth another attempt of the same request.
    pub fn is_retryable(&self) -> bool {
        match self {
            ProviderError::RateLimited { .. }
            | ProviderError::Overloaded { .. }
            | ProviderError::Server { .. }
            | ProviderError::Unreachable { .. }
            | ProviderError::Timeout { .. }
            | ProviderError::Disconnected { .. }
            | ProviderError::Truncated => true,
            ProviderError::StreamError { error_type, .. } => {
                matches!(
                    error_type.as_str(),
                    "overloaded_error" | "api_error" | "rate_limit_error" | "server_error"
                )
            }
            _ => false,
        }
    }

    /// The wait the server asked for, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ProviderError::RateLimited { retry_after, .. }
            | ProviderError::Overloaded { retry_after, .. }
            | ProviderError::Server { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The error itself, looking through [`ProviderError::GaveUp`].
    pub fn root(&self) -> &ProviderError {
        match self {
            ProviderError::GaveUp { last, .. } => last.root(),
            other => other,
        }
    }

    /// The error for an HTTP error status, from the message in the body's
    /// error envelope (`{"type":"error","error":{"type","message"}}`, or
    /// OpenAI's `{"error":{"message"}}` / `{"error":"..."}`).
    pub fn from_status(status: u16, body: &str, retry_after: Option<Duration>) -> Self {
        let message = envelope_message(body).unwrap_or_else(|| {
            let trimmed: String = body.trim().chars().take(200).collect();
            if trimmed.is_empty() {
                format!("HTTP {status} with an empty body")
            } else {
                trimmed
            }
        });
        match status {
            401 => ProviderError::Unauthorized { message },
            403 => ProviderError::Forbidden { message },
            404 => ProviderError::NotFound { message },
            413 => ProviderError::TooLarge { message },
            429 => ProviderError::RateLimited {
                message,
                retry_after,
            },
            529 => ProviderError::Overloaded {
                message,
                retry_after,
            },
            s if s >= 500 => ProviderError::Server {
                status,
                message,
                retry_after,
            },
            _ => ProviderError::InvalidRequest { status, message },
        }
    }

    pub(crate) fn from_reqwest(err: &reqwest::Error, url: &str, timeout: Duration) -> Self {
        if err.is_timeout() {
            ProviderError::Timeout { after: timeout }
        } else if err.is_connect() {
            ProviderError::Unreachable {
                url: url.to_string(),
            }
        } else {
            ProviderError::Disconnected {
                detail: root_cause(err),
            }
        }
    }
}

/// The innermost cause in words, e.g. "the server closed the connection",
/// without the operating system's error numbers.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    plain_cause(&cur.to_string())
}

/// "Connection reset by peer (os error 104)" -> "the server closed the
/// connection": OS codes dropped, the usual causes said plainly.
pub(crate) fn plain_cause(cause: &str) -> String {
    let mut text = cause.trim().to_string();
    while let Some(at) = text.find("(os error") {
        let end = text[at..]
            .find(')')
            .map(|e| at + e + 1)
            .unwrap_or(text.len());
        text.replace_range(at..end, "");
        text = text.trim().to_string();
    }
    let lower = text.to_lowercase();
    let plain = [
        ("connection reset", "the server closed the connection"),
        ("broken pipe", "the server closed the connection"),
        ("connection refused", "the server refused the connection"),
        ("connection aborted", "the connection was cut"),
        ("network is unreachable", "the network is unreachable"),
        ("timed out", "the connection timed out"),
        (
            "unexpected eof",
            "the server closed the connection before the reply was complete",
        ),
        (
            "end of file",
            "the server closed the connection before the reply was complete",
        ),
    ];
    for (needle, words) in plain {
        if lower.contains(needle) {
            return words.to_string();
        }
    }
    if text.is_empty() {
        "the connection was lost".to_string()
    } else {
        text
    }
}

fn envelope_message(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    let error = v.get("error")?;
    if let Some(s) = error.as_str() {
        return Some(s.to_string());
    }
    let message = error.get("message")?.as_str()?;
    Some(match error.get("type").and_then(|t| t.as_str()) {
        Some(kind) if !kind.is_empty() => format!("{kind}: {message}"),
        _ => message.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_causes_are_sentences_without_os_codes() {
        assert_eq!(
            plain_cause("Connection reset by peer (os error 104)"),
            "the server closed the connection"
        );
        assert_eq!(
            plain_cause("Connection refused (os error 111)"),
            "the server refused the connection"
        );
        assert_eq!(plain_cause("something odd (os error 5)"), "something odd");
        let e = ProviderError::Disconnected {
            detail: plain_cause("Connection reset by peer (os error 104)"),
        };
        assert!(!e.to_string().contains("os error"), "{e}");
    }

    #[test]
    fn envelope_messages_are_used() {
        let body = r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#;
        let err = ProviderError::from_status(401, body, None);
        assert_eq!(
            err.to_string(),
            "API key rejected: update it in Settings (authentication_error: invalid x-api-key)"
        );
        assert!(!err.is_retryable());
        let err = ProviderError::from_status(413, "<html>too big</html>", None);
        assert!(
            err.to_string()
                .starts_with("request too large: lower the history budget")
        );
        let err = ProviderError::from_status(404, r#"{"error":"model 'x' not found"}"#, None);
        assert!(err.to_string().contains("model 'x' not found"));
    }

    #[test]
    fn retryable_statuses() {
        for status in [429, 500, 502, 503, 504, 529] {
            assert!(
                ProviderError::from_status(status, "", None).is_retryable(),
                "{status}"
            );
        }
        for status in [400, 401, 403, 404, 413, 422] {
            assert!(
                !ProviderError::from_status(status, "", None).is_retryable(),
                "{status}"
            );
        }
    }
}
