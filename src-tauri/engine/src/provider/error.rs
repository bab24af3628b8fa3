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

    #[error(
        "the base URL '{}' is not a valid http(s) URL: fix it in Settings or {env_var}",
        crate::redact::mask_url_credentials(url)
    )]
    BadBaseUrl { url: String, env_var: &'static str },

    #[error("API key rejected: {fix} ({message})")]
    Unauthorized { message: String, fix: KeyFix },

    #[error(
        "the API key is not allowed to do this: check its permissions in the provider's console ({message})"
    )]
    Forbidden { message: String },

    #[error(
        "model or endpoint not found: check the model name in the agent's settings and the base URL ({message})"
    )]
    NotFound { message: String },

    #[error(
        "request too large for the model API: shorten the task or the files and memory it brings in, or start a new session ({message})"
    )]
    TooLarge { message: String },

    #[error("the model API refused the request (HTTP {status}): {message}")]
    InvalidRequest { status: u16, message: String },

    /// The prompt and the answer asked for do not fit the model's context.
    #[error(
        "the conversation no longer fits the model's context window: start a new session or shorten the task, pick a model with a larger context, or set the context size in the agent's settings if the server was started with a larger one ({message})"
    )]
    ContextOverflow { message: String },

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
        "cannot reach the model API at {}: check the base URL in Settings and that the server is running",
        crate::redact::mask_url_credentials(url)
    )]
    Unreachable { url: String },

    #[error("the model API did not answer within {} s: check the connection and that the server is running, then try again", after.as_secs_f32())]
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

/// What to do about a rejected key, which depends on where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyFix {
    /// Where the key came from is not known here.
    Settings,
    /// From this environment variable, which overrides Settings.
    Environment(&'static str),
    /// From the OS keychain, where Settings saved it.
    Keychain,
}

impl std::fmt::Display for KeyFix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyFix::Settings => f.write_str("update it in Settings"),
            KeyFix::Environment(var) => write!(
                f,
                "the key comes from the {var} environment variable; set a valid key there, or remove the variable to use the key saved in Settings"
            ),
            KeyFix::Keychain => f.write_str(
                "the key saved in Settings (the system keychain) was refused; paste a valid one in Settings or run `reverie key set`",
            ),
        }
    }
}

impl ProviderError {
    /// A rejected key, when where it came from is not known.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ProviderError::Unauthorized {
            message: message.into(),
            fix: KeyFix::Settings,
        }
    }

    /// Says where a rejected key came from, so the advice fits.
    pub fn with_key_fix(self, fix: KeyFix) -> Self {
        match self {
            ProviderError::Unauthorized { message, .. } => {
                ProviderError::Unauthorized { message, fix }
            }
            ProviderError::GaveUp { attempts, last } => ProviderError::GaveUp {
                attempts,
                last: Box::new(last.with_key_fix(fix)),
            },
            other => other,
        }
    }

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
            let reason = reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .map(|r| format!(" {r}"))
                .unwrap_or_default();
            let trimmed = body.trim();
            if trimmed.is_empty() {
                format!("HTTP {status}{reason} with an empty body")
            } else if looks_like_html(trimmed) {
                // A proxy's or gateway's error page: its markup helps nobody.
                format!(
                    "HTTP {status}{reason}; the server sent a web page instead of an API answer"
                )
            } else {
                let text: String = trimmed
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .take(200)
                    .collect();
                format!(
                    "HTTP {status}{reason}: {}",
                    crate::redact::mask_url_credentials(&text)
                )
            }
        });
        let lower = message.to_ascii_lowercase();
        let overflow = [
            "exceed_context_size",
            "exceeds the context",
            "context length",
            "context_length_exceeded",
            "maximum context",
            "context window",
            "too many tokens",
            "n_ctx",
        ]
        .iter()
        .any(|w| lower.contains(w));
        if overflow && matches!(status, 400 | 413 | 422) {
            return ProviderError::ContextOverflow { message };
        }
        match status {
            401 => ProviderError::unauthorized(message),
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

/// An HTML page rather than an API's JSON or text.
fn looks_like_html(body: &str) -> bool {
    let head: String = body
        .chars()
        .take(300)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype")
        || head.starts_with("<html")
        || head.contains("<body")
        || head.contains("<head")
        || (head.starts_with('<') && head.contains("</"))
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
                .starts_with("request too large for the model API: shorten the task")
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

    #[test]
    fn an_html_error_page_becomes_a_sentence_with_the_status() {
        let page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
        let err = ProviderError::from_status(502, page, None);
        let text = err.to_string();
        assert_eq!(
            text,
            "the model API failed with HTTP 502: try again later (HTTP 502 Bad Gateway; the server sent a web page instead of an API answer)"
        );
        assert!(!text.contains('<'), "{text}");
        let err = ProviderError::from_status(503, "upstream down", None);
        assert!(
            err.to_string()
                .contains("HTTP 503 Service Unavailable: upstream down")
        );
    }

    #[test]
    fn a_rejected_key_says_where_it_came_from() {
        let err = ProviderError::from_status(401, "", None)
            .with_key_fix(KeyFix::Environment("ANTHROPIC_API_KEY"));
        let text = err.to_string();
        assert!(
            text.contains("ANTHROPIC_API_KEY environment variable"),
            "{text}"
        );
        assert!(!text.contains("update it in Settings"), "{text}");
        let err = ProviderError::from_status(401, "", None).with_key_fix(KeyFix::Keychain);
        assert!(
            err.to_string()
                .contains("saved in Settings (the system keychain)")
        );
    }

    #[test]
    fn no_advice_about_a_timeout_nobody_can_change() {
        let text = ProviderError::Timeout {
            after: Duration::from_secs(90),
        }
        .to_string();
        assert!(!text.contains("raise the timeout"), "{text}");
    }

    #[test]
    fn credentials_in_urls_never_reach_a_message() {
        let err = ProviderError::Unreachable {
            url: "https://user:sk-ant-secret@proxy.example/v1".into(),
        };
        let text = err.to_string();
        assert!(!text.contains("sk-ant-secret"), "{text}");
        assert!(text.contains("proxy.example"), "{text}");
        let err = ProviderError::BadBaseUrl {
            url: "ftp://me:hunter2@x".into(),
            env_var: "ANTHROPIC_BASE_URL",
        };
        assert!(!err.to_string().contains("hunter2"));
    }
}
