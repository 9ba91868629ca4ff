//! Stores: keys to bytes, following the `Store` contract of zarr-python
//! (seed 002).
//!
//! A [`Store`] is synchronous and thread-safe; [`AsyncStore`] is its
//! asynchronous twin. Every synchronous store is usable asynchronously
//! through [`SyncToAsync`]. Keys are `/`-separated, relative, and never
//! contain `..` or empty segments ([`validate_key`]).
//!
//! ```
//! use zarr::store::{ByteRequest, MemoryStore, Store};
//! use zarr::buffer::BufferPrototype;
//! let store = MemoryStore::new();
//! store.set("a/b", b"hello".to_vec().into()).unwrap();
//! let p = BufferPrototype::default();
//! let part = store.get("a/b", &p, Some(ByteRequest::Suffix(3))).unwrap().unwrap();
//! assert_eq!(&part[..], b"llo");
//! assert_eq!(store.list_dir("a").unwrap(), vec!["b".to_string()]);
//! ```

/// Inside an `impl Store for Wrapper`: capability queries (`fn name(&self)
/// -> bool`) answered by the wrapped store `self.$inner`, so a wrapper never
/// hides what the store under it can do.
macro_rules! forward_capabilities {
    ($inner:ident: $($name:ident),+ $(,)?) => {
        $(
            fn $name(&self) -> bool {
                self.$inner.$name()
            }
        )+
    };
}

mod asynchronous;
mod document;
mod fault;
pub(crate) mod inline;
pub(crate) use inline::Inline;
mod local;
mod location;
pub(crate) use location::{overlap, Overlap};
mod logging;
mod memory;
mod node_lock;
mod object;
mod prefix;
mod read_only;
mod url;
mod zip;

pub use asynchronous::{AsyncStore, BoxFuture, SyncToAsync};
pub use document::{get_document, get_document_async, get_document_limited};
pub use fault::{FaultConfig, FaultStore, FaultTarget};
pub use local::LocalStore;
pub use location::StoreLocation;
pub use logging::{LoggingStore, LOG_TARGET};
pub use memory::MemoryStore;
pub use node_lock::{lock_timeout, NodeLock, DEFAULT_LOCK_TIMEOUT};
pub use object::{
    ObjectStore, ObjectStoreOptions, DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_VALUE_SIZE, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_TIMEOUT,
};
pub use prefix::PrefixStore;
pub use read_only::ReadOnlyStore;
pub use url::open_store;
pub use zip::{ZipMode, ZipStore, DEFAULT_MAX_INFLATED_SIZE};

use crate::buffer::{Buffer, BufferPrototype};
use std::sync::Arc;

/// A part of a stored value to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ByteRequest {
    /// Bytes `start..end`; a range past the end returns what exists.
    Range {
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
    /// Bytes from `offset` to the end.
    Offset(u64),
    /// The last `n` bytes (all of them when the value is shorter).
    Suffix(u64),
}

impl ByteRequest {
    /// Resolve against a value of `len` bytes to a clamped `start..end`.
    pub fn resolve(&self, len: u64) -> std::ops::Range<u64> {
        match *self {
            ByteRequest::Range { start, end } => start.min(len)..end.min(len).max(start.min(len)),
            ByteRequest::Offset(o) => o.min(len)..len,
            ByteRequest::Suffix(n) => len.saturating_sub(n)..len,
        }
    }
}

