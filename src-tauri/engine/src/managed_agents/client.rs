//! The HTTP side of the bridge: one typed call per Managed Agents endpoint
//! the bridge uses, each sent with `x-api-key`, `anthropic-version` and the
//! endpoint's `anthropic-beta` header, over the providers' shared `reqwest`
//! client. Rate limits and overloads are retried with backoff (honouring
//! `retry-after`), as are connection failures and server errors on reads; a
//! write is retried only when the server cannot have acted on it.
//! Cancellation drops the request in flight. Errors keep their HTTP status
//! so the bridge can tell a failed precondition (409/412) from the rest.

use std::time::Duration;

use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::wire::*;
use crate::Error;
use crate::provider::http;
use crate::provider::retry::Retrier;
use crate::provider::{ProviderConfig, ProviderError, RetryPolicy};

const ANTHROPIC_VERSION: &str = "2023-06-01";
const BASE_URL_VAR: &str = "ANTHROPIC_BASE_URL";

/// What went wrong with one call.
#[derive(Debug)]
pub enum CallError {
    /// The server answered with an error status.
    Status {
        status: u16,
        error: ProviderError,
    },
    /// Not answered (unreachable, timed out, dropped) or not readable.
    Transport(ProviderError),
    Cancelled,
}

impl CallError {
    pub fn status(&self) -> Option<u16> {
        match self {
            CallError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// A `content_sha256` precondition failed, or the path is taken.
    pub fn is_precondition(&self) -> bool {
        matches!(self.status(), Some(409 | 412))
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The error for people, saying what the bridge was doing.
    pub fn into_error(self, doing: &str) -> Error {
        let detail = |e: &ProviderError| match e {
            ProviderError::Unauthorized { message, .. }
            | ProviderError::Forbidden { message }
            | ProviderError::NotFound { message }
            | ProviderError::TooLarge { message }
            | ProviderError::InvalidRequest { message, .. }
            | ProviderError::RateLimited { message, .. }
            | ProviderError::Overloaded { message, .. }
            | ProviderError::Server { message, .. } => message.clone(),
            other => other.to_string(),
        };
        match self {
            CallError::Cancelled => Error::Invalid(format!("{doing} was canceled")),
            CallError::Transport(e) => match e.root() {
                ProviderError::Unreachable { url } => Error::Remote(format!(
                    "cannot reach Claude Managed Agents at {url} while {doing}: check the connection and the base URL (ANTHROPIC_BASE_URL or Settings)"
                )),
                root => Error::Remote(format!(
                    "Claude Managed Agents did not answer while {doing} ({root}); try again"
                )),
            },
            CallError::Status { status, error } => {
                let message = detail(error.root());
                match status {
                    401 => Error::Remote(format!(
                        "Claude Managed Agents refused the Anthropic API key while {doing} ({message}); update it with `reverie key set anthropic` or in Settings"
                    )),
                    403 => Error::Remote(format!(
                        "the Anthropic API key may not do this on Claude Managed Agents while {doing} ({message}); check the key's workspace and permissions in the Claude Console"
                    )),
                    404 => Error::Remote(format!(
                        "Claude Managed Agents has no such object while {doing} ({message}); check the id"
                    )),
                    409 | 412 => Error::Conflict(format!(
                        "Claude Managed Agents refused a change while {doing} because the object changed ({message}); sync again"
                    )),
                    429 | 529 => Error::Remote(format!(
                        "Claude Managed Agents is busy (HTTP {status}) while {doing}, even after retries ({message}); try again in a few minutes"
                    )),
                    s if s >= 500 => Error::Remote(format!(
                        "Claude Managed Agents failed with HTTP {s} while {doing} ({message}); try again later"
                    )),
                    s => Error::Invalid(format!(
                        "Claude Managed Agents refused the request (HTTP {s}) while {doing}: {message}"
                    )),
                }
            }
        }
    }
}

/// A client for one base URL and key.
#[derive(Clone)]
pub struct Client {
    config: ProviderConfig,
    key: SecretString,
    timeout: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.config.base_url)
            .finish()
    }
}

impl Client {
    pub fn new(base_url: String, key: SecretString) -> Result<Self, Error> {
        http::endpoint(&base_url, "/v1/memory_stores", BASE_URL_VAR)
            .map_err(|e| Error::Invalid(e.to_string()))?;
        Ok(Client {
            config: ProviderConfig::new(base_url, None),
            key,
            timeout: Duration::from_secs(60),
        })
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.config.retry = retry;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.config.base_url
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Result<Url, CallError> {
        let mut url = http::endpoint(&self.config.base_url, path, BASE_URL_VAR)
            .map_err(CallError::Transport)?;
        if !query.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        Ok(url)
    }

    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&bytes::Bytes>,
        beta: &str,
    ) -> Result<bytes::Bytes, CallError> {
        let mut request = http::client()
            .request(method.clone(), url.clone())
            .header("x-api-key", self.key.expose_secret())
            .header("anthropic-version", ANTHROPIC_VERSION)
            .header("anthropic-beta", beta)
            .header("accept", "application/json");
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.clone());
        }
        let response = http::send(request, self.timeout, &self.config, url)
            .await
            .map_err(|error| match status_of(&error) {
                Some(status) => CallError::Status { status, error },
                None => CallError::Transport(error),
            })?;
        http::body(response, &self.config, url)
            .await
            .map_err(CallError::Transport)
    }

    /// One call, retried under the policy, abandoned when `cancel` fires.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&impl Serialize>,
        beta: &str,
        cancel: &CancellationToken,
    ) -> Result<T, CallError> {
        let url = self.url(path, query)?;
        let body = body
            .map(|b| serde_json::to_vec(b).map(bytes::Bytes::from))
            .transpose()
            .map_err(|e| {
                CallError::Transport(ProviderError::Malformed {
                    api: "Claude Managed Agents",
                    detail: e.to_string(),
                })
            })?;
        let mut retrier = Retrier::new(&self.config.retry);
        loop {
            let result = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Err(CallError::Cancelled),
                r = self.attempt(&method, &url, body.as_ref(), beta) => r,
            };
            let err = match result {
                Ok(bytes) => {
                    return serde_json::from_slice(&bytes).map_err(|e| {
                        CallError::Transport(ProviderError::Malformed {
                            api: "Claude Managed Agents",
                            detail: e.to_string(),
                        })
                    });
                }
                Err(err) => err,
            };
            let provider_error = match &err {
                CallError::Status { error, .. } | CallError::Transport(error) => error,
                CallError::Cancelled => return Err(err),
            };
            if !safe_to_retry(&method, provider_error) {
                return Err(err);
            }
            match retrier.next_delay(provider_error) {
                Some(delay) => {
                    tracing::info!(path, ?delay, error = %provider_error, "Managed Agents call retried");
                    tokio::select! {
                        biased;
                        _ = cancel.cancelled() => return Err(CallError::Cancelled),
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
                None => return Err(err),
            }
        }
    }

    // ---- memory stores ----

    pub async fn create_store(
        &self,
        params: &MemoryStoreCreateParams<'_>,
        cancel: &CancellationToken,
    ) -> Result<MemoryStore, CallError> {
        self.call(
            Method::POST,
            "/v1/memory_stores",
            &[],
            Some(params),
            MEMORY_BETA,
            cancel,
        )
        .await
    }

    pub async fn store(
        &self,
        id: &str,
        cancel: &CancellationToken,
    ) -> Result<MemoryStore, CallError> {
        let path = format!("/v1/memory_stores/{}", segment(id));
        self.call(Method::GET, &path, &[], None::<&()>, MEMORY_BETA, cancel)
            .await
    }

    pub async fn list_stores(
        &self,
        limit: u32,
        cancel: &CancellationToken,
    ) -> Result<Page<MemoryStore>, CallError> {
        let query = [("limit", limit.to_string())];
        self.call(
            Method::GET,
            "/v1/memory_stores",
            &query,
            None::<&()>,
            MEMORY_BETA,
            cancel,
        )
        .await
    }

    // ---- memories ----

    /// Every memory of a store (`view=basic`: paths and hashes, no content).
    pub async fn all_memories(
        &self,
        store_id: &str,
        cancel: &CancellationToken,
    ) -> Result<Vec<Memory>, CallError> {
        let path = format!("/v1/memory_stores/{}/memories", segment(store_id));
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut query = vec![("view", "basic".to_string()), ("limit", "100".to_string())];
            if let Some(token) = &page {
                query.push(("page", token.clone()));
            }
            let got: Page<MemoryListItem> = self
                .call(Method::GET, &path, &query, None::<&()>, MEMORY_BETA, cancel)
                .await?;
            out.extend(got.data.into_iter().filter_map(|item| match item {
                MemoryListItem::Memory(m) => Some(m),
                _ => None,
            }));
            match got.next_page {
                Some(token) if !token.is_empty() && page.as_deref() != Some(token.as_str()) => {
                    page = Some(token)
                }
                _ => return Ok(out),
            }
        }
    }

    /// One memory with its content.
    pub async fn memory(
        &self,
        store_id: &str,
        memory_id: &str,
        cancel: &CancellationToken,
    ) -> Result<Memory, CallError> {
        let path = format!(
            "/v1/memory_stores/{}/memories/{}",
            segment(store_id),
            segment(memory_id)
        );
        let query = [("view", "full".to_string())];
        self.call(Method::GET, &path, &query, None::<&()>, MEMORY_BETA, cancel)
            .await
    }

    pub async fn create_memory(
        &self,
        store_id: &str,
        path: &str,
        content: &str,
        cancel: &CancellationToken,
    ) -> Result<Memory, CallError> {
        let url = format!("/v1/memory_stores/{}/memories", segment(store_id));
        let body = MemoryCreateParams { content, path };
        self.call(Method::POST, &url, &[], Some(&body), MEMORY_BETA, cancel)
            .await
    }

    /// New content, only if the memory still hashes to `expected_sha256`.
    pub async fn update_memory(
        &self,
        store_id: &str,
        memory_id: &str,
        content: &str,
        expected_sha256: &str,
        cancel: &CancellationToken,
    ) -> Result<Memory, CallError> {
        let url = format!(
            "/v1/memory_stores/{}/memories/{}",
            segment(store_id),
            segment(memory_id)
        );
        let body = MemoryUpdateParams {
            content,
            precondition: Precondition::content_sha256(expected_sha256),
        };
        self.call(Method::POST, &url, &[], Some(&body), MEMORY_BETA, cancel)
            .await
    }

    /// Deletes a memory, only if it still hashes to `expected_sha256`.
    pub async fn delete_memory(
        &self,
        store_id: &str,
        memory_id: &str,
        expected_sha256: &str,
        cancel: &CancellationToken,
    ) -> Result<(), CallError> {
        let url = format!(
            "/v1/memory_stores/{}/memories/{}",
            segment(store_id),
            segment(memory_id)
        );
        let query = [("expected_content_sha256", expected_sha256.to_string())];
        let _: serde_json::Value = self
            .call(
                Method::DELETE,
                &url,
                &query,
                None::<&()>,
                MEMORY_BETA,
                cancel,
            )
            .await?;
        Ok(())
    }

    // ---- sessions ----

    pub async fn create_session(
        &self,
        params: &SessionCreateParams,
        cancel: &CancellationToken,
    ) -> Result<Session, CallError> {
        self.call(
            Method::POST,
            "/v1/sessions",
            &[],
            Some(params),
            SESSIONS_BETA,
            cancel,
        )
        .await
    }

    // ---- dreams ----

    pub async fn create_dream(
        &self,
        params: &DreamCreateParams,
        cancel: &CancellationToken,
    ) -> Result<Dream, CallError> {
        self.call(
            Method::POST,
            "/v1/dreams",
            &[],
            Some(params),
            DREAMS_BETA,
            cancel,
        )
        .await
    }

    pub async fn dream(&self, id: &str, cancel: &CancellationToken) -> Result<Dream, CallError> {
        let path = format!("/v1/dreams/{}", segment(id));
        self.call(Method::GET, &path, &[], None::<&()>, DREAMS_BETA, cancel)
            .await
    }

    pub async fn cancel_dream(
        &self,
        id: &str,
        cancel: &CancellationToken,
    ) -> Result<Dream, CallError> {
        let path = format!("/v1/dreams/{}/cancel", segment(id));
        self.call(Method::POST, &path, &[], None::<&()>, DREAMS_BETA, cancel)
            .await
    }
}

/// The HTTP status behind an error answer, if it was one.
fn status_of(e: &ProviderError) -> Option<u16> {
    Some(match e {
        ProviderError::Unauthorized { .. } => 401,
        ProviderError::Forbidden { .. } => 403,
        ProviderError::NotFound { .. } => 404,
        ProviderError::TooLarge { .. } => 413,
        ProviderError::RateLimited { .. } => 429,
        ProviderError::Overloaded { .. } => 529,
        ProviderError::InvalidRequest { status, .. } | ProviderError::Server { status, .. } => {
            *status
        }
        _ => return None,
    })
}

/// Whether another attempt cannot apply a change twice: the server refused
/// the request unread (429, 529), the connection never opened, or the
/// request only reads.
fn safe_to_retry(method: &Method, e: &ProviderError) -> bool {
    match e {
        ProviderError::RateLimited { .. }
        | ProviderError::Overloaded { .. }
        | ProviderError::Unreachable { .. } => true,
        other => *method == Method::GET && other.is_retryable(),
    }
}

/// An id as one URL path segment, percent-encoded so an odd id can never
/// address another path.
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
