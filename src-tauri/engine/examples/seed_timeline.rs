//! Seeds a data folder with one long session for the timeline's performance
//! harness (`tests/ui-perf/timeline.mjs`): a lead agent and subagent threads
//! whose events interleave like a real fan-out (model calls with usage,
//! tool calls and results, memory reads and writes, retries, errors, grader
//! verdicts). Prints `{"session_id": ..., "events": N, "threads": T}`.
//!
//! `cargo run -p reverie-engine --example seed_timeline -- DATA_DIR [EVENTS] [SUBAGENTS]`

use reverie_engine::Store;
use reverie_engine::provider::ProviderKind;
use reverie_engine::store::*;
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .ok_or("give the data folder to seed: seed_timeline DATA_DIR [EVENTS] [SUBAGENTS]")?;
    let total: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(50_000);
    let subagents: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(4);
    let store = Store::open(std::path::Path::new(&dir))?;
    let new_agent = |name: &str| NewAgent {
        name: name.into(),
        provider: ProviderKind::Anthropic,
        model: "claude-sonnet-4-5".into(),
        system_prompt: format!("You are {name}."),
        tools: vec!["workspace".into(), "memory".into()],
    };
    let lead = store.create_agent(&new_agent("perf-lead"))?;
    let root = store.create_session(&NewSession {
        agent_id: lead.id.clone(),
        task: format!("Review {total} steps of work across {subagents} specialists"),
        parent_id: None,
    })?;
    store.append_event(
        &root.id,
        &NewEvent::new(
            EventKind::UserMessage,
            json!({"turn": 0, "text": root.task}),
        ),
    )?;
    let mut threads = vec![root.id.clone()];
    for i in 0..subagents {
        let name = format!("perf-specialist-{}", i + 1);
        let a = store.create_agent(&new_agent(&name))?;
        let t = store.create_session(&NewSession {
            agent_id: a.id,
            task: format!("Part {} of the review", i + 1),
            parent_id: Some(root.id.clone()),
        })?;
        store.append_event(
            &root.id,
            &NewEvent::new(
                EventKind::SubagentSpawned,
                json!({"thread_id": t.id, "agent": name, "task": t.task}),
            ),
        )?;
        threads.push(t.id);
    }
    let mut written = 1 + subagents;
    let mut turn = 0u32;
    // One model turn per step, round-robin over the threads.
    while written < total {
        turn += 1;
        let t = (turn as usize) % threads.len();
        let thread = &threads[t];
        let parent = (t > 0).then_some(root.id.as_str());
        let tag = |e: NewEvent| {
            if t > 0 {
                e.in_thread(thread, parent)
            } else {
                e
            }
        };
        let id = format!("toolu_{turn}");
        let mut batch = vec![
            tag(NewEvent::new(
                EventKind::AssistantText,
                json!({"turn": turn, "text": format!("Step {turn}: checking the next part of the evidence before writing it down.")}),
            )),
            tag(NewEvent::new(
                EventKind::ToolCall,
                json!({"turn": turn, "id": id, "name": "workspace", "input": {"command": "read", "path": format!("notes/{turn}.md")}, "model": "claude-sonnet-4-5"}),
            )
            .with_usage(
                Usage {
                    input_tokens: 1200 + (turn as i64 % 300),
                    output_tokens: 40 + (turn as i64 % 60),
                    cache_creation_input_tokens: 0,
                    cache_read_input_tokens: 1000,
                },
                0.0042,
                400 + (turn as i64 * 37) % 900,
            )),
        ];
        if turn % 5 == 0 {
            batch.push(tag(NewEvent::new(
                EventKind::MemoryWrite,
                json!({"turn": turn, "store": "perf", "path": format!("/memories/step-{turn}.md"), "version": 1}),
            )));
        } else if turn % 3 == 0 {
            batch.push(tag(NewEvent::new(
                EventKind::MemoryRead,
                json!({"turn": turn, "store": "perf", "path": "/memories/index.md", "version": 1}),
            )));
        }
        let failed = turn % 97 == 0;
        let mut result = tag(NewEvent::new(
            EventKind::ToolResult,
            json!({"turn": turn, "tool_use_id": id, "name": "workspace",
                   "content": if failed { "notes/x.md does not exist".to_string() } else { format!("Notes for step {turn}: 3 findings, 1 open question.\nLine two of the notes.") },
                   "is_error": failed}),
        ));
        result.latency_ms = Some(3 + (turn as i64 % 20));
        batch.push(result);
        if turn % 401 == 0 {
            batch.push(tag(NewEvent::new(
                EventKind::Retry,
                json!({"attempt": 1, "delay_ms": 800, "error": "the provider is overloaded (HTTP 529)"}),
            )));
        }
        if turn % 1499 == 0 {
            batch.push(tag(NewEvent::new(
                EventKind::Error,
                json!({"message": "the stream was cut before the message ended", "source": "model"}),
            )));
        }
        if t == 0 && turn % 250 == 0 {
            batch.push(
                NewEvent::new(
                    EventKind::GraderVerdict,
                    json!({"iteration": turn / 250, "result": "needs_revision", "score": 0.6, "passed": false, "applies": true,
                           "explanation": "The summary is too long.",
                           "verdicts": [{"criterion_index": 0, "name": "Short summary", "passed": false, "score": 0.0, "evidence": "", "gap": "Cut the summary to 150 words."}]}),
                )
                .with_usage(Usage { input_tokens: 2000, output_tokens: 120, ..Default::default() }, 0.008, 1500),
            );
        }
        batch.truncate(total - written);
        written += batch.len();
        store.append_events(thread, &batch)?;
    }
    for (i, t) in threads.iter().enumerate().skip(1) {
        store.finish_session(
            t,
            SessionStatus::Completed,
            Some(&format!("Part {i} done.")),
            None,
        )?;
    }
    store.finish_session(
        &root.id,
        SessionStatus::Completed,
        Some("All parts reviewed."),
        None,
    )?;
    println!(
        "{}",
        json!({"session_id": root.id, "events": store.event_count(&root.id)?, "threads": threads.len()})
    );
    Ok(())
}
