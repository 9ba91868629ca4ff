//! [`ObjectStore`]: Zarr keys in object storage (S3, Google Cloud Storage,
//! Azure Blob Storage) or on a plain HTTP(S) server, through the
//! `object_store` crate.
//!
//! The store is asynchronous at heart ([`AsyncStore`]); its blocking
//! [`Store`] methods run each request on a shared internal tokio runtime and
//! wait for it, so they work from plain threads and from inside another
//! tokio runtime alike.
//!
//! * Byte requests map onto ranged GETs. A server that ignores `Range`
//!   (answers `200` with the whole object) is detected: the store then reads
//!   whole objects and takes the slice itself.
//! * [`Store::get_partial_values`] runs its requests concurrently, at most
//!   [`ObjectStoreOptions::concurrency`] at once.
//! * Transient failures (connection errors, `5xx`, throttling) are retried
//!   with exponential backoff ([`ObjectStoreOptions::retry`]).
//! * [`Store::set_if_not_exists`] is a create-only conditional put
//!   (`If-None-Match: *` on S3).
//! * [`Store::set_if_unchanged`] is a compare-and-swap on the object's ETag
//!   (or generation): read the value with its ETag, compare it with
//!   [`Expected`], then put with `If-Match`. Two corners are not atomic on
//!   object storage and are documented there.

mod config;
mod runtime;

pub use config::{
    ObjectStoreOptions, DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_VALUE_SIZE, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_TIMEOUT,
};

use super::{
    dir_prefix, validate_key, validate_prefix, validate_value_key, AsyncStore, BoxFuture,
    ByteRequest, Expected, Store, StoreError,
};
use crate::buffer::{Buffer, BufferPrototype};
use bytes::{Bytes, BytesMut};
use futures::{StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{
    GetOptions, GetRange, ObjectStore as Backend, ObjectStoreExt, PutMode, PutOptions, PutPayload,
    UpdateVersion,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A store over object storage or an HTTP server (see the module docs).
///
/// Open one with [`open_store`](super::open_store) (`s3://bucket/prefix`,
/// `gs://`, `az://`, `http(s)://`), with [`ObjectStore::from_url`], or wrap
/// any `object_store` backend with [`ObjectStore::new`]:
///
/// ```
/// use std::sync::Arc;
/// use zarr::store::{ObjectStore, ObjectStoreOptions, Store};
/// use zarr::buffer::BufferPrototype;
/// let backend = Arc::new(object_store::memory::InMemory::new());
/// let store = ObjectStore::new(backend, "data/a.zarr", ObjectStoreOptions::default()).unwrap();
/// store.set("zarr.json", b"{}".to_vec().into()).unwrap();
/// assert!(!store.set_if_not_exists("zarr.json", b"[]".to_vec().into()).unwrap());
/// let got = store.get("zarr.json", &BufferPrototype::default(), None).unwrap();
/// assert_eq!(got.as_deref(), Some(&b"{}"[..]));
/// assert_eq!(store.list().unwrap(), vec!["zarr.json".to_string()]);
/// ```
#[derive(Debug, Clone)]
pub struct ObjectStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    backend: Arc<dyn Backend>,
    /// The store's root inside the backend: `""` or `a/b` (no slashes at
    /// either end).
    root: String,
    /// A name for errors (`s3://bucket/prefix`).
    name: String,
    options: ObjectStoreOptions,
    /// Set once a server answered a ranged GET with the whole object.
    ranges_ignored: AtomicBool,
}

impl ObjectStore {
    /// A store rooted at `root` (a key prefix, `""` for the whole backend)
    /// of an `object_store` backend.
    pub fn new(
        backend: Arc<dyn Backend>,
        root: &str,
        options: ObjectStoreOptions,
    ) -> Result<Self, StoreError> {
        let root = root.trim_matches('/');
        validate_key(root)?;
        let name = format!("{backend}/{root}");
        Ok(Self::with_name(backend, root, name, options))
    }

    fn with_name(
        backend: Arc<dyn Backend>,
        root: &str,
        name: String,
        options: ObjectStoreOptions,
    ) -> Self {
        ObjectStore {
            inner: Arc::new(Inner {
                backend,
                root: root.to_string(),
                name,
                options,
                ranges_ignored: AtomicBool::new(false),
            }),
        }
    }

    /// The same store with another read-only setting.
    pub fn with_read_only(&self, read_only: bool) -> Self {
        let mut options = self.inner.options.clone();
        options.read_only = read_only;
        ObjectStore::with_name(
            Arc::clone(&self.inner.backend),
            &self.inner.root,
            self.inner.name.clone(),
            options,
        )
    }

    /// The options the store was opened with.
    pub fn options(&self) -> &ObjectStoreOptions {
        &self.inner.options
    }

    /// The key prefix inside the backend that this store is rooted at.
    pub fn root(&self) -> &str {
        &self.inner.root
    }

    /// The bucket (the store's name without its root) and the root.
    fn location_of_root(&self) -> crate::store::StoreLocation {
        let root = &self.inner.root;
        let name = &self.inner.name;
        let service = name
            .strip_suffix(root.as_str())
            .unwrap_or(name)
            .trim_end_matches('/');
        crate::store::StoreLocation::Object {
            service: service.to_string(),
            prefix: root.clone(),
        }
    }

    /// Run a request on the shared runtime and wait for it.
    fn block<T, F>(&self, f: impl FnOnce(Arc<Inner>) -> F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        runtime::block_on(f(Arc::clone(&self.inner)))
    }

    /// Run a request on the shared runtime and await it.
    fn spawn<'a, T, F>(
        &'a self,
        f: impl FnOnce(Arc<Inner>) -> F,
    ) -> BoxFuture<'a, Result<T, StoreError>>
    where
        T: Send + 'static,
        F: std::future::Future<Output = Result<T, StoreError>> + Send + 'static,
    {
        let fut = f(Arc::clone(&self.inner));
        Box::pin(runtime::spawn(fut))
    }
}

