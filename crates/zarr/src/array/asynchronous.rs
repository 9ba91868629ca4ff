//! [`AsyncArray`]: the async front end over the same engine as [`Array`].
//! Chunk fetches run concurrently (bounded); decoding and encoding run in
//! parallel on rayon inside tokio's blocking pool, so the reactor never stalls.

use super::builder::ArrayBuilder;
use super::core::{self, ArrayCore};
use super::engine::{lock_key_async, ChunkWrite, OutPtr, ShardReadPlan};
use super::error::{ArrayError, Result};
use super::meta;
use super::{Array, ArrayConfig};
use crate::buffer::Buffer;
use crate::chunk::{ChunkProjection, Selection};
use crate::codec::VarBytes;
use crate::dtype::{DataType, Element};
use crate::metadata::{ArrayMetadata, ArrayMetadataV2};
use crate::store::{AsyncStore, Expected};
use futures::stream::{self, StreamExt, TryStreamExt};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::sync::Arc;

/// What [`AsyncArray::fetch_fixed`] fetched for one projection.
enum Fetched {
    /// The whole chunk or shard (`None`: missing).
    Whole(Option<Buffer>),
    /// Part of a shard: the plan and one buffer per planned request.
    Part(ShardReadPlan, Vec<Option<Buffer>>),
}

/// How many chunk requests are in flight at once by default.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// Run CPU-bound work off the async reactor: on tokio's blocking pool inside
/// a runtime, inline otherwise.
async fn run_cpu<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    if tokio::runtime::Handle::try_current().is_ok() {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| ArrayError::Task(e.to_string()))?
    } else {
        f()
    }
}

/// A Zarr V3 array over an [`AsyncStore`].
///
/// Reads plan exactly as [`Array`]'s do: part of a shard fetches its index
/// with one range request and then only the inner chunks it needs (merged
/// ranges, fetched concurrently); whole shards decode inner chunk by inner
/// chunk straight into the output.
///
/// # Concurrent writes
///
/// Writes give the guarantee of [`Array`]'s (see its "Concurrent writes"):
/// a write that covers part of a chunk or shard merges with the stored
/// object and stores the result only if that object is unchanged, else
/// merges again. On stores with conditional writes
/// ([`AsyncStore::supports_conditional_writes`], e.g. a
/// [`SyncToAsync`](crate::store::SyncToAsync) over a `LocalStore` or
/// `MemoryStore`) the check and the store are one
/// [`AsyncStore::set_if_unchanged`], which coordinates writers across tasks,
/// threads and processes; on other stores they happen under the in-process
/// per-key lock that blocking [`Array`] writers share. Concurrent tasks
/// writing disjoint regions of one shard, alone or mixed with blocking
/// writers, never lose a write.
///
/// ```
/// use std::sync::Arc;
/// use zarr::array::{ArrayBuilder, AsyncArray};
/// use zarr::chunk::Selection;
/// use zarr::dtype::DataType;
/// use zarr::store::{MemoryStore, SyncToAsync};
/// let rt = tokio::runtime::Runtime::new().unwrap();
/// rt.block_on(async {
///     let store = Arc::new(SyncToAsync::new(Arc::new(MemoryStore::new())));
///     let b = ArrayBuilder::new(vec![10], DataType::UInt8).chunks(vec![4]);
///     let a = AsyncArray::create(&b, store.clone(), "x").await.unwrap();
///     a.write_slice(&Selection::all(), (0..10u8).collect()).await.unwrap();
///     let a = AsyncArray::open(store, "x").await.unwrap();
///     assert_eq!(a.read_vec::<u8>(&"2:5".parse().unwrap()).await.unwrap(), vec![2, 3, 4]);
/// });
/// ```
#[derive(Clone, Debug)]
pub struct AsyncArray {
    store: Arc<dyn AsyncStore>,
    core: ArrayCore,
    concurrency: usize,
}

