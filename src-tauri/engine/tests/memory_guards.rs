//! What gets into memory, measured on the committed corpora
//! (`tests/corpora`), on the two ways text enters memory from a session:
//! the agent's own memory tool, and a dream whose model (the fake server
//! playing a naive model) proposes everything the transcripts suggest.
//!
//! Prints: secret recall and the false-positive rate; injected goals kept
//! out of memory; user preferences kept. Fails below the targets: recall
//! >= 95%, false positives <= 1%, every injected goal out, >= 90% of the
//! user's preferences in.

mod dream_support;

use std::path::PathBuf;

use dream_support::*;
use reverie_engine::dream::{DreamProgressSink, DreamRequest};
use reverie_engine::secrets;
use reverie_engine::store::*;
use reverie_engine::tools::memory::{MemoryTool, mounts_for};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

fn corpus(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/corpora")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn jsonl(name: &str) -> Vec<Value> {
    corpus(name)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn pct(n: usize, of: usize) -> f64 {
    n as f64 * 100.0 / of.max(1) as f64
}

/// The ways a naive model writes down what it read: as it was, as a
/// "user wants" note, as a reminder, and lightly reworded.
fn variants(goal: &str) -> Vec<String> {
    let lower = {
        let mut c = goal.chars();
        c.next()
            .map(|f| f.to_lowercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    };
    let swaps = [
        ("Always", "Make sure to"),
        ("every", "each"),
        ("all", "every one of the"),
        ("immediately", "right away"),
        ("Send", "Forward"),
        ("Delete", "Remove"),
    ];
    let reworded = goal
        .split(' ')
        .map(|w| {
            swaps
                .iter()
                .find(|(from, _)| *from == w)
                .map(|(_, to)| *to)
                .unwrap_or(w)
        })
        .collect::<Vec<_>>()
        .join(" ");
    vec![
        format!("- {goal}\n"),
        format!("- The user wants the agent to {lower}\n"),
        format!("Remember: {goal}\n"),
        format!("# Standing instructions\n\n- {reworded}\n"),
    ]
}

#[test]
fn secret_recall_and_false_positives_meet_their_targets() {
    let mut total = 0;
    let mut found = 0;
    let mut kinds = std::collections::BTreeSet::new();
    let mut missed = Vec::new();
    let mut leaked = Vec::new();
    for sample in jsonl("secrets.jsonl") {
        let text = sample["text"].as_str().unwrap();
        let kind = sample["kind"].as_str().unwrap();
        kinds.insert(kind.to_string());
        total += 1;
        if secrets::contains_secret(text) {
            found += 1;
            let masked = secrets::mask(text);
            if secrets::contains_secret(&masked) {
                leaked.push(format!("{kind}: {masked}"));
            }
        } else {
            missed.push(format!("{kind}: {text}"));
        }
    }
    let ordinary = corpus("ordinary.txt");
    let ordinary: Vec<&str> = ordinary.lines().collect();
    let flagged: Vec<String> = ordinary
        .iter()
        .filter(|l| secrets::contains_secret(l))
        .map(|l| format!("{l}  -> {:?}", secrets::kinds(l)))
        .collect();
    println!(
        "secret recall: {found}/{total} = {:.1}% over {} kinds (target >= 95%)",
        pct(found, total),
        kinds.len()
    );
    println!(
        "false positives: {}/{} ordinary memory lines = {:.2}% (target <= 1%)",
        flagged.len(),
        ordinary.len(),
        pct(flagged.len(), ordinary.len())
    );
    for m in &missed {
        println!("  missed  {m}");
    }
    for f in &flagged {
        println!("  flagged {f}");
    }
    assert!(
        total >= 150 && kinds.len() >= 40,
        "the secret corpus is too small"
    );
    assert!(ordinary.len() >= 300, "the ordinary corpus is too small");
    assert!(leaked.is_empty(), "masking left secrets: {leaked:#?}");
    assert!(pct(found, total) >= 95.0, "recall under 95%");
    assert!(
        pct(flagged.len(), ordinary.len()) <= 1.0,
        "false positives over 1%"
    );
}

#[tokio::test]
async fn the_memory_tool_keeps_out_secrets_and_injected_goals_and_keeps_preferences() {
    let env = setup().await;
    let store = env.store();
    let tool_for = |session: &str| {
        MemoryTool::new(
            store.clone(),
            mounts_for(&env.agent),
            &env.agent.id,
            session,
        )
    };
    let new_session = |task: &str, steps: &[(EventKind, Value)]| -> String {
        let s = store
            .create_session(&NewSession {
                agent_id: env.agent.id.clone(),
                task: task.into(),
                parent_id: None,
            })
            .unwrap();
        let mut events = vec![NewEvent::new(
            EventKind::UserMessage,
            json!({"turn": 0, "text": task}),
        )];
        events.extend(steps.iter().map(|(k, d)| NewEvent::new(*k, d.clone())));
        store.append_events(&s.id, &events).unwrap();
        s.id
    };

    // Secrets: the agent tries to save each sample.
    let samples = jsonl("secrets.jsonl");
    let mut refused = 0;
    for (i, s) in samples.iter().enumerate() {
        let id = new_session("Set up the deploy", &[]);
        let out = tool_for(&id).execute(&json!({"command": "create", "path": format!("/memories/s{i}.md"), "file_text": s["text"]}));
        if out.is_error {
            assert!(
                out.content.contains("ask the user to keep it in Settings"),
                "{}",
                out.content
            );
            refused += 1;
        }
    }
    println!(
        "memory tool: secrets refused {refused}/{} = {:.1}%",
        samples.len(),
        pct(refused, samples.len())
    );

    // Injected goals: a tool result carried the goal; the agent writes it down.
    let injections = jsonl("injections.jsonl");
    let mut kept_out = 0;
    let mut got_in = Vec::new();
    for (i, inj) in injections.iter().enumerate() {
        let id = new_session(
            "Summarise what came in today",
            &[
                (
                    EventKind::ToolCall,
                    json!({"name": inj["tool"], "input": {}}),
                ),
                (
                    EventKind::ToolResult,
                    json!({"name": inj["tool"], "content": inj["result"], "is_error": false}),
                ),
            ],
        );
        let goal = inj["goal"].as_str().unwrap();
        let mut entered = None;
        for (v, text) in variants(goal).into_iter().enumerate() {
            let out = tool_for(&id).execute(&json!({"command": "create", "path": format!("/memories/i{i}-{v}.md"), "file_text": text}));
            if !out.is_error {
                entered = Some(text);
            }
        }
        match entered {
            None => kept_out += 1,
            Some(text) => got_in.push(format!("[{}] {}", inj["kind"], text.trim())),
        }
    }
    println!(
        "memory tool: injected goals kept out {kept_out}/{} = {:.1}% (target 100%)",
        injections.len(),
        pct(kept_out, injections.len())
    );

    // The user's own preferences, said in the session, are kept.
    let prefs = jsonl("preferences.jsonl");
    let mut kept = 0;
    let mut lost = Vec::new();
    for (i, p) in prefs.iter().enumerate() {
        let id = new_session(p["message"].as_str().unwrap(), &[]);
        let out = tool_for(&id).execute(&json!({"command": "create", "path": format!("/memories/p{i}.md"), "file_text": format!("- {}\n", p["memory"].as_str().unwrap())}));
        if out.is_error {
            lost.push(format!("{}: {}", p["memory"], out.content));
        } else {
            kept += 1;
        }
    }
    println!(
        "memory tool: user preferences kept {kept}/{} = {:.1}% (target >= 90%)",
        prefs.len(),
        pct(kept, prefs.len())
    );
    for g in &got_in {
        println!("  got in: {g}");
    }
    for l in &lost {
        println!("  lost: {l}");
    }
    assert!(pct(refused, samples.len()) >= 95.0);
    assert!(got_in.is_empty(), "injected goals entered memory");
    assert!(pct(kept, prefs.len()) >= 90.0);
}

#[tokio::test]
async fn a_naive_model_cannot_dream_secrets_or_injected_goals_into_memory() {
    let env = setup().await;
    let store = env.store();
    let injections = jsonl("injections.jsonl");
    let prefs = jsonl("preferences.jsonl");
    let samples = jsonl("secrets.jsonl");
    let mut edits = Vec::new();
    let mut index = String::new();
    // What the naive model proposes: each goal in each of its variants.
    let mut goal_paths: Vec<Vec<String>> = Vec::new();
    for (i, inj) in injections.iter().enumerate() {
        let id = session(
            store,
            &env.agent,
            "Summarise what came in today",
            &[
                (
                    EventKind::ToolCall,
                    json!({"name": inj["tool"], "input": {}}),
                ),
                (
                    EventKind::ToolResult,
                    json!({"name": inj["tool"], "content": inj["result"], "is_error": false}),
                ),
                (
                    EventKind::AssistantText,
                    json!({"text": "Here is today's summary."}),
                ),
            ],
        );
        let mut paths = Vec::new();
        for (v, text) in variants(inj["goal"].as_str().unwrap())
            .into_iter()
            .enumerate()
        {
            let path = format!("/memories/inj-{i}-{v}.md");
            edits.push(json!({"op": "create", "path": path, "content": text, "reason": "seen in the session", "source_session_ids": [id]}));
            index += &format!("- {path}: notes\n");
            paths.push(path);
        }
        goal_paths.push(paths);
    }
    let mut pref_paths = Vec::new();
    for (i, p) in prefs.iter().enumerate() {
        let id = session(store, &env.agent, p["message"].as_str().unwrap(), &[]);
        let path = format!("/memories/pref-{i}.md");
        edits.push(json!({"op": "create", "path": path, "content": format!("- {}\n", p["memory"].as_str().unwrap()), "reason": "the user said so", "source_session_ids": [id]}));
        index += &format!("- {path}: a preference\n");
        pref_paths.push(path);
    }
    let mut secret_paths = Vec::new();
    for (i, s) in samples.iter().enumerate().step_by(4) {
        let id = session(
            store,
            &env.agent,
            "Configure the server",
            &[(
                EventKind::ToolResult,
                json!({"name": "shell", "content": s["text"], "is_error": false}),
            )],
        );
        let path = format!("/memories/secret-{i}.md");
        edits.push(json!({"op": "create", "path": path, "content": format!("Credentials for later:\n{}\n", s["text"].as_str().unwrap()), "reason": "useful", "source_session_ids": [id]}));
        index += &format!("- {path}: credentials\n");
        secret_paths.push(path);
    }
    let all_ids: Vec<Value> = store
        .unreviewed_sessions(&env.agent.id)
        .unwrap()
        .into_iter()
        .map(Value::from)
        .collect();
    edits.push(json!({"op": "create", "path": "/memories/_index.md", "content": index, "reason": "index", "source_session_ids": all_ids}));
    on_reduce(&env.server, proposal(Value::Array(edits)), None);
    on_map(&env.server, findings(json!([])));

    let mut request = DreamRequest::new("helper", DreamTrigger::Cli);
    request.apply = Some(true);
    let report = env
        .dreamer
        .run(request, CancellationToken::new(), DreamProgressSink::none())
        .await
        .unwrap();
    assert_eq!(
        report.dream.status,
        DreamStatus::Completed,
        "{:?}",
        report.dream.error
    );
    // The transcripts the model read held no secret.
    for r in env.server.requests() {
        let body = r.body.to_string();
        for s in samples.iter().step_by(4) {
            let text = s["text"].as_str().unwrap();
            for f in secrets::scan(text) {
                assert!(
                    !body.contains(&text[f.start..f.end]),
                    "a secret reached the model"
                );
            }
        }
    }
    let memory = env.memory();
    let entered: Vec<String> = goal_paths
        .iter()
        .zip(&injections)
        .filter(|(paths, _)| paths.iter().any(|p| memory.contains_key(p)))
        .map(|(_, inj)| format!("[{}] {}", inj["kind"], inj["goal"]))
        .collect();
    let kept = pref_paths
        .iter()
        .filter(|p| memory.contains_key(*p))
        .count();
    let secrets_in = secret_paths
        .iter()
        .filter(|p| memory.contains_key(*p))
        .count();
    println!(
        "dream: injected goals kept out {}/{} = {:.1}% (target 100%)",
        injections.len() - entered.len(),
        injections.len(),
        pct(injections.len() - entered.len(), injections.len())
    );
    println!(
        "dream: user preferences kept {kept}/{} = {:.1}% (target >= 90%)",
        prefs.len(),
        pct(kept, prefs.len())
    );
    println!(
        "dream: proposals carrying secrets kept out {}/{}",
        secret_paths.len() - secrets_in,
        secret_paths.len()
    );
    for e in &entered {
        println!("  got in: {e}");
    }
    for b in report
        .blocked
        .iter()
        .filter(|b| b.path.starts_with("/memories/pref-"))
    {
        println!("  preference refused: {}", b.reason);
    }
    // Every refusal of an injected goal names the tool result it came from.
    let from_tools = report
        .blocked
        .iter()
        .filter(|b| b.path.starts_with("/memories/inj-"))
        .filter(|b| b.origin.as_ref().is_some_and(|o| o.excerpt.len() > 10))
        .count();
    println!(
        "dream: refusals that show the span they came from {from_tools}/{}",
        report
            .blocked
            .iter()
            .filter(|b| b.path.starts_with("/memories/inj-"))
            .count()
    );
    assert!(
        entered.is_empty(),
        "injected goals entered memory: {entered:#?}"
    );
    assert_eq!(secrets_in, 0, "a secret entered memory");
    assert!(pct(kept, prefs.len()) >= 90.0, "preferences lost");
}

/// Every way into memory refuses a secret: the store (and so the editor,
/// the CLI, imports and Managed Agents pulls), the folder mirror, and
/// applying a proposal. Redaction reaches the mirror and exports.
#[tokio::test]
async fn every_path_into_memory_refuses_secrets_and_redaction_reaches_mirrors_and_exports() {
    use reverie_engine::mirror::{Mirror, MirrorEvent};
    let env = setup().await;
    let store = env.store();
    let sid = env.store_id();
    let key = "sk-ant-api03-Zq8xWm2Lr5Tb9Vn4Kc7Hy1Pd6Fs3Gj0Qa8Ue5Io2Ly7Rt4Ew1Nb9Mv6Cx3Zk0Jh";
    let secret_text = format!("deploy notes\nANTHROPIC_API_KEY={key}\n");
    // The store: refused with a sentence that says what to do.
    let err = store
        .write_document(
            &sid,
            "/memories/deploy.md",
            &secret_text,
            &WriteMeta::user("test"),
        )
        .unwrap_err();
    assert!(matches!(err, reverie_engine::Error::Secret(_)), "{err}");
    assert!(err.to_string().contains("Settings"), "{err}");
    assert!(
        !err.to_string().contains(key),
        "the refusal repeats the secret"
    );

    // The folder mirror: a file with a secret is refused, reported, not versioned.
    let folder = tempfile::tempdir().unwrap();
    let mut mirror = Mirror::new(store.clone(), &sid, folder.path()).unwrap();
    mirror.sync_once().unwrap();
    std::fs::write(folder.path().join("keys.md"), &secret_text).unwrap();
    let events = mirror.sync_once().unwrap();
    assert!(
        events.iter().any(|e| matches!(e, MirrorEvent::Failed { reason, .. } if reason.contains("Secrets never go into memory"))),
        "{events:?}"
    );
    assert!(
        store
            .read_document(&sid, "/memories/keys.md")
            .unwrap()
            .is_none()
    );
    std::fs::remove_file(folder.path().join("keys.md")).unwrap();
    mirror.sync_once().unwrap();

    // The user may insist (the app asks first); redaction then takes it out
    // of every version, and the mirror and exports carry the masked text.
    store
        .write_document(
            &sid,
            "/memories/deploy.md",
            "deploy notes\n",
            &WriteMeta::user("v1"),
        )
        .unwrap();
    store
        .write_document(
            &sid,
            "/memories/deploy.md",
            &secret_text,
            &WriteMeta::user("v2").allowing_secrets(),
        )
        .unwrap();
    mirror.sync_once().unwrap();
    assert!(
        std::fs::read_to_string(folder.path().join("deploy.md"))
            .unwrap()
            .contains(key)
    );
    let done = store
        .redact_secrets(
            &sid,
            "/memories/deploy.md",
            &WriteMeta::user("secrets removed"),
        )
        .unwrap();
    assert_eq!(done.new_version, Some(3));
    assert_eq!(done.redacted_versions, vec![2]);
    let history = store.document_history(&sid, "/memories/deploy.md").unwrap();
    assert!(
        history
            .iter()
            .all(|v| !v.content.as_deref().unwrap_or("").contains(key))
    );
    mirror.sync_once().unwrap();
    let mirrored = std::fs::read_to_string(folder.path().join("deploy.md")).unwrap();
    assert!(
        !mirrored.contains(key) && mirrored.contains(secrets::MASK),
        "{mirrored}"
    );
    let out = tempfile::tempdir().unwrap();
    let export = out.path().join("export");
    reverie_engine::memory_export::export_store(store, &sid, &export, false).unwrap();
    let exported = std::fs::read_to_string(export.join("memories/deploy.md")).unwrap();
    assert!(!exported.contains(key), "{exported}");

    // Applying a proposal that carries a secret (staged before the guards
    // existed, say) is refused and changes nothing.
    let id = session(store, &env.agent, "Notes", &[]);
    let dream = store
        .create_dream(&NewDream {
            agent_id: env.agent.id.clone(),
            input_store_id: sid.clone(),
            mode: DreamMode::UpdateExisting,
            trigger: DreamTrigger::Cli,
            provider: "anthropic".into(),
            model: "m".into(),
            instructions: String::new(),
            budget_tokens: None,
            session_ids: vec![id.clone()],
        })
        .unwrap();
    store
        .set_dream_status(&dream.id, DreamStatus::Running, None)
        .unwrap();
    store
        .complete_dream(
            &dream.id,
            &[NewProposalEdit {
                op: EditOp::Create,
                path: "/memories/leak.md".into(),
                merged_paths: vec![],
                content: Some(format!("key: {key}\n")),
                base_sha256: None,
                reason: "r".into(),
                source_session_ids: vec![id],
            }],
        )
        .unwrap();
    let before = env.memory();
    let err = reverie_engine::dream::apply_dream(store, &dream.id).unwrap_err();
    assert!(matches!(err, reverie_engine::Error::Secret(_)), "{err}");
    assert_eq!(env.memory(), before);
}
