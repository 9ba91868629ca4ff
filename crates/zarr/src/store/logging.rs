//! [`LoggingStore`]: every call of another store, with its key and duration,
//! logged through `tracing`.

use super::{ByteRequest, Expected, Store, StoreError, StoreRef};
use crate::buffer::{Buffer, BufferPrototype};
use std::time::Instant;

/// The `tracing` target of [`LoggingStore`]'s events.
pub const LOG_TARGET: &str = "zarr::store";

/// Forwards every call to another store and logs it through `tracing`: one
/// event per call at `DEBUG` (`WARN` when it failed), target [`LOG_TARGET`],
/// with the fields `store` (the name given), `operation`, `key`,
/// `micros` (the duration), `ok`, and `error` when it failed.
///
/// ```
/// use std::sync::Arc;
/// use zarr::store::{LoggingStore, MemoryStore, Store};
/// let store = LoggingStore::new(Arc::new(MemoryStore::new()), "memory");
/// store.set("a", b"1".to_vec().into()).unwrap(); // event: operation=set key=a ok=true
/// assert!(store.exists("a").unwrap());
/// ```
#[derive(Debug, Clone)]
pub struct LoggingStore {
    inner: StoreRef,
    name: String,
}

impl LoggingStore {
    /// Log the calls of `inner` under the name `name`.
    pub fn new(inner: StoreRef, name: impl Into<String>) -> Self {
        LoggingStore {
            inner,
            name: name.into(),
        }
    }

    fn log<T>(
        &self,
        operation: &'static str,
        key: &str,
        f: impl FnOnce() -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let start = Instant::now();
        let result = f();
        let micros = start.elapsed().as_micros() as u64;
        match &result {
            Ok(_) => tracing::debug!(
                target: LOG_TARGET,
                store = %self.name,
                operation,
                key,
                micros,
                ok = true
            ),
            Err(e) => tracing::warn!(
                target: LOG_TARGET,
                store = %self.name,
                operation,
                key,
                micros,
                ok = false,
                error = %e
            ),
        }
        result
    }
}

impl Store for LoggingStore {
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        self.log("get", key, || self.inner.get(key, prototype, range))
    }
    fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError> {
        self.log("set", key, || self.inner.set(key, value))
    }
    fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError> {
        self.log("set_if_not_exists", key, || {
            self.inner.set_if_not_exists(key, value)
        })
    }
    fn set_if_unchanged(
        &self,
        key: &str,
        expected: Expected<'_>,
        value: Option<Buffer>,
    ) -> Result<bool, StoreError> {
        self.log("set_if_unchanged", key, || {
            self.inner.set_if_unchanged(key, expected, value)
        })
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.log("delete", key, || self.inner.delete(key))
    }
    fn delete_dir(&self, prefix: &str) -> Result<(), StoreError> {
        self.log("delete_dir", prefix, || self.inner.delete_dir(prefix))
    }
    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.log("list_prefix", prefix, || self.inner.list_prefix(prefix))
    }
    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.log("list_dir", prefix, || self.inner.list_dir(prefix))
    }
    fn list(&self) -> Result<Vec<String>, StoreError> {
        self.log("list", "", || self.inner.list())
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.log("exists", key, || self.inner.exists(key))
    }
    fn getsize(&self, key: &str) -> Result<u64, StoreError> {
        self.log("getsize", key, || self.inner.getsize(key))
    }
    fn getsize_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        self.log("getsize_prefix", prefix, || {
            self.inner.getsize_prefix(prefix)
        })
    }
    fn is_empty(&self, prefix: &str) -> Result<bool, StoreError> {
        self.log("is_empty", prefix, || self.inner.is_empty(prefix))
    }
    fn get_partial_values(
        &self,
        prototype: &BufferPrototype,
        requests: &[(String, Option<ByteRequest>)],
    ) -> Result<Vec<Option<Buffer>>, StoreError> {
        let keys: Vec<&str> = requests.iter().map(|(k, _)| k.as_str()).collect();
        self.log("get_partial_values", &keys.join(","), || {
            self.inner.get_partial_values(prototype, requests)
        })
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
        self.log("close", "", || self.inner.close())
    }
}
