//! `reverie serve`: the engine's API table over HTTP on loopback, for the
//! web UI in a plain browser (development and the browser end-to-end
//! tests). The desktop app does not use it: it calls the same table through
//! Tauri.
//!
//! The bridge can read every memory and start runs that send the API key to
//! the configured provider, so nobody else may drive it:
//! - **A token per start.** 256 random bits, written to `<data>/serve-token`
//!   (readable by the owner only) and printed as a sign-in URL. Every call
//!   and the event stream must carry it, as `Authorization: Bearer TOKEN`
//!   or as the cookie that URL sets (HttpOnly, SameSite=Strict, path /api).
//!   Another user or process on the machine without the file gets 401.
//! - **Host must be the bound address** (`127.0.0.1:PORT`), so a web page
//!   whose name was re-pointed at 127.0.0.1 (DNS rebinding) is refused.
//! - **Origin must be exactly the UI's origin**: the bridge's own (it serves
//!   the built UI with `--ui ui/dist`), or the one given with `--ui-origin`
//!   (a development server). Any other page is refused before anything runs.
//! - Parameters must be sent as JSON, so a plain HTML form cannot post.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::Args;
use reverie_engine::api::Api;
use reverie_engine::runtime::Runtime;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::Context;

/// The file in the data folder that holds the current token.
pub const TOKEN_FILE: &str = "serve-token";

#[derive(Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Where the web UI is served from when it is not the bridge itself (a
    /// development server), e.g. http://127.0.0.1:5173. Pages from exactly
    /// this origin may call the bridge; the sign-in URL opens it.
    #[arg(long, value_name = "ORIGIN")]
    ui_origin: Option<String>,
    /// Serve the built web UI from this folder (`ui/dist`) at the bridge's
    /// own address, so the sign-in URL opens it directly.
    #[arg(long, value_name = "DIR")]
    ui: Option<PathBuf>,
}

/// Everything a request is checked against.
struct Bridge {
    api: Arc<Api>,
    /// Lower-case hex of 32 random bytes.
    token: String,
    /// `127.0.0.1:PORT`: the only Host accepted.
    host: String,
    /// `http://127.0.0.1:PORT`.
    own_origin: String,
    ui_origin: Option<String>,
    cookie: String,
    /// The built UI, when the bridge serves it.
    ui_dir: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let ui_origin = args.ui_origin.as_deref().map(parse_origin).transpose()?;
    if let Some(dir) = &args.ui
        && !dir.join("index.html").is_file()
    {
        anyhow::bail!(
            "{} has no index.html; build the UI first (cd ui && npm run build) and pass its dist folder",
            dir.display()
        );
    }
    let store = ctx.store()?.clone();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let data_dir = ctx.data_dir.clone();
    tokio.block_on(async move {
        let api = Arc::new(Api::new(Arc::new(Runtime::new(store)?)));
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
        let port = listener.local_addr()?.port();
        // Listen for Ctrl-C and SIGTERM before anyone can know the bridge is
        // up, so a stop never finds the default handler (and the token file
        // is always removed).
        let shutdown = shutdown_signal()?;
        let token = new_token()?;
        let token_file = write_token_file(&data_dir, &token)?;
        let bridge = Arc::new(Bridge {
            api: api.clone(),
            host: format!("127.0.0.1:{port}"),
            own_origin: format!("http://127.0.0.1:{port}"),
            cookie: format!("reverie_bridge_{port}"),
            ui_origin,
            token: token.clone(),
            ui_dir: args.ui.clone(),
        });
        // Folder mirrors configured on stores run while the bridge does.
        let mirrors = api.clone();
        tokio::spawn(async move {
            // Checks of a dream that stopped with the last process go on.
            if let Err(e) = mirrors.resume_gates() {
                eprintln!("checks could not resume: {}", e.message);
            }
            if let Err(e) = mirrors.start_configured_mirrors().await {
                eprintln!("folder mirrors could not restart: {}", e.message);
            }
        });
        let app = Router::new()
            .route("/auth", get(sign_in))
            .route("/api/events", get(events).options(preflight))
            .route("/api/{method}", post(call).options(preflight))
            .fallback(get(ui_file))
            .with_state(bridge.clone());
        crate::output::line(&format!(
            "listening on {} — sign in from a browser at {}/auth?token={token} (the token is also in {})",
            bridge.own_origin,
            bridge.own_origin,
            token_file.display()
        ))?;
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        // The token dies with this start; leave a newer start's file alone.
        if std::fs::read_to_string(&token_file).is_ok_and(|t| t.trim() == token) {
            let _ = std::fs::remove_file(&token_file);
        }
        served?;
        Ok(())
    })
}

