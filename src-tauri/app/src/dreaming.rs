//! Dreaming while the app is open, window shown or not: the engine's dream
//! scheduler runs in the background, and the tray's "Dream now" runs the
//! engine's `dream::now` for one agent or all. When a dream finishes or
//! waits for review, the desktop says so. It owns those background tasks
//! and the notifications; what a dream does lives in the engine.

use std::sync::Arc;
use std::time::Duration;

use reverie_engine::Store;
use reverie_engine::api::Api;
use reverie_engine::dream::schedule::{Scheduler, SlotResult, SystemClock};
use reverie_engine::dream::{Dreamer, now};
use reverie_engine::os_schedule;
use reverie_engine::store::DreamTrigger;
use serde_json::json;
use tauri::{AppHandle, Runtime as TauriRuntime};
use tauri_plugin_notification::NotificationExt;
use tokio_util::sync::CancellationToken;

/// How often the scheduler looks for due dream slots.
const TICK: Duration = Duration::from_secs(30);

pub struct Dreaming {
    dreamer: Arc<Dreamer>,
    api: Arc<Api>,
    cancel: CancellationToken,
}

impl Dreaming {
    pub fn new(api: Arc<Api>) -> Arc<Dreaming> {
        // Dreams cut off by a quit or crash were marked failed when the
        // engine opened the data folder (`data_dir::open`).
        Arc::new(Dreaming {
            // The window's dreamer: tray dreams show in the Dreams screen
            // and can be canceled there.
            dreamer: api.dreamer().clone(),
            api,
            cancel: CancellationToken::new(),
        })
    }

    pub fn store(&self) -> &Arc<Store> {
        self.dreamer.store()
    }

    /// Runs the schedule until the app quits; each dream it runs is
    /// announced, and `on_change` refreshes the tray.
    pub fn start_schedule<R: TauriRuntime>(
        self: &Arc<Self>,
        app: AppHandle<R>,
        on_change: impl Fn(&AppHandle<R>) + Send + Sync + 'static,
    ) {
        let me = self.clone();
        tauri::async_runtime::spawn(async move {
            let scheduler = Scheduler::new(me.dreamer.clone(), Arc::new(SystemClock));
            scheduler
                .run(TICK, me.cancel.clone(), |outcome| {
                    if let SlotResult::Dreamed { .. } = &outcome.result {
                        if let Ok(Some(line)) = now::last_result(me.store()) {
                            notify(&app, &format!("{} (scheduled dream)", line));
                        }
                        on_change(&app);
                    }
                })
                .await;
        });
    }

    /// "Dream now" from the tray: dreams for `agent` (or every agent with
    /// something new) in the background and says how it went.
    pub fn dream_now<R: TauriRuntime>(
        self: &Arc<Self>,
        app: AppHandle<R>,
        agent: Option<String>,
        on_change: impl Fn(&AppHandle<R>) + Send + 'static,
    ) {
        let me = self.clone();
        tauri::async_runtime::spawn(async move {
            // Progress reaches an open window like a dream started there.
            let progress = me.api.dream_progress_sink();
            let outcomes = now::dream_now(
                &me.dreamer,
                agent.as_deref(),
                DreamTrigger::Tray,
                &me.cancel,
                progress,
            )
            .await;
            let message = match outcomes {
                Ok(outcomes) => {
                    me.api
                        .emit(json!({"type": "dream_now_finished", "outcomes": outcomes}));
                    now::summary(&outcomes)
                }
                Err(e) => Some(format!("Dreaming could not start: {e}")),
            };
            if let Some(message) = message {
                notify(&app, &message);
            }
            on_change(&app);
        });
    }

    /// Calls `on_change` when a dream started from the window finishes in
    /// the background. (Calls that change the menu at once refresh it
    /// themselves, in `engine::api_call`; tray dreams refresh on their own.)
    pub fn follow_window<R: TauriRuntime>(
        &self,
        app: AppHandle<R>,
        on_change: impl Fn(&AppHandle<R>) + Send + 'static,
    ) {
        let mut events = self.api.subscribe();
        let cancel = self.cancel.clone();
        tauri::async_runtime::spawn(async move {
            loop {
                let event = tokio::select! {
                    _ = cancel.cancelled() => return,
                    e = events.recv() => e,
                };
                match event {
                    Ok(event) => {
                        let kind = event.get("type").and_then(|t| t.as_str()).unwrap_or("");
                        if kind == "dream_finished" {
                            on_change(&app);
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => on_change(&app),
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Installs, rewrites or removes the OS schedule that runs `reverie
    /// dream --due` while the app is closed, from the agents' schedules.
    /// The command-line program must sit beside the app (as the packages
    /// and `scripts/app.sh` place it); otherwise nothing is installed.
    pub fn sync_os_schedule(&self) {
        let Some(program) = cli_beside_app() else {
            eprintln!(
                "Reverie: scheduled dreams run only while the app is open (no `reverie` program beside the app)."
            );
            return;
        };
        let Ok(data_dir) = reverie_engine::data_dir::resolve(None) else {
            return;
        };
        if let Err(e) = os_schedule::match_agents(self.store(), &program, &data_dir) {
            eprintln!("Reverie could not update the schedule for dreams while it is closed: {e}");
        }
    }

    /// The morning after: one notification saying what scheduled dreams did
    /// while the app was closed (the Dreams screen shows them as
    /// "Overnight"). Remembers when it last told, so each is told once.
    pub fn announce_overnight<R: TauriRuntime>(&self, app: &AppHandle<R>) {
        const KEY: &str = "app.overnight_told_until";
        let store = self.store();
        let now = reverie_engine::ids::now();
        let since = store.setting(KEY).ok().flatten();
        let _ = store.set_setting(KEY, &now);
        // The first start has nothing to tell.
        let Some(since) = since else { return };
        if let Ok(Some(line)) = os_schedule::overnight_summary(store, &since) {
            notify(app, &line);
        }
    }

    /// Stops background dreams (at quit).
    pub fn stop(&self) {
        self.cancel.cancel();
    }
}

/// A desktop notification; where the desktop has no notification service,
/// the message goes to stderr instead of being lost.
pub fn notify<R: TauriRuntime>(app: &AppHandle<R>, body: &str) {
    if let Err(e) = app
        .notification()
        .builder()
        .title("Reverie")
        .body(body)
        .show()
    {
        eprintln!("Reverie: {body} (no desktop notification: {e})");
    }
}

/// The `reverie` command-line program installed beside the app, if any.
fn cli_beside_app() -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let cli = exe
        .parent()?
        .join(format!("reverie{}", std::env::consts::EXE_SUFFIX));
    os_schedule::can_schedule(&cli).then_some(cli)
}
