//! Store adapters of the group layer: [`Inline`] runs a synchronous store as
//! an [`AsyncStore`] whose futures complete at once (so the blocking
//! [`Group`](super::Group) drives the same async code with
//! `futures::executor::block_on`, never needing a runtime), and
//! [`ReadOnlyAsync`] refuses writes to an async store (mode `r`).

use crate::buffer::{Buffer, BufferPrototype};
use crate::store::{AsyncStore, BoxFuture, ByteRequest, Expected, StoreError, StoreRef};
use std::sync::Arc;

/// A synchronous store as an [`AsyncStore`] that does each call inline.
#[derive(Debug, Clone)]
pub(crate) struct Inline(pub StoreRef);

fn ready<'a, T: Send + 'a>(v: T) -> BoxFuture<'a, T> {
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
}

/// A read-only view of an async store: every write is
/// [`StoreError::ReadOnly`].
#[derive(Debug, Clone)]
pub(crate) struct ReadOnlyAsync(pub Arc<dyn AsyncStore>);

fn refused<'a, T: Send + 'a>(
    operation: &'static str,
    key: &str,
) -> BoxFuture<'a, Result<T, StoreError>> {
    ready(Err(StoreError::ReadOnly {
        operation,
        key: key.to_string(),
    }))
}

impl AsyncStore for ReadOnlyAsync {
    fn get<'a>(
        &'a self,
        key: &'a str,
        prototype: &'a BufferPrototype,
        range: Option<ByteRequest>,
    ) -> BoxFuture<'a, Result<Option<Buffer>, StoreError>> {
        self.0.get(key, prototype, range)
    }
    fn set<'a>(&'a self, key: &'a str, _value: Buffer) -> BoxFuture<'a, Result<(), StoreError>> {
        refused("set", key)
    }
    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        _value: Buffer,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        refused("set", key)
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        refused("delete", key)
    }
    fn delete_dir<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        refused("delete", prefix)
    }
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        self.0.list_prefix(prefix)
    }
    fn list_dir<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        self.0.list_dir(prefix)
    }
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.0.exists(key)
    }
    fn getsize<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<u64, StoreError>> {
        self.0.getsize(key)
    }
    fn getsize_prefix<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<u64, StoreError>> {
        self.0.getsize_prefix(prefix)
    }
    fn is_empty<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        self.0.is_empty(prefix)
    }
    fn read_only(&self) -> bool {
        true
    }
    fn set_if_unchanged<'a>(
        &'a self,
        key: &'a str,
        _expected: Expected<'a>,
        _value: Option<Buffer>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        refused("set", key)
    }
    fn supports_consolidated_metadata(&self) -> bool {
        self.0.supports_consolidated_metadata()
    }
    fn location(&self) -> Option<crate::store::StoreLocation> {
        self.0.location()
    }
}