/// True when a "not found" error is the server saying that the bucket (or
/// container) itself does not exist, not just the key.
fn is_missing_bucket(e: &object_store::Error) -> bool {
    let text = format!("{e:?}");
    [
        "NoSuchBucket",
        "ContainerNotFound",
        "The specified bucket does not exist",
    ]
    .iter()
    .any(|t| text.contains(t))
}

/// The error for a request answered "no such bucket".
fn missing_bucket(name: &str, key: &str) -> StoreError {
    StoreError::Other {
        key: key.to_string(),
        message: format!("{name}: the bucket does not exist"),
    }
}

/// Map an `object_store` error to a [`StoreError`] naming `key`.
fn remote_error(name: &str, key: &str, e: object_store::Error) -> StoreError {
    match e {
        ref nf @ object_store::Error::NotFound { .. } if is_missing_bucket(nf) => {
            missing_bucket(name, key)
        }
        object_store::Error::NotFound { .. } => StoreError::NotFound {
            key: key.to_string(),
        },
        object_store::Error::NotImplemented { operation, .. } => StoreError::Unsupported {
            store: name.to_string(),
            operation: if operation.contains("Create") {
                "create-only writes (set_if_not_exists)"
            } else if operation.contains("Update") {
                "conditional writes"
            } else {
                "this operation"
            },
        },
        other => StoreError::Remote {
            store: name.to_string(),
            key: key.to_string(),
            source: Box::new(other),
        },
    }
}

/// True for the error `object_store` gives when a server answered a ranged
/// GET with `200` and the whole object.
fn is_not_partial(e: &object_store::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.to_string().contains("non-partial response") {
            return true;
        }
        source = s.source();
    }
    false
}

