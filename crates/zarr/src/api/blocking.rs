//! Running the blocking API over async stores: the engine of the `_async`
//! twins. [`AsyncToSync`] makes an [`AsyncStore`] a [`Store`] by blocking
//! on each call (through the tokio runtime when there is one, so stores
//! that need its reactor work), and [`run_blocking`] runs blocking work on
//! tokio's blocking pool.

use crate::array::{ArrayError, Result};
use crate::buffer::{Buffer, BufferPrototype};
use crate::store::{AsyncStore, ByteRequest, Expected, Store, StoreError, StoreRef};
use std::future::Future;
use std::sync::Arc;
use tokio::runtime::Handle;

/// An [`AsyncStore`] as a blocking [`Store`]. Must not be used from inside
/// an async task (use it on a blocking thread, as [`run_blocking`] does).
#[derive(Debug, Clone)]
pub(crate) struct AsyncToSync {
    inner: Arc<dyn AsyncStore>,
    handle: Option<Handle>,
}

impl AsyncToSync {
    fn block<T>(&self, f: impl Future<Output = T>) -> T {
        match &self.handle {
            Some(h) => h.block_on(f),
            None => futures::executor::block_on(f),
        }
    }
}

/// `store` as a blocking [`StoreRef`], blocking on `handle` when given.
pub(crate) fn blocking(store: Arc<dyn AsyncStore>, handle: Option<Handle>) -> StoreRef {
    Arc::new(AsyncToSync {
        inner: store,
        handle,
    })
}

impl Store for AsyncToSync {
    fn location(&self) -> Option<crate::store::StoreLocation> {
        self.inner.location()
    }
    fn lock_node(&self, path: &str) -> Result<Option<crate::store::NodeLock>, StoreError> {
        self.inner.lock_node(path)
    }
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        self.block(self.inner.get(key, prototype, range))
    }
    fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError> {
        self.block(self.inner.set(key, value))
    }
    fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError> {
        self.block(self.inner.set_if_not_exists(key, value))
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.block(self.inner.delete(key))
    }
    fn delete_dir(&self, prefix: &str) -> Result<(), StoreError> {
        self.block(self.inner.delete_dir(prefix))
    }
    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.block(self.inner.list_prefix(prefix))
    }
    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.block(self.inner.list_dir(prefix))
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.block(self.inner.exists(key))
    }
    fn getsize(&self, key: &str) -> Result<u64, StoreError> {
        self.block(self.inner.getsize(key))
    }
    fn getsize_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        self.block(self.inner.getsize_prefix(prefix))
    }
    fn is_empty(&self, prefix: &str) -> Result<bool, StoreError> {
        self.block(self.inner.is_empty(prefix))
    }
    fn read_only(&self) -> bool {
        self.inner.read_only()
    }
    fn set_if_unchanged(
        &self,
        key: &str,
        expected: Expected<'_>,
        value: Option<Buffer>,
    ) -> Result<bool, StoreError> {
        self.block(self.inner.set_if_unchanged(key, expected, value))
    }
    fn supports_conditional_writes(&self) -> bool {
        self.inner.supports_conditional_writes()
    }
    fn close(&self) -> Result<(), StoreError> {
        self.block(self.inner.close())
    }
}

/// Run blocking work `f` (given the runtime handle, if any) on tokio's
/// blocking pool when inside a runtime, inline otherwise.
pub(crate) async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce(Option<Handle>) -> Result<T> + Send + 'static,
) -> Result<T> {
    match Handle::try_current() {
        Ok(h) => tokio::task::spawn_blocking(move || f(Some(h)))
            .await
            .map_err(|e| ArrayError::Task(e.to_string()))?,
        Err(_) => f(None),
    }
}