/// An error from a store. Every variant names the key it concerns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The key is not a valid store key (empty segment, `..`, absolute path...).
    #[error("invalid key {key:?}: {reason}")]
    InvalidKey {
        /// The key.
        key: String,
        /// Why it was refused.
        reason: String,
    },
    /// The store is read-only.
    #[error("cannot {operation} {key:?}: the store is read-only")]
    ReadOnly {
        /// The refused operation.
        operation: &'static str,
        /// The key.
        key: String,
    },
    /// The store does not support this operation.
    #[error("{store} does not support {operation}")]
    Unsupported {
        /// The store.
        store: String,
        /// The operation.
        operation: &'static str,
    },
    /// The key does not exist (from [`Store::getsize`]).
    #[error("key {key:?} not found")]
    NotFound {
        /// The key.
        key: String,
    },
    /// A write would go through a symbolic link that leads outside the
    /// store's root ([`LocalStore`] refuses such writes).
    #[error("refusing to write {key:?}: {path} is a symbolic link leading outside the store root")]
    PathEscape {
        /// The key.
        key: String,
        /// The offending link.
        path: std::path::PathBuf,
    },
    /// Another writer holds the store's write lock: a [`ZipStore`] has one
    /// writer at a time, across processes.
    #[error(
        "{store} is being written by another writer (it holds the lock {lock}); \
         try again when that writer has finished"
    )]
    Locked {
        /// The store (the archive's path).
        store: String,
        /// The lock file the other writer holds.
        lock: std::path::PathBuf,
    },
    /// A metadata document is longer than the limit
    /// ([`crate::limits::max_metadata_bytes`]); it was not read whole.
    #[error(
        "metadata document {key:?} is larger than the limit of {limit} bytes \
         (set ZARR_RS_MAX_METADATA_BYTES to raise it)"
    )]
    DocumentTooLarge {
        /// The key.
        key: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// An I/O error.
    #[error("I/O error on {key:?}: {source}")]
    Io {
        /// The key.
        key: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A remote store (object storage, an HTTP server) failed, after the
    /// retries of transient failures.
    #[error("{store}: request for {key:?} failed: {source}")]
    Remote {
        /// The store (its URL).
        store: String,
        /// The key.
        key: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Any other failure.
    #[error("{key:?}: {message}")]
    Other {
        /// The key.
        key: String,
        /// What went wrong.
        message: String,
    },
}

/// The suffix of the temporary files [`LocalStore`] writes before renaming
/// them into place. A key segment that starts with `.` and ends with this
/// suffix is reserved ([`validate_key`] refuses it), so temporary files are
/// never mistaken for keys.
pub const TEMP_SUFFIX: &str = ".zarr-tmp";

/// The suffix of the lock files [`LocalStore`] holds during a conditional
/// write ([`Store::set_if_unchanged`]): `.{name}.zarr-lock` next to the value.
/// Reserved like [`TEMP_SUFFIX`].
pub const LOCK_SUFFIX: &str = ".zarr-lock";

/// True when a key segment (a file name) has a reserved form: a temporary
/// file `.{anything}.zarr-tmp` or a lock file `.{anything}.zarr-lock`.
pub fn is_temp_name(segment: &str) -> bool {
    [TEMP_SUFFIX, LOCK_SUFFIX].iter().any(|suffix| {
        segment.len() > suffix.len() && segment.starts_with('.') && segment.ends_with(suffix)
    })
}

/// What a conditional write ([`Store::set_if_unchanged`]) expects to find.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected<'a> {
    /// Anything (or nothing): the write is unconditional, but still ordered
    /// with the store's other conditional writes of the key.
    Any,
    /// The key must not exist.
    Missing,
    /// The key must hold exactly these bytes.
    Bytes(&'a [u8]),
}

impl<'a> Expected<'a> {
    /// `Missing` for `None`, `Bytes` for a value: the expectation of a
    /// writer that read `value` and merged with it.
    pub fn from_value(value: Option<&'a [u8]>) -> Self {
        match value {
            Some(b) => Expected::Bytes(b),
            None => Expected::Missing,
        }
    }
    /// True when `current` (the stored value, `None` when missing) satisfies
    /// the expectation.
    pub fn matches(&self, current: Option<&[u8]>) -> bool {
        match (self, current) {
            (Expected::Any, _) | (Expected::Missing, None) => true,
            (Expected::Bytes(want), Some(got)) => *want == got,
            _ => false,
        }
    }
}

/// Check that `key` is a valid store key: relative, `/`-separated, no empty
/// segments (except the empty key for the root), no `.` or `..` segments, no
/// backslashes or NUL bytes, no drive letter, and no segment of the reserved
/// temporary-file form ([`is_temp_name`]).
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    let bad = |reason: &str| {
        Err(StoreError::InvalidKey {
            key: key.to_string(),
            reason: reason.to_string(),
        })
    };
    if key.is_empty() {
        return Ok(());
    }
    if key.starts_with('/') {
        return bad("absolute keys are not allowed");
    }
    if key.contains('\\') || key.contains('\0') {
        return bad("keys may not contain backslashes or NUL");
    }
    for seg in key.split('/') {
        match seg {
            "" => return bad("empty path segment"),
            "." | ".." => return bad("'.' and '..' segments are not allowed"),
            s if is_temp_name(s) => {
                return bad("names of the form '.*.zarr-tmp' or '.*.zarr-lock' are reserved for temporary and lock files")
            }
            _ => {}
        }
    }
    if key.len() >= 2 && key.as_bytes()[1] == b':' {
        return bad("drive-letter paths are not allowed");
    }
    Ok(())
}

/// Check a key that names a value to write or delete: [`validate_key`], and
/// not empty (the empty key is the root, never a value).
pub(crate) fn validate_value_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() {
        return Err(StoreError::InvalidKey {
            key: String::new(),
            reason: "the empty key names the root, not a value".into(),
        });
    }
    validate_key(key)
}

