//! Leases: exclusive claims on a piece of work (the harvest of one source) kept in the state
//! database, so that every process sharing the database — `fedcat serve`, a `fedcat harvest`,
//! later several workers — excludes the others, not only tasks of one process. A [`Lease`] is renewed in the background while held and given back when dropped;
//! if its process dies, it expires after [`LEASE_TTL_SECS`] and the work may run again — at
//! once when the dead holder ran on this machine (a killed `fedcat harvest` run again).
//!
//! A holder is named `host:pid:start:n` — one name per lease taken, so two tasks of one process
//! exclude each other too — and a process can tell that a holder on its own host has no process
//! any more (`/proc/{pid}` is gone).

use crate::storage::StateStore;
#[cfg(test)]
use crate::storage::{JobState, SqliteState};
use crate::{Catalog, CatalogError};
use std::time::Duration;

/// How long a lease lasts without renewal.
pub const LEASE_TTL_SECS: u64 = 120;

/// How often a held lease is renewed (a third of its time, so two renewals may fail).
const RENEW_EVERY: Duration = Duration::from_secs(LEASE_TTL_SECS / 3);

/// A lease held by this process; renewed while it lives, released when dropped.
pub struct Lease {
    name: String,
    holder: String,
    state: std::sync::Arc<dyn StateStore>,
    renewal: tokio::task::JoinHandle<()>,
}

impl Lease {
    /// The lease's name (`harvest:{source}`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.renewal.abort();
        // Released at once where a runtime is at hand; otherwise it expires on its own.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (state, name, holder) = (
                self.state.clone(),
                std::mem::take(&mut self.name),
                std::mem::take(&mut self.holder),
            );
            runtime.spawn(async move {
                if let Err(error) = state.release_lease(&name, &holder).await {
                    tracing::warn!(lease = %name, %error, "lease not released; it will expire");
                }
            });
        }
    }
}

/// Leases taken by this process, to give each its own holder name.
static LEASES_TAKEN: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// This process's part of a holder name: host, process id and start time.
pub(crate) fn holder_name() -> String {
    format!(
        "{}:{}:{}",
        host_name(),
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}

/// The host as a holder name says it: its name and the id of this process's PID namespace, so
/// that two containers sharing a host name never judge each other's pids (digits only: the
/// holder name is split on `:`).
fn host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().replace(':', "-"))
        .unwrap_or_default();
    let namespace: String = std::fs::read_link("/proc/self/ns/pid")
        .map(|link| {
            link.to_string_lossy()
                .chars()
                .filter(char::is_ascii_digit)
                .collect()
        })
        .unwrap_or_default();
    if name.is_empty() || namespace.is_empty() {
        // Unknown: no holder is ever judged dead from here (they expire instead).
        return String::new();
    }
    format!("{name}/{namespace}")
}

/// Whether `holder` is a process of this host that no longer runs. Unknown (another host, no
/// `/proc`, a pid reused): not dead, and the lease waits for its expiry.
fn holder_is_dead(holder: &str) -> bool {
    let mut parts = holder.rsplitn(4, ':');
    let (_, _, pid, host) = (parts.next(), parts.next(), parts.next(), parts.next());
    let here = host_name();
    match (host, pid.and_then(|p| p.parse::<u32>().ok())) {
        (Some(host), Some(pid)) if !here.is_empty() && host == here => {
            std::path::Path::new("/proc/self").exists()
                && !std::path::Path::new(&format!("/proc/{pid}")).exists()
        }
        _ => false,
    }
}

impl Catalog {
    /// Takes the lease `name` if no other holder has it; `None` when another has.
    pub async fn try_lease(&self, name: &str) -> Result<Option<Lease>, CatalogError> {
        let taken = LEASES_TAKEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let holder = format!("{}:{taken}", self.holder);
        if !self
            .state
            .acquire_lease(name, &holder, LEASE_TTL_SECS)
            .await?
        {
            let Some(previous) = self.state.lease_holder(name).await? else {
                return Ok(None);
            };
            if !holder_is_dead(&previous)
                || !self
                    .state
                    .take_over_lease(name, &previous, &holder, LEASE_TTL_SECS)
                    .await?
            {
                return Ok(None);
            }
            tracing::info!(lease = %name, %previous, "lease taken over from a dead process");
        }
        let (state, lease_name, renewer) = (self.state.clone(), name.to_owned(), holder.clone());
        let renewal = tokio::spawn(async move {
            loop {
                tokio::time::sleep(RENEW_EVERY).await;
                match state
                    .renew_lease(&lease_name, &renewer, LEASE_TTL_SECS)
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::error!(lease = %lease_name, "lease taken over by another holder");
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(lease = %lease_name, %error, "lease renewal failed");
                    }
                }
            }
        });
        Ok(Some(Lease {
            name: name.to_owned(),
            holder,
            state: self.state.clone(),
            renewal,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lease_excludes_another_process_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let first = Catalog::open_with_memory_store(&path, "https://fedcat.test/")
            .await
            .unwrap();
        // A second catalogue on the same database stands for a second process.
        let second = Catalog::open_with_memory_store(&path, "https://fedcat.test/")
            .await
            .unwrap();
        let lease = first.try_lease("harvest:s").await.unwrap();
        assert!(lease.is_some());
        // Nor may a second task of the first process take it.
        assert!(first.try_lease("harvest:s").await.unwrap().is_none());
        assert!(second.try_lease("harvest:s").await.unwrap().is_none());
        assert!(second.try_lease("harvest:other").await.unwrap().is_some());
        drop(lease);
        // The release runs on the runtime; wait for it.
        for _ in 0..50 {
            if let Some(lease) = second.try_lease("harvest:s").await.unwrap() {
                assert_eq!(lease.name(), "harvest:s");
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the released lease was not free");
    }

    #[tokio::test]
    async fn a_lease_of_a_dead_process_on_this_host_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.sqlite");
        let catalog = Catalog::open_with_memory_store(&path, "https://fedcat.test/")
            .await
            .unwrap();
        // A pid above the kernel's maximum (4194304) never runs.
        let dead = format!("{}:4194399:1:0", host_name());
        assert!(catalog.state.acquire_lease("l", &dead, 600).await.unwrap());
        assert!(catalog.try_lease("l").await.unwrap().is_some());
        // A live holder (this very process, under another start time) keeps its lease.
        let alive = format!("{}:{}:1:0", host_name(), std::process::id());
        assert!(catalog.state.acquire_lease("m", &alive, 600).await.unwrap());
        assert!(catalog.try_lease("m").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn an_expired_lease_is_free() {
        let dir = tempfile::tempdir().unwrap();
        let state = SqliteState::open(&dir.path().join("state.sqlite"))
            .await
            .unwrap();
        assert!(state.acquire_lease("l", "dead", 0).await.unwrap());
        assert!(state.acquire_lease("l", "alive", 60).await.unwrap());
        assert!(!state.acquire_lease("l", "third", 60).await.unwrap());
        state.release_lease("l", "third").await.unwrap();
        assert!(!state.acquire_lease("l", "third", 60).await.unwrap());
    }
}