/// Resolves on Ctrl-C (or SIGTERM); the handlers are in place on return.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// 256 bits from the operating system's random source, as hex.
fn new_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("the system gave no random numbers for a token ({e})"))?;
    Ok(hex::encode(bytes))
}

/// Writes the token where only this user can read it, replacing a token
/// left by an earlier start.
fn write_token_file(data_dir: &Path, token: &str) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    let path = data_dir.join(TOKEN_FILE);
    let _ = std::fs::remove_file(&path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&path).map_err(|e| {
        anyhow::anyhow!(
            "cannot write the bridge's token to {} ({e}); check the data folder's permissions",
            path.display()
        )
    })?;
    file.write_all(format!("{token}\n").as_bytes())?;
    Ok(path)
}

/// `http://127.0.0.1:5173` (a loopback http(s) origin, nothing after the port).
fn parse_origin(raw: &str) -> anyhow::Result<String> {
    let text = raw.trim().trim_end_matches('/');
    let refuse = || {
        anyhow::anyhow!(
            "--ui-origin must be a page address on this computer like http://127.0.0.1:5173, not '{raw}'"
        )
    };
    let (scheme, authority) = text.split_once("://").ok_or_else(refuse)?;
    if !matches!(scheme, "http" | "https") || authority.contains(['/', '?', '#', '@']) {
        return Err(refuse());
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => host,
        Some(_) => return Err(refuse()),
        None => authority,
    };
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        return Err(refuse());
    }
    Ok(format!("{scheme}://{authority}"))
}

/// A request the bridge will not serve, and the sentence that says why.
struct Refusal(StatusCode, &'static str, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (
            self.0,
            axum::Json(json!({"error": {"kind": self.1, "message": self.2}})),
        )
            .into_response()
    }
}

impl Bridge {
    /// Host and Origin: who is asking. Returns the origin to echo in CORS
    /// headers (none for a request without one, such as curl's).
    fn check_caller(&self, headers: &HeaderMap) -> Result<Option<HeaderValue>, Refusal> {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("");
        if host != self.host {
            return Err(Refusal(
                StatusCode::MISDIRECTED_REQUEST,
                "forbidden",
                format!(
                    "this bridge answers only requests addressed to {}",
                    self.host
                ),
            ));
        }
        let Some(origin) = headers.get(header::ORIGIN) else {
            return Ok(None);
        };
        let text = origin.to_str().unwrap_or("");
        if text == self.own_origin || self.ui_origin.as_deref() == Some(text) {
            Ok(Some(origin.clone()))
        } else {
            Err(Refusal(
                StatusCode::FORBIDDEN,
                "forbidden",
                "only Reverie's own pages may use the bridge".into(),
            ))
        }
    }

    /// The token, from the Authorization header or the sign-in cookie.
    fn check_token(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == self.cookie)
            .map(|(_, value)| value);
        match bearer.or(cookie) {
            Some(given) if same_secret(given.trim(), &self.token) => Ok(()),
            given => Err(Refusal(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                format!(
                    "{}: open the sign-in address `reverie serve` printed, or send the token from the serve-token file in the data folder",
                    if given.is_some() {
                        "this bridge token is not the current one (it changes each time `reverie serve` starts)"
                    } else {
                        "this bridge needs its token"
                    }
                ),
            )),
        }
    }

    fn check(&self, headers: &HeaderMap) -> Result<Option<HeaderValue>, Box<Response>> {
        let origin = self
            .check_caller(headers)
            .map_err(|r| Box::new(r.into_response()))?;
        self.check_token(headers)
            .map_err(|r| Box::new(with_cors(r.into_response(), origin.clone())))?;
        Ok(origin)
    }
}

/// Compares without stopping at the first differing byte.
fn same_secret(given: &str, token: &str) -> bool {
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn with_cors(mut response: Response, origin: Option<HeaderValue>) -> Response {
    if let Some(origin) = origin {
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST, GET, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, authorization"),
        );
        h.insert(header::VARY, HeaderValue::from_static("origin"));
    }
    response
}

#[derive(Deserialize)]
struct SignIn {
    #[serde(default)]
    token: String,
    /// Where to go next: a page of the UI's origin.
    next: Option<String>,
}

