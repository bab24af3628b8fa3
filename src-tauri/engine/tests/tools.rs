//! The memory tool (Claude's memory_20250818 semantics over versioned
//! stores) and the workspace tool, including every refusal.

use std::sync::Arc;

use reverie_engine::Store;
use reverie_engine::store::*;
use reverie_engine::tools::memory::{MemoryTool, mounts_for};
use reverie_engine::tools::workspace::WorkspaceTool;
use serde_json::json;

struct Fixture {
    _dir: tempfile::TempDir,
    store: Arc<Store>,
    tool: MemoryTool,
    own: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    store
        .create_agent(&NewAgent {
            name: "coder".into(),
            provider: ProviderKind::Anthropic,
            model: "m".into(),
            system_prompt: String::new(),
            tools: vec![],
        })
        .unwrap();
    let team = store
        .create_memory_store(&NewMemoryStore {
            name: "team".into(),
            ..Default::default()
        })
        .unwrap();
    store
        .write_document(
            &team.id,
            "/memories/style.md",
            "Use British spelling.\n",
            &WriteMeta::user(""),
        )
        .unwrap();
    let small = store
        .create_memory_store(&NewMemoryStore {
            name: "scratch".into(),
            size_limit_bytes: Some(1000),
            ..Default::default()
        })
        .unwrap();
    store
        .attach_store("coder", "team", Access::ReadOnly)
        .unwrap();
    store
        .attach_store("coder", &small.id, Access::ReadWrite)
        .unwrap();
    let agent = store.agent("coder").unwrap();
    let session = store
        .create_session(&NewSession {
            agent_id: agent.id.clone(),
            task: "t".into(),
            parent_id: None,
        })
        .unwrap();
    let own = agent.default_store().unwrap().store_id.clone();
    let tool = MemoryTool::new(store.clone(), mounts_for(&agent), &agent.id, &session.id);
    Fixture {
        _dir: dir,
        store,
        tool,
        own,
    }
}

#[test]
fn every_command_works_and_writes_versions_authored_by_the_agent() {
    let f = fixture();
    let out = f.tool.execute(&json!({"command": "create", "path": "/memories/notes.md", "file_text": "line one\nline two\n"}));
    assert!(!out.is_error, "{}", out.content);
    assert_eq!(out.effect.as_ref().unwrap().kind, "write");
    let out = f
        .tool
        .execute(&json!({"command": "view", "path": "/memories/notes.md"}));
    assert_eq!(
        out.content,
        "Here's the content of /memories/notes.md with line numbers:\n     1\tline one\n     2\tline two\n     3\t"
    );
    let out = f
        .tool
        .execute(&json!({"command": "view", "path": "/memories/notes.md", "view_range": [2, -1]}));
    assert!(
        out.content.ends_with("     2\tline two\n     3\t") && !out.content.contains("line one"),
        "{}",
        out.content
    );
    let out = f.tool.execute(&json!({"command": "str_replace", "path": "/memories/notes.md", "old_str": "two", "new_str": "2"}));
    assert!(!out.is_error, "{}", out.content);
    let out = f.tool.execute(&json!({"command": "insert", "path": "/memories/notes.md", "insert_line": 0, "insert_text": "header"}));
    assert!(!out.is_error, "{}", out.content);
    assert_eq!(
        f.store
            .read_document(&f.own, "/memories/notes.md")
            .unwrap()
            .unwrap()
            .1,
        "header\nline one\nline 2\n"
    );
    let out = f.tool.execute(&json!({"command": "rename", "old_path": "/memories/notes.md", "new_path": "/memories/archive/notes.md"}));
    assert!(!out.is_error, "{}", out.content);
    let listing = f
        .tool
        .execute(&json!({"command": "view", "path": "/memories"}))
        .content;
    assert!(listing.contains("/memories/archive/notes.md"), "{listing}");
    assert!(
        listing.contains("/memories/team/style.md"),
        "mounted stores show as directories: {listing}"
    );
    assert!(listing.contains("/memories/team/ (read-only)"), "{listing}");
    let history = f
        .store
        .document_history(&f.own, "/memories/archive/notes.md")
        .unwrap();
    assert_eq!(history.len(), 4);
    assert!(
        history
            .iter()
            .all(|v| v.author == AuthorKind::Agent && v.session_id.is_some())
    );
    let out = f
        .tool
        .execute(&json!({"command": "delete", "path": "/memories/archive"}));
    assert!(!out.is_error, "{}", out.content);
    assert!(f.store.list_documents(&f.own, None).unwrap().is_empty());
    // Reading a mounted store works.
    let out = f
        .tool
        .execute(&json!({"command": "view", "path": "/memories/team/style.md"}));
    assert!(out.content.contains("British"), "{}", out.content);
}

