//! Dream benchmark on a real corpus: the 120 τ-bench airline sessions (84
//! failed) imported as the demo agent's history, then dreamed over whole
//! with token budgets small enough to force map/reduce (several map chunks
//! and a reduce), against the fake model server answering at once. Prints
//! per budget: chunks, model calls, tokens sent, wall time, time in model
//! calls and the rest (ours), and the ratio of tokens sent to the tokens in
//! the corpus (the trajectories as the agent saw them, system prompt
//! included), which shows how much the transcripts compact the history.
//!
//! Run: `cargo bench -p reverie-engine --bench dream_corpus`

use std::sync::Arc;
use std::time::Instant;

use reverie_engine::Store;
use reverie_engine::demo::CORPUS;
use reverie_engine::dream::review::{FINDINGS_TOOL, PROPOSAL_TOOL};
use reverie_engine::transcript::estimate_tokens;
use reverie_engine::dream::{DreamProgressSink, DreamRequest, Dreamer};
use reverie_engine::import::reader::{Flow, Piece, read_pieces};
use reverie_engine::provider::{ProviderConfig, ProviderKind};
use reverie_engine::runtime::Runtime;
use reverie_engine::store::DreamTrigger;
use reverie_fake_model::{Conditions, FakeModelServer, Reply, Rule};
use secrecy::SecretString;
use serde_json::json;
use tokio_util::sync::CancellationToken;

const BUDGETS: [i64; 3] = [20_000, 50_000, 100_000];

/// Tokens of the trajectories (every message as JSON, as the agent saw
/// them) and of the whole file.
fn corpus_tokens() -> (usize, usize) {
    let mut trajectories = 0;
    read_pieces(CORPUS, &mut |piece| -> std::io::Result<Flow> {
        if let Piece::Record(record, _) = piece {
            trajectories += estimate_tokens(&record["traj"].to_string());
        }
        Ok(Flow::Continue)
    })
    .unwrap();
    (trajectories, CORPUS.len().div_ceil(4))
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path()).unwrap());
        let started = Instant::now();
        let loaded = reverie_engine::demo::load(&store, &mut |_| {}).unwrap();
        let ids = loaded.summary.session_ids.clone();
        println!(
            "imported {} τ-bench sessions into '{}' in {} ms",
            loaded.summary.imported,
            loaded.agent,
            started.elapsed().as_millis()
        );
        let (trajectory_tokens, file_tokens) = corpus_tokens();
        println!(
            "corpus: {trajectory_tokens} tokens of trajectories ({file_tokens} tokens for the whole file with task metadata)"
        );

        let server = FakeModelServer::start().await.unwrap();
        for (tool, input) in [
            (FINDINGS_TOOL, json!({"findings": []})),
            (PROPOSAL_TOOL, json!({"edits": []})),
        ] {
            server.add_rule(Rule {
                when: Conditions {
                    system_contains: Some(tool.into()),
                    ..Conditions::default()
                },
                reply: Reply::tool_use("toolu_b", tool, input),
                times: None,
            });
        }
        let runtime = Arc::new(Runtime::new(store.clone()).unwrap());
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
        let dreamer = Dreamer::new(runtime);
        let estimate = dreamer
            .estimate(&DreamRequest::new(loaded.agent.clone(), DreamTrigger::Cli))
            .unwrap();
        println!(
            "one call would carry about {} tokens of transcripts and prompt for all {} sessions",
            estimate.estimated_input_tokens,
            estimate.session_ids.len()
        );
        for budget in BUDGETS {
            let mut request = DreamRequest::new(loaded.agent.clone(), DreamTrigger::Cli);
            request.call_tokens = Some(budget);
            request.session_ids = Some(ids.clone());
            server.clear_requests();
            let wall = Instant::now();
            let report = dreamer
                .run(request, CancellationToken::new(), DreamProgressSink::none())
                .await
                .unwrap();
            let wall_ms = wall.elapsed().as_millis();
            let s = &report.stats;
            let bytes_sent: usize = server
                .requests()
                .iter()
                .map(|r| r.body.to_string().len())
                .sum();
            println!(
                "budget {budget:>7}: {} sessions, {} map chunk(s) + reduce = {} model calls, {} tokens sent \
                 ({} request bytes); wall {wall_ms} ms, in model calls {} ms, non-model {} ms; \
                 tokens sent / corpus tokens = {:.3}",
                s.sessions,
                s.chunks,
                s.calls,
                s.tokens_sent,
                bytes_sent,
                s.model_ms,
                s.total_ms.saturating_sub(s.model_ms),
                s.tokens_sent as f64 / trajectory_tokens as f64
            );
        }
    });
}
