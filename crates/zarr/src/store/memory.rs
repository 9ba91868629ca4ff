//! [`MemoryStore`]: keys and values in a sorted in-memory map.

use super::{validate_key, ByteRequest, Store, StoreError};
use crate::buffer::{Buffer, BufferPrototype};
use std::collections::BTreeMap;
use std::sync::RwLock;

/// A store that keeps every value in memory. Cloning a value out is free
/// (buffers share memory).
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
        validate_key(key)
    }

    fn poisoned(key: &str) -> StoreError {
        StoreError::Other {
            key: key.to_string(),
            message: "memory store lock poisoned".into(),
        }
    }
}

impl Store for MemoryStore {
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

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check_writable("delete", key)?;
        self.map
            .write()
            .map_err(|_| Self::poisoned(key))?
            .remove(key);
        Ok(())
    }

    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let map = self.map.read().map_err(|_| Self::poisoned(prefix))?;
        Ok(map
            .range(prefix.to_string()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect())
    }

    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let p = if prefix.is_empty() || prefix.ends_with('/') {
            prefix.to_string()
        } else {
            format!("{prefix}/")
        };
        let mut out: Vec<String> = Vec::new();
        for k in self.list_prefix(&p)? {
            let rest = &k[p.len()..];
            let child = rest.split('/').next().unwrap_or(rest).to_string();
            if out.last() != Some(&child) {
                out.push(child);
            }
        }
        out.dedup();
        Ok(out)
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
            None => Err(StoreError::Other {
                key: key.to_string(),
                message: "key not found".into(),
            }),
        }
    }

    fn read_only(&self) -> bool {
        self.read_only
    }
}