#[test]
fn refusals_are_tool_errors_without_host_paths() {
    let f = fixture();
    f.tool
        .execute(&json!({"command": "create", "path": "/memories/a.md", "file_text": "x x\n"}));
    let big = "b".repeat(100_001);
    let cases = [
        (
            json!({"command": "view", "path": "/memories/../../etc/passwd"}),
            "may not step out",
        ),
        (
            json!({"command": "create", "path": "/etc/passwd", "file_text": "x"}),
            "must start with /memories",
        ),
        (
            json!({"command": "create", "path": "rel.md", "file_text": "x"}),
            "must start with /memories",
        ),
        (
            json!({"command": "create", "path": "~/t.md", "file_text": "x"}),
            "must start with /memories",
        ),
        (
            json!({"command": "create", "path": "/memoriesX/t.md", "file_text": "x"}),
            "must start with /memories",
        ),
        (
            json!({"command": "create", "path": "/memories/a.md/c.md", "file_text": "x"}),
            "is a document",
        ),
        (
            json!({"command": "create", "path": "/memories/keys.md", "file_text": "anthropic: sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"}),
            "ask the user to keep it in Settings",
        ),
        (
            json!({"command": "create", "path": "/memories/..", "file_text": "x"}),
            "may not step out",
        ),
        (
            json!({"command": "delete", "path": "/memories"}),
            "/memories directory itself",
        ),
        (
            json!({"command": "rename", "old_path": "/memories", "new_path": "/memories/x"}),
            "/memories directory itself",
        ),
        (
            json!({"command": "create", "path": "/memories/big.md", "file_text": big}),
            "at most 100000 bytes",
        ),
        (
            json!({"command": "create", "path": "/memories/scratch/full.md", "file_text": "c".repeat(2000)}),
            "over its limit",
        ),
        (
            json!({"command": "create", "path": "/memories/team/new.md", "file_text": "x"}),
            "read-only",
        ),
        (
            json!({"command": "str_replace", "path": "/memories/team/style.md", "old_str": "British", "new_str": "US"}),
            "read-only",
        ),
        (
            json!({"command": "delete", "path": "/memories/team"}),
            "cannot be changed",
        ),
        (
            json!({"command": "str_replace", "path": "/memories/a.md", "old_str": "x", "new_str": "y"}),
            "Multiple occurrences",
        ),
        (
            json!({"command": "str_replace", "path": "/memories/a.md", "old_str": "zzz", "new_str": "y"}),
            "did not appear verbatim",
        ),
        (
            json!({"command": "insert", "path": "/memories/a.md", "insert_line": 9, "insert_text": "y"}),
            "Invalid `insert_line`",
        ),
        (
            json!({"command": "create", "path": "/memories/a.md", "file_text": "again"}),
            "already exists",
        ),
        (
            json!({"command": "view", "path": "/memories/missing.md"}),
            "does not exist",
        ),
        (json!({"command": "explode"}), "Invalid memory command"),
        (
            json!({"command": "rename", "old_path": "/memories/a.md", "new_path": "/memories/team/a.md"}),
            "read-only",
        ),
    ];
    let data_dir = f.store.data_dir().display().to_string();
    for (input, expected) in cases {
        let out = f.tool.execute(&input);
        assert!(out.is_error, "{input} should fail");
        assert!(out.content.contains(expected), "{input}: {}", out.content);
        assert!(
            !out.content.contains(&data_dir) && !out.content.contains("/tmp"),
            "host path leaked: {}",
            out.content
        );
    }
    // Nothing was written by the refused calls.
    assert_eq!(
        f.store
            .read_document(&f.own, "/memories/a.md")
            .unwrap()
            .unwrap()
            .1,
        "x x\n"
    );
}

