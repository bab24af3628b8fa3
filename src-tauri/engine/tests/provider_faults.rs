//! Every fault the fake model server can inject, against the Anthropic
//! provider over real HTTP: retried ones recover (or give up with a clear
//! sentence), final ones are reported at once, cancellation stops the
//! request, and bad input never panics.

mod provider_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use provider_support::*;
use reverie_engine::provider::*;
use reverie_fake_model::{Block, FakeModelServer, Fault, Reply};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

fn retries(events: &[StreamEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, StreamEvent::Retrying { .. }))
        .count()
}

async fn one_fault_then_text(
    fault: Fault,
) -> (
    Result<ModelResponse, ProviderError>,
    Vec<StreamEvent>,
    FakeModelServer,
) {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::fault(fault));
    server.push_reply(Reply::text("recovered"));
    let (result, events) = turn(&anthropic(&server), &request("hi")).await;
    (result, events, server)
}

#[tokio::test]
async fn rate_limit_honours_retry_after() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::fault(Fault::RateLimited {
        retry_after: Some("1".into()),
        retry_after_ms: None,
        reset_after_ms: None,
    }));
    server.push_reply(Reply::text("recovered"));
    let started = Instant::now();
    let (result, events) = turn(&anthropic(&server), &request("hi")).await;
    let response = result.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited as asked"
    );
    assert_eq!(response.attempts, 2);
    assert_eq!(response.message.text(), "recovered");
    assert!(
        matches!(&events[0], StreamEvent::Retrying { attempt: 2, delay, error } if *delay == Duration::from_secs(1) && error.starts_with("rate limited"))
    );
}

#[tokio::test]
async fn rate_limit_without_retry_after_uses_the_reset_header() {
    let (result, events, _server) = one_fault_then_text(Fault::RateLimited {
        retry_after: None,
        retry_after_ms: None,
        reset_after_ms: Some(300),
    })
    .await;
    result.unwrap();
    let StreamEvent::Retrying { delay, .. } = &events[0] else {
        panic!("{events:?}")
    };
    assert!(
        *delay > Duration::from_millis(100) && *delay <= Duration::from_millis(300),
        "{delay:?}"
    );
}

#[tokio::test]
async fn overloaded_and_server_errors_are_retried() {
    for fault in [
        Fault::Overloaded,
        Fault::ServerError,
        Fault::HttpError {
            status: 503,
            error_type: "api_error".into(),
            message: "unavailable".into(),
            headers: Default::default(),
        },
    ] {
        let (result, events, server) = one_fault_then_text(fault).await;
        assert_eq!(result.unwrap().message.text(), "recovered");
        assert_eq!(retries(&events), 1);
        assert_eq!(server.requests().len(), 2);
    }
}

#[tokio::test]
async fn retries_give_up_with_one_clear_sentence() {
    let server = FakeModelServer::start().await.unwrap();
    for _ in 0..4 {
        server.push_reply(Reply::fault(Fault::Overloaded));
    }
    let (result, events) = turn(&anthropic(&server), &request("hi")).await;
    let err = result.unwrap_err();
    assert_eq!(retries(&events), 3);
    assert_eq!(server.requests().len(), 4, "max_retries 3 means 4 attempts");
    assert!(matches!(err.root(), ProviderError::Overloaded { .. }));
    assert_eq!(
        err.to_string(),
        "the model API is overloaded: try again in a few minutes (overloaded_error: Overloaded) (gave up after 4 attempts)"
    );
}

#[tokio::test]
async fn final_statuses_are_not_retried_and_say_what_to_do() {
    let cases = [
        (
            Fault::Unauthorized,
            "API key rejected: update it in Settings",
        ),
        (
            Fault::TooLarge,
            "request too large for the model API: shorten the task",
        ),
        (
            Fault::NotFound,
            "model or endpoint not found: check the model name",
        ),
        (
            Fault::HttpError {
                status: 403,
                error_type: "permission_error".into(),
                message: "no access".into(),
                headers: Default::default(),
            },
            "the API key is not allowed",
        ),
        (
            Fault::HttpError {
                status: 400,
                error_type: "invalid_request_error".into(),
                message: "max_tokens: too big".into(),
                headers: Default::default(),
            },
            "the model API refused the request (HTTP 400): invalid_request_error: max_tokens: too big",
        ),
    ];
    for (fault, sentence) in cases {
        let (result, events, server) = one_fault_then_text(fault).await;
        let err = result.unwrap_err().to_string();
        assert!(err.starts_with(sentence), "{err}");
        assert_eq!(retries(&events), 0);
        assert_eq!(server.requests().len(), 1);
    }
}

