//! [`Inline`]: a synchronous store as an [`AsyncStore`] whose futures
//! complete at once, so blocking front ends (groups, arrays' metadata
//! operations) drive the same async code with `futures::executor::block_on`,
//! never needing a runtime.

use crate::buffer::{Buffer, BufferPrototype};
use crate::store::{AsyncStore, BoxFuture, ByteRequest, Expected, StoreError, StoreRef};

/// A synchronous store as an [`AsyncStore`] that does each call inline.
#[derive(Debug, Clone)]
pub(crate) struct Inline(pub StoreRef);

/// A future that is ready with `v`.
pub(crate) fn ready<'a, T: Send + 'a>(v: T) -> BoxFuture<'a, T> {
    Box::pin(std::future::ready(v))
}

impl AsyncStore for Inline {
    fn get<'a>(
        &'a self,
        key: &'a str,
        prototype: &'a BufferPrototype,
        range: Option<ByteRequest>,
    ) -> BoxFuture<'a, Result<Option<Buffer>, StoreError>> {
        ready(self.0.get(key, prototype, range))
    }
    fn set<'a>(&'a self, key: &'a str, value: Buffer) -> BoxFuture<'a, Result<(), StoreError>> {
        ready(self.0.set(key, value))
    }
    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        value: Buffer,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        ready(self.0.set_if_not_exists(key, value))
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        ready(self.0.delete(key))
    }
    fn delete_dir<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        ready(self.0.delete_dir(prefix))
    }
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        ready(self.0.list_prefix(prefix))
    }
    fn list_dir<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        ready(self.0.list_dir(prefix))
    }
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        ready(self.0.exists(key))
    }
    fn getsize<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<u64, StoreError>> {
        ready(self.0.getsize(key))
    }
    fn getsize_prefix<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<u64, StoreError>> {
        ready(self.0.getsize_prefix(prefix))
    }
    fn is_empty<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        ready(self.0.is_empty(prefix))
    }
    fn read_only(&self) -> bool {
        self.0.read_only()
    }
    fn set_if_unchanged<'a>(
        &'a self,
        key: &'a str,
        expected: Expected<'a>,
        value: Option<Buffer>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        ready(self.0.set_if_unchanged(key, expected, value))
    }
    fn supports_conditional_writes(&self) -> bool {
        self.0.supports_conditional_writes()
    }
    fn supports_deletes(&self) -> bool {
        self.0.supports_deletes()
    }
    fn close(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        ready(self.0.close())
    }
    fn supports_consolidated_metadata(&self) -> bool {
        self.0.supports_consolidated_metadata()
    }
    fn location(&self) -> Option<crate::store::StoreLocation> {
        self.0.location()
    }
    fn lock_node(&self, path: &str) -> Result<Option<crate::store::NodeLock>, StoreError> {
        self.0.lock_node(path)
    }
}
