//! What differs between model APIs, behind one small trait, and everything
//! that does not, written once.
//!
//! A provider is a [`Wire`]: its static facts ([`Spec`]: name, environment
//! variables, default URL, whether it is a local server), its auth headers,
//! its request body, a [`Parser`] that turns its reply (server-sent events
//! or one JSON body) into the shared [`StreamEvent`]s and [`Partial`]
//! blocks, its models path, and optionally how it learns a model's context
//! size. [`WireProvider`] wraps any `Wire` into a [`Provider`]: the shared
//! HTTP client, the retry loop (backoff, `retry-after`), the streaming loop
//! (idle timeouts, truncation, draining the connection back to the pool) and
//! the usage/cost accounting live here and nowhere else.
//!
//! This module never names a provider, never touches the store, the
//! keychain or a window, and never logs a key.

use std::sync::Arc;

use bytes::Bytes;
use reqwest::Url;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::retry::{self, Attempt, RetryPolicy};
use super::{
    ContentBlock, Message, ModelRequest, ModelResponse, PriceTable, Provider, ProviderConfig,
    ProviderError, ProviderKind, StopReason, StreamEvent, Usage, http,
};

/// Where streamed events go.
pub type Sink<'a> = &'a mut (dyn FnMut(StreamEvent) + Send);

/// The static facts of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The stored name (`agents.provider`, settings keys, the keychain).
    pub name: &'static str,
    /// How messages name the API ("Anthropic").
    pub api: &'static str,
    pub base_url_var: &'static str,
    pub api_key_var: &'static str,
    pub default_base_url: &'static str,
    /// A server the user runs: the key is optional (a missing keychain is
    /// no error), the user names its models (the test model comes from
    /// Settings, saved models are listed) and its identity is its URL.
    pub local: bool,
    /// A hosted catalogue: the price table's models with this prefix are
    /// listed, and dated snapshots are hidden from the picker.
    pub catalogue_prefix: Option<&'static str>,
    /// The model a connection test asks (a local server's comes from the
    /// `provider.<name>.test_model` setting when set).
    pub test_model: &'static str,
}

/// One model API's wire format. Implement this (one file) and add one row
/// to the `providers!` table in `registry.rs`.
#[async_trait::async_trait]
pub trait Wire: Send + Sync + Default + 'static {
    const KIND: ProviderKind;
    const SPEC: Spec;
    /// Appended to the base URL for a turn (`/v1/messages`).
    const TURN_PATH: &'static str;
    /// Appended to the base URL to list models (`/v1/models?limit=1000`).
    const MODELS_PATH: &'static str;
    /// Reads one attempt's reply.
    type Parser: Parser;

    /// Adds the auth (and any other API-specific) headers; content type and
    /// accept are set already.
    fn headers(
        &self,
        config: &ProviderConfig,
        request: &ModelRequest,
        headers: &mut HeaderMap,
    ) -> Result<(), ProviderError>;

    /// The JSON body for `request`, exactly as sent.
    fn body(&self, request: &ModelRequest) -> Value;

    /// The model ids of a model list (`data[].id` by default).
    fn model_ids(&self, list: &Value) -> Vec<String> {
        http::model_ids(list)
    }

    /// Which server this is, never holding a key (see [`Provider::identity`]).
    fn identity(&self, config: &ProviderConfig) -> String {
        if Self::SPEC.local {
            crate::redact::mask_url_credentials(&config.base_url).into_owned()
        } else {
            String::new()
        }
    }

    /// How many tokens `model`'s context holds; `None` when it cannot tell.
    async fn context_tokens(&self, _server: &Server<'_>, _model: &str) -> Option<u32> {
        None
    }

    /// Whether the server can give `model` tools; `None` when it cannot tell.
    async fn supports_tools(&self, _server: &Server<'_>, _model: &str) -> Option<bool> {
        None
    }
}

