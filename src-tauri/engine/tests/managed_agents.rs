//! The Claude Managed Agents bridge against the fake model server over
//! HTTP: push, changes on both sides, pull with a conflict that loses
//! nothing, preconditions the server enforces (and races it catches),
//! sessions uploaded once, a dream through the Dreams API staged as a
//! Reverie proposal that applies and reverts, failed and canceled dreams,
//! refusals when the bridge is off or has no key, and the key kept off disk.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reverie_engine::Store;
use reverie_engine::dream::apply_dream;
use reverie_engine::keychain::Keychain;
use reverie_engine::managed_agents::{
    self as managed, Bridge, BridgeSettings, DreamStart, SyncEvent,
};
use reverie_engine::provider::{ProviderKind, RetryPolicy};
use reverie_engine::store::*;
use reverie_fake_model::{DreamScript, DreamUsage, FakeModelServer, ManagedFault, ManagedRace};
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const KEY: &str = "sk-ant-api03-managed-bridge-test-key-0001";

struct Env {
    dir: tempfile::TempDir,
    store: Arc<Store>,
    server: FakeModelServer,
    agent: Agent,
}

impl Env {
    fn store_id(&self) -> String {
        self.agent.default_store().unwrap().store_id.clone()
    }

    fn bridge(&self) -> Bridge {
        Bridge::open_with_key(self.store.clone(), SecretString::from(KEY.to_string()))
            .unwrap()
            .with_retry(RetryPolicy {
                max_retries: 3,
                initial_backoff: Duration::from_millis(5),
                max_backoff: Duration::from_millis(20),
                ..RetryPolicy::default()
            })
    }

    fn write(&self, path: &str, content: &str) {
        self.store
            .write_document(&self.store_id(), path, content, &WriteMeta::user("test"))
            .unwrap();
    }

    fn delete(&self, path: &str) {
        self.store
            .delete_document(&self.store_id(), path, &WriteMeta::user("test"))
            .unwrap();
    }

    /// Every live local document: path → content.
    fn memory(&self) -> BTreeMap<String, String> {
        self.store
            .list_documents(&self.store_id(), None)
            .unwrap()
            .into_iter()
            .map(|d| {
                let (_, c) = self
                    .store
                    .read_document(&self.store_id(), &d.path)
                    .unwrap()
                    .unwrap();
                (d.path, c)
            })
            .collect()
    }

    fn session(&self, task: &str, answer: &str) -> String {
        let s = self
            .store
            .create_session(&NewSession {
                agent_id: self.agent.id.clone(),
                task: task.into(),
                parent_id: None,
            })
            .unwrap();
        self.store
            .append_events(
                &s.id,
                &[
                    NewEvent::new(EventKind::UserMessage, json!({"turn": 0, "text": task})),
                    NewEvent::new(EventKind::AssistantText, json!({"turn": 0, "text": answer})),
                ],
            )
            .unwrap();
        self.store
            .finish_session(&s.id, SessionStatus::Completed, Some(answer), None)
            .unwrap();
        s.id
    }

    /// Requests to Managed Agents endpoints, as the server saw them.
    fn managed_requests(&self) -> Vec<reverie_fake_model::RecordedRequest> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| !r.path.starts_with("/v1/messages"))
            .collect()
    }
}

async fn setup() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let agent = store
        .create_agent(&NewAgent {
            name: "helper".into(),
            provider: ProviderKind::Anthropic,
            model: "claude-sonnet-4-5".into(),
            system_prompt: "You are a careful assistant.".into(),
            tools: vec!["memory".into()],
        })
        .unwrap();
    let server = FakeModelServer::start().await.unwrap();
    server.require_api_key(KEY);
    managed::enable(
        &store,
        &BridgeSettings {
            base_url: Some(server.url()),
            agent_id: Some("agent_fake_reverie".into()),
            environment_id: Some("env_fake_reverie".into()),
            dream_model: None,
        },
    )
    .unwrap();
    Env {
        dir,
        store,
        server,
        agent,
    }
}

fn events_of(report: &managed::SyncReport) -> Vec<String> {
    report.events.iter().map(|e| e.to_string()).collect()
}

