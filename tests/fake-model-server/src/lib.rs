//! # reverie-fake-model
//!
//! A real HTTP model server on 127.0.0.1 for tests: it speaks the Anthropic
//! Messages API (`POST /v1/messages`) and OpenAI chat completions
//! (`POST /v1/chat/completions`), streaming and not, answering from a
//! [`Script`] the test gives it. It records every request (headers and JSON
//! body) and injects faults: error statuses with the API's envelope, slow
//! first bytes and tokens, streams cut mid-message, malformed events.
//!
//! It is never a mock of the client: clients talk to it over real sockets.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use reverie_fake_model::{FakeModelServer, Reply};
//! let server = FakeModelServer::start().await?;
//! server.push_reply(Reply::text("Hello!"));
//! // point the client at server.url(), then:
//! let sent = server.requests();
//! # Ok(()) }
//! ```
//!
//! ## Scripts
//! A [`Script`] (JSON with the same field names; see `example-script.json`)
//! holds `rules` (the first whose `when` conditions match — substring of the
//! system prompt, of the last user message or tool result, model, API — and
//! that has uses left serves its reply; `times` limits the uses), a FIFO
//! `queue`, a `fallback`, and optionally the only `api_key` accepted. A
//! [`Reply`] is text and/or `content` blocks (text, thinking with signature,
//! tool_use), `usage`, `stop_reason`, `chunk_size`, `chunk_delay_ms`,
//! `first_byte_delay_ms`, and optionally a [`Fault`]: `rate_limited`
//! (429 + `retry-after`), `overloaded` (529), `server_error` (500),
//! `unauthorized` (401), `too_large` (413), `not_found` (404), any
//! `http_error`, `cut_stream`, `end_stream`, `malformed_event`,
//! `stream_error` (an SSE `error` event) or a `raw` body.
//!
//! It also serves the Claude Managed Agents endpoints (memory stores and
//! memories, sessions and events, dreams) from in-memory state; see
//! [`managed`]. A test scripts each dream's lifecycle with [`DreamScript`].
//!
//! Control routes for other processes (the standalone binary):
//! `GET /_fake/requests`, `DELETE /_fake/requests`, `POST /_fake/script`
//! (replaces the script), `GET /_fake/health`, and for Managed Agents
//! `POST /_fake/managed/dream_script`, `POST /_fake/managed/fault`,
//! `POST /_fake/managed/write`, `GET /_fake/managed/state`.

pub mod managed;
pub mod script;
pub mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::serve::ListenerExt;
use futures_util::stream;
use serde::Serialize;
use serde_json::{Value, json};

pub use managed::{DreamOutcome, DreamScript, DreamUsage, ManagedFault, ManagedRace};
pub use script::{Block, Conditions, Fault, OpenAiLimits, Reply, Rule, Script, Usage};
use script::{RequestView, ScriptState};

/// One request the server received.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    /// 0-based arrival order.
    pub seq: usize,
    pub method: String,
    pub path: String,
    /// The query string, if the URL had one.
    pub query: Option<String>,
    /// The client's address: the same one on two requests means the client
    /// reused its connection.
    pub peer: String,
    /// Lower-case names; a repeated header keeps its last value.
    pub headers: BTreeMap<String, String>,
    /// The JSON body, or the raw text as a string when it was not JSON.
    pub body: Value,
    /// The whole response was written.
    pub completed: bool,
    /// The client went away before the response was complete.
    pub disconnected: bool,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

#[derive(Default)]
struct Shared {
    script: Mutex<ScriptState>,
    requests: Mutex<Vec<RecordedRequest>>,
    first_delta_sent: Mutex<BTreeMap<usize, Instant>>,
    managed: Mutex<managed::ManagedState>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test thread must not hide every later request.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running fake model server; stops accepting when dropped.
pub struct FakeModelServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeModelServer {
    /// Start on 127.0.0.1 with an ephemeral port and an empty script.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_with(Script::default()).await
    }

