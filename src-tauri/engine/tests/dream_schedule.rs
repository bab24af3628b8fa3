//! The dream scheduler with a clock the test controls: a slot missed while
//! the app was closed is caught up once (not once per missed slot), a slot
//! with no new sessions is skipped, a paused schedule runs nothing, and
//! each slot is claimed once even with two schedulers on one data folder.

mod dream_support;

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use dream_support::*;
use reverie_engine::dream::Dreamer;
use reverie_engine::dream::conditions::{FixedMachine, MachineState};
use reverie_engine::dream::schedule::{ManualClock, Schedule, Scheduler, SlotResult};
use reverie_engine::store::*;
use serde_json::json;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn a_missed_slot_is_caught_up_once_and_empty_slots_are_skipped() {
    let env = setup().await;
    let store = env.store();
    store
        .update_agent(
            "helper",
            &AgentUpdate {
                dream_schedule: Some(Some("03:00".into())),
                ..AgentUpdate::default()
            },
        )
        .unwrap();
    // Nothing worth keeping: an empty proposal is a valid answer.
    on_reduce(&env.server, proposal(json!([])), None);
    let schedule = Schedule::parse("03:00").unwrap();
    // Start just after a slot.
    let start = Utc.with_ymd_and_hms(2030, 3, 10, 12, 0, 0).unwrap();
    let slot0 = schedule.latest_slot(start).unwrap();
    let clock = Arc::new(ManualClock::new(slot0 + Duration::minutes(5)));
    let scheduler = Scheduler::new(env.dreamer.clone(), clock.clone()).with_machine(fit_machine());
    let cancel = CancellationToken::new();
    assert!(
        scheduler.tick(&cancel).await.unwrap().is_empty(),
        "the first look only sets the baseline"
    );

    // Sessions happen, then the app is closed over three slots.
    let id = failing_test_session(store, &env.agent, 1);
    clock.set(slot0 + Duration::days(3) + Duration::hours(2));
    let outcomes = scheduler.tick(&cancel).await.unwrap();
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    let SlotResult::Dreamed { dream_id, status } = &outcomes[0].result else {
        panic!("expected a dream: {outcomes:?}");
    };
    assert_eq!(*status, DreamStatus::Completed);
    assert_eq!(
        store.dream(dream_id).unwrap().trigger,
        DreamTrigger::Schedule
    );
    assert_eq!(store.dream(dream_id).unwrap().session_ids, vec![id]);
    assert!(
        scheduler.tick(&cancel).await.unwrap().is_empty(),
        "caught up once, not once per missed slot"
    );

    // The next slot comes with no new sessions: skipped, no dream.
    clock.advance(Duration::days(1));
    let outcomes = scheduler.tick(&cancel).await.unwrap();
    assert!(
        matches!(&outcomes[0].result, SlotResult::Skipped { reason } if reason.contains("no new sessions")),
        "{outcomes:?}"
    );
    assert_eq!(store.list_dreams(None, 10).unwrap().len(), 1);

    // Paused: the slot passes without a dream, and resume does not replay it.
    failing_test_session(store, &env.agent, 2);
    Scheduler::set_paused(store, true).unwrap();
    clock.advance(Duration::days(1));
    let outcomes = scheduler.tick(&cancel).await.unwrap();
    assert!(
        matches!(&outcomes[0].result, SlotResult::Skipped { reason } if reason.contains("paused"))
    );
    Scheduler::set_paused(store, false).unwrap();
    assert!(scheduler.tick(&cancel).await.unwrap().is_empty());
    clock.advance(Duration::days(1));
    let outcomes = scheduler.tick(&cancel).await.unwrap();
    assert!(
        matches!(&outcomes[0].result, SlotResult::Dreamed { .. }),
        "{outcomes:?}"
    );
    assert_eq!(store.list_dreams(None, 10).unwrap().len(), 2);

    // A second scheduler on the same folder (the app beside `reverie
    // daemon`) never runs a slot the first one took.
    let other = Scheduler::new(Arc::new(Dreamer::new(env.runtime.clone())), clock.clone())
        .with_machine(fit_machine());
    failing_test_session(store, &env.agent, 3);
    clock.advance(Duration::days(1));
    let (a, b) = (
        scheduler.tick(&cancel).await.unwrap(),
        other.tick(&cancel).await.unwrap(),
    );
    assert_eq!(a.len() + b.len(), 1, "{a:?} {b:?}");
    assert_eq!(store.list_dreams(None, 10).unwrap().len(), 3);
}

#[test]
fn cron_and_daily_schedules_find_slots() {
    let s = Schedule::parse("cron 0 */6 * * *").unwrap();
    let t = Utc.with_ymd_and_hms(2030, 1, 1, 7, 30, 0).unwrap();
    let latest = s.latest_slot(t).unwrap();
    let next = s.next_slot(t).unwrap();
    assert!(latest <= t && next > t);
    assert_eq!(next - latest, Duration::hours(6));
}

