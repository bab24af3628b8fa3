//! The Claude Managed Agents endpoints of the fake server: memory stores and
//! their memories (with `content_sha256` preconditions), sessions and their
//! events, and dreams whose lifecycle a test scripts ([`DreamScript`]).
//! State lives in memory, one set per server. Like the real API, every
//! request must carry `x-api-key`, `anthropic-version` and the beta header
//! its endpoint needs; bodies with unknown or missing fields, bad paths and
//! failed preconditions get the API's error envelope
//! (`{"type":"error","error":{"type","message"},"request_id"}`).
//!
//! Shapes follow the official `anthropic` Python package's beta types
//! (`anthropic.types.beta`); `tests/contract` checks that they still do.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{Shared, json_response, lock, record};

/// `anthropic-beta` values the memory store endpoints accept (either one).
pub const MEMORY_BETAS: [&str; 2] = ["agent-memory-2026-07-22", "managed-agents-2026-04-01"];
/// The `anthropic-beta` value sessions and their events need.
pub const SESSIONS_BETA: &str = "managed-agents-2026-04-01";
/// The `anthropic-beta` value dreams need.
pub const DREAMS_BETA: &str = "dreaming-2026-04-21";
/// The largest memory the API stores (100 kB).
pub const MAX_MEMORY_BYTES: usize = 102_400;

/// How the next dream created on this server behaves.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DreamScript {
    /// The status each read (retrieve or list) of the dream reports, in
    /// turn, before its outcome: `pending` or `running`. The create
    /// response is always `pending`. Default: one `running`.
    #[serde(default = "default_steps")]
    pub steps: Vec<String>,
    pub outcome: DreamOutcome,
    #[serde(default)]
    pub usage: DreamUsage,
}

fn default_steps() -> Vec<String> {
    vec!["running".into()]
}

impl DreamScript {
    /// Completes after one `running` read, writing `write` (remote path →
    /// content) into the output store and deleting `delete`.
    pub fn completed(write: &[(&str, &str)], delete: &[&str]) -> Self {
        DreamScript {
            steps: default_steps(),
            outcome: DreamOutcome::Completed {
                write: write
                    .iter()
                    .map(|(p, c)| (p.to_string(), c.to_string()))
                    .collect(),
                delete: delete.iter().map(|p| p.to_string()).collect(),
            },
            usage: DreamUsage::default(),
        }
    }

    pub fn failed(error_type: &str, message: &str) -> Self {
        DreamScript {
            steps: default_steps(),
            outcome: DreamOutcome::Failed {
                error_type: error_type.into(),
                message: message.into(),
            },
            usage: DreamUsage::default(),
        }
    }

    /// Stays `running` until canceled.
    pub fn stuck() -> Self {
        DreamScript {
            steps: default_steps(),
            outcome: DreamOutcome::Stuck,
            usage: DreamUsage::default(),
        }
    }

