//! What an agent's `dream_schedule` text means: a local time (`03:00`,
//! `daily 03:00`) or a cron expression (`0 3 * * 1-5`, parsed by
//! `croner`), and the slots it gives.
//!
//! A leaf: it imports nothing of the crate but its error type, so the
//! store can validate a schedule when an agent is saved, and the dream
//! scheduler and the OS schedule can compute slots, without either
//! depending on the other. It never reads the clock or the store.

use std::str::FromStr;

use chrono::{DateTime, Local, Utc};
use croner::Cron;

use crate::{Error, Result};

/// When an agent dreams, in the machine's local time.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    pub text: String,
}

impl Schedule {
    /// `HH:MM` or `daily HH:MM` (every day at that local time), or a
    /// five-field cron expression (optionally prefixed with `cron `).
    pub fn parse(text: &str) -> Result<Schedule> {
        let t = text.trim();
        let daily = t.strip_prefix("daily").map(str::trim).unwrap_or(t);
        let pattern = match daily.split_once(':') {
            Some((h, m)) if !daily.contains(' ') => {
                let (h, m) = (h.parse::<u32>(), m.parse::<u32>());
                match (h, m) {
                    (Ok(h), Ok(m)) if h < 24 && m < 60 => format!("{m} {h} * * *"),
                    _ => return Err(bad(text)),
                }
            }
            _ => t.strip_prefix("cron").unwrap_or(t).trim().to_string(),
        };
        let cron = Cron::from_str(&pattern).map_err(|_| bad(text))?;
        Ok(Schedule {
            cron,
            text: t.to_string(),
        })
    }

    /// The latest slot at or before `now`.
    pub fn latest_slot(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_previous_occurrence(&now.with_timezone(&Local), true)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }

    /// The first slot after `t`.
    pub fn next_slot(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron
            .find_next_occurrence(&t.with_timezone(&Local), false)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    }
}

fn bad(text: &str) -> Error {
    Error::Invalid(format!(
        "'{text}' is not a dream schedule; use a local time like 03:00 or a cron expression like '0 3 * * *'"
    ))
}

