//! `reverie serve`: the engine's API table over HTTP on loopback, for the
//! web UI in a plain browser (development and the browser end-to-end
//! tests). The desktop app does not use it: it calls the same table through
//! Tauri. Only 127.0.0.1 is bound; requests must be JSON and may only come
//! from loopback pages, so another website cannot drive it.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::Args;
use reverie_engine::api::Api;
use reverie_engine::runtime::Runtime;
use serde_json::{Value, json};

use crate::Context;

#[derive(Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

pub fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<()> {
    let store = Arc::new(reverie_engine::Store::open(&ctx.data_dir)?);
    store.mark_interrupted_sessions()?;
    reverie_engine::dream::recover(&store)?;
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    tokio.block_on(async move {
        let api = Arc::new(Api::new(Arc::new(Runtime::new(store)?)));
        // Folder mirrors configured on stores run while the bridge does.
        let mirrors = api.clone();
        tokio::spawn(async move {
            if let Err(e) = mirrors.start_configured_mirrors().await {
                eprintln!("folder mirrors could not restart: {}", e.message);
            }
        });
        let app = Router::new()
            .route("/api/events", get(events))
            .route("/api/{method}", post(call).options(preflight))
            .with_state(api);
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], args.port))).await?;
        println!("listening on http://{}", listener.local_addr()?);
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await?;
        Ok(())
    })
}

/// Loopback pages only (any port): the UI's dev server or a test harness.
/// A page from another computer asked to use the bridge.
struct ForeignOrigin;

impl IntoResponse for ForeignOrigin {
    fn into_response(self) -> Response {
        (StatusCode::FORBIDDEN, axum::Json(json!({"error": {"kind": "forbidden", "message": "only pages on this computer may use the bridge"}}))).into_response()
    }
}

fn allowed_origin(headers: &HeaderMap) -> Result<Option<HeaderValue>, ForeignOrigin> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(None);
    };
    let text = origin.to_str().unwrap_or("");
    let host = text
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split(':')
        .next()
        .unwrap_or("");
    if matches!(host, "127.0.0.1" | "localhost" | "[::1]") {
        Ok(Some(origin.clone()))
    } else {
        Err(ForeignOrigin)
    }
}

fn with_cors(mut response: Response, origin: Option<HeaderValue>) -> Response {
    if let Some(origin) = origin {
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST, GET, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type"),
        );
        h.insert(header::VARY, HeaderValue::from_static("origin"));
    }
    response
}

async fn preflight(headers: HeaderMap) -> Response {
    match allowed_origin(&headers) {
        Ok(origin) => with_cors(StatusCode::NO_CONTENT.into_response(), origin),
        Err(r) => r.into_response(),
    }
}

async fn call(
    State(api): State<Arc<Api>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let origin = match allowed_origin(&headers) {
        Ok(o) => o,
        Err(r) => return r.into_response(),
    };
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json && !body.is_empty() {
        let r = (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            axum::Json(
                json!({"error": {"kind": "invalid", "message": "send the parameters as application/json"}}),
            ),
        );
        return with_cors(r.into_response(), origin);
    }
    let params: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => {
                let r = (
                    StatusCode::BAD_REQUEST,
                    axum::Json(
                        json!({"error": {"kind": "invalid", "message": format!("the body is not JSON: {e}")}}),
                    ),
                );
                return with_cors(r.into_response(), origin);
            }
        }
    };
    let response = match api.call(&method, params).await {
        Ok(value) => (StatusCode::OK, axum::Json(value)).into_response(),
        Err(e) => {
            let status = match e.kind {
                "not_found" | "unknown_method" => StatusCode::NOT_FOUND,
                "invalid" => StatusCode::BAD_REQUEST,
                "conflict" => StatusCode::CONFLICT,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (status, axum::Json(json!({"error": e}))).into_response()
        }
    };
    with_cors(response, origin)
}

async fn events(State(api): State<Arc<Api>>, headers: HeaderMap) -> Response {
    let origin = match allowed_origin(&headers) {
        Ok(o) => o,
        Err(r) => return r.into_response(),
    };
    let rx = api.subscribe();
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