    pub fn with_steps(mut self, steps: &[&str]) -> Self {
        self.steps = steps.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn with_usage(mut self, usage: DreamUsage) -> Self {
        self.usage = usage;
        self
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DreamOutcome {
    Completed {
        #[serde(default)]
        write: BTreeMap<String, String>,
        #[serde(default)]
        delete: Vec<String>,
    },
    Failed {
        error_type: String,
        message: String,
    },
    Stuck,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DreamUsage {
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
    #[serde(default)]
    pub cache_creation_input_tokens: u64,
    #[serde(default)]
    pub cache_read_input_tokens: u64,
}

/// An error status the next matching Managed Agents request gets instead of
/// its answer (rate limits, outages).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedFault {
    /// Only requests whose path contains this.
    #[serde(default)]
    pub path_contains: String,
    /// Only this method (`GET`, `POST`, ...), when given.
    #[serde(default)]
    pub method: Option<String>,
    pub status: u16,
    pub error_type: String,
    pub message: String,
    #[serde(default)]
    pub retry_after: Option<String>,
    /// How many requests get it.
    #[serde(default = "one")]
    pub times: usize,
}

/// Someone else's write that lands just before the next matching request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedRace {
    /// Only requests whose path contains this.
    #[serde(default)]
    pub path_contains: String,
    #[serde(default)]
    pub method: Option<String>,
    pub memory_store_id: String,
    pub path: String,
    /// The new content; `None` deletes the memory.
    pub content: Option<String>,
}

fn one() -> usize {
    1
}

struct StoreRec {
    id: String,
    name: String,
    description: String,
    metadata: BTreeMap<String, String>,
    created_at: String,
    updated_at: String,
    archived_at: Option<String>,
}

struct MemoryRec {
    id: String,
    store_id: String,
    path: String,
    content: String,
    sha256: String,
    version_id: String,
    created_at: String,
    updated_at: String,
}

struct SessionRec {
    json: Value,
    events: Vec<Value>,
}

struct DreamRec {
    id: String,
    created_at: String,
    input_store: String,
    session_ids: Vec<String>,
    model: Value,
    instructions: Option<String>,
    output_behavior: Value,
    status: String,
    output_store: Option<String>,
    session_id: Option<String>,
    error: Option<(String, String)>,
    usage: DreamUsage,
    ended_at: Option<String>,
    archived_at: Option<String>,
    script: DreamScript,
    reads: usize,
}

/// Everything the Managed Agents endpoints hold.
#[derive(Default)]
pub(crate) struct ManagedState {
    next_id: u64,
    stores: BTreeMap<String, StoreRec>,
    memories: BTreeMap<String, MemoryRec>,
    sessions: BTreeMap<String, SessionRec>,
    dreams: BTreeMap<String, DreamRec>,
    scripts: VecDeque<DreamScript>,
    faults: Vec<ManagedFault>,
    races: Vec<ManagedRace>,
}

struct ApiErr {
    status: u16,
    kind: &'static str,
    message: String,
}

type Answer = Result<(u16, Value), ApiErr>;

fn bad(message: impl Into<String>) -> ApiErr {
    ApiErr {
        status: 400,
        kind: "invalid_request_error",
        message: message.into(),
    }
}

fn missing(what: &str, id: &str) -> ApiErr {
    ApiErr {
        status: 404,
        kind: "not_found_error",
        message: format!("{what} {id} not found"),
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl ManagedState {
    fn id(&mut self, prefix: &str) -> String {
        self.next_id += 1;
        format!("{prefix}_fake{:08}", self.next_id)
    }

    fn store(&self, id: &str) -> Result<&StoreRec, ApiErr> {
        self.stores
            .get(id)
            .ok_or_else(|| missing("memory store", id))
    }

    fn writable_store(&self, id: &str) -> Result<&StoreRec, ApiErr> {
        let store = self.store(id)?;
        if store.archived_at.is_some() {
            return Err(bad(format!(
                "memory store {id} is archived; its memories can't be created or updated"
            )));
        }
        Ok(store)
    }

    fn memory_at(&self, store_id: &str, path: &str) -> Option<&MemoryRec> {
        self.memories
            .values()
            .find(|m| m.store_id == store_id && m.path == path)
    }

    /// Creates a memory; the path must be free.
    fn create_memory(
        &mut self,
        store_id: &str,
        path: &str,
        content: &str,
    ) -> Result<String, ApiErr> {
        check_path(path)?;
        check_content(content)?;
        if self.memory_at(store_id, path).is_some() {
            return Err(ApiErr {
                status: 409,
                kind: "memory_path_conflict_error",
                message: format!("a memory already exists at {path}"),
            });
        }
        let id = self.id("mem");
        let version_id = self.id("memver");
        let at = now();
        self.memories.insert(
            id.clone(),
            MemoryRec {
                id: id.clone(),
                store_id: store_id.into(),
                path: path.into(),
                sha256: sha256_hex(content),
                content: content.into(),
                version_id,
                created_at: at.clone(),
                updated_at: at,
            },
        );
        Ok(id)
    }

    /// Writes `content` at `path`, creating or updating (test hooks and dreams).
    fn put(&mut self, store_id: &str, path: &str, content: &str) -> Result<(), ApiErr> {
        let existing = self.memory_at(store_id, path).map(|m| m.id.clone());
        match existing {
            None => self.create_memory(store_id, path, content).map(|_| ()),
            Some(id) => {
                check_content(content)?;
                let version_id = self.id("memver");
                let m = self.memories.get_mut(&id).expect("listed");
                if m.content != content {
                    m.content = content.into();
                    m.sha256 = sha256_hex(content);
                    m.version_id = version_id;
                    m.updated_at = now();
                }
                Ok(())
            }
        }
    }

    fn remove(&mut self, store_id: &str, path: &str) -> bool {
        let id = self.memory_at(store_id, path).map(|m| m.id.clone());
        id.is_some_and(|id| self.memories.remove(&id).is_some())
    }

    fn copy_store(&mut self, from: &str, name: String) -> String {
        let id = self.id("memstore");
        let at = now();
        let source = &self.stores[from];
        let rec = StoreRec {
            id: id.clone(),
            name,
            description: source.description.clone(),
            metadata: BTreeMap::new(),
            created_at: at.clone(),
            updated_at: at,
            archived_at: None,
        };
        self.stores.insert(id.clone(), rec);
        let copies: Vec<(String, String)> = self
            .memories
            .values()
            .filter(|m| m.store_id == from)
            .map(|m| (m.path.clone(), m.content.clone()))
            .collect();
        for (path, content) in copies {
            let _ = self.create_memory(&id, &path, &content);
        }
        id
    }

    fn take_fault(&mut self, method: &Method, path: &str) -> Option<ManagedFault> {
        let i = self.faults.iter().position(|f| {
            path.contains(&f.path_contains)
                && f.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
        })?;
        let fault = self.faults[i].clone();
        self.faults[i].times -= 1;
        if self.faults[i].times == 0 {
            self.faults.remove(i);
        }
        Some(fault)
    }

    fn run_race(&mut self, method: &Method, path: &str) {
        let Some(i) = self.races.iter().position(|r| {
            path.contains(&r.path_contains)
                && r.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method.as_str()))
        }) else {
            return;
        };
        let race = self.races.remove(i);
        match race.content {
            Some(content) => {
                let _ = self.put(&race.memory_store_id, &race.path, &content);
            }
            None => {
                self.remove(&race.memory_store_id, &race.path);
            }
        }
    }

    // ---- test hooks ----

    pub(crate) fn add_race(&mut self, race: ManagedRace) {
        self.races.push(race);
    }

    pub(crate) fn push_script(&mut self, script: DreamScript) {
        self.scripts.push_back(script);
    }

    pub(crate) fn add_fault(&mut self, fault: ManagedFault) {
        if fault.times > 0 {
            self.faults.push(fault);
        }
    }

    pub(crate) fn write(
        &mut self,
        store_id: &str,
        path: &str,
        content: &str,
    ) -> Result<(), String> {
        self.store(store_id).map_err(|e| e.message)?;
        self.put(store_id, path, content).map_err(|e| e.message)
    }

    pub(crate) fn delete(&mut self, store_id: &str, path: &str) -> bool {
        self.remove(store_id, path)
    }

    pub(crate) fn contents(&self, store_id: &str) -> BTreeMap<String, String> {
        self.memories
            .values()
            .filter(|m| m.store_id == store_id)
            .map(|m| (m.path.clone(), m.content.clone()))
            .collect()
    }

    pub(crate) fn store_ids(&self) -> Vec<String> {
        self.stores.keys().cloned().collect()
    }

    pub(crate) fn session_events(&self) -> BTreeMap<String, (Value, Vec<Value>)> {
        self.sessions
            .iter()
            .map(|(id, s)| (id.clone(), (s.json.clone(), s.events.clone())))
            .collect()
    }

    pub(crate) fn snapshot(&self) -> Value {
        let stores: Map<String, Value> = self
            .stores
            .keys()
            .map(|id| (id.clone(), json!(self.contents(id))))
            .collect();
        let sessions: Map<String, Value> = self
            .sessions
            .iter()
            .map(|(id, s)| (id.clone(), json!({"session": s.json, "events": s.events})))
            .collect();
        let dreams: Vec<Value> = self.dreams.values().map(dream_json).collect();
        json!({"stores": stores, "sessions": sessions, "dreams": dreams})
    }
}

// ---- shapes ----

fn store_json(s: &StoreRec) -> Value {
    json!({
        "id": s.id, "type": "memory_store", "name": s.name, "description": s.description,
        "metadata": s.metadata, "created_at": s.created_at, "updated_at": s.updated_at,
        "archived_at": s.archived_at,
    })
}

fn memory_json(m: &MemoryRec, full: bool) -> Value {
    json!({
        "id": m.id, "type": "memory", "path": m.path, "memory_store_id": m.store_id,
        "memory_version_id": m.version_id, "content_sha256": m.sha256,
        "content_size_bytes": m.content.len(), "created_at": m.created_at, "updated_at": m.updated_at,
        "content": if full { Value::String(m.content.clone()) } else { Value::Null },
    })
}

fn dream_json(d: &DreamRec) -> Value {
    json!({
        "id": d.id, "type": "dream", "status": d.status, "created_at": d.created_at,
        "ended_at": d.ended_at, "archived_at": d.archived_at,
        "error": d.error.as_ref().map(|(t, m)| json!({"type": t, "message": m})),
        "inputs": [
            {"type": "memory_store", "memory_store_id": d.input_store},
            {"type": "sessions", "session_ids": d.session_ids},
        ],
        "instructions": d.instructions,
        "model": d.model,
        "output_behavior": d.output_behavior,
        "outputs": d.output_store.iter().map(|id| json!({"type": "memory_store", "memory_store_id": id})).collect::<Vec<_>>(),
        "session_id": d.session_id,
        "usage": {
            "input_tokens": d.usage.input_tokens, "output_tokens": d.usage.output_tokens,
            "cache_creation_input_tokens": d.usage.cache_creation_input_tokens,
            "cache_read_input_tokens": d.usage.cache_read_input_tokens,
        },
    })
}

// ---- validation ----

/// An object with only `allowed` fields.
fn object<'a>(
    value: &'a Value,
    what: &str,
    allowed: &[&str],
) -> Result<&'a Map<String, Value>, ApiErr> {
    let map = value
        .as_object()
        .ok_or_else(|| bad(format!("{what}: Input should be an object")))?;
    if let Some(extra) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(format!(
            "{what}.{extra}: Extra inputs are not permitted"
        )));
    }
    Ok(map)
}

