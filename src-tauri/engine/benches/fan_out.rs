//! Multiagent fan-out against the fake model server: a lead sends N tasks
//! at once (N = 4, 16, 25) to subagents whose model replies take a fixed
//! latency. Prints the wall time of the whole run as a ratio to that
//! latency (the lead's own calls are instant, so a perfectly parallel
//! fan-out is 1.0) and the resident memory per running thread.
//!
//! `cargo bench -p reverie-engine --bench fan_out`

use std::sync::Arc;
use std::time::{Duration, Instant};

use reverie_engine::Store;
use reverie_engine::provider::{ProviderConfig, ProviderKind};
use reverie_engine::runtime::{ProgressSink, RunRequest, Runtime};
use reverie_engine::store::{AgentUpdate, NewAgent, SessionStatus};
use reverie_fake_model::{Conditions, FakeModelServer, Reply, Rule};
use secrecy::SecretString;
use serde_json::json;
use tokio_util::sync::CancellationToken;

const LATENCY_MS: u64 = 500;
const SPECIALISTS: usize = 5;

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let server = FakeModelServer::start().await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let agent = |name: &str, prompt: &str| NewAgent {
            name: name.into(),
            provider: ProviderKind::Anthropic,
            model: "claude-haiku-4-5".into(),
            system_prompt: prompt.into(),
            tools: vec![],
        };
        store.create_agent(&agent("lead", "You lead the benchmark.")).unwrap();
        store.update_agent("lead", &AgentUpdate { settings: Some(json!({"max_parallel": 25})), ..Default::default() }).unwrap();
        for i in 0..SPECIALISTS {
            store.create_agent(&agent(&format!("s{i}"), &format!("You are specialist number {i}."))).unwrap();
            store.roster_add("lead", &format!("s{i}")).unwrap();
        }
        let runtime = Runtime::new(store).unwrap();
        runtime
            .providers()
            .configure(ProviderKind::Anthropic, ProviderConfig::new(server.url(), Some(SecretString::from("sk-ant-bench".to_string()))))
            .unwrap();
        server.add_rule(Rule { when: Conditions { system_contains: Some("specialist number".into()), ..Default::default() }, times: None, reply: Reply::text("finding").first_byte_delay(LATENCY_MS) });
        server.add_rule(Rule { when: Conditions { last_user_contains: Some("<result".into()), ..Default::default() }, times: None, reply: Reply::text("synthesis") });

        println!("fan-out with a model latency of {LATENCY_MS} ms per subagent reply (target ratio <= 1.1):");
        for n in [4usize, 16, 25] {
            let mut ratios = Vec::new();
            let mut per_thread_kib: f64 = 0.0;
            for round in 0..4 {
                let tasks: Vec<_> = (0..n).map(|i| json!({"agent": format!("s{}", i % SPECIALISTS), "task": format!("part {i}")})).collect();
                server.add_rule(Rule {
                    when: Conditions { system_contains: Some("You lead the benchmark.".into()), last_user_contains: Some("go".into()), ..Default::default() },
                    times: Some(1),
                    reply: Reply::tool_use("toolu_fan", "delegate", json!({"tasks": tasks})),
                });
                let before = rss_kib();
                let sampler = tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(LATENCY_MS / 2)).await;
                    rss_kib()
                });
                let started = Instant::now();
                let result = runtime
                    .run(RunRequest { agent: "lead".into(), task: "go".into(), limits: None }, CancellationToken::new(), ProgressSink::none())
                    .await
                    .unwrap();
                let wall = started.elapsed();
                assert_eq!(result.status, SessionStatus::Completed, "{:?}", result.error);
                let during = sampler.await.unwrap();
                if round > 0 {
                    ratios.push(wall.as_secs_f64() * 1000.0 / LATENCY_MS as f64);
                    per_thread_kib = per_thread_kib.max(during.saturating_sub(before) as f64 / n as f64);
                }
            }
            ratios.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!(
                "  N = {n:>2}: wall / latency = {:.3} (best {:.3}, worst {:.3}); ~{per_thread_kib:.0} KiB resident per running thread",
                ratios[ratios.len() / 2],
                ratios[0],
                ratios[ratios.len() - 1]
            );
        }
    });
}
