//! [`LocalStore`]: a folder on the local file system.
//! (Being implemented; see the store helper's work.)

use super::{ByteRequest, Store, StoreError};
use crate::buffer::{Buffer, BufferPrototype};
use std::path::PathBuf;

/// A store over a folder: each key is a file path relative to the root.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
    read_only: bool,
}

impl LocalStore {
    /// Open (and create, when writable) a folder store.
    pub fn new(root: impl Into<PathBuf>, read_only: bool) -> Result<Self, StoreError> {
        Ok(LocalStore {
            root: root.into(),
            read_only,
        })
    }
}

impl Store for LocalStore {
    fn get(
        &self,
        _key: &str,
        _prototype: &BufferPrototype,
        _range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        todo!()
    }
    fn set(&self, _key: &str, _value: Buffer) -> Result<(), StoreError> {
        todo!()
    }
    fn set_if_not_exists(&self, _key: &str, _value: Buffer) -> Result<bool, StoreError> {
        todo!()
    }
    fn delete(&self, _key: &str) -> Result<(), StoreError> {
        todo!()
    }
    fn list_prefix(&self, _prefix: &str) -> Result<Vec<String>, StoreError> {
        todo!()
    }
    fn list_dir(&self, _prefix: &str) -> Result<Vec<String>, StoreError> {
        todo!()
    }
    fn read_only(&self) -> bool {
        self.read_only || self.root.as_os_str().is_empty()
    }
}