#[tokio::test]
async fn stream_cut_mid_message_is_retried_as_a_whole_turn() {
    let server = FakeModelServer::start().await.unwrap();
    let long = "The quick brown fox jumps over the lazy dog.";
    server.push_reply(
        Reply::text(long)
            .chunked(4, 0)
            .with_fault(Fault::CutStream { after_events: 6 }),
    );
    server.push_reply(Reply::text(long).chunked(4, 0));
    let (result, events) = turn(&anthropic(&server), &request("hi")).await;
    let response = result.unwrap();
    assert_eq!(response.message.text(), long, "never silently truncated");
    assert_eq!(response.attempts, 2);
    assert_eq!(retries(&events), 1);
    assert_eq!(
        streamed_text(&events),
        long,
        "after Retrying, the relayed text starts over"
    );
    assert!(server.requests()[0].disconnected);
}

#[tokio::test]
async fn a_stream_cut_every_time_is_reported() {
    let server = FakeModelServer::start().await.unwrap();
    server.add_rule(reverie_fake_model::Rule {
        when: Default::default(),
        reply: Reply::text("partial answer that never ends")
            .chunked(3, 0)
            .with_fault(Fault::CutStream { after_events: 5 }),
        times: None,
    });
    let (result, _) = turn(&anthropic(&server), &request("hi")).await;
    let err = result.unwrap_err();
    assert!(
        matches!(
            err.root(),
            ProviderError::Disconnected { .. } | ProviderError::Truncated
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("gave up after 4 attempts"),
        "{err}"
    );
}

#[tokio::test]
async fn a_stream_that_ends_cleanly_before_message_stop_is_retried() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(
        Reply::text("half an answer")
            .chunked(3, 0)
            .with_fault(Fault::EndStream { after_events: 5 }),
    );
    server.push_reply(Reply::text("whole"));
    let (result, events) = turn(&anthropic(&server), &request("hi")).await;
    assert_eq!(result.unwrap().message.text(), "whole");
    assert!(
        matches!(&events.iter().find(|e| matches!(e, StreamEvent::Retrying { .. })), Some(StreamEvent::Retrying { error, .. }) if error == "the model's reply stopped before it was complete: try again")
    );
}

#[tokio::test]
async fn a_mid_stream_overloaded_error_is_retried() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::text("half").with_fault(Fault::StreamError {
        after_events: 4,
        error_type: "overloaded_error".into(),
        message: "Overloaded".into(),
    }));
    server.push_reply(Reply::text("whole"));
    let (result, events) = turn(&anthropic(&server), &request("hi")).await;
    assert_eq!(
        result.unwrap().message.text(),
        "whole",
        "a mid-stream overloaded error is retried"
    );
    assert!(
        matches!(&events.iter().find(|e| matches!(e, StreamEvent::Retrying { .. })), Some(StreamEvent::Retrying { error, .. }) if error.contains("Overloaded"))
    );
}

#[tokio::test]
async fn a_mid_stream_invalid_request_error_is_reported() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::text("half").with_fault(Fault::StreamError {
        after_events: 4,
        error_type: "invalid_request_error".into(),
        message: "bad thing".into(),
    }));
    let (result, _) = turn(&anthropic(&server), &request("hi")).await;
    let err = result.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the model API reported an error mid-reply: bad thing (invalid_request_error); try again"
    );
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_malformed_event_is_a_clear_error() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::text("hello").with_fault(Fault::MalformedEvent { after_events: 3 }));
    let (result, _) = turn(&anthropic(&server), &request("hi")).await;
    let err = result.unwrap_err().to_string();
    assert!(err.starts_with("the model API sent a reply Reverie cannot read (a 'content_block_delta' event is not JSON"), "{err}");
    assert!(
        err.ends_with("check that the base URL points at an Anthropic-compatible server"),
        "{err}"
    );
}