impl Inner {
    fn read_only_error(&self, operation: &'static str, key: &str) -> StoreError {
        StoreError::ReadOnly {
            operation,
            key: key.to_string(),
        }
    }

    fn check_writable(&self, operation: &'static str, key: &str) -> Result<(), StoreError> {
        if self.options.read_only {
            return Err(self.read_only_error(operation, key));
        }
        validate_value_key(key)
    }

    /// The backend path of a (validated) key or prefix.
    fn path(&self, key: &str) -> Result<Path, StoreError> {
        let full = match (self.root.is_empty(), key.is_empty()) {
            (true, _) => key.to_string(),
            (false, true) => self.root.clone(),
            (false, false) => format!("{}/{key}", self.root),
        };
        Path::parse(&full).map_err(|e| StoreError::InvalidKey {
            key: key.to_string(),
            reason: e.to_string(),
        })
    }

    /// The key of a backend path under the root, if it is one.
    fn key_of(&self, path: &Path) -> Option<String> {
        let p: &str = path.as_ref();
        if self.root.is_empty() {
            return Some(p.to_string());
        }
        p.strip_prefix(self.root.as_str())
            .and_then(|rest| rest.strip_prefix('/'))
            .filter(|rest| !rest.is_empty())
            .map(str::to_string)
    }

    fn err(&self, key: &str, e: object_store::Error) -> StoreError {
        remote_error(&self.name, key, e)
    }