/// Check a plain string prefix (as [`Store::list_prefix`] takes): everything
/// up to its last `/` must be a valid key; the part after it is a partial
/// name and may be anything without `/`, `\\` or NUL.
pub fn validate_prefix(prefix: &str) -> Result<(), StoreError> {
    let (dir, partial) = match prefix.rfind('/') {
        Some(i) => (&prefix[..i], &prefix[i + 1..]),
        None => ("", prefix),
    };
    let bad = |reason: &str| {
        Err(StoreError::InvalidKey {
            key: prefix.to_string(),
            reason: reason.to_string(),
        })
    };
    if prefix.starts_with('/') {
        return bad("absolute prefixes are not allowed");
    }
    if partial.contains('\\') || partial.contains('\0') {
        return bad("prefixes may not contain backslashes or NUL");
    }
    match validate_key(dir) {
        Ok(()) => Ok(()),
        Err(StoreError::InvalidKey { reason, .. }) => bad(&reason),
        Err(e) => Err(e),
    }
}

/// Normalise a directory prefix (as [`Store::list_dir`], [`Store::delete_dir`]
/// and [`Store::is_empty`] take): `""` is the root and stays `""`; otherwise
/// one trailing `/` is optional, the rest must be a valid key, and the result
/// ends with `/`.
pub fn dir_prefix(prefix: &str) -> Result<String, StoreError> {
    if prefix.is_empty() {
        return Ok(String::new());
    }
    let stripped = prefix.strip_suffix('/').unwrap_or(prefix);
    if stripped.is_empty() {
        return Err(StoreError::InvalidKey {
            key: prefix.to_string(),
            reason: "absolute prefixes are not allowed (the root is \"\")".into(),
        });
    }
    match validate_key(stripped) {
        Ok(()) => Ok(format!("{stripped}/")),
        Err(StoreError::InvalidKey { reason, .. }) => Err(StoreError::InvalidKey {
            key: prefix.to_string(),
            reason,
        }),
        Err(e) => Err(e),
    }
}

/// A key-value store for Zarr data (seed 002's `Store`).
///
/// Required methods are the core; the rest have defaults built on them.
/// Implementations must be safe to call from many threads at once.
pub trait Store: Send + Sync + std::fmt::Debug {
    /// Read a value, or part of it. `Ok(None)` when the key does not exist.
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError>;

    /// Store a value, replacing any existing one.
    fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError>;

    /// Store a value only when the key does not exist yet, atomically.
    /// Returns whether the value was written.
    fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError>;

    /// Delete a key. Deleting a missing key is not an error.
    fn delete(&self, key: &str) -> Result<(), StoreError>;

    /// All keys that start with `prefix` (a plain string prefix, as
    /// zarr-python's `list_prefix`; checked by [`validate_prefix`]), sorted.
    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError>;

    /// The immediate children (keys and "directories") of the directory
    /// `prefix` (`"a"` and `"a/"` alike; `""` is the root; checked by
    /// [`dir_prefix`]), without the prefix, sorted and without duplicates.
    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError>;

    /// True when the store refuses writes.
    fn read_only(&self) -> bool;

    /// Read many values or parts of values; one result per request, in order.
    fn get_partial_values(
        &self,
        prototype: &BufferPrototype,
        requests: &[(String, Option<ByteRequest>)],
    ) -> Result<Vec<Option<Buffer>>, StoreError> {
        requests
            .iter()
            .map(|(k, r)| self.get(k, prototype, *r))
            .collect()
    }

