//! The runtime's own cost, against the fake model server over loopback.
//!
//! 1. Engine overhead per agent turn, excluding model latency: sessions of
//!    five turns (four memory-tool rounds and an answer), each event a
//!    durable commit. Baseline in the same run: the same model calls made
//!    straight through the provider; overhead = (session time − model time) / turns.
//! 2. 1,000 concurrent sessions, all waiting on the model: resident memory
//!    per idle session and CPU used while they wait.
//!
//! `cargo bench -p reverie-engine --bench agent_turn`

use std::sync::Arc;
use std::time::{Duration, Instant};

use reverie_engine::Store;
use reverie_engine::provider::{Message, ModelRequest, ProviderConfig, ProviderKind};
use reverie_engine::runtime::{ProgressSink, RunRequest, Runtime};
use reverie_engine::store::{NewAgent, SessionStatus};
use reverie_fake_model::{Conditions, FakeModelServer, Reply, Rule};
use secrecy::SecretString;
use serde_json::json;
use tokio_util::sync::CancellationToken;

const TURNS: usize = 5;

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn cpu_seconds() -> f64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    t(usage.ru_utime) + t(usage.ru_stime)
}

fn raise_fd_limit() {
    let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
    unsafe {
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        lim.rlim_cur = lim.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
    }
}

async fn runtime_with(server: &FakeModelServer, dir: &std::path::Path) -> Runtime {
    let store = Arc::new(Store::open(dir).unwrap());
    store
        .create_agent(&NewAgent {
            name: "bench".into(),
            provider: ProviderKind::Anthropic,
            model: "claude-haiku-4-5".into(),
            system_prompt: "You are benchmarked.".into(),
            tools: vec!["memory".into()],
        })
        .unwrap();
    let runtime = Runtime::new(store).unwrap();
    runtime
        .providers()
        .configure(
            ProviderKind::Anthropic,
            ProviderConfig::new(
                server.url(),
                Some(SecretString::from("sk-ant-bench".to_string())),
            ),
        )
        .unwrap();
    runtime
}

fn main() {
    raise_fd_limit();
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        // --- 1. overhead per turn ---
        let server = FakeModelServer::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let runtime = runtime_with(&server, dir.path()).await;
        let tool_turn = |i: usize| {
            Reply::tool_use(format!("toolu_{i}"), "memory", json!({"command": "create", "path": format!("/memories/n{i}-{}.md", rand_suffix()), "file_text": "a note\n"}))
        };
        let sessions = 200;
        let mut per_turn_us = Vec::new();
        // Model-only baseline: the same five replies straight through the
        // provider. Interleaved with the sessions, round by round, so the
        // load of a shared machine weighs on both alike.
        let provider = runtime.providers().get(ProviderKind::Anthropic, runtime.store()).unwrap();
        let mut model_us = Vec::new();
        for round in 0..sessions + 20 {
            for i in 0..TURNS - 1 {
                server.push_reply(tool_turn(i));
            }
            server.push_reply(Reply::text("done"));
            let started = Instant::now();
            for _ in 0..TURNS {
                let request = ModelRequest::new("claude-haiku-4-5", vec![Message::user("baseline")]);
                provider.stream_turn(&request, &CancellationToken::new(), &mut |_| {}).await.unwrap();
            }
            let model = started.elapsed().as_secs_f64() * 1e6 / TURNS as f64;

            for i in 0..TURNS - 1 {
                server.push_reply(tool_turn(i));
            }
            server.push_reply(Reply::text("done"));
            let started = Instant::now();
            let result = runtime
                .run(RunRequest { agent: "bench".into(), task: "take notes".into(), limits: None }, CancellationToken::new(), ProgressSink::none())
                .await
                .unwrap();
            assert_eq!(result.status, SessionStatus::Completed, "{:?}", result.error);
            let session = started.elapsed().as_secs_f64() * 1e6 / TURNS as f64;
            if round >= 20 {
                model_us.push(model);
                per_turn_us.push(session - model);
            }
        }
        let model_p50 = percentile(&mut model_us, 0.5);
        let p50 = percentile(&mut per_turn_us, 0.5);
        let p95 = percentile(&mut per_turn_us, 0.95);
        println!("model call through the provider alone (baseline): {model_p50:.0} µs p50 per turn");
        println!("engine overhead per agent turn (durable events, memory tool): {:.3} ms p50, {:.3} ms p95   (target < 1 ms p50)", p50 / 1000.0, p95 / 1000.0);

        // --- 2. 1,000 concurrent idle sessions ---
        let n = 1000;
        let server = FakeModelServer::start().await.unwrap();
        server.add_rule(Rule { when: Conditions::default(), times: None, reply: Reply::text("late").first_byte_delay(6_000) });
        let dir = tempfile::tempdir().unwrap();
        let runtime = runtime_with(&server, dir.path()).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let before = rss_kib();
        let cancel = CancellationToken::new();
        let mut handles = Vec::new();
        for i in 0..n {
            let runtime = runtime.clone();
            let cancel = cancel.clone();
            handles.push(tokio::spawn(async move {
                runtime.run(RunRequest { agent: "bench".into(), task: format!("wait {i}"), limits: None }, cancel, ProgressSink::none()).await
            }));
        }
        // Wait until every session is waiting on its model call.
        let deadline = Instant::now() + Duration::from_secs(30);
        while server.requests().len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let waiting = server.requests().len();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let during = rss_kib();
        let cpu0 = cpu_seconds();
        let idle = Duration::from_secs(2);
        tokio::time::sleep(idle).await;
        let cpu = (cpu_seconds() - cpu0) / idle.as_secs_f64();
        cancel.cancel();
        for h in handles {
            let _ = h.await;
        }
        let per_session_kib = (during.saturating_sub(before)) as f64 / waiting.max(1) as f64;
        println!(
            "{waiting} concurrent sessions waiting on the model: {:.1} KiB resident per session (includes the in-process fake server's side)   (target < 2 MB)",
            per_session_kib
        );
        println!("CPU while they wait: {:.1}% of one core for all {waiting}", cpu * 100.0);
    });
}

fn rand_suffix() -> String {
    reverie_engine::ids::new_id()
}
