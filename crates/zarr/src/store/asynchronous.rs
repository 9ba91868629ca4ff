//! The asynchronous store trait and the adapter that runs a synchronous store
//! on tokio's blocking pool.

use super::{ByteRequest, Expected, Store, StoreError, StoreLocation};
use crate::buffer::{Buffer, BufferPrototype};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The asynchronous twin of [`Store`]: the same contract, every call a future.
pub trait AsyncStore: Send + Sync + std::fmt::Debug {
    /// See [`Store::get`].
    fn get<'a>(
        &'a self,
        key: &'a str,
        prototype: &'a BufferPrototype,
        range: Option<ByteRequest>,
    ) -> BoxFuture<'a, Result<Option<Buffer>, StoreError>>;
    /// See [`Store::set`].
    fn set<'a>(&'a self, key: &'a str, value: Buffer) -> BoxFuture<'a, Result<(), StoreError>>;
    /// See [`Store::set_if_not_exists`].
    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        value: Buffer,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// See [`Store::delete`].
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
    /// See [`Store::delete_dir`].
    fn delete_dir<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
    /// See [`Store::list_prefix`].
    fn list_prefix<'a>(&'a self, prefix: &'a str)
        -> BoxFuture<'a, Result<Vec<String>, StoreError>>;
    /// See [`Store::list_dir`].
    fn list_dir<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, StoreError>>;
    /// See [`Store::exists`].
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// See [`Store::getsize`].
    fn getsize<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<u64, StoreError>>;
    /// See [`Store::getsize_prefix`].
    fn getsize_prefix<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<u64, StoreError>>;
    /// See [`Store::is_empty`].
    fn is_empty<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<bool, StoreError>>;
    /// See [`Store::read_only`].
    fn read_only(&self) -> bool;
    /// See [`Store::set_if_unchanged`]: a compare-and-swap of `key`. The
    /// default refuses with [`StoreError::Unsupported`]; stores that
    /// implement it return true from
    /// [`AsyncStore::supports_conditional_writes`].
    fn set_if_unchanged<'a>(
        &'a self,
        key: &'a str,
        expected: Expected<'a>,
        value: Option<Buffer>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let _ = (expected, value);
        Box::pin(async move {
            Err(StoreError::Unsupported {
                store: format!("{} (key {key:?})", std::any::type_name::<Self>()),
                operation: "conditional writes",
            })
        })
    }
    /// See [`Store::supports_conditional_writes`].
    fn supports_conditional_writes(&self) -> bool {
        false
    }
    /// See [`Store::close`].
    fn close(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
    /// See [`Store::supports_deletes`] (default: writable).
    fn supports_deletes(&self) -> bool {
        !self.read_only()
    }
    /// See [`Store::supports_consolidated_metadata`].
    fn supports_consolidated_metadata(&self) -> bool {
        true
    }
    /// See [`Store::location`].
    fn location(&self) -> Option<StoreLocation> {
        None
    }
    /// See [`Store::lock_node`]: a blocking call (it may wait for another
    /// writer's lock).
    fn lock_node(&self, path: &str) -> Result<Option<super::NodeLock>, StoreError> {
        let _ = path;
        Ok(None)
    }
}

/// Runs a synchronous [`Store`] as an [`AsyncStore`]: each call runs on
/// tokio's blocking pool when inside a runtime (so it never stalls the
/// reactor), inline otherwise.
///
/// ```
/// use std::sync::Arc;
/// use zarr::store::{AsyncStore, MemoryStore, SyncToAsync};
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// let store = SyncToAsync::new(Arc::new(MemoryStore::new()));
/// rt.block_on(async {
///     store.set("k", vec![1u8].into()).await.unwrap();
///     assert!(store.exists("k").await.unwrap());
/// });
/// ```
#[derive(Debug, Clone)]
pub struct SyncToAsync {
    inner: Arc<dyn Store>,
}

impl SyncToAsync {
    /// Wrap a synchronous store.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        SyncToAsync { inner }
    }
    /// The wrapped store.
    pub fn inner(&self) -> &Arc<dyn Store> {
        &self.inner
    }

    fn run<'a, T: Send + 'static>(
        &'a self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> BoxFuture<'a, Result<T, StoreError>> {
        let store = Arc::clone(&self.inner);
        Box::pin(async move {
            if tokio::runtime::Handle::try_current().is_ok() {
                match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
                    Ok(r) => r,
                    Err(e) => Err(StoreError::Other {
                        key: String::new(),
                        message: format!("store task failed: {e}"),
                    }),
                }
            } else {
                f(store.as_ref())
            }
        })
    }
}