/// No file in the data folder holds `needle`.
fn assert_not_on_disk(dir: &Path, needle: &str) {
    for entry in walk(dir) {
        let bytes = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
            "{} holds the API key",
            entry.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn push_change_both_sides_pull_shows_the_conflict_and_loses_nothing() {
    let env = setup().await;
    env.write("/memories/a.md", "A, as first written.\n");
    env.write("/memories/b.md", "B, as first written.\n");
    env.write("/memories/notes/c.md", "C, as first written.\n");
    let bridge = env.bridge();

    let first = bridge.push("helper", None).await.unwrap();
    assert!(first.created_remote_store);
    let remote = first.remote_store_id.clone();
    assert_eq!(first.events.len(), 3, "{:?}", events_of(&first));
    assert_eq!(
        env.server.managed_memories(&remote),
        BTreeMap::from([
            ("/a.md".to_string(), "A, as first written.\n".to_string()),
            ("/b.md".to_string(), "B, as first written.\n".to_string()),
            (
                "/notes/c.md".to_string(),
                "C, as first written.\n".to_string()
            ),
        ])
    );
    // Pushing again changes nothing, and reuses the linked store.
    let again = bridge.push("helper", None).await.unwrap();
    assert!(!again.created_remote_store && again.events.is_empty());
    assert_eq!(again.remote_store_id, remote);
    assert_eq!(env.server.managed_store_ids(), vec![remote.clone()]);

    // Both sides change: a on both, b remotely, c locally, d new remotely.
    env.write("/memories/a.md", "A, edited here.\n");
    env.server
        .managed_write(&remote, "/a.md", "A, edited by a teammate.\n")
        .unwrap();
    env.server
        .managed_write(&remote, "/b.md", "B, edited by a teammate.\n")
        .unwrap();
    env.write("/memories/notes/c.md", "C, edited here.\n");
    env.server
        .managed_write(&remote, "/d.md", "D, new from a teammate.\n")
        .unwrap();

    let pull = bridge.pull("helper", None).await.unwrap();
    let lines = events_of(&pull);
    assert_eq!(
        pull.waiting,
        vec!["/memories/notes/c.md".to_string()],
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("pulled    /memories/b.md")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("pulled    /memories/d.md")),
        "{lines:?}"
    );
    let conflict = pull
        .events
        .iter()
        .find_map(|e| match e {
            SyncEvent::Conflict { conflict } => Some(conflict.clone()),
            _ => None,
        })
        .expect("a conflict on a.md");
    assert_eq!(conflict.path, "/memories/a.md");
    assert_eq!(conflict.kind, MirrorConflictKind::BothChanged);
    assert_eq!(conflict.dir, format!("managed-agents:{remote}"));
    let copy = conflict.conflict_path.clone().unwrap();

    // Nothing lost: this store keeps its text, the teammate's is kept
    // beside it, and the remote store was not touched by a pull.
    let local = env.memory();
    assert_eq!(local["/memories/a.md"], "A, edited here.\n");
    assert_eq!(local[&copy], "A, edited by a teammate.\n");
    assert_eq!(local["/memories/b.md"], "B, edited by a teammate.\n");
    assert_eq!(local["/memories/d.md"], "D, new from a teammate.\n");
    assert_eq!(local["/memories/notes/c.md"], "C, edited here.\n");
    assert_eq!(
        env.server.managed_memories(&remote)["/a.md"],
        "A, edited by a teammate.\n"
    );
    assert_eq!(pull.open_conflicts.len(), 1);
    assert_eq!(
        managed::conflicts(&env.store, "helper", false)
            .unwrap()
            .len(),
        1
    );
    let pulled = env
        .store
        .document_history(&env.store_id(), "/memories/b.md")
        .unwrap();
    assert_eq!(pulled.last().unwrap().author, AuthorKind::External);

    // A push carries c over but leaves a alone while its conflict is open;
    // the kept copy goes to the remote store too.
    let push = bridge.push("helper", None).await.unwrap();
    let lines = events_of(&push);
    assert!(
        lines.iter().any(|l| l == "pushed    /memories/notes/c.md"),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("skipped   /memories/a.md")),
        "{lines:?}"
    );
    let remote_now = env.server.managed_memories(&remote);
    assert_eq!(remote_now["/a.md"], "A, edited by a teammate.\n");
    assert_eq!(remote_now["/notes/c.md"], "C, edited here.\n");
    assert_eq!(
        remote_now[&managed::remote_path(&copy)],
        "A, edited by a teammate.\n"
    );

    // The person merges, then deletes the copy: the conflict settles and the
    // merged text goes out, over exactly the version they saw.
    env.write("/memories/a.md", "A, merged.\n");
    env.delete(&copy);
    let push = bridge.push("helper", None).await.unwrap();
    assert!(push.open_conflicts.is_empty(), "{:?}", events_of(&push));
    let remote_now = env.server.managed_memories(&remote);
    assert_eq!(remote_now["/a.md"], "A, merged.\n");
    assert!(!remote_now.contains_key(&managed::remote_path(&copy)));
    assert!(bridge.pull("helper", None).await.unwrap().events.is_empty());
    assert!(bridge.push("helper", None).await.unwrap().events.is_empty());

    // Every remote write carried the hash it expected.
    for r in env.managed_requests() {
        let update = r.method == "POST" && r.path.contains("/memories/mem_");
        if update {
            assert_eq!(
                r.body["precondition"]["type"], "content_sha256",
                "{:?}",
                r.body
            );
        }
        if r.method == "DELETE" {
            assert!(
                r.query
                    .as_deref()
                    .unwrap_or("")
                    .contains("expected_content_sha256=")
            );
        }
        assert_eq!(r.header("anthropic-beta"), Some("agent-memory-2026-07-22"));
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    }
}