impl AsyncArray {
    /// Open the array at `path`.
    pub async fn open(store: Arc<dyn AsyncStore>, path: &str) -> Result<Self> {
        Self::open_with_config(store, path, ArrayConfig::default()).await
    }

    /// Open the array at `path` with runtime settings.
    pub async fn open_with_config(
        store: Arc<dyn AsyncStore>,
        path: &str,
        config: ArrayConfig,
    ) -> Result<Self> {
        let core = meta::open(store.as_ref(), path, config).await?;
        Ok(Self::from_core(store, core))
    }

    /// An array over its store and core.
    pub(crate) fn from_core(store: Arc<dyn AsyncStore>, core: ArrayCore) -> Self {
        AsyncArray {
            store,
            core,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }

    core::array_accessors!(Arc<dyn AsyncStore>);

    async fn store_metadata(&self) -> Result<()> {
        meta::store_documents(self.store.as_ref(), &self.core).await
    }

    /// Create an array as `builder` describes (see [`ArrayBuilder::create`]).
    pub async fn create(
        builder: &ArrayBuilder,
        store: Arc<dyn AsyncStore>,
        path: &str,
    ) -> Result<Self> {
        let core = meta::create(builder, store.as_ref(), path).await?;
        Ok(Self::from_core(store, core))
    }

    /// An array over already-parsed metadata.
    pub fn from_metadata(
        store: Arc<dyn AsyncStore>,
        path: &str,
        metadata: ArrayMetadata,
        config: ArrayConfig,
    ) -> Result<Self> {
        Ok(AsyncArray {
            store,
            core: ArrayCore::new(path, metadata, config)?,
            concurrency: DEFAULT_CONCURRENCY,
        })
    }

    /// An array over already-parsed V2 metadata and its engine form
    /// ([`ArrayMetadataV2::to_v3`]); nothing is written.
    pub(crate) fn from_metadata_v2(
        store: Arc<dyn AsyncStore>,
        path: &str,
        v2: ArrayMetadataV2,
        metadata: ArrayMetadata,
        config: ArrayConfig,
    ) -> Result<Self> {
        Ok(AsyncArray {
            store,
            core: ArrayCore::new_v2(path, v2, metadata, config)?,
            concurrency: DEFAULT_CONCURRENCY,
        })
    }

    /// Set how many chunk requests may be in flight at once.
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    fn check_type<T: Element>(&self) -> Result<()> {
        self.core.check_type::<T>()
    }

    /// Fetch a batch of chunks concurrently.
    async fn fetch(
        &self,
        batch: &[ChunkProjection],
        only_partial: bool,
    ) -> Result<Vec<(String, Option<Buffer>)>> {
        // Owned items only: closures over borrowed items make the future
        // not provably `Send` (it could not be spawned).
        let items: Vec<(String, bool)> = batch
            .iter()
            .map(|p| {
                (
                    self.core.engine.chunk_key(&p.chunk_coords),
                    only_partial && self.core.engine.is_complete(p),
                )
            })
            .collect();
        stream::iter(items.into_iter().map(|(key, skip)| async move {
            let v = if skip {
                None
            } else {
                self.store
                    .get(&key, &self.core.config.prototype, None)
                    .await?
            };
            Ok::<_, ArrayError>((key, v))
        }))
        .buffered(self.concurrency)
        .try_collect()
        .await
    }

    /// Fetch what reading `p` of a fixed-size array needs: the chunk or
    /// whole shard, or, for part of a shard, its index (one range request)
    /// and then only the inner chunks `p` touches (merged ranges, fetched
    /// concurrently), planned as the blocking [`Array`] plans them.
    async fn fetch_fixed(&self, p: &ChunkProjection) -> Result<(String, Fetched)> {
        let key = self.core.engine.chunk_key(&p.chunk_coords);
        let prototype = &self.core.config.prototype;
        let sh = match &self.core.engine.sharded {
            Some(sh) if !self.core.engine.is_complete(p) => sh,
            _ => {
                let v = self.store.get(&key, prototype, None).await?;
                return Ok((key, Fetched::Whole(v)));
            }
        };
        let Some(index_bytes) = self
            .store
            .get(&key, prototype, Some(sh.index_request()))
            .await?
        else {
            return Ok((key, Fetched::Whole(None)));
        };
        let index = sh.decode_index(&self.core.engine, &key, &index_bytes, None)?;
        let plan = sh.plan(p, &index, self.core.config.shard_read_gap)?;
        let requests = plan.requests(&key);
        let fetched = stream::iter(
            requests
                .iter()
                .map(|(k, r)| async move { self.store.get(k, prototype, *r).await }),
        )
        .buffered(self.concurrency)
        .try_collect()
        .await?;
        Ok((key, Fetched::Part(plan, fetched)))
    }

    /// Read a selection as a flat `Vec` in C order.
    pub async fn read_vec<T: Element + Default>(&self, selection: &Selection) -> Result<Vec<T>> {
        self.check_type::<T>()?;
        let (r, chunks) = self.core.resolve(selection)?;
        let n = r.num_elements() as usize;
        let out_shape = r.shape();
        if self.data_type().size().is_some() {
            // SAFETY: T matches a fixed-size data type, so it is one of the
            // FixedElement types (plain numbers: all-zero bits are valid).
            let mut out: Vec<T> = unsafe { self.core.engine.alloc_fixed(&self.core.path, n)? };
            for batch in chunks.chunks(self.concurrency) {
                let fetched: Vec<(String, Fetched)> =
                    stream::iter(batch.iter().map(|p| self.fetch_fixed(p)))
                        .buffered(self.concurrency)
                        .try_collect()
                        .await?;
                let engine = self.core.engine.clone();
                let batch = batch.to_vec();
                let shape = out_shape.clone();
                out = run_cpu(move || {
                    let size = std::mem::size_of::<T>();
                    // SAFETY: T matches a fixed-size data type (a FixedElement type
                    // without padding); decoders only produce valid values.
                    let bytes = unsafe {
                        std::slice::from_raw_parts_mut(
                            out.as_mut_ptr().cast::<u8>(),
                            out.len() * size,
                        )
                    };
                    let ptr = OutPtr::new(bytes);
                    batch.par_iter().zip(fetched.par_iter()).try_for_each(
                        |(p, (key, f))| match (f, &engine.sharded) {
                            (Fetched::Whole(enc), Some(sh)) => {
                                sh.decode_whole(&engine, p, key, enc.clone(), ptr, &shape)
                            }
                            (Fetched::Whole(enc), None) => {
                                engine.decode_fixed_into(p, key, enc.as_deref(), ptr, &shape)
                            }
                            (Fetched::Part(plan, got), Some(sh)) => {
                                sh.decode_planned(plan, got, key, ptr, &shape)
                            }
                            (Fetched::Part(..), None) => Err(ArrayError::Task(
                                "internal: a partial shard fetch without sharding".into(),
                            )),
                        },
                    )?;
                    Ok(out)
                })
                .await?;
            }
            Ok(out)
        } else {
            let mut out = self.core.engine.alloc_var(&self.core.path, n)?;
            for batch in chunks.chunks(self.concurrency) {
                let fetched = self.fetch(batch, false).await?;
                let engine = self.core.engine.clone();
                let decoded: Vec<Option<VarBytes>> = run_cpu(move || {
                    fetched
                        .par_iter()
                        .map(|(key, enc)| engine.decode_var(key, enc.as_deref()))
                        .collect()
                })
                .await?;
                for (p, v) in batch.iter().zip(&decoded) {
                    self.core
                        .engine
                        .scatter_var(p, v.as_ref(), &mut out, &out_shape);
                }
            }
            out.into_iter()
                .map(|b| {
                    T::from_var_bytes(b).ok_or(ArrayError::DataTypeMismatch {
                        data_type: self.data_type(),
                        requested: std::any::type_name::<T>(),
                    })
                })
                .collect()
        }
    }

    /// Read a selection as an `ndarray`.
    pub async fn read<T: Element + Default>(&self, selection: &Selection) -> Result<ArrayD<T>> {
        let v = self.read_vec::<T>(selection).await?;
        let shape = selection.resolve(self.shape())?.out_shape();
        ArrayD::from_shape_vec(IxDyn(&shape), v)
            .map_err(|e| ArrayError::InvalidArgument(e.to_string()))
    }

    /// Write elements (C order, the selection's element count) to a selection.
    pub async fn write_slice<T: Element>(&self, selection: &Selection, data: Vec<T>) -> Result<()> {
        self.check_type::<T>()?;
        let r = selection.resolve(self.shape())?;
        if data.len() as u64 != r.num_elements() {
            return Err(ArrayError::InvalidArgument(format!(
                "{} elements given but the selection has {}",
                data.len(),
                r.num_elements()
            )));
        }
        let chunks = r
            .chunks(self.core.engine.chunk_shape.as_slice())
            .map_err(|e| core::too_large(&self.core.path, e))?;
        let shape = r.shape();
        let data = Arc::new(data);
        if self.data_type() == DataType::Bool {
            let bytes = fixed_bytes(&data);
            if bytes.iter().any(|&b| b > 1) {
                return Err(ArrayError::InvalidArgument(
                    "bool data must be 0 or 1".into(),
                ));
            }
        }
        let var: Option<Arc<Vec<Vec<u8>>>> = self.data_type().size().is_none().then(|| {
            Arc::new(
                data.iter()
                    .map(|e| e.as_var_bytes().unwrap_or_default().to_vec())
                    .collect(),
            )
        });
        for batch in chunks.chunks(self.concurrency) {
            // Optimistic read-modify-write, as the blocking Array does: the
            // chunks whose stored value changed since it was merged with are
            // fetched, merged and encoded again.
            let mut pending: Vec<ChunkProjection> = batch.to_vec();
            while !pending.is_empty() {
                let existing = self.fetch(&pending, true).await?;
                let engine = self.core.engine.clone();
                let (batch_owned, shape, data, var, old) = (
                    pending.clone(),
                    shape.clone(),
                    Arc::clone(&data),
                    var.clone(),
                    existing.clone(),
                );
                let writes: Vec<ChunkWrite> = run_cpu(move || {
                    batch_owned
                        .par_iter()
                        .zip(old.par_iter())
                        .map(|(p, (key, enc))| match &var {
                            Some(v) => engine.encode_var(p, key, enc.as_deref(), v, &shape),
                            None => engine.encode_fixed(
                                p,
                                key,
                                enc.as_deref(),
                                fixed_bytes(&data),
                                &shape,
                            ),
                        })
                        .collect()
                })
                .await?;
                let complete: Vec<bool> = pending
                    .iter()
                    .map(|p| self.core.engine.is_complete(p))
                    .collect();
                let items: Vec<_> = existing.into_iter().zip(writes).zip(complete).collect();
                let done: Vec<bool> = stream::iter(items.into_iter().map(
                    |(((key, old), w), complete)| async move {
                        self.store_write(&key, complete, old, w).await
                    },
                ))
                .buffered(self.concurrency)
                .try_collect()
                .await?;
                pending = pending
                    .into_iter()
                    .zip(done)
                    .filter_map(|(p, done)| (!done).then_some(p))
                    .collect();
            }
        }
        Ok(())
    }

    /// Store one encoded chunk or shard if the stored value is still `old`
    /// (the value it was merged with; not checked when the write covers the
    /// whole chunk): one [`AsyncStore::set_if_unchanged`] on stores with
    /// conditional writes, else a check and a store under the in-process
    /// per-key lock that blocking [`Array`] writers take too. `false`: the
    /// value changed, merge again.
    async fn store_write(
        &self,
        key: &str,
        complete: bool,
        old: Option<Buffer>,
        write: ChunkWrite,
    ) -> Result<bool> {
        let value = match write {
            ChunkWrite::Set(bytes) => Some(Buffer::from(bytes)),
            ChunkWrite::Delete => None,
        };
        if self.store.supports_conditional_writes() {
            let expected = if complete {
                Expected::Any
            } else {
                Expected::from_value(old.as_deref())
            };
            return Ok(self.store.set_if_unchanged(key, expected, value).await?);
        }
        let _guard = lock_key_async(key).await;
        if !complete {
            let current = self
                .store
                .get(key, &self.core.config.prototype, None)
                .await?;
            if current.as_deref() != old.as_deref() {
                return Ok(false);
            }
        }
        match value {
            Some(v) => self.store.set(key, v).await?,
            None => self.store.delete(key).await?,
        }
        Ok(true)
    }

    /// Write an `ndarray` to a selection; its shape must equal the selection's output shape.
    pub async fn write<T: Element>(&self, selection: &Selection, data: ArrayD<T>) -> Result<()> {
        let expected = selection.resolve(self.shape())?.out_shape();
        if data.shape() != expected.as_slice() {
            return Err(crate::chunk::SelectionError::ShapeMismatch {
                given: data.shape().to_vec(),
                expected,
            }
            .into());
        }
        let v: Vec<T> = if data.is_standard_layout() {
            data.into_raw_vec_and_offset().0
        } else {
            data.iter().cloned().collect()
        };
        self.write_slice(selection, v).await
    }

    /// Replace the user attributes.
    pub async fn set_attributes(&mut self, attributes: Map<String, Value>) -> Result<()> {
        self.core.metadata.attributes = attributes;
        self.store_metadata().await
    }

    /// Add or replace some user attributes.
    pub async fn update_attributes(&mut self, attributes: Map<String, Value>) -> Result<()> {
        self.core.metadata.attributes.extend(attributes);
        self.store_metadata().await
    }

    /// Total bytes stored for this array (metadata and chunks).
    pub async fn stored_size(&self) -> Result<u64> {
        Ok(self.store.getsize_prefix(&self.core.prefix()).await?)
    }

    /// Change the shape; chunks wholly outside the new shape are deleted.
    pub async fn resize(&mut self, new_shape: Vec<u64>) -> Result<()> {
        let gone = self.core.resize_plan(&new_shape)?;
        stream::iter(gone.iter().map(|k| self.store.delete(k)))
            .buffer_unordered(self.concurrency)
            .try_collect::<Vec<()>>()
            .await?;
        self.core.set_shape(new_shape);
        self.store_metadata().await
    }
}

/// The bytes of fixed-size elements (empty for variable-length ones).
fn fixed_bytes<T: Element>(data: &[T]) -> &[u8] {
    if T::data_type().size().is_none() {
        return &[];
    }
    // SAFETY: T is a fixed-size element type (checked above): no padding.
    unsafe { std::slice::from_raw_parts(data.as_ptr().cast::<u8>(), std::mem::size_of_val(data)) }
}

impl From<AsyncArray> for ArrayMetadata {
    fn from(a: AsyncArray) -> Self {
        a.core.metadata
    }
}

impl Array {
    /// The array's metadata and settings as an [`AsyncArray`] over an async store.
    pub fn to_async(&self, store: Arc<dyn AsyncStore>) -> Result<AsyncArray> {
        Ok(AsyncArray::from_core(store, self.core.clone()))
    }
}

impl AsyncArray {
    /// The async store the array lives in.
    pub fn async_store(&self) -> &Arc<dyn AsyncStore> {
        &self.store
    }

    /// The array's metadata and settings as a blocking [`Array`] over
    /// `store` (the same data seen through a synchronous store).
    pub fn to_blocking(&self, store: crate::store::StoreRef) -> Result<Array> {
        Ok(Array::from_core(store, self.core.clone()))
    }
}
