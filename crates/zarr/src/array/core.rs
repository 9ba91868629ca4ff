//! [`ArrayCore`]: everything about an array that does not touch a store
//! (its path, metadata, settings and engine), shared by the blocking
//! [`Array`](super::Array) and the async [`AsyncArray`](super::AsyncArray),
//! and [`array_accessors!`], which gives both front ends the same accessors
//! from one definition.

use super::engine::Engine;
use super::error::{ArrayError, Result};
use super::{metadata_documents, node_key, normalize_path, ArrayConfig};
use crate::buffer::{NDBuffer, NDData, Order};
use crate::chunk::{ChunkProjection, Query, Resolved, ResolvedSelection, Selection};
use crate::codec::{ChunkSpec, CodecChain};
use crate::dtype::{DataType, Element};
use crate::metadata::{ArrayMetadata, ArrayMetadataV2};
use std::sync::Arc;

/// The store-free state of an array.
#[derive(Clone, Debug)]
pub(crate) struct ArrayCore {
    /// The normalised path (no leading or trailing `/`; `""` is the root).
    pub(crate) path: String,
    /// The metadata (for a V2 array, its V3 equivalent that drives the engine).
    pub(crate) metadata: ArrayMetadata,
    /// The V2 metadata of a V2 array, as stored except shape and attributes.
    pub(crate) v2: Option<Arc<ArrayMetadataV2>>,
    /// The runtime settings.
    pub(crate) config: ArrayConfig,
    /// The codec chain and chunk layout.
    pub(crate) engine: Engine,
    /// The node lock held since the array replaced another node
    /// ([`ArrayBuilder::overwrite`](super::ArrayBuilder::overwrite)),
    /// released with the last clone.
    pub(crate) lock: Option<crate::store::NodeLock>,
}

/// A selection error as [`ArrayError::TooLarge`] of the array at `path`.
pub(crate) fn too_large(path: &str, e: crate::chunk::SelectionError) -> ArrayError {
    ArrayError::TooLarge {
        path: path.to_string(),
        message: e.to_string(),
    }
}

/// Refuse arrays whose element count or byte size overflows a `u64`
/// (every size the engine derives from the shape is then bounded by it).
fn check_array_size(path: &str, metadata: &ArrayMetadata) -> Result<()> {
    let too_large = |message: String| ArrayError::TooLarge {
        path: path.to_string(),
        message,
    };
    let n = crate::limits::checked_product(&metadata.shape).ok_or_else(|| {
        too_large(format!(
            "shape {:?} has more elements than a 64-bit integer counts",
            metadata.shape
        ))
    })?;
    if let Some(size) = metadata.data_type.size() {
        n.checked_mul(size as u64).ok_or_else(|| {
            too_large(format!(
                "shape {:?} of {} is more bytes than a 64-bit integer counts",
                metadata.shape, metadata.data_type
            ))
        })?;
    }
    Ok(())
}

impl ArrayCore {
    /// The core of a V3 array (or of the engine form of a V2 one) at `path`:
    /// checks the size and builds the codec chain.
    pub(crate) fn new(path: &str, metadata: ArrayMetadata, config: ArrayConfig) -> Result<Self> {
        let path = normalize_path(path)?;
        check_array_size(&path, &metadata)?;
        let spec = ChunkSpec {
            shape: metadata.chunk_shape().to_vec(),
            data_type: metadata.data_type,
            fill_value: metadata.fill_value.clone(),
        };
        let chain = CodecChain::from_metadata(&metadata.codecs, &spec).map_err(|source| {
            ArrayError::Codecs {
                key: node_key(&path),
                source,
            }
        })?;
        // Inside shards too, as zarr-python does.
        let chain = chain.with_write_empty_chunks(config.write_empty_chunks);
        let engine = Engine::new(&metadata, &path, Arc::new(chain), config.write_empty_chunks);
        Ok(ArrayCore {
            path,
            metadata,
            v2: None,
            config,
            engine,
            lock: None,
        })
    }

    /// The core of a V2 array: `metadata` is the engine form of `v2`
    /// ([`ArrayMetadataV2::to_v3`]). A V2 array that stores every chunk
    /// (no fill value) writes empty chunks too.
    pub(crate) fn new_v2(
        path: &str,
        v2: ArrayMetadataV2,
        metadata: ArrayMetadata,
        mut config: ArrayConfig,
    ) -> Result<Self> {
        config.write_empty_chunks |= v2.stores_every_chunk();
        let mut core = Self::new(path, metadata, config)?;
        core.v2 = Some(Arc::new(v2));
        Ok(core)
    }