fn required_str<'a>(
    map: &'a Map<String, Value>,
    what: &str,
    field: &str,
) -> Result<&'a str, ApiErr> {
    match map.get(field) {
        None => Err(bad(format!("{what}.{field}: Field required"))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(bad(format!(
            "{what}.{field}: Input should be a valid string"
        ))),
    }
}

fn optional_str<'a>(
    map: &'a Map<String, Value>,
    what: &str,
    field: &str,
) -> Result<Option<&'a str>, ApiErr> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!(
            "{what}.{field}: Input should be a valid string"
        ))),
    }
}

fn check_type(map: &Map<String, Value>, what: &str, expected: &str) -> Result<(), ApiErr> {
    match map.get("type").and_then(Value::as_str) {
        Some(t) if t == expected => Ok(()),
        Some(t) => Err(bad(format!(
            "{what}.type: expected '{expected}', got '{t}'"
        ))),
        None => Err(bad(format!("{what}.type: Field required"))),
    }
}

fn check_metadata(value: Option<&Value>, what: &str) -> Result<BTreeMap<String, String>, ApiErr> {
    let Some(value) = value else {
        return Ok(BTreeMap::new());
    };
    let map = value
        .as_object()
        .ok_or_else(|| bad(format!("{what}.metadata: Input should be an object")))?;
    if map.len() > 16 {
        return Err(bad(format!("{what}.metadata: at most 16 pairs")));
    }
    let mut out = BTreeMap::new();
    for (k, v) in map {
        let v = v.as_str().ok_or_else(|| {
            bad(format!(
                "{what}.metadata.{k}: Input should be a valid string"
            ))
        })?;
        if k.is_empty() || k.chars().count() > 64 || v.chars().count() > 512 {
            return Err(bad(format!(
                "{what}.metadata.{k}: keys are 1 to 64 characters long and values at most 512"
            )));
        }
        out.insert(k.clone(), v.to_string());
    }
    Ok(out)
}

/// A memory path as the API accepts it.
fn check_path(path: &str) -> Result<(), ApiErr> {
    let problem = if !path.starts_with('/') {
        Some("must start with '/'")
    } else if path.len() > 1024 {
        Some("must be at most 1,024 bytes long")
    } else if path
        .chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
    {
        Some("can't contain control characters or line separators")
    } else {
        let segments: Vec<&str> = path[1..].split('/').collect();
        if segments.len() > 20 {
            Some("has more than 20 segments")
        } else if segments
            .iter()
            .any(|s| s.is_empty() || *s == "." || *s == "..")
        {
            Some("has an empty, '.' or '..' segment")
        } else {
            None
        }
    };
    match problem {
        Some(p) => Err(bad(format!("path: '{}' {p}", path.escape_debug()))),
        None => Ok(()),
    }
}

fn check_content(content: &str) -> Result<(), ApiErr> {
    if content.len() > MAX_MEMORY_BYTES {
        return Err(bad(format!(
            "content: {} bytes is more than the 102,400 bytes a memory can hold",
            content.len()
        )));
    }
    Ok(())
}

fn view_of(query: &BTreeMap<String, Vec<String>>, default_full: bool) -> Result<bool, ApiErr> {
    match query.get("view").and_then(|v| v.last()).map(String::as_str) {
        None => Ok(default_full),
        Some("basic") => Ok(false),
        Some("full") => Ok(true),
        Some(other) => Err(bad(format!(
            "view: expected 'basic' or 'full', got '{other}'"
        ))),
    }
}

fn limit_of(query: &BTreeMap<String, Vec<String>>, cap: usize) -> Result<usize, ApiErr> {
    match query.get("limit").and_then(|v| v.last()) {
        None => Ok(20.min(cap)),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n.min(cap)),
            _ => Err(bad(format!(
                "limit: must be a whole number from 1 to 100, got '{v}'"
            ))),
        },
    }
}

/// One page of `items`: `(data, next_page)`.
fn page<T: Clone>(
    items: &[T],
    query: &BTreeMap<String, Vec<String>>,
    limit: usize,
) -> Result<(Vec<T>, Option<String>), ApiErr> {
    let start = match query.get("page").and_then(|v| v.last()) {
        None => 0,
        Some(token) => token
            .strip_prefix("page_")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| {
                bad(format!(
                    "page: '{token}' is not a page cursor from this API"
                ))
            })?,
    };
    let end = (start + limit).min(items.len());
    let data = items.get(start..end).unwrap_or_default().to_vec();
    let next = (end < items.len()).then(|| format!("page_{end}"));
    Ok((data, next))
}

fn text_blocks(value: Option<&Value>, what: &str) -> Result<Vec<Value>, ApiErr> {
    let blocks = value.and_then(Value::as_array).ok_or_else(|| {
        bad(format!(
            "{what}.content: Field required (an array of content blocks)"
        ))
    })?;
    let mut out = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let label = format!("{what}.content.{i}");
        let map = object(block, &label, &["type", "text"])?;
        check_type(map, &label, "text")?;
        let text = required_str(map, &label, "text")?;
        out.push(json!({"type": "text", "text": text}));
    }
    Ok(out)
}

// ---- the handler ----

fn beta_for(resource: &str) -> &'static [&'static str] {
    match resource {
        "memory_stores" => &MEMORY_BETAS,
        "sessions" => &[SESSIONS_BETA],
        _ => &[DREAMS_BETA],
    }
}

