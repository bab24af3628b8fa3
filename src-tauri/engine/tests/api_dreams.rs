//! The API table's dream-review and mirror calls, as the Dreams and Memory
//! screens use them: estimate, start with progress broadcast as events, get
//! the proposal with what each document held before, accept one edit and
//! reject another, apply, revert with a conflict and a choice; mirror a
//! store to a folder and stop.

mod dream_support;

use std::sync::Arc;
use std::time::Duration;

use dream_support::*;
use reverie_engine::api::Api;
use serde_json::{Value, json};

async fn next_event(rx: &mut tokio::sync::broadcast::Receiver<Value>, kind: &str) -> Value {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let e = rx.recv().await.unwrap();
            if e["type"] == kind {
                return e;
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {kind} event"))
}

#[tokio::test]
async fn the_api_runs_reviews_applies_and_reverts_a_dream() {
    let env = setup().await;
    env.write("/memories/_index.md", "- /memories/notes.md: facts\n");
    env.write("/memories/notes.md", "Old fact.\n");
    let store = env.store();
    let ids: Vec<String> = (1..=2)
        .map(|n| failing_test_session(store, &env.agent, n))
        .collect();
    let api = Arc::new(Api::new(env.runtime.clone()));
    let mut events = api.subscribe();

    let estimate = api
        .call("dreams.estimate", json!({"agent": "helper"}))
        .await
        .unwrap();
    assert_eq!(estimate["session_ids"], json!(ids));
    assert_eq!(estimate["calls"], 1);
    assert!(
        env.server.requests().is_empty(),
        "an estimate calls no model"
    );

    on_reduce(
        &env.server,
        proposal(json!([
            {"op": "create", "path": "/memories/mistakes.md", "content": "Run cargo test from the root.\n",
             "reason": "It failed twice from a subfolder.", "source_session_ids": ids},
            {"op": "rewrite", "path": "/memories/notes.md", "content": "New fact.\n",
             "reason": "The old fact is stale.", "source_session_ids": [ids[0]]},
            {"op": "rewrite", "path": "/memories/_index.md", "content": "- /memories/notes.md: facts\n- /memories/mistakes.md: mistakes\n",
             "reason": "List the new document.", "source_session_ids": ids}
        ])),
        None,
    );
    let started = api
        .call("dreams.start", json!({"agent": "helper"}))
        .await
        .unwrap();
    let id = started["id"].as_str().unwrap().to_string();
    assert_eq!(started["status"], "running");
    let first = next_event(&mut events, "dream_started").await;
    assert_eq!(first["dream_id"], json!(id));
    let finished = next_event(&mut events, "dream_finished").await;
    assert_eq!(finished["edits"], 3, "{finished}");

    let list = api
        .call("dreams.list", json!({"agent": "helper"}))
        .await
        .unwrap();
    assert_eq!(list[0]["dream"]["id"], json!(id));
    assert_eq!(list[0]["agent"], "helper");
    assert_eq!(
        list[0]["edits"][0]["reason"],
        "It failed twice from a subfolder."
    );
    assert!(list[0]["edits"][0].get("content").is_none());

    let got = api.call("dreams.get", json!({"id": id})).await.unwrap();
    assert_eq!(got["dream"]["review"], "staged");
    assert_eq!(
        got["before"]["/memories/notes.md"]["content"],
        "Old fact.\n"
    );
    assert_eq!(
        got["before"]["/memories/mistakes.md"]["content"],
        Value::Null
    );
    let create = got["edits"][0]["id"].as_str().unwrap().to_string();
    let rewrite = got["edits"][1]["id"].as_str().unwrap().to_string();

    // Accept one, reject the other, then apply: only the accepted one lands.
    let accepted = api
        .call(
            "dreams.decide",
            json!({"edit_id": create, "decision": "accepted"}),
        )
        .await
        .unwrap();
    assert_eq!(accepted["decision"], "accepted");
    api.call(
        "dreams.decide",
        json!({"edit_id": rewrite, "decision": "rejected"}),
    )
    .await
    .unwrap();
    let bad = api
        .call(
            "dreams.decide",
            json!({"edit_id": rewrite, "decision": "maybe"}),
        )
        .await
        .unwrap_err();
    assert_eq!(bad.kind, "invalid");
    let applied = api.call("dreams.apply", json!({"id": id})).await.unwrap();
    assert_eq!(applied["review"], "partially_applied");
    let memory = env.memory();
    assert_eq!(
        memory["/memories/mistakes.md"],
        "Run cargo test from the root.\n"
    );
    assert_eq!(memory["/memories/notes.md"], "Old fact.\n");
    // After apply, "before" is the text before the dream's version.
    let got = api.call("dreams.get", json!({"id": id})).await.unwrap();
    assert_eq!(
        got["before"]["/memories/mistakes.md"]["content"],
        Value::Null
    );

    // A later edit of the dream's document is a conflict the user decides.
    env.write("/memories/mistakes.md", "Edited by hand.\n");
    let conflicts = api
        .call("dreams.revert_conflicts", json!({"id": id}))
        .await
        .unwrap();
    assert_eq!(conflicts[0]["path"], "/memories/mistakes.md");
    assert_eq!(conflicts[0]["current"], "Edited by hand.\n");
    let refused = api
        .call("dreams.revert", json!({"id": id}))
        .await
        .unwrap_err();
    assert_eq!(refused.kind, "conflict");
    let reverted = api
        .call(
            "dreams.revert",
            json!({"id": id, "choices": {"/memories/mistakes.md": "keep_current"}}),
        )
        .await
        .unwrap();
    assert_eq!(reverted["kept"], json!(["/memories/mistakes.md"]));
    assert_eq!(reverted["dream"]["review"], "reverted");
    assert_eq!(env.memory()["/memories/mistakes.md"], "Edited by hand.\n");

    // Nothing new to review: the sentence says so.
    let nothing = api
        .call("dreams.start", json!({"agent": "helper"}))
        .await
        .unwrap_err();
    assert_eq!(nothing.kind, "invalid");
    assert!(
        nothing.message.contains("nothing to review"),
        "{}",
        nothing.message
    );
    let unknown = api.call("dreams.nope", json!({})).await.unwrap_err();
    assert_eq!(unknown.kind, "unknown_method");
}

#[tokio::test]
async fn the_api_rejects_all_edits_and_cancels_nothing_it_does_not_run() {
    let env = setup().await;
    let ids = vec![failing_test_session(env.store(), &env.agent, 1)];
    let api = Arc::new(Api::new(env.runtime.clone()));
    let mut events = api.subscribe();
    on_reduce(
        &env.server,
        proposal(json!([
            {"op": "create", "path": "/memories/a.md", "content": "A\n", "reason": "a", "source_session_ids": ids},
            {"op": "create", "path": "/memories/b.md", "content": "B\n", "reason": "b", "source_session_ids": ids},
            {"op": "create", "path": "/memories/_index.md", "content": "- a\n- b\n", "reason": "index", "source_session_ids": ids}
        ])),
        None,
    );
    let id = api
        .call("dreams.start", json!({"agent": "helper"}))
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    next_event(&mut events, "dream_finished").await;
    let all = api
        .call(
            "dreams.decide_all",
            json!({"id": id, "decision": "rejected"}),
        )
        .await
        .unwrap();
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .all(|e| e["decision"] == "rejected")
    );
    // Applying a proposal with every edit rejected rejects the dream.
    let applied = api.call("dreams.apply", json!({"id": id})).await.unwrap();
    assert_eq!(applied["review"], "rejected");
    assert!(env.memory().is_empty());
    let err = api
        .call("dreams.cancel", json!({"id": id}))
        .await
        .unwrap_err();
    assert!(err.message.contains("not running"), "{}", err.message);
}

