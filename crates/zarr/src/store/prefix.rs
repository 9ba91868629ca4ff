//! [`PrefixStore`]: a store rooted at a key prefix of another store.

use super::{
    dir_prefix, validate_key, validate_prefix, ByteRequest, Expected, Store, StoreError, StoreRef,
};
use crate::buffer::{Buffer, BufferPrototype};

/// A view of the keys under `prefix/` of another store, with the prefix
/// taken off: key `k` of the view is key `prefix/k` of the inner store.
///
/// ```
/// use std::sync::Arc;
/// use zarr::store::{MemoryStore, PrefixStore, Store};
/// let inner = Arc::new(MemoryStore::new());
/// let view = PrefixStore::new(inner.clone(), "group/a.zarr").unwrap();
/// view.set("zarr.json", b"{}".to_vec().into()).unwrap();
/// assert_eq!(inner.list().unwrap(), vec!["group/a.zarr/zarr.json".to_string()]);
/// assert_eq!(view.list().unwrap(), vec!["zarr.json".to_string()]);
/// ```
#[derive(Debug, Clone)]
pub struct PrefixStore {
    inner: StoreRef,
    /// `"a/b/"`: the prefix with one trailing slash (`""` for none).
    prefix: String,
}

impl PrefixStore {
    /// A view of `inner` under `prefix` (a key; `""` is the whole store;
    /// slashes at either end are ignored).
    pub fn new(inner: StoreRef, prefix: &str) -> Result<Self, StoreError> {
        let p = prefix.trim_matches('/');
        validate_key(p)?;
        let prefix = crate::node_path::prefix(p);
        Ok(PrefixStore { inner, prefix })
    }

    /// The prefix, with its trailing `/` (`""` for none).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The inner key of a (validated) key.
    fn full(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// The view's key of an inner key.
    fn strip(&self, key: String) -> Option<String> {
        key.strip_prefix(self.prefix.as_str())
            .filter(|k| !k.is_empty())
            .map(str::to_string)
    }

    /// Errors name the view's key, not the inner one.
    fn rename(&self, key: &str, e: StoreError) -> StoreError {
        match e {
            StoreError::NotFound { .. } => StoreError::NotFound {
                key: key.to_string(),
            },
            other => other,
        }
    }
}

impl Store for PrefixStore {
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        validate_key(key)?;
        if key.is_empty() {
            return Ok(None);
        }
        self.inner.get(&self.full(key), prototype, range)
    }
    fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError> {
        if self.inner.read_only() {
            return Err(StoreError::ReadOnly {
                operation: "set",
                key: key.to_string(),
            });
        }
        super::validate_value_key(key)?;
        self.inner.set(&self.full(key), value)
    }
    fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError> {
        if self.inner.read_only() {
            return Err(StoreError::ReadOnly {
                operation: "set",
                key: key.to_string(),
            });
        }
        super::validate_value_key(key)?;
        self.inner.set_if_not_exists(&self.full(key), value)
    }
    fn set_if_unchanged(
        &self,
        key: &str,
        expected: Expected<'_>,
        value: Option<Buffer>,
    ) -> Result<bool, StoreError> {
        if self.inner.read_only() {
            return Err(StoreError::ReadOnly {
                operation: "set",
                key: key.to_string(),
            });
        }
        super::validate_value_key(key)?;
        self.inner
            .set_if_unchanged(&self.full(key), expected, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        if self.inner.read_only() {
            return Err(StoreError::ReadOnly {
                operation: "delete",
                key: key.to_string(),
            });
        }
        super::validate_value_key(key)?;
        self.inner.delete(&self.full(key))
    }
    fn delete_dir(&self, prefix: &str) -> Result<(), StoreError> {
        if self.inner.read_only() {
            return Err(StoreError::ReadOnly {
                operation: "delete",
                key: prefix.to_string(),
            });
        }
        let p = dir_prefix(prefix)?;
        let full = self.full(&p);
        if full.is_empty() {
            return self.inner.delete_dir("");
        }
        self.inner.delete_dir(&full)
    }
    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        validate_prefix(prefix)?;
        Ok(self
            .inner
            .list_prefix(&self.full(prefix))?
            .into_iter()
            .filter_map(|k| self.strip(k))
            .collect())
    }
    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let p = dir_prefix(prefix)?;
        self.inner.list_dir(&self.full(&p))
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        validate_key(key)?;
        if key.is_empty() {
            return Ok(false);
        }
        self.inner.exists(&self.full(key))
    }
    fn getsize(&self, key: &str) -> Result<u64, StoreError> {
        validate_key(key)?;
        if key.is_empty() {
            return Err(StoreError::NotFound { key: String::new() });
        }
        self.inner
            .getsize(&self.full(key))
            .map_err(|e| self.rename(key, e))
    }
    fn getsize_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        validate_prefix(prefix)?;
        self.inner.getsize_prefix(&self.full(prefix))
    }
    fn is_empty(&self, prefix: &str) -> Result<bool, StoreError> {
        let p = dir_prefix(prefix)?;
        self.inner.is_empty(&self.full(&p))
    }
    fn get_partial_values(
        &self,
        prototype: &BufferPrototype,
        requests: &[(String, Option<ByteRequest>)],
    ) -> Result<Vec<Option<Buffer>>, StoreError> {
        for (k, _) in requests {
            validate_key(k)?;
        }
        // The root is never a value: answer it here, forward the rest.
        let forwarded: Vec<(String, Option<ByteRequest>)> = requests
            .iter()
            .filter(|(k, _)| !k.is_empty())
            .map(|(k, r)| (self.full(k), *r))
            .collect();
        let mut got = self
            .inner
            .get_partial_values(prototype, &forwarded)?
            .into_iter();
        Ok(requests
            .iter()
            .map(|(k, _)| {
                if k.is_empty() {
                    None
                } else {
                    got.next().flatten()
                }
            })
            .collect())
    }
    forward_capabilities!(inner: read_only, supports_writes, supports_deletes, supports_listing,
        supports_partial_writes, supports_conditional_writes, supports_consolidated_metadata);
    fn location(&self) -> Option<super::StoreLocation> {
        self.inner.location().map(|l| l.join(&self.prefix))
    }
    fn lock_node(&self, path: &str) -> Result<Option<super::NodeLock>, StoreError> {
        let p = path.trim_matches('/');
        if p.is_empty() {
            self.inner.lock_node(&self.prefix)
        } else {
            self.inner.lock_node(&self.full(p))
        }
    }
    fn close(&self) -> Result<(), StoreError> {
        self.inner.close()
    }
}