/// Every `/v1/memory_stores…`, `/v1/sessions…` and `/v1/dreams…` request.
pub(crate) async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (seq, parsed) = record(&shared, peer, &method, &uri, &headers, &body);
    let answer = answer(&shared, &method, &uri, &headers, &body, parsed);
    lock(&shared.requests)[seq].completed = true;
    let request_id = format!("req_fake_{seq:06}");
    match answer {
        Ok((status, value)) => json_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            BTreeMap::from([("request-id".into(), request_id)]),
            value,
        ),
        Err((err, extra)) => {
            let mut headers = extra;
            headers.insert("request-id".into(), request_id.clone());
            json_response(
                StatusCode::from_u16(err.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                headers,
                json!({"type": "error", "error": {"type": err.kind, "message": err.message}, "request_id": request_id}),
            )
        }
    }
}

fn answer(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    parsed: Option<Value>,
) -> Result<(u16, Value), (ApiErr, BTreeMap<String, String>)> {
    let plain = |e: ApiErr| (e, BTreeMap::new());
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let segments: Vec<&str> = uri.path().trim_start_matches("/v1/").split('/').collect();
    let resource = segments[0];

    // Authentication first (`x-api-key`, or a bearer token as the official
    // SDK sends it), then the version and beta headers, as the API does.
    let expected = lock(&shared.script).api_key().map(str::to_string);
    let sent = header("x-api-key")
        .or_else(|| header("authorization").and_then(|v| v.strip_prefix("Bearer ")));
    match (sent, expected) {
        (None, _) => {
            return Err(plain(ApiErr {
                status: 401,
                kind: "authentication_error",
                message: "x-api-key header is required (or an Authorization: Bearer key)".into(),
            }));
        }
        (Some(sent), Some(expected)) if sent != expected => {
            return Err(plain(ApiErr {
                status: 401,
                kind: "authentication_error",
                message: "invalid x-api-key".into(),
            }));
        }
        _ => {}
    }
    if header("anthropic-version").is_none() {
        return Err(plain(bad("anthropic-version: header is required")));
    }
    let betas: Vec<&str> = header("anthropic-beta")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .collect();
    let needed = beta_for(resource);
    if !needed.iter().any(|b| betas.contains(b)) {
        return Err(plain(bad(format!(
            "this endpoint is in beta: send the anthropic-beta header with {}",
            needed.join(" or ")
        ))));
    }

    let mut state = lock(&shared.managed);
    state.run_race(method, uri.path());
    if let Some(fault) = state.take_fault(method, uri.path()) {
        let mut extra = BTreeMap::new();
        if let Some(wait) = fault.retry_after {
            extra.insert("retry-after".into(), wait);
        }
        return Err((
            ApiErr {
                status: fault.status,
                kind: match fault.error_type.as_str() {
                    "rate_limit_error" => "rate_limit_error",
                    "overloaded_error" => "overloaded_error",
                    "api_error" => "api_error",
                    "not_found_error" => "not_found_error",
                    "permission_error" => "permission_error",
                    _ => "invalid_request_error",
                },
                message: fault.message,
            },
            extra,
        ));
    }

    let has_body = matches!(*method, Method::POST) && !body.is_empty();
    let body = match (has_body, parsed) {
        (false, _) => Value::Object(Map::new()),
        (true, Some(v)) => v,
        (true, None) => return Err(plain(bad("the request body is not valid JSON"))),
    };
    let query: BTreeMap<String, Vec<String>> =
        match Query::<Vec<(String, String)>>::try_from_uri(uri) {
            Ok(Query(pairs)) => {
                let mut q: BTreeMap<String, Vec<String>> = BTreeMap::new();
                for (k, v) in pairs {
                    // Lists come as `key[]=a&key[]=b` from the SDK, or repeated.
                    let k = k.strip_suffix("[]").map(str::to_string).unwrap_or(k);
                    q.entry(k).or_default().push(v);
                }
                q
            }
            Err(e) => return Err(plain(bad(format!("the query string is not valid: {e}")))),
        };
    let m = method.as_str();
    let result = match (resource, &segments[1..]) {
        ("memory_stores", []) if m == "POST" => create_store(&mut state, &body),
        ("memory_stores", []) if m == "GET" => list_stores(&state, &query),
        ("memory_stores", [id]) if m == "GET" => state.store(id).map(|s| (200, store_json(s))),
        ("memory_stores", [id]) if m == "POST" => update_store(&mut state, id, &body),
        ("memory_stores", [id]) if m == "DELETE" => delete_store(&mut state, id),
        ("memory_stores", [id, "archive"]) if m == "POST" => archive_store(&mut state, id),
        ("memory_stores", [id, "memories"]) if m == "POST" => {
            create_memory(&mut state, id, &body, &query)
        }
        ("memory_stores", [id, "memories"]) if m == "GET" => list_memories(&state, id, &query),
        ("memory_stores", [id, "memories", mid]) if m == "GET" => {
            retrieve_memory(&state, id, mid, &query)
        }
        ("memory_stores", [id, "memories", mid]) if m == "POST" => {
            update_memory(&mut state, id, mid, &body, &query)
        }
        ("memory_stores", [id, "memories", mid]) if m == "DELETE" => {
            delete_memory(&mut state, id, mid, &query)
        }
        ("sessions", []) if m == "POST" => create_session(&mut state, &body),
        ("sessions", []) if m == "GET" => list_sessions(&state, &query),
        ("sessions", [id]) if m == "GET" => state
            .sessions
            .get(*id)
            .map(|s| (200, s.json.clone()))
            .ok_or_else(|| missing("session", id)),
        ("sessions", [id]) if m == "DELETE" => state
            .sessions
            .remove(*id)
            .map(|_| (200, json!({"id": id, "type": "session_deleted"})))
            .ok_or_else(|| missing("session", id)),
        ("sessions", [id, "events"]) if m == "POST" => send_events(&mut state, id, &body),
        ("sessions", [id, "events"]) if m == "GET" => list_events(&state, id, &query),
        ("dreams", []) if m == "POST" => create_dream(&mut state, &body),
        ("dreams", []) if m == "GET" => list_dreams(&mut state, &query),
        ("dreams", [id]) if m == "GET" => read_dream(&mut state, id),
        ("dreams", [id, "cancel"]) if m == "POST" => cancel_dream(&mut state, id),
        ("dreams", [id, "archive"]) if m == "POST" => archive_dream(&mut state, id),
        _ => Err(ApiErr {
            status: 404,
            kind: "not_found_error",
            message: format!("fake model server: no route for {method} {}", uri.path()),
        }),
    };
    result.map_err(plain)
}

// ---- memory stores ----

