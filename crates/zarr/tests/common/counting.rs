//! One counting store for the tests that check how many reads, listings or
//! bytes an operation costs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use zarr::buffer::{Buffer, BufferPrototype};
use zarr::store::{ByteRequest, MemoryStore, Store, StoreError, StoreRef};

/// A store over `inner` that counts reads (all, found, per key, bytes
/// returned) and listings. It has no conditional writes (the trait's
/// default), and refuses consolidated metadata when made with
/// [`CountingStore::without_consolidation`].
#[derive(Debug)]
pub struct CountingStore {
    inner: StoreRef,
    consolidation: bool,
    gets: AtomicUsize,
    found: AtomicUsize,
    lists: AtomicUsize,
    bytes: AtomicU64,
    per_key: Mutex<HashMap<String, usize>>,
}

impl Default for CountingStore {
    /// Over a new [`MemoryStore`].
    fn default() -> Self {
        Self::over(Arc::new(MemoryStore::new()), true)
    }
}

impl CountingStore {
    fn over(inner: StoreRef, consolidation: bool) -> Self {
        CountingStore {
            inner,
            consolidation,
            gets: AtomicUsize::new(0),
            found: AtomicUsize::new(0),
            lists: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            per_key: Mutex::default(),
        }
    }
    /// Counting over `inner`.
    pub fn new(inner: StoreRef) -> Arc<Self> {
        Arc::new(Self::over(inner, true))
    }
    /// Counting over `inner`, refusing consolidated metadata.
    pub fn without_consolidation(inner: StoreRef) -> Arc<Self> {
        Arc::new(Self::over(inner, false))
    }
    /// Start counting again from zero.
    pub fn reset(&self) {
        for c in [&self.gets, &self.found, &self.lists] {
            c.store(0, SeqCst);
        }
        self.bytes.store(0, SeqCst);
        self.per_key.lock().unwrap().clear();
    }
    /// Reads.
    pub fn gets(&self) -> usize {
        self.gets.load(SeqCst)
    }
    /// Reads that found their key.
    pub fn found(&self) -> usize {
        self.found.load(SeqCst)
    }
    /// Listings.
    pub fn lists(&self) -> usize {
        self.lists.load(SeqCst)
    }
    /// Bytes the reads returned.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(SeqCst)
    }
    /// The most reads of any one key starting with `prefix`.
    pub fn most_reads(&self, prefix: &str) -> usize {
        let per_key = self.per_key.lock().unwrap();
        per_key
            .iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0)
    }
}

impl Store for CountingStore {
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        self.gets.fetch_add(1, SeqCst);
        *self
            .per_key
            .lock()
            .unwrap()
            .entry(key.to_string())
            .or_default() += 1;
        let v = self.inner.get(key, prototype, range)?;
        if let Some(b) = &v {
            self.found.fetch_add(1, SeqCst);
            self.bytes.fetch_add(b.len() as u64, SeqCst);
        }
        Ok(v)
    }
    fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError> {
        self.inner.set(key, value)
    }
    fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError> {
        self.inner.set_if_not_exists(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.inner.delete(key)
    }
    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.lists.fetch_add(1, SeqCst);
        self.inner.list_prefix(prefix)
    }
    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.lists.fetch_add(1, SeqCst);
        self.inner.list_dir(prefix)
    }
    fn read_only(&self) -> bool {
        false
    }
    fn supports_consolidated_metadata(&self) -> bool {
        self.consolidation
    }
}
