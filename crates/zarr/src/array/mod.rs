//! Arrays over a store: create, open, read and write any basic selection,
//! resize, attributes. [`Array`] is the blocking API; [`AsyncArray`] is the
//! async one. Both drive the same engine: plan the chunks a selection
//! touches, fetch them, and decode each straight into the output in
//! parallel (writes mirror this: build, encode, store).
//!
//! ```
//! use std::sync::Arc;
//! use ndarray::ArrayD;
//! use zarr::array::{Array, ArrayBuilder};
//! use zarr::chunk::Selection;
//! use zarr::dtype::DataType;
//! use zarr::store::MemoryStore;
//!
//! let store = Arc::new(MemoryStore::new());
//! let a = ArrayBuilder::new(vec![4, 6], DataType::Int32).chunks(vec![2, 4]).create(store.clone(), "a").unwrap();
//! let data = ArrayD::from_shape_fn(vec![4, 6], |ix| (ix[0] * 10 + ix[1]) as i32);
//! a.write(&Selection::all(), data.view()).unwrap();
//! let b = Array::open(store, "a").unwrap();
//! let part = b.read::<i32>(&"1:3, ::2".parse().unwrap()).unwrap();
//! assert_eq!(part.as_slice().unwrap(), &[10, 12, 14, 20, 22, 24]);
//! ```

mod asynchronous;
mod builder;
mod consolidated;
mod convert;
mod core;
mod engine;
mod error;
mod meta;
mod op;
mod stream;

pub use asynchronous::AsyncArray;
pub use builder::{guess_chunks, ArrayBuilder, ChunkShape, CodecChoice};
pub use consolidated::{consolidate_metadata_v2, read_consolidated_metadata_v2};
pub use convert::{
    convert_v2_to_v3, convert_v2_to_v3_with, convert_v2_to_v3_with_progress, ConvertOptions,
    ConvertStep, ConvertSummary,
};
pub use error::{ArrayError, Result};
pub(crate) use stream::stream_chunks;
pub use stream::{stream_array, CopyProgress, ProgressFn, ProgressTracker};

use self::core::ArrayCore;
use crate::buffer::{BufferPrototype, NDBuffer, NDData, Order};
use crate::chunk::{ChunkProjection, Query, Resolved, ResolvedSelection, Selection};
use crate::dtype::{as_bytes_mut, Element, FixedElement};
use crate::metadata::{ArrayMetadata, ArrayMetadataV2, NodeMetadata};
use crate::store::{Inline, StoreRef};
use engine::OutPtr;
use futures::executor::block_on;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rayon::prelude::*;
use serde_json::{Map, Value};

/// Runtime settings of an array (zarr-python's `config`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrayConfig {
    /// Memory order of [`NDBuffer`]s returned by reads.
    pub order: Order,
    /// Store chunks whose elements all equal the fill value (default false:
    /// such chunks are deleted instead). In sharded arrays this applies to
    /// inner chunks too, as in zarr-python: with false, empty inner chunks
    /// are left out of their shard and an all-empty shard is deleted; with
    /// true, every inner chunk is stored.
    pub write_empty_chunks: bool,
    /// Which memory reads allocate (passed down to every store read).
    pub prototype: BufferPrototype,
    /// Reading part of a shard: byte ranges of needed inner chunks that lie
    /// at most this many bytes apart are fetched as one request (default 64 KiB).
    pub shard_read_gap: u64,
}

/// The default [`ArrayConfig::shard_read_gap`].
pub const DEFAULT_SHARD_READ_GAP: u64 = 64 * 1024;

impl Default for ArrayConfig {
    fn default() -> Self {
        ArrayConfig {
            order: Order::C,
            write_empty_chunks: false,
            prototype: BufferPrototype::default(),
            shard_read_gap: DEFAULT_SHARD_READ_GAP,
        }
    }
}

pub(crate) use crate::node_path::{node_key, normalize as normalize_path, v2_key};

