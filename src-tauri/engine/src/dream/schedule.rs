//! The dream scheduler: per agent, daily at a local time (`03:00` or
//! `daily 03:00`) or a cron expression (`0 3 * * 1-5`, parsed by `croner`),
//! from the agent's `dream_schedule`. A slot runs once: it is claimed with
//! the lease `slot:<agent>:<time>` (so the app and `reverie daemon` never
//! both run it) and remembered as the agent's last handled slot. Slots
//! missed while the machine slept or the app was closed are caught up
//! once, not once per missed slot. A slot with no new sessions is skipped.
//! A due slot waits while the machine is on battery or in use
//! ([`super::conditions`]) and runs once it is idle on mains power.
//! Time comes from a [`Clock`] and the machine's state from a
//! [`Machine`] so tests control both. The scheduler starts dreams; it
//! never touches memory itself.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

pub use crate::schedule_spec::Schedule;

use super::conditions::{Machine, SystemMachine};
use super::{DreamProgressSink, DreamRequest, Dreamer, sessions_to_review};
use crate::store::{Agent, DreamStatus, DreamTrigger};
use crate::{Error, Result, Store};

/// Where the scheduler gets the time.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests set by hand.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn last_slot_key(agent_id: &str) -> String {
    format!("dream.schedule.last_slot.{agent_id}")
}

const PAUSED_KEY: &str = "dream.schedule.paused";

/// What the scheduler did with an agent's due slot.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SlotOutcome {
    pub agent: String,
    pub slot: String,
    #[serde(flatten)]
    pub result: SlotResult,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SlotResult {
    Dreamed {
        dream_id: String,
        status: DreamStatus,
    },
    Skipped {
        reason: String,
    },
    Failed {
        error: String,
    },
    /// Due, but the machine is on battery or in use; it runs later.
    Waiting {
        reason: String,
    },
}

/// Runs dreams when their slots come.
pub struct Scheduler {
    dreamer: Arc<Dreamer>,
    clock: Arc<dyn Clock>,
    machine: Arc<dyn Machine>,
}

impl Scheduler {
    pub fn new(dreamer: Arc<Dreamer>, clock: Arc<dyn Clock>) -> Self {
        Scheduler {
            dreamer,
            clock,
            machine: Arc::new(SystemMachine),
        }
    }

    /// The same scheduler reading power and use from `machine`.
    pub fn with_machine(mut self, machine: Arc<dyn Machine>) -> Self {
        self.machine = machine;
        self
    }

    fn store(&self) -> &Store {
        self.dreamer.store()
    }

    /// Pauses or resumes scheduled dreams (for every process sharing the
    /// data folder). Slots that pass while paused are not caught up.
    pub fn set_paused(store: &Store, paused: bool) -> Result<()> {
        store.set_setting(PAUSED_KEY, if paused { "true" } else { "false" })
    }

    pub fn is_paused(store: &Store) -> Result<bool> {
        Ok(store.setting(PAUSED_KEY)?.as_deref() == Some("true"))
    }

    /// When each scheduled agent dreams next.
    pub fn next_slots(&self) -> Result<Vec<(String, Option<DateTime<Utc>>)>> {
        let now = self.clock.now();
        Ok(self
            .store()
            .list_agents()?
            .into_iter()
            .filter_map(|a| {
                let s = Schedule::parse(a.dream_schedule.as_deref()?).ok()?;
                Some((a.name, s.next_slot(now)))
            })
            .collect())
    }

    /// Checks every agent once and runs the dreams that are due.
    pub async fn tick(&self, cancel: &CancellationToken) -> Result<Vec<SlotOutcome>> {
        let mut outcomes = Vec::new();
        let paused = Self::is_paused(self.store())?;
        for agent in self.store().list_agents()? {
            if let Some(outcome) = self.tick_agent(&agent, paused, cancel).await? {
                outcomes.push(outcome);
            }
        }
        Ok(outcomes)
    }

