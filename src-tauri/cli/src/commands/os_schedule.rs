//! After a command changes what is scheduled (`agent create|update|delete`,
//! `dream schedule`): the per-user OS schedule that runs dreams while the
//! app is closed is made to match the agents, by the same engine call the
//! app makes (`os_schedule::match_agents`), running this program.

use reverie_engine::Store;
use reverie_engine::os_schedule::{self, Synced};

use crate::Context;

/// Brings the OS schedule in step with the agents. `announce` says what was
/// installed (when the command set a schedule); a removal is always said.
/// A failure is a warning: the agents are saved, and the app retries at its
/// next start.
pub fn follow_agents(ctx: &Context, store: &Store, announce: bool) {
    let Some(program) = std::env::current_exe()
        .ok()
        .filter(|p| os_schedule::can_schedule(p))
    else {
        if announce {
            eprintln!(
                "Scheduled dreams run while Reverie's app or `reverie daemon` is open (this program cannot be scheduled from where it runs)."
            );
        }
        return;
    };
    match os_schedule::match_agents(store, &program, &ctx.data_dir) {
        Ok(Synced::Installed(what)) if announce => {
            eprintln!("Dreams also run while Reverie is closed: {what}.")
        }
        Ok(Synced::Removed(what)) => {
            eprintln!("No agent has a dream schedule: removed {what}.")
        }
        Ok(_) => {}
        Err(e) => eprintln!(
            "reverie: warning: the schedule is saved, but the system schedule for dreams while Reverie is closed could not be updated: {e}"
        ),
    }
}
