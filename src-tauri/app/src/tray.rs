//! The tray icon and its menu: Show window, Dream now (all agents or one),
//! Pause/Resume the dream schedule, the last dream's result, Quit. It owns
//! the menu items and what a click does; the work behind an item lives in
//! the engine (through `dreaming`). The menu is rebuilt whenever what it
//! shows may have changed (a dream ended, the schedule was toggled).

use std::sync::Arc;

use reverie_engine::dream::now;
use reverie_engine::dream::schedule::Scheduler;
use tauri::{
    AppHandle, Manager, Runtime,
    menu::{Menu, MenuItem, PredefinedMenuItem, Submenu},
    tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent},
};

use crate::dreaming::Dreaming;
use crate::window;

const TRAY_ID: &str = "main";
const AGENT_PREFIX: &str = "dream-agent:";

/// What a tray menu item does, keyed by its menu id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    ShowWindow,
    DreamAll,
    DreamAgent(String),
    ToggleSchedule,
    Quit,
}

impl Action {
    pub fn id(&self) -> String {
        match self {
            Action::ShowWindow => "show-window".into(),
            Action::DreamAll => "dream-now".into(),
            Action::DreamAgent(name) => format!("{AGENT_PREFIX}{name}"),
            Action::ToggleSchedule => "toggle-schedule".into(),
            Action::Quit => "quit".into(),
        }
    }

    pub fn from_id(id: &str) -> Option<Action> {
        Some(match id {
            "show-window" => Action::ShowWindow,
            "dream-now" => Action::DreamAll,
            "toggle-schedule" => Action::ToggleSchedule,
            "quit" => Action::Quit,
            _ => Action::DreamAgent(id.strip_prefix(AGENT_PREFIX)?.to_string()),
        })
    }
}

/// What the menu shows, read from the store; without a data folder only
/// Show window and Quit work.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct MenuState {
    pub available: bool,
    pub agents: Vec<String>,
    pub paused: bool,
    pub last_result: Option<String>,
}

impl MenuState {
    fn read<R: Runtime>(app: &AppHandle<R>) -> MenuState {
        let Some(dreaming) = app.try_state::<Arc<Dreaming>>() else {
            return MenuState::default();
        };
        let store = dreaming.store();
        MenuState {
            available: true,
            agents: store
                .list_agents()
                .map(|agents| agents.into_iter().map(|a| a.name).collect())
                .unwrap_or_default(),
            paused: Scheduler::is_paused(store).unwrap_or(false),
            last_result: now::last_result(store).ok().flatten(),
        }
    }

    pub fn schedule_label(&self) -> &'static str {
        if self.paused {
            "Resume dream schedule"
        } else {
            "Pause dream schedule"
        }
    }
}

fn build_menu<R: Runtime>(app: &AppHandle<R>, state: &MenuState) -> tauri::Result<Menu<R>> {
    let item = |action: Action, label: &str, enabled: bool| {
        MenuItem::with_id(app, action.id(), label, enabled, None::<&str>)
    };
    let show = item(Action::ShowWindow, "Show window", true)?;
    let can_dream = state.available && !state.agents.is_empty();
    let all = item(Action::DreamAll, "Dream now (all agents)", can_dream)?;
    let per_agent: Vec<MenuItem<R>> = state
        .agents
        .iter()
        .map(|name| item(Action::DreamAgent(name.clone()), name, true))
        .collect::<tauri::Result<_>>()?;
    let refs: Vec<&dyn tauri::menu::IsMenuItem<R>> = per_agent
        .iter()
        .map(|i| i as &dyn tauri::menu::IsMenuItem<R>)
        .collect();
    let one = Submenu::with_id_and_items(app, "dream-one", "Dream now for", can_dream, &refs)?;
    let schedule = item(
        Action::ToggleSchedule,
        state.schedule_label(),
        state.available,
    )?;
    let last = MenuItem::with_id(
        app,
        "last-result",
        state.last_result.as_deref().unwrap_or("No dreams yet"),
        false,
        None::<&str>,
    )?;
    let quit = item(Action::Quit, "Quit Reverie", true)?;
    let sep1 = PredefinedMenuItem::separator(app)?;
    let sep2 = PredefinedMenuItem::separator(app)?;
    Menu::with_items(
        app,
        &[&show, &sep1, &all, &one, &schedule, &last, &sep2, &quit],
    )
}