fn create_store(state: &mut ManagedState, body: &Value) -> Answer {
    let map = object(body, "body", &["name", "description", "metadata"])?;
    let name = required_str(map, "body", "name")?;
    if name.is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(bad(
            "body.name: 1 to 255 characters, without control characters",
        ));
    }
    let description = optional_str(map, "body", "description")?.unwrap_or("");
    if description.chars().count() > 1024 {
        return Err(bad("body.description: at most 1,024 characters"));
    }
    let metadata = check_metadata(map.get("metadata"), "body")?;
    let id = state.id("memstore");
    let at = now();
    let rec = StoreRec {
        id: id.clone(),
        name: name.into(),
        description: description.into(),
        metadata,
        created_at: at.clone(),
        updated_at: at,
        archived_at: None,
    };
    let out = store_json(&rec);
    state.stores.insert(id, rec);
    Ok((200, out))
}

fn list_stores(state: &ManagedState, query: &BTreeMap<String, Vec<String>>) -> Answer {
    let include_archived = query
        .get("include_archived")
        .and_then(|v| v.last())
        .is_some_and(|v| v == "true");
    let mut stores: Vec<Value> = state
        .stores
        .values()
        .filter(|s| include_archived || s.archived_at.is_none())
        .map(store_json)
        .collect();
    stores.reverse();
    let (data, next_page) = page(&stores, query, limit_of(query, 100)?)?;
    Ok((200, json!({"data": data, "next_page": next_page})))
}

fn update_store(state: &mut ManagedState, id: &str, body: &Value) -> Answer {
    let map = object(body, "body", &["name", "description", "metadata"])?.clone();
    state.writable_store(id)?;
    let name = optional_str(&map, "body", "name")?.map(str::to_string);
    let description = optional_str(&map, "body", "description")?.map(str::to_string);
    let changes = match map.get("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(bad("body.metadata: Input should be an object")),
    };
    let store = state.stores.get_mut(id).expect("checked");
    if let Some(name) = name {
        store.name = name;
    }
    if let Some(description) = description {
        store.description = description;
    }
    for (k, v) in changes {
        match v {
            Value::Null => {
                store.metadata.remove(&k);
            }
            Value::String(s) => {
                store.metadata.insert(k, s);
            }
            _ => return Err(bad(format!("body.metadata.{k}: a string or null"))),
        }
    }
    store.updated_at = now();
    Ok((200, store_json(store)))
}

fn delete_store(state: &mut ManagedState, id: &str) -> Answer {
    state.store(id)?;
    state.stores.remove(id);
    state.memories.retain(|_, m| m.store_id != id);
    Ok((200, json!({"id": id, "type": "memory_store_deleted"})))
}

fn archive_store(state: &mut ManagedState, id: &str) -> Answer {
    state.store(id)?;
    let store = state.stores.get_mut(id).expect("checked");
    if store.archived_at.is_none() {
        let at = now();
        store.archived_at = Some(at.clone());
        store.updated_at = at;
    }
    Ok((200, store_json(store)))
}

// ---- memories ----

fn memory_in<'a>(
    state: &'a ManagedState,
    store_id: &str,
    id: &str,
) -> Result<&'a MemoryRec, ApiErr> {
    state.store(store_id)?;
    state
        .memories
        .get(id)
        .filter(|m| m.store_id == store_id)
        .ok_or_else(|| missing("memory", id))
}

fn create_memory(
    state: &mut ManagedState,
    store_id: &str,
    body: &Value,
    query: &BTreeMap<String, Vec<String>>,
) -> Answer {
    let full = view_of(query, false)?;
    let map = object(body, "body", &["content", "path"])?;
    let path = required_str(map, "body", "path")?;
    let content = match map.get("content") {
        None => return Err(bad("body.content: Field required")),
        Some(Value::Null) => "",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(bad("body.content: Input should be a valid string")),
    };
    state.writable_store(store_id)?;
    let id = state.create_memory(store_id, path, content)?;
    Ok((200, memory_json(&state.memories[&id], full)))
}

fn list_memories(
    state: &ManagedState,
    store_id: &str,
    query: &BTreeMap<String, Vec<String>>,
) -> Answer {
    state.store(store_id)?;
    let full = view_of(query, false)?;
    let limit = limit_of(query, if full { 20 } else { 100 })?;
    let prefix = query
        .get("path_prefix")
        .and_then(|v| v.last())
        .cloned()
        .unwrap_or_else(|| "/".into());
    if !prefix.starts_with('/') || !prefix.ends_with('/') {
        return Err(bad(format!(
            "path_prefix: '{prefix}' must start and end with '/'"
        )));
    }
    let depth = match query.get("depth").and_then(|v| v.last()) {
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| bad(format!("depth: '{v}' is not a whole number")))?,
    };
    let mut memories: Vec<&MemoryRec> = state
        .memories
        .values()
        .filter(|m| m.store_id == store_id && m.path.starts_with(&prefix))
        .collect();
    memories.sort_by(|a, b| a.path.cmp(&b.path));
    let mut items: Vec<(String, Value)> = Vec::new();
    let mut prefixes = BTreeSet::new();
    for m in memories {
        let rest = &m.path[prefix.len()..];
        let segments: Vec<&str> = rest.split('/').collect();
        if depth > 0 && segments.len() > depth {
            let rolled = format!("{prefix}{}/", segments[..depth].join("/"));
            if prefixes.insert(rolled.clone()) {
                items.push((
                    rolled.clone(),
                    json!({"type": "memory_prefix", "path": rolled}),
                ));
            }
        } else {
            items.push((m.path.clone(), memory_json(m, full)));
        }
    }
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let values: Vec<Value> = items.into_iter().map(|(_, v)| v).collect();
    let (data, next_page) = page(&values, query, limit)?;
    Ok((200, json!({"data": data, "next_page": next_page})))
}

fn retrieve_memory(
    state: &ManagedState,
    store_id: &str,
    id: &str,
    query: &BTreeMap<String, Vec<String>>,
) -> Answer {
    let full = view_of(query, true)?;
    Ok((200, memory_json(memory_in(state, store_id, id)?, full)))
}

fn precondition_failed(path: &str, expected: &str, actual: &str) -> ApiErr {
    ApiErr {
        status: 409,
        kind: "memory_precondition_failed_error",
        message: format!(
            "the memory at {path} has content_sha256 {actual}, not the expected {expected}; read it again and retry"
        ),
    }
}

