//! The generated `ui/src/api/engine-methods.ts` matches the calls the
//! engine routes, so the UI's TypeScript twin, type-checked against that
//! file by `ui/src/api/binding.ts`, cannot drift.
//! `REVERIE_BLESS=1 cargo test -p reverie-engine --test api_binding` rewrites it.

use std::path::PathBuf;
use std::sync::Arc;

use reverie_engine::api::binding::{describe, differences, typescript};
use reverie_engine::api::{Api, methods};
use reverie_engine::runtime::Runtime;
use reverie_engine::Store;
use serde_json::json;


fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/api/engine-methods.ts")
}

#[test]
fn the_generated_typescript_matches_the_engine() {
    let path = committed_path();
    let generated = typescript();
    if std::env::var_os("REVERIE_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let changed: Vec<&str> = generated
        .lines()
        .filter(|l| l.starts_with("  '") && !committed.contains(*l))
        .collect();
    assert!(
        committed == generated,
        "ui/src/api/engine-methods.ts is out of date (calls changed: {changed:?}); run \
         REVERIE_BLESS=1 cargo test -p reverie-engine --test api_binding, then make \
         ui/src/api match (`npm run build` there type-checks it)"
    );
}

#[test]
fn a_mismatched_method_is_caught() {
    let actual = describe();
    let mut renamed = actual.clone();
    let params = renamed.remove("agents.create").unwrap();
    renamed.insert("agents.creat".into(), params);
    assert_eq!(
        differences(&actual, &renamed),
        ["agents.creat: not expected", "agents.create: missing"]
    );
    let mut loosened = actual.clone();
    loosened
        .get_mut("memory.write")
        .unwrap()
        .get_mut("content")
        .unwrap()
        .optional = true;
    assert_eq!(differences(&actual, &loosened), ["memory.write: parameters differ"]);
}

#[test]
fn parameters_read_as_the_wire_sees_them() {
    let d = describe();
    let write = &d["memory.write"];
    assert!(!write["content"].optional && write["content"].kind == "string");
    assert!(write["allow_secret"].optional && write["expected_sha256"].optional);
    // Flattened filters become the call's own parameters.
    assert!(d["sessions.page"].contains_key("kinds") && d["sessions.page"].contains_key("id"));
    let decide = &d["dreams.decide"]["decision"];
    assert!(decide.values.contains(&"accepted".to_string()), "{decide:?}");
    assert_eq!(d["app.info"].len(), 0);
    assert!(d["agents.update"]["update"].fields.contains_key("model"));
}

/// Every declared call is routed, and nothing undeclared is.
#[tokio::test]
async fn every_declared_call_is_routed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let api = Arc::new(Api::new(Arc::new(Runtime::new(store).unwrap())));
    for m in methods() {
        // A call with a wrong parameter shape fails on its parameters, never
        // as an unknown call.
        let err = api.call(m.name, json!({"id": 1, "name": 1, "store": 1})).await;
        if let Err(e) = err {
            assert_ne!(e.kind, "unknown_method", "{} is declared but not routed", m.name);
        }
    }
    let e = api.call("agents.creat", json!({})).await.unwrap_err();
    assert_eq!(e.kind, "unknown_method");
}