    async fn tick_agent(
        &self,
        agent: &Agent,
        paused: bool,
        cancel: &CancellationToken,
    ) -> Result<Option<SlotOutcome>> {
        let Some(text) = agent
            .dream_schedule
            .as_deref()
            .filter(|s| !s.trim().is_empty())
        else {
            return Ok(None);
        };
        let schedule = match Schedule::parse(text) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(agent = %agent.name, error = %e, "dream schedule ignored");
                return Ok(None);
            }
        };
        let store = self.store();
        let now = self.clock.now();
        let key = last_slot_key(&agent.id);
        let Some(handled) = store.setting(&key)? else {
            // First look at this schedule: slots from now on count.
            store.set_setting(&key, &stamp(now))?;
            return Ok(None);
        };
        let Some(slot) = schedule.latest_slot(now) else {
            return Ok(None);
        };
        let slot_text = stamp(slot);
        if slot_text <= handled {
            return Ok(None);
        }
        let outcome = |result| {
            Some(SlotOutcome {
                agent: agent.name.clone(),
                slot: slot_text.clone(),
                result,
            })
        };
        // A due slot waits, unhandled, while the machine is on battery or in
        // use; the next tick looks again, and it runs once when fit.
        if !paused {
            if let Some(reason) = self.machine.state().wait_reason() {
                return Ok(outcome(SlotResult::Waiting { reason }));
            }
        }
        if !store.try_acquire_lease(
            &format!("slot:{}:{slot_text}", agent.id),
            Duration::from_secs(24 * 3600),
        )? {
            return Ok(None); // another process runs this slot
        }
        // Remembered before running: a crash mid-dream must not re-run the
        // slot in a loop; the next slot runs normally.
        store.set_setting(&key, &slot_text)?;
        if paused {
            return Ok(outcome(SlotResult::Skipped {
                reason: "the schedule is paused".into(),
            }));
        }
        if sessions_to_review(store, agent)?.is_empty() {
            return Ok(outcome(SlotResult::Skipped {
                reason: "no new sessions since the last dream".into(),
            }));
        }
        let request = DreamRequest::new(agent.id.clone(), DreamTrigger::Schedule);
        Ok(outcome(
            match self
                .dreamer
                .run(request, cancel.child_token(), DreamProgressSink::none())
                .await
            {
                Ok(report) => SlotResult::Dreamed {
                    dream_id: report.dream.id,
                    status: report.dream.status,
                },
                Err(Error::Conflict(reason)) => SlotResult::Skipped { reason },
                Err(e) => SlotResult::Failed {
                    error: e.to_string(),
                },
            },
        ))
    }

    /// Ticks every `every` until `cancel` fires, handing each outcome to
    /// `on_outcome` (the daemon logs one line per dream).
    pub async fn run(
        &self,
        every: Duration,
        cancel: CancellationToken,
        on_outcome: impl Fn(&SlotOutcome),
    ) {
        loop {
            match self.tick(&cancel).await {
                Ok(outcomes) => outcomes.iter().for_each(&on_outcome),
                Err(e) => tracing::warn!(error = %e, "dream scheduler tick failed"),
            }
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_parse_and_bad_ones_say_why() {
        for ok in ["03:00", "daily 23:59", "0 3 * * *", "cron 30 2 * * 1-5"] {
            Schedule::parse(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in ["25:00", "daily", "every night", "3:61"] {
            let e = Schedule::parse(bad).unwrap_err().to_string();
            assert!(e.contains("not a dream schedule"), "{e}");
        }
        let s = Schedule::parse("03:00").unwrap();
        let now = Utc::now();
        let latest = s.latest_slot(now).unwrap();
        assert!(latest <= now && now - latest < chrono::Duration::days(1));
        assert_eq!(
            s.next_slot(latest).unwrap() - latest,
            chrono::Duration::days(1)
        );
    }
}
