//! The API calls behind the agent editor, first-run onboarding and
//! Settings: the model list, attaching and detaching memory stores, the
//! dream schedule (validated on save, paused and resumed, next slot per
//! agent), and clear refusals for bad input.

mod dream_support;

use std::sync::Arc;

use dream_support::*;
use reverie_engine::api::Api;
use reverie_engine::provider::{ProviderConfig, ProviderKind};
use serde_json::json;

async fn api() -> (Env, Arc<Api>) {
    let env = setup().await;
    let api = Arc::new(Api::new(env.runtime.clone()));
    (env, api)
}

#[tokio::test]
async fn a_models_price_comes_from_the_table_without_a_server() {
    let (_env, api) = api().await;
    let price = api
        .call("models.price", json!({"model": "claude-sonnet-4-5"}))
        .await
        .unwrap();
    assert!(
        price["input_usd_per_mtok"].as_f64().unwrap() > 0.0,
        "{price}"
    );
    assert!(
        price["output_usd_per_mtok"].as_f64().unwrap() > 0.0,
        "{price}"
    );
    let unknown = api
        .call("models.price", json!({"model": "my-local-llama"}))
        .await
        .unwrap();
    assert!(unknown.is_null());
}

#[tokio::test]
async fn models_list_offers_anthropic_aliases_with_prices() {
    let (env, api) = api().await;
    let list = api
        .call("models.list", json!({"provider": "anthropic"}))
        .await
        .unwrap();
    let ids: Vec<&str> = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"claude-sonnet-4-5"), "{ids:?}");
    assert!(ids.contains(&"claude-haiku-4-5"), "{ids:?}");
    assert!(
        !ids.iter().any(|id| id.ends_with("20250514")),
        "dated snapshots are not offered: {ids:?}"
    );
    let sonnet = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "claude-sonnet-4-5")
        .unwrap();
    assert!(sonnet["input_usd_per_mtok"].as_f64().unwrap() > 0.0);
    assert_eq!(list["live"], true, "{list}");

    // A model the API lists but the price table does not know is offered
    // too, without a price.
    env.server.set_models(&[
        "claude-sonnet-4-5",
        "claude-opus-9",
        "claude-opus-9-20991231",
    ]);
    let list = api
        .call("models.list", json!({"provider": "anthropic"}))
        .await
        .unwrap();
    let opus = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "claude-opus-9")
        .unwrap_or_else(|| panic!("the listed model is offered: {list}"));
    assert!(opus["input_usd_per_mtok"].is_null());
    assert!(!list.to_string().contains("claude-opus-9-20991231"));
    let asked = env
        .server
        .requests()
        .into_iter()
        .rfind(|r| r.path == "/v1/models")
        .unwrap();
    assert_eq!(asked.method, "GET");
    assert_eq!(asked.header("x-api-key"), Some("sk-ant-test"));
    assert_eq!(asked.header("anthropic-version"), Some("2023-06-01"));

    // A local server names its own models: they come first, then the ones
    // agents already use.
    env.runtime
        .providers()
        .configure(
            ProviderKind::OpenAi,
            ProviderConfig::new(env.server.openai_url(), None),
        )
        .unwrap();
    env.server.set_models(&["qwen2.5-coder:7b", "llama3.2"]);
    api.call(
        "agents.create",
        json!({"name": "local", "provider": "openai", "model": "llama3.2"}),
    )
    .await
    .unwrap();
    let local = api
        .call("models.list", json!({"provider": "openai"}))
        .await
        .unwrap();
    let local_ids: Vec<&str> = local["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(local_ids[..2], ["qwen2.5-coder:7b", "llama3.2"]);
    assert_eq!(local_ids.iter().filter(|id| **id == "llama3.2").count(), 1);

    // A server that cannot list its models: the list still comes back, with
    // the reason, and the models in use.
    env.runtime
        .providers()
        .configure(
            ProviderKind::OpenAi,
            ProviderConfig::new("http://127.0.0.1:9/v1", None),
        )
        .unwrap();
    let offline = api
        .call("models.list", json!({"provider": "openai"}))
        .await
        .unwrap();
    assert_eq!(offline["live"], false);
    assert!(
        offline["live_error"].as_str().unwrap().len() > 10,
        "{offline}"
    );
    assert_eq!(offline["models"][0]["id"], "llama3.2");
    let bad = api
        .call("models.list", json!({"provider": "mistral"}))
        .await
        .unwrap_err();
    assert_eq!(bad.kind, "invalid");
}

