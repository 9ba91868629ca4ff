//! [`FaultStore`]: a test store that adds latency to another store's calls
//! and fails some of them, deterministically.

use super::{ByteRequest, Expected, Store, StoreError, StoreRef};
use crate::buffer::{Buffer, BufferPrototype};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Which calls a [`FaultStore`] may fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum FaultTarget {
    /// Reads and writes.
    #[default]
    All,
    /// Reads only (`get`, `get_partial_values`, `exists`, `getsize`, listing).
    Reads,
    /// Writes only (`set`, `set_if_not_exists`, `set_if_unchanged`, `delete`).
    Writes,
}

/// What a [`FaultStore`] injects.
///
/// ```
/// use std::time::Duration;
/// use zarr::store::{FaultConfig, FaultTarget};
/// let config = FaultConfig {
///     latency: Duration::from_millis(2),
///     fail_every: Some(3),  // calls 3, 6, 9, ... fail
///     fail_fraction: 0.1,   // and about one in ten of the others
///     seed: 42,
///     target: FaultTarget::Writes,
/// };
/// assert_eq!(FaultConfig::default().fail_every, None);
/// # let _ = config;
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FaultConfig {
    /// Added before every call.
    pub latency: Duration,
    /// Fail every Nth targeted call (1-based: `Some(1)` fails them all).
    pub fail_every: Option<u64>,
    /// Fail this fraction (0 to 1) of the other targeted calls, drawn from a
    /// generator seeded with [`FaultConfig::seed`]: the same sequence of
    /// calls fails the same way every run.
    pub fail_fraction: f64,
    /// The seed of the failure draws.
    pub seed: u64,
    /// Which calls may fail.
    pub target: FaultTarget,
}

/// Wraps a store, sleeps [`FaultConfig::latency`] before each call and
/// fails the calls the configuration picks with [`StoreError::Other`]
/// (a message starting `injected failure`, naming the key). A failed write
/// is refused before it reaches the inner store, so it changes nothing: the
/// inner store's own atomicity is what the caller sees.
///
/// ```
/// use std::sync::Arc;
/// use zarr::store::{FaultConfig, FaultStore, MemoryStore, Store};
/// let config = FaultConfig { fail_every: Some(2), ..FaultConfig::default() };
/// let store = FaultStore::new(Arc::new(MemoryStore::new()), config);
/// assert!(store.set("a", b"1".to_vec().into()).is_ok());
/// let e = store.set("b", b"2".to_vec().into()).unwrap_err();
/// assert!(e.to_string().contains("injected failure"));
/// assert_eq!(store.injected(), 1);
/// ```
#[derive(Debug)]
pub struct FaultStore {
    inner: StoreRef,
    config: FaultConfig,
    calls: AtomicU64,
    injected: AtomicU64,
    rng: Mutex<u64>,
}

/// SplitMix64: a small, good-enough generator for test draws.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl FaultStore {
    /// Inject `config`'s faults into `inner`'s calls.
    pub fn new(inner: StoreRef, config: FaultConfig) -> Self {
        let seed = config.seed;
        FaultStore {
            inner,
            config,
            calls: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            rng: Mutex::new(seed),
        }
    }

    /// How many failures were injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::Relaxed)
    }

    /// Sleep, then decide whether this call fails.
    fn enter(&self, write: bool, operation: &'static str, key: &str) -> Result<(), StoreError> {
        if !self.config.latency.is_zero() {
            std::thread::sleep(self.config.latency);
        }
        let targeted = match self.config.target {
            FaultTarget::All => true,
            FaultTarget::Reads => !write,
            FaultTarget::Writes => write,
        };
        if !targeted {
            return Ok(());
        }
        let n = self.calls.fetch_add(1, Ordering::Relaxed) + 1;
        let every = self
            .config
            .fail_every
            .is_some_and(|e| e > 0 && n.is_multiple_of(e));
        let drawn = self.config.fail_fraction > 0.0 && {
            let mut state = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            let x = splitmix(&mut state);
            let unit = (x >> 11) as f64 / ((1u64 << 53) as f64);
            unit < self.config.fail_fraction
        };
        if every || drawn {
            self.injected.fetch_add(1, Ordering::Relaxed);
            return Err(StoreError::Other {
                key: key.to_string(),
                message: format!("injected failure of {operation} (targeted call {n})"),
            });
        }
        Ok(())
    }
}

impl Store for FaultStore {
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        self.enter(false, "get", key)?;
        self.inner.get(key, prototype, range)
    }
    fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError> {
        self.enter(true, "set", key)?;
        self.inner.set(key, value)
    }
    fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError> {
        self.enter(true, "set_if_not_exists", key)?;
        self.inner.set_if_not_exists(key, value)
    }
    fn set_if_unchanged(
        &self,
        key: &str,
        expected: Expected<'_>,
        value: Option<Buffer>,
    ) -> Result<bool, StoreError> {
        self.enter(true, "set_if_unchanged", key)?;
        self.inner.set_if_unchanged(key, expected, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.enter(true, "delete", key)?;
        self.inner.delete(key)
    }
    fn delete_dir(&self, prefix: &str) -> Result<(), StoreError> {
        self.enter(true, "delete_dir", prefix)?;
        self.inner.delete_dir(prefix)
    }
    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.enter(false, "list_prefix", prefix)?;
        self.inner.list_prefix(prefix)
    }
    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.enter(false, "list_dir", prefix)?;
        self.inner.list_dir(prefix)
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.enter(false, "exists", key)?;
        self.inner.exists(key)
    }
    fn getsize(&self, key: &str) -> Result<u64, StoreError> {
        self.enter(false, "getsize", key)?;
        self.inner.getsize(key)
    }
    fn get_partial_values(
        &self,
        prototype: &BufferPrototype,
        requests: &[(String, Option<ByteRequest>)],
    ) -> Result<Vec<Option<Buffer>>, StoreError> {
        let first = requests.first().map_or("", |(k, _)| k.as_str());
        self.enter(false, "get_partial_values", first)?;
        self.inner.get_partial_values(prototype, requests)
    }
    forward_capabilities!(inner: read_only, supports_writes, supports_deletes, supports_listing,
        supports_partial_writes, supports_conditional_writes, supports_consolidated_metadata);
    fn location(&self) -> Option<super::StoreLocation> {
        self.inner.location()
    }
    fn lock_node(&self, path: &str) -> Result<Option<super::NodeLock>, StoreError> {
        self.inner.lock_node(path)
    }
    fn close(&self) -> Result<(), StoreError> {
        self.inner.close()
    }
}