#[tokio::test]
async fn slow_first_byte_times_out_and_is_retried() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::text("too late").first_byte_delay(2_000));
    server.push_reply(Reply::text("in time").first_byte_delay(50));
    let mut config = config(server.url());
    config.first_byte_timeout = Duration::from_millis(300);
    let provider = AnthropicProvider::new(config, Arc::new(PriceTable::built_in())).unwrap();
    let (result, events) = turn(&provider, &request("hi")).await;
    assert_eq!(result.unwrap().message.text(), "in time");
    assert!(
        matches!(&events[0], StreamEvent::Retrying { error, .. } if error.starts_with("the model API did not answer within 0.3 s"))
    );
}

#[tokio::test]
async fn slow_tokens_past_the_idle_timeout_are_retried() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::text("slow slow slow").chunked(2, 600));
    server.push_reply(Reply::text("quick"));
    let mut config = config(server.url());
    config.idle_timeout = Duration::from_millis(200);
    let provider = AnthropicProvider::new(config, Arc::new(PriceTable::built_in())).unwrap();
    let (result, _) = turn(&provider, &request("hi")).await;
    assert_eq!(result.unwrap().message.text(), "quick");
}

#[tokio::test]
async fn cancelling_mid_stream_stops_the_request_at_once() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(
        Reply::text("a long answer streamed slowly, one piece at a time").chunked(4, 200),
    );
    let provider = anthropic(&server);
    let cancel = CancellationToken::new();
    let mut deltas = 0;
    let started = Instant::now();
    let req = request("hi");
    let result = provider
        .stream_turn(&req, &cancel, &mut |e| {
            if matches!(e, StreamEvent::TextDelta { .. }) {
                deltas += 1;
                cancel.cancel();
            }
        })
        .await;
    assert!(
        matches!(result, Err(ProviderError::Cancelled)),
        "{result:?}"
    );
    assert_eq!(result.unwrap_err().to_string(), "the turn was cancelled");
    assert_eq!(deltas, 1);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "did not wait for the rest of the stream"
    );
    // The server sees the connection go away.
    for _ in 0..50 {
        if server.requests()[0].disconnected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(server.requests()[0].disconnected);
    assert!(!server.requests()[0].completed);
}

#[tokio::test]
async fn cancelling_during_backoff_stops_at_once() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::fault(Fault::RateLimited {
        retry_after: Some("30".into()),
        retry_after_ms: None,
        reset_after_ms: None,
    }));
    let provider = anthropic(&server);
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        canceller.cancel();
    });
    let req = request("hi");
    let result = provider.stream_turn(&req, &cancel, &mut |_| {}).await;
    assert!(matches!(result, Err(ProviderError::Cancelled)));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn dropping_the_turn_closes_the_connection() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::text("never finished").chunked(2, 300));
    let provider = anthropic(&server);
    let req = request("hi");
    let fut = turn(&provider, &req);
    assert!(
        tokio::time::timeout(Duration::from_millis(400), fut)
            .await
            .is_err()
    );
    for _ in 0..50 {
        if server.requests()[0].disconnected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(server.requests()[0].disconnected);
}

