//! The grader loop's own overhead per iteration, model latency excluded
//! (target: < 2 ms). One iteration does everything the loop does around
//! its two model calls: the exact checks, building and serializing the
//! grader's request, validating its verdict, scoring, storing the
//! `grader_verdict` and `outcome_iteration` events and the verdicts in a
//! real SQLite file, writing the feedback message and reading the thread
//! back for the next pass. Baseline in the same run: one plain event append.
//!
//! Run: `cargo bench -p reverie-engine --bench grader_loop`

use std::time::{Duration, Instant};

use reverie_engine::Store;
use reverie_engine::outcome::grader::{self, Grade};
use reverie_engine::outcome::{Output, Rubric, run_exact_checks, score, starter_rubrics};
use reverie_engine::provider::{ProviderKind, Usage};
use reverie_engine::runtime::outcome_loop::{iteration_result, record_grade};
use reverie_engine::store::*;
use serde_json::json;

const TARGET: Duration = Duration::from_millis(2);
/// Outcomes graded; each runs the loop for `ITERATIONS` passes.
const ROUNDS: usize = 60;
const ITERATIONS: u32 = 3;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let agent = store
        .create_agent(&NewAgent {
            name: "writer".into(),
            provider: ProviderKind::Anthropic,
            model: "claude-sonnet-4-5".into(),
            system_prompt: "You write reports.".into(),
            tools: vec![],
        })
        .unwrap();
    let rubric: Rubric = starter_rubrics()
        .into_iter()
        .find(|r| r.name.starts_with("Report"))
        .expect("the report starter");
    let stored = store.save_rubric("report", &rubric.to_json()).unwrap();
    let output = Output {
        text: report(),
        files: vec![],
    };
    // The grader's answer, as the provider would hand it over.
    let judged_index = rubric
        .criteria
        .iter()
        .position(|c| !c.kind.is_exact())
        .unwrap();
    let answer = json!({"applies": true, "explanation": "Mostly clear.", "verdicts": [
        {"criterion_index": judged_index, "passed": false, "score": 0.4,
         "evidence": "Quarterly revenue rose", "gap": "Explain what EBITDA means in the first sentence."}
    ]});

    let mut loop_times = Vec::new();
    let mut baseline = Vec::new();
    for round in 0..ROUNDS {
        let session = store
            .create_session(&NewSession {
                agent_id: agent.id.clone(),
                task: format!("Write the quarterly report {round}."),
                parent_id: None,
            })
            .unwrap();
        let mut outcome = store
            .create_outcome(&NewOutcome {
                session_id: session.id.clone(),
                agent_id: agent.id.clone(),
                rubric_id: stored.id.clone(),
                rubric_version: stored.version,
                task: session.task.clone(),
                max_iterations: ITERATIONS as i64,
            })
            .unwrap();
        for iteration in 1..=ITERATIONS {
            // Baseline: one plain event append on the same session.
            let started = Instant::now();
            store
                .append_event(
                    &session.id,
                    &NewEvent::new(
                        EventKind::AssistantText,
                        json!({"turn": iteration, "text": output.text}),
                    ),
                )
                .unwrap();
            baseline.push(started.elapsed());

            let started = Instant::now();
            let exact = run_exact_checks(&rubric, &output);
            let request = grader::build_request(
                "claude-sonnet-4-5",
                4096,
                &session.task,
                &rubric,
                &output,
                &exact,
            );
            std::hint::black_box(serde_json::to_vec(&request.messages).unwrap());
            let judged = grader::validate(&answer, &rubric, &output).unwrap();
            let mut verdicts = exact;
            verdicts.extend(judged.verdicts);
            verdicts.sort_by_key(|v| v.criterion_index);
            let grade = Grade {
                applies: judged.applies,
                explanation: judged.explanation,
                score: score(&rubric, &verdicts),
                verdicts,
                unquoted_evidence: judged.unquoted_evidence,
                requests: 1,
                model: "claude-sonnet-4-5".into(),
                usage: Usage::default(),
                cost_usd: 0.0,
                model_ms: 0,
            };
            let result = iteration_result(&grade, iteration, ITERATIONS);
            outcome =
                record_grade(&store, &session.id, &outcome, iteration, &grade, result).unwrap();
            if result == OutcomeResult::NeedsRevision {
                let feedback = grader::feedback(&rubric, &grade.verdicts);
                store
                    .append_event(
                        &session.id,
                        &NewEvent::new(
                            EventKind::UserMessage,
                            json!({"turn": iteration, "text": feedback, "feedback": true}),
                        ),
                    )
                    .unwrap();
                std::hint::black_box(
                    store
                        .events(
                            &session.id,
                            &EventQuery {
                                thread_id: Some(session.id.clone()),
                                limit: Some(100_000),
                                ..Default::default()
                            },
                        )
                        .unwrap(),
                );
            }
            loop_times.push(started.elapsed());
        }
        assert_eq!(
            outcome.result,
            Some(OutcomeResult::MaxIterationsReached),
            "every pass fails the judged criterion, so the loop runs to the limit"
        );
    }
    let (p50, p95) = percentiles(&mut loop_times);
    let (b50, b95) = percentiles(&mut baseline);
    println!(
        "grader loop overhead per iteration (model latency excluded), {} iterations on a real SQLite file:",
        loop_times.len()
    );
    println!(
        "  loop      p50 {:>6.3} ms  p95 {:>6.3} ms",
        ms(p50),
        ms(p95)
    );
    println!(
        "  baseline  p50 {:>6.3} ms  p95 {:>6.3} ms   (one event append)",
        ms(b50),
        ms(b95)
    );
    println!(
        "  ratio p50 {:.1}x the baseline; target < {} ms: {}",
        p50.as_secs_f64() / b50.as_secs_f64().max(1e-9),
        TARGET.as_millis(),
        if p50 < TARGET { "met" } else { "NOT met" }
    );
}

fn percentiles(v: &mut [Duration]) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[(v.len() * 95 / 100).min(v.len() - 1)])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A report of about 400 words with the expected sections.
fn report() -> String {
    let para = "Quarterly revenue rose eight percent on stronger subscription renewals, while costs held flat. \
                EBITDA margin widened to nineteen percent. ";
    format!(
        "# Quarterly report\n\n## Summary\n{}\n\n## Findings\n{}\n\n## Next steps\n{}\n",
        para.repeat(2),
        para.repeat(10),
        "- Keep the renewal campaign.\n- Review pricing in the spring.\n"
    )
}
