//! The HTTP plumbing both providers share: one process-wide `reqwest`
//! client (one connection pool for every turn), sending a request with a
//! first-byte timeout, turning an error response into a [`ProviderError`],
//! and reading a streamed body as server-sent events with an idle timeout.
//! It knows nothing of either API's JSON.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use eventsource_stream::{Event, Eventsource};
use futures_util::{Stream, StreamExt};
use reqwest::Url;

use super::{ProviderConfig, ProviderError, retry};

/// The shared client. Timeouts are per request, so one client fits all.
/// Its pooled connections belong to the tokio runtime that opened them, so
/// a process should run its turns on one runtime (the app and the CLI do).
pub fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("reverie/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS backend is compiled in")
    })
}

/// `base` + `path`, refusing anything that is not an http(s) URL.
pub fn endpoint(base: &str, path: &str, env_var: &'static str) -> Result<Url, ProviderError> {
    let bad = || ProviderError::BadBaseUrl {
        url: base.to_string(),
        env_var,
    };
    let url =
        Url::parse(&format!("{}{path}", base.trim().trim_end_matches('/'))).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    Ok(url)
}

/// Send and wait for the response headers. An error status becomes the
/// matching [`ProviderError`], carrying the server's requested wait.
pub async fn send(
    request: reqwest::RequestBuilder,
    wait: Duration,
    config: &ProviderConfig,
    url: &Url,
) -> Result<reqwest::Response, ProviderError> {
    let sent = tokio::time::timeout(wait, request.send()).await;
    let response = match sent {
        Err(_) => {
            return Err(ProviderError::Timeout { after: wait });
        }
        Ok(Err(e)) => {
            return Err(ProviderError::from_reqwest(&e, url.as_str(), wait));
        }
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let wait = retry::retry_after(response.headers(), SystemTime::now());
    let body = match tokio::time::timeout(config.idle_timeout, response.text()).await {
        Ok(Ok(text)) => text,
        _ => String::new(),
    };
    Err(ProviderError::from_status(status.as_u16(), &body, wait)
        .with_key_fix(config.key_fix.clone()))
}

/// The whole body, with the idle timeout applied to the wait.
pub async fn body(
    response: reqwest::Response,
    config: &ProviderConfig,
    url: &Url,
) -> Result<bytes::Bytes, ProviderError> {
    match tokio::time::timeout(config.idle_timeout, response.bytes()).await {
        Err(_) => Err(ProviderError::Timeout {
            after: config.idle_timeout,
        }),
        Ok(Err(e)) => Err(ProviderError::from_reqwest(
            &e,
            url.as_str(),
            config.idle_timeout,
        )),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

/// `GET url` for a small JSON answer (a list of models), within the
/// whole-reply timeout.
pub async fn get_json(
    url: &Url,
    headers: reqwest::header::HeaderMap,
    config: &ProviderConfig,
    api: &'static str,
) -> Result<serde_json::Value, ProviderError> {
    let request = client().get(url.clone()).headers(headers);
    let response = send(request, config.whole_reply_timeout, config, url).await?;
    let bytes = body(response, config, url).await?;
    serde_json::from_slice(&bytes).map_err(|e| ProviderError::Malformed {
        api,
        detail: format!("the model list is not JSON ({e})"),
    })
}

/// POSTs `body` and reads a JSON answer (a server's own info endpoint).
pub async fn post_json(
    url: &Url,
    headers: reqwest::header::HeaderMap,
    body: &serde_json::Value,
    config: &ProviderConfig,
    api: &'static str,
) -> Result<serde_json::Value, ProviderError> {
    let request = client().post(url.clone()).headers(headers).json(body);
    let response = send(request, config.whole_reply_timeout, config, url).await?;
    let bytes = self::body(response, config, url).await?;
    serde_json::from_slice(&bytes).map_err(|e| ProviderError::Malformed {
        api,
        detail: format!("the server's answer is not JSON ({e})"),
    })
}

/// The `id` of each entry of a model list's `data` array (both APIs).
pub fn model_ids(list: &serde_json::Value) -> Vec<String> {
    list["data"]
        .as_array()
        .map(|models| {
            models
                .iter()
                .filter_map(|m| m["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Server-sent events of a response body.
pub struct Events<S> {
    inner: S,
    idle: Duration,
    api: &'static str,
}

/// Posts one attempt of a turn and says whether the answer streams as
/// server-sent events (`true`) or comes as one JSON body. A streamed turn
/// waits for the first byte, a whole one for the whole reply.
pub async fn post_turn(
    url: &Url,
    headers: &reqwest::header::HeaderMap,
    body: &bytes::Bytes,
    stream: bool,
    config: &ProviderConfig,
) -> Result<(reqwest::Response, bool), ProviderError> {
    let request = client()
        .post(url.clone())
        .headers(headers.clone())
        .body(body.clone());
    let wait = if stream {
        config.first_byte_timeout
    } else {
        config.whole_reply_timeout
    };
    let response = send(request, wait, config, url).await?;
    let sse = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    Ok((response, sse))
}

pub fn events(
    response: reqwest::Response,
    config: &ProviderConfig,
    api: &'static str,
) -> Events<impl Stream<Item = Result<Event, eventsource_stream::EventStreamError<reqwest::Error>>>>
{
    Events {
        inner: response.bytes_stream().eventsource(),
        idle: config.idle_timeout,
        api,
    }
}

impl<S> Events<S>
where
    S: Stream<Item = Result<Event, eventsource_stream::EventStreamError<reqwest::Error>>> + Unpin,
{
    /// Read what is left of a finished reply (normally just the body's
    /// end) so the connection goes back to the pool instead of being closed;
    /// gives up quietly after a short wait or on any error.
    pub async fn drain(&mut self) {
        let rest = async { while let Some(Ok(_)) = self.inner.next().await {} };
        let _ = tokio::time::timeout(Duration::from_millis(100), rest).await;
    }

    /// The next event; `Ok(None)` when the body ended cleanly.
    pub async fn next(&mut self) -> Result<Option<Event>, ProviderError> {
        match tokio::time::timeout(self.idle, self.inner.next()).await {
            Err(_) => Err(ProviderError::Timeout { after: self.idle }),
            Ok(None) => Ok(None),
            Ok(Some(Ok(event))) => Ok(Some(event)),
            Ok(Some(Err(eventsource_stream::EventStreamError::Transport(e)))) => {
                Err(ProviderError::from_reqwest(&e, "", self.idle))
            }
            Ok(Some(Err(e))) => Err(ProviderError::Malformed {
                api: self.api,
                detail: e.to_string(),
            }),
        }
    }
}
