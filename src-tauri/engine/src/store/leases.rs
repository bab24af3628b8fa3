//! Leases: how work that must happen once is claimed across processes (the
//! app, `reverie daemon`, CLI commands) sharing one data folder. A lease is
//! a row naming its owner process and an expiry; it can be taken over once
//! it has expired or its owner process is gone. A running session holds
//! `session:<id>`, a dream `dream:<agent>`, a schedule slot `slot:<agent>:<time>`.

use super::CachedSql;
use std::sync::OnceLock;
use std::time::Duration;

use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::{Result, ids};

/// This process, as a lease owner: `host/pid/instance`.
pub fn process_owner() -> &'static str {
    static OWNER: OnceLock<String> = OnceLock::new();
    OWNER.get_or_init(|| format!("{}/{}/{}", hostname(), std::process::id(), ids::new_id()))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into())
}

/// True when the owner is a process on this host that no longer runs, so
/// its leases need not wait for expiry (a kill -9 is noticed at once).
pub fn owner_is_dead(owner: &str) -> bool {
    let mut parts = owner.split('/');
    let (Some(host), Some(pid)) = (parts.next(), parts.next()) else {
        return false;
    };
    if host != hostname() {
        return false;
    }
    let Ok(pid) = pid.parse::<i32>() else {
        return false;
    };
    if pid as u32 == std::process::id() {
        return owner != process_owner();
    }
    !process_alive(pid)
}

#[cfg(unix)]
fn process_alive(pid: i32) -> bool {
    // Signal 0 checks existence; EPERM means it exists but is not ours.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(not(unix))]
fn process_alive(_pid: i32) -> bool {
    true // fall back to expiry
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lease {
    pub name: String,
    pub owner: String,
    pub acquired_at: String,
    pub expires_at: String,
}

fn expiry(ttl: Duration) -> String {
    ids::format_time(time::OffsetDateTime::now_utc() + ttl)
}

impl Store {
    /// Claims `name` for this process for `ttl`. Returns false when another
    /// live owner holds it. Re-acquiring one's own lease renews it.
    pub fn try_acquire_lease(&self, name: &str, ttl: Duration) -> Result<bool> {
        let me = process_owner();
        self.write(|tx| {
            let current: Option<(String, String)> = tx
                .query_row_cached(
                    "SELECT owner, expires_at FROM leases WHERE name = ?1",
                    [name],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((owner, expires_at)) = current {
                let expired = expires_at <= ids::now();
                if owner != me && !expired && !owner_is_dead(&owner) {
                    return Ok(false);
                }
            }
            tx.execute_cached(
                "INSERT INTO leases (name, owner, acquired_at, expires_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(name) DO UPDATE SET owner = excluded.owner,
                   acquired_at = excluded.acquired_at, expires_at = excluded.expires_at",
                params![name, me, ids::now(), expiry(ttl)],
            )?;
            Ok(true)
        })
    }

    /// Extends a lease this process holds; false if it was lost.
    pub fn renew_lease(&self, name: &str, ttl: Duration) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute_cached(
                "UPDATE leases SET expires_at = ?3 WHERE name = ?1 AND owner = ?2",
                params![name, process_owner(), expiry(ttl)],
            )? == 1)
        })
    }

    pub fn release_lease(&self, name: &str) -> Result<()> {
        self.write(|tx| release_lease_in(tx, name))
    }

    pub fn lease(&self, name: &str) -> Result<Option<Lease>> {
        Ok(self
            .conn()
            .query_row_cached(
                "SELECT name, owner, acquired_at, expires_at FROM leases WHERE name = ?1",
                [name],
                |r| {
                    Ok(Lease {
                        name: r.get(0)?,
                        owner: r.get(1)?,
                        acquired_at: r.get(2)?,
                        expires_at: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// True when someone alive holds `name` (expired or orphaned leases don't count).
    pub fn lease_is_held(&self, name: &str) -> Result<bool> {
        Ok(match self.lease(name)? {
            Some(lease) => lease.expires_at > ids::now() && !owner_is_dead(&lease.owner),
            None => false,
        })
    }
}

/// Takes a lease nobody else can hold yet (its name is new, e.g. a session
/// just created), inside the caller's transaction.
pub(crate) fn take_new_lease_in(
    tx: &rusqlite::Transaction<'_>,
    name: &str,
    ttl: Duration,
) -> Result<()> {
    tx.execute_cached(
        "INSERT OR REPLACE INTO leases (name, owner, acquired_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![name, process_owner(), ids::now(), expiry(ttl)],
    )?;
    Ok(())
}

/// Releases this process's lease inside the caller's transaction.
pub(crate) fn release_lease_in(tx: &rusqlite::Transaction<'_>, name: &str) -> Result<()> {
    tx.execute_cached(
        "DELETE FROM leases WHERE name = ?1 AND owner = ?2",
        params![name, process_owner()],
    )?;
    Ok(())
}