fn update_memory(
    state: &mut ManagedState,
    store_id: &str,
    id: &str,
    body: &Value,
    query: &BTreeMap<String, Vec<String>>,
) -> Answer {
    let full = view_of(query, false)?;
    let map = object(body, "body", &["content", "path", "precondition"])?;
    let content = optional_str(map, "body", "content")?;
    let path = optional_str(map, "body", "path")?;
    let expected = match map.get("precondition") {
        None | Some(Value::Null) => None,
        Some(p) => {
            let p = object(p, "body.precondition", &["type", "content_sha256"])?;
            check_type(p, "body.precondition", "content_sha256")?;
            let sha = optional_str(p, "body.precondition", "content_sha256")?;
            if let Some(sha) = sha {
                if sha.len() != 64 || !sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return Err(bad(
                        "body.precondition.content_sha256: 64 lowercase hexadecimal characters",
                    ));
                }
            }
            sha.map(str::to_string)
        }
    };
    state.writable_store(store_id)?;
    let current = memory_in(state, store_id, id)?;
    if let Some(expected) = &expected {
        if *expected != current.sha256 {
            return Err(precondition_failed(
                &current.path,
                expected,
                &current.sha256,
            ));
        }
    }
    if let Some(content) = content {
        check_content(content)?;
    }
    if let Some(path) = path {
        check_path(path)?;
        if path != current.path && state.memory_at(store_id, path).is_some() {
            return Err(ApiErr {
                status: 409,
                kind: "memory_path_conflict_error",
                message: format!("a memory already exists at {path}"),
            });
        }
    }
    let changed =
        content.is_some_and(|c| c != current.content) || path.is_some_and(|p| p != current.path);
    let version_id = if changed {
        Some(state.id("memver"))
    } else {
        None
    };
    let m = state.memories.get_mut(id).expect("checked");
    if let Some(version_id) = version_id {
        if let Some(content) = content {
            m.content = content.into();
            m.sha256 = sha256_hex(content);
        }
        if let Some(path) = path {
            m.path = path.into();
        }
        m.version_id = version_id;
        m.updated_at = now();
    }
    Ok((200, memory_json(m, full)))
}

fn delete_memory(
    state: &mut ManagedState,
    store_id: &str,
    id: &str,
    query: &BTreeMap<String, Vec<String>>,
) -> Answer {
    let current = memory_in(state, store_id, id)?;
    if let Some(expected) = query.get("expected_content_sha256").and_then(|v| v.last()) {
        if *expected != current.sha256 {
            return Err(precondition_failed(
                &current.path,
                expected,
                &current.sha256,
            ));
        }
    }
    state.memories.remove(id);
    Ok((200, json!({"id": id, "type": "memory_deleted"})))
}

// ---- sessions ----

fn create_session(state: &mut ManagedState, body: &Value) -> Answer {
    let map = object(
        body,
        "body",
        &[
            "agent",
            "environment_id",
            "budget",
            "initial_events",
            "metadata",
            "resources",
            "title",
            "vault_ids",
        ],
    )?;
    let (agent_id, version) = match map.get("agent") {
        None => return Err(bad("body.agent: Field required")),
        Some(Value::String(id)) if !id.is_empty() => (id.clone(), 1),
        Some(v @ Value::Object(_)) => {
            let a = object(v, "body.agent", &["id", "type", "version"])?;
            check_type(a, "body.agent", "agent")?;
            let id = required_str(a, "body.agent", "id")?.to_string();
            (id, a.get("version").and_then(Value::as_i64).unwrap_or(1))
        }
        Some(_) => return Err(bad("body.agent: an agent id or an agent object")),
    };
    let environment_id = required_str(map, "body", "environment_id")?;
    if environment_id.is_empty() {
        return Err(bad("body.environment_id: must not be empty"));
    }
    if map.get("budget").is_some_and(|b| !b.is_null()) {
        return Err(bad(
            "body.budget: the fake model server does not support budgets",
        ));
    }
    let metadata = check_metadata(map.get("metadata"), "body")?;
    let title = optional_str(map, "body", "title")?;
    let mut resources = Vec::new();
    for (i, r) in map
        .get("resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let label = format!("body.resources.{i}");
        let r = object(
            r,
            &label,
            &["type", "memory_store_id", "access", "instructions"],
        )?;
        check_type(r, &label, "memory_store")?;
        let store_id = required_str(r, &label, "memory_store_id")?;
        let store = state.store(store_id)?;
        let slug: String = store
            .name
            .to_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("-");
        resources.push(json!({
            "type": "memory_store", "memory_store_id": store_id,
            "access": r.get("access").cloned().unwrap_or(json!("read_write")),
            "instructions": r.get("instructions").cloned().unwrap_or(Value::Null),
            "description": store.description, "name": store.name, "mount_path": format!("/mnt/memory/{slug}"),
        }));
    }
    let initial = map
        .get("initial_events")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if initial.len() > 50 {
        return Err(bad("body.initial_events: at most 50 events"));
    }
    let mut parsed = Vec::new();
    for (i, e) in initial.iter().enumerate() {
        let label = format!("body.initial_events.{i}");
        let e = object(e, &label, &["type", "content"])?;
        check_type(e, &label, "user.message")?;
        parsed.push(text_blocks(e.get("content"), &label)?);
    }
    let id = state.id("sesn");
    let at = now();
    let json = json!({
        "id": id, "type": "session", "status": "idle", "title": title, "metadata": metadata,
        "environment_id": environment_id, "created_at": at, "updated_at": at, "archived_at": null,
        "budget": null, "deployment_id": null, "outcome_evaluations": [], "resources": resources,
        "stats": {"active_seconds": 0.0, "duration_seconds": 0.0},
        "usage": {"input_tokens": 0, "output_tokens": 0, "cache_read_input_tokens": 0},
        "vault_ids": map.get("vault_ids").cloned().unwrap_or(json!([])),
        "agent": {
            "id": agent_id, "type": "agent", "version": version, "name": "Fake agent",
            "description": null, "system": null, "execution_identity": {"type": "service_account"},
            "mcp_servers": [], "model": {"id": "claude-sonnet-4-6", "speed": "standard"},
            "multiagent": null, "skills": [], "tools": [],
        },
    });
    state.sessions.insert(
        id.clone(),
        SessionRec {
            json: json.clone(),
            events: Vec::new(),
        },
    );
    for content in parsed {
        append_user_message(state, &id, content);
    }
    Ok((200, json))
}

/// A user message, and the fake agent's short answer to it.
fn append_user_message(state: &mut ManagedState, session_id: &str, content: Vec<Value>) -> Value {
    let (user_id, agent_id) = (state.id("sevt"), state.id("sevt"));
    let at = now();
    let event =
        json!({"id": user_id, "type": "user.message", "content": content, "processed_at": at});
    let reply = json!({"id": agent_id, "type": "agent.message", "processed_at": at,
        "content": [{"type": "text", "text": "Noted."}]});
    let session = state.sessions.get_mut(session_id).expect("created");
    session.events.push(event.clone());
    session.events.push(reply);
    session.json["updated_at"] = json!(at);
    event
}