    /// Collect a GET's body, refusing more than the configured maximum
    /// (a server cannot make us allocate more than it actually sends, nor
    /// more than the limit).
    async fn collect(
        &self,
        key: &str,
        result: object_store::GetResult,
    ) -> Result<Bytes, StoreError> {
        let max = self.options.max_value_size;
        let announced = result.range.end.saturating_sub(result.range.start);
        let too_big = |n: u64| StoreError::Other {
            key: key.to_string(),
            message: format!(
                "value of {n} bytes exceeds the store's limit of {max} bytes \
                 (ObjectStoreOptions::max_value_size)"
            ),
        };
        if announced > max {
            return Err(too_big(announced));
        }
        let mut out = BytesMut::with_capacity(announced.min(64 << 20) as usize);
        let mut stream = result.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.err(key, e))?;
            if out.len() as u64 + chunk.len() as u64 > max {
                return Err(too_big(out.len() as u64 + chunk.len() as u64));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out.freeze())
    }

    /// GET a whole value with its version; `None` when missing.
    async fn get_versioned(&self, key: &str) -> Result<Option<(Bytes, UpdateVersion)>, StoreError> {
        let path = self.path(key)?;
        match self.backend.get_opts(&path, GetOptions::default()).await {
            Ok(result) => {
                let version = UpdateVersion {
                    e_tag: result.meta.e_tag.clone(),
                    version: result.meta.version.clone(),
                };
                Ok(Some((self.collect(key, result).await?, version)))
            }
            Err(e @ object_store::Error::NotFound { .. }) if is_missing_bucket(&e) => {
                Err(missing_bucket(&self.name, key))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err(key, e)),
        }
    }

    /// The whole value, then the part `range` asks for.
    async fn get_sliced(
        &self,
        key: &str,
        range: Option<ByteRequest>,
    ) -> Result<Option<Bytes>, StoreError> {
        Ok(self.get_versioned(key).await?.map(|(v, _)| match range {
            None => v,
            Some(r) => {
                let rr = r.resolve(v.len() as u64);
                v.slice(rr.start as usize..rr.end as usize)
            }
        }))
    }

    async fn get(
        &self,
        key: &str,
        range: Option<ByteRequest>,
    ) -> Result<Option<Bytes>, StoreError> {
        validate_key(key)?;
        if key.is_empty() {
            // The root is never a value.
            return Ok(None);
        }
        let get_range = match range {
            None => return self.get_sliced(key, None).await,
            Some(ByteRequest::Range { start, end }) if end <= start => {
                return Ok(self.exists(key).await?.then(Bytes::new))
            }
            Some(ByteRequest::Suffix(0)) => return Ok(self.exists(key).await?.then(Bytes::new)),
            Some(ByteRequest::Range { start, end }) => GetRange::Bounded(start..end),
            Some(ByteRequest::Offset(o)) => GetRange::Offset(o),
            Some(ByteRequest::Suffix(n)) => GetRange::Suffix(n),
        };
        if self.ranges_ignored.load(Ordering::Relaxed) {
            return self.get_sliced(key, range).await;
        }
        let path = self.path(key)?;
        let options = GetOptions {
            range: Some(get_range),
            ..GetOptions::default()
        };
        match self.backend.get_opts(&path, options).await {
            Ok(result) => Ok(Some(self.collect(key, result).await?)),
            Err(e @ object_store::Error::NotFound { .. }) if is_missing_bucket(&e) => {
                Err(missing_bucket(&self.name, key))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => {
                if is_not_partial(&e) {
                    // The server ignores Range: read whole objects from now on.
                    self.ranges_ignored.store(true, Ordering::Relaxed);
                }
                // A range the server cannot satisfy (past the end, or any
                // range of an empty object) or a server that ignores ranges:
                // the whole value answers every request.
                self.get_sliced(key, range).await
            }
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, StoreError> {
        match self.head(key).await {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The metadata of a value; [`StoreError::NotFound`] when missing.
    async fn head(&self, key: &str) -> Result<object_store::ObjectMeta, StoreError> {
        validate_key(key)?;
        if key.is_empty() {
            return Err(StoreError::NotFound { key: String::new() });
        }
        let path = self.path(key)?;
        self.backend.head(&path).await.map_err(|e| self.err(key, e))
    }

    async fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError> {
        self.check_writable("set", key)?;
        let path = self.path(key)?;
        self.backend
            .put(&path, PutPayload::from(value.into_bytes()))
            .await
            .map(|_| ())
            .map_err(|e| self.err(key, e))
    }

    async fn put_mode(&self, key: &str, value: Buffer, mode: PutMode) -> Result<bool, StoreError> {
        let path = self.path(key)?;
        let options = PutOptions {
            mode,
            ..PutOptions::default()
        };
        match self
            .backend
            .put_opts(&path, PutPayload::from(value.into_bytes()), options)
            .await
        {
            Ok(_) => Ok(true),
            Err(
                object_store::Error::AlreadyExists { .. }
                | object_store::Error::Precondition { .. },
            ) => Ok(false),
            // A CAS on a value deleted meanwhile.
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.err(key, e)),
        }
    }

    async fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError> {
        self.check_writable("set", key)?;
        self.put_mode(key, value, PutMode::Create).await
    }

    async fn set_if_unchanged(
        &self,
        key: &str,
        expected: Expected<'_>,
        value: Option<Buffer>,
    ) -> Result<bool, StoreError> {
        self.check_writable("set", key)?;
        if !self.options.conditional_writes {
            return Err(StoreError::Unsupported {
                store: self.name.clone(),
                operation: "conditional writes",
            });
        }
        match (expected, value) {
            (Expected::Any, Some(v)) => self.set(key, v).await.map(|_| true),
            (Expected::Any, None) => self.delete(key).await.map(|_| true),
            (Expected::Missing, Some(v)) => self.put_mode(key, v, PutMode::Create).await,
            // Deleting a missing key changes nothing: the answer is whether it
            // is missing now.
            (Expected::Missing, None) => Ok(!self.exists(key).await?),
            (Expected::Bytes(want), value) => {
                let Some((current, version)) = self.get_versioned(key).await? else {
                    return Ok(false);
                };
                if current[..] != *want {
                    return Ok(false);
                }
                match value {
                    Some(v) => self.put_mode(key, v, PutMode::Update(version)).await,
                    // Object storage has no conditional delete here: the value
                    // was checked, then it is deleted. A write that lands
                    // between the two is lost (documented on the trait impl).
                    None => self.delete(key).await.map(|_| true),
                }
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.check_writable("delete", key)?;
        let path = self.path(key)?;
        match self.backend.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err(key, e)),
        }
    }

    async fn delete_dir(&self, prefix: &str) -> Result<(), StoreError> {
        if self.options.read_only {
            return Err(self.read_only_error("delete", prefix));
        }
        let p = dir_prefix(prefix)?;
        let keys = self.list_prefix(&p).await?;
        // Collected first: a lazy `map` closure in the stream trips rustc's
        // `Send` inference for higher-ranked lifetimes.
        let deletes: Vec<_> = keys.iter().map(|k| self.delete(k)).collect();
        futures::stream::iter(deletes)
            .buffer_unordered(self.options.concurrency.max(1))
            .try_collect::<Vec<()>>()
            .await
            .map(|_| ())
    }

    /// Every object (key and size) whose key starts with `prefix`, sorted.
    async fn list_meta(&self, prefix: &str) -> Result<Vec<(String, u64)>, StoreError> {
        validate_prefix(prefix)?;
        if !self.options.listing {
            return Err(StoreError::Unsupported {
                store: self.name.clone(),
                operation: "listing (an HTTP server cannot list keys)",
            });
        }
        // object_store lists "directories": list the one holding the prefix,
        // then filter by the partial name.
        let dir = match prefix.rfind('/') {
            Some(i) => &prefix[..i],
            None => "",
        };
        let dir_path = self.path(dir)?;
        let dir_path = (!dir_path.as_ref().is_empty()).then_some(dir_path);
        let mut out = Vec::new();
        let mut stream = self.backend.list(dir_path.as_ref());
        while let Some(meta) = stream.next().await {
            let meta = meta.map_err(|e| self.err(prefix, e))?;
            if let Some(k) = self.key_of(&meta.location) {
                if k.starts_with(prefix) && validate_key(&k).is_ok() {
                    out.push((k, meta.size));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    async fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .list_meta(prefix)
            .await?
            .into_iter()
            .map(|(k, _)| k)
            .collect())
    }

    async fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let p = dir_prefix(prefix)?;
        if !self.options.listing {
            return Err(StoreError::Unsupported {
                store: self.name.clone(),
                operation: "listing (an HTTP server cannot list keys)",
            });
        }
        let dir = p.strip_suffix('/').unwrap_or(&p);
        let dir_path = self.path(dir)?;
        let dir_path = (!dir_path.as_ref().is_empty()).then_some(dir_path);
        let listing = self
            .backend
            .list_with_delimiter(dir_path.as_ref())
            .await
            .map_err(|e| self.err(prefix, e))?;
        let mut names: Vec<String> = listing
            .common_prefixes
            .iter()
            .chain(listing.objects.iter().map(|m| &m.location))
            .filter_map(|path| self.key_of(path))
            .filter_map(|k| k.strip_prefix(p.as_str()).map(str::to_string))
            .filter(|name| !name.is_empty() && !name.contains('/'))
            .collect();
        names.sort();
        names.dedup();
        Ok(names)
    }

    async fn getsize(&self, key: &str) -> Result<u64, StoreError> {
        self.head(key).await.map(|m| m.size)
    }

    async fn getsize_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        Ok(self.list_meta(prefix).await?.iter().map(|(_, n)| n).sum())
    }

    async fn is_empty(&self, prefix: &str) -> Result<bool, StoreError> {
        let p = dir_prefix(prefix)?;
        Ok(self.list_meta(&p).await?.is_empty())
    }

    async fn get_partial_values(
        &self,
        requests: &[(String, Option<ByteRequest>)],
    ) -> Result<Vec<Option<Bytes>>, StoreError> {
        for (k, _) in requests {
            validate_key(k)?;
        }
        let gets: Vec<_> = requests.iter().map(|(k, r)| self.get(k, *r)).collect();
        futures::stream::iter(gets)
            .buffered(self.options.concurrency.max(1))
            .try_collect()
            .await
    }
}

impl AsyncStore for ObjectStore {
    fn location(&self) -> Option<crate::store::StoreLocation> {
        Some(self.location_of_root())
    }
    fn get<'a>(
        &'a self,
        key: &'a str,
        prototype: &'a BufferPrototype,
        range: Option<ByteRequest>,
    ) -> BoxFuture<'a, Result<Option<Buffer>, StoreError>> {
        let key = key.to_string();
        let prototype = prototype.clone();
        self.spawn(move |s| async move {
            let v = s.get(&key, range).await?;
            Ok(v.map(|b| prototype.buffer_from_bytes(b)))
        })
    }
    fn set<'a>(&'a self, key: &'a str, value: Buffer) -> BoxFuture<'a, Result<(), StoreError>> {
        let key = key.to_string();
        self.spawn(move |s| async move { s.set(&key, value).await })
    }
    fn set_if_not_exists<'a>(
        &'a self,
        key: &'a str,
        value: Buffer,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let key = key.to_string();
        self.spawn(move |s| async move { s.set_if_not_exists(&key, value).await })
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        let key = key.to_string();
        self.spawn(move |s| async move { s.delete(&key).await })
    }
    fn delete_dir<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        let prefix = prefix.to_string();
        self.spawn(move |s| async move { s.delete_dir(&prefix).await })
    }
    fn list_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        let prefix = prefix.to_string();
        self.spawn(move |s| async move { s.list_prefix(&prefix).await })
    }
    fn list_dir<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        let prefix = prefix.to_string();
        self.spawn(move |s| async move { s.list_dir(&prefix).await })
    }
    fn exists<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let key = key.to_string();
        self.spawn(move |s| async move { s.exists(&key).await })
    }
    fn getsize<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<u64, StoreError>> {
        let key = key.to_string();
        self.spawn(move |s| async move { s.getsize(&key).await })
    }
    fn getsize_prefix<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<u64, StoreError>> {
        let prefix = prefix.to_string();
        self.spawn(move |s| async move { s.getsize_prefix(&prefix).await })
    }
    fn is_empty<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<bool, StoreError>> {
        let prefix = prefix.to_string();
        self.spawn(move |s| async move { s.is_empty(&prefix).await })
    }
    fn read_only(&self) -> bool {
        self.inner.options.read_only
    }
    fn set_if_unchanged<'a>(
        &'a self,
        key: &'a str,
        expected: Expected<'a>,
        value: Option<Buffer>,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let key = key.to_string();
        let owned = OwnedExpected::from(expected);
        self.spawn(
            move |s| async move { s.set_if_unchanged(&key, owned.as_expected(), value).await },
        )
    }
    fn supports_conditional_writes(&self) -> bool {
        Store::supports_conditional_writes(self)
    }
}