#[test]
fn workspace_tool_stays_inside_its_folder() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "top secret").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tool = WorkspaceTool::new(dir.path().join("ws")).unwrap();
    let out = tool.execute(
        &json!({"command": "write", "path": "reports/summary.md", "content": "# Summary\n"}),
    );
    assert!(!out.is_error, "{}", out.content);
    assert_eq!(
        tool.execute(&json!({"command": "read", "path": "reports/summary.md"}))
            .content,
        "# Summary\n"
    );
    assert_eq!(
        tool.execute(&json!({"command": "list"})).content,
        "reports/"
    );
    assert!(
        tool.execute(&json!({"command": "list", "path": "reports"}))
            .content
            .starts_with("summary.md\t10 bytes")
    );

    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), dir.path().join("ws/escape")).unwrap();
    let host = dir.path().display().to_string();
    for (input, expected) in [
        (
            json!({"command": "read", "path": "../../etc/passwd"}),
            "uses '..'",
        ),
        (
            json!({"command": "read", "path": "/etc/passwd"}),
            "absolute path",
        ),
        (
            json!({"command": "write", "path": "a/../../x", "content": "x"}),
            "uses '..'",
        ),
        (
            json!({"command": "read", "path": "escape/secret.txt"}),
            "symbolic link",
        ),
        (
            json!({"command": "write", "path": "escape/new.txt", "content": "x"}),
            "symbolic link",
        ),
        (
            json!({"command": "read", "path": "nope.txt"}),
            "does not exist",
        ),
        (json!({"command": "read", "path": ""}), "empty"),
        (
            json!({"command": "delete", "path": "x"}),
            "Invalid workspace command",
        ),
    ] {
        let out = tool.execute(&input);
        assert!(out.is_error, "{input}");
        assert!(out.content.contains(expected), "{input}: {}", out.content);
        assert!(
            !out.content.contains(&host),
            "host path leaked: {}",
            out.content
        );
    }
    assert!(!outside.path().join("new.txt").exists());
}

/// In an evaluation run the tool sees the memory view, not the store: a
/// document the proposal deleted can be created again, one it created
/// already exists, and the store never changes.
#[test]
fn over_a_view_every_existence_check_asks_the_view() {
    use reverie_engine::tools::memory_view::{MemoryAccess, MemoryView};
    let f = fixture();
    let user = WriteMeta::user("test");
    f.store.write_document(&f.own, "/memories/old.md", "gone after the dream\n", &user).unwrap();
    let view = Arc::new(MemoryView::new(f.store.clone()));
    // As a proposal would lay it: old.md deleted, new.md created.
    view.delete_document(&f.own, "/memories/old.md", &user).unwrap();
    view.write_document(&f.own, "/memories/new.md", "from the dream\n", &user).unwrap();
    let agent = f.store.agent("coder").unwrap();
    let session = f
        .store
        .create_session(&NewSession { agent_id: agent.id.clone(), task: "t".into(), parent_id: None })
        .unwrap();
    let tool = MemoryTool::new(f.store.clone(), mounts_for(&agent), &agent.id, &session.id).with_view(Some(view.clone()));

    let out = tool.execute(&json!({"command": "create", "path": "/memories/old.md", "file_text": "again\n"}));
    assert!(!out.is_error, "{}", out.content);
    let out = tool.execute(&json!({"command": "create", "path": "/memories/new.md", "file_text": "twice\n"}));
    assert!(out.is_error && out.content.contains("already exists"), "{}", out.content);
    let out = tool.execute(&json!({"command": "rename", "old_path": "/memories/new.md", "new_path": "/memories/renamed.md"}));
    assert!(!out.is_error, "{}", out.content);
    let out = tool.execute(&json!({"command": "delete", "path": "/memories/renamed.md"}));
    assert!(!out.is_error, "{}", out.content);

    assert_eq!(view.read_document(&f.own, "/memories/old.md").unwrap().unwrap().1, "again\n");
    assert_eq!(f.store.read_document(&f.own, "/memories/old.md").unwrap().unwrap().1, "gone after the dream\n");
    assert!(f.store.read_document(&f.own, "/memories/renamed.md").unwrap().is_none());
}