#[tokio::test]
async fn a_refused_precondition_is_a_conflict_never_an_overwrite() {
    let env = setup().await;
    env.write("/memories/a.md", "A1\n");
    env.write("/memories/b.md", "B1\n");
    let bridge = env.bridge();
    let remote = bridge.push("helper", None).await.unwrap().remote_store_id;

    // The server itself refuses a write whose precondition is stale.
    let listed = reqwest::Client::new()
        .get(format!(
            "{}/v1/memory_stores/{remote}/memories",
            env.server.url()
        ))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "agent-memory-2026-07-22")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let a_id = listed["data"][0]["id"].as_str().unwrap().to_string();
    let refused = reqwest::Client::new()
        .post(format!("{}/v1/memory_stores/{remote}/memories/{a_id}", env.server.url()))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "agent-memory-2026-07-22")
        .json(&json!({"content": "clobber", "precondition": {"type": "content_sha256", "content_sha256": "0".repeat(64)}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["type"], "error");
    assert_eq!(body["error"]["type"], "memory_precondition_failed_error");
    assert_eq!(env.server.managed_memories(&remote)["/a.md"], "A1\n");

    // A teammate's write lands between our listing and our update: the
    // server refuses the update, and the bridge keeps both versions.
    env.write("/memories/a.md", "A2 here\n");
    env.server.managed_race(ManagedRace {
        path_contains: format!("/memories/{a_id}"),
        method: Some("POST".into()),
        memory_store_id: remote.clone(),
        path: "/a.md".into(),
        content: Some("A2 teammate\n".into()),
    });
    let push = bridge.push("helper", None).await.unwrap();
    let conflict = push.open_conflicts.first().expect("a conflict").clone();
    assert_eq!(conflict.path, "/memories/a.md");
    assert_eq!(env.memory()["/memories/a.md"], "A2 here\n");
    assert_eq!(
        env.memory()[conflict.conflict_path.as_deref().unwrap()],
        "A2 teammate\n"
    );
    assert_eq!(
        env.server.managed_memories(&remote)["/a.md"],
        "A2 teammate\n"
    );
    let refusals = env
        .managed_requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(&a_id))
        .count();
    assert_eq!(refusals, 2, "our probe and the bridge's refused update");

    // A delete whose memory changed meanwhile is refused too: the teammate's
    // text comes back here instead of being lost.
    env.delete("/memories/b.md");
    env.server.managed_race(ManagedRace {
        path_contains: "/memories/mem_".into(),
        method: Some("DELETE".into()),
        memory_store_id: remote.clone(),
        path: "/b.md".into(),
        content: Some("B2 teammate\n".into()),
    });
    let push = bridge.push("helper", None).await.unwrap();
    let restored = push.events.iter().find_map(|e| match e {
        SyncEvent::Conflict { conflict } if conflict.path == "/memories/b.md" => {
            Some(conflict.kind)
        }
        _ => None,
    });
    assert_eq!(
        restored,
        Some(MirrorConflictKind::DeletedInStore),
        "{:?}",
        events_of(&push)
    );
    assert_eq!(env.memory()["/memories/b.md"], "B2 teammate\n");
    assert_eq!(
        env.server.managed_memories(&remote)["/b.md"],
        "B2 teammate\n"
    );
}