/// The metadata documents to store for an array: `zarr.json`, or for a V2
/// array `.zarray` and `.zattrs` (with the shape and attributes of `metadata`).
pub(crate) fn metadata_documents(
    path: &str,
    metadata: &ArrayMetadata,
    v2: Option<&ArrayMetadataV2>,
) -> Vec<(String, Vec<u8>)> {
    match v2 {
        None => vec![(node_key(path), metadata.to_json_bytes())],
        Some(v2) => {
            let mut v2 = v2.clone();
            v2.shape = metadata.shape.clone();
            v2.attributes = metadata.attributes.clone();
            vec![
                (v2_key(path, ".zarray"), v2.zarray_bytes()),
                (v2_key(path, ".zattrs"), v2.zattrs_bytes()),
            ]
        }
    }
}

/// Parse V2 metadata into its engine form.
pub(crate) fn parse_v2(
    zarray: &[u8],
    zattrs: Option<&[u8]>,
    key: &str,
) -> Result<(ArrayMetadata, ArrayMetadataV2)> {
    let err = |source| ArrayError::Metadata {
        key: key.to_string(),
        source,
    };
    let v2 = ArrayMetadataV2::from_json_bytes(zarray, zattrs).map_err(err)?;
    let v3 = v2.to_v3().map_err(err)?;
    Ok((v3, v2))
}

/// A Zarr V3 (or V2) array in a store, with a blocking API. Cheap to clone; safe to
/// share between threads.
///
/// # Concurrent writes
///
/// A write that covers only part of a chunk (or of a shard, for sharded
/// arrays) reads the stored object, merges, and stores the result only if
/// the stored object is still the one that was merged with; otherwise it
/// merges again with the new one (optimistic read-modify-write).
///
/// * On stores with conditional writes
///   ([`Store::supports_conditional_writes`](crate::store::Store::supports_conditional_writes):
///   [`LocalStore`](crate::store::LocalStore), [`MemoryStore`](crate::store::MemoryStore)),
///   the check and the store are one atomic
///   [`Store::set_if_unchanged`](crate::store::Store::set_if_unchanged), which on
///   a `LocalStore` holds an OS file lock on the key: writers of disjoint
///   regions of one chunk or shard never lose each other's writes, whether
///   they are threads of one process or separate processes (each using
///   `Array` over its own `LocalStore` on the same folder). Writes that cover
///   whole chunks go through the same lock, so they are ordered with partial
///   writes too.
/// * On other stores, the check happens under an in-process per-key lock:
///   threads of one process, in any number of `Array` handles, never lose
///   each other's writes; writers in other processes are not coordinated
///   (give them disjoint chunks or shards, or serialize them yourself).
///
/// [`AsyncArray`] writes follow the same protocol (with
/// [`AsyncStore::set_if_unchanged`](crate::store::AsyncStore::set_if_unchanged)
/// and the same in-process lock table), so blocking and async writers, mixed
/// in any way, never lose each other's writes either.
///
/// A write to part of a shard encodes only the inner chunks it touches;
/// the other inner chunks keep their stored bytes. The shard is still stored
/// as one object, with one conditional write.
///
/// Writes to overlapping regions end with one writer's data (no mix within
/// an element).
#[derive(Clone, Debug)]
pub struct Array {
    store: StoreRef,
    core: ArrayCore,
}

impl Array {
    /// Open the array at `path`.
    pub fn open(store: StoreRef, path: &str) -> Result<Self> {
        Self::open_with_config(store, path, ArrayConfig::default())
    }

    /// Open the array at `path` with runtime settings: a V3 array
    /// (`zarr.json`) or, when there is none, a V2 array (`.zarray`).
    pub fn open_with_config(store: StoreRef, path: &str, config: ArrayConfig) -> Result<Self> {
        let core = block_on(meta::open(&Inline(store.clone()), path, config))?;
        Ok(Array { store, core })
    }

    /// An array over already-parsed V2 metadata and its engine form
    /// ([`ArrayMetadataV2::to_v3`]); nothing is written.
    pub(crate) fn from_metadata_v2(
        store: StoreRef,
        path: &str,
        v2: ArrayMetadataV2,
        metadata: ArrayMetadata,
        config: ArrayConfig,
    ) -> Result<Self> {
        Ok(Array {
            store,
            core: ArrayCore::new_v2(path, v2, metadata, config)?,
        })
    }

