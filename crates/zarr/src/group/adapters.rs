//! Store adapters of the group layer: [`ReadOnlyAsync`] refuses writes to
//! an async store (mode `r`). (The blocking front ends run async code over
//! [`Inline`](crate::store::Inline).)

use crate::buffer::{Buffer, BufferPrototype};
use crate::store::inline::ready;
use crate::store::{AsyncStore, BoxFuture, ByteRequest, Expected, StoreError};
use std::sync::Arc;

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