#[tokio::test]
async fn rate_limits_are_retried_after_the_servers_wait() {
    let env = setup().await;
    env.write("/memories/a.md", "A\n");
    env.server.managed_fault(ManagedFault {
        path_contains: "/memories".into(),
        method: Some("GET".into()),
        status: 429,
        error_type: "rate_limit_error".into(),
        message: "slow down".into(),
        retry_after: Some("0.05".into()),
        times: 2,
    });
    let report = env.bridge().push("helper", None).await.unwrap();
    assert_eq!(report.events.len(), 1);
    let lists = env
        .managed_requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/memories"))
        .count();
    assert_eq!(lists, 3, "two refusals, then the listing");

    // A refused key is a clear error, and not retried.
    let wrong = Bridge::open_with_key(
        env.store.clone(),
        SecretString::from("sk-ant-wrong".to_string()),
    )
    .unwrap();
    let err = wrong.push("helper", None).await.unwrap_err().to_string();
    assert!(err.contains("refused the Anthropic API key"), "{err}");
}

#[tokio::test]
async fn sessions_are_uploaded_once_as_the_api_allows() {
    let env = setup().await;
    let one = env.session("Convert 5 miles to km", "8.05 km");
    let two = env.session("Book a table for two", "Booked for 19:00");
    let bridge = env.bridge();

    let report = bridge
        .upload_sessions(&[one.clone(), two.clone()], false)
        .await
        .unwrap();
    assert_eq!(report.sessions.len(), 2);
    assert!(report.sessions.iter().all(|s| s.uploaded));
    let remote = env.server.managed_sessions();
    assert_eq!(remote.len(), 2);
    let (session, events) = &remote[&report.sessions[0].remote_session_id];
    assert_eq!(session["title"], "Reverie: Convert 5 miles to km");
    assert_eq!(session["metadata"]["reverie_session_id"], one.as_str());
    assert_eq!(session["agent"]["id"], "agent_fake_reverie");
    assert_eq!(session["environment_id"], "env_fake_reverie");
    assert_eq!(events[0]["type"], "user.message");
    let text: String = events[0]["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect();
    assert!(text.contains("history, not a request"), "{text}");
    assert!(
        text.contains("Convert 5 miles to km") && text.contains("8.05 km"),
        "{text}"
    );
    for r in env.managed_requests() {
        assert_eq!(
            r.header("anthropic-beta"),
            Some("managed-agents-2026-04-01")
        );
    }

    // Once uploaded, a session is not sent again unless asked.
    let again = bridge
        .upload_sessions(std::slice::from_ref(&one), false)
        .await
        .unwrap();
    assert!(!again.sessions[0].uploaded);
    assert_eq!(
        again.sessions[0].remote_session_id,
        report.sessions[0].remote_session_id
    );
    assert_eq!(env.server.managed_sessions().len(), 2);
    let forced = bridge.upload_sessions(&[one], true).await.unwrap();
    assert!(forced.sessions[0].uploaded);
    assert_eq!(env.server.managed_sessions().len(), 3);

    // Unknown sessions and a missing agent setting are refused before sending.
    let sent = env.server.requests().len();
    let err = bridge
        .upload_sessions(&["nope".into()], false)
        .await
        .unwrap_err();
    assert!(
        matches!(err, reverie_engine::Error::NotFound { .. }),
        "{err}"
    );
    env.store.set_setting(managed::AGENT_SETTING, "").unwrap();
    let err = bridge
        .upload_sessions(&[two], false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("managed_agents.agent_id"), "{err}");
    assert_eq!(env.server.requests().len(), sent);
}

#[tokio::test]
async fn a_dream_through_the_dreams_api_ends_as_a_staged_proposal() {
    let env = setup().await;
    env.write(
        "/memories/_index.md",
        "- notes.md: facts\n- old.md: stale\n",
    );
    env.write("/memories/notes.md", "Miles are used.\n");
    env.write("/memories/old.md", "Stale fact.\n");
    env.write("/memories/pinned.md", "Keep me.\n");
    let sessions = vec![
        env.session("Convert 5 miles", "8 km"),
        env.session("Convert 3 miles", "4.8 km"),
    ];
    env.server.script_dream(
        DreamScript::completed(
            &[
                ("/mistakes.md", "Always answer in kilometres.\n"),
                ("/notes.md", "The user wants metric units.\n"),
                (
                    "/_index.md",
                    "- notes.md: facts\n- mistakes.md: recurring mistakes\n",
                ),
            ],
            &["/old.md"],
        )
        .with_steps(&["pending", "running", "running"])
        .with_usage(DreamUsage {
            input_tokens: 12_000,
            output_tokens: 900,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 3_000,
        }),
    );
    let bridge = env.bridge();
    let started = bridge
        .dream_start(&DreamStart {
            store: "helper".into(),
            session_ids: sessions.clone(),
            instructions: Some("Focus on units.".into()),
            model: None,
        })
        .await
        .unwrap();
    assert_eq!(started.remote.status, managed::wire::DreamStatus::Pending);
    assert_eq!(started.upload.sessions.len(), 2);
    assert_eq!(started.push.events.len(), 4, "the store was pushed first");
    let remote_id = started.remote.id.clone();
    let create = env
        .managed_requests()
        .into_iter()
        .find(|r| r.path == "/v1/dreams")
        .unwrap();
    assert_eq!(create.header("anthropic-beta"), Some("dreaming-2026-04-21"));
    assert_eq!(
        create.body,
        json!({
            "inputs": [
                {"type": "memory_store", "memory_store_id": started.push.remote_store_id},
                {"type": "sessions", "session_ids": started.record.remote_session_ids},
            ],
            "model": "claude-sonnet-4-5",
            "instructions": "Focus on units.",
            "output_behavior": {"type": "create_new"},
        })
    );

    // Someone edits notes.md here while the dream runs.
    env.write("/memories/notes.md", "Miles are used, and feet.\n");

    let mut seen = Vec::new();
    let done = bridge
        .dream_wait(
            &remote_id,
            Duration::from_millis(5),
            &CancellationToken::new(),
            |d| seen.push(d.remote.status.as_str().to_string()),
        )
        .await
        .unwrap();
    assert_eq!(seen, vec!["pending", "running", "completed"]);
    assert_eq!(done.remote.status, managed::wire::DreamStatus::Completed);

    let imported = bridge
        .dream_import(&remote_id, DreamTrigger::Cli)
        .await
        .unwrap();
    let dream = &imported.dream;
    assert_eq!(dream.status, DreamStatus::Completed);
    assert_eq!(dream.review, ReviewState::Staged);
    assert_eq!(dream.provider, "managed-agents");
    assert_eq!(dream.session_ids, sessions);
    assert_eq!(dream.usage.input_tokens, 12_000);
    assert_eq!(
        dream.progress["managed_agents"]["dream_id"],
        remote_id.as_str()
    );
    let ops: BTreeMap<String, EditOp> = imported
        .edits
        .iter()
        .map(|e| (e.path.clone(), e.op))
        .collect();
    assert_eq!(
        ops,
        BTreeMap::from([
            ("/memories/_index.md".to_string(), EditOp::Rewrite),
            ("/memories/mistakes.md".to_string(), EditOp::Create),
            ("/memories/notes.md".to_string(), EditOp::Rewrite),
            ("/memories/old.md".to_string(), EditOp::Delete),
        ])
    );
    assert!(
        imported
            .edits
            .iter()
            .all(|e| e.source_session_ids == sessions)
    );
    // Nothing changed until the proposal is applied.
    assert_eq!(env.memory()["/memories/old.md"], "Stale fact.\n");
    // Importing again gives the same Reverie dream.
    let again = bridge
        .dream_import(&remote_id, DreamTrigger::Cli)
        .await
        .unwrap();
    assert_eq!(again.dream.id, dream.id);
    assert_eq!(env.store.list_dreams(None, 10).unwrap().len(), 1);

    // notes.md changed here after the dream read it: applying refuses to
    // overwrite it, as for any dream, until that edit is rejected.
    let err = apply_dream(&env.store, &dream.id).unwrap_err();
    assert!(
        err.to_string()
            .contains("/memories/notes.md changed since the dream read it"),
        "{err}"
    );
    let notes = imported
        .edits
        .iter()
        .find(|e| e.path == "/memories/notes.md")
        .unwrap();
    env.store
        .decide_edit(&notes.id, EditDecision::Rejected)
        .unwrap();
    let applied = apply_dream(&env.store, &dream.id).unwrap();
    assert_eq!(applied.review, ReviewState::PartiallyApplied);
    let memory = env.memory();
    assert_eq!(
        memory["/memories/mistakes.md"],
        "Always answer in kilometres.\n"
    );
    assert_eq!(memory["/memories/notes.md"], "Miles are used, and feet.\n");
    assert!(!memory.contains_key("/memories/old.md"));
    assert_eq!(memory["/memories/pinned.md"], "Keep me.\n");
    // And it reverts as a unit.
    reverie_engine::dream::revert_dream(&env.store, &dream.id, &Default::default()).unwrap();
    assert_eq!(env.memory()["/memories/old.md"], "Stale fact.\n");
    assert!(!env.memory().contains_key("/memories/mistakes.md"));
    // The remote input store was never written by the dream.
    let input = env.server.managed_memories(&started.push.remote_store_id);
    assert_eq!(input["/old.md"], "Stale fact.\n");
}

#[tokio::test]
async fn failed_and_canceled_remote_dreams_say_so_and_change_nothing() {
    let env = setup().await;
    env.write("/memories/notes.md", "A fact.\n");
    let session = env.session("Do a thing", "Done");
    let bridge = env.bridge();
    let start = || DreamStart {
        store: "helper".into(),
        session_ids: vec![session.clone()],
        ..DreamStart::default()
    };

    env.server
        .script_dream(DreamScript::failed("timeout", "the dream ran out of time"));
    let failed = bridge.dream_start(&start()).await.unwrap().remote.id;
    let done = bridge
        .dream_wait(
            &failed,
            Duration::from_millis(5),
            &CancellationToken::new(),
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(done.remote.status, managed::wire::DreamStatus::Failed);
    assert_eq!(done.remote.error.as_ref().unwrap().kind, "timeout");
    let imported = bridge
        .dream_import(&failed, DreamTrigger::Cli)
        .await
        .unwrap();
    assert_eq!(imported.dream.status, DreamStatus::Failed);
    assert!(imported.edits.is_empty());
    let why = imported.dream.error.clone().unwrap();
    assert!(
        why.contains("failed (timeout: the dream ran out of time); memory was not changed"),
        "{why}"
    );

    env.server.script_dream(DreamScript::stuck());
    let stuck = bridge.dream_start(&start()).await.unwrap().remote.id;
    // Importing a dream still running is refused with what to do.
    let err = bridge
        .dream_import(&stuck, DreamTrigger::Cli)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("still") && err.contains("dream wait"), "{err}");
    // Waiting can be stopped without stopping the dream.
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    let err = bridge
        .dream_wait(&stuck, Duration::from_millis(5), &stop, move |_| {
            stopper.cancel()
        })
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("stopped waiting"), "{err}");
    let canceled = bridge.dream_cancel(&stuck).await.unwrap();
    assert_eq!(canceled.remote.status, managed::wire::DreamStatus::Canceled);
    assert_eq!(
        bridge.dream_cancel(&stuck).await.unwrap().remote.status,
        managed::wire::DreamStatus::Canceled,
        "canceling twice is harmless"
    );
    let imported = bridge
        .dream_import(&stuck, DreamTrigger::Cli)
        .await
        .unwrap();
    assert_eq!(imported.dream.status, DreamStatus::Canceled);
    assert!(
        imported
            .dream
            .error
            .unwrap()
            .contains("was canceled; memory was not changed")
    );

    // A finished dream cannot be canceled; an unknown one is not found.
    let err = bridge.dream_cancel(&failed).await.unwrap_err().to_string();
    assert!(err.contains("already finished"), "{err}");
    let err = bridge.dream_status("drm_nope").await.unwrap_err();
    assert!(
        matches!(err, reverie_engine::Error::NotFound { .. }),
        "{err}"
    );
    assert_eq!(env.memory()["/memories/notes.md"], "A fact.\n");
}