#[tokio::test]
async fn stores_attach_with_access_and_detach_but_the_own_store_stays() {
    let (_env, api) = api().await;
    api.call(
        "memory.create_store",
        json!({"name": "team-notes", "description": "shared"}),
    )
    .await
    .unwrap();
    let agent = api
        .call(
            "agents.attach_store",
            json!({"agent": "helper", "store": "team-notes", "access": "read_only"}),
        )
        .await
        .unwrap();
    assert_eq!(agent["stores"][1]["store_name"], "team-notes");
    assert_eq!(agent["stores"][1]["access"], "read_only");
    let agent = api
        .call(
            "agents.attach_store",
            json!({"agent": "helper", "store": "team-notes", "access": "read_write"}),
        )
        .await
        .unwrap();
    assert_eq!(agent["stores"][1]["access"], "read_write");

    let agent = api
        .call(
            "agents.detach_store",
            json!({"agent": "helper", "store": "team-notes"}),
        )
        .await
        .unwrap();
    assert_eq!(agent["stores"].as_array().unwrap().len(), 1);
    let again = api
        .call(
            "agents.detach_store",
            json!({"agent": "helper", "store": "team-notes"}),
        )
        .await
        .unwrap_err();
    assert!(again.message.contains("not attached"), "{}", again.message);
    let own = api
        .call(
            "agents.detach_store",
            json!({"agent": "helper", "store": "helper"}),
        )
        .await
        .unwrap_err();
    assert_eq!(own.kind, "invalid");
    assert!(own.message.contains("own memory"), "{}", own.message);
    // The store itself is still there.
    let stores = api.call("memory.stores", json!({})).await.unwrap();
    assert!(
        stores
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "team-notes")
    );
}

#[tokio::test]
async fn a_bad_dream_schedule_is_refused_on_save_with_the_fix() {
    let (_env, api) = api().await;
    let e = api
        .call(
            "agents.update",
            json!({"name": "helper", "update": {"dream_schedule": "every night"}}),
        )
        .await
        .unwrap_err();
    assert_eq!(e.kind, "invalid");
    assert!(e.message.contains("like 03:00"), "{}", e.message);
    let agent = api
        .call("agents.get", json!({"name": "helper"}))
        .await
        .unwrap();
    assert_eq!(agent["dream_schedule"], json!(null), "nothing was saved");

    let agent = api
        .call(
            "agents.update",
            json!({"name": "helper", "update": {"dream_schedule": "03:00", "dream_policy": "auto"}}),
        )
        .await
        .unwrap();
    assert_eq!(agent["dream_schedule"], "03:00");
    assert_eq!(agent["dream_policy"], "auto");

    let checked = api
        .call("schedule.validate", json!({"schedule": "0 3 * * 1-5"}))
        .await
        .unwrap();
    assert_eq!(checked["valid"], true);
    assert!(checked["next"].is_string());
    let refused = api
        .call("schedule.validate", json!({"schedule": "25:00"}))
        .await
        .unwrap_err();
    assert!(refused.message.contains("not a dream schedule"));
}

#[tokio::test]
async fn the_schedule_pauses_resumes_and_shows_each_agents_next_dream() {
    let (env, api) = api().await;
    let mut events = api.subscribe();
    api.call(
        "agents.update",
        json!({"name": "helper", "update": {"dream_schedule": "daily 03:00"}}),
    )
    .await
    .unwrap();
    api.call(
        "agents.create",
        json!({"name": "idle", "provider": "anthropic", "model": "claude-haiku-4-5"}),
    )
    .await
    .unwrap();

    let status = api.call("dreams.schedule_status", json!({})).await.unwrap();
    assert_eq!(status["paused"], false);
    assert_eq!(status["default_budget_tokens"], 500_000);
    let agents = status["agents"].as_array().unwrap();
    let helper = agents.iter().find(|a| a["agent"] == "helper").unwrap();
    let next = chrono::DateTime::parse_from_rfc3339(helper["next"].as_str().unwrap()).unwrap();
    let until = next.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(until > chrono::Duration::zero() && until <= chrono::Duration::days(1));
    let idle = agents.iter().find(|a| a["agent"] == "idle").unwrap();
    assert_eq!(idle["next"], json!(null));
    assert_eq!(idle["schedule"], json!(null));

    let paused = api.call("dreams.pause", json!({})).await.unwrap();
    assert_eq!(paused["paused"], true);
    assert!(
        reverie_engine::dream::schedule::Scheduler::is_paused(env.store()).unwrap(),
        "the pause is shared through the data folder"
    );
    let event = events.recv().await.unwrap();
    assert_eq!(event, json!({"type": "dream_schedule", "paused": true}));
    let resumed = api.call("dreams.resume", json!({})).await.unwrap();
    assert_eq!(resumed["paused"], false);
    assert!(!reverie_engine::dream::schedule::Scheduler::is_paused(env.store()).unwrap());
}

#[tokio::test]
async fn the_dream_budget_from_settings_is_what_a_dream_gets_unless_it_asks_for_another() {
    use reverie_engine::dream::DreamRequest;
    use reverie_engine::store::DreamTrigger;
    let (env, api) = api().await;
    failing_test_session(env.store(), &env.agent, 1);
    api.call(
        "settings.set",
        json!({"key": "dream.budget_tokens", "value": "60000"}),
    )
    .await
    .unwrap();
    let dream = env
        .dreamer
        .prepare(&DreamRequest::new("helper", DreamTrigger::Ui))
        .unwrap();
    assert_eq!(dream.budget_tokens, Some(60_000));
    env.store()
        .set_dream_status(
            &dream.id,
            reverie_engine::store::DreamStatus::Canceled,
            None,
        )
        .unwrap();
    env.store()
        .release_lease(&reverie_engine::dream::dream_lease(&env.agent.id))
        .unwrap();
    let mut asked = DreamRequest::new("helper", DreamTrigger::Ui);
    asked.budget_tokens = Some(20_000);
    assert_eq!(
        env.dreamer.prepare(&asked).unwrap().budget_tokens,
        Some(20_000)
    );
}
