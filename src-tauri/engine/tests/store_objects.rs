//! The store's typed API on a real SQLite file: agents, memory versions,
//! sessions and events, dreams, rubrics and outcomes, leases.

use reverie_engine::store::*;
use reverie_engine::{Error, Store};
use serde_json::json;

fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

fn agent(store: &Store, name: &str) -> Agent {
    store
        .create_agent(&NewAgent {
            name: name.into(),
            provider: ProviderKind::Anthropic,
            model: "claude-sonnet-4-5".into(),
            system_prompt: "You help.".into(),
            tools: vec!["memory".into()],
        })
        .unwrap()
}

#[test]
fn agents_have_their_own_store_and_names_are_unique() {
    let (_dir, store) = open();
    let a = agent(&store, "researcher");
    assert_eq!(a.stores.len(), 1);
    assert_eq!(a.default_store().unwrap().access, Access::ReadWrite);
    assert!(matches!(
        store.create_agent(&NewAgent {
            name: "researcher".into(),
            provider: ProviderKind::OpenAi,
            model: "m".into(),
            system_prompt: String::new(),
            tools: vec![]
        }),
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        store.create_agent(&NewAgent {
            name: "bad/name".into(),
            provider: ProviderKind::OpenAi,
            model: "m".into(),
            system_prompt: String::new(),
            tools: vec![]
        }),
        Err(Error::Invalid(_))
    ));
    let updated = store
        .update_agent(
            "researcher",
            &AgentUpdate {
                model: Some("claude-opus-4-1".into()),
                dream_policy: Some(DreamPolicy::Auto),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(updated.model, "claude-opus-4-1");
    assert_eq!(updated.dream_policy, DreamPolicy::Auto);
    assert_eq!(updated.system_prompt, "You help.");

    let shared = store
        .create_memory_store(&NewMemoryStore {
            name: "team".into(),
            ..Default::default()
        })
        .unwrap();
    let with_shared = store
        .attach_store("researcher", "team", Access::ReadOnly)
        .unwrap();
    assert_eq!(with_shared.stores.len(), 2);
    assert_eq!(with_shared.stores[1].store_id, shared.id);

    let b = agent(&store, "writer");
    assert_eq!(store.roster_add("researcher", "writer").unwrap().len(), 1);
    assert_eq!(
        store.roster_add("researcher", "researcher").unwrap().len(),
        2
    );
    assert_eq!(
        store.roster_remove("researcher", "writer").unwrap().len(),
        1
    );

    store.delete_agent(&b.id).unwrap();
    assert!(matches!(store.agent("writer"), Err(Error::NotFound { .. })));
    assert!(
        store.memory_store("writer").is_err(),
        "the default store goes with its agent"
    );
    assert_eq!(store.list_agents().unwrap().len(), 1);
    assert_eq!(a.name, "researcher");
}

#[test]
fn memory_versions_are_immutable_and_restorable() {
    let (_dir, store) = open();
    let a = agent(&store, "coder");
    let sid = &a.default_store().unwrap().store_id;

    let v1 = store
        .write_document(sid, "/memories/prefs.md", "tabs", &WriteMeta::user("first"))
        .unwrap();
    assert_eq!((v1.seq, v1.op), (1, VersionOp::Create));
    let same = store
        .write_document(sid, "prefs.md", "tabs", &WriteMeta::user("again"))
        .unwrap();
    assert_eq!(same.id, v1.id, "identical content makes no new version");
    let v2 = store
        .write_document(
            sid,
            "/memories/prefs.md",
            "spaces",
            &WriteMeta::user("changed").expecting(v1.sha256.clone()),
        )
        .unwrap();
    assert_eq!(v2.seq, 2);

    // A stale precondition fails and changes nothing.
    let stale = store.write_document(
        sid,
        "/memories/prefs.md",
        "x",
        &WriteMeta::user("stale").expecting(v1.sha256.clone()),
    );
    assert!(matches!(stale, Err(Error::Conflict(_))));
    assert_eq!(
        store
            .read_document(sid, "/memories/prefs.md")
            .unwrap()
            .unwrap()
            .1,
        "spaces"
    );

    let restored = store
        .restore_document(sid, "/memories/prefs.md", 1, &WriteMeta::user(""))
        .unwrap();
    assert_eq!((restored.seq, restored.op), (3, VersionOp::Restore));
    assert_eq!(restored.content.as_deref(), Some("tabs"));
    assert_eq!(restored.sha256, v1.sha256);

    let renamed = store
        .rename_document(
            sid,
            "/memories/prefs.md",
            "/memories/style/prefs.md",
            &WriteMeta::user("tidy"),
        )
        .unwrap();
    assert_eq!(renamed.op, VersionOp::Rename);
    assert!(
        store
            .read_document(sid, "/memories/prefs.md")
            .unwrap()
            .is_none()
    );
    let history = store
        .document_history(sid, "/memories/style/prefs.md")
        .unwrap();
    assert_eq!(history.len(), 4);

    // Redaction clears old content only; the head cannot be redacted.
    assert!(store.redact_version(&history[3].id).is_err());
    let redacted = store.redact_version(&history[1].id).unwrap();
    assert!(redacted.content.is_none() && redacted.redacted_at.is_some());
    assert_eq!(redacted.sha256, v2.sha256);
    assert!(
        store
            .restore_document(sid, "/memories/style/prefs.md", 2, &WriteMeta::user(""))
            .is_err()
    );

    // Delete, then restore brings the same document back with its history.
    store
        .delete_document(sid, "/memories/style/prefs.md", &WriteMeta::user("bye"))
        .unwrap();
    assert!(store.list_documents(sid, None).unwrap().is_empty());
    let back = store
        .restore_document(sid, "/memories/style/prefs.md", 1, &WriteMeta::user(""))
        .unwrap();
    assert_eq!(back.seq, 6);
    assert_eq!(
        store
            .document_history(sid, "/memories/style/prefs.md")
            .unwrap()
            .len(),
        6
    );

    let pinned = store
        .set_pinned(sid, "/memories/style/prefs.md", true)
        .unwrap();
    assert!(pinned.pinned);
    assert_eq!(
        store
            .list_documents(sid, Some("/memories/style"))
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .list_documents(sid, Some("/memories/other"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn raw_sql_cannot_rewrite_a_version() {
    let (dir, store) = open();
    let a = agent(&store, "x");
    let sid = &a.default_store().unwrap().store_id;
    let v = store
        .write_document(sid, "a.md", "original", &WriteMeta::user(""))
        .unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(dir.path().join("reverie.db")).unwrap();
    let err = conn
        .execute(
            "UPDATE document_versions SET content = 'forged' WHERE id = ?1",
            [&v.id],
        )
        .unwrap_err();
    assert!(err.to_string().contains("immutable"), "{err}");
    let err = conn.execute("UPDATE events SET kind = 'x'", []);
    assert!(err.is_ok(), "no events yet, nothing to update");
}

#[test]
fn memory_limits_are_enforced() {
    let (_dir, store) = open();
    let small = store
        .create_memory_store(&NewMemoryStore {
            name: "small".into(),
            size_limit_bytes: Some(150_000),
            ..Default::default()
        })
        .unwrap();
    let big = "x".repeat(MAX_DOCUMENT_BYTES + 1);
    let err = store
        .write_document(&small.id, "big.md", &big, &WriteMeta::user(""))
        .unwrap_err();
    assert!(err.to_string().contains("at most 100000 bytes"), "{err}");
    store
        .write_document(&small.id, "a.md", &"a".repeat(90_000), &WriteMeta::user(""))
        .unwrap();
    let err = store
        .write_document(&small.id, "b.md", &"b".repeat(90_000), &WriteMeta::user(""))
        .unwrap_err();
    assert!(err.to_string().contains("over its limit"), "{err}");
    // Shrinking is always allowed.
    store
        .write_document(&small.id, "a.md", "short", &WriteMeta::user(""))
        .unwrap();
    assert_eq!(store.memory_store("small").unwrap().used_bytes, 5);
    for bad in ["/etc/passwd", "/memories/../x", "/memories"] {
        assert!(
            matches!(
                store.write_document(&small.id, bad, "x", &WriteMeta::user("")),
                Err(Error::Invalid(_))
            ),
            "{bad}"
        );
    }
}

/// A store's size and document count are kept by triggers; after every
/// kind of change they equal a recount from the documents themselves.
#[test]
fn store_usage_counters_match_a_recount_after_every_kind_of_change() {
    let (dir, store) = open();
    let s = store
        .create_memory_store(&NewMemoryStore {
            name: "counted".into(),
            ..Default::default()
        })
        .unwrap();
    let recount = || {
        let conn = rusqlite::Connection::open(dir.path().join("reverie.db")).unwrap();
        conn.query_row(
            "SELECT (SELECT COALESCE(SUM(v.size), 0) FROM documents d JOIN document_versions v ON v.id = d.head_version_id
                     WHERE d.store_id = ?1 AND d.deleted = 0),
                    (SELECT COUNT(*) FROM documents d WHERE d.store_id = ?1 AND d.deleted = 0)",
            [&s.id],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )
        .unwrap()
    };
    let check = |step: &str| {
        let row = store.memory_store("counted").unwrap();
        assert_eq!(
            (row.used_bytes, row.document_count),
            recount(),
            "after {step}"
        );
    };
    let user = WriteMeta::user("");
    store.write_document(&s.id, "a.md", "alpha", &user).unwrap();
    check("create");
    store
        .write_document(&s.id, "b.md", "bravo bravo", &user)
        .unwrap();
    store
        .write_document(&s.id, "a.md", "alpha, longer now", &user)
        .unwrap();
    check("update");
    store.rename_document(&s.id, "a.md", "c.md", &user).unwrap();
    check("rename");
    store.delete_document(&s.id, "b.md", &user).unwrap();
    check("delete");
    store.restore_document(&s.id, "b.md", 1, &user).unwrap();
    check("restore of a deleted document");
    store
        .write_document(&s.id, "b.md", "bravo bravo", &user)
        .unwrap();
    check("a write that changes nothing");
    assert_eq!(store.memory_store("counted").unwrap().document_count, 2);
}

#[test]
fn sessions_log_events_with_threads_kinds_and_usage() {
    let (_dir, store) = open();
    let lead = agent(&store, "lead");
    let helper = agent(&store, "helper");
    let root = store
        .create_session(&NewSession {
            agent_id: lead.id.clone(),
            task: "review".into(),
            parent_id: None,
        })
        .unwrap();
    let child = store
        .create_session(&NewSession {
            agent_id: helper.id.clone(),
            task: "logs".into(),
            parent_id: Some(root.id.clone()),
        })
        .unwrap();
    assert_eq!(child.root_id, root.id);

    let usage = Usage {
        input_tokens: 100,
        output_tokens: 20,
        cache_creation_input_tokens: 5,
        cache_read_input_tokens: 50,
    };
    store
        .append_event(
            &root.id,
            &NewEvent::new(EventKind::UserMessage, json!({"text": "review"})),
        )
        .unwrap();
    store
        .append_event(
            &root.id,
            &NewEvent::new(EventKind::AssistantText, json!({"text": "ok"}))
                .with_usage(usage, 0.01, 420),
        )
        .unwrap();
    store
        .append_events(
            &child.id,
            &[
                NewEvent::new(EventKind::ToolCall, json!({"name": "read"}))
                    .in_thread(&child.id, Some(&root.id)),
                NewEvent::new(EventKind::AssistantText, json!({"text": "found"}))
                    .in_thread(&child.id, Some(&root.id))
                    .with_usage(usage, 0.02, 300),
            ],
        )
        .unwrap();

    let all = store.events(&root.id, &EventQuery::default()).unwrap();
    assert_eq!(all.len(), 4);
    assert!(
        all.windows(2)
            .all(|w| w[0].seq < w[1].seq && w[0].at <= w[1].at)
    );
    let texts = store
        .events(
            &root.id,
            &EventQuery {
                kinds: vec![EventKind::AssistantText],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(texts.len(), 2);
    let thread = store.events(&child.id, &EventQuery::default()).unwrap();
    assert_eq!(thread.len(), 2);
    assert_eq!(
        thread[0].parent_thread_id.as_deref(),
        Some(root.id.as_str())
    );
    let page = store
        .events(
            &root.id,
            &EventQuery {
                after_seq: Some(all[1].seq),
                limit: Some(1),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].seq, all[2].seq);
    let from_time = store
        .events(
            &root.id,
            &EventQuery {
                from_time: Some(all[2].at.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        from_time.first().map(|e| e.seq),
        all.iter().find(|e| e.at >= all[2].at).map(|e| e.seq)
    );
    let later = store
        .events(
            &root.id,
            &EventQuery {
                from_time: Some("2999-01-01T00:00:00.000Z".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(later.is_empty());
    let lead_thread = store
        .events(
            &root.id,
            &EventQuery {
                thread_id: Some(root.id.clone()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(lead_thread.len(), 2);
    assert!(lead_thread.iter().all(|e| e.thread_id == root.id));

    assert_eq!(store.session(&root.id).unwrap().usage, usage);
    assert_eq!(store.session(&child.id).unwrap().cost_usd, 0.02);
    assert_eq!(store.session_tree(&root.id).unwrap().len(), 2);

    let done = store
        .finish_session(&root.id, SessionStatus::Completed, Some("all good"), None)
        .unwrap();
    assert_eq!(done.status, SessionStatus::Completed);
    assert!(
        store
            .append_event(&root.id, &NewEvent::new(EventKind::Error, json!({})))
            .is_err(),
        "finished sessions are closed"
    );
    let listed = store
        .list_sessions(&SessionFilter {
            agent: Some("lead".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 1);
    let roots = store
        .list_sessions(&SessionFilter {
            roots_only: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(roots.len(), 1);
    // Our own live session is not "interrupted".
    assert!(store.mark_interrupted_sessions().unwrap().is_empty());
}

#[test]
fn dreams_rubrics_and_outcomes_round_trip() {
    let (_dir, store) = open();
    let a = agent(&store, "writer");
    let s = store
        .create_session(&NewSession {
            agent_id: a.id.clone(),
            task: "t".into(),
            parent_id: None,
        })
        .unwrap();
    let dream = store
        .create_dream(&NewDream {
            agent_id: a.id.clone(),
            input_store_id: a.default_store().unwrap().store_id.clone(),
            mode: DreamMode::UpdateExisting,
            trigger: DreamTrigger::Cli,
            provider: "anthropic".into(),
            model: "claude-sonnet-4-5".into(),
            instructions: String::new(),
            budget_tokens: Some(10_000),
            session_ids: vec![s.id.clone()],
        })
        .unwrap();
    assert_eq!(dream.status, DreamStatus::Pending);
    assert!(
        store.complete_dream(&dream.id, &[]).is_err(),
        "must be running first"
    );
    store
        .set_dream_status(&dream.id, DreamStatus::Running, None)
        .unwrap();
    store
        .add_dream_usage(
            &dream.id,
            Usage {
                input_tokens: 10,
                ..Default::default()
            },
            0.5,
        )
        .unwrap();
    let done = store
        .complete_dream(
            &dream.id,
            &[NewProposalEdit {
                op: EditOp::Create,
                path: "/memories/mistakes.md".into(),
                merged_paths: vec![],
                content: Some("Check the date format.".into()),
                base_sha256: None,
                reason: "three sessions got it wrong".into(),
                source_session_ids: vec![s.id.clone()],
            }],
        )
        .unwrap();
    assert_eq!(
        (done.status, done.review),
        (DreamStatus::Completed, ReviewState::Staged)
    );
    assert_eq!(done.usage.input_tokens, 10);
    let edits = store.proposal(&dream.id).unwrap();
    assert_eq!(edits[0].source_session_ids, vec![s.id.clone()]);
    assert_eq!(
        store
            .decide_edit(&edits[0].id, EditDecision::Rejected)
            .unwrap()
            .decision,
        EditDecision::Rejected
    );
    assert_eq!(
        store.last_completed_dream(&a.id).unwrap().unwrap().id,
        dream.id
    );

    let r1 = store.save_rubric("report", "{\"a\":1}").unwrap();
    assert_eq!(store.save_rubric("report", "{\"a\":1}").unwrap().version, 1);
    let r2 = store.save_rubric("report", "{\"a\":2}").unwrap();
    assert_eq!(r2.version, 2);
    assert_eq!(store.rubric_version(&r1.id, 1).unwrap(), "{\"a\":1}");

    let outcome = store
        .create_outcome(&NewOutcome {
            session_id: s.id.clone(),
            agent_id: a.id.clone(),
            rubric_id: r2.id.clone(),
            rubric_version: 2,
            task: "t".into(),
            max_iterations: 3,
        })
        .unwrap();
    let v = StoredVerdict {
        iteration: 1,
        criterion_index: 0,
        criterion_name: "summary".into(),
        passed: false,
        score: 0.2,
        evidence: "…".into(),
        gap: "shorten".into(),
    };
    store
        .record_iteration(
            &outcome.id,
            1,
            std::slice::from_ref(&v),
            OutcomeResult::NeedsRevision,
            "one gap",
            0.2,
        )
        .unwrap();
    let fin = store
        .record_iteration(
            &outcome.id,
            2,
            &[StoredVerdict {
                iteration: 2,
                passed: true,
                score: 1.0,
                ..v
            }],
            OutcomeResult::Satisfied,
            "",
            1.0,
        )
        .unwrap();
    assert_eq!(
        (fin.result, fin.iterations),
        (Some(OutcomeResult::Satisfied), 2)
    );
    assert_eq!(store.verdicts(&outcome.id).unwrap().len(), 2);
    assert!(
        store
            .create_outcome(&NewOutcome {
                session_id: s.id,
                agent_id: a.id,
                rubric_id: r2.id,
                rubric_version: 2,
                task: "t".into(),
                max_iterations: 21
            })
            .is_err()
    );
}

#[test]
fn leases_are_exclusive_until_expiry() {
    let (_dir, store) = open();
    assert!(
        store
            .try_acquire_lease("dream:x", std::time::Duration::from_secs(60))
            .unwrap()
    );
    // Renewing one's own lease works; a foreign live owner blocks.
    assert!(
        store
            .try_acquire_lease("dream:x", std::time::Duration::from_secs(60))
            .unwrap()
    );
    assert!(store.lease_is_held("dream:x").unwrap());
    store.release_lease("dream:x").unwrap();
    assert!(!store.lease_is_held("dream:x").unwrap());
    assert!(
        store
            .try_acquire_lease("slot", std::time::Duration::from_millis(1))
            .unwrap()
    );
    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(!store.lease_is_held("slot").unwrap(), "expired");
    assert!(
        store
            .set_setting("anthropic_api_key", "sk-ant-xxx")
            .is_err(),
        "keys never go in the database"
    );
    store.set_setting("theme", "dark").unwrap();
    assert_eq!(store.setting("theme").unwrap().as_deref(), Some("dark"));
}