#[tokio::test]
async fn the_bridge_refuses_while_off_and_without_a_key() {
    let env = setup().await;
    managed::disable(&env.store).unwrap();
    let err = Bridge::open_with_key(env.store.clone(), SecretString::from(KEY.to_string()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bridge is off") && err.contains("reverie managed enable"),
        "{err}"
    );
    let status =
        managed::status(&env.store, &Keychain::with_service("reverie-test-unused")).unwrap();
    assert!(!status.enabled);

    managed::enable(&env.store, &BridgeSettings::default()).unwrap();
    if std::env::var("ANTHROPIC_API_KEY").is_err() {
        // A keychain service with no entry (or no keychain at all) refuses too.
        let service = format!("reverie-test-{}", reverie_engine::ids::new_id());
        let err = Bridge::open(env.store.clone(), &Keychain::with_service(service))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("no Anthropic API key") || err.contains("no OS keychain"),
            "{err}"
        );
    }
    assert!(env.server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn the_key_comes_from_the_keychain_and_never_touches_the_data_folder() {
    let service = format!("reverie-test-{}", reverie_engine::ids::new_id());
    let keychain = Keychain::with_service(&service);
    match keychain.get("anthropic") {
        Err(reverie_engine::Error::KeychainUnavailable(why)) => {
            assert!(
                std::env::var("REVERIE_REQUIRE_KEYCHAIN").is_err(),
                "REVERIE_REQUIRE_KEYCHAIN is set but no keychain is available: {why}"
            );
            eprintln!("skipping: no OS keychain here ({why}); run scripts/test.sh");
            return;
        }
        other => {
            other.unwrap();
        }
    }
    if std::env::var("ANTHROPIC_API_KEY").is_ok() {
        eprintln!("skipping: ANTHROPIC_API_KEY would override the keychain");
        return;
    }
    let env = setup().await;
    let key = format!(
        "sk-ant-api03-{}-keychain",
        reverie_engine::ids::new_id().to_lowercase()
    );
    keychain
        .set("anthropic", &SecretString::from(key.clone()))
        .unwrap();
    env.server.require_api_key(&key);
    env.write("/memories/a.md", "A\n");
    let session = env.session("Task", "Answer");

    let bridge = Bridge::open(env.store.clone(), &keychain).unwrap();
    bridge.push("helper", None).await.unwrap();
    bridge.upload_sessions(&[session], false).await.unwrap();
    let status = managed::status(&env.store, &keychain).unwrap();
    assert!(status.key.available);
    let tail: String = key[key.len() - 4..].to_string();
    assert_eq!(status.key.hint, Some(format!("…{tail}")));
    assert!(
        env.server
            .requests()
            .iter()
            .all(|r| r.header("x-api-key") == Some(key.as_str()))
    );

    keychain.delete("anthropic").unwrap();
    drop(bridge);
    assert_not_on_disk(env.dir.path(), &key);
}

#[tokio::test]
async fn the_api_table_drives_the_bridge() {
    let service = format!("reverie-test-{}", reverie_engine::ids::new_id());
    let keychain = Keychain::with_service(&service);
    match keychain.get("anthropic") {
        Err(reverie_engine::Error::KeychainUnavailable(why)) => {
            assert!(
                std::env::var("REVERIE_REQUIRE_KEYCHAIN").is_err(),
                "REVERIE_REQUIRE_KEYCHAIN is set but no keychain is available: {why}"
            );
            eprintln!("skipping: no OS keychain here ({why}); run scripts/test.sh");
            return;
        }
        other => {
            other.unwrap();
        }
    }
    if std::env::var("ANTHROPIC_API_KEY").is_ok() {
        eprintln!("skipping: ANTHROPIC_API_KEY would override the keychain");
        return;
    }
    let env = setup().await;
    managed::disable(&env.store).unwrap();
    env.write("/memories/notes.md", "Notes.\n");
    let session = env.session("Convert 5 miles", "8 km");
    let runtime = Arc::new(reverie_engine::runtime::Runtime::new(env.store.clone()).unwrap());
    let api = Arc::new(reverie_engine::api::Api::new(runtime).with_keychain(keychain.clone()));
    let call = |method: &'static str, params: Value| {
        let api = api.clone();
        async move { api.call(method, params).await }
    };

    assert_eq!(
        call("managed.status", json!({})).await.unwrap()["enabled"],
        false
    );
    let refused = call("managed.push", json!({"store": "helper"}))
        .await
        .unwrap_err();
    assert_eq!(refused.kind, "invalid");
    assert!(
        refused.message.contains("bridge is off"),
        "{}",
        refused.message
    );
    let status = call(
        "managed.enable",
        json!({"base_url": env.server.url(), "agent_id": "agent_api", "environment_id": "env_api"}),
    )
    .await
    .unwrap();
    assert_eq!(status["enabled"], true);
    assert_eq!(status["key"]["available"], false);
    let refused = call("managed.push", json!({"store": "helper"}))
        .await
        .unwrap_err();
    assert!(
        refused.message.contains("no Anthropic API key"),
        "{}",
        refused.message
    );
    assert!(env.server.requests().is_empty());

    keychain
        .set("anthropic", &SecretString::from(KEY.to_string()))
        .unwrap();
    let status = call("managed.status", json!({"check": true}))
        .await
        .unwrap();
    assert_eq!(status["reachable"], true, "{status}");
    assert_eq!(status["key"]["source"], "keychain");

    let push = call("managed.push", json!({"store": "helper"}))
        .await
        .unwrap();
    let remote = push["remote_store_id"].as_str().unwrap().to_string();
    assert_eq!(
        push["events"][0],
        json!({"event": "pushed", "path": "/memories/notes.md", "created": true})
    );
    env.write("/memories/notes.md", "Notes, here.\n");
    env.server
        .managed_write(&remote, "/notes.md", "Notes, there.\n")
        .unwrap();
    let pull = call("managed.pull", json!({"store": "helper"}))
        .await
        .unwrap();
    assert_eq!(pull["events"][0]["event"], "conflict");
    let conflicts = call("managed.conflicts", json!({"store": "helper"}))
        .await
        .unwrap();
    let conflict_id = conflicts[0]["id"].as_str().unwrap().to_string();
    // The folder mirror's status does not list the bridge's conflicts.
    let mirror = call("memory.mirror_status", json!({"store": "helper"}))
        .await
        .unwrap();
    assert_eq!(mirror["conflicts"], json!([]));
    let resolved = call("managed.resolve_conflict", json!({"id": conflict_id}))
        .await
        .unwrap();
    assert!(resolved["resolved_at"].is_string());
    let push = call("managed.push", json!({"store": "helper"}))
        .await
        .unwrap();
    assert!(push["open_conflicts"].as_array().unwrap().is_empty());
    assert_eq!(
        env.server.managed_memories(&remote)["/notes.md"],
        "Notes, here.\n"
    );

    let up = call("managed.upload_sessions", json!({"session_ids": [session]}))
        .await
        .unwrap();
    assert_eq!(up["sessions"][0]["uploaded"], true);

    env.server
        .script_dream(DreamScript::completed(&[("/units.md", "Metric.\n")], &[]));
    let started = call(
        "managed.dream_start",
        json!({"store": "helper", "session_ids": [session]}),
    )
    .await
    .unwrap();
    let id = started["remote"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        started["upload"]["sessions"][0]["uploaded"], false,
        "uploaded once"
    );
    let too_early = call("managed.dream_import", json!({"id": id}))
        .await
        .unwrap_err();
    assert!(too_early.message.contains("still"), "{}", too_early.message);
    let mut status = Value::Null;
    for _ in 0..5 {
        status = call("managed.dream_status", json!({"id": id}))
            .await
            .unwrap();
        if status["remote"]["status"] == "completed" {
            break;
        }
    }
    assert_eq!(status["remote"]["status"], "completed");
    let imported = call("managed.dream_import", json!({"id": id}))
        .await
        .unwrap();
    let dream_id = imported["dream"]["id"].as_str().unwrap().to_string();
    assert_eq!(imported["dream"]["review"], "staged");
    assert_eq!(imported["edits"][0]["path"], "/memories/units.md");
    let shown = call("dreams.get", json!({"id": dream_id})).await.unwrap();
    assert_eq!(shown["edits"][0]["op"], "create");
    let err = call("managed.dream_cancel", json!({"id": id}))
        .await
        .unwrap_err();
    assert_eq!(err.kind, "invalid");
    let dreams = call("managed.dreams", json!({})).await.unwrap();
    assert_eq!(dreams[0]["imported_dream_id"], dream_id.as_str());
    let bad = call("managed.push", json!({"store": "helper", "bogus": 1}))
        .await
        .unwrap_err();
    assert_eq!(bad.kind, "invalid");

    keychain.delete("anthropic").unwrap();
    drop(api);
    assert_not_on_disk(env.dir.path(), KEY);
}

#[tokio::test]
async fn a_push_after_the_linked_store_was_deleted_makes_a_new_one_and_pull_needs_a_link() {
    let env = setup().await;
    env.write("/memories/a.md", "A\n");
    let bridge = env.bridge();
    // A pull of a store never linked says what to do, and sends nothing.
    let err = bridge.pull("helper", None).await.unwrap_err().to_string();
    assert!(
        err.contains("not linked") && err.contains("--remote"),
        "{err}"
    );
    assert!(env.server.requests().is_empty());

    let first = bridge.push("helper", None).await.unwrap().remote_store_id;
    let gone = reqwest::Client::new()
        .delete(format!("{}/v1/memory_stores/{first}", env.server.url()))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01")
        .header("anthropic-beta", "agent-memory-2026-07-22")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 200);
    let again = bridge.push("helper", None).await.unwrap();
    assert!(again.created_remote_store);
    assert_ne!(again.remote_store_id, first);
    assert_eq!(
        env.server.managed_memories(&again.remote_store_id)["/a.md"],
        "A\n"
    );

    // Pulling a Managed Agents store into a new local store.
    let copy = bridge
        .pull("team-copy", Some(&again.remote_store_id))
        .await
        .unwrap();
    assert!(copy.created_local_store);
    let team = env.store.memory_store("team-copy").unwrap();
    let (_, text) = env
        .store
        .read_document(&team.id, "/memories/a.md")
        .unwrap()
        .unwrap();
    assert_eq!(text, "A\n");
    let err = bridge
        .pull("helper", Some("memstore/../x"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("is not a Managed Agents memory store id"),
        "{err}"
    );
}