#[tokio::test]
async fn the_api_mirrors_a_store_to_a_folder_and_stops() {
    let env = setup().await;
    env.write("/memories/notes.md", "Mirrored.\n");
    let api = Arc::new(Api::new(env.runtime.clone()));
    let folder = tempfile::tempdir().unwrap();
    let status = api
        .call("memory.mirror_status", json!({"store": "helper"}))
        .await
        .unwrap();
    assert_eq!(status["dir"], Value::Null);
    assert_eq!(status["running"], false);

    let relative = api
        .call(
            "memory.mirror_enable",
            json!({"store": "helper", "dir": "notes"}),
        )
        .await
        .unwrap_err();
    assert_eq!(relative.kind, "invalid");
    let on = api
        .call(
            "memory.mirror_enable",
            json!({"store": "helper", "dir": folder.path()}),
        )
        .await
        .unwrap();
    assert_eq!(on["running"], true);
    assert_eq!(
        std::fs::read_to_string(folder.path().join("notes.md")).unwrap(),
        "Mirrored.\n"
    );
    let status = api
        .call("memory.mirror_status", json!({"store": "helper"}))
        .await
        .unwrap();
    assert_eq!(status["running"], true);
    assert!(status["dir"].as_str().is_some());

    let off = api
        .call("memory.mirror_disable", json!({"store": "helper"}))
        .await
        .unwrap();
    assert_eq!(off["running"], false);
    let status = api
        .call("memory.mirror_status", json!({"store": "helper"}))
        .await
        .unwrap();
    assert_eq!(status["dir"], Value::Null);
    // Stopped and released: the store can be mirrored again.
    api.call(
        "memory.mirror_enable",
        json!({"store": "helper", "dir": folder.path()}),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn configured_mirrors_start_again_with_the_api() {
    let env = setup().await;
    env.write("/memories/notes.md", "Back again.\n");
    let folder = tempfile::tempdir().unwrap();
    {
        let api = Arc::new(Api::new(env.runtime.clone()));
        api.call(
            "memory.mirror_enable",
            json!({"store": "helper", "dir": folder.path()}),
        )
        .await
        .unwrap();
    } // The window closes: its mirror stops, the folder stays configured.
    std::fs::remove_file(folder.path().join("notes.md")).unwrap();
    env.write("/memories/notes.md", "Written while closed.\n");
    let api = Arc::new(Api::new(env.runtime.clone()));
    let status = api
        .call("memory.mirror_status", json!({"store": "helper"}))
        .await
        .unwrap();
    assert_eq!(status["running"], false);
    assert!(status["dir"].is_string());
    assert_eq!(api.start_configured_mirrors().await.unwrap(), 1);
    let status = api
        .call("memory.mirror_status", json!({"store": "helper"}))
        .await
        .unwrap();
    assert_eq!(status["running"], true);
    assert_eq!(
        std::fs::read_to_string(folder.path().join("notes.md")).unwrap(),
        "Written while closed.\n"
    );
}