/// Whether a window call changes what the menu shows (the agents, the last
/// dream, the schedule), so the menu is rebuilt after it, and only then.
pub fn shows_result_of(method: &str) -> bool {
    matches!(
        method,
        "agents.create"
            | "agents.update"
            | "agents.delete"
            | "dreams.start"
            | "dreams.cancel"
            | "managed.dream_import"
            | "dreams.decide"
            | "dreams.decide_all"
            | "dreams.apply"
            | "dreams.reject"
            | "dreams.revert"
            | "dreams.pause"
            | "dreams.resume"
    )
}

/// Rebuilds the menu from the current state.
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    match build_menu(app, &MenuState::read(app)) {
        Ok(menu) => {
            let _ = tray.set_menu(Some(menu));
        }
        Err(e) => eprintln!("Reverie could not update its tray menu: {e}"),
    }
}

fn on_action<R: Runtime>(app: &AppHandle<R>, action: Action) {
    match action {
        Action::ShowWindow => window::show_main(app),
        Action::Quit => {
            if let Some(dreaming) = app.try_state::<Arc<Dreaming>>() {
                dreaming.stop();
            }
            app.exit(0)
        }
        Action::DreamAll | Action::DreamAgent(_) => {
            let Some(dreaming) = app.try_state::<Arc<Dreaming>>() else {
                return;
            };
            let agent = match action {
                Action::DreamAgent(name) => Some(name),
                _ => None,
            };
            dreaming.dream_now(app.clone(), agent, refresh);
            // Shows "dreaming now" at once.
            refresh(app);
        }
        Action::ToggleSchedule => {
            let Some(dreaming) = app.try_state::<Arc<Dreaming>>() else {
                return;
            };
            let store = dreaming.store();
            let paused = Scheduler::is_paused(store).unwrap_or(false);
            if let Err(e) = Scheduler::set_paused(store, !paused) {
                crate::dreaming::notify(
                    app,
                    &format!("The dream schedule could not be changed: {e}"),
                );
            }
            refresh(app);
        }
    }
}

/// Builds the tray icon with its menu. Fails only if the platform has no tray
/// support at all, which ends startup with that reason.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let menu = build_menu(app, &MenuState::read(app))?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Reverie")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| {
            if let Some(action) = Action::from_id(event.id().as_ref()) {
                on_action(app, action);
            }
        })
        .on_tray_icon_event(|tray, event| {
            // A left click brings the window back (Windows and macOS; Linux
            // trays only open the menu).
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                window::show_main(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Action, MenuState};

    #[test]
    fn every_action_round_trips_through_its_menu_id() {
        for action in [
            Action::ShowWindow,
            Action::DreamAll,
            Action::DreamAgent("helper".into()),
            Action::DreamAgent("name:with:colons".into()),
            Action::ToggleSchedule,
            Action::Quit,
        ] {
            assert_eq!(Action::from_id(&action.id()), Some(action));
        }
        assert_eq!(Action::from_id("unknown"), None);
    }

    #[test]
    fn only_calls_that_change_the_menu_rebuild_it() {
        for method in ["agents.create", "dreams.apply", "dreams.pause"] {
            assert!(super::shows_result_of(method), "{method}");
        }
        for method in ["agents.list", "dreams.list", "dreams.get", "memory.write"] {
            assert!(!super::shows_result_of(method), "{method}");
        }
    }

    #[test]
    fn the_schedule_item_offers_the_opposite_of_its_state() {
        let mut state = MenuState::default();
        assert_eq!(state.schedule_label(), "Pause dream schedule");
        state.paused = true;
        assert_eq!(state.schedule_label(), "Resume dream schedule");
    }
}
