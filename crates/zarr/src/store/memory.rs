//! [`MemoryStore`]: keys and values in a sorted in-memory map.

use super::{
    dir_prefix, validate_key, validate_prefix, validate_value_key, ByteRequest, Expected, Store,
    StoreError,
};
use crate::buffer::{Buffer, BufferPrototype};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::RwLock;

/// A store that keeps every value in memory. Cloning a value out is free
/// (buffers share memory).
///
/// Unlike a folder, a memory store can hold both `a` and `a/b`; every other
/// behaviour matches [`super::LocalStore`] (see the store conformance tests).
#[derive(Debug, Default)]
pub struct MemoryStore {
    map: RwLock<BTreeMap<String, Buffer>>,
    read_only: bool,
}

impl MemoryStore {
    /// An empty, writable store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store over existing contents; `read_only` refuses writes.
    pub fn from_map(map: BTreeMap<String, Buffer>, read_only: bool) -> Self {
        MemoryStore {
            map: RwLock::new(map),
            read_only,
        }
    }

    fn check_writable(&self, operation: &'static str, key: &str) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                operation,
                key: key.to_string(),
            });
        }
        validate_value_key(key)
    }

    fn poisoned(key: &str) -> StoreError {
        StoreError::Other {
            key: key.to_string(),
            message: "memory store lock poisoned".into(),
        }
    }
}

impl Store for MemoryStore {
    fn location(&self) -> Option<super::StoreLocation> {
        Some(super::StoreLocation::Memory {
            id: std::ptr::from_ref(self) as usize,
            prefix: String::new(),
        })
    }
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        validate_key(key)?;
        let map = self.map.read().map_err(|_| Self::poisoned(key))?;
        Ok(map.get(key).map(|v| {
            let v = match range {
                None => v.clone(),
                Some(r) => {
                    let rr = r.resolve(v.len() as u64);
                    v.slice(rr.start as usize..rr.end as usize)
                }
            };
            prototype.buffer_from_bytes(v.into_bytes())
        }))
    }

    fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError> {
        self.check_writable("set", key)?;
        self.map
            .write()
            .map_err(|_| Self::poisoned(key))?
            .insert(key.to_string(), value);
        Ok(())
    }

    fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError> {
        self.check_writable("set", key)?;
        let mut map = self.map.write().map_err(|_| Self::poisoned(key))?;
        if map.contains_key(key) {
            return Ok(false);
        }
        map.insert(key.to_string(), value);
        Ok(true)
    }

    fn set_if_unchanged(
        &self,
        key: &str,
        expected: Expected<'_>,
        value: Option<Buffer>,
    ) -> Result<bool, StoreError> {
        self.check_writable("set", key)?;
        let mut map = self.map.write().map_err(|_| Self::poisoned(key))?;
        if !expected.matches(map.get(key).map(|b| &b[..])) {
            return Ok(false);
        }
        match value {
            Some(v) => map.insert(key.to_string(), v),
            None => map.remove(key),
        };
        Ok(true)
    }

    fn supports_conditional_writes(&self) -> bool {
        !self.read_only
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check_writable("delete", key)?;
        self.map
            .write()
            .map_err(|_| Self::poisoned(key))?
            .remove(key);
        Ok(())
    }

    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        validate_prefix(prefix)?;
        let map = self.map.read().map_err(|_| Self::poisoned(prefix))?;
        Ok(map
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect())
    }

    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let p = dir_prefix(prefix)?;
        let map = self.map.read().map_err(|_| Self::poisoned(prefix))?;
        // A set: "a/b", "a/b-c" and "a/b/d" sort so that "b" is not adjacent twice.
        let children: BTreeSet<&str> = map
            .range(p.clone()..)
            .take_while(|(k, _)| k.starts_with(&p))
            .filter_map(|(k, _)| k[p.len()..].split('/').next())
            .filter(|c| !c.is_empty())
            .collect();
        Ok(children.into_iter().map(str::to_string).collect())
    }

    fn delete_dir(&self, prefix: &str) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                operation: "delete",
                key: prefix.to_string(),
            });
        }
        let p = dir_prefix(prefix)?;
        let mut map = self.map.write().map_err(|_| Self::poisoned(prefix))?;
        map.retain(|k, _| !k.starts_with(&p));
        Ok(())
    }

    fn is_empty(&self, prefix: &str) -> Result<bool, StoreError> {
        let p = dir_prefix(prefix)?;
        let map = self.map.read().map_err(|_| Self::poisoned(prefix))?;
        Ok(!map
            .range(p.clone()..)
            .next()
            .is_some_and(|(k, _)| k.starts_with(&p)))
    }

    fn getsize_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        validate_prefix(prefix)?;
        let map = self.map.read().map_err(|_| Self::poisoned(prefix))?;
        Ok(map
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| v.len() as u64)
            .sum())
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        validate_key(key)?;
        Ok(self
            .map
            .read()
            .map_err(|_| Self::poisoned(key))?
            .contains_key(key))
    }

    fn getsize(&self, key: &str) -> Result<u64, StoreError> {
        validate_key(key)?;
        match self.map.read().map_err(|_| Self::poisoned(key))?.get(key) {
            Some(v) => Ok(v.len() as u64),
            None => Err(StoreError::NotFound {
                key: key.to_string(),
            }),
        }
    }

    fn read_only(&self) -> bool {
        self.read_only
    }
}
