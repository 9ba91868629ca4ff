//! [`ReadOnlyStore`]: a read-only view of another store.

use super::{ByteRequest, Store, StoreError, StoreRef};
use crate::buffer::{Buffer, BufferPrototype};

/// A view of a store that refuses every write with [`StoreError::ReadOnly`]
/// (before looking at the key, as every read-only store does) and forwards
/// every read to the wrapped store.
#[derive(Debug, Clone)]
pub struct ReadOnlyStore {
    inner: StoreRef,
}

impl ReadOnlyStore {
    /// Wrap a store.
    pub fn new(inner: StoreRef) -> Self {
        ReadOnlyStore { inner }
    }
}

impl Store for ReadOnlyStore {
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        self.inner.get(key, prototype, range)
    }
    fn set(&self, key: &str, _value: Buffer) -> Result<(), StoreError> {
        Err(StoreError::ReadOnly {
            operation: "set",
            key: key.to_string(),
        })
    }
    fn set_if_unchanged(
        &self,
        key: &str,
        _expected: super::Expected<'_>,
        _value: Option<Buffer>,
    ) -> Result<bool, StoreError> {
        Err(StoreError::ReadOnly {
            operation: "set",
            key: key.to_string(),
        })
    }
    fn set_if_not_exists(&self, key: &str, _value: Buffer) -> Result<bool, StoreError> {
        Err(StoreError::ReadOnly {
            operation: "set",
            key: key.to_string(),
        })
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        Err(StoreError::ReadOnly {
            operation: "delete",
            key: key.to_string(),
        })
    }
    fn delete_dir(&self, prefix: &str) -> Result<(), StoreError> {
        Err(StoreError::ReadOnly {
            operation: "delete",
            key: prefix.to_string(),
        })
    }
    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list_prefix(prefix)
    }
    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.list_dir(prefix)
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        self.inner.exists(key)
    }
    fn getsize(&self, key: &str) -> Result<u64, StoreError> {
        self.inner.getsize(key)
    }
    fn getsize_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        self.inner.getsize_prefix(prefix)
    }
    fn list(&self) -> Result<Vec<String>, StoreError> {
        self.inner.list()
    }
    fn is_empty(&self, prefix: &str) -> Result<bool, StoreError> {
        self.inner.is_empty(prefix)
    }
    fn get_partial_values(
        &self,
        prototype: &BufferPrototype,
        requests: &[(String, Option<ByteRequest>)],
    ) -> Result<Vec<Option<Buffer>>, StoreError> {
        self.inner.get_partial_values(prototype, requests)
    }
    fn read_only(&self) -> bool {
        true
    }
    forward_capabilities!(inner: supports_listing, supports_consolidated_metadata);
    fn location(&self) -> Option<super::StoreLocation> {
        self.inner.location()
    }
    fn close(&self) -> Result<(), StoreError> {
        self.inner.close()
    }
    fn supports_writes(&self) -> bool {
        false
    }
    fn supports_deletes(&self) -> bool {
        false
    }
}