/// `GET /auth?token=T[&next=URL]`: sets the cookie and opens the UI.
async fn sign_in(
    State(bridge): State<Arc<Bridge>>,
    Query(query): Query<SignIn>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = bridge.check_caller(&headers) {
        return r.into_response();
    }
    if !same_secret(&query.token, &bridge.token) {
        return (
            StatusCode::UNAUTHORIZED,
            "This sign-in address is not the current one: use the address `reverie serve` printed when it last started.\n",
        )
            .into_response();
    }
    let ui = bridge.ui_origin.as_deref().unwrap_or(&bridge.own_origin);
    let within = |url: &str, origin: &str| url == origin || url.starts_with(&format!("{origin}/"));
    let next = query.next.filter(|n| {
        within(n, &bridge.own_origin) || bridge.ui_origin.as_deref().is_some_and(|o| within(n, o))
    });
    let cookie = format!(
        "{}={}; HttpOnly; SameSite=Strict; Path=/api",
        bridge.cookie, bridge.token
    );
    let opens_ui = bridge.ui_origin.is_some() || bridge.ui_dir.is_some();
    let mut response = match (next, opens_ui) {
        (Some(next), _) => (StatusCode::SEE_OTHER, [(header::LOCATION, next)]).into_response(),
        (None, true) => {
            let to = format!("{ui}/?bridge={}", bridge.own_origin);
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
        (None, false) => (
            StatusCode::OK,
            format!(
                "Signed in to Reverie's bridge at {}. Open the web UI with ?bridge={} in its address.\n",
                bridge.own_origin, bridge.own_origin
            ),
        )
            .into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The sign-in address holds the token: never pass it on.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// A file of the built UI (`--ui`), for any path outside `/api` and `/auth`.
/// Public files, so no token; the Host check still applies.
async fn ui_file(
    State(bridge): State<Arc<Bridge>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = bridge.check_caller(&headers) {
        return r.into_response();
    }
    let not_found = || (StatusCode::NOT_FOUND, "Not found.\n").into_response();
    let Some(dir) = &bridge.ui_dir else {
        return not_found();
    };
    let rel = uri.path().trim_start_matches('/');
    let rel = if rel.is_empty() { "index.html" } else { rel };
    // Plain names only: nothing hidden, nothing that climbs out.
    if rel
        .split('/')
        .any(|s| s.is_empty() || s.starts_with('.') || s.contains('\\') || s.contains('%'))
    {
        return not_found();
    }
    let path = dir.join(rel);
    let Ok(bytes) = tokio::fs::read(&path).await else {
        return not_found();
    };
    let kind = match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, kind),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        bytes,
    )
        .into_response()
}

async fn preflight(State(bridge): State<Arc<Bridge>>, headers: HeaderMap) -> Response {
    // A preflight never carries credentials; the real request will.
    match bridge.check_caller(&headers) {
        Ok(origin) => with_cors(StatusCode::NO_CONTENT.into_response(), origin),
        Err(r) => r.into_response(),
    }
}

async fn call(
    State(bridge): State<Arc<Bridge>>,
    UrlPath(method): UrlPath<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let origin = match bridge.check(&headers) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json && !body.is_empty() {
        let r = Refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid",
            "send the parameters as application/json".into(),
        );
        return with_cors(r.into_response(), origin);
    }
    let params: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                let r = Refusal(
                    StatusCode::BAD_REQUEST,
                    "invalid",
                    format!("the body is not JSON: {e}"),
                );
                return with_cors(r.into_response(), origin);
            }
        }
    };
    let response = match bridge.api.call(&method, params).await {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(e) => {
            let status = match e.kind {
                "not_found" | "unknown_method" => StatusCode::NOT_FOUND,
                "invalid" => StatusCode::BAD_REQUEST,
                "conflict" | "needs_confirmation" => StatusCode::CONFLICT,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, axum::Json(json!({"error": e}))).into_response()
        }
    };
    with_cors(response, origin)
}

async fn events(State(bridge): State<Arc<Bridge>>, headers: HeaderMap) -> Response {
    let origin = match bridge.check(&headers) {
        Ok(o) => o,
        Err(r) => return *r,
    };
    let rx = bridge.api.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(event) => {
                    return Some((
                        Ok::<_, std::convert::Infallible>(Event::default().data(event.to_string())),
                        rx,
                    ));
                }
                // A slow reader skips what it missed rather than stalling runs.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(_) => return None,
            }
        }
    });
    with_cors(
        Sse::new(stream)
            .keep_alive(KeepAlive::default())
            .into_response(),
        origin,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_origin_must_be_a_loopback_origin() {
        assert_eq!(
            parse_origin("http://127.0.0.1:5173/").unwrap(),
            "http://127.0.0.1:5173"
        );
        for bad in [
            "foo://localhost:1",
            "http://evil.example:80",
            "http://127.0.0.1:5173/path",
            "http://user@127.0.0.1:1",
            "127.0.0.1:5173",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn tokens_are_256_bits_and_compared_whole() {
        let a = new_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token().unwrap());
        assert!(same_secret(&a, &a));
        assert!(!same_secret(&a[..63], &a));
        assert!(!same_secret("", &a));
    }
}