    /// Check that `T` is the element type of this array.
    pub(crate) fn check_type<T: Element>(&self) -> Result<()> {
        if T::matches(self.metadata.data_type) {
            Ok(())
        } else {
            Err(ArrayError::DataTypeMismatch {
                data_type: self.metadata.data_type,
                requested: std::any::type_name::<T>(),
            })
        }
    }

    /// Resolve `selection` against the shape and list the chunks it touches
    /// (refusing, before the list is built, selections too large to hold).
    pub(crate) fn resolve(
        &self,
        selection: &Selection,
    ) -> Result<(ResolvedSelection, Vec<ChunkProjection>)> {
        let r = selection.resolve(&self.metadata.shape)?;
        // Before the chunk list: a selection's chunks are at most its elements.
        self.engine.output_len(&self.path, &r)?;
        let chunks = r
            .chunks(self.metadata.chunk_shape())
            .map_err(|e| too_large(&self.path, e))?;
        Ok((r, chunks))
    }

    /// The element size of a fixed-size array (refusing variable-length ones).
    pub(crate) fn fixed_size(&self) -> Result<usize> {
        self.metadata
            .data_type
            .size()
            .ok_or(ArrayError::DataTypeMismatch {
                data_type: self.metadata.data_type,
                requested: "fixed-size bytes",
            })
    }

    /// Check that a given shape (of an output or of data to write) equals
    /// the output shape of `selection`.
    pub(crate) fn check_shape(&self, selection: &Selection, given: &[usize]) -> Result<()> {
        let expected = selection.resolve(&self.metadata.shape)?.out_shape();
        if given != expected.as_slice() {
            return Err(crate::chunk::SelectionError::ShapeMismatch {
                given: given.to_vec(),
                expected,
            }
            .into());
        }
        Ok(())
    }

    /// Check that an [`NDBuffer`](crate::buffer::NDBuffer)'s data type holds
    /// this array's elements.
    pub(crate) fn check_ndbuffer_type(&self, given: &crate::dtype::DataType) -> Result<()> {
        if given.same_elements(&self.metadata.data_type) {
            Ok(())
        } else {
            Err(ArrayError::DataTypeMismatch {
                data_type: self.metadata.data_type,
                requested: given.name(),
            })
        }
    }

    /// Check raw element bytes to write to `n` selected elements (of a
    /// fixed-size array): the length, and that bools are 0 or 1.
    pub(crate) fn check_fixed_data(&self, n: u64, data: &[u8]) -> Result<()> {
        let size = self.fixed_size()?;
        let need = n * size as u64;
        if data.len() as u64 != need {
            return Err(ArrayError::InvalidArgument(format!(
                "data holds {} bytes but the selection needs {need}",
                data.len(),
            )));
        }
        if self.metadata.data_type == crate::dtype::DataType::Bool && data.iter().any(|&b| b > 1) {
            return Err(ArrayError::InvalidArgument(
                "bool data must be 0 or 1".into(),
            ));
        }
        Ok(())
    }

    /// Check variable-length elements to write to `n` selected elements:
    /// the array's type, the count, and UTF-8 for `string` arrays.
    pub(crate) fn check_var_data(&self, n: u64, data: &[Vec<u8>]) -> Result<()> {
        if self.metadata.data_type.size().is_some() {
            return Err(ArrayError::DataTypeMismatch {
                data_type: self.metadata.data_type,
                requested: "variable-length elements",
            });
        }
        if data.len() as u64 != n {
            return Err(ArrayError::InvalidArgument(format!(
                "{} elements given but the selection has {n}",
                data.len(),
            )));
        }
        if self.metadata.data_type == crate::dtype::DataType::String {
            if let Some(i) = data.iter().position(|s| std::str::from_utf8(s).is_err()) {
                return Err(ArrayError::InvalidArgument(format!(
                    "element {i} is not valid UTF-8"
                )));
            }
        }
        Ok(())
    }

