//! Node locks: the exclusive, cross-process lock that a writer replacing a
//! node (creating an array with overwrite, copying or converting onto an
//! existing node) holds from before it deletes the old node until it has
//! written the new one, so that concurrent replacements of one node run one
//! after another and the node that remains is one writer's, whole
//! ([`Store::lock_node`](super::Store::lock_node)).
//!
//! Within one process a node's lock is shared: taking it again while it is
//! held returns the held lock (so nested operations of one writer never
//! wait on themselves); it is released when the last clone is dropped.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// A held node lock (see the [module](self) docs); released when the last
/// clone is dropped, or when the process dies.
#[derive(Clone, Debug)]
pub struct NodeLock(#[allow(dead_code)] Arc<dyn std::fmt::Debug + Send + Sync>);

/// The default wait for a node lock: 10 minutes.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(600);

/// How long [`Store::lock_node`](super::Store::lock_node) waits for another
/// writer's lock before failing with
/// [`StoreError::Locked`](super::StoreError::Locked): `ZARR_RS_LOCK_TIMEOUT`
/// (seconds), else [`DEFAULT_LOCK_TIMEOUT`].
pub fn lock_timeout() -> Duration {
    std::env::var("ZARR_RS_LOCK_TIMEOUT")
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(DEFAULT_LOCK_TIMEOUT, Duration::from_secs_f64)
}

type Registry = Mutex<HashMap<PathBuf, Weak<dyn std::fmt::Debug + Send + Sync>>>;

fn registry() -> &'static Registry {
    static R: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    R.get_or_init(Default::default)
}

/// The lock named `id` (a canonical lock path): the one this process
/// already holds, else a new one from `acquire` (which may wait; the
/// registry is not held meanwhile, so another thread of this process
/// taking the same lock waits on the OS lock too and then shares nothing
/// but correctness).
pub(crate) fn shared<E>(
    id: PathBuf,
    acquire: impl FnOnce() -> Result<Arc<dyn std::fmt::Debug + Send + Sync>, E>,
) -> Result<NodeLock, E> {
    {
        let mut r = registry().lock().unwrap_or_else(|p| p.into_inner());
        r.retain(|_, w| w.strong_count() > 0);
        if let Some(held) = r.get(&id).and_then(Weak::upgrade) {
            return Ok(NodeLock(held));
        }
    }
    let held = acquire()?;
    let mut r = registry().lock().unwrap_or_else(|p| p.into_inner());
    r.insert(id, Arc::downgrade(&held));
    Ok(NodeLock(held))
}