/// [`Expected`] with its bytes owned, to move into a spawned task.
enum OwnedExpected {
    Any,
    Missing,
    Bytes(Vec<u8>),
}

impl From<Expected<'_>> for OwnedExpected {
    fn from(e: Expected<'_>) -> Self {
        match e {
            Expected::Any => OwnedExpected::Any,
            Expected::Missing => OwnedExpected::Missing,
            Expected::Bytes(b) => OwnedExpected::Bytes(b.to_vec()),
        }
    }
}

impl OwnedExpected {
    fn as_expected(&self) -> Expected<'_> {
        match self {
            OwnedExpected::Any => Expected::Any,
            OwnedExpected::Missing => Expected::Missing,
            OwnedExpected::Bytes(b) => Expected::Bytes(b),
        }
    }
}

/// The blocking twin: every call runs on the shared runtime (see the module
/// docs).
///
/// [`Store::set_if_unchanged`] is a compare-and-swap on the object's ETag,
/// atomic against other writers of the same key when the value is replaced.
/// Two corners are not atomic, as object storage offers no conditional
/// delete through `object_store`: deleting with `Expected::Bytes` checks the
/// value, then deletes it (a write landing in between is deleted too), and
/// `Expected::Any` is a plain put or delete.
impl Store for ObjectStore {
    fn location(&self) -> Option<crate::store::StoreLocation> {
        Some(self.location_of_root())
    }
    fn get(
        &self,
        key: &str,
        prototype: &BufferPrototype,
        range: Option<ByteRequest>,
    ) -> Result<Option<Buffer>, StoreError> {
        let key = key.to_string();
        let v = self.block(move |s| async move { s.get(&key, range).await })?;
        Ok(v.map(|b| prototype.buffer_from_bytes(b)))
    }
    fn set(&self, key: &str, value: Buffer) -> Result<(), StoreError> {
        let key = key.to_string();
        self.block(move |s| async move { s.set(&key, value).await })
    }
    fn set_if_not_exists(&self, key: &str, value: Buffer) -> Result<bool, StoreError> {
        let key = key.to_string();
        self.block(move |s| async move { s.set_if_not_exists(&key, value).await })
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let key = key.to_string();
        self.block(move |s| async move { s.delete(&key).await })
    }
    fn list_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let prefix = prefix.to_string();
        self.block(move |s| async move { s.list_prefix(&prefix).await })
    }
    fn list_dir(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let prefix = prefix.to_string();
        self.block(move |s| async move { s.list_dir(&prefix).await })
    }
    fn read_only(&self) -> bool {
        self.inner.options.read_only
    }
    fn get_partial_values(
        &self,
        prototype: &BufferPrototype,
        requests: &[(String, Option<ByteRequest>)],
    ) -> Result<Vec<Option<Buffer>>, StoreError> {
        let requests = requests.to_vec();
        let got = self.block(move |s| async move { s.get_partial_values(&requests).await })?;
        Ok(got
            .into_iter()
            .map(|v| v.map(|b| prototype.buffer_from_bytes(b)))
            .collect())
    }
    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        let key = key.to_string();
        self.block(move |s| async move { s.exists(&key).await })
    }
    fn getsize(&self, key: &str) -> Result<u64, StoreError> {
        let key = key.to_string();
        self.block(move |s| async move { s.getsize(&key).await })
    }
    fn getsize_prefix(&self, prefix: &str) -> Result<u64, StoreError> {
        let prefix = prefix.to_string();
        self.block(move |s| async move { s.getsize_prefix(&prefix).await })
    }
    fn delete_dir(&self, prefix: &str) -> Result<(), StoreError> {
        let prefix = prefix.to_string();
        self.block(move |s| async move { s.delete_dir(&prefix).await })
    }
    fn is_empty(&self, prefix: &str) -> Result<bool, StoreError> {
        let prefix = prefix.to_string();
        self.block(move |s| async move { s.is_empty(&prefix).await })
    }
    fn supports_writes(&self) -> bool {
        !self.inner.options.read_only
    }
    fn supports_deletes(&self) -> bool {
        !self.inner.options.read_only
    }
    fn supports_listing(&self) -> bool {
        self.inner.options.listing
    }
    fn set_if_unchanged(
        &self,
        key: &str,
        expected: Expected<'_>,
        value: Option<Buffer>,
    ) -> Result<bool, StoreError> {
        let key = key.to_string();
        let owned = OwnedExpected::from(expected);
        self.block(
            move |s| async move { s.set_if_unchanged(&key, owned.as_expected(), value).await },
        )
    }
    fn supports_conditional_writes(&self) -> bool {
        !self.inner.options.read_only && self.inner.options.conditional_writes
    }
}