    /// Resolve an advanced selection, refusing results too large to hold.
    pub(crate) fn plan_query(&self, query: &Query) -> Result<Resolved> {
        let r = query.resolve(&self.metadata.shape, self.metadata.chunk_shape())?;
        match &r {
            Resolved::Basic(_, rs) => {
                self.engine.output_len(&self.path, rs)?;
            }
            Resolved::Gather(p) => {
                self.engine.elements_len(&self.path, p.num_elements())?;
            }
        }
        Ok(r)
    }

    /// `data` as C-order elements of `shape` for a write: the same shape,
    /// or a single element repeated (numpy's broadcast of a scalar).
    pub(crate) fn broadcast_data(&self, data: &NDBuffer, shape: &[usize]) -> Result<NDBuffer> {
        self.check_ndbuffer_type(&data.data_type())?;
        if data.shape() == shape {
            return Ok(data.to_order(Order::C));
        }
        let n: usize = shape.iter().product();
        if data.len() != 1 {
            return Err(crate::chunk::SelectionError::ShapeMismatch {
                given: data.shape().to_vec(),
                expected: shape.to_vec(),
            }
            .into());
        }
        let repeated = match data.data() {
            NDData::Fixed(b) => {
                let mut v = self.engine.alloc_bytes(&self.path, b.len() * n)?;
                for c in v.chunks_exact_mut(b.len().max(1)) {
                    c.copy_from_slice(b);
                }
                NDData::Fixed(v)
            }
            NDData::Variable(e) => {
                let mut v = self.engine.alloc_var(&self.path, n)?;
                v.iter_mut().for_each(|s| s.clone_from(&e[0]));
                NDData::Variable(v)
            }
        };
        NDBuffer::from_parts(shape.to_vec(), data.data_type(), Order::C, repeated)
            .map_err(ArrayError::InvalidArgument)
    }

    /// The output shape of a resolved query.
    pub(crate) fn resolved_shape(resolved: &Resolved) -> Vec<usize> {
        match resolved {
            Resolved::Basic(_, r) => r.out_shape(),
            Resolved::Gather(p) => p.out_shape().to_vec(),
        }
    }

    /// A read's output (C-order elements of `shape`) as an [`NDBuffer`] of
    /// this array's data type, in `order`.
    pub(crate) fn output_ndbuffer(
        &self,
        shape: Vec<usize>,
        data: NDData,
        order: Order,
    ) -> Result<NDBuffer> {
        let b = NDBuffer::from_parts(shape, self.metadata.data_type, Order::C, data)
            .map_err(ArrayError::InvalidArgument)?;
        Ok(if order == Order::F {
            b.to_order(Order::F)
        } else {
            b
        })
    }

    /// An `ndarray` broadcast (numpy's rules) to `shape`, as an [`NDBuffer`].
    pub(crate) fn broadcast_array<T: Element>(
        &self,
        data: ndarray::ArrayViewD<'_, T>,
        shape: &[usize],
    ) -> Result<NDBuffer> {
        let b = data.broadcast(shape).ok_or_else(|| {
            ArrayError::from(crate::chunk::SelectionError::ShapeMismatch {
                given: data.shape().to_vec(),
                expected: shape.to_vec(),
            })
        })?;
        let v: Vec<T> = b.iter().cloned().collect();
        NDBuffer::from_vec(shape, v).map_err(ArrayError::InvalidArgument)
    }

    /// A query as a gather plan (basic selections too), refusing results
    /// too large to hold.
    pub(crate) fn plan_gather(&self, query: &Query) -> Result<crate::chunk::GatherPlan> {
        let plan = query.plan(&self.metadata.shape, self.metadata.chunk_shape())?;
        self.engine.elements_len(&self.path, plan.num_elements())?;
        Ok(plan)
    }