#[tokio::test]
async fn bad_input_gives_one_clear_sentence() {
    // An invalid key.
    let server = FakeModelServer::start().await.unwrap();
    server.require_api_key("sk-the-right-one");
    server.push_reply(Reply::text("unreachable"));
    let err = turn(&anthropic(&server), &request("hi"))
        .await
        .0
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "API key rejected: update it in Settings (authentication_error: invalid x-api-key)"
    );

    // An unknown model (the real API answers 404 not_found_error).
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::fault(Fault::NotFound));
    let mut req = request("hi");
    req.model = "claude-nonexistent-9".into();
    let err = turn(&anthropic(&server), &req)
        .await
        .0
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "model or endpoint not found: check the model name in the agent's settings and the base URL (not_found_error: model: claude-nonexistent-9)"
    );

    // An unreachable base URL: a port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let provider =
        AnthropicProvider::new(config(url.clone()), Arc::new(PriceTable::built_in())).unwrap();
    let err = turn(&provider, &request("hi"))
        .await
        .0
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "cannot reach the model API at {url}/v1/messages: check the base URL in Settings"
        )),
        "{err}"
    );
    assert!(err.ends_with("(gave up after 4 attempts)"), "{err}");

    // A base URL that is not a URL.
    let err = AnthropicProvider::new(config("not a url".into()), Arc::new(PriceTable::built_in()))
        .err()
        .unwrap()
        .to_string();
    assert_eq!(
        err,
        "the base URL 'not a url' is not a valid http(s) URL: fix it in Settings or ANTHROPIC_BASE_URL"
    );

    // A non-JSON body: an HTML page from a proxy, with 200 and with 502.
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::fault(Fault::Raw {
        status: 200,
        content_type: "text/html".into(),
        body: "<html>login</html>".into(),
    }));
    let err = turn(&anthropic(&server), &request("hi"))
        .await
        .0
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("the model API sent a reply Reverie cannot read (the body is not JSON"),
        "{err}"
    );
    server.push_reply(Reply::fault(Fault::Raw {
        status: 502,
        content_type: "text/html".into(),
        body: "<html>Bad Gateway</html>".into(),
    }));
    server.push_reply(Reply::text("ok"));
    assert_eq!(
        turn(&anthropic(&server), &request("hi"))
            .await
            .0
            .unwrap()
            .message
            .text(),
        "ok",
        "a 502 page is retried"
    );

    // No key at all.
    let provider = AnthropicProvider::new(
        ProviderConfig::new(server.url(), None),
        Arc::new(PriceTable::built_in()),
    )
    .unwrap();
    let err = turn(&provider, &request("hi"))
        .await
        .0
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "no API key for Anthropic: add one in Settings or set ANTHROPIC_API_KEY"
    );
}

#[tokio::test]
async fn tool_input_that_is_not_an_object_is_relayed_as_is() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::default().with_block(Block::ToolUse {
        id: "t".into(),
        name: "x".into(),
        input: serde_json::json!("just a string"),
    }));
    let response = turn(&anthropic(&server), &request("hi")).await.0.unwrap();
    assert_eq!(
        response.message.tool_uses().next().unwrap().2,
        &serde_json::json!("just a string")
    );
}

#[test]
fn config_from_env_prefers_the_env_key_over_the_keychain() {
    use secrecy::ExposeSecret;
    let env = |name: &str| match name {
        "ANTHROPIC_BASE_URL" => Some("http://127.0.0.1:9".to_string()),
        "ANTHROPIC_API_KEY" => Some("sk-env".to_string()),
        _ => None,
    };
    let config = ProviderConfig::from_lookup(ProviderKind::Anthropic, env, || {
        panic!("keychain not consulted")
    })
    .unwrap();
    assert_eq!(config.base_url, "http://127.0.0.1:9");
    assert_eq!(config.api_key.unwrap().expose_secret(), "sk-env");
    assert!(
        !format!(
            "{:?}",
            ProviderConfig::new("x", Some(SecretString::from("sk-secret")))
        )
        .contains("sk-secret")
    );

    let config = ProviderConfig::from_lookup(
        ProviderKind::Anthropic,
        |_| None,
        || Ok(Some(SecretString::from("sk-keychain"))),
    )
    .unwrap();
    assert_eq!(config.base_url, "https://api.anthropic.com");
    assert_eq!(config.api_key.unwrap().expose_secret(), "sk-keychain");

    let config = ProviderConfig::from_lookup(ProviderKind::OpenAi, |_| None, || Ok(None)).unwrap();
    assert_eq!(config.base_url, "https://api.openai.com/v1");
    assert!(config.api_key.is_none());
}

#[tokio::test]
async fn a_non_streamed_reply_gets_the_longer_whole_reply_timeout() {
    let server = FakeModelServer::start().await.unwrap();
    server.push_reply(Reply::text("slow but whole").first_byte_delay(400));
    let mut config = config(server.url());
    config.first_byte_timeout = Duration::from_millis(100);
    config.whole_reply_timeout = Duration::from_secs(10);
    let provider = AnthropicProvider::new(config, Arc::new(PriceTable::built_in())).unwrap();
    let mut req = request("hi");
    req.stream = false;
    let response = turn(&provider, &req).await.0.unwrap();
    assert_eq!(response.message.text(), "slow but whole");
    assert_eq!(response.attempts, 1);
}