/// The tray's "Dream now": every agent with new sessions dreams once, an
/// agent with nothing new is reported rather than dreamed for, and the
/// summaries say what waits for the user.
#[tokio::test]
async fn dream_now_for_every_agent_dreams_only_where_there_is_something_new() {
    use reverie_engine::dream::now::{self, DreamNowResult};
    let env = setup().await;
    let store = env.store();
    let quiet = store
        .create_agent(&NewAgent {
            name: "quiet".into(),
            provider: reverie_engine::provider::ProviderKind::Anthropic,
            model: env.agent.model.clone(),
            system_prompt: "Nothing happens here.".into(),
            tools: vec!["memory".into()],
        })
        .unwrap();
    assert_eq!(now::last_result(store).unwrap(), None);
    let id = failing_test_session(store, &env.agent, 1);
    on_reduce(
        &env.server,
        proposal(json!([{"op": "create", "path": "/memories/lessons.md",
            "content": "Run the tests before saying done.\n",
            "reason": "Three sessions ended with failing tests.", "source_session_ids": [id]},
          {"op": "create", "path": "/memories/_index.md",
            "content": "- /memories/lessons.md: mistakes not to repeat\n",
            "reason": "List the new document.", "source_session_ids": [id]}])),
        None,
    );

    let cancel = CancellationToken::new();
    let outcomes = now::dream_now(
        &env.dreamer,
        None,
        DreamTrigger::Tray,
        &cancel,
        reverie_engine::dream::DreamProgressSink::none(),
    )
    .await
    .unwrap();
    let by_agent = |name: &str| outcomes.iter().find(|o| o.agent == name).unwrap();
    let DreamNowResult::Dreamed {
        dream_id, waiting, ..
    } = &by_agent("helper").result
    else {
        panic!("helper had a new session: {outcomes:?}");
    };
    assert_eq!(*waiting, 2, "staged for review by default");
    assert_eq!(store.dream(dream_id).unwrap().trigger, DreamTrigger::Tray);
    assert_eq!(by_agent(&quiet.name).result, DreamNowResult::NothingNew);
    assert_eq!(
        now::summary(&outcomes).unwrap(),
        "helper: 2 changes to review"
    );
    assert_eq!(
        now::last_result(store).unwrap().unwrap(),
        "Last dream: helper, 2 changes to review"
    );

    // Right after, nothing is new anywhere: no model call, no dream.
    let calls = env.server.requests().len();
    let again = now::dream_now(
        &env.dreamer,
        Some("helper"),
        DreamTrigger::Tray,
        &cancel,
        reverie_engine::dream::DreamProgressSink::none(),
    )
    .await
    .unwrap();
    assert_eq!(again[0].result, DreamNowResult::NothingNew);
    assert_eq!(env.server.requests().len(), calls);
    assert_eq!(store.list_dreams(None, 10).unwrap().len(), 1);
}

/// A machine on mains power, idle for an hour.
fn fit_machine() -> Arc<FixedMachine> {
    Arc::new(FixedMachine::new(MachineState {
        on_battery: Some(false),
        idle_for: Some(std::time::Duration::from_secs(3600)),
    }))
}

#[tokio::test]
async fn a_due_dream_waits_for_mains_power_and_an_idle_machine_then_catches_up_once() {
    let env = setup().await;
    let store = env.store();
    store
        .update_agent(
            "helper",
            &AgentUpdate {
                dream_schedule: Some(Some("03:00".into())),
                ..AgentUpdate::default()
            },
        )
        .unwrap();
    on_reduce(&env.server, proposal(json!([])), None);
    let schedule = Schedule::parse("03:00").unwrap();
    let slot0 = schedule
        .latest_slot(Utc.with_ymd_and_hms(2030, 3, 10, 12, 0, 0).unwrap())
        .unwrap();
    let clock = Arc::new(ManualClock::new(slot0 + Duration::minutes(5)));
    let machine = Arc::new(FixedMachine::new(MachineState {
        on_battery: Some(true),
        idle_for: Some(std::time::Duration::from_secs(3600)),
    }));
    let scheduler =
        Scheduler::new(env.dreamer.clone(), clock.clone()).with_machine(machine.clone());
    let cancel = CancellationToken::new();
    assert!(scheduler.tick(&cancel).await.unwrap().is_empty());
    failing_test_session(store, &env.agent, 1);
    clock.advance(Duration::days(1));
    // On battery: the slot waits, and keeps waiting.
    for _ in 0..2 {
        let outcomes = scheduler.tick(&cancel).await.unwrap();
        assert!(
            matches!(&outcomes[0].result, SlotResult::Waiting { reason } if reason.contains("battery")),
            "{outcomes:?}"
        );
    }
    // On power but in use: still waiting.
    machine.set(MachineState {
        on_battery: Some(false),
        idle_for: Some(std::time::Duration::from_secs(20)),
    });
    let outcomes = scheduler.tick(&cancel).await.unwrap();
    assert!(
        matches!(&outcomes[0].result, SlotResult::Waiting { reason } if reason.contains("in use")),
        "{outcomes:?}"
    );
    assert!(store.list_dreams(None, 10).unwrap().is_empty());
    // Idle on power, two days later: one dream catches up, once.
    machine.set(MachineState {
        on_battery: Some(false),
        idle_for: Some(std::time::Duration::from_secs(3600)),
    });
    clock.advance(Duration::days(1));
    let outcomes = scheduler.tick(&cancel).await.unwrap();
    assert!(
        matches!(&outcomes[0].result, SlotResult::Dreamed { .. }),
        "{outcomes:?}"
    );
    assert!(scheduler.tick(&cancel).await.unwrap().is_empty());
    assert_eq!(store.list_dreams(None, 10).unwrap().len(), 1);
}