impl AsyncStore for SyncToAsync {
    fn get<'a>(
        &'a self,
        key: &'a str,
        prototype: &'a BufferPrototype,
        range: Option<ByteRequest>,
    ) -> BoxFuture<'a, Result<Option<Buffer>, StoreError>> {
        let (k, p) = (key.to_string(), prototype.clone());
        self.run(move |s| s.get(&k, &p, range))
    }
    fn set<'a>(&'a self, key: &'a str, value: Buffer) -> BoxFuture<'a, Result<(), StoreError>> {
        let k = key.to_string();
        self.run(move |s| s.set(&k, value))
    }
    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        value: Buffer,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let k = key.to_string();
        self.run(move |s| s.set_if_not_exists(&k, value))
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        let k = key.to_string();
        self.run(move |s| s.delete(&k))
    }
    fn delete_dir<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        let k = prefix.to_string();
        self.run(move |s| s.delete_dir(&k))
    }
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        let k = prefix.to_string();
        self.run(move |s| s.list_prefix(&k))
    }
    fn list_dir<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        let k = prefix.to_string();
        self.run(move |s| s.list_dir(&k))
    }
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let k = key.to_string();
        self.run(move |s| s.exists(&k))
    }
    fn getsize<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<u64, StoreError>> {
        let k = key.to_string();
        self.run(move |s| s.getsize(&k))
    }
    fn getsize_prefix<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<u64, StoreError>> {
        let k = prefix.to_string();
        self.run(move |s| s.getsize_prefix(&k))
    }
    fn is_empty<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let k = prefix.to_string();
        self.run(move |s| s.is_empty(&k))
    }
    fn read_only(&self) -> bool {
        self.inner.read_only()
    }
    fn set_if_unchanged<'a>(
        &'a self,
        key: &'a str,
        expected: Expected<'a>,
        value: Option<Buffer>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let k = key.to_string();
        // The blocking pool needs owned data: copy the expected bytes.
        let owned: Option<Option<Vec<u8>>> = match expected {
            Expected::Any => None,
            Expected::Missing => Some(None),
            Expected::Bytes(b) => Some(Some(b.to_vec())),
        };
        self.run(move |s| {
            let expected = match &owned {
                None => Expected::Any,
                Some(None) => Expected::Missing,
                Some(Some(b)) => Expected::Bytes(b),
            };
            s.set_if_unchanged(&k, expected, value)
        })
    }
    fn supports_conditional_writes(&self) -> bool {
        self.inner.supports_conditional_writes()
    }
    fn supports_deletes(&self) -> bool {
        self.inner.supports_deletes()
    }
    fn close(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        self.run(|s| s.close())
    }
    fn supports_consolidated_metadata(&self) -> bool {
        self.inner.supports_consolidated_metadata()
    }
    fn location(&self) -> Option<StoreLocation> {
        self.inner.location()
    }
    fn lock_node(&self, path: &str) -> Result<Option<super::NodeLock>, StoreError> {
        self.inner.lock_node(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    #[test]
    fn conditional_writes_pass_through_the_adapter() {
        let store = SyncToAsync::new(Arc::new(MemoryStore::new()));
        assert!(store.supports_conditional_writes());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let first = store
                .set_if_unchanged("k", Expected::Missing, Some(b"a".to_vec().into()))
                .await;
            assert!(matches!(first, Ok(true)));
            let stale = store
                .set_if_unchanged("k", Expected::Bytes(b"b"), Some(b"c".to_vec().into()))
                .await;
            assert!(matches!(stale, Ok(false)));
            let swap = store
                .set_if_unchanged("k", Expected::Bytes(b"a"), Some(b"c".to_vec().into()))
                .await;
            assert!(matches!(swap, Ok(true)));
            let got = store
                .get("k", &BufferPrototype::default(), None)
                .await
                .ok()
                .flatten();
            assert_eq!(got.as_deref(), Some(&b"c"[..]));
        });
    }
}