fn list_sessions(state: &ManagedState, query: &BTreeMap<String, Vec<String>>) -> Answer {
    let sessions: Vec<Value> = state
        .sessions
        .values()
        .rev()
        .map(|s| s.json.clone())
        .collect();
    let (data, next_page) = page(&sessions, query, limit_of(query, 100)?)?;
    Ok((
        200,
        json!({"data": data, "next_page": next_page, "prev_page": null}),
    ))
}

fn send_events(state: &mut ManagedState, id: &str, body: &Value) -> Answer {
    if !state.sessions.contains_key(id) {
        return Err(missing("session", id));
    }
    let map = object(body, "body", &["events"])?;
    let events = map
        .get("events")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("body.events: Field required"))?;
    let mut accepted = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let label = format!("body.events.{i}");
        let kind = e.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "user.message" => {
                let m = object(e, &label, &["type", "content"])?;
                accepted.push(Some(text_blocks(m.get("content"), &label)?));
            }
            "user.interrupt" => {
                object(e, &label, &["type"])?;
                accepted.push(None);
            }
            other => {
                return Err(bad(format!(
                    "{label}.type: the fake model server accepts user.message and user.interrupt, not '{other}'"
                )));
            }
        }
    }
    let mut sent = Vec::new();
    for content in accepted {
        match content {
            Some(content) => sent.push(append_user_message(state, id, content)),
            None => {
                let event = json!({"id": state.id("sevt"), "type": "user.interrupt", "processed_at": now()});
                state
                    .sessions
                    .get_mut(id)
                    .expect("checked")
                    .events
                    .push(event.clone());
                sent.push(event);
            }
        }
    }
    Ok((200, json!({"data": sent})))
}

fn list_events(state: &ManagedState, id: &str, query: &BTreeMap<String, Vec<String>>) -> Answer {
    let session = state
        .sessions
        .get(id)
        .ok_or_else(|| missing("session", id))?;
    let mut events = session.events.clone();
    if let Some(types) = query.get("types") {
        events.retain(|e| types.iter().any(|t| e["type"] == t.as_str()));
    }
    if query
        .get("order")
        .and_then(|v| v.last())
        .is_some_and(|o| o == "desc")
    {
        events.reverse();
    }
    let (data, next_page) = page(&events, query, limit_of(query, 100)?)?;
    Ok((200, json!({"data": data, "next_page": next_page})))
}

// ---- dreams ----

fn create_dream(state: &mut ManagedState, body: &Value) -> Answer {
    let map = object(
        body,
        "body",
        &["inputs", "model", "instructions", "output_behavior"],
    )?;
    let inputs = map
        .get("inputs")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("body.inputs: Field required (an array)"))?;
    let (mut store_input, mut session_input) = (None, None);
    for (i, input) in inputs.iter().enumerate() {
        let label = format!("body.inputs.{i}");
        match input.get("type").and_then(Value::as_str) {
            Some("memory_store") => {
                let m = object(input, &label, &["type", "memory_store_id"])?;
                if store_input.is_some() {
                    return Err(bad("body.inputs: give exactly one memory_store entry"));
                }
                store_input = Some(required_str(m, &label, "memory_store_id")?.to_string());
            }
            Some("sessions") => {
                let m = object(input, &label, &["type", "session_ids"])?;
                if session_input.is_some() {
                    return Err(bad("body.inputs: give exactly one sessions entry"));
                }
                let ids = m
                    .get("session_ids")
                    .and_then(Value::as_array)
                    .ok_or_else(|| bad(format!("{label}.session_ids: Field required")))?;
                let ids: Vec<String> = ids
                    .iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad(format!("{label}.session_ids: strings only")))?;
                let unique: BTreeSet<&String> = ids.iter().collect();
                if ids.is_empty() || ids.len() > 100 || unique.len() != ids.len() {
                    return Err(bad(format!(
                        "{label}.session_ids: 1 to 100 ids, without duplicates"
                    )));
                }
                session_input = Some(ids);
            }
            _ => return Err(bad(format!("{label}.type: 'memory_store' or 'sessions'"))),
        }
    }
    let (Some(store_id), Some(mut session_ids)) = (store_input, session_input) else {
        return Err(bad(
            "body.inputs: give exactly one memory_store entry and exactly one sessions entry",
        ));
    };
    let model = match map.get("model") {
        Some(Value::String(id)) if !id.is_empty() && id.len() <= 256 => {
            json!({"id": id, "speed": "standard"})
        }
        Some(v @ Value::Object(_)) => {
            let m = object(v, "body.model", &["id", "speed"])?;
            let id = required_str(m, "body.model", "id")?;
            match optional_str(m, "body.model", "speed")? {
                None | Some("standard") => {}
                Some(_) => return Err(bad("body.model.speed: dreams accept only 'standard'")),
            }
            json!({"id": id, "speed": "standard"})
        }
        None => return Err(bad("body.model: Field required")),
        Some(_) => return Err(bad("body.model: a model id or {id, speed}")),
    };
    let instructions = optional_str(map, "body", "instructions")?.map(str::to_string);
    if instructions
        .as_ref()
        .is_some_and(|i| i.is_empty() || i.chars().count() > 4096)
    {
        return Err(bad("body.instructions: 1 to 4,096 characters"));
    }
    let output_behavior = match map.get("output_behavior") {
        None | Some(Value::Null) => json!({"type": "create_new"}),
        Some(v) => match v.get("type").and_then(Value::as_str) {
            Some("create_new") => {
                object(v, "body.output_behavior", &["type"])?;
                json!({"type": "create_new"})
            }
            Some("update_existing") => {
                let o = object(v, "body.output_behavior", &["type", "memory_store_id"])?;
                if required_str(o, "body.output_behavior", "memory_store_id")? != store_id {
                    return Err(bad(
                        "body.output_behavior.memory_store_id: must be the memory store in inputs",
                    ));
                }
                if state.dreams.values().any(|d| {
                    d.input_store == store_id
                        && d.output_behavior["type"] == "update_existing"
                        && matches!(d.status.as_str(), "pending" | "running")
                }) {
                    return Err(ApiErr {
                        status: 409,
                        kind: "conflict_error",
                        message: format!(
                            "another update_existing dream on {store_id} hasn't stopped yet"
                        ),
                    });
                }
                json!({"type": "update_existing", "memory_store_id": store_id})
            }
            _ => {
                return Err(bad(
                    "body.output_behavior.type: 'create_new' or 'update_existing'",
                ));
            }
        },
    };
    if state.store(&store_id)?.archived_at.is_some() {
        return Err(bad(format!("memory store {store_id} is archived")));
    }
    if let Some(unknown) = session_ids
        .iter()
        .find(|id| !state.sessions.contains_key(*id))
    {
        return Err(missing("session", unknown));
    }
    session_ids.sort();
    let script = state
        .scripts
        .pop_front()
        .unwrap_or_else(|| DreamScript::completed(&[], &[]));
    let id = state.id("drm");
    let dream = DreamRec {
        id: id.clone(),
        created_at: now(),
        input_store: store_id,
        session_ids,
        model,
        instructions,
        output_behavior,
        status: "pending".into(),
        output_store: None,
        session_id: None,
        error: None,
        usage: DreamUsage::default(),
        ended_at: None,
        archived_at: None,
        script,
        reads: 0,
    };
    let out = dream_json(&dream);
    state.dreams.insert(id, dream);
    Ok((200, out))
}