    pub async fn start_with(script: Script) -> std::io::Result<Self> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), script).await
    }

    pub async fn bind(addr: SocketAddr, script: Script) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            script: Mutex::new(ScriptState::new(script)),
            ..Shared::default()
        });
        let app = router(shared.clone());
        // Small SSE writes must leave at once, as a real API's do; with
        // Nagle's algorithm they would wait for the client's delayed ACK.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Ok(FakeModelServer { addr, shared, task })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Anthropic base URL (`ANTHROPIC_BASE_URL`): `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The OpenAI-style base URL (`OPENAI_BASE_URL`): `http://127.0.0.1:PORT/v1`.
    pub fn openai_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Replace the script and forget how much of the old one was used.
    pub fn set_script(&self, script: Script) {
        *lock(&self.shared.script) = ScriptState::new(script);
    }

    pub fn push_reply(&self, reply: Reply) {
        lock(&self.shared.script).push_reply(reply);
    }

    pub fn add_rule(&self, rule: Rule) {
        lock(&self.shared.script).add_rule(rule);
    }

    /// What `GET /v1/models` lists from now on.
    /// Makes the OpenAI-compatible endpoint lack features, like a real
    /// local server.
    pub fn set_openai_limits(&self, limits: OpenAiLimits) {
        lock(&self.shared.script).set_openai_limits(limits);
    }

    pub fn set_models(&self, models: &[&str]) {
        lock(&self.shared.script).set_models(models.iter().map(|m| m.to_string()).collect());
    }

    /// Only this key is accepted from now on; others get a 401.
    pub fn require_api_key(&self, key: impl Into<String>) {
        lock(&self.shared.script).set_api_key(Some(key.into()));
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
        lock(&self.shared.first_delta_sent).clear();
    }

    /// The next dream created through the Managed Agents API follows
    /// `script` (scripts queue up; without one a dream completes unchanged).
    pub fn script_dream(&self, script: DreamScript) {
        lock(&self.shared.managed).push_script(script);
    }

    /// The next matching Managed Agents requests get an error status.
    pub fn managed_fault(&self, fault: ManagedFault) {
        lock(&self.shared.managed).add_fault(fault);
    }

    /// Just before the next matching Managed Agents request is handled,
    /// someone else writes (or deletes) a memory: a race the request's
    /// precondition must catch.
    pub fn managed_race(&self, race: ManagedRace) {
        lock(&self.shared.managed).add_race(race);
    }

    /// Writes a memory into a Managed Agents store as someone else would
    /// (the console, another client); errors when the store is unknown.
    pub fn managed_write(&self, store_id: &str, path: &str, content: &str) -> Result<(), String> {
        lock(&self.shared.managed).write(store_id, path, content)
    }

    /// Deletes the memory at `path`; false when there was none.
    pub fn managed_delete(&self, store_id: &str, path: &str) -> bool {
        lock(&self.shared.managed).delete(store_id, path)
    }

    /// A Managed Agents store's memories: path → content.
    pub fn managed_memories(&self, store_id: &str) -> BTreeMap<String, String> {
        lock(&self.shared.managed).contents(store_id)
    }

    /// Every Managed Agents memory store id, in creation order.
    pub fn managed_store_ids(&self) -> Vec<String> {
        lock(&self.shared.managed).store_ids()
    }

    /// Every Managed Agents session: id → (the session, its events).
    pub fn managed_sessions(&self) -> BTreeMap<String, (Value, Vec<Value>)> {
        lock(&self.shared.managed).session_events()
    }

    /// When the first text/thinking/tool-input delta of request `seq` was
    /// handed to the socket (for latency measurements in the same process).
    pub fn first_delta_sent(&self, seq: usize) -> Option<Instant> {
        lock(&self.shared.first_delta_sent).get(&seq).copied()
    }
}