    /// The field map and the output data type of a selection of `fields`
    /// of a struct array (zarr-python's `fields=`): one field gives that
    /// field's type, several give a packed struct of them, in the order
    /// given.
    pub(crate) fn field_map(&self, fields: &[&str]) -> Result<(super::op::FieldMap, DataType)> {
        let DataType::Struct(st) = self.metadata.data_type else {
            return Err(ArrayError::InvalidArgument(format!(
                "fields {fields:?} selected, but the array's data type {} has no fields",
                self.metadata.data_type
            )));
        };
        if fields.is_empty() {
            return Err(ArrayError::InvalidArgument("no fields selected".into()));
        }
        let mut parts = Vec::with_capacity(fields.len());
        let mut chosen = Vec::with_capacity(fields.len());
        let mut out_size = 0usize;
        for (i, name) in fields.iter().enumerate() {
            if fields[..i].contains(name) {
                return Err(ArrayError::InvalidArgument(format!(
                    "field {name:?} selected twice"
                )));
            }
            let f = st
                .fields()
                .iter()
                .find(|f| f.name() == *name)
                .ok_or_else(|| {
                    let names: Vec<&str> = st.fields().iter().map(|f| f.name()).collect();
                    ArrayError::InvalidArgument(format!(
                        "the struct data type has no field {name:?} (its fields: {names:?})"
                    ))
                })?;
            let len = f.data_type().size().unwrap_or(0);
            parts.push((f.offset(), len, out_size));
            out_size += len;
            chosen.push((f.name().to_string(), f.data_type(), f.endian()));
        }
        let out_type = if chosen.len() == 1 {
            chosen[0].1
        } else {
            DataType::Struct(crate::dtype::StructType::new(chosen)?)
        };
        Ok((super::op::FieldMap { parts, out_size }, out_type))
    }

    /// `data` as the C-order elements of a field selection of `shape` and
    /// type `dt`: the same shape, or one element repeated.
    pub(crate) fn broadcast_fields(
        &self,
        data: &NDBuffer,
        shape: &[usize],
        dt: DataType,
    ) -> Result<Vec<u8>> {
        if !data.data_type().same_elements(&dt) {
            return Err(ArrayError::DataTypeMismatch {
                data_type: dt,
                requested: data.data_type().name(),
            });
        }
        let c = data.to_order(Order::C);
        let NDData::Fixed(b) = c.into_data() else {
            return Err(ArrayError::InvalidArgument(
                "field data must be fixed-size".into(),
            ));
        };
        if data.shape() == shape {
            return Ok(b);
        }
        if data.len() != 1 {
            return Err(crate::chunk::SelectionError::ShapeMismatch {
                given: data.shape().to_vec(),
                expected: shape.to_vec(),
            }
            .into());
        }
        let n: usize = shape.iter().product();
        let mut v = self.engine.alloc_bytes(&self.path, b.len() * n)?;
        for c in v.chunks_exact_mut(b.len().max(1)) {
            c.copy_from_slice(&b);
        }
        Ok(v)
    }

    /// The metadata documents to store for this array.
    pub(crate) fn documents(&self) -> Vec<(String, Vec<u8>)> {
        metadata_documents(&self.path, &self.metadata, self.v2.as_deref())
    }

    /// Change the shape in the metadata and the engine (nothing is stored).
    pub(crate) fn set_shape(&mut self, new_shape: Vec<u64>) {
        self.metadata.shape = new_shape;
        self.engine = Engine::new(
            &self.metadata,
            &self.path,
            Arc::clone(&self.engine.chain),
            self.config.write_empty_chunks,
        );
    }

    /// Check that `new_shape` has as many dimensions as the array, and list
    /// the chunk keys that lie wholly outside it (to delete on a resize).
    pub(crate) fn resize_plan(&self, new_shape: &[u64]) -> Result<Vec<String>> {
        let shape = &self.metadata.shape;
        if new_shape.len() != shape.len() {
            return Err(ArrayError::InvalidArgument(format!(
                "cannot resize {} dimensions to {:?}",
                shape.len(),
                new_shape
            )));
        }
        let chunk_shape = self.metadata.chunk_shape();
        let old_grid = crate::chunk::grid_shape(shape, chunk_shape);
        let new_grid = crate::chunk::grid_shape(new_shape, chunk_shape);
        Ok(crate::chunk::grid_indices(&old_grid)
            .filter(|c| c.iter().zip(&new_grid).any(|(&i, &n)| i >= n))
            .map(|c| self.engine.chunk_key(&c))
            .collect())
    }

