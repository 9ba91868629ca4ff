//! [`AsyncArray`]: the async front end over the same engine as [`Array`].
//! Chunk fetches run concurrently (bounded); decoding and encoding run in
//! parallel on rayon inside tokio's blocking pool, so the reactor never stalls.

use super::builder::ArrayBuilder;
use super::core::{self, ArrayCore};
use super::error::{ArrayError, Result};
use super::meta;
use super::op;
use super::{Array, ArrayConfig};
use crate::buffer::{NDBuffer, NDData, Order};
use crate::chunk::{ChunkProjection, Query, Resolved, ResolvedSelection, Selection};
use crate::dtype::{as_bytes_mut, Element, FixedElement};
use crate::metadata::{ArrayMetadata, ArrayMetadataV2};
use crate::store::AsyncStore;
use futures::stream::{self, StreamExt, TryStreamExt};
use ndarray::{ArrayD, IxDyn};
use serde_json::{Map, Value};
use std::sync::Arc;

/// How many chunk requests are in flight at once by default.
pub const DEFAULT_CONCURRENCY: usize = 64;

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

    /// Read the fixed-size elements of a resolved selection into a new
    /// vector of `n` elements of `T` (a plain element type of this array's
    /// size), through the shared sans-IO read and the async driver.
    async fn read_fixed_owned<T: Send + 'static>(
        &self,
        r: &ResolvedSelection,
        chunks: Vec<ChunkProjection>,
        out: Vec<T>,
    ) -> Result<Vec<T>> {
        let owner = op::OwnedOut::new(out);
        // SAFETY: callers pass plain fixed-size element types; the pointer is
        // taken before any job runs, and every job holds `owner`.
        let op = unsafe {
            op::ReadOp::fixed(
                &self.core.engine,
                self.core.config.shard_read_gap,
                chunks,
                r.shape(),
                owner.out_ptr(),
            )
        };
        let keep: Arc<dyn Send + Sync> = owner.clone();
        op::drive_async(
            self.store.as_ref(),
            &self.core.config.prototype,
            self.concurrency,
            op,
            keep,
        )
        .await?;
        owner.into_inner()
    }

    /// Read the variable-length elements of a resolved selection.
    async fn read_var(
        &self,
        r: &ResolvedSelection,
        chunks: Vec<ChunkProjection>,
    ) -> Result<Vec<Vec<u8>>> {
        let out = self
            .core
            .engine
            .alloc_var(&self.core.path, r.num_elements() as usize)?;
        let op = op::ReadOp::var(
            &self.core.engine,
            self.core.config.shard_read_gap,
            chunks,
            r.shape(),
            out,
        );
        op::drive_async(
            self.store.as_ref(),
            &self.core.config.prototype,
            self.concurrency,
            op,
            Arc::new(()),
        )
        .await?
        .into_var()
    }

    /// Read a selection as a flat `Vec` in C order.
    pub async fn read_vec<T: Element + Default>(&self, selection: &Selection) -> Result<Vec<T>> {
        self.check_type::<T>()?;
        let (r, chunks) = self.core.resolve(selection)?;
        let n = r.num_elements() as usize;
        if self.data_type().size().is_some() {
            // SAFETY: T matches a fixed-size data type, so it is one of the
            // FixedElement types (plain numbers: all-zero bits are valid).
            let out: Vec<T> = unsafe { self.core.engine.alloc_fixed(&self.core.path, n)? };
            self.read_fixed_owned(&r, chunks, out).await
        } else {
            self.read_var(&r, chunks)
                .await?
                .into_iter()
                .map(|b| {
                    T::from_var_bytes(b).ok_or(ArrayError::DataTypeMismatch {
                        data_type: self.data_type(),
                        requested: std::any::type_name::<T>(),
                    })
                })
                .collect()
        }
    }

    /// Read a selection into an [`NDBuffer`] in the array's configured memory order.
    pub async fn read_ndbuffer(&self, selection: &Selection) -> Result<NDBuffer> {
        self.read_ndbuffer_in_order(selection, self.core.config.order)
            .await
    }

    async fn read_ndbuffer_in_order(
        &self,
        selection: &Selection,
        order: Order,
    ) -> Result<NDBuffer> {
        let (r, chunks) = self.core.resolve(selection)?;
        let shape = r.out_shape();
        let data = match self.data_type().size() {
            Some(size) => {
                let out = self
                    .core
                    .engine
                    .alloc_bytes(&self.core.path, r.num_elements() as usize * size)?;
                NDData::Fixed(self.read_fixed_owned(&r, chunks, out).await?)
            }
            None => NDData::Variable(self.read_var(&r, chunks).await?),
        };
        self.core.output_ndbuffer(shape, data, order)
    }

    /// Read a selection into raw native-endian element bytes (C order). The
    /// chunks are decoded into a buffer the read owns (so a dropped future
    /// never leaves a decode writing into `out`), then copied once.
    pub async fn read_into_bytes(&self, selection: &Selection, out: &mut [u8]) -> Result<()> {
        let size = self.core.fixed_size()?;
        let (r, chunks) = self.core.resolve(selection)?;
        let expected = r.num_elements() as usize * size;
        if out.len() != expected {
            return Err(ArrayError::InvalidArgument(format!(
                "output holds {} bytes but the selection needs {expected}",
                out.len()
            )));
        }
        let got = self
            .read_fixed_owned(
                &r,
                chunks,
                self.core.engine.alloc_bytes(&self.core.path, expected)?,
            )
            .await?;
        out.copy_from_slice(&got);
        Ok(())
    }

    /// Read a selection of a fixed-size array into `out` (C order, exactly
    /// the selection's element count).
    pub async fn read_into<T: FixedElement>(
        &self,
        selection: &Selection,
        out: &mut [T],
    ) -> Result<()> {
        self.check_type::<T>()?;
        self.read_into_bytes(selection, as_bytes_mut(out)).await
    }

    /// Read a selection into a mutable `ndarray` view whose shape equals the
    /// selection's output shape.
    pub async fn read_into_view<T: FixedElement>(
        &self,
        selection: &Selection,
        mut out: ndarray::ArrayViewMutD<'_, T>,
    ) -> Result<()> {
        self.core.check_shape(selection, out.shape())?;
        if let Some(s) = out.as_slice_mut() {
            return self.read_into(selection, s).await;
        }
        let v = self.read::<T>(selection).await?;
        out.assign(&v);
        Ok(())
    }

    /// Read a selection into an existing [`NDBuffer`] of the selection's
    /// shape and the array's data type, honouring the buffer's memory order.
    pub async fn read_into_ndbuffer(
        &self,
        selection: &Selection,
        out: &mut NDBuffer,
    ) -> Result<()> {
        self.core.check_ndbuffer_type(&out.data_type())?;
        self.core.check_shape(selection, out.shape())?;
        let order = out.order();
        let c = self.read_ndbuffer_in_order(selection, Order::C).await?;
        *out = c.to_order(order);
        Ok(())
    }

    /// Read a selection of any kind ([`Query`]) into an [`NDBuffer`] in the
    /// array's configured memory order (see [`Array::read_query_ndbuffer`]).
    pub async fn read_query_ndbuffer(&self, query: &Query) -> Result<NDBuffer> {
        self.read_query_in_order(query, self.core.config.order)
            .await
    }

    async fn read_query_in_order(&self, query: &Query, order: Order) -> Result<NDBuffer> {
        let plan = match self.core.plan_query(query)? {
            Resolved::Basic(sel, _) => return self.read_ndbuffer_in_order(&sel, order).await,
            Resolved::Gather(plan) => plan,
        };
        let shape = plan.out_shape().to_vec();
        let n = plan.num_elements() as usize;
        let (engine, gap) = (&self.core.engine, self.core.config.shard_read_gap);
        let proto = &self.core.config.prototype;
        let data = match self.data_type().size() {
            Some(size) => {
                let owner = op::OwnedOut::new(engine.alloc_bytes(&self.core.path, n * size)?);
                // SAFETY: bytes are plain data; the pointer is taken before any
                // job runs, and every job holds `owner`.
                let op = unsafe { op::ReadOp::gather_fixed(engine, gap, plan, owner.out_ptr()) };
                let keep: Arc<dyn Send + Sync> = owner.clone();
                op::drive_async(self.store.as_ref(), proto, self.concurrency, op, keep).await?;
                NDData::Fixed(owner.into_inner()?)
            }
            None => {
                let out = engine.alloc_var(&self.core.path, n)?;
                let op = op::ReadOp::gather_var(engine, gap, plan, out);
                NDData::Variable(
                    op::drive_async(
                        self.store.as_ref(),
                        proto,
                        self.concurrency,
                        op,
                        Arc::new(()),
                    )
                    .await?
                    .into_var()?,
                )
            }
        };
        self.core.output_ndbuffer(shape, data, order)
    }

    /// Read a selection of any kind ([`Query`]) as an `ndarray`.
    pub async fn read_query<T: Element + Default>(&self, query: &Query) -> Result<ArrayD<T>> {
        self.check_type::<T>()?;
        let b = self.read_query_in_order(query, Order::C).await?;
        let v = b.to_vec::<T>().map_err(ArrayError::InvalidArgument)?;
        ArrayD::from_shape_vec(IxDyn(b.shape()), v)
            .map_err(|e| ArrayError::InvalidArgument(e.to_string()))
    }

    /// Write an [`NDBuffer`] to a selection of any kind ([`Query`]) (see
    /// [`Array::write_query_ndbuffer`]).
    pub async fn write_query_ndbuffer(&self, query: &Query, data: NDBuffer) -> Result<()> {
        self.write_resolved(self.core.plan_query(query)?, data)
            .await
    }

    async fn write_resolved(&self, resolved: Resolved, data: NDBuffer) -> Result<()> {
        let plan = match resolved {
            Resolved::Basic(sel, r) => {
                let data = self.core.broadcast_data(&data, &r.out_shape())?;
                return self.write_ndbuffer(&sel, data).await;
            }
            Resolved::Gather(plan) => plan,
        };
        let data = self.core.broadcast_data(&data, plan.out_shape())?;
        let n = plan.num_elements();
        let data = match data.into_data() {
            NDData::Fixed(b) => {
                self.core.check_fixed_data(n, &b)?;
                op::WriteData::SharedBytes(Arc::new(b))
            }
            NDData::Variable(v) => {
                self.core.check_var_data(n, &v)?;
                op::WriteData::SharedVar(Arc::new(v))
            }
        };
        let op = op::WriteOp::gather(&self.core.engine, plan, data);
        op::drive_writes_async(
            self.store.as_ref(),
            &self.core.config.prototype,
            self.concurrency,
            op,
        )
        .await
    }

    /// Write an `ndarray` to a selection of any kind ([`Query`]), broadcast
    /// to the selection's shape as numpy broadcasts.
    pub async fn write_query<T: Element>(&self, query: &Query, data: ArrayD<T>) -> Result<()> {
        self.check_type::<T>()?;
        let resolved = self.core.plan_query(query)?;
        let shape = ArrayCore::resolved_shape(&resolved);
        let b = self.core.broadcast_array(data.view(), &shape)?;
        self.write_resolved(resolved, b).await
    }

    /// Read `fields` of a selection of a struct array (see
    /// [`Array::read_fields`]).
    pub async fn read_fields(&self, query: &Query, fields: &[&str]) -> Result<NDBuffer> {
        let (map, out_type) = self.core.field_map(fields)?;
        let plan = self.core.plan_gather(query)?;
        let shape = plan.out_shape().to_vec();
        let n = plan.num_elements() as usize;
        let owner = op::OwnedOut::new(
            self.core
                .engine
                .alloc_bytes(&self.core.path, n * map.out_size)?,
        );
        // SAFETY: bytes are plain data; the pointer is taken before any job
        // runs, and every job holds `owner`.
        let op = unsafe {
            op::ReadOp::gather_fixed(
                &self.core.engine,
                self.core.config.shard_read_gap,
                plan,
                owner.out_ptr(),
            )
        }
        .with_fields(map);
        let keep: Arc<dyn Send + Sync> = owner.clone();
        op::drive_async(
            self.store.as_ref(),
            &self.core.config.prototype,
            self.concurrency,
            op,
            keep,
        )
        .await?;
        NDBuffer::from_parts(
            shape,
            out_type,
            Order::C,
            NDData::Fixed(owner.into_inner()?),
        )
        .map_err(ArrayError::InvalidArgument)
    }

    /// Write `fields` of a selection of a struct array (see
    /// [`Array::write_fields`]).
    pub async fn write_fields(&self, query: &Query, fields: &[&str], data: NDBuffer) -> Result<()> {
        let (map, out_type) = self.core.field_map(fields)?;
        let plan = self.core.plan_gather(query)?;
        let bytes = self
            .core
            .broadcast_fields(&data, plan.out_shape(), out_type)?;
        let op = op::WriteOp::gather(
            &self.core.engine,
            plan,
            op::WriteData::SharedBytes(Arc::new(bytes)),
        )
        .with_fields(map);
        op::drive_writes_async(
            self.store.as_ref(),
            &self.core.config.prototype,
            self.concurrency,
            op,
        )
        .await
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
        if self.data_type().size().is_some() {
            self.write_src(selection, Src::Fixed(Arc::new(FixedVec(data))))
                .await
        } else {
            let elems: Vec<Vec<u8>> = data
                .iter()
                .map(|e| e.as_var_bytes().unwrap_or_default().to_vec())
                .collect();
            self.write_var(selection, elems).await
        }
    }

    /// Write raw native-endian element bytes (C order, the selection's shape)
    /// to a selection of a fixed-size array.
    pub async fn write_bytes(&self, selection: &Selection, data: Vec<u8>) -> Result<()> {
        self.core.fixed_size()?;
        self.write_src(selection, Src::Fixed(Arc::new(data))).await
    }

    /// Write variable-length elements (`string` as UTF-8, or bytes) to a selection.
    pub async fn write_var(&self, selection: &Selection, data: Vec<Vec<u8>>) -> Result<()> {
        self.write_src(selection, Src::Var(Arc::new(data))).await
    }

    /// Write an [`NDBuffer`] to a selection.
    pub async fn write_ndbuffer(&self, selection: &Selection, data: NDBuffer) -> Result<()> {
        self.core.check_ndbuffer_type(&data.data_type())?;
        self.core.check_shape(selection, data.shape())?;
        let data = if data.order() == Order::F {
            data.to_order(Order::C)
        } else {
            data
        };
        match data.into_data() {
            NDData::Fixed(b) => self.write_bytes(selection, b).await,
            NDData::Variable(v) => self.write_var(selection, v).await,
        }
    }

    /// Set every element of a selection to one value.
    pub async fn fill<T: Element>(&self, selection: &Selection, value: T) -> Result<()> {
        let r = selection.resolve(self.shape())?;
        let n = self.core.engine.output_len(&self.core.path, &r)?;
        let mut v = Vec::new();
        v.try_reserve_exact(n).map_err(|_| ArrayError::TooLarge {
            path: self.core.path.clone(),
            message: format!("a fill of {n} elements does not fit in memory"),
        })?;
        v.resize(n, value);
        self.write_slice(selection, v).await
    }

    /// Write fixed-size bytes or variable-length elements to a selection.
    async fn write_src(&self, selection: &Selection, src: Src) -> Result<()> {
        let (r, chunks) = self.core.resolve(selection)?;
        let data = match src {
            Src::Fixed(b) => {
                self.core
                    .check_fixed_data(r.num_elements(), (*b).as_ref())?;
                op::WriteData::SharedBytes(b)
            }
            Src::Var(v) => {
                self.core.check_var_data(r.num_elements(), &v)?;
                op::WriteData::SharedVar(v)
            }
        };
        let op = op::WriteOp::new(&self.core.engine, chunks, r.shape(), data);
        op::drive_writes_async(
            self.store.as_ref(),
            &self.core.config.prototype,
            self.concurrency,
            op,
        )
        .await
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

    /// Grow the array along `axis` and write the data there (see
    /// [`Array::append`]); returns the new shape.
    pub async fn append<T: Element>(&mut self, data: ArrayD<T>, axis: usize) -> Result<Vec<u64>> {
        self.check_type::<T>()?;
        let (new_shape, region) = self.core.append_plan(data.shape(), axis)?;
        self.resize(new_shape.clone()).await?;
        self.write(&region, data).await?;
        Ok(new_shape)
    }

    /// [`AsyncArray::append`] of an [`NDBuffer`].
    pub async fn append_ndbuffer(&mut self, data: NDBuffer, axis: usize) -> Result<Vec<u64>> {
        self.core.check_ndbuffer_type(&data.data_type())?;
        let (new_shape, region) = self.core.append_plan(data.shape(), axis)?;
        self.resize(new_shape.clone()).await?;
        self.write_ndbuffer(&region, data).await?;
        Ok(new_shape)
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

/// What an async write stores: raw bytes of fixed-size elements, or
/// variable-length elements (owned, as the encode jobs outlive the call).
enum Src {
    Fixed(Arc<dyn AsRef<[u8]> + Send + Sync>),
    Var(Arc<Vec<Vec<u8>>>),
}

/// A vector of fixed-size elements seen as their bytes.
struct FixedVec<T>(Vec<T>);

impl<T: Element> AsRef<[u8]> for FixedVec<T> {
    fn as_ref(&self) -> &[u8] {
        if T::data_type().size().is_none() {
            return &[];
        }
        // SAFETY: T is a fixed-size element type (checked above): no padding.
        unsafe {
            std::slice::from_raw_parts(
                self.0.as_ptr().cast::<u8>(),
                std::mem::size_of_val(self.0.as_slice()),
            )
        }
    }
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
