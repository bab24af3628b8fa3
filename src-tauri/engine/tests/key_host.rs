//! A provider's address and the key saved in the keychain (issue 18): the
//! API refuses to point the provider at another host while a key is saved,
//! until the person confirms that the key may go there; the key is bound to
//! the address in force when it was saved. Real keychain (Secret Service),
//! real SQLite; skipped with a note when no keychain is available.

use std::sync::Arc;

use reverie_engine::api::Api;
use reverie_engine::keychain::Keychain;
use reverie_engine::managed_agents::{self as managed, BridgeSettings};
use reverie_engine::provider::ProviderKind;
use reverie_engine::runtime::Runtime;
use reverie_engine::Store;
use reverie_engine::provider::key_host;
use serde_json::json;

fn keychain_or_skip(service: &str) -> Option<Keychain> {
    let keychain = Keychain::with_service(service);
    match keychain.get("anthropic") {
        Err(reverie_engine::Error::KeychainUnavailable(why)) => {
            assert!(
                std::env::var("REVERIE_REQUIRE_KEYCHAIN").is_err(),
                "REVERIE_REQUIRE_KEYCHAIN is set but no keychain is available: {why}"
            );
            eprintln!("skipping: no OS keychain here ({why}); run scripts/test.sh");
            None
        }
        other => {
            other.unwrap();
            Some(keychain)
        }
    }
}

#[tokio::test]
async fn a_new_provider_address_needs_confirmation_while_a_key_is_saved() {
    if std::env::var("ANTHROPIC_BASE_URL").is_ok() {
        eprintln!("skipping: ANTHROPIC_BASE_URL decides the address in force");
        return;
    }
    let service = format!("reverie-test-{}", reverie_engine::ids::new_id());
    let Some(keychain) = keychain_or_skip(&service) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path()).unwrap());
    let api = Arc::new(
        Api::new(Arc::new(Runtime::new(store.clone()).unwrap())).with_keychain(keychain.clone()),
    );
    let set_url = |value: &str, confirm: bool| {
        api.call(
            "settings.set",
            json!({"key": "provider.anthropic.base_url", "value": value, "confirm_key_host": confirm}),
        )
    };

    // No key saved: any address may be saved.
    set_url("http://127.0.0.1:9/v1", false).await.unwrap();
    set_url("", false).await.unwrap();

    // A key saved now is bound to the address in force: the public one.
    api.call(
        "keys.set",
        json!({"provider": "anthropic", "key": "sk-ant-bound-0001"}),
    )
    .await
    .unwrap();
    assert_eq!(
        key_host::allowed_origins(&store, ProviderKind::Anthropic),
        ["https://api.anthropic.com"]
    );

    // Another host: refused with the host named, nothing saved.
    let err = set_url("http://attacker.example:8080/v1", false)
        .await
        .unwrap_err();
    assert_eq!(err.kind, "needs_confirmation");
    assert!(
        err.message
            .contains("Your API key will be sent to http://attacker.example:8080"),
        "{}",
        err.message
    );
    assert_eq!(
        store
            .setting("provider.anthropic.base_url")
            .unwrap()
            .as_deref(),
        Some("")
    );
    // The key would not go there either way.
    assert!(
        key_host::check(
            &store,
            ProviderKind::Anthropic,
            "http://attacker.example:8080/v1"
        )
        .is_err()
    );

    // Confirmed: saved and allowed; the same host again needs no question.
    set_url("http://gateway.example:8080/v1", true)
        .await
        .unwrap();
    assert_eq!(
        key_host::allowed_origins(&store, ProviderKind::Anthropic),
        ["https://api.anthropic.com", "http://gateway.example:8080"]
    );
    assert!(
        key_host::check(
            &store,
            ProviderKind::Anthropic,
            "http://gateway.example:8080/v2"
        )
        .is_ok()
    );
    set_url("http://gateway.example:8080/v2", false)
        .await
        .unwrap();
    // Back to the public address: it was allowed all along.
    set_url("", false).await.unwrap();
    // A key saved anew goes only where the provider points now.
    set_url("http://gateway.example:8080/v1", false)
        .await
        .unwrap();
    api.call(
        "keys.set",
        json!({"provider": "anthropic", "key": "sk-ant-bound-0002"}),
    )
    .await
    .unwrap();
    assert_eq!(
        key_host::allowed_origins(&store, ProviderKind::Anthropic),
        ["http://gateway.example:8080"]
    );
    assert_eq!(
        set_url("", false).await.unwrap_err().kind,
        "needs_confirmation"
    );

    // The Managed Agents bridge sends the same key, and only where allowed:
    // an address changed behind the person's back gets nothing...
    store
        .set_setting("provider.anthropic.base_url", "http://127.0.0.1:9")
        .unwrap();
    managed::enable(&store, &BridgeSettings::default()).unwrap();
    let err = managed::Bridge::open(store.clone(), &keychain)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not sent to http://127.0.0.1:9"), "{err}");
    // ...until the person names it for the bridge themselves.
    managed::enable(
        &store,
        &BridgeSettings {
            base_url: Some("http://127.0.0.1:9".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(managed::Bridge::open(store.clone(), &keychain).is_ok());

    keychain.delete("anthropic").unwrap();
}