    /// An array over already-parsed metadata (nothing is written).
    pub fn from_metadata(
        store: StoreRef,
        path: &str,
        metadata: ArrayMetadata,
        config: ArrayConfig,
    ) -> Result<Self> {
        Ok(Array {
            store,
            core: ArrayCore::new(path, metadata, config)?,
        })
    }

    /// An array over its store and core.
    pub(crate) fn from_core(store: StoreRef, core: ArrayCore) -> Self {
        Array { store, core }
    }

    core::array_accessors!(StoreRef);

    fn check_type<T: Element>(&self) -> Result<()> {
        self.core.check_type::<T>()
    }

    fn resolve(&self, selection: &Selection) -> Result<(ResolvedSelection, Vec<ChunkProjection>)> {
        self.core.resolve(selection)
    }

    // ---- reading ----

    /// Read a selection of a fixed-size array into `out` (C order, exactly
    /// the selection's element count), decoding chunks in parallel straight
    /// into it.
    pub fn read_into<T: FixedElement>(&self, selection: &Selection, out: &mut [T]) -> Result<()> {
        self.check_type::<T>()?;
        self.read_into_bytes(selection, as_bytes_mut(out))
    }

    /// Read a selection into a mutable `ndarray` view whose shape equals the
    /// selection's output shape. A standard-layout view is decoded into
    /// directly; any other layout goes through one temporary copy.
    pub fn read_into_view<T: FixedElement>(
        &self,
        selection: &Selection,
        mut out: ndarray::ArrayViewMutD<'_, T>,
    ) -> Result<()> {
        self.core.check_shape(selection, out.shape())?;
        if let Some(s) = out.as_slice_mut() {
            return self.read_into(selection, s);
        }
        let v = self.read::<T>(selection)?;
        out.assign(&v);
        Ok(())
    }

    /// Read a selection into an existing [`NDBuffer`] of the selection's
    /// shape and the array's data type, honouring the buffer's memory order.
    pub fn read_into_ndbuffer(&self, selection: &Selection, out: &mut NDBuffer) -> Result<()> {
        self.core.check_ndbuffer_type(&out.data_type())?;
        self.core.check_shape(selection, out.shape())?;
        if out.order() == Order::C {
            if let NDData::Fixed(bytes) = out.data_mut() {
                return self.read_into_bytes(selection, bytes);
            }
        }
        let c = self.read_ndbuffer_in_order(selection, Order::C)?;
        *out = c.to_order(out.order());
        Ok(())
    }

    /// Read a selection into raw native-endian element bytes (C order).
    pub fn read_into_bytes(&self, selection: &Selection, out: &mut [u8]) -> Result<()> {
        let size = self.core.fixed_size()?;
        let (r, chunks) = self.resolve(selection)?;
        let expected = r.num_elements() as usize * size;
        if out.len() != expected {
            return Err(ArrayError::InvalidArgument(format!(
                "output holds {} bytes but the selection needs {expected}",
                out.len()
            )));
        }
        self.read_fixed_raw(&r, chunks, out)
    }

    /// Fetch and decode every chunk of a selection into `out` in parallel.
    fn read_fixed_raw(
        &self,
        r: &ResolvedSelection,
        chunks: Vec<ChunkProjection>,
        out: &mut [u8],
    ) -> Result<()> {
        let engine = &self.core.engine;
        // SAFETY: `out` is borrowed for the whole drive, which runs every unit
        // to completion before it returns.
        let op = unsafe {
            op::ReadOp::fixed(
                engine,
                self.core.config.shard_read_gap,
                chunks,
                r.shape(),
                OutPtr::new(out),
            )
        };
        op::drive_blocking(self.store.as_ref(), &self.core.config.prototype, op)?;
        Ok(())
    }

    fn read_var(
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
        op::drive_blocking(self.store.as_ref(), &self.core.config.prototype, op)?.into_var()
    }

    /// Read a selection as an `ndarray` (C order; integer-indexed axes dropped).
    pub fn read<T: Element + Default>(&self, selection: &Selection) -> Result<ArrayD<T>> {
        let v = self.read_vec::<T>(selection)?;
        let shape = selection.resolve(self.shape())?.out_shape();
        ArrayD::from_shape_vec(IxDyn(&shape), v)
            .map_err(|e| ArrayError::InvalidArgument(e.to_string()))
    }