/// Reads one attempt's reply into the shared shapes.
pub trait Parser: Default + Send {
    /// One server-sent event; `Ok(true)` once the reply is complete (the
    /// rest of the body is drained, not read).
    fn event(&mut self, name: &str, data: &str, on_event: Sink<'_>) -> Result<bool, ProviderError>;

    /// The stream ended (cleanly or complete): an incomplete reply is
    /// [`ProviderError::Truncated`]; a parser may emit its closing events.
    fn end(&mut self, on_event: Sink<'_>) -> Result<(), ProviderError>;

    /// A non-streamed reply body.
    fn whole(&mut self, body: &[u8]) -> Result<(), ProviderError>;

    /// What was gathered.
    fn finish(self) -> Gathered;
}

/// A block being streamed.
#[derive(Debug)]
pub enum Partial {
    Text(String),
    Thinking {
        thinking: String,
        signature: String,
    },
    Redacted(String),
    ToolUse {
        id: String,
        name: String,
        json: String,
    },
}

impl Partial {
    /// The block as [`StreamEvent::BlockStart`] announces it.
    pub fn initial_block(&self) -> ContentBlock {
        match self {
            Partial::Text(t) => ContentBlock::Text { text: t.clone() },
            Partial::Thinking {
                thinking,
                signature,
            } => ContentBlock::Thinking {
                thinking: thinking.clone(),
                signature: signature.clone(),
            },
            Partial::Redacted(d) => ContentBlock::RedactedThinking { data: d.clone() },
            Partial::ToolUse { id, name, .. } => ContentBlock::ToolUse {
                id: id.clone(),
                name: name.clone(),
                input: json!({}),
            },
        }
    }
}

/// A reply as a parser gathered it.
#[derive(Debug, Default)]
pub struct Gathered {
    pub id: String,
    pub model: String,
    pub blocks: Vec<Partial>,
    pub stop_reason: Option<StopReason>,
    pub stop_sequence: Option<String>,
    pub usage: Usage,
    /// Says what is wrong with a tool call whose input is not JSON.
    pub bad_input: Option<fn(&str, &serde_json::Error) -> String>,
}

/// A reply that is not what the API promises.
pub fn malformed(api: &'static str, detail: impl Into<String>) -> ProviderError {
    ProviderError::Malformed {
        api,
        detail: detail.into(),
    }
}

impl Gathered {
    /// The final response: blocks to content, the answering model (or the
    /// requested one), the cost from the price table.
    fn into_response(
        self,
        api: &'static str,
        request: &ModelRequest,
        prices: &PriceTable,
    ) -> Result<ModelResponse, ProviderError> {
        let bad_input = self
            .bad_input
            .unwrap_or(|name, e| format!("the input of tool call {name} is not JSON: {e}"));
        let mut content = Vec::with_capacity(self.blocks.len());
        for partial in self.blocks {
            content.push(match partial {
                Partial::Text(text) => ContentBlock::Text { text },
                Partial::Thinking {
                    thinking,
                    signature,
                } => ContentBlock::Thinking {
                    thinking,
                    signature,
                },
                Partial::Redacted(data) => ContentBlock::RedactedThinking { data },
                Partial::ToolUse { id, name, json } => {
                    let input = if json.trim().is_empty() {
                        json!({})
                    } else {
                        serde_json::from_str(&json)
                            .map_err(|e| malformed(api, bad_input(&name, &e)))?
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
            stop_reason: self.stop_reason.unwrap_or(StopReason::EndTurn),
            stop_sequence: self.stop_sequence,
            usage: self.usage,
            cost_usd,
            attempts: 1,
        })
    }
}

/// A [`Wire`] as a [`Provider`]: one per kind, shared across turns.
pub struct WireProvider<W: Wire> {
    wire: W,
    config: ProviderConfig,
    url: Url,
    prices: Arc<PriceTable>,
}

impl<W: Wire> WireProvider<W> {
    pub fn new(config: ProviderConfig, prices: Arc<PriceTable>) -> Result<Self, ProviderError> {
        Self::with_wire(W::default(), config, prices)
    }

    pub fn with_wire(
        wire: W,
        config: ProviderConfig,
        prices: Arc<PriceTable>,
    ) -> Result<Self, ProviderError> {
        let url = http::endpoint(&config.base_url, W::TURN_PATH, W::SPEC.base_url_var)?;
        Ok(WireProvider {
            wire,
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
        self.wire.headers(&self.config, request, &mut headers)?;
        Ok(headers)
    }

    /// The headers of a small GET (a model list, a server's info).
    fn get_headers(&self) -> Result<HeaderMap, ProviderError> {
        let mut listing = ModelRequest::new(String::new(), Vec::new());
        listing.stream = false;
        let mut headers = self.headers(&listing)?;
        headers.remove(CONTENT_TYPE);
        Ok(headers)
    }

    fn server(&self) -> Server<'_> {
        Server {
            config: &self.config,
            headers: self.get_headers().ok(),
            api: W::SPEC.api,
            env_var: W::SPEC.base_url_var,
        }
    }
}

/// A provider's server, for the small JSON requests a [`Wire`] makes to
/// learn about it (context size, capabilities), with the GET headers.
pub struct Server<'a> {
    pub config: &'a ProviderConfig,
    /// `None` when the key cannot go in a header.
    headers: Option<HeaderMap>,
    api: &'static str,
    env_var: &'static str,
}

impl Server<'_> {
    /// The base URL without a trailing `/`.
    pub fn base(&self) -> &str {
        self.config.base_url.trim().trim_end_matches('/')
    }

    /// The base URL without a final `/v1` (a local server's own root).
    pub fn root(&self) -> &str {
        let base = self.base();
        base.strip_suffix("/v1").unwrap_or(base)
    }

    fn headers(&self) -> Result<HeaderMap, ProviderError> {
        self.headers.clone().ok_or_else(|| {
            ProviderError::unauthorized("the key contains characters an API key never has")
        })
    }

    pub async fn get_json(&self, base: &str, path: &str) -> Result<Value, ProviderError> {
        let url = http::endpoint(base, path, self.env_var)?;
        http::get_json(&url, self.headers()?, self.config, self.api).await
    }

    pub async fn post_json(
        &self,
        base: &str,
        path: &str,
        body: &Value,
    ) -> Result<Value, ProviderError> {
        let url = http::endpoint(base, path, self.env_var)?;
        http::post_json(&url, self.headers()?, body, self.config, self.api).await
    }
}

#[async_trait::async_trait]
impl<W: Wire> Provider for WireProvider<W> {
    fn kind(&self) -> ProviderKind {
        W::KIND
    }

    fn identity(&self) -> String {
        self.wire.identity(&self.config)
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
            body: Bytes::from(self.wire.body(request).to_string()),
        };
        retry::run(&turn, cancel, on_event).await
    }

    async fn list_models(&self) -> Result<Vec<String>, ProviderError> {
        let url = http::endpoint(&self.config.base_url, W::MODELS_PATH, W::SPEC.base_url_var)?;
        let list = http::get_json(&url, self.get_headers()?, &self.config, W::SPEC.api).await?;
        Ok(self.wire.model_ids(&list))
    }

    async fn context_tokens(&self, model: &str) -> Option<u32> {
        self.wire.context_tokens(&self.server(), model).await
    }

    async fn supports_tools(&self, model: &str) -> Option<bool> {
        self.wire.supports_tools(&self.server(), model).await
    }
}

struct Turn<'a, W: Wire> {
    provider: &'a WireProvider<W>,
    request: &'a ModelRequest,
    headers: HeaderMap,
    body: Bytes,
}

impl<W: Wire> Attempt for Turn<'_, W> {
    fn retry_policy(&self) -> &RetryPolicy {
        &self.provider.config.retry
    }

    async fn attempt(
        &self,
        on_event: &mut (dyn FnMut(StreamEvent) + Send),
    ) -> Result<ModelResponse, ProviderError> {
        let p = self.provider;
        let api = W::SPEC.api;
        let (response, sse) = http::post_turn(
            &p.url,
            &self.headers,
            &self.body,
            self.request.stream,
            &p.config,
        )
        .await?;
        let mut parser = W::Parser::default();
        if sse {
            let mut events = http::events(response, &p.config, api);
            while let Some(event) = events.next().await? {
                if parser.event(&event.event, &event.data, on_event)? {
                    events.drain().await;
                    break;
                }
            }
            parser.end(on_event)?;
        } else {
            let body = http::body(response, &p.config, &p.url).await?;
            parser.whole(&body)?;
        }
        parser.finish().into_response(api, self.request, &p.prices)
    }
}