    /// True when `key` exists.
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self
            .get(
                key,
                &BufferPrototype::default(),
                Some(ByteRequest::Range { start: 0, end: 0 }),
            )?
            .is_some())
    }

    /// The size in bytes of a value; [`StoreError::NotFound`] when it does
    /// not exist.
    fn getsize(&self, key: &str) -> Result<u64, StoreError> {
        match self.get(key, &BufferPrototype::default(), None)? {
            Some(b) => Ok(b.len() as u64),
            None => Err(StoreError::NotFound {
                key: key.to_string(),
            }),
        }
    }

    /// The total size of every value whose key starts with `prefix` (a plain
    /// string prefix, as [`Store::list_prefix`]). Keys deleted while this
    /// runs are skipped.
    fn getsize_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        let mut total = 0;
        for k in self.list_prefix(prefix)? {
            match self.getsize(&k) {
                Ok(n) => total += n,
                Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }

    /// Every key in the store, sorted.
    fn list(&self) -> Result<Vec<String>, StoreError> {
        self.list_prefix("")
    }

    /// Delete every key under the directory `prefix` (`prefix/...`; `""` is
    /// the whole store). A key equal to `prefix` itself is kept.
    fn delete_dir(&self, prefix: &str) -> Result<(), StoreError> {
        if self.read_only() {
            return Err(StoreError::ReadOnly {
                operation: "delete",
                key: prefix.to_string(),
            });
        }
        let p = dir_prefix(prefix)?;
        for k in self.list_prefix(&p)? {
            self.delete(&k)?;
        }
        Ok(())
    }

    /// True when the directory `prefix` holds no keys (`""`: the store is
    /// empty).
    fn is_empty(&self, prefix: &str) -> Result<bool, StoreError> {
        let p = dir_prefix(prefix)?;
        Ok(self.list_prefix(&p)?.is_empty())
    }

    /// Finish with the store: write what is buffered (a [`ZipStore`]'s
    /// central directory) and report any error. Most stores have nothing to
    /// do. Call it after writing to a store that may be a zip archive.
    fn close(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// True when the store accepts writes (when not read-only).
    fn supports_writes(&self) -> bool {
        true
    }
    /// True when the store can delete keys.
    fn supports_deletes(&self) -> bool {
        true
    }
    /// True when the store can list keys.
    fn supports_listing(&self) -> bool {
        true
    }
    /// True when the store can write part of a value in place.
    fn supports_partial_writes(&self) -> bool {
        false
    }

    /// Conditional write (compare-and-swap): store `value` at `key` (or
    /// delete the key when `value` is `None`) only when the key's current
    /// value satisfies `expected`, atomically with respect to every other
    /// `set_if_unchanged` of the key, from any thread and, where the store
    /// says so ([`LocalStore`]), from any process. Returns whether the write
    /// happened. Plain [`Store::set`] and [`Store::delete`] do not take part.
    ///
    /// The default refuses with [`StoreError::Unsupported`]; stores that
    /// implement it return true from [`Store::supports_conditional_writes`].
    ///
    /// ```
    /// use zarr::store::{Expected, MemoryStore, Store};
    /// let s = MemoryStore::new();
    /// assert!(s.set_if_unchanged("k", Expected::Missing, Some(b"a".to_vec().into())).unwrap());
    /// assert!(!s.set_if_unchanged("k", Expected::Bytes(b"b"), Some(b"c".to_vec().into())).unwrap());
    /// assert!(s.set_if_unchanged("k", Expected::Bytes(b"a"), None).unwrap());
    /// assert!(!s.exists("k").unwrap());
    /// ```
    fn set_if_unchanged(
        &self,
        key: &str,
        expected: Expected<'_>,
        value: Option<Buffer>,
    ) -> Result<bool, StoreError> {
        let _ = (expected, value);
        Err(StoreError::Unsupported {
            store: format!("{} (key {key:?})", std::any::type_name::<Self>()),
            operation: "conditional writes",
        })
    }

    /// True when [`Store::set_if_unchanged`] is implemented.
    fn supports_conditional_writes(&self) -> bool {
        false
    }

    /// True when the store can hold consolidated metadata (zarr-python's
    /// `supports_consolidated_metadata`; default true). Consolidating into a
    /// store that says false is an error, and opening one never uses
    /// consolidated metadata.
    fn supports_consolidated_metadata(&self) -> bool {
        true
    }

    /// Take the exclusive lock of the node at `path` (a node path, `""`
    /// for the root) that writers replacing the node hold (see
    /// [`NodeLock`]), waiting up to [`lock_timeout`] for another writer's;
    /// then [`StoreError::Locked`]. `Ok(None)` (the default) when the store
    /// has no such locks: concurrent replacements of one node are then not
    /// serialised. [`LocalStore`] locks across processes (`flock` on a
    /// lock file beside the node's folder, or on the root folder itself).
    fn lock_node(&self, path: &str) -> Result<Option<NodeLock>, StoreError> {
        let _ = path;
        Ok(None)
    }

    /// Where the store keeps its data, when it can tell: copies and
    /// conversions compare locations so that two store objects over the same
    /// storage (`S` and `file://S`, a folder and a link to it) are never
    /// treated as independent. `None` (the default) when unknown; such
    /// stores are compared by object identity.
    fn location(&self) -> Option<StoreLocation> {
        None
    }
}

/// A shared, dynamically typed store.
pub type StoreRef = Arc<dyn Store>;

/// Open a read-only view of a store.
pub fn with_read_only(store: StoreRef) -> StoreRef {
    Arc::new(ReadOnlyStore::new(store))
}