    /// Read a selection as a flat `Vec` in C order.
    pub fn read_vec<T: Element + Default>(&self, selection: &Selection) -> Result<Vec<T>> {
        self.check_type::<T>()?;
        let (r, chunks) = self.resolve(selection)?;
        let n = r.num_elements() as usize;
        if self.data_type().size().is_some() {
            // SAFETY: T matches a fixed-size data type, so it is one of the
            // FixedElement types (plain numbers: all-zero bits are valid).
            let mut v: Vec<T> = unsafe { self.core.engine.alloc_fixed(&self.core.path, n)? };
            let size = std::mem::size_of::<T>();
            // SAFETY: T matches a fixed-size data type, so it is one of the
            // FixedElement types (no padding, size equals the element size) and
            // the decoders only produce valid values.
            let bytes =
                unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<u8>(), n * size) };
            self.read_fixed_raw(&r, chunks, bytes)?;
            Ok(v)
        } else {
            self.read_var(&r, chunks)?
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
    pub fn read_ndbuffer(&self, selection: &Selection) -> Result<NDBuffer> {
        self.read_ndbuffer_in_order(selection, self.core.config.order)
    }

    fn read_ndbuffer_in_order(&self, selection: &Selection, order: Order) -> Result<NDBuffer> {
        let (r, chunks) = self.resolve(selection)?;
        let shape = r.out_shape();
        let data = match self.data_type().size() {
            Some(size) => {
                let mut out = self
                    .core
                    .engine
                    .alloc_bytes(&self.core.path, r.num_elements() as usize * size)?;
                self.read_fixed_raw(&r, chunks, &mut out)?;
                NDData::Fixed(out)
            }
            None => NDData::Variable(self.read_var(&r, chunks)?),
        };
        self.core.output_ndbuffer(shape, data, order)
    }

    // ---- advanced selections ----

    /// Read a selection of any kind ([`Query`]: orthogonal, coordinates,
    /// mask, blocks, negative steps) into an [`NDBuffer`] in the array's
    /// configured memory order. Each chunk (or shard) it touches is fetched
    /// and decoded once, whatever the number of points in it.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use zarr::array::ArrayBuilder;
    /// use zarr::chunk::{AxisSelection, Query};
    /// use zarr::dtype::DataType;
    /// use zarr::store::MemoryStore;
    /// let a = ArrayBuilder::new(vec![6], DataType::Int32).chunks(vec![4])
    ///     .create(Arc::new(MemoryStore::new()), "a").unwrap();
    /// a.write_slice(&zarr::chunk::Selection::all(), &[0, 1, 2, 3, 4, 5]).unwrap();
    /// let q = Query::Orthogonal(vec![AxisSelection::Indices(vec![5, 0, 0])]);
    /// assert_eq!(a.read_query::<i32>(&q).unwrap().into_raw_vec_and_offset().0, vec![5, 0, 0]);
    /// let q = Query::parse("::-2", false).unwrap();
    /// assert_eq!(a.read_query::<i32>(&q).unwrap().into_raw_vec_and_offset().0, vec![5, 3, 1]);
    /// ```
    pub fn read_query_ndbuffer(&self, query: &Query) -> Result<NDBuffer> {
        self.read_query_in_order(query, self.core.config.order)
    }

    fn read_query_in_order(&self, query: &Query, order: Order) -> Result<NDBuffer> {
        let plan = match self.core.plan_query(query)? {
            Resolved::Basic(sel, _) => return self.read_ndbuffer_in_order(&sel, order),
            Resolved::Gather(plan) => plan,
        };
        let shape = plan.out_shape().to_vec();
        let n = plan.num_elements() as usize;
        let (engine, gap) = (&self.core.engine, self.core.config.shard_read_gap);
        let proto = &self.core.config.prototype;
        let data = match self.data_type().size() {
            Some(size) => {
                let mut out = engine.alloc_bytes(&self.core.path, n * size)?;
                // SAFETY: `out` outlives the drive, which runs every unit.
                let op =
                    unsafe { op::ReadOp::gather_fixed(engine, gap, plan, OutPtr::new(&mut out)) };
                op::drive_blocking(self.store.as_ref(), proto, op)?;
                NDData::Fixed(out)
            }
            None => {
                let out = engine.alloc_var(&self.core.path, n)?;
                let op = op::ReadOp::gather_var(engine, gap, plan, out);
                NDData::Variable(op::drive_blocking(self.store.as_ref(), proto, op)?.into_var()?)
            }
        };
        self.core.output_ndbuffer(shape, data, order)
    }

    /// Read a selection of any kind ([`Query`]) as an `ndarray`.
    pub fn read_query<T: Element + Default>(&self, query: &Query) -> Result<ArrayD<T>> {
        self.check_type::<T>()?;
        let b = self.read_query_in_order(query, Order::C)?;
        let v = b.to_vec::<T>().map_err(ArrayError::InvalidArgument)?;
        ArrayD::from_shape_vec(IxDyn(b.shape()), v)
            .map_err(|e| ArrayError::InvalidArgument(e.to_string()))
    }

    /// Write an [`NDBuffer`] to a selection of any kind ([`Query`]): of the
    /// selection's shape, or a single element for every selected element.
    /// Repeated indices keep the last value given, as in numpy.
    pub fn write_query_ndbuffer(&self, query: &Query, data: &NDBuffer) -> Result<()> {
        self.write_resolved(self.core.plan_query(query)?, data)
    }

    fn write_resolved(&self, resolved: Resolved, data: &NDBuffer) -> Result<()> {
        let plan = match resolved {
            Resolved::Basic(sel, r) => {
                let data = self.core.broadcast_data(data, &r.out_shape())?;
                return self.write_ndbuffer(&sel, &data);
            }
            Resolved::Gather(plan) => plan,
        };
        let data = self.core.broadcast_data(data, plan.out_shape())?;
        let n = plan.num_elements();
        let data = match data.data() {
            NDData::Fixed(b) => {
                self.core.check_fixed_data(n, b)?;
                op::WriteData::Bytes(b)
            }
            NDData::Variable(v) => {
                self.core.check_var_data(n, v)?;
                op::WriteData::Var(v)
            }
        };
        let op = op::WriteOp::gather(&self.core.engine, plan, data);
        op::drive_writes_blocking(self.store.as_ref(), &self.core.config.prototype, op)
    }

    /// Write an `ndarray` to a selection of any kind ([`Query`]), broadcast
    /// to the selection's shape as numpy broadcasts.
    pub fn write_query<T: Element>(&self, query: &Query, data: ArrayViewD<'_, T>) -> Result<()> {
        self.check_type::<T>()?;
        let resolved = self.core.plan_query(query)?;
        let shape = ArrayCore::resolved_shape(&resolved);
        self.write_resolved(resolved, &self.core.broadcast_array(data, &shape)?)
    }

    /// Read `fields` of a selection (any [`Query`]) of a struct array, as
    /// zarr-python's `fields=`: one field gives an array of that field's
    /// type, several a packed struct of them. Only the fields' bytes are
    /// copied out of each decoded chunk.
    pub fn read_fields(&self, query: &Query, fields: &[&str]) -> Result<NDBuffer> {
        let (map, out_type) = self.core.field_map(fields)?;
        let plan = self.core.plan_gather(query)?;
        let shape = plan.out_shape().to_vec();
        let n = plan.num_elements() as usize;
        let mut out = self
            .core
            .engine
            .alloc_bytes(&self.core.path, n * map.out_size)?;
        // SAFETY: `out` outlives the drive, which runs every unit.
        let op = unsafe {
            op::ReadOp::gather_fixed(
                &self.core.engine,
                self.core.config.shard_read_gap,
                plan,
                OutPtr::new(&mut out),
            )
        }
        .with_fields(map);
        op::drive_blocking(self.store.as_ref(), &self.core.config.prototype, op)?;
        NDBuffer::from_parts(shape, out_type, Order::C, NDData::Fixed(out))
            .map_err(ArrayError::InvalidArgument)
    }

    /// Write `fields` of a selection (any [`Query`]) of a struct array; the
    /// other fields keep their stored values. `data` has the type
    /// [`Array::read_fields`] gives for these fields, and the selection's
    /// shape or a single element.
    pub fn write_fields(&self, query: &Query, fields: &[&str], data: &NDBuffer) -> Result<()> {
        let (map, out_type) = self.core.field_map(fields)?;
        let plan = self.core.plan_gather(query)?;
        let bytes = self
            .core
            .broadcast_fields(data, plan.out_shape(), out_type)?;
        let op = op::WriteOp::gather(&self.core.engine, plan, op::WriteData::Bytes(&bytes))
            .with_fields(map);
        op::drive_writes_blocking(self.store.as_ref(), &self.core.config.prototype, op)
    }

    // ---- writing ----

    /// Write checked data to the chunks of a resolved selection.
    fn write_data(
        &self,
        r: &ResolvedSelection,
        chunks: Vec<ChunkProjection>,
        data: op::WriteData<'_>,
    ) -> Result<()> {
        let op = op::WriteOp::new(&self.core.engine, chunks, r.shape(), data);
        op::drive_writes_blocking(self.store.as_ref(), &self.core.config.prototype, op)
    }

    /// Write raw native-endian element bytes (C order, the selection's shape)
    /// to a selection of a fixed-size array.
    pub fn write_bytes(&self, selection: &Selection, data: &[u8]) -> Result<()> {
        self.core.fixed_size()?;
        let (r, chunks) = self.resolve(selection)?;
        self.core.check_fixed_data(r.num_elements(), data)?;
        self.write_data(&r, chunks, op::WriteData::Bytes(data))
    }

    /// Write elements (C order, the selection's element count) to a selection.
    pub fn write_slice<T: Element>(&self, selection: &Selection, data: &[T]) -> Result<()> {
        self.check_type::<T>()?;
        if self.data_type().size().is_some() {
            // SAFETY: T matches a fixed-size data type, so it is a FixedElement type without padding.
            let bytes = unsafe {
                std::slice::from_raw_parts(data.as_ptr().cast::<u8>(), std::mem::size_of_val(data))
            };
            self.write_bytes(selection, bytes)
        } else {
            let elems: Vec<Vec<u8>> = data
                .iter()
                .map(|e| e.as_var_bytes().unwrap_or_default().to_vec())
                .collect();
            self.write_var(selection, &elems)
        }
    }

    /// Write variable-length elements (`string` as UTF-8, or bytes) to a selection.
    pub fn write_var(&self, selection: &Selection, data: &[Vec<u8>]) -> Result<()> {
        if self.data_type().size().is_some() {
            return Err(ArrayError::DataTypeMismatch {
                data_type: self.data_type(),
                requested: "variable-length elements",
            });
        }
        let (r, chunks) = self.resolve(selection)?;
        self.core.check_var_data(r.num_elements(), data)?;
        self.write_data(&r, chunks, op::WriteData::Var(data))
    }

    /// Write an `ndarray` view to a selection; its shape must equal the
    /// selection's output shape.
    pub fn write<T: Element>(&self, selection: &Selection, data: ArrayViewD<'_, T>) -> Result<()> {
        self.core.check_shape(selection, data.shape())?;
        match data.as_slice() {
            Some(s) => self.write_slice(selection, s),
            None => {
                let owned: Vec<T> = data.iter().cloned().collect();
                self.write_slice(selection, &owned)
            }
        }
    }

    /// Write an [`NDBuffer`] to a selection.
    pub fn write_ndbuffer(&self, selection: &Selection, data: &NDBuffer) -> Result<()> {
        self.core.check_ndbuffer_type(&data.data_type())?;
        self.core.check_shape(selection, data.shape())?;
        let c;
        let data = if data.order() == Order::F {
            c = data.to_order(Order::C);
            &c
        } else {
            data
        };
        match data.data() {
            NDData::Fixed(b) => self.write_bytes(selection, b),
            NDData::Variable(v) => self.write_var(selection, v),
        }
    }

    /// Set every element of a selection to one value.
    pub fn fill<T: Element>(&self, selection: &Selection, value: T) -> Result<()> {
        let r = selection.resolve(self.shape())?;
        let n = self.core.engine.output_len(&self.core.path, &r)?;
        let mut v = Vec::new();
        v.try_reserve_exact(n).map_err(|_| ArrayError::TooLarge {
            path: self.core.path.clone(),
            message: format!("a fill of {n} elements does not fit in memory"),
        })?;
        v.resize(n, value);
        self.write_slice(selection, &v)
    }

    // ---- shape and attributes ----

    fn store_metadata(&mut self) -> Result<()> {
        block_on(meta::store_documents(
            &Inline(self.store.clone()),
            &self.core,
        ))
    }

    /// Change the shape. Chunks wholly outside the new shape are deleted.
    pub fn resize(&mut self, new_shape: Vec<u64>) -> Result<()> {
        let gone = self.core.resize_plan(&new_shape)?;
        gone.par_iter()
            .try_for_each(|k| self.store.delete(k).map_err(ArrayError::from))?;
        self.core.set_shape(new_shape);
        self.store_metadata()
    }

    /// Grow the array along `axis` by the data's length on that axis and
    /// write the data there (zarr-python's `Array.append`); returns the new
    /// shape. The other axes of the data must equal the array's. The shape
    /// is stored before the data: appenders in other processes must be
    /// serialized by the caller, as with zarr-python.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use ndarray::ArrayD;
    /// use zarr::array::ArrayBuilder;
    /// use zarr::dtype::DataType;
    /// use zarr::store::MemoryStore;
    /// let mut a = ArrayBuilder::new(vec![2, 3], DataType::UInt8).chunks(vec![2, 2])
    ///     .create(Arc::new(MemoryStore::new()), "a").unwrap();
    /// let more = ArrayD::from_elem(vec![4, 3], 7u8);
    /// assert_eq!(a.append(more.view(), 0).unwrap(), vec![6, 3]);
    /// assert!(a.append(more.view(), 1).is_err()); // axis 0 differs
    /// ```
    pub fn append<T: Element>(&mut self, data: ArrayViewD<'_, T>, axis: usize) -> Result<Vec<u64>> {
        self.check_type::<T>()?;
        let (new_shape, region) = self.core.append_plan(data.shape(), axis)?;
        self.resize(new_shape.clone())?;
        self.write(&region, data)?;
        Ok(new_shape)
    }

    /// [`Array::append`] of an [`NDBuffer`].
    pub fn append_ndbuffer(&mut self, data: &NDBuffer, axis: usize) -> Result<Vec<u64>> {
        self.core.check_ndbuffer_type(&data.data_type())?;
        let (new_shape, region) = self.core.append_plan(data.shape(), axis)?;
        self.resize(new_shape.clone())?;
        self.write_ndbuffer(&region, data)?;
        Ok(new_shape)
    }

    /// Replace the user attributes.
    pub fn set_attributes(&mut self, attributes: Map<String, Value>) -> Result<()> {
        self.core.metadata.attributes = attributes;
        self.store_metadata()
    }

    /// Add or replace some user attributes.
    pub fn update_attributes(&mut self, attributes: Map<String, Value>) -> Result<()> {
        self.core.metadata.attributes.extend(attributes);
        self.store_metadata()
    }

    /// Total bytes stored for this array (metadata and chunks).
    pub fn stored_size(&self) -> Result<u64> {
        Ok(self.store.getsize_prefix(&self.core.prefix())?)
    }
}

pub(crate) fn parse_array_metadata(bytes: &[u8], path: &str, key: &str) -> Result<ArrayMetadata> {
    match NodeMetadata::from_json_bytes(bytes).map_err(|source| ArrayError::Metadata {
        key: key.to_string(),
        source,
    })? {
        NodeMetadata::Array(m) => Ok(m),
        NodeMetadata::Group(_) => Err(ArrayError::NotAnArray {
            path: path.to_string(),
        }),
    }
}

/// The `chunk_shape` of the array's `sharding_indexed` codec, if it has one.
pub(crate) fn inner_chunk_shape(metadata: &ArrayMetadata) -> Option<Vec<u64>> {
    metadata
        .codecs
        .iter()
        .find(|c| c.name == "sharding_indexed")
        .and_then(|c| c.get("chunk_shape"))
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}