    /// For an append of data of `data_shape` along `axis` (zarr-python's
    /// `Array.append`): the grown shape and the region the data goes to.
    /// Every other axis must match the array's.
    pub(crate) fn append_plan(
        &self,
        data_shape: &[usize],
        axis: usize,
    ) -> Result<(Vec<u64>, Selection)> {
        let shape = &self.metadata.shape;
        if axis >= shape.len() {
            return Err(ArrayError::InvalidArgument(format!(
                "cannot append along axis {axis} of an array of {} dimensions",
                shape.len()
            )));
        }
        let given: Vec<u64> = data_shape.iter().map(|&d| d as u64).collect();
        let others_match = given.len() == shape.len()
            && given
                .iter()
                .zip(shape)
                .enumerate()
                .all(|(d, (g, s))| d == axis || g == s);
        if !others_match {
            return Err(ArrayError::InvalidArgument(format!(
                "cannot append data of shape {given:?} to an array of shape {shape:?} along axis {axis}: the other axes must match"
            )));
        }
        let mut new_shape = shape.clone();
        new_shape[axis] =
            shape[axis]
                .checked_add(given[axis])
                .ok_or_else(|| ArrayError::TooLarge {
                    path: self.path.clone(),
                    message: format!(
                        "appending {} to axis {axis} of length {} overflows",
                        given[axis], shape[axis]
                    ),
                })?;
        let mut start = vec![0u64; shape.len()];
        start[axis] = shape[axis];
        Ok((new_shape, Selection::from_box(&start, &given)))
    }

    /// The key prefix under which the array's chunks and documents lie.
    pub(crate) fn prefix(&self) -> String {
        crate::node_path::prefix(&self.path)
    }
}

/// The accessors of an array front end, over its `core: ArrayCore` and
/// `store` fields; `$store` is the type of the store field. Written once so
/// that [`Array`](super::Array) and [`AsyncArray`](super::AsyncArray) cannot
/// drift apart.
macro_rules! array_accessors {
    ($store:ty) => {
        /// The store.
        pub fn store(&self) -> &$store {
            &self.store
        }
        /// The path of the array in the store.
        pub fn path(&self) -> &str {
            &self.core.path
        }
        /// The metadata (for a V2 array, its V3 equivalent that drives the engine).
        pub fn metadata(&self) -> &$crate::metadata::ArrayMetadata {
            &self.core.metadata
        }
        /// The V2 metadata of a V2 array (as stored, except shape and
        /// attributes, which `metadata()` holds).
        pub fn metadata_v2(&self) -> Option<&$crate::metadata::ArrayMetadataV2> {
            self.core.v2.as_deref()
        }
        /// 2 for a V2 array, 3 otherwise.
        pub fn zarr_format(&self) -> u8 {
            if self.core.v2.is_some() {
                2
            } else {
                3
            }
        }
        /// The shape.
        pub fn shape(&self) -> &[u64] {
            &self.core.metadata.shape
        }
        /// The chunk shape: the shape of each stored object, so the shard shape
        /// of a sharded array.
        pub fn chunk_shape(&self) -> &[u64] {
            self.core.metadata.chunk_shape()
        }
        /// The inner chunk shape of a sharded array (its codecs are exactly one
        /// `sharding_indexed` codec, possibly with codecs around it); `None`
        /// when the array is not sharded.
        pub fn inner_chunk_shape(&self) -> Option<Vec<u64>> {
            $crate::array::inner_chunk_shape(&self.core.metadata)
        }
        /// The data type.
        pub fn data_type(&self) -> $crate::dtype::DataType {
            self.core.metadata.data_type
        }
        /// The user attributes. NaN and infinite numbers (bare `NaN` / `Infinity`
        /// in the document, as Python writes them) are markers: read them with
        /// [`crate::metadata::json::as_f64`], make them with
        /// [`crate::metadata::json::float`].
        pub fn attributes(&self) -> &serde_json::Map<String, serde_json::Value> {
            &self.core.metadata.attributes
        }
        /// The runtime settings.
        pub fn config(&self) -> &$crate::array::ArrayConfig {
            &self.core.config
        }
        /// The codec chain.
        pub fn codecs(&self) -> &$crate::codec::CodecChain {
            &self.core.engine.chain
        }
        /// The store key of the chunk at grid coordinates `coords`.
        pub fn chunk_key(&self, coords: &[u64]) -> String {
            self.core.engine.chunk_key(coords)
        }
        /// Number of chunks along each dimension.
        pub fn chunk_grid_shape(&self) -> Vec<u64> {
            $crate::chunk::grid_shape(self.shape(), self.chunk_shape())
        }
    };
}
pub(crate) use array_accessors;