impl Drop for FakeModelServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/messages", post(anthropic))
        .route("/v1/chat/completions", post(openai))
        .route("/chat/completions", post(openai))
        .route("/props", get(props))
        .route("/v1/models", get(list_models))
        .route("/models", get(list_models))
        .route("/v1/memory_stores", any(managed::handle))
        .route("/v1/memory_stores/{*rest}", any(managed::handle))
        .route("/v1/sessions", any(managed::handle))
        .route("/v1/sessions/{*rest}", any(managed::handle))
        .route("/v1/dreams", any(managed::handle))
        .route("/v1/dreams/{*rest}", any(managed::handle))
        .route("/_fake/managed/{action}", any(managed::control))
        .route("/_fake/requests", get(list_requests).delete(clear_requests))
        .route("/_fake/script", post(load_script))
        .route("/_fake/health", get(|| async { "ok" }))
        .fallback(not_found)
        .with_state(shared)
}

/// The model list in the shape of the API the request looks like: an
/// Anthropic key header gets Anthropic's page object, anything else
/// OpenAI's list object. Checks the key as the turn routes do.
/// llama.cpp's `GET /props`: the context it was started with and what its
/// chat template can do. Not recorded: it is a capability probe, not a turn.
async fn props(State(shared): State<Arc<Shared>>) -> Response {
    let limits = lock(&shared.script).openai_limits();
    match limits.n_ctx {
        Some(n) => json_response(
            StatusCode::OK,
            BTreeMap::new(),
            serde_json::json!({
                "default_generation_settings": {"n_ctx": n},
                "chat_template_caps": {"supports_tools": !limits.no_tools, "supports_tool_calls": !limits.no_tools}
            }),
        ),
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}

async fn list_models(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let (seq, _) = record(&shared, peer, &method, &uri, &headers, &Bytes::new());
    let anthropic = headers.contains_key("x-api-key") || headers.contains_key("anthropic-version");
    let (models, expected) = {
        let script = lock(&shared.script);
        (
            script.models().to_vec(),
            script.api_key().map(str::to_string),
        )
    };
    lock(&shared.requests)[seq].completed = true;
    let sent = if anthropic {
        headers.get("x-api-key").and_then(|v| v.to_str().ok())
    } else {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
    };
    if expected.is_some() && sent != expected.as_deref() {
        let body = if anthropic {
            wire::anthropic_error("authentication_error", "invalid x-api-key")
        } else {
            wire::openai_error("authentication_error", "invalid api key")
        };
        return json_response(StatusCode::UNAUTHORIZED, BTreeMap::new(), body);
    }
    let body = if anthropic {
        let data: Vec<Value> = models
            .iter()
            .map(|id| json!({"type": "model", "id": id, "display_name": id, "created_at": "2025-01-01T00:00:00Z"}))
            .collect();
        json!({
            "data": data,
            "has_more": false,
            "first_id": models.first(),
            "last_id": models.last(),
        })
    } else {
        let data: Vec<Value> = models
            .iter()
            .map(|id| json!({"id": id, "object": "model", "created": 1735689600, "owned_by": "local"}))
            .collect();
        json!({"object": "list", "data": data})
    };
    json_response(StatusCode::OK, BTreeMap::new(), body)
}

async fn list_requests(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(lock(&shared.requests).clone()).into_response()
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> StatusCode {
    lock(&shared.requests).clear();
    StatusCode::NO_CONTENT
}

async fn load_script(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    match serde_json::from_slice::<Script>(&body) {
        Ok(script) => {
            *lock(&shared.script) = ScriptState::new(script);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            format!("script is not valid: {e}\n"),
        )
            .into_response(),
    }
}

async fn not_found(method: Method, uri: Uri) -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        BTreeMap::new(),
        wire::anthropic_error(
            "not_found_error",
            &format!("fake model server: no route for {method} {uri}"),
        ),
    )
}

