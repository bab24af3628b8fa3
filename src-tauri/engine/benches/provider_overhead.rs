//! The provider's own cost per request over loopback, against the fake
//! model server in the same process:
//!
//! * overhead: a full streamed Anthropic turn through `AnthropicProvider`
//!   minus a bare `reqwest` POST that reads the same SSE body without
//!   parsing it (the baseline, measured interleaved in the same run, so the
//!   server and the kernel cancel out). Target: < 200 µs at p50.
//! * time to first token relayed: from the moment the server hands the
//!   first text delta to the socket to the moment the caller's callback
//!   receives it. Target: < 1 ms at p50.
//!
//! Run: `cargo bench -p reverie-engine --bench provider_overhead`

use std::sync::Arc;
use std::time::{Duration, Instant};

use reverie_engine::provider::*;
use reverie_fake_model::{FakeModelServer, Reply, Rule, Usage};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;

const WARMUP: usize = 200;
const ROUNDS: usize = 2_000;
const TTFT_ROUNDS: usize = 300;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

async fn run() {
    let server = FakeModelServer::start().await.unwrap();
    let reply = Reply::text(
        "Hello! This is a short benchmark reply, streamed in small pieces like a real model does.",
    )
    .chunked(8, 0)
    .with_usage(Usage {
        input_tokens: 1200,
        output_tokens: 24,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 1000,
        ..Usage::default()
    });
    server.add_rule(Rule {
        when: reverie_fake_model::Conditions {
            last_user_contains: Some("overhead".into()),
            ..Default::default()
        },
        reply: reply.clone(),
        times: None,
    });
    server.add_rule(Rule {
        when: reverie_fake_model::Conditions {
            last_user_contains: Some("ttft".into()),
            ..Default::default()
        },
        // Pauses isolate the first delta from the events before it.
        reply: reply.clone().chunked(8, 2),
        times: None,
    });

    let key = "sk-ant-bench";
    let config = ProviderConfig::new(server.url(), Some(SecretString::from(key)));
    let provider = AnthropicProvider::new(config, Arc::new(PriceTable::built_in())).unwrap();
    let cancel = CancellationToken::new();
    let mut request = ModelRequest::new(
        "claude-haiku-4-5",
        vec![Message::user("measure the overhead")],
    );
    request.system = Some("You are a benchmark.".into());
    let body = reverie_engine::provider::anthropic::request_body(&request).to_string();

    let raw = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .unwrap();
    let url = format!("{}/v1/messages", server.url());
    let baseline = || async {
        let started = Instant::now();
        let response = raw
            .post(&url)
            .header("x-api-key", key)
            .header("anthropic-version", "2023-06-01")
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let bytes = response.bytes().await.unwrap();
        assert!(bytes.ends_with(b"message_stop\"}\n\n"));
        started.elapsed()
    };
    let through_provider = || async {
        let started = Instant::now();
        let mut deltas = 0;
        let response = provider
            .stream_turn(&request, &cancel, &mut |e| {
                if let StreamEvent::TextDelta { .. } = e {
                    deltas += 1
                }
            })
            .await
            .unwrap();
        let took = started.elapsed();
        assert!(deltas > 5 && response.cost_usd.is_some());
        took
    };

    for _ in 0..WARMUP {
        baseline().await;
        through_provider().await;
    }
    let mut base = Vec::with_capacity(ROUNDS);
    let mut full = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        base.push(baseline().await);
        full.push(through_provider().await);
    }
    let (b50, f50) = (percentile(&mut base, 0.5), percentile(&mut full, 0.5));
    let (b99, f99) = (percentile(&mut base, 0.99), percentile(&mut full, 0.99));
    let overhead = f50.saturating_sub(b50);
    println!(
        "provider overhead per request (loopback, {ROUNDS} streamed turns, no server delay): p50 {:.0} µs (target < 200 µs) {}",
        us(overhead),
        if us(overhead) < 200.0 {
            "OK"
        } else {
            "OVER TARGET"
        }
    );
    println!(
        "  provider turn p50 {:.0} µs / p99 {:.0} µs; bare HTTP baseline p50 {:.0} µs / p99 {:.0} µs",
        us(f50),
        us(f99),
        us(b50),
        us(b99)
    );

    let mut ttft = Vec::with_capacity(TTFT_ROUNDS);
    request.messages = vec![Message::user("measure ttft")];
    for round in 0..(TTFT_ROUNDS + 20) {
        server.clear_requests();
        let mut first: Option<Instant> = None;
        provider
            .stream_turn(&request, &cancel, &mut |e| {
                if first.is_none() && matches!(e, StreamEvent::TextDelta { .. }) {
                    first = Some(Instant::now());
                }
            })
            .await
            .unwrap();
        let sent = server
            .first_delta_sent(0)
            .expect("the server marked its first delta");
        if round >= 20 {
            ttft.push(first.unwrap().duration_since(sent));
        }
    }
    let (t50, t99) = (percentile(&mut ttft, 0.5), percentile(&mut ttft, 0.99));
    println!(
        "time to first token relayed to the caller after the server sent it: p50 {:.0} µs, p99 {:.0} µs (target < 1 ms) {}",
        us(t50),
        us(t99),
        if t50 < Duration::from_millis(1) {
            "OK"
        } else {
            "OVER TARGET"
        }
    );
}