/// One read of a dream moves it one step along its script.
fn advance(state: &mut ManagedState, id: &str) {
    let Some(d) = state.dreams.get(id) else {
        return;
    };
    if matches!(d.status.as_str(), "completed" | "failed" | "canceled") {
        return;
    }
    let step = d.reads;
    let next = d.script.steps.get(step).cloned();
    let stuck = matches!(d.script.outcome, DreamOutcome::Stuck);
    let status = match next {
        Some(s) => s,
        None if stuck => "running".into(),
        None => "done".into(),
    };
    if status != "pending" && d.output_store.is_none() {
        // The dream records its output store soon after it starts.
        let (input, behavior) = (d.input_store.clone(), d.output_behavior.clone());
        let output = if behavior["type"] == "update_existing" {
            input
        } else {
            let name = format!("{} (dream {id})", state.stores[&input].name);
            state.copy_store(&input, name)
        };
        let session = state.id("sesn");
        let d = state.dreams.get_mut(id).expect("exists");
        d.output_store = Some(output);
        d.session_id = Some(session);
    }
    let d = state.dreams.get_mut(id).expect("exists");
    d.reads += 1;
    if status != "done" {
        d.status = status;
        if d.status == "running" {
            d.usage.input_tokens = d.script.usage.input_tokens / 2;
        }
        return;
    }
    d.usage = d.script.usage;
    d.ended_at = Some(now());
    match d.script.outcome.clone() {
        DreamOutcome::Completed { write, delete } => {
            d.status = "completed".into();
            let output = d.output_store.clone().expect("set when it started");
            for (path, content) in write {
                let _ = state.put(&output, &path, &content);
            }
            for path in delete {
                state.remove(&output, &path);
            }
        }
        DreamOutcome::Failed {
            error_type,
            message,
        } => {
            d.status = "failed".into();
            d.error = Some((error_type, message));
        }
        DreamOutcome::Stuck => unreachable!("a stuck dream never finishes"),
    }
}

fn read_dream(state: &mut ManagedState, id: &str) -> Answer {
    if !state.dreams.contains_key(id) {
        return Err(missing("dream", id));
    }
    advance(state, id);
    Ok((200, dream_json(&state.dreams[id])))
}

fn list_dreams(state: &mut ManagedState, query: &BTreeMap<String, Vec<String>>) -> Answer {
    let ids: Vec<String> = state.dreams.keys().cloned().collect();
    for id in &ids {
        advance(state, id);
    }
    let include_archived = query
        .get("include_archived")
        .and_then(|v| v.last())
        .is_some_and(|v| v == "true");
    let statuses = query.get("statuses");
    let mut dreams: Vec<Value> = state
        .dreams
        .values()
        .filter(|d| include_archived || d.archived_at.is_none())
        .filter(|d| statuses.is_none_or(|s| s.contains(&d.status)))
        .map(dream_json)
        .collect();
    dreams.reverse();
    let (data, next_page) = page(&dreams, query, limit_of(query, 100)?)?;
    Ok((200, json!({"data": data, "next_page": next_page})))
}

fn cancel_dream(state: &mut ManagedState, id: &str) -> Answer {
    let d = state
        .dreams
        .get_mut(id)
        .ok_or_else(|| missing("dream", id))?;
    match d.status.as_str() {
        "pending" | "running" => {
            d.status = "canceled".into();
            d.ended_at = Some(now());
        }
        "canceled" => {}
        done => {
            return Err(bad(format!(
                "dream {id} is {done}; only a pending or running dream can be canceled"
            )));
        }
    }
    Ok((200, dream_json(d)))
}

fn archive_dream(state: &mut ManagedState, id: &str) -> Answer {
    let d = state
        .dreams
        .get_mut(id)
        .ok_or_else(|| missing("dream", id))?;
    if matches!(d.status.as_str(), "pending" | "running") {
        return Err(bad(format!(
            "dream {id} is {}; cancel it before archiving",
            d.status
        )));
    }
    if d.archived_at.is_none() {
        d.archived_at = Some(now());
    }
    Ok((200, dream_json(d)))
}

// ---- control routes for other processes ----

pub(crate) async fn control(
    State(shared): State<Arc<Shared>>,
    axum::extract::Path(action): axum::extract::Path<String>,
    method: Method,
    body: Bytes,
) -> Response {
    let mut state = lock(&shared.managed);
    let result: Result<Value, String> = match (method.as_str(), action.as_str()) {
        ("GET", "state") => Ok(state.snapshot()),
        ("POST", "dream_script") => serde_json::from_slice::<DreamScript>(&body)
            .map(|s| {
                state.push_script(s);
                json!({"queued": true})
            })
            .map_err(|e| format!("dream script is not valid: {e}")),
        ("POST", "race") => serde_json::from_slice::<ManagedRace>(&body)
            .map(|r| {
                state.add_race(r);
                json!({"queued": true})
            })
            .map_err(|e| format!("race is not valid: {e}")),
        ("POST", "fault") => serde_json::from_slice::<ManagedFault>(&body)
            .map(|f| {
                state.add_fault(f);
                json!({"queued": true})
            })
            .map_err(|e| format!("fault is not valid: {e}")),
        ("POST", "write") => {
            #[derive(Deserialize)]
            struct W {
                memory_store_id: String,
                path: String,
                content: String,
            }
            serde_json::from_slice::<W>(&body)
                .map_err(|e| format!("write is not valid: {e}"))
                .and_then(|w| state.write(&w.memory_store_id, &w.path, &w.content))
                .map(|_| json!({"written": true}))
        }
        _ => Err(format!("no control action {method} {action}")),
    };
    match result {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, format!("{e}\n")).into_response(),
    }
}