fn json_response(status: StatusCode, headers: BTreeMap<String, String>, body: Value) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    for (name, value) in headers {
        if let (Ok(n), Ok(v)) = (name.parse::<header::HeaderName>(), value.parse()) {
            response.headers_mut().insert(n, v);
        }
    }
    response
}

/// Record a request; returns its sequence number and parsed body.
fn record(
    shared: &Shared,
    peer: SocketAddr,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> (usize, Option<Value>) {
    let parsed = serde_json::from_slice::<Value>(body).ok();
    let mut requests = lock(&shared.requests);
    let seq = requests.len();
    requests.push(RecordedRequest {
        seq,
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        peer: peer.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: parsed
            .clone()
            .unwrap_or_else(|| Value::String(String::from_utf8_lossy(body).into_owned())),
        completed: false,
        disconnected: false,
    });
    (seq, parsed)
}

#[derive(Clone, Copy, PartialEq)]
enum Api {
    Anthropic,
    OpenAi,
}

async fn anthropic(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(shared, Api::Anthropic, peer, method, uri, headers, body).await
}

async fn openai(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    serve(shared, Api::OpenAi, peer, method, uri, headers, body).await
}

async fn serve(
    shared: Arc<Shared>,
    api: Api,
    peer: SocketAddr,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (seq, parsed) = record(&shared, peer, &method, &uri, &headers, &body);
    let error = |status: u16, error_type: &str, message: &str, extra: BTreeMap<String, String>| {
        let body = match api {
            Api::Anthropic => wire::anthropic_error(error_type, message),
            Api::OpenAi => wire::openai_error(error_type, message),
        };
        json_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            extra,
            body,
        )
    };
    let done = |shared: &Shared| lock(&shared.requests)[seq].completed = true;

    let Some(body) = parsed else {
        done(&shared);
        return error(
            400,
            "invalid_request_error",
            "fake model server: the request body is not JSON",
            BTreeMap::new(),
        );
    };
    let view = match api {
        Api::Anthropic => RequestView::anthropic(&body),
        Api::OpenAi => RequestView::openai(&body),
    };

    let expected_key = lock(&shared.script).api_key().map(str::to_string);
    if let Some(expected) = expected_key {
        let sent = match api {
            Api::Anthropic => headers
                .get("x-api-key")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            Api::OpenAi => headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::to_string),
        };
        if sent.as_deref() != Some(expected.as_str()) {
            done(&shared);
            return error(
                401,
                "authentication_error",
                "invalid x-api-key",
                BTreeMap::new(),
            );
        }
    }
    if api == Api::Anthropic && !headers.contains_key("anthropic-version") {
        done(&shared);
        return error(
            400,
            "invalid_request_error",
            "anthropic-version: header is required",
            BTreeMap::new(),
        );
    }

    // A local server's missing features, refused or worked around as the
    // real servers do.
    let limits = lock(&shared.script).openai_limits();
    let json_schema = body["response_format"]["type"] == "json_schema";
    if api == Api::OpenAi {
        if json_schema && limits.no_json_schema {
            done(&shared);
            return error(
                400,
                "invalid_request_error",
                "response_format type 'json_schema' is not supported by this server",
                BTreeMap::new(),
            );
        }
        if body["tool_choice"] == "required" && limits.no_required_tool_choice {
            done(&shared);
            return error(
                400,
                "invalid_request_error",
                "tool_choice 'required' is not supported",
                BTreeMap::new(),
            );
        }
    }
    let reply = lock(&shared.script).next_reply(&view);
    let reply = match (api, reply) {
        (Api::OpenAi, Some(r)) if json_schema => Some(r.tool_input_as_text(false)),
        (Api::OpenAi, Some(r)) if limits.no_tools && body.get("tools").is_some() => {
            Some(r.tool_input_as_text(true))
        }
        (_, r) => r,
    };
    let Some(reply) = reply else {
        done(&shared);
        return error(
            400,
            "invalid_request_error",
            "fake model server: no scripted reply for this request (no rule matched and the queue is empty)",
            BTreeMap::new(),
        );
    };

    if reply.first_byte_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(reply.first_byte_delay_ms)).await;
    }
    let model = reply.model.clone().unwrap_or_else(|| view.model.clone());
    if let Some(fault) = &reply.fault {
        if let Some(http) = fault.as_http(&model) {
            done(&shared);
            return error(http.status, &http.error_type, &http.message, http.headers);
        }
        if let Fault::Raw {
            status,
            content_type,
            body,
        } = fault
        {
            done(&shared);
            let status = StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY);
            return (
                status,
                [(header::CONTENT_TYPE, content_type.clone())],
                body.clone(),
            )
                .into_response();
        }
    }

    let id = match api {
        Api::Anthropic => format!("msg_fake_{seq:06}"),
        Api::OpenAi => format!("chatcmpl-fake-{seq:06}"),
    };
    if !view.stream {
        let json = match api {
            Api::Anthropic => wire::anthropic_json(&reply, &model, &id),
            Api::OpenAi => wire::openai_json(&reply, &model, &id),
        };
        return match &reply.fault {
            Some(Fault::CutStream { .. }) => {
                let text = json.to_string();
                let half = Bytes::from(text[..text.len() / 2].to_string());
                let frames = wire::Rendered {
                    frames: vec![wire::Frame {
                        bytes: half,
                        delay_ms: 0,
                        first_delta: false,
                    }],
                    cut: true,
                };
                streamed(shared, seq, frames, "application/json", Some(text.len()))
            }
            Some(Fault::MalformedEvent { .. }) => {
                done(&shared);
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    "{\"id\": \"broken\", \"content\": [",
                )
                    .into_response()
            }
            _ => {
                done(&shared);
                json_response(StatusCode::OK, BTreeMap::new(), json)
            }
        };
    }
    let rendered = match api {
        Api::Anthropic => wire::anthropic_stream(&reply, &model, &id),
        Api::OpenAi => wire::openai_stream(&reply, &model, &id),
    };
    streamed(shared, seq, rendered, "text/event-stream", None)
}

/// Marks the request finished or abandoned when the body stream ends.
struct BodyGuard {
    shared: Arc<Shared>,
    seq: usize,
    finished: bool,
}

impl Drop for BodyGuard {
    fn drop(&mut self) {
        let mut requests = lock(&self.shared.requests);
        if let Some(r) = requests.get_mut(self.seq) {
            if self.finished {
                r.completed = true;
            } else {
                r.disconnected = true;
            }
        }
    }
}

fn streamed(
    shared: Arc<Shared>,
    seq: usize,
    rendered: wire::Rendered,
    content_type: &str,
    content_length: Option<usize>,
) -> Response {
    struct St {
        frames: std::vec::IntoIter<wire::Frame>,
        cut: bool,
        guard: BodyGuard,
    }
    let state = St {
        frames: rendered.frames.into_iter(),
        cut: rendered.cut,
        guard: BodyGuard {
            shared: shared.clone(),
            seq,
            finished: false,
        },
    };
    let body = stream::unfold(state, |mut st| async move {
        match st.frames.next() {
            Some(frame) => {
                if frame.delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(frame.delay_ms)).await;
                }
                if frame.first_delta {
                    lock(&st.guard.shared.first_delta_sent).insert(st.guard.seq, Instant::now());
                }
                Some((Ok::<_, std::io::Error>(frame.bytes), st))
            }
            None if st.cut => {
                // Neither finished nor cleanly ended: hyper drops the
                // connection without the terminating chunk.
                st.cut = false;
                Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionReset,
                        "fault: stream cut",
                    )),
                    st,
                ))
            }
            None => {
                st.guard.finished = true;
                drop(st);
                None
            }
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        content_type.parse().expect("static content type"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        "no-cache".parse().expect("static header"),
    );
    if let Some(len) = content_length {
        headers.insert(header::CONTENT_LENGTH, len.into());
    }
    response
}
